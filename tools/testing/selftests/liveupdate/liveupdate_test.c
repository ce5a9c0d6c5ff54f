// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/liveupdate and session-fd API within one boot: every errno of
 * the uapi, session identity, capacity, and the file handler lifecycle.
 * The lifecycle tests of the luo_file fixture run once per kind of file:
 * the test handler's (CONFIG_LIVEUPDATE_TEST, luo_test_file.h), a memfd,
 * an unlinked tmpfs file (CONFIG_LIVEUPDATE_MEMFD) and a hugetlb memfd of
 * 2 MiB pages (CONFIG_LIVEUPDATE_HUGETLB); dependencies, faults on request
 * and the FLB need the test handler.
 *
 * Runs in the test VM with "kho=on liveupdate=on" and a pool of 2 MiB
 * pages (vmtests.list); skips if /dev/liveupdate does not exist. Tests
 * that need the test handler skip without it, the hugetlb ones without a
 * free pool of HUGE_POOL_NEEDED pages.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/memfd.h>

#include "../kselftest_harness.h"
#include "luo_test_utils.h"
#include "vmtest.h"

#ifndef LUO_SESSION_MAGIC
#define LUO_SESSION_MAGIC	0x4c55534e	/* "LUSN" */
#endif

#define NAME_LEN		LIVEUPDATE_SESSION_NAME_LENGTH
#define MANY_SESSIONS		2000
#define MANY_FILES		500
/*
 * Each hugetlb file holds one 2 MiB page: fewer of them, within the pool
 * of 64 pages of vmtests.list (and of the distro VM).
 */
#define MANY_HUGETLB_FILES	56
#define HUGE_PAGE		(2UL << 20)
#define HUGE_POOL_NEEDED	64

/* Exec-sealed without exec permission, yet with every write seal. */
#define HUGE_BAD_SEALS		(F_SEAL_EXEC | F_SEAL_SHRINK | F_SEAL_GROW | \
				 F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)

#define NR_SFD			4
#define NR_FDS			8

FIXTURE(luo) {
	int dev;
	int sfd[NR_SFD];
	int fds[NR_FDS];
};

/* Setup and teardown of both fixtures: the device open, no other fd. */
static int open_fixture_fds(int *sfd, int *fds)
{
	int i;

	for (i = 0; i < NR_SFD; i++)
		sfd[i] = -1;
	for (i = 0; i < NR_FDS; i++)
		fds[i] = -1;
	return luo_open_device();
}

static void close_fixture_fds(int dev, int *sfd, int *fds)
{
	int i;

	for (i = 0; i < NR_FDS; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	for (i = 0; i < NR_SFD; i++)
		if (sfd[i] >= 0)
			close(sfd[i]);
	if (dev >= 0)
		close(dev);
}

FIXTURE_SETUP(luo)
{
	self->dev = open_fixture_fds(self->sfd, self->fds);
	if (self->dev == -ENOENT)
		SKIP(return, "no %s (LIVEUPDATE, liveupdate=on)", LUO_DEVICE);
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", LUO_DEVICE, strerror(-self->dev));
}

FIXTURE_TEARDOWN(luo)
{
	close_fixture_fds(self->dev, self->sfd, self->fds);
}

static bool no_test_handler(void)
{
	return access(LUO_TEST_FILE, F_OK);
}

static int nr_lines_with(const char *log, const char *prefix)
{
	return log ? events_count_prefix(log, prefix) : -1;
}

/*
 * A copy of @len bytes of @arg in a page of its own that is read-only: an
 * ioctl can read its argument from it but not write its reply. NULL on
 * error; free with munmap(p, 4096).
 */
static void *ro_arg(const void *arg, size_t len)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memcpy(p, arg, len);
	if (mprotect(p, 4096, PROT_READ)) {
		munmap(p, 4096);
		return NULL;
	}
	return p;
}

/* The lowest free fd number; with RLIMIT_NOFILE at it, no fd can be made. */
static int lowest_free_fd(void)
{
	int fd = open("/", O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* Only one opener of /dev/liveupdate at a time; closing frees the slot. */
TEST_F(luo, device_second_open_ebusy)
{
	ASSERT_EQ(-EBUSY, luo_open_device());
	close(self->dev);
	self->dev = luo_open_device();
	ASSERT_LE(0, self->dev);
}

/* An unprivileged process cannot open the device (mode 0600 root). */
TEST_F(luo, device_unprivileged_eacces)
{
	int status;
	pid_t pid;

	/* With the device closed, EBUSY cannot hide EACCES. */
	close(self->dev);
	self->dev = -1;
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(2);
		_exit(luo_open_device() == -EACCES ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("child opened it, or got another errno");
}

/* Sessions outlive the device fd they were created through. */
TEST_F(luo, session_survives_device_close)
{
	char name[NAME_LEN];

	self->sfd[0] = luo_create_session(self->dev, "survivor");
	ASSERT_LE(0, self->sfd[0]);
	close(self->dev);
	self->dev = -1;
	ASSERT_EQ(0, luo_get_name(self->sfd[0], name));
	EXPECT_STREQ("survivor", name);
	self->dev = luo_open_device();
	ASSERT_LE(0, self->dev);
	EXPECT_EQ(-EEXIST, luo_create_session(self->dev, "survivor"));
}

/* Outgoing session names are unique; a closed session's name is free again. */
TEST_F(luo, create_duplicate_name_eexist)
{
	self->sfd[0] = luo_create_session(self->dev, "dup");
	ASSERT_LE(0, self->sfd[0]);
	EXPECT_EQ(-EEXIST, luo_create_session(self->dev, "dup"));
	close(self->sfd[0]);
	self->sfd[0] = luo_create_session(self->dev, "dup");
	EXPECT_LE(0, self->sfd[0]);
}

/* An empty name is rejected. */
TEST_F(luo, create_empty_name_einval)
{
	EXPECT_EQ(-EINVAL, luo_create_session(self->dev, ""));
}

/* A name without a NUL in its 64 bytes is rejected. */
TEST_F(luo, create_unterminated_name_einval)
{
	struct liveupdate_ioctl_create_session arg = { .size = sizeof(arg) };

	memset(arg.name, 'x', sizeof(arg.name));
	EXPECT_EQ(-1, ioctl(self->dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &arg));
	EXPECT_EQ(EINVAL, errno);
}

/* A 63-character name is the longest; GET_NAME returns it whole. */
TEST_F(luo, get_name_63_chars)
{
	char name[NAME_LEN], got[NAME_LEN];

	memset(name, 'n', 63);
	name[63] = '\0';
	self->sfd[0] = luo_create_session(self->dev, name);
	ASSERT_LE(0, self->sfd[0]);
	memset(got, 0x55, sizeof(got));
	ASSERT_EQ(0, luo_get_name(self->sfd[0], got));
	EXPECT_EQ(0, memcmp(name, got, NAME_LEN));
}

/* GET_NAME zero-pads the name and rejects a non-zero reserved field. */
TEST_F(luo, get_name_padding_and_reserved)
{
	struct liveupdate_session_get_name arg = { .size = sizeof(arg) };
	int i;

	self->sfd[0] = luo_create_session(self->dev, "short");
	ASSERT_LE(0, self->sfd[0]);
	/* Input bytes of name are ignored: the kernel's struct is 72 bytes. */
	memset(arg.name, 0x55, sizeof(arg.name));
	ASSERT_EQ(0, ioctl(self->sfd[0], LIVEUPDATE_SESSION_GET_NAME, &arg));
	EXPECT_STREQ("short", (char *)arg.name);
	for (i = 5; i < NAME_LEN; i++)
		ASSERT_EQ(0, arg.name[i]) TH_LOG("byte %d not zero", i);
	arg.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->sfd[0], LIVEUPDATE_SESSION_GET_NAME, &arg));
	EXPECT_EQ(EINVAL, errno);
}

/* A struct smaller than the last mandatory field is EINVAL. */
TEST_F(luo, undersized_struct_einval)
{
	struct liveupdate_ioctl_create_session c = { .size = sizeof(c) - 1 };
	struct liveupdate_session_preserve_fd p = { .size = 15, .fd = 0 };
	struct liveupdate_session_get_name g = { .size = 71 };

	snprintf((char *)c.name, sizeof(c.name), "small");
	EXPECT_EQ(-1, ioctl(self->dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &c));
	EXPECT_EQ(EINVAL, errno);
	c.size = 0;
	EXPECT_EQ(-1, ioctl(self->dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &c));
	EXPECT_EQ(EINVAL, errno);

	self->sfd[0] = luo_create_session(self->dev, "small");
	ASSERT_LE(0, self->sfd[0]);
	EXPECT_EQ(-1, ioctl(self->sfd[0], LIVEUPDATE_SESSION_PRESERVE_FD, &p));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->sfd[0], LIVEUPDATE_SESSION_GET_NAME, &g));
	EXPECT_EQ(EINVAL, errno);
}

/* A larger struct must have an all-zero tail: else E2BIG. */
TEST_F(luo, oversized_struct_tail_e2big)
{
	struct {
		struct liveupdate_ioctl_create_session s;
		unsigned char tail[16];
	} arg;

	memset(&arg, 0, sizeof(arg));
	arg.s.size = sizeof(arg);
	snprintf((char *)arg.s.name, sizeof(arg.s.name), "big");
	arg.tail[7] = 1;
	EXPECT_EQ(-1, ioctl(self->dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &arg));
	EXPECT_EQ(E2BIG, errno);

	arg.tail[7] = 0;
	ASSERT_EQ(0, ioctl(self->dev, LIVEUPDATE_IOCTL_CREATE_SESSION, &arg));
	self->sfd[0] = arg.s.fd;
	EXPECT_LE(0, self->sfd[0]);
}

/* An in-range command with direction or size bits is ENOTTY. */
TEST_F(luo, wrong_ioctl_number_enotty)
{
	struct liveupdate_ioctl_create_session c = { .size = sizeof(c) };
	struct liveupdate_session_get_name g = { .size = sizeof(g) };

	snprintf((char *)c.name, sizeof(c.name), "enotty");
	EXPECT_EQ(-1, ioctl(self->dev, _IOWR(LIVEUPDATE_IOCTL_TYPE,
					     LIVEUPDATE_CMD_CREATE_SESSION, c), &c));
	EXPECT_EQ(ENOTTY, errno);
	self->sfd[0] = luo_create_session(self->dev, "enotty");
	ASSERT_LE(0, self->sfd[0]);
	EXPECT_EQ(-1, ioctl(self->sfd[0], _IOR(LIVEUPDATE_IOCTL_TYPE,
					       LIVEUPDATE_CMD_SESSION_GET_NAME, g), &g));
	EXPECT_EQ(ENOTTY, errno);
}

/* A command number outside the table is EINVAL (as mainline), not ENOTTY. */
TEST_F(luo, out_of_range_cmd_einval)
{
	char buf[128] = { 0 };

	*(__u32 *)buf = sizeof(buf);
	EXPECT_EQ(-1, ioctl(self->dev, _IO(LIVEUPDATE_IOCTL_TYPE, 0x02), buf));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->dev, _IO(LIVEUPDATE_IOCTL_TYPE,
					   LIVEUPDATE_CMD_SESSION_BASE), buf));
	EXPECT_EQ(EINVAL, errno);

	self->sfd[0] = luo_create_session(self->dev, "range");
	ASSERT_LE(0, self->sfd[0]);
	EXPECT_EQ(-1, ioctl(self->sfd[0], _IO(LIVEUPDATE_IOCTL_TYPE, 0x44), buf));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->sfd[0], _IO(LIVEUPDATE_IOCTL_TYPE, 0x00), buf));
	EXPECT_EQ(EINVAL, errno);
}

/* RETRIEVE_FD and FINISH apply to incoming sessions only. */
TEST_F(luo, incoming_ops_on_outgoing_einval)
{
	self->sfd[0] = luo_create_session(self->dev, "outgoing");
	ASSERT_LE(0, self->sfd[0]);
	EXPECT_EQ(-EINVAL, luo_retrieve_fd(self->sfd[0], 1));
	EXPECT_EQ(-EINVAL, luo_finish(self->sfd[0]));
}

/* On a cold boot there is nothing to retrieve. */
TEST_F(luo, retrieve_session_first_boot_enoent)
{
	self->sfd[0] = luo_create_session(self->dev, "outgoing-only");
	ASSERT_LE(0, self->sfd[0]);
	EXPECT_EQ(-ENOENT, luo_retrieve_session(self->dev, "outgoing-only"));
	EXPECT_EQ(-ENOENT, luo_retrieve_session(self->dev, "anything"));
}

/* Session fds are close-on-exec. */
TEST_F(luo, session_fd_cloexec)
{
	self->sfd[0] = luo_create_session(self->dev, "cloexec");
	ASSERT_LE(0, self->sfd[0]);
	EXPECT_EQ(FD_CLOEXEC, fcntl(self->sfd[0], F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(O_RDWR, fcntl(self->sfd[0], F_GETFL) & O_ACCMODE);
}

/* fstatfs() on a session fd reports LUO_SESSION_MAGIC. */
TEST_F(luo, session_fstatfs_magic)
{
	struct statfs sfs;

	self->sfd[0] = luo_create_session(self->dev, "magic");
	ASSERT_LE(0, self->sfd[0]);
	ASSERT_EQ(0, fstatfs(self->sfd[0], &sfs));
	EXPECT_EQ((unsigned long)LUO_SESSION_MAGIC, (unsigned long)sfs.f_type);
}

/* Each session has its own inode; a dup'd fd has the same one. */
TEST_F(luo, session_inode_identity)
{
	struct stat a, b, c;

	self->sfd[0] = luo_create_session(self->dev, "ino-a");
	self->sfd[1] = luo_create_session(self->dev, "ino-b");
	ASSERT_LE(0, self->sfd[0]);
	ASSERT_LE(0, self->sfd[1]);
	self->sfd[2] = dup(self->sfd[0]);
	ASSERT_LE(0, self->sfd[2]);
	ASSERT_EQ(0, fstat(self->sfd[0], &a));
	ASSERT_EQ(0, fstat(self->sfd[1], &b));
	ASSERT_EQ(0, fstat(self->sfd[2], &c));
	EXPECT_NE(a.st_ino, b.st_ino);
	EXPECT_EQ(a.st_dev, b.st_dev);
	EXPECT_EQ(a.st_ino, c.st_ino);
	EXPECT_EQ(a.st_dev, c.st_dev);
}

/* /proc/self/fd/N of a session names it. */
TEST_F(luo, session_proc_fd_link)
{
	char path[64], link[256];
	ssize_t n;

	self->sfd[0] = luo_create_session(self->dev, "proc-name");
	ASSERT_LE(0, self->sfd[0]);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", self->sfd[0]);
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_LT(0, n);
	link[n] = '\0';
	EXPECT_STREQ("[luo_session] proc-name", link);
}

/* At least 2000 sessions can exist at once, each with its name. */
TEST_F_TIMEOUT(luo, many_sessions, 300)
{
	char name[NAME_LEN], got[NAME_LEN];
	int *fds, i, ok = 1;

	ASSERT_EQ(0, raise_nofile(MANY_SESSIONS + 64));
	fds = calloc(MANY_SESSIONS, sizeof(*fds));
	ASSERT_NE(NULL, fds);
	for (i = 0; i < MANY_SESSIONS && ok; i++) {
		snprintf(name, sizeof(name), "many-%04d", i);
		fds[i] = luo_create_session(self->dev, name);
		if (fds[i] < 0) {
			TH_LOG("session %d: %s", i, strerror(-fds[i]));
			ok = 0;
		}
	}
	for (i = 0; i < MANY_SESSIONS && ok; i++) {
		snprintf(name, sizeof(name), "many-%04d", i);
		if (luo_get_name(fds[i], got) || strcmp(name, got)) {
			TH_LOG("session %d: wrong name %s", i, got);
			ok = 0;
		}
	}
	for (i = 0; i < MANY_SESSIONS; i++)
		if (fds[i] > 0)
			close(fds[i]);
	free(fds);
	EXPECT_TRUE(ok);
}

#define CG_ROOT		"/tmp/luo-cgroup"
#define CG_META		CG_ROOT "/luo-metadata"
#define CHARGED_SESSIONS	2000
#define CHARGED_FILES		2000

/*
 * Bytes of slab objects charged to the cgroup (memory.stat "slab"): by the
 * object, where memory.current moves by batches of pages charged ahead.
 */
static long cg_slab(void)
{
	char buf[4096], *p;

	if (vmtest_read_file(CG_META "/memory.stat", buf, sizeof(buf)) <= 0)
		return -1;
	p = strstr(buf, "\nslab ");
	return p ? strtol(p + 6, NULL, 10) : -1;
}

/*
 * In a child in its own memory cgroup: create sessions, then preserve test
 * files in one of them, and report how much memory.current grew with each,
 * in KiB, through @pipefd (two longs; -1 for an error).
 */
static void charged_child(int dev, int pipefd)
{
	long res[2] = { -1, -1 }, before;
	int *fds, i, sfd = -1;

	fds = calloc(CHARGED_SESSIONS + CHARGED_FILES, sizeof(*fds));
	i = fds ? vmtest_write_file(CG_META "/cgroup.procs", "0") : -ENOMEM;
	if (!i)
		i = raise_nofile(CHARGED_SESSIONS + CHARGED_FILES + 64);
	if (i) {
		printf("# joining the cgroup: %s\n", strerror(-i));
		goto out;
	}
	before = cg_slab();
	for (i = 0; i < CHARGED_SESSIONS; i++) {
		char name[NAME_LEN];

		snprintf(name, sizeof(name), "charged-%04d", i);
		fds[i] = luo_create_session(dev, name);
		if (fds[i] < 0) {
			printf("# session %d: %s\n", i, strerror(-fds[i]));
			goto out;
		}
	}
	res[0] = (cg_slab() - before) / 1024;
	sfd = fds[0];
	/* Open the files first: only what PRESERVE_FD allocates counts. */
	for (i = 0; i < CHARGED_FILES; i++) {
		fds[CHARGED_SESSIONS + i] = tf_open(i);
		if (fds[CHARGED_SESSIONS + i] < 0) {
			printf("# test file %d: %s\n", i, strerror(-fds[CHARGED_SESSIONS + i]));
			goto out;
		}
	}
	before = cg_slab();
	for (i = 0; i < CHARGED_FILES; i++) {
		int err = luo_preserve_fd(sfd, fds[CHARGED_SESSIONS + i], i + 1);

		if (err) {
			printf("# preserve %d: %s\n", i, strerror(-err));
			goto out;
		}
	}
	res[1] = (cg_slab() - before) / 1024;
out:
	fflush(stdout);
	if (write(pipefd, res, sizeof(res)) != sizeof(res))
		_exit(1);
	_exit(0);
}

/*
 * Session metadata is charged to the memory cgroup of the task that
 * creates it (the session, its file and inode): at least 256 bytes of slab
 * objects per session must show in the cgroup's memory.stat, and exiting
 * gives most of it back (what stays is cached dentries and inodes, and
 * slab pages shared with other objects). The per-file state of PRESERVE_FD
 * is charged too (GFP_KERNEL_ACCOUNT), but 2000 files' worth stays below
 * the batch in which memory.stat is brought up to date, so its figure is
 * only logged.
 */
TEST_F_TIMEOUT(luo, metadata_charged_to_memcg, 300)
{
	long res[2] = { -1, -1 }, after;
	int pipefd[2], status;
	char buf[256];
	pid_t pid;

	if (no_test_handler())
		SKIP(return, "no test file handler (CONFIG_LIVEUPDATE_TEST)");
	mkdir(CG_ROOT, 0755);
	if (mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL) && errno != EBUSY)
		SKIP(return, "cannot mount cgroup2: %s", strerror(errno));
	if (vmtest_read_file(CG_ROOT "/cgroup.controllers", buf, sizeof(buf)) <= 0 ||
	    !strstr(buf, "memory"))
		SKIP(return, "no memory controller (CONFIG_MEMCG)");
	ASSERT_EQ(0, vmtest_write_file(CG_ROOT "/cgroup.subtree_control", "+memory"));
	ASSERT_EQ(0, mkdir(CG_META, 0755));
	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		charged_child(self->dev, pipefd[1]);
	ASSERT_EQ((ssize_t)sizeof(res), read(pipefd[0], res, sizeof(res)));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	after = cg_slab();
	TH_LOG("slab: %d sessions +%ld KiB, %d preserved files +%ld KiB, after exit %ld KiB",
	       CHARGED_SESSIONS, res[0], CHARGED_FILES, res[1], after / 1024);
	EXPECT_LE(CHARGED_SESSIONS * 256 / 1024, res[0]);
	EXPECT_LE(0, res[1]);
	EXPECT_GT(res[0] + res[1], after / 1024);
	rmdir(CG_META);
	umount(CG_ROOT);
	rmdir(CG_ROOT);
}

/*
 * A CREATE_SESSION whose reply cannot be written (EFAULT) or that gets no
 * fd (EMFILE) creates nothing: no fd, and the name is still free.
 */
TEST_F(luo, create_session_reply_fail_leaves_nothing)
{
	struct liveupdate_ioctl_create_session arg = { .size = sizeof(arg) };
	struct rlimit old, rl;
	int free_fd;
	void *ro;

	snprintf((char *)arg.name, sizeof(arg.name), "reply-fail");
	ro = ro_arg(&arg, sizeof(arg));
	ASSERT_NE(NULL, ro);
	free_fd = lowest_free_fd();
	EXPECT_EQ(-1, ioctl(self->dev, LIVEUPDATE_IOCTL_CREATE_SESSION, ro));
	EXPECT_EQ(EFAULT, errno);
	munmap(ro, 4096);
	EXPECT_EQ(free_fd, lowest_free_fd()) TH_LOG("an fd leaked");

	ASSERT_EQ(0, getrlimit(RLIMIT_NOFILE, &old));
	rl = old;
	rl.rlim_cur = free_fd;
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &rl));
	EXPECT_EQ(-EMFILE, luo_create_session(self->dev, "reply-fail"));
	ASSERT_EQ(0, setrlimit(RLIMIT_NOFILE, &old));

	self->sfd[0] = luo_create_session(self->dev, "reply-fail");
	EXPECT_LE(0, self->sfd[0]) TH_LOG("the name is taken: %s", strerror(-self->sfd[0]));
}

/*
 * Session inode numbers come from a counter of their own: two sessions
 * made in a row differ by one, even with other pseudo files (a pipe, a
 * memfd) made in between.
 */
TEST_F(luo, session_ino_private_counter)
{
	struct stat a, b;
	int pipefd[2];

	self->sfd[0] = luo_create_session(self->dev, "ino-1");
	ASSERT_LE(0, self->sfd[0]);
	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	self->fds[0] = pipefd[0];
	self->fds[1] = pipefd[1];
	self->fds[2] = memfd_create("ino", MFD_CLOEXEC);
	ASSERT_LE(0, self->fds[2]);
	self->sfd[1] = luo_create_session(self->dev, "ino-2");
	ASSERT_LE(0, self->sfd[1]);
	ASSERT_EQ(0, fstat(self->sfd[0], &a));
	ASSERT_EQ(0, fstat(self->sfd[1], &b));
	EXPECT_EQ(a.st_ino + 1, b.st_ino);
}

/*
 * A chain of dependencies is at most 16 files long: the 17th file is
 * refused with ELOOP and leaves nothing behind.
 */
TEST_F(luo, dependency_chain_limit_eloop)
{
	struct luo_test_stats before, after;
	int fds[17], i;

	if (no_test_handler())
		SKIP(return, "no %s (LIVEUPDATE_TEST)", LUO_TEST_FILE);
	self->sfd[0] = luo_create_session(self->dev, "dep-chain");
	ASSERT_LE(0, self->sfd[0]);
	for (i = 0; i < 17; i++) {
		fds[i] = tf_open(i + 1);
		ASSERT_LE(0, fds[i]);
		if (i)
			ASSERT_EQ(0, tf_set_dep_fd(fds[i], fds[i - 1]));
	}
	for (i = 0; i < 16; i++)
		ASSERT_EQ(0, luo_preserve_fd(self->sfd[0], fds[i], i + 1)) TH_LOG("file %d", i);
	ASSERT_EQ(0, stats_read(&before));
	EXPECT_EQ(-ELOOP, luo_preserve_fd(self->sfd[0], fds[16], 17));
	ASSERT_EQ(0, stats_read(&after));
	EXPECT_EQ(before.out_pages, after.out_pages);
	/* Token 17 is free and the file is not managed. */
	ASSERT_EQ(0, tf_set_dep_fd(fds[16], -1));
	EXPECT_EQ(0, luo_preserve_fd(self->sfd[0], fds[16], 17));
	for (i = 0; i < 17; i++)
		close(fds[i]);
}

/* Every kind of ioctl a racing thread may issue on a session or device fd. */
enum race_op {
	RACE_GET_NAME,
	RACE_PRESERVE,
	RACE_RETRIEVE_FD,
	RACE_FINISH,
	RACE_BAD_NR,
	RACE_READLINK,
	RACE_CREATE,
	RACE_RETRIEVE_SESSION,
	RACE_NR_OPS,
};

#define RACE_THREADS	2
#define RACE_ITERS	5000

struct race {
	atomic_int target;	/* the fd number under attack */
	atomic_int stop;
	atomic_int hits;	/* ioctls that reached an open fd */
	int bad;		/* unexpected results, all threads */
	char what[512];		/* the first of them */
	pthread_mutex_t lock;
};

struct race_thread {
	struct race *race;
	pthread_t tid;
	int id;
	int memfd;
};

static void race_bad(struct race *r, enum race_op op, int err, const char *extra)
{
	pthread_mutex_lock(&r->lock);
	if (!r->bad++)
		snprintf(r->what, sizeof(r->what), "op %d: %s %s", op,
			 err ? strerror(err) : "success", extra);
	pthread_mutex_unlock(&r->lock);
}

/* Whether @err is an acceptable result of @op on a racing fd. */
static bool race_errno_ok(enum race_op op, int err)
{
	switch (err) {
	case 0:
	case EBADF:	/* closed */
	case EINVAL:	/* not for this kind of session, or device vs session */
		return true;
	case EEXIST:	/* token or name used by another thread */
	case EBUSY:	/* memfd preserved in the previous session */
		return op == RACE_PRESERVE || op == RACE_CREATE;
	case ENOENT:	/* nothing incoming on a cold boot */
		return op == RACE_RETRIEVE_SESSION || op == RACE_RETRIEVE_FD;
	case ENOTTY:
		return op == RACE_BAD_NR;
	default:
		return false;
	}
}

static void *race_worker(void *arg)
{
	struct race_thread *t = arg;
	struct race *r = t->race;
	unsigned int n = t->id;
	char path[64], link[256];
	union {
		struct liveupdate_session_get_name name;
		struct liveupdate_session_preserve_fd preserve;
		struct liveupdate_session_retrieve_fd retrieve;
		struct liveupdate_session_finish finish;
		struct liveupdate_ioctl_create_session create;
	} a;
	ssize_t len;
	int fd, ret;

	while (!r->stop) {
		enum race_op op = n++ % RACE_NR_OPS;

		fd = r->target;
		memset(&a, 0, sizeof(a));
		switch (op) {
		case RACE_GET_NAME:
			a.name.size = sizeof(a.name);
			ret = ioctl(fd, LIVEUPDATE_SESSION_GET_NAME, &a);
			break;
		case RACE_PRESERVE:
			a.preserve.size = sizeof(a.preserve);
			a.preserve.fd = t->memfd;
			a.preserve.token = t->id;
			ret = ioctl(fd, LIVEUPDATE_SESSION_PRESERVE_FD, &a);
			break;
		case RACE_RETRIEVE_FD:
			a.retrieve.size = sizeof(a.retrieve);
			a.retrieve.token = 1;
			ret = ioctl(fd, LIVEUPDATE_SESSION_RETRIEVE_FD, &a);
			if (!ret)
				close(a.retrieve.fd);
			break;
		case RACE_FINISH:
			a.finish.size = sizeof(a.finish);
			ret = ioctl(fd, LIVEUPDATE_SESSION_FINISH, &a);
			break;
		case RACE_BAD_NR:
			a.finish.size = sizeof(a.finish);
			ret = ioctl(fd, _IOR(LIVEUPDATE_IOCTL_TYPE,
					     LIVEUPDATE_CMD_SESSION_FINISH, int), &a);
			break;
		case RACE_CREATE:
		case RACE_RETRIEVE_SESSION:
			a.create.size = sizeof(a.create);
			snprintf((char *)a.create.name, sizeof(a.create.name),
				 "race-worker-%d", t->id);
			ret = ioctl(fd, op == RACE_CREATE ?
				    LIVEUPDATE_IOCTL_CREATE_SESSION :
				    LIVEUPDATE_IOCTL_RETRIEVE_SESSION, &a);
			if (!ret)
				close(a.create.fd);
			break;
		default:
			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			len = readlink(path, link, sizeof(link) - 1);
			if (len < 0) {
				if (errno != ENOENT)
					race_bad(r, op, errno, "");
				continue;
			}
			link[len] = '\0';
			/* The fd may be another session, or the device, by now. */
			if (strncmp(link, "[luo_session] race-", 19) &&
			    strcmp(link, LUO_DEVICE))
				race_bad(r, op, 0, link);
			continue;
		}
		if (!race_errno_ok(op, ret ? errno : 0))
			race_bad(r, op, ret ? errno : 0, "");
		else if (!ret || errno != EBADF)
			r->hits++;
	}
	return NULL;
}

/*
 * Run the workers against fds that the main thread keeps closing: sessions
 * (@device false) or /dev/liveupdate itself. Every result must be a valid
 * one; KASAN, lockdep or a WARN would fail the VM run.
 */
static int run_race(struct __test_metadata *_metadata, int *dev, bool device)
{
	struct race_thread t[RACE_THREADS];
	struct race r = { .bad = 0 };
	char name[NAME_LEN];
	int i, j, fd;

	pthread_mutex_init(&r.lock, NULL);
	r.target = *dev;
	for (i = 0; i < RACE_THREADS; i++) {
		t[i].race = &r;
		t[i].id = i + 1;
		t[i].memfd = memfd_create("race", MFD_CLOEXEC);
		if (t[i].memfd < 0 || ftruncate(t[i].memfd, 4096))
			return -errno;
	}
	for (i = 0; i < RACE_THREADS; i++)
		if (pthread_create(&t[i].tid, NULL, race_worker, &t[i]))
			return -EAGAIN;

	for (i = 0; i < RACE_ITERS && !r.bad; i++) {
		if (device) {
			/* A worker's ioctl in flight keeps the device busy. */
			for (j = 0; (fd = luo_open_device()) == -EBUSY && j < 100000; j++)
				sched_yield();
		} else {
			snprintf(name, sizeof(name), "race-%d", i);
			fd = luo_create_session(*dev, name);
		}
		if (fd < 0) {
			r.bad++;
			snprintf(r.what, sizeof(r.what), "iteration %d: %s", i, strerror(-fd));
			break;
		}
		if (device)
			*dev = fd;
		r.target = fd;
		/*
		 * Now and then keep the fd open until a worker reached it (up to
		 * 0.2 s): on a loaded two-CPU VM the workers can otherwise miss
		 * every window, and nothing would have raced.
		 */
		if (i % 256 == 0) {
			int seen = r.hits;
			struct timespec t0, now;

			clock_gettime(CLOCK_MONOTONIC, &t0);
			do {
				sched_yield();
				clock_gettime(CLOCK_MONOTONIC, &now);
			} while (r.hits == seen &&
				 (now.tv_sec - t0.tv_sec) * 1000000000L +
				 now.tv_nsec - t0.tv_nsec < 200000000L);
		}
		close(fd);
		if (device)
			*dev = -1;
	}
	r.stop = 1;
	for (i = 0; i < RACE_THREADS; i++) {
		pthread_join(t[i].tid, NULL);
		close(t[i].memfd);
	}
	if (device && *dev < 0)
		*dev = luo_open_device();
	if (r.bad)
		TH_LOG("%d unexpected results; first: %s", r.bad, r.what);
	/* The workers must have met the fds open, or nothing raced. */
	if (!r.hits)
		TH_LOG("no ioctl reached an open fd");
	return r.bad || !r.hits;
}

/*
 * Closing a session fd while other threads run every session ioctl on it
 * and read its /proc/self/fd link, 5000 times: only valid errnos, no
 * kernel report.
 */
TEST_F_TIMEOUT(luo, race_close_session, 300)
{
	EXPECT_EQ(0, run_race(_metadata, &self->dev, false));
}

/* The same, closing and reopening /dev/liveupdate under device ioctls. */
TEST_F_TIMEOUT(luo, race_close_device, 300)
{
	close(self->dev);
	self->dev = -1;
	EXPECT_EQ(0, run_race(_metadata, &self->dev, true));
}

/* Files no handler accepts are ENOENT; a closed fd is EBADF. */
TEST_F(luo, preserve_no_handler_enoent)
{
	int pipefd[2];

	self->sfd[0] = luo_create_session(self->dev, "nohandler");
	ASSERT_LE(0, self->sfd[0]);
	self->fds[0] = open("/dev/null", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fds[0]);
	EXPECT_EQ(-ENOENT, luo_preserve_fd(self->sfd[0], self->fds[0], 1));
	ASSERT_EQ(0, pipe2(pipefd, O_CLOEXEC));
	self->fds[1] = pipefd[0];
	self->fds[2] = pipefd[1];
	EXPECT_EQ(-ENOENT, luo_preserve_fd(self->sfd[0], self->fds[1], 2));
	/* A session fd is no preservable file either. */
	EXPECT_EQ(-ENOENT, luo_preserve_fd(self->sfd[0], self->sfd[0], 3));
	EXPECT_EQ(-EBADF, luo_preserve_fd(self->sfd[0], 1000, 4));
	EXPECT_EQ(-EBADF, luo_preserve_fd(self->sfd[0], -1, 5));
}

/*
 * A file whose dependency is not preserved yet is refused with ENOENT and
 * nothing changes; preserved in order it works, and closing tears the
 * dependent file down before its dependency.
 */
TEST_F(luo, dependency_order)
{
	struct luo_test_stats before, after;
	const char *log;
	int ua, ub;

	if (no_test_handler())
		SKIP(return, "no %s (LIVEUPDATE_TEST)", LUO_TEST_FILE);
	self->sfd[0] = luo_create_session(self->dev, "dep");
	self->fds[0] = tf_open(1);	/* A: the dependency */
	self->fds[1] = tf_open(2);	/* B: depends on A */
	ASSERT_LE(0, self->sfd[0]);
	ASSERT_LE(0, self->fds[1]);
	ASSERT_EQ(0, tf_set_dep_fd(self->fds[1], self->fds[0]));
	EXPECT_EQ(-ELOOP, tf_set_dep_fd(self->fds[0], self->fds[1]));
	EXPECT_EQ(-ELOOP, tf_set_dep_fd(self->fds[0], self->fds[0]));

	ASSERT_EQ(0, stats_read(&before));
	EXPECT_EQ(-ENOENT, luo_preserve_fd(self->sfd[0], self->fds[1], 20));
	ASSERT_EQ(0, stats_read(&after));
	EXPECT_EQ(before.out_pages, after.out_pages);
	/* Preserved in another session does not count either. */
	self->sfd[1] = luo_create_session(self->dev, "dep-other");
	ASSERT_LE(0, self->sfd[1]);
	ASSERT_EQ(0, luo_preserve_fd(self->sfd[1], self->fds[0], 10));
	EXPECT_EQ(-ENOENT, luo_preserve_fd(self->sfd[0], self->fds[1], 20));
	close(self->sfd[1]);
	self->sfd[1] = -1;

	ASSERT_EQ(0, luo_preserve_fd(self->sfd[0], self->fds[0], 10));
	/* Token 20 is still free: the failed preserve left nothing behind. */
	ASSERT_EQ(0, luo_preserve_fd(self->sfd[0], self->fds[1], 20));

	ASSERT_EQ(0, events_clear());
	close(self->sfd[0]);
	self->sfd[0] = -1;
	log = events_read();
	ASSERT_NE(NULL, log);
	ua = events_find(log, "unpreserve 1", -1);
	ub = events_find(log, "unpreserve 2", -1);
	EXPECT_LE(0, ub);
	EXPECT_LT(ub, ua) TH_LOG("log:\n%s", log);
}

/*
 * The FLB is preserved with the first test file and unpreserved after the
 * last, across sessions.
 */
TEST_F(luo, flb_lifecycle)
{
	int out = -1, in = 0;
	const char *log;

	if (no_test_handler())
		SKIP(return, "no %s (LIVEUPDATE_TEST)", LUO_TEST_FILE);
	ASSERT_EQ(0, flb_read(&out, &in));
	ASSERT_EQ(0, out) TH_LOG("another test left a file preserved");
	/* Cold boot: no incoming FLB data. */
	EXPECT_EQ(-ENODATA, in);

	self->sfd[0] = luo_create_session(self->dev, "flb-a");
	self->sfd[1] = luo_create_session(self->dev, "flb-b");
	self->fds[0] = tf_open(1);
	self->fds[1] = tf_open(2);
	ASSERT_LE(0, self->sfd[1]);
	ASSERT_LE(0, self->fds[1]);
	ASSERT_EQ(0, events_clear());
	ASSERT_EQ(0, luo_preserve_fd(self->sfd[0], self->fds[0], 1));
	ASSERT_EQ(0, luo_preserve_fd(self->sfd[1], self->fds[1], 1));
	ASSERT_EQ(0, flb_read(&out, &in));
	EXPECT_EQ(1, out);
	close(self->sfd[0]);
	self->sfd[0] = -1;
	ASSERT_EQ(0, flb_read(&out, &in));
	EXPECT_EQ(1, out);
	close(self->sfd[1]);
	self->sfd[1] = -1;
	ASSERT_EQ(0, flb_read(&out, &in));
	EXPECT_EQ(0, out);

	log = events_read();
	ASSERT_NE(NULL, log);
	EXPECT_EQ(1, events_count(log, "flb-preserve")) TH_LOG("log:\n%s", log);
	EXPECT_EQ(1, events_count(log, "flb-unpreserve")) TH_LOG("log:\n%s", log);
	EXPECT_LT(events_find(log, "flb-preserve", -1), events_find(log, "preserve 2", -1));
	EXPECT_LT(events_find(log, "unpreserve 2", -1),
		  events_find(log, "flb-unpreserve", -1)) TH_LOG("log:\n%s", log);
}

/*
 * The file lifecycle as LUO core sees it, once for each kind of file that
 * has a handler: the test handler's file, a memfd, an unlinked tmpfs
 * file (O_TMPFILE), which the memfd handler takes too, and a hugetlb
 * memfd of one 2 MiB page. Checks that only one kind can make are marked
 * with the kind. For hugetlb every test ends with the pool as it found
 * it: no page leaked by a preserve, unpreserve or failure.
 */
enum luo_file_kind {
	FILE_TEST,	/* CONFIG_LIVEUPDATE_TEST */
	FILE_MEMFD,	/* CONFIG_LIVEUPDATE_MEMFD */
	FILE_TMPFILE,	/* CONFIG_LIVEUPDATE_MEMFD, tmpfs on /tmp */
	FILE_HUGETLB,	/* CONFIG_LIVEUPDATE_HUGETLB, 2 MiB pages */
};

FIXTURE(luo_file) {
	int dev;
	int sfd[NR_SFD];
	int fds[NR_FDS];
	long huge_total, huge_free;	/* the 2 MiB pool at setup */
};

FIXTURE_VARIANT(luo_file) {
	enum luo_file_kind kind;
};

FIXTURE_VARIANT_ADD(luo_file, test) {
	.kind = FILE_TEST,
};

FIXTURE_VARIANT_ADD(luo_file, memfd) {
	.kind = FILE_MEMFD,
};

FIXTURE_VARIANT_ADD(luo_file, tmpfile) {
	.kind = FILE_TMPFILE,
};

FIXTURE_VARIANT_ADD(luo_file, hugetlb) {
	.kind = FILE_HUGETLB,
};

FIXTURE_SETUP(luo_file)
{
	self->huge_total = -1;
	self->dev = open_fixture_fds(self->sfd, self->fds);
	if (self->dev == -ENOENT)
		SKIP(return, "no %s (LIVEUPDATE, liveupdate=on)", LUO_DEVICE);
	ASSERT_LE(0, self->dev) TH_LOG("open %s: %s", LUO_DEVICE, strerror(-self->dev));
	if (variant->kind == FILE_TEST && no_test_handler())
		SKIP(return, "no %s (LIVEUPDATE_TEST)", LUO_TEST_FILE);
	if (variant->kind == FILE_HUGETLB) {
		self->huge_free = luo_huge_pool("free_hugepages");
		if (self->huge_free < HUGE_POOL_NEEDED)
			SKIP(return, "%ld free 2 MiB pages, %d needed (hugepagesz=2M hugepages=%d)",
			     self->huge_free, HUGE_POOL_NEEDED, HUGE_POOL_NEEDED);
		self->huge_total = luo_huge_pool("nr_hugepages");
	}
}

FIXTURE_TEARDOWN(luo_file)
{
	close_fixture_fds(self->dev, self->sfd, self->fds);
	if (self->huge_total < 0)
		return;
	/* Every page back in the pool, the pool the same size. */
	EXPECT_EQ(self->huge_total, luo_huge_pool("nr_hugepages"));
	EXPECT_EQ(self->huge_free, luo_huge_pool("free_hugepages"));
}

/*
 * A hugetlb memfd of one 2 MiB page (@flags more memfd_create() flags)
 * whose first 8 bytes are @label: hugetlbfs has no write(), so through a
 * mapping. The fd, or -errno.
 */
static int new_hugetlb(__u64 label, unsigned int flags)
{
	void *map;
	int fd, err;

	fd = memfd_create("luo-file", MFD_CLOEXEC | MFD_HUGETLB | MFD_HUGE_2MB | flags);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, HUGE_PAGE))
		goto err;
	map = mmap(NULL, HUGE_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map == MAP_FAILED)
		goto err;
	memcpy(map, &label, sizeof(label));
	munmap(map, HUGE_PAGE);
	return fd;
err:
	err = -errno;
	close(fd);
	return err;
}

/*
 * A new preservable file of @kind holding @label: the test file's label,
 * or the first 8 bytes of a shmem or hugetlb file. The fd, or -errno.
 */
static int new_file(enum luo_file_kind kind, __u64 label)
{
	int fd, err;

	switch (kind) {
	case FILE_TEST:
		return tf_open(label);
	case FILE_HUGETLB:
		return new_hugetlb(label, 0);
	case FILE_MEMFD:
		fd = memfd_create("luo-file", MFD_CLOEXEC);
		break;
	default:
		fd = open("/tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
		break;
	}
	if (fd < 0)
		return -errno;
	if (pwrite(fd, &label, sizeof(label), 0) != sizeof(label)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int file_label(enum luo_file_kind kind, int fd, __u64 *label)
{
	if (kind == FILE_TEST)
		return tf_get_label(fd, label);
	return pread(fd, label, sizeof(*label), 0) == sizeof(*label) ? 0 : -EIO;
}

/*
 * Whether LUO manages the file of @fd: 1 if a new session cannot preserve
 * it (EBUSY), 0 if it can (the session is closed again), or -errno.
 */
static int luo_managed(int dev, int fd)
{
	int sfd, err;

	sfd = luo_create_session(dev, "probe");
	if (sfd < 0)
		return sfd;
	err = luo_preserve_fd(sfd, fd, 1);
	close(sfd);
	if (err == -EBUSY)
		return 1;
	return err;
}

/*
 * A preserved shmem or hugetlb file keeps its size: growing it by a page
 * (st_blksize: 4 KiB, or the huge page size) is EPERM.
 */
static bool size_frozen(int fd)
{
	struct stat st;

	if (fstat(fd, &st) || !ftruncate(fd, st.st_size + st.st_blksize))
		return false;
	return errno == EPERM;
}

/*
 * Only a file open for writing can be preserved: a read-only fd of the
 * same file is EBADF, and leaves the file unmanaged and the token free.
 */
TEST_F(luo_file, preserve_readonly_ebadf)
{
	char path[64];

	self->sfd[0] = luo_create_session(self->dev, "readonly");
	self->fds[0] = new_file(variant->kind, 1);
	ASSERT_LE(0, self->sfd[0]);
	ASSERT_LE(0, self->fds[0]);
	if (variant->kind == FILE_TEST) {
		self->fds[1] = open(LUO_TEST_FILE, O_RDONLY | O_CLOEXEC);
	} else {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", self->fds[0]);
		self->fds[1] = open(path, O_RDONLY | O_CLOEXEC);
	}
	ASSERT_LE(0, self->fds[1]);
	EXPECT_EQ(-EBADF, luo_preserve_fd(self->sfd[0], self->fds[1], 1));
	EXPECT_EQ(0, luo_managed(self->dev, self->fds[0]));
	if (variant->kind != FILE_TEST)
		EXPECT_FALSE(size_frozen(self->fds[0]));
	EXPECT_EQ(0, luo_preserve_fd(self->sfd[0], self->fds[0], 1));
}

/*
 * A PRESERVE_FD whose reply cannot be written (EFAULT) preserves nothing:
 * the file is not managed and the token is free.
 */
TEST_F(luo_file, preserve_reply_efault_leaves_nothing)
{
	struct liveupdate_session_preserve_fd arg = { .size = sizeof(arg), .token = 3 };
	void *ro;

	self->sfd[0] = luo_create_session(self->dev, "preserve-efault");
	self->fds[0] = new_file(variant->kind, 1);
	ASSERT_LE(0, self->sfd[0]);
	ASSERT_LE(0, self->fds[0]);
	arg.fd = self->fds[0];
	ro = ro_arg(&arg, sizeof(arg));
	ASSERT_NE(NULL, ro);
	EXPECT_EQ(-1, ioctl(self->sfd[0], LIVEUPDATE_SESSION_PRESERVE_FD, ro));
	EXPECT_EQ(EFAULT, errno);
	munmap(ro, 4096);
	EXPECT_EQ(0, luo_managed(self->dev, self->fds[0]));
	if (variant->kind != FILE_TEST)
		EXPECT_FALSE(size_frozen(self->fds[0]));
	EXPECT_EQ(0, luo_preserve_fd(self->sfd[0], self->fds[0], 3));
}

/* The same token twice in one session is EEXIST. */
TEST_F(luo_file, preserve_duplicate_token_eexist)
{
	self->sfd[0] = luo_create_session(self->dev, "token");
	self->fds[0] = new_file(variant->kind, 1);
	self->fds[1] = new_file(variant->kind, 2);
	ASSERT_LE(0, self->sfd[0]);
	ASSERT_LE(0, self->fds[0]);
	ASSERT_LE(0, self->fds[1]);
	ASSERT_EQ(0, luo_preserve_fd(self->sfd[0], self->fds[0], 7));
	EXPECT_EQ(-EEXIST, luo_preserve_fd(self->sfd[0], self->fds[1], 7));
	EXPECT_EQ(0, luo_managed(self->dev, self->fds[1]));
	EXPECT_EQ(0, luo_preserve_fd(self->sfd[0], self->fds[1], 8));
}

/* A file is managed by one session under one token only. */
TEST_F(luo_file, preserve_same_file_twice_ebusy)
{
	char path[64];

	self->sfd[0] = luo_create_session(self->dev, "twice-a");
	self->sfd[1] = luo_create_session(self->dev, "twice-b");
	self->fds[0] = new_file(variant->kind, 1);
	ASSERT_LE(0, self->sfd[0]);
	ASSERT_LE(0, self->sfd[1]);
	ASSERT_LE(0, self->fds[0]);
	ASSERT_EQ(0, luo_preserve_fd(self->sfd[0], self->fds[0], 1));
	EXPECT_EQ(-EBUSY, luo_preserve_fd(self->sfd[0], self->fds[0], 2));
	EXPECT_EQ(-EBUSY, luo_preserve_fd(self->sfd[1], self->fds[0], 1));
	/* Another fd of the same open file is the same file. */
	self->fds[1] = dup(self->fds[0]);
	EXPECT_EQ(-EBUSY, luo_preserve_fd(self->sfd[1], self->fds[1], 3));
	if (variant->kind == FILE_TEST)
		return;
	/* shmem: another open file of the same inode is the same file too. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", self->fds[0]);
	self->fds[2] = open(path, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fds[2]);
	EXPECT_EQ(-EBUSY, luo_preserve_fd(self->sfd[0], self->fds[2], 4));
	EXPECT_EQ(-EBUSY, luo_preserve_fd(self->sfd[1], self->fds[2], 4));
}

/*
 * A failing preserve returns the handler's errno and leaves nothing behind:
 * the test handler fails on request, the memfd handler refuses a file of
 * more pages than the handover format counts (EFBIG), the hugetlb handler
 * one exec-sealed without exec permission but with the write seals, which
 * the next kernel could not give back as it was (EOPNOTSUPP).
 */
TEST_F(luo_file, preserve_error_changes_nothing)
{
	struct luo_test_stats before, after;
	const char *log;
	int want;

	self->sfd[0] = luo_create_session(self->dev, "fault");
	self->fds[0] = new_file(variant->kind, 1);
	ASSERT_LE(0, self->sfd[0]);
	ASSERT_LE(0, self->fds[0]);
	if (variant->kind == FILE_TEST) {
		ASSERT_EQ(0, tf_set_fault(self->fds[0], LUO_TEST_FAULT_PRESERVE, EXDEV, 1));
		ASSERT_EQ(0, stats_read(&before));
		ASSERT_EQ(0, events_clear());
		want = -EXDEV;
	} else if (variant->kind == FILE_HUGETLB) {
		close(self->fds[0]);
		self->fds[0] = new_hugetlb(1, MFD_EXEC | MFD_ALLOW_SEALING);
		ASSERT_LE(0, self->fds[0]) TH_LOG("%s", strerror(-self->fds[0]));
		ASSERT_EQ(0, fchmod(self->fds[0], 0600));
		ASSERT_EQ(0, fcntl(self->fds[0], F_ADD_SEALS, HUGE_BAD_SEALS)) TH_LOG("%m");
		want = -EOPNOTSUPP;
	} else {
		ASSERT_EQ(0, ftruncate(self->fds[0], (4096LL << 32) + 4096));
		want = -EFBIG;
	}
	EXPECT_EQ(want, luo_preserve_fd(self->sfd[0], self->fds[0], 5));
	if (variant->kind == FILE_HUGETLB) {
		__u64 label = 0;

		/* Refused again (not EBUSY: not managed), seals and page as they were. */
		EXPECT_EQ(-EOPNOTSUPP, luo_managed(self->dev, self->fds[0]));
		EXPECT_EQ(HUGE_BAD_SEALS, fcntl(self->fds[0], F_GET_SEALS));
		EXPECT_EQ(0, file_label(variant->kind, self->fds[0], &label));
		EXPECT_EQ((__u64)1, label);
		/* The token is free: another file takes it. */
		self->fds[1] = new_file(variant->kind, 2);
		ASSERT_LE(0, self->fds[1]);
		EXPECT_EQ(0, luo_preserve_fd(self->sfd[0], self->fds[1], 5));
		return;
	}
	if (variant->kind == FILE_TEST) {
		ASSERT_EQ(0, stats_read(&after));
		EXPECT_EQ(before.out_pages, after.out_pages);
	} else {
		/* Not left frozen; and small enough now. */
		EXPECT_EQ(0, ftruncate(self->fds[0], 4096)) TH_LOG("%m");
	}
	EXPECT_EQ(0, luo_managed(self->dev, self->fds[0]));
	/* The same file and token work now. */
	EXPECT_EQ(0, luo_preserve_fd(self->sfd[0], self->fds[0], 5));
	close(self->sfd[0]);
	self->sfd[0] = -1;
	if (variant->kind != FILE_TEST)
		return;
	/* The failed preserve, the probe's and the last one; no unpreserve for the first. */
	log = events_read();
	ASSERT_NE(NULL, log);
	EXPECT_EQ(3, events_count(log, "preserve 1")) TH_LOG("log:\n%s", log);
	EXPECT_EQ(2, events_count(log, "unpreserve 1")) TH_LOG("log:\n%s", log);
}

/*
 * 500 files in one session (56 hugetlb files, one 2 MiB page each), half
 * of them closed by the caller: LUO keeps its own reference. Closing the
 * session unpreserves them all, last first.
 */
TEST_F_TIMEOUT(luo_file, many_files, 300)
{
	int nr = variant->kind == FILE_HUGETLB ? MANY_HUGETLB_FILES : MANY_FILES;
	struct luo_test_stats before, during, after;
	int *fds, i, ok = 1, prev = -1;
	char line[64];
	const char *log;
	__u64 label;

	ASSERT_EQ(0, raise_nofile(MANY_FILES + 64));
	fds = calloc(MANY_FILES, sizeof(*fds));
	ASSERT_NE(NULL, fds);
	self->sfd[0] = luo_create_session(self->dev, "many-files");
	ASSERT_LE(0, self->sfd[0]);
	if (variant->kind == FILE_TEST) {
		ASSERT_EQ(0, stats_read(&before));
		ASSERT_EQ(0, events_clear());
	}
	for (i = 0; i < nr && ok; i++) {
		fds[i] = new_file(variant->kind, 1000 + i);
		ASSERT_LE(0, fds[i]);
		if (luo_preserve_fd(self->sfd[0], fds[i], i)) {
			TH_LOG("file %d not preserved", i);
			ok = 0;
		}
		if (i % 2) {
			close(fds[i]);
			fds[i] = -1;
		}
	}
	ASSERT_TRUE(ok);
	if (variant->kind == FILE_TEST) {
		ASSERT_EQ(0, stats_read(&during));
		EXPECT_EQ(before.out_pages + MANY_FILES, during.out_pages);
		EXPECT_EQ(before.objects + MANY_FILES, during.objects);
	} else {
		EXPECT_TRUE(size_frozen(fds[0]));
	}
	/* The pages of the files closed by the caller are LUO's now. */
	if (variant->kind == FILE_HUGETLB)
		EXPECT_EQ(self->huge_free - nr, luo_huge_pool("free_hugepages"));

	close(self->sfd[0]);
	self->sfd[0] = -1;
	if (variant->kind == FILE_TEST) {
		ASSERT_EQ(0, stats_read(&after));
		EXPECT_EQ(before.out_pages, after.out_pages);
		/* The closed half is gone, the open half is not. */
		EXPECT_EQ(before.objects + MANY_FILES / 2, after.objects);
		log = events_read();
		ASSERT_NE(NULL, log);
		EXPECT_EQ(MANY_FILES, nr_lines_with(log, "preserve "));
		EXPECT_EQ(MANY_FILES, nr_lines_with(log, "unpreserve "));
		for (i = MANY_FILES - 1; i >= 0 && ok; i--) {
			snprintf(line, sizeof(line), "unpreserve %d", 1000 + i);
			prev = events_find(log, line, prev);
			if (prev < 0) {
				TH_LOG("\"%s\" missing or out of order", line);
				ok = 0;
			}
		}
	}
	/* ... until the session is closed: their pages are free again. */
	if (variant->kind == FILE_HUGETLB)
		EXPECT_EQ(self->huge_free - nr / 2, luo_huge_pool("free_hugepages"));
	for (i = 0; i < nr; i += 2) {
		if (file_label(variant->kind, fds[i], &label) || label != (__u64)(1000 + i) ||
		    luo_managed(self->dev, fds[i])) {
			TH_LOG("file %d: wrong label or still managed", i);
			ok = 0;
		}
		close(fds[i]);
	}
	free(fds);
	EXPECT_TRUE(ok);
}

/*
 * Closing a session releases its files, last preserved first: they are
 * no longer managed (a shmem file can change size again) and can be
 * preserved again.
 */
TEST_F(luo_file, close_session_releases_files)
{
	const char *log;
	int i, u1, u2, u3;

	self->sfd[0] = luo_create_session(self->dev, "release-a");
	ASSERT_LE(0, self->sfd[0]);
	for (i = 0; i < 3; i++) {
		self->fds[i] = new_file(variant->kind, i + 1);
		ASSERT_LE(0, self->fds[i]);
		ASSERT_EQ(0, luo_preserve_fd(self->sfd[0], self->fds[i], i + 1));
	}
	if (variant->kind != FILE_TEST)
		EXPECT_TRUE(size_frozen(self->fds[1]));
	if (variant->kind == FILE_TEST)
		ASSERT_EQ(0, events_clear());
	close(self->sfd[0]);
	self->sfd[0] = -1;

	if (variant->kind == FILE_TEST) {
		log = events_read();
		ASSERT_NE(NULL, log);
		u1 = events_find(log, "unpreserve 1", -1);
		u2 = events_find(log, "unpreserve 2", -1);
		u3 = events_find(log, "unpreserve 3", -1);
		EXPECT_LE(0, u1);
		EXPECT_LT(u3, u2) TH_LOG("log:\n%s", log);
		EXPECT_LT(u2, u1) TH_LOG("log:\n%s", log);
		EXPECT_LE(0, u3);
	} else {
		EXPECT_FALSE(size_frozen(self->fds[1]));
	}
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, luo_managed(self->dev, self->fds[i]));

	self->sfd[1] = luo_create_session(self->dev, "release-b");
	ASSERT_LE(0, self->sfd[1]);
	EXPECT_EQ(0, luo_preserve_fd(self->sfd[1], self->fds[0], 1));
	EXPECT_EQ(0, luo_preserve_fd(self->sfd[1], self->fds[2], 3));
}

/*
 * shmem: while preserved, the pages stay as they are: the size cannot
 * change, no hole can be punched (fallocate, MADV_REMOVE), but writes
 * inside the file work, into a hole too. Closing the session lifts it.
 */
TEST_F(luo_file, preserved_shmem_pages_stay)
{
	unsigned char *map;
	__u64 label = 0;
	char c = 'x';

	if (variant->kind == FILE_TEST)
		SKIP(return, "shmem files only");
	/* hugetlbfs has no write(); its size freeze: memfd_kexec_test:hugetlb. */
	if (variant->kind == FILE_HUGETLB)
		SKIP(return, "shmem files only");
	self->sfd[0] = luo_create_session(self->dev, "stay");
	self->fds[0] = new_file(variant->kind, 1);
	ASSERT_LE(0, self->sfd[0]);
	ASSERT_LE(0, self->fds[0]);
	ASSERT_EQ(0, ftruncate(self->fds[0], 4 * 4096));
	ASSERT_EQ(0, luo_preserve_fd(self->sfd[0], self->fds[0], 1));

	EXPECT_TRUE(size_frozen(self->fds[0]));
	EXPECT_EQ(-1, pwrite(self->fds[0], &c, 1, 4 * 4096));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, fallocate(self->fds[0], FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				0, 4096));
	EXPECT_EQ(EPERM, errno);
	map = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, self->fds[0], 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(-1, madvise(map, 4096, MADV_REMOVE));
	EXPECT_EQ(EPERM, errno);
	map[2 * 4096] = c;
	munmap(map, 4 * 4096);
	EXPECT_EQ(1, pwrite(self->fds[0], &c, 1, 3 * 4096));
	EXPECT_EQ(0, file_label(variant->kind, self->fds[0], &label));
	EXPECT_EQ((__u64)1, label);

	close(self->sfd[0]);
	self->sfd[0] = -1;
	EXPECT_EQ(0, fallocate(self->fds[0], FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			       0, 4096)) TH_LOG("%m");
	EXPECT_EQ(0, file_label(variant->kind, self->fds[0], &label));
	EXPECT_EQ((__u64)0, label);
}

int main(int argc, char **argv)
{
	if (access(LUO_DEVICE, F_OK))
		ksft_exit_skip("no %s (LIVEUPDATE, liveupdate=on)\n", LUO_DEVICE);
	return test_harness_run(argc, argv);
}
