// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: KHO handover fuzzer (test only)
 *
 * With %CONFIG_KEXEC_HANDOVER_FUZZ a test can damage the outgoing handover
 * data on purpose, to prove that the next kernel survives whatever it is
 * handed. Never enable it outside a test kernel.
 *
 * While the option is on, every page handed out by kho_alloc_preserve() is
 * recorded with its caller (kho_fuzz_record()), until kho_unpreserve_free()
 * forgets it again: that is all the metadata of KHO's users (block sets,
 * vmalloc chunks, LUO blob, FLB page, file handler headers...). As the last
 * step before the kexec jump, after LUO serialized its sessions,
 * kho_fuzz_damage() collects the targets:
 *
 * - the root FDT and every subtree blob it names;
 * - every table and leaf of the preserved-memory radix tree, found from
 *   the FDT;
 * - the scratch array segment of the loaded kexec image (only when asked
 *   for: purgatory refuses a damaged segment, see kho_fuzz_targets);
 * - every recorded metadata page;
 * - the folio records of every preserved memfd (the data of the vmalloc
 *   area its header describes).
 *
 * If the parameter ``kho_fuzz.seed`` (kernel command line, or
 * /sys/module/kho_fuzz/parameters/seed written before the reboot) is not
 * 0, a small PRNG seeded with it picks 1 to ``kho_fuzz.damages`` targets
 * (a class of the ``kho_fuzz.targets`` mask, then a target of the class)
 * and damages each: a flipped bit, a zeroed, random or off-by-a-bit word,
 * a word replaced by another target's address. Each damage is logged on
 * one line (seed, class, label, physical address, offset, old and new
 * value), so a failing seed replays with the same kernel and workload.
 */

#define pr_fmt(fmt) "KHO fuzz: " fmt

#include <linux/io.h>
#include <linux/kallsyms.h>
#include <linux/kexec.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/kexec_handover.h>
#include <linux/libfdt.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/prandom.h>
#include <linux/slab.h>
#include <linux/unaligned.h>
#include <linux/vmalloc.h>
#include <linux/xarray.h>

#ifdef CONFIG_LIVEUPDATE_MEMFD
#include <linux/kho/abi/memfd.h>
#endif

#include "kexec_handover_internal.h"

/* 0: do nothing. */
static ulong kho_fuzz_seed;
module_param_named(seed, kho_fuzz_seed, ulong, 0600);
MODULE_PARM_DESC(seed, "damage the handover data from this seed (0: off)");

static uint kho_fuzz_damages = 3;
module_param_named(damages, kho_fuzz_damages, uint, 0600);
MODULE_PARM_DESC(damages, "at most this many damages per seed");

enum kho_fuzz_class {
	KHO_FUZZ_FDT,
	KHO_FUZZ_SUBTREE,
	KHO_FUZZ_TABLE,
	KHO_FUZZ_LEAF,
	KHO_FUZZ_SCRATCH,
	KHO_FUZZ_META,
	KHO_FUZZ_MEMFD,
	KHO_FUZZ_NR_CLASSES,
};

/*
 * Not the scratch array by default: it is a segment of the loaded image,
 * and purgatory checks the SHA-256 digest of every segment before it jumps
 * to the next kernel, so damage to it stops the machine in purgatory (as
 * it should) without testing the next kernel. The kho_kexec_test scratch-*
 * variants hand damaged arrays over through the load path instead.
 */
static uint kho_fuzz_targets = ~0U & ~BIT(KHO_FUZZ_SCRATCH);
module_param_named(targets, kho_fuzz_targets, uint, 0600);
MODULE_PARM_DESC(targets, "mask of the target classes (bit n: class n; default: all but scratch)");

static const char * const kho_fuzz_class_name[KHO_FUZZ_NR_CLASSES] = {
	"fdt", "subtree", "tree-table", "tree-leaf", "scratch", "meta",
	"memfd-records",
};

/* A page of kho_alloc_preserve(), keyed by its PFN in kho_fuzz_pages. */
struct kho_fuzz_page {
	unsigned int order;
	void *caller;
};

static DEFINE_XARRAY(kho_fuzz_pages);

/**
 * kho_fuzz_record() - remember a metadata allocation
 * @mem: memory from kho_alloc_preserve().
 * @order: its order.
 * @caller: the caller of kho_alloc_preserve().
 *
 * Best effort: an allocation failure only makes the page no target.
 *
 * Context: may sleep.
 */
void kho_fuzz_record(void *mem, unsigned int order, void *caller)
{
	struct kho_fuzz_page *p = kmalloc(sizeof(*p), GFP_KERNEL), *old;

	if (!p)
		return;
	p->order = order;
	p->caller = caller;
	old = xa_store(&kho_fuzz_pages, PHYS_PFN(virt_to_phys(mem)), p,
		       GFP_KERNEL);
	if (xa_is_err(old)) {
		kfree(p);
		return;
	}
	kfree(old);
}

/**
 * kho_fuzz_forget() - forget a metadata allocation that is freed
 * @mem: memory given to kho_fuzz_record().
 */
void kho_fuzz_forget(void *mem)
{
	kfree(xa_erase(&kho_fuzz_pages, PHYS_PFN(virt_to_phys(mem))));
}

struct kho_fuzz_target {
	enum kho_fuzz_class class;
	char label[40];
	phys_addr_t phys;
	size_t size;
	void *mem;	/* mapping of @phys, or the kimage copy */
};

#define KHO_FUZZ_MAX_TARGETS	4096

struct kho_fuzz {
	struct rnd_state rnd;
	struct kho_fuzz_target *t;
	unsigned int nr;
	unsigned int per_class[KHO_FUZZ_NR_CLASSES];
};

static u32 kho_fuzz_rand(struct kho_fuzz *f, u32 n)
{
	return n ? prandom_u32_state(&f->rnd) % n : 0;
}

static u64 kho_fuzz_rand64(struct kho_fuzz *f)
{
	return (u64)prandom_u32_state(&f->rnd) << 32 | prandom_u32_state(&f->rnd);
}

static __printf(6, 7) void kho_fuzz_add(struct kho_fuzz *f, enum kho_fuzz_class class,
			 phys_addr_t phys, void *mem, size_t size,
			 const char *fmt, ...)
{
	struct kho_fuzz_target *t;
	va_list args;

	if (f->nr == KHO_FUZZ_MAX_TARGETS || !size ||
	    !(kho_fuzz_targets & BIT(class)))
		return;
	t = &f->t[f->nr++];
	t->class = class;
	t->phys = phys;
	t->mem = mem;
	t->size = size;
	va_start(args, fmt);
	vsnprintf(t->label, sizeof(t->label), fmt, args);
	va_end(args);
	f->per_class[class]++;
}

/* A physical address written by this kernel that points at RAM we may map. */
static void *kho_fuzz_va(u64 phys)
{
	if (!phys || !PAGE_ALIGNED(phys) || !pfn_valid(PHYS_PFN(phys)))
		return NULL;
	return phys_to_virt(phys);
}

static void kho_fuzz_walk_tree(struct kho_fuzz *f, u64 phys, unsigned int level)
{
	const struct kho_radix_table *table = kho_fuzz_va(phys);
	unsigned int i;

	if (!table)
		return;
	if (!level) {
		kho_fuzz_add(f, KHO_FUZZ_LEAF, phys, (void *)table, PAGE_SIZE,
			     "leaf");
		return;
	}
	kho_fuzz_add(f, KHO_FUZZ_TABLE, phys, (void *)table, PAGE_SIZE,
		     "level %u", level);
	for (i = 0; i < ARRAY_SIZE(table->child); i++) {
		if (table->child[i])
			kho_fuzz_walk_tree(f, table->child[i], level - 1);
	}
}

static void kho_fuzz_collect_fdt(struct kho_fuzz *f)
{
	void *fdt = kho_out_fdt();
	const void *prop;
	int off, len;

	if (!fdt || fdt_check_header(fdt))
		return;
	kho_fuzz_add(f, KHO_FUZZ_FDT, virt_to_phys(fdt), fdt,
		     fdt_totalsize(fdt), "root");

	prop = fdt_getprop(fdt, 0, KHO_FDT_MEMORY_MAP_PROP_NAME, &len);
	if (prop && len == sizeof(u64))
		kho_fuzz_walk_tree(f, get_unaligned((const u64 *)prop),
				   KHO_TREE_MAX_DEPTH - 1);

	fdt_for_each_subnode(off, fdt, 0) {
		const void *data, *size;
		u64 phys, sz;
		void *mem;

		data = fdt_getprop(fdt, off, KHO_FDT_SUB_TREE_PROP_NAME, &len);
		if (!data || len != sizeof(u64))
			continue;
		size = fdt_getprop(fdt, off, KHO_FDT_SUB_TREE_SIZE_PROP_NAME, &len);
		if (!size || len != sizeof(u64))
			continue;
		phys = get_unaligned((const u64 *)data);
		sz = min_t(u64, get_unaligned((const u64 *)size), PAGE_SIZE);
		mem = kho_fuzz_va(phys);
		if (mem)
			kho_fuzz_add(f, KHO_FUZZ_SUBTREE, phys, mem, sz, "%s",
				     fdt_get_name(fdt, off, NULL));
	}
}

/*
 * The scratch array was copied into the kexec image at load time: find the
 * image's page that will land at the segment's destination.
 */
static void kho_fuzz_collect_scratch(struct kho_fuzz *f)
{
	struct kimage *image = kexec_image;
	unsigned long dest = 0, entry, *ptr;
	struct kexec_segment *seg;

	if (!image || !image->kho.scratch)
		return;
	seg = image->kho.scratch;
	for (ptr = &image->head; (entry = *ptr) && !(entry & IND_DONE);
	     ptr = (entry & IND_INDIRECTION) ?
		   boot_phys_to_virt(entry & PAGE_MASK) : ptr + 1) {
		if (entry & IND_DESTINATION) {
			dest = entry & PAGE_MASK;
		} else if (entry & IND_SOURCE) {
			if (dest == (seg->mem & PAGE_MASK)) {
				kho_fuzz_add(f, KHO_FUZZ_SCRATCH, seg->mem,
					     boot_phys_to_virt(entry & PAGE_MASK) +
					     offset_in_page(seg->mem),
					     min_t(size_t, seg->bufsz,
						   PAGE_SIZE - offset_in_page(seg->mem)),
					     "array");
				return;
			}
			dest += PAGE_SIZE;
		}
	}
}

#ifdef CONFIG_LIVEUPDATE_MEMFD
/* The folio records of a memfd header: the runs of its vmalloc area. */
static void kho_fuzz_collect_memfd(struct kho_fuzz *f, struct memfd_luo_ser *ser)
{
	const struct kho_vmalloc_chunk *chunk;
	u64 pa = ser->folios.first.phys;
	unsigned int i, chunks = 0;

	while ((chunk = kho_fuzz_va(pa)) && chunks++ < 64) {
		for (i = 0; i < KHO_VMALLOC_SIZE && chunk->phys[i]; i++) {
			void *mem = kho_fuzz_va(chunk->phys[i]);

			if (mem)
				kho_fuzz_add(f, KHO_FUZZ_MEMFD, chunk->phys[i], mem,
					     PAGE_SIZE << ser->folios.order,
					     "%u folios", (unsigned int)ser->nr_folios);
		}
		pa = chunk->hdr.next.phys;
	}
}
#else
static void kho_fuzz_collect_memfd(struct kho_fuzz *f, void *ser) { }
#endif

static void kho_fuzz_collect_meta(struct kho_fuzz *f)
{
	struct kho_fuzz_page *p;
	unsigned long pfn;
	char name[KSYM_SYMBOL_LEN];

	xa_for_each(&kho_fuzz_pages, pfn, p) {
		void *mem = pfn_to_kaddr(pfn);

		snprintf(name, sizeof(name), "%ps", p->caller);
		kho_fuzz_add(f, KHO_FUZZ_META, PFN_PHYS(pfn), mem,
			     PAGE_SIZE << p->order, "%s", name);
		if (!strcmp(name, "memfd_luo_preserve"))
			kho_fuzz_collect_memfd(f, mem);
	}
}

/* Any target's address: a plausible but wrong pointer. */
static u64 kho_fuzz_other_phys(struct kho_fuzz *f)
{
	struct kho_fuzz_target *t = &f->t[kho_fuzz_rand(f, f->nr)];

	return t->phys + (kho_fuzz_rand(f, 4) ? 0 : PAGE_SIZE);
}

static void kho_fuzz_one(struct kho_fuzz *f, unsigned int n, unsigned int total)
{
	unsigned int classes[KHO_FUZZ_NR_CLASSES], nr_classes = 0, i, k, op;
	struct kho_fuzz_target *t;
	size_t off, words;
	u64 old, new;
	u8 *p;

	for (i = 0; i < KHO_FUZZ_NR_CLASSES; i++) {
		if (f->per_class[i])
			classes[nr_classes++] = i;
	}
	i = classes[kho_fuzz_rand(f, nr_classes)];
	k = kho_fuzz_rand(f, f->per_class[i]);
	for (t = f->t; t->class != i || k--; t++)
		;

	/* Half of the time hit a word that is in use: zeros are boring. */
	words = t->size / sizeof(u64);
	off = kho_fuzz_rand(f, t->size);
	if (words && kho_fuzz_rand(f, 2)) {
		size_t start = kho_fuzz_rand(f, words), w;

		for (w = 0; w < words; w++) {
			size_t k = (start + w) % words;

			if (get_unaligned((u64 *)t->mem + k)) {
				off = k * sizeof(u64);
				break;
			}
		}
	}

	op = kho_fuzz_rand(f, 6);
	if (op && words) {
		off = min(round_down(off, sizeof(u64)), (words - 1) * sizeof(u64));
		p = t->mem + off;
		old = get_unaligned((u64 *)p);
		switch (op) {
		case 1:
			/* Zeroing a zero word would change nothing. */
			new = old ? 0 : kho_fuzz_rand64(f);
			break;
		case 2:
			new = kho_fuzz_rand64(f);
			break;
		case 3:
			new = old ^ BIT_ULL(kho_fuzz_rand(f, 64));
			break;
		case 4: {
			static const s64 delta[] = { 1, -1, PAGE_SIZE,
						     -(s64)PAGE_SIZE,
						     PAGE_SIZE << 9, 8 };

			new = old + delta[kho_fuzz_rand(f, ARRAY_SIZE(delta))];
			break;
		}
		default:
			new = kho_fuzz_other_phys(f);
			break;
		}
		put_unaligned(new, (u64 *)p);
	} else {
		p = t->mem + off;
		old = *p;
		new = old ^ BIT(kho_fuzz_rand(f, 8));
		*p = new;
	}
	pr_info("seed %lu damage %u/%u: %s %s phys %pa offset %#zx: %#llx -> %#llx\n",
		kho_fuzz_seed, n, total, kho_fuzz_class_name[t->class], t->label,
		&t->phys, off, old, new);
}

/**
 * kho_fuzz_damage() - damage the outgoing handover data from the seed
 *
 * Called as the last step before the kexec jump, once LUO has serialized
 * its sessions. Does nothing while ``kho_fuzz.seed`` is 0.
 *
 * Context: process context, kexec lock held; may sleep.
 */
void kho_fuzz_damage(void)
{
	struct kho_fuzz f = {};
	unsigned int i, total;

	if (!kho_fuzz_seed)
		return;
	f.t = kvcalloc(KHO_FUZZ_MAX_TARGETS, sizeof(*f.t), GFP_KERNEL);
	if (!f.t) {
		pr_err("seed %lu: no memory for the target list\n", kho_fuzz_seed);
		return;
	}
	prandom_seed_state(&f.rnd, kho_fuzz_seed);

	kho_fuzz_collect_fdt(&f);
	kho_fuzz_collect_scratch(&f);
	kho_fuzz_collect_meta(&f);

	pr_info("seed %lu: %u targets: fdt %u subtree %u tree-table %u tree-leaf %u scratch %u meta %u memfd-records %u\n",
		kho_fuzz_seed, f.nr, f.per_class[KHO_FUZZ_FDT],
		f.per_class[KHO_FUZZ_SUBTREE], f.per_class[KHO_FUZZ_TABLE],
		f.per_class[KHO_FUZZ_LEAF], f.per_class[KHO_FUZZ_SCRATCH],
		f.per_class[KHO_FUZZ_META], f.per_class[KHO_FUZZ_MEMFD]);
	if (f.nr) {
		total = 1 + kho_fuzz_rand(&f, max(kho_fuzz_damages, 1U));
		for (i = 1; i <= total; i++)
			kho_fuzz_one(&f, i, total);
	}
	kvfree(f.t);
}
