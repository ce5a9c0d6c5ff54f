// SPDX-License-Identifier: GPL-2.0
/*
 * LUO sessions and files across real kexecs, with the test file handler
 * (CONFIG_LIVEUPDATE_TEST, luo_test_file.h). Run by vmtest.sh with
 * "kho=on liveupdate=on"; the variant (vmtest.variant=) picks the scenario,
 * the stage (vmtest.stage=) says which kernel we are in, so every stage
 * knows what the previous one did.
 *
 * Stage 1 (and 2 of "chain") leave their sessions open in a child process
 * that outlives the test, so they are still open when vmtest_init kexecs:
 * closing them would unpreserve everything. Stage 2 checks what came back
 * and finishes every session it retrieved.
 *
 *   simple            one file: content, label, GET_NAME, FLB, FINISH rules
 *   sessions          five sessions, three of them empty
 *   many-sessions     2000 sessions
 *   many-files        500 files in one session
 *   scale             20000 sessions, and 20000 files in one more session
 *   retrieve-twice    two RETRIEVE_FDs of one token give the same file
 *   finish-unretrieved FINISH discards files never retrieved (no leak)
 *   chain             three kernels: a session left unretrieved in stage 2
 *                     is gone in stage 3; a retrieved file preserved again
 *   freeze-fail       a failing freeze makes reboot() fail and keeps the
 *                     sessions; the next attempt works
 *   retrieve-fail     a failed retrieve is permanent for that token only
 *   can-finish        a can_finish veto makes FINISH EBUSY until it stops
 *   dep               dependencies: dependent first, preservation order,
 *                     failing dependency, cycle (ELOOP)
 *   corrupt-version   the LUO blob has an unknown compatible: EIO, no panic
 *   corrupt-pointer   the LUO blob points outside preserved memory: EIO
 *   corrupt-short, corrupt-session-chain, corrupt-file-chain,
 *   corrupt-handler, corrupt-count, corrupt-duplicate
 *                     the test handler damages what LUO wrote, at reboot
 *                     (spec 5.4: short blob, bad chains, unknown handler,
 *                     file-count mismatch, duplicate session): EIO
 *   corrupt-discard   a damaged session between two sound ones: EIO, the
 *                     sound ones' memory is free again, the damaged one's
 *                     stays reserved, the FLBs are finished once (one only
 *                     when a reference held across the open is put)
 *   kexec-load        reboot into an image from kexec_load(), which has no
 *                     handover data, fails and keeps the sessions; the
 *                     kexec_file_load() image then gets them
 *   off               the next kernel runs with liveupdate=off: it gives
 *                     the preserved memory back (a 64 MiB memfd, a test
 *                     file, the FLBs); a third kernel compares MemFree
 *   flb-fault         an FLB preserve failure rolls back the FLBs taken for
 *                     the file; failing FLB retrieves are tried again
 *   misc-fail         (one boot) misc_register() fails: LUO off, its
 *                     outgoing state removed
 *   setup-fail        (one boot) the KHO subtree "LUO" is taken: LUO off
 *   reply-fail        RETRIEVE_SESSION / RETRIEVE_FD whose reply cannot be
 *                     written (EFAULT) or that get no fd (EMFILE) change
 *                     nothing; FINISH.reserved; closing without FINISH
 *                     (implicit finish, can_finish veto: kept, no second
 *                     retrieve, name escaped in the log)
 *   dep-deep          dependency chains: 16 files retrieve nested, a
 *                     200-file chain fails with ELOOP, not a stack overflow
 *   uffd-stall        a session ioctl stalled forever reading its argument
 *                     (userfaultfd) does not block the reboot
 *   hugetlb-retrieve-twice, hugetlb-finish-unretrieved, hugetlb-chain
 *                     the same three lifecycles with hugetlb memfds of 2 MiB
 *                     pages (CONFIG_LIVEUPDATE_HUGETLB; a boot pool of
 *                     HUGE_POOL pages in every kernel): contents byte for
 *                     byte, and the pool counted right in every kernel
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <linux/kexec.h>
#include <linux/magic.h>
#include <linux/memfd.h>
#include <linux/userfaultfd.h>

#include "../kselftest.h"
#include "luo_test_utils.h"
#include "vmtest.h"

#define NR_MANY_SESSIONS	2000
#define NR_MANY_FILES		500

static int dev = -1;

#define CHECK(cond, fmt, ...) ksft_test_result(!!(cond), fmt "\n", ##__VA_ARGS__)
/* @got is evaluated once: it is usually an ioctl. */
#define CHECK_ERR(want, got, what) check_err(want, got, what)

static void check_err(int want, int got, const char *what)
{
	ksft_test_result(want == got, "%s: %s (want %s)\n", what,
			 got >= 0 ? "ok" : strerror(-got),
			 want >= 0 ? "ok" : strerror(-want));
}

static void die(const char *what, int err)
{
	ksft_exit_fail_msg("%s: %s\n", what, strerror(-err));
}

/* Report the stage: exit on failure, else pass or go to the next stage. */
static int end_stage(int last)
{
	ksft_set_plan(ksft_test_num());
	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	if (last)
		ksft_exit_pass();

	/* Keep every session fd open in a child that never exits. */
	if (dev >= 0)
		close(dev);
	fflush(stdout);
	switch (fork()) {
	case -1:
		ksft_exit_fail_msg("fork: %m\n");
	case 0:
		for (;;)
			pause();
	default:
		break;
	}
	return VMTEST_EXIT_NEXT_STAGE;
}

static int create(const char *name)
{
	int fd = luo_create_session(dev, name);

	if (fd < 0)
		die(name, fd);
	return fd;
}

static int retrieve(const char *name)
{
	int fd = luo_retrieve_session(dev, name);

	CHECK_ERR(0, fd < 0 ? fd : 0, name);
	return fd;
}

/* Preserve a new test file with @label and @len bytes of pattern @label. */
static void preserve_new(int sfd, __u64 token, __u64 label, size_t len)
{
	int fd = tf_open(label), ret;

	if (fd < 0)
		die("open test file", fd);
	ret = tf_write_pattern(fd, label, len);
	if (!ret)
		ret = luo_preserve_fd(sfd, fd, token);
	if (ret)
		die("preserve", ret);
	close(fd);
}

/* Retrieve @token and check its label and content; the fd or -errno. */
static int check_file(int sfd, __u64 token, __u64 label, size_t len)
{
	__u64 got = 0;
	long bad;
	int fd;

	fd = luo_retrieve_fd(sfd, token);
	if (fd < 0) {
		CHECK(0, "retrieve token %llu: %s", (unsigned long long)token,
		      strerror(-fd));
		return fd;
	}
	tf_get_label(fd, &got);
	bad = tf_check_pattern(fd, label, len);
	CHECK(got == label && !bad && (fcntl(fd, F_GETFD) & FD_CLOEXEC),
	      "token %llu: label %llu (want %llu), %zu bytes %s, cloexec",
	      (unsigned long long)token, (unsigned long long)got,
	      (unsigned long long)label, len, bad ? "differ" : "equal");
	return fd;
}

static void check_name(int sfd, const char *want)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH] = "";
	int ret = luo_get_name(sfd, name);

	CHECK(!ret && !strcmp(name, want), "GET_NAME \"%s\" (want \"%s\")", name, want);
}

static void check_finish(int sfd, const char *what)
{
	CHECK_ERR(0, luo_finish(sfd), what);
}

/* The status logged by "finish <label> <status>", or INT_MIN if absent. */
static int finish_status(const char *log, __u64 label)
{
	char prefix[48];
	const char *p;
	size_t len;

	len = snprintf(prefix, sizeof(prefix), "finish %llu ", (unsigned long long)label);
	for (p = log; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, prefix, len))
			return atoi(p + len);
	return -100000;
}

/* The line number of "finish <label> ...", or -1. */
static int finish_index(const char *log, __u64 label)
{
	char prefix[48];
	const char *p;
	size_t len;
	int i = 0;

	len = snprintf(prefix, sizeof(prefix), "finish %llu ", (unsigned long long)label);
	for (p = log; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL, i++)
		if (!strncmp(p, prefix, len))
			return i;
	return -1;
}

static int in_freed(void)
{
	struct luo_test_stats st = { .in_freed = -1 };

	stats_read(&st);
	return st.in_freed;
}

static int nr_objects(void)
{
	struct luo_test_stats st = { .objects = -1 };

	stats_read(&st);
	return st.objects;
}

static const char *log_or_empty(void)
{
	const char *log = events_read();

	return log ? log : "";
}

/* ---- simple ---- */

static int variant_simple(int stage)
{
	const char *log;
	int sfd, fd, in = 1, out = 1;

	if (stage == 1) {
		sfd = create("kx-simple");
		preserve_new(sfd, 0x1111, 1, 3000);
		/* Written after preserve: freeze must hand this over. */
		fd = tf_open(2);
		if (fd < 0 || tf_write_pattern(fd, 3, 100) ||
		    luo_preserve_fd(sfd, fd, 0x2222) || tf_write_pattern(fd, 2, 2500))
			ksft_exit_fail_msg("file 2: %m\n");
		return end_stage(0);
	}

	CHECK_ERR(-ENOENT, luo_retrieve_session(dev, "kx-other"), "unknown session");
	sfd = retrieve("kx-simple");
	if (sfd < 0)
		return end_stage(1);
	CHECK(fcntl(sfd, F_GETFD) & FD_CLOEXEC, "session fd is cloexec");
	check_name(sfd, "kx-simple");
	CHECK_ERR(-EINVAL, luo_retrieve_session(dev, "kx-simple"), "second RETRIEVE_SESSION");
	CHECK_ERR(-EINVAL, luo_preserve_fd(sfd, 0, 1), "PRESERVE_FD on incoming");
	CHECK_ERR(-ENOENT, luo_retrieve_fd(sfd, 0x3333), "unknown token");
	events_clear();
	fd = check_file(sfd, 0x1111, 1, 3000);
	CHECK(in_freed() == 1 && nr_objects() == 1, "page freed at retrieve, one object");
	close(check_file(sfd, 0x2222, 2, 2500));

	CHECK(!flb_read(&out, &in) && in == 0 && out == 0,
	      "FLB: incoming retrieved (%d), no outgoing (%d)", in, out);
	check_finish(sfd, "FINISH");
	log = log_or_empty();
	CHECK(events_count(log, "retrieve 1") == 1, "one retrieve callback");
	CHECK(events_count(log, "flb-retrieve") == 1, "one FLB retrieve");
	CHECK(events_count(log, "can_finish 1") == 1 && finish_status(log, 1) > 0,
	      "can_finish and finish with positive status (%d)", finish_status(log, 1));
	CHECK(finish_index(log, 2) >= 0 && finish_index(log, 2) < finish_index(log, 1),
	      "last preserved finished first");
	CHECK(events_find(log, "flb-finish", events_find(log, "flb-retrieve", -1)) > 0,
	      "FLB finished after the last file");
	CHECK(!flb_read(&out, &in) && in == -ENODATA, "FLB: finished (%d)", in);
	CHECK_ERR(-ENOENT, luo_retrieve_fd(sfd, 0x1111), "RETRIEVE_FD after FINISH");
	CHECK_ERR(0, luo_finish(sfd), "second FINISH");
	CHECK(fd >= 0 && !tf_check_pattern(fd, 1, 3000), "file still usable after FINISH");
	close(fd);
	close(sfd);
	CHECK_ERR(-ENOENT, luo_retrieve_session(dev, "kx-simple"),
		  "RETRIEVE_SESSION after FINISH and close");
	CHECK(nr_objects() == 0, "no test file left");
	return end_stage(1);
}

/* ---- sessions ---- */

static const char *const sess_names[] = { "empty-0", "one", "empty-1", "three", "empty-2" };

static int variant_sessions(int stage)
{
	int sfd[5], i, fd;

	if (stage == 1) {
		for (i = 0; i < 5; i++)
			sfd[i] = create(sess_names[i]);
		preserve_new(sfd[1], 1, 11, 100);
		preserve_new(sfd[3], 1, 31, 1000);
		preserve_new(sfd[3], 2, 32, 2000);
		preserve_new(sfd[3], 3, 33, LUO_TEST_CONTENT_MAX);
		return end_stage(0);
	}

	CHECK(vmtest_kmsg_has("read 5 incoming session(s) with 4 file(s) in "),
	      "the first open logs what it read, and how long it took");
	for (i = 4; i >= 0; i--) {
		sfd[i] = retrieve(sess_names[i]);
		if (sfd[i] < 0)
			return end_stage(1);
		check_name(sfd[i], sess_names[i]);
	}
	for (i = 0; i < 5; i += 2)
		CHECK_ERR(-ENOENT, luo_retrieve_fd(sfd[i], 1), "empty session has no file");
	fd = check_file(sfd[1], 1, 11, 100);
	close(fd);
	for (i = 3; i >= 1; i--) {
		fd = check_file(sfd[3], i, 30 + i, i == 3 ? LUO_TEST_CONTENT_MAX : i * 1000);
		close(fd);
	}
	for (i = 0; i < 5; i++)
		check_finish(sfd[i], sess_names[i]);
	CHECK(in_freed() == 4, "4 pages freed (%d)", in_freed());
	return end_stage(1);
}

/* ---- many-sessions ---- */

static int variant_many_sessions(int stage)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH], got[LIVEUPDATE_SESSION_NAME_LENGTH];
	int i, sfd, bad = 0, fd;

	if (raise_nofile(NR_MANY_SESSIONS + 64))
		ksft_exit_fail_msg("RLIMIT_NOFILE\n");
	if (stage == 1) {
		for (i = 0; i < NR_MANY_SESSIONS; i++) {
			snprintf(name, sizeof(name), "ms-%04d", i);
			sfd = create(name);
			if (i == 0 || i == NR_MANY_SESSIONS - 1)
				preserve_new(sfd, 7, i + 1, 64);
		}
		return end_stage(0);
	}

	for (i = NR_MANY_SESSIONS - 1; i >= 0; i--) {
		snprintf(name, sizeof(name), "ms-%04d", i);
		sfd = luo_retrieve_session(dev, name);
		if (sfd < 0 || luo_get_name(sfd, got) || strcmp(got, name)) {
			if (!bad++)
				ksft_print_msg("session %s: %s\n", name,
					       sfd < 0 ? strerror(-sfd) : "wrong name");
			continue;
		}
		if (i == 0 || i == NR_MANY_SESSIONS - 1) {
			fd = check_file(sfd, 7, i + 1, 64);
			close(fd);
		}
		if (luo_finish(sfd) && !bad++)
			ksft_print_msg("session %s: FINISH failed\n", name);
		close(sfd);
	}
	CHECK(!bad, "%d sessions retrieved, named and finished (%d bad)",
	      NR_MANY_SESSIONS, bad);
	return end_stage(1);
}

/* ---- scale ---- */

#define NR_SCALE	20000

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * Lookups by session name and by token are not walks of every session or
 * file: 20000 of each are preserved, carried and retrieved, each checked,
 * and every page freed at FINISH. The times are printed, not judged.
 */
static int variant_scale(int stage)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH], got[LIVEUPDATE_SESSION_NAME_LENGTH];
	int i, sfd, fd, bad = 0;
	struct timespec t0;
	__u64 label;

	if (raise_nofile(NR_SCALE + 64))
		ksft_exit_fail_msg("RLIMIT_NOFILE\n");
	if (stage == 1) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (i = 0; i < NR_SCALE; i++) {
			snprintf(name, sizeof(name), "sc-%05d", i);
			create(name);
		}
		ksft_print_msg("%d sessions created in %.2f s\n", NR_SCALE,
			       seconds_since(&t0));
		clock_gettime(CLOCK_MONOTONIC, &t0);
		sfd = create("scale-files");
		for (i = 0; i < NR_SCALE; i++)
			preserve_new(sfd, 2 * i + 1, 100000 + i, 16);
		ksft_print_msg("%d files preserved in %.2f s\n", NR_SCALE,
			       seconds_since(&t0));
		return end_stage(0);
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = NR_SCALE - 1; i >= 0; i--) {
		snprintf(name, sizeof(name), "sc-%05d", i);
		sfd = luo_retrieve_session(dev, name);
		if (sfd < 0 || luo_get_name(sfd, got) || strcmp(got, name) ||
		    luo_finish(sfd)) {
			if (!bad++)
				ksft_print_msg("session %s: %s\n", name,
					       sfd < 0 ? strerror(-sfd) : "wrong name or FINISH");
		}
		if (sfd >= 0)
			close(sfd);
	}
	ksft_print_msg("%d sessions retrieved and finished in %.2f s\n", NR_SCALE,
		       seconds_since(&t0));
	CHECK(!bad, "%d sessions retrieved, named and finished (%d bad)", NR_SCALE, bad);

	sfd = retrieve("scale-files");
	if (sfd < 0)
		return end_stage(1);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (bad = 0, i = NR_SCALE - 1; i >= 0; i--) {
		fd = luo_retrieve_fd(sfd, 2 * i + 1);
		label = 0;
		if (fd < 0 || tf_get_label(fd, &label) || label != 100000u + i ||
		    tf_check_pattern(fd, 100000 + i, 16)) {
			if (!bad++)
				ksft_print_msg("file %d: %s\n", i,
					       fd < 0 ? strerror(-fd) : "wrong label or data");
		}
		if (fd >= 0)
			close(fd);
	}
	ksft_print_msg("%d files retrieved in %.2f s\n", NR_SCALE, seconds_since(&t0));
	CHECK(!bad, "%d files retrieved with their label and data (%d bad)", NR_SCALE, bad);
	CHECK_ERR(-ENOENT, luo_retrieve_fd(sfd, 2), "no file for an unused token");
	check_finish(sfd, "FINISH");
	CHECK(in_freed() == NR_SCALE, "%d pages freed (%d)", NR_SCALE, in_freed());
	close(sfd);
	CHECK(nr_objects() == 0, "no test file left (%d)", nr_objects());
	return end_stage(1);
}

/* ---- many-files ---- */

static int variant_many_files(int stage)
{
	int sfd, fd, i, bad = 0, f_last, f_first;
	const char *log;
	__u64 label;

	if (raise_nofile(NR_MANY_FILES + 64))
		ksft_exit_fail_msg("RLIMIT_NOFILE\n");
	if (stage == 1) {
		sfd = create("many-files");
		for (i = 0; i < NR_MANY_FILES; i++)
			preserve_new(sfd, 3 * i + 1, 1000 + i, 1 + i % 97);
		return end_stage(0);
	}

	sfd = retrieve("many-files");
	if (sfd < 0)
		return end_stage(1);
	for (i = NR_MANY_FILES - 1; i >= 0; i--) {
		fd = luo_retrieve_fd(sfd, 3 * i + 1);
		label = 0;
		if (fd < 0 || tf_get_label(fd, &label) || label != 1000u + i ||
		    tf_check_pattern(fd, 1000 + i, 1 + i % 97)) {
			if (!bad++)
				ksft_print_msg("file %d: %s\n", i,
					       fd < 0 ? strerror(-fd) : "wrong label or data");
		}
		if (fd >= 0)
			close(fd);
	}
	CHECK(!bad, "%d files retrieved with their label and data (%d bad)",
	      NR_MANY_FILES, bad);
	events_clear();
	check_finish(sfd, "FINISH");
	log = log_or_empty();
	f_last = events_find(log, "can_finish 1499", -1);
	f_first = events_find(log, "can_finish 1000", -1);
	CHECK(events_count_prefix(log, "finish ") == NR_MANY_FILES,
	      "%d finish callbacks", NR_MANY_FILES);
	CHECK(f_last >= 0 && f_first >= 0, "can_finish for every file");
	CHECK(finish_status(log, 1000) > 0 && finish_status(log, 1499) > 0,
	      "finish status positive");
	CHECK(in_freed() == NR_MANY_FILES, "%d pages freed (%d)", NR_MANY_FILES, in_freed());
	close(sfd);
	CHECK(nr_objects() == 0, "no test file left (%d)", nr_objects());
	return end_stage(1);
}

/* ---- retrieve-twice ---- */

static int variant_retrieve_twice(int stage)
{
	struct stat a, b;
	int sfd, fd1, fd2;

	if (stage == 1) {
		sfd = create("rt");
		preserve_new(sfd, 1, 1, 2000);
		return end_stage(0);
	}

	sfd = retrieve("rt");
	if (sfd < 0)
		return end_stage(1);
	events_clear();
	fd1 = luo_retrieve_fd(sfd, 1);
	fd2 = luo_retrieve_fd(sfd, 1);
	CHECK(fd1 >= 0 && fd2 >= 0 && fd1 != fd2, "two RETRIEVE_FDs (%d, %d)", fd1, fd2);
	if (fd1 < 0 || fd2 < 0)
		return end_stage(1);
	CHECK(!fstat(fd1, &a) && !fstat(fd2, &b) && a.st_ino == b.st_ino &&
	      a.st_dev == b.st_dev, "same inode (%lu, %lu)", a.st_ino, b.st_ino);
	lseek(fd1, 123, SEEK_SET);
	CHECK(lseek(fd2, 0, SEEK_CUR) == 123, "shared file offset");
	CHECK(events_count(log_or_empty(), "retrieve 1") == 1, "one retrieve callback");
	CHECK(nr_objects() == 1, "one test file object (%d)", nr_objects());
	CHECK(!tf_check_pattern(fd2, 1, 2000), "content");
	check_finish(sfd, "FINISH");
	close(fd1);
	close(fd2);
	close(sfd);
	CHECK(nr_objects() == 0, "no test file left");
	return end_stage(1);
}

/* ---- finish-unretrieved ---- */

static int variant_finish_unretrieved(int stage)
{
	int sfd, a, b, c, in = 1, out = 1;
	const char *log;

	if (stage == 1) {
		sfd = create("fu");
		preserve_new(sfd, 1, 1, 10);
		preserve_new(sfd, 2, 2, 20);
		preserve_new(sfd, 3, 3, 30);
		return end_stage(0);
	}

	sfd = retrieve("fu");
	if (sfd < 0)
		return end_stage(1);
	events_clear();
	check_finish(sfd, "FINISH without RETRIEVE_FD");
	log = log_or_empty();
	a = events_find(log, "finish 1 0", -1);
	b = events_find(log, "finish 2 0", -1);
	c = events_find(log, "finish 3 0", -1);
	CHECK(c >= 0 && c < b && b < a, "finish with status 0, last preserved first");
	CHECK(events_count_prefix(log, "retrieve ") == 0, "nothing retrieved");
	CHECK(in_freed() == 3, "the 3 preserved pages are freed (%d)", in_freed());
	CHECK(nr_objects() == 0, "no test file object");
	CHECK(events_count(log, "flb-finish") == 1, "FLB finished though never used");
	CHECK(!flb_read(&out, &in) && in == -ENODATA, "FLB: finished (%d)", in);
	CHECK_ERR(-ENOENT, luo_retrieve_fd(sfd, 1), "RETRIEVE_FD after FINISH");
	close(sfd);
	return end_stage(1);
}

/* ---- chain (3 stages) ---- */

static int variant_chain(int stage)
{
	int sfd, fd, out_sfd, ret;

	if (stage == 1) {
		sfd = create("keep");
		preserve_new(sfd, 1, 1, 1500);
		sfd = create("drop");
		preserve_new(sfd, 1, 2, 100);
		return end_stage(0);
	}
	if (stage == 2) {
		sfd = retrieve("keep");
		if (sfd < 0)
			return end_stage(1);
		fd = check_file(sfd, 1, 1, 1500);
		/* An outgoing session may share its name with an incoming one. */
		out_sfd = create("keep");
		create("stage2");
		ret = luo_preserve_fd(out_sfd, fd, 9);
		CHECK_ERR(-EBUSY, ret, "preserve a retrieved, unfinished file");
		check_finish(sfd, "FINISH");
		CHECK_ERR(0, luo_preserve_fd(out_sfd, fd, 9), "preserve it again after FINISH");
		CHECK(in_freed() == 1, "one page freed (%d)", in_freed());
		close(fd);
		close(sfd);
		/* "drop" is never retrieved. */
		return end_stage(0);
	}

	CHECK_ERR(-ENOENT, luo_retrieve_session(dev, "drop"),
		  "session not retrieved in stage 2 is gone");
	sfd = retrieve("stage2");
	CHECK_ERR(-ENOENT, luo_retrieve_fd(sfd, 1), "empty session");
	check_finish(sfd, "FINISH stage2");
	sfd = retrieve("keep");
	if (sfd < 0)
		return end_stage(1);
	fd = check_file(sfd, 9, 1, 1500);
	check_finish(sfd, "FINISH keep");
	close(fd);
	return end_stage(1);
}

/* ---- freeze-fail ---- */

static int variant_freeze_fail(int stage)
{
	int sa, sb, f3, ret, fz1, fz2, fz3, u1, u2;
	const char *log;

	if (stage == 1) {
		sa = create("ff-a");
		sb = create("ff-b");
		preserve_new(sa, 1, 1, 100);
		preserve_new(sb, 2, 2, 200);
		f3 = tf_open(3);
		if (f3 < 0 || tf_write_pattern(f3, 3, 300) ||
		    tf_set_fault(f3, LUO_TEST_FAULT_FREEZE, ENOTUNIQ, 5) ||
		    luo_preserve_fd(sb, f3, 3))
			ksft_exit_fail_msg("set up file 3: %m\n");

		ret = vmtest_kexec_load(2);
		if (ret)
			die("kexec_file_load", ret);
		events_clear();
		ret = vmtest_kexec_reboot();
		CHECK_ERR(-ENOTUNIQ, ret, "reboot(KEXEC) fails with the freeze error");
		log = log_or_empty();
		fz1 = events_find(log, "freeze 1", -1);
		fz2 = events_find(log, "freeze 2", fz1);
		fz3 = events_find(log, "freeze 3", fz2);
		u2 = events_find(log, "unfreeze 2", fz3);
		u1 = events_find(log, "unfreeze 1", u2);
		CHECK(fz1 >= 0 && fz2 > 0 && fz3 > 0, "froze in order");
		CHECK(u2 > 0 && u1 > 0 && !events_count(log, "unfreeze 3"),
		      "rolled back the files frozen before, most recent session first");
		if (ksft_get_fail_cnt())
			ksft_print_msg("event log:\n%s", log);

		check_name(sa, "ff-a");
		check_name(sb, "ff-b");
		preserve_new(sa, 4, 4, 400);
		create("ff-c");
		CHECK_ERR(-ENOTUNIQ, vmtest_kexec_reboot(), "a second attempt fails too");
		CHECK_ERR(0, tf_set_fault(f3, LUO_TEST_FAULT_FREEZE, 0, 0), "clear the fault");
		close(f3);
		/* vmtest_init loads the kernel again and reboots. */
		return end_stage(0);
	}

	sa = retrieve("ff-a");
	sb = retrieve("ff-b");
	if (sa < 0 || sb < 0)
		return end_stage(1);
	close(check_file(sa, 1, 1, 100));
	close(check_file(sa, 4, 4, 400));
	close(check_file(sb, 2, 2, 200));
	close(check_file(sb, 3, 3, 300));
	check_finish(sa, "FINISH ff-a");
	check_finish(sb, "FINISH ff-b");
	ret = retrieve("ff-c");
	check_finish(ret, "FINISH ff-c");
	return end_stage(1);
}

/* ---- retrieve-fail ---- */

static int variant_retrieve_fail(int stage)
{
	const char *log;
	int sfd, fd;

	if (stage == 1) {
		sfd = create("rf");
		fd = tf_open(1);
		if (fd < 0 || tf_set_fault(fd, LUO_TEST_FAULT_RETRIEVE, ENOLINK, 1) ||
		    luo_preserve_fd(sfd, fd, 1))
			ksft_exit_fail_msg("set up file 1: %m\n");
		close(fd);
		preserve_new(sfd, 2, 2, 222);
		return end_stage(0);
	}

	sfd = retrieve("rf");
	if (sfd < 0)
		return end_stage(1);
	events_clear();
	CHECK_ERR(-ENOLINK, luo_retrieve_fd(sfd, 1), "retrieve fails with the injected errno");
	CHECK_ERR(-ENOLINK, luo_retrieve_fd(sfd, 1), "and again: the failure is permanent");
	fd = check_file(sfd, 2, 2, 222);
	close(fd);
	CHECK(events_count(log_or_empty(), "retrieve 1") == 1,
	      "the handler was asked once");
	check_finish(sfd, "FINISH");
	log = log_or_empty();
	CHECK(finish_status(log, 1) == -ENOLINK,
	      "finish status of the failed file is -ENOLINK (%d)", finish_status(log, 1));
	CHECK(in_freed() == 2, "both pages freed (%d)", in_freed());
	close(sfd);
	return end_stage(1);
}

/* ---- can-finish ---- */

static int variant_can_finish(int stage)
{
	int sfd, fd, f2;

	if (stage == 1) {
		sfd = create("cf");
		fd = tf_open(1);
		if (fd < 0 || tf_set_fault(fd, LUO_TEST_FAULT_CAN_FINISH, 0, 2) ||
		    luo_preserve_fd(sfd, fd, 1))
			ksft_exit_fail_msg("set up file 1: %m\n");
		close(fd);
		preserve_new(sfd, 2, 2, 22);
		return end_stage(0);
	}

	sfd = retrieve("cf");
	if (sfd < 0)
		return end_stage(1);
	fd = check_file(sfd, 1, 1, 0);
	events_clear();
	CHECK_ERR(-EBUSY, luo_finish(sfd), "vetoed FINISH");
	CHECK(!events_count_prefix(log_or_empty(), "finish "), "nothing finished");
	f2 = check_file(sfd, 2, 2, 22);
	CHECK_ERR(-EBUSY, luo_finish(sfd), "vetoed FINISH again");
	CHECK_ERR(0, luo_finish(sfd), "FINISH once the veto is used up");
	CHECK(events_count(log_or_empty(), "can_finish 1") == 3, "can_finish asked 3 times");
	CHECK(finish_status(log_or_empty(), 1) > 0 && finish_status(log_or_empty(), 2) > 0,
	      "both files finished");
	CHECK_ERR(-ENOENT, luo_retrieve_fd(sfd, 1), "session empty");
	close(fd);
	close(f2);
	close(sfd);
	return end_stage(1);
}

/* ---- dep ---- */

static void preserve_dep_pair(const char *name, __u64 la, __u64 lb)
{
	int sfd = create(name), a = tf_open(la), b = tf_open(lb);

	if (a < 0 || b < 0 || tf_set_dep_fd(b, a))
		ksft_exit_fail_msg("%s: set up\n", name);
	tf_write_pattern(a, la, 50);
	tf_write_pattern(b, lb, 60);
	CHECK_ERR(-ENOENT, luo_preserve_fd(sfd, b, 20), "dependent before its dependency");
	CHECK_ERR(0, luo_preserve_fd(sfd, a, 10), "dependency");
	CHECK_ERR(0, luo_preserve_fd(sfd, b, 20), "then the dependent");
	close(a);
	close(b);
}

static int variant_dep(int stage)
{
	int sfd, fa, fa2, fb, r1, r2, e, f, g;
	struct stat st;
	const char *log;
	__u64 ino = 0;

	if (stage == 1) {
		preserve_dep_pair("dep-a", 1, 2);
		preserve_dep_pair("dep-b", 3, 4);

		sfd = create("dep-fail");
		fa = tf_open(5);
		fb = tf_open(6);
		if (fa < 0 || fb < 0 || tf_set_dep_fd(fb, fa) ||
		    tf_set_fault(fa, LUO_TEST_FAULT_RETRIEVE, EHOSTDOWN, 1) ||
		    luo_preserve_fd(sfd, fa, 10) || luo_preserve_fd(sfd, fb, 20))
			ksft_exit_fail_msg("dep-fail: set up: %m\n");
		close(fa);
		close(fb);

		sfd = create("dep-cycle");
		e = tf_open(7);
		f = tf_open(8);
		if (e < 0 || f < 0 || tf_set_dep_token(e, 20) || tf_set_dep_token(f, 10) ||
		    luo_preserve_fd(sfd, e, 10) || luo_preserve_fd(sfd, f, 20))
			ksft_exit_fail_msg("dep-cycle: set up: %m\n");
		close(e);
		close(f);
		preserve_new(sfd, 30, 9, 90);
		return end_stage(0);
	}

	/* Dependent first: the dependency is retrieved on the way. */
	sfd = retrieve("dep-a");
	events_clear();
	fb = check_file(sfd, 20, 2, 60);
	log = log_or_empty();
	r2 = events_find(log, "retrieve 2", -1);
	r1 = events_find(log, "retrieve 1", r2);
	CHECK(r2 >= 0 && r1 > r2, "dependency retrieved while retrieving the dependent");
	CHECK(!tf_get_dep_ino(fb, &ino), "dependent holds its dependency");
	fa = check_file(sfd, 10, 1, 50);
	fa2 = luo_retrieve_fd(sfd, 10);
	CHECK(fa >= 0 && !fstat(fa, &st) && st.st_ino == ino,
	      "RETRIEVE_FD of the dependency gives the same file (ino %llu)",
	      (unsigned long long)ino);
	lseek(fa, 7, SEEK_SET);
	CHECK(fa2 >= 0 && lseek(fa2, 0, SEEK_CUR) == 7, "shared offset");
	CHECK(events_count(log_or_empty(), "retrieve 1") == 1, "dependency retrieved once");
	check_finish(sfd, "FINISH dep-a");
	close(fa);
	close(fa2);
	close(fb);

	/* Preservation order. */
	sfd = retrieve("dep-b");
	events_clear();
	fa = check_file(sfd, 10, 3, 50);
	fb = check_file(sfd, 20, 4, 60);
	ino = 0;
	CHECK(!tf_get_dep_ino(fb, &ino) && !fstat(fa, &st) && st.st_ino == ino,
	      "dependent's dependency is the file retrieved before");
	log = log_or_empty();
	CHECK(events_count(log, "retrieve 3") == 1 && events_count(log, "retrieve 4") == 1,
	      "each retrieved once");
	check_finish(sfd, "FINISH dep-b");
	close(fa);
	close(fb);

	/* A failing dependency fails the dependent, permanently. */
	sfd = retrieve("dep-fail");
	events_clear();
	CHECK_ERR(-EHOSTDOWN, luo_retrieve_fd(sfd, 20),
		  "dependent fails with the dependency's error");
	CHECK_ERR(-EHOSTDOWN, luo_retrieve_fd(sfd, 20), "permanently");
	CHECK_ERR(-EHOSTDOWN, luo_retrieve_fd(sfd, 10), "dependency itself");
	log = log_or_empty();
	CHECK(events_count(log, "retrieve 5") == 1 && events_count(log, "retrieve 6") == 1,
	      "each handler retrieve called once");
	check_finish(sfd, "FINISH dep-fail");

	/* A cycle is ELOOP, not a deadlock. */
	sfd = retrieve("dep-cycle");
	CHECK_ERR(-ELOOP, luo_retrieve_fd(sfd, 10), "cycle");
	CHECK_ERR(-ELOOP, luo_retrieve_fd(sfd, 20), "other member of the cycle");
	g = check_file(sfd, 30, 9, 90);
	check_finish(sfd, "FINISH dep-cycle");
	close(g);
	CHECK(in_freed() == 9, "all 9 pages freed (%d)", in_freed());
	CHECK(nr_objects() == 0, "no test file left (%d)", nr_objects());
	return end_stage(1);
}

/* ---- reply-fail ---- */

/* A session name with an escape sequence and a newline, for the log. */
#define VETO_NAME	"veto\x1b[31m\nclose"

/*
 * A copy of @len bytes of @arg in a read-only page: the ioctl reads its
 * argument but cannot write its reply.
 */
static void *ro_arg(const void *arg, size_t len)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %m\n");
	memcpy(p, arg, len);
	if (mprotect(p, 4096, PROT_READ))
		ksft_exit_fail_msg("mprotect: %m\n");
	return p;
}

static int lowest_free_fd(void)
{
	int fd = open("/", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* Run @ioctl_nr on @fd with @arg read-only: the errno, 0 on success. */
static int ioctl_ro(int fd, unsigned long ioctl_nr, const void *arg, size_t len)
{
	void *ro = ro_arg(arg, len);
	int ret = ioctl(fd, ioctl_nr, ro) ? errno : 0;

	munmap(ro, 4096);
	return ret;
}

/* Lower RLIMIT_NOFILE so that no fd can be made (@on), or restore it. */
static void no_fds(int on)
{
	static struct rlimit old;
	struct rlimit rl;

	if (on) {
		getrlimit(RLIMIT_NOFILE, &old);
		rl = old;
		rl.rlim_cur = lowest_free_fd();
		setrlimit(RLIMIT_NOFILE, &rl);
	} else {
		setrlimit(RLIMIT_NOFILE, &old);
	}
}

static int variant_reply_fail(int stage)
{
	struct liveupdate_ioctl_retrieve_session rs = { .size = sizeof(rs) };
	struct liveupdate_session_retrieve_fd rf = { .size = sizeof(rf), .token = 1 };
	struct liveupdate_session_finish fin = { .size = sizeof(fin), .reserved = 1 };
	int sfd, fd, fd2, free_fd, freed;
	const char *log;

	if (stage == 1) {
		sfd = create("rfail");
		preserve_new(sfd, 1, 1, 1111);
		preserve_new(sfd, 2, 2, 2222);
		sfd = create("implicit");
		preserve_new(sfd, 1, 11, 100);
		preserve_new(sfd, 2, 12, 200);
		sfd = create(VETO_NAME);
		fd = tf_open(21);
		if (fd < 0 || tf_set_fault(fd, LUO_TEST_FAULT_CAN_FINISH, 0, 1000) ||
		    luo_preserve_fd(sfd, fd, 1))
			ksft_exit_fail_msg("set up the vetoing file: %m\n");
		close(fd);
		return end_stage(0);
	}

	/* RETRIEVE_SESSION: a failed reply leaves the session retrievable. */
	events_clear();
	snprintf((char *)rs.name, sizeof(rs.name), "rfail");
	free_fd = lowest_free_fd();
	CHECK_ERR(-EFAULT, -ioctl_ro(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &rs, sizeof(rs)),
		  "RETRIEVE_SESSION, reply not writable");
	CHECK(lowest_free_fd() == free_fd, "no fd left behind");
	no_fds(1);
	CHECK_ERR(-EMFILE, luo_retrieve_session(dev, "rfail"),
		  "RETRIEVE_SESSION without a free fd");
	no_fds(0);
	CHECK(!events_count_prefix(log_or_empty(), "finish ") && in_freed() == 0,
	      "nothing finished, nothing freed (%d)", in_freed());
	sfd = retrieve("rfail");
	if (sfd < 0)
		return end_stage(1);

	/* RETRIEVE_FD: the same; the file comes back whole afterwards. */
	CHECK_ERR(-EFAULT, -ioctl_ro(sfd, LIVEUPDATE_SESSION_RETRIEVE_FD, &rf, sizeof(rf)),
		  "RETRIEVE_FD, reply not writable");
	CHECK(lowest_free_fd() == free_fd + 1, "no fd left behind");
	no_fds(1);
	rf.token = 2;
	CHECK_ERR(-EMFILE, -ioctl_ro(sfd, LIVEUPDATE_SESSION_RETRIEVE_FD, &rf, sizeof(rf)),
		  "RETRIEVE_FD without a free fd");
	no_fds(0);
	fd = check_file(sfd, 1, 1, 1111);
	fd2 = check_file(sfd, 2, 2, 2222);
	CHECK(events_count(log_or_empty(), "retrieve 1") == 1, "retrieved once");

	/* FINISH.reserved must be zero. */
	events_clear();
	CHECK_ERR(-EINVAL, -ioctl_ro(sfd, LIVEUPDATE_SESSION_FINISH, &fin, sizeof(fin)),
		  "FINISH with reserved != 0");
	CHECK(!events_count_prefix(log_or_empty(), "can_finish "), "nothing asked to finish");
	check_finish(sfd, "FINISH");
	CHECK(!tf_check_pattern(fd, 1, 1111) && !tf_check_pattern(fd2, 2, 2222),
	      "files intact after FINISH");
	close(fd);
	close(fd2);
	close(sfd);

	/* Closing without FINISH finishes: retrieved and unretrieved files. */
	sfd = retrieve("implicit");
	if (sfd < 0)
		return end_stage(1);
	fd = check_file(sfd, 1, 11, 100);
	freed = in_freed();
	events_clear();
	close(sfd);
	log = log_or_empty();
	CHECK(finish_status(log, 12) == 0 && finish_status(log, 11) > 0 &&
	      finish_index(log, 12) < finish_index(log, 11),
	      "close finished both files, last preserved first");
	CHECK(in_freed() == freed + 1, "the unretrieved file's page is freed (%d)",
	      in_freed() - freed);
	CHECK_ERR(-ENOENT, luo_retrieve_session(dev, "implicit"), "gone after close");
	CHECK(!tf_check_pattern(fd, 11, 100), "retrieved file still usable");
	close(fd);

	/* A veto at close keeps the session, for good. */
	sfd = retrieve(VETO_NAME);
	if (sfd < 0)
		return end_stage(1);
	events_clear();
	close(sfd);
	log = log_or_empty();
	CHECK(events_count(log, "can_finish 21") == 1 && !events_count_prefix(log, "finish "),
	      "vetoed at close, nothing finished");
	CHECK_ERR(-EINVAL, luo_retrieve_session(dev, VETO_NAME), "kept, not retrievable again");
	/* /dev/kmsg shows a backslash as \x5c: the name was escaped by the kernel. */
	CHECK(vmtest_kmsg_has("session 'veto\\x5ce[31m\\x5cnclose': cannot finish on close"),
	      "the log line has the name escaped");
	CHECK(!vmtest_kmsg_has("session 'veto\\x1b"), "no raw escape in the log");
	return end_stage(1);
}

/* ---- dep-deep ---- */

#define DEEP_CHAIN	200
#define DEP_DEPTH_MAX	16

static int variant_dep_deep(int stage)
{
	int sfd, fd, fds[DEP_DEPTH_MAX], i, bad = 0;

	if (raise_nofile(DEEP_CHAIN + 64))
		ksft_exit_fail_msg("RLIMIT_NOFILE\n");
	if (stage == 1) {
		/* 16 files, each needing the one before: the longest chain. */
		sfd = create("dep-16");
		for (i = 0; i < DEP_DEPTH_MAX; i++) {
			fds[i] = tf_open(i + 1);
			if (fds[i] < 0 || tf_write_pattern(fds[i], i + 1, 100 + i) ||
			    (i && tf_set_dep_fd(fds[i], fds[i - 1])) ||
			    luo_preserve_fd(sfd, fds[i], i + 1))
				ksft_exit_fail_msg("dep-16: file %d: %m\n", i);
		}
		for (i = 0; i < DEP_DEPTH_MAX; i++)
			close(fds[i]);

		/*
		 * 200 files chained by token, which LUO cannot see at
		 * preserve: what a corrupted handover could hold.
		 */
		sfd = create("dep-200");
		for (i = 0; i < DEEP_CHAIN; i++) {
			fd = tf_open(1000 + i);
			if (fd < 0 || tf_write_pattern(fd, 1000 + i, 64) ||
			    (i && tf_set_dep_token(fd, i)) ||
			    luo_preserve_fd(sfd, fd, i + 1))
				ksft_exit_fail_msg("dep-200: file %d: %m\n", i);
			close(fd);
		}
		return end_stage(0);
	}

	/* The last of 16 first: 16 nested retrieves. */
	sfd = retrieve("dep-16");
	if (sfd < 0)
		return end_stage(1);
	events_clear();
	fd = check_file(sfd, DEP_DEPTH_MAX, DEP_DEPTH_MAX, 100 + DEP_DEPTH_MAX - 1);
	close(fd);
	CHECK(events_count_prefix(log_or_empty(), "retrieve ") == DEP_DEPTH_MAX,
	      "the whole chain retrieved at once");
	for (i = 1; i < DEP_DEPTH_MAX; i++)
		close(check_file(sfd, i, i, 100 + i - 1));
	check_finish(sfd, "FINISH dep-16");
	close(sfd);

	/*
	 * The last of 200 first: 16 nested retrieves, then ELOOP. Files 185
	 * to 200 failed for good; 1 to 184 were not touched and come back.
	 */
	sfd = retrieve("dep-200");
	if (sfd < 0)
		return end_stage(1);
	CHECK_ERR(-ELOOP, luo_retrieve_fd(sfd, DEEP_CHAIN), "200-file chain");
	CHECK(vmtest_kmsg_has("): retrieve failed: -"), "logged");
	for (i = 1; i <= DEEP_CHAIN; i++) {
		int want_ok = i <= DEEP_CHAIN - DEP_DEPTH_MAX;

		fd = luo_retrieve_fd(sfd, i);
		if (want_ok ? (fd < 0 || tf_check_pattern(fd, 1000 + i - 1, 64)) :
			      fd != -ELOOP) {
			if (!bad++)
				ksft_print_msg("token %d: %s\n", i,
					       fd < 0 ? strerror(-fd) : "retrieved");
		}
		if (fd >= 0)
			close(fd);
	}
	CHECK(!bad, "tokens 1-%d intact, %d-%d ELOOP (%d bad)",
	      DEEP_CHAIN - DEP_DEPTH_MAX, DEEP_CHAIN - DEP_DEPTH_MAX + 1, DEEP_CHAIN, bad);
	check_finish(sfd, "FINISH dep-200");
	close(sfd);
	CHECK(in_freed() == DEP_DEPTH_MAX + DEEP_CHAIN, "every page freed (%d)", in_freed());
	CHECK(nr_objects() == 0, "no test file left (%d)", nr_objects());
	return end_stage(1);
}

/* ---- uffd-stall ---- */

struct stall {
	int sfd;
	void *arg;	/* a page registered with userfaultfd, never filled */
};

static void *stall_ioctl(void *p)
{
	struct stall *st = p;

	/* Blocks for good in the fault on the argument's first byte. */
	ioctl(st->sfd, LIVEUPDATE_SESSION_PRESERVE_FD, st->arg);
	return NULL;
}

/*
 * In a child that outlives the stage: a thread issues PRESERVE_FD with its
 * argument in a page nobody will ever fill. Reports 0 on @wfd once the
 * thread waits in the fault, or an errno.
 */
static void stall_child(int sfd, int wfd)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct stall st = { .sfd = sfd };
	struct uffd_msg msg;
	pthread_t tid;
	int uffd, err = 0;

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api)) {
		err = errno;
		goto out;
	}
	st.arg = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg.range.start = (unsigned long)st.arg;
	reg.range.len = 4096;
	if (st.arg == MAP_FAILED || ioctl(uffd, UFFDIO_REGISTER, &reg) ||
	    pthread_create(&tid, NULL, stall_ioctl, &st)) {
		err = errno ? errno : EAGAIN;
		goto out;
	}
	if (read(uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		err = EIO;
out:
	if (write(wfd, &err, sizeof(err)) != sizeof(err))
		_exit(1);
	for (;;)
		pause();
}

static int variant_uffd_stall(int stage)
{
	int sfd, fd, p[2], err = EIO;

	if (stage == 1) {
		/* The sysctl exists if and only if the kernel has userfaultfd. */
		if (access("/proc/sys/vm/unprivileged_userfaultfd", F_OK))
			ksft_exit_skip("no userfaultfd (USERFAULTFD)\n");
		sfd = create("stall");
		preserve_new(sfd, 1, 1, 500);
		if (pipe(p))
			ksft_exit_fail_msg("pipe: %m\n");
		fflush(stdout);
		switch (fork()) {
		case -1:
			ksft_exit_fail_msg("fork: %m\n");
		case 0:
			stall_child(sfd, p[1]);
		default:
			break;
		}
		if (read(p[0], &err, sizeof(err)) != sizeof(err))
			err = EIO;
		CHECK_ERR(0, -err, "a PRESERVE_FD waits in a userfaultfd fault on its argument");
		/* vmtest_init reboots now: this must not wait for the ioctl. */
		return end_stage(0);
	}

	sfd = retrieve("stall");
	if (sfd < 0)
		return end_stage(1);
	fd = check_file(sfd, 1, 1, 500);
	close(fd);
	check_finish(sfd, "FINISH");
	close(sfd);
	return end_stage(1);
}

/*
 * Corrupted LUO state: stage 1 preserves a file, then damages the outgoing
 * LUO blob through the test handler's "corrupt" file; stage 2 must boot,
 * log one line, refuse /dev/liveupdate with EIO (every time), and keep
 * working.
 */
static int variant_corrupt(int stage, const char *what, const char *log_line)
{
	char path[] = "/sys/kernel/debug/liveupdate_test/corrupt";
	int sfd, fd;

	if (stage == 1) {
		sfd = create("kx-corrupt");
		preserve_new(sfd, 1, 1, 1000);
		sfd = create("kx-corrupt-2");
		preserve_new(sfd, 2, 2, 200);
		CHECK_ERR(0, vmtest_write_file(path, what),
			  "corrupt the outgoing LUO blob");
		return end_stage(0);
	}

	CHECK_ERR(-EIO, luo_open_device(), "open /dev/liveupdate");
	CHECK_ERR(-EIO, luo_open_device(), "open /dev/liveupdate again");
	CHECK(vmtest_kmsg_has(log_line), "kernel log says: %s", log_line);
	/* The system keeps working: files and memory as usual. */
	fd = memfd_create("after", 0);
	CHECK(fd >= 0 && write(fd, "x", 1) == 1, "memfd after the failed revival");
	return end_stage(1);
}

static int variant_corrupt_version(int stage)
{
	return variant_corrupt(stage, "version",
			       "incoming state is \"luo-v0\", not \"luo-v5\"");
}

static int variant_corrupt_pointer(int stage)
{
	return variant_corrupt(stage, "pointer",
			       "incoming state is unusable");
}

static int variant_corrupt_short(int stage)
{
	return variant_corrupt(stage, "short", "incoming state is unusable");
}

static int variant_corrupt_session_chain(int stage)
{
	return variant_corrupt(stage, "session-chain",
			       "incoming session chain is corrupted");
}

static int variant_corrupt_file_chain(int stage)
{
	return variant_corrupt(stage, "file-chain",
			       "incoming session 'kx-corrupt': -");
}

static int variant_corrupt_handler(int stage)
{
	return variant_corrupt(stage, "handler",
			       "no handler for 'liveupdate-test-unknown-v1'");
}

static int variant_corrupt_count(int stage)
{
	return variant_corrupt(stage, "count",
			       "incoming session 'kx-corrupt': -");
}

static int variant_corrupt_duplicate(int stage)
{
	return variant_corrupt(stage, "duplicate",
			       "incoming session 'kx-corrupt' is duplicated");
}

/* A memfd of @mib MiB, every byte written, preserved in @sfd as @token. */
static void preserve_memfd(int sfd, __u64 token, size_t mib)
{
	size_t len = mib << 20;
	int mfd = memfd_create("kx-memfd", 0);
	char *p;

	if (mfd < 0 || ftruncate(mfd, len))
		ksft_exit_fail_msg("memfd: %m\n");
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (p == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %m\n");
	memset(p, 0x5a, len);
	munmap(p, len);
	CHECK_ERR(0, luo_preserve_fd(sfd, mfd, token), "preserve a memfd");
	close(mfd);
}

/*
 * A damaged session between two sound ones: the first open fails with EIO,
 * the sound sessions ("kx-a": 64 MiB memfd and a test file; "kx-c", read
 * after the damaged one: 16 MiB memfd and a test file) are finished
 * through their handlers, so their memory is free again, while the damaged
 * one (its name now duplicates "kx-a"; 32 MiB memfd and a test file) stays
 * reserved. The FLBs the test files depend on are finished once, the
 * first only when a reference held on it across the failed open is put.
 */
static int variant_corrupt_discard(int stage)
{
	char path[] = "/sys/kernel/debug/liveupdate_test/corrupt";
	char hold[] = "/sys/kernel/debug/liveupdate_test/flb_hold";
	long before, after;
	const char *log;
	int sfd;

	if (stage == 1) {
		sfd = create("kx-a");
		preserve_memfd(sfd, 1, 64);
		preserve_new(sfd, 2, 2, 1000);
		sfd = create("kx-b");
		preserve_memfd(sfd, 1, 32);
		preserve_new(sfd, 2, 3, 1000);
		sfd = create("kx-c");
		preserve_memfd(sfd, 1, 16);
		preserve_new(sfd, 2, 4, 1000);
		CHECK_ERR(0, vmtest_write_file(path, "duplicate"),
			  "damage the second session at reboot");
		return end_stage(0);
	}

	CHECK_ERR(0, vmtest_write_file(hold, "1"),
		  "hold a reference on the incoming test FLB");
	before = vmtest_mem_free_kib();
	CHECK_ERR(-EIO, luo_open_device(), "open /dev/liveupdate");
	after = vmtest_mem_free_kib();
	ksft_print_msg("free memory %ld KiB before the first open, %ld KiB after\n",
		       before, after);
	CHECK(vmtest_kmsg_has("incoming session 'kx-a' is duplicated"),
	      "the log names the damaged session");
	CHECK(vmtest_kmsg_has("2 complete session(s) discarded"),
	      "the log says both sound sessions were discarded");
	CHECK(after - before >= 78 * 1024,
	      "the sound sessions' 64 and 16 MiB memfds are free again (+%ld KiB)",
	      after - before);
	CHECK(after - before < 96 * 1024,
	      "the damaged session's 32 MiB memfd stays reserved (+%ld KiB in all)",
	      after - before);
	log = log_or_empty();
	CHECK(finish_status(log, 2) == 0 && finish_status(log, 4) == 0 &&
	      finish_status(log, 3) == -100000,
	      "the sound test files finished (%d, %d), the damaged one not (%d)",
	      finish_status(log, 2), finish_status(log, 4),
	      finish_status(log, 3));
	CHECK(events_count(log, "flb-finish") == 0 &&
	      events_count(log, "flb2-finish") == 1,
	      "the held FLB is not finished yet, the other one is");
	CHECK_ERR(0, vmtest_write_file(hold, "0"), "put the FLB reference");
	log = log_or_empty();
	CHECK(events_count(log, "flb-finish") == 1 &&
	      events_count(log, "flb2-finish") == 1, "both FLBs finished once");
	CHECK_ERR(-EIO, luo_open_device(), "open /dev/liveupdate again");
	return end_stage(1);
}

/* ---- kexec-load ---- */

/* Load a one-page image with kexec_load(2), as kexec-tools does without -s. */
static int kexec_load_minimal(void)
{
	static unsigned char page[4096];
	struct kexec_segment seg = {
		.buf = page,
		.bufsz = sizeof(page),
		.mem = (void *)0x1000000UL,
		.memsz = sizeof(page),
	};

	memset(page, 0xf4, sizeof(page));	/* hlt */
	if (syscall(SYS_kexec_load, 0x1000000UL, 1UL, &seg,
		    (unsigned long)KEXEC_ARCH_DEFAULT))
		return -errno;
	return 0;
}

static int variant_kexec_load(int stage)
{
	const char *log;
	int sfd, ret;

	if (stage == 1) {
		sfd = create("kl");
		preserve_new(sfd, 1, 1, 100);
		ret = kexec_load_minimal();
		CHECK_ERR(0, ret, "kexec_load() of a one-page image");
		events_clear();
		CHECK_ERR(-EOPNOTSUPP, vmtest_kexec_reboot(),
			  "reboot(KEXEC) into it with a session open");
		CHECK(vmtest_kmsg_has("load it with kexec_file_load() (kexec -s)"),
		      "the log says to use kexec_file_load");
		log = log_or_empty();
		CHECK(!events_count_prefix(log, "freeze ") &&
		      !events_count_prefix(log, "unfreeze "),
		      "nothing was frozen");
		check_name(sfd, "kl");
		preserve_new(sfd, 2, 2, 200);
		CHECK_ERR(-EOPNOTSUPP, vmtest_kexec_reboot(), "and again");
		/* vmtest_init loads the image with kexec_file_load() and reboots. */
		return end_stage(0);
	}

	sfd = retrieve("kl");
	if (sfd < 0)
		return end_stage(1);
	close(check_file(sfd, 1, 1, 100));
	close(check_file(sfd, 2, 2, 200));
	check_finish(sfd, "FINISH kl");
	return end_stage(1);
}

/* ---- off ---- */

#define OFF_MEMFD_SIZE	(64UL << 20)

static int variant_off(int stage)
{
	char extra[64], val[32];
	long kib, before;
	const char *log;
	int sfd, ret;

	if (stage == 1) {
		sfd = create("off");
		preserve_memfd(sfd, 1, OFF_MEMFD_SIZE >> 20);
		preserve_new(sfd, 2, 2, 2000);
		ret = vmtest_kexec_load_args(2, "liveupdate=off");
		if (ret)
			die("kexec_file_load", ret);
		if (ksft_get_fail_cnt())
			ksft_exit_fail();
		fflush(stdout);
		/* The sessions are open: reboot() hands them over. */
		die("reboot", vmtest_kexec_reboot());
	}

	if (stage == 2) {
		CHECK(access(LUO_DEVICE, F_OK), "no %s with liveupdate=off", LUO_DEVICE);
		CHECK(!access(LUO_TEST_FILE, F_OK),
		      "the test handler registered to discard its files");
		CHECK(vmtest_kmsg_has("discarded 1 incoming session(s)"),
		      "the log says the session was discarded");
		log = log_or_empty();
		CHECK(finish_status(log, 2) == 0 && in_freed() == 1,
		      "test file finished unretrieved (%d), its page freed (%d)",
		      finish_status(log, 2), in_freed());
		CHECK(events_count(log, "flb-finish") == 1 &&
		      events_count(log, "flb2-finish") == 1, "both FLBs finished");
		kib = vmtest_mem_free_kib();
		ksft_print_msg("free memory after discarding 64 MiB: %ld KiB\n", kib);
		snprintf(extra, sizeof(extra), "vmtest.memfree=%ld", kib);
		ret = vmtest_kexec_load_args(3, extra);
		if (ret)
			die("kexec_file_load", ret);
		if (ksft_get_fail_cnt())
			ksft_exit_fail();
		fflush(stdout);
		die("reboot", vmtest_kexec_reboot());
	}

	/* Stage 3: the same kernel and command line, nothing preserved. */
	kib = vmtest_mem_free_kib();
	before = vmtest_cmdline_get("vmtest.memfree", val, sizeof(val)) > 0 ?
		 atol(val) : -1;
	ksft_print_msg("free memory: %ld KiB after discarding 64 MiB, %ld KiB %s\n",
		       before, kib, "with nothing preserved");
	CHECK(before > 0 && kib > 0 && labs(kib - before) < 16 * 1024,
	      "free memory comparable (%+ld KiB)", before - kib);
	return end_stage(1);
}

/* ---- flb-fault ---- */

static int set_flb_fault(const char *what)
{
	return vmtest_write_file(LUO_TEST_DIR "/flb_fault", what);
}

static int variant_flb_fault(int stage)
{
	int sfd, fd, out = -1, in = 1, p1, p2, u1;
	const char *log;

	if (stage == 1) {
		sfd = create("flbf");
		fd = tf_open(1);
		if (fd < 0 || tf_write_pattern(fd, 1, 100))
			ksft_exit_fail_msg("test file: %m\n");
		CHECK_ERR(0, set_flb_fault("2 preserve 67 1"), "second FLB: preserve fails once");
		events_clear();
		CHECK_ERR(-ENOLINK, luo_preserve_fd(sfd, fd, 1),
			  "PRESERVE_FD fails with the FLB's error");
		log = log_or_empty();
		p1 = events_find(log, "flb-preserve", -1);
		p2 = events_find(log, "flb2-preserve", p1);
		u1 = events_find(log, "flb-unpreserve", p2);
		CHECK(p1 >= 0 && p2 > p1 && u1 > p2 && !events_count(log, "preserve 1"),
		      "first FLB released, file handler not called");
		CHECK(!flb_read(&out, &in) && out == 0, "no outgoing FLB (%d)", out);
		events_clear();
		CHECK_ERR(0, luo_preserve_fd(sfd, fd, 1), "PRESERVE_FD again");
		log = log_or_empty();
		CHECK(events_count(log, "flb-preserve") == 1 &&
		      events_count(log, "flb2-preserve") == 1 &&
		      events_count(log, "preserve 1") == 1, "both FLBs and the file preserved");
		CHECK(!flb_read(&out, &in) && out == 1, "outgoing FLB (%d)", out);
		CHECK_ERR(0, set_flb_fault("1 retrieve 71 2"),
			  "first FLB: retrieve fails twice in the next kernel");
		close(fd);
		return end_stage(0);
	}

	events_clear();
	CHECK(!flb_read(&out, &in) && in == -EPROTO, "FLB retrieve fails (%d)", in);
	CHECK(!flb_read(&out, &in) && in == -EPROTO, "and again (%d)", in);
	CHECK(!flb_read(&out, &in) && in == 0, "then is retried and works (%d)", in);
	log = log_or_empty();
	CHECK(events_count(log, "flb-retrieve-fail") == 2 &&
	      events_count(log, "flb-retrieve") == 1, "retrieve called 3 times");
	sfd = retrieve("flbf");
	if (sfd < 0)
		return end_stage(1);
	close(check_file(sfd, 1, 1, 100));
	check_finish(sfd, "FINISH flbf");
	log = log_or_empty();
	CHECK(events_count(log, "flb-finish") == 1 && events_count(log, "flb2-finish") == 1,
	      "each FLB finished once");
	return end_stage(1);
}

/* ---- misc-fail, setup-fail: one boot in which LUO cannot start ---- */

static int variant_no_luo(int stage, const char *log_line)
{
	int out = -1, in = 0;

	if (stage != 1)
		ksft_exit_fail_msg("a one-boot variant in stage %d\n", stage);

	CHECK(access(LUO_DEVICE, F_OK), "no %s", LUO_DEVICE);
	CHECK(vmtest_kmsg_has(log_line), "kernel log says: %s", log_line);
	CHECK(access("/sys/kernel/debug/kho/out/sub_fdts/LUO", F_OK),
	      "no outgoing LUO subtree");
	CHECK(!flb_read(&out, &in) && in == -EOPNOTSUPP,
	      "LUO is off for its users (%d)", in);
	return end_stage(1);
}

static int variant_misc_fail(int stage)
{
	return variant_no_luo(stage, "disabled: cannot register /dev/liveupdate");
}

static int variant_setup_fail(int stage)
{
	return variant_no_luo(stage, "disabled: cannot set up the outgoing state");
}

/* ---- hugetlb-*: retrieve-twice, finish-unretrieved, chain on hugetlb ---- */

#define HP		(2UL << 20)
#define HUGE_POOL	16	/* hugepagesz=2M hugepages=16, in every kernel */

/*
 * The pool is @total pages, @free of them free. In a kernel after the
 * update, the boot pool (hugepages=) counts the pages still preserved:
 * they join it as they are retrieved or finished.
 */
static void huge_pool_is(long total, long free, const char *when)
{
	long t = luo_huge_pool("nr_hugepages"), f = luo_huge_pool("free_hugepages");

	CHECK(t == total && f == free, "%s: 2 MiB pool %ld, %ld free (want %ld, %ld)",
	      when, t, f, total, free);
}

/* A stage 1 without the pool cannot say anything: skip. */
static void huge_require_pool(void)
{
	long t = luo_huge_pool("nr_hugepages"), f = luo_huge_pool("free_hugepages");

	if (t != HUGE_POOL || f != HUGE_POOL)
		ksft_exit_skip("2 MiB pool %ld, %ld free: needs hugepagesz=2M hugepages=%d\n",
			       t, f, HUGE_POOL);
}

/* Word @i of the contents of the hugetlb file labelled @label. */
static __u64 huge_word(__u64 label, size_t i)
{
	__u64 x = (label + 1) * 0x9e3779b97f4a7c15ULL ^ i * 0xbf58476d1ce4e5b9ULL;

	return x ^ (x >> 29);
}

/* Preserve a new hugetlb memfd of @pages 2 MiB pages of pattern @label. */
static void huge_preserve_new(int sfd, __u64 token, __u64 label, unsigned int pages)
{
	size_t len = pages * HP, i;
	__u64 *map;
	int fd, ret;

	fd = memfd_create("luo-huge", MFD_CLOEXEC | MFD_HUGETLB | MFD_HUGE_2MB);
	if (fd < 0 || ftruncate(fd, len))
		die("hugetlb memfd", -errno);
	map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		die("mmap hugetlb memfd", -errno);
	for (i = 0; i < len / 8; i++)
		map[i] = huge_word(label, i);
	munmap(map, len);
	ret = luo_preserve_fd(sfd, fd, token);
	if (ret)
		die("preserve hugetlb memfd", ret);
	close(fd);
}

/*
 * Whether @fd is a hugetlb memfd of @pages 2 MiB pages (fstatfs f_bsize,
 * st_blksize) holding pattern @label, byte for byte.
 */
static bool huge_same(int fd, __u64 label, unsigned int pages)
{
	size_t len = pages * HP, i;
	const __u64 *map;
	struct statfs sf;
	struct stat st;

	if (fstatfs(fd, &sf) || fstat(fd, &st) || sf.f_type != HUGETLBFS_MAGIC ||
	    sf.f_bsize != (long)HP || st.st_blksize != (blksize_t)HP ||
	    st.st_size != (off_t)len)
		return false;
	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		return false;
	for (i = 0; i < len / 8 && map[i] == huge_word(label, i); i++)
		;
	munmap((void *)map, len);
	return i == len / 8;
}

/* Retrieve @token, a hugetlb memfd; check it as huge_same(). */
static int huge_check_file(int sfd, __u64 token, __u64 label, unsigned int pages)
{
	int fd = luo_retrieve_fd(sfd, token);

	if (fd < 0) {
		CHECK(0, "retrieve token %llu: %s", (unsigned long long)token,
		      strerror(-fd));
		return fd;
	}
	CHECK(huge_same(fd, label, pages) && (fcntl(fd, F_GETFD) & FD_CLOEXEC),
	      "token %llu: hugetlb memfd of %u 2 MiB page(s), contents %llu byte for byte, cloexec",
	      (unsigned long long)token, pages, (unsigned long long)label);
	return fd;
}

static int variant_hugetlb_retrieve_twice(int stage)
{
	struct stat a, b;
	int sfd, fd1, fd2;

	if (stage == 1) {
		huge_require_pool();
		sfd = create("hrt");
		huge_preserve_new(sfd, 1, 1, 2);
		huge_pool_is(HUGE_POOL, HUGE_POOL - 2, "preserved");
		return end_stage(0);
	}

	huge_pool_is(HUGE_POOL - 2, HUGE_POOL - 2, "boot pool beside the 2 preserved pages");
	sfd = retrieve("hrt");
	if (sfd < 0)
		return end_stage(1);
	fd1 = huge_check_file(sfd, 1, 1, 2);
	fd2 = luo_retrieve_fd(sfd, 1);
	CHECK(fd1 >= 0 && fd2 >= 0 && fd1 != fd2, "two RETRIEVE_FDs (%d, %d)", fd1, fd2);
	if (fd1 < 0 || fd2 < 0)
		return end_stage(1);
	CHECK(!fstat(fd1, &a) && !fstat(fd2, &b) && a.st_ino == b.st_ino &&
	      a.st_dev == b.st_dev, "same inode (%lu, %lu)", a.st_ino, b.st_ino);
	lseek(fd1, 123, SEEK_SET);
	CHECK(lseek(fd2, 0, SEEK_CUR) == 123, "shared file offset");
	huge_pool_is(HUGE_POOL, HUGE_POOL - 2, "retrieved: its pages in the pool, in use");
	check_finish(sfd, "FINISH");
	CHECK(huge_same(fd2, 1, 2), "contents after FINISH");
	close(fd1);
	huge_pool_is(HUGE_POOL, HUGE_POOL - 2, "one fd closed");
	close(fd2);
	close(sfd);
	huge_pool_is(HUGE_POOL, HUGE_POOL, "closed: every page free");
	return end_stage(1);
}

static int variant_hugetlb_finish_unretrieved(int stage)
{
	int sfd;

	if (stage == 1) {
		huge_require_pool();
		sfd = create("hfu");
		huge_preserve_new(sfd, 1, 1, 1);
		huge_preserve_new(sfd, 2, 2, 2);
		huge_preserve_new(sfd, 3, 3, 1);
		huge_pool_is(HUGE_POOL, HUGE_POOL - 4, "preserved");
		return end_stage(0);
	}

	huge_pool_is(HUGE_POOL - 4, HUGE_POOL - 4, "boot pool beside the 4 preserved pages");
	sfd = retrieve("hfu");
	if (sfd < 0)
		return end_stage(1);
	check_finish(sfd, "FINISH without RETRIEVE_FD");
	huge_pool_is(HUGE_POOL, HUGE_POOL, "finished: the 4 pages join the pool, free");
	CHECK_ERR(-ENOENT, luo_retrieve_fd(sfd, 1), "RETRIEVE_FD after FINISH");
	close(sfd);
	huge_pool_is(HUGE_POOL, HUGE_POOL, "session closed");
	return end_stage(1);
}

static int variant_hugetlb_chain(int stage)
{
	int sfd, fd, out_sfd, ret;

	if (stage == 1) {
		huge_require_pool();
		sfd = create("keep");
		huge_preserve_new(sfd, 1, 1, 2);
		sfd = create("drop");
		huge_preserve_new(sfd, 1, 2, 1);
		huge_pool_is(HUGE_POOL, HUGE_POOL - 3, "preserved");
		return end_stage(0);
	}
	if (stage == 2) {
		huge_pool_is(HUGE_POOL - 3, HUGE_POOL - 3,
			     "boot pool beside the 3 preserved pages");
		sfd = retrieve("keep");
		if (sfd < 0)
			return end_stage(1);
		fd = huge_check_file(sfd, 1, 1, 2);
		huge_pool_is(HUGE_POOL - 1, HUGE_POOL - 3, "keep retrieved");
		out_sfd = create("keep");
		ret = luo_preserve_fd(out_sfd, fd, 9);
		CHECK_ERR(-EBUSY, ret, "preserve a retrieved, unfinished file");
		check_finish(sfd, "FINISH");
		CHECK_ERR(0, luo_preserve_fd(out_sfd, fd, 9), "preserve it again after FINISH");
		huge_pool_is(HUGE_POOL - 1, HUGE_POOL - 3, "keep preserved again");
		close(fd);
		close(sfd);
		/* "drop" is never retrieved. */
		return end_stage(0);
	}

	huge_pool_is(HUGE_POOL - 2, HUGE_POOL - 2, "boot pool beside the 2 preserved pages");
	CHECK_ERR(-ENOENT, luo_retrieve_session(dev, "drop"),
		  "session not retrieved in stage 2 is gone");
	sfd = retrieve("keep");
	if (sfd < 0)
		return end_stage(1);
	fd = huge_check_file(sfd, 9, 1, 2);
	check_finish(sfd, "FINISH keep");
	huge_pool_is(HUGE_POOL, HUGE_POOL - 2, "keep retrieved");
	close(fd);
	close(sfd);
	huge_pool_is(HUGE_POOL, HUGE_POOL, "closed: every page free");
	return end_stage(1);
}

static const struct {
	const char *name;
	int (*fn)(int stage);
	int stages;
} variants[] = {
	{ "simple", variant_simple, 2 },
	{ "sessions", variant_sessions, 2 },
	{ "many-sessions", variant_many_sessions, 2 },
	{ "many-files", variant_many_files, 2 },
	{ "scale", variant_scale, 2 },
	{ "retrieve-twice", variant_retrieve_twice, 2 },
	{ "finish-unretrieved", variant_finish_unretrieved, 2 },
	{ "chain", variant_chain, 3 },
	{ "freeze-fail", variant_freeze_fail, 2 },
	{ "retrieve-fail", variant_retrieve_fail, 2 },
	{ "can-finish", variant_can_finish, 2 },
	{ "dep", variant_dep, 2 },
	{ "corrupt-version", variant_corrupt_version, 2 },
	{ "corrupt-pointer", variant_corrupt_pointer, 2 },
	{ "corrupt-short", variant_corrupt_short, 2 },
	{ "corrupt-session-chain", variant_corrupt_session_chain, 2 },
	{ "corrupt-file-chain", variant_corrupt_file_chain, 2 },
	{ "corrupt-handler", variant_corrupt_handler, 2 },
	{ "corrupt-count", variant_corrupt_count, 2 },
	{ "corrupt-duplicate", variant_corrupt_duplicate, 2 },
	{ "corrupt-discard", variant_corrupt_discard, 2 },
	{ "kexec-load", variant_kexec_load, 2 },
	{ "off", variant_off, 3 },
	{ "flb-fault", variant_flb_fault, 2 },
	{ "misc-fail", variant_misc_fail, 1 },
	{ "setup-fail", variant_setup_fail, 1 },
	{ "reply-fail", variant_reply_fail, 2 },
	{ "dep-deep", variant_dep_deep, 2 },
	{ "uffd-stall", variant_uffd_stall, 2 },
	{ "hugetlb-retrieve-twice", variant_hugetlb_retrieve_twice, 2 },
	{ "hugetlb-finish-unretrieved", variant_hugetlb_finish_unretrieved, 2 },
	{ "hugetlb-chain", variant_hugetlb_chain, 3 },
};

/* Whether this variant runs in this stage without /dev/liveupdate. */
static int without_device(const char *variant, int stage)
{
	return (!strcmp(variant, "off") && stage > 1) ||
	       !strcmp(variant, "misc-fail") || !strcmp(variant, "setup-fail");
}

int main(void)
{
	char variant[64] = "simple";
	int stage = vmtest_stage();
	size_t i;

	vmtest_cmdline_get("vmtest.variant", variant, sizeof(variant));
	ksft_print_header();
	if (access(LUO_DEVICE, F_OK) && !without_device(variant, stage))
		ksft_exit_skip("no %s (LIVEUPDATE, liveupdate=on)\n", LUO_DEVICE);
	/*
	 * "off" checks the handler itself in stage 2 (a missing handler is a
	 * failure there), and stage 3 runs without LUO: nothing was handed over.
	 */
	if (access(LUO_TEST_FILE, F_OK) && !(!strcmp(variant, "off") && stage > 1))
		ksft_exit_skip("no %s (LIVEUPDATE_TEST)\n", LUO_TEST_FILE);

	for (i = 0; i < ARRAY_SIZE(variants); i++) {
		if (strcmp(variant, variants[i].name))
			continue;
		if (stage < 1 || stage > variants[i].stages)
			ksft_exit_fail_msg("unexpected stage %d\n", stage);
		ksft_print_msg("variant %s, stage %d\n", variant, stage);
		/* The corrupt variants open the device themselves. */
		if ((strncmp(variant, "corrupt-", 8) || stage == 1) &&
		    !without_device(variant, stage)) {
			dev = luo_open_device();
			if (dev < 0)
				die(LUO_DEVICE, dev);
		}
		/* The first stage sees a cold boot. */
		if (stage == 1 && dev >= 0)
			CHECK_ERR(-ENOENT, luo_retrieve_session(dev, "kx-simple"),
				  "nothing incoming on the first boot");
		return variants[i].fn(stage);
	}
	ksft_exit_fail_msg("unknown variant %s\n", variant);
}
