/* SPDX-License-Identifier: MIT */
/* bpf_sync: wait until every BPF program that may have started before now has
 * returned, from userspace. Updating a map-in-map makes the kernel call
 * synchronize_rcu() before the syscall returns, and perf_event, TC and XDP
 * programs all run inside an RCU read-side section. The drains of sampler.c
 * and net.c rely on it: flip the slot, wait, then read the old slot. */
#ifndef CPROF_BPF_SYNC_H
#define CPROF_BPF_SYNC_H

#include <linux/types.h>

struct bpf_sync {
	int outer, inner;	/* the map-in-map and its one inner map */
};

/* Sets the descriptors to -1 so bpf_sync__release() is always safe. */
void bpf_sync__init(struct bpf_sync *b);
/* Creates the maps; name (<= 10 characters) shows in `bpftool map`. 0 or -errno. */
int bpf_sync__open(struct bpf_sync *b, const char *name);
/* Returns 0 once every BPF program that started before the call has finished. */
int bpf_sync__wait(const struct bpf_sync *b);
/* The flip both drains start with: points the BPF side at the other slot
 * (*slot, the skeleton's .bss `slot`), then bpf_sync__wait(), after which
 * nothing writes the old slot. Returns 0 with *ret_old set, or -errno of the
 * wait (the flip is done: the old slot is read at the next drain). */
int bpf_sync__flip(const struct bpf_sync *b, volatile __u32 *slot, unsigned int *ret_old)
	__attribute__((warn_unused_result));
void bpf_sync__release(struct bpf_sync *b);

#endif
