/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the QEMU test VM's init (vmtest_init.c) and by tests
 * that run inside that VM, possibly across kexec.
 *
 * A test is a program in /tests of the VM's initramfs. The init runs it once
 * per stage; the current stage number comes from "vmtest.stage=<n>" on the
 * kernel command line (absent on the first boot, i.e. stage 1). The test's
 * exit status tells the init what to do next:
 *
 *   KSFT_PASS (0)             the test is complete and passed
 *   KSFT_SKIP (4)             the test could not run here (reported as skip)
 *   VMTEST_EXIT_NEXT_STAGE    this stage passed: kexec into the same kernel
 *                             and initramfs, then run the next stage
 *   anything else             failure
 *
 * On each kexec the init adds "vmtest.stage=<n+1>" and
 * "vmtest.prev_boot_id=<uuid of the kernel that did the kexec>" to the
 * command line, so a stage can prove that it runs in a new kernel.
 */
#ifndef _VMTEST_H
#define _VMTEST_H

#include <stddef.h>

#define VMTEST_EXIT_NEXT_STAGE	42

#define VMTEST_KERNEL		"/boot/bzImage"
#define VMTEST_TESTS_DIR	"/tests"

/*
 * Read a small text file into @buf (NUL-terminated, trailing newlines and
 * spaces removed). Returns the length or -errno.
 */
int vmtest_read_file(const char *path, char *buf, size_t len);

/* Write the string @s to the existing file @path: 0 or -errno. */
int vmtest_write_file(const char *path, const char *s);

/* Current stage: the value of vmtest.stage=, 1 when absent, -1 if invalid. */
int vmtest_stage(void);

/*
 * Copy the value of "<key>=" from /proc/cmdline into @buf. Returns the length
 * of the value, -ENOENT if the key is absent, -ENOSPC if @buf is too small,
 * or another -errno.
 */
int vmtest_cmdline_get(const char *key, char *buf, size_t len);

/* This boot's /proc/sys/kernel/random/boot_id, without the newline. */
int vmtest_boot_id(char *buf, size_t len);

/*
 * Load the running kernel's image and initramfs with kexec_file_load(), with
 * the command line of this boot and the stage marker for @next_stage.
 * Returns 0 or -errno.
 */
int vmtest_kexec_load(int next_stage);

/*
 * The same, with @extra (may be NULL) appended to the command line, after
 * the stage marker: a later "key=value" overrides an earlier one.
 */
int vmtest_kexec_load_args(int next_stage, const char *extra);

/*
 * The command line vmtest_kexec_load() gives the kernel of stage
 * @next_stage, for loaders of its own (luoctl load). 0 or -errno.
 */
int vmtest_next_cmdline(int next_stage, char *out, size_t len);

/*
 * Free memory in KiB: MemFree plus the pages on the per-CPU free lists,
 * which MemFree leaves out (freed pages of low order land there first),
 * taken while MemFree holds still, so that pages draining from the lists
 * meanwhile are not missed. -1 on error.
 */
long vmtest_mem_free_kib(void);

/* Whether the kernel log (/dev/kmsg) holds a line containing @needle. */
int vmtest_kmsg_has(const char *needle);
/* The same, and the first such message (without its prefix) in @buf. */
int vmtest_kmsg_line(const char *needle, char *buf, size_t len);
/*
 * In a KHO boot of a kernel with deferred struct page init: the pages of the
 * preserved blocks that lay in the deferred range, whose struct pages KHO
 * initialised itself (from its "preserved memory blocks reserved" line).
 * -1 without that figure.
 */
long vmtest_kho_deferred_pages(void);

/*
 * Of those, the pages whose struct pages KHO initialised once deferred init
 * had run, on all CPUs (its "struct pages of N preserved pages initialised"
 * line); -1 without that line. @early, if not NULL, gets the number of
 * blocks set up before, for restores in early boot.
 */
long vmtest_kho_late_pages(long *early);

/*
 * Add @args (space-separated kernel parameters) to the command line of the
 * next kernel that vmtest_kexec_load() loads, after this boot's own, so
 * that they override them (e.g. "kho=off"). They stay on the command line
 * of every later stage too. Returns 0 or -errno.
 */
int vmtest_set_next_args(const char *args);

/* reboot(LINUX_REBOOT_CMD_KEXEC). Returns only on failure, with -errno. */
int vmtest_kexec_reboot(void);

#endif /* _VMTEST_H */
