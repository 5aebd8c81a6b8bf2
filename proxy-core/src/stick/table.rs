//! The stick table: a sharded map from keys to entries.
//!
//! # Concurrency
//!
//! HAProxy 2.6 protects each table with one spinlock held for a few tree
//! operations. Here a table is split into a power-of-two number of shards
//! (32 by default), each a [`std::sync::Mutex`] over its own hash map,
//! expiry index and update index; a key's shard is chosen from bits 32..37
//! of its SipHash (the map reuses the same hash, so a key is hashed once).
//! Request-path operations on different keys thus rarely contend, and each
//! holds one shard lock for a map lookup and a few index updates. A `Mutex`
//! rather than an `RwLock` because nearly every access writes (counters,
//! expiry). No operation ever holds two shard locks.
//!
//! # Size, eviction and expiry
//!
//! The entry count is one atomic. Creating an entry first reserves a place;
//! when the table is full it fails with `nopurge`, otherwise it evicts, as
//! HAProxy's `stktable_trash_oldest()`, up to `size / 256 + 1` unreferenced
//! entries with the earliest expiry dates of the whole table (each shard is
//! locked in turn to offer its earliest ones). Every local touch moves the
//! date to `now + expire` (`now` in tables without `expire`), so the
//! earliest date is the least recently touched entry: LRU. The
//! expiry index is refreshed lazily: a touch only moves the entry's date and
//! the index is corrected when the purge or the eviction meets the entry.
//! [`StickTable::purge_expired`] removes due entries; tables without
//! `expire` never purge (their entries' dates are their last touch, used for
//! eviction order only), as in HAProxy.
//!
//! # Updates
//!
//! Tables replicated by a peers section number their changes for the peers
//! protocol, see [`super::replicate`].

use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use super::conf::TableConfig;
use super::entry::{Entry, EntryMut};
use super::key::Key;
pub(super) use super::shard::{Shard, Updates};
use crate::kick::Kick;

/// Shards of a table unless told otherwise.
pub const DEFAULT_SHARDS: usize = 32;

/// A new entry could not be made: the table is full and `nopurge` is set,
/// or every entry is referenced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableFull;

/// The entry is referenced by a tracker and cannot be removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InUse;

/// Where a referenced entry lives (see [`StickTable::track_local`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryRef {
    shard: u32,
    slot: u32,
}

/// A stick table.
pub struct StickTable {
    conf: TableConfig,
    shards: Box<[Mutex<Shard>]>,
    hasher: RandomState,
    used: AtomicU32,
    /// Last update id given (local and learned changes share the sequence).
    pub(super) update: AtomicU64,
    /// Highest update id given to a local change.
    pub(super) local_update: AtomicU64,
    /// Whether changes are numbered (the table is replicated).
    pub(super) track_updates: bool,
    /// Rung on local changes (the peers section's sync task listens).
    pub(super) on_change: OnceLock<Arc<Kick>>,
}

impl StickTable {
    /// A table with [`DEFAULT_SHARDS`] shards. Changes are numbered for
    /// replication when `conf.peers` is set.
    pub fn new(conf: TableConfig) -> StickTable {
        StickTable::with_shards(conf, DEFAULT_SHARDS)
    }

    /// A table with `n` shards (rounded up to a power of two, 1 to 64).
    pub fn with_shards(conf: TableConfig, n: usize) -> StickTable {
        let n = n.clamp(1, 64).next_power_of_two();
        let track_updates = conf.peers.is_some();
        StickTable {
            conf,
            shards: (0..n).map(|_| Mutex::new(Shard::default())).collect(),
            hasher: RandomState::new(),
            used: AtomicU32::new(0),
            update: AtomicU64::new(0),
            local_update: AtomicU64::new(0),
            track_updates,
            on_change: OnceLock::new(),
        }
    }

    /// Numbers changes for replication even without `peers` (tests, or a
    /// table attached to a peers section later).
    pub fn set_track_updates(&mut self, on: bool) {
        self.track_updates = on;
    }

    /// Rings `kick` (when armed) on every local change of a replicated
    /// table; set once, by the peers section that shares the table.
    pub fn notify_changes(&self, kick: Arc<Kick>) {
        let _ = self.on_change.set(kick);
    }

    pub fn config(&self) -> &TableConfig {
        &self.conf
    }

    pub fn name(&self) -> &str {
        &self.conf.name
    }

    /// Entries currently stored (`used:`).
    pub fn used(&self) -> u32 {
        self.used.load(Ordering::Relaxed)
    }

    pub(super) fn shard_count(&self) -> usize {
        self.shards.len()
    }

    pub(super) fn lock(&self, i: usize) -> MutexGuard<'_, Shard> {
        // a panic while holding a shard leaves consistent indexes behind
        // (every mutation is completed before user code runs), so go on
        self.shards[i].lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn locate(&self, key: &Key) -> (u64, usize) {
        let hash = self.hasher.hash_one(key);
        (hash, (hash >> 32) as usize & (self.shards.len() - 1))
    }

    /// Runs `f` on the entry of `key` if present (no touch, no creation).
    pub fn lookup<R>(
        &self,
        key: &Key,
        now_ms: u64,
        f: impl FnOnce(&mut EntryMut<'_>) -> R,
    ) -> Option<R> {
        let (hash, i) = self.locate(key);
        let mut sh = self.lock(i);
        let slot = sh.find(hash, key)?;
        let entry = sh.entry(slot)?;
        Some(f(&mut EntryMut {
            entry,
            layout: &self.conf.layout,
            now_ms,
        }))
    }

    /// Whether `key` is present.
    pub fn contains(&self, key: &Key) -> bool {
        let (hash, i) = self.locate(key);
        self.lock(i).find(hash, key).is_some()
    }

    /// Runs `f` on the entry of `key`, creating it first if needed.
    pub fn get_or_create<R>(
        &self,
        key: Key,
        now_ms: u64,
        f: impl FnOnce(&mut EntryMut<'_>) -> R,
    ) -> Result<R, TableFull> {
        self.with_entry(&key, now_ms, |_, _, _, e| f(e))
    }

    /// Runs `f` on the entry of `key` (created if needed), then marks it
    /// changed locally: its expiry restarts and, in replicated tables, it
    /// gets a new update id (HAProxy's `stktable_touch_local`).
    pub fn update_local<R>(
        &self,
        key: Key,
        now_ms: u64,
        f: impl FnOnce(&mut EntryMut<'_>) -> R,
    ) -> Result<R, TableFull> {
        self.with_entry(&key, now_ms, |t, updates, slot, e| {
            let r = f(e);
            t.touch_local_locked(updates, slot, e.entry, now_ms);
            r
        })
    }

    /// [`StickTable::update_local`] without a change: restarts the expiry.
    /// `false` if the key is absent.
    pub fn touch_local(&self, key: &Key, now_ms: u64) -> bool {
        let (hash, i) = self.locate(key);
        let mut sh = self.lock(i);
        let Some(slot) = sh.find(hash, key) else {
            return false;
        };
        let Some((e, updates)) = sh.entry_and_updates(slot) else {
            return false;
        };
        self.touch_local_locked(updates, slot, e, now_ms);
        true
    }

    /// Takes a reference on the entry of `key` (created if needed), as a
    /// tracking rule does: referenced entries are never evicted or purged.
    pub fn acquire(&self, key: Key, now_ms: u64) -> Result<(), TableFull> {
        self.get_or_create(key, now_ms, |e| e.entry.ref_cnt += 1)
    }

    /// [`StickTable::acquire`] and [`StickTable::update_local`] in one
    /// shard lock: takes a reference on the entry of `key` (created if
    /// needed), runs `f` on it and marks it changed locally. This is what a
    /// `track-sc` rule does (`stream_track_stkctr`).
    ///
    /// The returned [`EntryRef`] reaches the entry without a lookup while
    /// the reference is held ([`StickTable::modify_ref`],
    /// [`StickTable::lookup_ref`], [`StickTable::untrack_ref`]): a
    /// referenced entry is never removed, evicted or purged, so it stays in
    /// its slot.
    pub fn track_local<R>(
        &self,
        key: &Key,
        now_ms: u64,
        f: impl FnOnce(&mut EntryMut<'_>) -> R,
    ) -> Result<(R, EntryRef), TableFull> {
        self.with_entry_at(key, now_ms, |t, updates, slot, e| {
            e.entry.ref_cnt += 1;
            let r = f(e);
            t.touch_local_locked(updates, slot, e.entry, now_ms);
            r
        })
    }

    /// Runs `f` on the entry at `r` (which must hold `key`) and marks it
    /// changed locally; `None` if it is not there.
    pub fn modify_ref<R>(
        &self,
        r: EntryRef,
        key: &Key,
        now_ms: u64,
        f: impl FnOnce(&mut EntryMut<'_>) -> R,
    ) -> Option<R> {
        self.at_ref(r, key, now_ms, false, true, f)
    }

    /// Runs `f` on the entry at `r` (which must hold `key`) without
    /// touching it.
    pub fn lookup_ref<R>(
        &self,
        r: EntryRef,
        key: &Key,
        now_ms: u64,
        f: impl FnOnce(&mut EntryMut<'_>) -> R,
    ) -> Option<R> {
        self.at_ref(r, key, now_ms, false, false, f)
    }

    /// [`StickTable::untrack_local`] for the entry at `r`.
    pub fn untrack_ref<R>(
        &self,
        r: EntryRef,
        key: &Key,
        now_ms: u64,
        f: impl FnOnce(&mut EntryMut<'_>) -> R,
    ) -> Option<R> {
        self.at_ref(r, key, now_ms, true, true, f)
    }

    fn at_ref<R>(
        &self,
        r: EntryRef,
        key: &Key,
        now_ms: u64,
        unref: bool,
        touch: bool,
        f: impl FnOnce(&mut EntryMut<'_>) -> R,
    ) -> Option<R> {
        let mut sh = self.lock(r.shard as usize & (self.shards.len() - 1));
        let ok = sh
            .slots
            .get(r.slot as usize)
            .and_then(Option::as_ref)
            .is_some_and(|e| e.key == *key);
        if !ok {
            // not where it was (cannot happen while referenced): by key
            drop(sh);
            return match (unref, touch) {
                (true, _) => self.untrack_local(key, now_ms, f),
                (false, true) => self.modify_local(key, now_ms, f),
                (false, false) => self.lookup(key, now_ms, f),
            };
        }
        let (entry, updates) = sh.entry_and_updates(r.slot)?;
        if unref {
            entry.ref_cnt = entry.ref_cnt.saturating_sub(1);
        }
        let out = f(&mut EntryMut {
            entry,
            layout: &self.conf.layout,
            now_ms,
        });
        if touch {
            self.touch_local_locked(updates, r.slot, entry, now_ms);
        }
        Some(out)
    }

    /// Runs `f` on the entry of `key` if present and marks it changed
    /// locally (no creation). `None` if absent.
    pub fn modify_local<R>(
        &self,
        key: &Key,
        now_ms: u64,
        f: impl FnOnce(&mut EntryMut<'_>) -> R,
    ) -> Option<R> {
        self.modify_inner(key, now_ms, false, f)
    }

    /// Drops a reference taken by [`StickTable::track_local`] after running
    /// `f` on the entry, which is marked changed locally.
    pub fn untrack_local<R>(
        &self,
        key: &Key,
        now_ms: u64,
        f: impl FnOnce(&mut EntryMut<'_>) -> R,
    ) -> Option<R> {
        self.modify_inner(key, now_ms, true, f)
    }

    fn modify_inner<R>(
        &self,
        key: &Key,
        now_ms: u64,
        unref: bool,
        f: impl FnOnce(&mut EntryMut<'_>) -> R,
    ) -> Option<R> {
        let (hash, i) = self.locate(key);
        let mut sh = self.lock(i);
        let slot = sh.find(hash, key)?;
        let (entry, updates) = sh.entry_and_updates(slot)?;
        if unref {
            entry.ref_cnt = entry.ref_cnt.saturating_sub(1);
        }
        let r = f(&mut EntryMut {
            entry,
            layout: &self.conf.layout,
            now_ms,
        });
        self.touch_local_locked(updates, slot, entry, now_ms);
        Some(r)
    }

    /// Drops a reference taken by [`StickTable::acquire`].
    pub fn release(&self, key: &Key) {
        self.lookup(key, 0, |e| {
            e.entry.ref_cnt = e.entry.ref_cnt.saturating_sub(1)
        });
    }

    /// Removes `key`; `Ok(false)` if absent, `Err(InUse)` if referenced.
    pub fn remove(&self, key: &Key) -> Result<bool, InUse> {
        let (hash, i) = self.locate(key);
        let mut sh = self.lock(i);
        let Some(slot) = sh.find(hash, key) else {
            return Ok(false);
        };
        if sh.entry(slot).is_some_and(|e| e.ref_cnt > 0) {
            return Err(InUse);
        }
        if sh.remove(slot).is_some() {
            self.used.fetch_sub(1, Ordering::Relaxed);
        }
        Ok(true)
    }

    /// Removes every unreferenced entry for which `pred` holds; returns how
    /// many.
    pub fn remove_if(&self, now_ms: u64, mut pred: impl FnMut(&mut EntryMut<'_>) -> bool) -> usize {
        let mut n = 0;
        for i in 0..self.shards.len() {
            let mut sh = self.lock(i);
            let slots: Vec<u32> = sh.map.values().copied().collect();
            for slot in slots {
                let doomed = match sh.entry(slot) {
                    Some(e) if e.ref_cnt == 0 => pred(&mut EntryMut {
                        entry: e,
                        layout: &self.conf.layout,
                        now_ms,
                    }),
                    _ => false,
                };
                if doomed && sh.remove(slot).is_some() {
                    n += 1;
                }
            }
        }
        self.used.fetch_sub(n as u32, Ordering::Relaxed);
        n
    }

    /// Removes the unreferenced entries whose date has passed. Does nothing
    /// in tables without `expire`. Returns how many were removed.
    pub fn purge_expired(&self, now_ms: u64) -> usize {
        if self.conf.expire_ms == 0 {
            return 0;
        }
        let mut n = 0;
        for i in 0..self.shards.len() {
            let mut sh = self.lock(i);
            n += sh.walk_exps(usize::MAX, now_ms, |date, _| {
                (date <= now_ms).then_some(true)
            });
        }
        self.used.fetch_sub(n as u32, Ordering::Relaxed);
        n
    }

    /// The earliest expiry date filed (possibly stale: a hint for the next
    /// purge), `None` without entries or without `expire`.
    pub fn next_expiry(&self) -> Option<u64> {
        if self.conf.expire_ms == 0 {
            return None;
        }
        (0..self.shards.len())
            .filter_map(|i| self.lock(i).exps.iter().next().map(|x| x.0))
            .min()
    }

    /// Visits every entry (shard by shard, each under its lock).
    pub fn for_each(&self, now_ms: u64, mut f: impl FnMut(&mut EntryMut<'_>)) {
        for i in 0..self.shards.len() {
            let mut sh = self.lock(i);
            let slots: Vec<u32> = sh.map.values().copied().collect();
            for slot in slots {
                if let Some(entry) = sh.entry(slot) {
                    f(&mut EntryMut {
                        entry,
                        layout: &self.conf.layout,
                        now_ms,
                    });
                }
            }
        }
    }

    /// Finds or creates the entry of `key` and runs `f` with the table, the
    /// locked shard, the entry's slot and the entry. The entry is taken out of its slot while
    /// `f` runs so the shard's indexes stay usable.
    pub(super) fn with_entry<R>(
        &self,
        key: &Key,
        now_ms: u64,
        f: impl FnOnce(&StickTable, &mut Updates, u32, &mut EntryMut<'_>) -> R,
    ) -> Result<R, TableFull> {
        self.with_entry_at(key, now_ms, f).map(|(r, _)| r)
    }

    /// [`StickTable::with_entry`] that also says where the entry is.
    fn with_entry_at<R>(
        &self,
        key: &Key,
        now_ms: u64,
        f: impl FnOnce(&StickTable, &mut Updates, u32, &mut EntryMut<'_>) -> R,
    ) -> Result<(R, EntryRef), TableFull> {
        let (hash, i) = self.locate(key);
        let mut sh = self.lock(i);
        let slot = match sh.find(hash, key) {
            Some(s) => s,
            // Room without evicting: take it under this lock (no second
            // lookup); only an eviction, which locks other shards, needs
            // this one released first.
            None if self.try_reserve() => {
                let values = self.conf.layout.zero_values();
                sh.insert(Entry::new(
                    key.clone(),
                    hash,
                    now_ms,
                    self.conf.expire_ms,
                    values,
                ))
            }
            None => {
                drop(sh);
                self.reserve()?;
                sh = self.lock(i);
                match sh.find(hash, key) {
                    Some(s) => {
                        // created meanwhile by another thread
                        self.used.fetch_sub(1, Ordering::Relaxed);
                        s
                    }
                    None => {
                        let values = self.conf.layout.zero_values();
                        let k = key.clone();
                        sh.insert(Entry::new(k, hash, now_ms, self.conf.expire_ms, values))
                    }
                }
            }
        };
        let (entry, updates) = sh.entry_and_updates(slot).ok_or(TableFull)?;
        let r = f(
            self,
            updates,
            slot,
            &mut EntryMut {
                entry,
                layout: &self.conf.layout,
                now_ms,
            },
        );
        Ok((
            r,
            EntryRef {
                shard: i as u32,
                slot,
            },
        ))
    }

    /// Reserves room for one entry, evicting if needed. Called without any
    /// shard lock held.
    /// Counts one more entry if the table is not full.
    fn try_reserve(&self) -> bool {
        self.used
            .fetch_update(Ordering::AcqRel, Ordering::Relaxed, |cur| {
                (cur < self.conf.size).then_some(cur + 1)
            })
            .is_ok()
    }

    fn reserve(&self) -> Result<(), TableFull> {
        let mut attempts = 0;
        loop {
            let cur = self.used.load(Ordering::Relaxed);
            if cur < self.conf.size {
                if self
                    .used
                    .compare_exchange_weak(cur, cur + 1, Ordering::AcqRel, Ordering::Relaxed)
                    .is_ok()
                {
                    return Ok(());
                }
                continue;
            }
            if self.conf.nopurge {
                return Err(TableFull);
            }
            // an eviction frees nothing when no entry can go (all referenced)
            // or when other threads took its candidates first: retry those
            let (offered, _) = self.evict();
            attempts += 1;
            if offered == 0 || attempts > 64 {
                return Err(TableFull);
            }
        }
    }

    /// Evicts up to `size / 256 + 1` unreferenced entries with the earliest
    /// dates of the whole table: each shard offers its earliest ones, the
    /// earliest of all offers are removed. Returns how many were offered
    /// and how many removed.
    fn evict(&self) -> (usize, usize) {
        let batch = (self.conf.size >> 8) as usize + 1;
        let mut offers: Vec<(u64, usize, u32)> = Vec::new();
        for i in 0..self.shards.len() {
            let mut sh = self.lock(i);
            let mut mine = 0;
            sh.walk_exps(batch * 4, u64::MAX, |date, slot| {
                if mine == batch {
                    return None;
                }
                mine += 1;
                offers.push((date, i, slot));
                Some(false)
            });
        }
        let offered = offers.len();
        offers.sort_unstable();
        offers.truncate(batch);
        offers.sort_unstable_by_key(|&(_, i, _)| i);
        let mut freed = 0;
        let mut k = 0;
        while k < offers.len() {
            let i = offers[k].1;
            let mut sh = self.lock(i);
            while k < offers.len() && offers[k].1 == i {
                let (date, _, slot) = offers[k];
                let still = sh
                    .entry(slot)
                    .is_some_and(|e| e.ref_cnt == 0 && e.exp_key == date && e.expire == date);
                if still && sh.remove(slot).is_some() {
                    freed += 1;
                }
                k += 1;
            }
        }
        self.used.fetch_sub(freed as u32, Ordering::Relaxed);
        (offered, freed)
    }
}

impl std::fmt::Debug for StickTable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StickTable")
            .field("name", &self.conf.name)
            .field("used", &self.used())
            .field("shards", &self.shards.len())
            .finish()
    }
}
