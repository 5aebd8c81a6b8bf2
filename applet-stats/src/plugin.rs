//! The three services this library exports (see `export_applet!` in
//! `lib.rs`), as non-blocking applets over the host's data:
//!
//! * `stats-cli` ([`Cli`]): the stats socket protocol; argument `level=<l>`
//!   (`user`, `operator`, `admin`; default `operator`).
//! * `stats-page` ([`StatsPage`], in [`crate::page`]): the HTTP stats
//!   page with its variants, basic auth and the admin form.
//! * `prometheus-exporter` ([`Prometheus`]): HAProxy's exposition.
//!
//! The HTTP services get the parsed request (and the admin form's
//! de-framed body) from the SDK and answer through its response writer
//! (see [`crate::answer`]); the proxy frames the response.

use applet_sdk::{AppletImpl, Host, Io, Wait};

use crate::answer::send;
use crate::api::Source;
use crate::cli::{CliSession, Level};
use crate::host_source::HostData;
use crate::prom::PromOptions;

pub use crate::page::StatsPage;

/// Writes what fits of `pending` (from `*pos`); `true` once all is out.
fn flush(io: &mut Io<'_>, pending: &[u8], pos: &mut usize) -> bool {
    if *pos < pending.len() {
        *pos += io.write(&pending[*pos..]);
    }
    *pos >= pending.len()
}

/// `stats-cli`: one stats-socket connection.
pub struct Cli {
    data: HostData,
    session: CliSession,
    out: Vec<u8>,
    pos: usize,
    closing: bool,
}

impl Cli {
    pub fn new(args: &[String], host: Host) -> Result<Cli, String> {
        let mut level = Level::Operator;
        for a in args {
            let v = a.strip_prefix("level=").unwrap_or(a);
            level = Level::parse(v).ok_or_else(|| format!("stats-cli: unknown level '{v}'"))?;
        }
        Ok(Cli {
            data: HostData::new(host),
            session: CliSession::new(level),
            out: Vec::new(),
            pos: 0,
            closing: false,
        })
    }

    fn run(&mut self, bytes: &[u8]) {
        let o = self.session.feed(bytes, &self.data, &self.data);
        if self.pos == self.out.len() {
            self.out.clear();
            self.pos = 0;
        }
        self.out.extend_from_slice(o.text.as_bytes());
        self.closing |= o.close;
    }
}

impl AppletImpl for Cli {
    fn on_io(&mut self, io: &mut Io<'_>) -> Wait {
        // Answer what was asked before reading more: a client that sends
        // faster than it reads is throttled by its own output.
        if !flush(io, &self.out, &mut self.pos) {
            return Wait::ROOM;
        }
        if !self.closing {
            let input = io.input();
            if !input.is_empty() {
                let n = input.len();
                self.run(input);
                io.consume(n);
            } else if io.input_closed() {
                // A command is only run once its line is complete: a
                // client that closes mid-line (or is cut off) must not
                // have half a command executed, as HAProxy drops it too.
                self.closing = true;
            }
        }
        if !flush(io, &self.out, &mut self.pos) {
            return Wait::ROOM;
        }
        if self.closing {
            Wait::DONE
        } else {
            Wait::INPUT
        }
    }
}

/// `prometheus-exporter`: HAProxy's metrics in the text exposition format.
pub struct Prometheus {
    data: HostData,
}

impl Prometheus {
    pub fn new(_args: &[String], host: Host) -> Result<Prometheus, String> {
        Ok(Prometheus {
            data: HostData::new(host),
        })
    }
}

/// What the query string asks for: `scope=<s>` (repeatable; `*` is all)
/// and `no-maint`.
fn prom_options(query: &str) -> PromOptions {
    let mut o = PromOptions::default();
    let scopes: Vec<&str> = query
        .split('&')
        .filter_map(|kv| kv.strip_prefix("scope="))
        .collect();
    if !scopes.is_empty() {
        o = PromOptions {
            global: false,
            frontend: false,
            listener: false,
            backend: false,
            server: false,
            no_maint: false,
        };
        for s in scopes {
            match s {
                "global" => o.global = true,
                "frontend" => o.frontend = true,
                "listener" => o.listener = true,
                "backend" => o.backend = true,
                "server" => o.server = true,
                "*" => o = PromOptions::default(),
                _ => {}
            }
        }
    }
    o.no_maint = query.split('&').any(|kv| kv == "no-maint");
    o
}

impl AppletImpl for Prometheus {
    fn on_io(&mut self, io: &mut Io<'_>) -> Wait {
        let Some(req) = io.request() else {
            io.fail("prometheus-exporter: called without an HTTP request");
            return Wait::DONE;
        };
        let o = prom_options(req.query());
        let body = crate::prom::render(&self.data.info(), &self.data.stats(), &o);
        let headers = [
            ("cache-control", "no-cache".to_string()),
            ("content-type", "text/plain; version=0.0.4".to_string()),
        ];
        send(io, &req, (200, "OK"), &headers, body.as_bytes());
        Wait::DONE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_scopes() {
        assert_eq!(prom_options(""), PromOptions::default());
        let o = prom_options("scope=backend&scope=server&no-maint");
        assert!(o.backend && o.server && o.no_maint && !o.global && !o.frontend);
        assert_eq!(prom_options("scope=global&scope=*"), PromOptions::default());
    }
}
