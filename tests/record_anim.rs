//! `record` as an animated GIF and an animated SVG (issue 17 item 7): the frames are the steps
//! and, with `--walk`, each candidate of each walk; S3's reclaim under anonmm-naive visits two
//! candidates (the parent, MISS, and the child, HIT: docs/semantics.md §7 S3), so S3 recorded
//! with `--walk` has 1 + 5 + 2 = 8 frames. The same input gives the same bytes; each GIF frame
//! is the PNG `shot` draws for its step; a GIF or SVG over `--max-frames` is refused.

use std::path::Path;
use std::process::Command;

use resvg::tiny_skia::Pixmap;

mod common;
use common::dir::test_dir;

const BIN: &str = env!("CARGO_BIN_EXE_rmapviz");

fn rmapviz(args: &[&str]) -> std::process::Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn record(out: &Path, extra: &[&str]) -> Vec<u8> {
    let mut args = vec!["record", "S3", "--scheme", "anonmm-naive", "--force", "-o"];
    let o = out.to_str().unwrap().to_string();
    args.push(&o);
    args.extend_from_slice(extra);
    let r = rmapviz(&args);
    assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
    std::fs::read(out).unwrap()
}

/// The frames of a GIF as RGBA, with their delays.
fn frames(gif: &[u8]) -> (u16, u16, Vec<(Vec<u8>, u16)>) {
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::RGBA);
    let mut d = opts.read_info(gif).unwrap();
    let (w, h) = (d.width(), d.height());
    let mut out = Vec::new();
    while let Some(f) = d.read_next_frame().unwrap() {
        assert_eq!(
            (f.width, f.height, f.left, f.top),
            (w, h, 0, 0),
            "whole frames"
        );
        out.push((f.buffer.to_vec(), f.delay));
    }
    (w, h, out)
}

/// Mean colour per 9x17 cell of an RGBA picture `w` wide, the grid 8 pixels in.
fn cells(rgba: &[u8], w: usize, cols: usize, rows: usize) -> Vec<[f64; 3]> {
    let mut out = Vec::new();
    for r in 0..rows {
        for c in 0..cols {
            let mut sum = [0.0; 3];
            for y in 0..17 {
                for x in 0..9 {
                    let i = ((8 + r * 17 + y) * w + 8 + c * 9 + x) * 4;
                    for (k, s) in sum.iter_mut().enumerate() {
                        *s += f64::from(rgba[i + k]);
                    }
                }
            }
            out.push(sum.map(|s| s / 153.0));
        }
    }
    out
}

fn differing(a: &[[f64; 3]], b: &[[f64; 3]]) -> usize {
    a.iter()
        .zip(b)
        .filter(|(x, y)| (0..3).any(|i| (x[i] - y[i]).abs() > 24.0))
        .count()
}

fn shot_rgba(dir: &Path, step: usize) -> Vec<u8> {
    let out = dir.join(format!("step{step}.png"));
    let r = rmapviz(&[
        "shot",
        "S3",
        "--step",
        &step.to_string(),
        "--scheme",
        "anonmm-naive",
        "--scale",
        "1",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(r.status.success());
    let p = Pixmap::decode_png(&std::fs::read(&out).unwrap()).unwrap();
    p.data().to_vec()
}

#[test]
fn the_gif_has_a_frame_per_step_and_candidate_and_the_same_bytes_twice() {
    let dir = test_dir("gif");
    let a = record(&dir.join("a.gif"), &["--walk", "--delay", "1.5"]);
    let b = record(&dir.join("b.gif"), &["--walk", "--delay", "1.5"]);
    assert!(a == b, "the same input gives the same bytes");
    let (w, h, f) = frames(&a);
    assert_eq!((w, h), (120 * 9 + 16, 40 * 17 + 16));
    assert_eq!(f.len(), 8, "the start, 5 steps, S3's 2 candidates");
    assert!(f.iter().all(|(_, d)| *d == 150), "1.5 s each");
    // Frame 5 (step 5) is shot's picture of step 5, not of step 4.
    let (w, cols, rows) = (usize::from(w), 120, 40);
    let frame5 = cells(&f[5].0, w, cols, rows);
    let step5 = cells(&shot_rgba(&dir, 5), w, cols, rows);
    let step4 = cells(&shot_rgba(&dir, 4), w, cols, rows);
    assert!(
        differing(&frame5, &step5) <= 5,
        "{}",
        differing(&frame5, &step5)
    );
    assert!(differing(&frame5, &step4) > 200, "another step differs");
    // Without --walk: a frame per step and the start.
    let (_, _, f) = frames(&record(&dir.join("c.gif"), &["--delay", "0.25"]));
    assert_eq!(f.len(), 6);
    assert_eq!(f[0].1, 25);
}

#[test]
fn the_animated_svg_has_a_group_per_frame_and_captions_carry_the_notes() {
    let dir = test_dir("svg");
    let a = record(
        &dir.join("a.svg"),
        &["--walk", "--captions", "--size", "120x43"],
    );
    assert_eq!(
        a,
        record(
            &dir.join("b.svg"),
            &["--walk", "--captions", "--size", "120x43"]
        )
    );
    let text = String::from_utf8(a).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let groups: Vec<_> = doc
        .descendants()
        .filter(|n| {
            n.has_tag_name("g") && n.attribute("id").is_some_and(|i| i.starts_with("frame"))
        })
        .collect();
    assert_eq!(groups.len(), 8);
    let anim = groups[7]
        .children()
        .find(|n| n.has_tag_name("animate"))
        .expect("each frame is animated");
    assert_eq!(anim.attribute("dur"), Some("12.000s"), "8 frames of 1.5 s");
    // The caption under frame 5 is S3's note of its SwapOut step; the candidate frames name
    // the candidate and its outcome.
    let words = |g: &roxmltree::Node| -> String {
        g.descendants()
            .filter(|n| n.is_text())
            .filter_map(|n| n.text())
            .collect::<Vec<_>>()
            .join("")
    };
    let five = words(&groups[5]).replace(' ', "");
    assert!(five.contains("step5:swapout20x11000.Reclaimp2"), "{five}");
    assert!(
        words(&groups[6])
            .replace(' ', "")
            .contains("walkcandidate#1of2:pid1MISS")
    );
    assert!(
        words(&groups[7])
            .replace(' ', "")
            .contains("walkcandidate#2of2:pid2HIT")
    );
}

#[test]
fn too_many_frames_are_refused_before_any_is_drawn() {
    let dir = test_dir("cap");
    let out = dir.join("storm.gif");
    let r = rmapviz(&[
        "record",
        "S2",
        "--walk",
        "--max-frames",
        "20",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    let err = String::from_utf8_lossy(&r.stderr);
    assert!(err.contains("more than --max-frames 20"), "{err}");
    assert!(!out.exists(), "no file");
    // Captions need room under the screen; an unknown extension says which exist.
    let r = rmapviz(&[
        "record",
        "S3",
        "--captions",
        "--size",
        "60x12",
        "-o",
        dir.join("x.gif").to_str().unwrap(),
    ]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains("--captions needs 3 more rows"));
    let r = rmapviz(&["record", "S3", "-o", dir.join("x.mp4").to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&r.stderr).contains(".cast, .gif, .svg"));
}
