// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: Kexec HandOver
 *
 * Kexec HandOver (KHO) lets a kernel keep chosen memory intact across a
 * kexec into the next kernel and tell that kernel where it is.
 *
 * Scratch memory. A kernel started by KHO cannot know which memory the old
 * kernel preserved until it has read the handover data, yet it needs memory
 * to boot. So every KHO kernel sets aside *scratch* areas: a low-memory
 * area, a global one and one per NUMA node (``kho_scratch=`` sizes them).
 * They are handed to the buddy allocator as CMA pageblocks, so only movable
 * allocations land there and nothing the kernel preserves can be inside.
 * The next kernel is loaded into scratch, and boots with memblock allowed to
 * allocate from scratch only, until it knows what is preserved. Scratch is
 * inherited unchanged by every following kernel.
 *
 * Outgoing side, in order:
 *
 * 1. kho_init() (fs_initcall) sets up the memory tracker (kho_radix_tree.c)
 *    and the root FDT, a preserved page that holds the compatible string,
 *    the tracker's root and the named subtrees; then the debugfs view
 *    (kexec_handover_debugfs.c) and the kexec metadata subtree
 *    (kexec_handover_metadata.c), after logging the incoming one.
 * 2. Users preserve folios and page ranges (kho_preserve_folio(),
 *    kho_preserve_pages()) and add their own serialized state as subtrees
 *    (kho_add_subtree()), at any time; the tracker is updated at once, so
 *    there is no finalization step. Before kho_init() every entry point
 *    fails with -EAGAIN (or does nothing). A page can be preserved only
 *    once: preserving memory of which any page is already preserved, as
 *    the same folio, inside a larger block or around a smaller one, fails
 *    with -EEXIST and changes nothing, since the next kernel would reject
 *    a tracker with overlapping blocks as a whole.
 * 3. When the kexec reboot begins (a reboot notifier), the root FDT is
 *    frozen: from then on kho_add_subtree() and kho_remove_subtree() fail
 *    with -EBUSY, so the next kernel never reads a half-edited FDT.
 * 4. kexec_file_load() places every segment inside scratch
 *    (kho_locate_mem_hole()) and adds the scratch array as one more segment
 *    (kho_fill_kimage()); the architecture hands the root FDT and the array
 *    to the next kernel (on x86 in a SETUP_KEXEC_KHO setup_data entry).
 *
 * Incoming side, in order:
 *
 * 1. kho_populate(), very early: validate the root FDT, add the scratch
 *    areas to memblock and restrict memblock to them.
 * 2. kho_reserve_preserved(), once the direct map covers RAM (x86: in
 *    setup_arch(), before the CMA areas and the crash kernel are
 *    reserved): walk the tracker, checking it whole, and reserve every
 *    preserved block. Then memblock may allocate from all memory again
 *    (scratch-only mode ends), so later early reservations need not fit
 *    in scratch.
 * 3. kho_memory_init(), right before memblock_free_all(): make scratch CMA
 *    again and record each preserved block's order in its head page.
 *    Under deferred struct page init it also initialises the struct pages
 *    of the preserved blocks; deferred init then skips them, as it skips
 *    all reserved memory.
 * 4. Users find their subtrees (kho_retrieve_subtree()) and take their
 *    memory back (kho_restore_folio(), kho_restore_pages()). Preserved
 *    memory that is never restored stays reserved.
 *
 * Unhappy paths. The incoming data is not trusted. A bad root FDT or scratch
 * array disables revival for this boot: it boots as a cold boot and the old
 * memory is reused. So does a corrupted tracker: it is checked whole before
 * any block is reserved, and a rejected one reserves nothing, so every
 * preserved page goes to the page allocator once (is_kho_boot() becomes
 * false). The walk reads each tracker page once (a page reached
 * twice is a corrupted tracker), rejects a block that lies inside another
 * one, and requires the root FDT to be a preserved block. Restoring an
 * address that is not the head of an incoming block fails quietly. Each
 * rejection logs one line and the kernel boots; KHO never panics on bad
 * handover data. A failure to set up the outgoing side at boot disables KHO
 * for this kernel (kho_is_enabled() is false).
 *
 * The scratch array is checked as a whole before any of it is used, so a
 * rejected array leaves memblock as it was. ``kho=off`` in a kernel
 * started by KHO also makes it a cold boot (decided in
 * kho_reserve_preserved(), since x86 parses the command line only after
 * kho_populate()): nothing is revived
 * and all preserved memory is freed. ``memtest=`` in a KHO boot tests only
 * the scratch areas, as the rest still holds unreserved preserved memory.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/cma.h>
#include <linux/crash_reserve.h>
#include <linux/cleanup.h>
#include <linux/ctype.h>
#include <linux/init.h>
#include <linux/initrd.h>
#include <linux/io.h>
#include <linux/ioport.h>
#include <linux/kexec.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/kexec_handover.h>
#include <linux/kho_radix_tree.h>
#include <linux/kmemleak.h>
#include <linux/libfdt.h>
#include <linux/log2.h>
#include <linux/math64.h>
#include <linux/memblock.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/padata.h>
#include <linux/page-isolation.h>
#include <linux/pgalloc_tag.h>
#include <linux/range.h>
#include <linux/reboot.h>
#include <linux/sched/clock.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/unaligned.h>
#include <asm/early_ioremap.h>

#include "../../mm/internal.h"
#include "kexec_handover_internal.h"

/*
 * Head pages of the preserved blocks of the previous kernel carry
 * KHO_PAGE_MAGIC in the upper half of page->private and the block's order
 * in the lower half, from kho_memory_init() until the block is restored.
 * This is private to the incoming kernel, not handover ABI.
 */
#define KHO_PAGE_MAGIC		0x4b484f50U	/* "KHOP" */
/* A block being restored: claimed under kho_restore_lock, order kept. */
#define KHO_CLAIMED_MAGIC	0x4b484f43U	/* "KHOC" */

/* Most scratch areas a handover can have: a low, a global, one per node. */
#define KHO_SCRATCH_MAX		(MAX_NUMNODES + 2)

/* Scratch areas are whole CMA pageblocks and buddy blocks. */
#define KHO_SCRATCH_ALIGN	max_t(phys_addr_t, CMA_MIN_ALIGNMENT_BYTES, \
				      PAGE_SIZE << MAX_PAGE_ORDER)

static bool kho_enable __ro_after_init =
	IS_ENABLED(CONFIG_KEXEC_HANDOVER_ENABLE_DEFAULT);

/* Scratch sizes: a percentage of what the kernel reserved, or explicit. */
static unsigned int scratch_scale __initdata = 200;
static phys_addr_t scratch_size_lowmem __initdata;
static phys_addr_t scratch_size_global __initdata;
static phys_addr_t scratch_size_pernode __initdata;
static bool scratch_explicit __initdata;

/*
 * The scratch areas of this kernel: reserved at boot on a cold boot, or the
 * incoming array in a KHO boot. Written once in early boot, read-only after.
 */
static struct kho_scratch *kho_scratch __ro_after_init;
static unsigned int kho_scratch_cnt __ro_after_init;

/**
 * struct kho_out - the outgoing side
 * @lock: protects the contents of @fdt (subtree changes) and @finalized.
 * @tree: the preserved-memory tracker (has its own lock).
 * @fdt: the root FDT page, itself preserved.
 * @ready: set (release) by kho_init() once @tree and @fdt exist; every
 *         entry point checks it (acquire), so users that run before
 *         kho_init() get an error instead of a NULL tree.
 * @finalized: set when the kernel starts the kexec jump (reboot notifier):
 *             the next kernel reads @fdt as it is then, so subtrees can no
 *             longer be added or removed.
 */
struct kho_out {
	struct mutex lock;	/* protects the contents of @fdt, @finalized */
	struct kho_radix_tree tree;
	void *fdt;
	bool ready;
	bool finalized;
};

static struct kho_out kho_out = {
	.lock = __MUTEX_INITIALIZER(kho_out.lock),
};

/**
 * struct kho_in - what the previous kernel handed over
 * @fdt_phys: physical address of its root FDT, 0 if this is not a KHO boot
 *            (or revival was disabled).
 * @scratch_phys: physical address of the scratch array, 0 if none.
 * @scratch_cnt: number of entries of the scratch array.
 * @mem_map: physical address of the tracker's root.
 *
 * Set by kho_populate() in early boot; @fdt_phys is cleared again if the
 * tracker turns out to be corrupted. Read-only afterwards.
 */
struct kho_in {
	phys_addr_t fdt_phys;
	phys_addr_t scratch_phys;
	unsigned int scratch_cnt;
	phys_addr_t mem_map;
};

static struct kho_in kho_in __ro_after_init;

static int __init kho_parse_enable(char *p)
{
	return kstrtobool(p, &kho_enable);
}
early_param("kho", kho_parse_enable);

/*
 * kho_scratch=<percent>% or kho_scratch=<lowmem>,<global>,<pernode>, with
 * memparse() suffixes. The percentage is 1 to 10 decimal digits and not 0;
 * the three sizes are all required and not all 0; nothing may follow.
 * Anything else is rejected as a whole (the early-parameter code logs
 * "Malformed early option") and the previous setting stays. The last valid
 * one wins: a percentage after explicit sizes turns scaling on again.
 */
static int __init kho_parse_scratch_size(char *p)
{
	phys_addr_t sizes[3];
	unsigned int scale;
	size_t len, i;
	char *end;

	if (!p)
		return -EINVAL;

	len = strlen(p);
	if (len > 1 && p[len - 1] == '%') {
		char digits[11];

		if (len - 1 >= sizeof(digits))
			return -EINVAL;
		for (i = 0; i < len - 1; i++) {
			if (!isdigit(p[i]))
				return -EINVAL;
		}
		memcpy(digits, p, len - 1);
		digits[len - 1] = '\0';
		if (kstrtouint(digits, 10, &scale) || !scale)
			return -EINVAL;
		scratch_scale = scale;
		scratch_explicit = false;
		return 0;
	}

	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		if (!isdigit(*p))
			return -EINVAL;
		sizes[i] = memparse(p, &end);
		p = end;
		if (i < ARRAY_SIZE(sizes) - 1 && *p++ != ',')
			return -EINVAL;
	}
	if (*p || !(sizes[0] | sizes[1] | sizes[2]))
		return -EINVAL;

	scratch_size_lowmem = sizes[0];
	scratch_size_global = sizes[1];
	scratch_size_pernode = sizes[2];
	scratch_explicit = true;
	return 0;
}
early_param("kho_scratch", kho_parse_scratch_size);

/* The name later kernels use for the same parameter. */
static int __init kho_parse_bootmem_size(char *p)
{
	return kho_parse_scratch_size(p);
}
early_param("kho_bootmem", kho_parse_bootmem_size);

/**
 * kho_is_enabled() - whether this kernel hands memory over on kexec
 *
 * Return: the value of ``kho=``, or false if KHO could not be set up.
 */
bool kho_is_enabled(void)
{
	return kho_enable;
}
EXPORT_SYMBOL_GPL(kho_is_enabled);

/**
 * is_kho_boot() - whether this kernel was started with KHO data
 *
 * Reliable from kho_populate() on; false again if the previous kernel's
 * memory map could not be read.
 *
 * Return: true if preserved memory and subtrees can be retrieved.
 */
bool is_kho_boot(void)
{
	return !!kho_in.fdt_phys;
}
EXPORT_SYMBOL_GPL(is_kho_boot);

/*
 * The outgoing side is usable: enabled and set up by kho_init(). Before
 * kho_init() (early built-in users) the entry points fail with -EAGAIN.
 */
static int kho_out_check(void)
{
	if (!kho_enable)
		return -EOPNOTSUPP;
	/* Pairs with the release in kho_init(): the tree and FDT exist. */
	if (!smp_load_acquire(&kho_out.ready))
		return -EAGAIN;
	return 0;
}

static bool kho_scratch_overlaps(phys_addr_t phys, phys_addr_t size)
{
	unsigned int i;

	for (i = 0; i < kho_scratch_cnt; i++) {
		if (phys < kho_scratch[i].addr + kho_scratch[i].size &&
		    kho_scratch[i].addr < phys + size)
			return true;
	}
	return false;
}

/*
 * Whether the next kernel finds [@pfn, @pfn + @nr) in its memory map at
 * boot: true if every memory section of the range is one this kernel found
 * at boot. Hot-added memory (ACPI memory hotplug, virtio-mem, dax/kmem) is
 * found only later, if at all, so the next kernel would see a block there
 * outside RAM and reject the whole handover; such memory is refused at
 * preserve time instead.
 */
static bool kho_boot_memory(unsigned long pfn, unsigned long nr)
{
#ifdef CONFIG_SPARSEMEM
	unsigned long end = pfn + nr;

	for (pfn = ALIGN_DOWN(pfn, PAGES_PER_SECTION); pfn < end;
	     pfn += PAGES_PER_SECTION) {
		if (!early_section(__pfn_to_section(pfn)))
			return false;
	}
#endif
	return true;
}

/* Why a range cannot be preserved, or 0. */
static int kho_preservable(unsigned long pfn, unsigned long nr)
{
	if (kho_scratch_overlaps(PFN_PHYS(pfn), PFN_PHYS(nr))) {
		WARN_ON_ONCE(IS_ENABLED(CONFIG_KEXEC_HANDOVER_DEBUG));
		return -EINVAL;
	}
	if (!kho_boot_memory(pfn, nr)) {
		pr_warn_ratelimited("cannot preserve hot-added memory at %#llx: the next kernel does not find it at boot\n",
				    (unsigned long long)PFN_PHYS(pfn));
		return -ENXIO;
	}
	return 0;
}

/*
 * @size rounded up to whole scratch blocks. A size so large that rounding
 * would wrap stays too large for any allocation to satisfy.
 */
static phys_addr_t __init kho_scratch_rounded(u64 size)
{
	if (size > PHYS_ADDR_MAX - (KHO_SCRATCH_ALIGN - 1))
		return PHYS_ADDR_MAX & ~(KHO_SCRATCH_ALIGN - 1);
	return round_up(size, KHO_SCRATCH_ALIGN);
}

/*
 * The size of the scratch area that covers @kern bytes of kernel memory.
 * A product too large for any memory gives a size no allocation satisfies.
 */
static phys_addr_t __init kho_scratch_scaled(phys_addr_t kern)
{
	u64 bytes;

	if (check_mul_overflow((u64)kern, (u64)scratch_scale, &bytes))
		return PHYS_ADDR_MAX & ~(KHO_SCRATCH_ALIGN - 1);
	return kho_scratch_rounded(div_u64(bytes, 100));
}

/*
 * Bytes of [@addr, @addr + @size) below @limit on node @nid, or on any node
 * for %NUMA_NO_NODE (a scratch area lies on one node).
 */
static phys_addr_t __init kho_scratch_on_node(phys_addr_t addr, phys_addr_t size,
					      phys_addr_t limit, int nid)
{
	if (!size || addr >= limit)
		return 0;
	if (nid != NUMA_NO_NODE && early_pfn_to_nid(PHYS_PFN(addr)) != nid)
		return 0;
	return min(size, limit - addr);
}

/* What kho_scratch_left_out() adds up. */
struct kho_scratch_sum {
	phys_addr_t limit;
	int nid;
	phys_addr_t bytes;
};

/*
 * Add the part of [@base, @end) that memblock_reserved_kern_size() counts:
 * reserved for the kernel (placed by memblock_alloc_range_nid(); a region
 * at a fixed address is reserved without the flag) and not NOINIT.
 */
static void __init kho_scratch_sum_range(struct kho_scratch_sum *sum,
					 phys_addr_t base, phys_addr_t end)
{
	struct memblock_region *r;
	phys_addr_t s, e;

	for_each_reserved_mem_region(r) {
		if (!memblock_is_reserved_kern(r) || memblock_is_reserved_noinit(r))
			continue;
		s = max(base, r->base);
		e = min(end, r->base + r->size);
		if (s < e)
			sum->bytes += kho_scratch_on_node(s, e - s, sum->limit,
							  sum->nid);
	}
}

static int __init kho_scratch_cma_one(struct cma *cma, void *data)
{
	kho_scratch_sum_range(data, cma_get_base(cma),
			      cma_get_base(cma) + cma_get_size(cma));
	return 0;
}

/* Bytes of the CMA areas (cma=, hugetlb_cma=) kho_scratch_left_out() counts. */
static phys_addr_t __init kho_scratch_cma_bytes(phys_addr_t limit, int nid)
{
	struct kho_scratch_sum sum = { .limit = limit, .nid = nid };

	cma_for_each_area(kho_scratch_cma_one, &sum);
	return sum.bytes;
}

/* Bytes of the crash kernel (crashkernel=) kho_scratch_left_out() counts. */
static phys_addr_t __init kho_scratch_crash_bytes(phys_addr_t limit, int nid)
{
	struct kho_scratch_sum sum = { .limit = limit, .nid = nid };

	if (!IS_ENABLED(CONFIG_CRASH_RESERVE))
		return 0;
	if (crashk_res.end > crashk_res.start)
		kho_scratch_sum_range(&sum, crashk_res.start, crashk_res.end + 1);
	if (crashk_low_res.end > crashk_low_res.start)
		kho_scratch_sum_range(&sum, crashk_low_res.start,
				      crashk_low_res.end + 1);
	return sum.bytes;
}

/*
 * Bytes below @limit on node @nid that memblock counts as the kernel's
 * reservations but that early boot reserved for others: the CMA areas,
 * whose pages go to the page allocator (movable), and the crash kernel.
 * The kernel did not need them to boot, and a kernel started by KHO
 * reserves them outside scratch. Scaled as kernel memory, a hugetlb_cma=1G
 * made scratch 2 GiB larger (or failed on a small host and disabled KHO),
 * a crashkernel=256M 512 MiB larger.
 */
static phys_addr_t __init kho_scratch_left_out(phys_addr_t limit, int nid)
{
	return kho_scratch_cma_bytes(limit, nid) + kho_scratch_crash_bytes(limit, nid);
}

/*
 * The kernel's reservations below @limit on node @nid (%NUMA_NO_NODE: on
 * all), less the scratch areas reserved so far and what early boot
 * reserved for others (kho_scratch_left_out()), which memblock counts among
 * them.
 */
static phys_addr_t __init kho_scratch_kern(phys_addr_t limit, int nid)
{
	phys_addr_t kern = memblock_reserved_kern_size(limit, nid);
	unsigned int i;

	for (i = 0; i < kho_scratch_cnt; i++)
		kern -= min(kern, kho_scratch_on_node(kho_scratch[i].addr,
						      kho_scratch[i].size, limit, nid));
	return kern - min(kern, kho_scratch_left_out(limit, nid));
}

/* The node with the most kernel reservations below ARCH_LOW_ADDRESS_LIMIT. */
static int __init kho_scratch_low_node(void)
{
	phys_addr_t most = 0, low;
	int nid, best = NUMA_NO_NODE;

	for_each_node_state(nid, N_MEMORY) {
		low = kho_scratch_kern(ARCH_LOW_ADDRESS_LIMIT, nid);
		if (low > most) {
			most = low;
			best = nid;
		}
	}
	return best;
}

/*
 * The default size of the area of node @nid: the scaled kernel memory of
 * the node, less its low part, which the low area covers.
 */
static phys_addr_t __init kho_scratch_node_size(int nid)
{
	phys_addr_t size, low;

	size = kho_scratch_scaled(kho_scratch_kern(MEMBLOCK_ALLOC_ANYWHERE, nid));
	low = kho_scratch_scaled(kho_scratch_kern(ARCH_LOW_ADDRESS_LIMIT, nid));
	return size > low ? size - low : 0;
}

/* @a + @b, or PHYS_ADDR_MAX if that wraps: a size no allocation satisfies. */
static phys_addr_t __init kho_scratch_add(phys_addr_t a, phys_addr_t b)
{
	phys_addr_t sum;

	return check_add_overflow(a, b, &sum) ? PHYS_ADDR_MAX : sum;
}

/*
 * Room for what the next kernel loads into scratch besides itself: an
 * initramfs as large as this kernel's.
 */
static phys_addr_t __init kho_scratch_headroom(void)
{
#ifdef CONFIG_BLK_DEV_INITRD
	if (initrd_start && initrd_end > initrd_start)
		return kho_scratch_rounded(initrd_end - initrd_start);
#endif
	return 0;
}

/*
 * Cold boot: reserve the scratch areas from memblock, sized after what the
 * kernel itself reserved so far. On failure KHO is disabled.
 *
 * By default the areas add up to kho_scratch= percent (200%) of the
 * kernel's reservations, each where that memory is needed: the low area
 * covers the reservations below ARCH_LOW_ADDRESS_LIMIT (on the node that
 * has most of them), each node's area the node's other reservations, and
 * the global area what is left, at least one block, plus room for an
 * initramfs. Explicit sizes are taken as they are.
 */
static void __init kho_reserve_scratch(void)
{
	phys_addr_t size, addr, lowmem, all, nodes = 0, total, cma, crash;
	unsigned int max_cnt, i;
	int nid, low_nid;

	max_cnt = num_node_state(N_MEMORY) + 2;
	kho_scratch = memblock_alloc(sizeof(*kho_scratch) * max_cnt, PAGE_SIZE);
	if (!kho_scratch)
		goto err_disable;

	lowmem = kho_scratch_kern(ARCH_LOW_ADDRESS_LIMIT, NUMA_NO_NODE);
	all = kho_scratch_kern(MEMBLOCK_ALLOC_ANYWHERE, NUMA_NO_NODE);
	low_nid = kho_scratch_low_node();

	size = scratch_explicit ? kho_scratch_rounded(scratch_size_lowmem) :
				  kho_scratch_scaled(lowmem);
	if (size) {
		addr = memblock_alloc_range_nid(size, KHO_SCRATCH_ALIGN, 0,
						ARCH_LOW_ADDRESS_LIMIT, low_nid, false);
		if (!addr)
			goto err_free;
		kho_scratch[kho_scratch_cnt++] = (struct kho_scratch){ addr, size };
	}

	if (scratch_explicit) {
		size = kho_scratch_rounded(scratch_size_global);
	} else {
		for_each_node_state(nid, N_MEMORY)
			nodes = kho_scratch_add(nodes, kho_scratch_node_size(nid));
		size = kho_scratch_scaled(all);
		size -= min(size, kho_scratch_add(kho_scratch_scaled(lowmem), nodes));
		size = kho_scratch_add(max(size, KHO_SCRATCH_ALIGN), kho_scratch_headroom());
	}
	if (size) {
		addr = memblock_phys_alloc(size, KHO_SCRATCH_ALIGN);
		if (!addr)
			goto err_free;
		kho_scratch[kho_scratch_cnt++] = (struct kho_scratch){ addr, size };
	}

	for_each_node_state(nid, N_MEMORY) {
		size = scratch_explicit ? kho_scratch_rounded(scratch_size_pernode) :
		       kho_scratch_node_size(nid);
		if (!size)
			continue;
		addr = memblock_alloc_range_nid(size, KHO_SCRATCH_ALIGN, 0,
						MEMBLOCK_ALLOC_ACCESSIBLE, nid, true);
		if (!addr)
			goto err_free;
		kho_scratch[kho_scratch_cnt++] = (struct kho_scratch){ addr, size };
	}

	for (i = 0, total = 0; i < kho_scratch_cnt; i++)
		total += kho_scratch[i].size;
	pr_info("scratch: %llu MiB in %u areas for %llu MiB of kernel reservations (%llu MiB low), %u node(s)\n",
		(u64)total >> 20, kho_scratch_cnt, (u64)all >> 20, (u64)lowmem >> 20,
		num_node_state(N_MEMORY));
	cma = kho_scratch_cma_bytes(MEMBLOCK_ALLOC_ANYWHERE, NUMA_NO_NODE);
	crash = kho_scratch_crash_bytes(MEMBLOCK_ALLOC_ANYWHERE, NUMA_NO_NODE);
	if (cma || crash)
		pr_info("scratch: left out of the sizing: %llu MiB of CMA areas, %llu MiB for the crash kernel\n",
			(u64)cma >> 20, (u64)crash >> 20);
	return;

err_free:
	while (kho_scratch_cnt--)
		memblock_phys_free(kho_scratch[kho_scratch_cnt].addr,
				   kho_scratch[kho_scratch_cnt].size);
	memblock_free(kho_scratch, sizeof(*kho_scratch) * max_cnt);
	kho_scratch = NULL;
	kho_scratch_cnt = 0;
err_disable:
	pr_err("failed to reserve scratch memory, disabling kexec handover\n");
	kho_enable = false;
}

/* The first pfn of @nid whose struct page deferred init sets up, if any. */
static unsigned long kho_first_deferred_pfn(int nid)
{
#ifdef CONFIG_DEFERRED_STRUCT_PAGE_INIT
	if (node_online(nid))
		return NODE_DATA(nid)->first_deferred_pfn;
#endif
	return ULONG_MAX;
}

/*
 * Under deferred struct page init most struct pages are not initialised yet
 * when kho_memory_init() runs, and hold whatever the memory held before.
 * Initialise those of [@pfn, @pfn + @nr) before KHO writes to or relies on
 * them: with @early, in kho_memory_init(), those at or above their node's
 * first deferred pfn (the others were initialised already); else all of
 * them (kho_memory_init_late(), for blocks wholly above it). Deferred init
 * does not touch them again: it initialises free memory only, and
 * preserved memory is reserved with MEMBLOCK_RSRV_NOINIT.
 */
static unsigned long __init kho_init_struct_pages(unsigned long pfn,
						  unsigned long nr, bool early)
{
	unsigned long end = pfn + nr, start_pfn, end_pfn, done = 0;
	int nid;

	if (!IS_ENABLED(CONFIG_DEFERRED_STRUCT_PAGE_INIT))
		return 0;
	while (pfn < end) {
		nid = memblock_search_pfn_nid(pfn, &start_pfn, &end_pfn);
		if (nid == NUMA_NO_NODE || end_pfn <= pfn)
			break;	/* not RAM: the callers checked it is */
		end_pfn = min(end_pfn, end);
		start_pfn = early ? max(pfn, kho_first_deferred_pfn(nid)) : pfn;
		if (start_pfn < end_pfn)
			done += init_deferred_pages(start_pfn, end_pfn - start_pfn,
						    nid);
		pfn = end_pfn;
	}
	return done;
}

/*
 * KHO boot: keep the inherited scratch areas scratch, as CMA pageblocks.
 * Pageblocks in the deferred range keep the type when deferred init frees
 * them (deferred_pageblock_init()).
 */
static void __init kho_scratch_set_cma(void)
{
	unsigned long pfn, end;
	unsigned int i;

	for (i = 0; i < kho_scratch_cnt; i++) {
		pfn = PHYS_PFN(kho_scratch[i].addr);
		end = PHYS_PFN(kho_scratch[i].addr + kho_scratch[i].size);
		for (; pfn < end; pfn += pageblock_nr_pages) {
			struct page *page = pfn_to_page(pfn);

			kho_init_struct_pages(pfn, 1, true);
			set_pageblock_migratetype(page, MIGRATE_CMA);
			page_zone(page)->cma_pages += pageblock_nr_pages;
		}
	}
}

/*
 * The incoming tracker is walked early, before this kernel has struct
 * pages (kho_reserve_preserved()), so the walk keeps its marks in bitmaps
 * of its own, allocated from scratch:
 *
 * - kho_walk_nodes, one bit per page frame of the physical range RAM spans:
 *   the tracker nodes visited. A node reached twice (nodes pointing at each
 *   other) is found at once, and the walk costs one visit per node page.
 *   Freed at the end of the walk.
 * - kho_walk_heads[order], one bit per 2^order page frames: the blocks of
 *   that order. Only the orders present are allocated. kho_memory_init()
 *   writes each block's order into its head page and frees them, unless
 *   deferred struct page init leaves blocks to kho_memory_init_late(): the
 *   bits of those blocks stay set until then (kho_defer_pending).
 */
#define KHO_WALK_ORDERS		(BITS_PER_LONG - PAGE_SHIFT - 1)

static unsigned long *kho_walk_nodes __initdata;
static unsigned long *kho_walk_heads[KHO_WALK_ORDERS];
static unsigned long kho_walk_base;	/* first pfn covered */
static unsigned long kho_walk_pfns;	/* pfns covered */

/* Bits in the head bitmap of @order. */
static unsigned long kho_walk_bits(unsigned int order)
{
	return ((kho_walk_base + kho_walk_pfns - 1) >> order) -
	       (kho_walk_base >> order) + 1;
}

/* The bit of the block of @order that contains @pfn (covered). */
static unsigned long kho_walk_bit(unsigned long pfn, unsigned int order)
{
	return (pfn >> order) - (kho_walk_base >> order);
}

/* Free the head bitmaps; @late: memblock_free_all() has run. */
static void __init kho_walk_free_heads(bool late)
{
	size_t size;
	unsigned int o;

	for (o = 0; o < KHO_WALK_ORDERS; o++) {
		if (!kho_walk_heads[o])
			continue;
		size = BITS_TO_LONGS(kho_walk_bits(o)) * sizeof(long);
		if (late)
			memblock_free_late(__pa(kho_walk_heads[o]), size);
		else
			memblock_free(kho_walk_heads[o], size);
		kho_walk_heads[o] = NULL;
	}
}

/**
 * struct kho_mem_walk - walking the incoming tracker in kho_reserve_preserved()
 * @w: the walker.
 * @blocks: number of blocks checked so far.
 * @calls: first pass: runs of blocks the walk reported.
 * @orders: bit N is set once a block of order N was checked.
 * @run_start: start of the run of adjacent blocks not reserved yet.
 * @run_end: end of that run; equal to @run_start when there is none.
 * @fdt_found: a block starts at the incoming root FDT.
 * @loop: a tracker node was reached a second time.
 * @reserve_err: the first error of memblock_reserve(), in the second pass.
 * @runs: second pass: the runs to reserve, or NULL to reserve each run at
 *        once (the array could not be allocated).
 * @nr_runs: runs in @runs.
 * @max_runs: room in @runs: one per run the walk reported in the first pass.
 *
 * Adjacent blocks are reserved as one range: the tree lists blocks of one
 * order in address order. The runs are collected, sorted and reserved in
 * one memblock_reserve_sorted() call: reserving them one by one costs
 * O(n^2) for n scattered runs (minutes for a fragmented terabyte).
 */
struct kho_mem_walk {
	struct kho_radix_walker w;
	unsigned long blocks;
	unsigned long calls;
	unsigned long orders;
	phys_addr_t run_start;
	phys_addr_t run_end;
	bool fdt_found;
	bool loop;
	int reserve_err;
	struct range *runs;
	unsigned long nr_runs;
	unsigned long max_runs;
};

/*
 * What the walk found, for the log line of kho_memory_init(): blocks and
 * ranges reserved, and the time the reservation took.
 */
static unsigned long kho_in_blocks __initdata;
static unsigned long kho_in_ranges __initdata;
static u64 kho_in_reserve_ns __initdata;

/* Reserve the pending run of blocks, if any. */
static int __init kho_walk_flush(struct kho_mem_walk *mw)
{
	phys_addr_t size = mw->run_end - mw->run_start;

	if (!size)
		return 0;
	mw->run_end = mw->run_start;
	if (mw->runs) {
		if (mw->nr_runs == mw->max_runs)
			return -EINVAL;	/* more than the first pass counted */
		mw->runs[mw->nr_runs++] = (struct range) {
			.start = mw->run_start,
			.end = mw->run_start + size - 1,
		};
		return 0;
	}
	mw->nr_runs++;
	if (memblock_reserve(mw->run_start, size) ||
	    memblock_reserved_mark_noinit(mw->run_start, size))
		return -ENOMEM;
	return 0;
}

static int __init kho_walk_range_cmp(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* The end of the ascending stretch of @runs[0..@n) that starts at @i. */
static unsigned long __init kho_walk_stretch_end(const struct range *runs,
						 unsigned long i, unsigned long n)
{
	while (++i < n && runs[i].start > runs[i - 1].start)
		;
	return i;
}

/* Merge the ascending stretches @src[@lo..@mid) and [@mid..@hi) into @dst. */
static void __init kho_walk_merge(const struct range *src, struct range *dst,
				  unsigned long lo, unsigned long mid,
				  unsigned long hi)
{
	unsigned long i = lo, j = mid, k = lo;

	while (i < mid && j < hi)
		dst[k++] = src[j].start < src[i].start ? src[j++] : src[i++];
	while (i < mid)
		dst[k++] = src[i++];
	while (j < hi)
		dst[k++] = src[j++];
}

/*
 * Sort the runs by address. The walk goes order by order and, within an
 * order, by ascending address, so the runs come as one ascending stretch
 * per order present: merging neighbouring stretches, pass after pass,
 * takes n * log2(stretches) steps, where a heap sort of a million runs of
 * one order took 0.9 s of a (TCG) boot. The merge needs a second array as
 * large as the runs; without one, sort() does it.
 */
static void __init kho_walk_sort_runs(struct range *runs, unsigned long n)
{
	struct range *buf, *src = runs, *dst;
	unsigned long lo, mid, hi;
	size_t size = n * sizeof(*runs);

	/* @mid: where the first stretch ends; sorted once that is @n. */
	mid = kho_walk_stretch_end(runs, 0, n);
	if (mid >= n)
		return;
	buf = memblock_alloc_raw(size, SMP_CACHE_BYTES);
	if (!buf) {
		sort(runs, n, sizeof(*runs), kho_walk_range_cmp, NULL);
		return;
	}
	dst = buf;
	do {
		for (lo = 0; lo < n; lo = hi) {
			if (lo)
				mid = kho_walk_stretch_end(src, lo, n);
			hi = mid < n ? kho_walk_stretch_end(src, mid, n) : n;
			kho_walk_merge(src, dst, lo, mid, hi);
		}
		swap(src, dst);
		mid = kho_walk_stretch_end(src, 0, n);
	} while (mid < n);
	if (src != runs)
		memcpy(runs, src, size);
	memblock_free(buf, size);
}

/*
 * Reserve the runs the second pass collected: sorted by address, adjacent
 * ones merged, all in one memblock call.
 */
static int __init kho_walk_reserve_runs(struct kho_mem_walk *mw)
{
	unsigned long i, n = 0;
	int err;

	kho_walk_sort_runs(mw->runs, mw->nr_runs);
	for (i = 0; i < mw->nr_runs; i++) {
		if (n && mw->runs[n - 1].end + 1 == mw->runs[i].start)
			mw->runs[n - 1].end = mw->runs[i].end;
		else
			mw->runs[n++] = mw->runs[i];
	}
	mw->nr_runs = n;
	err = memblock_reserve_sorted(mw->runs, n, MEMBLOCK_RSRV_NOINIT);
	if (err != -ENOMEM)
		return err;
	/* No room to grow the array at once: one run at a time, sorted. */
	for (i = 0; i < n; i++)
		if (memblock_reserve(mw->runs[i].start, range_len(&mw->runs[i])) ||
		    memblock_reserved_mark_noinit(mw->runs[i].start,
						  range_len(&mw->runs[i])))
			return -ENOMEM;
	return 0;
}

/*
 * Whether a block checked before has a page in [@pfn, @pfn + @nr): for each
 * order present, a head bit from the block of that order containing @pfn
 * (a larger block around the range, or a smaller one starting at @pfn) to
 * the one containing the range's last page (smaller blocks inside it).
 */
static bool __init kho_walk_block_in(struct kho_mem_walk *mw, unsigned long pfn,
				     unsigned long nr)
{
	unsigned long orders = mw->orders, first, last;
	unsigned int o;

	for_each_set_bit(o, &orders, BITS_PER_LONG) {
		first = kho_walk_bit(pfn, o);
		last = kho_walk_bit(pfn + nr - 1, o);
		if (find_next_bit(kho_walk_heads[o], last + 1, first) <= last)
			return true;
	}
	return false;
}

/*
 * A tracker node of the previous kernel must be RAM outside scratch, not
 * a page of a preserved block, and not visited before.
 */
static bool __init kho_walk_node_ok(struct kho_radix_walker *w, phys_addr_t node)
{
	struct kho_mem_walk *mw = container_of(w, struct kho_mem_walk, w);
	unsigned long pfn = PHYS_PFN(node);

	if (!memblock_is_region_memory(node, PAGE_SIZE) ||
	    kho_scratch_overlaps(node, PAGE_SIZE))
		return false;
	if (test_bit(pfn - kho_walk_base, kho_walk_nodes)) {
		mw->loop = true;
		return false;
	}
	/* Inside a block checked before: a page with two owners. */
	if (kho_walk_block_in(mw, pfn, 1))
		return false;
	__set_bit(pfn - kho_walk_base, kho_walk_nodes);
	return true;
}

/*
 * Second walk: retraces the first one, which visited the same nodes in the
 * same order, and stops at the first node it did not mark (a node reached
 * twice).
 */
static bool __init kho_walk_node_unmark(struct kho_radix_walker *w,
					phys_addr_t node)
{
	unsigned long pfn = PHYS_PFN(node);

	if (pfn - kho_walk_base >= kho_walk_pfns ||
	    !__test_and_clear_bit(pfn - kho_walk_base, kho_walk_nodes))
		return false;
	return true;
}

/*
 * Whether [@phys, @phys + @size) overlaps memory reserved before the walk.
 * memblock.reserved is sorted and its regions do not overlap, so a binary
 * search finds the first region that ends above @phys; the walk reserves
 * nothing before its second pass.
 */
static bool __init kho_walk_reserved(phys_addr_t phys, phys_addr_t size)
{
	struct memblock_type *rsv = &memblock.reserved;
	unsigned long lo = 0, hi = rsv->cnt, mid;
	struct memblock_region *r;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		r = &rsv->regions[mid];
		if (r->base + r->size <= phys)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < rsv->cnt && rsv->regions[lo].base < phys + size &&
	       rsv->regions[lo].size;
}

/*
 * First pass: check @nr adjacent blocks of @order of the previous kernel
 * at @phys as one range and set their head bits. Nothing is reserved yet,
 * so that a tracker found corrupted half way leaves no block reserved.
 */
static int __init kho_walk_check_range(struct kho_mem_walk *mw, phys_addr_t phys,
				       unsigned int order, unsigned long nr)
{
	unsigned long pfn = PHYS_PFN(phys), pages = nr << order;
	phys_addr_t size = PFN_PHYS(pages), fdt = kho_in.fdt_phys;

	/* In one mapped memory region, outside scratch. */
	if (!memblock_is_region_memory(phys, size) || !memblock_is_map_memory(phys) ||
	    kho_scratch_overlaps(phys, size))
		return -EINVAL;
	/* Memory this kernel reserved already (firmware, its own image). */
	if (kho_walk_reserved(phys, size))
		return -EEXIST;
	/* The scratch array is read all boot: no one may own its memory. */
	if (phys < kho_in.scratch_phys + kho_in.scratch_cnt * sizeof(*kho_scratch) &&
	    kho_in.scratch_phys < phys + size)
		return -EEXIST;
	/*
	 * A page with two owners: a block checked before overlaps the range
	 * (the same, a larger one around it or a smaller one inside), or a
	 * tracker node visited before lies inside it. Tracker nodes visited
	 * later find the blocks in kho_walk_node_ok().
	 */
	if (kho_walk_block_in(mw, pfn, pages) ||
	    find_next_bit(kho_walk_nodes, pfn - kho_walk_base + pages,
			  pfn - kho_walk_base) < pfn - kho_walk_base + pages)
		return -EEXIST;

	if (!kho_walk_heads[order]) {
		kho_walk_heads[order] =
			memblock_alloc(BITS_TO_LONGS(kho_walk_bits(order)) * sizeof(long),
				       SMP_CACHE_BYTES);
		if (!kho_walk_heads[order])
			return -ENOMEM;
	}
	bitmap_set(kho_walk_heads[order], kho_walk_bit(pfn, order), nr);
	mw->orders |= BIT(order);
	mw->fdt_found |= fdt >= phys && fdt - phys < size &&
			 IS_ALIGNED(fdt - phys, (phys_addr_t)PAGE_SIZE << order);
	mw->blocks += nr;
	return 0;
}

/*
 * The first pass's callback. A run the range checks refuse is checked again
 * block by block: a run may span two memory regions, and a bad block must
 * be found as the one it is (the count in the log line).
 */
static int __init kho_walk_check(struct kho_radix_walker *w, phys_addr_t phys,
				 unsigned int order, unsigned long nr)
{
	struct kho_mem_walk *mw = container_of(w, struct kho_mem_walk, w);
	unsigned long i;
	int err;

	/* Larger than RAM: also keeps the sizes below from overflowing. */
	if (order >= KHO_WALK_ORDERS || nr > kho_walk_pfns >> order)
		return -EINVAL;
	mw->calls++;
	if (nr > 1 && !kho_walk_check_range(mw, phys, order, nr))
		return 0;
	for (i = 0; i < nr; i++) {
		err = kho_walk_check_range(mw, phys + PFN_PHYS(i << order), order, 1);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Second pass over a tracker the first pass accepted: collect the runs to
 * reserve. It never stops the walk; an error is remembered in
 * @reserve_err.
 */
static int __init kho_walk_reserve(struct kho_radix_walker *w, phys_addr_t phys,
				   unsigned int order, unsigned long nr)
{
	struct kho_mem_walk *mw = container_of(w, struct kho_mem_walk, w);

	mw->blocks += nr;
	if (phys != mw->run_end) {
		if (!mw->reserve_err)
			mw->reserve_err = kho_walk_flush(mw);
		mw->run_start = phys;
		mw->run_end = phys;
	}
	mw->run_end += (phys_addr_t)nr << (PAGE_SHIFT + order);
	return 0;
}

/* Undo kho_populate(); @scratch maps the scratch array. */
static void __init kho_in_forget(const struct kho_scratch *scratch)
{
	phys_addr_t len = sizeof(*scratch) * kho_in.scratch_cnt;
	unsigned int i;

	memblock_clear_kho_scratch_only();
	for (i = 0; i < kho_in.scratch_cnt; i++)
		memblock_clear_kho_scratch(scratch[i].addr, scratch[i].size);
	memblock_phys_free(kho_in.scratch_phys, len);
	kho_in = (struct kho_in){ };
}

/*
 * "kho=off" in a kernel started by KHO. On x86 the command line is parsed
 * only after kho_populate() accepted the handover, so this is where the
 * choice takes effect. Undo what kho_populate() did, so that this boot is a
 * cold boot: the scratch areas stop being special and the array's
 * reservation goes. Nothing preserved has been reserved yet, so
 * memblock_free_all() gives all of that memory, the tracker pages and the
 * root FDT to the page allocator, once.
 */
static void __init kho_in_drop(void)
{
	kho_in_forget(phys_to_virt(kho_in.scratch_phys));
	pr_info("disabled by kho=off: preserved memory of the previous kernel is freed, not revived\n");
}

/*
 * KHO boot: reserve every block of a valid tracker, or nothing (the tracker
 * is checked whole first). Returns 0 or why the handover is not revived.
 */
static int __init kho_revive_memory(void)
{
	struct kho_mem_walk mw = {
		.w.node_ok = kho_walk_node_ok,
		.w.block = kho_walk_check,
	};
	struct kho_mem_walk second = {
		.w.node_ok = kho_walk_node_unmark,
		.w.block = kho_walk_reserve,
	};
	size_t nodes_size, runs_size;
	u64 start = local_clock();
	int err, ret;

	kho_walk_base = PHYS_PFN(memblock_start_of_DRAM());
	kho_walk_pfns = PHYS_PFN(memblock_end_of_DRAM()) - kho_walk_base;
	nodes_size = BITS_TO_LONGS(kho_walk_pfns) * sizeof(long);
	kho_walk_nodes = memblock_alloc(nodes_size, SMP_CACHE_BYTES);
	if (!kho_walk_nodes) {
		pr_warn("no memory to walk the preserved-memory map, disabling KHO revival; preserved memory is freed\n");
		return -ENOMEM;
	}

	err = kho_radix_walk(kho_in.mem_map, &mw.w);
	if (mw.loop)
		err = -ELOOP;
	if (!err && !mw.fdt_found)
		err = -ENOENT;
	if (err) {
		memblock_free(kho_walk_nodes, nodes_size);
		kho_walk_nodes = NULL;
		kho_walk_free_heads(false);
		if (err == -ENOENT)
			pr_warn("root FDT is not in preserved memory, disabling KHO revival; preserved memory is freed\n");
		else
			pr_warn("%s preserved-memory map after %lu blocks (%pe), disabling KHO revival; preserved memory is freed\n",
				err == -ELOOP ? "a loop in the" :
				err == -EEXIST ? "overlapping blocks in the" :
				err == -ENOMEM ? "no memory to walk the" : "corrupted",
				mw.blocks, ERR_PTR(err));
		return err;
	}

	/*
	 * The second walk retraces the first one, clears its node marks and
	 * collects the blocks, adjacent ones as one run; it must visit every
	 * block again.
	 */
	runs_size = mw.calls * sizeof(*second.runs);
	second.runs = memblock_alloc_raw(runs_size, SMP_CACHE_BYTES);
	second.max_runs = mw.calls;
	ret = kho_radix_walk(kho_in.mem_map, &second.w);
	if (!second.reserve_err && (ret || second.blocks != mw.blocks))
		second.reserve_err = -EINVAL;
	memblock_free(kho_walk_nodes, nodes_size);
	kho_walk_nodes = NULL;
	if (!second.reserve_err)
		second.reserve_err = kho_walk_flush(&second);
	if (!second.reserve_err && second.runs)
		second.reserve_err = kho_walk_reserve_runs(&second);
	if (second.runs)
		memblock_free(second.runs, runs_size);
	if (second.reserve_err) {
		/*
		 * Not freed: the runs reserved so far are not known. The head
		 * bitmaps stay, so that kho_memory_init() can set up the
		 * struct pages of whatever stays reserved.
		 */
		pr_err("cannot reserve preserved memory (%pe); what was reserved of it stays reserved, disabling KHO revival\n",
		       ERR_PTR(second.reserve_err));
		return second.reserve_err;
	}
	kho_in_blocks = mw.blocks;
	kho_in_ranges = second.nr_runs;
	kho_in_reserve_ns = local_clock() - start;
	return 0;
}

static bool kho_preserved_done __initdata;

/**
 * kho_reserve_preserved() - reserve the memory the previous kernel preserved
 *
 * In a kernel started by KHO, check the incoming memory tracker as a whole
 * and reserve every block it lists (or, if it is corrupted, nothing: all of
 * that memory is then freed as on a cold boot), then let memblock allocate
 * outside scratch again. Reservations made after it that do not fit in
 * scratch, such as large CMA areas (``hugetlb_cma=``, ``cma=``) and the
 * crash kernel, then work as on a cold boot. ``kho=off`` makes the boot a
 * cold boot here. The struct pages of the preserved blocks are set up
 * later, by kho_memory_init().
 *
 * Memory reserved before it (firmware, the kernel image, the initrd) may
 * not hold a preserved block: the tracker is rejected. A region reserved
 * later at a fixed address would not be checked against the blocks;
 * nothing in early boot does that after this point on x86.
 *
 * The walk visits every tracker node once and rejects a node reached twice,
 * overlapping blocks, and a root FDT that is not the start of a preserved
 * block (the FDT is read for the whole boot, so its page must not be given
 * to the buddy allocator).
 *
 * Context: early boot, single threaded, once the direct map covers RAM and
 * before the architecture reserves CMA areas (x86: setup_arch(), after
 * initmem_init()). Runs once; kho_memory_init() calls it if the
 * architecture did not.
 */
void __init kho_reserve_preserved(void)
{
	if (kho_preserved_done)
		return;
	kho_preserved_done = true;
	if (!kho_in.scratch_phys)
		return;
	if (!kho_enable) {
		kho_in_drop();
		return;
	}
	kho_scratch = phys_to_virt(kho_in.scratch_phys);
	kho_scratch_cnt = kho_in.scratch_cnt;
	if (kho_revive_memory())
		kho_in.fdt_phys = 0;
	/*
	 * What the previous kernel preserved is reserved now (or, if the
	 * handover was rejected, nothing will be revived): the rest of early
	 * boot may allocate from all memory.
	 */
	memblock_clear_kho_scratch_only();
}

/*
 * Deferred struct page init (a kernel that has it on, started by KHO):
 * blocks that lie wholly at or above their node's first deferred pfn get
 * their struct pages after deferred init has run, from every CPU at once
 * (kho_memory_init_late()), instead of one by one in kho_memory_init(): a
 * host that preserved its VMs' memory has most of its struct pages there.
 * Until then (kho_defer_pending) their bits stay set in kho_walk_heads, and
 * what reads incoming struct pages asks kho_defer_ready() first: a block
 * restored that early (LUO reads its state at early_initcall) is set up on
 * the spot, and is listed in kho_defer_early.
 *
 * The page allocator reads a struct page outside what it frees: the buddy
 * of the block it frees, to merge them. Only the head of a preserved block
 * can be such a buddy, and only of free memory in the same MAX_ORDER block:
 * so where a MAX_ORDER block is not wholly one order's preserved blocks
 * (kho_defer_partial, one bit per MAX_ORDER block), the head of a left
 * block is initialised in kho_memory_init() all the same, before deferred
 * init frees anything, and its pageblock gets its type then; the rest of
 * the block follows later. A page restored before kho_memory_init_late()
 * and given back with kho_restore_free() is freed only then
 * (kho_defer_frees): freeing it earlier would look at uninitialised struct
 * pages of free memory around it.
 *
 * kho_defer_from[nid] is the first deferred pfn of each node when
 * kho_memory_init() ran: deferred init may move the node's own value up
 * before kho_memory_init_late(), but initialises free memory only.
 */
#define KHO_DEFER_EARLY_MAX	16

struct kho_defer_block {
	unsigned long pfn;
	unsigned long nr;
};

static bool kho_defer_pending;
static bool kho_defer_running;		/* kho_memory_init_late() at work */
static bool kho_late_done;		/* kho_memory_init_late() has run */
static unsigned long *kho_defer_from;
static unsigned long *kho_defer_partial;
static struct kho_defer_block kho_defer_early[KHO_DEFER_EARLY_MAX];
static unsigned int kho_defer_early_cnt;
static atomic_long_t kho_defer_done;
static LIST_HEAD(kho_defer_frees);
static DEFINE_SPINLOCK(kho_defer_lock);

/* Make the block of @order at @pfn restorable: its order in its head page. */
static void __init kho_mark_head(unsigned long pfn, unsigned int order)
{
	set_page_private(pfn_to_page(pfn), (unsigned long)KHO_PAGE_MAGIC << 32 | order);
}

/*
 * Whether the head of the left block of @order at @pfn was initialised in
 * kho_memory_init() (its MAX_ORDER block may hold free memory).
 */
static bool __init kho_defer_head_early(unsigned long pfn, unsigned int order)
{
	return order < MAX_PAGE_ORDER &&
	       test_bit(kho_walk_bit(pfn, MAX_PAGE_ORDER), kho_defer_partial);
}

/*
 * Initialise the struct pages of the left block of @order at @pfn and write
 * its order into its head page; not its head if that was done early.
 */
static unsigned long __init kho_defer_setup(unsigned long pfn,
					    unsigned int order)
{
	unsigned long skip = kho_defer_head_early(pfn, order);
	unsigned long done;

	done = kho_init_struct_pages(pfn + skip, (1UL << order) - skip, false);
	kho_mark_head(pfn, order);
	return done + skip;
}

/* Set up the left block of @order at @pfn now. */
static void __init kho_defer_one(unsigned long pfn, unsigned int order)
{
	kho_defer_setup(pfn, order);
	__clear_bit(kho_walk_bit(pfn, order), kho_walk_heads[order]);
}

/*
 * When kho_mark_preserved() sets up the block of @order at @pfn, by where
 * it lies against its node's first deferred pfn: wholly below it, it only
 * writes the head page (KHO_MARK_NOW: the struct pages were initialised
 * early); wholly at or above it, it leaves the block to
 * kho_memory_init_late() (KHO_MARK_LATE); across it or a memblock region,
 * or with no deferral, it initialises the part above the pfn and writes
 * the head page (KHO_MARK_INIT). @r caches the region last looked up:
 * blocks come in address order within an order.
 */
enum kho_mark_when {
	KHO_MARK_NOW,
	KHO_MARK_LATE,
	KHO_MARK_INIT,
};

struct kho_mark_region {
	unsigned long start;
	unsigned long end;
	unsigned long from;
	unsigned long maxblock;		/* + 1; 0: none yet */
	bool partial;
};

static enum kho_mark_when __init kho_block_when(unsigned long pfn,
						unsigned int order,
						struct kho_mark_region *r)
{
	unsigned long end = pfn + (1UL << order);
	int nid;

	if (!kho_defer_from)
		return KHO_MARK_INIT;	/* no deferral: as before */
	if (pfn < r->start || pfn >= r->end) {
		nid = memblock_search_pfn_nid(pfn, &r->start, &r->end);
		if (nid == NUMA_NO_NODE) {
			r->start = 0;
			r->end = 0;
			return KHO_MARK_INIT;
		}
		r->from = kho_defer_from[nid];
	}
	if (end > r->end)
		return KHO_MARK_INIT;
	if (end <= r->from)
		return KHO_MARK_NOW;
	return pfn >= r->from ? KHO_MARK_LATE : KHO_MARK_INIT;
}

/*
 * Whether the MAX_ORDER block holding the left block of @order at @pfn may
 * hold free memory: it is not wholly blocks of @order (a block of a larger
 * order would fill it). Decided once per MAX_ORDER block (@r caches the
 * last one; the blocks of one order come in address order, and a wholly
 * preserved MAX_ORDER block holds blocks of one order only) and recorded
 * in kho_defer_partial, before the loop that clears the bits of the blocks
 * it sets up now can make a MAX_ORDER block look partial.
 */
static bool __init kho_defer_partial_block(unsigned long pfn,
					   unsigned int order,
					   struct kho_mark_region *r)
{
	unsigned long m = kho_walk_bit(pfn, MAX_PAGE_ORDER);
	unsigned long start = ALIGN_DOWN(pfn, MAX_ORDER_NR_PAGES), first, last;

	if (order >= MAX_PAGE_ORDER)
		return false;
	if (r->maxblock == m + 1)
		return r->partial;
	r->maxblock = m + 1;
	r->partial = true;
	if (test_bit(m, kho_defer_partial))
		return true;
	first = kho_walk_bit(start, order);
	last = first + (MAX_ORDER_NR_PAGES >> order);
	r->partial = start < kho_walk_base || last > kho_walk_bits(order) ||
		     find_next_zero_bit(kho_walk_heads[order], last, first) < last;
	if (r->partial)
		__set_bit(m, kho_defer_partial);
	return r->partial;
}

/*
 * Set up the blocks of @order whose bits are set in [@first, @last) of its
 * head bitmap. Unless @late (kho_mark_preserved() of a failed reservation),
 * only initialise their struct pages above the first deferred pfn. If
 * @late (kho_memory_init_late(), or a restore before it), initialise them
 * all but heads done early, and write each block's order into its head
 * page; @resched: may sleep. A run of adjacent blocks is set up at most a
 * MAX_ORDER block at a time, and a chunk's head pages are written while its
 * struct pages are still cached. Returns the number of struct pages
 * initialised.
 */
static unsigned long __init kho_setup_runs(unsigned int order,
					   unsigned long first,
					   unsigned long last, bool late,
					   bool resched)
{
	unsigned long rs = first, re, pfn, end, next, done = 0;
	unsigned long step = max(1UL << order, MAX_ORDER_NR_PAGES);

	for_each_set_bitrange_from(rs, re, kho_walk_heads[order], last) {
		pfn = ((kho_walk_base >> order) + rs) << order;
		end = ((kho_walk_base >> order) + re) << order;
		for (; pfn < end; pfn = next) {
			next = min(ALIGN(pfn + 1, step), end);
			if (!late) {
				done += kho_init_struct_pages(pfn, next - pfn, true);
				continue;
			}
			if (kho_defer_head_early(pfn, order)) {
				for (; pfn < next; pfn += 1UL << order)
					done += kho_defer_setup(pfn, order);
			} else {
				done += kho_init_struct_pages(pfn, next - pfn, false);
				for (; pfn < next; pfn += 1UL << order)
					kho_mark_head(pfn, order);
			}
			if (resched)
				cond_resched();
		}
	}
	return done;
}

static size_t kho_defer_partial_size(void)
{
	return BITS_TO_LONGS(kho_walk_bits(MAX_PAGE_ORDER)) * sizeof(long);
}

/* @late: memblock_free_all() has run. */
static void __init kho_defer_free(bool late)
{
	if (kho_defer_from && late)
		memblock_free_late(__pa(kho_defer_from), nr_node_ids * sizeof(long));
	else if (kho_defer_from)
		memblock_free(kho_defer_from, nr_node_ids * sizeof(long));
	if (kho_defer_partial && late)
		memblock_free_late(__pa(kho_defer_partial), kho_defer_partial_size());
	else if (kho_defer_partial)
		memblock_free(kho_defer_partial, kho_defer_partial_size());
	kho_defer_from = NULL;
	kho_defer_partial = NULL;
}

/* Without both arrays, every block is set up in kho_memory_init(). */
static void __init kho_defer_alloc(void)
{
	kho_defer_from = memblock_alloc(nr_node_ids * sizeof(long),
					SMP_CACHE_BYTES);
	kho_defer_partial = memblock_alloc(kho_defer_partial_size(),
					   SMP_CACHE_BYTES);
	if (kho_defer_from && kho_defer_partial)
		return;
	kho_defer_free(false);
}

/*
 * kho_mark_preserved() for the blocks of @order from @pfn on, in a run of
 * set head bits that ends at @end: as many adjacent blocks as are set up
 * the same way (the same region and side of its node's first deferred pfn,
 * one MAX_ORDER block), at least one, so that 4 KiB folios preserved side
 * by side cost a lookup per MAX_ORDER block, not per page. The root FDT
 * (@fdt) is never left. Adds the pages initialised to @done and those left
 * to kho_memory_init_late() to @left; returns where it stopped.
 */
static unsigned long __init kho_mark_run(unsigned long pfn, unsigned long end,
					 unsigned int order, unsigned long fdt,
					 struct kho_mark_region *r,
					 unsigned long *done, unsigned long *left)
{
	enum kho_mark_when when = kho_block_when(pfn, order, r);
	unsigned long size = 1UL << order, stop, p;

	if (when == KHO_MARK_LATE)
		stop = min(end, r->end);
	else if (when == KHO_MARK_NOW)
		stop = min3(end, r->end, r->from);
	else	/* all blocks without deferral, else one across a boundary */
		stop = kho_defer_from ? pfn + size : end;
	stop = min(stop, ALIGN(pfn + 1, max(size, MAX_ORDER_NR_PAGES)));
	stop = pfn + max(ALIGN_DOWN(stop - pfn, size), size);

	if (when == KHO_MARK_LATE && fdt >= pfn && fdt < stop) {
		if (fdt > pfn) {
			stop = fdt;
		} else {
			when = KHO_MARK_INIT;	/* the FDT's block, now */
			stop = pfn + size;
		}
	}
	if (when == KHO_MARK_LATE) {
		/* The page allocator may look at the heads before. */
		if (kho_defer_partial_block(pfn, order, r))
			for (p = pfn; p < stop; p += size)
				kho_init_struct_pages(p, 1, true);
		*left += stop - pfn;
		return stop;
	}
	if (when == KHO_MARK_INIT)
		*done += kho_init_struct_pages(pfn, stop - pfn, true);
	for (p = pfn; p < stop; p += size)
		kho_mark_head(p, order);
	if (kho_defer_from)
		bitmap_clear(kho_walk_heads[order], kho_walk_bit(pfn, order),
			     (stop - pfn) >> order);
	return stop;
}

/*
 * Set up the struct pages of every block the walk found, or leave them to
 * kho_memory_init_late() (above). If @mark, the blocks were all reserved:
 * write each one's order into its head page, which the restore functions
 * read; if not, only initialise their struct pages, all of them now: a
 * block nobody restores must have sane struct pages all boot. Frees the
 * head bitmaps unless blocks are left. Returns the number of pages in the
 * deferred range: initialised here or left.
 */
static unsigned long __init kho_mark_preserved(bool mark)
{
	unsigned long rs, re, pfn, end, done = 0, left = 0;
	unsigned long fdt = PHYS_PFN(kho_in.fdt_phys);
	struct kho_mark_region r = {};
	unsigned int o;
	int nid;

	if (mark && IS_ENABLED(CONFIG_DEFERRED_STRUCT_PAGE_INIT))
		kho_defer_alloc();
	if (kho_defer_from)
		for (nid = 0; nid < nr_node_ids; nid++)
			kho_defer_from[nid] = kho_first_deferred_pfn(nid);

	for (o = 0; o < KHO_WALK_ORDERS; o++) {
		if (!kho_walk_heads[o])
			continue;
		if (!mark) {
			done += kho_setup_runs(o, 0, kho_walk_bits(o), false, false);
			continue;
		}
		rs = 0;
		for_each_set_bitrange_from(rs, re, kho_walk_heads[o], kho_walk_bits(o)) {
			pfn = ((kho_walk_base >> o) + rs) << o;
			end = ((kho_walk_base >> o) + re) << o;
			while (pfn < end)
				pfn = kho_mark_run(pfn, end, o, fdt, &r, &done, &left);
		}
	}
	if (left) {
		kho_defer_pending = true;
	} else {
		kho_walk_free_heads(false);
		kho_defer_free(false);
	}
	if (!mark)
		return done;
	/*
	 * The root FDT stays reserved and is read all boot: it must not be
	 * restorable, whatever address handover data names. It was set up
	 * above, never left.
	 */
	set_page_private(pfn_to_page(fdt), 0);
	return done + left;
}

/* padata: set up the left blocks whose head lies in [@start, @end). */
static void __init kho_defer_chunk(unsigned long start, unsigned long end,
				   void *arg)
{
	unsigned long first, last, done = 0;
	unsigned int o;

	for (o = 0; o < KHO_WALK_ORDERS; o++) {
		if (!kho_walk_heads[o])
			continue;
		first = kho_walk_bit(ALIGN(start, 1UL << o), o);
		last = min(kho_walk_bit(ALIGN(end, 1UL << o), o), kho_walk_bits(o));
		if (first < last)
			done += kho_setup_runs(o, first, last, true, !!arg);
	}
	atomic_long_add(done, &kho_defer_done);
}

/**
 * kho_memory_init_late() - set up the preserved blocks deferred init skips
 *
 * In a kernel with deferred struct page init started by KHO, the struct
 * pages of the preserved blocks that lie wholly in the deferred range are
 * initialised here, on all CPUs, and each block's order written into its
 * head page; kho_memory_init() did the others. Blocks a restore asked for
 * before are done already. Logs the figure. Does nothing in other boots.
 *
 * Context: page_alloc_init_late(), once deferred init has finished and
 * before memblock_discard().
 */
void __init kho_memory_init_late(void)
{
	struct padata_mt_job job = {
		.thread_fn	= kho_defer_chunk,
		.fn_arg		= &job,		/* not NULL: may sleep */
		.start		= kho_walk_base,
		.size		= kho_walk_pfns,
		.align		= PAGES_PER_SECTION,
		.min_chunk	= PAGES_PER_SECTION,
		.max_threads	= num_online_cpus(),
	};
	struct folio *folio, *next;
	LIST_HEAD(frees);
	bool pending;
	u64 start;

	scoped_guard(spinlock, &kho_defer_lock) {
		pending = kho_defer_pending;
		kho_defer_running = pending;
	}
	/* Unless an early restore had to set them all up (kho_defer_all_now()). */
	if (pending) {
		start = local_clock();
		padata_do_multithreaded(&job);
		pr_info("struct pages of %ld preserved pages initialised in %llu us on %u CPUs (%u block(s) before, for early restores)\n",
			atomic_long_read(&kho_defer_done),
			div_u64(local_clock() - start, NSEC_PER_USEC),
			num_online_cpus(), kho_defer_early_cnt);
	}
	scoped_guard(spinlock, &kho_defer_lock) {
		kho_defer_pending = false;
		kho_defer_running = false;
		kho_late_done = true;
		list_splice_init(&kho_defer_frees, &frees);
	}
	if (kho_defer_from) {
		kho_walk_free_heads(true);
		kho_defer_free(true);
	}
	list_for_each_entry_safe(folio, next, &frees, lru) {
		list_del(&folio->lru);
		folio_put(folio);
	}
}

/*
 * kho_restore_free() before kho_memory_init_late() (LUO at early_initcall):
 * keep the folio until then, see above. Returns whether it was kept.
 */
static bool kho_defer_free_folio(struct folio *folio)
{
	if (!IS_ENABLED(CONFIG_DEFERRED_STRUCT_PAGE_INIT) ||
	    READ_ONCE(kho_late_done))
		return false;
	guard(spinlock)(&kho_defer_lock);
	if (kho_late_done)
		return false;
	list_add(&folio->lru, &kho_defer_frees);
	return true;
}

/*
 * Called on a pending block found by an early restore: set it up now and
 * list it. Returns false if the list is full; the caller then sets up
 * every block left, as kho_memory_init_late() would, but here.
 */
static bool __ref kho_defer_now(unsigned long pfn, unsigned int order)
{
	if (kho_defer_early_cnt == KHO_DEFER_EARLY_MAX)
		return false;
	kho_defer_one(pfn, order);
	kho_defer_early[kho_defer_early_cnt++] = (struct kho_defer_block){
		.pfn = pfn,
		.nr = 1UL << order,
	};
	return true;
}

static void __ref kho_defer_all_now(void)
{
	kho_defer_chunk(kho_walk_base, kho_walk_base + kho_walk_pfns, NULL);
	/* The bitmaps are freed by kho_memory_init_late(). */
	kho_defer_pending = false;
}

/*
 * Whether the struct page of @pfn may be read to tell whether it heads an
 * incoming block. Until kho_memory_init_late() a page in the deferred
 * range may not be initialised: the head of a left block is set up on the
 * spot (a restore is about to use it), a page inside one is no head, and
 * any other page in that range is no incoming block at all (or one set up
 * early, kho_defer_early), whatever its struct page holds.
 */
static bool __ref kho_defer_ready(unsigned long pfn)
{
	unsigned long start, end;
	unsigned int o, i;
	int nid;

	if (likely(!READ_ONCE(kho_defer_pending)))
		return true;
	guard(spinlock)(&kho_defer_lock);
	if (!kho_defer_pending)
		return true;
	/* Nothing restores during the late step; one that did is refused. */
	if (kho_defer_running)
		return false;
	if (pfn < kho_walk_base || pfn - kho_walk_base >= kho_walk_pfns)
		return true;
	for (o = 0; o < KHO_WALK_ORDERS; o++) {
		if (!kho_walk_heads[o] ||
		    !test_bit(kho_walk_bit(pfn, o), kho_walk_heads[o]))
			continue;
		if (!IS_ALIGNED(pfn, 1UL << o))
			return false;
		if (!kho_defer_now(pfn, o))
			kho_defer_all_now();
		return true;
	}
	for (i = 0; i < kho_defer_early_cnt; i++)
		if (pfn - kho_defer_early[i].pfn < kho_defer_early[i].nr)
			return true;
	nid = memblock_search_pfn_nid(pfn, &start, &end);
	return nid == NUMA_NO_NODE || pfn < kho_defer_from[nid];
}

/**
 * kho_scratch_recheck() - drop a handover whose scratch this kernel lacks
 *
 * kho_populate() checks the scratch areas against the firmware's memory
 * map; the command line parsed after it may take memory away (``mem=``,
 * ``memmap=``). A scratch area that is no longer all RAM would have early
 * boot allocate from memory outside the kernel's memory map, so the
 * handover is dropped, with one log line: this boot is a cold boot, and
 * whatever was preserved in the memory it keeps is freed.
 *
 * Context: early boot, once the architecture's memory map is final and
 * before it adds its RAM to memblock (x86: before e820__memblock_setup()),
 * so that memblock knows only the memory kho_populate() added.
 */
void __init kho_scratch_recheck(void)
{
	struct kho_scratch *scratch;
	unsigned long len;
	unsigned int i;

	if (!kho_in.scratch_phys)
		return;
	/* Before the direct map exists (x86): map the array for the check. */
	len = sizeof(*scratch) * kho_in.scratch_cnt;
	scratch = early_memremap(kho_in.scratch_phys, len);
	if (!scratch)
		return;	/* it was mapped in kho_populate(); cannot happen */
	for (i = 0; i < kho_in.scratch_cnt; i++)
		if (!kho_arch_is_ram(scratch[i].addr, scratch[i].size))
			break;
	if (i < kho_in.scratch_cnt) {
		pr_warn("scratch area %#llx+%#llx is not in this kernel's memory (mem=, memmap=), disabling KHO revival; preserved memory is freed\n",
			(unsigned long long)scratch[i].addr,
			(unsigned long long)scratch[i].size);
	} else if (!kho_arch_is_ram(kho_in.scratch_phys, len)) {
		/* The array is read again once the direct map is built. */
		pr_warn("the scratch array is not in this kernel's memory (mem=, memmap=), disabling KHO revival; preserved memory is freed\n");
	} else {
		early_memunmap(scratch, len);
		return;
	}
	for (i = 0; i < kho_in.scratch_cnt; i++)
		memblock_remove(scratch[i].addr, scratch[i].size);
	kho_in_forget(scratch);
	early_memunmap(scratch, len);
}

/**
 * kho_memory_init() - reserve scratch, or set up the preserved memory
 *
 * Called from mm_core_init() right before memblock_free_all(). On a cold
 * boot with KHO enabled this reserves the scratch areas. In a KHO boot it
 * makes the inherited scratch areas scratch again (CMA pageblocks), and
 * writes into the head page of every block kho_reserve_preserved() reserved
 * its order, initialising the block's struct pages where deferred struct
 * page init has not reached, or leaves a block that lies wholly there to
 * kho_memory_init_late(); then it logs what was revived.
 *
 * Context: early boot, memblock still active, single threaded.
 */
void __init kho_memory_init(void)
{
	char took[64] = "not timed (no clock yet)";
	unsigned long deferred;
	u64 start, mark_ns;

	kho_reserve_preserved();
	if (!kho_in.scratch_phys) {
		if (kho_enable)
			kho_reserve_scratch();
		return;
	}

	kho_scratch_set_cma();
	if (!kho_in.fdt_phys) {
		/* Blocks left reserved by a failed reservation, if any. */
		kho_mark_preserved(false);
		return;
	}
	start = local_clock();
	deferred = kho_mark_preserved(true);
	mark_ns = local_clock() - start;
	/*
	 * Where the TSC cannot be calibrated (a loaded TCG host), the
	 * scheduler clock is jiffies, which do not advance yet.
	 */
	if (mark_ns + kho_in_reserve_ns)
		snprintf(took, sizeof(took), "%llu us (%llu us of it struct pages)",
			 div_u64(mark_ns + kho_in_reserve_ns, NSEC_PER_USEC),
			 div_u64(mark_ns, NSEC_PER_USEC));
	if (IS_ENABLED(CONFIG_DEFERRED_STRUCT_PAGE_INIT))
		pr_info("%lu preserved memory blocks reserved, %lu of their pages in deferred struct page init range; %lu ranges, %s\n",
			kho_in_blocks, deferred, kho_in_ranges, took);
	else
		pr_info("%lu preserved memory blocks reserved; %lu ranges, %s\n",
			kho_in_blocks, kho_in_ranges, took);
}

/**
 * kho_arch_is_ram() - whether a range is RAM in the firmware's memory map
 * @start: physical start of the range.
 * @size: its length in bytes, not 0.
 *
 * kho_populate() runs before some architectures (x86) have added their RAM
 * to memblock, so they provide this from their own memory map.
 *
 * Context: early boot, from kho_populate().
 * Return: true if every byte of the range is usable RAM.
 */
bool __init __weak kho_arch_is_ram(phys_addr_t start, phys_addr_t size)
{
	return memblock_is_region_memory(start, size);
}

/*
 * Check the incoming scratch array as a whole before anything is added to
 * memblock: every area must be whole buddy blocks (KHO_SCRATCH_ALIGN), must not wrap, must be
 * RAM and must not overlap another one.
 * Returns NULL if it is valid, otherwise what is wrong, for the log line.
 */
static const char * __init kho_scratch_check(const struct kho_scratch *scratch,
					     unsigned int cnt)
{
	unsigned int i, j;

	for (i = 0; i < cnt; i++) {
		u64 addr = scratch[i].addr, size = scratch[i].size;

		if (!size)
			return "empty scratch area";
		if (addr + size < addr)
			return "scratch area wraps around";
		/* Whole buddy blocks: freed as one, of one migratetype. */
		if (!IS_ALIGNED(addr, KHO_SCRATCH_ALIGN) ||
		    !IS_ALIGNED(size, KHO_SCRATCH_ALIGN))
			return "misaligned scratch area";
		if (!kho_arch_is_ram(addr, size))
			return "scratch area not in RAM";
		for (j = 0; j < i; j++) {
			if (addr < scratch[j].addr + scratch[j].size &&
			    scratch[j].addr < addr + size)
				return "overlapping scratch areas";
		}
	}
	return NULL;
}

/**
 * kho_populate() - accept the handover data of the previous kernel
 * @fdt_phys: physical address of the previous kernel's root FDT.
 * @fdt_len: its length, one page.
 * @scratch_phys: physical address of the scratch array.
 * @scratch_len: its length in bytes.
 *
 * Called by the architecture's boot code as soon as it finds the handover
 * data, before memblock allocations matter. Validates the root FDT and the
 * whole scratch array (see "KHO scratch array" in
 * <linux/kho/abi/kexec_handover.h>), then adds the scratch areas to
 * memblock, flags them %MEMBLOCK_KHO_SCRATCH and restricts memblock
 * allocations to them. If anything is invalid, logs one line, undoes what
 * it did and leaves the boot a cold boot.
 *
 * Context: early boot, before the page allocator, single threaded.
 */
void __init kho_populate(phys_addr_t fdt_phys, u64 fdt_len,
			 phys_addr_t scratch_phys, u64 scratch_len)
{
	static bool added[KHO_SCRATCH_MAX] __initdata;
	struct kho_scratch *scratch = NULL;
	const char *reason = NULL;
	const void *fdt = NULL, *prop;
	unsigned int i = 0, cnt;
	phys_addr_t mem_map = 0;
	int len;

	/*
	 * Check the lengths before mapping anything: early_memremap() warns
	 * about sizes it cannot map, and bad handover data must only cost
	 * one log line.
	 */
	if (fdt_len != PAGE_SIZE) {
		reason = "invalid FDT size";
		goto out;
	}
	if (!scratch_len || scratch_len % sizeof(*scratch) ||
	    scratch_len / sizeof(*scratch) > KHO_SCRATCH_MAX) {
		reason = "invalid scratch array";
		goto out;
	}

	/* Nor map anything that is not RAM. */
	if (fdt_phys + fdt_len < fdt_phys || !kho_arch_is_ram(fdt_phys, fdt_len)) {
		reason = "FDT not in RAM";
		goto out;
	}
	if (scratch_phys + scratch_len < scratch_phys ||
	    !kho_arch_is_ram(scratch_phys, scratch_len)) {
		reason = "scratch array not in RAM";
		goto out;
	}

	fdt = early_memremap(fdt_phys, fdt_len);
	if (!fdt) {
		reason = "cannot map the FDT";
		goto out;
	}
	if (fdt_check_header(fdt) || fdt_totalsize(fdt) > fdt_len) {
		reason = "invalid FDT";
		goto out;
	}
	if (fdt_node_check_compatible(fdt, 0, KHO_FDT_COMPATIBLE)) {
		reason = "unknown FDT compatible";
		goto out;
	}
	prop = fdt_getprop(fdt, 0, KHO_FDT_MEMORY_MAP_PROP_NAME, &len);
	if (!prop || len != sizeof(u64)) {
		reason = "no preserved-memory map";
		goto out;
	}
	mem_map = get_unaligned((const u64 *)prop);
	if (!mem_map || !PAGE_ALIGNED(mem_map)) {
		reason = "invalid preserved-memory map";
		goto out;
	}

	scratch = early_memremap(scratch_phys, scratch_len);
	if (!scratch) {
		reason = "cannot map the scratch array";
		goto out;
	}
	cnt = scratch_len / sizeof(*scratch);
	reason = kho_scratch_check(scratch, cnt);
	if (reason)
		goto out;

	/*
	 * Checked: now commit. memblock may not know the areas as memory
	 * yet (x86 adds RAM to memblock only later); add what it does not
	 * know, and undo exactly that if a later step fails.
	 */
	for (i = 0; i < cnt; i++) {
		phys_addr_t addr = scratch[i].addr, size = scratch[i].size;

		added[i] = !memblock_is_region_memory(addr, size);
		if (added[i] && memblock_add(addr, size)) {
			added[i] = false;
			reason = "cannot add the scratch areas";
			goto err_undo;
		}
		if (memblock_mark_kho_scratch(addr, size)) {
			reason = "cannot add the scratch areas";
			i++;
			goto err_undo;
		}
	}
	if (memblock_reserve(scratch_phys, scratch_len)) {
		reason = "cannot reserve the scratch array";
		goto err_undo;
	}

	memblock_set_kho_scratch_only();
	kho_in.fdt_phys = fdt_phys;
	kho_in.scratch_phys = scratch_phys;
	kho_in.scratch_cnt = cnt;
	kho_in.mem_map = mem_map;
	goto out;

err_undo:
	while (i--) {
		memblock_clear_kho_scratch(scratch[i].addr, scratch[i].size);
		if (added[i])
			memblock_remove(scratch[i].addr, scratch[i].size);
	}
out:
	if (scratch)
		early_memunmap(scratch, scratch_len);
	if (fdt)
		early_memunmap((void *)fdt, fdt_len);
	if (reason)
		pr_warn("%s, disabling KHO revival\n", reason);
	else
		pr_info("found kexec handover data\n");
}

/*
 * Whether a folio of @order has its struct pages in one piece, as a
 * compound page needs (prep_compound_page() and hugetlb index them from
 * the head): always, except with SPARSEMEM without SPARSEMEM_VMEMMAP,
 * where each memory section has its own memmap.
 */
static bool kho_memmap_contiguous(unsigned int order)
{
#if defined(CONFIG_SPARSEMEM) && !defined(CONFIG_SPARSEMEM_VMEMMAP)
	return order <= PFN_SECTION_SHIFT;
#else
	return true;
#endif
}

/**
 * kho_preserve_folio() - preserve a folio across kexec
 * @folio: the folio; it must not be in a scratch area.
 *
 * Records the folio so that the next kernel keeps its memory and can
 * restore it with kho_restore_folio(). The caller keeps its reference until
 * the kexec (or kho_unpreserve_folio()). No page of the folio may be
 * preserved already, whether as this folio, inside a larger preserved
 * block (kho_preserve_pages() over it) or as a smaller block inside it.
 *
 * Context: may sleep.
 * Return: 0 on success;
 * -EOPNOTSUPP if KHO is disabled, or for a gigantic folio whose struct
 * pages are not in one piece (SPARSEMEM without SPARSEMEM_VMEMMAP);
 * -EAGAIN if KHO is not set up yet (before fs_initcall);
 * -EINVAL if the folio is inside a scratch area, or its order is above
 * %MAX_PAGE_ORDER and it is not a hugetlb folio (only hugetlb can take a
 * gigantic folio back, with kho_restore_hugetlb_folio());
 * -ENXIO if the folio is in memory hot-added since boot, which the next
 * kernel does not find at boot;
 * -EEXIST if a page of the folio is already preserved (nothing changes);
 * -ENOMEM if the tracker could not grow.
 */
int kho_preserve_folio(struct folio *folio)
{
	unsigned int order = folio_order(folio);
	unsigned long pfn;
	int err;

	err = kho_out_check();
	if (err)
		return err;
	if (order > MAX_PAGE_ORDER && !folio_test_hugetlb(folio))
		return -EINVAL;
	if (!kho_memmap_contiguous(order))
		return -EOPNOTSUPP;
	pfn = folio_pfn(folio);
	err = kho_preservable(pfn, folio_nr_pages(folio));
	if (err)
		return err;
	return kho_radix_add(&kho_out.tree, pfn, order);
}
EXPORT_SYMBOL_GPL(kho_preserve_folio);

/**
 * kho_unpreserve_folio() - stop preserving a folio
 * @folio: a folio preserved with kho_preserve_folio().
 *
 * Does nothing if KHO is disabled or not set up yet.
 *
 * Context: may sleep.
 */
void kho_unpreserve_folio(struct folio *folio)
{
	if (kho_out_check())
		return;
	WARN_ON_ONCE(kho_radix_remove(&kho_out.tree, folio_pfn(folio),
				      folio_order(folio)));
}
EXPORT_SYMBOL_GPL(kho_unpreserve_folio);

/**
 * kho_preserve_folios() - preserve many folios at once
 * @folios: the folios.
 * @nr: the number of folios.
 *
 * kho_preserve_folio() for each folio, all or nothing, at a fraction of
 * the cost for the folios of a file: the tracker is locked once, and
 * folios next to each other share the path to their leaf.
 *
 * Context: may sleep.
 * Return: 0, or the error kho_preserve_folio() gives for the first folio
 * that fails; none of the folios is preserved then.
 */
int kho_preserve_folios(struct folio **folios, unsigned int nr)
{
	unsigned int i;
	int err;

	err = kho_out_check();
	if (err)
		return err;
	for (i = 0; i < nr; i++) {
		if (folio_order(folios[i]) > MAX_PAGE_ORDER)
			return -EINVAL;
		err = kho_preservable(folio_pfn(folios[i]),
				      folio_nr_pages(folios[i]));
		if (err)
			return err;
	}
	return kho_radix_add_folios(&kho_out.tree, folios, nr);
}
EXPORT_SYMBOL_GPL(kho_preserve_folios);

/**
 * kho_unpreserve_folios() - stop preserving many folios at once
 * @folios: the folios, each preserved with kho_preserve_folio() or
 *          kho_preserve_folios().
 * @nr: the number of folios.
 *
 * Does nothing if KHO is disabled or not set up yet.
 *
 * Context: may sleep.
 */
void kho_unpreserve_folios(struct folio **folios, unsigned int nr)
{
	if (kho_out_check())
		return;
	kho_radix_remove_folios(&kho_out.tree, folios, nr);
}
EXPORT_SYMBOL_GPL(kho_unpreserve_folios);

/*
 * The order of the block that starts at @pfn when preserving the @nr pages
 * from @pfn on: naturally aligned, no larger than what is left, and within
 * one NUMA node.
 */
static unsigned int kho_block_order(unsigned long pfn, unsigned long nr)
{
	unsigned int order = min_t(unsigned int, pfn ? __ffs(pfn) : BITS_PER_LONG,
				   ilog2(nr));

	while (order && pfn_to_nid(pfn) != pfn_to_nid(pfn + (1UL << order) - 1))
		order--;
	return order;
}

/**
 * kho_preserve_pages() - preserve a range of order-0 pages across kexec
 * @page: the first page.
 * @nr_pages: number of contiguous pages.
 *
 * The range is recorded as naturally aligned blocks. The next kernel gets
 * the pages back, as order-0 pages, with kho_restore_pages() on exactly the
 * same range. No page of the range may be preserved already (as a folio or
 * as part of another range). All or nothing: when a block fails, the blocks
 * this call recorded before it are taken back.
 *
 * Context: may sleep.
 * Return: 0 on success, -EINVAL if @nr_pages is 0, or the errors of
 * kho_preserve_folio(), among them -EEXIST if a page of the range is
 * already preserved; on failure nothing of the range is preserved.
 */
int kho_preserve_pages(struct page *page, unsigned long nr_pages)
{
	unsigned long start = page_to_pfn(page), end = start + nr_pages;
	unsigned long pfn = start, failed;
	unsigned int order;
	int err;

	err = kho_out_check();
	if (err)
		return err;
	if (!nr_pages)
		return -EINVAL;
	err = kho_preservable(start, nr_pages);
	if (err)
		return err;

	while (pfn < end) {
		order = kho_block_order(pfn, end - pfn);
		err = kho_radix_add(&kho_out.tree, pfn, order);
		if (err)
			goto err_unpreserve;
		pfn += 1UL << order;
	}
	return 0;

err_unpreserve:
	/* The same blocks as above (same @end), up to the one that failed. */
	failed = pfn;
	for (pfn = start; pfn < failed; pfn += 1UL << order) {
		order = kho_block_order(pfn, end - pfn);
		WARN_ON_ONCE(kho_radix_remove(&kho_out.tree, pfn, order));
	}
	return err;
}
EXPORT_SYMBOL_GPL(kho_preserve_pages);

/**
 * kho_unpreserve_pages() - stop preserving a range of pages
 * @page: the first page, as given to kho_preserve_pages().
 * @nr_pages: the number of pages, as given to kho_preserve_pages().
 *
 * Does nothing if KHO is disabled or not set up yet.
 *
 * Context: may sleep.
 */
void kho_unpreserve_pages(struct page *page, unsigned long nr_pages)
{
	unsigned long pfn = page_to_pfn(page), end = pfn + nr_pages;
	unsigned int order;

	if (kho_out_check())
		return;
	for (; pfn < end; pfn += 1UL << order) {
		order = kho_block_order(pfn, end - pfn);
		WARN_ON_ONCE(kho_radix_remove(&kho_out.tree, pfn, order));
	}
}
EXPORT_SYMBOL_GPL(kho_unpreserve_pages);

/*
 * A zeroed folio in memory the next kernel finds at boot, for everything
 * KHO hands over itself (tracker nodes, the root FDT, kho_alloc_preserve()).
 * Memory hot-added since boot and onlined for kernel allocations may come
 * first on the free lists: set such folios aside and try again, a few
 * times. Returns the folio, ERR_PTR(-ENOMEM) or ERR_PTR(-ENXIO).
 */
struct folio *kho_alloc_boot_folio(unsigned int order)
{
	struct folio *folio, *tmp, *next;
	LIST_HEAD(hotplugged);
	int tries;

	for (tries = 0; tries < 16; tries++) {
		folio = folio_alloc(GFP_KERNEL | __GFP_ZERO, order);
		if (!folio || kho_boot_memory(folio_pfn(folio), folio_nr_pages(folio)))
			break;
		list_add(&folio->lru, &hotplugged);
		folio = NULL;
	}
	list_for_each_entry_safe(tmp, next, &hotplugged, lru) {
		list_del(&tmp->lru);
		folio_put(tmp);
	}
	if (!folio)
		return ERR_PTR(tries == 16 ? -ENXIO : -ENOMEM);
	return folio;
}

/**
 * kho_alloc_preserve() - allocate zeroed memory and preserve it
 * @size: bytes needed; rounded up to a power-of-two number of pages.
 *
 * For serialized state that the next kernel reads: pass its physical
 * address in a subtree or in other preserved memory.
 *
 * Context: may sleep.
 * Return: the memory, or ERR_PTR(-EINVAL) if @size is 0, ERR_PTR(-E2BIG)
 * if it is larger than the largest buddy block, ERR_PTR(-ENOMEM), or the
 * error of kho_preserve_folio().
 */
void *kho_alloc_preserve(size_t size)
{
	struct folio *folio;
	unsigned int order;
	int err;

	if (!size)
		return ERR_PTR(-EINVAL);
	order = get_order(size);
	if (order > MAX_PAGE_ORDER)
		return ERR_PTR(-E2BIG);

	folio = kho_alloc_boot_folio(order);
	if (IS_ERR(folio))
		return folio;
	err = kho_preserve_folio(folio);
	if (err) {
		folio_put(folio);
		return ERR_PTR(err);
	}
	kho_fuzz_record(folio_address(folio), order, __builtin_return_address(0));
	return folio_address(folio);
}
EXPORT_SYMBOL_GPL(kho_alloc_preserve);

/**
 * kho_unpreserve_free() - unpreserve and free kho_alloc_preserve() memory
 * @mem: what kho_alloc_preserve() returned, or NULL.
 *
 * Context: may sleep.
 */
void kho_unpreserve_free(void *mem)
{
	struct folio *folio;

	if (!mem)
		return;
	kho_fuzz_forget(mem);
	folio = virt_to_folio(mem);
	kho_unpreserve_folio(folio);
	folio_put(folio);
}
EXPORT_SYMBOL_GPL(kho_unpreserve_free);

/*
 * Restoring a block checks and claims its head under this lock, so that two
 * restores of one address (damaged handover data may name a block twice,
 * from two sessions) cannot both get it.
 */
static DEFINE_SPINLOCK(kho_restore_lock);

/* The order recorded in the page of @pfn if it heads an incoming block, else -1. */
static int kho_incoming_order(unsigned long pfn)
{
	struct page *page = pfn_to_online_page(pfn);
	unsigned long info;

	if (!page || !kho_defer_ready(pfn))
		return -1;
	info = page_private(page);
	if (info >> 32 != KHO_PAGE_MAGIC)
		return -1;
	return info & U32_MAX;
}

/* What kho_init_block() makes of an incoming block. */
enum kho_block_kind {
	KHO_BLOCK_PAGES,	/* order-0 pages, one reference each */
	KHO_BLOCK_FOLIO,	/* a folio with one reference */
	KHO_BLOCK_FROZEN,	/* a folio with no reference (refcount frozen) */
};

/*
 * Turn a reserved incoming block into live pages: a folio or order-0 pages.
 *
 * A folio's tails are set up in the pass that sets their counts, instead
 * of a second pass of prep_compound_page(): a 1 GiB page has 262,144
 * struct pages (16 MiB), and walking them twice was about half of the time
 * its retrieve took. The struct pages of a folio are contiguous
 * (prep_compound_page() relies on that too; for a gigantic folio the
 * caller checked kho_memmap_contiguous()); only a block of a page range may
 * span memory sections.
 */
static void kho_init_block(struct page *page, unsigned int order,
			   enum kho_block_kind kind)
{
	unsigned long i, nr = 1UL << order;

	set_page_private(page, 0);
	if (kind == KHO_BLOCK_PAGES) {
		for (i = 0; i < nr; i++) {
			struct page *p = nth_page(page, i);

			set_page_count(p, 1);
			clear_page_tag_ref(p);
		}
		adjust_managed_page_count(page, nr);
		return;
	}

	set_page_count(page, kind == KHO_BLOCK_FOLIO);
	clear_page_tag_ref(page);
	if (order)
		__folio_set_head((struct folio *)page);
	for (i = 1; i < nr; i++) {
		set_page_count(page + i, 0);
		clear_page_tag_ref(page + i);
		prep_compound_tail(page, i);
	}
	if (order)
		prep_compound_head(page, order);
	adjust_managed_page_count(page, nr);
}

/**
 * kho_preserved_order() - the order of an incoming block, found by its head
 * @phys: physical address to check.
 *
 * The strict check for addresses found in handover data: @phys must be the
 * first byte of a block the previous kernel preserved (kho_preserve_folio(),
 * kho_alloc_preserve(), or the start of a block of kho_preserve_pages())
 * that is not restored yet. An address inside a block, a tail page of a
 * folio, or memory that was not preserved does not count. Compare the
 * result with the order the caller expects before restoring a folio.
 *
 * Context: any.
 * Return: the order of the block that starts at @phys, or -ENOENT (also if
 * this is not a KHO boot or @phys is not page aligned).
 */
int kho_preserved_order(phys_addr_t phys)
{
	int order;

	if (!is_kho_boot() || !PAGE_ALIGNED(phys))
		return -ENOENT;
	order = kho_incoming_order(PHYS_PFN(phys));
	return order < 0 ? -ENOENT : order;
}
EXPORT_SYMBOL_GPL(kho_preserved_order);

/**
 * kho_restore_folio() - take back a folio preserved by the previous kernel
 * @phys: physical address of the folio, as preserved.
 *
 * Fails without changing anything (and at most a rate-limited log line,
 * never a warning) if @phys is not the head of an incoming block of at most
 * %MAX_PAGE_ORDER (kho_preserved_order()), so it may be given an address
 * from handover data.
 *
 * Context: may sleep.
 * Return: the folio, with one reference, or NULL if no folio was preserved
 * at @phys (including an address inside a block) or it was already
 * restored.
 */
struct folio *kho_restore_folio(phys_addr_t phys)
{
	struct page *page;
	int order;

	page = pfn_to_page(PHYS_PFN(phys));
	scoped_guard(spinlock, &kho_restore_lock) {
		order = kho_preserved_order(phys);
		if (order >= 0 && order <= MAX_PAGE_ORDER)
			set_page_private(page, 0);	/* claimed */
	}
	if (order < 0 || order > MAX_PAGE_ORDER) {
		pr_warn_ratelimited("no preserved folio at %pa\n", &phys);
		return NULL;
	}
	kho_init_block(page, order, KHO_BLOCK_FOLIO);
	return page_folio(page);
}
EXPORT_SYMBOL_GPL(kho_restore_folio);

/**
 * kho_restore_hugetlb_folio() - take back a hugetlb page, frozen
 * @phys: physical address of the page, as preserved.
 * @order: the order of the page (huge_page_order() of its hstate).
 *
 * For hugetlb only, and the only way back for a gigantic page (above
 * %MAX_PAGE_ORDER). The folio comes back with a reference count of 0
 * (frozen), so that no folio_put() can hand it to the page allocator: the
 * caller makes it a page of its hugetlb pool before anyone else sees it,
 * and hugetlb frees it from there as it frees its other gigantic pages.
 *
 * Fails without changing anything (and at most a rate-limited log line,
 * never a warning) unless @phys is the head of an incoming block of order
 * @order (kho_preserved_order()), so it may be given an address from
 * handover data. Also fails for an order whose struct pages are not in one
 * piece (SPARSEMEM without SPARSEMEM_VMEMMAP), which kho_preserve_folio()
 * refuses.
 *
 * Context: may sleep.
 * Return: the folio, frozen, or NULL if no block of @order was preserved at
 * @phys (including an address inside a block) or it was already restored.
 */
struct folio *kho_restore_hugetlb_folio(phys_addr_t phys, unsigned int order)
{
	struct page *page = NULL;

	scoped_guard(spinlock, &kho_restore_lock) {
		/* Checked before its struct page is looked at. */
		if (order && kho_memmap_contiguous(order) &&
		    kho_preserved_order(phys) == order) {
			page = pfn_to_page(PHYS_PFN(phys));
			set_page_private(page, 0);	/* claimed */
		}
	}
	if (!page) {
		pr_warn_ratelimited("no preserved huge page of order %u at %pa\n",
				    order, &phys);
		return NULL;
	}
	kho_init_block(page, order, KHO_BLOCK_FROZEN);
	return page_folio(page);
}
EXPORT_SYMBOL_GPL(kho_restore_hugetlb_folio);

/**
 * kho_pages_restorable() - whether kho_restore_pages() would succeed
 * @phys: physical address of the first page.
 * @nr_pages: number of pages.
 *
 * Stricter than kho_is_preserved(): the range must start at the head of an
 * incoming block and consist of whole incoming blocks, as a range
 * preserved with kho_preserve_pages() (or an order-0 folio, for
 * @nr_pages == 1) does. It logs nothing, so it can validate untrusted
 * handover data.
 *
 * Return: true if kho_restore_pages(@phys, @nr_pages) would succeed.
 */
bool kho_pages_restorable(phys_addr_t phys, unsigned long nr_pages)
{
	unsigned long start = PHYS_PFN(phys), end = start + nr_pages, pfn;
	int order;

	if (!is_kho_boot() || !PAGE_ALIGNED(phys) || !nr_pages || end < start)
		return false;
	for (pfn = start; pfn < end; pfn += 1UL << order) {
		order = kho_incoming_order(pfn);
		if (order < 0 || (1UL << order) > end - pfn)
			return false;
	}
	return true;
}
EXPORT_SYMBOL_GPL(kho_pages_restorable);

/**
 * kho_restore_pages() - take back pages preserved by the previous kernel
 * @phys: physical address of the first page, as given to
 *        kho_preserve_pages().
 * @nr_pages: the number of pages, as given to kho_preserve_pages().
 *
 * Context: may sleep.
 * Return: the first page, every page of the range with one reference, or
 * NULL (and nothing restored; at most a rate-limited log line) if the range
 * was not preserved this way.
 */
struct page *kho_restore_pages(phys_addr_t phys, unsigned long nr_pages)
{
	unsigned long start = PHYS_PFN(phys), end = start + nr_pages, pfn;
	int order;

	bool ok;

	/* Check the whole range first, and claim it: all or nothing. */
	scoped_guard(spinlock, &kho_restore_lock) {
		ok = kho_pages_restorable(phys, nr_pages);
		for (pfn = start; ok && pfn < end; pfn += 1UL << order) {
			order = kho_incoming_order(pfn);
			set_page_private(pfn_to_page(pfn),
					 (unsigned long)KHO_CLAIMED_MAGIC << 32 | order);
		}
	}
	if (!ok) {
		pr_warn_ratelimited("no preserved pages at %pa (%lu pages)\n",
				    &phys, nr_pages);
		return NULL;
	}
	for (pfn = start; pfn < end; pfn += 1UL << order) {
		order = page_private(pfn_to_page(pfn)) & U32_MAX;
		kho_init_block(pfn_to_page(pfn), order, KHO_BLOCK_PAGES);
	}
	return pfn_to_page(start);
}
EXPORT_SYMBOL_GPL(kho_restore_pages);

/**
 * kho_keep_reserved() - keep preserved pages as boot-reserved memory
 * @phys: physical address of the first page, as given to
 *        kho_preserve_pages().
 * @nr_pages: the number of pages, as given to kho_preserve_pages().
 *
 * For early boot code that takes over memory the previous kernel preserved
 * and uses it as it would use memory it reserved with memblock (the range
 * of a reserve_mem= region): the pages stay reserved for the rest of the
 * boot, never reach the page allocator, and can no longer be restored. The
 * caller decides how memblock_free_all() sets up their struct pages (KHO
 * reserved them %MEMBLOCK_RSRV_NOINIT). The range is checked as
 * kho_restore_pages() checks it, so it may come from handover data.
 *
 * Context: early boot, after kho_memory_init() and before
 * memblock_free_all().
 * Return: true if the range was taken over, false (nothing changed) if it
 * is not whole preserved blocks.
 */
bool __init kho_keep_reserved(phys_addr_t phys, unsigned long nr_pages)
{
	unsigned long start = PHYS_PFN(phys), end = start + nr_pages, pfn;
	int order;

	guard(spinlock)(&kho_restore_lock);
	if (!kho_pages_restorable(phys, nr_pages))
		return false;
	for (pfn = start; pfn < end; pfn += 1UL << order) {
		order = kho_incoming_order(pfn);
		set_page_private(pfn_to_page(pfn), 0);
	}
	return true;
}

/**
 * kho_restore_free() - free kho_alloc_preserve() memory of the previous kernel
 * @mem: the memory (the previous kernel's physical address, mapped), or NULL.
 *
 * Does nothing (see kho_restore_folio()) if @mem is not the start of a
 * preserved block. Before page_alloc_init_late() (early_initcall) the
 * memory is only taken back: it is freed once deferred struct page init has
 * run, as freeing it earlier would read uninitialised struct pages.
 *
 * Context: may sleep.
 */
void kho_restore_free(void *mem)
{
	struct folio *folio;

	if (!mem)
		return;
	folio = kho_restore_folio(__pa(mem));
	if (folio && !kho_defer_free_folio(folio))
		folio_put(folio);
}
EXPORT_SYMBOL_GPL(kho_restore_free);

/**
 * kho_is_preserved() - whether memory was preserved by the previous kernel
 * @phys: physical address of the first page.
 * @nr_pages: number of pages.
 *
 * Use it to validate every address found in handover data before
 * dereferencing it: it is true only if every page of the range belongs to a
 * block the previous kernel preserved that is not restored yet. The range
 * may start inside a block: before restoring a folio or a block found by
 * its address, check with kho_preserved_order() that it is a block's head.
 *
 * Return: true if the whole range is preserved, false otherwise or if this
 * is not a KHO boot.
 */
bool kho_is_preserved(phys_addr_t phys, unsigned long nr_pages)
{
	unsigned long pfn = PHYS_PFN(phys), end = pfn + nr_pages;

	if (!is_kho_boot() || !PAGE_ALIGNED(phys) || !nr_pages || end < pfn)
		return false;

	while (pfn < end) {
		unsigned long head = pfn;
		unsigned int o;
		int order = -1;

		/* The block holding pfn starts at pfn aligned to its order. */
		for (o = 0; o < BITS_PER_LONG - PAGE_SHIFT; o++) {
			head = pfn & ~((1UL << o) - 1);
			order = kho_incoming_order(head);
			if (order >= (int)o)
				break;
		}
		if (order < (int)o)
			return false;
		pfn = head + (1UL << order);
	}
	return true;
}
EXPORT_SYMBOL_GPL(kho_is_preserved);

/* Turn libfdt errors into errnos: only running out of room is -ENOMEM. */
static int kho_fdt_errno(int fdt_err)
{
	return fdt_err == -FDT_ERR_NOSPACE ? -ENOMEM : -EINVAL;
}

/**
 * kho_add_subtree() - hand a named blob over to the next kernel
 * @name: the name the next kernel looks it up by; unique.
 * @blob: the blob, in memory the caller preserved (kho_alloc_preserve()).
 * @size: meaningful length of the blob in bytes.
 *
 * Context: may sleep; takes the lock that kho_finalize() takes.
 * Return: 0 on success;
 * -EOPNOTSUPP if KHO is disabled;
 * -EAGAIN if KHO is not set up yet (before fs_initcall);
 * -EBUSY if the kexec jump has begun (kho_finalize());
 * -EEXIST if a subtree called @name exists;
 * -ENOMEM if the one-page root FDT has no room left;
 * -EINVAL for any other failure (e.g. an invalid name). Nothing is added
 * on failure.
 */
int kho_add_subtree(const char *name, void *blob, size_t size)
{
	u64 phys = virt_to_phys(blob), len = size;
	int off, err;
	void *fdt;

	err = kho_out_check();
	if (err)
		return err;
	fdt = kho_out.fdt;

	guard(mutex)(&kho_out.lock);
	if (kho_out.finalized)
		return -EBUSY;
	err = fdt_open_into(fdt, fdt, PAGE_SIZE);
	if (err)
		return -EINVAL;
	if (fdt_subnode_offset(fdt, 0, name) >= 0) {
		err = -EEXIST;
		goto out_pack;
	}
	off = fdt_add_subnode(fdt, 0, name);
	if (off < 0) {
		err = kho_fdt_errno(off);
		goto out_pack;
	}
	err = fdt_setprop(fdt, off, KHO_FDT_SUB_TREE_PROP_NAME, &phys, sizeof(phys));
	if (!err)
		err = fdt_setprop(fdt, off, KHO_FDT_SUB_TREE_SIZE_PROP_NAME, &len,
				  sizeof(len));
	if (err) {
		fdt_del_node(fdt, off);
		err = kho_fdt_errno(err);
	}
out_pack:
	fdt_pack(fdt);
	if (!err)
		kho_debugfs_add_subtree(name, blob, size);
	return err;
}
EXPORT_SYMBOL_GPL(kho_add_subtree);

/**
 * kho_remove_subtree() - stop handing a blob over
 * @blob: the blob given to kho_add_subtree().
 *
 * Removes the first subtree whose blob is @blob; nothing if there is none.
 * Once the kexec jump has begun nothing is removed: the caller must then
 * keep the blob (the next kernel may read it).
 *
 * Context: may sleep; takes the lock that kho_finalize() takes.
 * Return: 0 (also if there was no such subtree, or KHO is disabled or not
 * set up yet), or -EBUSY if the kexec jump has begun.
 */
int kho_remove_subtree(void *blob)
{
	u64 phys = virt_to_phys(blob);
	const void *prop;
	int off, len;
	void *fdt;

	if (kho_out_check())
		return 0;
	fdt = kho_out.fdt;

	guard(mutex)(&kho_out.lock);
	if (kho_out.finalized)
		return -EBUSY;
	if (fdt_open_into(fdt, fdt, PAGE_SIZE))
		return 0;
	fdt_for_each_subnode(off, fdt, 0) {
		prop = fdt_getprop(fdt, off, KHO_FDT_SUB_TREE_PROP_NAME, &len);
		if (prop && len == sizeof(phys) &&
		    get_unaligned((const u64 *)prop) == phys) {
			kho_debugfs_remove_subtree(fdt_get_name(fdt, off, NULL));
			fdt_del_node(fdt, off);
			break;
		}
	}
	fdt_pack(fdt);
	return 0;
}
EXPORT_SYMBOL_GPL(kho_remove_subtree);

/*
 * kho_finalize() - freeze the outgoing root FDT for the kexec jump
 *
 * Runs as a reboot notifier, from kernel_restart_prepare() in kernel_kexec()
 * (and on any other reboot, where it does no harm), while the other CPUs
 * still run: it waits for a subtree change in progress and makes every
 * later one fail, so the FDT the next kernel reads is never half edited.
 * A kexec jump with preserve_context hands nothing over and does not come
 * here.
 */
static int kho_finalize(struct notifier_block *nb, unsigned long action,
			void *data)
{
	guard(mutex)(&kho_out.lock);
	kho_out.finalized = true;
	return NOTIFY_DONE;
}

/* First of the reboot notifiers: others must not edit the FDT either. */
static struct notifier_block kho_reboot_nb = {
	.notifier_call = kho_finalize,
	.priority = INT_MAX,
};

/**
 * kho_retrieve_subtree() - find a blob the previous kernel handed over
 * @name: its name.
 * @phys: set to the physical address of the blob.
 * @size: if not NULL, set to the length of the blob.
 *
 * Only the location is returned: the caller validates the contents and
 * restores the memory when done with it (e.g. kho_restore_free()).
 *
 * Context: may sleep (debugfs keeps a copy of the blob, see
 * kexec_handover_debugfs.c); also early boot, after kho_memory_init().
 * Return: 0 on success;
 * -ENOENT if this is not a KHO boot or there is no subtree @name;
 * -EINVAL if @phys is NULL or the subtree's properties are malformed.
 */
int kho_retrieve_subtree(const char *name, phys_addr_t *phys, size_t *size)
{
	const void *fdt, *data, *len;
	int off, data_len, len_len;

	if (!is_kho_boot())
		return -ENOENT;
	if (!phys)
		return -EINVAL;

	fdt = phys_to_virt(kho_in.fdt_phys);
	off = fdt_subnode_offset(fdt, 0, name);
	if (off < 0)
		return -ENOENT;

	data = fdt_getprop(fdt, off, KHO_FDT_SUB_TREE_PROP_NAME, &data_len);
	len = fdt_getprop(fdt, off, KHO_FDT_SUB_TREE_SIZE_PROP_NAME, &len_len);
	if (!data || data_len != sizeof(u64) || !len || len_len != sizeof(u64)) {
		pr_warn("subtree '%s' has malformed properties\n", name);
		return -EINVAL;
	}
	*phys = get_unaligned((const u64 *)data);
	if (size)
		*size = get_unaligned((const u64 *)len);
	/*
	 * Before the caller restores it: debugfs keeps showing the blob.
	 * Early boot callers come before kho_init(), which records them all.
	 */
	if (slab_is_available())
		kho_debugfs_in_snapshot(name, *phys,
					get_unaligned((const u64 *)len));
	return 0;
}
EXPORT_SYMBOL_GPL(kho_retrieve_subtree);

/*
 * For tests that damage the handover on purpose (the KHO test module, the
 * fuzzer): bytes kho_fill_kimage() hands over in place of the scratch
 * array. One page allocated on first use and never freed, so an image being
 * loaded never reads freed memory. Protected by kho_out.lock.
 */
static void *kho_scratch_out_test;
static size_t kho_scratch_out_test_len;

/**
 * kho_scratch_out_get() - copy this kernel's scratch array
 * @buf: room for @max entries.
 * @max: number of entries @buf holds.
 *
 * Return: the number of scratch areas; at most @max of them are copied.
 */
unsigned int kho_scratch_out_get(struct kho_scratch *buf, unsigned int max)
{
	memcpy(buf, kho_scratch, sizeof(*buf) * min(max, kho_scratch_cnt));
	return kho_scratch_cnt;
}

/**
 * kho_scratch_out_set() - hand other bytes over as the scratch array
 * @buf: the bytes.
 * @len: their number, 1 to %PAGE_SIZE.
 *
 * For tests only: every later kexec_file_load() hands a copy of @buf to
 * the next kernel in place of the scratch array, which that kernel must
 * survive. The areas the image is placed in are not affected.
 *
 * Context: may sleep; takes kho_out.lock.
 * Return: 0; -EOPNOTSUPP if KHO is disabled; -EINVAL for a bad @len;
 * -ENOMEM.
 */
int kho_scratch_out_set(const void *buf, size_t len)
{
	if (!kho_enable)
		return -EOPNOTSUPP;
	if (!len || len > PAGE_SIZE)
		return -EINVAL;

	guard(mutex)(&kho_out.lock);
	if (!kho_scratch_out_test)
		kho_scratch_out_test = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!kho_scratch_out_test)
		return -ENOMEM;
	memcpy(kho_scratch_out_test, buf, len);
	kho_scratch_out_test_len = len;
	return 0;
}

/*
 * Where the memory of a kernel with command line @cmdline ends, from its
 * mem= options: x86 removes the memory above each of them, so the
 * smallest counts. Up to a "--", after which the arguments are for init;
 * quotes around an argument or its value are skipped as the kernel's own
 * parser does. 0 without a mem=.
 */
static phys_addr_t kho_cmdline_mem_limit(const char *cmdline)
{
	phys_addr_t limit = 0;
	const char *p = cmdline;

	while (*p) {
		const char *arg;
		size_t len;
		char *end;
		u64 val;

		p = skip_spaces(p);
		len = strcspn(p, " \t\n");
		arg = p;
		p += len;
		if (len == 2 && !strncmp(arg, "--", 2))
			break;
		if (*arg == '"')
			arg++;
		if (strncmp(arg, "mem=", 4))
			continue;
		arg += 4;
		if (*arg == '"')
			arg++;
		val = memparse(arg, &end);
		if (end != arg && val && (!limit || val < limit))
			limit = val;
	}
	return limit;
}

/*
 * Whether a next kernel whose memory ends at @limit can take the handover:
 * it boots from the scratch areas and must find every preserved block.
 */
static int kho_check_mem_limit(phys_addr_t limit)
{
	phys_addr_t end;
	unsigned int i;

	for (i = 0; i < kho_scratch_cnt; i++) {
		end = kho_scratch[i].addr + kho_scratch[i].size;
		if (end > limit) {
			pr_warn("not loading a kernel with mem=%pa: scratch memory up to %pa is above it, and that kernel would drop the handover\n",
				&limit, &end);
			return -EINVAL;
		}
	}
	if (kho_out_check())
		return 0;	/* nothing can be preserved */
	end = kho_radix_end(&kho_out.tree);	/* its nodes included */
	if (end > limit) {
		pr_warn("not loading a kernel with mem=%pa: memory up to %pa is preserved, and that kernel would drop the handover\n",
			&limit, &end);
		return -EINVAL;
	}
	return 0;
}

/**
 * kho_fill_kimage() - add the handover data to a kexec image
 * @image: the image being loaded by kexec_file_load().
 *
 * Records the root FDT and adds the scratch array as a segment. Called
 * before the architecture's image loader, which passes both on.
 *
 * A command line with a mem= below a scratch area or below preserved
 * memory (or the tracker that records it) is refused: that kernel would
 * drop the handover. Memory preserved after the load is not checked.
 *
 * Return: 0; -EINVAL for such a mem=; or the error of kexec_add_buffer().
 */
int kho_fill_kimage(struct kimage *image)
{
	struct kexec_buf scratch;
	phys_addr_t limit = 0;
	int err;

	if (!kho_enable || image->type == KEXEC_TYPE_CRASH)
		return 0;

	if (image->cmdline_buf)
		limit = kho_cmdline_mem_limit(image->cmdline_buf);
	if (limit) {
		err = kho_check_mem_limit(limit);
		if (err)
			return err;
	}

	image->kho.fdt = virt_to_phys(kho_out.fdt);
	scratch = (struct kexec_buf) {
		.image = image,
		.buffer = kho_scratch,
		.bufsz = sizeof(*kho_scratch) * kho_scratch_cnt,
		.mem = KEXEC_BUF_MEM_UNKNOWN,
		.buf_align = SZ_64K,
		.buf_max = ULONG_MAX,
		.top_down = true,
	};
	scoped_guard(mutex, &kho_out.lock) {
		if (kho_scratch_out_test_len) {
			scratch.buffer = kho_scratch_out_test;
			scratch.bufsz = kho_scratch_out_test_len;
		}
	}
	scratch.memsz = scratch.bufsz;
	err = kexec_add_buffer(&scratch);
	if (err)
		return err;
	image->kho.scratch = &image->segment[image->nr_segments - 1];
	return 0;
}

/**
 * kho_locate_mem_hole() - place a kexec segment inside scratch
 * @kbuf: the segment.
 * @func: the generic callback that tries to place @kbuf in a memory range.
 *
 * The next kernel boots from scratch only, so every segment must be there.
 *
 * Return: 1 if KHO does not apply (disabled, or a crash kernel); 0 when the
 * segment was placed; -EADDRNOTAVAIL if no scratch area has room.
 */
int kho_locate_mem_hole(struct kexec_buf *kbuf,
			int (*func)(struct resource *, void *))
{
	unsigned int i;

	if (!kho_enable || kbuf->image->type == KEXEC_TYPE_CRASH)
		return 1;

	/* The low area last: the next kernel may need its low memory. */
	for (i = kho_scratch_cnt; i--; ) {
		struct resource res = DEFINE_RES_MEM(kho_scratch[i].addr,
						     kho_scratch[i].size);

		if (func(&res, kbuf) == 1)
			return 0;
	}
	return -EADDRNOTAVAIL;
}

/**
 * kho_out_fdt() - the outgoing root FDT
 *
 * For the KHO test module, which damages it on purpose.
 *
 * Return: the root FDT page, or NULL if KHO is not set up.
 */
void *kho_out_fdt(void)
{
	return kho_out.fdt;
}

/**
 * kho_out_fdt_copy() - copy the outgoing root FDT
 * @buf: a buffer of %PAGE_SIZE bytes.
 *
 * For debugfs: the copy is taken under the lock that subtree changes take,
 * so it is never a half-edited FDT.
 *
 * Context: may sleep; takes kho_out.lock.
 */
void kho_out_fdt_copy(void *buf)
{
	guard(mutex)(&kho_out.lock);
	memcpy(buf, kho_out.fdt, PAGE_SIZE);
}

static int __init kho_build_fdt(void *fdt)
{
	u64 mem_map = virt_to_phys(kho_out.tree.root);
	int err;

	err = fdt_create(fdt, PAGE_SIZE);
	err = err ?: fdt_finish_reservemap(fdt);
	err = err ?: fdt_begin_node(fdt, "");
	err = err ?: fdt_property_string(fdt, "compatible", KHO_FDT_COMPATIBLE);
	err = err ?: fdt_property(fdt, KHO_FDT_MEMORY_MAP_PROP_NAME, &mem_map,
				  sizeof(mem_map));
	err = err ?: fdt_end_node(fdt);
	err = err ?: fdt_finish(fdt);
	return err ? -EINVAL : 0;
}

/* Cold boot: hand the reserved scratch areas to the buddy allocator as CMA. */
static void __init kho_scratch_release_cma(void)
{
	unsigned long pfn, end;
	unsigned int i;

	for (i = 0; i < kho_scratch_cnt; i++) {
		kmemleak_ignore_phys(kho_scratch[i].addr);
		pfn = PHYS_PFN(kho_scratch[i].addr);
		end = PHYS_PFN(kho_scratch[i].addr + kho_scratch[i].size);
		for (; pfn < end; pfn += pageblock_nr_pages)
			init_cma_reserved_pageblock(pfn_to_page(pfn));
	}
}

/* Cold boot, KHO failed to start: give the scratch areas back as RAM. */
static void __init kho_scratch_release(void)
{
	unsigned long pfn, end;
	unsigned int i;

	for (i = 0; i < kho_scratch_cnt; i++) {
		pfn = PHYS_PFN(kho_scratch[i].addr);
		end = PHYS_PFN(kho_scratch[i].addr + kho_scratch[i].size);
		for (; pfn < end; pfn++)
			free_reserved_page(pfn_to_page(pfn));
	}
	kho_scratch_cnt = 0;
}

static int __init kho_init(void)
{
	struct folio *folio;
	void *fdt;
	int err;

	if (!kho_enable)
		return 0;

	err = kho_radix_init(&kho_out.tree);
	if (err)
		goto err_disable;

	/*
	 * The root FDT is preserved like kho_alloc_preserve() memory, but
	 * directly in the tracker: the entry points refuse to work until
	 * @ready is set below.
	 */
	folio = kho_alloc_boot_folio(0);
	if (IS_ERR(folio)) {
		err = PTR_ERR(folio);
		goto err_destroy_tree;
	}
	fdt = folio_address(folio);
	err = kho_build_fdt(fdt);
	if (err)
		goto err_put_fdt;
	err = kho_radix_add(&kho_out.tree, folio_pfn(folio), 0);
	if (err)
		goto err_put_fdt;
	err = register_reboot_notifier(&kho_reboot_nb);
	if (err)
		goto err_unpreserve_fdt;
	kho_out.fdt = fdt;
	/* Pairs with kho_out_check(): the tree and the FDT exist. */
	smp_store_release(&kho_out.ready, true);

	kho_debugfs_init(kho_scratch, kho_scratch_cnt,
			 is_kho_boot() ? phys_to_virt(kho_in.fdt_phys) : NULL);

	/* Read the incoming metadata, then add the outgoing one. */
	err = kho_metadata_init();
	if (err)
		goto err_debugfs;

	if (!kho_in.scratch_phys)
		kho_scratch_release_cma();
	return 0;

err_debugfs:
	/* Nothing else ran yet (an fs_initcall): no user saw @ready. */
	WRITE_ONCE(kho_out.ready, false);
	kho_debugfs_exit();
	kho_out.fdt = NULL;
	unregister_reboot_notifier(&kho_reboot_nb);
err_unpreserve_fdt:
	kho_radix_remove(&kho_out.tree, folio_pfn(folio), 0);
err_put_fdt:
	folio_put(folio);
err_destroy_tree:
	kho_radix_destroy(&kho_out.tree);
err_disable:
	pr_err("failed to set up (%pe), disabling kexec handover\n", ERR_PTR(err));
	if (!kho_in.scratch_phys)
		kho_scratch_release();
	kho_enable = false;
	return err;
}
fs_initcall(kho_init);
