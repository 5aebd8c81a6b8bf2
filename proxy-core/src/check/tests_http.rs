//! HTTP check runs against scripted servers; every expectation is what
//! HAProxy 2.6.12 logged (or sent) for the same lines and server.

use std::time::Duration;

use super::tests_run::{is, received, run, Srv};
use super::CheckStatus::{self, *};

fn reply(s: &str) -> Srv {
    Srv::Reply(s.as_bytes().to_vec())
}

const OK11: &str = "HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world";
const HDRS: &str =
    "HTTP/1.1 200 OK\r\nX-Foo: bar, baz\r\nX-Long: hello-world\r\nContent-Length: 0\r\n\r\n";

#[tokio::test]
async fn requests_as_haproxy_sends_them() {
    let ok = || reply("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    let cases: Vec<(&str, &str)> = vec![
        (" option httpchk", "OPTIONS / HTTP/1.0\r\n\r\n"),
        (" option httpchk GET /health HTTP/1.1", "GET /health HTTP/1.1\r\nconnection: close\r\n\r\n"),
        (" option httpchk /health", "OPTIONS /health HTTP/1.0\r\n\r\n"),
        (" option httpchk\n http-check send meth POST uri /x ver HTTP/1.1 hdr Host foo hdr X-A %[srv_name] body hello", "POST /x HTTP/1.1\r\nhost: foo\r\nx-a: s1\r\ncontent-length: 5\r\nconnection: close\r\n\r\nhello"),
        (" option httpchk\n http-check send meth PUT", "PUT / HTTP/1.0\r\ncontent-length: 0\r\n\r\n"),
        (" option httpchk\n http-check send meth GET ver HTTP/1.1 hdr Connection keep-alive", "GET / HTTP/1.1\r\n\r\n"),
        (" option httpchk\n http-check send meth get ver HTTP/2", "get / HTTP/1.1\r\ncontent-length: 0\r\n\r\n"),
    ];
    for (lines, want) in cases {
        let (o, s) = run(lines, ok(), 1000).await;
        is(&o, L7Ok, Some(200), "");
        assert_eq!(String::from_utf8_lossy(&received(&s)), want, "{lines}");
    }
}

#[tokio::test]
async fn http_outcomes() {
    let hc = |l: &str| format!(" option httpchk\n{l}");
    let cases: Vec<(&str, Srv, CheckStatus, Option<i32>, &str)> = vec![
        ("", Srv::Close, L7Rsp, None, ""),
        (
            "",
            reply("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"),
            L7Sts,
            Some(503),
            "Service Unavailable",
        ),
        (
            "",
            reply("HTTP/1.0 200 Fine Thanks\r\n\r\n"),
            L7Ok,
            Some(200),
            "",
        ),
        ("", reply("garbage\r\n\r\n"), L7Rsp, None, ""),
        ("", reply("garbage"), L7Rsp, None, ""),
        ("", Srv::ReplyOpen(b"garbage".to_vec()), L7Rsp, None, ""),
        (
            "",
            Srv::ReplyOpen([&b"HTTP/1.1 200 OK\r\nX-Pad: "[..], &[b'a'; 20000]].concat()),
            L7Rsp,
            None,
            "",
        ),
        ("", reply("HTTP/1.1 abc Weird\r\n\r\n"), L7Rsp, None, ""),
        ("", reply("HTTP/1.1 200\r\n\r\n"), L7Ok, Some(200), ""),
        ("", reply("HTTP/1.1 500\r\n\r\n"), L7Sts, Some(500), ""),
        ("", reply("HTTP/1.1 99 Low\r\n\r\n"), L7Sts, Some(99), "Low"),
        (
            "",
            reply("HTTP/1.1 1000 High\r\n\r\n"),
            L7Sts,
            Some(1000),
            "High",
        ),
        (
            "",
            reply("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 503 Bad\r\n\r\n"),
            L7Sts,
            Some(100),
            "Continue",
        ),
        (
            "",
            reply("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
            L7Sts,
            Some(404),
            "Not Found",
        ),
        (
            " http-check disable-on-404",
            reply("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
            L7OkC,
            Some(404),
            "",
        ),
        (
            " http-check disable-on-404\n http-check expect string foo",
            reply("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n"),
            L7OkC,
            Some(404),
            "",
        ),
        (
            " http-check expect string hello",
            reply(OK11),
            L7Ok,
            Some(200),
            "",
        ),
        (
            " http-check expect string nothere",
            reply(OK11),
            L7Rsp,
            None,
            "HTTP content check did not match",
        ),
        (
            " http-check expect ! string hello",
            reply(OK11),
            L7Rsp,
            None,
            "HTTP check matched unwanted content",
        ),
        (
            " http-check expect rstring ^h.llo",
            reply(OK11),
            L7Ok,
            Some(200),
            "",
        ),
        (
            " http-check expect rstring ^x",
            reply(OK11),
            L7Rsp,
            None,
            "HTTP content check did not match",
        ),
        (
            " http-check expect ! rstring ^h",
            reply(OK11),
            L7Rsp,
            None,
            "HTTP check matched unwanted content",
        ),
        (
            " http-check expect status 201-299,300",
            reply(OK11),
            L7Sts,
            Some(200),
            "OK",
        ),
        (
            " http-check expect ! status 200",
            reply(OK11),
            L7Sts,
            Some(200),
            "OK",
        ),
        (
            " http-check expect rstatus ^2",
            reply(OK11),
            L7Ok,
            Some(200),
            "",
        ),
        (
            " http-check expect rstatus ^3",
            reply(OK11),
            L7Sts,
            Some(200),
            "OK",
        ),
        (
            " http-check expect string hello",
            reply("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
            L7Rsp,
            None,
            "HTTP content check could not find a response body",
        ),
        (
            " http-check expect string hello",
            reply("HTTP/1.1 200 OK\r\n\r\n"),
            L7Rsp,
            None,
            "HTTP content check could not find a response body",
        ),
        (
            " http-check expect string nothere comment mycomment",
            reply(OK11),
            L7Rsp,
            None,
            "HTTP content check did not match comment: mycomment",
        ),
        (
            " http-check expect string nothere on-error %[srv_name]-err comment cc",
            reply(OK11),
            L7Rsp,
            None,
            "s1-err comment: cc",
        ),
        (
            " http-check expect string hello on-success yay-%[srv_name] comment cc",
            reply(OK11),
            L7Ok,
            Some(200),
            "yay-s1",
        ),
        (
            " http-check expect status 500 error-status L7RSP",
            reply(OK11),
            L7Rsp,
            None,
            "OK",
        ),
        (
            " http-check expect status 200 ok-status L7OKC",
            reply(OK11),
            L7OkC,
            Some(200),
            "",
        ),
        (
            " http-check expect status 500 status-code int(42)",
            reply(OK11),
            L7Sts,
            Some(42),
            "OK",
        ),
        (
            " http-check expect hdr name x-foo",
            reply(HDRS),
            L7Ok,
            Some(200),
            "",
        ),
        (
            " http-check expect hdr name x-nope",
            reply(HDRS),
            L7Sts,
            Some(200),
            "OK",
        ),
        (
            " http-check expect hdr name x-foo value baz",
            reply(HDRS),
            L7Ok,
            Some(200),
            "",
        ),
        (
            " http-check expect fhdr name x-foo value baz",
            reply(HDRS),
            L7Sts,
            Some(200),
            "OK",
        ),
        (
            " http-check expect fhdr name x-foo value -m beg bar,",
            reply(HDRS),
            L7Ok,
            Some(200),
            "",
        ),
        (
            " http-check expect hdr name -m beg x-l value -m end world",
            reply(HDRS),
            L7Ok,
            Some(200),
            "",
        ),
        (
            " http-check expect hdr name -m reg ^x-.*g$ value -m reg ^hello",
            reply(HDRS),
            L7Ok,
            Some(200),
            "",
        ),
        (
            " http-check expect ! hdr name x-foo",
            reply(HDRS),
            L7Sts,
            Some(200),
            "OK",
        ),
        (
            " http-check expect hdr name -m sub oo value -m sub az",
            reply(HDRS),
            L7Ok,
            Some(200),
            "",
        ),
        (
            " http-check expect string abd",
            reply("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc"),
            L7Rsp,
            None,
            "HTTP content check did not match",
        ),
        (
            " http-check expect min-recv 3 string abd",
            Srv::ReplyOpen(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc".to_vec()),
            L7Rsp,
            None,
            "HTTP content check did not match",
        ),
        (
            " http-check expect string hello",
            reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
            L7Ok,
            Some(200),
            "",
        ),
        (
            " http-check expect string hello",
            reply("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"),
            L7Rsp,
            None,
            "",
        ),
        // A reset after an answer that already decides changes nothing;
        // while waiting for more, it is a socket error.
        (
            "",
            Srv::Reset(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc".to_vec()),
            L7Ok,
            Some(200),
            "",
        ),
        (
            " http-check expect string abd",
            Srv::Reset(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc".to_vec()),
            SockErr,
            None,
            "Connection reset by peer",
        ),
        (
            "",
            Srv::Reset(b"HTTP/1.1 20".to_vec()),
            SockErr,
            None,
            "Connection reset by peer",
        ),
        (
            "",
            Srv::Reset(Vec::new()),
            SockErr,
            None,
            "Connection reset by peer",
        ),
    ];
    for (lines, how, st, code, desc) in cases {
        let (o, _) = run(&hc(lines), how, 1000).await;
        assert_eq!(
            (o.status, o.code, o.desc.as_str()),
            (st, code, desc),
            "{lines}"
        );
    }
}

#[tokio::test]
async fn http_timeouts() {
    let hc = |l: &str| format!(" option httpchk\n{l}");
    let cases: Vec<(&str, Srv)> = vec![
        ("", Srv::Silent),
        ("", Srv::ReplyOpen(b"HTTP/1.1 200 OK\r\nX: y".to_vec())),
        (
            " http-check expect string abd",
            Srv::ReplyOpen(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc".to_vec()),
        ),
        (
            " http-check expect min-recv 5 string abc",
            Srv::ReplyOpen(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc".to_vec()),
        ),
    ];
    for (lines, how) in cases {
        let (o, _) = run(&hc(lines), how, 300).await;
        is(&o, L7Tout, None, "");
        assert!(o.duration >= Duration::from_millis(290), "{lines}: {o:?}");
    }
}

#[tokio::test]
async fn huge_body_is_judged_on_one_buffer() {
    // HAProxy reads one buffer (16 KiB) of the 1 GB body, then decides.
    let (o, _) = run(" option httpchk", Srv::Huge, 2000).await;
    is(&o, L7Ok, Some(200), "");
    let (o, _) = run(
        " option httpchk\n http-check expect string zzz",
        Srv::Huge,
        2000,
    )
    .await;
    is(&o, L7Rsp, None, "HTTP content check did not match");
    assert!(o.duration < Duration::from_millis(1000), "{o:?}");
    let (o, _) = run(
        " option httpchk\n http-check expect string xxx",
        Srv::Huge,
        2000,
    )
    .await;
    is(&o, L7Ok, Some(200), "");
}
