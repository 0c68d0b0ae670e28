//! The configuration file (`$XDG_CONFIG_HOME/rmapviz/config.toml`, README "Install"): its values
//! reach the TUI, flags override them, `rmapviz config` says where each value comes from, and a
//! bad file is reported with its path, line and column while the TUI still starts with the
//! defaults. Every run gets its own `XDG_CONFIG_HOME`; the TUI runs in a pseudo-terminal (skipped,
//! saying why, where none can be opened).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;
mod pty;
use common::dir::test_dir;
use pty::{BIN, Screen, Start};

/// A teacher's settings: every key but color.
const TEACHER: &str = "\
# the light theme, the mouse, and Hugh's scheme beside the modern one
theme = \"light\"
ascii = true
mouse = true
scheme = \"modern\"
compare = \"anonmm-naive\"
autoplay_ms = 250
";

/// The escape sequence that turns mouse capture on (xterm's normal tracking mode).
const MOUSE_ON: &str = "\x1b[?1000h";

/// Writes `text` as the configuration file under `dir`; returns the `XDG_CONFIG_HOME` to use.
fn config_home(dir: &Path, text: &[u8]) -> PathBuf {
    let home = dir.join("config");
    std::fs::create_dir_all(home.join("rmapviz")).unwrap();
    std::fs::write(home.join("rmapviz").join("config.toml"), text).unwrap();
    home
}

fn config_cmd(home: &Path, args: &[&str], no_color: bool) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("config").args(args).env("XDG_CONFIG_HOME", home);
    if no_color {
        cmd.env("NO_COLOR", "1");
    } else {
        cmd.env_remove("NO_COLOR");
    }
    cmd.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The line of `config --print` that sets `key` (or says it is not set).
fn line<'a>(out: &'a str, key: &str) -> &'a str {
    out.lines()
        .find(|l| l.starts_with(&format!("{key} = ")) || l.starts_with(&format!("# {key} = ")))
        .unwrap_or_else(|| panic!("no line for {key} in:\n{out}"))
}

/// The TUI on S3 with the configuration home `home`, in 24-bit colour.
fn tui(dir: &Path, home: &Path, args: &[&str]) -> Option<Screen> {
    Screen::start_with(&Start {
        args,
        state: &dir.join("state"),
        cwd: dir,
        controlling_tty: true,
        config: Some(home),
        env: &[("COLORTERM", "truecolor")],
    })
}

/// The background colour inside the steps pane, below S3's steps (row 20, column 3), once the
/// frame has painted it (the header a test waits for can come before the rest of the frame).
fn pane_bg(s: &Screen) -> vt100::Color {
    s.painted_bg_at(20, 3)
}

fn theme_bg(name: rmapviz::tui::ThemeName) -> vt100::Color {
    match rmapviz::tui::Theme::new(name).bg {
        ratatui::style::Color::Rgb(r, g, b) => vt100::Color::Rgb(r, g, b),
        other => panic!("the theme's background is not an RGB colour: {other:?}"),
    }
}

fn box_drawing(screen: &str) -> bool {
    screen
        .chars()
        .any(|c| ('\u{2500}'..='\u{257f}').contains(&c))
}

#[test]
fn the_files_values_reach_the_tui() {
    let dir = test_dir("config-applied");
    let home = config_home(&dir, TEACHER.as_bytes());
    let Some(mut s) = tui(&dir, &home, &[]) else {
        return;
    };
    // scheme and compare: the two graph panes are modern's and anonmm-naive's.
    s.wait_for("modern (3.7 - 6.x) vs");
    s.wait_for("anonmm-naive (Mar 2004)");
    let screen = s.contents();
    // ascii: no box-drawing character anywhere, the panes' corners are +.
    assert!(!box_drawing(&screen), "ascii = true, yet:\n{screen}");
    assert!(screen.contains("+ steps"), "{screen}");
    // mouse: captured from the start.
    assert!(
        text(&s.raw()).contains(MOUSE_ON),
        "mouse = true, not captured"
    );
    // theme: light's background.
    assert_eq!(pane_bg(&s), theme_bg(rmapviz::tui::ThemeName::Light));
    // autoplay_ms: the speed autoplay starts at.
    s.send("p");
    s.wait_for("playing 250 ms/step");
    s.send("p");
    s.send("q");
    assert!(s.wait_exit().success());
}

#[test]
fn flags_override_the_file() {
    let dir = test_dir("config-flags");
    let home = config_home(&dir, TEACHER.as_bytes());
    let args = [
        "--scheme",
        "anon-vma",
        "--no-compare",
        "--theme",
        "dark",
        "--no-ascii",
        "--no-mouse",
        "--autoplay-ms",
        "2000",
    ];
    let Some(mut s) = tui(&dir, &home, &args) else {
        return;
    };
    s.wait_for("anon-vma (2.6.7 - 2.6.33)");
    s.wait_for("step 0/5");
    let screen = s.contents();
    assert!(!screen.contains(" vs "), "--no-compare, yet:\n{screen}");
    assert!(box_drawing(&screen), "--no-ascii, yet:\n{screen}");
    assert!(
        !text(&s.raw()).contains(MOUSE_ON),
        "--no-mouse, yet captured"
    );
    assert_eq!(pane_bg(&s), theme_bg(rmapviz::tui::ThemeName::Dark));
    s.send("p");
    s.wait_for("playing 2000 ms/step");
    s.send("p");
    s.send("q");
    assert!(s.wait_exit().success());

    // --mouse after --no-mouse: the last one wins.
    let out = config_cmd(&home, &["--no-mouse", "--mouse"], false);
    assert!(line(&text(&out.stdout), "mouse").starts_with("mouse = true "));
}

#[test]
fn config_print_says_where_each_value_comes_from() {
    let dir = test_dir("config-print");
    let home = config_home(&dir, TEACHER.as_bytes());
    let out = config_cmd(&home, &["--print", "--theme", "colorblind"], true);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    let file = home.join("rmapviz").join("config.toml");
    assert!(
        stdout.contains(&format!("# config file: {}\n", file.display())),
        "{stdout}"
    );
    let want = [
        ("scheme", "scheme = \"modern\"", "# config file"),
        ("compare", "compare = \"anonmm-naive\"", "# config file"),
        ("theme", "theme = \"colorblind\"", "# flag --theme"),
        ("color", "color = \"auto\"", "# default"),
        ("ascii", "ascii = true", "# config file"),
        ("mouse", "mouse = true", "# config file"),
        ("autoplay_ms", "autoplay_ms = 250", "# config file"),
    ];
    for (key, setting, source) in want {
        let l = line(&stdout, key);
        assert!(l.starts_with(setting), "{l}");
        assert!(l.contains(source), "{l}");
    }
    // NO_COLOR turns colour off under color = auto, and the theme is drawn mono.
    assert!(line(&stdout, "color").contains("NO_COLOR"), "{stdout}");
    assert!(line(&stdout, "theme").contains("drawn mono"), "{stdout}");
    // color in the file overrides NO_COLOR (no-color.org: a configuration file wins).
    let home2 = config_home(&dir.join("two"), b"color = \"always\"\n");
    let out = config_cmd(&home2, &[], true);
    let stdout2 = text(&out.stdout);
    assert!(!stdout2.contains("NO_COLOR"), "{stdout2}");
    assert!(
        line(&stdout2, "color").contains("# config file"),
        "{stdout2}"
    );

    // The output is itself a configuration file: read back, it sets the same values.
    let home3 = config_home(&dir.join("three"), &out.stdout);
    let again = text(&config_cmd(&home3, &[], false).stdout);
    for key in ["scheme", "theme", "color", "ascii", "mouse", "autoplay_ms"] {
        let setting = |l: &str| l.split('#').next().unwrap().trim().to_string();
        assert_eq!(
            setting(line(&again, key)),
            setting(line(&stdout2, key)),
            "{again}"
        );
        assert!(line(&again, key).contains("# config file"), "{again}");
    }

    // Without a file: every value is the default, and the path is named.
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let out = config_cmd(&empty, &[], false);
    let stdout = text(&out.stdout);
    assert!(stdout.contains("(not there)"), "{stdout}");
    for (key, setting) in [
        ("scheme", "scheme = \"anon-vma\""),
        ("theme", "theme = \"dark\""),
        ("color", "color = \"auto\""),
        ("ascii", "ascii = false"),
        ("mouse", "mouse = false"),
        ("autoplay_ms", "autoplay_ms = 1000"),
    ] {
        let l = line(&stdout, key);
        assert!(l.starts_with(setting) && l.ends_with("# default"), "{l}");
    }
    assert!(
        line(&stdout, "compare").starts_with("# compare = "),
        "{stdout}"
    );
    let path = text(&config_cmd(&empty, &["--path"], false).stdout);
    assert_eq!(
        path.trim_end(),
        empty
            .join("rmapviz")
            .join("config.toml")
            .display()
            .to_string()
    );
}

#[test]
fn a_bad_file_names_its_path_line_and_column() {
    let dir = test_dir("config-bad");
    // (file, line:column of the mistake, what the message says)
    let cases: [(&[u8], &str, &str); 8] = [
        (
            b"mouse = true\ntheme = \"purple\"\n",
            "2:9",
            "unknown theme \"purple\"",
        ),
        (
            b"ascii = true\ncolour = \"never\"\n",
            "2:1",
            "unknown field `colour`",
        ),
        (
            b"ascii = \"yes\"\n",
            "1:9",
            "invalid type: string \"yes\", expected a boolean",
        ),
        (b"# bare word\ntheme = light\n", "2:9", ""),
        (
            b"scheme = \"modern\"\ncompare = \"MODERN\"\n",
            "2:11",
            "compare names the scheme shown",
        ),
        (
            b"autoplay_ms = 750\n",
            "1:15",
            "autoplay_ms 750 is not one of the speeds",
        ),
        (b"scheme = \"rmap\"\n", "1:10", "unknown scheme \"rmap\""),
        (
            b"theme = \"dark\"\n# caf\xe9\n",
            "2:6",
            "the file is not UTF-8 text",
        ),
    ];
    for (i, (file, place, message)) in cases.iter().enumerate() {
        let home = config_home(&dir.join(i.to_string()), file);
        let out = config_cmd(&home, &[], false);
        let stderr = text(&out.stderr);
        let path = home.join("rmapviz").join("config.toml");
        assert_eq!(out.status.code(), Some(2), "case {i}: {stderr}");
        let head = format!("rmapviz: {}:{place}: {message}", path.display());
        assert!(
            stderr.starts_with(&head),
            "case {i}: want {head:?}, got {stderr:?}"
        );
        // What the TUI would start with: the defaults, the file left out.
        let stdout = text(&out.stdout);
        assert!(stdout.contains("# config file not used: "), "{stdout}");
        assert!(line(&stdout, "theme").ends_with("# default"), "{stdout}");
        assert!(
            line(&stdout, "mouse").starts_with("mouse = false"),
            "{stdout}"
        );
    }
    // A directory where the file should be.
    let home = dir.join("dir");
    std::fs::create_dir_all(home.join("rmapviz").join("config.toml")).unwrap();
    let out = config_cmd(&home, &[], false);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("not a regular file"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn the_tui_starts_with_the_defaults_despite_a_bad_file() {
    let dir = test_dir("config-bad-tui");
    let home = config_home(&dir, b"mouse = true\ntheme = \"purple\"\n");
    let path = home.join("rmapviz").join("config.toml");
    let Some(mut s) = tui(&dir, &home, &[]) else {
        return;
    };
    // The status line names the file, the line and the column.
    s.wait_for("config.toml:2:9: unknown theme");
    s.wait_for("anon-vma (2.6.7 - 2.6.33)");
    assert_eq!(pane_bg(&s), theme_bg(rmapviz::tui::ThemeName::Dark));
    // The file's valid line is not used either: the whole file is left out.
    assert!(!text(&s.raw()).contains(MOUSE_ON));
    s.send("q");
    assert!(s.wait_exit().success());
    s.drain();
    // Standard error said it too (seen once the TUI has left the screen).
    let raw = text(&s.raw());
    assert!(
        raw.contains(&format!("rmapviz: {}:2:9: unknown theme", path.display())),
        "{raw:?}"
    );
}

#[test]
fn the_tuis_options_before_a_command_are_refused() {
    // clap would leave them unused: `config` would print settings without the --theme asked for.
    let dir = test_dir("config-order");
    let run = |args: &[&str]| {
        Command::new(BIN)
            .args(args)
            .env("XDG_CONFIG_HOME", &dir)
            .output()
            .unwrap()
    };
    let out = run(&["--theme", "light", "config"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("--theme is an option of the TUI, not of `config`"),
        "{stderr}"
    );
    let out = run(&["--mouse", "--ascii", "replay", "S3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("--ascii, --mouse are options of the TUI"));
    // After the command they are config's own; --quiet goes anywhere.
    let out = run(&["--quiet", "config", "--theme", "light"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(line(&text(&out.stdout), "theme").contains("# flag --theme"));
}
