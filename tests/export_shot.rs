//! `rmapviz shot` and `rmapviz record`: the TUI's drawing of a state written as text, ANSI,
//! HTML, SVG, PNG and asciicast v2, checked as the files a user gets.

use std::path::Path;
use std::process::{Command, Output};

use resvg::tiny_skia::Pixmap;
use serde_json::Value;

mod common;
use common::dir::test_dir;

fn rmapviz(args: &[&str]) -> Output {
    rmapviz_env(args, &[])
}

fn rmapviz_env(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rmapviz"));
    c.args(args).env_remove("NO_COLOR");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().expect("run rmapviz")
}

/// Runs an export command that writes to standard output and returns the bytes.
fn out(args: &[&str]) -> Vec<u8> {
    let mut a = args.to_vec();
    a.extend_from_slice(&["-o", "-"]);
    let o = rmapviz(&a);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{a:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o.stdout
}

const HERO: [&str; 7] = [
    "S3",
    "--step",
    "5",
    "--scheme",
    "anonmm-naive",
    "--compare",
    "anon-vma",
];

fn shot(extra: &[&str], format: &str) -> Vec<u8> {
    let mut a = vec!["shot"];
    a.extend_from_slice(&HERO);
    a.extend_from_slice(extra);
    a.extend_from_slice(&["--format", format]);
    out(&a)
}

#[test]
fn svg_is_well_formed_with_one_text_row_per_terminal_row() {
    let svg = String::from_utf8(shot(&["--size", "100x30"], "svg")).unwrap();
    let doc = roxmltree::Document::parse(&svg).expect("well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    // 100 columns of 9 px and 30 rows of 17 px, with 8 px of padding on each side.
    assert_eq!(root.attribute("width"), Some("916"));
    assert_eq!(root.attribute("height"), Some("526"));
    assert_eq!(root.attribute("viewBox"), Some("0 0 916 526"));
    let rows: Vec<_> = root
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .collect();
    assert_eq!(rows.len(), 30);
    // The rows are 17 px apart and carry the screen's text: the header's title is on row 0.
    let ys: Vec<u32> = rows
        .iter()
        .map(|t| t.attribute("y").unwrap().parse().unwrap())
        .collect();
    assert!(ys.windows(2).all(|w| w[1] - w[0] == 17));
    let row0: String = rows[0]
        .descendants()
        .filter_map(|n| n.text())
        .collect::<Vec<_>>()
        .join(" ");
    assert!(row0.contains("rmapviz:"), "{row0}");
    // The font is named, with a monospace fallback.
    let family = root
        .descendants()
        .find_map(|n| n.attribute("font-family"))
        .unwrap();
    assert!(family.starts_with("'DejaVu Sans Mono'"), "{family}");
    assert!(family.ends_with(", monospace"), "{family}");
}

#[test]
fn svg_uses_the_themes_exact_background() {
    // tui::theme's dark background is #1d2128 and its light one #fafafa.
    let dark = String::from_utf8(shot(&[], "svg")).unwrap();
    let light = String::from_utf8(shot(&["--theme", "light"], "svg")).unwrap();
    let bg = |svg: &str| {
        let doc = roxmltree::Document::parse(svg).unwrap();
        let r = doc
            .root_element()
            .children()
            .find(|n| n.has_tag_name("rect"))
            .unwrap();
        r.attribute("fill").unwrap().to_string()
    };
    assert_eq!(bg(&dark), "#1d2128");
    assert_eq!(bg(&light), "#fafafa");
}

#[test]
fn png_has_the_expected_size_and_text_on_it() {
    for (scale, w, h) in [("1", 1096, 696), ("2", 2192, 1392)] {
        let png = shot(&["--scale", scale], "png");
        let p = Pixmap::decode_png(&png).expect("a PNG");
        assert_eq!((p.width(), p.height()), (w, h), "scale {scale}");
        // Not blank: a good share of the pixels differ from the dark theme's background, and
        // some are the theme's text colour (#d8dee9) or close to it.
        let bg = (0x1d, 0x21, 0x28);
        let mut ink = 0usize;
        let mut text = 0usize;
        for px in p.pixels() {
            let c = px.demultiply();
            let (r, g, b) = (c.red(), c.green(), c.blue());
            if (r, g, b) != bg {
                ink += 1;
            }
            if r.abs_diff(0xd8) < 24 && g.abs_diff(0xde) < 24 && b.abs_diff(0xe9) < 24 {
                text += 1;
            }
        }
        let total = (w * h) as usize;
        assert!(ink > total / 50, "only {ink} of {total} pixels drawn");
        assert!(text > total / 500, "only {text} text pixels");
    }
}

#[test]
fn text_and_ansi_show_the_same_screen() {
    let txt = String::from_utf8(shot(&[], "txt")).unwrap();
    let ansi = String::from_utf8(shot(&[], "ansi")).unwrap();
    assert_eq!(txt.lines().count(), 40);
    assert!(txt.lines().all(|l| l.chars().count() <= 120));
    // The moved vma is marked LOST in the graph, the pte's address is in the walk pane.
    assert!(txt.contains("[LOST"), "{txt}");
    assert!(txt.contains("LOST pid 1 0x81000"), "{txt}");
    assert!(!txt.contains('\x1b'));
    assert!(ansi.contains("\x1b[0;"));
    // Without its escape sequences the ANSI text is the plain text.
    let mut plain = String::new();
    let mut chars = ansi.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    let trim = |s: &str| {
        s.lines()
            .map(|l| l.trim_end().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(trim(&plain), trim(&txt));
}

#[test]
fn html_is_one_self_contained_page() {
    let html = String::from_utf8(shot(&[], "html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<title>S3: fork, then mremap in the parent"));
    for external in ["src=", "href=", "url(", "<script", "@import"] {
        assert!(!html.contains(external), "{external}");
    }
    assert!(html.contains("[LOST"));
    assert!(html.contains("LOST pid 1 0x81000"));
}

/// Replays a cast's output events through a terminal emulator; returns the header and the
/// screen's rows after each event.
fn replay(cast: &str) -> (Value, Vec<Vec<String>>) {
    let mut lines = cast.lines();
    let header: Value = serde_json::from_str(lines.next().unwrap()).unwrap();
    let (w, h) = (
        header["width"].as_u64().unwrap() as u16,
        header["height"].as_u64().unwrap() as u16,
    );
    let nz = |n| std::num::NonZeroU16::new(n).unwrap();
    let mut vt = vt100::Parser::new(nz(h), nz(w), 0);
    let mut last = -1.0;
    let mut screens = Vec::new();
    for l in lines {
        let ev: Value = serde_json::from_str(l).expect("an event is JSON");
        let ev = ev.as_array().expect("an event is an array");
        assert_eq!(ev.len(), 3);
        let t = ev[0].as_f64().unwrap();
        assert!(t > last, "times must increase: {t} after {last}");
        last = t;
        assert_eq!(ev[1], "o");
        vt.process(ev[2].as_str().unwrap().as_bytes());
        screens.push(
            vt.screen()
                .rows(0, w)
                .map(|r| r.trim_end().to_string())
                .collect(),
        );
    }
    (header, screens)
}

fn lines(s: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(s)
        .lines()
        .map(|l| l.trim_end().to_string())
        .collect()
}

#[test]
fn a_recording_is_asciicast_v2_ending_on_the_last_shot() {
    let cast = String::from_utf8(out(&[
        "record", "S3", "--scheme", "anon-vma", "--size", "100x30", "--delay", "0.5",
    ]))
    .unwrap();
    let (header, screens) = replay(&cast);
    let rows = screens.last().unwrap().clone();
    assert_eq!(header["version"], 2);
    assert_eq!(
        (header["width"].as_u64(), header["height"].as_u64()),
        (Some(100), Some(30))
    );
    // Frames for step 0 to 5, each held 0.5 s, then the closing event at 3.0 s.
    let times: Vec<f64> = cast
        .lines()
        .skip(1)
        .map(|l| {
            serde_json::from_str::<Value>(l).unwrap()[0]
                .as_f64()
                .unwrap()
        })
        .collect();
    assert_eq!(times, [0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 3.0]);
    let last = out(&[
        "shot", "S3", "--step", "5", "--scheme", "anon-vma", "--size", "100x30", "--format", "txt",
    ]);
    assert_eq!(rows, lines(&last));
}

#[test]
fn with_walk_every_frame_is_the_shot_of_its_step_or_candidate() {
    let cast = String::from_utf8(out(&[
        "record",
        "S3",
        "--scheme",
        "anonmm-naive",
        "--compare",
        "anon-vma",
        "--walk",
    ]))
    .unwrap();
    let (_, screens) = replay(&cast);
    // Steps 0 to 5, then the 2 candidates of step 5's walk, then the closing event.
    assert_eq!(screens.len(), 6 + 2 + 1);
    let shot_of = |step: &str, candidate: Option<&str>| {
        let mut a = vec![
            "shot",
            "S3",
            "--step",
            step,
            "--scheme",
            "anonmm-naive",
            "--compare",
            "anon-vma",
        ];
        if let Some(k) = candidate {
            a.extend_from_slice(&["--walk-candidate", k]);
        }
        a.extend_from_slice(&["--format", "txt"]);
        lines(&out(&a))
    };
    for (i, step) in ["0", "1", "2", "3", "4", "5"].iter().enumerate() {
        assert_eq!(screens[i], shot_of(step, None), "step {step}");
    }
    assert_eq!(screens[6], shot_of("5", Some("1")), "candidate 1");
    assert_eq!(screens[7], shot_of("5", Some("2")), "candidate 2");
    assert_eq!(
        screens[8], screens[7],
        "the closing event changes nothing visible"
    );
}

/// `record --presenter` and `record --panes` change every frame as they change `shot`'s
/// picture of that step: presenter mode drops the footer and shows the step's note as a
/// caption; `--panes graph,walk` keeps only the graph and the walk (no header, no footer).
#[test]
fn record_presents_and_keeps_only_the_panes_asked_for() {
    let frames = |extra: &[&str]| {
        let mut a = vec!["record", "S3", "--size", "100x30"];
        a.extend_from_slice(extra);
        replay(&String::from_utf8(out(&a)).unwrap()).1
    };
    let shot_of = |step: usize, extra: &[&str]| {
        let step = step.to_string();
        let mut a = vec!["shot", "S3", "--step", &step, "--size", "100x30"];
        a.extend_from_slice(extra);
        a.extend_from_slice(&["--format", "txt"]);
        lines(&out(&a))
    };
    let plain = frames(&[]);
    let presenter = frames(&["--presenter"]);
    let slide = frames(&["--panes", "graph,walk"]);
    // Steps 0 to 5, then the closing event.
    assert_eq!((plain.len(), presenter.len(), slide.len()), (7, 7, 7));
    // Step 5, S3's reclaim of p2.
    let (plain5, presenter5, slide5) = (
        plain[5].join("\n"),
        presenter[5].join("\n"),
        slide[5].join("\n"),
    );
    assert!(
        plain5.contains("? help") && plain5.contains("rmapviz: S3"),
        "{plain5}"
    );
    assert!(!presenter5.contains("? help"), "{presenter5}");
    assert!(
        presenter5.contains("Reclaim p2, the page at 0x11000."),
        "{presenter5}"
    );
    assert!(
        !slide5.contains("? help")
            && !slide5.contains("rmapviz: S3")
            && !slide5.contains("steps 5/5"),
        "{slide5}"
    );
    assert!(slide5.contains("HIT"), "the walk pane: {slide5}");
    for step in 0..=5 {
        assert_eq!(
            presenter[step],
            shot_of(step, &["--presenter"]),
            "step {step}"
        );
        assert_eq!(
            slide[step],
            shot_of(step, &["--panes", "graph,walk"]),
            "step {step}"
        );
    }
}

#[test]
fn same_input_same_bytes_in_every_format() {
    for f in ["txt", "ansi", "html", "svg", "png"] {
        assert_eq!(shot(&[], f), shot(&[], f), "{f}");
    }
    let rec = || out(&["record", "S2", "--scheme", "modern", "--walk"]);
    assert_eq!(rec(), rec());
    // The environment does not leak in: NO_COLOR changes nothing in a file.
    let o = rmapviz_env(
        &["record", "S2", "--scheme", "modern", "--walk", "-o", "-"],
        &[("NO_COLOR", "1")],
    );
    assert_eq!(o.stdout, rec());
    let o = rmapviz_env(
        &["shot", "S2", "--step", "9", "-f", "ansi", "-o", "-"],
        &[("NO_COLOR", "1")],
    );
    assert_eq!(o.stdout, out(&["shot", "S2", "--step", "9", "-f", "ansi"]));
}

fn assert_bad(args: &[&str], needle: &str, file: &Path) {
    let o = rmapviz(args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
    assert!(err.contains(needle), "{args:?}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(!file.exists(), "{} was left behind", file.display());
}

#[test]
fn bad_input_exits_2_and_leaves_no_file() {
    let d = test_dir("bad");
    let png = d.join("s.png");
    let p = png.to_str().unwrap();
    assert_bad(
        &["shot", "S3", "--step", "5", "--scheme", "nonesuch", "-o", p],
        "unknown scheme \"nonesuch\"",
        &png,
    );
    assert_bad(
        &[
            "shot",
            "S3",
            "--step",
            "5",
            "--compare",
            "nonesuch",
            "-o",
            p,
        ],
        "unknown scheme \"nonesuch\"",
        &png,
    );
    assert_bad(
        &["shot", "S3", "--step", "6", "-o", p],
        "step 6 is out of range: builtin:S3 has 5 steps",
        &png,
    );
    assert_bad(
        &[
            "shot",
            "S3",
            "--step",
            "5",
            "--walk-candidate",
            "3",
            "-o",
            p,
        ],
        "walk candidate 3 is out of range",
        &png,
    );
    assert_bad(
        &[
            "shot",
            "S3",
            "--step",
            "4",
            "--walk-candidate",
            "1",
            "-o",
            p,
        ],
        "has 0 candidates",
        &png,
    );
    assert_bad(
        &["shot", "S3", "--step", "5", "--theme", "neon", "-o", p],
        "unknown theme \"neon\"",
        &png,
    );
    assert_bad(
        &["shot", "S3", "--step", "5", "--size", "120", "-o", p],
        "COLSxROWS",
        &png,
    );
    // Inside the TUI's minimum: refused, not a picture saying "needs at least 40x10".
    assert_bad(
        &["shot", "S3", "--step", "5", "--size", "30x8", "-o", p],
        "30 columns is out of range 40..=1000",
        &png,
    );
    assert_bad(
        &["shot", "NoSuchScenario", "--step", "5", "-o", p],
        "neither a readable file nor a built-in",
        &png,
    );
    assert_bad(
        &[
            "shot", "S3", "--step", "5", "--size", "1000x500", "--scale", "2", "-o", p,
        ],
        "100 million pixels",
        &png,
    );
    let jpg = d.join("s.jpg");
    assert_bad(
        &["shot", "S3", "--step", "5", "-o", jpg.to_str().unwrap()],
        "\".jpg\"",
        &jpg,
    );
    let missing = d.join("no/such/dir/s.svg");
    assert_bad(
        &["shot", "S3", "--step", "5", "-o", missing.to_str().unwrap()],
        "does not exist",
        &missing,
    );
    let proc_file = Path::new("/proc/rmapviz-shot-test.png");
    assert_bad(
        &[
            "shot",
            "S3",
            "--step",
            "5",
            "-o",
            proc_file.to_str().unwrap(),
        ],
        "cannot write",
        proc_file,
    );

    let cast = d.join("r.cast");
    let c = cast.to_str().unwrap();
    assert_bad(
        &["record", "S3", "--scheme", "nonesuch", "-o", c],
        "unknown scheme",
        &cast,
    );
    assert_bad(
        &["record", "S3", "--delay", "0", "-o", c],
        "--delay 0",
        &cast,
    );
    assert_bad(
        &["record", "S3", "--delay", "NaN", "-o", c],
        "--delay NaN",
        &cast,
    );
    // Panes for slides: an unknown one (named, with the list), none, or with --presenter.
    for (panes, says) in [
        (
            &["--panes", "graph,legend"][..],
            "--panes: unknown pane \"legend\" (expected a comma-separated list of: header, steps",
        ),
        (&["--panes", ""][..], "unknown pane \"\""),
        (
            &["--presenter", "--panes", "graph"][..],
            "cannot be used with",
        ),
    ] {
        let mut args = vec!["record", "S3", "-o", c];
        args.extend_from_slice(panes);
        assert_bad(&args, says, &cast);
    }
    let mp4 = d.join("r.mp4");
    assert_bad(
        &["record", "S3", "-o", mp4.to_str().unwrap()],
        "one of .cast, .gif, .svg",
        &mp4,
    );
    let proc_cast = Path::new("/proc/rmapviz-record-test.cast");
    assert_bad(
        &["record", "S3", "-o", proc_cast.to_str().unwrap()],
        "cannot write",
        proc_cast,
    );
    // Nothing else was written into the directory either (no temporary files).
    let left: Vec<_> = std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(left.iter().all(|p| p.is_dir()), "{left:?}");
}

#[test]
fn a_shot_writes_the_file_it_names() {
    let d = test_dir("written");
    for ext in ["txt", "ansi", "html", "svg", "png"] {
        let f = d.join(format!("written.{ext}"));
        let o = rmapviz(&["shot", "S1", "--step", "4", "-o", f.to_str().unwrap()]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let bytes = std::fs::read(&f).unwrap();
        let mut a = vec!["shot", "S1", "--step", "4", "--format", ext];
        a.extend_from_slice(&["-o", "-"]);
        assert_eq!(bytes, out(&a[..a.len() - 2]), "{ext}");
        std::fs::remove_file(&f).unwrap();
    }
}
