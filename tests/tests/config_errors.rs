//! Configuration errors are reported with their `file:line` and keyword and
//! make both `-c` and a normal start exit with code 1; a valid file passes
//! `-c`; missing timeouts are only a warning.
//!
//! Message wording may differ from HAProxy's; the assertions stick to what
//! the issue requires: `parsing [<file>:<line>]`, the offending keyword, the
//! "did you mean" suggestion, and the exit codes.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

// The configurations here are checked (`-c`) or refused: the proxy never
// binds their ports, so picking them with `free_port` cannot race.
use tests::{free_port, is_haproxy, run_proxy, TempDir};

/// 1-based number of the first line of `cfg` containing `needle`.
fn line_of(cfg: &str, needle: &str) -> usize {
    cfg.lines()
        .position(|l| l.contains(needle))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("{needle:?} not in config"))
}

fn valid_cfg(port: u16) -> String {
    format!(
        "global\n    log stdout format raw local0\n\ndefaults\n    mode tcp\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n\nlisten app\n    bind 127.0.0.1:{port}\n    server s1 127.0.0.1:9\n"
    )
}

/// Runs `-c -f <file>` and a normal start (`-db -f <file>`); both must exit
/// with 1 and print `expect` parts on stderr. Returns the `-c` stderr.
fn assert_rejected(cfg: &str, expect: impl Fn(&str) -> Vec<String>) -> String {
    let dir = TempDir::new();
    let path = dir.write("bad.cfg", cfg);
    let p = path.to_string_lossy().into_owned();
    let expect = expect(&p);
    let mut first = String::new();
    for mode in [vec!["-c", "-f", p.as_str()], vec!["-db", "-f", p.as_str()]] {
        let out = run_proxy(&mode, &[]);
        assert_eq!(
            out.code,
            Some(1),
            "{mode:?} must exit 1; stderr:\n{}\nstdout:\n{}",
            out.stderr,
            out.stdout
        );
        for e in &expect {
            assert!(
                out.stderr.contains(e.as_str()),
                "{mode:?}: stderr lacks {e:?}:\n{}",
                out.stderr
            );
        }
        if first.is_empty() {
            first = out.stderr;
        }
    }
    first
}

#[test]
fn unknown_keyword_near_miss_suggests_the_right_one() {
    let port = free_port();
    let cfg = valid_cfg(port).replace("    server s1", "    serverr s1");
    let line = line_of(&cfg, "serverr");
    let err = assert_rejected(&cfg, |file| {
        vec![format!("parsing [{file}:{line}]"), "'serverr'".to_string()]
    });
    let l = err
        .lines()
        .find(|l| l.contains("serverr"))
        .expect("error line");
    assert!(
        l.contains("did you mean") && l.contains("'server'"),
        "no 'did you mean 'server'' suggestion: {l}"
    );
}

#[test]
fn unknown_keyword_in_global() {
    let port = free_port();
    let cfg = valid_cfg(port).replace("global\n", "global\n    maxconn 100\n    frobnicate yes\n");
    let line = line_of(&cfg, "frobnicate");
    assert_eq!(line, 3);
    assert_rejected(&cfg, |file| {
        vec![
            format!("parsing [{file}:{line}]"),
            "'frobnicate'".to_string(),
        ]
    });
}

#[test]
fn bad_timeout_value() {
    let port = free_port();
    let cfg = valid_cfg(port).replace("timeout client 1s", "timeout client 10xs");
    let line = line_of(&cfg, "10xs");
    assert_rejected(&cfg, |file| {
        vec![
            format!("parsing [{file}:{line}]"),
            "timeout client".to_string(),
        ]
    });
}

#[test]
fn unknown_default_backend() {
    let port = free_port();
    let cfg = format!(
        "defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n\nfrontend fe\n    bind 127.0.0.1:{port}\n    default_backend nope\n\nbackend be\n    server s1 127.0.0.1:9\n"
    );
    let line = line_of(&cfg, "default_backend nope");
    assert_rejected(&cfg, |file| {
        let mut expect = vec!["'nope'".to_string(), "default_backend".to_string()];
        // HAProxy 2.6 reports this one at the proxy level ("Proxy 'fe':
        // unable to find required default_backend: 'nope'.") without a
        // location; the issue requires ours to point at the line.
        if !is_haproxy() {
            expect.push(format!("{file}:{line}"));
        }
        expect
    });
}

/// The error names the file it is in when several are loaded.
#[test]
fn error_in_second_file_names_that_file() {
    let port = free_port();
    let dir = TempDir::new();
    let a = dir.write("a.cfg", &valid_cfg(port));
    let b_text = "\nbackend extra\n    server x1 127.0.0.1:9\n    bogus_keyword\n";
    let b = dir.write("b.cfg", b_text);
    let line = line_of(b_text, "bogus_keyword");
    let (a, b) = (a.to_string_lossy(), b.to_string_lossy());
    let out = run_proxy(&["-c", "-f", &a, "-f", &b], &[]);
    assert_eq!(out.code, Some(1), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("[{b}:{line}]")) && out.stderr.contains("bogus_keyword"),
        "stderr:\n{}",
        out.stderr
    );
}

#[test]
fn valid_file_passes_check() {
    let dir = TempDir::new();
    let path = dir.write("ok.cfg", &valid_cfg(free_port()));
    let out = run_proxy(&["-c", "-f", &path.to_string_lossy()], &[]);
    assert_eq!(out.code, Some(0), "stderr:\n{}", out.stderr);
    assert!(
        out.stdout.contains("Configuration file is valid"),
        "stdout:\n{}",
        out.stdout
    );
    assert!(!out.stderr.contains("ALERT"), "stderr:\n{}", out.stderr);
}

#[test]
fn missing_timeouts_warn_but_are_valid() {
    let port = free_port();
    let cfg = format!(
        "frontend fe\n    mode tcp\n    bind 127.0.0.1:{port}\n    default_backend be\n\nbackend be\n    mode tcp\n    server s1 127.0.0.1:9\n"
    );
    let dir = TempDir::new();
    let path = dir.write("nt.cfg", &cfg);
    let out = run_proxy(&["-c", "-f", &path.to_string_lossy()], &[]);
    assert_eq!(out.code, Some(0), "stderr:\n{}", out.stderr);
    assert!(
        out.stdout.contains("Configuration file is valid"),
        "stdout:\n{}",
        out.stdout
    );
    let w = out
        .stderr
        .lines()
        .find(|l| l.contains("missing timeouts"))
        .unwrap_or_else(|| panic!("no 'missing timeouts' warning:\n{}", out.stderr));
    assert!(w.contains("WARNING") && w.contains("'fe'"), "{w}");
}

/// A file that does not exist is an error, not a silent empty config.
#[test]
fn missing_file_is_an_error() {
    let dir = TempDir::new();
    let p = dir.path().join("nope.cfg");
    assert!(!Path::new(&p).exists());
    let out = run_proxy(&["-c", "-f", &p.to_string_lossy()], &[]);
    assert_ne!(out.code, Some(0), "stdout:\n{}", out.stdout);
}

#[test]
fn shipped_examples_are_valid() {
    // README's run command starts examples/quickstart.cfg: every shipped
    // configuration must pass `-c` (with the applets it names loaded).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut checked = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "cfg") {
            let out = run_proxy(&["-c", "-f", &p.to_string_lossy()], &[]);
            assert_eq!(out.code, Some(0), "{}: {}", p.display(), out.stderr);
            checked += 1;
        }
    }
    assert!(checked >= 2, "examples found: {checked}");
}

/// `.if` blocks nest as deep as in HAProxy 2.6: 99 levels are accepted,
/// the 100th `.if` is refused at its line.
#[test]
fn if_blocks_nest_up_to_haproxy_s_limit() {
    let nested = |n: usize| {
        let mut c = ".if 1\n".repeat(n);
        c.push_str(&valid_cfg(free_port()));
        c.push_str(&".endif\n".repeat(n));
        c
    };
    let dir = TempDir::new();
    let path = dir.write("deep.cfg", &nested(99));
    let out = run_proxy(&["-c", "-f", &path.to_string_lossy()], &[]);
    assert_eq!(out.code, Some(0), "99 levels; stderr:\n{}", out.stderr);
    assert_rejected(&nested(100), |p| {
        vec![
            format!("[{p}:100]"),
            "too many nested '.if', max is 100.".into(),
        ]
    });
}

/// A regex that needs backtracking (here a look-ahead) is refused at
/// configuration time, naming the file, line, keyword and construct: the
/// proxy matches regexes in linear time. HAProxy (PCRE) accepts it, which
/// this test checks when run against it.
#[test]
fn backtracking_regex_is_a_config_error() {
    let port = free_port();
    let cfg = format!(
        "defaults\n    mode http\n    timeout connect 1s\n    timeout client 1s\n    timeout server 1s\n\nfrontend fe\n    bind 127.0.0.1:{port}\n    acl api path_reg ^/api(?=/v1)\n    http-request deny if api\n    default_backend be\n\nbackend be\n    server s1 127.0.0.1:9\n"
    );
    let line = line_of(&cfg, "path_reg");
    if is_haproxy() {
        let dir = TempDir::new();
        let path = dir.write("la.cfg", &cfg);
        let out = run_proxy(&["-c", "-f", &path.to_string_lossy()], &[]);
        assert_eq!(
            out.code,
            Some(0),
            "PCRE accepts look-ahead:\n{}",
            out.stderr
        );
        return;
    }
    let err = assert_rejected(&cfg, |file| {
        vec![
            format!("parsing [{file}:{line}]"),
            "ACL 'api'".to_string(),
            "regex '^/api(?=/v1)': look-ahead '(?=' is not supported (the proxy uses linear-time regular expressions)".to_string(),
        ]
    });
    assert!(!err.contains("panicked"), "{err}");
}
