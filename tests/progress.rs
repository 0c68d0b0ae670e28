//! Progress of long work (README "Command line"): shown on standard error when it is a terminal
//! (a pseudo-terminal here, read back through vt100), never when standard error is piped or with
//! `--quiet`, and cleared before the command ends. Skips, saying why, where no pseudo-terminal
//! can be opened.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

mod common;
use common::dir::test_dir;
mod pty;
use pty::{BIN, CommandBuilder, Screen};

/// A copy-on-write storm of `n` children writing `n` pages, as `name`.
fn storm(dir: &Path, name: &str, n: u32) -> PathBuf {
    let path = dir.join(name);
    let n = n.to_string();
    let out = Command::new(BIN)
        .args(["gen", "storm", "--children", &n, "--pages", &n, "-o"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

/// `rmapviz ARGS` in a pseudo-terminal, with standard output in the file `out` of `dir` (or on
/// the terminal too), to its end: everything written on the terminal, and the screen at the end.
fn on_a_terminal(dir: &Path, args: &[&str], out: Option<&str>) -> Option<(String, String)> {
    let mut cmd = CommandBuilder::new("sh");
    let redirect = out.map_or(String::new(), |f| format!(" > '{f}'"));
    cmd.args(["-c", &format!("exec \"$0\" \"$@\"{redirect}"), BIN]);
    cmd.args(args);
    cmd.cwd(dir);
    cmd.env("TERM", "xterm-256color");
    let mut s = Screen::spawn(cmd)?;
    let status = match s.exit_within(Duration::from_secs(300)) {
        Some(st) => st,
        None => panic!("rmapviz {args:?} did not end:\n{}", s.contents()),
    };
    s.drain();
    assert!(status.success(), "{args:?}: {status:?}\n{}", s.contents());
    Some((String::from_utf8_lossy(&s.raw()).into_owned(), s.contents()))
}

/// Whether `raw` holds the progress line of `command` on `name`:
/// `command NAME [====>    ] step N of M ...`.
fn shows_progress(raw: &str, command: &str, name: &str) -> bool {
    shows_units(raw, &format!("{command} {name}"), "step")
}

/// Whether `raw` holds a progress line `WHAT [====>    ] UNIT N of M ...`.
fn shows_units(raw: &str, what: &str, unit: &str) -> bool {
    raw.match_indices(&format!("{what} ["))
        .filter_map(|(at, _)| raw[at..].lines().next())
        .any(|line| {
            line.contains(&format!("] {unit} ")) && line.contains(" of ") && line.contains('=')
        })
}

#[test]
fn long_work_shows_progress_on_a_terminal_and_clears_it() {
    let dir = test_dir("progress-tty");
    // Big enough to take seconds (progress appears once work is older than 0.3 s): recording
    // draws 301 frames; replaying and comparing make 640,000 copy-on-write faults per scheme.
    storm(&dir, "small.ron", 150);
    storm(&dir, "big.ron", 800);
    let cases: [(&str, &str, &[&str], Option<&str>); 3] = [
        (
            "record",
            "small.ron",
            &["record", "small.ron", "-o", "small.cast"],
            None,
        ),
        (
            "replay",
            "big.ron",
            &["replay", "big.ron", "--scheme", "all"],
            Some("replay.txt"),
        ),
        ("compare", "big.ron", &["compare", "big.ron"], None),
    ];
    for (command, name, args, out) in cases {
        let Some((raw, screen)) = on_a_terminal(&dir, args, out) else {
            return;
        };
        assert!(
            shows_progress(&raw, command, name),
            "{command}: no progress line in {} bytes: {:?}",
            raw.len(),
            &raw[..raw.len().min(2000)]
        );
        // Cleared at the end: no bar is left on the screen.
        assert!(!screen.contains(&format!("{command} {name} [")), "{screen}");
    }
    // The commands did their work all the same.
    assert!(std::fs::metadata(dir.join("small.cast")).unwrap().len() > 0);
    let replayed = std::fs::read_to_string(dir.join("replay.txt")).unwrap();
    assert!(
        replayed.contains("== modern"),
        "{}",
        &replayed[..replayed.len().min(500)]
    );

    // --quiet: nothing on the terminal at all.
    let Some((raw, _)) = on_a_terminal(
        &dir,
        &["--quiet", "replay", "big.ron", "--scheme", "all"],
        Some("quiet.txt"),
    ) else {
        return;
    };
    assert_eq!(raw, "", "--quiet, yet something on the terminal");
}

#[test]
fn no_progress_when_standard_error_is_piped() {
    let dir = test_dir("progress-pipe");
    // The same work as on the terminal above, where it shows progress.
    let small = storm(&dir, "small.ron", 150);
    let big = storm(&dir, "big.ron", 800);
    let cast = dir.join("small.cast");
    let record = [small.as_os_str(), "-o".as_ref(), cast.as_os_str()];
    for (command, args) in [
        ("record", &record[..]),
        (
            "replay",
            &[big.as_os_str(), "--scheme".as_ref(), "all".as_ref()][..],
        ),
        ("compare", &[big.as_os_str()][..]),
    ] {
        let out = Command::new(BIN).arg(command).args(args).output().unwrap();
        assert!(out.status.success(), "{command}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{command}");
    }
}

/// Why `check` cannot run on this machine's kernel, if it cannot (as tests/oracle.rs asks).
#[cfg(target_os = "linux")]
fn oracle_unavailable() -> Option<String> {
    if !cfg!(target_arch = "x86_64") {
        return Some("the oracle drives x86_64 only".into());
    }
    match rmapviz::oracle::procfs::probe() {
        Err(e) => Some(e.to_string()),
        Ok(a) => a.missing,
    }
}

/// `check` drives real processes step by step: its progress says the step it is at, on a
/// terminal only.
#[cfg(target_os = "linux")]
#[test]
fn check_shows_the_step_on_a_terminal_only() {
    if !common::kernel_test_may_run(
        "check_shows_the_step_on_a_terminal_only",
        oracle_unavailable(),
    ) {
        return;
    }
    let dir = test_dir("progress-check");
    // 40 children writing 40 pages each, step by step on the real kernel: seconds.
    let storm = storm(&dir, "storm.ron", 40);
    let Some((raw, screen)) = on_a_terminal(&dir, &["check", "storm.ron"], Some("check.txt"))
    else {
        return;
    };
    assert!(
        shows_progress(&raw, "check", "storm.ron"),
        "check: no progress line in {} bytes: {:?}",
        raw.len(),
        &raw[..raw.len().min(2000)]
    );
    assert!(!screen.contains("check storm.ron ["), "{screen}");
    let report = std::fs::read_to_string(dir.join("check.txt")).unwrap();
    assert!(report.contains("summary:"), "{report}");
    // Piped: the report, and nothing on standard error.
    let out = Command::new(BIN).arg("check").arg(&storm).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

/// `fuzz` checks scenario after scenario on the real kernel: its progress says the scenario it
/// is at, on a terminal only; the summary goes to standard output either way.
#[cfg(target_os = "linux")]
#[test]
fn fuzz_shows_the_scenario_on_a_terminal_only() {
    if !common::kernel_test_may_run(
        "fuzz_shows_the_scenario_on_a_terminal_only",
        oracle_unavailable(),
    ) {
        return;
    }
    let dir = test_dir("progress-fuzz");
    // 60 scenarios of up to 30 steps on the real kernel: seconds.
    let args = ["fuzz", "--seed", "2026", "--count", "60"];
    let Some((raw, screen)) = on_a_terminal(&dir, &args, Some("fuzz.txt")) else {
        return;
    };
    assert!(
        shows_units(&raw, "fuzz seed 2026", "scenario"),
        "fuzz: no progress line in {} bytes: {:?}",
        raw.len(),
        &raw[..raw.len().min(2000)]
    );
    assert!(!screen.contains("fuzz seed 2026 ["), "{screen}");
    let report = std::fs::read_to_string(dir.join("fuzz.txt")).unwrap();
    assert!(
        report.contains(": 60 scenarios, ") && report.contains("0 disagreements"),
        "{report}"
    );
    // Piped: the same summary on standard output, and nothing on standard error.
    let out = Command::new(BIN)
        .args(args)
        .current_dir(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(
        stdout.contains(": 60 scenarios, ") && stdout.contains("0 disagreements"),
        "{stdout}"
    );
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
    // --quiet on a terminal: nothing but the summary (standard output is the file).
    let Some((raw, _)) = on_a_terminal(
        &dir,
        &["--quiet", "fuzz", "--seed", "2026", "--count", "20"],
        Some("quiet.txt"),
    ) else {
        return;
    };
    assert_eq!(raw, "", "--quiet, yet something on the terminal");
}
