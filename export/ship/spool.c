// SPDX-License-Identifier: MIT
/* The spool's index is an array of records sorted by seq (appends go to the
 * end, deliveries leave from the front), whether a record is on disk or held
 * in memory, so the uploader drains both oldest first. Every change happens
 * under one mutex, file I/O included: appends come once per profile and
 * window, so the uploader waiting for an fsync costs nothing that matters.
 * A record is written to a temporary file and renamed: a temporary left
 * over is deleted at the next open. It is not synced then: most records are
 * delivered and deleted within a second, and the sync was most of what an
 * idle agent spent on its spool. Those still here at an append
 * SPOOL_SYNC_AFTER_NS later (the next window's, the backend away) or at
 * spool__free() are synced then, with one fsync of the directory. A process crash loses nothing written; a crash of the machine
 * may cut the newest records short, and a record's checksum (spool_record.h)
 * makes such a one counted as corrupt and deleted, never shipped. The directory is private
 * to our uid (checked on the open fd), everything in it is reached relative
 * to that fd, never through a link (O_NOFOLLOW), and new files are O_EXCL. */
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

#include "base/clock.h"
#include "base/compress.h"
#include "base/fs.h"
#include "base/vec.h"
#include "export/ship/spool.h"

#define SPOOL_SUFFIX		".spool"
#define SPOOL_TMP_PREFIX	".tmp-"
#define SPOOL_DEFAULT_MAX	(256ULL << 20)
#define SPOOL_DEFAULT_MEM_MAX	(32ULL << 20)
#define OPEN_FLAGS		(O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
#define SPOOL_SYNC_AFTER_NS	2000000000LL	/* longer than one window's appends */

struct record {
	uint64_t seq, samples, bytes;
	bool pinned;
	bool held;		/* in memory because the directory could not take it */
	bool unsynced;		/* on disk, not synced yet (sync_written) */
	int64_t written_ns;	/* CLOCK_MONOTONIC, when unsynced */
	uint8_t *mem;		/* memory mode or held: the whole record, header first */
};

struct spool {
	pthread_mutex_t lock;
	char *dir;
	int dir_fd, lock_fd;
	uint64_t max_bytes, mem_max_bytes;
	int level;
	struct record *recs;
	size_t nr, cap;
	uint64_t next_seq;
	size_t nr_unsynced;
	struct spool_stats st;
};

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

static bool seq_in_range(uint64_t seq)
{
	return seq >= 1 && seq <= SPOOL_SEQ_MAX;
}

static int cmp_records(const void *a, const void *b)
{
	const struct record *x = a, *y = b;

	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void sort_records(struct record *r, size_t n)
{
	if (n > 1)	/* qsort(NULL, 0) is undefined */
		qsort(r, n, sizeof(*r), cmp_records);
}

static int grow_array(struct record **recs, size_t nr, size_t *cap)
{
	return vec__reserve((void **)recs, cap, nr, 1, sizeof(**recs));
}

static int grow(struct spool *sp)
{
	return grow_array(&sp->recs, sp->nr, &sp->cap);
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

static void unhold(struct spool *sp, struct record *r)
{
	if (!r->held)
		return;
	r->held = false;
	sp->st.mem_files--;
	sp->st.mem_bytes -= r->bytes;
	sp->st.mem_samples -= r->samples;
}

/* Deletes record i from disk (or memory) and the index; the caller counts why. */
static void drop_index(struct spool *sp, size_t i)
{
	struct record *r = &sp->recs[i];
	char name[64];

	if (!r->mem) {
		record_name(r->seq, name, sizeof(name));
		unlinkat(sp->dir_fd, name, 0);
	}
	if (r->unsynced)
		sp->nr_unsynced--;
	unhold(sp, r);
	free(r->mem);
	sp->st.files--;
	sp->st.bytes -= r->bytes;
	sp->st.samples -= r->samples;
	memmove(r, r + 1, (sp->nr - i - 1) * sizeof(*r));
	sp->nr--;
}

static int check_dir_stat(const struct stat *st, char *why, size_t why_len)
{
	uid_t euid = geteuid();

	if (!S_ISDIR(st->st_mode)) {
		snprintf(why, why_len, "not a directory");
		return -ENOTDIR;
	}
	if (st->st_uid != euid) {
		snprintf(why, why_len, "owned by uid %u, not by uid %u that cprof runs as",
			 (unsigned)st->st_uid, (unsigned)euid);
		return -EPERM;
	}
	if (st->st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(why, why_len, "writable by group or others (mode %04o)",
			 (unsigned)(st->st_mode & 07777));
		return -EPERM;
	}
	return 0;
}

int spool__check_dir(const char *dir, char *why, size_t why_len)
{
	struct stat st;

	if (why_len)
		why[0] = '\0';
	if (stat(dir, &st))
		return errno == ENOENT ? 0 : -errno;
	return check_dir_stat(&st, why, why_len);
}

/* Opens an existing entry of the directory for reading: never through a
 * link, never blocking on a FIFO, and only a regular file. */
static int open_entry(int dir_fd, const char *name, struct stat *ret_st)
{
	int fd = openat(dir_fd, name, O_RDONLY | OPEN_FLAGS);

	if (fd < 0)
		return -errno;
	if (fstat(fd, ret_st) || !S_ISREG(ret_st->st_mode)) {
		close(fd);
		return -EBADMSG;
	}
	return fd;
}

static int pread_all(int fd, void *buf, size_t len, off_t off)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = pread(fd, p, len, off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EBADMSG;
		p += n;
		off += n;
		len -= n;
	}
	return 0;
}

/* Reads the header of a record found on disk into r. -EBADMSG when it is not
 * one, or is over SPOOL_RECORD_MAX_FILE (r->samples is then its header's
 * claim, or 0); -errno when it cannot be opened. Never reads the payload. */
static int read_header(int dir_fd, const char *name, struct record *r)
{
	uint8_t hdr[SPOOL_RECORD_HDR_LEN];
	struct spool_record_hdr h;
	struct stat st;
	int fd = open_entry(dir_fd, name, &st), err;

	if (fd < 0)
		return fd == -ELOOP ? -EBADMSG : fd;	/* a link where a record should be */
	err = pread_all(fd, hdr, sizeof(hdr), 0);
	if (!err)
		err = spool_record__parse_header(hdr, st.st_size, &h);
	if (!err) {
		r->samples = h.samples;
		r->bytes = st.st_size;
		if ((uint64_t)st.st_size > SPOOL_RECORD_MAX_FILE)
			err = -EBADMSG;
	}
	close(fd);
	return err;
}

static int scan(struct spool *sp)
{
	DIR *d = fdopendir(dup(sp->dir_fd));
	struct record *odd = NULL;	/* sequence numbers out of range */
	size_t nr_odd = 0, cap_odd = 0;
	struct dirent *de;
	int err = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		struct record r = {0};
		int rerr;

		if (!strncmp(de->d_name, SPOOL_TMP_PREFIX, strlen(SPOOL_TMP_PREFIX))) {
			if (!unlinkat(sp->dir_fd, de->d_name, 0))	/* a write cut short */
				sp->st.stale_tmp++;
			continue;
		}
		if (!parse_name(de->d_name, &r.seq))
			continue;
		rerr = read_header(sp->dir_fd, de->d_name, &r);
		if (rerr == -EBADMSG) {
			unlinkat(sp->dir_fd, de->d_name, 0);
			sp->st.corrupt++;
			sp->st.corrupt_samples += r.samples;
			continue;
		}
		if (rerr)	/* vanished, or EMFILE...: leave it for the next start */
			continue;
		if (!seq_in_range(r.seq)) {
			if ((err = grow_array(&odd, nr_odd, &cap_odd)))
				break;
			odd[nr_odd++] = r;
			continue;
		}
		if ((err = grow(sp)))
			break;
		sp->recs[sp->nr++] = r;
	}
	closedir(d);
	if (err)
		goto out_free;
	sort_records(sp->recs, sp->nr);
	sp->next_seq = sp->nr ? sp->recs[sp->nr - 1].seq + 1 : 1;
	/* Out-of-range names go after every other record, in their own order,
	 * under fresh numbers: the queue never wraps and nothing is skipped. */
	sort_records(odd, nr_odd);
	for (size_t i = 0; i < nr_odd; i++) {
		char from[64], to[64];

		record_name(odd[i].seq, from, sizeof(from));
		record_name(sp->next_seq, to, sizeof(to));
		if ((err = grow(sp)))
			goto out_free;
		if (renameat(sp->dir_fd, from, sp->dir_fd, to))
			continue;	/* left as it is, not indexed */
		odd[i].seq = sp->next_seq++;
		sp->recs[sp->nr++] = odd[i];
		sp->st.renumbered++;
	}
	for (size_t i = 0; i < sp->nr; i++) {
		sp->st.files++;
		sp->st.bytes += sp->recs[i].bytes;
		sp->st.samples += sp->recs[i].samples;
		sp->st.recovered++;
		sp->st.recovered_samples += sp->recs[i].samples;
	}
out_free:
	free(odd);
	return err;
}

/* Opens, checks and locks the directory. */
static int open_dir(struct spool *sp, const char *dir)
{
	struct stat st;
	char why[128];
	int err;

	if ((err = fs__mkdir_p(dir, 0700)))
		return err;
	sp->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dir_fd < 0)
		return -errno;
	if (fstat(sp->dir_fd, &st))
		return -errno;
	if ((err = check_dir_stat(&st, why, sizeof(why))))
		return err;
	/* Not O_EXCL: the lock file outlives runs, and unlinking it would race
	 * with another agent's lock. The directory is ours alone, and a link
	 * there is refused (ELOOP). */
	sp->lock_fd = openat(sp->dir_fd, ".lock", O_RDWR | O_CREAT | OPEN_FLAGS, 0600);
	if (sp->lock_fd < 0)
		return -errno;
	if (fstat(sp->lock_fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EBADF;
	if (flock(sp->lock_fd, LOCK_EX | LOCK_NB))
		return errno == EWOULDBLOCK ? -EBUSY : -errno;
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
	sp->mem_max_bytes = o->mem_max_bytes ? o->mem_max_bytes :
			    sp->max_bytes < SPOOL_DEFAULT_MEM_MAX ? sp->max_bytes :
			    SPOOL_DEFAULT_MEM_MAX;
	sp->st.max_bytes = sp->max_bytes;
	sp->st.mem_max_bytes = sp->mem_max_bytes;
	sp->level = o->zstd_level ? o->zstd_level : 3;
	sp->next_seq = 1;
	if (!o->dir)
		return sp;

	sp->dir = strdup(o->dir);
	if (!sp->dir)
		goto out_free;
	if ((err = open_dir(sp, o->dir)))
		goto out_free;
	if ((err = scan(sp)))
		goto out_free;
	return sp;

out_free:
	spool__free(sp);
	errno = -err;
	return NULL;
}

static int write_record(struct spool *sp, uint64_t seq, const uint8_t *rec, size_t len)
{
	char tmp[64], name[64];
	int fd, err;

	snprintf(tmp, sizeof(tmp), SPOOL_TMP_PREFIX "%016" PRIx64, seq);
	record_name(seq, name, sizeof(name));
	fd = openat(sp->dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | OPEN_FLAGS, 0600);
	if (fd < 0 && errno == EEXIST) {	/* ours, from a failed attempt */
		unlinkat(sp->dir_fd, tmp, 0);
		fd = openat(sp->dir_fd, tmp, O_WRONLY | O_CREAT | O_EXCL | OPEN_FLAGS, 0600);
	}
	if (fd < 0)
		return -errno;
	err = fs__write_all(fd, rec, len, -1);
	if (close(fd) && !err)
		err = -errno;
	if (!err && renameat(sp->dir_fd, tmp, sp->dir_fd, name))
		err = -errno;
	if (err) {
		unlinkat(sp->dir_fd, tmp, 0);
		return err;
	}
	return 0;
}

static void written(struct spool *sp, struct record *r)
{
	r->unsynced = true;
	r->written_ns = clock__mono_ns();
	sp->nr_unsynced++;
}

/* The records written before `before` (CLOCK_MONOTONIC ns) and still here,
 * to disk (see the top of this file). */
static void sync_written(struct spool *sp, int64_t before)
{
	bool synced = false;
	char name[64];
	int fd;

	if (!sp->nr_unsynced)
		return;
	for (size_t i = 0; i < sp->nr; i++) {
		struct record *r = &sp->recs[i];

		if (!r->unsynced || r->written_ns >= before)
			continue;
		r->unsynced = false;
		sp->nr_unsynced--;
		synced = true;
		record_name(r->seq, name, sizeof(name));
		fd = openat(sp->dir_fd, name, O_RDONLY | OPEN_FLAGS);
		if (fd >= 0) {
			(void)fdatasync(fd);
			close(fd);
		}
	}
	if (synced)
		fsync(sp->dir_fd);
}

void spool__free(struct spool *sp)
{
	if (!sp)
		return;
	sync_written(sp, INT64_MAX);
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

/* The same among records held in memory, against mem_max_bytes. False when
 * `need` still does not fit (everything held is pinned, or need alone is
 * over the bound). */
static bool make_mem_room(struct spool *sp, uint64_t need)
{
	size_t i = 0;

	if (need > sp->mem_max_bytes)
		return false;
	while (sp->st.mem_bytes + need > sp->mem_max_bytes && i < sp->nr) {
		if (!sp->recs[i].held || sp->recs[i].pinned) {
			i++;
			continue;
		}
		sp->st.mem_dropped++;
		sp->st.mem_dropped_samples += sp->recs[i].samples;
		drop_index(sp, i);
	}
	return sp->st.mem_bytes + need <= sp->mem_max_bytes;
}

int spool__append(struct spool *sp, const void *buf, size_t len, uint64_t samples,
		  uint64_t *ret_seq)
{
	uint8_t *z = NULL, *rec;
	struct record r = {0};
	size_t zlen;
	int err;

	err = compress__zstd(buf, len, sp->level, &z, &zlen);
	if (err)
		return err;
	rec = malloc(SPOOL_RECORD_HDR_LEN + zlen);
	if (!rec) {
		free(z);
		return -ENOMEM;
	}
	spool_record__put_header(rec, samples, len);
	memcpy(rec + SPOOL_RECORD_HDR_LEN, z, zlen);
	free(z);

	pthread_mutex_lock(&sp->lock);
	r.seq = sp->next_seq;
	r.samples = samples;
	r.bytes = zlen + SPOOL_RECORD_HDR_LEN;
	if (r.bytes > sp->max_bytes) {
		sp->st.dropped++;
		sp->st.dropped_samples += samples;
		err = -EFBIG;
		goto out_unlock;
	}
	if ((err = grow(sp)))
		goto out_unlock;
	make_room(sp, r.bytes);
	if (sp->dir)
		sync_written(sp, clock__mono_ns() - SPOOL_SYNC_AFTER_NS);
	if (!sp->dir) {
		r.mem = rec;
	} else if ((err = write_record(sp, r.seq, rec, r.bytes))) {
		/* Full disk, quota, I/O error, read-only: keep it in memory, in
		 * order, rather than lose a profile the backend could take. */
		sp->st.write_errors++;
		sp->st.last_write_error = -err;
		if (!make_mem_room(sp, r.bytes)) {
			sp->st.mem_dropped++;
			sp->st.mem_dropped_samples += samples;
			err = -ENOBUFS;
			goto out_unlock;
		}
		err = 0;
		r.mem = rec;
		r.held = true;
		sp->st.held++;
		sp->st.mem_files++;
		sp->st.mem_bytes += r.bytes;
		sp->st.mem_samples += samples;
	}
	if (!r.held)
		sp->st.spooled++;
	if (!r.mem)
		written(sp, &r);
	if (r.mem)
		rec = NULL;
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
	free(rec);
	return err;
}

uint64_t spool__persist(struct spool *sp)
{
	uint64_t left;

	pthread_mutex_lock(&sp->lock);
	for (size_t i = 0; sp->dir && i < sp->nr && sp->st.mem_files; i++) {
		struct record *r = &sp->recs[i];
		int err;

		if (!r->held)
			continue;
		if ((err = write_record(sp, r->seq, r->mem, r->bytes))) {
			sp->st.write_errors++;
			sp->st.last_write_error = -err;
			break;
		}
		unhold(sp, r);
		free(r->mem);
		r->mem = NULL;
		written(sp, r);
		sp->st.spooled++;
	}
	left = sp->st.mem_files;
	pthread_mutex_unlock(&sp->lock);
	return left;
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

/* The whole file of a record on disk, bounded by SPOOL_RECORD_MAX_FILE
 * before anything is allocated. -EBADMSG when it is gone, not a regular
 * file, a link, or too big. */
static int load_file(struct spool *sp, const struct record *r, uint8_t **ret, size_t *ret_len)
{
	char name[64];
	uint8_t *buf;
	struct stat st;
	int fd, err;

	record_name(r->seq, name, sizeof(name));
	fd = open_entry(sp->dir_fd, name, &st);
	if (fd < 0)
		return fd == -ENOENT || fd == -ELOOP ? -EBADMSG : fd;
	if (st.st_size <= SPOOL_RECORD_HDR_LEN || (uint64_t)st.st_size > SPOOL_RECORD_MAX_FILE) {
		close(fd);
		return -EBADMSG;
	}
	buf = malloc(st.st_size);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	err = pread_all(fd, buf, st.st_size, 0);
	close(fd);
	if (err) {
		free(buf);
		return err;
	}
	*ret = buf;
	*ret_len = st.st_size;
	return 0;
}

int spool__read(struct spool *sp, uint64_t seq, uint8_t **ret_buf, size_t *ret_len)
{
	uint8_t *file = NULL, *out = NULL;
	struct spool_record_hdr h;
	size_t file_len = 0, len = 0, idx;
	struct record *r;
	int err;

	pthread_mutex_lock(&sp->lock);
	r = find(sp, seq, &idx);
	if (!r) {
		err = -ENOENT;
		goto out_unlock;
	}
	if (r->mem)
		err = spool_record__decode(r->mem, r->bytes, &h, &out, &len);
	else if (!(err = load_file(sp, r, &file, &file_len)))
		err = spool_record__decode(file, file_len, &h, &out, &len);
	if (err == -EBADMSG) {
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
	free(file);
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
