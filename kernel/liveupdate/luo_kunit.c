// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the Live Update Orchestrator: the ioctl argument checks
 * shared by /dev/liveupdate and session files, and the rules for
 * registering file handlers and FLBs.
 *
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */
#include <kunit/test.h>
#include <linux/mman.h>
#include <linux/uaccess.h>

#include "luo_internal.h"

/* A command of the test table: size 24, mandatory up to @b. */
struct luo_kunit_cmd {
	u32 size;
	u32 a;
	u64 b;
	u64 c;
};

#define LUO_KUNIT_BASE		0x40
#define LUO_KUNIT_IOCTL		_IO(LIVEUPDATE_IOCTL_TYPE, LUO_KUNIT_BASE)

static struct luo_kunit_cmd luo_kunit_seen;
static int luo_kunit_runs;

static int luo_kunit_execute(struct luo_ucmd *ucmd)
{
	struct luo_kunit_cmd *cmd = ucmd->cmd;

	luo_kunit_runs++;
	luo_kunit_seen = *cmd;
	cmd->a = 0xa5a5;
	return luo_ucmd_respond(ucmd, sizeof(*cmd));
}

union luo_kunit_buf {
	struct luo_kunit_cmd cmd;
};

static const struct luo_ioctl_op luo_kunit_ops[] = {
	LUO_IOCTL_OP(LUO_KUNIT_IOCTL, luo_kunit_execute, struct luo_kunit_cmd,
		     b, LUO_KIND_OUTGOING, union luo_kunit_buf),
};

/* A page of user memory of the test task, for the ioctl arguments. */
static void __user *luo_kunit_user_page(struct kunit *test)
{
	unsigned long addr;

	addr = kunit_vm_mmap(test, NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE,
			     MAP_ANONYMOUS | MAP_PRIVATE, 0);
	KUNIT_ASSERT_NE_MSG(test, addr, 0, "no user memory for the test");
	KUNIT_ASSERT_FALSE(test, IS_ERR_VALUE(addr));
	return (void __user *)addr;
}

/* Run @cmd from a user copy of @len bytes of @arg. */
static long luo_kunit_call(struct kunit *test, void __user *ubuf,
			   unsigned int cmd, const void *arg, size_t len,
			   unsigned int kind)
{
	union luo_kunit_buf buf;
	struct luo_ucmd ucmd = {};

	KUNIT_ASSERT_EQ(test, copy_to_user(ubuf, arg, len), 0);
	luo_kunit_runs = 0;
	memset(&luo_kunit_seen, 0, sizeof(luo_kunit_seen));
	return luo_ioctl_dispatch(luo_kunit_ops, ARRAY_SIZE(luo_kunit_ops),
				  LUO_KUNIT_BASE, kind, &ucmd, &buf, cmd,
				  (unsigned long)ubuf);
}

static void luo_kunit_dispatch_exact_size(struct kunit *test)
{
	void __user *ubuf = luo_kunit_user_page(test);
	struct luo_kunit_cmd cmd = { .size = sizeof(cmd), .a = 1, .b = 2,
				     .c = 3 };

	KUNIT_EXPECT_EQ(test, luo_kunit_call(test, ubuf, LUO_KUNIT_IOCTL, &cmd,
					     sizeof(cmd), LUO_KIND_OUTGOING), 0);
	KUNIT_EXPECT_EQ(test, luo_kunit_runs, 1);
	KUNIT_EXPECT_EQ(test, luo_kunit_seen.c, 3);
	KUNIT_ASSERT_EQ(test, copy_from_user(&cmd, ubuf, sizeof(cmd)), 0);
	KUNIT_EXPECT_EQ(test, cmd.a, 0xa5a5);
}

static void luo_kunit_dispatch_short_struct_zero_filled(struct kunit *test)
{
	void __user *ubuf = luo_kunit_user_page(test);
	struct { u32 size; u32 a; u64 b; u64 junk; } cmd = {
		.size = offsetofend(struct luo_kunit_cmd, b), .a = 1, .b = 2,
		.junk = 0xdead,
	};

	KUNIT_EXPECT_EQ(test, luo_kunit_call(test, ubuf, LUO_KUNIT_IOCTL, &cmd,
					     sizeof(cmd), LUO_KIND_OUTGOING), 0);
	KUNIT_EXPECT_EQ(test, luo_kunit_seen.b, 2);
	/* The kernel did not read past the caller's size... */
	KUNIT_EXPECT_EQ(test, luo_kunit_seen.c, 0);
	/* ...and did not write past it either. */
	KUNIT_ASSERT_EQ(test, copy_from_user(&cmd, ubuf, sizeof(cmd)), 0);
	KUNIT_EXPECT_EQ(test, cmd.junk, 0xdead);
}

static void luo_kunit_dispatch_below_min_size(struct kunit *test)
{
	void __user *ubuf = luo_kunit_user_page(test);
	struct luo_kunit_cmd cmd = { .size = offsetofend(struct luo_kunit_cmd,
							 b) - 1 };

	KUNIT_EXPECT_EQ(test, luo_kunit_call(test, ubuf, LUO_KUNIT_IOCTL, &cmd,
					     sizeof(cmd), LUO_KIND_OUTGOING),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, luo_kunit_runs, 0);
}

static void luo_kunit_dispatch_long_struct(struct kunit *test)
{
	void __user *ubuf = luo_kunit_user_page(test);
	struct { struct luo_kunit_cmd cmd; u64 tail; } big = {
		.cmd = { .size = sizeof(big), .c = 7 },
	};

	/* A zero tail is fine: an older kernel, a newer caller. */
	KUNIT_EXPECT_EQ(test, luo_kunit_call(test, ubuf, LUO_KUNIT_IOCTL, &big,
					     sizeof(big), LUO_KIND_OUTGOING), 0);
	KUNIT_EXPECT_EQ(test, luo_kunit_seen.c, 7);

	/* A tail the kernel does not understand is refused. */
	big.tail = 1;
	KUNIT_EXPECT_EQ(test, luo_kunit_call(test, ubuf, LUO_KUNIT_IOCTL, &big,
					     sizeof(big), LUO_KIND_OUTGOING),
			-E2BIG);
	KUNIT_EXPECT_EQ(test, luo_kunit_runs, 0);
}

static void luo_kunit_dispatch_unknown_numbers(struct kunit *test)
{
	void __user *ubuf = luo_kunit_user_page(test);
	struct luo_kunit_cmd cmd = { .size = sizeof(cmd) };

	/* Outside the table, below and above. */
	KUNIT_EXPECT_EQ(test, luo_kunit_call(test, ubuf,
					     _IO(LIVEUPDATE_IOCTL_TYPE, 0x3f),
					     &cmd, sizeof(cmd),
					     LUO_KIND_OUTGOING), -EINVAL);
	KUNIT_EXPECT_EQ(test, luo_kunit_call(test, ubuf,
					     _IO(LIVEUPDATE_IOCTL_TYPE, 0x41),
					     &cmd, sizeof(cmd),
					     LUO_KIND_OUTGOING), -EINVAL);
	/* In the table, but with direction and size bits: not ours. */
	KUNIT_EXPECT_EQ(test, luo_kunit_call(test, ubuf,
					     _IOWR(LIVEUPDATE_IOCTL_TYPE,
						   LUO_KUNIT_BASE,
						   struct luo_kunit_cmd),
					     &cmd, sizeof(cmd),
					     LUO_KIND_OUTGOING), -ENOIOCTLCMD);
	KUNIT_EXPECT_EQ(test, luo_kunit_runs, 0);
}

static void luo_kunit_dispatch_wrong_kind(struct kunit *test)
{
	void __user *ubuf = luo_kunit_user_page(test);
	struct luo_kunit_cmd cmd = { .size = sizeof(cmd) };

	KUNIT_EXPECT_EQ(test, luo_kunit_call(test, ubuf, LUO_KUNIT_IOCTL, &cmd,
					     sizeof(cmd), LUO_KIND_INCOMING),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, luo_kunit_runs, 0);
}

static void luo_kunit_dispatch_bad_pointer(struct kunit *test)
{
	union luo_kunit_buf buf;
	struct luo_ucmd ucmd = {};

	luo_kunit_runs = 0;
	KUNIT_EXPECT_EQ(test,
			luo_ioctl_dispatch(luo_kunit_ops,
					   ARRAY_SIZE(luo_kunit_ops),
					   LUO_KUNIT_BASE, LUO_KIND_OUTGOING,
					   &ucmd, &buf, LUO_KUNIT_IOCTL, 16),
			-EFAULT);
	KUNIT_EXPECT_EQ(test, luo_kunit_runs, 0);
}

/* Handler and FLB callbacks that are never called. */
static bool luo_kunit_can_preserve(struct liveupdate_file_handler *fh,
				   struct file *file)
{
	return false;
}

static int luo_kunit_file_op(struct liveupdate_file_op_args *args)
{
	return -EIO;
}

static void luo_kunit_file_void_op(struct liveupdate_file_op_args *args)
{
}

static const struct liveupdate_file_ops luo_kunit_file_ops = {
	.can_preserve = luo_kunit_can_preserve,
	.preserve = luo_kunit_file_op,
	.unpreserve = luo_kunit_file_void_op,
	.retrieve = luo_kunit_file_op,
	.finish = luo_kunit_file_void_op,
	.owner = THIS_MODULE,
};

static const struct liveupdate_file_ops luo_kunit_file_ops_no_finish = {
	.can_preserve = luo_kunit_can_preserve,
	.preserve = luo_kunit_file_op,
	.unpreserve = luo_kunit_file_void_op,
	.retrieve = luo_kunit_file_op,
	.owner = THIS_MODULE,
};

static int luo_kunit_flb_op(struct liveupdate_flb_op_args *args)
{
	return -EIO;
}

static void luo_kunit_flb_void_op(struct liveupdate_flb_op_args *args)
{
}

static const struct liveupdate_flb_ops luo_kunit_flb_ops = {
	.preserve = luo_kunit_flb_op,
	.unpreserve = luo_kunit_flb_void_op,
	.retrieve = luo_kunit_flb_op,
	.finish = luo_kunit_flb_void_op,
	.owner = THIS_MODULE,
};

KUNIT_DEFINE_ACTION_WRAPPER(luo_kunit_unregister_fh,
			    liveupdate_unregister_file_handler,
			    struct liveupdate_file_handler *);

static int luo_kunit_init(struct kunit *test)
{
	if (!liveupdate_enabled())
		kunit_skip(test, "live update is disabled (boot with kho=on liveupdate=on)");
	return 0;
}

/* A new handler with compatible @name, registered and unregistered on exit. */
static struct liveupdate_file_handler *
luo_kunit_new_handler(struct kunit *test, const char *name,
		      const struct liveupdate_file_ops *ops, int *err)
{
	struct liveupdate_file_handler *fh;

	fh = kunit_kzalloc(test, sizeof(*fh), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, fh);
	fh->ops = ops;
	strscpy((char *)fh->compatible, name, sizeof(fh->compatible));

	*err = liveupdate_register_file_handler(fh);
	if (!*err) {
		int ret = kunit_add_action_or_reset(test,
						    luo_kunit_unregister_fh,
						    fh);

		KUNIT_ASSERT_EQ(test, ret, 0);
	}
	return fh;
}

static void luo_kunit_handler_needs_mandatory_ops(struct kunit *test)
{
	int err;

	luo_kunit_new_handler(test, "luo-kunit-v1",
			      &luo_kunit_file_ops_no_finish, &err);
	KUNIT_EXPECT_EQ(test, err, -EINVAL);
}

static void luo_kunit_handler_compatible_unique(struct kunit *test)
{
	int err;

	luo_kunit_new_handler(test, "luo-kunit-v1", &luo_kunit_file_ops, &err);
	KUNIT_ASSERT_EQ(test, err, 0);
	luo_kunit_new_handler(test, "luo-kunit-v1", &luo_kunit_file_ops, &err);
	KUNIT_EXPECT_EQ(test, err, -EEXIST);
	luo_kunit_new_handler(test, "luo-kunit-v2", &luo_kunit_file_ops, &err);
	KUNIT_EXPECT_EQ(test, err, 0);
}

/* A new FLB with compatible @name; the caller links it. */
static struct liveupdate_flb *luo_kunit_new_flb(struct kunit *test,
						const char *name)
{
	struct liveupdate_flb *flb;

	flb = kunit_kzalloc(test, sizeof(*flb), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, flb);
	flb->ops = &luo_kunit_flb_ops;
	strscpy((char *)flb->compatible, name, sizeof(flb->compatible));
	return flb;
}

static void luo_kunit_flb_link_rules(struct kunit *test)
{
	struct liveupdate_file_handler *fh1, *fh2;
	struct liveupdate_flb *flb, *twin;
	void *obj = (void *)1;
	int err;

	/* FLBs first: cleanup unregisters the handlers before freeing them. */
	flb = luo_kunit_new_flb(test, "luo-kunit-flb-v1");
	twin = luo_kunit_new_flb(test, "luo-kunit-flb-v1");
	fh1 = luo_kunit_new_handler(test, "luo-kunit-v1", &luo_kunit_file_ops,
				    &err);
	KUNIT_ASSERT_EQ(test, err, 0);
	fh2 = luo_kunit_new_handler(test, "luo-kunit-v2", &luo_kunit_file_ops,
				    &err);
	KUNIT_ASSERT_EQ(test, err, 0);

	KUNIT_ASSERT_EQ(test, liveupdate_register_flb(fh1, flb), 0);
	/* Linked once per handler, but to several handlers. */
	KUNIT_EXPECT_EQ(test, liveupdate_register_flb(fh1, flb), -EEXIST);
	KUNIT_EXPECT_EQ(test, liveupdate_register_flb(fh2, flb), 0);
	/* Another FLB cannot take the same compatible string. */
	KUNIT_EXPECT_EQ(test, liveupdate_register_flb(fh2, twin), -EEXIST);

	/* No file depends on it: no outgoing object. */
	KUNIT_EXPECT_EQ(test, liveupdate_flb_get_outgoing(flb, &obj), 0);
	KUNIT_EXPECT_NULL(test, obj);

	/* Unlinked from both, the name is free again. */
	liveupdate_unregister_flb(fh1, flb);
	KUNIT_EXPECT_EQ(test, liveupdate_register_flb(fh1, twin), -EEXIST);
	liveupdate_unregister_flb(fh2, flb);
	KUNIT_EXPECT_EQ(test, liveupdate_register_flb(fh1, twin), 0);
	liveupdate_unregister_flb(fh1, twin);
}

static void luo_kunit_flb_capacity(struct kunit *test)
{
	struct liveupdate_flb *flbs[LUO_FLB_MAX + 1];
	struct liveupdate_file_handler *fh;
	char name[LIVEUPDATE_FLB_COMPAT_LENGTH];
	int i, err, linked = 0;

	/* FLBs first: cleanup unregisters the handler before freeing them. */
	for (i = 0; i <= LUO_FLB_MAX; i++) {
		snprintf(name, sizeof(name), "luo-kunit-flb-%d-v1", i);
		flbs[i] = luo_kunit_new_flb(test, name);
	}
	fh = luo_kunit_new_handler(test, "luo-kunit-v1", &luo_kunit_file_ops,
				   &err);
	KUNIT_ASSERT_EQ(test, err, 0);

	/* Other FLBs may be registered: fill up whatever room is left. */
	for (i = 0; i <= LUO_FLB_MAX; i++) {
		err = liveupdate_register_flb(fh, flbs[i]);
		if (err)
			break;
		linked++;
	}
	KUNIT_EXPECT_EQ(test, err, -ENOSPC);
	KUNIT_EXPECT_GT(test, linked, 0);
	/* Unregistering the handler unlinks them all and frees the room. */
}

static struct kunit_case luo_kunit_dispatch_cases[] = {
	KUNIT_CASE(luo_kunit_dispatch_exact_size),
	KUNIT_CASE(luo_kunit_dispatch_short_struct_zero_filled),
	KUNIT_CASE(luo_kunit_dispatch_below_min_size),
	KUNIT_CASE(luo_kunit_dispatch_long_struct),
	KUNIT_CASE(luo_kunit_dispatch_unknown_numbers),
	KUNIT_CASE(luo_kunit_dispatch_wrong_kind),
	KUNIT_CASE(luo_kunit_dispatch_bad_pointer),
	{}
};

static struct kunit_suite luo_kunit_dispatch_suite = {
	.name = "liveupdate_ioctl",
	.test_cases = luo_kunit_dispatch_cases,
};

static struct kunit_case luo_kunit_register_cases[] = {
	KUNIT_CASE(luo_kunit_handler_needs_mandatory_ops),
	KUNIT_CASE(luo_kunit_handler_compatible_unique),
	KUNIT_CASE(luo_kunit_flb_link_rules),
	KUNIT_CASE(luo_kunit_flb_capacity),
	{}
};

static struct kunit_suite luo_kunit_register_suite = {
	.name = "liveupdate_register",
	.init = luo_kunit_init,
	.test_cases = luo_kunit_register_cases,
};

kunit_test_suites(&luo_kunit_dispatch_suite, &luo_kunit_register_suite);

MODULE_DESCRIPTION("KUnit tests of the Live Update Orchestrator");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
