//! `option originalto`: the address the client reached (the frontend's
//! side of its connection) in `X-Original-To` for the server, as 2.6
//! adds it: after `X-Forwarded-For`, always (no `if-none`), unless that
//! address is in the frontend's or the backend's `except` network; the
//! backend's header name wins. Like 2.6, IPv4 destinations only.

use std::net::IpAddr;

use super::analyse::Request;
use crate::state::Proxy;

/// Adds the header to `req`'s edits when `fe` or `bp` asks for it.
pub(super) fn add_original_to(fe: &Proxy, bp: &Proxy, req: &mut Request) {
    let (f, b) = (
        fe.cfg.options.originalto.as_ref(),
        bp.cfg.options.originalto.as_ref(),
    );
    let Some(header) = b.or(f).map(|o| o.header.as_bytes()) else {
        return;
    };
    let Some(IpAddr::V4(dst)) = req.dst.map(|a| a.ip()) else {
        return;
    };
    let excepted = [f, b].into_iter().flatten().any(|o| {
        o.except
            .as_ref()
            .is_some_and(|n| n.contains(IpAddr::V4(dst)))
    });
    if !excepted {
        req.edits
            .add(&req.head.headers, header, dst.to_string().into_bytes());
    }
}
