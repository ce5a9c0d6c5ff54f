// SPDX-License-Identifier: GPL-2.0-only
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 */

/**
 * DOC: KHO vmalloc preservation
 *
 * A vmalloc area can be handed over to the next kernel as a whole: its
 * pages keep their contents and the next kernel maps them again, at a new
 * address, as a vmalloc area of the same size and mapping order.
 *
 * Outgoing side:
 *
 * 1. kho_preserve_vmalloc() takes the start of a vmalloc() or
 *    vmalloc_huge() area, preserves each run of ``2^order`` pages (the
 *    area's mapping order) with kho_preserve_pages() and lists the runs in
 *    chunk pages from kho_alloc_preserve(). It fills a &struct kho_vmalloc,
 *    which the caller stores in its own preserved data.
 * 2. The caller keeps the area allocated until the kexec, or calls
 *    kho_unpreserve_vmalloc() to give up (before freeing the area).
 *
 * Incoming side: kho_restore_vmalloc() checks the descriptor, every chunk
 * and every run before it changes anything, maps the pages into a new
 * VM_ALLOC area and only then takes the pages over from KHO and frees the
 * chunk pages. The result is freed with vfree().
 *
 * Unhappy paths. Preserving fails with nothing preserved if the area is
 * not a plain VM_ALLOC area or memory runs out. Restoring rejects unknown
 * flags, an order above %MAX_PAGE_ORDER, an address that is not a block
 * preserved by the previous kernel, and a list of runs that does not add
 * up to exactly total_pages, with one log line and NULL; the preserved
 * memory then stays reserved. If mapping fails, nothing is taken over, so
 * restoring can be retried.
 */

#define pr_fmt(fmt) "KHO: " fmt

#include <linux/err.h>
#include <linux/io.h>
#include <linux/kasan.h>
#include <linux/kexec_handover.h>
#include <linux/kho/abi/kexec_handover.h>
#include <linux/kmemleak.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/vmalloc.h>

#include "../../mm/internal.h"
#include "kexec_handover_internal.h"

/* Unpreserve every run listed from @first on and free the chunk pages. */
static void kho_vmalloc_unpreserve_chunks(struct kho_vmalloc_chunk *first,
					  unsigned int order)
{
	struct kho_vmalloc_chunk *chunk = first, *next;
	unsigned int i;

	while (chunk) {
		for (i = 0; i < KHO_VMALLOC_SIZE && chunk->phys[i]; i++)
			kho_unpreserve_pages(pfn_to_page(PHYS_PFN(chunk->phys[i])),
					     1UL << order);
		next = KHOSER_LOAD_PTR(chunk->hdr.next);
		kho_unpreserve_free(chunk);
		chunk = next;
	}
}

/**
 * kho_preserve_vmalloc() - preserve a vmalloc area across kexec
 * @ptr: start of an area from vmalloc() or vmalloc_huge() (only
 *       %VM_ALLOC and %VM_ALLOW_HUGE_VMAP may be set).
 * @preservation: filled with the descriptor the next kernel needs; store
 *                it in preserved memory.
 *
 * The caller must keep the area allocated and unchanged in size until the
 * kexec or kho_unpreserve_vmalloc(). Its contents may change until then.
 *
 * Context: may sleep.
 * Return: 0 on success;
 * -EINVAL if @ptr is not the start of a vmalloc area;
 * -EOPNOTSUPP if the area has other flags (or KHO is disabled);
 * -ENOMEM, or another error of kho_preserve_pages(). On failure nothing is
 * preserved and @preservation is zeroed.
 */
int kho_preserve_vmalloc(void *ptr, struct kho_vmalloc *preservation)
{
	struct kho_vmalloc_chunk *chunk = NULL, *new;
	unsigned int order, step, i, j, idx = 0;
	struct vm_struct *vm;
	unsigned long pfn;
	int err;

	memset(preservation, 0, sizeof(*preservation));
	vm = find_vm_area(ptr);
	if (!vm || vm->addr != ptr)
		return -EINVAL;
	if (!(vm->flags & VM_ALLOC) ||
	    (vm->flags & ~(VM_ALLOC | VM_ALLOW_HUGE_VMAP)))
		return -EOPNOTSUPP;

	order = get_vm_area_page_order(vm);
	step = 1U << order;
	if (order > MAX_PAGE_ORDER || !vm->nr_pages || vm->nr_pages % step)
		return -EINVAL;

	for (i = 0; i < vm->nr_pages; i += step) {
		/* Each run is one split high-order allocation. */
		pfn = page_to_pfn(vm->pages[i]);
		for (j = 1; j < step; j++) {
			if (page_to_pfn(vm->pages[i + j]) != pfn + j)
				break;
		}
		if (j < step || !IS_ALIGNED(pfn, step)) {
			err = -EINVAL;
			goto err_unpreserve;
		}

		if (!chunk || idx == KHO_VMALLOC_SIZE) {
			new = kho_alloc_preserve(PAGE_SIZE);
			if (IS_ERR(new)) {
				err = PTR_ERR(new);
				goto err_unpreserve;
			}
			if (chunk)
				KHOSER_STORE_PTR(chunk->hdr.next, new);
			else
				KHOSER_STORE_PTR(preservation->first, new);
			chunk = new;
			idx = 0;
		}

		err = kho_preserve_pages(vm->pages[i], step);
		if (err)
			goto err_unpreserve;
		chunk->phys[idx++] = PFN_PHYS(pfn);
	}

	preservation->total_pages = vm->nr_pages;
	preservation->order = order;
	preservation->flags = KHO_VMALLOC_ALLOC;
	if (vm->flags & VM_ALLOW_HUGE_VMAP)
		preservation->flags |= KHO_VMALLOC_HUGE_VMAP;
	return 0;

err_unpreserve:
	kho_vmalloc_unpreserve_chunks(KHOSER_LOAD_PTR(preservation->first), order);
	memset(preservation, 0, sizeof(*preservation));
	return err;
}
EXPORT_SYMBOL_GPL(kho_preserve_vmalloc);

/**
 * kho_unpreserve_vmalloc() - stop preserving a vmalloc area
 * @preservation: as filled by kho_preserve_vmalloc(); zeroed afterwards.
 *
 * Unpreserves the area's pages and frees the chunk pages. The area itself
 * stays allocated; free it with vfree() as usual.
 *
 * Context: may sleep.
 */
void kho_unpreserve_vmalloc(struct kho_vmalloc *preservation)
{
	kho_vmalloc_unpreserve_chunks(KHOSER_LOAD_PTR(preservation->first),
				      preservation->order);
	memset(preservation, 0, sizeof(*preservation));
}
EXPORT_SYMBOL_GPL(kho_unpreserve_vmalloc);

/*
 * Check every chunk and run of an incoming descriptor without changing
 * anything. Logs one line on failure.
 */
static int kho_vmalloc_check(const struct kho_vmalloc *kv)
{
	unsigned long step = 1UL << kv->order, nr = 0, chunks = 0, max_chunks;
	const struct kho_vmalloc_chunk *chunk;
	phys_addr_t pa = kv->first.phys, run;
	unsigned int i;

	/* Every run listed, plus one trailing empty chunk at most. */
	max_chunks = DIV_ROUND_UP(kv->total_pages / step, KHO_VMALLOC_SIZE) + 1;
	while (pa) {
		if (++chunks > max_chunks) {
			pr_warn("vmalloc: more than %lu chunks for %u pages\n",
				max_chunks, kv->total_pages);
			return -EINVAL;
		}
		if (!kho_is_preserved(pa, 1) || !kho_pages_restorable(pa, 1)) {
			pr_warn("vmalloc: chunk %pa is not preserved\n", &pa);
			return -EINVAL;
		}
		chunk = __va(pa);
		for (i = 0; i < KHO_VMALLOC_SIZE && chunk->phys[i]; i++) {
			run = chunk->phys[i];
			if (nr + step > kv->total_pages) {
				pr_warn("vmalloc: runs exceed %u pages\n",
					kv->total_pages);
				return -EINVAL;
			}
			if (!IS_ALIGNED(run, PAGE_SIZE << kv->order) ||
			    !kho_is_preserved(run, step) ||
			    !kho_pages_restorable(run, step)) {
				pr_warn("vmalloc: run %pa of order %u is not preserved\n",
					&run, kv->order);
				return -EINVAL;
			}
			nr += step;
		}
		pa = chunk->hdr.next.phys;
	}
	if (nr != kv->total_pages) {
		pr_warn("vmalloc: runs cover %lu of %u pages\n", nr,
			kv->total_pages);
		return -EINVAL;
	}
	return 0;
}

/* List the pages of a descriptor that kho_vmalloc_check() accepted. */
static void kho_vmalloc_list_pages(const struct kho_vmalloc *kv,
				   struct page **pages)
{
	unsigned long step = 1UL << kv->order, nr = 0, j;
	const struct kho_vmalloc_chunk *chunk;
	phys_addr_t pa;
	unsigned int i;

	/* Bounded by total_pages too, as the chain was when checked. */
	for (pa = kv->first.phys; pa && nr < kv->total_pages;
	     pa = chunk->hdr.next.phys) {
		chunk = __va(pa);
		for (i = 0; i < KHO_VMALLOC_SIZE && chunk->phys[i]; i++) {
			for (j = 0; j < step && nr < kv->total_pages; j++)
				pages[nr++] = pfn_to_page(PHYS_PFN(chunk->phys[i]) + j);
		}
	}
}

/*
 * Take the checked runs over from KHO, then free the chunk pages. A run
 * that cannot be taken over (listed twice) fails the restore; @restored
 * says how many pages were taken over by then.
 */
static int kho_vmalloc_take_over(const struct kho_vmalloc *kv,
				 unsigned long *restored)
{
	unsigned long step = 1UL << kv->order;
	const struct kho_vmalloc_chunk *chunk;
	phys_addr_t pa, next, run;
	unsigned int i;

	for (pa = kv->first.phys; pa; pa = chunk->hdr.next.phys) {
		chunk = __va(pa);
		for (i = 0; i < KHO_VMALLOC_SIZE && chunk->phys[i]; i++) {
			run = chunk->phys[i];
			if (!kho_pages_restorable(run, step)) {
				pr_warn("vmalloc: run %pa is listed twice\n", &run);
				return -EINVAL;
			}
			kho_restore_pages(run, step);
			*restored += step;
		}
	}

	for (pa = kv->first.phys; pa; pa = next) {
		chunk = __va(pa);
		next = chunk->hdr.next.phys;
		/* Not restorable if it was also listed as a run: keep it. */
		if (kho_pages_restorable(pa, 1))
			kho_restore_free((void *)chunk);
	}
	return 0;
}

/**
 * kho_restore_vmalloc() - map a vmalloc area of the previous kernel again
 * @preservation: the descriptor kho_preserve_vmalloc() filled in the
 *                previous kernel.
 *
 * Validates the descriptor and everything it points to, maps the preserved
 * pages into a new VM_ALLOC area (with the recorded mapping order and
 * %VM_ALLOW_HUGE_VMAP if it was set) and frees the chunk pages. NUMA
 * placement of the original area is not reproduced.
 *
 * Context: may sleep.
 * Return: the new address of the area (free it with vfree()), or NULL if
 * the descriptor is invalid (one line is logged and the memory stays
 * reserved) or memory runs out.
 */
void *kho_restore_vmalloc(const struct kho_vmalloc *preservation)
{
	struct kho_vmalloc kv = *preservation;
	unsigned long vm_flags = VM_ALLOC | VM_UNINITIALIZED;
	unsigned long size, restored = 0, i;
	unsigned int shift = PAGE_SHIFT + kv.order;
	struct vm_struct *area;
	struct page **pages;

	if ((kv.flags & ~KHO_VMALLOC_FLAGS_MASK) ||
	    !(kv.flags & KHO_VMALLOC_ALLOC) || kv.order > MAX_PAGE_ORDER ||
	    (kv.order && !IS_ENABLED(CONFIG_HAVE_ARCH_HUGE_VMALLOC)) ||
	    !kv.total_pages || kv.total_pages % (1U << kv.order) ||
	    kv.total_pages > get_num_physpages()) {
		pr_warn("vmalloc: invalid descriptor (flags %#x, order %u, %u pages)\n",
			kv.flags, kv.order, kv.total_pages);
		return NULL;
	}
	if (kv.flags & KHO_VMALLOC_HUGE_VMAP)
		vm_flags |= VM_ALLOW_HUGE_VMAP;
	size = (unsigned long)kv.total_pages << PAGE_SHIFT;

	/*
	 * Validate the chain before sizing anything from total_pages: only
	 * a chain that really lists total_pages preserved pages gets its
	 * page array. A huge but valid area must not warn either.
	 */
	if (kho_vmalloc_check(&kv))
		return NULL;
	pages = kvmalloc_array(kv.total_pages, sizeof(*pages),
			       GFP_KERNEL | __GFP_NOWARN);
	if (!pages)
		return NULL;
	kho_vmalloc_list_pages(&kv, pages);

	area = __get_vm_area_node(size, 1UL << shift, shift, vm_flags,
				  VMALLOC_START, VMALLOC_END, NUMA_NO_NODE,
				  GFP_KERNEL, __builtin_return_address(0));
	if (!area)
		goto err_free_pages;
	/* Map before taking the pages over: failing here changes nothing. */
	if (vmap_pages_range((unsigned long)area->addr,
			     (unsigned long)area->addr + size, PAGE_KERNEL,
			     pages, shift))
		goto err_free_area;
	if (kho_vmalloc_take_over(&kv, &restored))
		goto err_free_area;

	area->pages = pages;
	area->nr_pages = kv.total_pages;
	set_vm_area_page_order(area, kv.order);
	vmalloc_nr_pages_add(kv.total_pages);
	area->addr = kasan_unpoison_vmalloc(area->addr, size,
					    KASAN_VMALLOC_PROT_NORMAL |
					    KASAN_VMALLOC_VM_ALLOC);
	clear_vm_uninitialized_flag(area);
	kmemleak_vmalloc(area, size, GFP_KERNEL);
	return area->addr;

err_free_area:
	free_vm_area(area);
	/* Pages taken over already cannot be handed back to KHO: free them. */
	for (i = 0; i < restored; i++)
		__free_page(pages[i]);
err_free_pages:
	kvfree(pages);
	return NULL;
}
EXPORT_SYMBOL_GPL(kho_restore_vmalloc);
