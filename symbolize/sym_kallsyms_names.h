/* SPDX-License-Identifier: MIT */
/* sym_knames: the names of a kallsyms table, numbered 0..n-1 in the table's
 * (address) order, kept compressed: blocks of SYM_KNAMES_BLOCK names, each
 * front-coded against the previous name (a kernel's "__pfx_foo" before "foo"
 * as one flag bit) and then zstd'd. A name is decoded on first use and kept
 * until sym_knames__free(), so the pointers handed out stay valid that long;
 * the decoded names are bounded by the names themselves (each once).
 * Internal to sym_kallsyms; depends on base/ (compress, hashmap) only; never
 * prints. Not safe for concurrent use: get() writes the cache.
 */
#ifndef CPROF_SYM_KALLSYMS_NAMES_H
#define CPROF_SYM_KALLSYMS_NAMES_H

#include <stddef.h>
#include <stdint.h>

/* Names a block: fewer, larger blocks compress better and parse faster (each
 * is one base/compress call with its own zstd context, ~30 us; 122k names
 * take ~10 ms at 512, ~28 ms at 128), while a first lookup decodes its
 * whole block (~5 KB at 512: 15-20 us, mostly the context). */
#define SYM_KNAMES_BLOCK 512

struct sym_knames;

/* New and empty, taking names with add(). NULL and errno. */
struct sym_knames *sym_knames__new(void)
	__attribute__((warn_unused_result));
/* NULL is a no-op. Every name handed out by get() goes with it. */
void sym_knames__free(struct sym_knames *t);

/* Appends name (copied) as number sym_knames__count(t). 0, -ENOMEM, or
 * -E2BIG past 4 GiB of compressed names or UINT32_MAX names. Not after seal(). */
int sym_knames__add(struct sym_knames *t, const char *name)
	__attribute__((warn_unused_result));
/* Compresses the last partial block and gives back the builder's slack.
 * 0, -ENOMEM, -E2BIG. After it, only get(), count() and bytes(). */
int sym_knames__seal(struct sym_knames *t)
	__attribute__((warn_unused_result));

size_t sym_knames__count(const struct sym_knames *t);

/* Name number idx (< count, sealed): 0 and *ret_name (valid until
 * sym_knames__free()), -ENOENT past the end, -ENOMEM, -EBADMSG. A repeated
 * idx is a hash probe; a new one decodes its block. */
int sym_knames__get(struct sym_knames *t, uint32_t idx, const char **ret_name)
	__attribute__((warn_unused_result));

/* Bytes kept: compressed blocks, their index, the decoded names and the
 * cache over them (its index estimated from the hashmap's load bound). */
size_t sym_knames__bytes(const struct sym_knames *t);

#endif /* CPROF_SYM_KALLSYMS_NAMES_H */
