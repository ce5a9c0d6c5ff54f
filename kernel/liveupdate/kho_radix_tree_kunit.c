// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the KHO memory tracker (kho_radix_tree.c).
 *
 * The tracker only reads and writes its own node pages, never the memory of
 * the blocks it records, so the tests record made-up page frames anywhere
 * in the physical address space.
 *
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */
#include <kunit/test.h>
#include <linux/io.h>
#include <linux/kho_radix_tree.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/slab.h>

MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);

struct block {
	phys_addr_t phys;
	unsigned int order;
};

/*
 * Collects what a walk reports, one entry per block, and can fail or reject
 * nodes on request.
 */
struct collector {
	struct kho_radix_walker w;
	struct block *blocks;
	unsigned int n, max;
	unsigned int calls;	/* runs reported */
	int fail_at;		/* return -EIO for this block (0-based), or -1 */
	phys_addr_t bad_node;	/* node_ok() rejects this node, if non-zero */
};

static int collect_block(struct kho_radix_walker *w, phys_addr_t phys,
			 unsigned int order, unsigned long nr)
{
	struct collector *c = container_of(w, struct collector, w);
	unsigned long i;

	c->calls++;
	for (i = 0; i < nr; i++) {
		if (c->n == c->fail_at)
			return -EIO;
		if (c->n < c->max)
			c->blocks[c->n] = (struct block){
				phys + ((phys_addr_t)i << (PAGE_SHIFT + order)), order };
		c->n++;
	}
	return 0;
}

static bool collect_node_ok(struct kho_radix_walker *w, phys_addr_t node)
{
	struct collector *c = container_of(w, struct collector, w);

	return node != c->bad_node;
}

static struct collector *new_collector(struct kunit *test, unsigned int max)
{
	struct collector *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, c);
	c->blocks = kunit_kcalloc(test, max, sizeof(*c->blocks), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, c->blocks);
	c->max = max;
	c->fail_at = -1;
	c->w.block = collect_block;
	c->w.node_ok = collect_node_ok;
	return c;
}

KUNIT_DEFINE_ACTION_WRAPPER(destroy_tree, kho_radix_destroy,
			    struct kho_radix_tree *);

static struct kho_radix_tree *new_tree(struct kunit *test)
{
	struct kho_radix_tree *tree = kunit_kzalloc(test, sizeof(*tree), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, tree);
	KUNIT_ASSERT_EQ(test, kho_radix_init(tree), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, destroy_tree, tree), 0);
	return tree;
}

static int walk(struct kho_radix_tree *tree, struct collector *c)
{
	c->n = 0;
	c->calls = 0;
	return kho_radix_walk(virt_to_phys(tree->root), &c->w);
}

/* The key layout is ABI: check it against values computed by hand. */
static void kho_radix_key_known_values(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, kho_radix_encode_key(0, 0), BIT_ULL(52));
	KUNIT_EXPECT_EQ(test, kho_radix_encode_key(0x1000, 0), BIT_ULL(52) | 1);
	KUNIT_EXPECT_EQ(test, kho_radix_encode_key(0x200000, 9), BIT_ULL(43) | 1);
	KUNIT_EXPECT_EQ(test, kho_radix_encode_key(0x40000000, 18), BIT_ULL(34) | 1);
	KUNIT_EXPECT_EQ(test, kho_radix_encode_key(0xfffff000, 0),
			BIT_ULL(52) | 0xfffff);
	KUNIT_EXPECT_EQ(test, KHO_TREE_MAX_DEPTH, 6);
}

/* decode(encode(x)) == x for every order and a spread of addresses. */
static void kho_radix_key_round_trip(struct kunit *test)
{
	static const u64 frames[] = { 0, 1, 2, 3, 0x1234, 0xfffff, 1ULL << 30 };
	unsigned int order, i, got_order;
	phys_addr_t phys, got;

	for (order = 0; order <= KHO_ORDER_0_LOG2 - 1; order++) {
		for (i = 0; i < ARRAY_SIZE(frames); i++) {
			u64 key;

			/* frames[i] blocks of this order, kept below 2^64 */
			if (frames[i] && ilog2(frames[i]) + PAGE_SHIFT + order >= 64)
				continue;
			phys = (phys_addr_t)frames[i] << (PAGE_SHIFT + order);
			key = kho_radix_encode_key(phys, order);
			KUNIT_ASSERT_NE_MSG(test, key, 0, "order %u phys %pa", order, &phys);
			KUNIT_EXPECT_EQ_MSG(test, fls64(key), KHO_ORDER_0_LOG2 + 1 - order,
					    "order bit of order %u", order);
			KUNIT_ASSERT_EQ(test, kho_radix_decode_key(key, &got, &got_order), 0);
			KUNIT_EXPECT_EQ_MSG(test, got, phys, "order %u", order);
			KUNIT_EXPECT_EQ_MSG(test, got_order, order, "phys %pa", &phys);
		}
	}
}

/* Misaligned blocks, too-large orders and malformed keys are rejected. */
static void kho_radix_key_rejects_invalid(struct kunit *test)
{
	unsigned int order;
	phys_addr_t phys;

	KUNIT_EXPECT_EQ(test, kho_radix_encode_key(0x1800, 0), 0);	/* not page aligned */
	KUNIT_EXPECT_EQ(test, kho_radix_encode_key(0x1000, 1), 0);	/* not order aligned */
	KUNIT_EXPECT_EQ(test, kho_radix_encode_key(0x100000, 9), 0);
	KUNIT_EXPECT_EQ(test, kho_radix_encode_key(0, KHO_ORDER_0_LOG2), 0);
	KUNIT_EXPECT_EQ(test, kho_radix_encode_key(0, 64), 0);

	KUNIT_EXPECT_EQ(test, kho_radix_decode_key(0, &phys, &order), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_radix_decode_key(1, &phys, &order), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_radix_decode_key(BIT_ULL(53), &phys, &order), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_radix_decode_key(~0ULL, &phys, &order), -EINVAL);
}

/* One block of every buddy order, and beyond, is recorded and walked back. */
static void kho_radix_add_every_order(struct kunit *test)
{
	struct kho_radix_tree *tree = new_tree(test);
	const unsigned int max_order = MAX_PAGE_ORDER + 8;
	struct collector *c = new_collector(test, max_order + 1);
	unsigned int order, i;

	/* Order o at frame (o + 1) << o: distinct, aligned, not overlapping. */
	for (order = 0; order <= max_order; order++)
		KUNIT_ASSERT_EQ_MSG(test, kho_radix_add(tree, (order + 1UL) << order, order),
				    0, "order %u", order);

	KUNIT_ASSERT_EQ(test, walk(tree, c), 0);
	KUNIT_ASSERT_EQ(test, c->n, max_order + 1);
	/* Ascending keys: the largest order comes first. */
	for (i = 0; i < c->n; i++) {
		order = max_order - i;
		KUNIT_EXPECT_EQ_MSG(test, c->blocks[i].order, order, "block %u", i);
		KUNIT_EXPECT_EQ_MSG(test, c->blocks[i].phys,
				    PFN_PHYS((order + 1UL) << order), "block %u", i);
	}
}

/* Adjacent order-0 pages across leaf and table boundaries come back in order. */
static void kho_radix_add_adjacent_ranges(struct kunit *test)
{
	/* Straddle the first leaf boundary (32768 keys) and a 2^24 boundary. */
	static const unsigned long starts[] = { 0, 32768 - 100, (1UL << 24) - 50 };
	const unsigned int per_range = 200;
	struct kho_radix_tree *tree = new_tree(test);
	struct collector *c = new_collector(test, ARRAY_SIZE(starts) * per_range);
	unsigned int r, i, n = 0;

	for (r = 0; r < ARRAY_SIZE(starts); r++)
		for (i = 0; i < per_range; i++)
			KUNIT_ASSERT_EQ(test, kho_radix_add(tree, starts[r] + i, 0), 0);

	KUNIT_ASSERT_EQ(test, walk(tree, c), 0);
	KUNIT_ASSERT_EQ(test, c->n, ARRAY_SIZE(starts) * per_range);
	/* One run per range and leaf: the last two ranges cross leaves. */
	KUNIT_EXPECT_EQ(test, c->calls, 5);
	for (r = 0; r < ARRAY_SIZE(starts); r++) {
		for (i = 0; i < per_range; i++, n++) {
			KUNIT_EXPECT_EQ_MSG(test, c->blocks[n].phys, PFN_PHYS(starts[r] + i),
					    "range %u page %u", r, i);
			KUNIT_EXPECT_EQ(test, c->blocks[n].order, 0);
		}
	}
}

/* Expect exactly @n blocks, in walk order, each { pfn, order }. */
static void expect_blocks(struct kunit *test, struct kho_radix_tree *tree,
			  const unsigned long (*want)[2], unsigned int n)
{
	struct collector *c = new_collector(test, n + 1);
	unsigned int i;

	KUNIT_ASSERT_EQ(test, walk(tree, c), 0);
	KUNIT_ASSERT_EQ(test, c->n, n);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ_MSG(test, c->blocks[i].phys, PFN_PHYS(want[i][0]),
				    "block %u", i);
		KUNIT_EXPECT_EQ_MSG(test, c->blocks[i].order, want[i][1], "block %u", i);
	}
}

/* The same block twice is refused and the tree keeps it once. */
static void kho_radix_add_same_block_fails(struct kunit *test)
{
	static const unsigned long want[][2] = { { 512, 9 }, { 7, 0 } };
	struct kho_radix_tree *tree = new_tree(test);

	KUNIT_ASSERT_EQ(test, kho_radix_add(tree, 512, 9), 0);
	KUNIT_ASSERT_EQ(test, kho_radix_add(tree, 7, 0), 0);
	KUNIT_EXPECT_EQ(test, kho_radix_add(tree, 512, 9), -EEXIST);
	KUNIT_EXPECT_EQ(test, kho_radix_add(tree, 7, 0), -EEXIST);
	expect_blocks(test, tree, want, ARRAY_SIZE(want));
}

/*
 * A block inside a recorded one, at any smaller order and at either end
 * or in the middle, is refused and changes nothing.
 */
static void kho_radix_add_inside_recorded_fails(struct kunit *test)
{
	static const unsigned long want[][2] = { { 512, 9 } };
	struct kho_radix_tree *tree = new_tree(test);
	unsigned int order;

	KUNIT_ASSERT_EQ(test, kho_radix_add(tree, 512, 9), 0);
	for (order = 0; order < 9; order++) {
		unsigned long size = 1UL << order;

		KUNIT_EXPECT_EQ_MSG(test, kho_radix_add(tree, 512, order), -EEXIST,
				    "order %u, first", order);
		KUNIT_EXPECT_EQ_MSG(test, kho_radix_add(tree, 768, order), -EEXIST,
				    "order %u, middle", order);
		KUNIT_EXPECT_EQ_MSG(test, kho_radix_add(tree, 1024 - size, order),
				    -EEXIST, "order %u, last", order);
	}
	expect_blocks(test, tree, want, ARRAY_SIZE(want));
}

/*
 * A block containing recorded ones is refused, at every larger order, also
 * when the recorded block is in another leaf or under another table than
 * the first page of the new one; nothing changes.
 */
static void kho_radix_add_over_recorded_fails(struct kunit *test)
{
	/* Order-0 keys: 32768 per leaf, 2^24 per level-1 table. */
	static const unsigned long want[][2] = {
		{ 513, 0 }, { 3 * 32768 + 5, 0 }, { (1UL << 24) + 1, 0 },
	};
	struct kho_radix_tree *tree = new_tree(test);
	unsigned int order;

	KUNIT_ASSERT_EQ(test, kho_radix_add(tree, 513, 0), 0);
	KUNIT_ASSERT_EQ(test, kho_radix_add(tree, 3 * 32768 + 5, 0), 0);
	KUNIT_ASSERT_EQ(test, kho_radix_add(tree, (1UL << 24) + 1, 0), 0);
	for (order = 1; order <= 9; order++)
		KUNIT_EXPECT_EQ_MSG(test, kho_radix_add(tree, 512, order), -EEXIST,
				    "order %u", order);
	KUNIT_EXPECT_EQ(test, kho_radix_add(tree, 0, 17), -EEXIST);
	KUNIT_EXPECT_EQ(test, kho_radix_add(tree, 65536, 16), -EEXIST);
	KUNIT_EXPECT_EQ(test, kho_radix_add(tree, 1UL << 24, 24), -EEXIST);
	KUNIT_EXPECT_EQ(test, kho_radix_add(tree, 0, 30), -EEXIST);
	expect_blocks(test, tree, want, ARRAY_SIZE(want));

	/* Once the page inside is gone, the larger block goes in. */
	KUNIT_ASSERT_EQ(test, kho_radix_remove(tree, 513, 0), 0);
	KUNIT_EXPECT_EQ(test, kho_radix_add(tree, 512, 9), 0);
}

KUNIT_DEFINE_ACTION_WRAPPER(put_folio, folio_put, struct folio *);

static struct folio *new_folio(struct kunit *test, unsigned int order)
{
	struct folio *folio = folio_alloc(GFP_KERNEL, order);

	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, put_folio, folio), 0);
	return folio;
}

/* The number of blocks a walk of @tree reports. */
static unsigned int count_blocks(struct kunit *test, struct kho_radix_tree *tree)
{
	struct collector *c = new_collector(test, 8);

	KUNIT_ASSERT_EQ(test, walk(tree, c), 0);
	return c->n;
}

/*
 * Many folios at once: all or nothing. One folio recorded already fails the
 * whole call and leaves only that one; then all go in, and all come out.
 */
static void kho_radix_add_folios_all_or_nothing(struct kunit *test)
{
	struct kho_radix_tree *tree = new_tree(test);
	struct folio *folios[4];
	unsigned int i;

	for (i = 0; i < 3; i++)
		folios[i] = new_folio(test, 0);
	folios[3] = new_folio(test, 2);

	KUNIT_ASSERT_EQ(test, kho_radix_add(tree, folio_pfn(folios[1]), 0), 0);
	KUNIT_EXPECT_EQ(test, kho_radix_add_folios(tree, folios, 4), -EEXIST);
	KUNIT_EXPECT_EQ(test, count_blocks(test, tree), 1);
	KUNIT_EXPECT_EQ(test, kho_radix_remove(tree, folio_pfn(folios[0]), 0),
			-ENOENT);

	KUNIT_ASSERT_EQ(test, kho_radix_remove(tree, folio_pfn(folios[1]), 0), 0);
	KUNIT_EXPECT_EQ(test, kho_radix_add_folios(tree, folios, 4), 0);
	KUNIT_EXPECT_EQ(test, count_blocks(test, tree), 4);
	KUNIT_EXPECT_EQ(test, kho_radix_add(tree, folio_pfn(folios[3]) + 1, 0),
			-EEXIST);

	kho_radix_remove_folios(tree, folios, 4);
	KUNIT_EXPECT_EQ(test, count_blocks(test, tree), 0);
}

/*
 * kho_radix_end(): past the highest block, whatever the orders, and past
 * the tree's own node pages (here anywhere in memory), which the next
 * kernel needs too.
 */
static void kho_radix_end_of_blocks(struct kunit *test)
{
	struct kho_radix_tree *tree = new_tree(test);
	phys_addr_t root_end = virt_to_phys(tree->root) + PAGE_SIZE;
	phys_addr_t high = PFN_PHYS(1UL << 40);

	KUNIT_EXPECT_EQ(test, kho_radix_end(tree), root_end);
	KUNIT_ASSERT_EQ(test, kho_radix_add(tree, 4096, 0), 0);
	KUNIT_EXPECT_GE(test, kho_radix_end(tree), max(root_end, PFN_PHYS(4097)));
	/* A block far above all memory: it is the end, nodes are below. */
	KUNIT_ASSERT_EQ(test, kho_radix_add(tree, 1UL << 40, 18), 0);
	KUNIT_EXPECT_EQ(test, kho_radix_end(tree), high + (PAGE_SIZE << 18));
	KUNIT_ASSERT_EQ(test, kho_radix_remove(tree, 1UL << 40, 18), 0);
	KUNIT_EXPECT_LT(test, kho_radix_end(tree), high);
}

/* Blocks that touch a recorded one without sharing a page still go in. */
static void kho_radix_add_adjacent_blocks(struct kunit *test)
{
	/* Walk order: larger orders first, then ascending address. */
	static const unsigned long want[][2] = {
		{ 1024, 10 }, { 512, 9 }, { 256, 8 }, { 255, 0 }, { 2048, 0 },
		{ 2049, 0 },
	};
	struct kho_radix_tree *tree = new_tree(test);

	KUNIT_ASSERT_EQ(test, kho_radix_add(tree, 512, 9), 0);
	KUNIT_EXPECT_EQ(test, kho_radix_add(tree, 256, 8), 0);	/* just below */
	KUNIT_EXPECT_EQ(test, kho_radix_add(tree, 1024, 10), 0);	/* just above */
	KUNIT_EXPECT_EQ(test, kho_radix_add(tree, 255, 0), 0);
	KUNIT_EXPECT_EQ(test, kho_radix_add(tree, 2048, 0), 0);
	KUNIT_EXPECT_EQ(test, kho_radix_add(tree, 2049, 0), 0);
	expect_blocks(test, tree, want, ARRAY_SIZE(want));
}

/* Add and remove name one exact block: duplicates and strangers are errors. */
static void kho_radix_add_remove_errors(struct kunit *test)
{
	struct kho_radix_tree *tree = new_tree(test);
	struct collector *c = new_collector(test, 2);

	KUNIT_EXPECT_EQ(test, kho_radix_add(tree, 3, 1), -EINVAL);	/* misaligned */
	KUNIT_EXPECT_EQ(test, kho_radix_add(tree, 0, KHO_ORDER_0_LOG2), -EINVAL);
	KUNIT_EXPECT_EQ(test, kho_radix_remove(tree, 3, 1), -EINVAL);

	KUNIT_ASSERT_EQ(test, kho_radix_add(tree, 1024, 10), 0);
	KUNIT_EXPECT_EQ(test, kho_radix_add(tree, 1024, 10), -EEXIST);
	KUNIT_EXPECT_EQ(test, kho_radix_remove(tree, 1024, 9), -ENOENT);	/* other order */
	KUNIT_EXPECT_EQ(test, kho_radix_remove(tree, 1024, 0), -ENOENT);
	KUNIT_EXPECT_EQ(test, kho_radix_remove(tree, 1UL << 30, 0), -ENOENT); /* no path */
	KUNIT_EXPECT_EQ(test, kho_radix_remove(tree, 1024, 10), 0);
	KUNIT_EXPECT_EQ(test, kho_radix_remove(tree, 1024, 10), -ENOENT);

	KUNIT_ASSERT_EQ(test, walk(tree, c), 0);
	KUNIT_EXPECT_EQ(test, c->n, 0);
}

/* The highest address a key can describe is recorded and walked back. */
static void kho_radix_add_highest_address(struct kunit *test)
{
	const unsigned long pfn = (1UL << KHO_ORDER_0_LOG2) - 1;
	struct kho_radix_tree *tree = new_tree(test);
	struct collector *c = new_collector(test, 1);

	KUNIT_ASSERT_EQ(test, kho_radix_add(tree, pfn, 0), 0);
	KUNIT_ASSERT_EQ(test, walk(tree, c), 0);
	KUNIT_ASSERT_EQ(test, c->n, 1);
	KUNIT_EXPECT_EQ(test, c->blocks[0].phys, PFN_PHYS(pfn));
}

/*
 * Adjacent keys of two orders are two runs: the last block of order 39 and
 * the first of order 38 (keys 2^14 - 1 and 2^14, both in the first leaf),
 * then 100 adjacent blocks of order 38.
 */
static void kho_radix_walk_runs_split_orders(struct kunit *test)
{
	const unsigned long last39 = ((1UL << 13) - 1) << 39;
	struct kho_radix_tree *tree = new_tree(test);
	struct collector *c = new_collector(test, 102);
	unsigned int i;

	KUNIT_ASSERT_EQ(test, kho_radix_add(tree, last39, 39), 0);
	for (i = 0; i < 100; i++)
		KUNIT_ASSERT_EQ(test, kho_radix_add(tree, (unsigned long)i << 38, 38), 0);
	KUNIT_ASSERT_EQ(test, walk(tree, c), 0);
	KUNIT_EXPECT_EQ(test, c->calls, 2);
	KUNIT_ASSERT_EQ(test, c->n, 101);
	KUNIT_EXPECT_EQ(test, c->blocks[0].order, 39);
	KUNIT_EXPECT_EQ(test, c->blocks[0].phys, PFN_PHYS(last39));
	for (i = 0; i < 100; i++) {
		KUNIT_EXPECT_EQ_MSG(test, c->blocks[i + 1].order, 38, "block %u", i);
		KUNIT_EXPECT_EQ_MSG(test, c->blocks[i + 1].phys,
				    PFN_PHYS((unsigned long)i << 38), "block %u", i);
	}
}

/* A callback error stops the walk and is returned as it is. */
static void kho_radix_walk_stops_on_error(struct kunit *test)
{
	struct kho_radix_tree *tree = new_tree(test);
	struct collector *c = new_collector(test, 8);
	unsigned int i;

	for (i = 0; i < 8; i++)
		KUNIT_ASSERT_EQ(test, kho_radix_add(tree, i, 0), 0);
	c->fail_at = 3;
	KUNIT_EXPECT_EQ(test, walk(tree, c), -EIO);
	KUNIT_EXPECT_EQ(test, c->n, 3);
}

/* node_ok() rejecting a node makes the walk fail with -EINVAL. */
static void kho_radix_walk_rejects_bad_node(struct kunit *test)
{
	struct kho_radix_tree *tree = new_tree(test);
	struct collector *c = new_collector(test, 1);

	KUNIT_ASSERT_EQ(test, kho_radix_add(tree, 7, 0), 0);
	/* Order-0 keys have bit 52 set: root index 2 (bits 51..59). */
	c->bad_node = tree->root->child[2];
	KUNIT_ASSERT_NE(test, c->bad_node, 0);
	KUNIT_EXPECT_EQ(test, walk(tree, c), -EINVAL);
	KUNIT_EXPECT_EQ(test, c->n, 0);

	c->bad_node = virt_to_phys(tree->root);
	KUNIT_EXPECT_EQ(test, walk(tree, c), -EINVAL);
}

/*
 * Corrupted trees: a child address that is not page aligned, and a root
 * entry whose keys would have bits above the order-0 bit, fail the walk
 * instead of reporting garbage blocks.
 */
static void kho_radix_walk_rejects_corruption(struct kunit *test)
{
	struct kho_radix_tree *tree = new_tree(test);
	struct collector *c = new_collector(test, 2);
	u64 child;

	KUNIT_ASSERT_EQ(test, kho_radix_add(tree, 7, 0), 0);
	/* Order-0 keys have bit 52 set: root index 2 (bits 51..59). */
	child = tree->root->child[2];
	KUNIT_ASSERT_NE(test, child, 0);

	tree->root->child[2] = child | 8;
	KUNIT_EXPECT_EQ(test, walk(tree, c), -EINVAL);
	tree->root->child[2] = child;

	tree->root->child[300] = child;	/* keys with bit 59 set */
	KUNIT_EXPECT_EQ(test, walk(tree, c), -EINVAL);
	tree->root->child[300] = 0;	/* shared node: free it only once */

	KUNIT_EXPECT_EQ(test, walk(tree, c), 0);
	KUNIT_EXPECT_EQ(test, c->n, 1);
}

static struct kunit_case kho_radix_tree_cases[] = {
	KUNIT_CASE(kho_radix_key_known_values),
	KUNIT_CASE(kho_radix_key_round_trip),
	KUNIT_CASE(kho_radix_key_rejects_invalid),
	KUNIT_CASE(kho_radix_add_every_order),
	KUNIT_CASE(kho_radix_add_adjacent_ranges),
	KUNIT_CASE(kho_radix_add_same_block_fails),
	KUNIT_CASE(kho_radix_add_inside_recorded_fails),
	KUNIT_CASE(kho_radix_add_over_recorded_fails),
	KUNIT_CASE(kho_radix_add_adjacent_blocks),
	KUNIT_CASE(kho_radix_add_folios_all_or_nothing),
	KUNIT_CASE(kho_radix_end_of_blocks),
	KUNIT_CASE(kho_radix_add_remove_errors),
	KUNIT_CASE(kho_radix_add_highest_address),
	KUNIT_CASE(kho_radix_walk_runs_split_orders),
	KUNIT_CASE(kho_radix_walk_stops_on_error),
	KUNIT_CASE(kho_radix_walk_rejects_bad_node),
	KUNIT_CASE(kho_radix_walk_rejects_corruption),
	{}
};

static struct kunit_suite kho_radix_tree_suite = {
	.name = "kho_radix_tree",
	.test_cases = kho_radix_tree_cases,
};

kunit_test_suite(kho_radix_tree_suite);

MODULE_DESCRIPTION("KUnit tests for the KHO memory tracker");
MODULE_LICENSE("GPL");
