// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests for the Kexec HandOver API within one kernel.
 *
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * Everything that needs no kexec: the errors of the allocation,
 * preservation and subtree functions, what a boot without handover data
 * returns, and vmalloc preservation up to the descriptor and its chunks.
 * Restoring for real is tested across kexec by the kho_kexec_test
 * selftest; here only that restoring memory that was not preserved fails
 * quietly.
 */

#include <kunit/test.h>
#include <linux/err.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/kexec_handover.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#define KHO_KUNIT_SUBTREE	"kho_kunit"

KUNIT_DEFINE_ACTION_WRAPPER(kho_kunit_unpreserve_free, kho_unpreserve_free, void *);
KUNIT_DEFINE_ACTION_WRAPPER(kho_kunit_vfree, vfree, const void *);
KUNIT_DEFINE_ACTION_WRAPPER(kho_kunit_folio_put, folio_put, struct folio *);

static void kho_kunit_need_kho(struct kunit *test)
{
	if (!kho_is_enabled())
		kunit_skip(test, "KHO is disabled (boot with kho=on)");
}

static void kho_kunit_need_cold_boot(struct kunit *test)
{
	if (is_kho_boot())
		kunit_skip(test, "needs a boot without handover data");
}

static void *kho_kunit_alloc_preserve(struct kunit *test, size_t size)
{
	void *mem = kho_alloc_preserve(size);

	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(mem), "%pe", mem);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, kho_kunit_unpreserve_free,
							mem), 0);
	return mem;
}

static void kho_alloc_preserve_zero_size_fails(struct kunit *test)
{
	KUNIT_EXPECT_PTR_EQ(test, kho_alloc_preserve(0), ERR_PTR(-EINVAL));
}

static void kho_alloc_preserve_too_big_fails(struct kunit *test)
{
	KUNIT_EXPECT_PTR_EQ(test, kho_alloc_preserve(PAGE_SIZE << (MAX_PAGE_ORDER + 1)),
			    ERR_PTR(-E2BIG));
	KUNIT_EXPECT_PTR_EQ(test, kho_alloc_preserve(SIZE_MAX), ERR_PTR(-E2BIG));
}

static void kho_alloc_preserve_gives_zeroed_preserved_folio(struct kunit *test)
{
	struct folio *folio;
	void *mem;

	kho_kunit_need_kho(test);
	mem = kho_kunit_alloc_preserve(test, 3 * PAGE_SIZE);
	folio = virt_to_folio(mem);
	KUNIT_EXPECT_EQ(test, folio_order(folio), 2);
	KUNIT_EXPECT_PTR_EQ(test, folio_address(folio), mem);
	KUNIT_EXPECT_NULL(test, memchr_inv(mem, 0, 4 * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, kho_preserve_folio(folio), -EEXIST);
}

static void kho_preserve_folio_twice_fails(struct kunit *test)
{
	struct folio *folio;

	kho_kunit_need_kho(test);
	folio = folio_alloc(GFP_KERNEL, 1);
	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, kho_kunit_folio_put, folio), 0);

	KUNIT_ASSERT_EQ(test, kho_preserve_folio(folio), 0);
	KUNIT_EXPECT_EQ(test, kho_preserve_folio(folio), -EEXIST);
	/* Its pages are part of the preserved block as well. */
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(folio_page(folio, 0), 2), -EEXIST);
	kho_unpreserve_folio(folio);
	KUNIT_EXPECT_EQ(test, kho_preserve_folio(folio), 0);
	kho_unpreserve_folio(folio);
}

static void kho_preserve_pages_zero_pages_fails(struct kunit *test)
{
	struct page *page;

	kho_kunit_need_kho(test);
	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(page, 0), -EINVAL);
	__free_page(page);
}

static void kho_preserve_pages_failure_preserves_nothing(struct kunit *test)
{
	struct folio *folio;
	struct page *page;

	kho_kunit_need_kho(test);
	folio = folio_alloc(GFP_KERNEL, 3);
	KUNIT_ASSERT_NOT_NULL(test, folio);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, kho_kunit_folio_put, folio), 0);
	page = folio_page(folio, 0);

	/*
	 * Pages 4-5 are one preserved block: preserving pages 2-5 (blocks
	 * 2-3 and 4-5) fails on the second block and takes back the first.
	 */
	KUNIT_ASSERT_EQ(test, kho_preserve_pages(page + 4, 2), 0);
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(page + 2, 4), -EEXIST);
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(page + 2, 2), 0);
	kho_unpreserve_pages(page + 2, 2);
	kho_unpreserve_pages(page + 4, 2);
}

/* Order of the split allocations below: 16 pages, each an order-0 folio. */
#define KHO_KUNIT_SPLIT_ORDER	4
#define KHO_KUNIT_SPLIT_PAGES	BIT(KHO_KUNIT_SPLIT_ORDER)

static void kho_kunit_free_split(void *page)
{
	unsigned int i;

	for (i = 0; i < KHO_KUNIT_SPLIT_PAGES; i++)
		__free_page((struct page *)page + i);
}

/*
 * 16 naturally aligned pages, split so that each is an order-0 folio of
 * its own: folios inside a range the test owns.
 */
static struct page *kho_kunit_alloc_split(struct kunit *test)
{
	struct page *page = alloc_pages(GFP_KERNEL, KHO_KUNIT_SPLIT_ORDER);

	KUNIT_ASSERT_NOT_NULL(test, page);
	split_page(page, KHO_KUNIT_SPLIT_ORDER);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, kho_kunit_free_split,
							page), 0);
	return page;
}

/*
 * Whether no page of @page[0..@nr) is preserved: each one can be preserved
 * alone (and is unpreserved again).
 */
static bool kho_kunit_none_preserved(struct kunit *test, struct page *page,
				     unsigned int nr)
{
	bool none = true;
	unsigned int i;

	for (i = 0; i < nr; i++) {
		int err = kho_preserve_pages(page + i, 1);

		if (err) {
			kunit_info(test, "page %u: %d\n", i, err);
			none = false;
			continue;
		}
		kho_unpreserve_pages(page + i, 1);
	}
	return none;
}

/* A folio inside a preserved range shares its pages: refused. */
static void kho_preserve_folio_inside_pages_fails(struct kunit *test)
{
	struct page *page;
	unsigned int i;

	kho_kunit_need_kho(test);
	page = kho_kunit_alloc_split(test);

	/* One order-4 block. */
	KUNIT_ASSERT_EQ(test, kho_preserve_pages(page, KHO_KUNIT_SPLIT_PAGES), 0);
	for (i = 0; i < KHO_KUNIT_SPLIT_PAGES; i++)
		KUNIT_EXPECT_EQ_MSG(test, kho_preserve_folio(page_folio(page + i)),
				    -EEXIST, "folio %u", i);
	/* Nor a part of the range again. */
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(page + 4, 4), -EEXIST);
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(page + 15, 1), -EEXIST);
	kho_unpreserve_pages(page, KHO_KUNIT_SPLIT_PAGES);
	/* Nothing of the failed calls stayed behind. */
	KUNIT_EXPECT_TRUE(test, kho_kunit_none_preserved(test, page, KHO_KUNIT_SPLIT_PAGES));
}

/*
 * A range over a preserved folio is refused whole, with the folio in its
 * first, a middle or its last block, and leaves the folio preserved.
 */
static void kho_preserve_pages_over_folio_fails(struct kunit *test)
{
	/* Folio, first page and length of the range. */
	static const unsigned int cases[][3] = {
		{ 0, 0, 3 },	/* blocks 0-1, 2: the first fails */
		{ 5, 1, 15 },	/* blocks 1, 2-3, 4-7, 8-15: the third */
		{ 15, 1, 15 },	/* the last */
		{ 13, 0, 16 },	/* one order-4 block */
	};
	struct folio *folio;
	struct page *page;
	unsigned int i;

	kho_kunit_need_kho(test);
	page = kho_kunit_alloc_split(test);

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		folio = page_folio(page + cases[i][0]);
		KUNIT_ASSERT_EQ(test, kho_preserve_folio(folio), 0);
		KUNIT_EXPECT_EQ_MSG(test, kho_preserve_pages(page + cases[i][1], cases[i][2]),
				    -EEXIST, "case %u", i);
		KUNIT_EXPECT_EQ_MSG(test, kho_preserve_folio(folio), -EEXIST, "case %u", i);
		kho_unpreserve_folio(folio);
		KUNIT_EXPECT_TRUE_MSG(test, kho_kunit_none_preserved(test, page,
								     KHO_KUNIT_SPLIT_PAGES),
				      "case %u", i);
	}
}

/* Ranges and folios right next to preserved ones, sharing no page, go in. */
static void kho_preserve_adjacent_blocks_succeed(struct kunit *test)
{
	struct page *page;

	kho_kunit_need_kho(test);
	page = kho_kunit_alloc_split(test);

	KUNIT_ASSERT_EQ(test, kho_preserve_folio(page_folio(page + 5)), 0);
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(page, 5), 0);
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(page + 6, 2), 0);
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(page + 8, 8), 0);
	kho_unpreserve_pages(page + 8, 8);
	kho_unpreserve_pages(page + 6, 2);
	kho_unpreserve_pages(page, 5);
	kho_unpreserve_folio(page_folio(page + 5));
	KUNIT_EXPECT_TRUE(test, kho_kunit_none_preserved(test, page, KHO_KUNIT_SPLIT_PAGES));
}

/*
 * A range of several blocks that fails on its last block takes back the
 * blocks it added before: pages 1-15 are blocks 1, 2-3, 4-7 and 8-15, and
 * page 13 is preserved.
 */
static void kho_preserve_pages_rollback_leaves_tracker(struct kunit *test)
{
	struct page *page;

	kho_kunit_need_kho(test);
	page = kho_kunit_alloc_split(test);

	KUNIT_ASSERT_EQ(test, kho_preserve_folio(page_folio(page + 13)), 0);
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(page + 1, 15), -EEXIST);
	/* Pages 1-12 are free again: as one range and one by one. */
	KUNIT_EXPECT_TRUE(test, kho_kunit_none_preserved(test, page, 13));
	KUNIT_EXPECT_EQ(test, kho_preserve_pages(page + 1, 12), 0);
	kho_unpreserve_pages(page + 1, 12);
	/* Only the folio is left. */
	KUNIT_EXPECT_EQ(test, kho_preserve_folio(page_folio(page + 13)), -EEXIST);
	kho_unpreserve_folio(page_folio(page + 13));
	KUNIT_EXPECT_TRUE(test, kho_kunit_none_preserved(test, page, KHO_KUNIT_SPLIT_PAGES));
}

static void kho_is_preserved_false_without_handover(struct kunit *test)
{
	void *mem;

	kho_kunit_need_kho(test);
	kho_kunit_need_cold_boot(test);
	/* Only memory of the previous kernel counts, not our own. */
	mem = kho_kunit_alloc_preserve(test, PAGE_SIZE);
	KUNIT_EXPECT_FALSE(test, kho_is_preserved(virt_to_phys(mem), 1));
	KUNIT_EXPECT_FALSE(test, kho_is_preserved(0, 1));
}

/* Nothing of this kernel is an incoming block; restoring it fails quietly. */
static void kho_restore_without_handover_fails(struct kunit *test)
{
	void *mem;

	kho_kunit_need_kho(test);
	kho_kunit_need_cold_boot(test);
	mem = kho_kunit_alloc_preserve(test, 2 * PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, kho_preserved_order(virt_to_phys(mem)), -ENOENT);
	KUNIT_EXPECT_EQ(test, kho_preserved_order(virt_to_phys(mem) + 1), -ENOENT);
	KUNIT_EXPECT_NULL(test, kho_restore_folio(virt_to_phys(mem)));
	KUNIT_EXPECT_NULL(test, kho_restore_folio(virt_to_phys(mem) + PAGE_SIZE));
	KUNIT_EXPECT_NULL(test, kho_restore_pages(virt_to_phys(mem), 2));
	KUNIT_EXPECT_NULL(test, kho_restore_hugetlb_folio(virt_to_phys(mem), 1));
	KUNIT_EXPECT_NULL(test, kho_restore_hugetlb_folio(virt_to_phys(mem), 0));
	/* Untouched: still this kernel's preserved folio. */
	KUNIT_EXPECT_EQ(test, kho_preserve_folio(virt_to_folio(mem)), -EEXIST);
}

/*
 * A folio above MAX_PAGE_ORDER that is not a hugetlb folio is refused:
 * only hugetlb can take a gigantic folio back in the next kernel
 * (kho_restore_hugetlb_folio()). No such folio can be allocated here, so
 * a fake one (a head page and the order in the second page, no page type)
 * is used; the order is checked before anything else of the folio is
 * looked at.
 */
static void kho_preserve_folio_rejects_huge_order(struct kunit *test)
{
	struct page *fake;
	struct folio *folio;

	kho_kunit_need_kho(test);
	fake = kunit_kcalloc(test, 2, sizeof(*fake), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fake);
	__set_bit(PG_head, &fake[0].flags);
	folio = (struct folio *)fake;
	folio->_flags_1 = MAX_PAGE_ORDER + 1;
	KUNIT_ASSERT_EQ(test, folio_order(folio), MAX_PAGE_ORDER + 1);
	KUNIT_EXPECT_EQ(test, kho_preserve_folio(folio), -EINVAL);
}

static void kho_retrieve_subtree_without_handover_fails(struct kunit *test)
{
	phys_addr_t phys = 0;
	size_t size = 0;

	kho_kunit_need_cold_boot(test);
	KUNIT_EXPECT_EQ(test, kho_retrieve_subtree("LUO", &phys, &size), -ENOENT);
	KUNIT_EXPECT_EQ(test, kho_retrieve_subtree(KHO_KUNIT_SUBTREE, &phys, NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, phys, 0);
	KUNIT_EXPECT_EQ(test, size, 0);
}

KUNIT_DEFINE_ACTION_WRAPPER(kho_kunit_remove_subtree, kho_remove_subtree, void *);

static void kho_add_subtree_duplicate_fails(struct kunit *test)
{
	void *blob, *other;

	kho_kunit_need_kho(test);
	blob = kho_kunit_alloc_preserve(test, PAGE_SIZE);
	other = kho_kunit_alloc_preserve(test, PAGE_SIZE);

	KUNIT_ASSERT_EQ(test, kho_add_subtree(KHO_KUNIT_SUBTREE, blob, 8), 0);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, kho_kunit_remove_subtree,
							blob), 0);
	KUNIT_EXPECT_EQ(test, kho_add_subtree(KHO_KUNIT_SUBTREE, other, 8), -EEXIST);
	KUNIT_EXPECT_EQ(test, kho_add_subtree(KHO_KUNIT_SUBTREE, blob, 8), -EEXIST);

	/* Removing a blob that was never added changes nothing. */
	kho_remove_subtree(other);
	KUNIT_EXPECT_EQ(test, kho_add_subtree(KHO_KUNIT_SUBTREE, other, 8), -EEXIST);

	kho_remove_subtree(blob);
	KUNIT_EXPECT_EQ(test, kho_add_subtree(KHO_KUNIT_SUBTREE, other, 8), 0);
	kho_remove_subtree(other);
}

/*
 * Fill the one-page root FDT: the add that does not fit fails with
 * -ENOMEM and leaves nothing behind (the FDT still takes the same name once
 * there is room again), and every subtree added before is intact.
 */
static void kho_add_subtree_full_fdt(struct kunit *test)
{
	const unsigned int max = 512;
	unsigned int n, i;
	char name[32];
	int err = 0;
	char *blob;

	kho_kunit_need_kho(test);
	blob = kho_kunit_alloc_preserve(test, PAGE_SIZE);
	/* Long names fill the page after a few dozen nodes. */
	for (n = 0; n < max; n++) {
		snprintf(name, sizeof(name), "kho_kunit_full_%04u_xxxxxxxx", n);
		err = kho_add_subtree(name, blob + n, 8);
		if (err)
			break;
	}
	KUNIT_EXPECT_EQ(test, err, -ENOMEM);
	KUNIT_EXPECT_LT(test, n, max);
	KUNIT_EXPECT_GT(test, n, 0);
	/* The failed name was not half added: it fails the same way again. */
	KUNIT_EXPECT_EQ(test, kho_add_subtree(name, blob + n, 8), -ENOMEM);
	/* Every earlier one is still there. */
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "kho_kunit_full_%04u_xxxxxxxx", i);
		KUNIT_EXPECT_EQ_MSG(test, kho_add_subtree(name, blob + max, 8), -EEXIST,
				    "subtree %u", i);
	}
	/* With room again (two removed), the failed name goes in. */
	if (n >= 2) {
		KUNIT_EXPECT_EQ(test, kho_remove_subtree(blob), 0);
		KUNIT_EXPECT_EQ(test, kho_remove_subtree(blob + 1), 0);
		snprintf(name, sizeof(name), "kho_kunit_full_%04u_xxxxxxxx", n);
		KUNIT_EXPECT_EQ(test, kho_add_subtree(name, blob + n, 8), 0);
		KUNIT_EXPECT_EQ(test, kho_remove_subtree(blob + n), 0);
	}
	for (i = 0; i < n; i++)
		kho_remove_subtree(blob + i);
}

static void *kho_kunit_vmalloc(struct kunit *test, void *ptr)
{
	KUNIT_ASSERT_NOT_NULL(test, ptr);
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, kho_kunit_vfree, ptr), 0);
	return ptr;
}

/*
 * Check a descriptor against the area: every run, in order, preserved;
 * every chunk page preserved. Returns the number of chunks.
 */
static unsigned int kho_kunit_check_vmalloc(struct kunit *test, void *ptr,
					    const struct kho_vmalloc *kv)
{
	unsigned long step = 1UL << kv->order, nr = 0;
	struct kho_vmalloc_chunk *chunk;
	unsigned int i, chunks = 0;
	struct page *page;

	for (chunk = KHOSER_LOAD_PTR(kv->first); chunk;
	     chunk = KHOSER_LOAD_PTR(chunk->hdr.next)) {
		chunks++;
		KUNIT_EXPECT_EQ(test, kho_preserve_folio(virt_to_folio(chunk)), -EEXIST);
		for (i = 0; i < KHO_VMALLOC_SIZE && chunk->phys[i]; i++) {
			page = vmalloc_to_page(ptr + nr * PAGE_SIZE);
			KUNIT_ASSERT_LT(test, nr, kv->total_pages);
			KUNIT_EXPECT_EQ_MSG(test, chunk->phys[i], page_to_phys(page),
					    "run at page %lu", nr);
			KUNIT_EXPECT_TRUE_MSG(test, IS_ALIGNED(chunk->phys[i],
							       PAGE_SIZE << kv->order),
					      "run at page %lu", nr);
			KUNIT_EXPECT_EQ_MSG(test, kho_preserve_pages(page, step), -EEXIST,
					    "run at page %lu", nr);
			nr += step;
		}
	}
	KUNIT_EXPECT_EQ(test, nr, kv->total_pages);
	return chunks;
}

static void kho_preserve_vmalloc_lists_every_page(struct kunit *test)
{
	unsigned int nr = 2 * KHO_VMALLOC_SIZE + 78;
	struct kho_vmalloc kv, again;
	unsigned int i;
	void *ptr;

	kho_kunit_need_kho(test);
	ptr = kho_kunit_vmalloc(test, vmalloc(nr * PAGE_SIZE));
	KUNIT_ASSERT_EQ(test, kho_preserve_vmalloc(ptr, &kv), 0);
	KUNIT_EXPECT_EQ(test, kv.total_pages, nr);
	KUNIT_EXPECT_EQ(test, kv.order, 0);
	KUNIT_EXPECT_EQ(test, kv.flags, KHO_VMALLOC_ALLOC);
	KUNIT_EXPECT_EQ(test, kho_kunit_check_vmalloc(test, ptr, &kv), 3);
	/* Preserving the area twice fails and keeps the first preservation. */
	KUNIT_EXPECT_EQ(test, kho_preserve_vmalloc(ptr, &again), -EEXIST);
	KUNIT_EXPECT_EQ(test, again.first.phys, 0);
	KUNIT_EXPECT_EQ(test, kho_kunit_check_vmalloc(test, ptr, &kv), 3);

	kho_unpreserve_vmalloc(&kv);
	KUNIT_EXPECT_EQ(test, kv.first.phys, 0);
	KUNIT_EXPECT_EQ(test, kv.total_pages, 0);
	/* Nothing of the area is preserved any more. */
	for (i = 0; i < nr; i++) {
		struct page *page = vmalloc_to_page(ptr + i * PAGE_SIZE);

		KUNIT_ASSERT_EQ_MSG(test, kho_preserve_pages(page, 1), 0, "page %u", i);
		kho_unpreserve_pages(page, 1);
	}
}

static void kho_preserve_vmalloc_huge_records_order(struct kunit *test)
{
	struct kho_vmalloc kv;
	void *ptr;

	kho_kunit_need_kho(test);
	ptr = kho_kunit_vmalloc(test, vmalloc_huge(SZ_4M, GFP_KERNEL));
	KUNIT_ASSERT_EQ(test, kho_preserve_vmalloc(ptr, &kv), 0);
	KUNIT_EXPECT_EQ(test, kv.total_pages, SZ_4M / PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, kv.flags, KHO_VMALLOC_ALLOC | KHO_VMALLOC_HUGE_VMAP);
	/* Huge mappings are best effort: order 0 is a valid outcome. */
	KUNIT_EXPECT_TRUE_MSG(test, kv.order == 0 || kv.order == PMD_SHIFT - PAGE_SHIFT,
			      "order %u", kv.order);
	kunit_info(test, "4 MiB vmalloc_huge() area mapped with order %u\n", kv.order);
	KUNIT_EXPECT_EQ(test, kho_kunit_check_vmalloc(test, ptr, &kv),
			DIV_ROUND_UP(kv.total_pages >> kv.order, KHO_VMALLOC_SIZE));
	kho_unpreserve_vmalloc(&kv);
}

static void kho_preserve_vmalloc_rejects_other_memory(struct kunit *test)
{
	struct kho_vmalloc kv;
	struct page *page;
	void *ptr, *buf;

	kho_kunit_need_kho(test);
	ptr = kho_kunit_vmalloc(test, vmalloc(4 * PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, kho_preserve_vmalloc(ptr + PAGE_SIZE, &kv), -EINVAL);
	buf = kunit_kzalloc(test, 64, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_EXPECT_EQ(test, kho_preserve_vmalloc(buf, &kv), -EINVAL);

	/* Areas with other flags: user-mappable vmalloc, vmap(). */
	ptr = kho_kunit_vmalloc(test, vmalloc_user(PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, kho_preserve_vmalloc(ptr, &kv), -EOPNOTSUPP);
	page = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, page);
	ptr = vmap(&page, 1, VM_MAP, PAGE_KERNEL);
	if (ptr) {
		KUNIT_EXPECT_EQ(test, kho_preserve_vmalloc(ptr, &kv), -EOPNOTSUPP);
		vunmap(ptr);
	}
	__free_page(page);
	KUNIT_EXPECT_NOT_NULL(test, ptr);
}

static void kho_restore_vmalloc_rejects_bad_descriptor(struct kunit *test)
{
	static const struct kho_vmalloc bad[] = {
		{ .total_pages = 1, .flags = 0 },
		{ .total_pages = 1, .flags = KHO_VMALLOC_ALLOC | 0x4 },
		{ .total_pages = 1, .flags = KHO_VMALLOC_ALLOC | 0x8000 },
		{ .total_pages = 0, .flags = KHO_VMALLOC_ALLOC },
		{ .total_pages = 1024, .flags = KHO_VMALLOC_ALLOC,
		  .order = MAX_PAGE_ORDER + 1 },
		{ .total_pages = 3, .flags = KHO_VMALLOC_ALLOC, .order = 1 },
		{ .total_pages = U32_MAX, .flags = KHO_VMALLOC_ALLOC },
		{ .total_pages = 1, .flags = KHO_VMALLOC_ALLOC },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		KUNIT_EXPECT_NULL_MSG(test, kho_restore_vmalloc(&bad[i]), "descriptor %u", i);
}

static void kho_restore_vmalloc_rejects_unpreserved_chunks(struct kunit *test)
{
	struct kho_vmalloc kv;
	void *ptr;

	kho_kunit_need_kho(test);
	kho_kunit_need_cold_boot(test);
	/* A real descriptor, but of this kernel: nothing is incoming. */
	ptr = kho_kunit_vmalloc(test, vmalloc(8 * PAGE_SIZE));
	KUNIT_ASSERT_EQ(test, kho_preserve_vmalloc(ptr, &kv), 0);
	KUNIT_EXPECT_NULL(test, kho_restore_vmalloc(&kv));
	/* Nothing was touched. */
	KUNIT_EXPECT_EQ(test, kho_kunit_check_vmalloc(test, ptr, &kv), 1);
	kho_unpreserve_vmalloc(&kv);
}

static struct kunit_case kho_test_cases[] = {
	KUNIT_CASE(kho_alloc_preserve_zero_size_fails),
	KUNIT_CASE(kho_alloc_preserve_too_big_fails),
	KUNIT_CASE(kho_alloc_preserve_gives_zeroed_preserved_folio),
	KUNIT_CASE(kho_preserve_folio_twice_fails),
	KUNIT_CASE(kho_preserve_pages_zero_pages_fails),
	KUNIT_CASE(kho_preserve_pages_failure_preserves_nothing),
	KUNIT_CASE(kho_preserve_folio_inside_pages_fails),
	KUNIT_CASE(kho_preserve_pages_over_folio_fails),
	KUNIT_CASE(kho_preserve_adjacent_blocks_succeed),
	KUNIT_CASE(kho_preserve_pages_rollback_leaves_tracker),
	KUNIT_CASE(kho_is_preserved_false_without_handover),
	KUNIT_CASE(kho_restore_without_handover_fails),
	KUNIT_CASE(kho_preserve_folio_rejects_huge_order),
	KUNIT_CASE(kho_retrieve_subtree_without_handover_fails),
	KUNIT_CASE(kho_add_subtree_duplicate_fails),
	KUNIT_CASE(kho_add_subtree_full_fdt),
	KUNIT_CASE(kho_preserve_vmalloc_lists_every_page),
	KUNIT_CASE(kho_preserve_vmalloc_huge_records_order),
	KUNIT_CASE(kho_preserve_vmalloc_rejects_other_memory),
	KUNIT_CASE(kho_restore_vmalloc_rejects_bad_descriptor),
	KUNIT_CASE(kho_restore_vmalloc_rejects_unpreserved_chunks),
	{}
};

static struct kunit_suite kho_test_suite = {
	.name = "kexec_handover",
	.test_cases = kho_test_cases,
};

kunit_test_suite(kho_test_suite);

MODULE_DESCRIPTION("KUnit tests for the Kexec HandOver API");
MODULE_LICENSE("GPL");
