#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::driver::split_target;
use super::*;
use crate::{Io, Response};

/// An applet made of a closure.
struct F<T>(T);

impl<T: FnMut(&mut Io<'_>) -> Wait + Send + 'static> AppletImpl for F<T> {
    fn on_io(&mut self, io: &mut Io<'_>) -> Wait {
        (self.0)(io)
    }
}

fn run(
    req: TestRequest,
    f: impl FnMut(&mut Io<'_>) -> Wait + Send + 'static,
) -> Result<TestResponse, TestError> {
    req.run(F(f))
}

fn fails_with(r: Result<TestResponse, TestError>, kind: TestErrorKind, text: &str) -> TestError {
    match r {
        Ok(res) => panic!("expected {kind:?} ({text}), got {res:?}"),
        Err(e) => {
            assert_eq!(e.kind, kind, "{e}");
            assert!(e.message.contains(text), "{e}");
            e
        }
    }
}

/// Streams the body back as it arrives (chunked, `write` within the room).
fn echo() -> impl FnMut(&mut Io<'_>) -> Wait + Send + 'static {
    let mut held = Vec::new();
    move |io| {
        if !io.head_sent() {
            io.send_head(Response::new(200).header("x-echo", "1"))
                .unwrap();
        }
        held.extend_from_slice(io.body());
        io.consume(io.body().len());
        let n = io.write(&held);
        held.drain(..n);
        if !held.is_empty() {
            Wait::ROOM
        } else if io.body_ended() {
            io.end();
            Wait::DONE
        } else {
            Wait::INPUT
        }
    }
}

#[test]
fn pieces_arrive_one_call_at_a_time_and_output_respects_the_room() {
    let pieces: Vec<Vec<u8>> = (0..5u8).map(|i| vec![b'a' + i; 100]).collect();
    let res = run(TestRequest::post("/e", "").pieces(&pieces).room(30), echo()).unwrap();
    assert_eq!(res.status, 200);
    assert_eq!(res.header("X-Echo"), Some("1"));
    assert_eq!(res.body, pieces.concat());
    assert_eq!(res.length, None);
    assert!(res.ended && !res.continue_sent);
    // 500 bytes through a room of 30: at least 17 calls.
    assert!(res.calls >= 17, "{}", res.calls);
}

#[test]
fn the_request_head_is_handed_over_with_its_framing() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let s = seen.clone();
    let res = run(
        TestRequest::put("http://example.org/k/x?a=1&b", "12345")
            .header("Host", "example.org")
            .expect_continue(),
        move |io| {
            let r = io.request().unwrap();
            s.lock().unwrap().push(format!(
                "{} {} {} {} a={:?} b={:?} {:?} {:?} {:?} closed={} body={}",
                r.method(),
                r.path(),
                r.query(),
                r.version(),
                r.query_param("a"),
                r.query_param("b"),
                r.header("HOST"),
                r.header("content-length"),
                r.content_length(),
                io.body_ended(),
                io.body().len(),
            ));
            if !io.body_ended() {
                return Wait::INPUT;
            }
            io.respond(204, "", b"").unwrap();
            Wait::DONE
        },
    )
    .unwrap();
    assert_eq!(res.status, 204);
    assert!(res.continue_sent);
    let seen = seen.lock().unwrap();
    assert_eq!(
        *seen,
        [
            "PUT /k/x a=1&b HTTP/1.1 a=Some(\"1\") b=Some(\"\") Some(\"example.org\") Some(\"5\") Some(5) closed=false body=0",
            "PUT /k/x a=1&b HTTP/1.1 a=Some(\"1\") b=Some(\"\") Some(\"example.org\") Some(\"5\") Some(5) closed=true body=5",
        ]
    );
}

#[test]
fn a_request_without_body_has_ended_from_the_first_call() {
    let res = run(TestRequest::get("/"), |io| {
        assert_eq!(io.request().unwrap().content_length(), Some(0));
        assert!(io.body_ended());
        io.respond(200, "text/plain", b"ok").unwrap();
        Wait::DONE
    })
    .unwrap();
    assert_eq!((res.status, res.text().as_str(), res.calls), (200, "ok", 1));
    assert_eq!(res.length, Some(2));
}

#[test]
fn trailers_come_with_the_end_of_a_chunked_body() {
    let res = run(
        TestRequest::post("/t", "abc").trailer("x-sum", "42"),
        |io| {
            let r = io.request().unwrap();
            assert_eq!(r.content_length(), None);
            assert_eq!(r.header("transfer-encoding"), Some("chunked"));
            if !io.body_ended() {
                assert_eq!(r.trailer("x-sum"), None);
                return Wait::INPUT;
            }
            let sum = r.trailer("X-Sum").unwrap_or("none").to_string();
            let body = io.body().to_vec();
            io.consume(body.len());
            io.send_head(Response::new(200).reason("Fine").header("x-sum", &sum))
                .unwrap();
            io.write_all(&body).unwrap();
            io.end();
            Wait::DONE
        },
    )
    .unwrap();
    assert_eq!((res.status, res.reason.as_str()), (200, "Fine"));
    assert_eq!(res.header("x-sum"), Some("42"));
    assert_eq!(res.body, b"abc");
}

#[test]
fn write_all_is_flushed_over_several_calls() {
    let body: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    let b = body.clone();
    let res = run(TestRequest::get("/big").room(100), move |io| {
        io.respond(200, "application/octet-stream", &b).unwrap();
        Wait::DONE
    })
    .unwrap();
    assert_eq!(res.body, body);
    assert_eq!(res.length, Some(5000));
    assert_eq!(res.calls, 50);
}

#[test]
fn head_requests_and_204_get_no_body() {
    let answer = |io: &mut Io<'_>| {
        io.respond(200, "text/plain", b"hello").unwrap();
        Wait::DONE
    };
    let res = run(TestRequest::head("/"), answer).unwrap();
    assert_eq!((res.status, res.length, res.body.len()), (200, Some(5), 0));
    let res = run(TestRequest::get("/"), |io| {
        io.send_head(Response::new(204)).unwrap();
        io.write(b"dropped");
        io.end();
        Wait::DONE
    })
    .unwrap();
    assert_eq!((res.status, res.body.len()), (204, 0));
}

#[test]
fn expect_continue_is_not_sent_when_the_applet_answers_at_once() {
    let res = run(
        TestRequest::put("/x", vec![0u8; 10]).expect_continue(),
        |io| {
            io.respond(413, "", b"").unwrap();
            Wait::DONE
        },
    )
    .unwrap();
    assert_eq!(res.status, 413);
    assert!(!res.continue_sent);
    // HTTP/1.0 has no 100 Continue: the body just comes.
    let res = run(
        TestRequest::put("/x", "abc")
            .version("HTTP/1.0")
            .expect_continue(),
        |io| {
            if !io.body_ended() {
                return Wait::INPUT;
            }
            io.respond(201, "", b"").unwrap();
            Wait::DONE
        },
    )
    .unwrap();
    assert_eq!(res.status, 201);
    assert!(!res.continue_sent);
}

#[test]
fn broken_responses_are_reported_as_the_proxy_words_them() {
    use TestErrorKind::Contract;
    let e = fails_with(
        run(TestRequest::get("/"), |io| {
            io.write(b"x");
            Wait::DONE
        }),
        Contract,
        "before its response head",
    );
    assert_eq!(e.partial.status, 0);
    let e = fails_with(
        run(TestRequest::get("/"), |io| {
            if !io.head_sent() {
                io.send_head(Response::new(200).length(3)).unwrap();
            }
            io.write(b"abcd");
            Wait::DONE
        }),
        Contract,
        "more body than the 3 bytes",
    );
    assert_eq!(e.partial.status, 200);
    fails_with(
        run(TestRequest::get("/"), |io| {
            io.send_head(Response::new(200).length(3)).unwrap();
            io.write(b"ab");
            io.end();
            Wait::DONE
        }),
        Contract,
        "after 2 of the 3 bytes",
    );
    fails_with(
        run(TestRequest::get("/"), |io| {
            io.respond(101, "", b"").unwrap();
            Wait::DONE
        }),
        Contract,
        "status 101",
    );
    fails_with(
        run(TestRequest::get("/"), |io| {
            io.send_head(Response::new(200).header("Content-Length", "0"))
                .unwrap();
            Wait::DONE
        }),
        Contract,
        "set 'Content-Length' itself",
    );
    fails_with(
        run(TestRequest::get("/"), |io| {
            io.send_head(Response::new(200).header("x", "a\r\nb"))
                .unwrap();
            Wait::DONE
        }),
        Contract,
        "invalid value for header 'x'",
    );
    fails_with(
        run(TestRequest::get("/"), |_| Wait::DONE),
        Contract,
        "finished without sending a response",
    );
}

/// A second head through the raw ABI (the SDK's writer refuses it, a
/// hand-written `Applet` may not).
#[test]
fn a_second_head_through_the_abi_is_refused() {
    use abi_stable::std_types::RResult;

    struct Raw;
    impl crate::Applet for Raw {
        fn on_io(&mut self, io: &mut IoCtx<'_>) -> RResult<Wait, AppletError> {
            io.response.head = RSome(ResponseStart {
                status: 200,
                reason: RString::new(),
                headers: RVec::new(),
                length: RNone,
            });
            ROk(Wait::ROOM)
        }
    }
    let mut boxed: AppletBox = Applet_TO::from_value(Raw, TD_Opaque);
    let e = TestRequest::get("/").run_boxed(&mut boxed).unwrap_err();
    assert_eq!(e.kind, TestErrorKind::Contract, "{e}");
    assert_eq!(e.message, "sent a second response head");
    assert_eq!(e.partial.calls, 2);
}

#[test]
fn more_output_than_the_room_is_refused() {
    struct Raw;
    impl crate::Applet for Raw {
        fn on_io(&mut self, io: &mut IoCtx<'_>) -> RResult<Wait, AppletError> {
            io.output.extend_from_slice(&[0; 11]);
            ROk(Wait::DONE)
        }
    }
    let mut boxed: AppletBox = Applet_TO::from_value(Raw, TD_Opaque);
    let e = TestRequest::get("/")
        .room(10)
        .run_boxed(&mut boxed)
        .unwrap_err();
    assert_eq!(e.message, "wrote 11 bytes with room for 10");
}

#[test]
fn failures_panics_stalls_and_endless_applets() {
    fails_with(
        run(TestRequest::get("/"), |io| {
            io.fail("no thanks");
            Wait::DONE
        }),
        TestErrorKind::Failed,
        "no thanks",
    );
    let e = fails_with(
        run(TestRequest::get("/"), |_| panic!("boom {}", 3)),
        TestErrorKind::Panicked,
        "boom 3",
    );
    assert!(e.message.contains("tests.rs"), "no location: {e}");
    fails_with(
        run(TestRequest::get("/"), |_| Wait::INPUT),
        TestErrorKind::Stalled,
        "the request body ended",
    );
    // Never consuming: the proxy stops reading at BODY_ROOM.
    let e = fails_with(
        run(TestRequest::put("/", vec![1u8; BODY_ROOM + 10]), |_| {
            Wait::INPUT
        }),
        TestErrorKind::Stalled,
        "16384 bytes of request body wait unread",
    );
    assert_eq!(e.partial.calls, 2);
    let e = fails_with(
        run(TestRequest::get("/").max_calls(7), |_| Wait::timer(10)),
        TestErrorKind::NoEnd,
        "no end within 7 calls",
    );
    assert_eq!(e.partial.calls, 7);
}

#[test]
fn release_runs_after_the_answer() {
    use std::sync::atomic::{AtomicBool, Ordering};
    static RELEASED: AtomicBool = AtomicBool::new(false);
    struct R;
    impl AppletImpl for R {
        fn on_io(&mut self, io: &mut Io<'_>) -> Wait {
            io.respond(200, "", b"").unwrap();
            Wait::DONE
        }
        fn release(&mut self) {
            RELEASED.store(true, Ordering::SeqCst);
        }
    }
    TestRequest::get("/").run(R).unwrap();
    assert!(RELEASED.load(Ordering::SeqCst));
}

#[test]
fn the_test_host_answers_without_a_proxy() {
    let h = test_host();
    h.log(LogLevel::INFO, "from a test");
    let t = h.now_ms();
    assert!(h.now_ms() >= t);
    assert!(h.proxies().is_empty() && h.sessions().is_empty() && h.pools().is_empty());
    assert!(h.admin(AdminCmd::clear_counters(true)).is_err());
    assert!(h.peers_section("p").is_none());
}

#[test]
fn targets_split_as_the_proxy_splits_them() {
    assert_eq!(split_target("/a/b?x=1?y"), ("/a/b", "x=1?y"));
    assert_eq!(split_target("/"), ("/", ""));
    assert_eq!(split_target("http://h:80/p?q"), ("/p", "q"));
    assert_eq!(split_target("http://h:80?q"), ("/", "q"));
    assert_eq!(split_target("*"), ("/", ""));
}
