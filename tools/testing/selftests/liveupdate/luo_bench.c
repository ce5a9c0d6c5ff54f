// SPDX-License-Identifier: GPL-2.0
/*
 * Live update benchmark: not a test, it prints figures.
 *
 * Runs as a chain of kernels in one VM (vmtest.sh, see dev/bench.sh). Each
 * kernel retrieves and finishes the memfd the previous one preserved,
 * timing RETRIEVE_SESSION + RETRIEVE_FD, then sets up the next scenario,
 * times PRESERVE_FD and kexecs with the session open:
 *
 *   none        nothing preserved (the baseline boot)
 *   1g-4k       1 GiB memfd of 4 KiB folios
 *   4g-4k       4 GiB memfd of 4 KiB folios
 *   4g-2m       4 GiB memfd of 2 MiB folios (shmem THP)
 *   1g-2m       1 GiB memfd of 2 MiB folios
 *   16g-sparse  16 GiB memfd with 8 MiB written in 2048 scattered pages
 *
 * bench.scenarios=<name>,... on the command line runs those instead, in
 * that order; more are available for large VMs:
 *
 *   8g-4k       8 GiB memfd of 4 KiB folios
 *   8g-2m       8 GiB memfd of 2 MiB folios
 *   frag-100k, frag-1m
 *               a memfd of 200,000 or 2,000,000 4 KiB pages, every other
 *               one punched out after all were written: 100,000 or
 *               1,000,000 separate runs of preserved memory
 *   sessions-10k, sessions-100k
 *               10,000 or 100,000 sessions, each with a one-page memfd
 *   files-10k, files-100k
 *               10,000 or 100,000 one-page memfds in one session
 *   hugetlb-2m, hugetlb-1g
 *               1 GiB hugetlb memfd of 2 MiB pages, or of one 1 GiB page
 *   hugetlb-2g-2m, hugetlb-2g-1g
 *               2 GiB hugetlb memfd of 2 MiB or 1 GiB pages (for the
 *               kexec-to-init time)
 *
 * The hugetlb scenarios need a pool of each size on the command line of
 * every kernel (make bench-hugetlb). Their preserve and retrieve are timed
 * after a warm-up with a memfd of one 2 MiB page in the same kernel (see
 * warm_preserve()), like the write reference. Their memfds get one distinct word in
 * every 4 KiB page, and the next kernel checks every one of those words.
 * Where a 1 GiB-page memfd cannot be made or preserved (no such pool, or
 * EOPNOTSUPP from a kernel without 1 GiB-page support), the scenario says
 * "bench: skipped <name>: <why>" and the kernel kexecs with an empty
 * session "bench-skipped" instead, so the next kernel knows.
 *
 * The count scenarios time create+preserve, first open of /dev/liveupdate
 * in the next kernel (which reads the incoming sessions), retrieve (and a
 * check of every memfd) and finish per item; the kernel logs the freeze
 * ("froze N session(s) in T us").
 *
 * The first kernel also times writing 1 GiB into a fresh memfd, the
 * reference the preserve and retrieve times are compared with, and with
 * hugetlb scenarios in the run writing 1 GiB (every byte, through mmap)
 * into a fresh hugetlb memfd of each page size, the faster of two passes:
 * the reference for those.
 * Lines
 * start with "bench:" for dev/bench.sh, which adds the kexec-to-init time
 * of each boot from the console timestamps.
 */
#define _GNU_SOURCE
#include <asm-generic/hugetlb_encode.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../kselftest.h"
#include "luo_test_utils.h"
#include "vmtest.h"

#define MiB		(1024UL * 1024)
#define GiB		(1024 * MiB)

struct scenario {
	const char *name;
	size_t size;
	int thp;
	int sparse;
	int frag;	/* every other page punched out: scattered runs */
	int sessions;	/* count scenarios: sessions of one memfd each */
	int files;	/* count scenarios: memfds in one session */
	int huge;	/* hugetlb memfd: log2 of its page size */
};

static const struct scenario scenarios[] = {
	{ .name = "none" },
	{ .name = "1g-4k",		.size = 1 * GiB },
	{ .name = "4g-4k",		.size = 4 * GiB },
	{ .name = "4g-2m",		.size = 4 * GiB, .thp = 1 },
	{ .name = "1g-2m",		.size = 1 * GiB, .thp = 1 },
	{ .name = "16g-sparse",		.size = 16 * GiB, .sparse = 1 },
	{ .name = "8g-4k",		.size = 8 * GiB },
	{ .name = "8g-2m",		.size = 8 * GiB, .thp = 1 },
	{ .name = "frag-100k",		.size = 200000 * 4096UL, .frag = 1 },
	{ .name = "frag-1m",		.size = 2000000 * 4096UL, .frag = 1 },
	{ .name = "sessions-10k",	.sessions = 10000 },
	{ .name = "sessions-100k",	.sessions = 100000 },
	{ .name = "files-10k",		.files = 10000 },
	{ .name = "files-100k",		.files = 100000 },
	{ .name = "hugetlb-2m",		.size = 1 * GiB, .huge = 21 },
	{ .name = "hugetlb-1g",		.size = 1 * GiB, .huge = 30 },
	{ .name = "hugetlb-2g-2m",	.size = 2 * GiB, .huge = 21 },
	{ .name = "hugetlb-2g-1g",	.size = 2 * GiB, .huge = 30 },
};

/* The default run: the first six. */
#define NR_DEFAULT	6

static const struct scenario *run[ARRAY_SIZE(scenarios)];
static int nr_run;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what, int err)
{
	printf("bench: error: %s: %s\n", what, strerror(err));
	exit(KSFT_FAIL);
}

/* The reference: writing 1 GiB into a fresh memfd. */
static void bench_write(void)
{
	const size_t chunk = 4 * MiB;
	char *buf = malloc(chunk);
	double t;
	size_t off;
	int fd;

	if (!buf)
		die("malloc", ENOMEM);
	memset(buf, 0x5a, chunk);
	fd = memfd_create("write", 0);
	if (fd < 0)
		die("memfd_create", errno);
	t = now();
	for (off = 0; off < GiB; off += chunk)
		if (pwrite(fd, buf, chunk, off) != (ssize_t)chunk)
			die("pwrite", errno);
	t = now() - t;
	printf("bench: write 1g %.3f ms\n", t * 1e3);
	close(fd);
	free(buf);
}

static int make_memfd(const struct scenario *sc)
{
	size_t off, step = sc->sparse ? sc->size / 2048 : 4096;
	char *p;
	int fd;

	/* shmem THP only for the 2 MiB scenarios, never for the sparse one. */
	luo_set_shmem_thp(sc->thp ? "always" : "never");
	fd = memfd_create(sc->name, 0);
	if (fd < 0)
		die("memfd_create", errno);
	if (ftruncate(fd, sc->size))
		die("ftruncate", errno);
	p = mmap(NULL, sc->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap", errno);
	if (sc->thp)
		madvise(p, sc->size, MADV_HUGEPAGE);
	/* One write per page (or per 8 MiB for the sparse file). */
	for (off = 0; off < sc->size; off += step)
		p[off] = (char)(off >> 12);
	munmap(p, sc->size);
	for (off = 4096; sc->frag && off < sc->size; off += 8192)
		if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, 4096))
			die("punch hole", errno);
	luo_set_shmem_thp("never");
	printf("bench: %s: %s\n", sc->name, luo_shmem_huge_line());
	return fd;
}

static int check_memfd(int fd, const struct scenario *sc)
{
	size_t off, step = sc->sparse ? sc->size / 2048 : sc->frag ? 8192 : 4096;
	int bad = 0;
	char c;

	/* Spot check: one byte every 64 MiB. */
	for (off = 0; off < sc->size; off += 64 * MiB) {
		off -= off % step;
		if (pread(fd, &c, 1, off) != 1 || c != (char)(off >> 12))
			bad++;
	}
	return bad;
}

/* 2 MiB pages: log2 21; 1 GiB pages: 30. */
#define HUGE_2M		21
#define HUGE_1G		30

static int huge_memfd(const char *name, int shift)
{
	return memfd_create(name, MFD_HUGETLB |
			    (unsigned int)shift << HUGETLB_FLAG_ENCODE_SHIFT);
}

static const char *huge_size(int shift)
{
	return shift == HUGE_1G ? "1g" : "2m";
}

/* The pool of @shift-sized pages: "total N free M". */
static const char *huge_pool(int shift)
{
	static char line[64];
	char path[96], total[24] = "?", free[24] = "?";

	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%lukB/nr_hugepages",
		 (1UL << shift) >> 10);
	vmtest_read_file(path, total, sizeof(total));
	snprintf(path, sizeof(path), "/sys/kernel/mm/hugepages/hugepages-%lukB/free_hugepages",
		 (1UL << shift) >> 10);
	vmtest_read_file(path, free, sizeof(free));
	total[strcspn(total, "\n")] = 0;
	free[strcspn(free, "\n")] = 0;
	snprintf(line, sizeof(line), "total %s free %s", total, free);
	return line;
}

/*
 * The hugetlb reference: every byte of 1 GiB written through a shared
 * mapping of a fresh hugetlb memfd (the faults take and zero the pages).
 * Twice, each time into a new memfd: the first pass may be the first
 * touch of that guest memory on the host. The faster pass is the
 * reference (the stricter one for the ratios).
 */
static void bench_write_huge(int shift)
{
	double t, best = 0;
	char name[16];
	int fd, err, i;
	char *p;

	snprintf(name, sizeof(name), "hugetlb-%s", huge_size(shift));
	for (i = 0; i < 2; i++) {
		fd = huge_memfd(name, shift);
		if (fd < 0 || ftruncate(fd, GiB)) {
			err = errno;
			goto skip;
		}
		p = mmap(NULL, GiB, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (p == MAP_FAILED) {
			err = errno;
			goto skip;
		}
		t = now();
		memset(p, 0x5a, GiB);
		t = now() - t;
		munmap(p, GiB);
		close(fd);
		printf("bench: %s: pass %d: wrote 1 GiB in %.3f ms\n", name,
		       i + 1, t * 1e3);
		if (!i || t < best)
			best = t;
	}
	printf("bench: write %s %.3f ms\n", name, best * 1e3);
	return;
skip:
	if (fd >= 0)
		close(fd);
	printf("bench: write %s skipped: %s\n", name, strerror(err));
}

/* The word of the 4 KiB page at @off of a hugetlb scenario's memfd. */
static uint64_t huge_word(const struct scenario *sc, size_t off)
{
	return ((off >> 12) + 1) * 0x9e3779b97f4a7c15ULL ^ sc->size ^ sc->huge;
}

/*
 * A hugetlb memfd for @sc, one word written in each 4 KiB page. Where its
 * pages are 1 GiB ones, a failure is returned as -errno (no such pool:
 * the scenario is skipped); any other failure ends the run.
 */
static int make_huge_memfd(const struct scenario *sc)
{
	int fd, err;
	size_t off;
	char *p;

	fd = huge_memfd(sc->name, sc->huge);
	if (fd < 0) {
		err = errno;
		goto fail;
	}
	if (ftruncate(fd, sc->size))
		die("ftruncate", errno);
	p = mmap(NULL, sc->size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED) {
		err = errno;
		close(fd);
		goto fail;
	}
	for (off = 0; off < sc->size; off += 4096)
		*(uint64_t *)(p + off) = huge_word(sc, off);
	munmap(p, sc->size);
	printf("bench: %s: pool of %s pages: %s\n", sc->name,
	       huge_size(sc->huge), huge_pool(sc->huge));
	return fd;
fail:
	if (sc->huge != HUGE_1G)
		die("hugetlb memfd (is the pool large enough?)", err);
	return -err;
}

/* Words of the 4 KiB pages that differ, or the whole page count. */
static size_t check_huge_memfd(int fd, const struct scenario *sc)
{
	size_t off, bad = 0;
	struct stat st;
	char *p;

	if (fstat(fd, &st) || (size_t)st.st_size != sc->size)
		return sc->size >> 12;
	p = mmap(NULL, sc->size, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return sc->size >> 12;
	for (off = 0; off < sc->size; off += 4096)
		bad += *(uint64_t *)(p + off) != huge_word(sc, off);
	munmap(p, sc->size);
	return bad;
}

/* A one-page memfd holding @i. */
static int count_memfd(int i)
{
	int fd = memfd_create("bench-item", 0);

	if (fd < 0)
		die("memfd_create", errno);
	if (pwrite(fd, &i, sizeof(i), 0) != sizeof(i))
		die("pwrite", errno);
	return fd;
}

static int count_check(int fd, int i)
{
	int got = -1;

	return pread(fd, &got, sizeof(got), 0) != sizeof(got) || got != i;
}

static int count_items(const struct scenario *sc)
{
	return sc->sessions ? sc->sessions : sc->files;
}

static void count_print(const char *what, const struct scenario *sc, double t)
{
	printf("bench: %s %s %.3f ms (%.2f us per item)\n", what, sc->name,
	       t * 1e3, t * 1e6 / count_items(sc));
}

/* Sessions "bench-<i>" with a memfd each, or memfds in session "bench". */
static void count_setup(int dev, const struct scenario *sc)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	int i, n = count_items(sc), sfd = -1, fd, err;
	double t;

	if (raise_nofile(n + 256))
		die("RLIMIT_NOFILE", EMFILE);
	t = now();
	for (i = 0; i < n; i++) {
		if (sc->sessions || i == 0) {
			snprintf(name, sizeof(name), sc->sessions ? "bench-%d" : "bench", i);
			sfd = luo_create_session(dev, name);
			if (sfd < 0)
				die("create session", -sfd);
		}
		fd = count_memfd(i);
		err = luo_preserve_fd(sfd, fd, i + 1);
		if (err)
			die("preserve", -err);
		close(fd);
	}
	count_print("create+preserve", sc, now() - t);
}

static void count_retrieve(int dev, const struct scenario *sc)
{
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	int i, n = count_items(sc), sfd = -1, fd, err, bad = 0;
	int *sfds = calloc(sc->sessions ? n : 1, sizeof(int));
	double t;

	if (!sfds || raise_nofile(n + 256))
		die("retrieve setup", ENOMEM);
	t = now();
	for (i = 0; i < n; i++) {
		if (sc->sessions || i == 0) {
			snprintf(name, sizeof(name), sc->sessions ? "bench-%d" : "bench", i);
			sfd = luo_retrieve_session(dev, name);
			if (sfd < 0)
				die("retrieve session", -sfd);
			sfds[sc->sessions ? i : 0] = sfd;
		}
		fd = luo_retrieve_fd(sfd, i + 1);
		if (fd < 0)
			die("retrieve fd", -fd);
		bad += count_check(fd, i);
		close(fd);
	}
	count_print("retrieve", sc, now() - t);
	if (bad)
		die("retrieved contents differ", EIO);
	t = now();
	for (i = 0; i < (sc->sessions ? n : 1); i++) {
		err = luo_finish(sfds[i]);
		if (err)
			die("finish", -err);
		close(sfds[i]);
	}
	count_print("finish+free", sc, now() - t);
	free(sfds);
}

/* The scenarios of this run: bench.scenarios=, or the default six. */
static void pick_scenarios(void)
{
	char list[256], *name, *save;
	unsigned int i;

	if (vmtest_cmdline_get("bench.scenarios", list, sizeof(list)) <= 0) {
		for (nr_run = 0; nr_run < NR_DEFAULT; nr_run++)
			run[nr_run] = &scenarios[nr_run];
		return;
	}
	for (name = strtok_r(list, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < ARRAY_SIZE(scenarios); i++)
			if (!strcmp(name, scenarios[i].name))
				break;
		if (i == ARRAY_SIZE(scenarios) || nr_run == (int)ARRAY_SIZE(run))
			die(name, EINVAL);
		run[nr_run++] = &scenarios[i];
	}
}

/* Whether a scenario of this run has a memfd with pages of log2 @huge. */
static int run_has(int huge)
{
	int i;

	for (i = 0; i < nr_run; i++)
		if (run[i]->size && run[i]->huge == huge)
			return 1;
	return 0;
}

/*
 * The warm-up of a hugetlb scenario: session "bench-warm" with a memfd of
 * one 2 MiB page, preserved just before the measured memfd and retrieved
 * just before it in the next kernel. Under TCG, the first run of a kernel
 * code path pays for translating it (about 1 ms per ioctl path, several
 * for a retrieve), which real hardware does not. The write reference is
 * the faster of two passes, so the measured preserve and retrieve come
 * after a warm-up too; the warm-up's own time is printed as the cold one.
 */
#define WARM_WORD	0x5741524d55502121ULL

static void warm_preserve(int dev)
{
	int sfd, fd, err;
	uint64_t *p;
	double t;

	sfd = luo_create_session(dev, "bench-warm");
	if (sfd < 0)
		die("create session bench-warm", -sfd);
	fd = huge_memfd("bench-warm", HUGE_2M);
	if (fd < 0 || ftruncate(fd, 2 << 20))
		die("warm-up hugetlb memfd", errno);
	p = mmap(NULL, 2 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		die("mmap warm-up memfd", errno);
	*p = WARM_WORD;
	munmap(p, 2 << 20);
	t = now();
	err = luo_preserve_fd(sfd, fd, 1);
	t = now() - t;
	if (err)
		die("preserve warm-up memfd", -err);
	close(fd);
	printf("bench: cold preserve (one 2 MiB page, the first of this kernel) %.3f ms\n",
	       t * 1e3);
}

static void warm_retrieve(int dev)
{
	int sfd, fd, err;
	uint64_t *p;
	double t;

	t = now();
	sfd = luo_retrieve_session(dev, "bench-warm");
	if (sfd < 0)
		die("retrieve session bench-warm", -sfd);
	fd = luo_retrieve_fd(sfd, 1);
	t = now() - t;
	if (fd < 0)
		die("retrieve warm-up memfd", -fd);
	printf("bench: cold retrieve (one 2 MiB page, the first of this kernel) %.3f ms\n",
	       t * 1e3);
	p = mmap(NULL, 2 << 20, PROT_READ, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || *p != WARM_WORD)
		die("warm-up memfd contents", EIO);
	munmap(p, 2 << 20);
	err = luo_finish(sfd);
	if (err)
		die("finish bench-warm", -err);
	close(fd);
	close(sfd);
}

/*
 * Retrieve, check and finish what the previous kernel preserved for @sc:
 * the memfd in session "bench", or nothing in session "bench-skipped".
 */
static void retrieve_memfd(int dev, const struct scenario *sc)
{
	int sfd, fd = 0, err;
	size_t bad = 0;
	double t;

	if (sc->huge)
		warm_retrieve(dev);
	t = now();
	sfd = luo_retrieve_session(dev, "bench");
	if (sfd == -ENOENT && sc->huge) {
		sfd = luo_retrieve_session(dev, "bench-skipped");
		if (sfd < 0)
			die("retrieve session bench or bench-skipped", -sfd);
		printf("bench: retrieve %s skipped\n", sc->name);
		err = luo_finish(sfd);
		if (err)
			die("finish", -err);
		close(sfd);
		return;
	}
	if (sfd < 0)
		die("retrieve session", -sfd);
	if (sc->size)
		fd = luo_retrieve_fd(sfd, 1);
	t = now() - t;
	if (fd < 0)
		die("retrieve fd", -fd);
	printf("bench: retrieve %s %.3f ms\n", sc->name, t * 1e3);
	if (sc->huge)
		bad = check_huge_memfd(fd, sc);
	else if (sc->size)
		bad = check_memfd(fd, sc);
	if (bad) {
		printf("bench: %s: %zu of the checked words differ\n", sc->name, bad);
		die("retrieved contents differ", EIO);
	}
	if (sc->huge)
		printf("bench: %s: all %zu pages of 4 KiB checked\n", sc->name,
		       sc->size >> 12);
	t = now();
	err = luo_finish(sfd);
	close(sfd);
	if (sc->size)
		close(fd);
	t = now() - t;
	if (err)
		die("finish", -err);
	printf("bench: finish+free %s %.3f ms\n", sc->name, t * 1e3);
	if (sc->huge)
		printf("bench: %s: pool of %s pages after close: %s\n", sc->name,
		       huge_size(sc->huge), huge_pool(sc->huge));
}

/*
 * Session "bench" with the memfd of @sc preserved, or where a 1 GiB-page
 * memfd cannot be made or preserved, session "bench-skipped" (empty).
 */
static int preserve_memfd(int dev, const struct scenario *sc)
{
	int sfd, fd, err = 0;
	double t = 0;

	sfd = luo_create_session(dev, "bench");
	if (sfd < 0)
		die("create session", -sfd);
	if (!sc->size)
		return sfd;
	fd = sc->huge ? make_huge_memfd(sc) : make_memfd(sc);
	if (sc->huge)
		warm_preserve(dev);
	if (fd >= 0) {
		t = now();
		err = luo_preserve_fd(sfd, fd, 1);
		t = now() - t;
		close(fd);
	}
	if (sc->huge == HUGE_1G && (fd < 0 || err == -EOPNOTSUPP)) {
		printf("bench: skipped %s: %s: %s\n", sc->name,
		       fd < 0 ? "1 GiB-page memfd" : "preserve",
		       strerror(fd < 0 ? -fd : -err));
		/* Closing the empty session "bench" ends it. */
		close(sfd);
		sfd = luo_create_session(dev, "bench-skipped");
		if (sfd < 0)
			die("create session bench-skipped", -sfd);
		return sfd;
	}
	if (err)
		die("preserve", -err);
	printf("bench: preserve %s %.3f ms\n", sc->name, t * 1e3);
	return sfd;
}

int main(void)
{
	int stage = vmtest_stage(), dev, err;
	const struct scenario *sc;
	double t;

	pick_scenarios();
	t = now();
	dev = luo_open_device();
	if (dev < 0)
		die("open /dev/liveupdate", -dev);
	if (stage > 1 && stage - 2 < nr_run)
		printf("bench: first open %s %.3f ms\n", run[stage - 2]->name,
		       (now() - t) * 1e3);
	if (stage == 1) {
		/* The memfd reference, unless the run is of hugetlb only. */
		if (run_has(0) || !(run_has(HUGE_2M) || run_has(HUGE_1G)))
			bench_write();
		if (run_has(HUGE_2M))
			bench_write_huge(HUGE_2M);
		if (run_has(HUGE_1G))
			bench_write_huge(HUGE_1G);
	}

	if (stage > 1 && stage - 2 < nr_run && count_items(run[stage - 2]))
		count_retrieve(dev, run[stage - 2]);
	else if (stage > 1 && stage - 2 < nr_run)
		retrieve_memfd(dev, run[stage - 2]);

	if (stage - 1 >= nr_run)
		return KSFT_PASS;

	/* The session stays open across the kexec. */
	sc = run[stage - 1];
	if (count_items(sc))
		count_setup(dev, sc);
	else
		preserve_memfd(dev, sc);

	err = vmtest_kexec_load(stage + 1);
	if (err)
		die("kexec_file_load", -err);
	/*
	 * The name ends with a blank: a kernel message printed before the
	 * newline reaches the console must not run into it.
	 */
	printf("bench: kexec %s (stage %d)\n", sc->name, stage + 1);
	fflush(stdout);
	err = vmtest_kexec_reboot();
	die("reboot", -err);
	return KSFT_FAIL;
}
