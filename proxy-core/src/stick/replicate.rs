//! Change numbering and the replication interface of a stick table.
//!
//! As in HAProxy 2.6 (`__stktable_touch_with_exp`), every change of a
//! replicated table gets an update id from one per-table sequence:
//!
//! * a **local** change (rules, `set table`) always takes a new id and is
//!   marked local: peers sessions push local changes in id order and resume
//!   after the last id a peer acknowledged;
//! * a change **learned** from a peer takes an id only if the entry has none
//!   yet, and is marked learned: it is not pushed back to peers during normal
//!   operation (HAProxy files those at `id + 2^31` to the same effect), but a
//!   full resync ("teaching") sends every entry, learned ones included.
//!
//! Ids are 64-bit here and never wrap; the peers protocol carries their low
//! 32 bits. The sequence is advanced while the entry's shard is locked and
//! the entry is filed in the shard's update index (and the local watermark
//! raised) before the lock is released, so a reader that takes
//! [`StickTable::watermark`] or [`StickTable::local_watermark`] first and
//! then scans the shards sees every id up to it (or its later renumbering).
//!
//! Learned changes never touch local-only data (`conn_cur`), and never
//! create an entry a full `nopurge` table has no room for.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::data::{DataType, DataValue};
use super::entry::Entry;
use super::freq::FreqCtr;
use super::key::Key;
use super::shard::Updates;
use super::table::StickTable;

/// A value received from a peer, before conversion to the local storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteValue {
    /// Any integer type (signed values arrive sign-extended to 64 bits).
    Int(u64),
    /// A frequency counter: ms since its period started, current and
    /// previous counts.
    Freq { elapsed: u64, curr: u32, prev: u32 },
    /// A dictionary value; `None` leaves the stored value unchanged (an
    /// absent value or an unknown cache id, as in HAProxy).
    Dict(Option<Arc<str>>),
}

/// The values of one data type in a learned update (one element unless an
/// array, whose length is the sender's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteData {
    pub data_type: DataType,
    pub values: Vec<RemoteValue>,
}

/// A snapshot of a changed entry, to be sent to a peer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaEntry {
    /// Update id (its low 32 bits go on the wire).
    pub id: u64,
    pub key: Key,
    /// Remaining lifetime in ms (for timed updates).
    pub expire_in: u32,
    /// Local change (`false`: learned from a peer).
    pub local: bool,
    /// The values, in the table's data type order (arrays expanded).
    pub values: Box<[DataValue]>,
}

impl StickTable {
    /// Marks `entry` (in `slot` of a locked shard whose update index is
    /// `updates`) changed locally.
    pub(super) fn touch_local_locked(
        &self,
        updates: &mut Updates,
        slot: u32,
        entry: &mut Entry,
        now_ms: u64,
    ) {
        entry.expire = now_ms + u64::from(self.config().expire_ms);
        if !self.track_updates {
            return;
        }
        let id = self.update.fetch_add(1, Ordering::SeqCst) + 1;
        if entry.upd != 0 {
            updates.remove(&entry.upd);
        }
        entry.upd = id;
        entry.upd_local = true;
        updates.insert(id, slot);
        // published while the shard is still locked (see the module docs)
        self.local_update.fetch_max(id, Ordering::SeqCst);
        if let Some(k) = self.on_change.get() {
            k.ring_if_armed();
        }
    }

    /// Marks `entry` changed by a peer, expiring at `expire`.
    fn touch_remote_locked(
        &self,
        updates: &mut Updates,
        slot: u32,
        entry: &mut Entry,
        expire: u64,
    ) {
        entry.expire = expire;
        if !self.track_updates || entry.upd != 0 {
            return;
        }
        let id = self.update.fetch_add(1, Ordering::SeqCst) + 1;
        entry.upd = id;
        entry.upd_local = false;
        updates.insert(id, slot);
    }

    /// The last update id given (local and learned changes): every change
    /// up to it is visible to [`StickTable::collect_updates`]. Teaching a
    /// peer walks up to it.
    pub fn watermark(&self) -> u64 {
        self.update.load(Ordering::SeqCst)
    }

    /// The last update id given to a local change (HAProxy's
    /// `localupdate`): normal pushes walk up to it, and a peer whose last
    /// pushed id equals it has nothing to receive. Learned changes never
    /// move it.
    pub fn local_watermark(&self) -> u64 {
        self.local_update.load(Ordering::SeqCst)
    }

    /// Up to `max` entries whose update id is in `(after, upto]`, in id
    /// order; learned entries only if `include_remote`. An entry changed
    /// while this runs may be skipped: it has a newer id, found later.
    pub fn collect_updates(
        &self,
        after: u64,
        upto: u64,
        include_remote: bool,
        max: usize,
        now_ms: u64,
    ) -> Vec<ReplicaEntry> {
        let mut out = Vec::new();
        self.visit_updates(
            after,
            upto,
            include_remote,
            max,
            now_ms,
            |id, e, expire_in| {
                out.push(ReplicaEntry {
                    id,
                    key: e.key.clone(),
                    expire_in,
                    local: e.upd_local,
                    values: e.values.clone(),
                })
            },
        );
        out
    }

    /// [`StickTable::collect_updates`] without the copies: `f` sees each
    /// chosen entry (with its id and remaining lifetime) in id order,
    /// under its shard's lock, and takes what it needs from it.
    pub fn visit_updates(
        &self,
        after: u64,
        upto: u64,
        include_remote: bool,
        max: usize,
        now_ms: u64,
        mut f: impl FnMut(u64, &Entry, u32),
    ) {
        if max == 0 || upto <= after {
            return;
        }
        let ids = self.first_update_ids(after, upto, include_remote, max);
        // Phase 2, in id order: visit the chosen entries that did not move
        // meanwhile. One short lock per entry: uncontended, it costs less
        // than the entry's own cache misses.
        for (id, i, slot) in ids {
            let mut sh = self.lock(i);
            if let Some(e) = sh.entry(slot).filter(|e| e.upd == id) {
                let exp = u32::try_from(e.expire_in(now_ms)).unwrap_or(u32::MAX);
                f(id, e, exp);
            }
        }
    }

    /// Phase 1: the first `max` update ids in `(after, upto]` across the
    /// shards, as `(id, shard, slot)` in id order.
    ///
    /// Ids come from one counter, so the first `max` live ones usually lie
    /// just after `after`: the shards are read over a window of ids that
    /// starts `max` wide and doubles while too few are found (ids of
    /// entries changed again since, or of learned entries a push skips,
    /// are gaps).
    fn first_update_ids(
        &self,
        after: u64,
        upto: u64,
        include_remote: bool,
        max: usize,
    ) -> Vec<(u64, usize, u32)> {
        let mut ids: Vec<(u64, usize, u32)> = Vec::with_capacity(max.min(4096));
        let mut from = after;
        let mut width = (max as u64).max(16);
        while ids.len() < max && from < upto {
            let to = from.saturating_add(width).min(upto);
            for i in 0..self.shard_count() {
                let sh = self.lock(i);
                // a shard's first `max` in the window are all it can give
                let mut taken = 0;
                for (&id, &slot) in sh.updates.range(from + 1..=to) {
                    if taken == max {
                        break;
                    }
                    // (teaching takes every entry: no need to look at it)
                    let take = include_remote
                        || sh
                            .slots
                            .get(slot as usize)
                            .and_then(|e| e.as_ref())
                            .is_some_and(|e| e.upd_local);
                    if take {
                        ids.push((id, i, slot));
                        taken += 1;
                    }
                }
            }
            from = to;
            width = width.saturating_mul(2);
        }
        ids.sort_unstable();
        ids.truncate(max);
        ids
    }

    /// Applies an update learned from a peer: creates the entry if needed
    /// (`false` if the table has no room), stores the values of the types
    /// this table has (never local-only ones), sets the expiry to `expire_ms`
    /// from now (the table's own `expire` when the update carries none) and
    /// files the change as learned.
    pub fn apply_remote(
        &self,
        key: Key,
        data: &[RemoteData],
        expire_ms: Option<u32>,
        now_ms: u64,
    ) -> bool {
        let values = data.iter().flat_map(|d| {
            d.values
                .iter()
                .enumerate()
                .map(move |(i, v)| (d.data_type, i as u32, v.clone()))
        });
        self.apply_remote_values(&key, values, expire_ms, now_ms)
    }

    /// [`StickTable::apply_remote`] with the values as `(type, element,
    /// value)`, in any order (what a batch from the peers applet gives).
    pub fn apply_remote_values(
        &self,
        key: &Key,
        values: impl Iterator<Item = (DataType, u32, RemoteValue)>,
        expire_ms: Option<u32>,
        now_ms: u64,
    ) -> bool {
        let layout = &self.config().layout;
        let expire = now_ms + u64::from(expire_ms.unwrap_or(self.config().expire_ms));
        self.with_entry(key, now_ms, |t, updates, slot, e| {
            for (dt, idx, v) in values {
                if dt.is_local() {
                    continue;
                }
                if let Some(i) = layout.index(dt, idx) {
                    store_remote(&mut e.entry.values[i], &v, now_ms);
                }
            }
            t.touch_remote_locked(updates, slot, e.entry, expire);
        })
        .is_ok()
    }
}

/// Stores one learned value, converting as HAProxy's C assignments do;
/// a value of the wrong kind is ignored.
fn store_remote(dst: &mut DataValue, v: &RemoteValue, now_ms: u64) {
    match (dst, v) {
        (DataValue::SInt(x), RemoteValue::Int(n)) => *x = *n as i32,
        (DataValue::UInt(x), RemoteValue::Int(n)) => *x = *n as u32,
        (DataValue::Ull(x), RemoteValue::Int(n)) => *x = *n,
        (
            DataValue::Freq(f),
            RemoteValue::Freq {
                elapsed,
                curr,
                prev,
            },
        ) => *f = FreqCtr::from_wire(now_ms, *elapsed, *curr, *prev),
        (DataValue::Dict(d), RemoteValue::Dict(Some(s))) => *d = Some(s.clone()),
        _ => {}
    }
}
