//! Every built-in scenario under every implemented scheme: the machine stays consistent, only
//! anonmm-naive loses ptes, and the rmap view the TUI draws is well formed (every object has
//! inspector fields, every edge points at an object that exists).

use rmapviz::session::Simulation;

mod common;

/// Schemes whose anonymous pages point at an anon object.
const OBJECT_BASED: [&str; 6] = [
    "anon-vma",
    "anon-vma-global",
    "anon-vma-global-prio",
    "anon-as",
    "anon-vma-chain",
    "modern",
];

fn check_view(sim: &Simulation) -> Result<(), String> {
    let v = sim.scheme.rmap_graph(&sim.machine);
    let n = v.objects.len();
    for o in &v.objects {
        if o.key.is_empty() || o.label.is_empty() || o.fields.is_empty() {
            return Err(format!("object {o:?} lacks a key, label or fields"));
        }
    }
    let mut keys: Vec<&str> = v.objects.iter().map(|o| o.key.as_str()).collect();
    keys.sort_unstable();
    if keys.windows(2).any(|w| w[0] == w[1]) {
        return Err(format!("duplicate object keys: {keys:?}"));
    }
    for (vma, i, _) in &v.vma_links {
        if *i >= n || sim.machine.find_vma(*vma).is_none() {
            return Err(format!("vma link {vma} -> {i} dangles"));
        }
    }
    for (a, b, _) in &v.object_links {
        if *a >= n || *b >= n {
            return Err(format!("object link {a} -> {b} dangles"));
        }
    }
    for (pages, i) in &v.page_links {
        if let Some(page) = pages.iter().find(|p| !sim.machine.pages.is_alive(*p)) {
            return Err(format!("page link {page} -> {i} dangles"));
        }
        if *i >= n || pages.is_empty() {
            return Err(format!("page link {pages:?} -> {i} dangles"));
        }
    }
    // Object-based schemes: every mapped anonymous page is linked to the object its mapping
    // names (page->mapping), so the graph shows where a walk starts.
    if OBJECT_BASED.contains(&sim.scheme_name()) {
        for id in sim.machine.pages.alive_ids() {
            let pg = sim.machine.pages.get(id);
            if pg.is_anon()
                && pg.mapcount() > 0
                && !v.page_links.iter().any(|(p, _)| p.contains(id))
            {
                return Err(format!(
                    "mapped anonymous page {id} has no page->mapping edge"
                ));
            }
        }
    }
    // Every scheme but pte-chain (which chains every pte to its page) finds a page-cache page
    // through its file: each mapped one is linked to its file's address_space (page->mapping).
    if sim.scheme_name() != "pte-chain" {
        for id in sim.machine.pages.alive_ids() {
            let pg = sim.machine.pages.get(id);
            let Some(f) = pg.file().filter(|_| pg.mapcount() > 0) else {
                continue;
            };
            let key = format!("i_mmap {}", sim.machine.file(f).name);
            let object = v.index_of(&key);
            if !v
                .page_links
                .iter()
                .any(|(p, i)| Some(*i) == object && p.contains(id))
            {
                return Err(format!(
                    "mapped page-cache page {id} is not linked to {key}"
                ));
            }
        }
    }
    let cost = sim.scheme.cost(&sim.machine.census());
    if cost.lines.is_empty() {
        return Err("no cost lines".to_string());
    }
    Ok(())
}

#[test]
fn every_builtin_under_every_scheme_keeps_the_machine_and_the_view_consistent() {
    common::each_builtin_step(|at, sim, r| {
        if let Err(e) = sim.machine.check_invariants() {
            panic!("{at}: {e}");
        }
        if let Err(e) = check_view(sim) {
            panic!("{at}: {e}");
        }
        if let Some(w) = &r.walk {
            assert!(
                w.lost.is_empty() || sim.scheme_name() == "anonmm-naive",
                "{at}: lost {:?}",
                w.lost
            );
            assert!(w.hit <= w.mapcount, "{at}");
        }
    });
}
