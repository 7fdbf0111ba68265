// SPDX-License-Identifier: MIT
/* The map-in-map behind bpf_sync: the update itself changes nothing (the one
 * slot always holds the same inner map); its side effect is the grace period. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>
#include <bpf/bpf.h>

#include "profiler/core/bpf_sync.h"

void bpf_sync__init(struct bpf_sync *b)
{
	b->outer = b->inner = -1;
}

int bpf_sync__open(struct bpf_sync *b, const char *name)
{
	LIBBPF_OPTS(bpf_map_create_opts, o);
	char inner_name[16];

	snprintf(inner_name, sizeof(inner_name), "%s_in", name);
	b->inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, inner_name, 4, 4, 1, NULL);
	if (b->inner < 0)
		return -errno;
	o.inner_map_fd = b->inner;
	b->outer = bpf_map_create(BPF_MAP_TYPE_ARRAY_OF_MAPS, name, 4, 4, 1, &o);
	if (b->outer < 0)
		return -errno;
	return bpf_sync__wait(b);
}

int bpf_sync__wait(const struct bpf_sync *b)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(b->outer, &zero, &b->inner, BPF_ANY))
		return -errno;
	return 0;
}

int bpf_sync__flip(const struct bpf_sync *b, volatile __u32 *slot, unsigned int *ret_old)
{
	*ret_old = *slot;
	*slot = !*ret_old;
	__sync_synchronize();
	return bpf_sync__wait(b);
}

void bpf_sync__release(struct bpf_sync *b)
{
	if (b->outer >= 0)
		close(b->outer);
	if (b->inner >= 0)
		close(b->inner);
	bpf_sync__init(b);
}
