// SPDX-License-Identifier: GPL-2.0
/*
 * PID 1 of the QEMU test VM (see vmtest.sh and vmtest.h).
 *
 * Runs the stage of the test named by "vmtest.test=<name>" on the command
 * line and acts on its exit status: report the result, or load the same
 * kernel and initramfs with kexec_file_load() and reboot into the next stage
 * with LINUX_REBOOT_CMD_KEXEC. Every outcome is one line on the console that
 * the runner parses:
 *
 *   vmtest: init stage=<n> test=<name> boot_id=<uuid> uptime=<s>
 *   vmtest: kexec stage=<n+1>
 *   vmtest: RESULT <name> pass|fail|skip stage=<n> [reason]
 *
 * After the result the VM is restarted; QEMU runs with -no-reboot, so it
 * exits instead. A kernel panic also ends in a restart (panic=-1).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/reboot.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../kselftest.h"
#include "vmtest.h"

static void setup_console(void)
{
	int fd;

	if (fcntl(STDOUT_FILENO, F_GETFD) >= 0)
		return;
	fd = open("/dev/console", O_RDWR);
	if (fd < 0)
		return;
	dup2(fd, STDIN_FILENO);
	dup2(fd, STDOUT_FILENO);
	dup2(fd, STDERR_FILENO);
	if (fd > STDERR_FILENO)
		close(fd);
}

/*
 * The lines the runner counts (init, kexec, RESULT) go through the kernel
 * log: a printk record reaches the console whole, while a write to the
 * console can be cut by a kernel message printed meanwhile (seen under the
 * debug kernel: "vmtest: init sta" + "input: ..." + "ge=2 ..."). Falls back
 * to the console if /dev/kmsg cannot be written.
 */
static __printf(1, 2) void marker(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	ssize_t w;
	int fd, n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	fflush(stdout);
	fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		w = write(fd, line, n);
		close(fd);
		if (w == n)
			return;
	}
	fputs(line, stdout);
	fflush(stdout);
}

static void mount_fs(const char *type, const char *dir, int optional)
{
	mkdir(dir, 0755);
	if (mount(type, dir, type, 0, NULL) && !optional)
		printf("vmtest: mount %s on %s: %m\n", type, dir);
}

static __noreturn void finish(const char *test, const char *res, int stage,
			      const char *why)
{
	if (why)
		marker("vmtest: RESULT %s %s stage=%d %s\n", test, res, stage, why);
	else
		marker("vmtest: RESULT %s %s stage=%d\n", test, res, stage);
	fflush(stdout);
	sync();
	syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2,
		LINUX_REBOOT_CMD_RESTART, NULL);
	for (;;)
		pause();
}

static int run_test(const char *path, int stage)
{
	char stage_env[32];
	int status;
	pid_t pid;

	snprintf(stage_env, sizeof(stage_env), "VMTEST_STAGE=%d", stage);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		char *const argv[] = { (char *)path, NULL };
		char *const envp[] = { "PATH=/tests:/bin", "HOME=/", stage_env, NULL };

		execve(path, argv, envp);
		printf("vmtest: exec %s: %m\n", path);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	return status;
}

int main(void)
{
	char test[128], path[256], boot_id[64], uptime[64], why[128];
	int stage, status, ret;

	setup_console();
	setvbuf(stdout, NULL, _IOLBF, 0);
	mount_fs("proc", "/proc", 0);
	mount_fs("sysfs", "/sys", 0);
	mount_fs("devtmpfs", "/dev", 0);
	mount_fs("tmpfs", "/tmp", 0);
	mount_fs("debugfs", "/sys/kernel/debug", 1);
	mount_fs("tracefs", "/sys/kernel/tracing", 1);

	if (vmtest_cmdline_get("vmtest.test", test, sizeof(test)) <= 0)
		finish("unknown", "fail", 0, "(no vmtest.test= on the command line)");
	stage = vmtest_stage();
	if (stage < 1)
		finish(test, "fail", 0, "(bad vmtest.stage=)");
	if (vmtest_boot_id(boot_id, sizeof(boot_id)) < 0)
		snprintf(boot_id, sizeof(boot_id), "?");
	if (vmtest_cmdline_get("vmtest.prev_boot_id", path, sizeof(path)) < 0)
		snprintf(path, sizeof(path), "-");
	uptime[0] = '\0';
	ret = open("/proc/uptime", O_RDONLY);
	if (ret >= 0) {
		ssize_t n = read(ret, uptime, sizeof(uptime) - 1);

		uptime[n > 0 ? n : 0] = '\0';
		uptime[strcspn(uptime, "\n ")] = '\0';
		close(ret);
	}
	marker("vmtest: init stage=%d test=%s boot_id=%s prev_boot_id=%s uptime=%s\n",
	       stage, test, boot_id, path, uptime);

	snprintf(path, sizeof(path), "%s/%s", VMTEST_TESTS_DIR, test);
	status = run_test(path, stage);
	if (status < 0) {
		snprintf(why, sizeof(why), "(fork: %s)", strerror(-status));
		finish(test, "fail", stage, why);
	}
	if (WIFSIGNALED(status)) {
		snprintf(why, sizeof(why), "(killed by signal %d)", WTERMSIG(status));
		finish(test, "fail", stage, why);
	}

	switch (WEXITSTATUS(status)) {
	case KSFT_PASS:
		finish(test, "pass", stage, NULL);
	case KSFT_SKIP:
		finish(test, "skip", stage, NULL);
	case VMTEST_EXIT_NEXT_STAGE:
		break;
	default:
		snprintf(why, sizeof(why), "(exit status %d)", WEXITSTATUS(status));
		finish(test, "fail", stage, why);
	}

	ret = vmtest_kexec_load(stage + 1);
	if (ret) {
		snprintf(why, sizeof(why), "(kexec_file_load: %s)", strerror(-ret));
		finish(test, "fail", stage, why);
	}
	marker("vmtest: kexec stage=%d\n", stage + 1);
	ret = vmtest_kexec_reboot();
	snprintf(why, sizeof(why), "(reboot(KEXEC): %s)", strerror(-ret));
	finish(test, "fail", stage, why);
}
