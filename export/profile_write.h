/* SPDX-License-Identifier: MIT */
/* profile_write: the one output writer of profiles. Writes a finished
 * profile to a path in a format (gzipped pprof, folded stacks, or a flame
 * graph) through base/atomic_file, so the file appears whole or not at all.
 * Used by `cprof record` (its output and --flamegraph), the network profile
 * (--net-output) and `cprof flamegraph`. Library code: returns -errno, never
 * prints; depends on base/, export/ and proto/. */
#ifndef CPROF_EXPORT_PROFILE_WRITE_H
#define CPROF_EXPORT_PROFILE_WRITE_H

#include "base/atomic_file.h"
#include "export/flamegraph.h"
#include "proto/profile.pb-c.h"

enum profile_format {
	PROFILE_FORMAT_PPROF,	/* gzipped protobuf, as Go's runtime/pprof writes it */
	PROFILE_FORMAT_FOLDED,	/* folded stacks (folded__write) */
	PROFILE_FORMAT_SVG,	/* a flame graph (flamegraph__write: SVG, or its folded text) */
};

struct profile_write_opts {
	enum profile_format format;
	/* FOLDED: the string label whose value is the root frame ("comm"); NULL: none. */
	const char *folded_group;
	/* SVG: the flame graph's options (borrowed for the call); NULL: the defaults. */
	const struct flamegraph_opts *flamegraph;
};

/* Writes p (only read) in o->format to af, opened by atomic_file__open(),
 * and commits it. Returns 0; or -errno of the format's writer or of the
 * commit, with af left for the caller to abort when writing failed. */
int profile_write__commit(struct atomic_file *af, const Perftools__Profiles__Profile *p,
			  const struct profile_write_opts *o) __attribute__((warn_unused_result));

/* Opens path ("-" = stdout) atomically, then profile_write__commit(); on any
 * failure nothing is left at path (a file already there stays as it was).
 * Returns 0, -EINVAL (NULL argument), or the -errno of opening, writing or
 * committing. */
int profile_write__file(const char *path, const Perftools__Profiles__Profile *p,
			const struct profile_write_opts *o) __attribute__((warn_unused_result));

#endif /* CPROF_EXPORT_PROFILE_WRITE_H */
