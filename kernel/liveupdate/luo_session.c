// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: LUO sessions
 *
 * A session is a named group of preserved files, and the unit userspace
 * hands over: an agent creates a session per workload, preserves the
 * workload's files in it and, in the next kernel, retrieves the session
 * by name and the files by token.
 *
 * There are two lists of sessions. *Outgoing* sessions are created in this
 * kernel and handed to the next one; their names are unique among
 * outgoing sessions. *Incoming* sessions were handed over by the previous
 * kernel; each can be retrieved once, and is removed when userspace has
 * finished it and closed it. An incoming session is never handed on:
 * userspace preserves what it still needs in a new outgoing session.
 *
 * Each session is a file of its own, with its own inode in a small pseudo
 * filesystem (magic %LUO_SESSION_MAGIC), so that userspace can recognise a
 * session file with fstatfs() and compare two with fstat(). Its
 * ``/proc/<pid>/fd`` link reads ``[luo_session] <name>``.
 *
 * Closing the last file of a session ends it: an outgoing session
 * unpreserves all its files, as if they had never been preserved; an
 * incoming session is finished (see %LIVEUPDATE_SESSION_FINISH). If a
 * handler vetoes that finish, the session keeps its files until the next
 * live update and can no longer be retrieved.
 *
 * At reboot, sessions are frozen in creation order and serialized into a
 * block chain of &struct luo_session_ser; the block set grows with every
 * session created, so that the reboot itself allocates nothing.
 *
 * Locking: &luo_in.lock (luo_core.c, deserialization and the discard of
 * incoming sessions only) > &luo_serialize_rwsem (read) > list rwsem >
 * session mutex. Every session operation holds &luo_serialize_rwsem for
 * reading; the reboot holds it for writing and keeps it when it succeeds. No
 * user memory is read or written with any of these locks held: a fault in
 * user memory can take forever (userfaultfd, FUSE), and would block the
 * reboot. The ioctls copy their argument in before taking the locks and
 * their reply out after dropping them.
 *
 * A session file lives as long as its last reference, which may outlive
 * the session (``/proc/<pid>/fd`` readers hold the file's dentry): what the
 * file shows of the session, its ``/proc`` link, is therefore kept in the
 * dentry's own name, never read from the session.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/dcache.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_context.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/ktime.h>
#include <linux/magic.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>
#include <linux/rbtree.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "luo_internal.h"

/**
 * struct luo_session_list - a list of sessions
 * @rwsem: protects the other fields; nests inside &luo_serialize_rwsem.
 * @sessions: the sessions, in creation (outgoing) or handover (incoming)
 *            order.
 * @names: the same sessions, by name.
 * @count: number of entries in @sessions.
 * @bs: outgoing: the block set the sessions are serialized into, with
 *      capacity for exactly @count entries.
 */
struct luo_session_list {
	struct rw_semaphore rwsem;
	struct list_head sessions;
	struct rb_root names;
	long count;
	struct kho_block_set bs;
};

static struct luo_session_list luo_outgoing = {
	.rwsem = __RWSEM_INITIALIZER(luo_outgoing.rwsem),
	.sessions = LIST_HEAD_INIT(luo_outgoing.sessions),
	.names = RB_ROOT,
	.bs = KHO_BLOCK_SET_INIT(luo_outgoing.bs,
				 sizeof(struct luo_session_ser)),
};

static struct luo_session_list luo_incoming = {
	.rwsem = __RWSEM_INITIALIZER(luo_incoming.rwsem),
	.sessions = LIST_HEAD_INIT(luo_incoming.sessions),
	.names = RB_ROOT,
};

static struct vfsmount *luo_session_mnt __ro_after_init;

/* The /proc/<pid>/fd link of a session is this and the session name. */
#define LUO_SESSION_DNAME_PREFIX	"[luo_session] "

/*
 * Inode numbers of session files: private and 64-bit, so that an inode
 * number identifies one session for the life of the host. get_next_ino()
 * is shared with every pseudo filesystem and wraps at 2^32.
 */
static atomic64_t luo_session_ino = ATOMIC64_INIT(0);

/*
 * Outgoing sessions are charged to the memcg of the process creating them;
 * incoming ones are built by the kernel on first open.
 */
static struct luo_session *luo_session_alloc(const char *name, bool incoming)
{
	struct luo_session *session;

	session = kzalloc(sizeof(*session),
			  incoming ? GFP_KERNEL : GFP_KERNEL_ACCOUNT);
	if (!session)
		return NULL;

	strscpy(session->name, name);
	mutex_init(&session->mutex);
	luo_file_set_init(&session->file_set);
	INIT_LIST_HEAD(&session->list);
	session->incoming = incoming;
	return session;
}

static void luo_session_free(struct luo_session *session)
{
	kho_block_set_destroy(&session->file_set.bs);
	mutex_destroy(&session->mutex);
	kfree(session);
}

/**
 * luo_session_name_len - length of a session's name
 * @session: the session.
 *
 * For printing the name escaped, with "%*pE": session names are chosen by
 * userspace and may hold any byte.
 *
 * Return: the length of the name, without the NUL.
 */
int luo_session_name_len(const struct luo_session *session)
{
	return strnlen(session->name, sizeof(session->name));
}

static int luo_session_name_cmp(const void *name, const struct rb_node *node)
{
	return strncmp(name, rb_entry(node, struct luo_session, node)->name,
		       LIVEUPDATE_SESSION_NAME_LENGTH);
}

static struct luo_session *luo_session_find(struct luo_session_list *list,
					    const char *name)
{
	struct rb_node *node;

	lockdep_assert_held(&list->rwsem);

	node = rb_find(name, &list->names, luo_session_name_cmp);
	return node ? rb_entry(node, struct luo_session, node) : NULL;
}

static bool luo_session_less(struct rb_node *a, const struct rb_node *b)
{
	return luo_session_name_cmp(rb_entry(a, struct luo_session, node)->name,
				    b) < 0;
}

/* Add @session, whose name is not in @list yet, at the end of @list. */
static void luo_session_add(struct luo_session_list *list,
			    struct luo_session *session)
{
	lockdep_assert_held_write(&list->rwsem);

	list_add_tail(&session->list, &list->sessions);
	rb_add(&session->node, &list->names, luo_session_less);
	list->count++;
}

/* Insert an outgoing session: its list stays in creation order. */
static int luo_session_insert(struct luo_session *session)
{
	int err;

	guard(rwsem_write)(&luo_outgoing.rwsem);

	if (luo_session_find(&luo_outgoing, session->name))
		return -EEXIST;

	err = kho_block_set_grow(&luo_outgoing.bs, luo_outgoing.count + 1);
	if (err)
		return err;

	luo_session_add(&luo_outgoing, session);
	return 0;
}

static void luo_session_remove(struct luo_session_list *list,
			       struct luo_session *session)
{
	lockdep_assert_held_write(&list->rwsem);

	list_del_init(&session->list);
	rb_erase(&session->node, &list->names);
	list->count--;
	if (list == &luo_outgoing)
		kho_block_set_shrink(&list->bs, list->count);
}

/* Closing an outgoing session undoes all its preservation. */
static void luo_session_release_outgoing(struct luo_session *session)
{
	/*
	 * The caller holds &luo_serialize_rwsem for reading: a reboot meanwhile
	 * fails with -EBUSY, so none serializes a session half unpreserved.
	 * The session leaves the list first, so that its name is free again,
	 * and the list lock is not held while its files are unpreserved.
	 */
	lockdep_assert_held_read(&luo_serialize_rwsem);
	scoped_guard(rwsem_write, &luo_outgoing.rwsem)
		luo_session_remove(&luo_outgoing, session);
	scoped_guard(mutex, &session->mutex)
		luo_file_unpreserve_all(session);
	luo_session_free(session);
}

/*
 * Closing an incoming session finishes it, unless a handler objects. A file
 * made by a RETRIEVE_SESSION whose reply failed was never the caller's: it
 * gives the session back, untouched.
 */
static void luo_session_release_incoming(struct luo_session *session)
{
	int err;

	scoped_guard(rwsem_write, &luo_incoming.rwsem) {
		if (session->state == LUO_SESSION_CLAIMED) {
			session->state = LUO_SESSION_AVAILABLE;
			return;
		}
	}
	/*
	 * Retrieved: nobody else can take it, so the files are finished
	 * without the list lock, which other sessions need meanwhile.
	 */
	scoped_guard(mutex, &session->mutex)
		err = luo_file_finish(session);
	if (err) {
		pr_warn("session '%*pE': cannot finish on close (%pe); kept until the next live update\n",
			luo_session_name_len(session), session->name,
			ERR_PTR(err));
		return;
	}
	scoped_guard(rwsem_write, &luo_incoming.rwsem)
		luo_session_remove(&luo_incoming, session);
	luo_session_free(session);
}

static int luo_session_release(struct inode *inode, struct file *filp)
{
	struct luo_session *session = filp->private_data;

	guard(rwsem_read)(&luo_serialize_rwsem);

	if (session->incoming)
		luo_session_release_incoming(session);
	else
		luo_session_release_outgoing(session);
	return 0;
}

static int luo_session_preserve_fd(struct luo_ucmd *ucmd)
{
	struct liveupdate_session_preserve_fd *argp = ucmd->cmd;
	struct luo_session *session = ucmd->session;
	int err;

	/*
	 * The reply has no output field: it is the argument as given. Write
	 * it before preserving, so that a reply that cannot be written
	 * (-EFAULT) leaves nothing preserved.
	 */
	err = luo_ucmd_respond(ucmd, sizeof(*argp));
	if (err)
		return err;

	guard(rwsem_read)(&luo_serialize_rwsem);
	guard(mutex)(&session->mutex);
	return luo_preserve_file(session, argp->token, argp->fd);
}

static int luo_session_retrieve_file(struct luo_ucmd *ucmd,
				     struct file **filep)
{
	struct liveupdate_session_retrieve_fd *argp = ucmd->cmd;
	struct luo_session *session = ucmd->session;

	guard(rwsem_read)(&luo_serialize_rwsem);
	guard(mutex)(&session->mutex);
	return luo_retrieve_file(session, argp->token, filep);
}

static int luo_session_retrieve_fd(struct luo_ucmd *ucmd)
{
	struct liveupdate_session_retrieve_fd *argp = ucmd->cmd;

	return luo_ucmd_reply_fd(ucmd, sizeof(*argp), &argp->fd,
				 luo_session_retrieve_file, NULL);
}

static int luo_session_finish(struct luo_ucmd *ucmd)
{
	struct liveupdate_session_finish *argp = ucmd->cmd;
	struct luo_session *session = ucmd->session;

	if (argp->reserved)
		return -EINVAL;

	guard(rwsem_read)(&luo_serialize_rwsem);
	guard(mutex)(&session->mutex);
	return luo_file_finish(session);
}

static int luo_session_get_name(struct luo_ucmd *ucmd)
{
	struct liveupdate_session_get_name *argp = ucmd->cmd;
	struct luo_session *session = ucmd->session;

	if (argp->reserved)
		return -EINVAL;

	/* The name never changes: no lock needed. */
	strscpy_pad(argp->name, session->name);
	return luo_ucmd_respond(ucmd, sizeof(*argp));
}

union luo_session_ioctl_buf {
	struct liveupdate_session_preserve_fd preserve;
	struct liveupdate_session_retrieve_fd retrieve;
	struct liveupdate_session_finish finish;
	struct liveupdate_session_get_name get_name;
};

/* The entry of LIVEUPDATE_SESSION_<_name>, at its command number. */
#define LUO_SESSION_OP(_name, _fn, _type, _last, _kinds)		\
	[LIVEUPDATE_CMD_SESSION_##_name - LIVEUPDATE_CMD_SESSION_BASE] =\
	LUO_IOCTL_OP(LIVEUPDATE_SESSION_##_name, _fn, _type, _last,	\
		     _kinds, union luo_session_ioctl_buf)

static const struct luo_ioctl_op luo_session_ops[] = {
	LUO_SESSION_OP(PRESERVE_FD, luo_session_preserve_fd,
		       struct liveupdate_session_preserve_fd, token,
		       LUO_KIND_OUTGOING),
	LUO_SESSION_OP(RETRIEVE_FD, luo_session_retrieve_fd,
		       struct liveupdate_session_retrieve_fd, token,
		       LUO_KIND_INCOMING),
	LUO_SESSION_OP(FINISH, luo_session_finish,
		       struct liveupdate_session_finish, reserved,
		       LUO_KIND_INCOMING),
	LUO_SESSION_OP(GET_NAME, luo_session_get_name,
		       struct liveupdate_session_get_name, name,
		       LUO_KIND_OUTGOING | LUO_KIND_INCOMING),
};

static long luo_session_ioctl(struct file *filp, unsigned int cmd,
			      unsigned long arg)
{
	struct luo_session *session = filp->private_data;
	union luo_session_ioctl_buf buf;
	struct luo_ucmd ucmd = { .session = session };

	/* Each command takes the locks it needs, around no user copy. */
	return luo_ioctl_dispatch(luo_session_ops, ARRAY_SIZE(luo_session_ops),
				  LIVEUPDATE_CMD_SESSION_BASE,
				  session->incoming ? LUO_KIND_INCOMING :
						      LUO_KIND_OUTGOING,
				  &ucmd, &buf, cmd, arg);
}

/*
 * What the session holds, for agents and operators: its name (every byte
 * that is not a printable non-space character, and the backslash, written
 * as \ooo in octal, so that a name can neither split the line nor reach a
 * terminal raw), whether it is outgoing or incoming, and its files (see
 * luo_file_show_fdinfo()). Reading it takes the session's mutex, never the
 * locks a reboot holds, so it works until the kexec. With many files the
 * text is large (about 60 bytes a file) and built under that mutex.
 */
static void luo_session_show_fdinfo(struct seq_file *m, struct file *filp)
{
	struct luo_session *session = filp->private_data;
	const char *c;

	seq_puts(m, "luo_session:\t");
	for (c = session->name; *c; c++) {
		if (isgraph(*c) && *c != '\\')
			seq_putc(m, *c);
		else
			seq_printf(m, "\\%03o", (unsigned char)*c);
	}
	seq_printf(m, "\nluo_direction:\t%s\n",
		   session->incoming ? "incoming" : "outgoing");
	if (mutex_lock_killable(&session->mutex))
		return;
	luo_file_show_fdinfo(session, m);
	mutex_unlock(&session->mutex);
}

static const struct file_operations luo_session_fops = {
	.owner = THIS_MODULE,
	.release = luo_session_release,
	.unlocked_ioctl = luo_session_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.show_fdinfo = luo_session_show_fdinfo,
};

/*
 * The /proc/<pid>/fd link of a session file: the dentry's name, set when
 * the file was made. The session may be gone by now (a readlink holds the
 * dentry, not the file), but the dentry and its name are not, and the name
 * of a pseudo dentry never changes.
 */
static char *luo_session_dname(struct dentry *dentry, char *buffer,
			       int buflen)
{
	unsigned int len = dentry->d_name.len;

	/*
	 * Not dynamic_dname(): it formats into 64 bytes, less than the prefix
	 * and a name of LIVEUPDATE_SESSION_NAME_LENGTH - 1 bytes. The result
	 * ends at the end of @buffer, as d_path() expects.
	 */
	if (len >= buflen)
		return ERR_PTR(-ENAMETOOLONG);
	buffer += buflen - len - 1;
	memcpy(buffer, dentry->d_name.name, len);
	buffer[len] = '\0';
	return buffer;
}

static const struct dentry_operations luo_session_dops = {
	.d_dname = luo_session_dname,
	.d_delete = always_delete_dentry,
};

static const struct super_operations luo_session_sops = {
	.statfs = simple_statfs,
	.drop_inode = generic_delete_inode,
};

static int luo_session_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx;

	ctx = init_pseudo(fc, LUO_SESSION_MAGIC);
	if (!ctx)
		return -ENOMEM;

	ctx->ops = &luo_session_sops;
	ctx->dops = &luo_session_dops;
	fc->s_iflags |= SB_I_NOEXEC | SB_I_NODEV;
	return 0;
}

/* Not registered: it cannot be mounted from userspace. */
static struct file_system_type luo_session_fs_type = {
	.name = "luo_session",
	.init_fs_context = luo_session_init_fs_context,
	.kill_sb = kill_anon_super,
};

/**
 * luo_session_fs_init - set up the filesystem of the session files
 *
 * Return: 0 or a negative errno; LUO stays disabled on error.
 */
int __init luo_session_fs_init(void)
{
	struct vfsmount *mnt;

	mnt = kern_mount(&luo_session_fs_type);
	if (IS_ERR(mnt))
		return PTR_ERR(mnt);

	luo_session_mnt = mnt;
	return 0;
}

/* Make the file of @session, with an inode of its own. */
static struct file *luo_session_file(struct luo_session *session)
{
	char dname[sizeof(LUO_SESSION_DNAME_PREFIX) +
		   LIVEUPDATE_SESSION_NAME_LENGTH];
	struct inode *inode;
	struct file *file;

	inode = alloc_anon_inode(luo_session_mnt->mnt_sb);
	if (IS_ERR(inode))
		return ERR_CAST(inode);

	inode->i_ino = atomic64_inc_return(&luo_session_ino);
	snprintf(dname, sizeof(dname), LUO_SESSION_DNAME_PREFIX "%s",
		 session->name);
	file = alloc_file_pseudo(inode, luo_session_mnt, dname, O_RDWR,
				 &luo_session_fops);
	if (IS_ERR(file)) {
		iput(inode);
		return file;
	}

	file->private_data = session;
	return file;
}

/**
 * luo_session_create - create an outgoing session
 * @name: the session name, as given by userspace (not yet checked).
 * @filep: where to return the session file.
 *
 * Context: process context; takes &luo_serialize_rwsem and the outgoing
 * list's rwsem.
 * Return: 0; -EINVAL if @name is empty or not NUL-terminated; -EEXIST if
 * an outgoing session has that name; -ENOSPC or -ENOMEM.
 */
int luo_session_create(const char *name, struct file **filep)
{
	struct luo_session *session;
	struct file *file;
	size_t len;
	int err;

	len = strnlen(name, LIVEUPDATE_SESSION_NAME_LENGTH);
	if (!len || len == LIVEUPDATE_SESSION_NAME_LENGTH)
		return -EINVAL;

	guard(rwsem_read)(&luo_serialize_rwsem);

	session = luo_session_alloc(name, false);
	if (!session)
		return -ENOMEM;

	err = luo_session_insert(session);
	if (err)
		goto err_free;

	file = luo_session_file(session);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto err_remove;
	}

	*filep = file;
	return 0;

err_remove:
	scoped_guard(rwsem_write, &luo_outgoing.rwsem)
		luo_session_remove(&luo_outgoing, session);
err_free:
	luo_session_free(session);
	return err;
}

/**
 * luo_session_retrieve - retrieve an incoming session
 * @name: the session name, as given by userspace.
 * @filep: where to return the session file.
 *
 * The session is only claimed: it becomes the caller's when the reply
 * carrying its file descriptor was written, with
 * luo_session_retrieve_commit(). If the reply fails, dropping the file
 * makes the session retrievable again, untouched.
 *
 * Context: process context; takes &luo_serialize_rwsem and the incoming
 * list's rwsem.
 * Return: 0; -ENOENT if there is no incoming session of that name;
 * -EINVAL if it was retrieved already, or is being retrieved; -ENOMEM.
 */
int luo_session_retrieve(const char *name, struct file **filep)
{
	struct luo_session *session;
	struct file *file;

	guard(rwsem_read)(&luo_serialize_rwsem);
	guard(rwsem_write)(&luo_incoming.rwsem);

	session = luo_session_find(&luo_incoming, name);
	if (!session)
		return -ENOENT;
	if (session->state != LUO_SESSION_AVAILABLE)
		return -EINVAL;

	file = luo_session_file(session);
	if (IS_ERR(file))
		return PTR_ERR(file);

	session->state = LUO_SESSION_CLAIMED;
	*filep = file;
	return 0;
}

/**
 * luo_session_retrieve_commit - hand a retrieved session to userspace
 * @file: the file luo_session_retrieve() made, whose descriptor was
 *        written to the caller's reply and is about to be installed.
 *
 * From here on the session is the caller's: closing its file ends it.
 *
 * Context: process context; takes the incoming list's rwsem.
 */
void luo_session_retrieve_commit(struct file *file)
{
	struct luo_session *session = file->private_data;

	guard(rwsem_write)(&luo_incoming.rwsem);
	session->state = LUO_SESSION_RETRIEVED;
}

/* Undo the freeze of the sessions before @end, most recent first. */
static void luo_session_unfreeze_until(struct luo_session *end)
{
	struct luo_session *session = end;

	list_for_each_entry_continue_reverse(session, &luo_outgoing.sessions,
					     list) {
		scoped_guard(mutex, &session->mutex)
			luo_file_unfreeze(session);
	}
}

/**
 * luo_session_serialize - freeze every outgoing session and serialize it
 * @ser: the outgoing "LUO" blob, whose &luo_ser.sessions_pa is set.
 *
 * Freezes sessions in creation order. If a session fails to freeze, the
 * sessions frozen before it are unfrozen, most recent first, and the
 * serialized data is wiped.
 *
 * Context: in reboot(), with &luo_serialize_rwsem held for writing.
 * Return: 0, or the error of the handler that failed to freeze.
 */
int luo_session_serialize(struct luo_ser *ser)
{
	struct luo_session *session;
	struct kho_block_set_it it;
	int err = 0;

	lockdep_assert_held_write(&luo_serialize_rwsem);
	guard(rwsem_write)(&luo_outgoing.rwsem);

	ser->sessions_pa = 0;
	kho_block_set_it_init(&it, &luo_outgoing.bs);

	list_for_each_entry(session, &luo_outgoing.sessions, list) {
		struct luo_session_ser *entry;

		/* The set was grown with every session created. */
		entry = kho_block_set_it_reserve_entry(&it);
		if (WARN_ON_ONCE(!entry)) {
			err = -ENOSPC;
			goto err_undo;
		}

		scoped_guard(mutex, &session->mutex)
			err = luo_file_freeze(session, &entry->file_set_ser);
		if (err) {
			pr_err("session '%*pE': freeze failed: %pe\n",
			       luo_session_name_len(session), session->name,
			       ERR_PTR(err));
			goto err_undo;
		}
		strscpy_pad(entry->name, session->name);
	}

	ser->sessions_pa = kho_block_set_head_pa(&luo_outgoing.bs);
	return 0;

err_undo:
	luo_session_unfreeze_until(session);
	kho_block_set_clear(&luo_outgoing.bs);
	return err;
}

/*
 * Read one entry of the incoming session chain into the incoming list and
 * add its files to @nr_files. Returns 0, or a negative errno (with a log
 * line if @report) if the entry cannot be trusted; nothing of it is then
 * kept, and its memory stays reserved.
 */
static int luo_session_deserialize_one(const struct luo_session_ser *entry,
				       bool report, long *nr_files)
{
	struct luo_session *session;
	size_t len;
	int err;

	len = strnlen(entry->name, sizeof(entry->name));
	if (!len || len == sizeof(entry->name)) {
		if (report)
			pr_err("incoming session with a malformed name\n");
		return -EINVAL;
	}
	if (luo_session_find(&luo_incoming, entry->name)) {
		if (report)
			pr_err("incoming session '%*pE' is duplicated\n",
			       (int)len, entry->name);
		return -EINVAL;
	}

	session = luo_session_alloc(entry->name, true);
	if (!session)
		return -ENOMEM;

	err = luo_file_deserialize(session, &entry->file_set_ser);
	if (err) {
		if (report)
			pr_err("incoming session '%*pE': %pe\n", (int)len,
			       entry->name, ERR_PTR(err));
		luo_session_free(session);
		return err;
	}

	luo_session_add(&luo_incoming, session);
	*nr_files += session->file_set.count;
	return 0;
}

/**
 * luo_session_deserialize - build the incoming sessions
 * @sessions_pa: head of the incoming session block chain, 0 if none.
 *
 * Runs once, on the first open of the device. Any inconsistency fails the
 * whole handover for this boot, but the chain is still read to its end:
 * every session that reads in full is in the incoming list, for the
 * caller to discard through its handlers (luo_session_discard_incoming()),
 * which frees its memory, whether it came before or after a damaged one.
 * A session found inconsistent is dropped without calling its handlers,
 * so the memory behind it stays reserved; only the first one is named in
 * the log. Reading stops early only when the kernel runs out of memory.
 * The session chain itself is released once it has been read.
 *
 * Context: process context; the incoming file handlers must be registered.
 * Return: 0, or the first negative errno met if the handover data is
 * unusable.
 */
int luo_session_deserialize(u64 sessions_pa)
{
	ktime_t start = ktime_get();
	long nr_sessions = 0, nr_files = 0, nr_bad = 0;
	struct kho_block_set bs;
	struct kho_block_set_it it;
	struct luo_session_ser *entry;
	int err = 0, ret;

	if (!sessions_pa)
		return 0;	/* a cold boot, or nothing was preserved */

	kho_block_set_init(&bs, sizeof(struct luo_session_ser));
	ret = kho_block_set_restore(&bs, sessions_pa);
	if (ret) {
		pr_err("incoming session chain is corrupted: %pe\n",
		       ERR_PTR(ret));
		return ret;
	}

	guard(rwsem_write)(&luo_incoming.rwsem);

	kho_block_set_it_init(&it, &bs);
	while ((entry = kho_block_set_it_read_entry(&it))) {
		ret = luo_session_deserialize_one(entry, !nr_bad, &nr_files);
		cond_resched();
		if (!ret) {
			nr_sessions++;
			continue;
		}
		nr_bad++;
		if (!err)
			err = ret;
		if (ret == -ENOMEM)
			break;
	}

	/* The chain was checked whole: its blocks are ours to free. */
	kho_block_set_destroy(&bs);
	if (nr_bad > 1)
		pr_err("%ld more incoming session(s) unusable\n", nr_bad - 1);
	if (err)
		return err;
	/* Part of the blackout when an agent opens the device after boot. */
	pr_info("read %ld incoming session(s) with %ld file(s) in %lld us\n",
		nr_sessions, nr_files, ktime_us_delta(ktime_get(), start));
	return 0;
}

/**
 * luo_session_outgoing_count - number of outgoing sessions
 *
 * Context: process context; takes the outgoing list rwsem.
 * Return: the number of outgoing sessions.
 */
long luo_session_outgoing_count(void)
{
	guard(rwsem_read)(&luo_outgoing.rwsem);
	return luo_outgoing.count;
}

/**
 * luo_session_discard_incoming - finish every incoming session
 *
 * For a boot in which nobody can take the incoming sessions over: each is
 * finished as if userspace had retrieved nothing, so that its handlers give
 * the preserved memory back. A session whose handler vetoes the finish is
 * kept, with its memory reserved. Also for the complete sessions of a
 * handover found damaged on the first open, which userspace can no longer
 * reach.
 *
 * Context: process context, with &luo_in.lock held (at late_initcall_sync,
 * or on the first open of the device); takes &luo_serialize_rwsem and the
 * incoming list rwsem.
 * Return: the number of sessions discarded.
 */
int luo_session_discard_incoming(void)
{
	struct luo_session *session, *tmp;
	int err, n = 0;

	guard(rwsem_read)(&luo_serialize_rwsem);
	guard(rwsem_write)(&luo_incoming.rwsem);

	list_for_each_entry_safe(session, tmp, &luo_incoming.sessions, list) {
		scoped_guard(mutex, &session->mutex)
			err = luo_file_finish(session);
		if (err) {
			pr_warn("session '%*pE': cannot discard (%pe): its memory stays reserved\n",
				luo_session_name_len(session), session->name,
				ERR_PTR(err));
			continue;
		}
		luo_session_remove(&luo_incoming, session);
		luo_session_free(session);
		n++;
	}
	return n;
}
