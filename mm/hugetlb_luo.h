/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * Between the hugetlb memfd handler (hugetlb_luo.c), the pool FLB its
 * files depend on (hugetlb_luo_pool.c) and the boot pools (hugetlb.c).
 */
#ifndef _MM_HUGETLB_LUO_H
#define _MM_HUGETLB_LUO_H

#include <linux/liveupdate.h>

extern struct liveupdate_flb hugetlb_luo_pool_flb;

void hugetlb_luo_pool_count(unsigned int order, int nid, long nr);
void hugetlb_luo_pool_released(unsigned int order, int nid);

/* For hugetlb_luo_pool.c: in mm/hugetlb.c. */
struct hstate;
unsigned long hugetlb_pool_grow(struct hstate *h, int nid, unsigned long count);

/* For mm/hugetlb.c's boot pools; see mm/hugetlb_luo_pool.c. */
#ifdef CONFIG_LIVEUPDATE_HUGETLB
unsigned long __init hugetlb_luo_boot_pages(unsigned int order, int nid);
void __init hugetlb_luo_boot_discounted(struct hstate *h, unsigned long pages);
#else
static inline unsigned long hugetlb_luo_boot_pages(unsigned int order, int nid)
{
	return 0;
}

static inline void hugetlb_luo_boot_discounted(struct hstate *h,
					       unsigned long pages)
{
}
#endif

#endif /* _MM_HUGETLB_LUO_H */
