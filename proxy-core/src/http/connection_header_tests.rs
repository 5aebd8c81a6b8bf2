//! Tests for [`super::connection_header`]: token cleaning and the
//! keep-alive/close decisions per mode and version.

use super::connection_header::*;
use super::framing::{request_framing, response_framing, Framing, RequestInfo};
use super::head::{parse_request, parse_response, HeadLimits, Parsed};

fn req(buf: &[u8]) -> Framing {
    match parse_request(buf, &HeadLimits::default()) {
        Ok(Parsed::Complete(h)) => request_framing(buf, &h).unwrap(),
        other => panic!("bad test head {other:?}"),
    }
}

fn resp(buf: &[u8]) -> (Framing, u16) {
    let info = RequestInfo {
        is_head: false,
        is_connect: false,
        upgrade: true,
    };
    match parse_response(buf, &HeadLimits::default()) {
        Ok(Parsed::Complete(h)) => (response_framing(buf, &h, &info).unwrap(), h.status),
        other => panic!("bad test head {other:?}"),
    }
}

#[test]
fn tokens() {
    let t = ConnTokens::parse([&b"Keep-Alive, foo"[..], b"UPGRADE", b"close"]);
    assert_eq!(
        t,
        ConnTokens {
            close: true,
            keep_alive: true,
            upgrade: true
        }
    );
    assert_eq!(ConnTokens::parse([&b"closed"[..]]), ConnTokens::default());
}

#[test]
fn cleaning() {
    use CleanedValue::*;
    assert_eq!(clean_connection_value(b"close"), Drop);
    assert_eq!(clean_connection_value(b"Keep-Alive , close"), Drop);
    assert_eq!(clean_connection_value(b"Upgrade"), Unchanged);
    assert_eq!(clean_connection_value(b"foo, bar"), Unchanged);
    assert_eq!(
        clean_connection_value(b"keep-alive, Upgrade"),
        Rewritten(b"Upgrade".to_vec())
    );
    assert_eq!(
        clean_connection_value(b"foo, bar, close"),
        Rewritten(b"foo, bar".to_vec())
    );
    assert_eq!(
        clean_connection_value(b"foo, close, bar,  baz"),
        Rewritten(b"foo,bar,baz".to_vec())
    );
}

#[test]
fn te_field() {
    assert_eq!(te_outgoing(b"trailers"), Some(&b"trailers"[..]));
    assert_eq!(te_outgoing(b"gzip, Trailers"), Some(&b"trailers"[..]));
    assert_eq!(te_outgoing(b"gzip"), None);
    assert_eq!(te_outgoing(b"trailersx"), None);
}

const KA11: &[u8] = b"GET / HTTP/1.1\r\nHost: a\r\n\r\n";
const KA10: &[u8] = b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n";
const CLO10: &[u8] = b"GET / HTTP/1.0\r\n\r\n";
const CLO11: &[u8] = b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n";
const RESP11: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";
const RESP10: &[u8] = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n";

#[test]
fn request_side() {
    let p = plan_request(ConnMode::KeepAlive, &req(KA11));
    assert_eq!(
        p,
        RequestConn {
            add: None,
            server_close: false,
            client_close: false
        }
    );
    // HTTP/1.0 keep-alive client: the server gets keep-alive asked.
    let p = plan_request(ConnMode::KeepAlive, &req(KA10));
    assert_eq!(
        p,
        RequestConn {
            add: Some(b"keep-alive"),
            server_close: false,
            client_close: false
        }
    );
    // A client's close is not passed on to the server.
    let p = plan_request(ConnMode::KeepAlive, &req(CLO11));
    assert_eq!(
        p,
        RequestConn {
            add: None,
            server_close: false,
            client_close: true
        }
    );
    let p = plan_request(ConnMode::KeepAlive, &req(CLO10));
    assert_eq!(
        p,
        RequestConn {
            add: Some(b"keep-alive"),
            server_close: false,
            client_close: true
        }
    );
    for mode in [ConnMode::ServerClose, ConnMode::Close] {
        let p = plan_request(mode, &req(KA11));
        assert_eq!(
            p,
            RequestConn {
                add: Some(b"close"),
                server_close: true,
                client_close: false
            }
        );
        let p = plan_request(mode, &req(KA10));
        assert_eq!(
            p,
            RequestConn {
                add: None,
                server_close: true,
                client_close: false
            }
        );
    }
    // TE on HTTP/1.0 closes the server side; TE+CL closes the client side.
    let p = plan_request(
        ConnMode::KeepAlive,
        &req(b"POST / HTTP/1.0\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"),
    );
    assert!(p.server_close && p.client_close && p.add.is_none());
    let p = plan_request(
        ConnMode::KeepAlive,
        &req(b"POST / HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n"),
    );
    assert!(!p.server_close && p.client_close);
    // Upgrade requests keep their Connection field alone.
    let p = plan_request(
        ConnMode::ServerClose,
        &req(b"GET / HTTP/1.1\r\nConnection: upgrade\r\nUpgrade: foo\r\n\r\n"),
    );
    assert_eq!(p.add, None);
}

#[test]
fn response_side() {
    let (r11, s) = resp(RESP11);
    let p = plan_response(ConnMode::KeepAlive, &req(KA11), false, &r11, s);
    assert_eq!(
        p,
        ResponseConn {
            add: None,
            client_close: false,
            server_reusable: true,
            tunnel: false
        }
    );
    // HTTP/1.0 client in keep-alive gets an explicit keep-alive.
    let p = plan_response(ConnMode::KeepAlive, &req(KA10), false, &r11, s);
    assert_eq!(p.add, Some(&b"keep-alive"[..]));
    assert!(!p.client_close);
    // HTTP/1.0 response without keep-alive: server closes, client kept.
    let (r10, s10) = resp(RESP10);
    let p = plan_response(ConnMode::KeepAlive, &req(KA11), false, &r10, s10);
    assert_eq!(
        p,
        ResponseConn {
            add: Some(b"keep-alive"),
            client_close: false,
            server_reusable: false,
            tunnel: false
        }
    );
    // Client asked close.
    let p = plan_response(ConnMode::KeepAlive, &req(CLO11), false, &r11, s);
    assert_eq!(p.add, Some(&b"close"[..]));
    assert!(p.client_close && p.server_reusable);
    let p = plan_response(ConnMode::KeepAlive, &req(CLO10), false, &r10, s10);
    assert_eq!(p.add, None);
    assert!(p.client_close);
    // httpclose closes the client; server-close does not.
    let p = plan_response(ConnMode::Close, &req(KA11), true, &r11, s);
    assert_eq!(
        p,
        ResponseConn {
            add: Some(b"close"),
            client_close: true,
            server_reusable: false,
            tunnel: false
        }
    );
    let p = plan_response(ConnMode::ServerClose, &req(KA11), true, &r11, s);
    assert_eq!(
        p,
        ResponseConn {
            add: None,
            client_close: false,
            server_reusable: false,
            tunnel: false
        }
    );
    // Until-close response closes both.
    let (rc, sc) = resp(b"HTTP/1.1 200 OK\r\n\r\n");
    let p = plan_response(ConnMode::KeepAlive, &req(KA11), false, &rc, sc);
    assert_eq!(
        p,
        ResponseConn {
            add: Some(b"close"),
            client_close: true,
            server_reusable: false,
            tunnel: false
        }
    );
    // The server's close is not passed on to the client.
    let (rs, ss) = resp(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    let p = plan_response(ConnMode::KeepAlive, &req(KA11), false, &rs, ss);
    assert_eq!(
        p,
        ResponseConn {
            add: None,
            client_close: false,
            server_reusable: false,
            tunnel: false
        }
    );
    // Interim and tunnel responses.
    let (r100, s100) = resp(b"HTTP/1.1 100 Continue\r\n\r\n");
    let p = plan_response(ConnMode::Close, &req(KA11), true, &r100, s100);
    assert_eq!(p.add, None);
    assert!(!p.client_close && !p.tunnel);
    let (r101, s101) =
        resp(b"HTTP/1.1 101 Switching\r\nConnection: upgrade\r\nUpgrade: foo\r\n\r\n");
    let p = plan_response(ConnMode::Close, &req(KA11), true, &r101, s101);
    assert_eq!(
        p,
        ResponseConn {
            add: None,
            client_close: false,
            server_reusable: false,
            tunnel: true
        }
    );
}

#[test]
fn local_responses() {
    let none = ConnTokens::default();
    let close = ConnTokens {
        close: true,
        ..none
    };
    let p = plan_local_response(ConnMode::KeepAlive, Some(&req(KA11)), true, none);
    assert_eq!(p.add, None);
    assert!(!p.client_close);
    let p = plan_local_response(ConnMode::KeepAlive, Some(&req(KA10)), true, none);
    assert_eq!(p.add, Some(&b"keep-alive"[..]));
    let p = plan_local_response(ConnMode::KeepAlive, Some(&req(KA11)), false, none);
    assert_eq!(p.add, Some(&b"close"[..]));
    assert!(p.client_close);
    let p = plan_local_response(ConnMode::KeepAlive, Some(&req(KA11)), true, close);
    assert!(p.client_close);
    let p = plan_local_response(ConnMode::KeepAlive, None, false, none);
    assert!(p.client_close);
}
