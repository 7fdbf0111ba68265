// SPDX-License-Identifier: MIT
/* Masking of credentials in server-controlled text. The fragment search in
 * redact__text() is quadratic in (text, secret) lengths; it only runs on
 * texts bounded for printing (a few hundred bytes) and secrets of at most
 * 4 KiB, on the failure path. */
#define _GNU_SOURCE	/* memmem */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "export/ship/redact.h"

#define MIN_RUN	8	/* shorter common runs are coincidence, not a leak */

static char *base64(const char *s)
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t len = strlen(s), o = 0;
	char *out = malloc(4 * ((len + 2) / 3) + 1);
	const unsigned char *p = (const unsigned char *)s;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i += 3) {
		uint32_t v = (uint32_t)p[i] << 16 | (i + 1 < len ? (uint32_t)p[i + 1] << 8 : 0) |
			     (i + 2 < len ? p[i + 2] : 0);

		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = i + 1 < len ? tab[v >> 6 & 63] : '=';
		out[o++] = i + 2 < len ? tab[v & 63] : '=';
	}
	out[o] = '\0';
	return out;
}

static int add(struct redact_secrets *rs, char *s)
{
	if (!s)
		return -ENOMEM;
	if (!*s || rs->n == REDACT_MAX_SECRETS) {
		free(s);
		return 0;
	}
	rs->s[rs->n++] = s;
	return 0;
}

int redact__secrets_init(struct redact_secrets *rs, const char *bearer, const char *basic)
{
	memset(rs, 0, sizeof(*rs));
	if (bearer && add(rs, strdup(bearer)))
		goto out_nomem;
	if (basic) {
		const char *pw = strchr(basic, ':');

		if (add(rs, strdup(basic)) || add(rs, base64(basic)) ||
		    (pw && add(rs, strdup(pw + 1))))
			goto out_nomem;
	}
	return 0;
out_nomem:
	redact__secrets_release(rs);
	return -ENOMEM;
}

void redact__secrets_release(struct redact_secrets *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		explicit_bzero(rs->s[i], strlen(rs->s[i]));
		free(rs->s[i]);
	}
	memset(rs, 0, sizeof(*rs));
}

size_t redact__mask(const struct redact_secrets *rs, uint8_t *buf, size_t len)
{
	size_t masked = 0;

	for (size_t i = 0; i < rs->n; i++) {
		size_t slen = strlen(rs->s[i]), pos = 0;
		uint8_t *hit;

		while (pos < len && (hit = memmem(buf + pos, len - pos, rs->s[i], slen))) {
			memset(hit, '*', slen);
			pos = hit - buf + slen;
			masked++;
		}
	}
	return masked;
}

/* Masks the credential after each "Bearer " / "Basic " (case-insensitive). */
static size_t mask_schemes(char *text)
{
	static const char *const schemes[] = { "bearer", "basic" };
	size_t masked = 0;

	for (char *p = text; *p; p++) {
		for (size_t k = 0; k < 2; k++) {
			size_t n = strlen(schemes[k]);
			char *v;

			if (strncasecmp(p, schemes[k], n) || (p > text && isalnum((unsigned char)p[-1])))
				continue;
			v = p + n;
			if (*v != ' ' && *v != '=' && *v != ':' && *v != '"')
				continue;
			while (*v == ' ' || *v == '=' || *v == ':' || *v == '"')
				v++;
			if (!*v || (!isalnum((unsigned char)*v) && !strchr("-._~+/*", *v)))
				continue;
			while (*v && (isalnum((unsigned char)*v) || strchr("-._~+/=*", *v)))
				*v++ = '*';
			masked++;
		}
	}
	return masked;
}

size_t redact__text(const struct redact_secrets *rs, char *text)
{
	size_t len = strlen(text), masked = 0;

	for (size_t i = 0; i < rs->n; i++) {
		const char *s = rs->s[i];
		size_t slen = strlen(s);

		for (size_t t = 0; t + MIN_RUN <= len; t++) {
			size_t best = 0;

			for (size_t j = 0; j + MIN_RUN <= slen && best < len - t; j++) {
				size_t k = 0;

				while (t + k < len && j + k < slen && text[t + k] == s[j + k])
					k++;
				if (k > best)
					best = k;
			}
			if (best >= MIN_RUN) {
				memset(text + t, '*', best);
				t += best - 1;
				masked++;
			}
		}
	}
	return masked + mask_schemes(text);
}
