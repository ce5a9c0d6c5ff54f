// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: hugetlb pools across a live update
 *
 * The huge pages of preserved hugetlb memfds are pool pages in both
 * kernels. Every preserved hugetlb file depends on one FLB, the pool FLB
 * (%HUGETLB_LUO_POOL_COMPATIBLE), which counts the pages the files hold
 * per page size and NUMA node, in one preserved blob that is also handed
 * over as a KHO subtree of the same name.
 *
 * The next kernel reads the subtree while it allocates its boot pools,
 * before live update starts (the pools of gigantic pages are allocated
 * from memblock): ``hugepages=N`` counts the preserved pages of its size,
 * and only the pages they do not cover are allocated at boot. The
 * preserved pages join the pool when their files are retrieved (in use)
 * or their sessions finished without retrieving them (free), so that a
 * host booted with the same ``hugepages=`` keeps a pool of N pages across
 * updates, whatever its files kept; until then ``HugePages_Total`` is
 * short of them. With ``hugepages=<node>:<pages>`` the rule applies per
 * node. More preserved pages than N are all kept: the pool then has more
 * than N pages.
 *
 * The rule is for boot pools only: a pool sized at run time (the
 * ``vm.nr_hugepages`` sysctl, e.g. from sysctl.conf) is grown on top of
 * the preserved pages, which then come back on top of it; so are pools of
 * ``hugetlb_cma=`` and nodes a ``hugepages=<node>:<pages>`` list leaves
 * out. Counts are kept per node of the preserving kernel: the per-node
 * rule assumes the same NUMA layout in both kernels.
 *
 * A preserved page that never joins the pool (its file's data was
 * rejected and the page left reserved) stays counted. When the last
 * hugetlb file is finished, the number of such pages is logged, and the
 * pool is grown by as many fresh pages as the boot pool left to them, so
 * that it has the ``hugepages=`` pages after all (fewer if memory is short
 * by then, which is logged). The same happens for all of them if live
 * update does not take the handover over: at late_initcall_sync if its
 * data was rejected at boot (or LUO is off), or when the incoming
 * sessions fail to deserialize on the first open of ``/dev/liveupdate``
 * (LUO then finishes the FLBs of the files it gives up). The preserved
 * pages themselves stay reserved in those cases, but for those of the
 * complete sessions LUO finishes before it gives the rest up: they join
 * the pool as usual.
 *
 * Pages that come back after their pool was grown in their stead (the
 * pool FLB's own data was unusable while the files were not) are kept:
 * the pool then has more than N pages.
 *
 * ``hugetlb_luo_boot_pool=off`` turns the rule off: ``hugepages=`` pages
 * are then allocated in full at boot and preserved pages come back on top.
 */

#define pr_fmt(fmt) "hugetlb_luo: " fmt

#include <linux/err.h>
#include <linux/hugetlb.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/hugetlb.h>
#include <linux/kstrtox.h>
#include <linux/liveupdate.h>
#include <linux/lockdep.h>
#include <linux/mutex.h>
#include <linux/nodemask.h>
#include <linux/numa.h>
#include <linux/slab.h>
#include <linux/string_helpers.h>

#include "hugetlb_luo.h"

/**
 * struct hugetlb_luo_pool - the pool FLB's object in the kernel that
 *                           preserves files
 * @lock: protects the contents of @ser.
 * @ser: the preserved blob, also the KHO subtree.
 */
struct hugetlb_luo_pool {
	/* Files of several sessions count pages at once. */
	struct mutex lock;
	struct hugetlb_luo_pool_ser *ser;
};

/*
 * Protects the counts of the incoming blob, which files retrieve at once,
 * and hugetlb_luo_pool_owed.
 */
static DEFINE_MUTEX(hugetlb_luo_pool_in_lock);

/*
 * Per hstate and node: the pages a boot pool left to preserved pages and
 * that have not joined it yet; column %HUGETLB_LUO_ANY_NODE for a pool
 * sized for all nodes at once (hugepages=N). Written at boot, then under
 * hugetlb_luo_pool_in_lock. Like the per-node counts of struct hstate.
 */
#define HUGETLB_LUO_ANY_NODE	MAX_NUMNODES
static unsigned int hugetlb_luo_pool_owed[HUGE_MAX_HSTATE][MAX_NUMNODES + 1];

/* hugetlb_luo_boot_pool=: whether hugepages= counts preserved pages. */
static bool hugetlb_luo_boot_rule __initdata = true;

static int __init hugetlb_luo_boot_pool_setup(char *s)
{
	return kstrtobool(s, &hugetlb_luo_boot_rule);
}
early_param("hugetlb_luo_boot_pool", hugetlb_luo_boot_pool_setup);

/*
 * The blob the previous kernel left at @phys, if it is sound: a whole
 * preserved block of its own, not restored yet, with a sane header; or
 * NULL. Nothing is claimed.
 */
static struct hugetlb_luo_pool_ser *hugetlb_luo_pool_incoming(phys_addr_t phys,
							      size_t size)
{
	struct hugetlb_luo_pool_ser *ser;

	if (size != HUGETLB_LUO_POOL_SIZE ||
	    kho_preserved_order(phys) != get_order(HUGETLB_LUO_POOL_SIZE))
		return NULL;
	ser = phys_to_virt(phys);
	if (ser->nr_entries > HUGETLB_LUO_POOL_MAX_ENTRIES || ser->reserved)
		return NULL;
	return ser;
}

/* The entry of (@order, @nid), or a new one if @add and there is room. */
static struct hugetlb_luo_pool_entry *
hugetlb_luo_pool_entry(struct hugetlb_luo_pool_ser *ser, unsigned int order,
		       int nid, bool add)
{
	struct hugetlb_luo_pool_entry *e;
	u32 i;

	for (i = 0; i < ser->nr_entries; i++) {
		e = &ser->entries[i];
		if (e->order == order && e->nid == nid)
			return e;
	}
	if (!add)
		return NULL;
	if (ser->nr_entries == HUGETLB_LUO_POOL_MAX_ENTRIES) {
		pr_warn_once("more page sizes and nodes than the pool blob holds: the next kernel's boot pool will not count all preserved pages\n");
		return NULL;
	}
	e = &ser->entries[ser->nr_entries++];
	e->order = order;
	e->nid = nid;
	return e;
}

/**
 * hugetlb_luo_boot_pages - huge pages the previous kernel preserved
 * @order: the order of the huge pages.
 * @nid: the node, or %NUMA_NO_NODE for all nodes.
 *
 * For the allocation of the boot pools (hugetlb_hstate_alloc_pages()), in
 * mm_core_init() after kho_memory_init() or in hugetlb_init(). Reads the
 * blob in place, without claiming it (the pool FLB does that later).
 * Logs nothing: a missing or unsound blob counts no page.
 *
 * Return: the number of pages of @order on @nid that preserved hugetlb
 * files hold; 0 if this boot is not a live update, or the rule is off.
 */
unsigned long __init hugetlb_luo_boot_pages(unsigned int order, int nid)
{
	struct hugetlb_luo_pool_ser *ser;
	unsigned long pages = 0;
	phys_addr_t phys;
	size_t size;
	u32 i;

	if (!hugetlb_luo_boot_rule ||
	    kho_retrieve_subtree(HUGETLB_LUO_POOL_COMPATIBLE, &phys, &size))
		return 0;
	ser = hugetlb_luo_pool_incoming(phys, size);
	if (!ser)
		return 0;
	for (i = 0; i < ser->nr_entries; i++) {
		if (ser->entries[i].order != order ||
		    (nid != NUMA_NO_NODE && ser->entries[i].nid != nid))
			continue;
		pages += min_t(u64, ser->entries[i].pages, ULONG_MAX - pages);
	}
	return pages;
}

/**
 * hugetlb_luo_boot_discounted - a boot pool left pages to preserved pages
 * @h: the hstate of the pool.
 * @nid: the node whose count hugepages= gave, or %NUMA_NO_NODE.
 * @pages: how many pages it asked for that were not allocated.
 *
 * Context: boot, when the pool of @h is allocated.
 */
void __init hugetlb_luo_boot_discounted(struct hstate *h, int nid,
					unsigned long pages)
{
	unsigned int *owed = &hugetlb_luo_pool_owed[hstate_index(h)]
			[nid == NUMA_NO_NODE ? HUGETLB_LUO_ANY_NODE : nid];

	*owed = min_t(unsigned long, UINT_MAX, *owed + pages);
}

static struct hstate *hugetlb_luo_pool_hstate(unsigned int order)
{
	struct hstate *h;

	for_each_hstate(h)
		if (huge_page_order(h) == order)
			return h;
	return NULL;
}

/* Take up to @pages from what the pool of @h is owed on column @col. */
static unsigned long hugetlb_luo_pool_take(struct hstate *h, int col,
					   u64 pages)
{
	unsigned int *owed = &hugetlb_luo_pool_owed[hstate_index(h)][col];
	unsigned long n = min_t(u64, pages, *owed);

	lockdep_assert_held(&hugetlb_luo_pool_in_lock);
	*owed -= n;
	return n;
}

/* Grow the pool of @h by @owed pages on @nid (or any node), and say so. */
static void hugetlb_luo_pool_grow(struct hstate *h, int nid,
				  unsigned long owed)
{
	unsigned long added;
	char size[32];

	if (!owed)
		return;
	added = hugetlb_pool_grow(h, nid, owed);
	string_get_size(huge_page_size(h), 1, STRING_UNITS_2, size, sizeof(size));
	if (added == owed)
		pr_info("allocated %lu %s page(s) for the pool in place of preserved pages that did not come back\n",
			added, size);
	else
		pr_warn("allocated only %lu of %lu %s page(s) for the pool in place of preserved pages that did not come back\n",
			added, owed, size);
}

/*
 * Up to @pages preserved pages of @order, of node @nid in the previous
 * kernel, will not join the pool: allocate in their stead the pages the
 * boot pool left to them, on that node if this kernel has memory there.
 */
static void hugetlb_luo_pool_repay(unsigned int order, u32 nid, u64 pages)
{
	struct hstate *h = hugetlb_luo_pool_hstate(order);
	int node = NUMA_NO_NODE;
	unsigned long owed = 0;

	lockdep_assert_held(&hugetlb_luo_pool_in_lock);
	if (!h)
		return;
	if (nid < nr_node_ids && node_state(nid, N_MEMORY)) {
		node = nid;
		owed = hugetlb_luo_pool_take(h, node, pages);
	}
	owed += hugetlb_luo_pool_take(h, HUGETLB_LUO_ANY_NODE, pages - owed);
	hugetlb_luo_pool_grow(h, node, owed);
}

static int hugetlb_luo_pool_preserve(struct liveupdate_flb_op_args *args)
{
	struct hugetlb_luo_pool *pool;
	int err;

	pool = kzalloc(sizeof(*pool), GFP_KERNEL);
	if (!pool)
		return -ENOMEM;
	mutex_init(&pool->lock);

	pool->ser = kho_alloc_preserve(HUGETLB_LUO_POOL_SIZE);
	if (IS_ERR(pool->ser)) {
		err = PTR_ERR(pool->ser);
		goto err_free;
	}
	err = kho_add_subtree(HUGETLB_LUO_POOL_COMPATIBLE, pool->ser,
			      HUGETLB_LUO_POOL_SIZE);
	if (err)
		goto err_unpreserve;

	args->data = virt_to_phys(pool->ser);
	args->obj = pool;
	return 0;

err_unpreserve:
	kho_unpreserve_free(pool->ser);
err_free:
	kfree(pool);
	return err;
}

static void hugetlb_luo_pool_unpreserve(struct liveupdate_flb_op_args *args)
{
	struct hugetlb_luo_pool *pool = args->obj;

	/* Past the point of no return (never expected): keep it handed over. */
	if (!kho_remove_subtree(pool->ser))
		kho_unpreserve_free(pool->ser);
	kfree(pool);
}

/*
 * In the next kernel: a copy of the counts, to count down the pages not
 * in a pool yet; the preserved blob is claimed and freed at once.
 */
static int hugetlb_luo_pool_retrieve(struct liveupdate_flb_op_args *args)
{
	struct hugetlb_luo_pool_ser *ser, *copy;
	struct folio *folio;

	ser = hugetlb_luo_pool_incoming(args->data, HUGETLB_LUO_POOL_SIZE);
	folio = ser ? kho_restore_folio(args->data) : NULL;
	if (!folio) {
		pr_warn_once("incoming pool counts are not a preserved blob of their own\n");
		return -EINVAL;
	}
	/* Claimed: nobody else can change it between the check and the copy. */
	copy = kmemdup(ser, struct_size(ser, entries, ser->nr_entries),
		       GFP_KERNEL);
	folio_put(folio);
	if (!copy)
		return -ENOMEM;
	args->obj = copy;
	return 0;
}

/* No file depends on the pool any more: pages not back will not come. */
static void hugetlb_luo_pool_finish(struct liveupdate_flb_op_args *args)
{
	struct hugetlb_luo_pool_ser *counts = args->obj;
	struct hugetlb_luo_pool_entry *e;
	u32 i;

	guard(mutex)(&hugetlb_luo_pool_in_lock);
	for (i = 0; i < counts->nr_entries; i++) {
		e = &counts->entries[i];
		if (!e->pages)
			continue;
		pr_warn("%llu preserved huge page(s) of order %u (node %u in the previous kernel) never joined the pool\n",
			e->pages, e->order, e->nid);
		hugetlb_luo_pool_repay(e->order, e->nid, e->pages);
	}
	kfree(counts);
}

static const struct liveupdate_flb_ops hugetlb_luo_pool_ops = {
	.preserve = hugetlb_luo_pool_preserve,
	.unpreserve = hugetlb_luo_pool_unpreserve,
	.retrieve = hugetlb_luo_pool_retrieve,
	.finish = hugetlb_luo_pool_finish,
	.owner = THIS_MODULE,
};

struct liveupdate_flb hugetlb_luo_pool_flb = {
	.ops = &hugetlb_luo_pool_ops,
	.compatible = HUGETLB_LUO_POOL_COMPATIBLE,
};

/**
 * hugetlb_luo_pool_count - count preserved pages in or out
 * @order: the order of the huge pages.
 * @nid: their node.
 * @nr: how many were preserved (> 0) or unpreserved (< 0).
 *
 * Context: may sleep; a preserved hugetlb file's preserve, freeze or
 * unpreserve, under its inode lock (which comes before the FLB's lock and
 * &hugetlb_luo_pool.lock); the pool FLB is preserved.
 */
void hugetlb_luo_pool_count(unsigned int order, int nid, long nr)
{
	struct hugetlb_luo_pool_entry *e;
	struct hugetlb_luo_pool *pool;

	if (liveupdate_flb_get_outgoing(&hugetlb_luo_pool_flb, (void **)&pool) ||
	    !pool)
		return;
	guard(mutex)(&pool->lock);
	e = hugetlb_luo_pool_entry(pool->ser, order, nid, nr > 0);
	if (!e)
		return;
	if (WARN_ON_ONCE(nr < 0 && e->pages < -nr))
		e->pages = 0;
	else
		e->pages += nr;
}

/**
 * hugetlb_luo_pool_released - a preserved page is no longer preserved
 * @order: the order of the page.
 * @nid: its node in this kernel.
 *
 * It joined the pool, or went to the page allocator because this kernel
 * has no pool of its size. Counted down on the entry of @nid, or on any
 * entry of @order if the previous kernel's nodes were numbered otherwise;
 * and out of the pages the boot pool left to preserved pages.
 *
 * Context: process context, in the next kernel.
 */
void hugetlb_luo_pool_released(unsigned int order, int nid)
{
	struct hstate *h = hugetlb_luo_pool_hstate(order);
	struct hugetlb_luo_pool_ser *counts;
	struct hugetlb_luo_pool_entry *e;
	u32 i;

	if (h) {
		guard(mutex)(&hugetlb_luo_pool_in_lock);
		if (nid < 0 || nid >= nr_node_ids ||
		    !hugetlb_luo_pool_take(h, nid, 1))
			hugetlb_luo_pool_take(h, HUGETLB_LUO_ANY_NODE, 1);
	}
	if (liveupdate_flb_get_incoming(&hugetlb_luo_pool_flb, (void **)&counts))
		return;
	scoped_guard(mutex, &hugetlb_luo_pool_in_lock) {
		e = hugetlb_luo_pool_entry(counts, order, nid, false);
		if (!e || !e->pages) {
			e = NULL;
			for (i = 0; !e && i < counts->nr_entries; i++)
				if (counts->entries[i].order == order &&
				    counts->entries[i].pages)
					e = &counts->entries[i];
		}
		if (e && e->pages)
			e->pages--;
	}
	liveupdate_flb_put_incoming(&hugetlb_luo_pool_flb);
}

/* Whether a boot pool is owed preserved pages. */
static bool __init hugetlb_luo_pool_owes(void)
{
	struct hstate *h;
	int col;

	for_each_hstate(h)
		for (col = 0; col <= HUGETLB_LUO_ANY_NODE; col++)
			if (hugetlb_luo_pool_owed[hstate_index(h)][col])
				return true;
	return false;
}

/*
 * If live update did not take the handover over (LUO is off, or rejected
 * its data at boot), no file will bring the preserved pages back: allocate
 * what the boot pools left to them now. This runs after luo_late_stop()
 * (both are late_initcall_sync; kernel/ links before mm/), which discards
 * the sessions of a consistent handover with liveupdate=off and so
 * finishes the pool FLB itself; either order would do, since the FLB is
 * then still taken over here.
 */
static int __init hugetlb_luo_pool_late(void)
{
	struct hugetlb_luo_pool_ser *counts;
	struct hstate *h;
	int err, nid;

	if (!hugetlb_luo_pool_owes())
		return 0;

	err = liveupdate_flb_get_incoming(&hugetlb_luo_pool_flb, (void **)&counts);
	if (!err) {
		liveupdate_flb_put_incoming(&hugetlb_luo_pool_flb);
		return 0;
	}
	pr_warn("live update did not take the preserved huge pages over (%pe)\n",
		ERR_PTR(err));
	guard(mutex)(&hugetlb_luo_pool_in_lock);
	for_each_hstate(h) {
		for_each_node_state(nid, N_MEMORY)
			hugetlb_luo_pool_grow(h, nid,
					      hugetlb_luo_pool_take(h, nid, U64_MAX));
		hugetlb_luo_pool_grow(h, NUMA_NO_NODE,
				      hugetlb_luo_pool_take(h, HUGETLB_LUO_ANY_NODE,
							    U64_MAX));
	}
	return 0;
}
late_initcall_sync(hugetlb_luo_pool_late);
