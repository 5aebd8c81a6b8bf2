//! Starting and stopping: listeners, worker threads, pid file, signals,
//! and the timer tasks of the workers (idle server connections, stick-table
//! expiry, the peers sync tasks).
//!
//! `nbthread` workers each run their own single-threaded event loop with a
//! copy of every listener; a stream lives and dies on the thread that
//! accepted it, so the data path takes no lock. The main thread only waits
//! for signals: SIGINT/SIGTERM stop at once, SIGUSR1 closes the listeners
//! and exits once the last stream has ended (soft stop).

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::watch;

use crate::config::Config;
use crate::listener::{bind_all, spawn_accept_loop, Listener};
use crate::state::State;

/// Start-up choices that come from the command line.
#[derive(Debug, Default, Clone)]
pub struct RunOptions {
    pub daemon: bool,
    pub pidfile: Option<PathBuf>,
    /// `-sf`: old processes told to finish (SIGUSR1) once we listen.
    pub soft_stop_pids: Vec<i32>,
    /// `-st`: old processes told to terminate (SIGTERM) once we listen.
    pub hard_stop_pids: Vec<i32>,
    /// `--applet-dir`: more directories to load applets from.
    pub applet_dirs: Vec<PathBuf>,
}

/// Why the proxy could not start.
#[derive(Debug)]
pub struct StartError(pub Vec<String>);

/// Binds, starts the workers and serves until a signal stops the process.
/// Returns the exit code; errors before serving come back as alert lines.
pub fn run(config: Config, opts: RunOptions) -> Result<i32, StartError> {
    // Log dates are local: read the zone now rather than on the first line.
    crate::log::date::init_local_zone();
    let applets =
        crate::applet::load_for(&config, &opts.applet_dirs).map_err(|e| StartError(vec![e]))?;
    for w in applets.warnings() {
        tracing::warn!("{w}");
    }
    let mut unknown = crate::applet::check_services(&config, &applets);
    if unknown.is_empty() {
        unknown.extend(crate::host::lifecycle::check_service_arguments(
            &config, &applets,
        ));
    }
    unknown.extend(crate::stats_socket::check_services(&config, &applets));
    unknown.extend(crate::peers_net::check_services(&config, &applets));
    if !unknown.is_empty() {
        return Err(StartError(unknown));
    }
    let listeners = bind_all(&config).map_err(StartError)?;
    let cli_listeners = Arc::new(crate::stats_socket::bind_all(&config).map_err(StartError)?);
    let peer_listeners = Arc::new(crate::peers_net::bind_all(&config).map_err(StartError)?);
    if opts.daemon || config.global.daemon {
        crate::sys::daemonize()
            .map_err(|e| StartError(vec![format!("cannot fork into the background: {e}")]))?;
    }
    let pidfile = opts
        .pidfile
        .clone()
        .or_else(|| config.global.pidfile.clone());
    if let Some(p) = &pidfile {
        std::fs::write(p, format!("{}\n", std::process::id()))
            .map_err(|e| StartError(vec![format!("Cannot create pidfile {}: {e}", p.display())]))?;
    }
    let nbthread = config.global.nbthread.max(1);
    // The servers' saved state (`server-state-file`): addresses and ports
    // belong to the configuration, the rest is applied to the servers
    // before any check runs.
    let mut config = config;
    let saved = crate::monitor::state_file::load(&config);
    crate::monitor::state_apply::apply_addresses(&saved, &mut config);
    let state = State::build_with(config, Arc::new(applets));
    crate::monitor::state_apply::apply(&state, &saved);
    // Older processes hand their stick tables over through the local peer.
    state.peers.set_old_process(!opts.soft_stop_pids.is_empty());
    // The peers applet opens its streams to peers through the host
    // services, which reach the peers sections through the state.
    state.peers.set_connect(crate::peers_net::open_peer_stream);
    // The applets' host functions carry no context: they find the state
    // through this bridge (the core itself is handed `state`).
    crate::host::set_state(state.clone());
    let (stop_tx, stop_rx) = watch::channel(false);
    let listeners = Arc::new(listeners);
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    for t in 0..nbthread {
        let st = state.clone();
        let ls = listeners.clone();
        let stop = stop_rx.clone();
        let ready = ready_tx.clone();
        // The stats sockets are served by the first worker.
        let cli = (t == 0).then(|| (cli_listeners.clone(), peer_listeners.clone()));
        std::thread::Builder::new()
            .name(format!("worker-{t}"))
            .spawn(move || worker(st, ls, cli, t, stop, ready))
            .map_err(|e| StartError(vec![format!("cannot start worker thread: {e}")]))?;
    }
    drop(ready_tx);
    for _ in 0..nbthread {
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => return Err(StartError(vec![e])),
            Err(_) => return Err(StartError(vec!["a worker thread died at start-up".into()])),
        }
    }
    // Every worker holds its own copy now; the originals can go, so a soft
    // stop really releases the ports.
    drop(listeners);
    drop(cli_listeners);
    drop(peer_listeners);

    for pid in &opts.soft_stop_pids {
        let _ = crate::sys::signal(*pid, crate::sys::SIGUSR1);
    }
    for pid in &opts.hard_stop_pids {
        let _ = crate::sys::signal(*pid, crate::sys::SIGTERM);
    }

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| StartError(vec![format!("cannot start the signal loop: {e}")]))?;
    let code = rt.block_on(wait_for_stop(state, stop_tx));
    if let Some(p) = &pidfile {
        let _ = std::fs::remove_file(p);
    }
    Ok(code)
}

/// The stats sockets and the local peer addresses (served by one worker).
type ControlListeners = (
    Arc<Vec<crate::stats_socket::CliListener>>,
    Arc<Vec<crate::peers_net::PeersListener>>,
);

fn worker(
    st: Arc<State>,
    listeners: Arc<Vec<Listener>>,
    cli: Option<ControlListeners>,
    index: usize,
    stop: watch::Receiver<bool>,
    ready: std::sync::mpsc::Sender<Result<(), String>>,
) {
    let first = index == 0;
    // This thread's streams go to its own shard of the live registry.
    crate::stream::live::enter_worker(index);
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(format!("cannot start a worker: {e}")));
            return;
        }
    };
    rt.block_on(async move {
        for l in listeners.iter() {
            if let Err(e) = spawn_accept_loop(st.clone(), l, stop.clone()) {
                let _ = ready.send(Err(format!("cannot listen on frontend #{}: {e}", l.proxy)));
                return;
            }
        }
        for l in cli.iter().flat_map(|c| c.0.iter()) {
            if let Err(e) = crate::stats_socket::spawn_accept_loop(st.clone(), l, stop.clone()) {
                let _ = ready.send(Err(format!("cannot listen on stats socket #{}: {e}", l.id)));
                return;
            }
        }
        for l in cli.iter().flat_map(|c| c.1.iter()) {
            if let Err(e) = crate::peers_net::spawn_accept_loop(st.clone(), l, stop.clone()) {
                let _ = ready.send(Err(format!("cannot listen on peers '{}': {e}", l.section)));
                return;
            }
        }
        // The loops hold their own copies of the sockets: letting go of the
        // originals is what lets a soft stop close the ports.
        drop(listeners);
        drop(cli);
        // Idle server connections: a quarter of this thread's share of the
        // connections, closed once expired even when nobody asks again.
        let maxconn = st.config.global.maxconn.unwrap_or(4096) as usize;
        crate::idle::set_thread_cap(maxconn / 4 / st.config.global.nbthread.max(1));
        crate::idle::set_thread_index(index);
        tokio::spawn(async {
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            loop {
                tick.tick().await;
                crate::idle::purge();
            }
        });
        // Health checks: this worker's share.
        crate::monitor::start(&st, index, st.config.global.nbthread.max(1));
        // Stick-table entries expire (one purging task for all tables).
        if first {
            tokio::spawn(purge_task(st.clone()));
            // Peers sections: one sync task each, on the first worker.
            crate::peers_net::start_sync_tasks(&st, &stop);
        }
        let _ = ready.send(Ok(()));
        // Streams run as tasks of this loop; the process exits from the
        // main thread, so this thread just keeps serving.
        std::future::pending::<()>().await;
    });
}

/// Purges expired entries until the process ends (one task, on the first
/// worker): wakes up when the earliest entry is due, at most every 50 ms
/// and at least every second.
async fn purge_task(st: Arc<State>) {
    if st.stick.list.iter().all(|t| t.config().expire_ms == 0) {
        return;
    }
    loop {
        let now = crate::counters::now_ms();
        let wait = st
            .stick
            .purge(now, Duration::from_millis(50), Duration::from_secs(1));
        tokio::time::sleep(wait).await;
    }
}

async fn wait_for_stop(st: Arc<State>, stop_tx: watch::Sender<bool>) -> i32 {
    let (Ok(mut int), Ok(mut term), Ok(mut usr1), Ok(mut quit)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
        signal(SignalKind::user_defined1()),
        signal(SignalKind::quit()),
    ) else {
        tracing::error!("cannot install signal handlers");
        return 1;
    };
    loop {
        tokio::select! {
            _ = int.recv() => return 0,
            _ = term.recv() => return 0,
            // As HAProxy: SIGQUIT dumps the pools on stderr.
            _ = quit.recv() => eprint!("{}", st.show_pools()),
            _ = usr1.recv() => break,
        }
    }
    // Soft stop: no new connections; wait for the live ones to end.
    tracing::warn!("Proxy stopping: soft stop requested, waiting for live streams to end.");
    st.stopping.store(true, Ordering::Relaxed);
    let _ = stop_tx.send(true);
    // Peers sections hand their tables over to the new process (bounded).
    let handover_until = tokio::time::Instant::now() + crate::peers_net::HANDOVER_TIMEOUT;
    loop {
        let handing_over =
            st.peers.handover_pending() && tokio::time::Instant::now() < handover_until;
        if st.global.cur.load(Ordering::Relaxed) == 0 && !handing_over {
            return 0;
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            _ = int.recv() => return 0,
            _ = term.recv() => return 0,
        }
    }
}
