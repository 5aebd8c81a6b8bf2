//! `tcp-request content use-service` in TCP mode: an applet takes si[1]'s
//! place and the client talks to it directly, through the applet life
//! cycle ([`crate::host::lifecycle`]) and the same forwarder as a TCP
//! server stream, with the applet seen as the server side.

use crate::error::{ErrorKind, ProxyError};
use crate::host::lifecycle::{self, Instance};
use crate::log::termination::FinState;
use crate::state::{Proxy, State};
use crate::stream::forward::{FwdEnd, SideTimeouts};
use crate::stream::Stream;

/// How an applet-served TCP stream ended: bytes sent to the client, and
/// the termination cause and phase when it did not end normally.
pub struct Served {
    pub bytes_out: u64,
    pub bytes_in: u64,
    pub end: Option<ProxyError>,
}

/// Registers service `name` (with its `use-service` arguments) on si[1]
/// and runs it until both sides are done.
pub async fn serve(st: &State, fe: &Proxy, s: &mut Stream, name: &str, args: &[String]) -> Served {
    let mut out = Served {
        bytes_out: 0,
        bytes_in: 0,
        end: None,
    };
    let inst = Instance {
        service: name,
        args,
        frontend: &fe.name,
        backend: &fe.name,
        src: s.si[0].conn().and_then(|c| c.from),
        dst: s.si[0].conn_mut().and_then(|c| c.dst()),
    };
    if let Err(e) = lifecycle::attach(st, s, 1, &inst) {
        // A failed constructor is counted like any failed call.
        lifecycle::count_failure(st, name, &e);
        out.end = Some(ProxyError::new(ErrorKind::Applet).at(FinState::C));
        return out;
    }
    // One inactivity limit, `timeout client`, over both sides: the stream
    // ends once nothing moved either way for that long.
    let timeouts = SideTimeouts::both(fe.cfg.timeouts.client);
    let wakeable = st
        .applets
        .service(name)
        .is_some_and(|e| e.flags.contains(applet_sdk::ServiceFlags::WAKEABLE));
    let wake = wakeable.then(|| st.kicks.register(s.uniq_id));
    let kick = wake.as_ref().map(|w| w.kick.clone());
    let Some(d) = lifecycle::serve(st, s, 1, name, kick, timeouts).await else {
        out.end = Some(ProxyError::new(ErrorKind::Internal).at(FinState::C));
        return out;
    };
    out.bytes_out = d.totals.res;
    out.bytes_in = d.totals.req;
    out.end = if d.failure.is_some() {
        let fin = if out.bytes_out == 0 {
            FinState::C
        } else {
            FinState::D
        };
        Some(ProxyError::new(ErrorKind::Applet).at(fin))
    } else {
        let kind = match d.end {
            FwdEnd::Done => return out,
            // Either side idle: the client's timeout, as it is the one set.
            FwdEnd::ClientTimeout | FwdEnd::ServerTimeout => ErrorKind::ClientTimeout,
            FwdEnd::ClientError(_) => ErrorKind::ClientAborted,
            FwdEnd::ServerError(_) => ErrorKind::Internal,
        };
        Some(ProxyError::new(kind).at(FinState::D))
    };
    out
}
