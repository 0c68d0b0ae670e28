//! What the screen shows: the scheme of the main graph pane, the scheme compared beside it, the
//! step, the step asked for but not shown yet, and the walk candidate followed, with the walk
//! either whole or revealed only up to that candidate (the quiz). Part of [`super::App`]; its
//! rules hold here and nowhere else: the compared scheme is never the shown one, a target is
//! never the step shown, and the candidate followed and the reveal belong to the step and
//! scheme shown (they are forgotten when either changes).

/// The scheme, compare partner, step, target and candidate shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Shown {
    scheme: usize,
    compare: Option<usize>,
    step: usize,
    target: Option<usize>,
    candidate: Option<usize>,
    /// The walk is being revealed: nothing of it after the candidate followed is shown.
    revealing: bool,
}

impl Shown {
    /// Scheme number `scheme` at `step`, compared with `compare`; None when `compare` is the
    /// scheme itself.
    pub fn new(scheme: usize, compare: Option<usize>, step: usize) -> Option<Shown> {
        (compare != Some(scheme)).then_some(Shown {
            scheme,
            compare,
            step,
            target: None,
            candidate: None,
            revealing: false,
        })
    }

    /// The scheme of the main graph pane.
    pub fn scheme(&self) -> usize {
        self.scheme
    }

    /// The scheme shown beside it in compare mode.
    pub fn compare(&self) -> Option<usize> {
        self.compare
    }

    /// The shown schemes: the main one, then the compared one.
    pub fn schemes(&self) -> Vec<usize> {
        std::iter::once(self.scheme).chain(self.compare).collect()
    }

    /// Whether scheme `i` is in a graph pane.
    pub fn shows(&self, i: usize) -> bool {
        i == self.scheme || Some(i) == self.compare
    }

    /// The step shown (1-based; 0 is before the first step).
    pub fn step(&self) -> usize {
        self.step
    }

    /// A step asked for whose views are not ready yet.
    pub fn target(&self) -> Option<usize> {
        self.target
    }

    /// The step that relative moves start from: the target while there is one.
    pub fn asked(&self) -> usize {
        self.target.unwrap_or(self.step)
    }

    /// The walk candidate followed (0-based).
    pub fn candidate(&self) -> Option<usize> {
        self.candidate
    }

    /// While the walk is being revealed ([`Shown::reveal`]): how many of its candidates are
    /// (those up to the one followed). None: the walk is shown whole.
    pub fn revealed(&self) -> Option<usize> {
        self.revealing.then(|| self.candidate.map_or(0, |k| k + 1))
    }

    /// Reveals the walk of the step shown up to its first `k` candidates (the last of them
    /// followed), or shows it whole with None.
    pub fn reveal(&mut self, k: Option<usize>) {
        self.revealing = k.is_some();
        self.candidate = k.and_then(|k| k.checked_sub(1));
    }

    /// Shows scheme `i` in the main pane. When compare mode shows `i` beside it, the two
    /// panes swap, so the same scheme is never drawn twice.
    pub fn set_scheme(&mut self, i: usize) {
        if self.compare == Some(i) {
            self.compare = Some(self.scheme);
        }
        if i != self.scheme {
            self.scheme = i;
            self.forget_candidate();
        }
    }

    /// Compare mode with scheme `c`, or off with None. False (and nothing changes) when `c` is
    /// the scheme shown.
    pub fn set_compare(&mut self, c: Option<usize>) -> bool {
        if c == Some(self.scheme) {
            return false;
        }
        self.compare = c;
        true
    }

    /// In compare mode, the next of `n` schemes on the right (skipping the shown one).
    pub fn next_compared(&mut self, n: usize) {
        if let Some(c) = self.compare {
            let mut next = (c + 1) % n;
            if next == self.scheme {
                next = (next + 1) % n;
            }
            self.compare = (next != self.scheme).then_some(next);
        }
    }

    /// Shows step `n` (and forgets the target). Returns whether the step changed; a new step
    /// has no candidate followed.
    pub fn show_step(&mut self, n: usize) -> bool {
        self.target = None;
        if n == self.step {
            return false;
        }
        self.step = n;
        self.forget_candidate();
        true
    }

    /// No candidate followed, the walk shown whole.
    fn forget_candidate(&mut self) {
        self.candidate = None;
        self.revealing = false;
    }

    /// Asks for step `n` without showing it yet (None when it is the step shown).
    pub fn aim(&mut self, n: usize) {
        self.target = (n != self.step).then_some(n);
    }

    /// Follows walk candidate `k`, or none (the walk shown whole).
    pub fn follow_candidate(&mut self, k: Option<usize>) {
        self.candidate = k;
        self.revealing = false;
    }

    /// Forgets a candidate that the walk shown does not have (it has `count`).
    pub fn keep_candidate_below(&mut self, count: usize) {
        if self.candidate.is_some_and(|k| k >= count) {
            self.forget_candidate();
        }
    }

    /// A step was inserted as step `at + 1` (1-based): it is shown.
    pub fn inserted(&mut self, at: usize) {
        self.target = None;
        self.step = at + 1;
        self.forget_candidate();
    }

    /// Step `n` (1-based) was deleted: the steps after it move up by one.
    pub fn deleted(&mut self, n: usize) {
        if self.step >= n {
            self.step -= 1;
        }
        if let Some(t) = self.target.as_mut()
            && *t >= n
        {
            *t -= 1;
        }
        if self.target == Some(self.step) {
            self.target = None;
        }
        self.forget_candidate();
    }
}

#[cfg(test)]
mod tests {
    use super::Shown;

    #[test]
    fn the_compared_scheme_is_never_the_shown_one() {
        assert_eq!(Shown::new(4, Some(4), 0), None);
        let mut s = Shown::new(4, Some(2), 0).unwrap();
        assert!(!s.set_compare(Some(4)));
        assert_eq!(s.compare(), Some(2));
        // Choosing the compared scheme swaps the panes.
        s.set_scheme(2);
        assert_eq!((s.scheme(), s.compare()), (2, Some(4)));
        // The next compared scheme skips the shown one.
        let mut s = Shown::new(1, Some(0), 0).unwrap();
        s.next_compared(3);
        assert_eq!(s.compare(), Some(2));
        s.next_compared(3);
        assert_eq!(s.compare(), Some(0), "wraps around and skips scheme 1");
        let mut two = Shown::new(1, Some(0), 0).unwrap();
        two.next_compared(2);
        assert_eq!(
            two.compare(),
            Some(0),
            "with two schemes the other one stays"
        );
    }

    #[test]
    fn a_candidate_belongs_to_its_step_and_scheme() {
        let mut s = Shown::new(0, None, 5).unwrap();
        s.follow_candidate(Some(1));
        assert!(!s.show_step(5), "the same step");
        assert_eq!(s.candidate(), Some(1));
        assert!(s.show_step(4));
        assert_eq!(s.candidate(), None);
        s.follow_candidate(Some(1));
        s.set_scheme(3);
        assert_eq!(s.candidate(), None);
        s.follow_candidate(Some(2));
        s.keep_candidate_below(2);
        assert_eq!(s.candidate(), None);
    }

    #[test]
    fn a_reveal_belongs_to_its_step_and_scheme() {
        let mut s = Shown::new(0, None, 5).unwrap();
        assert_eq!(s.revealed(), None, "a walk is shown whole");
        s.reveal(Some(2));
        assert_eq!((s.revealed(), s.candidate()), (Some(2), Some(1)));
        s.reveal(Some(0));
        assert_eq!((s.revealed(), s.candidate()), (Some(0), None));
        s.reveal(None);
        assert_eq!((s.revealed(), s.candidate()), (None, None));
        // Another step, another scheme, or following a candidate with n shows the walk whole.
        s.reveal(Some(1));
        s.show_step(4);
        assert_eq!(s.revealed(), None);
        s.reveal(Some(1));
        s.set_scheme(2);
        assert_eq!(s.revealed(), None);
        s.reveal(Some(1));
        s.follow_candidate(Some(1));
        assert_eq!((s.revealed(), s.candidate()), (None, Some(1)));
        s.reveal(Some(3));
        s.deleted(1);
        assert_eq!(s.revealed(), None);
    }

    #[test]
    fn a_target_is_never_the_step_shown() {
        let mut s = Shown::new(0, None, 3).unwrap();
        s.aim(3);
        assert_eq!(s.target(), None);
        s.aim(7);
        assert_eq!((s.target(), s.asked()), (Some(7), 7));
        // Deleting step 2 moves both up; deleting the step before the target can meet it.
        s.deleted(2);
        assert_eq!((s.step(), s.target()), (2, Some(6)));
        let mut s = Shown::new(0, None, 3).unwrap();
        s.aim(4);
        s.deleted(4);
        assert_eq!((s.step(), s.target()), (3, None));
    }
}
