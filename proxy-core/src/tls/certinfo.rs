//! The fields of a certificate as HAProxy 2.6 shows them, for
//! `show ssl cert <file>` and the `ssl_c_*` fetches.
//!
//! `show ssl cert <file>` on HAProxy 2.6.12 prints, in this order (checked
//! with the binary; `$` marks the line ends):
//!
//! ```text
//! Filename: /tmp/hx/chain.pem$
//! Status: Used$
//! Serial: 8000000000000001$
//! notBefore: Dec  7 21:15:11 2026 GMT$
//! notAfter: Jan  6 21:15:11 2027 GMT$
//! Subject Alternative Name: DNS:leaf.example.com, , DNS:Alt.Example.com, $
//! Algorithm: EC384$
//! SHA1 FingerPrint: 65E38770D9B65C830462389E8D880D96C8B3673C$
//! Subject: /CN=leaf.example.com/emailAddress=a@b.c/O=Café \ x/y, z+w$
//! Issuer: /C=FR/O=Root Org/OU=Int/CN=Intermediate CA$
//! Chain Subject: /C=FR/O=Root Org/OU=Int/CN=Intermediate CA$
//! Chain Issuer: /C=FR/O=Root Org/CN=Root CA$
//! OCSP Response Key: $
//! ```
//!
//! (then the CLI's closing empty line). The quirks kept on purpose:
//! - the serial is the integer's magnitude in uppercase hex (no `00` sign
//!   byte even when the high bit is set);
//! - the SAN line lists only DNS names as written (case kept), and puts
//!   `, ` after every entry but the last whatever its type, so an IP or
//!   e-mail entry shows as an empty item (`DNS:a, , DNS:b, ` above, where
//!   the SAN was DNS, IP, DNS, email);
//! - a DN is `/<short name>=<value>` per attribute with the value's bytes
//!   unescaped (UTF-8, `\`, `/`, `,`, `+` as they are), multi-valued RDNs
//!   flattened; unknown attribute types are in dotted form;
//! - `Chain Subject`/`Chain Issuer` come in pairs for every certificate
//!   after the leaf in the PEM file;
//! - for a key type other than RSA, EC or DSA (Ed25519), 2.6 writes
//!   `Algorithm: ` and skips straight to `OCSP Response Key: ` on the same
//!   line: [`CertInfo::algorithm`] is `None` and [`CertInfo::render_show`]
//!   reproduces it.

use rustls_pki_types::CertificateDer;
use sha1::{Digest, Sha1};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate, X509Name};
use x509_parser::public_key::PublicKey;

/// What `show ssl cert <file>` shows of a loaded certificate file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertInfo {
    /// The leaf's subject DN, `/C=FR/O=../CN=..` (see [`dn_oneline`]).
    pub subject: String,
    /// The leaf's issuer DN.
    pub issuer: String,
    /// The serial's magnitude in uppercase hex.
    pub serial_hex: String,
    /// `notBefore` as OpenSSL prints an ASN.1 time: `Dec  7 21:00:00 2026 GMT`.
    pub not_before: String,
    pub not_after: String,
    /// SHA-1 of the leaf's DER, uppercase hex.
    pub sha1_fingerprint_hex: String,
    /// The DNS names of the SubjectAltName extension, as written.
    pub sans: Vec<String>,
    /// The text after `Subject Alternative Name: ` (see the module doc).
    pub san_line: String,
    /// `RSA2048`, `EC256`...; `None` where 2.6 prints nothing (Ed25519).
    pub algorithm: Option<String>,
    /// Subject DN of each certificate after the leaf, in file order.
    pub chain_subjects: Vec<String>,
    /// Issuer DN of each certificate after the leaf, in file order.
    pub chain_issuers: Vec<String>,
    /// The leaf itself, for fetches that need more than the above.
    pub leaf_der: CertificateDer<'static>,
}

impl CertInfo {
    /// The fields of `chain` (leaf first); `None` if a certificate does
    /// not parse as X.509.
    pub fn from_chain(chain: &[CertificateDer<'static>]) -> Option<CertInfo> {
        let leaf_der = chain.first()?.clone();
        let (_, leaf) = X509Certificate::from_der(&leaf_der).ok()?;
        let mut chain_subjects = Vec::new();
        let mut chain_issuers = Vec::new();
        for der in chain.iter().skip(1) {
            let (_, c) = X509Certificate::from_der(der).ok()?;
            chain_subjects.push(dn_text(c.subject()));
            chain_issuers.push(dn_text(c.issuer()));
        }
        let (sans, san_line) = san_fields(&leaf);
        Some(CertInfo {
            subject: dn_text(leaf.subject()),
            issuer: dn_text(leaf.issuer()),
            serial_hex: serial_hex(leaf.raw_serial()),
            not_before: asn1_time(leaf.validity().not_before.timestamp()),
            not_after: asn1_time(leaf.validity().not_after.timestamp()),
            sha1_fingerprint_hex: upper_hex(&Sha1::digest(leaf_der.as_ref())),
            sans,
            san_line,
            algorithm: key_description(&leaf),
            chain_subjects,
            chain_issuers,
            leaf_der,
        })
    }

    /// The lines of `show ssl cert <filename>` (without the CLI's closing
    /// empty line); `status` is `Used` or `Unused`.
    pub fn render_show(&self, filename: &str, status: &str) -> String {
        let mut out = format!(
            "Filename: {filename}\nStatus: {status}\nSerial: {}\nnotBefore: {}\nnotAfter: {}\n\
             Subject Alternative Name: {}\nAlgorithm: ",
            self.serial_hex, self.not_before, self.not_after, self.san_line
        );
        // 2.6 gives up on the rest of the detail for other key types but
        // still prints the OCSP line, glued to "Algorithm: ".
        if let Some(alg) = &self.algorithm {
            out.push_str(&format!(
                "{alg}\nSHA1 FingerPrint: {}\nSubject: {}\nIssuer: {}\n",
                self.sha1_fingerprint_hex, self.subject, self.issuer
            ));
            for (s, i) in self.chain_subjects.iter().zip(&self.chain_issuers) {
                out.push_str(&format!("Chain Subject: {s}\nChain Issuer: {i}\n"));
            }
        }
        out.push_str("OCSP Response Key: \n");
        out
    }
}

/// OpenSSL's short names of the attribute types seen in DNs; others are
/// written in dotted form, as OpenSSL does for types it has no name for.
const SHORT_NAMES: &[(&str, &str)] = &[
    ("2.5.4.3", "CN"),
    ("2.5.4.4", "SN"),
    ("2.5.4.5", "serialNumber"),
    ("2.5.4.6", "C"),
    ("2.5.4.7", "L"),
    ("2.5.4.8", "ST"),
    ("2.5.4.9", "street"),
    ("2.5.4.10", "O"),
    ("2.5.4.11", "OU"),
    ("2.5.4.12", "title"),
    ("2.5.4.13", "description"),
    ("2.5.4.15", "businessCategory"),
    ("2.5.4.16", "postalAddress"),
    ("2.5.4.17", "postalCode"),
    ("2.5.4.18", "postOfficeBox"),
    ("2.5.4.20", "telephoneNumber"),
    ("2.5.4.41", "name"),
    ("2.5.4.42", "GN"),
    ("2.5.4.43", "initials"),
    ("2.5.4.44", "generationQualifier"),
    ("2.5.4.45", "x500UniqueIdentifier"),
    ("2.5.4.46", "dnQualifier"),
    ("2.5.4.65", "pseudonym"),
    ("2.5.4.72", "role"),
    ("2.5.4.97", "organizationIdentifier"),
    ("1.2.840.113549.1.9.1", "emailAddress"),
    ("1.2.840.113549.1.9.2", "unstructuredName"),
    ("0.9.2342.19200300.100.1.1", "UID"),
    ("0.9.2342.19200300.100.1.25", "DC"),
    ("1.3.6.1.4.1.311.60.2.1.1", "jurisdictionL"),
    ("1.3.6.1.4.1.311.60.2.1.2", "jurisdictionST"),
    ("1.3.6.1.4.1.311.60.2.1.3", "jurisdictionC"),
];

/// The attributes of `name` in DER order, multi-valued RDNs flattened:
/// (OpenSSL short name or dotted OID, the value's content bytes). The
/// `ssl_c_s_dn(<entry>,<occ>)` forms pick among these by short name.
pub fn dn_entries(name: &X509Name<'_>) -> Vec<(String, Vec<u8>)> {
    name.iter()
        .flat_map(|rdn| rdn.iter())
        .map(|atv| {
            let oid = atv.attr_type().to_id_string();
            let short = short_name(&oid).map_or(oid.clone(), str::to_string);
            (short, atv.as_slice().to_vec())
        })
        .collect()
}

/// OpenSSL's short name of the attribute type `oid` (dotted), if it has one.
pub fn short_name(oid: &str) -> Option<&'static str> {
    SHORT_NAMES.iter().find(|(o, _)| *o == oid).map(|(_, s)| *s)
}

/// `name` as `/C=FR/O=Org/CN=host`: the default form of `ssl_c_s_dn` and
/// `ssl_c_i_dn` and the DN lines of `show ssl cert`. Raw bytes: the values
/// are not escaped nor re-encoded (a BMPString stays UTF-16).
pub fn dn_oneline(name: &X509Name<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    for (short, value) in dn_entries(name) {
        out.push(b'/');
        out.extend_from_slice(short.as_bytes());
        out.push(b'=');
        out.extend_from_slice(&value);
    }
    out
}

/// [`dn_oneline`] as text for the CLI (invalid UTF-8 replaced).
fn dn_text(name: &X509Name<'_>) -> String {
    String::from_utf8_lossy(&dn_oneline(name)).into_owned()
}

/// The serial's magnitude: the DER content without its sign byte.
fn serial_hex(raw: &[u8]) -> String {
    let start = raw.iter().position(|&b| b != 0).unwrap_or(raw.len());
    let digits = if start == raw.len() && !raw.is_empty() {
        &raw[raw.len() - 1..]
    } else {
        &raw[start..]
    };
    upper_hex(digits)
}

fn upper_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02X}")).collect()
}

/// A time as OpenSSL's `ASN1_TIME_print` writes it (`%b %e %T %Y GMT`).
fn asn1_time(unix: i64) -> String {
    match jiff::Timestamp::from_second(unix) {
        Ok(t) => t.strftime("%b %e %H:%M:%S %Y GMT").to_string(),
        // Outside jiff's range (years beyond ±9999): no X.509 time is.
        Err(_) => String::new(),
    }
}

/// The DNS names of the SAN extension and 2.6's SAN line (module doc).
fn san_fields(cert: &X509Certificate<'_>) -> (Vec<String>, String) {
    // A duplicated extension is an error to both parsers: no SAN shown.
    let Ok(Some(ext)) = cert.subject_alternative_name() else {
        return (Vec::new(), String::new());
    };
    let names = &ext.value.general_names;
    let mut dns = Vec::new();
    let mut line = String::new();
    for (i, gn) in names.iter().enumerate() {
        if let GeneralName::DNSName(d) = gn {
            dns.push((*d).to_string());
            line.push_str("DNS:");
            line.push_str(d);
        }
        if i + 1 < names.len() {
            line.push_str(", ");
        }
    }
    (dns, line)
}

/// The key's type and size as 2.6 prints them: `RSA<modulus bits>`,
/// `EC<curve bits>`, `DSA<bits>`; `None` for other types.
fn key_description(cert: &X509Certificate<'_>) -> Option<String> {
    let spki = cert.public_key();
    match spki.algorithm.algorithm.to_id_string().as_str() {
        "1.2.840.113549.1.1.1" => match spki.parsed() {
            Ok(PublicKey::RSA(rsa)) => Some(format!("RSA{}", bit_length(rsa.modulus))),
            _ => Some("RSA0".to_string()),
        },
        "1.2.840.10045.2.1" => {
            // The group's order size, named by the curve OID: the point's
            // length would say 528 for P-521.
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| x509_parser::der_parser::oid::Oid::try_from(p).ok())
                .map(|o| o.to_id_string());
            let bits = match curve.as_deref() {
                Some("1.2.840.10045.3.1.7") | Some("1.3.132.0.10") => 256,
                Some("1.3.132.0.34") => 384,
                Some("1.3.132.0.35") => 521,
                Some("1.2.840.10045.3.1.1") => 192,
                Some("1.3.132.0.33") => 224,
                _ => spki.parsed().map(|k| k.key_size()).unwrap_or(0),
            };
            Some(format!("EC{bits}"))
        }
        "1.2.840.10040.4.1" => {
            let bits = spki.parsed().map(|k| k.key_size()).unwrap_or(0);
            Some(format!("DSA{bits}"))
        }
        _ => None,
    }
}

/// Significant bits of a big-endian unsigned integer.
fn bit_length(n: &[u8]) -> usize {
    match n.iter().position(|&b| b != 0) {
        Some(i) => (n.len() - i) * 8 - n[i].leading_zeros() as usize,
        None => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serial_drops_sign_byte_only() {
        assert_eq!(serial_hex(&[0x00, 0x80, 0x01]), "8001");
        assert_eq!(serial_hex(&[0x0a, 0x6d]), "0A6D");
        assert_eq!(serial_hex(&[0x00]), "00");
    }

    #[test]
    fn time_is_openssl_style() {
        // 2026-12-07T21:00:00Z and 2027-01-16T09:05:03Z.
        assert_eq!(asn1_time(1_796_677_200), "Dec  7 21:00:00 2026 GMT");
        assert_eq!(asn1_time(1_800_090_303), "Jan 16 09:05:03 2027 GMT");
    }

    #[test]
    fn bits_of_modulus() {
        assert_eq!(bit_length(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(bit_length(&[0x7f, 0x00]), 15);
        assert_eq!(bit_length(&[]), 0);
    }
}
