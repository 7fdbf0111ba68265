/* SPDX-License-Identifier: MIT */
/* cfi_cur: bounded reads of the values call frame information is made of
 * (fixed-size little-endian integers, LEB128, DW_EH_PE_* encoded pointers)
 * from a byte range. Every read checks the room left and fails with -EINVAL
 * rather than read past the end; a failed read leaves the cursor somewhere
 * inside the range. libc only.
 */
#ifndef CPROF_SYM_CFI_CUR_H
#define CPROF_SYM_CFI_CUR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "symbolize/uw_table.h"

/* A cursor over [p, end). */
struct cfi_cur {
	const uint8_t *p, *end;
};

/* Each returns 0 and the value in *ret, or -EINVAL when the range ends first. */
int cfi_cur__u8(struct cfi_cur *c, uint8_t *ret)
	__attribute__((warn_unused_result));
/* size bytes (1 to 8), sign-extended when is_signed */
int cfi_cur__fixed(struct cfi_cur *c, size_t size, bool is_signed, uint64_t *ret)
	__attribute__((warn_unused_result));
/* LEB128: bits past 64 are dropped, the bytes still consumed */
int cfi_cur__uleb(struct cfi_cur *c, uint64_t *ret)
	__attribute__((warn_unused_result));
int cfi_cur__sleb(struct cfi_cur *c, int64_t *ret)
	__attribute__((warn_unused_result));

/* One DW_EH_PE_* encoded value. With apply, the relative forms are resolved
 * against sec (pcrel: the value's own address in sec, so c must point into
 * sec->data; textrel, datarel: sec's bases, refused when 0); indirect,
 * aligned and funcrel values are refused (-EINVAL). Without apply, only the
 * format (enc & 0x0f) is read: the raw value comes back and sec is unused. */
int cfi_cur__encoded(struct cfi_cur *c, uint8_t enc, const struct uw_cfi_section *sec,
		     bool apply, uint64_t *ret)
	__attribute__((warn_unused_result));

#endif
