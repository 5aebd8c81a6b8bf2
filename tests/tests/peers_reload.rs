//! A reload keeps the stick tables: the usual `peers` section naming only
//! the local peer, and a new process started with `-sf <old pid>` on the
//! same ports. The old process connects to the new one on the local peer's
//! address, teaches it every entry, then exits; the new one serves on the
//! same frontend port meanwhile (SO_REUSEPORT, as HAProxy).
//!
//! HAProxy 2.6 started in the foreground (`-db`) does not hand its tables
//! over this way on this machine (checked by hand: the new process starts
//! empty), so the hand-over assertions run on our binary only; a new
//! HAProxy learning from our old process is tested as a second case.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Duration;

use tests::peers::{entry, haproxy_bin, has_field, table_lines, wait_until};
use tests::stick::{cli, get_from};
use tests::{free_port, is_haproxy, Proxy, TempDir};

const T: Duration = Duration::from_secs(10);

fn ip(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, last)
}

fn cfg(sock: &Path, fe: u16, peer: u16) -> String {
    format!(
        "global\n\
         \x20   stats socket {} level admin\n\
         defaults\n\
         \x20   mode http\n\
         \x20   timeout connect 2s\n\
         \x20   timeout client 10s\n\
         \x20   timeout server 10s\n\
         peers mypeers\n\
         \x20   peer me 127.0.0.1:{peer}\n\
         \x20   table t type ip size 10k expire 1h store http_req_cnt,gpc0\n\
         frontend fe\n\
         \x20   bind 127.0.0.1:{fe}\n\
         \x20   http-request track-sc0 src table mypeers/t\n\
         \x20   http-request sc-inc-gpc0(0) if {{ path /bump }}\n\
         \x20   http-request return status 200 content-type text/plain string ok\n",
        sock.display()
    )
}

/// Starts the old process, fills its table, starts `new_bin` with `-sf`,
/// and checks the new process got every entry and the old one exited.
fn reload_keeps_the_table(new_bin: Option<&Path>) {
    let dir = TempDir::new();
    // Real ports: the old and the new process both bind them (a reload in
    // place), and the peers protocol names the local peer's address.
    let (fe, peer) = (free_port(), free_port());
    let (old_sock, new_sock) = (dir.path().join("old.sock"), dir.path().join("new.sock"));
    let mut old = Proxy::builder(&cfg(&old_sock, fe, peer))
        .args(["-L", "me"])
        .start();
    for (src, path) in [(2, "/"), (3, "/bump"), (4, "/"), (4, "/bump")] {
        assert_eq!(get_from(ip(src), fe, path), 200);
    }
    let before = table_lines(&cli(&old_sock, "show table mypeers/t"), false);
    assert_eq!(before.len(), 4, "{before:#?}");
    let mut b = Proxy::builder(&cfg(&new_sock, fe, peer))
        .args(["-L", "me", "-sf", &old.pid().to_string()])
        .no_wait();
    if let Some(bin) = new_bin {
        b = b.bin(bin);
    }
    let new = b.start();
    let mut last = String::new();
    let taught = wait_until(T, || {
        last = if new_sock.exists() {
            cli(&new_sock, "show table mypeers/t")
        } else {
            String::new()
        };
        table_lines(&last, false).len() == 4
    });
    assert!(
        taught,
        "new process did not learn the table:\n{last}\nold: {before:#?}\nnew stderr: {}",
        new.stderr()
    );
    let after = table_lines(&last, false);
    for key in ["127.0.0.2", "127.0.0.3", "127.0.0.4"] {
        let (o, n) = (entry(&before, key).unwrap(), entry(&after, key).unwrap());
        for f in ["gpc0=", "http_req_cnt="] {
            let field = o.split(' ').find(|w| w.starts_with(f)).unwrap();
            assert!(has_field(n, field), "{key}: {field} lost in {n}");
        }
    }
    let st = old
        .wait_exit(T)
        .expect("old process did not exit after handing over");
    assert_eq!(st.code(), Some(0), "old process: {st}");
    // The new process serves the same port and goes on counting.
    assert_eq!(get_from(ip(4), fe, "/bump"), 200);
    let now = cli(&new_sock, "show table mypeers/t key 127.0.0.4");
    assert!(now.contains("gpc0=2 http_req_cnt=3"), "{now}");
}

#[test]
fn reload_hands_the_tables_to_the_new_process() {
    if is_haproxy() {
        return;
    }
    reload_keeps_the_table(None);
}

#[test]
fn reload_from_our_proxy_to_haproxy_keeps_the_tables() {
    if is_haproxy() {
        return;
    }
    reload_keeps_the_table(Some(&haproxy_bin()));
}
