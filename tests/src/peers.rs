//! Peers (stick-table replication) test support: clusters of instances
//! started from one configuration text, a raw peer client speaking the
//! HAProxy 2.6 peers protocol, and `show table` comparison.
//!
//! - [`Cluster`]: every node gets a peer port, a frontend port and a stats
//!   socket; the configuration is the same text for all nodes and reads
//!   `"${FEPORT}"` and `"${SOCK}"` from the environment (as HAProxy does),
//!   the local peer name coming from `-L <name>`. [`Cluster::peer_lines`]
//!   gives the `peer` lines of the `peers` section. A node is
//!   [`Kind::Haproxy`] (always `/usr/sbin/haproxy`) or [`Kind::Ours`] (the
//!   binary under test, i.e. HAProxy too when `PROXY_BIN=/usr/sbin/haproxy`,
//!   which makes every interop test a HAProxy-only reference run). Nodes
//!   can be stopped (SIGKILL) and started again.
//! - [`table_lines`]: `show table` output masked (entry addresses,
//!   remaining lifetimes, optionally rate values), headers first then the
//!   entries sorted; [`Cluster::wait_converged`] polls until every running
//!   node shows the same.
//! - [`RawPeer`]: a std `TcpStream` that sends the hello, reads the status
//!   line and then framed messages (class, type, varint length, payload);
//!   [`varint`] / [`decode_varint`] are the protocol's integer encoding,
//!   [`define_msg`] / [`update_msg`] build stick-table messages.
//!
//! The applets (the peers applet among them) are loaded by the binary from
//! its own directory (`target/debug/libapplet_peers.so` next to
//! `target/debug/proxy`): nothing to pass on the command line.
//!
//! Every wait is bounded. `PEERS_DUMP=1` prints each converged table.

use std::collections::BTreeSet;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::stick::{cli, mask_table};
use crate::util::{free_port, local, TempDir};
use crate::{procnet, proxy_bin, Proxy};

/// Where HAProxy 2.6 is installed (by `.ci/run`, through apt).
pub const HAPROXY: &str = "/usr/sbin/haproxy";

/// How long a node may take to listen on its ports and socket.
pub const NODE_START: Duration = Duration::from_secs(10);

/// Largest remaining lifetime accepted in `show table` output: 1 h tables,
/// plus a second because HAProxy 2.6 can show a few ms more than the
/// table's `expire` (seen: `exp=3600007`), its threads' clocks differing.
pub const MAX_EXP: u64 = 3_601_000;

/// Polls `f` every 20 ms until it is true or `timeout` passes; returns
/// whether it became true.
/// How long converged tables must stay the same before they count as
/// converged.
pub const SETTLE: Duration = Duration::from_millis(300);

pub fn wait_until(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if f() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Which implementation a node runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// HAProxy 2.6 ([`HAPROXY`]).
    Haproxy,
    /// The binary under test ([`proxy_bin`]; HAProxy itself when
    /// `PROXY_BIN=/usr/sbin/haproxy`).
    Ours,
}

impl Kind {
    pub fn bin(self) -> PathBuf {
        match self {
            Kind::Haproxy => haproxy_bin(),
            Kind::Ours => proxy_bin(),
        }
    }
}

/// [`HAPROXY`], or a panic saying how to get it.
pub fn haproxy_bin() -> PathBuf {
    let p = PathBuf::from(HAPROXY);
    assert!(
        p.exists(),
        "{HAPROXY} is missing: the peers interop tests need HAProxy 2.6 (apt-get install haproxy; .ci/run does it)"
    );
    p
}

/// `global` (the admin stats socket at `${SOCK}`) and `defaults` in `mode`.
pub fn defaults(mode: &str) -> String {
    format!(
        "global\n\
         \x20   stats socket \"${{SOCK}}\" level admin\n\
         \n\
         defaults\n\
         \x20   mode {mode}\n\
         \x20   timeout connect 2s\n\
         \x20   timeout client 10s\n\
         \x20   timeout server 10s\n\
         \n"
    )
}

/// One instance of a [`Cluster`].
#[derive(Debug)]
pub struct Node {
    /// The local peer name (`-L`).
    pub name: String,
    pub kind: Kind,
    /// Its `peer` address port on 127.0.0.1.
    pub peer_port: u16,
    /// `${FEPORT}` for this node.
    pub fe_port: u16,
    /// `${SOCK}`: the admin stats socket.
    pub sock: PathBuf,
    proc: Option<Proxy>,
}

impl Node {
    /// One CLI command on the admin socket.
    pub fn cli(&self, cmd: &str) -> String {
        cli(&self.sock, cmd)
    }

    /// `show table <table>`.
    pub fn show_table(&self, table: &str) -> String {
        self.cli(&format!("show table {table}"))
    }

    pub fn is_running(&self) -> bool {
        self.proc.is_some()
    }

    /// The process, while running.
    pub fn proc(&self) -> Option<&Proxy> {
        self.proc.as_ref()
    }

    /// stderr of the current run (empty when stopped).
    pub fn stderr(&self) -> String {
        self.proc.as_ref().map(Proxy::stderr).unwrap_or_default()
    }

    /// `name (kind)` for messages.
    pub fn label(&self) -> String {
        format!(
            "{} ({:?}: {})",
            self.name,
            self.kind,
            self.kind.bin().display()
        )
    }
}

/// Instances sharing one configuration text, each with its own `-L` name,
/// ports and stats socket.
#[derive(Debug)]
pub struct Cluster {
    pub nodes: Vec<Node>,
    cfg: String,
    dir: TempDir,
}

impl Cluster {
    /// Allocates ports and socket paths for `specs` (name, kind); starts
    /// nothing (see [`Cluster::start`]).
    pub fn new(specs: &[(&str, Kind)]) -> Cluster {
        let dir = TempDir::new();
        let nodes = specs
            .iter()
            .map(|(name, kind)| Node {
                name: (*name).to_string(),
                kind: *kind,
                // Real ports: every node's configuration names every
                // node's peer address, and a node restarts on the same
                // ports (`start_node` again), so neither can be a socket
                // inherited once. Below the ephemeral range, never handed
                // out twice by this process.
                peer_port: free_port(),
                fe_port: free_port(),
                sock: dir.path().join(format!("{name}.sock")),
                proc: None,
            })
            .collect();
        Cluster {
            nodes,
            cfg: String::new(),
            dir,
        }
    }

    /// The `peer <name> 127.0.0.1:<port>` lines of every node (indented,
    /// each ending with a newline), for the `peers` section.
    pub fn peer_lines(&self) -> String {
        self.nodes
            .iter()
            .map(|n| format!("    peer {} 127.0.0.1:{}\n", n.name, n.peer_port))
            .collect()
    }

    /// A temp dir living as long as the cluster.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Starts every node with `cfg`.
    pub fn start(&mut self, cfg: &str) {
        self.cfg = cfg.to_string();
        for i in 0..self.nodes.len() {
            self.start_node(i);
        }
    }

    /// Starts node `i` (again) with the cluster's configuration, and waits
    /// until it listens on its peer port, on `${FEPORT}` when the
    /// configuration uses it, and answers on its stats socket.
    pub fn start_node(&mut self, i: usize) {
        assert!(!self.cfg.is_empty(), "Cluster::start first");
        let uses_fe = self.cfg.contains("${FEPORT}");
        let n = &mut self.nodes[i];
        assert!(n.proc.is_none(), "{} is already running", n.name);
        let _ = std::fs::remove_file(&n.sock);
        let mut p = Proxy::builder(&self.cfg)
            .bin(n.kind.bin())
            .args(["-L", n.name.as_str()])
            .env("SOCK", &n.sock.to_string_lossy())
            .env("FEPORT", &n.fe_port.to_string())
            .no_wait()
            .start();
        let mut want = vec![n.peer_port];
        if uses_fe {
            want.push(n.fe_port);
        }
        let start = Instant::now();
        loop {
            if let Some(st) = p.try_exit() {
                panic!(
                    "{} exited during start-up ({st}); stderr:\n{}",
                    n.label(),
                    p.stderr()
                );
            }
            let have = procnet::listening_ports(p.pid());
            if want.iter().all(|w| have.contains(w)) && UnixStream::connect(&n.sock).is_ok() {
                break;
            }
            assert!(
                start.elapsed() < NODE_START,
                "{} did not listen on {want:?} (peer, frontend) and {} within {NODE_START:?} \
                 (listening: {have:?}); stderr:\n{}",
                n.label(),
                n.sock.display(),
                p.stderr()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        n.proc = Some(p);
    }

    /// Kills node `i` (SIGKILL) and waits for it.
    pub fn stop_node(&mut self, i: usize) {
        let n = &mut self.nodes[i];
        drop(n.proc.take());
    }

    pub fn node(&self, i: usize) -> &Node {
        &self.nodes[i]
    }

    /// Every running node's `show table <table>`, for messages.
    pub fn dump(&self, table: &str) -> String {
        let mut out = String::new();
        for n in self.nodes.iter().filter(|n| n.is_running()) {
            out.push_str(&format!(
                "--- {}:\n{}--- its `show peers`:\n{}--- its stderr:\n{}\n",
                n.label(),
                n.show_table(table),
                n.cli("show peers"),
                n.stderr()
            ));
        }
        out
    }

    /// Waits until every running node's peers section has finished both
    /// resync phases (`show peers` section flags 0x1|0x2, as 2.6 prints
    /// them) and teaches no peer a full lesson (peer flag 0x1). Until then a
    /// late full teach can carry an entry's older value over a newer one:
    /// HAProxy's protocol has no versions, the last message wins.
    pub fn wait_resynced(&self, timeout: Duration) {
        let running: Vec<&Node> = self.nodes.iter().filter(|n| n.is_running()).collect();
        let mut last = String::new();
        let ok = wait_until(timeout, || {
            running.iter().all(|n| {
                last = n.cli("show peers");
                resync_over(&last)
            })
        });
        assert!(
            ok,
            "peers did not finish resyncing within {timeout:?}:\n{last}"
        );
    }

    /// Waits until every running node's masked [`table_lines`] for `table`
    /// are the same, list every key of `keys`, show no entry in use, and
    /// stay so for [`SETTLE`] (a node may still push an entry it released
    /// last: its late update would overwrite a change made next).
    /// Returns the common lines; panics with every table on timeout.
    pub fn wait_converged(
        &self,
        table: &str,
        keys: &[String],
        mask_rates: bool,
        timeout: Duration,
    ) -> Vec<String> {
        let running: Vec<&Node> = self.nodes.iter().filter(|n| n.is_running()).collect();
        let mut last = Vec::new();
        let mut agreed: Option<(Vec<String>, Instant)> = None;
        let ok = wait_until(timeout, || {
            last = running
                .iter()
                .map(|n| table_lines(&n.show_table(table), mask_rates))
                .collect();
            let first = &last[0];
            let have: BTreeSet<String> = entry_keys(first).into_iter().collect();
            let same = last.iter().all(|l| l == first)
                && keys.iter().all(|k| have.contains(k))
                && first
                    .iter()
                    .filter(|l| !l.starts_with('#'))
                    .all(|l| l.contains(" use=0 "));
            if !same {
                agreed = None;
                return false;
            }
            match &agreed {
                Some((lines, since)) if lines == first => since.elapsed() >= SETTLE,
                _ => {
                    agreed = Some((first.clone(), Instant::now()));
                    false
                }
            }
        });
        if !ok {
            let mut msg = format!(
                "the tables {table} did not converge within {timeout:?} (expected keys {keys:?}); masked:\n"
            );
            for (n, l) in running.iter().zip(&last) {
                msg.push_str(&format!("--- {}:\n{}\n", n.label(), l.join("\n")));
            }
            msg.push_str(&self.dump(table));
            panic!("{msg}");
        }
        if std::env::var_os("PEERS_DUMP").is_some() {
            eprintln!("converged {table}:\n{}", last[0].join("\n"));
        }
        last.swap_remove(0)
    }
}

/// Whether a `show peers` dump says the section's resync is over and no
/// full teach is under way (see [`Cluster::wait_resynced`]).
pub fn resync_over(show_peers: &str) -> bool {
    let flags = |line: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix("flags=0x"))
            .and_then(|h| u32::from_str_radix(h, 16).ok())
    };
    let Some(section) = show_peers.lines().next().and_then(flags) else {
        return false;
    };
    // A peer's own flags open its third line: `flags=0x... appctx:...`.
    let peers = show_peers
        .lines()
        .map(str::trim_start)
        .filter(|l| l.starts_with("flags=0x"));
    section & 0x3 == 0x3 && peers.filter_map(flags).all(|f| f & 0x1 == 0)
}

/// `show table` output masked for comparison between instances: entry
/// addresses and `exp=` masked (see [`mask_table`]), and with `mask_rates`
/// the values of `*_rate(<period>)=<v>` too (they decay with time once a
/// period is over, so two reads at different instants may differ); header
/// lines first, then the entry lines sorted; empty lines dropped.
pub fn table_lines(text: &str, mask_rates: bool) -> Vec<String> {
    let masked = mask_table(text, MAX_EXP);
    let mut heads = Vec::new();
    let mut entries = Vec::new();
    for l in masked.lines() {
        if l.is_empty() {
            continue;
        }
        let l = if mask_rates {
            l.split(' ')
                .map(|w| match w.split_once(")=") {
                    Some((name, _)) if name.contains("_rate(") => format!("{name})=R"),
                    _ => w.to_string(),
                })
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            l.to_string()
        };
        if l.starts_with('#') {
            heads.push(l);
        } else {
            entries.push(l);
        }
    }
    entries.sort();
    heads.extend(entries);
    heads
}

/// The keys of [`table_lines`] entries.
pub fn entry_keys(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter_map(|l| l.split(' ').find_map(|w| w.strip_prefix("key=")))
        .map(str::to_string)
        .collect()
}

/// The entry line for `key` in [`table_lines`] output.
pub fn entry<'a>(lines: &'a [String], key: &str) -> Option<&'a str> {
    let want = format!("key={key}");
    lines
        .iter()
        .find(|l| l.split(' ').any(|w| w == want))
        .map(String::as_str)
}

/// Whether an entry line shows `name=value`.
pub fn has_field(line: &str, field: &str) -> bool {
    line.split(' ').any(|w| w == field)
}

// ---------------------------------------------------------------------------
// Wire format.

/// The peers protocol's integer encoding (values < 240 on one byte).
pub fn varint(mut v: u64) -> Vec<u8> {
    let mut out = Vec::new();
    if v < 0xF0 {
        out.push(v as u8);
        return out;
    }
    out.push((v as u8) | 0xF0);
    v = (v - 0xF0) >> 4;
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v = (v - 0x80) >> 7;
    }
    out.push(v as u8);
    out
}

/// Decodes a varint at the start of `buf`: the value and its length, or
/// `None` if `buf` ends first (or the encoding runs past 10 bytes).
pub fn decode_varint(buf: &[u8]) -> Option<(u64, usize)> {
    let b0 = *buf.first()?;
    let mut v = u64::from(b0);
    if v < 0xF0 {
        return Some((v, 1));
    }
    let mut shift = 4u32;
    let mut n = 1;
    loop {
        let b = *buf.get(n)?;
        n += 1;
        v = v.wrapping_add(u64::from(b).checked_shl(shift).unwrap_or(0));
        shift += 7;
        if b < 0x80 {
            return Some((v, n));
        }
        if n >= 10 {
            return None;
        }
    }
}

/// Message classes and types.
pub mod msg {
    pub const CONTROL: u8 = 0;
    pub const ERROR: u8 = 1;
    pub const STICK: u8 = 10;
    pub const RESYNC_REQUEST: u8 = 0x00;
    pub const RESYNC_FINISHED: u8 = 0x01;
    pub const RESYNC_PARTIAL: u8 = 0x02;
    pub const RESYNC_CONFIRM: u8 = 0x03;
    pub const HEARTBEAT: u8 = 0x04;
    pub const ERR_PROTOCOL: u8 = 0x00;
    pub const ERR_SIZELIMIT: u8 = 0x01;
    pub const UPDATE: u8 = 0x80;
    pub const INCUPDATE: u8 = 0x81;
    pub const DEFINE: u8 = 0x82;
    pub const SWITCH: u8 = 0x83;
    pub const ACK: u8 = 0x84;
    pub const UPDATE_TIMED: u8 = 0x85;
    pub const INCUPDATE_TIMED: u8 = 0x86;
}

/// Key types of a table definition.
pub mod key_type {
    pub const SINT: u64 = 2;
    pub const IPV4: u64 = 4;
    pub const IPV6: u64 = 5;
    pub const STRING: u64 = 6;
    pub const BINARY: u64 = 7;
}

/// `class type` (+ varint length and payload when `type & 0x80`).
pub fn frame(class: u8, typ: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = vec![class, typ];
    if typ & 0x80 != 0 {
        out.extend(varint(payload.len() as u64));
        out.extend_from_slice(payload);
    } else {
        assert!(payload.is_empty(), "type {typ:#x} carries no payload");
    }
    out
}

/// A TABLE DEFINITION (10, 0x82). `params`: (data type id, its varint
/// parameters) for the rate and array types.
pub fn define_msg(
    sender_id: u64,
    net_name: &str,
    key_type: u64,
    key_len: u64,
    data_bits: u64,
    expire_ms: u64,
    params: &[(u64, &[u64])],
) -> Vec<u8> {
    let mut p = varint(sender_id);
    p.extend(varint(net_name.len() as u64));
    p.extend_from_slice(net_name.as_bytes());
    p.extend(varint(key_type));
    p.extend(varint(key_len));
    p.extend(varint(data_bits));
    p.extend(varint(expire_ms));
    for (id, vals) in params {
        p.extend(varint(*id));
        for v in *vals {
            p.extend(varint(*v));
        }
    }
    frame(msg::STICK, msg::DEFINE, &p)
}

/// An UPDATE (10, 0x80) with update id `id`, the key bytes as they go on
/// the wire (raw for ip/integer keys), then one varint per value (integer
/// data types only).
pub fn update_msg(id: u32, key: &[u8], values: &[u64]) -> Vec<u8> {
    let mut p = id.to_be_bytes().to_vec();
    p.extend_from_slice(key);
    for v in values {
        p.extend(varint(*v));
    }
    frame(msg::STICK, msg::UPDATE, &p)
}

/// An INCREMENTAL UPDATE (10, 0x81): as [`update_msg`] without the id.
pub fn incupdate_msg(key: &[u8], values: &[u64]) -> Vec<u8> {
    let mut p = key.to_vec();
    for v in values {
        p.extend(varint(*v));
    }
    frame(msg::STICK, msg::INCUPDATE, &p)
}

/// The ACK payload an instance sends for updates up to `id` of the table
/// we defined as `table_id`.
pub fn ack_payload(table_id: u64, id: u32) -> Vec<u8> {
    let mut p = varint(table_id);
    p.extend_from_slice(&id.to_be_bytes());
    p
}

/// One framed message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Msg {
    pub class: u8,
    pub typ: u8,
    pub payload: Vec<u8>,
}

impl Msg {
    pub fn is(&self, class: u8, typ: u8) -> bool {
        self.class == class && self.typ == typ
    }

    pub fn is_update(&self) -> bool {
        self.class == msg::STICK
            && matches!(
                self.typ,
                msg::UPDATE | msg::INCUPDATE | msg::UPDATE_TIMED | msg::INCUPDATE_TIMED
            )
    }

    /// For an update of a table with fixed-size keys of `key_len` bytes:
    /// its parts, or `None` if it is not an update or is too short.
    pub fn split_update(&self, key_len: usize) -> Option<UpdateParts<'_>> {
        if !self.is_update() {
            return None;
        }
        let mut p = &self.payload[..];
        let take4 = |p: &mut &[u8]| -> Option<u32> {
            let (h, t) = p.split_at_checked(4)?;
            *p = t;
            Some(u32::from_be_bytes(h.try_into().ok()?))
        };
        let id = if matches!(self.typ, msg::UPDATE | msg::UPDATE_TIMED) {
            Some(take4(&mut p)?)
        } else {
            None
        };
        let expire = if matches!(self.typ, msg::UPDATE_TIMED | msg::INCUPDATE_TIMED) {
            Some(take4(&mut p)?)
        } else {
            None
        };
        let (key, rest) = p.split_at_checked(key_len)?;
        Some(UpdateParts {
            id,
            expire,
            key,
            rest,
        })
    }
}

/// The parts of an update message ([`Msg::split_update`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UpdateParts<'a> {
    /// The update id (0x80, 0x85).
    pub id: Option<u32>,
    /// The remaining lifetime in ms (0x85, 0x86).
    pub expire: Option<u32>,
    pub key: &'a [u8],
    /// The encoded values.
    pub rest: &'a [u8],
}

impl std::fmt::Display for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:02x} {:02x}", self.class, self.typ)?;
        if self.typ & 0x80 != 0 {
            write!(f, " len={} |", self.payload.len())?;
            for b in &self.payload {
                write!(f, " {b:02x}")?;
            }
        }
        Ok(())
    }
}

/// Parses one message at the start of `buf`: the message and the bytes it
/// used, or `None` if incomplete.
pub fn parse_msg(buf: &[u8]) -> Option<(Msg, usize)> {
    let (&class, rest) = buf.split_first()?;
    let (&typ, rest) = rest.split_first()?;
    if typ & 0x80 == 0 {
        return Some((
            Msg {
                class,
                typ,
                payload: Vec::new(),
            },
            2,
        ));
    }
    let (len, n) = decode_varint(rest)?;
    let len = usize::try_from(len).ok()?;
    let payload = rest.get(n..n.checked_add(len)?)?.to_vec();
    Some((
        Msg {
            class,
            typ,
            payload,
        },
        2 + n + len,
    ))
}

/// What [`RawPeer::next`] saw.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    Msg(Msg),
    /// Orderly close (with `n` unparsed bytes left over).
    Eof(usize),
    /// Reset or another read error.
    Error(String),
    Timeout,
}

/// A hand-driven peer connection.
#[derive(Debug)]
pub struct RawPeer {
    pub s: TcpStream,
    buf: Vec<u8>,
}

impl RawPeer {
    /// Connects to 127.0.0.1:`port`.
    pub fn connect(port: u16) -> RawPeer {
        let s = TcpStream::connect_timeout(&local(port), Duration::from_secs(2))
            .unwrap_or_else(|e| panic!("connect to peer port {port}: {e}"));
        s.set_nodelay(true).expect("nodelay");
        s.set_write_timeout(Some(Duration::from_secs(5)))
            .expect("write timeout");
        RawPeer { s, buf: Vec::new() }
    }

    /// A connection the instance under test opened to us (we play the
    /// remote peer).
    pub fn accepted(s: TcpStream) -> RawPeer {
        s.set_nodelay(true).expect("nodelay");
        s.set_write_timeout(Some(Duration::from_secs(5)))
            .expect("write timeout");
        RawPeer { s, buf: Vec::new() }
    }

    /// Connects, sends `hello` (the three lines, raw) and reads the status
    /// line (`None` if the connection ended or nothing came within 5 s).
    pub fn hello_raw(port: u16, hello: &[u8]) -> (RawPeer, Option<String>) {
        let mut p = RawPeer::connect(port);
        p.send(hello);
        let st = p.read_line(Duration::from_secs(5));
        (p, st)
    }

    /// [`RawPeer::hello_raw`] with `HAProxyS <version>\n<to>\n<from> <pid> 1\n`.
    pub fn hello(port: u16, version: &str, to: &str, from: &str) -> (RawPeer, Option<String>) {
        let h = format!(
            "HAProxyS {version}\n{to}\n{from} {} 1\n",
            std::process::id()
        );
        Self::hello_raw(port, h.as_bytes())
    }

    /// [`RawPeer::hello`] in version 2.1 that must be answered `200`.
    pub fn established(port: u16, to: &str, from: &str) -> RawPeer {
        let (p, st) = Self::hello(port, "2.1", to, from);
        assert_eq!(st.as_deref(), Some("200"), "hello as {from} to {to}");
        p
    }

    pub fn send(&mut self, bytes: &[u8]) {
        self.s
            .write_all(bytes)
            .unwrap_or_else(|e| panic!("send to peer: {e}"));
    }

    /// Sends, tolerating a connection the other side already closed.
    pub fn try_send(&mut self, bytes: &[u8]) -> bool {
        self.s.write_all(bytes).is_ok()
    }

    /// Reads more bytes into the buffer; `Ok(false)` on EOF.
    fn fill(&mut self, deadline: Instant) -> Result<bool, Next> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(Next::Timeout);
        }
        let _ = self.s.set_read_timeout(Some(left));
        let mut tmp = [0u8; 65536];
        loop {
            match self.s.read(&mut tmp) {
                Ok(0) => return Ok(false),
                Ok(n) => {
                    self.buf.extend_from_slice(&tmp[..n]);
                    return Ok(true);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Err(Next::Timeout)
                }
                Err(e) => return Err(Next::Error(e.to_string())),
            }
        }
    }

    /// One `\n`-terminated line (without `\n`), or `None` on close/timeout.
    pub fn read_line(&mut self, timeout: Duration) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=i).collect();
                return Some(String::from_utf8_lossy(&line[..i]).into_owned());
            }
            match self.fill(deadline) {
                Ok(true) => {}
                Ok(false) | Err(_) => return None,
            }
        }
    }

    /// The next message, or how the wait ended.
    pub fn next(&mut self, timeout: Duration) -> Next {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some((m, n)) = parse_msg(&self.buf) {
                self.buf.drain(..n);
                return Next::Msg(m);
            }
            match self.fill(deadline) {
                Ok(true) => {}
                Ok(false) => return Next::Eof(self.buf.len()),
                Err(e) => return e,
            }
        }
    }

    /// Reads messages until one satisfies `pred`: returns it, or panics
    /// (with every message seen) on close or after `timeout`.
    pub fn wait_for(&mut self, timeout: Duration, what: &str, pred: impl Fn(&Msg) -> bool) -> Msg {
        let deadline = Instant::now() + timeout;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left) {
                Next::Msg(m) if pred(&m) => return m,
                Next::Msg(m) => seen.push(m.to_string()),
                end => panic!(
                    "waiting for {what}: {end:?}; messages seen:\n{}",
                    seen.join("\n")
                ),
            }
        }
    }

    /// Reads messages until the connection ends: (messages, how it ended).
    /// `Next::Timeout` if it is still open after `timeout`.
    pub fn until_closed(&mut self, timeout: Duration) -> (Vec<Msg>, Next) {
        let deadline = Instant::now() + timeout;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left) {
                Next::Msg(m) => seen.push(m),
                end => return (seen, end),
            }
        }
    }

    /// Reads messages for `d` (the connection must stay open): the messages.
    /// Panics if the connection ends meanwhile.
    pub fn open_for(&mut self, d: Duration) -> Vec<Msg> {
        let (seen, end) = self.until_closed(d);
        assert_eq!(
            end,
            Next::Timeout,
            "the connection ended; messages seen:\n{}",
            seen.iter()
                .map(Msg::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        );
        seen
    }
}

/// Formats messages one a line, for assertion messages.
pub fn show_msgs(msgs: &[Msg]) -> String {
    msgs.iter()
        .map(Msg::to_string)
        .collect::<Vec<_>>()
        .join("\n")
}
