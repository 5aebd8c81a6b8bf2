//! Plain connect checks and the limits of the connect step: what HAProxy
//! 2.6.12 logged for a refused port, a server that closes or stays
//! silent, a full accept queue (timeouts), and a refused pool slot.

use std::time::Duration;

use tokio::net::TcpStream;

use super::tcpcheck;
use super::tests_run::{checks, is, received, run, server, target, Srv};
use super::CheckStatus::*;
use crate::pool::Pool;

#[tokio::test]
async fn plain_connect() {
    // "reason: Layer4 connection problem, info: "Connection refused""
    let (o, _) = run("", Srv::Refuse, 1000).await;
    is(&o, L4Con, None, "Connection refused");
    // "reason: Layer4 check passed" (no data needed, nothing sent)
    let (o, s) = run("", Srv::Close, 1000).await;
    is(&o, L4Ok, None, "");
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(received(&s), b"");
    let (o, _) = run("", Srv::Silent, 1000).await;
    is(&o, L4Ok, None, "");
}

#[tokio::test]
async fn connect_timeouts() {
    // "reason: Layer4 timeout, check duration: 1001ms" with inter 1s; with
    // `timeout check` set, min(inter, timeout connect) (301ms for 300ms).
    let s = tokio::net::TcpSocket::new_v4().expect("socket");
    s.bind("127.0.0.1:0".parse().expect("addr")).expect("bind");
    let addr = s.local_addr().expect("addr");
    let _l = s.listen(0).expect("listen");
    let mut fillers = Vec::new();
    for _ in 0..4 {
        let f = TcpStream::connect(addr);
        fillers.push(tokio::spawn(f));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut t = target(addr, 400);
    let o = tcpcheck::run_health(&checks(""), &t).await;
    is(&o, L4Tout, None, "");
    assert!(o.duration >= Duration::from_millis(390), "{o:?}");
    t.timeout_connect = Some(Duration::from_millis(150));
    t.timeout_check = Some(Duration::from_secs(2));
    let o =
        tcpcheck::run_health(&checks(" option tcp-check\n tcp-check expect string x"), &t).await;
    // "Layer4 timeout, info: " at initial connection step of tcp-check""
    is(&o, L4Tout, None, " at initial connection step of tcp-check");
    assert!(o.duration < Duration::from_millis(390), "{o:?}");
}

#[tokio::test]
async fn pool_refusal_is_a_socket_error() {
    let srv = server(Srv::Close).await;
    let mut t = target(srv.addr, 1000);
    t.pool = Pool::new("connection", 0, Some(0), 0);
    let o = tcpcheck::run_health(&checks(""), &t).await;
    is(
        &o,
        SockErr,
        None,
        "TCPCHK error allocating connection at step 0",
    );
}
