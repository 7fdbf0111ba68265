// SPDX-License-Identifier: MIT
/* The agent's window split (profiler/agent/agent_groups.h), without BPF:
 * every sample of a window lands in exactly one place -- filtered, in the
 * chunk of its service, or lost --, services are told apart by container
 * and pod too, chunks stop at the bound, and stacks survive the copy. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profiler/agent/agent_groups.h"

/* pid 1xx: service "web" in container c1; 2xx: "web" in c2; 3xx: "db";
 * 4xx: not selected; 5xx: unknown (no attribution). */
static const struct attr_info *lookup(void *ctx, const struct raw_sample *s)
{
	static struct attr_info web1, web2, db, off;

	(void)ctx;
	snprintf(web1.service, sizeof(web1.service), "web");
	snprintf(web1.facts.container_id, sizeof(web1.facts.container_id), "c1");
	web1.selected = true;
	web2 = web1;
	snprintf(web2.facts.container_id, sizeof(web2.facts.container_id), "c2");
	snprintf(db.service, sizeof(db.service), "db");
	db.selected = true;
	off = db;
	off.selected = false;
	switch (s->pid / 100) {
	case 1: return &web1;
	case 2: return &web2;
	case 3: return &db;
	case 4: return &off;
	default: return NULL;
	}
}

static void add(struct raw_profile *rp, uint32_t pid, uint32_t tid, uint64_t count)
{
	uint64_t ips[3] = { 0x1000 + tid, 0x2000, 0x3000 };
	int st = raw_profile__intern_stack(rp, ips, 3);
	struct raw_sample s = { .pid = pid, .tid = tid, .start_ticks = 7, .ustack = st,
				.kstack = RAW_STACK_NONE, .count = count };

	ck_assert_int_ge(st, 0);
	ck_assert_int_eq(raw_profile__add(rp, &s), 0);
}

static uint64_t group_total(const struct agent_group *g)
{
	uint64_t t = 0;

	for (size_t j = 0; j < g->nr_chunks; j++)
		t += raw_profile__total(g->chunks[j]);
	return t;
}

START_TEST(test_agent_groups__every_sample_lands_in_exactly_one_place)
{
	struct raw_profile *rp = raw_profile__new();
	struct agent_groups gs = {0};
	struct agent_groups_tally t = {0};
	uint64_t grouped = 0;

	add(rp, 101, 1, 5);
	add(rp, 102, 2, 3);
	add(rp, 201, 3, 4);
	add(rp, 301, 4, 10);
	add(rp, 401, 5, 6);
	add(rp, 501, 6, 2);
	ck_assert_int_eq(agent_groups__split(&gs, rp, lookup, NULL, 1000, &t), 0);
	ck_assert_uint_eq(gs.n, 3);	/* web/c1, web/c2, db */
	ck_assert_str_eq(gs.g[0].service, "web");
	ck_assert_str_eq(gs.g[0].container_id, "c1");
	ck_assert_uint_eq(group_total(&gs.g[0]), 8);
	ck_assert_str_eq(gs.g[1].container_id, "c2");
	ck_assert_uint_eq(group_total(&gs.g[1]), 4);
	ck_assert_str_eq(gs.g[2].service, "db");
	ck_assert_uint_eq(group_total(&gs.g[2]), 10);
	ck_assert_uint_eq(t.filtered, 6);
	ck_assert_uint_eq(t.lost, 2);
	for (size_t i = 0; i < gs.n; i++)
		grouped += group_total(&gs.g[i]);
	ck_assert_uint_eq(grouped + t.filtered + t.lost, raw_profile__total(rp));
	agent_groups__release(&gs);
	raw_profile__free(rp);
}
END_TEST

static void add_off(struct raw_profile *rp, uint32_t pid, uint32_t tid, uint64_t ns)
{
	uint64_t ips[2] = { 0x1000 + tid, 0x2000 };
	int st = raw_profile__intern_stack(rp, ips, 2);
	struct raw_sample s = { .pid = pid, .tid = tid, .start_ticks = 7, .ustack = st,
				.kstack = RAW_STACK_NONE, .state = 'S', .off_ns = ns };

	ck_assert_int_ge(st, 0);
	ck_assert_int_eq(raw_profile__add(rp, &s), 0);
}

static uint64_t group_off_ns(const struct agent_groups *gs)
{
	uint64_t ns = 0;

	for (size_t i = 0; i < gs->n; i++)
		for (size_t j = 0; j < gs->g[i].nr_chunks; j++)
			ns += raw_profile__off_ns(gs->g[i].chunks[j]);
	return ns;
}

/* Off-CPU entries count nothing in samples: the split once added their 0
 * samples to filtered and lost, and their time went nowhere. */
START_TEST(test_agent_groups__off_cpu_time_left_out_or_lost_is_counted)
{
	struct raw_profile *rp = raw_profile__new();
	struct agent_groups gs = {0};
	struct agent_groups_tally t = {0};

	add(rp, 101, 1, 5);
	add_off(rp, 101, 1, 30000000);		/* web: shipped */
	add_off(rp, 401, 5, 200000000);		/* not selected */
	add_off(rp, 402, 6, 50000000);		/* not selected */
	add_off(rp, 501, 7, 7000000);		/* no attribution */
	add(rp, 401, 5, 3);
	ck_assert_int_eq(agent_groups__split(&gs, rp, lookup, NULL, 1000, &t), 0);
	ck_assert_uint_eq(t.filtered, 3);
	ck_assert_uint_eq(t.lost, 0);
	ck_assert_uint_eq(t.off_filtered, 2);
	ck_assert_uint_eq(t.off_filtered_ns, 250000000);
	ck_assert_uint_eq(t.off_lost, 1);
	ck_assert_uint_eq(t.off_lost_ns, 7000000);
	ck_assert_uint_eq(group_off_ns(&gs) + t.off_filtered_ns + t.off_lost_ns,
			  raw_profile__off_ns(rp));
	agent_groups__release(&gs);
	raw_profile__free(rp);
}
END_TEST

START_TEST(test_agent_groups__a_service_is_chunked_at_the_bound)
{
	struct raw_profile *rp = raw_profile__new();
	struct agent_groups gs = {0};
	struct agent_groups_tally tally = {0};

	for (uint32_t t = 1; t <= 7; t++)
		add(rp, 301, t, 1);
	ck_assert_int_eq(agent_groups__split(&gs, rp, lookup, NULL, 3, &tally), 0);
	ck_assert_uint_eq(gs.n, 1);
	ck_assert_uint_eq(gs.g[0].nr_chunks, 3);	/* 3 + 3 + 1 */
	ck_assert_uint_eq(raw_profile__nr_samples(gs.g[0].chunks[0]), 3);
	ck_assert_uint_eq(raw_profile__nr_samples(gs.g[0].chunks[2]), 1);
	ck_assert_uint_eq(group_total(&gs.g[0]), 7);
	agent_groups__release(&gs);
	ck_assert_uint_eq(gs.n, 0);
	raw_profile__free(rp);
}
END_TEST

START_TEST(test_agent_groups__stacks_survive_the_copy_and_the_halving)
{
	struct raw_profile *rp = raw_profile__new(), *lo, *hi;

	for (uint32_t t = 1; t <= 4; t++)
		add(rp, 101, t, t);
	lo = agent_groups__sub_profile(rp, 0, 2);
	hi = agent_groups__sub_profile(rp, 2, 4);
	ck_assert_ptr_nonnull(lo);
	ck_assert_ptr_nonnull(hi);
	ck_assert_uint_eq(raw_profile__total(lo) + raw_profile__total(hi), raw_profile__total(rp));
	for (size_t i = 0; i < raw_profile__nr_samples(hi); i++) {
		const struct raw_sample *s = raw_profile__sample(hi, i);
		const struct raw_stack *st = raw_profile__stack(hi, s->ustack);

		ck_assert_ptr_nonnull(st);
		ck_assert_uint_eq(st->nr, 3);
		ck_assert_uint_eq(st->ips[0], 0x1000 + s->tid);	/* its own stack, re-indexed */
		ck_assert_uint_eq(st->ips[2], 0x3000);
	}
	raw_profile__free(lo);
	raw_profile__free(hi);
	raw_profile__free(rp);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("agent_groups");
	TCase *tc = tcase_create("split");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_agent_groups__every_sample_lands_in_exactly_one_place);
	tcase_add_test(tc, test_agent_groups__off_cpu_time_left_out_or_lost_is_counted);
	tcase_add_test(tc, test_agent_groups__a_service_is_chunked_at_the_bound);
	tcase_add_test(tc, test_agent_groups__stacks_survive_the_copy_and_the_halving);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
