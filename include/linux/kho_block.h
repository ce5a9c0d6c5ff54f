/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _LINUX_KHO_BLOCK_H
#define _LINUX_KHO_BLOCK_H

#include <linux/errno.h>
#include <linux/kho/abi/block.h>
#include <linux/list.h>
#include <linux/types.h>

/*
 * Block sets: fixed-size records kept in a chain of preserved pages (wire
 * format in <linux/kho/abi/block.h>). See kernel/liveupdate/kho_block.c.
 *
 * None of these functions lock: the caller serialises every access to a
 * set, including iterators over it, with its own lock.
 */

/**
 * struct kho_block - one block of a block set (in memory only)
 * @list: entry in &kho_block_set.blocks, in chain order.
 * @ser: the block itself, one page: header and entries.
 */
struct kho_block {
	struct list_head list;
	struct kho_block_header_ser *ser;
};

/**
 * struct kho_block_set - a chain of blocks holding fixed-size entries
 * @blocks: the blocks (&struct kho_block), in chain order.
 * @nblocks: number of blocks in @blocks.
 * @head_pa: physical address of the first block, 0 if there is none.
 * @entry_size: size of one entry in bytes.
 * @count_per_block: number of entries one block holds; 0 until the first
 *                   call on a set from KHO_BLOCK_SET_INIT(), and for an
 *                   invalid @entry_size.
 * @incoming: the blocks were handed over by the previous kernel
 *            (kho_block_set_restore()); they are not preserved again and
 *            the set cannot grow.
 *
 * Caller-locked: the owner's lock protects every field and the contents
 * of the blocks.
 */
struct kho_block_set {
	struct list_head blocks;
	long nblocks;
	u64 head_pa;
	size_t entry_size;
	u64 count_per_block;
	bool incoming;
};

/**
 * struct kho_block_set_it - a position in a block set
 * @bs: the set.
 * @block: the current block, NULL before the first one.
 * @i: number of slots of @block before the position.
 *
 * Initialise with kho_block_set_it_init(). Valid as long as the set does
 * not shrink below the position.
 */
struct kho_block_set_it {
	struct kho_block_set *bs;
	struct kho_block *block;
	u64 i;
};

/**
 * KHO_BLOCK_SET_INIT() - static initialiser of an empty, outgoing set
 * @name: the variable being initialised.
 * @esize: size of one entry in bytes, at most %KHO_BLOCK_SIZE - 16.
 *
 * &kho_block_set.count_per_block is computed from @esize by the first
 * kho_block_set_*() call on the set.
 */
#define KHO_BLOCK_SET_INIT(name, esize) {				\
	.blocks = LIST_HEAD_INIT((name).blocks),			\
	.entry_size = (esize),						\
}

/**
 * kho_block_set_head_pa() - where the next kernel finds the chain
 * @bs: the set.
 *
 * Return: the physical address of the first block, 0 if the set is empty.
 */
static inline u64 kho_block_set_head_pa(struct kho_block_set *bs)
{
	return bs->head_pa;
}

/**
 * kho_block_set_is_empty() - whether a set has no blocks
 * @bs: the set.
 *
 * Return: true if @bs has no blocks.
 */
static inline bool kho_block_set_is_empty(struct kho_block_set *bs)
{
	return list_empty(&bs->blocks);
}

#ifdef CONFIG_KEXEC_HANDOVER

void kho_block_set_init(struct kho_block_set *bs, size_t entry_size);
int kho_block_set_grow(struct kho_block_set *bs, u64 count);
void kho_block_set_shrink(struct kho_block_set *bs, u64 count);
int kho_block_set_restore(struct kho_block_set *bs, u64 head_pa);
void kho_block_set_destroy(struct kho_block_set *bs);
void kho_block_set_clear(struct kho_block_set *bs);

void kho_block_set_it_init(struct kho_block_set_it *it,
			   struct kho_block_set *bs);
void *kho_block_set_it_reserve_entry(struct kho_block_set_it *it);
void *kho_block_set_it_read_entry(struct kho_block_set_it *it);
void *kho_block_set_it_prev(struct kho_block_set_it *it);

#else /* CONFIG_KEXEC_HANDOVER */

static inline void kho_block_set_init(struct kho_block_set *bs,
				      size_t entry_size)
{
	INIT_LIST_HEAD(&bs->blocks);
	bs->nblocks = 0;
	bs->head_pa = 0;
	bs->entry_size = entry_size;
	bs->count_per_block = 0;
	bs->incoming = false;
}

static inline int kho_block_set_grow(struct kho_block_set *bs, u64 count)
{
	return count ? -EOPNOTSUPP : 0;
}

static inline void kho_block_set_shrink(struct kho_block_set *bs, u64 count)
{
}

static inline int kho_block_set_restore(struct kho_block_set *bs, u64 head_pa)
{
	bs->incoming = true;
	return head_pa ? -EOPNOTSUPP : 0;
}

static inline void kho_block_set_destroy(struct kho_block_set *bs)
{
}

static inline void kho_block_set_clear(struct kho_block_set *bs)
{
}

static inline void kho_block_set_it_init(struct kho_block_set_it *it,
					 struct kho_block_set *bs)
{
	it->bs = bs;
	it->block = NULL;
	it->i = 0;
}

static inline void *kho_block_set_it_reserve_entry(struct kho_block_set_it *it)
{
	return NULL;
}

static inline void *kho_block_set_it_read_entry(struct kho_block_set_it *it)
{
	return NULL;
}

static inline void *kho_block_set_it_prev(struct kho_block_set_it *it)
{
	return NULL;
}

#endif /* CONFIG_KEXEC_HANDOVER */

#endif /* _LINUX_KHO_BLOCK_H */
