// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: KHO memory tracker
 *
 * Kexec HandOver records every preserved block of memory in a radix tree
 * whose layout is handover ABI (see the "KHO preserved-memory radix tree"
 * section of <linux/kho/abi/kexec_handover.h>). The tree is live: a block is
 * added when it is preserved and removed when it is unpreserved, at any time
 * before the kexec jump, so there is no separate serialization step and
 * nothing to do at reboot. Whatever the tree holds when the old kernel jumps
 * is what the next kernel reserves.
 *
 * Outgoing side: kho_radix_init() allocates the root table, kho_radix_add()
 * sets a block's bit and allocates the table and leaf pages on its path on
 * demand, kho_radix_remove() clears the bit. Nodes are never freed while the
 * tree is in use (a node that becomes empty costs one page until the reboot);
 * kho_radix_destroy() frees the whole tree when KHO is torn down.
 *
 * The blocks of an outgoing tree never overlap. A page preserved twice
 * (the same block again, a block inside a recorded one, or one containing
 * a recorded block) would make the next kernel reject the whole tree and
 * revive nothing, so kho_radix_add() refuses such a block with -EEXIST and
 * changes nothing. The check costs one lookup per order the tree holds:
 * for a larger order the one key of the block that would contain the new
 * one (from a per-order hint, the level-1 table last used, so preserving
 * many small folios does not walk the tree from the root for each order),
 * for a smaller order the run of consecutive keys of the blocks inside it,
 * a bitmap search over the leaves that exist (absent nodes are skipped
 * whole), never a loop over pages; the same order is the block's own bit.
 *
 * Incoming side: kho_radix_walk() reads a tree left by the previous kernel,
 * given the physical address of its root, and reports every block, a run
 * of adjacent blocks of one order at a time (one call for 32768 blocks of
 * 4 KiB preserved side by side: the next kernel's boot pays per run). The
 * previous kernel's data is not trusted: a node address that is not page
 * aligned, or that the caller's &kho_radix_walker.node_ok rejects, or a key
 * that does not decode to a valid block stops the walk with -EINVAL. The
 * depth of the tree is fixed, but table nodes that point at one another
 * (or many entries pointing at one node) still make a tree of up to 2^45
 * paths out of a few pages: a walker of untrusted data must make
 * &kho_radix_walker.node_ok reject a node it has seen before, which bounds
 * the walk to one visit per node page (kho_reserve_preserved() does).
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/bitops.h>
#include <linux/cleanup.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kho_radix_tree.h>
#include <linux/mm.h>
#include <kunit/visibility.h>

#include "kexec_handover_internal.h"

#define KHO_TABLE_ENTRIES	BIT(KHO_TABLE_SIZE_LOG2)
#define KHO_LEAF_BITS		BIT(KHO_BITMAP_SIZE_LOG2)

/* The largest order a key can describe: the block must fit in 64 bits. */
#define KHO_KEY_MAX_ORDER	(KHO_ORDER_0_LOG2 - 1)

/* The leaf bitmap is used as a Linux bitmap of native u64 words. */
static_assert(BITS_PER_LONG == 64);

/**
 * kho_radix_encode_key() - the radix tree key of a block
 * @phys: physical address of the block, aligned to its size.
 * @order: the block is ``2^order`` pages.
 *
 * Return: the key, or 0 (never a valid key) if @phys is not aligned to the
 * block size or @order is too large to describe a block.
 */
u64 kho_radix_encode_key(phys_addr_t phys, unsigned int order)
{
	if (order > KHO_KEY_MAX_ORDER ||
	    !IS_ALIGNED(phys, (phys_addr_t)PAGE_SIZE << order))
		return 0;
	return BIT_ULL(KHO_ORDER_0_LOG2 - order) | (phys >> (PAGE_SHIFT + order));
}
EXPORT_SYMBOL_IF_KUNIT(kho_radix_encode_key);

/**
 * kho_radix_decode_key() - the block a radix tree key describes
 * @key: the key.
 * @phys: set to the block's physical address.
 * @order: set to the block's order.
 *
 * Return: 0, or -EINVAL if @key is not a valid key (zero, an order bit above
 * %KHO_ORDER_0_LOG2, or an order too large for a 64-bit address).
 */
int kho_radix_decode_key(u64 key, phys_addr_t *phys, unsigned int *order)
{
	unsigned int top = fls64(key);

	if (top < KHO_ORDER_0_LOG2 + 1 - KHO_KEY_MAX_ORDER ||
	    top > KHO_ORDER_0_LOG2 + 1)
		return -EINVAL;
	*order = KHO_ORDER_0_LOG2 + 1 - top;
	*phys = (key & ~BIT_ULL(top - 1)) << (PAGE_SHIFT + *order);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(kho_radix_decode_key);

/* log2 of the number of keys under one child of a table node at @level. */
static unsigned int kho_radix_shift(unsigned int level)
{
	return KHO_BITMAP_SIZE_LOG2 + KHO_TABLE_SIZE_LOG2 * (level - 1);
}

/* Index of @key's child in a table node at @level (1 .. depth - 1). */
static unsigned int kho_radix_index(u64 key, unsigned int level)
{
	return (key >> kho_radix_shift(level)) & (KHO_TABLE_ENTRIES - 1);
}

/*
 * A zeroed node page, or ERR_PTR(-ENOMEM) or ERR_PTR(-ENXIO). The next
 * kernel reads the nodes in early boot, so they must be in memory it finds
 * at boot (not hot-added since).
 */
static void *kho_radix_alloc_node(void)
{
	struct folio *folio;
	void *node;

	/* The tree's KUnit tests may be built without KHO. */
	if (!IS_ENABLED(CONFIG_KEXEC_HANDOVER)) {
		node = (void *)get_zeroed_page(GFP_KERNEL);
		return node ? node : ERR_PTR(-ENOMEM);
	}
	folio = kho_alloc_boot_folio(0);
	return IS_ERR(folio) ? ERR_CAST(folio) : folio_address(folio);
}

/*
 * The leaf that holds @key's bit, allocating the missing nodes on the way
 * when @alloc is true. Returns NULL when a node is missing and !@alloc, or
 * the error of kho_radix_alloc_node().
 */
static struct kho_radix_leaf *kho_radix_leaf(struct kho_radix_tree *tree,
					     u64 key, bool alloc)
{
	struct kho_radix_table *table = tree->root;
	u64 prefix = key / KHO_LEAF_BITS;
	unsigned int level;

	lockdep_assert_held(&tree->lock);

	if (tree->leaf && tree->leaf_prefix == prefix)
		return tree->leaf;
	for (level = KHO_TREE_MAX_DEPTH - 1; level > 0; level--) {
		u64 *slot = &table->child[kho_radix_index(key, level)];

		if (!*slot) {
			void *node;

			if (!alloc)
				return NULL;
			node = kho_radix_alloc_node();
			if (IS_ERR(node))
				return node;
			*slot = virt_to_phys(node);
		}
		table = phys_to_virt(*slot);
	}
	tree->leaf = (struct kho_radix_leaf *)table;
	tree->leaf_prefix = prefix;
	return tree->leaf;
}

/**
 * kho_radix_init() - set up an empty outgoing tree
 * @tree: the tree.
 *
 * Return: 0, -ENOMEM, or -ENXIO if the only memory left is hot-added.
 */
int kho_radix_init(struct kho_radix_tree *tree)
{
	tree->root = kho_radix_alloc_node();
	if (IS_ERR(tree->root)) {
		int err = PTR_ERR(tree->root);

		tree->root = NULL;
		return err;
	}
	mutex_init(&tree->lock);
	tree->orders = 0;
	memset(tree->hint, 0, sizeof(tree->hint));
	tree->leaf = NULL;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(kho_radix_init);

static void kho_radix_free_node(phys_addr_t phys, unsigned int level)
{
	struct kho_radix_table *table = phys_to_virt(phys);
	unsigned int i;

	for (i = 0; level && i < KHO_TABLE_ENTRIES; i++) {
		if (table->child[i])
			kho_radix_free_node(table->child[i], level - 1);
	}
	free_page((unsigned long)table);
}

/**
 * kho_radix_destroy() - free every node of an outgoing tree
 * @tree: the tree, set up by kho_radix_init().
 *
 * The tree must not be in use any more.
 */
void kho_radix_destroy(struct kho_radix_tree *tree)
{
	if (!tree->root)
		return;
	kho_radix_free_node(virt_to_phys(tree->root), KHO_TREE_MAX_DEPTH - 1);
	tree->root = NULL;
	mutex_destroy(&tree->lock);
}
EXPORT_SYMBOL_IF_KUNIT(kho_radix_destroy);

/*
 * Whether a key from @first to @last (both included) is set under @node, a
 * table at @level or the leaf at level 0, whose first key is @base. Only
 * the children that exist and meet the range are visited.
 */
static bool kho_radix_any_below(phys_addr_t node, unsigned int level,
				u64 base, u64 first, u64 last)
{
	unsigned int shift, i, i_last;
	struct kho_radix_table *table;

	first = max(first, base);
	if (!level) {
		unsigned long *bitmap = phys_to_virt(node);
		unsigned long from = first - base;
		unsigned long to = min_t(u64, last - base, KHO_LEAF_BITS - 1);

		return find_next_bit(bitmap, to + 1, from) <= to;
	}

	table = phys_to_virt(node);
	shift = kho_radix_shift(level);
	i_last = min_t(u64, (last - base) >> shift, KHO_TABLE_ENTRIES - 1);
	for (i = (first - base) >> shift; i <= i_last; i++) {
		if (table->child[i] &&
		    kho_radix_any_below(table->child[i], level - 1,
					base + ((u64)i << shift), first, last))
			return true;
	}
	return false;
}

/* Whether any key from @first to @last (both included) is recorded. */
static bool kho_radix_any(struct kho_radix_tree *tree, u64 first, u64 last)
{
	lockdep_assert_held(&tree->lock);
	return kho_radix_any_below(virt_to_phys(tree->root),
				   KHO_TREE_MAX_DEPTH - 1, 0, first, last);
}

/*
 * Whether exactly @key, of order @order, is recorded. Starts from the
 * order's hint when @key is under the same level-1 table, and updates it.
 */
static bool kho_radix_test(struct kho_radix_tree *tree, u64 key,
			   unsigned int order)
{
	struct kho_radix_hint *hint = &tree->hint[order];
	u64 prefix = key >> kho_radix_shift(2);
	struct kho_radix_table *table;
	unsigned int level;
	u64 child;

	lockdep_assert_held(&tree->lock);
	if (!hint->table || hint->prefix != prefix) {
		table = tree->root;
		for (level = KHO_TREE_MAX_DEPTH - 1; level > 1; level--) {
			child = table->child[kho_radix_index(key, level)];
			if (!child)
				return false;
			table = phys_to_virt(child);
		}
		hint->table = table;
		hint->prefix = prefix;
	}
	child = hint->table->child[kho_radix_index(key, 1)];
	return child && test_bit(key % KHO_LEAF_BITS, phys_to_virt(child));
}

/*
 * Whether a recorded block of another order shares a page with the block
 * of 2^@order pages at @pfn: the block of each larger order that would
 * contain it, and every block of each smaller order inside it. Only orders
 * the tree has held are looked at. The caller checks the same order.
 */
static bool kho_radix_overlaps(struct kho_radix_tree *tree, unsigned long pfn,
			       unsigned int order)
{
	unsigned int o;
	u64 first;

	lockdep_assert_held(&tree->lock);
	for_each_set_bit(o, &tree->orders, KHO_KEY_MAX_ORDER + 1) {
		if (o > order) {
			first = kho_radix_encode_key(PFN_PHYS(round_down(pfn, 1UL << o)), o);
			if (kho_radix_test(tree, first, o))
				return true;
		} else if (o < order) {
			first = kho_radix_encode_key(PFN_PHYS(pfn), o);
			if (kho_radix_any(tree, first, first + BIT_ULL(order - o) - 1))
				return true;
		}
	}
	return false;
}

/* kho_radix_add() with @tree->lock held. */
static int __kho_radix_add(struct kho_radix_tree *tree, unsigned long pfn,
			   unsigned int order)
{
	u64 key = kho_radix_encode_key(PFN_PHYS(pfn), order);
	struct kho_radix_leaf *leaf;

	lockdep_assert_held(&tree->lock);
	if (!key)
		return -EINVAL;
	if (kho_radix_overlaps(tree, pfn, order))
		return -EEXIST;
	leaf = kho_radix_leaf(tree, key, true);
	if (IS_ERR(leaf))
		return PTR_ERR(leaf);
	if (__test_and_set_bit(key % KHO_LEAF_BITS, (unsigned long *)leaf->bitmap))
		return -EEXIST;
	tree->orders |= BIT(order);
	return 0;
}

/* kho_radix_remove() with @tree->lock held. */
static int __kho_radix_remove(struct kho_radix_tree *tree, unsigned long pfn,
			      unsigned int order)
{
	u64 key = kho_radix_encode_key(PFN_PHYS(pfn), order);
	struct kho_radix_leaf *leaf;

	lockdep_assert_held(&tree->lock);
	if (!key)
		return -EINVAL;
	leaf = kho_radix_leaf(tree, key, false);
	if (!leaf ||
	    !__test_and_clear_bit(key % KHO_LEAF_BITS, (unsigned long *)leaf->bitmap))
		return -ENOENT;
	return 0;
}

/**
 * kho_radix_add() - record a preserved block
 * @tree: the outgoing tree.
 * @pfn: first page frame of the block, aligned to ``2^order``.
 * @order: the block is ``2^order`` pages.
 *
 * A block that shares a page with a recorded one is refused, whatever the
 * orders: the same block again, a block inside a recorded one, or a block
 * that contains one. The blocks of the tree therefore never overlap, which
 * the next kernel requires of a tree it revives. The check looks at one key
 * range per order the tree holds, not at each page.
 *
 * Context: may sleep; takes @tree->lock.
 * Return: 0 on success;
 * -EINVAL if @pfn is not aligned to the block size or @order is too large;
 * -EEXIST if a page of the block is already recorded (nothing changes);
 * -ENOMEM if a node could not be allocated, -ENXIO if only in memory
 * hot-added since boot (nothing is recorded).
 */
int kho_radix_add(struct kho_radix_tree *tree, unsigned long pfn,
		  unsigned int order)
{
	guard(mutex)(&tree->lock);
	return __kho_radix_add(tree, pfn, order);
}
EXPORT_SYMBOL_IF_KUNIT(kho_radix_add);

/**
 * kho_radix_remove() - forget a preserved block
 * @tree: the outgoing tree.
 * @pfn: first page frame of the block, as given to kho_radix_add().
 * @order: order of the block, as given to kho_radix_add().
 *
 * Context: may sleep; takes @tree->lock.
 * Return: 0, -EINVAL for an invalid block, or -ENOENT if exactly this block
 * is not recorded.
 */
int kho_radix_remove(struct kho_radix_tree *tree, unsigned long pfn,
		     unsigned int order)
{
	guard(mutex)(&tree->lock);
	return __kho_radix_remove(tree, pfn, order);
}
EXPORT_SYMBOL_IF_KUNIT(kho_radix_remove);

/**
 * kho_radix_add_folios() - record the blocks of many folios at once
 * @tree: the outgoing tree.
 * @folios: the folios; each is one block of its order.
 * @nr: the number of folios.
 *
 * Like kho_radix_add() for each folio, under one acquisition of the lock,
 * and all or nothing: when a folio fails, the ones recorded before it are
 * taken back.
 *
 * Context: may sleep; takes @tree->lock.
 * Return: 0 or the error of the first folio that failed (see
 * kho_radix_add()); nothing is recorded then.
 */
int kho_radix_add_folios(struct kho_radix_tree *tree, struct folio **folios,
			 unsigned int nr)
{
	unsigned int i;
	int err = 0;

	guard(mutex)(&tree->lock);
	for (i = 0; i < nr; i++) {
		err = __kho_radix_add(tree, folio_pfn(folios[i]),
				      folio_order(folios[i]));
		if (err)
			break;
	}
	if (err) {
		while (i--)
			WARN_ON_ONCE(__kho_radix_remove(tree, folio_pfn(folios[i]),
							folio_order(folios[i])));
	}
	return err;
}
EXPORT_SYMBOL_IF_KUNIT(kho_radix_add_folios);

/**
 * kho_radix_remove_folios() - forget the blocks of many folios at once
 * @tree: the outgoing tree.
 * @folios: the folios, as given to kho_radix_add_folios().
 * @nr: the number of folios.
 *
 * Context: may sleep; takes @tree->lock.
 */
void kho_radix_remove_folios(struct kho_radix_tree *tree,
			     struct folio **folios, unsigned int nr)
{
	unsigned int i;

	guard(mutex)(&tree->lock);
	for (i = 0; i < nr; i++)
		WARN_ON_ONCE(__kho_radix_remove(tree, folio_pfn(folios[i]),
						folio_order(folios[i])));
}
EXPORT_SYMBOL_IF_KUNIT(kho_radix_remove_folios);

struct kho_radix_end_walker {
	struct kho_radix_walker w;
	phys_addr_t end;
};

static int kho_radix_end_block(struct kho_radix_walker *w, phys_addr_t phys,
			       unsigned int order, unsigned long nr)
{
	struct kho_radix_end_walker *e =
		container_of(w, struct kho_radix_end_walker, w);

	e->end = max(e->end, phys + ((phys_addr_t)nr << (PAGE_SHIFT + order)));
	return 0;
}

static bool kho_radix_end_node(struct kho_radix_walker *w, phys_addr_t node)
{
	struct kho_radix_end_walker *e =
		container_of(w, struct kho_radix_end_walker, w);

	e->end = max(e->end, node + PAGE_SIZE);
	return true;
}

/**
 * kho_radix_end() - where the memory a tree needs in the next kernel ends
 * @tree: the outgoing tree.
 *
 * The end of the highest recorded block or node page, whichever is higher:
 * the next kernel needs both. Walks the whole tree: for checks outside the
 * hot paths (loading a kernel), not for each preservation.
 *
 * Context: may sleep; takes @tree->lock.
 * Return: the physical address just past the highest block or node.
 */
phys_addr_t kho_radix_end(struct kho_radix_tree *tree)
{
	struct kho_radix_end_walker e = {
		.w.block = kho_radix_end_block,
		.w.node_ok = kho_radix_end_node,
	};

	guard(mutex)(&tree->lock);
	if (kho_radix_walk(virt_to_phys(tree->root), &e.w))
		return PHYS_ADDR_MAX;
	return e.end;
}
EXPORT_SYMBOL_IF_KUNIT(kho_radix_end);

/*
 * Report the set bits [@rs, @re) of the leaf at @prefix. The keys of one
 * order are the numbers with the same highest bit and describe adjacent
 * blocks of that order, so the stretch is one call of @w->block, or two
 * where it crosses a power of two (the first key of the next lower order).
 */
static int kho_radix_walk_run(struct kho_radix_walker *w, u64 prefix,
			      unsigned long rs, unsigned long re)
{
	u64 key = prefix + rs, end = prefix + re, stop;
	unsigned int order;
	phys_addr_t phys;
	int err;

	while (key < end) {
		if (kho_radix_decode_key(key, &phys, &order))
			return -EINVAL;
		/* A valid key's highest bit is below bit 63. */
		stop = min(end, BIT_ULL(fls64(key)));
		err = w->block(w, phys, order, stop - key);
		if (err)
			return err;
		key = stop;
	}
	return 0;
}

static int kho_radix_walk_node(struct kho_radix_walker *w, phys_addr_t node,
			       unsigned int level, u64 prefix)
{
	struct kho_radix_table *table;
	unsigned int i;
	int err;

	if (!node || !PAGE_ALIGNED(node) || (w->node_ok && !w->node_ok(w, node)))
		return -EINVAL;

	if (!level) {
		unsigned long *bitmap = phys_to_virt(node);
		unsigned long rs, re;

		for_each_set_bitrange(rs, re, bitmap, KHO_LEAF_BITS) {
			err = kho_radix_walk_run(w, prefix, rs, re);
			if (err)
				return err;
		}
		return 0;
	}

	table = phys_to_virt(node);
	for (i = 0; i < KHO_TABLE_ENTRIES; i++) {
		if (!table->child[i])
			continue;
		err = kho_radix_walk_node(w, table->child[i], level - 1,
					  prefix | ((u64)i << kho_radix_shift(level)));
		if (err)
			return err;
	}
	return 0;
}

/**
 * kho_radix_walk() - report every block recorded in a tree
 * @root: physical address of the tree's root table node.
 * @w: the callbacks.
 *
 * Reads a tree written by this or by the previous kernel and calls
 * @w->block for each run of recorded blocks (adjacent blocks of one order,
 * as far as one leaf node reaches) in ascending key order. Nothing is
 * modified.
 *
 * Context: any context in which @w's callbacks may run; the tree must not
 * change during the walk.
 * Return: 0 after the whole tree was walked; -EINVAL if a node address or a
 * key is invalid (a corrupted tree); or the first non-zero value returned by
 * @w->block. Blocks reported before an error stay reported.
 */
int kho_radix_walk(phys_addr_t root, struct kho_radix_walker *w)
{
	return kho_radix_walk_node(w, root, KHO_TREE_MAX_DEPTH - 1, 0);
}
EXPORT_SYMBOL_IF_KUNIT(kho_radix_walk);
