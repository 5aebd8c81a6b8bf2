//! An applet object from a library, behind the core's applet trait.
//!
//! Each call lends the applet the request bytes, a response buffer (the
//! core's `Vec` itself, turned into an `RVec` and back without copying)
//! and the stream's identity; the applet's `Wait` becomes an
//! [`AppletWait`]. When the applet fails (an error, a caught panic, or a
//! broken contract such as writing past its room) the adapter records why
//! in [`AppletAdapter::failed`], releases and drops the applet, and returns
//! [`AppletWait::Done`] from then on: the caller checks `failed()` to end
//! the stream with an error instead of a normal end.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use abi_stable::std_types::{RNone, RSlice, RString, RVec};
use applet_sdk::{AppletBox, HttpOut, IoCtx, ServiceFlags, StreamInfo, WaitKind};

use super::http_codec::HttpCodec;
use crate::http::head::RequestHead;
use crate::http::BodyKind;
use crate::stream::{Applet, AppletIo, AppletWait};

/// The names and addresses an applet sees of its stream, as the ABI
/// carries them. Made once per client connection and shared by the
/// instances serving its requests.
#[derive(Debug, Default)]
pub struct StreamNames {
    frontend: RString,
    backend: RString,
    client: RString,
    local: RString,
    src: Option<SocketAddr>,
    dst: Option<SocketAddr>,
}

impl StreamNames {
    pub fn new(
        frontend: &str,
        backend: &str,
        src: Option<SocketAddr>,
        dst: Option<SocketAddr>,
    ) -> StreamNames {
        StreamNames {
            frontend: frontend.into(),
            backend: backend.into(),
            client: addr(src),
            local: addr(dst),
            src,
            dst,
        }
    }

    /// Whether these names still describe a stream from `src` to `dst`
    /// (`set-src` changes the client's address for one request).
    pub fn fits(&self, src: Option<SocketAddr>, dst: Option<SocketAddr>) -> bool {
        self.src == src && self.dst == dst
    }
}

/// The stream's identity.
#[derive(Debug, Default)]
struct StreamMeta {
    id: u64,
    names: Arc<StreamNames>,
}

/// A library applet as a [`crate::stream::Applet`].
pub struct AppletAdapter {
    service: Arc<str>,
    library: Arc<str>,
    applet: Option<AppletBox>,
    failed: Option<String>,
    stream: StreamMeta,
    flags: ServiceFlags,
    /// An HTTP service's transaction, once [`AppletAdapter::set_http_request`]
    /// handed it the request; without it the applet reads and writes bytes.
    /// (Inline: the adapter is boxed once already, by its registration.)
    http: Option<HttpCodec>,
}

impl fmt::Debug for AppletAdapter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AppletAdapter")
            .field("service", &self.service)
            .field("library", &self.library)
            .field("live", &self.applet.is_some())
            .field("failed", &self.failed)
            .finish()
    }
}

/// `ip:port` as the applet sees it. IPv4 (the common case) is written by
/// hand into one right-sized allocation: going through `fmt` costs a few
/// percent of an applet-served request (two addresses each).
fn addr(a: Option<SocketAddr>) -> RString {
    match a {
        Some(SocketAddr::V4(v4)) => {
            fn num(out: &mut String, n: u16) {
                if n >= 10 {
                    num(out, n / 10);
                }
                out.push(char::from(b'0' + (n % 10) as u8));
            }
            let mut s = String::with_capacity(21);
            for (i, o) in v4.ip().octets().iter().enumerate() {
                if i > 0 {
                    s.push('.');
                }
                num(&mut s, u16::from(*o));
            }
            s.push(':');
            num(&mut s, v4.port());
            RString::from(s)
        }
        Some(a) => RString::from(a.to_string()),
        None => RString::new(),
    }
}

impl AppletAdapter {
    /// Wraps an applet object; `library` names its file in messages,
    /// `flags` are its service's.
    pub fn new(
        service: Arc<str>,
        library: Arc<str>,
        applet: AppletBox,
        flags: ServiceFlags,
    ) -> AppletAdapter {
        AppletAdapter {
            service,
            library,
            applet: Some(applet),
            failed: None,
            stream: StreamMeta::default(),
            flags,
            http: None,
        }
    }

    /// The stream the applet serves, as the applet sees it in every call.
    pub fn set_stream(&mut self, id: u64, names: Arc<StreamNames>) {
        self.stream = StreamMeta { id, names };
    }

    /// Whether its stream must be wakeable through the host's `wake`.
    pub fn wakeable(&self) -> bool {
        self.flags.contains(ServiceFlags::WAKEABLE)
    }

    /// Whether the service takes the request as bytes
    /// ([`ServiceFlags::RAW_HTTP`]) rather than parsed.
    pub fn raw_http(&self) -> bool {
        self.flags.contains(ServiceFlags::RAW_HTTP)
    }

    /// Hands an HTTP service its request: `head` holds the head as it
    /// would go to a server (`parsed` spans into it), `body` its framing.
    /// From then on the input is the framed body and the output the
    /// framed response (see [`HttpCodec`]).
    pub fn set_http_request(
        &mut self,
        head: Vec<u8>,
        parsed: &RequestHead,
        body: BodyKind,
        expect_100: bool,
    ) {
        self.http = Some(HttpCodec::new(head, parsed, body, expect_100));
    }

    /// Why the applet failed, if it did (one line, naming the service and
    /// its library).
    pub fn failed(&self) -> Option<&str> {
        self.failed.as_deref()
    }

    /// The library file the applet comes from.
    pub fn library(&self) -> &str {
        &self.library
    }

    fn fail(&mut self, why: impl fmt::Display) {
        // Released at once: it will not be called again. Its own error is
        // secondary to the one that failed it, but worth telling.
        let release = match self.applet.take().map(|mut a| a.release().into_result()) {
            Some(Err(e)) => format!(" (and its release {e})"),
            _ => String::new(),
        };
        if self.failed.is_none() {
            self.failed = Some(format!(
                "applet service '{}' ('{}'): {why}{release}",
                self.service, self.library
            ));
        }
    }
}

impl Applet for AppletAdapter {
    fn name(&self) -> &str {
        &self.service
    }

    fn failure(&self) -> Option<String> {
        self.failed.clone()
    }

    fn on_io(&mut self, io: &mut AppletIo<'_>) -> AppletWait {
        let Some(applet) = self.applet.as_mut() else {
            return AppletWait::Done;
        };
        let s = &self.stream.names;
        let stream = StreamInfo {
            id: self.stream.id,
            frontend: s.frontend.as_rstr(),
            backend: s.backend.as_rstr(),
            client_addr: s.client.as_rstr(),
            local_addr: s.local.as_rstr(),
        };
        if let Some(codec) = self.http.as_mut() {
            return match codec.call(applet, stream, io) {
                Ok(w) => w,
                Err(why) => {
                    self.fail(why);
                    AppletWait::Done
                }
            };
        }
        let start = io.consumed.min(io.input.len());
        let input = &io.input[start..];
        let mut out: RVec<u8> = std::mem::take(io.output).into();
        let before = out.len();
        let mut response = HttpOut::default();
        let mut ctx = IoCtx {
            input: RSlice::from_slice(input),
            consumed: 0,
            input_closed: io.input_closed,
            room: io.room,
            output: &mut out,
            stream,
            request: RNone,
            response: &mut response,
        };
        let result = applet.on_io(&mut ctx).into_result();
        let consumed = ctx.consumed.min(input.len());
        *io.output = out.into_vec();
        io.consumed = start + consumed;
        let after = io.output.len();
        if after < before {
            self.fail("removed output it did not write");
            return AppletWait::Done;
        }
        let written = after - before;
        if written > io.room {
            io.output.truncate(before + io.room);
            let room = io.room;
            io.room = 0;
            self.fail(format_args!("wrote {written} bytes with room for {room}"));
            return AppletWait::Done;
        }
        io.room -= written;
        let wait = match result {
            Ok(w) => w,
            Err(e) => {
                self.fail(e);
                return AppletWait::Done;
            }
        };
        match wait.kind {
            WaitKind::INPUT => AppletWait::Input,
            WaitKind::ROOM => AppletWait::Room,
            WaitKind::TIMER => AppletWait::Timer(Duration::from_millis(wait.timer_ms)),
            WaitKind::DONE => AppletWait::Done,
            WaitKind(other) => {
                self.fail(format_args!("unknown wait kind {other}"));
                AppletWait::Done
            }
        }
    }

    fn release(&mut self) {
        if let Some(mut a) = self.applet.take() {
            if let Err(e) = a.release().into_result() {
                if self.failed.is_none() {
                    self.failed = Some(format!(
                        "applet service '{}' ('{}'): release {e}",
                        self.service, self.library
                    ));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::addr;
    use std::net::SocketAddr;

    #[test]
    fn addresses_are_written_as_display_writes_them() {
        for a in [
            "0.0.0.0:0",
            "127.0.0.1:8080",
            "255.255.255.255:65535",
            "10.20.3.104:9",
            "[::1]:443",
            "[2001:db8::1]:80",
        ] {
            let sa: SocketAddr = a.parse().expect("address");
            assert_eq!(addr(Some(sa)).as_str(), sa.to_string());
        }
        assert_eq!(addr(None).as_str(), "");
    }
}
