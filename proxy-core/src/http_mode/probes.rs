//! `option http-ignore-probes`: browsers open spare connections they may
//! close or let time out without a byte; with the option, such a
//! connection ends as 2.6 ends it, silently: no `408`, no log line, no
//! error counted. A connection that sent anything is treated as usual.

use crate::http::Failure;
use crate::state::Proxy;
use crate::stream::recvbuf::RecvBuf;

/// Whether failure `f` of the first request head is an ignored probe.
pub(super) fn ignored(fe: &Proxy, cbuf: &RecvBuf, f: &Failure) -> bool {
    fe.cfg.options.ignore_probes
        && cbuf.is_empty()
        && matches!(
            f,
            Failure::RequestTimeout
                | Failure::ClientAbortedHead {
                    received_bytes: false
                }
        )
}
