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
use super::table::{Shard, StickTable};

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
    /// Marks `entry` (in `slot` of the locked `sh`) changed locally.
    pub(super) fn touch_local_locked(
        &self,
        sh: &mut Shard,
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
            sh.updates.remove(&entry.upd);
        }
        entry.upd = id;
        entry.upd_local = true;
        sh.updates.insert(id, slot);
        // published while the shard is still locked (see the module docs)
        self.local_update.fetch_max(id, Ordering::SeqCst);
        if let Some(k) = self.on_change.get() {
            k.ring_if_armed();
        }
    }

    /// Marks `entry` changed by a peer, expiring at `expire`.
    fn touch_remote_locked(&self, sh: &mut Shard, slot: u32, entry: &mut Entry, expire: u64) {
        entry.expire = expire;
        if !self.track_updates || entry.upd != 0 {
            return;
        }
        let id = self.update.fetch_add(1, Ordering::SeqCst) + 1;
        entry.upd = id;
        entry.upd_local = false;
        sh.updates.insert(id, slot);
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
        if max == 0 || upto <= after {
            return Vec::new();
        }
        // phase 1: the ids only, shard by shard
        let mut ids: Vec<(u64, usize, u32)> = Vec::new();
        for i in 0..self.shard_count() {
            let sh = self.lock(i);
            let mut taken = 0;
            for (&id, &slot) in sh.updates.range(after + 1..=upto) {
                let local = sh
                    .slots
                    .get(slot as usize)
                    .and_then(|e| e.as_ref())
                    .is_some_and(|e| e.upd_local);
                if local || include_remote {
                    ids.push((id, i, slot));
                    taken += 1;
                    if taken == max {
                        break;
                    }
                }
            }
        }
        ids.sort_unstable();
        ids.truncate(max);
        // phase 2: snapshot the chosen entries if they did not move
        let mut out = Vec::with_capacity(ids.len());
        let mut by_shard = ids.clone();
        by_shard.sort_unstable_by_key(|&(_, i, _)| i);
        let mut k = 0;
        while k < by_shard.len() {
            let i = by_shard[k].1;
            let mut sh = self.lock(i);
            while k < by_shard.len() && by_shard[k].1 == i {
                let (id, _, slot) = by_shard[k];
                if let Some(e) = sh.entry(slot).filter(|e| e.upd == id) {
                    out.push(ReplicaEntry {
                        id,
                        key: e.key.clone(),
                        expire_in: u32::try_from(e.expire_in(now_ms)).unwrap_or(u32::MAX),
                        local: e.upd_local,
                        values: e.values.clone(),
                    });
                }
                k += 1;
            }
        }
        out.sort_unstable_by_key(|r| r.id);
        out
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
        let layout = &self.config().layout;
        let expire = now_ms + u64::from(expire_ms.unwrap_or(self.config().expire_ms));
        self.with_entry(&key, now_ms, |t, sh, slot, e| {
            for d in data {
                if d.data_type.is_local() {
                    continue;
                }
                for (idx, v) in d.values.iter().enumerate() {
                    let Some(i) = layout.index(d.data_type, idx as u32) else {
                        break;
                    };
                    store_remote(&mut e.entry.values[i], v, now_ms);
                }
            }
            t.touch_remote_locked(sh, slot, e.entry, expire);
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
