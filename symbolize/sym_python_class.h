/* SPDX-License-Identifier: MIT */
/* sym_python_class: the qualified name (`Class.method`) of a method's code
 * object in CPython 3.7 to 3.10, which keep none in the code object
 * (co_qualname came in 3.11). The function object whose __code__ is that
 * very code object is looked for in the classes (and classes in those) of
 * the module whose __file__ is the code's file (sys.modules), and its
 * __qualname__ is read. A module's walk is kept as an index, code object
 * -> __qualname__ object.
 * Nothing is guessed: no function holding that code object, no name. Reads
 * another process's memory through sym_python_mem, bounded; never prints. */
#ifndef CPROF_SYM_PYTHON_CLASS_H
#define CPROF_SYM_PYTHON_CLASS_H

#include <stdint.h>

/* A str object's text as UTF-8 (malloc'd into *ret), or -errno. */
typedef int (*sym_py_class_str_fn)(const void *ctx, uint64_t addr, char **ret);

struct sym_py_class_index;

/* One process, filled in by its finder; file_key and ix are the lookup's
 * own (ix: its index, freed by sym_py_class__release()). */
struct sym_py_class {
	int pid;
	uint64_t runtime;		/* _PyRuntime */
	uint16_t interp_head;		/* _PyRuntimeState.interpreters.head */
	uint16_t interp_modules;	/* PyInterpreterState.modules (sys.modules) */
	uint16_t func_code, func_qualname;	/* PyFunctionObject */
	uint16_t code_varnames;		/* PyCodeObject.co_varnames */
	uint64_t module_type, function_type, classmethod_type, staticmethod_type;
	uint64_t file_key;		/* the interned "__file__" once seen; 0 before */
	sym_py_class_str_fn str;
	const void *str_ctx;
	struct sym_py_class_index *ix;
};

/* Whether c can be looked for: the version has the offsets and types. */
static inline int sym_py_class__usable(const struct sym_py_class *c)
{
	return c->func_code && c->function_type && c->module_type && c->str;
}

/* The qualified name of the code object at code, whose co_name reads
 * name, co_filename file, and co_varnames is the tuple at varnames (only
 * a code object whose first argument is `self` or `cls` is looked for):
 * 0 with it in *ret (malloc'd), -ENOENT when no function of a class of the
 * module of that file holds that code object under a __qualname__ ending
 * in its name, or -errno. gen: the caller's generation; a module is walked
 * at most once in each. */
int sym_py_class__qualname(struct sym_py_class *c, uint64_t gen, uint64_t code,
			   const char *name, uint64_t varnames, int argcount, const char *file,
			   char **ret);

/* Frees the index (c stays usable). */
void sym_py_class__release(struct sym_py_class *c);

#endif
