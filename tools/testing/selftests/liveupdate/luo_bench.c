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
 *
 * The count scenarios time create+preserve, first open of /dev/liveupdate
 * in the next kernel (which reads the incoming sessions), retrieve (and a
 * check of every memfd) and finish per item; the kernel logs the freeze
 * ("froze N session(s) in T us").
 *
 * The first kernel also times writing 1 GiB into a fresh memfd, the
 * reference the preserve and retrieve times are compared with. Lines
 * start with "bench:" for dev/bench.sh, which adds the kexec-to-init time
 * of each boot from the console timestamps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
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

int main(void)
{
	int stage = vmtest_stage(), dev, sfd, fd, err;
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
	if (stage == 1)
		bench_write();

	if (stage > 1 && stage - 2 < nr_run && count_items(run[stage - 2])) {
		count_retrieve(dev, run[stage - 2]);
	} else if (stage > 1 && stage - 2 < nr_run) {
		sc = run[stage - 2];
		t = now();
		sfd = luo_retrieve_session(dev, "bench");
		if (sfd < 0)
			die("retrieve session", -sfd);
		fd = sc->size ? luo_retrieve_fd(sfd, 1) : 0;
		t = now() - t;
		if (fd < 0)
			die("retrieve fd", -fd);
		printf("bench: retrieve %s %.3f ms\n", sc->name, t * 1e3);
		if (sc->size && check_memfd(fd, sc))
			die("retrieved contents differ", EIO);
		t = now();
		err = luo_finish(sfd);
		close(sfd);
		if (sc->size)
			close(fd);
		t = now() - t;
		if (err)
			die("finish", -err);
		printf("bench: finish+free %s %.3f ms\n", sc->name, t * 1e3);
	}

	if (stage - 1 >= nr_run)
		return KSFT_PASS;

	sc = run[stage - 1];
	if (count_items(sc)) {
		count_setup(dev, sc);
		goto kexec;
	}
	sfd = luo_create_session(dev, "bench");
	if (sfd < 0)
		die("create session", -sfd);
	if (sc->size) {
		fd = make_memfd(sc);
		t = now();
		err = luo_preserve_fd(sfd, fd, 1);
		t = now() - t;
		if (err)
			die("preserve", -err);
		printf("bench: preserve %s %.3f ms\n", sc->name, t * 1e3);
		close(fd);
	}

kexec:
	err = vmtest_kexec_load(stage + 1);
	if (err)
		die("kexec_file_load", -err);
	printf("bench: kexec %s\n", sc->name);
	fflush(stdout);
	err = vmtest_kexec_reboot();
	die("reboot", -err);
	return KSFT_FAIL;
}
