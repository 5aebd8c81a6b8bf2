//! Traffic counters of frontends, backends and servers.
//!
//! Plain relaxed atomics: they are written on the data path by every worker
//! thread and read rarely (logs, `show stat`), so no ordering is needed
//! beyond each counter's own consistency.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};

/// The counters HAProxy keeps per proxy side and per server.
#[derive(Debug, Default)]
pub struct Counters {
    /// Current sessions.
    pub cur: AtomicU32,
    /// Highest `cur` seen.
    pub max: AtomicU32,
    /// Cumulated sessions.
    pub total: AtomicU64,
    pub bytes_in: AtomicU64,
    pub bytes_out: AtomicU64,
    /// Failed connection attempts to servers (`econ`).
    pub failed_conns: AtomicU64,
    /// Connect retries (`wretr`).
    pub retries: AtomicU64,
    /// Redispatches (`wredis`).
    pub redispatches: AtomicU64,
    /// Data transfers aborted by the client (`cli_abrt`).
    pub cli_aborts: AtomicU64,
    /// Data transfers aborted by the server (`srv_abrt`).
    pub srv_aborts: AtomicU64,
    /// Requests denied (`dreq`).
    pub denied: AtomicU64,
}

impl Counters {
    /// One more current session; returns the new count.
    pub fn enter(&self) -> u32 {
        let cur = self.cur.fetch_add(1, Ordering::Relaxed) + 1;
        self.max.fetch_max(cur, Ordering::Relaxed);
        self.total.fetch_add(1, Ordering::Relaxed);
        cur
    }

    pub fn leave(&self) {
        self.cur.fetch_sub(1, Ordering::Relaxed);
    }

    pub fn cur(&self) -> u32 {
        self.cur.load(Ordering::Relaxed)
    }

    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }
}

/// A guard that keeps a session counted in `Counters::cur` until dropped,
/// so every exit path of a stream undoes its own count.
#[derive(Debug)]
pub struct CurGuard<'a>(&'a Counters);

impl<'a> CurGuard<'a> {
    pub fn enter(c: &'a Counters) -> CurGuard<'a> {
        c.enter();
        CurGuard(c)
    }
}

impl Drop for CurGuard<'_> {
    fn drop(&mut self) {
        self.0.leave();
    }
}
