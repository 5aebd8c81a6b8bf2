//! applet-sdk: the stable ABI between the proxy and its applets.
//!
//! An applet is a `cdylib` the proxy loads at start-up; it provides named
//! services (an HTTP answer, a TCP protocol, a CLI, the peers protocol)
//! that the configuration attaches to streams in place of a server
//! connection (`http-request use-service <name>`, `stats uri`, ...). This
//! crate is the only one an applet depends on.
//!
//! As an author you write a plain Rust type implementing [`AppletImpl`]
//! (a non-blocking state machine: read [`Io::input`], [`Io::write`] the
//! answer, return a [`Wait`]) and name its constructor in
//! [`export_applet!`]. The macro writes the root module, the service list
//! and the constructor dispatch, and wraps every entry point in
//! `catch_unwind`, so a panic in your code fails one stream instead of
//! stopping the proxy.
//!
//! # Example
//!
//! `Cargo.toml`:
//!
//! ```toml
//! [package]
//! name = "my-applet"
//! version = "0.1.0"
//! edition = "2021"
//!
//! [lib]
//! crate-type = ["cdylib"]
//!
//! [dependencies]
//! applet-sdk = "0.1"
//!
//! [profile.release]
//! panic = "unwind"   # never "abort": panics must be catchable
//! ```
//!
//! `src/lib.rs`:
//!
//! ```
//! use applet_sdk::{applet_info, export_applet, AppletImpl, Host, Io, ServiceKind, Wait};
//!
//! /// Answers every HTTP request with a fixed body.
//! struct Hello {
//!     /// The response not written yet.
//!     pending: Vec<u8>,
//!     answered: bool,
//! }
//!
//! impl Hello {
//!     fn new(args: &[String], host: Host) -> Result<Hello, String> {
//!         let body = args.first().map(String::as_str).unwrap_or("hello\n");
//!         applet_info!(host, "hello: answering {} bytes", body.len());
//!         let head = format!(
//!             "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
//!             body.len()
//!         );
//!         Ok(Hello { pending: [head.as_bytes(), body.as_bytes()].concat(), answered: false })
//!     }
//! }
//!
//! impl AppletImpl for Hello {
//!     fn on_io(&mut self, io: &mut Io<'_>) -> Wait {
//!         if !self.answered {
//!             // Without a parsed head from the host, wait for the raw one.
//!             if io.request().is_none() {
//!                 let input = io.input();
//!                 match input.windows(4).position(|w| w == b"\r\n\r\n") {
//!                     Some(end) => io.consume(end + 4),
//!                     None if io.input_closed() => return Wait::DONE,
//!                     None => return Wait::INPUT,
//!                 }
//!             }
//!             self.answered = true;
//!         }
//!         let n = io.write(&self.pending);
//!         self.pending.drain(..n);
//!         if self.pending.is_empty() { Wait::DONE } else { Wait::ROOM }
//!     }
//! }
//!
//! export_applet! {
//!     name: "my-applet",
//!     version: "0.1.0", // usually env!("CARGO_PKG_VERSION")
//!     services: [
//!         ("hello", ServiceKind::HTTP_SERVICE, "answers 200 with a fixed body", Hello::new),
//!     ],
//! }
//! # fn main() {}
//! ```
//!
//! Build with `cargo build --release`, copy `target/release/libmy_applet.so`
//! next to the `proxy` binary (or into a directory given with
//! `--applet-dir`, or name it with the global `applet-load` keyword), and
//! use it: `http-request use-service hello "hi there"`.
//!
//! # Compatibility
//!
//! While this crate is `0.y`, the proxy and every applet must be built
//! against the same `0.y` (0.1.x with 0.1.x): the proxy refuses anything
//! else at start-up, naming both versions. From 1.0, an applet built
//! against any 1.x loads in a proxy built against any 1.x: the root module,
//! [`HostServices`] and the [`Applet`] trait only grow by appending.
//!
//! # What crosses the boundary
//!
//! Only the `#[repr(C)]` types of this crate and `abi_stable`'s `R*`
//! types. No future, waker, tokio handle or `tracing` dispatcher: the proxy
//! owns the runtime and every socket; an applet is called synchronously
//! with borrowed data and must not keep any of it past the call. Log with
//! [`applet_info!`] and friends (the applet's own `tracing`/`log` statics
//! are not the proxy's and print nothing).
#![allow(non_local_definitions)] // #[sabi_trait] / StableAbi expansions

mod abi;
mod author;
mod host;
mod io;
mod macros;
pub mod peers;
pub mod tables;
#[cfg(feature = "testing")]
pub mod testing;

pub use abi::{
    Applet, AppletBox, AppletError, AppletLib, AppletLib_Prefix, AppletLib_Ref, Applet_TO,
    CreateFn, Header, HttpOut, IoCtx, OwnedHeader, RequestHead, ResponseStart, ServiceFlags,
    ServiceInfo, ServiceKind, StreamInfo, Wait, WaitKind, SDK_ABI_VERSION,
};
pub use author::AppletImpl;
pub use host::{
    cli_level, field, metric, AdminCmd, AdminOp, Field, Host, HostServices, HostServices_Prefix,
    HostServices_Ref, LogLevel, Metric, PoolSnapshot, ProcessSnapshot, ProxyKind, ProxyMode,
    ProxySnapshot, ServerSnapshot, ServerState, SiSnapshot, StreamSnapshot, TableCmd, TableOp,
};
pub use io::{Io, Request, Response, ServiceSpec, Stream, WriteError};
pub use tables::{StickColumn, StickEntry, StickQuery, StickTableInfo, StickValue, StickValueKind};

/// The `abi_stable` this SDK is built on, for hosts and advanced uses
/// (applets written with [`export_applet!`] never need it).
pub use abi_stable;

#[doc(hidden)]
pub use author::{__private, Shim};

#[cfg(test)]
mod tests;
