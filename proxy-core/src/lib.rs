//! proxy-core: a HAProxy-class TCP/HTTP proxy as a library.
//!
//! The path of a request, and the module of each step:
//! 1. accept: [`listener`] takes a connection within `maxconn`, allocates
//!    its connection object ([`connection`], from a [`pool`]) and runs
//!    `tcp-request connection` rules ([`stkctr`]);
//! 2. stream: a [`stream::Stream`] with `si[0]` = the client and `si[1]` =
//!    nothing yet, registered for `show sess` ([`stream::live`]); TCP
//!    mode goes on in [`tcp`], HTTP mode in [`http_mode`];
//! 3. analysers: [`http_mode`]'s `analyse` (framing, captures, the
//!    `http-request` rules of [`rules`], persistence, the backend choice);
//! 4. target: a server through [`connect`] (`alloc_conn` on `si[1]`, the
//!    [`backend`]'s balancing and queue, or an [`idle`] connection), or
//!    an applet registered on `si[1]` through the applet life cycle
//!    ([`host::lifecycle`]);
//! 5. exchange: bytes move through [`stream`]'s mover and forwarder,
//!    the same for a socket and an applet (`http_mode`'s `exchange` adds
//!    HTTP framing on top);
//! 6. finish: the outcome ([`error::ProxyError`]) gives the termination
//!    code, status and error counters ([`counters`]); idle pool, rule 5;
//! 7. log: the tcplog or httplog line ([`log`]).
//!
//! Modules, in layers from the top. Imports go down, never up: a module
//! uses its own layer's modules listed after it and the layers below, so
//! no two modules import each other, even indirectly (the `module_graph`
//! test fails on a cycle and names the references to move).
//!
//! Serving, above the run-time state:
//! - [`runtime`]: start-up, worker threads, signals, the workers' timer
//!   tasks.
//! - [`stats_socket`]: `stats socket`: the CLI, served by the `stats-cli` applet.
//! - [`peers_net`]: peers sections on the network (listener, peer streams,
//!   sync task) for the `peers` applet.
//! - [`listener`]: bind lines and accept loops with `maxconn` admission
//!   (binding and accepting themselves in [`listener::socket`]).
//! - [`http_mode`]: an HTTP-mode connection, transaction by transaction.
//! - [`tcp`]: a TCP-mode stream from accept to log line.
//! - [`tcp_service`]: `tcp-request content use-service` (an applet serves the connection).
//! - [`host`]: applets at run time: the one life cycle of an instance in a
//!   stream, and the host services applets call back (`show peers` among them).
//! - [`connect`]: server assignment, queue, lazy connection, retries.
//!
//! The run-time state:
//! - [`state`]: built once from the configuration (proxies, pools,
//!   counters, stick tables, live streams, loaded applets, peers board).
//!
//! What the state holds and streams are made of:
//! - [`applet`]: loading applet libraries (stable ABI), their services, the adapter to [`stream::Applet`].
//! - [`stkctr`]: stick tables at run time: tracked counters, their fetches,
//!   persistence (`stick on`), expiry.
//! - [`stream`]: streams, stream interfaces and endpoints (the seed's model),
//!   and the one data path over them: sides (socket or applet), the byte
//!   mover and the full-duplex forwarder.
//! - [`http`]: the HTTP/1.1 message layer, without I/O (heads, framing,
//!   chunks, rewrites, error pages).
//! - [`idle`]: idle server connections parked for reuse.
//! - [`connection`]: connection objects and their sockets.
//! - [`backend`]: servers, load balancing, the queue.
//! - [`error`]: the one outcome type: which side, which phase, retryable
//!   or not; termination codes, statuses and error counters derive from it.
//! - [`log`]: tcplog/httplog lines and where they go.
//!
//! The configuration:
//! - [`config`]: haproxy.cfg parsing into a typed model.
//! - [`rules`]: sample expressions, ACLs, conditions, formats and variable
//!   actions evaluated against requests and streams.
//! - [`sample`]: the sample engine's values and casts, converters,
//!   variables, pattern lists and maps, regexes.
//! - [`stick`]: stick tables (keys, counters, expiry, replication hooks, `show table`).
//!
//! Leaves, on std and system crates only:
//! - [`tls`]: TLS on rustls: certificates, crt-lists, SNI selection, the
//!   handshake of `bind ... ssl`, the TLS connection itself (HAProxy 2.6's
//!   loading rules on rustls's types).
//! - [`proxy_proto`]: the PROXY protocol header, decoded (pure, for the
//!   accept path and fuzzing) and encoded (for `send-proxy`).
//! - [`units`]: time and size values (the configuration and the stick-table
//!   declarations parse them).
//! - [`kick`]: waking an applet's stream from outside it (a stick table
//!   changed, another instance has news).
//! - [`pool`], [`buffer`]: object pools with counters, pooled I/O buffers.
//! - [`counters`]: traffic counters.
//! - [`sys`]: the few system calls std lacks (through rustix and nix).
//!
//! No `unsafe` here but one audited block: [`sys::adopt_fd`] turns an
//! inherited descriptor number (`bind fd@<n>`) into an owned descriptor,
//! which Rust's I/O safety cannot express safely (see [`sys`]).
#![deny(unsafe_code)]

pub mod applet;
pub mod auth;
pub mod backend;
pub mod buffer;
pub mod check;
pub mod config;
pub mod connect;
pub mod connection;
pub mod counters;
pub mod error;
pub mod health;
pub mod host;
pub mod http;
pub mod http_mode;
pub mod idle;
pub mod kick;
pub mod listener;
pub mod log;
pub mod monitor;
pub mod peers_net;
pub mod pool;
pub mod proxy_proto;
pub mod rules;
pub mod runtime;
pub mod sample;
pub mod state;
pub mod stats_socket;
pub mod stick;
pub mod stkctr;
pub mod stream;
pub mod sys;
pub mod tcp;
mod tcp_inspect;
pub mod tcp_service;
pub mod tls;
pub mod tls_client;
pub mod units;

/// The version string the command line prints.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
