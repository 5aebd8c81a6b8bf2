//! Log dates are local time, as HAProxy prints them (`localtime_r`): with
//! `TZ=Asia/Kolkata` (+05:30, no daylight saving) both the tcplog accept
//! date `[07/Dec/2026:06:28:16.123]` and the RFC 3164 syslog header date
//! `Dec  7 06:28:16` are in that zone. The expected strings come from the
//! system's `date` command for the seconds around the test, not from the
//! proxy's own code. Runs against HAProxy too (`PROXY_BIN`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{Shutdown, UdpSocket};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tests::client::{client_port, connect};
use tests::servers::{Backend, Behavior};
use tests::tcplog;
use tests::util::local;
use tests::{BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);
const ZONE: &str = "Asia/Kolkata";

fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64
}

/// `TZ=<zone> date -d @<secs> +<fmt>`.
fn date_in(zone: &str, secs: i64, fmt: &str) -> String {
    let out = Command::new("date")
        .env("TZ", zone)
        .arg("-d")
        .arg(format!("@{secs}"))
        .arg(format!("+{fmt}"))
        .output()
        .expect("run date");
    assert!(out.status.success(), "date: {out:?}");
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim_end()
        .to_string()
}

/// The dates `date` prints for every second of `[from, to]`.
fn candidates(zone: &str, from: i64, to: i64, fmt: &str) -> Vec<String> {
    (from..=to).map(|s| date_in(zone, s, fmt)).collect()
}

#[test]
fn log_dates_are_in_the_local_zone() {
    let udp = UdpSocket::bind(local(0)).expect("udp bind");
    udp.set_read_timeout(Some(T)).expect("timeout");
    let uport = udp.local_addr().expect("addr").port();
    let be = Backend::start(Behavior::Count);
    let fe = BoundPort::new();
    let port = fe.port;
    let cfg = format!(
        "global\n    log 127.0.0.1:{uport} local0\n\ndefaults\n    mode tcp\n    log global\n    option tcplog\n    timeout connect 2s\n    timeout client 5s\n    timeout server 5s\n\nfrontend fe_main\n    bind {fe}\n    default_backend be_app\n\nbackend be_app\n    server app1 127.0.0.1:{}\n",
        be.port
    );
    let px = Proxy::builder(&cfg).listen(&fe).env("TZ", ZONE).start();

    let before = now_secs();
    let mut c = connect(port);
    let cp = client_port(&c);
    c.write_all(b"hello").expect("write");
    c.shutdown(Shutdown::Write).expect("shutdown");
    let mut reply = String::new();
    c.read_to_string(&mut reply).expect("reply");

    let key = format!("127.0.0.1:{cp} [");
    let deadline = Instant::now() + T;
    let mut buf = vec![0u8; 65536];
    let datagram = loop {
        assert!(
            Instant::now() < deadline,
            "no syslog datagram; stderr:\n{}",
            px.stderr()
        );
        let (n, _) = udp.recv_from(&mut buf).expect("no syslog datagram");
        let d = String::from_utf8_lossy(&buf[..n]).into_owned();
        if d.contains(&key) {
            break d;
        }
    };
    let after = now_secs();
    // A second of slack either side for clock granularity.
    let (from, to) = (before - 1, after + 1);

    // `<134>Dec  7 06:28:16 prog[pid]: ...`: the header date is 15 bytes.
    let header = datagram
        .strip_prefix("<134>")
        .and_then(|d| d.get(..15))
        .unwrap_or_else(|| panic!("syslog header: {datagram:?}"));
    let want = candidates(ZONE, from, to, "%b %e %H:%M:%S");
    assert!(
        want.iter().any(|w| w == header),
        "syslog date {header:?} is not local {ZONE} time, one of {want:?}: {datagram:?}"
    );

    let msg = datagram
        .split_once("]: ")
        .map(|(_, m)| m)
        .unwrap_or_else(|| panic!("syslog message: {datagram:?}"));
    let log = tcplog::parse(msg).unwrap_or_else(|e| panic!("{e}: {msg:?}"));
    // `07/Dec/2026:06:28:16.123`: compare without the milliseconds.
    let accept = log
        .accept_date
        .rsplit_once('.')
        .map(|(d, _)| d)
        .unwrap_or_else(|| panic!("accept date {:?}", log.accept_date));
    let want = candidates(ZONE, from, to, "%d/%b/%Y:%H:%M:%S");
    assert!(
        want.iter().any(|w| w == accept),
        "accept date {accept:?} is not local {ZONE} time, one of {want:?}: {msg:?}"
    );
    // And it is not UTC (Kolkata is always 5:30 ahead).
    let utc = candidates("UTC", from, to, "%d/%b/%Y:%H:%M:%S");
    assert!(!utc.iter().any(|w| w == accept), "UTC date: {msg:?}");
}
