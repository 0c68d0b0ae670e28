//! Where and in which format the export commands write: the format from `--format` or the
//! output's extension, `-` for standard output, and files written atomically (a failure leaves
//! no partial file behind).

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::ValueEnum;

use super::CliError;

/// Formats of `rmapviz shot`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ShotFormat {
    /// Plain text, one line per terminal row
    Txt,
    /// Text with ANSI SGR colours
    Ansi,
    /// A self-contained HTML page
    Html,
    /// An SVG picture of the terminal
    Svg,
    /// A PNG picture (the SVG rendered with the shipped font)
    Png,
}

/// Formats of `rmapviz export`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// Graphviz DOT
    Dot,
    /// JSON: nodes, edges and the walk
    Json,
}

/// A file format named by extensions.
pub trait FileFormat: Sized + Copy + 'static {
    /// (extension, format) pairs, lower case, without the dot.
    const EXTENSIONS: &'static [(&'static str, Self)];
    /// The format written to standard output when `--format` is not given.
    const STDOUT_DEFAULT: Self;

    fn from_extension(ext: &str) -> Option<Self> {
        let ext = ext.to_ascii_lowercase();
        Self::EXTENSIONS
            .iter()
            .find(|(e, _)| *e == ext)
            .map(|(_, f)| *f)
    }

    fn extension_list() -> String {
        let names: Vec<String> = Self::EXTENSIONS
            .iter()
            .map(|(e, _)| format!(".{e}"))
            .collect();
        names.join(", ")
    }
}

impl FileFormat for ShotFormat {
    const EXTENSIONS: &'static [(&'static str, Self)] = &[
        ("txt", ShotFormat::Txt),
        ("ansi", ShotFormat::Ansi),
        ("html", ShotFormat::Html),
        ("htm", ShotFormat::Html),
        ("svg", ShotFormat::Svg),
        ("png", ShotFormat::Png),
    ];
    const STDOUT_DEFAULT: Self = ShotFormat::Ansi;
}

impl FileFormat for GraphFormat {
    const EXTENSIONS: &'static [(&'static str, Self)] = &[
        ("dot", GraphFormat::Dot),
        ("gv", GraphFormat::Dot),
        ("json", GraphFormat::Json),
    ];
    const STDOUT_DEFAULT: Self = GraphFormat::Json;
}

/// Where output goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Stdout,
    File(PathBuf),
}

impl Target {
    /// `-` is standard output, anything else a file.
    pub fn new(path: &Path) -> Target {
        if path.as_os_str() == "-" {
            Target::Stdout
        } else {
            Target::File(path.to_path_buf())
        }
    }

    /// How the target is named in messages.
    pub fn name(&self) -> String {
        match self {
            Target::Stdout => "standard output".to_string(),
            Target::File(p) => p.display().to_string(),
        }
    }

    /// The format to write: `--format` if given, else the file's extension, else (standard
    /// output) the format's default.
    pub fn format<F: FileFormat>(&self, flag: Option<F>) -> Result<F, CliError> {
        if let Some(f) = flag {
            return Ok(f);
        }
        let path = match self {
            Target::Stdout => return Ok(F::STDOUT_DEFAULT),
            Target::File(p) => p,
        };
        let ext = path.extension().map(|e| e.to_string_lossy().into_owned());
        match ext.as_deref().and_then(F::from_extension) {
            Some(f) => Ok(f),
            None => Err(CliError::input(format!(
                "{}: cannot tell the format from {}: name the file with one of {} or give --format",
                path.display(),
                match &ext {
                    Some(e) => format!("the extension \".{e}\""),
                    None => "a name without an extension".to_string(),
                },
                F::extension_list()
            ))),
        }
    }

    /// Checks, before any work, that a file can be created where the output goes: its
    /// directory exists and it is not a directory itself.
    pub fn check_writable(&self) -> Result<(), CliError> {
        let Target::File(p) = self else { return Ok(()) };
        if p.is_dir() {
            return Err(CliError::input(format!(
                "{}: is a directory, not a file name",
                p.display()
            )));
        }
        let dir = match p.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        if !dir.is_dir() {
            return Err(CliError::input(format!(
                "{}: cannot write: the directory {} does not exist",
                p.display(),
                dir.display()
            )));
        }
        Ok(())
    }

    /// Writes `bytes`: to standard output, or to the file through a temporary file and a
    /// rename, so that a failure leaves no partial file behind.
    pub fn write(&self, bytes: &[u8]) -> Result<(), CliError> {
        match self {
            Target::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(bytes)
                    .and_then(|()| out.flush())
                    .map_err(|e| CliError::input(format!("standard output: cannot write: {e}")))
            }
            // A device or pipe (`/dev/stdout`, a fifo) is written in place: renaming a
            // temporary file over it would replace the device node.
            Target::File(p) if std::fs::metadata(p).is_ok_and(|m| !m.is_file() && !m.is_dir()) => {
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(p)
                    .and_then(|mut f| f.write_all(bytes))
                    .map_err(|e| CliError::input(format!("{}: cannot write: {e}", p.display())))
            }
            Target::File(p) => crate::util::write_atomically(p, bytes)
                .map_err(|e| CliError::input(format!("{}: cannot write: {e}", p.display()))),
        }
    }
}

/// Parses a terminal size `COLSxROWS` (for example `120x40`).
pub fn parse_size(s: &str) -> Result<(u16, u16), String> {
    let (c, r) = s
        .split_once(['x', 'X'])
        .ok_or_else(|| format!("\"{s}\" is not a size: write COLSxROWS, for example 120x40"))?;
    let num = |v: &str, what: &str, lo: u16, hi: u16| -> Result<u16, String> {
        let n: u16 = v
            .trim()
            .parse()
            .map_err(|_| format!("\"{v}\" is not a number of {what} (in \"{s}\")"))?;
        if (lo..=hi).contains(&n) {
            Ok(n)
        } else {
            Err(format!(
                "{n} {what} is out of range {lo}..={hi} (in \"{s}\")"
            ))
        }
    };
    Ok((
        num(c, "columns", MIN_COLS, MAX_COLS)?,
        num(r, "rows", MIN_ROWS, MAX_ROWS)?,
    ))
}

/// Smallest and largest sizes of a rendered terminal.
pub const MIN_COLS: u16 = 20;
pub const MAX_COLS: u16 = 1000;
pub const MIN_ROWS: u16 = 5;
pub const MAX_ROWS: u16 = 500;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_comes_from_the_flag_then_the_extension() {
        let t = Target::new(Path::new("out/shot.SVG"));
        assert_eq!(t.format::<ShotFormat>(None).unwrap(), ShotFormat::Svg);
        assert_eq!(t.format(Some(ShotFormat::Png)).unwrap(), ShotFormat::Png);
        assert_eq!(
            Target::new(Path::new("-"))
                .format::<ShotFormat>(None)
                .unwrap(),
            ShotFormat::Ansi
        );
        assert_eq!(
            Target::new(Path::new("g.gv"))
                .format::<GraphFormat>(None)
                .unwrap(),
            GraphFormat::Dot
        );
    }

    #[test]
    fn an_unknown_extension_is_named_with_the_known_ones() {
        let e = Target::new(Path::new("shot.jpg"))
            .format::<ShotFormat>(None)
            .unwrap_err();
        assert_eq!(e.status, super::super::EXIT_BAD_INPUT);
        assert!(e.message.contains("\".jpg\""), "{e}");
        assert!(
            e.message.contains(".txt, .ansi, .html, .htm, .svg, .png"),
            "{e}"
        );
        let e = Target::new(Path::new("shot"))
            .format::<ShotFormat>(None)
            .unwrap_err();
        assert!(e.message.contains("without an extension"), "{e}");
    }

    #[test]
    fn sizes_are_cols_by_rows_within_limits() {
        assert_eq!(parse_size("120x40"), Ok((120, 40)));
        assert_eq!(parse_size("80X24"), Ok((80, 24)));
        assert!(parse_size("120").unwrap_err().contains("COLSxROWS"));
        assert!(parse_size("abcx40").unwrap_err().contains("columns"));
        assert!(parse_size("10x40").unwrap_err().contains("out of range"));
        assert!(parse_size("120x0").unwrap_err().contains("rows"));
    }

    #[test]
    fn a_missing_directory_is_reported_before_any_work() {
        let e = Target::new(Path::new("/nonexistent-rmapviz-dir/x.png"))
            .check_writable()
            .unwrap_err();
        assert!(e.message.contains("does not exist"), "{e}");
        assert!(Target::Stdout.check_writable().is_ok());
    }
}
