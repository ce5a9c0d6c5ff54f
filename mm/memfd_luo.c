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
#include <linux/pagevec.h>
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

/* Pin and preserve the folio that holds @index; 0 if it is known already. */
static int memfd_luo_add_folio(struct memfd_luo *mf, struct file *file,
			       pgoff_t index)
{
	loff_t start = (loff_t)index << PAGE_SHIFT;
	loff_t size = i_size_read(file_inode(file));
	struct folio *folio;
	pgoff_t offset;
	long nr;
	int err;

	/* Nothing beyond the end of the file is kept (or can be pinned). */
	if (start >= size)
		return 0;

	nr = memfd_pin_folios(file, start,
			      min_t(loff_t, start + PAGE_SIZE, size) - 1,
			      &folio, 1, &offset);
	if (nr < 0)
		return nr;
	if (nr != 1)
		return -EIO;

	if (xa_load(&mf->folios, folio->index)) {
		unpin_folio(folio);
		return 0;
	}

	err = kho_preserve_folio(folio);
	if (err)
		goto err_unpin;

	err = xa_insert(&mf->folios, folio->index, folio, GFP_KERNEL);
	if (err)
		goto err_unpreserve;

	/*
	 * A folio that fallocate() added and nothing wrote yet is not up to
	 * date: it reads as zeroes. Make that real, so that the next kernel
	 * can take the folio as it is. It has no backing store but swap, so
	 * it is dirty.
	 */
	folio_lock(folio);
	if (!folio_test_uptodate(folio)) {
		folio_zero_range(folio, 0, folio_size(folio));
		flush_dcache_folio(folio);
		folio_mark_uptodate(folio);
	}
	folio_mark_dirty(folio);
	folio_unlock(folio);

	mf->nr_folios++;
	mf->nr_pages += folio_nr_pages(folio);
	return 0;

err_unpreserve:
	kho_unpreserve_folio(folio);
err_unpin:
	unpin_folio(folio);
	return err;
}

/*
 * Preserve every folio of the file that is not preserved yet, whether in
 * the page cache or in swap. Holes are left alone.
 *
 * A large folio can go to swap whole, as one large swap entry, but comes
 * back as order-0 folios: pinning its first page splits the entry and
 * swaps in that page only. The walk has already stepped over the whole
 * entry then, so it goes back to the page after it.
 */
static int memfd_luo_add_folios(struct memfd_luo *mf, struct file *file)
{
	struct address_space *mapping = file->f_mapping;
	pgoff_t indices[PAGEVEC_SIZE], todo[PAGEVEC_SIZE];
	pgoff_t start = 0, end = ULONG_MAX, rewind;
	struct folio_batch fbatch;
	unsigned int i, n;
	int err;

	folio_batch_init(&fbatch);
	while (find_get_entries(mapping, &start, end, &fbatch, indices)) {
		n = 0;
		rewind = end;
		for (i = 0; i < folio_batch_count(&fbatch); i++) {
			struct folio *folio = fbatch.folios[i];
			pgoff_t index = indices[i];

			if (!xa_is_value(folio))
				index = folio->index;
			else if (rewind == end &&
				 xa_get_order(&mapping->i_pages, index))
				rewind = index + 1;
			if (!xa_load(&mf->folios, index))
				todo[n++] = index;
		}
		folio_batch_remove_exceptionals(&fbatch);
		folio_batch_release(&fbatch);

		for (i = 0; i < n; i++) {
			err = memfd_luo_add_folio(mf, file, todo[i]);
			if (err)
				return err;
		}
		if (rewind != end)
			start = rewind;
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
	struct memfd_luo_folio_ser *records;
	struct kho_vmalloc desc = {};
	struct folio *folio;
	unsigned long index;
	u64 i = 0;
	int err;

	if (mf->nr_folios) {
		records = vcalloc(mf->nr_folios, sizeof(*records));
		if (!records)
			return -ENOMEM;

		xa_for_each(&mf->folios, index, folio) {
			records[i].pfn = folio_pfn(folio);
			records[i].flags = MEMFD_LUO_FOLIO_DIRTY |
					   MEMFD_LUO_FOLIO_UPTODATE;
			records[i].index = index;
			i++;
		}

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
	if (!PAGE_ALIGNED(data) || !kho_is_preserved(data, 1))
		return NULL;
	return phys_to_virt(data);
}

/* Restore the folio of @record, if it names preserved memory. */
static struct folio *
memfd_luo_restore_folio(const struct memfd_luo_folio_ser *record)
{
	phys_addr_t phys = PFN_PHYS((unsigned long)record->pfn);

	if (!kho_is_preserved(phys, 1))
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

/* Put a restored folio into the page cache of @inode at its index. */
static int memfd_luo_insert_folio(struct inode *inode, struct folio *folio,
				  const struct memfd_luo_folio_ser *record)
{
	struct address_space *mapping = inode->i_mapping;
	long nr = folio_nr_pages(folio);
	pgoff_t index = record->index;
	int err;

	/*
	 * A large folio starts inside the file but may end beyond it: with
	 * shmem THP "always", a write gets a 2 MiB folio whatever the size.
	 */
	if (!IS_ALIGNED(index, nr) ||
	    index >= DIV_ROUND_UP_ULL(i_size_read(inode), PAGE_SIZE)) {
		folio_put(folio);
		return -EINVAL;
	}

	__folio_set_locked(folio);
	__folio_set_swapbacked(folio);

	err = mem_cgroup_charge(folio, NULL, GFP_KERNEL);
	if (err)
		goto err_unlock;

	err = shmem_add_to_page_cache(folio, mapping, index, NULL, GFP_KERNEL);
	if (err)
		goto err_unlock;

	err = shmem_inode_acct_blocks(inode, nr);
	if (err) {
		filemap_remove_folio(folio);
		goto err_unlock;
	}
	shmem_recalc_inode(inode, nr, 0);

	if (record->flags & MEMFD_LUO_FOLIO_UPTODATE)
		folio_mark_uptodate(folio);
	if (record->flags & MEMFD_LUO_FOLIO_DIRTY)
		folio_mark_dirty(folio);
	folio_add_lru(folio);
	folio_unlock(folio);
	folio_put(folio);
	return 0;

err_unlock:
	folio_unlock(folio);
	folio_put(folio);
	return err;
}

static int memfd_luo_retrieve(struct liveupdate_file_op_args *args)
{
	struct memfd_luo_folio_ser *records = NULL;
	struct memfd_luo_ser *ser;
	struct inode *inode;
	struct folio *folio;
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

	for (i = 0; i < ser->nr_folios; i++) {
		if (!records[i].pfn)
			continue;
		folio = memfd_luo_restore_folio(&records[i]);
		if (!folio) {
			err = -EINVAL;
			goto err_fput;
		}
		err = memfd_luo_insert_folio(inode, folio, &records[i]);
		if (err)
			goto err_fput;
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
	i++;
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
