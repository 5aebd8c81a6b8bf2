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
    /// Responses denied (`dresp`).
    pub denied_resp: AtomicU64,
    /// Connections refused by `tcp-request connection reject` (`dcon`).
    pub denied_conn: AtomicU64,
    /// Sessions refused by `tcp-request session reject` (`dses`).
    pub denied_sess: AtomicU64,
    /// Request errors (`ereq`).
    pub failed_req: AtomicU64,
    /// Response errors (`eresp`).
    pub failed_resp: AtomicU64,
    /// Internal errors (`eint`).
    pub internal_errors: AtomicU64,
    /// HTTP responses by class: 1xx..5xx, other (`hrsp_*`).
    pub hrsp: [AtomicU64; 6],
    /// HTTP requests (`req_tot`).
    pub req_tot: AtomicU64,
    /// Requests answered by the proxy itself (stats page: `intercepted`).
    pub intercepted: AtomicU64,
    /// Connections accepted (`conn_tot`, frontends).
    pub conn_tot: AtomicU64,
    /// Times selected by load balancing (`lbtot`).
    pub lbtot: AtomicU64,
    /// Connection attempts (`connect`) and reuses of idle ones (`reuse`).
    pub connect: AtomicU64,
    pub reuse: AtomicU64,
    /// Sessions, connections and requests per second, with their maxima.
    pub sess_rate: FreqCtr,
    pub sess_rate_max: AtomicU32,
    pub conn_rate: FreqCtr,
    pub conn_rate_max: AtomicU32,
    pub req_rate: FreqCtr,
    pub req_rate_max: AtomicU32,
    /// [`now_ms`] + 1 of the last session (0: never), for `lastsess`.
    pub last_sess: AtomicU64,
    /// Timer averages and maxima (`qtime`.., `qtime_max`..), over
    /// `time_samples` samples.
    pub q_time: SwRate,
    pub c_time: SwRate,
    pub r_time: SwRate,
    pub t_time: SwRate,
    pub qtime_max: AtomicU64,
    pub ctime_max: AtomicU64,
    pub rtime_max: AtomicU64,
    pub ttime_max: AtomicU64,
    pub time_samples: AtomicU64,
}

impl Counters {
    /// One more current session; returns the new count.
    pub fn enter(&self) -> u32 {
        let cur = self.cur.fetch_add(1, Ordering::Relaxed) + 1;
        self.max.fetch_max(cur, Ordering::Relaxed);
        self.total.fetch_add(1, Ordering::Relaxed);
        let r = self.sess_rate.add(1);
        self.sess_rate_max.fetch_max(r, Ordering::Relaxed);
        cur
    }

    /// One more accepted connection (frontends: `conn_tot`, `conn_rate`).
    pub fn connection(&self) {
        self.conn_tot.fetch_add(1, Ordering::Relaxed);
        let r = self.conn_rate.add(1);
        self.conn_rate_max.fetch_max(r, Ordering::Relaxed);
    }

    /// One more HTTP request (`req_tot`, `req_rate`).
    pub fn request(&self) {
        self.req_tot.fetch_add(1, Ordering::Relaxed);
        let r = self.req_rate.add(1);
        self.req_rate_max.fetch_max(r, Ordering::Relaxed);
    }

    /// One more HTTP response with this status (`hrsp_*`).
    pub fn response(&self, status: i32) {
        let i = match status {
            100..=199 => 0,
            200..=299 => 1,
            300..=399 => 2,
            400..=499 => 3,
            500..=599 => 4,
            _ => 5,
        };
        self.hrsp[i].fetch_add(1, Ordering::Relaxed);
    }

    /// Marks a session handed to this backend or server now (`lastsess`,
    /// `lbtot`).
    pub fn selected(&self) {
        self.lbtot.fetch_add(1, Ordering::Relaxed);
        self.last_sess.store(now_ms() + 1, Ordering::Relaxed);
    }

    /// A stream went to a server by persistence: no load-balancing
    /// decision (`lbtot` unchanged), but a session all the same.
    pub fn persisted(&self) {
        self.last_sess.store(now_ms() + 1, Ordering::Relaxed);
    }

    /// Seconds since the last session, `None` for never.
    pub fn last_sess_secs(&self) -> Option<u64> {
        match self.last_sess.load(Ordering::Relaxed) {
            0 => None,
            t => Some(now_ms().saturating_sub(t - 1) / 1000),
        }
    }

    /// Adds one stream's timers to the averages: only streams that reached
    /// the data phase count, as in HAProxy.
    pub fn add_times(&self, t: StreamTimes) {
        if t.connect < 0 || t.total < 0 {
            return;
        }
        let n = self.time_samples.fetch_add(1, Ordering::Relaxed);
        let v = |x: i64| x.max(0) as u64;
        self.q_time.add(n, v(t.queue));
        self.c_time.add(n, v(t.connect));
        self.r_time.add(n, v(t.response));
        self.t_time.add(n, v(t.total));
        self.qtime_max.fetch_max(v(t.queue), Ordering::Relaxed);
        self.ctime_max.fetch_max(v(t.connect), Ordering::Relaxed);
        self.rtime_max.fetch_max(v(t.response), Ordering::Relaxed);
        self.ttime_max.fetch_max(v(t.total), Ordering::Relaxed);
    }

    /// `clear counters` (maxima only) or `clear counters all` (every
    /// counter but the current values).
    pub fn clear(&self, all: bool) {
        let z = |a: &AtomicU64| a.store(0, Ordering::Relaxed);
        let z32 = |a: &AtomicU32| a.store(0, Ordering::Relaxed);
        self.max
            .store(self.cur.load(Ordering::Relaxed), Ordering::Relaxed);
        z32(&self.sess_rate_max);
        z32(&self.conn_rate_max);
        z32(&self.req_rate_max);
        for a in [
            &self.qtime_max,
            &self.ctime_max,
            &self.rtime_max,
            &self.ttime_max,
        ] {
            z(a);
        }
        if !all {
            return;
        }
        for a in [
            &self.total,
            &self.bytes_in,
            &self.bytes_out,
            &self.failed_conns,
            &self.retries,
            &self.redispatches,
            &self.cli_aborts,
            &self.srv_aborts,
            &self.denied,
            &self.denied_resp,
            &self.denied_conn,
            &self.denied_sess,
            &self.failed_req,
            &self.failed_resp,
            &self.internal_errors,
            &self.req_tot,
            &self.intercepted,
            &self.conn_tot,
            &self.lbtot,
            &self.connect,
            &self.reuse,
            &self.last_sess,
            &self.time_samples,
        ] {
            z(a);
        }
        for a in &self.hrsp {
            z(a);
        }
        for r in [&self.sess_rate, &self.conn_rate, &self.req_rate] {
            r.clear();
        }
        for r in [&self.q_time, &self.c_time, &self.r_time, &self.t_time] {
            r.clear();
        }
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

    /// Bytes received from clients (`bin`) and sent to them (`bout`).
    pub fn add_bytes(&self, bytes_in: u64, bytes_out: u64) {
        Counters::add(&self.bytes_in, bytes_in);
        Counters::add(&self.bytes_out, bytes_out);
    }
}

/// Milliseconds since the process started (monotonic); the clock of the
/// rate counters, `lastsess` and `lastchg`.
pub fn now_ms() -> u64 {
    static START: std::sync::OnceLock<std::time::Instant> = std::sync::OnceLock::new();
    START
        .get_or_init(std::time::Instant::now)
        .elapsed()
        .as_millis() as u64
}

/// Milliseconds from `t` (a [`now_ms`] reading, or one from before the
/// process started as [`ms_ago`] gives) to now; 0 when `t` is later.
pub fn ms_since(t: u64) -> u64 {
    let d = now_ms().wrapping_sub(t);
    if d > u64::MAX / 2 {
        0
    } else {
        d
    }
}

/// The [`now_ms`] reading `ago` milliseconds before now, wrapping below
/// the process start (read it back with [`ms_since`]).
pub fn ms_ago(ago: u64) -> u64 {
    now_ms().wrapping_sub(ago)
}

/// Events per second over the last second, as HAProxy's `freq_ctr`: the
/// current second's count plus the previous second's, weighted by the part
/// of it still inside the one-second window.
#[derive(Debug, Default)]
pub struct FreqCtr {
    /// `second << 32 | count` of the current period.
    curr: AtomicU64,
    /// Count of the period before it.
    prev: AtomicU32,
}

impl FreqCtr {
    /// Counts `n` events now; returns the rate including them.
    pub fn add(&self, n: u32) -> u32 {
        self.add_at(now_ms(), n)
    }

    fn add_at(&self, ms: u64, n: u32) -> u32 {
        let sec = (ms / 1000) as u32;
        let mut cur = self.curr.load(Ordering::Relaxed);
        loop {
            let (s, c) = ((cur >> 32) as u32, cur as u32);
            if s == sec {
                let new = (u64::from(sec) << 32) | u64::from(c.saturating_add(n));
                match self.curr.compare_exchange_weak(
                    cur,
                    new,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => break,
                    Err(x) => cur = x,
                }
            } else {
                let new = (u64::from(sec) << 32) | u64::from(n);
                match self.curr.compare_exchange_weak(
                    cur,
                    new,
                    Ordering::Relaxed,
                    Ordering::Relaxed,
                ) {
                    Ok(_) => {
                        let prev = if s.wrapping_add(1) == sec { c } else { 0 };
                        self.prev.store(prev, Ordering::Relaxed);
                        break;
                    }
                    Err(x) => cur = x,
                }
            }
        }
        self.read_at(ms)
    }

    /// The rate over the last second.
    pub fn read(&self) -> u32 {
        self.read_at(now_ms())
    }

    fn read_at(&self, ms: u64) -> u32 {
        let sec = (ms / 1000) as u32;
        let frac = ms % 1000;
        let cur = self.curr.load(Ordering::Relaxed);
        let (s, c) = ((cur >> 32) as u32, u64::from(cur as u32));
        let (curr, prev) = if s == sec {
            (c, u64::from(self.prev.load(Ordering::Relaxed)))
        } else if s.wrapping_add(1) == sec {
            (0, c)
        } else {
            (0, 0)
        };
        (curr + prev * (1000 - frac) / 1000) as u32
    }

    pub fn clear(&self) {
        self.curr.store(0, Ordering::Relaxed);
        self.prev.store(0, Ordering::Relaxed);
    }
}

/// HAProxy's sliding-window average (`swrate`): a plain sum of the samples
/// until the window is full, then `sum - sum/n + v`, read as `sum/n`.
#[derive(Debug, Default)]
pub struct SwRate {
    sum: AtomicU64,
}

/// HAProxy's `TIME_STATS_SAMPLES`.
pub const TIME_STATS_SAMPLES: u64 = 1024;

impl SwRate {
    /// Adds sample `v`; `count` is the number of samples before it.
    pub fn add(&self, count: u64, v: u64) {
        let n = if count > TIME_STATS_SAMPLES {
            TIME_STATS_SAMPLES
        } else {
            0
        };
        let _ = self
            .sum
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |sum| {
                let drop = if n > 0 { sum.div_ceil(n) } else { 0 };
                Some(sum - drop + v)
            });
    }

    /// The average over the last `count` samples (at most 1024).
    pub fn avg(&self, count: u64) -> u64 {
        let n = count.min(TIME_STATS_SAMPLES);
        if n == 0 {
            return 0;
        }
        self.sum.load(Ordering::Relaxed).div_ceil(n)
    }

    pub fn clear(&self) {
        self.sum.store(0, Ordering::Relaxed);
    }
}

/// Timers of one finished stream (ms; -1 when a phase never happened), for
/// the `qtime`/`ctime`/`rtime`/`ttime` averages.
#[derive(Debug, Clone, Copy)]
pub struct StreamTimes {
    pub queue: i64,
    pub connect: i64,
    pub response: i64,
    pub total: i64,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freq_ctr_counts_the_last_second() {
        let f = FreqCtr::default();
        f.add_at(10_000, 3);
        assert_eq!(f.read_at(10_500), 3);
        f.add_at(10_900, 1);
        assert_eq!(f.read_at(10_999), 4);
        // Half-way through the next second, half of the previous one counts.
        assert_eq!(f.read_at(11_500), 2);
        f.add_at(11_500, 2);
        assert_eq!(f.read_at(11_500), 4);
        assert_eq!(f.read_at(13_000), 0);
    }

    #[test]
    fn swrate_is_a_plain_average_until_the_window_fills() {
        let s = SwRate::default();
        for (n, v) in [10, 20, 30].into_iter().enumerate() {
            s.add(n as u64, v);
        }
        assert_eq!(s.avg(3), 20);
        let w = SwRate::default();
        for n in 0..5000 {
            w.add(n, 7);
        }
        assert!((6..=8).contains(&w.avg(5000)), "{}", w.avg(5000));
    }
}
