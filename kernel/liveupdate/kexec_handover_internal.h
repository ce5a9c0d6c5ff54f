/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _KERNEL_LIVEUPDATE_KEXEC_HANDOVER_INTERNAL_H
#define _KERNEL_LIVEUPDATE_KEXEC_HANDOVER_INTERNAL_H

/*
 * Declarations shared by the KHO files in kernel/liveupdate/ only; the API
 * for the rest of the kernel is in <linux/kexec_handover.h>.
 */

#include <linux/init.h>
#include <linux/types.h>

struct kho_scratch;

void *kho_out_fdt(void);
void kho_out_fdt_copy(void *buf);
bool kho_pages_restorable(phys_addr_t phys, unsigned long nr_pages);

/* kexec_handover_metadata.c */
int __init kho_metadata_init(void);

/* kexec_handover_debugfs.c; stubs when KEXEC_HANDOVER_DEBUGFS is off. */
#if IS_ENABLED(CONFIG_KEXEC_HANDOVER_DEBUGFS)
void __init kho_debugfs_init(const struct kho_scratch *scratch,
			     unsigned int scratch_cnt, const void *in_fdt);
void __init kho_debugfs_exit(void);
void kho_debugfs_add_subtree(const char *name, void *blob, size_t size);
void kho_debugfs_remove_subtree(const char *name);
void kho_debugfs_in_snapshot(const char *name, phys_addr_t phys, size_t size);
#else
static inline void kho_debugfs_init(const struct kho_scratch *scratch,
				    unsigned int scratch_cnt,
				    const void *in_fdt) { }
static inline void kho_debugfs_exit(void) { }
static inline void kho_debugfs_add_subtree(const char *name, void *blob,
					   size_t size) { }
static inline void kho_debugfs_remove_subtree(const char *name) { }
static inline void kho_debugfs_in_snapshot(const char *name, phys_addr_t phys,
					   size_t size) { }
#endif

#if IS_ENABLED(CONFIG_KUNIT)
int kho_block_chain_check(u64 head_pa, u64 count_per_block,
			  bool (*block_ok)(u64 pa), long *nblocks);
#endif

#endif /* _KERNEL_LIVEUPDATE_KEXEC_HANDOVER_INTERNAL_H */
