//! The built-in teaching scenarios under `anon-vma` and `modern`, checked against the walk
//! results that docs/semantics.md §7 gives (and the kernel orders of its §2.2).

mod common;
use common::*;

const SCHEMES: [&str; 2] = ["anon-vma", "modern"];

#[test]
fn every_builtin_replays_under_both_schemes_without_panicking() {
    for b in rmapviz::scenario::BUILTINS.iter() {
        for s in SCHEMES {
            let r = run(b.name, s);
            assert_eq!(
                r.steps.len(),
                rmapviz::scenario::Scenario::parse(b.source, b.name)
                    .unwrap()
                    .steps
                    .len()
            );
        }
    }
}

#[test]
fn s1_fork_then_reclaim_finds_both_ptes() {
    // §7 S1: AV list {C-vma, P-vma}: 2H; MOD tree returns P-vma, C-vma: 2H.
    let av = walks(&run("S1", "anon-vma"));
    assert_eq!(
        visits(&av[0]),
        vec![(2, H), (1, H)],
        "anon_vma list is newest first"
    );
    let md = walks(&run("S1", "modern"));
    assert_eq!(
        visits(&md[0]),
        vec![(1, H), (2, H)],
        "interval tree: equal pgoff, insertion order"
    );
    for w in [&av[0], &md[0]] {
        assert!(w.unmapped_all);
        assert!(w.lost.is_empty());
    }
}

#[test]
fn s2_cow_storm_scans_the_family_under_anon_vma_only() {
    // §7 S2 with N = 3 children: (a) AV up to N+1 vmas, <= N M + 1 H; AVC/MOD 1.
    let av = walks(&run("S2", "anon-vma"));
    let md = walks(&run("S2", "modern"));
    // (a) child 2's copy: newest-first list [4, 3, 2, 1] stops at child 2.
    assert_eq!(visits(&av[0]), vec![(4, M), (3, M), (2, H)]);
    assert_eq!(visits(&md[0]), vec![(2, H)]);
    // (b) the parent's original: AV probes every child before the parent.
    assert_eq!(visits(&av[1]), vec![(4, M), (3, M), (2, M), (1, H)]);
    assert!(md[1].miss <= 3 && md[1].hit == 1, "MOD: <= N M + 1 H");
    // (c) shared by the parent and child 4 only: both found among four processes.
    for w in [&av[2], &md[2]] {
        assert_eq!(w.hit, 2);
        assert!(w.miss <= 3);
        assert!(w.unmapped_all);
    }
    // 4 original pages + 4 + 4 + 3 copies.
    let r = run("S2", "modern");
    assert_eq!(r.steps[7].totals.pages, 15);
}

#[test]
fn s3_moved_pte_is_found_through_vm_pgoff() {
    // §7 S3: AV / MOD: new vma keeps old pgoff; 2H.
    for s in SCHEMES {
        let r = run("S3", s);
        let w = &walks(&r)[0];
        assert_eq!(counts(w), (2, 0, 0, 0, 0), "{s}");
        let hits: Vec<(u32, Option<u64>)> = w.visits.iter().map(|v| (v.pid, v.addr)).collect();
        assert!(
            hits.contains(&(1, Some(0x81000))),
            "{s}: the parent's moved pte at 0x81000"
        );
        assert!(hits.contains(&(2, Some(0x11000))), "{s}");
        assert_eq!(r.steps[3].totals.pages, 4, "{s}: mremap copies nothing");
    }
    // anon_vma: copy_vma links the moved vma at the head; modern: C was inserted before P'.
    assert_eq!(
        visits(&walks(&run("S3", "anon-vma"))[0]),
        vec![(1, H), (2, H)]
    );
    assert_eq!(
        visits(&walks(&run("S3", "modern"))[0]),
        vec![(2, H), (1, H)]
    );
}

#[test]
fn s4_checkerboard_list_walk_steps_over_every_piece_tree_walk_does_not() {
    // §7 S4: AV: all pieces on one list: O for every other piece + 1 H; MOD: 1 H.
    let r = run("S4", "anon-vma");
    assert_eq!(r.steps[9].totals.vmas, 16);
    let w = &walks(&r)[0];
    assert_eq!(w.hit, 1);
    assert_eq!(w.miss, 0);
    assert!(w.out >= 1 && w.out <= 15);
    assert_eq!(w.visits.last().map(|v| v.outcome), Some(H));
    let m = run("S4", "modern");
    assert_eq!(m.steps[9].totals.vmas, 16);
    assert_eq!(counts(&walks(&m)[0]), (1, 0, 0, 0, 0));
    // mprotect everything back: re-merged to one vma.
    for r in [&r, &m] {
        assert_eq!(r.steps[11].totals.vmas, 1);
        assert_eq!(counts(&walks(r)[1]), (1, 0, 0, 0, 0));
    }
}

#[test]
fn s5_exec_removes_children_from_the_walk() {
    // §7 S5: exec'ed vmas unlinked: list {P, child}: 2H.
    for s in SCHEMES {
        let r = run("S5", s);
        let w = &walks(&r)[0];
        assert_eq!(counts(w), (2, 0, 0, 0, 0), "{s}");
        let pids: Vec<u32> = w.visits.iter().map(|v| v.pid).collect();
        assert!(pids.contains(&1) && pids.contains(&4), "{s}: {pids:?}");
    }
}

#[test]
fn s7_faulted_neighbours_do_not_merge() {
    // §7 S7: AV / AVC / MOD: no merge; a later single mremap spanning A+B fails with EFAULT
    // (a resizing one: since Linux 6.17 a size-keeping move may span vmas, see
    // model_ranges.rs).
    for s in SCHEMES {
        let r = run("S7", s);
        assert_eq!(r.steps[4].totals.vmas, 2, "{s}");
        let e = r.steps[6]
            .error
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default();
        assert!(e.contains("EFAULT"), "{s}: {e}");
        assert_eq!(counts(&walks(&r)[0]), (1, 0, 0, 0, 0), "{s}");
    }
}

#[test]
fn s8_reused_page_moves_to_own_anon_vma_in_modern() {
    // §7 S8: AV: family anon_vma, <= family-size probes; MOD: 1H.
    let av = walks(&run("S8", "anon-vma"));
    assert_eq!(av[0].hit, 1);
    assert!(av[0].visits.len() <= 3);
    assert_eq!(visits(&av[0]), vec![(3, M), (2, H)]);
    let md = walks(&run("S8", "modern"));
    assert_eq!(visits(&md[0]), vec![(2, H)]);
    assert_ne!(md[0].object, "av1", "the page left the root anon_vma");
}

#[test]
fn s9_swapin_by_the_child_first_then_the_parent_shares_one_page() {
    for s in SCHEMES {
        let r = run("S9", s);
        let w = walks(&r);
        assert_eq!(
            counts(&w[0]),
            (2, 0, 0, 0, 0),
            "{s}: both ptes become swap entries"
        );
        // §6.2 observed: C maps the swap-cache page (mapcount 1), then P maps the same page (2).
        assert_eq!(r.steps[4].totals.pages, 1, "{s}");
        assert_eq!(
            r.steps[5].totals.pages, 1,
            "{s}: the parent maps the same swap-cache page"
        );
        assert_eq!(r.steps[5].totals.ptes, 2, "{s}");
        assert_eq!(
            counts(&w[1]),
            (1, 0, 0, 0, 0),
            "{s}: after the child exits, one HIT"
        );
    }
    // MOD: the non-exclusive swap-in points the page at the root anon_vma (av1), so the
    // parent's walk still finds it after the child (and its anon_vma) is gone.
    assert_eq!(walks(&run("S9", "modern"))[1].object, "av1");
}

#[test]
fn s10_file_walk_misses_in_the_writers_vma() {
    // §7 S10: the file walk visits P's VMA (M: it maps the anon copy) then Q's VMA (H).
    for s in SCHEMES {
        let r = run("S10", s);
        let w = walks(&r);
        assert_eq!(visits(&w[0]), vec![(1, M), (2, H)], "{s}");
        assert!(w[0].object.contains("data.bin"));
        assert_eq!(
            counts(&w[1]),
            (1, 0, 0, 0, 0),
            "{s}: the copy is found through the anon side"
        );
        assert!(w[1].object.starts_with("av"));
        assert!(
            r.steps[8].error.is_none(),
            "{s}: the dropped page is read back"
        );
    }
}

#[test]
fn s11_partial_munmap() {
    // §7 S11: AV: both remaining pieces (right piece O); MOD: 1H via tree.
    assert_eq!(
        visits(&walks(&run("S11", "anon-vma"))[0]),
        vec![(1, O), (1, H)]
    );
    assert_eq!(visits(&walks(&run("S11", "modern"))[0]), vec![(1, H)]);
    assert_eq!(run("S11", "modern").steps[2].totals.vmas, 2);
}

#[test]
fn s12_parent_exits_first_and_the_child_is_still_found() {
    // §7 S12: AV: the anon_vma survives on C's vma; AVC/MOD: P's root anon_vma stays alive.
    for s in SCHEMES {
        let w = walks(&run("S12", s));
        assert_eq!(visits(&w[0]), vec![(2, H)], "{s}");
        assert_eq!(
            w[0].object, "av1",
            "{s}: the page still points at the parent's object"
        );
        assert_eq!(w[1].referenced, 0, "{s}: fork copies the child's pte old");
    }
    let r = run("S12", "modern");
    // av1 (root, kept) + av2 (child's) + the child's two AVCs.
    assert_eq!(r.steps[3].totals.rmap_objects, 4);
}

/// What a step's note says about its walk, under the schemes it names, with the expected
/// result taken from docs/semantics.md §7 (and the kernel orders of its §3), not from a
/// run of the model.
struct Claim {
    builtin: &'static str,
    /// 0-based step index.
    step: usize,
    /// The words of the note that the claim checks.
    says: &'static str,
    /// The schemes the claim is about; empty: every scheme.
    schemes: &'static [&'static str],
    holds: fn(&rmapviz::model::Walk) -> bool,
}

const EVERY: &[&str] = &[];

/// The designs that find a file page through its file's i_mmap (all but pte-chain).
const OBJECT_BASED: &[&str] = &[
    "anonmm",
    "anonmm-naive",
    "anon-vma-rfc2",
    "anon-vma",
    "anon-vma-global",
    "anon-vma-global-prio",
    "anon-as",
    "anon-vma-chain",
    "modern",
];

fn claims() -> Vec<Claim> {
    use rmapviz::model::Walk;
    let c = |builtin, step, says, schemes, holds: fn(&Walk) -> bool| Claim {
        builtin,
        step,
        says,
        schemes,
        holds,
    };
    vec![
        // S1: "two HITs" (§7 S1: 2H in every design).
        c("S1", 3, "two HITs", EVERY, |w| counts(w) == (2, 0, 0, 0, 0)),
        // S2 (a): anon-vma MISSes in the newer children before the HIT; modern one HIT.
        c(
            "S2",
            8,
            "MISSes in every other child before the HIT",
            &["anon-vma"],
            |w| visits(w) == vec![(4, M), (3, M), (2, H)],
        ),
        c(
            "S2",
            8,
            "modern looks only at child 2's own anon_vma: one HIT",
            &["modern"],
            |w| visits(w) == vec![(2, H)],
        ),
        // S2 (b): "up to N MISSes plus the HIT" (N = 3 children).
        c(
            "S2",
            9,
            "up to N MISSes plus the HIT",
            &["anon-vma", "anon-vma-chain", "modern"],
            |w| w.hit == 1 && w.miss <= 3 && w.out == 0 && w.lost.is_empty(),
        ),
        // S3: anon-vma and modern find both ptes; anonmm-naive MISSes the parent, LOSES its pte.
        c("S3", 4, "find both ptes", &["anon-vma", "modern"], |w| {
            counts(w) == (2, 0, 0, 0, 0)
        }),
        c(
            "S3",
            4,
            "the parent's pte is LOST",
            &["anonmm-naive"],
            |w| {
                visits(w) == vec![(1, M), (2, H)]
                    && w.lost.iter().map(|l| (l.pid, l.addr)).eq([(1, 0x81000)])
            },
        ),
        // S4: newest first, the fourteen pieces split after p1's come first: 14 OUT + 1 HIT;
        // oldest first, the original vma (split at 0x11000 first, so p1's piece is the first
        // new one): 1 OUT + 1 HIT; the interval tree: 1 HIT (§7 S4, §8.1).
        c("S4", 10, "14 OUT, one HIT", &["anon-vma"], |w| {
            counts(w) == (1, 0, 14, 0, 0)
        }),
        c(
            "S4",
            10,
            "(one OUT), then reaches p1's piece",
            &["anon-vma-chain"],
            |w| visits(w) == vec![(1, O), (1, H)],
        ),
        c("S4", 10, "returns only that piece", &["modern"], |w| {
            counts(w) == (1, 0, 0, 0, 0)
        }),
        // S4 after the re-merge: "one candidate".
        c("S4", 12, "one candidate", EVERY, |w| {
            w.candidates() == 1 && w.hit == 1
        }),
        // S5: two HITs, and no candidate in the exec'd children 2 and 3 (§7 S5).
        c(
            "S5",
            9,
            "two HITs, and no candidate in the exec'd children",
            &["anon-vma", "anon-vma-chain", "modern"],
            |w| w.hit == 2 && w.visits.iter().all(|v| v.pid == 1 || v.pid == 4),
        ),
        // S7: found through B's pgoff or, under anonmm, its rewritten address; anonmm-naive loses it.
        c(
            "S7",
            5,
            "still found through B's pgoff",
            &["anon-vma", "modern", "anonmm"],
            |w| counts(w) == (1, 0, 0, 0, 0),
        ),
        c("S7", 5, "loses the pte", &["anonmm-naive"], |w| {
            w.lost.len() == 1
        }),
        // S8: anon-vma MISSes in child 3 before the HIT; modern searches child 2's anon_vma only.
        c(
            "S8",
            7,
            "MISSes in child 3 before the HIT",
            &["anon-vma"],
            |w| visits(w) == vec![(3, M), (2, H)],
        ),
        c(
            "S8",
            7,
            "modern searches only child 2's anon_vma",
            &["modern"],
            |w| visits(w) == vec![(2, H)],
        ),
        // S9: "one HIT in the parent".
        c("S9", 7, "one HIT in the parent", EVERY, |w| {
            w.hit == 1 && w.visits.iter().any(|v| v.pid == 1 && v.outcome == H)
        }),
        // S10: the file walk MISSes in pid 1's vma, then HITs in pid 2's (§7 S10).
        // (pte-chain has no i_mmap walk: its chains find the one pte at once.)
        c(
            "S10",
            6,
            "(its pte maps the copy: MISS), then pid 2's (HIT)",
            OBJECT_BASED,
            |w| visits(w) == vec![(1, M), (2, H)],
        ),
        // S11: anon-vma's list has the right piece first: OUT, then HIT; modern: the left piece.
        c(
            "S11",
            3,
            "OUT, then the left piece: HIT",
            &["anon-vma"],
            |w| visits(w) == vec![(1, O), (1, H)],
        ),
        c(
            "S11",
            3,
            "modern's tree returns the left piece only",
            &["modern"],
            |w| visits(w) == vec![(1, H)],
        ),
    ]
}

/// Every built-in note that says how a walk goes (HIT, MISS, OUT, SKIP, LOST, candidates) is
/// checked against the model under the schemes it names (issue 16 item 4: S4's note said
/// "many OUT, one HIT" of anon-vma-chain, which meets one OUT).
#[test]
fn every_note_about_a_walk_says_what_the_model_does() {
    let claims = claims();
    for b in rmapviz::scenario::BUILTINS.iter() {
        let scenario = rmapviz::scenario::Scenario::parse(b.source, b.name).unwrap();
        for (i, step) in scenario.steps.iter().enumerate() {
            let Some(note) = &step.note else { continue };
            let words = note.split(|c: char| !c.is_alphanumeric());
            let claims_walk = words
                .clone()
                .any(|w| ["HIT", "HITs", "MISS", "MISSes", "OUT", "SKIP", "LOST"].contains(&w))
                || note.contains("candidate");
            if claims_walk {
                assert!(
                    claims.iter().any(|c| c.builtin == b.name && c.step == i),
                    "{} step {}: a note about the walk that no claim checks: {note}",
                    b.name,
                    i + 1
                );
            }
        }
    }
    for c in &claims {
        let names: Vec<&str> = if c.schemes.is_empty() {
            rmapviz::schemes::scheme_names()
        } else {
            c.schemes.to_vec()
        };
        let (scenario, _) = rmapviz::scenario::Scenario::load(c.builtin).unwrap();
        let note = scenario.steps[c.step].note.as_deref().unwrap_or_default();
        assert!(
            note.contains(c.says),
            "{} step {}: the note no longer says {:?}: {note}",
            c.builtin,
            c.step + 1,
            c.says
        );
        for s in names {
            let r = run(c.builtin, s);
            let w = r.steps[c.step]
                .walk
                .as_ref()
                .unwrap_or_else(|| panic!("{} step {}: no walk", c.builtin, c.step + 1));
            assert!(
                (c.holds)(w),
                "{s}: {} step {} does not do what its note says: {:?} {:?}\n{note}",
                c.builtin,
                c.step + 1,
                visits(w),
                counts(w),
            );
        }
    }
}

/// Notes name pages as the UI does (`p2`), never by a number of their own ("page 1" was p2),
/// and a walk step's note names the page the walk is about (issue 16 item 3).
#[test]
fn notes_name_pages_as_the_ui_does() {
    for b in rmapviz::scenario::BUILTINS.iter() {
        let scenario = rmapviz::scenario::Scenario::parse(b.source, b.name).unwrap();
        for s in SCHEMES {
            let r = run(b.name, s);
            for (i, step) in scenario.steps.iter().enumerate() {
                let Some(note) = &step.note else { continue };
                let words: Vec<&str> = note
                    .split(|c: char| !c.is_alphanumeric())
                    .filter(|w| !w.is_empty())
                    .collect();
                for pair in words.windows(2) {
                    assert!(
                        !(pair[0].eq_ignore_ascii_case("page")
                            && pair[1].chars().all(|c| c.is_ascii_digit())),
                        "{} step {}: \"{} {}\" is not how the UI names a page: {note}",
                        b.name,
                        i + 1,
                        pair[0],
                        pair[1]
                    );
                }
                let named: Vec<&str> = words
                    .iter()
                    .copied()
                    .filter(|w| {
                        w.len() > 1
                            && w.starts_with('p')
                            && w[1..].chars().all(|c| c.is_ascii_digit())
                    })
                    .collect();
                if let (Some(w), Some(first)) = (&r.steps[i].walk, named.first()) {
                    assert_eq!(
                        *first,
                        w.page.to_string(),
                        "{s}: {} step {}: the note's first page is the walked one: {note}",
                        b.name,
                        i + 1
                    );
                }
            }
        }
    }
}

/// Every scenario the README names (`S3`, `S12`) is a built-in one (issue 16 item 8: the
/// README named an S6 that did not exist).
#[test]
fn the_readme_names_only_built_in_scenarios() {
    let readme = include_str!("../README.md");
    let words = readme.split(|c: char| !c.is_ascii_alphanumeric());
    let mut named = 0;
    for w in words {
        if w.len() > 1 && w.starts_with('S') && w[1..].chars().all(|c| c.is_ascii_digit()) {
            named += 1;
            assert!(
                rmapviz::scenario::builtin(w).is_some(),
                "README names {w}, which is not a built-in scenario"
            );
        }
    }
    assert!(named >= 10, "{named}");
}

/// The events say every change the graph shows (issue 16 item 10): at S3's mremap under
/// anon-vma the new vma joins av1 while the old one is still on it (three vmas), and the old
/// one's unlink leaves two, the child's and the moved one (§7 S3: the new vma keeps its pgoff,
/// the old is unmapped); a second fork of the parent shares pages that an earlier fork already
/// shared, and says so instead of "0 pages now shared".
#[test]
fn events_say_what_changed_on_the_anon_vma_and_at_a_second_fork() {
    let r = run("S3", "anon-vma");
    let e = events(&r, 3);
    assert!(
        e.contains("joins anon_vma av1") && e.contains("(3 vmas)"),
        "{e}"
    );
    assert!(
        e.contains("anon_vma_unlink: pid 1 0x10000-0x14000 leaves anon_vma av1 (2 vmas left)"),
        "{e}"
    );
    // After S3 the parent maps p1, p3, p4 (shared with the child since its fork) and a swap
    // entry for p2: a fork to pid 3 copies 4 ptes; the 3 pages were already shared.
    let mut sim = sim_after("S3", "anon-vma");
    let step = sim.step(&rmapviz::model::Op::Fork { pid: 1, child: 3 }, false);
    let e = step.events.join("\n");
    assert!(
        e.contains(
            "dup_mmap: pid 1 -> 3: 1 vma, 4 ptes copied, 3 pages shared copy-on-write (3 of them already shared)"
        ),
        "{e}"
    );
    // The first fork made them shared.
    assert!(
        events(&r, 2).contains("4 ptes copied, 4 pages shared copy-on-write\n")
            || events(&r, 2).ends_with("4 ptes copied, 4 pages shared copy-on-write"),
        "{}",
        events(&r, 2)
    );
}
