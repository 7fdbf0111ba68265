/* SPDX-License-Identifier: MIT */
/* pprof_index: ids to messages of one decoded or built pprof profile, for
 * the readers (validation, folded, flame graphs). Library code: never
 * prints; depends only on proto/. */
#ifndef CPROF_EXPORT_PPROF_INDEX_H
#define CPROF_EXPORT_PPROF_INDEX_H

#include <stdint.h>

#include "proto/profile.pb-c.h"

/* Index from ids to messages of one profile: O(1) lookups (direct when ids
 * are dense, hashed otherwise). Borrows p: valid while p is. Returns NULL
 * with errno EBADMSG if an id is 0 or repeated, ENOMEM. */
struct pprof_index;
struct pprof_index *pprof_index__new(const Perftools__Profiles__Profile *p)
	__attribute__((warn_unused_result));
void pprof_index__free(struct pprof_index *idx);	/* NULL: no-op */

/* Return the message with that id, or NULL if none (id 0 is never found).
 * Pointers borrow from the indexed profile. */
const Perftools__Profiles__Location *pprof_index__location(const struct pprof_index *idx, uint64_t id);
const Perftools__Profiles__Function *pprof_index__function(const struct pprof_index *idx, uint64_t id);
const Perftools__Profiles__Mapping *pprof_index__mapping(const struct pprof_index *idx, uint64_t id);

#endif /* CPROF_EXPORT_PPROF_INDEX_H */
