//! Cookie persistence outside the traffic: the `show stat` cookie column
//! and the warnings for cookie keywords where they do not apply, compared
//! with HAProxy 2.6 (when `/usr/sbin/haproxy` is installed). The traffic
//! itself is in `cookie_persistence.rs`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};

use tests::http::http_defaults;
use tests::{is_haproxy, BoundPort, Proxy};

const HAPROXY: &str = "/usr/sbin/haproxy";

/// `(pxname, svname, cookie)` of each `show stat` row of `bin`.
fn stat_cookies(bin: Option<&Path>, section: &str) -> Vec<(String, String, String)> {
    let dir = tests::TempDir::new();
    let sock = dir.path().join("stats.sock");
    let fe = BoundPort::new();
    let global = format!("global\n    stats socket {} level admin\n", sock.display());
    let cfg = format!(
        "{}listen app\n    bind {fe}\n{section}",
        http_defaults().replacen("global\n", &global, 1)
    );
    let mut b = Proxy::builder(&cfg).listen(&fe);
    if let Some(p) = bin {
        b = b.bin(p);
    }
    let _px = b.start();
    let out = tests::stick::cli(&sock, "show stat");
    let mut lines = out.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap()
        .trim_start_matches("# ")
        .split(',')
        .collect();
    let col = |n: &str| header.iter().position(|h| *h == n).unwrap();
    let (px, sv, ck) = (col("pxname"), col("svname"), col("cookie"));
    lines
        .filter(|l| !l.is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[px].to_string(), f[sv].to_string(), f[ck].to_string())
        })
        .collect()
}

#[test]
fn show_stat_cookie_column() {
    let section = "    dynamic-cookie-key k\n    cookie SRV insert dynamic\n    server s1 10.1.2.3:8080 disabled\n    server s2 10.1.2.3:8081 cookie two disabled\n";
    let ours = stat_cookies(None, section);
    let row = |n: &str| ours.iter().find(|r| r.1 == n).unwrap().2.clone();
    assert_eq!(row("s2"), "two");
    assert_eq!(row("s1").len(), 16);
    assert_eq!(row("BACKEND"), "SRV");
    if is_haproxy() || !Path::new(HAPROXY).exists() {
        return;
    }
    assert_eq!(ours, stat_cookies(Some(&PathBuf::from(HAPROXY)), section));
}

/// `-c` on `cfg`: its WARNING and ALERT lines without the pid.
fn check_lines(bin: Option<&str>, cfg: &Path) -> Vec<String> {
    let path = cfg.to_str().unwrap();
    let out = match bin {
        None => tests::run_proxy(&["-c", "-f", path], &[]).all(),
        Some(b) => {
            let o = std::process::Command::new(b)
                .args(["-c", "-f", path])
                .output()
                .unwrap();
            format!(
                "{}\n{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        }
    };
    out.lines()
        .filter(|l| l.starts_with("[WARNING]") || l.starts_with("[ALERT]"))
        .filter(|l| !l.contains("applet"))
        .map(|l| l.split_once(") : ").map_or(l, |x| x.1).to_string())
        .collect()
}

#[test]
fn keywords_on_the_wrong_side_are_ignored_with_haproxys_warnings() {
    let dir = tests::TempDir::new();
    let cfg = dir.path().join("c.cfg");
    std::fs::write(
        &cfg,
        "defaults\n mode http\n timeout connect 1s\n timeout client 1s\n timeout server 1s\n cookie S insert\n dynamic-cookie-key k\n default-server cookie z\nfrontend f\n bind 127.0.0.1:1\n cookie S insert\n force-persist if TRUE\n dynamic-cookie-key k\n capture cookie c len 4\n default_backend b\nbackend b\n capture cookie x len 3\n ignore-persist if TRUE\n server s1 127.0.0.1:1\n",
    )
    .unwrap();
    let ours = check_lines(None, &cfg);
    assert_eq!(ours.len(), 4, "{ours:#?}");
    assert!(ours[0].ends_with("'cookie' ignored because frontend 'f' has no backend capability."));
    if !is_haproxy() && Path::new(HAPROXY).exists() {
        assert_eq!(ours, check_lines(Some(HAPROXY), &cfg));
    }
    // TCP mode ignores cookies, each with its warning.
    std::fs::write(
        &cfg,
        "defaults\n timeout connect 1s\n timeout client 1s\n timeout server 1s\nlisten t\n mode tcp\n bind 127.0.0.1:1\n cookie S insert\n capture cookie c len 4\n server s1 127.0.0.1:1 cookie a\n",
    )
    .unwrap();
    let ours = check_lines(None, &cfg);
    assert_eq!(ours.len(), 3, "{ours:#?}");
    if !is_haproxy() && Path::new(HAPROXY).exists() {
        assert_eq!(ours, check_lines(Some(HAPROXY), &cfg));
    }
    // Two servers at one address get one dynamic cookie: a warning.
    std::fs::write(
        &cfg,
        "defaults\n mode http\n timeout connect 1s\n timeout client 1s\n timeout server 1s\nlisten b\n bind 127.0.0.1:1\n dynamic-cookie-key k\n cookie S insert dynamic\n server s1 127.0.0.1:80\n server s2 127.0.0.1:80\n server s3 127.0.0.1:81 cookie x\n",
    )
    .unwrap();
    let ours = check_lines(None, &cfg);
    assert_eq!(
        ours,
        ["config : We generated two equal cookies for two different servers."]
    );
    if !is_haproxy() && Path::new(HAPROXY).exists() {
        assert_eq!(ours, check_lines(Some(HAPROXY), &cfg));
    }
}
