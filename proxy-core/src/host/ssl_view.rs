//! The TLS figures the applets see: the process's `show info` fields
//! (from [`crate::tls::stats`]) and each frontend's SSL module columns of
//! `show stat` (`ssl_sess`, `ssl_reused_sess`, `ssl_failed_handshake`:
//! full and resumed handshakes and failures, summed over its `ssl` binds).

use std::sync::atomic::Ordering;

use applet_sdk::Metric;

use super::services::m;
use crate::state::Proxy;
use crate::tls::stats::ssl_stats;

/// The `show info` SSL fields, by HAProxy's names.
pub(super) fn info_metrics() -> Vec<Metric> {
    let s = ssl_stats().figures();
    vec![
        m("MaxSslConns", 0),
        m("CurrSslConns", s.curr_conns),
        m("CumSslConns", s.cum_conns),
        m("SslRate", s.rate),
        m("SslRateLimit", 0),
        m("MaxSslRate", s.max_rate),
        m("SslFrontendKeyRate", s.fe_key_rate),
        m("SslFrontendMaxKeyRate", s.fe_max_key_rate),
        m("SslFrontendSessionReuse_pct", s.fe_reuse_pct),
        m("SslBackendKeyRate", s.be_key_rate),
        m("SslBackendMaxKeyRate", s.be_max_key_rate),
        m("SslCacheLookups", s.cache_lookups),
        m("SslCacheMisses", s.cache_misses),
    ]
}

/// The SSL module columns of frontend `p`.
pub(super) fn frontend_metrics(p: &Proxy) -> [Metric; 3] {
    let (mut full, mut resumed, mut failed) = (0, 0, 0);
    for t in p.cfg.binds.iter().filter_map(|b| b.tls.as_ref()) {
        let c = &t.0.counters;
        full += c.full.load(Ordering::Relaxed);
        resumed += c.resumed.load(Ordering::Relaxed);
        failed += c.failed.load(Ordering::Relaxed);
    }
    [
        m("ssl_sess", full),
        m("ssl_reused_sess", resumed),
        m("ssl_failed_handshake", failed),
    ]
}
