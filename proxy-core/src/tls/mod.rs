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
//!   `crl-file`, the ignore lists), and [`verify_memo`]: the errors a
//!   handshake's verification let through, for `ssl_c_verify`; with
//!   [`verify_v1`] for version 1
//!   client certificates, which webpki refuses;
//! - [`bind`]: an `ssl` bind built into rustls configurations, one per
//!   certificate and option set, chosen per ClientHello;
//! - [`store`]: the certificates and crt-lists of the configuration by
//!   name, and the binds using them, which [`cli`]'s `ssl cert` and `ssl
//!   crt-list` commands change at run time;
//! - [`accept`]: the handshake of an accepted connection;
//! - [`srv_verify`]: server certificates (for [`crate::tls_client`]), `verify none|required`, and
//!   host names (`sni`, `verifyhost`);
//! - [`conn`]: a TLS connection over a TCP socket, driven by readiness like
//!   a plain socket so the one data path carries it;
//! - [`info`]: what a connection says of itself after its handshake
//!   (version, suite, SNI, ALPN, peer chain) in OpenSSL's names, and
//!   [`certfields`]: the peer certificate's fields as the `ssl_c_*`
//!   fetches give them;
//! - [`stats`]: the process-wide TLS figures of `show info`.
//!
//! Messages are HAProxy 2.6's words for the part after the line's
//! `'bind <addr>' in section '<sect>' : ` or `'server <px>/<name>' : `
//! prefix, which the configuration layer adds.

pub mod accept;
pub mod bind;
pub mod certfields;
pub mod certinfo;
pub mod certs;
pub mod ciphers;
pub mod cli;
pub mod conn;
pub mod crtlist;
pub mod info;
pub mod opts;
pub mod sni;
pub mod srv_verify;
pub mod stats;
pub mod store;
pub mod verify;
pub mod verify_memo;
pub mod verify_v1;

#[cfg(test)]
pub(crate) mod testgen;
#[cfg(test)]
mod tests_conn;
#[cfg(test)]
mod tests_fields;
