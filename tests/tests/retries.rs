//! Connection retries: a retry goes to the same address (the server port
//! starts listening only after the first attempts were refused), and
//! `option redispatch` moves the last retry to another server.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use tests::client::{client_port, connect, echo_roundtrip, read_line, wait_closed, Closed};
use tests::servers::{Backend, Behavior};
use tests::{free_port, tcp_defaults, BoundPort, ClosedPort, Proxy};

const T: Duration = Duration::from_secs(5);

/// Nothing listens on the server port at first; it gets bound 1.5 s later.
/// With `retries 3` (1 s turn-around after each refusal) a retry reaches the
/// same address: the client is served by that server, and the log line shows
/// a retry count > 0 without redispatch.
#[test]
fn retry_reaches_the_same_address_once_it_listens() {
    // The server's port is bound late by the test itself (Backend::bind_later):
    // a number below the ephemeral range, which nothing else here binds.
    let sport = free_port();
    let fe = BoundPort::new();
    let port = fe.port;
    let cfg = format!(
        "{}listen rt\n    bind {fe}\n    retries 3\n    server late 127.0.0.1:{sport}\n",
        tcp_defaults()
    );
    let px = Proxy::start_with(&cfg, &[&fe]);
    let late = Backend::bind_later(
        sport,
        Duration::from_millis(1500),
        Behavior::Banner("late".into()),
    );
    let start = Instant::now();
    let mut c = connect(port);
    let cp = client_port(&c);
    let name = read_line(&mut c, Duration::from_secs(8)).expect("served after retries");
    assert_eq!(name, "late");
    let bound = late.bound_at().expect("bound");
    assert!(
        bound.duration_since(start) >= Duration::from_millis(1400),
        "server bound too early for the test to mean anything"
    );
    assert_eq!(
        late.stats.accepted(),
        1,
        "exactly one connection reached the server"
    );
    echo_roundtrip(&mut c, b"after retries\n");
    drop(c);
    let log = px.log_for(cp, T);
    assert_eq!(log.term, "--", "{log}");
    assert_eq!(log.server, "late", "{log}");
    assert!(
        log.retries >= 1 && log.retries <= 3,
        "retries field should be 1..=3: {log}"
    );
    assert!(
        !log.redispatched,
        "single server: no redispatch expected: {log}"
    );
}

/// Refused server, retries exhausted: the client is closed without data and
/// the log shows `SC` with the retry count.
#[test]
fn refused_after_retries_logs_sc() {
    // Held bound, never listening: refused, and nobody else can take it.
    let down = ClosedPort::new();
    let dead = down.port;
    let fe = BoundPort::new();
    let port = fe.port;
    let cfg = format!(
        "{}listen rt\n    bind {fe}\n    retries 2\n    server dead 127.0.0.1:{dead}\n",
        tcp_defaults()
    );
    let px = Proxy::start_with(&cfg, &[&fe]);
    let mut c = connect(port);
    let cp = client_port(&c);
    let end = wait_closed(&mut c, Duration::from_secs(8));
    assert!(
        matches!(end, Some((Closed::Eof(0) | Closed::Reset(0), _))),
        "client should be closed without data, got {end:?}"
    );
    let log = px.log_for(cp, T);
    assert_eq!(log.term, "SC", "{log}");
    assert_eq!(log.retries, 2, "{log}");
    assert_eq!(log.server, "dead", "{log}");
    assert_eq!(log.bytes, 0, "{log}");
    assert_eq!(log.tc, -1, "never connected: {log}");
}

/// Two servers, one dead, `retries 1` + `option redispatch`: every client is
/// served (by the live server) and the connections first sent to the dead
/// one log a redispatched retry (`+1`).
#[test]
fn redispatch_moves_the_last_retry_to_another_server() {
    let live = Backend::banner("live");
    // Held bound, never listening: refused, and nobody else can take it.
    let down = ClosedPort::new();
    let dead = down.port;
    let fe = BoundPort::new();
    let port = fe.port;
    let cfg = format!(
        "{}listen rd\n    bind {fe}\n    balance roundrobin\n    retries 1\n    option redispatch\n    server dead 127.0.0.1:{dead}\n    server live 127.0.0.1:{}\n",
        tcp_defaults(),
        live.port
    );
    let px = Proxy::start_with(&cfg, &[&fe]);
    let mut ports = Vec::new();
    for i in 0..6 {
        let mut c = connect(port);
        ports.push(client_port(&c));
        let name = read_line(&mut c, Duration::from_secs(5))
            .unwrap_or_else(|e| panic!("connection {i} not served: {e}"));
        assert_eq!(name, "live", "connection {i}");
        echo_roundtrip(&mut c, b"x\n");
    }
    let logs: Vec<_> = ports.iter().map(|p| px.log_for(*p, T)).collect();
    for l in &logs {
        assert_eq!(l.term, "--", "{l}");
        assert_eq!(l.server, "live", "{l}");
    }
    let redispatched: Vec<_> = logs.iter().filter(|l| l.redispatched).collect();
    assert!(
        !redispatched.is_empty(),
        "no log line shows a redispatch ('+1'):\n{}",
        logs.iter()
            .map(|l| l.raw.clone())
            .collect::<Vec<_>>()
            .join("\n")
    );
    for l in redispatched {
        assert_eq!(l.retries, 1, "{l}");
        assert!(l.raw.contains("/+1 "), "{l}");
    }
}

/// Without `option redispatch` the retries stay on the dead server: the
/// connections sent there fail with `SC`.
#[test]
fn without_redispatch_retries_stay_on_the_dead_server() {
    let live = Backend::banner("live");
    // Held bound, never listening: refused, and nobody else can take it.
    let down = ClosedPort::new();
    let dead = down.port;
    let fe = BoundPort::new();
    let port = fe.port;
    let cfg = format!(
        "{}listen nrd\n    bind {fe}\n    balance roundrobin\n    retries 1\n    server dead 127.0.0.1:{dead}\n    server live 127.0.0.1:{}\n",
        tcp_defaults(),
        live.port
    );
    let px = Proxy::start_with(&cfg, &[&fe]);
    let mut failed = 0;
    let mut ports = Vec::new();
    for _ in 0..4 {
        let mut c = connect(port);
        ports.push(client_port(&c));
        if read_line(&mut c, Duration::from_secs(5)).is_err() {
            failed += 1;
        }
    }
    assert_eq!(
        failed, 2,
        "roundrobin sends half of the clients to the dead server"
    );
    let logs: Vec<_> = ports.iter().map(|p| px.log_for(*p, T)).collect();
    let sc: Vec<_> = logs.iter().filter(|l| l.term == "SC").collect();
    assert_eq!(
        sc.len(),
        2,
        "two connections refused after retries must log SC:\n{}",
        logs.iter()
            .map(|l| l.raw.clone())
            .collect::<Vec<_>>()
            .join("\n")
    );
    for l in sc {
        assert_eq!(l.server, "dead", "{l}");
        assert!(!l.redispatched, "{l}");
        assert_eq!(l.retries, 1, "{l}");
    }
}
