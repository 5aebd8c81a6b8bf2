//! Process signals and hand-over: SIGTERM/SIGINT stop at once, SIGUSR1 is a
//! soft stop (listeners close, live streams finish, then exit 0), and
//! `-sf <pid>` makes the old process soft-stop once the new one is up.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use std::time::{Duration, Instant};

use tests::client::{connect, echo_roundtrip, wait_closed};
use tests::procnet::{anyone_listens, listening_ports};
use tests::servers::Backend;
use tests::util::{local, poll_until};
use tests::{free_port, is_haproxy, tcp_defaults, BoundPort, Proxy};

/// `bind` is `fe.bind()` for a [`BoundPort`], or `127.0.0.1:<port>`.
fn cfg(bind: &str, server_port: u16) -> String {
    format!(
        "{}listen sig\n    bind {bind}\n    server s1 127.0.0.1:{server_port}\n",
        tcp_defaults()
    )
}

/// Hard stop: our proxy exits with status 0 (the requirement).
/// HAProxy 2.6 in foreground does not catch SIGTERM/SIGINT and dies from the
/// signal, which the reference run accepts.
#[track_caller]
fn assert_hard_stop_status(st: ExitStatus, sig: i32) {
    if is_haproxy() {
        assert!(
            st.code() == Some(0) || st.signal() == Some(sig),
            "status {st}"
        );
    } else {
        assert_eq!(st.code(), Some(0), "exit status after signal {sig}: {st}");
    }
}

fn sigint_ignored_by_inheritance() -> bool {
    // SigIgn bitmask in /proc/self/status; SIGINT = 2 -> bit 1.
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("SigIgn:"))
                .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())
        })
        .is_some_and(|m| m & 0b10 != 0)
}

fn hard_stop(sig: &str, signum: i32) {
    let be = Backend::echo();
    let fe = BoundPort::new();
    let port = fe.port;
    let mut px = Proxy::start_with(&cfg(&fe.bind(), be.port), &[&fe]);
    let mut c = connect(port);
    echo_roundtrip(&mut c, b"live\n");
    let t = Instant::now();
    px.signal(sig);
    let st = px
        .wait_exit(Duration::from_secs(2))
        .unwrap_or_else(|| panic!("still running 2 s after SIG{sig} (live stream open)"));
    assert!(
        t.elapsed() < Duration::from_secs(1),
        "SIG{sig}: exit took {:?}",
        t.elapsed()
    );
    assert_hard_stop_status(st, signum);
    assert!(
        wait_closed(&mut c, Duration::from_secs(2)).is_some(),
        "the live client connection was not closed"
    );
}

#[test]
fn sigterm_stops_at_once() {
    hard_stop("TERM", 15);
}

#[test]
fn sigint_stops_at_once() {
    if is_haproxy() && sigint_ignored_by_inheritance() {
        // HAProxy keeps an inherited SIG_IGN for SIGINT (e.g. when the test
        // runs from a background job); nothing to check then.
        eprintln!("skipped: SIGINT is ignored in this environment and HAProxy keeps it so");
        return;
    }
    hard_stop("INT", 2);
}

/// Soft stop: listeners close at once, the live stream keeps flowing, and
/// the process exits 0 when it ends.
#[test]
fn sigusr1_soft_stop_lets_live_streams_finish() {
    let be = Backend::echo();
    let fe = BoundPort::new();
    let port = fe.port;
    let mut px = Proxy::start_with(&cfg(&fe.bind(), be.port), &[&fe]);
    let mut c = connect(port);
    echo_roundtrip(&mut c, b"before\n");
    px.signal("USR1");
    let closed = poll_until(Duration::from_secs(2), || {
        (!listening_ports(px.pid()).contains(&port)).then_some(())
    });
    assert!(closed.is_some(), "listener still open 2 s after SIGUSR1");
    assert!(!anyone_listens(port), "someone still listens on {port}");
    let refused = std::net::TcpStream::connect_timeout(&local(port), Duration::from_secs(1));
    assert!(refused.is_err(), "new connection accepted after SIGUSR1");
    for i in 0..5 {
        // The stimulus: the stream stays live for a while during the stop.
        std::thread::sleep(Duration::from_millis(100));
        echo_roundtrip(&mut c, format!("during soft stop {i}\n").as_bytes());
    }
    assert!(
        px.try_exit().is_none(),
        "exited while a stream was still live"
    );
    drop(c);
    let st = px
        .wait_exit(Duration::from_secs(3))
        .expect("no exit after the last stream ended");
    assert_eq!(st.code(), Some(0), "soft stop exit status {st}");
}

/// SIGUSR1 with nothing live: exit 0 right away.
#[test]
fn sigusr1_idle_exits_0() {
    let be = Backend::echo();
    let fe = BoundPort::new();
    let mut px = Proxy::start_with(&cfg(&fe.bind(), be.port), &[&fe]);
    px.signal("USR1");
    let st = px
        .wait_exit(Duration::from_secs(2))
        .expect("idle soft stop did not exit");
    assert_eq!(st.code(), Some(0), "{st}");
}

/// Starts a process on `p1`, then a new one on `p2` with `-sf <old pid>`:
/// the old one stops listening, finishes its live stream and exits 0; the
/// new one serves `p2`.
///
/// Each side is a [`BoundPort`] the process inherits, or a port number it
/// binds itself (for a reload on the same port, which two processes must
/// bind, so it cannot be one inherited socket).
fn sf_reload(old_fe: Result<&BoundPort, u16>, new_fe: Result<&BoundPort, u16>) {
    let bind = |fe: Result<&BoundPort, u16>| match fe {
        Ok(b) => (b.bind(), b.port),
        Err(p) => (format!("127.0.0.1:{p}"), p),
    };
    let ((b1, p1), (b2, p2)) = (bind(old_fe), bind(new_fe));
    let be = Backend::echo();
    let mut old = Proxy::builder(&cfg(&b1, be.port));
    if let Ok(fe) = old_fe {
        old = old.listen(fe);
    }
    let mut old = old.start();
    let mut c = connect(p1);
    echo_roundtrip(&mut c, b"old\n");
    let mut new = Proxy::builder(&cfg(&b2, be.port)).args(["-sf", &old.pid().to_string()]);
    if let Ok(fe) = new_fe {
        new = new.listen(fe);
    }
    let new = new.start();
    let stopped = poll_until(Duration::from_secs(3), || {
        (!listening_ports(old.pid()).contains(&p1)).then_some(())
    });
    assert!(stopped.is_some(), "old process still listens after -sf");
    echo_roundtrip(&mut c, b"old still serving its stream\n");
    drop(c);
    let st = old
        .wait_exit(Duration::from_secs(3))
        .expect("old process did not exit after -sf");
    assert_eq!(st.code(), Some(0), "old process exit status {st}");
    assert!(listening_ports(new.pid()).contains(&p2));
    let mut c2 = connect(p2);
    echo_roundtrip(&mut c2, b"new\n");
}

/// `-sf <old pid>`: once the new process is up, the old one soft-stops.
#[test]
fn sf_makes_the_old_process_exit() {
    sf_reload(Ok(&BoundPort::new()), Ok(&BoundPort::new()));
}

/// A reload in place: `-sf` with the same configuration, so the new process
/// binds the ports the old one still listens on (SO_REUSEPORT, as HAProxy
/// on Linux).
#[test]
fn sf_on_the_same_port_takes_over() {
    // A real port: both processes bind it themselves (SO_REUSEPORT). It
    // lies below the ephemeral range, so only an explicit bind elsewhere
    // could take it between the pick and the first start.
    let port = free_port();
    sf_reload(Err(port), Err(port));
}
