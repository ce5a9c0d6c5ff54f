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
 * A preserved page that never joins the pool (its file's data was
 * rejected and the page left reserved) stays counted: when the last
 * hugetlb file is finished, the number of such pages is logged, and the
 * pool is that much smaller than ``hugepages=`` asked.
 */

#define pr_fmt(fmt) "hugetlb_luo: " fmt

#include <linux/err.h>
#include <linux/hugetlb.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/hugetlb.h>
#include <linux/liveupdate.h>
#include <linux/mutex.h>
#include <linux/numa.h>
#include <linux/slab.h>

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

/* Protects the counts of the incoming blob, which files retrieve at once. */
static DEFINE_MUTEX(hugetlb_luo_pool_in_lock);

/* The blob the previous kernel left at @phys, if it is sound; or NULL. */
static struct hugetlb_luo_pool_ser *hugetlb_luo_pool_incoming(phys_addr_t phys,
							      size_t size)
{
	struct hugetlb_luo_pool_ser *ser;

	if (size != HUGETLB_LUO_POOL_SIZE ||
	    !kho_is_preserved(phys, DIV_ROUND_UP(size, PAGE_SIZE)))
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
	if (!add || ser->nr_entries == HUGETLB_LUO_POOL_MAX_ENTRIES)
		return NULL;
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
 * mm_core_init() after kho_memory_init() or in hugetlb_init(). Logs
 * nothing: a missing or unsound blob counts no page.
 *
 * Return: the number of pages of @order on @nid that preserved hugetlb
 * files hold; 0 if this boot is not a live update.
 */
unsigned long __init hugetlb_luo_boot_pages(unsigned int order, int nid)
{
	struct hugetlb_luo_pool_ser *ser;
	unsigned long pages = 0;
	phys_addr_t phys;
	size_t size;
	u32 i;

	if (kho_retrieve_subtree(HUGETLB_LUO_POOL_COMPATIBLE, &phys, &size))
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

	kho_remove_subtree(pool->ser);
	kho_unpreserve_free(pool->ser);
	kfree(pool);
}

/* In the next kernel: the blob, counting the pages not in a pool yet. */
static int hugetlb_luo_pool_retrieve(struct liveupdate_flb_op_args *args)
{
	struct hugetlb_luo_pool_ser *ser;

	ser = hugetlb_luo_pool_incoming(args->data, HUGETLB_LUO_POOL_SIZE);
	if (!ser) {
		pr_warn_once("incoming pool counts are not sound preserved memory\n");
		return -EINVAL;
	}
	args->obj = ser;
	return 0;
}

static void hugetlb_luo_pool_finish(struct liveupdate_flb_op_args *args)
{
	struct hugetlb_luo_pool_ser *ser = args->obj;
	u32 i;

	for (i = 0; i < ser->nr_entries; i++)
		if (ser->entries[i].pages)
			pr_warn("%llu preserved huge page(s) of order %u on node %u never joined the pool\n",
				ser->entries[i].pages, ser->entries[i].order,
				ser->entries[i].nid);
	kho_restore_free(ser);
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
 * Context: a preserved hugetlb file's callback; the pool FLB is preserved.
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
	if (nr < 0 && e->pages < -nr)
		e->pages = 0;
	else
		e->pages += nr;
}

/**
 * hugetlb_luo_pool_adopted - a preserved page joined the pool
 * @order: the order of the page.
 * @nid: its node.
 *
 * Context: process context, in the next kernel.
 */
void hugetlb_luo_pool_adopted(unsigned int order, int nid)
{
	struct hugetlb_luo_pool_entry *e;
	struct hugetlb_luo_pool_ser *ser;

	if (liveupdate_flb_get_incoming(&hugetlb_luo_pool_flb, (void **)&ser))
		return;
	scoped_guard(mutex, &hugetlb_luo_pool_in_lock) {
		e = hugetlb_luo_pool_entry(ser, order, nid, false);
		if (e && e->pages)
			e->pages--;
	}
	liveupdate_flb_put_incoming(&hugetlb_luo_pool_flb);
}
