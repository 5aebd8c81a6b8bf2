//! Sample expressions end to end: each converter case of
//! `tests/data/samples.tsv` (HAProxy 2.6.12's answers, captured) is served
//! as a `return` body by the proxy, and, when `/usr/sbin/haproxy` is
//! installed, by HAProxy too in the same run: same config, same requests,
//! same bytes. Then fetches, variables and maps in real rules.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use tests::http::{http_defaults, Client};
use tests::{is_haproxy, BoundPort, Proxy, TempDir};

const HAPROXY: &str = "/usr/sbin/haproxy";

/// One case: the expression (`$IN` stands for the `x-in` header), the
/// header's value, the expected text (`None`: no sample).
struct Case {
    expr: String,
    input: String,
    want: Option<Vec<u8>>,
}

fn cases() -> Vec<Case> {
    include_str!("../data/samples.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let mut f = l.splitn(3, '\t');
            let (e, i, o) = (
                f.next().unwrap_or(""),
                f.next().unwrap_or(""),
                f.next().unwrap_or(""),
            );
            Case {
                expr: e.replace("$IN", "req.fhdr(x-in)"),
                input: i.to_string(),
                want: (o != "<absent>").then(|| unescape(o)),
            }
        })
        .collect()
}

/// `\xNN` in the captures stands for a byte outside printable ASCII.
fn unescape(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'x') {
            if let Some(v) = s
                .get(i + 2..i + 4)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    out
}

/// A frontend answering case `n` on `/n`: the value between brackets, or
/// `ABSENT` when the expression gives no sample.
fn config(fe: &BoundPort, cases: &[Case]) -> String {
    let mut cfg = format!(
        "{}frontend f\n    bind {fe}\n    http-request set-var(txn.a) str(abc)\n    http-request set-var(txn.n) int(7)\n    http-request set-var(txn.z) int(0)\n    http-request set-var(txn.e) str()\n    http-request set-var(txn.b) str(abd)\n    http-request set-var(txn.ab) str(ab)\n",
        http_defaults()
    );
    for (n, c) in cases.iter().enumerate() {
        cfg.push_str(&format!(
            "    http-request return status 200 content-type text/plain lf-string \"[%[{e}]]\" if {{ path /{n} }} {{ \"{e}\" -m found }}\n    http-request return status 200 content-type text/plain string ABSENT if {{ path /{n} }}\n",
            e = c.expr
        ));
    }
    cfg
}

/// Starts `cfg` on `fe` with the binary `bin` (`None`: the one under test).
fn start(cfg: &str, fe: &BoundPort, bin: Option<&str>) -> Proxy {
    let mut b = Proxy::builder(cfg).listen(fe);
    if let Some(bin) = bin {
        b = b.bin(bin);
    }
    b.start()
}

/// The body of each case, from the binary `bin` (`None`: the one under test).
fn answers(bin: Option<&str>, cases: &[Case]) -> Vec<Vec<u8>> {
    let fe = BoundPort::new();
    let _px = start(&config(&fe, cases), &fe, bin);
    let mut c = Client::connect(fe.port);
    cases
        .iter()
        .enumerate()
        .map(|(n, case)| {
            let req = format!(
                "GET /{n} HTTP/1.1\r\nhost: t\r\nx-in: {}\r\n\r\n",
                case.input
            );
            c.send(req.as_bytes());
            c.read_response(false).body
        })
        .collect()
}

fn expected(c: &Case) -> Vec<u8> {
    match &c.want {
        Some(v) => [b"[".as_slice(), v, b"]"].concat(),
        None => b"ABSENT".to_vec(),
    }
}

#[test]
fn converters_answer_as_haproxy_2_6() {
    let cases = cases();
    assert!(cases.len() > 300);
    let ours = answers(None, &cases);
    let mut bad = Vec::new();
    for (c, got) in cases.iter().zip(&ours) {
        if *got != expected(c) {
            bad.push(format!(
                "{} (x-in: {:?}): got {:?}, want {:?}",
                c.expr,
                c.input,
                String::from_utf8_lossy(got),
                String::from_utf8_lossy(&expected(c))
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "{} cases differ:\n{}",
        bad.len(),
        bad.join("\n")
    );
    if !is_haproxy() && Path::new(HAPROXY).exists() {
        let theirs = answers(Some(HAPROXY), &cases);
        for ((c, a), b) in cases.iter().zip(&ours).zip(&theirs) {
            assert_eq!(
                String::from_utf8_lossy(a),
                String::from_utf8_lossy(b),
                "{} (x-in: {:?})",
                c.expr,
                c.input
            );
        }
    }
}

/// Fetches of the stream and the request, variables across the rule
/// sets, and maps, through real rules; the same answers from HAProxy.
fn stream_answers(bin: Option<&str>) -> Vec<String> {
    let dir = TempDir::new();
    let hosts = dir.path().join("hosts.map");
    let paths = dir.path().join("paths.map");
    let nets = dir.path().join("nets.map");
    let block = dir.path().join("block.lst");
    std::fs::write(&hosts, "example.com be1\nfoo.org be2\n").unwrap();
    std::fs::write(&paths, "/api api\n/api/v2 apiv2\n/ root\n").unwrap();
    std::fs::write(&nets, "10.0.0.0/8 ten\n127.0.0.0/8 loop\n127.0.0.1 host\n").unwrap();
    std::fs::write(&block, "192.0.2.0/24\n").unwrap();
    let fe = BoundPort::new();
    let cfg = format!(
        "{defaults}frontend web\n    bind {fe} name main\n    acl blocked src -f {block}\n    http-request deny if blocked\n    http-request set-var(sess.seen) var(sess.seen),add(1) if {{ var(sess.seen) -m found }}\n    http-request set-var(sess.seen) int(1) unless {{ var(sess.seen) -m found }}\n    http-request set-var(txn.host) req.hdr(host),lower\n    http-request set-var-fmt(txn.fmt) \"%[path]@%[var(txn.host)]\"\n    http-request set-var(txn.cond,ifnotexists) str(second)\n    http-request return status 200 content-type text/plain lf-string \"host=%[var(txn.host),map_str({hosts},none)] path=%[path,map_beg({paths})] net=%[src,map_ip({nets})] fmt=%[var(txn.fmt)] seen=%[var(sess.seen)] cond=%[var(txn.cond)] fe=%[fe_name]/%[fe_id] so=%[so_name] base=%[base] b32=%[base32] urlp=%[url_param(a)] cook=%[req.cook(k)] cnt=%[req.cook_cnt(k)] hv=%[req.hdr_val(x-n)] ip=%[req.hdr_ip(x-ip)] q=%[query] ver=%[req.ver] m=%[method] str=%[str(x),upper] int=%[int(4),mul(5)] thr=%[thread] stop=%[stopping]\"\n",
        defaults = http_defaults(),
        block = block.display(),
        hosts = hosts.display(),
        paths = paths.display(),
        nets = nets.display(),
    );
    let _px = start(&cfg, &fe, bin);
    let mut c = Client::connect(fe.port);
    let mut out = Vec::new();
    for (path, host) in [
        ("/api/v2/x?a=1&a=2&b=3", "EXAMPLE.com"),
        ("/other", "foo.org"),
        ("/", "nowhere"),
    ] {
        let req = format!(
            "GET {path} HTTP/1.1\r\nhost: {host}\r\ncookie: k=v1; j=2; k=v2\r\nx-n: 42abc\r\nx-ip: 10.1.2.3:80\r\n\r\n"
        );
        c.send(req.as_bytes());
        out.push(String::from_utf8_lossy(&c.read_response(false).body).into_owned());
    }
    out
}

#[test]
fn fetches_variables_and_maps_in_rules() {
    let ours = stream_answers(None);
    assert_eq!(
        ours[0],
        "host=be1 path=apiv2 net=host fmt=/api/v2/x@example.com seen=1 cond=second fe=web/1 so=main base=EXAMPLE.com/api/v2/x b32=446103411 urlp=1 cook=v2 cnt=2 hv=42 ip=10.1.2.3 q=a=1&a=2&b=3 ver=1.1 m=GET str=X int=20 thr=0 stop=0"
    );
    // The session's variable lives on across requests; txn ones do not.
    assert!(ours[1].contains("seen=2 cond=second"), "{}", ours[1]);
    assert!(ours[2].contains("host=none path=root"), "{}", ours[2]);
    if !is_haproxy() && Path::new(HAPROXY).exists() {
        let theirs = stream_answers(Some(HAPROXY));
        assert_eq!(ours, theirs);
    }
}

/// The `table_*` converters read a tracked entry (`table_trackers` counts
/// the converter's own reference, as HAProxy's lookup holds one);
/// `table_expire` and `table_idle` give a default without one.
fn table_answers(bin: Option<&str>) -> Vec<String> {
    let fe = BoundPort::new();
    let cfg = format!(
        "{}frontend web\n    bind {fe}\n    stick-table type ip size 100 expire 60s store gpc0,gpt0,http_req_cnt,conn_cur\n    http-request track-sc0 src\n    http-request sc-inc-gpc0(0) if {{ path /inc }}\n    http-request sc-set-gpt0(0) int(40),add(2)\n    http-request return status 200 content-type text/plain lf-string \"gpt=%[sc0_get_gpt0] req=%[src,table_http_req_cnt(web)] gpc0=%[src,table_gpc0(web)] in=%[src,in_table(web)] trk=%[src,table_trackers(web)] cur=%[src,table_conn_cur(web)] miss=%[str(192.0.2.1),table_gpc0(web)] missexp=%[str(192.0.2.1),table_expire(web,-1)] exp=%[src,table_expire(web)] idle=%[src,table_idle(web)]\"\n",
        http_defaults()
    );
    let _px = start(&cfg, &fe, bin);
    let mut c = Client::connect(fe.port);
    ["/inc", "/"]
        .iter()
        .map(|p| String::from_utf8_lossy(&c.get(p).body).into_owned())
        .collect()
}

/// The deterministic part of a table answer, and the timers checked.
fn table_fields(s: &str) -> String {
    let field = |name: &str| {
        s.split(' ')
            .find_map(|f| f.strip_prefix(&format!("{name}=")))
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(-2)
    };
    assert!((58_000..=60_000).contains(&field("exp")), "{s}");
    assert!((0..=2_000).contains(&field("idle")), "{s}");
    s.split(" exp=").next().unwrap_or("").to_string()
}

#[test]
fn table_converters_read_entries() {
    let ours: Vec<String> = table_answers(None)
        .iter()
        .map(|s| table_fields(s))
        .collect();
    assert_eq!(
        ours,
        [
            "gpt=42 req=1 gpc0=1 in=1 trk=2 cur=1 miss=0 missexp=-1",
            "gpt=42 req=2 gpc0=1 in=1 trk=2 cur=1 miss=0 missexp=-1"
        ]
    );
    if !is_haproxy() && Path::new(HAPROXY).exists() {
        let theirs: Vec<String> = table_answers(Some(HAPROXY))
            .iter()
            .map(|s| table_fields(s))
            .collect();
        assert_eq!(ours, theirs);
    }
}

/// `option http-buffer-request`: `req.body` sees the body, whole or
/// chunked (without its framing), also when it comes after the head.
fn body_answers(bin: Option<&str>) -> Vec<String> {
    let fe = BoundPort::new();
    let cfg = format!(
        "{}frontend web\n    bind {fe}\n    option http-buffer-request\n    http-request return status 200 content-type text/plain lf-string \"body=[%[req.body]] hex=%[req.body,hex] sum=%[req.body,crc32]\"\n",
        http_defaults()
    );
    let _px = start(&cfg, &fe, bin);
    let mut c = Client::connect(fe.port);
    let mut out = Vec::new();
    c.send(b"POST /a HTTP/1.1\r\nhost: t\r\ncontent-length: 11\r\n\r\nhello world");
    out.push(String::from_utf8_lossy(&c.read_response(false).body).into_owned());
    // The body after the head, in two writes.
    c.send(b"POST /b HTTP/1.1\r\nhost: t\r\ntransfer-encoding: chunked\r\n\r\n");
    std::thread::sleep(std::time::Duration::from_millis(50));
    c.send(b"5\r\nhello\r\n6;x=y\r\n world\r\n0\r\n\r\n");
    out.push(String::from_utf8_lossy(&c.read_response(false).body).into_owned());
    c.send(b"GET /c HTTP/1.1\r\nhost: t\r\n\r\n");
    out.push(String::from_utf8_lossy(&c.read_response(false).body).into_owned());
    // A client that waits for `100 Continue` gets it before its body is
    // read (a 1xx answer is a head without a body).
    c.send(b"POST /d HTTP/1.1\r\nhost: t\r\ncontent-length: 3\r\nexpect: 100-continue\r\n\r\n");
    assert!(
        !c.quiet_for(std::time::Duration::from_secs(5)),
        "no 100 Continue"
    );
    out.push(String::from_utf8_lossy(c.pending()).into_owned());
    c.send(b"abc");
    out.push(String::from_utf8_lossy(&c.read_response(false).body).into_owned());
    out
}

#[test]
fn request_body_with_http_buffer_request() {
    let ours = body_answers(None);
    assert_eq!(
        ours,
        [
            "body=[hello world] hex=68656C6C6F20776F726C64 sum=222957957",
            "body=[hello world] hex=68656C6C6F20776F726C64 sum=222957957",
            "body=[] hex= sum=0",
            "HTTP/1.1 100 Continue\r\n\r\n",
            "body=[abc] hex=616263 sum=891568578",
        ]
    );
    if !is_haproxy() && Path::new(HAPROXY).exists() {
        assert_eq!(ours, body_answers(Some(HAPROXY)));
    }
}

/// `tcp-request session`: variables of the session set once it starts,
/// seen by every request; a rejected session closes without an answer
/// (`dses` counts it).
fn session_answers(bin: Option<&str>) -> (String, String) {
    use std::io::Write;
    use std::net::Ipv4Addr;
    let fe = BoundPort::new();
    let cfg = format!(
        "{}frontend web\n    bind {fe}\n    tcp-request session set-var(sess.origin) src\n    tcp-request session set-var-fmt(sess.port) \"%[dst_port]\"\n    tcp-request session reject if {{ src 127.0.0.2 }}\n    http-request return status 200 content-type text/plain lf-string \"o=%[var(sess.origin)] p=%[var(sess.port)] d=%[dst_port]\"\n",
        http_defaults()
    );
    let _px = start(&cfg, &fe, bin);
    let mut c = Client::connect(fe.port);
    let first = String::from_utf8_lossy(&c.get("/").body).into_owned();
    let mut s = tests::client::connect_from(Ipv4Addr::new(127, 0, 0, 2), fe.port);
    let _ = s.write_all(b"GET / HTTP/1.1\r\nhost: t\r\n\r\n");
    let rejected = tests::client::read_to_eof(&mut s, std::time::Duration::from_secs(5))
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_else(|e| format!("error {e}"));
    (first, rejected)
}

#[test]
fn tcp_request_session_rules() {
    // The port the session saw is the one the request sees.
    let same_port = |s: &str| {
        let d = s.rsplit("d=").next().unwrap_or("");
        s.replace(&format!("p={d} d={d}"), "p=d")
    };
    let ours = session_answers(None);
    assert_eq!(same_port(&ours.0), "o=127.0.0.1 p=d");
    assert!(!ours.1.contains("HTTP/1.1"), "{}", ours.1);
    if !is_haproxy() && Path::new(HAPROXY).exists() {
        let theirs = session_answers(Some(HAPROXY));
        assert_eq!(same_port(&ours.0), same_port(&theirs.0));
        assert!(!theirs.1.contains("HTTP/1.1"), "{}", theirs.1);
    }
}
