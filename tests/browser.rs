//! The HTML export and the animated SVG recording in a real browser (issue 17 item 7): headless
//! Chromium's screenshot of each is compared, cell by cell, with the PNG that `shot` renders
//! for the same screen (resvg with the shipped font). Fonts rasterise differently in the two,
//! so each 9x17 cell is compared by its mean colour; a cell differs when a channel is more than
//! 40 apart. The comparison is checked to see a difference: the screenshot against the PNG of
//! another step differs in many cells.
//!
//! Needs Chromium (Debian's `chromium`; `RMAPVIZ_CHROMIUM` names another binary). Without it
//! the tests say why and pass, unless `RMAPVIZ_REQUIRE_BROWSER=1` (set by `.ci/run`, which
//! installs Chromium) makes that a failure.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use resvg::tiny_skia::Pixmap;

mod common;
use common::dir::test_dir;

const BIN: &str = env!("CARGO_BIN_EXE_rmapviz");
const CELL: (u32, u32) = (9, 17);
const COLS: u32 = 120;
const ROWS: u32 = 40;

/// The Chromium to use, or None after saying why (a failure where CI requires it).
fn chromium(test: &str) -> Option<PathBuf> {
    let named = std::env::var_os("RMAPVIZ_CHROMIUM").map(PathBuf::from);
    let found = named.or_else(|| {
        let path = std::env::var_os("PATH")?;
        [
            "chromium",
            "chromium-browser",
            "google-chrome",
            "google-chrome-stable",
        ]
        .iter()
        .flat_map(|n| std::env::split_paths(&path).map(move |d| d.join(n)))
        .find(|p| p.is_file())
    });
    if found.is_none() {
        let why = format!(
            "{test}: skipped: no Chromium on PATH (chromium, chromium-browser, google-chrome) \
             and RMAPVIZ_CHROMIUM unset; `apt-get install chromium` runs it"
        );
        let required = std::env::var("RMAPVIZ_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
        assert!(
            !required,
            "{why}, and RMAPVIZ_REQUIRE_BROWSER=1 requires it"
        );
        eprintln!("{why}");
    }
    found
}

/// Headless Chromium's screenshot of `file` in a `w` x `h` window. Killed after two minutes.
fn screenshot(browser: &Path, dir: &Path, file: &Path, (w, h): (u32, u32)) -> Pixmap {
    let out = dir.join(format!(
        "{}-{}.png",
        file.file_stem().unwrap().to_string_lossy(),
        "shot"
    ));
    let mut cmd = Command::new(browser);
    cmd.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        "--no-first-run",
        "--disable-extensions",
    ])
    .arg(format!("--user-data-dir={}", dir.join("profile").display()))
    .arg(format!("--window-size={w},{h}"))
    .arg(format!("--screenshot={}", out.display()));
    cmd.arg(format!("file://{}", file.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut child = cmd.spawn().expect("chromium starts");
    let start = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("chromium took more than two minutes on {}", file.display());
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let bytes =
        std::fs::read(&out).unwrap_or_else(|e| panic!("no screenshot {}: {e}", out.display()));
    Pixmap::decode_png(&bytes).unwrap()
}

fn rmapviz(args: &[&str]) {
    let out = Command::new(BIN).args(args).output().unwrap();
    assert!(
        out.status.success(),
        "rmapviz {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Records S3 under anonmm-naive to `out` (its format from the extension), `delay` seconds a frame.
fn record_s3(out: &Path, delay: &str) {
    let out = out.to_str().unwrap();
    rmapviz(&[
        "record",
        "S3",
        "--scheme",
        "anonmm-naive",
        "--delay",
        delay,
        "-o",
        out,
    ]);
}

fn png(path: &Path) -> Pixmap {
    Pixmap::decode_png(&std::fs::read(path).unwrap()).unwrap()
}

/// The mean colour of every cell of the grid whose top left is `origin`.
fn cells(p: &Pixmap, origin: (u32, u32)) -> Vec<[f64; 3]> {
    let mut out = Vec::new();
    for row in 0..ROWS {
        for col in 0..COLS {
            let mut sum = [0.0; 3];
            for dy in 0..CELL.1 {
                for dx in 0..CELL.0 {
                    let x = origin.0 + col * CELL.0 + dx;
                    let y = origin.1 + row * CELL.1 + dy;
                    let c = p.pixel(x, y).expect("the grid is inside the picture");
                    sum[0] += f64::from(c.red());
                    sum[1] += f64::from(c.green());
                    sum[2] += f64::from(c.blue());
                }
            }
            let n = f64::from(CELL.0 * CELL.1);
            out.push(sum.map(|s| s / n));
        }
    }
    out
}

/// The share of cells whose mean colours differ by more than 40 in a channel.
fn differing(a: &[[f64; 3]], b: &[[f64; 3]]) -> f64 {
    let n = a
        .iter()
        .zip(b)
        .filter(|(x, y)| (0..3).any(|i| (x[i] - y[i]).abs() > 40.0))
        .count();
    n as f64 / a.len() as f64
}

/// `shot`'s PNG of S3 at `step` under anonmm-naive, at scale 1, and its cells (the grid 8 px in).
fn shot_cells(dir: &Path, step: usize, extra: &[&str]) -> Vec<[f64; 3]> {
    let out = dir.join(format!("shot-{step}.png"));
    let step_s = step.to_string();
    let mut args = vec![
        "shot",
        "S3",
        "--step",
        &step_s,
        "--scheme",
        "anonmm-naive",
        "--scale",
        "1",
        "--force",
        "-o",
    ];
    let o = out.to_str().unwrap().to_string();
    args.push(&o);
    args.extend_from_slice(extra);
    rmapviz(&args);
    cells(&png(&out), (8, 8))
}

#[test]
fn the_html_export_in_chromium_is_the_png() {
    let Some(browser) = chromium("the_html_export_in_chromium_is_the_png") else {
        return;
    };
    let dir = test_dir("html");
    let html = dir.join("s3.html");
    rmapviz(&[
        "shot",
        "S3",
        "--step",
        "5",
        "--scheme",
        "anonmm-naive",
        "-o",
        html.to_str().unwrap(),
    ]);
    // The page: 16 px of padding around the grid.
    let shot = screenshot(
        &browser,
        &dir,
        &html,
        (COLS * CELL.0 + 32, ROWS * CELL.1 + 32),
    );
    let seen = cells(&shot, (16, 16));
    let same = differing(&seen, &shot_cells(&dir, 5, &[]));
    let other = differing(&seen, &shot_cells(&dir, 4, &[]));
    eprintln!(
        "HTML in Chromium vs the PNG: {:.2}% of cells differ (another step: {:.2}%)",
        same * 100.0,
        other * 100.0
    );
    assert!(same < 0.01, "{:.2}% of the cells differ", same * 100.0);
    assert!(
        other > 0.03,
        "the comparison sees another step ({:.2}%)",
        other * 100.0
    );
}

/// The animated SVG with its clock set to `seconds` and paused, inline in an HTML page (the
/// same drawing as the file, at a time that does not depend on how fast the browser loads).
fn at_time(svg: &Path, seconds: f64) -> PathBuf {
    let text = std::fs::read_to_string(svg).unwrap();
    let body = text.split_once("?>").map_or(text.as_str(), |(_, b)| b);
    let page = format!(
        "<!DOCTYPE html><html><body style=\"margin:0\">{body}<script>\
         const s = document.querySelector('svg'); s.pauseAnimations(); s.setCurrentTime({seconds});\
         </script></body></html>"
    );
    let out = svg.with_file_name(format!("at-{seconds}.html"));
    std::fs::write(&out, page).unwrap();
    out
}

#[test]
fn the_animated_svg_in_chromium_shows_each_frame_as_the_png() {
    let Some(browser) = chromium("the_animated_svg_in_chromium_shows_each_frame_as_the_png") else {
        return;
    };
    let dir = test_dir("svg");
    let size = (COLS * CELL.0 + 16, ROWS * CELL.1 + 16);
    let step0 = shot_cells(&dir, 0, &[]);
    // Ten minutes a frame: the file as it is, at load, shows the first frame.
    let slow = dir.join("slow.svg");
    record_s3(&slow, "600");
    let first = cells(&screenshot(&browser, &dir, &slow, size), (8, 8));
    let d = differing(&first, &step0);
    eprintln!(
        "animated SVG at load vs step 0's PNG: {:.2}% of cells differ",
        d * 100.0
    );
    assert!(d < 0.01, "{:.2}%", d * 100.0);
    // One frame a second (the start, then steps 1 to 5), its clock at 5.5 s: step 5, the walk.
    let svg = dir.join("s3.svg");
    record_s3(&svg, "1");
    let later = cells(
        &screenshot(&browser, &dir, &at_time(&svg, 5.5), size),
        (8, 8),
    );
    let d5 = differing(&later, &shot_cells(&dir, 5, &[]));
    let d4 = differing(&later, &shot_cells(&dir, 4, &[]));
    let d0 = differing(&later, &step0);
    eprintln!(
        "animated SVG at 5.5 s vs step 5's PNG: {:.2}% of cells differ (vs step 4: {:.2}%, step 0: {:.2}%)",
        d5 * 100.0,
        d4 * 100.0,
        d0 * 100.0
    );
    assert!(d5 < 0.01, "{:.2}%", d5 * 100.0);
    assert!(d4 > 0.01 && d0 > 0.03, "the frame shown moved on");
    // At 2.5 s: step 2.
    let mid = cells(
        &screenshot(&browser, &dir, &at_time(&svg, 2.5), size),
        (8, 8),
    );
    let d2 = differing(&mid, &shot_cells(&dir, 2, &[]));
    assert!(d2 < 0.01, "{:.2}%", d2 * 100.0);
}
