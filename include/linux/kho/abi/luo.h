/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */
#ifndef _LINUX_KHO_ABI_LUO_H
#define _LINUX_KHO_ABI_LUO_H

#include <linux/build_bug.h>
#include <linux/compiler_attributes.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <asm/page.h>
#include <uapi/linux/liveupdate.h>

/**
 * DOC: Live Update Orchestrator handover format
 *
 * The Live Update Orchestrator (LUO) hands its sessions and their files to
 * the next kernel in the KHO subtree %LUO_KHO_ENTRY_NAME, a blob that is a
 * &struct luo_ser. Everything it points to is memory preserved with KHO::
 *
 *   "LUO" subtree: struct luo_ser
 *     compatible      "luo-v5"
 *     liveupdate_num  number of this live update since the last cold boot
 *     sessions_pa ---> block chain of struct luo_session_ser
 *                        name
 *                        file_set_ser.files ---> block chain of
 *                        file_set_ser.count      struct luo_file_ser
 *                                                  compatible (handler)
 *                                                  data (handler's handle)
 *                                                  token (user's)
 *     flbs_pa -------> one page: struct luo_flb_header_ser, then
 *                      struct luo_flb_ser[count]
 *
 * The block chains are KHO serialization block sets (see
 * ``include/linux/kho/abi/block.h``): pages linked by physical address,
 * each holding a count of packed entries. A chain is empty when its head
 * address is 0. All integers are native-endian.
 *
 * The layout is a contract between the two kernels, versioned by
 * %LUO_ABI_COMPATIBLE: any change to a structure below, or to what a field
 * means, needs a new compatible string, and LUO state is taken over only
 * from a kernel with the same string. What a file handler puts behind
 * &luo_file_ser.data is versioned by the handler's own compatible string.
 */

/* Name of LUO's KHO subtree. */
#define LUO_KHO_ENTRY_NAME		"LUO"

/* Version of everything in this file. */
#define LUO_ABI_COMPATIBLE		"luo-v5"

/* Bytes of &luo_ser.compatible. */
#define LUO_ABI_COMPAT_LEN		8

/* Bytes of a file handler's compatible string, NUL included. */
#define LIVEUPDATE_HNDL_COMPAT_LENGTH	48

/* Bytes of an FLB's compatible string, NUL included. */
#define LIVEUPDATE_FLB_COMPAT_LENGTH	48

/* Pages of the FLB area. */
#define LUO_FLB_PGCNT			1

/**
 * struct luo_ser - the "LUO" subtree blob
 * @compatible: %LUO_ABI_COMPATIBLE, NUL-padded.
 * @liveupdate_num: the number of the live update this blob is for: 1 after
 *                  a cold boot, the received number plus one after a live
 *                  update.
 * @sessions_pa: physical address of the first block of the chain of
 *               &struct luo_session_ser, or 0 if there are no sessions.
 * @flbs_pa: physical address of the FLB area, or 0 if there is none.
 *
 * Versioned by %LUO_ABI_COMPATIBLE.
 */
struct luo_ser {
	char compatible[LUO_ABI_COMPAT_LEN];
	u64 liveupdate_num;
	u64 sessions_pa;
	u64 flbs_pa;
} __packed;

/**
 * struct luo_file_set_ser - where the files of a session are
 * @files: physical address of the first block of the chain of
 *         &struct luo_file_ser, or 0 if the session has no files.
 * @count: number of entries in that chain; 0 if @files is 0.
 *
 * Versioned by %LUO_ABI_COMPATIBLE.
 */
struct luo_file_set_ser {
	u64 files;
	u64 count;
} __packed;

/**
 * struct luo_session_ser - a session, entry of the session block chain
 * @name: the session name, NUL-terminated.
 * @file_set_ser: the session's files.
 *
 * Versioned by %LUO_ABI_COMPATIBLE.
 */
struct luo_session_ser {
	char name[LIVEUPDATE_SESSION_NAME_LENGTH];
	struct luo_file_set_ser file_set_ser;
} __packed;

/**
 * struct luo_file_ser - a preserved file, entry of a file block chain
 * @compatible: compatible string of the handler that preserved the file,
 *              NUL-terminated.
 * @data: the handler's handle of the preserved file, as left by its freeze.
 * @token: the token userspace preserved the file with.
 *
 * Versioned by %LUO_ABI_COMPATIBLE.
 */
struct luo_file_ser {
	char compatible[LIVEUPDATE_HNDL_COMPAT_LENGTH];
	u64 data;
	u64 token;
} __packed;

/**
 * struct luo_flb_header_ser - header of the FLB area
 * @pgcnt: pages in the area, %LUO_FLB_PGCNT.
 * @count: number of &struct luo_flb_ser that follow the header.
 *
 * Versioned by %LUO_ABI_COMPATIBLE.
 */
struct luo_flb_header_ser {
	u64 pgcnt;
	u64 count;
} __packed;

/**
 * struct luo_flb_ser - a preserved FLB
 * @name: the FLB's compatible string, NUL-terminated.
 * @data: the handle its preserve callback returned.
 * @count: number of preserved files that depend on it.
 *
 * Versioned by %LUO_ABI_COMPATIBLE.
 */
struct luo_flb_ser {
	char name[LIVEUPDATE_FLB_COMPAT_LENGTH];
	u64 data;
	u64 count;
} __packed;

/* Entries of the FLB area. */
#define LUO_FLB_MAX	((LUO_FLB_PGCNT * PAGE_SIZE -			\
			  sizeof(struct luo_flb_header_ser)) /		\
			 sizeof(struct luo_flb_ser))

static_assert(sizeof(LUO_ABI_COMPATIBLE) <= LUO_ABI_COMPAT_LEN);
static_assert(sizeof(struct luo_ser) == 32);
static_assert(offsetof(struct luo_ser, sessions_pa) == 16);
static_assert(sizeof(struct luo_session_ser) == 80);
static_assert(offsetof(struct luo_session_ser, file_set_ser) == 64);
static_assert(sizeof(struct luo_file_ser) == 64);
static_assert(offsetof(struct luo_file_ser, token) == 56);
static_assert(sizeof(struct luo_flb_header_ser) == 16);
static_assert(sizeof(struct luo_flb_ser) == 64);
static_assert(PAGE_SIZE != 4096 || LUO_FLB_MAX == 63);

#endif /* _LINUX_KHO_ABI_LUO_H */
