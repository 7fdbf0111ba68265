// SPDX-License-Identifier: MIT
/* sym_demangle: C++ and Rust legacy demangling. Rust legacy names are valid
 * Itanium names, so they are recognised first, by their final "h" + 16 hex
 * digit path component, and decoded by hand ($LT$ -> '<', .. -> ::, ...).
 * __cxa_demangle is looked up in libstdc++ with dlopen() on the first C++
 * name, once per process: linked, libstdc++ would map ~2 MB and run its
 * static initialisers in every run, for one function most runs never call.
 * Depends on libstdc++ (loaded at run time), libdl, pthreads and libc only;
 * never prints.
 */
#include "symbolize/sym_demangle.h"

#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* libstdc++'s demangler (<cxxabi.h>, a C++ header), set once by load_cxa();
 * NULL when libstdc++ could not be loaded: C++ names then stay mangled. */
typedef char *cxa_demangle_fn(const char *mangled, char *buf, size_t *len, int *status);
static cxa_demangle_fn *cxa_demangle;
static pthread_once_t cxa_once = PTHREAD_ONCE_INIT;

/* The library stays loaded (the pointer is kept); a failure is not retried.
 * pthread_once: frame assembly runs on one thread today, nothing here
 * should depend on it. */
static void load_cxa(void)
{
	void *h = dlopen("libstdc++.so.6", RTLD_NOW | RTLD_LOCAL);

	if (h)
		cxa_demangle = (cxa_demangle_fn *)dlsym(h, "__cxa_demangle");
}

static bool is_rust_hash(const char *s, size_t len)
{
	if (len != 17 || s[0] != 'h')
		return false;
	for (size_t i = 1; i < len; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* Decode one legacy path component into out; false on a bad escape. */
static bool rust_component(const char *s, size_t len, char *out, size_t *pos)
{
	static const struct {
		const char *esc;
		char c;
	} table[] = { { "$SP$", '@' }, { "$BP$", '*' }, { "$RF$", '&' }, { "$LT$", '<' },
		      { "$GT$", '>' }, { "$LP$", '(' }, { "$RP$", ')' }, { "$C$", ',' } };
	size_t i = 0;

	if (len >= 2 && s[0] == '_' && s[1] == '$')
		i = 1;
	while (i < len) {
		if (s[i] == '$') {
			bool found = false;

			for (size_t t = 0; t < sizeof(table) / sizeof(table[0]); t++) {
				size_t el = strlen(table[t].esc);

				if (len - i >= el && memcmp(s + i, table[t].esc, el) == 0) {
					out[(*pos)++] = table[t].c;
					i += el;
					found = true;
					break;
				}
			}
			if (found)
				continue;
			/* $uXX$: a hex-coded character */
			if (len - i >= 5 && s[i + 1] == 'u') {
				const char *end = memchr(s + i + 2, '$', len - i - 2);
				char hex[8];
				size_t hl;

				if (!end)
					return false;
				hl = (size_t)(end - (s + i + 2));
				if (hl == 0 || hl >= sizeof(hex))
					return false;
				memcpy(hex, s + i + 2, hl);
				hex[hl] = '\0';
				unsigned long c = strtoul(hex, NULL, 16);

				if (c == 0 || c > 0x7f)
					return false;
				out[(*pos)++] = (char)c;
				i = (size_t)(end - s) + 1;
				continue;
			}
			return false;
		}
		if (s[i] == '.' && i + 1 < len && s[i + 1] == '.') {
			out[(*pos)++] = ':';
			out[(*pos)++] = ':';
			i += 2;
			continue;
		}
		out[(*pos)++] = s[i++];
	}
	return true;
}

/* "_ZN" (len ident)+ "E" [".suffix"], last ident h<16 hex>. NULL when not Rust
 * legacy. */
static char *rust_legacy(const char *name)
{
	const char *p = name + 3;
	const char *comp[64];
	size_t clen[64], n = 0, total = 0, pos = 0;
	char *out;

	if (strncmp(name, "_ZN", 3) != 0)
		return NULL;
	while (*p && *p != 'E') {
		char *end;
		unsigned long len;

		if (!isdigit((unsigned char)*p) || n == 64)
			return NULL;
		len = strtoul(p, &end, 10);
		if (len == 0 || strnlen(end, len) < len)
			return NULL;
		comp[n] = end;
		clen[n++] = len;
		total += len + 2;
		p = end + len;
	}
	if (*p != 'E' || (p[1] && p[1] != '.') || n < 2 || !is_rust_hash(comp[n - 1], clen[n - 1]))
		return NULL;
	out = malloc(total + 1); /* decoding never lengthens a component */
	if (!out)
		return NULL;
	for (size_t i = 0; i + 1 < n; i++) {
		if (i) {
			out[pos++] = ':';
			out[pos++] = ':';
		}
		if (!rust_component(comp[i], clen[i], out, &pos)) {
			free(out);
			errno = EINVAL;
			return NULL;
		}
	}
	out[pos] = '\0';
	return out;
}

char *sym_demangle(const char *name)
{
	char *out;
	int status = 0;

	if (strncmp(name, "_Z", 2) != 0) {
		errno = EINVAL;
		return NULL;
	}
	errno = 0;
	out = rust_legacy(name);
	if (out || errno == ENOMEM)
		return out;
	pthread_once(&cxa_once, load_cxa);
	if (!cxa_demangle) {
		errno = EINVAL;	/* as a name that does not demangle: shown mangled */
		return NULL;
	}
	out = cxa_demangle(name, NULL, NULL, &status);
	if (!out)
		errno = status == -1 ? ENOMEM : EINVAL;
	return out;
}
