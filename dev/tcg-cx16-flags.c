// SPDX-License-Identifier: GPL-2.0
/*
 * Does the emulator compute cmpxchg16b's flags from a stale record?
 *
 * QEMU 7.2's TCG calls a helper for cmpxchg16b that computes EFLAGS from
 * the condition-code operation saved in the CPU state, which the
 * translator has not updated for the instructions before it in the same
 * translation block. popfq ends a block saving "the flags are in CC_SRC";
 * "add %rdi,%rax" then puts %rdi in CC_SRC, and the helper takes it for
 * the flags. Prints 0x202 natively, 0xf00202 under QEMU 7.2.
 *
 * Run it as a VM's init (see the README, "The two commands"):
 *   gcc -static -O2 -o /tmp/init <this file>
 *   printf 'dir /dev 0755 0 0\nnod /dev/console 0600 0 0 c 5 1\n
 *           file /init /tmp/init 0755 0 0\n' > /tmp/list
 *   build/obj/usr/gen_init_cpio /tmp/list > /tmp/init.cpio
 *   qemu-system-x86_64 -accel tcg -nographic -no-reboot \
 *     -kernel build/obj/arch/x86/boot/bzImage -initrd /tmp/init.cpio \
 *     -append "console=ttyS0 panic=-1"
 */
#include <stdalign.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/reboot.h>

static alignas(16) unsigned long mem[2];	/* x86-64: 64 bits each */

int main(void)
{
	unsigned long flags, rax = 1, rdx = 0;
	const unsigned long rdi = 0x00f00000;	/* bits no flag result sets */

	mem[0] = 2;	/* rax after the add differs: ZF clear */
	asm volatile("pushq $0x202\n\t"
		     "popfq\n\t"
		     "add %%rdi, %%rax\n\t"
		     "cmpxchg16b (%[m])\n\t"
		     "pushfq\n\t"
		     "popq %[f]\n\t"
		     : [f] "=r" (flags), "+a" (rax), "+d" (rdx)
		     : "D" (rdi), "b" (5UL), "c" (6UL), [m] "r" (mem)
		     : "memory", "cc");
	printf("tcg-cx16-flags: EFLAGS after add+cmpxchg16b %#lx: %s\n", flags,
	       flags & rdi ? "WRONG, the add's operand is in them" : "right");
	fflush(stdout);
	if (getpid() == 1)
		reboot(RB_POWER_OFF);
	return 0;
}
