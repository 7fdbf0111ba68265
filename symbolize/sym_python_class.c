// SPDX-License-Identifier: MIT
/* sym_python_class: see sym_python_class.h. Dicts of 3.7 to 3.10
 * (Objects/dict-common.h): a PyDictObject's ma_keys (at 32) points to
 * dk_refcnt, dk_size, dk_lookup, dk_usable, dk_nentries and the index
 * table (dk_size slots of 1, 2, 4 or 8 bytes), then the entries (hash, key,
 * value); module and class dicts are combined tables (ma_values NULL). A
 * class is an object whose type has Py_TPFLAGS_TYPE_SUBCLASS; its __dict__
 * is tp_dict. A module is walked whole at once: each function its classes
 * hold (plain, classmethod or staticmethod) goes into an index, code object
 * -> function, so the other methods of the module cost a lookup; a module
 * is walked again (a code object its last walk did not see) at most once a
 * generation. A function found in the index is read again, and used only
 * while it still is a function holding that code object: freed objects'
 * addresses are reused. Every walk is bounded by entries, dicts read and
 * nesting, and the index by its size. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/hash.h"
#include "base/hashmap.h"
#include "base/vec.h"
#include "symbolize/sym_python_class.h"
#include "symbolize/sym_python_mem.h"

#define MAX_ENTRIES	16384	/* of one dict */
#define MAX_DICTS	1024	/* read in one walk */
#define MAX_MODULES	64	/* files whose module was looked for, per process */
#define MAX_INDEXED	(64 * 1024)	/* code objects indexed, per process */
#define FUNC_READ	112	/* bytes of a function read: func_code and func_qualname fit */
#define MAX_DEPTH	3	/* module, class, nested class */
#define MAX_TYPES	32	/* types told apart as classes or not, per dict */
#define TP_FLAGS	168	/* PyTypeObject.tp_flags, 3.7 to 3.10 */
#define TP_DICT		264	/* PyTypeObject.tp_dict */
#define TYPE_SUBCLASS	(1ULL << 31)	/* Py_TPFLAGS_TYPE_SUBCLASS */
#define MODULE_DICT	16	/* PyModuleObject.md_dict */
#define WRAPPED		16	/* classmethod.cm_callable, staticmethod.sm_callable */
#define TUPLE_ITEMS	24	/* PyTupleObject.ob_item */

struct entry {
	uint64_t hash, key, value;
};

struct indexed {
	uint64_t code, func;	/* a code object, the function that held it */
};

struct module {
	char *file;
	uint64_t dict;		/* 0: none has this __file__ */
	uint64_t gen;		/* the generation of its last walk */
};

struct sym_py_class_index {
	struct indexed *e;
	size_t n, cap;
	struct hashmap codes;	/* -> e[]; ctx is this struct */
	struct module mods[MAX_MODULES];
	size_t nmods, next_mod;	/* next_mod: the one to replace when full */
};

struct lookup {
	struct sym_py_class *c;
	struct sym_py_class_index *ix;
	int dicts;		/* read so far */
};

static uint64_t read64(const struct sym_py_class *c, uint64_t addr, int *err)
{
	uint64_t v = 0;

	if (!*err)
		*err = sym_py_mem__read(c->pid, addr, &v, sizeof(v));
	return *err ? 0 : v;
}

/* The live entries of the dict at addr (malloc'd into *ret), their number,
 * or -errno (-ENOTSUP: a split table). */
static long entries(struct lookup *lk, uint64_t dict, struct entry **ret)
{
	uint64_t d[6], k[5], size, ix, n;
	struct entry *e;
	long m = 0;
	int err;

	if (++lk->dicts > MAX_DICTS)
		return -E2BIG;
	if ((err = sym_py_mem__read(lk->c->pid, dict, d, sizeof(d))))
		return err;
	if (d[5])
		return -ENOTSUP;
	if ((err = sym_py_mem__read(lk->c->pid, d[4], k, sizeof(k))))
		return err;
	size = k[1], n = k[4];
	if (!size || (size & (size - 1)) || size > (1ULL << 30) || n > size)
		return -EINVAL;
	if (n > MAX_ENTRIES)
		n = MAX_ENTRIES;
	ix = size <= 0xff ? 1 : size <= 0xffff ? 2 : size <= 0xffffffffULL ? 4 : 8;
	e = malloc((n ? n : 1) * sizeof(*e));
	if (!e)
		return -ENOMEM;
	if ((err = sym_py_mem__read(lk->c->pid, d[4] + 40 + size * ix, e, n * sizeof(*e)))) {
		free(e);
		return err;
	}
	for (uint64_t i = 0; i < n; i++)	/* deleted: no key or no value */
		if (e[i].key && e[i].value)
			e[m++] = e[i];
	*ret = e;
	return m;
}

static uint32_t code_hash(uint64_t code)
{
	return hash__fold(hash__fnv1a(HASH_FNV1A_SEED, &code, sizeof(code)));
}

static bool code_eq(const void *ctx, uint32_t i, const void *key)
{
	return ((const struct sym_py_class_index *)ctx)->e[i].code == *(const uint64_t *)key;
}

/* The function indexed for code: its index in ix->e, or -1. */
static long indexed(const struct sym_py_class_index *ix, uint64_t code)
{
	uint32_t i;

	return hashmap__find(&ix->codes, code_hash(code), &code, &i) ? (long)i : -1;
}

/* The __qualname__ object of f, when f is (still) a function whose
 * __code__ is code; 0 otherwise. */
static uint64_t qualname_of(const struct sym_py_class *c, uint64_t f, uint64_t code)
{
	uint8_t b[FUNC_READ];
	uint64_t type, fcode, q;

	if (sym_py_mem__read(c->pid, f, b, sizeof(b)))
		return 0;
	memcpy(&type, b + 8, 8);
	memcpy(&fcode, b + c->func_code, 8);
	memcpy(&q, b + c->func_qualname, 8);
	return type == c->function_type && fcode == code ? q : 0;
}

/* Indexes v when it is a function or wraps one (classmethod, staticmethod). */
static int index_member(struct lookup *lk, uint64_t v)
{
	const struct sym_py_class *c = lk->c;
	struct sym_py_class_index *ix = lk->ix;
	uint64_t type, code;
	int err = 0;
	long i;

	type = read64(c, v + 8, &err);
	if (!err && (type == c->classmethod_type || type == c->staticmethod_type)) {
		v = read64(c, v + WRAPPED, &err);
		type = read64(c, v + 8, &err);
	}
	if (err || type != c->function_type)
		return 0;
	code = read64(c, v + c->func_code, &err);
	if (err || !code)
		return 0;
	if ((i = indexed(ix, code)) >= 0) {
		ix->e[i].func = v;	/* a stale entry's code now held by v */
		return 0;
	}
	if (ix->n >= MAX_INDEXED) {	/* whole, as sym_python drops its codes */
		ix->n = 0;
		hashmap__clear(&ix->codes);
	}
	if (VEC_RESERVE(ix->e, ix->n, ix->cap, 1) || hashmap__reserve(&ix->codes, 1))
		return -ENOMEM;
	ix->e[ix->n] = (struct indexed){ .code = code, .func = v };
	hashmap__add(&ix->codes, code_hash(code), (uint32_t)ix->n++);
	return 0;
}

/* Whether objects of type t are classes; known[] remembers the answers of
 * one dict's walk. */
static bool is_class_type(struct lookup *lk, uint64_t t, uint64_t known[][2], int *nknown)
{
	int err = 0;
	uint64_t flags;

	for (int i = 0; i < *nknown; i++)
		if (known[i][0] == t)
			return known[i][1];
	flags = read64(lk->c, t + TP_FLAGS, &err);
	if (*nknown < MAX_TYPES) {
		known[*nknown][0] = t;
		known[(*nknown)++][1] = !err && (flags & TYPE_SUBCLASS);
	}
	return !err && (flags & TYPE_SUBCLASS);
}

/* Indexes the functions of the classes in the dict at addr (a module's at
 * depth 0: its own functions are no methods), and of the classes in
 * those. 0 or -ENOMEM. */
static int walk(struct lookup *lk, uint64_t dict, int depth)
{
	uint64_t known[MAX_TYPES][2];
	struct entry *e = NULL;
	long n = entries(lk, dict, &e);
	int nknown = 0, err = 0;

	if (n < 0)
		return 0;
	for (long i = 0; i < n && !err; i++) {
		int rerr = 0;
		uint64_t type = read64(lk->c, e[i].value + 8, &rerr), cls_dict;

		if (rerr)
			continue;
		if (depth < MAX_DEPTH && is_class_type(lk, type, known, &nknown)) {
			cls_dict = read64(lk->c, e[i].value + TP_DICT, &rerr);
			if (!rerr && cls_dict)
				err = walk(lk, cls_dict, depth + 1);
		} else if (depth > 0) {
			err = index_member(lk, e[i].value);
		}
	}
	free(e);
	return err;
}

/* Whether the str at addr reads s. */
static bool str_is(const struct sym_py_class *c, uint64_t addr, const char *s)
{
	char *t = NULL;
	bool eq = c->str(c->str_ctx, addr, &t) == 0 && !strcmp(t, s);

	free(t);
	return eq;
}

/* The dict of the module whose __file__ is file, from sys.modules. */
static int module_dict(struct lookup *lk, const char *file, uint64_t *ret)
{
	struct sym_py_class *c = lk->c;
	struct entry *mods = NULL;
	int err = 0, found = 0;
	uint64_t interp = read64(c, c->runtime + c->interp_head, &err);
	uint64_t modules = read64(c, interp + c->interp_modules, &err);
	long n;

	if (err)
		return err;
	n = entries(lk, modules, &mods);
	if (n < 0)
		return (int)n;
	for (long i = 0; i < n && !found; i++) {
		struct entry *g = NULL;
		uint64_t md;
		long m;

		err = 0;
		if (read64(c, mods[i].value + 8, &err) != c->module_type || err)
			continue;
		md = read64(c, mods[i].value + MODULE_DICT, &err);
		if (err || !md || (m = entries(lk, md, &g)) < 0)
			continue;
		for (long j = 0; j < m; j++) {
			/* "__file__" is interned: one object for every module */
			if (!c->file_key && str_is(c, g[j].key, "__file__"))
				c->file_key = g[j].key;
			if (g[j].key != c->file_key)
				continue;
			if (str_is(c, g[j].value, file)) {
				*ret = md;
				found = 1;
			}
			break;
		}
		free(g);
	}
	free(mods);
	return found ? 0 : -ENOENT;
}

/* The module entry for file, walked this generation (a new one, or a
 * known one whose code objects the index lacks). */
static int module_of(struct lookup *lk, const char *file, uint64_t gen, struct module **ret)
{
	struct sym_py_class_index *ix = lk->ix;
	struct module *m = NULL;
	int err;

	for (size_t i = 0; i < ix->nmods && !m; i++)
		if (!strcmp(ix->mods[i].file, file))
			m = &ix->mods[i];
	if (m && m->gen == gen)
		return -ENOENT;		/* walked this generation: no luck */
	if (!m) {
		char *f = strdup(file);

		if (!f)
			return -ENOMEM;
		if (ix->nmods < MAX_MODULES) {
			m = &ix->mods[ix->nmods++];
		} else {
			m = &ix->mods[ix->next_mod];
			ix->next_mod = (ix->next_mod + 1) % MAX_MODULES;
			free(m->file);
		}
		*m = (struct module){ .file = f };
		err = module_dict(lk, file, &m->dict);
		if (err && err != -ENOENT) {
			m->dict = 0;	/* tried again next generation */
			return err;
		}
	}
	m->gen = gen;
	if (m->dict && (err = walk(lk, m->dict, 0)))
		return err;
	*ret = m;
	return 0;
}

int sym_py_class__qualname(struct sym_py_class *c, uint64_t gen, uint64_t code,
			   const char *name, uint64_t varnames, int argcount, const char *file,
			   char **ret)
{
	struct lookup lk = { .c = c };
	uint64_t first, qualname;
	struct module *m;
	size_t qn, nn;
	int err = 0;
	char *q;
	long i;

	if (!sym_py_class__usable(c) || argcount < 1)
		return -ENOENT;
	first = read64(c, varnames + TUPLE_ITEMS, &err);
	if (err)
		return err;
	if (!str_is(c, first, "self") && !str_is(c, first, "cls"))
		return -ENOENT;
	if (!c->ix) {
		c->ix = calloc(1, sizeof(*c->ix));
		if (!c->ix)
			return -ENOMEM;
		hashmap__init(&c->ix->codes, code_eq, c->ix);
	}
	lk.ix = c->ix;
	i = indexed(c->ix, code);
	qualname = i >= 0 ? qualname_of(c, c->ix->e[i].func, code) : 0;
	if (!qualname && !(err = module_of(&lk, file, gen, &m))) {
		i = indexed(c->ix, code);
		qualname = i >= 0 ? qualname_of(c, c->ix->e[i].func, code) : 0;
	}
	if (!qualname)
		return err ? err : -ENOENT;
	if ((err = c->str(c->str_ctx, qualname, &q)))
		return err;
	/* functools.wraps gives a wrapper (whose code many functions share)
	 * the wrapped one's __qualname__: it must end in this code's name */
	qn = strlen(q), nn = strlen(name);
	if (qn < nn || strcmp(q + qn - nn, name) || (qn > nn && q[qn - nn - 1] != '.')) {
		free(q);
		return -ENOENT;
	}
	*ret = q;
	return 0;
}

void sym_py_class__release(struct sym_py_class *c)
{
	if (!c->ix)
		return;
	for (size_t i = 0; i < c->ix->nmods; i++)
		free(c->ix->mods[i].file);
	free(c->ix->e);
	hashmap__release(&c->ix->codes);
	free(c->ix);
	c->ix = NULL;
}
