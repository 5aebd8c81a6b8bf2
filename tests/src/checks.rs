//! Health-check scenarios as transcripts: run one configuration on a given
//! binary, drive [`crate::faulty`] servers through faults, and record at
//! each step (once the state has settled) the health-check log lines, the
//! check columns of `show stat` and where traffic went. The same scenario
//! on our proxy and on HAProxy 2.6 must give the same transcript
//! ([`compare`]).
//!
//! Normalisation is limited to what depends on timing: `check duration:
//! <n>ms` becomes `check duration: Nms`, and within one step the log lines
//! are grouped by server (stable: each server's own lines keep their
//! order), because two servers checked in the same interval may log in
//! either order; `show stat`'s `* ` before a status (a check in progress)
//! is dropped. Traffic log lines (they start with the client address) are
//! left out.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::faulty::TRAFFIC_PREFIX;
use crate::{client, is_haproxy, proxy_bin, stick, BoundPort, Proxy, TempDir};

/// Where HAProxy 2.6 is installed (`.ci/run` installs it through apt).
pub const HAPROXY: &str = "/usr/sbin/haproxy";

/// How long a step may take to settle: generous, for a loaded 2-core CI
/// machine (a settled step usually takes well under a second).
pub const SETTLE: Duration = Duration::from_secs(20);

/// The columns of `show stat` every snapshot records for a server.
pub const BASE_COLS: &[&str] = &[
    "status",
    "weight",
    "act",
    "bck",
    "chkfail",
    "chkdown",
    "check_status",
    "check_code",
    "last_chk",
    "check_desc",
    "check_rise",
    "check_fall",
    "check_health",
];

/// `global` + `defaults` + a frontend `fe` on `fe` whose default backend
/// is `be`: logs on stdout (raw), an admin stats socket at `sock`, short
/// check timeouts. One thread: HAProxy 2.6 dropped a log line to stdout
/// now and then with two threads (seen with 40 servers changing state at
/// once), which would make the transcripts differ by chance. `body` adds
/// the backends (and may add other sections).
pub fn config(fe: &BoundPort, sock: &Path, body: &str) -> String {
    format!(
        "global\n\
         \x20   nbthread 1\n\
         \x20   log stdout format raw local0\n\
         \x20   stats socket {} level admin\n\
         \n\
         defaults\n\
         \x20   mode http\n\
         \x20   log global\n\
         \x20   timeout connect 1s\n\
         \x20   timeout client 5s\n\
         \x20   timeout server 5s\n\
         \x20   timeout check 1s\n\
         \n\
         frontend fe\n\
         \x20   bind {fe}\n\
         \x20   default_backend be\n\
         \n\
         {body}",
        sock.display()
    )
}

/// One parsed `show stat`.
#[derive(Debug, Clone, Default)]
pub struct Stat {
    rows: Vec<BTreeMap<String, String>>,
    raw: String,
}

impl Stat {
    pub fn parse(text: &str) -> Stat {
        let mut lines = text.lines();
        let head: Vec<String> = lines
            .next()
            .unwrap_or_default()
            .trim_start_matches("# ")
            .split(',')
            .map(str::to_string)
            .collect();
        let rows = lines
            .filter(|l| !l.is_empty())
            .map(|l| {
                head.iter()
                    .cloned()
                    .zip(l.split(',').map(str::to_string))
                    .collect()
            })
            .collect();
        Stat {
            rows,
            raw: text.to_string(),
        }
    }

    /// The value of `col` in the row `px`/`sv` (empty if absent), without
    /// the `* ` HAProxy puts before `check_status` and `agent_status`
    /// while a check runs.
    pub fn get(&self, px: &str, sv: &str, col: &str) -> &str {
        let v = self.get_raw(px, sv, col);
        if col.ends_with("_status") {
            v.trim_start_matches("* ")
        } else {
            v
        }
    }

    /// The value of `col` in the row `px`/`sv` as shown (empty if absent).
    pub fn get_raw(&self, px: &str, sv: &str, col: &str) -> &str {
        self.rows
            .iter()
            .find(|r| {
                r.get("pxname").map(String::as_str) == Some(px)
                    && r.get("svname").map(String::as_str) == Some(sv)
            })
            .and_then(|r| r.get(col))
            .map_or("", String::as_str)
    }

    /// The servers (not FRONTEND/BACKEND rows) of backend `px`, in order.
    pub fn servers(&self, px: &str) -> Vec<String> {
        self.rows
            .iter()
            .filter(|r| r.get("pxname").map(String::as_str) == Some(px))
            .filter_map(|r| r.get("svname").cloned())
            .filter(|s| s != "FRONTEND" && s != "BACKEND")
            .collect()
    }

    /// The whole CSV, for failure messages.
    pub fn raw(&self) -> &str {
        &self.raw
    }
}

/// `check duration: 12ms` -> `check duration: Nms`.
pub fn normalise(line: &str) -> String {
    let key = "check duration: ";
    let Some(i) = line.find(key) else {
        return line.to_string();
    };
    let start = i + key.len();
    let digits = line[start..]
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(line.len() - start);
    format!("{}N{}", &line[..start], &line[start + digits..])
}

/// The `backend/server` a log line is about, for grouping (`be/~` for a
/// backend's own lines, `~` otherwise).
fn line_key(line: &str) -> String {
    for w in ["server ", "Server "] {
        if let Some(i) = line.find(w) {
            let rest = &line[i + w.len()..];
            let name = rest
                .split([' ', ','])
                .next()
                .unwrap_or_default()
                .trim_end_matches('.');
            if name.contains('/') {
                return name.to_string();
            }
        }
    }
    if let Some(rest) = line
        .strip_prefix("backend ")
        .or_else(|| line.strip_prefix("Backend "))
    {
        let be = rest.split(' ').next().unwrap_or_default();
        return format!("{be}/~");
    }
    "~".to_string()
}

/// True for a traffic log line: it starts with the client's address, or
/// is the `Connect from` line of `mode http` without `option httplog`.
fn is_traffic_log(line: &str) -> bool {
    line.starts_with(|c: char| c.is_ascii_digit()) || line.starts_with("Connect from ")
}

/// A `show stat` cell as recorded: `check_status` and `agent_status` lose
/// the `* ` HAProxy puts before them while a check is in progress (when a
/// check runs relative to the snapshot is timing).
fn cell(col: &str, v: &str) -> String {
    if col.ends_with("_status") {
        v.trim_start_matches("* ").to_string()
    } else {
        v.to_string()
    }
}

/// A scenario run on one binary.
#[derive(Debug)]
pub struct Run {
    pub px: Proxy,
    pub sock: PathBuf,
    pub fe: u16,
    /// Log lines already put in the transcript.
    seen: usize,
    pub transcript: Vec<String>,
    /// Columns recorded for each server row.
    pub cols: Vec<&'static str>,
    /// Backends whose server rows are recorded.
    pub backends: Vec<String>,
    /// Interval that counts as "the logs are quiet".
    pub quiet: Duration,
    _dir: TempDir,
}

impl Run {
    /// Starts `bin` with [`config`]`(fe, sock, body)`; the recorded
    /// backends are `backends`.
    pub fn start(bin: &Path, body: &str, backends: &[&str]) -> Run {
        let dir = TempDir::new();
        let sock = dir.path().join("admin.sock");
        let fe = BoundPort::new();
        let cfg = config(&fe, &sock, body);
        let px = Proxy::builder(&cfg).listen(&fe).bin(bin).start();
        let run = Run {
            px,
            sock,
            fe: fe.port,
            seen: 0,
            transcript: Vec::new(),
            cols: BASE_COLS.to_vec(),
            backends: backends.iter().map(|s| s.to_string()).collect(),
            quiet: Duration::from_millis(500),
            _dir: dir,
        };
        // The stats socket is bound once the proxy listens on its frontend.
        let ok = crate::util::poll_until(Duration::from_secs(10), || {
            std::os::unix::net::UnixStream::connect(&run.sock).ok()
        });
        assert!(
            ok.is_some(),
            "no stats socket; stderr:\n{}",
            run.px.stderr()
        );
        run
    }

    /// Adds columns to record (e.g. the agent's).
    pub fn with_cols(mut self, cols: &[&'static str]) -> Run {
        self.cols.extend_from_slice(cols);
        self
    }

    /// One CLI command's answer.
    pub fn cli(&self, cmd: &str) -> String {
        stick::cli(&self.sock, cmd)
    }

    /// A CLI command whose answer goes into the transcript.
    pub fn cli_step(&mut self, cmd: &str) {
        let out = self.cli(cmd);
        self.transcript
            .push(format!("cli {cmd:?} -> {:?}", out.trim_end()));
    }

    pub fn stat(&self) -> Stat {
        Stat::parse(&self.cli("show stat"))
    }

    /// The health lines (not traffic) logged so far, raw.
    pub fn health_logs(&self) -> Vec<String> {
        self.px
            .logs()
            .into_iter()
            .filter(|l| !is_traffic_log(l))
            .collect()
    }

    /// Polls `show stat` until `pred` holds (panics after [`SETTLE`] with
    /// the logs and the last CSV), then until the logs have been quiet for
    /// [`Run::quiet`] (at most [`SETTLE`] more); returns a `show stat`
    /// taken when no check of the recorded backends was under way (where
    /// `pred` must still hold).
    pub fn settle(&mut self, what: &str, pred: impl Fn(&Stat) -> bool) -> Stat {
        let deadline = Instant::now() + SETTLE;
        let mut st;
        loop {
            st = self.stat();
            if pred(&st) {
                break;
            }
            if Instant::now() > deadline {
                panic!(
                    "{}: step {what:?} did not settle within {SETTLE:?}; show stat:\n{}\nlogs:\n{}\nstderr:\n{}\ntranscript so far:\n{}",
                    proxy_name(self),
                    st.raw(),
                    self.health_logs().join("\n"),
                    self.px.stderr(),
                    self.transcript.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.wait_quiet();
        // A snapshot taken while a check runs shows it half done (HAProxy
        // 2.6: `* ` before the status, `check_code` 0, `last_chk` and
        // `last_agt` empty): take one where no check of the recorded
        // backends runs (and `pred` holds).
        loop {
            st = self.stat();
            if pred(&st) && !self.check_running(&st) {
                return st;
            }
            if Instant::now() > deadline + SETTLE {
                panic!(
                    "step {what:?}: no moment without a check running where the state holds within {SETTLE:?}; show stat:\n{}\nlogs:\n{}",
                    st.raw(),
                    self.health_logs().join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(3));
        }
    }

    /// True if a check or an agent check of a recorded backend is under way
    /// in `st` (its status starts with `* `).
    fn check_running(&self, st: &Stat) -> bool {
        self.backends.iter().any(|be| {
            st.servers(be).iter().any(|sv| {
                ["check_status", "agent_status"]
                    .iter()
                    .any(|c| st.get_raw(be, sv, c).starts_with("* "))
            })
        })
    }

    /// Waits until no log line arrived for [`Run::quiet`] (bounded).
    pub fn wait_quiet(&self) {
        let deadline = Instant::now() + SETTLE;
        let mut n = self.px.logs().len();
        let mut since = Instant::now();
        while Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(25));
            let m = self.px.logs().len();
            if m != n {
                n = m;
                since = Instant::now();
            } else if since.elapsed() >= self.quiet {
                return;
            }
        }
    }

    /// Settles (see [`Run::settle`]), then records the step: its name, the
    /// health log lines since the previous step (normalised, grouped by
    /// server) and the recorded columns of every server of the recorded
    /// backends, plus the backend's `status`, `act` and `bck`.
    pub fn step(&mut self, name: &str, pred: impl Fn(&Stat) -> bool) -> Stat {
        let st = self.settle(name, pred);
        self.record(name, &st);
        st
    }

    /// Records a step without waiting (the state is known to be settled).
    pub fn record(&mut self, name: &str, st: &Stat) {
        self.transcript.push(format!("== {name}"));
        let logs = self.px.logs();
        let mut new: Vec<(String, String)> = logs[self.seen.min(logs.len())..]
            .iter()
            .filter(|l| !is_traffic_log(l))
            .map(|l| (line_key(l), normalise(l)))
            .collect();
        self.seen = logs.len();
        new.sort_by(|a, b| a.0.cmp(&b.0));
        self.transcript
            .extend(new.into_iter().map(|(_, l)| format!("log {l}")));
        for be in self.backends.clone() {
            for sv in st.servers(&be) {
                let cells: Vec<String> = self
                    .cols
                    .iter()
                    .map(|c| format!("{c}={}", cell(c, st.get(&be, &sv, c))))
                    .collect();
                self.transcript
                    .push(format!("stat {be}/{sv} {}", cells.join(" ")));
            }
            self.transcript.push(format!(
                "stat {be}/BACKEND status={} act={} bck={} chkdown={}",
                st.get(&be, "BACKEND", "status"),
                st.get(&be, "BACKEND", "act"),
                st.get(&be, "BACKEND", "bck"),
                st.get(&be, "BACKEND", "chkdown"),
            ));
        }
    }

    /// Sends `n` requests (one connection each) through the frontend and
    /// counts who answered: the server's name for a 200, else `<status>`.
    pub fn traffic(&self, n: usize) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for i in 0..n {
            let mut s = client::connect(self.fe);
            s.write_all(
                format!("GET {TRAFFIC_PREFIX}{i} HTTP/1.1\r\nhost: t\r\nconnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .expect("write request");
            let got = client::read_to_eof(&mut s, Duration::from_secs(10)).expect("read answer");
            let text = String::from_utf8_lossy(&got);
            let status = text.split(' ').nth(1).unwrap_or("none").to_string();
            let who = if status == "200" {
                text.split("\r\n\r\n")
                    .nth(1)
                    .unwrap_or_default()
                    .to_string()
            } else {
                status
            };
            *m.entry(who).or_insert(0) += 1;
        }
        m
    }

    /// [`Run::traffic`] recorded in the transcript as `traffic a=2 b=2`.
    pub fn traffic_step(&mut self, n: usize) -> BTreeMap<String, usize> {
        let m = self.traffic(n);
        let cells: Vec<String> = m.iter().map(|(k, v)| format!("{k}={v}")).collect();
        self.transcript.push(format!("traffic {}", cells.join(" ")));
        m
    }

    /// A free-form transcript line.
    pub fn note(&mut self, line: String) {
        self.transcript.push(line);
    }
}

fn proxy_name(_run: &Run) -> String {
    proxy_bin().display().to_string()
}

/// Runs `scenario` on the binary under test and, when that is not HAProxy
/// and HAProxy is installed, on HAProxy too; `shape` checks each
/// transcript (so that a run that went wrong on both sides still fails),
/// and the two must be equal. With `PROXY_BIN=/usr/sbin/haproxy` only the
/// HAProxy run happens.
pub fn compare(scenario: impl Fn(&Path) -> Vec<String>, shape: impl Fn(&[String])) {
    if !is_haproxy() && Path::new(HAPROXY).exists() {
        let reference = scenario(Path::new(HAPROXY));
        print_transcript("HAProxy 2.6", &reference);
        shape(&reference);
        let ours = scenario(&proxy_bin());
        print_transcript("ours", &ours);
        if ours != reference {
            panic!(
                "transcripts differ\n--- HAProxy 2.6\n{}\n--- ours\n{}\n--- first difference: {:?}",
                reference.join("\n"),
                ours.join("\n"),
                reference
                    .iter()
                    .zip(&ours)
                    .position(|(a, b)| a != b)
                    .map(|i| (&reference[i], &ours[i]))
            );
        }
    } else {
        let t = scenario(&proxy_bin());
        print_transcript(&proxy_bin().display().to_string(), &t);
        shape(&t);
    }
}

/// Prints a transcript on stderr (shown by `cargo test` on failure, or
/// always with `--nocapture`).
fn print_transcript(who: &str, t: &[String]) {
    let test = std::thread::current().name().unwrap_or("?").to_string();
    eprintln!("--- transcript of {test} on {who}\n{}\n---", t.join("\n"));
}

/// Asserts that `t` contains `line` (exactly), with the transcript in the
/// message.
#[track_caller]
pub fn has(t: &[String], line: &str) {
    assert!(
        t.iter().any(|l| l == line),
        "no line {line:?} in the transcript:\n{}",
        t.join("\n")
    );
}

/// The lines of step `name` (after its `== name` header, up to the next).
pub fn step_lines<'a>(t: &'a [String], name: &str) -> &'a [String] {
    let head = format!("== {name}");
    let Some(i) = t.iter().position(|l| *l == head) else {
        panic!("no step {name:?} in the transcript:\n{}", t.join("\n"));
    };
    let end = t[i + 1..]
        .iter()
        .position(|l| l.starts_with("== "))
        .map_or(t.len(), |j| i + 1 + j);
    &t[i + 1..end]
}

/// Asserts that step `name` contains `line`.
#[track_caller]
pub fn step_has(t: &[String], name: &str, line: &str) {
    let s = step_lines(t, name);
    assert!(
        s.iter().any(|l| l == line),
        "step {name:?} has no line {line:?}; it has:\n{}\nwhole transcript:\n{}",
        s.join("\n"),
        t.join("\n")
    );
}

/// Asserts that step `name` has a line starting with `prefix` and
/// containing every one of `parts`.
#[track_caller]
pub fn step_has_parts(t: &[String], name: &str, prefix: &str, parts: &[&str]) {
    let s = step_lines(t, name);
    assert!(
        s.iter()
            .any(|l| l.starts_with(prefix) && parts.iter().all(|p| l.contains(p))),
        "step {name:?} has no line {prefix:?}... with {parts:?}; it has:\n{}",
        s.join("\n")
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalise_and_keys() {
        assert_eq!(
            normalise("a, check duration: 1001ms, status: 0/2 DOWN."),
            "a, check duration: Nms, status: 0/2 DOWN."
        );
        assert_eq!(normalise("no duration"), "no duration");
        assert_eq!(
            line_key("Health check for server be/s1 failed, reason: x"),
            "be/s1"
        );
        assert_eq!(line_key("Server be/s2 is DOWN. 0 active"), "be/s2");
        assert_eq!(line_key("backend be has no server available!"), "be/~");
        assert!(is_traffic_log("127.0.0.1:4000 [07/Dec/2026:...] fe be/s1"));
        assert!(is_traffic_log(
            "Connect from 127.0.0.1:47626 to 127.0.0.1:33093 (fe/HTTP)"
        ));
        assert_eq!(cell("check_status", "* L7TOUT"), "L7TOUT");
        assert_eq!(cell("last_chk", "* x"), "* x");
    }

    #[test]
    fn stat_parse() {
        let st = Stat::parse("# pxname,svname,status\nbe,s1,UP\nbe,BACKEND,UP\n");
        assert_eq!(st.get("be", "s1", "status"), "UP");
        assert_eq!(st.servers("be"), ["s1"]);
        assert_eq!(st.get("be", "s2", "status"), "");
        let st = Stat::parse("# pxname,svname,check_status,last_chk\nbe,s1,* L4CON,* x\n");
        assert_eq!(st.get("be", "s1", "check_status"), "L4CON");
        assert_eq!(st.get_raw("be", "s1", "check_status"), "* L4CON");
        assert_eq!(st.get("be", "s1", "last_chk"), "* x");
    }
}
