/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _LINUX_KEXEC_HANDOVER_H
#define _LINUX_KEXEC_HANDOVER_H

#include <linux/err.h>
#include <linux/errno.h>
#include <linux/types.h>

struct folio;
struct kimage;
struct kexec_buf;
struct kho_vmalloc;
struct page;
struct resource;

#ifdef CONFIG_KEXEC_HANDOVER

bool kho_is_enabled(void);
bool is_kho_boot(void);
bool kho_is_preserved(phys_addr_t phys, unsigned long nr_pages);
int kho_preserved_order(phys_addr_t phys);

int kho_preserve_folio(struct folio *folio);
void kho_unpreserve_folio(struct folio *folio);
int kho_preserve_folios(struct folio **folios, unsigned int nr);
void kho_unpreserve_folios(struct folio **folios, unsigned int nr);
int kho_preserve_pages(struct page *page, unsigned long nr_pages);
void kho_unpreserve_pages(struct page *page, unsigned long nr_pages);
int kho_preserve_vmalloc(void *ptr, struct kho_vmalloc *preservation);
void kho_unpreserve_vmalloc(struct kho_vmalloc *preservation);

void *kho_alloc_preserve(size_t size);
void kho_unpreserve_free(void *mem);
void kho_restore_free(void *mem);

struct folio *kho_restore_folio(phys_addr_t phys);
struct folio *kho_restore_hugetlb_folio(phys_addr_t phys, unsigned int order);
struct page *kho_restore_pages(phys_addr_t phys, unsigned long nr_pages);
bool kho_pages_restorable(phys_addr_t phys, unsigned long nr_pages);
bool kho_keep_reserved(phys_addr_t phys, unsigned long nr_pages);
void *kho_restore_vmalloc(const struct kho_vmalloc *preservation);

int kho_add_subtree(const char *name, void *blob, size_t size);
int kho_remove_subtree(void *blob);
int kho_retrieve_subtree(const char *name, phys_addr_t *phys, size_t *size);

/* Boot and kexec glue, not for modules. */
void kho_reserve_preserved(void);
void kho_memory_init(void);
void kho_memory_init_late(void);
void kho_scratch_recheck(void);
void kho_populate(phys_addr_t fdt_phys, u64 fdt_len, phys_addr_t scratch_phys,
		  u64 scratch_len);
bool kho_arch_is_ram(phys_addr_t start, phys_addr_t size);
int kho_fill_kimage(struct kimage *image);
int kho_locate_mem_hole(struct kexec_buf *kbuf,
			int (*func)(struct resource *, void *));

#else /* CONFIG_KEXEC_HANDOVER */

static inline bool kho_is_enabled(void)
{
	return false;
}

static inline bool is_kho_boot(void)
{
	return false;
}

static inline bool kho_is_preserved(phys_addr_t phys, unsigned long nr_pages)
{
	return false;
}

static inline int kho_preserved_order(phys_addr_t phys)
{
	return -ENOENT;
}

static inline int kho_preserve_folio(struct folio *folio)
{
	return -EOPNOTSUPP;
}

static inline void kho_unpreserve_folio(struct folio *folio)
{
}

static inline int kho_preserve_folios(struct folio **folios, unsigned int nr)
{
	return -EOPNOTSUPP;
}

static inline void kho_unpreserve_folios(struct folio **folios,
					 unsigned int nr)
{
}

static inline int kho_preserve_pages(struct page *page, unsigned long nr_pages)
{
	return -EOPNOTSUPP;
}

static inline void kho_unpreserve_pages(struct page *page,
					unsigned long nr_pages)
{
}

static inline int kho_preserve_vmalloc(void *ptr,
				       struct kho_vmalloc *preservation)
{
	return -EOPNOTSUPP;
}

static inline void kho_unpreserve_vmalloc(struct kho_vmalloc *preservation)
{
}

static inline void *kho_alloc_preserve(size_t size)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void kho_unpreserve_free(void *mem)
{
}

static inline void kho_restore_free(void *mem)
{
}

static inline struct folio *kho_restore_folio(phys_addr_t phys)
{
	return NULL;
}

static inline struct folio *kho_restore_hugetlb_folio(phys_addr_t phys,
						      unsigned int order)
{
	return NULL;
}

static inline struct page *kho_restore_pages(phys_addr_t phys,
					     unsigned long nr_pages)
{
	return NULL;
}

static inline bool kho_pages_restorable(phys_addr_t phys,
					unsigned long nr_pages)
{
	return false;
}

static inline bool kho_keep_reserved(phys_addr_t phys,
				     unsigned long nr_pages)
{
	return false;
}

static inline void *kho_restore_vmalloc(const struct kho_vmalloc *preservation)
{
	return NULL;
}

static inline int kho_add_subtree(const char *name, void *blob, size_t size)
{
	return -EOPNOTSUPP;
}

static inline int kho_remove_subtree(void *blob)
{
	return 0;
}

/* As documented for the real one: never a KHO boot, so -ENOENT. */
static inline int kho_retrieve_subtree(const char *name, phys_addr_t *phys,
				       size_t *size)
{
	return -ENOENT;
}

static inline void kho_reserve_preserved(void)
{
}

static inline void kho_memory_init(void)
{
}

static inline void kho_memory_init_late(void)
{
}

static inline void kho_scratch_recheck(void)
{
}

static inline void kho_populate(phys_addr_t fdt_phys, u64 fdt_len,
				phys_addr_t scratch_phys, u64 scratch_len)
{
}

static inline int kho_fill_kimage(struct kimage *image)
{
	return 0;
}

static inline int kho_locate_mem_hole(struct kexec_buf *kbuf,
				      int (*func)(struct resource *, void *))
{
	return 1;
}

#endif /* CONFIG_KEXEC_HANDOVER */

#endif /* _LINUX_KEXEC_HANDOVER_H */
