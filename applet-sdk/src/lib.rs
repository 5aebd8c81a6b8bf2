//! applet-sdk: the stable ABI between the proxy and its applets.
//!
//! An applet is a `cdylib` the proxy loads at start-up; it provides named
//! services (an HTTP answer, a TCP protocol, a CLI, the peers protocol)
//! that the configuration attaches to streams in place of a server
//! connection (`http-request use-service <name>`, `stats uri`, ...). This
//! crate is the only one an applet depends on.
//!
//! As an author you write a plain Rust type implementing [`AppletImpl`]
//! (a non-blocking state machine: read the [`Io`] input, write the answer,
//! return a [`Wait`]) and name its constructor in [`export_applet!`]. The
//! macro writes the root module, the service list and the constructor
//! dispatch, and wraps every entry point in `catch_unwind`, so a panic in
//! your code fails one stream instead of stopping the proxy.
//!
//! An HTTP service works at the level of HTTP: the proxy hands it the
//! parsed request ([`Io::request`]) and the de-framed body ([`Io::body`]),
//! and frames what it answers through the response writer
//! ([`Io::send_head`], [`Io::write_all`], [`Io::end`], or
//! [`Io::respond`]). A TCP service reads and writes bytes.
//!
//! # Modules
//!
//! - `abi`: the `#[repr(C)]` types that cross the boundary (root module,
//!   applet object, per-call context, request and response heads);
//! - `io`: [`Io`], [`Request`], [`Response`];
//! - `author`: [`AppletImpl`] and the wrapper (panic containment, output
//!   kept by `write_all`);
//! - `host`: [`Host`] and the host-services table;
//! - [`peers`]: the peers protocol's view of the host;
//! - [`peers_view`]: `show peers` as data, for a CLI applet;
//! - [`patterns`]: `show map` / `show acl` as data, for a CLI applet;
//! - `testing` (feature `testing`): run a service in-process in unit
//!   tests.
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
//! applet-sdk = "0.2"
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
//! /// Answers every HTTP request with a fixed body, and `/echo` with
//! /// the request's body.
//! struct Hello {
//!     body: String,
//!     echoed: Vec<u8>,
//! }
//!
//! impl Hello {
//!     fn new(args: &[String], host: Host) -> Result<Hello, String> {
//!         let body = args.first().cloned().unwrap_or_else(|| "hello\n".into());
//!         applet_info!(host, "hello: answering {} bytes", body.len());
//!         Ok(Hello { body, echoed: Vec::new() })
//!     }
//! }
//!
//! impl AppletImpl for Hello {
//!     fn on_io(&mut self, io: &mut Io<'_>) -> Wait {
//!         let echo = io.request().is_some_and(|r| r.path() == "/echo");
//!         if echo {
//!             // The body arrives de-framed, in pieces.
//!             let piece = io.body();
//!             self.echoed.extend_from_slice(piece);
//!             io.consume(piece.len());
//!             if !io.body_ended() {
//!                 return Wait::INPUT;
//!             }
//!         }
//!         let answer = if echo { self.echoed.clone() } else { self.body.clone().into_bytes() };
//!         // Head with Content-Length, body, end: the proxy frames it.
//!         if io.respond(200, "text/plain", &answer).is_err() {
//!             io.fail("answered twice");
//!         }
//!         Wait::DONE
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
//! against the same `0.y` (0.2.x with 0.2.x): the proxy refuses anything
//! else at start-up, naming the file and both versions. From 0.2.0 the
//! interface only grows by appending: the root module, [`HostServices`]
//! and the [`Applet`] trait gain fields and methods at their end (read as
//! `Option` by the other side), and the open-ended integer and list types
//! gain values.
//!
//! # Threads
//!
//! One instance serves one stream and is never called concurrently with
//! itself; instances of one service run in parallel on the proxy's worker
//! threads, so state they share must be `Sync`.
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
pub mod patterns;
pub mod peers;
pub mod peers_view;
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
pub use patterns::{PatternEntryView, PatternKind, PatternQuery, PatternRefView};
pub use peers_view::{PeersSectionView, PeersView, SharedTableView};
pub use tables::{StickColumn, StickEntry, StickQuery, StickTableInfo, StickValue, StickValueKind};

/// The `abi_stable` this SDK is built on, for hosts and advanced uses
/// (applets written with [`export_applet!`] never need it).
pub use abi_stable;

#[doc(hidden)]
pub use author::{__private, Shim};

#[cfg(test)]
mod tests;
