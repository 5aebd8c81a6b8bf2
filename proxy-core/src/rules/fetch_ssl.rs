//! The layer-5 fetches: what the TLS layer of the client connection
//! (`ssl_fc*`, `ssl_c_*`) or of the server connection (`ssl_bc*`) says,
//! as HAProxy 2.6 gives it (checked with the binary).
//!
//! On a connection without TLS, `ssl_fc`/`ssl_bc`, `ssl_fc_has_sni` and
//! `ssl_fc_is_resumed` say false and every other fetch finds nothing. On
//! TLS without a client certificate, `ssl_c_used`/`ssl_fc_has_crt` are
//! false, the error codes 0, and the certificate's fields find nothing.
//! A resumed session still has the certificate of its first handshake
//! (`ssl_c_used` and the fields), but `ssl_fc_has_crt` is false.
//!
//! Client-side fetches exist from `tcp-request session` on (the
//! handshake comes after `tcp-request connection`); server-side ones in
//! response rules and logs only.

use super::fetch::{Fetch, Usage, INVALID};
use super::fetch_table::{Arity, MakeFetch};
use crate::sample::{SmpType, Value};
use crate::tls::certfields::{self, DnSel};
use crate::tls::info::TlsInfo;

/// What a TLS fetch reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SslWhat {
    /// `ssl_fc`, `ssl_bc`: the connection is TLS.
    Is,
    HasSni,
    Sni,
    Protocol,
    Cipher,
    Alpn,
    IsResumed,
    UseKeysize,
    AlgKeysize,
    /// `ssl_fc_err`, `ssl_bc_err`: an established connection has none.
    Err,
    HasCrt,
    CUsed,
    /// `ssl_c_verify`: the verification's result; `ssl_c_err`: the
    /// first error met; 0 when verified.
    CVerify,
    CErr,
    /// `ssl_c_ca_err`, `ssl_c_ca_err_depth`: rustls does not say at which
    /// depth a chain failed; errors count as the leaf's, so these are 0.
    CCaErr,
    CCaErrDepth,
    CVersion,
    CDn {
        issuer: bool,
        sel: DnSel,
    },
    CSerial,
    CNotAfter,
    CNotBefore,
    CDer,
    CSha1,
}

/// A TLS fetch: the connection (`back`: the server's) and what of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SslFetch {
    pub back: bool,
    pub what: SslWhat,
}

const NONE: Arity = (0, 0);

fn fc(what: SslWhat) -> Result<Fetch, String> {
    Ok(Fetch::Ssl(Box::new(SslFetch { back: false, what })))
}

fn bc(what: SslWhat) -> Result<Fetch, String> {
    Ok(Fetch::Ssl(Box::new(SslFetch { back: true, what })))
}

/// The TLS fetch names: name, arity, builder.
pub(super) const SSL: &[(&str, Arity, MakeFetch)] = &[
    ("ssl_fc", NONE, |_, _| fc(SslWhat::Is)),
    ("ssl_fc_has_sni", NONE, |_, _| fc(SslWhat::HasSni)),
    ("ssl_fc_sni", NONE, |_, _| fc(SslWhat::Sni)),
    ("ssl_fc_protocol", NONE, |_, _| fc(SslWhat::Protocol)),
    ("ssl_fc_cipher", NONE, |_, _| fc(SslWhat::Cipher)),
    ("ssl_fc_alpn", NONE, |_, _| fc(SslWhat::Alpn)),
    ("ssl_fc_is_resumed", NONE, |_, _| fc(SslWhat::IsResumed)),
    ("ssl_fc_use_keysize", NONE, |_, _| fc(SslWhat::UseKeysize)),
    ("ssl_fc_alg_keysize", NONE, |_, _| fc(SslWhat::AlgKeysize)),
    ("ssl_fc_err", NONE, |_, _| fc(SslWhat::Err)),
    ("ssl_fc_has_crt", NONE, |_, _| fc(SslWhat::HasCrt)),
    ("ssl_c_used", NONE, |_, _| fc(SslWhat::CUsed)),
    ("ssl_c_verify", NONE, |_, _| fc(SslWhat::CVerify)),
    ("ssl_c_err", NONE, |_, _| fc(SslWhat::CErr)),
    ("ssl_c_ca_err", NONE, |_, _| fc(SslWhat::CCaErr)),
    ("ssl_c_ca_err_depth", NONE, |_, _| fc(SslWhat::CCaErrDepth)),
    ("ssl_c_version", NONE, |_, _| fc(SslWhat::CVersion)),
    ("ssl_c_s_dn", (0, 3), |_, a| dn(false, a)),
    ("ssl_c_i_dn", (0, 3), |_, a| dn(true, a)),
    ("ssl_c_serial", NONE, |_, _| fc(SslWhat::CSerial)),
    ("ssl_c_notafter", NONE, |_, _| fc(SslWhat::CNotAfter)),
    ("ssl_c_notbefore", NONE, |_, _| fc(SslWhat::CNotBefore)),
    ("ssl_c_der", NONE, |_, _| fc(SslWhat::CDer)),
    ("ssl_c_sha1", NONE, |_, _| fc(SslWhat::CSha1)),
    ("ssl_bc", NONE, |_, _| bc(SslWhat::Is)),
    ("ssl_bc_protocol", NONE, |_, _| bc(SslWhat::Protocol)),
    ("ssl_bc_cipher", NONE, |_, _| bc(SslWhat::Cipher)),
    ("ssl_bc_alpn", NONE, |_, _| bc(SslWhat::Alpn)),
    ("ssl_bc_is_resumed", NONE, |_, _| bc(SslWhat::IsResumed)),
    ("ssl_bc_use_keysize", NONE, |_, _| bc(SslWhat::UseKeysize)),
    ("ssl_bc_alg_keysize", NONE, |_, _| bc(SslWhat::AlgKeysize)),
    ("ssl_bc_err", NONE, |_, _| bc(SslWhat::Err)),
];

/// `ssl_c_s_dn([<entry>[,<occ>[,<format>]]])` and `ssl_c_i_dn`.
fn dn(issuer: bool, a: &[String]) -> Result<Fetch, String> {
    let occ = match a.get(1).map(|s| s.trim()).filter(|s| !s.is_empty()) {
        None => 1,
        Some(w) => crate::sample::args::parse_int(w)
            .ok_or_else(|| format!("failed to parse '{w}' as type 'integer' at position 2"))?,
    };
    let ldap = match a.get(2).map(String::as_str) {
        None | Some("") => false,
        Some("rfc2253") => true,
        Some(_) => {
            return Err(format!(
                "{INVALID}only rfc2253 or a blank value are currently supported as the format \
                 argument."
            ))
        }
    };
    let sel = DnSel {
        entry: a.first().filter(|e| !e.is_empty()).cloned(),
        occ,
        ldap,
    };
    fc(SslWhat::CDn { issuer, sel })
}

impl SslFetch {
    /// The type of the values it gives.
    pub fn sample_type(&self) -> SmpType {
        use SslWhat::*;
        match self.what {
            Is | HasSni | IsResumed | HasCrt | CUsed => SmpType::Bool,
            UseKeysize | AlgKeysize | Err | CVerify | CErr | CCaErr | CCaErrDepth | CVersion => {
                SmpType::Int
            }
            Sni | Protocol | Cipher | Alpn | CDn { .. } | CNotAfter | CNotBefore => SmpType::Str,
            CSerial | CDer | CSha1 => SmpType::Bin,
        }
    }

    /// Client-side facts exist once the session does; server-side ones
    /// once a server answers.
    pub fn usage(&self) -> Usage {
        if self.back {
            Usage::Server
        } else {
            Usage::Session
        }
    }

    /// The value for the connection whose TLS facts are `info` (`None`:
    /// not TLS, or no such connection).
    pub fn eval(&self, info: Option<&TlsInfo>) -> Option<Value<'static>> {
        use SslWhat::*;
        let Some(i) = info else {
            return matches!(self.what, Is | HasSni | IsResumed).then_some(Value::Bool(false));
        };
        let text = |s: &str| Value::owned_str(s.as_bytes().to_vec());
        let int = |n: u32| Value::Int(i64::from(n));
        let leaf = || i.leaf().map(|c| c.as_ref());
        match &self.what {
            Is => Some(Value::Bool(true)),
            HasSni => Some(Value::Bool(i.sni.is_some())),
            Sni => i.sni.as_deref().map(text),
            Protocol => i.protocol().map(text),
            Cipher => i.cipher().map(|s| text(s.name)),
            Alpn => i.alpn.clone().map(Value::owned_str),
            IsResumed => Some(Value::Bool(i.resumed)),
            UseKeysize => i.cipher().map(|s| int(s.use_bits)),
            AlgKeysize => i.cipher().map(|s| int(s.alg_bits)),
            Err | CCaErr | CCaErrDepth => Some(Value::Int(0)),
            HasCrt => Some(Value::Bool(i.has_crt())),
            CUsed => Some(Value::Bool(i.leaf().is_some())),
            CVerify => Some(int(i.verify_err.last)),
            CErr => Some(int(i.verify_err.first)),
            CVersion => certfields::version(leaf()?).map(Value::Int),
            CDn { issuer, sel } => certfields::dn(leaf()?, *issuer, sel).map(Value::owned_str),
            CSerial => certfields::serial(leaf()?).map(Value::bin),
            CNotAfter => certfields::validity(leaf()?, true).map(|s| text(&s)),
            CNotBefore => certfields::validity(leaf()?, false).map(|s| text(&s)),
            CDer => leaf().map(|d| Value::bin(d.to_vec())),
            CSha1 => leaf().map(|d| Value::bin(certfields::sha1(d))),
        }
    }
}
