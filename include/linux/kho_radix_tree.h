/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef _LINUX_KHO_RADIX_TREE_H
#define _LINUX_KHO_RADIX_TREE_H

#include <linux/kho/abi/kexec_handover.h>
#include <linux/mutex.h>
#include <linux/types.h>

struct folio;

/**
 * struct kho_radix_hint - where the keys of one order were last looked up
 * @table: a table node at level 1 (its children are leaves), or NULL.
 * @prefix: the key bits above @table, which every key under it shares.
 */
struct kho_radix_hint {
	struct kho_radix_table *table;
	u64 prefix;
};

/**
 * struct kho_radix_tree - the outgoing preserved-memory radix tree
 * @root: the root table node, allocated by kho_radix_init().
 * @lock: serialises kho_radix_add() and kho_radix_remove(); readers of an
 *        outgoing tree (the kexec jump, kho_radix_walk() in tests) run when
 *        no update can race with them.
 * @orders: bit ``o`` is set once a block of order ``o`` was added (never
 *          cleared), so the overlap check of kho_radix_add() looks only at
 *          orders the tree may hold. Protected by @lock.
 * @hint: per order, the level-1 table the overlap check last looked a key
 *        of that order up in. One level-1 table covers 2^24 keys (with
 *        4 KiB pages), i.e. all memory of most machines for orders from 1
 *        up, so the check of a block against the larger blocks that could
 *        contain it costs two reads per order instead of a walk from the
 *        root. Nodes are never freed while the tree is in use, so a hint
 *        stays valid. Protected by @lock.
 * @leaf: the leaf a block was last added to or removed from, or NULL, so
 *        that consecutive blocks (the folios of a file, in order) do not
 *        walk the tree from the root each. Protected by @lock.
 * @leaf_prefix: the key bits above @leaf.
 *
 * The layout of the nodes is the handover ABI described in
 * <linux/kho/abi/kexec_handover.h>. The blocks of a tree never overlap:
 * kho_radix_add() refuses a block that shares a page with a recorded one.
 */
struct kho_radix_tree {
	struct kho_radix_table *root;
	struct mutex lock;	/* serialises add and remove, protects the rest */
	unsigned long orders;
	struct kho_radix_hint hint[KHO_ORDER_0_LOG2];
	struct kho_radix_leaf *leaf;
	u64 leaf_prefix;
};

/**
 * struct kho_radix_walker - callbacks of kho_radix_walk()
 * @node_ok: optional; called with the physical address of every node before
 *           it is read. Returning false stops the walk with -EINVAL. Use it
 *           to reject addresses that cannot hold a node (not RAM, scratch)
 *           and, for untrusted trees, a node reached a second time.
 * @block: called for every run of preserved blocks, in ascending key order:
 *         @nr (at least 1) blocks of @order, adjacent in memory, the first at
 *         @phys. A run is the consecutive set bits of a leaf node that
 *         describe blocks of one order, so a walk of n blocks costs one call
 *         per run, not per block. A non-zero return stops the walk and is
 *         returned by kho_radix_walk().
 *
 * Embed it in a structure of your own and use container_of() to reach your
 * state from the callbacks.
 */
struct kho_radix_walker {
	bool (*node_ok)(struct kho_radix_walker *w, phys_addr_t node);
	int (*block)(struct kho_radix_walker *w, phys_addr_t phys,
		     unsigned int order, unsigned long nr);
};

u64 kho_radix_encode_key(phys_addr_t phys, unsigned int order);
int kho_radix_decode_key(u64 key, phys_addr_t *phys, unsigned int *order);

int kho_radix_init(struct kho_radix_tree *tree);
void kho_radix_destroy(struct kho_radix_tree *tree);
int kho_radix_add(struct kho_radix_tree *tree, unsigned long pfn,
		  unsigned int order);
int kho_radix_add_folios(struct kho_radix_tree *tree, struct folio **folios,
			 unsigned int nr);
void kho_radix_remove_folios(struct kho_radix_tree *tree,
			     struct folio **folios, unsigned int nr);
phys_addr_t kho_radix_end(struct kho_radix_tree *tree);
int kho_radix_remove(struct kho_radix_tree *tree, unsigned long pfn,
		     unsigned int order);
int kho_radix_walk(phys_addr_t root, struct kho_radix_walker *w);

#endif /* _LINUX_KHO_RADIX_TREE_H */
