// SPDX-License-Identifier: MIT
/* utf8: one decoder; validation, repair and sanitizing are loops over it. */
#include "base/utf8.h"

#include <string.h>

size_t utf8__decode(const void *p, size_t n, unsigned flags, uint32_t *ret_cp)
{
	const unsigned char *s = p;
	uint32_t cp;
	size_t len, i;

	if (s[0] < 0x80) {
		*ret_cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if ((flags & UTF8_XML) && (cp == 0xfffe || cp == 0xffff))
		return 0;
	*ret_cp = cp;
	return len;
}

bool utf8__valid(const char *s)
{
	size_t n = strlen(s), i = 0, len;
	uint32_t cp;

	while (i < n) {
		len = utf8__decode(s + i, n - i, 0, &cp);
		if (!len)
			return false;
		i += len;
	}
	return true;
}

size_t utf8__repair(char *s, char repl)
{
	size_t n = strlen(s), i = 0, len, bad = 0;
	uint32_t cp;

	while (i < n) {
		len = utf8__decode(s + i, n - i, 0, &cp);
		if (!len) {
			s[i] = repl;
			bad++;
			len = 1;
		}
		i += len;
	}
	return bad;
}

size_t utf8__sanitize(const char *name, char *buf, size_t size, unsigned flags)
{
	static const char repl[] = "\xef\xbf\xbd";	/* U+FFFD */
	const char *s = name ? name : "";
	size_t n = strlen(s), i = 0, o = 0, len;
	uint32_t cp;

	if (!size)
		return 0;
	while (i < n) {
		len = utf8__decode(s + i, n - i, flags, &cp);
		if (!len || ((flags & UTF8_XML) && (cp < 0x20 || cp == 0x7f))) {
			if (o + 3 >= size)
				break;
			memcpy(buf + o, repl, 3);
			o += 3;
			i += len ? len : 1;
			continue;
		}
		if (o + len >= size)
			break;
		memcpy(buf + o, s + i, len);
		o += len;
		i += len;
	}
	buf[o] = '\0';
	return o;
}
