//! Check runs against scripted servers on 127.0.0.1, each expectation
//! being what HAProxy 2.6.12 logged with `option log-health-checks` for
//! the same configuration and server behaviour (status, code, info).
//! The capture script lives outside the repository; the lines it
//! collected are quoted next to the cases. HTTP cases are in
//! `tests_http`.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::{tcpcheck, CheckOutcome, CheckStatus, CheckTarget};
use crate::pool::Pool;

/// What the scripted server does with each connection.
#[derive(Clone)]
pub(super) enum Srv {
    /// Nothing listens.
    Refuse,
    /// Accepts, reads the request, closes.
    Close,
    /// Accepts and never answers.
    Silent,
    /// Answers, then closes.
    Reply(Vec<u8>),
    /// Answers and keeps the connection open.
    ReplyOpen(Vec<u8>),
    /// Answers, then resets the connection.
    Reset(Vec<u8>),
    /// An HTTP 200 with a 1 GB body, sent as fast as it is read.
    Huge,
}

pub(super) struct Server {
    pub addr: SocketAddr,
    /// What each connection received.
    pub got: Arc<Mutex<Vec<Vec<u8>>>>,
}

/// Reads what a check sends: up to the end of an HTTP head, or whatever
/// came within 100ms.
async fn read_request(s: &mut TcpStream) -> Vec<u8> {
    let mut data = Vec::new();
    let mut b = [0u8; 4096];
    while let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(100), s.read(&mut b)).await {
        if n == 0 {
            break;
        }
        data.extend_from_slice(&b[..n]);
        if data.windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    data
}

async fn serve(mut s: TcpStream, how: Srv, got: Arc<Mutex<Vec<Vec<u8>>>>) {
    let req = read_request(&mut s).await;
    if let Ok(mut g) = got.lock() {
        g.push(req);
    }
    match how {
        Srv::Refuse | Srv::Close => {}
        Srv::Silent => tokio::time::sleep(Duration::from_secs(5)).await,
        Srv::Reply(b) => {
            let _ = s.write_all(&b).await;
        }
        Srv::ReplyOpen(b) => {
            let _ = s.write_all(&b).await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
        Srv::Reset(b) => {
            let _ = s.write_all(&b).await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            let _ = s.set_zero_linger();
        }
        Srv::Huge => {
            let head = b"HTTP/1.1 200 OK\r\nContent-Length: 1073741824\r\n\r\n";
            let chunk = vec![b'x'; 65536];
            let mut sent = 0usize;
            if s.write_all(head).await.is_ok() {
                while sent < 1 << 30 && s.write_all(&chunk).await.is_ok() {
                    sent += chunk.len();
                }
            }
        }
    }
}

pub(super) async fn server(how: Srv) -> Server {
    let got = Arc::new(Mutex::new(Vec::new()));
    let l = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("test listener");
    let addr = l.local_addr().expect("test listener address");
    if matches!(how, Srv::Refuse) {
        drop(l);
    } else {
        let g = Arc::clone(&got);
        tokio::spawn(async move {
            while let Ok((s, _)) = l.accept().await {
                tokio::spawn(serve(s, how.clone(), Arc::clone(&g)));
            }
        });
    }
    Server { addr, got }
}

pub(super) fn target(addr: SocketAddr, inter_ms: u64) -> CheckTarget {
    CheckTarget {
        addr,
        source: None,
        inter: Duration::from_millis(inter_ms),
        timeout_connect: Some(Duration::from_secs(1)),
        timeout_check: None,
        send_proxy: false,
        pp: Default::default(),
        server_stopped: false,
        pool: Pool::new("connection", 0, None, 0),
        proxy: "be".into(),
        proxy_id: 2,
        server: "s1".into(),
        server_id: 1,
        proc_vars: None,
        tls: None,
    }
}

/// The checks of backend `be` with these lines.
pub(super) fn checks(lines: &str) -> crate::config::model_check::ProxyChecks {
    let text = format!(
        "defaults\n timeout connect 1s\n timeout client 1s\n timeout server 1s\nbackend be\n{lines}\n server s1 127.0.0.1:1 check\n"
    );
    let cfg = crate::config::parse_str(&text, "t.cfg").unwrap_or_else(|e| panic!("{e}"));
    cfg.proxy("be")
        .map(|p| p.checks.clone())
        .unwrap_or_default()
}

/// Runs the checks of `lines` against a server behaving as `how`.
pub(super) async fn run(lines: &str, how: Srv, inter_ms: u64) -> (CheckOutcome, Server) {
    let srv = server(how).await;
    let t = target(srv.addr, inter_ms);
    let out = tcpcheck::run_health(&checks(lines), &t).await;
    (out, srv)
}

pub(super) fn is(o: &CheckOutcome, status: CheckStatus, code: Option<i32>, desc: &str) {
    assert_eq!(
        (o.status, o.code, o.desc.as_str()),
        (status, code, desc),
        "{o:?}"
    );
}

pub(super) fn received(s: &Server) -> Vec<u8> {
    s.got
        .lock()
        .map(|g| g.first().cloned().unwrap_or_default())
        .unwrap_or_default()
}

use CheckStatus::*;

const OPEN: &[u8] = b"+OK hello\r\n";

#[tokio::test]
async fn tcp_check_outcomes() {
    let tc = |l: &str| format!(" option tcp-check\n{l}");
    let cases: Vec<(&str, Srv, CheckStatus, Option<i32>, &str)> = vec![
        ("", Srv::ReplyOpen(OPEN.into()), L4Ok, None, ""),
        (
            " tcp-check expect string +OK",
            Srv::ReplyOpen(OPEN.into()),
            L7Ok,
            Some(0),
            "(tcp-check)",
        ),
        (
            " tcp-check expect string -ERR",
            Srv::Reply(OPEN.into()),
            L7Rsp,
            None,
            "TCPCHK did not match content '-ERR' at step 1",
        ),
        (
            " tcp-check expect ! string +OK",
            Srv::Reply(OPEN.into()),
            L7Rsp,
            None,
            "TCPCHK matched unwanted content '+OK' at step 1",
        ),
        (
            " tcp-check expect rstring ^-",
            Srv::Reply(OPEN.into()),
            L7Rsp,
            None,
            "TCPCHK did not match content (regex) at step 1",
        ),
        (
            " tcp-check expect ! rstring ^\\+",
            Srv::Reply(OPEN.into()),
            L7Rsp,
            None,
            "TCPCHK matched unwanted content (regex) at step 1",
        ),
        (
            " tcp-check expect binary 0102ff",
            Srv::Reply(b"\x01\x02\xff".to_vec()),
            L7Ok,
            Some(0),
            "(tcp-check)",
        ),
        (
            " tcp-check expect binary 0103",
            Srv::Reply(b"\x01\x02\xff".to_vec()),
            L7Rsp,
            None,
            "TCPCHK did not match content (binary) at step 1",
        ),
        (
            " tcp-check expect rbinary ^0102FF",
            Srv::Reply(b"\x01\x02\xff".to_vec()),
            L7Ok,
            Some(0),
            "(tcp-check)",
        ),
        (
            " tcp-check expect rbinary ^03",
            Srv::Reply(b"\x01\x02\xff".to_vec()),
            L7Rsp,
            None,
            "TCPCHK did not match content (binary regex) at step 1",
        ),
        (
            " tcp-check expect ! binary 0102",
            Srv::Reply(b"\x01\x02\xff".to_vec()),
            L7Rsp,
            None,
            "TCPCHK matched unwanted content (binary) at step 1",
        ),
        (
            " tcp-check expect ! rbinary 02",
            Srv::Reply(b"\x01\x02\xff".to_vec()),
            L7Rsp,
            None,
            "TCPCHK matched unwanted content (binary regex) at step 1",
        ),
        (
            " tcp-check expect string +OK",
            Srv::Close,
            L7Rsp,
            None,
            "TCPCHK got an empty response at step 1",
        ),
        (
            " tcp-check send PING\\r\\n\n tcp-check expect string +OK comment hey",
            Srv::Close,
            L7Rsp,
            None,
            "TCPCHK got an empty response at step 2 comment: 'hey'",
        ),
        (
            " tcp-check send PING\n tcp-check expect string +OK",
            Srv::Reset(Vec::new()),
            SockErr,
            None,
            "Connection reset by peer at step 2 of tcp-check (expect string '+OK')",
        ),
        (
            " tcp-check send PING\n tcp-check expect string +OK",
            Srv::Reset(b"+O".to_vec()),
            L7Rsp,
            None,
            "TCPCHK did not match content '+OK' at step 2",
        ),
        (
            " tcp-check send PING\n tcp-check expect string +OK",
            Srv::Refuse,
            L4Con,
            None,
            "Connection refused at initial connection step of tcp-check",
        ),
        (
            " tcp-check expect string -ERR comment cc",
            Srv::Reply(OPEN.into()),
            L7Rsp,
            None,
            "TCPCHK did not match content '-ERR' at step 1 comment: cc",
        ),
        (
            " tcp-check comment cmt\n tcp-check expect string -ERR",
            Srv::Reply(OPEN.into()),
            L7Rsp,
            None,
            "TCPCHK did not match content '-ERR' at step 2 comment: cmt",
        ),
        (
            " tcp-check expect string -ERR on-error %[srv_name]:bad comment cc",
            Srv::Reply(OPEN.into()),
            L7Rsp,
            None,
            "s1:bad comment: cc",
        ),
        (
            " tcp-check expect string +OK on-success good-%[srv_name] comment cc",
            Srv::Reply(OPEN.into()),
            L7Ok,
            Some(0),
            "good-s1",
        ),
        (
            " tcp-check expect string +OK ok-status L4OK",
            Srv::Reply(OPEN.into()),
            L4Ok,
            None,
            "(tcp-check)",
        ),
        (
            " tcp-check expect string -ERR error-status L7STS",
            Srv::Reply(OPEN.into()),
            L7Sts,
            Some(0),
            "TCPCHK did not match content '-ERR' at step 1",
        ),
        (
            " tcp-check expect string -ERR error-status L4CON status-code int(7)",
            Srv::Reply(OPEN.into()),
            L4Con,
            None,
            "TCPCHK did not match content '-ERR' at step 1",
        ),
        (
            " tcp-check expect min-recv 3 string -ERR",
            Srv::ReplyOpen(OPEN.into()),
            L7Rsp,
            None,
            "TCPCHK did not match content '-ERR' at step 1",
        ),
        (
            " tcp-check connect",
            Srv::ReplyOpen(OPEN.into()),
            L4Ok,
            None,
            "(tcp-check)",
        ),
        (
            " tcp-check send foo",
            Srv::ReplyOpen(OPEN.into()),
            L7Ok,
            Some(0),
            "(tcp-check)",
        ),
        (
            " tcp-check expect string +OK\n tcp-check send foo",
            Srv::ReplyOpen(OPEN.into()),
            L7Ok,
            Some(0),
            "(tcp-check)",
        ),
        (
            " tcp-check expect string-lf +%[str(OK)]",
            Srv::ReplyOpen(OPEN.into()),
            L7Ok,
            Some(0),
            "(tcp-check)",
        ),
        (
            " tcp-check expect binary-lf %[str(2B4F)]",
            Srv::ReplyOpen(OPEN.into()),
            L7Ok,
            Some(0),
            "(tcp-check)",
        ),
        (
            " tcp-check expect string-lf %[str()]",
            Srv::ReplyOpen(OPEN.into()),
            L7Rsp,
            None,
            "log-format string evaluated to an empty string",
        ),
    ];
    for (lines, how, st, code, desc) in cases {
        let (o, _) = run(&tc(lines), how, 1000).await;
        assert_eq!(
            (o.status, o.code, o.desc.as_str()),
            (st, code, desc),
            "{lines}"
        );
    }
}

#[tokio::test]
async fn tcp_check_timeouts() {
    let tc = |l: &str| format!(" option tcp-check\n{l}");
    let cases: Vec<(&str, CheckStatus, &str)> = vec![
        (" tcp-check expect string -ERR", L7Tout, " at step 1 of tcp-check (expect string '-ERR')"),
        (" tcp-check expect string -ERR tout-status L6TOUT comment cc", L6Tout, " at step 1 of tcp-check (expect string '-ERR') comment: 'cc'"),
        (" tcp-check expect min-recv 100 string +OK", L7Tout, " at step 1 of tcp-check (expect string '+OK')"),
        (" tcp-check expect string +OK\n tcp-check expect string hello\n tcp-check expect string nope", L7Tout, " at step 3 of tcp-check (expect string 'nope')"),
        (" tcp-check expect string-lf %[str(ZZ)]", L7Tout, " at step 1 of tcp-check (expect log-format string)"),
        (" tcp-check expect binary 0103ab", L7Tout, " at step 1 of tcp-check (expect binary '<01><03><AB>')"),
    ];
    for (lines, st, desc) in cases {
        let (o, _) = run(&tc(lines), Srv::ReplyOpen(OPEN.into()), 300).await;
        is(&o, st, None, desc);
        assert!(o.duration >= Duration::from_millis(290), "{o:?}");
    }
}

#[tokio::test]
async fn tcp_check_sends_and_long_info() {
    let (o, s) = run(
        " option tcp-check\n tcp-check send-binary 50494e470d0a\n tcp-check expect string +OK",
        Srv::Reply(OPEN.into()),
        1000,
    )
    .await;
    is(&o, L7Ok, Some(0), "(tcp-check)");
    assert_eq!(received(&s), b"PING\r\n");
    // Variables of the check scope feed formats; names are the server's.
    let lines = " option tcp-check\n tcp-check set-var(check.x) str(abc)\n tcp-check send-lf %[var(check.x)]-%[srv_name]\n tcp-check expect string +OK";
    let (o, s) = run(lines, Srv::ReplyOpen(OPEN.into()), 1000).await;
    is(&o, L7Ok, Some(0), "(tcp-check)");
    assert_eq!(received(&s), b"abc-s1");
    // A second connect rule opens a new connection (port 1: refused).
    let lines = " option tcp-check\n tcp-check connect\n tcp-check expect string +OK\n tcp-check connect port 1 comment again\n tcp-check expect string +OK";
    let (o, _) = run(lines, Srv::ReplyOpen(OPEN.into()), 1000).await;
    is(
        &o,
        L4Con,
        None,
        "Connection refused at step 3 of tcp-check (connect port 1) comment: 'again'",
    );
    // HAProxy keeps 127 bytes of a description.
    let long = "c".repeat(200);
    let (o, _) = run(
        &format!(" option tcp-check\n tcp-check expect string -ERR comment {long}"),
        Srv::Reply(OPEN.into()),
        1000,
    )
    .await;
    let want = format!("TCPCHK did not match content '-ERR' at step 1 comment: {long}");
    is(&o, L7Rsp, None, &want[..127]);
    // The server's send-proxy: a PROXY line with the check's own ends.
    let srv = server(Srv::Reply(OPEN.into())).await;
    let mut t = target(srv.addr, 1000);
    t.send_proxy = true;
    let lines = " option tcp-check\n tcp-check send hi\n tcp-check expect string +OK";
    let o = tcpcheck::run_health(&checks(lines), &t).await;
    is(&o, L7Ok, Some(0), "(tcp-check)");
    let got = String::from_utf8_lossy(&received(&srv)).into_owned();
    assert!(
        got.starts_with("PROXY TCP4 127.0.0.1 127.0.0.1 ")
            && got.ends_with(&format!(" {}\r\nhi", srv.addr.port())),
        "{got}"
    );
}
