// SPDX-License-Identifier: MIT
/* sym_debug_spill: see sym_debug_spill.h. libelf decompresses (elf_compress,
 * zlib or zstd as the file says), one section per Elf handle so that at most
 * one section's bytes are in memory at a time; everything else is a copy.
 */
#define _GNU_SOURCE
#include "symbolize/sym_debug_spill.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <linux/magic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "base/fs.h"

static char *spill_dir;
static struct sym_debug_spill_stats stats;

int sym_debug_spill__set_dir(const char *dir)
{
	struct statfs fs;
	char *copy;
	int fd;

	free(spill_dir);
	spill_dir = NULL;
	if (!dir)
		return 0;
	if (statfs(dir, &fs) != 0)
		return -errno;
	if (fs.f_type == TMPFS_MAGIC || fs.f_type == RAMFS_MAGIC)
		return -EXDEV;	/* memory either way */
	fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	close(fd);
	copy = strdup(dir);
	if (!copy)
		return -ENOMEM;
	spill_dir = copy;
	return 0;
}

void sym_debug_spill__stats(struct sym_debug_spill_stats *ret)
{
	ret->files = __atomic_load_n(&stats.files, __ATOMIC_RELAXED);
	ret->bytes = __atomic_load_n(&stats.bytes, __ATOMIC_RELAXED);
	ret->failed = __atomic_load_n(&stats.failed, __ATOMIC_RELAXED);
}

/* The alignment a section's bytes get in the copy: its own when sane. */
static uint64_t align_of(const GElf_Shdr *sh)
{
	uint64_t a = sh->sh_addralign;

	return a && a <= 4096 && !(a & (a - 1)) ? a : 8;
}

/* Section i of the file behind fd decompressed, written at *end (aligned);
 * its header, updated, into *sh. */
static bool spill_section(int fd, int out, size_t i, GElf_Shdr *sh, uint64_t *end)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP_PRIVATE, NULL);
	Elf_Scn *scn = elf ? elf_getscn(elf, i) : NULL;
	Elf_Data *d;
	bool ok = false;

	if (scn && elf_compress(scn, 0, 0) >= 0 && gelf_getshdr(scn, sh) &&
	    !(sh->sh_flags & SHF_COMPRESSED) && (d = elf_rawdata(scn, NULL)) &&
	    d->d_size == sh->sh_size && (d->d_buf || !d->d_size)) {
		uint64_t a = align_of(sh);

		*end = (*end + a - 1) / a * a;
		ok = !fs__write_all(out, d->d_buf, d->d_size, (off_t)*end);
		sh->sh_offset = *end;
		*end += d->d_size;
	}
	elf_end(elf);
	return ok;
}

/* Write the copy into out: 1, 0 when nothing in fd is compressed, -1. */
static int spill(int fd, int out, uint64_t *ret_bytes)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	GElf_Shdr *sh = NULL;
	uint64_t total = 0, end, shoff;
	GElf_Ehdr eh;
	size_t shnum = 0;
	struct stat st;
	int ret = -1;

	if (!elf || !gelf_getehdr(elf, &eh) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    elf_getshdrnum(elf, &shnum) != 0 || shnum < 2 || shnum > 65535 || fstat(fd, &st) != 0)
		goto out;
	sh = calloc(shnum, sizeof(*sh));
	if (!sh)
		goto out;
	for (size_t i = 0; i < shnum; i++) {
		Elf_Scn *scn = elf_getscn(elf, i);
		GElf_Chdr ch;

		if (!scn || !gelf_getshdr(scn, &sh[i]))
			goto out;
		if (!(sh[i].sh_flags & SHF_COMPRESSED) || sh[i].sh_type == SHT_NOBITS)
			continue;
		if (!gelf_getchdr(scn, &ch) || ch.ch_size > SYM_DEBUG_SPILL_MAX_BYTES - total)
			goto out;
		total += ch.ch_size;
	}
	ret = 0;
	if (!total)
		goto out;
	ret = -1;
	if (fs__copy(fd, out, UINT64_MAX, &end) || end != (uint64_t)st.st_size)
		goto out;
	for (size_t i = 0; i < shnum; i++)
		if ((sh[i].sh_flags & SHF_COMPRESSED) && sh[i].sh_type != SHT_NOBITS &&
		    !spill_section(fd, out, i, &sh[i], &end))
			goto out;
	/* a new section header table at the end, and the ELF header to it */
	shoff = (end + 7) / 8 * 8;
	for (size_t i = 0; i < shnum; i++) {
		Elf64_Shdr raw = {
			.sh_name = sh[i].sh_name, .sh_type = sh[i].sh_type,
			.sh_flags = sh[i].sh_flags, .sh_addr = sh[i].sh_addr,
			.sh_offset = sh[i].sh_offset, .sh_size = sh[i].sh_size,
			.sh_link = sh[i].sh_link, .sh_info = sh[i].sh_info,
			.sh_addralign = sh[i].sh_addralign, .sh_entsize = sh[i].sh_entsize,
		};

		if (fs__write_all(out, &raw, sizeof(raw), (off_t)(shoff + i * sizeof(raw))))
			goto out;
	}
	{
		Elf64_Ehdr raw;

		if (pread(out, &raw, sizeof(raw), 0) != (ssize_t)sizeof(raw))
			goto out;
		raw.e_shoff = shoff;
		raw.e_shentsize = sizeof(Elf64_Shdr);
		if (fs__write_all(out, &raw, sizeof(raw), 0))
			goto out;
	}
	*ret_bytes = total;
	ret = 1;
out:
	free(sh);
	elf_end(elf);
	return ret;
}

int sym_debug_spill__file(int fd)
{
	uint64_t bytes = 0;
	int out, r;

	if (!spill_dir)
		return fd;
	out = open(spill_dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (out < 0) {
		__atomic_add_fetch(&stats.failed, 1, __ATOMIC_RELAXED);
		return fd;
	}
	r = spill(fd, out, &bytes);
	if (r <= 0) {
		close(out);
		if (r < 0)
			__atomic_add_fetch(&stats.failed, 1, __ATOMIC_RELAXED);
		return fd;
	}
	close(fd);
	__atomic_add_fetch(&stats.files, 1, __ATOMIC_RELAXED);
	__atomic_add_fetch(&stats.bytes, bytes, __ATOMIC_RELAXED);
	return out;
}
