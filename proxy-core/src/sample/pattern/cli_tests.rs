//! The CLI answers compared with HAProxy 2.6.12's, captured by
//! `testdata/capture.py` from a HAProxy running `testdata/haproxy.cfg`
//! (`testdata/cli.txt`). Entry ids are addresses in HAProxy: the first
//! word of a line starting with `0x` is compared as `0xPTR`, and
//! `{ptr:map|acl:<ref>:<n>}` in a command is the id of the n-th line of
//! `show map|acl <ref>` here, as the capture did there.

use std::path::PathBuf;

use super::{MatchKind as K, Out, PatRegistry};

fn testdata() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/sample/pattern/testdata")
}

/// The registry `haproxy.cfg` builds, in its order.
fn registry() -> Result<PatRegistry, String> {
    let mut reg = PatRegistry::new();
    reg.set_base_dir(testdata());
    let cfg = "haproxy.cfg";
    reg.acl_inline(
        "path_beg",
        cfg,
        12,
        K::Beg,
        false,
        None,
        &["/api", "/static"],
    )?;
    reg.acl_file("hosts.acl", K::Str, true, false, cfg, 13)?;
    reg.acl_inline("req.hdr", cfg, 13, K::Str, true, None, &[])?;
    reg.acl_file("nets.acl", K::Ip, false, false, cfg, 14)?;
    reg.acl_inline("src", cfg, 14, K::Ip, false, None, &["192.168.1.0/24"])?;
    let ports = ["80", "8000:8100", "gt", "9000", "-3", "5-7"];
    reg.acl_inline("dst_port", cfg, 15, K::Int, false, None, &ports)?;
    reg.acl_file("hosts.acl", K::Str, false, false, cfg, 16)?;
    reg.acl_inline("req.hdr", cfg, 16, K::Str, false, None, &[])?;
    reg.acl_file("dirs.acl", K::Dir, false, false, cfg, 17)?;
    reg.acl_inline("path", cfg, 17, K::Dir, false, None, &[])?;
    reg.acl_file("doms.acl", K::Dom, false, false, cfg, 18)?;
    reg.acl_inline("req.hdr", cfg, 18, K::Dom, false, None, &[])?;
    reg.acl_inline(
        "path",
        cfg,
        19,
        K::Reg,
        true,
        None,
        &["^/img/.*\\.png$", "^/x"],
    )?;
    reg.acl_inline("path", cfg, 20, K::Len, false, None, &["3:5"])?;
    reg.acl_inline("path_end", cfg, 21, K::End, false, None, &[".jpg", ".png"])?;
    reg.acl_inline("path_sub", cfg, 22, K::Sub, false, None, &["foo"])?;
    let maps = [
        ("hosts.map", K::Str, Out::Str),
        ("hosts.map", K::Str, Out::Str),
        ("hosts.map", K::Dom, Out::Str),
        ("paths.map", K::Beg, Out::Str),
        ("paths.map", K::Sub, Out::Str),
        ("nets.map", K::Ip, Out::Str),
        ("ints.map", K::Int, Out::Int),
        ("ends.map", K::End, Out::Ip),
        ("regs.map", K::Reg, Out::Str),
    ];
    for (line, (file, kind, out)) in (23..).zip(maps) {
        reg.map_file(file, kind, cfg, line)?.bind(Some(out))?;
    }
    // HAProxy's internal HTTP client adds two ACLs after the configuration.
    for _ in 0..2 {
        reg.acl_inline("var", "httpclient", 0, K::Str, false, None, &["1"])?;
    }
    reg.finalize();
    Ok(reg)
}

fn normalize(out: &str) -> String {
    out.split_inclusive('\n')
        .map(|l| match l.strip_prefix("0x") {
            Some(rest) => {
                let tail = rest.find([' ', '\n']).map_or("", |i| &rest[i..]);
                format!("0xPTR{tail}")
            }
            None => l.to_string(),
        })
        .collect()
}

/// Replaces `{ptr:<map|acl>:<ref>:<n>}` with our entry id.
fn resolve(reg: &PatRegistry, cmd: &str) -> String {
    let Some(start) = cmd.find("{ptr:") else {
        return cmd.to_string();
    };
    let Some(len) = cmd[start..].find('}') else {
        return cmd.to_string();
    };
    let spec: Vec<&str> = cmd[start + 5..start + len].split(':').collect();
    let (kind, name, n) = (spec[0], spec[1], spec[2].parse::<usize>().unwrap_or(0));
    let shown = match reg.cli(&["show", kind, name]) {
        Some(Ok(s)) => s,
        other => panic!("show {kind} {name}: {other:?}"),
    };
    let id = shown
        .lines()
        .nth(n)
        .and_then(|l| l.split(' ').next())
        .unwrap_or("");
    format!("{}#{id}{}", &cmd[..start], &cmd[start + len + 1..])
}

#[test]
fn cli_answers_match_haproxy() {
    let reg = match registry() {
        Ok(r) => r,
        Err(e) => panic!("building the registry: {e}"),
    };
    let fixture = std::fs::read_to_string(testdata().join("cli.txt")).unwrap_or_default();
    let mut failures = Vec::new();
    let mut count = 0;
    for block in fixture.split("### ").skip(1) {
        let (cmd, expected) = block.split_once('\n').unwrap_or((block, ""));
        let cmd = resolve(&reg, cmd);
        let words: Vec<&str> = cmd.split(' ').filter(|w| !w.is_empty()).collect();
        let got = match reg.cli(&words) {
            Some(Ok(s) | Err(s)) => s + "\n",
            None => "(not a map command)\n".into(),
        };
        count += 1;
        if normalize(&got) != normalize(expected) {
            failures.push(format!(
                "### {cmd}\n--- haproxy:\n{expected}--- ours:\n{got}"
            ));
        }
    }
    assert!(count > 150, "only {count} commands in the fixture");
    assert!(
        failures.is_empty(),
        "{} differences:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
