//! Tracked counters (`sc0`..`sc2`), as HAProxy 2.6's `stkctr`s.
//!
//! A client connection has session-level counters (`tcp-request
//! connection track-sc*`), kept until it closes; each stream (an HTTP
//! transaction, or the whole TCP connection) has its own, which start as
//! the session's: a `track-sc<n>` rule does nothing when counter `n` is
//! already tracked, and fetches read the stream's counter first, then the
//! session's.
//!
//! Tracking an entry (`stream_track_stkctr`) references it and counts a
//! connection: `conn_cur`, `conn_cnt`, `conn_rate`; an `http-request`
//! rule also counts the request (`http_req_cnt`, `http_req_rate`). When
//! the tracker goes (end of the stream, of the connection, or a killed
//! task: [`Tracked`] does it on drop), `conn_cur` goes down and the
//! reference is released. Every change restarts the entry's expiry.
//!
//! Counted on every tracked counter of a stream: each HTTP request on the
//! session's counters ([`Trackers::count_http_request`]), HTTP errors
//! (`deny`, a 4xx from the server) and failures (a 5xx other than 501 and
//! 505), sessions for the session's counters, and bytes both ways.

use std::sync::Arc;

use crate::config::model_stick::MAX_SC;
use crate::stick::{DataType, EntryMut, EntryRef, Key, StickTable};

const SC: usize = MAX_SC as usize;

/// An entry referenced by a tracking counter.
#[derive(Debug)]
pub struct Tracked {
    pub table: Arc<StickTable>,
    pub key: Key,
    /// Where the entry is (valid while referenced: no lookup needed).
    at: EntryRef,
    /// The reference was given back already ([`Tracked::release`]).
    released: bool,
}

/// `conn_cur` down by one (not below 0).
fn conn_cur_down(e: &mut EntryMut<'_>) {
    if let Some(v) = e.read(DataType::ConnCur, 0) {
        if v > 0 {
            e.set(DataType::ConnCur, 0, v - 1);
        }
    }
}

impl Tracked {
    /// Stops tracking: runs `f` on the entry, lowers `conn_cur` and drops
    /// the reference, all under one lock of the entry's shard.
    fn release(mut self, now_ms: u64, f: impl FnOnce(&mut EntryMut<'_>)) {
        self.released = true;
        self.table.untrack_ref(self.at, &self.key, now_ms, |e| {
            f(e);
            conn_cur_down(e);
        });
    }

    /// Runs `f` on the entry and marks it changed.
    pub fn modify<R>(&self, now_ms: u64, f: impl FnOnce(&mut EntryMut<'_>) -> R) -> Option<R> {
        self.table.modify_ref(self.at, &self.key, now_ms, f)
    }

    /// Runs `f` on the entry without touching it.
    pub fn read<R>(&self, now_ms: u64, f: impl FnOnce(&mut EntryMut<'_>) -> R) -> Option<R> {
        self.table.lookup_ref(self.at, &self.key, now_ms, f)
    }
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if !self.released {
            let now = crate::counters::now_ms();
            self.table
                .untrack_ref(self.at, &self.key, now, conn_cur_down);
        }
    }
}

/// Counts bytes both ways on an entry.
fn add_bytes(e: &mut EntryMut<'_>, bytes_in: u64, bytes_out: u64) {
    if bytes_in > 0 {
        bump(e, DataType::BytesInCnt, DataType::BytesInRate, bytes_in);
    }
    if bytes_out > 0 {
        bump(e, DataType::BytesOutCnt, DataType::BytesOutRate, bytes_out);
    }
}

/// Adds one event to a counter and its rate, if stored.
fn bump(e: &mut EntryMut<'_>, cnt: DataType, rate: DataType, n: u64) -> bool {
    let a = e.add(cnt, 0, n).is_some();
    let b = e.add(rate, 0, n).is_some();
    a || b
}

/// What tracking an entry counts (`stream_start_counters`), plus the HTTP
/// request when an `http-request` rule tracks it.
fn start_counters(e: &mut EntryMut<'_>, http: bool) {
    e.add(DataType::ConnCur, 0, 1);
    bump(e, DataType::ConnCnt, DataType::ConnRate, 1);
    if http {
        bump(e, DataType::HttpReqCnt, DataType::HttpReqRate, 1);
    }
}

/// The tracked counters of a client connection and of its current stream.
/// Nothing is allocated until a counter is tracked: most connections of
/// most configurations never track any, and every idle connection would
/// otherwise carry the empty slots.
#[derive(Debug, Default)]
pub struct Trackers {
    inner: Option<Box<Slots>>,
}

#[derive(Debug, Default)]
struct Slots {
    sess: [Option<Tracked>; SC],
    strm: [Option<Tracked>; SC],
}

impl Trackers {
    pub fn new() -> Trackers {
        Trackers::default()
    }

    /// Counter `slot` as fetches see it: the stream's, else the session's.
    pub fn get(&self, slot: u8) -> Option<&Tracked> {
        let i = usize::from(slot);
        let s = self.inner.as_deref()?;
        s.strm
            .get(i)
            .and_then(Option::as_ref)
            .or_else(|| s.sess.get(i).and_then(Option::as_ref))
    }

    /// Whether any counter is tracked.
    pub fn is_empty(&self) -> bool {
        self.inner
            .as_deref()
            .is_none_or(|s| s.sess.iter().chain(&s.strm).all(Option::is_none))
    }

    /// Every counter of the stream (its own or inherited), once each.
    pub fn each(&self) -> impl Iterator<Item = &Tracked> {
        (0..MAX_SC).filter_map(move |i| self.get(i))
    }

    /// `track-sc<slot>`: references the entry of `key` (creating it) and
    /// counts a connection (and an HTTP request with `http`). Does
    /// nothing if the counter is already tracked, at the session level
    /// for a `session` rule, at either level otherwise. `false` if the
    /// table is full.
    pub fn track(
        &mut self,
        session: bool,
        slot: u8,
        table: &Arc<StickTable>,
        key: Key,
        now_ms: u64,
        http: bool,
    ) -> bool {
        let i = usize::from(slot);
        if i >= SC {
            return false;
        }
        let busy = if session {
            self.inner.as_deref().is_some_and(|s| s.sess[i].is_some())
        } else {
            self.get(slot).is_some()
        };
        if busy {
            return true;
        }
        let Ok(((), at)) = table.track_local(&key, now_ms, |e| start_counters(e, http)) else {
            return false;
        };
        let t = Some(Tracked {
            table: table.clone(),
            key,
            at,
            released: false,
        });
        let s = self.inner.get_or_insert_with(Default::default);
        if session {
            s.sess[i] = t;
        } else {
            s.strm[i] = t;
        }
        true
    }

    /// Runs `f` on the entry of counter `slot`, marked changed if `f` says
    /// so. `None` if the counter is not tracked.
    pub fn with_entry<R>(
        &self,
        slot: u8,
        now_ms: u64,
        f: impl FnOnce(&mut EntryMut<'_>) -> R,
    ) -> Option<R> {
        self.get(slot)?.modify(now_ms, f)
    }

    /// Applies `f` to every counter of the stream.
    fn for_each(&self, now_ms: u64, f: impl Fn(&mut EntryMut<'_>)) {
        for t in self.each() {
            t.modify(now_ms, &f);
        }
    }

    /// A new session was accepted (after the `tcp-request connection`
    /// rules): `sess_cnt`, `sess_rate` of the session's counters.
    pub fn count_session(&self, now_ms: u64) {
        let Some(s) = self.inner.as_deref() else {
            return;
        };
        for t in s.sess.iter().flatten() {
            t.modify(now_ms, |e| {
                bump(e, DataType::SessCnt, DataType::SessRate, 1);
            });
        }
    }

    /// A new HTTP request (`stream_inc_http_req_ctr`), before the rules of
    /// its stream: counted on the counters the stream inherits.
    pub fn count_http_request(&self, now_ms: u64) {
        if self.is_empty() {
            return;
        }
        self.for_each(now_ms, |e| {
            bump(e, DataType::HttpReqCnt, DataType::HttpReqRate, 1);
        });
    }

    /// An HTTP error: a denied request or a 4xx from the server.
    pub fn count_http_error(&self, now_ms: u64) {
        self.for_each(now_ms, |e| {
            bump(e, DataType::HttpErrCnt, DataType::HttpErrRate, 1);
        });
    }

    /// A server failure: a 5xx response other than 501 and 505.
    pub fn count_http_failure(&self, now_ms: u64) {
        self.for_each(now_ms, |e| {
            bump(e, DataType::HttpFailCnt, DataType::HttpFailRate, 1);
        });
    }

    /// Counts a response status (4xx: error; 5xx but 501/505: failure).
    pub fn count_status(&self, status: i32, now_ms: u64) {
        if self.is_empty() {
            return;
        }
        match status {
            400..=499 => self.count_http_error(now_ms),
            501 | 505 => {}
            500..=599 => self.count_http_failure(now_ms),
            _ => {}
        }
    }

    /// Bytes received from the client and sent to it.
    pub fn count_bytes(&self, bytes_in: u64, bytes_out: u64, now_ms: u64) {
        if self.is_empty() || (bytes_in == 0 && bytes_out == 0) {
            return;
        }
        self.for_each(now_ms, |e| add_bytes(e, bytes_in, bytes_out));
    }

    /// The stream ends: its own counters are released (`conn_cur` down);
    /// the session's stay for the next stream.
    pub fn end_stream(&mut self) {
        if let Some(s) = self.inner.as_deref_mut() {
            for t in &mut s.strm {
                *t = None;
            }
        }
    }

    /// [`Trackers::count_bytes`] then [`Trackers::end_stream`], visiting
    /// each entry of the stream once.
    pub fn finish_stream(&mut self, bytes_in: u64, bytes_out: u64, now_ms: u64) {
        if self.is_empty() {
            return;
        }
        let Some(s) = self.inner.as_deref_mut() else {
            return;
        };
        for i in 0..SC {
            match s.strm[i].take() {
                Some(t) => t.release(now_ms, |e| add_bytes(e, bytes_in, bytes_out)),
                None => {
                    if let Some(t) = &s.sess[i] {
                        if bytes_in > 0 || bytes_out > 0 {
                            t.modify(now_ms, |e| add_bytes(e, bytes_in, bytes_out));
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stick::TableConfig;

    fn table() -> Arc<StickTable> {
        let (c, _) = TableConfig::parse_proxy(
            "t",
            &[
                "stick-table",
                "type",
                "ip",
                "size",
                "10",
                "store",
                "conn_cur,conn_cnt,http_req_cnt,sess_cnt,bytes_in_cnt",
            ],
        )
        .unwrap();
        Arc::new(StickTable::new(c))
    }

    fn read(t: &StickTable, k: &Key, dt: DataType) -> i64 {
        t.lookup(k, 0, |e| e.read(dt, 0)).flatten().unwrap_or(-1)
    }

    #[test]
    fn session_and_stream_counters() {
        let t = table();
        let k = Key::Ip([10, 0, 0, 1]);
        let mut trk = Trackers::new();
        assert!(trk.track(true, 0, &t, k.clone(), 1, false));
        trk.count_session(1);
        assert_eq!(read(&t, &k, DataType::ConnCur), 1);
        assert_eq!(read(&t, &k, DataType::SessCnt), 1);
        // sc0 is inherited: an http-request track-sc0 does nothing
        assert!(trk.track(false, 0, &t, k.clone(), 2, true));
        assert_eq!(read(&t, &k, DataType::ConnCnt), 1);
        trk.count_http_request(2);
        assert!(trk.track(false, 1, &t, k.clone(), 2, true));
        assert_eq!(read(&t, &k, DataType::ConnCur), 2);
        assert_eq!(read(&t, &k, DataType::HttpReqCnt), 2);
        assert_eq!(t.lookup(&k, 0, |e| e.entry().ref_cnt()), Some(2));
        trk.count_bytes(100, 5, 3);
        // sc0 and sc1 both point at the entry
        assert_eq!(read(&t, &k, DataType::BytesInCnt), 200);
        trk.end_stream();
        assert_eq!(read(&t, &k, DataType::ConnCur), 1);
        drop(trk);
        assert_eq!(read(&t, &k, DataType::ConnCur), 0);
        assert_eq!(t.lookup(&k, 0, |e| e.entry().ref_cnt()), Some(0));
    }
}
