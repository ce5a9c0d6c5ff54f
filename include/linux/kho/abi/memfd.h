/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */
#ifndef _LINUX_KHO_ABI_MEMFD_H
#define _LINUX_KHO_ABI_MEMFD_H

#include <linux/bits.h>
#include <linux/build_bug.h>
#include <linux/kho/abi/kexec_handover.h>
#include <linux/stddef.h>
#include <linux/types.h>

/**
 * DOC: memfd preservation format
 *
 * The memfd file handler hands a memfd over as a &struct memfd_luo_ser,
 * one preserved page whose physical address is the file's
 * &luo_file_ser.data. It points to a preserved vmalloc area (see
 * ``include/linux/kho/abi/kexec_handover.h``) holding one &struct
 * memfd_luo_folio_ser per preserved folio::
 *
 *   struct memfd_luo_ser
 *     pos, size, seals, flags
 *     nr_folios
 *     folios (struct kho_vmalloc) ---> struct memfd_luo_folio_ser[nr_folios]
 *                                        pfn, flags, index
 *
 * The records are in no particular order, and the preserved area may have
 * room for more than nr_folios of them: only the first nr_folios count.
 * Each folio is preserved as a whole, with the order it had; the next
 * kernel learns the order from KHO. Only folios the file had are recorded:
 * a hole of the file has no record and is a hole again after the live
 * update.
 *
 * The layout is a contract between the two kernels, versioned by
 * %MEMFD_LUO_FH_COMPATIBLE: any change to a structure, a field or a flag
 * needs a new compatible string, and a memfd is handed over only between
 * kernels with the same string.
 */

/* Compatible string of the memfd file handler. */
#define MEMFD_LUO_FH_COMPATIBLE		"memfd-v2"

/**
 * define MEMFD_LUO_FOLIO_DIRTY - the folio was dirty
 *
 * Always set by the writer: a preserved folio has no backing store.
 */
#define MEMFD_LUO_FOLIO_DIRTY		BIT(0)

/**
 * define MEMFD_LUO_FOLIO_UPTODATE - the folio was up to date
 *
 * Always set by the writer: folios the file had not written yet (from
 * fallocate()) are zeroed before they are preserved.
 */
#define MEMFD_LUO_FOLIO_UPTODATE	BIT(1)

/* Seals a preserved memfd may have: F_SEAL_SEAL to F_SEAL_EXEC. */
#define MEMFD_LUO_ALL_SEALS		0x3f

/**
 * struct memfd_luo_folio_ser - a preserved folio of a memfd
 * @pfn: page frame number of the folio (bits 0-51 of the first u64); 0
 *       means no folio, and the record is skipped.
 * @flags: %MEMFD_LUO_FOLIO_DIRTY, %MEMFD_LUO_FOLIO_UPTODATE (bits 52-63).
 * @index: offset of the folio in the file, in pages.
 *
 * Versioned by %MEMFD_LUO_FH_COMPATIBLE.
 */
struct memfd_luo_folio_ser {
	u64 pfn:52;
	u64 flags:12;
	u64 index;
} __packed;

/**
 * struct memfd_luo_ser - a preserved memfd
 * @pos: the file position.
 * @size: the file size in bytes.
 * @seals: the F_SEAL_* seals of the file, within %MEMFD_LUO_ALL_SEALS.
 *         They also give the exec class of the file, which has no field:
 *         F_SEAL_EXEC without all of F_SEAL_SHRINK, F_SEAL_GROW,
 *         F_SEAL_WRITE and F_SEAL_FUTURE_WRITE means a file without exec
 *         permission (mode 0666); any other file is restored 0777. The
 *         writer refuses a file this would misdescribe.
 * @flags: no flag is defined; 0.
 * @nr_folios: number of entries in @folios; 0 for a file without folios.
 * @folios: the preserved vmalloc area of &struct memfd_luo_folio_ser,
 *          zeroed if @nr_folios is 0.
 *
 * Versioned by %MEMFD_LUO_FH_COMPATIBLE.
 */
struct memfd_luo_ser {
	u64 pos;
	u64 size;
	u32 seals;
	u32 flags;
	u64 nr_folios;
	struct kho_vmalloc folios;
} __packed;

static_assert(sizeof(struct memfd_luo_folio_ser) == 16);
static_assert(offsetof(struct memfd_luo_folio_ser, index) == 8);
static_assert(sizeof(struct memfd_luo_ser) == 48);
static_assert(offsetof(struct memfd_luo_ser, seals) == 16);
static_assert(offsetof(struct memfd_luo_ser, nr_folios) == 24);
static_assert(offsetof(struct memfd_luo_ser, folios) == 32);

#endif /* _LINUX_KHO_ABI_MEMFD_H */
