//! TLS on both sides of the proxy, with rustls.
//!
//! - [`conn`]: a TLS connection over a TCP socket, driven by readiness like
//!   a plain socket so the one data path carries it.
//! - [`ciphers`]: HAProxy's cipher, curve and protocol version keywords read
//!   the way OpenSSL reads them, mapped onto what rustls implements.
pub mod ciphers;
pub mod conn;
