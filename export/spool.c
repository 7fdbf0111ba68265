// SPDX-License-Identifier: MIT
/* The spool's index is an array of records sorted by seq (appends go to the
 * end, deliveries leave from the front). Every change happens under one
 * mutex, file I/O included: appends come once per profile and window, so the
 * uploader waiting for an fsync costs nothing that matters. The order of a
 * write is temp file, fdatasync, rename, fsync of the directory: after a crash
 * a record is there whole or not at all, and a temporary left over is deleted
 * at the next open. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "export/compress.h"
#include "export/spool.h"

#define SPOOL_MAGIC		"CPSPOOL1"
#define SPOOL_HDR_LEN		24
#define SPOOL_SUFFIX		".spool"
#define SPOOL_DEFAULT_MAX	(256ULL << 20)
#define SPOOL_MAX_RECORD	(1ULL << 30)	/* decompressed bound when reading */

struct record {
	uint64_t seq, samples, bytes, content_len;
	bool pinned;
	uint8_t *mem;		/* memory mode: the header-less zstd frame */
};

struct spool {
	pthread_mutex_t lock;
	char *dir;
	int dir_fd, lock_fd;
	uint64_t max_bytes;
	int level;
	struct record *recs;
	size_t nr, cap;
	uint64_t next_seq;
	struct spool_stats st;
};

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = v >> (8 * i);
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static void record_name(uint64_t seq, char *buf, size_t len)
{
	snprintf(buf, len, "%016" PRIx64 SPOOL_SUFFIX, seq);
}

/* "0123456789abcdef.spool" -> seq; false for any other name. */
static bool parse_name(const char *name, uint64_t *ret)
{
	uint64_t v = 0;

	if (strlen(name) != 16 + strlen(SPOOL_SUFFIX) || strcmp(name + 16, SPOOL_SUFFIX))
		return false;
	for (int i = 0; i < 16; i++) {
		char c = name[i];

		if (c >= '0' && c <= '9')
			v = v << 4 | (c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (c - 'a' + 10);
		else
			return false;
	}
	*ret = v;
	return true;
}

static int cmp_records(const void *a, const void *b)
{
	const struct record *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int grow(struct spool *sp)
{
	size_t cap = sp->cap ? sp->cap * 2 : 64;
	struct record *r;

	if (sp->nr < sp->cap)
		return 0;
	r = realloc(sp->recs, cap * sizeof(*r));
	if (!r)
		return -ENOMEM;
	sp->recs = r;
	sp->cap = cap;
	return 0;
}

static struct record *find(struct spool *sp, uint64_t seq, size_t *ret_idx)
{
	size_t lo = 0, hi = sp->nr;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (sp->recs[mid].seq < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < sp->nr && sp->recs[lo].seq == seq) {
		if (ret_idx)
			*ret_idx = lo;
		return &sp->recs[lo];
	}
	return NULL;
}

/* Deletes record i from disk (or memory) and the index; the caller counts why. */
static void drop_index(struct spool *sp, size_t i)
{
	struct record *r = &sp->recs[i];
	char name[64];

	if (sp->dir) {
		record_name(r->seq, name, sizeof(name));
		unlinkat(sp->dir_fd, name, 0);
	}
	free(r->mem);
	sp->st.files--;
	sp->st.bytes -= r->bytes;
	sp->st.samples -= r->samples;
	memmove(r, r + 1, (sp->nr - i - 1) * sizeof(*r));
	sp->nr--;
}

static int mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	size_t len = strlen(path);

	if (len == 0 || len >= sizeof(buf))
		return -ENAMETOOLONG;
	memcpy(buf, path, len + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0700) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -errno;
	return 0;
}

/* Reads the header of a record found on disk; false when it is not one. */
static bool read_header(int dir_fd, const char *name, struct record *r)
{
	uint8_t hdr[SPOOL_HDR_LEN];
	struct stat st;
	int fd = openat(dir_fd, name, O_RDONLY | O_CLOEXEC);
	bool ok;

	if (fd < 0)
		return false;
	ok = fstat(fd, &st) == 0 && st.st_size > SPOOL_HDR_LEN &&
	     pread(fd, hdr, sizeof(hdr), 0) == (ssize_t)sizeof(hdr) &&
	     !memcmp(hdr, SPOOL_MAGIC, 8);
	if (ok) {
		r->samples = get_le64(hdr + 8);
		r->content_len = get_le64(hdr + 16);
		r->bytes = st.st_size;
	}
	close(fd);
	return ok;
}

static int scan(struct spool *sp)
{
	DIR *d = fdopendir(dup(sp->dir_fd));
	struct dirent *de;
	int err = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct record r = {0};

		if (!strncmp(de->d_name, ".tmp-", 5)) {	/* a write cut short */
			unlinkat(sp->dir_fd, de->d_name, 0);
			continue;
		}
		if (!parse_name(de->d_name, &r.seq))
			continue;
		if (!read_header(sp->dir_fd, de->d_name, &r)) {
			unlinkat(sp->dir_fd, de->d_name, 0);
			sp->st.corrupt++;
			continue;
		}
		if ((err = grow(sp)))
			break;
		sp->recs[sp->nr++] = r;
		sp->st.files++;
		sp->st.bytes += r.bytes;
		sp->st.samples += r.samples;
		sp->st.recovered++;
		sp->st.recovered_samples += r.samples;
	}
	closedir(d);
	if (err)
		return err;
	qsort(sp->recs, sp->nr, sizeof(*sp->recs), cmp_records);
	sp->next_seq = sp->nr ? sp->recs[sp->nr - 1].seq + 1 : 1;
	return 0;
}

struct spool *spool__open(const struct spool_opts *o)
{
	struct spool *sp = calloc(1, sizeof(*sp));
	int err = -ENOMEM;

	if (!sp)
		return NULL;
	pthread_mutex_init(&sp->lock, NULL);
	sp->dir_fd = sp->lock_fd = -1;
	sp->max_bytes = o->max_bytes ? o->max_bytes : SPOOL_DEFAULT_MAX;
	sp->st.max_bytes = sp->max_bytes;
	sp->level = o->zstd_level ? o->zstd_level : 3;
	sp->next_seq = 1;
	if (!o->dir)
		return sp;

	sp->dir = strdup(o->dir);
	if (!sp->dir)
		goto out_free;
	if ((err = mkdir_p(o->dir)))
		goto out_free;
	sp->dir_fd = open(o->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dir_fd < 0) {
		err = -errno;
		goto out_free;
	}
	sp->lock_fd = openat(sp->dir_fd, ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (sp->lock_fd < 0) {
		err = -errno;
		goto out_free;
	}
	if (flock(sp->lock_fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		goto out_free;
	}
	if ((err = scan(sp)))
		goto out_free;
	return sp;

out_free:
	spool__free(sp);
	errno = -err;
	return NULL;
}

void spool__free(struct spool *sp)
{
	if (!sp)
		return;
	for (size_t i = 0; i < sp->nr; i++)
		free(sp->recs[i].mem);
	free(sp->recs);
	if (sp->lock_fd >= 0)
		close(sp->lock_fd);	/* releases the flock */
	if (sp->dir_fd >= 0)
		close(sp->dir_fd);
	free(sp->dir);
	pthread_mutex_destroy(&sp->lock);
	free(sp);
}

static int write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static int write_record(struct spool *sp, uint64_t seq, const uint8_t *hdr, const uint8_t *z,
			size_t zlen)
{
	char tmp[64], name[64];
	int fd, err;

	snprintf(tmp, sizeof(tmp), ".tmp-%016" PRIx64, seq);
	record_name(seq, name, sizeof(name));
	fd = openat(sp->dir_fd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = write_all(fd, hdr, SPOOL_HDR_LEN);
	if (!err)
		err = write_all(fd, z, zlen);
	if (!err && fdatasync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && renameat(sp->dir_fd, tmp, sp->dir_fd, name))
		err = -errno;
	if (err) {
		unlinkat(sp->dir_fd, tmp, 0);
		return err;
	}
	fsync(sp->dir_fd);
	return 0;
}

/* Drops the oldest unpinned records until `need` more bytes fit. */
static void make_room(struct spool *sp, uint64_t need)
{
	size_t i = 0;

	while (sp->st.bytes + need > sp->max_bytes && i < sp->nr) {
		if (sp->recs[i].pinned) {
			i++;
			continue;
		}
		sp->st.dropped++;
		sp->st.dropped_samples += sp->recs[i].samples;
		drop_index(sp, i);
	}
}

int spool__append(struct spool *sp, const void *buf, size_t len, uint64_t samples,
		  uint64_t *ret_seq)
{
	uint8_t hdr[SPOOL_HDR_LEN], *z = NULL;
	struct record r = {0};
	size_t zlen;
	int err;

	err = compress__zstd(buf, len, sp->level, &z, &zlen);
	if (err)
		return err;
	memcpy(hdr, SPOOL_MAGIC, 8);
	put_le64(hdr + 8, samples);
	put_le64(hdr + 16, len);

	pthread_mutex_lock(&sp->lock);
	r.seq = sp->next_seq;
	r.samples = samples;
	r.content_len = len;
	r.bytes = zlen + SPOOL_HDR_LEN;
	if (r.bytes > sp->max_bytes) {
		sp->st.dropped++;
		sp->st.dropped_samples += samples;
		err = -EFBIG;
		goto out_unlock;
	}
	if ((err = grow(sp)))
		goto out_unlock;
	make_room(sp, r.bytes);
	if (sp->dir) {
		err = write_record(sp, r.seq, hdr, z, zlen);
		if (err) {
			sp->st.write_errors++;
			goto out_unlock;
		}
	} else {
		r.mem = z;
		z = NULL;
	}
	sp->next_seq++;
	sp->recs[sp->nr++] = r;
	sp->st.files++;
	sp->st.bytes += r.bytes;
	sp->st.samples += samples;
	sp->st.appended++;
	if (ret_seq)
		*ret_seq = r.seq;
out_unlock:
	pthread_mutex_unlock(&sp->lock);
	free(z);
	return err;
}

int spool__pin_next(struct spool *sp, uint64_t after_seq, struct spool_info *ret)
{
	int err = -ENOENT;

	pthread_mutex_lock(&sp->lock);
	for (size_t i = 0; i < sp->nr; i++) {
		struct record *r = &sp->recs[i];

		if (r->seq <= after_seq)
			continue;
		r->pinned = true;
		ret->seq = r->seq;
		ret->samples = r->samples;
		ret->bytes = r->bytes;
		err = 0;
		break;
	}
	pthread_mutex_unlock(&sp->lock);
	return err;
}

void spool__unpin(struct spool *sp, uint64_t seq)
{
	struct record *r;

	pthread_mutex_lock(&sp->lock);
	r = find(sp, seq, NULL);
	if (r)
		r->pinned = false;
	pthread_mutex_unlock(&sp->lock);
}

/* The zstd frame of a record on disk, checked against its header. */
static int load_frame(struct spool *sp, const struct record *r, uint8_t **ret, size_t *ret_len)
{
	char name[64];
	uint8_t *buf;
	struct stat st;
	ssize_t n;
	int fd, err = 0;

	record_name(r->seq, name, sizeof(name));
	fd = openat(sp->dir_fd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -EBADMSG : -errno;
	if (fstat(fd, &st) || st.st_size <= SPOOL_HDR_LEN) {
		close(fd);
		return -EBADMSG;
	}
	buf = malloc(st.st_size - SPOOL_HDR_LEN);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	n = pread(fd, buf, st.st_size - SPOOL_HDR_LEN, SPOOL_HDR_LEN);
	if (n != st.st_size - SPOOL_HDR_LEN) {
		free(buf);
		err = -EBADMSG;
	} else {
		*ret = buf;
		*ret_len = n;
	}
	close(fd);
	return err;
}

int spool__read(struct spool *sp, uint64_t seq, uint8_t **ret_buf, size_t *ret_len)
{
	uint8_t *z = NULL, *out = NULL;
	size_t zlen = 0, len = 0, idx;
	bool own_z = false;	/* memory mode lends the record's own frame */
	struct record *r;
	int err;

	pthread_mutex_lock(&sp->lock);
	r = find(sp, seq, &idx);
	if (!r) {
		err = -ENOENT;
		goto out_unlock;
	}
	if (r->mem) {
		z = r->mem;
		zlen = r->bytes - SPOOL_HDR_LEN;
		err = 0;
	} else {
		err = load_frame(sp, r, &z, &zlen);
		own_z = !err;
	}
	if (!err)
		err = compress__unzstd(z, zlen, SPOOL_MAX_RECORD, &out, &len);
	if (!err && len != r->content_len) {
		free(out);
		err = -EBADMSG;
	}
	if (err == -EBADMSG || err == -EFBIG) {
		sp->st.corrupt++;
		sp->st.corrupt_samples += r->samples;
		drop_index(sp, idx);
		err = -EBADMSG;
	}
	if (!err) {
		*ret_buf = out;
		*ret_len = len;
	}
out_unlock:
	pthread_mutex_unlock(&sp->lock);
	if (own_z)
		free(z);
	return err;
}

int spool__remove(struct spool *sp, uint64_t seq)
{
	size_t idx;
	int err = -ENOENT;

	pthread_mutex_lock(&sp->lock);
	if (find(sp, seq, &idx)) {
		drop_index(sp, idx);
		sp->st.removed++;
		err = 0;
	}
	pthread_mutex_unlock(&sp->lock);
	return err;
}

void spool__stats(struct spool *sp, struct spool_stats *ret)
{
	pthread_mutex_lock(&sp->lock);
	*ret = sp->st;
	pthread_mutex_unlock(&sp->lock);
}
