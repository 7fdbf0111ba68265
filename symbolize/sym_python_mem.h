/* SPDX-License-Identifier: MIT */
/* sym_python_mem: reading a CPython process from outside. Everything here
 * reads another process's memory (process_vm_readv) and treats it as
 * hostile: every length is bounded, every table walk has a limit, a failed
 * read is an error and never a guess. The line-table decoders are pure
 * functions over bytes already read. libc only; never prints. */
#ifndef CPROF_SYM_PYTHON_MEM_H
#define CPROF_SYM_PYTHON_MEM_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SYM_PY_MAX_STR	1024		/* characters kept of a name or a path */
#define SYM_PY_MAX_LINETABLE (256 * 1024)

/* How a code object maps instruction offsets to lines. */
enum sym_py_lines {
	SYM_PY_LNOTAB = 1,	/* <= 3.9: co_lnotab, byte offsets */
	SYM_PY_LINETABLE310,	/* 3.10: co_linetable, (start delta, line delta) pairs */
	SYM_PY_LOCATIONS,	/* 3.11+: the location table, code units */
};

/* Reads len bytes at addr of pid: 0, or -EFAULT (short or failed read),
 * -ESRCH (gone), -EPERM. */
int sym_py_mem__read(pid_t pid, uint64_t addr, void *buf, size_t len);

/* Dynamic symbol lookup in a loaded ELF image at base (its first mapping,
 * the ELF header) through its GNU hash table, as ld.so does. *ret is the
 * symbol's run-time address. 0, -ENOENT (no such symbol or no GNU hash),
 * -EINVAL (not an ELF image), or a read error. */
int sym_py_mem__dynsym(pid_t pid, uint64_t base, const char *const *names, size_t n,
		       uint64_t *ret);

/* The line run at instruction offset off (enum sym_py_lines units: bytes
 * for SYM_PY_LNOTAB, code units after). Returns the line, or 0 when the
 * table names none (an artificial instruction) or off is past its end. */
uint32_t sym_py_mem__line(enum sym_py_lines kind, const uint8_t *tab, size_t len,
			  uint32_t firstlineno, uint32_t off);

/* Decodes a str object's body as UTF-8 into buf (NUL-terminated, cut at
 * len - 1 bytes on a character boundary). state is PyASCIIObject.state,
 * data the characters read from the object (n characters of kind bytes
 * each). 0, or -EINVAL for a kind that is no PyUnicode kind. */
int sym_py_mem__utf8(uint32_t kind, const void *data, size_t n, char *buf, size_t len);

#endif
