//! Traffic logs: building HAProxy-format lines and sending them to the
//! configured `log` targets, plus the process's `tracing` subscriber.
//!
//! Lines are rendered from a [`record::LogRecord`] by the proxy's
//! log-format (the one engine of [`crate::rules::format`]; `option tcplog`
//! and `option httplog` are formats like any other) and then emitted as
//! `tracing` events
//! (target [`TRAFFIC_TARGET`]); the [`ProxySubscriber`] routes those to the
//! proxy's targets and prints every other event as a startup diagnostic.
//!
//! Files:
//! - `date.rs` ([`date`]): UTC calendar arithmetic; log, syslog and uptime
//!   date layouts.
//! - `termination.rs` ([`termination`]): the `%ts`/`%tsc` termination codes.
//! - `fields.rs` ([`fields`]): the client address and the counters block
//!   of a record.
//! - `tcplog.rs` ([`tcplog`]): `option tcplog`, the default "Connect from"
//!   line and the embryonic-connection line.
//! - `record.rs` ([`record`]): the log record every log-format variable
//!   reads ([`record::LogRecord`]), and the built-in formats (`option
//!   tcplog`, `option httplog [clf]`) as log-format strings; lines are
//!   rendered by the one engine of [`crate::rules::format`].
//! - `httplog.rs` ([`httplog`]): `option httplog` (2.6 layout) from the
//!   record of a transaction given field by field.
//! - `sink.rs` ([`sink`]): framing (RFC 3164 / short / raw), truncation and
//!   delivery to stdout, stderr, UDP and unix datagram targets; its tests are
//!   in `sink_tests.rs`.
//! - `subscriber.rs` ([`subscriber`]): the hand-written `tracing` subscriber,
//!   [`install`] and [`traffic`]; its tests are in `subscriber_tests.rs`.

pub mod date;
pub mod fields;
pub mod httplog;
pub mod record;
pub mod sink;
pub mod subscriber;
pub mod tcplog;
pub mod termination;

pub use date::{log_date, write_log_date, write_syslog_date, CivilDateTime};
pub use fields::{ClientAddr, LogCounters};
pub use httplog::{format_httplog, HttpLogRecord};
pub use record::{Builtin, LogRecord, Timers};
pub use sink::{Framing, LogSinks, DEFAULT_MAX_LEN, SEVERITY_INFO};
pub use subscriber::{
    format_diagnostic, install, traffic, traffic_with_severity, ProxySubscriber, SinksHandle,
    Verbosity, TRAFFIC_TARGET,
};
pub use tcplog::{format_default_connect, format_embryonic, format_tcplog, TcpLogRecord};
pub use termination::{
    term_code, term_code_http, CookieState, ErrCause, FinState, SetCookieState, TermState,
};
