//! proxy-core: a HAProxy-class TCP/HTTP proxy as a library.
//!
//! Modules, from the configuration down to the bytes:
//! - [`config`]: haproxy.cfg parsing into a typed model.
//! - [`rules`]: ACLs, conditions and HTTP rules evaluated against requests.
//! - [`state`]: the run-time state built from it (proxies, pools, counters).
//! - [`runtime`]: start-up, worker threads, signals.
//! - [`listener`]: bind lines and accept loops with `maxconn` admission
//!   (binding and accepting themselves in [`listener::socket`]).
//! - [`stats_socket`]: `stats socket`: the CLI, served by the `stats-cli` applet.
//! - [`peers_net`]: peers sections on the network (listener, peer streams,
//!   sync task) for the `peers` applet.
//! - [`tcp`]: a TCP-mode stream from accept to log line.
//! - [`tcp_service`]: `tcp-request content use-service` (an applet serves the connection).
//! - [`connect`]: server assignment, queue, lazy connection, retries.
//! - [`stream`]: streams, stream interfaces and endpoints (the seed's model),
//!   and the one data path over them: sides (socket or applet), the byte
//!   mover and the full-duplex forwarder.
//! - [`connection`]: connection objects and their sockets.
//! - [`backend`]: servers, load balancing, the queue.
//! - [`idle`]: idle server connections parked for reuse.
//! - [`pool`], [`buffer`]: object pools with counters, pooled I/O buffers.
//! - [`counters`]: traffic counters.
//! - [`error`]: the one error type, which knows the failing side.
//! - [`log`]: tcplog/httplog lines and where they go.
//! - [`sys`]: the few system calls std lacks (through rustix and nix).
//! - [`stick`]: stick tables (keys, counters, expiry, replication hooks, `show table`).
//! - [`stkctr`]: stick tables at run time: tracked counters, their fetches,
//!   persistence (`stick on`), expiry.
//! - [`applet`]: loading applet libraries (stable ABI), host services, the adapter to [`stream::Applet`].
//!
//! No `unsafe` here but one audited block: [`sys::adopt_fd`] turns an
//! inherited descriptor number (`bind fd@<n>`) into an owned descriptor,
//! which Rust's I/O safety cannot express safely (see [`sys`]).
#![deny(unsafe_code)]

pub mod applet;
pub mod backend;
pub mod buffer;
pub mod config;
pub mod connect;
pub mod connection;
pub mod counters;
pub mod error;
pub mod http;
pub mod http_mode;
pub mod idle;
pub mod listener;
pub mod log;
pub mod peers_net;
pub mod pool;
pub mod rules;
pub mod runtime;
pub mod state;
pub mod stats_socket;
pub mod stick;
pub mod stkctr;
pub mod stream;
pub mod sys;
pub mod tcp;
pub mod tcp_service;

/// The version string the command line prints.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
