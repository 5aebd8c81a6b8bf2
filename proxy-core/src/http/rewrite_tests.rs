//! Tests for [`super::rewrite`]: the forwarded heads, byte for byte.

use bytes::BytesMut;

use super::connection_header::{plan_request, plan_response, ConnMode};
use super::framing::{request_framing, response_framing, RequestInfo};
use super::head::{parse_request, parse_response, HeadLimits, Parsed, RequestHead, ResponseHead};
use super::head_edit::{write_request_edited, write_response_edited, HeadEdits};
use super::rewrite::*;

fn head(buf: &[u8]) -> RequestHead {
    match parse_request(buf, &HeadLimits::default()) {
        Ok(Parsed::Complete(h)) => h,
        other => panic!("bad test head {other:?}"),
    }
}

fn rhead(buf: &[u8]) -> ResponseHead {
    match parse_response(buf, &HeadLimits::default()) {
        Ok(Parsed::Complete(h)) => h,
        other => panic!("bad test head {other:?}"),
    }
}

/// Forwards a request the way a driver would, in `mode`, with the edits
/// `rules` make.
fn forward_with(
    buf: &[u8],
    mode: ConnMode,
    rules: &dyn Fn(&mut HeadEdits, &RequestHead),
) -> String {
    let h = head(buf);
    let f = request_framing(buf, &h).unwrap();
    let conn = plan_request(mode, &f);
    let plan = ForwardPlan::new(&f, conn.add);
    let mut edits = HeadEdits::default();
    rules(&mut edits, &h);
    let mut out = Vec::new();
    write_request_edited(buf, &h, &plan, &edits, &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

fn forward_req(buf: &[u8], mode: ConnMode) -> String {
    forward_with(buf, mode, &|_, _| {})
}

#[test]
fn plain_request_is_byte_exact_apart_from_case() {
    let buf = b"GET /a?b=c HTTP/1.1\r\nhost: example.com\r\naccept: */*\r\n\r\n";
    assert_eq!(forward_req(buf, ConnMode::KeepAlive).as_bytes(), &buf[..]);
    let buf = b"GET /a HTTP/1.1\r\nHost: example.com\r\nX-Mixed-Case:  v \r\n\r\n";
    assert_eq!(
        forward_req(buf, ConnMode::KeepAlive),
        "GET /a HTTP/1.1\r\nhost: example.com\r\nx-mixed-case: v\r\n\r\n"
    );
}

#[test]
fn line_endings_and_versions_are_normalised() {
    let buf = b"\r\nGET / HTTP/1.1\nHost: a\n\n";
    assert_eq!(
        forward_req(buf, ConnMode::KeepAlive),
        "GET / HTTP/1.1\r\nhost: a\r\n\r\n"
    );
    let buf = b"GET / HTTP/2.0\r\nHost: a\r\n\r\n";
    assert_eq!(
        forward_req(buf, ConnMode::KeepAlive),
        "GET / HTTP/1.1\r\nhost: a\r\n\r\n"
    );
    let buf = b"GET / HTTP/1.0\r\nHost: a\r\n\r\n";
    assert_eq!(
        forward_req(buf, ConnMode::KeepAlive),
        "GET / HTTP/1.0\r\nhost: a\r\nconnection: keep-alive\r\n\r\n"
    );
}

#[test]
fn connection_and_te_handling() {
    let buf = b"GET / HTTP/1.1\r\nConnection: keep-alive, X-Foo\r\nX-Foo: 1\r\nTE: gzip, trailers\r\nKeep-Alive: 300\r\n\r\n";
    assert_eq!(
        forward_req(buf, ConnMode::ServerClose),
        "GET / HTTP/1.1\r\nconnection: X-Foo\r\nx-foo: 1\r\nte: trailers\r\nkeep-alive: 300\r\nconnection: close\r\n\r\n"
    );
    let buf = b"GET / HTTP/1.1\r\nConnection: close\r\nTE: gzip\r\n\r\n";
    assert_eq!(
        forward_req(buf, ConnMode::KeepAlive),
        "GET / HTTP/1.1\r\n\r\n"
    );
}

#[test]
fn smuggling_fields_are_dropped() {
    let buf = b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\nHost: a\r\n\r\n";
    assert_eq!(
        forward_req(buf, ConnMode::KeepAlive),
        "POST / HTTP/1.1\r\nhost: a\r\ntransfer-encoding: chunked\r\n\r\n"
    );
    let buf = b"POST / HTTP/1.1\r\nContent-Length: 4, 4\r\nX: y\r\ncontent-length: 4\r\n\r\n";
    assert_eq!(
        forward_req(buf, ConnMode::KeepAlive),
        "POST / HTTP/1.1\r\ncontent-length: 4\r\nx: y\r\n\r\n"
    );
}

#[test]
fn rule_edits() {
    let buf = b"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\nX-B: 2\r\nx-a: 3\r\nX-C: 4\r\n\r\n";
    let rules = |e: &mut HeadEdits, h: &RequestHead| {
        e.delete(buf, &h.headers, &|n| n.eq_ignore_ascii_case(b"x-c"));
        e.set(buf, &h.headers, b"X-A", b"new".to_vec());
        e.add(&h.headers, b"X-B", b"more".to_vec());
        e.add(&h.headers, b"X-Forwarded-For", b"127.0.0.1".to_vec());
    };
    assert_eq!(
        forward_with(buf, ConnMode::KeepAlive, &rules),
        "GET / HTTP/1.1\r\nhost: a\r\nx-b: 2\r\nx-a: new\r\nx-b: more\r\nx-forwarded-for: 127.0.0.1\r\n\r\n"
    );
    let h = head(buf);
    let f = request_framing(buf, &h).unwrap();
    let plan = ForwardPlan::new(&f, None);
    let mut out = Vec::new();
    let mut injected = HeadEdits::default();
    injected.add(&h.headers, b"X", b"a\r\nInjected: 1".to_vec());
    assert_eq!(
        write_request_edited(buf, &h, &plan, &injected, &mut out),
        Err(RewriteError::BadValue)
    );
    let mut bad_name = HeadEdits::default();
    bad_name.add(&h.headers, b"bad name", b"v".to_vec());
    assert_eq!(
        write_request_edited(buf, &h, &plan, &bad_name, &mut out),
        Err(RewriteError::BadName)
    );
    assert!(out.is_empty());
}

#[test]
fn preserve_case_and_remove_content_length() {
    let buf = b"POST /p HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\n";
    let h = head(buf);
    let f = request_framing(buf, &h).unwrap();
    let plan = ForwardPlan {
        remove_content_length: true,
        connection: Some(b"close"),
        name_case: NameCase::Preserve,
        ..ForwardPlan::new(&f, None)
    };
    let mut out = BytesMut::new();
    let mut edits = HeadEdits::default();
    edits.add(&h.headers, b"Transfer-Encoding", b"chunked".to_vec());
    write_request_edited(buf, &h, &plan, &edits, &mut out).unwrap();
    assert_eq!(
        &out[..],
        b"POST /p HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nconnection: close\r\n\r\n"
    );
}

#[test]
fn output_is_reserved_once() {
    let buf = b"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n\r\n";
    let h = head(buf);
    let f = request_framing(buf, &h).unwrap();
    let plan = ForwardPlan::new(&f, Some(b"close"));
    let mut out = Vec::new();
    let mut edits = HeadEdits::default();
    edits.add(&h.headers, b"Y", b"2".to_vec());
    write_request_edited(buf, &h, &plan, &edits, &mut out).unwrap();
    assert_eq!(out.capacity(), out.len());
}

#[test]
fn responses() {
    let info = RequestInfo {
        is_head: false,
        is_connect: false,
        upgrade: false,
    };
    let req_buf = b"GET / HTTP/1.0\r\n\r\n";
    let rq = head(req_buf);
    let rf = request_framing(req_buf, &rq).unwrap();
    let cases: &[(&[u8], &str)] = &[
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n"),
        (b"HTTP/1.1 200\r\nContent-Length: 2\r\n\r\n", "HTTP/1.1 200 \r\ncontent-length: 2\r\nconnection: close\r\n\r\n"),
        (b"HTTP/1.0 404 Not Found\r\nServer: x\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", "HTTP/1.0 404 Not Found\r\nserver: x\r\ncontent-length: 0\r\n\r\n"),
        (b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n", "HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n"),
    ];
    for (buf, want) in cases {
        let h = rhead(buf);
        let f = response_framing(buf, &h, &info).unwrap();
        let p = plan_response(ConnMode::KeepAlive, &rf, false, &f, h.status);
        let mut out = Vec::new();
        let plan = ForwardPlan::new(&f, p.add);
        write_response_edited(buf, &h, &plan, &HeadEdits::default(), &mut out).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), *want);
    }
}

#[test]
fn cookie_edits_change_fields_where_they_stand() {
    let buf =
        b"GET / HTTP/1.1\r\nhost: a\r\ncookie: x=1; S=a\r\nx: 1\r\ncookie: S=b\r\ny: 2\r\n\r\n";
    let h = head(buf);
    let f = request_framing(buf, &h).unwrap();
    let mut edits = HeadEdits::default();
    assert!(!edits.touched(buf, &h.headers, b"cookie"));
    edits.set_orig(buf, &h.headers, 3, None);
    edits.set_orig(buf, &h.headers, 1, Some(b"x=1".to_vec()));
    // A field already gone is left alone.
    edits.set_orig(buf, &h.headers, 3, Some(b"S=c".to_vec()));
    assert!(edits.touched(buf, &h.headers, b"cookie"));
    assert!(!edits.touched(buf, &h.headers, b"y"));
    let mut out = Vec::new();
    write_request_edited(buf, &h, &ForwardPlan::new(&f, None), &edits, &mut out).unwrap();
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "GET / HTTP/1.1\r\nhost: a\r\ncookie: x=1\r\nx: 1\r\ny: 2\r\n\r\n"
    );
}
