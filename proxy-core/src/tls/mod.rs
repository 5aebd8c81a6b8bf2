//! TLS for `bind ... ssl`: what HAProxy 2.6 does with certificate files
//! before and during a handshake, on rustls's types.
//!
//! - [`certs`]: loading `crt <file|dir>` (chain and key, the `.key`
//!   fallback, directories), `ca-file`, `crl-file`, and `crt-base` joining;
//! - [`certinfo`]: the fields of a certificate as `show ssl cert` prints
//!   them, and distinguished names in the `/C=../CN=..` form of the
//!   `ssl_c_s_dn`/`ssl_c_i_dn` fetches;
//! - [`crtlist`]: `crt-list` files (lines, options, SNI filters) and their
//!   `show ssl crt-list` rendering;
//! - [`sni`]: choosing a bind's certificate for a ClientHello (exact name,
//!   wildcard, negative filters, RSA/ECDSA by the client's signature
//!   algorithms, the default certificate, `strict-sni`).
//!
//! Messages are HAProxy 2.6's words for the part after the bind line's
//! `'bind <addr>' in section '<sect>' : ` prefix, which the configuration
//! layer adds.

pub mod certinfo;
pub mod certs;
pub mod crtlist;
pub mod sni;

#[cfg(test)]
mod testgen;
