//! proxy-core: a HAProxy-class TCP/HTTP proxy as a library.
//!
//! Modules:
//! - [`config`]: haproxy.cfg parsing into a typed model.
//! - [`log`]: HAProxy's tcplog/httplog lines and where they go (stdout, stderr, syslog).

pub mod config;
pub mod log;
