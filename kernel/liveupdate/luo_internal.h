/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Live Update Orchestrator: declarations shared by the luo_*.c files.
 *
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */
#ifndef _KERNEL_LIVEUPDATE_LUO_INTERNAL_H
#define _KERNEL_LIVEUPDATE_LUO_INTERNAL_H

#include <linux/kho_block.h>
#include <linux/kho/abi/luo.h>
#include <linux/liveupdate.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/rwsem.h>
#include <linux/types.h>

struct seq_file;

/**
 * struct luo_ucmd - one ioctl call being executed
 * @ubuffer: the caller's argument.
 * @user_size: the size the caller gave in the argument's first field.
 * @cmd: the argument, copied into the kernel and extended to the kernel's
 *       size.
 * @session: for session ioctls, the session the ioctl was issued on.
 */
struct luo_ucmd {
	void __user *ubuffer;
	u32 user_size;
	void *cmd;
	struct luo_session *session;
};

/* Session kinds an ioctl applies to (&luo_ioctl_op.kinds). */
#define LUO_KIND_OUTGOING	BIT(0)
#define LUO_KIND_INCOMING	BIT(1)

/**
 * struct luo_ioctl_op - an entry of an ioctl dispatch table
 * @size: size of the kernel's argument structure.
 * @min_size: size up to and including the last mandatory field.
 * @ioctl_num: the full ioctl number.
 * @kinds: for session ioctls, the session kinds (%LUO_KIND_*) the ioctl
 *         applies to; 0 for device ioctls.
 * @execute: the handler. It works on &luo_ucmd.cmd only and answers with
 *           luo_ucmd_respond().
 */
struct luo_ioctl_op {
	unsigned int size;
	unsigned int min_size;
	unsigned int ioctl_num;
	unsigned int kinds;
	int (*execute)(struct luo_ucmd *ucmd);
};

/*
 * Entry of a dispatch table for the ioctl @_ioctl taking @_type, whose last
 * mandatory field is @_last; @_buf is the union the dispatcher copies
 * arguments into. Each table places its entries with a designated
 * initializer at the command number minus the table's base, so a command
 * without an entry is an unknown ioctl; luo_ioctl_dispatch() also checks
 * the full ioctl number, so an entry out of place cannot run the wrong
 * handler.
 */
#define LUO_IOCTL_OP(_ioctl, _fn, _type, _last, _kinds, _buf)		\
	{								\
		.size = sizeof(_type) +					\
			BUILD_BUG_ON_ZERO(sizeof(_buf) < sizeof(_type)),\
		.min_size = offsetofend(_type, _last),			\
		.ioctl_num = _ioctl,					\
		.kinds = _kinds,					\
		.execute = _fn,						\
	}

long luo_ioctl_dispatch(const struct luo_ioctl_op *ops, unsigned int nr_ops,
			unsigned int base, unsigned int kind,
			struct luo_ucmd *ucmd, void *buf, unsigned int cmd,
			unsigned long arg);
int luo_ucmd_respond(struct luo_ucmd *ucmd, size_t size);
int luo_ucmd_reply_fd(struct luo_ucmd *ucmd, size_t size, s32 *fdp,
		      int (*get)(struct luo_ucmd *ucmd, struct file **filep),
		      void (*commit)(struct file *file));

/**
 * struct liveupdate_session - the handle of a session given to handlers
 *
 * Opaque outside LUO; embedded in &struct luo_session.
 */
struct liveupdate_session {
};

/**
 * struct luo_file_set - the preserved files of a session
 * @files: the &struct luo_file, in preservation order.
 * @tokens: the same, by token.
 * @count: number of entries in @files.
 * @bs: outgoing: the block set the files are serialized into at reboot,
 *      with capacity for exactly @count entries.
 *
 * Protected by the mutex of the session it belongs to.
 */
struct luo_file_set {
	struct list_head files;
	struct rb_root tokens;
	long count;
	struct kho_block_set bs;
};

/**
 * enum luo_session_state - whether userspace holds an incoming session
 * @LUO_SESSION_AVAILABLE: not retrieved; RETRIEVE_SESSION may take it.
 * @LUO_SESSION_CLAIMED: a RETRIEVE_SESSION made a file for it and is
 *                       writing its reply; dropping that file gives the
 *                       session back.
 * @LUO_SESSION_RETRIEVED: userspace holds the session's file; closing it
 *                         finishes the session.
 */
enum luo_session_state {
	LUO_SESSION_AVAILABLE,
	LUO_SESSION_CLAIMED,
	LUO_SESSION_RETRIEVED,
};

/**
 * struct luo_session - a session
 * @handle: what file handlers see of the session.
 * @name: the session name, NUL-terminated.
 * @mutex: serializes everything done to the session and its files: the
 *         ioctls, freezing and releasing. Nests inside the list rwsem of
 *         the session's list.
 * @file_set: the session's files.
 * @list: entry in the outgoing or incoming session list; protected by that
 *        list's rwsem.
 * @node: entry in that list's tree of names; protected likewise.
 * @incoming: the session was handed over by the previous kernel.
 * @state: incoming: whether userspace holds the session; protected by the
 *         incoming list's rwsem.
 * @dep_depth: outgoing: while a file is being preserved, the length of the
 *             longest dependency chain it has asked for so far; incoming:
 *             how many retrieves are nested, each waiting for a file it
 *             depends on. Protected by @mutex.
 */
struct luo_session {
	struct liveupdate_session handle;
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	/* Serializes the session's ioctls, freeze and release. */
	struct mutex mutex;
	struct luo_file_set file_set;
	struct list_head list;
	struct rb_node node;
	bool incoming;
	enum luo_session_state state;
	unsigned int dep_depth;
};

static inline struct luo_session *
luo_session_from_handle(struct liveupdate_session *handle)
{
	return container_of(handle, struct luo_session, handle);
}

/* Held for reading by every session operation, for writing by reboot. */
extern struct rw_semaphore luo_serialize_rwsem;

/* Protects the handler and FLB lists. */
extern struct rw_semaphore luo_register_rwsem;

/* luo_core.c */
extern struct luo_ser *luo_ser_out;
int luo_incoming_setup_once(void);

/* luo_session.c */
int luo_session_fs_init(void);
int luo_session_name_len(const struct luo_session *session);
int luo_session_create(const char *name, struct file **filep);
int luo_session_retrieve(const char *name, struct file **filep);
void luo_session_retrieve_commit(struct file *file);
int luo_session_serialize(struct luo_ser *ser);
int luo_session_deserialize(u64 sessions_pa);
int luo_session_discard_incoming(void);
long luo_session_outgoing_count(void);

/* luo_file.c */
void luo_file_set_init(struct luo_file_set *set);
int luo_preserve_file(struct luo_session *session, u64 token, int fd);
void luo_file_unpreserve_all(struct luo_session *session);
int luo_file_freeze(struct luo_session *session,
		    struct luo_file_set_ser *ser);
void luo_file_unfreeze(struct luo_session *session);
int luo_retrieve_file(struct luo_session *session, u64 token,
		      struct file **filep);
int luo_file_finish(struct luo_session *session);
void luo_file_show_fdinfo(struct luo_session *session, struct seq_file *m);
int luo_file_deserialize(struct luo_session *session,
			 const struct luo_file_set_ser *ser);
bool luo_handler_registered(struct liveupdate_file_handler *fh);

/* luo_flb.c */
int luo_flb_file_preserve(struct liveupdate_file_handler *fh);
void luo_flb_file_unpreserve(struct liveupdate_file_handler *fh);
void luo_flb_file_finish(struct liveupdate_file_handler *fh);
void luo_flb_abandon_incoming(void);
void luo_flb_unlink_all(struct liveupdate_file_handler *fh);
int luo_flb_outgoing_setup(struct luo_ser *ser);
void luo_flb_outgoing_teardown(void);
void luo_flb_serialize(void);
int luo_flb_incoming_setup(u64 flbs_pa);

#endif /* _KERNEL_LIVEUPDATE_LUO_INTERNAL_H */
