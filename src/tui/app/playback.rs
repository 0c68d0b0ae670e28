//! Autoplay: whether it runs, how fast, and when it last stepped. Part of [`super::App`].

use std::time::Instant;

/// Autoplay speeds: milliseconds per step.
pub const SPEEDS: [u64; 6] = [3000, 2000, 1000, 500, 250, 100];

/// Autoplay's state; the speed is always an index into [`SPEEDS`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Playback {
    playing: bool,
    speed: usize,
    last_tick: Option<Instant>,
    /// Each walk's candidates are followed one by one (a tick each) before the next step.
    walk: bool,
}

impl Default for Playback {
    fn default() -> Self {
        Playback {
            playing: false,
            speed: 2,
            last_tick: None,
            walk: false,
        }
    }
}

impl Playback {
    pub fn playing(&self) -> bool {
        self.playing
    }

    /// Milliseconds per step.
    pub fn millis(&self) -> u64 {
        SPEEDS[self.speed]
    }

    /// Starts or stops autoplay; a start counts from `now`.
    pub fn toggle(&mut self, now: Instant) {
        self.playing = !self.playing;
        self.last_tick = Some(now);
    }

    /// Whether autoplay follows each walk's candidates.
    pub fn follows_walk(&self) -> bool {
        self.walk
    }

    /// Autoplay follows each walk's candidates, or not.
    pub fn toggle_walk(&mut self) -> bool {
        self.walk = !self.walk;
        self.walk
    }

    pub fn stop(&mut self) {
        self.playing = false;
    }

    /// The speed of `ms` milliseconds per step, or the nearest slower one if `ms` is none of
    /// [`SPEEDS`] (the slowest if none is slower).
    pub fn set_millis(&mut self, ms: u64) {
        self.speed = SPEEDS.iter().rposition(|&s| s >= ms).unwrap_or(0);
    }

    pub fn faster(&mut self) {
        self.speed = (self.speed + 1).min(SPEEDS.len() - 1);
    }

    pub fn slower(&mut self) {
        self.speed = self.speed.saturating_sub(1);
    }

    /// Whether a step is due at `now` while playing (and, if so, counts the next from `now`).
    pub fn due(&mut self, now: Instant) -> bool {
        let due = self.playing
            && self
                .last_tick
                .is_none_or(|t| now.duration_since(t).as_millis() as u64 >= self.millis());
        if due {
            self.last_tick = Some(now);
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_millis_takes_the_speed_or_the_nearest_slower_one() {
        let mut p = Playback::default();
        for (asked, got) in [
            (250, 250),
            (3000, 3000),
            (100, 100),
            (750, 1000),
            (5000, 3000),
            (50, 100),
        ] {
            p.set_millis(asked);
            assert_eq!(p.millis(), got, "asked {asked}");
        }
    }
}
