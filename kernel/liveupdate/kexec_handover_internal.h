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

struct folio;

struct folio *kho_alloc_boot_folio(unsigned int order);
void *kho_out_fdt(void);
void kho_out_fdt_copy(void *buf);
unsigned int kho_scratch_out_get(struct kho_scratch *buf, unsigned int max);
int kho_scratch_out_set(const void *buf, size_t len);

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

/* kho_fuzz.c; stubs when KEXEC_HANDOVER_FUZZ is off (production builds). */
#if IS_ENABLED(CONFIG_KEXEC_HANDOVER_FUZZ)
void kho_fuzz_record(void *mem, unsigned int order, void *caller);
void kho_fuzz_forget(void *mem);
void kho_fuzz_damage(void);
#else
static inline void kho_fuzz_record(void *mem, unsigned int order,
				   void *caller) { }
static inline void kho_fuzz_forget(void *mem) { }
static inline void kho_fuzz_damage(void) { }
#endif

#if IS_ENABLED(CONFIG_KUNIT)
int kho_block_chain_check(u64 head_pa, u64 count_per_block,
			  bool (*block_ok)(u64 pa), long *nblocks);
#endif

#endif /* _KERNEL_LIVEUPDATE_KEXEC_HANDOVER_INTERNAL_H */
