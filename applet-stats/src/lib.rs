//! applet-stats: HAProxy 2.6-compatible statistics outputs and stats-socket
//! CLI, as pure, I/O-free functions.
//!
//! Users' scripts, exporters and dashboards parse HAProxy's outputs, so every
//! format here reproduces HAProxy 2.6.12 exactly (checked against real
//! captures in `testdata/`):
//!
//! * [`csv`] — `show stat` / `/stats;csv`,
//! * [`typed`] and [`json`] — `show stat|info typed|json`,
//! * [`info`] — `show info`,
//! * [`html`] — the stats page,
//! * [`prom`] — the Prometheus exporter (`haproxy_*` metric names),
//! * [`cli`] — the stats socket command parser and dispatcher,
//! * [`sess`] — `show sess`, `show servers state`, `show backend`,
//! * [`stick`] — `show table`,
//! * [`peers_show`] — `show peers`,
//! * [`patterns_show`] — `show map`, `show acl`,
//! * `ssl` — the certificate commands' levels (the core answers them).
//!
//! Data comes from the host through the [`api::Source`] trait as the plain
//! model of [`model`] and [`health`]; admin actions go through
//! [`api::Admin`]. Nothing here does I/O or touches the ABI types; the
//! conversion from the host snapshot is done elsewhere, in one place. The
//! exceptions are [`peers_show`] and [`patterns_show`], which render
//! applet-sdk's `show peers` and `show map|acl` data as it comes (plain
//! data already, that a copy would duplicate field for field).
//!
//! Module map: `fields` (static field table), `fill` (per-row-type rules),
//! `select` (filters shared by all formats), `host_source` (the host's
//! snapshots as the model: with `host_health`, which reads a server's
//! checks back, and `host_tables`, which reads the stick tables, the only
//! code that reads applet-sdk types),
//! `plugin` (the exported services: `stats-cli`, `stats-page` from `page`,
//! `prometheus-exporter`; `answer` sends the HTTP services' answers).

mod answer;
pub mod api;
pub mod cli;
mod commands;
pub mod csv;
pub mod fields;
pub mod fill;
pub mod health;
pub mod help;
mod host_health;
pub mod host_source;
mod host_tables;
pub mod html;
mod html_rows;
mod html_server;
pub mod info;
pub mod json;
pub mod model;
pub mod page;
pub mod patterns_show;
pub mod peers_show;
pub mod plugin;
pub mod prom;
pub mod select;
pub mod sess;
mod ssl;
pub mod stick;
pub mod typed;

use applet_sdk::{export_applet, ServiceKind};

export_applet! {
    name: "applet-stats",
    version: env!("CARGO_PKG_VERSION"),
    services: [
        ("stats-cli", ServiceKind::CLI, "the stats socket command line (show stat, show info, ...)", plugin::Cli::new),
        ("stats-page", ServiceKind::HTTP_SERVICE, "the HTTP stats page (HTML, CSV, JSON)", plugin::StatsPage::new),
        ("prometheus-exporter", ServiceKind::HTTP_SERVICE, "HAProxy's Prometheus exporter", plugin::Prometheus::new),
    ],
}

#[cfg(test)]
mod cli_tests;
#[cfg(test)]
mod testdata;
