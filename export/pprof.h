/* SPDX-License-Identifier: MIT */
/* pprof files: encode (protobuf + gzip, as Go's runtime writes them), decode
 * (gzip or raw protobuf from any producer) with the validation `go tool pprof`
 * applies, and an id index for readers (folded, flame graphs). Library code:
 * returns -errno, never prints; depends only on proto/ and base/compress. Files are read by
 * export/profile_read and written by export/profile_write. */
#ifndef CPROF_EXPORT_PPROF_H
#define CPROF_EXPORT_PPROF_H

#include <stddef.h>
#include <stdint.h>

#include "export/pprof_index.h"
#include "proto/profile.pb-c.h"

/* Decoded input larger than this (after gunzip) is refused with -EFBIG. */
#define PPROF_MAX_DECODED_SIZE (1024UL * 1024 * 1024)
/* Location ids in one sample, and in all samples, beyond which a profile is
 * refused with -E2BIG before it is unpacked: protobuf-c turns each id of a
 * packed list (one byte on the wire) into 8 bytes of memory. Real stacks are
 * a few hundred frames deep; a 65 KB gzip can hold a sample with 67 M ids. */
#define PPROF_MAX_SAMPLE_LOCATIONS (64UL * 1024)
#define PPROF_MAX_LOCATION_IDS (64UL * 1024 * 1024)

/* Serializes p and gzips it (gzip framing, not zlib; best speed), like Go's
 * runtime/pprof. On success *ret_buf is malloc'd (caller frees) and holds
 * *ret_len bytes starting 1f 8b. Returns 0, -EINVAL, -ENOMEM or -EIO. */
int pprof__encode_gzip(const Perftools__Profiles__Profile *p, uint8_t **ret_buf, size_t *ret_len)
	__attribute__((warn_unused_result));

/* Decodes gzip (one or more members) or raw protobuf and validates it like
 * go tool pprof: string_table[0] == "" and every string index in range,
 * time_nanos not repeated (concatenated profiles), mapping/location/function
 * ids non-zero and unique, every sample location_id, Location.mapping_id and
 * Line.function_id (when non-zero) resolves, len(value) == len(sample_type),
 * default_sample_type names a sample type. A zlib wrapper is not gzip and
 * fails. Returns 0 and *ret (caller frees with pprof__free), -EBADMSG on
 * invalid input, -EFBIG beyond PPROF_MAX_DECODED_SIZE, -E2BIG beyond
 * PPROF_MAX_SAMPLE_LOCATIONS or PPROF_MAX_LOCATION_IDS, or -ENOMEM. Takes any
 * bytes (the fuzz target's entry point). */
int pprof__decode(const uint8_t *buf, size_t len, Perftools__Profiles__Profile **ret)
	__attribute__((warn_unused_result));

/* Re-encodes buf (a profile as pprof__decode() takes it) with its one sample
 * type named type/unit and its period type ptype/punit (both NULL: none),
 * the rest as it was: how a backend names a profile its own way. The new
 * names are appended to the string table, so other uses of the old ones
 * (a function called like the old type) keep their names. *ret (plain
 * protobuf) is malloc'd, the caller frees it. 0, -EINVAL (not exactly one
 * sample type, or a NULL type or unit), or pprof__decode()'s errors. */
int pprof__retype(const uint8_t *buf, size_t len, const char *type, const char *unit,
		  const char *ptype, const char *punit, uint8_t **ret, size_t *ret_len)
	__attribute__((warn_unused_result));

/* Frees a profile from pprof__decode (or profile_read__pprof_file). NULL is a no-op. Not
 * for messages returned by pb_profile__finish (their builder owns them). */
void pprof__free(Perftools__Profiles__Profile *p);

/* Index into sample_type (and so into each Sample.value) of the type named
 * `type`; NULL: the default sample type (default_sample_type if set, else the
 * last, as go tool pprof picks). -ENOENT if there is no such type. */
int pprof__sample_index(const Perftools__Profiles__Profile *p, const char *type);

/* The sample type names of p, space-separated ("samples cpu"), into
 * buf[len] (cut to fit, NUL-terminated); for messages. Returns the length. */
size_t pprof__type_names(const Perftools__Profiles__Profile *p, char *buf, size_t len);

/* String table entry i, or "" when out of range (decoded profiles are
 * validated, so this only guards hand-built ones). Borrowed from p. */
const char *pprof__str(const Perftools__Profiles__Profile *p, int64_t i);

/* The one name of an address nothing names, in every output (pprof
 * Function, folded, SVG): "BASENAME+0xFILEOFFSET" of its mapping
 * ("python3.11+0x247d96", "[jit]+0x40"), or "0xADDRESS" without a mapping
 * (file NULL or "", or an address below the mapping). Into buf. */
void pprof__unnamed_name(char *buf, size_t len, const char *file, uint64_t memory_start,
			 uint64_t file_offset, uint64_t address);

#endif /* CPROF_EXPORT_PPROF_H */
