//! The HTTP codec against scripted applets that speak the raw ABI (no
//! SDK wrapper in between), so that every broken promise the codec must
//! catch can be made on purpose.

use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{ROk, RResult, RSome, RString, RVec};
use applet_sdk::{
    Applet, AppletError, Applet_TO, IoCtx, OwnedHeader, ResponseStart, ServiceFlags, Wait,
};

use super::tests::hand_request;
use super::AppletAdapter;
use crate::stream::{Applet as CoreApplet, AppletIo, AppletWait};

type Step = Box<dyn FnMut(&mut IoCtx<'_>) -> Wait + Send>;

/// Runs step `i` on call `i` (the last one again after that).
struct Script {
    steps: Vec<Step>,
    calls: usize,
}

impl Applet for Script {
    fn on_io(&mut self, io: &mut IoCtx<'_>) -> RResult<Wait, AppletError> {
        let i = self.calls.min(self.steps.len() - 1);
        self.calls += 1;
        ROk((self.steps[i])(io))
    }
}

fn scripted(steps: Vec<Step>) -> AppletAdapter {
    let applet = Applet_TO::from_value(Script { steps, calls: 0 }, TD_Opaque);
    AppletAdapter::new("script".into(), "test".into(), applet, ServiceFlags::NONE)
}

fn head(status: u16, length: Option<u64>, headers: &[(&str, &str)]) -> ResponseStart {
    ResponseStart {
        status,
        reason: RString::new(),
        headers: headers
            .iter()
            .map(|(n, v)| OwnedHeader {
                name: (*n).into(),
                value: (*v).into(),
            })
            .collect::<RVec<_>>(),
        length: length.into(),
    }
}

/// One call with `input` (framed body bytes) and `room`.
fn call(a: &mut AppletAdapter, input: &[u8], room: usize) -> (String, usize, AppletWait) {
    let mut out = Vec::new();
    let mut io = AppletIo {
        input,
        consumed: 0,
        input_closed: false,
        output: &mut out,
        room,
    };
    let wait = a.on_io(&mut io);
    let consumed = io.consumed;
    (String::from_utf8_lossy(&out).into_owned(), consumed, wait)
}

const GET11: &[u8] = b"GET /p?q=1 HTTP/1.1\r\nHost: x\r\n\r\n";

#[test]
fn a_response_without_length_is_chunked_for_1_1_and_until_close_for_1_0() {
    let mut a = scripted(vec![Box::new(|io| {
        io.response.head = RSome(head(200, None, &[("X-A", "1")]));
        io.output.extend_from_slice(b"abc");
        io.response.end = true;
        Wait::DONE
    })]);
    hand_request(&mut a, GET11);
    let (out, _, wait) = call(&mut a, b"", 1000);
    assert_eq!(
        out,
        "HTTP/1.1 200 OK\r\nX-A: 1\r\ntransfer-encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
    );
    assert_eq!(wait, AppletWait::Done);
    let mut a = scripted(vec![Box::new(|io| {
        io.response.head = RSome(head(404, None, &[]));
        io.output.extend_from_slice(b"gone");
        Wait::DONE
    })]);
    hand_request(&mut a, b"GET / HTTP/1.0\r\n\r\n");
    let (out, _, wait) = call(&mut a, b"", 1000);
    assert_eq!(out, "HTTP/1.1 404 Not Found\r\n\r\ngone");
    assert_eq!((wait, a.failed()), (AppletWait::Done, None));
}

#[test]
fn the_request_arrives_parsed_and_its_body_de_framed() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = seen.clone();
    let mut a = scripted(vec![Box::new(move |io| {
        let r = io.request.into_option().expect("request");
        let mut l = log.lock().expect("log");
        if l.is_empty() {
            l.push(format!(
                "{} {} {} {} {} {:?}",
                r.method,
                r.target,
                r.path,
                r.query,
                r.version,
                r.content_length.into_option()
            ));
        }
        let body = io.input.as_slice();
        l.push(format!("body {:?}", String::from_utf8_lossy(body)));
        io.consumed = body.len();
        if !io.input_closed {
            return Wait::INPUT;
        }
        let t: Vec<String> = r
            .trailers
            .iter()
            .map(|h| format!("{}={}", h.name, h.value))
            .collect();
        l.push(format!("trailers {}", t.join(",")));
        io.response.head = RSome(head(204, None, &[]));
        Wait::DONE
    })]);
    let raw = b"POST http://h/up/x?y HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n\
                4;e=1\r\nabcd\r\n2\r\nef\r\n0\r\nX-Sum: 9\r\n\r\n";
    let body = hand_request(&mut a, raw);
    let mut out = String::new();
    for piece in body.chunks(5) {
        let (o, consumed, _) = call(&mut a, piece, 1000);
        assert_eq!(consumed, piece.len());
        out.push_str(&o);
    }
    assert_eq!(out, "HTTP/1.1 204 No Content\r\n\r\n");
    let l = seen.lock().expect("log");
    assert_eq!(l[0], "POST http://h/up/x?y /up/x y HTTP/1.1 None");
    let body: String = l[1..l.len() - 1]
        .iter()
        .map(|s| s.trim_start_matches("body ").trim_matches('"'))
        .collect();
    assert_eq!(body, "abcdef");
    assert_eq!(l[l.len() - 1], "trailers X-Sum=9");
}

#[test]
fn continue_goes_out_once_when_the_applet_waits_for_a_held_back_body() {
    let mut a = scripted(vec![Box::new(|io| {
        io.consumed = io.input.len();
        Wait::INPUT
    })]);
    hand_request(
        &mut a,
        b"PUT /k HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n",
    );
    let (out, _, wait) = call(&mut a, b"", 1000);
    assert_eq!(
        (out.as_str(), wait),
        ("HTTP/1.1 100 Continue\r\n\r\n", AppletWait::Input)
    );
    let (out, _, _) = call(&mut a, b"", 1000);
    assert_eq!(out, "", "only once");
    // Without Expect, never.
    let mut a = scripted(vec![Box::new(|_| Wait::INPUT)]);
    hand_request(
        &mut a,
        b"PUT /k HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n",
    );
    assert_eq!(call(&mut a, b"", 1000).0, "");
}

/// Each broken promise fails the applet with a message saying which.
/// (Writing after the end cannot happen: an applet whose response ended
/// is never called again.)
#[test]
fn broken_responses_fail_the_applet() {
    type Case = (&'static str, Vec<Step>);
    let cases: Vec<Case> = vec![
        (
            "sent a second response head",
            vec![Box::new(|io| {
                io.response.head = RSome(head(200, None, &[]));
                Wait::ROOM
            })],
        ),
        (
            "wrote body bytes before its response head",
            vec![Box::new(|io| {
                io.output.extend_from_slice(b"x");
                Wait::ROOM
            })],
        ),
        (
            "sent more body than the 2 bytes it announced",
            vec![Box::new(|io| {
                io.response.head = RSome(head(200, Some(2), &[]));
                io.output.extend_from_slice(b"abc");
                Wait::DONE
            })],
        ),
        (
            "ended its response after 1 of the 5 bytes it announced",
            vec![Box::new(|io| {
                io.response.head = RSome(head(200, Some(5), &[]));
                io.output.extend_from_slice(b"a");
                io.response.end = true;
                Wait::ROOM
            })],
        ),
        (
            "answered with status 101 (200 to 599 only)",
            vec![Box::new(|io| {
                io.response.head = RSome(head(101, None, &[]));
                Wait::DONE
            })],
        ),
        (
            "set 'Content-Length' itself",
            vec![Box::new(|io| {
                io.response.head = RSome(head(200, None, &[("Content-Length", "1")]));
                Wait::DONE
            })],
        ),
        (
            "sent an invalid header name \"a b\"",
            vec![Box::new(|io| {
                io.response.head = RSome(head(200, None, &[("a b", "1")]));
                Wait::DONE
            })],
        ),
        (
            "sent an invalid value for header 'x'",
            vec![Box::new(|io| {
                io.response.head = RSome(head(200, None, &[("x", "a\r\nb: c")]));
                Wait::DONE
            })],
        ),
        (
            "finished without sending a response",
            vec![Box::new(|_| Wait::DONE)],
        ),
        (
            "wrote 40 bytes with room for 8",
            vec![Box::new(|io| {
                io.response.head = RSome(head(200, None, &[]));
                io.output.extend_from_slice(&[b'z'; 40]);
                Wait::ROOM
            })],
        ),
    ];
    for (want, steps) in cases {
        let mut a = scripted(steps);
        hand_request(&mut a, GET11);
        let mut wait = AppletWait::Room;
        for _ in 0..3 {
            if wait == AppletWait::Done {
                break;
            }
            wait = call(&mut a, b"", 40).2;
        }
        assert_eq!(wait, AppletWait::Done, "{want}");
        let why = a.failed().unwrap_or_else(|| panic!("not failed: {want}"));
        assert!(
            why.starts_with("applet service 'script' ('test'): ") && why.contains(want),
            "{why} / {want}"
        );
    }
}
