//! The values of the stick-table fetches, as HAProxy 2.6 computes them:
//!
//! - `src_<x>`: the client address is looked up in the table (not
//!   created, except by `src_inc_*`, `src_clr_*`, `src_updt_conn_cnt`);
//!   an absent entry reads as 0;
//! - `sc<n>_<x>`: the tracked entry; nothing (the ACL does not match) when
//!   the counter is not tracked, except `sc<n>_tracked` which is false; a
//!   table argument looks the tracked key up in that table instead;
//! - a data type the table does not store gives nothing;
//! - `gpc0`, `gpc1`, `gpt0` and their rates fall back to element 0 (1 for
//!   `gpc1`) of the `gpc`, `gpt`, `gpc_rate` arrays, as 2.6 does;
//! - `kbytes_*` are the byte counts divided by 1024;
//! - `table_cnt` / `table_avl`: entries used / free; `in_table`: whether
//!   the value is a key of the table.

use std::net::SocketAddr;
use std::sync::Arc;

use super::key::{addr_key, sample_key};
use super::track::Trackers;
use super::TableSet;
use crate::rules::fetch_stick::{table_conv_op, StickFetches, StkFetch, StkOp, StkSrc};
use crate::sample::Value;
use crate::stick::{DataType, EntryMut, StickTable};

/// What the stick-table fetches see: the tables, the stream's tracked
/// counters, and the table of the proxy whose rule is running (the
/// default table of `src_*` and `table_*`).
#[derive(Clone, Copy, Debug)]
pub struct StickEnv<'a> {
    pub tables: &'a TableSet,
    pub trk: Option<&'a Trackers>,
    pub px_table: Option<usize>,
    /// The clock of the rule pass.
    pub now_ms: u64,
}

/// Where a value of `dt` (or element `idx` of its array form `arr`) is.
fn place(e: &EntryMut<'_>, dt: DataType, arr: DataType, idx: u32) -> Option<(DataType, u32)> {
    if e.get(dt, 0).is_some() {
        Some((dt, 0))
    } else if e.get(arr, idx).is_some() {
        Some((arr, idx))
    } else {
        None
    }
}

/// A read-only operation on a present entry.
fn read_op(e: &EntryMut<'_>, op: StkOp) -> Option<i64> {
    match op {
        StkOp::Read(dt) => e.read(dt, 0),
        StkOp::ReadOr(dt, arr, idx) => {
            let (d, i) = place(e, dt, arr, idx)?;
            e.read(d, i)
        }
        StkOp::Elem(dt, idx) => e.read(dt, idx),
        StkOp::Kbytes(dt) => e.read(dt, 0).map(|v| v >> 10),
        StkOp::Trackers => Some(i64::from(e.entry().ref_cnt())),
        _ => None,
    }
}

/// An operation that changes the entry; the value it returns.
fn write_op(e: &mut EntryMut<'_>, op: StkOp) -> Option<i64> {
    let (cnt, rate) = match op {
        StkOp::IncGpc(n) | StkOp::ClrGpc(n) => {
            let (c, r) = if n == 0 {
                (DataType::Gpc0, DataType::Gpc0Rate)
            } else {
                (DataType::Gpc1, DataType::Gpc1Rate)
            };
            (
                place(e, c, DataType::Gpc, u32::from(n)),
                place(e, r, DataType::GpcRate, u32::from(n)),
            )
        }
        StkOp::IncGpcIdx(i) | StkOp::ClrGpcIdx(i) => (
            e.get(DataType::Gpc, i).map(|_| (DataType::Gpc, i)),
            e.get(DataType::GpcRate, i).map(|_| (DataType::GpcRate, i)),
        ),
        StkOp::UpdtConnCnt => return e.add(DataType::ConnCnt, 0, 1),
        other => return read_op(e, other),
    };
    match op {
        StkOp::IncGpc(_) | StkOp::IncGpcIdx(_) => {
            if cnt.is_none() && rate.is_none() {
                return None;
            }
            if let Some((d, i)) = rate {
                e.add(d, i, 1);
            }
            Some(cnt.and_then(|(d, i)| e.add(d, i, 1)).unwrap_or(0))
        }
        _ => {
            let (d, i) = cnt?;
            let old = e.read(d, i);
            e.set(d, i, 0);
            old
        }
    }
}

fn int(v: Option<i64>) -> Option<Value<'static>> {
    v.map(Value::Int)
}

impl<'a> StickEnv<'a> {
    /// The named table, or the proxy's own.
    pub fn table(&self, name: Option<&str>) -> Option<&'a Arc<StickTable>> {
        match name {
            Some(n) => self.tables.find(n),
            None => self.px_table.and_then(|i| self.tables.get(i)),
        }
    }
}

/// The stick-table fetches of the rules, answered from the run-time tables.
impl StickFetches for StickEnv<'_> {
    /// The value of a `src_*` / `sc*_*` fetch; `src` is the client.
    fn fetch(&self, f: &StkFetch, src: Option<SocketAddr>) -> Option<Value<'static>> {
        let now = self.now_ms;
        match f.src {
            StkSrc::Src => {
                let t = self.table(f.table.as_deref())?;
                let key = addr_key(&t.config().key_type, src?.ip())?;
                if f.op.writes() {
                    return int(t.update_local(key, now, |e| write_op(e, f.op)).ok()?);
                }
                match t.lookup(&key, now, |e| read_op(e, f.op)) {
                    Some(v) => int(v),
                    None => Some(Value::Int(0)),
                }
            }
            StkSrc::Sc(n) => {
                let tracked = self.trk.and_then(|t| t.get(n));
                if f.op == StkOp::Tracked {
                    return Some(Value::Bool(tracked.is_some()));
                }
                let tracked = tracked?;
                let r = match &f.table {
                    Some(name) => {
                        let t = self.tables.find(name)?;
                        if f.op.writes() {
                            t.modify_local(&tracked.key, now, |e| write_op(e, f.op))
                        } else {
                            t.lookup(&tracked.key, now, |e| read_op(e, f.op))
                        }
                    }
                    None if f.op.writes() => tracked.modify(now, |e| write_op(e, f.op)),
                    None => tracked.read(now, |e| read_op(e, f.op)),
                };
                match r {
                    Some(v) => int(v),
                    None => Some(Value::Int(0)),
                }
            }
        }
    }

    /// `table_cnt`.
    fn table_cnt(&self, name: Option<&str>) -> Option<Value<'static>> {
        let t = self.table(name)?;
        Some(Value::Int(i64::from(t.used())))
    }

    /// `table_avl`.
    fn table_avl(&self, name: Option<&str>) -> Option<Value<'static>> {
        let t = self.table(name)?;
        Some(Value::Int(i64::from(t.config().size) - i64::from(t.used())))
    }

    /// `in_table` and the `table_<field>` converters.
    fn table_data(
        &self,
        table: &str,
        key: &Value<'_>,
        field: &str,
        idx: Option<u32>,
    ) -> Option<Value<'static>> {
        let t = self.tables.find(table)?;
        let key = sample_key(&t.config().key_type, key);
        if field.is_empty() {
            return Some(Value::Bool(key.is_some_and(|k| t.contains(&k))));
        }
        let key = key?;
        if field == "server_id" {
            return Some(Value::Int(
                t.lookup(&key, self.now_ms, |e| e.read(DataType::ServerId, 0))
                    .flatten()
                    .unwrap_or(0),
            ));
        }
        if matches!(field, "expire" | "idle") {
            // Without an entry there is no value (the converter's default
            // applies); idle time is what the lifetime lost since the last
            // touch.
            let now = self.now_ms;
            let left = t.lookup(&key, now, |e| e.entry().expire_in(now))?;
            let left = i64::try_from(left).unwrap_or(i64::MAX);
            return Some(Value::Int(if field == "expire" {
                left
            } else {
                (i64::from(t.config().expire_ms) - left).max(0)
            }));
        }
        let op = table_conv_op(field, idx)?;
        match t.lookup(&key, self.now_ms, |e| read_op(e, op)) {
            // HAProxy's lookup holds a reference of its own while it
            // reads: `table_trackers` counts it (sc*_trackers does not).
            Some(v) if op == StkOp::Trackers => int(v.map(|n| n + 1)),
            Some(v) => int(v),
            None => Some(Value::Int(0)),
        }
    }
}
