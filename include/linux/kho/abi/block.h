/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _LINUX_KHO_ABI_BLOCK_H
#define _LINUX_KHO_ABI_BLOCK_H

#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <asm/page.h>

/**
 * DOC: KHO serialization block chain
 *
 * Users of KHO that hand over a variable number of fixed-size records (for
 * example the sessions and files of Live Update) store them in a chain of
 * preserved blocks and hand over the physical address of the first block.
 * The layout below is a contract between the two kernels, versioned by the
 * KHO root compatible string (``KHO_FDT_COMPATIBLE``, "kho-v4"): any change
 * to it needs a new compatible string, and only kernels with the same
 * string can read each other's chains. What an entry contains is versioned
 * by its user.
 *
 * Each block is one preserved order-0 page (%KHO_BLOCK_SIZE bytes)::
 *
 *   offset 0    u64 next     physical address of the next block, 0 = last
 *   offset 8    u64 count    entries used in this block
 *   offset 16   entries      count_per_block slots of entry_size bytes,
 *                            back to back
 *
 * ``count_per_block = (KHO_BLOCK_SIZE - 16) / entry_size``
 * (KHO_BLOCK_COUNT_PER_BLOCK()). Blocks are filled in order and a chain
 * never contains an empty block: the reader rejects a block whose count is
 * 0 or greater than count_per_block, a chain longer than %KHO_MAX_BLOCKS
 * blocks, and a chain that loops. Integers are native-endian.
 */

/* Size of one block of a chain: one page. */
#define KHO_BLOCK_SIZE		PAGE_SIZE

/* Longest chain a reader accepts, in blocks. */
#define KHO_MAX_BLOCKS		10000

/**
 * struct kho_block_header_ser - header at the start of every block
 * @next: physical address of the next block's header, 0 for the last one.
 * @count: number of entries used in this block, 1..count_per_block.
 *
 * The entries follow the header directly. Versioned by the KHO root
 * compatible string ``KHO_FDT_COMPATIBLE``.
 */
struct kho_block_header_ser {
	u64 next;
	u64 count;
} __packed;

static_assert(sizeof(struct kho_block_header_ser) == 16);
static_assert(offsetof(struct kho_block_header_ser, next) == 0);
static_assert(offsetof(struct kho_block_header_ser, count) == 8);

/* Number of entries of @entry_size bytes that fit in one block. */
#define KHO_BLOCK_COUNT_PER_BLOCK(entry_size)				\
	((KHO_BLOCK_SIZE - sizeof(struct kho_block_header_ser)) / (entry_size))

#endif /* _LINUX_KHO_ABI_BLOCK_H */
