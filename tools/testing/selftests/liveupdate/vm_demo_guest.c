// SPDX-License-Identifier: GPL-2.0
/*
 * The guest of the VM demo (vm_demo.c): a bare-metal multiboot program,
 * booted by QEMU's -kernel, whose only job is to show that it keeps
 * running across a save and restore of its VM.
 *
 * At boot it prints one banner with a per-boot id taken from the TSC, fills
 * "fill=<MiB>" (command line) of its RAM from VM_DEMO_FILL_BASE on with a
 * pattern of that id (vm_demo_word()), then loops forever: it increments a
 * counter, and about every half second checks the next VM_DEMO_CHECK_MIB
 * of the pattern (round robin) and reports
 *
 *   guest: id=<id> counter=<n> pattern=ok|BAD
 *
 * A guest that was restored instead of rebooted goes on with the same id
 * and a larger counter, without a second banner.
 *
 * 32-bit protected mode as the multiboot loader leaves it (flat segments,
 * no paging, interrupts off), COM1 polled, the TSC calibrated against PIT
 * channel 2. Built freestanding with the host's gcc -m32 and
 * vm_demo_guest.lds (load address 1 MiB).
 */
#include <stdint.h>

#include "vm_demo_guest.h"

#define MB_MAGIC		0x1badb002
#define MB_FLAGS		0x00000003	/* aligned modules, memory info */
#define MB_BOOT_MAGIC		0x2badb002
#define MB_INFO_MEM		0x00000001
#define MB_INFO_CMDLINE		0x00000004

#define COM1			0x3f8
#define PIT_HZ			1193182u
#define CALIBRATE_MS		50u
#define REPORT_MS		500u
#define STACK_SIZE		16384
#define ARRAY_SIZE(a)		(sizeof(a) / sizeof((a)[0]))

struct multiboot_info {
	uint32_t flags;
	uint32_t mem_lower;	/* KiB below 1 MiB */
	uint32_t mem_upper;	/* KiB from 1 MiB on */
	uint32_t boot_device;
	uint32_t cmdline;
};

/* The multiboot header, the stack and the entry point. */
asm(".section .multiboot, \"a\"\n"
	".balign 4\n"
	".long " __stringify(MB_MAGIC) ", " __stringify(MB_FLAGS) "\n"
	".long -(" __stringify(MB_MAGIC) " + " __stringify(MB_FLAGS) ")\n"
	".text\n"
	".globl _start\n"
	"_start:\n"
	"	cli\n"
	"	movl $stack_top, %esp\n"
	"	pushl %ebx\n"		/* multiboot info */
	"	pushl %eax\n"		/* boot magic */
	"	call guest_main\n"
	"1:	hlt\n"
	"	jmp 1b\n"
	".bss\n"
	".balign 16\n"
	"	.skip " __stringify(STACK_SIZE) "\n"
	"stack_top:\n"
	".text\n");

static inline void port_write8(uint16_t port, uint8_t v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t port_read8(uint16_t port)
{
	uint8_t v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static void serial_init(void)
{
	port_write8(COM1 + 1, 0x00);		/* no interrupts */
	port_write8(COM1 + 3, 0x80);		/* DLAB */
	port_write8(COM1 + 0, 0x01);		/* 115200 baud */
	port_write8(COM1 + 1, 0x00);
	port_write8(COM1 + 3, 0x03);		/* 8N1 */
	port_write8(COM1 + 2, 0xc7);		/* FIFO on, cleared */
}

static void putc(char c)
{
	while (!(port_read8(COM1 + 5) & 0x20))
		;
	port_write8(COM1, c);
}

static void puts(const char *s)
{
	while (*s) {
		if (*s == '\n')
			putc('\r');
		putc(*s++);
	}
}

/* Decimal without a 64-bit division (no libgcc in a -m32 freestanding build). */
static void put_u64(uint64_t v)
{
	static const uint64_t pow10[] = {
		10000000000000000000ull, 1000000000000000000ull,
		100000000000000000ull, 10000000000000000ull,
		1000000000000000ull, 100000000000000ull, 10000000000000ull,
		1000000000000ull, 100000000000ull, 10000000000ull,
		1000000000ull, 100000000ull, 10000000ull, 1000000ull,
		100000ull, 10000ull, 1000ull, 100ull, 10ull, 1ull,
	};
	int started = 0;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(pow10); i++) {
		char d = '0';

		while (v >= pow10[i]) {
			v -= pow10[i];
			d++;
		}
		if (d != '0' || started || i == ARRAY_SIZE(pow10) - 1) {
			putc(d);
			started = 1;
		}
	}
}

static void put_hex32(uint32_t v)
{
	int i;

	for (i = 28; i >= 0; i -= 4)
		putc("0123456789abcdef"[(v >> i) & 0xf]);
}

/* @n / @d by long division (no __udivdi3 from libgcc here). */
static uint64_t div64(uint64_t n, uint32_t d)
{
	uint64_t q = 0, r = 0;
	int i;

	for (i = 63; i >= 0; i--) {
		r = (r << 1) | ((n >> i) & 1);
		if (r >= d) {
			r -= d;
			q |= 1ull << i;
		}
	}
	return q;
}

/* TSC ticks in CALIBRATE_MS, counted while PIT channel 2 counts down. */
static uint32_t tsc_per_ms(void)
{
	uint32_t latch = PIT_HZ * CALIBRATE_MS / 1000;
	uint64_t t0, t1;

	port_write8(0x61, (port_read8(0x61) & ~0x02) | 0x01);	/* gate on, speaker off */
	port_write8(0x43, 0xb0);			/* ch 2, lo/hi, mode 0 */
	port_write8(0x42, latch & 0xff);
	port_write8(0x42, latch >> 8);
	t0 = rdtsc();
	while (!(port_read8(0x61) & 0x20))
		;
	t1 = rdtsc();
	return div64(t1 - t0, CALIBRATE_MS) ?: 1;
}

/* The value of "<key>=<decimal>" in the command line, or @def. */
static uint32_t cmdline_uint(const char *cmdline, const char *key, uint32_t def)
{
	const char *p = cmdline;

	while (p && *p) {
		const char *k = key, *q = p;

		while (*k && *q == *k) {
			k++;
			q++;
		}
		if (!*k && *q == '=' && (p == cmdline || p[-1] == ' ')) {
			uint32_t v = 0;

			for (q++; *q >= '0' && *q <= '9'; q++)
				v = v * 10 + (*q - '0');
			return v;
		}
		p++;
	}
	return def;
}

static uint32_t boot_id(void)
{
	uint64_t t = rdtsc();
	uint32_t x = (uint32_t)t ^ (uint32_t)(t >> 32) * 0x85ebca6b;

	/* A murmur3 finalizer: low TSC bits differ, all id bits should. */
	x ^= x >> 16;
	x *= 0x7feb352d;
	x ^= x >> 15;
	x *= 0x846ca68b;
	x ^= x >> 16;
	return x ?: 1;
}

/* Whether @n words from word @first on hold the pattern of @id. */
static int check(const uint32_t *mem, uint32_t id, uint32_t first, uint32_t n)
{
	uint32_t i;

	/* Read the memory itself, not what the compiler knows was written. */
	asm volatile("" : : : "memory");

	for (i = first; i < first + n; i++)
		if (mem[i] != vm_demo_word(id, i))
			return 0;
	return 1;
}

void guest_main(uint32_t magic, const struct multiboot_info *mbi);

void guest_main(uint32_t magic, const struct multiboot_info *mbi)
{
	uint32_t *mem = (uint32_t *)VM_DEMO_FILL_BASE;
	const char *cmdline = "";
	uint32_t id, fill_mib, ram_mib = 0, words, check_words, at = 0;
	uint64_t t0, last, counter = 0;
	uint32_t per_ms;
	int ok = 1;

	serial_init();
	if (magic != MB_BOOT_MAGIC) {
		puts("guest: not started by a multiboot loader\n");
		return;
	}
	if (mbi->flags & MB_INFO_CMDLINE)
		cmdline = (const char *)mbi->cmdline;
	if (mbi->flags & MB_INFO_MEM)
		ram_mib = mbi->mem_upper / 1024 + 1;

	id = boot_id();
	fill_mib = cmdline_uint(cmdline, "fill", VM_DEMO_FILL_MIB);
	if (VM_DEMO_FILL_BASE / VM_DEMO_MIB + fill_mib > ram_mib)
		fill_mib = ram_mib > VM_DEMO_FILL_BASE / VM_DEMO_MIB ?
			   ram_mib - VM_DEMO_FILL_BASE / VM_DEMO_MIB : 0;
	words = fill_mib * (VM_DEMO_MIB / 4);
	check_words = VM_DEMO_CHECK_MIB * (VM_DEMO_MIB / 4);
	if (check_words > words)
		check_words = words;
	per_ms = tsc_per_ms();

	puts(VM_DEMO_BANNER " id=");
	put_hex32(id);
	puts(" ram=");
	put_u64(ram_mib);
	puts("MiB fill=");
	put_u64(fill_mib);
	puts("MiB\n");

	t0 = rdtsc();
	for (uint32_t i = 0; i < words; i++)
		mem[i] = vm_demo_word(id, i);
	puts("guest: filled ");
	put_u64(fill_mib);
	puts(" MiB in ");
	put_u64(div64(rdtsc() - t0, per_ms));
	puts(" ms\n");

	last = rdtsc();
	for (;;) {
		uint64_t now;

		counter++;
		now = rdtsc();
		/* The TSC of a restored VM may have jumped either way. */
		if (now - last < (uint64_t)REPORT_MS * per_ms && now >= last)
			continue;
		last = now;
		if (check_words) {
			ok &= check(mem, id, at, check_words);
			at += check_words;
			if (at + check_words > words)
				at = 0;
		}
		puts("guest: id=");
		put_hex32(id);
		puts(" counter=");
		put_u64(counter);
		puts(ok ? " pattern=ok\n" : " pattern=BAD\n");
	}
}
