// SPDX-License-Identifier: MIT
/* profile_read: read a bounded input, detect its kind from the bytes (gzip,
 * folded text, pprof), and load it. Every read and every decompression is
 * bounded before it allocates, so a small hostile input cannot cost more
 * than max bytes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/compress.h"
#include "export/pprof.h"
#include "export/profile_read.h"

/* Reads all of path ("-" = stdin) into a malloc'd *ret_buf: -EFBIG when it
 * holds max bytes or more. */
static int read_all(const char *path, size_t max, uint8_t **ret_buf, size_t *ret_len)
{
	uint8_t *buf = NULL, *tmp;
	size_t cap = 0, n = 0;
	int fd, err = 0;

	if (strcmp(path, "-") == 0) {
		fd = STDIN_FILENO;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			return -errno;
	}
	for (;;) {
		ssize_t r;

		if (n == cap) {
			if (cap >= max) {
				err = -EFBIG;
				goto out_free;
			}
			cap = cap ? cap * 2 : 65536;
			tmp = realloc(buf, cap);
			if (!tmp) {
				err = -ENOMEM;
				goto out_free;
			}
			buf = tmp;
		}
		r = read(fd, buf + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto out_free;
		}
		if (!r)
			break;
		n += r;
	}
	*ret_buf = buf;
	*ret_len = n;
	buf = NULL;
out_free:
	free(buf);
	if (fd != STDIN_FILENO)
		close(fd);
	return err;
}

void profile_read__release(struct profile_read *r)
{
	if (!r)
		return;
	pprof__free(r->decoded);
	pb_profile__free(r->built);
	memset(r, 0, sizeof(*r));
}

static int load_folded(struct profile_read *r, const uint8_t *raw, size_t len, const char *name,
		       char *why, size_t why_len)
{
	int err;

	r->folded = true;
	err = folded_read__parse((const char *)raw, len, &r->built, &r->folded_stats);
	if (err) {
		snprintf(why, why_len, "%s: %s", name, err == -ENODATA ?
			 "no valid 'frame;frame;... COUNT' line in folded input" :
			 err == -EOVERFLOW ? "counts overflow: the counts of one stack sum "
			 "past 9223372036854775807 (2^63-1); nothing was drawn" :
			 err == -E2BIG ? "more than 1048576 distinct frames (the limit); "
			 "nothing was drawn" : strerror(-err));
		return err;
	}
	r->p = pb_profile__finish(r->built);
	if (!r->p) {
		snprintf(why, why_len, "%s: %s", name, strerror(ENOMEM));
		return -ENOMEM;
	}
	return 0;
}

static int load_pprof(struct profile_read *r, const uint8_t *raw, size_t len, const char *name,
		      char *why, size_t why_len)
{
	int err = pprof__decode(raw, len, &r->decoded);

	if (err == -EBADMSG)
		snprintf(why, why_len, "%s is neither a pprof profile (gzip or raw protobuf) nor "
			 "folded stacks", name);
	else if (err == -E2BIG)
		snprintf(why, why_len, "%s: refused: a sample has more than %lu locations, or all "
			 "samples more than %lu (limits against memory exhaustion)", name,
			 PPROF_MAX_SAMPLE_LOCATIONS, PPROF_MAX_LOCATION_IDS);
	else if (err)
		snprintf(why, why_len, "cannot decode %s: %s", name, strerror(-err));
	else
		r->p = r->decoded;
	return err;
}

int profile_read__buf(struct profile_read *r, const uint8_t *buf, size_t len, size_t max,
		      const char *name, char *why, size_t why_len)
{
	uint8_t *raw = (uint8_t *)buf;
	size_t rawlen = len;
	int err;

	memset(r, 0, sizeof(*r));
	if (!max)
		max = PPROF_MAX_DECODED_SIZE;
	if (!len) {
		snprintf(why, why_len, "%s is empty", name);
		return -ENODATA;
	}
	if (len >= 2 && buf[0] == 0x1f && buf[1] == 0x8b) {
		r->gzip = true;
		err = compress__gunzip(buf, len, max, &raw, &rawlen);
		if (err) {
			if (err == -EFBIG)
				snprintf(why, why_len, "%s: decompresses to more than %zu MiB, the "
					 "limit", name, max >> 20);
			else
				snprintf(why, why_len, "%s: %s", name, err == -EBADMSG ?
					 "bad gzip data" : strerror(-err));
			return err;
		}
	}
	if (folded_read__looks_like(raw, rawlen))
		err = load_folded(r, raw, rawlen, name, why, why_len);
	else
		err = load_pprof(r, raw, rawlen, name, why, why_len);
	if (raw != buf)
		free(raw);
	if (err)
		profile_read__release(r);
	return err;
}

int profile_read__file(struct profile_read *r, const char *path, size_t max, char *why,
		       size_t why_len)
{
	const char *name = strcmp(path, "-") ? path : "stdin";
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	memset(r, 0, sizeof(*r));
	if (!max)
		max = PPROF_MAX_DECODED_SIZE;
	err = read_all(path, max, &buf, &len);
	if (err) {
		if (err == -EFBIG)
			snprintf(why, why_len, "cannot read %s: larger than %zu MiB, the limit",
				 name, max >> 20);
		else
			snprintf(why, why_len, "cannot read %s: %s", name, strerror(-err));
		return err;
	}
	err = profile_read__buf(r, buf, len, max, name, why, why_len);
	free(buf);
	return err;
}

int profile_read__pprof_file(const char *path, Perftools__Profiles__Profile **ret)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int err;

	if (!path || !ret)
		return -EINVAL;
	err = read_all(path, PPROF_MAX_DECODED_SIZE, &buf, &len);
	if (err)
		return err;
	err = pprof__decode(buf, len, ret);
	free(buf);
	return err;
}
