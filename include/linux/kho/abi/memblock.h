/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */
#ifndef _LINUX_KHO_ABI_MEMBLOCK_H
#define _LINUX_KHO_ABI_MEMBLOCK_H

/**
 * DOC: reserve_mem regions across kexec
 *
 * A region named with ``reserve_mem=size:align:name`` (the memory of a
 * boot-mapped ftrace instance, of pstore/ramoops) keeps its physical range
 * and its contents across a live update: the next kernel, asked for a
 * region of the same name and size, takes the old range instead of
 * allocating a new one, so the record the previous kernel left there can
 * be read.
 *
 * memblock hands its regions over in the KHO subtree %MEMBLOCK_KHO_FDT, one
 * preserved page holding a flattened device tree (its size as given to
 * kho_add_subtree() is the FDT's total size)::
 *
 *   /                  compatible = MEMBLOCK_KHO_NODE_COMPATIBLE
 *     <region name>    compatible = RESERVE_MEM_KHO_NODE_COMPATIBLE
 *                      start = <8 bytes, native phys_addr_t>
 *                      size  = <8 bytes, native phys_addr_t>
 *
 * A region starts on a page boundary, and its pages, up to its end rounded
 * up to a page, are preserved with kho_preserve_pages(). The next kernel
 * takes a region over only if the name (exactly), both compatibles and the
 * size match, the start is aligned as its own reserve_mem= asks, and the
 * whole range is preserved memory; anything else gets a freshly allocated
 * region and one log line, and the old range is freed.
 *
 * The layout is a contract between the two kernels, versioned by the two
 * compatible strings: any change to a node or a property needs new ones.
 */

/* Name of the subtree memblock adds to the KHO root FDT. */
#define MEMBLOCK_KHO_FDT			"memblock"

/* Compatible string of the subtree's root node. */
#define MEMBLOCK_KHO_NODE_COMPATIBLE		"memblock-v1"

/* Compatible string of the node of one reserve_mem region. */
#define RESERVE_MEM_KHO_NODE_COMPATIBLE		"reserve-mem-v1"

/* Properties of a region's node: raw native phys_addr_t, 8 bytes each. */
#define RESERVE_MEM_KHO_START_PROP		"start"
#define RESERVE_MEM_KHO_SIZE_PROP		"size"

#endif /* _LINUX_KHO_ABI_MEMBLOCK_H */
