//! The fields of a peer certificate as the `ssl_c_*` fetches of HAProxy
//! 2.6 give them (checked with the binary):
//!
//! - `ssl_c_s_dn` / `ssl_c_i_dn` without an entry: the whole DN, in the
//!   `/C=FR/O=Org/CN=name` form, or with the `rfc2253` format in reverse
//!   order, `CN=name,O=Org,C=FR`;
//! - with an entry: the value of that attribute, named by OpenSSL's short
//!   name in any case (`CN`, `cn`; not `commonName` nor the dotted OID),
//!   the first one by default, the `<occ>`th from the start (or from the
//!   end when negative); occurrence 0 finds nothing, and the format does
//!   not apply to a single value;
//! - `ssl_c_serial`: the serial's magnitude bytes (no DER sign byte);
//! - `ssl_c_notbefore` / `ssl_c_notafter`: `YYMMDDhhmmssZ`;
//! - `ssl_c_version`: the version field plus one (1 for a v1 certificate).

use sha1::{Digest, Sha1};
use x509_parser::prelude::{FromDer, X509Certificate, X509Name};

use super::certinfo::dn_entries;

/// Which part of a DN a `ssl_c_*_dn` fetch gives.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DnSel {
    /// The attribute's short name; `None` (or empty) for the whole DN.
    pub entry: Option<String>,
    /// Which occurrence of `entry`: 1 the first, -1 the last.
    pub occ: i64,
    /// The `rfc2253` format (whole DN only).
    pub ldap: bool,
}

fn parse(der: &[u8]) -> Option<X509Certificate<'_>> {
    X509Certificate::from_der(der).ok().map(|(_, c)| c)
}

/// The subject (or issuer) DN of `der` as `sel` asks.
pub fn dn(der: &[u8], issuer: bool, sel: &DnSel) -> Option<Vec<u8>> {
    let cert = parse(der)?;
    let name = if issuer {
        cert.issuer()
    } else {
        cert.subject()
    };
    match sel.entry.as_deref().filter(|e| !e.is_empty()) {
        None if sel.ldap => Some(rfc2253(name)),
        None => Some(super::certinfo::dn_oneline(name)),
        Some(entry) => {
            let found: Vec<Vec<u8>> = dn_entries(name)
                .into_iter()
                .filter(|(n, _)| n.eq_ignore_ascii_case(entry))
                .map(|(_, v)| v)
                .collect();
            let idx = match sel.occ {
                0 => return None,
                n if n > 0 => usize::try_from(n - 1).ok()?,
                n => found.len().checked_sub(usize::try_from(-n).ok()?)?,
            };
            found.into_iter().nth(idx)
        }
    }
}

/// RFC 2253: the attributes last to first, `,` between them, the values
/// escaped as OpenSSL's `XN_FLAG_RFC2253` escapes them.
fn rfc2253(name: &X509Name<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    for rdn in name.iter().collect::<Vec<_>>().into_iter().rev() {
        if !out.is_empty() {
            out.push(b',');
        }
        for (i, atv) in rdn.iter().enumerate() {
            if i > 0 {
                out.push(b'+');
            }
            let one = dn_entries_of(atv);
            out.extend_from_slice(one.0.as_bytes());
            out.push(b'=');
            escape_2253(&one.1, &mut out);
        }
    }
    out
}

/// The short name and value of one attribute (as [`dn_entries`] names it).
fn dn_entries_of(atv: &x509_parser::x509::AttributeTypeAndValue<'_>) -> (String, Vec<u8>) {
    let oid = atv.attr_type().to_id_string();
    let short = super::certinfo::short_name(&oid).map_or(oid, str::to_string);
    (short, atv.as_slice().to_vec())
}

/// RFC 2253 escaping: the special characters get a backslash, as do a
/// leading `#` or space and a trailing space; control bytes and bytes
/// with the high bit set are written `\XX`.
fn escape_2253(v: &[u8], out: &mut Vec<u8>) {
    for (i, &b) in v.iter().enumerate() {
        let edge = (i == 0 && (b == b'#' || b == b' ')) || (i + 1 == v.len() && b == b' ');
        if edge || matches!(b, b',' | b'+' | b'"' | b'\\' | b'<' | b'>' | b';') {
            out.push(b'\\');
            out.push(b);
        } else if !(0x20..0x7f).contains(&b) {
            out.extend_from_slice(format!("\\{b:02X}").as_bytes());
        } else {
            out.push(b);
        }
    }
}

/// `ssl_c_serial`: the serial's magnitude (the DER sign byte dropped).
pub fn serial(der: &[u8]) -> Option<Vec<u8>> {
    let cert = parse(der)?;
    let raw = cert.raw_serial();
    let start = raw.iter().position(|&b| b != 0).unwrap_or(raw.len());
    Some(if start == raw.len() {
        raw.last().map_or_else(Vec::new, |b| vec![*b])
    } else {
        raw[start..].to_vec()
    })
}

/// `ssl_c_notbefore` / `ssl_c_notafter` (`after`): `YYMMDDhhmmssZ`. Only
/// years 1950 to 2099 have that form (HAProxy gives nothing for others).
pub fn validity(der: &[u8], after: bool) -> Option<String> {
    let cert = parse(der)?;
    let v = cert.validity();
    let t = if after { &v.not_after } else { &v.not_before };
    let ts = jiff::Timestamp::from_second(t.timestamp()).ok()?;
    let year = ts.to_zoned(jiff::tz::TimeZone::UTC).year();
    if !(1950..=2099).contains(&year) {
        return None;
    }
    Some(ts.strftime("%y%m%d%H%M%SZ").to_string())
}

/// `ssl_c_version`: the version field plus one.
pub fn version(der: &[u8]) -> Option<i64> {
    parse(der).map(|c| i64::from(c.version().0) + 1)
}

/// `ssl_c_sha1`: the SHA-1 of the DER certificate.
pub fn sha1(der: &[u8]) -> Vec<u8> {
    Sha1::digest(der).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc2253_escapes() {
        let mut out = Vec::new();
        escape_2253(b"#a,b+c \xc3\xa9 ", &mut out);
        assert_eq!(out, b"\\#a\\,b\\+c \\C3\\A9\\ ".to_vec());
    }
}
