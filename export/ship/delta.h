/* SPDX-License-Identifier: MIT */
/* delta: one per-service profile of one agent window, as the agent hands it
 * to the uploader and the spool keeps it: an idempotency id, the series
 * labels, the window and an uncompressed pprof. Encoded as cprof.Delta
 * (proto/cprof_delta.proto). Backend-neutral: exporters turn deltas into
 * requests at send time. Library code: returns -errno, never prints. */
#ifndef CPROF_EXPORT_DELTA_H
#define CPROF_EXPORT_DELTA_H

#include <stddef.h>
#include <stdint.h>

#define DELTA_ID_LEN 16
#define DELTA_ID_STR_LEN 37	/* 8-4-4-4-12 hex digits and the NUL */
/* __name__ of the agent's off-CPU delta: its pprof has the one sample type
 * off_cpu/nanoseconds and no period type; each backend names it its own way
 * at send time (struct backend_names). */
#define DELTA_OFF_CPU_NAME "off_cpu"

struct delta_label {
	char *name, *value;	/* owned by the delta */
};

/* Every pointer is owned by the delta and freed by delta__free(). */
struct delta {
	uint8_t id[DELTA_ID_LEN];	/* random (UUID v4 layout); never all zero */
	struct delta_label *labels;
	size_t nr_labels;
	int64_t time_nanos, duration_nanos;
	uint64_t samples;
	uint8_t *pprof;			/* serialized perftools.profiles.Profile */
	size_t pprof_len;
};

/* An empty delta with a fresh random id. NULL and errno (ENOMEM, or what
 * getrandom(2) failed with). */
struct delta *delta__new(void);
/* NULL is a no-op. */
void delta__free(struct delta *d);

/* Appends a label (both strings copied); a label already named `name` is
 * replaced. 0, -EINVAL (NULL or empty name), -ENOMEM. */
int delta__set_label(struct delta *d, const char *name, const char *value)
	__attribute__((warn_unused_result));
/* The value of label `name`, borrowed from d, or NULL. */
const char *delta__label(const struct delta *d, const char *name);

/* The series labels as backends want them: d's labels plus, when metric is
 * not NULL and d has no __name__ of its own (the agent's network profile
 * has __name__ = net), __name__ = metric, sorted by name. *ret is a malloc'd array (the
 * caller frees it, not the strings) whose strings are borrowed from d and
 * metric. 0 or -ENOMEM. */
int delta__series(const struct delta *d, const char *metric, struct delta_label **ret,
		  size_t *ret_n)
	__attribute__((warn_unused_result));

/* Takes a copy of the len bytes of a serialized pprof. 0 or -ENOMEM. */
int delta__set_pprof(struct delta *d, const void *pprof, size_t len)
	__attribute__((warn_unused_result));

/* Serializes d; *ret_buf is malloc'd. 0 or -ENOMEM. */
int delta__encode(const struct delta *d, uint8_t **ret_buf, size_t *ret_len)
	__attribute__((warn_unused_result));
/* Parses what delta__encode() wrote. 0 and a new delta the caller frees,
 * -EBADMSG (not a delta, or an id that is not 16 bytes), -ENOMEM. */
int delta__decode(const uint8_t *buf, size_t len, struct delta **ret)
	__attribute__((warn_unused_result));

/* The id as a lowercase UUID string "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx". */
void delta__id_string(const struct delta *d, char buf[DELTA_ID_STR_LEN]);

#endif /* CPROF_EXPORT_DELTA_H */
