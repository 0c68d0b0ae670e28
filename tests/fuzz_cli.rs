//! `rmapviz fuzz`: bad arguments; fixed batches on the real kernel that must agree with the
//! model (the CI batch); and a deliberately wrong model, whose disagreements must be found,
//! shrunk and written. Where the machine does not allow the check the kernel runs print why and
//! pass, unless `RMAPVIZ_REQUIRE_ORACLE=1` (set by `.ci/run`).

use std::process::Command;

mod common;

fn rmapviz(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rmapviz"))
        .args(args)
        .output()
        .expect("run rmapviz")
}

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn bad_arguments_are_refused_with_a_reason() {
    let o = rmapviz(&[
        "fuzz",
        "--seed",
        "1",
        "--count",
        "1",
        "--out",
        "/nonexistent/dir",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(
        text(&o).contains("/nonexistent/dir: not a directory"),
        "{}",
        text(&o)
    );
    for (args, says) in [
        (&["fuzz", "--count", "3"][..], "--seed"),
        (&["fuzz", "--seed", "x"], "invalid digit"),
        (&["fuzz", "--seed", "1", "--count", "0"], "--count"),
        (&["fuzz", "--seed", "1", "--max-steps", "0"], "--max-steps"),
        (
            &["fuzz", "--seed", "1", "--max-steps", "10001"],
            "--max-steps",
        ),
    ] {
        let o = rmapviz(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(says), "{args:?}: {}", text(&o));
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use super::*;
    use common::dir::test_dir;
    use rmapviz::fuzz::{FuzzOptions, run::run};
    use rmapviz::oracle::{CheckOptions, Injection, StepVerdict, run_check};
    use rmapviz::scenario::Scenario;

    /// Why the check (with `reclaim`: the reclaiming check) cannot run here, if it cannot.
    fn available(test: &str, reclaim: bool) -> bool {
        let why = if !cfg!(target_arch = "x86_64") {
            Some("the oracle drives x86_64 only".to_string())
        } else {
            match rmapviz::oracle::procfs::probe() {
                Err(e) => Some(e.to_string()),
                Ok(a) => a.missing,
            }
        }
        .or_else(|| {
            (reclaim && !nix::unistd::geteuid().is_root()).then(|| "--reclaim needs root".into())
        });
        common::kernel_test_may_run(test, why)
    }

    /// Runs a fixed batch through the command line: it must agree everywhere, run every op
    /// kind and write nothing.
    fn batch_agrees(seed: &str, count: &str, reclaim: bool) {
        let dir = test_dir(seed);
        let mut args = vec![
            "fuzz",
            "--seed",
            seed,
            "--count",
            count,
            "--out",
            dir.to_str().unwrap(),
        ];
        if reclaim {
            args.push("--reclaim");
        }
        let o = rmapviz(&args);
        let t = text(&o);
        assert_eq!(o.status.code(), Some(0), "{t}");
        assert!(
            t.contains(&format!("{count} scenarios")) && t.contains("0 disagreements"),
            "{t}"
        );
        for op in rmapviz::model::OP_NAMES {
            assert!(t.contains(&format!("{op} ")), "{op} never generated: {t}");
        }
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0, "{t}");
    }

    /// The CI batch: 200 scenarios of up to 30 steps from a fixed seed.
    #[test]
    fn a_fixed_batch_of_200_scenarios_agrees_with_the_kernel() {
        if available(
            "a_fixed_batch_of_200_scenarios_agrees_with_the_kernel",
            false,
        ) {
            batch_agrees("2026", "200", false);
        }
    }

    /// The same with reclaim: every SwapOut really runs.
    #[test]
    fn a_fixed_batch_of_200_with_reclaim_agrees_with_the_kernel() {
        if available(
            "a_fixed_batch_of_200_with_reclaim_agrees_with_the_kernel",
            true,
        ) {
            batch_agrees("2027", "200", true);
        }
    }

    /// A model that forgets a pte after step 5 disagrees with the kernel in every scenario that
    /// has one then: the run finds it, checks it again, shrinks it to the steps that still
    /// show it and writes it as RON naming the seed; the file reads back as a scenario.
    #[test]
    fn a_disagreement_is_shrunk_and_written_with_its_seed() {
        if !available("a_disagreement_is_shrunk_and_written_with_its_seed", false) {
            return;
        }
        let dir = test_dir("found");
        let o = FuzzOptions {
            seed: 11,
            count: 3,
            max_steps: 30,
            reclaim: false,
            out_dir: dir.to_path_buf(),
            driven_exe: Some(env!("CARGO_BIN_EXE_rmapviz").into()),
            inject: Some(Injection::Forget { step: 5 }),
        };
        let sum = run(&o, &mut |_| {}).unwrap();
        assert_eq!(sum.exit_code(), 1);
        assert!(!sum.findings.is_empty(), "{:?}", sum.failures);
        for f in &sum.findings {
            assert!(f.reproduced);
            assert_eq!(f.signature.step, 5, "the injected step");
            assert!(f.scenario.steps.len() <= 6 && f.generated_steps >= 15);
            let (back, _) = Scenario::load(f.file.to_str().unwrap()).unwrap();
            assert_eq!(back.steps, f.scenario.steps);
            // Checked again with the same wrong model, the file shows the forgotten pte.
            let copts = CheckOptions {
                driven_exe: o.driven_exe.clone(),
                inject: o.inject,
                ..CheckOptions::default()
            };
            let r = run_check(&back, "found", &copts).unwrap();
            assert_eq!(r.steps[5].verdict, StepVerdict::Differ, "{}", r.text());
            assert!(
                r.steps[5].differences.iter().any(|d| d.what == "pte"),
                "{}",
                r.text()
            );
            assert!(
                back.about
                    .contains("`rmapviz fuzz --seed 11 --count 3 --max-steps 30`")
                    && back.about.contains(&format!("(scenario {})", f.index)),
                "{}",
                back.about
            );
        }
        let written = std::fs::read_dir(&dir).unwrap().count();
        assert_eq!(written, sum.findings.len());
    }
}
