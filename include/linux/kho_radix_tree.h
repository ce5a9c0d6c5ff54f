/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _LINUX_KHO_RADIX_TREE_H
#define _LINUX_KHO_RADIX_TREE_H

#include <linux/kho/abi/kexec_handover.h>
#include <linux/mutex.h>
#include <linux/types.h>

/**
 * struct kho_radix_tree - the outgoing preserved-memory radix tree
 * @root: the root table node, allocated by kho_radix_init().
 * @lock: serialises kho_radix_add() and kho_radix_remove(); readers of an
 *        outgoing tree (the kexec jump, kho_radix_walk() in tests) run when
 *        no update can race with them.
 *
 * The layout of the nodes is the handover ABI described in
 * <linux/kho/abi/kexec_handover.h>.
 */
struct kho_radix_tree {
	struct kho_radix_table *root;
	struct mutex lock;	/* serialises add and remove */
};

/**
 * struct kho_radix_walker - callbacks of kho_radix_walk()
 * @node_ok: optional; called with the physical address of every node before
 *           it is read. Returning false stops the walk with -EINVAL. Use it
 *           to reject addresses that cannot hold a node (not RAM, scratch)
 *           and, for untrusted trees, a node reached a second time.
 * @block: called for every preserved block, in ascending key order. A
 *         non-zero return stops the walk and is returned by kho_radix_walk().
 *
 * Embed it in a structure of your own and use container_of() to reach your
 * state from the callbacks.
 */
struct kho_radix_walker {
	bool (*node_ok)(struct kho_radix_walker *w, phys_addr_t node);
	int (*block)(struct kho_radix_walker *w, phys_addr_t phys,
		     unsigned int order);
};

u64 kho_radix_encode_key(phys_addr_t phys, unsigned int order);
int kho_radix_decode_key(u64 key, phys_addr_t *phys, unsigned int *order);

int kho_radix_init(struct kho_radix_tree *tree);
void kho_radix_destroy(struct kho_radix_tree *tree);
int kho_radix_add(struct kho_radix_tree *tree, unsigned long pfn,
		  unsigned int order);
int kho_radix_remove(struct kho_radix_tree *tree, unsigned long pfn,
		     unsigned int order);
int kho_radix_walk(phys_addr_t root, struct kho_radix_walker *w);

#endif /* _LINUX_KHO_RADIX_TREE_H */
