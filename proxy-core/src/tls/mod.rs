//! TLS on both sides of the proxy, with rustls.
//!
//! - [`conn`]: a TLS connection over a TCP socket, driven by readiness like
//!   a plain socket so the one data path carries it.
pub mod conn;
pub mod accept;
pub mod bind;
pub mod opts;
pub mod verify;
