//! `log-format` and `unique-id-format` end to end: one configuration with
//! many variables, flags and `%[expr]` items runs on our binary and, when
//! `/usr/sbin/haproxy` is installed, on HAProxy 2.6; the lines are compared
//! field by field (exactly where the value is deterministic, by shape for
//! dates, timers, ports and ids).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use tests::http::{response, Client, Origin, Reply};
use tests::{is_haproxy, BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);
const HAPROXY: &str = "/usr/sbin/haproxy";

/// The fields of the format, in order, with how two runs compare them.
const FIELDS: &[(&str, Cmp)] = &[
    ("%ci", Cmp::Eq),
    ("%cp", Cmp::Int),
    ("[%tr]", Cmp::Date),
    ("%ft", Cmp::Eq),
    ("%b/%s", Cmp::Eq),
    ("%TR/%Tw/%Tc/%Tr/%Ta", Cmp::Timers),
    ("%ST", Cmp::Eq),
    // HAProxy counts the response in its internal form.
    ("%B", Cmp::Int),
    ("%tsc", Cmp::Eq),
    ("%bc/%sc/%rc", Cmp::Eq),
    ("%sq/%bq", Cmp::Eq),
    ("%hr", Cmp::Eq),
    ("%hs", Cmp::Eq),
    ("%{+Q}r", Cmp::Eq),
    ("%HM", Cmp::Eq),
    ("%HU", Cmp::Eq),
    ("%HP", Cmp::Eq),
    ("%HPO", Cmp::Eq),
    ("%HQ", Cmp::Eq),
    ("%HV", Cmp::Eq),
    ("%f", Cmp::Eq),
    ("%{+Q}b", Cmp::Eq),
    ("%{+Q}ci", Cmp::Eq),
    ("%{+X}ci", Cmp::Eq),
    ("%fi", Cmp::Eq),
    ("%[var(txn.x)]", Cmp::Eq),
    ("%{+Q}[var(txn.x)]", Cmp::Eq),
    ("%[var(txn.none)]", Cmp::Eq),
    ("%{+Q}[var(txn.none)]", Cmp::Eq),
    ("%{+E}[var(txn.e)]", Cmp::Eq),
    ("%[var(txn.x),upper]", Cmp::Eq),
    ("%ts", Cmp::Eq),
    ("%sslv/%sslc", Cmp::Eq),
    ("%CC/%CS", Cmp::Eq),
    ("%ID", Cmp::Id),
    ("%pid", Cmp::Int),
    ("%{+X}pid", Cmp::Hex),
    ("%Ts", Cmp::Int),
    ("%ms", Cmp::Int),
    ("[%t]", Cmp::Date),
    ("[%T]", Cmp::Date),
    ("[%Tl]", Cmp::Date),
    ("%Tt/%Tq/%Ti/%Th/%Td/%Tu", Cmp::Timers),
    ("%H", Cmp::Eq),
    ("%rt", Cmp::Int),
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Cmp {
    /// Equal in both runs.
    Eq,
    /// A decimal number.
    Int,
    /// Upper-case hexadecimal digits.
    Hex,
    /// `dd/Mon/yyyy:hh:mm:ss` then `.mmm` or ` +zzzz`.
    Date,
    /// Integers (`-1` allowed) separated by `/`, the same ones `-1`.
    Timers,
    /// The unique id: its shape, and the header the server got.
    Id,
}

/// The unique id: hex client address and port, frontend address and
/// port, timestamp, request counter, pid.
const UID: &str = "%{+X}o%ci:%cp_%fi:%fp_%Ts_%rt:%pid";

struct Run {
    /// The fields of the line.
    fields: Vec<String>,
    /// The `x-uid` header the server received.
    uid_header: String,
    fe_port: u16,
}

fn run(bin: Option<&Path>) -> Run {
    let o = Origin::start(|_| Reply::Send(response(200, &["server: tiny"], b"hello")));
    let fe = BoundPort::new();
    let format: Vec<&str> = FIELDS.iter().map(|(f, _)| *f).collect();
    let cfg = format!(
        "global\n    log stdout format raw local0\n\n\
         defaults\n    mode http\n    log global\n    timeout connect 2s\n    \
         timeout client 10s\n    timeout server 10s\n\n\
         frontend fe\n    bind {fe}\n    \
         log-format \"{}\"\n    \
         unique-id-format {UID}\n    unique-id-header x-uid\n    \
         capture request header Host len 20\n    \
         capture response header Server len 10\n    \
         http-request set-var(txn.x) str(hello)\n    \
         http-request set-var(txn.e) str(a]b)\n    \
         default_backend be\n\n\
         backend be\n    server o1 127.0.0.1:{}\n",
        format.join("|"),
        o.port
    );
    let mut b = Proxy::builder(&cfg).listen(&fe);
    if let Some(p) = bin {
        b = b.bin(p);
    }
    let px = b.start();
    let mut c = Client::connect(fe.port);
    c.send(b"GET /p/a?q=1 HTTP/1.1\r\nhost: example.org\r\n\r\n");
    assert_eq!(c.read_response(false).status(), 200);
    let port = c.port();
    drop(c);
    let line = px
        .wait_log(|l| l.contains(&format!("|{port}|")), T)
        .unwrap_or_else(|| panic!("no log line; logs: {:?}\n{}", px.logs(), px.stderr()));
    let reqs = o.wait_requests(1, T);
    let uid_header = reqs[0].head.get("x-uid").unwrap_or("").to_string();
    let fields: Vec<String> = line.split('|').map(str::to_string).collect();
    assert_eq!(fields.len(), FIELDS.len(), "{line}");
    Run {
        fields,
        uid_header,
        fe_port: fe.port,
    }
}

fn is_int(s: &str) -> bool {
    let d = s.strip_prefix('-').unwrap_or(s);
    !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit())
}

fn is_date(s: &str) -> bool {
    let s = s.trim_start_matches('[').trim_end_matches(']');
    let b = s.as_bytes();
    b.len() >= 24
        && b[2] == b'/'
        && b[6] == b'/'
        && b[11] == b':'
        && (b[20] == b'.' || (b[20] == b' ' && matches!(b[21], b'+' | b'-')))
}

/// Checks one run on its own: the values every implementation must give.
fn check(r: &Run) {
    let f = |name: &str| {
        let i = FIELDS.iter().position(|(n, _)| *n == name).unwrap();
        r.fields[i].as_str()
    };
    assert_eq!(f("%ci"), "127.0.0.1");
    assert_eq!(f("%{+X}ci"), "7F000001");
    assert_eq!(f("%{+Q}ci"), "\"127.0.0.1\"");
    assert_eq!(f("%b/%s"), "be/o1");
    assert_eq!(f("%{+Q}b"), "\"be\"");
    assert_eq!(f("%{+Q}r"), "\"GET /p/a?q=1 HTTP/1.1\"");
    assert_eq!(
        [f("%HM"), f("%HU"), f("%HP"), f("%HPO"), f("%HQ"), f("%HV")],
        ["GET", "/p/a?q=1", "/p/a", "/p/a", "?q=1", "HTTP/1.1"]
    );
    assert_eq!(f("%hr"), "{example.org}");
    assert_eq!(f("%hs"), "{tiny}");
    assert_eq!(f("%[var(txn.x)]"), "hello");
    assert_eq!(f("%{+Q}[var(txn.x)]"), "\"hello\"");
    assert_eq!(f("%[var(txn.none)]"), "-");
    assert_eq!(f("%{+Q}[var(txn.none)]"), "\"\"");
    assert_eq!(f("%{+E}[var(txn.e)]"), "a\\]b");
    assert_eq!(f("%[var(txn.x),upper]"), "HELLO");
    assert_eq!(f("%sslv/%sslc"), "-/-");
    assert_eq!(f("%CC/%CS"), "-/-");
    assert_eq!(f("%ST"), "200");
    assert_eq!(f("%tsc"), "----");
    assert_eq!(f("%ts"), "--");
    // The unique id: the header the server got is the one logged.
    let id = f("%ID");
    assert_eq!(id, r.uid_header, "%ID vs header");
    let parts: Vec<&str> = id.split(['_', ':']).collect();
    assert_eq!(parts.len(), 7, "{id}");
    assert_eq!(parts[0], "7F000001", "{id}");
    assert_eq!(parts[2], "7F000001", "{id}");
    assert_eq!(parts[3], format!("{:04X}", r.fe_port), "{id}");
    for (i, (name, cmp)) in FIELDS.iter().enumerate() {
        let v = &r.fields[i];
        match cmp {
            Cmp::Int => assert!(is_int(v), "{name}: {v}"),
            Cmp::Hex => assert!(
                !v.is_empty()
                    && v.bytes()
                        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_lowercase()),
                "{name}: {v}"
            ),
            Cmp::Date => assert!(is_date(v), "{name}: {v}"),
            Cmp::Timers => assert!(v.split('/').all(is_int), "{name}: {v}"),
            Cmp::Eq | Cmp::Id => {}
        }
    }
}

#[test]
fn log_format_fields() {
    check(&run(None));
}

#[test]
fn log_format_matches_haproxy() {
    if is_haproxy() || !Path::new(HAPROXY).exists() {
        eprintln!("{HAPROXY} not installed (or already under test): skipped");
        return;
    }
    let ours = run(None);
    let theirs = run(Some(&PathBuf::from(HAPROXY)));
    check(&theirs);
    check(&ours);
    let mut wrong = Vec::new();
    for (i, (name, cmp)) in FIELDS.iter().enumerate() {
        let (a, b) = (&ours.fields[i], &theirs.fields[i]);
        let reached = |s: &str| s.split('/').map(|t| t != "-1").collect::<Vec<_>>();
        let same = match cmp {
            Cmp::Eq => a == b,
            Cmp::Timers => reached(a) == reached(b),
            Cmp::Date => a.len() == b.len(),
            Cmp::Int | Cmp::Hex | Cmp::Id => true,
        };
        if !same {
            wrong.push(format!("{name}: ours {a:?}, haproxy {b:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
