//! An `ssl` bind made ready to accept: its certificates indexed by name,
//! one rustls server configuration per certificate and option set, and
//! the handshake that picks one from the ClientHello.
//!
//! The configuration is chosen after the ClientHello is read (rustls's
//! lazy acceptor), so a crt-list line's own options (`alpn`, `verify`,
//! `ciphers`...) apply to the handshakes it serves, as in HAProxy. Every
//! configuration of a bind shares one session cache and one ticket key
//! set, so a session resumes whichever certificate served it first.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use rustls::server::{
    ClientHello, ProducesTickets, ResolvesServerCert, ServerSessionMemoryCache,
    StoresServerSessions,
};
use rustls::sign::CertifiedKey;
use rustls::{ServerConfig, SignatureScheme};

use super::certs::{join_base, load_crt_arg, LoadedCert};
use super::crtlist::{load_crt_list, CrtListEntry};
use super::opts::{parse_kw, GlobalSsl, Parsed, SslConf, VersionSpec};
use super::sni::SniTable;
use super::{ciphers, verify};

/// Sessions kept for resumption by ID, per bind (HAProxy's default
/// `tune.ssl.cachesize` is 20000 entries).
const SESSION_CACHE: usize = 20_000;

/// A certificate source named on a bind line, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CrtSource {
    /// `crt <file|dir>`: its certificates, bind options.
    Crt(String),
    /// `crt-list <file>`.
    List(String),
}

/// What the config parser keeps for an `ssl` bind line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BindSsl {
    /// `'bind <addr>' in section '<proxy>'`, for errors found later.
    pub who: String,
    /// `ssl` was given (without it, `crt` only loads certificates).
    pub enabled: bool,
    pub sources: Vec<CrtSource>,
    pub strict_sni: bool,
    pub conf: SslConf,
}

/// Why a bind could not be built, in the shape 2.6 reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindError {
    /// An error at the bind line (`parsing [<file>:<line>] : <bind> :
    /// <msg>`), after the alerts 2.6 prints first without a location
    /// (`Couldn't open the ca-file ...`).
    AtLine { before: Vec<String>, msg: String },
    /// An error found once parsing is over: `Proxy '<px>': <msg> for bind
    /// '<addr>' at [<file>:<line>].`, with our reason in parentheses when
    /// 2.6 gives none (it cannot say which cipher it did not know).
    ForBind { msg: String, why: Option<String> },
}

impl From<String> for BindError {
    fn from(msg: String) -> BindError {
        BindError::AtLine {
            before: Vec::new(),
            msg,
        }
    }
}

impl BindError {
    fn for_bind(msg: &str, why: Option<&str>) -> BindError {
        BindError::ForBind {
            msg: msg.to_string(),
            why: why.map(str::to_string),
        }
    }
}

/// A built bind shared by the configuration and its listeners; equal only
/// to itself.
#[derive(Clone, Debug)]
pub struct TlsHandle(pub Arc<BindTls>);

impl PartialEq for TlsHandle {
    fn eq(&self, o: &TlsHandle) -> bool {
        Arc::ptr_eq(&self.0, &o.0)
    }
}
impl Eq for TlsHandle {}

/// The certificates of a bind, with the option set index of each.
struct CertSet {
    sni: SniTable,
    /// Configuration per (certificate pointer, option set).
    configs: HashMap<(usize, usize), Arc<ServerConfig>>,
}

/// An `ssl` bind ready to run handshakes.
pub struct BindTls {
    certs: RwLock<Arc<CertSet>>,
    /// Handshakes done and failed on this bind.
    pub counters: super::accept::HandshakeCounters,
    /// Every certificate loaded, in order (for `show ssl cert`).
    pub loaded: Vec<Arc<LoadedCert>>,
}

impl std::fmt::Debug for BindTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BindTls")
    }
}

/// Always the same certificate: the choice was made from the ClientHello.
#[derive(Debug)]
struct OneCert(Arc<CertifiedKey>);

impl ResolvesServerCert for OneCert {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
}

/// A certificate with the SNI filters and own options of its crt-list
/// line (none for a `crt` argument).
pub type CertEntry = (Arc<LoadedCert>, Vec<String>, SslConf);

/// Loads what a bind line names: each `crt` file or directory and each
/// crt-list file with its lines' options. Errors are HAProxy's texts.
pub fn load_sources(ssl: &BindSsl, global: &GlobalSsl) -> Result<Vec<CertEntry>, String> {
    let mut out = Vec::new();
    for src in &ssl.sources {
        match src {
            CrtSource::Crt(path) => {
                for c in load_crt_arg(std::path::Path::new(path))? {
                    out.push((Arc::new(c), Vec::new(), SslConf::default()));
                }
            }
            CrtSource::List(path) => {
                let list = load_crt_list(path).map_err(|e| format!("'crt-list' : {e}"))?;
                for e in list {
                    let conf = entry_conf(&e, global, path)?;
                    let file = join_base(global.crt_base.as_deref(), &e.file);
                    for c in load_crt_arg(std::path::Path::new(&file))? {
                        out.push((Arc::new(c), e.filters.clone(), conf.clone()));
                    }
                }
            }
        }
    }
    Ok(out)
}

/// The options between `[` and `]` of a crt-list line.
fn entry_conf(e: &CrtListEntry, global: &GlobalSsl, list: &str) -> Result<SslConf, String> {
    let mut conf = SslConf::default();
    let words: Vec<&str> = e.opts.iter().map(String::as_str).collect();
    let mut i = 0;
    while i < words.len() {
        match parse_kw(
            words[i],
            &words[i + 1..],
            &mut conf,
            global.ca_base.as_deref(),
        ) {
            Ok(Parsed::Took(n)) => i += 1 + n,
            Ok(Parsed::NotOurs) => {
                return Err(format!(
                    "crt-list '{list}' line {} : unknown ssl keyword '{}'",
                    e.line, words[i]
                ))
            }
            Err(m) => return Err(format!("crt-list '{list}' line {} : {m}", e.line)),
        }
    }
    Ok(conf)
}

impl BindTls {
    /// Builds the handshake configurations of a bind whose certificates
    /// `certs` were loaded by [`load_sources`].
    /// `http`: the frontend is in HTTP mode, where only HTTP/1 is spoken.
    pub fn build(
        ssl: &BindSsl,
        global: &GlobalSsl,
        certs: Vec<CertEntry>,
        http: bool,
        warnings: &mut Vec<String>,
    ) -> Result<BindTls, BindError> {
        let sessions: Arc<dyn StoresServerSessions> = ServerSessionMemoryCache::new(SESSION_CACHE);
        let ticketer = rustls::crypto::ring::Ticketer::new().map_err(|e| e.to_string())?;
        let bind_conf = ssl.conf.over(&global.bind);
        // Option set 0 is the bind's own; each crt-list line with options
        // gets its own set, over the bind's.
        let mut sets: Vec<SslConf> = vec![bind_conf.clone()];
        let mut entries = Vec::new();
        for (cert, filters, conf) in &certs {
            let idx = if *conf == SslConf::default() {
                0
            } else {
                sets.push(conf.over(&bind_conf));
                sets.len() - 1
            };
            entries.push((cert.clone(), filters.clone(), idx));
        }
        if http {
            // Every set is cleaned, not just up to the first with h2.
            let mut dropped = false;
            for c in &mut sets {
                dropped |= without_h2(c);
            }
            if dropped {
                warnings.push(
                    "'alpn' : h2 is not offered: this proxy speaks HTTP/1.1 only in HTTP mode"
                        .to_string(),
                );
            }
        }
        let mut configs = HashMap::new();
        for (cert, _, idx) in &entries {
            let key = (Arc::as_ptr(cert) as usize, *idx);
            if configs.contains_key(&key) {
                continue;
            }
            let cfg = server_config(&sets[*idx], cert, &sessions, &ticketer, warnings)?;
            configs.insert(key, Arc::new(cfg));
        }
        let loaded = entries.iter().map(|e| e.0.clone()).collect();
        let sni = SniTable::new(entries, ssl.strict_sni);
        Ok(BindTls {
            certs: RwLock::new(Arc::new(CertSet { sni, configs })),
            counters: Default::default(),
            loaded,
        })
    }

    /// The configuration for a ClientHello; `None` refuses the handshake
    /// (`strict-sni` without a matching certificate).
    ///
    /// As in 2.6, ECDSA counts as offered only when the client lists an
    /// ECDSA TLS 1.2 suite too (a TLS 1.3-only ClientHello gets the RSA
    /// certificate of an RSA+ECDSA pair). A client whose ALPN list shares
    /// nothing with the bind's goes on without ALPN, as OpenSSL does,
    /// where rustls alone would refuse it with `no_application_protocol`.
    pub fn config_for(&self, hello: &ClientHello<'_>) -> Option<Arc<ServerConfig>> {
        let set = self.certs.read().unwrap_or_else(|e| e.into_inner()).clone();
        let schemes = hello.signature_schemes();
        let filtered: Vec<SignatureScheme>;
        let schemes = if offers_ecdsa_suite(hello.cipher_suites()) {
            schemes
        } else {
            filtered = schemes.iter().copied().filter(|s| !is_ecdsa(*s)).collect();
            &filtered
        };
        let e = set.sni.select(hello.server_name(), schemes)?;
        let cfg = set
            .configs
            .get(&(Arc::as_ptr(&e.cert) as usize, e.opts_idx))
            .cloned()?;
        let shared = match hello.alpn() {
            None => true,
            Some(mut theirs) => {
                theirs.any(|p| cfg.alpn_protocols.iter().any(|o| o.as_slice() == p))
            }
        };
        if cfg.alpn_protocols.is_empty() || shared {
            return Some(cfg);
        }
        let mut no_alpn = (*cfg).clone();
        no_alpn.alpn_protocols.clear();
        Some(Arc::new(no_alpn))
    }
}

/// Takes `h2` out of an option set's ALPN list; whether it was there.
/// Offering it would have HTTP/2 clients talk to an HTTP/1.1 parser
/// (a `400` to a client expecting frames); without it they fall back to
/// `http/1.1`, or to no ALPN at all.
fn without_h2(conf: &mut SslConf) -> bool {
    let Some(list) = &mut conf.alpn else {
        return false;
    };
    let before = list.len();
    list.retain(|p| p.as_slice() != b"h2");
    list.len() != before
}

/// An ECDSA signature scheme (the low byte 3, 2.6's test).
fn is_ecdsa(s: SignatureScheme) -> bool {
    u16::from(s) & 0xff == 3
}

/// The TLS 1.2 suites with ECDSA authentication that OpenSSL 3 knows:
/// ECDHE-ECDSA with NULL, RC4, 3DES, AES-CBC, AES-GCM, Camellia, ARIA,
/// AES-CCM and CHACHA20-POLY1305.
const ECDSA_SUITES: &[u16] = &[
    0xC006, 0xC007, 0xC008, 0xC009, 0xC00A, 0xC023, 0xC024, 0xC02B, 0xC02C, 0xC048, 0xC049, 0xC05C,
    0xC05D, 0xC072, 0xC073, 0xC086, 0xC087, 0xC0AC, 0xC0AD, 0xC0AE, 0xC0AF, 0xCCA9,
];

/// Whether the client offers a TLS 1.2 suite an ECDSA certificate can
/// serve (TLS 1.3 suites do not count, as in 2.6).
fn offers_ecdsa_suite(suites: &[rustls::CipherSuite]) -> bool {
    suites.iter().any(|s| ECDSA_SUITES.contains(&u16::from(*s)))
}

/// One rustls server configuration: versions, suites and groups from the
/// option set, client certificates as `verify` says, the shared session
/// stores.
fn server_config(
    conf: &SslConf,
    cert: &LoadedCert,
    sessions: &Arc<dyn StoresServerSessions>,
    ticketer: &Arc<dyn ProducesTickets>,
    warnings: &mut Vec<String>,
) -> Result<ServerConfig, BindError> {
    let provider = Arc::new(provider_for(conf, warnings).map_err(|e| list_error(conf, e))?);
    let versions = versions_for(&conf.versions).map_err(|e| {
        let v = &conf.versions;
        // 2.6 lowers its default minimum to an `ssl-max-ver` below it (with
        // a warning): such a bind has versions there, just none of ours.
        let lowered = v.min.is_none() && v.force.is_none() && v.max.is_some_and(|m| m < 3);
        if lowered || (0..super::opts::VERSIONS.len()).any(|i| v.allows(i)) {
            BindError::from(e)
        } else {
            BindError::for_bind("all SSL/TLS versions are disabled", None)
        }
    })?;
    let builder = ServerConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&versions)
        .map_err(|e| format!("no usable TLS version or cipher: {e}"))?;
    let client_auth = verify::client_verifier(conf, provider)?;
    let mut cfg = builder
        .with_client_cert_verifier(client_auth)
        .with_cert_resolver(Arc::new(OneCert(cert.key.clone())));
    if let Some(alpn) = &conf.alpn {
        cfg.alpn_protocols = alpn.clone();
    }
    // HAProxy asks OpenSSL for the server's cipher order unless told
    // `prefer-client-ciphers`.
    cfg.ignore_client_order = !conf.prefer_client_ciphers;
    // Without tickets, sessions still resume by ID (TLS 1.3's tickets are
    // then stateful: references into the cache), as OpenSSL does.
    cfg.session_storage = sessions.clone();
    if !conf.no_tls_tickets {
        cfg.ticketer = ticketer.clone();
    }
    Ok(cfg)
}

/// An error of [`provider_for`] as 2.6 words it: it could not set the
/// list, whatever was wrong in it; ours says what in parentheses.
fn list_error(conf: &SslConf, e: String) -> BindError {
    let lists = [
        ("'ciphers' : ", "SSL cipher list", &conf.ciphers),
        (
            "'ciphersuites' : ",
            "TLS 1.3 cipher suites",
            &conf.ciphersuites,
        ),
        ("'curves' : ", "SSL curves list", &conf.curves),
    ];
    for (prefix, what, value) in lists {
        if let (Some(why), Some(v)) = (e.strip_prefix(prefix), value) {
            return BindError::for_bind(&format!("unable to set {what} to '{v}'"), Some(why));
        }
    }
    BindError::from(e)
}

/// The rustls provider for an option set's `ciphers`, `ciphersuites` and
/// `curves`; names rustls lacks are warned about.
pub fn provider_for(
    conf: &SslConf,
    warnings: &mut Vec<String>,
) -> Result<rustls::crypto::CryptoProvider, String> {
    let mut warn = |kw: &str, names: &[String]| {
        if !names.is_empty() {
            warnings.push(format!(
                "'{kw}' : {} not supported by this proxy (rustls), not offered",
                names.join(", ")
            ));
        }
    };
    let t12 = match &conf.ciphers {
        Some(s) => {
            let c = ciphers::tls12_suites(s).map_err(|e| format!("'ciphers' : {e}"))?;
            warn("ciphers", &c.unsupported);
            Some(c.suites)
        }
        None => None,
    };
    let t13 = match &conf.ciphersuites {
        Some(s) => {
            let c = ciphers::tls13_suites(s).map_err(|e| format!("'ciphersuites' : {e}"))?;
            warn("ciphersuites", &c.unsupported);
            Some(c.suites)
        }
        None => None,
    };
    let (kw, groups) = match (&conf.curves, &conf.ecdhe) {
        (Some(s), _) => ("curves", Some(s)),
        (None, e) => ("ecdhe", e.as_ref()),
    };
    let groups = match groups {
        Some(s) => {
            let g = ciphers::kx_groups(s).map_err(|e| format!("'{kw}' : {e}"))?;
            warn(kw, &g.unsupported);
            Some(g.groups)
        }
        None => None,
    };
    Ok(ciphers::provider(
        t12.as_deref(),
        t13.as_deref(),
        groups.as_deref(),
    ))
}

/// The protocol versions rustls may negotiate for a version spec: TLS 1.3
/// and 1.2 at most (rustls has nothing older, HAProxy's default minimum
/// is TLS 1.2 anyway).
pub fn versions_for(
    v: &VersionSpec,
) -> Result<Vec<&'static rustls::SupportedProtocolVersion>, String> {
    let mut out = Vec::new();
    if v.allows(4) {
        out.push(&rustls::version::TLS13);
    }
    if v.allows(3) {
        out.push(&rustls::version::TLS12);
    }
    if out.is_empty() {
        return Err(
            "no SSL/TLS version left: this proxy supports TLSv1.2 and TLSv1.3 only".to_string(),
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn h2_taken_out_of_alpn() {
        let mut c = SslConf {
            alpn: Some(vec![b"h2".to_vec(), b"http/1.1".to_vec()]),
            ..SslConf::default()
        };
        assert!(without_h2(&mut c));
        assert_eq!(c.alpn, Some(vec![b"http/1.1".to_vec()]));
        assert!(!without_h2(&mut c));
        assert!(!without_h2(&mut SslConf::default()));
    }

    #[test]
    fn ecdsa_needs_an_ecdsa_tls12_suite() {
        use rustls::CipherSuite as S;
        assert!(offers_ecdsa_suite(&[
            S::TLS13_AES_128_GCM_SHA256,
            S::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
        ]));
        assert!(!offers_ecdsa_suite(&[
            S::TLS13_AES_128_GCM_SHA256,
            S::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
        ]));
        assert!(is_ecdsa(SignatureScheme::ECDSA_NISTP256_SHA256));
        assert!(!is_ecdsa(SignatureScheme::RSA_PSS_SHA256));
    }

    #[test]
    fn list_errors_worded_as_haproxy() {
        let conf = SslConf {
            ciphers: Some("FOO".into()),
            ..SslConf::default()
        };
        assert_eq!(
            list_error(&conf, "'ciphers' : unknown cipher 'FOO'".into()),
            BindError::ForBind {
                msg: "unable to set SSL cipher list to 'FOO'".into(),
                why: Some("unknown cipher 'FOO'".into()),
            }
        );
        assert_eq!(
            list_error(&conf, "other".into()),
            BindError::from("other".to_string())
        );
    }
}
