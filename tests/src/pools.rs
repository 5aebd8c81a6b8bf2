//! Reading the pool counters the proxy prints on SIGQUIT, in HAProxy's
//! `show pools` form:
//! `  - Pool connection (N bytes) : A allocated (B bytes), U used (...), ...`.

use std::time::Duration;

use crate::Proxy;

/// One `- Pool` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PoolLine {
    pub name: String,
    pub obj_size: usize,
    pub allocated: usize,
    pub used: usize,
}

/// Parses one `  - Pool <name> (<size> bytes) : <a> allocated (...), <u> used ...` line.
pub fn parse_line(l: &str) -> Option<PoolLine> {
    let rest = l.trim_start().strip_prefix("- Pool ")?;
    let (name, rest) = rest.split_once(" (")?;
    let (size, rest) = rest.split_once(" bytes) : ")?;
    let (alloc, rest) = rest.split_once(" allocated (")?;
    let (_, rest) = rest.split_once("), ")?;
    let (used, _) = rest.split_once(" used")?;
    Some(PoolLine {
        name: name.to_string(),
        obj_size: size.parse().ok()?,
        allocated: alloc.parse().ok()?,
        used: used.parse().ok()?,
    })
}

/// Sends SIGQUIT and returns the pools of the new dump (waits up to
/// `timeout` for its `Total:` line; panics otherwise).
pub fn dump(px: &Proxy, timeout: Duration) -> Vec<PoolLine> {
    let count = |v: &[String]| v.iter().filter(|l| l.starts_with("Total:")).count();
    let before = count(&px.stderr_lines().snapshot());
    px.signal("QUIT");
    let ok = crate::util::poll_until(timeout, || {
        (count(&px.stderr_lines().snapshot()) > before).then_some(())
    });
    let lines = px.stderr_lines().snapshot();
    assert!(
        ok.is_some(),
        "no pool dump on stderr within {timeout:?} after SIGQUIT; stderr:\n{}",
        lines.join("\n")
    );
    // The lines between the last "Dumping" header and the Total line.
    let total_at = lines
        .iter()
        .rposition(|l| l.starts_with("Total:"))
        .unwrap_or(0);
    let start = lines[..total_at]
        .iter()
        .rposition(|l| l.starts_with("Dumping pools"))
        .map_or(0, |i| i + 1);
    lines[start..total_at]
        .iter()
        .filter_map(|l| parse_line(l))
        .collect()
}

/// The `connection` pool of a fresh dump.
pub fn connections(px: &Proxy) -> PoolLine {
    let pools = dump(px, Duration::from_secs(5));
    pools
        .iter()
        .find(|p| p.name == "connection")
        .cloned()
        .unwrap_or_else(|| panic!("no 'connection' pool in the dump: {pools:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_show_pools_lines() {
        let p = parse_line("  - Pool connection (256 bytes) : 3 allocated (768 bytes), 2 used (~0 by thread caches), needed_avg 2, 0 failures, 1 users, @0x55 [SHARED]").unwrap();
        assert_eq!(
            p,
            PoolLine {
                name: "connection".into(),
                obj_size: 256,
                allocated: 3,
                used: 2
            }
        );
        assert!(parse_line("Total: 3 pools, 1 bytes allocated").is_none());
    }
}
