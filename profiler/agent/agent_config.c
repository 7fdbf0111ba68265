// SPDX-License-Identifier: MIT
/* One setter for every option, called by the flag parser and the file reader
 * alike, so the two can never disagree about names or what a value means. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "profiler/agent/agent_attr.h"
#include "profiler/agent/agent_config.h"
#include "profiler/cli.h"
#include "base/regex_bound.h"

const struct agent_option agent_options[] = {
	{ "config", 'c', "FILE", false },
	{ "pid", 'p', "PID", true },
	{ "cgroup", 0, "PATH", false },
	{ "comm", 0, "REGEX", false },
	{ "frequency", 'F', "HZ", false },
	{ "event", 'e', "EVENT", false },
	{ "idle", 0, NULL, false },
	{ "profile-self", 0, NULL, false },
	{ "no-python", 0, NULL, false },
	{ "max-stacks", 0, "N", false },
	{ "unwind", 0, "MODE", false },
	{ "stack-size", 0, "BYTES", false },
	{ "off-cpu", 0, NULL, false },
	{ "off-cpu-min", 0, "TIME", false },
	{ "off-cpu-probability", 0, "P", false },
	{ "interval", 'i', "SECS", false },
	{ "net", 0, "IFACE", true },
	{ "net-xdp", 0, NULL, false },
	{ "service-name", 0, "RULE", false },
	{ "label", 'l', "NAME=VALUE", true },
	{ "url", 'u', "URL", false },
	{ "tenant", 0, "ID", false },
	{ "tls-ca", 0, "FILE", false },
	{ "tls-cert", 0, "FILE", false },
	{ "tls-key", 0, "FILE", false },
	{ "tls-insecure", 0, NULL, false },
	{ "bearer-token-file", 0, "FILE", false },
	{ "basic-auth-file", 0, "FILE", false },
	{ "upload-timeout", 0, "SECS", false },
	{ "retry-backoff-min", 0, "SECS", false },
	{ "retry-backoff-max", 0, "SECS", false },
	{ "shutdown-timeout", 0, "SECS", false },
	{ "spool-dir", 0, "DIR", false },
	{ "spool-max-bytes", 0, "SIZE", false },
	{ "max-samples-per-profile", 0, "N", false },
	{ "metrics-addr", 0, "HOST:PORT", false },
	{ "debuginfod", 0, "URLS", false },
	{ "verbose", 'v', NULL, false },
	{ "quiet", 'q', NULL, false },
	{ NULL, 0, NULL, false },
};

void agent_config__init(struct agent_config *c)
{
	memset(c, 0, sizeof(*c));
	c->freq = 19;
	c->interval = 10;
	c->upload_timeout = 10;
	c->backoff_min = 0.5;
	c->backoff_max = 30;
	c->shutdown_timeout = 5;
	c->spool_max_bytes = 256ULL << 20;
	c->max_samples_per_profile = 16000;
	c->off_cpu_min = 0.001;
	c->off_cpu_probability = 1;
}

void agent_config__release(struct agent_config *c)
{
	char **strs[] = {
		&c->cgroup, &c->comm, &c->unwind, &c->service_name, &c->url, &c->tenant,
		&c->tls_ca, &c->tls_cert, &c->tls_key, &c->bearer_token_file,
		&c->basic_auth_file, &c->spool_dir, &c->metrics_addr, &c->config, &c->debuginfod,
	};

	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++)
		free(*strs[i]);
	for (size_t i = 0; i < c->nr_labels; i++) {
		free(c->labels[i].name);
		free(c->labels[i].value);
	}
	free(c->labels);
	for (size_t i = 0; i < c->nr_net_ifaces; i++)
		free(c->net_ifaces[i]);
	free(c->net_ifaces);
	free(c->pids);
	memset(c, 0, sizeof(*c));
}

static int fail(char *err, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int set_str(char **dst, const char *v)
{
	char *s = strdup(v);

	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

static int set_seconds(double *dst, const char *name, const char *v, double min, double max,
		       char *err, size_t len)
{
	double d;

	if (cli__parse_seconds(v, CLI_SECONDS_UNITS, &d) || d < min || d > max)
		return fail(err, len, "--%s must be %g..%g seconds (e.g. 10, 2.5, 500ms), not '%s'",
			    name, min, max, v);
	*dst = d;
	return 0;
}

static bool label_name_ok(const char *s, size_t n)
{
	if (!n || !(isalpha((unsigned char)s[0]) || s[0] == '_'))
		return false;
	if (n >= 2 && s[0] == '_' && s[1] == '_')	/* reserved: __name__ and friends */
		return false;
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}

static int add_label(struct agent_config *c, const char *v, char *err, size_t len)
{
	const char *eq = strchr(v, '=');
	struct agent_label *l;
	char *name, *value;

	if (!eq || !label_name_ok(v, eq - v) || !eq[1])
		return fail(err, len, "--label takes NAME=VALUE with NAME like [a-zA-Z_][a-zA-Z0-9_]* "
			    "(not starting with __) and a value, not '%s'", v);
	name = strndup(v, eq - v);
	value = strdup(eq + 1);
	if (!name || !value) {
		free(name);
		free(value);
		return -ENOMEM;
	}
	for (size_t i = 0; i < c->nr_labels; i++)
		if (!strcmp(c->labels[i].name, name)) {
			free(name);
			free(c->labels[i].value);
			c->labels[i].value = value;
			return 0;
		}
	if (c->nr_labels >= AGENT_MAX_LABELS) {
		free(name);
		free(value);
		return fail(err, len, "at most %d --label options", AGENT_MAX_LABELS);
	}
	l = realloc(c->labels, (c->nr_labels + 1) * sizeof(*l));
	if (!l) {
		free(name);
		free(value);
		return -ENOMEM;
	}
	c->labels = l;
	l[c->nr_labels].name = name;
	l[c->nr_labels++].value = value;
	return 0;
}

static int add_pids(struct agent_config *c, const char *v, char *err, size_t len)
{
	if (!c->pids && !(c->pids = malloc(AGENT_MAX_PIDS * sizeof(*c->pids))))
		return -ENOMEM;
	if (cli__parse_pids(v, c->pids, AGENT_MAX_PIDS, &c->nr_pids))
		return fail(err, len, "invalid pid list '%s'", v);
	return 0;
}

static int add_net_iface(struct agent_config *c, const char *v, char *err, size_t len)
{
	char **ifs, *name;

	if (!*v || strlen(v) >= 16 || strpbrk(v, "/: \t") || !strcmp(v, ".") || !strcmp(v, ".."))
		return fail(err, len, "--net takes an interface name (at most 15 characters), not '%s'",
			    v);
	for (size_t i = 0; i < c->nr_net_ifaces; i++)
		if (!strcmp(c->net_ifaces[i], v))
			return 0;
	if (c->nr_net_ifaces >= AGENT_MAX_NET_IFACES)
		return fail(err, len, "at most %d --net interfaces", AGENT_MAX_NET_IFACES);
	name = strdup(v);
	ifs = name ? realloc(c->net_ifaces, (c->nr_net_ifaces + 1) * sizeof(*ifs)) : NULL;
	if (!ifs) {
		free(name);
		return -ENOMEM;
	}
	c->net_ifaces = ifs;
	ifs[c->nr_net_ifaces++] = name;
	return 0;
}

static int set_cgroup(struct agent_config *c, const char *v, char *err, size_t len)
{
	/* the v2 mount of a pure or of a hybrid (systemd "unified") host */
	static const char *const roots[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
	char buf[PATH_MAX];
	size_t n;

	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		size_t rl = strlen(roots[i]);

		if (!strncmp(v, roots[i], rl) && (v[rl] == '/' || !v[rl])) {
			v += rl;
			break;
		}
	}
	if (*v != '/' && *v)
		return fail(err, len, "--cgroup takes a cgroup path such as /system.slice/nginx.service "
			    "(or /sys/fs/cgroup/...), not '%s'", v);
	n = snprintf(buf, sizeof(buf), "%s", *v ? v : "/");
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	return set_str(&c->cgroup, buf);
}

int agent_config__check_cgroup(const struct agent_config *c, char *err, size_t len)
{
	static const char *const roots[] = { "/sys/fs/cgroup/unified", "/sys/fs/cgroup" };
	char path[PATH_MAX + 64];
	struct statfs sfs;
	struct stat st;

	if (!c->cgroup)
		return 0;
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++) {
		if (statfs(roots[i], &sfs) || sfs.f_type != 0x63677270)	/* CGROUP2_SUPER_MAGIC */
			continue;
		snprintf(path, sizeof(path), "%s%s", roots[i], c->cgroup);
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			return 0;
		fail(err, len, "--cgroup %s: no such cgroup (%s is not a directory of the "
		     "cgroup v2 hierarchy); it would filter out every sample", c->cgroup, path);
		return -ENOENT;
	}
	fail(err, len, "--cgroup %s: no cgroup v2 hierarchy at /sys/fs/cgroup or "
	     "/sys/fs/cgroup/unified", c->cgroup);
	return -ENOENT;
}

int agent_config__set(struct agent_config *c, const char *name, const char *v, char *err,
		      size_t len)
{
	unsigned long ul;
	uint64_t u64;
	regex_t re;

	err[0] = '\0';
	if (!strcmp(name, "config"))
		return set_str(&c->config, v);
	if (!strcmp(name, "pid"))
		return add_pids(c, v, err, len);
	if (!strcmp(name, "cgroup"))
		return set_cgroup(c, v, err, len);
	if (!strcmp(name, "comm")) {
		char why[128];

		if (regex_bound__compile(&re, v, REG_EXTENDED | REG_NOSUB, why, sizeof(why)))
			return fail(err, len, "--comm: '%s' is not a valid regular expression (POSIX ERE): %s",
				    v, why);
		regfree(&re);
		return set_str(&c->comm, v);
	}
	if (!strcmp(name, "frequency")) {
		if (cli__parse_ulong(v, 1, 10000, &ul))
			return fail(err, len, "--frequency must be 1..10000 Hz, not '%s'", v);
		c->freq = ul;
		return 0;
	}
	if (!strcmp(name, "event")) {
		if (!strcmp(v, "cycles"))
			c->cycles = true;
		else if (!strcmp(v, "cpu-clock"))
			c->cycles = false;
		else
			return fail(err, len, "unknown event '%s' (cpu-clock or cycles)", v);
		return 0;
	}
	if (!strcmp(name, "idle"))
		return cli__parse_bool(v, &c->idle) ? fail(err, len, "--idle takes true or false") : 0;
	if (!strcmp(name, "profile-self"))
		return cli__parse_bool(v, &c->profile_self) ?
		       fail(err, len, "--profile-self takes true or false") : 0;
	if (!strcmp(name, "no-python"))
		return cli__parse_bool(v, &c->no_python) ?
		       fail(err, len, "--no-python takes true or false") : 0;
	if (!strcmp(name, "max-stacks")) {
		if (cli__parse_ulong(v, 1024, 1 << 20, &ul))
			return fail(err, len, "--max-stacks must be 1024..1048576, not '%s'", v);
		c->max_stacks = ul;
		return 0;
	}
	if (!strcmp(name, "unwind")) {
		if (strcmp(v, "auto") && strcmp(v, "copy") && strcmp(v, "dwarf") && strcmp(v, "fp"))
			return fail(err, len, "unknown unwind mode '%s' (auto, copy, dwarf or fp)", v);
		return set_str(&c->unwind, v);
	}
	if (!strcmp(name, "stack-size")) {
		if (cli__parse_ulong(v, 1024, 65536, &ul))
			return fail(err, len, "--stack-size must be 1024..65536 bytes, not '%s'", v);
		c->stack_size = ul;
		return 0;
	}
	if (!strcmp(name, "off-cpu"))
		return cli__parse_bool(v, &c->off_cpu) ? fail(err, len, "--off-cpu takes true or false") : 0;
	if (!strcmp(name, "off-cpu-min")) {
		double d;

		if (cli__parse_seconds(v, CLI_SECONDS_UNITS, &d) || d > 60)
			return fail(err, len, "--off-cpu-min must be 0..60 s (e.g. 500us, 1ms, 0.1), "
				    "not '%s'", v);
		c->off_cpu_min = d;
		return 0;
	}
	if (!strcmp(name, "off-cpu-probability")) {
		char *end;
		double p;

		errno = 0;
		p = strtod(v, &end);
		if (errno || end == v || *end || !(p >= 0.000001 && p <= 1))
			return fail(err, len, "--off-cpu-probability must be 0.000001..1, not '%s'", v);
		c->off_cpu_probability = p;
		return 0;
	}
	if (!strcmp(name, "net"))
		return add_net_iface(c, v, err, len);
	if (!strcmp(name, "net-xdp"))
		return cli__parse_bool(v, &c->net_xdp) ? fail(err, len, "--net-xdp takes true or false") : 0;
	if (!strcmp(name, "interval"))
		return set_seconds(&c->interval, name, v, 1, 3600, err, len);
	if (!strcmp(name, "service-name")) {
		struct attr_rule rule;
		const char *why;

		if (attr_rule__parse(v, &rule, &why))
			return fail(err, len, "--service-name '%s': %s", v, why);
		return set_str(&c->service_name, v);
	}
	if (!strcmp(name, "label"))
		return add_label(c, v, err, len);
	if (!strcmp(name, "url"))
		return set_str(&c->url, v);
	if (!strcmp(name, "tenant")) {
		if (!*v || strpbrk(v, "\r\n"))
			return fail(err, len, "--tenant must be a non-empty single line");
		return set_str(&c->tenant, v);
	}
	if (!strcmp(name, "tls-ca"))
		return set_str(&c->tls_ca, v);
	if (!strcmp(name, "tls-cert"))
		return set_str(&c->tls_cert, v);
	if (!strcmp(name, "tls-key"))
		return set_str(&c->tls_key, v);
	if (!strcmp(name, "tls-insecure"))
		return cli__parse_bool(v, &c->tls_insecure) ?
		       fail(err, len, "--tls-insecure takes true or false") : 0;
	if (!strcmp(name, "bearer-token-file"))
		return set_str(&c->bearer_token_file, v);
	if (!strcmp(name, "basic-auth-file"))
		return set_str(&c->basic_auth_file, v);
	if (!strcmp(name, "upload-timeout"))
		return set_seconds(&c->upload_timeout, name, v, 0.1, 600, err, len);
	if (!strcmp(name, "retry-backoff-min"))
		return set_seconds(&c->backoff_min, name, v, 0.01, 3600, err, len);
	if (!strcmp(name, "retry-backoff-max"))
		return set_seconds(&c->backoff_max, name, v, 0.01, 3600, err, len);
	if (!strcmp(name, "shutdown-timeout"))
		return set_seconds(&c->shutdown_timeout, name, v, 0, 3600, err, len);
	if (!strcmp(name, "spool-dir")) {
		if (*v != '/')
			return fail(err, len, "--spool-dir must be an absolute path, not '%s'", v);
		return set_str(&c->spool_dir, v);
	}
	if (!strcmp(name, "spool-max-bytes")) {
		if (cli__parse_size(v, &u64) || u64 < 4096)
			return fail(err, len, "--spool-max-bytes must be a size of at least 4K "
				    "(e.g. 256M, 1G), not '%s'", v);
		c->spool_max_bytes = u64;
		return 0;
	}
	if (!strcmp(name, "max-samples-per-profile")) {
		if (cli__parse_ulong(v, 1, 1000000, &ul))
			return fail(err, len, "--max-samples-per-profile must be 1..1000000, not '%s'", v);
		c->max_samples_per_profile = ul;
		return 0;
	}
	if (!strcmp(name, "debuginfod")) {
		if (strncmp(v, "http://", 7) && strncmp(v, "https://", 8))
			return fail(err, len, "--debuginfod takes http:// or https:// URLs, not '%s'", v);
		return set_str(&c->debuginfod, v);
	}
	if (!strcmp(name, "metrics-addr")) {
		const char *colon = strrchr(v, ':');

		if (!colon || cli__parse_ulong(colon + 1, 1, 65535, &ul))
			return fail(err, len, "--metrics-addr takes HOST:PORT (e.g. 127.0.0.1:9464), "
				    "not '%s'", v);
		return set_str(&c->metrics_addr, v);
	}
	if (!strcmp(name, "verbose")) {
		bool b;

		if (!cli__parse_ulong(v, 0, 3, &ul))
			c->verbose = ul;
		else if (!cli__parse_bool(v, &b))
			c->verbose = b;
		else
			return fail(err, len, "verbose takes 0..3 or true/false, not '%s'", v);
		return 0;
	}
	if (!strcmp(name, "quiet"))
		return cli__parse_bool(v, &c->quiet) ? fail(err, len, "--quiet takes true or false") : 0;
	snprintf(err, len, "unknown option '%s'", name);
	return -ENOENT;
}

static char *trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int agent_config__load_file(struct agent_config *c, const char *path, char *err, size_t len)
{
	FILE *f = fopen(path, "re");
	char *line = NULL, msg[256];
	size_t cap = 0;
	int lineno = 0, ret = 0;

	if (!f) {
		ret = -errno;
		snprintf(err, len, "cannot read config file %s: %s", path, strerror(errno));
		return ret;
	}
	while (getline(&line, &cap, f) > 0) {
		char *s = trim(line), *eq, *name, *value;
		size_t vl;

		lineno++;
		if (!*s || *s == '#')
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, len, "%s:%d: expected 'name = value'", path, lineno);
			ret = -EINVAL;
			break;
		}
		*eq = '\0';
		name = trim(s);
		value = trim(eq + 1);
		vl = strlen(value);
		if (vl >= 2 && value[0] == '"' && value[vl - 1] == '"') {
			value[vl - 1] = '\0';
			value++;
		}
		if (!strcmp(name, "config")) {
			snprintf(err, len, "%s:%d: 'config' cannot be set in a config file", path, lineno);
			ret = -EINVAL;
			break;
		}
		ret = agent_config__set(c, name, value, msg, sizeof(msg));
		if (ret) {
			snprintf(err, len, "%s:%d: %s", path, lineno,
				 ret == -ENOMEM ? "out of memory" : msg);
			break;
		}
	}
	free(line);
	fclose(f);
	return ret;
}

int agent_config__check(const struct agent_config *c, char *err, size_t len)
{
	if (!c->url)
		return fail(err, len, "no backend: give --url (pyroscope://HOST:PORT, parca://HOST:PORT, "
			    "otlp://HOST:PORT or file:///DIR), on the command line or in --config");
	if (c->nr_pids && (c->cgroup || c->comm))
		return fail(err, len, "--pid already names the processes: drop --cgroup and --comm");
	if (c->backoff_min > c->backoff_max)
		return fail(err, len, "--retry-backoff-min (%g s) is above --retry-backoff-max (%g s)",
			    c->backoff_min, c->backoff_max);
	if (c->bearer_token_file && c->basic_auth_file)
		return fail(err, len, "give --bearer-token-file or --basic-auth-file, not both");
	if (c->net_xdp && !c->nr_net_ifaces)
		return fail(err, len, "--net-xdp adds XDP to the --net interfaces: give --net IFACE");
	return 0;
}

/* ---- secrets ------------------------------------------------------------------ */

/* Checks a secret's bytes; the message names where it came from only. */
static int check_secret(const char *s, size_t n, const char *from, char *err, size_t len)
{
	if (n > AGENT_SECRET_MAX)
		return fail(err, len, "%s: the secret is %zu bytes, more than the %d cprof sends; "
			    "it is refused rather than cut", from, n, AGENT_SECRET_MAX);
	if (!n)
		return fail(err, len, "%s: the secret is empty", from);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return fail(err, len, "%s must hold the secret on one line, without control "
				    "characters", from);
	return 0;
}

int agent_config__read_secret(const char *file, const char *env, char **ret, char *err,
			      size_t len)
{
	char buf[AGENT_SECRET_MAX + 3], from[300];	/* + CR LF + one to tell "too long" */
	struct stat st;
	ssize_t got;
	size_t n = 0;
	int fd, rc = 0;

	*ret = NULL;
	if (!file) {
		const char *v = getenv(env);

		if (!v || !*v)
			return 0;
		snprintf(from, sizeof(from), "$%s", env);
		if ((rc = check_secret(v, strlen(v), from, err, len)))
			return rc;
		return (*ret = strdup(v)) ? 0 : -ENOMEM;
	}
	snprintf(from, sizeof(from), "%s", file);
	/* Not O_NOFOLLOW: mounted secrets (Kubernetes) are symlinks. */
	fd = open(file, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return fail(err, len, "cannot read %s: %s", file, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return fail(err, len, "%s is not a regular file", file);
	}
	/* One byte more than the bound (and its newline) tells "too long" apart. */
	while (n < sizeof(buf) && (got = read(fd, buf + n, sizeof(buf) - n)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			rc = fail(err, len, "cannot read %s: %s", file, strerror(errno));
			goto out;
		}
		n += got;
	}
	if (n == sizeof(buf)) {
		rc = fail(err, len, "%s: the secret is %lld bytes, more than the %d cprof sends; it "
			  "is refused rather than cut", file, (long long)st.st_size, AGENT_SECRET_MAX);
		goto out;
	}
	if (n && buf[n - 1] == '\n')
		n--;
	if (n && buf[n - 1] == '\r')
		n--;
	if ((rc = check_secret(buf, n, from, err, len)))
		goto out;
	*ret = strndup(buf, n);
	rc = *ret ? 0 : -ENOMEM;
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return rc;
}
