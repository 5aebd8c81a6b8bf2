//! Server states across a reload (`server-state-file`,
//! `load-server-state-from-file global`): servers put in maintenance,
//! drain, another weight and down, their `show servers state` saved to
//! the file, then a new process started with `-sf <old pid>`; the new
//! process must come up with the same states, and print the same
//! start-up warnings, as HAProxy 2.6 on the same steps.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::time::Duration;

use tests::servers::Backend;
use tests::stick::cli;
use tests::util::poll_until;
use tests::{is_haproxy, proxy_bin, BoundPort, ClosedPort, Proxy, TempDir};

const HAPROXY: &str = "/usr/sbin/haproxy";
const T: Duration = Duration::from_secs(10);

fn config(fe: &BoundPort, sock: &Path, state: &Path, ups: &[u16], down: u16) -> String {
    format!(
        "global\n\
         \x20   stats socket {} level admin\n\
         \x20   server-state-file {}\n\
         defaults\n\
         \x20   mode tcp\n\
         \x20   timeout connect 1s\n\
         \x20   timeout client 5s\n\
         \x20   timeout server 5s\n\
         \x20   load-server-state-from-file global\n\
         backend be\n\
         \x20   server s1 127.0.0.1:{} check inter 500\n\
         \x20   server s2 127.0.0.1:{} check inter 500\n\
         \x20   server s3 127.0.0.1:{} check inter 500 weight 100\n\
         \x20   server s4 127.0.0.1:{down} check inter 500\n\
         \x20   server s5 127.0.0.1:{} check inter 500\n\
         frontend fe\n\
         \x20   bind {fe}\n\
         \x20   default_backend be\n",
        sock.display(),
        state.display(),
        ups[0],
        ups[1],
        ups[2],
        ups[3],
    )
}

/// `show servers state` with the run-dependent columns masked: the
/// backend id (HAProxy counts its CLI's proxy), the seconds since the
/// last change and the port (the test servers' ports change each run).
fn masked_state(out: &str) -> String {
    out.lines()
        .map(|l| {
            if l.starts_with('#') || !l.contains(' ') {
                return format!("{l}\n");
            }
            let mut f: Vec<&str> = l.split(' ').collect();
            for i in [0, 9, 18] {
                if let Some(x) = f.get_mut(i) {
                    *x = "*";
                }
            }
            format!("{}\n", f.join(" "))
        })
        .collect()
}

/// The server rows of `show stat`: name, status, weight, chkdown.
fn stat_columns(out: &str) -> String {
    let mut lines = out.lines();
    let head: Vec<&str> = lines
        .next()
        .unwrap_or_default()
        .trim_start_matches("# ")
        .split(',')
        .collect();
    let col = |n: &str| head.iter().position(|h| *h == n).unwrap();
    let cols = [col("svname"), col("status"), col("weight"), col("chkdown")];
    lines
        .filter(|l| l.starts_with("be,"))
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            let picked: Vec<&str> = cols
                .iter()
                .map(|&i| f.get(i).copied().unwrap_or(""))
                .collect();
            format!("{}\n", picked.join(","))
        })
        .collect()
}

/// The whole scenario on `bin`; returns its transcript.
fn reload_transcript(bin: &Path) -> String {
    let dir = TempDir::new();
    let state = dir.path().join("state");
    let ups: Vec<Backend> = (0..4).map(|_| Backend::echo()).collect();
    let up_ports: Vec<u16> = ups.iter().map(|b| b.port).collect();
    let down = ClosedPort::new();
    let mut out = String::new();

    let fe1 = BoundPort::new();
    let sock1 = dir.path().join("old.sock");
    let cfg1 = config(&fe1, &sock1, &state, &up_ports, down.port);
    let mut old = Proxy::builder(&cfg1).listen(&fe1).bin(bin).start();
    // Every check has run once (no status `INI` left) and s4 is down.
    let checked = poll_until(T, || {
        let s = cli(&sock1, "show servers state be");
        let rows: Vec<Vec<&str>> = s
            .lines()
            .filter(|l| l.contains(" be "))
            .map(|l| l.split(' ').collect())
            .collect();
        let ran = rows.len() == 5 && rows.iter().all(|r| r.get(10) != Some(&"1"));
        let s4_down = rows
            .iter()
            .any(|r| r.get(3) == Some(&"s4") && r.get(5) == Some(&"0"));
        (ran && s4_down).then_some(())
    });
    assert!(
        checked.is_some(),
        "the checks did not settle:\n{}",
        old.stderr()
    );
    for cmd in [
        "set server be/s1 state maint",
        "set server be/s2 state drain",
        "set weight be/s3 50",
        "disable health be/s5",
    ] {
        out.push_str(&format!("> {cmd}\n{}", cli(&sock1, cmd)));
    }
    let saved = cli(&sock1, "show servers state");
    std::fs::write(&state, &saved).unwrap();
    out.push_str(&format!("saved:\n{}", masked_state(&saved)));

    let fe2 = BoundPort::new();
    let sock2 = dir.path().join("new.sock");
    let cfg2 = config(&fe2, &sock2, &state, &up_ports, down.port);
    let new = Proxy::builder(&cfg2)
        .listen(&fe2)
        .bin(bin)
        .args(["-sf".to_string(), old.pid().to_string()])
        .start();
    let after = cli(&sock2, "show servers state");
    let stat = cli(&sock2, "show stat");
    assert!(
        old.wait_exit(T).is_some(),
        "the old process did not stop after -sf"
    );
    out.push_str(&format!(
        "after reload:\n{}stat:\n{}",
        masked_state(&after),
        stat_columns(&stat)
    ));
    let last = new
        .stderr_lines()
        .wait(T, |l| l.contains("be/s4"))
        .unwrap_or_else(|| panic!("no start-up line for s4:\n{}", new.stderr()));
    assert!(last.contains("changed from server-state after a reload"));
    out.push_str("start-up warnings:\n");
    for l in new.stderr().lines().filter(|l| l.contains(" : config : ")) {
        let msg = l.split_once(") : ").map_or(l, |x| x.1);
        out.push_str(&format!("{msg}\n"));
    }
    out
}

#[test]
fn server_states_survive_a_reload_as_in_haproxy() {
    let ours = reload_transcript(&proxy_bin());
    eprintln!("{}:\n{ours}", proxy_bin().display());
    // What must hold whatever the reference says.
    let after = ours.split("after reload:\n").nth(1).unwrap();
    for want in [
        "* be 1 s1 127.0.0.1 0 1 1 1 * ",
        "* be 2 s2 127.0.0.1 2 8 1 1 * ",
        "* be 3 s3 127.0.0.1 2 0 50 100 * ",
        "* be 4 s4 127.0.0.1 0 0 1 1 * ",
        "s1,MAINT,1,1\n",
        "s2,DRAIN,1,0\n",
        "s3,UP,50,0\n",
        "s4,DOWN,1,1\n",
        "s5,no check,1,\n",
        "config : Server be/s2 remains in forced drain mode.\n",
    ] {
        assert!(after.contains(want), "missing {want:?} in:\n{after}");
    }
    if is_haproxy() || !Path::new(HAPROXY).exists() {
        return;
    }
    let theirs = reload_transcript(Path::new(HAPROXY));
    assert_eq!(ours, theirs, "ours (left) and HAProxy 2.6 (right) differ");
}
