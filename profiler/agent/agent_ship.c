// SPDX-License-Identifier: MIT
/* agent_ship: the agent's side of shipping: each delta into the spool (what
 * cannot go is said and counted), the spool opened and checked at start,
 * and the uploader's events told on stderr (on the upload thread). */
#include "profiler/agent/agent_priv.h"

#include "base/resident.h"

/* ---- upload events (called on the upload thread) --------------------------- */

/* The code the window and the upload ran (DWARF, compression, TLS, HTTP),
 * and the start-up's before the first, leaves the RSS until its next use;
 * the loop faults back the few pages it runs, once. */
void agent_ship__after_upload(void *ctx)
{
	(void)ctx;
	resident__drop_code();
}

void agent_ship__on_upload_event(void *ctx, const struct upload_event *ev)
{
	struct agent *a = ctx;
	const struct exporter_result *r = ev->result;
	struct timespec ts;
	double now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = ts.tv_sec + ts.tv_nsec / 1e9;
	switch (ev->type) {
	case UPLOAD_FAILED:
		/* the first failure of a streak, then one line a minute */
		if (ev->consecutive_failures > 1 &&
		    now - a->last_failure_log < FAILURE_LOG_INTERVAL_S) {
			a->failures_unlogged++;
			return;
		}
		a->last_failure_log = now;
		agent__say(a, LOG_ERR, "upload to %s failed (%s%s%s), attempt %llu%s; %zu profiles stay "
		    "spooled, retrying in %.1f s", ev->url, exporter__reason_name(r->reason),
		    r->detail[0] ? ": " : "", r->detail,
		    (unsigned long long)ev->consecutive_failures,
		    a->failures_unlogged ? " (failures in between not shown)" : "",
		    ev->profiles, ev->retry_in_s);
		a->failures_unlogged = 0;
		break;
	case UPLOAD_REJECTED:
		agent__say(a, LOG_ERR, "%s rejected %zu profiles (%llu samples), not retried: %s "
		    "(HTTP %ld)", ev->url, ev->profiles, (unsigned long long)ev->samples,
		    exporter__reason_name(r->reason), r->http_status);
		if (r->detail[0])
			agent__say(a, LOG_ERR, "the server said: %s", r->detail);
		break;
	case UPLOAD_RECOVERED:
		agent__say(a, LOG_INFO, "%s reachable again after %llu failed attempts; sending the "
		    "spool", ev->url, (unsigned long long)ev->consecutive_failures);
		a->failures_unlogged = 0;
		break;
	case UPLOAD_UNDECODABLE:
		agent__say(a, LOG_ERR, "a spooled record is not a profile delta (%llu samples): deleted",
		    (unsigned long long)ev->samples);
		break;
	}
}

/* Says when the spool directory stops taking records (they are then held in
 * memory) and when it takes them again: a line per change, not per record.
 * err: what spool__append() returned. */
static void note_spool_health(struct agent *a, int err)
{
	struct spool_stats ss;

	if (!a->cfg.spool_dir)
		return;
	spool__stats(a->spool, &ss);
	if (ss.write_errors != a->spool_errors_seen && !a->spool_failing) {
		agent__say(a, LOG_ERR, "cannot write to the spool %s (%s): holding profiles in memory "
		    "(up to %llu bytes) and sending them from there", a->cfg.spool_dir,
		    strerror(ss.last_write_error), (unsigned long long)ss.mem_max_bytes);
		a->spool_failing = true;
	} else if (!err && ss.write_errors == a->spool_errors_seen && a->spool_failing) {
		agent__say(a, LOG_INFO, "the spool %s can be written again", a->cfg.spool_dir);
		a->spool_failing = false;
	}
	a->spool_errors_seen = ss.write_errors;
}

/* Encodes d and puts it in the spool. A spool that cannot take it is said and
 * counted here (lost, or dropped as too big); only a failure to encode is
 * returned (-ENOMEM), for the caller to count. */
int agent_ship__spool_delta(struct agent *a, const struct delta *d, const char *service)
{
	uint8_t *enc = NULL;
	size_t enc_len;
	int err = delta__encode(d, &enc, &enc_len);

	if (err)
		return err;
	err = spool__append(a->spool, enc, enc_len, d->samples, NULL);
	note_spool_health(a, err);
	if (err == -EFBIG) {
		agent__say(a, LOG_ERR, "a %zu-byte profile of %s is over --spool-max-bytes: dropped",
		    enc_len, service);
	} else if (err == -ENOBUFS) {	/* counted by the spool */
		agent__say(a, LOG_ERR, "the spool %s cannot be written and the memory queue is full: "
		    "a profile of %s (%llu samples) dropped", a->cfg.spool_dir, service,
		    (unsigned long long)d->samples);
	} else if (err) {
		STAT_ADD(a, spool_write_errors, 1);
		agent__say(a, LOG_ERR, "spooling a profile of %s (%llu samples): %s: lost", service,
		    (unsigned long long)d->samples, strerror(-err));
		STAT_ADD(a, lost_samples, d->samples);
	}
	free(enc);
	return 0;
}

int agent_ship__open_spool(struct agent *a)
{
	struct spool_opts so = { .dir = a->cfg.spool_dir, .max_bytes = a->cfg.spool_max_bytes };
	struct spool_stats st;

	a->spool = spool__open(&so);
	if (!a->spool) {
		char why[160];

		if (errno == EPERM && spool__check_dir(a->cfg.spool_dir, why, sizeof(why)) == -EPERM)
			agent__say(a, LOG_ERR, "refusing the spool directory %s: it is %s, so another user "
			    "could plant links in it that cprof would write through. Give a "
			    "directory owned by uid %u with mode 0700 (chown %u %s && chmod 0700 %s), "
			    "or a path that does not exist yet: cprof creates it so",
			    a->cfg.spool_dir, why, (unsigned)geteuid(), (unsigned)geteuid(),
			    a->cfg.spool_dir, a->cfg.spool_dir);
		else if (errno == ELOOP)
			agent__say(a, LOG_ERR, "refusing the spool directory %s: %s/.lock is a symbolic "
			    "link; remove it", a->cfg.spool_dir, a->cfg.spool_dir);
		else if (errno == EBUSY)
			agent__say(a, LOG_ERR, "spool %s is in use by another cprof agent: give "
			    "each agent "
			    "its own --spool-dir", a->cfg.spool_dir);
		else
			agent__say(a, LOG_ERR, "opening the spool %s: %s",
			    a->cfg.spool_dir ? a->cfg.spool_dir : "(memory)", strerror(errno));
		return -1;
	}
	spool__stats(a->spool, &st);
	if (st.recovered)
		agent__say(a, LOG_INFO, "found %llu profiles (%llu samples) spooled by an earlier run in "
		    "%s; sending them first", (unsigned long long)st.recovered,
		    (unsigned long long)st.recovered_samples, a->cfg.spool_dir);
	if (st.corrupt)
		agent__say(a, LOG_ERR, "deleted %llu unreadable files from the spool %s",
		    (unsigned long long)st.corrupt, a->cfg.spool_dir);
	if (st.stale_tmp)
		agent__say(a, LOG_INFO, "deleted %llu temporary files a killed earlier run left in the "
		    "spool %s", (unsigned long long)st.stale_tmp, a->cfg.spool_dir);
	if (st.renumbered)
		agent__say(a, LOG_INFO, "renamed %llu spool records whose sequence numbers were out of "
		    "range; they are sent after the others", (unsigned long long)st.renumbered);
	return 0;
}

/* Temporaries a killed earlier run left in the file:// backend's directory. */
void agent_ship__sweep_file_backend(struct agent *a)
{
	struct exporter_url u;
	int n;

	if (exporter__parse_url(a->cfg.url, &u, NULL, 0) || u.kind != EXPORTER_FILE)
		return;
	n = atomic_file__sweep(u.base, NULL);
	if (n > 0)
		agent__say(a, LOG_INFO, "deleted %d temporary files a killed earlier run left in %s", n,
		    u.base);
}

