//! Build script: the version `rmapviz --version` prints, with the git commit when the crate is
//! built from a git checkout of itself ("0.1.0 (commit 1a2b3c4)"), the bare version otherwise
//! (a crate tarball, an exported tree, a machine without git).
//!
//! Cargo runs it again only when this file, the checkout's HEAD or the branch HEAD names moves
//! (not on every edit, and not when another branch of the repository moves).

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let full = match std::env::var_os("CARGO_MANIFEST_DIR").and_then(|d| commit(Path::new(&d))) {
        Some(hash) => format!("{version} (commit {hash})"),
        None => version,
    };
    println!("cargo:rustc-env=RMAPVIZ_VERSION={full}");
}

/// `git -C dir ARGS`, its trimmed output when it succeeds and says something.
fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// The short hash of HEAD, when `dir` is the top of a git checkout; the files that move with
/// HEAD are handed to cargo to watch.
fn commit(dir: &Path) -> Option<String> {
    // Only a checkout of the crate itself: a crate unpacked inside some other repository (cargo
    // package verifies its tarball under target/package/) is not one.
    let top = git(dir, &["rev-parse", "--show-toplevel"])?;
    if std::fs::canonicalize(top).ok()? != std::fs::canonicalize(dir).ok()? {
        return None;
    }
    let hash = git(dir, &["rev-parse", "--short", "HEAD"])?;
    let absolute = |p: String| {
        let p = PathBuf::from(p);
        if p.is_absolute() { p } else { dir.join(p) }
    };
    // A worktree has its own HEAD; branches live in the common directory.
    let git_dir = absolute(git(dir, &["rev-parse", "--git-dir"])?);
    let common = git(dir, &["rev-parse", "--git-common-dir"]).map_or(git_dir.clone(), absolute);
    let head = git_dir.join("HEAD");
    watch(&head);
    if let Ok(text) = std::fs::read_to_string(&head)
        && let Some(name) = text.trim().strip_prefix("ref: ")
    {
        let loose = common.join(name);
        if loose.is_file() {
            watch(&loose);
        } else {
            // A packed branch: its next commit writes a loose file beside the others.
            watch(&common.join("packed-refs"));
            if let Some(parent) = loose.parent() {
                watch(parent);
            }
        }
    }
    Some(hash)
}

/// Cargo reruns a build script whose watched path is missing every time: watch only what exists.
fn watch(path: &Path) {
    if path.exists() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}
