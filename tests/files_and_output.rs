//! What rmapviz reads and writes, tried as a careless or hostile user would (README, "Files and
//! output"): an existing output file is left alone without `--force` and keeps its mode with
//! it; a symlink planted by another user is never written through, also by root; a reader that
//! closes the pipe early ends the output quietly; control characters from a scenario never
//! reach the terminal; a FIFO or a device as the scenario is refused, not read.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::dir::test_dir;

const BIN: &str = env!("CARGO_BIN_EXE_rmapviz");

fn rmapviz(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run rmapviz")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
}

/// Every command that writes `-o FILE` refuses an existing file (exit 2, the file untouched,
/// the message naming --force), and with `--force` replaces it keeping its mode.
#[test]
fn an_existing_output_file_is_refused_without_force_and_keeps_its_mode_with_it() {
    let dir = test_dir("force");
    let writers: [&[&str]; 4] = [
        &["shot", "S1", "--step", "1", "-o", "out.txt"],
        &[
            "export", "S1", "--step", "1", "--scheme", "anon-vma", "-o", "out.json",
        ],
        &["record", "S1", "-o", "out.cast"],
        &[
            "gen",
            "storm",
            "--children",
            "2",
            "--pages",
            "2",
            "-o",
            "out.ron",
        ],
    ];
    for args in writers {
        let out = dir.join(args[args.len() - 1]);
        std::fs::write(&out, "precious").unwrap();
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o600)).unwrap();
        let o = rmapviz(&dir, args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains("--force"), "{args:?}: {}", stderr(&o));
        assert_eq!(
            std::fs::read_to_string(&out).unwrap(),
            "precious",
            "{args:?}"
        );

        let mut forced = args.to_vec();
        forced.push("--force");
        let o = rmapviz(&dir, &forced);
        assert_eq!(o.status.code(), Some(0), "{forced:?}: {}", stderr(&o));
        assert_ne!(
            std::fs::read_to_string(&out).unwrap(),
            "precious",
            "{args:?}"
        );
        assert_eq!(
            mode(&out),
            0o600,
            "{args:?}: the replaced file keeps its mode"
        );
    }
    // Standard output stays allowed, and nothing but the outputs is left in the directory.
    let o = rmapviz(
        &dir,
        &["shot", "S1", "--step", "1", "-o", "-", "--format", "txt"],
    );
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("S1: fork"));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["out.cast", "out.json", "out.ron", "out.txt"]);
}

/// `:w FILE` on a file that exists leaves it alone and says `:w!` replaces it; `:w! FILE`
/// replaces it, keeping its mode; `:w` alone writes again to the file just written.
#[test]
fn colon_w_refuses_an_existing_file_and_colon_w_bang_replaces_it() {
    use rmapviz::tui::{App, AppOptions};
    let dir = test_dir("colon-w");
    let other = dir.join("other.ron");
    std::fs::write(&other, "precious").unwrap();
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (s1, _) = rmapviz::scenario::Scenario::load("S1").unwrap();
    let mut app = App::headless(s1.clone(), &AppOptions::default()).unwrap();
    let name = other.display().to_string();
    app.run_command(&format!("w {name}"));
    assert_eq!(std::fs::read_to_string(&other).unwrap(), "precious");
    app.run_command(&format!("w! {name}"));
    let back = rmapviz::scenario::Scenario::read(&other).expect("written");
    assert_eq!(back, s1);
    assert_eq!(mode(&other), 0o600, "the replaced file keeps its mode");
    // The session's own file: a bare :w writes it again without asking.
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o640)).unwrap();
    app.run_command("d 1");
    app.run_command("w");
    let back = rmapviz::scenario::Scenario::read(&other).expect("written");
    assert_eq!(back.steps.len(), s1.steps.len() - 1);
    assert_eq!(mode(&other), 0o640);
}

/// A pipe whose reader is gone before anything is written: every write fails with EPIPE, as
/// the writes after `head -c10` has read its ten bytes do.
fn closed_pipe() -> std::io::PipeWriter {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer
}

/// `replay ... | head -c10`, `scenarios | head`, `replay --json | head` and the others end
/// quietly, with the status they have when the output is read to the end.
#[test]
fn a_closed_pipe_ends_the_output_quietly_with_the_usual_status() {
    let cases: [&[&str]; 7] = [
        &["replay", "S2", "--scheme", "all", "--events"],
        &["replay", "S2", "--json"],
        &["scenarios"],
        &["schemes"],
        &["compare", "S2"],
        &["gen", "storm", "--children", "50", "--pages", "50"],
        &["shot", "S1", "--step", "1", "-o", "-"],
    ];
    for args in cases {
        let usual = Command::new(BIN)
            .args(args)
            .stdout(Stdio::null())
            .output()
            .unwrap();
        let o = Command::new(BIN)
            .args(args)
            .stdout(closed_pipe())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(
            o.status.code(),
            usual.status.code(),
            "{args:?}: {}",
            stderr(&o)
        );
        assert_eq!(stderr(&o), stderr(&usual), "{args:?}: nothing more is said");
    }
}

/// A scenario whose title, note and file name carry ESC sequences (clear the screen, set the
/// window title, colour) and a bell: the human-readable outputs show them escaped, the JSON
/// keeps them exactly.
#[test]
fn control_characters_from_a_scenario_never_reach_the_terminal() {
    let dir = test_dir("controls");
    let title = "evil \u{1b}[2J\u{1b}]0;pwned\u{7} title";
    let ron = "Scenario(title: \"evil \\u{1b}[2J\\u{1b}]0;pwned\\u{7} title\", steps: [\
               Mmap(pid: 1, addr: 0x10000, pages: 1, file: \"f\\u{1b}[31m\", note: \"n\\u{1b}[2J\"), \
               Munmap(pid: 9, addr: 0x10000, pages: 1)])";
    std::fs::write(dir.join("evil.ron"), ron).unwrap();
    let raw = |o: &Output| {
        let mut all = o.stdout.clone();
        all.extend_from_slice(&o.stderr);
        all
    };
    for args in [
        vec!["replay", "evil.ron"],
        vec!["replay", "evil.ron", "--events"],
        vec!["compare", "evil.ron"],
    ] {
        let o = rmapviz(&dir, &args);
        let all = raw(&o);
        assert!(
            !all.iter().any(|&b| b == 0x1b || b == 0x07),
            "{args:?} wrote a control character:\n{}",
            String::from_utf8_lossy(&all)
        );
        let text = String::from_utf8_lossy(&all);
        assert!(
            text.contains(r"evil \u{1b}[2J\u{1b}]0;pwned\u{7} title"),
            "{args:?}:\n{text}"
        );
    }
    // Error messages: a file whose name and contents carry them.
    let bad = "bad\u{1b}[2J.ron";
    std::fs::write(dir.join(bad), "Scenario(steps: [Frok\u{1b}[2J(pid: 1)])").unwrap();
    for args in [
        vec!["replay", bad],
        vec!["check", bad],
        vec!["replay", "no\u{1b}]0;such\u{7}"],
    ] {
        let o = rmapviz(&dir, &args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let all = raw(&o);
        assert!(
            !all.iter().any(|&b| b == 0x1b || b == 0x07),
            "{args:?}: {}",
            String::from_utf8_lossy(&all)
        );
        assert!(stderr(&o).contains(r"\u{1b}"), "{args:?}: {}", stderr(&o));
    }
    // gen names the file it wrote.
    let out = "storm\u{1b}[2J.ron";
    let o = rmapviz(
        &dir,
        &["gen", "storm", "--children", "2", "--pages", "2", "-o", out],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!raw(&o).contains(&0x1b), "{}", stderr(&o));
    assert!(stderr(&o).contains(r"storm\u{1b}[2J.ron"), "{}", stderr(&o));
    // The JSON keeps the exact text.
    let o = rmapviz(&dir, &["replay", "evil.ron", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["scenario"].as_str(), Some(title));
}

/// /dev/zero (endless) and a FIFO nobody writes to (a read would block forever) as the
/// scenario: refused at once with exit 2 and a message, by every command that reads one.
#[test]
fn a_fifo_or_a_device_as_the_scenario_is_refused_at_once() {
    let dir = test_dir("special");
    let fifo = dir.join("fifo.ron");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo on a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let fifo = fifo.to_str().unwrap().to_string();
    for (path, what) in [("/dev/zero", "a device"), (fifo.as_str(), "a FIFO")] {
        for cmd in ["replay", "compare", "check"] {
            let mut child = Command::new(BIN)
                .args([cmd, path])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let start = Instant::now();
            let status = loop {
                if let Some(s) = child.try_wait().unwrap() {
                    break s;
                }
                if start.elapsed() > Duration::from_secs(20) {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!("{cmd} {path} did not end");
                }
                std::thread::sleep(Duration::from_millis(20));
            };
            let o = child.wait_with_output().unwrap();
            assert_eq!(status.code(), Some(2), "{cmd} {path}: {}", stderr(&o));
            assert!(
                stderr(&o).contains(what) && stderr(&o).contains(path),
                "{cmd} {path}: {}",
                stderr(&o)
            );
        }
    }
}

/// Root writes a file into a sticky directory that everyone may write to (mode 1777), where
/// an unprivileged user (`nobody`) planted symlinks first: at the name of the temporary file
/// the old writer used (`.NAME.PID.tmp`, with the pid of the process that will write), and at
/// the output's own name. The symlinks' target is never written, and the output is written.
/// Needs root (to write as root, and to plant as nobody); skipped otherwise.
#[test]
fn root_never_writes_through_a_symlink_planted_in_a_shared_directory() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        println!("skipped: needs root (root writing into a directory another user can write to)");
        return;
    }
    let Some(nobody) = nix::unistd::User::from_name("nobody").ok().flatten() else {
        panic!("the user nobody does not exist (Debian and most systems have it)");
    };
    let dir = test_dir("symlink");
    // The victim lives where only root can write.
    let victim = dir.join("victim");
    std::fs::write(&victim, "precious").unwrap();
    let shared = dir.join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::os::unix::fs::chown(
        &shared,
        Some(nobody.uid.as_raw()),
        Some(nobody.gid.as_raw()),
    )
    .unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();

    // The writer: a shell that waits for a line, then becomes rmapviz with the same pid.
    let out = shared.join("out.ron");
    let mut writer = Command::new("sh")
        .args(["-c", "read go && exec \"$0\" \"$@\""])
        .arg(BIN)
        .args(["gen", "storm", "--children", "2", "--pages", "2", "-o"])
        .arg(&out)
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let predictable = shared.join(format!(".out.ron.{}.tmp", writer.id()));
    plant_as(&nobody, &victim, &predictable);
    {
        use std::io::Write;
        writer.stdin.take().unwrap().write_all(b"go\n").unwrap();
    }
    let o = writer.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let written = std::fs::read_to_string(&out).unwrap();
    assert!(written.starts_with("Scenario("), "{written}");

    // The output's own name planted: refused without --force, replaced (not followed) with it.
    std::fs::remove_file(&out).unwrap();
    plant_as(&nobody, &victim, &out);
    let args = ["gen", "storm", "--children", "2", "--pages", "2", "-o"];
    let o = Command::new(BIN).args(args).arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let o = Command::new(BIN)
        .args(args)
        .arg(&out)
        .arg("--force")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert!(std::fs::symlink_metadata(&out).unwrap().is_file());
}

/// Makes `link` a symlink to `target` as user `who` (a forked child that drops to that user).
fn plant_as(who: &nix::unistd::User, target: &Path, link: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let t = std::ffi::CString::new(target.as_os_str().as_bytes()).unwrap();
    let l = std::ffi::CString::new(link.as_os_str().as_bytes()).unwrap();
    let (uid, gid) = (who.uid.as_raw(), who.gid.as_raw());
    // SAFETY: the child only makes async-signal-safe calls (setgroups, setgid, setuid,
    // symlink, _exit) on data prepared before the fork.
    unsafe {
        let pid = libc::fork();
        assert!(pid >= 0, "fork");
        if pid == 0 {
            let ok = libc::setgroups(0, std::ptr::null()) == 0
                && libc::setgid(gid) == 0
                && libc::setuid(uid) == 0
                && libc::symlink(t.as_ptr(), l.as_ptr()) == 0;
            libc::_exit(if ok { 0 } else { 1 });
        }
        let mut status = 0;
        libc::waitpid(pid, &mut status, 0);
        assert!(
            libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
            "nobody could not plant {}",
            link.display()
        );
    }
    let m = std::fs::symlink_metadata(link).unwrap();
    assert!(m.file_type().is_symlink());
    use std::os::unix::fs::MetadataExt;
    assert_eq!(m.uid(), who.uid.as_raw(), "planted by nobody");
}
