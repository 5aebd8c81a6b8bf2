//! Tests for [`super::framing`] and [`super::authority`] on raw heads,
//! including every request-smuggling shape.

use super::framing::*;
use super::head::{parse_request, parse_response, HeadLimits, Parsed, RequestHead, ResponseHead};

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

fn req(buf: &[u8]) -> Result<Framing, FramingError> {
    request_framing(buf, &head(buf))
}

const GET: RequestInfo = RequestInfo {
    is_head: false,
    is_connect: false,
    upgrade: false,
};

fn resp(buf: &[u8], info: &RequestInfo) -> Result<Framing, FramingError> {
    response_framing(buf, &rhead(buf), info)
}

fn req_err(buf: &[u8]) -> (FramingError, u16) {
    match req(buf) {
        Err(e) => (e, e.status(true)),
        Ok(f) => panic!("accepted {:?}: {f:?}", String::from_utf8_lossy(buf)),
    }
}

fn resp_err(buf: &[u8]) -> (FramingError, u16) {
    match resp(buf, &GET) {
        Err(e) => (e, e.status(false)),
        Ok(f) => panic!("accepted {:?}: {f:?}", String::from_utf8_lossy(buf)),
    }
}

#[test]
fn content_length_values() {
    assert_eq!(parse_content_length(b"42"), Some(42));
    assert_eq!(parse_content_length(b" 7 , 7,7 "), Some(7));
    assert_eq!(parse_content_length(b"5,"), Some(5));
    assert_eq!(parse_content_length(b"007"), Some(7));
    assert_eq!(
        parse_content_length(b"18446744073709551615"),
        Some(u64::MAX)
    );
    for bad in [
        &b""[..],
        b" ",
        b",5",
        b"5,,5",
        b"5,6",
        b"+5",
        b"-1",
        b"5x",
        b"0x10",
        b"1 2",
        b"18446744073709551616",
    ] {
        assert_eq!(
            parse_content_length(bad),
            None,
            "{:?}",
            String::from_utf8_lossy(bad)
        );
    }
}

#[test]
fn request_bodies() {
    let f = req(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n").unwrap();
    assert_eq!(f.body, BodyKind::None);
    assert!(f.keep_alive && !f.connection_close);
    let f = req(b"POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n").unwrap();
    assert_eq!(f.body, BodyKind::Length(10));
    let f = req(b"POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n").unwrap();
    assert_eq!(f.body, BodyKind::None);
    let f = req(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").unwrap();
    assert_eq!(f.body, BodyKind::Chunked);
    assert!(f.transfer_encoding && f.keep_alive);
    let f = req(b"POST / HTTP/1.1\r\nTransfer-Encoding: CHUNKED\r\n\r\n").unwrap();
    assert_eq!(f.body, BodyKind::Chunked);
    let f = req(b"CONNECT a.com:443 HTTP/1.1\r\nContent-Length: 5\r\n\r\n").unwrap();
    assert_eq!(f.body, BodyKind::None);
}

#[test]
fn smuggling_te_and_cl() {
    let buf = b"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n";
    let f = req(buf).unwrap();
    assert_eq!(f.body, BodyKind::Chunked);
    assert!(f.te_and_cl && f.connection_close && !f.keep_alive);
    assert_eq!(f.skip, vec![0, 2]);
    assert_eq!(f.content_length_rewrite, None);
    // Differing CL values are refused even next to TE (they are checked first).
    let buf = b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n";
    assert_eq!(req_err(buf), (FramingError::ContentLength, 400));
}

#[test]
fn smuggling_content_length() {
    // Identical repeated values: merged into the first field.
    let f =
        req(b"POST / HTTP/1.1\r\nContent-Length: 5\r\nX: y\r\ncontent-length: 5\r\n\r\n").unwrap();
    assert_eq!(f.body, BodyKind::Length(5));
    assert_eq!(f.skip, vec![2]);
    assert_eq!(f.content_length_rewrite, None);
    let f = req(b"POST / HTTP/1.1\r\nContent-Length: 5, 5\r\n\r\n").unwrap();
    assert_eq!(f.content_length_rewrite, Some((0, 5)));
    assert!(f.skip.is_empty());
    for buf in [
        &b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"[..],
        b"POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: \r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
        b"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n",
    ] {
        assert_eq!(req_err(buf), (FramingError::ContentLength, 400));
    }
    assert_eq!(
        resp_err(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"),
        (FramingError::ContentLength, 502)
    );
    assert_eq!(
        resp_err(b"HTTP/1.1 304 OK\r\nContent-Length: x\r\n\r\n"),
        (FramingError::ContentLength, 502)
    );
}

#[test]
fn smuggling_transfer_encoding() {
    let cases: &[(&[u8], FramingError, u16)] = &[
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
            FramingError::TransferEncoding,
            400,
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n",
            FramingError::TransferEncoding,
            400,
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n",
            FramingError::TransferEncoding,
            400,
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
            FramingError::TransferEncoding,
            400,
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: identity\r\n\r\n",
            FramingError::TransferEncoding,
            400,
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding:\r\n\r\n",
            FramingError::TransferEncoding,
            400,
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: ,chunked\r\n\r\n",
            FramingError::TransferEncoding,
            400,
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: xchunked\r\n\r\n",
            FramingError::TransferEncoding,
            400,
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
            FramingError::UnknownCoding,
            422,
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: identity\r\nTransfer-Encoding: chunked\r\n\r\n",
            FramingError::UnknownCoding,
            422,
        ),
        (
            b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked;q=1\r\n\r\n",
            FramingError::TransferEncoding,
            400,
        ),
    ];
    for (buf, err, status) in cases {
        assert_eq!(
            req_err(buf),
            (*err, *status),
            "{:?}",
            String::from_utf8_lossy(buf)
        );
    }
    for buf in [
        &b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, chunked\r\n\r\n"[..],
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: \r\n\r\n",
    ] {
        assert_eq!(resp_err(buf).1, 502, "{:?}", String::from_utf8_lossy(buf));
    }
}

#[test]
fn http10_rules() {
    let f = req(b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n").unwrap();
    assert_eq!(f.body, BodyKind::Chunked);
    assert!(f.connection_close && !f.keep_alive);
    for m in ["GET", "HEAD", "DELETE"] {
        let buf = format!("{m} / HTTP/1.0\r\nContent-Length: 3\r\n\r\n");
        assert_eq!(
            req_err(buf.as_bytes()),
            (FramingError::PayloadForbidden, 413)
        );
        let buf = format!("{m} / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert_eq!(
            req_err(buf.as_bytes()),
            (FramingError::PayloadForbidden, 413)
        );
    }
    assert!(req(b"GET / HTTP/1.0\r\nContent-Length: 0\r\n\r\n").is_ok());
    assert!(req(b"GET / HTTP/1.1\r\nContent-Length: 3\r\n\r\n").is_ok());
    let f = req(b"GET / HTTP/1.0\r\n\r\n").unwrap();
    assert!(!f.keep_alive);
    let f = req(b"GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").unwrap();
    assert!(f.keep_alive && f.tokens.keep_alive);
    let f = req(b"GET / HTTP/1.1\r\nConnection: foo, close\r\n\r\n").unwrap();
    assert!(f.connection_close && !f.keep_alive);
}

#[test]
fn host_checks() {
    let f = req(b"GET / HTTP/1.1\r\nHost: a\r\nHost: A\r\n\r\n").unwrap();
    assert_eq!(f.skip, vec![1]);
    assert_eq!(
        req_err(b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"),
        (FramingError::Host, 400)
    );
    assert!(req(b"GET http://a.com/x HTTP/1.1\r\nHost: a.com\r\n\r\n").is_ok());
    assert!(req(b"GET http://u@a.com:80/x HTTP/1.1\r\nHost: a.com\r\n\r\n").is_ok());
    assert!(req(b"GET http://a.com/x HTTP/1.1\r\n\r\n").is_ok());
    assert_eq!(
        req_err(b"GET http://a.com/x HTTP/1.1\r\nHost: b.com\r\n\r\n"),
        (FramingError::Host, 400)
    );
    assert_eq!(
        req_err(b"CONNECT a.com HTTP/1.1\r\n\r\n"),
        (FramingError::Authority, 400)
    );
    assert_eq!(
        req_err(b"CONNECT a.com:443 HTTP/1.1\r\nHost: b.com:443\r\n\r\n"),
        (FramingError::Host, 400)
    );
}

#[test]
fn upgrade_and_websocket() {
    let ws = b"GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n";
    let f = req(ws).unwrap();
    assert!(f.upgrade && f.websocket && f.tokens.upgrade);
    let nokey = b"GET /ws HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
    assert_eq!(req_err(nokey), (FramingError::WebSocketKey, 400));
    // An upgrade with a body loses its Upgrade field.
    let f =
        req(b"POST / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: h2c\r\nContent-Length: 2\r\n\r\n")
            .unwrap();
    assert!(!f.upgrade);
    assert_eq!(f.skip, vec![1]);
    // 101 needs upgrade on both sides.
    let info = RequestInfo {
        is_head: false,
        is_connect: false,
        upgrade: true,
    };
    let r = b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Accept: x\r\n\r\n";
    assert_eq!(resp(r, &info).unwrap().body, BodyKind::Tunnel);
    assert_eq!(resp(r, &GET), Err(FramingError::Upgrade101));
    let r =
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
    assert_eq!(resp(r, &info), Err(FramingError::WebSocketKey));
    let r = b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: foo\r\n\r\n";
    assert_eq!(resp(r, &info), Err(FramingError::Upgrade101));
}

#[test]
fn expect_continue() {
    assert!(
        req(b"POST / HTTP/1.1\r\nExpect: 100-Continue\r\nContent-Length: 1\r\n\r\n")
            .unwrap()
            .expect_100
    );
    assert!(
        !req(b"POST / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 1\r\n\r\n")
            .unwrap()
            .expect_100
    );
}

#[test]
fn response_bodies() {
    let r = |buf: &[u8], info: &RequestInfo| resp(buf, info).unwrap().body;
    let head_req = RequestInfo {
        is_head: true,
        ..GET
    };
    let connect = RequestInfo {
        is_connect: true,
        ..GET
    };
    assert_eq!(
        r(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", &GET),
        BodyKind::Length(5)
    );
    assert_eq!(
        r(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n", &head_req),
        BodyKind::None
    );
    assert_eq!(
        r(
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            &GET
        ),
        BodyKind::Chunked
    );
    assert_eq!(r(b"HTTP/1.1 200 OK\r\n\r\n", &GET), BodyKind::UntilClose);
    assert_eq!(r(b"HTTP/1.0 200 OK\r\n\r\n", &GET), BodyKind::UntilClose);
    assert_eq!(
        r(
            b"HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n",
            &GET
        ),
        BodyKind::None
    );
    assert_eq!(
        r(
            b"HTTP/1.1 304 Not Modified\r\nContent-Length: 3\r\n\r\n",
            &GET
        ),
        BodyKind::None
    );
    assert_eq!(r(b"HTTP/1.1 100 Continue\r\n\r\n", &GET), BodyKind::None);
    assert_eq!(r(b"HTTP/1.1 200 OK\r\n\r\n", &connect), BodyKind::Tunnel);
    assert_eq!(
        r(b"HTTP/1.1 407 Auth\r\nContent-Length: 0\r\n\r\n", &connect),
        BodyKind::None
    );
    let f = resp(b"HTTP/1.1 200 OK\r\n\r\n", &GET).unwrap();
    assert!(!f.keep_alive);
    let f = resp(
        b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
        &GET,
    )
    .unwrap();
    assert!(f.te_and_cl && !f.keep_alive && f.body == BodyKind::Chunked);
    assert_eq!(f.skip, vec![0]);
    // 1xx and 204 lose their framing fields (304 keeps them).
    let f = resp(
        b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\nX: y\r\n\r\n",
        &GET,
    )
    .unwrap();
    assert_eq!(f.skip, vec![0]);
    let f = resp(
        b"HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n",
        &GET,
    )
    .unwrap();
    assert!(f.skip.is_empty());
    let f = resp(
        b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\n",
        &GET,
    )
    .unwrap();
    assert!(f.keep_alive);
}
