// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for KHO serialization block sets.
 *
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * The outgoing side is tested for real (needs kho=on). Restoring needs a
 * KHO boot, so the reader's validation is tested on chains of ordinary
 * pages through kho_block_chain_check(), with a block check that accepts
 * only the pages of the test chain.
 */

#include <kunit/test.h>
#include <kunit/visibility.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho_block.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "kexec_handover_internal.h"

/* 4 entries of 1000 bytes per block: small sets span several blocks. */
#define KBK_BIG			1000
#define KBK_BIG_PER_BLOCK	4

/* Marks the pages of a test chain in page->private. */
#define KBK_MAGIC		0x6b626b636861696eUL

KUNIT_DEFINE_ACTION_WRAPPER(kbk_set_destroy, kho_block_set_destroy,
			    struct kho_block_set *);

static void kbk_need_kho(struct kunit *test)
{
	if (!kho_is_enabled())
		kunit_skip(test, "KHO is disabled (boot with kho=on)");
}

/* A new outgoing set, destroyed when the test ends. */
static struct kho_block_set *kbk_set(struct kunit *test, size_t entry_size)
{
	struct kho_block_set *bs = kunit_kzalloc(test, sizeof(*bs), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, bs);
	kho_block_set_init(bs, entry_size);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, kbk_set_destroy, bs), 0);
	return bs;
}

static struct kho_block *kbk_block(struct kho_block_set *bs, long n)
{
	struct kho_block *blk;

	list_for_each_entry(blk, &bs->blocks, list) {
		if (!n--)
			return blk;
	}
	return NULL;
}

static void kbk_init_count_per_block(struct kunit *test)
{
	static const size_t sizes[] = { 1, 16, 64, 80, 4080 };
	static const u64 want[] = { 4080, 255, 63, 51, 1 };
	struct kho_block_set bs, st = KHO_BLOCK_SET_INIT(st, 64);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		kho_block_set_init(&bs, sizes[i]);
		KUNIT_EXPECT_EQ_MSG(test, bs.count_per_block, want[i],
				    "entry size %zu", sizes[i]);
		KUNIT_EXPECT_TRUE(test, kho_block_set_is_empty(&bs));
		KUNIT_EXPECT_EQ(test, kho_block_set_head_pa(&bs), 0);
		KUNIT_EXPECT_FALSE(test, bs.incoming);
	}
	kho_block_set_shrink(&st, 0);
	KUNIT_EXPECT_EQ(test, st.count_per_block, 63);
	KUNIT_EXPECT_EQ(test, st.entry_size, 64);
	KUNIT_EXPECT_TRUE(test, kho_block_set_is_empty(&st));
}

static void kbk_grow_links_preserved_blocks(struct kunit *test)
{
	struct kho_block_set *bs;
	struct kho_block *blk;
	long i = 0;

	kbk_need_kho(test);
	bs = kbk_set(test, KBK_BIG);
	KUNIT_ASSERT_EQ(test, kho_block_set_grow(bs, 3 * KBK_BIG_PER_BLOCK + 1), 0);
	KUNIT_ASSERT_EQ(test, bs->nblocks, 4);
	KUNIT_EXPECT_FALSE(test, kho_block_set_is_empty(bs));
	KUNIT_EXPECT_EQ(test, kho_block_set_head_pa(bs),
			virt_to_phys(kbk_block(bs, 0)->ser));

	list_for_each_entry(blk, &bs->blocks, list) {
		u64 next = i < 3 ? virt_to_phys(kbk_block(bs, i + 1)->ser) : 0;

		KUNIT_EXPECT_EQ_MSG(test, blk->ser->next, next, "block %ld", i);
		KUNIT_EXPECT_EQ_MSG(test, blk->ser->count, 0, "block %ld", i);
		/* Preserved already: preserving it again fails. */
		KUNIT_EXPECT_EQ_MSG(test, kho_preserve_folio(virt_to_folio(blk->ser)),
				    -EEXIST, "block %ld", i);
		i++;
	}
}

static void kbk_grow_keeps_existing_blocks(struct kunit *test)
{
	struct kho_block_set *bs;
	struct kho_block *first;

	kbk_need_kho(test);
	bs = kbk_set(test, KBK_BIG);
	KUNIT_EXPECT_EQ(test, kho_block_set_grow(bs, 0), 0);
	KUNIT_EXPECT_TRUE(test, kho_block_set_is_empty(bs));
	KUNIT_ASSERT_EQ(test, kho_block_set_grow(bs, 1), 0);
	first = kbk_block(bs, 0);
	KUNIT_EXPECT_EQ(test, kho_block_set_grow(bs, KBK_BIG_PER_BLOCK), 0);
	KUNIT_EXPECT_EQ(test, bs->nblocks, 1);
	KUNIT_ASSERT_EQ(test, kho_block_set_grow(bs, KBK_BIG_PER_BLOCK + 1), 0);
	KUNIT_EXPECT_EQ(test, bs->nblocks, 2);
	KUNIT_EXPECT_PTR_EQ(test, kbk_block(bs, 0), first);
	KUNIT_EXPECT_EQ(test, first->ser->next, virt_to_phys(kbk_block(bs, 1)->ser));
}

static void kbk_grow_past_limit_fails(struct kunit *test)
{
	struct kho_block_set *bs;

	kbk_need_kho(test);
	bs = kbk_set(test, KBK_BIG);
	KUNIT_ASSERT_EQ(test, kho_block_set_grow(bs, 1), 0);
	KUNIT_EXPECT_EQ(test, kho_block_set_grow(bs, (u64)KHO_MAX_BLOCKS *
						 KBK_BIG_PER_BLOCK + 1), -ENOSPC);
	KUNIT_EXPECT_EQ(test, kho_block_set_grow(bs, U64_MAX), -ENOSPC);
	KUNIT_EXPECT_EQ(test, bs->nblocks, 1);
	KUNIT_EXPECT_EQ(test, kbk_block(bs, 0)->ser->next, 0);
}

static void kbk_shrink_frees_trailing_blocks(struct kunit *test)
{
	struct kho_block_set *bs;

	kbk_need_kho(test);
	bs = kbk_set(test, KBK_BIG);
	KUNIT_ASSERT_EQ(test, kho_block_set_grow(bs, 3 * KBK_BIG_PER_BLOCK), 0);
	KUNIT_ASSERT_EQ(test, bs->nblocks, 3);

	kho_block_set_shrink(bs, 2 * KBK_BIG_PER_BLOCK);
	KUNIT_EXPECT_EQ(test, bs->nblocks, 2);
	kho_block_set_shrink(bs, KBK_BIG_PER_BLOCK + 1);
	KUNIT_EXPECT_EQ(test, bs->nblocks, 2);
	KUNIT_EXPECT_EQ(test, kbk_block(bs, 1)->ser->next, 0);

	kho_block_set_shrink(bs, 1);
	KUNIT_EXPECT_EQ(test, bs->nblocks, 1);
	KUNIT_EXPECT_EQ(test, kbk_block(bs, 0)->ser->next, 0);
	KUNIT_EXPECT_NE(test, kho_block_set_head_pa(bs), 0);

	kho_block_set_shrink(bs, 0);
	KUNIT_EXPECT_TRUE(test, kho_block_set_is_empty(bs));
	KUNIT_EXPECT_EQ(test, bs->nblocks, 0);
	KUNIT_EXPECT_EQ(test, kho_block_set_head_pa(bs), 0);
}

static void kbk_destroy_unpreserves_blocks(struct kunit *test)
{
	struct kho_block_set *bs;
	struct folio *folio;

	kbk_need_kho(test);
	bs = kbk_set(test, KBK_BIG);
	KUNIT_ASSERT_EQ(test, kho_block_set_grow(bs, 1), 0);
	folio = virt_to_folio(kbk_block(bs, 0)->ser);
	folio_get(folio);

	kho_block_set_destroy(bs);
	KUNIT_EXPECT_TRUE(test, kho_block_set_is_empty(bs));
	KUNIT_EXPECT_EQ(test, kho_block_set_head_pa(bs), 0);
	/* No longer preserved: it can be preserved again. */
	KUNIT_EXPECT_EQ(test, kho_preserve_folio(folio), 0);
	kho_unpreserve_folio(folio);
	folio_put(folio);
}

static void kbk_reserve_fills_blocks_in_order(struct kunit *test)
{
	struct kho_block_set_it it;
	struct kho_block_set *bs;
	unsigned int i, n = 2 * KBK_BIG_PER_BLOCK + 1;
	u8 *e;

	kbk_need_kho(test);
	bs = kbk_set(test, KBK_BIG);
	KUNIT_ASSERT_EQ(test, kho_block_set_grow(bs, n), 0);
	KUNIT_ASSERT_EQ(test, bs->nblocks, 3);

	kho_block_set_it_init(&it, bs);
	for (i = 0; i < n; i++) {
		e = kho_block_set_it_reserve_entry(&it);
		KUNIT_ASSERT_NOT_NULL_MSG(test, e, "entry %u", i);
		KUNIT_EXPECT_PTR_EQ_MSG(test, e,
					(u8 *)(kbk_block(bs, i / KBK_BIG_PER_BLOCK)->ser + 1) +
					(i % KBK_BIG_PER_BLOCK) * KBK_BIG, "entry %u", i);
		memset(e, i + 1, KBK_BIG);
	}
	KUNIT_EXPECT_EQ(test, kbk_block(bs, 0)->ser->count, KBK_BIG_PER_BLOCK);
	KUNIT_EXPECT_EQ(test, kbk_block(bs, 1)->ser->count, KBK_BIG_PER_BLOCK);
	KUNIT_EXPECT_EQ(test, kbk_block(bs, 2)->ser->count, 1);

	/* Three more fit in the last block, then the set is full. */
	for (i = 0; i < KBK_BIG_PER_BLOCK - 1; i++)
		KUNIT_EXPECT_NOT_NULL(test, kho_block_set_it_reserve_entry(&it));
	KUNIT_EXPECT_EQ(test, kbk_block(bs, 2)->ser->count, KBK_BIG_PER_BLOCK);
	KUNIT_EXPECT_NULL(test, kho_block_set_it_reserve_entry(&it));
}

static void kbk_reserve_on_empty_set_returns_null(struct kunit *test)
{
	struct kho_block_set_it it;
	struct kho_block_set bs;

	kho_block_set_init(&bs, KBK_BIG);
	kho_block_set_it_init(&it, &bs);
	KUNIT_EXPECT_NULL(test, kho_block_set_it_reserve_entry(&it));
	KUNIT_EXPECT_NULL(test, kho_block_set_it_read_entry(&it));
	KUNIT_EXPECT_NULL(test, kho_block_set_it_prev(&it));
}

/* Writes @n entries holding their index in their first byte. */
static void kbk_fill(struct kunit *test, struct kho_block_set *bs, unsigned int n)
{
	struct kho_block_set_it it;
	unsigned int i;
	u8 *e;

	KUNIT_ASSERT_EQ(test, kho_block_set_grow(bs, n), 0);
	kho_block_set_it_init(&it, bs);
	for (i = 0; i < n; i++) {
		e = kho_block_set_it_reserve_entry(&it);
		KUNIT_ASSERT_NOT_NULL(test, e);
		*e = i;
	}
}

static void kbk_read_returns_entries_by_count(struct kunit *test)
{
	struct kho_block_set_it it;
	struct kho_block_set *bs;
	unsigned int i;
	u8 *e;

	kbk_need_kho(test);
	bs = kbk_set(test, KBK_BIG);
	kbk_fill(test, bs, 2 * KBK_BIG_PER_BLOCK + 2);
	/* The reader stops at each block's count, not at its capacity. */
	kho_block_set_it_init(&it, bs);
	for (i = 0; i < 2 * KBK_BIG_PER_BLOCK + 2; i++) {
		e = kho_block_set_it_read_entry(&it);
		KUNIT_ASSERT_NOT_NULL_MSG(test, e, "entry %u", i);
		KUNIT_EXPECT_EQ_MSG(test, *e, i, "entry %u", i);
	}
	KUNIT_EXPECT_NULL(test, kho_block_set_it_read_entry(&it));
	KUNIT_EXPECT_NULL(test, kho_block_set_it_read_entry(&it));
}

static void kbk_read_skips_block_without_entries(struct kunit *test)
{
	struct kho_block_set_it it;
	struct kho_block_set *bs;
	u8 *e;

	kbk_need_kho(test);
	bs = kbk_set(test, KBK_BIG);
	kbk_fill(test, bs, 2 * KBK_BIG_PER_BLOCK + 1);
	kbk_block(bs, 1)->ser->count = 0;

	kho_block_set_it_init(&it, bs);
	while ((e = kho_block_set_it_read_entry(&it)) && *e != KBK_BIG_PER_BLOCK - 1)
		;
	KUNIT_ASSERT_NOT_NULL(test, e);
	e = kho_block_set_it_read_entry(&it);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, *e, 2 * KBK_BIG_PER_BLOCK);
	KUNIT_EXPECT_NULL(test, kho_block_set_it_read_entry(&it));
}

static void kbk_prev_walks_back_across_blocks(struct kunit *test)
{
	unsigned int n = KBK_BIG_PER_BLOCK + 2, i;
	struct kho_block_set_it it;
	struct kho_block_set *bs;
	u8 *e;

	kbk_need_kho(test);
	bs = kbk_set(test, KBK_BIG);
	kbk_fill(test, bs, n);

	kho_block_set_it_init(&it, bs);
	while (kho_block_set_it_read_entry(&it))
		;
	for (i = n; i--;) {
		e = kho_block_set_it_prev(&it);
		KUNIT_ASSERT_NOT_NULL_MSG(test, e, "entry %u", i);
		KUNIT_EXPECT_EQ_MSG(test, *e, i, "entry %u", i);
	}
	KUNIT_EXPECT_NULL(test, kho_block_set_it_prev(&it));
	/* From the start, reading begins again with the first entry. */
	e = kho_block_set_it_read_entry(&it);
	KUNIT_ASSERT_NOT_NULL(test, e);
	KUNIT_EXPECT_EQ(test, *e, 0);
}

static void kbk_prev_undoes_reserve(struct kunit *test)
{
	struct kho_block_set_it it;
	struct kho_block_set *bs;
	u8 *a, *b;

	kbk_need_kho(test);
	bs = kbk_set(test, KBK_BIG);
	KUNIT_ASSERT_EQ(test, kho_block_set_grow(bs, 2), 0);
	kho_block_set_it_init(&it, bs);
	a = kho_block_set_it_reserve_entry(&it);
	b = kho_block_set_it_reserve_entry(&it);
	KUNIT_EXPECT_PTR_EQ(test, kho_block_set_it_prev(&it), b);
	/* Reserving again reuses the slot and counts it once. */
	KUNIT_EXPECT_PTR_EQ(test, kho_block_set_it_reserve_entry(&it), b);
	KUNIT_EXPECT_EQ(test, kbk_block(bs, 0)->ser->count, 2);
	KUNIT_EXPECT_PTR_EQ(test, kho_block_set_it_prev(&it), b);
	KUNIT_EXPECT_PTR_EQ(test, kho_block_set_it_prev(&it), a);
	KUNIT_EXPECT_NULL(test, kho_block_set_it_prev(&it));
}

static void kbk_clear_forgets_entries(struct kunit *test)
{
	struct kho_block_set_it it;
	struct kho_block_set *bs;
	struct kho_block *blk;

	kbk_need_kho(test);
	bs = kbk_set(test, KBK_BIG);
	kbk_fill(test, bs, KBK_BIG_PER_BLOCK + 1);
	kho_block_set_clear(bs);

	KUNIT_EXPECT_EQ(test, bs->nblocks, 2);
	list_for_each_entry(blk, &bs->blocks, list) {
		KUNIT_EXPECT_EQ(test, blk->ser->count, 0);
		KUNIT_EXPECT_NULL(test, memchr_inv(blk->ser + 1, 0,
						   KHO_BLOCK_SIZE - sizeof(*blk->ser)));
	}
	KUNIT_EXPECT_EQ(test, kbk_block(bs, 0)->ser->next,
			virt_to_phys(kbk_block(bs, 1)->ser));
	kho_block_set_it_init(&it, bs);
	KUNIT_EXPECT_NULL(test, kho_block_set_it_read_entry(&it));
}

static void kbk_restore_empty_chain(struct kunit *test)
{
	struct kho_block_set bs;

	kho_block_set_init(&bs, KBK_BIG);
	KUNIT_EXPECT_EQ(test, kho_block_set_restore(&bs, 0), 0);
	KUNIT_EXPECT_TRUE(test, bs.incoming);
	KUNIT_EXPECT_TRUE(test, kho_block_set_is_empty(&bs));
	KUNIT_EXPECT_EQ(test, kho_block_set_head_pa(&bs), 0);
}

static void kbk_restore_rejects_unpreserved_chain(struct kunit *test)
{
	struct kho_block_set *bs;
	struct kho_block_set in;

	kbk_need_kho(test);
	if (is_kho_boot())
		kunit_skip(test, "needs a boot without handover data");
	/* A valid outgoing chain is not preserved memory of a previous kernel. */
	bs = kbk_set(test, KBK_BIG);
	kbk_fill(test, bs, 1);

	kho_block_set_init(&in, KBK_BIG);
	KUNIT_EXPECT_EQ(test, kho_block_set_restore(&in, kho_block_set_head_pa(bs)),
			-EINVAL);
	KUNIT_EXPECT_TRUE(test, kho_block_set_is_empty(&in));
	/* Nothing was taken: the outgoing block is still preserved. */
	KUNIT_EXPECT_EQ(test, kho_preserve_folio(virt_to_folio(kbk_block(bs, 0)->ser)),
			-EEXIST);
}

/* A chain of ordinary pages for kho_block_chain_check(). */
struct kbk_chain {
	unsigned long n;
	struct page **pages;
};

static void kbk_chain_free(void *data)
{
	struct kbk_chain *c = data;

	while (c->n--) {
		set_page_private(c->pages[c->n], 0);
		__free_page(c->pages[c->n]);
	}
	kvfree(c->pages);
	kfree(c);
}

static struct kho_block_header_ser *kbk_hdr(struct kbk_chain *c, unsigned long i)
{
	return page_address(c->pages[i]);
}

/* @n linked blocks, each claiming @count entries. */
static struct kbk_chain *kbk_chain(struct kunit *test, unsigned long n, u64 count)
{
	struct kbk_chain *c = kzalloc(sizeof(*c), GFP_KERNEL);
	unsigned long i, want = n;
	struct page *page;

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->pages = kvcalloc(n, sizeof(*c->pages), GFP_KERNEL);
	if (!c->pages)
		kfree(c);
	KUNIT_ASSERT_NOT_NULL(test, c->pages);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, kbk_chain_free, c), 0);

	for (i = 0; i < want; i++) {
		page = alloc_page(GFP_KERNEL | __GFP_ZERO);
		KUNIT_ASSERT_NOT_NULL_MSG(test, page, "block %lu", i);
		set_page_private(page, KBK_MAGIC);
		c->pages[c->n++] = page;
	}
	for (i = 0; i < n; i++) {
		kbk_hdr(c, i)->count = count;
		kbk_hdr(c, i)->next = i + 1 < n ? page_to_phys(c->pages[i + 1]) : 0;
	}
	return c;
}

static u64 kbk_head(struct kbk_chain *c)
{
	return page_to_phys(c->pages[0]);
}

/* Accepts only pages of a test chain (they carry KBK_MAGIC). */
static bool kbk_block_ok(u64 pa)
{
	struct page *page = pfn_to_online_page(PHYS_PFN(pa));

	return PAGE_ALIGNED(pa) && page && page_private(page) == KBK_MAGIC;
}

static void kbk_check_accepts_valid_chain(struct kunit *test)
{
	struct kbk_chain *c = kbk_chain(test, 5, KBK_BIG_PER_BLOCK);
	long n = -1;

	kbk_hdr(c, 4)->count = 1;
	KUNIT_EXPECT_EQ(test, kho_block_chain_check(kbk_head(c), KBK_BIG_PER_BLOCK,
						    kbk_block_ok, &n), 0);
	KUNIT_EXPECT_EQ(test, n, 5);
}

static void kbk_check_rejects_empty_block(struct kunit *test)
{
	struct kbk_chain *c = kbk_chain(test, 3, 1);
	long n = -1;

	kbk_hdr(c, 1)->count = 0;
	KUNIT_EXPECT_EQ(test, kho_block_chain_check(kbk_head(c), KBK_BIG_PER_BLOCK,
						    kbk_block_ok, &n), -EINVAL);
	KUNIT_EXPECT_EQ(test, n, -1);
}

static void kbk_check_rejects_overfull_block(struct kunit *test)
{
	struct kbk_chain *c = kbk_chain(test, 3, 1);
	long n = -1;

	kbk_hdr(c, 2)->count = KBK_BIG_PER_BLOCK + 1;
	KUNIT_EXPECT_EQ(test, kho_block_chain_check(kbk_head(c), KBK_BIG_PER_BLOCK,
						    kbk_block_ok, &n), -EINVAL);
	kbk_hdr(c, 2)->count = U64_MAX;
	KUNIT_EXPECT_EQ(test, kho_block_chain_check(kbk_head(c), KBK_BIG_PER_BLOCK,
						    kbk_block_ok, &n), -EINVAL);
}

static void kbk_check_rejects_unknown_block(struct kunit *test)
{
	struct kbk_chain *c = kbk_chain(test, 3, 1);
	long n = -1;

	set_page_private(c->pages[2], 0);
	KUNIT_EXPECT_EQ(test, kho_block_chain_check(kbk_head(c), KBK_BIG_PER_BLOCK,
						    kbk_block_ok, &n), -EINVAL);
	set_page_private(c->pages[2], KBK_MAGIC);
	/* A misaligned pointer into a known block. */
	kbk_hdr(c, 1)->next = page_to_phys(c->pages[2]) + 8;
	KUNIT_EXPECT_EQ(test, kho_block_chain_check(kbk_head(c), KBK_BIG_PER_BLOCK,
						    kbk_block_ok, &n), -EINVAL);
}

static void kbk_check_rejects_loops(struct kunit *test)
{
	static const unsigned long len[] = { 1, 2, 3, 4, 7, 8 };
	unsigned long i, to;
	struct kbk_chain *c;
	long n = -1;

	for (i = 0; i < ARRAY_SIZE(len); i++) {
		c = kbk_chain(test, len[i], 1);
		/* Close the loop on every block, including the tail itself. */
		for (to = 0; to < len[i]; to++) {
			kbk_hdr(c, len[i] - 1)->next = page_to_phys(c->pages[to]);
			KUNIT_EXPECT_EQ_MSG(test,
					    kho_block_chain_check(kbk_head(c), 1,
								  kbk_block_ok, &n),
					    -EINVAL, "%lu blocks, tail -> %lu", len[i], to);
		}
	}
	KUNIT_EXPECT_EQ(test, n, -1);
}

static void kbk_check_accepts_max_blocks(struct kunit *test)
{
	struct kbk_chain *c = kbk_chain(test, KHO_MAX_BLOCKS, 1);
	long n = -1;

	KUNIT_EXPECT_EQ(test, kho_block_chain_check(kbk_head(c), 1, kbk_block_ok, &n), 0);
	KUNIT_EXPECT_EQ(test, n, KHO_MAX_BLOCKS);
}

static void kbk_check_rejects_too_long_chain(struct kunit *test)
{
	struct kbk_chain *c = kbk_chain(test, KHO_MAX_BLOCKS + 1, 1);
	long n = -1;

	KUNIT_EXPECT_EQ(test, kho_block_chain_check(kbk_head(c), 1, kbk_block_ok, &n),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, n, -1);
}

static struct kunit_case kho_block_test_cases[] = {
	KUNIT_CASE(kbk_init_count_per_block),
	KUNIT_CASE(kbk_grow_links_preserved_blocks),
	KUNIT_CASE(kbk_grow_keeps_existing_blocks),
	KUNIT_CASE(kbk_grow_past_limit_fails),
	KUNIT_CASE(kbk_shrink_frees_trailing_blocks),
	KUNIT_CASE(kbk_destroy_unpreserves_blocks),
	KUNIT_CASE(kbk_reserve_fills_blocks_in_order),
	KUNIT_CASE(kbk_reserve_on_empty_set_returns_null),
	KUNIT_CASE(kbk_read_returns_entries_by_count),
	KUNIT_CASE(kbk_read_skips_block_without_entries),
	KUNIT_CASE(kbk_prev_walks_back_across_blocks),
	KUNIT_CASE(kbk_prev_undoes_reserve),
	KUNIT_CASE(kbk_clear_forgets_entries),
	KUNIT_CASE(kbk_restore_empty_chain),
	KUNIT_CASE(kbk_restore_rejects_unpreserved_chain),
	KUNIT_CASE(kbk_check_accepts_valid_chain),
	KUNIT_CASE(kbk_check_rejects_empty_block),
	KUNIT_CASE(kbk_check_rejects_overfull_block),
	KUNIT_CASE(kbk_check_rejects_unknown_block),
	KUNIT_CASE(kbk_check_rejects_loops),
	KUNIT_CASE(kbk_check_accepts_max_blocks),
	KUNIT_CASE(kbk_check_rejects_too_long_chain),
	{}
};

static struct kunit_suite kho_block_test_suite = {
	.name = "kho_block",
	.test_cases = kho_block_test_cases,
};

kunit_test_suite(kho_block_test_suite);

MODULE_DESCRIPTION("KUnit tests for KHO serialization block sets");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
