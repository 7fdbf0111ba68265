/* SPDX-License-Identifier: MIT */
/* redact: keeps the credentials out of anything cprof prints. A reply body,
 * a gRPC message or a redirect target comes from a server, and a proxy that
 * echoes the request puts the Authorization header into it; a URL with
 * "user:password@" is refused, and the refusal must not repeat it. Masking
 * keeps lengths (each secret byte becomes '*'), so a protobuf or gRPC-Web
 * body stays parseable after it. Pure functions on caller buffers. */
#ifndef CPROF_EXPORT_REDACT_H
#define CPROF_EXPORT_REDACT_H

#include <stddef.h>
#include <stdint.h>

#define REDACT_MAX_SECRETS	4

/* The forms a secret can take on the wire, each a malloc'd string. */
struct redact_secrets {
	char *s[REDACT_MAX_SECRETS];
	size_t n;
};

/* Fills *ret with what to mask for a bearer token (the token) or basic auth
 * "user:password" (itself, the password, and the base64 that goes in the
 * header); either may be NULL. 0 or -ENOMEM (*ret released). */
int redact__secrets_init(struct redact_secrets *ret, const char *bearer, const char *basic)
	__attribute__((warn_unused_result));
/* Wipes and frees the strings. */
void redact__secrets_release(struct redact_secrets *rs);

/* Overwrites with '*' every occurrence of every secret in buf[0..len).
 * Returns how many were masked. */
size_t redact__mask(const struct redact_secrets *rs, uint8_t *buf, size_t len);

/* For a text about to be printed (NUL-terminated, edited in place): masks
 * every run of 8 or more characters that also occurs in a secret (a secret
 * cut short by a proxy or by a bound), and the credential after "Bearer "
 * or "Basic " whatever it is. Returns how many runs were masked. */
size_t redact__text(const struct redact_secrets *rs, char *text);

#endif /* CPROF_EXPORT_REDACT_H */
