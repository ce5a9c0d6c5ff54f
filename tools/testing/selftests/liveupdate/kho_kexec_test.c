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
 * Variants "corrupt-tracker-loop", "corrupt-overlap", "corrupt-node-in-block"
 * and "corrupt-fdt": likewise with tracker tables pointing at one another (a
 * walk of every path would never end), a page preserved both alone and
 * inside a folio, a tracker node inside a preserved folio, and a root FDT
 * that is no longer preserved.
 *
 * Variant "gigantic" (distro kernel, a CPU with 1 GiB pages): a boot-time
 * pool of 1 GiB hugetlb pages is whole in a cold boot and in a KHO boot,
 * and does not inflate scratch.
 *
 * Variants "reserve-mem" and "reserve-mem-corrupt": a reserve_mem= region
 * keeps its range and contents across two kexecs, or is allocated afresh
 * when its handover data is damaged (see stage_reserve_mem()).
 *
 * Variant "trace" (distro kernel): a boot-mapped ftrace instance in a
 * reserve_mem= region shows the previous kernel's trace (stage_trace()).
 *
 * Variant "mem-limit": a memmap= in the next kernel that leaves a scratch
 * area outside its memory drops the handover (stage_mem_limit()); variant
 * "mem-load": a kernel whose mem= would do so is not even loaded
 * (stage_mem_load()).
 *
 * Variant "hotplug" (distro kernel, one boot): memory hot-added since boot
 * is refused with ENXIO (stage_hotplug()).
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
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/kexec.h>

#include "../kselftest.h"
#include "vmtest.h"

#define KHO_TEST_DIR	"/sys/kernel/debug/kho_test"
#define KHO_DEBUGFS	"/sys/kernel/debug/kho"

/* A number from "<key>=" on the command line; -1 if absent. */
static long cmdline_long(const char *key)
{
	char val[32];

	if (vmtest_cmdline_get(key, val, sizeof(val)) <= 0)
		return -1;
	return strtol(val, NULL, 0);
}

/* Bytes in all scratch areas of this kernel (out/scratch_len), or -1. */
static long long scratch_bytes(void)
{
	long long sum = 0;
	char line[64];
	FILE *f;

	f = fopen(KHO_DEBUGFS "/out/scratch_len", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		sum += strtoll(line, NULL, 16);
	fclose(f);
	return sum;
}

/*
 * CMA pageblocks of all zones (/proc/pagetypeinfo), in bytes, or -1. In a
 * KHO boot the inherited scratch areas are CMA pageblocks again, whether
 * their struct pages were initialised early or by deferred init.
 */
static long long cma_pageblock_bytes(void)
{
	long long sum = 0, block = 0;
	int col = -1, i;
	char line[512], *tok, *save;
	FILE *f;

	f = fopen("/proc/pagetypeinfo", "re");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Pages per block: %lld", &block) == 1)
			continue;
		if (!strncmp(line, "Number of blocks type", 21)) {
			/* The column of CMA among the type names. */
			tok = strtok_r(line + 21, "\n ", &save);
			for (i = 0; tok; i++, tok = strtok_r(NULL, "\n ", &save))
				if (!strcmp(tok, "CMA"))
					col = i;
			continue;
		}
		/* Block counts follow their header; free counts say "type". */
		if (col < 0 || strncmp(line, "Node", 4) || strstr(line, ", type"))
			continue;
		/* "Node 0, zone   DMA32  <count> <count> ..." */
		tok = strstr(line, "zone");
		if (!tok)
			continue;
		strtok_r(tok, " ", &save);		/* "zone" */
		strtok_r(NULL, " ", &save);		/* the zone's name */
		for (i = 0; (tok = strtok_r(NULL, "\n ", &save)); i++)
			if (i == col)
				sum += strtoll(tok, NULL, 10);
	}
	fclose(f);
	return col < 0 || !block ? -1 : sum * block * getpagesize();
}

/*
 * The reservation of the preserved blocks, as the kernel logged it. Under
 * deferred struct page init (distribution kernels; vmtest.deferred=1) the
 * line also counts the preserved pages whose struct pages KHO initialised
 * itself (memfd_kexec_test requires some).
 */
static void expect_reserved(void)
{
	long long scratch = scratch_bytes(), cma = cma_pageblock_bytes();
	const char *needle = "preserved memory blocks reserved";
	char msg[256];
	int found;

	found = vmtest_kmsg_line(needle, msg, sizeof(msg));
	ksft_test_result(found && (cmdline_long("vmtest.deferred") <= 0 ||
				   vmtest_kho_deferred_pages() >= 0),
			 "kernel log: \"%s\"%s\n", found ? msg : needle,
			 found ? "" : " missing");
	ksft_test_result(scratch > 0 && cma == scratch,
			 "scratch is CMA again: %lld MiB of CMA pageblocks, %lld MiB of scratch\n",
			 cma >> 20, scratch >> 20);
	if (cma != scratch) {
		char buf[4096];

		if (vmtest_read_file(KHO_DEBUGFS "/out/scratch_phys", buf, sizeof(buf)) > 0)
			ksft_print_msg("scratch_phys:\n%s", buf);
		if (vmtest_read_file(KHO_DEBUGFS "/out/scratch_len", buf, sizeof(buf)) > 0)
			ksft_print_msg("scratch_len:\n%s", buf);
		if (vmtest_read_file("/proc/pagetypeinfo", buf, sizeof(buf)) > 0)
			ksft_print_msg("pagetypeinfo:\n%s", strstr(buf, "Number of blocks") ?: buf);
	}
}

/*
 * The lowest start and the highest end (exclusive) of the /proc/iomem
 * ranges named @name; 0 and 0 if there is none.
 */
static void iomem_span(const char *name, unsigned long long *lo,
		       unsigned long long *hi)
{
	unsigned long long start, end;
	char line[256];
	FILE *f;

	*lo = 0;
	*hi = 0;
	f = fopen("/proc/iomem", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, name) || sscanf(line, " %llx-%llx", &start, &end) != 2)
			continue;
		if (!*hi || start < *lo)
			*lo = start;
		if (end + 1 > *hi)
			*hi = end + 1;
	}
	fclose(f);
}

/* Physical start of this kernel's code, 0 if not found. */
static unsigned long long kernel_phys(void)
{
	unsigned long long start, end;

	iomem_span(": Kernel code", &start, &end);
	return start;
}

/* Whether @addr lies in one of this kernel's scratch areas. */
static int in_scratch(unsigned long long addr)
{
	char phys[64], len[64];
	FILE *fp, *fl;
	int found = 0;

	fp = fopen(KHO_DEBUGFS "/out/scratch_phys", "re");
	fl = fopen(KHO_DEBUGFS "/out/scratch_len", "re");
	while (fp && fl && !found && fgets(phys, sizeof(phys), fp) &&
	       fgets(len, sizeof(len), fl)) {
		unsigned long long p = strtoull(phys, NULL, 16);

		found = addr >= p && addr - p < strtoull(len, NULL, 16);
	}
	if (fp)
		fclose(fp);
	if (fl)
		fclose(fl);
	return found;
}

/* Virtual address of this kernel's _text (/proc/kallsyms), 0 if hidden. */
static unsigned long long kernel_virt(void)
{
	unsigned long long addr = 0;
	char line[256], type, name[64];
	FILE *f;

	f = fopen("/proc/kallsyms", "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "%llx %c %63s", &addr, &type, name) == 3 &&
		    !strcmp(name, "_text"))
			break;
	fclose(f);
	return addr;
}

/*
 * A kernel started by KHO runs from scratch, the only memory it may use
 * before it knows what is preserved: kexec loads it there, and with KASLR
 * (vmtest.kaslr=1: the distro kernel) its decompressor picks a random
 * address inside scratch. Stage 2 hands its addresses to stage 3.
 *
 * Scratch holds only a few dozen 2 MiB slots for the kernel, so stage 3
 * lands on stage 2's physical slot now and then by chance: that alone is
 * not a failure. KASLR is taken as not working only when the physical and
 * the virtual offset both repeat (odds of one in many thousands).
 */
static void expect_kernel_in_scratch(int stage)
{
	unsigned long long here = kernel_phys(), virt = kernel_virt();
	long long prev = cmdline_long("vmtest.prev_kernel");
	unsigned long long prev_virt = 0;
	int kaslr = cmdline_long("vmtest.kaslr") > 0;
	char args[96];

	if (vmtest_cmdline_get("vmtest.prev_virt", args, sizeof(args)) > 0)
		prev_virt = strtoull(args, NULL, 0);

	ksft_test_result(here && in_scratch(here),
			 "kernel code at %#llx, in scratch\n", here);
	if (stage == 3 && kaslr) {
		int moved = prev > 0 && (unsigned long long)prev != here;
		int vmoved = prev_virt && prev_virt != virt;

		ksft_test_result(moved || vmoved,
				 "KASLR: physical %#llx -> %#llx (%s), virtual %#llx -> %#llx (%s)\n",
				 prev > 0 ? (unsigned long long)prev : 0ULL, here,
				 moved ? "moved" : "same slot", prev_virt, virt,
				 vmoved ? "moved" : "same");
	}
	if (stage == 2) {
		snprintf(args, sizeof(args),
			 "vmtest.prev_kernel=%#llx vmtest.prev_virt=%#llx", here, virt);
		vmtest_set_next_args(args);
	}
}

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
	/* Low, global and one per node; a node's is left out when the low
	 * area covers what the node needs.
	 */
	ksft_test_result(lines >= 2, "out/scratch_len lists %d scratch areas\n", lines);
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
		ksft_set_plan(15);
		expect_state("enabled 1 kho_boot 1 subtree 1");
		expect_reserved();
		expect_kernel_in_scratch(stage);
		expect_exec_from(1);
		expect_debugfs();
		kho_verify();
		expect_in_blobs();
		kho_preserve("2");
		break;
	case 3:
		ksft_set_plan(cmdline_long("vmtest.kaslr") > 0 ? 15 : 14);
		expect_state("enabled 1 kho_boot 1 subtree 1");
		expect_reserved();
		expect_kernel_in_scratch(stage);
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

/* nr_hugepages of the 1 GiB hstate, -1 if it has none. */
static long gigantic_pages(void)
{
	char buf[32];

	if (vmtest_read_file("/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages",
			     buf, sizeof(buf)) <= 0)
		return -1;
	return strtol(buf, NULL, 10);
}

/*
 * The hugetlb CMA area of variant "cma" and the crash kernel, in either
 * kernel: a 1 GiB area besides scratch, 256 MiB reserved for the crash
 * kernel, and a 1 GiB page allocated from the area at run time and given
 * back (what hugetlb_cma= is for).
 */
static void check_cma_area(long long scratch, long long cma)
{
	char buf[32] = "";
	long got;

	ksft_test_result(cma - scratch >= 1LL << 30,
			 "a 1 GiB hugetlb CMA area besides scratch: %lld MiB of CMA pageblocks, %lld MiB of scratch\n",
			 cma >> 20, scratch >> 20);
	vmtest_read_file("/sys/kernel/kexec_crash_size", buf, sizeof(buf));
	ksft_test_result(strtoll(buf, NULL, 10) == 256LL << 20,
			 "crash kernel reserved: %lld MiB\n",
			 strtoll(buf, NULL, 10) >> 20);
	vmtest_write_file("/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "1");
	got = gigantic_pages();
	vmtest_write_file("/sys/kernel/mm/hugepages/hugepages-1048576kB/nr_hugepages", "0");
	ksft_test_result(got == 1 && gigantic_pages() == 0,
			 "a 1 GiB page from the CMA area at run time (%ld), given back (%ld)\n",
			 got, gigantic_pages());
}

/*
 * Variant "cma" (hugetlb_cma=1G crashkernel=256M numa=off, a VM large
 * enough for a 1 GiB aligned CMA area, a CPU with 1 GiB pages): the CMA
 * area and the crash kernel are left out of the scratch sizing, which
 * scaled them as kernel memory (2 GiB more scratch for the area, or none at
 * all and KHO disabled on a small host; 512 MiB more for the crash kernel).
 * The KHO boot reserves the area and the crash kernel after the preserved
 * memory, outside scratch (they used to fail there, scratch being all that
 * early boot could use): both are there again, and the preserved data is
 * intact.
 */
static int stage_cma(int stage)
{
	static const char sizing[] =
		"left out of the sizing: 1024 MiB of CMA areas, 256 MiB for the crash kernel";
	long long scratch = scratch_bytes(), cma = cma_pageblock_bytes();

	if (stage == 1) {
		ksft_set_plan(6);
		ksft_test_result(vmtest_kmsg_has(sizing),
				 "kernel log: CMA area and crash kernel left out of the scratch sizing\n");
		ksft_test_result(scratch > 0 && scratch < 512LL << 20,
				 "scratch (%lld MiB) not scaled from the CMA area or the crash kernel\n",
				 scratch >> 20);
		check_cma_area(scratch, cma);
		kho_preserve("1");
		if (ksft_get_fail_cnt())
			ksft_exit_fail();
		return VMTEST_EXIT_NEXT_STAGE;
	}

	ksft_set_plan(7);
	expect_state("enabled 1 kho_boot 1 subtree 1");
	kho_verify();
	ksft_test_result(!vmtest_kmsg_has("hugetlb_cma: reservation failed"),
			 "kernel log: no failed hugetlb CMA reservation\n");
	check_cma_area(scratch, cma);
	if (ksft_get_fail_cnt())
		ksft_exit_fail();
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

/* A "<key>: <n> kB" line of /proc/meminfo, in KiB; -1 on error. */
static long meminfo_kib(const char *key)
{
	static char buf[8192];
	char *p;

	if (vmtest_read_file("/proc/meminfo", buf, sizeof(buf)) < 0)
		return -1;
	p = strstr(buf, key);
	return p ? strtol(p + strlen(key) + 1, NULL, 10) : -1;
}

/* Number of kernel log lines containing @needle. */
static int kmsg_count(const char *needle)
{
	char rec[1024];
	int fd, found = 0;
	ssize_t n;

	fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return -1;
	while ((n = read(fd, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		rec[n] = '\0';
		found += !!strstr(rec, needle);
	}
	close(fd);
	return found;
}

static void expect_alloc_64m(void)
{
	size_t size = 64 << 20;
	char *mem;

	mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (mem != MAP_FAILED) {
		memset(mem, 0x5a, size);
		munmap(mem, size);
	}
	ksft_test_result(mem != MAP_FAILED, "64 MiB allocated and written\n");
}

/*
 * Variants in which the next kernel must not revive anything and must give
 * all preserved memory to the page allocator: "kho-off" (kho=off on its
 * command line, with liveupdate=on: LUO must stay off with one warning) and
 * "scratch-<how>" (the scratch array handed over is damaged, see
 * lib/test_kho.c). Stage 1 preserves about 23 MiB and passes its own
 * MemTotal and free memory on; stage 2 must report them within 4 and 16 MiB
 * (no preserved MiB missing), say why in one log line, and keep working.
 */
static int stage_cold(int stage, const char *corrupt, const char *log_line)
{
	long total, free_kib, s1_total, s1_free;
	char args[256], res[128];
	int ret, n;

	if (stage == 1) {
		ksft_set_plan(corrupt ? 3 : 2);
		free_kib = vmtest_mem_free_kib();
		total = meminfo_kib("MemTotal:");
		kho_preserve("5");
		if (corrupt) {
			ret = vmtest_write_file(KHO_TEST_DIR "/corrupt", corrupt);
			ksft_test_result(!ret, "corrupt the outgoing %s\n", corrupt);
		}
		snprintf(args, sizeof(args), "%svmtest.s1_total=%ld vmtest.s1_free=%ld",
			 corrupt ? "" : "kho=off ", total, free_kib);
		ret = vmtest_set_next_args(args);
		ksft_test_result(!ret && total > 0 && free_kib > 0,
				 "next kernel gets \"%s\"\n", args);
		if (ksft_get_fail_cnt())
			ksft_exit_fail();
		return VMTEST_EXIT_NEXT_STAGE;
	}

	ksft_set_plan(corrupt ? 6 : 8);
	/* Before anything could restore (and free) preserved memory. */
	s1_total = cmdline_long("vmtest.s1_total");
	s1_free = cmdline_long("vmtest.s1_free");
	total = meminfo_kib("MemTotal:");
	free_kib = vmtest_mem_free_kib();
	ksft_test_result(s1_total > 0 && total > 0 && labs(total - s1_total) <= 4096,
			 "MemTotal %ld KiB, cold boot %ld KiB (%+ld KiB)\n",
			 total, s1_total, total - s1_total);
	ksft_test_result(s1_free > 0 && free_kib > 0 && labs(free_kib - s1_free) <= 16384,
			 "free %ld KiB, cold boot %ld KiB (%+ld KiB)\n",
			 free_kib, s1_free, free_kib - s1_free);

	expect_state(corrupt ? "enabled 1 kho_boot 0 subtree 0" :
			       "enabled 0 kho_boot 0 subtree 0");
	n = kmsg_count(log_line);
	ksft_test_result(n == 1, "kernel log says \"%s\" once (%d)\n", log_line, n);
	ret = vmtest_read_file(KHO_TEST_DIR "/verify", res, sizeof(res));
	ksft_test_result(ret > 0 && !strncmp(res, "fail no subtree", 15),
			 "nothing to retrieve (%s)\n", ret > 0 ? res : strerror(-ret));
	if (!corrupt) {
		ksft_test_result(access("/dev/liveupdate", F_OK) && errno == ENOENT,
				 "no /dev/liveupdate\n");
		n = kmsg_count("Disabling liveupdate because KHO is disabled");
		ksft_test_result(n == 1, "LUO says it is off once (%d)\n", n);
	}
	expect_alloc_64m();

	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	ksft_exit_pass();
}

/*
 * Variant "memtest": the next kernel runs memtest=1 (writes and checks a
 * pattern over the memory it considers free, before the preserved blocks
 * are reserved); everything preserved must still verify byte for byte.
 */
static int stage_memtest(int stage)
{
	int ret, n;

	if (stage == 1) {
		ksft_set_plan(2);
		kho_preserve("6");
		ret = vmtest_set_next_args("memtest=1");
		ksft_test_result(!ret, "next kernel gets memtest=1\n");
		if (ksft_get_fail_cnt())
			ksft_exit_fail();
		return VMTEST_EXIT_NEXT_STAGE;
	}

	ksft_set_plan(5);
	expect_state("enabled 1 kho_boot 1 subtree 1");
	n = kmsg_count("early_memtest: # of tests: 1");
	ksft_test_result(n == 1 && meminfo_kib("EarlyMemtestBad:") == 0,
			 "memtest ran (CONFIG_MEMTEST), no bad memory\n");
	kho_verify();
	expect_alloc_64m();
	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	ksft_exit_pass();
}

/*
 * Variants "scratch-param-*", one boot each: the scratch areas this kernel set
 * aside must match "vmtest.scratch_mib=<lowmem>,<global>,<pernode>" (MiB;
 * "scaled" for a percentage: every area a non-zero multiple of 4 MiB), and
 * exactly "vmtest.malformed=<n>" kho_scratch=/kho_bootmem= values must have
 * been rejected.
 */
static int stage_scratch_param(void)
{
	char want[64], lens[256], *tok, *save;
	long malformed = cmdline_long("vmtest.malformed");
	unsigned long len;
	int n, i = 0, ok = 1;

	ksft_set_plan(2);
	if (vmtest_cmdline_get("vmtest.scratch_mib", want, sizeof(want)) <= 0)
		ksft_exit_fail_msg("no vmtest.scratch_mib=\n");
	if (vmtest_read_file(KHO_DEBUGFS "/out/scratch_len", lens, sizeof(lens)) <= 0)
		ksft_exit_fail_msg("no %s/out/scratch_len\n", KHO_DEBUGFS);

	if (!strcmp(want, "scaled")) {
		for (tok = strtok_r(lens, "\n", &save); tok;
		     tok = strtok_r(NULL, "\n", &save)) {
			len = strtoul(tok, NULL, 16);
			ok &= len && !(len % (4 << 20));
			i++;
		}
		ok &= i >= 2;	/* low and global; a node's may be covered by low */
	} else {
		char *w = want, *wsave;

		for (tok = strtok_r(lens, "\n", &save); tok; tok = strtok_r(NULL, "\n", &save)) {
			char *exp = strtok_r(i ? NULL : w, ",", &wsave);

			/* A size of 0 leaves its area out: skip zeros. */
			while (exp && !strtoul(exp, NULL, 10))
				exp = strtok_r(NULL, ",", &wsave);
			len = strtoul(tok, NULL, 16);
			ok &= exp && len == strtoul(exp, NULL, 10) << 20;
			i++;
		}
		/* No non-zero size may be left without its area. */
		for (tok = i ? strtok_r(NULL, ",", &wsave) : NULL; tok;
		     tok = strtok_r(NULL, ",", &wsave))
			ok &= !strtoul(tok, NULL, 10);
	}
	ksft_test_result(ok, "scratch areas as %s (%d areas)\n", want, i);

	n = kmsg_count("Malformed early option 'kho_scratch'") +
	    kmsg_count("Malformed early option 'kho_bootmem'");
	ksft_test_result(n == malformed, "%d malformed value(s) rejected, %ld expected\n",
			 n, malformed);
	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	ksft_exit_pass();
}

/*
 * Variant "scratch-small", one boot with scratch too small for the kernel
 * and initramfs: kexec_file_load() fails with EADDRNOTAVAIL, twice the same
 * way, nothing stays loaded, and the kernel keeps working.
 */
static int stage_scratch_small(void)
{
	char loaded[16];
	int ret, ret2;

	ksft_set_plan(4);
	ret = vmtest_kexec_load(2);
	ksft_test_result(ret == -EADDRNOTAVAIL, "kexec_file_load: %s\n", strerror(-ret));
	ret2 = vmtest_kexec_load(2);
	ksft_test_result(ret2 == ret, "again: %s\n", strerror(-ret2));
	ret = vmtest_read_file("/sys/kernel/kexec_loaded", loaded, sizeof(loaded));
	ksft_test_result(ret > 0 && !strcmp(loaded, "0"), "nothing loaded (%s)\n",
			 ret > 0 ? loaded : strerror(-ret));
	expect_alloc_64m();
	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	ksft_exit_pass();
}

/*
 * Variant "luo-off", one boot with liveupdate=on and kho=off: LUO stays off
 * (no /dev/liveupdate) with one warning.
 */
static int stage_luo_off(void)
{
	int n;

	ksft_set_plan(3);
	expect_state("enabled 0 kho_boot 0 subtree 0");
	ksft_test_result(access("/dev/liveupdate", F_OK) && errno == ENOENT,
			 "no /dev/liveupdate\n");
	n = kmsg_count("Disabling liveupdate because KHO is disabled");
	ksft_test_result(n == 1, "LUO says it is off once (%d)\n", n);
	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	ksft_exit_pass();
}

/* The "kho_test" reserve_mem region: start, size, seed (-1: data bad). */
struct region {
	unsigned long long start, size;
	long long seed;
};

static int read_region(struct region *r)
{
	char res[80], *end;
	int ret = vmtest_read_file(KHO_TEST_DIR "/reserve_mem", res, sizeof(res));

	if (ret <= 0 || !strcmp(res, "none"))
		return -1;
	r->start = strtoull(res, &end, 16);
	r->size = strtoull(end, &end, 16);
	r->seed = strncmp(end, " bad@", 5) ? strtoll(end, NULL, 10) : -1;
	return 0;
}

/*
 * Variant "reserve-mem" (reserve_mem=16M:2M:kho_test), three kernels: the
 * region keeps its physical range and contents across each kexec, outside
 * scratch. Stage 2 adds a region of its own (kho_new): allocated afresh
 * there, it must be handed over to stage 3, so it too is outside scratch.
 *
 * Variant "reserve-mem-corrupt": the region's node in the outgoing
 * memblock subtree gets an unknown compatible. The next kernel allocates
 * the region afresh with one log line, and frees the old range: MemTotal
 * is the first kernel's (a 16 MiB leak would show).
 */
static int stage_reserve_mem(int stage, int corrupt)
{
	long total, s1_total = cmdline_long("vmtest.s1_total");
	unsigned long long s1_start = cmdline_long("vmtest.rm_start");
	struct region r;
	char args[128];
	int n;

	if (read_region(&r))
		ksft_exit_fail_msg("no reserve_mem region kho_test\n");
	ksft_set_plan(stage == 1 ? 4 : corrupt ? 5 : stage == 2 ? 6 : 5);
	ksft_print_msg("region at %#llx, %#llx bytes\n", r.start, r.size);
	ksft_test_result(r.size == 16 << 20 && !(r.start & ((2 << 20) - 1)),
			 "16 MiB, 2 MiB aligned\n");
	ksft_test_result(!in_scratch(r.start) && !in_scratch(r.start + r.size - 1),
			 "outside scratch\n");
	if (stage == 1) {
		total = meminfo_kib("MemTotal:");
		ksft_test_result(!vmtest_write_file(KHO_TEST_DIR "/reserve_mem", "1"),
				 "filled with seed 1\n");
		if (corrupt)
			ksft_test_result(!vmtest_write_file(KHO_TEST_DIR "/corrupt", "memblock"),
					 "corrupt the region's node\n");
		snprintf(args, sizeof(args), "vmtest.rm_start=%llu vmtest.s1_total=%ld%s",
			 r.start, total, corrupt ? "" : " reserve_mem=4M:4K:kho_new");
		if (!corrupt)
			ksft_test_result(!vmtest_set_next_args(args), "next kernel gets \"%s\"\n",
					 args);
		else if (vmtest_set_next_args(args))
			ksft_exit_fail_msg("cannot set the next command line\n");
		if (ksft_get_fail_cnt())
			ksft_exit_fail();
		return VMTEST_EXIT_NEXT_STAGE;
	}

	if (corrupt) {
		total = meminfo_kib("MemTotal:");
		ksft_test_result(r.start != s1_start && r.seed != 1,
				 "allocated afresh (seed %lld)\n", r.seed);
		n = kmsg_count("reserve_mem: 'kho_test' handed over as");
		ksft_test_result(n == 1, "the kernel says so once (%d)\n", n);
		ksft_test_result(s1_total > 0 && total > 0 && labs(total - s1_total) <= 4096,
				 "MemTotal %ld KiB, first kernel %ld KiB: old range freed\n",
				 total, s1_total);
		goto out;
	}
	ksft_test_result(r.start == s1_start && r.seed == stage - 1,
			 "same range, contents of stage %d (seed %lld)\n", stage - 1, r.seed);
	n = kmsg_count("reserve_mem: 'kho_test' kept at");
	ksft_test_result(n == 1, "kernel log says 'kho_test' kept (%d)\n", n);
	n = kmsg_count(stage == 2 ? "reserve_mem: 'kho_new' was not handed over" :
				    "reserve_mem: 'kho_new' kept at");
	ksft_test_result(n == 1, "'kho_new' %s (%d)\n",
			 stage == 2 ? "allocated afresh" : "kept", n);
	if (stage == 2) {
		ksft_test_result(!vmtest_write_file(KHO_TEST_DIR "/reserve_mem", "2"),
				 "filled with seed 2\n");
		if (ksft_get_fail_cnt())
			ksft_exit_fail();
		return VMTEST_EXIT_NEXT_STAGE;
	}
out:
	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	ksft_exit_pass();
}

#define BOOT_TRACE	"/sys/kernel/tracing/instances/boot_map"

/*
 * Variant "trace" (reserve_mem=4M:4K:trace trace_instance=boot_map@trace,
 * a kernel with ftrace): the boot-mapped ftrace instance lives in a
 * reserve_mem region, so the next kernel shows what the previous one
 * traced, the record an operator reads after an update that went wrong.
 * Stage 1 writes a marker with its boot id; stage 2 finds it.
 */
static int stage_trace(int stage)
{
	static char trace[1 << 16];
	char id[64], marker[128];
	int ret, n;

	if (access(BOOT_TRACE "/trace_marker", W_OK))
		ksft_exit_skip("no %s (CONFIG_TRACING)\n", BOOT_TRACE);
	if (stage == 1) {
		ksft_set_plan(2);
		vmtest_boot_id(id, sizeof(id));
		snprintf(marker, sizeof(marker), "vmtest marker of boot %s", id);
		ret = vmtest_write_file(BOOT_TRACE "/trace_marker", marker);
		ksft_test_result(!ret, "trace_marker: %s\n", marker);
		ret = vmtest_read_file(BOOT_TRACE "/trace", trace, sizeof(trace));
		ksft_test_result(ret > 0 && strstr(trace, marker), "in the trace\n");
		if (ksft_get_fail_cnt())
			ksft_exit_fail();
		return VMTEST_EXIT_NEXT_STAGE;
	}
	ksft_set_plan(3);
	n = kmsg_count("reserve_mem: 'trace' kept at");
	ksft_test_result(n == 1, "kernel log says 'trace' kept (%d)\n", n);
	n = kmsg_count("is from previous boot!");
	ksft_test_result(n > 0, "ring buffer from the previous boot (%d CPUs)\n", n);
	vmtest_cmdline_get("vmtest.prev_boot_id", id, sizeof(id));
	snprintf(marker, sizeof(marker), "vmtest marker of boot %s", id);
	ret = vmtest_read_file(BOOT_TRACE "/trace", trace, sizeof(trace));
	ksft_test_result(ret > 0 && strstr(trace, marker),
			 "the previous kernel's marker is in the trace\n");
	if (ksft_get_fail_cnt()) {
		ksft_print_msg("trace:\n%s\n", ret > 0 ? trace : "");
		ksft_exit_fail();
	}
	ksft_exit_pass();
}

/*
 * Variant "hotplug" (vmtest.dimm=<MiB>: a DIMM the kernel hot-adds at boot,
 * memhp_default_state=online): memory hot-added since boot is not in the
 * memory map the next kernel boots with, so KHO refuses to preserve it
 * with ENXIO, and says why.
 */
static int stage_hotplug(void)
{
	char res[64];
	int ret, n;

	ret = vmtest_read_file(KHO_TEST_DIR "/hotplug", res, sizeof(res));
	if (ret > 0 && !strcmp(res, "none"))
		ksft_exit_skip("no hot-added memory (CONFIG_ACPI_HOTPLUG_MEMORY?)\n");
	ksft_set_plan(2);
	ksft_test_result(ret > 0 && !strncmp(res, "ENXIO at ", 9),
			 "preserving hot-added memory: %s\n", ret > 0 ? res : strerror(-ret));
	n = kmsg_count("cannot preserve hot-added memory at");
	ksft_test_result(n == 1, "the kernel says why once (%d)\n", n);
	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	ksft_exit_pass();
}

/* The highest scratch area of this kernel: its start and end, 0 if none. */
static unsigned long long top_scratch(unsigned long long *end)
{
	unsigned long long top = 0, p, l;
	char phys[64], len[64];
	FILE *fp, *fl;

	*end = 0;
	fp = fopen(KHO_DEBUGFS "/out/scratch_phys", "re");
	fl = fopen(KHO_DEBUGFS "/out/scratch_len", "re");
	while (fp && fl && fgets(phys, sizeof(phys), fp) &&
	       fgets(len, sizeof(len), fl)) {
		p = strtoull(phys, NULL, 16);
		l = strtoull(len, NULL, 16);
		if (p >= top) {
			top = p;
			*end = p + l;
		}
	}
	if (fp)
		fclose(fp);
	if (fl)
		fclose(fl);
	return top;
}

/*
 * Variant "mem-limit": the next kernel gets a memmap= that takes the
 * highest scratch area out of its memory (mem= would be refused at load
 * time: see "mem-load"). Early boot must not allocate there (it is no
 * longer the kernel's memory): the handover is dropped with one log line,
 * and the kernel boots cold.
 */
static int stage_mem_limit(int stage)
{
	unsigned long long top, end;
	long before = cmdline_long("vmtest.mem_total"), total;
	char args[128];
	int n;

	if (stage == 1) {
		ksft_set_plan(2);
		kho_preserve("5");
		top = top_scratch(&end);
		/* The area, in whole MiB, marked reserved (memmap=nn$ss). */
		top >>= 20;
		end = (end + (1 << 20) - 1) >> 20;
		snprintf(args, sizeof(args), "memmap=%lluM$%lluM vmtest.mem_total=%ld",
			 end - top, top, meminfo_kib("MemTotal:"));
		ksft_test_result(top >= 512 && !vmtest_set_next_args(args),
				 "next kernel gets \"%s\"\n", args);
		if (ksft_get_fail_cnt())
			ksft_exit_fail();
		return VMTEST_EXIT_NEXT_STAGE;
	}
	ksft_set_plan(4);
	n = kmsg_count("is not in this kernel's memory (mem=, memmap=), disabling KHO revival");
	ksft_test_result(n == 1, "the kernel says it drops the handover once (%d)\n", n);
	expect_state("enabled 1 kho_boot 0 subtree 0");
	total = meminfo_kib("MemTotal:");
	ksft_test_result(before > 0 && total > 0 && total < before,
			 "MemTotal %ld KiB, less than before (%ld KiB)\n", total, before);
	expect_alloc_64m();
	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	ksft_exit_pass();
}

/*
 * Variant "mem-load", one kernel: kexec_file_load() refuses a kernel
 * whose mem= leaves a scratch area out (EINVAL, one log line), since that
 * kernel would drop the handover, and loads one whose mem= covers every
 * scratch area and all preserved memory.
 */
static int stage_mem_load(void)
{
	unsigned long long top, end, ram;
	char args[64];
	int ret, n;

	ksft_set_plan(4);
	kho_preserve("5");
	top = top_scratch(&end);
	snprintf(args, sizeof(args), "mem=%lluM", top >> 20);
	ret = vmtest_kexec_load_args(2, args);
	ksft_test_result(top >= 512ULL << 20 && ret == -EINVAL,
			 "kexec_file_load with %s (below the scratch area at %#llx): %s\n",
			 args, top, strerror(-ret));
	n = kmsg_count("scratch memory up to");
	ksft_test_result(n == 1, "the kernel says why once (%d)\n", n);
	/*
	 * Past the end of RAM: all scratch and all preserved memory, which
	 * need not lie below the highest scratch area (a kernel with deferred
	 * struct page init allocated above it).
	 */
	iomem_span(": System RAM", &ram, &end);
	snprintf(args, sizeof(args), "mem=%lluM", ((end - 1) >> 20) + 1);
	ret = vmtest_kexec_load_args(2, args);
	ksft_test_result(end && !ret, "kexec_file_load with %s: %s\n", args,
			 strerror(-ret));
	ret = syscall(SYS_kexec_file_load, -1, -1, 0UL, NULL,
		      (unsigned long)KEXEC_FILE_UNLOAD);
	ksft_test_result(!ret, "unloaded\n");
	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	ksft_exit_pass();
}

/*
 * Variant "gigantic" (hugepagesz=1G hugepages=N vmtest.gigantic=N; needs a
 * CPU with 1 GiB pages): a boot-time pool of gigantic pages. They come from
 * memblock while the command line is parsed; on a cold boot they must not
 * count as kernel memory when scratch is sized (scratch stays under
 * 512 MiB), and in a KHO boot, where memblock may then only use scratch,
 * they are allocated once the preserved memory is reserved: the pool is
 * whole in both kernels, and the preserved data intact.
 */
static int stage_gigantic(int stage)
{
	long want = cmdline_long("vmtest.gigantic"), got = gigantic_pages();
	long long scratch = scratch_bytes();

	if (got < 0)
		ksft_exit_skip("no 1 GiB hstate (CPU without pdpe1gb?)\n");
	ksft_set_plan(stage == 1 ? 3 : 5);
	ksft_test_result(want > 0 && got == want, "%ld of %ld 1 GiB pages in the pool\n",
			 got, want);
	ksft_test_result(scratch > 0 && scratch < 512LL << 20,
			 "scratch %lld MiB: the pool is not counted as kernel memory\n",
			 scratch >> 20);
	if (stage == 1) {
		kho_preserve("5");
		if (ksft_get_fail_cnt())
			ksft_exit_fail();
		return VMTEST_EXIT_NEXT_STAGE;
	}
	expect_state("enabled 1 kho_boot 1 subtree 1");
	kho_verify();
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
	if (!strcmp(variant, "cma"))
		return stage_cma(stage);
	if (!strcmp(variant, "corrupt-compatible"))
		return stage_corrupt(stage, "compatible",
				     "unknown FDT compatible, disabling KHO revival");
	/*
	 * A tracker rejected half way, or a root FDT that is not preserved:
	 * a cold boot, every preserved page freed once (stage_cold compares
	 * MemTotal and free memory with the first kernel's).
	 */
	if (!strcmp(variant, "corrupt-tracker"))
		return stage_cold(stage, "tracker",
				  "corrupted preserved-memory map");
	if (!strcmp(variant, "corrupt-tracker-loop"))
		return stage_cold(stage, "tracker-loop",
				  "a loop in the preserved-memory map");
	if (!strcmp(variant, "corrupt-overlap"))
		return stage_cold(stage, "overlap",
				  "overlapping blocks in the preserved-memory map");
	if (!strcmp(variant, "corrupt-node-in-block"))
		return stage_cold(stage, "node-in-block", "preserved-memory map after");
	if (!strcmp(variant, "corrupt-fdt"))
		return stage_cold(stage, "fdt",
				  "root FDT is not in preserved memory, disabling KHO revival");
	if (!strcmp(variant, "corrupt-vmalloc"))
		return stage_corrupt_vmalloc(stage);
	if (!strcmp(variant, "kho-off"))
		return stage_cold(stage, NULL, "disabled by kho=off");
	if (!strcmp(variant, "scratch-overlap"))
		return stage_cold(stage, variant,
				  "overlapping scratch areas, disabling KHO revival");
	if (!strcmp(variant, "scratch-ram"))
		return stage_cold(stage, variant, "scratch area not in RAM, disabling KHO revival");
	if (!strcmp(variant, "scratch-align"))
		return stage_cold(stage, variant, "misaligned scratch area, disabling KHO revival");
	if (!strcmp(variant, "scratch-wrap"))
		return stage_cold(stage, variant,
				  "scratch area wraps around, disabling KHO revival");
	if (!strcmp(variant, "scratch-empty"))
		return stage_cold(stage, variant, "empty scratch area, disabling KHO revival");
	if (!strcmp(variant, "memtest"))
		return stage_memtest(stage);
	if (!strncmp(variant, "scratch-param-", 14))
		return stage_scratch_param();
	if (!strcmp(variant, "scratch-small"))
		return stage_scratch_small();
	if (!strcmp(variant, "luo-off"))
		return stage_luo_off();
	if (!strcmp(variant, "gigantic"))
		return stage_gigantic(stage);
	if (!strcmp(variant, "mem-limit"))
		return stage_mem_limit(stage);
	if (!strcmp(variant, "mem-load"))
		return stage_mem_load();
	if (!strcmp(variant, "hotplug"))
		return stage_hotplug();
	if (!strcmp(variant, "trace"))
		return stage_trace(stage);
	if (!strcmp(variant, "reserve-mem"))
		return stage_reserve_mem(stage, 0);
	if (!strcmp(variant, "reserve-mem-corrupt"))
		return stage_reserve_mem(stage, 1);
	ksft_exit_fail_msg("unknown variant %s\n", variant);
}
