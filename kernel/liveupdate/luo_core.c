// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: Live Update Orchestrator
 *
 * A live update replaces the running kernel with kexec while chosen state,
 * such as the memory of virtual machines or a warm cache, survives in RAM.
 * Kexec HandOver (KHO) keeps the memory; the Live Update Orchestrator (LUO)
 * lets userspace choose what to keep and gives it back in the next kernel.
 *
 * Userspace works with *sessions*, named groups of preserved files, through
 * ``/dev/liveupdate``:
 *
 * 1. An agent opens ``/dev/liveupdate``, creates sessions and preserves
 *    file descriptors in them, each under a token of its choice. The
 *    subsystem that owns each kind of file, a *file handler*, saves the
 *    file's state right away.
 * 2. The agent keeps the session descriptors open, loads the next kernel
 *    with kexec_file_load() and reboots with ``LINUX_REBOOT_CMD_KEXEC``.
 *    LUO then *freezes* every session: handlers make their saved state
 *    final, and LUO writes the sessions and their files into memory
 *    preserved with KHO, found by the next kernel under the KHO subtree
 *    "LUO".
 * 3. In the next kernel the agent opens ``/dev/liveupdate``, retrieves the
 *    sessions by name and the files by token, and finishes each session
 *    once it is done with it.
 *
 * Unhappy paths:
 *
 * - Closing a session before the reboot undoes all its preservation; an
 *   agent that crashes therefore leaves nothing behind.
 * - If a handler fails to freeze, everything frozen so far is unfrozen,
 *   reboot() fails with the handler's error and the system keeps running
 *   with every session intact; the reboot may be tried again.
 * - A kernel image loaded with kexec_load() carries no handover data. While
 *   any outgoing session exists, reboot() into such an image fails with
 *   ``EOPNOTSUPP`` and one log line, before anything is frozen; the
 *   sessions stay intact. Load the image with kexec_file_load()
 *   (``kexec -s``) instead.
 * - If the data handed over by the previous kernel is corrupted or of
 *   another version, LUO logs it once, every open() of ``/dev/liveupdate``
 *   fails with ``EIO`` for the rest of this boot, and the preserved memory
 *   stays reserved. If it is the sessions that turn out unusable (read on
 *   the first open), every session that reads in full is finished through
 *   its handlers, which gives its memory back, the damaged ones stay
 *   reserved, and the FLBs handed over are finished once the files that
 *   will never come are accounted for. The kernel does not
 *   panic; a plain reboot or kexec gets the machine back to a clean state.
 * - If the handed-over sessions are consistent but nobody can take them
 *   over in this boot (``liveupdate=off``, or LUO cannot set itself up),
 *   LUO *discards* them at late_initcall_sync: every incoming session is
 *   finished through its handlers, exactly as if userspace had retrieved
 *   nothing and finished it, so their memory goes back to the allocator
 *   once. A session a handler refuses to finish (can_finish) stays
 *   reserved.
 *
 * LUO is enabled with ``liveupdate=on`` on a kernel with KHO enabled
 * (``kho=on``); otherwise ``/dev/liveupdate`` does not exist. With
 * ``liveupdate=off`` and incoming sessions, LUO is enabled only until it
 * discarded them, so that their handlers can register.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <kunit/visibility.h>
#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec.h>
#include <linux/kexec_handover.h>
#include <linux/ktime.h>
#include <linux/kstrtox.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "kexec_handover_internal.h"
#include "luo_internal.h"

DECLARE_RWSEM(luo_serialize_rwsem);
DECLARE_RWSEM(luo_register_rwsem);

static bool luo_param __initdata;

/*
 * Set at early_initcall; cleared at late_initcall_sync if LUO is off
 * (liveupdate=off with incoming sessions to discard) or its setup failed.
 */
static bool luo_enabled __ro_after_init;

/* LUO must stop at late_initcall_sync, after discarding incoming sessions. */
static bool luo_stopping __initdata;

/* The outgoing "LUO" subtree blob. */
struct luo_ser *luo_ser_out;

/**
 * struct luo_incoming - what the previous kernel handed over
 * @sessions_pa: head of the incoming session block chain, 0 if none.
 * @liveupdate_num: number of the live update that booted this kernel, 0
 *                  after a cold boot.
 * @error: set when the handover data is unusable: every open of the
 *         device fails with -EIO for the rest of the boot.
 * @valid: the previous kernel handed over a LUO blob that passed the early
 *         checks (its sessions are yet to be validated).
 * @done: the sessions were deserialized (or failed to be).
 * @lock: protects @error and @done. Taken first, before
 *        &luo_serialize_rwsem and the locks below it: the first open
 *        (under the misc device lock) and the discard at late_initcall_sync
 *        deserialize, and on failure finish sessions, with it held.
 */
struct luo_incoming {
	u64 sessions_pa;
	u64 liveupdate_num;
	int error;
	bool valid;
	bool done;
	/* Serializes the deserialization on first open. */
	struct mutex lock;
};

static struct luo_incoming luo_in = {
	.lock = __MUTEX_INITIALIZER(luo_in.lock),
};

static int __init luo_parse_enable(char *p)
{
	return kstrtobool(p, &luo_param);
}
early_param("liveupdate", luo_parse_enable);

/* Test only (LIVEUPDATE_TEST): "liveupdate_test_fail=misc". */
static bool luo_test_fail_misc __initdata;

static int __init luo_parse_test_fail(char *p)
{
	luo_test_fail_misc = IS_ENABLED(CONFIG_LIVEUPDATE_TEST) && p &&
			     !strcmp(p, "misc");
	return 0;
}
early_param("liveupdate_test_fail", luo_parse_test_fail);

/**
 * liveupdate_enabled - whether live update is enabled
 *
 * Return: true if this kernel was booted with ``liveupdate=on`` and KHO
 * enabled, and LUO could set itself up.
 */
bool liveupdate_enabled(void)
{
	return luo_enabled;
}
EXPORT_SYMBOL_GPL(liveupdate_enabled);

/*
 * Read the "LUO" subtree handed over by the previous kernel. Runs early so
 * that the incoming state is known before the file handlers register; the
 * sessions themselves are built on first open, when the handlers exist.
 * Nothing here may panic: bad data disables the incoming side only.
 */
static int __init luo_early_init(void)
{
	struct luo_ser *ser;
	phys_addr_t phys;
	size_t size;
	int err;

	if (!kho_is_enabled())
		return 0;

	/*
	 * Enabled from here on, so that handlers can register whatever the
	 * order of their initcalls; luo_late_init() stops LUO again if it
	 * cannot set up the outgoing state. With liveupdate=off, LUO runs
	 * only if there are incoming sessions, which its handlers must
	 * discard.
	 */
	err = kho_retrieve_subtree(LUO_KHO_ENTRY_NAME, &phys, &size);
	if (err == -ENOENT) {
		luo_enabled = luo_param;
		return 0;
	}
	luo_enabled = true;
	if (err)
		goto err_disable;

	err = -EINVAL;
	/* Checked without a warning: the blob is untrusted. */
	if (size < sizeof(*ser) || !kho_pages_restorable(phys, 1))
		goto err_disable;

	ser = phys_to_virt(phys);
	if (strncmp(ser->compatible, LUO_ABI_COMPATIBLE, LUO_ABI_COMPAT_LEN)) {
		pr_err("incoming state is \"%.*s\", not \"%s\": not taking it over\n",
		       LUO_ABI_COMPAT_LEN, ser->compatible, LUO_ABI_COMPATIBLE);
		luo_in.error = -EIO;
		luo_enabled = luo_param;
		return 0;
	}

	err = luo_flb_incoming_setup(ser->flbs_pa);
	if (err)
		goto err_disable;

	luo_in.sessions_pa = ser->sessions_pa;
	luo_in.liveupdate_num = ser->liveupdate_num;
	luo_in.valid = true;
	kho_restore_free(ser);

	pr_info("live update number %llu%s\n", luo_in.liveupdate_num,
		luo_param ? "" : " (liveupdate=off: its sessions are discarded)");
	return 0;

err_disable:
	pr_err("incoming state is unusable (%pe): not taking it over\n",
	       ERR_PTR(err));
	luo_in.error = -EIO;
	luo_enabled = luo_param;
	return 0;
}
early_initcall(luo_early_init);

/*
 * The incoming sessions are unusable (@err): nobody can take any of them
 * over in this boot. The sessions that read in full are finished through
 * their handlers, so their memory is free again; the damaged ones stay
 * reserved (their data is not trusted). Then the FLBs account for the
 * files that never come.
 */
static void luo_incoming_fail(int err)
{
	int n;

	lockdep_assert_held(&luo_in.lock);

	luo_in.error = -EIO;
	/*
	 * On the first open this runs under the misc device lock: the other
	 * misc devices wait while the handlers free the complete sessions.
	 * It happens once per boot, and only when the handover is damaged.
	 */
	n = luo_session_discard_incoming();
	if (n)
		pr_err("incoming sessions are unusable (%pe): %d complete session(s) discarded (their memory is free again), the rest stays reserved\n",
		       ERR_PTR(err), n);
	else
		pr_err("incoming sessions are unusable (%pe): their memory stays reserved\n",
		       ERR_PTR(err));
	luo_flb_abandon_incoming();
}

/**
 * luo_incoming_setup_once - build the incoming sessions on first use
 *
 * Context: process context; the file handlers of the incoming files must be
 * registered.
 * Return: 0, or -EIO if the incoming state is unusable, now or since an
 * earlier attempt.
 */
int luo_incoming_setup_once(void)
{
	int err;

	guard(mutex)(&luo_in.lock);

	if (luo_in.done || luo_in.error)
		return luo_in.error;

	luo_in.done = true;
	err = luo_session_deserialize(luo_in.sessions_pa);
	if (err)
		luo_incoming_fail(err);

	return luo_in.error;
}

/*
 * Give the memory of every incoming session back: nobody can take them over
 * in this boot. Only sessions that deserialize cleanly are finished, through
 * their handlers; inconsistent data stays reserved (it may not be ours, see
 * luo_incoming_fail()).
 */
static void __init luo_incoming_discard(void)
{
	int err, n;

	guard(mutex)(&luo_in.lock);

	if (!luo_in.valid || luo_in.done || luo_in.error)
		return;

	luo_in.done = true;
	err = luo_session_deserialize(luo_in.sessions_pa);
	if (err) {
		luo_incoming_fail(err);
		return;
	}

	n = luo_session_discard_incoming();
	pr_info("discarded %d incoming session(s): their memory is free again\n",
		n);
}

/**
 * luo_ucmd_respond - copy an ioctl's reply to userspace
 * @ucmd: the call.
 * @size: size of the reply in the kernel.
 *
 * Copies as much of &luo_ucmd.cmd as both the caller and the kernel know.
 *
 * Return: 0 or -EFAULT.
 */
int luo_ucmd_respond(struct luo_ucmd *ucmd, size_t size)
{
	if (copy_to_user(ucmd->ubuffer, ucmd->cmd,
			 min_t(size_t, ucmd->user_size, size)))
		return -EFAULT;
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(luo_ucmd_respond);

/**
 * luo_ioctl_dispatch - run an ioctl from a dispatch table
 * @ops: the table, indexed by command number minus @base.
 * @nr_ops: number of entries of @ops.
 * @base: command number of the first entry.
 * @kind: for session ioctls, the kind of the session (%LUO_KIND_*);
 *        0 for device ioctls.
 * @ucmd: the call, with &luo_ucmd.session set for session ioctls.
 * @buf: a buffer large enough for every argument structure of @ops.
 * @cmd: the ioctl number.
 * @arg: the ioctl argument.
 *
 * Checks the command and the argument's size, copies the argument into
 * @buf, extended with zeroes to the kernel's size, and runs the command.
 *
 * Return: the command's result; -EINVAL for a command number outside the
 * table, an ioctl that does not apply to this kind of session or a size
 * below the mandatory fields; -ENOIOCTLCMD for an unknown ioctl number;
 * -E2BIG if the argument is larger than the kernel's and the excess is
 * not zero; -EFAULT.
 */
long luo_ioctl_dispatch(const struct luo_ioctl_op *ops, unsigned int nr_ops,
			unsigned int base, unsigned int kind,
			struct luo_ucmd *ucmd, void *buf, unsigned int cmd,
			unsigned long arg)
{
	const struct luo_ioctl_op *op;
	unsigned int nr = _IOC_NR(cmd);
	int err;

	if (nr < base || nr - base >= nr_ops)
		return -EINVAL;
	op = &ops[nr - base];

	ucmd->ubuffer = (void __user *)arg;
	err = get_user(ucmd->user_size, (u32 __user *)ucmd->ubuffer);
	if (err)
		return err;

	if (!op->execute || op->ioctl_num != cmd)
		return -ENOIOCTLCMD;
	if (op->kinds && !(op->kinds & kind))
		return -EINVAL;
	if (ucmd->user_size < op->min_size)
		return -EINVAL;

	err = copy_struct_from_user(buf, op->size, ucmd->ubuffer,
				    ucmd->user_size);
	if (err)
		return err;

	ucmd->cmd = buf;
	return op->execute(ucmd);
}
EXPORT_SYMBOL_IF_KUNIT(luo_ioctl_dispatch);

/**
 * luo_ucmd_reply_fd - answer an ioctl with a new file descriptor
 * @ucmd: the call.
 * @size: size of the reply in the kernel.
 * @fdp: the reply's fd field.
 * @get: makes or finds the file, with a reference for the caller.
 * @commit: if not NULL, called once the reply is written, before the
 *          descriptor is installed; if the reply fails, the file is
 *          dropped without it.
 *
 * Reserves a close-on-exec descriptor, gets the file, writes the reply and
 * installs the descriptor last, so that a failure at any step leaves the
 * caller's file table untouched.
 *
 * Return: 0; the error of @get; -EMFILE, -ENFILE or -EFAULT.
 */
int luo_ucmd_reply_fd(struct luo_ucmd *ucmd, size_t size, s32 *fdp,
		      int (*get)(struct luo_ucmd *ucmd, struct file **filep),
		      void (*commit)(struct file *file))
{
	struct file *file;
	int fd, err;

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0)
		return fd;

	err = get(ucmd, &file);
	if (err)
		goto err_put_fd;

	*fdp = fd;
	err = luo_ucmd_respond(ucmd, size);
	if (err)
		goto err_put_file;

	if (commit)
		commit(file);
	fd_install(fd, file);
	return 0;

err_put_file:
	fput(file);
err_put_fd:
	put_unused_fd(fd);
	return err;
}

static int luo_create_session_file(struct luo_ucmd *ucmd, struct file **filep)
{
	struct liveupdate_ioctl_create_session *argp = ucmd->cmd;

	return luo_session_create(argp->name, filep);
}

static int luo_ioctl_create_session(struct luo_ucmd *ucmd)
{
	struct liveupdate_ioctl_create_session *argp = ucmd->cmd;

	return luo_ucmd_reply_fd(ucmd, sizeof(*argp), &argp->fd,
				 luo_create_session_file, NULL);
}

static int luo_retrieve_session_file(struct luo_ucmd *ucmd,
				     struct file **filep)
{
	struct liveupdate_ioctl_retrieve_session *argp = ucmd->cmd;

	return luo_session_retrieve(argp->name, filep);
}

static int luo_ioctl_retrieve_session(struct luo_ucmd *ucmd)
{
	struct liveupdate_ioctl_retrieve_session *argp = ucmd->cmd;

	return luo_ucmd_reply_fd(ucmd, sizeof(*argp), &argp->fd,
				 luo_retrieve_session_file,
				 luo_session_retrieve_commit);
}

union luo_device_ioctl_buf {
	struct liveupdate_ioctl_create_session create;
	struct liveupdate_ioctl_retrieve_session retrieve;
};

/* The entry of LIVEUPDATE_IOCTL_<_name>, at its command number. */
#define LUO_DEVICE_OP(_name, _fn, _type, _last)				\
	[LIVEUPDATE_CMD_##_name - LIVEUPDATE_CMD_BASE] =		\
	LUO_IOCTL_OP(LIVEUPDATE_IOCTL_##_name, _fn, _type, _last, 0,	\
		     union luo_device_ioctl_buf)

static const struct luo_ioctl_op luo_device_ops[] = {
	LUO_DEVICE_OP(CREATE_SESSION, luo_ioctl_create_session,
		      struct liveupdate_ioctl_create_session, name),
	LUO_DEVICE_OP(RETRIEVE_SESSION, luo_ioctl_retrieve_session,
		      struct liveupdate_ioctl_retrieve_session, name),
};

static long luo_device_ioctl(struct file *filp, unsigned int cmd,
			     unsigned long arg)
{
	union luo_device_ioctl_buf buf;
	struct luo_ucmd ucmd = {};

	return luo_ioctl_dispatch(luo_device_ops, ARRAY_SIZE(luo_device_ops),
				  LIVEUPDATE_CMD_BASE, 0, &ucmd, &buf, cmd,
				  arg);
}

/*
 * One agent at a time: the device is exclusive, so that two agents cannot
 * interleave their view of the sessions. Sessions are separate files and
 * outlive the device file.
 */
static atomic_t luo_device_busy = ATOMIC_INIT(0);

static int luo_device_open(struct inode *inode, struct file *filp)
{
	int err;

	if (atomic_cmpxchg(&luo_device_busy, 0, 1))
		return -EBUSY;

	err = luo_incoming_setup_once();
	if (err)
		atomic_set(&luo_device_busy, 0);
	return err;
}

static int luo_device_release(struct inode *inode, struct file *filp)
{
	atomic_set(&luo_device_busy, 0);
	return 0;
}

static const struct file_operations luo_device_fops = {
	.owner = THIS_MODULE,
	.open = luo_device_open,
	.release = luo_device_release,
	.unlocked_ioctl = luo_device_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice luo_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "liveupdate",
	.fops = &luo_device_fops,
};

static int __init luo_outgoing_setup(void)
{
	struct luo_ser *ser;
	int err;

	ser = kho_alloc_preserve(sizeof(*ser));
	if (IS_ERR(ser))
		return PTR_ERR(ser);

	strscpy_pad(ser->compatible, LUO_ABI_COMPATIBLE);
	ser->liveupdate_num = luo_in.liveupdate_num + 1;

	err = luo_flb_outgoing_setup(ser);
	if (err)
		goto err_free;

	err = kho_add_subtree(LUO_KHO_ENTRY_NAME, ser, sizeof(*ser));
	if (err)
		goto err_flb;

	luo_ser_out = ser;
	return 0;

err_flb:
	luo_flb_outgoing_teardown();
err_free:
	kho_unpreserve_free(ser);
	return err;
}

static void __init luo_outgoing_teardown(void)
{
	kho_remove_subtree(luo_ser_out);
	luo_flb_outgoing_teardown();
	kho_unpreserve_free(luo_ser_out);
	luo_ser_out = NULL;
}

/*
 * late_initcall: KHO's outgoing state exists from fs_initcall on, and the
 * device must not appear before the handlers built into the kernel, which
 * register at late_initcall too, could be found. If LUO cannot be set up,
 * or is off and runs only to discard the incoming sessions, it stops at
 * late_initcall_sync, when those handlers are there.
 */
static int __init luo_late_init(void)
{
	int err;

	if (!luo_enabled) {
		if (luo_param)
			pr_warn("Disabling liveupdate because KHO is disabled\n");
		return 0;
	}
	if (!luo_param) {
		luo_stopping = true;
		return 0;
	}
	if (!kho_is_enabled()) {
		pr_warn("Disabling liveupdate because KHO is disabled\n");
		goto err_stop;
	}

	err = luo_session_fs_init();
	if (err)
		goto err_disable;

	err = luo_outgoing_setup();
	if (err)
		goto err_disable;

	err = luo_test_fail_misc ? -ENODEV : misc_register(&luo_miscdev);
	if (err) {
		pr_err("disabled: cannot register /dev/liveupdate: %pe\n",
		       ERR_PTR(err));
		luo_outgoing_teardown();
		goto err_stop;
	}
	return 0;

err_disable:
	pr_err("disabled: cannot set up the outgoing state: %pe\n",
	       ERR_PTR(err));
err_stop:
	luo_stopping = true;
	return 0;
}
late_initcall(luo_late_init);

static int __init luo_late_stop(void)
{
	if (!luo_stopping)
		return 0;

	luo_incoming_discard();
	luo_enabled = false;
	return 0;
}
late_initcall_sync(luo_late_stop);

/**
 * liveupdate_reboot - freeze and serialize every session for the next kernel
 *
 * Called by kernel_kexec() before it shuts the system down. Freezes every
 * outgoing session and writes it into the handover data. On success the
 * sessions stay frozen: every later session operation blocks until the
 * kexec happens.
 *
 * Context: process context, with the kexec lock held.
 * Return: 0, also when live update is disabled; -EBUSY if a session
 * operation is in progress (nothing changed; try again); -EOPNOTSUPP if
 * there are outgoing sessions and the image to boot was loaded without
 * handover data (kexec_load()); or the error of the first handler that
 * failed to freeze, in which case everything is unfrozen. On error the
 * system can keep running.
 */
int liveupdate_reboot(void)
{
	ktime_t start;
	int err;

	if (!liveupdate_enabled())
		return 0;

	/*
	 * Not a sleeping wait: reboot() holds the kexec and system-transition
	 * locks, and a session operation in progress may itself wait for
	 * something that never comes. Let the caller retry instead.
	 */
	if (!down_write_trylock(&luo_serialize_rwsem))
		return -EBUSY;

	/* kexec_load() images get no KHO data: the sessions would be lost. */
	if (!kexec_image->kho.fdt && luo_session_outgoing_count()) {
		pr_err("reboot refused: the loaded kernel has no handover data for the open sessions; load it with kexec_file_load() (kexec -s)\n");
		up_write(&luo_serialize_rwsem);
		return -EOPNOTSUPP;
	}

	start = ktime_get();
	err = luo_session_serialize(luo_ser_out);
	if (err) {
		up_write(&luo_serialize_rwsem);
		return err;
	}
	luo_flb_serialize();
	/* Part of the blackout: the figure an operator watches. */
	pr_info("froze %ld session(s) in %lld us\n", luo_session_outgoing_count(),
		ktime_us_delta(ktime_get(), start));
	kho_fuzz_damage();	/* test kernels only: the handover fuzzer */

	/* Held forever: nothing may change the sessions any more. */
	return 0;
}
