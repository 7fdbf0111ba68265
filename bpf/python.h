/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The ABI between the CPython walk in bpf/python.bpf.h and the profiler:
 * where a process's interpreter runtime is, the struct offsets of its
 * CPython version, and how a Python frame is packed into a stack-map
 * entry. Plain fixed-width types only (clang and gcc both compile it).
 * The offsets were taken with offsetof() from each version's own headers
 * (Include/internal/pycore_*.h, built with Py_BUILD_CORE); x86-64 only. */
#ifndef CPROF_BPF_PYTHON_H
#define CPROF_BPF_PYTHON_H

/* How frames are linked in a CPython version. */
enum cprof_py_kind {
	CPROF_PY_FRAMEOBJ = 1,	/* <= 3.10: PyFrameObject, one C eval call each */
	CPROF_PY_IFRAME_ENTRY,	/* 3.11: _PyInterpreterFrame, is_entry marks the first of a C call */
	CPROF_PY_IFRAME_SHIM,	/* 3.12+: a shim frame owned by the C stack ends each C call */
};

#define CPROF_PY_NO_OFFSET	0xffff
#define CPROF_PY_OWNED_BY_CSTACK 3	/* enum _frameowner, 3.12 and 3.13 */
#define CPROF_PY_MAX_THREADS	256	/* thread states searched for the sampled thread */
#define CPROF_PY_FRAME_READ	112	/* bytes of a frame read at once: every offset below fits */
#define CPROF_PY_MAX_DEPTH	192	/* Python frames kept per sample, leaf first */

/* Value of the pystacks<slot> maps: frames (packed as below) leaf first,
 * zero after the last. Keyed by the hash of the frames. */
struct cprof_py_stack {
	__u64 frames[CPROF_PY_MAX_DEPTH];
};

/* Byte offsets of one CPython minor version. */
struct cprof_py_layout {
	__u16 runtime_interp_head;	/* _PyRuntimeState.interpreters.head */
	__u16 interp_threads_head;	/* PyInterpreterState.threads.head (tstate_head <= 3.10) */
	__u16 tstate_next;
	__u16 tstate_tid;		/* native_thread_id (3.11+) or thread_id (pthread_self) */
	__u16 tstate_frame;		/* current_frame (3.13), cframe (3.11, 3.12), frame (<= 3.10) */
	__u16 cframe_frame;		/* _PyCFrame.current_frame, or CPROF_PY_NO_OFFSET */
	__u16 frame_code;		/* f_code, f_executable (3.13) */
	__u16 frame_previous;		/* previous, f_back (<= 3.10) */
	__u16 frame_instr;		/* prev_instr, instr_ptr (3.13), f_lasti (<= 3.10, an int) */
	__u16 frame_owner;		/* owner (3.12+), is_entry (3.11), else CPROF_PY_NO_OFFSET */
	__u16 code_adaptive;		/* co_code_adaptive (3.11+): instructions start here */
	__u8 kind;			/* enum cprof_py_kind */
	__u8 tid_is_native;		/* tstate_tid is the kernel tid, not pthread_self() */
	__u8 minor;			/* 3.minor */
	__u8 pad[5];
};

/* The value of the `py_procs` map, keyed by tgid: one interpreter process. */
struct cprof_py_proc {
	__u64 runtime;			/* address of _PyRuntime in the process */
	__u64 start_ticks;		/* the process it was found in (pid reuse) */
	struct cprof_py_layout l;
};

/* One Python frame in a stack-map entry: the code object's address, the
 * instruction offset within it (code units from 3.10 on, bytes before;
 * saturated), and whether a C call of the eval loop starts at this frame. */
#define CPROF_PY_ENTRY		(1ULL << 63)
#define CPROF_PY_OFF_MASK	0xffffULL
#define CPROF_PY_FRAME(code, off, entry)				\
	(((__u64)(code) << 16) | ((__u64)(off) & CPROF_PY_OFF_MASK) |	\
	 ((entry) ? CPROF_PY_ENTRY : 0))
#define CPROF_PY_CODE(f)	(((f) & ~CPROF_PY_ENTRY) >> 16)
#define CPROF_PY_OFF(f)		((f) & CPROF_PY_OFF_MASK)
#define CPROF_PY_IS_ENTRY(f)	(((f) & CPROF_PY_ENTRY) != 0)

/* Why a sample of a Python process has no Python stack: the `py_lost`
 * field of the key. */
enum cprof_py_lost {
	CPROF_PY_OK = 0,		/* py_stack names the Python frames */
	CPROF_PY_NONE,			/* not a Python process, or a thread that never ran Python */
	CPROF_PY_TSTATE_UNREADABLE,	/* runtime, interpreter or thread list unreadable */
	CPROF_PY_FRAME_UNREADABLE,	/* the first frame could not be read */
	CPROF_PY_MAP_FULL,		/* pystacks map out of entries */
};

/* Per-CPU counters of the `py_counts` array, per version:
 * index = reason * CPROF_PY_NR_MINORS + minor. */
enum cprof_py_counter {
	CPROF_PYC_STACKS = 0,		/* Python stacks taken (not a loss) */
	CPROF_PYC_TSTATE_UNREADABLE,	/* samples lost their Python frames: thread state unreadable */
	CPROF_PYC_FRAME_UNREADABLE,	/* samples lost their Python frames: frame unreadable */
	CPROF_PYC_FRAMES_CUT,		/* stacks cut at a frame that could not be read (kept) */
	CPROF_PYC_TRUNCATED,		/* stacks deeper than CPROF_PY_MAX_DEPTH frames (kept) */
	CPROF_PYC_NO_THREAD,		/* thread with no thread state: never ran Python (not a loss) */
	CPROF_PYC_NR,
};
#define CPROF_PY_NR_MINORS	16

#endif
