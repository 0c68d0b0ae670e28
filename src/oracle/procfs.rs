//! Reading the kernel's state: `/proc/PID/maps` (or `/proc/PID/smaps`), `/proc/PID/pagemap`,
//! `/proc/kpagecount`, `/proc/kpageflags`, and finding out which of them this machine lets us
//! read.

use std::collections::BTreeMap;
use std::fs::File;
use std::os::unix::fs::FileExt;

use super::observed::{
    Frame, ObsPte, Observed, ObservedProc, VmaShape, decode_pagemap, parse_maps_line, parse_smaps,
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

/// The frame files, when `access` ([`probe`]'s answer) says they are readable, and what can be
/// seen: when they cannot be opened after all (a limit on open files, say), the reason, rather
/// than no frames without a word.
pub fn open_frames(access: FrameAccess) -> (Option<Frames>, FrameAccess) {
    frames_or_why(access, Frames::open)
}

fn frames_or_why(
    access: FrameAccess,
    open: impl FnOnce() -> Result<Frames, OracleError>,
) -> (Option<Frames>, FrameAccess) {
    if !access.frames {
        return (None, access);
    }
    match open() {
        Ok(f) => (Some(f), access),
        Err(e) => (
            None,
            FrameAccess {
                frames: false,
                missing: Some(format!(
                    "cannot open the frame files ({e}); frame numbers were not used, only the \
                     pagemap flags (present, swapped, exclusive, file)"
                )),
            },
        ),
    }
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
        let f = self.read(pfn)?;
        self.cache.insert(pfn, f);
        Some(f)
    }

    /// The frame `pfn` as it is now, read whatever the cache holds.
    fn read(&self, pfn: u64) -> Option<Frame> {
        let mapcount = read_u64(&self.count, pfn).ok()?;
        let flags = read_u64(&self.flags, pfn).ok()?;
        Some(Frame::decode(pfn, mapcount, flags))
    }
}

/// One process's vmas below [`REGION_END`] and, when smaps was read, its `Referenced:` pages
/// by vma start.
type ProcVmas = (Vec<VmaShape>, BTreeMap<Addr, u64>);

/// Where [`observe`] reads the kernel's state from: `/proc` ([`Procfs`]), or a stand-in in
/// tests that checks the order of the reads.
trait KernelSource {
    /// Process `real`'s vmas (and its referenced pages when frames are visible).
    fn vmas(&mut self, real: i32) -> Result<ProcVmas, OracleError>;
    /// Process `real`'s pagemap entries in `ranges`, by address (empty ones too).
    fn pagemap(
        &mut self,
        real: i32,
        ranges: Vec<(Addr, Addr)>,
    ) -> Result<Vec<(Addr, u64)>, OracleError>;
    /// One read of frame `pfn`'s mapcount and flags (None when frames are hidden).
    fn frame(&mut self, pfn: u64) -> Option<Frame>;
}

/// The running kernel's `/proc`.
struct Procfs<'a> {
    file_name: &'a dyn Fn(&str) -> Option<String>,
    /// Open when frames are visible.
    frames: Option<Frames>,
}

impl KernelSource for Procfs<'_> {
    /// From smaps, with the referenced pages, when frames are visible; else from maps.
    fn vmas(&mut self, real: i32) -> Result<ProcVmas, OracleError> {
        let read = |what: &str| {
            let path = format!("/proc/{real}/{what}");
            std::fs::read_to_string(&path).map_err(|e| OracleError::Failed(format!("{path}: {e}")))
        };
        let mut referenced = BTreeMap::new();
        let vmas = if self.frames.is_some() {
            parse_smaps(&read("smaps")?, self.file_name)
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
                .filter_map(|l| parse_maps_line(l, self.file_name))
                .filter(|v| v.start < REGION_END)
                .collect()
        };
        Ok((vmas, referenced))
    }

    fn pagemap(
        &mut self,
        real: i32,
        ranges: Vec<(Addr, Addr)>,
    ) -> Result<Vec<(Addr, u64)>, OracleError> {
        let pm_path = format!("/proc/{real}/pagemap");
        let pm =
            File::open(&pm_path).map_err(|e| OracleError::Failed(format!("{pm_path}: {e}")))?;
        read_entries(&pm, &pm_path, ranges)
    }

    fn frame(&mut self, pfn: u64) -> Option<Frame> {
        self.frames.as_ref()?.read(pfn)
    }
}

/// Reads the non-empty ptes of `ranges` (in any order, overlaps allowed) from an open
/// `/proc/PID/pagemap` (`pm_path` names it in errors), looking up each present frame in `frames`
/// when given.
pub fn read_ptes(
    pm: &File,
    pm_path: &str,
    ranges: Vec<(Addr, Addr)>,
    frames: &mut Option<Frames>,
) -> Result<BTreeMap<Addr, ObsPte>, OracleError> {
    let mut ptes = BTreeMap::new();
    for (addr, entry) in read_entries(pm, pm_path, ranges)? {
        let frame = |pfn| frames.as_mut().and_then(|f| f.get(pfn));
        if let Some(p) = decode_pagemap(entry, frame) {
            ptes.insert(addr, p);
        }
    }
    Ok(ptes)
}

/// Reads the pagemap entries of `ranges` (in any order, overlaps allowed), each page once, in
/// address order.
fn read_entries(
    pm: &File,
    pm_path: &str,
    mut ranges: Vec<(Addr, Addr)>,
) -> Result<Vec<(Addr, u64)>, OracleError> {
    ranges.sort_unstable();
    let mut entries = Vec::new();
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
            entries.push((s + i as u64 * PAGE_SIZE, u64::from_ne_bytes(w)));
        }
    }
    Ok(entries)
}

/// Reads every live scenario process. `model_ranges` gives each pid's model vmas.
pub fn observe(
    procs: &[(Pid, i32)],
    model_ranges: &BTreeMap<Pid, Vec<(Addr, Addr)>>,
    file_name: &dyn Fn(&str) -> Option<String>,
    with_frames: bool,
) -> Result<Observed, OracleError> {
    let frames = if with_frames {
        Some(Frames::open()?)
    } else {
        None
    };
    let mut kernel = Procfs { file_name, frames };
    observe_from(&mut kernel, procs, model_ranges, with_frames)
}

/// [`observe`] from any [`KernelSource`]. The order of the reads matters. Every process's smaps is
/// read first, then every pagemap with the flags of the frames it shows, each frame once (a
/// frame mapped by several processes is read with the first of them). DAMON
/// may age a page (set PG_idle and move its ptes' young bits to the page, which smaps counts in
/// every process mapping it) at any moment between two reads, and the processes are stopped, so
/// nothing clears PG_idle again before the step ends. Flags read after the last smaps read
/// therefore mark idle every page that was aged before any smaps read could count it; a page
/// aged later is marked too, which only widens the allowed count.
fn observe_from(
    kernel: &mut dyn KernelSource,
    procs: &[(Pid, i32)],
    model_ranges: &BTreeMap<Pid, Vec<(Addr, Addr)>>,
    with_frames: bool,
) -> Result<Observed, OracleError> {
    let mut vmas = Vec::with_capacity(procs.len());
    for &(pid, real) in procs {
        vmas.push((pid, real, kernel.vmas(real)?));
    }
    let mut out = Observed {
        procs: BTreeMap::new(),
        frames: with_frames,
        young: with_frames,
    };
    let mut frames: BTreeMap<u64, Option<Frame>> = BTreeMap::new();
    for (pid, real, (vmas, referenced)) in vmas {
        let mut ranges: Vec<(Addr, Addr)> = vmas.iter().map(|v| (v.start, v.end)).collect();
        ranges.extend_from_slice(model_ranges.get(&pid).map_or(&[][..], |v| &v[..]));
        let mut ptes = BTreeMap::new();
        for (addr, entry) in kernel.pagemap(real, ranges)? {
            let frame = |pfn| *frames.entry(pfn).or_insert_with(|| kernel.frame(pfn));
            if let Some(p) = decode_pagemap(entry, frame) {
                ptes.insert(addr, p);
            }
        }
        out.procs.insert(
            pid,
            ObservedProc {
                vmas,
                ptes,
                referenced,
            },
        );
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Prot;
    use crate::oracle::observed::{Backing, KPF_ANON, PM_PRESENT};

    const PAGE: Addr = 0x10_0000;
    const PFN: u64 = 7;

    /// Processes that all map one page, which DAMON ages just before read number `age_at`
    /// (counting the reads of smaps, pagemap and the frame together, from 0).
    struct Damon {
        age_at: usize,
        reads: usize,
        aged: bool,
        frame_reads: usize,
    }

    impl Damon {
        fn tick(&mut self) {
            if self.reads == self.age_at {
                self.aged = true;
            }
            self.reads += 1;
        }
    }

    impl KernelSource for Damon {
        fn vmas(&mut self, _real: i32) -> Result<ProcVmas, OracleError> {
            self.tick();
            let vma = VmaShape {
                start: PAGE,
                end: PAGE + PAGE_SIZE,
                prot: Prot::RW,
                shared: false,
                backing: Backing::Anon,
                offset: 0,
            };
            // The pte is old; once aged, the page itself is young, which smaps counts.
            let referenced = BTreeMap::from([(PAGE, u64::from(self.aged))]);
            Ok((vec![vma], referenced))
        }

        fn pagemap(
            &mut self,
            _real: i32,
            ranges: Vec<(Addr, Addr)>,
        ) -> Result<Vec<(Addr, u64)>, OracleError> {
            self.tick();
            assert!(ranges.contains(&(PAGE, PAGE + PAGE_SIZE)));
            Ok(vec![(PAGE, PM_PRESENT | PFN)])
        }

        fn frame(&mut self, pfn: u64) -> Option<Frame> {
            assert_eq!(pfn, PFN);
            self.tick();
            self.frame_reads += 1;
            let mut frame = Frame::decode(pfn, 3, KPF_ANON);
            frame.idle = self.aged;
            Some(frame)
        }
    }

    /// Frame files that cannot be opened although the probe could read them: the reason is
    /// kept, for the trace's output, and no frames are used.
    #[test]
    fn frame_files_that_cannot_be_opened_say_why() {
        let visible = FrameAccess {
            frames: true,
            missing: None,
        };
        let (frames, access) = frames_or_why(visible, || {
            Err(OracleError::Failed(
                "/proc/kpagecount: Too many open files (os error 24)".into(),
            ))
        });
        assert!(frames.is_none());
        assert!(!access.frames);
        let why = access.missing.unwrap_or_default();
        assert!(
            why.contains("/proc/kpagecount: Too many open files") && why.contains("pagemap flags"),
            "{why}"
        );
        // Frames the probe found hidden are not opened; its reason stays.
        let hidden = FrameAccess {
            frames: false,
            missing: Some("CAP_SYS_ADMIN is needed".into()),
        };
        let (frames, access) = frames_or_why(hidden.clone(), || panic!("not opened when hidden"));
        assert!(frames.is_none());
        assert_eq!(access, hidden);
    }

    /// Whichever read DAMON ages the page before, a process whose smaps counted the page as
    /// referenced sees it idle, so the comparison allows the count instead of predicting it;
    /// and the frame, mapped by every process, is read once.
    #[test]
    fn a_page_aged_before_a_smaps_read_is_idle_in_every_process() {
        let procs: [(Pid, i32); 3] = [(1, 11), (2, 12), (3, 13)];
        let reads = 2 * procs.len() + 1;
        for age_at in 0..=reads {
            let mut damon = Damon {
                age_at,
                reads: 0,
                aged: false,
                frame_reads: 0,
            };
            let seen = observe_from(&mut damon, &procs, &BTreeMap::new(), true).unwrap();
            assert_eq!((damon.reads, damon.frame_reads), (reads, 1));
            for (pid, p) in &seen.procs {
                let Some(ObsPte::Present {
                    frame: Some(frame), ..
                }) = p.ptes.get(&PAGE)
                else {
                    panic!("pid {pid} lost its pte");
                };
                assert!(
                    p.referenced[&PAGE] == 0 || frame.idle,
                    "aged before read {age_at}: pid {pid}'s smaps counted the page, not marked idle"
                );
            }
        }
    }
}
