//! The user's configuration file: what the interactive TUI starts with when no flag says
//! otherwise. `$XDG_CONFIG_HOME/rmapviz/config.toml` (`~/.config/rmapviz/config.toml` without
//! `XDG_CONFIG_HOME`), TOML, every key optional:
//!
//! ```toml
//! theme = "light"          # dark, light, colorblind or mono
//! color = "auto"           # auto, always or never
//! ascii = false
//! mouse = true
//! scheme = "anon-vma"      # the scheme shown first
//! compare = "anonmm-naive" # compare mode from the start
//! autoplay_ms = 500        # milliseconds per step: 3000, 2000, 1000, 500, 250 or 100
//! ```
//!
//! This module reads and checks the file; `cli::settings` lays flags and the environment over
//! it. Every error names the file, the line and the column.

use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::schemes::find_scheme;
use crate::tui::ThemeName;

/// The autoplay speeds the TUI steps through with `+` and `-`, in milliseconds per step.
pub use crate::tui::app::SPEEDS as AUTOPLAY_MS;

/// A configuration file larger than this is refused (a real one is a few hundred bytes).
const MAX_BYTES: u64 = 64 * 1024;

/// Where the configuration file is looked for, if a config directory can be found.
pub fn default_path() -> Option<PathBuf> {
    crate::util::xdg_dir("XDG_CONFIG_HOME", ".config")
        .map(|d| d.join("rmapviz").join("config.toml"))
}

/// `--color`, and `color` in the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorWhen {
    /// Colour unless `NO_COLOR` is set.
    Auto,
    Always,
    Never,
}

impl ColorWhen {
    pub const NAMES: [&'static str; 3] = ["auto", "always", "never"];

    pub fn parse(s: &str) -> Option<ColorWhen> {
        match s {
            "auto" => Some(ColorWhen::Auto),
            "always" => Some(ColorWhen::Always),
            "never" => Some(ColorWhen::Never),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        Self::NAMES[self as usize]
    }
}

/// The values a configuration file sets (None: not in the file).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileConfig {
    pub theme: Option<ThemeName>,
    pub color: Option<ColorWhen>,
    pub ascii: Option<bool>,
    pub mouse: Option<bool>,
    /// A scheme's canonical name.
    pub scheme: Option<&'static str>,
    pub compare: Option<&'static str>,
    /// One of [`AUTOPLAY_MS`].
    pub autoplay_ms: Option<u64>,
}

/// A configuration file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{}: cannot read the configuration file: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// Line and column are 1-based; the column counts characters.
    #[error("{}:{line}:{column}: {message}", path.display())]
    Invalid {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}

/// Reads the configuration file at `path`: `Ok(None)` when there is none.
pub fn load(path: &Path) -> Result<Option<FileConfig>, ConfigError> {
    let text = match crate::util::read_limited(path, MAX_BYTES) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            // Not UTF-8: where the first byte that is not. The file is small and regular.
            let bytes = std::fs::read(path).unwrap_or_default();
            let at = std::str::from_utf8(&bytes)
                .err()
                .map_or(0, |e| e.valid_up_to());
            let valid = std::str::from_utf8(&bytes[..at]).unwrap_or("");
            return Err(invalid(
                path,
                valid,
                at,
                "the file is not UTF-8 text".into(),
            ));
        }
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            });
        }
    };
    parse(path, &text).map(Some)
}

/// The file as written: every value with where it stands.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    theme: Option<Spanned<String>>,
    color: Option<Spanned<String>>,
    ascii: Option<bool>,
    mouse: Option<bool>,
    scheme: Option<Spanned<String>>,
    compare: Option<Spanned<String>>,
    autoplay_ms: Option<Spanned<i64>>,
}

/// Parses the text of the configuration file at `path` (named in errors).
pub fn parse(path: &Path, text: &str) -> Result<FileConfig, ConfigError> {
    let raw: Raw = toml::from_str(text).map_err(|e| {
        let at = e.span().map_or(0, |s| s.start);
        invalid(path, text, at, e.message().trim_end().to_string())
    })?;
    let bad = |span: Range<usize>, message: String| invalid(path, text, span.start, message);
    let theme = match &raw.theme {
        None => None,
        Some(t) => Some(
            t.get_ref()
                .parse::<ThemeName>()
                .map_err(|e| bad(t.span(), e.to_string()))?,
        ),
    };
    let color = match &raw.color {
        None => None,
        Some(c) => Some(ColorWhen::parse(c.get_ref()).ok_or_else(|| {
            bad(
                c.span(),
                format!(
                    "unknown color \"{}\" (expected auto, always or never)",
                    c.get_ref()
                ),
            )
        })?),
    };
    let scheme_of = |s: &Spanned<String>| {
        find_scheme(s.get_ref())
            .map(|i| i.name)
            .map_err(|e| bad(s.span(), e.to_string()))
    };
    let scheme = raw.scheme.as_ref().map(scheme_of).transpose()?;
    let compare = raw.compare.as_ref().map(scheme_of).transpose()?;
    if let (Some(s), Some(c), Some(at)) = (scheme, compare, &raw.compare)
        && s == c
    {
        return Err(bad(
            at.span(),
            format!("compare names the scheme shown (\"{s}\"): compare it with another one"),
        ));
    }
    let autoplay_ms = match &raw.autoplay_ms {
        None => None,
        Some(ms) => {
            let v = *ms.get_ref();
            match AUTOPLAY_MS
                .iter()
                .find(|&&s| i64::try_from(s).is_ok_and(|s| s == v))
            {
                Some(&s) => Some(s),
                None => return Err(bad(ms.span(), autoplay_expected(v))),
            }
        }
    };
    Ok(FileConfig {
        theme,
        color,
        ascii: raw.ascii,
        mouse: raw.mouse,
        scheme,
        compare,
        autoplay_ms,
    })
}

/// What an autoplay speed must be.
pub fn autoplay_expected(got: impl std::fmt::Display) -> String {
    let speeds: Vec<String> = AUTOPLAY_MS.iter().map(u64::to_string).collect();
    format!(
        "autoplay_ms {got} is not one of the speeds (milliseconds per step): {}",
        speeds.join(", ")
    )
}

/// An error at byte `at` of `text`.
fn invalid(path: &Path, text: &str, at: usize, message: String) -> ConfigError {
    let (line, column) = line_column(text, at);
    ConfigError::Invalid {
        path: path.to_path_buf(),
        line,
        column,
        message,
    }
}

/// 1-based line and column (in characters) of byte `at` of `text`.
fn line_column(text: &str, at: usize) -> (usize, usize) {
    let at = at.min(text.len());
    let before = text.get(..at).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Result<FileConfig, String> {
        parse(Path::new("c.toml"), text).map_err(|e| e.to_string())
    }

    #[test]
    fn every_key() {
        let c = parsed(
            "theme = \"light\"\ncolor = \"never\"\nascii = true\nmouse = true\n\
             scheme = \"MODERN\"\ncompare = \"anon-vma\"\nautoplay_ms = 250\n",
        )
        .unwrap();
        assert_eq!(
            c,
            FileConfig {
                theme: Some(ThemeName::Light),
                color: Some(ColorWhen::Never),
                ascii: Some(true),
                mouse: Some(true),
                scheme: Some("modern"),
                compare: Some("anon-vma"),
                autoplay_ms: Some(250),
            }
        );
        assert_eq!(parsed("# nothing set\n").unwrap(), FileConfig::default());
    }

    /// `text` is refused with a message that starts with `start` (where and what).
    fn refused(text: &str, start: &str) {
        let e = parsed(text).unwrap_err();
        assert!(e.starts_with(start), "{text:?}: {e}");
    }

    #[test]
    fn errors_name_the_line_and_column_of_the_value() {
        refused(
            "mouse = true\ntheme = \"purple\"\n",
            "c.toml:2:9: unknown theme \"purple\"",
        );
        refused(
            "scheme = \"anon-vma\"\n  compare = \"anon-vma\"",
            "c.toml:2:13: compare names the scheme shown",
        );
        refused(
            "autoplay_ms = 750",
            "c.toml:1:15: autoplay_ms 750 is not one of",
        );
        refused("scheme = \"rmap\"", "c.toml:1:10: unknown scheme \"rmap\"");
        refused("color = \"sometimes\"", "c.toml:1:9: unknown color");
    }

    #[test]
    fn toml_errors_keep_their_place() {
        refused(
            "ascii = true\ncolour = \"never\"\n",
            "c.toml:2:1: unknown field `colour`",
        );
        refused("ascii = yes\n", "c.toml:1:9: ");
        refused("mouse = \"true\"\n", "c.toml:1:9: invalid type");
    }

    #[test]
    fn columns_count_characters() {
        assert_eq!(line_column("", 0), (1, 1));
        assert_eq!(line_column("é = 1\nab", 8), (2, 2));
        assert_eq!(line_column("# é\nx", 5), (2, 1));
    }
}
