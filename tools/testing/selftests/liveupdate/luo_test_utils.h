/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the LUO selftests: /dev/liveupdate and session ioctls, and
 * the test file handler (luo_test_file.h). Every helper returns a value >= 0
 * on success and -errno on failure, so tests compare errnos directly.
 */
#ifndef _LUO_TEST_UTILS_H
#define _LUO_TEST_UTILS_H

#include <fcntl.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <linux/liveupdate.h>
#include <linux/types.h>

#include "luo_test_file.h"

/* memfd flags and seals that Debian 12's C library does not define yet. */
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL		0x0008U
#endif
#ifndef MFD_EXEC
#define MFD_EXEC		0x0010U
#endif
#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE	0x0010
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC		0x0020
#endif

#define LUO_DEVICE		"/dev/liveupdate"
#define LUO_EVENTS_MAX		(512 * 1024)

/* Open /dev/liveupdate: the fd or -errno. */
int luo_open_device(void);
/* CREATE_SESSION / RETRIEVE_SESSION: the session fd or -errno. */
int luo_create_session(int dev, const char *name);
int luo_retrieve_session(int dev, const char *name);
/* Session ioctls. luo_retrieve_fd() returns the new fd. */
int luo_preserve_fd(int sfd, int fd, __u64 token);
int luo_retrieve_fd(int sfd, __u64 token);
int luo_finish(int sfd);
/* GET_NAME into @name (LIVEUPDATE_SESSION_NAME_LENGTH bytes). */
int luo_get_name(int sfd, char *name);

/* A new test file labelled @label: the fd or -errno. */
int tf_open(__u64 label);
int tf_get_label(int fd, __u64 *label);
int tf_set_fault(int fd, enum luo_test_fault_op op, int error, unsigned int count);
int tf_set_dep_fd(int fd, int dep_fd);
int tf_set_dep_token(int fd, __u64 token);
int tf_get_dep_ino(int fd, __u64 *ino);
/* Write @len bytes of the pattern for @seed at offset 0. */
int tf_write_pattern(int fd, unsigned int seed, size_t len);
/*
 * Whether the file holds exactly @len bytes of the pattern for @seed:
 * 0 if so, the index of the first wrong byte + 1, or -errno.
 */
long tf_check_pattern(int fd, unsigned int seed, size_t len);
void fill_pattern(unsigned char *buf, unsigned int seed, size_t len);

/* The test handler's event log. */
int events_clear(void);
/* Read the log into a static buffer; NULL on error. */
const char *events_read(void);
/* Number of lines equal to @line. */
int events_count(const char *log, const char *line);
/* 0-based number of the first line equal to @line after line @from, or -1. */
int events_find(const char *log, const char *line, int from);
/* Number of lines starting with @prefix. */
int events_count_prefix(const char *log, const char *prefix);

struct luo_test_stats {
	int objects;
	int out_pages;
	int in_freed;
};

int stats_read(struct luo_test_stats *st);
/* The "flb" file: outgoing object present, result of getting the incoming one. */
int flb_read(int *outgoing, int *incoming);

/*
 * Set /sys/kernel/mm/transparent_hugepage/shmem_enabled to @mode; prints a
 * note and returns -errno if that cannot be done (no THP in the kernel).
 */
int luo_set_shmem_thp(const char *mode);
/* The ShmemHugePages line of /proc/meminfo (static buffer). */
const char *luo_shmem_huge_line(void);
/* The value of @field ("SwapFree", ...) in /proc/meminfo in KiB, or -1. */
long luo_meminfo_kib(const char *field);

/* Raise RLIMIT_NOFILE to at least @n (the hard limit too, as root). */
int raise_nofile(unsigned long n);

/*
 * The agent (tools/liveupdate), as the VM's /tests/luod and /tests/luoctl,
 * luod on its default socket.
 */
#define LUOD_BIN		"/tests/luod"
#define LUOCTL_BIN		"/tests/luoctl"

/*
 * Start luod with the extra arguments that follow (NULL-terminated) and
 * wait until it answers on its socket. Returns its pid; exits the test if
 * it does not start.
 */
pid_t luod_start(const char *arg, ...);
/* Send @sig to luod @pid and wait for it: its wait status, or -1. */
int luod_stop(pid_t pid, int sig);
/*
 * Run luoctl with the arguments that follow (NULL-terminated, at most 12),
 * its stdout and stderr into @out. Returns its exit status, or -1.
 */
int luoctl_run(char *out, size_t len, ...);
/*
 * Run "luoctl @what [@arg]" and print each line of its output as
 * "@prog: luoctl @what: <line>" (the demos' narration). Its exit status.
 */
int luoctl_show(const char *prog, const char *what, const char *arg);
/*
 * luoctl load of this boot's kernel and initramfs, with this command line
 * and the marker of stage @next_stage (see vmtest.h). Returns luoctl's
 * exit status, its output in @out.
 */
int luoctl_load_next_stage(int next_stage, char *out, size_t len);

/*
 * A counter of the 2 MiB hugetlb pool, by its sysfs name (nr_hugepages,
 * free_hugepages...), or -1 if it cannot be read.
 */
long luo_huge_pool(const char *name);

#endif /* _LUO_TEST_UTILS_H */
