// SPDX-License-Identifier: MIT
/* sym_kallsyms: /proc/kallsyms parsing and lookup. Parsing gathers 16-byte
 * records and one buffer of names (offsets, so realloc is safe), sorts them
 * once, and keeps a compact form: addresses as 32-bit offsets from the
 * lowest when all fit in 4 GiB (64-bit otherwise), modules as runs of
 * entries, end markers as a bitmap, names compressed (sym_kallsyms_names).
 * Lines look like "ffffffff81000000 T _stext" or
 * "ffffffffc0a01000 t nft_do_chain\t[nf_tables]".
 * Depends on base/ (fs, vec) and sym_kallsyms_names only; never prints.
 */
#include "symbolize/sym_kallsyms.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/vec.h"
#include "symbolize/sym_kallsyms_names.h"

/* A symbol while parsing: name_off grows in input order, which the sort
 * keeps among equal addresses. */
struct kparsed {
	uint64_t addr;
	uint32_t name_off;
	uint32_t module_idx : 31;
	uint32_t is_marker : 1;
};

struct kmodule {
	char *name; /* NULL for index 0 */
	uint64_t start, limit;
};

/* Entries [first, the next run's first) belong to module module_idx. */
struct krun {
	uint32_t first;
	uint32_t module_idx;
};

/* Entries are the parsed symbols sorted by address, real functions before
 * end markers at one address, then input order. Entry i's end is the next
 * address's start (ksym_end()). */
struct sym_kallsyms {
	size_t n;
	uint64_t base;
	uint32_t *off32;	/* address - base, when every one fits */
	uint64_t *addr64;	/* otherwise the addresses; one of the two when n */
	uint64_t *markers;	/* bit i: entry i is an end marker */
	struct krun *runs;
	size_t nruns;
	struct sym_knames *names; /* name i is entry i's; its cache is mutable */
	struct kmodule *mods;
	size_t nmods, mods_cap;
	bool restricted;
};

/* What parsing gathers before finish() compacts it. */
struct kallsyms_parse {
	struct sym_kallsyms *k;
	struct kparsed *syms;
	size_t n, cap;
	char *names;
	size_t names_len, names_cap;
	bool seen_any, seen_nonzero;
};

static uint64_t entry_addr(const struct sym_kallsyms *k, size_t i)
{
	return k->off32 ? k->base + k->off32[i] : k->addr64[i];
}

static bool entry_is_marker(const struct sym_kallsyms *k, size_t i)
{
	return k->markers[i / 64] >> (i % 64) & 1;
}

static uint32_t entry_module(const struct sym_kallsyms *k, size_t i)
{
	size_t lo = 0, hi = k->nruns;

	/* the last run starting at or below i; runs[0].first is 0 */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->runs[mid].first <= i)
			lo = mid;
		else
			hi = mid;
	}
	return k->runs[lo].module_idx;
}

static int add_name(struct kallsyms_parse *c, const char *s, size_t len, uint32_t *ret_off)
{
	if (c->names_len + len + 1 > c->names_cap) {
		size_t ncap = c->names_cap ? c->names_cap * 2 : 1 << 16;
		char *nn;

		while (ncap < c->names_len + len + 1)
			ncap *= 2;
		if (ncap > UINT32_MAX)
			return -E2BIG;
		nn = realloc(c->names, ncap);
		if (!nn)
			return -ENOMEM;
		c->names = nn;
		c->names_cap = ncap;
	}
	memcpy(c->names + c->names_len, s, len);
	c->names[c->names_len + len] = '\0';
	*ret_off = (uint32_t)c->names_len;
	c->names_len += len + 1;
	return 0;
}

/* Module index for name (creating it). Searched newest first: module
 * symbols come in runs, so the first comparison usually hits. */
static int module_index(struct sym_kallsyms *k, const char *name, size_t len, uint32_t *ret_idx)
{
	char *copy;

	for (size_t i = k->nmods; i-- > 1;) {
		const char *m = k->mods[i].name;

		if (strlen(m) == len && memcmp(m, name, len) == 0) {
			*ret_idx = (uint32_t)i;
			return 0;
		}
	}
	if (VEC_RESERVE(k->mods, k->nmods, k->mods_cap, 1))
		return -ENOMEM;
	copy = strndup(name, len);
	if (!copy)
		return -ENOMEM;
	k->mods[k->nmods] = (struct kmodule){ .name = copy };
	*ret_idx = (uint32_t)k->nmods++;
	return 0;
}

#define WHITESPACE " \t\n\v\f\r"

static bool is_end_marker(const char *name)
{
	static const char *const markers[] = { "_etext", "_einittext", "__init_end",
					       "__indirect_thunk_end", "_end", "__entry_text_end" };

	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
		if (strcmp(name, markers[i]) == 0)
			return true;
	return false;
}

static int parse_line(struct kallsyms_parse *c, char *line)
{
	struct sym_kallsyms *k = c->k;
	unsigned long long addr;
	char type;
	char *name, *end, *mod;
	struct kparsed s = { 0 };
	int err;

	/* what sscanf("%llx %c %n") reads, at a fraction of its cost (a third
	 * of the parse): a kernel lists 100k and more lines */
	addr = strtoull(line, &name, 16);
	if (name == line)
		return 0;
	name += strspn(name, WHITESPACE);
	type = *name;
	if (type != 't' && type != 'T' && type != 'w' && type != 'W')
		return 0;
	name += 1 + strspn(name + 1, WHITESPACE);
	c->seen_any = true;
	if (addr == 0)
		return 0;
	c->seen_nonzero = true;

	end = name + strcspn(name, " \t\r\n");
	mod = end + strspn(end, " \t");
	if (end == name)
		return 0;
	if (*mod == '[') {
		char *close = strchr(mod, ']');
		uint32_t midx;

		if (!close)
			return 0;
		err = module_index(k, mod + 1, (size_t)(close - mod - 1), &midx);
		if (err < 0)
			return err;
		if (midx >= 1u << 31)
			return -E2BIG;
		s.module_idx = midx;
	}
	*end = '\0';
	if (c->n >= UINT32_MAX)
		return -E2BIG;
	if (VEC_RESERVE(c->syms, c->n, c->cap, 1))
		return -ENOMEM;
	err = add_name(c, name, (size_t)(end - name), &s.name_off);
	if (err < 0)
		return err;
	s.addr = addr;
	s.is_marker = is_end_marker(name);
	c->syms[c->n++] = s;
	return 0;
}

static int cmp_kparsed(const void *a, const void *b)
{
	const struct kparsed *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* at one address, real functions before end markers, then input order */
	if (x->is_marker != y->is_marker)
		return x->is_marker ? 1 : -1;
	return x->name_off < y->name_off ? -1 : x->name_off > y->name_off;
}

/* Where entry i ends: at the next address, but not past
 * SYM_KALLSYMS_MAX_SPAN into another module or off the end. */
static uint64_t ksym_end(const struct sym_kallsyms *k, size_t i)
{
	uint64_t addr = entry_addr(k, i), end;
	size_t j = i + 1;

	while (j < k->n && entry_addr(k, j) == addr)
		j++;
	if (j < k->n) {
		end = entry_addr(k, j);
		if (end - addr > SYM_KALLSYMS_MAX_SPAN && entry_module(k, j) != entry_module(k, i))
			end = addr + SYM_KALLSYMS_MAX_SPAN;
		return end;
	}
	end = addr + SYM_KALLSYMS_MAX_SPAN;
	return end < addr ? UINT64_MAX : end;
}

/* The sorted records c->syms as k's compact arrays and compressed names. */
static int compact(struct kallsyms_parse *c)
{
	struct sym_kallsyms *k = c->k;
	size_t n = c->n, runs_cap = 0;
	int err;

	k->names = sym_knames__new();
	k->markers = calloc((n + 63) / 64, sizeof(*k->markers));
	if (!k->names || !k->markers)
		return -ENOMEM;
	k->base = c->syms[0].addr;
	if (c->syms[n - 1].addr - k->base <= UINT32_MAX)
		k->off32 = malloc(n * sizeof(*k->off32));
	else
		k->addr64 = malloc(n * sizeof(*k->addr64));
	if (!k->off32 && !k->addr64)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const struct kparsed *s = &c->syms[i];

		if (k->off32)
			k->off32[i] = (uint32_t)(s->addr - k->base);
		else
			k->addr64[i] = s->addr;
		if (s->is_marker)
			k->markers[i / 64] |= 1ull << (i % 64);
		if (!k->nruns || k->runs[k->nruns - 1].module_idx != s->module_idx) {
			if (VEC_RESERVE(k->runs, k->nruns, runs_cap, 1))
				return -ENOMEM;
			k->runs[k->nruns++] = (struct krun){ .first = (uint32_t)i,
							     .module_idx = s->module_idx };
		}
		err = sym_knames__add(k->names, c->names + s->name_off);
		if (err < 0)
			return err;
	}
	k->n = n;
	if (k->nruns < runs_cap) {
		void *p = realloc(k->runs, k->nruns * sizeof(*k->runs));

		if (p)
			k->runs = p;
	}
	return sym_knames__seal(k->names);
}

static int finish(struct kallsyms_parse *c)
{
	struct sym_kallsyms *k = c->k;
	int err;

	if (c->n) {
		qsort(c->syms, c->n, sizeof(*c->syms), cmp_kparsed);
		err = compact(c);
		if (err < 0)
			return err;
	}
	for (size_t m = 0; m < k->nmods; m++) {
		k->mods[m].start = UINT64_MAX;
		k->mods[m].limit = 0;
	}
	for (size_t i = 0; i < k->n; i++) {
		struct kmodule *m = &k->mods[c->syms[i].module_idx];
		uint64_t end = ksym_end(k, i);

		if (c->syms[i].addr < m->start)
			m->start = c->syms[i].addr;
		if (end > m->limit)
			m->limit = end;
	}
	for (size_t m = 0; m < k->nmods; m++)
		if (k->mods[m].start == UINT64_MAX)
			k->mods[m].start = 0;
	return 0;
}

static int on_line(char *line, void *ctx)
{
	return parse_line(ctx, line);
}

struct sym_kallsyms *sym_kallsyms__parse(FILE *f)
{
	struct kallsyms_parse c = { .k = calloc(1, sizeof(*c.k)) };
	struct sym_kallsyms *k = c.k;
	int err = 0;

	if (!k)
		return NULL;
	if (VEC_RESERVE(k->mods, k->nmods, k->mods_cap, 1)) {
		err = -ENOMEM;
		goto out_free;
	}
	k->mods[k->nmods++] = (struct kmodule){ 0 }; /* the core kernel */
	err = fs__each_line(f, on_line, &c);
	if (err < 0)
		goto out_free;
	k->restricted = c.seen_any && !c.seen_nonzero;
	err = finish(&c);
	if (err < 0)
		goto out_free;
	free(c.syms);
	free(c.names);
	return k;

out_free:
	free(c.syms);
	free(c.names);
	sym_kallsyms__free(k);
	errno = -err;
	return NULL;
}

static void *parse_cb(FILE *f, void *ctx)
{
	(void)ctx;
	return sym_kallsyms__parse(f);
}

struct sym_kallsyms *sym_kallsyms__parse_string(const char *text)
{
	return fs__parse_string(text, parse_cb, NULL);
}

struct sym_kallsyms *sym_kallsyms__load(void)
{
	return fs__parse_path("/proc/kallsyms", parse_cb, NULL);
}

int sym_kallsyms__probe_hidden(const char *path)
{
	char buf[16384], *line, *nl;
	bool any = false;
	size_t len = 0;
	ssize_t n;
	int fd, err = 0;

	fd = open(path ? path : "/proc/kallsyms", O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	while (len < sizeof(buf) - 1) {
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = -errno;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (err)
		return err;
	buf[len] = '\0';
	/* Whole lines only: the last one may be cut by the bound. */
	for (line = buf; (nl = strchr(line, '\n')); line = nl + 1) {
		char *end;
		unsigned long long addr;

		*nl = '\0';
		errno = 0;
		addr = strtoull(line, &end, 16);
		if (end == line || errno || (*end != ' ' && *end != '\t'))
			continue;	/* not a kallsyms line */
		if (addr)
			return 0;
		any = true;
	}
	return any;
}

void sym_kallsyms__free(struct sym_kallsyms *k)
{
	if (!k)
		return;
	free(k->off32);
	free(k->addr64);
	free(k->markers);
	free(k->runs);
	sym_knames__free(k->names);
	for (size_t m = 0; m < k->nmods; m++)
		free(k->mods[m].name);
	free(k->mods);
	free(k);
}

size_t sym_kallsyms__count(const struct sym_kallsyms *k)
{
	return k->n;
}

bool sym_kallsyms__restricted(const struct sym_kallsyms *k)
{
	return k->restricted;
}

size_t sym_kallsyms__bytes(const struct sym_kallsyms *k)
{
	size_t bytes = sizeof(*k) + k->mods_cap * sizeof(*k->mods);

	if (k->n)
		bytes += k->n * (k->off32 ? sizeof(*k->off32) : sizeof(*k->addr64)) +
			 (k->n + 63) / 64 * sizeof(*k->markers) + k->nruns * sizeof(*k->runs) +
			 sym_knames__bytes(k->names);
	for (size_t m = 1; m < k->nmods; m++)
		bytes += strlen(k->mods[m].name) + 1;
	return bytes;
}

int sym_kallsyms__lookup(const struct sym_kallsyms *k, uint64_t addr, struct sym_ksym *ret)
{
	size_t lo = 0, hi = k->n, i;
	uint64_t end;
	const char *name;
	int err;

	/* first entry with start > addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (entry_addr(k, mid) <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return -ENOENT;
	/* several names may share one address: take the first of the run */
	i = lo - 1;
	while (i > 0 && entry_addr(k, i - 1) == entry_addr(k, i))
		i--;
	if (entry_is_marker(k, i))
		return -ENOENT;
	end = ksym_end(k, i);
	if (addr >= end)
		return -ENOENT;
	/* k is const to the caller; the names' cache of decoded names is not */
	err = sym_knames__get(k->names, (uint32_t)i, &name);
	if (err < 0)
		return err;
	ret->addr = entry_addr(k, i);
	ret->end = end;
	ret->name = name;
	ret->module_idx = entry_module(k, i);
	ret->module = k->mods[ret->module_idx].name;
	return 0;
}

size_t sym_kallsyms__nmodules(const struct sym_kallsyms *k)
{
	return k->nmods;
}

int sym_kallsyms__module(const struct sym_kallsyms *k, uint32_t idx, const char **ret_name,
			 uint64_t *ret_start, uint64_t *ret_limit)
{
	if (idx >= k->nmods)
		return -ENOENT;
	if (ret_name)
		*ret_name = k->mods[idx].name;
	if (ret_start)
		*ret_start = k->mods[idx].start;
	if (ret_limit)
		*ret_limit = k->mods[idx].limit;
	return 0;
}
