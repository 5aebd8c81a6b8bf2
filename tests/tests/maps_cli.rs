//! Maps and pattern files through the real CLI: the configuration and
//! command list of `proxy-core/src/sample/pattern/testdata` (ACLs with `-f`
//! files and inline patterns, every `map_*` kind; `show`, `get`, `add`,
//! `set`, `del`, `clear`, `prepare`/`commit` on maps and ACLs, errors)
//! run on our proxy and, when `/usr/sbin/haproxy` is installed, on HAProxy
//! 2.6 in the same test: every answer must be the same, entry addresses
//! aside. The answers also change what requests see: a map entry added by
//! the CLI is used by the next request.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use tests::http::Client;
use tests::stick::cli;
use tests::{is_haproxy, BoundPort, Proxy, TempDir};

const HAPROXY: &str = "/usr/sbin/haproxy";
const DATA: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../proxy-core/src/sample/pattern/testdata"
);
const FILES: &[&str] = &[
    "dirs.acl",
    "doms.acl",
    "ends.map",
    "hosts.acl",
    "hosts.map",
    "ints.map",
    "nets.acl",
    "nets.map",
    "paths.map",
    "regs.map",
];

/// The captured configuration, on our socket and port.
fn config(sock: &Path, fe: &BoundPort) -> String {
    let cfg = std::fs::read_to_string(format!("{DATA}/haproxy.cfg")).unwrap();
    cfg.replace("/tmp/wt-maps-hap.sock", &sock.to_string_lossy())
        .replace("127.0.0.1:18520", &fe.to_string())
}

/// `{ptr:map|acl:<ref>:<n>}` in a command: the id of the n-th entry that
/// `show map|acl <ref>` lists now.
fn resolve(sock: &Path, cmd: &str) -> String {
    let Some(start) = cmd.find("{ptr:") else {
        return cmd.to_string();
    };
    let end = start + cmd[start..].find('}').unwrap();
    let mut parts = cmd[start + 5..end].split(':');
    let (kind, name, n) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap().parse::<usize>().unwrap(),
    );
    let listing = cli(sock, &format!("show {kind} {name}"));
    let id = listing.lines().nth(n).unwrap().split(' ').next().unwrap();
    format!("{}#{id}{}", &cmd[..start], &cmd[end + 1..])
}

/// Entry addresses differ from run to run (`0x...` at a line's start), and
/// so does the configuration's directory.
fn mask(out: &str, cfg_dir: &Path) -> String {
    let out = out.replace(&format!("{}/", cfg_dir.display()), "");
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

/// Every command's answer from the binary `bin` (`None`: the one under
/// test), and what a request saw of a map before and after `add map`.
fn scenario(bin: Option<&str>) -> (Vec<(String, String)>, [String; 2]) {
    let dir = TempDir::new();
    let sock = dir.path().join("maps.sock");
    let fe = BoundPort::new();
    let mut b = Proxy::builder(&config(&sock, &fe)).listen(&fe);
    for f in FILES {
        b = b.file(f, std::fs::read(format!("{DATA}/{f}")).unwrap());
    }
    if let Some(bin) = bin {
        b = b.bin(bin);
    }
    let px = b.start();
    let cfg_dir = px.dir.path().to_path_buf();
    // The map as requests see it, before and after the CLI adds to it.
    let seen = |c: &mut Client| {
        c.send(b"GET /q HTTP/1.1\r\nhost: added.example\r\n\r\n");
        c.read_response(false).status().to_string()
    };
    let mut c = Client::connect(fe.port);
    let before = seen(&mut c);
    let commands = std::fs::read_to_string(format!("{DATA}/commands.txt")).unwrap();
    let mut out = Vec::new();
    for cmd in commands.lines().filter(|l| !l.is_empty()) {
        let cmd = resolve(&sock, cmd);
        let answer = cli(&sock, &cmd);
        out.push((cmd, mask(&answer, &cfg_dir)));
    }
    cli(&sock, "add acl hosts.acl added.example");
    let after = seen(&mut c);
    (out, [before, after])
}

#[test]
fn map_and_acl_commands_answer_as_haproxy_2_6() {
    let (ours, seen) = scenario(None);
    assert!(ours.len() > 100);
    // After `add acl`, the pattern denies the next request (before, the
    // answer depends on the port the test got: `dst_port gt 9000`).
    assert_eq!(seen[1], "403");
    let get = |c: &str| {
        ours.iter()
            .find(|(cmd, _)| cmd == c)
            .map(|(_, a)| a.as_str())
            .unwrap_or_else(|| panic!("no command {c}"))
    };
    assert!(get("show map").starts_with("# id (file) description\n"));
    assert!(get("get map hosts.map example.com").contains("found=yes"));
    assert!(get("show map nosuch.map").starts_with("Unknown map identifier."));
    if is_haproxy() || !Path::new(HAPROXY).exists() {
        return;
    }
    let (theirs, seen_h) = scenario(Some(HAPROXY));
    assert_eq!(seen, seen_h);
    for ((cmd, a), (_, b)) in ours.iter().zip(&theirs) {
        assert_eq!(a, b, "answer to `{cmd}` differs from HAProxy 2.6");
    }
}

/// `get var` / `set var` on process variables set by `global` `set-var`
/// lines, and what a request then sees.
fn var_scenario(bin: Option<&str>) -> (Vec<(String, String)>, String) {
    let dir = TempDir::new();
    let sock = dir.path().join("vars.sock");
    let fe = BoundPort::new();
    let cfg = format!(
        "global\n    stats socket {} level admin\n    set-var proc.a str(hello)\n    set-var proc.n int(42)\n    set-var-fmt proc.f \"x-%[var(proc.n)]\"\n\ndefaults\n    mode http\n    timeout client 5s\n    timeout server 5s\n    timeout connect 5s\n\nfrontend fe\n    bind {fe}\n    http-request return status 200 content-type text/plain lf-string \"a=%[var(proc.a)] b=%[var(proc.b)] c=%[var(proc.c)]\"\n",
        sock.display()
    );
    let mut b = Proxy::builder(&cfg).listen(&fe);
    if let Some(bin) = bin {
        b = b.bin(bin);
    }
    let _px = b.start();
    let commands = [
        "get var proc.a",
        "get var proc.n",
        "get var proc.f",
        "get var proc.zz",
        "get var txn.a",
        "get var",
        "set var proc.b str(x)",
        "experimental-mode on; set var proc.b str(bee); get var proc.b",
        "experimental-mode on; set var proc.c expr int(5),add(2)",
        "experimental-mode on; set var proc.d fmt %[var(proc.n)]-z; get var proc.d",
        "experimental-mode on; set var txn.x str(1)",
        "experimental-mode on; set var proc.q",
        "experimental-mode on; set var proc.bin bin(41); get var proc.bin",
    ];
    let out = commands
        .iter()
        .map(|c| (c.to_string(), cli(&sock, c)))
        .collect();
    let mut c = Client::connect(fe.port);
    let seen = String::from_utf8_lossy(&c.get("/").body).into_owned();
    (out, seen)
}

#[test]
fn variables_through_the_cli() {
    let (ours, seen) = var_scenario(None);
    assert_eq!(ours[0].1, "proc.a: type=str value=<hello>\n");
    assert_eq!(ours[3].1, "Variable not found.\n\n");
    assert_eq!(
        ours[6].1,
        "This command is restricted to experimental mode only.\n\n"
    );
    assert_eq!(seen, "a=hello b=bee c=7");
    if is_haproxy() || !Path::new(HAPROXY).exists() {
        return;
    }
    let (theirs, seen_h) = var_scenario(Some(HAPROXY));
    for ((cmd, a), (_, b)) in ours.iter().zip(&theirs) {
        assert_eq!(a, b, "answer to `{cmd}` differs from HAProxy 2.6");
    }
    assert_eq!(seen, seen_h);
}
