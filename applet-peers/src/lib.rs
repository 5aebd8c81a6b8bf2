//! applet-peers: HAProxy 2.6's peers protocol, as a loadable applet.
//!
//! Several instances share their stick tables over TCP: each connects to
//! every other peer of a `peers` section and accepts their connections,
//! says hello, then pushes its table changes as binary messages and
//! acknowledges the other side's. This crate is the protocol as pure data
//! transformations and state machines, byte-compatible with HAProxy 2.6
//! (checked against the captures in the project's reference notes); the
//! proxy feeds it bytes, time and table changes, and gets back bytes and
//! actions. It depends only on `applet-sdk`.
//!
//! As a `cdylib` it exports one service, `peers`
//! ([`ServiceKind::PEERS`]): the host runs one `sync` instance per section
//! and one instance per peer connection (see [`applet_sdk::peers`] and
//! [`plugin`]).
//!
//! The protocol, without I/O:
//!
//! - [`varint`]: the protocol's encoded integers.
//! - [`hello`]: the text handshake and its status codes.
//! - [`msg`]: message framing, classes and types, small messages.
//! - [`datatypes`]: what the wire needs of each stick-table data type.
//! - [`table_def`]: table definitions.
//! - [`dict`]: the `server_key` dictionary caches.
//! - [`update`]: entry updates.
//! - [`peer`]: per-peer state and flags.
//! - [`section`]: a peers section: peers, sessions, timers, resync; its
//!   receiving half is in `session`, its sending half in `push`.
//!
//! The applet around it:
//!
//! - [`source`]: the host's section description, tables and values in the
//!   protocol's terms (the only conversions from `applet_sdk::peers`).
//! - [`runtime`]: a section shared by its instances: the process-wide
//!   registry, events turned into host calls, per-session output,
//!   `show peers` state.
//! - [`plugin`]: the `peers` service's instances (`sync`, `accept`,
//!   `connect`).

pub mod datatypes;
pub mod dict;
pub mod hello;
pub mod msg;
pub mod peer;
pub mod plugin;
mod push;
pub mod runtime;
pub mod section;
mod session;
pub mod source;
pub mod table_def;
pub mod update;
pub mod varint;

#[cfg(test)]
mod tests_captures;
#[cfg(test)]
mod tests_fakehost;
#[cfg(test)]
mod tests_net;
#[cfg(test)]
mod tests_plugin;
#[cfg(test)]
mod tests_props;
#[cfg(test)]
mod tests_session;
#[cfg(test)]
mod tests_util;

pub use section::{
    ConnId, Event, OutEntry, PeerState, PeersSection, SectionConfig, SharedTable, TableSource,
};
pub use table_def::{DataParam, TableDef};
pub use update::{UpdateIn, Value};

use applet_sdk::{export_applet, ServiceKind};

export_applet! {
    name: "applet-peers",
    version: env!("CARGO_PKG_VERSION"),
    services: [
        (
            plugin::SERVICE,
            ServiceKind::PEERS,
            "HAProxy 2.6 peers protocol (stick-table replication)",
            plugin::PeersApplet::new,
        ),
    ],
}
