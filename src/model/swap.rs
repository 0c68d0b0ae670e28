//! Swap slots and the swap cache.

use super::types::{PageId, SlotId};

#[derive(Clone, Debug, Default)]
struct Slot {
    /// Swap ptes and shmem cache entries that refer to the slot.
    refs: u32,
    /// The swap-cache page holding the slot's data, if one is in memory.
    cache: Option<PageId>,
    used: bool,
}

/// The swap device: slots handed out lowest first, as a fresh swap file does.
#[derive(Clone, Debug, Default)]
pub struct Swap {
    slots: Vec<Slot>,
    used: u32,
}

impl Swap {
    /// Takes the lowest free slot.
    pub fn alloc(&mut self) -> SlotId {
        let i = match self.slots.iter().position(|s| !s.used) {
            Some(i) => i,
            None => {
                self.slots.push(Slot::default());
                self.slots.len() - 1
            }
        };
        self.slots[i] = Slot {
            refs: 0,
            cache: None,
            used: true,
        };
        self.used += 1;
        SlotId(i as u32)
    }

    pub fn add_ref(&mut self, s: SlotId) {
        if let Some(x) = self.slots.get_mut(s.0 as usize) {
            x.refs += 1;
        }
    }

    /// Drops one reference. Returns true when the slot became free; its cache page (if any) is
    /// then no longer in the swap cache.
    pub fn put(&mut self, s: SlotId) -> bool {
        let Some(x) = self.slots.get_mut(s.0 as usize) else {
            return false;
        };
        x.refs = x.refs.saturating_sub(1);
        if x.refs == 0 && x.used {
            *x = Slot::default();
            self.used -= 1;
            return true;
        }
        false
    }

    pub fn refs(&self, s: SlotId) -> u32 {
        self.slots.get(s.0 as usize).map_or(0, |x| x.refs)
    }

    pub fn cache_page(&self, s: SlotId) -> Option<PageId> {
        self.slots.get(s.0 as usize).and_then(|x| x.cache)
    }

    pub fn set_cache_page(&mut self, s: SlotId, p: Option<PageId>) {
        if let Some(x) = self.slots.get_mut(s.0 as usize) {
            x.cache = p;
        }
    }

    /// Slots in use.
    pub fn used(&self) -> u32 {
        self.used
    }
}
