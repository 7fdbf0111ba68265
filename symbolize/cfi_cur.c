// SPDX-License-Identifier: MIT
/* cfi_cur: bounded reads of CFI values; see cfi_cur.h.
 * Depends on uw_table's section type and libdw's DWARF constants only; never prints.
 */
#include "symbolize/cfi_cur.h"

#include <dwarf.h>
#include <errno.h>

int cfi_cur__u8(struct cfi_cur *c, uint8_t *ret)
{
	if (c->p >= c->end)
		return -EINVAL;
	*ret = *c->p++;
	return 0;
}

int cfi_cur__fixed(struct cfi_cur *c, size_t size, bool is_signed, uint64_t *ret)
{
	uint64_t v = 0;

	if ((size_t)(c->end - c->p) < size)
		return -EINVAL;
	for (size_t i = 0; i < size; i++)	/* little endian, like x86_64 files */
		v |= (uint64_t)c->p[i] << (8 * i);
	if (is_signed && size < 8 && (v >> (size * 8 - 1)) & 1)
		v |= ~0ULL << (size * 8);
	c->p += size;
	*ret = v;
	return 0;
}

int cfi_cur__uleb(struct cfi_cur *c, uint64_t *ret)
{
	uint64_t v = 0;
	unsigned int shift = 0;

	while (c->p < c->end) {
		uint8_t b = *c->p++;

		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80)) {
			*ret = v;
			return 0;
		}
	}
	return -EINVAL;
}

int cfi_cur__sleb(struct cfi_cur *c, int64_t *ret)
{
	uint64_t v = 0;
	unsigned int shift = 0;

	while (c->p < c->end) {
		uint8_t b = *c->p++;

		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80)) {
			if (shift < 64 && (b & 0x40))
				v |= ~0ULL << shift;
			*ret = (int64_t)v;
			return 0;
		}
	}
	return -EINVAL;
}

/* Indirect values would need a read of the process's memory; aligned and
 * funcrel are emitted by no x86_64 toolchain for these fields. */
int cfi_cur__encoded(struct cfi_cur *c, uint8_t enc, const struct uw_cfi_section *sec, bool apply,
		       uint64_t *ret)
{
	const uint8_t *at = c->p;
	uint64_t v;
	int64_t s;
	int err;

	if (enc == DW_EH_PE_omit)
		return -EINVAL;
	switch (enc & 0x0f) {
	case DW_EH_PE_absptr:
	case DW_EH_PE_udata8:
		err = cfi_cur__fixed(c, 8, false, &v);
		break;
	case DW_EH_PE_sdata8:
		err = cfi_cur__fixed(c, 8, true, &v);
		break;
	case DW_EH_PE_udata2:
		err = cfi_cur__fixed(c, 2, false, &v);
		break;
	case DW_EH_PE_sdata2:
		err = cfi_cur__fixed(c, 2, true, &v);
		break;
	case DW_EH_PE_udata4:
		err = cfi_cur__fixed(c, 4, false, &v);
		break;
	case DW_EH_PE_sdata4:
		err = cfi_cur__fixed(c, 4, true, &v);
		break;
	case DW_EH_PE_uleb128:
		err = cfi_cur__uleb(c, &v);
		break;
	case DW_EH_PE_sleb128:
		err = cfi_cur__sleb(c, &s);
		v = (uint64_t)s;
		break;
	default:
		return -EINVAL;
	}
	if (err)
		return err;
	if (!apply) {
		*ret = v;
		return 0;
	}
	if (enc & DW_EH_PE_indirect)
		return -EINVAL;
	switch (enc & 0x70) {
	case DW_EH_PE_absptr:
		break;
	case DW_EH_PE_pcrel:
		v += sec->addr + (uint64_t)(at - (const uint8_t *)sec->data);
		break;
	case DW_EH_PE_textrel:
		if (!sec->text_base)
			return -EINVAL;
		v += sec->text_base;
		break;
	case DW_EH_PE_datarel:
		if (!sec->data_base)
			return -EINVAL;
		v += sec->data_base;
		break;
	default:
		return -EINVAL;
	}
	*ret = v;
	return 0;
}
