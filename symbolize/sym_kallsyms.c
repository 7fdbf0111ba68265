// SPDX-License-Identifier: MIT
/* sym_kallsyms: /proc/kallsyms parsing and lookup. Names live in one growing
 * buffer (offsets while parsing, so realloc is safe); symbols are sorted once
 * after parsing. Lines look like "ffffffff81000000 T _stext" or
 * "ffffffffc0a01000 t nft_do_chain\t[nf_tables]".
 * Depends on base/ (fs, vec) only; never prints.
 */
#include "symbolize/sym_kallsyms.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fs.h"
#include "base/vec.h"

/* 16 bytes: a kernel has 100k and more. The end is the next address's
 * start (ksym_end()); name_off grows in input order, which the sort keeps
 * among equal addresses. */
struct ksym {
	uint64_t addr;
	uint32_t name_off;
	uint32_t module_idx : 31;
	uint32_t is_marker : 1;
};

struct kmodule {
	uint32_t name_off; /* unused for index 0 */
	uint64_t start, limit;
};

struct sym_kallsyms {
	struct ksym *syms;
	size_t n, cap;
	char *names;
	size_t names_len, names_cap;
	struct kmodule *mods;
	size_t nmods, mods_cap;
	bool restricted;
};

static int add_name(struct sym_kallsyms *k, const char *s, size_t len, uint32_t *ret_off)
{
	if (k->names_len + len + 1 > k->names_cap) {
		size_t ncap = k->names_cap ? k->names_cap * 2 : 1 << 16;
		char *nn;

		while (ncap < k->names_len + len + 1)
			ncap *= 2;
		if (ncap > UINT32_MAX)
			return -E2BIG;
		nn = realloc(k->names, ncap);
		if (!nn)
			return -ENOMEM;
		k->names = nn;
		k->names_cap = ncap;
	}
	memcpy(k->names + k->names_len, s, len);
	k->names[k->names_len + len] = '\0';
	*ret_off = (uint32_t)k->names_len;
	k->names_len += len + 1;
	return 0;
}

/* Module index for name (creating it). Searched newest first: module
 * symbols come in runs, so the first comparison usually hits. */
static int module_index(struct sym_kallsyms *k, const char *name, size_t len, uint32_t *ret_idx)
{
	uint32_t off;
	int err;

	for (size_t i = k->nmods; i-- > 1;) {
		const char *m = k->names + k->mods[i].name_off;

		if (strlen(m) == len && memcmp(m, name, len) == 0) {
			*ret_idx = (uint32_t)i;
			return 0;
		}
	}
	if (VEC_RESERVE(k->mods, k->nmods, k->mods_cap, 1))
		return -ENOMEM;
	err = add_name(k, name, len, &off);
	if (err < 0)
		return err;
	k->mods[k->nmods] = (struct kmodule){ .name_off = off };
	*ret_idx = (uint32_t)k->nmods++;
	return 0;
}

static bool is_end_marker(const char *name)
{
	static const char *const markers[] = { "_etext", "_einittext", "__init_end",
					       "__indirect_thunk_end", "_end", "__entry_text_end" };

	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++)
		if (strcmp(name, markers[i]) == 0)
			return true;
	return false;
}

static int parse_line(struct sym_kallsyms *k, char *line, bool *ret_seen_nonzero, bool *ret_seen_any)
{
	uint64_t addr;
	char type;
	int pos = 0;
	char *name, *end, *mod;
	struct ksym s = { 0 };
	int err;

	if (sscanf(line, "%" SCNx64 " %c %n", &addr, &type, &pos) != 2 || !pos)
		return 0;
	if (type != 't' && type != 'T' && type != 'w' && type != 'W')
		return 0;
	*ret_seen_any = true;
	if (addr == 0)
		return 0;
	*ret_seen_nonzero = true;

	name = line + pos;
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
	if (VEC_RESERVE(k->syms, k->n, k->cap, 1))
		return -ENOMEM;
	err = add_name(k, name, (size_t)(end - name), &s.name_off);
	if (err < 0)
		return err;
	s.addr = addr;
	s.is_marker = is_end_marker(name);
	k->syms[k->n++] = s;
	return 0;
}

static int cmp_ksym(const void *a, const void *b)
{
	const struct ksym *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	/* at one address, real functions before end markers, then input order */
	if (x->is_marker != y->is_marker)
		return x->is_marker ? 1 : -1;
	return x->name_off < y->name_off ? -1 : x->name_off > y->name_off;
}

/* Where symbol i ends: at the next address, but not past
 * SYM_KALLSYMS_MAX_SPAN into another module or off the end. */
static uint64_t ksym_end(const struct sym_kallsyms *k, size_t i)
{
	const struct ksym *s = &k->syms[i];
	size_t j = i + 1;
	uint64_t end;

	while (j < k->n && k->syms[j].addr == s->addr)
		j++;
	if (j < k->n) {
		end = k->syms[j].addr;
		if (k->syms[j].module_idx != s->module_idx && end - s->addr > SYM_KALLSYMS_MAX_SPAN)
			end = s->addr + SYM_KALLSYMS_MAX_SPAN;
		return end;
	}
	end = s->addr + SYM_KALLSYMS_MAX_SPAN;
	return end < s->addr ? UINT64_MAX : end;
}

static void finish(struct sym_kallsyms *k)
{
	void *p;

	if (k->n)
		qsort(k->syms, k->n, sizeof(*k->syms), cmp_ksym);
	/* parsing doubled them as it went: give back the slack */
	if (k->n && (p = realloc(k->syms, k->n * sizeof(*k->syms))))
		k->syms = p, k->cap = k->n;
	if (k->names_len && (p = realloc(k->names, k->names_len)))
		k->names = p, k->names_cap = k->names_len;
	for (size_t m = 0; m < k->nmods; m++) {
		k->mods[m].start = UINT64_MAX;
		k->mods[m].limit = 0;
	}
	for (size_t i = 0; i < k->n; i++) {
		struct kmodule *m = &k->mods[k->syms[i].module_idx];
		uint64_t end = ksym_end(k, i);

		if (k->syms[i].addr < m->start)
			m->start = k->syms[i].addr;
		if (end > m->limit)
			m->limit = end;
	}
	for (size_t m = 0; m < k->nmods; m++)
		if (k->mods[m].start == UINT64_MAX)
			k->mods[m].start = 0;
}

struct kallsyms_parse {
	struct sym_kallsyms *k;
	bool seen_any, seen_nonzero;
};

static int on_line(char *line, void *ctx)
{
	struct kallsyms_parse *c = ctx;

	return parse_line(c->k, line, &c->seen_nonzero, &c->seen_any);
}

struct sym_kallsyms *sym_kallsyms__parse(FILE *f)
{
	struct kallsyms_parse c = { .k = calloc(1, sizeof(*c.k)) };
	struct sym_kallsyms *k = c.k;
	int err = 0;

	if (!k)
		return NULL;
	k->mods_cap = 16;
	k->mods = calloc(k->mods_cap, sizeof(*k->mods));
	if (!k->mods) {
		err = -ENOMEM;
		goto out_free;
	}
	k->nmods = 1; /* the core kernel */
	err = fs__each_line(f, on_line, &c);
	if (err < 0)
		goto out_free;
	k->restricted = c.seen_any && !c.seen_nonzero;
	finish(k);
	return k;

out_free:
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
	free(k->syms);
	free(k->names);
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

int sym_kallsyms__lookup(const struct sym_kallsyms *k, uint64_t addr, struct sym_ksym *ret)
{
	size_t lo = 0, hi = k->n;
	const struct ksym *s;

	/* first symbol with start > addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (k->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return -ENOENT;
	/* several names may share one address: take the first of the run */
	s = &k->syms[lo - 1];
	while (s > k->syms && (s - 1)->addr == s->addr)
		s--;
	if (s->is_marker || addr >= ksym_end(k, (size_t)(s - k->syms)))
		return -ENOENT;
	ret->addr = s->addr;
	ret->end = ksym_end(k, (size_t)(s - k->syms));
	ret->name = k->names + s->name_off;
	ret->module_idx = s->module_idx;
	ret->module = s->module_idx ? k->names + k->mods[s->module_idx].name_off : NULL;
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
		*ret_name = idx ? k->names + k->mods[idx].name_off : NULL;
	if (ret_start)
		*ret_start = k->mods[idx].start;
	if (ret_limit)
		*ret_limit = k->mods[idx].limit;
	return 0;
}
