/* SPDX-License-Identifier: MIT */
/* Shared by tests/unit/check_net_profile.c and tests/bpf/check_net.c: a built
 * --net profile decoded the way a pprof reader sees it, its stacks as
 * "net;IFACE;DIR;..." strings. Test code only. */
#ifndef CPROF_TESTS_NET_PROFILE_UTIL_H
#define CPROF_TESTS_NET_PROFILE_UTIL_H

#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "export/pb_profile.h"

static inline Perftools__Profiles__Profile *round_trip(struct pb_profile *p)
{
	const Perftools__Profiles__Profile *msg = pb_profile__finish(p);
	Perftools__Profiles__Profile *out;
	uint8_t *buf;
	size_t len;

	ck_assert_ptr_nonnull(msg);
	len = perftools__profiles__profile__get_packed_size(msg);
	buf = malloc(len ? len : 1);
	ck_assert_ptr_nonnull(buf);
	perftools__profiles__profile__pack(msg, buf);
	out = perftools__profiles__profile__unpack(NULL, len, buf);
	ck_assert_ptr_nonnull(out);
	free(buf);
	return out;
}

static inline const char *str(const Perftools__Profiles__Profile *p, int64_t i)
{
	ck_assert_int_ge(i, 0);
	ck_assert_int_lt(i, (int64_t)p->n_string_table);
	return p->string_table[i];
}

/* Frames root first, ";"-joined. */
static inline void stack_of(const Perftools__Profiles__Profile *p,
			    const Perftools__Profiles__Sample *s, char *buf, size_t len)
{
	size_t off = 0;

	buf[0] = '\0';
	for (size_t i = s->n_location_id; i-- > 0;) {
		const Perftools__Profiles__Location *l = p->location[s->location_id[i] - 1];
		const Perftools__Profiles__Function *f = p->function[l->line[0]->function_id - 1];

		ck_assert_uint_eq(l->id, s->location_id[i]);
		off += snprintf(buf + off, len - off, "%s%s", off ? ";" : "", str(p, f->name));
	}
}

static inline int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Labels as "key=value", sorted, space-joined. */
static inline void labels_of(const Perftools__Profiles__Profile *p,
			     const Perftools__Profiles__Sample *s, char *buf, size_t len)
{
	char items[16][128], *sorted[16];
	size_t off = 0;

	ck_assert_uint_le(s->n_label, 16);
	for (size_t i = 0; i < s->n_label; i++) {
		const Perftools__Profiles__Label *l = s->label[i];

		if (l->str)
			snprintf(items[i], sizeof(items[i]), "%s=%s", str(p, l->key), str(p, l->str));
		else
			snprintf(items[i], sizeof(items[i]), "%s=%lld", str(p, l->key),
				 (long long)l->num);
		sorted[i] = items[i];
	}
	qsort(sorted, s->n_label, sizeof(sorted[0]), cmp_str);
	buf[0] = '\0';
	for (size_t i = 0; i < s->n_label; i++)
		off += snprintf(buf + off, len - off, "%s%s", i ? " " : "", sorted[i]);
}

/* The sample with this stack; fails the test if there is not exactly one. */
static inline const Perftools__Profiles__Sample *
sample_with_stack(const Perftools__Profiles__Profile *p, const char *stack)
{
	const Perftools__Profiles__Sample *found = NULL;
	char buf[512];

	for (size_t i = 0; i < p->n_sample; i++) {
		stack_of(p, p->sample[i], buf, sizeof(buf));
		if (!strcmp(buf, stack)) {
			ck_assert_msg(!found, "two samples with stack %s", stack);
			found = p->sample[i];
		}
	}
	ck_assert_msg(found != NULL, "no sample with stack %s", stack);
	return found;
}

/* Sums every sample with this stack (labels may split one stack in several). */
static inline void sum_stack(const Perftools__Profiles__Profile *p, const char *stack,
			     int64_t *ret_pk, int64_t *ret_by)
{
	char buf[512];

	*ret_pk = *ret_by = 0;
	for (size_t i = 0; i < p->n_sample; i++) {
		stack_of(p, p->sample[i], buf, sizeof(buf));
		if (!strcmp(buf, stack)) {
			*ret_pk += p->sample[i]->value[0];
			*ret_by += p->sample[i]->value[1];
		}
	}
}

#endif
