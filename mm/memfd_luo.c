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
 * or a fault, is picked up when the session is frozen at reboot.
 *
 * Freezing a memfd at reboot first closes it to new folios, then picks
 * up the folios it got since it was preserved. From then until the jump,
 * a write() into a hole fails with ``EPERM`` and a fault that would fill
 * a hole gets ``SIGBUS``; writes into pages the file has still land, in
 * preserved memory. So every write that succeeded before the jump is in
 * the next kernel (a write still running when the CPUs stop may be torn).
 * If the reboot is aborted, the memfd takes new folios again.
 *
 * A folio in memory hot-added since boot (ACPI memory hotplug, virtio-mem,
 * dax/kmem) cannot be preserved: the next kernel does not find that memory
 * at boot. Preserving such a memfd fails with ``ENXIO``, and so does the
 * freeze, and the reboot, if the memfd gained such a folio since.
 *
 * Freezing waits at most about a second for the inode lock: a writer can
 * hold it for as long as a userfaultfd or FUSE fault in its source buffer
 * lasts. Then the freeze, and the reboot, fail with ``EBUSY`` and the
 * system keeps running; a later reboot can succeed.
 *
 * Kept across the live update: the contents, the size, the file position
 * and the seals; the file is opened ``O_RDWR | O_LARGEFILE`` and always
 * allows sealing (unless sealed against it). The mode comes back as
 * memfd_create() makes it: 0666 for a memfd whose exec bits are sealed
 * off (``MFD_NOEXEC_SEAL``, ``vm.memfd_noexec``, or ``F_SEAL_EXEC`` added
 * to a memfd without exec permission), 0777 otherwise. The handover
 * format has no mode, so the next kernel tells the two from the seals:
 * ``F_SEAL_EXEC`` on an executable memfd always comes with the write,
 * grow and shrink seals (memfd_add_seals() adds them). A memfd sealed
 * against exec that has all those seals as well would come back
 * executable, so preserving it fails with ``EOPNOTSUPP``. Not kept: the
 * name, the close-on-exec flag, mappings, the rest of the mode (a chmod()
 * of a memfd not sealed with ``F_SEAL_EXEC``), and the other
 * memfd_create() flags. Hugetlb memfds and named tmpfs files cannot be
 * preserved.
 *
 * The next kernel checks what it is handed: a header with unknown flags
 * or seals fails %LIVEUPDATE_SESSION_RETRIEVE_FD with ``EOPNOTSUPP``; a
 * size or position beyond %MAX_LFS_FILESIZE, a folio record with unknown
 * flags, outside the file or misaligned, or a folio larger than the page
 * cache of a memfd takes (any large folio in a kernel without THP) fails
 * it with ``EINVAL``. Each is logged once; every folio of that memfd is
 * freed, and the other files of the session are not affected.
 *
 * The restored folios are charged to the memory cgroup of the task that
 * retrieves the file. If the file is never retrieved, finishing its
 * session frees them.
 */

#define pr_fmt(fmt) "memfd_luo: " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/memfd.h>
#include <linux/liveupdate.h>
#include <linux/memcontrol.h>
#include <linux/memfd.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/rcupdate_wait.h>
#include <linux/sched/signal.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>
#include <uapi/linux/memfd.h>

#include "internal.h"

/* Every flag a folio record may carry. */
#define MEMFD_LUO_FOLIO_FLAGS	(MEMFD_LUO_FOLIO_DIRTY | MEMFD_LUO_FOLIO_UPTODATE)

/**
 * struct memfd_luo - a preserved memfd, in the kernel that preserves it
 * @ser: the preserved header, handed over.
 * @folios: every pinned and preserved folio, by its index in the file.
 * @nr_folios: number of entries in @folios.
 * @nr_pages: number of pages in @folios.
 * @records: the preserved array of records, describing the first
 *           @ser->nr_folios folios @folios had. The folios are only ever
 *           added to, so the records are current exactly when
 *           @ser->nr_folios equals @nr_folios.
 * @records_cap: the number of records @records has room for. Folios added
 *               after it was written are appended while there is room.
 *
 * Protected by the inode lock of the file.
 */
struct memfd_luo {
	struct memfd_luo_ser *ser;
	struct xarray folios;
	u64 nr_folios;
	unsigned long nr_pages;
	struct memfd_luo_folio_ser *records;
	u64 records_cap;
};

#if IS_ENABLED(CONFIG_LIVEUPDATE_TEST)
static void memfd_luo_test_damage(struct memfd_luo *mf);
static bool memfd_luo_test_fail_records(void);
#else
static inline void memfd_luo_test_damage(struct memfd_luo *mf) { }
static inline bool memfd_luo_test_fail_records(void) { return false; }
#endif

/*
 * F_SEAL_EXEC on an executable memfd comes with all of these: see
 * memfd_add_seals(). Only an exec-sealed memfd without exec permission
 * can lack one.
 */
#define MEMFD_LUO_EXEC_SEALS	(F_SEAL_EXEC | F_SEAL_SHRINK | F_SEAL_GROW | \
				 F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)

/* Whether the memfd with @seals was sealed without exec permission. */
static bool memfd_luo_seals_noexec(u32 seals)
{
	return (seals & F_SEAL_EXEC) &&
	       (seals & MEMFD_LUO_EXEC_SEALS) != MEMFD_LUO_EXEC_SEALS;
}

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
 * entries long; if @here, only a run that starts at *@start. Sets *@start
 * to the first index of the run, if there is one.
 *
 * Return: the number of pages the run covers; 0 if there is none.
 */
static pgoff_t memfd_luo_next_run(struct memfd_luo *mf,
				  struct address_space *mapping, pgoff_t *start,
				  bool here)
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
		if (here && !nr && index != *start)
			break;
		if (!mf->nr_folios || !xa_load(&mf->folios, index)) {
			if (!nr)
				first = index;
			next = index + pages;
			if (++nr == MEMFD_LUO_BATCH)
				break;
		} else if (nr || here) {
			break;
		}
		if (need_resched()) {
			xas_pause(&xas);
			cond_resched_rcu();
		}
	}
	rcu_read_unlock();

	if (nr)
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

/*
 * The first entry at or after *@start that was added while the file was
 * frozen (%SHMEM_TAG_ADDED_FROZEN): sets *@start to its index.
 *
 * Return: whether there is one.
 */
static bool memfd_luo_next_added(struct address_space *mapping,
				 pgoff_t *start)
{
	XA_STATE(xas, &mapping->i_pages, *start);
	void *entry;

	rcu_read_lock();
	do {
		entry = xas_find_marked(&xas, ULONG_MAX, SHMEM_TAG_ADDED_FROZEN);
	} while (xas_retry(&xas, entry));
	if (entry)
		*start = round_down(xas.xa_index, 1UL << xas_get_order(&xas));
	rcu_read_unlock();
	return entry;
}

/* Clear %SHMEM_TAG_ADDED_FROZEN at the @nr indices of @index[]. */
static void memfd_luo_clear_added(struct address_space *mapping,
				  const pgoff_t *index, unsigned int nr)
{
	XA_STATE(xas, &mapping->i_pages, 0);
	unsigned int i;

	if (!xa_marked(&mapping->i_pages, SHMEM_TAG_ADDED_FROZEN))
		return;
	xas_lock_irq(&xas);
	for (i = 0; i < nr; i++) {
		xas_set(&xas, index[i]);
		if (xas_load(&xas))
			xas_clear_mark(&xas, SHMEM_TAG_ADDED_FROZEN);
	}
	xas_unlock_irq(&xas);
}

/*
 * Describe @nr folios just preserved at the end of @mf->records, if the
 * records are current and have room for them; otherwise they are written
 * anew later (memfd_luo_write_records()).
 */
static void memfd_luo_append_records(struct memfd_luo *mf,
				     struct folio **folios, unsigned int nr)
{
	struct memfd_luo_folio_ser *record;
	unsigned int i;

	if (!mf->records || mf->ser->nr_folios != mf->nr_folios ||
	    mf->nr_folios + nr > mf->records_cap)
		return;
	record = &mf->records[mf->nr_folios];
	for (i = 0; i < nr; i++, record++) {
		record->pfn = folio_pfn(folios[i]);
		record->flags = MEMFD_LUO_FOLIO_DIRTY | MEMFD_LUO_FOLIO_UPTODATE;
		record->index = folios[i]->index;
	}
	mf->ser->nr_folios += nr;
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
	pgoff_t offset, indices[MEMFD_LUO_BATCH];
	unsigned int i, n = 0;
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

	err = kho_preserve_folios(folios, n);
	/*
	 * Preserved by another user already: the memfd is busy. Not EEXIST,
	 * which the uapi keeps for a token already used.
	 */
	if (err == -EEXIST)
		err = -EBUSY;
	if (err)
		goto err_unpin;

	err = memfd_luo_store_folios(mf, folios, n);
	if (err)
		goto err_unpreserve;

	for (i = 0; i < n; i++) {
		memfd_luo_prepare_folio(folios[i]);
		mf->nr_pages += folio_nr_pages(folios[i]);
		indices[i] = folios[i]->index;
	}
	memfd_luo_append_records(mf, folios, n);
	mf->nr_folios += n;
	memfd_luo_clear_added(file->f_mapping, indices, n);
	return 0;

err_unpreserve:
	kho_unpreserve_folios(folios, n);
err_unpin:
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
 *
 * If @added, only the runs that start with an entry added since the file
 * was frozen (%SHMEM_TAG_ADDED_FROZEN) are looked at: the cost is then in
 * proportion to the new folios, not to the file.
 */
static int memfd_luo_add_folios(struct memfd_luo *mf, struct file *file,
				bool added)
{
	struct address_space *mapping = file->f_mapping;
	pgoff_t index = 0, nr;
	int err;

	for (;;) {
		if (added && !memfd_luo_next_added(mapping, &index))
			break;
		nr = memfd_luo_next_run(mf, mapping, &index, added);
		if (!nr && !added)
			break;
		if (!nr) {
			/* Preserved already, or gone: not new any more. */
			memfd_luo_clear_added(mapping, &index, 1);
			index++;
			continue;
		}
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
 * previous one. On error the previous array stays in place. The array
 * has room for an eighth more records, which folios the file gets later
 * take without a new array (memfd_luo_append_records()).
 */
static int memfd_luo_write_records(struct memfd_luo *mf)
{
	XA_STATE(xas, &mf->folios, 0);
	struct memfd_luo_folio_ser *records;
	struct kho_vmalloc desc = {};
	struct folio *folio;
	u64 i = 0, cap = 0;
	int err;

	if (memfd_luo_test_fail_records())
		return -ENOMEM;

	if (mf->nr_folios) {
		cap = mf->nr_folios + mf->nr_folios / 8;
		cap = round_up(cap * sizeof(*records), PAGE_SIZE) /
		      sizeof(*records);
		records = vcalloc(cap, sizeof(*records));
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
	mf->records_cap = cap;
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
	/* The next kernel would make it executable: see the DOC above. */
	if ((seals & F_SEAL_EXEC) && !(inode->i_mode & 0111) &&
	    !memfd_luo_seals_noexec(seals)) {
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

	err = memfd_luo_add_folios(mf, file, false);
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
 * How long freezing a memfd waits for its inode lock. A writer holds it
 * while it copies from its buffer, and a fault there can wait on
 * userspace (userfaultfd, FUSE) for ever: the reboot must not.
 */
#define MEMFD_LUO_LOCK_WAIT_MS	1000

/* Whether every page of the file is preserved. */
static bool memfd_luo_complete(struct inode *inode, struct memfd_luo *mf)
{
	return READ_ONCE(inode->i_mapping->nrpages) +
	       READ_ONCE(SHMEM_I(inode)->swapped) == mf->nr_pages;
}

static int memfd_luo_freeze_lock(struct inode *inode)
{
	unsigned long end = jiffies + msecs_to_jiffies(MEMFD_LUO_LOCK_WAIT_MS);

	while (!inode_trylock(inode)) {
		if (time_after(jiffies, end) || fatal_signal_pending(current))
			return -EBUSY;
		usleep_range(5000, 10000);
	}
	return 0;
}

/*
 * Close the file to new folios, then pick up the folios it got since it
 * was preserved, and write the records if they are not current (also when
 * an earlier freeze failed after adding folios). This runs in the reboot,
 * so the work is in proportion to the new folios: nothing when the file
 * has exactly the pages that were preserved (none can have gone: the size
 * is frozen, and preserved folios are pinned, so any new one shows in the
 * page count); else only the entries shmem marked as added, whose records
 * go into the room the array has. A folio added while preserve was still
 * walking the file may have no mark: if the count still differs, the
 * whole file is walked.
 */
static int memfd_luo_freeze(struct liveupdate_file_op_args *args)
{
	struct inode *inode = file_inode(args->file);
	struct memfd_luo *mf = args->private_data;
	int err;

	err = memfd_luo_freeze_lock(inode);
	if (err) {
		pr_warn("freeze: inode %lu stays locked by another task\n",
			inode->i_ino);
		return err;
	}

	/* No folio can appear from here on, so the walk sees them all. */
	shmem_seal_folios(inode, true);
	if (!memfd_luo_complete(inode, mf))
		err = memfd_luo_add_folios(mf, args->file, true);
	if (!err && !memfd_luo_complete(inode, mf))
		err = memfd_luo_add_folios(mf, args->file, false);
	if (!err && mf->ser->nr_folios != mf->nr_folios)
		err = memfd_luo_write_records(mf);
	if (!err) {
		mf->ser->pos = args->file->f_pos;
		memfd_luo_test_damage(mf);
	} else {
		shmem_seal_folios(inode, false);
	}
	inode_unlock(inode);

	/* Folios added before an error stay preserved until unpreserve. */
	return err;
}

/* The reboot was aborted: the file may get new folios again. */
static void memfd_luo_unfreeze(struct liveupdate_file_op_args *args)
{
	shmem_seal_folios(file_inode(args->file), false);
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
	shmem_seal_folios(inode, false);
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
	unsigned int order = folio_order(folio);
	long nr = folio_nr_pages(folio);
	u64 index = record->index;
	int err;

	if (record->flags & ~MEMFD_LUO_FOLIO_FLAGS) {
		pr_warn("incoming memfd: folio at index %llu has unknown flags %#x\n",
			index, (unsigned int)record->flags);
		return -EINVAL;
	}
	/* Shmem has large folios only with THP; the page cache caps them. */
	if (order > mapping_max_folio_order(inode->i_mapping) ||
	    (order && !IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))) {
		pr_warn("incoming memfd: folio at index %llu has order %u, more than the page cache takes\n",
			index, order);
		return -EINVAL;
	}
	/*
	 * A large folio starts inside the file but may end beyond it: with
	 * shmem THP "always", a write gets a 2 MiB folio whatever the size.
	 */
	if (!IS_ALIGNED(index, nr) ||
	    index >= DIV_ROUND_UP_ULL(i_size_read(inode), PAGE_SIZE)) {
		pr_warn("incoming memfd: folio of %ld pages at index %llu does not fit the file\n",
			nr, index);
		return -EINVAL;
	}

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
			pr_warn("incoming memfd: folio at index %llu is not preserved memory\n",
				(u64)record->index);
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
	unsigned int flags;
	struct inode *inode;
	struct file *file;
	u64 i = 0;
	int err;

	ser = memfd_luo_incoming(args->serialized_data);
	if (!ser) {
		pr_warn("incoming memfd: header is not preserved memory\n");
		return -EINVAL;
	}

	if (ser->nr_folios) {
		records = kho_restore_vmalloc(&ser->folios);
		if (!records) {
			pr_warn("incoming memfd: folio records are not preserved memory\n");
			err = -EINVAL;
			goto err_free_ser;
		}
		if (ser->nr_folios > (u64)ser->folios.total_pages * PAGE_SIZE /
				     sizeof(*records)) {
			pr_warn("incoming memfd: %llu folio records in %u pages\n",
				ser->nr_folios, ser->folios.total_pages);
			err = -EINVAL;
			goto err_free_records;
		}
	}

	/* From here on, a rejected memfd gives its folios back. */
	if ((ser->seals & ~MEMFD_LUO_ALL_SEALS) || ser->flags) {
		pr_warn("incoming memfd: unknown seals %#x or flags %#x\n",
			ser->seals & ~MEMFD_LUO_ALL_SEALS, ser->flags);
		err = -EOPNOTSUPP;
		goto err_discard;
	}
	if (ser->size > (u64)MAX_LFS_FILESIZE ||
	    ser->pos > (u64)MAX_LFS_FILESIZE ||
	    DIV_ROUND_UP_ULL(ser->size, PAGE_SIZE) > UINT_MAX) {
		pr_warn("incoming memfd: size %llu or position %llu out of range\n",
			ser->size, ser->pos);
		err = -EINVAL;
		goto err_discard;
	}

	/* Sealed against exec without exec permission: 0666, as it was. */
	flags = MFD_ALLOW_SEALING;
	if (memfd_luo_seals_noexec(ser->seals))
		flags |= MFD_NOEXEC_SEAL;
	file = memfd_alloc_file("memfd:", flags);
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

#if IS_ENABLED(CONFIG_LIVEUPDATE_TEST)
/*
 * Test-only hooks, in debugfs ``memfd_luo/`` (CONFIG_LIVEUPDATE_TEST):
 *
 * - ``fail_records``: the next N writes of the folio records fail with
 *   ``ENOMEM`` (at preserve or at freeze).
 * - ``damage``: the next memfd frozen hands over a damaged header or
 *   records, as a broken or hostile previous kernel could: 1 unknown
 *   header flag, 2 position beyond %MAX_LFS_FILESIZE, 3 unknown flag in
 *   the first record, 4 the first record names a new folio of an order
 *   the page cache does not take (the folio it named stays preserved and
 *   unrecorded: one folio the next kernel never gets back).
 */
enum memfd_luo_test_damage {
	MEMFD_LUO_DAMAGE_NONE,
	MEMFD_LUO_DAMAGE_FLAGS,
	MEMFD_LUO_DAMAGE_POS,
	MEMFD_LUO_DAMAGE_RECORD_FLAGS,
	MEMFD_LUO_DAMAGE_ORDER,
};

static u32 memfd_luo_fail_records_count;
static u32 memfd_luo_damage;

static bool memfd_luo_test_fail_records(void)
{
	u32 n = READ_ONCE(memfd_luo_fail_records_count);

	if (!n)
		return false;
	WRITE_ONCE(memfd_luo_fail_records_count, n - 1);
	return true;
}

static void memfd_luo_test_damage(struct memfd_luo *mf)
{
	unsigned int order = MAX_PAGECACHE_ORDER + 1;
	struct folio *folio;

	switch (xchg(&memfd_luo_damage, MEMFD_LUO_DAMAGE_NONE)) {
	case MEMFD_LUO_DAMAGE_FLAGS:
		mf->ser->flags = BIT(31);
		break;
	case MEMFD_LUO_DAMAGE_POS:
		mf->ser->pos = (u64)MAX_LFS_FILESIZE + 1;
		break;
	case MEMFD_LUO_DAMAGE_RECORD_FLAGS:
		if (mf->records)
			mf->records[0].flags |= BIT(11);
		break;
	case MEMFD_LUO_DAMAGE_ORDER:
		if (!mf->records || order > MAX_PAGE_ORDER)
			break;
		folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, order);
		if (!folio)
			break;
		if (kho_preserve_folio(folio)) {
			folio_put(folio);
			break;
		}
		mf->records[0].pfn = folio_pfn(folio);
		mf->records[0].index = 0;
		break;
	}
}

static void memfd_luo_test_init(void)
{
	struct dentry *dir = debugfs_create_dir("memfd_luo", NULL);

	debugfs_create_u32("fail_records", 0600, dir,
			   &memfd_luo_fail_records_count);
	debugfs_create_u32("damage", 0600, dir, &memfd_luo_damage);
}
#else
static inline void memfd_luo_test_init(void) { }
#endif

static const struct liveupdate_file_ops memfd_luo_ops = {
	.can_preserve = memfd_luo_can_preserve,
	.preserve = memfd_luo_preserve,
	.unpreserve = memfd_luo_unpreserve,
	.freeze = memfd_luo_freeze,
	.unfreeze = memfd_luo_unfreeze,
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
	if (!err)
		memfd_luo_test_init();
	return 0;
}
late_initcall(memfd_luo_init);
