//! One shard of a stick table: its entries, the map from key to entry, the
//! expiry index and the update index, all behind the shard's lock (see
//! [`super::table`] for the design).
//!
//! Keys are hashed once (SipHash with a per-table random key, in
//! [`super::table::StickTable`]); the map stores that hash with the key and
//! hashes by it, and is searched with a borrowed `(hash, &key)` so lookups
//! never clone keys.

use std::borrow::Borrow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::ops::Bound::{Excluded, Unbounded};

use super::entry::Entry;
use super::key::Key;

/// A map key carrying its precomputed hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct HKey {
    pub(super) hash: u64,
    pub(super) key: Key,
}

impl Hash for HKey {
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_u64(self.hash);
    }
}

/// A borrowed (hash, key) the map can be searched with, so lookups do not
/// clone the key.
pub(super) trait KeyView {
    fn view(&self) -> (u64, &Key);
}

impl KeyView for HKey {
    fn view(&self) -> (u64, &Key) {
        (self.hash, &self.key)
    }
}

impl KeyView for (u64, &Key) {
    fn view(&self) -> (u64, &Key) {
        (self.0, self.1)
    }
}

impl<'a> Borrow<dyn KeyView + 'a> for HKey {
    fn borrow(&self) -> &(dyn KeyView + 'a) {
        self
    }
}

impl Hash for dyn KeyView + '_ {
    fn hash<H: Hasher>(&self, h: &mut H) {
        h.write_u64(self.view().0);
    }
}

impl PartialEq for dyn KeyView + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.view() == other.view()
    }
}

impl Eq for dyn KeyView + '_ {}

/// Passes the precomputed hash through.
#[derive(Default)]
pub(super) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

/// A shard's update index: update id to slot.
pub(super) type Updates = BTreeMap<u64, u32>;

/// One shard: entries in slots, a map from key to slot, the expiry index
/// (date, slot) and the update index (update id → slot).
#[derive(Default)]
pub(super) struct Shard {
    pub(super) map: HashMap<HKey, u32, BuildHasherDefault<IdHasher>>,
    /// Entries in place (not boxed): reaching one from its slot is one
    /// memory access, not two.
    pub(super) slots: Vec<Option<Entry>>,
    pub(super) free: Vec<u32>,
    pub(super) exps: BTreeSet<(u64, u32)>,
    pub(super) updates: Updates,
}

impl Shard {
    pub(super) fn find(&self, hash: u64, key: &Key) -> Option<u32> {
        self.map.get(&(hash, key) as &dyn KeyView).copied()
    }

    pub(super) fn entry(&mut self, slot: u32) -> Option<&mut Entry> {
        self.slots.get_mut(slot as usize)?.as_mut()
    }

    /// The entry in `slot` and the update index, borrowed together (an
    /// entry is changed in place while its update id is refiled).
    pub(super) fn entry_and_updates(&mut self, slot: u32) -> Option<(&mut Entry, &mut Updates)> {
        let e = self.slots.get_mut(slot as usize)?.as_mut()?;
        Some((e, &mut self.updates))
    }

    pub(super) fn insert(&mut self, entry: Entry) -> u32 {
        let hk = HKey {
            hash: entry.hash,
            key: entry.key.clone(),
        };
        let exp = entry.exp_key;
        let slot = match self.free.pop() {
            Some(s) => {
                self.slots[s as usize] = Some(entry);
                s
            }
            None => {
                self.slots.push(Some(entry));
                (self.slots.len() - 1) as u32
            }
        };
        self.map.insert(hk, slot);
        self.exps.insert((exp, slot));
        slot
    }

    /// Unlinks and frees the entry in `slot`.
    pub(super) fn remove(&mut self, slot: u32) -> Option<Entry> {
        let e = self.slots.get_mut(slot as usize)?.take()?;
        self.map.remove(&(e.hash, &e.key) as &dyn KeyView);
        self.exps.remove(&(e.exp_key, slot));
        if e.upd != 0 {
            self.updates.remove(&e.upd);
        }
        self.free.push(slot);
        Some(e)
    }

    /// Walks the expiry index from the earliest date, stopping at the first
    /// entry filed after `horizon`. For each entry filed under a stale
    /// date, re-files it; for the others, `kill` decides (given the
    /// entry's date and slot) whether to remove it, or `None` to stop.
    /// Referenced entries are skipped. At most `budget` visits.
    ///
    /// The purge passes `now` as the horizon, as HAProxy's expiry task
    /// does: only entries filed as due are looked at (and re-filed if they
    /// were touched since), so its cost follows what expires, not the
    /// table's size.
    pub(super) fn walk_exps(
        &mut self,
        mut budget: usize,
        horizon: u64,
        mut kill: impl FnMut(u64, u32) -> Option<bool>,
    ) -> usize {
        let mut removed = 0;
        let mut cursor: Option<(u64, u32)> = None;
        loop {
            let next = match cursor {
                None => self.exps.iter().next().copied(),
                Some(c) => self.exps.range((Excluded(c), Unbounded)).next().copied(),
            };
            let Some((date, slot)) = next else { break };
            if budget == 0 || date > horizon {
                break;
            }
            budget -= 1;
            cursor = Some((date, slot));
            let Some(e) = self.entry(slot) else {
                self.exps.remove(&(date, slot));
                continue;
            };
            if e.ref_cnt > 0 {
                continue;
            }
            if e.expire != date {
                let new = e.expire;
                e.exp_key = new;
                self.exps.remove(&(date, slot));
                self.exps.insert((new, slot));
                continue;
            }
            match kill(date, slot) {
                None => break,
                Some(false) => {}
                Some(true) => {
                    self.remove(slot);
                    removed += 1;
                }
            }
        }
        removed
    }
}
