//! The i386 structure layouts behind the byte counts of the mail: which fields make the 8 and
//! the 12 bytes. Types as the 2.6 kernel of 2004 had them on i386: a pointer is 4 bytes, a
//! `struct list_head` two pointers, `spinlock_t` an `unsigned int` on an SMP kernel and an empty
//! struct (0 bytes, gcc 3 and later) on a uniprocessor one. `tests/cost_model.rs`
//! compiles `tests/layouts/historical.h` with `gcc -m32` and checks every field's size and
//! every structure's size here against it.

/// One field of a structure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Field {
    /// Its C type, as the kernel wrote it.
    pub ctype: &'static str,
    /// Its name in the kernel and in `tests/layouts/historical.h`.
    pub name: &'static str,
    /// Its size on i386.
    pub bytes: u64,
}

/// A structure, or the group of fields one structure adds to another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StructLayout {
    /// What it is, as the text names it.
    pub what: &'static str,
    /// The struct of `tests/layouts/historical.h` that models it.
    pub c_struct: &'static str,
    pub fields: &'static [Field],
}

impl StructLayout {
    /// Its size on i386: the fields' sizes added (none of these layouts has padding).
    pub fn bytes(&self) -> u64 {
        self.fields.iter().map(|f| f.bytes).sum()
    }

    /// "spinlock_t lock (4 B) + struct list_head head (8 B) = 12 B".
    pub fn sum(&self) -> String {
        let parts: Vec<String> = self
            .fields
            .iter()
            .map(|f| format!("{} {} ({} B)", f.ctype, f.name, f.bytes))
            .collect();
        format!("{} = {} B", parts.join(" + "), self.bytes())
    }
}

/// The layouts, one a line: `NAME = c_struct "what the text calls it": "C type" field bytes,
/// ...;` each becomes a `pub const NAME: StructLayout` with the doc comment above it.
macro_rules! layouts {
    ($(
        $(#[$doc:meta])*
        $name:ident = $c_struct:ident $what:literal:
            $($ctype:literal $field:ident $bytes:literal),+;
    )+) => {
        $(
            $(#[$doc])*
            pub const $name: StructLayout = StructLayout {
                what: $what,
                c_struct: stringify!($c_struct),
                fields: &[$(Field { ctype: $ctype, name: stringify!($field), bytes: $bytes }),+],
            };
        )+

        /// Every layout the claims name.
        pub const LAYOUTS: &[&StructLayout] = &[$(&$name),+];
    };
}

layouts! {
    /// `struct anon_vma` of 2.6.7 on an SMP kernel: what the model counts per anon_vma.
    ANON_VMA_SMP = anon_vma_267 "struct anon_vma (2.6.7, SMP i386)":
        "spinlock_t" lock 4, "struct list_head" head 8;
    /// `struct anon_vma` on a uniprocessor kernel, whose `spinlock_t` is an empty struct.
    ANON_VMA_UP = anon_vma_267_up "struct anon_vma (2.6.7, uniprocessor i386)":
        "spinlock_t" lock 0, "struct list_head" head 8;
    /// The anonymous fields every `vm_area_struct` gained with anon_vma (and would with
    /// anon_vma_global).
    VMA_ANON_FIELDS = vma_anon_267 "the anon_vma fields of struct vm_area_struct (2.6.7)":
        "struct list_head" anon_vma_node 8, "struct anon_vma *" anon_vma 4;
    /// A bare prio_tree node (2.6.7 `struct prio_tree_node`).
    PRIO_TREE_NODE = prio_tree_node_267 "struct prio_tree_node (2.6.7)":
        "struct prio_tree_node *" left 4, "struct prio_tree_node *" right 4,
        "struct prio_tree_node *" parent 4;
    /// The `vm_set` side of 2.6.7's `vm_area_struct.shared` union (the other side is the bare
    /// prio_tree node): a vma in the tree, or on the list of vmas with the same range.
    VM_SET = vma_prio_267 "vm_area_struct.shared.vm_set (2.6.7)":
        "struct list_head" list 8, "void *" parent 4, "struct vm_area_struct *" head 4;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_name_every_field() {
        assert_eq!(
            ANON_VMA_SMP.sum(),
            "spinlock_t lock (4 B) + struct list_head head (8 B) = 12 B"
        );
        assert_eq!(ANON_VMA_UP.bytes(), 8);
    }
}
