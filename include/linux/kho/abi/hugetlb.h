/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */
#ifndef _LINUX_KHO_ABI_HUGETLB_H
#define _LINUX_KHO_ABI_HUGETLB_H

#include <linux/build_bug.h>
#include <linux/kho/abi/kexec_handover.h>
#include <linux/stddef.h>
#include <linux/types.h>

/**
 * DOC: hugetlb memfd preservation format
 *
 * The hugetlb file handler hands a hugetlbfs-backed memfd over as a
 * &struct hugetlb_luo_ser, one preserved page whose physical address is
 * the file's &luo_file_ser.data. It points to a preserved vmalloc area
 * (see ``include/linux/kho/abi/kexec_handover.h``) holding one &struct
 * hugetlb_luo_folio_ser per preserved huge page::
 *
 *   struct hugetlb_luo_ser
 *     pos, size, seals, flags, order
 *     nr_folios
 *     folios (struct kho_vmalloc) ---> struct hugetlb_luo_folio_ser[nr_folios]
 *                                        pfn, index
 *
 * Every huge page of the file is preserved with KHO as one block of
 * &hugetlb_luo_ser.order, the order of the file's huge page size; the
 * next kernel takes it back into the pool of the same size. Only pages the
 * file had are recorded, in increasing @index order: a hole has no record
 * and is a hole again after the live update.
 *
 * The layout is a contract between the two kernels, versioned by
 * %HUGETLB_LUO_FH_COMPATIBLE: any change to a structure, a field or a flag
 * needs a new compatible string, and a file is handed over only between
 * kernels with the same string.
 *
 * The pool: every preserved hugetlb file depends on the FLB
 * %HUGETLB_LUO_POOL_COMPATIBLE, whose data is the physical address of one
 * preserved &struct hugetlb_luo_pool_ser of %HUGETLB_LUO_POOL_SIZE bytes:
 * how many huge pages of each order the files hold on each NUMA node. The
 * same blob is the KHO subtree %HUGETLB_LUO_POOL_COMPATIBLE, so that the
 * next kernel can read it while it allocates its boot pools, before live
 * update starts: ``hugepages=`` counts the preserved pages, which join
 * the pool when their files are retrieved or finished. The blob is
 * versioned by its name.
 */

/* Compatible string of the hugetlb memfd file handler. */
#define HUGETLB_LUO_FH_COMPATIBLE	"hugetlb-v1"

/* Compatible string of the pool FLB, and name of the KHO subtree. */
#define HUGETLB_LUO_POOL_COMPATIBLE	"hugetlb-pool-v1"

/* Size of &struct hugetlb_luo_pool_ser with all its entries, in bytes. */
#define HUGETLB_LUO_POOL_SIZE		4096

/* Seals a preserved hugetlb memfd may have: F_SEAL_SEAL to F_SEAL_EXEC. */
#define HUGETLB_LUO_ALL_SEALS		0x3f

/**
 * struct hugetlb_luo_folio_ser - a preserved huge page of a file
 * @pfn: page frame number of the huge page.
 * @index: offset of the huge page in the file, in huge pages.
 *
 * Versioned by %HUGETLB_LUO_FH_COMPATIBLE.
 */
struct hugetlb_luo_folio_ser {
	u64 pfn;
	u64 index;
} __packed;

/**
 * struct hugetlb_luo_ser - a preserved hugetlb memfd
 * @pos: the file position.
 * @size: the file size in bytes, a multiple of the huge page size.
 * @seals: the F_SEAL_* seals of the file, within %HUGETLB_LUO_ALL_SEALS;
 *         they give the exec class of the file as for a memfd (see
 *         &memfd_luo_ser.seals).
 * @flags: no flag is defined; 0.
 * @order: the order of the file's huge pages, in base pages (9 for 2 MiB
 *         pages and 18 for 1 GiB pages on x86_64).
 * @reserved: 0.
 * @nr_folios: number of entries in @folios; 0 for a file without pages.
 * @folios: the preserved vmalloc area of &struct hugetlb_luo_folio_ser,
 *          zeroed if @nr_folios is 0.
 *
 * Versioned by %HUGETLB_LUO_FH_COMPATIBLE.
 */
struct hugetlb_luo_ser {
	u64 pos;
	u64 size;
	u32 seals;
	u32 flags;
	u32 order;
	u32 reserved;
	u64 nr_folios;
	struct kho_vmalloc folios;
} __packed;

/**
 * struct hugetlb_luo_pool_entry - preserved huge pages of one size on a node
 * @order: the order of the huge pages.
 * @nid: the NUMA node they are on, in the kernel that preserved them.
 * @pages: how many there are (may be 0).
 *
 * Versioned by %HUGETLB_LUO_POOL_COMPATIBLE.
 */
struct hugetlb_luo_pool_entry {
	u32 order;
	u32 nid;
	u64 pages;
} __packed;

/**
 * struct hugetlb_luo_pool_ser - the huge pages of all preserved files
 * @nr_entries: number of entries in use; at most
 *              %HUGETLB_LUO_POOL_MAX_ENTRIES, each (@order, @nid) once.
 *              Entries past it are ignored.
 * @reserved: 0.
 * @entries: the entries.
 *
 * One block of its own, allocated with kho_alloc_preserve(), whose
 * physical address is both the FLB's data and the KHO subtree's. Pages of
 * an (@order, @nid) pair that does not fit are preserved all the same;
 * the next kernel's boot pool then does not count them.
 *
 * Versioned by %HUGETLB_LUO_POOL_COMPATIBLE.
 */
struct hugetlb_luo_pool_ser {
	u32 nr_entries;
	u32 reserved;
	struct hugetlb_luo_pool_entry entries[];
} __packed;

/* Entries that fit in %HUGETLB_LUO_POOL_SIZE. */
#define HUGETLB_LUO_POOL_MAX_ENTRIES					\
	((HUGETLB_LUO_POOL_SIZE - sizeof(struct hugetlb_luo_pool_ser)) /	\
	 sizeof(struct hugetlb_luo_pool_entry))

static_assert(sizeof(struct hugetlb_luo_pool_entry) == 16);
static_assert(offsetof(struct hugetlb_luo_pool_entry, pages) == 8);
static_assert(sizeof(struct hugetlb_luo_pool_ser) == 8);
static_assert(offsetof(struct hugetlb_luo_pool_ser, entries) == 8);
static_assert(HUGETLB_LUO_POOL_MAX_ENTRIES == 255);
static_assert(sizeof(struct hugetlb_luo_folio_ser) == 16);
static_assert(offsetof(struct hugetlb_luo_folio_ser, index) == 8);
static_assert(sizeof(struct hugetlb_luo_ser) == 56);
static_assert(offsetof(struct hugetlb_luo_ser, seals) == 16);
static_assert(offsetof(struct hugetlb_luo_ser, order) == 24);
static_assert(offsetof(struct hugetlb_luo_ser, nr_folios) == 32);
static_assert(offsetof(struct hugetlb_luo_ser, folios) == 40);

#endif /* _LINUX_KHO_ABI_HUGETLB_H */
