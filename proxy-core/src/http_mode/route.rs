//! Where a request goes besides a server of its backend: `option
//! http_proxy` (the destination from the absolute URI), tunnels after a
//! 101 or a CONNECT, and the `stats uri` page.

use std::net::SocketAddr;

use super::local::{client_transport, error_page, local_failure};
use super::request::View;
use super::TxnLog;
use crate::http::{Failure, RequestHead};
use crate::log::termination::{ErrCause, FinState};
use crate::state::{Proxy, State};
use crate::stream::forward::{forward, FwdEnd, SideTimeouts, Totals};
use crate::stream::recvbuf::{write_all, RecvBuf};
use crate::stream::{sess_flags, AllocConnError, Stream};

/// Reads the destination of `option http_proxy` out of the request URI
/// into a newly allocated server-side connection. `Some(keep)` when the
/// transaction ends here (500 `RR` when no connection can be allocated, or
/// a 400 for a URI without an address).
pub(super) async fn http_proxy_address(
    fe: &Proxy,
    be: Option<&Proxy>,
    st: &State,
    s: &mut Stream,
    cbuf: &RecvBuf,
    head: &RequestHead,
    log: &mut TxnLog,
) -> Option<bool> {
    let Some(addr) = proxy_target(cbuf.data(), head).await else {
        return Some(
            local_failure(s, log, Failure::BadRequestHead(crate::http::HeadError::Uri)).await,
        );
    };
    match s.si[1].alloc_conn(&st.pools.connection) {
        Ok(c) => {
            c.to = Some(addr);
            s.flags |= sess_flags::ADDR_SET;
            None
        }
        Err(AllocConnError::AppletHolds | AllocConnError::Resource(_)) => {
            (log.err, log.finst) = (ErrCause::Resource, FinState::R);
            log.status = 500;
            let msg = error_page(fe, be, 500, None);
            log.bytes_out = msg.logged;
            let _ = write_all(client_transport(s), &msg.bytes).await;
            Some(false)
        }
    }
}

/// The `host[:port]` of an absolute-form request target, resolved.
async fn proxy_target(buf: &[u8], head: &RequestHead) -> Option<SocketAddr> {
    let uri = head.target(buf);
    let rest = uri.strip_prefix(b"http://")?;
    let end = rest
        .iter()
        .position(|&b| b == b'/' || b == b'?')
        .unwrap_or(rest.len());
    let authority = std::str::from_utf8(&rest[..end]).ok()?;
    let authority = authority.rsplit('@').next()?;
    let with_port = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
        && !authority.ends_with(']')
    {
        authority.to_string()
    } else {
        format!("{authority}:80")
    };
    tokio::net::lookup_host(with_port).await.ok()?.next()
}

/// After a 101 or a CONNECT: bytes flow both ways until both sides close.
pub(super) async fn tunnel(
    st: &State,
    fe: &Proxy,
    bp: &Proxy,
    s: &mut Stream,
    cbuf: &mut RecvBuf,
    sbuf: &mut RecvBuf,
    log: &mut TxnLog,
) {
    let (c0, c1) = s.si.split_at_mut(1);
    let (Some(cc), Some(sc)) = (c0[0].conn_mut(), c1[0].conn_mut()) else {
        return;
    };
    // Bytes that arrived with the heads belong to the tunnel already.
    if !cbuf.is_empty() && write_all(&sc.transport, cbuf.data()).await.is_err() {
        return;
    }
    cbuf.consume(cbuf.len());
    if !sbuf.is_empty() {
        if write_all(&cc.transport, sbuf.data()).await.is_err() {
            return;
        }
        log.bytes_out += sbuf.len() as u64;
    }
    sbuf.consume(sbuf.len());
    let tun = bp.cfg.timeouts.tunnel;
    let timeouts = SideTimeouts {
        client: tun.or(fe.cfg.timeouts.client),
        server: tun.or(bp.cfg.timeouts.server),
        client_fin: fe.cfg.timeouts.client_fin,
        server_fin: bp.cfg.timeouts.server_fin,
    };
    let mut totals = Totals::default();
    let end = forward(
        &mut cc.transport,
        &mut sc.transport,
        timeouts,
        st.config.global.bufsize,
        &mut totals,
    )
    .await;
    log.bytes_out += totals.res;
    let cause = match end {
        FwdEnd::Done => ErrCause::None,
        FwdEnd::ClientTimeout => ErrCause::CliTo,
        FwdEnd::ServerTimeout => ErrCause::SrvTo,
        FwdEnd::ClientError(_) => ErrCause::CliCl,
        FwdEnd::ServerError(_) => ErrCause::SrvCl,
    };
    if cause != ErrCause::None {
        (log.err, log.finst) = (cause, FinState::D);
    }
}

/// The `stats-page` arguments when the request is for the stats page:
/// a GET, HEAD or POST whose URI (its path and query when the prefix
/// starts with `/`, as HAProxy compares) begins with `stats uri`.
pub(super) fn stats_args(
    fe: &Proxy,
    sc: &crate::config::StatsConfig,
    view: &View<'_>,
) -> Option<Vec<String>> {
    use crate::rules::RequestView;
    if !matches!(view.method(), b"GET" | b"HEAD" | b"POST") {
        return None;
    }
    let uri = view.uri();
    let uri = if sc.uri.starts_with('/') {
        match uri.windows(3).position(|w| w == b"://") {
            Some(i) => {
                let rest = &uri[i + 3..];
                rest.iter()
                    .position(|&b| b == b'/')
                    .map_or(&b""[..], |j| &rest[j..])
            }
            None => uri,
        }
    } else {
        uri
    };
    if !uri.starts_with(sc.uri.as_bytes()) {
        return None;
    }
    let mut args = vec![format!("uri={}", sc.uri), format!("frontend={}", fe.name)];
    if let Some(r) = &sc.realm {
        args.push(format!("realm={r}"));
    }
    args.extend(sc.auth.iter().map(|a| format!("auth={a}")));
    if let Some(r) = sc.refresh {
        args.push(format!("refresh={r}"));
    }
    if sc.admin.iter().any(|c| crate::rules::eval(c, view)) {
        args.push("admin".into());
    }
    if sc.hide_version {
        args.push("hide-version".into());
    }
    if sc.show_legends {
        args.push("show-legends".into());
    }
    args.extend(sc.scope.iter().map(|x| format!("scope={x}")));
    if let Some(n) = &sc.show_node {
        args.push(format!("node={n}"));
    }
    if let Some(d) = &sc.show_desc {
        args.push(format!("desc={d}"));
    }
    Some(args)
}
