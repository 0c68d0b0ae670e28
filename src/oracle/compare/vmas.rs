//! The vmas of a process against /proc/PID/maps, and its young ptes against smaps'
//! `Referenced:`.

use std::collections::BTreeSet;

use super::super::expected::{ExpPte, ExpectedProc};
use super::super::observed::{ObsPte, ObservedProc, VmaShape};
use super::{Difference, diff};
use crate::model::{Addr, PAGE_SIZE, Pid};

/// The vmas of one process, matched by their start.
pub(super) fn compare_vmas(
    pid: Pid,
    ev: &[VmaShape],
    ov: &[VmaShape],
    out: &mut Vec<Difference>,
) -> usize {
    let starts: BTreeSet<Addr> = ev.iter().chain(ov).map(|v| v.start).collect();
    for s in &starts {
        let a = ev.iter().find(|v| v.start == *s);
        let b = ov.iter().find(|v| v.start == *s);
        if a != b {
            let show = |v: Option<&VmaShape>| {
                v.map_or_else(|| "no vma starting here".to_string(), |v| v.to_string())
            };
            out.push(diff(pid, Some(*s), "vma", show(a), show(b)));
        }
    }
    starts.len()
}

/// The young ptes of every vma both sides agree on against smaps' `Referenced:`. smaps counts a
/// present pte (not the zero page) that is young or maps a page with PG_referenced, which the
/// kernel shows per frame; so the prediction is the model's young ptes plus the ptes whose frame
/// has PG_referenced. A page with PG_idle was aged by something outside the scenario (see
/// [`Frame::idle`](super::super::observed::Frame::idle)): it may or may not be counted, so each
/// such pte widens the range smaps may show by one instead of being predicted. Returns the vmas
/// compared and the ptes left unpredicted so.
pub(super) fn compare_young(
    pid: Pid,
    ep: &ExpectedProc,
    op: &ObservedProc,
    out: &mut Vec<Difference>,
) -> (usize, usize) {
    let (mut n, mut all_aged) = (0, 0);
    for v in ep.vmas.iter().filter(|v| op.vmas.contains(v)) {
        n += 1;
        let observed = op.referenced.get(&v.start).copied().unwrap_or(0);
        let mut young = Vec::new();
        let mut aged = 0u64;
        for (a, pte) in ep.ptes.range(v.start..v.end) {
            if let ExpPte::Page { young: y, .. } = pte {
                let frame = match op.ptes.get(a) {
                    Some(ObsPte::Present { frame: Some(f), .. }) => Some(f),
                    _ => None,
                };
                if frame.is_some_and(|f| f.idle) {
                    aged += 1;
                } else if *y || frame.is_some_and(|f| f.referenced) {
                    young.push(*a);
                }
            }
        }
        all_aged += aged as usize;
        let least = young.len() as u64;
        if observed < least || observed > least + aged {
            let list: Vec<String> = young.iter().take(8).map(|a| format!("{a:#x}")).collect();
            let more = if young.len() > 8 { ", ..." } else { "" };
            let idle = match aged {
                0 => String::new(),
                1 => ", and up to 1 more: 1 page aged outside the scenario (PG_idle)".to_string(),
                k => format!(", and up to {k} more: {k} pages aged outside the scenario (PG_idle)"),
            };
            out.push(diff(
                pid,
                Some(v.start),
                "referenced",
                format!(
                    "{} referenced pte{} in the vma {} ({}{more}; young, or PG_referenced){idle}",
                    young.len(),
                    if young.len() == 1 { "" } else { "s" },
                    v,
                    if list.is_empty() {
                        "none".to_string()
                    } else {
                        list.join(", ")
                    }
                ),
                format!(
                    "smaps Referenced: {} kB ({observed} page{})",
                    observed * PAGE_SIZE / 1024,
                    if observed == 1 { "" } else { "s" }
                ),
            ));
        }
    }
    (n, all_aged)
}
