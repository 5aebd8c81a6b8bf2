//! Which TCP ports a process listens on, from `/proc` (Linux), without
//! connecting to them (a probe connection would be a real session for the
//! proxy: a log line, a server connection, a load-balancing decision).

use std::collections::HashSet;

const LISTEN: &str = "0A";

/// Socket inodes held by `pid` (`/proc/<pid>/fd/* -> socket:[inode]`).
fn socket_inodes(pid: u32) -> HashSet<u64> {
    let mut out = HashSet::new();
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return out;
    };
    for e in dir.flatten() {
        if let Ok(target) = std::fs::read_link(e.path()) {
            let t = target.to_string_lossy();
            if let Some(n) = t.strip_prefix("socket:[").and_then(|r| r.strip_suffix(']')) {
                if let Ok(n) = n.parse() {
                    out.insert(n);
                }
            }
        }
    }
    out
}

/// Local ports in LISTEN state owned by `pid` (IPv4 and IPv6).
pub fn listening_ports(pid: u32) -> HashSet<u16> {
    let inodes = socket_inodes(pid);
    let mut ports = HashSet::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 || f[3] != LISTEN {
                continue;
            }
            let Some(port) = f[1]
                .rsplit(':')
                .next()
                .and_then(|p| u16::from_str_radix(p, 16).ok())
            else {
                continue;
            };
            if f[9].parse::<u64>().is_ok_and(|i| inodes.contains(&i)) {
                ports.insert(port);
            }
        }
    }
    ports
}

/// True if anything on this machine listens on TCP `port`.
pub fn anyone_listens(port: u16) -> bool {
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() >= 4
                && f[3] == LISTEN
                && f[1]
                    .rsplit(':')
                    .next()
                    .and_then(|p| u16::from_str_radix(p, 16).ok())
                    == Some(port)
            {
                return true;
            }
        }
    }
    false
}

/// Inodes of the files `pid` watches with epoll: the `tfd:` lines of the
/// `/proc/<pid>/fdinfo` entries of its epoll descriptors (`ino:` in hex).
///
/// An inherited listening socket (`bind fd@<n>`) listens before the proxy
/// even starts, so "it listens" says nothing about the proxy being ready;
/// "the proxy's event loop watches it" does (HAProxy and tokio both
/// register a listener in epoll once they accept on it).
pub fn polled_inodes(pid: u32) -> HashSet<u64> {
    let mut out = HashSet::new();
    let Ok(dir) = std::fs::read_dir(format!("/proc/{pid}/fdinfo")) else {
        return out;
    };
    for e in dir.flatten() {
        let Ok(text) = std::fs::read_to_string(e.path()) else {
            continue;
        };
        for line in text.lines().filter(|l| l.starts_with("tfd:")) {
            let ino = line
                .split_whitespace()
                .find_map(|w| w.strip_prefix("ino:"))
                .and_then(|h| u64::from_str_radix(h, 16).ok());
            if let Some(ino) = ino {
                out.insert(ino);
            }
        }
    }
    out
}
