// SPDX-License-Identifier: MIT
/* spool_record: header layout and the checked decode of one record. The
 * header's content_len bounds the decompression, so a record can never make
 * the reader allocate more than it claims, and never more than
 * SPOOL_RECORD_MAX_CONTENT. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/compress.h"
#include "export/ship/spool_record.h"

#define SPOOL_MAGIC	"CPSPOOL1"

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

void spool_record__put_header(uint8_t hdr[SPOOL_RECORD_HDR_LEN], uint64_t samples,
			      uint64_t content_len)
{
	memcpy(hdr, SPOOL_MAGIC, 8);
	put_le64(hdr + 8, samples);
	put_le64(hdr + 16, content_len);
}

int spool_record__parse_header(const void *buf, size_t len, struct spool_record_hdr *ret)
{
	const uint8_t *p = buf;
	uint64_t content_len;

	if (!buf || len <= SPOOL_RECORD_HDR_LEN || memcmp(p, SPOOL_MAGIC, 8))
		return -EBADMSG;
	content_len = get_le64(p + 16);
	if (content_len > SPOOL_RECORD_MAX_CONTENT)
		return -EBADMSG;
	ret->samples = get_le64(p + 8);
	ret->content_len = content_len;
	return 0;
}

int spool_record__decode(const void *buf, size_t len, struct spool_record_hdr *ret_hdr,
			 uint8_t **ret_buf, size_t *ret_len)
{
	struct spool_record_hdr h;
	uint8_t *out = NULL;
	size_t out_len = 0;
	int err;

	if (len > SPOOL_RECORD_MAX_FILE || spool_record__parse_header(buf, len, &h))
		return -EBADMSG;
	err = compress__unzstd((const uint8_t *)buf + SPOOL_RECORD_HDR_LEN,
			       len - SPOOL_RECORD_HDR_LEN, h.content_len, &out, &out_len);
	if (err == -EFBIG)	/* more content than the header said */
		err = -EBADMSG;
	if (err)
		return err;
	if (out_len != h.content_len) {
		free(out);
		return -EBADMSG;
	}
	if (!out && !(out = malloc(1)))
		return -ENOMEM;
	*ret_hdr = h;
	*ret_buf = out;
	*ret_len = out_len;
	return 0;
}
