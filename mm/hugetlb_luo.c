// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: hugetlb memfd preservation
 *
 * The hugetlb file handler keeps a hugetlbfs-backed memfd (``MFD_HUGETLB``)
 * across a live update without copying it: its huge pages are preserved
 * with KHO and become pages of the pool of the same size in the next
 * kernel, in the page cache of a new hugetlb memfd.
 *
 * Preserving the file freezes its size: truncate, fallocate and hole
 * punching fail with ``EPERM`` until the session is closed; the pages can
 * still be written through a shared mapping. Every huge page the file has
 * is pinned long term, which moves a page out of KHO scratch memory into
 * a free page of the pool outside it, or a page allocated for the move on
 * the same node (preserving fails with ``ENOMEM`` if there is neither),
 * and preserved. Holes stay holes. A page the file gets later, by a fault
 * into a hole, is picked up when the session is frozen at reboot; from
 * then until the jump a fault into a hole gets ``SIGBUS``.
 *
 * In the next kernel the pages count in the pool of their size
 * (``HugePages_Total``) and are in use while the file has them; closing
 * the file puts them on the free list of the pool. They are charged to
 * the hugetlb cgroup of the task that retrieves the file, and to its
 * memory cgroup if cgroup2 is mounted with ``memory_hugetlb_accounting``:
 * a task over either limit gets ``ENOMEM``, and the pages go to the free
 * list. The file's reservation map records the restored pages as a fault
 * would, so ``HugePages_Rsvd`` does not change when the file is mapped or
 * closed. If the file is never retrieved, finishing its session puts its
 * pages on the free list of the pool.
 *
 * Kept: the contents, the size, the file position and the seals (and the
 * exec class, as for memfds). Not kept: the name, private (copy-on-write)
 * pages of ``MAP_PRIVATE`` mappings, which are not in the file, and pages
 * beyond the end of the file (``fallocate()`` with ``FALLOC_FL_KEEP_SIZE``),
 * which a truncate would drop anyway. Refused:
 * SysV shared memory, named hugetlbfs files (``ENOENT``). Gigantic pages
 * (1 GiB on x86_64) are kept like the others, except by a kernel whose
 * memmap is not virtually contiguous (``CONFIG_SPARSEMEM`` without
 * ``CONFIG_SPARSEMEM_VMEMMAP``: ``EOPNOTSUPP``). The next kernel must have
 * the huge page size of the file (``hugepagesz=1G`` for 1 GiB pages, and
 * ``hugepagesz=`` for any size that is not the default): retrieving it
 * fails with ``EOPNOTSUPP`` otherwise, and its pages go to the page
 * allocator.
 *
 * The next kernel checks what it is handed: unknown flags or seals fail
 * %LIVEUPDATE_SESSION_RETRIEVE_FD with ``EOPNOTSUPP``; a size that is not
 * a multiple of the page size or beyond %MAX_LFS_FILESIZE, a position
 * beyond it, records out of order or outside the file, or a record that
 * does not name a preserved huge page of the file's size fail it with
 * ``EINVAL``. Each is logged once, and the pages the records name go to
 * the free list of the pool (to the page allocator if this kernel has no
 * pool of that size). A record that names anything but a preserved huge
 * page of the file's size leaves that memory alone: it stays reserved,
 * since it may belong to another incoming file. (A record naming a huge
 * page of another file of the same page size takes it: that file then
 * fails to retrieve with ``EINVAL``.)
 */

#define pr_fmt(fmt) "hugetlb_luo: " fmt

#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/hugetlb_cgroup.h>
#include <linux/io.h>
#include <linux/jiffies.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/hugetlb.h>
#include <linux/liveupdate.h>
#include <linux/memcontrol.h>
#include <linux/memfd.h>
#include <linux/mm.h>
#include <linux/pagemap.h>
#include <linux/pagevec.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>
#include <uapi/linux/memfd.h>

#include "hugetlb_luo.h"

/**
 * struct hugetlb_luo - a preserved hugetlb memfd, in the kernel that
 *                      preserves it
 * @ser: the preserved header, handed over.
 * @folios: every pinned and preserved huge page, by its index in the file
 *          in huge pages.
 * @nr_folios: number of entries in @folios.
 * @records: the preserved array of records, describing the first
 *           @ser->nr_folios pages @folios had; current exactly when
 *           @ser->nr_folios equals @nr_folios (pages are only added).
 *
 * Protected by the inode lock of the file.
 */
struct hugetlb_luo {
	struct hugetlb_luo_ser *ser;
	struct xarray folios;
	u64 nr_folios;
	struct hugetlb_luo_folio_ser *records;
};

#if IS_ENABLED(CONFIG_LIVEUPDATE_TEST)
static void hugetlb_luo_test_preserved(struct hugetlb_luo *hl);
static void hugetlb_luo_test_damage(struct hugetlb_luo *hl);
#else
static inline void hugetlb_luo_test_preserved(struct hugetlb_luo *hl) { }
static inline void hugetlb_luo_test_damage(struct hugetlb_luo *hl) { }
#endif

/* As for memfds: F_SEAL_EXEC on an executable memfd comes with these. */
#define HUGETLB_LUO_EXEC_SEALS	(F_SEAL_EXEC | F_SEAL_SHRINK | F_SEAL_GROW | \
				 F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)

/* Whether the memfd with @seals was sealed without exec permission. */
static bool hugetlb_luo_seals_noexec(u32 seals)
{
	return (seals & F_SEAL_EXEC) &&
	       (seals & HUGETLB_LUO_EXEC_SEALS) != HUGETLB_LUO_EXEC_SEALS;
}

static bool hugetlb_luo_can_preserve(struct liveupdate_file_handler *handler,
				     struct file *file)
{
	struct inode *inode = file_inode(file);

	/*
	 * A hugetlb memfd or an unlinked hugetlbfs file; not the file of a
	 * SysV shared memory segment, whose operations are not the inode's.
	 */
	return is_file_hugepages(file) && file->f_op == inode->i_fop &&
	       !inode->i_nlink;
}

static unsigned long hugetlb_luo_get_id(struct file *file)
{
	return (unsigned long)file_inode(file);
}

/* Pin, preserve and record the huge page at @pos of @file. */
static int hugetlb_luo_add_folio(struct hugetlb_luo *hl, struct file *file,
				 loff_t pos)
{
	struct hstate *h = hstate_file(file);
	unsigned long index = pos >> huge_page_shift(h);
	struct folio *folio;
	pgoff_t offset;
	long pinned;
	int err;

	if (hl->nr_folios && xa_load(&hl->folios, index))
		return 0;

	/* Long-term pin: moves the page out of KHO scratch (CMA). */
	pinned = memfd_pin_folios(file, pos, pos + huge_page_size(h) - 1,
				  &folio, 1, &offset);
	if (pinned < 0)
		return pinned;
	if (!pinned)
		return -EIO;

	err = kho_preserve_folio(folio);
	if (err == -EEXIST)
		err = -EBUSY;
	if (err)
		goto err_unpin;
	err = xa_err(xa_store(&hl->folios, index, folio, GFP_KERNEL));
	if (err)
		goto err_unpreserve;
	hl->nr_folios++;
	hugetlb_luo_pool_count(folio_order(folio), folio_nid(folio), 1);
	return 0;

err_unpreserve:
	kho_unpreserve_folio(folio);
err_unpin:
	unpin_folio(folio);
	return err;
}

/*
 * Preserve every page of the file that is not preserved yet. Pages beyond
 * the end of the file (fallocate() with FALLOC_FL_KEEP_SIZE) are not kept:
 * the size is what the next kernel restores, and the previous kernel drops
 * them too on the next truncate.
 *
 * The lookup's references are dropped before the pages are pinned: the
 * migration of a page out of KHO scratch expects no reference but the
 * page cache's and its own, and fails with any other (memfd_pin_folios()
 * then returns ENOMEM). The file is frozen, so each page found stays in
 * place and is found again by its position.
 */
static int hugetlb_luo_add_folios(struct hugetlb_luo *hl, struct file *file)
{
	struct address_space *mapping = file->f_mapping;
	loff_t size = i_size_read(file_inode(file));
	loff_t pos[PAGEVEC_SIZE];
	struct folio_batch fbatch;
	pgoff_t start = 0, end;
	unsigned int i, nr;
	int err = 0;

	if (!size)
		return 0;
	/* Page cache indices are in base pages; the size is page aligned. */
	end = (size >> PAGE_SHIFT) - 1;
	folio_batch_init(&fbatch);
	while (!err && filemap_get_folios(mapping, &start, end, &fbatch)) {
		nr = folio_batch_count(&fbatch);
		for (i = 0; i < nr; i++)
			pos[i] = folio_pos(fbatch.folios[i]);
		folio_batch_release(&fbatch);
		for (i = 0; i < nr && !err; i++)
			err = hugetlb_luo_add_folio(hl, file, pos[i]);
		cond_resched();
	}
	return err;
}

/* Unpreserve and unpin every page of @hl. */
static void hugetlb_luo_remove_folios(struct hugetlb_luo *hl)
{
	struct folio *folio;
	unsigned long index;

	xa_for_each(&hl->folios, index, folio) {
		hugetlb_luo_pool_count(folio_order(folio), folio_nid(folio), -1);
		kho_unpreserve_folio(folio);
		unpin_folio(folio);
	}
	xa_destroy(&hl->folios);
	hl->nr_folios = 0;
}

/*
 * Describe the pages of @hl in a new preserved array, and release the
 * previous one. On error the previous array stays in place.
 */
static int hugetlb_luo_write_records(struct hugetlb_luo *hl)
{
	struct hugetlb_luo_folio_ser *records = NULL;
	struct kho_vmalloc desc = {};
	struct folio *folio;
	unsigned long index;
	u64 i = 0;
	int err;

	if (hl->nr_folios) {
		records = vcalloc(hl->nr_folios, sizeof(*records));
		if (!records)
			return -ENOMEM;
		xa_for_each(&hl->folios, index, folio) {
			records[i].pfn = folio_pfn(folio);
			records[i].index = index;
			i++;
		}
		err = kho_preserve_vmalloc(records, &desc);
		if (err) {
			vfree(records);
			return err;
		}
	}

	if (hl->records) {
		kho_unpreserve_vmalloc(&hl->ser->folios);
		vfree(hl->records);
	}
	hl->records = records;
	hl->ser->folios = desc;
	hl->ser->nr_folios = hl->nr_folios;
	return 0;
}

static int hugetlb_luo_preserve(struct liveupdate_file_op_args *args)
{
	struct file *file = args->file;
	struct inode *inode = file_inode(file);
	struct hstate *h = hstate_file(file);
	struct hugetlb_luo_ser *ser;
	struct hugetlb_luo *hl;
	int seals, err;

	hl = kzalloc(sizeof(*hl), GFP_KERNEL_ACCOUNT);
	if (!hl)
		return -ENOMEM;
	xa_init(&hl->folios);

	ser = kho_alloc_preserve(sizeof(*ser));
	if (IS_ERR(ser)) {
		err = PTR_ERR(ser);
		goto err_free;
	}
	hl->ser = ser;

	inode_lock(inode);
	hugetlbfs_freeze(inode, true);

	seals = memfd_get_seals(file);
	if (seals < 0) {
		err = seals;
		goto err_unfreeze;
	}
	if (seals & ~HUGETLB_LUO_ALL_SEALS) {
		err = -EOPNOTSUPP;
		goto err_unfreeze;
	}
	/* The next kernel would make it executable: see memfd_luo.c. */
	if ((seals & F_SEAL_EXEC) && !(inode->i_mode & 0111) &&
	    !hugetlb_luo_seals_noexec(seals)) {
		err = -EOPNOTSUPP;
		goto err_unfreeze;
	}

	ser->size = i_size_read(inode);
	ser->pos = file->f_pos;
	ser->seals = seals;
	ser->order = huge_page_order(h);

	err = hugetlb_luo_add_folios(hl, file);
	if (err)
		goto err_remove;
	err = hugetlb_luo_write_records(hl);
	if (err)
		goto err_remove;
	inode_unlock(inode);

	hugetlb_luo_test_preserved(hl);
	args->serialized_data = virt_to_phys(ser);
	args->private_data = hl;
	return 0;

err_remove:
	hugetlb_luo_remove_folios(hl);
err_unfreeze:
	hugetlbfs_freeze(inode, false);
	inode_unlock(inode);
	kho_unpreserve_free(ser);
err_free:
	kfree(hl);
	return err;
}

/* As memfd_luo: the reboot must not wait for ever for the inode lock. */
#define HUGETLB_LUO_LOCK_WAIT_MS	1000

static int hugetlb_luo_freeze_lock(struct inode *inode)
{
	unsigned long end = jiffies + msecs_to_jiffies(HUGETLB_LUO_LOCK_WAIT_MS);

	while (!inode_trylock(inode)) {
		if (time_after(jiffies, end) || fatal_signal_pending(current))
			return -EBUSY;
		usleep_range(5000, 10000);
	}
	return 0;
}

/*
 * Close the file to new pages, then pick up the pages it got since it was
 * preserved, and write the records if they are not current.
 */
static int hugetlb_luo_freeze(struct liveupdate_file_op_args *args)
{
	struct inode *inode = file_inode(args->file);
	struct hugetlb_luo *hl = args->private_data;
	unsigned int order = hl->ser->order;
	int err;

	err = hugetlb_luo_freeze_lock(inode);
	if (err) {
		pr_warn("freeze: inode %lu stays locked by another task\n",
			inode->i_ino);
		return err;
	}

	hugetlbfs_seal_folios(inode, true);
	if (READ_ONCE(inode->i_mapping->nrpages) != hl->nr_folios << order)
		err = hugetlb_luo_add_folios(hl, args->file);
	if (!err && hl->ser->nr_folios != hl->nr_folios)
		err = hugetlb_luo_write_records(hl);
	if (!err) {
		hl->ser->pos = args->file->f_pos;
		hugetlb_luo_test_damage(hl);
	} else {
		hugetlbfs_seal_folios(inode, false);
	}
	inode_unlock(inode);
	return err;
}

static void hugetlb_luo_unfreeze(struct liveupdate_file_op_args *args)
{
	hugetlbfs_seal_folios(file_inode(args->file), false);
}

static void hugetlb_luo_unpreserve(struct liveupdate_file_op_args *args)
{
	struct inode *inode = file_inode(args->file);
	struct hugetlb_luo *hl = args->private_data;

	inode_lock(inode);
	if (hl->records) {
		kho_unpreserve_vmalloc(&hl->ser->folios);
		vfree(hl->records);
	}
	hugetlb_luo_remove_folios(hl);
	hugetlbfs_seal_folios(inode, false);
	hugetlbfs_freeze(inode, false);
	inode_unlock(inode);

	kho_unpreserve_free(hl->ser);
	kfree(hl);
}

/* The header the previous kernel left, if it is sound. */
static struct hugetlb_luo_ser *hugetlb_luo_incoming(u64 data)
{
	if (kho_preserved_order(data) < 0)
		return NULL;
	return phys_to_virt(data);
}

/* The hstate of pages of @order in this kernel, or NULL. */
static struct hstate *hugetlb_luo_hstate(u32 order)
{
	struct hstate *h;

	for_each_hstate(h)
		if (huge_page_order(h) == order)
			return h;
	return NULL;
}

/*
 * Make a restored page, frozen and of the order of @h, a page of the pool
 * of @h, and count it out of the preserved pages the boot pool counted
 * (hugetlb_luo_pool.c). hugetlb_kho_adopt_folio() fails (and warns) only
 * on a folio that is not that: a kernel bug, not handover data.
 */
static void hugetlb_luo_adopt(struct hstate *h, struct folio *folio,
			      struct hugetlb_cgroup *h_cg, bool in_use)
{
	int nid = folio_nid(folio);

	if (!hugetlb_kho_adopt_folio(h, folio, h_cg, in_use))
		hugetlb_luo_pool_released(huge_page_order(h), nid);
}

/* Whether @record names a preserved block of @order not restored yet. */
static bool hugetlb_luo_restorable(const struct hugetlb_luo_folio_ser *record,
				   unsigned int order)
{
	return record->pfn && record->pfn <= PHYS_PFN(PHYS_ADDR_MAX) &&
	       kho_preserved_order(PFN_PHYS(record->pfn)) == order;
}

/*
 * Restore the huge page of @record, frozen, if it names a preserved block
 * of @order that is not restored yet; NULL otherwise (nothing restored).
 */
static struct folio *
hugetlb_luo_restore_folio(const struct hugetlb_luo_folio_ser *record,
			  unsigned int order)
{
	if (!hugetlb_luo_restorable(record, order))
		return NULL;
	return kho_restore_hugetlb_folio(PFN_PHYS(record->pfn), order);
}

/*
 * Give back the pages of records[from..nr), which no file will use: into
 * the pool of @h as free pages, or to the page allocator if this kernel
 * has no pool of pages of @order (@h NULL). Only a record that names a
 * preserved block of the file's page size is taken: anything else could be
 * memory that another incoming file, or this file's header, still uses.
 *
 * Return: the number of records skipped for that reason.
 */
static u64
hugetlb_luo_discard_records(struct hstate *h, unsigned int order,
			    const struct hugetlb_luo_folio_ser *records,
			    u64 from, u64 nr)
{
	struct folio *folio;
	unsigned long pfn, j;
	struct page *page;
	u64 i, left = 0;

	for (i = from; i < nr; i++) {
		if (h) {
			folio = hugetlb_luo_restore_folio(&records[i], order);
			if (!folio)
				left++;
			else
				hugetlb_luo_adopt(h, folio, NULL, false);
		} else if (hugetlb_luo_restorable(&records[i], order)) {
			pfn = records[i].pfn;
			page = kho_restore_pages(PFN_PHYS(pfn), 1UL << order);
			if (page)
				hugetlb_luo_pool_released(order, page_to_nid(page));
			for (j = 0; page && j < 1UL << order; j++) {
				__free_page(pfn_to_page(pfn + j));
				if (!(j % 4096))
					cond_resched();
			}
		} else {
			left++;
		}
		cond_resched();
	}
	return left;
}

/*
 * Put @folio, restored for the page at @index, into the page cache of
 * @inode, charged to the hugetlb cgroup of the caller and, if the cgroup
 * hierarchy accounts hugetlb to memory cgroups (memory_hugetlb_accounting),
 * to its memory cgroup, as a page allocated by a fault would be. On error
 * the page is on the free list of the pool of @h.
 */
static int hugetlb_luo_insert(struct hstate *h, struct inode *inode,
			      struct folio *folio, pgoff_t index)
{
	struct address_space *mapping = inode->i_mapping;
	struct hugetlb_cgroup *h_cg = NULL;
	struct mem_cgroup *memcg;
	int err, memcg_err;
	u32 hash;

	/* No OOM kill for a retrieve: ENOMEM, like a fault past the limit. */
	memcg = get_mem_cgroup_from_current();
	memcg_err = mem_cgroup_hugetlb_try_charge(memcg,
						  GFP_KERNEL | __GFP_RETRY_MAYFAIL,
						  pages_per_huge_page(h));
	if (memcg_err == -ENOMEM) {
		err = -ENOMEM;
		goto err_free;
	}
	err = hugetlb_cgroup_charge_cgroup(hstate_index(h),
					   pages_per_huge_page(h), &h_cg);
	if (err) {
		if (!memcg_err)
			mem_cgroup_cancel_charge(memcg, pages_per_huge_page(h));
		goto err_free;
	}
	hugetlb_luo_adopt(h, folio, h_cg, true);
	if (!memcg_err)
		mem_cgroup_commit_charge(folio, memcg);
	mem_cgroup_put(memcg);
	/* From here on, folio_put() frees it to the pool and uncharges it. */
	__folio_mark_uptodate(folio);

	err = hugetlb_file_resv_add(inode, index, index + 1);
	if (err) {
		folio_put(folio);
		return err;
	}
	hash = hugetlb_fault_mutex_hash(mapping, index);
	mutex_lock(&hugetlb_fault_mutex_table[hash]);
	err = hugetlb_add_to_page_cache(folio, mapping, index);
	mutex_unlock(&hugetlb_fault_mutex_table[hash]);
	if (err) {
		hugetlb_file_resv_del(inode, index, index + 1);
		folio_put(folio);
		return err;
	}
	folio_set_hugetlb_migratable(folio);
	folio_unlock(folio);
	folio_put(folio);
	return 0;

err_free:
	mem_cgroup_put(memcg);
	hugetlb_luo_adopt(h, folio, NULL, false);
	return err;
}

static int hugetlb_luo_retrieve(struct liveupdate_file_op_args *args)
{
	struct hugetlb_luo_folio_ser *records = NULL;
	struct hugetlb_luo_ser *ser;
	unsigned int flags;
	struct folio *folio;
	struct hstate *h;
	struct inode *inode;
	struct file *file;
	u64 i = 0, nr = 0, nr_pages;
	int err;

	ser = hugetlb_luo_incoming(args->serialized_data);
	if (!ser) {
		pr_warn("incoming hugetlb memfd: header is not preserved memory\n");
		return -EINVAL;
	}
	h = hugetlb_luo_hstate(ser->order);

	if (ser->nr_folios) {
		records = kho_restore_vmalloc(&ser->folios);
		if (!records) {
			pr_warn("incoming hugetlb memfd: page records are not preserved memory\n");
			err = -EINVAL;
			goto err_free_ser;
		}
		nr = (u64)ser->folios.total_pages * PAGE_SIZE / sizeof(*records);
		if (ser->nr_folios > nr) {
			/* The pages of the records there are go back. */
			pr_warn("incoming hugetlb memfd: %llu page records in %u pages\n",
				ser->nr_folios, ser->folios.total_pages);
			err = -EINVAL;
			goto err_discard;
		}
		nr = ser->nr_folios;
	}

	/* From here on, a rejected file gives its pages back. */
	if ((ser->seals & ~HUGETLB_LUO_ALL_SEALS) || ser->flags ||
	    ser->reserved) {
		pr_warn("incoming hugetlb memfd: unknown seals %#x or flags %#x\n",
			ser->seals & ~HUGETLB_LUO_ALL_SEALS, ser->flags);
		err = -EOPNOTSUPP;
		goto err_discard;
	}
	if (!h) {
		pr_warn("incoming hugetlb memfd: no pool of pages of order %u\n",
			ser->order);
		err = -EOPNOTSUPP;
		goto err_discard;
	}
	if (ser->size > (u64)MAX_LFS_FILESIZE ||
	    ser->pos > (u64)MAX_LFS_FILESIZE ||
	    !IS_ALIGNED(ser->size, huge_page_size(h))) {
		pr_warn("incoming hugetlb memfd: size %llu or position %llu out of range\n",
			ser->size, ser->pos);
		err = -EINVAL;
		goto err_discard;
	}
	nr_pages = ser->size >> huge_page_shift(h);
	for (i = 0; i < nr; i++) {
		if (records[i].index >= nr_pages ||
		    (i && records[i].index <= records[i - 1].index)) {
			pr_warn("incoming hugetlb memfd: page record %llu (index %llu) out of order or outside the file\n",
				i, records[i].index);
			err = -EINVAL;
			i = 0;
			goto err_discard;
		}
	}
	i = 0;

	flags = MFD_HUGETLB | MFD_ALLOW_SEALING |
		(huge_page_shift(h) << MFD_HUGE_SHIFT);
	if (hugetlb_luo_seals_noexec(ser->seals))
		flags |= MFD_NOEXEC_SEAL;
	file = memfd_alloc_file("memfd:", flags);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto err_discard;
	}
	inode = file_inode(file);
	i_size_write(inode, ser->size);
	file->f_pos = ser->pos;

	for (i = 0; i < nr; i++) {
		folio = hugetlb_luo_restore_folio(&records[i], ser->order);
		if (!folio) {
			/* Whatever it names stays as it is. */
			pr_warn("incoming hugetlb memfd: page %llu is not a preserved huge page\n",
				records[i].index);
			err = -EINVAL;
		} else {
			/* On error, the page is in the pool. */
			err = hugetlb_luo_insert(h, inode, folio,
						 records[i].index);
		}
		if (err) {
			i++;
			goto err_fput;
		}
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
	/* The pages in the page cache go to the pool with the file. */
	fput(file);
err_discard:
	hugetlb_luo_discard_records(h, ser->order, records, i, nr);
	vfree(records);
err_free_ser:
	kho_restore_free(ser);
	return err;
}

/* A file that was never retrieved: its pages go to the pool, free. */
static void hugetlb_luo_finish(struct liveupdate_file_op_args *args)
{
	struct hugetlb_luo_folio_ser *records;
	struct hugetlb_luo_ser *ser;
	u64 nr, left;

	/* A failed retrieve released everything it could already. */
	if (args->retrieve_status)
		return;

	ser = hugetlb_luo_incoming(args->serialized_data);
	if (!ser)
		return;

	records = ser->nr_folios ? kho_restore_vmalloc(&ser->folios) : NULL;
	if (records) {
		nr = (u64)ser->folios.total_pages * PAGE_SIZE / sizeof(*records);
		left = hugetlb_luo_discard_records(hugetlb_luo_hstate(ser->order),
						   ser->order, records, 0,
						   min(ser->nr_folios, nr));
		if (left)
			pr_warn("unretrieved hugetlb memfd: %llu page record(s) name no preserved page of order %u, left reserved\n",
				left, ser->order);
		vfree(records);
	}
	kho_restore_free(ser);
}

#if IS_ENABLED(CONFIG_LIVEUPDATE_TEST)
/*
 * Test-only hook, in debugfs ``hugetlb_luo/damage`` (CONFIG_LIVEUPDATE_TEST):
 * the next file frozen hands over damaged data, as a broken or hostile
 * previous kernel could: 1 an unknown header flag, 2 the first two
 * records in the wrong order, 3 the first record names the second base
 * page of its huge page (its huge page stays preserved and unrecorded:
 * one page the next kernel never gets back), 4 a page order the next
 * kernel has no pool for, 5 the first record names the header of the
 * hugetlb memfd preserved last (another file, if this one was not).
 */
enum hugetlb_luo_test_damage {
	HUGETLB_LUO_DAMAGE_NONE,
	HUGETLB_LUO_DAMAGE_FLAGS,
	HUGETLB_LUO_DAMAGE_RECORD_ORDER,
	HUGETLB_LUO_DAMAGE_PFN,
	HUGETLB_LUO_DAMAGE_PAGE_SIZE,
	HUGETLB_LUO_DAMAGE_OTHER_HEADER,
};

static u32 hugetlb_luo_damage;
static phys_addr_t hugetlb_luo_last_header;

static void hugetlb_luo_test_preserved(struct hugetlb_luo *hl)
{
	WRITE_ONCE(hugetlb_luo_last_header, virt_to_phys(hl->ser));
}

static void hugetlb_luo_test_damage(struct hugetlb_luo *hl)
{
	struct hugetlb_luo_folio_ser tmp;

	switch (xchg(&hugetlb_luo_damage, HUGETLB_LUO_DAMAGE_NONE)) {
	case HUGETLB_LUO_DAMAGE_FLAGS:
		hl->ser->flags = BIT(31);
		break;
	case HUGETLB_LUO_DAMAGE_RECORD_ORDER:
		if (hl->ser->nr_folios < 2)
			break;
		tmp = hl->records[0];
		hl->records[0] = hl->records[1];
		hl->records[1] = tmp;
		break;
	case HUGETLB_LUO_DAMAGE_PFN:
		if (hl->ser->nr_folios)
			hl->records[0].pfn++;
		break;
	case HUGETLB_LUO_DAMAGE_PAGE_SIZE:
		hl->ser->order = 21;
		break;
	case HUGETLB_LUO_DAMAGE_OTHER_HEADER:
		if (hl->ser->nr_folios)
			hl->records[0].pfn =
				PHYS_PFN(READ_ONCE(hugetlb_luo_last_header));
		break;
	}
}

static void hugetlb_luo_test_init(void)
{
	struct dentry *dir = debugfs_create_dir("hugetlb_luo", NULL);

	debugfs_create_u32("damage", 0600, dir, &hugetlb_luo_damage);
}
#else
static inline void hugetlb_luo_test_init(void) { }
#endif

static const struct liveupdate_file_ops hugetlb_luo_ops = {
	.can_preserve = hugetlb_luo_can_preserve,
	.preserve = hugetlb_luo_preserve,
	.unpreserve = hugetlb_luo_unpreserve,
	.freeze = hugetlb_luo_freeze,
	.unfreeze = hugetlb_luo_unfreeze,
	.retrieve = hugetlb_luo_retrieve,
	.finish = hugetlb_luo_finish,
	.get_id = hugetlb_luo_get_id,
	.owner = THIS_MODULE,
};

static struct liveupdate_file_handler hugetlb_luo_handler = {
	.ops = &hugetlb_luo_ops,
	.compatible = HUGETLB_LUO_FH_COMPATIBLE,
};

static int __init hugetlb_luo_init(void)
{
	int err;

	err = liveupdate_register_file_handler(&hugetlb_luo_handler);
	if (err) {
		if (err != -EOPNOTSUPP)
			pr_err("cannot register the hugetlb memfd handler: %pe\n",
			       ERR_PTR(err));
		return 0;
	}
	/* Without it, the next kernel's boot pools do not count the files. */
	err = liveupdate_register_flb(&hugetlb_luo_handler, &hugetlb_luo_pool_flb);
	if (err)
		pr_err("cannot register the hugetlb pool FLB: %pe\n",
		       ERR_PTR(err));
	hugetlb_luo_test_init();
	return 0;
}
late_initcall(hugetlb_luo_init);
