//! Helpers for the stick-table tests: the CLI over a unix socket, HTTP
//! requests from a chosen source address, banner reads from a chosen
//! source, and `show table` output with its run-dependent parts (entry
//! addresses, remaining lifetimes) masked for comparison with HAProxy.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, Shutdown};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

use crate::client;

/// Sends one CLI line on a fresh connection to `sock` and reads the answer
/// until the server closes.
pub fn cli(sock: &Path, cmd: &str) -> String {
    let mut s = UnixStream::connect(sock).unwrap_or_else(|e| panic!("{}: {e}", sock.display()));
    s.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    s.write_all(cmd.as_bytes()).expect("write");
    s.write_all(b"\n").expect("write");
    let mut out = String::new();
    s.read_to_string(&mut out).expect("read");
    out
}

/// `GET <path>` with `Connection: close` from source `src`: the status.
pub fn get_from(src: Ipv4Addr, port: u16, path: &str) -> u16 {
    get_from_with(src, port, path, "")
}

/// [`get_from`] with extra header lines (each ending with `\r\n`).
pub fn get_from_with(src: Ipv4Addr, port: u16, path: &str, headers: &str) -> u16 {
    let mut s = client::connect_from(src, port);
    s.write_all(
        format!("GET {path} HTTP/1.1\r\nhost: test\r\n{headers}connection: close\r\n\r\n")
            .as_bytes(),
    )
    .expect("write");
    let out = client::read_to_eof(&mut s, Duration::from_secs(10)).expect("read");
    let text = String::from_utf8_lossy(&out);
    text.split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("no status in {text:?}"))
}

/// Connects from `src`, reads the banner line (the server's name), closes.
pub fn banner_from(src: Ipv4Addr, port: u16) -> String {
    let mut s = client::connect_from(src, port);
    let name = client::read_line(&mut s, Duration::from_secs(5)).expect("banner");
    let _ = s.shutdown(Shutdown::Write);
    name
}

/// `show table` output with entry addresses replaced by `0x` and `exp=`
/// values by `exp=E` (after checking they are within `0..=max_exp`).
pub fn mask_table(text: &str, max_exp: u64) -> String {
    text.lines()
        .map(|l| {
            let mut words = Vec::new();
            for w in l.split(' ') {
                if w.starts_with("0x") && w.ends_with(':') {
                    words.push("0x:".to_string());
                } else if let Some(v) = w.strip_prefix("exp=") {
                    let n: u64 = v.parse().unwrap_or_else(|_| panic!("exp in {l}"));
                    assert!(n <= max_exp, "exp {n} > {max_exp} in {l}");
                    words.push("exp=E".to_string());
                } else {
                    words.push(w.to_string());
                }
            }
            words.join(" ") + "\n"
        })
        .collect()
}

/// The `used:` count of a `# table:` header line in `show table` output.
pub fn used(text: &str) -> u32 {
    text.lines()
        .find_map(|l| {
            l.rsplit_once("used:")
                .and_then(|(_, n)| n.trim().parse().ok())
        })
        .unwrap_or_else(|| panic!("no used: in {text:?}"))
}

/// The keys of the entries of `show table` output.
pub fn keys(text: &str) -> Vec<String> {
    text.lines()
        .filter_map(|l| l.split(' ').find_map(|w| w.strip_prefix("key=")))
        .map(str::to_string)
        .collect()
}
