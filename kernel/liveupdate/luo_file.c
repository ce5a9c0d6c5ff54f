// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: LUO files and file handlers
 *
 * LUO does not know how to preserve any file itself. Subsystems register a
 * *file handler* (&struct liveupdate_file_handler) for the kind of file
 * they own, and LUO drives each preserved file through the handler's
 * callbacks:
 *
 * 1. %LIVEUPDATE_SESSION_PRESERVE_FD: the first handler whose
 *    ``can_preserve`` accepts the file ``preserve``\ s it. LUO holds a
 *    reference to the file from now on.
 * 2. reboot(): ``freeze``, in preservation order. LUO records the
 *    handler's compatible string, its handle and the token.
 * 3. In the next kernel: on the first %LIVEUPDATE_SESSION_RETRIEVE_FD of
 *    the token, or when another file needs it, ``retrieve`` builds a new
 *    file; later retrievals return the same file.
 * 4. %LIVEUPDATE_SESSION_FINISH: ``can_finish`` for every file, then
 *    ``finish`` in reverse preservation order.
 *
 * Unhappy paths:
 *
 * - The session is closed before reboot: ``unpreserve``, in reverse
 *   preservation order; the file is as if it had never been preserved.
 * - ``freeze`` fails: ``unfreeze`` for the files frozen before it, and the
 *   reboot fails (see luo_session.c).
 * - ``retrieve`` fails: the error is remembered and returned by every
 *   later retrieval of the token; ``finish`` then discards the file.
 * - ``can_finish`` says no: the finish fails with -EBUSY and nothing
 *   changes; it may be tried again.
 *
 * A file, or rather what the handler's ``get_id`` says it is (an inode,
 * for memfds), is managed by LUO at most once: from its preservation until
 * its session is closed, and from its retrieval until its session is
 * finished. A second preservation fails with -EBUSY.
 *
 * Files may depend on other files of the same session, by token:
 * liveupdate_get_token_outgoing() and liveupdate_get_file_incoming().
 * A retrieve that needs another file retrieves it on the spot, so chains
 * of dependencies nest on the kernel stack: they are at most
 * %LUO_FILE_DEP_DEPTH_MAX files deep. Preserving a file that would make a
 * longer chain fails with -ELOOP, like a path with too many symbolic
 * links; an incoming chain that is longer (which only corrupted handover
 * data can hold) fails the retrieve of the file at the limit, and of the
 * files that depend on it, with -ELOOP.
 *
 * Only a file open for writing can be preserved (-EBADF otherwise): the
 * file's owner gives up control of it (memfds are frozen until the
 * session ends) and the next kernel returns it writable.
 *
 * Memory LUO allocates for a preserved or retrieved file is charged to the
 * memory cgroup of the process that asked for it.
 *
 * Locking: everything a file does happens under its session's mutex, which
 * therefore serializes the callbacks of each file. The handler list is
 * protected by &luo_register_rwsem, held only while looking a handler up.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/rbtree.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/xarray.h>

#include "luo_internal.h"

/**
 * struct luo_file - a preserved file
 * @fh: the handler, of which LUO holds a module reference.
 * @file: outgoing: the preserved file, of which LUO holds a reference.
 *        Incoming: the retrieved file with LUO's reference, or NULL while
 *        the file is not retrieved.
 * @serialized_data: the handler's handle of the preserved file.
 * @private_data: outgoing: the handler's runtime state.
 * @token: the user's token, unique within the session.
 * @id: the identity in &luo_file_ids; valid while the file is managed.
 * @retrieve_status: incoming: 0 if not retrieved, 1 if retrieved, or the
 *                   negative errno of the failed retrieve.
 * @retrieving: incoming: the handler's retrieve is running, to detect
 *              dependency cycles.
 * @dep_depth: outgoing: the length of the longest dependency chain that
 *             starts at this file, the file included.
 * @frozen: outgoing: the handler's freeze succeeded.
 * @list: entry in &luo_file_set.files.
 * @node: entry in &luo_file_set.tokens.
 *
 * Protected by the mutex of the session the file belongs to.
 */
struct luo_file {
	struct liveupdate_file_handler *fh;
	struct file *file;
	u64 serialized_data;
	void *private_data;
	u64 token;
	unsigned long id;
	int retrieve_status;
	bool retrieving;
	bool frozen;
	unsigned int dep_depth;
	struct list_head list;
	struct rb_node node;
};

/*
 * Longest chain of dependencies: a file, the file it needs, the file that
 * one needs... Each level costs a few hundred bytes of kernel stack in the
 * nested retrieves.
 */
#define LUO_FILE_DEP_DEPTH_MAX	16

/* The registered handlers, protected by luo_register_rwsem. */
static LIST_HEAD(luo_file_handlers);

/* What LUO manages, by handler identity; see the DOC block. */
static DEFINE_XARRAY(luo_file_ids);

/**
 * luo_file_set_init - initialise an empty file set
 * @set: the set.
 */
void luo_file_set_init(struct luo_file_set *set)
{
	INIT_LIST_HEAD(&set->files);
	set->tokens = RB_ROOT;
	set->count = 0;
	kho_block_set_init(&set->bs, sizeof(struct luo_file_ser));
}

static unsigned long luo_file_id(struct liveupdate_file_handler *fh,
				 struct file *file)
{
	if (fh->ops->get_id)
		return fh->ops->get_id(file);
	return (unsigned long)file;
}

static int luo_file_token_cmp(const void *key, const struct rb_node *node)
{
	u64 token = *(const u64 *)key;
	u64 other = rb_entry(node, struct luo_file, node)->token;

	return token < other ? -1 : token > other;
}

static struct luo_file *luo_file_find(struct luo_file_set *set, u64 token)
{
	struct rb_node *node = rb_find(&token, &set->tokens, luo_file_token_cmp);

	return node ? rb_entry(node, struct luo_file, node) : NULL;
}

static bool luo_file_less(struct rb_node *a, const struct rb_node *b)
{
	return rb_entry(a, struct luo_file, node)->token <
	       rb_entry(b, struct luo_file, node)->token;
}

/* Add @lf, whose token is not in @set yet, at the end of @set. */
static void luo_file_set_add(struct luo_file_set *set, struct luo_file *lf)
{
	list_add_tail(&lf->list, &set->files);
	rb_add(&lf->node, &set->tokens, luo_file_less);
	set->count++;
}

static void luo_file_set_del(struct luo_file_set *set, struct luo_file *lf)
{
	list_del(&lf->list);
	rb_erase(&lf->node, &set->tokens);
	set->count--;
}

/* The handler for @file, with a reference on its module, or NULL. */
static struct liveupdate_file_handler *luo_handler_for_file(struct file *file)
{
	struct liveupdate_file_handler *fh;

	guard(rwsem_read)(&luo_register_rwsem);

	list_for_each_entry(fh, &luo_file_handlers, list) {
		if (!fh->ops->can_preserve(fh, file))
			continue;
		/* A handler whose module is going away is no handler. */
		if (!try_module_get(fh->ops->owner))
			return NULL;
		return fh;
	}
	return NULL;
}

/* The handler of @compatible, with a reference on its module, or NULL. */
static struct liveupdate_file_handler *
luo_handler_for_compatible(const char *compatible)
{
	struct liveupdate_file_handler *fh;

	guard(rwsem_read)(&luo_register_rwsem);

	list_for_each_entry(fh, &luo_file_handlers, list) {
		if (strncmp(fh->compatible, compatible,
			    LIVEUPDATE_HNDL_COMPAT_LENGTH))
			continue;
		if (!try_module_get(fh->ops->owner))
			return NULL;
		return fh;
	}
	return NULL;
}

static void luo_file_args(struct luo_session *session, struct luo_file *lf,
			  struct liveupdate_file_op_args *args)
{
	*args = (struct liveupdate_file_op_args) {
		.handler = lf->fh,
		.session = &session->handle,
		.retrieve_status = lf->retrieve_status,
		.file = lf->file,
		.serialized_data = lf->serialized_data,
		.private_data = lf->private_data,
	};
}

/**
 * luo_preserve_file - preserve a file in an outgoing session
 * @session: the session.
 * @token: the user's token for the file.
 * @fd: the file descriptor of the file.
 *
 * Context: process context, with @session's mutex held.
 * Return: 0; -EEXIST if @token is used in the session; -ENOSPC or -ENOMEM
 * if the session's serialization cannot grow; -EBADF if @fd is not open,
 * or not open for writing; -ENOENT if no handler accepts the file; -EBUSY
 * if LUO manages the file already; -ELOOP if the file's dependencies
 * would be more than %LUO_FILE_DEP_DEPTH_MAX files deep; or an error from
 * the handler or one of its FLBs. On error nothing changed.
 */
int luo_preserve_file(struct luo_session *session, u64 token, int fd)
{
	struct luo_file_set *set = &session->file_set;
	struct liveupdate_file_op_args args;
	struct liveupdate_file_handler *fh;
	struct luo_file *lf;
	struct file *file;
	int err;

	lockdep_assert_held(&session->mutex);

	if (luo_file_find(set, token))
		return -EEXIST;

	err = kho_block_set_grow(&set->bs, set->count + 1);
	if (err)
		return err;

	file = fget(fd);
	if (!file) {
		err = -EBADF;
		goto err_shrink;
	}

	fh = luo_handler_for_file(file);
	if (!fh) {
		err = -ENOENT;
		goto err_fput;
	}

	/* The next kernel returns the file writable: so must it be now. */
	if (!(file->f_mode & FMODE_WRITE)) {
		err = -EBADF;
		goto err_module_put;
	}

	lf = kzalloc(sizeof(*lf), GFP_KERNEL_ACCOUNT);
	if (!lf) {
		err = -ENOMEM;
		goto err_module_put;
	}
	lf->fh = fh;
	lf->file = file;
	lf->token = token;
	lf->id = luo_file_id(fh, file);

	err = xa_insert(&luo_file_ids, lf->id, lf, GFP_KERNEL_ACCOUNT);
	if (err)
		goto err_free;

	err = luo_flb_file_preserve(fh);
	if (err)
		goto err_erase;

	/* liveupdate_get_token_outgoing() raises it for each dependency. */
	session->dep_depth = 1;
	luo_file_args(session, lf, &args);
	err = fh->ops->preserve(&args);
	if (err)
		goto err_flb;

	lf->dep_depth = session->dep_depth;
	lf->serialized_data = args.serialized_data;
	lf->private_data = args.private_data;
	luo_file_set_add(set, lf);
	return 0;

err_flb:
	luo_flb_file_unpreserve(fh);
err_erase:
	xa_erase(&luo_file_ids, lf->id);
err_free:
	kfree(lf);
err_module_put:
	module_put(fh->ops->owner);
err_fput:
	fput(file);
err_shrink:
	kho_block_set_shrink(&set->bs, set->count);
	return err;
}

static void luo_file_unpreserve(struct luo_session *session,
				struct luo_file *lf)
{
	struct luo_file_set *set = &session->file_set;
	struct liveupdate_file_op_args args;

	luo_file_args(session, lf, &args);
	lf->fh->ops->unpreserve(&args);
	luo_flb_file_unpreserve(lf->fh);
	xa_erase(&luo_file_ids, lf->id);
	module_put(lf->fh->ops->owner);
	fput(lf->file);

	luo_file_set_del(set, lf);
	kho_block_set_shrink(&set->bs, set->count);
	kfree(lf);
}

/**
 * luo_file_unpreserve_all - unpreserve every file of an outgoing session
 * @session: the session, being closed.
 *
 * Files are unpreserved in reverse preservation order, so that a file goes
 * before the files it depends on.
 *
 * Context: process context, with @session's mutex held.
 */
void luo_file_unpreserve_all(struct luo_session *session)
{
	struct luo_file *lf, *tmp;

	lockdep_assert_held(&session->mutex);

	list_for_each_entry_safe_reverse(lf, tmp, &session->file_set.files,
					 list) {
		luo_file_unpreserve(session, lf);
		cond_resched();
	}
}

/* Unfreeze, in preservation order, the frozen files of @session. */
static void luo_file_unfreeze_all(struct luo_session *session)
{
	struct liveupdate_file_op_args args;
	struct luo_file *lf;

	list_for_each_entry(lf, &session->file_set.files, list) {
		if (!lf->frozen)
			break;
		lf->frozen = false;
		if (!lf->fh->ops->unfreeze)
			continue;
		luo_file_args(session, lf, &args);
		lf->fh->ops->unfreeze(&args);
	}
	kho_block_set_clear(&session->file_set.bs);
}

/**
 * luo_file_freeze - freeze and serialize the files of an outgoing session
 * @session: the session.
 * @ser: where to describe the serialized files.
 *
 * Freezes the files in preservation order and writes one &struct
 * luo_file_ser per file. If a file fails to freeze, the files frozen before
 * it are unfrozen and the entries wiped.
 *
 * Context: in reboot(), with @session's mutex held.
 * Return: 0, or the error of the handler that failed to freeze.
 */
int luo_file_freeze(struct luo_session *session, struct luo_file_set_ser *ser)
{
	struct luo_file_set *set = &session->file_set;
	struct liveupdate_file_op_args args;
	struct kho_block_set_it it;
	struct luo_file *lf;
	int err;

	lockdep_assert_held(&session->mutex);

	kho_block_set_it_init(&it, &set->bs);
	list_for_each_entry(lf, &set->files, list) {
		struct luo_file_ser *entry;

		/* The set was grown with every file preserved. */
		entry = kho_block_set_it_reserve_entry(&it);
		if (WARN_ON_ONCE(!entry)) {
			err = -ENOSPC;
			goto err_unfreeze;
		}

		if (lf->fh->ops->freeze) {
			luo_file_args(session, lf, &args);
			err = lf->fh->ops->freeze(&args);
			if (err) {
				pr_err("session '%*pE': token %llu (%s): freeze failed: %pe\n",
				       luo_session_name_len(session),
				       session->name, lf->token,
				       lf->fh->compatible, ERR_PTR(err));
				goto err_unfreeze;
			}
			lf->serialized_data = args.serialized_data;
		}
		lf->frozen = true;

		strscpy_pad(entry->compatible, lf->fh->compatible);
		entry->data = lf->serialized_data;
		entry->token = lf->token;
	}

	ser->files = kho_block_set_head_pa(&set->bs);
	ser->count = set->count;
	return 0;

err_unfreeze:
	luo_file_unfreeze_all(session);
	return err;
}

/**
 * luo_file_unfreeze - undo luo_file_freeze()
 * @session: a session whose files were all frozen.
 *
 * Context: in reboot(), with @session's mutex held.
 */
void luo_file_unfreeze(struct luo_session *session)
{
	lockdep_assert_held(&session->mutex);
	luo_file_unfreeze_all(session);
}

/*
 * Retrieve @lf if it is not yet, and return its file with a new reference.
 * Recurses through liveupdate_get_file_incoming() when the handler needs
 * other files: @retrieving turns a dependency cycle into -ELOOP, and the
 * session's &luo_session.dep_depth bounds the nesting. A file beyond the
 * bound is left untouched (it can be retrieved by itself); the file that
 * needed it fails for good, as with any failing dependency.
 */
static int luo_file_get(struct luo_session *session, struct luo_file *lf,
			struct file **filep)
{
	struct liveupdate_file_op_args args;
	int err;

	if (lf->retrieve_status < 0)
		return lf->retrieve_status;
	if (lf->retrieving)
		return -ELOOP;

	if (!lf->retrieve_status) {
		if (session->dep_depth >= LUO_FILE_DEP_DEPTH_MAX)
			return -ELOOP;

		luo_file_args(session, lf, &args);
		args.file = NULL;
		lf->retrieving = true;
		session->dep_depth++;
		err = lf->fh->ops->retrieve(&args);
		session->dep_depth--;
		lf->retrieving = false;
		if (!err && !args.file)
			err = -EIO;
		if (err) {
			pr_warn("session '%*pE': token %llu (%s): retrieve failed: %pe\n",
				luo_session_name_len(session), session->name,
				lf->token, lf->fh->compatible, ERR_PTR(err));
			lf->retrieve_status = err;
			return err;
		}

		lf->file = args.file;
		lf->retrieve_status = 1;
		lf->id = luo_file_id(lf->fh, lf->file);
		err = xa_insert(&luo_file_ids, lf->id, lf, GFP_KERNEL_ACCOUNT);
		if (err) {
			/* Only a handler bug can make a new file a duplicate. */
			pr_warn("session '%*pE': token %llu: cannot track the retrieved file: %pe\n",
				luo_session_name_len(session), session->name,
				lf->token, ERR_PTR(err));
			lf->id = 0;
		}
	}

	*filep = get_file(lf->file);
	return 0;
}

/**
 * luo_retrieve_file - retrieve a file of an incoming session
 * @session: the session.
 * @token: the file's token.
 * @filep: where to return the file, with a reference for the caller.
 *
 * Context: process context, with @session's mutex held.
 * Return: 0; -ENOENT if the session has no file with @token; the error of
 * the handler's retrieve, now or from an earlier attempt; -ELOOP if the
 * file depends on itself through other files, or if it is needed by a
 * chain of %LUO_FILE_DEP_DEPTH_MAX files being retrieved.
 */
int luo_retrieve_file(struct luo_session *session, u64 token,
		      struct file **filep)
{
	struct luo_file *lf;

	lockdep_assert_held(&session->mutex);

	lf = luo_file_find(&session->file_set, token);
	if (!lf)
		return -ENOENT;

	return luo_file_get(session, lf, filep);
}

/**
 * luo_file_finish - finish every file of an incoming session
 * @session: the session.
 *
 * All or nothing: first asks every handler whether it can finish, then
 * finishes the files in reverse preservation order and forgets them.
 * Retrieved files stay open for whoever holds them.
 *
 * Context: process context, with @session's mutex held.
 * Return: 0, also for an empty session; -EBUSY if a handler vetoed, in
 * which case nothing changed.
 */
int luo_file_finish(struct luo_session *session)
{
	struct luo_file_set *set = &session->file_set;
	struct liveupdate_file_op_args args;
	struct luo_file *lf, *tmp;

	lockdep_assert_held(&session->mutex);

	list_for_each_entry(lf, &set->files, list) {
		if (!lf->fh->ops->can_finish)
			continue;
		luo_file_args(session, lf, &args);
		if (!lf->fh->ops->can_finish(&args))
			return -EBUSY;
	}

	list_for_each_entry_safe_reverse(lf, tmp, &set->files, list) {
		luo_file_args(session, lf, &args);
		if (lf->retrieve_status <= 0)
			args.file = NULL;
		lf->fh->ops->finish(&args);
		luo_flb_file_finish(lf->fh);
		if (lf->retrieve_status > 0) {
			if (lf->id)
				xa_erase(&luo_file_ids, lf->id);
			fput(lf->file);
		}
		module_put(lf->fh->ops->owner);
		luo_file_set_del(set, lf);
		kfree(lf);
		cond_resched();
	}
	return 0;
}

/**
 * luo_file_show_fdinfo - list the files of a session in its fdinfo
 * @session: the session.
 * @m: the fdinfo of the session's file.
 *
 * One ``luo_file:`` line per file, in preservation order: the token, the
 * handler's compatible string and where the file is in its life. The
 * states of an outgoing file are ``preserved`` and ``frozen`` (only seen
 * while a reboot is freezing); those of an incoming file ``incoming``
 * (not retrieved yet), ``retrieved``, or ``failed`` and the errno its
 * retrieve returned.
 *
 * Context: process context, with @session's mutex held.
 */
void luo_file_show_fdinfo(struct luo_session *session, struct seq_file *m)
{
	struct luo_file *lf;

	lockdep_assert_held(&session->mutex);

	seq_printf(m, "luo_files:\t%ld\n", session->file_set.count);
	list_for_each_entry(lf, &session->file_set.files, list) {
		seq_printf(m, "luo_file:\ttoken=%llu handler=%s state=",
			   lf->token, lf->fh->compatible);
		if (!session->incoming)
			seq_puts(m, lf->frozen ? "frozen\n" : "preserved\n");
		else if (lf->retrieve_status > 0)
			seq_puts(m, "retrieved\n");
		else if (lf->retrieve_status < 0)
			seq_printf(m, "failed errno=%d\n", -lf->retrieve_status);
		else
			seq_puts(m, "incoming\n");
		cond_resched();
	}
}

/**
 * luo_file_deserialize - build the files of an incoming session
 * @session: the new incoming session, not yet visible.
 * @ser: where the previous kernel serialized its files.
 *
 * Every file gets a record that is not yet retrieved and a reference on
 * its handler's module. The file chain is released once read, also when an
 * entry is inconsistent; the records built so far are then dropped again
 * without calling their handlers, since the data behind the files is not
 * trusted: their memory stays reserved.
 *
 * Return: 0; -ENOENT if no registered handler has a file's compatible
 * string; -EINVAL if the chain or its entries are corrupted; -ENOMEM.
 */
int luo_file_deserialize(struct luo_session *session,
			 const struct luo_file_set_ser *ser)
{
	struct luo_file_set *set = &session->file_set;
	struct kho_block_set_it it;
	struct luo_file_ser *entry;
	struct kho_block_set bs;
	int err;

	if (!ser->files) {
		if (ser->count)
			return -EINVAL;
		return 0;
	}

	kho_block_set_init(&bs, sizeof(struct luo_file_ser));
	err = kho_block_set_restore(&bs, ser->files);
	if (err)
		return err;

	kho_block_set_it_init(&it, &bs);
	while ((entry = kho_block_set_it_read_entry(&it))) {
		struct liveupdate_file_handler *fh;
		struct luo_file *lf;
		size_t len;

		len = strnlen(entry->compatible, sizeof(entry->compatible));
		if (!len || len == sizeof(entry->compatible) ||
		    luo_file_find(set, entry->token)) {
			err = -EINVAL;
			goto out;
		}

		fh = luo_handler_for_compatible(entry->compatible);
		if (!fh) {
			pr_err("session '%*pE': token %llu: no handler for '%*pE'\n",
			       luo_session_name_len(session), session->name,
			       entry->token, (int)len, entry->compatible);
			err = -ENOENT;
			goto out;
		}

		lf = kzalloc(sizeof(*lf), GFP_KERNEL);
		if (!lf) {
			module_put(fh->ops->owner);
			err = -ENOMEM;
			goto out;
		}
		lf->fh = fh;
		lf->serialized_data = entry->data;
		lf->token = entry->token;
		luo_file_set_add(set, lf);
		cond_resched();
	}

	err = set->count == ser->count ? 0 : -EINVAL;
out:
	/* The chain was checked whole: its blocks are ours to free. */
	kho_block_set_destroy(&bs);
	if (err) {
		struct luo_file *lf, *tmp;

		list_for_each_entry_safe(lf, tmp, &set->files, list) {
			module_put(lf->fh->ops->owner);
			luo_file_set_del(set, lf);
			kfree(lf);
		}
	}
	return err;
}

/*
 * The entry of @file in the outgoing @session, or NULL. Found by its
 * identity (&luo_file_ids), not by a walk of the session: a handler may
 * ask for every file it preserves. The walk remains for a file that is
 * not found that way (its handler would not be the first to take it
 * now).
 */
static struct luo_file *luo_file_find_outgoing(struct luo_session *session,
					       struct file *file)
{
	struct liveupdate_file_handler *fh = luo_handler_for_file(file);
	struct luo_file *lf = NULL;

	if (fh) {
		/*
		 * The entry may be another session's: the lock keeps it from
		 * being freed (it leaves &luo_file_ids first) while it is
		 * looked at.
		 */
		xa_lock(&luo_file_ids);
		lf = xa_load(&luo_file_ids, luo_file_id(fh, file));
		if (lf && (lf->file != file ||
			   luo_file_find(&session->file_set, lf->token) != lf))
			lf = NULL;
		xa_unlock(&luo_file_ids);
		module_put(fh->ops->owner);
		if (lf)
			return lf;
	}
	list_for_each_entry(lf, &session->file_set.files, list)
		if (lf->file == file)
			return lf;
	return NULL;
}

/**
 * liveupdate_get_token_outgoing - find the token of a preserved file
 * @s: the session, as passed to a handler callback.
 * @file: a file that may be preserved in @s.
 * @tokenp: where to store the token; may be NULL.
 *
 * Lets a handler record a dependency on another file of the session by its
 * token, which is stable across the live update, unlike a pointer. The
 * dependency must therefore be preserved before the file that needs it.
 * Called from ``preserve``, it also counts the dependency against the
 * limit on dependency chains.
 *
 * Context: from a file handler callback on an outgoing session (the
 * session's mutex is held).
 * Return: 0; -ENOENT if @file is not preserved in @s; -EINVAL if @s is not
 * an outgoing session; -ELOOP if the file being preserved would start a
 * chain of more than %LUO_FILE_DEP_DEPTH_MAX files.
 */
int liveupdate_get_token_outgoing(struct liveupdate_session *s,
				  struct file *file, u64 *tokenp)
{
	struct luo_session *session = luo_session_from_handle(s);
	struct luo_file *lf;

	lockdep_assert_held(&session->mutex);

	if (session->incoming)
		return -EINVAL;

	lf = luo_file_find_outgoing(session, file);
	if (!lf)
		return -ENOENT;
	if (lf->dep_depth >= LUO_FILE_DEP_DEPTH_MAX)
		return -ELOOP;
	session->dep_depth = max(session->dep_depth, lf->dep_depth + 1);
	if (tokenp)
		*tokenp = lf->token;
	return 0;
}
EXPORT_SYMBOL_GPL(liveupdate_get_token_outgoing);

/**
 * liveupdate_get_file_incoming - get a file of an incoming session by token
 * @s: the session, as passed to a handler callback.
 * @token: the token of the file.
 * @filep: where to return the file, with a reference the caller must drop
 *         with fput().
 *
 * Retrieves the file first if it was not retrieved yet; a later retrieval
 * of the token by userspace returns the same file. This lets userspace
 * retrieve files in any order.
 *
 * Context: from a file handler callback on an incoming session (the
 * session's mutex is held).
 * Return: 0; -ENOENT if @s has no file with @token; -EINVAL if @s is not
 * an incoming session; -ELOOP if the file is being retrieved already
 * (a dependency cycle); or the error of the file's retrieve, which is
 * permanent.
 */
int liveupdate_get_file_incoming(struct liveupdate_session *s, u64 token,
				 struct file **filep)
{
	struct luo_session *session = luo_session_from_handle(s);

	lockdep_assert_held(&session->mutex);

	if (!session->incoming)
		return -EINVAL;

	return luo_retrieve_file(session, token, filep);
}
EXPORT_SYMBOL_GPL(liveupdate_get_file_incoming);

/**
 * liveupdate_register_file_handler - register a file handler
 * @fh: the handler, with its ops and compatible string set. It must stay
 *      valid until unregistered.
 *
 * Handlers whose files may come from the previous kernel must register
 * before ``/dev/liveupdate`` is first opened, that is during boot.
 *
 * Return: 0; -EOPNOTSUPP if live update is disabled; -EINVAL if a
 * mandatory callback is missing; -EEXIST if a handler with the same
 * compatible string is registered.
 */
int liveupdate_register_file_handler(struct liveupdate_file_handler *fh)
{
	const struct liveupdate_file_ops *ops = fh->ops;
	struct liveupdate_file_handler *other;

	if (!liveupdate_enabled())
		return -EOPNOTSUPP;
	if (!ops || !ops->can_preserve || !ops->preserve ||
	    !ops->unpreserve || !ops->retrieve || !ops->finish)
		return -EINVAL;

	guard(rwsem_write)(&luo_register_rwsem);

	list_for_each_entry(other, &luo_file_handlers, list)
		if (!strncmp(other->compatible, fh->compatible,
			     LIVEUPDATE_HNDL_COMPAT_LENGTH))
			return -EEXIST;

	INIT_LIST_HEAD(&ACCESS_PRIVATE(fh, flbs));
	list_add_tail(&ACCESS_PRIVATE(fh, list), &luo_file_handlers);
	return 0;
}
EXPORT_SYMBOL_GPL(liveupdate_register_file_handler);

/**
 * liveupdate_unregister_file_handler - unregister a file handler
 * @fh: a registered handler.
 *
 * Unlinks the handler's FLBs and removes it. The caller makes sure no file
 * uses the handler any more; the module references LUO holds for preserved
 * files normally see to it.
 */
void liveupdate_unregister_file_handler(struct liveupdate_file_handler *fh)
{
	guard(rwsem_write)(&luo_register_rwsem);

	luo_flb_unlink_all(fh);
	list_del_init(&ACCESS_PRIVATE(fh, list));
}
EXPORT_SYMBOL_GPL(liveupdate_unregister_file_handler);

/**
 * luo_handler_registered - whether a handler is registered
 * @fh: the handler.
 *
 * Context: &luo_register_rwsem held.
 * Return: true if @fh is registered.
 */
bool luo_handler_registered(struct liveupdate_file_handler *fh)
{
	struct liveupdate_file_handler *other;

	lockdep_assert_held(&luo_register_rwsem);

	list_for_each_entry(other, &luo_file_handlers, list)
		if (other == fh)
			return true;
	return false;
}
