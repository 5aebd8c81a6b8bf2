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
use rustls::ServerConfig;

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
    pub fn build(
        ssl: &BindSsl,
        global: &GlobalSsl,
        certs: Vec<CertEntry>,
        warnings: &mut Vec<String>,
    ) -> Result<BindTls, String> {
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
    ) -> Result<CertSet, String> {
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
    pub fn config_for(&self, hello: &ClientHello<'_>) -> Option<Arc<ServerConfig>> {
        let set = self.certs.read().unwrap_or_else(|e| e.into_inner()).clone();
        let e = set
            .sni
            .select(hello.server_name(), hello.signature_schemes())?;
        set.configs
            .get(&(Arc::as_ptr(&e.cert) as usize, e.opts_idx))
            .cloned()
    }
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
) -> Result<ServerConfig, String> {
    let provider = Arc::new(provider_for(conf, warnings)?);
    for w in conf.versions.warnings() {
        warnings.push(w);
    }
    let versions = conf.versions.versions()?;
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
    let groups = match &conf.curves {
        Some(s) => {
            let g = ciphers::kx_groups(s).map_err(|e| format!("'curves' : {e}"))?;
            warn("curves", &g.unsupported);
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
