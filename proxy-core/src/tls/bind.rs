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
    ClientHello, NoServerSessionStorage, ProducesTickets, ResolvesServerCert,
    ServerSessionMemoryCache, StoresServerSessions,
};
use rustls::sign::CertifiedKey;
use rustls::{ServerConfig, SignatureScheme};

use super::certs::LoadedCert;
use super::crtlist::CrtListEntry;
use super::opts::{parse_kw, GlobalSsl, Parsed, SslConf};
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

impl std::fmt::Display for BindError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BindError::AtLine { msg, .. } => f.write_str(msg),
            BindError::ForBind { msg, why: Some(w) } => write!(f, "{msg} ({w})"),
            BindError::ForBind { msg, why: None } => f.write_str(msg),
        }
    }
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

/// The certificates of a bind, with the option set index of each: what
/// a handshake reads, replaced whole when the CLI changes a certificate
/// or a crt-list.
pub struct CertSet {
    sni: SniTable,
    /// Configuration per (certificate pointer, option set).
    configs: HashMap<(usize, usize), Arc<ServerConfig>>,
}

/// An `ssl` bind ready to run handshakes.
pub struct BindTls {
    certs: RwLock<Arc<CertSet>>,
    /// Handshakes done and failed on this bind.
    pub counters: super::accept::HandshakeCounters,
    /// The bind line's settings, kept to rebuild the set.
    ssl: BindSsl,
    global: GlobalSsl,
    /// The frontend speaks HTTP/1 (h2 is left out of ALPN).
    http: bool,
    /// Shared by every configuration of the bind, before and after a
    /// rebuild, so sessions resume across a certificate change.
    sessions: Arc<dyn StoresServerSessions>,
    ticketer: Arc<dyn ProducesTickets>,
}

impl std::fmt::Debug for BindTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BindTls")
    }
}

/// The session cache, its lookups counted for `show info`
/// (`SslCacheLookups`, `SslCacheMisses`): rustls looks a session ID up
/// with `get` (TLS 1.2) and a stateful TLS 1.3 ticket with `take`.
#[derive(Debug)]
struct CountedCache(Arc<ServerSessionMemoryCache>);

impl StoresServerSessions for CountedCache {
    fn put(&self, key: Vec<u8>, value: Vec<u8>) -> bool {
        self.0.put(key, value)
    }
    fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let v = self.0.get(key);
        super::stats::ssl_stats().cache_lookup(v.is_some());
        v
    }
    fn take(&self, key: &[u8]) -> Option<Vec<u8>> {
        let v = self.0.take(key);
        super::stats::ssl_stats().cache_lookup(v.is_some());
        v
    }
    fn can_cache(&self) -> bool {
        self.0.can_cache()
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

/// The options between `[` and `]` of a crt-list line.
pub fn entry_conf(e: &CrtListEntry, global: &GlobalSsl, list: &str) -> Result<SslConf, String> {
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
    /// `certs` were loaded (see [`super::store::CertStore::load_bind`]).
    /// `http`: the frontend is in HTTP mode, where only HTTP/1 is spoken.
    pub fn build(
        ssl: &BindSsl,
        global: &GlobalSsl,
        certs: Vec<CertEntry>,
        http: bool,
        warnings: &mut Vec<String>,
    ) -> Result<BindTls, BindError> {
        let sessions: Arc<dyn StoresServerSessions> =
            match global.cachesize.unwrap_or(SESSION_CACHE) {
                0 => Arc::new(NoServerSessionStorage {}),
                n => Arc::new(CountedCache(ServerSessionMemoryCache::new(n))),
            };
        let ticketer = super::ciphers::backend::Ticketer::new().map_err(|e| e.to_string())?;
        let empty = CertSet {
            sni: SniTable::default(),
            configs: HashMap::new(),
        };
        let b = BindTls {
            certs: RwLock::new(Arc::new(empty)),
            counters: Default::default(),
            ssl: ssl.clone(),
            http,
            global: global.clone(),
            sessions,
            ticketer,
        };
        let set = b.prepare(certs, warnings)?;
        b.install(set);
        Ok(b)
    }

    /// The configurations for `certs` with this bind's options, not yet in
    /// use: [`BindTls::install`] puts them in service.
    pub fn prepare(
        &self,
        certs: Vec<CertEntry>,
        warnings: &mut Vec<String>,
    ) -> Result<CertSet, BindError> {
        let bind_conf = self.ssl.conf.over(&self.global.bind);
        // Option set 0 is the bind's own; each crt-list line with options
        // gets its own set, over the bind's.
        let mut sets: Vec<SslConf> = vec![bind_conf.clone()];
        let mut entries = Vec::new();
        for (cert, filters, conf) in certs {
            let idx = if conf == SslConf::default() {
                0
            } else {
                sets.push(conf.over(&bind_conf));
                sets.len() - 1
            };
            entries.push((cert, filters, idx));
        }
        if self.http {
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
            let cfg = server_config(&sets[*idx], cert, &self.sessions, &self.ticketer, warnings)?;
            configs.insert(key, Arc::new(cfg));
        }
        let sni = SniTable::new(entries, self.ssl.strict_sni);
        Ok(CertSet { sni, configs })
    }

    /// Serves `set` from the next handshake on; connections already
    /// established keep the configuration they were made with.
    pub fn install(&self, set: CertSet) {
        *self.certs.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(set);
    }

    /// The bind line's settings.
    pub fn ssl(&self) -> &BindSsl {
        &self.ssl
    }

    /// The `global` TLS settings the bind was built with.
    pub fn global(&self) -> &GlobalSsl {
        &self.global
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
    for w in conf.versions.warnings() {
        warnings.push(w);
    }
    let versions = conf.versions.versions().map_err(|e| {
        // 2.6 reports a bind left with no version at all after parsing;
        // a range of versions rustls lacks is ours to refuse at the line.
        if conf.versions.enabled().is_empty() {
            BindError::for_bind("all SSL/TLS versions are disabled", None)
        } else {
            BindError::from(e)
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
