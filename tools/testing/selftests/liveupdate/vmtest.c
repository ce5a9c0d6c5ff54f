// SPDX-License-Identifier: GPL-2.0
/*
 * Stage and kexec helpers for tests run by vmtest_init. See vmtest.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/reboot.h>
#include <sys/syscall.h>

#include "vmtest.h"

/* The initramfs, kept by the "retain_initrd" boot parameter. */
#define VMTEST_INITRD		"/sys/firmware/initrd"
#define VMTEST_CMDLINE_MAX	2048
/* Arguments a stage adds for the next kernel; tmpfs, gone after the kexec. */
#define VMTEST_NEXT_ARGS	"/tmp/vmtest-next-args"

int vmtest_read_file(const char *path, char *buf, size_t len)
{
	size_t used = 0;
	ssize_t n = 0;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* proc files hand out one page per read(): read to the end. */
	while (used < len - 1 && (n = read(fd, buf + used, len - 1 - used)) > 0)
		used += n;
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	buf[used] = '\0';
	while (used > 0 && (buf[used - 1] == '\n' || buf[used - 1] == ' '))
		buf[--used] = '\0';
	return used;
}

int vmtest_write_file(const char *path, const char *s)
{
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) < 0)
		ret = -errno;
	close(fd);
	return ret;
}

int vmtest_cmdline_get(const char *key, char *buf, size_t len)
{
	char cmdline[VMTEST_CMDLINE_MAX];
	size_t klen = strlen(key), vlen;
	char *tok, *save;
	int ret;

	ret = vmtest_read_file("/proc/cmdline", cmdline, sizeof(cmdline));
	if (ret < 0)
		return ret;
	for (tok = strtok_r(cmdline, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (strncmp(tok, key, klen) || tok[klen] != '=')
			continue;
		vlen = strlen(tok + klen + 1);
		if (vlen >= len)
			return -ENOSPC;
		memcpy(buf, tok + klen + 1, vlen + 1);
		return vlen;
	}
	return -ENOENT;
}

int vmtest_stage(void)
{
	char val[16], *end;
	long stage;
	int ret;

	ret = vmtest_cmdline_get("vmtest.stage", val, sizeof(val));
	if (ret == -ENOENT)
		return 1;
	if (ret <= 0)
		return -1;
	stage = strtol(val, &end, 10);
	if (*end || stage < 1 || stage > 1000)
		return -1;
	return stage;
}

int vmtest_boot_id(char *buf, size_t len)
{
	return vmtest_read_file("/proc/sys/kernel/random/boot_id", buf, len);
}

int vmtest_set_next_args(const char *args)
{
	int fd, ret = 0;

	fd = open(VMTEST_NEXT_ARGS, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, args, strlen(args)) != (ssize_t)strlen(args))
		ret = -EIO;
	close(fd);
	return ret;
}

/*
 * This boot's command line minus any vmtest.stage/prev_boot_id, plus new
 * ones, @extra (may be NULL) and what the stage asked for with
 * vmtest_set_next_args().
 */
static int next_cmdline(int next_stage, const char *extra, char *out,
			size_t len)
{
	char cmdline[VMTEST_CMDLINE_MAX], boot_id[64], asked[512];
	char *tok, *save;
	size_t used = 0;
	int ret;

	ret = vmtest_read_file("/proc/cmdline", cmdline, sizeof(cmdline));
	if (ret < 0)
		return ret;
	ret = vmtest_boot_id(boot_id, sizeof(boot_id));
	if (ret < 0)
		return ret;

	out[0] = '\0';
	for (tok = strtok_r(cmdline, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		if (!strncmp(tok, "vmtest.stage=", 13) ||
		    !strncmp(tok, "vmtest.prev_boot_id=", 20))
			continue;
		ret = snprintf(out + used, len - used, "%s ", tok);
		if (ret < 0 || (size_t)ret >= len - used)
			return -E2BIG;
		used += ret;
	}
	ret = snprintf(out + used, len - used,
		       "vmtest.stage=%d vmtest.prev_boot_id=%s%s%s",
		       next_stage, boot_id, extra ? " " : "", extra ? extra : "");
	if (ret < 0 || (size_t)ret >= len - used)
		return -E2BIG;
	used += ret;

	ret = vmtest_read_file(VMTEST_NEXT_ARGS, asked, sizeof(asked));
	if (ret == -ENOENT)
		return 0;
	if (ret < 0)
		return ret;
	ret = snprintf(out + used, len - used, " %s", asked);
	if (ret < 0 || (size_t)ret >= len - used)
		return -E2BIG;
	return 0;
}

/*
 * kexec_file_load() refuses a file that is open for writing, and reads the
 * whole file, so the retained initramfs is copied from sysfs into a tmpfs
 * file that is then reopened read-only and unlinked: the copy is freed when
 * the returned fd is closed (the loaded image lives in kernel memory).
 */
static int copy_initrd(void)
{
	char tmpl[] = "/tmp/vmtest-initrd-XXXXXX";
	int in, out, ret;
	char buf[65536];
	ssize_t n;

	in = open(VMTEST_INITRD, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = mkostemp(tmpl, O_CLOEXEC);
	if (out < 0) {
		ret = -errno;
		goto err_close_in;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, n) != n) {
			n = -1;
			errno = EIO;
			break;
		}
	}
	ret = n < 0 ? -errno : 0;
	close(out);
	if (!ret) {
		ret = open(tmpl, O_RDONLY | O_CLOEXEC);
		if (ret < 0)
			ret = -errno;
	}
	unlink(tmpl);
err_close_in:
	close(in);
	return ret;
}

int vmtest_next_cmdline(int next_stage, char *out, size_t len)
{
	return next_cmdline(next_stage, NULL, out, len);
}

int vmtest_kexec_load(int next_stage)
{
	return vmtest_kexec_load_args(next_stage, NULL);
}

int vmtest_kexec_load_args(int next_stage, const char *extra)
{
	char cmdline[VMTEST_CMDLINE_MAX];
	int kfd, ifd, ret;

	ret = next_cmdline(next_stage, extra, cmdline, sizeof(cmdline));
	if (ret)
		return ret;

	kfd = open(VMTEST_KERNEL, O_RDONLY | O_CLOEXEC);
	if (kfd < 0)
		return -errno;
	ifd = copy_initrd();
	if (ifd < 0) {
		ret = ifd;
		goto out_close_kernel;
	}
	ret = 0;
	if (syscall(SYS_kexec_file_load, kfd, ifd, strlen(cmdline) + 1,
		    cmdline, 0UL))
		ret = -errno;
	close(ifd);
out_close_kernel:
	close(kfd);
	return ret;
}

int vmtest_kexec_reboot(void)
{
	sync();
	syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
		LINUX_REBOOT_CMD_KEXEC, NULL);
	return -errno;
}

static long meminfo_free_kib(char *buf, size_t len)
{
	char *p;

	if (vmtest_read_file("/proc/meminfo", buf, len) < 0)
		return -1;
	p = strstr(buf, "\nMemFree:");
	return p ? strtol(p + 9, NULL, 10) : -1;
}

long vmtest_mem_free_kib(void)
{
	static char buf[65536];
	long free_before, free_after, pcp_pages;
	int tries;
	char *p;

	/*
	 * The per-CPU lists drain into the buddy allocator on their own
	 * (several MiB at a time after a large free): pages that move while
	 * the two files are read would be counted in neither. Read MemFree
	 * on both sides of the per-CPU counts, and again until it held still.
	 */
	for (tries = 0; tries < 50; tries++) {
		free_before = meminfo_free_kib(buf, sizeof(buf));
		if (free_before < 0 ||
		    vmtest_read_file("/proc/zoneinfo", buf, sizeof(buf)) < 0)
			return -1;
		pcp_pages = 0;
		for (p = buf; (p = strstr(p, "\n              count: ")); p++)
			pcp_pages += strtol(p + 22, NULL, 10);
		free_after = meminfo_free_kib(buf, sizeof(buf));
		if (free_after < 0)
			return -1;
		if (free_after == free_before)
			break;
		usleep(10000);
	}
	return free_after + pcp_pages * (getpagesize() / 1024);
}

int vmtest_kmsg_line(const char *needle, char *buf, size_t len)
{
	char rec[1024], *msg;
	int fd, found = 0;
	ssize_t n;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = '\0';
		if (!strstr(rec, needle))
			continue;
		found = 1;
		if (buf && len) {
			/* "<prefix>;<message>\n", continuation lines after it */
			msg = strchr(rec, ';');
			msg = msg ? msg + 1 : rec;
			msg[strcspn(msg, "\n")] = '\0';
			snprintf(buf, len, "%s", msg);
		}
		break;
	}
	close(fd);
	return found;
}

int vmtest_kmsg_has(const char *needle)
{
	return vmtest_kmsg_line(needle, NULL, 0);
}

long vmtest_kho_deferred_pages(void)
{
	char msg[256], *p;

	if (!vmtest_kmsg_line("preserved memory blocks reserved", msg, sizeof(msg)))
		return -1;
	p = strstr(msg, "reserved, ");
	return p ? strtol(p + 10, NULL, 10) : -1;
}

long vmtest_kho_late_pages(long *early)
{
	char msg[256], *p;
	long n;

	if (!vmtest_kmsg_line("preserved pages initialised in", msg, sizeof(msg)))
		return -1;
	p = strstr(msg, "struct pages of ");
	if (!p)
		return -1;
	n = strtol(p + 16, NULL, 10);
	p = strstr(msg, "CPUs (");
	if (early)
		*early = p ? strtol(p + 6, NULL, 10) : -1;
	return n;
}
