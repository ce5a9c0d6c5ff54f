// SPDX-License-Identifier: GPL-2.0
/*
 * Helpers for the LUO selftests. See luo_test_utils.h.
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../../../liveupdate/luod.h"
#include "luo_test_utils.h"
#include "vmtest.h"

int luo_open_device(void)
{
	int fd = open(LUO_DEVICE, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

static int session_ioctl(int dev, unsigned long cmd, const char *name)
{
	struct liveupdate_ioctl_create_session arg = { .size = sizeof(arg) };

	/* create and retrieve take the same layout */
	static_assert(sizeof(struct liveupdate_ioctl_create_session) ==
		      sizeof(struct liveupdate_ioctl_retrieve_session), "layout");
	memcpy(arg.name, name, strnlen(name, sizeof(arg.name)));
	if (ioctl(dev, cmd, &arg))
		return -errno;
	return arg.fd;
}

int luo_create_session(int dev, const char *name)
{
	return session_ioctl(dev, LIVEUPDATE_IOCTL_CREATE_SESSION, name);
}

int luo_retrieve_session(int dev, const char *name)
{
	return session_ioctl(dev, LIVEUPDATE_IOCTL_RETRIEVE_SESSION, name);
}

int luo_preserve_fd(int sfd, int fd, __u64 token)
{
	struct liveupdate_session_preserve_fd arg = {
		.size = sizeof(arg), .fd = fd, .token = token,
	};

	return ioctl(sfd, LIVEUPDATE_SESSION_PRESERVE_FD, &arg) ? -errno : 0;
}

int luo_retrieve_fd(int sfd, __u64 token)
{
	struct liveupdate_session_retrieve_fd arg = {
		.size = sizeof(arg), .fd = -1, .token = token,
	};

	if (ioctl(sfd, LIVEUPDATE_SESSION_RETRIEVE_FD, &arg))
		return -errno;
	return arg.fd;
}

int luo_finish(int sfd)
{
	struct liveupdate_session_finish arg = { .size = sizeof(arg) };

	return ioctl(sfd, LIVEUPDATE_SESSION_FINISH, &arg) ? -errno : 0;
}

int luo_get_name(int sfd, char *name)
{
	struct liveupdate_session_get_name arg = { .size = sizeof(arg) };

	if (ioctl(sfd, LIVEUPDATE_SESSION_GET_NAME, &arg))
		return -errno;
	memcpy(name, arg.name, sizeof(arg.name));
	return 0;
}

int tf_open(__u64 label)
{
	int fd = open(LUO_TEST_FILE, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (ioctl(fd, LUO_TEST_SET_LABEL, &label)) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int tf_get_label(int fd, __u64 *label)
{
	return ioctl(fd, LUO_TEST_GET_LABEL, label) ? -errno : 0;
}

int tf_set_fault(int fd, enum luo_test_fault_op op, int error, unsigned int count)
{
	struct luo_test_fault f = { .op = op, .error = error, .count = count };

	return ioctl(fd, LUO_TEST_SET_FAULT, &f) ? -errno : 0;
}

int tf_set_dep_fd(int fd, int dep_fd)
{
	__s32 dep = dep_fd;

	return ioctl(fd, LUO_TEST_SET_DEP_FD, &dep) ? -errno : 0;
}

int tf_set_dep_token(int fd, __u64 token)
{
	return ioctl(fd, LUO_TEST_SET_DEP_TOKEN, &token) ? -errno : 0;
}

int tf_get_dep_ino(int fd, __u64 *ino)
{
	return ioctl(fd, LUO_TEST_GET_DEP_INO, ino) ? -errno : 0;
}

void fill_pattern(unsigned char *buf, unsigned int seed, size_t len)
{
	unsigned int x = seed * 2654435761u + 1;
	size_t i;

	for (i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = x >> 16;
	}
}

int tf_write_pattern(int fd, unsigned int seed, size_t len)
{
	unsigned char buf[LUO_TEST_CONTENT_MAX];

	if (len > sizeof(buf))
		return -EINVAL;
	fill_pattern(buf, seed, len);
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len)
		return errno ? -errno : -EIO;
	return 0;
}

long tf_check_pattern(int fd, unsigned int seed, size_t len)
{
	unsigned char want[LUO_TEST_CONTENT_MAX], got[LUO_TEST_CONTENT_MAX + 1];
	ssize_t n, used = 0;
	size_t i;

	if (len > sizeof(want))
		return -EINVAL;
	fill_pattern(want, seed, len);
	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	while ((n = read(fd, got + used, sizeof(got) - used)) > 0)
		used += n;
	if (n < 0)
		return -errno;
	for (i = 0; i < len && i < (size_t)used; i++)
		if (got[i] != want[i])
			return i + 1;
	if ((size_t)used != len)
		return (used < (ssize_t)len ? used : (ssize_t)len) + 1;
	return 0;
}

static ssize_t read_all(const char *path, char *buf, size_t len)
{
	ssize_t n, used = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)used < len - 1 && (n = read(fd, buf + used, len - 1 - used)) > 0)
		used += n;
	if (n < 0)
		used = -errno;
	close(fd);
	if (used >= 0)
		buf[used] = '\0';
	return used;
}

int events_clear(void)
{
	return vmtest_write_file(LUO_TEST_EVENTS, "\n");
}

const char *events_read(void)
{
	static char buf[LUO_EVENTS_MAX];

	return read_all(LUO_TEST_EVENTS, buf, sizeof(buf)) < 0 ? NULL : buf;
}

/* Whether the line at @p is exactly @line. */
static int line_eq(const char *p, const char *line, size_t len)
{
	return !strncmp(p, line, len) && (p[len] == '\n' || p[len] == '\0');
}

int events_count(const char *log, const char *line)
{
	size_t len = strlen(line);
	const char *p;
	int n = 0;

	for (p = log; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		n += line_eq(p, line, len);
	return n;
}

int events_find(const char *log, const char *line, int from)
{
	size_t len = strlen(line);
	const char *p;
	int i = 0;

	for (p = log; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL, i++)
		if (i > from && line_eq(p, line, len))
			return i;
	return -1;
}

int events_count_prefix(const char *log, const char *prefix)
{
	size_t len = strlen(prefix);
	const char *p;
	int n = 0;

	for (p = log; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		n += !strncmp(p, prefix, len);
	return n;
}

int stats_read(struct luo_test_stats *st)
{
	char buf[128];
	ssize_t n = read_all(LUO_TEST_STATS, buf, sizeof(buf));

	if (n < 0)
		return n;
	if (sscanf(buf, "objects %d out_pages %d in_freed %d", &st->objects,
		   &st->out_pages, &st->in_freed) != 3)
		return -EPROTO;
	return 0;
}

int flb_read(int *outgoing, int *incoming)
{
	char buf[128];
	ssize_t n = read_all(LUO_TEST_FLB, buf, sizeof(buf));

	if (n < 0)
		return n;
	if (sscanf(buf, "outgoing %d incoming %d", outgoing, incoming) != 2)
		return -EPROTO;
	return 0;
}

int raise_nofile(unsigned long n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur >= n)
		return 0;
	/* Raising the hard limit needs CAP_SYS_RESOURCE (the tests run as root). */
	if (rl.rlim_max < n)
		rl.rlim_max = n;
	rl.rlim_cur = n;
	return setrlimit(RLIMIT_NOFILE, &rl) ? -EMFILE : 0;
}

int luo_set_shmem_thp(const char *mode)
{
	int err;

	err = vmtest_write_file("/sys/kernel/mm/transparent_hugepage/shmem_enabled",
				mode);
	if (err)
		printf("# cannot set shmem THP to %s: %s\n", mode,
		       strerror(-err));
	return err;
}

const char *luo_shmem_huge_line(void)
{
	static char buf[8192];
	ssize_t n;
	char *p, *e;
	int fd;

	fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return "no /proc/meminfo";
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return "no /proc/meminfo";
	buf[n] = 0;
	p = strstr(buf, "ShmemHugePages:");
	if (!p)
		return "no ShmemHugePages in /proc/meminfo";
	e = strchr(p, '\n');
	if (e)
		*e = 0;
	return p;
}

long luo_meminfo_kib(const char *field)
{
	static char buf[8192];
	size_t len = strlen(field);
	ssize_t n;
	char *p;
	int fd;

	fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	for (p = buf; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (!strncmp(p, field, len) && p[len] == ':')
			return strtol(p + len + 1, NULL, 10);
	}
	return -1;
}

/* ---- the agent: luod and luoctl ---- */

static void luod_start_failed(const char *why)
{
	printf("Bail out! luod: %s\n", why);
	exit(1);
}

static int luod_answers(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int sock, ret;

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", LUOD_SOCKET_PATH);
	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return 0;
	ret = !connect(sock, (struct sockaddr *)&addr, sizeof(addr));
	close(sock);
	return ret;
}

pid_t luod_start(const char *arg, ...)
{
	const char *argv[16] = { "luod" };
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	va_list ap;
	pid_t pid;
	int i;

	va_start(ap, arg);
	for (i = 1; i < 15 && arg; i++, arg = va_arg(ap, const char *))
		argv[i] = arg;
	va_end(ap);

	/* luod makes its socket's directory, not /run itself. */
	if (mkdir("/run", 0755) && errno != EEXIST)
		luod_start_failed("mkdir /run");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		luod_start_failed("fork");
	if (!pid) {
		execv(LUOD_BIN, (char **)argv);
		_exit(127);
	}
	for (i = 0; i < 500; i++) {
		if (luod_answers())
			return pid;
		if (waitpid(pid, NULL, WNOHANG) == pid)
			luod_start_failed("exited at start");
		nanosleep(&ts, NULL);
	}
	luod_start_failed("does not answer on " LUOD_SOCKET_PATH);
	return -1;
}

int luod_stop(pid_t pid, int sig)
{
	int status;

	kill(pid, sig);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

int luoctl_run(char *out, size_t len, ...)
{
	const char *argv[14] = { "luoctl" };
	int pipefd[2], status, i;
	char sink[4096];
	size_t used = 0;
	va_list ap;
	ssize_t n;
	pid_t pid;

	va_start(ap, len);
	for (i = 1; i < 13 && (argv[i] = va_arg(ap, const char *)); i++)
		;
	va_end(ap);
	if (pipe2(pipefd, O_CLOEXEC))
		return -1;
	fflush(stdout);
	pid = fork();
	if (!pid) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		execv(LUOCTL_BIN, (char **)argv);
		_exit(127);
	}
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return -1;
	}
	/* Read to the end, keeping what fits: luoctl must not block. */
	while ((n = read(pipefd[0], used + 1 < len ? out + used : sink,
			 used + 1 < len ? len - used - 1 : sizeof(sink))) > 0)
		if (used + 1 < len)
			used += n;
	out[used] = '\0';
	close(pipefd[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int luoctl_show(const char *prog, const char *what, const char *arg)
{
	char out[4096], *line, *save;
	int ret = luoctl_run(out, sizeof(out), what, arg, NULL);

	for (line = strtok_r(out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		printf("%s: luoctl %s: %s\n", prog, what, line);
	fflush(stdout);
	return ret;
}

#define LUOCTL_INITRD	"/tmp/luoctl-initrd.cpio"

int luoctl_load_next_stage(int next_stage, char *out, size_t len)
{
	static char cmdline[4096], buf[65536];
	int in, fd, ret = -1;
	ssize_t n = -1;

	/* The command line the harness would give, with its stage marker. */
	if (vmtest_next_cmdline(next_stage, cmdline, sizeof(cmdline)))
		return -1;
	/* kexec_file_load() wants a regular file, not the sysfs one. */
	in = open("/sys/firmware/initrd", O_RDONLY | O_CLOEXEC);
	fd = open(LUOCTL_INITRD, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (in >= 0 && fd >= 0) {
		while ((n = read(in, buf, sizeof(buf))) > 0)
			if (write(fd, buf, n) != n) {
				n = -1;
				break;
			}
	}
	if (in >= 0)
		close(in);
	if (fd >= 0)
		close(fd);
	if (!n)
		ret = luoctl_run(out, len, "load", VMTEST_KERNEL, "--initrd",
				 LUOCTL_INITRD, "--append", cmdline, NULL);
	unlink(LUOCTL_INITRD);
	return ret;
}

long luo_huge_pool(const char *name)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path),
		 "/sys/kernel/mm/hugepages/hugepages-2048kB/%s", name);
	if (vmtest_read_file(path, buf, sizeof(buf)) <= 0)
		return -1;
	return strtol(buf, NULL, 10);
}
