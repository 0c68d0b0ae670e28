//! The binary: exit statuses, error messages, JSON shape, generated scenarios.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
use common::dir::test_dir;

fn rmapviz(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rmapviz"))
        .args(args)
        .output()
        .expect("run rmapviz")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Writes `text` to the file `name` in `dir`.
fn temp(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn the_replay_end_line_counts_in_the_right_number() {
    let s = rmapviz::scenario::Scenario::parse(
        "Scenario(steps: [Mmap(pid: 1, addr: 0x10000, pages: 1), Write(pid: 1, addr: 0x10000, pages: 1)])",
        "one.ron",
    )
    .unwrap();
    let r = rmapviz::session::replay(&s, "anon-vma", false).unwrap();
    let t = rmapviz::report::text::run_text(&r, false);
    // One process, its one vma, one written page, its pte, the one anon_vma.
    assert!(
        t.contains("end: 1 process, 1 vma, 1 page, 1 pte; 1 rmap object, "),
        "{t}"
    );
}

#[test]
fn replay_of_s3_under_all_schemes_shows_each_walk() {
    let o = rmapviz(&["replay", "S3", "--scheme", "all"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    for s in rmapviz::schemes::scheme_names() {
        assert!(out.contains(&format!("== {s} ")), "{s} missing:\n{out}");
    }
    assert!(out.contains("try_to_unmap"));
}

#[test]
fn malformed_scenarios_exit_2_with_line_and_column() {
    let cases = [
        (
            "unknown-op.ron",
            "Scenario(\n  steps: [\n    Frok(pid: 1, child: 2),\n  ],\n)",
            ":3:",
            "Frok",
        ),
        (
            "missing-field.ron",
            "Scenario(steps: [\n Fork(pid: 1),\n])",
            ":2:",
            "child",
        ),
        (
            "bad-prot.ron",
            "Scenario(steps: [Mmap(pid: 1, addr: 0x1000, pages: 1, prot: \"rwq\")])",
            ":1:",
            "'q'",
        ),
        (
            "unknown-field.ron",
            "Scenario(titel: \"x\", steps: [])",
            ":1:",
            "titel",
        ),
        (
            "syntax.ron",
            "Scenario(steps: [Fork(pid: 1, child: 2)",
            ":1:",
            "",
        ),
        (
            "not-a-number.ron",
            "Scenario(steps: [Exit(pid: \"one\")])",
            ":1:",
            "",
        ),
    ];
    let dir = test_dir("cli-errors");
    for (name, text, pos, word) in cases {
        let p = temp(&dir, name, text);
        let o = rmapviz(&["replay", p.to_str().unwrap()]);
        let e = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{name}: {e}");
        assert!(e.contains(&format!("{name}{pos}")), "{name}: {e}");
        assert!(e.contains(word), "{name}: {e}");
        assert!(!e.contains("panicked"), "{name}: {e}");
    }
}

#[test]
fn missing_files_and_unknown_schemes_exit_2() {
    let o = rmapviz(&["replay", "no-such-file.ron"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("S3"),
        "lists the built-ins: {}",
        stderr(&o)
    );
    let o = rmapviz(&["replay", "S1", "--scheme", "nonsense"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("modern"), "{}", stderr(&o));
}

#[test]
fn refused_steps_exit_1_and_name_the_step() {
    let dir = test_dir("cli-refused");
    let p = temp(
        &dir,
        "refused.ron",
        "Scenario(steps: [Mmap(pid: 1, addr: 0x10000, pages: 1, prot: \"r\"), Write(pid: 1, addr: 0x10000), Fork(pid: 7, child: 8)])",
    );
    let o = rmapviz(&["replay", p.to_str().unwrap(), "--scheme", "modern"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("step 2") && e.contains("SIGSEGV"), "{e}");
    assert!(
        e.contains("step 3") && e.contains("no process with pid 7"),
        "{e}"
    );
}

#[test]
fn json_has_the_documented_keys() {
    let o = rmapviz(&[
        "replay",
        "S3",
        "--scheme",
        "modern,anon-vma",
        "--json",
        "--state",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    let keys = |v: &serde_json::Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&v), ["scenario", "schemes"]);
    let schemes = v["schemes"].as_array().unwrap();
    assert_eq!(schemes.len(), 2);
    assert_eq!(schemes[0]["scheme"], "modern");
    let steps = schemes[0]["steps"].as_array().unwrap();
    assert_eq!(
        keys(&steps[0]),
        ["error", "events", "index", "op", "ptes", "totals", "walk"]
    );
    assert_eq!(
        keys(&steps[0]["totals"]),
        [
            "pages",
            "processes",
            "ptes",
            "rmap_bytes_i386",
            "rmap_bytes_x86_64",
            "rmap_objects",
            "vmas"
        ]
    );
    let walk = &steps[4]["walk"];
    assert_eq!(
        keys(walk),
        [
            "candidates",
            "hit",
            "kind",
            "lost",
            "mapcount",
            "miss",
            "object",
            "out",
            "page",
            "skip",
            "unmapped_all"
        ]
    );
    assert_eq!(walk["kind"], "try_to_unmap");
    // The object the walk starts from: the page was written by pid 1 before the fork, so its
    // mapping is the parent's own anon_vma, the first one made; the child gets its own at the
    // fork (docs/semantics.md §3.8).
    assert_eq!(walk["object"], "av1");
    // Page ids are written as the TUI and `export` write them (issue 16 item 11): S3 reclaims
    // its second page, p2.
    assert_eq!(walk["page"], "p2");
    assert_eq!(
        keys(&walk["candidates"][0]),
        ["addr", "outcome", "pid", "vma_end", "vma_start"]
    );
    assert_eq!(
        steps[3]["op"],
        "Mremap(pid: 1, addr: 0x10000, pages: 4, to: 0x80000)"
    );
    let ptes = steps[4]["ptes"].as_array().unwrap();
    assert!(
        ptes.iter()
            .any(|p| p["page"].as_str().is_some_and(|s| s.starts_with("swap:")))
    );
    assert!(ptes.iter().any(|p| p["page"] == "p1"));
    assert!(ptes.iter().all(|p| !p["page"].is_u64()));
    // Without --state there is no ptes key.
    let o = rmapviz(&["replay", "S1", "--scheme", "modern", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["schemes"][0]["steps"][0].get("ptes").is_none());
}

#[test]
fn gen_storm_writes_a_scenario_that_replays() {
    // A new empty directory: a storm.ron left there would make gen refuse to overwrite it.
    let dir = test_dir("gen");
    let f = dir.join("storm.ron");
    let o = rmapviz(&[
        "gen",
        "storm",
        "--children",
        "5",
        "--pages",
        "3",
        "-o",
        f.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let o = rmapviz(&[
        "replay",
        f.to_str().unwrap(),
        "--scheme",
        "anon-vma",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let steps = v["schemes"][0]["steps"].as_array().unwrap();
    assert_eq!(steps.len(), 2 + 5 + 5 + 2);
    // (a): the child's copy under anon-vma: the newest-first family list is walked down to child 2.
    assert_eq!(steps[12]["walk"]["miss"], 4);
    assert_eq!(steps[12]["walk"]["hit"], 1);
    let o = rmapviz(&["gen", "storm", "--children", "0"]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["replay", "--help"],
        vec!["scenarios", "--help"],
        vec!["schemes", "--help"],
        vec!["gen", "storm", "--help"],
    ] {
        let o = rmapviz(&args);
        assert_eq!(o.status.code(), Some(0), "{args:?}");
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("Usage"),
            "{args:?}"
        );
    }
    let o = rmapviz(&["scenarios"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("S12"));
    let o = rmapviz(&["schemes"]);
    assert!(String::from_utf8_lossy(&o.stdout).contains("2.6.7 - 2.6.33"));
}

/// The quick start says how to get `rmapviz` on PATH, the Rust version `Cargo.toml` asks for,
/// and what the tests need beyond the toolchain (issue 16 item 12).
#[test]
fn the_readme_says_how_to_install_and_what_the_tests_need() {
    let readme = include_str!("../README.md");
    let toml = include_str!("../Cargo.toml");
    let version = toml
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = "))
        .map(|v| v.trim_matches('"'))
        .expect("Cargo.toml has a rust-version");
    let start = readme.find("## Quick start").expect("a quick start");
    let quick = &readme[start..];
    let quick = &quick[..quick[3..].find("\n## ").map_or(quick.len(), |e| e + 3)];
    for part in [
        format!("Rust {version} or newer"),
        "cargo install --path .".to_string(),
        "gcc -m32".to_string(),
        "as root".to_string(),
    ] {
        assert!(
            quick.contains(&part),
            "{part:?} not in the quick start:\n{quick}"
        );
    }
}
