//! TLS 1.3 suites, groups, versions and the provider.

use super::tests_suites::*;
use super::*;

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
        [
            "no-sslv3/no-tlsv1x options are ignored because ssl-min-ver, ssl-max-ver or force-* \
          is set"
        ]
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
        versions(min, max, no).map(|v| v.iter().map(|v| u16::from(v.version)).collect::<Vec<_>>())
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

    // Defaults: the provider's, which hold nothing weak: TLS 1.3 first, then only the six
    // forward-secret AEAD TLS 1.2 suites, and groups of at least 128-bit strength.
    let d = provider(None, None, None);
    assert_eq!(d.cipher_suites, base_provider().cipher_suites);
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
            rustls::NamedGroup::X25519,
            rustls::NamedGroup::X25519MLKEM768
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
