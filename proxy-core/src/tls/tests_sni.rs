//! Tests for [`super`]: each scenario is one the HAProxy 2.6.12 binary was
//! run through (`openssl s_client` with and without `-servername`, with
//! `-sigalgs`), with the certificate it served.

use super::*;
use crate::tls::certs::load_pem;
use crate::tls::testgen::fixture;

use SignatureScheme as S;

/// What `openssl s_client` offers by default: both kinds.
const BOTH: &[S] = &[
    S::ECDSA_NISTP256_SHA256,
    S::ED25519,
    S::RSA_PSS_SHA256,
    S::RSA_PKCS1_SHA256,
];
const RSA: &[S] = &[S::RSA_PKCS1_SHA256];
const ECDSA: &[S] = &[S::ECDSA_NISTP256_SHA256];
const PSS: &[S] = &[S::RSA_PSS_SHA256];

/// Loaded RSA, ECDSA and Ed25519 certificates to relabel.
struct Kinds {
    rsa: LoadedCert,
    ec: LoadedCert,
    ed: LoadedCert,
}

fn kinds() -> Option<Kinds> {
    let d = fixture()?;
    Some(Kinds {
        rsa: load_pem(&d.join("rsa.pem")).ok()?,
        ec: load_pem(&d.join("ec.pem")).ok()?,
        ed: load_pem(&d.join("ed.pem")).ok()?,
    })
}

impl Kinds {
    /// A certificate named `tag` with these own names; its kind is the
    /// tag's first letter (r, e or d).
    fn cert(&self, tag: &str, names: &[&str]) -> Arc<LoadedCert> {
        let mut c = match tag.as_bytes().first() {
            Some(b'e') => self.ec.clone(),
            Some(b'd') => self.ed.clone(),
            _ => self.rsa.clone(),
        };
        c.path = tag.to_string();
        c.names = names.iter().map(|n| n.to_string()).collect();
        Arc::new(c)
    }

    /// A table of `(tag, own names, filters)` lines.
    fn table(&self, lines: &[(&str, &[&str], &[&str])], strict: bool) -> SniTable {
        let list = lines
            .iter()
            .enumerate()
            .map(|(i, (tag, names, filters))| {
                let f = filters.iter().map(|s| s.to_string()).collect();
                (self.cert(tag, names), f, i * 10)
            })
            .collect();
        SniTable::new(list, strict)
    }
}

/// The tag of the chosen certificate, "-" for none.
fn pick(t: &SniTable, sni: Option<&str>, schemes: &[S]) -> String {
    t.select(sni, schemes)
        .map_or("-".to_string(), |e| e.cert.path.clone())
}

#[test]
fn rsa_and_ecdsa_for_one_name() {
    let Some(k) = kinds() else { return };
    let t = k.table(
        &[
            ("rdual", &["dual.test"], &[]),
            ("edual", &["dual.test"], &[]),
        ],
        false,
    );
    let dual = Some("dual.test");
    assert_eq!(pick(&t, dual, BOTH), "edual");
    assert_eq!(pick(&t, dual, ECDSA), "edual");
    assert_eq!(pick(&t, dual, RSA), "rdual");
    assert_eq!(
        pick(&t, dual, &[S::RSA_PKCS1_SHA256, S::ECDSA_NISTP256_SHA256]),
        "edual"
    );
    assert_eq!(pick(&t, Some("DUAL.test"), BOTH), "edual");
    // Neither kind offered: ECDSA is tried (the binary then fails).
    assert_eq!(pick(&t, dual, PSS), "edual");
    assert_eq!(pick(&t, dual, &[S::ED25519, S::RSA_PKCS1_SHA256]), "rdual");
    // No signature_algorithms at all: an old client, RSA.
    assert_eq!(pick(&t, dual, &[]), "rdual");
    // One default, whatever the client takes.
    for s in [BOTH, ECDSA, RSA] {
        assert_eq!(pick(&t, None, s), "rdual");
        assert_eq!(pick(&t, Some("other.test"), s), "rdual");
    }
}

#[test]
fn exact_wildcard_and_duplicates() {
    let Some(k) = kinds() else { return };
    let t = k.table(
        &[
            ("rdef", &["default.test"], &[]),
            ("rwild", &["*.wild.test"], &[]),
            ("rexact", &["a.wild.test"], &[]),
            ("ewild", &["*.wild.test"], &[]),
            ("rdup", &["dup.test"], &[]),
            ("rdup2", &["dup.test"], &[]),
            ("eonly", &["eonly.test"], &[]),
        ],
        false,
    );
    // An ECDSA wildcard beats an RSA exact name for an ECDSA client.
    assert_eq!(pick(&t, Some("a.wild.test"), BOTH), "ewild");
    assert_eq!(pick(&t, Some("a.wild.test"), RSA), "rexact");
    assert_eq!(pick(&t, Some("b.wild.test"), BOTH), "ewild");
    assert_eq!(pick(&t, Some("b.wild.test"), RSA), "rwild");
    assert_eq!(pick(&t, Some("B.WILD.TEST"), RSA), "rwild");
    // One label only, and not the bare domain.
    assert_eq!(pick(&t, Some("x.b.wild.test"), BOTH), "rdef");
    assert_eq!(pick(&t, Some("wild.test"), BOTH), "rdef");
    assert_eq!(pick(&t, Some(".wild.test"), BOTH), "ewild");
    assert_eq!(pick(&t, Some("dup.test"), BOTH), "rdup");
    // The only certificate of the name, even of a kind the client lacks.
    assert_eq!(pick(&t, Some("eonly.test"), RSA), "eonly");
    assert_eq!(pick(&t, Some("nodot"), BOTH), "rdef");
}

#[test]
fn crt_list_filters_and_negatives() {
    let Some(k) = kinds() else { return };
    let t = k.table(
        &[
            ("rdef", &["default.test"], &["!*"]),
            (
                "rwild",
                &[],
                &["*.wild.test", "!no.wild.test", "!*.x.wild.test"],
            ),
            ("rdual", &["dual.test"], &["no.wild.test"]),
            ("rdup", &["dup.test"], &["!dup.test"]),
            ("edual", &["dual.test"], &["default.test"]),
            ("rdup2", &[], &["*.test"]),
        ],
        false,
    );
    // Filters replace the certificate's names: `!*` leaves rdef nameless.
    assert_eq!(pick(&t, Some("default.test"), BOTH), "edual");
    assert_eq!(pick(&t, Some("default.test"), RSA), "rdup2");
    assert_eq!(pick(&t, Some("no.wild.test"), BOTH), "rdual");
    assert_eq!(pick(&t, Some("yes.wild.test"), BOTH), "rwild");
    // rdup's `!dup.test` only cancels rdup's own wildcards.
    assert_eq!(pick(&t, Some("dup.test"), BOTH), "rdup2");
    assert_eq!(pick(&t, Some("dual.test"), BOTH), "rdup2");
    assert_eq!(pick(&t, Some("wild.test"), BOTH), "rdup2");
    assert_eq!(pick(&t, None, BOTH), "rdef");
}

#[test]
fn negatives_act_on_their_own_line_only() {
    let Some(k) = kinds() else { return };
    let t = k.table(
        &[
            ("rdef", &["default.test"], &[]),
            ("rwild", &[], &["*.wild.test", "!no.wild.test"]),
            ("rdual", &[], &["a.test", "!a.test"]),
            ("edual", &[], &["!yes.wild.test"]),
            ("rdup", &[], &["*.dup.test"]),
            ("edual2", &[], &["!x.dup.test"]),
        ],
        false,
    );
    assert_eq!(pick(&t, Some("no.wild.test"), BOTH), "rdef");
    assert_eq!(pick(&t, Some("yes.wild.test"), BOTH), "rwild");
    assert_eq!(pick(&t, Some("a.test"), BOTH), "rdual");
    assert_eq!(pick(&t, Some("x.dup.test"), BOTH), "rdup");
}

#[test]
fn strict_sni_has_no_default() {
    let Some(k) = kinds() else { return };
    let t = k.table(&[("rdef", &["default.test"], &[])], true);
    assert_eq!(pick(&t, None, BOTH), "-");
    assert_eq!(pick(&t, Some("nomatch.test"), BOTH), "-");
    assert_eq!(pick(&t, Some("default.test"), BOTH), "rdef");
    assert_eq!(t.default_entry().map(|e| e.index), Some(0));
    let empty = SniTable::new(Vec::new(), false);
    assert!(empty.select(Some("x.test"), BOTH).is_none());
}

#[test]
fn bundle_default_is_its_first_file() {
    let Some(k) = kinds() else { return };
    // `crt site.pem` loads site.pem.ecdsa before site.pem.rsa.
    let t = k.table(
        &[
            ("edef", &["default.test"], &[]),
            ("rdef", &["default.test"], &[]),
        ],
        false,
    );
    assert_eq!(pick(&t, None, RSA), "edef");
    assert_eq!(pick(&t, Some("default.test"), RSA), "rdef");
}

#[test]
fn other_key_types_and_entry_fields() {
    let Some(k) = kinds() else { return };
    let t = k.table(
        &[
            ("rdef", &["default.test"], &[]),
            ("ded", &["ed.test"], &[]),
            ("red", &["ed.test"], &[]),
        ],
        false,
    );
    // Ed25519 is 2.6's "other" slot: after ECDSA/RSA the client takes.
    assert_eq!(pick(&t, Some("ed.test"), BOTH), "red");
    assert_eq!(pick(&t, Some("ed.test"), &[S::ED25519]), "ded");
    let e = t.select(Some("ed.test"), RSA).unwrap();
    assert_eq!((e.index, e.opts_idx), (2, 20));
    assert_eq!(t.entries().len(), 3);
}

#[test]
fn own_names_of_a_loaded_certificate() {
    let Some(k) = kinds() else { return };
    // rsa.pem: SAN www.example.com and *.Example.org; ec.pem: two CNs.
    let list = vec![
        (Arc::new(k.rsa.clone()), Vec::new(), 0),
        (Arc::new(k.ec.clone()), Vec::new(), 0),
    ];
    let t = SniTable::new(list, true);
    let algo = |sni: &str| t.select(Some(sni), BOTH).map(|e| e.cert.algo);
    assert_eq!(algo("WWW.example.com"), Some(KeyAlgo::Rsa));
    assert_eq!(algo("x.example.org"), Some(KeyAlgo::Rsa));
    assert_eq!(algo("second.example.com"), Some(KeyAlgo::Ecdsa));
    assert_eq!(algo("ec.example.com"), Some(KeyAlgo::Ecdsa));
    assert_eq!(algo("example.org"), None);
}

#[test]
fn many_names() {
    let Some(k) = kinds() else { return };
    let names: Vec<String> = (0..20_000).map(|i| format!("h{i}.test")).collect();
    let refs: Vec<&str> = names.iter().map(|s| s.as_str()).collect();
    let t = k.table(&[("rdef", &[], &[]), ("rmany", &refs, &[])], false);
    assert_eq!(pick(&t, Some("h19999.test"), BOTH), "rmany");
    assert_eq!(pick(&t, Some("h20000.test"), BOTH), "rdef");
}
