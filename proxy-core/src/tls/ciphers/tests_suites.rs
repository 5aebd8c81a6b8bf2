//! Cipher strings against OpenSSL 3 (`openssl ciphers`) and fixed expectations.

use super::*;
use std::process::Command;

pub(super) const E_ECDSA_128: &str = "ECDHE-ECDSA-AES128-GCM-SHA256";
pub(super) const E_ECDSA_256: &str = "ECDHE-ECDSA-AES256-GCM-SHA384";
pub(super) const E_ECDSA_CHACHA: &str = "ECDHE-ECDSA-CHACHA20-POLY1305";
pub(super) const E_RSA_128: &str = "ECDHE-RSA-AES128-GCM-SHA256";
pub(super) const E_RSA_256: &str = "ECDHE-RSA-AES256-GCM-SHA384";
pub(super) const E_RSA_CHACHA: &str = "ECDHE-RSA-CHACHA20-POLY1305";
/// OpenSSL's own order of the six (that of ALL).
pub(super) const SIX: [&str; 6] = [
    E_ECDSA_256,
    E_RSA_256,
    E_ECDSA_CHACHA,
    E_RSA_CHACHA,
    E_ECDSA_128,
    E_RSA_128,
];

pub(super) const MOZILLA_INTERMEDIATE: &str =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:\
    ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:\
    ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:\
    DHE-RSA-CHACHA20-POLY1305";
pub(super) const MOZILLA_OLD: &str = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:\
    ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:\
    ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:\
    DHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA256:\
    ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES256-SHA384:\
    ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES256-SHA:ECDHE-RSA-AES256-SHA:\
    DHE-RSA-AES128-SHA256:DHE-RSA-AES256-SHA256:AES128-GCM-SHA256:AES256-GCM-SHA384:\
    AES128-SHA256:AES256-SHA256:AES128-SHA:AES256-SHA:DES-CBC3-SHA";
pub(super) const HIGH_NO_ANULL: &str = "HIGH:!aNULL:!MD5";
pub(super) const H2_STYLE: &str = "ECDH+AESGCM:DH+AESGCM:ECDH+AES256:DH+AES256:ECDH+AES128:DH+AES:\
    RSA+AESGCM:RSA+AES:!aNULL:!MD5:!DSS";
pub(super) const OLD_RC4: &str =
    "kEECDH+aRSA+AES:kRSA+AES:+AES256:RC4-SHA:!kEDH:!LOW:!EXPORT:!MD5:!aNULL:!eNULL";

pub(super) fn name_of(s: &SupportedCipherSuite) -> &'static str {
    known_ciphers()
        .find(|c| rustls_tls12(c) == Some(*s))
        .map_or("?", |c| c.name)
}

pub(super) fn names12(spec: &str) -> Vec<&'static str> {
    tls12_suites(spec)
        .unwrap()
        .suites
        .iter()
        .map(name_of)
        .collect()
}

pub(super) fn unsupported12(spec: &str) -> Vec<String> {
    tls12_suites(spec).unwrap().unsupported
}

#[test]
pub(super) fn mozilla_intermediate_keeps_its_order_and_names_the_dhe_suites() {
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
pub(super) fn mozilla_old_names_every_cbc_rsa_and_3des_suite() {
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
pub(super) fn aliases_follow_openssl_order() {
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
pub(super) fn list_operations() {
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
    assert_eq!(names12("aECDSA+AES256+AESGCM"), [E_ECDSA_256]);
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
pub(super) fn named_ciphers_are_reported_only_while_selected() {
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
pub(super) fn openssl_quirk_complementofdefault_before_a_strength_class() {
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
pub(super) fn tls12_errors() {
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
    // MEDIUM is this build's missing weak ciphers (3DES, RC4...): known, not in rustls.
    assert_eq!(
        err("MEDIUM"),
        "no cipher in 'MEDIUM' is implemented by rustls; rustls has TLS 1.2 only with ECDHE \
         and AES-GCM or CHACHA20-POLY1305"
    );
    assert_eq!(err("LOW"), "no cipher matches 'LOW'");
    assert_eq!(
        err("ECDHE+AEAD"),
        "unknown cipher 'AEAD' (OpenSSL 3.0 has no such alias: AESGCM and CHACHA20 select the \
         AEAD ciphers rustls has)"
    );
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
pub(super) fn openssl_ciphers(spec: &str) -> Option<Result<Vec<String>, ()>> {
    let version = Command::new("openssl").arg("version").output().ok()?;
    if !String::from_utf8_lossy(&version.stdout).starts_with("OpenSSL 3.0.") {
        return None;
    }
    let out = Command::new("openssl")
        .args(["ciphers", "-v", "--", spec])
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
pub(super) fn table_is_this_openssl_list() {
    let (Some(Ok(all)), Some(Ok(mut everything))) = (
        openssl_ciphers("ALL"),
        openssl_ciphers("ALL:COMPLEMENTOFALL"),
    ) else {
        return;
    };
    let non_null: Vec<String> = OPENSSL
        .iter()
        .filter(|c| c.enc != E_NULL)
        .map(|c| c.name.to_string())
        .collect();
    assert_eq!(non_null, all);
    let mut ours: Vec<String> = OPENSSL.iter().map(|c| c.name.to_string()).collect();
    ours.sort();
    everything.sort();
    assert_eq!(ours, everything);
    for c in OPENSSL_ABSENT {
        assert!(OPENSSL.iter().all(|o| o.name != c.name), "{}", c.name);
    }
}

#[test]
pub(super) fn evaluation_matches_openssl_ciphers() {
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
        "SHA1:SHA256:SHA384:MD5",
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
    // Every alias alone too: the starting order must agree with each of them.
    let aliases = ALIASES.iter().map(|(name, _)| *name);
    for spec in specs.into_iter().chain(aliases) {
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
pub(super) fn random_strings_match_openssl_ciphers() {
    // Cipher strings drawn at random from every name, alias and operation, against the
    // real thing (several thousand were checked this way while writing this module).
    let Some(Ok(present)) = openssl_ciphers("ALL:COMPLEMENTOFALL") else {
        return;
    };
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    let words: Vec<&str> = ALIASES
        .iter()
        .map(|(name, _)| *name)
        .chain(known_ciphers().map(|c| c.name))
        .chain(SIX)
        .collect();
    for _ in 0..300 {
        let mut spec = if rng.u8(..5) == 0 {
            vec!["DEFAULT".to_string()]
        } else {
            Vec::new()
        };
        for _ in 0..rng.usize(1..8) {
            let op = ["", "", "!", "-", "+"][rng.usize(..5)];
            let parts: Vec<&str> = (0..rng.usize(1..4))
                .map(|_| words[rng.usize(..words.len())])
                .collect();
            spec.push(format!("{op}{}", parts.join("+")));
            if rng.u8(..8) == 0 {
                spec.push("@STRENGTH".to_string());
            }
        }
        let spec = spec.join(":");
        let theirs = openssl_ciphers(&spec).unwrap().unwrap_or_default();
        let ours: Vec<String> = Evaluation::run(&spec)
            .unwrap()
            .selected()
            .map(|c| c.name.to_string())
            .filter(|n| present.contains(n))
            .collect();
        assert_eq!(ours, theirs, "{spec}");
    }
}
