// SPDX-License-Identifier: GPL-2.0
/*
 * Live update of an unmodified program: memcached's restartable cache on
 * memfds that survive a kexec (run by "make demo", see dev/demo.sh).
 *
 * memcached -e <file> keeps its items in a shared mapping of <file>; on
 * SIGUSR1 it stops gracefully and writes its metadata to <file>.meta, and
 * a memcached started later on the same file and metadata serves every
 * item again, fixing up its pointers if the mapping moved. This agent owns
 * both files as memfds and shows them to memcached through symbolic links
 * to its /proc/<pid>/fd entries.
 *
 * The live update itself goes through the agent (tools/liveupdate), as on
 * a host: luod owns /dev/liveupdate and hands this program its session;
 * luoctl loads the next kernel and updates.
 *
 * Stage 1 (first kernel): start luod, get the session from it, start
 * memcached on the memfds, store DEMO_KEYS keys through its text protocol
 * on a unix socket, load the next kernel with luoctl load (while memcached
 * still serves), stop memcached, preserve both memfds in the session, let
 * go of it (luod keeps it) and run luoctl exec.
 *
 * Stage 2 (next kernel): start luod, get the session back from it and
 * retrieve both memfds, link them under the same paths, start memcached
 * again, read every key back and compare it byte for byte, then finish the
 * session with luoctl finish.
 *
 * Every step is one "memcached_demo:" line on the console; dev/demo.sh
 * takes its timings from the host-side timestamps of those lines.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest.h"
#include "../../../liveupdate/luod.h"
#include "luo_test_utils.h"
#include "vmtest.h"

#define SESSION		"memcached-demo"
#define TOKEN_CACHE	1
#define TOKEN_META	2

#define MEMCACHED	"/usr/bin/memcached"
#define RUN_DIR		"/run/memcached"
#define CACHE_FILE	RUN_DIR "/cache"
#define META_FILE	CACHE_FILE ".meta"
#define SOCKET_FILE	RUN_DIR "/memcached.sock"

#define CACHE_MB	64	/* memcached -m: the size of the cache file */
#define DEMO_KEYS	5000
#define VALUE_MAX	2048
#define BATCH		50	/* requests per write on the socket */
#define SERVE_TIMEOUT	60	/* seconds memcached may take to start */

#define MiB		(1024.0 * 1024.0)

struct conn {
	int fd;
	char buf[65536];
	size_t len;	/* bytes in buf */
	size_t pos;	/* next byte to parse */
};

static pid_t memcached_pid;

static __printf(1, 2) void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("memcached_demo: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

static __noreturn __printf(1, 2) void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("memcached_demo: FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	if (memcached_pid > 0)
		kill(memcached_pid, SIGKILL);
	exit(KSFT_FAIL);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The key and value of item @i: both follow from @i alone. */
static void key_of(unsigned int i, char *key, size_t len)
{
	snprintf(key, len, "demo:%05u", i);
}

static size_t value_of(unsigned int i, char *val)
{
	uint32_t x = i * 2654435761u + 7;
	size_t len, n;

	len = 64 + (x >> 8) % (VALUE_MAX - 64);
	n = snprintf(val, VALUE_MAX, "value of demo:%05u ", i);
	for (; n < len; n++) {
		x = x * 1103515245u + 12345u;
		val[n] = 'a' + (x >> 16) % 26;
	}
	return len;
}

static void write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("write to memcached: %m");
		buf += n;
		len -= n;
	}
}

/* Make @want bytes readable at conn->pos; 0, or -1 on EOF or error. */
static int conn_fill(struct conn *c, size_t want)
{
	ssize_t n;

	if (c->pos + want <= c->len)
		return 0;
	memmove(c->buf, c->buf + c->pos, c->len - c->pos);
	c->len -= c->pos;
	c->pos = 0;
	if (want > sizeof(c->buf))
		return -1;
	while (c->len < want) {
		n = read(c->fd, c->buf + c->len, sizeof(c->buf) - c->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c->len += n;
	}
	return 0;
}

/* The next line without its "\r\n" (valid until the next call), or NULL. */
static char *conn_line(struct conn *c)
{
	size_t want = 1;
	char *end;

	for (;;) {
		if (conn_fill(c, want))
			return NULL;
		end = memmem(c->buf + c->pos, c->len - c->pos, "\r\n", 2);
		if (end) {
			char *line = c->buf + c->pos;

			*end = '\0';
			c->pos = end + 2 - c->buf;
			return line;
		}
		want = c->len - c->pos + 1;
	}
}

static int conn_open(struct conn *c)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", SOCKET_FILE);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		die("socket(AF_UNIX): %m");
	c->len = 0;
	c->pos = 0;
	if (connect(c->fd, (struct sockaddr *)&sun, sizeof(sun))) {
		close(c->fd);
		return -errno;
	}
	return 0;
}

/* One request, one line of answer (copied into @out). */
static void conn_simple(struct conn *c, const char *req, char *out, size_t len)
{
	char *line;

	write_all(c->fd, req, strlen(req));
	line = conn_line(c);
	if (!line)
		die("memcached closed the connection after '%.*s'",
		    (int)strcspn(req, "\r"), req);
	snprintf(out, len, "%s", line);
}

/* A "STAT <name> <value>" line of the "stats" command, or -1. */
static long long conn_stat(struct conn *c, const char *name)
{
	long long val = -1;
	size_t nlen = strlen(name);
	char *line;

	write_all(c->fd, "stats\r\n", 7);
	while ((line = conn_line(c)) && strcmp(line, "END")) {
		if (!strncmp(line, "STAT ", 5) && !strncmp(line + 5, name, nlen) &&
		    line[5 + nlen] == ' ')
			val = strtoll(line + 6 + nlen, NULL, 10);
	}
	if (!line)
		die("memcached closed the connection during 'stats'");
	return val;
}

static void start_memcached(void)
{
	char mb[16];

	unlink(SOCKET_FILE);
	snprintf(mb, sizeof(mb), "%d", CACHE_MB);
	memcached_pid = fork();
	if (memcached_pid < 0)
		die("fork: %m");
	if (!memcached_pid) {
		char *const argv[] = {
			MEMCACHED, "-u", "root", "-m", mb, "-e", CACHE_FILE,
			"-s", SOCKET_FILE, "-t", "2", "-c", "64", NULL
		};

		execv(MEMCACHED, argv);
		printf("memcached_demo: exec %s: %m\n", MEMCACHED);
		_exit(127);
	}
}

/* Wait until memcached answers "version"; returns the connection. */
static void wait_serving(struct conn *c, char *version, size_t len)
{
	double deadline = now_ms() + SERVE_TIMEOUT * 1e3;
	int status;

	while (conn_open(c)) {
		if (waitpid(memcached_pid, &status, WNOHANG) == memcached_pid) {
			memcached_pid = 0;
			die("memcached exited (status 0x%x) before serving", status);
		}
		if (now_ms() > deadline)
			die("memcached not serving after %d s", SERVE_TIMEOUT);
		usleep(2000);
	}
	conn_simple(c, "version\r\n", version, len);
	if (strncmp(version, "VERSION ", 8))
		die("unexpected answer to 'version': %s", version);
}

/* SIGUSR1: memcached saves its metadata and exits. */
static void stop_memcached(int sig)
{
	int status;

	if (kill(memcached_pid, sig))
		die("kill(memcached): %m");
	if (waitpid(memcached_pid, &status, 0) != memcached_pid)
		die("waitpid(memcached): %m");
	memcached_pid = 0;
	if (sig == SIGUSR1 && (!WIFEXITED(status) || WEXITSTATUS(status)))
		die("memcached did not stop cleanly (status 0x%x)", status);
}

/* Where memcached maps its cache file: the shared mapping of its size. */
static unsigned long cache_base(void)
{
	unsigned long start, end;
	char path[64], perm[8];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), "/proc/%d/maps", memcached_pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while ((n = fscanf(f, "%lx-%lx %7s%*[^\n]", &start, &end, perm)) != EOF) {
		if (n == 3 && perm[3] == 's' && end - start == CACHE_MB << 20)
			break;
		start = 0;
	}
	fclose(f);
	return start;
}

/* The "mmap_oldbase" the metadata file records, or 0. */
static unsigned long meta_old_base(int meta)
{
	static char buf[4096];
	ssize_t n;
	char *p;

	n = pread(meta, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	p = strstr(buf, "mmap_oldbase ");
	return p ? strtoul(p + 13, NULL, 16) : 0;
}

static void set_keys(struct conn *c, size_t *bytes)
{
	static char req[BATCH * (VALUE_MAX + 64)];
	char key[32], val[VALUE_MAX];
	unsigned int i, j, n;
	size_t used, vlen;
	char *line;

	*bytes = 0;
	for (i = 0; i < DEMO_KEYS; i += n) {
		n = DEMO_KEYS - i < BATCH ? DEMO_KEYS - i : BATCH;
		used = 0;
		for (j = 0; j < n; j++) {
			key_of(i + j, key, sizeof(key));
			vlen = value_of(i + j, val);
			*bytes += vlen;
			used += sprintf(req + used, "set %s 0 0 %zu\r\n", key, vlen);
			memcpy(req + used, val, vlen);
			used += vlen;
			memcpy(req + used, "\r\n", 2);
			used += 2;
		}
		write_all(c->fd, req, used);
		for (j = 0; j < n; j++) {
			line = conn_line(c);
			if (!line || strcmp(line, "STORED"))
				die("set demo:%05u: %s", i + j, line ? line : "(closed)");
		}
	}
}

/* Read every key back; returns the number of keys missing or different. */
static unsigned int verify_keys(struct conn *c)
{
	char req[BATCH * 16 + 16], key[32], val[VALUE_MAX], rkey[32];
	unsigned int i, j, n, bad = 0, reported = 0;
	unsigned char seen[BATCH];
	size_t used, vlen, len;
	char *line;

	for (i = 0; i < DEMO_KEYS; i += n) {
		n = DEMO_KEYS - i < BATCH ? DEMO_KEYS - i : BATCH;
		used = sprintf(req, "get");
		for (j = 0; j < n; j++) {
			key_of(i + j, key, sizeof(key));
			used += sprintf(req + used, " %s", key);
		}
		used += sprintf(req + used, "\r\n");
		write_all(c->fd, req, used);
		memset(seen, 0, sizeof(seen));
		while ((line = conn_line(c)) && strcmp(line, "END")) {
			unsigned int flags, k;

			if (sscanf(line, "VALUE %31s %u %zu", rkey, &flags, &len) != 3 ||
			    sscanf(rkey, "demo:%u", &k) != 1 || k < i || k >= i + n)
				die("unexpected answer to 'get': %s", line);
			if (conn_fill(c, len + 2))
				die("memcached closed the connection in a value");
			vlen = value_of(k, val);
			if (len != vlen || memcmp(c->buf + c->pos, val, len)) {
				if (reported++ < 10)
					say("MISMATCH %s: %zu bytes, expected %zu", rkey,
					    len, vlen);
				bad++;
			}
			seen[k - i] = 1;
			c->pos += len + 2;
		}
		if (!line)
			die("memcached closed the connection during 'get'");
		for (j = 0; j < n; j++) {
			if (seen[j])
				continue;
			if (reported++ < 10)
				say("MISSING demo:%05u", i + j);
			bad++;
		}
	}
	return bad;
}

static int new_memfd(const char *name)
{
	int fd = memfd_create(name, MFD_CLOEXEC);

	if (fd < 0)
		die("memfd_create(%s): %m", name);
	return fd;
}

/* @path -> /proc/<our pid>/fd/<fd>, for memcached to open. */
static void link_fd(int fd, const char *path)
{
	char target[64];

	snprintf(target, sizeof(target), "/proc/%d/fd/%d", getpid(), fd);
	unlink(path);
	if (symlink(target, path))
		die("symlink %s -> %s: %m", path, target);
}

static void describe_fd(int fd, const char *what)
{
	struct stat st;

	if (fstat(fd, &st))
		die("fstat(%s): %m", what);
	if (st.st_size >= 1024 * 1024)
		say("  %s memfd: %.1f MiB (%.1f MiB in memory)", what,
		    st.st_size / MiB, st.st_blocks * 512 / MiB);
	else
		say("  %s memfd: %lld bytes", what, (long long)st.st_size);
}

/* The session from luod: @flags say whether to create or retrieve it. */
static int luod_get_session(unsigned int flags, int *incoming)
{
	char msg[LUOD_MSG_LEN];
	int sock, sfd;

	sock = luod_connect(NULL);
	if (sock < 0)
		die("luod: %s", strerror(-sock));
	sfd = luod_session(sock, SESSION, flags, incoming, msg, sizeof(msg));
	if (sfd < 0)
		die("luod: %s", msg);
	close(sock);
	return sfd;
}

static void load_next_kernel(void)
{
	char out[4096];
	double t0 = now_ms();

	if (luoctl_load_next_stage(2, out, sizeof(out)))
		die("luoctl load: %s", out);
	say("luoctl load %s --initrd ... --reuse-cmdline: next kernel loaded (%.0f ms)",
	    VMTEST_KERNEL, now_ms() - t0);
}

static int stage1(void)
{
	int sfd, cache, meta, ret, incoming;
	char version[64];
	struct conn c;
	size_t bytes;
	double t0;

	luod_start("-v", NULL);
	sfd = luod_get_session(LUOD_SESSION_CREATE, &incoming);
	cache = new_memfd("memcached-cache");
	meta = new_memfd("memcached-meta");
	if (mkdir(RUN_DIR, 0755) && errno != EEXIST)
		die("mkdir %s: %m", RUN_DIR);
	/*
	 * memcached refuses to start on an empty metadata file: the link to
	 * the metadata memfd appears once it runs, for its shutdown to use.
	 */
	unlink(META_FILE);
	link_fd(cache, CACHE_FILE);
	say("session '%s' from luod; %s links to a memfd of pid %d", SESSION,
	    CACHE_FILE, getpid());

	start_memcached();
	wait_serving(&c, version, sizeof(version));
	say("memcached %s serving on %s (-m %d -e %s, mapped at %#lx)",
	    version + 8, SOCKET_FILE, CACHE_MB, CACHE_FILE, cache_base());
	link_fd(meta, META_FILE);

	t0 = now_ms();
	set_keys(&c, &bytes);
	say("set %d keys (%.1f MiB of values) in %.0f ms; curr_items %lld",
	    DEMO_KEYS, bytes / MiB, now_ms() - t0, conn_stat(&c, "curr_items"));
	close(c.fd);

	load_next_kernel();

	say("SIGUSR1 to memcached: graceful stop, metadata to %s", META_FILE);
	t0 = now_ms();
	stop_memcached(SIGUSR1);
	say("memcached stopped (%.0f ms)", now_ms() - t0);

	t0 = now_ms();
	ret = luo_preserve_fd(sfd, cache, TOKEN_CACHE);
	if (ret)
		die("preserve cache memfd: %s", strerror(-ret));
	ret = luo_preserve_fd(sfd, meta, TOKEN_META);
	if (ret)
		die("preserve metadata memfd: %s", strerror(-ret));
	say("preserved in session '%s' (%.1f ms):", SESSION, now_ms() - t0);
	describe_fd(cache, "cache");
	describe_fd(meta, "metadata");

	/* luod holds the session: the reboot freezes it. */
	close(sfd);
	luoctl_show("memcached_demo", "status", NULL);
	say("luoctl exec");
	ret = luoctl_show("memcached_demo", "exec", NULL);
	die("luoctl exec returned (exit %d)", ret);
}

static int stage2(void)
{
	char version[64], boot_id[64], prev[64], uptime[32];
	int sfd, cache, meta, incoming = 0;
	unsigned long base, old_base;
	struct utsname uts;
	unsigned int bad;
	double t0, t1;
	struct conn c;

	if (vmtest_read_file("/proc/uptime", uptime, sizeof(uptime)) < 0)
		uptime[0] = '\0';
	uptime[strcspn(uptime, " ")] = '\0';
	uname(&uts);
	say("agent running in the new kernel (%s, uptime %s s)", uts.release,
	    uptime);
	if (vmtest_boot_id(boot_id, sizeof(boot_id)) < 0 ||
	    vmtest_cmdline_get("vmtest.prev_boot_id", prev, sizeof(prev)) < 0 ||
	    !strcmp(boot_id, prev))
		die("not a new kernel (boot id %s, previous %s)", boot_id, prev);

	luod_start("-v", NULL);
	luoctl_show("memcached_demo", "status", NULL);
	t0 = now_ms();
	sfd = luod_get_session(LUOD_SESSION_RETRIEVE, &incoming);
	if (!incoming)
		die("session %s is not incoming", SESSION);
	cache = luo_retrieve_fd(sfd, TOKEN_CACHE);
	if (cache < 0)
		die("retrieve cache memfd: %s", strerror(-cache));
	meta = luo_retrieve_fd(sfd, TOKEN_META);
	if (meta < 0)
		die("retrieve metadata memfd: %s", strerror(-meta));
	say("retrieved session '%s' and its memfds (%.1f ms):", SESSION,
	    now_ms() - t0);
	describe_fd(cache, "cache");
	describe_fd(meta, "metadata");

	if (mkdir(RUN_DIR, 0755) && errno != EEXIST)
		die("mkdir %s: %m", RUN_DIR);
	link_fd(cache, CACHE_FILE);
	link_fd(meta, META_FILE);
	old_base = meta_old_base(meta);
	t1 = now_ms();
	start_memcached();
	wait_serving(&c, version, sizeof(version));
	say("memcached serving again (started in %.0f ms)", now_ms() - t1);
	base = cache_base();
	say("cache mapped at %#lx, at %#lx before: %s", base, old_base,
	    base == old_base ? "same address" : "memcached fixed its pointers up");
	say("restored curr_items %lld", conn_stat(&c, "curr_items"));

	t0 = now_ms();
	bad = verify_keys(&c);
	close(c.fd);
	if (bad)
		say("%u of %d keys missing or different", bad, DEMO_KEYS);
	else
		say("all %d keys verified (%.0f ms)", DEMO_KEYS, now_ms() - t0);

	close(sfd);
	if (luoctl_show("memcached_demo", "finish", SESSION))
		die("luoctl finish %s failed", SESSION);
	say("session finished; the memfds are ordinary memfds now");

	stop_memcached(SIGTERM);
	close(cache);
	close(meta);
	return bad ? KSFT_FAIL : KSFT_PASS;
}

int main(void)
{
	int stage = vmtest_stage();

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (access(MEMCACHED, X_OK) || access(LUOD_BIN, X_OK)) {
		say("needs %s and %s in the initramfs (dev/demo.sh)", MEMCACHED,
		    LUOD_BIN);
		return KSFT_SKIP;
	}
	if (stage == 1)
		return stage1();
	if (stage == 2)
		return stage2();
	die("unexpected stage %d", stage);
}
