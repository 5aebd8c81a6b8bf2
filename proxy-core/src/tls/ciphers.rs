//! HAProxy's TLS tuning keywords mapped onto what rustls (ring provider) implements.
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
//! Our defaults are ring's through rustls: TLSv1.2 and TLSv1.3; TLS 1.3 AES-256-GCM,
//! AES-128-GCM, CHACHA20-POLY1305; TLS 1.2 only ECDHE with AES-GCM or CHACHA20-POLY1305
//! (the six suites below, forward secret and AEAD); groups P-384, X25519, P-256. Nothing
//! weak is among them, so the defaults need no filtering.

// rustls 0.23.48 deprecates ring's provider for lacking post-quantum groups; this
// proxy is built on ring (no aws-lc), so it is the provider there is.
#[allow(deprecated)]
use rustls::crypto::ring::{cipher_suite as rs, default_provider, kx_group};
use rustls::crypto::{CryptoProvider, SupportedKxGroup};
use rustls::{SupportedCipherSuite, SupportedProtocolVersion};

/// What a cipher keyword selects: the suites rustls will offer, in preference order, and the
/// cipher names the value asked for explicitly that OpenSSL would offer but rustls does not
/// implement (the caller warns about them; they are the words as written).
#[derive(Debug, Clone, PartialEq)]
pub struct CipherChoice {
    pub suites: Vec<SupportedCipherSuite>,
    pub unsupported: Vec<String>,
}

/// What a curves keyword selects: the groups rustls will use, in the order given, and the
/// names OpenSSL knows that ring does not implement (for the caller to warn about).
#[derive(Debug, Clone)]
pub struct GroupChoice {
    pub groups: Vec<&'static dyn SupportedKxGroup>,
    pub unsupported: Vec<String>,
}

// ---------------------------------------------------------------------------------------
// Cipher attributes. One bit per value in each category, so that an alias is a set of bits
// per category and "A+B" is the bitwise AND of their sets, as in OpenSSL's cipher strings.

// Key exchange.
const K_RSA: u32 = 1 << 0;
const K_DHE: u32 = 1 << 1;
const K_ECDHE: u32 = 1 << 2;
const K_PSK: u32 = 1 << 3;
const K_RSAPSK: u32 = 1 << 4;
const K_ECDHEPSK: u32 = 1 << 5;
const K_DHEPSK: u32 = 1 << 6;
const K_SRP: u32 = 1 << 7;
const K_GOST: u32 = 1 << 8;
const K_GOST18: u32 = 1 << 9;

// Server authentication.
const A_RSA: u32 = 1 << 0;
const A_DSS: u32 = 1 << 1;
const A_ECDSA: u32 = 1 << 2;
const A_NULL: u32 = 1 << 3;
const A_PSK: u32 = 1 << 4;
const A_SRP: u32 = 1 << 5;
const A_GOST01: u32 = 1 << 6;
const A_GOST12: u32 = 1 << 7;

// Bulk encryption.
const E_AES128: u32 = 1 << 0;
const E_AES256: u32 = 1 << 1;
const E_AES128GCM: u32 = 1 << 2;
const E_AES256GCM: u32 = 1 << 3;
const E_AES128CCM: u32 = 1 << 4;
const E_AES256CCM: u32 = 1 << 5;
const E_AES128CCM8: u32 = 1 << 6;
const E_AES256CCM8: u32 = 1 << 7;
const E_CHACHA20: u32 = 1 << 8;
const E_CAMELLIA128: u32 = 1 << 9;
const E_CAMELLIA256: u32 = 1 << 10;
const E_ARIA128GCM: u32 = 1 << 11;
const E_ARIA256GCM: u32 = 1 << 12;
const E_3DES: u32 = 1 << 13;
const E_RC4: u32 = 1 << 14;
const E_SEED: u32 = 1 << 15;
const E_IDEA: u32 = 1 << 16;
const E_NULL: u32 = 1 << 17;
const E_GOST89: u32 = 1 << 18;
const E_GOST8912: u32 = 1 << 19;
const E_MAGMA: u32 = 1 << 20;
const E_KUZNYECHIK: u32 = 1 << 21;
const E_ALL_AES128: u32 = E_AES128 | E_AES128GCM | E_AES128CCM | E_AES128CCM8;
const E_ALL_AES256: u32 = E_AES256 | E_AES256GCM | E_AES256CCM | E_AES256CCM8;

// Message authentication.
const M_MD5: u32 = 1 << 0;
const M_SHA1: u32 = 1 << 1;
const M_SHA256: u32 = 1 << 2;
const M_SHA384: u32 = 1 << 3;
const M_AEAD: u32 = 1 << 4;
const M_GOST94: u32 = 1 << 5;
const M_GOST89MAC: u32 = 1 << 6;
const M_GOST12: u32 = 1 << 7;
const M_GOST89MAC12: u32 = 1 << 8;
const M_MAGMAOMAC: u32 = 1 << 9;
const M_KUZNYECHIKOMAC: u32 = 1 << 10;

// Lowest protocol version a cipher runs on; the version aliases match it exactly.
const SSL3: u32 = 1 << 0;
const TLS1: u32 = 1 << 1;
const TLS12: u32 = 1 << 2;

// Strength classes (HIGH, MEDIUM...; NONE is the null ciphers' class), FIPS approval, and
// whether the cipher is left out of OpenSSL's DEFAULT.
const NONE: u8 = 1 << 0;
const LOW: u8 = 1 << 1;
const MEDIUM: u8 = 1 << 2;
const HIGH: u8 = 1 << 3;
const FIPS: u8 = 1 << 4;
const STRENGTH: u8 = NONE | LOW | MEDIUM | HIGH | FIPS;
const NOT_DEFAULT: u8 = 1 << 5;

#[derive(Debug)]
struct Cipher {
    name: &'static str,
    ver: u32,
    kx: u32,
    au: u32,
    enc: u32,
    mac: u32,
    flags: u8,
}

const fn c(
    name: &'static str,
    ver: u32,
    kx: u32,
    au: u32,
    enc: u32,
    mac: u32,
    flags: u8,
) -> Cipher {
    Cipher {
        name,
        ver,
        kx,
        au,
        enc,
        mac,
        flags,
    }
}

/// Every TLS ≤ 1.2 cipher of `openssl ciphers -v ALL:COMPLEMENTOFALL` on Debian 12's
/// OpenSSL 3.0, in that output's order, which is OpenSSL's starting order (ALL appends the
/// whole list in it, and eNULL, strength 0, sorts last). Classes and flags are from
/// `openssl ciphers -v` of HIGH, FIPS and COMPLEMENTOFDEFAULT on the same machine.
#[rustfmt::skip]
static OPENSSL: &[Cipher] = &[
    c("ECDHE-ECDSA-AES256-GCM-SHA384", TLS12, K_ECDHE, A_ECDSA, E_AES256GCM, M_AEAD, HIGH | FIPS),
    c("ECDHE-RSA-AES256-GCM-SHA384", TLS12, K_ECDHE, A_RSA, E_AES256GCM, M_AEAD, HIGH | FIPS),
    c("DHE-DSS-AES256-GCM-SHA384", TLS12, K_DHE, A_DSS, E_AES256GCM, M_AEAD, HIGH | FIPS | NOT_DEFAULT),
    c("DHE-RSA-AES256-GCM-SHA384", TLS12, K_DHE, A_RSA, E_AES256GCM, M_AEAD, HIGH | FIPS),
    c("ECDHE-ECDSA-CHACHA20-POLY1305", TLS12, K_ECDHE, A_ECDSA, E_CHACHA20, M_AEAD, HIGH),
    c("ECDHE-RSA-CHACHA20-POLY1305", TLS12, K_ECDHE, A_RSA, E_CHACHA20, M_AEAD, HIGH),
    c("DHE-RSA-CHACHA20-POLY1305", TLS12, K_DHE, A_RSA, E_CHACHA20, M_AEAD, HIGH),
    c("ECDHE-ECDSA-AES256-CCM8", TLS12, K_ECDHE, A_ECDSA, E_AES256CCM8, M_AEAD, HIGH | NOT_DEFAULT),
    c("ECDHE-ECDSA-AES256-CCM", TLS12, K_ECDHE, A_ECDSA, E_AES256CCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("DHE-RSA-AES256-CCM8", TLS12, K_DHE, A_RSA, E_AES256CCM8, M_AEAD, HIGH | NOT_DEFAULT),
    c("DHE-RSA-AES256-CCM", TLS12, K_DHE, A_RSA, E_AES256CCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("ECDHE-ECDSA-ARIA256-GCM-SHA384", TLS12, K_ECDHE, A_ECDSA, E_ARIA256GCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("ECDHE-ARIA256-GCM-SHA384", TLS12, K_ECDHE, A_RSA, E_ARIA256GCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("DHE-DSS-ARIA256-GCM-SHA384", TLS12, K_DHE, A_DSS, E_ARIA256GCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("DHE-RSA-ARIA256-GCM-SHA384", TLS12, K_DHE, A_RSA, E_ARIA256GCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("ADH-AES256-GCM-SHA384", TLS12, K_DHE, A_NULL, E_AES256GCM, M_AEAD, HIGH | FIPS | NOT_DEFAULT),
    c("ECDHE-ECDSA-AES128-GCM-SHA256", TLS12, K_ECDHE, A_ECDSA, E_AES128GCM, M_AEAD, HIGH | FIPS),
    c("ECDHE-RSA-AES128-GCM-SHA256", TLS12, K_ECDHE, A_RSA, E_AES128GCM, M_AEAD, HIGH | FIPS),
    c("DHE-DSS-AES128-GCM-SHA256", TLS12, K_DHE, A_DSS, E_AES128GCM, M_AEAD, HIGH | FIPS | NOT_DEFAULT),
    c("DHE-RSA-AES128-GCM-SHA256", TLS12, K_DHE, A_RSA, E_AES128GCM, M_AEAD, HIGH | FIPS),
    c("ECDHE-ECDSA-AES128-CCM8", TLS12, K_ECDHE, A_ECDSA, E_AES128CCM8, M_AEAD, HIGH | NOT_DEFAULT),
    c("ECDHE-ECDSA-AES128-CCM", TLS12, K_ECDHE, A_ECDSA, E_AES128CCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("DHE-RSA-AES128-CCM8", TLS12, K_DHE, A_RSA, E_AES128CCM8, M_AEAD, HIGH | NOT_DEFAULT),
    c("DHE-RSA-AES128-CCM", TLS12, K_DHE, A_RSA, E_AES128CCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("ECDHE-ECDSA-ARIA128-GCM-SHA256", TLS12, K_ECDHE, A_ECDSA, E_ARIA128GCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("ECDHE-ARIA128-GCM-SHA256", TLS12, K_ECDHE, A_RSA, E_ARIA128GCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("DHE-DSS-ARIA128-GCM-SHA256", TLS12, K_DHE, A_DSS, E_ARIA128GCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("DHE-RSA-ARIA128-GCM-SHA256", TLS12, K_DHE, A_RSA, E_ARIA128GCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("ADH-AES128-GCM-SHA256", TLS12, K_DHE, A_NULL, E_AES128GCM, M_AEAD, HIGH | FIPS | NOT_DEFAULT),
    c("ECDHE-ECDSA-AES256-SHA384", TLS12, K_ECDHE, A_ECDSA, E_AES256, M_SHA384, HIGH | FIPS),
    c("ECDHE-RSA-AES256-SHA384", TLS12, K_ECDHE, A_RSA, E_AES256, M_SHA384, HIGH | FIPS),
    c("DHE-RSA-AES256-SHA256", TLS12, K_DHE, A_RSA, E_AES256, M_SHA256, HIGH | FIPS),
    c("DHE-DSS-AES256-SHA256", TLS12, K_DHE, A_DSS, E_AES256, M_SHA256, HIGH | FIPS | NOT_DEFAULT),
    c("ECDHE-ECDSA-CAMELLIA256-SHA384", TLS12, K_ECDHE, A_ECDSA, E_CAMELLIA256, M_SHA384, HIGH | NOT_DEFAULT),
    c("ECDHE-RSA-CAMELLIA256-SHA384", TLS12, K_ECDHE, A_RSA, E_CAMELLIA256, M_SHA384, HIGH | NOT_DEFAULT),
    c("DHE-RSA-CAMELLIA256-SHA256", TLS12, K_DHE, A_RSA, E_CAMELLIA256, M_SHA256, HIGH | NOT_DEFAULT),
    c("DHE-DSS-CAMELLIA256-SHA256", TLS12, K_DHE, A_DSS, E_CAMELLIA256, M_SHA256, HIGH | NOT_DEFAULT),
    c("ADH-AES256-SHA256", TLS12, K_DHE, A_NULL, E_AES256, M_SHA256, HIGH | FIPS | NOT_DEFAULT),
    c("ADH-CAMELLIA256-SHA256", TLS12, K_DHE, A_NULL, E_CAMELLIA256, M_SHA256, HIGH | NOT_DEFAULT),
    c("ECDHE-ECDSA-AES128-SHA256", TLS12, K_ECDHE, A_ECDSA, E_AES128, M_SHA256, HIGH | FIPS),
    c("ECDHE-RSA-AES128-SHA256", TLS12, K_ECDHE, A_RSA, E_AES128, M_SHA256, HIGH | FIPS),
    c("DHE-RSA-AES128-SHA256", TLS12, K_DHE, A_RSA, E_AES128, M_SHA256, HIGH | FIPS),
    c("DHE-DSS-AES128-SHA256", TLS12, K_DHE, A_DSS, E_AES128, M_SHA256, HIGH | FIPS | NOT_DEFAULT),
    c("ECDHE-ECDSA-CAMELLIA128-SHA256", TLS12, K_ECDHE, A_ECDSA, E_CAMELLIA128, M_SHA256, HIGH | NOT_DEFAULT),
    c("ECDHE-RSA-CAMELLIA128-SHA256", TLS12, K_ECDHE, A_RSA, E_CAMELLIA128, M_SHA256, HIGH | NOT_DEFAULT),
    c("DHE-RSA-CAMELLIA128-SHA256", TLS12, K_DHE, A_RSA, E_CAMELLIA128, M_SHA256, HIGH | NOT_DEFAULT),
    c("DHE-DSS-CAMELLIA128-SHA256", TLS12, K_DHE, A_DSS, E_CAMELLIA128, M_SHA256, HIGH | NOT_DEFAULT),
    c("ADH-AES128-SHA256", TLS12, K_DHE, A_NULL, E_AES128, M_SHA256, HIGH | FIPS | NOT_DEFAULT),
    c("ADH-CAMELLIA128-SHA256", TLS12, K_DHE, A_NULL, E_CAMELLIA128, M_SHA256, HIGH | NOT_DEFAULT),
    c("ECDHE-ECDSA-AES256-SHA", TLS1, K_ECDHE, A_ECDSA, E_AES256, M_SHA1, HIGH | FIPS),
    c("ECDHE-RSA-AES256-SHA", TLS1, K_ECDHE, A_RSA, E_AES256, M_SHA1, HIGH | FIPS),
    c("DHE-RSA-AES256-SHA", SSL3, K_DHE, A_RSA, E_AES256, M_SHA1, HIGH | FIPS),
    c("DHE-DSS-AES256-SHA", SSL3, K_DHE, A_DSS, E_AES256, M_SHA1, HIGH | FIPS | NOT_DEFAULT),
    c("DHE-RSA-CAMELLIA256-SHA", SSL3, K_DHE, A_RSA, E_CAMELLIA256, M_SHA1, HIGH | NOT_DEFAULT),
    c("DHE-DSS-CAMELLIA256-SHA", SSL3, K_DHE, A_DSS, E_CAMELLIA256, M_SHA1, HIGH | NOT_DEFAULT),
    c("AECDH-AES256-SHA", TLS1, K_ECDHE, A_NULL, E_AES256, M_SHA1, HIGH | FIPS | NOT_DEFAULT),
    c("ADH-AES256-SHA", SSL3, K_DHE, A_NULL, E_AES256, M_SHA1, HIGH | FIPS | NOT_DEFAULT),
    c("ADH-CAMELLIA256-SHA", SSL3, K_DHE, A_NULL, E_CAMELLIA256, M_SHA1, HIGH | NOT_DEFAULT),
    c("ECDHE-ECDSA-AES128-SHA", TLS1, K_ECDHE, A_ECDSA, E_AES128, M_SHA1, HIGH | FIPS),
    c("ECDHE-RSA-AES128-SHA", TLS1, K_ECDHE, A_RSA, E_AES128, M_SHA1, HIGH | FIPS),
    c("DHE-RSA-AES128-SHA", SSL3, K_DHE, A_RSA, E_AES128, M_SHA1, HIGH | FIPS),
    c("DHE-DSS-AES128-SHA", SSL3, K_DHE, A_DSS, E_AES128, M_SHA1, HIGH | FIPS | NOT_DEFAULT),
    c("DHE-RSA-CAMELLIA128-SHA", SSL3, K_DHE, A_RSA, E_CAMELLIA128, M_SHA1, HIGH | NOT_DEFAULT),
    c("DHE-DSS-CAMELLIA128-SHA", SSL3, K_DHE, A_DSS, E_CAMELLIA128, M_SHA1, HIGH | NOT_DEFAULT),
    c("AECDH-AES128-SHA", TLS1, K_ECDHE, A_NULL, E_AES128, M_SHA1, HIGH | FIPS | NOT_DEFAULT),
    c("ADH-AES128-SHA", SSL3, K_DHE, A_NULL, E_AES128, M_SHA1, HIGH | FIPS | NOT_DEFAULT),
    c("ADH-CAMELLIA128-SHA", SSL3, K_DHE, A_NULL, E_CAMELLIA128, M_SHA1, HIGH | NOT_DEFAULT),
    c("RSA-PSK-AES256-GCM-SHA384", TLS12, K_RSAPSK, A_RSA, E_AES256GCM, M_AEAD, HIGH | FIPS),
    c("DHE-PSK-AES256-GCM-SHA384", TLS12, K_DHEPSK, A_PSK, E_AES256GCM, M_AEAD, HIGH | FIPS),
    c("RSA-PSK-CHACHA20-POLY1305", TLS12, K_RSAPSK, A_RSA, E_CHACHA20, M_AEAD, HIGH),
    c("DHE-PSK-CHACHA20-POLY1305", TLS12, K_DHEPSK, A_PSK, E_CHACHA20, M_AEAD, HIGH),
    c("ECDHE-PSK-CHACHA20-POLY1305", TLS12, K_ECDHEPSK, A_PSK, E_CHACHA20, M_AEAD, HIGH),
    c("DHE-PSK-AES256-CCM8", TLS12, K_DHEPSK, A_PSK, E_AES256CCM8, M_AEAD, HIGH | NOT_DEFAULT),
    c("DHE-PSK-AES256-CCM", TLS12, K_DHEPSK, A_PSK, E_AES256CCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("RSA-PSK-ARIA256-GCM-SHA384", TLS12, K_RSAPSK, A_RSA, E_ARIA256GCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("DHE-PSK-ARIA256-GCM-SHA384", TLS12, K_DHEPSK, A_PSK, E_ARIA256GCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("AES256-GCM-SHA384", TLS12, K_RSA, A_RSA, E_AES256GCM, M_AEAD, HIGH | FIPS),
    c("AES256-CCM8", TLS12, K_RSA, A_RSA, E_AES256CCM8, M_AEAD, HIGH | NOT_DEFAULT),
    c("AES256-CCM", TLS12, K_RSA, A_RSA, E_AES256CCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("ARIA256-GCM-SHA384", TLS12, K_RSA, A_RSA, E_ARIA256GCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("PSK-AES256-GCM-SHA384", TLS12, K_PSK, A_PSK, E_AES256GCM, M_AEAD, HIGH | FIPS),
    c("PSK-CHACHA20-POLY1305", TLS12, K_PSK, A_PSK, E_CHACHA20, M_AEAD, HIGH),
    c("PSK-AES256-CCM8", TLS12, K_PSK, A_PSK, E_AES256CCM8, M_AEAD, HIGH | NOT_DEFAULT),
    c("PSK-AES256-CCM", TLS12, K_PSK, A_PSK, E_AES256CCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("PSK-ARIA256-GCM-SHA384", TLS12, K_PSK, A_PSK, E_ARIA256GCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("RSA-PSK-AES128-GCM-SHA256", TLS12, K_RSAPSK, A_RSA, E_AES128GCM, M_AEAD, HIGH | FIPS),
    c("DHE-PSK-AES128-GCM-SHA256", TLS12, K_DHEPSK, A_PSK, E_AES128GCM, M_AEAD, HIGH | FIPS),
    c("DHE-PSK-AES128-CCM8", TLS12, K_DHEPSK, A_PSK, E_AES128CCM8, M_AEAD, HIGH | NOT_DEFAULT),
    c("DHE-PSK-AES128-CCM", TLS12, K_DHEPSK, A_PSK, E_AES128CCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("RSA-PSK-ARIA128-GCM-SHA256", TLS12, K_RSAPSK, A_RSA, E_ARIA128GCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("DHE-PSK-ARIA128-GCM-SHA256", TLS12, K_DHEPSK, A_PSK, E_ARIA128GCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("AES128-GCM-SHA256", TLS12, K_RSA, A_RSA, E_AES128GCM, M_AEAD, HIGH | FIPS),
    c("AES128-CCM8", TLS12, K_RSA, A_RSA, E_AES128CCM8, M_AEAD, HIGH | NOT_DEFAULT),
    c("AES128-CCM", TLS12, K_RSA, A_RSA, E_AES128CCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("ARIA128-GCM-SHA256", TLS12, K_RSA, A_RSA, E_ARIA128GCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("PSK-AES128-GCM-SHA256", TLS12, K_PSK, A_PSK, E_AES128GCM, M_AEAD, HIGH | FIPS),
    c("PSK-AES128-CCM8", TLS12, K_PSK, A_PSK, E_AES128CCM8, M_AEAD, HIGH | NOT_DEFAULT),
    c("PSK-AES128-CCM", TLS12, K_PSK, A_PSK, E_AES128CCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("PSK-ARIA128-GCM-SHA256", TLS12, K_PSK, A_PSK, E_ARIA128GCM, M_AEAD, HIGH | NOT_DEFAULT),
    c("AES256-SHA256", TLS12, K_RSA, A_RSA, E_AES256, M_SHA256, HIGH | FIPS),
    c("CAMELLIA256-SHA256", TLS12, K_RSA, A_RSA, E_CAMELLIA256, M_SHA256, HIGH | NOT_DEFAULT),
    c("AES128-SHA256", TLS12, K_RSA, A_RSA, E_AES128, M_SHA256, HIGH | FIPS),
    c("CAMELLIA128-SHA256", TLS12, K_RSA, A_RSA, E_CAMELLIA128, M_SHA256, HIGH | NOT_DEFAULT),
    c("ECDHE-PSK-AES256-CBC-SHA384", TLS1, K_ECDHEPSK, A_PSK, E_AES256, M_SHA384, HIGH | FIPS),
    c("ECDHE-PSK-AES256-CBC-SHA", TLS1, K_ECDHEPSK, A_PSK, E_AES256, M_SHA1, HIGH | FIPS),
    c("SRP-DSS-AES-256-CBC-SHA", SSL3, K_SRP, A_DSS, E_AES256, M_SHA1, HIGH | NOT_DEFAULT),
    c("SRP-RSA-AES-256-CBC-SHA", SSL3, K_SRP, A_RSA, E_AES256, M_SHA1, HIGH),
    c("SRP-AES-256-CBC-SHA", SSL3, K_SRP, A_SRP, E_AES256, M_SHA1, HIGH),
    c("RSA-PSK-AES256-CBC-SHA384", TLS1, K_RSAPSK, A_RSA, E_AES256, M_SHA384, HIGH | FIPS),
    c("DHE-PSK-AES256-CBC-SHA384", TLS1, K_DHEPSK, A_PSK, E_AES256, M_SHA384, HIGH | FIPS),
    c("RSA-PSK-AES256-CBC-SHA", SSL3, K_RSAPSK, A_RSA, E_AES256, M_SHA1, HIGH | FIPS),
    c("DHE-PSK-AES256-CBC-SHA", SSL3, K_DHEPSK, A_PSK, E_AES256, M_SHA1, HIGH | FIPS),
    c("ECDHE-PSK-CAMELLIA256-SHA384", TLS1, K_ECDHEPSK, A_PSK, E_CAMELLIA256, M_SHA384, HIGH | NOT_DEFAULT),
    c("RSA-PSK-CAMELLIA256-SHA384", TLS1, K_RSAPSK, A_RSA, E_CAMELLIA256, M_SHA384, HIGH | NOT_DEFAULT),
    c("DHE-PSK-CAMELLIA256-SHA384", TLS1, K_DHEPSK, A_PSK, E_CAMELLIA256, M_SHA384, HIGH | NOT_DEFAULT),
    c("AES256-SHA", SSL3, K_RSA, A_RSA, E_AES256, M_SHA1, HIGH | FIPS),
    c("CAMELLIA256-SHA", SSL3, K_RSA, A_RSA, E_CAMELLIA256, M_SHA1, HIGH | NOT_DEFAULT),
    c("PSK-AES256-CBC-SHA384", TLS1, K_PSK, A_PSK, E_AES256, M_SHA384, HIGH | FIPS),
    c("PSK-AES256-CBC-SHA", SSL3, K_PSK, A_PSK, E_AES256, M_SHA1, HIGH | FIPS),
    c("PSK-CAMELLIA256-SHA384", TLS1, K_PSK, A_PSK, E_CAMELLIA256, M_SHA384, HIGH | NOT_DEFAULT),
    c("ECDHE-PSK-AES128-CBC-SHA256", TLS1, K_ECDHEPSK, A_PSK, E_AES128, M_SHA256, HIGH | FIPS),
    c("ECDHE-PSK-AES128-CBC-SHA", TLS1, K_ECDHEPSK, A_PSK, E_AES128, M_SHA1, HIGH | FIPS),
    c("SRP-DSS-AES-128-CBC-SHA", SSL3, K_SRP, A_DSS, E_AES128, M_SHA1, HIGH | NOT_DEFAULT),
    c("SRP-RSA-AES-128-CBC-SHA", SSL3, K_SRP, A_RSA, E_AES128, M_SHA1, HIGH),
    c("SRP-AES-128-CBC-SHA", SSL3, K_SRP, A_SRP, E_AES128, M_SHA1, HIGH),
    c("RSA-PSK-AES128-CBC-SHA256", TLS1, K_RSAPSK, A_RSA, E_AES128, M_SHA256, HIGH | FIPS),
    c("DHE-PSK-AES128-CBC-SHA256", TLS1, K_DHEPSK, A_PSK, E_AES128, M_SHA256, HIGH | FIPS),
    c("RSA-PSK-AES128-CBC-SHA", SSL3, K_RSAPSK, A_RSA, E_AES128, M_SHA1, HIGH | FIPS),
    c("DHE-PSK-AES128-CBC-SHA", SSL3, K_DHEPSK, A_PSK, E_AES128, M_SHA1, HIGH | FIPS),
    c("ECDHE-PSK-CAMELLIA128-SHA256", TLS1, K_ECDHEPSK, A_PSK, E_CAMELLIA128, M_SHA256, HIGH | NOT_DEFAULT),
    c("RSA-PSK-CAMELLIA128-SHA256", TLS1, K_RSAPSK, A_RSA, E_CAMELLIA128, M_SHA256, HIGH | NOT_DEFAULT),
    c("DHE-PSK-CAMELLIA128-SHA256", TLS1, K_DHEPSK, A_PSK, E_CAMELLIA128, M_SHA256, HIGH | NOT_DEFAULT),
    c("AES128-SHA", SSL3, K_RSA, A_RSA, E_AES128, M_SHA1, HIGH | FIPS),
    c("CAMELLIA128-SHA", SSL3, K_RSA, A_RSA, E_CAMELLIA128, M_SHA1, HIGH | NOT_DEFAULT),
    c("PSK-AES128-CBC-SHA256", TLS1, K_PSK, A_PSK, E_AES128, M_SHA256, HIGH | FIPS),
    c("PSK-AES128-CBC-SHA", SSL3, K_PSK, A_PSK, E_AES128, M_SHA1, HIGH | FIPS),
    c("PSK-CAMELLIA128-SHA256", TLS1, K_PSK, A_PSK, E_CAMELLIA128, M_SHA256, HIGH | NOT_DEFAULT),
    c("ECDHE-ECDSA-NULL-SHA", TLS1, K_ECDHE, A_ECDSA, E_NULL, M_SHA1, NONE),
    c("ECDHE-RSA-NULL-SHA", TLS1, K_ECDHE, A_RSA, E_NULL, M_SHA1, NONE),
    c("AECDH-NULL-SHA", TLS1, K_ECDHE, A_NULL, E_NULL, M_SHA1, NONE),
    c("NULL-SHA256", TLS12, K_RSA, A_RSA, E_NULL, M_SHA256, NONE),
    c("ECDHE-PSK-NULL-SHA384", TLS1, K_ECDHEPSK, A_PSK, E_NULL, M_SHA384, NONE),
    c("ECDHE-PSK-NULL-SHA256", TLS1, K_ECDHEPSK, A_PSK, E_NULL, M_SHA256, NONE),
    c("ECDHE-PSK-NULL-SHA", TLS1, K_ECDHEPSK, A_PSK, E_NULL, M_SHA1, NONE),
    c("RSA-PSK-NULL-SHA384", TLS1, K_RSAPSK, A_RSA, E_NULL, M_SHA384, NONE),
    c("RSA-PSK-NULL-SHA256", TLS1, K_RSAPSK, A_RSA, E_NULL, M_SHA256, NONE),
    c("DHE-PSK-NULL-SHA384", TLS1, K_DHEPSK, A_PSK, E_NULL, M_SHA384, NONE),
    c("DHE-PSK-NULL-SHA256", TLS1, K_DHEPSK, A_PSK, E_NULL, M_SHA256, NONE),
    c("RSA-PSK-NULL-SHA", SSL3, K_RSAPSK, A_RSA, E_NULL, M_SHA1, NONE),
    c("DHE-PSK-NULL-SHA", SSL3, K_DHEPSK, A_PSK, E_NULL, M_SHA1, NONE),
    c("NULL-SHA", SSL3, K_RSA, A_RSA, E_NULL, M_SHA1, NONE),
    c("NULL-MD5", SSL3, K_RSA, A_RSA, E_NULL, M_MD5, NONE),
    c("PSK-NULL-SHA384", TLS1, K_PSK, A_PSK, E_NULL, M_SHA384, NONE),
    c("PSK-NULL-SHA256", TLS1, K_PSK, A_PSK, E_NULL, M_SHA256, NONE),
    c("PSK-NULL-SHA", SSL3, K_PSK, A_PSK, E_NULL, M_SHA1, NONE),
];

/// Ciphers OpenSSL 3 defines but that this build lacks: RC4 and 3DES (compiled in only with
/// `enable-weak-ssl-ciphers`), SEED and IDEA (legacy provider), GOST (engine). Configurations
/// still name them (Mozilla's "old" profile ends with DES-CBC3-SHA), so they are known names
/// that rustls does not implement rather than typos. Their order never matters: no rule can
/// move one of them relative to a cipher rustls implements.
#[rustfmt::skip]
static OPENSSL_ABSENT: &[Cipher] = &[
    c("DES-CBC3-SHA", SSL3, K_RSA, A_RSA, E_3DES, M_SHA1, MEDIUM | FIPS | NOT_DEFAULT),
    c("DHE-DSS-DES-CBC3-SHA", SSL3, K_DHE, A_DSS, E_3DES, M_SHA1, MEDIUM | FIPS | NOT_DEFAULT),
    c("DHE-RSA-DES-CBC3-SHA", SSL3, K_DHE, A_RSA, E_3DES, M_SHA1, MEDIUM | FIPS | NOT_DEFAULT),
    c("ADH-DES-CBC3-SHA", SSL3, K_DHE, A_NULL, E_3DES, M_SHA1, MEDIUM | FIPS | NOT_DEFAULT),
    c("ECDHE-ECDSA-DES-CBC3-SHA", TLS1, K_ECDHE, A_ECDSA, E_3DES, M_SHA1, MEDIUM | FIPS | NOT_DEFAULT),
    c("ECDHE-RSA-DES-CBC3-SHA", TLS1, K_ECDHE, A_RSA, E_3DES, M_SHA1, MEDIUM | FIPS | NOT_DEFAULT),
    c("AECDH-DES-CBC3-SHA", TLS1, K_ECDHE, A_NULL, E_3DES, M_SHA1, MEDIUM | FIPS | NOT_DEFAULT),
    c("PSK-3DES-EDE-CBC-SHA", SSL3, K_PSK, A_PSK, E_3DES, M_SHA1, MEDIUM | FIPS | NOT_DEFAULT),
    c("RSA-PSK-3DES-EDE-CBC-SHA", SSL3, K_RSAPSK, A_RSA, E_3DES, M_SHA1, MEDIUM | FIPS | NOT_DEFAULT),
    c("DHE-PSK-3DES-EDE-CBC-SHA", SSL3, K_DHEPSK, A_PSK, E_3DES, M_SHA1, MEDIUM | FIPS | NOT_DEFAULT),
    c("ECDHE-PSK-3DES-EDE-CBC-SHA", TLS1, K_ECDHEPSK, A_PSK, E_3DES, M_SHA1, MEDIUM | FIPS | NOT_DEFAULT),
    c("SRP-3DES-EDE-CBC-SHA", SSL3, K_SRP, A_SRP, E_3DES, M_SHA1, MEDIUM | NOT_DEFAULT),
    c("SRP-RSA-3DES-EDE-CBC-SHA", SSL3, K_SRP, A_RSA, E_3DES, M_SHA1, MEDIUM | NOT_DEFAULT),
    c("SRP-DSS-3DES-EDE-CBC-SHA", SSL3, K_SRP, A_DSS, E_3DES, M_SHA1, MEDIUM | NOT_DEFAULT),
    c("RC4-MD5", SSL3, K_RSA, A_RSA, E_RC4, M_MD5, MEDIUM | NOT_DEFAULT),
    c("RC4-SHA", SSL3, K_RSA, A_RSA, E_RC4, M_SHA1, MEDIUM | NOT_DEFAULT),
    c("ADH-RC4-MD5", SSL3, K_DHE, A_NULL, E_RC4, M_MD5, MEDIUM | NOT_DEFAULT),
    c("ECDHE-ECDSA-RC4-SHA", TLS1, K_ECDHE, A_ECDSA, E_RC4, M_SHA1, MEDIUM | NOT_DEFAULT),
    c("ECDHE-RSA-RC4-SHA", TLS1, K_ECDHE, A_RSA, E_RC4, M_SHA1, MEDIUM | NOT_DEFAULT),
    c("AECDH-RC4-SHA", TLS1, K_ECDHE, A_NULL, E_RC4, M_SHA1, MEDIUM | NOT_DEFAULT),
    c("PSK-RC4-SHA", SSL3, K_PSK, A_PSK, E_RC4, M_SHA1, MEDIUM | NOT_DEFAULT),
    c("RSA-PSK-RC4-SHA", SSL3, K_RSAPSK, A_RSA, E_RC4, M_SHA1, MEDIUM | NOT_DEFAULT),
    c("DHE-PSK-RC4-SHA", SSL3, K_DHEPSK, A_PSK, E_RC4, M_SHA1, MEDIUM | NOT_DEFAULT),
    c("ECDHE-PSK-RC4-SHA", TLS1, K_ECDHEPSK, A_PSK, E_RC4, M_SHA1, MEDIUM | NOT_DEFAULT),
    c("SEED-SHA", SSL3, K_RSA, A_RSA, E_SEED, M_SHA1, MEDIUM | NOT_DEFAULT),
    c("DHE-DSS-SEED-SHA", SSL3, K_DHE, A_DSS, E_SEED, M_SHA1, MEDIUM | NOT_DEFAULT),
    c("DHE-RSA-SEED-SHA", SSL3, K_DHE, A_RSA, E_SEED, M_SHA1, MEDIUM | NOT_DEFAULT),
    c("ADH-SEED-SHA", SSL3, K_DHE, A_NULL, E_SEED, M_SHA1, MEDIUM | NOT_DEFAULT),
    c("IDEA-CBC-SHA", SSL3, K_RSA, A_RSA, E_IDEA, M_SHA1, MEDIUM | NOT_DEFAULT),
    c("GOST2001-GOST89-GOST89", TLS1, K_GOST, A_GOST01, E_GOST89, M_GOST89MAC, HIGH | NOT_DEFAULT),
    c("GOST2001-NULL-GOST94", TLS1, K_GOST, A_GOST01, E_NULL, M_GOST94, NONE | NOT_DEFAULT),
    c("GOST2012-GOST8912-GOST8912", TLS1, K_GOST, A_GOST12, E_GOST8912, M_GOST89MAC12, HIGH | NOT_DEFAULT),
    c("IANA-GOST2012-GOST8912-GOST8912", TLS1, K_GOST, A_GOST12, E_GOST8912, M_GOST89MAC12, HIGH | NOT_DEFAULT),
    c("LEGACY-GOST2012-GOST8912-GOST8912", TLS1, K_GOST, A_GOST12, E_GOST8912, M_GOST89MAC12, HIGH | NOT_DEFAULT),
    c("GOST2012-GOST8912-IANA", TLS1, K_GOST, A_GOST12, E_GOST8912, M_GOST89MAC12, HIGH | NOT_DEFAULT),
    c("GOST2012-NULL-GOST12", TLS1, K_GOST, A_GOST12, E_NULL, M_GOST12, NONE | NOT_DEFAULT),
    c("GOST2012-KUZNYECHIK-KUZNYECHIKOMAC", TLS12, K_GOST18, A_GOST12, E_KUZNYECHIK, M_KUZNYECHIKOMAC, HIGH | NOT_DEFAULT),
    c("GOST2012-MAGMA-MAGMAOMAC", TLS12, K_GOST18, A_GOST12, E_MAGMA, M_MAGMAOMAC, HIGH | NOT_DEFAULT),
];

/// The TLS ≤ 1.2 cipher rustls implements for an OpenSSL name: ring offers only ECDHE with
/// AES-GCM or CHACHA20-POLY1305.
fn rustls_tls12(c: &Cipher) -> Option<SupportedCipherSuite> {
    Some(match c.name {
        "ECDHE-ECDSA-AES128-GCM-SHA256" => rs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        "ECDHE-ECDSA-AES256-GCM-SHA384" => rs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        "ECDHE-ECDSA-CHACHA20-POLY1305" => rs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        "ECDHE-RSA-AES128-GCM-SHA256" => rs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        "ECDHE-RSA-AES256-GCM-SHA384" => rs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        "ECDHE-RSA-CHACHA20-POLY1305" => rs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
        _ => return None,
    })
}

const RUSTLS_TLS12: &str = "rustls has TLS 1.2 only with ECDHE and AES-GCM or CHACHA20-POLY1305";

/// The key length `@STRENGTH` sorts by and `@SECLEVEL` checks.
fn strength_bits(c: &Cipher) -> u16 {
    const BITS_128: u32 = E_ALL_AES128 | E_CAMELLIA128 | E_ARIA128GCM | E_RC4 | E_SEED | E_IDEA;
    if c.enc & E_NULL != 0 {
        0
    } else if c.enc & E_3DES != 0 {
        112
    } else if c.enc & BITS_128 != 0 {
        128
    } else {
        256
    }
}

/// The least cipher strength each `@SECLEVEL` accepts (levels 0 to 5).
fn seclevel_bits(level: u8) -> u16 {
    match level {
        0 => 0,
        1 => 80,
        2 => 112,
        3 => 128,
        4 => 192,
        _ => 256,
    }
}

/// What one element of a cipher string selects: per category the set of values accepted
/// (0 = any), or one cipher by name, or nothing at all.
#[derive(Clone, Copy, Debug)]
struct Pattern {
    kx: u32,
    au: u32,
    enc: u32,
    mac: u32,
    ver: u32,
    strength: u8,
    not_default: bool,
    cipher: Option<&'static Cipher>,
    nothing: bool,
}

const ANY: Pattern = Pattern {
    kx: 0,
    au: 0,
    enc: 0,
    mac: 0,
    ver: 0,
    strength: 0,
    not_default: false,
    cipher: None,
    nothing: false,
};
const NOTHING: Pattern = Pattern {
    nothing: true,
    ..ANY
};

const fn kx(kx: u32) -> Pattern {
    Pattern { kx, ..ANY }
}
const fn au(au: u32) -> Pattern {
    Pattern { au, ..ANY }
}
const fn kx_au(kx: u32, au: u32) -> Pattern {
    Pattern { kx, au, ..ANY }
}
const fn enc(enc: u32) -> Pattern {
    Pattern { enc, ..ANY }
}
const fn mac(mac: u32) -> Pattern {
    Pattern { mac, ..ANY }
}
const fn ver(ver: u32) -> Pattern {
    Pattern { ver, ..ANY }
}
const fn class(strength: u8) -> Pattern {
    Pattern { strength, ..ANY }
}

/// OpenSSL 3's cipher string aliases.
static ALIASES: &[(&str, Pattern)] = &[
    // ALL leaves out the null ciphers; COMPLEMENTOFALL is them.
    ("ALL", enc(!E_NULL)),
    ("COMPLEMENTOFALL", enc(E_NULL)),
    (
        "COMPLEMENTOFDEFAULT",
        Pattern {
            not_default: true,
            ..ANY
        },
    ),
    ("kRSA", kx(K_RSA)),
    ("kEDH", kx(K_DHE)),
    ("kDHE", kx(K_DHE)),
    ("DH", kx(K_DHE)),
    ("kEECDH", kx(K_ECDHE)),
    ("kECDHE", kx(K_ECDHE)),
    ("ECDH", kx(K_ECDHE)),
    ("kPSK", kx(K_PSK)),
    ("kRSAPSK", kx(K_RSAPSK)),
    ("kECDHEPSK", kx(K_ECDHEPSK)),
    ("kDHEPSK", kx(K_DHEPSK)),
    ("kSRP", kx(K_SRP)),
    ("kGOST", kx(K_GOST)),
    ("kGOST18", kx(K_GOST18)),
    ("aRSA", au(A_RSA)),
    ("aDSS", au(A_DSS)),
    ("DSS", au(A_DSS)),
    ("aNULL", au(A_NULL)),
    ("aECDSA", au(A_ECDSA)),
    ("ECDSA", au(A_ECDSA)),
    ("aPSK", au(A_PSK)),
    ("aGOST01", au(A_GOST01)),
    ("aGOST12", au(A_GOST12)),
    ("aGOST", au(A_GOST01 | A_GOST12)),
    ("aSRP", au(A_SRP)),
    // The ephemeral key exchanges without the anonymous ones (which kEDH/kEECDH include).
    ("EDH", kx_au(K_DHE, !A_NULL)),
    ("DHE", kx_au(K_DHE, !A_NULL)),
    ("EECDH", kx_au(K_ECDHE, !A_NULL)),
    ("ECDHE", kx_au(K_ECDHE, !A_NULL)),
    ("NULL", enc(E_NULL)),
    ("RSA", kx_au(K_RSA, A_RSA)),
    ("ADH", kx_au(K_DHE, A_NULL)),
    ("AECDH", kx_au(K_ECDHE, A_NULL)),
    ("PSK", kx(K_PSK | K_RSAPSK | K_ECDHEPSK | K_DHEPSK)),
    ("SRP", kx(K_SRP)),
    ("3DES", enc(E_3DES)),
    ("RC4", enc(E_RC4)),
    ("RC2", NOTHING),
    ("IDEA", enc(E_IDEA)),
    ("SEED", enc(E_SEED)),
    ("eNULL", enc(E_NULL)),
    ("GOST", enc(E_GOST89 | E_GOST8912)),
    ("GOST2012", enc(E_GOST8912)),
    ("MAGMA", enc(E_MAGMA)),
    ("KUZNYECHIK", enc(E_KUZNYECHIK)),
    ("AES128", enc(E_ALL_AES128)),
    ("AES256", enc(E_ALL_AES256)),
    ("AES", enc(E_ALL_AES128 | E_ALL_AES256)),
    ("AESGCM", enc(E_AES128GCM | E_AES256GCM)),
    (
        "AESCCM",
        enc(E_AES128CCM | E_AES256CCM | E_AES128CCM8 | E_AES256CCM8),
    ),
    ("AESCCM8", enc(E_AES128CCM8 | E_AES256CCM8)),
    ("CAMELLIA128", enc(E_CAMELLIA128)),
    ("CAMELLIA256", enc(E_CAMELLIA256)),
    ("CAMELLIA", enc(E_CAMELLIA128 | E_CAMELLIA256)),
    ("CHACHA20", enc(E_CHACHA20)),
    ("ARIA", enc(E_ARIA128GCM | E_ARIA256GCM)),
    ("ARIAGCM", enc(E_ARIA128GCM | E_ARIA256GCM)),
    ("ARIA128", enc(E_ARIA128GCM)),
    ("ARIA256", enc(E_ARIA256GCM)),
    ("AEAD", mac(M_AEAD)),
    ("MD5", mac(M_MD5)),
    ("SHA1", mac(M_SHA1)),
    ("SHA", mac(M_SHA1)),
    ("GOST94", mac(M_GOST94)),
    ("GOST89MAC", mac(M_GOST89MAC | M_GOST89MAC12)),
    ("SHA256", mac(M_SHA256)),
    ("SHA384", mac(M_SHA384)),
    ("GOST12", mac(M_GOST12)),
    ("SSLv3", ver(SSL3)),
    ("TLSv1", ver(TLS1)),
    ("TLSv1.0", ver(TLS1)),
    ("TLSv1.2", ver(TLS12)),
    // Datagram versions match nothing in a TLS context.
    ("DTLSv1", NOTHING),
    ("DTLSv1.0", NOTHING),
    ("DTLSv1.2", NOTHING),
    ("LOW", class(LOW)),
    ("MEDIUM", class(MEDIUM)),
    ("HIGH", class(HIGH)),
    (
        "FIPS",
        Pattern {
            enc: !E_NULL,
            strength: FIPS,
            ..ANY
        },
    ),
];

/// Aliases of OpenSSL 1.0/1.1 that OpenSSL 3 no longer has: it skips them as unknown words,
/// selecting nothing, and old configurations still carry them (`!EXPORT`, `!kECDH`, `!DES`).
/// They are accepted here for that reason rather than reported as typos.
static RETIRED_ALIASES: &[&str] = &[
    "EXP", "EXPORT", "EXPORT40", "EXPORT56", "DES", "SSLv2", "kDH", "kDHr", "kDHd", "aDH", "kECDH",
    "kECDHr", "kECDHe", "aECDH", "KRB5", "kKRB5", "aKRB5", "kFZA", "aFZA", "eFZA", "FZA",
];

/// The TLS 1.3 suites OpenSSL 3.0 knows, with rustls's implementation when there is one.
fn tls13_by_name(name: &str) -> Option<Option<SupportedCipherSuite>> {
    match name {
        "TLS_AES_128_GCM_SHA256" => Some(Some(rs::TLS13_AES_128_GCM_SHA256)),
        "TLS_AES_256_GCM_SHA384" => Some(Some(rs::TLS13_AES_256_GCM_SHA384)),
        "TLS_CHACHA20_POLY1305_SHA256" => Some(Some(rs::TLS13_CHACHA20_POLY1305_SHA256)),
        "TLS_AES_128_CCM_SHA256" | "TLS_AES_128_CCM_8_SHA256" => Some(None),
        _ => None,
    }
}

fn known_ciphers() -> impl Iterator<Item = &'static Cipher> {
    OPENSSL.iter().chain(OPENSSL_ABSENT)
}

fn cipher_by_name(name: &str) -> Option<&'static Cipher> {
    // OpenSSL keeps the old EDH- spelling of the two 3DES DHE ciphers as aliases.
    let name = match name {
        "EDH-DSS-DES-CBC3-SHA" => "DHE-DSS-DES-CBC3-SHA",
        "EDH-RSA-DES-CBC3-SHA" => "DHE-RSA-DES-CBC3-SHA",
        other => other,
    };
    known_ciphers().find(|c| c.name == name)
}

/// Category sets of two elements joined by `+`: both must hold. A join that leaves a
/// category empty selects nothing (OpenSSL drops the element).
fn meet(a: u32, b: u32, nothing: &mut bool) -> u32 {
    if a == 0 {
        b
    } else if b == 0 {
        a
    } else {
        let both = a & b;
        *nothing |= both == 0;
        both
    }
}

/// Whether a cipher's value in a category is among a pattern's (0 = any).
fn hit(set: u32, value: u32) -> bool {
    set == 0 || set & value != 0
}

impl Pattern {
    fn cipher(c: &'static Cipher) -> Pattern {
        // A name also carries its cipher's attributes, which matters when it is joined with
        // other elements by `+`; its protocol version is not one of them, as in OpenSSL.
        Pattern {
            kx: c.kx,
            au: c.au,
            enc: c.enc,
            mac: c.mac,
            ver: 0,
            strength: c.flags & STRENGTH,
            not_default: c.flags & NOT_DEFAULT != 0,
            cipher: Some(c),
            nothing: false,
        }
    }

    /// `self+other`.
    fn and(self, other: &Pattern) -> Pattern {
        let mut nothing = self.nothing || other.nothing;
        let kx = meet(self.kx, other.kx, &mut nothing);
        let au = meet(self.au, other.au, &mut nothing);
        let enc = meet(self.enc, other.enc, &mut nothing);
        let mac = meet(self.mac, other.mac, &mut nothing);
        let ver = meet(self.ver, other.ver, &mut nothing);
        // OpenSSL 3 forgets a COMPLEMENTOFDEFAULT met before the first element carrying a
        // strength class (HIGH, FIPS, a cipher name...): `COMPLEMENTOFDEFAULT+HIGH` is all of
        // HIGH while `HIGH+COMPLEMENTOFDEFAULT` is the intersection. Kept for fidelity; the
        // tests compare both with `openssl ciphers`.
        let (strength, not_default) = if other.strength == 0 {
            (self.strength, self.not_default)
        } else if self.strength == 0 {
            (other.strength, false)
        } else {
            let both = self.strength & other.strength;
            nothing |= both == 0;
            (both, self.not_default)
        };
        Pattern {
            kx,
            au,
            enc,
            mac,
            ver,
            strength,
            not_default: not_default || other.not_default,
            // The last name wins, as in OpenSSL; two different names also differ in some
            // category, which already makes the join select nothing.
            cipher: other.cipher.or(self.cipher),
            nothing,
        }
    }

    fn matches(&self, c: &'static Cipher) -> bool {
        !self.nothing
            && hit(self.kx, c.kx)
            && hit(self.au, c.au)
            && hit(self.enc, c.enc)
            && hit(self.mac, c.mac)
            && hit(self.ver, c.ver)
            && hit(u32::from(self.strength), u32::from(c.flags & STRENGTH))
            && (!self.not_default || c.flags & NOT_DEFAULT != 0)
            && self.cipher.is_none_or(|named| std::ptr::eq(named, c))
    }
}

/// A word's resolution: a cipher name, an alias, or an error saying why it is neither.
fn lookup(part: &str) -> Result<Pattern, String> {
    if let Some(c) = cipher_by_name(part) {
        return Ok(Pattern::cipher(c));
    }
    if let Some((_, pattern)) = ALIASES.iter().find(|(name, _)| *name == part) {
        return Ok(*pattern);
    }
    if RETIRED_ALIASES.contains(&part) {
        return Ok(NOTHING);
    }
    Err(match part {
        // OpenSSL expands DEFAULT only at the very start; elsewhere it is an unknown word
        // that it skips, which is never what the writer meant.
        "DEFAULT" => "'DEFAULT' is only understood at the start of a cipher string".to_string(),
        // Suite B also restricts curves and signature algorithms, which this keyword cannot
        // carry over; better refused than half applied.
        "SUITEB128" | "SUITEB128ONLY" | "SUITEB128C2" | "SUITEB192" => {
            format!("Suite B mode ('{part}') is not supported")
        }
        _ if tls13_by_name(part).is_some() => {
            format!("unknown cipher '{part}' (a TLS 1.3 cipher suite: set it with 'ciphersuites')")
        }
        _ if part.starts_with("TLSv") || part.starts_with("SSLv") => format!(
            "unknown cipher '{part}' (the version aliases are SSLv3, TLSv1, TLSv1.0 and TLSv1.2)"
        ),
        _ => format!("unknown cipher '{part}'"),
    })
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Op {
    /// `X`: append the inactive matches.
    Add,
    /// `-X`: deactivate the matches; they move to the front, so that a later add of them
    /// puts them ahead of ciphers that were never selected.
    Del,
    /// `+X`: move the active matches to the end.
    Ord,
    /// `!X`: remove the matches for good.
    Kill,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    cipher: &'static Cipher,
    active: bool,
}

/// OpenSSL's evaluation of a cipher string: every known cipher in one ordered list, each
/// active (selected) or not, rewritten by the string's words in turn.
struct Evaluation {
    list: Vec<Entry>,
    /// Ciphers added by name, with the word that named them, in order of naming.
    named: Vec<(&'static Cipher, String)>,
    seclevel: Option<u8>,
}

/// What `DEFAULT` stands for at the start of an OpenSSL 3 cipher string.
const DEFAULT_RULES: &str = "ALL:!COMPLEMENTOFDEFAULT:!eNULL";

/// OpenSSL separates the words of a cipher string with any of these.
const SEPARATORS: [char; 4] = [':', ' ', ';', ','];

impl Evaluation {
    fn new() -> Self {
        Evaluation {
            list: known_ciphers()
                .map(|cipher| Entry {
                    cipher,
                    active: false,
                })
                .collect(),
            named: Vec::new(),
            seclevel: None,
        }
    }

    fn run(spec: &str) -> Result<Self, String> {
        let mut ev = Evaluation::new();
        let rest = match spec.strip_prefix("DEFAULT") {
            Some(rest) => {
                ev.words(DEFAULT_RULES)?;
                rest
            }
            None => spec,
        };
        ev.words(rest)?;
        Ok(ev)
    }

    fn words(&mut self, s: &str) -> Result<(), String> {
        s.split(SEPARATORS)
            .filter(|w| !w.is_empty())
            .try_for_each(|w| self.word(w))
    }

    fn word(&mut self, word: &str) -> Result<(), String> {
        let (op, body) = if let Some(body) = word.strip_prefix('!') {
            (Op::Kill, body)
        } else if let Some(body) = word.strip_prefix('-') {
            (Op::Del, body)
        } else if let Some(body) = word.strip_prefix('+') {
            (Op::Ord, body)
        } else if let Some(command) = word.strip_prefix('@') {
            return self.command(command);
        } else {
            (Op::Add, word)
        };
        if body.is_empty() {
            return Err(format!("missing cipher name after '{word}'"));
        }
        let mut pattern = ANY;
        let mut name = None;
        for part in body.split('+') {
            if part.is_empty() {
                return Err(format!("misplaced '+' in '{word}'"));
            }
            let p = lookup(part)?;
            if p.cipher.is_some() {
                name = Some(part);
            }
            pattern = pattern.and(&p);
        }
        self.apply(op, &pattern);
        if let (Op::Add, Some(c), Some(name)) = (op, pattern.cipher, name) {
            if pattern.matches(c) && !self.named.iter().any(|(n, _)| std::ptr::eq(*n, c)) {
                self.named.push((c, name.to_string()));
            }
        }
        Ok(())
    }

    fn command(&mut self, command: &str) -> Result<(), String> {
        if command == "STRENGTH" {
            self.sort_by_strength();
            return Ok(());
        }
        match command.strip_prefix("SECLEVEL=").map(str::as_bytes) {
            Some(&[digit @ b'0'..=b'5']) => {
                self.seclevel = Some(digit - b'0');
                Ok(())
            }
            Some(_) => Err(format!(
                "invalid security level in '@{command}' (a digit from 0 to 5)"
            )),
            None => Err(format!("unknown cipher string command '@{command}'")),
        }
    }

    fn apply(&mut self, op: Op, pattern: &Pattern) {
        let list = std::mem::take(&mut self.list);
        if op == Op::Kill {
            self.list = list
                .into_iter()
                .filter(|e| !pattern.matches(e.cipher))
                .collect();
            return;
        }
        // Adding takes inactive ciphers, removing and reordering take active ones; the
        // taken keep their relative order wherever they go.
        let takes_active = op != Op::Add;
        let (mut taken, kept): (Vec<Entry>, Vec<Entry>) = list
            .into_iter()
            .partition(|e| e.active == takes_active && pattern.matches(e.cipher));
        for e in &mut taken {
            e.active = op != Op::Del;
        }
        self.list = if op == Op::Del {
            taken.into_iter().chain(kept).collect()
        } else {
            kept.into_iter().chain(taken).collect()
        };
    }

    /// `@STRENGTH`: the active ciphers, longest keys first, equal ones keeping their order.
    fn sort_by_strength(&mut self) {
        let list = std::mem::take(&mut self.list);
        let (mut active, inactive): (Vec<Entry>, Vec<Entry>) =
            list.into_iter().partition(|e| e.active);
        active.sort_by_key(|e| std::cmp::Reverse(strength_bits(e.cipher)));
        self.list = inactive.into_iter().chain(active).collect();
    }

    /// The selected ciphers in preference order.
    fn selected(&self) -> impl Iterator<Item = &'static Cipher> + '_ {
        self.list.iter().filter(|e| e.active).map(|e| e.cipher)
    }
}

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

/// Every group name OpenSSL 3.0 takes in a groups list (each checked with `curves` on
/// HAProxy 2.6 here), with the group it stands for: OpenSSL refuses a group listed twice,
/// whatever the spelling. Matching is exact, as OpenSSL's (`p-256` is refused) except for
/// the two spellings of X25519 and X448.
static GROUP_NAMES: &[(&str, &str)] = &[
    ("X25519", "x25519"),
    ("x25519", "x25519"),
    ("X448", "x448"),
    ("x448", "x448"),
    ("P-256", "secp256r1"),
    ("prime256v1", "secp256r1"),
    ("secp256r1", "secp256r1"),
    ("P-384", "secp384r1"),
    ("secp384r1", "secp384r1"),
    ("P-521", "secp521r1"),
    ("secp521r1", "secp521r1"),
    ("P-224", "secp224r1"),
    ("secp224r1", "secp224r1"),
    ("P-192", "secp192r1"),
    ("prime192v1", "secp192r1"),
    ("secp192r1", "secp192r1"),
    ("secp160k1", "secp160k1"),
    ("secp160r1", "secp160r1"),
    ("secp160r2", "secp160r2"),
    ("secp192k1", "secp192k1"),
    ("secp224k1", "secp224k1"),
    ("secp256k1", "secp256k1"),
    ("K-163", "sect163k1"),
    ("sect163k1", "sect163k1"),
    ("sect163r1", "sect163r1"),
    ("B-163", "sect163r2"),
    ("sect163r2", "sect163r2"),
    ("sect193r1", "sect193r1"),
    ("sect193r2", "sect193r2"),
    ("K-233", "sect233k1"),
    ("sect233k1", "sect233k1"),
    ("B-233", "sect233r1"),
    ("sect233r1", "sect233r1"),
    ("sect239k1", "sect239k1"),
    ("K-283", "sect283k1"),
    ("sect283k1", "sect283k1"),
    ("B-283", "sect283r1"),
    ("sect283r1", "sect283r1"),
    ("K-409", "sect409k1"),
    ("sect409k1", "sect409k1"),
    ("B-409", "sect409r1"),
    ("sect409r1", "sect409r1"),
    ("K-571", "sect571k1"),
    ("sect571k1", "sect571k1"),
    ("B-571", "sect571r1"),
    ("sect571r1", "sect571r1"),
    ("brainpoolP256r1", "brainpoolP256r1"),
    ("brainpoolP384r1", "brainpoolP384r1"),
    ("brainpoolP512r1", "brainpoolP512r1"),
    ("ffdhe2048", "ffdhe2048"),
    ("ffdhe3072", "ffdhe3072"),
    ("ffdhe4096", "ffdhe4096"),
    ("ffdhe6144", "ffdhe6144"),
    ("ffdhe8192", "ffdhe8192"),
];

/// ring's implementation of a group, if it has one.
fn ring_group(group: &str) -> Option<&'static dyn SupportedKxGroup> {
    match group {
        "x25519" => Some(kx_group::X25519),
        "secp256r1" => Some(kx_group::SECP256R1),
        "secp384r1" => Some(kx_group::SECP384R1),
        _ => None,
    }
}

/// `curves` / `ssl-default-bind-curves` / `ssl-default-server-curves` / `ecdhe`: OpenSSL
/// group names separated by `:`, in preference order.
///
/// Names OpenSSL knows that ring lacks (P-521, X448, ffdhe*, ...) are collected in
/// `unsupported`; an unknown name, an empty element or a group listed twice is an error (as
/// in OpenSSL), and so is a list leaving nothing ring implements.
pub fn kx_groups(spec: &str) -> Result<GroupChoice, String> {
    if spec.is_empty() {
        return Err("no curve given".to_string());
    }
    let mut groups = Vec::new();
    let mut unsupported = Vec::new();
    let mut seen: Vec<&str> = Vec::new();
    for name in spec.split(':') {
        if name.is_empty() {
            return Err(format!("empty curve name in '{spec}'"));
        }
        let Some((_, group)) = GROUP_NAMES.iter().find(|(n, _)| *n == name) else {
            return Err(format!("unknown curve '{name}'"));
        };
        if seen.contains(group) {
            return Err(format!("curve '{name}' is listed twice"));
        }
        seen.push(group);
        match ring_group(group) {
            Some(kx) => groups.push(kx),
            None => unsupported.push(name.to_string()),
        }
    }
    if groups.is_empty() {
        return Err(format!(
            "no curve left that rustls implements (not implemented: {}); rustls has X25519, \
             P-256 and P-384",
            unsupported.join(", ")
        ));
    }
    Ok(GroupChoice {
        groups,
        unsupported,
    })
}

/// A protocol version as HAProxy's `ssl-min-ver` / `ssl-max-ver` name it, oldest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum TlsVersion {
    Sslv3,
    Tlsv10,
    Tlsv11,
    Tlsv12,
    Tlsv13,
}

impl TlsVersion {
    pub const ALL: [TlsVersion; 5] = [
        TlsVersion::Sslv3,
        TlsVersion::Tlsv10,
        TlsVersion::Tlsv11,
        TlsVersion::Tlsv12,
        TlsVersion::Tlsv13,
    ];

    /// HAProxy's spelling, as `ssl-min-ver` takes it.
    pub fn as_str(self) -> &'static str {
        match self {
            TlsVersion::Sslv3 => "SSLv3",
            TlsVersion::Tlsv10 => "TLSv1.0",
            TlsVersion::Tlsv11 => "TLSv1.1",
            TlsVersion::Tlsv12 => "TLSv1.2",
            TlsVersion::Tlsv13 => "TLSv1.3",
        }
    }

    /// The suffix of the `no-*` and `force-*` options.
    fn option_suffix(self) -> &'static str {
        match self {
            TlsVersion::Sslv3 => "sslv3",
            TlsVersion::Tlsv10 => "tlsv10",
            TlsVersion::Tlsv11 => "tlsv11",
            TlsVersion::Tlsv12 => "tlsv12",
            TlsVersion::Tlsv13 => "tlsv13",
        }
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }

    fn rustls(self) -> Option<&'static SupportedProtocolVersion> {
        match self {
            TlsVersion::Tlsv12 => Some(&rustls::version::TLS12),
            TlsVersion::Tlsv13 => Some(&rustls::version::TLS13),
            _ => None,
        }
    }
}

impl std::fmt::Display for TlsVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `ssl-min-ver` / `ssl-max-ver`'s argument; the error is HAProxy's, word for word.
pub fn parse_version(s: &str) -> Result<TlsVersion, String> {
    TlsVersion::ALL
        .into_iter()
        .find(|v| v.as_str() == s)
        .ok_or_else(|| format!("'{s}' : unknown ssl/tls version"))
}

/// HAProxy's default `ssl-min-ver` on `bind` lines since 2.2. Server lines have none, which
/// changes only whether HAProxy itself would also run TLSv1.0/1.1, never what rustls gets.
const DEFAULT_MIN: TlsVersion = TlsVersion::Tlsv12;

/// The protocol version keywords of one `bind` or `server` line (or of
/// `ssl-default-*-options`), applied in the order they appear.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct VersionRange {
    pub min: Option<TlsVersion>,
    pub max: Option<TlsVersion>,
    /// `no-*` options, one bit per version.
    disabled: u8,
}

impl VersionRange {
    /// `ssl-min-ver`.
    pub fn ssl_min_ver(&mut self, v: TlsVersion) {
        self.min = Some(v);
    }

    /// `ssl-max-ver`.
    pub fn ssl_max_ver(&mut self, v: TlsVersion) {
        self.max = Some(v);
    }

    /// `no-sslv3`, `no-tlsv10`, ... `no-tlsv13`.
    pub fn no(&mut self, v: TlsVersion) {
        self.disabled |= v.bit();
    }

    /// `force-sslv3`, `force-tlsv10`, ... `force-tlsv13`: that version alone, which HAProxy
    /// records as both bounds (so a later `ssl-min-ver` or `force-*` overrides it).
    pub fn force(&mut self, v: TlsVersion) {
        self.min = Some(v);
        self.max = Some(v);
    }

    /// Applies a `no-*` / `force-*` keyword by name; false if `keyword` is not one.
    pub fn keyword(&mut self, keyword: &str) -> bool {
        let find = |suffix: &str| {
            TlsVersion::ALL
                .into_iter()
                .find(|v| v.option_suffix() == suffix)
        };
        if let Some(v) = keyword.strip_prefix("no-").and_then(find) {
            self.no(v);
        } else if let Some(v) = keyword.strip_prefix("force-").and_then(find) {
            self.force(v);
        } else {
            return false;
        }
        true
    }

    /// The versions turned off with `no-*`.
    pub fn disabled(&self) -> Vec<TlsVersion> {
        TlsVersion::ALL
            .into_iter()
            .filter(|v| self.disabled & v.bit() != 0)
            .collect()
    }

    /// This line's settings over `ssl-default-bind-options` / `ssl-default-server-options`:
    /// bounds set here win, `no-*` options add up (HAProxy merges them this way; a bound from
    /// either side makes every `no-*` ignored).
    pub fn with_defaults(&self, defaults: &VersionRange) -> VersionRange {
        VersionRange {
            min: self.min.or(defaults.min),
            max: self.max.or(defaults.max),
            disabled: self.disabled | defaults.disabled,
        }
    }

    /// Whether HAProxy ignores the `no-*` options: it does as soon as a bound is set.
    fn no_ignored(&self) -> bool {
        self.disabled != 0 && (self.min.is_some() || self.max.is_some())
    }

    /// The versions HAProxy would enable, oldest first.
    pub fn enabled(&self) -> Vec<TlsVersion> {
        let max = self.max.unwrap_or(TlsVersion::Tlsv13);
        // An ssl-max-ver below the default minimum pulls the minimum down to it (HAProxy
        // warns that this is ambiguous).
        let min = self
            .min
            .unwrap_or(if max < DEFAULT_MIN { max } else { DEFAULT_MIN });
        let disabled = if self.no_ignored() { 0 } else { self.disabled };
        TlsVersion::ALL
            .into_iter()
            .filter(|v| (min..=max).contains(v) && disabled & v.bit() == 0)
            .collect()
    }

    /// The versions for rustls, newest first.
    pub fn versions(&self) -> Result<Vec<&'static SupportedProtocolVersion>, String> {
        let enabled = self.enabled();
        if enabled.is_empty() {
            return Err("all SSL/TLS versions are disabled".to_string());
        }
        let out: Vec<_> = enabled.iter().rev().filter_map(|v| v.rustls()).collect();
        if out.is_empty() {
            return Err(format!(
                "only {} would be enabled, and rustls implements only TLSv1.2 and TLSv1.3",
                names(&enabled)
            ));
        }
        Ok(out)
    }

    /// What the caller should warn about: ignored `no-*` options, and enabled versions that
    /// rustls cannot offer.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.no_ignored() {
            out.push(
                "no-sslv3/no-tlsv1x options are ignored because ssl-min-ver, ssl-max-ver or \
                 force-* is set"
                    .to_string(),
            );
        }
        let enabled = self.enabled();
        let (old, offered): (Vec<TlsVersion>, Vec<TlsVersion>) =
            enabled.into_iter().partition(|v| v.rustls().is_none());
        if !old.is_empty() && !offered.is_empty() {
            out.push(format!(
                "{} enabled but not implemented by rustls: only {} offered",
                names(&old),
                names(&offered)
            ));
        }
        out
    }
}

fn names(versions: &[TlsVersion]) -> String {
    versions
        .iter()
        .map(|v| v.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// `ssl-min-ver`, `ssl-max-ver` and the `no-*` options together: the versions for rustls.
/// See [`VersionRange`] for `force-*` and keyword order.
pub fn versions(
    min: Option<TlsVersion>,
    max: Option<TlsVersion>,
    no_flags: &[TlsVersion],
) -> Result<Vec<&'static SupportedProtocolVersion>, String> {
    let mut range = VersionRange {
        min,
        max,
        disabled: 0,
    };
    for v in no_flags {
        range.no(*v);
    }
    range.versions()
}

/// A rustls provider (ring) with the chosen suites, TLS 1.3 ones first, and key exchange
/// groups; `None` keeps ring's default for that part. A suite of the other version in
/// either list is dropped, so each list only ever fills its own half.
pub fn provider(
    tls12: Option<&[SupportedCipherSuite]>,
    tls13: Option<&[SupportedCipherSuite]>,
    groups: Option<&[&'static dyn SupportedKxGroup]>,
) -> CryptoProvider {
    #[allow(deprecated)] // see the import
    let base = default_provider();
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    const E_ECDSA_128: &str = "ECDHE-ECDSA-AES128-GCM-SHA256";
    const E_ECDSA_256: &str = "ECDHE-ECDSA-AES256-GCM-SHA384";
    const E_ECDSA_CHACHA: &str = "ECDHE-ECDSA-CHACHA20-POLY1305";
    const E_RSA_128: &str = "ECDHE-RSA-AES128-GCM-SHA256";
    const E_RSA_256: &str = "ECDHE-RSA-AES256-GCM-SHA384";
    const E_RSA_CHACHA: &str = "ECDHE-RSA-CHACHA20-POLY1305";
    /// OpenSSL's own order of the six (that of ALL).
    const SIX: [&str; 6] = [
        E_ECDSA_256,
        E_RSA_256,
        E_ECDSA_CHACHA,
        E_RSA_CHACHA,
        E_ECDSA_128,
        E_RSA_128,
    ];

    const MOZILLA_INTERMEDIATE: &str = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:\
        ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:\
        ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:\
        DHE-RSA-CHACHA20-POLY1305";
    const MOZILLA_OLD: &str = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:\
        ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:\
        ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:\
        DHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:\
        ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:\
        ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:\
        DHE-RSA-AES128-SHA256:DHE-RSA-AES256-SHA256:AES128-GCM-SHA256:AES256-GCM-SHA384:\
        AES128-SHA256:AES256-SHA256:AES128-SHA:AES256-SHA:DES-CBC3-SHA";
    const HIGH_NO_ANULL: &str = "HIGH:!aNULL:!MD5";
    const H2_STYLE: &str = "ECDH+AESGCM:DH+AESGCM:ECDH+AES256:DH+AES256:ECDH+AES128:DH+AES:\
        RSA+AESGCM:RSA+AES:!aNULL:!MD5:!DSS";
    const OLD_RC4: &str =
        "kEECDH+aRSA+AES:kRSA+AES:+AES256:RC4-SHA:!kEDH:!LOW:!EXPORT:!MD5:!aNULL:!eNULL";

    fn name_of(s: &SupportedCipherSuite) -> &'static str {
        known_ciphers()
            .find(|c| rustls_tls12(c) == Some(*s))
            .map_or("?", |c| c.name)
    }

    fn names12(spec: &str) -> Vec<&'static str> {
        tls12_suites(spec)
            .unwrap()
            .suites
            .iter()
            .map(name_of)
            .collect()
    }

    fn unsupported12(spec: &str) -> Vec<String> {
        tls12_suites(spec).unwrap().unsupported
    }

    #[test]
    fn mozilla_intermediate_keeps_its_order_and_names_the_dhe_suites() {
        let choice = tls12_suites(MOZILLA_INTERMEDIATE).unwrap();
        let names: Vec<_> = choice.suites.iter().map(name_of).collect();
        assert_eq!(
            names,
            [
                E_ECDSA_128,
                E_RSA_128,
                E_ECDSA_256,
                E_RSA_256,
                E_ECDSA_CHACHA,
                E_RSA_CHACHA
            ]
        );
        assert_eq!(
            choice.unsupported,
            [
                "DHE-RSA-AES128-GCM-SHA256",
                "DHE-RSA-AES256-GCM-SHA384",
                "DHE-RSA-CHACHA20-POLY1305"
            ]
        );
    }

    #[test]
    fn mozilla_old_names_every_cbc_rsa_and_3des_suite() {
        let choice = tls12_suites(MOZILLA_OLD).unwrap();
        assert_eq!(choice.suites.len(), 6);
        assert_eq!(choice.unsupported.len(), 20);
        assert!(choice.unsupported.contains(&"DES-CBC3-SHA".to_string()));
        assert!(choice
            .unsupported
            .contains(&"ECDHE-RSA-AES128-SHA".to_string()));
        assert!(choice
            .unsupported
            .contains(&"AES128-GCM-SHA256".to_string()));
    }

    #[test]
    fn aliases_follow_openssl_order() {
        assert_eq!(names12(HIGH_NO_ANULL), SIX);
        assert_eq!(names12("DEFAULT"), SIX);
        assert_eq!(names12("ALL"), SIX);
        assert!(unsupported12(HIGH_NO_ANULL).is_empty());
        assert_eq!(
            names12(H2_STYLE),
            [E_ECDSA_256, E_RSA_256, E_ECDSA_128, E_RSA_128]
        );
        // RSA+AES etc. name no cipher, so nothing is reported.
        assert!(unsupported12(H2_STYLE).is_empty());
        // +AES256 moves the AES256 suites behind the AES128 ones.
        assert_eq!(names12(OLD_RC4), [E_RSA_128, E_RSA_256]);
        // RC4-SHA is a real (weak) OpenSSL cipher that survives every exclusion here.
        assert_eq!(unsupported12(OLD_RC4), ["RC4-SHA"]);
    }

    #[test]
    fn list_operations() {
        // -x returns matches to the front, so re-adding puts them first.
        assert_eq!(
            names12("ECDHE-RSA-AES128-GCM-SHA256:-ALL:ALL"),
            [
                E_RSA_128,
                E_ECDSA_256,
                E_RSA_256,
                E_ECDSA_CHACHA,
                E_RSA_CHACHA,
                E_ECDSA_128
            ]
        );
        // !x is final.
        assert_eq!(
            names12("ALL:!AESGCM:AESGCM"),
            [E_ECDSA_CHACHA, E_RSA_CHACHA]
        );
        // +x reorders.
        assert_eq!(
            names12("DEFAULT:+AES256"),
            [
                E_ECDSA_CHACHA,
                E_RSA_CHACHA,
                E_ECDSA_128,
                E_RSA_128,
                E_ECDSA_256,
                E_RSA_256
            ]
        );
        // @STRENGTH: longest keys first, ties in place.
        assert_eq!(
            names12("AES128:CHACHA20:AES256:@STRENGTH"),
            [
                E_ECDSA_CHACHA,
                E_RSA_CHACHA,
                E_ECDSA_256,
                E_RSA_256,
                E_ECDSA_128,
                E_RSA_128
            ]
        );
        // Separators and A+B intersections.
        assert_eq!(
            names12("ECDSA+AES128 aRSA+CHACHA20;ECDSA,RSA"),
            [E_ECDSA_128, E_RSA_CHACHA, E_ECDSA_256, E_ECDSA_CHACHA]
        );
        assert_eq!(names12("aECDSA+AESGCM+SHA384"), [E_ECDSA_256]);
        assert_eq!(
            names12("EECDH+CHACHA20:kECDHE+AES128+TLSv1.2"),
            [E_ECDSA_CHACHA, E_RSA_CHACHA, E_ECDSA_128, E_RSA_128]
        );
        // @SECLEVEL=4 wants 192-bit ciphers.
        assert_eq!(
            names12("ALL:@SECLEVEL=4"),
            [E_ECDSA_256, E_RSA_256, E_ECDSA_CHACHA, E_RSA_CHACHA]
        );
        assert_eq!(names12("ALL:@SECLEVEL=3"), SIX);
    }

    #[test]
    fn named_ciphers_are_reported_only_while_selected() {
        assert_eq!(
            unsupported12("EDH-RSA-DES-CBC3-SHA:HIGH"),
            ["EDH-RSA-DES-CBC3-SHA"]
        );
        assert!(unsupported12("HIGH:DES-CBC3-SHA:!3DES").is_empty());
        assert!(unsupported12("HIGH:AES128-SHA:-kRSA").is_empty());
        assert_eq!(
            unsupported12("ECDHE-RSA-AES128-SHA+TLSv1:HIGH"),
            ["ECDHE-RSA-AES128-SHA"]
        );
        // Retired aliases select nothing and are no error.
        assert_eq!(names12("HIGH:!EXPORT:!DES:!kECDH:!aECDH:!KRB5:!SSLv2"), SIX);
    }

    #[test]
    fn openssl_quirk_complementofdefault_before_a_strength_class() {
        assert_eq!(
            names12("COMPLEMENTOFDEFAULT+ECDHE-RSA-AES128-GCM-SHA256"),
            [E_RSA_128]
        );
        assert_eq!(
            tls12_suites("ECDHE-RSA-AES128-GCM-SHA256+COMPLEMENTOFDEFAULT").unwrap_err(),
            "no cipher matches 'ECDHE-RSA-AES128-GCM-SHA256+COMPLEMENTOFDEFAULT'"
        );
    }

    #[test]
    fn tls12_errors() {
        let err = |s: &str| tls12_suites(s).unwrap_err();
        assert_eq!(
            err("ECDHE-RSA-AES128-GCM-SHA265:HIGH"),
            "unknown cipher 'ECDHE-RSA-AES128-GCM-SHA265'"
        );
        assert_eq!(err("high"), "unknown cipher 'high'");
        assert_eq!(err("ECDH+AESGMC"), "unknown cipher 'AESGMC'");
        assert_eq!(
            err("TLS_AES_128_GCM_SHA256"),
            "unknown cipher 'TLS_AES_128_GCM_SHA256' (a TLS 1.3 cipher suite: set it with 'ciphersuites')"
        );
        assert_eq!(
            err("HIGH:!TLSv1.1"),
            "unknown cipher 'TLSv1.1' (the version aliases are SSLv3, TLSv1, TLSv1.0 and TLSv1.2)"
        );
        assert_eq!(
            err("HIGH:DEFAULT"),
            "'DEFAULT' is only understood at the start of a cipher string"
        );
        assert_eq!(
            err("SUITEB128"),
            "Suite B mode ('SUITEB128') is not supported"
        );
        assert_eq!(err("HIGH:@FOO"), "unknown cipher string command '@FOO'");
        assert_eq!(
            err("HIGH:@SECLEVEL=10"),
            "invalid security level in '@SECLEVEL=10' (a digit from 0 to 5)"
        );
        assert_eq!(err("HIGH:!"), "missing cipher name after '!'");
        assert_eq!(err("ECDH+"), "misplaced '+' in 'ECDH+'");
        assert_eq!(err(""), "empty cipher list");
        assert_eq!(err("::"), "empty cipher list");
        assert_eq!(err("MEDIUM"), "no cipher matches 'MEDIUM'");
        assert_eq!(err("HIGH+FIPS"), "no cipher matches 'HIGH+FIPS'");
        assert_eq!(
            err("DHE"),
            "no cipher in 'DHE' is implemented by rustls; rustls has TLS 1.2 only with ECDHE and \
             AES-GCM or CHACHA20-POLY1305"
        );
        assert_eq!(
            err("DHE-RSA-AES128-GCM-SHA256:AES128-SHA"),
            "no cipher left that rustls implements (not implemented: DHE-RSA-AES128-GCM-SHA256, \
             AES128-SHA); rustls has TLS 1.2 only with ECDHE and AES-GCM or CHACHA20-POLY1305"
        );
        assert_eq!(
            err("ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=4"),
            "no cipher in 'ECDHE-RSA-AES128-GCM-SHA256:@SECLEVEL=4' is strong enough for @SECLEVEL=4"
        );
    }

    /// OpenSSL 3.0's answer, TLS ≤ 1.2 names only; None when no such `openssl` is here.
    fn openssl_ciphers(spec: &str) -> Option<Result<Vec<String>, ()>> {
        let version = Command::new("openssl").arg("version").output().ok()?;
        if !String::from_utf8_lossy(&version.stdout).starts_with("OpenSSL 3.0.") {
            return None;
        }
        let out = Command::new("openssl")
            .args(["ciphers", "-v", spec])
            .output()
            .ok()?;
        if !out.status.success() {
            return Some(Err(()));
        }
        Some(Ok(String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| {
                let mut fields = l.split_whitespace();
                let name = fields.next()?;
                (fields.next()? != "TLSv1.3").then(|| name.to_string())
            })
            .collect()))
    }

    #[test]
    fn table_is_this_openssl_list() {
        let Some(listed) = openssl_ciphers("ALL:COMPLEMENTOFALL") else {
            return;
        };
        let ours: Vec<_> = OPENSSL.iter().map(|c| c.name.to_string()).collect();
        assert_eq!(listed.unwrap(), ours);
        for c in OPENSSL_ABSENT {
            assert!(OPENSSL.iter().all(|o| o.name != c.name), "{}", c.name);
        }
    }

    #[test]
    fn evaluation_matches_openssl_ciphers() {
        let Some(Ok(present)) = openssl_ciphers("ALL:COMPLEMENTOFALL") else {
            return;
        };
        let specs = [
            MOZILLA_INTERMEDIATE,
            MOZILLA_OLD,
            HIGH_NO_ANULL,
            H2_STYLE,
            OLD_RC4,
            "DEFAULT",
            "ALL",
            "ALL:COMPLEMENTOFALL",
            "COMPLEMENTOFDEFAULT",
            "COMPLEMENTOFALL:ALL",
            "DEFAULT:!aNULL:!eNULL:!MD5:!3DES:!DES:!RC4:!IDEA:!SEED:!aDSS:!SRP:!PSK",
            "EECDH+AESGCM:EDH+AESGCM:AES256+EECDH:AES256+EDH",
            "EECDH+AESGCM:EDH+AESGCM",
            "HIGH:MEDIUM:!aNULL:!MD5:!RC4:!3DES",
            "ALL:-AESGCM:AESGCM",
            "ALL:-AES:CHACHA20:AES128",
            "ALL:+kRSA:+AES128:+SHA1",
            "AES128:CHACHA20:AES256:@STRENGTH",
            "kEECDH:kEDH:kRSA:@STRENGTH:-SHA1:+SHA256",
            "ECDHE-RSA-AES128-GCM-SHA256:-ALL:ALL",
            "SHA1:SHA256:SHA384:AEAD:MD5",
            "TLSv1:SSLv3:TLSv1.2",
            "TLSv1.0+AES:kPSK:aPSK:kSRP",
            "FIPS:!aNULL",
            "COMPLEMENTOFDEFAULT+HIGH",
            "HIGH+COMPLEMENTOFDEFAULT",
            "COMPLEMENTOFDEFAULT+AESGCM+HIGH",
            "COMPLEMENTOFDEFAULT+ECDHE-RSA-AES128-GCM-SHA256",
            "COMPLEMENTOFDEFAULT+NULL-SHA",
            "ECDHE-RSA-AES128-GCM-SHA256+COMPLEMENTOFDEFAULT",
            "AES128-SHA+ECDHE-RSA-AES128-SHA",
            "TLSv1.2+AES128-SHA",
            "SSLv3+AES128-SHA",
            "HIGH+FIPS",
            "ALL+eNULL",
            "CAMELLIA:ARIA:AESCCM:AESCCM8:ECDSA:DSS:ADH:AECDH",
            "DEFAULT:@SECLEVEL=2:-ECDHE:+ECDHE",
            "EDH:DHE:EECDH:ECDHE:NULL:RSA:PSK:SRP",
            "aNULL:kECDHEPSK:kDHEPSK:kRSAPSK:aGOST:kGOST",
            "MEDIUM",
            "DHE",
        ];
        for spec in specs {
            let theirs = openssl_ciphers(spec).unwrap().unwrap_or_default();
            let ours: Vec<String> = Evaluation::run(spec)
                .unwrap()
                .selected()
                .map(|c| c.name.to_string())
                .filter(|n| present.contains(n))
                .collect();
            assert_eq!(ours, theirs, "{spec}");
            // And what rustls gets is that, restricted to the six.
            let six: Vec<&String> = theirs
                .iter()
                .filter(|n| SIX.contains(&n.as_str()))
                .collect();
            match tls12_suites(spec) {
                Ok(choice) => {
                    let got: Vec<_> = choice.suites.iter().map(name_of).collect();
                    assert_eq!(got, six, "{spec}");
                }
                Err(_) => assert!(six.is_empty(), "{spec}"),
            }
        }
    }

    #[test]
    fn tls13() {
        let names = |s: &str| -> Vec<CipherSuite> {
            tls13_suites(s)
                .unwrap()
                .suites
                .iter()
                .map(|s| s.suite())
                .collect()
        };
        use rustls::CipherSuite;
        assert_eq!(
            names("TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384"),
            [
                CipherSuite::TLS13_CHACHA20_POLY1305_SHA256,
                CipherSuite::TLS13_AES_128_GCM_SHA256,
                CipherSuite::TLS13_AES_256_GCM_SHA384
            ]
        );
        assert_eq!(
            names(":TLS_AES_256_GCM_SHA384::TLS_AES_256_GCM_SHA384:"),
            [CipherSuite::TLS13_AES_256_GCM_SHA384]
        );
        let choice = tls13_suites("TLS_AES_128_CCM_SHA256:TLS_AES_128_GCM_SHA256").unwrap();
        assert_eq!(choice.unsupported, ["TLS_AES_128_CCM_SHA256"]);
        assert_eq!(
            tls13_suites("TLS_AES_128_CCM_8_SHA256").unwrap_err(),
            "no TLS 1.3 cipher suite left that rustls implements (not implemented: \
             TLS_AES_128_CCM_8_SHA256); rustls has TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 \
             and TLS_CHACHA20_POLY1305_SHA256"
        );
        assert_eq!(
            tls13_suites("TLS_AES_128_GCM_SHA256:TLS_AES_128_GCM_SHA265").unwrap_err(),
            "unknown TLS 1.3 cipher suite 'TLS_AES_128_GCM_SHA265'"
        );
        assert_eq!(
            tls13_suites("tls_aes_128_gcm_sha256").unwrap_err(),
            "unknown TLS 1.3 cipher suite 'tls_aes_128_gcm_sha256'"
        );
        assert_eq!(
            tls13_suites("TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384").unwrap_err(),
            "unknown TLS 1.3 cipher suite 'TLS_AES_128_GCM_SHA256,TLS_AES_256_GCM_SHA384'"
        );
        assert_eq!(
            tls13_suites("ECDHE-RSA-AES128-GCM-SHA256").unwrap_err(),
            "unknown TLS 1.3 cipher suite 'ECDHE-RSA-AES128-GCM-SHA256' (a TLS 1.2 cipher: set it \
             with 'ciphers')"
        );
        assert_eq!(
            tls13_suites(":").unwrap_err(),
            "no TLS 1.3 cipher suite given"
        );
    }

    #[test]
    fn groups() {
        use rustls::NamedGroup;
        let named = |s: &str| -> Vec<NamedGroup> {
            kx_groups(s)
                .unwrap()
                .groups
                .iter()
                .map(|g| g.name())
                .collect()
        };
        assert_eq!(
            named("X25519:P-256:P-384"),
            [
                NamedGroup::X25519,
                NamedGroup::secp256r1,
                NamedGroup::secp384r1
            ]
        );
        assert_eq!(
            named("secp384r1:prime256v1:x25519"),
            [
                NamedGroup::secp384r1,
                NamedGroup::secp256r1,
                NamedGroup::X25519
            ]
        );
        assert_eq!(named("secp256r1"), [NamedGroup::secp256r1]);
        let choice = kx_groups("X25519:P-521:X448:ffdhe2048:P-256").unwrap();
        assert_eq!(choice.groups.len(), 2);
        assert_eq!(choice.unsupported, ["P-521", "X448", "ffdhe2048"]);
        assert_eq!(
            kx_groups("secp521r1").unwrap_err(),
            "no curve left that rustls implements (not implemented: secp521r1); rustls has \
             X25519, P-256 and P-384"
        );
        assert_eq!(
            kx_groups("X25519:p-256").unwrap_err(),
            "unknown curve 'p-256'"
        );
        assert_eq!(
            kx_groups("P-256,X25519").unwrap_err(),
            "unknown curve 'P-256,X25519'"
        );
        assert_eq!(
            kx_groups("X25519:").unwrap_err(),
            "empty curve name in 'X25519:'"
        );
        assert_eq!(
            kx_groups("P-256:prime256v1").unwrap_err(),
            "curve 'prime256v1' is listed twice"
        );
        assert_eq!(kx_groups("").unwrap_err(), "no curve given");
    }

    #[test]
    fn version_words() {
        assert_eq!(parse_version("TLSv1.2"), Ok(TlsVersion::Tlsv12));
        assert_eq!(parse_version("SSLv3"), Ok(TlsVersion::Sslv3));
        assert_eq!(
            parse_version("tlsv1.2"),
            Err("'tlsv1.2' : unknown ssl/tls version".to_string())
        );
        assert_eq!(
            parse_version("TLSv1"),
            Err("'TLSv1' : unknown ssl/tls version".to_string())
        );
        assert!(TlsVersion::Sslv3 < TlsVersion::Tlsv10);
        assert!(TlsVersion::Tlsv12 < TlsVersion::Tlsv13);
        assert_eq!(TlsVersion::Tlsv11.to_string(), "TLSv1.1");
    }

    fn vers(r: &VersionRange) -> Result<Vec<u16>, String> {
        r.versions()
            .map(|v| v.iter().map(|v| u16::from(v.version)).collect())
    }

    const V12: u16 = 0x0303;
    const V13: u16 = 0x0304;

    #[test]
    fn version_ranges() {
        // Each case was checked against HAProxy 2.6 (`haproxy -c` and handshakes).
        let range = |kws: &[&str]| {
            let mut r = VersionRange::default();
            for kw in kws {
                if let Some(v) = kw.strip_prefix("ssl-min-ver=") {
                    r.ssl_min_ver(parse_version(v).unwrap());
                } else if let Some(v) = kw.strip_prefix("ssl-max-ver=") {
                    r.ssl_max_ver(parse_version(v).unwrap());
                } else {
                    assert!(r.keyword(kw), "{kw}");
                }
            }
            r
        };
        assert_eq!(vers(&range(&[])), Ok(vec![V13, V12]));
        assert_eq!(vers(&range(&["no-tlsv13"])), Ok(vec![V12]));
        assert_eq!(vers(&range(&["no-tlsv12"])), Ok(vec![V13]));
        assert_eq!(
            vers(&range(&["no-sslv3", "no-tlsv10", "no-tlsv11"])),
            Ok(vec![V13, V12])
        );
        assert_eq!(vers(&range(&["force-tlsv12"])), Ok(vec![V12]));
        assert_eq!(
            vers(&range(&["force-tlsv12", "force-tlsv13"])),
            Ok(vec![V13])
        );
        assert_eq!(
            vers(&range(&["ssl-min-ver=TLSv1.3", "force-tlsv12"])),
            Ok(vec![V12])
        );
        // A bound makes HAProxy ignore no-*.
        let r = range(&["force-tlsv12", "no-tlsv12"]);
        assert_eq!(vers(&r), Ok(vec![V12]));
        assert_eq!(
            r.warnings(),
            ["no-sslv3/no-tlsv1x options are ignored because ssl-min-ver, ssl-max-ver or force-* \
              is set"]
        );
        let r = range(&["ssl-min-ver=TLSv1.0"]);
        assert_eq!(vers(&r), Ok(vec![V13, V12]));
        assert_eq!(
            r.warnings(),
            ["TLSv1.0, TLSv1.1 enabled but not implemented by rustls: only TLSv1.2, TLSv1.3 offered"]
        );
        assert!(range(&[]).warnings().is_empty());
        assert_eq!(
            vers(&range(&["ssl-max-ver=TLSv1.1"])),
            Err(
                "only TLSv1.1 would be enabled, and rustls implements only TLSv1.2 and TLSv1.3"
                    .to_string()
            )
        );
        assert_eq!(
            vers(&range(&["ssl-min-ver=TLSv1.0", "ssl-max-ver=TLSv1.1"])),
            Err(
                "only TLSv1.0, TLSv1.1 would be enabled, and rustls implements only TLSv1.2 and \
                 TLSv1.3"
                    .to_string()
            )
        );
        assert_eq!(
            vers(&range(&["force-tlsv11"])),
            Err(
                "only TLSv1.1 would be enabled, and rustls implements only TLSv1.2 and TLSv1.3"
                    .to_string()
            )
        );
        for kws in [
            &["no-tlsv12", "no-tlsv13"][..],
            &["ssl-min-ver=TLSv1.3", "ssl-max-ver=TLSv1.2"],
        ] {
            assert_eq!(
                vers(&range(kws)),
                Err("all SSL/TLS versions are disabled".to_string())
            );
        }
        // Options from ssl-default-bind-options merge with the line's.
        let defaults = range(&["no-tlsv12"]);
        assert_eq!(vers(&range(&[]).with_defaults(&defaults)), Ok(vec![V13]));
        let defaults = range(&["ssl-min-ver=TLSv1.0"]);
        assert_eq!(
            vers(&range(&["no-tlsv13"]).with_defaults(&defaults)),
            Ok(vec![V13, V12])
        );
        assert!(!VersionRange::default().keyword("no-tlsv14"));
        assert!(!VersionRange::default().keyword("ssl-min-ver"));
        assert_eq!(
            range(&["no-tlsv10", "no-sslv3"]).disabled(),
            [TlsVersion::Sslv3, TlsVersion::Tlsv10]
        );
    }

    #[test]
    fn versions_function() {
        let v = |min, max, no: &[TlsVersion]| {
            versions(min, max, no)
                .map(|v| v.iter().map(|v| u16::from(v.version)).collect::<Vec<_>>())
        };
        assert_eq!(v(None, None, &[]), Ok(vec![V13, V12]));
        assert_eq!(v(None, None, &[TlsVersion::Tlsv13]), Ok(vec![V12]));
        assert_eq!(v(Some(TlsVersion::Tlsv13), None, &[]), Ok(vec![V13]));
        assert_eq!(v(None, Some(TlsVersion::Tlsv12), &[]), Ok(vec![V12]));
        assert!(v(None, Some(TlsVersion::Tlsv11), &[]).is_err());
    }

    #[test]
    fn provider_orders_and_defaults() {
        let choice12 = tls12_suites(MOZILLA_INTERMEDIATE).unwrap();
        let choice13 = tls13_suites("TLS_CHACHA20_POLY1305_SHA256").unwrap();
        let groups = kx_groups("X25519").unwrap();
        let p = provider(
            Some(&choice12.suites),
            Some(&choice13.suites),
            Some(&groups.groups),
        );
        let mut expected = choice13.suites.clone();
        expected.extend(choice12.suites.iter().copied());
        assert_eq!(p.cipher_suites, expected);
        assert_eq!(p.kx_groups.len(), 1);
        // The wrong version in a list is dropped.
        let p = provider(Some(&choice13.suites), None, None);
        assert!(p
            .cipher_suites
            .iter()
            .all(|s| matches!(s, SupportedCipherSuite::Tls13(_))));

        // Defaults: ring's, which hold nothing weak: TLS 1.3 first, then only the six
        // forward-secret AEAD TLS 1.2 suites, and groups of at least 128-bit strength.
        let d = provider(None, None, None);
        #[allow(deprecated)] // see the import
        let ring = default_provider();
        assert_eq!(d.cipher_suites, ring.cipher_suites);
        let tls12: Vec<_> = d
            .cipher_suites
            .iter()
            .filter(|s| !matches!(s, SupportedCipherSuite::Tls13(_)))
            .map(name_of)
            .collect();
        assert_eq!(tls12.len(), 6);
        assert!(tls12.iter().all(|n| SIX.contains(n)));
        let first12 = d
            .cipher_suites
            .iter()
            .position(|s| !matches!(s, SupportedCipherSuite::Tls13(_)))
            .unwrap();
        assert!(d.cipher_suites[..first12]
            .iter()
            .all(|s| matches!(s, SupportedCipherSuite::Tls13(_))));
        let mut groups: Vec<_> = d.kx_groups.iter().map(|g| g.name()).collect();
        groups.sort_by_key(|g| u16::from(*g));
        assert_eq!(
            groups,
            [
                rustls::NamedGroup::secp256r1,
                rustls::NamedGroup::secp384r1,
                rustls::NamedGroup::X25519
            ]
        );
        assert_eq!(vers(&VersionRange::default()), Ok(vec![V13, V12]));
    }

    #[test]
    fn rustls_accepts_the_result() {
        let p = provider(
            Some(&tls12_suites(H2_STYLE).unwrap().suites),
            Some(&tls13_suites("TLS_AES_256_GCM_SHA384").unwrap().suites),
            Some(&kx_groups("P-384:X25519").unwrap().groups),
        );
        let mut r = VersionRange::default();
        r.force(TlsVersion::Tlsv12);
        let v = r.versions().unwrap();
        assert!(
            rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(p))
                .with_protocol_versions(&v)
                .is_ok()
        );
    }
}
