//! Traffic logs: the tcplog line (`%ci:%cp [%t] %ft %b/%s %Tw/%Tc/%Tt %B %ts
//! %ac/%fc/%bc/%sc/%rc %sq/%bq`) with the right names and counts, on stdout
//! (`log stdout format raw`) and over UDP syslog (`<134>Mmm dd HH:MM:SS
//! prog[pid]: line`).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::net::{Shutdown, UdpSocket};
use std::time::{Duration, Instant};

use tests::client::{client_port, connect, read_line};
use tests::servers::{Backend, Behavior};
use tests::tcplog::{self, TcpLog};
use tests::util::local;
use tests::{program_name, BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);

fn cfg(global_log: &str, fe: &BoundPort, server_port: u16) -> String {
    format!(
        "global\n    {global_log}\n\ndefaults\n    mode tcp\n    log global\n    option tcplog\n    timeout connect 2s\n    timeout client 5s\n    timeout server 5s\n\nfrontend fe_main\n    bind {fe}\n    default_backend be_app\n\nbackend be_app\n    server app1 127.0.0.1:{server_port}\n"
    )
}

/// Sends `n` bytes, half-closes, reads the `"<count> <hash>\n"` reply.
fn count_exchange(port: u16, n: usize) -> (u16, String) {
    let mut c = connect(port);
    let cp = client_port(&c);
    c.write_all(&vec![b'x'; n]).expect("write");
    c.shutdown(Shutdown::Write).expect("shutdown");
    let mut reply = String::new();
    c.read_to_string(&mut reply).expect("reply");
    (cp, reply)
}

fn check_fields(log: &TcpLog, cp: u16, reply_len: usize) {
    assert_eq!(log.client_ip, "127.0.0.1", "{log}");
    assert_eq!(log.client_port, cp, "{log}");
    assert_eq!(log.frontend, "fe_main", "{log}");
    assert_eq!(log.backend, "be_app", "{log}");
    assert_eq!(log.server, "app1", "{log}");
    assert_eq!(
        log.bytes, reply_len as u64,
        "bytes sent to the client: {log}"
    );
    assert_eq!(log.term, "--", "{log}");
    assert!(log.tw >= 0 && log.tc >= 0, "queue/connect times: {log}");
    assert!(log.tt >= log.tc && log.tt < 5000, "total time: {log}");
    assert!(log.actconn >= 1 && log.feconn >= 1, "counters: {log}");
    assert_eq!(log.retries, 0, "{log}");
    assert!(!log.redispatched, "{log}");
    assert_eq!((log.srv_queue, log.be_queue), (0, 0), "{log}");
}

#[test]
fn tcplog_line_on_stdout() {
    let be = Backend::start(Behavior::Count);
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg("log stdout format raw local0", &fe, be.port), &[&fe]);
    let (cp, reply) = count_exchange(port, 1234);
    assert!(reply.starts_with("1234 "), "server reply {reply:?}");
    let log = px.log_for(cp, T);
    check_fields(&log, cp, reply.len());
    // One line per connection, nothing else on stdout.
    let (cp2, reply2) = count_exchange(port, 7);
    let log2 = px.log_for(cp2, T);
    check_fields(&log2, cp2, reply2.len());
    for l in px.logs() {
        tcplog::parse(&l)
            .unwrap_or_else(|e| panic!("stdout line is not a tcplog line: {l:?}: {e}"));
    }
    assert_eq!(px.logs().len(), 2, "logs: {:?}", px.logs());
}

/// The log line is emitted when the session ends, not at accept.
#[test]
fn log_is_emitted_at_session_end() {
    let be = Backend::banner("app1");
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(&cfg("log stdout format raw local0", &fe, be.port), &[&fe]);
    let mut c = connect(port);
    let cp = client_port(&c);
    assert_eq!(read_line(&mut c, T).expect("banner"), "app1");
    let key = format!(":{cp} [");
    assert!(
        px.wait_log(|l| l.contains(&key), Duration::from_millis(300))
            .is_none(),
        "logged before the session ended"
    );
    // The stimulus: the session lasts ~500 ms in all, which Tt must cover.
    std::thread::sleep(Duration::from_millis(200));
    drop(c);
    let log = px.log_for(cp, T);
    assert_eq!(log.bytes, 5, "{log}");
    assert!(
        log.tt >= 450,
        "Tt covers the whole session (~500 ms): {log}"
    );
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Splits `<134>Mmm dd HH:MM:SS prog[pid]: msg` (RFC 3164; the day is
/// space-padded as `%2d`). Returns `(prog, pid, msg)`.
fn parse_syslog(d: &str) -> Result<(String, u32, String), String> {
    let rest = d
        .strip_prefix("<134>")
        .ok_or("priority is not <134> (local0.info)")?;
    if rest.len() < 16 {
        return Err("too short".into());
    }
    let (stamp, rest) = rest.split_at(15);
    let b = stamp.as_bytes();
    let month_ok = MONTHS.contains(&&stamp[0..3]);
    let day_ok = b[3] == b' '
        && (b[4] == b' ' || b[4].is_ascii_digit())
        && b[5].is_ascii_digit()
        && b[4] != b'0';
    let time_ok = b[6] == b' '
        && b[7..9].iter().all(u8::is_ascii_digit)
        && b[9] == b':'
        && b[10..12].iter().all(u8::is_ascii_digit)
        && b[12] == b':'
        && b[13..15].iter().all(u8::is_ascii_digit);
    if !(month_ok && day_ok && time_ok) {
        return Err(format!("bad timestamp {stamp:?}"));
    }
    let rest = rest
        .strip_prefix(' ')
        .ok_or("no space after the timestamp")?;
    let (tag, msg) = rest.split_once("]: ").ok_or("no 'prog[pid]: '")?;
    let (prog, pid) = tag.split_once('[').ok_or("no '[pid]'")?;
    let pid = pid.parse().map_err(|e| format!("pid {pid:?}: {e}"))?;
    Ok((
        prog.to_string(),
        pid,
        msg.trim_end_matches('\n').to_string(),
    ))
}

#[test]
fn syslog_parser_self_check() {
    let (p, pid, m) = parse_syslog("<134>Nov  6 09:01:07 haproxy[15482]: a b\n").unwrap();
    assert_eq!((p.as_str(), pid, m.as_str()), ("haproxy", 15482, "a b"));
    assert!(parse_syslog("<134>Nov 06 09:01:07 haproxy[1]: x").is_err());
    assert!(parse_syslog("<133>Nov 16 09:01:07 haproxy[1]: x").is_err());
}

#[test]
fn udp_syslog_target() {
    let udp = UdpSocket::bind(local(0)).expect("udp bind");
    udp.set_read_timeout(Some(T)).expect("timeout");
    let uport = udp.local_addr().expect("addr").port();
    let be = Backend::start(Behavior::Count);
    let fe = BoundPort::new();
    let port = fe.port;
    let px = Proxy::start_with(
        &cfg(&format!("log 127.0.0.1:{uport} local0"), &fe, be.port),
        &[&fe],
    );
    let (cp, reply) = count_exchange(port, 99);
    let key = format!("127.0.0.1:{cp} [");
    let deadline = Instant::now() + T;
    let mut buf = vec![0u8; 65536];
    let mut seen = Vec::new();
    let datagram = loop {
        assert!(
            Instant::now() < deadline,
            "no syslog datagram for the connection; got {seen:?}; stderr:\n{}",
            px.stderr()
        );
        let (n, from) = udp.recv_from(&mut buf).expect("no syslog datagram");
        assert_eq!(from.ip().to_string(), "127.0.0.1");
        let d = String::from_utf8_lossy(&buf[..n]).into_owned();
        if d.contains(&key) {
            break d;
        }
        seen.push(d);
    };
    let (prog, pid, msg) =
        parse_syslog(&datagram).unwrap_or_else(|e| panic!("syslog header: {e}: {datagram:?}"));
    assert_eq!(prog, program_name(), "{datagram:?}");
    assert_eq!(pid, px.pid(), "{datagram:?}");
    let log = tcplog::parse(&msg).unwrap_or_else(|e| panic!("{e}: {msg:?}"));
    check_fields(&log, cp, reply.len());
    assert!(px.logs().is_empty(), "nothing on stdout: {:?}", px.logs());
}
