// SPDX-License-Identifier: GPL-2.0
/*
 * The live update agent (tools/liveupdate: luod and luoctl) in the test VM,
 * run as a user would: luod as a daemon, luoctl as a command, clients of
 * several uids talking to luod's socket. The variant (vmtest.variant=):
 *
 *   agent   one boot: one luod only; sessions by name, shared, kept after
 *           the client exits; the policy (uid, group, owner, luod's own
 *           name); the socket's permissions; release; luod restarted while
 *           a client holds a session (EEXIST, then adopt); luoctl exec
 *           without a kernel, and refused by a freeze veto with nothing
 *           lost; the session's fdinfo; luoctl's usage
 *   kexec   two kernels: sessions of two uids cross a luoctl load + exec;
 *           the next luod knows their owners, hands each to its owner
 *           only, the memfds come back byte for byte, and a session
 *           finished without retrieving gives its memory back
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>

#include "../kselftest.h"
#include "../../../liveupdate/luod.h"
#include "luo_test_file.h"
#include "luo_test_utils.h"
#include "vmtest.h"

#define SOCK		"/run/luod/luod.sock"
#define POLICY		"/tmp/luod.conf"
#define CLIENT_GID	2000	/* the group luod's socket is open to */
#define VM_UID		1000
#define OTHER_UID	1001
#define NOSOCK_UID	1002	/* not in CLIENT_GID */

#define VM_MIB		16
#define CACHE_MIB	8
#define DISCARD_MIB	32
#define MiB		(1024UL * 1024)

#define CHECK(cond, fmt, ...) ksft_test_result(!!(cond), fmt "\n", ##__VA_ARGS__)

static pid_t luod_pid;

static void die(const char *what, int err)
{
	ksft_exit_fail_msg("%s: %s\n", what, strerror(-err));
}

static void check_err(int want, int got, const char *what)
{
	ksft_test_result(want == got, "%s: %s (want %s)\n", what,
			 got >= 0 ? "ok" : strerror(-got),
			 want >= 0 ? "ok" : strerror(-want));
}

static void start_luod(void)
{
	char group[16];

	snprintf(group, sizeof(group), "%d", CLIENT_GID);
	luod_pid = luod_start("-v", "-g", group, "-p", POLICY, NULL);
}

static int stop_luod(int sig)
{
	return luod_stop(luod_pid, sig);
}

static char status_text[65536];

/* luoctl status --json; NULL on failure. */
static const char *status_json(void)
{
	if (luoctl_run(status_text, sizeof(status_text), "status", "--json", NULL))
		return NULL;
	return status_text;
}

/* Whether luoctl's JSON @st lists the session, as described. */
static int has_session(const char *st, const char *name, const char *dir,
		       const char *state, const char *owner)
{
	char want[256];

	snprintf(want, sizeof(want),
		 "{\"name\": \"%s\", \"direction\": \"%s\", \"state\": \"%s\", \"owner\": %s,",
		 name, dir, state, owner);
	return st && strstr(st, want);
}

/* Whether it lists the file, as described. */
static int has_file(const char *st, int token, const char *handler,
		    const char *state)
{
	char want[256];

	snprintf(want, sizeof(want),
		 "{\"token\": %d, \"handler\": \"%s\", \"state\": \"%s\"}",
		 token, handler, state);
	return st && strstr(st, want);
}

/*
 * Run @fn(@arg) in a child with the given uid and gid; its exit status
 * (0: every check in it passed).
 */
static int as_user(uid_t uid, gid_t gid, int (*fn)(void *), void *arg)
{
	int status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (!pid) {
		if (setgroups(0, NULL) || setgid(gid) || setuid(uid))
			_exit(126);
		_exit(fn(arg));
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* A memfd of @mib MiB of the pattern for @seed. */
static int memfd_pattern(unsigned int seed, unsigned long mib)
{
	int fd = memfd_create("luod-test", 0);
	void *p;

	if (fd < 0 || ftruncate(fd, mib * MiB))
		die("memfd", -errno);
	p = mmap(NULL, mib * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap", -errno);
	fill_pattern(p, seed, mib * MiB);
	munmap(p, mib * MiB);
	return fd;
}

/* Whether the memfd holds exactly @mib MiB of the pattern for @seed. */
static int memfd_has_pattern(int fd, unsigned int seed, unsigned long mib)
{
	unsigned char *want = malloc(mib * MiB);
	struct stat st;
	void *p;
	int same;

	if (!want || fstat(fd, &st) || st.st_size != (off_t)(mib * MiB))
		return 0;
	p = mmap(NULL, mib * MiB, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return 0;
	fill_pattern(want, seed, mib * MiB);
	same = !memcmp(p, want, mib * MiB);
	munmap(p, mib * MiB);
	free(want);
	return same;
}

/* The session @name from luod with @flags; -errno, message in @msg. */
static int session(const char *name, unsigned int flags, int *incoming,
		   char *msg, size_t len)
{
	int sock = luod_connect(SOCK), fd;

	if (sock < 0)
		return sock;
	fd = luod_session(sock, name, flags, incoming, msg, len);
	close(sock);
	return fd;
}

static int any_session(const char *name, char *msg, size_t len)
{
	return session(name, LUOD_SESSION_CREATE | LUOD_SESSION_RETRIEVE,
		       NULL, msg, len);
}

static int simple(enum luod_cmd cmd, const char *name)
{
	int sock = luod_connect(SOCK), err;

	if (sock < 0)
		return sock;
	err = luod_simple(sock, cmd, name, NULL, 0);
	close(sock);
	return err;
}

static ino_t ino_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : st.st_ino;
}

static void write_policy(void)
{
	FILE *f = fopen(POLICY, "w");

	if (!f)
		die(POLICY, -errno);
	fprintf(f, "# test policy\n%d vm-*\n%d vm-*\n@%d grp-*\n", VM_UID,
		OTHER_UID, CLIENT_GID);
	fclose(f);
}

/* ---- agent (one boot) ---- */

static int vm_client(void *arg)
{
	char msg[LUOD_MSG_LEN];
	int fd, bad = 0;

	(void)arg;
	fd = any_session("vm-a", msg, sizeof(msg));
	if (fd < 0) {
		printf("# uid %d: vm-a: %s\n", getuid(), msg);
		bad++;
	}
	fd = any_session("grp-x", msg, sizeof(msg));
	if (fd < 0) {
		printf("# uid %d: grp-x: %s\n", getuid(), msg);
		bad++;
	}
	fd = any_session("cache", msg, sizeof(msg));
	if (fd != -EACCES || !strstr(msg, "may not use")) {
		printf("# uid %d: cache: %d %s\n", getuid(), fd, msg);
		bad++;
	}
	return bad;
}

/* The fdinfo of session @fd has @needle. */
static int fdinfo_has(int fd, const char *needle)
{
	char path[64], buf[4096];

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	if (vmtest_read_file(path, buf, sizeof(buf)) < 0)
		return 0;
	return !!strstr(buf, needle);
}

static int vm_recreate(void *arg)
{
	char msg[LUOD_MSG_LEN];
	int fd;

	(void)arg;
	fd = session("vm-a", LUOD_SESSION_CREATE, NULL, msg, sizeof(msg));
	if (fd < 0 || !fdinfo_has(fd, "luo_files:\t0")) {
		printf("# vm-a: %d %s\n", fd, msg);
		return 1;
	}
	return 0;
}

/* A session of @arg's name that belongs to another uid: EACCES. */
static int other_client(void *arg)
{
	char msg[LUOD_MSG_LEN];
	int fd;

	fd = any_session(arg, msg, sizeof(msg));
	if (fd != -EACCES || !strstr(msg, "belongs to uid")) {
		printf("# uid %d: %s: %d %s\n", getuid(), (char *)arg, fd, msg);
		return 1;
	}
	return 0;
}

static int nosock_client(void *arg)
{
	(void)arg;
	return luod_connect(SOCK) == -EACCES ? 0 : 1;
}

/* /sys/kernel/kexec_loaded: 1 or 0, -1 if unreadable. */
static int next_kernel_loaded(void)
{
	char buf[8];

	if (vmtest_read_file("/sys/kernel/kexec_loaded", buf, sizeof(buf)) < 0)
		return -1;
	return atoi(buf);
}

/*
 * Under --max-sessions 3 --max-clients 2: three sessions, then EDQUOT
 * until one is released; two connections, and a third is closed.
 */
static int quota_client(void *arg)
{
	char msg[LUOD_MSG_LEN], name[16];
	int i, fd, sock[3], failed = 0;
	int served, want;

	(void)arg;
	for (i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "vm-q%d", i);
		fd = session(name, LUOD_SESSION_CREATE, NULL, msg, sizeof(msg));
		failed |= fd < 0;
		if (fd >= 0)
			close(fd);
	}
	fd = session("vm-q3", LUOD_SESSION_CREATE, NULL, msg, sizeof(msg));
	if (fd != -EDQUOT || !strstr(msg, "--max-sessions")) {
		printf("# a fourth session: %d (%s)\n", fd, msg);
		failed = 1;
	}
	failed |= simple(LUOD_CMD_RELEASE, "vm-q0") != 0;
	fd = session("vm-q3", LUOD_SESSION_CREATE, NULL, msg, sizeof(msg));
	failed |= fd < 0;
	if (fd >= 0)
		close(fd);

	/* Each of the first two is served before the third connects. */
	for (i = 0; i < 3; i++) {
		sock[i] = luod_connect(SOCK);
		fd = sock[i] < 0 ? sock[i] :
		     luod_session(sock[i], "vm-q1", LUOD_SESSION_CREATE, NULL,
				  msg, sizeof(msg));
		served = fd >= 0;
		want = i < 2;
		if (served != want) {
			printf("# connection %d: %d (%s)\n", i + 1, fd, msg);
			failed = 1;
		}
		if (fd >= 0)
			close(fd);
	}
	for (i = 0; i < 3; i++)
		if (sock[i] >= 0)
			close(sock[i]);
	return failed;
}

static int variant_agent(void)
{
	char msg[LUOD_MSG_LEN], out[4096];
	int a, b, held, mfd, tf, ret, status, incoming = -1;
	struct statfs sf;
	const char *st;
	pid_t first;

	write_policy();
	start_luod();

	/* Only one agent. */
	first = luod_pid;
	luod_pid = fork();
	if (!luod_pid) {
		execl(LUOD_BIN, "luod", "-p", POLICY, NULL);
		_exit(127);
	}
	waitpid(luod_pid, &status, 0);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1,
	      "a second luod refuses to start");
	luod_pid = first;

	/* Root: a session by name, the same file for every request. */
	a = session("cache", LUOD_SESSION_CREATE | LUOD_SESSION_RETRIEVE,
		    &incoming, msg, sizeof(msg));
	CHECK(a >= 0 && !incoming, "cache: a new outgoing session (%s)", msg);
	CHECK(!fstatfs(a, &sf) && sf.f_type == LUO_SESSION_MAGIC,
	      "cache: a session file");
	b = any_session("cache", msg, sizeof(msg));
	CHECK(b >= 0 && ino_of(a) == ino_of(b), "cache: the same session again");
	close(b);
	check_err(-ENOENT, session("cache", LUOD_SESSION_RETRIEVE, NULL, msg,
				   sizeof(msg)),
		  "cache: nothing incoming on a cold boot");
	check_err(-EPERM, any_session(LUOD_STATE_SESSION, msg, sizeof(msg)),
		  "luod's own session is not for clients");
	check_err(-EINVAL, any_session("", msg, sizeof(msg)), "empty name");
	check_err(-EINVAL, any_session("two\nlines", msg, sizeof(msg)),
		  "a name with a control character");

	/* luoctl session NAME -- PROGRAM: the session on fd 3. */
	setenv("LUOD_TEST_PROBE", "probe", 1);
	ret = luoctl_run(out, sizeof(out), "session", "probe", "--create",
			 "--", "/tests/luod_test", "probe-arg", NULL);
	unsetenv("LUOD_TEST_PROBE");
	CHECK(!ret && strstr(out, "luod_test: session 'probe' on fd 3"),
	      "luoctl session runs a program with the session: %s", out);

	mfd = memfd_pattern(7, 1);
	check_err(0, luo_preserve_fd(a, mfd, 7), "preserve a memfd in cache");
	close(mfd);
	CHECK(fdinfo_has(a, "luo_session:\tcache\nluo_direction:\toutgoing\nluo_files:\t1\n") &&
	      fdinfo_has(a, "luo_file:\ttoken=7 handler=memfd-v2 state=preserved"),
	      "the session's fdinfo lists its file");

	/* The policy. */
	CHECK(!as_user(VM_UID, CLIENT_GID, vm_client, NULL),
	      "uid %d: its patterns and its group's; not root's session", VM_UID);
	CHECK(!as_user(OTHER_UID, CLIENT_GID, other_client, "vm-a"),
	      "uid %d: not a session of uid %d", OTHER_UID, VM_UID);
	CHECK(!as_user(NOSOCK_UID, NOSOCK_UID, nosock_client, NULL),
	      "uid %d outside the socket's group cannot connect", NOSOCK_UID);

	/* The client closed it: luod keeps it, with its file. */
	close(a);
	st = status_json();
	CHECK(has_session(st, "cache", "outgoing", "held", "0") &&
	      has_file(st, 7, "memfd-v2", "preserved") &&
	      strstr(st, "\"name\": \"vm-a\"") && strstr(st, "\"owner\": 1000"),
	      "status: the sessions luod holds, their owners and files");
	if (!st || !strstr(st, "\"cache\""))
		printf("# %s\n", st ? st : status_text);

	/* Released: the session ends, the name is free again. */
	check_err(0, simple(LUOD_CMD_RELEASE, "cache"), "release cache");
	check_err(-ENOENT, simple(LUOD_CMD_RELEASE, "cache"), "release it again");
	st = status_json();
	CHECK(st && !strstr(st, "\"cache\""), "status: cache is gone");
	a = any_session("cache", msg, sizeof(msg));
	CHECK(a >= 0 && fdinfo_has(a, "luo_files:\t0"),
	      "cache: created afresh, empty");
	if (a >= 0 && !fdinfo_has(a, "luo_files:\t0")) {
		char path[64];

		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", a);
		vmtest_read_file(path, out, sizeof(out));
		printf("# %s\n", out);
	}
	close(a);

	/* luod restarted while a client holds a session. */
	held = any_session("held", msg, sizeof(msg));
	CHECK(held >= 0, "held: created");
	status = stop_luod(SIGKILL);
	CHECK(WIFSIGNALED(status), "luod killed");
	start_luod();
	ret = any_session("held", msg, sizeof(msg));
	CHECK(ret == -EEXIST && strstr(msg, "luod_adopt"),
	      "held: luod explains that the session must be handed back (%s)",
	      msg);
	{
		int sock = luod_connect(SOCK);

		check_err(0, luod_adopt(sock, held, msg, sizeof(msg)),
			  "held: handed back");
		check_err(0, luod_adopt(sock, held, msg, sizeof(msg)),
			  "held: handed back twice");
		ret = luod_adopt(sock, 0, msg, sizeof(msg));
		check_err(-EINVAL, ret, "adopt something else");
		close(sock);
	}
	a = any_session("held", msg, sizeof(msg));
	CHECK(a >= 0 && ino_of(a) == ino_of(held), "held: luod has it again");
	/* Their names are free and the sessions new: the kernel ended them. */
	a = any_session("cache", msg, sizeof(msg));
	CHECK(a >= 0 && fdinfo_has(a, "luo_files:\t0"),
	      "cache, which only the killed luod held, ended with it (%s)", msg);
	close(a);
	CHECK(!as_user(VM_UID, CLIENT_GID, vm_recreate, NULL),
	      "vm-a too: uid %d creates it afresh", VM_UID);
	close(a);

	/* luoctl exec: no kernel; then a freeze veto, and nothing is lost. */
	ret = luoctl_run(out, sizeof(out), "exec", NULL);
	CHECK(ret == 1 && strstr(out, "no kernel is loaded"),
	      "exec without a loaded kernel: %s", out);
	/* A command line on which the next kernel would drop the sessions. */
	ret = luoctl_run(out, sizeof(out), "load", VMTEST_KERNEL, "--append",
			 "quiet", NULL);
	CHECK(ret == 1 && strstr(out, "lacks the kho=on"),
	      "load refused without kho=on: %s", out);
	ret = luoctl_run(out, sizeof(out), "load", VMTEST_KERNEL,
			 "--reuse-cmdline", "--append", "liveupdate=off", NULL);
	CHECK(ret == 1 && strstr(out, "it has liveupdate=off") &&
	      next_kernel_loaded() == 0,
	      "load refused with liveupdate=off, nothing loaded: %s", out);
	ret = luoctl_run(out, sizeof(out), "load", VMTEST_KERNEL,
			 "--reuse-cmdline", "--append", "liveupdate=off",
			 "--force", NULL);
	CHECK(!ret && next_kernel_loaded() == 1, "... loaded with --force: %s",
	      out);
	/* Should the veto fail, the next kernel runs a stage that fails. */
	ret = luoctl_run(out, sizeof(out), "load", VMTEST_KERNEL,
			 "--reuse-cmdline", "--append", "vmtest.stage=99", NULL);
	CHECK(!ret, "luoctl load: %s", out);
	tf = tf_open(9);
	if (tf < 0 || tf_write_pattern(tf, 9, 100) ||
	    tf_set_fault(tf, LUO_TEST_FAULT_FREEZE, ENOTUNIQ, 1) ||
	    luo_preserve_fd(held, tf, 9))
		ksft_exit_fail_msg("set up a file that refuses to freeze: %m\n");
	ret = luoctl_run(out, sizeof(out), "exec", NULL);
	CHECK(ret == 1 && strstr(out, "refused the update") &&
	      strstr(out, strerror(ENOTUNIQ)),
	      "exec refused by a freeze veto: %s", out);
	st = status_json();
	CHECK(st && strstr(st, "\"held\"") && strstr(st, "\"token\": 9") &&
	      fdinfo_has(held, "token=9 handler=liveupdate-test-v1 state=preserved"),
	      "the session and its file are as they were");
	check_err(0, luoctl_run(out, sizeof(out), "unload", NULL), "luoctl unload");
	close(tf);

	/* Usage. */
	CHECK(!luoctl_run(out, sizeof(out), "--help", NULL) && strstr(out, "Usage: luoctl"),
	      "luoctl --help");
	CHECK(luoctl_run(out, sizeof(out), "bogus", NULL) == 2, "luoctl bogus: usage error");

	status = stop_luod(SIGTERM);
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status) && access(SOCK, F_OK),
	      "luod exits on SIGTERM and removes its socket");

	/* What one user may make luod keep. */
	snprintf(msg, sizeof(msg), "%d", CLIENT_GID);
	luod_pid = luod_start("-g", msg, "-p", POLICY, "--max-sessions", "3",
			      "--max-clients", "2", NULL);
	CHECK(!as_user(VM_UID, CLIENT_GID, quota_client, NULL),
	      "uid %d: 3 sessions, then EDQUOT; 2 connections, a third closed",
	      VM_UID);
	for (ret = 0, a = 0; a < 4; a++) {
		snprintf(out, sizeof(out), "root-%d", a);
		b = any_session(out, msg, sizeof(msg));
		ret += b >= 0;
		if (b >= 0)
			close(b);
	}
	CHECK(ret == 4, "root is not limited: %d of 4 sessions", ret);
	stop_luod(SIGTERM);
	close(held);
	ksft_set_plan(ksft_test_num());
	ksft_finished();
	return 0;
}

/* ---- kexec (two kernels) ---- */

static int vm_stage1(void *arg)
{
	char msg[LUOD_MSG_LEN];
	int sfd, mfd;

	(void)arg;
	sfd = any_session("vm-1", msg, sizeof(msg));
	if (sfd < 0) {
		printf("# vm-1: %s\n", msg);
		return 1;
	}
	mfd = memfd_pattern(1, VM_MIB);
	if (luo_preserve_fd(sfd, mfd, 1))
		return 1;
	return 0;	/* exits: luod keeps the session */
}

static int vm_stage2(void *arg)
{
	char msg[LUOD_MSG_LEN];
	int sfd, mfd, incoming = 0, bad = 0;

	(void)arg;
	sfd = session("vm-1", LUOD_SESSION_RETRIEVE, &incoming, msg,
		      sizeof(msg));
	if (sfd < 0 || !incoming) {
		printf("# vm-1: %d %s\n", sfd, msg);
		return 1;
	}
	mfd = luo_retrieve_fd(sfd, 1);
	if (mfd < 0 || !memfd_has_pattern(mfd, 1, VM_MIB)) {
		printf("# vm-1: memfd %d not as preserved\n", mfd);
		bad++;
	}
	if (simple(LUOD_CMD_FINISH, "vm-1")) {
		printf("# vm-1: finish failed\n");
		bad++;
	}
	/* A new outgoing session of the same name, for the next update. */
	sfd = session("vm-1", LUOD_SESSION_CREATE, &incoming, msg, sizeof(msg));
	if (sfd < 0 || incoming) {
		printf("# vm-1 (outgoing): %d %s\n", sfd, msg);
		bad++;
	}
	return bad;
}

static int variant_kexec(int stage)
{
	char msg[LUOD_MSG_LEN], out[4096];
	int sfd, mfd, incoming = -1, ret;
	long before, after;
	const char *st;

	write_policy();
	start_luod();

	if (stage == 1) {
		CHECK(!as_user(VM_UID, CLIENT_GID, vm_stage1, NULL),
		      "uid %d preserves a %d MiB memfd in vm-1 and exits",
		      VM_UID, VM_MIB);
		sfd = any_session("cache-1", msg, sizeof(msg));
		mfd = memfd_pattern(2, CACHE_MIB);
		check_err(0, luo_preserve_fd(sfd, mfd, 2), "root: cache-1");
		close(mfd);
		close(sfd);
		sfd = any_session("discard", msg, sizeof(msg));
		mfd = memfd_pattern(3, DISCARD_MIB);
		check_err(0, luo_preserve_fd(sfd, mfd, 3), "root: discard");
		close(mfd);
		close(sfd);

		st = status_json();
		CHECK(has_session(st, "vm-1", "outgoing", "held", "1000") &&
		      strstr(st, "\"cache-1\"") && strstr(st, "\"discard\""),
		      "status: three outgoing sessions");

		ret = luoctl_load_next_stage(2, out, sizeof(out));
		CHECK(!ret, "luoctl load: %s", out);
		if (ksft_get_fail_cnt())
			ksft_exit_fail();
		fflush(stdout);
		ret = luoctl_run(out, sizeof(out), "exec", NULL);
		ksft_exit_fail_msg("luoctl exec returned %d: %s\n", ret, out);
	}

	st = status_json();
	CHECK(has_session(st, "vm-1", "incoming", "waiting", "1000") &&
	      has_session(st, "cache-1", "incoming", "waiting", "0") &&
	      strstr(st, "\"discard\"") && !strstr(st, LUOD_STATE_SESSION),
	      "status: the three sessions are incoming, with their owners");
	if (!st || !strstr(st, "vm-1"))
		printf("# %s\n", st ? st : status_text);

	CHECK(!as_user(OTHER_UID, CLIENT_GID, other_client, "vm-1"),
	      "uid %d cannot take uid %d's session", OTHER_UID, VM_UID);
	/* A luod restarted in this boot still knows the owners. */
	ret = stop_luod(SIGTERM);
	start_luod();
	st = status_json();
	CHECK(WIFEXITED(ret) && has_session(st, "vm-1", "incoming", "waiting", "1000"),
	      "after a restart of luod, vm-1 still waits for uid %d", VM_UID);
	CHECK(!as_user(OTHER_UID, CLIENT_GID, other_client, "vm-1"),
	      "... and uid %d still cannot take it", OTHER_UID);
	CHECK(!as_user(VM_UID, CLIENT_GID, vm_stage2, NULL),
	      "uid %d gets vm-1 back, byte for byte, and finishes it", VM_UID);

	sfd = session("cache-1", LUOD_SESSION_RETRIEVE, &incoming, msg,
		      sizeof(msg));
	CHECK(sfd >= 0 && incoming, "cache-1 is incoming");
	mfd = luo_retrieve_fd(sfd, 2);
	CHECK(mfd >= 0 && memfd_has_pattern(mfd, 2, CACHE_MIB),
	      "cache-1: %d MiB byte for byte", CACHE_MIB);
	st = status_json();
	CHECK(has_session(st, "cache-1", "incoming", "held", "0") &&
	      has_file(st, 2, "memfd-v2", "retrieved"),
	      "status: cache-1 held, its file retrieved");
	check_err(0, simple(LUOD_CMD_FINISH, "cache-1"), "finish cache-1");
	close(mfd);
	close(sfd);

	before = vmtest_mem_free_kib();
	check_err(0, simple(LUOD_CMD_FINISH, "discard"),
		  "finish discard without retrieving it");
	after = vmtest_mem_free_kib();
	CHECK(after - before >= DISCARD_MIB * 1024 * 9 / 10,
	      "its %d MiB are freed (MemFree %+ld KiB)", DISCARD_MIB,
	      after - before);
	check_err(-ENOENT, simple(LUOD_CMD_FINISH, "discard"), "finish it again");

	st = status_json();
	CHECK(st && !strstr(st, "\"incoming\""), "status: nothing incoming left");
	ret = stop_luod(SIGTERM);
	CHECK(WIFEXITED(ret) && !WEXITSTATUS(ret), "luod exits");
	ksft_set_plan(ksft_test_num());
	ksft_finished();
	return 0;
}

/*
 * Run by luoctl session (variant agent): the session named in
 * LUOD_TEST_PROBE must be open on the descriptor LUO_SESSION_FD says.
 */
static int session_probe(const char *name)
{
	const char *env = getenv("LUO_SESSION_FD");
	char got[LIVEUPDATE_SESSION_NAME_LENGTH];
	int fd = env ? atoi(env) : -1;

	if (fd < 0 || luo_get_name(fd, got) || strcmp(got, name)) {
		printf("luod_test: no session '%s' on fd %s\n", name, env ? env : "-");
		return 1;
	}
	printf("luod_test: session '%s' on fd %d\n", name, fd);
	return 0;
}

int main(void)
{
	char variant[64] = "agent";
	int stage = vmtest_stage();

	if (getenv("LUOD_TEST_PROBE"))
		return session_probe(getenv("LUOD_TEST_PROBE"));

	vmtest_cmdline_get("vmtest.variant", variant, sizeof(variant));
	ksft_print_header();
	if (access(LUO_DEVICE, F_OK))
		ksft_exit_skip("no %s (LIVEUPDATE, liveupdate=on)\n", LUO_DEVICE);
	if (access(LUOD_BIN, X_OK) || access(LUOCTL_BIN, X_OK))
		ksft_exit_fail_msg("no %s or %s\n", LUOD_BIN, LUOCTL_BIN);
	ksft_print_msg("variant %s, stage %d\n", variant, stage);

	if (!strcmp(variant, "agent") && stage == 1) {
		if (access(LUO_TEST_FILE, F_OK))
			ksft_exit_skip("no %s (LIVEUPDATE_TEST)\n", LUO_TEST_FILE);
		return variant_agent();
	}
	if (!strcmp(variant, "kexec") && stage <= 2)
		return variant_kexec(stage);
	ksft_exit_fail_msg("unknown variant %s or stage %d\n", variant, stage);
}
