// SPDX-License-Identifier: MIT
/* flamegraph_names: the frame names of a flame graph, sanitized to valid
 * UTF-8 once, when interned, so every writer can trust them; one table per
 * tree, hashed with FNV-1a. Depends on nothing outside export/flamegraph*. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "export/flamegraph_tree.h"

static uint64_t hash_bytes(const void *buf, size_t len)
{
	const unsigned char *b = buf;
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++) {
		h ^= b[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Length of the valid UTF-8 sequence at s (n bytes available), 0 if invalid.
 * Rejects overlongs, surrogates, > U+10FFFF and the XML-forbidden U+FFFE/F. */
size_t flamegraph_names__utf8_valid(const unsigned char *s, size_t n, uint32_t *ret_cp)
{
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp == 0xfffe || cp == 0xffff)
		return 0;
	*ret_cp = cp;
	return len;
}

size_t flamegraph_names__sanitize(const char *name, char *buf, size_t size)
{
	static const char repl[] = "\xef\xbf\xbd";	/* U+FFFD */
	const unsigned char *s = (const unsigned char *)(name ? name : "");
	size_t n = strlen((const char *)s), i = 0, o = 0, len;
	uint32_t cp;

	if (!size)
		return 0;
	while (i < n) {
		len = flamegraph_names__utf8_valid(s + i, n - i, &cp);
		if (!len || cp < 0x20 || cp == 0x7f) {
			if (o + 3 >= size)
				break;
			memcpy(buf + o, repl, 3);
			o += 3;
			i += len ? len : 1;
			continue;
		}
		if (o + len >= size)
			break;
		memcpy(buf + o, s + i, len);
		o += len;
		i += len;
	}
	buf[o] = '\0';
	return o;
}

void flamegraph_names__release(struct flamegraph_names *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->str[i]);
	free(t->str);
	free(t->hash);
	free(t->slots);
	free(t->scratch);
}

static int flamegraph_names__rehash(struct flamegraph_names *t)
{
	size_t nslots = t->nslots ? t->nslots * 2 : 1024;
	uint32_t *slots = calloc(nslots, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (size_t i = 0; i < t->n; i++) {
		size_t s = t->hash[i] & (nslots - 1);

		while (slots[s])
			s = (s + 1) & (nslots - 1);
		slots[s] = (uint32_t)i + 1;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
	return 0;
}

/* Interns the sanitized form of raw; returns its index or -errno. */
int64_t flamegraph_names__intern(struct flamegraph_names *t, const char *raw)
{
	size_t rawlen = strlen(raw ? raw : ""), need = rawlen * 3 + 1, len, s, hcap;
	uint64_t h;
	char *copy;
	int err;

	err = FLAMEGRAPH_GROW(t->scratch, t->scratch_cap, need);
	if (err)
		return err;
	len = flamegraph_names__sanitize(raw, t->scratch, need);
	h = hash_bytes(t->scratch, len);
	if ((t->n + 1) * 2 > t->nslots) {
		err = flamegraph_names__rehash(t);
		if (err)
			return err;
	}
	for (s = h & (t->nslots - 1); t->slots[s]; s = (s + 1) & (t->nslots - 1)) {
		uint32_t i = t->slots[s] - 1;

		if (t->hash[i] == h && !strcmp(t->str[i], t->scratch))
			return i;
	}
	if (t->n >= UINT32_MAX - 1)
		return -ENOMEM;
	hcap = t->cap;
	err = FLAMEGRAPH_GROW(t->str, t->cap, t->n + 1);
	if (err)
		return err;
	if (hcap != t->cap) {
		uint64_t *nh = realloc(t->hash, t->cap * sizeof(*nh));

		if (!nh) {
			t->cap = hcap;	/* str grew, hash did not: keep them in step */
			return -ENOMEM;
		}
		t->hash = nh;
	}
	copy = strdup(t->scratch);
	if (!copy)
		return -ENOMEM;
	t->str[t->n] = copy;
	t->hash[t->n] = h;
	t->slots[s] = (uint32_t)t->n + 1;
	return t->n++;
}

