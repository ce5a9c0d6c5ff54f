/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Copyright (C) 2026 The Live Update for Linux 6.12 authors
 *
 * Between the hugetlb memfd handler (hugetlb_luo.c) and the pool FLB its
 * files depend on (hugetlb_luo_pool.c).
 */
#ifndef _MM_HUGETLB_LUO_H
#define _MM_HUGETLB_LUO_H

#include <linux/liveupdate.h>

extern struct liveupdate_flb hugetlb_luo_pool_flb;

void hugetlb_luo_pool_count(unsigned int order, int nid, long nr);
void hugetlb_luo_pool_adopted(unsigned int order, int nid);

#endif /* _MM_HUGETLB_LUO_H */
