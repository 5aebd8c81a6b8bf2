//! What a stream interface can hold: nothing, a connection or an applet.
//!
//! One owner, by construction: an [`Endpoint`] lives inside exactly one
//! stream interface, replacing it drops the old one, and dropping a
//! connection closes its socket and gives it back to its pool. An applet's
//! release hook runs when its context is dropped, whichever path detaches it.

use std::time::Duration;

use crate::connection::Connection;

/// What an applet waits for after an I/O call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppletWait {
    /// More input from the request channel.
    Input,
    /// Room in the response channel.
    Room,
    /// A timer, then call again.
    Timer(Duration),
    /// The applet has finished its output.
    Done,
}

/// The I/O context an applet sees during one call.
pub struct AppletIo<'a> {
    /// Bytes available in the request channel.
    pub input: &'a [u8],
    /// How many bytes of `input` the applet consumed.
    pub consumed: usize,
    /// The client has closed its side: no more input will come.
    pub input_closed: bool,
    /// The response channel; the applet appends to it.
    pub output: &'a mut Vec<u8>,
    /// How many more bytes `output` may take in this call.
    pub room: usize,
}

impl AppletIo<'_> {
    /// Appends what fits in the room left; returns how much was taken.
    pub fn write(&mut self, data: &[u8]) -> usize {
        let n = data.len().min(self.room);
        self.output.extend_from_slice(&data[..n]);
        self.room -= n;
        n
    }
}

/// An applet as the core drives it. The stable-ABI plugins of a later
/// issue are wrapped into this trait; in-process applets implement it
/// directly.
pub trait Applet: Send {
    /// The service name, logged upper-case as the server (`<STATS>`).
    fn name(&self) -> &str;
    /// Called when input arrived, room freed or a requested timer fired.
    fn on_io(&mut self, io: &mut AppletIo<'_>) -> AppletWait;
    /// Runs once when the applet is detached from its stream interface.
    fn release(&mut self) {}
    /// Set once the applet failed (a plugin that panicked or returned an
    /// error); the stream then ends with an internal error.
    fn failure(&self) -> Option<String> {
        None
    }
}

/// An applet attached to a stream interface (HAProxy's `appctx`).
pub struct AppCtx {
    applet: Box<dyn Applet>,
}

impl AppCtx {
    pub fn new(applet: Box<dyn Applet>) -> AppCtx {
        AppCtx { applet }
    }

    pub fn applet(&mut self) -> &mut dyn Applet {
        self.applet.as_mut()
    }

    pub fn name(&self) -> &str {
        self.applet.name()
    }

    pub fn failure(&self) -> Option<String> {
        self.applet.failure()
    }
}

impl Drop for AppCtx {
    fn drop(&mut self) {
        self.applet.release();
    }
}

impl std::fmt::Debug for AppCtx {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppCtx")
            .field("applet", &self.applet.name())
            .finish()
    }
}

/// The endpoint of a stream interface.
#[derive(Debug, Default)]
pub enum Endpoint {
    #[default]
    None,
    Conn(Box<Connection>),
    Applet(AppCtx),
}

impl Endpoint {
    /// The type name `show sess` prints (`NONE`, `CONN`, `APPCTX`).
    pub fn type_name(&self) -> &'static str {
        match self {
            Endpoint::None => "NONE",
            Endpoint::Conn(_) => "CONN",
            Endpoint::Applet(_) => "APPCTX",
        }
    }

    pub fn conn(&self) -> Option<&Connection> {
        match self {
            Endpoint::Conn(c) => Some(c),
            _ => None,
        }
    }

    pub fn conn_mut(&mut self) -> Option<&mut Connection> {
        match self {
            Endpoint::Conn(c) => Some(c),
            _ => None,
        }
    }

    pub fn appctx_mut(&mut self) -> Option<&mut AppCtx> {
        match self {
            Endpoint::Applet(a) => Some(a),
            _ => None,
        }
    }

    /// An address that identifies the object for `show sess`.
    pub fn ptr(&self) -> usize {
        match self {
            Endpoint::None => 0,
            Endpoint::Conn(c) => &**c as *const Connection as usize,
            Endpoint::Applet(a) => a as *const AppCtx as usize,
        }
    }
}
