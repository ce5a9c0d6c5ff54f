// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: memfd preservation
 *
 * The memfd file handler keeps a memfd across a live update without
 * copying it: the folios of the file are preserved with KHO and put back
 * into the page cache of a new memfd in the next kernel.
 *
 * Preserving a memfd (%LIVEUPDATE_SESSION_PRESERVE_FD) freezes its size:
 * truncate, fallocate and writes beyond the end fail with ``EPERM`` until
 * the session is closed. Every folio the file has is pinned, which brings
 * swapped-out pages back and moves pages out of KHO scratch memory, and is
 * preserved. Holes stay holes: they cost nothing and read as zeroes again
 * in the next kernel. A folio the file gets later, by a write into a hole
 * or a fault, is picked up when the session is frozen at reboot, so no
 * write made before the reboot is lost.
 *
 * Kept across the live update: the contents, the size, the file position
 * and the seals; the file is opened ``O_RDWR | O_LARGEFILE`` and always
 * allows sealing (unless sealed against it). Not kept: the name, the
 * close-on-exec flag, mappings, and the other memfd_create() flags.
 * Hugetlb memfds and named tmpfs files cannot be preserved.
 *
 * The restored folios are charged to the memory cgroup of the task that
 * retrieves the file. If the file is never retrieved, finishing its
 * session frees them.
 */

#define pr_fmt(fmt) "memfd_luo: " fmt

#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/memfd.h>
#include <linux/liveupdate.h>
#include <linux/memcontrol.h>
#include <linux/memfd.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rcupdate_wait.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>
#include <uapi/linux/memfd.h>

#include "internal.h"

/**
 * struct memfd_luo - a preserved memfd, in the kernel that preserves it
 * @ser: the preserved header, handed over.
 * @folios: every pinned and preserved folio, by its index in the file.
 * @nr_folios: number of entries in @folios.
 * @nr_pages: number of pages in @folios.
 * @records: the preserved array of records, describing @nr_folios folios.
 *
 * Protected by the inode lock of the file.
 */
struct memfd_luo {
	struct memfd_luo_ser *ser;
	struct xarray folios;
	u64 nr_folios;
	unsigned long nr_pages;
	struct memfd_luo_folio_ser *records;
};

static bool memfd_luo_can_preserve(struct liveupdate_file_handler *handler,
				   struct file *file)
{
	struct inode *inode = file_inode(file);

	/* A memfd, or an unlinked tmpfs file: nothing else can see it. */
	return shmem_file(file) && !inode->i_nlink;
}

static unsigned long memfd_luo_get_id(struct file *file)
{
	return (unsigned long)file_inode(file);
}

/*
 * Folios pinned, preserved and recorded at a time, and records restored and
 * inserted at a time: enough to spread the cost of each call and lock over
 * many 4 KiB folios, small enough for the stack.
 */
#define MEMFD_LUO_BATCH		64

/*
 * Find the first run of adjacent page-cache entries (folios or swap entries)
 * at or after *@start that are not preserved yet, at most %MEMFD_LUO_BATCH
 * entries long. Sets *@start to the first index of the run.
 *
 * Return: the number of pages the run covers; 0 if there is none.
 */
static pgoff_t memfd_luo_next_run(struct memfd_luo *mf,
				  struct address_space *mapping, pgoff_t *start)
{
	XA_STATE(xas, &mapping->i_pages, *start);
	pgoff_t first = 0, next = 0;
	unsigned int nr = 0;
	void *entry;

	rcu_read_lock();
	xas_for_each(&xas, entry, ULONG_MAX) {
		pgoff_t index, pages;

		if (xas_retry(&xas, entry))
			continue;
		/* A multi-index entry shows once, at its first index. */
		pages = 1UL << xas_get_order(&xas);
		index = round_down(xas.xa_index, pages);
		if (nr && index != next)
			break;
		if (!mf->nr_folios || !xa_load(&mf->folios, index)) {
			if (!nr)
				first = index;
			next = index + pages;
			if (++nr == MEMFD_LUO_BATCH)
				break;
		} else if (nr) {
			break;
		}
		if (need_resched()) {
			xas_pause(&xas);
			cond_resched_rcu();
		}
	}
	rcu_read_unlock();

	*start = first;
	return next - first;
}

/*
 * Make a pinned folio ready to be taken over as it is: a folio that
 * fallocate() added and nothing wrote yet is not up to date, it reads as
 * zeroes, so make that real. It has no backing store but swap, so it is
 * dirty. The page cache keeps both flags once set, so only a folio that
 * lacks one needs the lock.
 */
static void memfd_luo_prepare_folio(struct folio *folio)
{
	if (folio_test_uptodate(folio) && folio_test_dirty(folio))
		return;

	folio_lock(folio);
	if (!folio_test_uptodate(folio)) {
		folio_zero_range(folio, 0, folio_size(folio));
		flush_dcache_folio(folio);
		folio_mark_uptodate(folio);
	}
	folio_mark_dirty(folio);
	folio_unlock(folio);
}

/* Record @nr preserved folios in @mf->folios, by index, under one lock. */
static int memfd_luo_store_folios(struct memfd_luo *mf, struct folio **folios,
				  unsigned int nr)
{
	XA_STATE(xas, &mf->folios, 0);
	unsigned int i = 0;

	do {
		xas_lock(&xas);
		for (; i < nr; i++) {
			xas_set(&xas, folios[i]->index);
			xas_store(&xas, folios[i]);
			if (xas_error(&xas))
				break;
		}
		xas_unlock(&xas);
	} while (xas_nomem(&xas, GFP_KERNEL));

	if (xas_error(&xas)) {
		/* Forget the ones stored: the caller unpins them all. */
		while (i--)
			xa_erase(&mf->folios, folios[i]->index);
		return xas_error(&xas);
	}
	return 0;
}

/*
 * Pin and preserve the folios of the run of @nr pages at @index found by
 * memfd_luo_next_run(), or the first of them. Sets *@index past the last
 * folio handled.
 */
static int memfd_luo_add_run(struct memfd_luo *mf, struct file *file,
			     pgoff_t *index, pgoff_t nr)
{
	loff_t start = (loff_t)*index << PAGE_SHIFT;
	loff_t end = (loff_t)(*index + nr) << PAGE_SHIFT;
	struct folio *folios[MEMFD_LUO_BATCH];
	unsigned int i, n = 0;
	pgoff_t offset;
	long pinned;
	int err;

	/*
	 * The run holds no hole (memfd_pin_folios() would fill it). Nothing
	 * beyond the end of the file is kept (or can be pinned).
	 */
	end = min_t(loff_t, end, i_size_read(file_inode(file)));
	if (start >= end) {
		*index += nr;
		return 0;
	}

	pinned = memfd_pin_folios(file, start, end - 1, folios,
				  MEMFD_LUO_BATCH, &offset);
	if (pinned < 0)
		return pinned;
	if (!pinned)
		return -EIO;
	*index = folio_next_index(folios[pinned - 1]);

	/* A folio preserved already (found again after a split) stays so. */
	for (i = 0; i < pinned; i++) {
		if (mf->nr_folios && xa_load(&mf->folios, folios[i]->index))
			unpin_folio(folios[i]);
		else
			folios[n++] = folios[i];
	}

	for (i = 0; i < n; i++) {
		err = kho_preserve_folio(folios[i]);
		if (err)
			goto err_unpreserve;
	}

	err = memfd_luo_store_folios(mf, folios, n);
	if (err)
		goto err_unpreserve;

	for (i = 0; i < n; i++) {
		memfd_luo_prepare_folio(folios[i]);
		mf->nr_pages += folio_nr_pages(folios[i]);
	}
	mf->nr_folios += n;
	return 0;

err_unpreserve:
	while (i--)
		kho_unpreserve_folio(folios[i]);
	unpin_folios(folios, n);
	return err;
}

/*
 * Preserve every folio of the file that is not preserved yet, whether in
 * the page cache or in swap. Holes are left alone: only runs of populated
 * indices are handed to memfd_pin_folios(), which would fill a hole.
 * A large folio can go to swap whole, as one multi-index swap entry: its
 * run covers all its pages, and memfd_pin_folios() brings them back one
 * by one.
 */
static int memfd_luo_add_folios(struct memfd_luo *mf, struct file *file)
{
	struct address_space *mapping = file->f_mapping;
	pgoff_t index = 0, nr;
	int err;

	while ((nr = memfd_luo_next_run(mf, mapping, &index))) {
		err = memfd_luo_add_run(mf, file, &index, nr);
		if (err)
			return err;
		cond_resched();
	}
	return 0;
}

/* Unpreserve and unpin every folio of @mf. */
static void memfd_luo_remove_folios(struct memfd_luo *mf)
{
	struct folio *folio;
	unsigned long index;

	xa_for_each(&mf->folios, index, folio) {
		kho_unpreserve_folio(folio);
		unpin_folio(folio);
	}
	xa_destroy(&mf->folios);
	mf->nr_folios = 0;
	mf->nr_pages = 0;
}

/*
 * Describe the folios of @mf in a new preserved array, and release the
 * previous one. On error the previous array stays in place.
 */
static int memfd_luo_write_records(struct memfd_luo *mf)
{
	XA_STATE(xas, &mf->folios, 0);
	struct memfd_luo_folio_ser *records;
	struct kho_vmalloc desc = {};
	struct folio *folio;
	u64 i = 0;
	int err;

	if (mf->nr_folios) {
		records = vcalloc(mf->nr_folios, sizeof(*records));
		if (!records)
			return -ENOMEM;

		/* One pass over the xarray, not a lookup per folio. */
		rcu_read_lock();
		xas_for_each(&xas, folio, ULONG_MAX) {
			if (xas_retry(&xas, folio))
				continue;
			records[i].pfn = folio_pfn(folio);
			records[i].flags = MEMFD_LUO_FOLIO_DIRTY |
					   MEMFD_LUO_FOLIO_UPTODATE;
			records[i].index = xas.xa_index;
			i++;
			if (need_resched()) {
				xas_pause(&xas);
				cond_resched_rcu();
			}
		}
		rcu_read_unlock();

		err = kho_preserve_vmalloc(records, &desc);
		if (err) {
			vfree(records);
			return err;
		}
	} else {
		records = NULL;
	}

	if (mf->records) {
		kho_unpreserve_vmalloc(&mf->ser->folios);
		vfree(mf->records);
	}
	mf->records = records;
	mf->ser->folios = desc;
	mf->ser->nr_folios = mf->nr_folios;
	return 0;
}

static int memfd_luo_preserve(struct liveupdate_file_op_args *args)
{
	struct file *file = args->file;
	struct inode *inode = file_inode(file);
	struct memfd_luo_ser *ser;
	struct memfd_luo *mf;
	int seals, err;

	mf = kzalloc(sizeof(*mf), GFP_KERNEL);
	if (!mf)
		return -ENOMEM;
	xa_init(&mf->folios);

	ser = kho_alloc_preserve(sizeof(*ser));
	if (IS_ERR(ser)) {
		err = PTR_ERR(ser);
		goto err_free;
	}
	mf->ser = ser;

	inode_lock(inode);
	shmem_freeze(inode, true);

	seals = memfd_get_seals(file);
	if (seals < 0) {
		err = seals;
		goto err_unfreeze;
	}
	if (seals & ~MEMFD_LUO_ALL_SEALS) {
		err = -EOPNOTSUPP;
		goto err_unfreeze;
	}

	ser->size = i_size_read(inode);
	if (DIV_ROUND_UP_ULL(ser->size, PAGE_SIZE) > UINT_MAX) {
		err = -EFBIG;
		goto err_unfreeze;
	}
	ser->seals = seals;
	ser->pos = file->f_pos;

	err = memfd_luo_add_folios(mf, file);
	if (err)
		goto err_remove;

	err = memfd_luo_write_records(mf);
	if (err)
		goto err_remove;

	inode_unlock(inode);

	args->serialized_data = virt_to_phys(ser);
	args->private_data = mf;
	return 0;

err_remove:
	memfd_luo_remove_folios(mf);
err_unfreeze:
	shmem_freeze(inode, false);
	inode_unlock(inode);
	kho_unpreserve_free(ser);
err_free:
	kfree(mf);
	return err;
}

/*
 * Pick up the folios the file got since it was preserved. This runs in the
 * reboot, so skip the walk when the file has exactly the pages that were
 * preserved: none can have gone (the size is frozen, and preserved folios
 * are pinned), so any new one shows in the page count.
 */
static int memfd_luo_freeze(struct liveupdate_file_op_args *args)
{
	struct inode *inode = file_inode(args->file);
	struct memfd_luo *mf = args->private_data;
	u64 nr_folios = mf->nr_folios;
	int err = 0;

	inode_lock(inode);
	if (READ_ONCE(inode->i_mapping->nrpages) +
	    READ_ONCE(SHMEM_I(inode)->swapped) != mf->nr_pages)
		err = memfd_luo_add_folios(mf, args->file);
	if (!err && mf->nr_folios != nr_folios)
		err = memfd_luo_write_records(mf);
	if (!err)
		mf->ser->pos = args->file->f_pos;
	inode_unlock(inode);

	/* Folios added before an error stay preserved until unpreserve. */
	return err;
}

static void memfd_luo_unpreserve(struct liveupdate_file_op_args *args)
{
	struct inode *inode = file_inode(args->file);
	struct memfd_luo *mf = args->private_data;

	inode_lock(inode);
	if (mf->records) {
		kho_unpreserve_vmalloc(&mf->ser->folios);
		vfree(mf->records);
	}
	memfd_luo_remove_folios(mf);
	shmem_freeze(inode, false);
	inode_unlock(inode);

	kho_unpreserve_free(mf->ser);
	kfree(mf);
}

/* The header the previous kernel left, if it is sound. */
static struct memfd_luo_ser *memfd_luo_incoming(u64 data)
{
	if (kho_preserved_order(data) < 0)
		return NULL;
	return phys_to_virt(data);
}

/* Restore the folio of @record, if it names preserved memory. */
static struct folio *
memfd_luo_restore_folio(const struct memfd_luo_folio_ser *record)
{
	phys_addr_t phys = PFN_PHYS((unsigned long)record->pfn);

	if (kho_preserved_order(phys) < 0)
		return NULL;
	return kho_restore_folio(phys);
}

/* Free the folios of records[from..nr), which nobody will use. */
static void memfd_luo_discard_records(const struct memfd_luo_folio_ser *records,
				      u64 from, u64 nr)
{
	struct folio *folio;
	u64 i;

	for (i = from; i < nr; i++) {
		if (!records[i].pfn)
			continue;
		folio = memfd_luo_restore_folio(&records[i]);
		if (folio)
			folio_put(folio);
	}
}

/*
 * Make a restored folio ready for the page cache of @inode at the index of
 * @record: locked, swap-backed, with the recorded flags, charged to the
 * memory cgroup of the caller. Nobody else sees the folio yet, so the flags
 * need no atomic updates. On error the folio is left unlocked.
 */
static int memfd_luo_prepare_restored(struct inode *inode, struct folio *folio,
				      const struct memfd_luo_folio_ser *record)
{
	long nr = folio_nr_pages(folio);
	pgoff_t index = record->index;
	int err;

	/*
	 * A large folio starts inside the file but may end beyond it: with
	 * shmem THP "always", a write gets a 2 MiB folio whatever the size.
	 */
	if (!IS_ALIGNED(index, nr) ||
	    index >= DIV_ROUND_UP_ULL(i_size_read(inode), PAGE_SIZE))
		return -EINVAL;

	folio->index = index;
	__folio_set_locked(folio);
	__folio_set_swapbacked(folio);
	if (record->flags & MEMFD_LUO_FOLIO_UPTODATE)
		__folio_mark_uptodate(folio);
	if (record->flags & MEMFD_LUO_FOLIO_DIRTY)
		folio_set_dirty(folio);

	err = mem_cgroup_charge(folio, NULL, GFP_KERNEL);
	if (err)
		__folio_clear_locked(folio);
	return err;
}

/*
 * Restore the folios of up to %MEMFD_LUO_BATCH records from records[*@i]
 * on and put them into the page cache of @inode: their blocks accounted
 * with one call, inserted under one lock. Advances *@i past the records
 * used, including a record that fails to restore. Every folio restored is
 * either in the page cache or freed when this returns.
 */
static int memfd_luo_insert_batch(struct inode *inode,
				  const struct memfd_luo_folio_ser *records,
				  u64 *i, u64 nr_records)
{
	struct folio *folios[MEMFD_LUO_BATCH];
	unsigned int n = 0, ready = 0, added = 0, k;
	long pages = 0;
	int err = 0;

	while (n < MEMFD_LUO_BATCH && *i < nr_records) {
		const struct memfd_luo_folio_ser *record = &records[(*i)++];

		if (!record->pfn)
			continue;
		folios[n] = memfd_luo_restore_folio(record);
		if (!folios[n]) {
			err = -EINVAL;
			break;
		}
		n++;
		err = memfd_luo_prepare_restored(inode, folios[n - 1], record);
		if (err)
			break;
		pages += folio_nr_pages(folios[n - 1]);
		ready++;
	}

	if (!err && n)
		err = shmem_inode_acct_blocks(inode, pages);
	if (!err && n) {
		err = shmem_add_folios_to_page_cache(inode->i_mapping, folios,
						     n, &added, GFP_KERNEL);
		/* This also gives back the blocks of the folios not added. */
		shmem_recalc_inode(inode, pages, 0);
	}

	for (k = 0; k < n; k++) {
		if (k < added)
			folio_add_lru(folios[k]);
		if (k < ready)
			folio_unlock(folios[k]);
		folio_put(folios[k]);
	}
	return err;
}

static int memfd_luo_retrieve(struct liveupdate_file_op_args *args)
{
	struct memfd_luo_folio_ser *records = NULL;
	struct memfd_luo_ser *ser;
	struct inode *inode;
	struct file *file;
	u64 i = 0;
	int err;

	ser = memfd_luo_incoming(args->serialized_data);
	if (!ser)
		return -EINVAL;

	if ((ser->seals & ~MEMFD_LUO_ALL_SEALS) || ser->flags) {
		err = -EOPNOTSUPP;
		goto err_free_ser;
	}
	if (DIV_ROUND_UP_ULL(ser->size, PAGE_SIZE) > UINT_MAX) {
		err = -EINVAL;
		goto err_free_ser;
	}

	if (ser->nr_folios) {
		records = kho_restore_vmalloc(&ser->folios);
		if (!records) {
			err = -EINVAL;
			goto err_free_ser;
		}
		if (ser->nr_folios > (u64)ser->folios.total_pages * PAGE_SIZE /
				     sizeof(*records)) {
			err = -EINVAL;
			goto err_free_records;
		}
	}

	file = memfd_alloc_file("memfd:", MFD_ALLOW_SEALING);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto err_discard;
	}
	inode = file_inode(file);
	i_size_write(inode, ser->size);
	file->f_pos = ser->pos;

	while (i < ser->nr_folios) {
		err = memfd_luo_insert_batch(inode, records, &i, ser->nr_folios);
		if (err)
			goto err_fput;
		cond_resched();
	}

	if (ser->seals) {
		err = memfd_add_seals(file, ser->seals);
		if (err)
			goto err_fput;
	}

	vfree(records);
	kho_restore_free(ser);
	args->file = file;
	return 0;

err_fput:
	/* The folios in the page cache go with the file. */
	fput(file);
err_discard:
	memfd_luo_discard_records(records, i, ser->nr_folios);
err_free_records:
	vfree(records);
err_free_ser:
	kho_restore_free(ser);
	return err;
}

/* A memfd that was never retrieved is discarded. */
static void memfd_luo_finish(struct liveupdate_file_op_args *args)
{
	struct memfd_luo_folio_ser *records;
	struct memfd_luo_ser *ser;

	/* A failed retrieve released everything it could already. */
	if (args->retrieve_status)
		return;

	ser = memfd_luo_incoming(args->serialized_data);
	if (!ser)
		return;

	if (ser->nr_folios) {
		records = kho_restore_vmalloc(&ser->folios);
		if (records) {
			u64 max = (u64)ser->folios.total_pages * PAGE_SIZE /
				  sizeof(*records);

			memfd_luo_discard_records(records, 0,
						  min(ser->nr_folios, max));
			vfree(records);
		}
	}
	kho_restore_free(ser);
}

static const struct liveupdate_file_ops memfd_luo_ops = {
	.can_preserve = memfd_luo_can_preserve,
	.preserve = memfd_luo_preserve,
	.unpreserve = memfd_luo_unpreserve,
	.freeze = memfd_luo_freeze,
	.retrieve = memfd_luo_retrieve,
	.finish = memfd_luo_finish,
	.get_id = memfd_luo_get_id,
	.owner = THIS_MODULE,
};

static struct liveupdate_file_handler memfd_luo_handler = {
	.ops = &memfd_luo_ops,
	.compatible = MEMFD_LUO_FH_COMPATIBLE,
};

static int __init memfd_luo_init(void)
{
	int err;

	err = liveupdate_register_file_handler(&memfd_luo_handler);
	if (err && err != -EOPNOTSUPP)
		pr_err("cannot register the memfd handler: %pe\n", ERR_PTR(err));
	return 0;
}
late_initcall(memfd_luo_init);
