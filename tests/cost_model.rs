//! The memory-cost model against docs/semantics.md §4, and the DERIVED historical sizes against
//! a plain-C layout model (tests/layouts/historical.h) compiled with gcc for both ABIs.

use rmapviz::model::{Cost, CostLine};
use rmapviz::scenario::Scenario;
use rmapviz::session::Simulation;

mod common;
use common::dir::test_dir;

/// Parent with a written vma and a private file mapping with a copy, two children by fork, one
/// of which then creates and writes memory of its own: every object kind of every scheme exists.
const EVERYTHING: &str = r#"Scenario(steps: [
    Mmap(pid: 1, addr: 0x10000, pages: 4),
    Write(pid: 1, addr: 0x10000, pages: 4),
    Mmap(pid: 1, addr: 0x40000, pages: 2, file: "lib.so"),
    Write(pid: 1, addr: 0x40000),
    Fork(pid: 1, child: 2),
    Fork(pid: 1, child: 3),
    Mmap(pid: 2, addr: 0x80000, pages: 2),
    Write(pid: 2, addr: 0x80000, pages: 2),
])"#;

fn cost_after(scheme: &str, text: &str) -> (Simulation, Cost) {
    let mut sim = Simulation::by_name(scheme).unwrap_or_else(|e| panic!("{e}"));
    for op in Scenario::parse(text, "cost.ron").unwrap().ops() {
        let r = sim.step(op, false);
        assert!(r.error.is_none(), "{scheme}: {op}: {:?}", r.error);
    }
    let c = sim.scheme.cost(&sim.machine.census());
    (sim, c)
}

/// The line of `cost` whose description contains `what`.
fn line<'a>(cost: &'a Cost, what: &str) -> &'a CostLine {
    let found: Vec<&CostLine> = cost
        .lines
        .iter()
        .filter(|l| l.what.contains(what))
        .collect();
    assert_eq!(found.len(), 1, "one line for {what:?} in {:#?}", cost.lines);
    found[0]
}

fn vmas(sim: &Simulation) -> u64 {
    sim.machine
        .procs
        .values()
        .map(|p| p.mm.vmas.len() as u64)
        .sum()
}

fn objects(sim: &Simulation, kind: &str) -> u64 {
    let v = sim.scheme.rmap_graph(&sim.machine);
    v.objects.iter().filter(|o| o.kind == kind).count() as u64
}

#[test]
fn anon_vma_costs_12_bytes_per_vma_and_12_per_anon_vma_on_i386() {
    // §4 AV: anon_vma_node + anon_vma pointer = 12 B (32-bit) / 24 B (64-bit) per vma;
    // anon_vma = 12 B / 24 B. Andrea: "worst case 24byte overhead per anonymous vma".
    let (sim, c) = cost_after("anon-vma", EVERYTHING);
    let per_vma = line(&c, "anon_vma_node");
    assert_eq!((per_vma.each_i386, per_vma.each_x86_64), (12, 24));
    assert_eq!(per_vma.count, vmas(&sim));
    let av = line(&c, "anon_vma (");
    assert_eq!((av.each_i386, av.each_x86_64), (12, 24));
    assert_eq!(av.count, objects(&sim, "anon_vma"));
    assert!(av.object && !per_vma.object);
}

#[test]
fn modern_costs_96_bytes_per_anon_vma_and_64_per_avc_on_x86_64() {
    // §4 MOD 6.18 (measured from BTF): anon_vma 96 B, anon_vma_chain 64 B.
    let (sim, c) = cost_after("modern", EVERYTHING);
    let exact = |what: &str| c.lines.iter().find(|l| l.what == what).unwrap();
    assert_eq!(exact("anon_vma").each_x86_64, 96);
    assert_eq!(exact("anon_vma").count, objects(&sim, "anon_vma"));
    assert_eq!(exact("anon_vma_chain").each_x86_64, 64);
}

#[test]
fn anon_vma_chain_costs_the_2_6_34_layouts() {
    // §4 AVC 2.6.34: anon_vma_chain 24 B (32-bit) / 48 B (64-bit) DERIVED; one anon_vma per
    // process per faulted vma, in the 2.6.36 layout (lock, root, refcount, list head).
    let (sim, c) = cost_after("anon-vma-chain", EVERYTHING);
    let avc = line(&c, "anon_vma_chain (");
    assert_eq!((avc.each_i386, avc.each_x86_64), (24, 48));
    let av = line(&c, "anon_vma (");
    assert_eq!((av.each_i386, av.each_x86_64), (20, 40));
    // Faulted vmas: P's two, and by fork two in each child, and child 2's own: one anon_vma
    // each (nothing reused at fork in this era).
    assert_eq!(av.count, 7);
    assert_eq!(av.count, objects(&sim, "anon_vma"));
    // P: 2 AVCs; each child: 2 per inherited vma (parent's + own); child 2's new vma: 1.
    assert_eq!(avc.count, 2 + 4 + 4 + 1);
    assert_eq!(
        c.bytes_i386(),
        c.lines.iter().map(|l| l.count * l.each_i386).sum::<u64>()
    );
}

#[test]
fn anon_vma_global_has_one_object_per_exec_family_with_the_anon_vma_layout() {
    // §4 AVG: per vma same as AV (12 / 24 B); fewer objects: one per family, 12 / 24 B.
    let (sim, c) = cost_after("anon-vma-global", EVERYTHING);
    let per_vma = line(&c, "anon_vma_node");
    assert_eq!((per_vma.each_i386, per_vma.each_x86_64), (12, 24));
    assert_eq!(per_vma.count, vmas(&sim));
    let obj = line(&c, "anon_vma_global (");
    assert_eq!((obj.each_i386, obj.each_x86_64, obj.count), (12, 24, 1));
    // anon-vma needs one anon_vma per faulted vma of the parent (2) plus one for the child's
    // new vma; the global object is one for the whole family (Andrea: "would save 8 bytes per
    // vma of anonvma objects").
    let (_, av) = cost_after("anon-vma", EVERYTHING);
    assert_eq!(line(&av, "anon_vma (").count, 3);
    assert_eq!(c.objects(), 1);
    let (sim, p) = cost_after("anon-vma-global-prio", EVERYTHING);
    assert_eq!(line(&p, "anon prio_tree node").count, vmas(&sim));
    assert_eq!(line(&p, "anon_vma_global (").count, 1);
}

#[test]
fn anon_as_costs_one_address_space_per_family() {
    // anon_as.rs (DERIVED from §3.6 and §4): per family a struct address_space, 128 B on i386
    // (2.6.0 layout) and 192 B on x86_64 (6.18, measured from BTF); per vma a tree node and the
    // i_mmap list linkage; per mm a pointer.
    let (sim, c) = cost_after("anon-as", EVERYTHING);
    let space = line(&c, "address_space (");
    assert_eq!(
        (space.each_i386, space.each_x86_64, space.count),
        (128, 192, 1)
    );
    assert_eq!(line(&c, "family prio_tree node").count, vmas(&sim));
    assert_eq!(line(&c, "per-mm pointer").count, 3);
    assert_eq!(c.objects(), 1);
    assert_eq!(
        c.bytes_i386(),
        128 + 3 * 4 + vmas(&sim) * (16 + 8),
        "{:#?}",
        c.lines
    );
    // README's "Memory cost model" for x86_64: the address_space 192 B, the per-mm pointer 8 B,
    // per vma the tree node 32 B and the list linkage 16 B.
    assert_eq!(
        c.bytes_x86_64(),
        192 + 3 * 8 + vmas(&sim) * (32 + 16),
        "{:#?}",
        c.lines
    );
}

/// (scheme, cost line containing, C struct whose sizeof it must be, ABIs to check)
const DERIVED: &[(&str, &str, &str, Abi)] = &[
    ("anon-vma", "anon_vma_node", "vma_anon_267", Abi::Both),
    ("anon-vma", "anon_vma (", "anon_vma_267", Abi::Both),
    ("anon-vma", "prio_tree", "vma_prio_267", Abi::Both),
    (
        "anon-vma-chain",
        "anon_vma_chain (",
        "anon_vma_chain_2634",
        Abi::Both,
    ),
    ("anon-vma-chain", "anon_vma (", "anon_vma_2636", Abi::Both),
    (
        "anon-vma-chain",
        "head + anon_vma pointer",
        "vma_anon_2634",
        Abi::Both,
    ),
    ("anon-vma-chain", "prio_tree", "vma_prio_267", Abi::Both),
    (
        "anon-vma-global",
        "anon_vma_node",
        "vma_anon_267",
        Abi::Both,
    ),
    (
        "anon-vma-global",
        "anon_vma_global (",
        "anon_vma_267",
        Abi::Both,
    ),
    (
        "anon-vma-global",
        "i_mmap list",
        "vma_shared_260",
        Abi::Both,
    ),
    (
        "anon-vma-global-prio",
        "anon prio_tree node",
        "vma_avg_prio",
        Abi::Both,
    ),
    (
        "anon-vma-global-prio",
        "anon_vma_global (",
        "avg_prio_object",
        Abi::Both,
    ),
    (
        "anon-vma-global-prio",
        "i_mmap list",
        "vma_shared_260",
        Abi::Both,
    ),
    ("anon-as", "address_space (", "address_space_260", Abi::I386),
    (
        "anon-as",
        "family prio_tree node",
        "vma_prio_267",
        Abi::Both,
    ),
    ("anon-as", "per-mm pointer", "mm_anon_as", Abi::Both),
    ("anon-as", "i_mmap list", "vma_shared_260", Abi::Both),
    ("pte-chain", "pte.direct", "page_pte_union", Abi::Both),
    ("pte-chain", "pte_chain block", "pte_chain_block", Abi::Both),
    ("anonmm", "anonmm (", "anonmm_r10", Abi::Both),
    ("anonmm", "mm->anonmm", "mm_anonmm", Abi::Both),
    ("anonmm", "i_mmap list", "vma_shared_260", Abi::Both),
    ("anon-vma-rfc2", "anon_vma_node", "vma_anon_267", Abi::Both),
    ("anon-vma-rfc2", "anon_vma (", "anon_vma_267", Abi::Both),
    ("anon-vma-rfc2", "i_mmap list", "vma_shared_260", Abi::Both),
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum Abi {
    Both,
    I386,
}

/// Compiles the layout model with `gcc -m32` / `-m64`, asserting the code's sizes. Returns why
/// it could not run, if it could not.
fn check_with_gcc(bits: u32, asserts: &str) -> Result<(), String> {
    // One directory per call: the tests of this file run in parallel threads of one process,
    // and two of them writing the same check32.c at once made gcc read a mixed file.
    let dir = test_dir("layouts");
    let header = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/layouts/historical.h");
    let probe = dir.join(format!("probe{bits}.c"));
    std::fs::write(&probe, "int x;\n").map_err(|e| e.to_string())?;
    let run = |file: &std::path::Path| {
        std::process::Command::new("gcc")
            .arg(format!("-m{bits}"))
            .args(["-fsyntax-only", "-std=c11"])
            .arg(file)
            .output()
    };
    let compiled = match run(&probe) {
        Err(e) => Err(format!("gcc not available ({e})")),
        Ok(o) if !o.status.success() => Err(format!(
            "gcc -m{bits} does not work here: {}",
            String::from_utf8_lossy(&o.stderr)
        )),
        Ok(_) => {
            let src = dir.join(format!("check{bits}.c"));
            std::fs::write(&src, format!("#include \"{header}\"\n{asserts}"))
                .map_err(|e| e.to_string())
                .and_then(|()| run(&src).map_err(|e| e.to_string()))
        }
    };
    let o = compiled?;
    assert!(
        o.status.success(),
        "the cost model disagrees with the C layout model (gcc -m{bits}):\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    Ok(())
}

#[test]
fn derived_historical_sizes_match_a_c_layout_model() {
    let mut asserts = [String::new(), String::new()];
    for &(scheme, what, cstruct, abi) in DERIVED {
        let (_, c) = cost_after(scheme, EVERYTHING);
        let l = line(&c, what);
        for (i, each) in [l.each_i386, l.each_x86_64].into_iter().enumerate() {
            if i == 1 && abi == Abi::I386 {
                continue;
            }
            asserts[i].push_str(&format!(
                "_Static_assert(sizeof(struct {cstruct}) == {each}, \"{scheme}: {what}\");\n"
            ));
        }
    }
    for (i, bits) in [32, 64].into_iter().enumerate() {
        if let Err(why) = check_with_gcc(bits, &asserts[i]) {
            println!("skipped the {bits}-bit layout check: {why}");
        }
    }
}

#[test]
fn the_claims_byte_counts_match_the_c_layout_model() {
    // `rmapviz claims` explains the mail's 8 and 12 bytes by i386 fields: every field it names
    // must exist in the C model with that size, and every structure must add up to its fields.
    use rmapviz::claims::layout::LAYOUTS;
    let mut asserts = String::new();
    for l in LAYOUTS {
        let s = l.c_struct;
        for f in l.fields {
            asserts.push_str(&format!(
                "_Static_assert(sizeof(((struct {s} *)0)->{}) == {}, \"{}: {}\");\n",
                f.name, f.bytes, l.what, f.name
            ));
        }
        asserts.push_str(&format!(
            "_Static_assert(sizeof(struct {s}) == {}, \"{}\");\n",
            l.bytes(),
            l.what
        ));
    }
    if let Err(why) = check_with_gcc(32, &asserts) {
        println!("skipped the 32-bit layout check of the claims: {why}");
    }
}
