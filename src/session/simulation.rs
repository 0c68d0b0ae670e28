//! One machine under one scheme, stepped op by op.

use crate::model::{Addr, Events, Machine, Op, Pid, PteVal, StepError, Totals, Walk};
use crate::schemes::{Scheme, UnknownScheme, make_scheme};

/// What one step did.
#[derive(Clone, Debug)]
pub struct StepResult {
    pub op: Op,
    pub error: Option<StepError>,
    pub events: Vec<String>,
    pub walk: Option<Walk>,
    pub totals: Totals,
    /// Every present or swapped pte after the step, when asked for.
    pub ptes: Option<Vec<(Pid, Addr, PteVal)>>,
}

/// A machine and its rmap scheme.
#[derive(Clone)]
pub struct Simulation {
    pub machine: Machine,
    pub scheme: Box<dyn Scheme>,
}

impl Simulation {
    /// A fresh machine (pid 1, nothing mapped) under `scheme`.
    pub fn new(mut scheme: Box<dyn Scheme>) -> Self {
        let mut ev = Events::default();
        let machine = Machine::new(scheme.as_mut(), &mut ev);
        Simulation { machine, scheme }
    }

    /// A fresh machine under the scheme called `name`.
    pub fn by_name(name: &str) -> Result<Self, UnknownScheme> {
        make_scheme(name).map(Simulation::new)
    }

    pub fn scheme_name(&self) -> &'static str {
        self.scheme.info().name
    }

    /// Applies one op; a refused op leaves the state as it was.
    pub fn step(&mut self, op: &Op, with_ptes: bool) -> StepResult {
        let mut ev = Events::default();
        let r = self.machine.apply(self.scheme.as_mut(), op, &mut ev);
        let (error, walk) = match r {
            Ok(w) => (None, w),
            Err(e) => (Some(e), None),
        };
        StepResult {
            op: op.clone(),
            error,
            events: ev.lines,
            walk,
            totals: self.machine.totals(self.scheme.as_ref()),
            ptes: with_ptes.then(|| self.machine.all_ptes()),
        }
    }
}

/// For unit tests: a machine under `modern` after the op lines `ops` (scenario op syntax), each
/// of which must succeed.
#[cfg(test)]
pub(crate) fn modern_after(ops: &[&str]) -> Simulation {
    let mut s = Simulation::by_name("modern").expect("a scheme");
    for line in ops {
        let op = crate::scenario::opline::parse(line).expect("an op line").op;
        assert_eq!(s.step(&op, false).error, None, "{line}");
    }
    s
}
