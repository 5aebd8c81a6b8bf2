//! Example applet, built only against `applet-sdk`.
//!
//! - `hello` (HTTP service): answers every request with `200 OK` and a
//!   fixed body, its first argument (default `Hello, world!\n`), with a
//!   `Content-Length` so that the client connection stays usable for the
//!   next request. `HEAD` gets the same head and no body (the proxy drops
//!   it).
//! - `echo` (TCP service): sends back everything it receives until the
//!   client closes its side.
//!
//! Configuration: `http-request use-service hello "hi there"`,
//! `tcp-request content use-service echo`.

use applet_sdk::{applet_debug, export_applet, AppletImpl, Host, Io, ServiceKind, Wait};

const DEFAULT_BODY: &str = "Hello, world!\n";

struct Hello {
    body: String,
}

impl Hello {
    fn new(args: &[String], host: Host) -> Result<Hello, String> {
        if args.len() > 1 {
            return Err(format!(
                "hello takes at most one argument, got {}",
                args.len()
            ));
        }
        let body = args
            .first()
            .cloned()
            .unwrap_or_else(|| DEFAULT_BODY.to_string());
        applet_debug!(host, "hello: new instance, {} byte body", body.len());
        Ok(Hello { body })
    }
}

impl AppletImpl for Hello {
    fn on_io(&mut self, io: &mut Io<'_>) -> Wait {
        // The answer does not depend on the request: send it at once (the
        // proxy drops the body of a HEAD answer, and whatever request body
        // is not read).
        if !io.head_sent() && io.respond(200, "text/plain", self.body.as_bytes()).is_err() {
            io.fail("response refused");
        }
        Wait::DONE
    }
}

/// Echoes its input.
struct Echo;

impl Echo {
    fn new(args: &[String], _host: Host) -> Result<Echo, String> {
        match args {
            [] => Ok(Echo),
            _ => Err("echo takes no argument".to_string()),
        }
    }
}

impl AppletImpl for Echo {
    fn on_io(&mut self, io: &mut Io<'_>) -> Wait {
        let input = io.input();
        let n = io.write(input);
        io.consume(n);
        if n < input.len() {
            Wait::ROOM
        } else if io.input_closed() {
            Wait::DONE
        } else {
            Wait::INPUT
        }
    }
}

export_applet! {
    name: "hello",
    version: env!("CARGO_PKG_VERSION"),
    services: [
        ("hello", ServiceKind::HTTP_SERVICE, "answers 200 OK with a fixed body (first argument)", Hello::new),
        ("echo", ServiceKind::TCP_SERVICE, "echoes its input until the client closes", Echo::new),
    ],
}
