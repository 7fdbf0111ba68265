// SPDX-License-Identifier: MIT
/* Fuzz target: a backend's reply as the agent reads it off the wire, through
 * each backend's classify and the Retry-After parser. Input layout: one byte
 * picks the backend, two the HTTP status; then five NUL-terminated headers
 * (Content-Type, grpc-status, grpc-message, Location, Retry-After); the rest
 * is the body. */
#include <string.h>

#include "export/ship/backend.h"
#include "tests/fuzz/fuzz_util.h"

/* The next NUL-terminated field of [*p, end), or NULL when the input ends. */
static const char *next_field(const char **p, const char *end)
{
	const char *s = *p, *nul = memchr(s, '\0', (size_t)(end - s));

	if (!nul)
		return NULL;
	*p = nul + 1;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct backend_ops *const ops[] = { &pyroscope_backend, &parca_backend,
							 &otlp_backend };
	char *copy = fuzz_util__cstring(data, size);
	const char *p, *end, *retry;
	struct backend_reply r = { 0 };
	struct exporter_result res;
	int64_t ms;

	if (!copy || size < 3) {
		free(copy);
		return 0;
	}
	r.status = (long)(((unsigned)data[1] << 8 | data[2]) % 700);
	p = copy + 3;
	end = copy + size;
	r.content_type = next_field(&p, end);
	r.grpc_status = next_field(&p, end);
	r.grpc_message = next_field(&p, end);
	r.location = next_field(&p, end);
	retry = next_field(&p, end);
	r.body = (const uint8_t *)p;
	r.body_len = (size_t)(end - p);
	memset(&res, 0, sizeof(res));
	ops[data[0] % 3]->classify(&r, &res);
	if (retry)
		(void)backend__parse_retry_after(retry, 1764460800, &ms);
	free(copy);
	return 0;
}
