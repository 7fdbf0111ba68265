/* SPDX-License-Identifier: MIT */
/* utf8: the one UTF-8 validator and sanitizer. Names from binaries, perf maps
 * and /proc are bytes; protobuf strings must be UTF-8 and SVG text must be
 * well-formed XML. Strict decoding: no overlongs, no surrogates, nothing
 * above U+10FFFF. libc only; never prints.
 */
#ifndef CPROF_BASE_UTF8_H
#define CPROF_BASE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Length (1..4) of the valid UTF-8 sequence at s, n bytes available (n >= 1),
 * with its code point in *ret_cp; 0 when s starts no valid sequence.
 * UTF8_XML also refuses U+FFFE and U+FFFF (XML 1.0 forbids them). */
#define UTF8_XML	1u
size_t utf8__decode(const void *s, size_t n, unsigned flags, uint32_t *ret_cp);

/* Is the NUL-terminated s valid UTF-8? */
bool utf8__valid(const char *s);

/* Replaces, in place, every byte of the NUL-terminated s that starts no valid
 * sequence by repl (an ASCII byte), so the length is kept. Returns the
 * number of bytes replaced. */
size_t utf8__repair(char *s, char repl);

/* Copies name (NULL = "") into buf (size bytes, NUL-terminated when size > 0)
 * as valid UTF-8: each invalid byte, and with UTF8_XML each C0 control and
 * DEL, becomes U+FFFD. Stops before a sequence that would not fit whole.
 * Returns the bytes written, NUL excluded. Buffer >= 3 * strlen + 1 never
 * truncates. */
size_t utf8__sanitize(const char *name, char *buf, size_t size, unsigned flags);

#endif /* CPROF_BASE_UTF8_H */
