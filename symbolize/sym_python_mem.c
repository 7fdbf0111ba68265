// SPDX-License-Identifier: MIT
/* The dynamic symbols are read from the process's own image, not from the
 * file: the first PT_LOAD of every ELF object holds its headers, .dynamic,
 * .dynsym, .dynstr and .gnu.hash, all mapped, and reading them where the
 * process runs needs no file opened as root (a stripped python keeps them:
 * they are what ld.so links against). ld.so may have relocated the
 * .dynamic pointers in place, so a pointer below the load bias is taken as
 * an unrelocated vaddr. */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/uio.h>

#include "symbolize/sym_python_mem.h"

#define MAX_PHDRS	64
#define MAX_DYN		512
#define MAX_CHAIN	4096	/* symbols compared in one bucket's chain */
#define MAX_NAME	64

int sym_py_mem__read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec l = { .iov_base = buf, .iov_len = len };
	struct iovec r = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	ssize_t n;

	if (!len)
		return 0;
	n = process_vm_readv(pid, &l, 1, &r, 1, 0);
	if (n < 0)
		return errno == ESRCH || errno == EPERM ? -errno : -EFAULT;
	return (size_t)n == len ? 0 : -EFAULT;
}

static uint32_t gnu_hash(const char *s)
{
	uint32_t h = 5381;

	for (; *s; s++)
		h = h * 33 + (uint8_t)*s;
	return h;
}

struct image {
	pid_t pid;
	uint64_t bias, symtab, strtab, gnuhash;
};

static uint64_t relocated(const struct image *im, uint64_t ptr)
{
	return im->bias && ptr < im->bias ? ptr + im->bias : ptr;
}

static int open_image(pid_t pid, uint64_t base, struct image *im)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[MAX_PHDRS];
	Elf64_Dyn dyn[64];
	uint64_t dynamic = 0, lowest = UINT64_MAX;
	int err;

	memset(im, 0, sizeof(*im));
	im->pid = pid;
	if ((err = sym_py_mem__read(pid, base, &eh, sizeof(eh))))
		return err;
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(Elf64_Phdr) || !eh.e_phnum || eh.e_phnum > MAX_PHDRS ||
	    (eh.e_type != ET_EXEC && eh.e_type != ET_DYN))
		return -EINVAL;
	if ((err = sym_py_mem__read(pid, base + eh.e_phoff, ph, eh.e_phnum * sizeof(ph[0]))))
		return err;
	for (int i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && ph[i].p_vaddr < lowest)
			lowest = ph[i].p_vaddr;
		if (ph[i].p_type == PT_DYNAMIC)
			dynamic = ph[i].p_vaddr;
	}
	if (!dynamic || lowest == UINT64_MAX)
		return -EINVAL;
	im->bias = eh.e_type == ET_DYN ? base - (lowest & ~0xfffULL) : 0;
	/* .dynamic in chunks: it ends at DT_NULL */
	for (int done = 0, i = 0; !done && i < MAX_DYN; i += 64) {
		if ((err = sym_py_mem__read(pid, im->bias + dynamic + i * sizeof(dyn[0]), dyn,
					    sizeof(dyn))))
			return err;
		for (int j = 0; j < 64; j++) {
			if (dyn[j].d_tag == DT_NULL) {
				done = 1;
				break;
			}
			if (dyn[j].d_tag == DT_SYMTAB)
				im->symtab = relocated(im, dyn[j].d_un.d_ptr);
			else if (dyn[j].d_tag == DT_STRTAB)
				im->strtab = relocated(im, dyn[j].d_un.d_ptr);
			else if (dyn[j].d_tag == DT_GNU_HASH)
				im->gnuhash = relocated(im, dyn[j].d_un.d_ptr);
		}
	}
	if (!im->symtab || !im->strtab)
		return -EINVAL;
	return im->gnuhash ? 0 : -ENOENT;
}

static int lookup(const struct image *im, const char *name, uint64_t *ret)
{
	uint32_t hdr[4], h = gnu_hash(name), idx, chain;
	size_t nlen = strlen(name) + 1;
	uint64_t buckets, chains;
	char got[MAX_NAME];
	Elf64_Sym sym;
	int err;

	if (nlen > sizeof(got))
		return -EINVAL;
	if ((err = sym_py_mem__read(im->pid, im->gnuhash, hdr, sizeof(hdr))))
		return err;
	/* nbuckets, symoffset, bloom words (of 8 bytes), bloom shift */
	if (!hdr[0] || hdr[2] > (1u << 20))
		return -ENOENT;
	buckets = im->gnuhash + sizeof(hdr) + (uint64_t)hdr[2] * 8;
	chains = buckets + (uint64_t)hdr[0] * 4;
	if ((err = sym_py_mem__read(im->pid, buckets + (h % hdr[0]) * 4ULL, &idx, 4)))
		return err;
	if (!idx || idx < hdr[1])
		return -ENOENT;
	for (int i = 0; i < MAX_CHAIN; i++, idx++) {
		if ((err = sym_py_mem__read(im->pid, chains + (uint64_t)(idx - hdr[1]) * 4, &chain, 4)))
			return err;
		if ((chain | 1) == (h | 1)) {
			if ((err = sym_py_mem__read(im->pid, im->symtab + (uint64_t)idx * sizeof(sym),
						    &sym, sizeof(sym))))
				return err;
			/* a name shorter than ours ends in a fault or a NUL that differs */
			if (!sym_py_mem__read(im->pid, im->strtab + sym.st_name, got, nlen) &&
			    !memcmp(got, name, nlen) && sym.st_shndx != SHN_UNDEF) {
				*ret = im->bias + sym.st_value;
				return 0;
			}
		}
		if (chain & 1)
			break;
	}
	return -ENOENT;
}

int sym_py_mem__dynsym(pid_t pid, uint64_t base, const char *const *names, size_t n,
		       uint64_t *ret)
{
	struct image im;
	int err = open_image(pid, base, &im);

	if (err)
		return err;
	for (size_t i = 0; i < n; i++) {
		ret[i] = 0;
		err = lookup(&im, names[i], &ret[i]);
		if (err && err != -ENOENT)
			return err;
	}
	return 0;
}

static uint32_t varint(const uint8_t **p, const uint8_t *end)
{
	uint32_t v = 0;
	unsigned int shift = 0;
	uint8_t b;

	do {
		if (*p >= end || shift > 28)
			return v;
		b = *(*p)++;
		v |= (uint32_t)(b & 63) << shift;
		shift += 6;
	} while (b & 64);
	return v;
}

static int32_t svarint(const uint8_t **p, const uint8_t *end)
{
	uint32_t v = varint(p, end);

	return v & 1 ? -(int32_t)(v >> 1) : (int32_t)(v >> 1);
}

/* Lines stay in 1..2^31: a table that says otherwise gives no line. */
static uint32_t checked(int64_t line)
{
	return line > 0 && line < INT32_MAX ? (uint32_t)line : 0;
}

/* 3.11+ (Objects/locations.md): entries of (code, length) with a line delta
 * in one of five forms; code 15 has no location. */
static uint32_t locations(const uint8_t *p, const uint8_t *end, int64_t line, uint32_t off)
{
	uint64_t addr = 0;

	while (p < end) {
		uint8_t b = *p++;
		uint32_t code = (b >> 3) & 15, len = (b & 7) + 1;
		int64_t delta = 0;

		if (!(b & 0x80))
			return 0;	/* lost sync: not an entry's first byte */
		if (code == 14) {
			delta = svarint(&p, end);
			varint(&p, end), varint(&p, end), varint(&p, end);
		} else if (code == 13) {
			delta = svarint(&p, end);
		} else if (code >= 10 && code <= 12) {
			delta = code - 10;
			p += 2;
		} else if (code < 10) {
			p += 1;
		}
		line += delta;
		if (off >= addr && off < addr + len)
			return code == 15 ? 0 : checked(line);
		addr += len;
	}
	return 0;
}

/* 3.10 (Objects/lnotab_notes.txt): (start delta, line delta) byte pairs;
 * a line delta of -128 means no line for that range. */
static uint32_t linetable310(const uint8_t *p, const uint8_t *end, int64_t line, uint32_t off)
{
	uint64_t start, stop = 0, addr = (uint64_t)off * 2;

	for (; p + 1 < end; p += 2) {
		int8_t ld = (int8_t)p[1];

		start = stop;
		stop = start + p[0];
		if (ld != -128)
			line += ld;
		if (addr >= start && addr < stop)
			return ld == -128 ? 0 : checked(line);
	}
	return 0;
}

/* <= 3.9 (PyCode_Addr2Line): (address increment, signed line increment). */
static uint32_t lnotab(const uint8_t *p, const uint8_t *end, int64_t line, uint32_t off)
{
	uint64_t addr = 0;

	for (; p + 1 < end; p += 2) {
		addr += p[0];
		if (addr > off)
			break;
		line += (int8_t)p[1];
	}
	return checked(line);
}

uint32_t sym_py_mem__line(enum sym_py_lines kind, const uint8_t *tab, size_t len,
			  uint32_t firstlineno, uint32_t off)
{
	const uint8_t *end = tab + len;

	switch (kind) {
	case SYM_PY_LOCATIONS:
		return locations(tab, end, firstlineno, off);
	case SYM_PY_LINETABLE310:
		return linetable310(tab, end, firstlineno, off);
	case SYM_PY_LNOTAB:
		return lnotab(tab, end, firstlineno, off);
	}
	return 0;
}

static size_t put_utf8(uint32_t cp, char *out)
{
	if ((cp >= 0xd800 && cp < 0xe000) || cp > 0x10ffff || cp == 0)
		cp = 0xfffd;	/* lone surrogates and NULs have no place in a name */
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 63));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | cp >> 12);
		out[1] = (char)(0x80 | ((cp >> 6) & 63));
		out[2] = (char)(0x80 | (cp & 63));
		return 3;
	}
	out[0] = (char)(0xf0 | cp >> 18);
	out[1] = (char)(0x80 | ((cp >> 12) & 63));
	out[2] = (char)(0x80 | ((cp >> 6) & 63));
	out[3] = (char)(0x80 | (cp & 63));
	return 4;
}

int sym_py_mem__utf8(uint32_t kind, const void *data, size_t n, char *buf, size_t len)
{
	size_t o = 0;

	if (kind != 1 && kind != 2 && kind != 4)
		return -EINVAL;
	if (!len)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char tmp[4];
		uint32_t cp;
		size_t k;

		if (kind == 1) {
			cp = ((const uint8_t *)data)[i];
		} else if (kind == 2) {
			uint16_t u;

			memcpy(&u, (const uint8_t *)data + 2 * i, 2);	/* any alignment */
			cp = u;
		} else {
			memcpy(&cp, (const uint8_t *)data + 4 * i, 4);
		}
		k = put_utf8(cp, tmp);
		if (o + k >= len)
			break;
		memcpy(buf + o, tmp, k);
		o += k;
	}
	buf[o] = '\0';
	return 0;
}
