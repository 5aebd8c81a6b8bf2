//! Example applet, built only against `applet-sdk`: a key/value store
//! over HTTP.
//!
//! - `PUT /<key>` stores the request body: `201 Created` for a new key,
//!   `204 No Content` when it replaced a value;
//! - `GET /<key>` answers the value (`200`, `application/octet-stream`),
//!   `HEAD` the same without the body, `404` for a missing key;
//! - `DELETE /<key>` removes it (`204`, `404` when missing);
//! - any other method gets `405` with an `allow` header.
//!
//! A body over the limit (1 MiB, or the service's argument in bytes) is
//! answered `413`: at once when its `Content-Length` says so, without
//! reading it (the proxy then sends no `100 Continue` and drops the body),
//! or as soon as a chunked upload passes the limit.
//!
//! The proxy parses the request and frames the answer: this applet never
//! sees a chunk size or writes a `Content-Length`. Values live in a
//! process-wide map, since one instance serves one request.
//!
//! Configuration: `http-request use-service kv` or
//! `http-request use-service kv 4096`.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};

use applet_sdk::{applet_debug, export_applet, AppletImpl, Host, Io, Response, ServiceKind, Wait};

/// The default size limit of a value.
pub const DEFAULT_LIMIT: usize = 1 << 20;

/// Every value, by key (the path without its leading `/`).
static STORE: LazyLock<Mutex<HashMap<String, Vec<u8>>>> = LazyLock::new(Mutex::default);

fn store() -> MutexGuard<'static, HashMap<String, Vec<u8>>> {
    // A panic while the lock was held cannot leave the map half-changed.
    STORE.lock().unwrap_or_else(PoisonError::into_inner)
}

/// One request.
pub struct Kv {
    limit: usize,
    /// The body of a `PUT` received so far.
    upload: Vec<u8>,
}

impl Kv {
    /// `args`: nothing, or the size limit in bytes.
    pub fn new(args: &[String], host: Host) -> Result<Kv, String> {
        let limit = match args {
            [] => DEFAULT_LIMIT,
            [n] => n
                .parse()
                .map_err(|_| format!("kv: size limit '{n}' is not a number of bytes"))?,
            _ => return Err(format!("kv takes at most one argument, got {}", args.len())),
        };
        applet_debug!(host, "kv: new instance, limit {limit} bytes");
        Ok(Kv {
            limit,
            upload: Vec::new(),
        })
    }

    /// Receives a `PUT` body, then stores it.
    fn put(&mut self, io: &mut Io<'_>, key: &str) -> Wait {
        let announced = io.request().and_then(|r| r.content_length());
        let body = io.body();
        if announced.is_some_and(|n| n > self.limit as u64)
            || self.upload.len() + body.len() > self.limit
        {
            return respond(io, 413, b"value too large\n");
        }
        self.upload.extend_from_slice(body);
        io.consume(body.len());
        if !io.body_ended() {
            return Wait::INPUT;
        }
        let value = std::mem::take(&mut self.upload);
        match store().insert(key.to_string(), value) {
            None => respond(io, 201, b""),
            Some(_) => respond(io, 204, b""),
        }
    }
}

impl AppletImpl for Kv {
    fn on_io(&mut self, io: &mut Io<'_>) -> Wait {
        let Some(req) = io.request() else {
            io.fail("kv is an HTTP service");
            return Wait::DONE;
        };
        let key = req.path().trim_start_matches('/');
        if key.is_empty() {
            return respond(io, 400, b"missing key: use /<key>\n");
        }
        match req.method() {
            "PUT" => self.put(io, key),
            "GET" | "HEAD" => {
                // Cloned so that the lock is not held while answering.
                let value = store().get(key).cloned();
                match value {
                    Some(v) => respond_typed(io, 200, "application/octet-stream", &v),
                    None => respond(io, 404, b"no such key\n"),
                }
            }
            "DELETE" => match store().remove(key) {
                Some(_) => respond(io, 204, b""),
                None => respond(io, 404, b"no such key\n"),
            },
            _ => {
                let msg = b"method not allowed\n";
                let head = Response::new(405)
                    .header("allow", "GET, HEAD, PUT, DELETE")
                    .header("content-type", "text/plain")
                    .length(msg.len() as u64);
                if io.send_head(head).is_err() || io.write_all(msg).is_err() {
                    io.fail("response refused");
                }
                io.end();
                Wait::DONE
            }
        }
    }
}

/// A whole answer with a text body (none when empty).
fn respond(io: &mut Io<'_>, status: u16, body: &[u8]) -> Wait {
    let content_type = if body.is_empty() { "" } else { "text/plain" };
    respond_typed(io, status, content_type, body)
}

fn respond_typed(io: &mut Io<'_>, status: u16, content_type: &str, body: &[u8]) -> Wait {
    if let Err(e) = io.respond(status, content_type, body) {
        io.fail(e.to_string());
    }
    Wait::DONE
}

export_applet! {
    name: "kv",
    version: env!("CARGO_PKG_VERSION"),
    services: [
        ("kv", ServiceKind::HTTP_SERVICE, "a key/value store: PUT, GET, HEAD, DELETE /<key> (argument: size limit in bytes)", Kv::new),
    ],
}

#[cfg(test)]
mod tests;
