/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The Live Update test file handler (lib/test_liveupdate.c,
 * CONFIG_LIVEUPDATE_TEST) as seen from userspace.
 *
 * Keep in sync with lib/test_liveupdate.c: the kernel has no uapi header for
 * this test-only interface, so the constants are mirrored here.
 *
 * /sys/kernel/debug/liveupdate_test/
 *   file     every open() creates a new test file: content (read, write,
 *            lseek, at most LUO_TEST_CONTENT_MAX bytes) and the settings
 *            below, changed by ioctls on the file
 *   events   one line per handler callback ("preserve <label>",
 *            "unpreserve <label>", "freeze <label>", "unfreeze <label>",
 *            "retrieve <label>", "can_finish <label>",
 *            "finish <label> <retrieve_status>", "flb-preserve",
 *            "flb-unpreserve", "flb-retrieve", "flb-finish"; "overflow" if
 *            the log was full); writing empties it
 *   stats    "objects <n> out_pages <n> in_freed <n>"
 *   flb      "outgoing <0|1> incoming <0|-errno>"
 */
#ifndef _LUO_TEST_FILE_H
#define _LUO_TEST_FILE_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define LUO_TEST_DIR		"/sys/kernel/debug/liveupdate_test"
#define LUO_TEST_FILE		LUO_TEST_DIR "/file"
#define LUO_TEST_EVENTS		LUO_TEST_DIR "/events"
#define LUO_TEST_STATS		LUO_TEST_DIR "/stats"
#define LUO_TEST_FLB		LUO_TEST_DIR "/flb"

#define LUO_TEST_CONTENT_MAX	4000

enum luo_test_fault_op {
	LUO_TEST_FAULT_PRESERVE,	/* preserve fails (this kernel) */
	LUO_TEST_FAULT_FREEZE,		/* freeze fails (this kernel, reboot()) */
	LUO_TEST_FAULT_RETRIEVE,	/* retrieve fails (next kernel) */
	LUO_TEST_FAULT_CAN_FINISH,	/* can_finish vetoes count times */
};

struct luo_test_fault {
	__u32 op;	/* enum luo_test_fault_op */
	__s32 error;	/* positive errno */
	__u32 count;	/* calls that fail; 0 clears */
	__u32 reserved;	/* 0 */
};

#define LUO_TEST_IOCTL_TYPE	0xBA
#define LUO_TEST_SET_LABEL	_IOW(LUO_TEST_IOCTL_TYPE, 0xF0, __u64)
#define LUO_TEST_GET_LABEL	_IOR(LUO_TEST_IOCTL_TYPE, 0xF1, __u64)
#define LUO_TEST_SET_FAULT	_IOW(LUO_TEST_IOCTL_TYPE, 0xF2, struct luo_test_fault)
/* Depend on the test file open as the given fd (-1: no dependency). */
#define LUO_TEST_SET_DEP_FD	_IOW(LUO_TEST_IOCTL_TYPE, 0xF3, __s32)
/* Depend on the token, unchecked at preserve time (for cycles). */
#define LUO_TEST_SET_DEP_TOKEN	_IOW(LUO_TEST_IOCTL_TYPE, 0xF4, __u64)
/* Inode number of the dependency's file (ENOENT if none). */
#define LUO_TEST_GET_DEP_INO	_IOR(LUO_TEST_IOCTL_TYPE, 0xF5, __u64)

#endif /* _LUO_TEST_FILE_H */
