// SPDX-License-Identifier: MIT
/* The loss tables. Adding a counter to enum cprof_drop (or to enum
 * cprof_py_counter) means adding it here (or to not_a_loss), or
 * tests/unit/check_losses.c fails: that is how the summary, the profile
 * comments and the metrics stay in step. */
#include <string.h>

#include "profiler/core/losses.h"

const struct loss losses__table[] = {
	{ CPROF_DROP_USTACK_COLLISION, "user stack lost to a stack id collision",
	  "user stacks lost to stack id collisions", "user_stack_collision" },
	{ CPROF_DROP_KSTACK_COLLISION, "kernel stack lost to a stack id collision",
	  "kernel stacks lost to stack id collisions", "kernel_stack_collision" },
	{ CPROF_DROP_STACK_MAP_FULL, "stack lost to a full stack map (raise --max-stacks)",
	  "stacks lost to a full stack map (raise --max-stacks)", "stack_map_full" },
	{ CPROF_DROP_USTACK_MISSING,
	  "user stack the kernel could not read (paged out, or the thread was exiting)",
	  "user stacks the kernel could not read (paged out, or the thread was exiting)",
	  "user_stack_missing" },
	{ CPROF_DROP_COUNTS_FULL, "sample lost to a full counts map (raise --max-stacks)",
	  "samples lost to a full counts map (raise --max-stacks)", "counts_map_full" },
	{ CPROF_DROP_EVENTS_FULL, "process event lost to a full ring buffer",
	  "process events lost to a full ring buffer", "events_ring_full" },
	{ CPROF_DROP_RECORDS_FULL, "user stack lost to a full stack ring buffer (cprof fell "
	  "behind: lower -F or --stack-size)", "user stacks lost to a full stack ring buffer "
	  "(cprof fell behind: lower -F or --stack-size)", "stack_ring_full" },
	{ CPROF_DROP_USTACK_UNREADABLE,
	  "user stack whose memory could not be copied (paged out, or the thread was exiting)",
	  "user stacks whose memory could not be copied (paged out, or the thread was exiting)",
	  "user_stack_unreadable" },
	{ CPROF_DROP_OFFCPU_THREADS_FULL, "off-CPU block lost to a full thread table",
	  "off-CPU blocks lost to a full thread table", "off_cpu_threads_full" },
	{ CPROF_DROP_OFFCPU_COUNTS_FULL, "off-CPU block lost to a full counts map (raise "
	  "--max-stacks)", "off-CPU blocks lost to a full counts map (raise --max-stacks)",
	  "off_cpu_counts_map_full", CPROF_OFFCPU_COUNTS_FULL_NS },
	{ CPROF_DROP_OFFCPU_OVERWRITTEN, "off-CPU block replaced before it was recorded",
	  "off-CPU blocks replaced before they were recorded", "off_cpu_overwritten",
	  CPROF_OFFCPU_OVERWRITTEN_NS },
	{ CPROF_DROP_DRAIN_NOMEM, "sample lost for lack of memory",
	  "samples lost for lack of memory",
	  "out_of_memory" },
	{ CPROF_DROP_OFFCPU_NOMEM, "off-CPU stack's time lost for lack of memory",
	  "off-CPU stacks' time lost for lack of memory", "off_cpu_out_of_memory",
	  CPROF_OFFCPU_NOMEM_NS },
	{ CPROF_DROP_OFFCPU_UNSHIPPED, "off-CPU stack's time in no profile (no attribution, "
	  "or the profile could not be built)", "off-CPU stacks' time in no profile (no "
	  "attribution, or the profile could not be built)", "off_cpu_unshipped",
	  CPROF_OFFCPU_UNSHIPPED_NS },
};

const size_t losses__nr = sizeof(losses__table) / sizeof(losses__table[0]);

bool losses__not_a_loss(enum cprof_drop counter)
{
	if (counter >= CPROF_LAT_NS && counter <= CPROF_LAT_BUCKET_LAST)
		return true;	/* the bench's latency histogram */
	switch (counter) {
	case CPROF_SAMPLES:
	case CPROF_USTACK_COPIES:
	case CPROF_USTACK_BYTES:
	case CPROF_USTACK_SHORT:
	case CPROF_OFFCPU_SWITCHES:
	case CPROF_OFFCPU_UNSAMPLED:
	case CPROF_OFFCPU_SHORT:
	case CPROF_OFFCPU_RECORDED:
	case CPROF_OFFCPU_COUNTS_FULL_NS:	/* the times of the losses above them */
	case CPROF_OFFCPU_OVERWRITTEN_NS:
	case CPROF_OFFCPU_NOMEM_NS:
	case CPROF_OFFCPU_UNSHIPPED_NS:
	case CPROF_EXECS_UNSAMPLED:
		return true;
	default:
		return false;
	}
}

void losses__unstored(uint64_t c[CPROF_NR_COUNTERS], uint64_t count, uint8_t state,
		      uint64_t off_ns)
{
	if (!state) {
		c[CPROF_DROP_DRAIN_NOMEM] += count;
		return;
	}
	c[CPROF_DROP_OFFCPU_NOMEM]++;
	c[CPROF_OFFCPU_NOMEM_NS] += off_ns;
}

void losses__format(const uint64_t c[CPROF_NR_COUNTERS], char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < losses__nr; i++) {
		const struct loss *l = &losses__table[i];
		uint64_t v = c[l->counter];

		if (!v)
			continue;
		off += (size_t)snprintf(buf + off, off < len ? len - off : 0, "%s%llu %s",
					off ? ", " : "", (unsigned long long)v,
					v == 1 ? l->one : l->many);
		if (l->ns)
			off += (size_t)snprintf(buf + off, off < len ? len - off : 0,
						": %.3f s", c[l->ns] / 1e9);
	}
	if (!off)
		snprintf(buf, len, "none");
}

uint64_t losses__off_cpu_lost_ns(const uint64_t c[CPROF_NR_COUNTERS])
{
	uint64_t ns = 0;

	for (size_t i = 0; i < losses__nr; i++)
		if (losses__table[i].ns)
			ns += c[losses__table[i].ns];
	return ns;
}

void losses__write_metrics(const uint64_t c[CPROF_NR_COUNTERS], FILE *f)
{
	fprintf(f, "# HELP cprof_drops_total Stacks or samples lost, by reason "
		"(a lost stack still counts its sample).\n# TYPE cprof_drops_total counter\n");
	for (size_t i = 0; i < losses__nr; i++)
		fprintf(f, "cprof_drops_total{reason=\"%s\"} %llu\n", losses__table[i].metric,
			(unsigned long long)c[losses__table[i].counter]);
	fprintf(f, "# HELP cprof_off_cpu_lost_seconds_total Off-CPU time lost, by reason (the "
		"blocks or stacks are in cprof_drops_total).\n"
		"# TYPE cprof_off_cpu_lost_seconds_total counter\n");
	for (size_t i = 0; i < losses__nr; i++)
		if (losses__table[i].ns)
			fprintf(f, "cprof_off_cpu_lost_seconds_total{reason=\"%s\"} %.9f\n",
				losses__table[i].metric, c[losses__table[i].ns] / 1e9);
}

const struct loss_py losses__python[LOSS_PY_NR] = {
	[LOSS_PY_UNKNOWN_VERSION] = { -1, "sample", "samples",
				      "unknown version, native frames only", "unknown_version" },
	[LOSS_PY_TSTATE_UNREADABLE] = { CPROF_PYC_TSTATE_UNREADABLE, "sample", "samples",
					"thread state unreadable", "thread_state_unreadable" },
	[LOSS_PY_FRAME_UNREADABLE] = { CPROF_PYC_FRAME_UNREADABLE, "sample", "samples",
				       "frame unreadable", "frame_unreadable" },
	[LOSS_PY_FRAMES_CUT] = { CPROF_PYC_FRAMES_CUT, "sample", "samples",
				 "stack cut at an unreadable frame", "stack_cut" },
	[LOSS_PY_TRUNCATED] = { CPROF_PYC_TRUNCATED, "sample", "samples",
				"stack deeper than 192 frames, cut at the root",
				"stack_truncated" },
	[LOSS_PY_CODE_UNREADABLE] = { -1, "code object", "code objects",
				      "unreadable, their frames unnamed",
				      "code_object_unreadable" },
	[LOSS_PY_NOT_WALKED] = { -1, "Python process", "Python processes",
				 "not walked, the BPF map was full", "process_not_walked" },
};

bool losses__py_not_a_loss(int pyc)
{
	return pyc == CPROF_PYC_STACKS || pyc == CPROF_PYC_NO_THREAD;
}

void losses__format_python(const struct loss_py_count *l, size_t n, char *buf, size_t len)
{
	size_t off = 0;

	if (!len)
		return;
	buf[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		const struct loss_py *t = &losses__python[l[i].why];

		off += (size_t)snprintf(buf + off, off < len ? len - off : 0,
					"%sPython frames lost: %llu %s%s%s: %s", off ? "\n" : "",
					(unsigned long long)l[i].n, l[i].n == 1 ? t->one : t->many,
					l[i].version[0] ? " of Python " : "", l[i].version, t->text);
	}
	if (off >= len && len > 4)
		memcpy(buf + len - 4, "...", 4);
}

void losses__write_python_metrics(const struct loss_py_count *l, size_t n, FILE *f)
{
	fprintf(f, "# HELP cprof_python_frames_lost_total Python frames lost or left unnamed, by "
		"reason and CPython version; the native stacks are kept. Counts samples, but "
		"code objects for code_object_unreadable and processes for "
		"process_not_walked.\n# TYPE cprof_python_frames_lost_total counter\n");
	for (size_t i = 0; i < n; i++)
		fprintf(f, "cprof_python_frames_lost_total{reason=\"%s\",version=\"%s\"} %llu\n",
			losses__python[l[i].why].metric, l[i].version,
			(unsigned long long)l[i].n);
}
