/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _LINUX_KHO_ABI_KEXEC_HANDOVER_H
#define _LINUX_KHO_ABI_KEXEC_HANDOVER_H

#include <linux/build_bug.h>
#include <linux/math.h>
#include <linux/stddef.h>
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

/**
 * DOC: KHO scratch array
 *
 * The outgoing kernel tells the next one where its scratch areas are, the
 * memory the next kernel may allocate from before it knows what is
 * preserved, in an array of &struct kho_scratch passed next to the root
 * FDT (on x86 through the ``SETUP_KEXEC_KHO`` setup_data entry). The array
 * is versioned by %KHO_FDT_COMPATIBLE. The next kernel accepts it only as
 * a whole and only if it has between 1 and ``MAX_NUMNODES + 2`` entries and
 * every area is non-empty, starts and ends on a CMA pageblock boundary,
 * does not wrap around, lies in RAM as the firmware's memory map describes
 * it and overlaps no other area; otherwise it boots without reviving
 * anything.
 */

/**
 * struct kho_scratch - one scratch area in the scratch array
 * @addr: physical start address of the area.
 * @size: length of the area in bytes.
 *
 * Versioned by %KHO_FDT_COMPATIBLE.
 */
struct kho_scratch {
	u64 addr;
	u64 size;
};

static_assert(sizeof(struct kho_scratch) == 16);
static_assert(offsetof(struct kho_scratch, addr) == 0);
static_assert(offsetof(struct kho_scratch, size) == 8);

/**
 * DOC: KHO vmalloc preservation
 *
 * A vmalloc area is handed over as a &struct kho_vmalloc descriptor, which
 * its user embeds in its own preserved data, and a list of chunk pages
 * (&struct kho_vmalloc_chunk) holding the physical address of every run of
 * the area's pages. The layout is a contract between the two kernels,
 * versioned by %KHO_FDT_COMPATIBLE: any change to it needs a new compatible
 * string.
 *
 * The area is mapped with pages of ``2^order`` small pages
 * (&kho_vmalloc.order, 0 for a normal vmalloc() area). Each run is
 * ``2^order`` physically contiguous, naturally aligned pages preserved with
 * kho_preserve_pages(); the runs are listed in the order of the area, so
 * that ``total_pages / 2^order`` entries describe it. A chunk page is one
 * preserved order-0 page::
 *
 *   offset 0    u64 hdr.next    physical address of the next chunk, 0 = last
 *   offset 8    u64 phys[511]   start of each run; the list ends at the
 *                               first 0 or after 511 entries
 *
 * A trailing chunk with no entries is allowed. Integers are native-endian.
 */

/**
 * DECLARE_KHOSER_PTR() - a pointer field of handover data
 * @name: name of the field.
 * @type: pointer type the field holds in the kernel that writes it.
 *
 * In handover data a pointer is stored as the physical address it points
 * to (0 for NULL), so that the next kernel can find it. The union lets
 * KHOSER_STORE_PTR() and KHOSER_LOAD_PTR() check the pointer type while
 * keeping the layout a plain u64.
 */
#define DECLARE_KHOSER_PTR(name, type)	\
	union {				\
		u64 phys;		\
		type ptr;		\
	} name

/**
 * KHOSER_STORE_PTR() - store a pointer in a DECLARE_KHOSER_PTR() field
 * @dest: the field.
 * @val: a pointer of the field's type into the direct map, or NULL.
 */
#define KHOSER_STORE_PTR(dest, val)					\
	({								\
		typeof((dest).ptr) __kho_val = (val);			\
									\
		(dest).phys = __kho_val ? (u64)__pa(__kho_val) : 0;	\
	})

/**
 * KHOSER_LOAD_PTR() - read a pointer from a DECLARE_KHOSER_PTR() field
 * @src: the field.
 *
 * Only the address is converted: check it (kho_is_preserved()) before
 * dereferencing it when it comes from the previous kernel.
 *
 * Return: the pointer of the field's type in the direct map, NULL for 0.
 */
#define KHOSER_LOAD_PTR(src)						\
	({								\
		typeof(src) __kho_src = (src);				\
									\
		__kho_src.phys ?					\
			(typeof(__kho_src.ptr))__va(__kho_src.phys) : NULL; \
	})

struct kho_vmalloc_chunk;

/**
 * struct kho_vmalloc_hdr - header of a vmalloc chunk page
 * @next: the next chunk page, 0 for the last one.
 *
 * Versioned by %KHO_FDT_COMPATIBLE.
 */
struct kho_vmalloc_hdr {
	DECLARE_KHOSER_PTR(next, struct kho_vmalloc_chunk *);
};

/* Number of run addresses in one chunk page. */
#define KHO_VMALLOC_SIZE						\
	((PAGE_SIZE - sizeof(struct kho_vmalloc_hdr)) / sizeof(u64))

/**
 * struct kho_vmalloc_chunk - one page listing runs of a vmalloc area
 * @hdr: link to the next chunk.
 * @phys: physical address of each run, in area order; 0 ends the list.
 *
 * Versioned by %KHO_FDT_COMPATIBLE.
 */
struct kho_vmalloc_chunk {
	struct kho_vmalloc_hdr hdr;
	u64 phys[KHO_VMALLOC_SIZE];
};

static_assert(sizeof(struct kho_vmalloc_hdr) == sizeof(u64));
static_assert(sizeof(struct kho_vmalloc_chunk) == PAGE_SIZE);
static_assert(KHO_VMALLOC_SIZE == 511 || PAGE_SIZE != 4096);

/* The area was a VM_ALLOC area (always set). */
#define KHO_VMALLOC_ALLOC	0x0001

/* The area was allowed huge mappings (VM_ALLOW_HUGE_VMAP). */
#define KHO_VMALLOC_HUGE_VMAP	0x0002

/* Every flag a kernel with this ABI writes; others are invalid. */
#define KHO_VMALLOC_FLAGS_MASK	(KHO_VMALLOC_ALLOC | KHO_VMALLOC_HUGE_VMAP)

/**
 * struct kho_vmalloc - descriptor of a preserved vmalloc area
 * @first: the first chunk page, 0 if there is none.
 * @total_pages: number of small pages of the area.
 * @flags: %KHO_VMALLOC_ALLOC, %KHO_VMALLOC_HUGE_VMAP; other bits are
 *         invalid.
 * @order: mapping order; every run is ``2^order`` pages.
 *
 * Filled by kho_preserve_vmalloc() and embedded by its user in other
 * preserved data; given to kho_restore_vmalloc() in the next kernel.
 * Versioned by %KHO_FDT_COMPATIBLE.
 */
struct kho_vmalloc {
	DECLARE_KHOSER_PTR(first, struct kho_vmalloc_chunk *);
	u32 total_pages;
	u16 flags;
	u16 order;
};

static_assert(sizeof(struct kho_vmalloc) == 16);
static_assert(offsetof(struct kho_vmalloc, first) == 0);
static_assert(offsetof(struct kho_vmalloc, total_pages) == 8);
static_assert(offsetof(struct kho_vmalloc, flags) == 12);
static_assert(offsetof(struct kho_vmalloc, order) == 14);

#endif /* _LINUX_KHO_ABI_KEXEC_HANDOVER_H */
