//! Where a request goes besides a server of its backend: `option
//! http_proxy` (the destination from the absolute URI), tunnels after a
//! 101 or a CONNECT, and the `stats uri` page.

use std::net::SocketAddr;

use super::analyse::Route;
use super::request::View;
use super::txn::Txn;
use super::Ctx;
use crate::error::{ErrorKind, ProxyError};
use crate::http::{Failure, HeadError, RequestHead};
use crate::log::termination::FinState;
use crate::state::Proxy;
use crate::stream::forward::{forward, FwdEnd, SideTimeouts, Totals};
use crate::stream::recvbuf::{write_all, RecvBuf};
use crate::stream::{sess_flags, AllocConnError, Stream};

/// Reads the destination of `option http_proxy` out of the request URI
/// into a newly allocated server-side connection. `Some(route)` when the
/// transaction ends here: a 400 for a URI without an address, a 500 `RR`
/// when no connection object can be allocated.
pub(super) async fn http_proxy_address<'a>(
    ctx: &Ctx<'a>,
    be: Option<&'a Proxy>,
    s: &mut Stream,
    cbuf: &RecvBuf,
    head: &RequestHead,
) -> Option<Route<'a>> {
    let Some(addr) = proxy_target(cbuf.data(), head).await else {
        return Some(Route::Fail(Failure::BadRequestHead(HeadError::Uri)));
    };
    match s.si[1].alloc_conn(&ctx.st.pools.connection) {
        Ok(c) => {
            c.to = Some(addr);
            s.flags |= sess_flags::ADDR_SET;
            None
        }
        Err(AllocConnError::AppletHolds | AllocConnError::Resource(_)) => {
            let end = ProxyError::new(ErrorKind::Resource).at(FinState::R);
            Some(Route::Fatal(end.answer(Some(500)), be))
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
    ctx: &Ctx<'_>,
    bp: &Proxy,
    s: &mut Stream,
    cbuf: &mut RecvBuf,
    sbuf: &mut RecvBuf,
    txn: &mut Txn,
) {
    let fe = ctx.fe;
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
        txn.bytes_out += sbuf.len() as u64;
    }
    sbuf.consume(sbuf.len());
    let tun = txn.knobs.tunnel_timeout.or(bp.cfg.timeouts.tunnel);
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
        ctx.size,
        &mut totals,
    )
    .await;
    txn.bytes_out += totals.res;
    let kind = match end {
        FwdEnd::Done => return,
        FwdEnd::ClientTimeout => ErrorKind::ClientTimeout,
        FwdEnd::ServerTimeout => ErrorKind::ServerTimeout,
        FwdEnd::ClientError(_) => ErrorKind::ClientAborted,
        FwdEnd::ServerError(_) => ErrorKind::ServerAborted,
    };
    txn.end = Some(ProxyError::new(kind).at(FinState::D));
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
