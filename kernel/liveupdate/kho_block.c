// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: KHO serialization block sets
 *
 * A block set keeps a variable number of fixed-size entries in a chain of
 * preserved pages (format in <linux/kho/abi/block.h>), so that the next
 * kernel can read them in place, given the physical address of the first
 * block. The set itself (&struct kho_block_set) lives in ordinary memory.
 * Nothing here locks: the owner of a set serialises all access to it.
 *
 * Writer (outgoing kernel):
 *
 * 1. kho_block_set_init() or KHO_BLOCK_SET_INIT() with the entry size.
 * 2. Before adding the n-th entry, kho_block_set_grow(n) makes room; each
 *    new block is a page from kho_alloc_preserve(), linked to the previous
 *    tail.
 * 3. To serialize, walk the set with kho_block_set_it_reserve_entry() and
 *    fill one entry per object; each block's count becomes the number of
 *    slots used.
 * 4. kho_block_set_shrink(n) with the number of entries written drops the
 *    blocks that stayed empty, and kho_block_set_head_pa() is what the
 *    next kernel needs.
 *
 * The reader rejects a chain with an empty block, so a chain must never
 * keep one: when inserting fails after kho_block_set_grow(), the caller
 * shrinks back to its entry count, and it shrinks again after serializing
 * fewer entries than it had room for (step 4). Entries are removed in LIFO
 * order. kho_block_set_clear() forgets every entry (a rolled-back freeze)
 * without freeing blocks.
 *
 * Reader (next kernel): kho_block_set_restore() checks the whole chain
 * before touching any of it: every block must be an order-0 block the
 * previous kernel preserved (kho_is_preserved()), the chain must end within
 * %KHO_MAX_BLOCKS blocks and not loop, and every count must be between 1
 * and the number of entries per block. Only then are the blocks restored,
 * and kho_block_set_it_read_entry() returns the entries in order.
 * kho_block_set_destroy() frees the blocks when the reader is done.
 *
 * Unhappy paths. A rejected chain costs one log line and -EINVAL; nothing
 * of it is restored, so its pages stay reserved, and no page that
 * another user may own is freed on the strength of a corrupt pointer. A
 * failed grow removes only the blocks it added.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <kunit/visibility.h>
#include <linux/bug.h>
#include <linux/err.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho_block.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kexec_handover_internal.h"

/**
 * kho_block_set_init() - initialise an empty, outgoing block set
 * @bs: the set.
 * @entry_size: size of one entry in bytes, 1 to %KHO_BLOCK_SIZE - 16.
 *
 * A set initialised with an invalid @entry_size cannot grow or be
 * restored.
 */
void kho_block_set_init(struct kho_block_set *bs, size_t entry_size)
{
	INIT_LIST_HEAD(&bs->blocks);
	bs->nblocks = 0;
	bs->head_pa = 0;
	bs->entry_size = entry_size;
	bs->incoming = false;
	if (WARN_ON(!entry_size ||
		    entry_size > KHO_BLOCK_SIZE - sizeof(struct kho_block_header_ser)))
		bs->count_per_block = 0;
	else
		bs->count_per_block = KHO_BLOCK_COUNT_PER_BLOCK(entry_size);
}
EXPORT_SYMBOL_GPL(kho_block_set_init);

/*
 * Entries per block. A set from KHO_BLOCK_SET_INIT() gets its value on the
 * first call (the initialiser names the entry size only once); 0 for an
 * invalid entry size.
 */
static u64 kho_block_cpb(struct kho_block_set *bs)
{
	if (!bs->count_per_block && bs->entry_size &&
	    bs->entry_size <= KHO_BLOCK_SIZE - sizeof(struct kho_block_header_ser))
		bs->count_per_block = KHO_BLOCK_COUNT_PER_BLOCK(bs->entry_size);
	return bs->count_per_block;
}

/* Blocks needed for @count entries, without overflowing. */
static u64 kho_block_set_needed(struct kho_block_set *bs, u64 count)
{
	u64 cpb = kho_block_cpb(bs);

	if (!cpb)
		return 0;
	return count / cpb + !!(count % cpb);
}

static struct kho_block *kho_block_set_tail(struct kho_block_set *bs)
{
	if (list_empty(&bs->blocks))
		return NULL;
	return list_last_entry(&bs->blocks, struct kho_block, list);
}

static void kho_block_free(struct kho_block_set *bs, struct kho_block *blk)
{
	list_del(&blk->list);
	bs->nblocks--;
	if (bs->incoming)
		folio_put(virt_to_folio(blk->ser));
	else
		kho_unpreserve_free(blk->ser);
	kfree(blk);
}

/**
 * kho_block_set_shrink() - free the trailing blocks not needed for @count
 * @bs: the set.
 * @count: number of entries the set must still hold.
 *
 * Frees trailing blocks as long as the remaining ones hold @count entries,
 * and terminates the chain at the new tail. The entries beyond @count are
 * lost, so entries are removed in LIFO order. kho_block_set_shrink(@bs, 0)
 * frees every block.
 *
 * Context: may sleep; caller holds the lock that protects @bs.
 */
void kho_block_set_shrink(struct kho_block_set *bs, u64 count)
{
	u64 keep = kho_block_set_needed(bs, count);
	struct kho_block *tail;

	while ((u64)bs->nblocks > keep)
		kho_block_free(bs, kho_block_set_tail(bs));

	tail = kho_block_set_tail(bs);
	if (tail)
		tail->ser->next = 0;
	else
		bs->head_pa = 0;
}
EXPORT_SYMBOL_GPL(kho_block_set_shrink);

/**
 * kho_block_set_grow() - make room for @count entries
 * @bs: an outgoing set.
 * @count: number of entries the set must hold.
 *
 * Adds preserved blocks at the end of the chain until it holds @count
 * entries. Existing blocks and entries are not changed.
 *
 * Context: may sleep; caller holds the lock that protects @bs.
 * Return: 0 on success (also if there was room already);
 * -EINVAL if @bs is incoming or was initialised with an invalid entry size;
 * -ENOSPC if more than %KHO_MAX_BLOCKS blocks would be needed;
 * -ENOMEM, or the error of kho_alloc_preserve(). On failure only the
 * blocks this call added are removed.
 */
int kho_block_set_grow(struct kho_block_set *bs, u64 count)
{
	u64 need = kho_block_set_needed(bs, count);
	long old = bs->nblocks;
	struct kho_block *blk, *tail;
	void *mem;
	int err;

	if (WARN_ON(bs->incoming) || !kho_block_cpb(bs))
		return -EINVAL;
	if (need <= (u64)old)
		return 0;
	if (need > KHO_MAX_BLOCKS)
		return -ENOSPC;

	while ((u64)bs->nblocks < need) {
		blk = kzalloc(sizeof(*blk), GFP_KERNEL);
		if (!blk) {
			err = -ENOMEM;
			goto err_shrink;
		}
		mem = kho_alloc_preserve(KHO_BLOCK_SIZE);
		if (IS_ERR(mem)) {
			kfree(blk);
			err = PTR_ERR(mem);
			goto err_shrink;
		}
		blk->ser = mem;

		tail = kho_block_set_tail(bs);
		if (tail)
			tail->ser->next = virt_to_phys(mem);
		else
			bs->head_pa = virt_to_phys(mem);
		list_add_tail(&blk->list, &bs->blocks);
		bs->nblocks++;
	}
	return 0;

err_shrink:
	kho_block_set_shrink(bs, old * kho_block_cpb(bs));
	return err;
}
EXPORT_SYMBOL_GPL(kho_block_set_grow);

/**
 * kho_block_chain_check() - validate an incoming chain without changing it
 * @head_pa: physical address of the first block, not 0.
 * @count_per_block: entries one block holds.
 * @block_ok: whether a block address may be read; called before each block
 *            is read.
 * @nblocks: set to the length of the chain on success.
 *
 * Walks the chain with a tortoise and a hare: the tortoise moves one block
 * for every two of the hare and only over blocks the hare has checked, so
 * a loop is found without remembering the blocks. Logs one line when it
 * rejects the chain.
 *
 * Return: 0 if the chain is valid, -EINVAL otherwise.
 */
VISIBLE_IF_KUNIT int kho_block_chain_check(u64 head_pa, u64 count_per_block,
					   bool (*block_ok)(u64 pa),
					   long *nblocks)
{
	const struct kho_block_header_ser *ser;
	u64 pa = head_pa, slow_pa = head_pa;
	long n = 0;

	while (pa) {
		if (n == KHO_MAX_BLOCKS) {
			pr_warn("block chain at %#llx has more than %d blocks\n",
				head_pa, KHO_MAX_BLOCKS);
			return -EINVAL;
		}
		if (!block_ok(pa)) {
			pr_warn("block chain at %#llx: block %ld at %#llx is not preserved\n",
				head_pa, n, pa);
			return -EINVAL;
		}
		ser = phys_to_virt(pa);
		if (!ser->count || ser->count > count_per_block) {
			pr_warn("block chain at %#llx: block %ld has count %llu (1..%llu)\n",
				head_pa, n, ser->count, count_per_block);
			return -EINVAL;
		}
		pa = ser->next;
		n++;
		/* The tortoise only reads blocks the hare has checked. */
		if (!(n & 1))
			slow_pa = ((const struct kho_block_header_ser *)
				   phys_to_virt(slow_pa))->next;
		if (pa && pa == slow_pa) {
			pr_warn("block chain at %#llx loops\n", head_pa);
			return -EINVAL;
		}
	}
	*nblocks = n;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(kho_block_chain_check);

/* Each block was preserved by kho_alloc_preserve(): one order-0 folio. */
static bool kho_block_preserved(u64 pa)
{
	return kho_is_preserved(pa, 1) && kho_pages_restorable(pa, 1);
}

/**
 * kho_block_set_restore() - take over a chain from the previous kernel
 * @bs: an empty set, initialised with the entry size of the chain.
 * @head_pa: physical address of the first block, 0 for an empty chain.
 *
 * Marks @bs incoming, validates the whole chain (see the DOC above) and
 * only then restores its blocks into @bs. Read the entries with
 * kho_block_set_it_read_entry() and free the blocks with
 * kho_block_set_destroy().
 *
 * Context: may sleep; caller holds the lock that protects @bs.
 * Return: 0 on success;
 * -EINVAL if @bs is not empty or has an invalid entry size, or the chain
 * is invalid (one line is logged; nothing is restored);
 * -ENOMEM (nothing is restored, the chain can be restored later).
 */
int kho_block_set_restore(struct kho_block_set *bs, u64 head_pa)
{
	struct kho_block *blk, *tmp;
	struct folio *folio;
	LIST_HEAD(blocks);
	long n, i;
	u64 pa;
	int err;

	if (WARN_ON(!kho_block_set_is_empty(bs)) || !kho_block_cpb(bs))
		return -EINVAL;
	bs->incoming = true;
	if (!head_pa)
		return 0;

	err = kho_block_chain_check(head_pa, kho_block_cpb(bs),
				    kho_block_preserved, &n);
	if (err)
		return err;

	/* Allocate first, so that failing leaves the chain as it was. */
	for (i = 0; i < n; i++) {
		blk = kzalloc(sizeof(*blk), GFP_KERNEL);
		if (!blk) {
			err = -ENOMEM;
			goto err_free;
		}
		list_add_tail(&blk->list, &blocks);
	}

	pa = head_pa;
	list_for_each_entry(blk, &blocks, list) {
		/* Checked above; fails only if someone restored it meanwhile. */
		folio = kho_restore_folio(pa);
		if (!folio) {
			err = -EINVAL;
			goto err_put;
		}
		blk->ser = folio_address(folio);
		pa = blk->ser->next;
	}

	list_splice_tail(&blocks, &bs->blocks);
	bs->nblocks = n;
	bs->head_pa = head_pa;
	return 0;

err_put:
	list_for_each_entry(blk, &blocks, list) {
		if (!blk->ser)
			break;
		folio_put(virt_to_folio(blk->ser));
	}
err_free:
	list_for_each_entry_safe(blk, tmp, &blocks, list)
		kfree(blk);
	return err;
}
EXPORT_SYMBOL_GPL(kho_block_set_restore);

/**
 * kho_block_set_destroy() - free every block of a set
 * @bs: the set.
 *
 * Outgoing blocks are unpreserved and freed, incoming ones freed. The set
 * is empty afterwards and keeps its entry size and direction.
 *
 * Context: may sleep; caller holds the lock that protects @bs.
 */
void kho_block_set_destroy(struct kho_block_set *bs)
{
	kho_block_set_shrink(bs, 0);
}
EXPORT_SYMBOL_GPL(kho_block_set_destroy);

/**
 * kho_block_set_clear() - forget every entry but keep the blocks
 * @bs: the set.
 *
 * Zeroes the count and the entry area of every block, e.g. when a freeze is
 * rolled back. The chain itself is unchanged; shrink it once it has been
 * filled again, so that no empty block is handed over.
 *
 * Context: caller holds the lock that protects @bs.
 */
void kho_block_set_clear(struct kho_block_set *bs)
{
	struct kho_block *blk;

	list_for_each_entry(blk, &bs->blocks, list) {
		blk->ser->count = 0;
		memset(blk->ser + 1, 0,
		       KHO_BLOCK_SIZE - sizeof(struct kho_block_header_ser));
	}
}
EXPORT_SYMBOL_GPL(kho_block_set_clear);

/**
 * kho_block_set_it_init() - start iterating over a set
 * @it: the iterator.
 * @bs: the set.
 *
 * The iterator starts before the first entry.
 */
void kho_block_set_it_init(struct kho_block_set_it *it,
			   struct kho_block_set *bs)
{
	it->bs = bs;
	it->block = NULL;
	it->i = 0;
}
EXPORT_SYMBOL_GPL(kho_block_set_it_init);

static struct kho_block *kho_block_after(struct kho_block_set *bs,
					 struct kho_block *blk)
{
	if (!blk)
		return list_first_entry_or_null(&bs->blocks, struct kho_block, list);
	if (list_is_last(&blk->list, &bs->blocks))
		return NULL;
	return list_next_entry(blk, list);
}

static void *kho_block_entry(struct kho_block_set *bs, struct kho_block *blk,
			     u64 i)
{
	return (void *)(blk->ser + 1) + i * bs->entry_size;
}

/* The count of @blk, never more than a block holds. */
static u64 kho_block_count(struct kho_block_set *bs, struct kho_block *blk)
{
	return min(blk->ser->count, kho_block_cpb(bs));
}

/**
 * kho_block_set_it_reserve_entry() - the next free slot, for writing
 * @it: the iterator.
 *
 * Moves to the next slot, into the next block when the current one is
 * full, and sets the count of the block to the number of its slots used up
 * to and including this one. The slot keeps its old contents.
 *
 * Context: caller holds the lock that protects the set.
 * Return: the slot, or NULL if the set has no room left (grow it first).
 */
void *kho_block_set_it_reserve_entry(struct kho_block_set_it *it)
{
	struct kho_block_set *bs = it->bs;
	struct kho_block *next;

	if (!it->block || it->i >= kho_block_cpb(bs)) {
		next = kho_block_after(bs, it->block);
		if (!next)
			return NULL;
		it->block = next;
		it->i = 0;
	}
	it->block->ser->count = ++it->i;
	return kho_block_entry(bs, it->block, it->i - 1);
}
EXPORT_SYMBOL_GPL(kho_block_set_it_reserve_entry);

/**
 * kho_block_set_it_read_entry() - the next entry, for reading
 * @it: the iterator.
 *
 * Moves to the next entry, honouring the count of each block (blocks with
 * no entries are skipped).
 *
 * Context: caller holds the lock that protects the set.
 * Return: the entry, or NULL after the last one.
 */
void *kho_block_set_it_read_entry(struct kho_block_set_it *it)
{
	struct kho_block_set *bs = it->bs;
	struct kho_block *next;

	if (!it->block) {
		it->block = kho_block_after(bs, NULL);
		it->i = 0;
		if (!it->block)
			return NULL;
	}
	while (it->i >= kho_block_count(bs, it->block)) {
		next = kho_block_after(bs, it->block);
		if (!next)
			return NULL;
		it->block = next;
		it->i = 0;
	}
	return kho_block_entry(bs, it->block, it->i++);
}
EXPORT_SYMBOL_GPL(kho_block_set_it_read_entry);

/**
 * kho_block_set_it_prev() - step back one entry
 * @it: the iterator.
 *
 * Returns the entry most recently returned by the iterator and moves before
 * it, so that a loop over kho_block_set_it_prev() visits the entries
 * already seen in reverse order (e.g. to undo them). At the start of a
 * block it continues with the last used slot of the previous block. Counts
 * are not changed.
 *
 * Context: caller holds the lock that protects the set.
 * Return: the entry, or NULL at the start of the set.
 */
void *kho_block_set_it_prev(struct kho_block_set_it *it)
{
	struct kho_block_set *bs = it->bs;

	if (!it->block)
		return NULL;
	while (!it->i) {
		if (list_is_first(&it->block->list, &bs->blocks))
			return NULL;
		it->block = list_prev_entry(it->block, list);
		it->i = kho_block_count(bs, it->block);
	}
	return kho_block_entry(bs, it->block, --it->i);
}
EXPORT_SYMBOL_GPL(kho_block_set_it_prev);
