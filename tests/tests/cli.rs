//! Command line: `-v`, `-cc <condition>`, `-c` exit codes, `-p <pidfile>`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use tests::client::{connect, echo_roundtrip};
use tests::servers::Backend;
use tests::{is_haproxy, run_proxy, tcp_defaults, BoundPort, Proxy, TempDir};

#[test]
fn version_prints_a_version_line_and_exits_0() {
    let out = run_proxy(&["-v"], &[]);
    assert_eq!(out.code, Some(0), "stderr:\n{}", out.stderr);
    let first = out.stdout.lines().next().unwrap_or_default();
    assert!(
        first.contains(" version "),
        "first line should be '<Name> version <x.y.z> ...': {first:?}"
    );
}

fn cc(cond: &str, env: &[(&str, Option<&str>)]) -> Option<i32> {
    let out = run_proxy(&["-cc", cond], env);
    out.code
}

const NO_FOO_BAR: [(&str, Option<&str>); 2] = [("FOO", None), ("BAR", None)];

#[test]
fn cc_version_atleast_is_true() {
    assert_eq!(cc("version_atleast(2.0)", &[]), Some(0));
}

/// HAProxy's version syntax, against the configuration language level
/// (2.6.12): the same answers as HAProxy 2.6.12 gives.
#[test]
fn cc_versions_in_haproxy_syntax() {
    for (cond, want) in [
        ("version_atleast(2.5-dev0)", 0),
        ("version_atleast(2.6-dev1)", 0),
        ("version_atleast(2.6.12)", 0),
        ("version_before(2.6.13)", 0),
        ("version_before(2.7-dev0)", 0),
        ("version_atleast(2.7-dev0)", 1),
        ("version_before(2.6.12-rc1)", 1),
        ("version_atleast(2.6.12) && version_before(2.6.13-dev0)", 0),
    ] {
        assert_eq!(cc(cond, &[]), Some(want), "{cond}");
    }
}

#[test]
fn cc_streq() {
    assert_eq!(cc("streq(a,b)", &[]), Some(1));
    assert_eq!(cc("streq(a,a)", &[]), Some(0));
}

#[test]
fn cc_defined_with_environment() {
    let cond = "defined(FOO) && !defined(BAR)";
    assert_eq!(cc(cond, &NO_FOO_BAR), Some(1), "neither defined");
    assert_eq!(
        cc(cond, &[("FOO", Some("1")), ("BAR", None)]),
        Some(0),
        "FOO only"
    );
    assert_eq!(
        cc(cond, &[("FOO", Some("1")), ("BAR", Some("1"))]),
        Some(1),
        "FOO and BAR"
    );
    assert_eq!(
        cc(
            "defined(FOO) || defined(BAR)",
            &[("FOO", None), ("BAR", Some("x"))]
        ),
        Some(0)
    );
}

#[test]
fn cc_syntax_error_exits_2() {
    let out = run_proxy(&["-cc", "foo("], &[]);
    assert_eq!(out.code, Some(2), "stderr:\n{}", out.stderr);
    assert!(
        out.stderr.contains("foo("),
        "the error should quote the expression:\n{}",
        out.stderr
    );
}

#[test]
fn check_without_listener_exits_2() {
    let dir = TempDir::new();
    let p = dir.write(
        "nolisten.cfg",
        "defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n\nbackend be\n    server s1 127.0.0.1:9\n",
    );
    let out = run_proxy(&["-c", "-f", &p.to_string_lossy()], &[]);
    assert_eq!(
        out.code,
        Some(2),
        "stdout:\n{}\nstderr:\n{}",
        out.stdout,
        out.stderr
    );
}

fn echo_listen_cfg(fe: &BoundPort, server_port: u16) -> String {
    format!(
        "{}listen l\n    bind {fe}\n    server s1 127.0.0.1:{server_port}\n",
        tcp_defaults()
    )
}

fn read_pidfile(path: &Path) -> u32 {
    let text = tests::util::poll_until(Duration::from_secs(3), || {
        std::fs::read_to_string(path)
            .ok()
            .filter(|t| t.ends_with('\n'))
    })
    .unwrap_or_else(|| panic!("pidfile {} not written", path.display()));
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "one pid per line, one process: {text:?}");
    lines[0]
        .parse()
        .unwrap_or_else(|e| panic!("pidfile content {text:?}: {e}"))
}

/// Foreground (`-db`) with `-p`: the pidfile holds the process's pid.
/// (HAProxy 2.6 writes the pidfile only in daemon/master-worker mode, so this
/// one is checked against our proxy only.)
#[test]
fn pidfile_in_foreground() {
    if is_haproxy() {
        eprintln!("skipped: HAProxy 2.6 ignores -p without -D/-W");
        return;
    }
    let be = Backend::echo();
    let fe = BoundPort::new();
    let port = fe.port;
    let dir = TempDir::new();
    let pidfile = dir.path().join("proxy.pid");
    let px = Proxy::builder(&echo_listen_cfg(&fe, be.port))
        .listen(&fe)
        .args(["-p", &pidfile.to_string_lossy()])
        .start();
    assert_eq!(read_pidfile(&pidfile), px.pid(), "pidfile content");
    let mut c = connect(port);
    echo_roundtrip(&mut c, b"pid ok\n");
}

/// Kills a daemon by pid when dropped (it is not our child).
struct KillOnDrop(u32);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-KILL", &self.0.to_string()])
            .stderr(Stdio::null())
            .status();
    }
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .map(|s| s.contains(") Z "))
            .unwrap_or(true)
}

/// Daemon mode (`-D -p`): the launcher exits 0, the pidfile holds the
/// daemon's pid, and that process serves the listener.
#[test]
fn pidfile_in_daemon_mode() {
    let be = Backend::echo();
    let fe = BoundPort::new();
    let port = fe.port;
    let dir = TempDir::new();
    let cfg = dir.write("d.cfg", &echo_listen_cfg(&fe, be.port));
    let pidfile = dir.path().join("daemon.pid");
    // The command is dropped with the block, and with it our copy of the
    // socket: the daemon alone holds it.
    let mut launcher = {
        let mut cmd = Command::new(tests::proxy_bin());
        cmd.args(["-D", "-f"])
            .arg(&cfg)
            .arg("-p")
            .arg(&pidfile)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        fe.pass_to(&mut cmd);
        cmd.spawn().expect("spawn")
    };
    let st = tests::util::poll_until(Duration::from_secs(10), || {
        launcher.try_wait().ok().flatten()
    });
    let Some(st) = st else {
        let _ = launcher.kill();
        let _ = launcher.wait();
        panic!("-D: the launching process did not exit");
    };
    // Read the pid first so that the daemon gets killed whatever happens.
    let pid = read_pidfile(&pidfile);
    let _guard = KillOnDrop(pid);
    assert!(st.success(), "-D launcher exit status {st}");
    assert_ne!(
        pid,
        launcher.id(),
        "the pidfile must hold the daemon, not the launcher"
    );
    assert!(alive(pid), "daemon {pid} not running");
    let listening = tests::util::poll_until(Duration::from_secs(5), || {
        tests::procnet::listening_ports(pid)
            .contains(&port)
            .then_some(())
    });
    assert!(
        listening.is_some(),
        "daemon {pid} does not listen on {port}"
    );
    let mut c = connect(port);
    echo_roundtrip(&mut c, b"daemon ok\n");
}
