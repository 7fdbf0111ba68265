// SPDX-License-Identifier: MIT
/* sym_python: see sym_python.h. The layouts below were taken with offsetof()
 * from each version's headers (pyenv's include/python3.N, Py_BUILD_CORE);
 * Debian's 3.11.2 matches 3.11.7. A code object is trusted only when its
 * type pointer is the process's PyCode_Type, and its strings and line
 * table only when theirs are PyUnicode_Type and PyBytes_Type. */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/clock.h"
#include "base/hash.h"
#include "base/hashmap.h"
#include "base/vec.h"
#include "symbolize/sym_proc_maps.h"
#include "symbolize/sym_python.h"
#include "symbolize/sym_python_class.h"
#include "symbolize/sym_python_mem.h"

#define MIN_MINOR	7
#define MAX_MINOR	13
#define CODE_READ	256	/* bytes of a code object read: every field below fits */
#define STR_HEAD	80	/* bytes of a str object read: header and a short body */

struct layout {
	struct cprof_py_layout b;	/* what the BPF walk needs */
	uint16_t code_filename, code_name, code_firstlineno, code_linetable;
	uint16_t ascii_size, compact_size;	/* sizeof(PyASCIIObject), sizeof(PyCompactUnicodeObject) */
	enum sym_py_lines lines;
	uint16_t code_qualname;		/* 0: co_name + 8 from 3.11, co_name before */
};

/* <= 3.10, for sym_python_class: PyInterpreterState.modules,
 * PyFunctionObject's func_code and func_qualname, PyCodeObject.co_varnames */
static const uint16_t class_offsets[11][4] = {
	[7] = { 40, 16, 104, 64 }, [8] = { 56, 16, 104, 72 },
	[9] = { 856, 16, 104, 72 }, [10] = { 856, 48, 40, 72 },
};

#define N CPROF_PY_NO_OFFSET
/*	      interp  thr  next  tid frame cfr code prev instr owner adapt kind native minor */
static const struct layout layouts[MAX_MINOR + 1] = {
	[7] = { { 24, 8, 8, 176, 24, N, 32, 24, 104, N, N, CPROF_PY_FRAMEOBJ, 0, 7 },
		96, 104, 36, 112, 48, 72, SYM_PY_LNOTAB },
	[8] = { { 32, 8, 8, 176, 24, N, 32, 24, 104, N, N, CPROF_PY_FRAMEOBJ, 0, 8 },
		104, 112, 40, 120, 48, 72, SYM_PY_LNOTAB },
	[9] = { { 32, 8, 8, 176, 24, N, 32, 24, 104, N, N, CPROF_PY_FRAMEOBJ, 0, 9 },
		104, 112, 40, 120, 48, 72, SYM_PY_LNOTAB },
	[10] = { { 32, 8, 8, 176, 24, N, 32, 24, 96, N, N, CPROF_PY_FRAMEOBJ, 0, 10 },
		 104, 112, 40, 120, 48, 72, SYM_PY_LINETABLE310 },
	[11] = { { 40, 16, 8, 160, 56, 8, 32, 48, 56, 68, 184, CPROF_PY_IFRAME_ENTRY, 1, 11 },
		 112, 120, 72, 136, 48, 72, SYM_PY_LOCATIONS },
	[12] = { { 40, 72, 8, 144, 56, 0, 0, 8, 56, 70, 192, CPROF_PY_IFRAME_SHIM, 1, 12 },
		 112, 120, 68, 136, 40, 56, SYM_PY_LOCATIONS },
	[13] = { { 632, 7344, 8, 160, 72, N, 0, 8, 56, 70, 200, CPROF_PY_IFRAME_SHIM, 1, 13 },
		 112, 120, 68, 136, 40, 56, SYM_PY_LOCATIONS },
};
#undef N

static const char *const mapping_names[MAX_MINOR + 1] = {
	[7] = "[python3.7]", [8] = "[python3.8]", [9] = "[python3.9]", [10] = "[python3.10]",
	[11] = "[python3.11]", [12] = "[python3.12]", [13] = "[python3.13]",
};

struct py_proc {
	int pid;
	uint64_t start_ticks;
	uint64_t code_type, unicode_type, bytes_type;
	struct layout lay;		/* valid when known */
	bool known;			/* a version with a layout */
	bool gone;			/* exited: kept for its version until a flush */
	char version[8];
	struct sym_py_class cls;	/* <= 3.10: methods' class-qualified names */
};

struct py_code {
	int pid;
	uint64_t start_ticks, addr;
	uint64_t gen;			/* generation it was last checked in */
	uint64_t filename, name, linetable;	/* the objects it pointed at: its identity */
	uint8_t minor;			/* 3.minor of its process */
	enum sym_py_lines lines;
	char *qualname, *file;
	uint8_t *tab;
	uint32_t tab_len, firstlineno;
};

struct sym_python {
	struct py_proc *procs;
	size_t nprocs, procs_cap;
	struct hashmap proc_index;
	struct py_code *codes;
	size_t ncodes, codes_cap;
	struct hashmap code_index;
	uint64_t gen;
	struct sym_mapping mappings[MAX_MINOR + 1];
	struct sym_python_stats st;
};

struct code_key {
	int pid;
	uint64_t start_ticks, addr;
};

static uint32_t key_hash(int pid, uint64_t start, uint64_t addr)
{
	uint64_t h = hash__fnv1a(HASH_FNV1A_SEED, &pid, sizeof(pid));

	h = hash__fnv1a(h, &start, sizeof(start));
	return hash__fold(hash__fnv1a(h, &addr, sizeof(addr)));
}

static bool proc_eq(const void *ctx, uint32_t i, const void *key)
{
	const struct py_proc *p = &((const struct sym_python *)ctx)->procs[i];
	const struct code_key *k = key;

	return p->pid == k->pid && p->start_ticks == k->start_ticks;
}

static bool code_eq(const void *ctx, uint32_t i, const void *key)
{
	const struct py_code *c = &((const struct sym_python *)ctx)->codes[i];
	const struct code_key *k = key;

	return c->pid == k->pid && c->start_ticks == k->start_ticks && c->addr == k->addr;
}

struct sym_python *sym_python__new(void)
{
	struct sym_python *py = calloc(1, sizeof(*py));

	if (!py)
		return NULL;
	hashmap__init(&py->proc_index, proc_eq, py);
	hashmap__init(&py->code_index, code_eq, py);
	py->gen = 1;
	for (int m = MIN_MINOR; m <= MAX_MINOR; m++)
		py->mappings[m] = (struct sym_mapping){ .path = mapping_names[m], .build_id = "" };
	return py;
}

static void code_release(struct py_code *c)
{
	free(c->qualname);
	free(c->file);
	free(c->tab);
}

static void drop_codes(struct sym_python *py)
{
	for (size_t i = 0; i < py->ncodes; i++)
		code_release(&py->codes[i]);
	py->ncodes = 0;
	hashmap__clear(&py->code_index);
}

void sym_python__free(struct sym_python *py)
{
	if (!py)
		return;
	drop_codes(py);
	free(py->codes);
	for (size_t i = 0; i < py->nprocs; i++)
		sym_py_class__release(&py->procs[i].cls);
	free(py->procs);
	hashmap__release(&py->code_index);
	hashmap__release(&py->proc_index);
	free(py);
}

static struct py_proc *find_proc(const struct sym_python *py, int pid, uint64_t start)
{
	struct code_key k = { .pid = pid, .start_ticks = start };
	uint32_t i;

	if (!hashmap__find(&py->proc_index, key_hash(pid, start, 0), &k, &i))
		return NULL;
	return &py->procs[i];
}

/* "python3.11", "libpython3.11.so.1.0", "libpython3.7m.so": its 3.N. */
static bool version_of(const char *path, int *ret_major, int *ret_minor, bool *ret_lib)
{
	const char *base = strrchr(path, '/');
	const char *p;

	base = base ? base + 1 : path;
	*ret_lib = !strncmp(base, "libpython", 9);
	p = *ret_lib ? base + 3 : base;	/* past "lib" */
	if (strncmp(p, "python", 6) || !isdigit((unsigned char)p[6]) || p[7] != '.' ||
	    !isdigit((unsigned char)p[8]))
		return false;
	*ret_major = p[6] - '0';
	*ret_minor = (int)strtol(p + 8, NULL, 10);
	return true;
}

bool sym_python__is_interpreter_path(const char *path)
{
	int major, minor;
	bool lib;

	return version_of(path, &major, &minor, &lib);
}

/* The interpreter's image: libpython when the process maps one (the
 * python binary then only calls it), else the python binary. */
static const struct sym_proc_maps_entry *interpreter(const struct sym_proc_maps *m,
						     int *ret_major, int *ret_minor)
{
	const struct sym_proc_maps_entry *exe = NULL;
	int emaj = 0, emin = 0;

	for (size_t i = 0; i < m->n; i++) {
		const struct sym_proc_maps_entry *e = &m->entries[i];
		int maj, min;
		bool lib;

		/* the first mapping of a file is its ELF header */
		if (e->offset || !e->path[0] || !version_of(e->path, &maj, &min, &lib))
			continue;
		if (lib) {
			*ret_major = maj, *ret_minor = min;
			return e;
		}
		if (!exe)
			exe = e, emaj = maj, emin = min;
	}
	*ret_major = emaj, *ret_minor = emin;
	return exe;
}

static void drop_proc(struct sym_python *py, uint32_t i)
{
	uint32_t last = (uint32_t)py->nprocs - 1;

	hashmap__remove(&py->proc_index, key_hash(py->procs[i].pid, py->procs[i].start_ticks, 0), i);
	sym_py_class__release(&py->procs[i].cls);
	py->nprocs--;
	if (i != last) {
		py->procs[i] = py->procs[last];
		hashmap__renumber(&py->proc_index, key_hash(py->procs[i].pid,
							    py->procs[i].start_ticks, 0), last, i);
	}
}

static void drop_gone(struct sym_python *py)
{
	for (size_t i = py->nprocs; i-- > 0;)
		if (py->procs[i].gone)
			drop_proc(py, (uint32_t)i);
}

/* 3.13 describes itself: _Py_DebugOffsets opens _PyRuntime (its words as
 * Include/internal/pycore_runtime.h lays them out). Its offsets replace the
 * table's, which a patch release may have moved; a free-threaded build (or
 * an offset past what the walk reads at once) has no known layout. */
static int debug_offsets(int pid, uint64_t runtime, struct layout *l)
{
	enum { VERSION = 1, FREE_THREADED = 2, INTERP_HEAD = 5, THREADS_HEAD = 9,
	       TS_NEXT = 21, TS_FRAME = 23, TS_NATIVE_ID = 25, FR_PREVIOUS = 29,
	       FR_EXECUTABLE = 30, FR_INSTR = 31, FR_OWNER = 33, CO_FILENAME = 35,
	       CO_NAME = 36, CO_QUALNAME = 37, CO_LINETABLE = 38, CO_FIRSTLINENO = 39,
	       CO_ADAPTIVE = 43, NR_WORDS };
	static const int used[] = { INTERP_HEAD, THREADS_HEAD, TS_NEXT, TS_FRAME, TS_NATIVE_ID };
	uint64_t w[NR_WORDS];
	int err = sym_py_mem__read(pid, runtime, w, sizeof(w));

	if (err)
		return err;
	if (memcmp(w, "xdebugpy", 8) || (w[VERSION] >> 16 & 0xffff) != 0x030d || w[FREE_THREADED])
		return -ENOTSUP;
	/* the BPF walk takes 16-bit offsets (sizes of the structs are larger) */
	for (size_t i = 0; i < sizeof(used) / sizeof(used[0]); i++)
		if (w[used[i]] > 0xfff0)
			return -ENOTSUP;
	if (w[FR_PREVIOUS] > CPROF_PY_FRAME_READ - 8 || w[FR_EXECUTABLE] > CPROF_PY_FRAME_READ - 8 ||
	    w[FR_INSTR] > CPROF_PY_FRAME_READ - 8 || w[FR_OWNER] >= CPROF_PY_FRAME_READ ||
	    w[CO_ADAPTIVE] + 8 > CODE_READ || w[CO_LINETABLE] + 8 > CODE_READ || w[CO_FILENAME] + 8 > CODE_READ ||
	    w[CO_QUALNAME] + 8 > CODE_READ || w[CO_FIRSTLINENO] + 4 > CODE_READ)
		return -ENOTSUP;
	l->b.runtime_interp_head = (uint16_t)w[INTERP_HEAD];
	l->b.interp_threads_head = (uint16_t)w[THREADS_HEAD];
	l->b.tstate_next = (uint16_t)w[TS_NEXT];
	l->b.tstate_frame = (uint16_t)w[TS_FRAME];
	l->b.tstate_tid = (uint16_t)w[TS_NATIVE_ID];
	l->b.frame_previous = (uint16_t)w[FR_PREVIOUS];
	l->b.frame_code = (uint16_t)w[FR_EXECUTABLE];
	l->b.frame_instr = (uint16_t)w[FR_INSTR];
	l->b.frame_owner = (uint16_t)w[FR_OWNER];
	l->b.code_adaptive = (uint16_t)w[CO_ADAPTIVE];
	l->code_filename = (uint16_t)w[CO_FILENAME];
	l->code_name = (uint16_t)w[CO_NAME];
	l->code_qualname = (uint16_t)w[CO_QUALNAME];
	l->code_linetable = (uint16_t)w[CO_LINETABLE];
	l->code_firstlineno = (uint16_t)w[CO_FIRSTLINENO];
	return 0;
}

static int put_proc(struct sym_python *py, const struct py_proc *p)
{
	struct py_proc *old = find_proc(py, p->pid, p->start_ticks);

	if (old) {
		sym_py_class__release(&old->cls);
		*old = *p;
		return 0;
	}
	if (py->nprocs >= SYM_PY_MAX_PROCS)
		drop_gone(py);
	if (py->nprocs >= SYM_PY_MAX_PROCS)
		return -ENOSPC;
	if (VEC_RESERVE(py->procs, py->nprocs, py->procs_cap, 1) ||
	    hashmap__reserve(&py->proc_index, 1))
		return -ENOMEM;
	py->procs[py->nprocs] = *p;
	hashmap__add(&py->proc_index, key_hash(p->pid, p->start_ticks, 0), (uint32_t)py->nprocs++);
	return 0;
}

int sym_python__add_process(struct sym_python *py, int pid, uint64_t start_ticks,
			    struct cprof_py_proc *ret, char *ret_version, size_t len)
{
	static const char *const names[] = {
		"_PyRuntime", "PyCode_Type", "PyUnicode_Type", "PyBytes_Type", "Py_Version",
		"PyModule_Type", "PyFunction_Type", "PyClassMethod_Type", "PyStaticMethod_Type",
	};
	uint64_t addr[9];
	struct py_proc p = { .pid = pid, .start_ticks = start_ticks };
	const struct sym_proc_maps_entry *e;
	struct sym_proc_maps *m = sym_proc_maps__read(pid);
	int major, minor, err;

	if (!m)
		return -errno;
	e = interpreter(m, &major, &minor);
	if (!e) {
		err = 0;
		goto out_free;
	}
	err = sym_py_mem__dynsym(pid, e->start, names, 9, addr);
	if (err)
		goto out_free;
	if (addr[4]) {	/* 3.11+: the version the library was built as */
		uint32_t hex;

		if (!sym_py_mem__read(pid, addr[4], &hex, sizeof(hex)) && (hex >> 24) == 3)
			major = 3, minor = (hex >> 16) & 0xff;
	}
	snprintf(p.version, sizeof(p.version), "%d.%d", major, minor);
	snprintf(ret_version, len, "%s", p.version);
	if (major == 3 && minor >= MIN_MINOR && minor <= MAX_MINOR && !addr[0]) {
		err = -EAGAIN;	/* libpython is not mapped yet (ld.so runs) */
		goto out_free;
	}
	if (major == 3 && minor >= MIN_MINOR && minor <= MAX_MINOR && addr[1] &&
	    addr[2] && addr[3]) {
		p.lay = layouts[minor];
		p.known = minor != 13 || debug_offsets(pid, addr[0], &p.lay) == 0;
		if (!p.lay.code_qualname)
			p.lay.code_qualname = minor >= 11 ? p.lay.code_name + 8 : p.lay.code_name;
		p.code_type = addr[1];
		p.unicode_type = addr[2];
		p.bytes_type = addr[3];
	}
	if (p.known && minor <= 10) {
		const uint16_t *o = class_offsets[minor];

		p.cls = (struct sym_py_class){
			.pid = pid, .runtime = addr[0], .interp_head = p.lay.b.runtime_interp_head,
			.interp_modules = o[0], .func_code = o[1], .func_qualname = o[2],
			.code_varnames = o[3], .module_type = addr[5], .function_type = addr[6],
			.classmethod_type = addr[7], .staticmethod_type = addr[8],
		};
	}
	if ((err = put_proc(py, &p)))
		goto out_free;
	if (!p.known) {
		err = -ENOTSUP;
		goto out_free;
	}
	memset(ret, 0, sizeof(*ret));
	ret->runtime = addr[0];
	ret->start_ticks = start_ticks;
	ret->l = p.lay.b;
	py->st.processes++;
	err = 1;
out_free:
	sym_proc_maps__free(m);
	return err;
}

void sym_python__remove_process(struct sym_python *py, int pid, uint64_t start_ticks)
{
	struct py_proc *p = find_proc(py, pid, start_ticks);

	/* its samples may still be drained: they are counted by version */
	if (p)
		p->gone = true;
}

bool sym_python__live(const struct sym_python *py, int pid, uint64_t start_ticks)
{
	const struct py_proc *p = find_proc(py, pid, start_ticks);

	return p && !p->gone;
}

bool sym_python__known(const struct sym_python *py, int pid, uint64_t start_ticks)
{
	const struct py_proc *p = find_proc(py, pid, start_ticks);

	return p && p->known;
}

const char *sym_python__version(const struct sym_python *py, int pid, uint64_t start_ticks)
{
	const struct py_proc *p = find_proc(py, pid, start_ticks);

	return p ? p->version : NULL;
}

/* A str object's text, as UTF-8. */
static int read_str(const struct py_proc *p, uint64_t addr, char **ret)
{
	uint8_t head[STR_HEAD];
	uint64_t type, n, data;
	uint32_t state, kind;
	size_t bytes;
	char *buf, *raw;
	int err;

	if ((err = sym_py_mem__read(p->pid, addr, head, 40)))
		return err;
	memcpy(&type, head + 8, 8);
	memcpy(&n, head + 16, 8);
	memcpy(&state, head + 32, 4);
	if (type != p->unicode_type)
		return -EINVAL;
	/* interned:2 kind:3 compact:1 ascii:1 (3.7 to 3.13) */
	kind = (state >> 2) & 7;
	if (!((state >> 5) & 1))
		return -EINVAL;		/* code objects' strings are compact */
	data = addr + ((state >> 6) & 1 ? p->lay.ascii_size : p->lay.compact_size);
	if (n > SYM_PY_MAX_STR)
		n = SYM_PY_MAX_STR;
	if (kind != 1 && kind != 2 && kind != 4)
		return -EINVAL;
	bytes = n * kind;
	raw = malloc(bytes + 4);
	buf = malloc(n * 4 + 1);
	if (!raw || !buf) {
		free(raw), free(buf);
		return -ENOMEM;
	}
	err = sym_py_mem__read(p->pid, data, raw, bytes);
	if (!err)
		err = sym_py_mem__utf8(kind, raw, n, buf, n * 4 + 1);
	free(raw);
	if (err) {
		free(buf);
		return err;
	}
	*ret = buf;
	return 0;
}

static int read_bytes(const struct py_proc *p, uint64_t addr, uint8_t **ret, uint32_t *ret_len)
{
	uint64_t hdr[3];
	uint8_t *b;
	int err;

	if ((err = sym_py_mem__read(p->pid, addr, hdr, sizeof(hdr))))
		return err;
	if (hdr[1] != p->bytes_type || hdr[2] > SYM_PY_MAX_LINETABLE)
		return -EINVAL;
	b = malloc(hdr[2] ? hdr[2] : 1);
	if (!b)
		return -ENOMEM;
	/* ob_sval follows ob_shash: 32 bytes in on every version here */
	if ((err = sym_py_mem__read(p->pid, addr + 32, b, hdr[2]))) {
		free(b);
		return err;
	}
	*ret = b;
	*ret_len = (uint32_t)hdr[2];
	return 0;
}

static uint64_t field64(const uint8_t *obj, uint16_t off)
{
	uint64_t v;

	memcpy(&v, obj + off, 8);
	return v;
}

static int str_of(const void *ctx, uint64_t addr, char **ret)
{
	return read_str(ctx, addr, ret);
}

/* <= 3.10: a method's co_name (in c->qualname) becomes its __qualname__,
 * "Class.method", when the function that holds this code object is found
 * (sym_python_class); else co_name stays. obj: the code object read. */
static void class_qualname(struct py_proc *p, struct py_code *c, const uint8_t *obj,
			   uint64_t gen)
{
	int32_t argcount;
	char *q;

	p->cls.str = str_of;
	p->cls.str_ctx = p;
	if (!sym_py_class__usable(&p->cls))
		return;
	memcpy(&argcount, obj + 16, 4);		/* co_argcount, 3.7 to 3.10 */
	if (sym_py_class__qualname(&p->cls, gen, c->addr, c->qualname,
				   field64(obj, p->cls.code_varnames), argcount, c->file, &q) == 0) {
		free(c->qualname);
		c->qualname = q;
	}
}

/* The identity of the code object at c->addr now: 0 when it is still the
 * object c describes, 1 when it is another (fields filled in), -errno. */
static int read_code(struct py_proc *p, struct py_code *c, bool fill, uint64_t gen)
{
	const struct layout *l = &p->lay;
	uint8_t obj[CODE_READ];
	uint64_t filename, name, linetable;
	int32_t first;
	int err;

	if ((err = sym_py_mem__read(p->pid, c->addr, obj, sizeof(obj))))
		return err;
	if (field64(obj, 8) != p->code_type)
		return -EINVAL;
	filename = field64(obj, l->code_filename);
	/* 3.11+: co_qualname, at co_name + 8 */
	name = field64(obj, l->code_qualname);
	linetable = field64(obj, l->code_linetable);
	memcpy(&first, obj + l->code_firstlineno, 4);
	if (!fill && filename == c->filename && name == c->name && linetable == c->linetable &&
	    (uint32_t)first == c->firstlineno)
		return 0;
	code_release(c);
	c->qualname = c->file = NULL;
	c->tab = NULL;
	c->tab_len = 0;
	c->filename = filename, c->name = name, c->linetable = linetable;
	c->firstlineno = first > 0 ? (uint32_t)first : 0;
	c->minor = l->b.minor;
	c->lines = l->lines;
	if ((err = read_str(p, name, &c->qualname)) || (err = read_str(p, filename, &c->file)) ||
	    (err = read_bytes(p, linetable, &c->tab, &c->tab_len))) {
		code_release(c);
		c->qualname = c->file = NULL;
		c->tab = NULL;
		c->filename = c->name = c->linetable = 0;
		return err;
	}
	class_qualname(p, c, obj, gen);
	return 1;
}

static void unreadable(struct sym_python *py, const struct py_proc *p)
{
	py->st.codes_unreadable++;
	py->st.unreadable_by_minor[p->lay.b.minor % CPROF_PY_NR_MINORS]++;
}

static int note_one(struct sym_python *py, struct py_proc *p, uint64_t addr)
{
	struct code_key k = { .pid = p->pid, .start_ticks = p->start_ticks, .addr = addr };
	uint32_t h = key_hash(p->pid, p->start_ticks, addr), i;
	struct py_code *c;
	int err;

	if (hashmap__find(&py->code_index, h, &k, &i)) {
		c = &py->codes[i];
		if (c->gen == py->gen || p->gone)
			return 0;
		c->gen = py->gen;
		py->st.codes_checked++;
		err = read_code(p, c, !c->qualname, py->gen);
		if (err == 1)
			py->st.codes_replaced++;
		else if (err < 0 && err != -ESRCH)
			unreadable(py, p);
		return 0;
	}
	if (py->ncodes >= SYM_PY_MAX_CODES)
		return 0;	/* until the flush: the frame stays unnamed */
	if (VEC_RESERVE(py->codes, py->ncodes, py->codes_cap, 1) ||
	    hashmap__reserve(&py->code_index, 1))
		return -ENOMEM;
	c = &py->codes[py->ncodes];
	memset(c, 0, sizeof(*c));
	c->pid = p->pid, c->start_ticks = p->start_ticks, c->addr = addr, c->gen = py->gen;
	/* first seen after its process exited: unnamed, and counted so (its
	 * pid may be another process's by now: nothing is read) */
	err = p->gone ? -ESRCH : read_code(p, c, true, py->gen);
	if (err == -ENOMEM)
		return err;
	if (err < 0)
		unreadable(py, p);
	else
		py->st.codes_read++;
	/* kept even when unreadable: tried once per generation, not per sample */
	hashmap__add(&py->code_index, h, (uint32_t)py->ncodes++);
	return 0;
}

int sym_python__note(struct sym_python *py, int pid, uint64_t start_ticks,
		     const uint64_t *frames, uint32_t n)
{
	struct py_proc *p = find_proc(py, pid, start_ticks);
	uint64_t t0;
	int err = 0;

	if (!p || !p->known)
		return 0;
	t0 = clock__mono_ns();
	for (uint32_t i = 0; i < n && !err; i++)
		err = note_one(py, p, CPROF_PY_CODE(frames[i]));
	py->st.read_ns += clock__mono_ns() - t0;
	return err;
}

void sym_python__next_generation(struct sym_python *py)
{
	py->gen++;
}

int sym_python__resolve(struct sym_python *py, int pid, uint64_t start_ticks, uint64_t frame,
			struct sym_result *ret)
{
	struct code_key k = { .pid = pid, .start_ticks = start_ticks, .addr = CPROF_PY_CODE(frame) };
	const struct py_code *c;
	uint32_t i;

	memset(ret, 0, sizeof(*ret));
	if (!hashmap__find(&py->code_index, key_hash(pid, start_ticks, k.addr), &k, &i))
		return -ENOENT;
	c = &py->codes[i];
	if (!c->qualname)
		return -ENOENT;
	ret->mapping = &py->mappings[c->minor];
	ret->nframes = 1;
	ret->frames[0] = (struct sym_frame){
		.name = c->qualname, .system_name = c->qualname, .file = c->file,
		.line = sym_py_mem__line(c->lines, c->tab, c->tab_len, c->firstlineno,
					 (uint32_t)CPROF_PY_OFF(frame)),
		.start_line = c->firstlineno,
	};
	return 0;
}

void sym_python__flush(struct sym_python *py)
{
	drop_gone(py);
	if (py->ncodes >= SYM_PY_MAX_CODES / 2)
		drop_codes(py);
}

void sym_python__stats(const struct sym_python *py, struct sym_python_stats *ret)
{
	*ret = py->st;
	ret->codes_cached = py->ncodes;
}
