//! Shrinking a scenario that shows a disagreement to a small one that still shows it: cut what
//! follows the first differing step, drop runs of steps (halving the run length down to single
//! steps, as delta debugging does), then make the remaining ops smaller.

use crate::model::{MmapArgs, Op, Step};

/// What a candidate did: still shows the disagreement (and where, the first differing step), or
/// not.
pub type FirstDiffering = Option<usize>;

/// Shrinks `steps`. `fails` runs a candidate and returns the index of its first step that shows
/// the same disagreement, or None; it is only called with candidates that are shorter or
/// simpler than the best so far. `first` is that index for `steps` itself. Returns the smallest
/// failing scenario found and its first differing step.
pub fn shrink<E>(
    steps: Vec<Step>,
    first: usize,
    fails: &mut dyn FnMut(&[Step]) -> Result<FirstDiffering, E>,
) -> Result<(Vec<Step>, usize), E> {
    let mut best = steps;
    let mut at = first;
    best.truncate(at + 1);
    // Drop runs of steps, longest first.
    let mut chunk = best.len().div_ceil(2).max(1);
    loop {
        let mut removed = false;
        let mut i = 0;
        while i < best.len() {
            let end = (i + chunk).min(best.len());
            let mut cand = best.clone();
            cand.drain(i..end);
            if !cand.is_empty()
                && let Some(f) = fails(&cand)?
            {
                cand.truncate(f + 1);
                best = cand;
                at = f;
                removed = true;
            } else {
                i += chunk;
            }
        }
        if !removed {
            if chunk == 1 {
                break;
            }
            chunk = chunk.div_ceil(2);
        }
    }
    // Smaller ops: fewer pages, no file offset, no notes.
    for i in 0..best.len() {
        for simpler in simplify(&best[i].op) {
            let mut cand = best.clone();
            cand[i] = simpler.into();
            if let Some(f) = fails(&cand)? {
                cand.truncate(f + 1);
                best = cand;
                at = f;
                break;
            }
        }
    }
    for s in &mut best {
        s.note = None;
    }
    Ok((best, at))
}

/// Simpler versions of an op, simplest first: one page, half the pages, offset 0.
fn simplify(op: &Op) -> Vec<Op> {
    let mut out = Vec::new();
    let fewer = |n: u64| -> Vec<u64> {
        let mut v = vec![1, n / 2];
        v.retain(|&m| m >= 1 && m < n);
        v.dedup();
        v
    };
    match op {
        Op::Mmap(MmapArgs { pages, offset, .. }) => {
            for n in fewer(*pages) {
                let mut o = op.clone();
                if let Op::Mmap(MmapArgs { pages, .. }) = &mut o {
                    *pages = n;
                }
                out.push(o);
            }
            if *offset > 0 {
                let mut o = op.clone();
                if let Op::Mmap(MmapArgs { offset, .. }) = &mut o {
                    *offset = 0;
                }
                out.push(o);
            }
        }
        Op::Munmap { pages, .. }
        | Op::Mprotect { pages, .. }
        | Op::Madvise { pages, .. }
        | Op::Read { pages, .. }
        | Op::Write { pages, .. } => {
            for n in fewer(*pages) {
                let mut o = op.clone();
                if let Op::Munmap { pages, .. }
                | Op::Mprotect { pages, .. }
                | Op::Madvise { pages, .. }
                | Op::Read { pages, .. }
                | Op::Write { pages, .. } = &mut o
                {
                    *pages = n;
                }
                out.push(o);
            }
        }
        _ => {}
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(addr: u64, pages: u64) -> Step {
        Op::Write {
            pid: 1,
            addr,
            pages,
        }
        .into()
    }

    /// A "disagreement" that needs the steps writing 0x3000 and 0x7000 (in that order) and shows
    /// at the second of them.
    fn needs_two(steps: &[Step]) -> FirstDiffering {
        let pos = |a| {
            steps
                .iter()
                .position(|s| matches!(s.op, Op::Write { addr, .. } if addr == a))
        };
        match (pos(0x3000), pos(0x7000)) {
            (Some(i), Some(j)) if i < j => Some(j),
            _ => None,
        }
    }

    #[test]
    fn shrinks_to_the_steps_the_disagreement_needs() {
        let steps: Vec<Step> = (0..20).map(|i| write(i * 0x1000, 4)).collect();
        let mut calls = 0;
        let (best, at) = shrink::<()>(steps, 7, &mut |c| {
            calls += 1;
            Ok(needs_two(c))
        })
        .unwrap();
        assert_eq!(best, vec![write(0x3000, 1), write(0x7000, 1)]);
        assert_eq!(at, 1);
        assert!(calls < 60, "{calls} candidates");
    }

    #[test]
    fn a_single_step_disagreement_stays_one_step() {
        let steps = vec![write(0x1000, 1)];
        let (best, at) =
            shrink::<()>(steps.clone(), 0, &mut |c| Ok((!c.is_empty()).then_some(0))).unwrap();
        assert_eq!((best, at), (steps, 0));
    }
}
