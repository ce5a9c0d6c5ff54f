/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _KERNEL_LIVEUPDATE_KEXEC_HANDOVER_INTERNAL_H
#define _KERNEL_LIVEUPDATE_KEXEC_HANDOVER_INTERNAL_H

/*
 * Declarations shared by the KHO files in kernel/liveupdate/ only; the API
 * for the rest of the kernel is in <linux/kexec_handover.h>.
 */

void *kho_out_fdt(void);

#endif /* _KERNEL_LIVEUPDATE_KEXEC_HANDOVER_INTERNAL_H */
