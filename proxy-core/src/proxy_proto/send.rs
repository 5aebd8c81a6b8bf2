//! The PROXY header a server connection starts with (`send-proxy`,
//! `send-proxy-v2`, `proxy-v2-options`), built as HAProxy 2.6 builds it:
//! the client's addresses as the stream holds them (what `accept-proxy`
//! received, what `set-src`/`set-dst` wrote), then the TLVs asked for.

use std::net::SocketAddr;

use super::decode::Header;
use super::encode::{encode_v1, encode_v2, push_tlv, V2Options};
use crate::proxy_proto::opts::ServerPp;
use crate::tls::certfields::{self, DnSel};
use crate::tls::info::TlsInfo;

/// What the header tells about the client side of a stream.
#[derive(Clone, Copy, Debug, Default)]
pub struct PpFacts<'a> {
    pub src: Option<SocketAddr>,
    pub dst: Option<SocketAddr>,
    /// The header the client connection arrived with (its authority TLV
    /// is forwarded).
    pub received: Option<&'a Header>,
    /// The client connection's TLS, when it is TLS.
    pub tls: Option<&'a TlsInfo>,
    /// The stream's unique id (`unique-id-format`); `None` without a
    /// stream.
    pub unique_id: Option<&'a [u8]>,
}

/// The SSL TLV's client flags (PP2_CLIENT_*).
const CLIENT_SSL: u8 = 0x01;
const CLIENT_CERT_CONN: u8 = 0x02;
const CLIENT_CERT_SESS: u8 = 0x04;
/// Its sub-TLV types (PP2_SUBTYPE_SSL_*).
const SUB_VERSION: u8 = 0x21;
const SUB_CN: u8 = 0x22;
const SUB_CIPHER: u8 = 0x23;

/// The header for a server with options `pp`, `None` when it takes none.
pub fn header(pp: ServerPp, f: &PpFacts<'_>) -> Option<Vec<u8>> {
    if !pp.enabled() {
        return None;
    }
    if !pp.has(ServerPp::V2) {
        return Some(encode_v1(f.src, f.dst));
    }
    let authority = pp
        .has(ServerPp::AUTHORITY)
        .then(|| {
            f.received
                .and_then(Header::authority)
                .map(<[u8]>::to_vec)
                .or_else(|| f.tls.and_then(|t| t.sni.clone()).map(String::into_bytes))
        })
        .flatten();
    let opts = V2Options {
        local: false,
        crc32c: pp.has(ServerPp::CRC32C),
        alpn: f.tls.and_then(|t| t.alpn.clone()),
        authority,
        unique_id: pp
            .has(ServerPp::UNIQUE_ID)
            .then(|| f.unique_id.map(<[u8]>::to_vec))
            .flatten(),
        ssl: pp.has(ServerPp::SSL).then(|| ssl_tlv(pp, f.tls)),
    };
    Some(encode_v2(f.src, f.dst, &opts))
}

/// The header a health check sends: a v1 line with the check
/// connection's own ends, or a v2 LOCAL block (HAProxy's checks speak
/// for themselves), with the CRC32C and an empty SSL TLV when asked.
pub fn check_header(pp: ServerPp, local: Option<SocketAddr>, peer: Option<SocketAddr>) -> Vec<u8> {
    if !pp.has(ServerPp::V2) {
        return encode_v1(local, peer);
    }
    let opts = V2Options {
        local: true,
        crc32c: pp.has(ServerPp::CRC32C),
        ssl: pp.has(ServerPp::SSL).then(|| ssl_tlv(pp, None)),
        ..V2Options::default()
    };
    encode_v2(local, peer, &opts)
}

/// The SSL TLV's value: client flags, the verify result, then the
/// version, the client certificate's CN and the cipher when asked for
/// (nothing but zeros for a client without TLS).
fn ssl_tlv(pp: ServerPp, tls: Option<&TlsInfo>) -> Vec<u8> {
    let mut v = vec![0u8; 5];
    let Some(t) = tls else {
        return v;
    };
    v[0] |= CLIENT_SSL;
    if let Some(p) = t.protocol() {
        push_tlv(&mut v, SUB_VERSION, p.as_bytes());
    }
    if !t.peer_certs.is_empty() {
        v[0] |= CLIENT_CERT_SESS;
        let verify = t.verify_err.last;
        v[1..5].copy_from_slice(&verify.to_be_bytes());
        if !t.resumed {
            v[0] |= CLIENT_CERT_CONN;
        }
    }
    if pp.has(ServerPp::SSL_CN) {
        let cn = DnSel {
            entry: Some("CN".into()),
            occ: 1,
            ldap: false,
        };
        if let Some(name) = t.leaf().and_then(|l| certfields::dn(l, false, &cn)) {
            push_tlv(&mut v, SUB_CN, &name);
        }
    }
    if pp.has(ServerPp::CIPHER) {
        if let Some(c) = t.cipher() {
            push_tlv(&mut v, SUB_CIPHER, c.name.as_bytes());
        }
    }
    v
}
