//! TLS on both sides of the proxy, with rustls: what HAProxy 2.6 does with
//! certificate files before and during a handshake, and the connection
//! that carries the bytes afterwards.
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
//!   algorithms, the default certificate, `strict-sni`);
//! - [`opts`]: the TLS keywords of bind lines, crt-list entries and the
//!   `ssl-default-*` globals, as parsed words;
//! - [`ciphers`]: OpenSSL cipher strings, curves and versions mapped to
//!   what rustls offers;
//! - [`verify`]: client certificate policies (`verify`, `ca-file`,
//!   `crl-file`, the ignore lists), with [`verify_v1`] for version 1
//!   client certificates, which webpki refuses;
//! - [`bind`]: an `ssl` bind built into rustls configurations, one per
//!   certificate and option set, chosen per ClientHello;
//! - [`accept`]: the handshake of an accepted connection;
//! - [`conn`]: a TLS connection over a TCP socket, driven by readiness like
//!   a plain socket so the one data path carries it.
//!
//! Messages are HAProxy 2.6's words for the part after the bind line's
//! `'bind <addr>' in section '<sect>' : ` prefix, which the configuration
//! layer adds.

pub mod accept;
pub mod bind;
pub mod certinfo;
pub mod certs;
pub mod ciphers;
pub mod conn;
pub mod crtlist;
pub mod opts;
pub mod sni;
pub mod verify;
pub mod verify_v1;

#[cfg(test)]
mod testgen;
