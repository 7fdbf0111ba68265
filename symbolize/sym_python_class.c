// SPDX-License-Identifier: MIT
/* sym_python_class: see sym_python_class.h. Dicts of 3.7 to 3.10
 * (Objects/dict-common.h): a PyDictObject's ma_keys (at 32) points to
 * dk_refcnt, dk_size, dk_lookup, dk_usable, dk_nentries and the index
 * table (dk_size slots of 1, 2, 4 or 8 bytes), then the entries (hash, key,
 * value); module and class dicts are combined tables (ma_values NULL). A
 * class is an object whose type has Py_TPFLAGS_TYPE_SUBCLASS; its __dict__
 * is tp_dict. A class member is taken when its hash is co_name's (the str
 * caches it at 24; -1 until computed: then every member is looked at), and
 * only once its __code__ is the very code object: the key may be another
 * str object of the same text. Every walk is bounded by entries, dicts read
 * and nesting. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "symbolize/sym_python_class.h"
#include "symbolize/sym_python_mem.h"

#define MAX_ENTRIES	16384	/* of one dict */
#define MAX_DICTS	256	/* read in one lookup */
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

struct lookup {
	struct sym_py_class *c;
	uint64_t code;
	int64_t hash;		/* co_name's, -1: not known */
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

/* The function object that v is or wraps (classmethod, staticmethod),
 * when its __code__ is the code looked for; 0 otherwise. */
static uint64_t function_of(struct lookup *lk, uint64_t v)
{
	const struct sym_py_class *c = lk->c;
	int err = 0;
	uint64_t type = read64(c, v + 8, &err);

	if (type == c->classmethod_type || type == c->staticmethod_type) {
		v = read64(c, v + WRAPPED, &err);
		type = read64(c, v + 8, &err);
	}
	if (err || type != c->function_type || read64(c, v + c->func_code, &err) != lk->code || err)
		return 0;
	return v;
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

/* The function holding the code in the dict at addr or in the dicts of
 * the classes in it, depth levels down: 1 with it in *ret, 0 when none. */
static int find_function(struct lookup *lk, uint64_t dict, int depth, uint64_t *ret)
{
	uint64_t known[MAX_TYPES][2];
	int nknown = 0, found = 0;
	struct entry *e = NULL;
	long n = entries(lk, dict, &e);

	if (n < 0)
		return 0;
	/* a class's member; a module's functions are not methods */
	for (long i = 0; i < n && !found && depth > 0; i++)
		if ((lk->hash == -1 || (int64_t)e[i].hash == lk->hash) &&
		    (*ret = function_of(lk, e[i].value)))
			found = 1;
	for (long i = 0; i < n && !found && depth < MAX_DEPTH; i++) {
		int err = 0;
		uint64_t type = read64(lk->c, e[i].value + 8, &err);

		if (!err && is_class_type(lk, type, known, &nknown)) {
			uint64_t cls_dict = read64(lk->c, e[i].value + TP_DICT, &err);

			if (!err && cls_dict)
				found = find_function(lk, cls_dict, depth + 1, ret);
		}
	}
	free(e);
	return found;
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

int sym_py_class__qualname(struct sym_py_class *c, uint64_t code, uint64_t name,
			   const char *name_text, uint64_t varnames, int argcount, const char *file,
			   char **ret)
{
	struct lookup lk = { .c = c, .code = code };
	uint64_t first, dict = 0, func = 0, qualname;
	size_t qn, nn;
	int err = 0;
	char *q;

	if (!sym_py_class__usable(c) || argcount < 1)
		return -ENOENT;
	lk.hash = (int64_t)read64(c, name + 24, &err);	/* PyASCIIObject.hash */
	if (err)
		return err;
	first = read64(c, varnames + TUPLE_ITEMS, &err);
	if (err)
		return err;
	if (!str_is(c, first, "self") && !str_is(c, first, "cls"))
		return -ENOENT;
	if ((err = module_dict(&lk, file, &dict)))
		return err;
	if (!find_function(&lk, dict, 0, &func))
		return -ENOENT;
	qualname = read64(c, func + c->func_qualname, &err);
	if (err)
		return err;
	if ((err = c->str(c->str_ctx, qualname, &q)))
		return err;
	/* functools.wraps gives a wrapper (whose code many functions share)
	 * the wrapped one's __qualname__: it must end in this code's name */
	qn = strlen(q), nn = strlen(name_text);
	if (qn < nn || strcmp(q + qn - nn, name_text) || (qn > nn && q[qn - nn - 1] != '.')) {
		free(q);
		return -ENOENT;
	}
	*ret = q;
	return 0;
}
