//! The core as the applets' host: how an applet instance runs in a stream,
//! and the services it calls back.
//!
//! - [`lifecycle`]: the one life cycle every applet kind goes through
//!   (attach, drive, finish, failure counting); instances are made with
//!   the table of [`services`].
//! - [`services`]: the host-services table handed to every applet
//!   instance, and the one bridge from a process-wide static to the
//!   [`State`](crate::state::State) that its functions read; `admin`: its
//!   commands that change the state; `server_view`: a server as the
//!   applets see it (counters, checks, tracking, pool numbers).
//! - `peers`: the host services of the peers applet (its section, the
//!   shared tables in wire form, outgoing streams, wake-ups, the status
//!   board).
//! - `peers_view`: `show peers` as data (the `peers_view` service), which
//!   the CLI applet renders (the only place its text is made).
//! - `ssl_view`: the TLS figures of `show info` and of the frontends'
//!   `show stat` rows.
//! - `pattern_view`: `show map` / `show acl` as data (the `patterns`
//!   service), from the pattern registry's view; the CLI text for older
//!   applets (`core_cli`, through the `tables` service) renders the same
//!   view.
//!
//! Layering: above the run-time state and the applet libraries
//! ([`crate::applet`]), below everything that runs applets (TCP and HTTP
//! services, stats sockets, peers sections). So `peer_connect` reaches
//! [`crate::peers_net`] through `State::peers`, where the runtime
//! registers it.

mod admin;
mod core_cli;
pub mod lifecycle;
mod pattern_view;
mod peers;
mod peers_view;
mod server_view;
pub mod services;
mod ssl_view;
mod stick_view;

#[cfg(test)]
mod tests;

pub(crate) use peers::{peer_addr, section_tables};
pub use services::{clear_state, set_state, table};
