//! The layer-5 TLS fetches against a mock request with TLS facts: what
//! each gives with and without TLS and a client certificate, their types
//! and where they may be used. Expected values are what HAProxy 2.6.12
//! gave for the same connections (see `tests/tests/tls_observe.rs` for
//! the comparison with the binary).

use rustls::{CipherSuite, ProtocolVersion};
use rustls_pki_types::CertificateDer;

use super::expr::{Expr, NoFiles};
use super::fetch::{parse_fetch, FetchError, Usage};
use super::format::LogFormat;
use super::tests::Req;
use super::{RequestView, StreamInfo};
use crate::sample::SmpType;
use crate::tls::info::TlsInfo;
use crate::tls::verify::VerifyErr;

/// A request over connections with these TLS facts.
struct Tls {
    req: Req,
    front: Option<TlsInfo>,
    back: Option<TlsInfo>,
}

impl StreamInfo for Tls {
    fn tls(&self, back: bool) -> Option<&TlsInfo> {
        if back {
            self.back.as_ref()
        } else {
            self.front.as_ref()
        }
    }
}

impl RequestView for Tls {
    fn method(&self) -> &[u8] {
        self.req.method()
    }
    fn uri(&self) -> &[u8] {
        self.req.uri()
    }
    fn path(&self) -> &[u8] {
        self.req.path()
    }
    fn version(&self) -> (u8, u8) {
        self.req.version()
    }
    fn for_each_header<'a>(
        &'a self,
        f: &mut dyn FnMut(&'a [u8], &'a [u8]) -> std::ops::ControlFlow<()>,
    ) {
        self.req.for_each_header(f)
    }
    fn src(&self) -> Option<std::net::SocketAddr> {
        self.req.src()
    }
    fn dst(&self) -> Option<std::net::SocketAddr> {
        self.req.dst()
    }
    fn nbsrv(&self, b: Option<&str>) -> u32 {
        self.req.nbsrv(b)
    }
    fn stream(&self) -> Option<&dyn StreamInfo> {
        Some(self)
    }
}

fn tls13() -> TlsInfo {
    TlsInfo {
        sni: Some("www.example.com".into()),
        version: Some(ProtocolVersion::TLSv1_3),
        suite: Some(CipherSuite::TLS13_AES_256_GCM_SHA384),
        alpn: Some(b"http/1.1".to_vec()),
        ..TlsInfo::default()
    }
}

/// `%[...]` items of a header value rendered on `view`.
fn show(fmt: &str, view: &dyn RequestView) -> String {
    let f = LogFormat::parse(fmt).unwrap_or_else(|e| panic!("{fmt}: {e}"));
    String::from_utf8(f.render(view)).unwrap()
}

const ALL: &str = "%[ssl_fc]|%[ssl_fc_has_sni]|%[ssl_fc_sni]|%[ssl_fc_protocol]|\
    %[ssl_fc_cipher]|%[ssl_fc_alpn]|%[ssl_fc_is_resumed]|%[ssl_fc_use_keysize]|\
    %[ssl_fc_alg_keysize]|%[ssl_fc_has_crt]|%[ssl_c_used]|%[ssl_c_verify]|%[ssl_c_err]|\
    %[ssl_c_s_dn]|%[ssl_bc]|%[ssl_bc_protocol]|%[fc_err]|%sslv|%sslc";

#[test]
fn plain_tls_and_resumed_connections() {
    let plain = Tls {
        req: Req::get("/"),
        front: None,
        back: None,
    };
    assert_eq!(show(ALL, &plain), "0|0|||||0||||||||0||0||");
    let tls = Tls {
        front: Some(tls13()),
        ..plain
    };
    assert_eq!(
        show(ALL, &tls),
        "1|1|www.example.com|TLSv1.3|TLS_AES_256_GCM_SHA384|http/1.1|0|256|256|0|0|0|0||0||0|\
         TLSv1.3|TLS_AES_256_GCM_SHA384"
    );
    let sni = super::tests::cond("if { ssl_fc_sni_end .example.com } { ssl_fc_sni_reg ^www }");
    assert!(sni.eval(&tls));
    assert!(parse_fetch("ssl_fc_sni_beg", true).is_err());
    // A resumed session keeps its certificate but verified none now.
    let resumed = Tls {
        front: Some(TlsInfo {
            resumed: true,
            sni: None,
            peer_certs: vec![CertificateDer::from(vec![0x30, 0])],
            verify_err: VerifyErr {
                first: 20,
                last: 21,
            },
            ..tls13()
        }),
        back: Some(TlsInfo {
            version: Some(ProtocolVersion::TLSv1_2),
            ..TlsInfo::default()
        }),
        ..tls
    };
    assert_eq!(
        show(
            "%[ssl_fc_has_sni] %[ssl_fc_is_resumed] %[ssl_fc_has_crt] %[ssl_c_used] \
             %[ssl_c_verify] %[ssl_c_err] %[ssl_c_ca_err] %[ssl_bc] %[ssl_bc_protocol]",
            &resumed
        ),
        "0 1 0 1 21 20 0 1 TLSv1.2"
    );
    let redirect = super::tests::cond("unless { ssl_fc }");
    assert!(!redirect.eval(&resumed));
}

#[test]
fn keywords_types_and_usages() {
    let t = |w: &str| {
        let p = parse_fetch(w, false).unwrap_or_else(|e| panic!("{w}: {e:?}"));
        (p.fetch.sample_type(), p.fetch.usage())
    };
    assert_eq!(t("ssl_fc"), (SmpType::Bool, Usage::Session));
    assert_eq!(t("ssl_c_verify"), (SmpType::Int, Usage::Session));
    assert_eq!(
        t("ssl_c_s_dn(OU,-1,rfc2253)"),
        (SmpType::Str, Usage::Session)
    );
    assert_eq!(t("ssl_c_serial"), (SmpType::Bin, Usage::Session));
    assert_eq!(t("ssl_bc_alpn"), (SmpType::Str, Usage::Server));
    assert_eq!(t("fc_err"), (SmpType::Int, Usage::Any));
    // 2.6 has no ssl_fc_session_reused (it is ssl_fc_is_resumed).
    assert!(matches!(
        parse_fetch("ssl_fc_session_reused", false),
        Err(FetchError::Unknown(_))
    ));
    let err = |w: &str| match Expr::parse(w, false, &mut NoFiles) {
        Err(e) => e.describe(),
        Ok(_) => panic!("{w} parsed"),
    };
    assert_eq!(
        err("ssl_c_s_dn(OU,a)"),
        "fetch method 'ssl_c_s_dn' : failed to parse 'a' as type 'integer' at position 2"
    );
    assert_eq!(
        err("ssl_c_s_dn(OU,1,foo)"),
        "invalid args in fetch method 'ssl_c_s_dn' : only rfc2253 or a blank value are \
         currently supported as the format argument."
    );
    assert!(Usage::Session.fits(Usage::Request) && !Usage::Session.fits(Usage::Any));
    assert!(Usage::Server.fits(Usage::Response) && !Usage::Server.fits(Usage::Request));
}
