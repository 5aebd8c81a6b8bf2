//! The process-wide TLS figures of `show info` and the Prometheus
//! exporter, counted where HAProxy 2.6 counts them (checked with the
//! binary):
//!
//! - `CurrSslConns` / `CumSslConns`: TLS endpoints, front and back; an
//!   accepted connection counts once in the total even when its handshake
//!   fails, and in the current count while its TLS stream lives;
//! - `SslRate` / `MaxSslRate`: connections accepted on `ssl` binds per
//!   second (the accept, not the handshake);
//! - `SslFrontendKeyRate` / `SslBackendKeyRate` and their maxima: full
//!   handshakes (new keys) per second; resumed ones make no key (server
//!   connections are counted by their TLS stream when it sees its
//!   handshake done, see [`super::conn`]);
//! - `SslFrontendSessionReuse_pct`: the share of the last second's
//!   accepted connections that made no key, rounded down;
//! - `SslCacheLookups` / `SslCacheMisses`: lookups of the session cache
//!   by session ID (resumption by ticket looks nothing up).
//!
//! One set per process, like HAProxy's globals: the accept path and the
//! server side (whoever builds a TLS stream) reach it through [`ssl_stats`].

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::LazyLock;

use crate::counters::FreqCtr;

/// The process's TLS counters.
#[derive(Debug, Default)]
pub struct SslStats {
    cur: AtomicU32,
    total: AtomicU64,
    rate: FreqCtr,
    rate_max: AtomicU32,
    fe_keys: FreqCtr,
    fe_keys_max: AtomicU32,
    be_keys: FreqCtr,
    be_keys_max: AtomicU32,
    cache_lookups: AtomicU64,
    cache_misses: AtomicU64,
}

static STATS: LazyLock<SslStats> = LazyLock::new(SslStats::default);

/// The process's TLS counters.
pub fn ssl_stats() -> &'static SslStats {
    &STATS
}

/// One live TLS endpoint (`CurrSslConns`): counted when made, uncounted
/// when dropped.
#[derive(Debug)]
pub struct SslEndpoint(&'static SslStats);

impl Drop for SslEndpoint {
    fn drop(&mut self) {
        self.0.cur.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The `show info` values, by field name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SslFigures {
    pub curr_conns: u64,
    pub cum_conns: u64,
    pub rate: u64,
    pub max_rate: u64,
    pub fe_key_rate: u64,
    pub fe_max_key_rate: u64,
    pub fe_reuse_pct: u64,
    pub be_key_rate: u64,
    pub be_max_key_rate: u64,
    pub cache_lookups: u64,
    pub cache_misses: u64,
}

impl SslStats {
    /// A connection accepted on an `ssl` bind, before its handshake.
    pub fn accepted(&self) {
        let r = self.rate.add(1);
        self.rate_max.fetch_max(r, Ordering::Relaxed);
    }

    /// A TLS endpoint begins (front or back): `CumSslConns` now, and
    /// `CurrSslConns` while the guard lives.
    pub fn endpoint(&'static self) -> SslEndpoint {
        self.cur.fetch_add(1, Ordering::Relaxed);
        self.total.fetch_add(1, Ordering::Relaxed);
        SslEndpoint(self)
    }

    /// A TLS endpoint that never got a stream (its handshake failed): in
    /// the total only.
    pub fn failed_endpoint(&self) {
        self.total.fetch_add(1, Ordering::Relaxed);
    }

    /// A handshake completed on the client side (`back` false) or the
    /// server side; a full one made a new key.
    pub fn handshake(&self, back: bool, resumed: bool) {
        if resumed {
            return;
        }
        let (ctr, max) = if back {
            (&self.be_keys, &self.be_keys_max)
        } else {
            (&self.fe_keys, &self.fe_keys_max)
        };
        let r = ctr.add(1);
        max.fetch_max(r, Ordering::Relaxed);
    }

    /// A session cache lookup by session ID; `found` or a miss.
    pub fn cache_lookup(&self, found: bool) {
        self.cache_lookups.fetch_add(1, Ordering::Relaxed);
        if !found {
            self.cache_misses.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// `clear counters`: the maxima (`all`: HAProxy 2.6 keeps the rest).
    pub fn clear_max(&self) {
        for m in [&self.rate_max, &self.fe_keys_max, &self.be_keys_max] {
            m.store(0, Ordering::Relaxed);
        }
    }

    /// The figures now.
    pub fn figures(&self) -> SslFigures {
        let l = |a: &AtomicU32| u64::from(a.load(Ordering::Relaxed));
        let rate = u64::from(self.rate.read());
        let fe_key_rate = u64::from(self.fe_keys.read());
        SslFigures {
            curr_conns: l(&self.cur),
            cum_conns: self.total.load(Ordering::Relaxed),
            rate,
            max_rate: l(&self.rate_max),
            fe_key_rate,
            fe_max_key_rate: l(&self.fe_keys_max),
            fe_reuse_pct: reuse_pct(rate, fe_key_rate),
            be_key_rate: u64::from(self.be_keys.read()),
            be_max_key_rate: l(&self.be_keys_max),
            cache_lookups: self.cache_lookups.load(Ordering::Relaxed),
            cache_misses: self.cache_misses.load(Ordering::Relaxed),
        }
    }
}

/// The share of `conns` that made no new key, in percent rounded down;
/// 0 when every connection made one (or there were none).
fn reuse_pct(conns: u64, keys: u64) -> u64 {
    if keys >= conns {
        return 0;
    }
    100 * (conns - keys) / conns
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reuse_is_rounded_down() {
        assert_eq!(reuse_pct(3, 1), 66);
        assert_eq!(reuse_pct(3, 3), 0);
        assert_eq!(reuse_pct(0, 0), 0);
        assert_eq!(reuse_pct(2, 5), 0);
        assert_eq!(reuse_pct(7, 0), 100);
    }

    #[test]
    fn endpoints_count_while_alive() {
        static S: LazyLock<SslStats> = LazyLock::new(SslStats::default);
        let a = S.endpoint();
        let b = S.endpoint();
        S.failed_endpoint();
        assert_eq!((S.figures().curr_conns, S.figures().cum_conns), (2, 3));
        drop(a);
        drop(b);
        assert_eq!((S.figures().curr_conns, S.figures().cum_conns), (0, 3));
        S.accepted();
        S.handshake(false, false);
        S.handshake(false, true);
        S.handshake(true, false);
        let f = S.figures();
        assert_eq!((f.rate, f.fe_key_rate, f.be_key_rate), (1, 1, 1));
        assert_eq!((f.max_rate, f.fe_max_key_rate), (1, 1));
    }
}
