/* Plain-C layout models of historical rmap structures (docs/semantics.md §4: DERIVED sizes).
 *
 * Types are modelled, not taken from kernel headers: a pointer is a pointer, spinlock_t and
 * atomic_t are 4-byte ints (SMP, no lock debugging), unsigned long is the word. Compiled with
 * `gcc -m32` for i386 and `gcc -m64` for the 64-bit layout of the same era by tests/cost_model.rs,
 * which checks every per-object size the cost model uses against sizeof() of these structs.
 * Sources: 2.6.0 include/linux/fs.h (address_space), 2.6.11 include/linux/rmap.h and mm.h
 * (anon_vma, vma fields), 2.6.34 - 2.6.36 include/linux/rmap.h (anon_vma_chain, anon_vma with
 * root and external_refcount; Richard Kennedy measured that anon_vma at 40 bytes on x86_64,
 * linux-mm, Aug 2010), the pte_chain code removed by Andrea Arcangeli's anon_vma RFC2 diff (Mar
 * 2004) and mm/rmap.c of Hugh Dickins's rmap 10 (struct anonmm, Apr 2004). */

typedef unsigned int spinlock_t;
typedef int atomic_t;
struct list_head { struct list_head *next, *prev; };

/* 2.6.7 - 2.6.33 anon_vma, also the family object of anon-vma-global. */
struct anon_vma_267 { spinlock_t lock; struct list_head head; };
/* Per-vma anon_vma fields of 2.6.7 - 2.6.33. */
struct vma_anon_267 { struct list_head anon_vma_node; struct anon_vma_267 *anon_vma; };
/* Per-vma prio_tree node, vma->shared.vm_set (2.6.7 - 3.6). */
struct vma_prio_267 { struct list_head list; void *parent; void *head; };
/* Per-vma i_mmap list linkage before prio_tree, vma->shared (2.6.0 - 2.6.6). */
struct vma_shared_260 { struct list_head list; };

/* 2.6.34 - 3.6 anon_vma_chain, and the anon_vma after the root fix (2.6.36). */
struct anon_vma_chain_2634 {
	void *vma;
	void *anon_vma;
	struct list_head same_vma;
	struct list_head same_anon_vma;
};
struct anon_vma_2636 {
	spinlock_t lock;
	struct anon_vma_2636 *root;
	atomic_t external_refcount;
	struct list_head head;
};
/* Per-vma fields of 2.6.34+: the anon_vma_chain list head and the anon_vma pointer. */
struct vma_anon_2634 { struct list_head anon_vma_chain; struct anon_vma_2636 *anon_vma; };

/* 2.6.0 address_space (the object Rik van Riel's proposal attaches to each exec family). */
struct radix_tree_root_260 { unsigned int height; int gfp_mask; void *rnode; };
struct semaphore_260 { atomic_t count; int sleepers; spinlock_t wait_lock; struct list_head task_list; };
struct address_space_260 {
	void *host;
	struct radix_tree_root_260 page_tree;
	spinlock_t page_lock;
	struct list_head clean_pages, dirty_pages, locked_pages, io_pages;
	unsigned long nrpages;
	void *a_ops;
	struct list_head i_mmap, i_mmap_shared;
	struct semaphore_260 i_shared_sem;
	atomic_t truncate_count;
	unsigned long dirtied_when;
	unsigned long flags;
	void *backing_dev_info;
	spinlock_t private_lock;
	struct list_head private_list;
	void *assoc_mapping;
};

/* anon-vma-global-prio (hypothetical): the family object with a prio_tree root instead of the
 * list head (prio_tree_root of 2.6.7: node pointer and index_bits), and per vma a prio_tree node
 * with the object pointer. */
struct prio_tree_root_267 { void *prio_tree_node; unsigned int index_bits; };
struct avg_prio_object { spinlock_t lock; struct prio_tree_root_267 root; };
struct vma_avg_prio { struct vma_prio_267 node; void *anon_vma; };

/* anon-as: the per-mm pointer to the family address_space. */
struct mm_anon_as { struct address_space_260 *anon_as; };

/* pte-chain (2.5.27 - 2.6.6): the pte union in struct page, and one chain block: a word holding
 * the next pointer and the first used index, then NRPTE = (L1_CACHE_BYTES - sizeof(long)) /
 * sizeof(pte_addr_t) pte addresses, one L1 line in all: 7 four-byte addresses in a 32-byte line
 * (i386 without PAE), 7 eight-byte addresses in a 64-byte line (x86_64). */
struct page_pte_union { union { void *chain; void *direct; } pte; };
struct pte_chain_block { unsigned long next_and_idx; void *ptes[7]; };

/* anonmm (rmap 10): one per mm, and the mm's pointer to it. */
struct anonmm_r10 {
	atomic_t count;
	spinlock_t lock;
	void *mm;
	struct anonmm_r10 *head;
	struct list_head list;
};
struct mm_anonmm { struct anonmm_r10 *anonmm; };

/* anon_vma RFC2 (11 Mar 2004): anon_vma_t is a lock and a list head, the vma gains the same two
 * fields as in 2.6.7 (anon_vma_267, vma_anon_267). */

/* Andrea Arcangeli's byte counts of 12 Mar 2004 (rmapviz claims, src/claims/layout.rs). On a
 * uniprocessor kernel built with gcc 3 or later, spinlock_t is an empty struct (2.6
 * include/linux/spinlock.h), so struct anon_vma is its list head alone. */
typedef struct { } spinlock_up_t;
struct anon_vma_267_up { spinlock_up_t lock; struct list_head head; };
/* 2.6.7 include/linux/prio_tree.h: a bare tree node. */
struct prio_tree_node_267 {
	struct prio_tree_node_267 *left;
	struct prio_tree_node_267 *right;
	struct prio_tree_node_267 *parent;
};
