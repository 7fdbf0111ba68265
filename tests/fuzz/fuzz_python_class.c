// SPDX-License-Identifier: MIT
/* Fuzz target: sym_python_class's walk of a CPython 3.7-3.10 heap
 * (sys.modules, module and class dicts, functions), which cprof reads from
 * Python processes other users run. The input becomes a fake heap in this
 * process, read back through process_vm_readv: an aligned word 0xffff in
 * its top 16 bits and an offset into the input below is relocated to point
 * there (so the input can point into itself); any other word is left as it
 * is, and points wherever it points. Layout
 * the target expects: the varnames tuple at 0 (its item at 24), the code
 * object's address at 32, the type objects at 40 (module), 48 (function),
 * 56 (classmethod) and 120 (staticmethod), _PyRuntime at 64 (interpreter
 * head at +8), a str's text 16 bytes into it. tests/fuzz/run.sh writes a
 * seed that holds one module with a class and a method. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "symbolize/sym_python_class.h"
#include "tests/fuzz/fuzz_util.h"

#define MAX_HEAP	(1 << 20)

static uint64_t base, size;

/* A fake str: its text (at most 47 bytes) 16 bytes in, inside the heap. */
static int str_of(const void *ctx, uint64_t addr, char **ret)
{
	char text[48];
	uint64_t off = addr - base;

	(void)ctx;
	if (addr < base || off + 16 >= size)
		return -EFAULT;
	snprintf(text, sizeof(text), "%.*s", (int)(size - off - 16 < 47 ? size - off - 16 : 47),
		 (const char *)(uintptr_t)(addr + 16));
	*ret = strdup(text);
	return *ret ? 0 : -ENOMEM;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct sym_py_class c;
	uint64_t *heap, code;
	char *q = NULL;

	if (len < 128 || len > MAX_HEAP)
		return 0;
	size = (len + 7) & ~7ULL;
	heap = calloc(1, size);
	if (!heap)
		return 0;
	memcpy(heap, data, len);
	base = (uint64_t)(uintptr_t)heap;
	for (size_t i = 0; i < size / 8; i++)
		if (heap[i] >> 48 == 0xffff && (heap[i] & 0xffffffffffffULL) < size)
			heap[i] = base + (heap[i] & 0xffffffffffffULL);
	code = heap[4];
	c = (struct sym_py_class){
		.pid = getpid(), .runtime = base + 64, .interp_head = 8, .interp_modules = 8,
		.func_code = 16, .func_qualname = 24, .module_type = base + 40,
		.function_type = base + 48, .classmethod_type = base + 56,
		.staticmethod_type = base + 120, .str = str_of,
	};
	for (uint64_t gen = 1; gen <= 2; gen++) {
		if (sym_py_class__qualname(&c, gen, code, "m", base, 1, "/app.py", &q) == 0)
			free(q);
		q = NULL;
	}
	sym_py_class__release(&c);
	free(heap);
	return 0;
}
