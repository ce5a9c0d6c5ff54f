// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: File-Lifecycle-Bound objects
 *
 * Some state is shared by many preserved files: the page tables of an
 * IOMMU serve every device file that uses it. An FLB (&struct
 * liveupdate_flb) is such an object. A handler links the FLBs its files
 * need with liveupdate_register_flb(); LUO then preserves the FLB with the
 * first linked file preserved, in any session, and unpreserves it with the
 * last one unpreserved.
 *
 * At reboot, after the sessions, every FLB with preserved files is written
 * into one preserved page: its compatible string, the handle its preserve
 * returned and the number of files that depend on it.
 *
 * In the next kernel an FLB is retrieved on first use, from
 * liveupdate_flb_get_incoming() or from the finish of a dependent file,
 * and its reference count starts at that number of files. Each dependent
 * file's finish drops one reference, as does each
 * liveupdate_flb_put_incoming(); the last one finishes the FLB. If the
 * incoming sessions turn out unusable, the complete sessions are finished
 * first, then the references of the files that never come (those not
 * finished) are dropped at once: the FLB is finished although those files
 * stay reserved, so that it can account for them.
 *
 * Locking: the list of FLBs and the links are protected by
 * &luo_register_rwsem; the state of each direction of an FLB by its own
 * mutex, which is held across its callbacks.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "kexec_handover_internal.h"
#include "luo_internal.h"

/**
 * struct luo_flb_link - an FLB linked to a handler
 * @flb: the FLB.
 * @list: entry in the handler's list of FLBs, in link order.
 */
struct luo_flb_link {
	struct liveupdate_flb *flb;
	struct list_head list;
};

/* The registered FLBs, protected by luo_register_rwsem. */
static LIST_HEAD(luo_flbs);
static unsigned int luo_flb_count;

/* The outgoing FLB page, allocated with the outgoing LUO state. */
static struct luo_flb_header_ser *luo_flb_out;

/* The incoming FLB entries, copied out of the previous kernel's page. */
static struct luo_flb_ser *luo_flb_in;
static unsigned int luo_flb_in_count;

#define luo_flb_state(flb, dir)	(&ACCESS_PRIVATE(flb, dir))

static struct luo_flb_ser *luo_flb_find_incoming(struct liveupdate_flb *flb)
{
	unsigned int i;

	for (i = 0; i < luo_flb_in_count; i++)
		if (!strncmp(luo_flb_in[i].name, flb->compatible,
			     LIVEUPDATE_FLB_COMPAT_LENGTH))
			return &luo_flb_in[i];
	return NULL;
}

/* Take an outgoing reference; the first one preserves the FLB. */
static int luo_flb_get_outgoing_ref(struct liveupdate_flb *flb)
{
	struct luo_flb_state *st = luo_flb_state(flb, outgoing);
	struct liveupdate_flb_op_args args = { .flb = flb };
	int err;

	guard(mutex)(&st->lock);

	if (st->count) {
		st->count++;
		return 0;
	}

	if (!try_module_get(flb->ops->owner))
		return -ENODEV;

	err = flb->ops->preserve(&args);
	if (err) {
		module_put(flb->ops->owner);
		return err;
	}
	st->data = args.data;
	st->obj = args.obj;
	st->count = 1;
	return 0;
}

/* Drop an outgoing reference; the last one unpreserves the FLB. */
static void luo_flb_put_outgoing_ref(struct liveupdate_flb *flb)
{
	struct luo_flb_state *st = luo_flb_state(flb, outgoing);
	struct liveupdate_flb_op_args args = { .flb = flb };

	guard(mutex)(&st->lock);

	if (WARN_ON_ONCE(!st->count) || --st->count)
		return;

	args.data = st->data;
	args.obj = st->obj;
	flb->ops->unpreserve(&args);
	st->data = 0;
	st->obj = NULL;
	module_put(flb->ops->owner);
}

/**
 * luo_flb_file_preserve - take the FLBs of a file being preserved
 * @fh: the file's handler.
 *
 * Context: process context, with the file's session mutex held.
 * Return: 0, or the error of an FLB's preserve (-ENODEV if its module is
 * going away); on error no reference is left taken.
 */
int luo_flb_file_preserve(struct liveupdate_file_handler *fh)
{
	struct luo_flb_link *link;
	int err;

	guard(rwsem_read)(&luo_register_rwsem);

	list_for_each_entry(link, &ACCESS_PRIVATE(fh, flbs), list) {
		err = luo_flb_get_outgoing_ref(link->flb);
		if (err)
			goto err_put;
	}
	return 0;

err_put:
	list_for_each_entry_continue_reverse(link, &ACCESS_PRIVATE(fh, flbs),
					     list)
		luo_flb_put_outgoing_ref(link->flb);
	return err;
}

/**
 * luo_flb_file_unpreserve - drop the FLBs of a file being unpreserved
 * @fh: the file's handler.
 *
 * Context: process context, with the file's session mutex held.
 */
void luo_flb_file_unpreserve(struct liveupdate_file_handler *fh)
{
	struct luo_flb_link *link;

	guard(rwsem_read)(&luo_register_rwsem);

	list_for_each_entry_reverse(link, &ACCESS_PRIVATE(fh, flbs), list)
		luo_flb_put_outgoing_ref(link->flb);
}

/* Retrieve the incoming FLB on first use. Called with its lock held. */
static int luo_flb_retrieve_locked(struct liveupdate_flb *flb)
{
	struct luo_flb_state *st = luo_flb_state(flb, incoming);
	struct liveupdate_flb_op_args args = { .flb = flb };
	struct luo_flb_ser *ser;
	int err;

	lockdep_assert_held(&st->lock);

	if (st->retrieved)
		return 0;
	if (st->done || !luo_flb_in)
		return -ENODATA;

	ser = luo_flb_find_incoming(flb);
	if (!ser)
		return -ENOENT;

	if (!try_module_get(flb->ops->owner))
		return -ENODEV;

	args.data = ser->data;
	err = flb->ops->retrieve(&args);
	if (err) {
		module_put(flb->ops->owner);
		return err;
	}

	st->data = ser->data;
	st->obj = args.obj;
	st->count = ser->count;
	st->retrieved = true;
	return 0;
}

/* Drop an incoming reference; the last one finishes the FLB. */
static void luo_flb_put_incoming_locked(struct liveupdate_flb *flb)
{
	struct luo_flb_state *st = luo_flb_state(flb, incoming);
	struct liveupdate_flb_op_args args = { .flb = flb };

	lockdep_assert_held(&st->lock);

	if (!st->retrieved || st->count <= 0)
		return;
	if (--st->count)
		return;

	args.data = st->data;
	args.obj = st->obj;
	flb->ops->finish(&args);
	st->obj = NULL;
	st->retrieved = false;
	st->done = true;
	module_put(flb->ops->owner);
}

/**
 * luo_flb_file_finish - drop the FLBs of a file being finished
 * @fh: the file's handler.
 *
 * Retrieves an FLB that nobody used yet, so that its count is right and
 * its last dependent file finishes it.
 *
 * Context: process context, with the file's session mutex held.
 */
void luo_flb_file_finish(struct liveupdate_file_handler *fh)
{
	struct luo_flb_link *link;

	guard(rwsem_read)(&luo_register_rwsem);

	list_for_each_entry_reverse(link, &ACCESS_PRIVATE(fh, flbs), list) {
		struct liveupdate_flb *flb = link->flb;
		struct luo_flb_state *st = luo_flb_state(flb, incoming);
		int err;

		guard(mutex)(&st->lock);
		err = luo_flb_retrieve_locked(flb);
		if (err && err != -ENODATA && err != -ENOENT)
			pr_warn("FLB '%s': cannot retrieve to finish: %pe\n",
				flb->compatible, ERR_PTR(err));
		if (!err)
			st->finished++;
		luo_flb_put_incoming_locked(flb);
	}
}

/**
 * luo_flb_abandon_incoming - drop the references of files that never come
 *
 * The incoming sessions turned out unusable: no more of their files will
 * be retrieved or finished (the complete sessions read before the damage
 * were finished already, see luo_incoming_fail()). The references the
 * other files hold on the incoming FLBs of registered handlers are
 * dropped, so that each FLB is finished, at once or when the last
 * liveupdate_flb_get_incoming() user lets go, and can account for what it
 * will not get back. An FLB whose retrieve fails is left as it is.
 *
 * Context: process context, once per boot, after the last incoming file
 * was finished.
 */
void luo_flb_abandon_incoming(void)
{
	struct liveupdate_flb *flb;
	struct luo_flb_ser *ser;
	long never;

	guard(rwsem_read)(&luo_register_rwsem);

	list_for_each_entry(flb, &luo_flbs, list) {
		struct luo_flb_state *st = luo_flb_state(flb, incoming);

		guard(mutex)(&st->lock);
		ser = luo_flb_find_incoming(flb);
		if (!ser || luo_flb_retrieve_locked(flb))
			continue;
		/* The files that never come: those not finished. */
		never = (long)ser->count - st->finished;
		if (never <= 0)
			continue;
		/* Keep one of them: dropping it finishes the FLB if it is the last. */
		st->count -= min_t(long, st->count, never) - 1;
		luo_flb_put_incoming_locked(flb);
	}
}

/**
 * liveupdate_flb_get_incoming - get the object of an incoming FLB
 * @flb: the FLB.
 * @objp: where to return the object.
 *
 * Retrieves the FLB on first use and takes a reference, to be dropped with
 * liveupdate_flb_put_incoming().
 *
 * Return: 0; -EOPNOTSUPP if live update is disabled; -ENODATA if the
 * previous kernel handed no FLBs over, or this one was finished; -ENOENT
 * if it handed this one not; -ENODEV if the FLB's module is going away; or
 * the error of the FLB's retrieve (which is tried again on the next call).
 */
int liveupdate_flb_get_incoming(struct liveupdate_flb *flb, void **objp)
{
	struct luo_flb_state *st = luo_flb_state(flb, incoming);
	int err;

	if (!liveupdate_enabled())
		return -EOPNOTSUPP;

	guard(mutex)(&st->lock);

	err = luo_flb_retrieve_locked(flb);
	if (err)
		return err;

	st->count++;
	*objp = st->obj;
	return 0;
}
EXPORT_SYMBOL_GPL(liveupdate_flb_get_incoming);

/**
 * liveupdate_flb_put_incoming - drop a reference of an incoming FLB
 * @flb: the FLB, got with liveupdate_flb_get_incoming().
 */
void liveupdate_flb_put_incoming(struct liveupdate_flb *flb)
{
	struct luo_flb_state *st = luo_flb_state(flb, incoming);

	guard(mutex)(&st->lock);
	luo_flb_put_incoming_locked(flb);
}
EXPORT_SYMBOL_GPL(liveupdate_flb_put_incoming);

/**
 * liveupdate_flb_get_outgoing - get the object of an outgoing FLB
 * @flb: the FLB.
 * @objp: where to return the object; NULL if no preserved file depends on
 *        the FLB.
 *
 * No reference is taken: the object lives as long as a dependent file is
 * preserved.
 *
 * Return: 0, or -EOPNOTSUPP if live update is disabled.
 */
int liveupdate_flb_get_outgoing(struct liveupdate_flb *flb, void **objp)
{
	struct luo_flb_state *st = luo_flb_state(flb, outgoing);

	if (!liveupdate_enabled())
		return -EOPNOTSUPP;

	guard(mutex)(&st->lock);
	*objp = st->obj;
	return 0;
}
EXPORT_SYMBOL_GPL(liveupdate_flb_get_outgoing);

static struct luo_flb_link *luo_flb_find_link(struct liveupdate_file_handler *fh,
					      struct liveupdate_flb *flb)
{
	struct luo_flb_link *link;

	list_for_each_entry(link, &ACCESS_PRIVATE(fh, flbs), list)
		if (link->flb == flb)
			return link;
	return NULL;
}

/**
 * liveupdate_register_flb - link an FLB to a file handler
 * @fh: a registered handler.
 * @flb: the FLB, with its ops and compatible string set. It must stay
 *       valid until unlinked from every handler.
 *
 * Links are used in link order. An FLB may be linked to several handlers.
 *
 * Return: 0; -EOPNOTSUPP if live update is disabled; -EINVAL if a callback
 * is missing or @fh is not registered; -EEXIST if @flb is linked to @fh
 * already, or another FLB has the same compatible string; -ENOSPC if the
 * handover format cannot describe one more FLB; -ENOMEM.
 */
int liveupdate_register_flb(struct liveupdate_file_handler *fh,
			    struct liveupdate_flb *flb)
{
	const struct liveupdate_flb_ops *ops = flb->ops;
	struct liveupdate_flb *other;
	struct luo_flb_link *link;

	if (!liveupdate_enabled())
		return -EOPNOTSUPP;
	if (WARN_ON(!ops || !ops->preserve || !ops->unpreserve ||
		    !ops->retrieve || !ops->finish))
		return -EINVAL;

	guard(rwsem_write)(&luo_register_rwsem);

	if (WARN_ON(!luo_handler_registered(fh)))
		return -EINVAL;
	if (luo_flb_find_link(fh, flb))
		return -EEXIST;

	if (!ACCESS_PRIVATE(flb, users)) {
		list_for_each_entry(other, &luo_flbs, list)
			if (!strncmp(other->compatible, flb->compatible,
				     LIVEUPDATE_FLB_COMPAT_LENGTH))
				return -EEXIST;
		if (luo_flb_count >= LUO_FLB_MAX)
			return -ENOSPC;
	}

	link = kzalloc(sizeof(*link), GFP_KERNEL);
	if (!link)
		return -ENOMEM;

	if (!ACCESS_PRIVATE(flb, users)++) {
		mutex_init(&luo_flb_state(flb, outgoing)->lock);
		mutex_init(&luo_flb_state(flb, incoming)->lock);
		list_add_tail(&ACCESS_PRIVATE(flb, list), &luo_flbs);
		luo_flb_count++;
	}
	link->flb = flb;
	list_add_tail(&link->list, &ACCESS_PRIVATE(fh, flbs));
	return 0;
}
EXPORT_SYMBOL_GPL(liveupdate_register_flb);

static void luo_flb_unlink(struct luo_flb_link *link)
{
	struct liveupdate_flb *flb = link->flb;

	lockdep_assert_held_write(&luo_register_rwsem);

	list_del(&link->list);
	kfree(link);
	if (!--ACCESS_PRIVATE(flb, users)) {
		list_del_init(&ACCESS_PRIVATE(flb, list));
		luo_flb_count--;
	}
}

/**
 * liveupdate_unregister_flb - unlink an FLB from a file handler
 * @fh: the handler.
 * @flb: an FLB linked to @fh; nothing happens if it is not.
 *
 * The FLB is forgotten when it is linked to no handler any more.
 */
void liveupdate_unregister_flb(struct liveupdate_file_handler *fh,
			       struct liveupdate_flb *flb)
{
	struct luo_flb_link *link;

	guard(rwsem_write)(&luo_register_rwsem);

	link = luo_flb_find_link(fh, flb);
	if (link)
		luo_flb_unlink(link);
}
EXPORT_SYMBOL_GPL(liveupdate_unregister_flb);

/**
 * luo_flb_unlink_all - unlink every FLB of a handler being unregistered
 * @fh: the handler.
 *
 * Context: &luo_register_rwsem held for writing.
 */
void luo_flb_unlink_all(struct liveupdate_file_handler *fh)
{
	struct luo_flb_link *link, *tmp;

	list_for_each_entry_safe(link, tmp, &ACCESS_PRIVATE(fh, flbs), list)
		luo_flb_unlink(link);
}

/**
 * luo_flb_outgoing_setup - allocate the outgoing FLB page
 * @ser: the outgoing LUO blob, which gets the page's address.
 *
 * Return: 0 or -ENOMEM.
 */
int __init luo_flb_outgoing_setup(struct luo_ser *ser)
{
	struct luo_flb_header_ser *hdr;

	hdr = kho_alloc_preserve(LUO_FLB_PGCNT * PAGE_SIZE);
	if (IS_ERR(hdr))
		return PTR_ERR(hdr);

	hdr->pgcnt = LUO_FLB_PGCNT;
	luo_flb_out = hdr;
	ser->flbs_pa = virt_to_phys(hdr);
	return 0;
}

/**
 * luo_flb_outgoing_teardown - free the outgoing FLB page
 *
 * Undoes luo_flb_outgoing_setup() when LUO cannot be set up after all.
 */
void __init luo_flb_outgoing_teardown(void)
{
	kho_unpreserve_free(luo_flb_out);
	luo_flb_out = NULL;
}

/**
 * luo_flb_serialize - write every preserved FLB into the outgoing page
 *
 * Context: in reboot(), after the sessions were frozen.
 */
void luo_flb_serialize(void)
{
	struct luo_flb_ser *entry = (struct luo_flb_ser *)(luo_flb_out + 1);
	struct liveupdate_flb *flb;
	u64 count = 0;

	guard(rwsem_read)(&luo_register_rwsem);

	list_for_each_entry(flb, &luo_flbs, list) {
		struct luo_flb_state *st = luo_flb_state(flb, outgoing);

		guard(mutex)(&st->lock);
		if (!st->count)
			continue;
		/* Registration keeps the list within the page. */
		strscpy_pad(entry[count].name, flb->compatible);
		entry[count].data = st->data;
		entry[count].count = st->count;
		count++;
	}
	luo_flb_out->count = count;
}

/**
 * luo_flb_incoming_setup - take over the FLB page of the previous kernel
 * @flbs_pa: its physical address, 0 if there is none.
 *
 * Copies the entries out and releases the page.
 *
 * Return: 0, or -EINVAL if the page is not preserved memory or its header
 * or an entry is malformed (the page then stays reserved); -ENOMEM.
 */
int __init luo_flb_incoming_setup(u64 flbs_pa)
{
	struct luo_flb_header_ser *hdr;
	struct luo_flb_ser *entries;
	u64 i;

	if (!flbs_pa)
		return 0;
	if (!kho_pages_restorable(flbs_pa, LUO_FLB_PGCNT))
		return -EINVAL;

	hdr = phys_to_virt(flbs_pa);
	if (hdr->pgcnt != LUO_FLB_PGCNT || hdr->count > LUO_FLB_MAX)
		return -EINVAL;

	entries = (struct luo_flb_ser *)(hdr + 1);
	for (i = 0; i < hdr->count; i++) {
		size_t len = strnlen(entries[i].name, sizeof(entries[i].name));

		if (!len || len == sizeof(entries[i].name) ||
		    (s64)entries[i].count <= 0)
			return -EINVAL;
	}

	if (hdr->count) {
		luo_flb_in = kmemdup(entries, hdr->count * sizeof(*entries),
				     GFP_KERNEL);
		if (!luo_flb_in)
			return -ENOMEM;
	} else {
		/* An empty table: every lookup says -ENOENT. */
		luo_flb_in = ZERO_SIZE_PTR;
	}
	luo_flb_in_count = hdr->count;
	kho_restore_free(hdr);
	return 0;
}
