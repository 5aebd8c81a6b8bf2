//! Server monitoring at run time: the check tasks and everything that
//! changes a server's state.
//!
//! - [`task`]: one task per check, planning runs and applying results.
//! - [`transition`]: UP/DOWN/stopping changes, their effects and logs.
//! - [`admin`]: maintenance/drain/ready from the CLI or an agent.
//! - [`observe`]: live traffic errors as a health signal (`observe`).
//! - [`state_file`], [`state_apply`]: the servers' state saved before a
//!   reload (`server-state-file`), read and applied at start-up.
//!
//! The pure parts (statuses, the rise/fall machine, the probes) are in
//! [`crate::check`]; this module ties them to the servers and logs.

pub mod admin;
pub mod observe;
pub mod state_apply;
pub mod state_file;
pub mod task;
pub mod transition;

use std::sync::Arc;

use crate::backend::Server;
use crate::state::State;

/// The server at `(proxy, server)`, if it exists.
pub fn server_at(st: &State, (pi, si): transition::SrvRef) -> Option<&Server> {
    st.proxies.get(pi)?.be.as_ref()?.servers.get(si)
}

/// Starts this worker's share of the checks (worker `index` of `n` takes
/// every `n`-th), so checks spread over the threads like streams do.
pub fn start(st: &Arc<State>, index: usize, n: usize) {
    for (i, p) in task::plan(st).into_iter().enumerate() {
        if i % n.max(1) == index {
            tokio::spawn(task::run(st.clone(), p));
        }
    }
    let warming = st.proxies.iter().enumerate().flat_map(|(pi, p)| {
        p.be.iter().flat_map(move |b| {
            b.servers
                .iter()
                .filter(|s| s.slowstart.is_some())
                .map(move |s| (pi, s.idx))
        })
    });
    for (i, r) in warming.enumerate() {
        if i % n.max(1) == index {
            tokio::spawn(task::warmup(st.clone(), r));
        }
    }
}
