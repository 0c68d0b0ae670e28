//! The app's cache of step views: the graph and laid-out view of a (scheme, step), with the
//! state it shows, kept for the most recently shown steps.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::session::Simulation;
use crate::view::StepView;

pub(super) type CacheKey = (usize, usize);

/// A step's view and the state it shows.
pub(super) type CachedView = (Arc<StepView>, Arc<Simulation>);

/// Step views by (scheme, step), least recently used first out. What leaves the cache is
/// handed back, for the app to free between keys.
#[derive(Default)]
pub(super) struct ViewCache {
    map: HashMap<CacheKey, CachedView>,
    order: VecDeque<CacheKey>,
}

const CACHE_SIZE: usize = 24;

impl ViewCache {
    pub(super) fn get(&mut self, k: CacheKey) -> Option<(Arc<StepView>, Arc<Simulation>)> {
        let v = self.map.get(&k).cloned()?;
        self.order.retain(|&o| o != k);
        self.order.push_back(k);
        Some(v)
    }

    /// Caches `v`; returns what that pushed out.
    #[must_use]
    pub(super) fn put(&mut self, k: CacheKey, v: CachedView) -> Vec<CachedView> {
        let mut out: Vec<CachedView> = self.map.insert(k, v).into_iter().collect();
        self.order.retain(|&o| o != k);
        self.order.push_back(k);
        while self.order.len() > CACHE_SIZE {
            if let Some(old) = self.order.pop_front() {
                out.extend(self.map.remove(&old));
            }
        }
        out
    }

    /// The view of `k`, if cached, without making it the most recently used.
    pub(super) fn peek(&self, k: CacheKey) -> Option<&CachedView> {
        self.map.get(&k)
    }

    pub(super) fn contains(&self, k: CacheKey) -> bool {
        self.map.contains_key(&k)
    }

    #[must_use]
    pub(super) fn clear(&mut self) -> Vec<CachedView> {
        self.order.clear();
        self.map.drain().map(|(_, v)| v).collect()
    }

    /// Forgets the views of steps after `step` (the scenario changed there).
    #[must_use]
    pub(super) fn forget_after(&mut self, step: usize) -> Vec<CachedView> {
        self.order.retain(|k| k.1 <= step);
        let gone: Vec<CacheKey> = self.map.keys().filter(|k| k.1 > step).copied().collect();
        gone.iter().filter_map(|k| self.map.remove(k)).collect()
    }
}
