/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _LINUX_KHO_ABI_KEXEC_METADATA_H
#define _LINUX_KHO_ABI_KEXEC_METADATA_H

#include <linux/build_bug.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <uapi/linux/utsname.h>

/**
 * DOC: KHO kexec metadata
 *
 * Every kernel with Kexec HandOver enabled hands the next kernel a small
 * blob that says which kernel it was and how many kexecs happened since
 * the last cold boot. It is the subtree %KHO_METADATA_NODE_NAME of the KHO
 * root FDT; the blob is a &struct kho_kexec_metadata in preserved memory::
 *
 *   / {
 *       compatible = "kho-v4";
 *       kexec-metadata {
 *           preserved-data = <u64>;   physical address of the blob
 *           blob-size = <u64>;        73
 *       };
 *   };
 *
 * The layout is a contract between the two kernels. It is versioned by its
 * first field, @version, which stays first in every version: any change to
 * the struct needs a new %KHO_KEXEC_METADATA_VERSION, and only kernels
 * with the same version read each other's metadata. A kernel that finds
 * another version, or a blob that is too short, logs a warning and ignores
 * it; the metadata is informative and never stops a boot.
 */

/* Name of the subtree that holds the metadata. */
#define KHO_METADATA_NODE_NAME		"kexec-metadata"

/* Version of &struct kho_kexec_metadata. */
#define KHO_KEXEC_METADATA_VERSION	1

/**
 * struct kho_kexec_metadata - who kexec'ed this kernel
 * @version: %KHO_KEXEC_METADATA_VERSION; must stay the first field.
 * @previous_release: utsname()->release of the sending kernel,
 *                    NUL-terminated.
 * @kexec_count: kexec boots since the last cold boot: 1 when the sending
 *               kernel was cold booted, else one more than the count it
 *               received.
 *
 * Versioned by @version itself (%KHO_KEXEC_METADATA_VERSION), not by a
 * compatible string. Native byte order, no padding.
 */
struct kho_kexec_metadata {
	u32 version;
	char previous_release[__NEW_UTS_LEN + 1];
	u32 kexec_count;
} __packed;

static_assert(sizeof(struct kho_kexec_metadata) == 73);
static_assert(offsetof(struct kho_kexec_metadata, version) == 0);
static_assert(offsetof(struct kho_kexec_metadata, previous_release) == 4);
static_assert(offsetof(struct kho_kexec_metadata, kexec_count) == 69);

#endif /* _LINUX_KHO_ABI_KEXEC_METADATA_H */
