//! Test fixture: services that panic, to prove that a panic inside an
//! applet fails one stream and leaves the proxy running.
//!
//! - `panic`: panics in its first `on_io`.
//! - `panic-init`: panics in its constructor.
//! - `tcp-panic`, `tcp-panic-init`: the same as TCP services.
//! - `panic-release`: answers nothing, then panics in `release` and in
//!   `Drop`.

use applet_sdk::{export_applet, AppletImpl, Host, Io, ServiceKind, Wait};

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
    ],
}
