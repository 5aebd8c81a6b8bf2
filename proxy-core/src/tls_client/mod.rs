//! TLS towards servers: the `ssl` settings of a `server` line, the rustls
//! client configuration built from them once at startup, and the
//! handshake run on each new connection before it carries a stream.
//!
//! What HAProxy 2.6 does, and this follows:
//! - `verify required` is the default unless `ssl-server-verify none` is
//!   in `global`; it needs a `ca-file` (see [`super::srv_verify`]);
//! - sessions are kept per server for resumption (`no-ssl-reuse` turns
//!   that off; `no-tls-tickets` leaves TLS 1.2 with session IDs only);
//! - `sni <expr>` is evaluated on the stream for each connection; without
//!   it no SNI is sent. rustls cannot send a value that is no host name
//!   (`a.test:8443`, an address), which 2.6 sends as it is: none is sent
//!   then, and `verify required` checks the certificate against the value
//!   as 2.6 would (see [`connect_tls`]);
//! - idle connections are reused only for the same SNI (2.6 hashes it
//!   into its reuse keys; see [`crate::idle::take`]);
//! - `crt` is the client certificate offered when the server asks;
//! - health checks use TLS with `check-ssl`, or with `ssl` when neither
//!   `port` nor `addr` sends them elsewhere; they send `check-sni` and
//!   offer `check-alpn` (else the server's `alpn`).
//!
//! Protocol versions follow 2.6's rules for servers: `no-*` options are
//! ignored (with a warning) next to `ssl-min-ver`, `ssl-max-ver` or
//! `force-*`, a gap in the allowed versions is warned about, and nothing
//! left is an error. rustls has TLS 1.2 and 1.3 only.

use std::io;
use std::net::IpAddr;
use std::sync::Arc;

use rustls::client::danger::ServerCertVerifier;
use rustls::client::{ClientSessionMemoryCache, ResolvesClientCert, Resumption, Tls12Resumption};
use rustls::pki_types::{DnsName, ServerName};
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, SignatureScheme};
use tokio::net::TcpStream;

use crate::rules::expr::Expr;
use crate::rules::RequestView;
use crate::tls::bind::provider_for;
use crate::tls::ciphers::{TlsVersion, VersionRange};
use crate::tls::conn::TlsStream;
use crate::tls::opts::{GlobalSsl, SslConf, Verify};
use crate::tls::srv_verify::{AcceptAny, Required};

/// Server names whose sessions a server keeps for resumption.
const SESSIONS_PER_SERVER: usize = 256;

/// Whether a server's traffic uses TLS.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SslUse {
    #[default]
    Off,
    On,
    /// `no-ssl` on a server whose `default-server` says `ssl`: 2.6 still
    /// prepares (and checks) the TLS settings, traffic stays in clear.
    Prepared,
}

/// `sni <expr>`: the text as written and the parsed expression.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SniExpr {
    pub text: String,
    pub expr: Expr,
}

/// The TLS settings of a `server` (or `default-server`) line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ServerSsl {
    pub use_ssl: SslUse,
    /// `check-ssl`.
    pub check_ssl: bool,
    /// Versions, `alpn`, `ciphers`, `ciphersuites`, `verify`, `ca-file`,
    /// `crl-file`.
    pub conf: SslConf,
    /// `tls-tickets` (true) / `no-tls-tickets` (false); `None`: the
    /// `ssl-default-server-options` say.
    pub tickets: Option<bool>,
    /// `crt`, after `crt-base` joining.
    pub crt: Option<String>,
    pub sni: Option<SniExpr>,
    pub verifyhost: Option<String>,
    /// `no-ssl-reuse`.
    pub no_reuse: bool,
    pub check_sni: Option<String>,
    pub check_alpn: Option<Vec<Vec<u8>>>,
}

impl ServerSsl {
    /// TLS settings are prepared for this server at startup (and their
    /// errors reported): for traffic, or for checks.
    pub fn prepared(&self) -> bool {
        self.use_ssl != SslUse::Off || self.check_ssl
    }
}

/// What an error or a warning names: the server and its proxy.
pub struct Who<'a> {
    /// `backend 'b'` (or `listen 'l'`).
    pub proxy: &'a str,
    pub server: &'a str,
}

/// A server's TLS, ready for connections.
pub struct ServerTls {
    /// For traffic.
    pub config: Arc<ClientConfig>,
    /// For health checks (`check-alpn` may differ).
    pub check_config: Arc<ClientConfig>,
    pub sni: Option<Expr>,
    /// `check-sni`, when a valid host name.
    pub check_name: Option<ServerName<'static>>,
    /// Traffic goes over TLS.
    pub traffic: bool,
    /// `verify required`: names are checked.
    pub verify: bool,
    /// Health checks go over TLS.
    pub checks: bool,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls")
            .field("traffic", &self.traffic)
            .field("checks", &self.checks)
            .finish_non_exhaustive()
    }
}

/// A built server TLS shared by the configuration and the runtime; equal
/// only to itself.
#[derive(Clone, Debug)]
pub struct ServerTlsHandle(pub Arc<ServerTls>);

impl PartialEq for ServerTlsHandle {
    fn eq(&self, o: &ServerTlsHandle) -> bool {
        Arc::ptr_eq(&self.0, &o.0)
    }
}
impl Eq for ServerTlsHandle {}

/// The same client certificate whatever the server asks for.
#[derive(Debug)]
struct OneClientCert(Arc<CertifiedKey>);

impl ResolvesClientCert for OneClientCert {
    fn resolve(&self, _: &[&[u8]], _: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(self.0.clone())
    }
    fn has_certs(&self) -> bool {
        true
    }
}

/// Builds a server's TLS. `checks_elsewhere`: the server's `port` or
/// `addr` sends checks elsewhere (no TLS for them without `check-ssl`).
/// Errors and warnings are 2.6's texts after the `'server <px>/<name>'`
/// prefix.
pub fn build(
    ssl: &ServerSsl,
    global: &GlobalSsl,
    who: &Who<'_>,
    checks_elsewhere: bool,
    warnings: &mut Vec<String>,
) -> Result<ServerTls, String> {
    let conf = ssl.conf.over(&global.server);
    let provider = Arc::new(provider_for(&conf, warnings).map_err(cipher_error(&conf))?);
    let versions = server_versions(&ssl.conf.versions, &global.server.versions, who, warnings)?;
    let verifier = verifier(ssl, &conf, global, provider.clone())?;
    let builder = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&versions)
        .map_err(|e| format!("no usable TLS version or cipher: {e}."))?
        .dangerous()
        .with_custom_certificate_verifier(verifier);
    let mut cfg = match &ssl.crt {
        Some(crt) => {
            let cert = crate::tls::certs::load_pem(std::path::Path::new(crt))?;
            builder.with_client_cert_resolver(Arc::new(OneClientCert(cert.key)))
        }
        None => builder.with_no_client_auth(),
    };
    cfg.alpn_protocols = conf.alpn.clone().unwrap_or_default();
    let tickets = ssl.tickets.unwrap_or(!global.server.no_tls_tickets);
    cfg.resumption = if ssl.no_reuse {
        Resumption::disabled()
    } else {
        Resumption::store(Arc::new(ClientSessionMemoryCache::new(SESSIONS_PER_SERVER)))
            .tls12_resumption(if tickets {
                Tls12Resumption::SessionIdOrTickets
            } else {
                Tls12Resumption::SessionIdOnly
            })
    };
    let config = Arc::new(cfg);
    let check_config = match &ssl.check_alpn {
        Some(alpn) if *alpn != config.alpn_protocols => {
            let mut c = (*config).clone();
            c.alpn_protocols = alpn.clone();
            Arc::new(c)
        }
        _ => config.clone(),
    };
    Ok(ServerTls {
        config,
        check_config,
        sni: ssl.sni.as_ref().map(|s| s.expr.clone()),
        check_name: ssl.check_sni.as_deref().and_then(dns_name),
        traffic: ssl.use_ssl == SslUse::On,
        verify: effective_verify(ssl, global) == Verify::Required,
        checks: ssl.check_ssl || (ssl.use_ssl == SslUse::On && !checks_elsewhere),
    })
}

/// 2.6's words for cipher strings it would refuse too; our own for those
/// only rustls lacks.
fn cipher_error(conf: &SslConf) -> impl Fn(String) -> String + '_ {
    move |e: String| {
        if e.contains("rustls") || e.contains("SECLEVEL") {
            return e;
        }
        if e.starts_with("'ciphersuites'") {
            let s = conf.ciphersuites.as_deref().unwrap_or("");
            format!("unable to set TLS 1.3 cipher suites to '{s}'.")
        } else {
            let s = conf.ciphers.as_deref().unwrap_or("");
            format!("unable to set SSL cipher list to '{s}'.")
        }
    }
}

/// The server certificate policy: `verify` on the line, else the global
/// `ssl-server-verify`.
fn verifier(
    ssl: &ServerSsl,
    conf: &SslConf,
    global: &GlobalSsl,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Result<Arc<dyn ServerCertVerifier>, String> {
    if effective_verify(ssl, global) == Verify::None {
        return Ok(Arc::new(AcceptAny(provider)));
    }
    let Some(ca) = &conf.ca_file else {
        return Err(if global.server_verify_none {
            "verify is enabled but no CA file specified.".to_string()
        } else {
            "verify is enabled by default but no CA file specified. If you're running on a LAN where you're certain to trust the server's certificate, please set an explicit 'verify none' statement on the 'server' line, or use 'ssl-server-verify none' in the global section to disable server-side verifications by default.".to_string()
        });
    };
    let req = Required::new(
        &system_ca(ca),
        conf.crl_file.as_deref(),
        ssl.verifyhost.clone(),
        provider,
    )?;
    Ok(Arc::new(req))
}

/// `verify` on the line, else what `ssl-server-verify` says.
fn effective_verify(ssl: &ServerSsl, global: &GlobalSsl) -> Verify {
    ssl.conf.verify.unwrap_or(if global.server_verify_none {
        Verify::None
    } else {
        Verify::Required
    })
}

/// `ca-file @system-ca`: the system's trust store (`SSL_CERT_DIR` when
/// set, as OpenSSL reads it).
pub fn system_ca(ca: &str) -> String {
    if ca != "@system-ca" {
        return ca.to_string();
    }
    std::env::var("SSL_CERT_DIR").unwrap_or_else(|_| "/etc/ssl/certs".to_string())
}

/// The versions a server may use, with 2.6's warnings and errors.
fn server_versions(
    line: &VersionRange,
    base: &VersionRange,
    who: &Who<'_>,
    warnings: &mut Vec<String>,
) -> Result<Vec<&'static rustls::SupportedProtocolVersion>, String> {
    let v = line.with_defaults(base);
    let mut no = v.disabled();
    if (v.min.is_some() || v.max.is_some()) && !no.is_empty() {
        warnings.push(
            "no-sslv3/no-tlsv1x are ignored for this server. Use only 'ssl-min-ver' and 'ssl-max-ver' to fix."
                .to_string(),
        );
        no.clear();
    }
    // 2.6 counts from SSLv3 when no minimum is set (servers have no
    // TLSv1.2 floor); its TLS library has no SSLv3 though (`force-sslv3`
    // leaves nothing).
    let lo = v.min.unwrap_or(TlsVersion::Sslv3);
    let hi = v.max.unwrap_or(TlsVersion::Tlsv13);
    let on: Vec<TlsVersion> = TlsVersion::ALL
        .into_iter()
        .filter(|x| *x != TlsVersion::Sslv3 && *x >= lo && *x <= hi && !no.contains(x))
        .collect();
    let (Some(&first), Some(&last)) = (on.first(), on.last()) else {
        return Err(format!(
            "{}: all SSL/TLS versions are disabled for server '{}'.",
            who.proxy, who.server
        ));
    };
    if let Some(hole) = TlsVersion::ALL
        .into_iter()
        .find(|x| *x > first && *x < last && !on.contains(x))
    {
        warnings.push(format!(
            "{}: SSL/TLS versions range not contiguous for server '{}'. Hole find for {}. Use only 'ssl-min-ver' and 'ssl-max-ver' to fix.",
            who.proxy, who.server, hole.as_str()
        ));
    }
    let out: Vec<_> = on.iter().rev().filter_map(|x| x.rustls()).collect();
    if out.is_empty() {
        return Err(format!(
            "{}: server '{}' would only use versions older than TLSv1.2, which this proxy does not implement.",
            who.proxy, who.server
        ));
    }
    Ok(out)
}

/// A host name for SNI, or `None` when `name` cannot be one (empty, an
/// address, a `host:port`).
pub fn dns_name(name: &str) -> Option<ServerName<'static>> {
    if name.is_empty() || name.parse::<IpAddr>().is_ok() {
        return None;
    }
    DnsName::try_from(name.to_string())
        .ok()
        .map(ServerName::DnsName)
}

/// The SNI an `sni` expression gives on a stream (`None`: absent or
/// empty).
pub fn eval_sni(expr: &Expr, view: &dyn RequestView) -> Option<String> {
    let text = expr.eval(view)?.into_text()?;
    (!text.is_empty()).then(|| String::from_utf8_lossy(&text).into_owned())
}

/// What a connection tells the server its name is: the SNI when there is
/// a usable one, else the address (rustls then sends no SNI, and keeps
/// resumable sessions under the address).
pub fn server_name(sni: Option<&str>, ip: IpAddr) -> ServerName<'static> {
    sni.and_then(dns_name)
        .unwrap_or(ServerName::IpAddress(ip.into()))
}

/// The handshake of a traffic connection to a server with `tls`, sending
/// `sni`. 2.6 sends any SNI value as it is and, with `verify required`,
/// checks the certificate against it; rustls sends no SNI that is not a
/// host name (`a.test:8443`, an address), so for those the check is made
/// here once the handshake is done: a value no certificate name can be
/// fails as it fails in 2.6.
pub async fn connect_tls(
    sock: TcpStream,
    tls: &ServerTls,
    sni: Option<&str>,
    ip: IpAddr,
) -> io::Result<TlsStream> {
    let stream = handshake(sock, tls.config.clone(), server_name(sni, ip)).await?;
    let raw = sni.filter(|v| tls.verify && !v.is_empty() && dns_name(v).is_none());
    if let Some(raw) = raw {
        let leaf_ok = stream.with_conn(|c| {
            c.peer_certificates()
                .and_then(|chain| chain.first())
                .is_some_and(|leaf| crate::tls::srv_verify::cert_matches(leaf, raw))
        });
        if leaf_ok != Some(true) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the certificate is not valid for the SNI '{raw}'"),
            ));
        }
    }
    Ok(stream)
}

/// Runs the client side of a handshake on a connected socket.
pub async fn handshake(
    sock: TcpStream,
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
) -> io::Result<TlsStream> {
    let stream = tokio_rustls::TlsConnector::from(config)
        .connect(name, sock)
        .await?;
    let (sock, conn) = stream.into_inner();
    Ok(TlsStream::new(sock, conn))
}

/// A server's TLS as its backend's traffic uses it.
#[derive(Clone, Debug)]
pub struct TrafficTls {
    pub tls: Arc<ServerTls>,
    /// Which of the backend's `sni` expressions gives this server's SNI.
    pub sni_slot: Option<usize>,
}

/// Evaluates a backend's `sni` expressions on a stream, in order (nothing
/// to do, and no cost, when it has none).
pub fn eval_snis(exprs: &[Expr], view: &dyn RequestView) -> Vec<Option<String>> {
    exprs.iter().map(|e| eval_sni(e, view)).collect()
}

/// TLS for a server's health checks.
#[derive(Clone, Debug)]
pub struct CheckTls {
    pub config: Arc<ClientConfig>,
    /// `check-sni`; without it no SNI is sent.
    pub name: Option<ServerName<'static>>,
}

impl ServerTls {
    /// What checks need, when they go over TLS.
    pub fn check_tls(&self) -> Option<CheckTls> {
        self.checks.then(|| CheckTls {
            config: self.check_config.clone(),
            name: self.check_name.clone(),
        })
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
