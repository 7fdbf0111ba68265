// SPDX-License-Identifier: MIT
/* sym_kernel: /proc/kallsyms read once into one mapping per module (0: the
 * core kernel). Depends on kallsyms and base/ only.
 */
#define _GNU_SOURCE
#include "symbolize/sym_kernel.h"

#include <elf.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "symbolize/sym_kallsyms.h"

#define KERNEL_HALF 0xffff800000000000ull

struct sym_kernel {
	bool loaded;
	struct sym_kallsyms *ksyms;
	struct sym_mapping *kmaps; /* [0] core, [i] module i */
	size_t nkmaps;
};

/* Build-id from a raw ELF note blob (/sys/kernel/notes or a module's). */
static char *read_note_build_id(const char *path)
{
	unsigned char buf[4096];
	size_t off = 0, n;
	char *hex = NULL;
	FILE *f = fopen(path, "re");

	if (!f)
		return strdup("");
	n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	while (off + 12 <= n) {
		uint32_t namesz, descsz, type;
		size_t name_off, desc_off;

		memcpy(&namesz, buf + off, 4);
		memcpy(&descsz, buf + off + 4, 4);
		memcpy(&type, buf + off + 8, 4);
		name_off = off + 12;
		desc_off = name_off + ((namesz + 3u) & ~3u);
		if (desc_off + descsz > n || descsz > 64)
			break;
		if (type == NT_GNU_BUILD_ID && namesz == 4 && memcmp(buf + name_off, "GNU", 4) == 0) {
			hex = malloc(2 * descsz + 1);
			if (!hex)
				return NULL;
			hex__encode(hex, (const uint8_t *)buf + desc_off, descsz);
			return hex;
		}
		off = desc_off + ((descsz + 3u) & ~3u);
	}
	return strdup("");
}

static void unload(struct sym_kernel *k)
{
	for (size_t i = 0; i < k->nkmaps; i++) {
		free((char *)k->kmaps[i].path);
		free((char *)k->kmaps[i].build_id);
	}
	free(k->kmaps);
	k->kmaps = NULL;
	k->nkmaps = 0;
	sym_kallsyms__free(k->ksyms);
	k->ksyms = NULL;
	k->loaded = false;
}

/* Read /proc/kallsyms once and make one mapping per module (0: the core). */
static int load(struct sym_kernel *k)
{
	size_t nmods;

	if (k->loaded)
		return 0;
	k->ksyms = sym_kallsyms__load(); /* NULL: unreadable; names nothing */
	if (!k->ksyms && errno == ENOMEM)
		return -ENOMEM;
	nmods = k->ksyms ? sym_kallsyms__nmodules(k->ksyms) : 1;
	k->kmaps = calloc(nmods, sizeof(*k->kmaps));
	if (!k->kmaps)
		goto out_unload;
	k->nkmaps = nmods;
	for (size_t i = 0; i < nmods; i++) {
		struct sym_mapping *m = &k->kmaps[i];
		const char *name = NULL;
		char path[PATH_MAX];

		m->start = KERNEL_HALF;
		m->limit = UINT64_MAX;
		if (k->ksyms && sym_kallsyms__count(k->ksyms) &&
		    sym_kallsyms__module(k->ksyms, (uint32_t)i, &name, &m->start, &m->limit) < 0)
			name = NULL; /* i < nmodules: cannot happen */
		if (i == 0) {
			m->path = strdup("[kernel.kallsyms]");
			m->build_id = read_note_build_id("/sys/kernel/notes");
		} else {
			char *p = NULL;

			if (asprintf(&p, "[%s]", name) < 0)
				p = NULL;
			m->path = p;
			snprintf(path, sizeof(path), "/sys/module/%s/notes/.note.gnu.build-id", name);
			m->build_id = read_note_build_id(path);
		}
		if (!m->path || !m->build_id)
			goto out_unload;
	}
	k->loaded = true;
	return 0;

out_unload:
	unload(k);
	return -ENOMEM;
}

struct sym_kernel *sym_kernel__new(void)
{
	return calloc(1, sizeof(struct sym_kernel));
}

void sym_kernel__free(struct sym_kernel *k)
{
	if (!k)
		return;
	unload(k);
	free(k);
}

int sym_kernel__lookup(struct sym_kernel *k, uint64_t addr, const struct sym_mapping **ret_mapping,
		       const char **ret_name)
{
	struct sym_ksym ks;
	int err;

	*ret_mapping = NULL;
	*ret_name = NULL;
	err = load(k);
	if (err < 0)
		return err;
	if (!k->ksyms || sym_kallsyms__restricted(k->ksyms) || !sym_kallsyms__count(k->ksyms)) {
		/* nothing to name it with, but it is the kernel's */
		if (addr >= KERNEL_HALF)
			*ret_mapping = &k->kmaps[0];
		return 0;
	}
	err = sym_kallsyms__lookup(k->ksyms, addr, &ks);
	if (err == -ENOMEM)	/* decoding the name */
		return err;
	if (err < 0) {
		for (size_t i = 0; i < k->nkmaps; i++)
			if (addr >= k->kmaps[i].start && addr < k->kmaps[i].limit)
				*ret_mapping = &k->kmaps[i];
		/* in no module's range as kallsyms listed them when read (a BPF
		 * program loaded or unloaded since, another tool's): unnamed,
		 * but the kernel's, never a user frame */
		if (!*ret_mapping && addr >= KERNEL_HALF)
			*ret_mapping = &k->kmaps[0];
		return 0;
	}
	*ret_mapping = &k->kmaps[ks.module_idx];
	*ret_name = ks.name;
	return 0;
}
