//! `tcp-request content use-service` in TCP mode: an applet takes si[1]'s
//! place and the client talks to it directly. Bytes flow both ways through
//! the same body forwarders HTTP mode uses (in "until close" mode), with the
//! applet seen as a server side.

use std::future::poll_fn;
use std::task::Poll;

use crate::connection::Transport;
use crate::http::BodyKind;
use crate::http_mode::body::{Activity, BodyError, BodyFwd};
use crate::http_mode::recvbuf::RecvBuf;
use crate::http_mode::side::{AppletSide, SideIo};
use crate::log::termination::{ErrCause, FinState};
use crate::state::{Proxy, State};
use crate::stream::{SiState, Stream};

/// How an applet-served TCP stream ended: bytes sent to the client, and
/// the termination cause and phase when it did not end normally.
pub struct Served {
    pub bytes_out: u64,
    pub bytes_in: u64,
    pub end: Option<(ErrCause, FinState)>,
}

/// Registers service `name` on si[1] and runs it until both sides are done.
pub async fn serve(st: &State, fe: &Proxy, s: &mut Stream, name: &str) -> Served {
    let mut out = Served {
        bytes_out: 0,
        bytes_in: 0,
        end: None,
    };
    let src = s.si[0].conn().and_then(|c| c.from);
    let dst = s.si[0].conn_mut().and_then(|c| c.dst());
    let mut adapter = match st
        .applets
        .create_adapter(name, &[], crate::applet::host::table())
    {
        Ok(a) => a,
        Err(e) => {
            // Fix: a failed constructor is counted like any failed call.
            crate::http_mode::count_failure(st, name, &e);
            out.end = Some((ErrCause::Internal, FinState::C));
            return out;
        }
    };
    adapter.set_stream(s.uniq_id, &fe.name, &fe.name, src, dst);
    s.si[1].register_handler(Box::new(adapter));
    s.si[1].set_state(SiState::Est);
    let size = st.config.global.bufsize;
    let (c0, c1) = s.si.split_at_mut(1);
    let (Some(cc), Some(app)) = (c0[0].conn_mut(), c1[0].endpoint_mut().appctx_mut()) else {
        out.end = Some((ErrCause::Internal, FinState::C));
        return out;
    };
    let client: &mut Transport = &mut cc.transport;
    let mut side = AppletSide::new(app);
    let mut cbuf = RecvBuf::default();
    let mut abuf = RecvBuf::default();
    let mut up = BodyFwd::new(BodyKind::UntilClose);
    let mut down = BodyFwd::new(BodyKind::UntilClose);
    let mut input_done = false;
    // Inactivity limit on the client side, as for a server-side stream.
    let timeout = fe.cfg.timeouts.client;
    let mut last = tokio::time::Instant::now();
    let far = last + std::time::Duration::from_secs(86400 * 365);
    let sleep = tokio::time::sleep_until(far);
    tokio::pin!(sleep);
    let result = poll_fn(|cx| loop {
        let mut act = Activity::default();
        if !up.is_done() {
            match up.poll(cx, &mut *client, &mut cbuf, &side, size, &mut act) {
                Poll::Ready(Ok(())) | Poll::Pending => {}
                Poll::Ready(Err(_)) => return Poll::Ready(Some((ErrCause::CliCl, FinState::D))),
            }
        }
        if up.is_done() && !input_done {
            input_done = true;
            side.input_done();
        }
        match down.poll(cx, &mut side, &mut abuf, &*client, size, &mut act) {
            Poll::Ready(Ok(())) => return Poll::Ready(None),
            Poll::Pending => {}
            Poll::Ready(Err(BodyError::Write(_))) => {
                return Poll::Ready(Some((ErrCause::CliCl, FinState::D)))
            }
            Poll::Ready(Err(_)) => return Poll::Ready(Some((ErrCause::Internal, FinState::D))),
        }
        let Some(limit) = timeout else {
            return Poll::Pending;
        };
        let now = tokio::time::Instant::now();
        if act.read || act.wrote {
            last = now;
        }
        let deadline = last + limit;
        if deadline <= now {
            return Poll::Ready(Some((ErrCause::CliTo, FinState::D)));
        }
        if deadline < sleep.deadline() || sleep.is_elapsed() {
            sleep.as_mut().reset(deadline);
        }
        match std::future::Future::poll(sleep.as_mut(), cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(()) => continue,
        }
    })
    .await;
    out.bytes_out = down.total;
    out.bytes_in = up.total;
    let failure = side.failure();
    drop(side);
    // Fix: release here so that a failing `release` is seen and counted
    // (in the context's drop it was silent).
    app.applet().release();
    if let Some(why) = failure.or_else(|| app.failure()) {
        crate::http_mode::count_failure(st, name, &why);
        out.end = Some((
            ErrCause::Internal,
            if out.bytes_out == 0 {
                FinState::C
            } else {
                FinState::D
            },
        ));
    } else {
        out.end = result;
    }
    if let Some(c) = s.si[0].conn_mut() {
        let _ = c.transport.shutdown_write();
    }
    s.si[1].unregister_handler();
    out
}
