//! What a scenario may make `check` use of the machine, decided by the person who runs it, not
//! by the scenario: the bytes of its files (tmpfs, that is RAM, for as long as the check runs),
//! the bytes its reads and writes can fault in, and the processes alive at once. A scenario over
//! a limit is refused before anything runs, naming the step that goes over it.
//!
//! The counts are upper bounds read off the ops, as the model grows a file to cover every
//! mapping made of it (`offset + pages`), and every page a read or a write touches may become a
//! new page; an op the model refuses is counted all the same.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{MmapArgs, Op, PAGE_SIZE};
use crate::scenario::Scenario;
use crate::util::size_text;

/// The limits of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The scenario's files together, in bytes (`--max-file-bytes`).
    pub file_bytes: u64,
    /// The pages its reads and writes touch, all steps together, in bytes
    /// (`--max-touched-bytes`).
    pub touched_bytes: u64,
    /// Processes alive at once (`--max-processes`).
    pub processes: u32,
}

impl Limits {
    pub const DEFAULT_FILE_BYTES: u64 = 256 << 20;
    pub const DEFAULT_TOUCHED_BYTES: u64 = 1 << 30;
    pub const DEFAULT_PROCESSES: u32 = 256;
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            file_bytes: Self::DEFAULT_FILE_BYTES,
            touched_bytes: Self::DEFAULT_TOUCHED_BYTES,
            processes: Self::DEFAULT_PROCESSES,
        }
    }
}

/// Bytes of `pages` pages, saturating.
fn bytes(pages: u64) -> u64 {
    pages.saturating_mul(PAGE_SIZE)
}

/// Checks `s` against `l`; the error says which step goes over which limit, and the flag that
/// raises it.
pub fn check_limits(s: &Scenario, l: &Limits) -> Result<(), String> {
    let mut files: BTreeMap<&str, u64> = BTreeMap::new();
    let mut touched: u64 = 0;
    let mut live: BTreeSet<u32> = BTreeSet::from([1]);
    let over = |i: usize, op: &Op, what: String, limit: String, flag: &str| {
        format!(
            "step {} ({}) {what}; check allows {limit} (--{flag} raises it)",
            i + 1,
            op.to_ron_line()
        )
    };
    for (i, op) in s.ops().enumerate() {
        match op {
            Op::Mmap(MmapArgs {
                file: Some(name),
                pages,
                offset,
                ..
            }) => {
                let size = files.entry(name).or_insert(0);
                *size = (*size).max(bytes(offset.saturating_add(*pages)));
                let total = files.values().fold(0u64, |a, b| a.saturating_add(*b));
                if total > l.file_bytes {
                    let each: Vec<String> = files
                        .iter()
                        .map(|(n, b)| format!("{n}: {}", size_text(*b)))
                        .collect();
                    return Err(over(
                        i,
                        op,
                        format!(
                            "makes the scenario's files {} ({}), in RAM (tmpfs)",
                            size_text(total),
                            each.join(", ")
                        ),
                        size_text(l.file_bytes),
                        "max-file-bytes",
                    ));
                }
            }
            Op::Read { pages, .. } | Op::Write { pages, .. } => {
                touched = touched.saturating_add(bytes(*pages));
                if touched > l.touched_bytes {
                    return Err(over(
                        i,
                        op,
                        format!(
                            "brings the pages the reads and writes touch to {}",
                            size_text(touched)
                        ),
                        size_text(l.touched_bytes),
                        "max-touched-bytes",
                    ));
                }
            }
            Op::Spawn { pid, .. } => {
                live.insert(*pid);
            }
            Op::Fork { pid, child, .. } if live.contains(pid) => {
                live.insert(*child);
            }
            Op::Exit { pid, .. } => {
                live.remove(pid);
            }
            _ => {}
        }
        if live.len() as u64 > u64::from(l.processes) {
            return Err(over(
                i,
                op,
                format!("makes {} processes alive at once", live.len()),
                l.processes.to_string(),
                "max-processes",
            ));
        }
    }
    Ok(())
}

/// Parses a size: bytes, or a number with K, M, G or T (powers of 1024; `KiB`, `MB` and the
/// like are read the same way): `256M`, `1G`, `4096`.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("\"{s}\" is not a size (for example 512M, 2G, 1048576)"))?;
    let shift = match unit
        .trim()
        .to_ascii_uppercase()
        .trim_end_matches('B')
        .trim_end_matches('I')
    {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => {
            return Err(format!(
                "\"{s}\": unknown unit \"{unit}\" (K, M, G or T, powers of 1024)"
            ));
        }
    };
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("\"{s}\" is too large"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scenario(ops: &str) -> Scenario {
        Scenario::parse(&format!("Scenario(steps: [{ops}])"), "t.ron").unwrap()
    }

    #[test]
    fn sizes_read_with_binary_units() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("256M"), Ok(256 << 20));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("2 gb"), Ok(2 << 30));
        assert!(parse_size("12X").unwrap_err().contains("unknown unit"));
        assert!(parse_size("M").is_err());
        assert!(
            parse_size("99999999999T")
                .unwrap_err()
                .contains("too large")
        );
    }

    #[test]
    fn a_file_mapped_far_into_it_is_refused_naming_the_step() {
        // offset 131071 pages: the file must be 512 MiB for its last page.
        let s = scenario(
            "Mmap(pid: 1, addr: 0x10000, pages: 1), \
             Mmap(pid: 1, addr: 0x20000, pages: 1, file: \"f\", offset: 131071)",
        );
        let e = check_limits(&s, &Limits::default()).unwrap_err();
        assert!(e.starts_with("step 2 ("), "{e}");
        assert!(e.contains("512 MiB") && e.contains("256 MiB"), "{e}");
        assert!(e.contains("--max-file-bytes"), "{e}");
        let raised = Limits {
            file_bytes: 512 << 20,
            ..Limits::default()
        };
        assert_eq!(check_limits(&s, &raised), Ok(()));
    }

    #[test]
    fn files_add_up_and_a_file_mapped_twice_counts_once() {
        let s = scenario(
            "Mmap(pid: 1, addr: 0x10000, pages: 2, file: \"a\"), \
             Mmap(pid: 1, addr: 0x20000, pages: 2, file: \"a\"), \
             Mmap(pid: 1, addr: 0x30000, pages: 3, file: \"b\")",
        );
        let five_pages = Limits {
            file_bytes: 5 * PAGE_SIZE,
            ..Limits::default()
        };
        assert_eq!(check_limits(&s, &five_pages), Ok(()));
        let four = Limits {
            file_bytes: 4 * PAGE_SIZE,
            ..Limits::default()
        };
        assert!(check_limits(&s, &four).unwrap_err().starts_with("step 3 "));
    }

    #[test]
    fn touched_pages_and_live_processes_are_counted() {
        let s = scenario(
            "Mmap(pid: 1, addr: 0x10000, pages: 4194304), \
             Write(pid: 1, addr: 0x10000, pages: 4194304)",
        );
        let e = check_limits(&s, &Limits::default()).unwrap_err();
        assert!(e.starts_with("step 2 ") && e.contains("16 GiB"), "{e}");
        assert!(e.contains("--max-touched-bytes"), "{e}");

        // Three processes at once at most: forks of a pid that exited start nothing.
        let s = scenario(
            "Fork(pid: 1, child: 2), Fork(pid: 1, child: 3), Exit(pid: 3), \
             Fork(pid: 1, child: 4), Fork(pid: 9, child: 5)",
        );
        let three = Limits {
            processes: 3,
            ..Limits::default()
        };
        assert_eq!(check_limits(&s, &three), Ok(()));
        let two = Limits {
            processes: 2,
            ..Limits::default()
        };
        let e = check_limits(&s, &two).unwrap_err();
        assert!(e.starts_with("step 2 ") && e.contains("3 processes"), "{e}");
    }
}
