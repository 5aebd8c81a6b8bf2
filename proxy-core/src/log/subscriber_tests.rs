//! Tests of [`super`]: routing of traffic events to real UDP sinks, sink
//! swapping, diagnostic prefixes and verbosity filtering. Each test scopes
//! its subscriber with `with_default`, so tests do not see each other.

use super::*;
use crate::config::model::{Location, LogDest, LogFormat, LogTarget};
use std::net::{SocketAddr, UdpSocket};
use std::time::Duration;

fn udp_rx() -> (UdpSocket, SocketAddr) {
    let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
    rx.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let addr = rx.local_addr().unwrap();
    (rx, addr)
}

fn recv(rx: &UdpSocket) -> String {
    let mut buf = [0u8; 2048];
    let n = rx.recv(&mut buf).unwrap();
    String::from_utf8(buf[..n].to_vec()).unwrap()
}

/// Sinks where proxy 0 logs nothing and proxy 1 sends raw lines to `addr`,
/// every severity accepted.
fn sinks_to(addr: SocketAddr) -> LogSinks {
    let t = LogTarget {
        dest: LogDest::Udp(addr),
        max_len: 1024,
        format: LogFormat::Short,
        facility: 16,
        level: 7,
        loc: Location {
            file: "t.cfg".to_string(),
            line: 3,
        },
    };
    LogSinks::new(vec![vec![], vec![t]], "proxy", 99).unwrap()
}

fn captured(buf: &Arc<std::sync::Mutex<Vec<u8>>>) -> String {
    String::from_utf8(buf.lock().unwrap().clone()).unwrap()
}

#[test]
fn traffic_events_reach_the_proxy_targets() {
    let (rx, addr) = udp_rx();
    let (sub, diag) =
        ProxySubscriber::with_sinks(Verbosity::Quiet, 7, sinks_to(addr)).capture_diagnostics();
    tracing::subscriber::with_default(sub, || {
        traffic(0, "proxy 0 has no target");
        traffic(1, "first");
        traffic_with_severity(1, 3, "second");
        // The format_args form goes through record_debug.
        let n = 3;
        tracing::info!(target: TRAFFIC_TARGET, proxy = 1u64, "line {n}");
        // Without a proxy field the line has nowhere to go.
        tracing::info!(target: TRAFFIC_TARGET, "orphan");
    });
    assert_eq!(recv(&rx), "<6>first\n");
    assert_eq!(recv(&rx), "<3>second\n");
    assert_eq!(recv(&rx), "<6>line 3\n");
    // Traffic never shows up as a diagnostic, even at -q.
    assert_eq!(captured(&diag), "");
}

#[test]
fn sinks_can_be_plugged_in_after_creation() {
    let (rx, addr) = udp_rx();
    let sub = ProxySubscriber::new(Verbosity::Normal, 1);
    let handle = sub.sinks_handle();
    tracing::subscriber::with_default(sub, || {
        traffic(1, "lost: no sinks yet");
        let old = handle.replace(sinks_to(addr));
        assert_eq!(old.dropped(), 0);
        assert!(handle.wants(1, 6));
        traffic(1, "after replace");
    });
    assert_eq!(recv(&rx), "<6>after replace\n");
    assert_eq!(handle.dropped(), 0);
}

#[test]
fn diagnostic_prefixes() {
    let mut s = String::new();
    format_diagnostic(&Level::INFO, 12263, "m", &mut s);
    assert_eq!(s, "[NOTICE]   (12263) : m");
    s.clear();
    format_diagnostic(&Level::WARN, 12263, "m", &mut s);
    assert_eq!(s, "[WARNING]  (12263) : m");
    s.clear();
    format_diagnostic(&Level::ERROR, 12263, "m", &mut s);
    assert_eq!(s, "[ALERT]    (12263) : m");
}

#[test]
fn normal_verbosity_prints_notice_and_up() {
    let (sub, diag) = ProxySubscriber::new(Verbosity::Normal, 16139).capture_diagnostics();
    tracing::subscriber::with_default(sub, || {
        tracing::error!("Some protocols failed to start their listeners! Exiting.");
        tracing::warn!("Server be_app/s1 is DOWN.");
        tracing::info!(proxy = "fe", "Proxy started.");
        tracing::debug!("not shown");
        tracing::trace!("not shown");
    });
    assert_eq!(
        captured(&diag),
        "[ALERT]    (16139) : Some protocols failed to start their listeners! Exiting.\n\
         [WARNING]  (16139) : Server be_app/s1 is DOWN.\n\
         [NOTICE]   (16139) : Proxy started. proxy=fe\n"
    );
}

#[test]
fn quiet_keeps_only_alerts_and_debug_shows_everything() {
    let (sub, diag) = ProxySubscriber::new(Verbosity::Quiet, 5).capture_diagnostics();
    tracing::subscriber::with_default(sub, || {
        tracing::error!("bad");
        tracing::warn!("warn");
        tracing::info!("info");
    });
    assert_eq!(captured(&diag), "[ALERT]    (5) : bad\n");

    let (sub, diag) = ProxySubscriber::new(Verbosity::Debug, 5).capture_diagnostics();
    tracing::subscriber::with_default(sub, || {
        tracing::debug!(fd = 14, "accept");
        tracing::trace!("tick");
    });
    assert_eq!(
        captured(&diag),
        "[DEBUG]    (5) : accept fd=14\n[TRACE]    (5) : tick\n"
    );
}

#[test]
fn spans_get_distinct_ids_and_do_not_disturb_events() {
    let (rx, addr) = udp_rx();
    let sub = ProxySubscriber::with_sinks(Verbosity::Normal, 1, sinks_to(addr));
    tracing::subscriber::with_default(sub, || {
        let a = tracing::info_span!("stream", id = 1);
        let b = tracing::info_span!("stream", id = 2);
        assert_ne!(a.id(), b.id());
        assert!(a.id().is_some());
        let _g = a.enter();
        traffic(1, "inside span");
    });
    assert_eq!(recv(&rx), "<6>inside span\n");
}

#[test]
fn second_install_is_an_error_not_a_panic() {
    // The first call may or may not win (another test could have installed
    // one); the second can never succeed.
    let _ = install(ProxySubscriber::new(Verbosity::Quiet, 1));
    assert!(install(ProxySubscriber::new(Verbosity::Quiet, 1)).is_err());
}
