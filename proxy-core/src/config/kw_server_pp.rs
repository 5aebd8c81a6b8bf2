//! The PROXY protocol options of `server` and `default-server`:
//! `send-proxy`, `send-proxy-v2`, `send-proxy-v2-ssl`,
//! `send-proxy-v2-ssl-cn`, `proxy-v2-options <list>`, `check-send-proxy`
//! and their `no-` forms.

use super::kw_server::SrvOpt;
use super::model::ServerConfig;
use crate::proxy_proto::opts::ServerPp;

/// The keywords handled here.
pub(super) const PP_KEYWORDS: &[&str] = &[
    "send-proxy",
    "send-proxy-v2",
    "send-proxy-v2-ssl",
    "send-proxy-v2-ssl-cn",
    "proxy-v2-options",
    "check-send-proxy",
    "no-send-proxy",
    "no-send-proxy-v2",
    "no-send-proxy-v2-ssl",
    "no-send-proxy-v2-ssl-cn",
    "no-check-send-proxy",
];

/// Applies a PROXY protocol option; `None` when `opt` is not one, else
/// how many words it took.
pub(super) fn pp_option(srv: &mut ServerConfig, opt: &SrvOpt<'_>) -> Result<Option<usize>, String> {
    let pp = &mut srv.send_proxy.0;
    let v2_ssl = ServerPp::V2 | ServerPp::SSL;
    match opt.kw {
        "send-proxy" => *pp |= ServerPp::V1,
        "send-proxy-v2" => *pp |= ServerPp::V2,
        "send-proxy-v2-ssl" => *pp |= v2_ssl,
        "send-proxy-v2-ssl-cn" => *pp |= v2_ssl | ServerPp::SSL_CN,
        "no-send-proxy" => *pp &= !ServerPp::V1,
        "no-send-proxy-v2" => *pp &= !ServerPp::V2,
        "no-send-proxy-v2-ssl" => *pp &= !v2_ssl,
        "no-send-proxy-v2-ssl-cn" => *pp &= !(v2_ssl | ServerPp::SSL_CN),
        "check-send-proxy" => srv.hc.send_proxy = true,
        "no-check-send-proxy" => srv.hc.send_proxy = false,
        "proxy-v2-options" => {
            for word in opt.value.unwrap_or("").split(',') {
                let flags = ServerPp::option(word).ok_or_else(|| {
                    format!("{} : '{word}' : proxy v2 option not implemented.", opt.who)
                })?;
                *pp |= flags;
            }
            return Ok(Some(2));
        }
        _ => return Ok(None),
    }
    Ok(Some(1))
}

#[cfg(test)]
mod tests {
    use super::super::parser::testing::{error, ok};
    use super::*;

    fn server(opts: &str) -> ServerConfig {
        ok(&format!("backend b\n server s 127.0.0.1:1 {opts}\n")).proxies[0].servers[0].clone()
    }

    #[test]
    fn flags() {
        assert_eq!(server("send-proxy").send_proxy.0, ServerPp::V1);
        assert_eq!(server("send-proxy-v2-ssl-cn").send_proxy.0, 0x0e);
        let s = server("send-proxy-v2 proxy-v2-options crc32c,cert-sig,unique-id");
        assert_eq!(s.send_proxy.0, 0x0002 | 0x0100 | 0x0024 | 0x0200);
        assert_eq!(server("send-proxy no-send-proxy").send_proxy.0, 0);
        assert!(server("check-send-proxy").hc.send_proxy);
        assert!(
            error("backend b\n server s 127.0.0.1:1 proxy-v2-options ssl,,crc32c\n")
                .ends_with("'server b/s' : '' : proxy v2 option not implemented.")
        );
        let d = ok("backend b\n default-server send-proxy-v2\n server s 127.0.0.1:1\n");
        assert!(d.proxies[0].servers[0].send_proxy.enabled());
    }
}
