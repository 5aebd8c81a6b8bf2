//! The sync task of a peers section: the section's applet instance
//! (`[section, "sync"]`) that runs its timers, pushes local table changes
//! and hands the tables over on a soft stop.
//!
//! It serves no byte stream, but it is an applet like the others and goes
//! through the same life cycle ([`crate::host::lifecycle`]): it runs in a
//! stream of its own (frontend `GLOBAL`, si[0] with no endpoint, the
//! applet registered on si[1] as every service is), listed in `show sess`;
//! it is called through the applet pipe ([`AppletPipe::call_task`]: the
//! same panic and failure containment), and a failure is counted and
//! released by `finish`. `shutdown session` does not stop it: HAProxy's
//! sync task is no stream at all, and ending it would end replication
//! until the next reload.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;

use super::{active_sections, instance, PEERS_SERVICE};
use crate::host::lifecycle::{self, Other};
use crate::kick::Kick;
use crate::state::State;
use crate::stream::applet_pipe::AppletPipe;
use crate::stream::live::{self, LiveInfo, LiveStream};
use crate::stream::{AppletWait, Stream};

/// How long the sync task lets local changes accumulate before pushing.
const PUSH_COALESCE: Duration = Duration::from_millis(1);

/// How long a soft stop waits for the tables to reach the new process.
pub const HANDOVER_TIMEOUT: Duration = Duration::from_secs(10);

/// Counts a running sync task (in `State::peers`) until dropped.
struct Running(Arc<State>);

impl Running {
    fn enter(st: &Arc<State>) -> Running {
        st.peers.sync_running.fetch_add(1, Ordering::SeqCst);
        Running(st.clone())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.0.peers.sync_running.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs the sync task of every active section (on one worker).
pub fn start_sync_tasks(st: &Arc<State>, stop: &watch::Receiver<bool>) {
    for p in active_sections(&st.config) {
        let live = st.live.register(LiveInfo {
            fe: live::NONE,
            listener_id: 0,
            proto: "none",
            src: None,
            local: None,
        });
        let task = run_sync(
            st.clone(),
            p.name.clone(),
            stop.clone(),
            live.clone(),
            Running::enter(st),
        );
        // Not through `Registry::spawn`: no abort handle, so `shutdown
        // session` cannot end it.
        tokio::spawn(st.live.run(live, task, |_| {}));
    }
}

/// The sync task's stream; the pool may refuse (`tune.fail-alloc`), then
/// it is tried again until the process stops.
async fn sync_stream(
    st: &State,
    stop: &mut watch::Receiver<bool>,
    live: Arc<LiveStream>,
) -> Option<Stream> {
    loop {
        if let Ok(s) = Stream::without_client(&st.pools.stream, live::NONE, live.clone()) {
            return Some(s);
        }
        if *stop.borrow() {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn run_sync(
    st: Arc<State>,
    section: String,
    mut stop: watch::Receiver<bool>,
    live: Arc<LiveStream>,
    _running: Running,
) {
    let Some(mut s) = sync_stream(&st, &mut stop, live).await else {
        return;
    };
    let args = [section.clone(), "sync".to_string()];
    if let Err(e) = lifecycle::attach(&st, &mut s, 1, &instance(&args, &section, None, None)) {
        tracing::error!("peers '{section}': cannot start its sync task: {e}");
        return;
    }
    let reg = st.kicks.register(s.uniq_id);
    for t in crate::host::section_tables(&st, &section) {
        t.notify_changes(reg.kick.clone());
    }
    let mut pipe = AppletPipe::default();
    if let Some(app) = s.si[1].endpoint_mut().appctx_mut() {
        run_timers(&mut pipe, app, &reg.kick, &mut stop).await;
    }
    let failure = pipe.failure().map(str::to_string);
    if let Some(why) = &failure {
        tracing::error!("peers '{section}': sync task stopped: {why}");
    }
    lifecycle::finish(&st, &mut s, 1, PEERS_SERVICE, failure, Other::Keep);
}

/// Calls the sync instance when its timer fires, when its kick rings and
/// once the process stops, until it is done or fails.
async fn run_timers(
    pipe: &mut AppletPipe,
    app: &mut crate::stream::AppCtx,
    kick: &Kick,
    stop: &mut watch::Receiver<bool>,
) {
    let mut stopping = false;
    loop {
        // Armed before the call reads the tables: a change made after
        // that read rings the kick.
        kick.arm();
        let timer = match pipe.call_task(app, stopping) {
            AppletWait::Done => return,
            AppletWait::Timer(d) => Some(d.max(Duration::from_millis(1))),
            AppletWait::Input | AppletWait::Room => None,
        };
        tokio::select! {
            _ = async { tokio::time::sleep(timer.unwrap_or_default()).await }, if timer.is_some() => {}
            _ = kick.rung() => {
                // A table changed: let the changes of the next moment join
                // this push, so that a busy table goes out in a few large
                // writes rather than one per request (the peer wakes up
                // once per write).
                tokio::time::sleep(PUSH_COALESCE).await;
            }
            r = stop.changed(), if !stopping => {
                // Let the accept loops close the local peer address first,
                // so that the hand-over reaches the new process.
                if r.is_ok() && *stop.borrow() {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    stopping = true;
                }
            }
        }
    }
}
