/* SPDX-License-Identifier: MIT */
/* sym_kallsyms: kernel text symbols from /proc/kallsyms (or any text in that
 * format), sorted by address for binary search. Module symbols keep their
 * module name. Only text symbols (t T w W) are kept. When every address reads
 * as zero (kptr_restrict, not root) the table is "restricted" and names
 * nothing. Kept compact (about 8 bytes a symbol for a 6.x kernel): names
 * stay compressed until looked up, so a lookup may decode and remember one;
 * a table is not safe to use from two threads at once. libc and base/ only
 * (zstd through base/compress).
 */
#ifndef CPROF_SYM_KALLSYMS_H
#define CPROF_SYM_KALLSYMS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct sym_kallsyms;

struct sym_ksym {
	uint64_t addr;        /* symbol start */
	uint64_t end;         /* exclusive: next symbol's start (see lookup) */
	const char *name;     /* owned by the table */
	const char *module;   /* "nf_tables" for "[nf_tables]"; NULL for the core kernel */
	uint32_t module_idx;  /* 0 = core kernel, i = sym_kallsyms__module(k, i) */
};

/* Parse kallsyms text from f until EOF; unsorted input is fine. Returns a new
 * table (free with sym_kallsyms__free) or NULL and errno. */
struct sym_kallsyms *sym_kallsyms__parse(FILE *f)
	__attribute__((warn_unused_result));
struct sym_kallsyms *sym_kallsyms__parse_string(const char *text)
	__attribute__((warn_unused_result));
/* Parse /proc/kallsyms. */
struct sym_kallsyms *sym_kallsyms__load(void)
	__attribute__((warn_unused_result));
void sym_kallsyms__free(struct sym_kallsyms *k);

/* Cheap check before or beside a full parse: 1 when the kallsyms file at path
 * (NULL: /proc/kallsyms) lists symbols but every address in its first 16 KiB
 * reads as zero -- kernel.kptr_restrict hides them from a reader without
 * CAP_SYSLOG, and no kernel frame can be named; 0 when an address shows (or
 * nothing parses), -errno when it cannot be read. */
int sym_kallsyms__probe_hidden(const char *path)
	__attribute__((warn_unused_result));

/* Text symbols kept (restricted tables keep none). */
size_t sym_kallsyms__count(const struct sym_kallsyms *k);
/* True when symbols were listed but every address was zero. */
bool sym_kallsyms__restricted(const struct sym_kallsyms *k);
/* Heap bytes the table keeps (its allocations, not malloc's overhead): the
 * parse leaves it at its least; each name looked up adds itself and a cache
 * slot. */
size_t sym_kallsyms__bytes(const struct sym_kallsyms *k);

/* The symbol containing addr: the last symbol starting at or below addr, whose
 * span runs to the next symbol's start. A span that crosses into another
 * module (or the last symbol's) is capped at SYM_KALLSYMS_MAX_SPAN, and end
 * markers (_etext, _einittext, ...) are never returned.
 * 0 and *ret (pointers valid until free), -ENOENT, or -ENOMEM (decoding the
 * name; k stays as it was). The first lookup of a symbol decodes its name
 * and keeps it (k is const to the caller, but its cache of decoded names
 * is written); later ones are a binary search and a hash probe. */
#define SYM_KALLSYMS_MAX_SPAN (64 * 1024)
int sym_kallsyms__lookup(const struct sym_kallsyms *k, uint64_t addr, struct sym_ksym *ret)
	__attribute__((warn_unused_result));

/* Modules: index 0 is the core kernel (name NULL), 1..n-1 modules in order of
 * first appearance. Ranges span the module's symbols [min start, max end). */
size_t sym_kallsyms__nmodules(const struct sym_kallsyms *k);
int sym_kallsyms__module(const struct sym_kallsyms *k, uint32_t idx, const char **ret_name,
			 uint64_t *ret_start, uint64_t *ret_limit)
	__attribute__((warn_unused_result));

#endif
