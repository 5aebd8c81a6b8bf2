//! Test support: a small host scheduler running the `peers` service's
//! instances the way the proxy does, over in-memory connections.
//!
//! Instances are created through the library's exported `create` entry
//! point and called through the ABI object. An instance is called on its
//! first turn, when input arrived or closed, when its stream was woken,
//! when it waits for room, or when its timer is due; sync instances when
//! their timer is due or when kicked (a local table change). A stream to a
//! peer whose process is up gets an `accept` instance of that process on
//! its other end; otherwise the connection fails (input closed, empty).
//! An instance that returns `DONE` is released, and its peer sees the
//! input close.

use std::collections::HashSet;

use applet_sdk::abi_stable::std_types::{RNone, ROk, RSlice, RStr, RString, RVec};
use applet_sdk::{AppletBox, IoCtx, StreamInfo, Wait, WaitKind};

use crate::tests_fakehost::{host, with};

/// One instance on one side of a connection.
pub(crate) struct Inst {
    pub section: String,
    pub app: AppletBox,
    pub stream: u64,
    /// What it asked for last (`None`: never called).
    pub wait: Option<Wait>,
    pub timer_at: u64,
    pub done: bool,
    /// Bytes received, not consumed yet.
    pub input: Vec<u8>,
    pub input_closed: bool,
    /// Something happened since the last call.
    pub fresh: bool,
    /// Everything it wrote.
    pub written: Vec<u8>,
    /// Times its stream was woken.
    pub woken: u32,
}

/// A connection: the connecting side and, when it was established, the
/// accepting one.
pub(crate) struct Pipe {
    pub a: Inst,
    pub b: Option<Inst>,
}

pub(crate) struct Net {
    pub tag: String,
    pub syncs: Vec<(String, AppletBox, u64)>,
    pub pipes: Vec<Pipe>,
    /// Processes (peer names) that accept connections.
    pub up: HashSet<String>,
    /// Processes whose instances are not run (and refuse new connections).
    pub frozen: HashSet<String>,
    pub kicked: HashSet<String>,
    /// Room each call gets.
    pub room: usize,
}

/// Creates an instance through the exported entry point.
pub(crate) fn create(args: &[&str]) -> Result<AppletBox, String> {
    let args: Vec<RString> = args.iter().map(|a| RString::from(*a)).collect();
    match crate::__applet_sdk_create(RStr::from_str("peers"), RSlice::from_slice(&args), host()) {
        ROk(a) => Ok(a),
        applet_sdk::abi_stable::std_types::RErr(e) => Err(e.to_string()),
    }
}

fn local_of(section: &str) -> &str {
    section.rsplit('@').next().unwrap_or("")
}

impl Inst {
    fn new(section: &str, app: AppletBox, stream: u64) -> Inst {
        Inst {
            section: section.to_string(),
            app,
            stream,
            wait: None,
            timer_at: 0,
            done: false,
            input: Vec::new(),
            input_closed: false,
            fresh: true,
            written: Vec::new(),
            woken: 0,
        }
    }

    fn ready(&self, now: u64) -> bool {
        if self.done {
            return false;
        }
        match self.wait {
            None => true,
            Some(_) if self.fresh => true,
            Some(w) if w.kind == WaitKind::ROOM => true,
            Some(w) if w.kind == WaitKind::TIMER => now >= self.timer_at,
            _ => false,
        }
    }

    /// One call; returns what it wrote and whether it consumed anything.
    fn call(&mut self, now: u64, room: usize) -> (Vec<u8>, bool) {
        let mut out = RVec::new();
        let mut response = applet_sdk::HttpOut::default();
        let mut ctx = IoCtx {
            input: RSlice::from_slice(&self.input),
            consumed: 0,
            input_closed: self.input_closed,
            room,
            output: &mut out,
            stream: StreamInfo {
                id: self.stream,
                ..StreamInfo::default()
            },
            request: RNone,
            response: &mut response,
        };
        let w = match self.app.on_io(&mut ctx) {
            ROk(w) => w,
            applet_sdk::abi_stable::std_types::RErr(e) => panic!("applet failed: {e}"),
        };
        let consumed = ctx.consumed.min(self.input.len());
        assert!(out.len() <= room, "wrote past the room");
        self.input.drain(..consumed);
        self.fresh = false;
        self.wait = Some(w);
        self.timer_at = now + w.timer_ms;
        if w == Wait::DONE {
            self.done = true;
            let _ = self.app.release();
        }
        self.written.extend_from_slice(&out);
        (out.into_vec(), consumed > 0)
    }
}

impl Net {
    pub fn new(tag: &str) -> Net {
        Net {
            tag: tag.to_string(),
            syncs: Vec::new(),
            pipes: Vec::new(),
            up: HashSet::new(),
            frozen: HashSet::new(),
            kicked: HashSet::new(),
            room: 16384,
        }
    }

    pub fn section(&self, peer: &str) -> String {
        format!("{}@{peer}", self.tag)
    }

    /// Starts process `peer`: its sync task, and it accepts connections.
    pub fn start(&mut self, peer: &str) {
        let s = self.section(peer);
        let app = create(&[&s, "sync"]).unwrap();
        self.syncs.push((s, app, 0));
        self.up.insert(peer.to_string());
    }

    /// Calls `peer`'s sync task at the next step (a local change).
    pub fn kick(&mut self, peer: &str) {
        self.kicked.insert(self.section(peer));
    }

    fn is_frozen(&self, section: &str) -> bool {
        self.frozen.contains(local_of(section))
    }

    /// One round; `true` if anything happened.
    fn step(&mut self) -> bool {
        let now = with(|w| w.now);
        let mut moved = false;
        for i in 0..self.syncs.len() {
            let (s, _, at) = &self.syncs[i];
            let kicked = self.kicked.remove(s);
            if self.is_frozen(s) || !(kicked || now >= *at) {
                continue;
            }
            let mut out = RVec::new();
            let mut response = applet_sdk::HttpOut::default();
            let mut ctx = IoCtx {
                input: RSlice::from_slice(&[]),
                consumed: 0,
                input_closed: false,
                room: 0,
                output: &mut out,
                stream: StreamInfo::default(),
                request: RNone,
                response: &mut response,
            };
            let w = match self.syncs[i].1.on_io(&mut ctx) {
                ROk(w) => w,
                applet_sdk::abi_stable::std_types::RErr(e) => panic!("sync failed: {e}"),
            };
            assert!(out.is_empty(), "the sync task wrote");
            assert_eq!(w.kind, WaitKind::TIMER);
            assert!((1..=1000).contains(&w.timer_ms), "timer {}", w.timer_ms);
            self.syncs[i].2 = now + w.timer_ms;
        }
        let connects = with(|w| std::mem::take(&mut w.connects));
        for c in connects {
            moved = true;
            let token = c.token.to_string();
            let app = create(&[&c.section, "connect", &c.peer, &token]).unwrap();
            let a = Inst::new(&c.section, app, c.stream);
            let target = self.section(&c.peer);
            let b = if self.up.contains(&c.peer) && !self.frozen.contains(&c.peer) {
                let app = create(&[&target, "accept"]).unwrap();
                Some(Inst::new(&target, app, with(|w| w.stream_id())))
            } else {
                None
            };
            let mut p = Pipe { a, b };
            if p.b.is_none() {
                p.a.input_closed = true;
            }
            self.pipes.push(p);
        }
        let woken = with(|w| std::mem::take(&mut w.woken));
        for p in &mut self.pipes {
            for inst in std::iter::once(&mut p.a).chain(p.b.as_mut()) {
                if woken.contains(&inst.stream) {
                    inst.fresh = true;
                    inst.woken += 1;
                }
            }
        }
        let room = self.room;
        for i in 0..self.pipes.len() {
            for side in [false, true] {
                let frozen = {
                    let p = &self.pipes[i];
                    let inst = if side { p.b.as_ref() } else { Some(&p.a) };
                    match inst {
                        Some(x) => self.is_frozen(&x.section) || !x.ready(now),
                        None => true,
                    }
                };
                if frozen {
                    continue;
                }
                let p = &mut self.pipes[i];
                let (me, other) = if side {
                    (p.b.as_mut().unwrap(), Some(&mut p.a))
                } else {
                    (&mut p.a, p.b.as_mut())
                };
                let (out, consumed) = me.call(now, room);
                moved |= consumed || !out.is_empty() || me.done;
                if let Some(o) = other {
                    if !out.is_empty() {
                        o.input.extend_from_slice(&out);
                        o.fresh = true;
                    }
                    if me.done && !o.input_closed {
                        o.input_closed = true;
                        o.fresh = true;
                    }
                }
            }
        }
        moved
    }

    /// Runs without moving the clock until nothing happens.
    pub fn run(&mut self) {
        for _ in 0..100_000 {
            if !self.step() {
                return;
            }
        }
        panic!("no quiescence");
    }

    /// Moves the clock by `ms` in steps of 100 ms, running at each.
    pub fn advance(&mut self, ms: u64) {
        let mut left = ms;
        while left > 0 {
            let d = left.min(100);
            with(|w| w.now += d);
            left -= d;
            self.run();
        }
    }

    /// The live pipes (both ends not done).
    pub fn live(&self) -> Vec<&Pipe> {
        self.pipes
            .iter()
            .filter(|p| !p.a.done && p.b.as_ref().is_some_and(|b| !b.done))
            .collect()
    }
}
