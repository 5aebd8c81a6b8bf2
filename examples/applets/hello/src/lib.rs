//! Example applet, built only against `applet-sdk`.
//!
//! - `hello` (HTTP service): answers every request with `200 OK` and a
//!   fixed body, its first argument (default `Hello, world!\n`), with a
//!   `Content-Length` so that the client connection stays usable for the
//!   next request. `HEAD` gets the same head and no body.
//! - `echo` (TCP service): sends back everything it receives until the
//!   client closes its side.
//!
//! Configuration: `http-request use-service hello "hi there"`,
//! `tcp-request content use-service echo`.

use applet_sdk::{applet_debug, export_applet, AppletImpl, Host, Io, ServiceKind, Wait};

const DEFAULT_BODY: &str = "Hello, world!\n";

/// Where a `hello` instance is in its one transaction.
enum Phase {
    /// Waiting for the request head (when the host passed raw bytes).
    Head,
    /// Reading and dropping the request body.
    Body { left: usize },
    /// Writing the response.
    Answer,
}

struct Hello {
    body: String,
    phase: Phase,
    head_only: bool,
    pending: Vec<u8>,
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
        Ok(Hello {
            body,
            phase: Phase::Head,
            head_only: false,
            pending: Vec::new(),
        })
    }

    fn prepare(&mut self) {
        let mut out = format!(
            "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\r\n",
            self.body.len()
        )
        .into_bytes();
        if !self.head_only {
            out.extend_from_slice(self.body.as_bytes());
        }
        self.pending = out;
        self.phase = Phase::Answer;
    }
}

/// The request's method and body length from a raw head, if complete.
/// Returns (head length, method is HEAD, content length).
fn parse_raw_head(input: &[u8]) -> Option<(usize, bool, usize)> {
    let end = input.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = String::from_utf8_lossy(&input[..end]);
    let head_only = head.starts_with("HEAD ");
    let len = head
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .find(|(n, _)| n.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse().ok())
        .unwrap_or(0);
    Some((end, head_only, len))
}

impl AppletImpl for Hello {
    fn on_io(&mut self, io: &mut Io<'_>) -> Wait {
        if let Phase::Head = self.phase {
            if let Some(req) = io.request() {
                self.head_only = req.method() == "HEAD";
                let left = req
                    .header("content-length")
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                self.phase = Phase::Body { left };
            } else {
                match parse_raw_head(io.input()) {
                    Some((head_len, head_only, left)) => {
                        io.consume(head_len);
                        self.head_only = head_only;
                        self.phase = Phase::Body { left };
                    }
                    None if io.input_closed() => return Wait::DONE,
                    None => return Wait::INPUT,
                }
            }
        }
        if let Phase::Body { left } = self.phase {
            let n = left.min(io.input().len());
            io.consume(n);
            if n < left && !io.input_closed() {
                self.phase = Phase::Body { left: left - n };
                return Wait::INPUT;
            }
            self.prepare();
        }
        let n = io.write(&self.pending);
        self.pending.drain(..n);
        if self.pending.is_empty() {
            Wait::DONE
        } else {
            Wait::ROOM
        }
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
