//! `rmapviz trace` as a command: it writes the scenario and reports the check, refuses bad
//! commands with a reason and no file, stops at its caps keeping what was recorded, and works
//! for an ordinary user without frame numbers. The recording of real programs' ops is tested
//! in `trace.rs`.
//!
//! Tracing needs Linux, ptrace and /proc/PID/pagemap; the full check (frame numbers) needs root.
//! Where the machine does not allow it the tests print why and pass as skipped, unless
//! `RMAPVIZ_REQUIRE_ORACLE=1` (set by `.ci/run`), which turns a skip into a failure.

mod common;

#[cfg(target_os = "linux")]
mod linux {
    use std::process::Command;

    use rmapviz::model::Op;
    use rmapviz::scenario::Scenario;

    use super::common::dir::test_dir;
    use super::common::{full_check_may_run, replays_everywhere};

    fn rmapviz(args: &[&str]) -> std::process::Output {
        Command::new(env!("CARGO_BIN_EXE_rmapviz"))
            .args(args)
            .output()
            .expect("run rmapviz")
    }

    #[test]
    fn the_command_writes_a_scenario_and_reports_the_check() {
        if !full_check_may_run("the_command_writes_a_scenario_and_reports_the_check") {
            return;
        }
        let dir = test_dir("cli");
        let out = dir.join("t.ron");
        let o = rmapviz(&[
            "trace",
            "-o",
            out.to_str().unwrap(),
            "--check",
            "--",
            "sh",
            "-c",
            "true",
        ]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert!(
            o.status.code() == Some(0) || o.status.code() == Some(1),
            "{stderr}"
        );
        assert!(stderr.contains("wrote"), "{stderr}");
        assert!(
            stderr.contains("replays under every scheme with no refused step"),
            "{stderr}"
        );
        assert!(stdout.contains("observed ptes agree"), "{stdout}");
        let (s, _) = Scenario::load(out.to_str().unwrap()).expect("a scenario");
        assert!(s.title.contains("sh -c true"));
    }

    #[test]
    fn bad_commands_get_clear_errors_and_no_file() {
        let dir = test_dir("bad");
        let out = dir.join("t.ron");
        let o = rmapviz(&[
            "trace",
            "-o",
            out.to_str().unwrap(),
            "--",
            "no-such-command-xyz",
        ]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_ne!(o.status.code(), Some(0));
        assert!(
            stderr.contains("no-such-command-xyz") && stderr.contains("not found"),
            "{stderr}"
        );
        assert!(!out.exists());
        // An existing file is not replaced without --force, and nothing is traced.
        std::fs::write(&out, "mine").unwrap();
        let o = rmapviz(&["trace", "-o", out.to_str().unwrap(), "--", "true"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(
            !String::from_utf8_lossy(&o.stderr).contains("tracing"),
            "refused before tracing"
        );
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "mine");
        // No command at all.
        let o = rmapviz(&["trace"]);
        assert_eq!(o.status.code(), Some(2));
        // An output directory that does not exist: refused before anything runs.
        let o = rmapviz(&["trace", "-o", "/nonexistent/dir/t.ron", "--", "true"]);
        assert_eq!(o.status.code(), Some(2));
        assert!(String::from_utf8_lossy(&o.stderr).contains("does not exist"));
    }

    #[test]
    fn caps_stop_the_trace_and_keep_what_was_recorded() {
        if !full_check_may_run("caps_stop_the_trace_and_keep_what_was_recorded") {
            return;
        }
        let dir = test_dir("cap");
        let out = dir.join("t.ron");
        let o = rmapviz(&[
            "trace",
            "-o",
            out.to_str().unwrap(),
            "--max-steps",
            "20",
            "--",
            "sh",
            "-c",
            "ls /usr | wc -l",
        ]);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("cap of 20 steps (--max-steps)"), "{stderr}");
        let (s, _) = Scenario::load(out.to_str().unwrap()).expect("a scenario");
        assert!(
            s.steps.len() >= 20 && s.steps.len() < 40,
            "{}",
            s.steps.len()
        );
        replays_everywhere(&s);
    }

    /// An ordinary user can trace too, where ptrace and pagemap allow; frame numbers read as
    /// zero then, and the output says so. Run as `nobody` from root.
    #[test]
    fn an_ordinary_user_traces_without_frame_numbers() {
        use std::os::unix::process::CommandExt;
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!(
                "an_ordinary_user_traces_without_frame_numbers: skipped: needs root to become nobody"
            );
            return;
        }
        let dir = test_dir("trace-nobody");
        std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o777))
            .unwrap();
        let out = dir.join("t.ron");
        let o = Command::new(env!("CARGO_BIN_EXE_rmapviz"))
            .args([
                "trace",
                "--check",
                "-o",
                out.to_str().unwrap(),
                "--",
                "sh",
                "-c",
                "ls / | wc -l",
            ])
            .uid(65534)
            .gid(65534)
            .current_dir(&dir)
            .output()
            .expect("run rmapviz as nobody");
        let stderr = String::from_utf8_lossy(&o.stderr);
        if o.status.code() == Some(77) || stderr.contains("Permission denied") {
            eprintln!("an_ordinary_user_traces_without_frame_numbers: skipped: {stderr}");
            return;
        }
        assert!(stderr.contains("CAP_SYS_ADMIN"), "{stderr}");
        assert!(stderr.contains("only partly known"), "{stderr}");
        let (s, _) = Scenario::load(out.to_str().unwrap()).expect("a scenario");
        assert!(s.ops().any(|o| matches!(o, Op::Fork { .. })));
        replays_everywhere(&s);
    }
}
