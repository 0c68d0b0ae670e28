//! `rmapviz export`: the graph of a state as JSON and Graphviz DOT, checked against the walk that
//! docs/semantics.md specifies, plus determinism and bad input.

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::{Command, Output};

use serde_json::Value;

mod common;
use common::dir::test_dir;

fn rmapviz(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rmapviz"))
        .args(args)
        .output()
        .expect("run rmapviz")
}

fn export(args: &[&str]) -> Vec<u8> {
    let mut all = vec!["export"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["-o", "-"]);
    let o = rmapviz(&all);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

fn json(args: &[&str]) -> Value {
    let mut a = args.to_vec();
    a.extend_from_slice(&["--format", "json"]);
    serde_json::from_slice(&export(&a)).expect("valid JSON")
}

/// docs/semantics.md §7 S3, row "AV, AVG, AVC, MOD": after the parent's mremap the new vma
/// keeps its vm_pgoff, so the walk of the shared page finds both ptes: 2 HIT, nothing LOST.
#[test]
fn s3_walk_under_anon_vma_is_two_hits_marked_on_the_graph() {
    let doc = json(&["S3", "--step", "5", "--scheme", "anon-vma"]);
    assert_eq!(doc["scheme"], "anon-vma");
    assert_eq!(
        (doc["step"].as_u64(), doc["steps"].as_u64()),
        (Some(5), Some(5))
    );
    let walk = &doc["walk"];
    assert_eq!(walk["kind"], "try_to_unmap");
    let cands = walk["candidates"].as_array().unwrap();
    let outcomes: Vec<&str> = cands
        .iter()
        .map(|c| c["outcome"].as_str().unwrap())
        .collect();
    assert_eq!(outcomes, ["HIT", "HIT"]);
    let pids: HashSet<u64> = cands.iter().map(|c| c["pid"].as_u64().unwrap()).collect();
    assert_eq!(pids, HashSet::from([1, 2]));
    assert_eq!(walk["lost"].as_array().unwrap().len(), 0);
    assert_eq!(walk["unmapped_all"], true);

    let nodes: HashMap<&str, &Value> = doc["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["id"].as_str().unwrap(), n))
        .collect();
    // Each candidate landed on a vma node that is on the path and records that visit.
    for (k, c) in cands.iter().enumerate() {
        let node = nodes[c["node"].as_str().expect("candidate has a node")];
        assert_eq!(node["kind"], "vma");
        assert_eq!(node["on_path"], true);
        let visits = node["visits"].as_array().unwrap();
        assert!(
            visits
                .iter()
                .any(|v| v["candidate"] == k && v["outcome"] == "HIT")
        );
    }
    let page = nodes[walk["page_node"].as_str().unwrap()];
    assert_eq!(
        (page["kind"].as_str(), page["walked"].as_bool()),
        (Some("page"), Some(true))
    );
    // Every edge joins declared nodes, left to right across the four columns.
    for e in doc["edges"].as_array().unwrap() {
        let (a, b) = (
            nodes[e["from"].as_str().unwrap()],
            nodes[e["to"].as_str().unwrap()],
        );
        if e["kind"] != "object->object" {
            assert!(a["column"].as_u64() < b["column"].as_u64(), "{e}");
        }
    }
    // The path from the page's object to each candidate vma and its mm is marked.
    let on_path: Vec<(&str, &str)> = doc["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["on_path"] == true)
        .map(|e| (e["from"].as_str().unwrap(), e["to"].as_str().unwrap()))
        .collect();
    for c in cands {
        let vma = c["node"].as_str().unwrap();
        let mm = format!("pid{}", c["pid"]);
        assert!(
            on_path.contains(&(mm.as_str(), vma)),
            "{mm} -> {vma} not on path"
        );
        assert!(
            on_path.iter().any(|(from, _)| *from == vma),
            "{vma} -> object"
        );
    }
}

/// docs/semantics.md §7 S3, row "AMM without a fix (`anonmm-naive`)": the walk probes the parent at the old
/// address (MISS) and the child there (HIT); the parent's moved pte at 0x81000 is LOST, so the
/// page cannot be unmapped. The graph marks the LOST pte on the parent's moved vma.
#[test]
fn s3_walk_under_anonmm_naive_marks_the_lost_pte() {
    let doc = json(&["S3", "--step", "5", "--scheme", "anonmm-naive"]);
    let walk = &doc["walk"];
    let visits: Vec<(u64, &str)> = walk["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["pid"].as_u64().unwrap(), c["outcome"].as_str().unwrap()))
        .collect();
    assert_eq!(visits, [(1, "MISS"), (2, "HIT")]);
    assert_eq!(
        walk["lost"],
        serde_json::json!([{ "pid": 1, "addr": 0x81000 }])
    );
    assert_eq!(walk["unmapped_all"], false);
    let lost: Vec<&Value> = doc["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| !n["lost"].as_array().unwrap().is_empty())
        .collect();
    assert_eq!(lost.len(), 1);
    assert_eq!(lost[0]["kind"], "vma");
    assert_eq!(lost[0]["lost"], serde_json::json!([0x81000]));
    assert!(
        lost[0]["label"]
            .as_str()
            .unwrap()
            .starts_with("0x80000-0x84000")
    );
    let dot = String::from_utf8(export(&[
        "S3",
        "--step",
        "5",
        "--scheme",
        "anonmm-naive",
        "--format",
        "dot",
    ]))
    .unwrap();
    let id = lost[0]["id"].as_str().unwrap();
    let line = dot
        .lines()
        .find(|l| l.contains(&format!("\"{id}\" [")))
        .unwrap();
    assert!(
        line.contains("[LOST 0x81000]") && line.contains("dashed"),
        "{line}"
    );
}

#[test]
fn dot_declares_every_node_and_marks_the_walk() {
    let dot = String::from_utf8(export(&[
        "S3", "--step", "5", "--scheme", "anon-vma", "--format", "dot",
    ]))
    .unwrap();
    assert!(dot.starts_with("digraph rmap {"));
    assert!(dot.trim_end().ends_with('}'));
    let doc = json(&["S3", "--step", "5", "--scheme", "anon-vma"]);
    for n in doc["nodes"].as_array().unwrap() {
        assert!(
            dot.contains(&format!("    \"{}\" [", n["id"].as_str().unwrap())),
            "{n}"
        );
    }
    let page = doc["walk"]["page_node"].as_str().unwrap();
    let line = dot
        .lines()
        .find(|l| l.contains(&format!("\"{page}\" [")))
        .unwrap();
    assert!(
        line.contains("peripheries=2") && line.contains("bold"),
        "{line}"
    );
    assert_eq!(
        dot.matches(" -> ").count(),
        doc["edges"].as_array().unwrap().len()
    );
    // Graphviz itself accepts it, where it is installed (CI installs it).
    match Command::new("dot")
        .arg("-Tsvg")
        .arg("-o")
        .arg("/dev/null")
        .stdin(std::process::Stdio::piped())
        .spawn()
    {
        Ok(mut child) => {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(dot.as_bytes())
                .unwrap();
            let st = child.wait().unwrap();
            assert!(st.success(), "dot rejected the file");
        }
        Err(e) => eprintln!("skipping the Graphviz check: cannot run `dot` ({e})"),
    }
}

#[test]
fn groups_fold_pages_unless_full() {
    let count = |doc: &Value, kind: &str| {
        doc["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == kind)
            .count()
    };
    let folded = json(&["S4", "--step", "3", "--scheme", "anon-vma"]);
    let full = json(&["S4", "--step", "3", "--scheme", "anon-vma", "--full"]);
    assert!(count(&folded, "page group") >= 1);
    assert_eq!(count(&full, "page group"), 0);
    let group = folded["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "page group")
        .unwrap();
    let members = group["count"].as_u64().unwrap() as usize;
    assert_eq!(count(&full, "page"), count(&folded, "page") + members);
}

#[test]
fn same_state_same_bytes() {
    for f in ["dot", "json"] {
        let a = export(&["S2", "--step", "9", "--scheme", "modern", "--format", f]);
        let b = export(&["S2", "--step", "9", "--scheme", "modern", "--format", f]);
        assert_eq!(a, b, "{f}");
    }
}

fn assert_bad(args: &[&str], needle: &str, out: &Path) {
    let o = rmapviz(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(needle), "{args:?}: {err}");
    assert!(!out.exists(), "{} was left behind", out.display());
}

#[test]
fn bad_input_exits_2_and_leaves_no_file() {
    let d = test_dir("export-graph");
    let out = d.join("g.dot");
    let o = out.to_str().unwrap();
    assert_bad(
        &[
            "export", "S3", "--step", "5", "--scheme", "nonesuch", "-o", o,
        ],
        "unknown scheme \"nonesuch\"",
        &out,
    );
    assert_bad(
        &["export", "S3", "--step", "6", "--scheme", "modern", "-o", o],
        "step 6 is out of range",
        &out,
    );
    assert_bad(
        &["export", "S3", "--step", "5", "--scheme", "all", "-o", o],
        "one scheme",
        &out,
    );
    let jpg = d.join("g.jpg");
    assert_bad(
        &[
            "export",
            "S3",
            "--step",
            "5",
            "--scheme",
            "modern",
            "-o",
            jpg.to_str().unwrap(),
        ],
        "\".jpg\"",
        &jpg,
    );
    let missing = d.join("no/such/dir/g.json");
    assert_bad(
        &[
            "export",
            "S3",
            "--step",
            "5",
            "--scheme",
            "modern",
            "-o",
            missing.to_str().unwrap(),
        ],
        "does not exist",
        &missing,
    );
    // A directory where nobody, not even root, can create a file.
    let proc_file = Path::new("/proc/rmapviz-export-test.json");
    assert_bad(
        &[
            "export",
            "S3",
            "--step",
            "5",
            "--scheme",
            "modern",
            "-o",
            proc_file.to_str().unwrap(),
        ],
        "cannot write",
        proc_file,
    );
    // A directory that exists but cannot be written: the write fails, nothing is left.
    let ro = d.join("read-only");
    std::fs::create_dir_all(&ro).unwrap();
    let mut perm = std::fs::metadata(&ro).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o555);
    std::fs::set_permissions(&ro, perm).unwrap();
    let target = ro.join("g.json");
    let probe = ro.join(".probe");
    if std::fs::write(&probe, b"").is_ok() {
        // Root ignores directory permissions; the case cannot be made here.
        let _ = std::fs::remove_file(&probe);
        eprintln!("skipping the read-only directory case: running as root");
    } else {
        assert_bad(
            &[
                "export",
                "S3",
                "--step",
                "5",
                "--scheme",
                "modern",
                "-o",
                target.to_str().unwrap(),
            ],
            "cannot write",
            &target,
        );
        assert_eq!(
            std::fs::read_dir(&ro).unwrap().count(),
            0,
            "no temporary file left"
        );
    }
}

/// A walk has one JSON shape: the graph export writes the walk of `replay --json`, plus the
/// node each part of it landed on (`page_node`, `object_node`, each candidate's `node`).
#[test]
fn the_graph_exports_walk_is_the_replays_walk_with_its_nodes() {
    let o = rmapviz(&["replay", "S3", "--scheme", "anon-vma", "--json"]);
    assert_eq!(o.status.code(), Some(0));
    let replay: Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    let replayed = &replay["schemes"][0]["steps"][4]["walk"];
    let mut exported = json(&["S3", "--step", "5", "--scheme", "anon-vma"])["walk"].clone();
    let w = exported.as_object_mut().unwrap();
    assert!(w.remove("page_node").unwrap().is_string());
    assert!(w.remove("object_node").unwrap().is_string());
    for c in w["candidates"].as_array_mut().unwrap() {
        assert!(
            c.as_object_mut()
                .unwrap()
                .remove("node")
                .unwrap()
                .is_string()
        );
    }
    assert_eq!(&exported, replayed);
    // The page S3 reclaims was written by pid 1 before the fork: its mapping is the parent's
    // anon_vma, the first one made (docs/semantics.md §3.4), which the child's vma joined.
    assert_eq!(replayed["object"], "av1");
}
