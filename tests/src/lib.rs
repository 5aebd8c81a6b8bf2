//! End-to-end test support: runs the real `proxy` binary on real loopback
//! sockets.
//!
//! # Overview
//!
//! - [`Proxy::start`] writes a haproxy.cfg into a fresh temp dir, runs
//!   `proxy -db -f <file>` with stdout and stderr captured, and returns once
//!   every `bind` port of the file is listening *in that process* (checked
//!   through `/proc`, never by connecting: a probe would be a real session,
//!   with a log line and a load-balancing decision). If the process exits
//!   first, it panics with the process's stderr. Drop kills it (SIGKILL).
//!   [`Proxy::builder`] adds command-line arguments, environment,
//!   listening sockets the test bound itself ([`BoundPort`], `bind fd@<n>`:
//!   the way every test should give the proxy a port, since it cannot
//!   race), a descriptor to hand over as fd 3, or skips the wait.
//! - Logs: with `log stdout format raw local0` every stdout line is a traffic
//!   log; a background thread collects them ([`Proxy::logs`],
//!   [`Proxy::wait_log`], [`Proxy::log_for`] by client port). stderr is
//!   collected the same way ([`Proxy::stderr`]).
//! - [`run_proxy`] runs one-shot commands (`-c`, `-cc`, `-v`) with a timeout.
//! - [`servers`]: test backends (echo, banner naming the server, sink with a
//!   checksum, silent, reset, late binding, a black hole for connect
//!   timeouts). [`client`]: blocking client helpers with timeouts.
//!   [`tcplog`]: a strict parser of the tcplog line. [`util`]: PRNG,
//!   FNV-64, temp dirs, polling with a deadline, ports below the ephemeral
//!   range (only for the few tests that need the proxy to bind a port
//!   itself). [`bound`]: [`BoundPort`].
//! - HTTP: [`http`] (a recording origin server, a framing-aware client,
//!   curl and Python runners), [`httplog`] (a strict parser of the 2.6
//!   httplog line), [`pools`] (the SIGQUIT pool dump).
//! - Stick tables: [`stick`] (CLI, requests and banners from chosen source
//!   addresses, `show table` output masked for comparisons).
//! - Health checks: [`faulty`] (fake servers whose behaviour a test
//!   switches at run time: refuse, close, hang, HTTP status/body, garbage,
//!   reset, agent lines; counting check connections), [`checks`] (a
//!   scenario's transcript of log lines, `show stat` columns and traffic,
//!   run on our proxy and on HAProxy 2.6 and compared).
//! - Applets: [`applets`] (the fixture libraries built next to the binary,
//!   a copy of the binary alone in a temp dir so that only the libraries a
//!   test names are loaded, one-shot runs of it).
//!
//! The binary is `$PROXY_BIN` if set, else
//! `$CARGO_MANIFEST_DIR/../target/debug/proxy` (built by
//! `cargo build --workspace`). Setting `PROXY_BIN=/usr/sbin/haproxy` runs the
//! same tests against HAProxy 2.6, the reference behaviour.
//!
//! Everything listens on 127.0.0.1; every wait is bounded.

// A test harness reports failures by panicking: unwrap/expect are the point.
#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod applets;
pub mod bound;
pub mod checks;
pub mod client;
pub mod faulty;
pub mod http;
pub mod httplog;
pub mod peers;
pub mod pools;
pub mod procnet;
pub mod servers;
pub mod stick;
pub mod tcplog;
pub mod tlskit;
pub mod util;

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::os::fd::{OwnedFd, RawFd};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

pub use bound::{BoundPort, ClosedPort};
pub use tcplog::TcpLog;
pub use util::{free_port, TempDir};

use command_fds::{CommandFdExt, FdMapping};

/// How long [`Proxy::start`] waits for the listeners.
pub const START_TIMEOUT: Duration = Duration::from_secs(10);

/// The binary under test.
pub fn proxy_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("PROXY_BIN") {
        let p = PathBuf::from(p);
        assert!(p.exists(), "PROXY_BIN={} does not exist", p.display());
        return p;
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/proxy");
    assert!(
        p.exists(),
        "{} is missing: build it first: cargo build --workspace",
        p.display()
    );
    p
}

/// True when the binary under test is HAProxy itself (reference runs).
pub fn is_haproxy() -> bool {
    proxy_bin()
        .file_name()
        .is_some_and(|n| n.to_string_lossy().contains("haproxy"))
}

/// The program name the binary uses in syslog headers (its file name).
pub fn program_name() -> String {
    proxy_bin()
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// `global` + `defaults` for TCP tests: tcplog to stdout, short timeouts.
/// Sections appended after it may override anything.
pub fn tcp_defaults() -> String {
    "global\n\
     \x20   log stdout format raw local0\n\
     \n\
     defaults\n\
     \x20   mode tcp\n\
     \x20   log global\n\
     \x20   option tcplog\n\
     \x20   timeout connect 2s\n\
     \x20   timeout client 10s\n\
     \x20   timeout server 10s\n\
     \n"
    .to_string()
}

/// Lines collected from a child's output by a background thread.
#[derive(Debug, Default)]
pub struct Lines {
    lines: Mutex<Vec<String>>,
    cv: Condvar,
}

impl Lines {
    fn push(&self, l: String) {
        if let Ok(mut v) = self.lines.lock() {
            v.push(l);
        }
        self.cv.notify_all();
    }

    pub fn snapshot(&self) -> Vec<String> {
        self.lines.lock().map(|v| v.clone()).unwrap_or_default()
    }

    /// Waits until a line satisfies `pred`; returns it.
    pub fn wait(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + timeout;
        let mut v = self.lines.lock().ok()?;
        loop {
            if let Some(l) = v.iter().find(|l| pred(l)) {
                return Some(l.clone());
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return None;
            }
            v = self.cv.wait_timeout(v, left).ok()?.0;
        }
    }

    /// Waits until at least `n` lines satisfy `pred`; returns them all.
    pub fn wait_count(
        &self,
        n: usize,
        timeout: Duration,
        pred: impl Fn(&str) -> bool,
    ) -> Result<Vec<String>, Vec<String>> {
        let deadline = Instant::now() + timeout;
        let Ok(mut v) = self.lines.lock() else {
            return Err(Vec::new());
        };
        loop {
            let found: Vec<String> = v.iter().filter(|l| pred(l)).cloned().collect();
            if found.len() >= n {
                return Ok(found);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(found);
            }
            match self.cv.wait_timeout(v, left) {
                Ok(g) => v = g.0,
                Err(_) => return Err(found),
            }
        }
    }
}

fn collect(r: impl Read + Send + 'static, lines: Arc<Lines>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let mut r = BufReader::new(r);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match r.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    let l = String::from_utf8_lossy(&buf);
                    lines.push(l.trim_end_matches(['\n', '\r']).to_string());
                }
            }
        }
    })
}

/// The `ip:port` listeners of a configuration's `bind` lines (ports only;
/// `fd@`, `unix@`, `abns@` entries are skipped).
pub fn bind_ports(cfg: &str) -> Vec<u16> {
    let mut ports = Vec::new();
    for line in cfg.lines() {
        let mut w = line.split_whitespace();
        if w.next() != Some("bind") {
            continue;
        }
        let Some(addrs) = w.next() else { continue };
        for a in addrs.split(',') {
            if a.contains('@') && !a.starts_with("ipv4@") && !a.starts_with("ipv6@") {
                continue;
            }
            if let Some(p) = a.rsplit(':').next().and_then(|p| p.parse::<u16>().ok()) {
                ports.push(p);
            }
        }
    }
    ports
}

/// Builder for a proxy run: extra arguments, environment, inherited
/// descriptors.
#[derive(Debug)]
pub struct ProxyBuilder {
    cfg: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    /// Descriptors for the child: (number in the child, descriptor).
    inherit: Vec<(RawFd, OwnedFd)>,
    /// Inodes of the inherited listeners, to wait for.
    inherited_listeners: Vec<u64>,
    wait_listeners: bool,
    bin: Option<PathBuf>,
    /// Files written beside the configuration (the proxy's working
    /// directory): map and pattern files named by relative paths.
    files: Vec<(String, Vec<u8>)>,
}

impl ProxyBuilder {
    /// Writes `name` with `contents` into the proxy's working directory,
    /// beside its configuration.
    pub fn file(mut self, name: &str, contents: impl Into<Vec<u8>>) -> Self {
        self.files.push((name.to_string(), contents.into()));
        self
    }

    /// Runs this binary instead of [`proxy_bin`] (e.g. HAProxy itself, to
    /// compare both in one test).
    pub fn bin(mut self, path: impl Into<PathBuf>) -> Self {
        self.bin = Some(path.into());
        self
    }

    /// Adds arguments after `-db -f <cfg>`.
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, k: &str, v: &str) -> Self {
        self.env.push((k.to_string(), v.to_string()));
        self
    }

    /// Hands `fd` to the child as descriptor 3 (for `bind fd@3`). Nothing
    /// waits for it; see [`ProxyBuilder::listen`] for listeners.
    pub fn fd3(mut self, fd: OwnedFd) -> Self {
        self.inherit.push((3, fd));
        self
    }

    /// Hands the test's listening socket to the proxy under its number (the
    /// configuration binds it as `bind {port}`, i.e. `fd@<n>`); the test's
    /// copy is closed once the proxy is spawned. [`ProxyBuilder::start`]
    /// waits until the proxy's event loop watches it. Panics if the
    /// configuration does not name it, or if it was handed over already.
    pub fn listen(mut self, port: &BoundPort) -> Self {
        let (n, fd, inode) = port.take();
        let name = format!("fd@{n}");
        let named = self.cfg.lines().any(|l| {
            let mut w = l.split_whitespace();
            w.next() == Some("bind") && w.next().is_some_and(|a| a.split(',').any(|a| a == name))
        });
        assert!(
            named,
            "no `bind {name}` line for port {} in the configuration:\n{}",
            port.port, self.cfg
        );
        self.inherit.push((n, fd));
        self.inherited_listeners.push(inode);
        self
    }

    /// Do not wait for the listeners (e.g. when the config is expected
    /// to fail).
    pub fn no_wait(mut self) -> Self {
        self.wait_listeners = false;
        self
    }

    pub fn start(self) -> Proxy {
        let dir = TempDir::new();
        let cfg_path = dir.write("proxy.cfg", &self.cfg);
        for (name, contents) in &self.files {
            std::fs::write(dir.path().join(name), contents).expect("write a file for the proxy");
        }
        let bin = self.bin.clone().unwrap_or_else(proxy_bin);
        let mut argv: Vec<String> = vec![
            "-db".into(),
            "-f".into(),
            cfg_path.to_string_lossy().into_owned(),
        ];
        argv.extend(self.args.iter().cloned());
        let mut cmd = Command::new(&bin);
        cmd.args(&argv)
            .stdin(Stdio::null())
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        // Each descriptor at its number in the child, close-on-exec cleared
        // there only (our copies stay close-on-exec for other children).
        let mappings = self
            .inherit
            .into_iter()
            .map(|(child_fd, parent_fd)| FdMapping {
                parent_fd,
                child_fd,
            })
            .collect();
        cmd.fd_mappings(mappings)
            .expect("two descriptors for the same number in the child");
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {}: {e}", bin.display()));
        // Drop the command: it holds our copies of the descriptors handed to
        // the child, which must be the only holder (a listener the proxy
        // closes must refuse connections).
        drop(cmd);
        let logs = Arc::new(Lines::default());
        let errs = Arc::new(Lines::default());
        let _ = collect(child.stdout.take().expect("stdout"), logs.clone());
        let _ = collect(child.stderr.take().expect("stderr"), errs.clone());
        let mut p = Proxy {
            child,
            exited: None,
            logs,
            errs,
            cfg_path,
            dir,
        };
        if self.wait_listeners {
            p.wait_listeners(&bind_ports(&self.cfg), &self.inherited_listeners);
        }
        p
    }
}

/// A running proxy process, killed on drop.
#[derive(Debug)]
pub struct Proxy {
    child: Child,
    exited: Option<ExitStatus>,
    logs: Arc<Lines>,
    errs: Arc<Lines>,
    /// The configuration file written for this run.
    pub cfg_path: PathBuf,
    /// The run's temp dir (also the child's working directory).
    pub dir: TempDir,
}

impl Proxy {
    /// Starts `proxy -db -f <cfg>` and waits for its listeners.
    pub fn start(cfg: &str) -> Proxy {
        Self::builder(cfg).start()
    }

    /// Starts `proxy -db -f <cfg>` on the test's listening sockets (the
    /// configuration binds each as `bind {port}`) and waits until it
    /// serves them and its other listeners: shorthand for
    /// `Proxy::builder(cfg).listen(p)...start()`.
    pub fn start_with(cfg: &str, ports: &[&BoundPort]) -> Proxy {
        ports
            .iter()
            .fold(Self::builder(cfg), |b, p| b.listen(p))
            .start()
    }

    pub fn builder(cfg: &str) -> ProxyBuilder {
        ProxyBuilder {
            cfg: cfg.to_string(),
            args: Vec::new(),
            env: Vec::new(),
            inherit: Vec::new(),
            inherited_listeners: Vec::new(),
            wait_listeners: true,
            bin: None,
            files: Vec::new(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits until the proxy listens on `ports` and its event loop watches
    /// the inherited listeners `inodes`.
    fn wait_listeners(&mut self, ports: &[u16], inodes: &[u64]) {
        let want: HashSet<u16> = ports.iter().copied().collect();
        let want_polled: HashSet<u64> = inodes.iter().copied().collect();
        let start = Instant::now();
        loop {
            if let Some(st) = self.try_exit() {
                panic!(
                    "the proxy exited during start-up ({st}); stderr:\n{}\nstdout:\n{}",
                    self.stderr(),
                    self.logs().join("\n")
                );
            }
            let have = procnet::listening_ports(self.pid());
            let polled = if want_polled.is_empty() {
                HashSet::new()
            } else {
                procnet::polled_inodes(self.pid())
            };
            if want.is_subset(&have) && want_polled.is_subset(&polled) {
                return;
            }
            if start.elapsed() > START_TIMEOUT {
                panic!(
                    "the proxy did not listen on {:?} and watch the inherited sockets {:?} within {START_TIMEOUT:?} (listening: {have:?}, watching: {polled:?}); stderr:\n{}",
                    want,
                    want_polled,
                    self.stderr()
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Sends a signal by name (`TERM`, `INT`, `USR1`, ...) with `kill(1)`.
    pub fn signal(&self, sig: &str) {
        let st = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(st.success(), "kill -{sig} {} failed", self.pid());
    }

    /// The exit status, if the process has exited.
    pub fn try_exit(&mut self) -> Option<ExitStatus> {
        if self.exited.is_none() {
            self.exited = self.child.try_wait().ok().flatten();
        }
        self.exited
    }

    /// Waits up to `timeout` for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        util::poll_until(timeout, || self.try_exit())
    }

    /// All stdout lines so far (the traffic logs).
    pub fn logs(&self) -> Vec<String> {
        self.logs.snapshot()
    }

    /// All stderr so far.
    pub fn stderr(&self) -> String {
        self.errs.snapshot().join("\n")
    }

    /// The stderr line collector (to wait for a message).
    pub fn stderr_lines(&self) -> &Lines {
        &self.errs
    }

    /// Waits for a stdout line satisfying `pred`; `None` on timeout.
    pub fn wait_log(&self, pred: impl Fn(&str) -> bool, timeout: Duration) -> Option<String> {
        self.logs.wait(timeout, pred)
    }

    /// Waits for `n` stdout lines satisfying `pred`; panics with the logs
    /// on timeout.
    pub fn wait_logs(
        &self,
        n: usize,
        pred: impl Fn(&str) -> bool,
        timeout: Duration,
    ) -> Vec<String> {
        match self.logs.wait_count(n, timeout, pred) {
            Ok(v) => v,
            Err(found) => panic!(
                "expected {n} matching log lines within {timeout:?}, found {}; all logs:\n{}\nstderr:\n{}",
                found.len(),
                self.logs().join("\n"),
                self.stderr()
            ),
        }
    }

    /// Waits for the tcplog line of the connection whose client port is
    /// `port`, and parses it (panics if absent or malformed).
    pub fn log_for(&self, port: u16, timeout: Duration) -> TcpLog {
        let key = format!(":{port} [");
        let line = self
            .wait_log(|l| l.contains(&key), timeout)
            .unwrap_or_else(|| {
                panic!(
                    "no log line for client port {port} within {timeout:?}; logs:\n{}\nstderr:\n{}",
                    self.logs().join("\n"),
                    self.stderr()
                )
            });
        tcplog::parse(&line).unwrap_or_else(|e| panic!("bad tcplog line {line:?}: {e}"))
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        if self.try_exit().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Result of a one-shot run.
#[derive(Debug, Clone)]
pub struct Output {
    /// Exit code (`None` if killed by a signal).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// stdout and stderr together (HAProxy prints some results on either).
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Runs `proxy <args>` to completion (10 s at most, then kill and panic).
/// `env`: `(name, Some(value))` sets a variable, `(name, None)` removes it.
pub fn run_proxy(args: &[&str], env: &[(&str, Option<&str>)]) -> Output {
    run_proxy_in(args, env, None)
}

/// Same as [`run_proxy`], in working directory `dir`.
pub fn run_proxy_in(args: &[&str], env: &[(&str, Option<&str>)], dir: Option<&Path>) -> Output {
    let mut cmd = Command::new(proxy_bin());
    cmd.args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    let mut child = cmd.spawn().expect("spawn proxy");
    let out = Arc::new(Lines::default());
    let err = Arc::new(Lines::default());
    let t1 = collect(child.stdout.take().expect("stdout"), out.clone());
    let t2 = collect(child.stderr.take().expect("stderr"), err.clone());
    let status = util::poll_until(Duration::from_secs(10), || child.try_wait().ok().flatten());
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "proxy {args:?} did not exit within 10 s; stderr:\n{}",
            err.snapshot().join("\n")
        );
    };
    // The pipes close at exit: the readers finish.
    let _ = t1.join();
    let _ = t2.join();
    Output {
        code: status.code(),
        stdout: out.snapshot().join("\n"),
        stderr: err.snapshot().join("\n"),
    }
}
