//! One stick-table entry and the accessor rules use to read and change it.
//!
//! An [`Entry`] lives inside its table's shard and is only reached while
//! that shard's lock is held, through an [`EntryMut`] handed to a closure
//! (see [`StickTable::lookup`](super::StickTable::lookup)). The accessor
//! knows the table's [`DataLayout`] and the current time, so counters can be
//! changed by data type: `e.add(DataType::Gpc0, 0, 1)`,
//! `e.add(DataType::ConnRate, 0, 1)` (a frequency counter counts the event),
//! `e.read(DataType::HttpReqRate, 0)`.

use std::sync::Arc;

use super::data::{DataLayout, DataType, DataValue};
use super::key::Key;

/// A stored entry.
#[derive(Debug)]
pub struct Entry {
    pub(super) key: Key,
    pub(super) hash: u64,
    /// Absolute expiry date (ms, the table's clock).
    pub(super) expire: u64,
    /// The date under which the entry is filed in its shard's expiry index
    /// (refreshed lazily, as HAProxy's `exp` tree).
    pub(super) exp_key: u64,
    /// Trackers holding the entry (`use=`); a referenced entry is neither
    /// evicted nor purged nor cleared.
    pub(super) ref_cnt: u32,
    /// Update id (0: not in the update index).
    pub(super) upd: u64,
    /// Whether `upd` is a local change (pushed to peers) or a learned one
    /// (only taught during a full resync).
    pub(super) upd_local: bool,
    pub(super) values: Box<[DataValue]>,
}

impl Entry {
    pub(super) fn new(
        key: Key,
        hash: u64,
        now_ms: u64,
        expire_ms: u32,
        values: Box<[DataValue]>,
    ) -> Entry {
        let expire = now_ms + u64::from(expire_ms);
        Entry {
            key,
            hash,
            expire,
            exp_key: expire,
            ref_cnt: 0,
            upd: 0,
            upd_local: false,
            values,
        }
    }

    pub fn key(&self) -> &Key {
        &self.key
    }

    /// Remaining lifetime at `now_ms` (0 when due, and always 0 in tables
    /// without `expire`, as `show table` prints).
    pub fn expire_in(&self, now_ms: u64) -> u64 {
        self.expire.saturating_sub(now_ms)
    }

    pub fn ref_cnt(&self) -> u32 {
        self.ref_cnt
    }

    /// The entry's current update id (0 if never touched).
    pub fn update_id(&self) -> u64 {
        self.upd
    }

    /// Whether its last change was local (`false`: learned from a peer).
    pub fn changed_locally(&self) -> bool {
        self.upd_local
    }

    pub fn values(&self) -> &[DataValue] {
        &self.values
    }
}

/// Access to an entry while its shard is locked.
pub struct EntryMut<'a> {
    pub(super) entry: &'a mut Entry,
    pub(super) layout: &'a DataLayout,
    pub(super) now_ms: u64,
}

impl EntryMut<'_> {
    pub fn key(&self) -> &Key {
        &self.entry.key
    }

    pub fn entry(&self) -> &Entry {
        self.entry
    }

    /// Element `idx` (0 unless an array) of `dt`, if stored.
    pub fn get(&self, dt: DataType, idx: u32) -> Option<&DataValue> {
        self.layout.index(dt, idx).map(|i| &self.entry.values[i])
    }

    /// Mutable element `idx` of `dt`, if stored.
    pub fn get_mut(&mut self, dt: DataType, idx: u32) -> Option<&mut DataValue> {
        self.layout
            .index(dt, idx)
            .map(move |i| &mut self.entry.values[i])
    }

    /// The value as fetches see it (a rate is read over its period now).
    pub fn read(&self, dt: DataType, idx: u32) -> Option<i64> {
        let period = self.layout.period(dt);
        self.get(dt, idx).map(|v| v.as_i64(self.now_ms, period))
    }

    /// Adds `n`: counters wrap at their width; a frequency counter counts
    /// `n` events now. Returns the new value (for a rate: its current
    /// period's count, as `update_freq_ctr_period` returns).
    pub fn add(&mut self, dt: DataType, idx: u32, n: u64) -> Option<i64> {
        let (now, period) = (self.now_ms, self.layout.period(dt));
        Some(match self.get_mut(dt, idx)? {
            DataValue::SInt(v) => {
                *v = v.wrapping_add(n as i32);
                i64::from(*v)
            }
            DataValue::UInt(v) => {
                *v = v.wrapping_add(n as u32);
                i64::from(*v)
            }
            DataValue::Ull(v) => {
                *v = v.wrapping_add(n);
                *v as i64
            }
            DataValue::Freq(f) => i64::from(f.update(now, period, n as u32)),
            DataValue::Dict(_) => return None,
        })
    }

    /// Sets an integer value (truncated to the storage width; a rate gets
    /// `v` as its current count). `false` if `dt` is not stored.
    pub fn set(&mut self, dt: DataType, idx: u32, v: i64) -> bool {
        let now = self.now_ms;
        match self.get_mut(dt, idx) {
            Some(x) => {
                x.set_i64(now, v);
                true
            }
            None => false,
        }
    }

    /// Sets a dictionary value (`server_key`).
    pub fn set_dict(&mut self, dt: DataType, s: Option<Arc<str>>) -> bool {
        match self.get_mut(dt, 0) {
            Some(DataValue::Dict(d)) => {
                *d = s;
                true
            }
            _ => false,
        }
    }

    /// The dictionary value of `dt`.
    pub fn dict(&self, dt: DataType) -> Option<&Arc<str>> {
        match self.get(dt, 0) {
            Some(DataValue::Dict(d)) => d.as_ref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stick::store::parse_store_list;

    #[test]
    fn accessors() {
        let (specs, _) =
            parse_store_list("server_id,gpt0,conn_rate(10s),bytes_in_cnt,server_key,gpc(2)")
                .unwrap();
        let layout = DataLayout::new(&specs);
        let mut e = Entry::new(Key::Integer(1), 0, 1_000_000, 500, layout.zero_values());
        assert_eq!(e.expire_in(1_000_100), 400);
        assert_eq!(e.expire_in(2_000_000), 0);
        let mut m = EntryMut {
            entry: &mut e,
            layout: &layout,
            now_ms: 1_000_000,
        };
        assert_eq!(m.add(DataType::Gpt0, 0, 1), Some(1));
        assert_eq!(m.add(DataType::Gpt0, 0, u64::from(u32::MAX)), Some(0));
        assert_eq!(m.add(DataType::ConnRate, 0, 1), Some(1));
        assert_eq!(m.add(DataType::ConnRate, 0, 2), Some(3));
        assert_eq!(m.read(DataType::ConnRate, 0), Some(3));
        assert_eq!(
            m.add(DataType::BytesInCnt, 0, 5_000_000_000),
            Some(5_000_000_000)
        );
        assert_eq!(m.add(DataType::Gpc, 1, 4), Some(4));
        assert_eq!(m.add(DataType::Gpc, 2, 4), None);
        assert_eq!(m.add(DataType::Gpc1, 0, 1), None);
        assert_eq!(m.add(DataType::ServerKey, 0, 1), None);
        assert!(m.set(DataType::ServerId, 0, -2));
        assert_eq!(m.read(DataType::ServerId, 0), Some(-2));
        assert!(!m.set(DataType::ConnCnt, 0, 1));
        assert!(m.set_dict(DataType::ServerKey, Some("s2".into())));
        assert_eq!(m.dict(DataType::ServerKey).map(|s| &**s), Some("s2"));
        assert!(!m.set_dict(DataType::ServerId, None));
        assert_eq!(m.read(DataType::ServerKey, 0), Some(0));
    }
}
