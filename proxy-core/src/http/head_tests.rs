//! Tests for [`super::head`]: raw request and response heads, the
//! strictness rules, the limits, and pipelining.

use super::head::*;

fn req(buf: &[u8]) -> Result<Parsed<RequestHead>, HeadError> {
    parse_request(buf, &HeadLimits::default())
}

fn complete_req(buf: &[u8]) -> RequestHead {
    match req(buf) {
        Ok(Parsed::Complete(h)) => h,
        other => panic!("expected a complete head, got {other:?}"),
    }
}

fn resp(buf: &[u8]) -> Result<Parsed<ResponseHead>, HeadError> {
    parse_response(buf, &HeadLimits::default())
}

fn complete_resp(buf: &[u8]) -> ResponseHead {
    match resp(buf) {
        Ok(Parsed::Complete(h)) => h,
        other => panic!("expected a complete head, got {other:?}"),
    }
}

#[test]
fn simple_request() {
    let buf = b"GET /index.html?a=1 HTTP/1.1\r\nHost: example.com\r\nX-Empty:\r\n\r\nBODY";
    let h = complete_req(buf);
    assert_eq!(h.method(buf), b"GET");
    assert_eq!(h.target(buf), b"/index.html?a=1");
    assert_eq!(h.version, Version::Http11);
    assert_eq!(h.version_raw.get(buf), b"HTTP/1.1");
    assert_eq!(h.request_line(buf), b"GET /index.html?a=1 HTTP/1.1");
    assert_eq!(h.headers.len(), 2);
    assert_eq!(h.headers[0].name(buf), b"Host");
    assert_eq!(h.headers[0].value(buf), b"example.com");
    assert_eq!(h.headers[1].name(buf), b"X-Empty");
    assert_eq!(h.headers[1].value(buf), b"");
    assert_eq!(&buf[h.len..], b"BODY");
}

#[test]
fn unknown_methods_are_tokens() {
    let buf = b"PURGE-ME /x HTTP/1.0\r\n\r\n";
    let h = complete_req(buf);
    assert_eq!(h.method(buf), b"PURGE-ME");
    assert_eq!(h.version, Version::Http10);
}

#[test]
fn values_are_trimmed_and_lf_only_accepted() {
    let buf = b"GET / HTTP/1.1\nA:   spaced value \t\nB:x\n\n";
    let h = complete_req(buf);
    assert_eq!(h.headers[0].value(buf), b"spaced value");
    assert_eq!(h.headers[1].value(buf), b"x");
    assert_eq!(h.len, buf.len());
}

#[test]
fn leading_empty_lines_are_skipped() {
    let buf = b"\r\n\nGET / HTTP/1.1\r\n\r\n";
    let h = complete_req(buf);
    assert_eq!(h.start, 3);
    assert_eq!(h.method(buf), b"GET");
    assert_eq!(h.len, buf.len());
}

#[test]
fn incomplete_at_every_split() {
    let buf: &[u8] = b"POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\n";
    for cut in 0..buf.len() {
        assert_eq!(req(&buf[..cut]), Ok(Parsed::Incomplete), "cut at {cut}");
    }
    assert_eq!(complete_req(buf).len, buf.len());
}

#[test]
fn pipelined_requests_parse_one_at_a_time() {
    let buf: &[u8] =
        b"GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: y\r\n\r\nGET /c HT";
    let first = complete_req(buf);
    assert_eq!(first.target(buf), b"/a");
    let rest = &buf[first.len..];
    let second = complete_req(rest);
    assert_eq!(second.target(rest), b"/b");
    assert_eq!(second.headers[0].value(rest), b"y");
    let rest2 = &rest[second.len..];
    assert_eq!(rest2, b"GET /c HT");
    assert_eq!(req(rest2), Ok(Parsed::Incomplete));
    assert_eq!(first.len, 28);
    assert_eq!(first.len + second.len + rest2.len(), buf.len());
}

#[test]
fn strictness_errors() {
    let cases: &[(&[u8], HeadError)] = &[
        // space before colon
        (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", HeadError::HeaderName),
        // obs-fold
        (
            b"GET / HTTP/1.1\r\nX-A: a\r\n  folded\r\n\r\n",
            HeadError::HeaderName,
        ),
        // invalid name chars
        (b"GET / HTTP/1.1\r\nX(A): a\r\n\r\n", HeadError::HeaderName),
        (
            b"GET / HTTP/1.1\r\nX\x7fA: a\r\n\r\n",
            HeadError::HeaderName,
        ),
        (
            b"GET / HTTP/1.1\r\n: empty-name\r\n\r\n",
            HeadError::HeaderName,
        ),
        // NUL in a value
        (
            b"GET / HTTP/1.1\r\nX-A: a\0b\r\n\r\n",
            HeadError::HeaderValue,
        ),
        // bare CR in a value
        (
            b"GET / HTTP/1.1\r\nX-A: a\rb\r\n\r\n",
            HeadError::HeaderValue,
        ),
        // bare CR ending the head
        (b"GET / HTTP/1.1\r\nX-A: a\r\n\rX", HeadError::NewLine),
        // HTTP/0.9
        (b"GET /\r\n\r\n", HeadError::Token),
        // target with non-ASCII or fragment
        ("GET /caf\u{e9} HTTP/1.1\r\n\r\n".as_bytes(), HeadError::Uri),
        (b"GET /a#frag HTTP/1.1\r\n\r\n", HeadError::Uri),
        // two spaces
        (b"GET  / HTTP/1.1\r\n\r\n", HeadError::Token),
        // malformed versions
        (b"GET / HTTP/1.10\r\n\r\n", HeadError::NewLine),
        (b"GET / HTTP/x.y\r\n\r\n", HeadError::Version),
        (b"GET / FOO/1.1\r\n\r\n", HeadError::Version),
        // control byte in method
        (b"G\x01T / HTTP/1.1\r\n\r\n", HeadError::Token),
    ];
    for (buf, err) in cases {
        assert_eq!(req(buf), Err(*err), "{:?}", String::from_utf8_lossy(buf));
        assert_eq!(err.status(true), 400);
        assert_eq!(err.status(false), 502);
    }
}

#[test]
fn other_versions_are_classified_like_haproxy() {
    let buf = b"GET / HTTP/2.0\r\nHost: h\r\n\r\n";
    let h = complete_req(buf);
    assert_eq!(h.version, Version::Http11);
    assert_eq!(h.version_raw.get(buf), b"HTTP/2.0");
    assert_eq!(h.headers[0].value(buf), b"h");
    let buf = b"GET / HTTP/1.2\r\n\r\n";
    assert_eq!(complete_req(buf).version, Version::Http11);
    let buf = b"GET / HTTP/0.9\r\n\r\n";
    let h = complete_req(buf);
    assert_eq!(h.version, Version::Http10);
    assert_eq!(h.version_raw.get(buf), b"HTTP/0.9");
    // Incomplete line with an odd version: wait for the end of line.
    assert_eq!(req(b"GET / HTTP/2.0"), Ok(Parsed::Incomplete));
    let buf = b"HTTP/2.0 200 OK\r\n\r\n";
    let r = complete_resp(buf);
    assert_eq!(r.version, Version::Http11);
    assert_eq!(r.version_raw.get(buf), b"HTTP/2.0");
}

#[test]
fn size_limit() {
    let limits = HeadLimits::default();
    assert_eq!(limits.max_head, 15360);
    // A head that does not end within max_head bytes.
    let mut big = b"GET /".to_vec();
    big.extend(std::iter::repeat_n(b'a', 16000));
    assert_eq!(req(&big[..15359]), Ok(Parsed::Incomplete));
    assert_eq!(req(&big), Err(HeadError::TooLarge));
    assert_eq!(req(&big[..15360]), Err(HeadError::TooLarge));
    // A head of exactly max_head bytes is fine.
    let mut exact = b"GET / HTTP/1.1\r\nX: ".to_vec();
    let pad = limits.max_head - exact.len() - 4;
    exact.extend(std::iter::repeat_n(b'v', pad));
    exact.extend_from_slice(b"\r\n\r\n");
    assert_eq!(exact.len(), limits.max_head);
    exact.extend_from_slice(b"body");
    assert_eq!(complete_req(&exact).len, limits.max_head);
    // One byte more does not fit.
    let mut over = b"GET / HTTP/1.1\r\nX: ".to_vec();
    over.extend(std::iter::repeat_n(b'v', pad + 1));
    over.extend_from_slice(b"\r\n\r\n");
    assert_eq!(req(&over), Err(HeadError::TooLarge));
    // Custom limits.
    let small = HeadLimits::from_tune(1024, 1000, 101);
    assert_eq!(
        parse_request(b"GET /0123456789abcdefghijkl HTTP/1.1\r\n\r\n", &small),
        Err(HeadError::TooLarge)
    );
}

#[test]
fn header_count_limit() {
    let build = |n: usize| {
        let mut b = b"GET / HTTP/1.1\r\n".to_vec();
        for i in 0..n {
            b.extend_from_slice(format!("X-{i}: v\r\n").as_bytes());
        }
        b.extend_from_slice(b"\r\n");
        b
    };
    // 101 lines including the request line: 100 fields.
    assert_eq!(complete_req(&build(100)).headers.len(), 100);
    assert_eq!(req(&build(101)), Err(HeadError::TooManyHeaders));
    let big = HeadLimits {
        max_head: DEFAULT_MAX_HEAD,
        max_hdr: 301,
        lenient: false,
    };
    assert!(matches!(
        parse_request(&build(300), &big),
        Ok(Parsed::Complete(_))
    ));
}

#[test]
fn simple_response() {
    let buf = b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n";
    let r = complete_resp(buf);
    assert_eq!(r.status, 404);
    assert_eq!(r.status_raw.get(buf), b"404");
    assert_eq!(r.reason.get(buf), b"Not Found");
    assert_eq!(r.version, Version::Http11);
    assert_eq!(r.headers[0].name(buf), b"Content-Length");
    assert_eq!(r.len, buf.len());
    let buf = b"HTTP/1.0 200\r\n\r\n";
    let r = complete_resp(buf);
    assert_eq!(r.reason.get(buf), b"");
    assert_eq!(r.version, Version::Http10);
    let buf = b"\r\nHTTP/1.1 200 Ok \xe9t\xe9\r\n\r\n";
    let r = complete_resp(buf);
    assert_eq!(r.start, 2);
    assert_eq!(r.reason.get(buf), b"Ok \xe9t\xe9");
}

#[test]
fn response_errors() {
    let cases: &[(&[u8], HeadError)] = &[
        (b"HTTP/1.1 20 OK\r\n\r\n", HeadError::Status),
        (b"HTTP/1.1 2000 OK\r\n\r\n", HeadError::Status),
        (
            b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
            HeadError::HeaderName,
        ),
        (
            b"HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
            HeadError::HeaderName,
        ),
        (b"HTTP/1.1 200 OK\r\nX: a\0\r\n\r\n", HeadError::HeaderValue),
        (b"HTTX/1.1 200 OK\r\n\r\n", HeadError::Version),
    ];
    for (buf, err) in cases {
        assert_eq!(resp(buf), Err(*err), "{:?}", String::from_utf8_lossy(buf));
    }
    assert_eq!(resp(b"HTTP/1.1 200 OK\r\nX: y\r\n"), Ok(Parsed::Incomplete));
}

#[test]
fn header_lookup_helpers() {
    let buf = b"GET / HTTP/1.1\r\nconnection: a\r\nX: 1\r\nCONNECTION: b\r\n\r\n";
    let h = complete_req(buf);
    let vals: Vec<(usize, &[u8])> = h.values(buf, b"Connection").collect();
    assert_eq!(vals, vec![(0, &b"a"[..]), (2, &b"b"[..])]);
    assert!(h.is_method(buf, b"GET"));
    assert!(!h.is_method(buf, b"get"));
}

#[test]
fn the_http2_preface_and_any_pri_request_are_refused() {
    let limits = HeadLimits::default();
    for buf in [
        &b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"[..],
        b"PRI * HTTP/1.1\r\nHost: a\r\n\r\n",
        b"PRI /x HTTP/1.0\r\n\r\n",
    ] {
        assert_eq!(
            parse_request(buf, &limits).err(),
            Some(HeadError::Preface),
            "{}",
            String::from_utf8_lossy(buf)
        );
    }
    // Only the exact method: a longer token is an ordinary extension method.
    assert!(matches!(
        parse_request(b"PRIX / HTTP/1.1\r\n\r\n", &limits),
        Ok(Parsed::Complete(_))
    ));
}

#[test]
fn a_cut_response_may_or_may_not_have_started_a_status_line() {
    for ok in [
        &b""[..],
        b"\r\n",
        b"HT",
        b"HTTP/1.",
        b"HTTP/1.1 20",
        b"HTTP/1.1 200 OK\r\nX: y\r\n",
    ] {
        assert!(may_start_status_line(ok), "{}", String::from_utf8_lossy(ok));
    }
    for bad in [
        &b"xyz"[..],
        b"http/1.1",
        b"HTTP/x",
        b"HTTP/1.1 2x",
        b"\r\nfoo",
    ] {
        assert!(
            !may_start_status_line(bad),
            "{}",
            String::from_utf8_lossy(bad)
        );
    }
}
