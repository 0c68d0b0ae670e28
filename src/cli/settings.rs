//! What the TUI starts with: the defaults, then the configuration file, then the environment
//! (`NO_COLOR`), then the flags, each value with where it came from (`rmapviz config` prints
//! them). A configuration file that cannot be used is reported and left out: the TUI still
//! starts, with the defaults and the flags.

use std::fmt;
use std::path::PathBuf;

use super::args::PrefArgs;
use super::{CliError, resolve_one_scheme};
use crate::config::{self, ColorWhen, ConfigError, FileConfig};
use crate::tui::{DEFAULT_SCHEME, ThemeName};

/// Where a setting came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Default,
    File,
    /// A flag, named as typed (`--theme`).
    Flag(&'static str),
    /// An environment variable.
    Env(&'static str),
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => f.write_str("default"),
            Source::File => f.write_str("config file"),
            Source::Flag(flag) => write!(f, "flag {flag}"),
            Source::Env(var) => write!(f, "environment {var}"),
        }
    }
}

/// A value and where it came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}

/// The configuration file, as far as it was found and read.
#[derive(Debug)]
pub enum FileState {
    /// Neither `XDG_CONFIG_HOME` nor `HOME` is set.
    NoConfigDir,
    Absent(PathBuf),
    Read(PathBuf),
    /// It cannot be used: the settings leave it out.
    Bad(ConfigError),
}

/// The settings the TUI starts with.
#[derive(Debug)]
pub struct Settings {
    pub file: FileState,
    pub scheme: Sourced<&'static str>,
    pub compare: Sourced<Option<&'static str>>,
    /// The theme asked for (drawn as `mono` while [`Settings::colour_off`]).
    pub theme: Sourced<ThemeName>,
    pub color: Sourced<ColorWhen>,
    /// Whether colour is off: from `color`, or from `NO_COLOR` with `color = auto`.
    pub colour_off: Sourced<bool>,
    pub ascii: Sourced<bool>,
    pub mouse: Sourced<bool>,
    pub autoplay_ms: Sourced<u64>,
    /// What was left out and why (a file's compare that names the scheme a flag shows).
    pub notes: Vec<String>,
}

impl Settings {
    /// The settings from the configuration file at its usual place and the flags `prefs`; an
    /// error only for a bad flag (a bad file is in [`Settings::file`]).
    pub fn resolve(prefs: &PrefArgs) -> Result<Settings, CliError> {
        let (file, values) = match config::default_path() {
            None => (FileState::NoConfigDir, None),
            Some(path) => match config::load(&path) {
                Ok(Some(values)) => (FileState::Read(path), Some(values)),
                Ok(None) => (FileState::Absent(path), None),
                Err(e) => (FileState::Bad(e), None),
            },
        };
        let values = values.unwrap_or_default();
        Self::from_parts(file, &values, prefs, no_color_set())
    }

    /// The settings from a file's values, the flags and whether `NO_COLOR` is set.
    pub fn from_parts(
        file: FileState,
        values: &FileConfig,
        prefs: &PrefArgs,
        no_color: bool,
    ) -> Result<Settings, CliError> {
        let flag_scheme = prefs
            .scheme
            .as_deref()
            .map(|s| resolve_one_scheme(s, "--scheme"))
            .transpose()?;
        let flag_compare = prefs
            .compare
            .as_deref()
            .map(|s| resolve_one_scheme(s, "--compare"))
            .transpose()?;
        let flag_theme = prefs
            .theme
            .as_deref()
            .map(|t| {
                t.parse::<ThemeName>()
                    .map_err(|e| CliError::input(e.to_string()))
            })
            .transpose()?;
        let flag_color = prefs.color.as_deref().and_then(ColorWhen::parse);
        let scheme = pick(flag_scheme, "--scheme", values.scheme, DEFAULT_SCHEME);
        let mut compare = if prefs.no_compare {
            Sourced {
                value: None,
                source: Source::Flag("--no-compare"),
            }
        } else {
            pick(
                flag_compare.map(Some),
                "--compare",
                values.compare.map(Some),
                None,
            )
        };
        let mut notes = Vec::new();
        if compare.value == Some(scheme.value) {
            if matches!(compare.source, Source::Flag(_)) {
                return Err(CliError::input(format!(
                    "cannot compare \"{}\" with itself: it is the scheme shown (name another)",
                    scheme.value
                )));
            }
            notes.push(format!(
                "compare \"{}\" ({}) left out: it is the scheme shown ({})",
                scheme.value, compare.source, scheme.source
            ));
            compare = Sourced {
                value: None,
                source: scheme.source,
            };
        }
        let color = pick(flag_color, "--color", values.color, ColorWhen::Auto);
        let colour_off = match color.value {
            ColorWhen::Never => Sourced {
                value: true,
                source: color.source,
            },
            ColorWhen::Always => Sourced {
                value: false,
                source: color.source,
            },
            ColorWhen::Auto if no_color => Sourced {
                value: true,
                source: Source::Env("NO_COLOR"),
            },
            ColorWhen::Auto => Sourced {
                value: false,
                source: color.source,
            },
        };
        let on_off = |on: bool, off: bool| {
            if on {
                Some(true)
            } else if off {
                Some(false)
            } else {
                None
            }
        };
        Ok(Settings {
            file,
            scheme,
            compare,
            theme: pick(flag_theme, "--theme", values.theme, ThemeName::Dark),
            color,
            colour_off,
            ascii: pick(
                on_off(prefs.ascii, prefs.no_ascii),
                if prefs.ascii { "--ascii" } else { "--no-ascii" },
                values.ascii,
                false,
            ),
            mouse: pick(
                on_off(prefs.mouse, prefs.no_mouse),
                if prefs.mouse { "--mouse" } else { "--no-mouse" },
                values.mouse,
                false,
            ),
            autoplay_ms: pick(prefs.autoplay_ms, "--autoplay-ms", values.autoplay_ms, 1000),
            notes,
        })
    }

    /// The theme the TUI draws with: mono while colour is off.
    pub fn drawn_theme(&self) -> ThemeName {
        if self.colour_off.value {
            ThemeName::Mono
        } else {
            self.theme.value
        }
    }

    /// The line saying why the configuration file is not used, if it is bad.
    pub fn file_error(&self) -> Option<String> {
        match &self.file {
            FileState::Bad(e) => Some(e.to_string()),
            _ => None,
        }
    }

    /// The settings as a configuration file that sets them, each line saying where its value
    /// came from (`rmapviz config --print`).
    pub fn to_toml(&self) -> String {
        let mut out = String::from(
            "# The settings the rmapviz TUI starts with, and where each comes from.\n",
        );
        out.push_str(&match &self.file {
            FileState::NoConfigDir => {
                "# config file: none (neither XDG_CONFIG_HOME nor HOME is set)\n".to_string()
            }
            FileState::Absent(p) => format!("# config file: {} (not there)\n", p.display()),
            FileState::Read(p) => format!("# config file: {}\n", p.display()),
            FileState::Bad(e) => format!("# config file not used: {e}\n"),
        });
        for note in &self.notes {
            out.push_str(&format!("# {note}\n"));
        }
        let quoted = |s: &str| format!("\"{s}\"");
        let mut theme_source = self.theme.source.to_string();
        if self.colour_off.value && self.theme.value != ThemeName::Mono {
            theme_source.push_str("; drawn mono: colour is off");
        }
        let mut color_source = self.color.source.to_string();
        if self.colour_off.source == Source::Env("NO_COLOR") {
            color_source.push_str("; colour is off: NO_COLOR is set (environment)");
        }
        let lines = [
            (
                format!("scheme = {}", quoted(self.scheme.value)),
                self.scheme.source.to_string(),
            ),
            match self.compare.value {
                Some(c) => (
                    format!("compare = {}", quoted(c)),
                    self.compare.source.to_string(),
                ),
                // TOML has no "none": the key is left out.
                None => (
                    "# compare = \"NAME\"".to_string(),
                    format!("{}: no compare mode", self.compare.source),
                ),
            },
            (
                format!("theme = {}", quoted(self.theme.value.as_str())),
                theme_source,
            ),
            (
                format!("color = {}", quoted(self.color.value.as_str())),
                color_source,
            ),
            (
                format!("ascii = {}", self.ascii.value),
                self.ascii.source.to_string(),
            ),
            (
                format!("mouse = {}", self.mouse.value),
                self.mouse.source.to_string(),
            ),
            (
                format!("autoplay_ms = {}", self.autoplay_ms.value),
                self.autoplay_ms.source.to_string(),
            ),
        ];
        for (setting, source) in lines {
            out.push_str(&format!("{setting:<28} # {source}\n"));
        }
        out
    }
}

/// The flag's value, else the file's, else the default.
fn pick<T>(flag: Option<T>, name: &'static str, file: Option<T>, default: T) -> Sourced<T> {
    match (flag, file) {
        (Some(value), _) => Sourced {
            value,
            source: Source::Flag(name),
        },
        (None, Some(value)) => Sourced {
            value,
            source: Source::File,
        },
        (None, None) => Sourced {
            value: default,
            source: Source::Default,
        },
    }
}

/// `NO_COLOR` is set and not empty (no-color.org).
fn no_color_set() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(values: &FileConfig, prefs: &PrefArgs, no_color: bool) -> Settings {
        Settings::from_parts(
            FileState::Read(PathBuf::from("c.toml")),
            values,
            prefs,
            no_color,
        )
        .unwrap()
    }

    fn file() -> FileConfig {
        FileConfig {
            theme: Some(ThemeName::Light),
            color: None,
            ascii: Some(true),
            mouse: Some(true),
            scheme: Some("modern"),
            compare: Some("anon-vma"),
            autoplay_ms: Some(250),
        }
    }

    #[test]
    fn the_file_over_the_defaults_and_the_flags_over_the_file() {
        let s = settings(&file(), &PrefArgs::default(), false);
        assert_eq!((s.scheme.value, s.scheme.source), ("modern", Source::File));
        assert_eq!(s.compare.value, Some("anon-vma"));
        assert_eq!(
            (s.theme.value, s.theme.source),
            (ThemeName::Light, Source::File)
        );
        assert!(s.ascii.value && s.mouse.value);
        assert_eq!(s.autoplay_ms.value, 250);
        assert_eq!(
            (s.color.value, s.color.source),
            (ColorWhen::Auto, Source::Default)
        );

        let flags = PrefArgs {
            scheme: Some("pte-chain".into()),
            no_compare: true,
            theme: Some("mono".into()),
            no_ascii: true,
            no_mouse: true,
            autoplay_ms: Some(3000),
            ..PrefArgs::default()
        };
        let s = settings(&file(), &flags, false);
        let flag = |name| Source::Flag(name);
        assert_eq!(
            (s.scheme.value, s.scheme.source),
            ("pte-chain", flag("--scheme"))
        );
        assert_eq!(
            (s.compare.value, s.compare.source),
            (None, flag("--no-compare"))
        );
        assert_eq!(s.theme.value, ThemeName::Mono);
        assert_eq!((s.ascii.value, s.ascii.source), (false, flag("--no-ascii")));
        assert_eq!((s.mouse.value, s.mouse.source), (false, flag("--no-mouse")));
        assert_eq!(s.autoplay_ms.value, 3000);
    }

    #[test]
    fn no_color_under_auto_only() {
        // no-color.org: NO_COLOR turns colour off unless the user's configuration or a flag
        // says otherwise.
        let s = settings(&FileConfig::default(), &PrefArgs::default(), true);
        assert_eq!(
            s.colour_off,
            Sourced {
                value: true,
                source: Source::Env("NO_COLOR")
            }
        );
        assert_eq!(s.drawn_theme(), ThemeName::Mono);
        let always = FileConfig {
            color: Some(ColorWhen::Always),
            ..FileConfig::default()
        };
        let s = settings(&always, &PrefArgs::default(), true);
        assert_eq!(
            s.colour_off,
            Sourced {
                value: false,
                source: Source::File
            }
        );
        assert_eq!(s.drawn_theme(), ThemeName::Dark);
        let flag = PrefArgs {
            color: Some("never".into()),
            ..PrefArgs::default()
        };
        let s = settings(&always, &flag, false);
        assert_eq!(
            s.colour_off,
            Sourced {
                value: true,
                source: Source::Flag("--color")
            }
        );
    }

    #[test]
    fn a_compare_that_a_flag_shows_is_left_out_with_a_note() {
        let flags = PrefArgs {
            scheme: Some("anon-vma".into()),
            ..PrefArgs::default()
        };
        let s = settings(&file(), &flags, false);
        assert_eq!(s.compare.value, None);
        assert_eq!(s.notes.len(), 1, "{:?}", s.notes);
        assert!(s.notes[0].contains("\"anon-vma\""), "{:?}", s.notes);
        // Both from flags: an error, as before there was a file.
        let both = PrefArgs {
            scheme: Some("modern".into()),
            compare: Some("MODERN".into()),
            ..PrefArgs::default()
        };
        let e = Settings::from_parts(FileState::NoConfigDir, &FileConfig::default(), &both, false)
            .unwrap_err();
        assert!(
            e.message.contains("cannot compare \"modern\" with itself"),
            "{e}"
        );
    }

    #[test]
    fn a_flag_and_the_file_refuse_a_scheme_name_alike() {
        // One resolver for `--scheme`, `--compare` and the file: an unknown name offers the
        // names, never "all", which none of them takes.
        let flag = |prefs: PrefArgs| {
            Settings::from_parts(
                FileState::NoConfigDir,
                &FileConfig::default(),
                &prefs,
                false,
            )
            .map(|_| ())
            .unwrap_err()
            .message
        };
        let unknown = flag(PrefArgs {
            scheme: Some("rmap".into()),
            ..PrefArgs::default()
        });
        let in_file = crate::config::parse(std::path::Path::new("c.toml"), "scheme = \"rmap\"")
            .unwrap_err()
            .to_string();
        assert_eq!(in_file, format!("c.toml:1:10: {unknown}"));
        assert!(!unknown.contains("all or"), "{unknown}");
        let all = flag(PrefArgs {
            compare: Some("all".into()),
            ..PrefArgs::default()
        });
        assert!(all.starts_with("--compare takes one scheme here"), "{all}");
    }

    #[test]
    fn bad_flags_are_errors() {
        for prefs in [
            PrefArgs {
                theme: Some("neon".into()),
                ..PrefArgs::default()
            },
            PrefArgs {
                scheme: Some("rmap".into()),
                ..PrefArgs::default()
            },
            PrefArgs {
                compare: Some("all".into()),
                ..PrefArgs::default()
            },
        ] {
            let r = Settings::from_parts(
                FileState::NoConfigDir,
                &FileConfig::default(),
                &prefs,
                false,
            );
            assert_eq!(
                r.map(|_| ()).unwrap_err().status,
                crate::cli::EXIT_BAD_INPUT
            );
        }
    }
}
