// SPDX-License-Identifier: MIT
/* Tests for net_profile, the --net profile builder: exact stacks, labels and
 * sums of built profiles, decoded the way a pprof reader sees them. Pure: no
 * BPF (the parser and the live drain are tests/bpf/check_net.c). */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include "profiler/net/net_profile.h"
#include "tests/net_profile_util.h"

static struct net_key key(uint32_t ifindex, uint8_t dir, uint16_t et, uint8_t proto,
			  uint16_t lport, uint16_t rport)
{
	struct net_key k;

	memset(&k, 0, sizeof(k));
	k.ifindex = ifindex;
	k.dir = dir;
	k.ethertype = et;
	k.proto = proto;
	k.lport = lport;
	k.rport = rport;
	return k;
}

static Perftools__Profiles__Profile *build(struct net_profile *np, bool low)
{
	struct net_build_opts bo = { .time_nanos = 1700000000000000000LL,
				     .duration_nanos = 5000000000LL, .low_cardinality = low };
	Perftools__Profiles__Profile *out;
	struct pb_profile *p;

	ck_assert_int_eq(net_profile__build(np, &bo, &p), 0);
	out = round_trip(p);
	pb_profile__free(p);
	return out;
}

/* --- net_profile ------------------------------------------------------------ */

START_TEST(test_net_profile__udp_flow_has_stack_values_and_labels)
{
	struct net_profile_opts po = {0};
	struct net_profile *np = net_profile__new(&po);
	struct net_key k = key(7, NET_DIR_EGRESS, 0x0800, 17, 40001, 9000);
	Perftools__Profiles__Profile *p;
	const Perftools__Profiles__Sample *s;
	char labels[512];

	ck_assert_ptr_nonnull(np);
	ck_assert_int_eq(net_profile__set_iface(np, 7, "veth0"), 0);
	k.cgroup_id = 4242;
	k.tgid = 99;
	memcpy(k.comm, "net_send", 9);
	ck_assert_int_eq(net_profile__add(np, &k, 49, 6958), 0);
	ck_assert_int_eq(net_profile__add(np, &k, 1, 142), 0);
	p = build(np, false);

	ck_assert_uint_eq(p->n_sample_type, 2);
	ck_assert_str_eq(str(p, p->sample_type[0]->type), "packets");
	ck_assert_str_eq(str(p, p->sample_type[0]->unit), "count");
	ck_assert_str_eq(str(p, p->sample_type[1]->type), "bytes");
	ck_assert_str_eq(str(p, p->sample_type[1]->unit), "bytes");
	ck_assert_str_eq(str(p, p->default_sample_type), "bytes");
	ck_assert_ptr_nonnull(p->period_type);	/* Pyroscope merges want one */
	ck_assert_str_eq(str(p, p->period_type->type), "packets");
	ck_assert_int_eq(p->period, 1);
	ck_assert_int_eq(p->duration_nanos, 5000000000LL);
	ck_assert_uint_eq(p->n_sample, 1);
	s = sample_with_stack(p, "net;veth0;egress;udp;9000/udp");
	ck_assert_int_eq(s->value[0], 50);
	ck_assert_int_eq(s->value[1], 7100);
	labels_of(p, s, labels, sizeof(labels));
	ck_assert_str_eq(labels, "cgroup=4242 cgroup_id=4242 comm=net_send direction=egress "
			 "family=ipv4 iface=veth0 local_port=40001 pid=99 port=9000 proto=udp "
			 "remote_port=9000");
	perftools__profiles__profile__free_unpacked(p, NULL);
	net_profile__free(np);
}
END_TEST

START_TEST(test_net_profile__service_port_is_the_end_outside_the_ephemeral_range)
{
	struct net_profile_opts po = { .ephemeral_lo = 32768, .ephemeral_hi = 60999 };
	struct net_profile *np = net_profile__new(&po);

	ck_assert_uint_eq(net_profile__service_port(np, 40001, 9000), 9000);
	ck_assert_uint_eq(net_profile__service_port(np, 9000, 40001), 9000);
	ck_assert_uint_eq(net_profile__service_port(np, 443, 61000), 443);
	ck_assert_uint_eq(net_profile__service_port(np, 50000, 40000), 40000);
	ck_assert_uint_eq(net_profile__service_port(np, 8080, 53), 53);
	net_profile__free(np);
}
END_TEST

START_TEST(test_net_profile__malformed_fragments_icmp_and_non_ip_are_named)
{
	static const struct {
		uint16_t et;
		uint8_t proto, status;
		uint16_t lport;
		const char *stack;
	} cases[] = {
		{ 0x0800, 17, NET_ST_TRUNC_L4, 0, "net;if3;ingress;malformed;truncated udp header" },
		{ 0x8100, 0, NET_ST_TRUNC_L2, 0, "net;if3;ingress;malformed;truncated vlan header" },
		{ 0x0800, 0, NET_ST_TRUNC_L2, 0, "net;if3;ingress;malformed;truncated ethernet header" },
		{ 0x86DD, 0, NET_ST_TRUNC_L3, 0, "net;if3;ingress;malformed;truncated ipv6 header" },
		{ 0x0800, 0, NET_ST_BAD_L3, 0, "net;if3;ingress;malformed;bad ipv4 header" },
		{ 0x0800, 6, NET_ST_BAD_L4, 0, "net;if3;ingress;malformed;bad tcp header" },
		{ 0x86DD, 0, NET_ST_EXT_LIMIT, 0,
		  "net;if3;ingress;malformed;too many ipv6 extension headers" },
		{ 0x0800, 17, NET_ST_FRAGMENT, 0, "net;if3;ingress;udp;fragment" },
		{ 0x0800, 1, NET_ST_OK, 8, "net;if3;ingress;icmp;echo-request" },
		{ 0x86DD, 58, NET_ST_OK, 200, "net;if3;ingress;icmpv6;type 200" },
		{ 0x0800, 99, NET_ST_OK, 0, "net;if3;ingress;ipv4 proto 99" },
		{ 0x0806, 0, NET_ST_OK, 0, "net;if3;ingress;arp" },
		{ 0x88B5, 0, NET_ST_OK, 0, "net;if3;ingress;ethertype 0x88b5" },
	};
	struct net_profile_opts po = {0};
	struct net_profile *np = net_profile__new(&po);
	Perftools__Profiles__Profile *p;
	char labels[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct net_key k = key(3, NET_DIR_INGRESS, cases[i].et, cases[i].proto,
				       cases[i].lport, 0);

		k.status = cases[i].status;
		ck_assert_int_eq(net_profile__add(np, &k, i + 1, 100 * (i + 1)), 0);
	}
	p = build(np, false);
	ck_assert_uint_eq(p->n_sample, sizeof(cases) / sizeof(cases[0]));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const Perftools__Profiles__Sample *s = sample_with_stack(p, cases[i].stack);

		ck_assert_int_eq(s->value[0], (int64_t)i + 1);
		ck_assert_int_eq(s->value[1], 100 * ((int64_t)i + 1));
	}
	labels_of(p, sample_with_stack(p, cases[0].stack), labels, sizeof(labels));
	ck_assert_str_eq(labels, "direction=ingress family=ipv4 iface=if3 "
			 "malformed=truncated udp header proto=malformed");
	perftools__profiles__profile__free_unpacked(p, NULL);
	net_profile__free(np);
}
END_TEST

START_TEST(test_net_profile__full_table_folds_per_interface_and_direction)
{
	struct net_profile_opts po = { .max_keys = 4 };
	struct net_profile *np = net_profile__new(&po);
	struct net_profile_stats st;
	Perftools__Profiles__Profile *p;
	const Perftools__Profiles__Sample *s;

	for (uint16_t i = 0; i < 10; i++) {
		struct net_key k = key(3, i < 7 ? NET_DIR_EGRESS : NET_DIR_INGRESS, 0x0800, 17,
				       1000 + i, 53);

		ck_assert_int_eq(net_profile__add(np, &k, 1, 100), 0);
	}
	net_profile__stats(np, &st);
	ck_assert_uint_eq(st.packets, 10);
	ck_assert_uint_eq(st.bytes, 1000);
	ck_assert_uint_eq(st.folded_packets, 6);
	ck_assert_uint_eq(st.folded_bytes, 600);
	ck_assert_uint_eq(st.keys, 6);
	p = build(np, false);
	ck_assert_uint_eq(p->n_sample, 6);
	s = sample_with_stack(p, "net;if3;egress;[key table full]");
	ck_assert_int_eq(s->value[0], 3);
	s = sample_with_stack(p, "net;if3;ingress;[key table full]");
	ck_assert_int_eq(s->value[0], 3);
	ck_assert_int_eq(s->value[1], 300);
	perftools__profiles__profile__free_unpacked(p, NULL);

	net_profile__reset(np);
	net_profile__stats(np, &st);
	ck_assert_uint_eq(st.keys, 0);
	ck_assert_uint_eq(st.packets, 0);
	p = build(np, false);
	ck_assert_uint_eq(p->n_sample, 0);
	perftools__profiles__profile__free_unpacked(p, NULL);
	net_profile__free(np);
}
END_TEST

START_TEST(test_net_profile__low_cardinality_merges_connections_of_a_service)
{
	struct net_profile_opts po = {0};
	struct net_profile *np = net_profile__new(&po);
	Perftools__Profiles__Profile *p;
	const Perftools__Profiles__Sample *s;
	char labels[512];

	for (uint16_t i = 0; i < 5; i++) {
		struct net_key k = key(2, NET_DIR_INGRESS, 0x86DD, 6, 443, 40000 + i);

		k.tgid = 1000 + i;	/* pid too is left out */
		ck_assert_int_eq(net_profile__add(np, &k, 2, 200), 0);
	}
	p = build(np, true);
	ck_assert_uint_eq(p->n_sample, 1);
	s = sample_with_stack(p, "net;if2;ingress;tcp;443/tcp");
	ck_assert_int_eq(s->value[0], 10);
	ck_assert_int_eq(s->value[1], 1000);
	labels_of(p, s, labels, sizeof(labels));
	ck_assert_str_eq(labels, "direction=ingress family=ipv6 iface=if2 port=443 proto=tcp");
	perftools__profiles__profile__free_unpacked(p, NULL);
	net_profile__free(np);
}
END_TEST


int main(void)
{
	Suite *s = suite_create("net_profile");
	TCase *prof = tcase_create("net_profile");
	SRunner *sr;
	int failed;

	tcase_add_test(prof, test_net_profile__udp_flow_has_stack_values_and_labels);
	tcase_add_test(prof, test_net_profile__service_port_is_the_end_outside_the_ephemeral_range);
	tcase_add_test(prof, test_net_profile__malformed_fragments_icmp_and_non_ip_are_named);
	tcase_add_test(prof, test_net_profile__full_table_folds_per_interface_and_direction);
	tcase_add_test(prof, test_net_profile__low_cardinality_merges_connections_of_a_service);
	suite_add_tcase(s, prof);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
