// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: KHO kexec metadata
 *
 * Each kernel with KHO enabled tells the next one which kernel it was and
 * how many kexecs happened since the last cold boot (layout in
 * <linux/kho/abi/kexec_metadata.h>), so that a chain of live updates can be
 * followed in the logs.
 *
 * At kho_init(), in this order:
 *
 * 1. In a KHO boot, find the incoming "kexec-metadata" subtree, check it,
 *    log ``exec from: <release> (count N)`` and free its page.
 * 2. Allocate a preserved page for the outgoing metadata, fill it with this
 *    kernel's release and N + 1 (1 after a cold boot) and add it as a
 *    subtree.
 *
 * Reading first means the count is right on cold and KHO boots alike.
 *
 * Unhappy paths. Incoming metadata that is missing is not an error (a cold
 * boot, or a kernel without it). Metadata that is too short, of another
 * version, or not in preserved memory is logged with one warning and
 * ignored: the count restarts at 1. Its memory is then left reserved rather
 * than freed, since a bad pointer may name memory another user owns.
 * Failing to write the outgoing metadata fails kho_init(), as in mainline.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/err.h>
#include <linux/init.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/kexec_metadata.h>
#include <linux/mm.h>
#include <linux/printk.h>
#include <linux/string.h>
#include <linux/utsname.h>

#include "kexec_handover_internal.h"

/*
 * Read and free the incoming metadata. Returns its kexec count, or 0 if
 * there is none or it was rejected.
 */
static u32 __init kho_metadata_read_incoming(void)
{
	struct kho_kexec_metadata md;
	phys_addr_t phys;
	size_t size;
	void *blob;

	if (kho_retrieve_subtree(KHO_METADATA_NODE_NAME, &phys, &size))
		return 0;

	/* Only the first sizeof(md) bytes are read: one page at most. */
	if (!kho_is_preserved(phys, 1)) {
		pr_warn("kexec metadata at %pa is not preserved memory, ignored\n",
			&phys);
		return 0;
	}
	blob = phys_to_virt(phys);
	if (size < sizeof(md.version)) {
		pr_warn("kexec metadata too short (%zu bytes), ignored\n", size);
		return 0;
	}
	memcpy(&md.version, blob, sizeof(md.version));
	if (md.version != KHO_KEXEC_METADATA_VERSION) {
		pr_warn("kexec metadata version %u, expected %u, ignored\n",
			md.version, KHO_KEXEC_METADATA_VERSION);
		return 0;
	}
	if (size < sizeof(md)) {
		pr_warn("kexec metadata too short (%zu bytes), ignored\n", size);
		return 0;
	}
	memcpy(&md, blob, sizeof(md));
	md.previous_release[sizeof(md.previous_release) - 1] = '\0';
	pr_info("exec from: %s (count %u)\n", md.previous_release,
		md.kexec_count);

	/* Valid metadata from kho_alloc_preserve(): one order-0 folio. */
	if (kho_pages_restorable(phys, 1))
		kho_restore_free(blob);
	return md.kexec_count;
}

/**
 * kho_metadata_init() - log the incoming kexec metadata, add the outgoing
 *
 * Context: kho_init(), after the outgoing root FDT is built; may sleep.
 * Return: 0 on success, or the error of kho_alloc_preserve() or
 * kho_add_subtree(); nothing is left allocated on failure.
 */
int __init kho_metadata_init(void)
{
	struct kho_kexec_metadata *md;
	u32 count;
	int err;

	count = kho_metadata_read_incoming();

	md = kho_alloc_preserve(sizeof(*md));
	if (IS_ERR(md))
		return PTR_ERR(md);
	md->version = KHO_KEXEC_METADATA_VERSION;
	strscpy(md->previous_release, init_utsname()->release,
		sizeof(md->previous_release));
	md->kexec_count = count == U32_MAX ? count : count + 1;

	err = kho_add_subtree(KHO_METADATA_NODE_NAME, md, sizeof(*md));
	if (err)
		goto err_free;
	return 0;

err_free:
	kho_unpreserve_free(md);
	return err;
}
