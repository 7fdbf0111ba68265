/* SPDX-License-Identifier: MIT */
#define _GNU_SOURCE
#include "base/resident.h"

#include <fcntl.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

/* /proc/self/pagemap (Documentation/admin-guide/mm/pagemap.rst) */
#define PM_PRESENT	(1ull << 63)
#define PM_SWAP		(1ull << 62)
#define PM_FILE		(1ull << 61)	/* file page or shared anonymous */
#define PM_BATCH	512

struct drop {
	uintptr_t page;		/* page size - 1 */
	uintptr_t vdso;
	size_t bytes;
};

/* Whether the object's code was written by the loader: its text relocations
 * were applied in copies of its pages, which the file does not hold. */
static bool has_textrel(const struct dl_phdr_info *info)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Dyn) *d;

		if (info->dlpi_phdr[i].p_type != PT_DYNAMIC)
			continue;
		/* the loader's own relocated copy of the dynamic section */
		d = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
		for (; d->d_tag != DT_NULL; d++)
			if (d->d_tag == DT_TEXTREL ||
			    (d->d_tag == DT_FLAGS && (d->d_un.d_val & DF_TEXTREL)))
				return true;
	}
	return false;
}

static bool is_vdso(const struct dl_phdr_info *info, const struct drop *d)
{
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_LOAD &&
		    ((info->dlpi_addr + info->dlpi_phdr[i].p_vaddr) & ~d->page) == d->vdso)
			return true;
	return false;
}

static int drop_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct drop *d = arg;

	(void)size;
	if ((d->vdso && is_vdso(info, d)) || has_textrel(info))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t lo, hi;

		if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W))
			continue;
		/* whole pages inside the segment: a page it shares with a
		 * writable neighbour stays */
		lo = (info->dlpi_addr + ph->p_vaddr + d->page) & ~d->page;
		hi = (info->dlpi_addr + ph->p_vaddr + ph->p_memsz) & ~d->page;
		if (hi > lo && madvise((void *)lo, hi - lo, MADV_DONTNEED) == 0)
			d->bytes += hi - lo;
	}
	return 0;
}

size_t resident__drop_code(void)
{
	long pg = sysconf(_SC_PAGESIZE);
	struct drop d = { .page = (uintptr_t)(pg > 0 ? pg : 4096) - 1,
			  .vdso = (uintptr_t)getauxval(AT_SYSINFO_EHDR) };

	dl_iterate_phdr(drop_object, &d);
	return d.bytes;
}

/* [lo, hi): dropped (file pages) or paged out (written ones) */
static void drop_run(uintptr_t lo, uintptr_t hi, bool written)
{
	if (hi > lo)
		(void)madvise((void *)lo, hi - lo, written ? MADV_PAGEOUT : MADV_DONTNEED);
}

void resident__drop_file(void *addr, size_t len)
{
	uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE), lo, hi, run, a;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	uint64_t ent[PM_BATCH];
	bool written = false;

	lo = ((uintptr_t)addr + pg - 1) & ~(pg - 1);
	hi = ((uintptr_t)addr + len) & ~(pg - 1);
	if (fd < 0) {
		drop_run(lo, hi, true);
		return;
	}
	for (run = a = lo; a < hi;) {
		size_t n = (hi - a) / pg < PM_BATCH ? (hi - a) / pg : PM_BATCH;
		ssize_t got = pread(fd, ent, n * sizeof(*ent), (off_t)(a / pg * sizeof(*ent)));

		if (got < (ssize_t)sizeof(*ent))
			break;
		for (size_t i = 0; i < (size_t)got / sizeof(*ent); i++, a += pg) {
			bool w = (ent[i] & (PM_PRESENT | PM_SWAP)) && !(ent[i] & PM_FILE);

			if (w != written) {
				drop_run(run, a, written);
				run = a;
				written = w;
			}
		}
	}
	drop_run(run, a, written);
	drop_run(a, hi, true);	/* pagemap unread: kept safe */
	close(fd);
}
