//! Choosing a bind line's certificate for a ClientHello, as HAProxy 2.6
//! does (each rule checked against the 2.6.12 binary with `openssl
//! s_client -servername/-noservername -sigalgs`).
//!
//! The bind's certificates come as an ordered list of entries (its `crt`
//! files in order, a directory's files, crt-list lines). An entry's names
//! are its filters, or, without filters, the certificate's own names (SAN
//! DNS names and CNs). A name `*.<domain>` is a wildcard; `!<name>` is a
//! negative filter, which only takes a wildcard of the same entry away
//! from `<name>`; `!*...` and a bare `*` are ignored.
//!
//! For an SNI (compared lowercased), candidates are gathered first from
//! the entries naming it exactly, then from the wildcards `*<suffix>`
//! where `<suffix>` starts at the SNI's first dot (`*.example.com` takes
//! `a.example.com` but not `a.b.example.com` nor `example.com`; `.x.com`
//! matches `*.x.com` too). In each group the first entry of each key type
//! is kept, exact ones before wildcards. The choice is then by the
//! client's `signature_algorithms`: ECDSA if it offers an ECDSA scheme,
//! else RSA if it offers an RSA PKCS#1 scheme (or sent no list: before
//! TLS 1.2), else another key type (Ed25519), else ECDSA, else RSA. So an
//! ECDSA wildcard wins over an RSA exact name for a client that takes
//! ECDSA, as 2.6 does.
//!
//! Without SNI, or when nothing matches: the default entry, the bind's
//! first one, whatever the client's algorithms (2.6 keeps one default
//! even for an RSA+ECDSA pair; a bundle `crt site.pem` defaults to its
//! `.ecdsa` file, loaded before `.rsa`), or nothing with `strict-sni`
//! (2.6 then fails the handshake with an `unrecognized_name` alert).
//!
//! Not modelled: 2.6 also drops ECDSA when the client offers no ECDSA
//! cipher suite (TLS 1.2 and before); the caller sees the suites and may
//! filter `client_schemes` accordingly.

use std::sync::Arc;

use rustc_hash::FxHashMap;
use rustls::SignatureScheme;

use super::certs::{KeyAlgo, LoadedCert};

/// One certificate of a bind line, with the option set it is used with.
#[derive(Clone, Debug)]
pub struct SniEntry {
    pub cert: Arc<LoadedCert>,
    /// Index into the bind's per-entry option sets; 0 is the bind's own.
    pub opts_idx: usize,
    /// Position in the bind's list; entry 0 is the default certificate.
    pub index: usize,
    /// This entry's negative names, sorted: they cancel its wildcards.
    negatives: Vec<String>,
}

/// The certificates of a bind line, indexed by name.
#[derive(Clone, Debug, Default)]
pub struct SniTable {
    entries: Vec<SniEntry>,
    /// Full name -> entries naming it, in list order.
    exact: FxHashMap<String, Vec<usize>>,
    /// Wildcard suffix (".example.com" for "*.example.com") -> entries.
    wild: FxHashMap<String, Vec<usize>>,
    /// `strict-sni`: no default certificate.
    pub strict_sni: bool,
}

/// The slot a key fills among a name's candidates.
#[derive(Default)]
struct Candidates {
    ecdsa: Option<usize>,
    rsa: Option<usize>,
    other: Option<usize>,
}

impl Candidates {
    fn offer(&mut self, algo: KeyAlgo, idx: usize) {
        let slot = match algo {
            KeyAlgo::Ecdsa => &mut self.ecdsa,
            KeyAlgo::Rsa => &mut self.rsa,
            KeyAlgo::Ed25519 => &mut self.other,
        };
        slot.get_or_insert(idx);
    }
}

/// What the client's signature algorithms say it can verify, by 2.6's
/// test: the low byte of a scheme is 1 for RSA PKCS#1 and 3 for ECDSA
/// (RSA-PSS and EdDSA schemes count for neither).
fn client_takes(schemes: &[SignatureScheme]) -> (bool, bool) {
    if schemes.is_empty() {
        // No signature_algorithms extension: a pre-TLS 1.2 client.
        return (false, true);
    }
    let low = |s: &SignatureScheme| u16::from(*s) & 0xff;
    let ecdsa = schemes.iter().any(|s| low(s) == 3);
    let rsa = schemes.iter().any(|s| low(s) == 1);
    (ecdsa, rsa)
}

impl SniTable {
    /// The table of `list` (certificate, filters, option-set index), in
    /// the bind's order.
    pub fn new(list: Vec<(Arc<LoadedCert>, Vec<String>, usize)>, strict_sni: bool) -> SniTable {
        let mut t = SniTable {
            strict_sni,
            ..SniTable::default()
        };
        for (index, (cert, filters, opts_idx)) in list.into_iter().enumerate() {
            let names = if filters.is_empty() {
                cert.names.clone()
            } else {
                filters
            };
            let mut negatives = Vec::new();
            for raw in &names {
                t.add_name(index, raw, &mut negatives);
            }
            negatives.sort();
            negatives.dedup();
            t.entries.push(SniEntry {
                cert,
                opts_idx,
                index,
                negatives,
            });
        }
        t
    }

    /// Files `raw` (a filter or certificate name) for entry `idx`.
    fn add_name(&mut self, idx: usize, raw: &str, negatives: &mut Vec<String>) {
        let (neg, rest) = match raw.strip_prefix('!') {
            Some(r) => (true, r),
            None => (false, raw),
        };
        let (wild, name) = match rest.strip_prefix('*') {
            Some(r) => (true, r),
            None => (false, rest),
        };
        if (neg && wild) || name.is_empty() {
            return;
        }
        let name = name.to_ascii_lowercase();
        if neg {
            negatives.push(name);
            return;
        }
        let map = if wild {
            &mut self.wild
        } else {
            &mut self.exact
        };
        let list = map.entry(name).or_default();
        if !list.contains(&idx) {
            list.push(idx);
        }
    }

    /// All entries in the bind's order.
    pub fn entries(&self) -> &[SniEntry] {
        &self.entries
    }

    /// The entry used without SNI or match (unless `strict_sni`).
    pub fn default_entry(&self) -> Option<&SniEntry> {
        self.entries.first()
    }

    /// The entry for a ClientHello with this SNI and these signature
    /// schemes; `None` means no certificate (fail the handshake).
    pub fn select(
        &self,
        sni: Option<&str>,
        client_schemes: &[SignatureScheme],
    ) -> Option<&SniEntry> {
        let found = sni.and_then(|s| self.lookup(s, client_schemes));
        match found {
            Some(i) => self.entries.get(i),
            None if self.strict_sni => None,
            None => self.default_entry(),
        }
    }

    /// The matching entry for `sni`, by name and key type.
    fn lookup(&self, sni: &str, client_schemes: &[SignatureScheme]) -> Option<usize> {
        let lower;
        let name = if sni.bytes().any(|b| b.is_ascii_uppercase()) {
            lower = sni.to_ascii_lowercase();
            lower.as_str()
        } else {
            sni
        };
        let mut c = Candidates::default();
        for &i in self.exact.get(name).into_iter().flatten() {
            c.offer(self.entries[i].cert.algo, i);
        }
        if let Some(dot) = name.find('.') {
            for &i in self.wild.get(&name[dot..]).into_iter().flatten() {
                let e = &self.entries[i];
                if e.negatives
                    .binary_search_by(|n| n.as_str().cmp(name))
                    .is_err()
                {
                    c.offer(e.cert.algo, i);
                }
            }
        }
        let (ecdsa_ok, rsa_ok) = client_takes(client_schemes);
        match (c.ecdsa, c.rsa) {
            (Some(e), _) if ecdsa_ok => Some(e),
            (_, Some(r)) if rsa_ok => Some(r),
            _ => c.other.or(c.ecdsa).or(c.rsa),
        }
    }
}

#[cfg(test)]
#[path = "tests_sni.rs"]
mod tests;
