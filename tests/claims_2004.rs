//! The claims of the March 2004 debate, reproduced from the model (docs/semantics.md §3.1,
//! §3.3, §3.4, §5): Andrea Arcangeli's objection to anonmm, Hugh Dickins's rmap 11 answer, the
//! per-pte cost of pte chains against the per-vma (or per-mm) cost of object-based rmap, and
//! anonmm's handling of dead mms.

mod common;
use common::model::{fork, mmap, mremap, ok, page, sim, write};
use common::*;
use rmapviz::model::{PteVal, WalkKind};

/// S3 and then two more reclaim attempts of the page the parent moved.
const S3_AND_RETRY: &str = r#"Scenario(steps: [
    Mmap(pid: 1, addr: 0x10000, pages: 4, prot: "rw"),
    Write(pid: 1, addr: 0x10000, pages: 4),
    Fork(pid: 1, child: 2),
    Mremap(pid: 1, addr: 0x10000, pages: 4, to: 0x80000),
    SwapOut(pid: 2, addr: 0x11000),
    SwapOut(pid: 1, addr: 0x81000),
    SwapOut(pid: 1, addr: 0x81000),
])"#;

#[test]
fn anonmm_naive_loses_the_moved_pte_and_can_never_unmap_the_page() {
    // §3.3: without a fix the walk probes the moving mm at the old address, the moved pte is
    // LOST, and the page can never be fully unmapped (Andrea Arcangeli, [A0312b]).
    let r = run_ron(S3_AND_RETRY, "anonmm-naive");
    assert_eq!(r.steps[3].totals.pages, 4, "no copies at mremap");
    let w = walks(&r);
    assert_eq!(visits(&w[0]), vec![(1, M), (2, H)]);
    for (i, w) in w.iter().enumerate() {
        assert_eq!(
            w.lost.iter().map(|l| (l.pid, l.addr)).collect::<Vec<_>>(),
            vec![(1, 0x81000)],
            "attempt {i}"
        );
        assert!(!w.unmapped_all, "attempt {i}");
    }
    // The retries probe the parent and the child at the old address: nothing there, and a swap
    // entry in the child.
    assert_eq!(visits(&w[1]), vec![(1, M), (2, M)]);
    let sim = sim_after(S3_AND_RETRY, "anonmm-naive");
    assert!(
        matches!(sim.machine.pte(1, 0x81000), PteVal::Page { .. }),
        "the page stays mapped"
    );
    assert!(matches!(sim.machine.pte(2, 0x11000), PteVal::Swap { .. }));
    assert!(events(&r, 4).contains("try_to_unmap failed"));
}

#[test]
fn anonmm_copies_shared_pages_at_mremap_instead() {
    // §3.3, rmap 11: make_page_exclusive forces a COW of each shared page before its pte
    // moves ("mremap moved N cows"), and mremap_move_anon_rmap rewrites the index of a page
    // mapped once. More pages, no LOST.
    let r = run_ron(S3_AND_RETRY, "anonmm");
    assert!(
        r.steps[3].events.iter().any(|e| e == "mremap moved 4 cows"),
        "{}",
        events(&r, 3)
    );
    assert_eq!(
        r.steps[3].totals.pages, 8,
        "4 originals (the child's) + 4 copies"
    );
    let w = walks(&r);
    assert!(w[0].lost.is_empty() && w[0].unmapped_all);
    // The parent's copy names the parent at its new address: one probe.
    assert_eq!(visits(&w[1]), vec![(1, H)]);
    assert!(w[1].unmapped_all);
    assert!(
        r.steps[6].error.is_some(),
        "the copy went to swap: nothing left to reclaim"
    );
}

#[test]
fn anonmm_copies_at_mremap_only_the_pages_still_shared() {
    // §3.3, rmap 11: only a page with more than one mapping is copied before its pte moves; a
    // page the parent maps alone (the child wrote its own copy of it) moves as it is, and its
    // index is rewritten to the new address.
    let mut s = sim("anonmm");
    ok(&mut s, mmap(1, 0x10000, 2, "rw"));
    ok(&mut s, write(1, 0x10000, 2));
    ok(&mut s, fork(1, 2));
    ok(&mut s, write(2, 0x11000, 1));
    let (shared, alone) = (page(&s, 1, 0x10000), page(&s, 1, 0x11000));
    assert_eq!(s.machine.pages.get(alone).mapcount(), 1);
    let r = s.step(&mremap(1, 0x10000, 2, None, 0x80000), false);
    assert_eq!(r.error, None);
    let cows: Vec<_> = r.events.iter().filter(|e| e.contains("cows")).collect();
    assert_eq!(cows, ["mremap moved 1 cows"]);
    assert_eq!(
        page(&s, 2, 0x10000),
        shared,
        "the child keeps the shared page"
    );
    assert_ne!(page(&s, 1, 0x80000), shared, "the parent has a copy");
    assert_eq!(
        page(&s, 1, 0x81000),
        alone,
        "the page mapped once is not copied"
    );
    assert_eq!(s.machine.pages.get(alone).rmap().index, 0x81000);
}

/// A page shared while on swap; the parent moves its swap pte; both fault it back in.
const SWAPPED_THEN_MOVED: &str = r#"Scenario(steps: [
    Mmap(pid: 1, addr: 0x10000, pages: 1, prot: "rw"),
    Write(pid: 1, addr: 0x10000, pages: 1),
    Fork(pid: 1, child: 2),
    SwapOut(pid: 1, addr: 0x10000),
    Mremap(pid: 1, addr: 0x10000, pages: 1, to: 0x80000),
    Read(pid: 2, addr: 0x10000, pages: 1),
    Read(pid: 1, addr: 0x80000, pages: 1),
    SwapOut(pid: 2, addr: 0x10000),
])"#;

#[test]
fn anonmm_copies_a_page_shared_on_swap_when_it_comes_back_at_another_address() {
    // §3.3, rmap 11: pages shared while on swap are not swapped in at mremap time; do_swap_page
    // copies the page when the faulting address differs from page->index.
    let r = run_ron(SWAPPED_THEN_MOVED, "anonmm");
    assert_eq!(r.failures(), 0);
    assert!(
        !events(&r, 4).contains("mremap moved"),
        "nothing present to copy"
    );
    assert_eq!(
        r.steps[5].totals.pages, 1,
        "the child maps the swap-cache page"
    );
    assert_eq!(r.steps[6].totals.pages, 2, "the parent gets a copy");
    assert!(events(&r, 6).contains("copied"), "{}", events(&r, 6));
    let w = &walks(&r)[1];
    assert_eq!(visits(w), vec![(2, H)]);
    assert!(w.lost.is_empty());
    // Without the fix the parent maps the same page at 0x80000 while its index says 0x10000.
    let r = run_ron(SWAPPED_THEN_MOVED, "anonmm-naive");
    assert_eq!(r.steps[6].totals.pages, 1);
    let w = &walks(&r)[1];
    assert_eq!(visits(w), vec![(2, H), (1, M)]);
    assert_eq!(
        w.lost.iter().map(|l| (l.pid, l.addr)).collect::<Vec<_>>(),
        vec![(1, 0x80000)]
    );
}

/// A parent with two written vmas (`pages` and `pages / 2` pages) forks, and the child exits.
fn fork_cost(pages: u64) -> String {
    format!(
        r#"Scenario(steps: [
    Mmap(pid: 1, addr: 0x100000, pages: {pages}, prot: "rw"),
    Write(pid: 1, addr: 0x100000, pages: {pages}),
    Mmap(pid: 1, addr: 0x800000, pages: {half}, prot: "rw"),
    Write(pid: 1, addr: 0x800000, pages: {half}),
    Fork(pid: 1, child: 2),
    Exit(pid: 2),
])"#,
        half = pages / 2
    )
}

#[test]
fn pte_chain_pays_per_pte_at_fork_where_object_schemes_pay_per_vma() {
    // §3.1: fork does one page_add_rmap per copied pte, one chain slot per pte per child ("fork()
    // performance suffered", [OLS04]); exit does a chain search per pte. §3.3, §3.4: anonmm pays
    // one object per mm, anon_vma one per vma.
    for pages in [16u64, 32] {
        let ptes = pages + pages / 2;
        let text = fork_cost(pages);
        let r = run_ron(&text, "pte-chain");
        let fork = events(&r, 4);
        assert!(fork.contains(&format!("{ptes} ptes copied")), "{fork}");
        assert!(
            fork.contains(&format!(
                "page_add_rmap (fork: copy_page_range): {ptes} ptes added, 0 as pte.direct, {ptes} into chain slots"
            )),
            "{fork}"
        );
        assert_eq!(
            r.steps[4].totals.rmap_objects, ptes,
            "one chain block per shared page"
        );
        let exit = events(&r, 5);
        assert!(
            exit.contains(&format!(
                "page_remove_rmap (exit: exit_mmap): {ptes} ptes removed, {ptes} chain searches"
            )),
            "{exit}"
        );
        for (s, objects) in [("anonmm", 2), ("anon-vma-rfc2", 2), ("anon-vma", 2)] {
            let r = run_ron(&text, s);
            assert_eq!(
                r.steps[4].totals.rmap_objects, objects,
                "{s}: as many objects with {pages} pages as with any other number"
            );
        }
    }
}

#[test]
fn anonmm_skips_the_dead_parent_and_page_referenced_migrates_the_page() {
    // §7 S12 and §3.3: after the parent exits its anonmm lingers with no mm; walks SKIP it;
    // page_referenced re-points a page of a dead anonmm to the first live mm mapping it.
    let r = run("S12", "anonmm");
    let w = walks(&r);
    assert_eq!(visits(&w[1]), vec![(1, S), (2, H)]);
    assert!(
        events(&r, 5).contains("p2 migrated from dead anonmm1 to anonmm2 (pid 2)"),
        "{}",
        events(&r, 5)
    );
    let mut sim = sim_after("S12", "anonmm");
    let p2 = sim.machine.pte(2, 0x11000).into_page().expect("p2 mapped");
    let again = sim
        .machine
        .classify_walk(sim.scheme.as_ref(), p2, WalkKind::PageReferenced);
    assert_eq!(again.object, "anonmm2");
    assert_eq!(
        visits(&again),
        vec![(2, H)],
        "no dead anonmm to skip any more"
    );
    // The dead head stays while its bundle lives (rmap 10 exit_rmap); the child's exit ends it.
    let heads: Vec<String> = sim
        .scheme
        .rmap_graph(&sim.machine)
        .objects
        .iter()
        .map(|o| o.label.clone())
        .collect();
    assert_eq!(heads, vec!["anonmm1 dead (head)", "anonmm2 pid 2"]);
    let exit = sim.step(&rmapviz::model::Op::Exit { pid: 2 }, false);
    assert_eq!(exit.totals.rmap_objects, 0, "{:?}", exit.events);
}

// ----- `rmapviz claims`: Andrea Arcangeli's mail of 12 March 2004, checked ----------------------
//
// The expected verdicts and numbers come from the mail's words, docs/semantics.md (§3.3 - §3.5,
// §4) and the i386 layouts of 2004 (a pointer 4 bytes, a list_head two pointers, an SMP
// spinlock_t an unsigned int), never from the command's output.

mod claims_cmd {
    use rmapviz::claims::{self, ClaimReport, Verdict, mail};
    use std::process::Command;

    fn claim(n: usize) -> ClaimReport {
        let r = claims::check().expect("the claim scenarios replay");
        assert_eq!(r.claims.len(), 5, "the mail makes five claims");
        r.claims.into_iter().find(|c| c.number == n).expect("claim")
    }

    fn m(c: &ClaimReport, name: &str) -> u64 {
        c.measures
            .iter()
            .find(|m| m.name == name)
            .unwrap_or_else(|| panic!("claim {}: no measure {name}", c.number))
            .value
    }

    const PTR: u64 = 4;
    const LIST_HEAD: u64 = 2 * PTR;
    const SMP_SPINLOCK: u64 = 4;

    #[test]
    fn the_mail_is_copied_as_sent_and_every_quote_is_its_words() {
        // Lines of the mail as sent (author, date, and two lines of the text, line breaks kept).
        for line in [
            "From: Andrea Arcangeli",
            "Date: Fri Mar 12 2004 - 12:14:37 EST",
            "the anonmm simply cannot work because it's not reaching vmas, it only",
            "direct memory now. Such model (let's call it anon_vma_global) would save",
            "8 bytes per vma of anonvma objects. Maybe that's the model that DaveM",
            "you would need the prio_tree adding another 12 bytes to each vma (on top",
            "of the 12 bytes addred by the anon_vma_global), but the pages would be",
        ] {
            assert!(
                mail::TEXT.lines().any(|l| l == line),
                "not a line of the mail: {line}"
            );
        }
        for c in claims::check().unwrap().claims {
            assert!(mail::is_quoted(c.quote), "claim {}: {}", c.number, c.quote);
        }
    }

    #[test]
    fn claim_1_anonmm_naive_loses_the_moved_pte_anon_vma_does_not() {
        // §3.3: anonmm as it stood probes the mm at the page's old address; the parent moved
        // the vma, so its pte is LOST and the page is never fully unmapped. anon_vma finds the
        // vma through its pgoff (§3.5).
        let c = claim(1);
        assert_eq!(c.verdict, Verdict::Holds);
        assert_eq!(m(&c, "anonmm-naive.lost"), 1);
        assert_eq!(m(&c, "anonmm-naive.unmapped"), 0);
        assert_eq!(m(&c, "anon-vma.lost"), 0);
        assert_eq!(m(&c, "anon-vma.unmapped"), 1);
        assert_eq!(m(&c, "anonmm.lost"), 0);
        // rmap 11 copies every shared page the moving mm maps: twice the pages.
        assert_eq!(
            m(&c, "anonmm.pages_after_mremap"),
            2 * m(&c, "anonmm-naive.pages_after_mremap")
        );
        assert!(c.quote.contains("moved around by mremap"));
    }

    #[test]
    fn claim_2_the_model_saves_a_whole_smp_anon_vma_per_vma_where_the_mail_counts_8() {
        // Four separate vmas: four anon_vmas under anon-vma, one family object under
        // anon-vma-global. One more vma costs anon-vma a struct anon_vma: on SMP i386 a
        // spinlock_t and a list_head, 12 bytes; the mail's 8 are the list head alone (a
        // uniprocessor kernel's spinlock_t is empty).
        let c = claim(2);
        assert_eq!(m(&c, "anon-vma.objects"), 4);
        assert_eq!(m(&c, "anon-vma-global.objects"), 1);
        assert_eq!(m(&c, "saved_per_vma_i386"), SMP_SPINLOCK + LIST_HEAD);
        assert_eq!(c.verdict, Verdict::HoldsWithOtherNumbers);
        let notes = c.notes.join(" ");
        for field in [
            "spinlock_t lock (4 B)",
            "struct list_head head (8 B)",
            "= 8 B",
        ] {
            assert!(notes.contains(field), "{field} not named: {notes}");
        }
    }

    #[test]
    fn claim_3_the_global_list_visits_other_address_spaces_for_the_childs_own_memory() {
        // The child's memory made after the fork: anon-vma gave it an anon_vma of its own (one
        // candidate, no other mm); anon-vma-global's family list holds every vma of the family:
        // the parent's old segment, its copies in children 2, 3 and 4, and the child's new vma.
        let c = claim(3);
        assert_eq!(c.verdict, Verdict::Holds);
        assert_eq!(m(&c, "anon-vma.planned"), 1);
        assert_eq!(m(&c, "anon-vma.visited_elsewhere"), 0);
        assert_eq!(m(&c, "anon-vma-global.planned"), 5);
        assert!(m(&c, "anon-vma-global.visited_elsewhere") > 0);
        assert_eq!(m(&c, "anon-vma-global.hit"), 1);
        // A tree by pgoff rejects the old segment: only the new vma covers the index.
        assert_eq!(m(&c, "anon-vma-global-prio.planned"), 1);
    }

    #[test]
    fn claim_4_a_tree_still_misses_at_the_other_childrens_copies() {
        // Four children copy both pages: every member's vma covers the reclaimed copy's index,
        // so the tree yields five candidates and four MISS (the copy is mapped once); modern's
        // per-process anon_vma yields the child's vma alone.
        let c = claim(4);
        assert_eq!(m(&c, "anon-vma-global-prio.planned"), 5);
        assert_eq!(m(&c, "anon-vma-global-prio.hit"), 1);
        assert!(m(&c, "anon-vma-global-prio.miss") > 0);
        assert_eq!(m(&c, "modern.planned"), 1);
        assert_eq!(m(&c, "modern.miss"), 0);
        // Per vma: the list is anon_vma_node + anon_vma pointer; with the tree, 2.6.7's vm_set
        // (list_head list, parent, head) replaces anon_vma_node: 8 bytes more, not 12.
        let list = LIST_HEAD + PTR;
        let tree = (LIST_HEAD + 2 * PTR) + PTR;
        assert_eq!(m(&c, "anon-vma-global.per_vma_i386"), list);
        assert_eq!(m(&c, "anon-vma-global-prio.per_vma_i386"), tree);
        assert_eq!(m(&c, "prio_tree_extra_per_vma_i386"), tree - list);
        assert_eq!(c.verdict, Verdict::HoldsWithOtherNumbers);
        let notes = c.notes.join(" ");
        // The mail's 12: a bare node of three pointers.
        assert!(
            notes.contains("left (4 B)") && notes.contains("= 12 B"),
            "{notes}"
        );
        // "this cannot happen with an inode": S10's file walk.
        assert_eq!(c.scenarios.len(), 2);
    }

    #[test]
    fn claim_5_both_designs_put_the_same_12_bytes_in_every_vma() {
        // anon_vma_node (a list_head) and the anon_vma pointer, in either design.
        let c = claim(5);
        assert_eq!(c.verdict, Verdict::Holds);
        assert_eq!(m(&c, "anon-vma.per_vma_i386"), LIST_HEAD + PTR);
        assert_eq!(m(&c, "anon-vma-global.per_vma_i386"), LIST_HEAD + PTR);
        assert_eq!(
            m(&c, "anon-vma.per_vma_x86_64"),
            m(&c, "anon-vma-global.per_vma_x86_64")
        );
        assert_ne!(m(&c, "anon-vma.objects"), m(&c, "anon-vma-global.objects"));
    }

    fn rmapviz(args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_rmapviz"))
            .args(args)
            .output()
            .expect("run rmapviz")
    }

    #[test]
    fn the_command_prints_the_citation_quotes_and_verdicts() {
        let o = rmapviz(&["claims", "--width", "80"]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let out = String::from_utf8_lossy(&o.stdout);
        assert!(out.contains("Andrea Arcangeli"));
        // At 80 columns the citation wraps; compare its words, not its line breaks.
        let words = out.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(words.contains("Fri Mar 12 2004 - 12:14:37 EST"), "{out}");
        for n in 1..=5 {
            assert!(
                out.contains(&format!("\n{n}. ")),
                "claim {n} missing:\n{out}"
            );
        }
        assert!(
            out.lines()
                .all(|l| l.chars().count() <= 80 || !l.contains(' '))
        );
        let one = rmapviz(&["claims", "3"]);
        let one = String::from_utf8_lossy(&one.stdout);
        assert!(one.contains("\n3. ") && !one.contains("\n1. ") && !one.contains("\n4. "));
        let json = rmapviz(&["claims", "--json", "2"]);
        let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
        assert_eq!(v["author"], "Andrea Arcangeli");
        assert_eq!(v["claims"][0]["number"], 2);
        assert_eq!(v["claims"][0]["verdict"], "holds_with_other_numbers");
    }

    #[test]
    fn bad_arguments_are_refused_with_a_clear_error() {
        for (args, says) in [
            (&["claims", "6"][..], "6"),
            (&["claims", "0"][..], "0"),
            (&["claims", "two"][..], "two"),
            (&["claims", "--width", "10"][..], "10"),
            (&["claims", "1", "2"][..], "2"),
        ] {
            let o = rmapviz(args);
            let err = String::from_utf8_lossy(&o.stderr);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
            assert!(o.stdout.is_empty(), "{args:?}");
            assert!(
                err.contains("error") && err.contains(says),
                "{args:?}: {err}"
            );
            assert!(!err.contains("panicked"), "{args:?}: {err}");
        }
    }
}
