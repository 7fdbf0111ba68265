/* SPDX-License-Identifier: MIT */
/* hash: the one FNV-1a of the tree (64-bit), for the hash tables in base/
 * hashmap and for content keys (stacks, samples, strings). Not for anything
 * an adversary chooses to collide against a secret: FNV-1a is unkeyed. The
 * BPF side keeps its own copy in bpf/sample.bpf.c (another compiler).
 * Header-only, libc only.
 */
#ifndef CPROF_BASE_HASH_H
#define CPROF_BASE_HASH_H

#include <stddef.h>
#include <stdint.h>

#define HASH_FNV1A_SEED  0xcbf29ce484222325ULL	/* FNV-1a 64 offset basis */
#define HASH_FNV1A_PRIME 0x100000001b3ULL

/* h folded with len bytes at buf; start with HASH_FNV1A_SEED (or a seed
 * derived from it, to tell key kinds apart). */
static inline uint64_t hash__fnv1a(uint64_t h, const void *buf, size_t len)
{
	const unsigned char *b = buf;

	for (size_t i = 0; i < len; i++)
		h = (h ^ b[i]) * HASH_FNV1A_PRIME;
	return h;
}

/* FNV-1a of the NUL-terminated s, the NUL excluded. */
static inline uint64_t hash__fnv1a_str(const char *s)
{
	uint64_t h = HASH_FNV1A_SEED;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * HASH_FNV1A_PRIME;
	return h;
}

/* 64 -> 32 bits, both halves kept (what base/hashmap stores). */
static inline uint32_t hash__fold(uint64_t h)
{
	return (uint32_t)(h ^ (h >> 32));
}

#endif /* CPROF_BASE_HASH_H */
