//! Reading the kernel's state: `/proc/PID/maps` (or `/proc/PID/smaps`), `/proc/PID/pagemap`,
//! `/proc/kpagecount`, `/proc/kpageflags`, and finding out which of them this machine lets us
//! read.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::FileExt;

use super::observed::{
    Frame, ObsPte, Observed, ObservedProc, decode_pagemap, parse_maps_line, parse_smaps,
};
use super::{OracleError, REGION_END};
use crate::model::{Addr, PAGE_SIZE, Pid};

/// What this machine lets the check see (also what a trace saw, and what its check compared).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FrameAccess {
    /// Frame numbers, /proc/kpagecount and /proc/kpageflags are readable.
    pub frames: bool,
    /// Why not, when they are not: the missing permission or file, exactly.
    pub missing: Option<String>,
}

fn read_u64(f: &File, index: u64) -> std::io::Result<u64> {
    let mut b = [0u8; 8];
    f.read_exact_at(&mut b, index * 8)?;
    Ok(u64::from_ne_bytes(b))
}

/// Finds out what can be read. Err when not even pagemap flags are available.
pub fn probe() -> Result<FrameAccess, OracleError> {
    let pm = File::open("/proc/self/pagemap").map_err(|e| {
        OracleError::Unsupported(format!(
            "cannot read /proc/self/pagemap ({e}): the check needs pagemap (CONFIG_PROC_PAGE_MONITOR)"
        ))
    })?;
    // A page of our own, certainly present.
    let probe = vec![1u8; 2 * PAGE_SIZE as usize];
    let addr = (probe.as_ptr() as u64 + PAGE_SIZE) & !(PAGE_SIZE - 1);
    let e = read_u64(&pm, addr / PAGE_SIZE).map_err(|e| {
        OracleError::Unsupported(format!("cannot read /proc/self/pagemap entries: {e}"))
    })?;
    std::hint::black_box(&probe);
    let uid = nix::unistd::geteuid();
    if e & super::observed::PM_PFN_MASK == 0 {
        return Ok(FrameAccess {
            frames: false,
            missing: Some(format!(
                "/proc/PID/pagemap shows no frame numbers: CAP_SYS_ADMIN is needed (running as uid {uid}); \
                 only the pagemap flags (present, swapped, exclusive, file) were compared"
            )),
        });
    }
    for f in ["/proc/kpagecount", "/proc/kpageflags"] {
        if let Err(e) = File::open(f) {
            return Ok(FrameAccess {
                frames: false,
                missing: Some(format!(
                    "cannot read {f} ({e}; it needs root and CONFIG_PROC_PAGE_MONITOR); \
                     only the pagemap flags were compared"
                )),
            });
        }
    }
    Ok(FrameAccess {
        frames: true,
        missing: None,
    })
}

/// Frame lookups in `/proc/kpagecount` and `/proc/kpageflags`, cached until [`Frames::forget`].
pub struct Frames {
    count: File,
    flags: File,
    cache: BTreeMap<u64, Frame>,
}

impl Frames {
    /// Opens both files (root only).
    pub fn open() -> Result<Frames, OracleError> {
        let open = |p: &str| File::open(p).map_err(|e| OracleError::Failed(format!("{p}: {e}")));
        Ok(Frames {
            count: open("/proc/kpagecount")?,
            flags: open("/proc/kpageflags")?,
            cache: BTreeMap::new(),
        })
    }

    /// Forgets what was read, so that the next lookups see mapcounts as they are now.
    pub fn forget(&mut self) {
        self.cache.clear();
    }

    /// The frame `pfn`: its mapcount and flags (None when the files cannot be read there).
    pub fn get(&mut self, pfn: u64) -> Option<Frame> {
        if let Some(f) = self.cache.get(&pfn) {
            return Some(*f);
        }
        let mapcount = read_u64(&self.count, pfn).ok()?;
        let flags = read_u64(&self.flags, pfn).ok()?;
        let f = Frame::decode(pfn, mapcount, flags);
        self.cache.insert(pfn, f);
        Some(f)
    }
}

/// Reads one process: its vmas below [`REGION_END`] (from smaps, with their referenced pages,
/// when frames are visible; else from maps) and every non-empty pte in them and in `extra` (the
/// model's vmas, so ptes the model expects are looked at even without a vma).
fn observe_one(
    real: i32,
    extra: &[(Addr, Addr)],
    file_name: &dyn Fn(&str) -> Option<String>,
    frames: &mut Option<Frames>,
) -> Result<ObservedProc, OracleError> {
    let read = |what: &str| {
        let path = format!("/proc/{real}/{what}");
        std::fs::read_to_string(&path).map_err(|e| OracleError::Failed(format!("{path}: {e}")))
    };
    let mut referenced = BTreeMap::new();
    let vmas: Vec<_> = if frames.is_some() {
        parse_smaps(&read("smaps")?, file_name)
            .into_iter()
            .filter(|(v, _)| v.start < REGION_END)
            .map(|(v, r)| {
                referenced.insert(v.start, r);
                v
            })
            .collect()
    } else {
        read("maps")?
            .lines()
            .filter_map(|l| parse_maps_line(l, file_name))
            .filter(|v| v.start < REGION_END)
            .collect()
    };
    let pm_path = format!("/proc/{real}/pagemap");
    let pm = File::open(&pm_path).map_err(|e| OracleError::Failed(format!("{pm_path}: {e}")))?;
    let mut ranges: Vec<(Addr, Addr)> = vmas.iter().map(|v| (v.start, v.end)).collect();
    ranges.extend_from_slice(extra);
    let ptes = read_ptes(&pm, &pm_path, ranges, frames)?;
    Ok(ObservedProc {
        vmas,
        ptes,
        referenced,
    })
}

/// Reads the non-empty ptes of `ranges` (in any order, overlaps allowed) from an open
/// `/proc/PID/pagemap` (`pm_path` names it in errors), looking up each present frame in `frames`
/// when given.
pub fn read_ptes(
    pm: &File,
    pm_path: &str,
    mut ranges: Vec<(Addr, Addr)>,
    frames: &mut Option<Frames>,
) -> Result<BTreeMap<Addr, ObsPte>, OracleError> {
    ranges.sort_unstable();
    let mut ptes = BTreeMap::new();
    let mut done_to = 0;
    let mut buf = Vec::new();
    for (s, e) in ranges {
        let s = s.max(done_to);
        if s >= e {
            continue;
        }
        done_to = e;
        let n = ((e - s) / PAGE_SIZE) as usize;
        buf.clear();
        buf.resize(n * 8, 0u8);
        pm.read_exact_at(&mut buf, s / PAGE_SIZE * 8)
            .map_err(|err| OracleError::Failed(format!("{pm_path} at {s:#x}: {err}")))?;
        for (i, c) in buf.chunks_exact(8).enumerate() {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            let entry = u64::from_ne_bytes(w);
            let frame = |pfn| frames.as_mut().and_then(|f| f.get(pfn));
            if let Some(p) = decode_pagemap(entry, frame) {
                ptes.insert(s + i as u64 * PAGE_SIZE, p);
            }
        }
    }
    Ok(ptes)
}

/// Reads every live scenario process. `model_ranges` gives each pid's model vmas.
pub fn observe(
    procs: &[(Pid, i32)],
    model_ranges: &BTreeMap<Pid, Vec<(Addr, Addr)>>,
    file_name: &dyn Fn(&str) -> Option<String>,
    with_frames: bool,
) -> Result<Observed, OracleError> {
    let mut frames = if with_frames {
        Some(Frames::open()?)
    } else {
        None
    };
    let mut out = Observed {
        procs: BTreeMap::new(),
        frames: with_frames,
        young: with_frames,
    };
    for &(pid, real) in procs {
        let extra = model_ranges.get(&pid).map_or(&[][..], |v| &v[..]);
        out.procs
            .insert(pid, observe_one(real, extra, file_name, &mut frames)?);
    }
    // A frame's flags were read once, when the first process mapping it was read; a later
    // process's smaps may already count a young bit that DAMON moved to the page after that
    // read. PG_idle stays set once DAMON has sampled a page, so reading it again after every
    // smaps marks each page aged before any of the smaps reads.
    if let Some(f) = frames.as_mut() {
        f.forget();
        for p in out.procs.values_mut() {
            for pte in p.ptes.values_mut() {
                if let ObsPte::Present {
                    frame: Some(old), ..
                } = pte
                    && f.get(old.pfn).is_some_and(|now| now.idle)
                {
                    old.idle = true;
                }
            }
        }
    }
    Ok(out)
}

/// Whether process `real` has a present pte at `addr` (pagemap bit 63).
pub fn present(real: i32, addr: Addr) -> Result<bool, OracleError> {
    let path = format!("/proc/{real}/pagemap");
    let f = File::open(&path).map_err(|e| OracleError::Failed(format!("{path}: {e}")))?;
    let e = read_u64(&f, addr / PAGE_SIZE)
        .map_err(|e| OracleError::Failed(format!("{path} at {addr:#x}: {e}")))?;
    Ok(e & super::observed::PM_PRESENT != 0)
}

/// The running kernel's release, for the report.
pub fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}
