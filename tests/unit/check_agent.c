// SPDX-License-Identifier: MIT
/* The agent's attribution and configuration, without BPF: container ids, pod
 * uids and systemd units read from real-world cgroup paths; service names by
 * rule; a live process attributed from /proc, a gone one from its samples'
 * thread name and the executable last seen with it; an exec from the
 * kernel's facts, its cgroup learnt by id; the cache bounded with
 * LRU eviction and exited processes forgotten; settings parsed the same from
 * flags and a config file, with errors that name the line; secrets read
 * whole or refused (too long, several lines, not a regular file), never
 * cut and never repeated in the error. */
#define _GNU_SOURCE
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "base/proc.h"
#include "profiler/agent/agent_attr.h"
#include "profiler/agent/agent_config.h"
#include "profiler/cli.h"

#define ID64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define POD "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
#define POD_ "1b4e28ba_2fa1_11d2_883f_0016d3cca427"

START_TEST(test_attr__reads_containers_pods_and_units_from_cgroup_paths)
{
	static const struct {
		const char *path, *container, *pod, *unit;
	} cases[] = {
		{ "/system.slice/docker-" ID64 ".scope", ID64, "", "" },
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod" POD_
		  ".slice/cri-containerd-" ID64 ".scope", ID64, POD, "" },
		{ "/kubepods/besteffort/pod" POD "/" ID64, ID64, POD, "" },
		{ "/machine.slice/libpod-" ID64 ".scope/container", ID64, "", "" },
		{ "/kubepods.slice/kubepods-pod" POD_ ".slice/crio-conmon-" ID64 ".scope", "", POD, "" },
		{ "/system.slice/nginx.service", "", "", "nginx" },
		{ "/user.slice/user-1000.slice/session-3.scope", "", "", "" },
		{ "/", "", "", "" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct proc_facts f;

		memset(&f, 'x', sizeof(f));
		proc_facts__parse_cgroup(cases[i].path, &f);
		ck_assert_msg(!strcmp(f.container_id, cases[i].container), "%s: container %s",
			      cases[i].path, f.container_id);
		ck_assert_msg(!strcmp(f.pod_uid, cases[i].pod), "%s: pod %s", cases[i].path, f.pod_uid);
		ck_assert_msg(!strcmp(f.unit, cases[i].unit), "%s: unit %s", cases[i].path, f.unit);
	}
}
END_TEST

START_TEST(test_attr__names_services_by_rule)
{
	struct proc_facts f = { .exe = "nginx", .comm = "nginx: worker", .cgroup =
				"/system.slice/docker-" ID64 ".scope" };
	struct attr_rule r;
	const char *why;
	char name[ATTR_NAME_LEN];

	proc_facts__parse_cgroup(f.cgroup, &f);
	ck_assert_int_eq(attr_rule__parse("container,exe", &r, &why), 0);
	attr_rule__service(&r, &f, name, sizeof(name));
	ck_assert_str_eq(name, "0123456789ab");
	ck_assert_int_eq(attr_rule__parse("unit,exe", &r, &why), 0);
	attr_rule__service(&r, &f, name, sizeof(name));
	ck_assert_str_eq(name, "nginx");
	ck_assert_int_eq(attr_rule__parse("cgroup", &r, &why), 0);
	attr_rule__service(&r, &f, name, sizeof(name));
	ck_assert_str_eq(name, "docker-" ID64);
	ck_assert_int_eq(attr_rule__parse("pod,=fleet", &r, &why), 0);
	attr_rule__service(&r, &f, name, sizeof(name));
	ck_assert_str_eq(name, "fleet");
	f.kthread = true;
	ck_assert_int_eq(attr_rule__parse("container,exe", &r, &why), 0);
	attr_rule__service(&r, &f, name, sizeof(name));
	ck_assert_str_eq(name, "kernel");
	memset(&f, 0, sizeof(f));
	attr_rule__service(&r, &f, name, sizeof(name));
	ck_assert_str_eq(name, "unknown");

	ck_assert_int_eq(attr_rule__parse("", &r, &why), -EINVAL);
	ck_assert_int_eq(attr_rule__parse("exe,", &r, &why), -EINVAL);
	ck_assert_int_eq(attr_rule__parse("container,bogus", &r, &why), -EINVAL);
	ck_assert_int_eq(attr_rule__parse("=", &r, &why), -EINVAL);
}
END_TEST

static uint64_t start_ticks(int pid)
{
	uint64_t st = 0;

	ck_assert_int_eq(proc__start_ticks(pid, &st), 0);
	return st;
}

/* A pid and start time of a process that no longer exists. */
static int gone_pid(uint64_t *ret_start)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	*ret_start = start_ticks(getpid()) + 1;	/* any start that is not a live one */
	waitpid(pid, NULL, 0);
	return pid;
}

START_TEST(test_attr__attributes_live_processes_from_proc_and_gone_ones_from_samples)
{
	struct attr_rule r;
	struct attr_cache *c;
	const struct attr_info *in;
	struct attr_stats st;
	const char *why;
	uint64_t start = start_ticks(getpid()), gstart;
	int gpid;

	ck_assert_int_eq(attr_rule__parse("container,exe", &r, &why), 0);
	c = attr_cache__new(0, &r, NULL, NULL);
	ck_assert_ptr_nonnull(c);
	/* comm unlike the executable, as after an exec through a symlink */
	ck_assert_int_eq(prctl(PR_SET_NAME, "renamed-main"), 0);
	ck_assert_int_eq(attr_cache__capture(c, getpid(), start, false), 0);
	in = attr_cache__get(c, getpid(), start, "whatever");
	ck_assert_ptr_nonnull(in);
	ck_assert_str_eq(in->service, "check_agent");
	ck_assert_str_eq(in->facts.comm, "renamed-main");
	ck_assert(in->from_proc && in->selected);
	/* pid reuse: same pid, other start time, is another process */
	ck_assert_int_eq(attr_cache__capture(c, getpid(), start + 7, false), -ESRCH);

	gpid = gone_pid(&gstart);
	in = attr_cache__get(c, gpid, gstart, "renamed-main");
	ck_assert_ptr_nonnull(in);
	ck_assert(!in->from_proc);
	ck_assert_str_eq(in->service, "check_agent");	/* the executable last seen with that comm */
	in = attr_cache__get(c, gpid, gstart + 1, "other-thing");
	ck_assert_str_eq(in->service, "other-thing");
	attr_cache__stats(c, &st);
	ck_assert_uint_eq(st.fallbacks, 2);

	/* gone processes are forgotten with the window, live ones stay */
	ck_assert_uint_eq(attr_cache__forget_exited(c, false, NULL, NULL), 2);
	attr_cache__exited(c, getpid(), start);
	ck_assert_uint_eq(attr_cache__forget_exited(c, false, NULL, NULL), 1);
	attr_cache__stats(c, &st);
	ck_assert_uint_eq(st.entries, 0);
	attr_cache__free(c);
}
END_TEST

/* An exec is attributed from what the kernel told of it (its comm, its
 * executable's file name, the set of cgroups it is in): the cgroup path is
 * read from /proc, learnt for the set once two reads agree, and then known
 * by the set alone, even for a process gone before it could be read. */
START_TEST(test_attr__an_exec_is_attributed_from_what_the_kernel_told)
{
	uint64_t start = start_ticks(getpid()), gstart, set = 0x5e7;
	const struct attr_info *in;
	struct attr_stats st;
	struct attr_rule r;
	struct attr_cache *c;
	const char *why;
	char cg[256];
	int gpid;

	ck_assert_int_eq(attr_rule__parse("exe", &r, &why), 0);
	c = attr_cache__new(0, &r, NULL, NULL);
	ck_assert_ptr_nonnull(c);
	ck_assert_int_eq(attr_cache__capture(c, getpid(), start, false), 0);
	in = attr_cache__get(c, getpid(), start, "x");
	snprintf(cg, sizeof(cg), "%s", in->facts.cgroup);	/* ours, as attribution picks it */
	gpid = gone_pid(&gstart);

	/* a live exec: the kernel's names, the cgroup read */
	ck_assert_int_eq(attr_cache__exec(c, getpid(), start, "worker", "server-bin", set), 0);
	in = attr_cache__get(c, getpid(), start, "x");
	ck_assert_str_eq(in->service, "server-bin");
	ck_assert_str_eq(in->facts.comm, "worker");
	ck_assert_str_eq(in->facts.cgroup, cg);
	ck_assert(in->from_proc);
	/* one read is not enough to know the set by: a gone process's is
	 * unknown; a memfd names no file */
	ck_assert_int_eq(attr_cache__exec(c, gpid, gstart, "job", "memfd:x", set), 0);
	in = attr_cache__get(c, gpid, gstart, "x");
	ck_assert_str_eq(in->facts.cgroup, "");
	ck_assert_str_eq(in->facts.exe, "");
	ck_assert_str_eq(in->service, "job");
	/* a second read agrees: learnt, and a gone process's cgroup is known */
	ck_assert_int_eq(attr_cache__exec(c, getpid(), start, "worker", "server-bin", set), 0);
	ck_assert_int_eq(attr_cache__exec(c, gpid, gstart, "job", "job-bin", set), 0);
	in = attr_cache__get(c, gpid, gstart, "x");
	ck_assert_str_eq(in->facts.cgroup, cg);
	ck_assert_str_eq(in->service, "job-bin");
	attr_cache__stats(c, &st);
	ck_assert_uint_eq(st.cgroup_hits, 1);
	/* another set: read for the live process, still unknown for the gone one */
	ck_assert_int_eq(attr_cache__exec(c, getpid(), start, "worker", "server-bin", set + 1), 0);
	ck_assert_str_eq(attr_cache__get(c, getpid(), start, "x")->facts.cgroup, cg);
	ck_assert_int_eq(attr_cache__exec(c, gpid, gstart, "job", "job-bin", set + 1), 0);
	in = attr_cache__get(c, gpid, gstart, "x");
	ck_assert_str_eq(in->facts.cgroup, "");
	ck_assert_str_eq(in->service, "job-bin");
	/* no set (the kernel could not tell): every exec reads, none is learnt */
	ck_assert_int_eq(attr_cache__exec(c, getpid(), start, "worker", "server-bin", 0), 0);
	ck_assert_int_eq(attr_cache__exec(c, getpid(), start, "worker", "server-bin", 0), 0);
	ck_assert_int_eq(attr_cache__exec(c, gpid, gstart, "job", "job-bin", 0), 0);
	ck_assert_str_eq(attr_cache__get(c, gpid, gstart, "x")->facts.cgroup, "");
	attr_cache__stats(c, &st);
	ck_assert_uint_eq(st.cgroup_hits, 1);
	/* the kernel told nothing: /proc tells it all */
	ck_assert_int_eq(attr_cache__exec(c, getpid(), start, "", "", 0), 0);
	ck_assert_str_eq(attr_cache__get(c, getpid(), start, "x")->service, "check_agent");
	attr_cache__free(c);
}
END_TEST

START_TEST(test_attr__filters_by_cgroup_and_comm)
{
	char cg[600], line[512];
	struct attr_rule r;
	struct attr_cache *c;
	const struct attr_info *in;
	const char *why;
	uint64_t start = start_ticks(getpid());
	FILE *f = fopen("/proc/self/cgroup", "r");

	ck_assert_ptr_nonnull(f);
	cg[0] = '\0';
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3))
			snprintf(cg, sizeof(cg), "%s", line + 3);
	fclose(f);
	cg[strcspn(cg, "\n")] = '\0';
	if (!cg[0])
		return;	/* cgroup v1 only: nothing to compare with */
	ck_assert_int_eq(attr_rule__parse("exe", &r, &why), 0);
	c = attr_cache__new(0, &r, cg, "^check_ag");
	in = attr_cache__get(c, getpid(), start, "x");
	ck_assert(in->selected);
	ck_assert_int_eq(attr_cache__reconfigure(c, &r, "/no/such/cgroup", NULL), 0);
	in = attr_cache__get(c, getpid(), start, "x");
	ck_assert(!in->selected);
	ck_assert_int_eq(attr_cache__reconfigure(c, &r, NULL, "^nomatch$"), 0);
	in = attr_cache__get(c, getpid(), start, "x");
	ck_assert(!in->selected);
	ck_assert_int_eq(attr_cache__reconfigure(c, &r, "/", NULL), 0);
	in = attr_cache__get(c, getpid(), start, "x");
	ck_assert(in->selected);
	attr_cache__free(c);
}
END_TEST

START_TEST(test_attr__cache_is_bounded_with_lru_eviction)
{
	struct attr_rule r;
	struct attr_cache *c;
	struct attr_stats st;
	const char *why;
	uint64_t gstart;
	int gpid = gone_pid(&gstart);

	ck_assert_int_eq(attr_rule__parse("exe", &r, &why), 0);
	c = attr_cache__new(4, &r, NULL, NULL);
	for (int i = 0; i < 10; i++)
		ck_assert_ptr_nonnull(attr_cache__get(c, gpid, gstart + i, "p"));
	attr_cache__stats(c, &st);
	ck_assert_uint_eq(st.entries, 4);
	ck_assert_uint_eq(st.evictions, 6);
	attr_cache__free(c);
}
END_TEST

START_TEST(test_config__parses_flags_and_files_alike)
{
	struct agent_config c;
	char err[256], path[] = "/tmp/cprof-agent-conf.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");

	fputs("# comment\n\nurl = pyroscope://127.0.0.1:4040\ninterval = 2.5\n"
	      "label = env=prod\nlabel = \"team=a b\"\nspool-max-bytes = 64M\n"
	      "tls-insecure = yes\nservice-name = unit,exe\nnet = veth0\nnet-xdp = true\n", f);
	fclose(f);
	agent_config__init(&c);
	ck_assert_uint_eq(c.freq, 19);
	ck_assert(c.interval == 10);
	ck_assert_int_eq(agent_config__load_file(&c, path, err, sizeof(err)), 0);
	ck_assert_int_eq(agent_config__set(&c, "label", "env=dev", err, sizeof(err)), 0);
	ck_assert_int_eq(agent_config__set(&c, "pid", "1,2", err, sizeof(err)), 0);
	ck_assert_int_eq(agent_config__set(&c, "interval", "500ms", err, sizeof(err)), -EINVAL);
	ck_assert_int_eq(agent_config__set(&c, "frequency", "97", err, sizeof(err)), 0);
	ck_assert_str_eq(c.url, "pyroscope://127.0.0.1:4040");
	ck_assert(c.interval == 2.5);
	ck_assert_uint_eq(c.nr_labels, 2);
	ck_assert_str_eq(c.labels[0].value, "dev");	/* a later label of the same name wins */
	ck_assert_str_eq(c.labels[1].value, "a b");
	ck_assert_uint_eq(c.spool_max_bytes, 64ULL << 20);
	ck_assert(c.tls_insecure);
	ck_assert_uint_eq(c.nr_pids, 2);
	ck_assert_uint_eq(c.freq, 97);
	/* --net adds up across the file and flags, once per interface */
	ck_assert_int_eq(agent_config__set(&c, "net", "eth1", err, sizeof(err)), 0);
	ck_assert_int_eq(agent_config__set(&c, "net", "veth0", err, sizeof(err)), 0);
	ck_assert_uint_eq(c.nr_net_ifaces, 2);
	ck_assert_str_eq(c.net_ifaces[0], "veth0");
	ck_assert_str_eq(c.net_ifaces[1], "eth1");
	ck_assert(c.net_xdp);
	ck_assert_int_eq(agent_config__check(&c, err, sizeof(err)), 0);
	ck_assert_int_eq(agent_config__set(&c, "comm", "^x", err, sizeof(err)), 0);
	ck_assert_int_eq(agent_config__check(&c, err, sizeof(err)), -EINVAL);	/* pid and comm */
	agent_config__release(&c);

	f = fopen(path, "w");
	fputs("url = file:///x\nfrequency = fast\n", f);
	fclose(f);
	agent_config__init(&c);
	ck_assert_int_eq(agent_config__load_file(&c, path, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, ":2: --frequency must be"));
	agent_config__release(&c);
	unlink(path);
}
END_TEST

START_TEST(test_config__refuses_bad_values_with_a_reason)
{
	static const struct { const char *name, *value, *says; } bad[] = {
		{ "label", "no-equals", "NAME=VALUE" },
		{ "label", "__name__=x", "NAME=VALUE" },
		{ "label", "ok=", "NAME=VALUE" },
		{ "frequency", "0", "1..10000" },
		{ "interval", "0.2", "seconds" },
		{ "spool-max-bytes", "12Q", "size" },
		{ "spool-dir", "relative", "absolute" },
		{ "metrics-addr", "9464", "HOST:PORT" },
		{ "comm", "(", "regular expression" },
		{ "unwind", "lbr", "auto, copy, dwarf or fp" },
		{ "stack-size", "100", "1024..65536" },
		{ "service-name", "container,nope", "comma-separated" },
		{ "event", "instructions", "cpu-clock or cycles" },
		{ "net", "", "interface name" },
		{ "net", "a-name-that-is-too-long", "at most 15" },
		{ "net", "eth0/1", "interface name" },
		{ "net-xdp", "maybe", "true or false" },
	};
	struct agent_config c;
	char err[256];

	agent_config__init(&c);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_int_eq(agent_config__set(&c, bad[i].name, bad[i].value, err, sizeof(err)),
				 -EINVAL);
		ck_assert_msg(strstr(err, bad[i].says), "%s=%s: '%s'", bad[i].name, bad[i].value, err);
	}
	ck_assert_int_eq(agent_config__set(&c, "token", "x", err, sizeof(err)), -ENOENT);
	ck_assert_int_eq(agent_config__check(&c, err, sizeof(err)), -EINVAL);	/* no url */
	ck_assert_int_eq(agent_config__set(&c, "url", "file:///x", err, sizeof(err)), 0);
	ck_assert_int_eq(agent_config__set(&c, "net-xdp", "true", err, sizeof(err)), 0);
	ck_assert_int_eq(agent_config__check(&c, err, sizeof(err)), -EINVAL);
	ck_assert_msg(strstr(err, "give --net IFACE"), "%s", err);
	agent_config__release(&c);

	{
		uint64_t v;
		double s;

		ck_assert_int_eq(cli__parse_size("1G", &v), 0);
		ck_assert_uint_eq(v, 1ULL << 30);
		ck_assert_int_eq(cli__parse_size("512KiB", &v), 0);
		ck_assert_uint_eq(v, 512 << 10);
		ck_assert_int_eq(cli__parse_seconds("2m", CLI_SECONDS_UNITS, &s), 0);
		ck_assert(s == 120);
		ck_assert_int_eq(cli__parse_seconds("-1", CLI_SECONDS_UNITS, &s), -EINVAL);
	}
}
END_TEST

static void write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "we");

	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fwrite(data, 1, len, f), len);
	fclose(f);
}

START_TEST(test_config__refuses_oversized_secrets_without_printing_them)
{
	char dir[] = "/tmp/cprof-secret-test.XXXXXX", path[64], fifo[64], err[512], *secret;
	char *big = malloc(5002);

	ck_assert_ptr_nonnull(big);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/token", dir);
	for (int i = 0; i < 5000; i++)
		big[i] = 'A' + i % 26;
	big[5000] = '\n';
	big[5001] = '\0';

	/* 5000 bytes: refused, not cut, and not printed */
	write_file(path, big, 5001);
	ck_assert_int_eq(agent_config__read_secret(path, "CPROF_TEST_TOKEN", &secret, err,
						   sizeof(err)), -EINVAL);
	ck_assert_ptr_null(secret);
	ck_assert_ptr_nonnull(strstr(err, "refused rather than cut"));
	ck_assert_ptr_null(strstr(err, "ABCDEFGH"));
	/* the bound itself, with its newline: taken whole */
	{
		char *copy = malloc(AGENT_SECRET_MAX + 1);

		memcpy(copy, big, AGENT_SECRET_MAX);
		copy[AGENT_SECRET_MAX] = '\n';
		write_file(path, copy, AGENT_SECRET_MAX + 1);
		free(copy);
	}
	ck_assert_int_eq(agent_config__read_secret(path, "X", &secret, err, sizeof(err)), 0);
	ck_assert_uint_eq(strlen(secret), AGENT_SECRET_MAX);
	free(secret);
	/* one byte more: refused */
	write_file(path, big, AGENT_SECRET_MAX + 1);
	ck_assert_int_eq(agent_config__read_secret(path, "X", &secret, err, sizeof(err)), -EINVAL);
	/* two lines, a control character: refused, not echoed */
	write_file(path, "abcdefgh\nijkl\n", 14);
	ck_assert_int_eq(agent_config__read_secret(path, "X", &secret, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_null(strstr(err, "abcdefgh"));
	write_file(path, "abc\x1b[2Jdef", 10);
	ck_assert_int_eq(agent_config__read_secret(path, "X", &secret, err, sizeof(err)), -EINVAL);
	/* a FIFO or a directory is no secret file (and opening one does not hang) */
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_int_eq(agent_config__read_secret(fifo, "X", &secret, err, sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	ck_assert_int_eq(agent_config__read_secret(dir, "X", &secret, err, sizeof(err)), -EINVAL);
	/* the environment: the same bound */
	big[5000] = '\0';
	setenv("CPROF_TEST_TOKEN", big, 1);
	ck_assert_int_eq(agent_config__read_secret(NULL, "CPROF_TEST_TOKEN", &secret, err,
						   sizeof(err)), -EINVAL);
	ck_assert_ptr_nonnull(strstr(err, "$CPROF_TEST_TOKEN"));
	ck_assert_ptr_null(strstr(err, "ABCDEFGH"));
	setenv("CPROF_TEST_TOKEN", "short-token", 1);
	ck_assert_int_eq(agent_config__read_secret(NULL, "CPROF_TEST_TOKEN", &secret, err,
						   sizeof(err)), 0);
	ck_assert_str_eq(secret, "short-token");
	free(secret);
	unsetenv("CPROF_TEST_TOKEN");
	ck_assert_int_eq(agent_config__read_secret(NULL, "CPROF_TEST_TOKEN", &secret, err,
						   sizeof(err)), 0);
	ck_assert_ptr_null(secret);
	unlink(fifo);
	unlink(path);
	rmdir(dir);
	free(big);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("agent");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_test(tc, test_attr__reads_containers_pods_and_units_from_cgroup_paths);
	tcase_add_test(tc, test_attr__names_services_by_rule);
	tcase_add_test(tc, test_attr__attributes_live_processes_from_proc_and_gone_ones_from_samples);
	tcase_add_test(tc, test_attr__an_exec_is_attributed_from_what_the_kernel_told);
	tcase_add_test(tc, test_attr__filters_by_cgroup_and_comm);
	tcase_add_test(tc, test_attr__cache_is_bounded_with_lru_eviction);
	tcase_add_test(tc, test_config__parses_flags_and_files_alike);
	tcase_add_test(tc, test_config__refuses_bad_values_with_a_reason);
	tcase_add_test(tc, test_config__refuses_oversized_secrets_without_printing_them);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
