//! Loads the example and fixture applets under `examples/applets`. They
//! are dev-dependencies of proxy-core, so `cargo test` builds their `.so`
//! into `target/<profile>/deps/` (this test binary's directory);
//! `cargo build --workspace` puts them in `target/<profile>/`.

use std::path::PathBuf;

use applet_sdk::ServiceKind;

use super::loader::{expected_sdk_version, load, LoadError};
use super::{AppletAdapter, AppletRegistry};
use crate::host::table;
use crate::stream::{Applet, AppletIo, AppletWait};

fn lib(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let deps = exe.parent().expect("deps dir");
    let file = format!("lib{name}.so");
    let candidates = [Some(deps), deps.parent()];
    for dir in candidates.into_iter().flatten() {
        let p = dir.join(&file);
        if p.exists() {
            return p;
        }
    }
    panic!(
        "{file} is missing from {} and its parent: run `cargo build --workspace` first \
         (the applet fixtures under examples/applets are separate cdylib crates the tests load)",
        deps.display()
    )
}

/// A scratch directory of its own per test.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("proxy-applet-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}

struct Call {
    out: Vec<u8>,
    consumed: usize,
    room_left: usize,
    wait: AppletWait,
}

fn call(a: &mut dyn Applet, input: &[u8], closed: bool, room: usize) -> Call {
    let mut out = Vec::new();
    let mut io = AppletIo {
        input,
        consumed: 0,
        input_closed: closed,
        output: &mut out,
        room,
    };
    let wait = a.on_io(&mut io);
    let (consumed, room_left) = (io.consumed, io.room);
    Call {
        out,
        consumed,
        room_left,
        wait,
    }
}

fn registry(libs: &[&str]) -> AppletRegistry {
    let mut reg = AppletRegistry::new();
    for l in libs {
        reg.load_file(&lib(l)).expect("load");
    }
    reg
}

fn adapter(reg: &AppletRegistry, service: &str, args: &[&str]) -> AppletAdapter {
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    reg.create_adapter(service, &args, table()).expect("create")
}

const GET: &[u8] = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";

#[test]
fn hello_loads_and_describes_itself() {
    let l = load(lib("applet_hello")).expect("hello loads");
    assert_eq!(l.name(), "hello");
    assert_eq!(l.sdk_version(), expected_sdk_version());
    let names: Vec<(&str, ServiceKind)> = l
        .services()
        .iter()
        .map(|s| (s.name.as_str(), s.kind))
        .collect();
    assert_eq!(
        names,
        [
            ("hello", ServiceKind::HTTP_SERVICE),
            ("echo", ServiceKind::TCP_SERVICE),
            ("longpoll", ServiceKind::HTTP_SERVICE)
        ]
    );
}

/// Hands `a` the request in `raw` (a whole head, maybe followed by body
/// bytes) as the HTTP exchange does: the head as fields; returns the bytes
/// that follow it (the framed body, as the exchange would forward them).
pub(super) fn hand_request<'r>(a: &mut AppletAdapter, raw: &'r [u8]) -> &'r [u8] {
    use crate::http::head::{parse_request, HeadLimits, Parsed};
    let Ok(Parsed::Complete(head)) = parse_request(raw, &HeadLimits::default()) else {
        panic!("not a whole request head: {raw:?}");
    };
    let framing = crate::http::framing::request_framing(raw, &head).expect("framing");
    a.set_http_request(
        raw[..head.len].to_vec(),
        &head,
        framing.body,
        framing.expect_100,
    );
    &raw[head.len..]
}

#[test]
fn hello_answers_through_the_adapter() {
    let reg = registry(&["applet_hello"]);
    let mut a = adapter(&reg, "hello", &["hi there"]);
    assert_eq!(a.name(), "hello");
    assert!(!a.raw_http());
    let body = hand_request(&mut a, GET);
    let c = call(&mut a, body, false, 1000);
    let expected =
        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 8\r\n\r\nhi there";
    assert_eq!(String::from_utf8_lossy(&c.out), expected);
    assert_eq!(c.room_left, 1000 - expected.len());
    assert_eq!(c.wait, AppletWait::Done);
    assert_eq!(a.failed(), None);
}

#[test]
fn hello_respects_the_room_and_drops_a_head_body() {
    let reg = registry(&["applet_hello"]);
    let body = "x".repeat(300);
    for (method, with_body) in [("GET", true), ("HEAD", false)] {
        let mut a = adapter(&reg, "hello", &[&body]);
        a.set_stream(
            7,
            std::sync::Arc::new(super::adapter::StreamNames::new("fe", "be", None, None)),
        );
        let req = format!("{method} / HTTP/1.1\r\nHost: x\r\n\r\n");
        hand_request(&mut a, req.as_bytes());
        let mut got = Vec::new();
        let mut wait = AppletWait::Room;
        let mut calls = 0;
        while wait == AppletWait::Room && calls < 100 {
            let c = call(&mut a, b"", false, 100);
            if calls > 0 {
                assert!(c.out.len() <= 100, "{}", c.out.len());
            }
            got.extend_from_slice(&c.out);
            wait = c.wait;
            calls += 1;
        }
        assert_eq!(wait, AppletWait::Done);
        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 300\r\n\r\n";
        let want = if with_body {
            format!("{head}{body}")
        } else {
            head.to_string()
        };
        assert_eq!(String::from_utf8_lossy(&got), want, "{method}");
        assert!(
            !with_body || calls > 3,
            "{method}: the body must not fit in one call"
        );
    }
}

#[test]
fn echo_echoes_until_the_input_closes() {
    let reg = registry(&["applet_hello"]);
    let mut a = adapter(&reg, "echo", &[]);
    let c = call(&mut a, b"ping", false, 100);
    assert_eq!(
        (c.out.as_slice(), c.consumed, c.wait),
        (&b"ping"[..], 4, AppletWait::Input)
    );
    let c = call(&mut a, b"abcdef", false, 3);
    assert_eq!(
        (c.out.as_slice(), c.consumed, c.wait),
        (&b"abc"[..], 3, AppletWait::Room)
    );
    let c = call(&mut a, b"", true, 100);
    assert_eq!(c.wait, AppletWait::Done);
}

#[test]
fn constructor_errors_and_unknown_services_are_reported() {
    let reg = registry(&["applet_hello"]);
    let two = ["a".to_string(), "b".to_string()];
    let e = reg.create_adapter("hello", &two, table()).unwrap_err();
    assert!(e.contains("at most one argument"), "{e}");
    let e = reg.create_adapter("nope", &[], table()).unwrap_err();
    assert_eq!(e, "no loaded applet provides service 'nope'");
}

#[test]
fn two_libraries_side_by_side() {
    // Each load returns its own module (load_from_file would return the
    // first library's for every path).
    let h = load(lib("applet_hello")).expect("hello");
    let p = load(lib("applet_panicky")).expect("panicky");
    assert_eq!((h.name(), p.name()), ("hello", "panicky"));
    let reg = registry(&["applet_hello", "applet_panicky"]);
    let names: Vec<&str> = reg.services().map(|s| s.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "echo",
            "framing-header",
            "hello",
            "longpoll",
            "never-ends",
            "no-head",
            "panic",
            "panic-init",
            "panic-release",
            "silent",
            "tcp-panic",
            "tcp-panic-init",
            "too-long",
            "too-short"
        ]
    );
    assert_eq!(reg.service("panic").map(|s| s.lib.name()), Some("panicky"));
    assert_eq!(reg.service("echo").map(|s| s.lib.name()), Some("hello"));
    let listing = reg.describe();
    assert!(listing.contains("hello (http-service)"), "{listing}");
    assert!(listing.contains("echo (tcp-service)"), "{listing}");
    let mut a = adapter(&reg, "hello", &["x"]);
    hand_request(&mut a, GET);
    assert_eq!(call(&mut a, b"", false, 1000).wait, AppletWait::Done);
    assert_eq!(a.failed(), None);
}

#[test]
fn a_panic_in_an_applet_is_contained() {
    let reg = registry(&["applet_panicky"]);
    let mut a = adapter(&reg, "panic", &[]);
    let c = call(&mut a, GET, false, 1000);
    assert_eq!(c.wait, AppletWait::Done);
    assert!(c.out.is_empty());
    let why = a.failed().expect("failure recorded").to_string();
    assert!(why.contains("'panic'"), "{why}");
    assert!(why.contains("panicked"), "{why}");
    assert!(why.contains("deliberate panic in on_io"), "{why}");
    assert!(why.contains("lib.rs"), "location expected: {why}");
    // Not called again; the process is still here.
    assert_eq!(call(&mut a, GET, true, 1000).wait, AppletWait::Done);
    a.release();
    assert_eq!(a.failed(), Some(why.as_str()));

    let e = reg.create_adapter("panic-init", &[], table()).unwrap_err();
    assert!(e.contains("deliberate panic in the constructor"), "{e}");

    let mut a = adapter(&reg, "panic-release", &[]);
    assert_eq!(call(&mut a, GET, false, 1000).wait, AppletWait::Done);
    a.release();
    let why = a.failed().expect("release failure recorded");
    assert!(why.contains("deliberate panic in release"), "{why}");
    drop(a); // Drop panics too, inside the library; contained there.
}

#[test]
fn an_applet_built_against_another_sdk_version_is_refused() {
    let path = lib("applet_incompatible");
    let e = load(&path).unwrap_err();
    assert!(matches!(e, LoadError::Version { .. }), "{e:?}");
    assert_eq!(
        e.to_string(),
        format!(
            "applet '{}': built with applet-sdk 0.1.0, this proxy expects {}",
            path.display(),
            expected_sdk_version()
        )
    );
}

#[test]
fn a_plain_c_library_is_not_an_applet() {
    let path = lib("notapplet");
    let e = load(&path).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "applet '{}': not an applet (no applet-sdk root module exported)",
            path.display()
        )
    );
}

#[test]
fn a_text_file_or_a_missing_file_is_refused_clearly() {
    let d = scratch("text");
    let path = d.join("libfake.so");
    std::fs::write(&path, "this is not a shared library\n").expect("write");
    let e = load(&path).unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, LoadError::Open { .. }), "{e:?}");
    assert!(
        msg.starts_with(&format!("applet '{}': cannot load: ", path.display())),
        "{msg}"
    );
    assert!(!msg.contains('\n'), "{msg}");
    assert!(msg.len() > format!("applet '{}': cannot load: ", path.display()).len() + 3);

    let missing = d.join("libmissing.so");
    let msg = load(&missing).unwrap_err().to_string();
    assert!(msg.contains("libmissing.so"), "{msg}");
    assert!(msg.contains("cannot load"), "{msg}");

    // A directory named explicitly is strict.
    let e = AppletRegistry::new().load_dir(&d).unwrap_err();
    assert!(e.contains("libfake.so"), "{e}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn a_service_provided_twice_names_both_files() {
    let d = scratch("dup");
    let orig = lib("applet_hello");
    let copy = d.join("libhello_copy.so");
    std::fs::copy(&orig, &copy).expect("copy");
    let mut reg = AppletRegistry::new();
    reg.load_file(&orig).expect("first");
    // The same file again is no conflict.
    reg.load_file(&orig).expect("same file twice");
    let e = reg.load_file(&copy).unwrap_err();
    assert!(e.contains(&orig.display().to_string()), "{e}");
    assert!(e.contains(&copy.display().to_string()), "{e}");
    assert!(e.contains("'hello'"), "{e}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn the_executable_directory_is_searched_leniently() {
    let d = scratch("lenient");
    for (from, to) in [
        ("applet_panicky", "libapplet_panicky.so"),
        ("applet_incompatible", "libapplet_incompatible.so"),
        ("notapplet", "libnotapplet.so"),
    ] {
        std::fs::copy(lib(from), d.join(to)).expect("copy");
    }
    std::fs::write(d.join("libtext.so"), "text").expect("write");
    let mut reg = AppletRegistry::new();
    reg.load_dir_lenient(&d).expect("lenient");
    assert!(reg.service("panic").is_some());
    assert_eq!(reg.libraries().len(), 1);
    assert_eq!(reg.warnings().len(), 1, "{:?}", reg.warnings());
    assert!(reg.warnings()[0].contains("0.1.0"), "{:?}", reg.warnings());
    let _ = std::fs::remove_dir_all(&d);
}
