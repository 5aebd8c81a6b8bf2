//! Test fixture: an ordinary applet, but built against applet-sdk 0.1.0
//! (the `sdk-v01` copy). A proxy built against 0.2.x must refuse it with a
//! message naming both versions.

use applet_sdk::{export_applet, AppletImpl, Host, Io, ServiceKind, Wait};

struct Nothing;

impl AppletImpl for Nothing {
    fn on_io(&mut self, _io: &mut Io<'_>) -> Wait {
        Wait::DONE
    }
}

fn nothing(_args: &[String], _host: Host) -> Result<Nothing, String> {
    Ok(Nothing)
}

export_applet! {
    name: "incompatible",
    version: env!("CARGO_PKG_VERSION"),
    services: [
        ("incompatible", ServiceKind::HTTP_SERVICE, "built against applet-sdk 0.1.0", nothing),
    ],
}
