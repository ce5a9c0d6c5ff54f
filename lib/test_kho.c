// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: Kexec HandOver test module
 *
 * Exercises KHO across a real kexec, driven from userspace through debugfs
 * (tools/testing/selftests/liveupdate/kho_kexec_test.c):
 *
 * ``kho_test/preserve`` (write a seed): fill folios of every order from 0 to
 * %MAX_PAGE_ORDER, a few page ranges of odd sizes, a 6 MiB vmalloc() area
 * and a 4 MiB vmalloc_huge() area with pseudo-random data derived from the
 * seed, preserve them, and hand their description over as the subtree
 * "kho_test".
 *
 * ``kho_test/verify`` (read): in the next kernel, find the subtree, restore
 * every folio, range and vmalloc area, compare every byte with the data
 * the seed gives, and free all of it. Reads "ok <bytes>" or "fail
 * <reason>".
 *
 * ``kho_test/state`` (read): whether KHO is enabled and this is a KHO boot.
 *
 * ``kho_test/early`` (read): "ok" if every KHO entry point, called from a
 * core_initcall (before kho_init()), failed cleanly or did nothing.
 *
 * ``kho_test/corrupt`` (write "compatible", "tracker", "vmalloc",
 * "tracker-loop", "overlap", "node-in-block", "fdt" or "scratch-<how>"):
 * damage this kernel's outgoing handover data (the root compatible, a node
 * of the memory tracker, a run address of the first vmalloc area, tracker
 * tables that all point at one another, a page preserved twice (alone and
 * inside a folio, written into the tracker directly since KHO refuses it),
 * a tracker node inside a preserved folio, the root FDT no longer
 * preserved, or the scratch array as
 * kho_test_corrupt_scratch() says), so the next kernel must reject it
 * without crashing.
 *
 * At reboot, after KHO froze the outgoing root FDT, a reboot notifier tries
 * to add and to remove a subtree and records the errors in the state, which
 * verify checks (both must be -EBUSY, and nothing changed).
 *
 * The subtree layout is private to this test and versioned by its magic.
 */

#define pr_fmt(fmt) "kho_test: " fmt

#include <linux/debugfs.h>
#include <linux/gfp.h>
#include <linux/io.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/kexec_handover.h>
#include <linux/kho/abi/memblock.h>
#include <linux/kho_radix_tree.h>
#include <linux/memblock.h>
#include <linux/libfdt.h>
#include <linux/mm.h>
#include <linux/init.h>
#include <linux/mutex.h>
#include <linux/reboot.h>
#include <linux/string.h>
#include <linux/unaligned.h>
#include <linux/vmalloc.h>

#include "../kernel/liveupdate/kexec_handover_internal.h"

#define KHO_TEST_NAME		"kho_test"
#define KHO_TEST_LATE_NAME	"kho_test_late"
#define KHO_TEST_MAGIC		0x4b484f5445535434ULL	/* "KHOTEST4" */
#define KHO_TEST_NR_FOLIOS	(MAX_PAGE_ORDER + 1)

static const unsigned long kho_test_range_pages[] = { 1, 7, 300, 1000 };

#define KHO_TEST_NR_RANGES	ARRAY_SIZE(kho_test_range_pages)

/* A plain vmalloc() area (order-0 runs) and a vmalloc_huge() one. */
static const unsigned long kho_test_vmalloc_sizes[] = { 6 << 20, 4 << 20 };

#define KHO_TEST_NR_VMALLOC	ARRAY_SIZE(kho_test_vmalloc_sizes)

/* The subtree blob: one page describing everything preserved. */
struct kho_test_state {
	u64 magic;
	u64 seed;
	u32 nr_folios;
	u32 nr_ranges;
	struct {
		u64 phys;
		u64 order;
	} folios[KHO_TEST_NR_FOLIOS];
	struct {
		u64 phys;
		u64 nr_pages;
	} ranges[KHO_TEST_NR_RANGES];
	u64 nr_vmalloc;
	struct {
		struct kho_vmalloc desc;
		u64 size;
	} vmalloc[KHO_TEST_NR_VMALLOC];
	s32 late_add;		/* kho_add_subtree() during reboot */
	s32 late_remove;	/* kho_remove_subtree() during reboot */
};

static_assert(sizeof(struct kho_test_state) <= PAGE_SIZE);

static DEFINE_MUTEX(kho_test_lock);	/* serialises the debugfs actions */

/* Outgoing: the preserved state and vmalloc areas, for "corrupt". */
static struct kho_test_state *kho_test_out;
static void *kho_test_vmalloc_mem[KHO_TEST_NR_VMALLOC];

/* xorshift64*: cheap, deterministic data that depends on seed and block. */
static u64 kho_test_next(u64 *x)
{
	*x ^= *x >> 12;
	*x ^= *x << 25;
	*x ^= *x >> 27;
	return *x * 0x2545f4914f6cdd1dULL;
}

static u64 kho_test_block_seed(u64 seed, unsigned int block)
{
	return (seed ^ (0x9e3779b97f4a7c15ULL * (block + 1))) | 1;
}

static void kho_test_fill(void *mem, size_t size, u64 seed, unsigned int block)
{
	u64 x = kho_test_block_seed(seed, block), *p = mem;
	size_t i;

	for (i = 0; i < size / sizeof(u64); i++)
		p[i] = kho_test_next(&x);
}

/* Returns the byte offset of the first difference, or -1 if equal. */
static long kho_test_check(const void *mem, size_t size, u64 seed,
			   unsigned int block)
{
	u64 x = kho_test_block_seed(seed, block);
	const u64 *p = mem;
	size_t i;

	for (i = 0; i < size / sizeof(u64); i++) {
		if (p[i] != kho_test_next(&x))
			return i * sizeof(u64);
	}
	return -1;
}

static int kho_test_preserve(u64 seed)
{
	struct kho_test_state *state;
	struct folio *folio;
	unsigned int i;
	void *mem;
	int err;

	state = kho_alloc_preserve(sizeof(*state));
	if (IS_ERR(state))
		return PTR_ERR(state);
	state->magic = KHO_TEST_MAGIC;
	state->seed = seed;

	for (i = 0; i < KHO_TEST_NR_FOLIOS; i++) {
		folio = folio_alloc(GFP_KERNEL, i);
		if (!folio) {
			err = -ENOMEM;
			goto err_unpreserve;
		}
		kho_test_fill(folio_address(folio), folio_size(folio), seed, i);
		err = kho_preserve_folio(folio);
		if (err) {
			folio_put(folio);
			goto err_unpreserve;
		}
		state->folios[i].phys = PFN_PHYS(folio_pfn(folio));
		state->folios[i].order = i;
		state->nr_folios++;
	}

	for (i = 0; i < KHO_TEST_NR_RANGES; i++) {
		size_t size = kho_test_range_pages[i] * PAGE_SIZE;

		mem = alloc_pages_exact(size, GFP_KERNEL);
		if (!mem) {
			err = -ENOMEM;
			goto err_unpreserve;
		}
		kho_test_fill(mem, size, seed, KHO_TEST_NR_FOLIOS + i);
		err = kho_preserve_pages(virt_to_page(mem), kho_test_range_pages[i]);
		if (err) {
			free_pages_exact(mem, size);
			goto err_unpreserve;
		}
		state->ranges[i].phys = virt_to_phys(mem);
		state->ranges[i].nr_pages = kho_test_range_pages[i];
		state->nr_ranges++;
	}

	for (i = 0; i < KHO_TEST_NR_VMALLOC; i++) {
		size_t size = kho_test_vmalloc_sizes[i];

		mem = i ? vmalloc_huge(size, GFP_KERNEL) : vmalloc(size);
		if (!mem) {
			err = -ENOMEM;
			goto err_unpreserve;
		}
		kho_test_fill(mem, size, seed,
			      KHO_TEST_NR_FOLIOS + KHO_TEST_NR_RANGES + i);
		err = kho_preserve_vmalloc(mem, &state->vmalloc[i].desc);
		if (err) {
			vfree(mem);
			goto err_unpreserve;
		}
		state->vmalloc[i].size = size;
		kho_test_vmalloc_mem[i] = mem;
		state->nr_vmalloc++;
	}

	err = kho_add_subtree(KHO_TEST_NAME, state, sizeof(*state));
	if (err)
		goto err_unpreserve;
	kho_test_out = state;
	pr_info("preserved %u folios, %u page ranges and %llu vmalloc areas (orders %u, %u), seed %llu\n",
		state->nr_folios, state->nr_ranges, state->nr_vmalloc,
		state->vmalloc[0].desc.order, state->vmalloc[1].desc.order, seed);
	return 0;

err_unpreserve:
	while (state->nr_vmalloc--) {
		i = state->nr_vmalloc;
		kho_unpreserve_vmalloc(&state->vmalloc[i].desc);
		vfree(kho_test_vmalloc_mem[i]);
		kho_test_vmalloc_mem[i] = NULL;
	}
	while (state->nr_ranges--) {
		i = state->nr_ranges;
		mem = phys_to_virt(state->ranges[i].phys);
		kho_unpreserve_pages(virt_to_page(mem), state->ranges[i].nr_pages);
		free_pages_exact(mem, state->ranges[i].nr_pages * PAGE_SIZE);
	}
	while (state->nr_folios--) {
		folio = pfn_folio(PHYS_PFN(state->folios[state->nr_folios].phys));
		kho_unpreserve_folio(folio);
		folio_put(folio);
	}
	kho_unpreserve_free(state);
	return err;
}

/*
 * The strict checks on a folio of @order at @phys: the head is found with
 * its order; an address inside it is not a block, and restoring it fails
 * quietly (no warning) and changes nothing.
 */
static int kho_test_strict(char *res, size_t len, unsigned int i,
			   phys_addr_t phys, unsigned int order)
{
	if (kho_preserved_order(phys) != order) {
		snprintf(res, len, "fail folio %u: order %d, not %u\n", i,
			 kho_preserved_order(phys), order);
		return -EINVAL;
	}
	if (!order)
		return 0;
	if (kho_preserved_order(phys + PAGE_SIZE) != -ENOENT ||
	    kho_restore_folio(phys + PAGE_SIZE) ||
	    kho_restore_pages(phys + PAGE_SIZE, 1)) {
		snprintf(res, len, "fail folio %u: a tail page counts as a block\n", i);
		return -EINVAL;
	}
	return 0;
}

/* After a failure: restore and free whatever is still preserved. */
static void kho_test_discard(struct kho_test_state *state)
{
	struct folio *folio;
	struct page *page;
	unsigned long j;
	unsigned int i;

	for (i = 0; i < state->nr_folios; i++) {
		if (kho_preserved_order(state->folios[i].phys) != state->folios[i].order)
			continue;
		folio = kho_restore_folio(state->folios[i].phys);
		if (folio)
			folio_put(folio);
	}
	for (i = 0; i < state->nr_ranges; i++) {
		unsigned long nr = state->ranges[i].nr_pages;

		if (!kho_pages_restorable(state->ranges[i].phys, nr))
			continue;
		page = kho_restore_pages(state->ranges[i].phys, nr);
		for (j = 0; page && j < nr; j++)
			__free_page(nth_page(page, j));
	}
	kho_restore_free(state);
}

/* Restore, check and free everything; fills @res with the outcome. */
static void kho_test_verify(char *res, size_t len)
{
	struct kho_test_state *state;
	unsigned long verified = 0;
	unsigned int i, j;
	struct folio *folio;
	struct page *page;
	phys_addr_t phys;
	size_t size;
	void *mem;
	long bad;
	int err;

	err = kho_retrieve_subtree(KHO_TEST_NAME, &phys, &size);
	if (err) {
		snprintf(res, len, "fail no subtree (%d)\n", err);
		return;
	}
	if (size != sizeof(*state) || !kho_is_preserved(phys, 1)) {
		snprintf(res, len, "fail bad subtree at %pa size %zu\n", &phys, size);
		return;
	}
	state = phys_to_virt(phys);
	if (state->magic != KHO_TEST_MAGIC ||
	    state->nr_folios != KHO_TEST_NR_FOLIOS ||
	    state->nr_ranges != KHO_TEST_NR_RANGES ||
	    state->nr_vmalloc != KHO_TEST_NR_VMALLOC) {
		snprintf(res, len, "fail bad state magic/counts\n");
		return;
	}

	/*
	 * Check every block before restoring any, so that a second read after
	 * a failed one reports an error instead of restoring twice.
	 */
	for (i = 0; i < state->nr_folios; i++) {
		if (state->folios[i].order > MAX_PAGE_ORDER ||
		    !kho_is_preserved(state->folios[i].phys,
				      1UL << state->folios[i].order)) {
			snprintf(res, len, "fail folio %u not preserved\n", i);
			return;
		}
	}
	for (i = 0; i < state->nr_ranges; i++) {
		if (!kho_is_preserved(state->ranges[i].phys, state->ranges[i].nr_pages)) {
			snprintf(res, len, "fail range %u not preserved\n", i);
			return;
		}
	}

	/*
	 * kho_restore_vmalloc() checks an area completely before it takes
	 * anything over, so a bad area fails here before any folio is
	 * restored, and reading again fails again without a warning.
	 */
	for (i = 0; i < state->nr_vmalloc; i++) {
		size = state->vmalloc[i].size;
		if (size != (u64)state->vmalloc[i].desc.total_pages * PAGE_SIZE) {
			snprintf(res, len, "fail vmalloc %u has size %zu\n", i, size);
			return;
		}
		mem = kho_restore_vmalloc(&state->vmalloc[i].desc);
		if (!mem) {
			snprintf(res, len, "fail vmalloc %u not restored\n", i);
			return;
		}
		bad = kho_test_check(mem, size, state->seed,
				     KHO_TEST_NR_FOLIOS + KHO_TEST_NR_RANGES + i);
		vfree(mem);
		if (bad >= 0) {
			snprintf(res, len, "fail vmalloc %u differs at byte %ld\n", i, bad);
			return;
		}
		verified += size;
		pr_info("vmalloc area %u: %zu bytes of order %u verified\n", i, size,
			state->vmalloc[i].desc.order);
	}

	for (i = 0; i < state->nr_folios; i++) {
		phys = state->folios[i].phys;
		if (kho_test_strict(res, len, i, phys, state->folios[i].order))
			goto err_discard;
		folio = kho_restore_folio(phys);
		if (!folio || folio_order(folio) != state->folios[i].order) {
			if (folio)
				folio_put(folio);
			snprintf(res, len, "fail folio %u not restored\n", i);
			goto err_discard;
		}
		bad = kho_test_check(folio_address(folio), folio_size(folio),
				     state->seed, i);
		verified += bad < 0 ? folio_size(folio) : 0;
		folio_put(folio);
		if (bad >= 0) {
			snprintf(res, len, "fail folio %u order %u differs at byte %ld\n",
				 i, i, bad);
			goto err_discard;
		}
	}

	for (i = 0; i < state->nr_ranges; i++) {
		unsigned long nr = state->ranges[i].nr_pages;

		page = kho_restore_pages(state->ranges[i].phys, nr);
		if (!page) {
			snprintf(res, len, "fail range %u not restored\n", i);
			goto err_discard;
		}
		bad = kho_test_check(page_address(page), nr * PAGE_SIZE,
				     state->seed, KHO_TEST_NR_FOLIOS + i);
		for (j = 0; j < nr; j++)
			__free_page(nth_page(page, j));
		if (bad >= 0) {
			snprintf(res, len, "fail range %u differs at byte %ld\n", i, bad);
			goto err_discard;
		}
		verified += nr * PAGE_SIZE;
	}

	/* The previous kernel could not change its FDT during the reboot. */
	if (state->late_add != -EBUSY || state->late_remove != -EBUSY ||
	    kho_retrieve_subtree(KHO_TEST_LATE_NAME, &phys, NULL) != -ENOENT) {
		snprintf(res, len, "fail subtree changed during reboot (add %d, remove %d)\n",
			 state->late_add, state->late_remove);
		goto err_discard;
	}

	kho_restore_free(state);
	snprintf(res, len, "ok %lu\n", verified);
	return;

err_discard:
	/* Something was restored already: give back all that is left. */
	kho_test_discard(state);
}

static ssize_t preserve_write(struct file *file, const char __user *buf,
			      size_t count, loff_t *ppos)
{
	u64 seed;
	int err;

	err = kstrtou64_from_user(buf, count, 0, &seed);
	if (err)
		return err;
	guard(mutex)(&kho_test_lock);
	err = kho_test_preserve(seed);
	return err ? err : count;
}

static ssize_t verify_read(struct file *file, char __user *buf, size_t count,
			   loff_t *ppos)
{
	static char res[128];

	guard(mutex)(&kho_test_lock);
	if (!*ppos)
		kho_test_verify(res, sizeof(res));
	return simple_read_from_buffer(buf, count, ppos, res, strlen(res));
}

static ssize_t state_read(struct file *file, char __user *buf, size_t count,
			  loff_t *ppos)
{
	phys_addr_t phys;
	char res[96];
	int len;

	len = scnprintf(res, sizeof(res), "enabled %d kho_boot %d subtree %d\n",
			kho_is_enabled(), is_kho_boot(),
			!kho_retrieve_subtree(KHO_TEST_NAME, &phys, NULL));
	return simple_read_from_buffer(buf, count, ppos, res, len);
}

/*
 * Hand a damaged copy of the scratch array over: "overlap" (the second area
 * repeats the first), "ram" (the last area moves beyond any RAM), "align"
 * (the first area starts a page later), "wrap" (the first area wraps
 * around the address space) or "empty" (the first area has size 0).
 */
static int kho_test_corrupt_scratch(const char *how)
{
	struct kho_scratch s[8];
	unsigned int cnt = kho_scratch_out_get(s, ARRAY_SIZE(s));

	if (cnt < 2 || cnt > ARRAY_SIZE(s))
		return -ENOENT;
	if (sysfs_streq(how, "overlap"))
		s[1] = s[0];
	else if (sysfs_streq(how, "ram"))
		s[cnt - 1].addr = 1ULL << 46;
	else if (sysfs_streq(how, "align"))
		s[0].addr += PAGE_SIZE;
	else if (sysfs_streq(how, "wrap"))
		s[0].addr = -(s[0].size / 2);
	else if (sysfs_streq(how, "empty"))
		s[0].size = 0;
	else
		return -EINVAL;
	return kho_scratch_out_set(s, sizeof(s[0]) * cnt);
}

/*
 * Hang a chain of tables off a free slot of the root whose every entry
 * points at the table one level down, ending in an empty leaf: a tree of
 * 512^4 paths to the same few pages, with nothing invalid in any node. A
 * walk that visits every path never ends; each page may be visited once.
 * The pages are never freed: this kernel is about to go away.
 */
static int kho_test_corrupt_loop(struct kho_radix_table *root)
{
	unsigned int level, i, slot;
	phys_addr_t below;
	u64 *node;

	for (slot = ARRAY_SIZE(root->child); slot--;) {
		if (!root->child[slot])
			break;
	}
	if (root->child[slot])
		return -ENOSPC;
	node = (u64 *)get_zeroed_page(GFP_KERNEL);	/* the empty leaf */
	if (!node)
		return -ENOMEM;
	for (level = 1; level < KHO_TREE_MAX_DEPTH - 1; level++) {
		below = virt_to_phys(node);
		node = (u64 *)get_zeroed_page(GFP_KERNEL);
		if (!node)
			return -ENOMEM;
		for (i = 0; i < ARRAY_SIZE(root->child); i++)
			node[i] = below;
	}
	root->child[slot] = virt_to_phys(node);
	return 0;
}

/*
 * Record page 1 of the order-3 test folio once more, as an order-0 block of
 * its own: kho_preserve_pages() refuses a page that is already preserved,
 * so set its bit in the tracker directly, adding the missing nodes on its
 * path. Nothing else changes the tracker while the test damages it. The
 * pages are never freed: this kernel is about to go away.
 */
static int kho_test_corrupt_overlap(struct kho_radix_table *root)
{
	struct kho_radix_table *table = root;
	unsigned int level, shift;
	u64 key, *slot;

	if (!kho_test_out)
		return -ENOENT;
	key = kho_radix_encode_key(kho_test_out->folios[3].phys + PAGE_SIZE, 0);
	if (!key)
		return -EINVAL;
	for (level = KHO_TREE_MAX_DEPTH - 1; level > 0; level--) {
		shift = KHO_BITMAP_SIZE_LOG2 + KHO_TABLE_SIZE_LOG2 * (level - 1);
		slot = &table->child[(key >> shift) % ARRAY_SIZE(table->child)];
		if (!*slot) {
			void *node = (void *)get_zeroed_page(GFP_KERNEL);

			if (!node)
				return -ENOMEM;
			*slot = virt_to_phys(node);
		}
		table = phys_to_virt(*slot);
	}
	__set_bit(key & (BIT_ULL(KHO_BITMAP_SIZE_LOG2) - 1), (unsigned long *)table);
	return 0;
}

/*
 * Hang an empty tracker table off a free slot of the root, in page 2 of the
 * order-3 test folio: a tracker node inside a preserved block, one page
 * with two owners. The folio's data is lost; the next kernel must reject
 * the tracker whichever of the two its walk meets first.
 */
static int kho_test_corrupt_node_in_block(struct kho_radix_table *root)
{
	unsigned int slot;
	phys_addr_t node;

	if (!kho_test_out)
		return -ENOENT;
	for (slot = ARRAY_SIZE(root->child); slot--;) {
		if (!root->child[slot])
			break;
	}
	if (root->child[slot])
		return -ENOSPC;
	node = kho_test_out->folios[3].phys + 2 * PAGE_SIZE;
	memset(phys_to_virt(node), 0, PAGE_SIZE);
	root->child[slot] = node;
	return 0;
}

/*
 * Give the region "kho_test" (reserve_mem=...:kho_test) a compatible the
 * next kernel does not know in the outgoing memblock subtree.
 */
static int kho_test_corrupt_memblock(void *fdt)
{
	const void *prop;
	void *blob;
	int off, len;

	off = fdt_subnode_offset(fdt, 0, MEMBLOCK_KHO_FDT);
	prop = off < 0 ? NULL : fdt_getprop(fdt, off, KHO_FDT_SUB_TREE_PROP_NAME, &len);
	if (!prop || len != sizeof(u64))
		return -ENOENT;
	blob = phys_to_virt(get_unaligned((const u64 *)prop));
	off = fdt_subnode_offset(blob, 0, KHO_TEST_NAME);
	if (off < 0)
		return -ENOENT;
	return fdt_setprop_inplace(blob, off, "compatible", "reserve-mem-v0",
				   sizeof("reserve-mem-v0")) ? -EINVAL : 0;
}

/* Damage the outgoing handover data in ways the next kernel must survive. */
static int kho_test_corrupt(const char *what)
{
	void *fdt = kho_out_fdt();
	struct kho_radix_table *root;
	const void *prop;
	unsigned int i;
	int len;

	if (!fdt)
		return -EOPNOTSUPP;
	if (!strncmp(what, "scratch-", 8))
		return kho_test_corrupt_scratch(what + 8);
	if (sysfs_streq(what, "compatible"))
		return fdt_setprop_inplace(fdt, 0, "compatible", "kho-v0",
					   sizeof("kho-v0")) ? -EINVAL : 0;
	if (sysfs_streq(what, "vmalloc")) {
		struct kho_vmalloc_chunk *chunk;

		/* Point the 6th run of the first area into the kernel image. */
		if (!kho_test_out)
			return -ENOENT;
		chunk = KHOSER_LOAD_PTR(kho_test_out->vmalloc[0].desc.first);
		chunk->phys[5] = PFN_PHYS(PHYS_PFN(__pa_symbol(&kho_test_lock)));
		return 0;
	}
	if (sysfs_streq(what, "memblock"))
		return kho_test_corrupt_memblock(fdt);
	if (sysfs_streq(what, "fdt")) {
		/* The root FDT stays intact, but is no longer preserved. */
		kho_unpreserve_folio(virt_to_folio(fdt));
		return 0;
	}
	if (!sysfs_streq(what, "tracker") && !sysfs_streq(what, "tracker-loop") &&
	    !sysfs_streq(what, "overlap") && !sysfs_streq(what, "node-in-block"))
		return -EINVAL;

	prop = fdt_getprop(fdt, 0, KHO_FDT_MEMORY_MAP_PROP_NAME, &len);
	if (!prop || len != sizeof(u64))
		return -EINVAL;
	root = phys_to_virt(get_unaligned((const u64 *)prop));
	if (sysfs_streq(what, "overlap"))
		return kho_test_corrupt_overlap(root);
	if (sysfs_streq(what, "tracker-loop"))
		return kho_test_corrupt_loop(root);
	if (sysfs_streq(what, "node-in-block"))
		return kho_test_corrupt_node_in_block(root);
	/* Make the last child of the root table point to a misaligned node. */
	for (i = ARRAY_SIZE(root->child); i--;) {
		if (root->child[i]) {
			root->child[i] |= 8;
			return 0;
		}
	}
	return -ENOENT;
}

static ssize_t corrupt_write(struct file *file, const char __user *ubuf,
			     size_t count, loff_t *ppos)
{
	char buf[24];
	int err;

	if (count >= sizeof(buf))
		return -EINVAL;
	if (copy_from_user(buf, ubuf, count))
		return -EFAULT;
	buf[count] = '\0';
	guard(mutex)(&kho_test_lock);
	err = kho_test_corrupt(buf);
	if (!err)
		pr_info("corrupted the outgoing %s\n", strim(buf));
	return err ? err : count;
}

/*
 * kho_test/reserve_mem: the reserve_mem= region named "kho_test". Writing a
 * seed fills it: the seed in its first 8 bytes, seeded data after them.
 * Reading tells "<start> <size> <seed>", the seed if the data after it
 * matches, "bad@<offset>" if not; "none" without such a region.
 */
static ssize_t reserve_mem_write(struct file *file, const char __user *ubuf,
				 size_t count, loff_t *ppos)
{
	phys_addr_t start, size;
	u64 seed, *mem;
	int err;

	err = kstrtou64_from_user(ubuf, count, 0, &seed);
	if (err)
		return err;
	if (!reserve_mem_find_by_name(KHO_TEST_NAME, &start, &size))
		return -ENOENT;
	if (size < 2 * sizeof(u64))
		return -ENOSPC;
	mem = phys_to_virt(start);
	mem[0] = seed;
	kho_test_fill(mem + 1, size - sizeof(u64), seed, 0);
	return count;
}

static ssize_t reserve_mem_read(struct file *file, char __user *buf,
				size_t count, loff_t *ppos)
{
	phys_addr_t start, size;
	char res[80];
	long bad;
	u64 *mem;

	if (!reserve_mem_find_by_name(KHO_TEST_NAME, &start, &size)) {
		strscpy(res, "none\n");
	} else if (size < 2 * sizeof(u64)) {
		snprintf(res, sizeof(res), "%pa %pa small\n", &start, &size);
	} else {
		mem = phys_to_virt(start);
		bad = kho_test_check(mem + 1, size - sizeof(u64), mem[0], 0);
		if (bad < 0)
			snprintf(res, sizeof(res), "%pa %pa %llu\n", &start, &size,
				 mem[0]);
		else
			snprintf(res, sizeof(res), "%pa %pa bad@%ld\n", &start,
				 &size, bad + 8);
	}
	return simple_read_from_buffer(buf, count, ppos, res, strlen(res));
}

/*
 * kho_test/hotplug: try to preserve a page of memory hot-added since boot
 * (the first online memory section this kernel did not find at boot).
 * Reads "ENXIO at <phys>" when it is refused, "preserved at <phys>" (and
 * unpreserved again) when it is not, "none" without such memory.
 */
#ifdef CONFIG_SPARSEMEM
static void kho_test_hotplug(char *res, size_t len)
{
	unsigned long pfn;
	struct page *page;
	phys_addr_t phys;
	int err;

	for (pfn = 0; pfn < max_pfn; pfn += PAGES_PER_SECTION) {
		page = pfn_to_online_page(pfn);
		if (!page || early_section(__pfn_to_section(pfn)))
			continue;
		phys = PFN_PHYS(pfn);
		err = kho_preserve_pages(page, 1);
		if (!err)
			kho_unpreserve_pages(page, 1);
		if (err == -ENXIO || !err)
			snprintf(res, len, "%s at %pa\n", err ? "ENXIO" : "preserved",
				 &phys);
		else
			snprintf(res, len, "error %d at %pa\n", err, &phys);
		return;
	}
}
#else
static void kho_test_hotplug(char *res, size_t len) { }
#endif

static ssize_t hotplug_read(struct file *file, char __user *buf, size_t count,
			    loff_t *ppos)
{
	char res[64] = "none\n";

	if (*ppos)	/* one attempt per open, read whole */
		return 0;
	kho_test_hotplug(res, sizeof(res));
	return simple_read_from_buffer(buf, count, ppos, res, strlen(res));
}

static const struct file_operations hotplug_fops = {
	.read = hotplug_read,
};

/* Result of calling the API before kho_init(), for kho_test/early. */
static char kho_test_early_res[96] = "not run\n";

/* Every entry point must fail cleanly or do nothing before kho_init(). */
static int __init kho_test_early(void)
{
	struct folio *folio;
	void *mem;
	int err;

	if (!kho_is_enabled()) {
		strscpy(kho_test_early_res, "ok (KHO disabled)\n");
		return 0;
	}
	folio = folio_alloc(GFP_KERNEL, 0);
	if (!folio)
		return -ENOMEM;
	mem = kho_alloc_preserve(PAGE_SIZE);
	err = IS_ERR(mem) ? PTR_ERR(mem) : 0;
	if (err != -EAGAIN) {
		snprintf(kho_test_early_res, sizeof(kho_test_early_res),
			 "fail kho_alloc_preserve %d\n", err);
		goto out;
	}
	err = kho_preserve_folio(folio);
	err = err == -EAGAIN ? kho_preserve_pages(folio_page(folio, 0), 1) : err;
	err = err == -EAGAIN ? kho_add_subtree(KHO_TEST_LATE_NAME,
					       folio_address(folio), 8) : err;
	if (err != -EAGAIN) {
		snprintf(kho_test_early_res, sizeof(kho_test_early_res),
			 "fail preserve/add %d\n", err);
		goto out;
	}
	/* These must simply return. */
	kho_unpreserve_folio(folio);
	kho_unpreserve_pages(folio_page(folio, 0), 1);
	kho_remove_subtree(folio_address(folio));
	kho_unpreserve_free(NULL);
	strscpy(kho_test_early_res, "ok\n");
out:
	folio_put(folio);
	return 0;
}
core_initcall(kho_test_early);

static ssize_t early_read(struct file *file, char __user *buf, size_t count,
			  loff_t *ppos)
{
	return simple_read_from_buffer(buf, count, ppos, kho_test_early_res,
				       strlen(kho_test_early_res));
}

/*
 * During the reboot, after KHO's own notifier froze the root FDT: both
 * changes must fail with -EBUSY. The state is preserved memory, so the
 * errors reach the next kernel.
 */
static int kho_test_reboot(struct notifier_block *nb, unsigned long action,
			   void *data)
{
	struct kho_test_state *state = kho_test_out;

	if (!state)
		return NOTIFY_DONE;
	state->late_add = kho_add_subtree(KHO_TEST_LATE_NAME, state, 8);
	state->late_remove = kho_remove_subtree(state);
	return NOTIFY_DONE;
}

static struct notifier_block kho_test_reboot_nb = {
	.notifier_call = kho_test_reboot,
};

static const struct file_operations early_fops = {
	.read = early_read,
};

static const struct file_operations preserve_fops = {
	.write = preserve_write,
};

static const struct file_operations verify_fops = {
	.read = verify_read,
};

static const struct file_operations state_fops = {
	.read = state_read,
};

static const struct file_operations corrupt_fops = {
	.write = corrupt_write,
};

static const struct file_operations reserve_mem_fops = {
	.read = reserve_mem_read,
	.write = reserve_mem_write,
};

static int __init kho_test_init(void)
{
	struct dentry *dir = debugfs_create_dir(KHO_TEST_NAME, NULL);

	debugfs_create_file("preserve", 0200, dir, NULL, &preserve_fops);
	debugfs_create_file("verify", 0400, dir, NULL, &verify_fops);
	debugfs_create_file("state", 0400, dir, NULL, &state_fops);
	debugfs_create_file("corrupt", 0200, dir, NULL, &corrupt_fops);
	debugfs_create_file("early", 0400, dir, NULL, &early_fops);
	debugfs_create_file("reserve_mem", 0600, dir, NULL, &reserve_mem_fops);
	debugfs_create_file("hotplug", 0400, dir, NULL, &hotplug_fops);
	return register_reboot_notifier(&kho_test_reboot_nb);
}
late_initcall(kho_test_init);
