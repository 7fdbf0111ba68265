// SPDX-License-Identifier: MIT
/* Deltas and their cprof.Delta encoding. The id is generated once, when the
 * agent creates the delta, and travels with it through the spool, so every
 * retry and every replay after a restart carries the same id: backends (and
 * the tests' receiver) can drop a second copy of a request whose response was
 * lost. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "export/ship/delta.h"
#include "proto/cprof_delta.pb-c.h"

struct delta *delta__new(void)
{
	struct delta *d = calloc(1, sizeof(*d));
	ssize_t n;

	if (!d)
		return NULL;
	do
		n = getrandom(d->id, sizeof(d->id), 0);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(d->id)) {
		int e = n < 0 ? errno : EIO;

		free(d);
		errno = e;
		return NULL;
	}
	d->id[6] = (d->id[6] & 0x0f) | 0x40;	/* UUID version 4 */
	d->id[8] = (d->id[8] & 0x3f) | 0x80;	/* RFC 4122 variant: never all zero */
	return d;
}

void delta__free(struct delta *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nr_labels; i++) {
		free(d->labels[i].name);
		free(d->labels[i].value);
	}
	free(d->labels);
	free(d->pprof);
	free(d);
}

int delta__set_label(struct delta *d, const char *name, const char *value)
{
	struct delta_label *l;
	char *v;

	if (!name || !*name || !value)
		return -EINVAL;
	v = strdup(value);
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < d->nr_labels; i++)
		if (!strcmp(d->labels[i].name, name)) {
			free(d->labels[i].value);
			d->labels[i].value = v;
			return 0;
		}
	l = realloc(d->labels, (d->nr_labels + 1) * sizeof(*l));
	if (!l) {
		free(v);
		return -ENOMEM;
	}
	d->labels = l;
	l[d->nr_labels].name = strdup(name);
	if (!l[d->nr_labels].name) {
		free(v);
		return -ENOMEM;
	}
	l[d->nr_labels++].value = v;
	return 0;
}

const char *delta__label(const struct delta *d, const char *name)
{
	for (size_t i = 0; i < d->nr_labels; i++)
		if (!strcmp(d->labels[i].name, name))
			return d->labels[i].value;
	return NULL;
}

static int cmp_label(const void *a, const void *b)
{
	return strcmp(((const struct delta_label *)a)->name, ((const struct delta_label *)b)->name);
}

int delta__series(const struct delta *d, const char *metric, struct delta_label **ret,
		  size_t *ret_n)
{
	struct delta_label *l = malloc((d->nr_labels + 1) * sizeof(*l));
	size_t n = 0;

	if (!l)
		return -ENOMEM;
	if (metric && !delta__label(d, "__name__"))
		l[n++] = (struct delta_label){ .name = "__name__", .value = (char *)metric };
	for (size_t i = 0; i < d->nr_labels; i++)
		l[n++] = d->labels[i];
	qsort(l, n, sizeof(*l), cmp_label);
	*ret = l;
	*ret_n = n;
	return 0;
}

int delta__set_pprof(struct delta *d, const void *pprof, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	if (!p)
		return -ENOMEM;
	memcpy(p, pprof, len);
	free(d->pprof);
	d->pprof = p;
	d->pprof_len = len;
	return 0;
}

int delta__encode(const struct delta *d, uint8_t **ret_buf, size_t *ret_len)
{
	Cprof__Delta msg = CPROF__DELTA__INIT;
	Cprof__DeltaLabel *labels = NULL, **lp = NULL;
	uint8_t *buf = NULL;
	size_t len;
	int err = -ENOMEM;

	if (d->nr_labels) {
		labels = calloc(d->nr_labels, sizeof(*labels));
		lp = calloc(d->nr_labels, sizeof(*lp));
		if (!labels || !lp)
			goto out_free;
	}
	for (size_t i = 0; i < d->nr_labels; i++) {
		cprof__delta_label__init(&labels[i]);
		labels[i].name = d->labels[i].name;
		labels[i].value = d->labels[i].value;
		lp[i] = &labels[i];
	}
	msg.id.data = (uint8_t *)d->id;
	msg.id.len = sizeof(d->id);
	msg.labels = lp;
	msg.n_labels = d->nr_labels;
	msg.time_nanos = d->time_nanos;
	msg.duration_nanos = d->duration_nanos;
	msg.samples = d->samples;
	msg.pprof.data = d->pprof;
	msg.pprof.len = d->pprof_len;

	len = cprof__delta__get_packed_size(&msg);
	buf = malloc(len ? len : 1);
	if (!buf)
		goto out_free;
	cprof__delta__pack(&msg, buf);
	*ret_buf = buf;
	*ret_len = len;
	err = 0;
out_free:
	free(labels);
	free(lp);
	return err;
}

int delta__decode(const uint8_t *buf, size_t len, struct delta **ret)
{
	Cprof__Delta *msg = cprof__delta__unpack(NULL, len, buf);
	struct delta *d = NULL;
	int err = -EBADMSG;

	if (!msg)
		return -EBADMSG;
	if (msg->id.len != DELTA_ID_LEN)
		goto out_free;
	err = -ENOMEM;
	d = calloc(1, sizeof(*d));
	if (!d)
		goto out_free;
	memcpy(d->id, msg->id.data, DELTA_ID_LEN);
	for (size_t i = 0; i < msg->n_labels; i++)
		if ((err = delta__set_label(d, msg->labels[i]->name, msg->labels[i]->value))) {
			if (err == -EINVAL)	/* an unnamed label */
				err = -EBADMSG;
			goto out_free;
		}
	d->time_nanos = msg->time_nanos;
	d->duration_nanos = msg->duration_nanos;
	d->samples = msg->samples;
	if ((err = delta__set_pprof(d, msg->pprof.data, msg->pprof.len)))
		goto out_free;
	*ret = d;
	d = NULL;
	err = 0;
out_free:
	delta__free(d);
	cprof__delta__free_unpacked(msg, NULL);
	return err;
}

void delta__id_string(const struct delta *d, char buf[DELTA_ID_STR_LEN])
{
	const uint8_t *b = d->id;

	snprintf(buf, DELTA_ID_STR_LEN,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
		 b[12], b[13], b[14], b[15]);
}
