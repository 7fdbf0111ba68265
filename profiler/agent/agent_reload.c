// SPDX-License-Identifier: MIT
/* agent_reload: the exporter built from the configuration and its secrets,
 * and SIGHUP: the config file read again over the command line; what the
 * running sampler, spool and endpoint were built with stays until restart. */
#include "profiler/agent/agent_priv.h"

/* ---- secrets and the exporter --------------------------------------------- */

static void drop_secret(char **s)
{
	if (*s)
		explicit_bzero(*s, strlen(*s));
	free(*s);
	*s = NULL;
}

struct exporter *agent_reload__exporter(const struct agent_config *c, char *why, size_t len)
{
	struct exporter_opts o = {
		.url = c->url, .tenant = c->tenant, .tls_ca = c->tls_ca, .tls_cert = c->tls_cert,
		.tls_key = c->tls_key, .tls_insecure = c->tls_insecure,
		.timeout_s = c->upload_timeout, .version = CPROF_VERSION,
	};
	char *bearer = NULL, *basic = NULL;
	struct exporter *ex = NULL;

	if (agent_config__read_secret(c->bearer_token_file, "CPROF_BEARER_TOKEN", &bearer, why,
				      len) ||
	    agent_config__read_secret(c->basic_auth_file, "CPROF_BASIC_AUTH", &basic, why, len))
		goto out_free;
	if (bearer && basic && !c->basic_auth_file)	/* the file wins over the environment */
		drop_secret(&basic);
	else if (bearer && basic && !c->bearer_token_file)
		drop_secret(&bearer);
	o.bearer_token = bearer;
	o.basic_auth = basic;
	ex = exporter__new(&o, why, len);
	if (!ex && !why[0])
		snprintf(why, len, "%s", strerror(errno));
out_free:
	drop_secret(&bearer);
	drop_secret(&basic);
	return ex;
}

/* ---- reload ---------------------------------------------------------------- */

static int build_config(const struct agent_args *args, const char *file, struct agent_config *c,
			char *why, size_t len)
{
	int err;

	agent_config__init(c);
	if (file && (err = agent_config__load_file(c, file, why, len)))
		return err;
	for (size_t i = 0; i < args->n; i++)
		if ((err = agent_config__set(c, args->names[i], args->values[i], why, len)))
			return err;
	return agent_config__check(c, why, len);
}

static bool str_differs(const char *x, const char *y)
{
	return (x == NULL) != (y == NULL) || (x && strcmp(x, y));
}

static void swap_str(char **x, char **y)
{
	char *t = *x;

	*x = *y;
	*y = t;
}

static bool same_ifaces(const struct agent_config *x, const struct agent_config *y)
{
	if (x->nr_net_ifaces != y->nr_net_ifaces)
		return false;
	for (size_t i = 0; i < x->nr_net_ifaces; i++)
		if (strcmp(x->net_ifaces[i], y->net_ifaces[i]))
			return false;
	return true;
}

void agent_reload__apply(struct agent *a)
{
	struct agent_config n, *o = &a->cfg;
	struct attr_rule rule;
	struct exporter *ex;
	const char *why_rule;
	char why[512] = "";

	if (!o->config) {
		agent__say(a, LOG_INFO, "SIGHUP: started without --config, nothing to reload");
		return;
	}
	if (build_config(a->args, o->config, &n, why, sizeof(why)) ||
	    agent_config__check_cgroup(&n, why, sizeof(why)) ||
	    attr_rule__parse(n.service_name ? n.service_name : "container,exe", &rule, &why_rule)) {
		agent__say(a, LOG_ERR, "reloading %s: %s; keeping the running configuration", o->config,
		    why[0] ? why : "bad --service-name");
		STAT_ADD(a, reload_failures, 1);
		agent_config__release(&n);
		return;
	}
	ex = agent_reload__exporter(&n, why, sizeof(why));
	if (!ex || attr_cache__reconfigure(a->attr, &rule, n.cgroup, n.comm)) {
		agent__say(a, LOG_ERR, "reloading %s: %s; keeping the running configuration", o->config,
		    ex ? "out of memory" : why);
		exporter__free(ex);
		STAT_ADD(a, reload_failures, 1);
		agent_config__release(&n);
		return;
	}
	uploader__set_exporter(a->up, ex);
	a->rule = rule;

	/* What the running sampler, spool and endpoint were built with stays. */
	if (n.freq != o->freq || n.cycles != o->cycles || n.idle != o->idle ||
	    n.profile_self != o->profile_self || n.no_python != o->no_python ||
	    n.max_stacks != o->max_stacks || n.nr_pids != o->nr_pids ||
	    str_differs(n.spool_dir, o->spool_dir) || n.spool_max_bytes != o->spool_max_bytes ||
	    str_differs(n.metrics_addr, o->metrics_addr) || str_differs(n.unwind, o->unwind) ||
	    n.stack_size != o->stack_size || !same_ifaces(&n, o) || n.net_xdp != o->net_xdp ||
	    n.off_cpu != o->off_cpu || n.off_cpu_min != o->off_cpu_min ||
	    n.off_cpu_probability != o->off_cpu_probability)
		agent__say(a, LOG_ERR, "reloading %s: frequency, event, idle, profile-self, no-python, pid, max-stacks, unwind, "
		    "stack-size, off-cpu*, net, net-xdp, spool-dir, spool-max-bytes and metrics-addr "
		    "changes take effect at restart",
		    o->config);
	n.freq = o->freq;
	n.cycles = o->cycles;
	n.idle = o->idle;
	n.profile_self = o->profile_self;
	n.no_python = o->no_python;
	n.max_stacks = o->max_stacks;
	n.spool_max_bytes = o->spool_max_bytes;
	n.stack_size = o->stack_size;
	n.off_cpu = o->off_cpu;	/* loaded into the BPF object: fixed until restart */
	n.off_cpu_min = o->off_cpu_min;
	n.off_cpu_probability = o->off_cpu_probability;
	free(n.pids);
	n.pids = o->pids;
	n.nr_pids = o->nr_pids;
	o->pids = NULL;
	o->nr_pids = 0;
	for (size_t i = 0; i < n.nr_net_ifaces; i++)
		free(n.net_ifaces[i]);
	free(n.net_ifaces);
	n.net_ifaces = o->net_ifaces;
	n.nr_net_ifaces = o->nr_net_ifaces;
	n.net_xdp = o->net_xdp;
	o->net_ifaces = NULL;
	o->nr_net_ifaces = 0;
	swap_str(&n.spool_dir, &o->spool_dir);
	swap_str(&n.metrics_addr, &o->metrics_addr);
	swap_str(&n.unwind, &o->unwind);
	agent_config__release(o);
	a->cfg = n;
	__atomic_store_n(&a->log_verbose, a->cfg.verbose, __ATOMIC_RELAXED);
	__atomic_store_n(&a->log_quiet, a->cfg.quiet, __ATOMIC_RELAXED);
	STAT_ADD(a, reloads, 1);
	agent__say(a, LOG_INFO, "configuration reloaded from %s; sending to %s every %.1f s",
	    a->cfg.config, a->cfg.url, a->cfg.interval);
}

