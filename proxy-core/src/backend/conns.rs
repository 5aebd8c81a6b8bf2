//! How many connections a server needs, for the idle pool's policy.
//!
//! HAProxy 2.6 keeps idle server connections bounded by what the traffic
//! needs rather than by what it has seen pass: per server it tracks the
//! connections in use now, the peak in use since the last purge, and a
//! smoothed estimate of the need. A released connection is kept idle only
//! while in-use plus idle connections stay within that need (plus
//! `pool-low-conn`), or when its thread has none idle for the server yet;
//! each `pool-purge-delay` the estimate decays towards the recent peak and
//! the idle connections beyond it are closed.
//!
//! This file holds the shared numbers (atomics, read and written with
//! relaxed ordering on the request path) and the arithmetic; the thread-
//! local lists of parked connections are in `crate::idle`.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The connection-count state of one server, shared by every thread.
#[derive(Debug)]
pub struct ServerConns {
    /// Server connections in use now (attached to a stream).
    pub curr_used: AtomicU32,
    /// Highest `curr_used` since the last purge.
    pub max_used: AtomicU32,
    /// Estimated number of connections needed.
    pub est_need: AtomicU32,
    /// Idle (parked) connections, all threads together.
    pub curr_idle: AtomicU32,
    /// Of those, the ones that served more than one request (HAProxy's
    /// "safe" list; the others are its "idle", or unsafe, list).
    pub curr_safe: AtomicU32,
    /// Idle connections per worker thread (`idle_per_thr` of `show
    /// servers conn`), threads beyond [`IDLE_THREADS`] counted modulo.
    idle_thr: [AtomicU32; IDLE_THREADS],
    /// `pool-low-conn`: idle connections kept beyond the estimate.
    pub low_idle: u32,
    /// `pool-max-conn`: idle connections at most (`None`: no limit).
    pub max_idle: Option<u32>,
    /// `pool-purge-delay`, in milliseconds: the purge period.
    pub purge_delay_ms: u64,
    /// When the next purge is due ([`crate::counters::now_ms`]), 0 = none.
    next_purge: AtomicU64,
    /// Bumped by each purge that decided to close idle connections; every
    /// thread closes its share once per generation.
    purge_gen: AtomicU64,
    /// That purge's excess and the idle count it saw (for the shares).
    purge_exceed: AtomicU32,
    purge_idle: AtomicU32,
    /// Connections of that excess not yet closed by any thread.
    purge_left: AtomicU32,
}

/// Worker threads [`ServerConns`] counts idle connections for, each.
pub const IDLE_THREADS: usize = 64;

/// Marks a connection as in use on a server; dropping it (closing the
/// connection or parking it) gives the count back.
#[derive(Debug)]
pub struct InUse(Arc<ServerConns>);

impl Drop for InUse {
    fn drop(&mut self) {
        self.0.curr_used.fetch_sub(1, Ordering::Relaxed);
    }
}

/// What one purge decided for a server's idle connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgeOrder {
    /// Generation of the decision (see [`ServerConns::purge_gen`]).
    pub gen: u64,
    /// Idle connections to close, all threads together.
    pub exceed: u32,
    /// Idle connections there were when it was decided.
    pub idle: u32,
}

/// The park decision, as numbers: `used` counts the connection being
/// released, `idle` the connections parked now (all threads),
/// `thread_has_idle` whether this thread has one for the server already.
pub fn may_park(
    used: u32,
    idle: u32,
    est_need: u32,
    low_idle: u32,
    max_idle: Option<u32>,
    thread_has_idle: bool,
) -> bool {
    if max_idle.is_some_and(|m| idle >= m) {
        return false;
    }
    // Each thread keeps one for the server whatever the counts, so that a
    // thread with traffic to it can reuse; beyond that, only what the
    // estimated need leaves room for.
    !thread_has_idle
        || u64::from(used) + u64::from(idle) <= u64::from(used.max(est_need)) + u64::from(low_idle)
}

/// One purge's arithmetic: returns (connections to close, new estimate).
/// The new `max_used` is then the current `used`.
pub fn purge_step(used: u32, idle: u32, max_used: u32, est_need: u32, low_idle: u32) -> (u32, u32) {
    let have = i64::from(used) + i64::from(idle);
    let keep = i64::from(max_used.max(est_need)) + i64::from(low_idle);
    let exceed = (have - keep).clamp(0, i64::from(idle)) as u32;
    let est = ((u64::from(est_need) + u64::from(max_used)) / 2) as u32;
    (exceed, est.max(max_used))
}

impl ServerConns {
    pub fn new(low_idle: u32, max_idle: Option<u32>, purge_delay: Duration) -> Arc<ServerConns> {
        Arc::new(ServerConns {
            curr_used: AtomicU32::new(0),
            max_used: AtomicU32::new(0),
            est_need: AtomicU32::new(0),
            curr_idle: AtomicU32::new(0),
            curr_safe: AtomicU32::new(0),
            idle_thr: std::array::from_fn(|_| AtomicU32::new(0)),
            low_idle,
            max_idle,
            purge_delay_ms: u64::try_from(purge_delay.as_millis()).unwrap_or(u64::MAX),
            next_purge: AtomicU64::new(0),
            purge_gen: AtomicU64::new(0),
            purge_exceed: AtomicU32::new(0),
            purge_idle: AtomicU32::new(0),
            purge_left: AtomicU32::new(0),
        })
    }

    /// Counts one more connection in use (a new one, or one taken back
    /// from the idle pool), raising the peak and the estimate with it.
    pub fn use_conn(self: &Arc<Self>) -> InUse {
        let curr = self.curr_used.fetch_add(1, Ordering::Relaxed) + 1;
        self.max_used.fetch_max(curr, Ordering::Relaxed);
        self.est_need.fetch_max(curr, Ordering::Relaxed);
        InUse(Arc::clone(self))
    }

    /// Whether a connection in use (counted in `curr_used`) may be parked.
    pub fn may_park(&self, thread_has_idle: bool) -> bool {
        may_park(
            self.curr_used.load(Ordering::Relaxed),
            self.curr_idle.load(Ordering::Relaxed),
            self.est_need.load(Ordering::Relaxed),
            self.low_idle,
            self.max_idle,
            thread_has_idle,
        )
    }

    /// Counts one more idle connection unless `pool-max-conn` is reached
    /// (checked again here: threads park concurrently).
    pub fn add_idle(&self, now_ms: u64) -> bool {
        let n = self.curr_idle.fetch_add(1, Ordering::Relaxed) + 1;
        if self.max_idle.is_some_and(|m| n > m) {
            self.curr_idle.fetch_sub(1, Ordering::Relaxed);
            return false;
        }
        self.schedule_purge(now_ms);
        true
    }

    /// Counts one idle connection less (taken back or closed).
    pub fn remove_idle(&self) {
        self.curr_idle.fetch_sub(1, Ordering::Relaxed);
    }

    /// Files a connection counted by [`ServerConns::add_idle`] under its
    /// worker `thread`, and as safe when it served more than one request.
    pub fn mark_parked(&self, thread: usize, safe: bool) {
        self.idle_thr[thread % IDLE_THREADS].fetch_add(1, Ordering::Relaxed);
        if safe {
            self.curr_safe.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Undoes [`ServerConns::mark_parked`].
    pub fn unmark_parked(&self, thread: usize, safe: bool) {
        self.idle_thr[thread % IDLE_THREADS].fetch_sub(1, Ordering::Relaxed);
        if safe {
            self.curr_safe.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// Idle connections parked by worker `thread`.
    pub fn idle_on(&self, thread: usize) -> u32 {
        self.idle_thr[thread % IDLE_THREADS].load(Ordering::Relaxed)
    }

    /// Makes sure a purge is scheduled while the server has idle
    /// connections: one period from now if none is.
    pub fn schedule_purge(&self, now_ms: u64) {
        if self.next_purge.load(Ordering::Relaxed) == 0 {
            let at = now_ms.saturating_add(self.purge_delay_ms).max(1);
            let _ = self
                .next_purge
                .compare_exchange(0, at, Ordering::Relaxed, Ordering::Relaxed);
        }
    }

    /// Runs the purge if it is due and no other thread ran it first: the
    /// estimate moves, the peak restarts from the current use, and when
    /// idle connections exceed the need an order to close them is
    /// published for every thread. Returns whether this call ran it.
    pub fn purge_if_due(&self, now_ms: u64) -> bool {
        let due = self.next_purge.load(Ordering::Relaxed);
        if due == 0 || now_ms < due {
            return false;
        }
        let idle = self.curr_idle.load(Ordering::Relaxed);
        let next = if idle > 0 {
            now_ms.saturating_add(self.purge_delay_ms).max(1)
        } else {
            0
        };
        if self
            .next_purge
            .compare_exchange(due, next, Ordering::AcqRel, Ordering::Relaxed)
            .is_err()
        {
            return false;
        }
        let used = self.curr_used.load(Ordering::Relaxed);
        let (exceed, est) = purge_step(
            used,
            idle,
            self.max_used.load(Ordering::Relaxed),
            self.est_need.load(Ordering::Relaxed),
            self.low_idle,
        );
        self.est_need.store(est, Ordering::Relaxed);
        self.max_used.store(used, Ordering::Relaxed);
        if exceed > 0 {
            self.purge_exceed.store(exceed, Ordering::Relaxed);
            self.purge_idle.store(idle, Ordering::Relaxed);
            self.purge_left.store(exceed, Ordering::Relaxed);
            self.purge_gen.fetch_add(1, Ordering::Release);
        }
        true
    }

    /// The latest purge order's generation.
    pub fn purge_gen(&self) -> u64 {
        self.purge_gen.load(Ordering::Acquire)
    }

    /// The latest purge order.
    pub fn purge_order(&self) -> PurgeOrder {
        let gen = self.purge_gen.load(Ordering::Acquire);
        PurgeOrder {
            gen,
            exceed: self.purge_exceed.load(Ordering::Relaxed),
            idle: self.purge_idle.load(Ordering::Relaxed),
        }
    }

    /// This thread's share of `order` when it holds `mine` idle
    /// connections: in proportion to them (rounded up), never more than
    /// what is left of the order nor than `mine`. The share is taken off
    /// what is left, so the threads together close at most `exceed`.
    pub fn claim_share(&self, order: PurgeOrder, mine: u32) -> u32 {
        if mine == 0 || order.exceed == 0 {
            return 0;
        }
        let total = u64::from(order.idle.max(1));
        let want = (u64::from(order.exceed) * u64::from(mine)).div_ceil(total);
        let want = (want.min(u64::from(mine))) as u32;
        let mut got = 0;
        let _ = self
            .purge_left
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                got = want.min(left);
                Some(left - got)
            });
        got
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_keeps_one_idle_whatever_the_counts() {
        assert!(may_park(50, 100, 0, 0, None, false));
        assert!(!may_park(50, 100, 0, 0, None, true));
    }

    #[test]
    fn beyond_the_first_the_need_bounds_the_idle_ones() {
        // 30 in use (this one included), 20 idle, need estimated at 50.
        assert!(may_park(30, 20, 50, 0, None, true));
        assert!(!may_park(30, 21, 50, 0, None, true));
        // pool-low-conn keeps that many more.
        assert!(may_park(30, 22, 50, 2, None, true));
        assert!(!may_park(30, 23, 50, 2, None, true));
        // The current use counts when it is above the estimate.
        assert!(!may_park(60, 1, 50, 0, None, true));
        assert!(may_park(60, 0, 50, 0, None, true));
    }

    #[test]
    fn pool_max_conn_caps_all_threads_together() {
        assert!(!may_park(1, 3, 100, 100, Some(3), false));
        assert!(may_park(1, 2, 100, 100, Some(3), false));
        assert!(!may_park(1, 0, 100, 100, Some(0), false));
    }

    #[test]
    fn the_purge_moves_the_estimate_and_closes_the_excess() {
        // During load: 50 in use at peak, 40 idle now and 10 in use.
        assert_eq!(purge_step(10, 40, 50, 50, 0), (0, 50));
        // Load gone: the peak since the last purge is 0, the estimate
        // halves towards it, and the excess over the old estimate goes.
        assert_eq!(purge_step(0, 50, 0, 50, 0), (0, 25));
        assert_eq!(purge_step(0, 50, 0, 25, 0), (25, 12));
        assert_eq!(purge_step(0, 25, 0, 12, 0), (13, 6));
        assert_eq!(purge_step(0, 12, 0, 6, 2), (4, 3));
        // Never more than the idle ones.
        assert_eq!(purge_step(100, 3, 0, 0, 0), (3, 0));
        // The estimate never drops below the recent peak.
        assert_eq!(purge_step(0, 0, 40, 10, 0), (0, 40));
    }

    #[test]
    fn use_raises_the_peak_and_the_estimate_and_drop_gives_back() {
        let s = ServerConns::new(0, None, Duration::from_secs(5));
        let a = s.use_conn();
        let b = s.use_conn();
        assert_eq!(s.curr_used.load(Ordering::Relaxed), 2);
        assert_eq!(s.max_used.load(Ordering::Relaxed), 2);
        assert_eq!(s.est_need.load(Ordering::Relaxed), 2);
        drop((a, b));
        assert_eq!(s.curr_used.load(Ordering::Relaxed), 0);
        assert_eq!(s.max_used.load(Ordering::Relaxed), 2);
    }

    #[test]
    fn a_purge_runs_once_per_period_and_publishes_shares() {
        let s = ServerConns::new(0, None, Duration::from_millis(100));
        for _ in 0..10 {
            assert!(s.add_idle(1000));
        }
        assert!(!s.purge_if_due(1050), "not due yet");
        // Peak 0, estimate 0: all ten exceed.
        assert!(s.purge_if_due(1100));
        assert!(!s.purge_if_due(1100), "ran once for this period");
        let order = s.purge_order();
        assert_eq!((order.exceed, order.idle), (10, 10));
        // Two threads holding 7 and 3 close 7 and 3; nothing more is left.
        assert_eq!(s.claim_share(order, 7), 7);
        assert_eq!(s.claim_share(order, 3), 3);
        assert_eq!(s.claim_share(order, 3), 0);
        assert!(
            s.purge_if_due(1200),
            "idle ones remain: the next period runs"
        );
    }

    #[test]
    fn shares_are_proportional_and_bounded() {
        let s = ServerConns::new(0, None, Duration::from_millis(100));
        for _ in 0..10 {
            assert!(s.add_idle(0));
        }
        let _u = (0..6).map(|_| s.use_conn()).collect::<Vec<_>>();
        // 6 in use, peak 6, estimate 6: 10 idle, 10 exceed? keep = 6, so
        // 16 - 6 = 10, bounded by the idle ones.
        assert!(s.purge_if_due(100));
        let order = s.purge_order();
        assert_eq!(order.exceed, 10);
        // A thread with 5 of the 10 idle closes half.
        let half = PurgeOrder { exceed: 4, ..order };
        s.purge_left.store(4, Ordering::Relaxed);
        assert_eq!(s.claim_share(half, 5), 2);
        assert_eq!(s.claim_share(half, 1), 1, "rounded up");
    }

    #[test]
    fn pool_max_conn_is_rechecked_when_counting() {
        let s = ServerConns::new(0, Some(1), Duration::from_secs(1));
        assert!(s.add_idle(0));
        assert!(!s.add_idle(0));
        assert_eq!(s.curr_idle.load(Ordering::Relaxed), 1);
    }
}
