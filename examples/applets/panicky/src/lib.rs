//! Test fixture: services that panic, to prove that a panic inside an
//! applet fails one stream and leaves the proxy running.
//!
//! - `panic`: panics in its first `on_io`.
//! - `panic-init`: panics in its constructor.
//! - `tcp-panic`, `tcp-panic-init`: the same as TCP services.
//! - `panic-release`: answers nothing, then panics in `release` and in
//!   `Drop`.
//! - HTTP services that break their response, each in one way the proxy
//!   must catch: `too-long` (more body than announced), `too-short` (ends
//!   early), `no-head` (body without a head), `framing-header` (sets
//!   `Content-Length` itself), `silent` (never answers), `never-ends`
//!   (starts a chunked answer and never ends it).

use applet_sdk::{export_applet, AppletImpl, Host, Io, Response, ServiceKind, Wait};

struct Panic;

impl AppletImpl for Panic {
    fn on_io(&mut self, _io: &mut Io<'_>) -> Wait {
        panic!("panicky applet: deliberate panic in on_io")
    }
}

struct PanicRelease;

impl AppletImpl for PanicRelease {
    fn on_io(&mut self, _io: &mut Io<'_>) -> Wait {
        Wait::DONE
    }

    fn release(&mut self) {
        panic!("panicky applet: deliberate panic in release")
    }
}

impl Drop for PanicRelease {
    fn drop(&mut self) {
        panic!("panicky applet: deliberate panic in drop")
    }
}

/// Breaks its response in the way its name says.
struct Broken(&'static str);

impl AppletImpl for Broken {
    fn on_io(&mut self, io: &mut Io<'_>) -> Wait {
        if io.head_sent() {
            return Wait::INPUT;
        }
        let _ = match self.0 {
            "too-long" => io
                .send_head(Response::new(200).length(2))
                .and_then(|()| io.write_all(b"abcdef")),
            "too-short" => io
                .send_head(Response::new(200).length(10))
                .and_then(|()| io.write_all(b"abc")),
            "no-head" => io.write_all(b"body first"),
            "framing-header" => io.send_head(Response::new(200).header("Content-Length", "3")),
            "never-ends" => io
                .send_head(Response::new(200))
                .and_then(|()| io.write_all(b"partial")),
            _ => return Wait::INPUT, // silent
        };
        match self.0 {
            "too-short" => {
                io.end();
                Wait::DONE
            }
            "never-ends" => Wait::INPUT,
            _ => Wait::DONE,
        }
    }
}

fn broken(name: &'static str) -> impl Fn(&[String], Host) -> Result<Broken, String> {
    move |_, _| Ok(Broken(name))
}

fn panic(_args: &[String], _host: Host) -> Result<Panic, String> {
    Ok(Panic)
}

fn panic_init(_args: &[String], _host: Host) -> Result<Panic, String> {
    panic!("panicky applet: deliberate panic in the constructor")
}

fn panic_release(_args: &[String], _host: Host) -> Result<PanicRelease, String> {
    Ok(PanicRelease)
}

export_applet! {
    name: "panicky",
    version: env!("CARGO_PKG_VERSION"),
    services: [
        ("panic", ServiceKind::HTTP_SERVICE, "panics while answering", panic),
        ("panic-init", ServiceKind::HTTP_SERVICE, "panics in its constructor", panic_init),
        ("panic-release", ServiceKind::HTTP_SERVICE, "panics in release and drop", panic_release),
        ("tcp-panic", ServiceKind::TCP_SERVICE, "panics while serving a connection", panic),
        ("tcp-panic-init", ServiceKind::TCP_SERVICE, "panics in its constructor", panic_init),
        ("too-long", ServiceKind::HTTP_SERVICE, "sends more body than it announced", broken("too-long")),
        ("too-short", ServiceKind::HTTP_SERVICE, "ends before the length it announced", broken("too-short")),
        ("no-head", ServiceKind::HTTP_SERVICE, "writes body without a head", broken("no-head")),
        ("framing-header", ServiceKind::HTTP_SERVICE, "sets Content-Length itself", broken("framing-header")),
        ("silent", ServiceKind::HTTP_SERVICE, "never answers", broken("silent")),
        ("never-ends", ServiceKind::HTTP_SERVICE, "starts an answer and never ends it", broken("never-ends")),
    ],
}
