// SPDX-License-Identifier: MIT
/* slot_drain against a fake count map and a fake stack map: a lost stack is
 * its own value (a full stack map once came back as -ENOMEM and failed the
 * whole run), the profile names it and counts its samples, thousands of keys
 * drain once, and a drain that runs out of memory part-way empties the slot
 * and counts what it could not keep, so nothing is counted twice. */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>

#include "export/folded.h"
#include "export/pb_profile.h"
#include "profiler/core/pprof_build.h"
#include "profiler/core/slot_drain.h"
#include "symbolize/sym_session.h"
#include "tests/fake_map.h"

#define NR_CPUS 2
#define MAX_STACKS 64
#define KEY(i) (0x5eed000000000000ULL + (i))	/* stack keys: hashes, never 0 */

struct fixture {
	struct fake_map *counts, *stacks;
	struct slot_drain d;
	struct slot_cache cache;
	struct raw_profile *rp;
	uint64_t lost[CPROF_NR_COUNTERS];
};

static void fixture_init(struct fixture *f, size_t nr_keys)
{
	struct cprof_stack st = { .ips = { 0xffffffff81000010ULL, 0xffffffff81000020ULL } };

	f->counts = fake_map__new(sizeof(struct cprof_key), NR_CPUS * sizeof(uint64_t), nr_keys);
	f->stacks = fake_map__new(sizeof(uint64_t), sizeof(st), MAX_STACKS);
	for (uint32_t id = 0; id < 8; id++) {
		uint64_t k = KEY(id);

		st.ips[2] = 0x1000 + id;
		ck_assert_int_eq(fake_map__add(f->stacks, &k, &st), 0);
	}
	f->d = (struct slot_drain){ .ops = &fake_map_ops, .counts = f->counts,
				    .stacks = f->stacks, .nr_values = NR_CPUS };
	ck_assert_int_eq(slot_cache__init(&f->cache, MAX_STACKS), 0);
	f->rp = raw_profile__new();
	memset(f->lost, 0, sizeof(f->lost));
	ck_assert_ptr_nonnull(f->rp);
}

static void fixture_release(struct fixture *f)
{
	fake_map__free(f->counts);
	fake_map__free(f->stacks);
	raw_profile__free(f->rp);
	slot_cache__release(&f->cache);
}

static void add_key(struct fixture *f, uint32_t tid, uint8_t kern_lost, uint32_t kid,
		    uint8_t user_lost, uint32_t uid, uint64_t count)
{
	struct cprof_key k = { .tgid = 4242, .tid = tid, .start_ticks = 7,
			       .user_stack = user_lost ? 0 : KEY(uid),
			       .kern_stack = kern_lost ? 0 : KEY(kid),
			       .user_lost = user_lost, .kern_lost = kern_lost };
	uint64_t v[NR_CPUS] = { count, 0 };

	memcpy(k.comm, "worker", 7);
	ck_assert_int_eq(fake_map__add(f->counts, &k, v), 0);
}

/* The profile built from rp as folded lines, in a static buffer. */
static const char *folded_of(struct raw_profile *rp)
{
	static char out[1 << 16];
	struct sym_session *sym = sym_session__new(NULL);
	struct pprof_build_opts bo = { .freq = 99 };
	struct pprof_build_stats bs;
	struct pb_profile *prof = NULL;
	FILE *f = fmemopen(out, sizeof(out) - 1, "w");

	ck_assert_ptr_nonnull(sym);
	ck_assert_int_eq(pprof_build(rp, sym, &bo, &prof, &bs), 0);
	ck_assert_int_eq(folded__write(pb_profile__finish(prof), 0, "comm", f), 0);
	fclose(f);
	pb_profile__free(prof);
	sym_session__free(sym);
	return out;
}

START_TEST(test_slot_drain__a_full_stack_map_is_a_named_loss_not_an_error)
{
	struct fixture f;
	const char *folded;

	fixture_init(&f, 16);
	add_key(&f, 1, CPROF_STACK_MAP_FULL, 0, CPROF_STACK_OK, 3, 5);
	add_key(&f, 2, CPROF_STACK_OK, 1, CPROF_STACK_MAP_FULL, 0, 2);
	add_key(&f, 3, CPROF_STACK_COLLISION, 0, CPROF_STACK_OK, 4, 1);
	add_key(&f, 4, CPROF_STACK_NONE, 0, CPROF_STACK_OK, 5, 11);
	/* the old drain read the first key's -ENOMEM id as out of memory and failed */
	ck_assert_int_eq(slot_drain__run(&f.d, &f.cache, f.rp, f.lost), 19);
	ck_assert_uint_eq(f.lost[CPROF_DROP_DRAIN_NOMEM], 0);
	ck_assert_uint_eq(raw_profile__total(f.rp), 19);
	ck_assert_uint_eq(f.counts->live, 0);
	ck_assert_uint_eq(f.stacks->live, 0);
	folded = folded_of(f.rp);
	ck_assert_msg(strstr(folded, "[kernel stack lost: stack map full] 5\n"), "%s", folded);
	ck_assert_msg(strstr(folded, "[user stack lost: stack map full];"), "%s", folded);
	ck_assert_msg(strstr(folded, "[kernel stack lost: stack id collision] 1\n"), "%s", folded);
	fixture_release(&f);
}
END_TEST

START_TEST(test_slot_drain__every_lost_reason_keeps_its_own_value)
{
	struct fixture f;
	static const struct { uint8_t lost; int32_t raw; } map[] = {
		{ CPROF_STACK_NONE, RAW_STACK_NONE },
		{ CPROF_STACK_COLLISION, RAW_STACK_COLLISION },
		{ CPROF_STACK_MAP_FULL, RAW_STACK_MAP_FULL },
		{ CPROF_STACK_MISSING, RAW_STACK_MISSING },
		{ CPROF_STACK_RING_FULL, RAW_STACK_RING_FULL },
		{ CPROF_STACK_PREEMPTED, RAW_STACK_PREEMPTED },
		{ CPROF_STACK_RAN_ON, RAW_STACK_RAN_ON },
	};
	int32_t got;

	fixture_init(&f, 4);
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		ck_assert_int_eq(slot_drain__stack(&f.d, &f.cache, f.rp, 0, map[i].lost, &got), 0);
		ck_assert_int_eq(got, map[i].raw);
	}
	/* a key the map does not hold is a missing stack */
	ck_assert_int_eq(slot_drain__stack(&f.d, &f.cache, f.rp, KEY(9), CPROF_STACK_OK, &got), 0);
	ck_assert_int_eq(got, RAW_STACK_MISSING);
	ck_assert_int_eq(slot_drain__stack(&f.d, &f.cache, f.rp, KEY(2), CPROF_STACK_OK, &got), 0);
	ck_assert_int_ge(got, 0);
	/* the same stack again: the same index, from the cache */
	f.stacks->lookups = 0;
	ck_assert_int_eq(slot_drain__stack(&f.d, &f.cache, f.rp, KEY(2), CPROF_STACK_OK, &got), 0);
	ck_assert_int_eq(f.stacks->lookups, 0);
	ck_assert_int_eq(raw_profile__stack(f.rp, got)->ips[2], 0x1002);
	fixture_release(&f);
}
END_TEST

START_TEST(test_slot_drain__5000_keys_drain_once_and_empty_both_maps)
{
	struct fixture f;
	uint64_t want = 0;

	fixture_init(&f, 5000);
	for (uint32_t i = 0; i < 5000; i++) {
		add_key(&f, i, CPROF_STACK_OK, i % 8, CPROF_STACK_OK, (i + 1) % 8, 1 + i % 3);
		want += 1 + i % 3;
	}
	ck_assert_int_eq(slot_drain__run(&f.d, &f.cache, f.rp, f.lost), (int64_t)want);
	ck_assert_uint_eq(raw_profile__nr_samples(f.rp), 5000);
	ck_assert_uint_eq(f.counts->live, 0);
	ck_assert_uint_eq(f.stacks->live, 0);
	ck_assert_int_eq(slot_drain__run(&f.d, &f.cache, f.rp, f.lost), 0);
	ck_assert_uint_eq(raw_profile__total(f.rp), want);
	fixture_release(&f);
}
END_TEST

static size_t vm_bytes(void)
{
	FILE *f = fopen("/proc/self/statm", "r");
	unsigned long pages = 0;

	ck_assert_int_eq(fscanf(f, "%lu", &pages), 1);
	fclose(f);
	return pages * (size_t)sysconf(_SC_PAGESIZE);
}

/* Drains f under an address-space limit a little above what it uses. */
static int64_t drain_short_of_memory(struct fixture *f)
{
	struct rlimit old, lim;
	int64_t got;

	ck_assert_int_eq(getrlimit(RLIMIT_AS, &old), 0);
	lim = old;
	lim.rlim_cur = vm_bytes() + (4u << 20);
	ck_assert_int_eq(setrlimit(RLIMIT_AS, &lim), 0);
	got = slot_drain__run(&f->d, &f->cache, f->rp, f->lost);
	ck_assert_int_eq(setrlimit(RLIMIT_AS, &old), 0);
	return got;
}

/* Out of memory part-way (an address-space limit a little above what the
 * fixture uses): the old drain returned with the slot full, and the next
 * drain counted the stored part again. */
START_TEST(test_slot_drain__out_of_memory_part_way_counts_each_sample_once)
{
	const uint32_t n = 300000;
	struct fixture f;
	int64_t got;

	fixture_init(&f, n);
	for (uint32_t i = 0; i < n; i++)
		add_key(&f, i, CPROF_STACK_OK, 0, CPROF_STACK_OK, 1, 1);
	got = drain_short_of_memory(&f);

	ck_assert_int_eq(got, -ENOMEM);
	ck_assert_msg(f.lost[CPROF_DROP_DRAIN_NOMEM] > 0 && f.lost[CPROF_DROP_DRAIN_NOMEM] < n,
		      "%llu lost", (unsigned long long)f.lost[CPROF_DROP_DRAIN_NOMEM]);
	ck_assert_uint_eq(f.counts->live, 0);	/* the slot is empty all the same */
	ck_assert_uint_eq(raw_profile__total(f.rp) + f.lost[CPROF_DROP_DRAIN_NOMEM], n);
	/* the next drain finds nothing to count again */
	ck_assert_int_eq(slot_drain__run(&f.d, &f.cache, f.rp, f.lost), 0);
	ck_assert_uint_eq(raw_profile__total(f.rp) + f.lost[CPROF_DROP_DRAIN_NOMEM], n);
	fixture_release(&f);
}
END_TEST

/* The same with off-CPU entries: their value is time, not samples. The old
 * drain counted each lost one as 1 sample lost and their time nowhere. */
START_TEST(test_slot_drain__out_of_memory_counts_off_cpu_entries_and_their_time)
{
	const uint32_t n = 300000, ns = 2000000;
	struct fixture f;
	int64_t got;

	fixture_init(&f, n);
	for (uint32_t i = 0; i < n; i++) {
		struct cprof_key k = { .tgid = 100, .tid = i, .state = CPROF_OFFCPU_SLEEPING,
				       .user_stack = KEY(1), .kern_lost = CPROF_STACK_NONE };
		uint64_t v[NR_CPUS] = { ns / 2, ns / 2 };

		ck_assert_int_eq(fake_map__add(f.counts, &k, v), 0);
	}
	got = drain_short_of_memory(&f);

	ck_assert_int_eq(got, -ENOMEM);
	ck_assert_uint_eq(f.lost[CPROF_DROP_DRAIN_NOMEM], 0);	/* no CPU sample was lost */
	ck_assert_msg(f.lost[CPROF_DROP_OFFCPU_NOMEM] > 0 && f.lost[CPROF_DROP_OFFCPU_NOMEM] < n,
		      "%llu lost", (unsigned long long)f.lost[CPROF_DROP_OFFCPU_NOMEM]);
	ck_assert_uint_eq(f.lost[CPROF_OFFCPU_NOMEM_NS], f.lost[CPROF_DROP_OFFCPU_NOMEM] * ns);
	ck_assert_uint_eq(raw_profile__off_ns(f.rp) + f.lost[CPROF_OFFCPU_NOMEM_NS],
			  (uint64_t)n * ns);
	fixture_release(&f);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("slot_drain");
	TCase *tc = tcase_create("fake maps");
	SRunner *sr;
	int failed;

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_slot_drain__a_full_stack_map_is_a_named_loss_not_an_error);
	tcase_add_test(tc, test_slot_drain__every_lost_reason_keeps_its_own_value);
	tcase_add_test(tc, test_slot_drain__5000_keys_drain_once_and_empty_both_maps);
#ifndef __SANITIZE_ADDRESS__	/* ASan's allocator aborts on a failed mmap instead of returning NULL */
	tcase_add_test(tc, test_slot_drain__out_of_memory_part_way_counts_each_sample_once);
	tcase_add_test(tc, test_slot_drain__out_of_memory_counts_off_cpu_entries_and_their_time);
#endif
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
