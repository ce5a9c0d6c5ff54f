/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _KERNEL_LIVEUPDATE_KEXEC_HANDOVER_INTERNAL_H
#define _KERNEL_LIVEUPDATE_KEXEC_HANDOVER_INTERNAL_H

/*
 * Declarations shared by the KHO files in kernel/liveupdate/ only; the API
 * for the rest of the kernel is in <linux/kexec_handover.h>.
 */

#include <linux/types.h>

void *kho_out_fdt(void);
bool kho_pages_restorable(phys_addr_t phys, unsigned long nr_pages);

#if IS_ENABLED(CONFIG_KUNIT)
int kho_block_chain_check(u64 head_pa, u64 count_per_block,
			  bool (*block_ok)(u64 pa), long *nblocks);
#endif

#endif /* _KERNEL_LIVEUPDATE_KEXEC_HANDOVER_INTERNAL_H */
