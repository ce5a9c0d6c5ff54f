// SPDX-License-Identifier: GPL-2.0
/*
 * memfd preservation across real kexecs (CONFIG_LIVEUPDATE_MEMFD).
 *
 * Variant "contents", three kernels: stage 1 preserves memfds of 0 B, 1 B,
 * 4 KiB, 2 MiB (THP when the kernel has it), 1 MiB + 1 byte in a 2 MiB
 * THP that reaches beyond its end, 256 MiB of seeded random data,
 * a sparse 16 GiB file with scattered written pages, a sealed memfd with a
 * file position and a fallocated memfd never written; it checks that their
 * size is frozen, and writes into a preserved page, a fallocated page and
 * a hole after preserving. Stage 2
 * retrieves them, compares every byte with a checksum, the sizes, seals
 * and position, writes through mmap() and write(), and preserves them all
 * again; stage 3 checks everything once more (chained live updates).
 *
 * Variant "leak": closing a session before kexec gives the memory back
 * (unpreserve), and so does finishing a session whose memfd was never
 * retrieved (MemFree before and after, in the next kernel).
 *
 * Variant "rejected", one kernel: files the memfd handler must refuse
 * (ENOENT): a hugetlb memfd, which keeps its contents, its token free and
 * its size changeable (without CONFIG_LIVEUPDATE_HUGETLB; with it, the
 * hugetlb handler takes it), a named tmpfs file and a pipe; a memfd too large
 * for the handover format (EFBIG), after which the memfd is not left
 * frozen, and a preserved memfd offered again through another open file
 * (EBUSY).
 *
 * Variant "swap": stage 1 puts most of a memfd into swap (a zram disk set
 * up here), as 4 KiB pages and as whole THPs, checks with mincore() and
 * SwapFree that it really went there, and preserves it: every page must
 * be resident again and the swap space given back, and reclaim must not
 * take the pinned pages. Stage 2 checks the contents and that the hole
 * stayed a hole.
 *
 * Variant "memcg": the retrieved folios are charged to the memory cgroup
 * of the retriever (memory.current and memory.stat shmem grow by the size
 * of the memfd) and uncharged when it is closed; a memfd finished without
 * retrieve was never charged.
 *
 * Variant "noexec": memfds created with MFD_NOEXEC_SEAL, with MFD_EXEC,
 * with no exec flag under vm.memfd_noexec=1 and =2, and with F_SEAL_EXEC
 * added by hand come back with the same mode (0666 or 0777), exactly the
 * seals they had, an exec class that still cannot change when sealed
 * (chmod: EPERM), and writable unless write-sealed; one the handover
 * format cannot describe (sealed against exec without exec permission,
 * and fully write-sealed) is refused. The sysctl is per pid namespace and
 * needs CONFIG_PID_NS: without it the variant reports SKIP, after running
 * the other cases.
 *
 * Variant "freeze-retry": a freeze that fails on a test file frozen after
 * the memfd, then one that fails writing the memfd's folio records (test
 * hook), then one that succeeds with no new folio since: every folio,
 * including those written into holes between the attempts, reaches the
 * next kernel.
 *
 * Variants "hugetlb", "hugetlb-hvo" (the same with the vmemmap of huge
 * pages optimized), "hugetlb-cgroup", "hugetlb-race" and
 * "hugetlb-damaged-*": 2 MiB hugetlb memfds (CONFIG_LIVEUPDATE_HUGETLB),
 * see stage_hugetlb(), stage_hugetlb_cgroup(), stage_hugetlb_race() and
 * stage_hugetlb_damaged(). Variants "hugetlb-1g", "hugetlb-1g-hvo",
 * "hugetlb-1g-finish" and "hugetlb-1g-nosize": 1 GiB pages, see
 * stage_hugetlb_1g().
 *
 * Variants "damaged-flags", "damaged-pos", "damaged-record",
 * "damaged-order": the previous kernel hands over a memfd with an unknown
 * header flag, a position beyond MAX_LFS_FILESIZE, a record with an
 * unknown flag, or a folio larger than the page cache takes (test hook).
 * Retrieving it fails with EOPNOTSUPP or EINVAL and one log line, its
 * memory is given back, and the other memfd of the session is intact.
 *
 * Variant "busy": a writer holds a memfd's inode lock across a
 * userfaultfd fault; the reboot fails with EBUSY instead of hanging, a
 * memfd frozen before it refuses new folios meanwhile (EPERM), and the
 * reboot succeeds once the writer is done.
 *
 * Variant "race-fault": the reboot races a thread faulting into the holes
 * of a preserved memfd; the next kernel finds every page written before
 * the reboot and nothing torn or foreign in the others.
 *
 * Variant "preserve-race", one kernel: PRESERVE_FD races truncate and
 * fallocate on the same memfd, 300 times: each preserve succeeds and the
 * size then stays, or fails cleanly.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest.h"
#include "luo_test_utils.h"
#include "vmtest.h"

#define SESSION		"memfd-test"
#define MiB		(1024UL * 1024)
#define GiB		(1024 * MiB)
#define SPARSE_SIZE	(16 * GiB)
#define SPARSE_PAGES	2048		/* 8 MiB written, spread out */
#define SEALED_SEALS	(F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

enum {
	T_EMPTY = 1, T_BYTE, T_PAGE, T_THP, T_BIG, T_SPARSE, T_SEALED, T_FALLOC,
	T_THP_TAIL, T_LAST = T_THP_TAIL
};

#define FALLOC_SIZE	(64 * 1024)

struct memfd_case {
	__u64 token;
	const char *name;
	size_t size;
	unsigned int seed;
};

/*
 * T_THP_TAIL is 1 MiB + 1 byte written with write() while shmem THP is
 * "always": one 2 MiB folio, most of it beyond the end of the file.
 */
static const struct memfd_case cases[] = {
	{ T_EMPTY,	"0B",		0,		11 },
	{ T_BYTE,	"1B",		1,		12 },
	{ T_PAGE,	"4KiB",		4096,		13 },
	{ T_THP,	"2MiB",		2 * MiB,	14 },
	{ T_BIG,	"256MiB",	256 * MiB,	15 },
	{ T_THP_TAIL,	"1MiB+1",	MiB + 1,	16 },
};

static int failures;

#define CHECK(cond, fmt, ...) do {					\
	if (!(cond)) {							\
		printf("not ok: %s:%d: " fmt "\n", __func__, __LINE__,	\
		       ##__VA_ARGS__);					\
		failures++;						\
	}								\
} while (0)

#define REQUIRE(cond, fmt, ...) do {					\
	if (!(cond)) {							\
		printf("not ok: %s:%d: " fmt "\n", __func__, __LINE__,	\
		       ##__VA_ARGS__);					\
		exit(KSFT_FAIL);					\
	}								\
} while (0)

/* xorshift64*: the same stream for the same seed in every kernel. */
static uint64_t prng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static void fill(unsigned char *buf, size_t len, unsigned int seed)
{
	uint64_t s = 0x9e3779b97f4a7c15ULL ^ seed, v;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		v = prng_next(&s);
		memcpy(buf + i, &v, 8);
	}
	v = prng_next(&s);
	memcpy(buf + i, &v, len - i);
}

/* FNV-1a over @len bytes. */
static uint64_t checksum(const unsigned char *buf, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ buf[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t expected_sum(size_t len, unsigned int seed)
{
	unsigned char *buf = malloc(len ? len : 1);
	uint64_t sum;

	REQUIRE(buf, "malloc %zu", len);
	fill(buf, len, seed);
	sum = checksum(buf, len);
	free(buf);
	return sum;
}

/* Checksum of the whole file through pread(), or through mmap(). */
static uint64_t file_sum(int fd, size_t len, int use_mmap)
{
	unsigned char *buf;
	uint64_t sum;

	if (!len)
		return checksum(NULL, 0);
	if (use_mmap) {
		buf = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
		REQUIRE(buf != MAP_FAILED, "mmap: %m");
		sum = checksum(buf, len);
		munmap(buf, len);
		return sum;
	}
	buf = malloc(len);
	REQUIRE(buf, "malloc %zu", len);
	REQUIRE(pread(fd, buf, len, 0) == (ssize_t)len, "pread: %m");
	sum = checksum(buf, len);
	free(buf);
	return sum;
}

static int new_memfd(const char *name, size_t size, unsigned int seed,
		     unsigned int flags)
{
	unsigned char *buf;
	int fd;

	fd = memfd_create(name, flags);
	REQUIRE(fd >= 0, "memfd_create(%s): %m", name);
	if (!size)
		return fd;
	REQUIRE(!ftruncate(fd, size), "ftruncate: %m");
	buf = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	REQUIRE(buf != MAP_FAILED, "mmap: %m");
	fill(buf, size, seed);
	munmap(buf, size);
	return fd;
}

/* The same with write(), which a mapping's size does not keep from THPs. */
static int new_memfd_by_write(const char *name, size_t size, unsigned int seed)
{
	unsigned char *buf;
	int fd;

	fd = memfd_create(name, 0);
	REQUIRE(fd >= 0, "memfd_create(%s): %m", name);
	buf = malloc(size);
	REQUIRE(buf, "malloc %zu", size);
	fill(buf, size, seed);
	REQUIRE(pwrite(fd, buf, size, 0) == (ssize_t)size, "pwrite: %m");
	free(buf);
	return fd;
}

/* Page numbers of the sparse file that hold data: spread over 16 GiB. */
static off_t sparse_page(unsigned int i)
{
	return (off_t)i * (SPARSE_SIZE / 4096 / SPARSE_PAGES) + (i % 7);
}

static void sparse_page_data(unsigned char *page, unsigned int i)
{
	fill(page, 4096, 1000 + i);
}

static int new_sparse_memfd(void)
{
	unsigned char page[4096];
	unsigned int i;
	int fd;

	fd = memfd_create("sparse", 0);
	REQUIRE(fd >= 0, "memfd_create: %m");
	REQUIRE(!ftruncate(fd, SPARSE_SIZE), "ftruncate 16 GiB: %m");
	for (i = 0; i < SPARSE_PAGES; i++) {
		sparse_page_data(page, i);
		REQUIRE(pwrite(fd, page, 4096, sparse_page(i) * 4096) == 4096,
			"pwrite: %m");
	}
	return fd;
}

static void check_sparse(int fd, const char *when)
{
	unsigned char page[4096], want[4096], zero[4096] = {};
	struct stat st;
	unsigned int i;

	REQUIRE(!fstat(fd, &st), "fstat: %m");
	CHECK(st.st_size == (off_t)SPARSE_SIZE, "%s: sparse size %lld", when,
	      (long long)st.st_size);
	/* Only the written pages (and the one written after preserve) take memory. */
	CHECK(st.st_blocks * 512 <= (SPARSE_PAGES + 2) * 4096L,
	      "%s: sparse file uses %lld bytes", when,
	      (long long)st.st_blocks * 512);
	for (i = 0; i < SPARSE_PAGES; i++) {
		sparse_page_data(want, i);
		REQUIRE(pread(fd, page, 4096, sparse_page(i) * 4096) == 4096,
			"pread: %m");
		if (memcmp(page, want, 4096)) {
			CHECK(0, "%s: sparse page %u differs", when, i);
			return;
		}
	}
	/* A hole reads as zeroes. */
	REQUIRE(pread(fd, page, 4096, (sparse_page(0) + 3) * 4096) == 4096,
		"pread: %m");
	CHECK(!memcmp(page, zero, 4096), "%s: a hole is not zero", when);
}

/* Kexec into the next stage with the session fds still open. */
static int kexec_now(int stage)
{
	int err;

	fflush(stdout);
	err = vmtest_kexec_load(stage + 1);
	REQUIRE(!err, "kexec_file_load: %s", strerror(-err));
	err = vmtest_kexec_reboot();
	printf("not ok: reboot(KEXEC) returned: %s\n", strerror(-err));
	return KSFT_FAIL;
}

/* The marker written into the 4 KiB memfd and into a hole after preserve. */
static const char late[] = "written after preserve";

static void preserve_all(int dev, int *fds, int stage)
{
	int sfd, i;

	sfd = luo_create_session(dev, SESSION);
	REQUIRE(sfd >= 0, "create session: %s", strerror(-sfd));
	for (i = 0; i <= T_LAST; i++) {
		int err;

		if (fds[i] < 0)
			continue;
		err = luo_preserve_fd(sfd, fds[i], i);
		REQUIRE(!err, "stage %d: preserve token %d: %s", stage, i,
			strerror(-err));
	}
	/* Keep sfd open: it goes with the kexec. */
}

static void check_frozen(int fd, int sparse_fd)
{
	char c = 'x';

	CHECK(ftruncate(fd, 8192) && errno == EPERM,
	      "ftruncate of a preserved memfd: %m");
	CHECK(fallocate(fd, 0, 0, 8192) && errno == EPERM,
	      "fallocate of a preserved memfd: %m");
	CHECK(pwrite(fd, &c, 1, 4096) < 0 && errno == EPERM,
	      "write past the end of a preserved memfd: %m");
	/* Writes inside the file still work, and must survive the kexec. */
	CHECK(pwrite(fd, late, sizeof(late), 100) == sizeof(late),
	      "write into a preserved page: %m");
	CHECK(pwrite(sparse_fd, late, sizeof(late),
		     (sparse_page(1) + 2) * 4096) == sizeof(late),
	      "write into a hole of a preserved memfd: %m");
}

/* The fallocated memfd: zeroes, and what was written after preserve. */
static void check_falloc(int fd, const char *when)
{
	static unsigned char buf[FALLOC_SIZE], want[FALLOC_SIZE];

	memset(want, 0, sizeof(want));
	memcpy(want + 5000, late, sizeof(late));
	CHECK(pread(fd, buf, sizeof(buf), 0) == sizeof(buf) &&
	      !memcmp(buf, want, sizeof(want)),
	      "%s: fallocated memfd lost the write made after preserve", when);
}

static void check_all(int *fds, const char *when, int late_written)
{
	unsigned int i;
	struct stat st;
	char buf[sizeof(late)];

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct memfd_case *c = &cases[i];
		int fd = fds[c->token];
		uint64_t want, got;

		REQUIRE(!fstat(fd, &st), "fstat: %m");
		CHECK(st.st_size == (off_t)c->size, "%s: %s: size %lld", when,
		      c->name, (long long)st.st_size);
		if (c->token == T_PAGE && late_written) {
			/* Checked separately below. */
			continue;
		}
		want = expected_sum(c->size, c->seed);
		got = file_sum(fd, c->size, c->token == T_BIG);
		CHECK(got == want, "%s: %s: checksum %016llx, want %016llx",
		      when, c->name, (unsigned long long)got,
		      (unsigned long long)want);
	}
	if (late_written) {
		CHECK(pread(fds[T_PAGE], buf, sizeof(buf), 100) == sizeof(buf) &&
		      !memcmp(buf, late, sizeof(late)),
		      "%s: write made after preserve is lost", when);
		CHECK(pread(fds[T_SPARSE], buf, sizeof(buf),
			    (sparse_page(1) + 2) * 4096) == sizeof(buf) &&
		      !memcmp(buf, late, sizeof(late)),
		      "%s: write into a hole after preserve is lost", when);
	}
	check_sparse(fds[T_SPARSE], when);
	check_falloc(fds[T_FALLOC], when);

	CHECK(fcntl(fds[T_SEALED], F_GET_SEALS) == SEALED_SEALS,
	      "%s: seals %#x", when, fcntl(fds[T_SEALED], F_GET_SEALS));
	CHECK(pwrite(fds[T_SEALED], "x", 1, 0) < 0 && errno == EPERM,
	      "%s: a write-sealed memfd accepts writes", when);
	CHECK(lseek(fds[T_SEALED], 0, SEEK_CUR) == 1234,
	      "%s: position %lld", when,
	      (long long)lseek(fds[T_SEALED], 0, SEEK_CUR));
}

static void retrieve_all(int dev, int *fds)
{
	int sfd, i;

	sfd = luo_retrieve_session(dev, SESSION);
	REQUIRE(sfd >= 0, "retrieve session: %s", strerror(-sfd));
	for (i = 0; i <= T_LAST; i++)
		fds[i] = -1;
	for (i = T_EMPTY; i <= T_LAST; i++) {
		fds[i] = luo_retrieve_fd(sfd, i);
		REQUIRE(fds[i] >= 0, "retrieve token %d: %s", i,
			strerror(-fds[i]));
	}
	REQUIRE(!luo_finish(sfd), "finish: %m");
	close(sfd);
}

static int stage_contents(int stage)
{
	int fds[T_LAST + 1], dev, i;
	unsigned int c;
	char val[8];

	dev = luo_open_device();
	if (dev == -ENOENT)
		return KSFT_SKIP;
	REQUIRE(dev >= 0, "open /dev/liveupdate: %s", strerror(-dev));

	if (stage == 1) {
		long before, after;

		fds[0] = -1;
		for (c = 0; c < ARRAY_SIZE(cases); c++) {
			/* 2 MiB folios for the 2 MiB memfds only. */
			if (cases[c].token == T_THP ||
			    cases[c].token == T_THP_TAIL)
				luo_set_shmem_thp("always");
			else
				luo_set_shmem_thp("never");
			if (cases[c].token == T_THP_TAIL)
				fds[T_THP_TAIL] = new_memfd_by_write(cases[c].name,
								     cases[c].size,
								     cases[c].seed);
			else
				fds[cases[c].token] = new_memfd(cases[c].name,
								cases[c].size,
								cases[c].seed, 0);
		}
		luo_set_shmem_thp("never");
		printf("# %s (2 MiB and 1 MiB + 1 byte memfds)\n",
		       luo_shmem_huge_line());
		before = vmtest_mem_free_kib();
		fds[T_SPARSE] = new_sparse_memfd();
		after = vmtest_mem_free_kib();
		printf("# sparse 16 GiB memfd with 8 MiB written: %ld KiB used\n",
		       before - after);

		fds[T_SEALED] = new_memfd("sealed", 0, 0, MFD_ALLOW_SEALING);
		REQUIRE(!fcntl(fds[T_SEALED], F_ADD_SEALS, SEALED_SEALS),
			"F_ADD_SEALS: %m");
		REQUIRE(lseek(fds[T_SEALED], 1234, SEEK_SET) == 1234,
			"lseek: %m");

		/* Allocated by fallocate() and never written before preserve. */
		fds[T_FALLOC] = memfd_create("falloc", 0);
		REQUIRE(fds[T_FALLOC] >= 0 &&
			!fallocate(fds[T_FALLOC], 0, 0, FALLOC_SIZE),
			"fallocate: %m");

		before = vmtest_mem_free_kib();
		preserve_all(dev, fds, stage);
		after = vmtest_mem_free_kib();
		printf("# preserving everything used %ld KiB\n", before - after);
		/* Holes stay holes: preserving does not fill 16 GiB. */
		CHECK(before - after < 64 * 1024,
		      "preserving used %ld KiB", before - after);

		check_frozen(fds[T_PAGE], fds[T_SPARSE]);
		CHECK(pwrite(fds[T_FALLOC], late, sizeof(late), 5000) ==
		      sizeof(late), "write into a fallocated page: %m");
		check_all(fds, "stage 1", 1);
		if (failures)
			return KSFT_FAIL;
		return kexec_now(stage);
	}

	retrieve_all(dev, fds);
	check_all(fds, stage == 2 ? "stage 2" : "stage 3", 1);
	/* The distro kernel: some of it lay where deferred init had not been. */
	if (vmtest_cmdline_get("vmtest.deferred", val, sizeof(val)) > 0 && atoi(val) > 0) {
		long n = vmtest_kho_deferred_pages(), late, early;

		printf("# %ld preserved pages in the deferred struct page init range\n", n);
		CHECK(n > 0, "KHO initialised no struct pages itself (%ld)", n);
		/* Most of them once deferred init had run, on all CPUs. */
		late = vmtest_kho_late_pages(&early);
		printf("# %ld of them set up after deferred init, %ld block(s) early\n",
		       late, early);
		CHECK(late > 0 && late <= n,
		      "KHO left no preserved block to after deferred init (%ld of %ld)",
		      late, n);
	}
	if (stage == 3)
		return failures ? KSFT_FAIL : KSFT_PASS;

	/* Usable as ordinary memfds: rewrite through mmap() and write(). */
	{
		unsigned char *p, b;

		p = mmap(NULL, 256 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED,
			 fds[T_BIG], 0);
		REQUIRE(p != MAP_FAILED, "mmap: %m");
		fill(p, 256 * MiB, 15);
		munmap(p, 256 * MiB);
		fill(&b, 1, 12);
		CHECK(pwrite(fds[T_BYTE], &b, 1, 0) == 1, "write: %m");
	}
	for (i = T_EMPTY; i <= T_LAST; i++)
		if (i != T_SEALED)
			lseek(fds[i], 0, SEEK_SET);
	preserve_all(dev, fds, stage);
	check_all(fds, "stage 2 after preserving again", 1);
	if (failures)
		return KSFT_FAIL;
	return kexec_now(stage);
}

static int stage_leak(int stage)
{
	const size_t size = 64 * MiB;
	long base, after;
	int dev, sfd, fd, err;

	dev = luo_open_device();
	if (dev == -ENOENT)
		return KSFT_SKIP;
	REQUIRE(dev >= 0, "open /dev/liveupdate: %s", strerror(-dev));

	if (stage == 1) {
		/* Unpreserve: preserve, close the session, close the memfd. */
		base = vmtest_mem_free_kib();
		fd = new_memfd("leak", size, 21, 0);
		sfd = luo_create_session(dev, "leak-unpreserve");
		REQUIRE(sfd >= 0, "create: %s", strerror(-sfd));
		err = luo_preserve_fd(sfd, fd, 1);
		REQUIRE(!err, "preserve: %s", strerror(-err));
		close(sfd);
		close(fd);
		after = vmtest_mem_free_kib();
		printf("# unpreserve: MemFree %ld KiB -> %ld KiB\n", base, after);
		CHECK(base - after < 4096,
		      "%ld KiB not given back after unpreserve", base - after);

		/* Finish without retrieve: done in the next kernel. */
		fd = new_memfd("leak", size, 22, 0);
		sfd = luo_create_session(dev, "leak-finish");
		REQUIRE(sfd >= 0, "create: %s", strerror(-sfd));
		err = luo_preserve_fd(sfd, fd, 1);
		REQUIRE(!err, "preserve: %s", strerror(-err));
		close(fd);
		if (failures)
			return KSFT_FAIL;
		return kexec_now(stage);
	}

	base = vmtest_mem_free_kib();
	sfd = luo_retrieve_session(dev, "leak-finish");
	REQUIRE(sfd >= 0, "retrieve session: %s", strerror(-sfd));
	REQUIRE(!luo_finish(sfd), "finish: %m");
	close(sfd);
	after = vmtest_mem_free_kib();
	printf("# finish without retrieve: MemFree %ld KiB -> %ld KiB\n", base,
	       after);
	CHECK(after - base >= (long)(size / 1024) * 95 / 100,
	      "finish freed only %ld KiB of %zu", after - base, size / 1024);
	return failures ? KSFT_FAIL : KSFT_PASS;
}

/*
 * Variant "swap": a memfd partly in swap (order-0 pages and whole THPs),
 * partly resident, partly a hole. The swap device is a zram disk, made a
 * swap area here (the header is what mkswap(8) writes) and enabled with
 * swapon(2).
 */
#define SWAP_ZRAM	"/dev/zram0"
#define SWAP_DISKSIZE	"128M"
#define SWAP_SMALL	(24 * MiB)	/* [0, 24M): 4 KiB pages, swapped out */
#define SWAP_THP	(4 * MiB)	/* [24M, 28M): two THPs, swapped out */
#define SWAP_RESIDENT	(4 * MiB)	/* [28M, 32M): 4 KiB pages, resident */
#define SWAP_DATA	(SWAP_SMALL + SWAP_THP + SWAP_RESIDENT)
#define SWAP_OUT	(SWAP_SMALL + SWAP_THP)
#define SWAP_SIZE	(SWAP_DATA + 8 * MiB)	/* [32M, 40M): a hole */
#define SWAP_SEED	31

/* Page 0 of a version 1 swap area; "SWAPSPACE2" ends the page. */
struct swap_header_v1 {
	char bootbits[1024];
	uint32_t version;
	uint32_t last_page;
	uint32_t nr_badpages;
	unsigned char uuid[16];
	char volume[16];
};

/* Make the zram disk a swap area and use it: 0, or KSFT_SKIP without zram. */
static int swap_setup(void)
{
	static unsigned char page[4096];
	struct swap_header_v1 *hdr = (void *)page;
	unsigned long long bytes;
	int fd, err;

	err = vmtest_write_file("/sys/block/zram0/disksize", SWAP_DISKSIZE);
	if (err == -ENOENT) {
		printf("# no zram in this kernel (CONFIG_ZRAM)\n");
		return KSFT_SKIP;
	}
	REQUIRE(!err, "zram disksize: %s", strerror(-err));

	fd = open(SWAP_ZRAM, O_RDWR | O_CLOEXEC);
	REQUIRE(fd >= 0, "open %s: %m", SWAP_ZRAM);
	bytes = lseek(fd, 0, SEEK_END);
	REQUIRE(bytes >= 1 * MiB, "%s has %llu bytes", SWAP_ZRAM, bytes);
	hdr->version = 1;
	hdr->last_page = bytes / 4096 - 1;
	memcpy(page + sizeof(page) - 10, "SWAPSPACE2", 10);
	REQUIRE(pwrite(fd, page, sizeof(page), 0) == sizeof(page),
		"write the swap header: %m");
	REQUIRE(!fsync(fd), "fsync %s: %m", SWAP_ZRAM);
	close(fd);

	REQUIRE(!swapon(SWAP_ZRAM, 0), "swapon %s (CONFIG_SWAP): %m", SWAP_ZRAM);
	printf("# swap on %s: SwapTotal %ld KiB\n", SWAP_ZRAM,
	       luo_meminfo_kib("SwapTotal"));
	return 0;
}

/*
 * Swap in use, in KiB. Freed swap slots go back in batches (of 64 per CPU),
 * so this lags behind; swap_of_mapping_kib() is exact.
 */
static long swap_used_kib(void)
{
	return luo_meminfo_kib("SwapTotal") - luo_meminfo_kib("SwapFree");
}

/* The "Swap:" of the mapping at @map in /proc/self/smaps: the file's pages in swap. */
static long swap_of_mapping_kib(void *map)
{
	static char buf[256 * 1024];
	char start[32], *p;
	int n;

	n = vmtest_read_file("/proc/self/smaps", buf, sizeof(buf));
	REQUIRE(n >= 0, "read /proc/self/smaps: %s", strerror(-n));
	snprintf(start, sizeof(start), "\n%lx-", (unsigned long)map);
	p = strstr(buf, start);
	REQUIRE(p, "mapping %p not in /proc/self/smaps", map);
	p = strstr(p, "\nSwap:");
	REQUIRE(p, "no Swap: in /proc/self/smaps");
	return strtol(p + 6, NULL, 10);
}

/* Resident pages of [off, off + len) of the mapping @map, by mincore(). */
static size_t resident_pages(unsigned char *map, size_t off, size_t len)
{
	static unsigned char vec[SWAP_SIZE / 4096];
	size_t i, n = 0;

	REQUIRE(!mincore(map + off, len, vec), "mincore: %m");
	for (i = 0; i < len / 4096; i++)
		n += vec[i] & 1;
	return n;
}

/* The data the swap memfd holds: SWAP_DATA bytes, then zeroes. */
static void check_swap_memfd(int fd, const char *when)
{
	unsigned char *map, page[4096], zero[4096] = {};
	struct stat st;
	size_t off;

	REQUIRE(!fstat(fd, &st), "fstat: %m");
	CHECK(st.st_size == (off_t)SWAP_SIZE, "%s: size %lld", when,
	      (long long)st.st_size);
	CHECK(st.st_blocks * 512 == (off_t)SWAP_DATA,
	      "%s: %lld bytes allocated, want %lu (holes stay holes)", when,
	      (long long)st.st_blocks * 512, SWAP_DATA);
	map = mmap(NULL, SWAP_DATA, PROT_READ, MAP_SHARED, fd, 0);
	REQUIRE(map != MAP_FAILED, "mmap: %m");
	CHECK(checksum(map, SWAP_DATA) == expected_sum(SWAP_DATA, SWAP_SEED),
	      "%s: checksum of the swapped memfd differs", when);
	munmap(map, SWAP_DATA);
	/* read(), since a fault on a hole of a shared mapping would fill it. */
	for (off = SWAP_DATA; off < SWAP_SIZE; off += 4096)
		if (pread(fd, page, 4096, off) != 4096 ||
		    memcmp(page, zero, 4096)) {
			CHECK(0, "%s: the hole at %zu is not zero", when, off);
			break;
		}
}

static int stage_swap(int stage)
{
	const size_t out_pages = SWAP_OUT / 4096;
	long base, out, back, again, mapped;
	int dev, sfd, fd, err, i;
	unsigned char *map;
	size_t res;

	dev = luo_open_device();
	if (dev == -ENOENT)
		return KSFT_SKIP;
	REQUIRE(dev >= 0, "open /dev/liveupdate: %s", strerror(-dev));

	if (stage == 2) {
		sfd = luo_retrieve_session(dev, "swap");
		REQUIRE(sfd >= 0, "retrieve session: %s", strerror(-sfd));
		fd = luo_retrieve_fd(sfd, 1);
		REQUIRE(fd >= 0, "retrieve: %s", strerror(-fd));
		REQUIRE(!luo_finish(sfd), "finish: %m");
		check_swap_memfd(fd, "stage 2");
		return failures ? KSFT_FAIL : KSFT_PASS;
	}

	err = swap_setup();
	if (err)
		return err;
	base = swap_used_kib();

	fd = memfd_create("swap", 0);
	REQUIRE(fd >= 0, "memfd_create: %m");
	REQUIRE(!ftruncate(fd, SWAP_SIZE), "ftruncate: %m");
	/*
	 * 2 MiB aligned, so that the THPs are mapped by PMDs and go to swap
	 * whole (as large swap entries), not split.
	 */
	map = mmap(NULL, SWAP_SIZE + 2 * MiB, PROT_NONE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(map != MAP_FAILED, "mmap: %m");
	map = (unsigned char *)(((uintptr_t)map + 2 * MiB - 1) & ~(2 * MiB - 1));
	map = mmap(map, SWAP_SIZE, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_FIXED, fd, 0);
	REQUIRE(map != MAP_FAILED, "mmap: %m");
	{
		unsigned char *buf = malloc(SWAP_DATA);

		REQUIRE(buf, "malloc");
		fill(buf, SWAP_DATA, SWAP_SEED);
		luo_set_shmem_thp("never");
		memcpy(map, buf, SWAP_SMALL);
		luo_set_shmem_thp("always");
		memcpy(map + SWAP_SMALL, buf + SWAP_SMALL, SWAP_THP);
		printf("# %s\n", luo_shmem_huge_line());
		luo_set_shmem_thp("never");
		memcpy(map + SWAP_OUT, buf + SWAP_OUT, SWAP_RESIDENT);
		free(buf);
	}

	/* Page out the first 28 MiB; retry for pages still on per-CPU lists. */
	for (i = 0; i < 5; i++) {
		REQUIRE(!madvise(map, SWAP_OUT, MADV_PAGEOUT),
			"MADV_PAGEOUT: %m");
		if (!resident_pages(map, 0, SWAP_OUT))
			break;
	}
	res = resident_pages(map, 0, SWAP_OUT);
	out = swap_used_kib() - base;
	mapped = swap_of_mapping_kib(map);
	printf("# paged out: %zu of %zu pages resident, %ld KiB of the file in swap\n",
	       res, out_pages, mapped);
	printf("# swap used +%ld KiB, %s\n", out, luo_shmem_huge_line());
	/* The test is about pages in swap: no swap-out, no test. */
	REQUIRE(res < out_pages / 20 &&
		mapped >= (long)(SWAP_OUT / 1024) * 95 / 100 &&
		out >= (long)(SWAP_OUT / 1024) * 95 / 100,
		"the pages did not go to swap");

	sfd = luo_create_session(dev, "swap");
	REQUIRE(sfd >= 0, "create session: %s", strerror(-sfd));
	err = luo_preserve_fd(sfd, fd, 1);
	REQUIRE(!err, "preserve: %s", strerror(-err));

	/* Preserving brought every page back: all resident, swap given back. */
	res = resident_pages(map, 0, SWAP_DATA);
	back = swap_used_kib() - base;
	mapped = swap_of_mapping_kib(map);
	printf("# after preserve: %zu of %lu pages resident, %ld KiB of the file in swap\n",
	       res, SWAP_DATA / 4096, mapped);
	printf("# swap used +%ld KiB\n", back);
	CHECK(res == SWAP_DATA / 4096, "%zu pages not brought back from swap",
	      SWAP_DATA / 4096 - res);
	CHECK(!mapped, "%ld KiB of the memfd still in swap after preserve",
	      mapped);
	/* At most the per-CPU batches of freed slots (64 pages per CPU). */
	CHECK(back <= 1024, "%ld KiB of swap in use after preserve", back);
	CHECK(!resident_pages(map, SWAP_DATA, SWAP_SIZE - SWAP_DATA),
	      "the hole got pages");

	/* Preserved folios are pinned: reclaim must leave them alone. */
	REQUIRE(!madvise(map, SWAP_DATA, MADV_PAGEOUT), "MADV_PAGEOUT: %m");
	again = swap_used_kib() - base;
	res = resident_pages(map, 0, SWAP_DATA);
	mapped = swap_of_mapping_kib(map);
	printf("# MADV_PAGEOUT after preserve: %zu pages resident, %ld KiB in swap\n",
	       res, mapped);
	printf("# swap used +%ld KiB\n", again);
	CHECK(res == SWAP_DATA / 4096 && !mapped && again <= back,
	      "preserved pages went to swap");
	munmap(map, SWAP_SIZE);

	check_swap_memfd(fd, "stage 1");
	if (failures)
		return KSFT_FAIL;
	return kexec_now(stage);
}

/*
 * Variant "memcg": the retriever pays. Stage 1 preserves a 64 MiB memfd, a
 * 16 MiB one and a 64 MiB one of THPs; in stage 2 a child in a cgroup
 * limited to 16 MiB fails to retrieve the THP memfd (ENOMEM, and every
 * folio of it is freed), then the test moves itself into a new memory
 * cgroup, retrieves the first (charged to that cgroup), finishes without
 * retrieving the second (never charged), and closes the first (uncharged).
 */
#define CG_ROOT		"/sys/fs/cgroup"
#define CG_DIR		CG_ROOT "/luo-memcg"
#define CG_LIMITED	CG_ROOT "/luo-memcg-16M"
#define MEMCG_SIZE	(64 * MiB)
#define MEMCG_UNUSED	(16 * MiB)

/* A number in a cgroup file: the whole file, or the value after "@key ". */
static long cg_read_in(const char *dir, const char *file, const char *key)
{
	char path[128], buf[8192], *p;
	int n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	n = vmtest_read_file(path, buf, sizeof(buf));
	REQUIRE(n >= 0, "read %s: %s", path, strerror(-n));
	if (!key)
		return strtol(buf, NULL, 10);
	for (p = buf; p; p = strchr(p, '\n')) {
		if (*p == '\n')
			p++;
		if (!strncmp(p, key, strlen(key)) && p[strlen(key)] == ' ')
			return strtol(p + strlen(key) + 1, NULL, 10);
	}
	REQUIRE(0, "no %s in %s", key, path);
	return -1;
}

static long cg_read(const char *file, const char *key)
{
	return cg_read_in(CG_DIR, file, key);
}

static void cg_join(const char *dir)
{
	char path[128], pid[32];
	int err;

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(pid, sizeof(pid), "%d", getpid());
	err = vmtest_write_file(path, pid);
	REQUIRE(!err, "join %s: %s", dir, strerror(-err));
}

/*
 * A child in a cgroup limited to 16 MiB retrieves the 64 MiB memfd of THPs
 * (token 3). Charging a THP does not call the OOM killer, it fails: the
 * retrieve must fail with ENOMEM and free every folio of the memfd, the
 * ones already charged and the ones not yet inserted.
 */
static void memcg_over_limit(int sfd)
{
	long before, after, cur;
	int status, err;
	pid_t pid;

	REQUIRE(!mkdir(CG_LIMITED, 0755), "mkdir %s: %m", CG_LIMITED);
	err = vmtest_write_file(CG_LIMITED "/memory.max", "16M");
	REQUIRE(!err, "memory.max: %s", strerror(-err));
	before = vmtest_mem_free_kib();
	fflush(stdout);
	pid = fork();
	REQUIRE(pid >= 0, "fork: %m");
	if (!pid) {
		cg_join(CG_LIMITED);
		err = luo_retrieve_fd(sfd, 3);
		printf("# retrieve with memory.max 16M: %s\n",
		       err < 0 ? strerror(-err) : "succeeded");
		_exit(err == -ENOMEM ? 0 : 1);
	}
	REQUIRE(waitpid(pid, &status, 0) == pid, "waitpid: %m");
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status),
	      "over memory.max: status %#x", status);
	after = vmtest_mem_free_kib();
	cur = cg_read_in(CG_LIMITED, "memory.current", NULL);
	printf("# failed retrieve: MemFree +%ld KiB, memory.current %ld KiB\n",
	       after - before, cur / 1024);
	CHECK(after - before >= (long)(MEMCG_SIZE / 1024) * 95 / 100,
	      "the failed retrieve freed only %ld KiB", after - before);
	CHECK(cur <= (long)MiB, "%ld bytes still charged", cur);
	/* The failure is for good. */
	err = luo_retrieve_fd(sfd, 3);
	CHECK(err == -ENOMEM, "retrieve again: %s", strerror(-err));
}

/* Mount cgroup2 and enable the memory controller: 0, or KSFT_SKIP. */
static int memcg_setup(void)
{
	char buf[256];
	int err;

	if (mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL)) {
		printf("# cannot mount cgroup2 (CONFIG_CGROUPS): %m\n");
		return KSFT_SKIP;
	}
	err = vmtest_read_file(CG_ROOT "/cgroup.controllers", buf, sizeof(buf));
	REQUIRE(err >= 0, "cgroup.controllers: %s", strerror(-err));
	if (!strstr(buf, "memory")) {
		printf("# no memory controller (CONFIG_MEMCG): \"%s\"\n", buf);
		return KSFT_SKIP;
	}
	err = vmtest_write_file(CG_ROOT "/cgroup.subtree_control", "+memory");
	REQUIRE(!err, "enable the memory controller: %s", strerror(-err));
	return 0;
}

static int stage_memcg(int stage)
{
	long cur0, shm0, cur1, shm1, cur2, cur3, shm3;
	int dev, sfd, fd, err;
	unsigned char *map;

	dev = luo_open_device();
	if (dev == -ENOENT)
		return KSFT_SKIP;
	REQUIRE(dev >= 0, "open /dev/liveupdate: %s", strerror(-dev));

	if (stage == 1) {
		luo_set_shmem_thp("never");
		sfd = luo_create_session(dev, "memcg");
		REQUIRE(sfd >= 0, "create session: %s", strerror(-sfd));
		fd = new_memfd("memcg", MEMCG_SIZE, 41, 0);
		err = luo_preserve_fd(sfd, fd, 1);
		REQUIRE(!err, "preserve: %s", strerror(-err));
		close(fd);
		fd = new_memfd("memcg-unused", MEMCG_UNUSED, 42, 0);
		err = luo_preserve_fd(sfd, fd, 2);
		REQUIRE(!err, "preserve: %s", strerror(-err));
		close(fd);
		luo_set_shmem_thp("always");
		fd = new_memfd("memcg-thp", MEMCG_SIZE, 43, 0);
		luo_set_shmem_thp("never");
		printf("# %s\n", luo_shmem_huge_line());
		err = luo_preserve_fd(sfd, fd, 3);
		REQUIRE(!err, "preserve: %s", strerror(-err));
		close(fd);
		return kexec_now(stage);
	}

	err = memcg_setup();
	if (err)
		return err;
	sfd = luo_retrieve_session(dev, "memcg");
	REQUIRE(sfd >= 0, "retrieve session: %s", strerror(-sfd));
	memcg_over_limit(sfd);

	REQUIRE(!mkdir(CG_DIR, 0755), "mkdir %s: %m", CG_DIR);
	cg_join(CG_DIR);
	cur0 = cg_read("memory.current", NULL);
	shm0 = cg_read("memory.stat", "shmem");
	fd = luo_retrieve_fd(sfd, 1);
	REQUIRE(fd >= 0, "retrieve: %s", strerror(-fd));
	cur1 = cg_read("memory.current", NULL);
	shm1 = cg_read("memory.stat", "shmem");
	printf("# retrieve %lu KiB: memory.current +%ld KiB, shmem +%ld KiB\n",
	       MEMCG_SIZE / 1024, (cur1 - cur0) / 1024, (shm1 - shm0) / 1024);
	CHECK(shm1 - shm0 == (long)MEMCG_SIZE, "shmem grew by %ld bytes",
	      shm1 - shm0);
	CHECK(cur1 - cur0 >= (long)MEMCG_SIZE &&
	      cur1 - cur0 <= (long)(MEMCG_SIZE + 2 * MiB),
	      "memory.current grew by %ld bytes", cur1 - cur0);

	/* Finishing frees the unretrieved memfd, which nobody was charged for. */
	REQUIRE(!luo_finish(sfd), "finish: %m");
	close(sfd);
	cur2 = cg_read("memory.current", NULL);
	printf("# finish (16 MiB never retrieved): memory.current %+ld KiB\n",
	       (cur2 - cur1) / 1024);
	CHECK(labs(cur2 - cur1) <= (long)MiB, "finish changed memory.current by %ld",
	      cur2 - cur1);

	map = mmap(NULL, MEMCG_SIZE, PROT_READ, MAP_SHARED, fd, 0);
	REQUIRE(map != MAP_FAILED, "mmap: %m");
	CHECK(checksum(map, MEMCG_SIZE) == expected_sum(MEMCG_SIZE, 41),
	      "checksum differs");
	munmap(map, MEMCG_SIZE);

	/* Closing the last reference uncharges it. */
	close(fd);
	cur3 = cg_read("memory.current", NULL);
	shm3 = cg_read("memory.stat", "shmem");
	printf("# close: memory.current %+ld KiB, shmem %+ld KiB (from before retrieve)\n",
	       (cur3 - cur0) / 1024, (shm3 - shm0) / 1024);
	CHECK(shm3 == shm0, "shmem %ld bytes after close, %ld before", shm3, shm0);
	CHECK(cur3 - cur0 <= (long)MiB, "memory.current %ld bytes above the start",
	      cur3 - cur0);
	return failures ? KSFT_FAIL : KSFT_PASS;
}

/*
 * A hugetlb memfd is not shmem: no handler takes it (ENOENT), and the
 * refusal changes nothing: contents, a size that can still change, and
 * the token, which is still free.
 */
static void stage_rejected_hugetlb(int sfd)
{
	unsigned char *map = MAP_FAILED;
	int fd, fd2, err;

	err = vmtest_write_file("/proc/sys/vm/nr_hugepages", "1");
	if (err)
		printf("# cannot reserve a huge page: %s\n", strerror(-err));
	fd = memfd_create("huge", MFD_HUGETLB);
	REQUIRE(fd >= 0, "memfd_create(MFD_HUGETLB) (CONFIG_HUGETLBFS): %m");
	REQUIRE(!ftruncate(fd, 2 * MiB), "ftruncate a hugetlb memfd: %m");
	map = mmap(NULL, 2 * MiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (map != MAP_FAILED)
		fill(map, 2 * MiB, 51);
	else
		printf("# no huge page to write into (%m); an empty one then\n");

	err = luo_preserve_fd(sfd, fd, 1);
	printf("# hugetlb memfd (%s, HugePages_Total %ld): preserve gives %s\n",
	       map != MAP_FAILED ? "2 MiB written" : "empty",
	       luo_meminfo_kib("HugePages_Total"), strerror(-err));
	if (!err) {
		/* CONFIG_LIVEUPDATE_HUGETLB: its own handler took it. */
		char info[4096] = "", path[64];

		snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", sfd);
		vmtest_read_file(path, info, sizeof(info));
		CHECK(strstr(info, "token=1 handler=hugetlb-v1"),
		      "hugetlb memfd preserved by another handler: %s", info);
		CHECK(ftruncate(fd, 4 * MiB) && errno == EPERM,
		      "preserved hugetlb memfd not frozen: %m");
		if (map != MAP_FAILED)
			munmap(map, 2 * MiB);
		close(fd);
		return;
	}
	if (err == -ENOMEM) {
		/*
		 * CONFIG_LIVEUPDATE_HUGETLB, and the only pool page is in KHO
		 * scratch with no free one to move it to: the handler refused
		 * it and left it as it was.
		 */
		CHECK(!ftruncate(fd, 4 * MiB), "hugetlb memfd left frozen: %m");
		if (map != MAP_FAILED)
			munmap(map, 2 * MiB);
		close(fd);
		return;
	}
	CHECK(err == -ENOENT, "hugetlb memfd: %s", strerror(-err));

	if (map != MAP_FAILED) {
		CHECK(checksum(map, 2 * MiB) == expected_sum(2 * MiB, 51),
		      "hugetlb memfd changed");
		munmap(map, 2 * MiB);
	}
	CHECK(!ftruncate(fd, 4 * MiB), "hugetlb memfd left frozen: %m");
	close(fd);

	fd2 = new_memfd("token-1", 4096, 52, 0);
	err = luo_preserve_fd(sfd, fd2, 1);
	CHECK(!err, "token 1 after the refused hugetlb memfd: %s",
	      strerror(-err));
	close(fd2);
}

static int stage_rejected(void)
{
	int dev, sfd, fd, err, pipefd[2];
	char path[] = "/tmp/memfd-test-XXXXXX";

	dev = luo_open_device();
	if (dev == -ENOENT)
		return KSFT_SKIP;
	REQUIRE(dev >= 0, "open /dev/liveupdate: %s", strerror(-dev));
	sfd = luo_create_session(dev, "rejected");
	REQUIRE(sfd >= 0, "create: %s", strerror(-sfd));

	stage_rejected_hugetlb(sfd);

	fd = mkstemp(path);
	REQUIRE(fd >= 0, "mkstemp: %m");
	err = luo_preserve_fd(sfd, fd, 2);
	CHECK(err == -ENOENT, "named tmpfs file: %s", strerror(-err));
	close(fd);
	unlink(path);

	REQUIRE(!pipe(pipefd), "pipe: %m");
	err = luo_preserve_fd(sfd, pipefd[0], 3);
	CHECK(err == -ENOENT, "pipe: %s", strerror(-err));

	/* 2^32 pages and one more: too large for the handover format. */
	fd = memfd_create("too-large", 0);
	REQUIRE(fd >= 0, "memfd_create: %m");
	REQUIRE(!ftruncate(fd, (4096LL << 32) + 4096), "ftruncate: %m");
	err = luo_preserve_fd(sfd, fd, 4);
	CHECK(err == -EFBIG, "too large memfd: %s", strerror(-err));
	/* Nothing half done: not frozen, and preservable once smaller. */
	CHECK(!ftruncate(fd, 4096), "ftruncate after a failed preserve: %m");
	err = luo_preserve_fd(sfd, fd, 4);
	CHECK(!err, "preserve after a failed preserve: %s", strerror(-err));

	/*
	 * The same memfd through another open file, in this session or
	 * another one: LUO knows a memfd by its inode, so it is refused.
	 */
	{
		char proc[64];
		int fd2, sfd2;

		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		fd2 = open(proc, O_RDWR | O_CLOEXEC);
		REQUIRE(fd2 >= 0, "reopen the memfd: %m");
		err = luo_preserve_fd(sfd, fd2, 5);
		CHECK(err == -EBUSY, "same memfd, other file: %s",
		      strerror(-err));
		sfd2 = luo_create_session(dev, "rejected-2");
		REQUIRE(sfd2 >= 0, "create: %s", strerror(-sfd2));
		err = luo_preserve_fd(sfd2, fd2, 1);
		CHECK(err == -EBUSY, "same memfd, other session: %s",
		      strerror(-err));
		close(sfd2);
		close(fd2);
	}

	return failures ? KSFT_FAIL : KSFT_PASS;
}

/* ---- Exec class and seals (variant "noexec") ---- */

#define SEALS_EXEC_WRITE	(F_SEAL_EXEC | F_SEAL_SHRINK | F_SEAL_GROW | \
				 F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)
#define NOEXEC_SIZE		8192
#define MEMFD_NOEXEC_SYSCTL	"/proc/sys/vm/memfd_noexec"

struct noexec_case {
	__u64 token;
	const char *name;
	unsigned int flags;	/* memfd_create() */
	int sysctl;		/* vm.memfd_noexec while creating it (0: as booted) */
	unsigned int add;	/* F_ADD_SEALS after writing */
	unsigned int mode;	/* st_mode & 07777, before and after */
	unsigned int seals;	/* F_GET_SEALS, before and after */
};

static const struct noexec_case noexec_cases[] = {
	{ 1, "MFD_NOEXEC_SEAL", MFD_NOEXEC_SEAL, 0, 0, 0666, F_SEAL_EXEC },
	{ 2, "MFD_EXEC", MFD_EXEC, 0, 0, 0777, F_SEAL_SEAL },
	{ 3, "F_SEAL_EXEC by hand", MFD_EXEC | MFD_ALLOW_SEALING, 0,
	  F_SEAL_EXEC, 0777, SEALS_EXEC_WRITE },
	{ 4, "MFD_NOEXEC_SEAL + shrink/grow/seal", MFD_NOEXEC_SEAL, 0,
	  F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL, 0666,
	  F_SEAL_EXEC | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL },
	{ 5, "vm.memfd_noexec=1", 0, 1, 0, 0666, F_SEAL_EXEC },
	{ 6, "vm.memfd_noexec=2", 0, 2, 0, 0666, F_SEAL_EXEC },
};

/*
 * Variant "freeze-added": the freeze at reboot finds the folios a memfd
 * got since it was preserved by the mark shmem puts on them, at a cost in
 * proportion to them, not to the file. Memfd 1 (64 MiB, every other page
 * populated) gets 100 pages in its holes after the preserve: their records
 * go into the room the record array has. Memfd 2 (8 pages of 4 MiB) gets
 * its other 1016 pages: more than that room, so its array is written
 * anew. Half of memfd 1's new pages come before a reboot whose freeze a
 * test file fails (so the memfds are frozen and unfrozen again), the rest
 * after it: that first freeze must have found all of them by their mark,
 * without walking a whole file (memfd_luo's full_walks count). The next
 * kernel checks every page of both, and that the holes left are holes
 * (st_blocks). The console shows the freeze ("luo: froze").
 * memfd.fadd_mib=<n> on the command line makes memfd 1 <n> MiB, to time
 * the freeze of a larger file.
 */
#define MEMFD_LUO_DEBUGFS	"/sys/kernel/debug/memfd_luo"
#define FADD_PG		4096UL
#define FADD_PAGES	(fadd_mib * MiB / FADD_PG)
#define FADD_NEW	100
#define FADD2_PAGES	(4 * MiB / FADD_PG)
#define FADD2_OLD	8

/* Page @page of @fd gets the pattern of (@seed, @page). */
static void fadd_write(int fd, unsigned long page, unsigned int seed)
{
	unsigned char buf[FADD_PG];

	fill(buf, sizeof(buf), seed * 1048576 + page);
	REQUIRE(pwrite(fd, buf, sizeof(buf), page * FADD_PG) == sizeof(buf),
		"write page %lu: %m", page);
}

/* Whether page @page of @fd has the pattern of (@seed, @page), or zeroes. */
static int fadd_page_is(int fd, unsigned long page, unsigned int seed,
			int zero)
{
	unsigned char buf[FADD_PG], want[FADD_PG];

	if (zero)
		memset(want, 0, sizeof(want));
	else
		fill(want, sizeof(want), seed * 1048576 + page);
	return pread(fd, buf, sizeof(buf), page * FADD_PG) == sizeof(buf) &&
	       !memcmp(buf, want, sizeof(buf));
}

static unsigned long fadd_mib = 64;

/* Pages of memfd 1 that hold data: the even ones, and the first odd ones. */
static int fadd_populated(unsigned long page)
{
	return !(page & 1) || page < 2 * FADD_NEW;
}

static int stage_freeze_added(int stage)
{
	unsigned long page, bad = 0;
	int dev, sfd, fd, fd2, tf, err;
	char val[16];
	struct stat st;

	if (vmtest_cmdline_get("memfd.fadd_mib", val, sizeof(val)) > 0 &&
	    atol(val) > 0)
		fadd_mib = atol(val);
	dev = luo_open_device();
	if (dev == -ENOENT)
		return KSFT_SKIP;
	REQUIRE(dev >= 0, "open /dev/liveupdate: %s", strerror(-dev));

	if (stage == 1) {
		sfd = luo_create_session(dev, "fadd");
		REQUIRE(sfd >= 0, "create session: %s", strerror(-sfd));
		fd = memfd_create("fadd", 0);
		fd2 = memfd_create("fadd2", 0);
		REQUIRE(fd >= 0 && fd2 >= 0, "memfd_create: %m");
		REQUIRE(!ftruncate(fd, FADD_PAGES * FADD_PG) &&
			!ftruncate(fd2, FADD2_PAGES * FADD_PG), "ftruncate: %m");
		for (page = 0; page < FADD_PAGES; page += 2)
			fadd_write(fd, page, 1);
		for (page = 0; page < FADD2_OLD; page++)
			fadd_write(fd2, page, 2);
		err = luo_preserve_fd(sfd, fd, 1);
		REQUIRE(!err, "preserve 1: %s", strerror(-err));
		err = luo_preserve_fd(sfd, fd2, 2);
		REQUIRE(!err, "preserve 2: %s", strerror(-err));
		tf = tf_open(3);
		REQUIRE(tf >= 0, "test file: %s", strerror(-tf));
		REQUIRE(!tf_set_fault(tf, LUO_TEST_FAULT_FREEZE, EDOM, 1),
			"set fault: %m");
		err = luo_preserve_fd(sfd, tf, 3);
		REQUIRE(!err, "preserve the test file: %s", strerror(-err));
		err = vmtest_kexec_load(stage + 1);
		REQUIRE(!err, "kexec_file_load: %s", strerror(-err));

		/* New folios, in holes, after the preserve. */
		for (page = 1; page < FADD_NEW; page += 2)
			fadd_write(fd, page, 1);
		for (page = FADD2_OLD; page < FADD2_PAGES; page++)
			fadd_write(fd2, page, 2);
		err = vmtest_kexec_reboot();
		CHECK(err == -EDOM, "reboot with a failing test file: %s",
		      strerror(-err));
		err = vmtest_read_file(MEMFD_LUO_DEBUGFS "/full_walks", val,
				       sizeof(val));
		if (err == -ENOENT) {
			printf("# no %s (CONFIG_LIVEUPDATE_TEST)\n",
			       MEMFD_LUO_DEBUGFS);
			return KSFT_SKIP;
		}
		REQUIRE(err >= 0, "full_walks: %s", strerror(-err));
		CHECK(atol(val) == 0, "the freeze walked %ld whole file(s)",
		      atol(val));
		for (page = FADD_NEW + 1; page < 2 * FADD_NEW; page += 2)
			fadd_write(fd, page, 1);
		close(fd);
		close(fd2);
		if (failures)
			return KSFT_FAIL;
		return kexec_now(stage);
	}

	sfd = luo_retrieve_session(dev, "fadd");
	REQUIRE(sfd >= 0, "retrieve session: %s", strerror(-sfd));
	fd = luo_retrieve_fd(sfd, 1);
	REQUIRE(fd >= 0, "retrieve 1: %s", strerror(-fd));
	fd2 = luo_retrieve_fd(sfd, 2);
	REQUIRE(fd2 >= 0, "retrieve 2: %s", strerror(-fd2));
	for (page = 0; page < FADD_PAGES; page++)
		if (!fadd_page_is(fd, page, 1, !fadd_populated(page)) && !bad++)
			printf("# memfd 1: page %lu differs\n", page);
	CHECK(!bad, "memfd 1: %lu page(s) differ", bad);
	bad = 0;
	for (page = 0; page < FADD2_PAGES; page++)
		if (!fadd_page_is(fd2, page, 2, 0) && !bad++)
			printf("# memfd 2: page %lu differs\n", page);
	CHECK(!bad, "memfd 2: %lu page(s) differ", bad);
	REQUIRE(!fstat(fd, &st), "fstat: %m");
	CHECK((unsigned long)st.st_blocks * 512 ==
	      (FADD_PAGES / 2 + FADD_NEW) * FADD_PG,
	      "memfd 1 has %lld KiB, want %lu KiB: holes filled or pages lost",
	      (long long)st.st_blocks / 2,
	      (FADD_PAGES / 2 + FADD_NEW) * FADD_PG / 1024);
	REQUIRE(!luo_finish(sfd), "finish: %m");
	return failures ? KSFT_FAIL : KSFT_PASS;
}

/*
 * Whether vm.memfd_noexec exists: 1, or 0 without CONFIG_PID_NS (the
 * sysctl is per pid namespace). When it exists it must read 0 (the
 * default: memfds without an exec flag are executable).
 */
static int have_noexec_sysctl(void)
{
	char val[16];
	int err;

	err = vmtest_read_file(MEMFD_NOEXEC_SYSCTL, val, sizeof(val));
	if (err == -ENOENT)
		return 0;
	REQUIRE(err >= 0, "read %s: %s", MEMFD_NOEXEC_SYSCTL, strerror(-err));
	REQUIRE(!strcmp(val, "0"), "vm.memfd_noexec is %s, not 0", val);
	return 1;
}

/* Set vm.memfd_noexec and check that it took. */
static void set_noexec_sysctl(int value)
{
	char want[16], val[16];
	int err;

	snprintf(want, sizeof(want), "%d", value);
	err = vmtest_write_file(MEMFD_NOEXEC_SYSCTL, want);
	REQUIRE(!err, "vm.memfd_noexec=%s: %s", want, strerror(-err));
	err = vmtest_read_file(MEMFD_NOEXEC_SYSCTL, val, sizeof(val));
	REQUIRE(err >= 0 && !strcmp(val, want), "vm.memfd_noexec reads %s, want %s",
		err >= 0 ? val : strerror(-err), want);
}

/* The kselftest SKIP line for the cases that need vm.memfd_noexec. */
static void skip_noexec_sysctl(const char *when)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(noexec_cases); i++) {
		if (noexec_cases[i].sysctl)
			printf("# SKIP %s: %s: no %s in this kernel (CONFIG_PID_NS)\n",
			       when, noexec_cases[i].name, MEMFD_NOEXEC_SYSCTL);
	}
}

static void check_noexec(int fd, const struct noexec_case *c, const char *when)
{
	unsigned char buf[NOEXEC_SIZE];
	int writable = !(c->seals & F_SEAL_WRITE);
	struct stat st;
	int seals;

	REQUIRE(!fstat(fd, &st), "fstat: %m");
	seals = fcntl(fd, F_GET_SEALS);
	printf("# %s: %s: mode %04o seals %#x\n", when, c->name,
	       (unsigned int)(st.st_mode & 07777), seals);
	CHECK((st.st_mode & 07777) == c->mode, "%s: %s: mode %04o, want %04o",
	      when, c->name, (unsigned int)(st.st_mode & 07777), c->mode);
	CHECK(seals == (int)c->seals, "%s: %s: seals %#x, want %#x", when,
	      c->name, seals, c->seals);
	if (c->seals & F_SEAL_EXEC) {
		/* Sealed exec class: no exec bit can be added or taken away. */
		CHECK(fchmod(fd, c->mode ^ 0111) < 0 && errno == EPERM,
		      "%s: %s: chmod %04o of an exec-sealed memfd: %s", when,
		      c->name, c->mode ^ 0111, strerror(errno));
		REQUIRE(!fstat(fd, &st), "fstat: %m");
		CHECK((st.st_mode & 07777) == c->mode, "%s: %s: mode now %04o",
		      when, c->name, (unsigned int)(st.st_mode & 07777));
	}
	CHECK(st.st_size == NOEXEC_SIZE, "%s: %s: size %lld", when, c->name,
	      (long long)st.st_size);
	CHECK(pread(fd, buf, sizeof(buf), 0) == sizeof(buf) &&
	      checksum(buf, sizeof(buf)) == expected_sum(NOEXEC_SIZE, c->token),
	      "%s: %s: contents differ", when, c->name);
	if (writable) {
		fill(buf, 16, (unsigned int)c->token);
		CHECK(pwrite(fd, buf, 16, 0) == 16, "%s: %s: write: %m", when,
		      c->name);
	} else {
		CHECK(pwrite(fd, buf, 16, 0) < 0 && errno == EPERM,
		      "%s: %s: a write-sealed memfd takes a write", when,
		      c->name);
	}
}

static int stage_noexec(int stage)
{
	const unsigned int n = ARRAY_SIZE(noexec_cases);
	unsigned char buf[NOEXEC_SIZE];
	int dev, sfd, fd, err, sysctl;
	unsigned int i;

	dev = luo_open_device();
	if (dev == -ENOENT)
		return KSFT_SKIP;
	REQUIRE(dev >= 0, "open /dev/liveupdate: %s", strerror(-dev));

	/* The same kernel runs both stages: the sysctl exists in both or none. */
	sysctl = have_noexec_sysctl();
	if (!sysctl)
		skip_noexec_sysctl(stage == 2 ? "stage 2" : "stage 1");

	if (stage == 2) {
		sfd = luo_retrieve_session(dev, "noexec");
		REQUIRE(sfd >= 0, "retrieve session: %s", strerror(-sfd));
		for (i = 0; i < n; i++) {
			if (noexec_cases[i].sysctl && !sysctl)
				continue;
			fd = luo_retrieve_fd(sfd, noexec_cases[i].token);
			REQUIRE(fd >= 0, "retrieve %s: %s", noexec_cases[i].name,
				strerror(-fd));
			check_noexec(fd, &noexec_cases[i], "stage 2");
		}
		REQUIRE(!luo_finish(sfd), "finish: %m");
		if (failures)
			return KSFT_FAIL;
		return sysctl ? KSFT_PASS : KSFT_SKIP;
	}

	sfd = luo_create_session(dev, "noexec");
	REQUIRE(sfd >= 0, "create session: %s", strerror(-sfd));
	for (i = 0; i < n; i++) {
		const struct noexec_case *c = &noexec_cases[i];

		if (c->sysctl && !sysctl)
			continue;
		if (c->sysctl)
			set_noexec_sysctl(c->sysctl);
		fd = memfd_create(c->name, c->flags);
		err = errno;
		if (c->sysctl)
			set_noexec_sysctl(0);
		REQUIRE(fd >= 0, "memfd_create(%s): %s", c->name, strerror(err));
		fill(buf, sizeof(buf), (unsigned int)c->token);
		REQUIRE(pwrite(fd, buf, sizeof(buf), 0) == sizeof(buf),
			"pwrite: %m");
		if (c->add)
			REQUIRE(!fcntl(fd, F_ADD_SEALS, c->add), "F_ADD_SEALS: %m");
		check_noexec(fd, c, "stage 1");
		/* check_noexec() wrote the first bytes: put them back. */
		REQUIRE(c->seals & F_SEAL_WRITE ||
			pwrite(fd, buf, 16, 0) == 16, "pwrite: %m");
		err = luo_preserve_fd(sfd, fd, c->token);
		REQUIRE(!err, "preserve %s: %s", c->name, strerror(-err));
	}

	/*
	 * Sealed against exec without exec permission, and against writes
	 * with both write seals: the handover format would make it 0777.
	 */
	fd = memfd_create("noexec-all-seals", MFD_NOEXEC_SEAL);
	REQUIRE(fd >= 0, "memfd_create: %m");
	REQUIRE(!fcntl(fd, F_ADD_SEALS, SEALS_EXEC_WRITE), "F_ADD_SEALS: %m");
	err = luo_preserve_fd(sfd, fd, 99);
	CHECK(err == -EOPNOTSUPP, "memfd that would come back executable: %s",
	      strerror(-err));
	close(fd);

	if (failures)
		return KSFT_FAIL;
	return kexec_now(stage);
}

/* ---- A failed freeze, then a retried one (variant "freeze-retry") ---- */

#define RETRY_PAGES		16	/* 8 written, then holes */

static void retry_write_page(int fd, unsigned int page)
{
	unsigned char buf[4096];

	fill(buf, sizeof(buf), 200 + page);
	CHECK(pwrite(fd, buf, sizeof(buf), page * 4096L) == sizeof(buf),
	      "write page %u: %m", page);
}

static int stage_freeze_retry(int stage)
{
	unsigned char buf[4096], want[4096];
	int dev, sfd, fd, tf, err;
	unsigned int page;
	struct stat st;

	dev = luo_open_device();
	if (dev == -ENOENT)
		return KSFT_SKIP;
	REQUIRE(dev >= 0, "open /dev/liveupdate: %s", strerror(-dev));

	if (stage == 2) {
		sfd = luo_retrieve_session(dev, "retry");
		REQUIRE(sfd >= 0, "retrieve session: %s", strerror(-sfd));
		fd = luo_retrieve_fd(sfd, 1);
		REQUIRE(fd >= 0, "retrieve: %s", strerror(-fd));
		for (page = 0; page < RETRY_PAGES; page++) {
			REQUIRE(pread(fd, buf, 4096, page * 4096L) == 4096,
				"pread: %m");
			if (page < 10)
				fill(want, sizeof(want), 200 + page);
			else
				memset(want, 0, sizeof(want));
			CHECK(!memcmp(buf, want, 4096), "page %u differs%s", page,
			      page >= 8 && page < 10 ?
			      " (written into a hole between freezes)" : "");
		}
		REQUIRE(!fstat(fd, &st), "fstat: %m");
		CHECK(st.st_blocks == 10 * 8, "%lld blocks, want 80",
		      (long long)st.st_blocks);
		REQUIRE(!luo_finish(sfd), "finish: %m");
		return failures ? KSFT_FAIL : KSFT_PASS;
	}

	sfd = luo_create_session(dev, "retry");
	REQUIRE(sfd >= 0, "create session: %s", strerror(-sfd));
	fd = memfd_create("retry", 0);
	REQUIRE(fd >= 0 && !ftruncate(fd, RETRY_PAGES * 4096L), "memfd: %m");
	for (page = 0; page < 8; page++)
		retry_write_page(fd, page);
	err = luo_preserve_fd(sfd, fd, 1);
	REQUIRE(!err, "preserve: %s", strerror(-err));
	tf = tf_open(2);
	REQUIRE(tf >= 0, "test file: %s", strerror(-tf));
	REQUIRE(!tf_set_fault(tf, LUO_TEST_FAULT_FREEZE, EDOM, 1),
		"set fault: %m");
	err = luo_preserve_fd(sfd, tf, 2);
	REQUIRE(!err, "preserve the test file: %s", strerror(-err));
	err = vmtest_kexec_load(stage + 1);
	REQUIRE(!err, "kexec_file_load: %s", strerror(-err));

	/* A new folio, then a freeze that fails after the memfd's. */
	retry_write_page(fd, 8);
	err = vmtest_kexec_reboot();
	CHECK(err == -EDOM, "reboot with a failing test file: %s",
	      strerror(-err));

	/* Unfrozen, a hole takes a write; then the records fail. */
	retry_write_page(fd, 9);
	err = vmtest_write_file(MEMFD_LUO_DEBUGFS "/fail_records", "1");
	if (err == -ENOENT) {
		printf("# no %s (CONFIG_LIVEUPDATE_TEST)\n", MEMFD_LUO_DEBUGFS);
		return KSFT_SKIP;
	}
	REQUIRE(!err, "fail_records: %s", strerror(-err));
	err = vmtest_kexec_reboot();
	CHECK(err == -ENOMEM, "reboot with failing records: %s",
	      strerror(-err));
	if (failures)
		return KSFT_FAIL;

	/* No new folio since: the retry must still write the records. */
	fflush(stdout);
	err = vmtest_kexec_reboot();
	printf("not ok: reboot(KEXEC) returned: %s\n", strerror(-err));
	return KSFT_FAIL;
}

/* ---- Damaged handover data (variants "damaged-*") ---- */

#define DAMAGED_SIZE	(16 * MiB)

static const struct {
	const char *variant;
	const char *knob;
	int err;
} damages[] = {
	{ "damaged-flags", "1", EOPNOTSUPP },
	{ "damaged-pos", "2", EINVAL },
	{ "damaged-record", "3", EINVAL },
	{ "damaged-order", "4", EINVAL },
};

static int stage_damaged(int stage, unsigned int d)
{
	int dev, sfd, fd, fd2, err;
	long before, after;

	dev = luo_open_device();
	if (dev == -ENOENT)
		return KSFT_SKIP;
	REQUIRE(dev >= 0, "open /dev/liveupdate: %s", strerror(-dev));

	if (stage == 2) {
		sfd = luo_retrieve_session(dev, "damaged");
		REQUIRE(sfd >= 0, "retrieve session: %s", strerror(-sfd));
		before = vmtest_mem_free_kib();
		fd = luo_retrieve_fd(sfd, 1);
		after = vmtest_mem_free_kib();
		CHECK(fd == -damages[d].err, "damaged memfd: %s, want %s",
		      strerror(-fd), strerror(damages[d].err));
		CHECK(vmtest_kmsg_has("memfd_luo: incoming memfd: "),
		      "no log line for the damaged memfd");
		printf("# rejecting the damaged memfd gave back %ld KiB\n",
		       after - before);
		CHECK(after - before >= (long)(DAMAGED_SIZE / 1024) * 9 / 10,
		      "the damaged memfd's %lu KiB not given back (%ld)",
		      DAMAGED_SIZE / 1024, after - before);
		CHECK(luo_retrieve_fd(sfd, 1) == -damages[d].err,
		      "a second retrieve differs");
		fd2 = luo_retrieve_fd(sfd, 2);
		REQUIRE(fd2 >= 0, "intact memfd: %s", strerror(-fd2));
		CHECK(file_sum(fd2, MiB, 0) == expected_sum(MiB, 62),
		      "intact memfd differs");
		REQUIRE(!luo_finish(sfd), "finish: %m");
		return failures ? KSFT_FAIL : KSFT_PASS;
	}

	sfd = luo_create_session(dev, "damaged");
	REQUIRE(sfd >= 0, "create session: %s", strerror(-sfd));
	/* Page 0 is a 4 KiB folio: "order" damage leaves it unrecorded. */
	luo_set_shmem_thp("never");
	fd = new_memfd("damaged", DAMAGED_SIZE, 61, 0);
	fd2 = new_memfd("intact", MiB, 62, 0);
	err = luo_preserve_fd(sfd, fd, 1);
	REQUIRE(!err, "preserve: %s", strerror(-err));
	err = luo_preserve_fd(sfd, fd2, 2);
	REQUIRE(!err, "preserve: %s", strerror(-err));
	close(fd);
	close(fd2);
	err = vmtest_write_file(MEMFD_LUO_DEBUGFS "/damage", damages[d].knob);
	if (err == -ENOENT) {
		printf("# no %s (CONFIG_LIVEUPDATE_TEST)\n", MEMFD_LUO_DEBUGFS);
		return KSFT_SKIP;
	}
	REQUIRE(!err, "damage: %s", strerror(-err));
	return kexec_now(stage);
}

/*
 * ---- A writer holding the inode lock across a userfaultfd fault
 * (variant "busy") ----
 *
 * Memfd A (token 1) is frozen first, then memfd B (token 2), whose inode
 * lock a writer holds while its source buffer waits on userfaultfd. The
 * reboot must fail with EBUSY after a bounded wait, and meanwhile A, frozen
 * already, must refuse new folios: a thread writing into its holes gets
 * EPERM. After the failed reboot A takes writes into holes again; the
 * fault is resolved, the writer finishes, and the next reboot succeeds.
 */
#define BUSY_DATA	8		/* pages 1..7 written before preserve */
#define BUSY_PAGES	4096
#define BUSY_SEED	71

struct busy_writer {
	int fd;
	void *src;
	ssize_t ret;
	int err;
};

static void *busy_write(void *arg)
{
	struct busy_writer *w = arg;

	w->ret = pwrite(w->fd, w->src, 4096, 0);
	w->err = errno;
	return NULL;
}

struct hole_writer {
	int fd;
	atomic_int stop;
	unsigned int next, eperm, other;
};

static void busy_page(unsigned char *buf, unsigned int page)
{
	fill(buf, 4096, BUSY_SEED + page);
}

static void *hole_write(void *arg)
{
	struct hole_writer *h = arg;
	unsigned char buf[4096];

	h->next = BUSY_DATA;
	while (!h->stop && h->next < BUSY_PAGES) {
		busy_page(buf, h->next);
		if (pwrite(h->fd, buf, 4096, h->next * 4096L) == 4096)
			h->next++;
		else if (errno == EPERM)
			h->eperm++;
		else
			h->other++;
		usleep(2000);
	}
	return NULL;
}

static int stage_busy(int stage)
{
	struct hole_writer h = {};
	struct busy_writer w = {};
	unsigned char buf[4096], want[4096], zero[4096] = {};
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {};
	struct uffdio_copy copy = {};
	pthread_t wt, ht;
	struct pollfd pfd;
	unsigned int page, written;
	int dev, sfd, a, b, uffd, err;

	dev = luo_open_device();
	if (dev == -ENOENT)
		return KSFT_SKIP;
	REQUIRE(dev >= 0, "open /dev/liveupdate: %s", strerror(-dev));

	if (stage == 2) {
		sfd = luo_retrieve_session(dev, "busy");
		REQUIRE(sfd >= 0, "retrieve session: %s", strerror(-sfd));
		a = luo_retrieve_fd(sfd, 1);
		b = luo_retrieve_fd(sfd, 2);
		REQUIRE(a >= 0 && b >= 0, "retrieve: %s %s", strerror(-a),
			strerror(-b));
		REQUIRE(pread(a, &written, sizeof(written), 0) ==
			sizeof(written), "pread: %m");
		printf("# memfd A: %u pages written into holes\n", written);
		for (page = 1; page < BUSY_PAGES; page++) {
			REQUIRE(pread(a, buf, 4096, page * 4096L) == 4096,
				"pread: %m");
			busy_page(want, page);
			if (page < written ? !memcmp(buf, want, 4096) :
					     !memcmp(buf, zero, 4096))
				continue;
			CHECK(0, "memfd A page %u: %s", page,
			      page < written ? "lost" : "garbage in a hole");
			break;
		}
		REQUIRE(pread(b, buf, 4096, 0) == 4096, "pread: %m");
		fill(want, 4096, BUSY_SEED);
		CHECK(!memcmp(buf, want, 4096),
		      "memfd B lost the write that held its lock");
		REQUIRE(!luo_finish(sfd), "finish: %m");
		return failures ? KSFT_FAIL : KSFT_PASS;
	}

	uffd = syscall(__NR_userfaultfd, O_CLOEXEC);
	if (uffd < 0) {
		printf("# no userfaultfd (CONFIG_USERFAULTFD): %m\n");
		return KSFT_SKIP;
	}
	REQUIRE(!ioctl(uffd, UFFDIO_API, &api), "UFFDIO_API: %m");

	sfd = luo_create_session(dev, "busy");
	REQUIRE(sfd >= 0, "create session: %s", strerror(-sfd));
	a = memfd_create("busy-a", 0);
	b = memfd_create("busy-b", 0);
	REQUIRE(a >= 0 && b >= 0, "memfd_create: %m");
	REQUIRE(!ftruncate(a, BUSY_PAGES * 4096L) && !ftruncate(b, 4096),
		"ftruncate: %m");
	for (page = 1; page < BUSY_DATA; page++) {
		busy_page(buf, page);
		REQUIRE(pwrite(a, buf, 4096, page * 4096L) == 4096, "pwrite: %m");
	}
	REQUIRE(pwrite(a, zero, 4096, 0) == 4096, "pwrite: %m");
	REQUIRE(!luo_preserve_fd(sfd, a, 1) && !luo_preserve_fd(sfd, b, 2),
		"preserve: %m");
	err = vmtest_kexec_load(stage + 1);
	REQUIRE(!err, "kexec_file_load: %s", strerror(-err));

	/* B's writer takes B's inode lock and faults on its buffer. */
	w.fd = b;
	w.src = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(w.src != MAP_FAILED, "mmap: %m");
	reg.range.start = (unsigned long)w.src;
	reg.range.len = 4096;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	REQUIRE(!ioctl(uffd, UFFDIO_REGISTER, &reg), "UFFDIO_REGISTER: %m");
	REQUIRE(!pthread_create(&wt, NULL, busy_write, &w), "pthread_create");
	pfd.fd = uffd;
	pfd.events = POLLIN;
	REQUIRE(poll(&pfd, 1, 10000) == 1, "the writer never faulted");

	h.fd = a;
	REQUIRE(!pthread_create(&ht, NULL, hole_write, &h), "pthread_create");
	usleep(20000);
	fflush(stdout);
	err = vmtest_kexec_reboot();
	h.stop = 1;
	pthread_join(ht, NULL);
	printf("# reboot: %s; hole writer: %u written, %u EPERM, %u other\n",
	       strerror(-err), h.next - BUSY_DATA, h.eperm, h.other);
	CHECK(err == -EBUSY, "reboot with a memfd locked: %s", strerror(-err));
	CHECK(h.eperm > 0, "a frozen memfd took new folios");
	CHECK(!h.other, "hole writes failed otherwise");

	/* Unfrozen: A takes a write into a hole again. */
	busy_page(buf, h.next);
	CHECK(pwrite(a, buf, 4096, h.next * 4096L) == 4096,
	      "write into a hole after the failed reboot: %m");
	written = h.next + 1;
	REQUIRE(pwrite(a, &written, sizeof(written), 0) == sizeof(written),
		"pwrite: %m");

	/* Let B's writer go; its write lands. */
	fill(want, 4096, BUSY_SEED);
	copy.dst = (unsigned long)w.src;
	copy.src = (unsigned long)want;
	copy.len = 4096;
	REQUIRE(!ioctl(uffd, UFFDIO_COPY, &copy), "UFFDIO_COPY: %m");
	pthread_join(wt, NULL);
	CHECK(w.ret == 4096, "B's writer: %zd (%s)", w.ret, strerror(w.err));
	if (failures)
		return KSFT_FAIL;
	fflush(stdout);
	err = vmtest_kexec_reboot();
	printf("not ok: reboot(KEXEC) returned: %s\n", strerror(-err));
	return KSFT_FAIL;
}

/*
 * ---- Reboot racing a writer that faults into a memfd (variant
 * "race-fault") ----
 *
 * A thread writes one word into each page of the holes of a preserved
 * memfd through a mapping, in order, and goes on while the main thread
 * reboots. The next kernel must find the data written before preserve,
 * every page the writer had finished when the reboot began, and in every
 * other page either nothing or the writer's word.
 */
#define RACE_DATA	(4 * MiB)
#define RACE_SIZE	(RACE_DATA + 64 * MiB)
#define RACE_MARK	(RACE_DATA - 4096)	/* count at reboot, in the data */
#define RACE_SEED	81

static __thread sigjmp_buf race_jmp;
static atomic_ulong race_done;

static void race_sigbus_handler(int sig)
{
	(void)sig;
	siglongjmp(race_jmp, 1);
}

static uint64_t race_word(unsigned long page)
{
	return 0x5241434500000000ULL ^ page;
}

/* Store @v at @p: 0, or -1 if that got SIGBUS (a hole of a frozen memfd). */
static int race_store(uint64_t *p, uint64_t v)
{
	if (sigsetjmp(race_jmp, 1))
		return -1;
	*p = v;
	return 0;
}

static void *race_write(void *arg)
{
	unsigned long page, first = RACE_DATA / 4096;
	uint64_t *map = arg;

	for (page = first; ; page++) {
		if (page == RACE_SIZE / 4096)
			page = first;
		if (race_store(&map[page * 512], race_word(page)))
			continue;
		if (race_done < page + 1 - first)
			race_done = page + 1 - first;
	}
	return NULL;
}

static int stage_race_fault(int stage)
{
	unsigned long page, n, done, empty = 0, seen = 0;
	struct sigaction sa = { .sa_handler = race_sigbus_handler };
	uint64_t *map, *p;
	pthread_t t;
	int dev, sfd, fd, err;

	dev = luo_open_device();
	if (dev == -ENOENT)
		return KSFT_SKIP;
	REQUIRE(dev >= 0, "open /dev/liveupdate: %s", strerror(-dev));

	if (stage == 2) {
		sfd = luo_retrieve_session(dev, "race");
		REQUIRE(sfd >= 0, "retrieve session: %s", strerror(-sfd));
		fd = luo_retrieve_fd(sfd, 1);
		REQUIRE(fd >= 0, "retrieve: %s", strerror(-fd));
		map = mmap(NULL, RACE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
		REQUIRE(map != MAP_FAILED, "mmap: %m");
		done = map[RACE_MARK / 8];
		CHECK(checksum((void *)map, RACE_MARK) ==
		      expected_sum(RACE_MARK, RACE_SEED),
		      "data written before preserve differs");
		for (page = RACE_DATA / 4096; page < RACE_SIZE / 4096; page++) {
			p = map + page * 512;
			for (n = 1; n < 512 && !p[n]; n++)
				;
			if (n < 512 || (p[0] && p[0] != race_word(page))) {
				CHECK(0, "page %lu: garbage", page);
				break;
			}
			if (!p[0]) {
				empty++;
				CHECK(page - RACE_DATA / 4096 >= done,
				      "page %lu, written before the reboot, is lost",
				      page);
				if (failures)
					break;
			} else {
				seen++;
			}
		}
		printf("# %lu pages written before the reboot began, %lu in the file, %lu holes\n",
		       done, seen, empty);
		munmap(map, RACE_SIZE);
		REQUIRE(!luo_finish(sfd), "finish: %m");
		return failures ? KSFT_FAIL : KSFT_PASS;
	}

	luo_set_shmem_thp("never");
	fd = new_memfd("race", RACE_DATA, RACE_SEED, 0);
	REQUIRE(!ftruncate(fd, RACE_SIZE), "ftruncate: %m");
	sfd = luo_create_session(dev, "race");
	REQUIRE(sfd >= 0, "create session: %s", strerror(-sfd));
	err = luo_preserve_fd(sfd, fd, 1);
	REQUIRE(!err, "preserve: %s", strerror(-err));
	err = vmtest_kexec_load(stage + 1);
	REQUIRE(!err, "kexec_file_load: %s", strerror(-err));

	map = mmap(NULL, RACE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	REQUIRE(map != MAP_FAILED, "mmap: %m");
	REQUIRE(!sigaction(SIGBUS, &sa, NULL), "sigaction: %m");
	REQUIRE(!pthread_create(&t, NULL, race_write, map), "pthread_create");
	while (race_done < 1000)
		usleep(1000);
	done = race_done;
	/* An existing page of the data: no new folio. */
	REQUIRE(pwrite(fd, &done, sizeof(done), RACE_MARK) == sizeof(done),
		"pwrite: %m");
	fflush(stdout);
	err = vmtest_kexec_reboot();
	printf("not ok: reboot(KEXEC) returned: %s\n", strerror(-err));
	return KSFT_FAIL;
}

/*
 * ---- PRESERVE_FD racing truncate and fallocate (variant
 * "preserve-race"), one kernel ----
 *
 * A thread resizes, fallocates and punches the memfd in a loop while the
 * main thread preserves it and closes the session again, many times. Each
 * preserve either succeeds, after which the size does not change until the
 * session is closed, or fails cleanly.
 */
#define PRACE_ITERATIONS	300

struct prace {
	int fd;
	atomic_int stop;
	unsigned long ok, eperm, other;
	int last_errno;
};

static void prace_count(struct prace *r, int ret)
{
	if (!ret) {
		r->ok++;
	} else if (errno == EPERM) {
		r->eperm++;
	} else {
		r->other++;
		r->last_errno = errno;
	}
}

static void *prace_resize(void *arg)
{
	static const off_t sizes[] = { 0, 4096, 3 * MiB + 123, 8 * MiB };
	struct prace *r = arg;
	unsigned int i = 0;

	while (!r->stop) {
		prace_count(r, ftruncate(r->fd, sizes[i++ % 4]));
		prace_count(r, fallocate(r->fd, 0, 0, MiB));
		prace_count(r, fallocate(r->fd, FALLOC_FL_PUNCH_HOLE |
					 FALLOC_FL_KEEP_SIZE, 0, 64 * 1024));
	}
	return NULL;
}

static int stage_preserve_race(void)
{
	unsigned int i, preserved = 0, refused = 0;
	struct prace r = {};
	struct stat st1, st2;
	pthread_t t;
	int dev, sfd, err;

	dev = luo_open_device();
	if (dev == -ENOENT)
		return KSFT_SKIP;
	REQUIRE(dev >= 0, "open /dev/liveupdate: %s", strerror(-dev));

	r.fd = memfd_create("preserve-race", 0);
	REQUIRE(r.fd >= 0, "memfd_create: %m");
	REQUIRE(!pthread_create(&t, NULL, prace_resize, &r), "pthread_create");
	for (i = 0; i < PRACE_ITERATIONS && !failures; i++) {
		sfd = luo_create_session(dev, "preserve-race");
		REQUIRE(sfd >= 0, "create session: %s", strerror(-sfd));
		err = luo_preserve_fd(sfd, r.fd, 1);
		if (!err) {
			preserved++;
			REQUIRE(!fstat(r.fd, &st1), "fstat: %m");
			usleep(500);
			REQUIRE(!fstat(r.fd, &st2), "fstat: %m");
			CHECK(st1.st_size == st2.st_size,
			      "size of a preserved memfd changed: %lld -> %lld",
			      (long long)st1.st_size, (long long)st2.st_size);
			CHECK(st1.st_blocks <= st2.st_blocks,
			      "a preserved memfd lost blocks: %lld -> %lld",
			      (long long)st1.st_blocks, (long long)st2.st_blocks);
		} else {
			refused++;
			CHECK(err == -ENOMEM || err == -EBUSY,
			      "preserve: %s", strerror(-err));
		}
		close(sfd);
	}
	r.stop = 1;
	pthread_join(t, NULL);
	printf("# %u preserved, %u refused; resizer: %lu ok, %lu EPERM, %lu other\n",
	       preserved, refused, r.ok, r.eperm, r.other);
	CHECK(!r.other, "resizer failed with %s", strerror(r.last_errno));
	CHECK(r.eperm > 0 && r.ok > 0, "no race happened");
	close(r.fd);
	return failures ? KSFT_FAIL : KSFT_PASS;
}

/*
 * ---- hugetlb memfds (variant "hugetlb", CONFIG_LIVEUPDATE_HUGETLB) ----
 *
 * Needs a pool of 2 MiB pages on the command line (hugepages=64). Stage 1
 * preserves a 64 MiB memfd of random data (sealed, with a position), a
 * sparse 1 GiB one with three pages written, a 4 MiB one with a third page
 * allocated beyond its end (not kept) and one 8 MiB memfd in a second
 * session that the next kernel finishes without retrieving; it
 * checks the size freeze and that unpreserve gives the pages back, and
 * writes into a preserved page and, through a new mapping, into a hole.
 * Stage 2 checks the pool counters: the boot pool is hugepages= less the
 * preserved pages, and the pool is hugepages= again once they are all
 * back (nr_hugepages follows HugePages_Total); then contents, seals and
 * position, that mapping and closing the files leave HugePages_Rsvd alone
 * and that the file is an ordinary hugetlb memfd again, then preserves the
 * 64 MiB memfd once more; stage 3 checks it and the pool in the same way,
 * and that its pages are free pool pages once it is closed.
 */
#define HP		(2 * MiB)
#define HUGE_BIG	(64 * MiB)
#define HUGE_SPARSE	(1 * GiB)
#define HUGE_LEFT	(8 * MiB)
#define HUGE_SEALS	(F_SEAL_SHRINK | F_SEAL_GROW)
#define HUGE_POS	12345
#define HUGE_EOF	(4 * MiB)	/* plus one page beyond the end */
#define HUGE_BOOT_POOL	64		/* hugepages=64 in every kernel */

static const unsigned int huge_sparse_idx[] = { 0, 100, 511 };
#define HUGE_SPARSE_HOLE	50	/* written after preserve */

struct pool {
	long total, free, rsvd, surp;
};

static void pool_read(struct pool *p, const char *when)
{
	p->total = luo_meminfo_kib("HugePages_Total");
	p->free = luo_meminfo_kib("HugePages_Free");
	p->rsvd = luo_meminfo_kib("HugePages_Rsvd");
	p->surp = luo_meminfo_kib("HugePages_Surp");
	printf("# %s: HugePages_Total %ld Free %ld Rsvd %ld Surp %ld\n", when,
	       p->total, p->free, p->rsvd, p->surp);
}

static void pool_expect(const struct pool *p, long total, long free,
			long rsvd, const char *when)
{
	struct pool now;

	pool_read(&now, when);
	CHECK(now.total == p->total + total && now.free == p->free + free &&
	      now.rsvd == p->rsvd + rsvd && now.surp == p->surp,
	      "%s: pool %ld/%ld/%ld/%ld, want %+ld/%+ld/%+ld/+0 from %ld/%ld/%ld/%ld",
	      when, now.total, now.free, now.rsvd, now.surp, total, free, rsvd,
	      p->total, p->free, p->rsvd, p->surp);
}

/* Write huge page @idx of @fd through its own shared mapping. */
static void huge_write(int fd, unsigned int idx, unsigned int seed)
{
	unsigned char *map;

	map = mmap(NULL, HP, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   (off_t)idx * HP);
	REQUIRE(map != MAP_FAILED, "mmap huge page %u: %m", idx);
	fill(map, HP, seed);
	munmap(map, HP);
}

static int huge_memfd(const char *name, size_t size)
{
	int fd = memfd_create(name, MFD_HUGETLB | MFD_ALLOW_SEALING);

	REQUIRE(fd >= 0, "memfd_create(%s, MFD_HUGETLB): %m", name);
	REQUIRE(!ftruncate(fd, size), "ftruncate %s: %m", name);
	return fd;
}

/*
 * Whether huge page @idx of @fd holds fill(seed). The two buffers are
 * mapped and unmapped here, not malloc()ed: glibc can keep freed blocks of
 * this size in its heap (once its mmap threshold has grown past them),
 * still charged to the memory cgroup the test runs in, and hugetlb-cgroup
 * compares memory.current across these reads.
 */
static int huge_page_is(int fd, unsigned int idx, unsigned int seed)
{
	unsigned char *page, *want;
	int same;

	page = mmap(NULL, 2 * HP, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	REQUIRE(page != MAP_FAILED, "mmap: %m");
	want = page + HP;
	fill(want, HP, seed);
	same = pread(fd, page, HP, (off_t)idx * HP) == HP &&
	       !memcmp(page, want, HP);
	munmap(page, 2 * HP);
	return same;
}

static void huge_check_big(int fd, const char *when)
{
	unsigned char *want, *map;

	want = malloc(HUGE_BIG);
	REQUIRE(want, "malloc");
	fill(want, HUGE_BIG, 61);
	memcpy(want + 100, late, sizeof(late));
	map = mmap(NULL, HUGE_BIG, PROT_READ, MAP_SHARED, fd, 0);
	REQUIRE(map != MAP_FAILED, "mmap: %m");
	CHECK(!memcmp(map, want, HUGE_BIG), "%s: 64 MiB hugetlb memfd differs",
	      when);
	munmap(map, HUGE_BIG);
	free(want);
}

/* The sysctl nr_hugepages (the persistent pool size) is HugePages_Total. */
static void pool_check_sysctl(const char *when)
{
	char buf[32] = "";

	vmtest_read_file("/proc/sys/vm/nr_hugepages", buf, sizeof(buf));
	CHECK(atol(buf) == luo_meminfo_kib("HugePages_Total"),
	      "%s: nr_hugepages %ld, HugePages_Total %ld", when, atol(buf),
	      luo_meminfo_kib("HugePages_Total"));
}

/*
 * When the session is finished: the pool FLB logs the preserved pages
 * that never joined the pool (those a damaged record left reserved).
 */
static void huge_check_unjoined(long pages)
{
	char line[96];

	snprintf(line, sizeof(line),
		 "hugetlb_luo: %ld preserved huge page(s) of order 9 ", pages);
	if (pages)
		CHECK(vmtest_kmsg_has(line), "no \"%s\" log line", line);
	else
		CHECK(!vmtest_kmsg_has("never joined the pool"),
		      "preserved pages that did not join the pool");
}

/* The 4 MiB memfd: two pages of data; the page beyond its end is gone. */
static void huge_check_eof(int fd, const char *when)
{
	unsigned char *page = malloc(HP), *want = malloc(HP);
	struct stat st;
	unsigned int i;

	REQUIRE(page && want, "malloc");
	REQUIRE(!fstat(fd, &st), "fstat: %m");
	CHECK(st.st_size == (off_t)HUGE_EOF &&
	      st.st_blocks * 512 == (long)HUGE_EOF,
	      "%s: size %lld, %lld bytes used, want %lu and %lu", when,
	      (long long)st.st_size, (long long)st.st_blocks * 512,
	      HUGE_EOF, HUGE_EOF);
	for (i = 0; i < HUGE_EOF / HP; i++) {
		fill(want, HP, 110 + i);
		CHECK(pread(fd, page, HP, (off_t)i * HP) == HP &&
		      !memcmp(page, want, HP), "%s: page %u differs", when, i);
	}
	free(page);
	free(want);
}

static void huge_check_sparse(int fd, const char *when)
{
	unsigned char *page = malloc(HP), *want = malloc(HP);
	struct stat st;
	unsigned int i;

	REQUIRE(page && want, "malloc");
	REQUIRE(!fstat(fd, &st), "fstat: %m");
	CHECK(st.st_size == (off_t)HUGE_SPARSE, "%s: sparse size %lld", when,
	      (long long)st.st_size);
	CHECK(st.st_blocks * 512 == 4 * (long)HP, "%s: sparse uses %lld bytes",
	      when, (long long)st.st_blocks * 512);
	for (i = 0; i < ARRAY_SIZE(huge_sparse_idx); i++) {
		fill(want, HP, 70 + i);
		CHECK(pread(fd, page, HP, (off_t)huge_sparse_idx[i] * HP) == HP &&
		      !memcmp(page, want, HP), "%s: sparse page %u differs",
		      when, huge_sparse_idx[i]);
	}
	fill(want, HP, 79);
	CHECK(pread(fd, page, HP, (off_t)HUGE_SPARSE_HOLE * HP) == HP &&
	      !memcmp(page, want, HP),
	      "%s: page written into a hole after preserve is lost", when);
	memset(want, 0, HP);
	CHECK(pread(fd, page, HP, HP) == HP && !memcmp(page, want, HP),
	      "%s: a hole is not zero", when);
	free(page);
	free(want);
}

static int stage_hugetlb_last(int dev);

static int stage_hugetlb(int stage)
{
	int dev, sfd, sfd2, big, sparse, left, eof, fd, err;
	struct pool p0, p;
	unsigned char *map;
	unsigned int i;

	dev = luo_open_device();
	if (dev == -ENOENT)
		return KSFT_SKIP;
	REQUIRE(dev >= 0, "open /dev/liveupdate: %s", strerror(-dev));

	if (stage == 1) {
		pool_read(&p0, "stage 1, start");
		REQUIRE(p0.free >= 48, "a pool of 2 MiB pages (hugepages=64)");

		/* Unpreserve gives every page back to the pool. */
		fd = huge_memfd("unpreserve", HUGE_LEFT);
		for (i = 0; i < HUGE_LEFT / HP; i++)
			huge_write(fd, i, 90 + i);
		sfd = luo_create_session(dev, "hugetlb-unpreserve");
		REQUIRE(sfd >= 0, "create: %s", strerror(-sfd));
		err = luo_preserve_fd(sfd, fd, 1);
		REQUIRE(!err, "preserve: %s", strerror(-err));
		close(sfd);
		close(fd);
		pool_expect(&p0, 0, 0, 0, "after unpreserve and close");

		big = huge_memfd("big", HUGE_BIG);
		map = mmap(NULL, HUGE_BIG, PROT_READ | PROT_WRITE, MAP_SHARED,
			   big, 0);
		REQUIRE(map != MAP_FAILED, "mmap: %m");
		fill(map, HUGE_BIG, 61);
		REQUIRE(!fcntl(big, F_ADD_SEALS, HUGE_SEALS), "F_ADD_SEALS: %m");
		REQUIRE(lseek(big, HUGE_POS, SEEK_SET) == HUGE_POS, "lseek: %m");

		sparse = huge_memfd("sparse", HUGE_SPARSE);
		for (i = 0; i < ARRAY_SIZE(huge_sparse_idx); i++)
			huge_write(sparse, huge_sparse_idx[i], 70 + i);

		left = huge_memfd("left", HUGE_LEFT);
		for (i = 0; i < HUGE_LEFT / HP; i++)
			huge_write(left, i, 80 + i);

		/* A page beyond the end does not stop the preserve. */
		eof = huge_memfd("eof", HUGE_EOF);
		for (i = 0; i < HUGE_EOF / HP; i++)
			huge_write(eof, i, 110 + i);
		REQUIRE(!fallocate(eof, FALLOC_FL_KEEP_SIZE, HUGE_EOF, HP),
			"fallocate beyond the end: %m");

		sfd = luo_create_session(dev, SESSION);
		REQUIRE(sfd >= 0, "create: %s", strerror(-sfd));
		err = luo_preserve_fd(sfd, big, 1);
		REQUIRE(!err, "preserve big: %s", strerror(-err));
		err = luo_preserve_fd(sfd, sparse, 2);
		REQUIRE(!err, "preserve sparse: %s", strerror(-err));
		err = luo_preserve_fd(sfd, eof, 3);
		REQUIRE(!err, "preserve a memfd with a page beyond its end: %s",
			strerror(-err));
		close(eof);
		sfd2 = luo_create_session(dev, "hugetlb-left");
		REQUIRE(sfd2 >= 0, "create: %s", strerror(-sfd2));
		err = luo_preserve_fd(sfd2, left, 1);
		REQUIRE(!err, "preserve left: %s", strerror(-err));
		close(left);

		/* The size is frozen; the contents are not. */
		CHECK(ftruncate(sparse, 2 * HUGE_SPARSE) && errno == EPERM,
		      "grow a preserved hugetlb memfd: %m");
		CHECK(ftruncate(sparse, HUGE_SPARSE / 2) && errno == EPERM,
		      "shrink a preserved hugetlb memfd: %m");
		CHECK(fallocate(sparse, 0, 5 * HP, HP) && errno == EPERM,
		      "fallocate a preserved hugetlb memfd: %m");
		CHECK(fallocate(sparse, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				0, HP) && errno == EPERM,
		      "punch a hole into a preserved hugetlb memfd: %m");
		memcpy(map + 100, late, sizeof(late));
		munmap(map, HUGE_BIG);
		/* A fault into a hole: the freeze at reboot picks it up. */
		huge_write(sparse, HUGE_SPARSE_HOLE, 79);
		huge_check_big(big, "stage 1");
		huge_check_sparse(sparse, "stage 1");
		pool_read(&p, "stage 1, preserved");
		CHECK(p.free == p0.free - 43 && p.rsvd == p0.rsvd,
		      "stage 1: %ld pages free, want %ld", p.free,
		      p0.free - 43);
		if (failures)
			return KSFT_FAIL;
		return kexec_now(stage);
	}

	if (stage == 3)
		return stage_hugetlb_last(dev);
	/* hugepages=64 counts the 42 preserved pages: 22 allocated at boot. */
	pool_read(&p0, "stage 2, start");
	CHECK(p0.total == HUGE_BOOT_POOL - 42,
	      "stage 2: a boot pool of %ld pages, want %d", p0.total,
	      HUGE_BOOT_POOL - 42);

	/* Never retrieved: its pages join the pool, free. */
	sfd2 = luo_retrieve_session(dev, "hugetlb-left");
	REQUIRE(sfd2 >= 0, "retrieve session: %s", strerror(-sfd2));
	REQUIRE(!luo_finish(sfd2), "finish: %m");
	close(sfd2);
	pool_expect(&p0, 4, 4, 0, "stage 2, unretrieved memfd finished");
	pool_check_sysctl("stage 2, unretrieved memfd finished");

	sfd = luo_retrieve_session(dev, SESSION);
	REQUIRE(sfd >= 0, "retrieve session: %s", strerror(-sfd));
	big = luo_retrieve_fd(sfd, 1);
	REQUIRE(big >= 0, "retrieve big: %s", strerror(-big));
	sparse = luo_retrieve_fd(sfd, 2);
	REQUIRE(sparse >= 0, "retrieve sparse: %s", strerror(-sparse));
	eof = luo_retrieve_fd(sfd, 3);
	REQUIRE(eof >= 0, "retrieve eof: %s", strerror(-eof));
	REQUIRE(!luo_finish(sfd), "finish: %m");
	close(sfd);
	/* 32 + 4 + 2 pages in use, counted in the pool. */
	pool_expect(&p0, 4 + 38, 4, 0, "stage 2, retrieved");
	pool_check_sysctl("stage 2, retrieved");
	CHECK(luo_meminfo_kib("HugePages_Total") == HUGE_BOOT_POOL,
	      "stage 2: the pool is not hugepages= once every file is back");
	huge_check_eof(eof, "stage 2");
	close(eof);
	pool_expect(&p0, 4 + 38, 6, 0, "stage 2, eof closed");

	huge_check_big(big, "stage 2");
	huge_check_sparse(sparse, "stage 2");
	/* Mapping the restored pages reserves nothing. */
	pool_expect(&p0, 4 + 38, 6, 0, "stage 2, after mapping them");
	CHECK(fcntl(big, F_GET_SEALS) == HUGE_SEALS, "seals %#x",
	      fcntl(big, F_GET_SEALS));
	CHECK(lseek(big, 0, SEEK_CUR) == HUGE_POS, "position %lld",
	      (long long)lseek(big, 0, SEEK_CUR));
	CHECK(ftruncate(big, HUGE_BIG / 2) && errno == EPERM,
	      "a memfd sealed against shrinking shrinks");

	/* An ordinary hugetlb memfd again: fallocate, punch, write. */
	CHECK(!fallocate(sparse, 0, 7 * HP, HP), "fallocate: %m");
	CHECK(!fallocate(sparse, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			 7 * HP, HP), "punch: %m");
	CHECK(!fallocate(sparse, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
			 100 * HP, HP), "punch a restored page: %m");
	pool_expect(&p0, 4 + 38, 7, 0, "stage 2, a restored page punched out");
	huge_write(sparse, 3, 99);

	close(sparse);
	/* The 32 pages of the big memfd are still in use. */
	pool_expect(&p0, 4 + 38, 6 + 36 - 32, 0, "stage 2, sparse closed");
	huge_check_unjoined(0);
	if (failures)
		return KSFT_FAIL;

	/* Preserved again, for a third kernel. */
	sfd = luo_create_session(dev, SESSION);
	REQUIRE(sfd >= 0, "create: %s", strerror(-sfd));
	err = luo_preserve_fd(sfd, big, 1);
	REQUIRE(!err, "preserve big again: %s", strerror(-err));
	close(big);
	return kexec_now(stage);
}

static int stage_hugetlb_last(int dev)
{
	struct pool p0;
	int sfd, big;

	pool_read(&p0, "stage 3, start");
	CHECK(p0.total == HUGE_BOOT_POOL - 32,
	      "stage 3: a boot pool of %ld pages, want %d", p0.total,
	      HUGE_BOOT_POOL - 32);
	sfd = luo_retrieve_session(dev, SESSION);
	REQUIRE(sfd >= 0, "retrieve session: %s", strerror(-sfd));
	big = luo_retrieve_fd(sfd, 1);
	REQUIRE(big >= 0, "retrieve big: %s", strerror(-big));
	REQUIRE(!luo_finish(sfd), "finish: %m");
	close(sfd);
	pool_expect(&p0, 32, 0, 0, "stage 3, retrieved");
	pool_check_sysctl("stage 3, retrieved");
	CHECK(luo_meminfo_kib("HugePages_Total") == HUGE_BOOT_POOL,
	      "stage 3: the pool is not hugepages= once the file is back");
	huge_check_big(big, "stage 3");
	CHECK(fcntl(big, F_GET_SEALS) == HUGE_SEALS, "stage 3: seals %#x",
	      fcntl(big, F_GET_SEALS));
	CHECK(lseek(big, 0, SEEK_CUR) == HUGE_POS, "stage 3: position %lld",
	      (long long)lseek(big, 0, SEEK_CUR));
	close(big);
	pool_expect(&p0, 32, 32, 0, "stage 3, closed");
	return failures ? KSFT_FAIL : KSFT_PASS;
}

/*
 * Variant "hugetlb-cgroup" (CONFIG_CGROUP_HUGETLB, CONFIG_MEMCG): the next
 * kernel charges restored huge pages to the hugetlb cgroup of the
 * retriever, and, with cgroup2 mounted with memory_hugetlb_accounting, to
 * its memory cgroup. Three memfds of 4 huge pages. A child limited to 2
 * huge pages (hugetlb.2MB.max) retrieves the first: ENOMEM, for good, and
 * its 4 pages are free pages of the pool, charged to nobody. A child whose
 * memory.max is 6 MiB retrieves the third: ENOMEM likewise, no OOM kill,
 * nothing left charged. The test itself, in another cgroup, retrieves the
 * second: hugetlb.2MB.current grows by 8 MiB and memory.current by as
 * much, and both are back down when it is closed.
 */
#define CG_HUGE		CG_ROOT "/luo-hugetlb"
#define CG_HUGE_LIMITED	CG_ROOT "/luo-hugetlb-4M"
#define CG_MEM_LIMITED	CG_ROOT "/luo-memory-6M"

/* In a child in cgroup @cg: retrieving file @token must fail ENOMEM. */
static void hugetlb_cgroup_retrieve_enomem(int sfd, const char *cg, int token)
{
	int err, status;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	REQUIRE(pid >= 0, "fork: %m");
	if (!pid) {
		cg_join(cg);
		err = luo_retrieve_fd(sfd, token);
		printf("# retrieve 8 MiB in %s: %s\n", cg,
		       err < 0 ? strerror(-err) : "succeeded");
		_exit(err == -ENOMEM ? 0 : 1);
	}
	REQUIRE(waitpid(pid, &status, 0) == pid, "waitpid: %m");
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status),
	      "retrieve in %s: status %#x", cg, status);
	CHECK(luo_retrieve_fd(sfd, token) == -ENOMEM,
	      "retrieve %d again: not ENOMEM", token);
}

static int stage_hugetlb_cgroup(int stage)
{
	long mem_before, mem_retrieved;
	int dev, sfd, fd, err;
	char buf[256];
	struct pool p0;
	unsigned int i;

	dev = luo_open_device();
	if (dev == -ENOENT)
		return KSFT_SKIP;
	REQUIRE(dev >= 0, "open /dev/liveupdate: %s", strerror(-dev));

	if (stage == 1) {
		sfd = luo_create_session(dev, SESSION);
		REQUIRE(sfd >= 0, "create: %s", strerror(-sfd));
		for (i = 1; i <= 3; i++) {
			unsigned int j;

			fd = huge_memfd("charged", HUGE_LEFT);
			for (j = 0; j < HUGE_LEFT / HP; j++)
				huge_write(fd, j, 110 + 10 * i + j);
			err = luo_preserve_fd(sfd, fd, i);
			REQUIRE(!err, "preserve %u: %s", i, strerror(-err));
			close(fd);
		}
		return kexec_now(stage);
	}

	if (mount("cgroup2", CG_ROOT, "cgroup2", 0, "memory_hugetlb_accounting")) {
		printf("# cannot mount cgroup2 with memory_hugetlb_accounting: %m\n");
		return KSFT_SKIP;
	}
	err = vmtest_read_file(CG_ROOT "/cgroup.controllers", buf, sizeof(buf));
	REQUIRE(err >= 0, "cgroup.controllers: %s", strerror(-err));
	if (!strstr(buf, "hugetlb") || !strstr(buf, "memory")) {
		printf("# no hugetlb or memory controller: \"%s\"\n", buf);
		return KSFT_SKIP;
	}
	err = vmtest_write_file(CG_ROOT "/cgroup.subtree_control",
				"+hugetlb +memory");
	REQUIRE(!err, "enable the controllers: %s", strerror(-err));
	REQUIRE(!mkdir(CG_HUGE, 0755) && !mkdir(CG_HUGE_LIMITED, 0755) &&
		!mkdir(CG_MEM_LIMITED, 0755), "mkdir: %m");
	err = vmtest_write_file(CG_HUGE_LIMITED "/hugetlb.2MB.max", "4194304");
	REQUIRE(!err, "hugetlb.2MB.max: %s", strerror(-err));
	err = vmtest_write_file(CG_MEM_LIMITED "/memory.max", "6291456");
	REQUIRE(!err, "memory.max: %s", strerror(-err));

	pool_read(&p0, "stage 2, start");
	sfd = luo_retrieve_session(dev, SESSION);
	REQUIRE(sfd >= 0, "retrieve session: %s", strerror(-sfd));

	hugetlb_cgroup_retrieve_enomem(sfd, CG_HUGE_LIMITED, 1);
	CHECK(cg_read_in(CG_HUGE_LIMITED, "hugetlb.2MB.current", NULL) == 0,
	      "the failed retrieve left pages charged");
	pool_expect(&p0, 4, 4, 0, "stage 2, over hugetlb.2MB.max");

	hugetlb_cgroup_retrieve_enomem(sfd, CG_MEM_LIMITED, 3);
	printf("# memory.current of %s: %ld KiB\n", CG_MEM_LIMITED,
	       cg_read_in(CG_MEM_LIMITED, "memory.current", NULL) / 1024);
	CHECK(cg_read_in(CG_MEM_LIMITED, "memory.current", NULL) < (long)HP,
	      "the failed retrieve left huge pages charged to memory.current");
	CHECK(cg_read_in(CG_MEM_LIMITED, "hugetlb.2MB.current", NULL) == 0,
	      "the failed retrieve left pages charged to hugetlb.2MB.current");
	CHECK(cg_read_in(CG_MEM_LIMITED, "memory.events", "oom_kill") == 0,
	      "the retrieve over memory.max killed");
	pool_expect(&p0, 8, 8, 0, "stage 2, over memory.max");

	cg_join(CG_HUGE);
	mem_before = cg_read_in(CG_HUGE, "memory.current", NULL);
	fd = luo_retrieve_fd(sfd, 2);
	REQUIRE(fd >= 0, "retrieve: %s", strerror(-fd));
	mem_retrieved = cg_read_in(CG_HUGE, "memory.current", NULL);
	printf("# retrieved 8 MiB: hugetlb.2MB.current %ld KiB, memory.current +%ld KiB\n",
	       cg_read_in(CG_HUGE, "hugetlb.2MB.current", NULL) / 1024,
	       (mem_retrieved - mem_before) / 1024);
	CHECK(cg_read_in(CG_HUGE, "hugetlb.2MB.current", NULL) == (long)HUGE_LEFT,
	      "hugetlb.2MB.current is not 8 MiB");
	CHECK(mem_retrieved - mem_before >= (long)HUGE_LEFT &&
	      mem_retrieved - mem_before < (long)(HUGE_LEFT + MiB),
	      "memory.current grew by %ld KiB, not 8 MiB",
	      (mem_retrieved - mem_before) / 1024);
	pool_expect(&p0, 12, 8, 0, "stage 2, retrieved");
	for (i = 0; i < HUGE_LEFT / HP; i++)
		CHECK(huge_page_is(fd, i, 130 + i), "page %u differs", i);
	REQUIRE(!luo_finish(sfd), "finish: %m");
	close(sfd);
	close(fd);
	CHECK(cg_read_in(CG_HUGE, "hugetlb.2MB.current", NULL) == 0,
	      "pages still charged after close");
	printf("# closed: memory.current %+ld KiB from before the retrieve\n",
	       (cg_read_in(CG_HUGE, "memory.current", NULL) - mem_before) / 1024);
	CHECK(cg_read_in(CG_HUGE, "memory.current", NULL) < mem_before + (long)MiB,
	      "memory.current not back down after close");
	pool_expect(&p0, 12, 12, 0, "stage 2, closed");
	return failures ? KSFT_FAIL : KSFT_PASS;
}

/*
 * Variant "hugetlb-race": the writer of variant "race-fault" on a hugetlb
 * memfd, one word per huge page of its holes, while the main thread
 * reboots: the freeze closes the file to new pages (a fault on a hole gets
 * SIGBUS) and then picks up every page faulted in before, so the next
 * kernel finds every page the writer had finished when the reboot began.
 */
#define HRACE_DATA	(2 * HP)
#define HRACE_SIZE	(HRACE_DATA + 28 * HP)
#define HRACE_MARK	(HRACE_DATA - 4096)
#define HRACE_SEED	141

static atomic_ulong hrace_done;

static void *hrace_write(void *arg)
{
	unsigned long page, first = HRACE_DATA / HP;
	uint64_t *map = arg;

	for (page = first; ; page++) {
		if (page == HRACE_SIZE / HP)
			page = first;
		if (race_store(&map[page * (HP / 8)], race_word(page)))
			continue;
		if (hrace_done < page + 1 - first)
			hrace_done = page + 1 - first;
	}
	return NULL;
}

static int stage_hugetlb_race(int stage)
{
	struct sigaction sa = { .sa_handler = race_sigbus_handler };
	unsigned long page, n, done, empty = 0, seen = 0;
	uint64_t *map, *p;
	unsigned char *buf;
	int dev, sfd, fd, err;
	pthread_t t;

	dev = luo_open_device();
	if (dev == -ENOENT)
		return KSFT_SKIP;
	REQUIRE(dev >= 0, "open /dev/liveupdate: %s", strerror(-dev));

	if (stage == 2) {
		sfd = luo_retrieve_session(dev, "hrace");
		REQUIRE(sfd >= 0, "retrieve session: %s", strerror(-sfd));
		fd = luo_retrieve_fd(sfd, 1);
		REQUIRE(fd >= 0, "retrieve: %s", strerror(-fd));
		map = mmap(NULL, HRACE_SIZE, PROT_READ, MAP_SHARED, fd, 0);
		REQUIRE(map != MAP_FAILED, "mmap: %m");
		done = map[HRACE_MARK / 8];
		CHECK(checksum((void *)map, HRACE_MARK) ==
		      expected_sum(HRACE_MARK, HRACE_SEED),
		      "data written before preserve differs");
		for (page = HRACE_DATA / HP; page < HRACE_SIZE / HP; page++) {
			p = map + page * (HP / 8);
			for (n = 1; n < HP / 8 && !p[n]; n++)
				;
			if (n < HP / 8 || (p[0] && p[0] != race_word(page))) {
				CHECK(0, "huge page %lu: garbage", page);
				break;
			}
			if (!p[0]) {
				empty++;
				CHECK(page - HRACE_DATA / HP >= done,
				      "huge page %lu, written before the reboot, is lost",
				      page);
				if (failures)
					break;
			} else {
				seen++;
			}
		}
		printf("# %lu huge pages written before the reboot, %lu in the file, %lu holes\n",
		       done, seen, empty);
		munmap(map, HRACE_SIZE);
		REQUIRE(!luo_finish(sfd), "finish: %m");
		return failures ? KSFT_FAIL : KSFT_PASS;
	}

	fd = huge_memfd("hrace", HRACE_SIZE);
	buf = mmap(NULL, HRACE_DATA, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	REQUIRE(buf != MAP_FAILED, "mmap: %m");
	fill(buf, HRACE_DATA, HRACE_SEED);
	munmap(buf, HRACE_DATA);
	sfd = luo_create_session(dev, "hrace");
	REQUIRE(sfd >= 0, "create session: %s", strerror(-sfd));
	err = luo_preserve_fd(sfd, fd, 1);
	REQUIRE(!err, "preserve: %s", strerror(-err));
	err = vmtest_kexec_load(stage + 1);
	REQUIRE(!err, "kexec_file_load: %s", strerror(-err));

	map = mmap(NULL, HRACE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	REQUIRE(map != MAP_FAILED, "mmap: %m");
	REQUIRE(!sigaction(SIGBUS, &sa, NULL), "sigaction: %m");
	REQUIRE(!pthread_create(&t, NULL, hrace_write, map), "pthread_create");
	while (hrace_done < 8)
		usleep(1000);
	done = hrace_done;
	/* Into an existing page of the data (hugetlbfs has no write()). */
	map[HRACE_MARK / 8] = done;
	fflush(stdout);
	err = vmtest_kexec_reboot();
	printf("not ok: reboot(KEXEC) returned: %s\n", strerror(-err));
	return KSFT_FAIL;
}

/*
 * Variants "hugetlb-damaged-*": the previous kernel hands over a hugetlb
 * memfd of 4 huge pages with an unknown header flag, records out of
 * order, a record naming a page inside a huge page, a page size that does
 * not match its pages (and that the next kernel has no pool for), or a
 * record naming the header of another hugetlb memfd of the session (test
 * hook). Retrieving it fails with the errno of the damage and one log
 * line; the pages its records name go to the free list of the pool, a
 * page a damaged record hid stays reserved, and so does everything a
 * damaged record names: the pages of the wrong page size (MemFree), and
 * the other memfds of the session, which are intact. When the session is
 * finished, the pool gets fresh pages for the pages that never joined it:
 * it has its hugepages= pages again.
 */
#define HUGETLB_LUO_DEBUGFS	"/sys/kernel/debug/hugetlb_luo"

static const struct {
	const char *variant;
	const char *knob;
	int err;
	long pool;	/* pages of the damaged memfd back in the pool */
} hdamages[] = {
	{ "hugetlb-damaged-flags", "1", EOPNOTSUPP, 4 },
	{ "hugetlb-damaged-records", "2", EINVAL, 4 },
	{ "hugetlb-damaged-pfn", "3", EINVAL, 3 },
	{ "hugetlb-damaged-pagesize", "4", EOPNOTSUPP, 0 },
	{ "hugetlb-damaged-header", "5", EINVAL, 3 },
};

#define HUGE_OTHER	(4 * MiB)	/* the other hugetlb memfd, token 3 */

static int stage_hugetlb_damaged(int stage, unsigned int d)
{
	int dev, sfd, fd, fd2, fd3, err;
	long before, after;
	unsigned int i;
	struct pool p0;

	dev = luo_open_device();
	if (dev == -ENOENT)
		return KSFT_SKIP;
	REQUIRE(dev >= 0, "open /dev/liveupdate: %s", strerror(-dev));

	if (stage == 2) {
		pool_read(&p0, "stage 2, start");
		sfd = luo_retrieve_session(dev, "hdamaged");
		REQUIRE(sfd >= 0, "retrieve session: %s", strerror(-sfd));
		before = vmtest_mem_free_kib();
		fd = luo_retrieve_fd(sfd, 1);
		after = vmtest_mem_free_kib();
		CHECK(fd == -hdamages[d].err, "damaged memfd: %s, want %s",
		      strerror(-fd), strerror(hdamages[d].err));
		CHECK(vmtest_kmsg_has("hugetlb_luo: incoming hugetlb memfd: "),
		      "no log line for the damaged memfd");
		pool_expect(&p0, hdamages[d].pool, hdamages[d].pool, 0,
			    "stage 2, damaged memfd rejected");
		if (!hdamages[d].pool) {
			printf("# rejecting it gave back %ld KiB\n", after - before);
			CHECK(after - before < (long)(HUGE_LEFT / 1024) / 2,
			      "pages of the wrong size given back (%ld KiB)",
			      after - before);
		}
		CHECK(luo_retrieve_fd(sfd, 1) == -hdamages[d].err,
		      "a second retrieve differs");
		fd2 = luo_retrieve_fd(sfd, 2);
		REQUIRE(fd2 >= 0, "intact memfd: %s", strerror(-fd2));
		CHECK(file_sum(fd2, MiB, 0) == expected_sum(MiB, 62),
		      "intact memfd differs");
		fd3 = luo_retrieve_fd(sfd, 3);
		REQUIRE(fd3 >= 0, "intact hugetlb memfd: %s", strerror(-fd3));
		pool_expect(&p0, hdamages[d].pool + HUGE_OTHER / HP,
			    hdamages[d].pool, 0, "stage 2, intact one retrieved");
		for (i = 0; i < HUGE_OTHER / HP; i++)
			CHECK(huge_page_is(fd3, i, 160 + i),
			      "intact hugetlb memfd: page %u differs", i);
		REQUIRE(!luo_finish(sfd), "finish: %m");
		huge_check_unjoined(HUGE_LEFT / HP - hdamages[d].pool);
		/* The pool gets fresh pages for those: hugepages= again. */
		if (hdamages[d].pool < (long)(HUGE_LEFT / HP))
			CHECK(vmtest_kmsg_has("for the pool in place of preserved pages"),
			      "no pages allocated for the pages that never joined");
		pool_expect(&p0, (HUGE_LEFT + HUGE_OTHER) / HP,
			    HUGE_LEFT / HP, 0, "stage 2, finished");
		return failures ? KSFT_FAIL : KSFT_PASS;
	}

	sfd = luo_create_session(dev, "hdamaged");
	REQUIRE(sfd >= 0, "create session: %s", strerror(-sfd));
	fd = huge_memfd("damaged", HUGE_LEFT);
	for (i = 0; i < HUGE_LEFT / HP; i++)
		huge_write(fd, i, 150 + i);
	fd2 = new_memfd("intact", MiB, 62, 0);
	fd3 = huge_memfd("intact", HUGE_OTHER);
	for (i = 0; i < HUGE_OTHER / HP; i++)
		huge_write(fd3, i, 160 + i);
	err = luo_preserve_fd(sfd, fd, 1);
	REQUIRE(!err, "preserve: %s", strerror(-err));
	err = luo_preserve_fd(sfd, fd2, 2);
	REQUIRE(!err, "preserve: %s", strerror(-err));
	/* Preserved last: the header variant "header" names. */
	err = luo_preserve_fd(sfd, fd3, 3);
	REQUIRE(!err, "preserve: %s", strerror(-err));
	close(fd);
	close(fd2);
	close(fd3);
	err = vmtest_write_file(HUGETLB_LUO_DEBUGFS "/damage", hdamages[d].knob);
	if (err == -ENOENT) {
		printf("# no %s (CONFIG_LIVEUPDATE_TEST)\n", HUGETLB_LUO_DEBUGFS);
		return KSFT_SKIP;
	}
	REQUIRE(!err, "damage: %s", strerror(-err));
	return kexec_now(stage);
}

/*
 * Variants "hugetlb-pool-*": the boot pool rule of hugetlb_luo_pool.c where
 * it bends. Stage 1 preserves a memfd of 8 huge pages of data and sets the
 * case up; stage 2 checks HugePages_Total as init finds it and a log line,
 * then, if live update takes the file over, retrieves it (every page
 * checked) and checks the pool after the retrieve and after close:
 *   -off      hugetlb_luo_boot_pool=off in stage 2: hugepages=16 in full,
 *             the 8 pages come on top
 *   -node     hugepages=0:16, the per-node form: 8 at boot, 16 with them
 *   -luo-off  liveupdate=off in stage 2: the session is discarded, its 8
 *             pages join the pool free: 16, nothing allocated on top
 *   -version  LUO rejects its blob at boot (unknown version): the 8 pages
 *             the boot pool left to the file are allocated at
 *             late_initcall_sync, 16 by init
 *   -sessions LUO's session chain is damaged: 8 at boot; the first open
 *             of /dev/liveupdate fails with EIO, LUO gives the pool FLB
 *             up, which logs the 8 pages and allocates 8: 16
 *   -small    hugepages=4: stage 1 grows the pool at run time until pages
 *             come from KHO scratch, gives the memfd such pages, and checks
 *             that preserving moved them out; stage 2 allocates none at
 *             boot (the 8 preserved cover the 4), 8 with the file
 */
#define HPOOL_PAGES	8

static const struct {
	const char *variant;
	const char *corrupt;	/* written to test_liveupdate's "corrupt" */
	const char *next_args;	/* for the kernel of stage 2 */
	long boot_total;	/* HugePages_Total when stage 2 starts */
	long total;		/* with the file retrieved; -1: not revived */
	long closed;		/* once it is closed (and the session done) */
	const char *log;	/* a line stage 2 logs before the test runs */
	int grow;		/* stage 1 grows the pool into KHO scratch */
} hpools[] = {
	{ "hugetlb-pool-off", NULL, "hugetlb_luo_boot_pool=off", 16, 24, 24,
	  NULL, 0 },
	{ "hugetlb-pool-node", NULL, NULL, 8, 16, 16,
	  "HugeTLB: 8 of 16 boot pages of size 2.00 MiB are preserved", 0 },
	{ "hugetlb-pool-luo-off", NULL, "liveupdate=off", 16, -1, 16,
	  "discarded 1 incoming session(s)", 0 },
	{ "hugetlb-pool-version", "version", NULL, 16, -1, 16,
	  "hugetlb_luo: allocated 8 2.00 MiB page(s) for the pool", 0 },
	{ "hugetlb-pool-sessions", "session-chain", NULL, 8, -1, 16,
	  "incoming session chain is corrupted", 0 },
	{ "hugetlb-pool-small", NULL, NULL, 0, 8, 8,
	  "HugeTLB: 4 of 4 boot pages of size 2.00 MiB are preserved", 1 },
};

#define KHO_OUT_DEBUGFS	"/sys/kernel/debug/kho/out"

static uint64_t hp1g_phys(const void *addr);

/* Whether @phys lies in a scratch area of this kernel (KHO debugfs). */
static int hpool_in_scratch(uint64_t phys)
{
	char start[64], len[64];
	FILE *fs, *fl;
	int in = 0;

	fs = fopen(KHO_OUT_DEBUGFS "/scratch_phys", "re");
	fl = fopen(KHO_OUT_DEBUGFS "/scratch_len", "re");
	REQUIRE(fs && fl, "open " KHO_OUT_DEBUGFS "/scratch_*: %m");
	while (!in && fgets(start, sizeof(start), fs) &&
	       fgets(len, sizeof(len), fl)) {
		uint64_t s = strtoull(start, NULL, 16);

		in = phys >= s && phys - s < strtoull(len, NULL, 16);
	}
	fclose(fs);
	fclose(fl);
	return in;
}

/* How many of the @n huge pages of @fd lie in KHO scratch. */
static unsigned int hpool_pages_in_scratch(int fd, unsigned int n)
{
	unsigned int i, in = 0;
	unsigned char *map;

	/* Populated: pagemap has the frame of every page. */
	map = mmap(NULL, n * HP, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
	REQUIRE(map != MAP_FAILED, "mmap: %m");
	for (i = 0; i < n; i++)
		in += hpool_in_scratch(hp1g_phys(map + i * HP));
	munmap(map, n * HP);
	return in;
}

/*
 * Grow the pool at run time (vm.nr_hugepages) until as much memory is left
 * free as there is free KHO scratch. Scratch is CMA in a cold boot, and the
 * page allocator serves a movable allocation from CMA once CMA holds more
 * than half of a zone's free memory: below twice the free scratch, so
 * about half of it goes into the last pages of the pool, whatever the
 * scratch size (a fixed amount left free depended on it: the scratch
 * follows the kernel's reservations, the initramfs among them). The test
 * VM has one zone that matters (DMA32, 2 GiB). A long-term pin must move
 * such pages out. Returns a memfd that holds the free pages the pool hands
 * out first, up to the HPOOL_PAGES-th in scratch, but HPOOL_PAGES of them:
 * as many in scratch as there are up to all (*@in), left free for the
 * memfd of the test.
 */
static int hpool_grow(struct pool *p, unsigned int *in)
{
	long leave = luo_meminfo_kib("CmaFree") / 1024;
	long free_mib = luo_meminfo_kib("MemFree") / 1024;
	unsigned int i, nr_in = 0, left_in, left_out;
	unsigned char *map, *scratch;
	long grow;
	char buf[32];
	int err, fd;

	REQUIRE(leave > 0, "no free CMA (KHO scratch) to grow the pool into");
	grow = (free_mib - leave) / (long)(HP / MiB);
	REQUIRE(grow > HPOOL_PAGES, "MemFree %ld MiB, CmaFree %ld MiB: too little to grow the pool",
		free_mib, leave);
	snprintf(buf, sizeof(buf), "%ld", p->total + grow);
	err = vmtest_write_file("/proc/sys/vm/nr_hugepages", buf);
	REQUIRE(!err, "nr_hugepages %s: %s", buf, strerror(-err));
	pool_read(p, "stage 1, grown");
	REQUIRE(p->free > HPOOL_PAGES, "pool grown to %ld free pages only",
		p->free);

	fd = huge_memfd("filler", p->free * HP);
	map = mmap(NULL, p->free * HP, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		   0);
	REQUIRE(map != MAP_FAILED, "mmap the filler: %m");
	scratch = calloc(p->free, 1);
	REQUIRE(scratch, "calloc");
	/* The pool hands out the pages it got last first. */
	for (i = 0; i < p->free && (nr_in < HPOOL_PAGES || i < HPOOL_PAGES);
	     i++) {
		map[i * HP] = 1;
		scratch[i] = hpool_in_scratch(hp1g_phys(map + i * HP));
		nr_in += scratch[i];
	}
	munmap(map, p->free * HP);
	printf("# %u of the first %u pages of a pool of %ld in KHO scratch (%ld MiB free)\n",
	       nr_in, i, p->total, leave);
	REQUIRE(nr_in, "no pool page in KHO scratch: nothing to move out");

	*in = nr_in < HPOOL_PAGES ? nr_in : HPOOL_PAGES;
	left_in = *in;
	left_out = HPOOL_PAGES - *in;
	for (i = 0; i < p->free; i++) {
		if (scratch[i] ? !left_in : !left_out)
			continue;
		if (scratch[i])
			left_in--;
		else
			left_out--;
		REQUIRE(!fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				   (off_t)i * HP, HP), "punch filler page %u: %m", i);
	}
	free(scratch);
	return fd;
}

static int stage_hugetlb_pool(int stage, unsigned int c)
{
	int dev, sfd, fd, err, filler = -1;
	unsigned int i, in = 0;
	struct pool p, p0;
	char buf[32];

	if (stage == 1) {
		dev = luo_open_device();
		if (dev == -ENOENT)
			return KSFT_SKIP;
		REQUIRE(dev >= 0, "open /dev/liveupdate: %s", strerror(-dev));
		pool_read(&p, "stage 1");
		p0 = p;
		if (hpools[c].grow)
			filler = hpool_grow(&p, &in);
		sfd = luo_create_session(dev, "hpool");
		REQUIRE(sfd >= 0, "create session: %s", strerror(-sfd));
		fd = huge_memfd("pool", HPOOL_PAGES * HP);
		for (i = 0; i < HPOOL_PAGES; i++)
			huge_write(fd, i, 170 + i);
		if (filler >= 0) {
			/* Its pages are free again: room to move into. */
			close(filler);
			i = hpool_pages_in_scratch(fd, HPOOL_PAGES);
			CHECK(i == in, "%u pages of the memfd in KHO scratch, want %u",
			      i, in);
		}
		err = luo_preserve_fd(sfd, fd, 1);
		REQUIRE(!err, "preserve: %s", strerror(-err));
		if (filler >= 0) {
			i = hpool_pages_in_scratch(fd, HPOOL_PAGES);
			CHECK(!i, "%u pages of the memfd still in KHO scratch after preserve",
			      i);
			/* Memory for the kexec image: the pool as it was. */
			snprintf(buf, sizeof(buf), "%ld", p0.total + HPOOL_PAGES);
			err = vmtest_write_file("/proc/sys/vm/nr_hugepages", buf);
			REQUIRE(!err, "nr_hugepages %s: %s", buf, strerror(-err));
		}
		close(fd);
		if (hpools[c].corrupt) {
			err = vmtest_write_file("/sys/kernel/debug/liveupdate_test/corrupt",
						hpools[c].corrupt);
			if (err == -ENOENT) {
				printf("# no liveupdate_test/corrupt (CONFIG_LIVEUPDATE_TEST)\n");
				return KSFT_SKIP;
			}
			REQUIRE(!err, "corrupt: %s", strerror(-err));
		}
		if (hpools[c].next_args) {
			err = vmtest_set_next_args(hpools[c].next_args);
			REQUIRE(!err, "next args: %s", strerror(-err));
		}
		return kexec_now(stage);
	}

	pool_read(&p, "stage 2, start");
	CHECK(p.total == hpools[c].boot_total, "HugePages_Total %ld, want %ld",
	      p.total, hpools[c].boot_total);

	/* The first open builds the incoming sessions, or gives them up. */
	dev = luo_open_device();
	if (hpools[c].log)
		CHECK(vmtest_kmsg_has(hpools[c].log), "no \"%s\" log line",
		      hpools[c].log);
	if (hpools[c].total < 0) {
		/* Not revived: EIO, or no device at all with liveupdate=off. */
		CHECK(dev == -EIO || dev == -ENOENT, "open /dev/liveupdate: %s",
		      strerror(-dev));
		if (dev >= 0)
			close(dev);
		pool_read(&p, "stage 2, after the open");
		CHECK(p.total == hpools[c].closed && p.free == p.total,
		      "HugePages_Total %ld Free %ld, want %ld free",
		      p.total, p.free, hpools[c].closed);
		if (!strcmp(hpools[c].variant, "hugetlb-pool-sessions")) {
			huge_check_unjoined(HPOOL_PAGES);
			CHECK(vmtest_kmsg_has("hugetlb_luo: allocated 8 2.00 MiB page(s)"),
			      "no pages allocated in place of the preserved ones");
		} else {
			huge_check_unjoined(0);
		}
		return failures ? KSFT_FAIL : KSFT_PASS;
	}

	REQUIRE(dev >= 0, "open /dev/liveupdate: %s", strerror(-dev));
	sfd = luo_retrieve_session(dev, "hpool");
	REQUIRE(sfd >= 0, "retrieve session: %s", strerror(-sfd));
	fd = luo_retrieve_fd(sfd, 1);
	REQUIRE(fd >= 0, "retrieve: %s", strerror(-fd));
	for (i = 0; i < HPOOL_PAGES; i++)
		CHECK(huge_page_is(fd, i, 170 + i), "page %u differs", i);
	pool_read(&p, "stage 2, retrieved");
	CHECK(p.total == hpools[c].total &&
	      p.free == hpools[c].total - HPOOL_PAGES,
	      "HugePages_Total %ld Free %ld, want %ld with %d in use", p.total,
	      p.free, hpools[c].total, HPOOL_PAGES);
	REQUIRE(!luo_finish(sfd), "finish: %m");
	close(sfd);
	close(fd);
	pool_read(&p, "stage 2, closed");
	CHECK(p.total == hpools[c].closed && p.free == p.total,
	      "HugePages_Total %ld Free %ld, want %ld free", p.total, p.free,
	      hpools[c].closed);
	pool_check_sysctl("stage 2, closed");
	huge_check_unjoined(0);
	CHECK(!vmtest_kmsg_has("for the pool in place of preserved pages"),
	      "pages allocated in place of preserved ones that came back");
	return failures ? KSFT_FAIL : KSFT_PASS;
}

/*
 * ---- 1 GiB hugetlb pages (variant "hugetlb-1g") ----
 *
 * Needs 1 GiB pages (pdpe1gb) and a pool of one on the command line
 * (hugepagesz=1G hugepages=1); reports SKIP without. Four kernels: stage
 * 1 fills a 1 GiB memfd of 1 GiB pages with a pseudo-random stream
 * (sealed, with a position) and preserves it; stages 2 and 3 retrieve it,
 * compare every byte with the stream and preserve it again; stage 4
 * checks it once more, that its page is a free pool page once it is
 * closed, and that shrinking the pool then gives 1 GiB back to the page
 * allocator (not with HVO, see there). The pool counters of the 1 GiB size are checked around each
 * step.
 *
 * Variant "hugetlb-1g-hvo": the same with the vmemmap of huge pages
 * optimized (HVO).
 *
 * Variant "hugetlb-1g-finish": a 1 GiB memfd with one word written is
 * preserved, and the next kernel finishes its session without retrieving
 * it: its page goes to the free list of the 1 GiB pool.
 *
 * Variant "hugetlb-1g-nosize": the same memfd, and the next kernel has no
 * 1 GiB page size (booted with clearcpuid=pdpe1gb, as on a CPU without
 * 1 GiB pages). Retrieving the memfd fails with EOPNOTSUPP for good, with
 * one log line; its gigantic page goes to the page allocator (MemFree
 * +1 GiB) and the session finishes.
 */
#define HP1G		GiB
#define HP1G_SYSFS	"/sys/kernel/mm/hugepages/hugepages-1048576kB/"
#define HP1G_SEED	0x1ce
#define HP1G_POS	(HP1G - 4321)
#ifndef MFD_HUGE_1GB
#define MFD_HUGE_1GB	(30U << 26)
#endif

static long hp1g_read(const char *name)
{
	char path[128], buf[32];

	snprintf(path, sizeof(path), HP1G_SYSFS "%s", name);
	if (vmtest_read_file(path, buf, sizeof(buf)) < 0)
		return -1;
	return strtol(buf, NULL, 10);
}

static void hp1g_pool(struct pool *p, const char *when)
{
	p->total = hp1g_read("nr_hugepages");
	p->free = hp1g_read("free_hugepages");
	p->rsvd = hp1g_read("resv_hugepages");
	p->surp = hp1g_read("surplus_hugepages");
	printf("# %s: 1 GiB pages: total %ld free %ld rsvd %ld surplus %ld\n",
	       when, p->total, p->free, p->rsvd, p->surp);
}

static void hp1g_expect(const struct pool *p, long total, long free,
			const char *when)
{
	struct pool now;

	hp1g_pool(&now, when);
	CHECK(now.total == p->total + total && now.free == p->free + free &&
	      now.rsvd == p->rsvd && now.surp == p->surp,
	      "%s: 1 GiB pool %ld/%ld/%ld/%ld, want %+ld/%+ld/+0/+0 from %ld/%ld/%ld/%ld",
	      when, now.total, now.free, now.rsvd, now.surp, total, free,
	      p->total, p->free, p->rsvd, p->surp);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Physical address of the page mapped at @addr (pagemap), or 0. */
static uint64_t hp1g_phys(const void *addr)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (uintptr_t)addr / 4096 * 8) != 8)
		e = 0;
	close(fd);
	return (e & (1ULL << 63)) ? (e & ((1ULL << 55) - 1)) * 4096 : 0;
}

/* The stream of the 1 GiB memfd: xorshift64, one word per 8 bytes. */
static void hp1g_fill(uint64_t *w)
{
	uint64_t s = HP1G_SEED;
	size_t i;

	for (i = 0; i < HP1G / 8; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		w[i] = s;
	}
}

/* Every byte of the 1 GiB memfd @fd against the stream. */
static void hp1g_check(int fd, const char *when)
{
	uint64_t s = HP1G_SEED, *w;
	size_t i, bad = 0, first = 0;
	double t = now_ms();

	w = mmap(NULL, HP1G, PROT_READ, MAP_SHARED, fd, 0);
	REQUIRE(w != MAP_FAILED, "mmap the 1 GiB memfd: %m");
	for (i = 0; i < HP1G / 8; i++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		if (w[i] != s && !bad++)
			first = i;
	}
	printf("# %s: 1 GiB compared in %.0f ms (page at %#llx)\n", when,
	       now_ms() - t, (unsigned long long)hp1g_phys(w));
	munmap(w, HP1G);
	CHECK(!bad, "%s: %zu of %lu words of the 1 GiB memfd differ, the first at %#zx",
	      when, bad, HP1G / 8, first * 8);
	CHECK(fcntl(fd, F_GET_SEALS) == HUGE_SEALS, "%s: seals %#x", when,
	      fcntl(fd, F_GET_SEALS));
	CHECK(lseek(fd, 0, SEEK_CUR) == HP1G_POS, "%s: position %lld", when,
	      (long long)lseek(fd, 0, SEEK_CUR));
}

static int hp1g_memfd(const char *name)
{
	int fd = memfd_create(name, MFD_HUGETLB | MFD_HUGE_1GB |
				    MFD_ALLOW_SEALING);

	REQUIRE(fd >= 0, "memfd_create(%s, MFD_HUGE_1GB): %m", name);
	REQUIRE(!ftruncate(fd, HP1G), "ftruncate %s: %m", name);
	return fd;
}

/*
 * Preserve @fd as token 1 of a new session @name, timed. Returns 0, or
 * KSFT_SKIP if this kernel cannot preserve 1 GiB pages (EOPNOTSUPP: their
 * struct pages are not in one piece, SPARSEMEM without VMEMMAP).
 */
static int hp1g_preserve(int dev, int fd, const char *name)
{
	double t = now_ms();
	int sfd, err;

	sfd = luo_create_session(dev, name);
	REQUIRE(sfd >= 0, "create %s: %s", name, strerror(-sfd));
	err = luo_preserve_fd(sfd, fd, 1);
	if (err == -EOPNOTSUPP) {
		printf("# 1 GiB pages not preservable here (SPARSEMEM_VMEMMAP?)\n");
		return KSFT_SKIP;
	}
	REQUIRE(!err, "preserve the 1 GiB memfd: %s", strerror(-err));
	printf("# preserved a 1 GiB memfd of one 1 GiB page in %.1f ms\n",
	       now_ms() - t);
	return 0;
}

#define HP1G_STAGES	4

/* Variant "hugetlb-1g-hvo": HVO is on in every kernel. */
static int hp1g_hvo;

static int stage_hugetlb_1g(int stage)
{
	int dev, sfd, fd, err;
	long before, after;
	struct pool p0;
	uint64_t *w;
	double t;
	char when[32], buf[24];

	dev = luo_open_device();
	if (dev == -ENOENT)
		return KSFT_SKIP;
	REQUIRE(dev >= 0, "open /dev/liveupdate: %s", strerror(-dev));

	if (stage == 1) {
		hp1g_pool(&p0, "stage 1, start");
		if (p0.free < 1) {
			printf("# no free 1 GiB page (pdpe1gb, hugepagesz=1G hugepages=1)\n");
			return KSFT_SKIP;
		}
		fd = hp1g_memfd("1g");
		w = mmap(NULL, HP1G, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		REQUIRE(w != MAP_FAILED, "mmap: %m");
		t = now_ms();
		hp1g_fill(w);
		printf("# 1 GiB filled in %.0f ms (page at %#llx)\n", now_ms() - t,
		       (unsigned long long)hp1g_phys(w));
		munmap(w, HP1G);
		REQUIRE(!fcntl(fd, F_ADD_SEALS, HUGE_SEALS), "F_ADD_SEALS: %m");
		REQUIRE(lseek(fd, HP1G_POS, SEEK_SET) == HP1G_POS, "lseek: %m");
		hp1g_expect(&p0, 0, -1, "stage 1, 1 GiB memfd written");
		if (hp1g_preserve(dev, fd, SESSION))
			return KSFT_SKIP;
		hp1g_expect(&p0, 0, -1, "stage 1, preserved");
		if (failures)
			return KSFT_FAIL;
		return kexec_now(stage);
	}

	snprintf(when, sizeof(when), "stage %d", stage);
	hp1g_pool(&p0, "start");
	if (p0.total < 0) {
		printf("not ok: no 1 GiB hstate in stage %d\n", stage);
		return KSFT_FAIL;
	}
	sfd = luo_retrieve_session(dev, SESSION);
	REQUIRE(sfd >= 0, "retrieve session: %s", strerror(-sfd));
	before = vmtest_mem_free_kib();
	t = now_ms();
	fd = luo_retrieve_fd(sfd, 1);
	t = now_ms() - t;
	after = vmtest_mem_free_kib();
	REQUIRE(fd >= 0, "retrieve the 1 GiB memfd: %s", strerror(-fd));
	printf("# retrieved a 1 GiB memfd of one 1 GiB page in %.1f ms, MemFree %+ld KiB\n",
	       t, after - before);
	/* HVO of the restored page frees 16 MiB of its vmemmap. */
	if (hp1g_hvo)
		CHECK(after - before >= 15 * 1024,
		      "%s: the restored page's vmemmap was not optimized", when);
	REQUIRE(!luo_finish(sfd), "finish: %m");
	close(sfd);
	hp1g_expect(&p0, 1, 0, "retrieved");
	hp1g_check(fd, when);
	/* Mapping the restored page reserves nothing. */
	hp1g_expect(&p0, 1, 0, "after mapping it");

	if (stage < HP1G_STAGES) {
		REQUIRE(!hp1g_preserve(dev, fd, SESSION), "preserve again");
		close(fd);
		if (failures)
			return KSFT_FAIL;
		return kexec_now(stage);
	}
	close(fd);
	hp1g_expect(&p0, 1, 1, "closed");

	/*
	 * Shrinking the pool gives a free 1 GiB page to the page allocator.
	 * Not with HVO: Debian's 6.12.117 restores the vmemmap of a 1 GiB
	 * page with the head's struct pages where tails belong ("Bad page
	 * state ... corrupted mapping in tail page"), for boot pages too.
	 */
	if (hp1g_hvo)
		return failures ? KSFT_FAIL : KSFT_PASS;
	before = vmtest_mem_free_kib();
	snprintf(buf, sizeof(buf), "%ld", p0.total);
	err = vmtest_write_file(HP1G_SYSFS "nr_hugepages", buf);
	CHECK(!err, "shrink the 1 GiB pool: %s", strerror(-err));
	after = vmtest_mem_free_kib();
	hp1g_expect(&p0, 0, 0, "pool shrunk");
	printf("# shrinking the pool by one 1 GiB page: MemFree %+ld KiB\n",
	       after - before);
	CHECK(after - before >= (long)(HP1G / 1024) * 9 / 10,
	      "the 1 GiB page was not freed (MemFree %+ld KiB)", after - before);
	return failures ? KSFT_FAIL : KSFT_PASS;
}

static int stage_hugetlb_1g_finish(int stage)
{
	int dev, sfd, fd;
	struct pool p0;
	uint64_t *w;

	dev = luo_open_device();
	if (dev == -ENOENT)
		return KSFT_SKIP;
	REQUIRE(dev >= 0, "open /dev/liveupdate: %s", strerror(-dev));

	hp1g_pool(&p0, stage == 1 ? "stage 1, start" : "stage 2, start");
	if (stage == 2) {
		/* Never retrieved: its page joins the pool, free. */
		sfd = luo_retrieve_session(dev, SESSION);
		REQUIRE(sfd >= 0, "retrieve session: %s", strerror(-sfd));
		REQUIRE(!luo_finish(sfd), "finish: %m");
		close(sfd);
		hp1g_expect(&p0, 1, 1, "unretrieved 1 GiB memfd finished");
		return failures ? KSFT_FAIL : KSFT_PASS;
	}

	if (p0.free < 1) {
		printf("# no free 1 GiB page (pdpe1gb, hugepagesz=1G hugepages=1)\n");
		return KSFT_SKIP;
	}
	fd = hp1g_memfd("1g-left");
	w = mmap(NULL, HP1G, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	REQUIRE(w != MAP_FAILED, "mmap: %m");
	w[12345] = 0x5eed;
	munmap(w, HP1G);
	if (hp1g_preserve(dev, fd, SESSION))
		return KSFT_SKIP;
	CHECK(ftruncate(fd, 2 * HP1G) && errno == EPERM,
	      "grow a preserved 1 GiB memfd: %m");
	close(fd);
	hp1g_expect(&p0, 0, -1, "stage 1, preserved and closed");
	if (failures)
		return KSFT_FAIL;
	return kexec_now(stage);
}

static int stage_hugetlb_1g_nosize(int stage)
{
	long before, after;
	int dev, sfd, fd;

	if (stage == 1) {
		/* The preserve of variant "hugetlb-1g-finish", then no 1G size. */
		REQUIRE(!vmtest_set_next_args("clearcpuid=pdpe1gb"),
			"next args: %m");
		return stage_hugetlb_1g_finish(stage);
	}

	CHECK(access(HP1G_SYSFS, F_OK) && errno == ENOENT,
	      "this kernel still has 1 GiB pages (clearcpuid=pdpe1gb)");
	dev = luo_open_device();
	REQUIRE(dev >= 0, "open /dev/liveupdate: %s", strerror(-dev));
	sfd = luo_retrieve_session(dev, SESSION);
	REQUIRE(sfd >= 0, "retrieve session: %s", strerror(-sfd));
	before = luo_meminfo_kib("MemFree");
	fd = luo_retrieve_fd(sfd, 1);
	after = luo_meminfo_kib("MemFree");
	printf("# retrieve without a 1 GiB page size: %s, MemFree %+ld KiB\n",
	       fd < 0 ? strerror(-fd) : "a file", after - before);
	CHECK(fd == -EOPNOTSUPP, "retrieve: %s, want EOPNOTSUPP",
	      fd < 0 ? strerror(-fd) : "a file");
	CHECK(vmtest_kmsg_has("incoming hugetlb memfd: no pool of pages of order 18"),
	      "no log line for the missing page size");
	CHECK(after - before >= (long)(HP1G / 1024) * 9 / 10,
	      "the gigantic page did not go to the page allocator (MemFree %+ld KiB)",
	      after - before);
	fd = luo_retrieve_fd(sfd, 1);
	CHECK(fd == -EOPNOTSUPP, "retrieve again: %s, want EOPNOTSUPP for good",
	      fd < 0 ? strerror(-fd) : "a file");
	CHECK(!luo_finish(sfd), "finish the session: %m");
	close(sfd);
	return failures ? KSFT_FAIL : KSFT_PASS;
}

/* Whether HVO is on (hugetlb_free_vmemmap=on); says so if it is not. */
static int hvo_on(void)
{
	char val[8] = "";

	vmtest_read_file("/proc/sys/vm/hugetlb_optimize_vmemmap", val,
			 sizeof(val));
	if (val[0] != '1')
		printf("# HVO is off (hugetlb_free_vmemmap=on)\n");
	return val[0] == '1';
}

int main(void)
{
	char variant[64] = "contents";
	int stage = vmtest_stage();
	unsigned int i;

	vmtest_cmdline_get("vmtest.variant", variant, sizeof(variant));
	if (!strcmp(variant, "contents"))
		return stage_contents(stage);
	if (!strcmp(variant, "leak"))
		return stage_leak(stage);
	if (!strcmp(variant, "rejected"))
		return stage_rejected();
	if (!strcmp(variant, "swap"))
		return stage_swap(stage);
	if (!strcmp(variant, "memcg"))
		return stage_memcg(stage);
	if (!strcmp(variant, "noexec"))
		return stage_noexec(stage);
	if (!strcmp(variant, "freeze-retry"))
		return stage_freeze_retry(stage);
	if (!strcmp(variant, "freeze-added"))
		return stage_freeze_added(stage);
	for (i = 0; i < ARRAY_SIZE(damages); i++)
		if (!strcmp(variant, damages[i].variant))
			return stage_damaged(stage, i);
	if (!strcmp(variant, "busy"))
		return stage_busy(stage);
	if (!strcmp(variant, "race-fault"))
		return stage_race_fault(stage);
	if (!strcmp(variant, "preserve-race"))
		return stage_preserve_race();
	if (!strcmp(variant, "hugetlb"))
		return stage_hugetlb(stage);
	if (!strcmp(variant, "hugetlb-hvo"))
		/* The same with HVO (hugetlb_free_vmemmap=on) in every kernel. */
		return hvo_on() ? stage_hugetlb(stage) : KSFT_SKIP;
	if (!strcmp(variant, "hugetlb-cgroup"))
		return stage_hugetlb_cgroup(stage);
	if (!strcmp(variant, "hugetlb-1g"))
		return stage_hugetlb_1g(stage);
	if (!strcmp(variant, "hugetlb-1g-hvo")) {
		/* The same with HVO of the restored 1 GiB page. */
		if (!hvo_on())
			return KSFT_SKIP;
		hp1g_hvo = 1;
		return stage_hugetlb_1g(stage);
	}
	if (!strcmp(variant, "hugetlb-1g-finish"))
		return stage_hugetlb_1g_finish(stage);
	if (!strcmp(variant, "hugetlb-1g-nosize"))
		return stage_hugetlb_1g_nosize(stage);
	if (!strcmp(variant, "hugetlb-race"))
		return stage_hugetlb_race(stage);
	for (i = 0; i < ARRAY_SIZE(hdamages); i++)
		if (!strcmp(variant, hdamages[i].variant))
			return stage_hugetlb_damaged(stage, i);
	for (i = 0; i < ARRAY_SIZE(hpools); i++)
		if (!strcmp(variant, hpools[i].variant))
			return stage_hugetlb_pool(stage, i);
	printf("unknown variant '%s'\n", variant);
	return KSFT_FAIL;
}
