//! The service run in-process with the SDK's test kit: no proxy, no socket.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use applet_sdk::testing::{test_host, TestRequest, TestResponse};

use super::*;

/// Keys are per test: tests run in parallel and share the store.
fn kv(args: &[&str], req: TestRequest) -> TestResponse {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let service = Kv::new(&args, test_host()).unwrap();
    req.run(service).unwrap_or_else(|e| panic!("{e}"))
}

fn value(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 7 % 251) as u8).collect()
}

#[test]
fn put_get_delete() {
    let v = value(3000);
    let r = kv(&[], TestRequest::put("/pgd", &v));
    assert_eq!((r.status, r.body.len()), (201, 0));
    let r = kv(&[], TestRequest::get("/pgd"));
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    assert_eq!(r.length, Some(3000));
    assert_eq!(r.body, v);
    // Replaced: 204.
    assert_eq!(kv(&[], TestRequest::put("/pgd", "new")).status, 204);
    assert_eq!(kv(&[], TestRequest::get("/pgd")).body, b"new");
    assert_eq!(kv(&[], TestRequest::delete("/pgd")).status, 204);
    assert_eq!(kv(&[], TestRequest::get("/pgd")).status, 404);
    assert_eq!(kv(&[], TestRequest::delete("/pgd")).status, 404);
}

#[test]
fn an_empty_value_is_a_value() {
    assert_eq!(kv(&[], TestRequest::put("/empty", "")).status, 201);
    let r = kv(&[], TestRequest::get("/empty"));
    assert_eq!((r.status, r.length, r.body.len()), (200, Some(0), 0));
}

#[test]
fn chunked_uploads_arrive_de_framed() {
    let pieces = [value(5000), value(1), value(20000), value(77)];
    let r = kv(
        &[],
        TestRequest::put("/chunked", "")
            .chunked()
            .pieces(&pieces)
            .trailer("x-checksum", "none")
            .expect_continue(),
    );
    assert_eq!(r.status, 201);
    assert!(r.continue_sent, "waited for the body without 100 Continue");
    assert_eq!(kv(&[], TestRequest::get("/chunked")).body, pieces.concat());
}

#[test]
fn too_large_by_content_length_is_refused_without_reading() {
    let r = kv(
        &["100"],
        TestRequest::put("/big1", value(101)).expect_continue(),
    );
    assert_eq!(r.status, 413);
    // Answered before asking for the body.
    assert!(!r.continue_sent);
    assert_eq!(r.calls, 1);
    assert_eq!(kv(&[], TestRequest::get("/big1")).status, 404);
    // The default limit: 1 MiB.
    let r = kv(&[], TestRequest::put("/big1", value(DEFAULT_LIMIT + 1)));
    assert_eq!((r.status, r.calls), (413, 1));
    // At the limit exactly: stored.
    assert_eq!(
        kv(&["100"], TestRequest::put("/big1", value(100))).status,
        201
    );
}

#[test]
fn too_large_chunked_is_refused_once_past_the_limit() {
    let r = kv(
        &["100"],
        TestRequest::put("/big2", "")
            .chunked()
            .pieces([value(60), value(60), value(60)]),
    );
    assert_eq!(r.status, 413);
    assert_eq!(r.text(), "value too large\n");
    // First call (no body yet), 60 bytes, then 120 > 100: the third piece
    // is never read.
    assert_eq!(r.calls, 3);
    assert_eq!(kv(&[], TestRequest::get("/big2")).status, 404);
}

#[test]
fn head_answers_like_get_without_body() {
    kv(&[], TestRequest::put("/head", "12345"));
    let r = kv(&[], TestRequest::head("/head"));
    assert_eq!((r.status, r.length, r.body.len()), (200, Some(5), 0));
    assert_eq!(kv(&[], TestRequest::head("/head-missing")).status, 404);
}

#[test]
fn other_methods_get_405_with_allow() {
    for m in ["POST", "PATCH", "OPTIONS"] {
        let r = kv(&[], TestRequest::new(m, "/x"));
        assert_eq!(r.status, 405, "{m}");
        assert_eq!(r.header("allow"), Some("GET, HEAD, PUT, DELETE"), "{m}");
        assert!(r.ended);
    }
}

#[test]
fn a_missing_key_is_a_bad_request() {
    assert_eq!(kv(&[], TestRequest::get("/")).status, 400);
}

#[test]
fn query_strings_are_not_part_of_the_key() {
    assert_eq!(kv(&[], TestRequest::put("/q?x=1", "v")).status, 201);
    assert_eq!(kv(&[], TestRequest::get("/q?y=2")).body, b"v");
}

#[test]
fn arguments_are_checked() {
    let args = |a: &[&str]| {
        Kv::new(
            &a.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            test_host(),
        )
    };
    assert!(args(&["4096"]).is_ok());
    let e = args(&["4k"]).err().unwrap();
    assert!(e.contains("'4k'"), "{e}");
    assert!(args(&["1", "2"]).is_err());
}
