// SPDX-License-Identifier: GPL-2.0
/*
 * Kexec HandOver across real kexecs, driven through the KHO test module
 * (CONFIG_TEST_KEXEC_HANDOVER, /sys/kernel/debug/kho_test/).
 *
 * Default variant, three kernels: stage 1 preserves folios of every buddy
 * order, page ranges, a 6 MiB vmalloc area and a 4 MiB vmalloc_huge area
 * filled with seeded data; stage 2 restores and verifies every byte (the
 * vmalloc areas through kho_restore_vmalloc() and vfree()), checks that the
 * freed memory shows up as free, and preserves a second set; stage 3
 * verifies the second set, so a chained second kexec works too. Stages 2
 * and 3 also check the kexec metadata ("exec from: <release> (count N)" in
 * the kernel log, N = 1 then 2) and the KHO debugfs files
 * (CONFIG_KEXEC_HANDOVER_DEBUGFS, /sys/kernel/debug/kho/), including that
 * in/sub_fdts/ still shows the incoming blobs after they were restored and
 * freed. Stage 1 checks that the KHO API called before kho_init() failed
 * cleanly; verify also checks that subtrees could not be changed during
 * the reboot, and that an address inside a folio is not taken for one.
 *
 * Variants "corrupt-compatible" and "corrupt-tracker": stage 1 preserves,
 * then damages the root FDT's compatible string or a node of the memory
 * tracker; stage 2 must boot with KHO revival disabled, say so in one log
 * line, report no subtree, and keep working.
 *
 * Variants "corrupt-tracker-loop", "corrupt-overlap" and "corrupt-fdt":
 * likewise with tracker tables pointing at one another (a walk of every
 * path would never end), a page preserved both alone and inside a folio,
 * and a root FDT that is no longer preserved.
 *
 * Variant "corrupt-vmalloc": stage 1 preserves, then points a run of the
 * vmalloc area at memory that is not preserved; stage 2 boots with KHO
 * revival, must refuse to restore that area with one log line (no warning,
 * no oops) and keep working.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../kselftest.h"
#include "vmtest.h"

#define KHO_TEST_DIR	"/sys/kernel/debug/kho_test"
#define KHO_DEBUGFS	"/sys/kernel/debug/kho"

static void expect_state(const char *want)
{
	char state[128];
	int ret = vmtest_read_file(KHO_TEST_DIR "/state", state, sizeof(state));

	ksft_test_result(ret > 0 && !strcmp(state, want), "state is \"%s\" (got \"%s\")\n",
			 want, ret > 0 ? state : strerror(-ret));
}

/* The KHO API called before kho_init() (a core_initcall) failed cleanly. */
static void expect_early(void)
{
	char res[96];
	int ret = vmtest_read_file(KHO_TEST_DIR "/early", res, sizeof(res));

	ksft_test_result(ret > 0 && !strcmp(res, "ok"), "API before kho_init: %s\n",
			 ret > 0 ? res : strerror(-ret));
}

static void kho_preserve(const char *seed)
{
	int ret = vmtest_write_file(KHO_TEST_DIR "/preserve", seed);

	ksft_test_result(!ret, "preserve with seed %s%s%s\n", seed,
			 ret ? ": " : "", ret ? strerror(-ret) : "");
}

/* Verify, and check that the restored memory is free again afterwards. */
static void kho_verify(void)
{
	char res[128];
	long before, after, bytes = 0;
	int ret;

	before = vmtest_mem_free_kib();
	ret = vmtest_read_file(KHO_TEST_DIR "/verify", res, sizeof(res));
	if (ret > 0 && !strncmp(res, "ok ", 3))
		bytes = strtol(res + 3, NULL, 10);
	after = vmtest_mem_free_kib();

	ksft_test_result(bytes > 0, "restored data verified byte for byte (%s)\n",
			 ret > 0 ? res : strerror(-ret));
	ksft_test_result(bytes > 0 && before > 0 && after > 0 &&
			 (after - before) * 1024 >= bytes * 9 / 10,
			 "freed memory is usable: free +%ld KiB for %ld KiB restored\n",
			 after - before, bytes / 1024);
}

/* The previous kernel (the same image) left "exec from: <release> (count N)". */
static void expect_exec_from(int count)
{
	char line[128];
	struct utsname u;

	if (uname(&u))
		ksft_exit_fail_msg("uname: %s\n", strerror(errno));
	snprintf(line, sizeof(line), "exec from: %s (count %d)", u.release, count);
	ksft_test_result(vmtest_kmsg_has(line), "kernel log says \"%s\"\n", line);
}

/* Number of lines of a file, or -errno. */
static int count_lines(const char *path)
{
	int c, lines = 0;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return -errno;
	while ((c = fgetc(f)) != EOF)
		lines += c == '\n';
	fclose(f);
	return lines;
}

/* /sys/kernel/debug/kho/ shows what is handed over and what came in. */
static void expect_debugfs(void)
{
	static const unsigned char fdt_magic[4] = { 0xd0, 0x0d, 0xfe, 0xed };
	unsigned char head[4];
	ssize_t n = -1;
	int fd, lines;

	fd = open(KHO_DEBUGFS "/out/fdt", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		n = read(fd, head, sizeof(head));
		close(fd);
	}
	ksft_test_result(n == sizeof(head) && !memcmp(head, fdt_magic, sizeof(head)),
			 "out/fdt starts with the FDT magic\n");

	lines = count_lines(KHO_DEBUGFS "/out/scratch_len");
	ksft_test_result(lines >= 3, "out/scratch_len lists %d scratch areas\n", lines);
	ksft_test_result(count_lines(KHO_DEBUGFS "/out/scratch_phys") == lines,
			 "out/scratch_phys lists as many\n");
	ksft_test_result(!access(KHO_DEBUGFS "/in/fdt", R_OK), "in/fdt exists\n");
	ksft_test_result(!access(KHO_DEBUGFS "/out/sub_fdts/kexec-metadata", R_OK),
			 "out/sub_fdts/kexec-metadata exists\n");
}

/*
 * After verify restored and freed the test's blob, and kho_init() the
 * metadata: both still read as they were handed over.
 */
static void expect_in_blobs(void)
{
	const unsigned long long magic = 0x4b484f5445535434ULL;	/* "KHOTEST4" */
	char buf[128], line[128];
	unsigned long long got = 0;
	struct utsname u;
	int ret;

	ret = vmtest_read_file(KHO_DEBUGFS "/in/sub_fdts/kho_test", buf, sizeof(buf));
	if (ret >= (int)sizeof(got))
		memcpy(&got, buf, sizeof(got));
	ksft_test_result(got == magic,
			 "in/sub_fdts/kho_test readable after restore (%s)\n",
			 ret < 0 ? strerror(-ret) : "magic");
	ret = vmtest_read_file(KHO_DEBUGFS "/in/sub_fdts/kexec-metadata", buf, sizeof(buf));
	uname(&u);
	snprintf(line, sizeof(line), "%s", u.release);
	ksft_test_result(ret > 4 && !strncmp(buf + 4, line, strlen(line)),
			 "in/sub_fdts/kexec-metadata readable after restore (%s)\n",
			 ret < 0 ? strerror(-ret) : "release");
}

static int stage_default(int stage)
{
	switch (stage) {
	case 1:
		ksft_set_plan(3);
		expect_state("enabled 1 kho_boot 0 subtree 0");
		expect_early();
		kho_preserve("1");
		break;
	case 2:
		ksft_set_plan(12);
		expect_state("enabled 1 kho_boot 1 subtree 1");
		expect_exec_from(1);
		expect_debugfs();
		kho_verify();
		expect_in_blobs();
		kho_preserve("2");
		break;
	case 3:
		ksft_set_plan(11);
		expect_state("enabled 1 kho_boot 1 subtree 1");
		expect_exec_from(2);
		expect_debugfs();
		kho_verify();
		expect_in_blobs();
		break;
	default:
		ksft_exit_fail_msg("unexpected stage %d\n", stage);
	}
	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	if (stage < 3)
		return VMTEST_EXIT_NEXT_STAGE;
	ksft_exit_pass();
}

static int stage_corrupt(int stage, const char *what, const char *log_line)
{
	char res[128];
	size_t size = 64 << 20;
	char *mem;
	int ret;

	if (stage == 1) {
		ksft_set_plan(2);
		kho_preserve("3");
		ret = vmtest_write_file(KHO_TEST_DIR "/corrupt", what);
		ksft_test_result(!ret, "corrupt the outgoing %s\n", what);
		if (ksft_get_fail_cnt())
			ksft_exit_fail();
		return VMTEST_EXIT_NEXT_STAGE;
	}

	ksft_set_plan(4);
	expect_state("enabled 1 kho_boot 0 subtree 0");
	ksft_test_result(vmtest_kmsg_has(log_line), "kernel log says \"%s\"\n", log_line);
	ret = vmtest_read_file(KHO_TEST_DIR "/verify", res, sizeof(res));
	ksft_test_result(ret > 0 && !strncmp(res, "fail no subtree", 15),
			 "nothing to retrieve (%s)\n", ret > 0 ? res : strerror(-ret));

	/* The kernel keeps working: allocate and touch 64 MiB. */
	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem != MAP_FAILED) {
		memset(mem, 0x5a, size);
		munmap(mem, size);
	}
	ksft_test_result(mem != MAP_FAILED, "64 MiB allocated and written\n");

	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	ksft_exit_pass();
}

static int stage_corrupt_vmalloc(int stage)
{
	const char *refused = "fail vmalloc 0 not restored";
	const char *log_line = "vmalloc: run";
	char res[128];
	size_t size = 64 << 20;
	char *mem;
	int ret;

	if (stage == 1) {
		ksft_set_plan(2);
		kho_preserve("4");
		ret = vmtest_write_file(KHO_TEST_DIR "/corrupt", "vmalloc");
		ksft_test_result(!ret, "corrupt a vmalloc run address\n");
		if (ksft_get_fail_cnt())
			ksft_exit_fail();
		return VMTEST_EXIT_NEXT_STAGE;
	}

	ksft_set_plan(5);
	expect_state("enabled 1 kho_boot 1 subtree 1");
	ret = vmtest_read_file(KHO_TEST_DIR "/verify", res, sizeof(res));
	ksft_test_result(ret > 0 && !strncmp(res, refused, strlen(refused)),
			 "the corrupted area is refused (%s)\n",
			 ret > 0 ? res : strerror(-ret));
	ksft_test_result(vmtest_kmsg_has(log_line), "kernel log says \"%s ...\"\n", log_line);
	/* Asking again fails the same way: nothing was half restored. */
	ret = vmtest_read_file(KHO_TEST_DIR "/verify", res, sizeof(res));
	ksft_test_result(ret > 0 && !strncmp(res, refused, strlen(refused)),
			 "a second attempt fails the same way (%s)\n",
			 ret > 0 ? res : strerror(-ret));

	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem != MAP_FAILED) {
		memset(mem, 0x5a, size);
		munmap(mem, size);
	}
	ksft_test_result(mem != MAP_FAILED, "64 MiB allocated and written\n");

	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	ksft_exit_pass();
}

int main(void)
{
	char variant[64] = "";
	int stage = vmtest_stage();

	vmtest_cmdline_get("vmtest.variant", variant, sizeof(variant));
	ksft_print_header();
	if (access(KHO_TEST_DIR, F_OK))
		ksft_exit_skip("no %s (CONFIG_TEST_KEXEC_HANDOVER, debugfs)\n", KHO_TEST_DIR);

	if (!variant[0])
		return stage_default(stage);
	if (!strcmp(variant, "corrupt-compatible"))
		return stage_corrupt(stage, "compatible",
				     "unknown FDT compatible, disabling KHO revival");
	if (!strcmp(variant, "corrupt-tracker"))
		return stage_corrupt(stage, "tracker",
				     "corrupted preserved-memory map");
	if (!strcmp(variant, "corrupt-tracker-loop"))
		return stage_corrupt(stage, "tracker-loop",
				     "a loop in the preserved-memory map");
	if (!strcmp(variant, "corrupt-overlap"))
		return stage_corrupt(stage, "overlap",
				     "overlapping blocks in the preserved-memory map");
	if (!strcmp(variant, "corrupt-fdt"))
		return stage_corrupt(stage, "fdt",
				     "root FDT is not in preserved memory, disabling KHO revival");
	if (!strcmp(variant, "corrupt-vmalloc"))
		return stage_corrupt_vmalloc(stage);
	ksft_exit_fail_msg("unknown variant %s\n", variant);
}
