// SPDX-License-Identifier: GPL-2.0
/*
 * A running VM survives the host kernel update: unmodified QEMU (10, from
 * Debian's bookworm-backports, see dev/qemu10.sh) runs a small guest
 * (vm_demo_guest.c) whose RAM is a memfd of ours; QEMU's cpr-reboot
 * migration saves only the device state, into a second memfd, and a new
 * QEMU takes the VM back from both.
 *
 * QEMU sees the memfds through /proc/self/fd/<n> of fds it inherits:
 *   -object memory-backend-file,id=ram0,mem-path=/proc/self/fd/<ram>,share=on
 *   -machine q35,memory-backend=ram0
 *   migrate uri file:/proc/self/fd/<state>
 * With the capability x-ignore-shared, the RAM of a shared, file-backed
 * memory backend is not written to the migration stream: the new QEMU maps
 * the same memfd and finds the guest's memory in place.
 *
 * Variant "cpr" (one kernel): save, quit, restore in a new QEMU.
 * Variant "kexec" (two stages), driven as a host would, through the agent
 * (tools/liveupdate): stage 1 starts luod, loads the next kernel with
 * luoctl load while the guest runs, saves and quits QEMU, preserves both
 * memfds in the VM's session, which luod hands out (vm_session()), lets
 * go of it and updates with luoctl exec; stage 2 starts luod, which hands
 * the session back, restores the VM in a new QEMU from its memfds, checks
 * it and finishes the session with luoctl finish.
 *
 * Checked: the guest did not reboot (same boot id, its counter goes on, no
 * second boot banner), its pattern is intact (the guest's own round-robin
 * check, and all of it read here from the memfd), and its RAM was not
 * copied (the state file is a small fraction of the guest RAM).
 *
 * Command line: vm_demo.hugetlb=1 or =2m (guest RAM on a hugetlb memfd of
 * 2 MiB pages), =1g (of 1 GiB pages: the CPU needs pdpe1gb, the kernel
 * SPARSEMEM_VMEMMAP; guest RAM a multiple of 1 GiB); the VM needs a pool of
 * that size, and the RAM memfd must come back as a hugetlb memfd of the same
 * page size. vm_demo.ram=<MiB> (guest RAM, 128), vm_demo.fill=<MiB>
 * (pattern, 16). Every step is a "vm_demo:" line on the console.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/memfd.h>

#include "../kselftest.h"
#include "../../../liveupdate/luod.h"
#include "luo_test_utils.h"
#include "vm_demo_guest.h"
#include "vmtest.h"

#define VM_NAME		"vm-demo"
#define TOKEN_RAM	1
#define TOKEN_STATE	2
#define TOKEN_META	3

#define QEMU		"/usr/bin/qemu-system-x86_64"
#define GUEST		VMTEST_TESTS_DIR "/vm_demo_guest"
#define QMP_SOCKET	"/tmp/vm-demo.qmp"

#define BOOT_TIMEOUT_MS		(300 * 1000)
#define REPORT_TIMEOUT_MS	(60 * 1000)
#define QMP_TIMEOUT_MS		(120 * 1000)

struct vm {
	pid_t pid;
	int ram;		/* guest RAM memfd */
	int state;		/* migration state memfd */
	int serial;		/* QEMU's stdout: the guest's COM1 */
	int qmp;
	char sbuf[4096];
	size_t slen;
	char qbuf[65536];
	size_t qlen;
	unsigned int ram_mib;
	unsigned long hugetlb;	/* guest RAM in hugetlb pages of this size, or 0 */
	/* What the guest said */
	int banners;
	uint32_t id;
	unsigned int fill_mib;
	uint64_t counter;
	bool bad;
};

static const char *qemu_bin = QEMU, *guest_bin = GUEST, *qmp_path = QMP_SOCKET;

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("vm_demo: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Say why the demo fails; returns -1 for the caller to return. */
static int fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("vm_demo: FAIL: ");
	vprintf(fmt, ap);
	printf("\n");
	va_end(ap);
	fflush(stdout);
	return -1;
}

/*
 * The LUO session of the VM @name, from luod: the incoming one after a
 * live update (*@incoming set), else a new one. luod keeps a reference
 * to it, so the session survives this process and is frozen by the
 * reboot that luoctl exec starts.
 */
static int luod_sock = -1;

static int vm_session(const char *name, bool *incoming)
{
	char msg[LUOD_MSG_LEN];
	int sfd, in = 0;

	if (luod_sock < 0) {
		luod_sock = luod_connect(NULL);
		if (luod_sock < 0)
			return luod_sock;
	}
	sfd = luod_session(luod_sock, name,
			   LUOD_SESSION_CREATE | LUOD_SESSION_RETRIEVE, &in,
			   msg, sizeof(msg));
	if (sfd < 0)
		say("luod: %s", msg);
	*incoming = in;
	return sfd;
}

/* Read what is there from @fd into @buf (of @size, @len used) within @ms. */
static int fill_buf(int fd, char *buf, size_t size, size_t *len, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	ssize_t n;
	int ret;

	if (*len >= size - 1)
		return -ENOSPC;
	ret = poll(&p, 1, ms);
	if (ret < 0)
		return -errno;
	if (!ret)
		return -ETIMEDOUT;
	n = read(fd, buf + *len, size - 1 - *len);
	if (n < 0)
		return -errno;
	if (!n)
		return -EPIPE;
	*len += n;
	buf[*len] = 0;
	return 0;
}

/* Take the first line out of @buf into @line: 1 if there was one. */
static int take_line(char *buf, size_t *len, char *line, size_t size)
{
	char *nl = memchr(buf, '\n', *len);
	size_t n;

	if (!nl)
		return 0;
	n = nl - buf;
	snprintf(line, size, "%.*s", (int)n, buf);
	line[strcspn(line, "\r")] = 0;
	memmove(buf, nl + 1, *len - n - 1);
	*len -= n + 1;
	buf[*len] = 0;
	return 1;
}

/* Note what a guest line says; 1 for a report, 2 for a banner. */
static int guest_line(struct vm *vm, const char *l)
{
	unsigned long long counter;
	unsigned int id, ram, fill;
	char pat[8];

	if (sscanf(l, VM_DEMO_BANNER " id=%x ram=%uMiB fill=%uMiB", &id, &ram, &fill) == 3) {
		vm->banners++;
		vm->id = id;
		vm->fill_mib = fill;
		return 2;
	}
	if (sscanf(l, VM_DEMO_REPORT "%x counter=%llu pattern=%7s", &id, &counter, pat) == 3) {
		if (id != vm->id) {
			say("guest id %08x, expected %08x", id, vm->id);
			vm->bad = true;
		}
		if (counter <= vm->counter) {
			say("guest counter %llu, not above %llu", counter,
			    (unsigned long long)vm->counter);
			vm->bad = true;
		}
		if (strcmp(pat, "ok"))
			vm->bad = true;
		vm->counter = counter;
		return 1;
	}
	return 0;
}

/* Wait for @n guest reports (or one banner if @n is 0), echoing the lines. */
static int wait_guest(struct vm *vm, int n, int ms)
{
	double end = now_ms() + ms;
	char line[512];
	int ret;

	for (;;) {
		while (take_line(vm->sbuf, &vm->slen, line, sizeof(line))) {
			say("%s", line);
			ret = guest_line(vm, line);
			if ((ret == 1 && --n <= 0) || (ret == 2 && n == 0))
				return 0;
		}
		ret = fill_buf(vm->serial, vm->sbuf, sizeof(vm->sbuf), &vm->slen,
			       (int)(end - now_ms()) > 0 ? (int)(end - now_ms()) : 0);
		if (ret)
			return fail("guest output: %s", strerror(-ret));
	}
}

/* Send a QMP command and return its reply ("return" or "error") in @out. */
static int qmp(struct vm *vm, char *out, size_t size, const char *fmt, ...)
{
	double end = now_ms() + QMP_TIMEOUT_MS;
	char cmd[1024], line[4096];
	va_list ap;
	int n, ret;

	va_start(ap, fmt);
	n = vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	if (write(vm->qmp, cmd, n) != n)
		return fail("QMP write: %m");
	for (;;) {
		while (take_line(vm->qbuf, &vm->qlen, line, sizeof(line))) {
			if (strstr(line, "\"event\""))
				continue;
			if (out)
				snprintf(out, size, "%s", line);
			if (strstr(line, "\"error\""))
				return fail("QMP %s: %s", cmd, line);
			return 0;
		}
		ret = fill_buf(vm->qmp, vm->qbuf, sizeof(vm->qbuf), &vm->qlen,
			       (int)(end - now_ms()) > 0 ? (int)(end - now_ms()) : 0);
		if (ret)
			return fail("QMP reply to %s: %s", cmd, strerror(-ret));
	}
}

/* The string value of "@key" in the JSON text @json, into @out. */
static int json_str(const char *json, const char *key, char *out, size_t size)
{
	char pat[64];
	const char *p;
	size_t n;

	snprintf(pat, sizeof(pat), "\"%s\"", key);
	p = strstr(json, pat);
	if (!p)
		return -ENOENT;
	p += strlen(pat);
	p += strspn(p, " :");
	if (*p++ != '"')
		return -EINVAL;
	n = strcspn(p, "\"");
	snprintf(out, size, "%.*s", (int)n, p);
	return 0;
}

/* Poll query-migrate until it completes. */
static int migrate_wait(struct vm *vm)
{
	double end = now_ms() + QMP_TIMEOUT_MS;
	char reply[4096], status[64];

	while (now_ms() < end) {
		if (qmp(vm, reply, sizeof(reply), "{\"execute\": \"query-migrate\"}\n"))
			return -1;
		if (json_str(reply, "status", status, sizeof(status)))
			status[0] = 0;
		if (!strcmp(status, "completed"))
			return 0;
		if (!strcmp(status, "failed") || !strcmp(status, "cancelled"))
			return fail("migration %s: %s", status, reply);
		usleep(2000);
	}
	return fail("migration did not complete");
}

/* The cpr-reboot settings, on both sides. */
static int cpr_setup(struct vm *vm)
{
	if (qmp(vm, NULL, 0,
		"{\"execute\": \"migrate-set-capabilities\", \"arguments\": %s}\n",
		"{\"capabilities\": [{\"capability\": \"x-ignore-shared\", \"state\": true}]}"))
		return -1;
	return qmp(vm, NULL, 0,
		   "{\"execute\": \"migrate-set-parameters\", \"arguments\": {\"mode\": \"cpr-reboot\"}}\n");
}

/* Start QEMU on vm->ram; @incoming: paused, waiting for migrate-incoming. */
static int vm_start(struct vm *vm, bool incoming)
{
	char mem[64], backend[256], append[64];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	const char *datadir = getenv("VM_DEMO_DATADIR");
	double end;
	int pfd[2];
	char greeting[4096];

	snprintf(mem, sizeof(mem), "%uM", vm->ram_mib);
	snprintf(backend, sizeof(backend),
		 "memory-backend-file,id=ram0,size=%uM,mem-path=/proc/self/fd/%d,share=on",
		 vm->ram_mib, vm->ram);
	snprintf(append, sizeof(append), "fill=%u", vm->fill_mib);
	unlink(qmp_path);
	if (pipe2(pfd, O_CLOEXEC))
		return fail("pipe: %m");
	vm->pid = fork();
	if (vm->pid < 0)
		return fail("fork: %m");
	if (!vm->pid) {
		const char *argv[40];
		char qmparg[128];
		int i = 0;

		snprintf(qmparg, sizeof(qmparg), "unix:%s,server=on,wait=off", qmp_path);
		dup2(pfd[1], STDOUT_FILENO);
		/* The memfds: inherited, and at the same numbers. */
		fcntl(vm->ram, F_SETFD, 0);
		fcntl(vm->state, F_SETFD, 0);
		argv[i++] = qemu_bin;
		argv[i++] = "-nodefaults";
		argv[i++] = "-no-user-config";
		argv[i++] = "-display";
		argv[i++] = "none";
		argv[i++] = "-monitor";
		argv[i++] = "none";
		argv[i++] = "-serial";
		argv[i++] = "stdio";
		argv[i++] = "-accel";
		argv[i++] = "tcg";
		argv[i++] = "-machine";
		argv[i++] = "q35,memory-backend=ram0";
		argv[i++] = "-m";
		argv[i++] = mem;
		argv[i++] = "-object";
		argv[i++] = backend;
		argv[i++] = "-bios";
		argv[i++] = "qboot.rom";
		argv[i++] = "-kernel";
		argv[i++] = guest_bin;
		argv[i++] = "-append";
		argv[i++] = append;
		argv[i++] = "-qmp";
		argv[i++] = qmparg;
		if (datadir) {
			argv[i++] = "-L";
			argv[i++] = datadir;
		}
		if (incoming) {
			argv[i++] = "-S";
			argv[i++] = "-incoming";
			argv[i++] = "defer";
		}
		argv[i] = NULL;
		execv(qemu_bin, (char **)argv);
		fprintf(stderr, "vm_demo: exec %s: %m\n", qemu_bin);
		_exit(127);
	}
	close(pfd[1]);
	vm->serial = pfd[0];
	vm->slen = 0;
	vm->qlen = 0;

	/* QMP: connect once QEMU listens, read the greeting, negotiate. */
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", qmp_path);
	end = now_ms() + QMP_TIMEOUT_MS;
	for (;;) {
		vm->qmp = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (vm->qmp < 0)
			return fail("socket: %m");
		if (!connect(vm->qmp, (struct sockaddr *)&sa, sizeof(sa)))
			break;
		close(vm->qmp);
		if (waitpid(vm->pid, NULL, WNOHANG) == vm->pid)
			return fail("QEMU exited before its QMP socket was there");
		if (now_ms() > end)
			return fail("no QMP socket %s", qmp_path);
		usleep(5000);
	}
	while (!take_line(vm->qbuf, &vm->qlen, greeting, sizeof(greeting)))
		if (fill_buf(vm->qmp, vm->qbuf, sizeof(vm->qbuf), &vm->qlen, QMP_TIMEOUT_MS))
			return fail("no QMP greeting");
	return qmp(vm, NULL, 0, "{\"execute\": \"qmp_capabilities\"}\n");
}

/* Tell QEMU to quit and reap it. */
static int vm_quit(struct vm *vm)
{
	int status;

	qmp(vm, NULL, 0, "{\"execute\": \"quit\"}\n");
	if (waitpid(vm->pid, &status, 0) != vm->pid)
		return fail("waitpid: %m");
	close(vm->qmp);
	close(vm->serial);
	vm->pid = 0;
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		return fail("QEMU exit status %#x", status);
	return 0;
}

static void vm_kill(struct vm *vm)
{
	if (vm->pid > 0) {
		kill(vm->pid, SIGKILL);
		waitpid(vm->pid, NULL, 0);
		vm->pid = 0;
	}
}

/* What kind of memfd holds the guest RAM. */
static const char *ram_kind(int fd)
{
	struct statfs sf;

	if (fstatfs(fd, &sf))
		return "unknown";
	return sf.f_type == HUGETLBFS_MAGIC ? "hugetlb" : "shmem";
}

/*
 * The page size of the guest RAM memfd: fstatfs's f_bsize, which must be
 * fstat's st_blksize too (both are the huge page size on hugetlbfs); 0 if
 * they differ or cannot be read.
 */
static unsigned long ram_page(int fd)
{
	struct statfs sf;
	struct stat st;

	if (fstatfs(fd, &sf) || fstat(fd, &st) || sf.f_bsize != st.st_blksize)
		return 0;
	return sf.f_bsize;
}

/* "4 KiB", "2 MiB", "1 GiB" pages. */
static const char *page_str(unsigned long size)
{
	static char buf[32];

	if (size >= VM_DEMO_MIB * 1024)
		snprintf(buf, sizeof(buf), "%lu GiB", size / (VM_DEMO_MIB * 1024));
	else if (size >= VM_DEMO_MIB)
		snprintf(buf, sizeof(buf), "%lu MiB", size / VM_DEMO_MIB);
	else
		snprintf(buf, sizeof(buf), "%lu KiB", size / 1024);
	return buf;
}

/* Whether the guest RAM memfd is what vm->hugetlb asks for; says why not. */
static int check_ram_kind(struct vm *vm, const char *when)
{
	const char *kind = ram_kind(vm->ram);
	unsigned long page = ram_page(vm->ram);

	if (!vm->hugetlb)
		return strcmp(kind, "shmem") ?
		       fail("%s: the guest RAM is a %s memfd", when, kind) : 0;
	if (strcmp(kind, "hugetlb") || page != vm->hugetlb)
		return fail("%s: the guest RAM is a %s memfd of %s pages, not hugetlb of %s",
			    when, kind, page_str(page), page_str(vm->hugetlb));
	return 0;
}

/* Boot the guest and save it: QEMU gone, the VM in vm->ram and vm->state. */
static int vm_boot_and_save(struct vm *vm)
{
	char line[512];
	struct stat st;
	double t0, t1, t2;

	say("QEMU %s: %u MiB guest RAM on %s memfd %d (%s pages), state to memfd %d",
	    qemu_bin, vm->ram_mib, ram_kind(vm->ram), vm->ram,
	    page_str(ram_page(vm->ram)), vm->state);
	t0 = now_ms();
	if (vm_start(vm, false))
		return -1;
	if (wait_guest(vm, 0, BOOT_TIMEOUT_MS))
		return -1;
	say("guest booted (%.0f ms after QEMU started)", now_ms() - t0);
	/* The fill line and two reports. */
	if (wait_guest(vm, 2, BOOT_TIMEOUT_MS))
		return -1;
	if (vm->bad || vm->banners != 1)
		return fail("guest not healthy before the save");

	if (cpr_setup(vm))
		return -1;
	t0 = now_ms();
	if (qmp(vm, NULL, 0,
		"{\"execute\": \"migrate\", \"arguments\": {\"uri\": \"file:/proc/self/fd/%d\"}}\n",
		vm->state))
		return -1;
	if (migrate_wait(vm))
		return -1;
	t1 = now_ms();
	if (vm_quit(vm))
		return -1;
	t2 = now_ms();
	/* What the guest printed before it stopped. */
	while (take_line(vm->sbuf, &vm->slen, line, sizeof(line)))
		;
	if (fstat(vm->state, &st))
		return fail("fstat: %m");
	say("QEMU saved the VM in %.0f ms (cpr-reboot, x-ignore-shared), quit in %.0f ms",
	    t1 - t0, t2 - t1);
	say("state file %lld KiB for %u MiB of guest RAM (%.2f%%); last counter %llu",
	    (long long)st.st_size / 1024, vm->ram_mib,
	    100.0 * st.st_size / ((double)vm->ram_mib * VM_DEMO_MIB),
	    (unsigned long long)vm->counter);
	if (st.st_size <= 0 || st.st_size > (off_t)vm->ram_mib * VM_DEMO_MIB / 10)
		return fail("the state file is not a small fraction of guest RAM");
	return 0;
}

/* Every word of the pattern, read from the RAM memfd. */
static int check_pattern(struct vm *vm)
{
	size_t len = (size_t)vm->fill_mib * VM_DEMO_MIB;
	const uint32_t *w;
	uint32_t i;
	double t0 = now_ms();

	if (!len)
		return 0;
	w = mmap(NULL, VM_DEMO_FILL_BASE + len, PROT_READ, MAP_SHARED, vm->ram, 0);
	if (w == MAP_FAILED)
		return fail("mmap guest RAM: %m");
	w += VM_DEMO_FILL_BASE / 4;
	for (i = 0; i < len / 4; i++)
		if (w[i] != vm_demo_word(vm->id, i))
			break;
	munmap((void *)(w - VM_DEMO_FILL_BASE / 4), VM_DEMO_FILL_BASE + len);
	if (i < len / 4)
		return fail("guest RAM word %u: not the pattern of id %08x", i, vm->id);
	say("guest RAM pattern verified from the memfd: %u MiB (%.0f ms)",
	    vm->fill_mib, now_ms() - t0);
	return 0;
}

/* A new QEMU takes the VM back; the guest must go on where it was. */
static int vm_restore(struct vm *vm)
{
	uint64_t before = vm->counter;
	double t0, t1, t2, t3, t4;

	vm->banners = 0;
	t0 = now_ms();
	if (vm_start(vm, true))
		return -1;
	t1 = now_ms();
	if (cpr_setup(vm))
		return -1;
	if (qmp(vm, NULL, 0,
		"{\"execute\": \"migrate-incoming\", \"arguments\": {\"uri\": \"file:/proc/self/fd/%d\"}}\n",
		vm->state))
		return -1;
	if (migrate_wait(vm))
		return -1;
	t2 = now_ms();
	if (qmp(vm, NULL, 0, "{\"execute\": \"cont\"}\n"))
		return -1;
	t3 = now_ms();
	if (wait_guest(vm, 1, REPORT_TIMEOUT_MS))
		return -1;
	t4 = now_ms();
	say("QEMU restored the VM in %.0f ms: start %.0f, migrate-incoming %.0f, cont %.0f; "
	    "first guest report after %.0f ms more",
	    t3 - t0, t1 - t0, t2 - t1, t3 - t2, t4 - t3);
	if (wait_guest(vm, 2, REPORT_TIMEOUT_MS))
		return -1;
	if (vm->banners)
		return fail("the guest booted again");
	if (vm->bad)
		return fail("the guest did not go on where it was");
	say("guest continued: id %08x, counter %llu -> %llu, pattern ok, no second boot",
	    vm->id, (unsigned long long)before, (unsigned long long)vm->counter);
	if (check_pattern(vm))
		return -1;
	return vm_quit(vm);
}

/* A size from the kernel command line, else from the environment. */
static unsigned int cmdline_mib(const char *key, const char *var, unsigned int def)
{
	const char *env = getenv(var);
	char buf[32];

	if (vmtest_cmdline_get(key, buf, sizeof(buf)) > 0)
		return strtoul(buf, NULL, 0);
	return env ? strtoul(env, NULL, 0) : def;
}

/* The first line of "qemu --version" (no shell in the test VM). */
static int qemu_version(void)
{
	char buf[512] = "";
	size_t len = 0;
	int pfd[2], status;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return fail("pipe: %m");
	pid = fork();
	if (pid < 0)
		return fail("fork: %m");
	if (!pid) {
		dup2(pfd[1], STDOUT_FILENO);
		execl(qemu_bin, qemu_bin, "--version", (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	while (!fill_buf(pfd[0], buf, sizeof(buf), &len, 30000))
		;
	close(pfd[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return fail("%s --version failed", qemu_bin);
	buf[strcspn(buf, "\n")] = 0;
	say("%s", buf);
	return 0;
}

/*
 * vm_demo.hugetlb= (or $VM_DEMO_HUGETLB): 0 (shmem), 1 or 2m (2 MiB
 * pages), 1g (1 GiB pages). The page size, 0 for shmem.
 */
static unsigned long huge_size(void)
{
	const char *env = getenv("VM_DEMO_HUGETLB");
	char buf[32] = "0";

	if (vmtest_cmdline_get("vm_demo.hugetlb", buf, sizeof(buf)) <= 0 && env)
		snprintf(buf, sizeof(buf), "%s", env);
	if (!strcasecmp(buf, "1g"))
		return 1024 * VM_DEMO_MIB;
	if (!strcmp(buf, "1") || !strcasecmp(buf, "2m"))
		return 2 * VM_DEMO_MIB;
	return 0;
}

static int vm_init(struct vm *vm)
{
	memset(vm, 0, sizeof(*vm));
	vm->ram_mib = cmdline_mib("vm_demo.ram", "VM_DEMO_RAM", 128);
	vm->fill_mib = cmdline_mib("vm_demo.fill", "VM_DEMO_FILL", VM_DEMO_FILL_MIB);
	vm->hugetlb = huge_size();
	if (getenv("VM_DEMO_QEMU"))
		qemu_bin = getenv("VM_DEMO_QEMU");
	if (getenv("VM_DEMO_GUEST"))
		guest_bin = getenv("VM_DEMO_GUEST");
	if (getenv("VM_DEMO_QMP"))
		qmp_path = getenv("VM_DEMO_QMP");
	if (access(qemu_bin, X_OK)) {
		say("no %s (dev/qemu10.sh puts it into the initramfs)", qemu_bin);
		return KSFT_SKIP;
	}
	/* Not in the blackout: a VMM would have been started before. */
	if (vmtest_stage() == 1 && qemu_version())
		return KSFT_FAIL;
	return 0;
}

static int new_memfds(struct vm *vm)
{
	unsigned int huge = 0;

	/* vm_demo.hugetlb=: guest RAM in 2 MiB or 1 GiB hugetlb pages. */
	if (vm->hugetlb)
		huge = MFD_HUGETLB | (vm->hugetlb == 2 * VM_DEMO_MIB ? MFD_HUGE_2MB : MFD_HUGE_1GB);
	if (vm->hugetlb && (off_t)vm->ram_mib * VM_DEMO_MIB % vm->hugetlb)
		return fail("%u MiB of guest RAM is not a multiple of %s pages",
			    vm->ram_mib, page_str(vm->hugetlb));
	if (vm->hugetlb) {
		char path[96], buf[32] = "";
		unsigned long need = (unsigned long)vm->ram_mib * VM_DEMO_MIB / vm->hugetlb;

		snprintf(path, sizeof(path),
			 "/sys/kernel/mm/hugepages/hugepages-%lukB/free_hugepages",
			 vm->hugetlb / 1024);
		vmtest_read_file(path, buf, sizeof(buf));
		buf[strcspn(buf, "\n")] = 0;
		if (strtoul(buf, NULL, 10) < need)
			return fail("%s free pages of %s, %lu needed (hugepagesz= hugepages=)",
				    buf[0] ? buf : "no", page_str(vm->hugetlb), need);
		say("guest RAM: %lu of the %s free hugetlb pages of %s", need, buf,
		    page_str(vm->hugetlb));
	}
	vm->ram = memfd_create("vm-demo-ram", MFD_CLOEXEC | huge);
	vm->state = memfd_create("vm-demo-state", MFD_CLOEXEC);
	if (vm->ram < 0 || vm->state < 0)
		return fail("memfd_create: %m");
	if (ftruncate(vm->ram, (off_t)vm->ram_mib * VM_DEMO_MIB))
		return fail("ftruncate: %m");
	return check_ram_kind(vm, "new memfd");
}

static int run_cpr(void)
{
	struct vm vm;
	int ret = vm_init(&vm);

	if (ret)
		return ret;
	if (new_memfds(&vm) || vm_boot_and_save(&vm) || vm_restore(&vm)) {
		vm_kill(&vm);
		return KSFT_FAIL;
	}
	say("pass: the VM went on in a new QEMU");
	return KSFT_PASS;
}

/*
 * Stage 1: boot the guest, load the next kernel while it runs, save and
 * quit QEMU, preserve the guest RAM, the state and a few facts for the
 * check (the VMM's own record) in the VM's session, and reboot into the
 * next kernel with the session open.
 */
static int kexec_stage1(void)
{
	char meta[256];
	struct vm vm;
	bool incoming;
	double t0, t1;
	int sfd, mfd, ret = vm_init(&vm);

	if (ret)
		return ret;
	if (new_memfds(&vm))
		return KSFT_FAIL;
	luod_start("-v", NULL);
	t0 = now_ms();
	ret = luoctl_load_next_stage(2, meta, sizeof(meta));
	if (ret) {
		say("FAIL: luoctl load: %s", meta);
		return KSFT_FAIL;
	}
	say("luoctl load: next kernel loaded (%.0f ms)", now_ms() - t0);
	if (vm_boot_and_save(&vm)) {
		vm_kill(&vm);
		return KSFT_FAIL;
	}

	t0 = now_ms();
	sfd = vm_session(VM_NAME, &incoming);
	if (sfd < 0 || incoming) {
		say("FAIL: session %s: %s", VM_NAME,
		    sfd < 0 ? strerror(-sfd) : "incoming in stage 1");
		return KSFT_FAIL;
	}
	mfd = memfd_create("vm-demo-meta", MFD_CLOEXEC);
	snprintf(meta, sizeof(meta), "id=%08x counter=%llu fill=%u\n", vm.id,
		 (unsigned long long)vm.counter, vm.fill_mib);
	if (mfd < 0 || write(mfd, meta, strlen(meta)) != (ssize_t)strlen(meta)) {
		say("FAIL: meta memfd: %m");
		return KSFT_FAIL;
	}
	ret = luo_preserve_fd(sfd, vm.ram, TOKEN_RAM);
	if (!ret)
		ret = luo_preserve_fd(sfd, vm.state, TOKEN_STATE);
	if (!ret)
		ret = luo_preserve_fd(sfd, mfd, TOKEN_META);
	if (ret) {
		say("FAIL: preserve: %s", strerror(-ret));
		return KSFT_FAIL;
	}
	t1 = now_ms();
	say("preserved guest RAM, state and record in session '%s' (%.1f ms)", VM_NAME, t1 - t0);
	/* The VMM side lets go: luod holds the session from now on. */
	close(sfd);
	close(mfd);
	luoctl_show("vm_demo", "status", NULL);
	say("luoctl exec");
	luoctl_show("vm_demo", "exec", NULL);
	say("FAIL: luoctl exec returned");
	return KSFT_FAIL;
}

/* Stage 2: the session back, a new QEMU on its memfds, the same guest. */
static int kexec_stage2(void)
{
	char meta[256] = "", uptime[32] = "?";
	struct vm vm;
	unsigned long long counter;
	struct stat st;
	bool incoming;
	double t0;
	int sfd, mfd, ret;

	vmtest_read_file("/proc/uptime", uptime, sizeof(uptime));
	uptime[strcspn(uptime, " ")] = 0;
	say("running in the new kernel (uptime %s s)", uptime);
	ret = vm_init(&vm);
	if (ret)
		return ret;
	luod_start("-v", NULL);
	luoctl_show("vm_demo", "status", NULL);
	t0 = now_ms();
	sfd = vm_session(VM_NAME, &incoming);
	if (sfd < 0 || !incoming) {
		say("FAIL: session %s: %s", VM_NAME, sfd < 0 ? strerror(-sfd) : "not incoming");
		return KSFT_FAIL;
	}
	vm.ram = luo_retrieve_fd(sfd, TOKEN_RAM);
	vm.state = luo_retrieve_fd(sfd, TOKEN_STATE);
	mfd = luo_retrieve_fd(sfd, TOKEN_META);
	if (vm.ram < 0 || vm.state < 0 || mfd < 0) {
		say("FAIL: retrieve: %s / %s / %s", strerror(-vm.ram), strerror(-vm.state),
		    strerror(-mfd));
		return KSFT_FAIL;
	}
	if (pread(mfd, meta, sizeof(meta) - 1, 0) <= 0 ||
	    sscanf(meta, "id=%x counter=%llu fill=%u", &vm.id, &counter, &vm.fill_mib) != 3 ||
	    fstat(vm.ram, &st)) {
		say("FAIL: the VM's record: '%s'", meta);
		return KSFT_FAIL;
	}
	vm.counter = counter;
	vm.ram_mib = st.st_size / VM_DEMO_MIB;
	fstat(vm.state, &st);
	say("retrieved session '%s' (%.1f ms): guest RAM %u MiB (%s, %s pages), state %lld KiB",
	    VM_NAME, now_ms() - t0, vm.ram_mib, ram_kind(vm.ram),
	    page_str(ram_page(vm.ram)), (long long)st.st_size / 1024);
	if (check_ram_kind(&vm, "retrieved"))
		return KSFT_FAIL;
	if (vm_restore(&vm)) {
		vm_kill(&vm);
		return KSFT_FAIL;
	}
	close(sfd);
	if (luoctl_show("vm_demo", "finish", VM_NAME)) {
		say("FAIL: luoctl finish %s", VM_NAME);
		return KSFT_FAIL;
	}
	say("pass: the VM went on across the kernel update; session finished");
	return KSFT_PASS;
}

int main(void)
{
	char variant[32] = "cpr";

	vmtest_cmdline_get("vmtest.variant", variant, sizeof(variant));
	if (getenv("VM_DEMO_VARIANT"))
		snprintf(variant, sizeof(variant), "%s", getenv("VM_DEMO_VARIANT"));
	if (!strcmp(variant, "cpr"))
		return run_cpr();
	if (!strcmp(variant, "kexec"))
		return vmtest_stage() == 1 ? kexec_stage1() : kexec_stage2();
	say("unknown variant %s", variant);
	return KSFT_FAIL;
}
