// SPDX-License-Identifier: MIT
/* Whole-buffer compression with zlib and libzstd. Buffers are small (one
 * profile, a few MiB at most), so one-shot APIs, no streaming, except the
 * gunzip, which grows its output step by step up to the caller's bound. */
#include <errno.h>
#include <stdlib.h>
#include <zlib.h>
#include <zstd.h>

#include "base/compress.h"

int compress__gzip(const void *buf, size_t len, uint8_t **ret_buf, size_t *ret_len)
{
	z_stream zs = { 0 };
	uint8_t *out;
	size_t bound;
	int err = 0;

	if (len > UINT32_MAX)	/* zlib's avail_in is a uInt */
		return -EFBIG;
	/* windowBits 16 + 15: gzip framing, not zlib. */
	if (deflateInit2(&zs, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return -ENOMEM;
	bound = deflateBound(&zs, len);
	out = malloc(bound);
	if (!out) {
		err = -ENOMEM;
		goto out_end;
	}
	zs.next_in = (Bytef *)buf;
	zs.avail_in = len;
	zs.next_out = out;
	zs.avail_out = bound;
	if (deflate(&zs, Z_FINISH) != Z_STREAM_END) {
		free(out);
		err = -EIO;
		goto out_end;
	}
	*ret_buf = out;
	*ret_len = zs.total_out;
out_end:
	deflateEnd(&zs);
	return err;
}

int compress__zstd(const void *buf, size_t len, int level, uint8_t **ret_buf, size_t *ret_len)
{
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	size_t bound = ZSTD_compressBound(len), n;
	uint8_t *out = NULL;
	int err = 0;

	if (!cctx)
		return -ENOMEM;
	out = malloc(bound ? bound : 1);
	if (!out) {
		err = -ENOMEM;
		goto out_free;
	}
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 1);
	n = ZSTD_compress2(cctx, out, bound, buf, len);
	if (ZSTD_isError(n)) {
		err = -EIO;
		goto out_free;
	}
	*ret_buf = out;
	*ret_len = n;
	out = NULL;
out_free:
	free(out);
	ZSTD_freeCCtx(cctx);
	return err;
}

int compress__unzstd(const void *buf, size_t len, size_t max_len, uint8_t **ret_buf,
		     size_t *ret_len)
{
	unsigned long long size = ZSTD_getFrameContentSize(buf, len);
	uint8_t *out;
	size_t n;

	if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN)
		return -EBADMSG;
	if (size > max_len)
		return -EFBIG;
	out = malloc(size ? size : 1);
	if (!out)
		return -ENOMEM;
	n = ZSTD_decompress(out, size, buf, len);
	if (ZSTD_isError(n) || n != size) {
		free(out);
		return -EBADMSG;
	}
	*ret_buf = out;
	*ret_len = n;
	return 0;
}

int compress__gunzip(const void *buf, size_t len, size_t max, uint8_t **ret_out,
		     size_t *ret_len)
{
	z_stream zs = { 0 };
	uint8_t *out = NULL, *tmp;
	size_t cap = 0, n = 0;
	int err = 0, zret;

	if (len > UINT32_MAX)	/* zlib's avail_in is a uInt */
		return -EFBIG;
	if (inflateInit2(&zs, 16 + MAX_WBITS) != Z_OK)	/* gzip only, never zlib */
		return -ENOMEM;
	zs.next_in = (Bytef *)buf;
	zs.avail_in = len;
	for (;;) {
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : (len < 4096 ? 16384 : len * 4);

			if (cap >= max) {
				err = -EFBIG;
				goto out_free;
			}
			if (ncap > max)
				ncap = max;
			tmp = realloc(out, ncap);
			if (!tmp) {
				err = -ENOMEM;
				goto out_free;
			}
			out = tmp;
			cap = ncap;
		}
		zs.next_out = out + n;
		zs.avail_out = cap - n;
		zret = inflate(&zs, Z_NO_FLUSH);
		n = cap - zs.avail_out;
		if (zret == Z_STREAM_END) {
			if (!zs.avail_in)
				break;
			/* Another member must follow; anything else is garbage. */
			if (zs.avail_in < 2 || zs.next_in[0] != 0x1f || zs.next_in[1] != 0x8b) {
				err = -EBADMSG;
				goto out_free;
			}
			if (inflateReset(&zs) != Z_OK) {
				err = -EBADMSG;
				goto out_free;
			}
			continue;
		}
		if (zret == Z_MEM_ERROR) {
			err = -ENOMEM;
			goto out_free;
		}
		if (zret != Z_OK && !(zret == Z_BUF_ERROR && !zs.avail_out)) {
			err = -EBADMSG;	/* corrupt or truncated */
			goto out_free;
		}
	}
	inflateEnd(&zs);
	*ret_out = out;
	*ret_len = n;
	return 0;

out_free:
	inflateEnd(&zs);
	free(out);
	return err;
}

uint32_t compress__crc32(uint32_t crc, const void *buf, size_t len)
{
	const Bytef *p = buf;

	while (len) {	/* zlib takes a uInt at a time */
		uInt n = len > UINT32_MAX ? UINT32_MAX : (uInt)len;

		crc = (uint32_t)crc32(crc, p, n);
		p += n;
		len -= n;
	}
	return crc;
}
