/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _LINUX_KHO_ABI_KEXEC_HANDOVER_H
#define _LINUX_KHO_ABI_KEXEC_HANDOVER_H

#include <linux/build_bug.h>
#include <linux/math.h>
#include <linux/types.h>
#include <asm/page.h>

/**
 * DOC: KHO root FDT
 *
 * The outgoing kernel describes what it hands over in one page holding a
 * flattened device tree, the *root FDT*, which is itself preserved memory.
 * Its physical address reaches the next kernel through the architecture's
 * boot protocol (on x86 a ``SETUP_KEXEC_KHO`` setup_data entry), together
 * with the scratch array (an array of &struct kho_scratch). The tree is::
 *
 *   / {
 *       compatible = "kho-v4";
 *       preserved-memory-map = <u64>;    physical address of the root
 *                                        table of the radix tree below
 *       <name> {                         one node per subtree
 *           preserved-data = <u64>;      physical address of the blob
 *           blob-size = <u64>;           length of the blob in bytes
 *       };
 *   };
 *
 * Integer properties are raw native-endian u64 values, not FDT cells, and
 * the whole tree fits in one page. Node names are the names passed to
 * kho_add_subtree(). The compatible string versions everything described in
 * this file: the FDT properties, the radix tree, the scratch array and the
 * vmalloc descriptors. Any change to them requires a new compatible string;
 * a kernel that does not know the string of the previous one boots without
 * reviving anything.
 */

/* Compatible string of the root node of the KHO FDT. */
#define KHO_FDT_COMPATIBLE		"kho-v4"

/* Root property: physical address of the preserved-memory radix tree. */
#define KHO_FDT_MEMORY_MAP_PROP_NAME	"preserved-memory-map"

/* Subtree property: physical address of the blob. */
#define KHO_FDT_SUB_TREE_PROP_NAME	"preserved-data"

/* Subtree property: length of the blob in bytes. */
#define KHO_FDT_SUB_TREE_SIZE_PROP_NAME	"blob-size"

/**
 * DOC: KHO preserved-memory radix tree
 *
 * The outgoing kernel records every preserved block of memory in a radix
 * tree that the next kernel walks in early boot, before its page allocator
 * exists, to reserve those blocks. The layout below is a contract between
 * the two kernels, versioned by %KHO_FDT_COMPATIBLE: any change to it needs
 * a new compatible string, and only kernels with the same string can hand
 * memory over to each other.
 *
 * A block is ``2^order`` pages at a physical address aligned to its size.
 * It is identified by one 64-bit key that holds both the order and the
 * address::
 *
 *   key = (1 << (KHO_ORDER_0_LOG2 - order)) | (phys >> (PAGE_SHIFT + order))
 *
 * The highest set bit of the key encodes the order (bit 52 for order 0 with
 * 4 KiB pages, one bit lower for each order up), the bits below it the
 * block's frame number in units of its own size. Decoding takes the highest
 * set bit ``b`` (``fls64(key)``, 1-based): ``order = KHO_ORDER_0_LOG2 + 1 -
 * b`` and ``phys = key << (PAGE_SHIFT + order)``, where the order bit falls
 * off the top. A key whose highest set bit is above bit %KHO_ORDER_0_LOG2 is
 * invalid.
 *
 * Every node of the tree is one page. Levels %KHO_TREE_MAX_DEPTH - 1 (the
 * root) down to 1 are tables (&struct kho_radix_table) of
 * ``2^KHO_TABLE_SIZE_LOG2`` native-endian u64 physical addresses of the
 * child nodes, 0 for none. Level 0 is a leaf (&struct kho_radix_leaf): a
 * bitmap of ``2^KHO_BITMAP_SIZE_LOG2`` bits in which a set bit marks a
 * preserved block (bit ``i`` is bit ``i % 64`` of u64 word ``i / 64``). The
 * key selects the path: the leaf bit is ``key % 2^KHO_BITMAP_SIZE_LOG2``, and
 * the index in the table at level ``L`` is::
 *
 *   (key >> (KHO_BITMAP_SIZE_LOG2 + KHO_TABLE_SIZE_LOG2 * (L - 1)))
 *       % 2^KHO_TABLE_SIZE_LOG2
 *
 * With 4 KiB pages that is 512 entries per table, 32768 bits per leaf and a
 * depth of 6. The tree pages themselves are not preserved blocks: they only
 * have to stay intact until the next kernel has walked the tree, which is
 * guaranteed because the next kernel boots from scratch memory and tree
 * pages are never allocated there.
 */

/* Position of the order bit of an order-0 key. */
#define KHO_ORDER_0_LOG2	(64 - PAGE_SHIFT)

/* log2 of the number of entries of a table node: one page of u64. */
#define KHO_TABLE_SIZE_LOG2	(PAGE_SHIFT - 3)

/* log2 of the number of bits of a leaf node: one page of bits. */
#define KHO_BITMAP_SIZE_LOG2	(PAGE_SHIFT + 3)

/* Number of levels, tables and the leaf, that cover every valid key. */
#define KHO_TREE_MAX_DEPTH						\
	(DIV_ROUND_UP(KHO_ORDER_0_LOG2 - KHO_BITMAP_SIZE_LOG2 + 1,	\
		      KHO_TABLE_SIZE_LOG2) + 1)

/**
 * struct kho_radix_table - a table node of the preserved-memory radix tree
 * @child: physical address of each child node, or 0 if there is none.
 *
 * Versioned by %KHO_FDT_COMPATIBLE.
 */
struct kho_radix_table {
	u64 child[1 << KHO_TABLE_SIZE_LOG2];
};

/**
 * struct kho_radix_leaf - a leaf node of the preserved-memory radix tree
 * @bitmap: one bit per key, set when the block is preserved.
 *
 * Versioned by %KHO_FDT_COMPATIBLE.
 */
struct kho_radix_leaf {
	u64 bitmap[(1 << KHO_BITMAP_SIZE_LOG2) / 64];
};

static_assert(sizeof(struct kho_radix_table) == PAGE_SIZE);
static_assert(sizeof(struct kho_radix_leaf) == PAGE_SIZE);

#endif /* _LINUX_KHO_ABI_KEXEC_HANDOVER_H */
