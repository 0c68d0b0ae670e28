//! The memory cost of the 2004 designs on both ABIs, per object kind (docs/semantics.md §4):
//! i386 with 2004 layouts, x86_64 with 64-bit layouts.

mod common;
use common::*;
use rmapviz::model::{Cost, CostLine};

/// The cost line whose description starts with `what`.
fn line<'a>(c: &'a Cost, what: &str) -> &'a CostLine {
    c.lines
        .iter()
        .find(|l| l.what.starts_with(what))
        .unwrap_or_else(|| panic!("no cost line \"{what}\" in {:?}", c.lines))
}

fn cost_after(scenario: &str, scheme: &str) -> Cost {
    let sim = sim_after(scenario, scheme);
    sim.scheme.cost(&sim.machine.census())
}

#[test]
fn anonmm_costs_one_anonmm_per_mm_and_a_pointer_in_each_mm() {
    // §4 AMM: one anonmm per mm, 24 B (32-bit) / 40 B (64-bit), + 1 pointer in mm_struct; the
    // 2004 file side: a list_head per vma (8 / 16 B).
    for s in ["anonmm", "anonmm-naive"] {
        let c = cost_after("S1", s);
        let a = line(&c, "anonmm ");
        assert_eq!(
            (a.count, a.each_i386, a.each_x86_64, a.object),
            (2, 24, 40, true)
        );
        let p = line(&c, "mm->anonmm");
        assert_eq!(
            (p.count, p.each_i386, p.each_x86_64, p.object),
            (2, 4, 8, false)
        );
        let l = line(&c, "per-vma i_mmap list linkage");
        assert_eq!((l.count, l.each_i386, l.each_x86_64), (2, 8, 16));
        assert_eq!(c.bytes_i386(), 2 * 24 + 2 * 4 + 2 * 8);
        assert_eq!(c.bytes_x86_64(), 2 * 40 + 2 * 8 + 2 * 16);
        assert_eq!(c.objects(), 2);
        // S12: the parent's anonmm lingers with no mm: two anonmms, one mm.
        let c = cost_after("S12", s);
        assert_eq!(line(&c, "anonmm ").count, 2);
        assert_eq!(line(&c, "mm->anonmm").count, 1);
    }
}

/// One page mapped by `n` ptes: written by pid 1, then `n - 1` forks.
fn shared_by(n: u32) -> String {
    let forks: Vec<String> = (2..=n)
        .map(|c| format!("Fork(pid: 1, child: {c})"))
        .collect();
    format!(
        "Scenario(steps: [Mmap(pid: 1, addr: 0x10000, pages: 1), Write(pid: 1, addr: 0x10000), {}])",
        forks.join(", ")
    )
}

#[test]
fn pte_chain_blocks_hold_seven_slots_on_both_abis() {
    // §4 PTEC: +1 word in struct page (4 / 8 B); a single mapping uses pte.direct, no block;
    // more use blocks of one cache line (32 B on i386, 64 B on x86_64) holding NRPTE = 7 slots.
    let blocks_for = [0, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 3];
    for (i, &blocks) in blocks_for.iter().enumerate() {
        let n = i as u32 + 1;
        let c = cost_after(&shared_by(n), "pte-chain");
        let b = line(&c, "pte_chain block");
        assert_eq!(
            (b.count, b.each_i386, b.each_x86_64, b.object),
            (blocks, 32, 64, true),
            "{n} ptes"
        );
        let w = line(&c, "pte.direct / pte.chain word");
        assert_eq!((w.count, w.each_i386, w.each_x86_64), (1, 4, 8));
        assert_eq!(c.bytes_i386(), 4 + 32 * blocks, "{n} ptes");
        assert_eq!(c.bytes_x86_64(), 8 + 64 * blocks, "{n} ptes");
    }
}

#[test]
fn pte_chain_frees_the_head_block_when_removal_empties_it() {
    // §3.1: only the head block has free slots; removal moves the head's first entry into the
    // victim's slot and frees the head block once it is empty. 8 ptes: a full block and a head
    // holding one; the first exit empties the head.
    let mut text = shared_by(8);
    text.truncate(text.len() - 2);
    text.push_str(", Exit(pid: 8), Exit(pid: 7), Exit(pid: 2), Exit(pid: 3), Exit(pid: 4), Exit(pid: 5), Exit(pid: 6)])");
    let r = run_ron(&text, "pte-chain");
    assert_eq!(r.failures(), 0);
    let blocks: Vec<u64> = r.steps[9..].iter().map(|s| s.totals.rmap_objects).collect();
    // 7, 6, 5, 4, 3, 2, 1 ptes left: one block each time; a one-entry chain keeps its block
    // (removal never collapses to pte.direct).
    assert_eq!(blocks, vec![1, 1, 1, 1, 1, 1, 1]);
    assert_eq!(r.steps[8].totals.rmap_objects, 2, "after the seventh fork");
}

#[test]
fn anon_vma_rfc2_costs_a_link_per_vma_and_an_anon_vma_made_at_fork() {
    // §4 AV (RFC2 / 2.6.7): per vma anon_vma_node + anon_vma pointer, 12 B / 24 B; anon_vma
    // 12 B / 24 B, RFC2: made at fork; the 2004 i_mmap list_head per vma, 8 / 16 B.
    let c = cost_after(
        "Scenario(steps: [Mmap(pid: 1, addr: 0x10000, pages: 4), Write(pid: 1, addr: 0x10000, pages: 4)])",
        "anon-vma-rfc2",
    );
    assert_eq!(line(&c, "anon_vma (").count, 0, "no anon_vma before a fork");
    assert_eq!(c.bytes_i386(), 12 + 8);
    assert_eq!(c.bytes_x86_64(), 24 + 16);
    let c = cost_after("S1", "anon-vma-rfc2");
    let v = line(&c, "per-vma anon_vma_node");
    assert_eq!(
        (v.count, v.each_i386, v.each_x86_64, v.object),
        (2, 12, 24, false)
    );
    let a = line(&c, "anon_vma (");
    assert_eq!(
        (a.count, a.each_i386, a.each_x86_64, a.object),
        (1, 12, 24, true)
    );
    assert_eq!(c.bytes_i386(), 2 * 12 + 12 + 2 * 8);
    assert_eq!(c.bytes_x86_64(), 2 * 24 + 24 + 2 * 16);
    // One anon_vma per faulted vma at the first fork; later forks join it.
    let two_vmas = r#"Scenario(steps: [
        Mmap(pid: 1, addr: 0x10000, pages: 2), Write(pid: 1, addr: 0x10000, pages: 2),
        Mmap(pid: 1, addr: 0x40000, pages: 2), Write(pid: 1, addr: 0x40000, pages: 2),
        Mmap(pid: 1, addr: 0x80000, pages: 2),
        Fork(pid: 1, child: 2), Fork(pid: 1, child: 3)])"#;
    let r = run_ron(two_vmas, "anon-vma-rfc2");
    assert_eq!(
        r.steps[5].totals.rmap_objects, 2,
        "the unfaulted vma gets none"
    );
    assert_eq!(r.steps[6].totals.rmap_objects, 2);
}
