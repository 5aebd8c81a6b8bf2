//! What one word of an OpenSSL cipher string selects: a cipher by name or
//! an alias's attribute sets, the `+` joins, and rustls's implementation of
//! a named cipher.

use super::backend::cipher_suite as rs;
use super::table::*;
use rustls::SupportedCipherSuite;

/// The TLS ≤ 1.2 cipher rustls implements for an OpenSSL name: the provider offers only ECDHE with
/// AES-GCM or CHACHA20-POLY1305.
pub(super) fn rustls_tls12(c: &Cipher) -> Option<SupportedCipherSuite> {
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

pub(super) const RUSTLS_TLS12: &str =
    "rustls has TLS 1.2 only with ECDHE and AES-GCM or CHACHA20-POLY1305";

/// The key length `@STRENGTH` sorts by and `@SECLEVEL` checks.
pub(super) fn strength_bits(c: &Cipher) -> u16 {
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
pub(super) fn seclevel_bits(level: u8) -> u16 {
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
pub(super) struct Pattern {
    pub(super) kx: u32,
    pub(super) au: u32,
    pub(super) enc: u32,
    pub(super) mac: u32,
    pub(super) ver: u32,
    pub(super) strength: u8,
    pub(super) not_default: bool,
    pub(super) cipher: Option<&'static Cipher>,
    pub(super) nothing: bool,
}

pub(super) const ANY: Pattern = Pattern {
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
pub(super) const NOTHING: Pattern = Pattern {
    nothing: true,
    ..ANY
};

pub(super) const fn kx(kx: u32) -> Pattern {
    Pattern { kx, ..ANY }
}
pub(super) const fn au(au: u32) -> Pattern {
    Pattern { au, ..ANY }
}
pub(super) const fn kx_au(kx: u32, au: u32) -> Pattern {
    Pattern { kx, au, ..ANY }
}
pub(super) const fn enc(enc: u32) -> Pattern {
    Pattern { enc, ..ANY }
}
pub(super) const fn mac(mac: u32) -> Pattern {
    Pattern { mac, ..ANY }
}
pub(super) const fn ver(ver: u32) -> Pattern {
    Pattern { ver, ..ANY }
}
pub(super) const fn class(strength: u8) -> Pattern {
    Pattern { strength, ..ANY }
}

/// OpenSSL 3's cipher string aliases.
pub(super) static ALIASES: &[(&str, Pattern)] = &[
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
pub(super) static RETIRED_ALIASES: &[&str] = &[
    "EXP", "EXPORT", "EXPORT40", "EXPORT56", "DES", "SSLv2", "kDH", "kDHr", "kDHd", "aDH", "kECDH",
    "kECDHr", "kECDHe", "aECDH", "KRB5", "kKRB5", "aKRB5", "kFZA", "aFZA", "eFZA", "FZA",
];

/// The TLS 1.3 suites OpenSSL 3.0 knows, with rustls's implementation when there is one.
pub(super) fn tls13_by_name(name: &str) -> Option<Option<SupportedCipherSuite>> {
    match name {
        "TLS_AES_128_GCM_SHA256" => Some(Some(rs::TLS13_AES_128_GCM_SHA256)),
        "TLS_AES_256_GCM_SHA384" => Some(Some(rs::TLS13_AES_256_GCM_SHA384)),
        "TLS_CHACHA20_POLY1305_SHA256" => Some(Some(rs::TLS13_CHACHA20_POLY1305_SHA256)),
        "TLS_AES_128_CCM_SHA256" | "TLS_AES_128_CCM_8_SHA256" => Some(None),
        _ => None,
    }
}

pub(super) fn known_ciphers() -> impl Iterator<Item = &'static Cipher> {
    OPENSSL.iter().chain(OPENSSL_ABSENT)
}

pub(super) fn cipher_by_name(name: &str) -> Option<&'static Cipher> {
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
pub(super) fn meet(a: u32, b: u32, nothing: &mut bool) -> u32 {
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
pub(super) fn hit(set: u32, value: u32) -> bool {
    set == 0 || set & value != 0
}

impl Pattern {
    pub(super) fn cipher(c: &'static Cipher) -> Pattern {
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
    pub(super) fn and(self, other: &Pattern) -> Pattern {
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

    pub(super) fn matches(&self, c: &'static Cipher) -> bool {
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
pub(super) fn lookup(part: &str) -> Result<Pattern, String> {
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
        // Other libraries' alias for the AEAD ciphers; OpenSSL 3.0 skips it, selecting
        // nothing, so `ECDHE+AEAD` would silently be empty.
        "AEAD" => "unknown cipher 'AEAD' (OpenSSL 3.0 has no such alias: AESGCM and CHACHA20 \
                   select the AEAD ciphers rustls has)"
            .to_string(),
        _ if tls13_by_name(part).is_some() => {
            format!("unknown cipher '{part}' (a TLS 1.3 cipher suite: set it with 'ciphersuites')")
        }
        _ if part.starts_with("TLSv") || part.starts_with("SSLv") => format!(
            "unknown cipher '{part}' (the version aliases are SSLv3, TLSv1, TLSv1.0 and TLSv1.2)"
        ),
        _ => format!("unknown cipher '{part}'"),
    })
}
