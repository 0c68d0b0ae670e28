//! What changed between two steps (issue 17 item 3), in the library: `Session::diff`. The
//! expectations are the kernel's behaviour as docs/semantics.md describes it, written here by
//! hand: fork copies the parent's ptes into the child (the pages are shared, mapcount 2) and
//! write-protects the parent's (copy-on-write); mremap moves the ptes to the new address; a write
//! to a shared page gives the writer a new page and drops the old page's mapcount by one; a
//! sole mapper's write reuses its page in place; reclaim swaps out every pte the walk finds.

use rmapviz::model::{PageId, PteVal};
use rmapviz::scenario::Scenario;
use rmapviz::schemes::{scheme_names, scheme_number};
use rmapviz::session::{DiffError, ObjectChange, ObjectDelta, PteHow, Session, StateDiff};

fn session(name: &str) -> Session {
    let (sc, _) = Scenario::load(name).unwrap();
    Session::new(sc, &scheme_names())
}

fn diff(name: &str, scheme: &str, from: usize, to: usize) -> StateDiff {
    session(name)
        .diff(scheme_number(scheme).unwrap(), from, to)
        .unwrap()
}

fn writable(v: PteVal) -> bool {
    matches!(v, PteVal::Page { writable: true, .. })
}

#[test]
fn fork_copies_the_ptes_shares_the_pages_and_write_protects_the_parent() {
    for scheme in scheme_names() {
        // S3 step 3: fork 1 2 after four pages were written at 0x10000.
        let d = diff("S3", scheme, 2, 3);
        assert_eq!(d.mms.len(), 1, "{scheme}: one new address space");
        assert_eq!((d.mms[0].pid, d.mms[0].before), (2, None), "{scheme}");
        let new_vmas: Vec<_> = d.vmas.iter().filter(|v| v.before.is_none()).collect();
        assert_eq!(new_vmas.len(), 1, "{scheme}: the child's copy of the vma");
        let v = new_vmas[0].after.as_ref().unwrap();
        assert_eq!((new_vmas[0].pid, v.start, v.end), (2, 0x10000, 0x14000));
        let copied: Vec<_> = d.ptes_how(|h| matches!(h, PteHow::Copied { .. })).collect();
        assert_eq!(copied.len(), 4, "{scheme}: four ptes copied into the child");
        for c in &copied {
            assert_eq!(c.pid, 2);
            // Copied from the parent's pte at the same address: the same page.
            assert_eq!(c.how, PteHow::Copied { from: (1, c.addr) }, "{scheme}");
            assert!(
                !writable(c.after),
                "{scheme}: the child's copy is read-only"
            );
        }
        let protected: Vec<_> = d.ptes_how(|h| h == PteHow::Bits).collect();
        assert_eq!(protected.len(), 4, "{scheme}: the parent's four ptes");
        for c in &protected {
            assert_eq!(c.pid, 1);
            assert!(writable(c.before) && !writable(c.after), "{scheme}");
            assert_eq!(c.before.into_page(), c.after.into_page());
        }
        assert_eq!(d.ptes.len(), 8, "{scheme}: nothing else");
        // The four pages are shared now: mapcount 1 -> 2, none made, none freed.
        assert_eq!(d.new_pages().count(), 0, "{scheme}");
        assert_eq!(d.freed_pages().count(), 0, "{scheme}");
        let counts: Vec<_> = d
            .pages
            .iter()
            .filter_map(|p| Some((p.before?.mapcount, p.after?.mapcount)))
            .collect();
        assert_eq!(counts, [(1, 2); 4], "{scheme}");
    }
}

#[test]
fn fork_makes_or_changes_rmap_objects_as_each_design_does() {
    // anon-vma: the child's vma joins the parent's anon_vma (its label counts the vmas), no new
    // object. modern: the child gets its own anon_vma and anon_vma_chains.
    let d = diff("S3", "anon-vma", 2, 3);
    assert!(
        d.objects
            .iter()
            .all(|o| o.before.is_some() && o.after.is_some())
    );
    assert!(!d.objects.is_empty(), "av1 gained the child's vma");
    let d = diff("S3", "modern", 2, 3);
    assert!(
        d.objects
            .iter()
            .any(|o| o.before.is_none() && o.kind == "anon_vma"),
        "modern: a new anon_vma for the child: {:?}",
        d.objects
    );
}

/// The one object of kind `kind` that changed (was there before and after).
fn changed<'d>(d: &'d StateDiff, key: &str) -> &'d ObjectChange {
    d.objects
        .iter()
        .find(|o| o.key == key && o.before.is_some() && o.after.is_some())
        .unwrap_or_else(|| panic!("{key} did not change: {:?}", d.objects))
}

fn links(label: &str, out: bool, added: &[&str], removed: &[&str]) -> ObjectDelta {
    ObjectDelta::Links {
        label: label.to_string(),
        out,
        added: added.iter().map(|s| s.to_string()).collect(),
        removed: removed.iter().map(|s| s.to_string()).collect(),
    }
}

/// A relinked rmap object says which link or field changed. From docs/semantics.md: S3's
/// mremap gives the parent a new vma at 0x80000 that copy_vma links to the same anon_vma, and
/// the vma at 0x10000 leaves it (anon-vma); anonmm's fork puts the child's anonmm in the
/// parent's ring (S9 step 3), and the reclaim after the child's exit that frees the dead
/// anonmm takes it out of the ring again (S9 step 8).
#[test]
fn a_relinked_object_says_which_link_or_field_changed() {
    let d = diff("S3", "anon-vma", 3, 4);
    let vma = |at: u64, after: bool| {
        d.vmas
            .iter()
            .find(|v| {
                let v_ = if after { &v.after } else { &v.before };
                v.pid == 1 && v_.as_ref().is_some_and(|v| v.start == at)
            })
            .map(|v| v.id.to_string())
            .unwrap()
    };
    let (new, old) = (vma(0x80000, true), vma(0x10000, false));
    let av = changed(&d, "av1");
    assert!(
        av.deltas
            .contains(&links("anon_vma_node", false, &[&new], &[&old])),
        "{:?}",
        av.deltas
    );
    // Its list of vmas names the moved one.
    assert!(
        av.deltas.iter().any(
            |x| matches!(x, ObjectDelta::Field { name, after: Some(a), .. }
            if name.starts_with("list") && a.contains("0x80000-0x84000"))
        ),
        "{:?}",
        av.deltas
    );
    // The ring is told once, by the link anonmm1 holds: not again by its ring fields, nor by
    // the new anonmm2's link back to anonmm1 (anonmm2 is listed as new).
    // Step 3's fork brings anonmm2 into the ring; it leaves at step 8, when the swap-out frees
    // the last page of the exited child that held it.
    for (from, to, joins) in [(2, 3, true), (7, 8, false)] {
        let d = diff("S9", "anonmm", from, to);
        assert!(
            d.objects.iter().any(|o| o.key == "anonmm2"
                && if joins {
                    o.before.is_none()
                } else {
                    o.after.is_none()
                }),
            "anonmm2 should be listed as {} at step {to}",
            if joins { "new" } else { "gone" }
        );
        let (added, removed): (&[&str], &[&str]) = if joins {
            (&["anonmm2"], &[])
        } else {
            (&[], &["anonmm2"])
        };
        let ring = changed(&d, "anonmm1");
        assert_eq!(ring.deltas, [links("ring", true, added, removed)]);
    }
}

/// Each change is told once, at every step of every built-in scenario under every scheme: a
/// link between two objects by the object holding it (in-links come from vmas and mms only),
/// and no field named after a kind of link that changed on the same object beside it.
#[test]
fn every_change_on_an_rmap_object_is_told_once() {
    let is_id = |end: &str, prefix: &str| {
        end.strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    };
    for b in rmapviz::scenario::BUILTINS.iter() {
        let mut s = session(b.name);
        for scheme in scheme_names() {
            let n = scheme_number(scheme).unwrap();
            for step in 1..=s.len() {
                let d = s.diff(n, step - 1, step).unwrap();
                for o in &d.objects {
                    let labels: Vec<&str> = o
                        .deltas
                        .iter()
                        .filter_map(|x| match x {
                            ObjectDelta::Links { label, .. } => Some(label.as_str()),
                            ObjectDelta::Field { .. } => None,
                        })
                        .collect();
                    for x in &o.deltas {
                        let at = format!("{} {scheme} step {step} {}: {x:?}", b.name, o.key);
                        match x {
                            ObjectDelta::Links {
                                out: false,
                                added,
                                removed,
                                ..
                            } => assert!(
                                added
                                    .iter()
                                    .chain(removed)
                                    .all(|e| is_id(e, "vma") || is_id(e, "mm")),
                                "an in-link from an object: {at}"
                            ),
                            ObjectDelta::Field { name, .. } => assert!(
                                !labels
                                    .iter()
                                    .any(|l| name == l || name.starts_with(&format!("{l} "))),
                                "a field restating a link: {at}"
                            ),
                            ObjectDelta::Links { .. } => {}
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn mremap_moves_the_parents_ptes() {
    // S3 step 4: mremap 1 0x10000 4 to=0x80000, the pages shared with the child.
    let d = diff("S3", "anon-vma", 3, 4);
    let moved: Vec<_> = d.ptes_how(|h| matches!(h, PteHow::Moved { .. })).collect();
    assert_eq!(moved.len(), 4);
    for c in &moved {
        assert_eq!(c.pid, 1);
        let PteHow::Moved { from } = c.how else {
            unreachable!()
        };
        assert_eq!(
            c.addr - 0x80000,
            from - 0x10000,
            "each page keeps its offset"
        );
        assert_eq!(c.before.into_page(), c.after.into_page());
    }
    assert_eq!(d.ptes.len(), 4, "the child's ptes stay");
    assert!(d.pages.is_empty(), "no page made, freed or remapped");
    // The vma at 0x10000 is gone from the parent, one at 0x80000 is there.
    let gone: Vec<_> = d.vmas.iter().filter_map(|v| v.before.as_ref()).collect();
    let came: Vec<_> = d.vmas.iter().filter_map(|v| v.after.as_ref()).collect();
    assert!(gone.iter().any(|v| v.start == 0x10000));
    assert!(came.iter().any(|v| v.start == 0x80000));
    // rmap 11's anonmm copies the shared pages at mremap instead: four new pages, the
    // originals left to the child (mapcount 2 -> 1).
    let d = diff("S3", "anonmm", 3, 4);
    assert_eq!(d.new_pages().count(), 4, "{:?}", d.pages);
    let dropped = d
        .pages
        .iter()
        .filter(|p| p.before.is_some_and(|b| b.mapcount == 2))
        .filter(|p| p.after.is_some_and(|a| a.mapcount == 1))
        .count();
    assert_eq!(dropped, 4);
}

#[test]
fn reclaim_swaps_out_the_ptes_the_walk_finds() {
    // anon-vma finds both ptes of p2: both name one swap slot, the page is unmapped.
    let d = diff("S3", "anon-vma", 4, 5);
    let out: Vec<_> = d.ptes_how(|h| h == PteHow::SwappedOut).collect();
    let at: Vec<_> = out.iter().map(|c| (c.pid, c.addr)).collect();
    assert_eq!(at, [(1, 0x81000), (2, 0x11000)]);
    assert!(out.iter().all(|c| c.before.into_page() == Some(PageId(2))));
    assert_eq!(out[0].after, out[1].after, "the same swap entry");
    let p2 = d.pages.iter().find(|p| p.page == PageId(2)).unwrap();
    assert!(p2.after.is_none_or(|a| a.mapcount == 0), "{p2:?}");
    // anonmm-naive loses the parent's moved pte: only the child's is swapped out, and p2 is
    // still mapped once.
    let d = diff("S3", "anonmm-naive", 4, 5);
    let out: Vec<_> = d.ptes_how(|h| h == PteHow::SwappedOut).collect();
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].pid, out[0].addr), (2, 0x11000));
    let p2 = d.pages.iter().find(|p| p.page == PageId(2)).unwrap();
    assert_eq!(p2.after.map(|a| a.mapcount), Some(1));
}

/// A storm's children each write every page: each write copies the parent's page at that
/// address (the parent wrote its pages in address order, p1 first), and the difference names
/// that page as the source of every copy.
#[test]
fn every_copy_of_a_storm_names_the_page_it_copied() {
    let (children, pages) = (5u32, 6u64);
    let mut s = Session::new(rmapviz::scenario::storm(children, pages), &["modern"]);
    let forked = 2 + children as usize;
    let written = forked + children as usize;
    let d = s.diff(0, forked, written).unwrap();
    let text = rmapviz::report::diff::lines(&d, usize::MAX);
    let copies: Vec<&String> = text.iter().filter(|l| l.contains("(copy of ")).collect();
    assert_eq!(
        copies.len(),
        (u64::from(children) * pages) as usize,
        "{text:#?}"
    );
    for c in d.ptes_how(|h| h == PteHow::Remapped) {
        let i = (c.addr - 0x1000_0000) / 0x1000;
        let new = c.after.into_page().unwrap();
        let line = format!("  {new} new, map 1 (copy of p{})", i + 1);
        assert!(text.contains(&line), "{line}: {text:#?}");
    }
}

#[test]
fn a_copy_on_write_makes_one_page_and_the_original_loses_a_mapping() {
    // S8 step 5: the parent writes x, mapped by the parent and two children.
    for scheme in ["anon-vma", "modern", "pte-chain", "anonmm"] {
        let d = diff("S8", scheme, 4, 5);
        let new: Vec<_> = d.new_pages().collect();
        assert_eq!(new.len(), 1, "{scheme}: one new page");
        let copy = new[0].page;
        let remapped: Vec<_> = d.ptes_how(|h| h == PteHow::Remapped).collect();
        assert_eq!(remapped.len(), 1, "{scheme}");
        assert_eq!((remapped[0].pid, remapped[0].addr), (1, 0x10000));
        assert_eq!(remapped[0].after.into_page(), Some(copy));
        assert!(
            writable(remapped[0].after),
            "{scheme}: the copy is writable"
        );
        let x = remapped[0].before.into_page().unwrap();
        assert_eq!(
            d.copied_from(copy).and_then(PteVal::into_page),
            Some(x),
            "{scheme}"
        );
        assert_eq!(
            d.copy_sources()
                .get(&copy)
                .copied()
                .and_then(PteVal::into_page),
            Some(x),
            "{scheme}"
        );
        let xc = d.pages.iter().find(|p| p.page == x).unwrap();
        assert_eq!(
            (xc.before.unwrap().mapcount, xc.after.unwrap().mapcount),
            (3, 2),
            "{scheme}"
        );
        assert_eq!(new[0].after.unwrap().mapcount, 1, "{scheme}");
    }
}

#[test]
fn a_sole_mappers_write_reuses_the_page_and_modern_moves_it_to_its_anon_vma() {
    // S8 step 7: child 2 writes x, of which it is the only mapper: no copy.
    for scheme in ["anon-vma", "modern"] {
        let d = diff("S8", scheme, 6, 7);
        assert_eq!(d.new_pages().count(), 0, "{scheme}: reused in place");
        let c: Vec<_> = d.ptes.iter().collect();
        assert_eq!(c.len(), 1, "{scheme}: {c:?}");
        assert_eq!((c[0].pid, c[0].how), (2, PteHow::Bits));
        assert!(!writable(c[0].before) && writable(c[0].after));
    }
    // anon-vma leaves x on the family's anon_vma; modern moves it to child 2's own
    // (folio_move_anon_rmap): page->mapping changes, the mapcount does not.
    let d = diff("S8", "anon-vma", 6, 7);
    assert!(
        d.pages
            .iter()
            .all(|p| p.before.map(|b| b.mapping) == p.after.map(|a| a.mapping))
    );
    let d = diff("S8", "modern", 6, 7);
    let moved: Vec<_> = d
        .pages
        .iter()
        .filter(|p| p.before.unwrap().mapping != p.after.unwrap().mapping)
        .collect();
    assert_eq!(moved.len(), 1);
    assert_eq!(
        moved[0].before.unwrap().mapcount,
        moved[0].after.unwrap().mapcount
    );
}

#[test]
fn any_two_steps_either_way() {
    let mut s = session("S3");
    let av = scheme_number("anon-vma").unwrap();
    assert!(s.diff(av, 3, 3).unwrap().is_empty());
    // Backwards over the fork: the child and its ptes are removed, the parent's made writable.
    let d = s.diff(av, 3, 2).unwrap();
    assert_eq!((d.mms[0].pid, d.mms[0].after), (2, None));
    assert_eq!(d.ptes_how(|h| h == PteHow::Removed).count(), 4);
    // From the start to the end: the pages made that are still mapped, every pte new (eight:
    // four in each process, p2's two now swap entries).
    let d = s.diff(av, 0, 5).unwrap();
    let made: Vec<_> = d.new_pages().map(|p| p.page).collect();
    for p in [1, 3, 4] {
        assert!(made.contains(&PageId(p)), "p{p} in {made:?}");
    }
    assert_eq!(d.ptes.len(), 8);
    assert!(d.ptes.iter().all(|c| c.how == PteHow::New));
}

#[test]
fn steps_out_of_range_are_refused() {
    let mut s = session("S3");
    assert_eq!(
        s.diff(0, 2, 9),
        Err(DiffError::StepOutOfRange { step: 9, len: 5 })
    );
    assert_eq!(
        s.diff(0, 6, 1),
        Err(DiffError::StepOutOfRange { step: 6, len: 5 })
    );
    assert_eq!(s.diff(99, 0, 1), Err(DiffError::NoScheme(99)));
}

fn rmapviz(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_rmapviz"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_diff_command_prints_and_exports_the_difference() {
    let out = rmapviz(&[
        "diff", "S8", "--from", "4", "--to", "5", "--scheme", "anon-vma",
    ]);
    assert!(out.status.success());
    let t = String::from_utf8(out.stdout).unwrap();
    assert!(
        t.contains("from step 4 (fork 1 3) to step 5 (write 1 0x10000 1)"),
        "{t}"
    );
    assert!(
        t.contains("ptes remapped (1):\n  pid 1 0x10000 p1 r -> p2 rw"),
        "{t}"
    );
    assert!(t.contains("p2 new, map 1 (copy of p1)"), "{t}");
    assert!(t.contains("p1 map 3 -> 2"), "{t}");
    // Without --from and --to: the last step against the one before.
    let out = rmapviz(&["diff", "S3"]);
    let t = String::from_utf8(out.stdout).unwrap();
    assert!(
        t.contains("from step 4 (mremap 1 0x10000 4 to=0x80000) to step 5"),
        "{t}"
    );
    // JSON: every change, with how each pte changed and where a copy came from.
    let out = rmapviz(&["diff", "S3", "--from", "2", "--to", "3", "--json"]);
    assert!(out.status.success());
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["scheme"], "anon-vma");
    assert_eq!((j["from"].as_u64(), j["to"].as_u64()), (Some(2), Some(3)));
    let ptes = j["ptes"].as_array().unwrap();
    let copied: Vec<_> = ptes.iter().filter(|p| p["how"] == "copied").collect();
    assert_eq!(copied.len(), 4);
    assert_eq!(copied[0]["from"]["pid"], 1);
    assert_eq!(copied[0]["after"]["page"], "p1");
    assert_eq!(copied[0]["after"]["writable"], false);
    assert_eq!(j["mms"][0]["pid"], 2);
    // A relinked object: which link and which field (S3's mremap: the new vma at 0x80000
    // joins av1, the old one leaves; S9's fork: the child's anonmm joins the parent's ring).
    let out = rmapviz(&[
        "diff", "S3", "--from", "3", "--to", "4", "--scheme", "anon-vma",
    ]);
    let t = String::from_utf8(out.stdout).unwrap();
    assert!(t.contains("+ vma3 pid 1 0x80000-0x84000"), "{t}");
    assert!(t.contains("- vma1 pid 1 0x10000-0x14000"), "{t}");
    // av1's lines: the object, its list of vmas (the moved one named), the links.
    let av1: Vec<&str> = t
        .lines()
        .skip_while(|l| *l != "  ~ anon_vma av1 (2 vmas)")
        .take(3)
        .collect();
    assert_eq!(av1.len(), 3, "{t}");
    assert!(
        av1[1].starts_with("    list (head first): ")
            && av1[1]
                .split(" -> ")
                .nth(1)
                .unwrap()
                .contains("pid 1 0x80000-0x84000"),
        "{t}"
    );
    assert_eq!(
        av1[2],
        "    anon_vma_node from vma3 added, anon_vma_node from vma1 removed"
    );
    assert!(!t.contains("links or fields"), "{t}");
    // S9's fork: the child's anonmm joins the ring, told once, by the link anonmm1 holds.
    let out = rmapviz(&[
        "diff", "S9", "--from", "2", "--to", "3", "--scheme", "anonmm",
    ]);
    let t = String::from_utf8(out.stdout).unwrap();
    let changed: Vec<&str> = t
        .lines()
        .skip_while(|l| *l != "rmap objects changed (1):")
        .collect();
    assert_eq!(
        changed,
        [
            "rmap objects changed (1):",
            "  ~ anonmm anonmm1 pid 1 (head)",
            "    ring none -> anonmm2"
        ],
        "{t}"
    );
    let out = rmapviz(&[
        "diff", "S9", "--from", "2", "--to", "3", "--scheme", "anonmm", "--json",
    ]);
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let objects = j["objects"].as_array().unwrap();
    let a1 = objects.iter().find(|o| o["key"] == "anonmm1").unwrap();
    let changes = a1["changes"].as_array().unwrap();
    assert!(
        changes.contains(&serde_json::json!({
            "links": "ring", "direction": "out", "added": ["anonmm2"], "removed": []
        })),
        "{changes:?}"
    );
    assert_eq!(changes.len(), 1, "the ring told once: {changes:?}");
    // --limit: at most N items of each kind, then how many more.
    let out = rmapviz(&["diff", "S3", "--from", "0", "--to", "5", "--limit", "2"]);
    let t = String::from_utf8(out.stdout).unwrap();
    assert!(
        t.contains("ptes new (8):") && t.contains("... and 6 more"),
        "{t}"
    );
}

#[test]
fn the_diff_command_refuses_bad_input() {
    let fails = |args: &[&str], says: &str| {
        let out = rmapviz(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    };
    fails(
        &["diff", "S3", "--to", "9"],
        "--to 9: step out of range: builtin:S3 has 5 steps",
    );
    fails(
        &["diff", "S3", "--from", "6", "--to", "1"],
        "--from 6: step out of range",
    );
    fails(
        &["diff", "S3", "--scheme", "nope"],
        "unknown scheme \"nope\"",
    );
    fails(&["diff", "S3", "--scheme", "all"], "takes one scheme");
    fails(&["diff", "no-such-file.ron"], "no-such-file.ron");
    fails(&["diff", "S3", "--from", "x"], "invalid value 'x'");
}
