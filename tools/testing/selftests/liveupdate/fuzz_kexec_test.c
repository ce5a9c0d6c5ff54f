// SPDX-License-Identifier: GPL-2.0
/*
 * The handover fuzzer's workload (CONFIG_KEXEC_HANDOVER_FUZZ, kho_fuzz.c).
 * The variant (vmtest.variant=) is the seed; dev/fuzz.sh runs one VM per
 * seed ("make fuzz"), dev/check.sh a fixed set of seeds.
 *
 * Stage 1 builds a representative handover: the KHO test module's subtree
 * (folios of every order, page ranges, two vmalloc areas), three LUO
 * sessions (two memfds: a THP, a hole and 4 KiB folios with holes; 4 KiB
 * folios with holes; test-handler files, which bring the test FLB along; an empty
 * session), then writes the seed to kho_fuzz.seed: the old kernel damages
 * the outgoing data right before the jump and logs every damage.
 *
 * Stage 2 must reach userspace (the runner times out otherwise; it also
 * fails on any WARNING/BUG/Oops in the console) and retrieve what it can.
 * Every piece either comes back intact, byte for byte, or fails with an
 * errno; wrong data at the first read is reported ("WRONG DATA": damage to
 * a field no format can check looks like valid data). Then it fills most free memory with a
 * pattern and checks everything retrieved again, and only then lets the
 * KHO test module restore and verify its memory: a page that is both
 * handed back and free (two owners) shows up as changed data.
 * Seed 0 damages nothing: the control run, where everything must come back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../kselftest.h"
#include "luo_test_utils.h"
#include "vmtest.h"

#define KHO_TEST_DIR	"/sys/kernel/debug/kho_test"
#define FUZZ_SEED	"/sys/module/kho_fuzz/parameters/seed"

/* memfd a: a THP, a 2 MiB hole, then every other 4 KiB page. */
#define MFD_A_SIZE	((4UL << 20) + (256UL << 10) + 77)
/* memfd b: 4 KiB folios (THP off), every third page written. */
#define MFD_B_SIZE	((1UL << 20) + 123)
#define TF_LEN		3000

static int dev = -1;
static int seed;
/*
 * Pieces that came back with wrong data: @wrong at the first read (damage
 * to a field no format can check, e.g. a size shrunk by a few bytes or a
 * content byte kept in a handler's page, looks like valid data; reported,
 * not failed), @changed after a correct first read (a page with two
 * owners: always a failure).
 */
static int wrong, changed;
static int good[8];	/* pieces whose first read was correct */

/* Whether byte @off of memfd @which was written (else it is in a hole). */
static int mfd_written(int which, size_t off)
{
	size_t page = off / 4096;

	if (which == 1)
		return !(page % 3);
	if (off < (2UL << 20))
		return 1;
	return off >= (4UL << 20) && !(page % 2);
}

static unsigned char mfd_byte(int which, size_t off)
{
	if (!mfd_written(which, off))
		return 0;
	return (unsigned char)((off * 2654435761UL) >> 13) ^ (which ? 0x5a : 0xa5);
}

static int make_memfd(int which, size_t size)
{
	int fd = memfd_create(which ? "fuzz-b" : "fuzz-a", MFD_CLOEXEC);
	unsigned char *m;
	size_t off;

	if (fd < 0 || ftruncate(fd, size))
		ksft_exit_fail_msg("memfd: %m\n");
	m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		ksft_exit_fail_msg("mmap: %m\n");
	/* 4 KiB folios after the hole, though THP is "always". */
	if (!which)
		madvise(m + (4UL << 20), size - (4UL << 20), MADV_NOHUGEPAGE);
	for (off = 0; off < size; off++) {
		if (mfd_written(which, off))
			m[off] = mfd_byte(which, off);
	}
	munmap(m, size);
	return fd;
}

/* 0 if memfd @fd holds exactly what make_memfd() wrote, else 1 + offset. */
static long check_memfd(int fd, int which, size_t size)
{
	struct stat st;
	unsigned char *m;
	size_t off;
	long bad = 0;

	if (fstat(fd, &st) || (size_t)st.st_size != size)
		return 1;
	m = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return 1;
	for (off = 0; off < size; off++) {
		if (m[off] != mfd_byte(which, off)) {
			bad = off + 1;
			break;
		}
	}
	munmap(m, size);
	return bad;
}

static void preserve(int sfd, int fd, __u64 token, const char *what)
{
	int ret = luo_preserve_fd(sfd, fd, token);

	if (ret)
		ksft_exit_fail_msg("preserving %s: %s\n", what, strerror(-ret));
}

static int new_tf(__u64 label)
{
	int fd = tf_open(label);

	if (fd < 0 || tf_write_pattern(fd, label, TF_LEN))
		ksft_exit_fail_msg("test file %llu\n", (unsigned long long)label);
	return fd;
}

static int stage1(void)
{
	char buf[32];
	int a, b, e, fd, ret;

	ksft_set_plan(1);
	ret = vmtest_write_file(KHO_TEST_DIR "/preserve", "5");
	if (ret)
		ksft_exit_fail_msg("kho_test preserve: %s\n", strerror(-ret));

	dev = luo_open_device();
	if (dev < 0)
		ksft_exit_fail_msg("open %s: %s\n", LUO_DEVICE, strerror(-dev));
	a = luo_create_session(dev, "fuzz-a");
	b = luo_create_session(dev, "fuzz-b");
	e = luo_create_session(dev, "fuzz-empty");
	if (a < 0 || b < 0 || e < 0)
		ksft_exit_fail_msg("create sessions\n");

	luo_set_shmem_thp("always");
	fd = make_memfd(0, MFD_A_SIZE);
	preserve(a, fd, 1, "memfd a");
	close(fd);
	luo_set_shmem_thp("never");
	fd = make_memfd(1, MFD_B_SIZE);
	preserve(b, fd, 1, "memfd b");
	close(fd);
	fd = new_tf(1002);
	preserve(a, fd, 2, "test file a");
	close(fd);
	fd = new_tf(2002);
	preserve(b, fd, 2, "test file b");
	close(fd);
	fd = new_tf(2003);
	preserve(b, fd, 3, "test file b2");
	close(fd);

	snprintf(buf, sizeof(buf), "%d", seed);
	ret = vmtest_write_file(FUZZ_SEED, buf);
	ksft_test_result(!ret, "seed %d armed (%s)\n", seed, ret ? strerror(-ret) : "ok");
	if (ksft_get_fail_cnt())
		ksft_exit_fail();

	/* Keep the sessions open in a child that outlives us until the kexec. */
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

struct piece {
	const char *session;
	__u64 token;
	int kind;	/* 0, 1: memfd a, b; else test file with this label */
	int fd;		/* retrieved fd, or -errno */
};

static struct piece pieces[] = {
	{ "fuzz-a", 1, 0, -1 }, { "fuzz-a", 2, 1002, -1 },
	{ "fuzz-b", 1, 1, -1 }, { "fuzz-b", 2, 2002, -1 },
	{ "fuzz-b", 3, 2003, -1 },
};

static long check_piece(struct piece *p)
{
	__u64 label = 0;

	if (p->kind == 0)
		return check_memfd(p->fd, 0, MFD_A_SIZE);
	if (p->kind == 1)
		return check_memfd(p->fd, 1, MFD_B_SIZE);
	if (tf_get_label(p->fd, &label) || label != (__u64)p->kind)
		return 1;
	return tf_check_pattern(p->fd, p->kind, TF_LEN);
}

static void check_all(const char *when, int first)
{
	unsigned int i;
	long bad;

	for (i = 0; i < ARRAY_SIZE(pieces); i++) {
		struct piece *p = &pieces[i];

		if (p->fd < 0 || (!first && !good[i]))
			continue;
		bad = check_piece(p);
		if (first)
			good[i] = !bad;
		if (bad) {
			if (first)
				wrong++;
			else
				changed++;
			ksft_print_msg("fuzz: %s token %llu: %s %s (at %ld)\n",
				       p->session, (unsigned long long)p->token,
				       first ? "WRONG DATA" : "CHANGED DATA", when,
				       bad - 1);
		}
	}
}

/* Fill all but @keep_mib of the available memory; returns the mapping. */
static void *fill_memory(size_t *len, long keep_mib)
{
	long avail = luo_meminfo_kib("MemAvailable");
	unsigned char *m;
	size_t i;

	if (avail < 0 || avail / 1024 <= keep_mib)
		return NULL;
	*len = (size_t)(avail / 1024 - keep_mib) << 20;
	m = mmap(NULL, *len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (m == MAP_FAILED)
		return NULL;
	for (i = 0; i < *len; i += 4096)
		memset(m + i, (int)(i >> 12) | 1, 4096);
	return m;
}

static int stage2(void)
{
	static const char * const sessions[] = { "fuzz-a", "fuzz-b", "fuzz-empty" };
	int sfd[3], i, j, ret, retrieved = 0;
	char res[160] = "";
	size_t fill_len = 0;
	void *fill;

	ksft_set_plan(5);
	dev = luo_open_device();
	ksft_print_msg("fuzz: open %s: %s\n", LUO_DEVICE,
		       dev < 0 ? strerror(-dev) : "ok");
	for (i = 0; i < 3; i++) {
		sfd[i] = dev < 0 ? dev : luo_retrieve_session(dev, sessions[i]);
		ksft_print_msg("fuzz: session %s: %s\n", sessions[i],
			       sfd[i] < 0 ? strerror(-sfd[i]) : "ok");
	}
	for (j = 0; j < (int)ARRAY_SIZE(pieces); j++) {
		struct piece *p = &pieces[j];

		for (i = 0; strcmp(sessions[i], p->session); i++)
			;
		p->fd = sfd[i] < 0 ? sfd[i] : luo_retrieve_fd(sfd[i], p->token);
		ksft_print_msg("fuzz: %s token %llu: %s\n", p->session,
			       (unsigned long long)p->token,
			       p->fd < 0 ? strerror(-p->fd) : "retrieved");
		retrieved += p->fd >= 0;
	}
	check_all("after retrieve", 1);
	for (i = 0; i < 3; i++) {
		if (sfd[i] >= 0) {
			ret = luo_finish(sfd[i]);
			ksft_print_msg("fuzz: finish %s: %s\n", sessions[i],
				       ret ? strerror(-ret) : "ok");
		}
	}
	check_all("after finish", 0);

	fill = fill_memory(&fill_len, 80);
	ksft_print_msg("fuzz: filled %zu MiB\n", fill_len >> 20);
	check_all("after filling memory", 0);

	ret = vmtest_read_file(KHO_TEST_DIR "/verify", res, sizeof(res));
	ksft_print_msg("fuzz: kho_test verify: %s\n", ret > 0 ? res : strerror(-ret));
	if (ret > 0 && strstr(res, "differs")) {
		wrong++;
		ksft_print_msg("fuzz: kho_test: WRONG DATA\n");
	}
	if (fill)
		munmap(fill, fill_len);
	check_all("after kho_test verify", 0);

	ksft_test_result(!changed, "no piece changed after it was read intact\n");
	ksft_test_result(seed || !wrong, "%d piece(s) with wrong data at the first read%s\n",
			 wrong, seed ? " (reported)" : " (control run: none)");
	ksft_test_result(!seed ? retrieved == ARRAY_SIZE(pieces) : 1,
			 "%d of %zu files retrieved%s\n", retrieved, ARRAY_SIZE(pieces),
			 seed ? "" : " (control run: all)");
	ksft_test_result(seed || (ret > 0 && !strncmp(res, "ok ", 3)),
			 "kho_test verify%s\n", seed ? "" : " (control run: ok)");
	/* The kernel keeps working after all that. */
	fill = fill_memory(&fill_len, 80);
	ksft_test_result(!!fill, "memory can be filled again\n");
	if (fill)
		munmap(fill, fill_len);
	ksft_print_msg("fuzz: seed %d verdict: %s, %d of %zu files retrieved\n",
		       seed, changed ? "CHANGED DATA" : wrong ? "WRONG DATA" : "clean",
		       retrieved, ARRAY_SIZE(pieces));
	if (ksft_get_fail_cnt())
		ksft_exit_fail();
	ksft_exit_pass();
}

int main(void)
{
	char variant[32] = "";
	int stage = vmtest_stage();

	vmtest_cmdline_get("vmtest.variant", variant, sizeof(variant));
	seed = atoi(variant);
	ksft_print_header();
	if (access(KHO_TEST_DIR, F_OK) || (stage == 1 && access(FUZZ_SEED, F_OK)))
		ksft_exit_skip("needs CONFIG_TEST_KEXEC_HANDOVER and CONFIG_KEXEC_HANDOVER_FUZZ\n");
	if (stage == 1)
		return stage1();
	if (stage == 2)
		return stage2();
	ksft_exit_fail_msg("unexpected stage %d\n", stage);
}
