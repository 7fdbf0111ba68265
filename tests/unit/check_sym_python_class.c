// SPDX-License-Identifier: MIT
/* sym_python_class on a fake CPython 3.9 heap built in this process (read
 * back through process_vm_readv of our own pid): sys.modules, a module with
 * its __file__, classes (one nested, one holding itself), a plain method, a
 * classmethod, a wrapper that wraps() gave another __qualname__; and dicts
 * that lie about their sizes. A method's __qualname__ is found; nothing is
 * guessed; every walk ends. */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "symbolize/sym_python_class.h"

/* 3.9's offsets (sym_python.c's class_offsets and layouts) */
#define INTERP_HEAD	32
#define INTERP_MODULES	856
#define FUNC_CODE	16
#define FUNC_QUALNAME	104

static uint64_t module_type, function_type, classmethod_type, staticmethod_type;

struct fake_str {
	uint64_t refcnt, type;
	char text[48];
};

struct fake_dict {
	uint64_t refcnt, type, used, version, keys, values;
	/* the keys object: refcnt, size, lookup, usable, nentries, 8 one-byte
	 * indices, then (hash, key, value) entries */
	uint64_t k_refcnt, k_size, k_lookup, k_usable, k_nentries;
	uint8_t indices[8];
	uint64_t entries[8][3];
};

struct fake_obj {	/* a module, class, function or classmethod: big enough for any */
	uint64_t refcnt, type;
	uint64_t words[40];
};

struct heap {
	uint64_t runtime[8], interp[INTERP_MODULES / 8 + 1];
	struct fake_dict modules, mod_dict, cls_dict, inner_dict, loop_dict;
	struct fake_obj module, metatype, cls, inner, loop, method, cm, cm_func, wrapper, spin;
	struct fake_str s_file, s_path, s_self, s_x, s_q_method, s_q_cm, s_q_inner, s_q_wrapped;
	uint64_t varnames_self[4], varnames_x[4];
	uint64_t code_method, code_cm, code_inner, code_wrapper, code_nowhere;
};

static void str_init(struct fake_str *s, const char *text)
{
	s->refcnt = 1;
	snprintf(s->text, sizeof(s->text), "%s", text);
}

static void dict_init(struct fake_dict *d)
{
	d->refcnt = 1;
	d->keys = (uint64_t)(uintptr_t)&d->k_refcnt;
	d->k_size = 8;
}

static void dict_put(struct fake_dict *d, void *key, void *value)
{
	uint64_t i = d->k_nentries++;

	d->entries[i][0] = 1000 + i;
	d->entries[i][1] = (uint64_t)(uintptr_t)key;
	d->entries[i][2] = (uint64_t)(uintptr_t)value;
}

static void func_init(struct fake_obj *f, uint64_t *code, struct fake_str *qualname)
{
	f->type = function_type;
	f->words[(FUNC_CODE - 16) / 8] = (uint64_t)(uintptr_t)code;
	f->words[(FUNC_QUALNAME - 16) / 8] = (uint64_t)(uintptr_t)qualname;
}

static void class_init(struct heap *h, struct fake_obj *c, struct fake_dict *d)
{
	c->type = (uint64_t)(uintptr_t)&h->metatype;
	c->words[(264 - 16) / 8] = (uint64_t)(uintptr_t)d;	/* tp_dict */
	dict_init(d);
}

static int str_of(const void *ctx, uint64_t addr, char **ret)
{
	(void)ctx;
	if (!addr)
		return -EFAULT;
	*ret = strdup(((const struct fake_str *)(uintptr_t)addr)->text);
	return *ret ? 0 : -ENOMEM;
}

static struct heap *heap_new(struct sym_py_class *c)
{
	struct heap *h = calloc(1, sizeof(*h));

	ck_assert_ptr_nonnull(h);
	h->runtime[INTERP_HEAD / 8] = (uint64_t)(uintptr_t)h->interp;
	h->interp[INTERP_MODULES / 8] = (uint64_t)(uintptr_t)&h->modules;
	str_init(&h->s_file, "__file__");
	str_init(&h->s_path, "/srv/app.py");
	str_init(&h->s_self, "self");
	str_init(&h->s_x, "x");
	str_init(&h->s_q_method, "Cls.method");
	str_init(&h->s_q_cm, "Cls.make");
	str_init(&h->s_q_inner, "Cls.Inner.spin");
	str_init(&h->s_q_wrapped, "Cls.other");	/* what wraps() gave the wrapper */
	h->varnames_self[3] = (uint64_t)(uintptr_t)&h->s_self;
	h->varnames_x[3] = (uint64_t)(uintptr_t)&h->s_x;
	h->metatype.words[(168 - 16) / 8] = 1ULL << 31;	/* Py_TPFLAGS_TYPE_SUBCLASS */

	dict_init(&h->modules);
	h->module.type = module_type;
	h->module.words[0] = (uint64_t)(uintptr_t)&h->mod_dict;	/* md_dict at 16 */
	dict_put(&h->modules, &h->s_x, &h->module);
	dict_init(&h->mod_dict);
	dict_put(&h->mod_dict, &h->s_file, &h->s_path);
	dict_put(&h->mod_dict, &h->s_x, &h->cls);
	dict_put(&h->mod_dict, &h->s_self, &h->loop);
	class_init(h, &h->cls, &h->cls_dict);
	dict_put(&h->cls_dict, &h->s_x, &h->method);
	dict_put(&h->cls_dict, &h->s_x, &h->cm);
	dict_put(&h->cls_dict, &h->s_x, &h->inner);
	dict_put(&h->cls_dict, &h->s_x, &h->wrapper);
	func_init(&h->method, &h->code_method, &h->s_q_method);
	h->cm.type = classmethod_type;
	h->cm.words[0] = (uint64_t)(uintptr_t)&h->cm_func;	/* cm_callable at 16 */
	func_init(&h->cm_func, &h->code_cm, &h->s_q_cm);
	func_init(&h->wrapper, &h->code_wrapper, &h->s_q_wrapped);
	class_init(h, &h->inner, &h->inner_dict);
	dict_put(&h->inner_dict, &h->s_x, &h->method);	/* the same function twice: indexed once */
	func_init(&h->spin, &h->code_inner, &h->s_q_inner);
	dict_put(&h->inner_dict, &h->s_x, &h->spin);
	/* a class whose dict holds itself: the walk must end */
	class_init(h, &h->loop, &h->loop_dict);
	dict_put(&h->loop_dict, &h->s_x, &h->loop);

	*c = (struct sym_py_class){
		.pid = getpid(), .runtime = (uint64_t)(uintptr_t)h->runtime,
		.interp_head = INTERP_HEAD, .interp_modules = INTERP_MODULES,
		.func_code = FUNC_CODE, .func_qualname = FUNC_QUALNAME, .code_varnames = 72,
		.module_type = module_type, .function_type = function_type,
		.classmethod_type = classmethod_type, .staticmethod_type = staticmethod_type,
		.str = str_of,
	};
	return h;
}

static int qualname(struct sym_py_class *c, uint64_t gen, uint64_t *code, const char *name,
		    uint64_t *varnames, const char *file, char **ret)
{
	return sym_py_class__qualname(c, gen, (uint64_t)(uintptr_t)code, name,
				      (uint64_t)(uintptr_t)varnames, 2, file, ret);
}

static struct sym_py_class c;
static struct heap *h;

static void setup(void)
{
	module_type = (uint64_t)(uintptr_t)&module_type;
	function_type = (uint64_t)(uintptr_t)&function_type;
	classmethod_type = (uint64_t)(uintptr_t)&classmethod_type;
	staticmethod_type = (uint64_t)(uintptr_t)&staticmethod_type;
	h = heap_new(&c);
}

static void teardown(void)
{
	sym_py_class__release(&c);
	free(h);
}

/* The lookup of code (named name, first argument self, in /srv/app.py) in
 * generation gen gives want, or nothing when want is NULL. */
static void want(uint64_t gen, uint64_t *code, const char *name, const char *want)
{
	char *q = NULL;
	int err = qualname(&c, gen, code, name, h->varnames_self, "/srv/app.py", &q);

	if (!want) {
		ck_assert_int_eq(err, -ENOENT);
		return;
	}
	ck_assert_int_eq(err, 0);
	ck_assert_str_eq(q, want);
	free(q);
}

START_TEST(test_sym_py_class__finds_methods_classmethods_and_nested_classes)
{
	want(1, &h->code_method, "method", "Cls.method");
	want(1, &h->code_cm, "make", "Cls.make");
	want(1, &h->code_inner, "spin", "Cls.Inner.spin");
}
END_TEST

START_TEST(test_sym_py_class__guesses_nothing)
{
	char *q = NULL;

	/* a wrapper whose __qualname__ is the wrapped method's: not its name */
	want(1, &h->code_wrapper, "wrapper", NULL);
	/* no function holds it (the self-holding class walked, and ended) */
	want(1, &h->code_nowhere, "gone", NULL);
	/* first argument not self or cls; a file no module has */
	ck_assert_int_eq(qualname(&c, 2, &h->code_method, "method", h->varnames_x,
				  "/srv/app.py", &q), -ENOENT);
	ck_assert_int_eq(qualname(&c, 2, &h->code_nowhere, "method", h->varnames_self,
				  "/srv/other.py", &q), -ENOENT);
}
END_TEST

/* Freed objects' addresses are reused: a function the index knows is
 * read again, and its name taken only while it still holds the code. */
START_TEST(test_sym_py_class__a_function_that_no_longer_holds_the_code_lends_no_name)
{
	want(1, &h->code_method, "method", "Cls.method");
	h->method.words[(FUNC_CODE - 16) / 8] = (uint64_t)(uintptr_t)&h->code_nowhere;
	want(1, &h->code_method, "method", NULL);
	/* the code object's address now another's, held by Inner.spin: found
	 * at the next generation's walk */
	h->spin.words[(FUNC_CODE - 16) / 8] = (uint64_t)(uintptr_t)&h->code_method;
	want(1, &h->code_method, "spin", NULL);
	want(2, &h->code_method, "spin", "Cls.Inner.spin");
}
END_TEST

START_TEST(test_sym_py_class__dicts_that_lie_end_the_walk)
{
	h->cls_dict.k_size = 6;			/* not a power of two */
	want(1, &h->code_method, "method", NULL);
	h->cls_dict.k_size = 8;
	h->cls_dict.k_nentries = 1000;		/* more than its size */
	want(2, &h->code_method, "method", NULL);
	h->cls_dict.k_nentries = 4;
	h->cls_dict.keys = 8;			/* points nowhere */
	want(3, &h->code_method, "method", NULL);
	h->cls_dict.keys = (uint64_t)(uintptr_t)&h->cls_dict.k_refcnt;
	h->cls_dict.values = 16;		/* a split table */
	want(4, &h->code_method, "method", NULL);
	/* whole again: found at the next generation's walk */
	h->cls_dict.values = 0;
	want(4, &h->code_method, "method", NULL);	/* walked in this one */
	want(5, &h->code_method, "method", "Cls.method");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sym_python_class");
	TCase *tc = tcase_create("lookup");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_sym_py_class__finds_methods_classmethods_and_nested_classes);
	tcase_add_test(tc, test_sym_py_class__guesses_nothing);
	tcase_add_test(tc, test_sym_py_class__a_function_that_no_longer_holds_the_code_lends_no_name);
	tcase_add_test(tc, test_sym_py_class__dicts_that_lie_end_the_walk);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
