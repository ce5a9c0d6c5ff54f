/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the VM demo's guest (vm_demo_guest.c) and its host side (vm_demo.c)
 * agree on: where the guest's pattern lies in its RAM, the pattern itself
 * and the console lines.
 */
#ifndef _VM_DEMO_GUEST_H
#define _VM_DEMO_GUEST_H

#include <stdint.h>

#define VM_DEMO_MIB		(1024u * 1024u)
/*
 * The pattern starts at guest physical 4 MiB, above the program (loaded at
 * 1 MiB). Guest RAM below 2 GiB is the start of the RAM backend, so it is
 * at the same offset in the host's memfd.
 */
#define VM_DEMO_FILL_BASE	(4u * VM_DEMO_MIB)
/* Default size of the pattern ("fill=<MiB>" on the guest's command line). */
#define VM_DEMO_FILL_MIB	16u
/* Checked by the guest before each report, round robin. */
#define VM_DEMO_CHECK_MIB	1u

#define VM_DEMO_BANNER		"guest: boot"
#define VM_DEMO_REPORT		"guest: id="

#define __vm_demo_str(x)	#x
#ifndef __stringify
#define __stringify(x)		__vm_demo_str(x)
#endif

/* Word @i (32-bit words from VM_DEMO_FILL_BASE on) of the pattern of @id. */
static inline uint32_t vm_demo_word(uint32_t id, uint32_t i)
{
	uint32_t x = (i + 1) * 0x9e3779b1u;

	return x ^ (x >> 15) ^ id;
}

#endif /* _VM_DEMO_GUEST_H */
