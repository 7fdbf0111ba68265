/* SPDX-License-Identifier: MIT */
/* The reference unwinder of the tests: libunwind's remote API over a stack
 * copy. Accessors serve stack memory from the copy only (never the live
 * stack), code and unwind sections from the live process through
 * /proc/PID/mem, and registers from {ip, sp, bp} only: the same inputs cprof's
 * unwinder gets. Unwind info is found the way perf does it: the binary's
 * .eh_frame_hdr search table through dwarf_search_unwind_table().
 * Header-only (static functions), shared by check_unwinder and
 * check_dwarf_record; link with -lunwind-x86_64 -lunwind. */
#ifndef CPROF_TESTS_UW_LIBUNWIND_H
#define CPROF_TESTS_UW_LIBUNWIND_H

#define UNW_REMOTE_ONLY
#include <fcntl.h>
#include <gelf.h>
#include <libunwind.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbolize/sym_proc_maps.h"

extern int _Ux86_64_dwarf_search_unwind_table(unw_addr_space_t as, unw_word_t ip,
					      unw_dyn_info_t *di, unw_proc_info_t *pi,
					      int need_unwind_info, void *arg);

struct lu_target {
	int pid;
	int mem_fd;			/* /proc/PID/mem */
	struct sym_proc_maps *maps;	/* read when the target is opened */
	/* the sample */
	uint64_t ip, sp, bp, bx;
	const uint8_t *stack;
	uint32_t stack_len;
};

static int lu_open(struct lu_target *t, int pid)
{
	char path[64];

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	t->mem_fd = open(path, O_RDONLY | O_CLOEXEC);
	t->maps = sym_proc_maps__read(pid);
	return t->mem_fd >= 0 && t->maps ? 0 : -1;
}

static void lu_close(struct lu_target *t)
{
	if (t->mem_fd >= 0)
		close(t->mem_fd);
	sym_proc_maps__free(t->maps);
}

static const struct sym_proc_maps_entry *lu_map(const struct lu_target *t, uint64_t addr)
{
	for (size_t i = 0; i < t->maps->n; i++)
		if (addr >= t->maps->entries[i].start && addr < t->maps->entries[i].end)
			return &t->maps->entries[i];
	return NULL;
}

static int lu_read(struct lu_target *t, uint64_t addr, void *buf, size_t len)
{
	const struct sym_proc_maps_entry *m = lu_map(t, addr);

	if (addr >= t->sp && addr + len <= t->sp + t->stack_len) {
		memcpy(buf, t->stack + (addr - t->sp), len);
		return 0;
	}
	/* only file-backed memory and the vDSO: the stack lives only in the copy */
	if (!m || (m->path[0] != '/' && strcmp(m->path, "[vdso]")))
		return -1;
	return pread(t->mem_fd, buf, len, (off_t)addr) == (ssize_t)len ? 0 : -1;
}

static int lu_access_mem(unw_addr_space_t as, unw_word_t addr, unw_word_t *val, int write, void *arg)
{
	(void)as;
	if (write)
		return -UNW_EINVAL;
	return lu_read(arg, addr, val, sizeof(*val)) ? -UNW_EINVAL : 0;
}

static int lu_access_reg(unw_addr_space_t as, unw_regnum_t reg, unw_word_t *val, int write,
			 void *arg)
{
	struct lu_target *t = arg;

	(void)as;
	if (write)
		return -UNW_EINVAL;
	switch (reg) {
	case UNW_X86_64_RIP:
		*val = t->ip;
		return 0;
	case UNW_X86_64_RSP:
		*val = t->sp;
		return 0;
	case UNW_X86_64_RBP:
		*val = t->bp;
		return 0;
	case UNW_X86_64_RBX:
		*val = t->bx;
		return 0;
	default:
		return -UNW_EBADREG;
	}
}

static int lu_access_fpreg(unw_addr_space_t as, unw_regnum_t reg, unw_fpreg_t *val, int write,
			   void *arg)
{
	(void)as; (void)reg; (void)val; (void)write; (void)arg;
	return -UNW_EINVAL;
}

static int lu_resume(unw_addr_space_t as, unw_cursor_t *c, void *arg)
{
	(void)as; (void)c; (void)arg;
	return -UNW_EINVAL;
}

static int lu_get_proc_name(unw_addr_space_t as, unw_word_t addr, char *buf, size_t len,
			    unw_word_t *off, void *arg)
{
	(void)as; (void)addr; (void)buf; (void)len; (void)off; (void)arg;
	return -UNW_EINVAL;
}

static int lu_get_dyn_info_list_addr(unw_addr_space_t as, unw_word_t *addr, void *arg)
{
	(void)as; (void)addr; (void)arg;
	return -UNW_ENOINFO;
}

static void lu_put_unwind_info(unw_addr_space_t as, unw_proc_info_t *pi, void *arg)
{
	(void)as; (void)pi; (void)arg;
}

/* PT_GNU_EH_FRAME of the object mapped at m, and its load bias. */
static int lu_eh_frame_hdr(struct lu_target *t, const struct sym_proc_maps_entry *m,
			   uint64_t *ret_hdr)
{
	char path[128];
	GElf_Phdr eh = { 0 }, load = { 0 };
	size_t phnum;
	bool have_eh = false, have_load = false;
	Elf *elf = NULL;
	int fd = -1, err = -1;

	elf_version(EV_CURRENT);
	if (!strcmp(m->path, "[vdso]")) {
		/* the same vDSO image as ours: read it from the target */
		static char img[64 << 10];
		size_t n = m->end - m->start < sizeof(img) ? m->end - m->start : sizeof(img);

		if (pread(t->mem_fd, img, n, (off_t)m->start) != (ssize_t)n)
			return -1;
		elf = elf_memory(img, n);
	} else {
		snprintf(path, sizeof(path), "/proc/%d/map_files/%llx-%llx", t->pid,
			 (unsigned long long)m->start, (unsigned long long)m->end);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -1;
		elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	}
	if (!elf || elf_getphdrnum(elf, &phnum))
		goto out;
	for (size_t i = 0; i < phnum; i++) {
		GElf_Phdr ph;

		if (!gelf_getphdr(elf, (int)i, &ph))
			continue;
		if (ph.p_type == PT_GNU_EH_FRAME) {
			eh = ph;
			have_eh = true;
		}
		if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X) && !have_load) {
			load = ph;
			have_load = true;
		}
	}
	if (!have_eh || !have_load)
		goto out;
	/* the executable segment is mapped at m: bias = start - vaddr(offset) */
	*ret_hdr = m->start - (m->offset - load.p_offset + load.p_vaddr) + eh.p_vaddr;
	err = 0;
out:
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
	return err;
}

static int lu_find_proc_info(unw_addr_space_t as, unw_word_t ip, unw_proc_info_t *pi,
			     int need_unwind_info, void *arg)
{
	struct lu_target *t = arg;
	const struct sym_proc_maps_entry *m = lu_map(t, ip);
	uint8_t hdr[4];
	uint32_t count;
	uint64_t h;
	unw_dyn_info_t di;

	if (!m || !sym_proc_maps_entry__executable(m) || lu_eh_frame_hdr(t, m, &h))
		return -UNW_ENOINFO;
	/* version 1, eh_frame_ptr sdata4|pcrel, fde_count udata4, table datarel sdata4 */
	if (lu_read(t, h, hdr, 4) || hdr[0] != 1 || hdr[2] != 0x03 || hdr[3] != 0x3b ||
	    lu_read(t, h + 8, &count, 4))
		return -UNW_ENOINFO;
	memset(&di, 0, sizeof(di));
	di.format = UNW_INFO_FORMAT_REMOTE_TABLE;
	di.start_ip = m->start;
	di.end_ip = m->end;
	di.u.rti.segbase = h;
	di.u.rti.table_data = h + 12;
	di.u.rti.table_len = count * 8 / sizeof(unw_word_t);
	return _Ux86_64_dwarf_search_unwind_table(as, ip, &di, pi, need_unwind_info, arg);
}

/* Unwind t's sample with libunwind: frames (leaf first) into ips, returns how
 * many. *ret_err: the last unw_step() result (0: reached the end, < 0: error). */
static uint32_t lu_unwind(struct lu_target *t, uint64_t *ips, uint32_t max, int *ret_err)
{
	static unw_accessors_t acc = {
		.find_proc_info = lu_find_proc_info,
		.put_unwind_info = lu_put_unwind_info,
		.get_dyn_info_list_addr = lu_get_dyn_info_list_addr,
		.access_mem = lu_access_mem,
		.access_reg = lu_access_reg,
		.access_fpreg = lu_access_fpreg,
		.resume = lu_resume,
		.get_proc_name = lu_get_proc_name,
	};
	unw_addr_space_t as = unw_create_addr_space(&acc, 0);
	unw_cursor_t c;
	uint32_t n = 0;
	int r;

	*ret_err = -UNW_EUNSPEC;
	if (!as)
		return 0;
	unw_set_caching_policy(as, UNW_CACHE_NONE);
	if (unw_init_remote(&c, as, t) == 0) {
		do {
			unw_word_t ip;

			if (unw_get_reg(&c, UNW_REG_IP, &ip) || !ip)
				break;
			ips[n++] = ip;
			r = unw_step(&c);
			*ret_err = r;
		} while (r > 0 && n < max);
	}
	unw_destroy_addr_space(as);
	return n;
}

#endif
