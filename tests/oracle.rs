//! The kernel oracle on the real kernel: every built-in scenario and random op sequences must
//! agree with the model; `--reclaim` on S1, S3 and S9 must agree and leave nothing behind; a
//! deliberately wrong prediction must be reported.
//!
//! Where the machine does not allow the check (not Linux, no root, no frame numbers) the tests
//! print why and pass as skipped, unless `RMAPVIZ_REQUIRE_ORACLE=1` (set by `.ci/run`), which
//! turns a skip into a failure.

use std::process::Command;

mod common;
use common::dir::test_dir;

use rmapviz::scenario::Scenario;

fn rmapviz(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rmapviz"))
        .args(args)
        .output()
        .expect("run rmapviz")
}

#[test]
fn bad_input_gives_the_same_errors_as_replay() {
    for args in [["nosuch-scenario"], ["/nonexistent/x.ron"]] {
        let c = rmapviz(&["check", args[0]]);
        let r = rmapviz(&["replay", args[0]]);
        assert_eq!(c.status.code(), Some(2));
        assert_eq!(
            String::from_utf8_lossy(&c.stderr),
            String::from_utf8_lossy(&r.stderr)
        );
    }
    let dir = test_dir("oracle");
    let bad = dir.join("bad.ron");
    std::fs::write(
        &bad,
        "Scenario(\n  steps: [\n    Frok(pid: 1, child: 2),\n  ],\n)",
    )
    .unwrap();
    let p = bad.to_str().unwrap();
    let c = rmapviz(&["check", p]);
    let r = rmapviz(&["replay", p]);
    assert_eq!(c.status.code(), Some(2));
    let msg = String::from_utf8_lossy(&c.stderr).into_owned();
    assert!(msg.contains("bad.ron:3:"), "{msg}");
    assert_eq!(msg, String::from_utf8_lossy(&r.stderr));
}

#[cfg(target_os = "linux")]
mod linux {
    use super::*;
    use proptest::prelude::*;
    use rmapviz::model::{Advice, MmapArgs, Op, Prot, PteVal};
    use rmapviz::oracle::{
        CheckOptions, CheckReport, Injection, OracleError, StepVerdict, procfs, run_check,
    };
    use rmapviz::scenario::BUILTINS;
    use rmapviz::session::Simulation;

    /// Why the full check cannot run here, if it cannot.
    fn unavailable() -> Option<String> {
        if !cfg!(target_arch = "x86_64") {
            return Some("the oracle drives x86_64 only".into());
        }
        match procfs::probe() {
            Err(e) => Some(e.to_string()),
            Ok(a) => a.missing,
        }
    }

    /// True when the test should run; prints why not otherwise (or fails under CI).
    fn available(test: &str) -> bool {
        common::kernel_test_may_run(test, unavailable())
    }

    fn opts(reclaim: bool, inject: Option<Injection>) -> CheckOptions {
        CheckOptions {
            reclaim,
            driven_exe: Some(env!("CARGO_BIN_EXE_rmapviz").into()),
            inject,
            ..CheckOptions::default()
        }
    }

    fn check(s: &Scenario, name: &str, o: &CheckOptions) -> CheckReport {
        match run_check(s, name, o) {
            Ok(r) => r,
            Err(OracleError::Unsupported(m))
                if std::env::var("RMAPVIZ_REQUIRE_ORACLE").as_deref() != Ok("1") =>
            {
                panic!("{name}: unsupported although the probe passed: {m}")
            }
            Err(e) => panic!("{name}: {e}"),
        }
    }

    /// `check`, run again up to twice when the kernel disagrees. The model is a deterministic
    /// function of the scenario, so a difference that comes from the model comes back on every
    /// run. The kernel is not: whether a write fault reuses a page mapped once or copies it
    /// (`wp_can_reuse_anon_folio`) depends on the page's reference count and a trylock of its
    /// lock at that instant, and anything else on the machine that holds the page for a moment
    /// (DAMON's sampling takes a reference to every page it ages) makes the kernel copy. Seen
    /// once in about six runs of the reclaim corpus under load: `reuse_of_a_page_mapped_once`'s
    /// last write copied. Every difference is printed, so a retry is never silent.
    fn agreeing_check(s: &Scenario, name: &str, o: &CheckOptions) -> CheckReport {
        let mut r = check(s, name, o);
        for run in 2..=3 {
            if r.exit_code() == 0 && r.count(StepVerdict::Differ) == 0 {
                break;
            }
            eprintln!(
                "{name}: run {} differed, running it again:\n{}",
                run - 1,
                r.text()
            );
            r = check(s, name, o);
        }
        r
    }

    fn assert_agrees(r: &CheckReport) {
        assert_eq!(r.exit_code(), 0, "{}", r.text());
        assert_eq!(r.count(StepVerdict::Differ), 0, "{}", r.text());
        assert!(r.cleanup_problems.is_empty(), "{:?}", r.cleanup_problems);
    }

    #[test]
    fn every_builtin_scenario_agrees_with_the_kernel() {
        if !available("every_builtin_scenario_agrees_with_the_kernel") {
            return;
        }
        for b in &BUILTINS {
            let (s, _) = Scenario::load(b.name).unwrap();
            let r = agreeing_check(&s, b.name, &opts(false, None));
            assert_agrees(&r);
            // Without --reclaim exactly the SwapOut steps go unchecked (Referenced runs through
            // clear_refs); a step the model refuses is compared for the error (S7 step 7: EFAULT
            // on both sides).
            for (st, op) in r.steps.iter().zip(s.ops()) {
                let unchecked = matches!(op, Op::SwapOut { .. });
                assert_eq!(
                    st.verdict == StepVerdict::NotChecked,
                    unchecked,
                    "{}: {}",
                    b.name,
                    r.text()
                );
                if st.model_error.is_some() {
                    assert_eq!(st.kernel, "EFAULT", "{}: {}", b.name, r.text());
                }
            }
        }
    }

    /// The regression scenarios under tests/corpus/, by file name, in name order.
    fn regression_corpus() -> Vec<(String, Scenario)> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "ron"))
            .collect();
        files.sort();
        assert!(!files.is_empty(), "no scenarios in {}", dir.display());
        files
            .into_iter()
            .map(|p| {
                let (s, _) = Scenario::load(p.to_str().unwrap()).unwrap();
                (p.file_name().unwrap().to_string_lossy().into_owned(), s)
            })
            .collect()
    }

    /// The oracle corpus: the built-ins and the regression scenarios.
    fn corpus() -> Vec<(String, Scenario)> {
        let mut v: Vec<(String, Scenario)> = BUILTINS
            .iter()
            .map(|b| (b.name.to_string(), Scenario::load(b.name).unwrap().0))
            .collect();
        v.extend(regression_corpus());
        v
    }

    #[test]
    fn every_regression_scenario_agrees_with_the_kernel() {
        if !available("every_regression_scenario_agrees_with_the_kernel") {
            return;
        }
        for (name, s) in regression_corpus() {
            let r = agreeing_check(&s, &name, &opts(false, None));
            assert_agrees(&r);
            // Every step but the walks (run only with --reclaim) was checked.
            for (st, op) in r.steps.iter().zip(s.ops()) {
                if !op.is_walk() {
                    assert_eq!(st.verdict, StepVerdict::Agree, "{name}: {}", r.text());
                }
            }
        }
    }

    fn leftovers() -> Vec<String> {
        let me = format!("-{}-", std::process::id());
        let mut out = Vec::new();
        let swaps = std::fs::read_to_string("/proc/swaps").unwrap_or_default();
        out.extend(
            swaps
                .lines()
                .filter(|l| l.contains("rmapviz-swap") && l.contains(&me))
                .map(String::from),
        );
        // Swap files and cgroups only: other (non-reclaiming) checks of this test process may be
        // running in parallel with their tmpfs directories.
        let mut dirs = vec![std::env::temp_dir(), std::path::PathBuf::from("/var/tmp")];
        if let Ok(cg) = std::fs::read_to_string("/proc/self/cgroup")
            && let Some(rel) = cg
                .lines()
                .find_map(|l| l.split(':').nth(2).filter(|_| l.contains(":memory:")))
        {
            dirs.push(
                std::path::Path::new("/sys/fs/cgroup/memory").join(rel.trim_start_matches('/')),
            );
        }
        for d in dirs {
            if let Ok(rd) = std::fs::read_dir(&d) {
                for e in rd.flatten() {
                    let n = e.file_name().to_string_lossy().into_owned();
                    if (n.starts_with("rmapviz-check-") || n.starts_with("rmapviz-swap-"))
                        && n.contains(&me)
                    {
                        out.push(e.path().display().to_string());
                    }
                }
            }
        }
        out
    }

    /// One test function for every reclaiming check, so they never overlap in this process
    /// (`check --reclaim` also takes a machine-wide lock). The whole oracle corpus, built-ins and
    /// regression scenarios.
    #[test]
    fn reclaim_agrees_on_the_corpus_and_removes_its_swap_file_and_cgroups() {
        if !available("reclaim_agrees_on_the_corpus_and_removes_its_swap_file_and_cgroups") {
            return;
        }
        if !nix::unistd::geteuid().is_root() {
            if std::env::var("RMAPVIZ_REQUIRE_ORACLE").as_deref() == Ok("1") {
                panic!("--reclaim needs root here");
            }
            eprintln!("SKIPPED reclaim: not root");
            return;
        }
        for (name, s) in corpus() {
            let name = name.as_str();
            let r = agreeing_check(&s, name, &opts(true, None));
            assert!(r.reclaim, "{name}: reclaim was not set up: {:?}", r.missing);
            assert_agrees(&r);
            // Every SwapOut was really checked: docs/semantics.md §6.2 (S1, S3: every sharer
            // holds the same swap entry; S9: swap-in shares one page). The model is replayed
            // beside the report, as check runs it (a step not checked leaves it as it was).
            let mut sim = Simulation::by_name("modern").unwrap();
            for (st, op) in r.steps.iter().zip(s.ops()) {
                let before = sim.clone();
                sim.step(op, false);
                if st.verdict == StepVerdict::NotChecked {
                    let after = std::mem::replace(&mut sim, before);
                    let Op::SwapOut { pid, addr, .. } = op else {
                        continue;
                    };
                    let model_keeps = matches!(after.machine.pte(*pid, *addr), PteVal::Page { .. });
                    // Only where the model's reclaim unmapped the page and the kernel kept it
                    // (LRU aging, which the model does not model: an unmap of a young pte can
                    // activate a file page, reclaim_keeps_an_activated_file_page.ron) is a
                    // SwapOut not checked. A page the model keeps mapped too is compared:
                    // madvise_free.ron's lazily freed page written again (MADV_FREE, then a
                    // write: the dirty pte makes reclaim keep the page) stays mapped on both
                    // sides.
                    let kept = st
                        .reason
                        .as_deref()
                        .is_some_and(|r| r.contains("did not reclaim"));
                    assert!(kept && !model_keeps, "{name}: {}", r.text());
                }
            }
            assert_eq!(
                leftovers(),
                Vec::<String>::new(),
                "{name} left things behind"
            );
        }
        // The command line too.
        let o = rmapviz(&["check", "S3", "--reclaim"]);
        let text = String::from_utf8_lossy(&o.stdout);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{text}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        assert!(text.contains("5 agree, 0 differ, 0 not checked"), "{text}");
    }

    #[test]
    fn a_wrong_prediction_is_reported_as_a_difference() {
        if !available("a_wrong_prediction_is_reported_as_a_difference") {
            return;
        }
        let (s, _) = Scenario::load("S1").unwrap();
        // After the fork (step 3) the model says parent and child share every page; pretend
        // the first page is not shared.
        let r = check(&s, "S1", &opts(false, Some(Injection::Unshare { step: 2 })));
        assert_eq!(r.exit_code(), 1, "{}", r.text());
        assert_eq!(r.steps[2].verdict, StepVerdict::Differ);
        let whats: Vec<_> = r.steps[2].differences.iter().map(|d| d.what).collect();
        assert!(
            whats.contains(&"frame") && whats.contains(&"mapcount"),
            "{whats:?}"
        );
        assert_eq!(
            r.steps[1].verdict,
            StepVerdict::Agree,
            "only the injected step differs"
        );
        let r = check(&s, "S1", &opts(false, Some(Injection::Forget { step: 1 })));
        assert_eq!(r.steps[1].verdict, StepVerdict::Differ, "{}", r.text());
        assert!(
            r.steps[1].differences.iter().any(|d| d.what == "pte"),
            "{}",
            r.text()
        );
    }

    #[test]
    fn frame_identity_and_young_bits_are_compared_on_the_kernel() {
        if !available("frame_identity_and_young_bits_are_compared_on_the_kernel") {
            return;
        }
        let (s, _) = Scenario::load("S1").unwrap();
        // S1 step 3 forks: the parent's page at 0x10000 keeps its frame. Pretend the model gave
        // it a new page: the kernel kept the frame (docs/semantics.md §6.2 step 1).
        let r = check(
            &s,
            "S1",
            &opts(false, Some(Injection::Renumber { step: 2 })),
        );
        let d = &r.steps[2].differences;
        assert!(
            d.iter()
                .any(|d| d.what == "frame identity" && d.pid == 1 && d.addr == Some(0x10000)),
            "{}",
            r.text()
        );
        assert!(r.steps[2].compared.frame_identity > 0, "{}", r.text());
        // Young bits: the written page is young in the kernel (smaps Referenced), pretend not.
        let r = check(&s, "S1", &opts(false, Some(Injection::Age { step: 1 })));
        let d = &r.steps[1].differences;
        assert!(
            d.iter().any(|d| d.what == "referenced" && d.pid == 1),
            "{}",
            r.text()
        );
        assert_eq!(r.steps[0].verdict, StepVerdict::Agree, "{}", r.text());
    }

    #[test]
    fn json_has_a_verdict_and_the_differences_per_step() {
        if !available("json_has_a_verdict_and_the_differences_per_step") {
            return;
        }
        let o = rmapviz(&["check", "S11", "--json"]);
        assert_eq!(o.status.code(), Some(0));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(v["steps"].as_array().unwrap().len(), 4);
        assert_eq!(v["steps"][0]["verdict"], "agree");
        assert_eq!(v["steps"][3]["verdict"], "not checked");
        assert!(v["steps"][0]["differences"].as_array().unwrap().is_empty());
        assert!(v["summary"]["kernel_nanos"].as_u64().is_some());
        assert_eq!(v["exit"], 0);
        // What was compared: S11 maps 4 pages, writes them, then unmaps 2 (one vma becomes two).
        let c = &v["steps"][2]["compared"];
        assert_eq!(c["vmas"], 2, "{c}");
        assert_eq!(c["ptes"], 2, "{c}");
        assert_eq!(c["frame_identity"], 2, "{c}");
        assert_eq!(c["referenced"], 2, "{c}");
        assert!(v["summary"]["compared"]["vmas"].as_u64().unwrap() > 0);
    }

    const BASES: [u64; 4] = [0x10000, 0x14000, 0x20000, 0x80000];

    fn op() -> impl Strategy<Value = Op> {
        let addr = (0usize..BASES.len(), 0u64..6).prop_map(|(b, o)| BASES[b] + o * 0x1000);
        let prot =
            prop::sample::select(vec!["rw", "r", "", "rwx"]).prop_map(|p| Prot::parse(p).unwrap());
        let pid = prop::sample::select(vec![1u32, 1, 2, 3]);
        prop_oneof![
            3 => (pid.clone(), addr.clone(), 1u64..6, prot.clone(), prop::bool::weighted(0.2),
                  prop::option::weighted(0.3, prop::sample::select(vec!["a.so", "b.dat"])), 0u64..3)
                .prop_map(|(pid, addr, pages, prot, shared, file, offset)| Op::Mmap(MmapArgs {
                    pid, addr, pages, prot, shared, file: file.map(String::from),
                    offset: if file.is_some() { offset } else { 0 } })),
            1 => (pid.clone(), addr.clone(), 1u64..5).prop_map(|(pid, addr, pages)| Op::Munmap { pid, addr, pages }),
            2 => (pid.clone(), addr.clone(), 1u64..5, prot).prop_map(|(pid, addr, pages, prot)| Op::Mprotect { pid, addr, pages, prot }),
            2 => (pid.clone(), addr.clone(), 1u64..5, prop::option::of(1u64..7), prop::option::of(addr.clone()))
                .prop_map(|(pid, addr, pages, new_pages, to)| Op::Mremap { pid, addr, pages, new_pages, to }),
            1 => (pid.clone(), addr.clone(), 1u64..5, prop::bool::ANY).prop_map(|(pid, addr, pages, free)| Op::Madvise { pid, addr, pages, advice: if free { Advice::Free } else { Advice::DontNeed } }),
            // No Brk: check drives it with mmap, which merges a new heap with a vma right below
            // it where brk does not (README), so a random Brk could differ for that reason alone.
            4 => (pid.clone(), addr.clone(), 1u64..5).prop_map(|(pid, addr, pages)| Op::Read { pid, addr, pages }),
            6 => (pid.clone(), addr.clone(), 1u64..5).prop_map(|(pid, addr, pages)| Op::Write { pid, addr, pages }),
            2 => (pid.clone(), pid.clone()).prop_map(|(pid, child)| Op::Fork { pid, child }),
            1 => pid.clone().prop_map(|pid| Op::Exec { pid }),
            1 => pid.clone().prop_map(|pid| Op::Exit { pid }),
            1 => pid.prop_map(|pid| Op::Spawn { pid }),
        ]
    }

    /// Keeps only the ops the model accepts, in order (each judged after the ones kept before).
    fn valid_only(ops: Vec<Op>) -> Vec<Op> {
        let mut sim = Simulation::by_name("modern").unwrap();
        ops.into_iter()
            .filter(|op| {
                let mut trial = sim.clone();
                let ok = trial.step(op, false).error.is_none();
                if ok {
                    sim = trial;
                }
                ok
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, ..ProptestConfig::default() })]

        #[test]
        fn random_valid_op_sequences_agree_with_the_kernel(ops in prop::collection::vec(op(), 1..40)) {
            if !available("random_valid_op_sequences_agree_with_the_kernel") {
                return Ok(());
            }
            let s = Scenario { title: "random".into(), about: String::new(), steps: valid_only(ops).into_iter().map(Into::into).collect() };
            let r = agreeing_check(&s, "random", &opts(false, None));
            prop_assert_eq!(r.count(StepVerdict::Differ), 0, "{}\n{}", r.text(), s.to_ron());
            prop_assert_eq!(r.exit_code(), 0, "{}", r.text());
        }
    }
}
