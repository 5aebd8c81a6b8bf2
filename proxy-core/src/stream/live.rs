//! The registry of live streams, for `show sess` and `shutdown session`.
//!
//! Each accepted connection gets a [`LiveStream`] before its task starts:
//! a small shared record of atomics (the two stream interfaces' states,
//! endpoint types and flags, the backend and server, a kill flag) that
//! the stream updates in place as it changes, and that the CLI reads
//! from any thread.
//!
//! The [`Registry`] belongs to the run-time state (`State::live`). It is
//! sharded by worker thread, as HAProxy keeps one stream list per thread:
//! a worker registers its streams in its own shard at accept and removes
//! them from it when they end (a worker's tasks never leave its thread),
//! so the accept path and stream ends of different workers never meet on
//! a lock. Only the readers (`show sess`, `shutdown session`, `show
//! info`) visit every shard, one at a time. Ids come from one counter, so
//! they stay unique and increase in accept order across shards.
//!
//! The stream's task runs inside [`Registry::spawn`], which removes the
//! record when the task ends and ends the task when the record's kill
//! flag is raised: the stream future is dropped, which closes both
//! endpoints (rule 7); a server slot it still held is given back here.
//! The stream itself gets its record explicitly ([`super::Stream::new`]).

use std::cell::Cell;
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
    /// The registry shard that holds the record.
    shard: usize,
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

thread_local! {
    /// This thread's worker number (HAProxy's `tid`), set once when a
    /// worker starts: which shard of a [`Registry`] it registers into. It
    /// names the thread; the records themselves live in the registry.
    static WORKER: Cell<Option<usize>> = const { Cell::new(None) };
}

/// Marks the calling thread as worker `n`: the streams it registers go to
/// shard `n` of a registry.
pub fn enter_worker(n: usize) {
    WORKER.with(|w| w.set(Some(n)));
}

/// The calling thread's worker number, if it is a worker (`thread`).
pub fn worker_index() -> Option<usize> {
    WORKER.with(Cell::get)
}

/// The distance between the handles of consecutive stream ids (about the
/// size of HAProxy's stream object).
const HANDLE_STEP: u64 = 0x340;

type Shard = Mutex<HashMap<u64, Arc<LiveStream>>>;

/// The live streams of a process, one shard per worker thread (see the
/// module's documentation). Threads that are not workers (start-up, unit
/// tests) spread their records over the shards by id.
#[derive(Debug)]
pub struct Registry {
    next_id: AtomicU64,
    shards: Box<[Shard]>,
}

impl Registry {
    /// A registry with one shard per worker (at least one).
    pub fn new(workers: usize) -> Registry {
        Registry {
            next_id: AtomicU64::new(0),
            shards: (0..workers.max(1)).map(|_| Shard::default()).collect(),
        }
    }

    /// How many shards the registry has (one per worker).
    pub fn shards(&self) -> usize {
        self.shards.len()
    }

    /// A fresh stream id (the `id=` of `show sess`, also given to tasks
    /// that run an applet without a stream, such as a peers sync task).
    /// Ids increase in the order they are handed out.
    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// The shard the calling thread registers `id` into.
    fn shard_for(&self, id: u64) -> usize {
        let n = self.shards.len();
        match WORKER.with(Cell::get) {
            Some(w) => w % n,
            None => (id % n as u64) as usize,
        }
    }

    fn lock(&self, shard: usize) -> std::sync::MutexGuard<'_, HashMap<u64, Arc<LiveStream>>> {
        self.shards[shard % self.shards.len()]
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a new stream, in the calling worker's shard.
    pub fn register(&self, info: LiveInfo) -> Arc<LiveStream> {
        let id = self.next_id();
        let live = Arc::new(LiveStream {
            id,
            shard: self.shard_for(id),
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
        self.lock(live.shard).insert(id, live.clone());
        live
    }

    /// Removes a record (its task ended, or never started because its
    /// set-up failed).
    pub fn forget(&self, live: &LiveStream) {
        self.lock(live.shard).remove(&live.id);
    }

    /// Every live stream, oldest first: each shard is visited in turn.
    pub fn all(&self) -> Vec<Arc<LiveStream>> {
        let mut v: Vec<Arc<LiveStream>> = Vec::new();
        for i in 0..self.shards.len() {
            v.extend(self.lock(i).values().cloned());
        }
        v.sort_by_key(|l| l.id);
        v
    }

    /// How many streams are live.
    pub fn count(&self) -> usize {
        (0..self.shards.len()).map(|i| self.lock(i).len()).sum()
    }

    /// The handle `show sess` prints and `shutdown session` takes. It
    /// reads like HAProxy's stream pointer but is never reused (a freed
    /// record's address would be), so a stale handle cannot reach a newer
    /// stream.
    pub fn handle(&self, live: &LiveStream) -> u64 {
        self.handle_of(live.id)
    }

    fn handle_of(&self, id: u64) -> u64 {
        let base = self.shards.as_ptr() as usize as u64 & !0xfff;
        base.wrapping_add(0x10_0000)
            .wrapping_add(id.wrapping_mul(HANDLE_STEP))
    }

    /// The stream with this `show sess` handle.
    pub fn by_handle(&self, handle: u64) -> Option<Arc<LiveStream>> {
        let id = handle.wrapping_sub(self.handle_of(0)) / HANDLE_STEP;
        if self.handle_of(id) != handle {
            return None;
        }
        (0..self.shards.len()).find_map(|i| self.lock(i).get(&id).cloned())
    }

    /// Runs a stream's task under its record: when the record is killed
    /// the task is aborted (the stream future is dropped) and `on_kill`
    /// gives back what the dropped future could not; however the task
    /// ends, the record leaves the registry.
    pub fn run<F, K>(
        self: &Arc<Self>,
        live: Arc<LiveStream>,
        fut: F,
        on_kill: K,
    ) -> impl Future<Output = ()>
    where
        F: Future<Output = ()>,
        K: FnOnce(&LiveStream),
    {
        // A plain struct, not an async block: a block would keep the
        // future it captured and the one it awaits, doubling the memory of
        // every idle connection. This way the future sits once, inline in
        // the task.
        Guarded {
            fut,
            _guard: Unregister {
                registry: self.clone(),
                live,
                on_kill: Some(on_kill),
            },
        }
    }

    /// Spawns a stream's task on this thread's runtime, killable through
    /// its record.
    pub fn spawn<F, K>(self: &Arc<Self>, live: Arc<LiveStream>, fut: F, on_kill: K)
    where
        F: Future<Output = ()> + Send + 'static,
        K: FnOnce(&LiveStream) + Send + 'static,
    {
        let l = live.clone();
        let handle = tokio::spawn(self.run(live, fut, on_kill));
        l.set_abort(handle.abort_handle());
    }
}

pin_project_lite::pin_project! {
    /// A stream's future with the guard that unregisters it. Fields drop
    /// in order: the stream first, then its record.
    struct Guarded<F, K: FnOnce(&LiveStream)> {
        #[pin]
        fut: F,
        _guard: Unregister<K>,
    }
}

impl<F: Future<Output = ()>, K: FnOnce(&LiveStream)> Future for Guarded<F, K> {
    type Output = ();

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        self.project().fut.poll(cx)
    }
}

/// Removes the record when the task ends, however it ends, and runs the
/// kill hook if the task was aborted by [`LiveStream::kill`].
struct Unregister<K: FnOnce(&LiveStream)> {
    registry: Arc<Registry>,
    live: Arc<LiveStream>,
    on_kill: Option<K>,
}

impl<K: FnOnce(&LiveStream)> Drop for Unregister<K> {
    fn drop(&mut self) {
        self.registry.forget(&self.live);
        if self.live.kill.load(Ordering::Relaxed) {
            if let Some(k) = self.on_kill.take() {
                k(&self.live);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::mpsc;
    use std::time::Duration;

    /// Registers one record from a thread that is worker `w`.
    fn register_as(reg: &Arc<Registry>, w: usize) -> Arc<LiveStream> {
        let reg = reg.clone();
        std::thread::spawn(move || {
            enter_worker(w);
            reg.register(LiveInfo::default())
        })
        .join()
        .unwrap()
    }

    #[test]
    fn workers_do_not_share_a_lock() {
        let reg = Arc::new(Registry::new(2));
        // Worker 0 is inside its shard (an accept or a stream end).
        let busy = reg.lock(0);
        let (tx, rx) = mpsc::channel();
        let r = reg.clone();
        std::thread::spawn(move || {
            enter_worker(1);
            let l = r.register(LiveInfo::default());
            r.forget(&l);
            let _ = tx.send(l.shard);
        });
        let shard = rx.recv_timeout(Duration::from_secs(10));
        drop(busy);
        assert_eq!(
            shard,
            Ok(1),
            "worker 1 accepted and ended a stream while worker 0 held its shard"
        );
    }

    #[test]
    fn readers_walk_every_shard_in_id_order() {
        let reg = Arc::new(Registry::new(3));
        let made: Vec<Arc<LiveStream>> = [2, 0, 1, 2, 1, 0, 0]
            .into_iter()
            .map(|w| register_as(&reg, w))
            .collect();
        let shards: Vec<usize> = made.iter().map(|l| l.shard).collect();
        assert_eq!(shards, [2, 0, 1, 2, 1, 0, 0], "each in its worker's shard");
        let ids: Vec<u64> = reg.all().iter().map(|l| l.id).collect();
        assert_eq!(ids, [0, 1, 2, 3, 4, 5, 6], "unique, in accept order");
        assert_eq!(reg.count(), 7);
        for l in &made {
            let found = reg.by_handle(reg.handle(l));
            assert_eq!(found.map(|f| f.id), Some(l.id));
        }
        assert!(reg.by_handle(reg.handle(&made[6]) + 1).is_none());
        reg.forget(&made[3]);
        assert!(reg.by_handle(reg.handle(&made[3])).is_none());
        let ids: Vec<u64> = reg.all().iter().map(|l| l.id).collect();
        assert_eq!(ids, [0, 1, 2, 4, 5, 6]);
    }

    #[test]
    fn registries_are_independent() {
        let (a, b) = (Registry::new(1), Registry::new(1));
        let la = a.register(LiveInfo::default());
        let lb = b.register(LiveInfo::default());
        assert_eq!((la.id, lb.id), (0, 0));
        b.forget(&lb);
        assert_eq!((a.count(), b.count()), (1, 0));
    }

    #[tokio::test]
    async fn a_killed_stream_leaves_its_shard() {
        enter_worker(1);
        let reg = Arc::new(Registry::new(2));
        let live = reg.register(LiveInfo::default());
        assert_eq!(live.shard, 1);
        let (_tx, rx) = tokio::sync::oneshot::channel::<()>();
        let killed = Arc::new(AtomicBool::new(false));
        let k = killed.clone();
        reg.spawn(
            live.clone(),
            async move {
                let _ = rx.await;
            },
            move |_| k.store(true, Ordering::Relaxed),
        );
        tokio::task::yield_now().await;
        assert_eq!(reg.count(), 1);
        match reg.by_handle(reg.handle(&live)) {
            Some(l) => l.kill(),
            None => panic!("the live stream is not found by its handle"),
        }
        for _ in 0..100 {
            if reg.count() == 0 {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert_eq!(reg.count(), 0);
        assert!(killed.load(Ordering::Relaxed), "the kill hook ran");
    }
}
