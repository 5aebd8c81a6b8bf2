//! The registry of live streams, for `show sess` and `shutdown session`.
//!
//! Each accepted connection gets a [`LiveStream`] before its task starts:
//! a small shared record of atomics (the two stream interfaces' states,
//! endpoint types and flags, the backend and server, a kill flag) that
//! the stream updates in place as it changes, and that the CLI reads
//! from any thread. The registry itself is one map keyed by stream id,
//! touched twice per connection (insert at accept, remove at the end),
//! never per request.
//!
//! The stream's task runs inside [`run`], which makes the record the
//! task's current one (so that [`super::Stream::new`] links its stream
//! interfaces to it without any parameter passing) and ends the task when
//! the record's kill flag is raised: the stream future is dropped, which
//! closes both endpoints (rule 7); a server slot it still held is given
//! back here.

use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{
    AtomicBool, AtomicI32, AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering,
};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime};

use super::endpoint::Endpoint;
use super::si::SiState;

/// No backend / server yet.
pub const NONE: usize = usize::MAX;

/// One side of a live stream.
#[derive(Debug, Default)]
pub struct LiveSi {
    pub state: AtomicU8,
    /// 0 `NONE`, 1 `CONN`, 2 `APPCTX`.
    pub endp: AtomicU8,
    pub ptr: AtomicUsize,
    pub flags: AtomicU32,
    pub err_type: AtomicU32,
    pub fd: AtomicI32,
}

impl LiveSi {
    pub fn state(&self) -> SiState {
        match self.state.load(Ordering::Relaxed) {
            1 => SiState::Req,
            2 => SiState::Que,
            3 => SiState::Tar,
            4 => SiState::Ass,
            5 => SiState::Con,
            6 => SiState::Cer,
            7 => SiState::Est,
            8 => SiState::Dis,
            9 => SiState::Clo,
            _ => SiState::Ini,
        }
    }

    pub fn endp_name(&self) -> &'static str {
        match self.endp.load(Ordering::Relaxed) {
            1 => "CONN",
            2 => "APPCTX",
            _ => "NONE",
        }
    }

    pub(super) fn sync(&self, state: SiState, flags: u32, err_type: u32, e: &Endpoint) {
        self.state.store(state as u8, Ordering::Relaxed);
        self.flags.store(flags, Ordering::Relaxed);
        self.err_type.store(err_type, Ordering::Relaxed);
        let (t, fd) = match e {
            Endpoint::None => (0, -1),
            Endpoint::Conn(c) => (1, c.transport.raw_fd()),
            Endpoint::Applet(_) => (2, -1),
        };
        self.endp.store(t, Ordering::Relaxed);
        self.fd.store(fd, Ordering::Relaxed);
        self.ptr.store(e.ptr(), Ordering::Relaxed);
    }
}

/// What is known of a stream at accept. Addresses are kept as values and
/// only turned into text when `show sess` asks: every idle connection
/// carries this record.
#[derive(Debug, Clone, Default)]
pub struct LiveInfo {
    /// Frontend proxy index, [`NONE`] for the CLI (`GLOBAL`).
    pub fe: usize,
    pub listener_id: u32,
    /// `tcpv4`, `tcpv6`, `unix_stream`.
    pub proto: &'static str,
    /// Client address (`None` on a unix socket).
    pub src: Option<std::net::SocketAddr>,
    /// Local address (`None` on a unix socket).
    pub local: Option<std::net::SocketAddr>,
}

impl LiveInfo {
    fn text(&self, a: Option<std::net::SocketAddr>) -> String {
        match a {
            Some(a) => a.to_string(),
            None => format!("unix:{}", self.listener_id),
        }
    }

    /// The client address as `show sess` prints it.
    pub fn src_text(&self) -> String {
        self.text(self.src)
    }

    /// The local address as `show sess` prints it.
    pub fn local_text(&self) -> String {
        self.text(self.local)
    }
}

/// A live stream, as the CLI sees it.
#[derive(Debug)]
pub struct LiveStream {
    pub id: u64,
    pub info: LiveInfo,
    pub accept: Instant,
    pub accept_date: SystemTime,
    pub be: AtomicUsize,
    pub srv: AtomicUsize,
    /// The stream holds a slot on `srv`.
    pub assigned: AtomicBool,
    pub flags: AtomicU32,
    pub si: [LiveSi; 2],
    kill: AtomicBool,
    /// Ends the stream's task (set once the task is spawned).
    abort: Mutex<Option<tokio::task::AbortHandle>>,
}

impl LiveStream {
    /// The handle `show sess` prints and `shutdown session` takes. It
    /// reads like HAProxy's stream pointer but is never reused (a freed
    /// record's address would be), so a stale handle cannot reach a newer
    /// stream.
    pub fn ptr(&self) -> u64 {
        let base = registry() as *const _ as usize as u64 & !0xfff;
        base.wrapping_add(0x10_0000)
            .wrapping_add(self.id.wrapping_mul(0x340))
    }

    /// Asks the stream to end now: its task is aborted, which drops the
    /// stream (closing both endpoints, rule 7).
    pub fn kill(&self) {
        self.kill.store(true, Ordering::Relaxed);
        let handle = self.abort.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(h) = handle {
            h.abort();
        }
    }

    fn set_abort(&self, h: tokio::task::AbortHandle) {
        *self.abort.lock().unwrap_or_else(|e| e.into_inner()) = Some(h.clone());
        // Killed before the handle was known: abort now.
        if self.kill.load(Ordering::Relaxed) {
            h.abort();
        }
    }

    /// Records the backend/server the stream is on.
    pub fn set_target(&self, be: Option<usize>, srv: Option<usize>, assigned: bool, flags: u32) {
        self.be.store(be.unwrap_or(NONE), Ordering::Relaxed);
        self.srv.store(srv.unwrap_or(NONE), Ordering::Relaxed);
        self.assigned.store(assigned, Ordering::Relaxed);
        self.flags.store(flags, Ordering::Relaxed);
    }

    pub fn backend(&self) -> Option<usize> {
        Some(self.be.load(Ordering::Relaxed)).filter(|&b| b != NONE)
    }

    pub fn server(&self) -> Option<usize> {
        Some(self.srv.load(Ordering::Relaxed)).filter(|&s| s != NONE)
    }
}

static NEXT_ID: AtomicU64 = AtomicU64::new(0);

/// A fresh stream id (the `id=` of `show sess`, shared with streams made
/// outside a registered task).
pub fn next_id() -> u64 {
    NEXT_ID.fetch_add(1, Ordering::Relaxed)
}

fn registry() -> &'static Mutex<HashMap<u64, Arc<LiveStream>>> {
    static R: std::sync::OnceLock<Mutex<HashMap<u64, Arc<LiveStream>>>> =
        std::sync::OnceLock::new();
    R.get_or_init(|| Mutex::new(HashMap::new()))
}

fn lock() -> std::sync::MutexGuard<'static, HashMap<u64, Arc<LiveStream>>> {
    registry().lock().unwrap_or_else(|e| e.into_inner())
}

/// Registers a new stream.
pub fn register(info: LiveInfo) -> Arc<LiveStream> {
    let live = Arc::new(LiveStream {
        id: next_id(),
        info,
        accept: Instant::now(),
        accept_date: SystemTime::now(),
        be: AtomicUsize::new(NONE),
        srv: AtomicUsize::new(NONE),
        assigned: AtomicBool::new(false),
        flags: AtomicU32::new(0),
        si: Default::default(),
        kill: AtomicBool::new(false),
        abort: Mutex::new(None),
    });
    lock().insert(live.id, live.clone());
    live
}

/// Removes a record whose task never started (its set-up failed).
pub fn forget(live: &LiveStream) {
    lock().remove(&live.id);
}

/// Every live stream, oldest first.
pub fn all() -> Vec<Arc<LiveStream>> {
    let mut v: Vec<Arc<LiveStream>> = lock().values().cloned().collect();
    v.sort_by_key(|l| l.id);
    v
}

/// The stream with this `show sess` handle.
pub fn by_ptr(ptr: u64) -> Option<Arc<LiveStream>> {
    lock().values().find(|l| l.ptr() == ptr).cloned()
}

tokio::task_local! {
    static CURRENT: Arc<LiveStream>;
}

/// The record of the task being polled, if it runs under [`run`].
pub fn current() -> Option<Arc<LiveStream>> {
    CURRENT.try_with(Arc::clone).ok()
}

/// Removes the record when the task ends, however it ends, and runs the
/// kill hook if the task was aborted by [`LiveStream::kill`].
struct Unregister<K: FnOnce(&LiveStream)> {
    live: Arc<LiveStream>,
    on_kill: Option<K>,
}

impl<K: FnOnce(&LiveStream)> Drop for Unregister<K> {
    fn drop(&mut self) {
        lock().remove(&self.live.id);
        if self.live.kill.load(Ordering::Relaxed) {
            if let Some(k) = self.on_kill.take() {
                k(&self.live);
            }
        }
    }
}

/// Runs a stream's task under its record: it is the task's current one;
/// when the record is killed the task is aborted (the stream future is
/// dropped) and `on_kill` gives back what the dropped future could not.
pub fn run<F, K>(live: Arc<LiveStream>, fut: F, on_kill: K) -> impl Future<Output = ()>
where
    F: Future<Output = ()>,
    K: FnOnce(&LiveStream),
{
    // The stream's future goes to the heap once, before anything captures
    // it: moved by value into the wrapper it would be copied into its
    // state, doubling the memory of every idle connection.
    let fut = Box::pin(fut);
    async move {
        let _guard = Unregister {
            live: live.clone(),
            on_kill: Some(on_kill),
        };
        CURRENT.scope(live, fut).await;
    }
}

/// Spawns a stream's task on this thread's runtime, killable through its
/// record.
pub fn spawn<F, K>(live: Arc<LiveStream>, fut: F, on_kill: K)
where
    F: Future<Output = ()> + Send + 'static,
    K: FnOnce(&LiveStream) + Send + 'static,
{
    let l = live.clone();
    let handle = tokio::spawn(run(live, fut, on_kill));
    l.set_abort(handle.abort_handle());
}
