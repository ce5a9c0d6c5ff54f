// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: Live Update test file handler
 *
 * A file handler and an FLB that exist only to test the Live Update
 * Orchestrator (LUO) from userspace, in one boot and across kexec
 * (tools/testing/selftests/liveupdate/, whose luo_test_file.h mirrors the
 * constants below). Everything is driven through
 * ``/sys/kernel/debug/liveupdate_test/``:
 *
 * ``file``: every open() creates a new, independent *test file*: a content
 * buffer of up to %LUO_TEST_CONTENT_MAX bytes (read, write, lseek) and a few
 * settings, changed with ioctls on the file:
 *
 * - %LUO_TEST_SET_LABEL / %LUO_TEST_GET_LABEL: a number that names the file
 *   in the event log and survives kexec.
 * - %LUO_TEST_SET_FAULT: make the next *count* preserve or freeze callbacks
 *   of this file fail with an errno; make its retrieve in the next kernel
 *   fail with an errno; make its can_finish veto *count* times (in this
 *   kernel if it is a retrieved file, else in the next one).
 * - %LUO_TEST_SET_DEP_FD: the file depends on another test file. Preserve
 *   asks LUO for the dependency's token (and fails with ``ENOENT`` if it is
 *   not preserved in the same session yet); retrieve in the next kernel gets
 *   the dependency's file from LUO and keeps a reference to it.
 *   %LUO_TEST_GET_DEP_INO returns the inode number of the dependency.
 * - %LUO_TEST_SET_DEP_TOKEN: the file depends on whatever is preserved
 *   under a token, without any check at preserve time: this is how a
 *   dependency cycle, which LUO must report as ``ELOOP``, is built.
 *
 * The handler (compatible "liveupdate-test-v1") accepts only test files.
 * Preserve copies the file's state into one page from kho_alloc_preserve(),
 * whose physical address is the serialized data; freeze copies it again,
 * so what is written after preserve is kept too. In the next kernel,
 * retrieve checks the page (kho_is_preserved() and a magic), builds a new
 * test file on an anonymous inode of its own (so it can be preserved again
 * for a chained update) and frees the page. A retrieve that fails leaves
 * the page alone; finish frees it then, as it does for a file that was
 * never retrieved.
 *
 * ``events``: reading returns one line per callback, in call order:
 * ``preserve <label>``, ``unpreserve <label>``, ``freeze <label>``,
 * ``unfreeze <label>``, ``retrieve <label>``, ``can_finish <label>``,
 * ``finish <label> <retrieve_status>``, ``flb-preserve``,
 * ``flb-unpreserve``, ``flb-retrieve``, ``flb-finish``; ``overflow`` ends
 * the log when it was full. Writing anything empties it.
 *
 * ``stats``: ``objects <n> out_pages <n> in_freed <n>``: live test files,
 * pages preserved for the next kernel, and pages from the previous kernel
 * released so far (by retrieve or finish).
 *
 * ``flb``: reading asks LUO for the FLB "liveupdate-test-flb-v1" linked to
 * the handler: ``outgoing <0|1> incoming <0|-errno>``, whether an outgoing
 * object exists and the result of getting (and putting back) the incoming
 * one. The FLB preserves one page while any test file is preserved. A
 * second FLB, "liveupdate-test-flb-v2", is linked after it and does the
 * same; its events are ``flb2-preserve`` and so on.
 *
 * ``flb_hold``: writing 1 gets the incoming FLB "liveupdate-test-flb-v1"
 * and keeps the reference, as a user of the object would; writing 0 puts
 * it back.
 *
 * ``flb_fault`` (write ``<flb> preserve|retrieve <errno> <count>``, flb 1
 * or 2): the next *count* preserves of that FLB fail with *errno*; or its
 * next *count* retrieves in the next kernel do (logged as
 * ``flb-retrieve-fail``), which LUO must try again on the next use.
 *
 * ``corrupt``: damage this kernel's outgoing LUO state (see
 * ``include/linux/kho/abi/luo.h``). ``version`` and ``pointer`` act at
 * once on the LUO blob: an unknown compatible string, or an FLB page
 * pointer into the kernel image, memory that was never preserved. The
 * others act at reboot, from a reboot notifier, after LUO wrote the
 * sessions: ``short`` (the blob's size in the KHO tree is 16 bytes),
 * ``session-chain`` (the session chain's first block points into the
 * kernel image), ``file-chain`` (the first file chain's first block counts
 * more entries than fit), ``handler`` (the first file names an unknown
 * handler), ``count`` (the first session with files counts one file more)
 * and ``duplicate`` (the second session gets the first one's name). The
 * next kernel must log it, refuse ``/dev/liveupdate`` with ``EIO`` and
 * boot normally.
 *
 * ``test_liveupdate.squat=subtree`` on the command line takes the KHO
 * subtree name "LUO" from device_initcall until this handler's
 * late_initcall, so that LUO's setup fails and must leave LUO off without
 * leaking. (``liveupdate_test_fail=misc`` makes LUO's misc_register() fail.)
 *
 * Unhappy paths: every error is returned to LUO, which returns it to
 * userspace; a page that fails validation is logged once and left alone.
 * Nothing here warns on behalf of userspace.
 *
 * Locking: each test file has a mutex for its settings, content and
 * preserved page; the event log has its own. Neither is held while calling
 * LUO, except that preserve asks for a dependency's token with the file's
 * mutex held, which takes no test lock.
 */

#define pr_fmt(fmt) "liveupdate_test: " fmt

#include <linux/anon_inodes.h>
#include <linux/atomic.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/kexec_handover.h>
#include <linux/kho/abi/luo.h>
#include <linux/kho/abi/block.h>
#include <linux/libfdt.h>
#include <linux/liveupdate.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/reboot.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/unaligned.h>
#include <linux/vmalloc.h>

#include "../kernel/liveupdate/kexec_handover_internal.h"

#define LUO_TEST_COMPATIBLE	"liveupdate-test-v1"
#define LUO_TEST_FLB_COMPATIBLE	"liveupdate-test-flb-v1"
#define LUO_TEST_FLB2_COMPATIBLE "liveupdate-test-flb-v2"
#define LUO_TEST_MAGIC		0x4c55545354464931ULL	/* "LUTSTFI1" */
#define LUO_TEST_FLB_MAGIC	0x4c55545354464c31ULL	/* "LUTSTFL1" */
#define LUO_TEST_CONTENT_MAX	4000
#define LUO_TEST_EVENTS_SIZE	(256 * 1024)

/* ioctls on test files; keep in sync with luo_test_file.h of the selftests */
#define LUO_TEST_IOCTL_TYPE	0xBA
#define LUO_TEST_SET_LABEL	_IOW(LUO_TEST_IOCTL_TYPE, 0xF0, __u64)
#define LUO_TEST_GET_LABEL	_IOR(LUO_TEST_IOCTL_TYPE, 0xF1, __u64)
#define LUO_TEST_SET_FAULT	_IOW(LUO_TEST_IOCTL_TYPE, 0xF2, struct luo_test_fault)
#define LUO_TEST_SET_DEP_FD	_IOW(LUO_TEST_IOCTL_TYPE, 0xF3, __s32)
#define LUO_TEST_SET_DEP_TOKEN	_IOW(LUO_TEST_IOCTL_TYPE, 0xF4, __u64)
#define LUO_TEST_GET_DEP_INO	_IOR(LUO_TEST_IOCTL_TYPE, 0xF5, __u64)

/**
 * enum luo_test_fault_op - callbacks whose failure can be injected
 * @LUO_TEST_FAULT_PRESERVE: preserve fails (this kernel).
 * @LUO_TEST_FAULT_FREEZE: freeze fails (this kernel, in reboot()).
 * @LUO_TEST_FAULT_RETRIEVE: retrieve fails (next kernel; count is ignored,
 *                           a failed retrieve is final).
 * @LUO_TEST_FAULT_CAN_FINISH: can_finish vetoes @count times (error is
 *                             ignored).
 * @LUO_TEST_NR_FAULTS: number of fault kinds.
 */
enum luo_test_fault_op {
	LUO_TEST_FAULT_PRESERVE,
	LUO_TEST_FAULT_FREEZE,
	LUO_TEST_FAULT_RETRIEVE,
	LUO_TEST_FAULT_CAN_FINISH,
	LUO_TEST_NR_FAULTS,
};

/**
 * struct luo_test_fault - argument of %LUO_TEST_SET_FAULT
 * @op: an &enum luo_test_fault_op.
 * @error: positive errno to fail with (1..%MAX_ERRNO); unused by
 *         %LUO_TEST_FAULT_CAN_FINISH.
 * @count: how many calls fail (or veto); 0 clears the fault.
 * @reserved: must be 0.
 */
struct luo_test_fault {
	__u32 op;
	__s32 error;
	__u32 count;
	__u32 reserved;
};

/**
 * struct luo_test_ser - a test file as handed over, one preserved page
 * @magic: %LUO_TEST_MAGIC; versions this layout.
 * @label: the file's label.
 * @dep_token: token of the dependency, if @has_dep.
 * @has_dep: 1 if the file depends on the file preserved under @dep_token.
 * @retrieve_error: positive errno retrieve fails with, or 0.
 * @veto_count: how many times can_finish vetoes.
 * @size: bytes used in @content.
 * @content: the file's content.
 */
struct luo_test_ser {
	u64 magic;
	u64 label;
	u64 dep_token;
	u32 has_dep;
	u32 retrieve_error;
	u32 veto_count;
	u32 size;
	u8 content[LUO_TEST_CONTENT_MAX];
} __packed;

static_assert(sizeof(struct luo_test_ser) <= PAGE_SIZE);

/**
 * struct luo_test_file - a test file (private_data of its &struct file)
 * @lock: protects every other field.
 * @label: names the file in the event log.
 * @error: per &enum luo_test_fault_op, the positive errno to fail with.
 * @count: per &enum luo_test_fault_op, how many calls still fail.
 * @dep_file: the dependency set by %LUO_TEST_SET_DEP_FD, or the one
 *            retrieved in this kernel; holds a reference. May be NULL.
 * @dep_token: the dependency set by %LUO_TEST_SET_DEP_TOKEN.
 * @has_dep_token: @dep_token is valid.
 * @ser: the page preserved for the next kernel while the file is
 *       preserved, else NULL.
 * @size: bytes used in @content.
 * @content: the file's content.
 */
struct luo_test_file {
	struct mutex lock;	/* protects the fields below */
	u64 label;
	int error[LUO_TEST_NR_FAULTS];
	unsigned int count[LUO_TEST_NR_FAULTS];
	struct file *dep_file;
	u64 dep_token;
	bool has_dep_token;
	struct luo_test_ser *ser;
	size_t size;
	u8 content[LUO_TEST_CONTENT_MAX];
};

static DEFINE_MUTEX(luo_test_events_lock);	/* protects the three below */
static char *luo_test_events;
static size_t luo_test_events_len;
static bool luo_test_events_overflow;

static atomic_t luo_test_objects = ATOMIC_INIT(0);
static atomic_t luo_test_out_pages = ATOMIC_INIT(0);
static atomic_t luo_test_in_freed = ATOMIC_INIT(0);

/**
 * struct luo_test_flb_ser - the page an FLB preserves
 * @magic: %LUO_TEST_FLB_MAGIC.
 * @retrieve_count: how many retrieves in the next kernel still fail.
 * @retrieve_error: the positive errno they fail with.
 */
struct luo_test_flb_ser {
	u64 magic;
	u32 retrieve_count;
	u32 retrieve_error;
} __packed;

/**
 * struct luo_test_flb_fault - injected failures of one test FLB
 * @preserve_count: how many preserves still fail.
 * @preserve_error: the positive errno they fail with.
 * @retrieve_count: how many retrieves fail in the next kernel.
 * @retrieve_error: the positive errno they fail with.
 *
 * Protected by luo_test_flb_lock.
 */
struct luo_test_flb_fault {
	u32 preserve_count;
	u32 preserve_error;
	u32 retrieve_count;
	u32 retrieve_error;
};

static DEFINE_MUTEX(luo_test_flb_lock);	/* protects luo_test_flb_faults */
static struct luo_test_flb_fault luo_test_flb_faults[2];

static const struct file_operations luo_test_fops;
static struct liveupdate_flb luo_test_flb;
static struct liveupdate_flb luo_test_flb2;

static __printf(1, 2) void luo_test_event(const char *fmt, ...)
{
	size_t room;
	va_list ap;

	guard(mutex)(&luo_test_events_lock);
	room = LUO_TEST_EVENTS_SIZE - luo_test_events_len;
	/* Keep room for "overflow\n" and a line of up to 64 bytes. */
	if (luo_test_events_overflow || room < 64 + 10) {
		luo_test_events_overflow = true;
		return;
	}
	va_start(ap, fmt);
	luo_test_events_len += vscnprintf(luo_test_events + luo_test_events_len,
					  room, fmt, ap);
	va_end(ap);
}

/* Consume one injected failure of @op: the negative errno, or 0. */
static int luo_test_fault_hit(struct luo_test_file *tf,
			      enum luo_test_fault_op op)
{
	lockdep_assert_held(&tf->lock);
	if (!tf->count[op])
		return 0;
	tf->count[op]--;
	return -tf->error[op];
}

static struct luo_test_file *luo_test_file_alloc(void)
{
	struct luo_test_file *tf = kzalloc(sizeof(*tf), GFP_KERNEL);

	if (!tf)
		return NULL;
	mutex_init(&tf->lock);
	atomic_inc(&luo_test_objects);
	return tf;
}

static void luo_test_file_free(struct luo_test_file *tf)
{
	if (tf->dep_file)
		fput(tf->dep_file);
	mutex_destroy(&tf->lock);
	kfree(tf);
	atomic_dec(&luo_test_objects);
}

/* Copy what the next kernel needs into @ser; the dependency is set apart. */
static void luo_test_fill_ser(struct luo_test_file *tf,
			      struct luo_test_ser *ser)
{
	lockdep_assert_held(&tf->lock);
	ser->magic = LUO_TEST_MAGIC;
	ser->label = tf->label;
	ser->retrieve_error = tf->count[LUO_TEST_FAULT_RETRIEVE] ?
			      tf->error[LUO_TEST_FAULT_RETRIEVE] : 0;
	ser->veto_count = tf->count[LUO_TEST_FAULT_CAN_FINISH];
	ser->size = tf->size;
	memcpy(ser->content, tf->content, tf->size);
	memset(ser->content + tf->size, 0, sizeof(ser->content) - tf->size);
}

/*
 * The incoming page at @phys, or NULL if it is not a test file's page
 * preserved by the previous kernel (logged).
 */
static struct luo_test_ser *luo_test_incoming(u64 phys)
{
	struct luo_test_ser *ser;

	if (!PAGE_ALIGNED(phys) || !kho_is_preserved(phys, 1)) {
		pr_warn("serialized data %#llx is not a preserved page\n", phys);
		return NULL;
	}
	ser = phys_to_virt(phys);
	if (ser->magic != LUO_TEST_MAGIC || ser->size > LUO_TEST_CONTENT_MAX) {
		pr_warn("page %#llx: bad magic or size\n", phys);
		return NULL;
	}
	return ser;
}

static void luo_test_free_incoming(struct luo_test_ser *ser)
{
	kho_restore_free(ser);
	atomic_inc(&luo_test_in_freed);
}

static bool luo_test_can_preserve(struct liveupdate_file_handler *handler,
				  struct file *file)
{
	return file->f_op == &luo_test_fops;
}

static int luo_test_preserve(struct liveupdate_file_op_args *args)
{
	struct luo_test_file *tf = args->file->private_data;
	struct luo_test_ser *ser;
	u64 dep_token = 0;
	bool has_dep;
	int err;

	guard(mutex)(&tf->lock);
	luo_test_event("preserve %llu\n", tf->label);
	err = luo_test_fault_hit(tf, LUO_TEST_FAULT_PRESERVE);
	if (err)
		return err;

	has_dep = tf->dep_file || tf->has_dep_token;
	if (tf->dep_file) {
		err = liveupdate_get_token_outgoing(args->session, tf->dep_file,
						    &dep_token);
		if (err)
			return err;
	} else if (tf->has_dep_token) {
		dep_token = tf->dep_token;
	}

	ser = kho_alloc_preserve(PAGE_SIZE);
	if (IS_ERR(ser))
		return PTR_ERR(ser);
	luo_test_fill_ser(tf, ser);
	ser->has_dep = has_dep;
	ser->dep_token = dep_token;
	tf->ser = ser;
	atomic_inc(&luo_test_out_pages);

	args->serialized_data = virt_to_phys(ser);
	args->private_data = tf;
	return 0;
}

static void luo_test_unpreserve(struct liveupdate_file_op_args *args)
{
	struct luo_test_file *tf = args->private_data;

	guard(mutex)(&tf->lock);
	luo_test_event("unpreserve %llu\n", tf->label);
	kho_unpreserve_free(tf->ser);
	tf->ser = NULL;
	atomic_dec(&luo_test_out_pages);
}

static int luo_test_freeze(struct liveupdate_file_op_args *args)
{
	struct luo_test_file *tf = args->private_data;
	int err;

	guard(mutex)(&tf->lock);
	luo_test_event("freeze %llu\n", tf->label);
	err = luo_test_fault_hit(tf, LUO_TEST_FAULT_FREEZE);
	if (err)
		return err;
	/* The final state: what was written since preserve is kept too. */
	luo_test_fill_ser(tf, tf->ser);
	return 0;
}

static void luo_test_unfreeze(struct liveupdate_file_op_args *args)
{
	struct luo_test_file *tf = args->private_data;

	guard(mutex)(&tf->lock);
	luo_test_event("unfreeze %llu\n", tf->label);
}

static int luo_test_retrieve(struct liveupdate_file_op_args *args)
{
	struct luo_test_file *tf;
	struct luo_test_ser *ser;
	struct file *file;
	int err;

	ser = luo_test_incoming(args->serialized_data);
	if (!ser)
		return -EINVAL;
	luo_test_event("retrieve %llu\n", ser->label);
	if (ser->retrieve_error)
		return ser->retrieve_error <= MAX_ERRNO ?
		       -(int)ser->retrieve_error : -EINVAL;

	tf = luo_test_file_alloc();
	if (!tf)
		return -ENOMEM;
	tf->label = ser->label;
	tf->count[LUO_TEST_FAULT_CAN_FINISH] = ser->veto_count;
	tf->size = ser->size;
	memcpy(tf->content, ser->content, ser->size);

	if (ser->has_dep) {
		err = liveupdate_get_file_incoming(args->session,
						   ser->dep_token,
						   &tf->dep_file);
		if (err)
			goto err_free;
	}

	file = anon_inode_create_getfile("[liveupdate_test]", &luo_test_fops,
					 tf, O_RDWR, NULL);
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto err_free;
	}

	luo_test_free_incoming(ser);
	args->file = file;
	return 0;

err_free:
	luo_test_file_free(tf);
	return err;
}

static bool luo_test_can_finish(struct liveupdate_file_op_args *args)
{
	struct luo_test_file *tf;
	struct luo_test_ser *ser;

	if (args->retrieve_status > 0 && args->file) {
		tf = args->file->private_data;
		guard(mutex)(&tf->lock);
		luo_test_event("can_finish %llu\n", tf->label);
		if (!tf->count[LUO_TEST_FAULT_CAN_FINISH])
			return true;
		tf->count[LUO_TEST_FAULT_CAN_FINISH]--;
		return false;
	}

	ser = luo_test_incoming(args->serialized_data);
	if (!ser)
		return true;
	luo_test_event("can_finish %llu\n", ser->label);
	if (!ser->veto_count)
		return true;
	ser->veto_count--;
	return false;
}

static void luo_test_finish(struct liveupdate_file_op_args *args)
{
	struct luo_test_file *tf;
	struct luo_test_ser *ser;

	if (args->retrieve_status > 0 && args->file) {
		tf = args->file->private_data;
		guard(mutex)(&tf->lock);
		luo_test_event("finish %llu %d\n", tf->label,
			       args->retrieve_status);
		return;
	}

	/* Never retrieved, or the retrieve failed: discard the page. */
	ser = luo_test_incoming(args->serialized_data);
	if (!ser)
		return;
	luo_test_event("finish %llu %d\n", ser->label, args->retrieve_status);
	luo_test_free_incoming(ser);
}

static const struct liveupdate_file_ops luo_test_file_ops = {
	.can_preserve = luo_test_can_preserve,
	.preserve = luo_test_preserve,
	.unpreserve = luo_test_unpreserve,
	.freeze = luo_test_freeze,
	.unfreeze = luo_test_unfreeze,
	.retrieve = luo_test_retrieve,
	.can_finish = luo_test_can_finish,
	.finish = luo_test_finish,
	.owner = THIS_MODULE,
};

static struct liveupdate_file_handler luo_test_handler = {
	.ops = &luo_test_file_ops,
	.compatible = LUO_TEST_COMPATIBLE,
};

/* Which test FLB @flb is: 0 or 1; and the prefix of its events. */
static int luo_test_flb_index(struct liveupdate_flb *flb)
{
	return flb == &luo_test_flb2;
}

static const char *const luo_test_flb_names[] = { "flb", "flb2" };

static int luo_test_flb_preserve(struct liveupdate_flb_op_args *argp)
{
	int i = luo_test_flb_index(argp->flb);
	struct luo_test_flb_fault *fault = &luo_test_flb_faults[i];
	struct luo_test_flb_ser *ser;

	luo_test_event("%s-preserve\n", luo_test_flb_names[i]);
	guard(mutex)(&luo_test_flb_lock);
	if (fault->preserve_count) {
		fault->preserve_count--;
		return -(int)fault->preserve_error;
	}

	ser = kho_alloc_preserve(PAGE_SIZE);
	if (IS_ERR(ser))
		return PTR_ERR(ser);
	ser->magic = LUO_TEST_FLB_MAGIC;
	ser->retrieve_count = fault->retrieve_count;
	ser->retrieve_error = fault->retrieve_error;
	argp->data = virt_to_phys(ser);
	argp->obj = ser;
	return 0;
}

static void luo_test_flb_unpreserve(struct liveupdate_flb_op_args *argp)
{
	luo_test_event("%s-unpreserve\n",
		       luo_test_flb_names[luo_test_flb_index(argp->flb)]);
	kho_unpreserve_free(argp->obj);
}

static int luo_test_flb_retrieve(struct liveupdate_flb_op_args *argp)
{
	const char *name = luo_test_flb_names[luo_test_flb_index(argp->flb)];
	struct luo_test_flb_ser *ser;
	struct folio *folio;

	if (!PAGE_ALIGNED(argp->data) || !kho_is_preserved(argp->data, 1) ||
	    *(u64 *)phys_to_virt(argp->data) != LUO_TEST_FLB_MAGIC) {
		luo_test_event("%s-retrieve\n", name);
		pr_warn("FLB data %#llx is not a preserved FLB page\n",
			argp->data);
		return -EINVAL;
	}
	ser = phys_to_virt(argp->data);
	if (ser->retrieve_count) {
		luo_test_event("%s-retrieve-fail\n", name);
		ser->retrieve_count--;
		return ser->retrieve_error && ser->retrieve_error <= MAX_ERRNO ?
		       -(int)ser->retrieve_error : -EINVAL;
	}
	luo_test_event("%s-retrieve\n", name);
	folio = kho_restore_folio(argp->data);
	if (!folio)
		return -EINVAL;
	argp->obj = folio_address(folio);
	return 0;
}

static void luo_test_flb_finish(struct liveupdate_flb_op_args *argp)
{
	luo_test_event("%s-finish\n",
		       luo_test_flb_names[luo_test_flb_index(argp->flb)]);
	folio_put(virt_to_folio(argp->obj));
}

static const struct liveupdate_flb_ops luo_test_flb_ops = {
	.preserve = luo_test_flb_preserve,
	.unpreserve = luo_test_flb_unpreserve,
	.retrieve = luo_test_flb_retrieve,
	.finish = luo_test_flb_finish,
	.owner = THIS_MODULE,
};

static struct liveupdate_flb luo_test_flb = {
	.ops = &luo_test_flb_ops,
	.compatible = LUO_TEST_FLB_COMPATIBLE,
};

static struct liveupdate_flb luo_test_flb2 = {
	.ops = &luo_test_flb_ops,
	.compatible = LUO_TEST_FLB2_COMPATIBLE,
};

static int luo_test_open(struct inode *inode, struct file *file)
{
	struct luo_test_file *tf = luo_test_file_alloc();

	if (!tf)
		return -ENOMEM;
	file->private_data = tf;
	return 0;
}

static int luo_test_release(struct inode *inode, struct file *file)
{
	luo_test_file_free(file->private_data);
	return 0;
}

static ssize_t luo_test_read(struct file *file, char __user *buf,
			     size_t count, loff_t *ppos)
{
	struct luo_test_file *tf = file->private_data;

	guard(mutex)(&tf->lock);
	return simple_read_from_buffer(buf, count, ppos, tf->content, tf->size);
}

static ssize_t luo_test_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	struct luo_test_file *tf = file->private_data;
	ssize_t n;

	if (*ppos >= LUO_TEST_CONTENT_MAX && count)
		return -ENOSPC;
	guard(mutex)(&tf->lock);
	n = simple_write_to_buffer(tf->content, LUO_TEST_CONTENT_MAX, ppos,
				   buf, count);
	if (n > 0 && *ppos > tf->size)
		tf->size = *ppos;
	return n;
}

static loff_t luo_test_llseek(struct file *file, loff_t offset, int whence)
{
	struct luo_test_file *tf = file->private_data;
	size_t size = 0;

	scoped_guard(mutex, &tf->lock)
		size = tf->size;
	return generic_file_llseek_size(file, offset, whence,
					LUO_TEST_CONTENT_MAX, size);
}

static long luo_test_set_fault(struct luo_test_file *tf, void __user *arg)
{
	struct luo_test_fault fault;

	if (copy_from_user(&fault, arg, sizeof(fault)))
		return -EFAULT;
	if (fault.op >= LUO_TEST_NR_FAULTS || fault.reserved)
		return -EINVAL;
	if (fault.op != LUO_TEST_FAULT_CAN_FINISH && fault.count &&
	    (fault.error <= 0 || fault.error > MAX_ERRNO))
		return -EINVAL;

	guard(mutex)(&tf->lock);
	tf->error[fault.op] = fault.error;
	tf->count[fault.op] = fault.count;
	return 0;
}

/* Depend on the test file open as @fd, or on nothing if @fd is -1. */
static long luo_test_set_dep_fd(struct file *file, int fd)
{
	struct luo_test_file *tf = file->private_data, *dep_tf;
	struct file *dep = NULL, *old = NULL;
	bool cycle = false;

	if (fd != -1) {
		dep = fget(fd);
		if (!dep)
			return -EBADF;
		if (dep->f_op != &luo_test_fops) {
			fput(dep);
			return -EINVAL;
		}
		/* References must not form a loop: refuse A->A and A->B->A. */
		dep_tf = dep->private_data;
		scoped_guard(mutex, &dep_tf->lock)
			cycle = dep == file || dep_tf->dep_file == file;
		if (cycle) {
			fput(dep);
			return -ELOOP;
		}
	}

	scoped_guard(mutex, &tf->lock) {
		old = tf->dep_file;
		tf->dep_file = dep;
		tf->has_dep_token = false;
	}
	if (old)
		fput(old);
	return 0;
}

static long luo_test_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	struct luo_test_file *tf = file->private_data;
	void __user *uarg = (void __user *)arg;
	struct file *old = NULL;
	u64 val = 0;
	s32 fd;

	switch (cmd) {
	case LUO_TEST_SET_LABEL:
		if (get_user(val, (u64 __user *)uarg))
			return -EFAULT;
		scoped_guard(mutex, &tf->lock)
			tf->label = val;
		return 0;
	case LUO_TEST_GET_LABEL:
		scoped_guard(mutex, &tf->lock)
			val = tf->label;
		return put_user(val, (u64 __user *)uarg);
	case LUO_TEST_SET_FAULT:
		return luo_test_set_fault(tf, uarg);
	case LUO_TEST_SET_DEP_FD:
		if (get_user(fd, (s32 __user *)uarg))
			return -EFAULT;
		return luo_test_set_dep_fd(file, fd);
	case LUO_TEST_SET_DEP_TOKEN:
		if (get_user(val, (u64 __user *)uarg))
			return -EFAULT;
		scoped_guard(mutex, &tf->lock) {
			old = tf->dep_file;
			tf->dep_file = NULL;
			tf->dep_token = val;
			tf->has_dep_token = true;
		}
		if (old)
			fput(old);
		return 0;
	case LUO_TEST_GET_DEP_INO:
		scoped_guard(mutex, &tf->lock) {
			if (!tf->dep_file)
				return -ENOENT;
			val = file_inode(tf->dep_file)->i_ino;
		}
		return put_user(val, (u64 __user *)uarg);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations luo_test_fops = {
	.owner = THIS_MODULE,
	.open = luo_test_open,
	.release = luo_test_release,
	.read = luo_test_read,
	.write = luo_test_write,
	.llseek = luo_test_llseek,
	.unlocked_ioctl = luo_test_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

/*
 * The log is copied into a buffer of the reader under the lock and to user
 * space without it: a fault on @buf takes mmap_lock, and events are logged
 * with FLB locks held, which a hugetlb preserve takes under the inode lock
 * that hugetlbfs's mmap takes under mmap_lock.
 */
static ssize_t luo_test_events_read(struct file *file, char __user *buf,
				    size_t count, loff_t *ppos)
{
	static const char overflow[] = "overflow\n";
	loff_t pos = *ppos;
	size_t len, n = 0;
	char *copy;

	if (pos < 0)
		return -EINVAL;
	count = min_t(size_t, count, LUO_TEST_EVENTS_SIZE);
	if (!count)
		return 0;
	copy = kvmalloc(count, GFP_KERNEL);
	if (!copy)
		return -ENOMEM;
	scoped_guard(mutex, &luo_test_events_lock) {
		len = luo_test_events_len;
		if (luo_test_events_overflow) {
			memcpy(luo_test_events + len, overflow, sizeof(overflow) - 1);
			len += sizeof(overflow) - 1;
		}
		if (pos < len) {
			n = min_t(size_t, count, len - pos);
			memcpy(copy, luo_test_events + pos, n);
		}
	}
	if (n && copy_to_user(buf, copy, n)) {
		kvfree(copy);
		return -EFAULT;
	}
	kvfree(copy);
	*ppos = pos + n;
	return n;
}

static ssize_t luo_test_events_write(struct file *file,
				     const char __user *buf, size_t count,
				     loff_t *ppos)
{
	guard(mutex)(&luo_test_events_lock);
	luo_test_events_len = 0;
	luo_test_events_overflow = false;
	return count;
}

static const struct file_operations luo_test_events_fops = {
	.owner = THIS_MODULE,
	.read = luo_test_events_read,
	.write = luo_test_events_write,
	.llseek = default_llseek,
};

static ssize_t luo_test_stats_read(struct file *file, char __user *buf,
				   size_t count, loff_t *ppos)
{
	char text[96];
	int len;

	len = scnprintf(text, sizeof(text), "objects %d out_pages %d in_freed %d\n",
			atomic_read(&luo_test_objects),
			atomic_read(&luo_test_out_pages),
			atomic_read(&luo_test_in_freed));
	return simple_read_from_buffer(buf, count, ppos, text, len);
}

static const struct file_operations luo_test_stats_fops = {
	.owner = THIS_MODULE,
	.read = luo_test_stats_read,
	.llseek = default_llseek,
};

static ssize_t luo_test_flb_read(struct file *file, char __user *buf,
				 size_t count, loff_t *ppos)
{
	void *out = NULL, *in = NULL;
	char text[64];
	int err, len;

	/* One look per read from the start: a retrieve may fail on purpose. */
	if (*ppos)
		return 0;
	err = liveupdate_flb_get_outgoing(&luo_test_flb, &out);
	if (err)
		out = NULL;
	err = liveupdate_flb_get_incoming(&luo_test_flb, &in);
	if (!err) {
		if (*(u64 *)in != LUO_TEST_FLB_MAGIC)
			err = -EBADMSG;
		liveupdate_flb_put_incoming(&luo_test_flb);
	}
	len = scnprintf(text, sizeof(text), "outgoing %d incoming %d\n",
			!!out, err);
	return simple_read_from_buffer(buf, count, ppos, text, len);
}

static const struct file_operations luo_test_flb_fops = {
	.owner = THIS_MODULE,
	.read = luo_test_flb_read,
	.llseek = default_llseek,
};

/* A reference on the incoming test FLB held through "flb_hold". */
static DEFINE_MUTEX(luo_test_flb_hold_lock);	/* protects the flag below */
static bool luo_test_flb_held;

static ssize_t luo_test_flb_hold_write(struct file *file,
				       const char __user *ubuf, size_t count,
				       loff_t *ppos)
{
	void *obj;
	bool hold;
	int err;

	err = kstrtobool_from_user(ubuf, count, &hold);
	if (err)
		return err;

	guard(mutex)(&luo_test_flb_hold_lock);
	if (hold == luo_test_flb_held)
		return count;
	if (hold) {
		err = liveupdate_flb_get_incoming(&luo_test_flb, &obj);
		if (err)
			return err;
	} else {
		liveupdate_flb_put_incoming(&luo_test_flb);
	}
	luo_test_flb_held = hold;
	return count;
}

static const struct file_operations luo_test_flb_hold_fops = {
	.owner = THIS_MODULE,
	.write = luo_test_flb_hold_write,
};

static ssize_t luo_test_flb_fault_write(struct file *file,
					const char __user *ubuf, size_t count,
					loff_t *ppos)
{
	struct luo_test_flb_fault *fault;
	struct luo_test_flb_ser *ser;
	unsigned int which, nr;
	char buf[64], op[16];
	void *obj = NULL;
	int error;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	if (sscanf(buf, "%u %15s %d %u", &which, op, &error, &nr) != 4 ||
	    which < 1 || which > 2 || error <= 0 || error > MAX_ERRNO)
		return -EINVAL;

	/*
	 * Before luo_test_flb_lock: LUO calls the FLB ops, which take that
	 * lock, with the FLB's own lock held.
	 */
	if (!strcmp(op, "retrieve"))
		liveupdate_flb_get_outgoing(which == 1 ? &luo_test_flb :
					    &luo_test_flb2, &obj);

	guard(mutex)(&luo_test_flb_lock);
	fault = &luo_test_flb_faults[which - 1];
	if (!strcmp(op, "preserve")) {
		fault->preserve_error = error;
		fault->preserve_count = nr;
	} else if (!strcmp(op, "retrieve")) {
		fault->retrieve_error = error;
		fault->retrieve_count = nr;
		/* Already preserved: the page must say it too. */
		ser = obj;
		if (ser) {
			ser->retrieve_error = error;
			ser->retrieve_count = nr;
		}
	} else {
		return -EINVAL;
	}
	return count;
}

static const struct file_operations luo_test_flb_fault_fops = {
	.owner = THIS_MODULE,
	.write = luo_test_flb_fault_write,
};

/* The outgoing "LUO" subtree node in KHO's outgoing root FDT, or < 0. */
static int luo_test_luo_node(void **fdtp)
{
	void *fdt = kho_out_fdt();

	if (!fdt)
		return -ENOENT;
	*fdtp = fdt;
	return fdt_subnode_offset(fdt, 0, LUO_KHO_ENTRY_NAME);
}

/* The outgoing "LUO" blob, found in KHO's outgoing root FDT. */
static struct luo_ser *luo_test_luo_ser(void)
{
	const void *prop;
	void *fdt;
	int off, len;

	off = luo_test_luo_node(&fdt);
	if (off < 0)
		return NULL;
	prop = fdt_getprop(fdt, off, KHO_FDT_SUB_TREE_PROP_NAME, &len);
	if (!prop || len != sizeof(u64))
		return NULL;
	return phys_to_virt(get_unaligned((const u64 *)prop));
}

/* The damage to do at reboot, one of luo_test_reboot_damages, or NULL. */
static const char *luo_test_damage;

static const char *const luo_test_reboot_damages[] = {
	"short", "session-chain", "file-chain", "handler", "count",
	"duplicate",
};

/* The first entry of a block chain, or NULL for an empty chain. */
static void *luo_test_chain_first(u64 head_pa)
{
	return head_pa ? phys_to_virt(head_pa) +
			 sizeof(struct kho_block_header_ser) : NULL;
}

/* The first session with files, or NULL. Only the first block is looked at. */
static struct luo_session_ser *luo_test_session_with_files(struct luo_ser *ser)
{
	struct kho_block_header_ser *hdr;
	struct luo_session_ser *entry;
	u64 i;

	if (!ser->sessions_pa)
		return NULL;
	hdr = phys_to_virt(ser->sessions_pa);
	entry = luo_test_chain_first(ser->sessions_pa);
	for (i = 0; i < hdr->count; i++)
		if (entry[i].file_set_ser.files)
			return &entry[i];
	return NULL;
}

/* Damage what LUO wrote at reboot; 0 or -errno (nothing damaged). */
static int luo_test_damage_now(const char *what)
{
	struct luo_ser *ser = luo_test_luo_ser();
	struct kho_block_header_ser *hdr;
	struct luo_session_ser *session;
	struct luo_file_ser *file;
	u64 size = 16;
	void *fdt;
	int off;

	if (!ser)
		return -ENOENT;
	session = luo_test_session_with_files(ser);

	if (!strcmp(what, "short")) {
		off = luo_test_luo_node(&fdt);
		if (off < 0 || fdt_setprop_inplace(fdt, off,
						   KHO_FDT_SUB_TREE_SIZE_PROP_NAME,
						   &size, sizeof(size)))
			return -EINVAL;
	} else if (!strcmp(what, "session-chain")) {
		if (!ser->sessions_pa)
			return -ENOENT;
		hdr = phys_to_virt(ser->sessions_pa);
		hdr->next = __pa_symbol(&luo_test_handler) & PAGE_MASK;
	} else if (!strcmp(what, "file-chain")) {
		if (!session)
			return -ENOENT;
		hdr = phys_to_virt(session->file_set_ser.files);
		hdr->count = KHO_BLOCK_COUNT_PER_BLOCK(sizeof(*file)) + 1;
	} else if (!strcmp(what, "handler")) {
		if (!session)
			return -ENOENT;
		file = luo_test_chain_first(session->file_set_ser.files);
		strscpy_pad(file->compatible, "liveupdate-test-unknown-v1");
	} else if (!strcmp(what, "count")) {
		if (!session)
			return -ENOENT;
		session->file_set_ser.count++;
	} else if (!strcmp(what, "duplicate")) {
		hdr = ser->sessions_pa ? phys_to_virt(ser->sessions_pa) : NULL;
		if (!hdr || hdr->count < 2)
			return -ENOENT;
		session = luo_test_chain_first(ser->sessions_pa);
		memcpy(session[1].name, session[0].name,
		       sizeof(session[0].name));
	} else {
		return -EINVAL;
	}
	return 0;
}

/* Runs from kernel_kexec() after LUO serialized the sessions. */
static int luo_test_reboot(struct notifier_block *nb, unsigned long action,
			   void *cmd)
{
	int err;

	if (!luo_test_damage)
		return NOTIFY_DONE;
	err = luo_test_damage_now(luo_test_damage);
	if (err)
		pr_err("cannot damage the outgoing LUO state (%s): %pe\n",
		       luo_test_damage, ERR_PTR(err));
	else
		pr_info("damaged the outgoing LUO state (%s)\n",
			luo_test_damage);
	return NOTIFY_DONE;
}

static struct notifier_block luo_test_reboot_nb = {
	.notifier_call = luo_test_reboot,
};

static ssize_t luo_test_corrupt_write(struct file *file,
				      const char __user *ubuf, size_t count,
				      loff_t *ppos)
{
	struct luo_ser *ser = luo_test_luo_ser();
	char buf[16];

	if (!ser)
		return -ENOENT;
	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';

	if (sysfs_streq(buf, "version")) {
		memcpy(ser->compatible, "luo-v0", sizeof("luo-v0"));
	} else if (sysfs_streq(buf, "pointer")) {
		ser->flbs_pa = __pa_symbol(&luo_test_handler) & PAGE_MASK;
	} else {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(luo_test_reboot_damages); i++)
			if (sysfs_streq(buf, luo_test_reboot_damages[i]))
				break;
		if (i == ARRAY_SIZE(luo_test_reboot_damages))
			return -EINVAL;
		WRITE_ONCE(luo_test_damage, luo_test_reboot_damages[i]);
		pr_info("will damage the outgoing LUO state at reboot (%s)\n",
			luo_test_damage);
		return count;
	}

	pr_info("corrupted the outgoing LUO blob (%s)\n", strim(buf));
	return count;
}

static const struct file_operations luo_test_corrupt_fops = {
	.owner = THIS_MODULE,
	.write = luo_test_corrupt_write,
};

static char *luo_test_squat;
module_param_named(squat, luo_test_squat, charp, 0400);
MODULE_PARM_DESC(squat, "subtree: take LUO's KHO subtree name until late_initcall");

static void *luo_test_squat_blob;

/* device_initcall: after KHO (fs_initcall), before LUO (late_initcall). */
static int __init luo_test_squat_init(void)
{
	int err = -EINVAL;

	if (!luo_test_squat)
		return 0;
	if (!strcmp(luo_test_squat, "subtree")) {
		luo_test_squat_blob = kho_alloc_preserve(PAGE_SIZE);
		if (IS_ERR(luo_test_squat_blob)) {
			err = PTR_ERR(luo_test_squat_blob);
			luo_test_squat_blob = NULL;
		} else {
			err = kho_add_subtree(LUO_KHO_ENTRY_NAME,
					      luo_test_squat_blob, PAGE_SIZE);
			if (err) {
				kho_unpreserve_free(luo_test_squat_blob);
				luo_test_squat_blob = NULL;
			}
		}
	}
	if (err)
		pr_err("cannot squat '%s': %pe\n", luo_test_squat, ERR_PTR(err));
	else
		pr_info("squatting LUO's '%s' until late_initcall\n",
			luo_test_squat);
	return 0;
}
device_initcall(luo_test_squat_init);

static void __init luo_test_squat_exit(void)
{
	if (luo_test_squat_blob) {
		kho_remove_subtree(luo_test_squat_blob);
		kho_unpreserve_free(luo_test_squat_blob);
	}
	luo_test_squat_blob = NULL;
}

static int __init luo_test_init(void)
{
	struct dentry *dir;
	int err;

	luo_test_squat_exit();
	if (!liveupdate_enabled())
		return 0;

	luo_test_events = vmalloc(LUO_TEST_EVENTS_SIZE);
	if (!luo_test_events)
		return -ENOMEM;

	err = liveupdate_register_file_handler(&luo_test_handler);
	if (err)
		goto err_free;
	err = liveupdate_register_flb(&luo_test_handler, &luo_test_flb);
	if (!err)
		err = liveupdate_register_flb(&luo_test_handler, &luo_test_flb2);
	if (err)
		goto err_unregister;
	register_reboot_notifier(&luo_test_reboot_nb);

	dir = debugfs_create_dir("liveupdate_test", NULL);
	/* The file's fops replace debugfs' own at open: can_preserve needs it. */
	debugfs_create_file_unsafe("file", 0600, dir, NULL, &luo_test_fops);
	debugfs_create_file("events", 0600, dir, NULL, &luo_test_events_fops);
	debugfs_create_file("stats", 0400, dir, NULL, &luo_test_stats_fops);
	debugfs_create_file("flb", 0400, dir, NULL, &luo_test_flb_fops);
	debugfs_create_file("corrupt", 0200, dir, NULL, &luo_test_corrupt_fops);
	debugfs_create_file("flb_fault", 0200, dir, NULL,
			    &luo_test_flb_fault_fops);
	debugfs_create_file("flb_hold", 0200, dir, NULL,
			    &luo_test_flb_hold_fops);
	return 0;

err_unregister:
	liveupdate_unregister_flb(&luo_test_handler, &luo_test_flb);
	liveupdate_unregister_file_handler(&luo_test_handler);
err_free:
	vfree(luo_test_events);
	luo_test_events = NULL;
	pr_err("cannot register the test handler: %pe\n", ERR_PTR(err));
	return err;
}

/*
 * late_initcall like LUO's own handlers: after LUO is set up, before
 * userspace can open /dev/liveupdate (the incoming data names our handler).
 */
late_initcall(luo_test_init);
