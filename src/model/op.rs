//! The operations a scenario is made of (design.md §3), as RON reads and writes them.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt::{self, Write as _};

use super::types::{Addr, Pid, Prot};

impl Serialize for Prot {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Prot {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Prot::parse(&s).map_err(serde::de::Error::custom)
    }
}

fn default_rw() -> Prot {
    Prot::RW
}

fn one() -> u64 {
    1
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// One step of a scenario. Externally tagged, so RON writes `Fork(pid: 1, child: 2)`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Op {
    /// A new process with an empty address space, unrelated to any other.
    Spawn {
        pid: Pid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// mmap(addr, pages, prot, MAP_FIXED_NOREPLACE | MAP_PRIVATE or MAP_SHARED, file or anonymous).
    Mmap {
        pid: Pid,
        addr: Addr,
        pages: u64,
        #[serde(default = "default_rw")]
        prot: Prot,
        #[serde(default, skip_serializing_if = "is_false")]
        shared: bool,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        file: Option<String>,
        #[serde(default)]
        offset: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// munmap(addr, pages): whole vmas, or parts of them (the rest is split off).
    Munmap {
        pid: Pid,
        addr: Addr,
        pages: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// mprotect(addr, pages, prot): splits, and re-merges where the scheme's rules allow.
    Mprotect {
        pid: Pid,
        addr: Addr,
        pages: u64,
        prot: Prot,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// mremap(addr, pages, new_pages [, MREMAP_MAYMOVE | MREMAP_FIXED, to]).
    Mremap {
        pid: Pid,
        addr: Addr,
        pages: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        new_pages: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<Addr>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Loads from each page: read faults where nothing is mapped yet.
    Read {
        pid: Pid,
        addr: Addr,
        #[serde(default = "one")]
        pages: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Stores to each page: write faults, copy-on-write.
    Write {
        pid: Pid,
        addr: Addr,
        #[serde(default = "one")]
        pages: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// fork(): `child` gets a copy of `pid`'s address space.
    Fork {
        pid: Pid,
        child: Pid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// execve(): the same pid gets a fresh, empty address space.
    Exec {
        pid: Pid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// exit(): the address space is torn down and the pid goes away.
    Exit {
        pid: Pid,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Reclaim the page mapped at (pid, addr): the rmap walk try_to_unmap, then swap or drop.
    SwapOut {
        pid: Pid,
        addr: Addr,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    /// Ask whether the page mapped at (pid, addr) was used: the rmap walk page_referenced.
    Referenced {
        pid: Pid,
        addr: Addr,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
}

/// The op names, in the order the documentation lists them.
pub const OP_NAMES: [&str; 12] = [
    "Spawn",
    "Mmap",
    "Munmap",
    "Mprotect",
    "Mremap",
    "Read",
    "Write",
    "Fork",
    "Exec",
    "Exit",
    "SwapOut",
    "Referenced",
];

impl Op {
    /// The address ranges the op names, as (argument, start, pages): the range of `pages` at
    /// `addr`, and for mremap the new size at the old and (with `to`) the new address.
    pub fn ranges(&self) -> Vec<(&'static str, Addr, u64)> {
        match self {
            Op::Mmap { addr, pages, .. }
            | Op::Munmap { addr, pages, .. }
            | Op::Mprotect { addr, pages, .. }
            | Op::Read { addr, pages, .. }
            | Op::Write { addr, pages, .. } => vec![("pages", *addr, *pages)],
            Op::Mremap {
                addr,
                pages,
                new_pages,
                to,
                ..
            } => {
                let new = new_pages.unwrap_or(*pages);
                let mut v = vec![("pages", *addr, *pages), ("new_pages", *addr, new)];
                v.extend(to.map(|t| ("new_pages", t, new)));
                v
            }
            Op::SwapOut { addr, .. } | Op::Referenced { addr, .. } => vec![("pages", *addr, 1)],
            Op::Spawn { .. } | Op::Fork { .. } | Op::Exec { .. } | Op::Exit { .. } => vec![],
        }
    }

    /// What is wrong with the op's addresses and sizes whatever the state: an address that is
    /// not page-aligned, no pages or too many, a range past the end of the user address space.
    /// The machine refuses such an op when it applies it ([`super::StepError`]); the TUI asks
    /// first, so that a mistyped op changes nothing.
    pub fn range_error(&self) -> Option<super::StepError> {
        self.ranges()
            .into_iter()
            .find_map(|(what, addr, pages)| super::Machine::check_range(what, addr, pages).err())
    }

    /// The op's name as the scenario writes it.
    pub fn name(&self) -> &'static str {
        match self {
            Op::Spawn { .. } => "Spawn",
            Op::Mmap { .. } => "Mmap",
            Op::Munmap { .. } => "Munmap",
            Op::Mprotect { .. } => "Mprotect",
            Op::Mremap { .. } => "Mremap",
            Op::Read { .. } => "Read",
            Op::Write { .. } => "Write",
            Op::Fork { .. } => "Fork",
            Op::Exec { .. } => "Exec",
            Op::Exit { .. } => "Exit",
            Op::SwapOut { .. } => "SwapOut",
            Op::Referenced { .. } => "Referenced",
        }
    }

    /// The process the op acts on.
    pub fn pid(&self) -> Pid {
        match self {
            Op::Spawn { pid, .. }
            | Op::Mmap { pid, .. }
            | Op::Munmap { pid, .. }
            | Op::Mprotect { pid, .. }
            | Op::Mremap { pid, .. }
            | Op::Read { pid, .. }
            | Op::Write { pid, .. }
            | Op::Fork { pid, .. }
            | Op::Exec { pid, .. }
            | Op::Exit { pid, .. }
            | Op::SwapOut { pid, .. }
            | Op::Referenced { pid, .. } => *pid,
        }
    }

    /// The step's teaching note, if any.
    pub fn note(&self) -> Option<&str> {
        match self {
            Op::Spawn { note, .. }
            | Op::Mmap { note, .. }
            | Op::Munmap { note, .. }
            | Op::Mprotect { note, .. }
            | Op::Mremap { note, .. }
            | Op::Read { note, .. }
            | Op::Write { note, .. }
            | Op::Fork { note, .. }
            | Op::Exec { note, .. }
            | Op::Exit { note, .. }
            | Op::SwapOut { note, .. }
            | Op::Referenced { note, .. } => note.as_deref(),
        }
    }

    /// Mutable access to the note, for editors.
    pub fn note_mut(&mut self) -> &mut Option<String> {
        match self {
            Op::Spawn { note, .. }
            | Op::Mmap { note, .. }
            | Op::Munmap { note, .. }
            | Op::Mprotect { note, .. }
            | Op::Mremap { note, .. }
            | Op::Read { note, .. }
            | Op::Write { note, .. }
            | Op::Fork { note, .. }
            | Op::Exec { note, .. }
            | Op::Exit { note, .. }
            | Op::SwapOut { note, .. }
            | Op::Referenced { note, .. } => note,
        }
    }

    /// True for the ops that run an rmap walk.
    pub fn is_walk(&self) -> bool {
        matches!(self, Op::SwapOut { .. } | Op::Referenced { .. })
    }

    /// The op as one line of RON, without its note. It parses back to the same op (minus the note).
    pub fn to_ron_line(&self) -> String {
        self.to_ron(false)
    }

    /// The op as RON; `with_note` adds the note field. Addresses are written in hex.
    pub fn to_ron(&self, with_note: bool) -> String {
        let mut f = Fields::new(self.name());
        match self {
            Op::Spawn { pid, .. } | Op::Exec { pid, .. } | Op::Exit { pid, .. } => {
                f.dec("pid", *pid as u64);
            }
            Op::Mmap {
                pid,
                addr,
                pages,
                prot,
                shared,
                file,
                offset,
                ..
            } => {
                f.dec("pid", *pid as u64);
                f.hex("addr", *addr);
                f.dec("pages", *pages);
                f.str("prot", &prot.to_string());
                if *shared {
                    f.raw("shared", "true");
                }
                if let Some(file) = file {
                    f.str("file", file);
                }
                if *offset != 0 {
                    f.dec("offset", *offset);
                }
            }
            Op::Munmap {
                pid, addr, pages, ..
            } => {
                f.dec("pid", *pid as u64);
                f.hex("addr", *addr);
                f.dec("pages", *pages);
            }
            Op::Mprotect {
                pid,
                addr,
                pages,
                prot,
                ..
            } => {
                f.dec("pid", *pid as u64);
                f.hex("addr", *addr);
                f.dec("pages", *pages);
                f.str("prot", &prot.to_string());
            }
            Op::Mremap {
                pid,
                addr,
                pages,
                new_pages,
                to,
                ..
            } => {
                f.dec("pid", *pid as u64);
                f.hex("addr", *addr);
                f.dec("pages", *pages);
                if let Some(n) = new_pages {
                    f.dec("new_pages", *n);
                }
                if let Some(t) = to {
                    f.hex("to", *t);
                }
            }
            Op::Read {
                pid, addr, pages, ..
            }
            | Op::Write {
                pid, addr, pages, ..
            } => {
                f.dec("pid", *pid as u64);
                f.hex("addr", *addr);
                f.dec("pages", *pages);
            }
            Op::Fork { pid, child, .. } => {
                f.dec("pid", *pid as u64);
                f.dec("child", *child as u64);
            }
            Op::SwapOut { pid, addr, .. } | Op::Referenced { pid, addr, .. } => {
                f.dec("pid", *pid as u64);
                f.hex("addr", *addr);
            }
        }
        if with_note && let Some(n) = self.note() {
            f.str("note", n);
        }
        f.finish()
    }
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_ron_line())
    }
}

/// Writes `Name(a: 1, b: 0x10)`.
struct Fields {
    out: String,
    first: bool,
}

impl Fields {
    fn new(name: &str) -> Self {
        Fields {
            out: format!("{name}("),
            first: true,
        }
    }
    fn sep(&mut self, key: &str) {
        if !self.first {
            self.out.push_str(", ");
        }
        self.first = false;
        self.out.push_str(key);
        self.out.push_str(": ");
    }
    fn dec(&mut self, key: &str, v: u64) {
        self.sep(key);
        let _ = write!(self.out, "{v}");
    }
    fn hex(&mut self, key: &str, v: u64) {
        self.sep(key);
        let _ = write!(self.out, "{v:#x}");
    }
    fn raw(&mut self, key: &str, v: &str) {
        self.sep(key);
        self.out.push_str(v);
    }
    fn str(&mut self, key: &str, v: &str) {
        self.sep(key);
        self.out.push_str(&quote(v));
    }
    fn finish(mut self) -> String {
        self.out.push(')');
        self.out
    }
}

/// A RON string literal for `s`.
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
