//! What README's "Install" promises: the shell completions load in bash and zsh and complete
//! rmapviz's commands and options, `man -l` renders every man page, `--version` names the
//! commit of a checkout, and the published crate holds every file the build embeds. A test whose
//! tool is missing (zsh, man) says so and passes; `.ci/run` installs them.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

mod common;
mod pty;
use common::dir::test_dir;
use pty::{BIN, CommandBuilder, Screen};

fn rmapviz(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Whether `tool` runs here (`tool --version` succeeds).
fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Writes `rmapviz completions SHELL` to `path`.
fn write_completions(shell: &str, path: &Path) {
    let out = rmapviz(&["completions", shell]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    std::fs::write(path, &out.stdout).unwrap();
}

/// The commands `rmapviz --help` lists (the names the completions must offer).
fn commands() -> Vec<String> {
    let help = text(&rmapviz(&["--help"]).stdout);
    let start = help.find("Commands:").expect("a Commands: section");
    help[start..]
        .lines()
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_string)
        .collect()
}

/// bash's completion of `words` (the last one being completed), through the function the
/// script registers for rmapviz, as bash calls it on TAB.
fn bash_complete(script: &Path, words: &[&str]) -> Output {
    let line = words.join(" ");
    let program = format!(
        r#"source "$1" || exit 3
spec=$(complete -p rmapviz) || exit 4
func=$(sed -E 's/.* -F ([^ ]+) .*/\1/' <<<"$spec")
COMP_WORDS=({words})
COMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))
COMP_LINE="{line}"
COMP_POINT=${{#COMP_LINE}}
"$func" rmapviz "${{COMP_WORDS[COMP_CWORD]}}" "${{COMP_WORDS[COMP_CWORD-1]}}"
printf '%s\n' "${{COMPREPLY[@]}}""#,
        words = words
            .iter()
            .map(|w| format!("'{w}'"))
            .collect::<Vec<_>>()
            .join(" "),
    );
    Command::new("bash")
        .args(["--noprofile", "--norc", "-c", &program, "bash"])
        .arg(script)
        .output()
        .unwrap()
}

#[test]
fn bash_completion_completes_commands_and_options() {
    if !have("bash") {
        println!("skipped: bash is not installed");
        return;
    }
    let dir = test_dir("bash-completion");
    let script = dir.join("rmapviz.bash");
    write_completions("bash", &script);

    let all = bash_complete(&script, &["rmapviz", ""]);
    assert!(all.status.success(), "{}", text(&all.stderr));
    let offered = text(&all.stdout);
    for c in commands() {
        assert!(
            offered.lines().any(|l| l == c),
            "{c} not offered: {offered}"
        );
    }
    // The hidden driven-process mode is not offered.
    assert!(!offered.contains("driven"), "{offered}");

    let re = text(&bash_complete(&script, &["rmapviz", "re"]).stdout);
    let mut got: Vec<&str> = re.lines().collect();
    got.sort_unstable();
    assert_eq!(got, ["record", "replay"]);

    let opt = text(&bash_complete(&script, &["rmapviz", "check", "--re"]).stdout);
    assert_eq!(opt.lines().collect::<Vec<_>>(), ["--reclaim"]);

    let shells = text(&bash_complete(&script, &["rmapviz", "completions", ""]).stdout);
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        assert!(shells.lines().any(|l| l == shell), "{shell}: {shells}");
    }
}

/// Waits until `path` holds a line `end`; returns its text.
fn wait_for_file(path: &Path, end: &str, screen: &Screen) -> String {
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(20) {
        if let Ok(t) = std::fs::read_to_string(path)
            && t.lines().any(|l| l == end)
        {
            return t;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "zsh never wrote {end:?} to {}; its screen:\n{}",
        path.display(),
        screen.contents()
    );
}

/// Waits until `path` exists and has not changed for half a second; returns its text.
fn wait_until_stable(path: &Path, screen: &Screen) -> String {
    let start = Instant::now();
    let mut last: Option<(String, Instant)> = None;
    while start.elapsed() < Duration::from_secs(20) {
        let now = std::fs::read_to_string(path).ok();
        match (&now, &last) {
            (Some(t), Some((seen, since))) if t == seen => {
                if since.elapsed() >= Duration::from_millis(500) {
                    return t.clone();
                }
            }
            (Some(t), _) => last = Some((t.clone(), Instant::now())),
            (None, _) => {}
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!(
        "zsh's completion wrote nothing to {}; its screen:\n{}",
        path.display(),
        screen.contents()
    );
}

#[test]
fn zsh_completion_loads_through_compinit_and_completes() {
    if !have("zsh") {
        println!("skipped: zsh is not installed (apt-get install zsh)");
        return;
    }
    let dir = test_dir("zsh-completion");
    let fpath = dir.join("zfunc");
    std::fs::create_dir_all(&fpath).unwrap();
    // Installed as README says: a file _rmapviz in a directory of fpath, then compinit.
    write_completions("zsh", &fpath.join("_rmapviz"));
    let matches = dir.join("matches");

    // An interactive zsh without any startup file, in a pseudo-terminal: TAB runs the real
    // completion system. compadd is wrapped to also write every match it adds to a file.
    let mut cmd = CommandBuilder::new("zsh");
    cmd.args(["-f", "-i"]);
    cmd.cwd(&dir);
    cmd.env("TERM", "xterm-256color");
    cmd.env("ZDOTDIR", &dir);
    cmd.env("HOME", &dir);
    let Some(mut s) = Screen::spawn(cmd) else {
        return;
    };
    s.send(&format!(
        "fpath=({} $fpath); autoload -Uz compinit; compinit -u -D; print -r -- loaded=$_comps[rmapviz]\r",
        fpath.display()
    ));
    s.wait_for("loaded=_rmapviz");
    s.send(&format!(
        "compadd() {{ local -a m; if (( ${{@[(I)-[OAD]]}} )); then builtin compadd \"$@\"; \
         return; fi; builtin compadd -O m \"$@\"; print -rl -- $m >> {out}; builtin compadd \"$@\"; }}\r",
        out = matches.display()
    ));
    let complete = |s: &mut Screen, line: &str| -> Vec<String> {
        let _ = std::fs::remove_file(&matches);
        s.send(&format!("{line}\t"));
        // The completion has run once its matches stop coming; then the line is dropped and,
        // after it, a marker ends the file.
        let settled = wait_until_stable(&matches, s);
        s.send("\x03");
        s.send(&format!("print -r -- end >> {}\r", matches.display()));
        let t = wait_for_file(&matches, "end", s);
        assert!(
            t.starts_with(&settled),
            "matches came after the line was dropped"
        );
        t.lines()
            .filter(|l| *l != "end")
            .map(str::to_string)
            .collect()
    };
    let all = complete(&mut s, "rmapviz ");
    for c in commands() {
        assert!(all.contains(&c), "{c} not offered: {all:?}");
    }
    assert!(!all.iter().any(|m| m.contains("driven")), "{all:?}");
    let opts = complete(&mut s, "rmapviz check --re");
    assert!(opts.contains(&"--reclaim".to_string()), "{opts:?}");
    assert!(!opts.contains(&"--json".to_string()), "{opts:?}");
    s.send("exit\r");
    let _ = s.exit_within(Duration::from_secs(5));
}

#[test]
fn every_shell_gets_a_script() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = rmapviz(&["completions", shell]);
        assert!(out.status.success(), "{shell}: {}", text(&out.stderr));
        let script = text(&out.stdout);
        // Every script names the program and its commands.
        assert!(script.contains("rmapviz"), "{shell}");
        assert!(
            script.contains("replay") && script.contains("check"),
            "{shell}"
        );
    }
    let out = rmapviz(&["completions", "tcsh"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("invalid value 'tcsh'"),
        "{}",
        text(&out.stderr)
    );
}

/// `man -l PAGE` rendered as plain text, and its warnings.
fn man(page: &Path) -> (String, String) {
    let out = Command::new("man")
        .args(["--warnings", "-l"])
        .arg(page)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .env("LC_ALL", "C.UTF-8")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "man -l {}: {}",
        page.display(),
        text(&out.stderr)
    );
    (text(&out.stdout), text(&out.stderr))
}

#[test]
fn man_renders_the_page_of_the_program_and_of_every_command() {
    if !have("man") {
        println!("skipped: man is not installed (apt-get install man-db)");
        return;
    }
    let dir = test_dir("man");
    let out = rmapviz(&["man", "--dir", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut want: Vec<String> = commands()
        .iter()
        .map(|c| format!("rmapviz-{c}.1"))
        .chain(["rmapviz.1".to_string(), "rmapviz-gen-storm.1".to_string()])
        .collect();
    want.sort();
    assert_eq!(names, want);

    let (main, warnings) = man(&dir.join("rmapviz.1"));
    assert_eq!(warnings, "", "groff warnings");
    for section in ["NAME", "SYNOPSIS", "OPTIONS", "SUBCOMMANDS"] {
        assert!(main.contains(section), "{section}:\n{main}");
    }
    assert!(main.contains("--theme"), "{main}");
    assert!(main.contains("rmapviz-check(1)"), "{main}");
    assert!(
        !main.contains("driven"),
        "the hidden command in the page:\n{main}"
    );
    // The files and the environment, as --help ends.
    assert!(
        main.contains("config.toml") && main.contains("NO_COLOR"),
        "{main}"
    );

    // Each command's page has its own options.
    for (page, option) in [
        ("rmapviz-check.1", "--reclaim"),
        ("rmapviz-record.1", "--delay"),
        ("rmapviz-gen-storm.1", "--children"),
        ("rmapviz-completions.1", "powershell"),
        ("rmapviz-config.1", "--print"),
    ] {
        let (page_text, warnings) = man(&dir.join(page));
        assert_eq!(warnings, "", "{page}: groff warnings");
        assert!(
            page_text.contains(option),
            "{page} without {option}:\n{page_text}"
        );
    }

    // One page to standard output, the same bytes as the file.
    let check = rmapviz(&["man", "check"]);
    assert!(check.status.success());
    assert_eq!(
        check.stdout,
        std::fs::read(dir.join("rmapviz-check.1")).unwrap()
    );
    let storm = rmapviz(&["man", "gen", "storm"]);
    assert_eq!(
        storm.stdout,
        std::fs::read(dir.join("rmapviz-gen-storm.1")).unwrap()
    );
    // Installed pages are replaced only with --force.
    let again = rmapviz(&["man", "--dir", dir.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        text(&again.stderr).contains("exists; --force replaces it"),
        "{}",
        text(&again.stderr)
    );
    let forced = rmapviz(&["man", "--dir", dir.to_str().unwrap(), "--force"]);
    assert!(forced.status.success(), "{}", text(&forced.stderr));
    let bad = rmapviz(&["man", "chek"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("no command \"chek\""),
        "{}",
        text(&bad.stderr)
    );
}

#[test]
fn version_names_the_commit_of_a_checkout() {
    let out = rmapviz(&["--version"]);
    assert!(out.status.success());
    let version = text(&out.stdout);
    let want = format!("rmapviz {}", env!("CARGO_PKG_VERSION"));
    assert!(version.starts_with(&want), "{version}");
    let root = env!("CARGO_MANIFEST_DIR");
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(root)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| text(&o.stdout).trim().to_string())
    };
    let checkout = git(&["rev-parse", "--show-toplevel"])
        .is_some_and(|top| std::fs::canonicalize(top).ok() == std::fs::canonicalize(root).ok());
    match (checkout, git(&["rev-parse", "HEAD"])) {
        (true, Some(head)) => {
            let commit = version
                .split("(commit ")
                .nth(1)
                .and_then(|r| r.split(')').next())
                .unwrap_or_else(|| panic!("no commit in {version:?}"));
            assert!(
                commit.len() >= 7 && head.starts_with(commit),
                "{commit} vs HEAD {head}"
            );
        }
        _ => assert_eq!(version.trim_end(), want, "no checkout: the bare version"),
    }
}

#[test]
fn the_published_crate_holds_what_the_build_embeds() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .args(["package", "--list", "--allow-dirty", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    // Offline, it needs nothing the build did not: a failure is the crate's.
    assert!(
        out.status.success(),
        "cargo package --list failed: {}",
        text(&out.stderr)
    );
    let listed = text(&out.stdout);
    let files: Vec<&str> = listed.lines().collect();
    // Every file an include_str! or include_bytes! in src/ names.
    let mut embedded = Vec::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut dirs = vec![src];
    while let Some(d) = dirs.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
                continue;
            }
            let code = std::fs::read_to_string(&p).unwrap();
            for piece in code.split("include_").skip(1) {
                if !(piece.starts_with("str!(") || piece.starts_with("bytes!(")) {
                    continue;
                }
                let Some(arg) = piece.split('"').nth(1) else {
                    continue;
                };
                let rel = p.strip_prefix(env!("CARGO_MANIFEST_DIR")).unwrap();
                embedded.push((rel.to_path_buf(), arg.to_string()));
            }
        }
    }
    assert!(embedded.len() >= 3, "{embedded:?}");
    for (from, arg) in &embedded {
        if arg.ends_with('/') {
            // concat!("../../assets/scenarios/", $file): every scenario file.
            let dir = normalise(&from.parent().unwrap().join(arg));
            assert!(
                files.iter().any(|f| f.starts_with(&format!("{dir}/"))),
                "{dir}/ (from {}) not in the crate:\n{listed}",
                from.display()
            );
            for e in std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(&dir)).unwrap() {
                let name = format!("{dir}/{}", e.unwrap().file_name().to_string_lossy());
                assert!(files.contains(&name.as_str()), "{name} not in the crate");
            }
        } else {
            let file = normalise(&from.parent().unwrap().join(arg));
            assert!(
                files.contains(&file.as_str()),
                "{file} not in the crate:\n{listed}"
            );
        }
    }
    for f in [
        "Cargo.toml",
        "Cargo.lock",
        "README.md",
        "build.rs",
        "src/main.rs",
        "src/lib.rs",
    ] {
        assert!(files.contains(&f), "{f} not in the crate:\n{listed}");
    }
    assert!(
        !files.iter().any(|f| f.starts_with("assets/screenshots/")),
        "screenshots in the crate:\n{listed}"
    );
}

/// `a/b/../c` as `a/c`, with `/` between the parts.
fn normalise(p: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(n) => parts.push(n.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}
