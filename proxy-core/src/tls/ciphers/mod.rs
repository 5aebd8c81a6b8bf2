//! HAProxy's TLS tuning keywords mapped onto what rustls (aws-lc-rs provider) implements.
//!
//! HAProxy hands these keywords to OpenSSL; we have rustls, which implements far fewer
//! algorithms. Each function here reads the keyword's value the way OpenSSL 3 does, then
//! keeps what rustls can do, so a configuration written for HAProxy means the same here
//! or fails loudly:
//!
//! - [`tls12_suites`]: `ciphers`, `ssl-default-bind-ciphers`, `ssl-default-server-ciphers`.
//!   The value is an OpenSSL cipher string, evaluated against a table of every TLS ≤ 1.2
//!   cipher OpenSSL 3 knows (so a typo is told apart from a real cipher rustls lacks), with
//!   OpenSSL's list semantics (the resulting order is the preference order).
//! - [`tls13_suites`]: `ciphersuites` and the `ssl-default-*-ciphersuites`.
//! - [`kx_groups`]: `curves`, `ssl-default-*-curves` and `ecdhe`.
//! - [`parse_version`], [`versions`] and [`VersionRange`]: `ssl-min-ver`, `ssl-max-ver`,
//!   `no-sslv3`/`no-tlsv1x` and `force-sslv3`/`force-tlsv1x`.
//! - [`provider`]: a rustls [`CryptoProvider`] carrying the choices.
//!
//! Errors are short phrases; the caller prefixes them with `file:line` and the keyword.
//!
//! Inside: `table` (the ciphers OpenSSL 3 knows and their attributes), `pattern` (what
//! one word of a cipher string selects), `eval` (OpenSSL's evaluation of a whole string),
//! `groups` and `versions`.
//!
//! # Defaults
//!
//! HAProxy 2.6 with OpenSSL 3.0 (Debian 12, as measured on this machine) offers when none
//! of these keywords is set: TLSv1.2 and TLSv1.3 on `bind` lines (HAProxy's default
//! `ssl-min-ver` is TLSv1.2 there; `server` lines have no minimum of their own); for TLS 1.2
//! OpenSSL's `DEFAULT` (= `ALL:!COMPLEMENTOFDEFAULT:!eNULL`, 57 suites including CBC with
//! SHA-1, RSA key exchange, DHE, PSK and SRP); for TLS 1.3
//! `TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256`; groups
//! x25519, secp256r1, x448, secp521r1, secp384r1, ffdhe2048 to ffdhe8192 (the `ecdhe`
//! default of prime256v1 does not restrict them with OpenSSL 3).
//!
//! Our defaults are the provider's through rustls: TLSv1.2 and TLSv1.3; TLS 1.3 AES-256-GCM,
//! AES-128-GCM, CHACHA20-POLY1305; TLS 1.2 only ECDHE with AES-GCM or CHACHA20-POLY1305
//! (the six suites below, forward secret and AEAD); groups P-384, X25519, P-256. Nothing
//! weak is among them, so the defaults need no filtering.
//!
//! # What does not carry over
//!
//! - Only TLSv1.2 and TLSv1.3, and for TLS 1.2 only the six ECDHE AEAD suites: DHE, RSA key
//!   exchange, CBC, CCM, ARIA, CAMELLIA, PSK and SRP are reported, not offered.
//! - Strictness: OpenSSL skips words it does not know, and `DEFAULT` anywhere but first;
//!   both are errors here, since they are nearly always typos.
//! - `@SECLEVEL=n` only drops ciphers below its strength; its limits on key sizes and
//!   signature algorithms are not applied. Suite B (`SUITEB128`...) is refused.
//! - Preference: HAProxy makes OpenSSL follow the server's order (cipher suites and groups)
//!   unless `prefer-client-ciphers`; rustls follows its own suite order only with
//!   `ServerConfig::ignore_client_order`, and always takes the client's group order as a
//!   server (our group order matters for the key share we send as a client).

/// The crypto provider every TLS configuration is built on: aws-lc-rs
/// (measured against ring on this machine: about 3x the RSA-2048 signatures
/// per second, 1.4x the ECDSA P-256 ones; see README "TLS").
pub use rustls::crypto::aws_lc_rs as backend;
use rustls::crypto::{CryptoProvider, SupportedKxGroup};
use rustls::SupportedCipherSuite;

/// What a cipher keyword selects: the suites rustls will offer, in preference order, and the
/// cipher names the value asked for explicitly that OpenSSL would offer but rustls does not
/// implement (the caller warns about them; they are the words as written).
#[derive(Debug, Clone, PartialEq)]
pub struct CipherChoice {
    pub suites: Vec<SupportedCipherSuite>,
    pub unsupported: Vec<String>,
}

/// What a curves keyword selects: the groups rustls will use, in the order given, and the
/// names OpenSSL knows that the provider does not implement (for the caller to warn about).
#[derive(Debug, Clone)]
pub struct GroupChoice {
    pub groups: Vec<&'static dyn SupportedKxGroup>,
    pub unsupported: Vec<String>,
}

mod eval;
mod groups;
mod pattern;
mod table;
#[cfg(test)]
mod tests_misc;
#[cfg(test)]
mod tests_suites;
mod versions;

use eval::*;
pub use groups::kx_groups;
use pattern::*;
use table::*;
pub use versions::{parse_version, versions, TlsVersion, VersionRange};

/// `ciphers` / `ssl-default-bind-ciphers` / `ssl-default-server-ciphers`: the TLS 1.2 suites
/// an OpenSSL cipher string selects, in its order, among those rustls implements.
///
/// Errors: a word that is neither a cipher OpenSSL knows nor an alias (`unknown cipher 'X'`),
/// a malformed word, a string selecting nothing, or one selecting only ciphers rustls lacks.
pub fn tls12_suites(spec: &str) -> Result<CipherChoice, String> {
    if spec.split(SEPARATORS).all(str::is_empty) {
        return Err("empty cipher list".to_string());
    }
    let ev = Evaluation::run(spec)?;
    if ev.selected().next().is_none() {
        return Err(format!("no cipher matches '{spec}'"));
    }
    let implemented: Vec<(&Cipher, SupportedCipherSuite)> = ev
        .selected()
        .filter_map(|c| rustls_tls12(c).map(|s| (c, s)))
        .collect();
    let least = ev.seclevel.map_or(0, seclevel_bits);
    let suites: Vec<SupportedCipherSuite> = implemented
        .iter()
        .filter(|(c, _)| strength_bits(c) >= least)
        .map(|(_, s)| *s)
        .collect();
    let unsupported: Vec<String> = ev
        .named
        .iter()
        .filter(|(c, _)| rustls_tls12(c).is_none() && ev.selected().any(|s| std::ptr::eq(s, *c)))
        .map(|(_, word)| word.clone())
        .collect();
    if suites.is_empty() {
        return Err(if !implemented.is_empty() {
            let level = ev.seclevel.unwrap_or(0);
            format!("no cipher in '{spec}' is strong enough for @SECLEVEL={level}")
        } else if unsupported.is_empty() {
            format!("no cipher in '{spec}' is implemented by rustls; {RUSTLS_TLS12}")
        } else {
            format!(
                "no cipher left that rustls implements (not implemented: {}); {RUSTLS_TLS12}",
                unsupported.join(", ")
            )
        });
    }
    Ok(CipherChoice {
        suites,
        unsupported,
    })
}

/// `ciphersuites` / `ssl-default-bind-ciphersuites` / `ssl-default-server-ciphersuites`:
/// OpenSSL's TLS 1.3 suite names separated by `:`, in preference order.
///
/// The CCM suites OpenSSL knows are collected in `unsupported`; any other name is an error,
/// as is a list leaving nothing rustls implements.
pub fn tls13_suites(spec: &str) -> Result<CipherChoice, String> {
    let mut suites = Vec::new();
    let mut unsupported: Vec<String> = Vec::new();
    // OpenSSL skips empty elements (`A::B`) and accepts repeats, which change nothing.
    for name in spec.split(':').filter(|n| !n.is_empty()) {
        match tls13_by_name(name) {
            Some(Some(suite)) => {
                if !suites.contains(&suite) {
                    suites.push(suite);
                }
            }
            Some(None) => {
                if !unsupported.iter().any(|u| u == name) {
                    unsupported.push(name.to_string());
                }
            }
            None if cipher_by_name(name).is_some() => {
                return Err(format!(
                    "unknown TLS 1.3 cipher suite '{name}' (a TLS 1.2 cipher: set it with 'ciphers')"
                ));
            }
            None => return Err(format!("unknown TLS 1.3 cipher suite '{name}'")),
        }
    }
    if suites.is_empty() {
        return Err(if unsupported.is_empty() {
            "no TLS 1.3 cipher suite given".to_string()
        } else {
            format!(
                "no TLS 1.3 cipher suite left that rustls implements (not implemented: {}); rustls \
                 has TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 and TLS_CHACHA20_POLY1305_SHA256",
                unsupported.join(", ")
            )
        });
    }
    Ok(CipherChoice {
        suites,
        unsupported,
    })
}

/// The provider as rustls ships it (its defaults: no weak suite or group).
pub fn base_provider() -> CryptoProvider {
    backend::default_provider()
}

/// A rustls provider with the chosen suites, TLS 1.3 ones first, and key exchange
/// groups; `None` keeps the provider's default for that part. A suite of the other version in
/// either list is dropped, so each list only ever fills its own half.
pub fn provider(
    tls12: Option<&[SupportedCipherSuite]>,
    tls13: Option<&[SupportedCipherSuite]>,
    groups: Option<&[&'static dyn SupportedKxGroup]>,
) -> CryptoProvider {
    let base = base_provider();
    let pick =
        |chosen: Option<&[SupportedCipherSuite]>, want13: bool| -> Vec<SupportedCipherSuite> {
            chosen
                .unwrap_or(&base.cipher_suites)
                .iter()
                .filter(|s| matches!(s, SupportedCipherSuite::Tls13(_)) == want13)
                .copied()
                .collect()
        };
    let mut cipher_suites = pick(tls13, true);
    cipher_suites.extend(pick(tls12, false));
    let kx_groups = groups.map_or_else(|| base.kx_groups.clone(), <[_]>::to_vec);
    CryptoProvider {
        cipher_suites,
        kx_groups,
        ..base
    }
}
