/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Live Update Orchestrator: interface for subsystems that preserve files.
 *
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */
#ifndef _LINUX_LIVEUPDATE_H
#define _LINUX_LIVEUPDATE_H

#include <linux/compiler.h>
#include <linux/kho/abi/luo.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <uapi/linux/liveupdate.h>

struct file;
struct liveupdate_file_handler;
struct liveupdate_session;
struct module;

/**
 * struct liveupdate_file_op_args - arguments of a file-handler callback
 * @handler: the handler being called.
 * @session: the session the file belongs to; pass it to
 *           liveupdate_get_token_outgoing() or liveupdate_get_file_incoming()
 *           to reach files this one depends on.
 * @retrieve_status: for @can_finish and @finish: 0 if the file was never
 *                   retrieved, a positive value if it was, or the negative
 *                   errno of the failed retrieve.
 * @file: the preserved file. Output of @retrieve; for @can_finish and
 *        @finish the retrieved file, or NULL if it never was.
 * @serialized_data: the handler's handle for what it preserved, normally
 *                   the physical address of its preserved metadata. Output
 *                   of @preserve, which may be updated by @freeze; input to
 *                   every other callback.
 * @private_data: the handler's runtime state for a preserved file, set by
 *                @preserve and released by @unpreserve. Never handed over.
 */
struct liveupdate_file_op_args {
	struct liveupdate_file_handler *handler;
	struct liveupdate_session *session;
	int retrieve_status;
	struct file *file;
	u64 serialized_data;
	void *private_data;
};

/**
 * struct liveupdate_file_ops - callbacks of a file handler
 * @can_preserve: whether @file is of this handler's kind. Called for
 *                %LIVEUPDATE_SESSION_PRESERVE_FD with the handlers in
 *                registration order; the first one to say yes preserves
 *                the file. Must be cheap, have no side effects and not call
 *                back into LUO.
 * @preserve: save @args->file for the next kernel, now. Runs in process
 *            context and may sleep; the file is not frozen yet and
 *            userspace may keep using it. Store the handle in
 *            @args->serialized_data and runtime state in
 *            @args->private_data. On error, leave nothing behind.
 * @unpreserve: undo @preserve completely, because the session was closed
 *              before the live update. Cannot fail.
 * @freeze: optional. Called in reboot(), in preservation order, after
 *          which userspace can no longer act on the file: make the
 *          preserved state final. May update @args->serialized_data,
 *          which is kept only if @freeze succeeds. An error aborts the
 *          reboot.
 * @unfreeze: optional. Undo @freeze when the reboot is aborted; called
 *            only for files whose @freeze succeeded.
 * @retrieve: in the next kernel, build a new file from
 *            @args->serialized_data and return it in @args->file holding
 *            one reference. Called once per file, on its first retrieval
 *            by userspace or by a dependent file. On failure clean up what
 *            it can: the error is final for this file.
 * @can_finish: optional. Return false to veto the end of the live update
 *              of the whole session (%LIVEUPDATE_SESSION_FINISH fails with
 *              ``EBUSY`` and may be retried). Must not change anything.
 * @finish: the live update of the file is over. Release what was kept
 *          for it; if the file was never retrieved
 *          (@args->retrieve_status is 0 or negative), free everything it
 *          preserved. LUO forgets the file afterwards.
 * @get_id: optional. The identity of the preserved object, used to refuse
 *          preserving it twice (for example an inode reachable through
 *          several files). Defaults to the &struct file pointer.
 * @owner: the module that provides the callbacks; LUO holds a reference
 *         for every file the handler preserves or will retrieve.
 *
 * Ordering: @freeze runs in preservation order within a session, sessions
 * in creation order. @unpreserve and @finish run in reverse preservation
 * order, so a file is always torn down before the files it depends on.
 *
 * Locking: LUO calls the callbacks of one file one at a time, with the
 * session's mutex held (and, for @freeze and @unfreeze, with every session
 * frozen against userspace). A callback may call
 * liveupdate_get_token_outgoing() and liveupdate_get_file_incoming() on
 * its own session, but must not call any other LUO function.
 */
struct liveupdate_file_ops {
	bool (*can_preserve)(struct liveupdate_file_handler *handler,
			     struct file *file);
	int (*preserve)(struct liveupdate_file_op_args *args);
	void (*unpreserve)(struct liveupdate_file_op_args *args);
	int (*freeze)(struct liveupdate_file_op_args *args);
	void (*unfreeze)(struct liveupdate_file_op_args *args);
	int (*retrieve)(struct liveupdate_file_op_args *args);
	bool (*can_finish)(struct liveupdate_file_op_args *args);
	void (*finish)(struct liveupdate_file_op_args *args);
	unsigned long (*get_id)(struct file *file);
	struct module *owner;
};

/**
 * struct liveupdate_file_handler - a subsystem that preserves files
 * @ops: the callbacks.
 * @compatible: names, and versions, the format of the handler's
 *              serialized data. The next kernel hands a preserved file only
 *              to the handler with the same string.
 *
 * The remaining fields are private to LUO: the entry in the list of
 * registered handlers and the list of linked FLBs.
 */
struct liveupdate_file_handler {
	const struct liveupdate_file_ops *ops;
	const char compatible[LIVEUPDATE_HNDL_COMPAT_LENGTH];

	/* private: */
	struct list_head __private list;
	struct list_head __private flbs;
};

/**
 * struct liveupdate_flb_op_args - arguments of an FLB callback
 * @flb: the FLB being called.
 * @data: the handle of the preserved object: output of @preserve, input to
 *        @unpreserve and @retrieve.
 * @obj: the live object: output of @preserve and @retrieve, input to
 *       @unpreserve and @finish.
 */
struct liveupdate_flb_op_args {
	struct liveupdate_flb *flb;
	u64 data;
	void *obj;
};

/**
 * struct liveupdate_flb_ops - callbacks of an FLB
 * @preserve: the first file that depends on the FLB is being preserved:
 *            preserve the shared object, return its handle in @data and
 *            the live object in @obj.
 * @unpreserve: the last such file was unpreserved: undo @preserve.
 * @retrieve: in the next kernel, on first use: rebuild the object from
 *            @data into @obj. An error is returned to the user and the
 *            retrieve is tried again on the next use.
 * @finish: the last file depending on the FLB finished: release @obj.
 * @owner: the module that provides the callbacks.
 */
struct liveupdate_flb_ops {
	int (*preserve)(struct liveupdate_flb_op_args *argp);
	void (*unpreserve)(struct liveupdate_flb_op_args *argp);
	int (*retrieve)(struct liveupdate_flb_op_args *argp);
	void (*finish)(struct liveupdate_flb_op_args *argp);
	struct module *owner;
};

/**
 * struct luo_flb_state - one direction of an FLB's state
 * @lock: serializes the callbacks and protects the other fields.
 * @count: files of that direction that depend on the FLB.
 * @data: the serialized handle.
 * @obj: the live object, or NULL.
 * @done: outgoing: unused; incoming: the object was finished.
 * @retrieved: incoming: @count, @data and @obj are valid.
 * @finished: incoming: dependent files whose finish dropped a reference
 *            (the FLB was retrieved then).
 */
struct luo_flb_state {
	/* Serializes the callbacks and protects the fields below. */
	struct mutex lock;
	long count;
	u64 data;
	void *obj;
	bool done;
	bool retrieved;
	long finished;
};

/**
 * struct liveupdate_flb - a File-Lifecycle-Bound global object
 * @ops: the callbacks.
 * @compatible: names, and versions, the format of the FLB's data.
 *
 * The remaining fields are private to LUO: the state for the next kernel
 * and the state from the previous one, the entry in the list of
 * registered FLBs and the number of handlers the FLB is linked to.
 *
 * An FLB is an object that several preserved files share, such as the
 * state of an IOMMU: it is preserved with the first file that needs it and
 * released with the last, across all sessions.
 */
struct liveupdate_flb {
	const struct liveupdate_flb_ops *ops;
	const char compatible[LIVEUPDATE_FLB_COMPAT_LENGTH];

	/* private: */
	struct luo_flb_state __private outgoing;
	struct luo_flb_state __private incoming;
	struct list_head __private list;
	int __private users;
};

#ifdef CONFIG_LIVEUPDATE

bool liveupdate_enabled(void);
int liveupdate_reboot(void);

int liveupdate_register_file_handler(struct liveupdate_file_handler *fh);
void liveupdate_unregister_file_handler(struct liveupdate_file_handler *fh);

int liveupdate_get_token_outgoing(struct liveupdate_session *s,
				  struct file *file, u64 *tokenp);
int liveupdate_get_file_incoming(struct liveupdate_session *s, u64 token,
				 struct file **filep);

int liveupdate_register_flb(struct liveupdate_file_handler *fh,
			    struct liveupdate_flb *flb);
void liveupdate_unregister_flb(struct liveupdate_file_handler *fh,
			       struct liveupdate_flb *flb);
int liveupdate_flb_get_incoming(struct liveupdate_flb *flb, void **objp);
void liveupdate_flb_put_incoming(struct liveupdate_flb *flb);
int liveupdate_flb_get_outgoing(struct liveupdate_flb *flb, void **objp);

#else /* CONFIG_LIVEUPDATE */

static inline bool liveupdate_enabled(void)
{
	return false;
}

static inline int liveupdate_reboot(void)
{
	return 0;
}

static inline int
liveupdate_register_file_handler(struct liveupdate_file_handler *fh)
{
	return -EOPNOTSUPP;
}

static inline void
liveupdate_unregister_file_handler(struct liveupdate_file_handler *fh)
{
}

static inline int liveupdate_get_token_outgoing(struct liveupdate_session *s,
						struct file *file, u64 *tokenp)
{
	return -EOPNOTSUPP;
}

static inline int liveupdate_get_file_incoming(struct liveupdate_session *s,
					       u64 token, struct file **filep)
{
	return -EOPNOTSUPP;
}

static inline int liveupdate_register_flb(struct liveupdate_file_handler *fh,
					  struct liveupdate_flb *flb)
{
	return -EOPNOTSUPP;
}

static inline void liveupdate_unregister_flb(struct liveupdate_file_handler *fh,
					     struct liveupdate_flb *flb)
{
}

static inline int liveupdate_flb_get_incoming(struct liveupdate_flb *flb,
					      void **objp)
{
	return -EOPNOTSUPP;
}

static inline void liveupdate_flb_put_incoming(struct liveupdate_flb *flb)
{
}

static inline int liveupdate_flb_get_outgoing(struct liveupdate_flb *flb,
					      void **objp)
{
	return -EOPNOTSUPP;
}

#endif /* CONFIG_LIVEUPDATE */

#endif /* _LINUX_LIVEUPDATE_H */
