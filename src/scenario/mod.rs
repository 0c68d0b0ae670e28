//! Scenarios: the RON format (README's scenario format), its error messages, the built-in scenarios and
//! generated ones.

mod builtin;
mod generate;
pub mod opline;

use serde::Deserialize;
use std::path::Path;
use thiserror::Error;

use crate::model::op::quote;
use crate::model::{Op, Step};

pub use builtin::{BUILTINS, Builtin, DEFAULT_BUILTIN, builtin};
pub use generate::storm;

fn untitled() -> String {
    "untitled scenario".to_string()
}

/// A scenario: a title, an explanation and the steps.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    #[serde(default = "untitled")]
    pub title: String,
    #[serde(default)]
    pub about: String,
    #[serde(default)]
    pub steps: Vec<Step>,
}

/// Why a scenario could not be read.
#[derive(Debug, Error)]
pub enum ScenarioError {
    #[error("{origin}:{line}:{col}: {message}")]
    Parse {
        origin: String,
        line: usize,
        col: usize,
        message: String,
    },
    #[error("{path}: cannot read: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("\"{0}\" is neither a readable file nor a built-in scenario (built-ins: {1})")]
    NotFound(String, String),
}

impl ScenarioError {
    /// Line and column of a parse error.
    pub fn position(&self) -> Option<(usize, usize)> {
        match self {
            ScenarioError::Parse { line, col, .. } => Some((*line, *col)),
            _ => None,
        }
    }
}

/// Makes RON's error texts say what was expected in this format's terms.
fn explain(code: &ron::Error) -> String {
    let s = code.to_string();
    match code {
        ron::Error::NoSuchEnumVariant { found, .. } => {
            format!(
                "unknown op `{found}`: expected one of {}",
                crate::model::OP_NAMES.join(", ")
            )
        }
        ron::Error::NoSuchStructField {
            found: field,
            outer,
            expected,
        } => format!(
            "`{field}` is not a field of {}: expected {}",
            outer.as_deref().unwrap_or("this item"),
            expected
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ),
        ron::Error::MissingStructField { field, outer } => {
            format!(
                "{} needs the field `{field}`",
                outer.as_deref().unwrap_or("this item")
            )
        }
        _ => s,
    }
}

impl Scenario {
    /// An empty scenario.
    pub fn empty(title: &str) -> Self {
        Scenario {
            title: title.to_string(),
            about: String::new(),
            steps: Vec::new(),
        }
    }

    /// Parses RON text; `origin` names the source in error messages (a path or "builtin:S3").
    pub fn parse(text: &str, origin: &str) -> Result<Scenario, ScenarioError> {
        let opts = ron::Options::default()
            .with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
        opts.from_str::<Scenario>(text)
            .map_err(|e| ScenarioError::Parse {
                origin: origin.to_string(),
                line: e.span.start.line,
                col: e.span.start.col,
                message: explain(&e.code),
            })
    }

    /// Reads a scenario file: a regular file of at most [`crate::util::READ_LIMIT`] bytes (a
    /// FIFO or a device is refused, not read).
    pub fn read(path: &Path) -> Result<Scenario, ScenarioError> {
        let text = crate::util::read_limited(path, crate::util::READ_LIMIT).map_err(|source| {
            ScenarioError::Io {
                path: path.display().to_string(),
                source,
            }
        })?;
        Scenario::parse(&text, &path.display().to_string())
    }

    /// A file if `arg` names one, else a built-in scenario by name ("S3", "s3", or its slug).
    /// Returns the scenario and a name for its origin.
    pub fn load(arg: &str) -> Result<(Scenario, String), ScenarioError> {
        let path = Path::new(arg);
        if path.exists() {
            return Ok((Scenario::read(path)?, path.display().to_string()));
        }
        if let Some(b) = builtin(arg) {
            let origin = format!("builtin:{}", b.name);
            return Ok((Scenario::parse(b.source, &origin)?, origin));
        }
        let names: Vec<&str> = BUILTINS.iter().map(|b| b.name).collect();
        Err(ScenarioError::NotFound(arg.to_string(), names.join(", ")))
    }

    /// The ops of the steps, in order, without their notes.
    pub fn ops(&self) -> impl DoubleEndedIterator<Item = &Op> + ExactSizeIterator + Clone {
        self.steps.iter().map(|s| &s.op)
    }

    /// The scenario as RON, one step per line with its note; `parse` reads it back identically.
    pub fn to_ron(&self) -> String {
        let mut out = String::from("Scenario(\n");
        out.push_str(&format!("    title: {},\n", quote(&self.title)));
        if !self.about.is_empty() {
            out.push_str(&format!("    about: {},\n", quote(&self.about)));
        }
        out.push_str("    steps: [\n");
        for step in &self.steps {
            out.push_str(&format!("        {},\n", step.to_ron()));
        }
        out.push_str("    ],\n)\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MmapArgs;
    use crate::model::Prot;

    #[test]
    fn parses_the_design_example_with_defaults_and_implicit_some() {
        let s = Scenario::parse(
            r#"Scenario(
                title: "t",
                steps: [
                    Mmap(pid: 1, addr: 0x10000, pages: 4, note: "private anonymous, rw"),
                    Mmap(pid: 1, addr: 0x20000, pages: 2, prot: "r", file: "lib.so"),
                    Mremap(pid: 1, addr: 0x10000, pages: 4, to: 0x80000),
                    SwapOut(pid: 2, addr: 0x11000),
                ],
            )"#,
            "t.ron",
        )
        .unwrap();
        assert_eq!(s.steps.len(), 4);
        match &s.steps[1].op {
            Op::Mmap(MmapArgs {
                prot,
                file,
                shared,
                offset,
                ..
            }) => {
                assert_eq!(*prot, Prot::R);
                assert_eq!(file.as_deref(), Some("lib.so"));
                assert!(!shared);
                assert_eq!(*offset, 0);
            }
            other => panic!("parsed {other:?}"),
        }
        assert_eq!(s.steps[0].note.as_deref(), Some("private anonymous, rw"));
        match &s.steps[0].op {
            Op::Mmap(MmapArgs { prot, .. }) => assert_eq!(*prot, Prot::RW),
            other => panic!("parsed {other:?}"),
        }
    }

    #[test]
    fn round_trips_through_to_ron() {
        let s = Scenario::parse(
            r#"Scenario(title: "a \"quoted\" title", about: "line\nbreak", steps: [
                Mmap(pid: 1, addr: 0x10000, pages: 4, prot: "rx", shared: true, file: "f", offset: 3, note: "n\\"),
                Mremap(pid: 1, addr: 0x10000, pages: 4, new_pages: 8),
                Fork(pid: 1, child: 2), Exec(pid: 2), Exit(pid: 2), Spawn(pid: 3),
                Read(pid: 1, addr: 0x10000), Write(pid: 1, addr: 0x10000, pages: 2),
                Munmap(pid: 1, addr: 0x10000, pages: 1), Mprotect(pid: 1, addr: 0x10000, pages: 1, prot: ""),
                SwapOut(pid: 1, addr: 0x11000), Referenced(pid: 1, addr: 0x11000),
            ])"#,
            "t",
        )
        .unwrap();
        let again = Scenario::parse(&s.to_ron(), "again").unwrap();
        assert_eq!(s, again);
    }

    /// The format is a public contract: a step is its op with the note among the op's fields,
    /// and a scenario written by `to_ron` is the text it was read from (README's example).
    #[test]
    fn steps_read_and_write_in_the_readme_format() {
        let lines = [
            r#"Mmap(pid: 1, addr: 0x10000, pages: 4, prot: "rw", note: "private anonymous, rw")"#,
            r#"Write(pid: 1, addr: 0x10000, pages: 4)"#,
            r#"Fork(pid: 1, child: 2)"#,
            r#"Mremap(pid: 1, addr: 0x10000, pages: 4, to: 0x80000)"#,
            r#"SwapOut(pid: 2, addr: 0x11000, note: "which ptes does the walk find?")"#,
        ];
        let text = format!(
            "Scenario(\n    title: \"t\",\n    steps: [\n{}    ],\n)\n",
            lines
                .iter()
                .map(|l| format!("        {l},\n"))
                .collect::<String>()
        );
        let s = Scenario::parse(&text, "t.ron").unwrap();
        assert_eq!(s.steps[0].note.as_deref(), Some("private anonymous, rw"));
        assert_eq!(s.steps[1].note, None);
        assert_eq!(
            s.steps[4].op,
            Op::SwapOut {
                pid: 2,
                addr: 0x11000
            }
        );
        assert_eq!(s.to_ron(), text);
        assert_eq!(
            s.steps[4].op.to_ron_line(),
            "SwapOut(pid: 2, addr: 0x11000)"
        );
    }

    #[test]
    fn errors_carry_line_column_and_what_was_expected() {
        let text = "Scenario(\n  title: \"x\",\n  steps: [\n    Frok(pid: 1, child: 2),\n  ],\n)";
        let e = Scenario::parse(text, "bad.ron").unwrap_err();
        let msg = e.to_string();
        assert!(msg.starts_with("bad.ron:4:"), "{msg}");
        assert!(msg.contains("Frok") && msg.contains("Fork"), "{msg}");

        let e = Scenario::parse("Scenario(steps: [Fork(pid: 1)])", "m.ron").unwrap_err();
        assert!(e.to_string().contains("child"), "{e}");

        let e = Scenario::parse("Scenario(steps: [Fork(pid: 1, child: 2, kid: 3)])", "m.ron")
            .unwrap_err();
        assert!(e.to_string().contains("kid"), "{e}");
        assert!(e.to_string().contains("`child`, `note`"), "{e}");

        let e = Scenario::parse(
            "Scenario(steps: [Mmap(pid: 1, addr: 0, pages: 1, prot: \"rwz\")])",
            "p.ron",
        )
        .unwrap_err();
        assert!(e.to_string().contains("'z'"), "{e}");
    }
}
