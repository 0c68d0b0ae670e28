//! The short op syntax of the TUI's command line, one to one with the scenario ops:
//!
//! ```text
//! spawn PID                       exec PID            exit PID
//! mmap PID ADDR PAGES [PROT] [shared] [file=NAME] [offset=PAGES]
//! munmap PID ADDR PAGES           mprotect PID ADDR PAGES PROT
//! mremap PID ADDR PAGES [NEW_PAGES] [to=ADDR]
//! madvise PID ADDR PAGES dontneed|free   brk PID START PAGES
//! read PID ADDR [PAGES]           write PID ADDR [PAGES]
//! fork PID CHILD                  swapout PID ADDR    referenced PID ADDR
//! ```
//!
//! Numbers are decimal or `0x` hex; PROT is letters from `rwx`, or `-` for none; op names are
//! case-insensitive; any op may end with `note="..."`. [`format`] writes an op back in this
//! syntax, and [`parse`] reads it back to the same op.

use std::fmt::Write as _;
use thiserror::Error;

use crate::model::op::Value;
use crate::model::op::quote;
use crate::model::{Advice, Op, Prot, Step};

/// One line per op, in [`crate::model::OP_NAMES`]'s order: its syntax (the usage shown when a
/// line does not parse), starting with the op's name in lower case.
pub const USAGE: &[&str] = &[
    "spawn PID",
    "mmap PID ADDR PAGES [PROT] [shared] [file=NAME] [offset=PAGES]",
    "munmap PID ADDR PAGES",
    "mprotect PID ADDR PAGES PROT",
    "mremap PID ADDR PAGES [NEW_PAGES] [to=ADDR]",
    "madvise PID ADDR PAGES dontneed|free",
    "brk PID START PAGES",
    "read PID ADDR [PAGES]",
    "write PID ADDR [PAGES]",
    "fork PID CHILD",
    "exec PID",
    "exit PID",
    "swapout PID ADDR",
    "referenced PID ADDR",
];

/// Why a line is not an op: what was wrong, and the syntax of the op (if the name was known).
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("{message}{}", usage.map(|u| format!(" (usage: {u})")).unwrap_or_default())]
pub struct OpLineError {
    pub message: String,
    pub usage: Option<&'static str>,
}

/// The syntax of the op called `name` (lower case).
pub fn usage_of(name: &str) -> Option<&'static str> {
    USAGE.iter().copied().find(|u| name_of(u) == name)
}

fn name_of(usage: &'static str) -> &'static str {
    usage.split(' ').next().unwrap_or(usage)
}

/// The op names, lower case, in the documentation's order (for completion).
pub fn op_names() -> impl Iterator<Item = &'static str> {
    USAGE.iter().copied().map(name_of)
}

/// Splits a line into words; `"..."` quotes a word (after `key=` too), `\"` and `\\` escape.
fn words(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        None => return Err("a quoted word is not closed (missing \")".into()),
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(e @ ('"' | '\\')) => cur.push(e),
                            Some('n') => cur.push('\n'),
                            Some(e) => {
                                cur.push('\\');
                                cur.push(e);
                            }
                            None => return Err("a quoted word is not closed (missing \")".into()),
                        },
                        Some(ch) => cur.push(ch),
                    }
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    out.push(std::mem::take(&mut cur));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                cur.push(c);
            }
        }
    }
    if in_word {
        out.push(cur);
    }
    Ok(out)
}

/// Parses a number: decimal, or hex with `0x`; `_` may separate digits.
pub fn number(s: &str) -> Option<u64> {
    let t = s.replace('_', "");
    if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else {
        t.parse().ok()
    }
}

struct Args<'a> {
    name: &'static str,
    pos: std::slice::Iter<'a, String>,
    opts: Vec<(String, String)>,
    flags: Vec<String>,
}

impl Args<'_> {
    fn err(&self, message: String) -> OpLineError {
        OpLineError {
            message: format!("{}: {message}", self.name),
            usage: usage_of(self.name),
        }
    }

    fn num(&mut self, what: &str, meaning: &str) -> Result<u64, OpLineError> {
        match self.pos.next() {
            None => Err(self.err(format!(
                "expected {what} ({meaning}), found the end of the line"
            ))),
            Some(w) => number(w)
                .ok_or_else(|| self.err(format!("expected {what} ({meaning}), found \"{w}\""))),
        }
    }

    fn pid(&mut self, what: &str) -> Result<u32, OpLineError> {
        let v = self.num(what, "a process id")?;
        u32::try_from(v).map_err(|_| self.err(format!("{what} {v} is too large")))
    }

    /// `PID ADDR PAGES`, the range that mmap, munmap, mprotect, mremap and madvise begin with.
    fn range(&mut self) -> Result<(u32, u64, u64), OpLineError> {
        Ok((
            self.pid("PID")?,
            self.num("ADDR", ADDR_MEANING)?,
            self.num("PAGES", PAGES_MEANING)?,
        ))
    }

    fn opt_num(&mut self, what: &str, meaning: &str) -> Result<Option<u64>, OpLineError> {
        match self.pos.as_slice().first() {
            None => Ok(None),
            Some(_) => self.num(what, meaning).map(Some),
        }
    }

    fn prot(&self, w: &str) -> Result<Prot, OpLineError> {
        let w = if w == "-" || w.eq_ignore_ascii_case("none") {
            ""
        } else {
            w
        };
        Prot::parse(w).map_err(|e| self.err(e))
    }

    fn take_opt(&mut self, key: &str) -> Option<String> {
        let i = self.opts.iter().position(|(k, _)| k == key)?;
        Some(self.opts.remove(i).1)
    }

    fn opt_number(&mut self, key: &str, meaning: &str) -> Result<Option<u64>, OpLineError> {
        match self.take_opt(key) {
            None => Ok(None),
            Some(v) => number(&v)
                .map(Some)
                .ok_or_else(|| self.err(format!("{key}= expects {meaning}, found \"{v}\""))),
        }
    }

    fn finish(mut self) -> Result<(), OpLineError> {
        if let Some(w) = self.pos.next() {
            return Err(self.err(format!("unexpected \"{w}\" at the end")));
        }
        if let Some((k, _)) = self.opts.first() {
            return Err(self.err(format!("unknown option \"{k}=\"")));
        }
        if let Some(f) = self.flags.first() {
            return Err(self.err(format!("unknown word \"{f}\"")));
        }
        Ok(())
    }
}

/// Parses one op line, with its note.
pub fn parse(line: &str) -> Result<Step, OpLineError> {
    let ws = words(line).map_err(|message| OpLineError {
        message,
        usage: None,
    })?;
    let Some((first, rest)) = ws.split_first() else {
        return Err(OpLineError {
            message: format!(
                "empty line: expected an op ({})",
                op_names().collect::<Vec<_>>().join(", ")
            ),
            usage: None,
        });
    };
    let lower = first.to_ascii_lowercase();
    let Some(name) = op_names().find(|n| *n == lower) else {
        return Err(OpLineError {
            message: format!(
                "unknown op \"{first}\": expected one of {}",
                op_names().collect::<Vec<_>>().join(", ")
            ),
            usage: None,
        });
    };
    // key=value options and bare flags may come anywhere after the positional words.
    let mut positional = Vec::new();
    let mut opts = Vec::new();
    let mut flags = Vec::new();
    for w in rest {
        if let Some((k, v)) = w.split_once('=') {
            opts.push((k.to_ascii_lowercase(), v.to_string()));
        } else if w.eq_ignore_ascii_case("shared") {
            flags.push("shared".to_string());
        } else {
            positional.push(w.clone());
        }
    }
    let mut a = Args {
        name,
        pos: positional.iter(),
        opts,
        flags,
    };
    let note = a.take_opt("note");
    let (addr_m, pages_m) = (ADDR_MEANING, PAGES_MEANING);
    let op = match name {
        "spawn" => Op::Spawn { pid: a.pid("PID")? },
        "exec" => Op::Exec { pid: a.pid("PID")? },
        "exit" => Op::Exit { pid: a.pid("PID")? },
        "fork" => Op::Fork {
            pid: a.pid("PID")?,
            child: a.pid("CHILD")?,
        },
        "mmap" => {
            let (pid, addr, pages) = a.range()?;
            let prot = match a.pos.next() {
                None => Prot::RW,
                Some(w) => {
                    let w = w.clone();
                    a.prot(&w)?
                }
            };
            let shared = a.flags.iter().any(|f| f == "shared");
            a.flags.retain(|f| f != "shared");
            let file = a.take_opt("file");
            if file.as_deref() == Some("") {
                return Err(a.err("file= needs a name".into()));
            }
            let offset = a.opt_number("offset", "a page offset")?.unwrap_or(0);
            Op::mmap(pid, addr, pages, prot, shared, file, offset)
        }
        "munmap" => {
            let (pid, addr, pages) = a.range()?;
            Op::Munmap { pid, addr, pages }
        }
        "mprotect" => {
            let (pid, addr, pages) = a.range()?;
            let prot = match a.pos.next() {
                None => {
                    return Err(a.err(
                        "expected PROT (letters from rwx, or - for none), found the end of the line"
                            .into(),
                    ));
                }
                Some(w) => {
                    let w = w.clone();
                    a.prot(&w)?
                }
            };
            Op::Mprotect {
                pid,
                addr,
                pages,
                prot,
            }
        }
        "mremap" => {
            let (pid, addr, pages) = a.range()?;
            Op::Mremap {
                pid,
                addr,
                pages,
                new_pages: a.opt_num("NEW_PAGES", pages_m)?,
                to: a.opt_number("to", addr_m)?,
            }
        }
        "madvise" => {
            let (pid, addr, pages) = a.range()?;
            let advice = match a.pos.next() {
                None => {
                    return Err(a.err(
                        "expected the advice (dontneed or free), found the end of the line".into(),
                    ));
                }
                Some(w) => Advice::parse(w).map_err(|m| a.err(m))?,
            };
            Op::Madvise {
                pid,
                addr,
                pages,
                advice,
            }
        }
        "brk" => Op::Brk {
            pid: a.pid("PID")?,
            start: a.num("START", addr_m)?,
            pages: a.num("PAGES", pages_m)?,
        },
        "read" | "write" => {
            let pid = a.pid("PID")?;
            let addr = a.num("ADDR", addr_m)?;
            let pages = a.opt_num("PAGES", pages_m)?.unwrap_or(1);
            if name == "read" {
                Op::Read { pid, addr, pages }
            } else {
                Op::Write { pid, addr, pages }
            }
        }
        "swapout" => Op::SwapOut {
            pid: a.pid("PID")?,
            addr: a.num("ADDR", addr_m)?,
        },
        _ => Op::Referenced {
            pid: a.pid("PID")?,
            addr: a.num("ADDR", addr_m)?,
        },
    };
    a.finish()?;
    Ok(Step {
        op,
        note: note.filter(|n| !n.is_empty()),
    })
}

/// What an ADDR and a PAGES are, for the errors.
const ADDR_MEANING: &str = "an address, e.g. 0x10000";
const PAGES_MEANING: &str = "a number of 4 KiB pages";

/// Options written `key=VALUE`; the other fields are positional, and a set flag is a bare word.
const KEYED: [&str; 3] = ["file", "offset", "to"];

/// Writes `op` in the short syntax; [`parse`] reads it back.
pub fn format(op: &Op) -> String {
    let mut s = op.name().to_ascii_lowercase();
    for (key, value) in op.fields() {
        s.push(' ');
        if KEYED.contains(&key) {
            s.push_str(key);
            s.push('=');
        }
        let _ = match value {
            Value::Dec(v) => write!(s, "{v}"),
            Value::Hex(v) => write!(s, "{v:#x}"),
            Value::Prot(p) if p == Prot::default() => write!(s, "-"),
            Value::Prot(p) => write!(s, "{p}"),
            Value::Flag => write!(s, "{key}"),
            Value::Str(v) => write!(s, "{}", word(v)),
        };
    }
    s
}

/// Writes `step` in the short syntax with its note.
pub fn format_step(step: &Step) -> String {
    let mut s = format(&step.op);
    if let Some(n) = &step.note {
        let _ = write!(s, " note={}", quote(n));
    }
    s
}

/// A word as [`words`] reads it back: quoted when it holds a blank, a quote or `=`.
fn word(w: &str) -> String {
    if w.chars().any(|c| c.is_whitespace() || c == '"' || c == '=') {
        quote(w)
    } else {
        w.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::MmapArgs;
    use crate::model::OP_NAMES;

    fn ok(line: &str) -> Op {
        step(line).op
    }

    fn step(line: &str) -> Step {
        parse(line).unwrap_or_else(|e| panic!("{line}: {e}"))
    }

    fn err(line: &str) -> OpLineError {
        parse(line).expect_err(line)
    }

    #[test]
    fn the_issue_examples_parse_to_their_scenario_ops() {
        assert_eq!(ok("fork 1 2"), Op::Fork { pid: 1, child: 2 });
        assert_eq!(
            ok("mmap 1 0x10000 4 rw"),
            Op::Mmap(MmapArgs {
                pid: 1,
                addr: 0x10000,
                pages: 4,
                prot: Prot::RW,
                shared: false,
                file: None,
                offset: 0
            })
        );
        assert_eq!(
            ok("mmap 1 0x20000 2 r file=lib.so"),
            Op::Mmap(MmapArgs {
                pid: 1,
                addr: 0x20000,
                pages: 2,
                prot: Prot::R,
                shared: false,
                file: Some("lib.so".into()),
                offset: 0
            })
        );
        assert_eq!(
            ok("write 2 0x10000 1"),
            Op::Write {
                pid: 2,
                addr: 0x10000,
                pages: 1
            }
        );
        assert_eq!(
            ok("mremap 1 0x10000 4 to=0x80000"),
            Op::Mremap {
                pid: 1,
                addr: 0x10000,
                pages: 4,
                new_pages: None,
                to: Some(0x80000)
            }
        );
        assert_eq!(
            ok("swapout 2 0x11000"),
            Op::SwapOut {
                pid: 2,
                addr: 0x11000
            }
        );
    }

    #[test]
    fn every_op_has_a_syntax_and_round_trips() {
        let ops = [
            "spawn 3",
            "mmap 1 0x10000 4 rw",
            "mmap 1 0x10000 4 - shared file=\"my lib.so\" offset=2",
            "mmap 2 0x30000 8 rwx shared",
            "munmap 1 0x11000 1",
            "mprotect 1 0x10000 2 r",
            "mprotect 1 0x10000 2 -",
            "mremap 1 0x10000 4 8 to=0x80000",
            "mremap 1 0x10000 4 2",
            "madvise 1 0x10000 2 dontneed",
            "madvise 1 0x10000 2 free",
            "brk 1 0x10000 3",
            "brk 1 0x10000 0",
            "read 2 0x10000 3",
            "write 2 0x10000 1",
            "fork 1 2",
            "exec 2",
            "exit 2",
            "swapout 2 0x11000",
            "referenced 1 0x81000 note=\"is it young?\"",
        ];
        let mut names = std::collections::HashSet::new();
        for l in ops {
            let s = step(l);
            names.insert(s.op.name());
            assert_eq!(step(&format_step(&s)), s, "{l}");
            assert_eq!(ok(&format(&s.op)), s.op, "{l}");
        }
        assert_eq!(
            step("referenced 1 0x81000 note=\"is it young?\"")
                .note
                .as_deref(),
            Some("is it young?")
        );
        assert_eq!(names.len(), OP_NAMES.len(), "every op is covered");
        let lower: Vec<String> = OP_NAMES.iter().map(|n| n.to_ascii_lowercase()).collect();
        assert_eq!(
            op_names().collect::<Vec<_>>(),
            lower,
            "a syntax per op, in order"
        );
    }

    #[test]
    fn defaults_follow_the_scenario_format() {
        // The scenario format's defaults (README): prot "rw", shared false, offset 0; read/write pages 1.
        assert_eq!(ok("read 1 0x1000"), ok("read 1 0x1000 1"));
        assert_eq!(ok("MMAP 1 4096 1"), ok("mmap 1 0x1000 1 rw"));
        assert_eq!(ok("SwapOut 1 0x1000").name(), "SwapOut");
        assert_eq!(ok("write 1 0x1_0000 2"), ok("write 1 65536 2"));
    }

    #[test]
    fn errors_say_what_was_expected_and_show_the_usage() {
        let e = err("frob 1");
        assert!(e.message.contains("unknown op \"frob\""), "{e}");
        assert!(e.message.contains("swapout"), "{e}");
        assert_eq!(e.usage, None);

        let e = err("mmap 1 0x10000");
        assert!(e.message.contains("expected PAGES"), "{e}");
        assert!(e.message.contains("end of the line"), "{e}");
        assert_eq!(e.usage, usage_of("mmap"));
        assert!(e.to_string().contains("usage: mmap PID ADDR PAGES"), "{e}");

        let e = err("madvise 1 0x1000 1 willneed");
        assert!(
            e.message.contains("\"willneed\"") && e.message.contains("\"dontneed\", \"free\""),
            "{e}"
        );
        assert_eq!(
            ok("madvise 1 0x1000 1 DONTNEED"),
            ok("madvise 1 0x1000 1 dontneed")
        );

        // Each line refused, and a piece of what the message says.
        for (line, says) in [
            ("fork 1 two", "expected CHILD (a process id), found \"two\""),
            ("fork 1", "expected CHILD"),
            ("spawn", "expected PID"),
            ("exec 99999999999", "too large"),
            ("mmap 1 0x1000 1 rq", "'q'"),
            ("mprotect 1 0x1000 1", "expected PROT"),
            ("madvise 1 0x1000 1", "expected the advice"),
            ("munmap 1 0x1000 1 7", "unexpected \"7\""),
            ("swapout 1 0x1000 color=red", "unknown option \"color=\""),
            ("mremap 1 0x1000 1 to=here", "to= expects"),
            ("mmap 1 0x1000 1 offset=x file=a", "offset= expects"),
            ("mmap 1 0x1000 1 file=", "file= needs a name"),
            ("write 1 0x1000 1 shared", "unknown word \"shared\""),
            ("read 1 0x1000 note=\"open", "not closed"),
            ("", "empty line"),
            ("   ", "expected an op"),
        ] {
            let e = err(line);
            assert!(e.message.contains(says), "{line:?}: {e}");
        }
    }
}
