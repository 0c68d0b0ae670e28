//! `rmapviz compare` through the binary: the table, the JSON, exit statuses and bad input.

use std::process::{Command, Output};

use rmapviz::schemes::scheme_names;

mod common;
use common::dir::test_dir;

fn rmapviz(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rmapviz"))
        .args(args)
        .output()
        .expect("run rmapviz")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// The lines of the table that follows the heading line starting with `step`.
fn section<'a>(out: &'a str, step: &str) -> Vec<&'a str> {
    out.lines()
        .skip_while(|l| !l.starts_with(step))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect()
}

/// The whitespace-separated cells of the row of `scheme` in `lines`.
fn cells<'a>(lines: &[&'a str], scheme: &str) -> Vec<&'a str> {
    let row = lines
        .iter()
        .find(|l| l.split_whitespace().next() == Some(scheme))
        .unwrap_or_else(|| panic!("no row for {scheme} in {lines:#?}"));
    row.split_whitespace().collect()
}

/// (cand, HIT, MISS, OUT, SKIP, LOST, unmapped) of a walk row.
fn walk_row(lines: &[&str], scheme: &str) -> (u32, u32, u32, u32, u32, u32, String) {
    let c = cells(lines, scheme);
    let n = |i: usize| c[i].parse::<u32>().unwrap();
    (n(3), n(5), n(6), n(7), n(8), n(9), c[10].to_string())
}

#[test]
fn compare_s3_has_one_aligned_row_per_scheme_under_the_notes_of_the_walk_step() {
    let o = rmapviz(&["compare", "S3"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("S3: fork, then mremap"));
    let lines = section(&out, "step 5: SwapOut(pid: 2, addr: 0x11000)");
    // The step's note comes first, as the heading of the table.
    assert!(
        lines[0]
            .trim_start()
            .starts_with("Reclaim p2, the page at 0x11000."),
        "{lines:#?}"
    );
    let header = lines
        .iter()
        .find(|l| l.trim_start().starts_with("scheme"))
        .unwrap();
    for col in [
        "page", "via", "cand", "HIT", "MISS", "OUT", "SKIP", "LOST", "unmapped",
    ] {
        assert!(header.contains(col), "{header}");
    }
    let rows: Vec<&&str> = lines
        .iter()
        .skip_while(|l| !l.trim_start().starts_with("scheme"))
        .skip(1)
        .collect();
    assert_eq!(rows.len(), scheme_names().len());
    // Aligned: every row ends its LOST number where the header ends "LOST".
    let lost_end = header.find("LOST").unwrap() + 4;
    for r in &rows {
        let end = &r.as_bytes()[lost_end - 1..lost_end + 1];
        assert!(end[0].is_ascii_digit() && end[1] == b' ', "{r}");
    }
    // §7 S3: AV / AVG / AVC / MOD: 2H, and the page is unmapped.
    for s in [
        "anon-vma",
        "anon-vma-global",
        "anon-vma-chain",
        "modern",
        "anon-as",
    ] {
        assert_eq!(
            walk_row(&lines, s),
            (2, 2, 0, 0, 0, 0, "yes".to_string()),
            "{s}"
        );
    }
    // §7 S3 AMM naive: probes P@old (M), C@old (H) -> P's pte LOST, page not unmapped.
    let (_, hit, _, _, _, lost, unmapped) = walk_row(&lines, "anonmm-naive");
    assert_eq!((hit, lost, unmapped.as_str()), (1, 1, "NO"));
}

#[test]
fn the_summary_gives_bytes_objects_and_pages_copied_per_scheme() {
    let out = stdout(&rmapviz(&["compare", "S3"]));
    let summary = section(&out, "after the last step");
    assert_eq!(summary.len(), 1 + scheme_names().len(), "{summary:#?}");
    // anon-vma (§4): 2 vmas x (12 + 16) B + one anon_vma of 12 B on i386; x 2 on x86_64.
    let av = cells(&summary, "anon-vma");
    assert_eq!(&av[1..], ["68", "136", "1", "4", "0"]);
    // §7 S3 AMM Mar/Apr 2004: early COW, +1 page per shared page (4 shared pages).
    assert_eq!(cells(&summary, "anonmm")[5], "4");
    // Each scheme's bytes are explained line by line.
    assert!(out.contains("where the rmap bytes go"));
    assert!(
        out.contains("1 x 12 / 24 B    anon_vma (lock + list head)"),
        "{out}"
    );
}

#[test]
fn compare_s2_shows_the_storm_difference_at_a_glance() {
    // §7 S2 (a): AV / AVG up to N+1 vmas (<= N M + 1 H); AVC / MOD 1.
    let out = stdout(&rmapviz(&["compare", "S2"]));
    let a = section(&out, "step 9:");
    let (cand, hit, miss, ..) = walk_row(&a, "anon-vma");
    assert_eq!((cand, hit, miss), (3, 1, 2));
    for s in ["anon-vma-chain", "modern"] {
        assert_eq!(walk_row(&a, s).0, 1, "{s}");
    }
}

#[test]
fn compare_json_is_the_replay_json_of_every_scheme() {
    let o = rmapviz(&["compare", "S1", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    let names: Vec<&str> = v["schemes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["scheme"].as_str().unwrap())
        .collect();
    assert_eq!(names, scheme_names());
    // The same document as replay --json --scheme all.
    let r = rmapviz(&["replay", "S1", "--scheme", "all", "--json"]);
    let rv: serde_json::Value = serde_json::from_slice(&r.stdout).unwrap();
    assert_eq!(v, rv);
}

#[test]
fn a_refused_step_exits_1_and_is_shown_with_its_reason() {
    // §7 S7: the spanning mremap is refused (EFAULT) where the two vmas did not merge.
    let o = rmapviz(&["compare", "S7", "--scheme", "anon-vma,modern"]);
    assert_eq!(o.status.code(), Some(1));
    let out = stdout(&o);
    let step = section(&out, "step 7: Mremap");
    assert!(
        step.iter()
            .any(|l| l.contains("anon-vma, modern:") && l.contains("EFAULT")),
        "{out}"
    );
    assert!(stderr(&o).contains("refused"));
    let o = rmapviz(&["compare", "S7", "--json"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(serde_json::from_slice::<serde_json::Value>(&o.stdout).is_ok());
}

#[test]
fn bad_input_exits_2_with_a_clear_message_and_no_output() {
    let dir = test_dir("compare");
    let bad = dir.join("bad.ron");
    std::fs::write(&bad, "Scenario(steps: [\n  Fork(pid: 1),\n])").unwrap();
    let o = rmapviz(&["compare", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("bad.ron:2:"), "{}", stderr(&o));
    assert!(stdout(&o).is_empty());
    let o = rmapviz(&["compare", "no-such-scenario.ron"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stdout(&o).is_empty());
    let o = rmapviz(&["compare", "S1", "--scheme", "nonsense"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("unknown scheme"), "{}", stderr(&o));
    let o = rmapviz(&["compare"]);
    assert_eq!(o.status.code(), Some(2));
    let o = rmapviz(&["compare", "--help"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("Usage") && stdout(&o).contains("Exit status"));
}

#[test]
fn a_scenario_without_walks_says_so() {
    let dir = test_dir("compare-nw");
    let f = dir.join("nowalk.ron");
    std::fs::write(
        &f,
        "Scenario(title: \"t\", steps: [Mmap(pid: 1, addr: 0x10000, pages: 1)])",
    )
    .unwrap();
    let o = rmapviz(&["compare", f.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains("nothing was walked"));
}
