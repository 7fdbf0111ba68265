/* SPDX-License-Identifier: MIT */
/* sym_demangle: human names for mangled symbols. C++ (Itanium "_Z") goes
 * through libstdc++'s __cxa_demangle; Rust legacy symbols ("_ZN...17h<hash>E")
 * are decoded here, with the "::h<hash>" suffix removed. Anything else
 * (C, Rust v0, unknown schemes) is left to the caller as is.
 * libstdc++ is loaded (dlopen) on the first C++ name, not linked; where it
 * cannot be, C++ names are returned as not demangling. Thread-safe.
 * Depends on libstdc++ (loaded at run time), libdl, pthreads and libc only;
 * never prints.
 */
#ifndef CPROF_SYM_DEMANGLE_H
#define CPROF_SYM_DEMANGLE_H

/* A malloc'd demangled copy of name (caller frees), or NULL when name is not
 * mangled in a scheme we know or does not demangle (errno ENOMEM on
 * allocation failure, EINVAL otherwise). */
char *sym_demangle(const char *name)
	__attribute__((warn_unused_result));

#endif
