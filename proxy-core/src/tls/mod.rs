//! TLS on both sides of the proxy, with rustls.
//!
//! - [`conn`]: a TLS connection over a TCP socket, driven by readiness like
//!   a plain socket so the one data path carries it.
pub mod conn;
