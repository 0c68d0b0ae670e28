//! The operations a scenario is made of (README's scenario format), and the steps (an op and its note) as
//! RON reads and writes them.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt::{self, Write as _};

use super::types::{Addr, Advice, Pid, Prot};

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

impl Serialize for Advice {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Advice {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Advice::parse(&s).map_err(serde::de::Error::custom)
    }
}

fn default_rw() -> Prot {
    Prot::RW
}

fn one() -> u64 {
    1
}

/// Writes [`Op`] from [`ops!`]'s list, one op at a time: an op with an argument struct holds it
/// (`Mmap(MmapArgs)`), the others hold their fields.
macro_rules! op_enum {
    ([$($done:tt)*]) => {
        /// One memory-management operation. A scenario's [`Step`] is an op and its note.
        #[derive(Clone, Debug, PartialEq, Eq)]
        pub enum Op {
            $($done)*
        }
    };
    ([$($done:tt)*] [$($doc:tt)*] $name:ident ($args:ident) { $($field:ident: $ty:ty),* } $($rest:tt)*) => {
        op_enum! { [$($done)* $($doc)* $name($args),] $($rest)* }
    };
    ([$($done:tt)*] [$($doc:tt)*] $name:ident () { $($field:ident: $ty:ty),* } $($rest:tt)*) => {
        op_enum! { [$($done)* $($doc)* $name { $($field: $ty),* },] $($rest)* }
    };
}

/// The [`Op`] of [`ops!`]'s op `$name` with the fields that are in scope.
macro_rules! op_value {
    ($name:ident ($args:ident) { $($field:ident),* }) => {
        Op::$name($args { $($field),* })
    };
    ($name:ident () { $($field:ident),* }) => {
        Op::$name { $($field),* }
    };
}

/// Defines [`Op`], [`OpKind`], [`OP_NAMES`], [`Op::name`] and the form in which a scenario file writes a
/// step, from one list of the ops: RON writes a step as its op with the note among the op's
/// fields (`Fork(pid: 1, child: 2, note: "...")`), so that form is an enum like `Op` with a
/// `note` field in every variant. The `#[serde(...)]` attributes apply to that form only. An op
/// written `Name(Args) { fields }` holds its fields in the struct `Args` ([`MmapArgs`]).
macro_rules! ops {
    ($(
        $(#[doc = $doc:literal])*
        $name:ident $(($args:ident))? { $( $(#[serde($($attr:tt)*)])* $field:ident : $ty:ty ),* $(,)? }
    ),* $(,)?) => {
        op_enum! {
            []
            $( [$(#[doc = $doc])*] $name ($($args)?) { $($field: $ty),* } )*
        }

        /// The op names, in the order the documentation lists them.
        pub const OP_NAMES: &[&str] = &[$(stringify!($name)),*];

        /// What kind of op an [`Op`] is, without its fields: one per variant, so that code that
        /// chooses or tallies ops (the fuzzer) names the ops as the model does.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum OpKind {
            $( $name, )*
        }

        impl OpKind {
            /// Every kind, in [`OP_NAMES`]'s order.
            pub const ALL: &[OpKind] = &[$(OpKind::$name),*];

            /// The name as the scenario writes it.
            pub fn name(self) -> &'static str {
                match self {
                    $( OpKind::$name => stringify!($name), )*
                }
            }
        }

        impl Op {
            /// The op's kind.
            pub fn kind(&self) -> OpKind {
                match self {
                    $( Op::$name { .. } => OpKind::$name, )*
                }
            }

            /// The op's name as the scenario writes it.
            pub fn name(&self) -> &'static str {
                self.kind().name()
            }
        }

        /// A step as a scenario file writes it (see [`ops!`]).
        #[derive(Deserialize)]
        #[serde(rename = "Op", deny_unknown_fields)]
        enum StepRecord {
            $( $name {
                $( $(#[serde($($attr)*)])* $field: $ty, )*
                #[serde(default)]
                note: Option<String>,
            }, )*
        }

        impl From<StepRecord> for Step {
            fn from(r: StepRecord) -> Step {
                match r {
                    $( StepRecord::$name { $($field,)* note } => Step {
                        op: op_value!($name ($($args)?) { $($field),* }),
                        note,
                    }, )*
                }
            }
        }
    };
}

ops! {
    /// A new process with an empty address space, unrelated to any other.
    Spawn { pid: Pid },
    /// mmap(addr, pages, prot, MAP_FIXED_NOREPLACE | MAP_PRIVATE or MAP_SHARED, file or anonymous).
    Mmap(MmapArgs) {
        pid: Pid,
        addr: Addr,
        pages: u64,
        #[serde(default = "default_rw")]
        prot: Prot,
        #[serde(default)]
        shared: bool,
        #[serde(default)]
        file: Option<String>,
        #[serde(default)]
        offset: u64,
    },
    /// munmap(addr, pages): whole vmas, or parts of them (the rest is split off).
    Munmap { pid: Pid, addr: Addr, pages: u64 },
    /// mprotect(addr, pages, prot): splits, and re-merges where the scheme's rules allow.
    Mprotect { pid: Pid, addr: Addr, pages: u64, prot: Prot },
    /// mremap(addr, pages, new_pages [, MREMAP_MAYMOVE | MREMAP_FIXED, to]).
    Mremap {
        pid: Pid,
        addr: Addr,
        pages: u64,
        #[serde(default)]
        new_pages: Option<u64>,
        #[serde(default)]
        to: Option<Addr>,
    },
    /// madvise(addr, pages, MADV_DONTNEED or MADV_FREE): the ptes go (or, for MADV_FREE,
    /// become lazily freeable), the vmas stay.
    Madvise {
        pid: Pid,
        addr: Addr,
        pages: u64,
        advice: Advice,
    },
    /// brk(start + pages * 4096): the heap that starts at `start` (mm->start_brk, fixed at
    /// exec) grows or shrinks to `pages` pages; the first Brk of an address space fixes `start`.
    Brk { pid: Pid, start: Addr, pages: u64 },
    /// Loads from each page: read faults where nothing is mapped yet.
    Read {
        pid: Pid,
        addr: Addr,
        #[serde(default = "one")]
        pages: u64,
    },
    /// Stores to each page: write faults, copy-on-write.
    Write {
        pid: Pid,
        addr: Addr,
        #[serde(default = "one")]
        pages: u64,
    },
    /// fork(): `child` gets a copy of `pid`'s address space.
    Fork { pid: Pid, child: Pid },
    /// execve(): the same pid gets a fresh, empty address space.
    Exec { pid: Pid },
    /// exit(): the address space is torn down and the pid goes away.
    Exit { pid: Pid },
    /// Reclaim the page mapped at (pid, addr): the rmap walk try_to_unmap, then swap or drop.
    SwapOut { pid: Pid, addr: Addr },
    /// Ask whether the page mapped at (pid, addr) was used: the rmap walk page_referenced.
    Referenced { pid: Pid, addr: Addr },
}

/// The arguments of an [`Op::Mmap`]: `pages` pages at `addr` in process `pid` with `prot`, private
/// or `shared`, of `file` from page `offset` on, or anonymous (no file, offset 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MmapArgs {
    pub pid: Pid,
    pub addr: Addr,
    pub pages: u64,
    pub prot: Prot,
    pub shared: bool,
    pub file: Option<String>,
    /// The file offset, in pages.
    pub offset: u64,
}

/// One step of a scenario: an op and its teaching note. A scenario file writes it as the op
/// with a `note` field, `Mmap(pid: 1, addr: 0x10000, pages: 4, note: "...")`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    pub op: Op,
    pub note: Option<String>,
}

impl From<Op> for Step {
    fn from(op: Op) -> Step {
        Step { op, note: None }
    }
}

impl<'de> Deserialize<'de> for Step {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        StepRecord::deserialize(d).map(Step::from)
    }
}

impl Step {
    /// The step as one line of RON with its note; [`crate::scenario::Scenario::parse`] reads it
    /// back identically.
    pub fn to_ron(&self) -> String {
        let mut f = Fields::new(self.op.name());
        for (key, value) in self.op.fields() {
            f.field(key, &value);
        }
        if let Some(n) = &self.note {
            f.field("note", &Value::Str(n));
        }
        f.finish()
    }
}

/// A field's value as the op writers write it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Value<'a> {
    /// A number written in decimal (pids, page counts, offsets).
    Dec(u64),
    /// A number written in hex (addresses).
    Hex(u64),
    Prot(Prot),
    /// A flag that is set (a flag that is not set is left out).
    Flag,
    Str(&'a str),
}

impl Op {
    /// An [`Op::Mmap`] with every field given, for the code that builds one from parts
    /// (the op line, the fuzzer).
    pub fn mmap(
        pid: Pid,
        addr: Addr,
        pages: u64,
        prot: Prot,
        shared: bool,
        file: Option<String>,
        offset: u64,
    ) -> Op {
        Op::Mmap(MmapArgs {
            pid,
            addr,
            pages,
            prot,
            shared,
            file,
            offset,
        })
    }
}

impl Op {
    /// The op's fields in the scenario format's order, as written: optional ones at their
    /// default (no file, no `to`, not shared, offset 0) are left out. RON ([`Step::to_ron`]) and
    /// the command line's short syntax ([`crate::scenario::opline::format`]) write these.
    pub fn fields(&self) -> Vec<(&'static str, Value<'_>)> {
        use Value::{Dec, Hex};
        let mut v = vec![("pid", Dec(u64::from(self.pid())))];
        if let Some((addr, pages)) = self.range() {
            v.extend([("addr", Hex(addr)), ("pages", Dec(pages))]);
        }
        match self {
            Op::Spawn { .. }
            | Op::Exec { .. }
            | Op::Exit { .. }
            | Op::Munmap { .. }
            | Op::Read { .. }
            | Op::Write { .. } => {}
            Op::Fork { child, .. } => v.push(("child", Dec(u64::from(*child)))),
            Op::SwapOut { addr, .. } | Op::Referenced { addr, .. } => v.push(("addr", Hex(*addr))),
            Op::Brk { start, pages, .. } => {
                v.extend([("start", Hex(*start)), ("pages", Dec(*pages))]);
            }
            Op::Mprotect { prot, .. } => v.push(("prot", Value::Prot(*prot))),
            Op::Madvise { advice, .. } => v.push(("advice", Value::Str(advice.as_str()))),
            Op::Mmap(m) => {
                v.push(("prot", Value::Prot(m.prot)));
                v.extend(m.shared.then_some(("shared", Value::Flag)));
                v.extend(m.file.as_deref().map(|f| ("file", Value::Str(f))));
                v.extend((m.offset != 0).then_some(("offset", Dec(m.offset))));
            }
            Op::Mremap { new_pages, to, .. } => {
                v.extend(new_pages.map(|n| ("new_pages", Dec(n))));
                v.extend(to.map(|t| ("to", Hex(t))));
            }
        }
        v
    }

    /// The `pages` pages at `addr` that the range ops (mmap, munmap, mprotect, mremap, madvise,
    /// read, write) name, as (addr, pages).
    fn range(&self) -> Option<(Addr, u64)> {
        match self {
            Op::Mmap(MmapArgs { addr, pages, .. })
            | Op::Munmap { addr, pages, .. }
            | Op::Mprotect { addr, pages, .. }
            | Op::Mremap { addr, pages, .. }
            | Op::Madvise { addr, pages, .. }
            | Op::Read { addr, pages, .. }
            | Op::Write { addr, pages, .. } => Some((*addr, *pages)),
            Op::Spawn { .. }
            | Op::Fork { .. }
            | Op::Exec { .. }
            | Op::Exit { .. }
            | Op::Brk { .. }
            | Op::SwapOut { .. }
            | Op::Referenced { .. } => None,
        }
    }

    /// The address ranges the op names, as (argument, start, pages): the range of `pages` at
    /// `addr`, and for mremap the new size at the old and (with `to`) the new address.
    pub fn ranges(&self) -> Vec<(&'static str, Addr, u64)> {
        match self {
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
            // A heap of no pages still has its start.
            Op::Brk { start, pages, .. } => vec![("pages", *start, (*pages).max(1))],
            Op::SwapOut { addr, .. } | Op::Referenced { addr, .. } => vec![("pages", *addr, 1)],
            // The other range ops name their range; the rest name none.
            _ => self
                .range()
                .map(|(addr, pages)| vec![("pages", addr, pages)])
                .unwrap_or_default(),
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

    /// The process the op acts on.
    pub fn pid(&self) -> Pid {
        match *self {
            Op::Spawn { pid, .. }
            | Op::Mmap(MmapArgs { pid, .. })
            | Op::Munmap { pid, .. }
            | Op::Mprotect { pid, .. }
            | Op::Mremap { pid, .. }
            | Op::Madvise { pid, .. }
            | Op::Brk { pid, .. }
            | Op::Read { pid, .. }
            | Op::Write { pid, .. }
            | Op::Fork { pid, .. }
            | Op::Exec { pid, .. }
            | Op::Exit { pid, .. }
            | Op::SwapOut { pid, .. }
            | Op::Referenced { pid, .. } => pid,
        }
    }

    /// The op as a step with a note.
    pub fn with_note(self, note: impl Into<String>) -> Step {
        Step {
            op: self,
            note: Some(note.into()),
        }
    }

    /// True for the ops that run an rmap walk.
    pub fn is_walk(&self) -> bool {
        matches!(self, Op::SwapOut { .. } | Op::Referenced { .. })
    }

    /// The op as one line of RON, without a note: `Fork(pid: 1, child: 2)`. Addresses are
    /// written in hex.
    pub fn to_ron_line(&self) -> String {
        Step::from(self.clone()).to_ron()
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
    fn field(&mut self, key: &str, value: &Value) {
        if !self.first {
            self.out.push_str(", ");
        }
        self.first = false;
        self.out.push_str(key);
        self.out.push_str(": ");
        let _ = match value {
            Value::Dec(v) => write!(self.out, "{v}"),
            Value::Hex(v) => write!(self.out, "{v:#x}"),
            Value::Prot(p) => write!(self.out, "{}", quote(&p.to_string())),
            Value::Flag => write!(self.out, "true"),
            Value::Str(s) => write!(self.out, "{}", quote(s)),
        };
    }
    fn finish(mut self) -> String {
        self.out.push(')');
        self.out
    }
}

/// A RON string literal for `s`.
pub fn quote(s: &str) -> String {
    quote_with(s, |out, c| match c {
        '\t' => out.push_str("\\t"),
        '\r' => out.push_str("\\r"),
        c => {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        }
    })
}

/// `s` in double quotes with `"`, `\` and newlines escaped by a backslash; every other control
/// character is given to `control`, which writes what stands for it (RON's escapes in
/// [`quote`], nothing in a DOT label).
pub fn quote_with(s: &str, control: impl Fn(&mut String, char)) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => control(&mut out, c),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}
