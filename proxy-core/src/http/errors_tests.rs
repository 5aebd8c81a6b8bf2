//! Tests for [`super::errors`] and the [`super::Failure`] mapping.

use super::errors::*;
use super::head::{parse_response, HeadLimits, Parsed};
use super::{Failure, FramingError, HeadError, MessagePath};
use crate::log::termination::{ErrCause, FinState};

const ALL: &[u16] = &[
    200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 421, 422, 425, 429, 500, 501, 502, 503, 504,
];

#[test]
fn every_form_parses_and_has_a_consistent_length() {
    assert_eq!(supported_statuses().collect::<Vec<_>>(), ALL);
    for &status in ALL {
        for (form, msg) in [
            ("early", early_error_response(status)),
            ("wire", error_response(status)),
            ("close", error_response_close(status)),
        ] {
            let head = match parse_response(msg, &HeadLimits::default()) {
                Ok(Parsed::Complete(h)) => h,
                other => panic!("{status} {form}: {other:?}"),
            };
            assert_eq!(head.status, status);
            let body = &msg[head.len..];
            assert_eq!(body.len(), error_body_len(status), "{status} {form}");
            let cl = head
                .values(msg, b"content-length")
                .next()
                .map(|(_, v)| v.to_vec())
                .unwrap();
            assert_eq!(cl, body.len().to_string().into_bytes(), "{status} {form}");
            let expected_h1 = format!("<html><body><h1>{status} ");
            assert!(body.starts_with(expected_h1.as_bytes()));
            assert!(body.ends_with(b"</body></html>\n"));
            assert_eq!(parse_errorfile(msg), Ok(msg.to_vec()));
        }
    }
}

#[test]
fn exact_bytes() {
    assert_eq!(
        error_response(503),
        &b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 107\r\ncache-control: no-cache\r\ncontent-type: text/html\r\n\r\n<html><body><h1>503 Service Unavailable</h1>\nNo server is available to handle this request.\n</body></html>\n"[..]
    );
    assert_eq!(
        error_response(400),
        &b"HTTP/1.1 400 Bad request\r\ncontent-length: 90\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n"[..]
    );
    assert_eq!(
        early_error_response(400),
        &b"HTTP/1.1 400 Bad request\r\nContent-length: 90\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>400 Bad request</h1>\nYour browser sent an invalid request.\n</body></html>\n"[..]
    );
    assert_eq!(
        early_error_response(408),
        &b"HTTP/1.1 408 Request Time-out\r\nContent-length: 110\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>408 Request Time-out</h1>\nYour browser didn't send a complete request in time.\n</body></html>\n"[..]
    );
    assert_eq!(
        error_response_close(403),
        &b"HTTP/1.1 403 Forbidden\r\ncontent-length: 93\r\ncache-control: no-cache\r\ncontent-type: text/html\r\nconnection: close\r\n\r\n<html><body><h1>403 Forbidden</h1>\nRequest forbidden by administrative rules.\n</body></html>\n"[..]
    );
    assert!(error_response(501).ends_with(b"<h1>501 Not Implemented</h1>\n.The server does not support the functionality required to fulfill the request.\n</body></html>\n"));
    assert!(error_response(405).ends_with(b"not supported by that resource\n</body></html>\n"));
    // Only 400 and 408 close in the keep-alive form.
    for &s in ALL {
        let closes = error_response(s)
            .windows(19)
            .any(|w| w == b"connection: close\r\n");
        assert_eq!(closes, s == 400 || s == 408, "{s}");
    }
}

#[test]
fn unknown_status_falls_back_to_500() {
    assert_eq!(error_response(418), error_response(500));
    assert_eq!(early_error_response(999), early_error_response(500));
    assert!(error_response(500).starts_with(b"HTTP/1.1 500 Internal Server Error\r\n"));
    assert!(!is_supported_status(418) && is_supported_status(425));
}

#[test]
fn errorfile_validation() {
    assert_eq!(parse_errorfile(b""), Ok(Vec::new()));
    let ok = b"HTTP/1.0 503 Busy\r\nCache-Control: no-cache\r\nContent-Type: text/plain\r\n\r\nbusy, come back later\n";
    assert_eq!(parse_errorfile(ok), Ok(ok.to_vec()));
    let ok_len = b"HTTP/1.1 404 Nope\r\nContent-Length: 4\r\n\r\nnope";
    assert!(parse_errorfile(ok_len).is_ok());
    let bad: &[&[u8]] = &[
        b"<html>not http</html>",
        b"HTTP/1.1 503 Busy\r\nContent-Type: text/plain\r\n",
        b"HTTP/2.0 503 Busy\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\n",
        b"HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        b"HTTP/1.1 503 Busy\r\nContent-Length: 10\r\n\r\nshort",
        b"HTTP/1.1 503 Busy\r\nContent-Length: x\r\n\r\n",
        b"HTTP/1.1 204 No Content\r\n\r\nbody",
    ];
    for b in bad {
        assert!(
            parse_errorfile(b).is_err(),
            "{:?}",
            String::from_utf8_lossy(b)
        );
    }
}

#[test]
fn errorfile_from_disk() {
    let dir = std::env::temp_dir().join(format!("proxy-core-errorfile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("503.http");
    std::fs::write(&path, error_response(503)).unwrap();
    assert_eq!(load_errorfile(&path).unwrap(), error_response(503));
    let err = load_errorfile(dir.join("missing.http")).unwrap_err();
    assert!(err.contains("error opening file"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn failure_outcomes() {
    let o = Failure::BadRequestHead(HeadError::TooLarge).outcome();
    assert_eq!(
        (o.status(), o.end.err_cause(), o.end.phase(), o.path),
        (400, ErrCause::PrxCond, FinState::R, MessagePath::Early)
    );
    assert_eq!(o.message(false), Some(early_error_response(400)));
    let o = Failure::BadRequestFraming(FramingError::UnknownCoding).outcome();
    assert_eq!(o.status(), 422);
    let o = Failure::BadRequestFraming(FramingError::PayloadForbidden).outcome();
    assert_eq!(o.status(), 413);
    let o = Failure::ClientAbortedHead {
        received_bytes: false,
    }
    .outcome();
    assert_eq!(
        (
            o.status(),
            o.end.err_cause(),
            o.end.phase(),
            o.message(true)
        ),
        (400, ErrCause::CliCl, FinState::R, None)
    );
    let o = Failure::RequestTimeout.outcome();
    assert_eq!(
        (o.status(), o.end.err_cause(), o.end.phase()),
        (408, ErrCause::CliTo, FinState::R)
    );
    let o = Failure::BadResponseHead.outcome();
    assert_eq!(
        (o.status(), o.end.err_cause(), o.end.phase()),
        (502, ErrCause::PrxCond, FinState::H)
    );
    assert_eq!(o.message(false), Some(error_response(502)));
    assert_eq!(o.message(true), Some(error_response_close(502)));
    let o = Failure::ServerClosedBeforeHead.outcome();
    assert_eq!(
        (o.status(), o.end.err_cause(), o.end.phase()),
        (502, ErrCause::SrvCl, FinState::H)
    );
    let o = Failure::ServerTimeoutBeforeHead.outcome();
    assert_eq!(
        (o.status(), o.end.err_cause(), o.end.phase()),
        (504, ErrCause::SrvTo, FinState::H)
    );
    let o = Failure::BadRequestBody {
        response_started: false,
    }
    .outcome();
    assert_eq!(
        (o.status(), o.end.err_cause(), o.end.phase(), o.path),
        (400, ErrCause::PrxCond, FinState::H, MessagePath::Stream)
    );
    let o = Failure::BadRequestBody {
        response_started: true,
    }
    .outcome();
    assert_eq!(
        (o.end.err_cause(), o.end.phase(), o.path),
        (ErrCause::PrxCond, FinState::D, MessagePath::None)
    );
    let o = Failure::BadResponseBody.outcome();
    assert_eq!(
        (o.end.err_cause(), o.end.phase(), o.path),
        (ErrCause::SrvCl, FinState::D, MessagePath::None)
    );
}

#[test]
fn logged_sizes_are_those_of_haproxy_2_6() {
    // Measured on HAProxy 2.6.12: `%B` of a 503 (keep-alive or closing
    // client alike) and of the stream's 400 to a `PRI` request.
    assert_eq!(error_logged_size(503), 217);
    assert_eq!(error_logged_size(400), 206);
    assert_eq!(
        htx_size(b"HTTP/1.1 200 OK\r\n\r\n"),
        Some(20 + 8 + 3 + 2 + 1)
    );
    assert_eq!(htx_size(b"HTTP/1.1 200 OK\r\nX: y"), None);
}
