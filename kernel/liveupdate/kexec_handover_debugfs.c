// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: KHO debugfs
 *
 * With CONFIG_KEXEC_HANDOVER_DEBUGFS, /sys/kernel/debug/kho/ shows what this
 * kernel hands over and what it was handed, for debugging and tests. All
 * files are read-only and readable by root only::
 *
 *   kho/out/fdt               the outgoing root FDT (one page)
 *   kho/out/sub_fdts/<name>   each outgoing subtree blob, blob-size bytes
 *   kho/out/scratch_phys      start of each scratch area, one hex line each
 *   kho/out/scratch_len       length of each scratch area, one hex line each
 *   kho/in/fdt                in a KHO boot: the incoming root FDT
 *   kho/in/sub_fdts/<name>    in a KHO boot: each incoming subtree blob
 *
 * kho_init() creates the directory and everything but out/sub_fdts/<name>,
 * which kho_add_subtree() and kho_remove_subtree() create and remove.
 *
 * An incoming blob belongs to the user that restores it, which may free it
 * at any time. So in/sub_fdts/<name> shows a copy, taken while the blob is
 * still preserved: when its user looks it up (kho_retrieve_subtree(), which
 * comes before restoring it) or at kho_init(), whichever is first. It stays
 * readable after the blob is restored and freed. Blobs larger than
 * %KHO_DBG_SNAPSHOT_MAX are not copied: they read as the memory holds them
 * while it is preserved, and fail with -ENODATA afterwards.
 *
 * debugfs is only a view: failing to create a file logs nothing and never
 * fails KHO.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/libfdt.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/unaligned.h>
#include <linux/kho/abi/kexec_handover.h>

#include "kexec_handover_internal.h"

/*
 * The debugfs directories; NULL or an ERR_PTR when absent, which the
 * debugfs calls accept. Set once at kho_init().
 */
static struct dentry *kho_dbg_root;
static struct dentry *kho_dbg_out_subs;

/* The scratch array shown in out/scratch_*; read-only after boot. */
static const struct kho_scratch *kho_dbg_scratch;
static unsigned int kho_dbg_scratch_cnt;

/* The largest incoming blob copied for in/sub_fdts/. */
#define KHO_DBG_SNAPSHOT_MAX	SZ_1M

/**
 * struct kho_dbg_in_blob - an incoming subtree blob shown in in/sub_fdts/
 * @list: in kho_dbg_in_blobs.
 * @name: the subtree's name.
 * @phys: physical address of the blob, as handed over.
 * @size: its length in bytes, as handed over.
 * @copy: the blob's contents while it was preserved, or NULL.
 *
 * Lives for the whole boot once created; freed only by kho_debugfs_exit().
 */
struct kho_dbg_in_blob {
	struct list_head list;
	const char *name;
	phys_addr_t phys;
	size_t size;
	void *copy;
};

/* Protects kho_dbg_in_blobs and kho_dbg_in_off. */
static DEFINE_MUTEX(kho_dbg_in_lock);
static LIST_HEAD(kho_dbg_in_blobs);
static bool kho_dbg_in_off;	/* KHO failed to start: keep no copies */

static int kho_dbg_scratch_phys_show(struct seq_file *m, void *v)
{
	unsigned int i;

	for (i = 0; i < kho_dbg_scratch_cnt; i++)
		seq_printf(m, "0x%llx\n", (u64)kho_dbg_scratch[i].addr);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kho_dbg_scratch_phys);

static int kho_dbg_scratch_len_show(struct seq_file *m, void *v)
{
	unsigned int i;

	for (i = 0; i < kho_dbg_scratch_cnt; i++)
		seq_printf(m, "0x%llx\n", (u64)kho_dbg_scratch[i].size);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(kho_dbg_scratch_len);

/*
 * out/fdt: a copy taken under the KHO lock, since kho_add_subtree() edits
 * the page in place.
 */
static ssize_t kho_dbg_out_fdt_read(struct file *file, char __user *buf,
				    size_t count, loff_t *ppos)
{
	void *copy;
	ssize_t ret;

	copy = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	kho_out_fdt_copy(copy);
	ret = simple_read_from_buffer(buf, count, ppos, copy, PAGE_SIZE);
	kfree(copy);
	return ret;
}

static const struct file_operations kho_dbg_out_fdt_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = kho_dbg_out_fdt_read,
	.llseek = default_llseek,
};

static ssize_t kho_dbg_in_blob_read(struct file *file, char __user *buf,
				    size_t count, loff_t *ppos)
{
	const struct kho_dbg_in_blob *in = file->private_data;

	if (in->copy)
		return simple_read_from_buffer(buf, count, ppos, in->copy,
					       in->size);
	if (!kho_is_preserved(in->phys, DIV_ROUND_UP(in->size, PAGE_SIZE)))
		return -ENODATA;
	return simple_read_from_buffer(buf, count, ppos, phys_to_virt(in->phys),
				       in->size);
}

static const struct file_operations kho_dbg_in_blob_fops = {
	.owner = THIS_MODULE,
	.open = simple_open,
	.read = kho_dbg_in_blob_read,
	.llseek = default_llseek,
};

/* The record of incoming blob @name, or NULL. */
static struct kho_dbg_in_blob *kho_dbg_in_find(const char *name)
{
	struct kho_dbg_in_blob *in;

	lockdep_assert_held(&kho_dbg_in_lock);
	list_for_each_entry(in, &kho_dbg_in_blobs, list) {
		if (!strcmp(in->name, name))
			return in;
	}
	return NULL;
}

/**
 * kho_debugfs_in_snapshot() - keep a copy of an incoming blob for debugfs
 * @name: the subtree's name.
 * @phys: physical address of the blob, as handed over.
 * @size: its length, as handed over.
 *
 * Records the blob the first time it is seen, with a copy of its contents
 * if it is still preserved and not larger than %KHO_DBG_SNAPSHOT_MAX.
 * Failing to allocate only costs the copy.
 *
 * Context: kho_retrieve_subtree() and kho_init(); may sleep.
 */
void kho_debugfs_in_snapshot(const char *name, phys_addr_t phys, size_t size)
{
	struct kho_dbg_in_blob *in;

	guard(mutex)(&kho_dbg_in_lock);
	if (kho_dbg_in_off || kho_dbg_in_find(name))
		return;
	in = kzalloc(sizeof(*in), GFP_KERNEL);
	if (!in)
		return;
	in->name = kstrdup(name, GFP_KERNEL);
	if (!in->name) {
		kfree(in);
		return;
	}
	in->phys = phys;
	in->size = size;
	if (size && size <= KHO_DBG_SNAPSHOT_MAX &&
	    kho_is_preserved(phys, DIV_ROUND_UP(size, PAGE_SIZE))) {
		in->copy = kvmalloc(size, GFP_KERNEL);
		if (in->copy)
			memcpy(in->copy, phys_to_virt(phys), size);
	}
	list_add_tail(&in->list, &kho_dbg_in_blobs);
}

/* in/sub_fdts/<name> for each well-formed subtree node of the incoming FDT. */
static void __init kho_dbg_in_subtrees(struct dentry *dir, const void *fdt)
{
	struct kho_dbg_in_blob *in;
	const void *data, *len;
	int off, data_len, len_len;
	const char *name;

	fdt_for_each_subnode(off, fdt, 0) {
		name = fdt_get_name(fdt, off, NULL);
		data = fdt_getprop(fdt, off, KHO_FDT_SUB_TREE_PROP_NAME, &data_len);
		len = fdt_getprop(fdt, off, KHO_FDT_SUB_TREE_SIZE_PROP_NAME, &len_len);
		if (!name || !data || data_len != sizeof(u64) || !len ||
		    len_len != sizeof(u64))
			continue;
		kho_debugfs_in_snapshot(name, get_unaligned((const u64 *)data),
					get_unaligned((const u64 *)len));
		scoped_guard(mutex, &kho_dbg_in_lock)
			in = kho_dbg_in_find(name);
		if (in)
			debugfs_create_file(name, 0400, dir, in,
					    &kho_dbg_in_blob_fops);
	}
}

/*
 * in/fdt and in/sub_fdts/: the incoming root FDT was checked by
 * kho_populate() and is a preserved block (kho_memory_init()); never show
 * more than its first page.
 */
static void __init kho_dbg_in_init(const void *fdt)
{
	static struct debugfs_blob_wrapper in_fdt;
	struct dentry *in;

	in = debugfs_create_dir("in", kho_dbg_root);
	in_fdt.data = (void *)fdt;
	in_fdt.size = min_t(size_t, fdt_totalsize(fdt), PAGE_SIZE);
	debugfs_create_blob("fdt", 0400, in, &in_fdt);
	kho_dbg_in_subtrees(debugfs_create_dir("sub_fdts", in), fdt);
}

/**
 * kho_debugfs_init() - create /sys/kernel/debug/kho/
 * @scratch: the scratch array of this kernel.
 * @scratch_cnt: the number of its entries.
 * @in_fdt: the incoming root FDT in a KHO boot, else NULL.
 *
 * Context: kho_init(), after the outgoing root FDT exists and before the
 * first kho_add_subtree(); may sleep.
 */
void __init kho_debugfs_init(const struct kho_scratch *scratch,
			     unsigned int scratch_cnt, const void *in_fdt)
{
	struct dentry *out;

	kho_dbg_scratch = scratch;
	kho_dbg_scratch_cnt = scratch_cnt;

	kho_dbg_root = debugfs_create_dir("kho", NULL);
	out = debugfs_create_dir("out", kho_dbg_root);
	debugfs_create_file("fdt", 0400, out, NULL, &kho_dbg_out_fdt_fops);
	debugfs_create_file("scratch_phys", 0400, out, NULL,
			    &kho_dbg_scratch_phys_fops);
	debugfs_create_file("scratch_len", 0400, out, NULL,
			    &kho_dbg_scratch_len_fops);
	kho_dbg_out_subs = debugfs_create_dir("sub_fdts", out);

	if (in_fdt)
		kho_dbg_in_init(in_fdt);
}

/**
 * kho_debugfs_exit() - remove /sys/kernel/debug/kho/
 *
 * Context: kho_init() failing after kho_debugfs_init(); may sleep.
 */
void __init kho_debugfs_exit(void)
{
	struct kho_dbg_in_blob *in, *tmp;

	/* out/sub_fdts/ is empty: no subtree was added yet. */
	debugfs_remove(kho_dbg_root);
	kho_dbg_root = NULL;
	kho_dbg_out_subs = NULL;

	guard(mutex)(&kho_dbg_in_lock);
	kho_dbg_in_off = true;
	list_for_each_entry_safe(in, tmp, &kho_dbg_in_blobs, list) {
		list_del(&in->list);
		kvfree(in->copy);
		kfree(in->name);
		kfree(in);
	}
}

/**
 * kho_debugfs_add_subtree() - show an outgoing subtree in out/sub_fdts/
 * @name: the subtree's name.
 * @blob: the blob.
 * @size: its length in bytes.
 *
 * Context: kho_add_subtree(), with the KHO lock held, after the subtree was
 * added; may sleep.
 */
void kho_debugfs_add_subtree(const char *name, void *blob, size_t size)
{
	struct debugfs_blob_wrapper *wrapper;

	if (IS_ERR_OR_NULL(kho_dbg_out_subs))
		return;
	wrapper = kmalloc(sizeof(*wrapper), GFP_KERNEL);
	if (!wrapper)
		return;
	wrapper->data = blob;
	wrapper->size = size;
	if (IS_ERR(debugfs_create_blob(name, 0400, kho_dbg_out_subs, wrapper)))
		kfree(wrapper);
}

/**
 * kho_debugfs_remove_subtree() - remove an outgoing subtree's file
 * @name: the subtree's name.
 *
 * Waits for readers of the file to finish, so the caller may free the blob
 * afterwards.
 *
 * Context: kho_remove_subtree(), with the KHO lock held, before the
 * subtree is removed; may sleep.
 */
void kho_debugfs_remove_subtree(const char *name)
{
	struct dentry *dentry;
	void *wrapper;

	if (IS_ERR_OR_NULL(kho_dbg_out_subs))
		return;
	dentry = debugfs_lookup(name, kho_dbg_out_subs);
	if (!dentry)
		return;
	wrapper = d_inode(dentry)->i_private;
	debugfs_remove(dentry);
	dput(dentry);
	kfree(wrapper);
}
