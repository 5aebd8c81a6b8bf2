//! Cookie persistence (`cookie` in insert, rewrite, prefix and passive
//! modes, `indirect`, `nocache`, `preserve`, `postonly`, dated cookies,
//! dynamic cookies, DOWN servers with `option persist` and `option
//! redispatch`, `force-persist`/`ignore-persist`, `capture cookie`),
//! run as the same sequence of requests through our proxy and through
//! HAProxy 2.6 (when `/usr/sbin/haproxy` is installed): which server
//! answers, the `Set-Cookie` and `Cache-control` fields the client gets,
//! the `Cookie` field the server gets, and the log's `%tsc`, `%CC` and
//! `%CS`. Each scenario also checks some answers of ours outright.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tests::http::{http_defaults, response, Client, Origin, Reply};
use tests::httplog::logs_for;
use tests::{is_haproxy, BoundPort, Proxy};

const T: Duration = Duration::from_secs(5);
const HAPROXY: &str = "/usr/sbin/haproxy";
const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// An origin answering `<name>|<cookie fields it got, joined by ||>`;
/// `/setck` makes it set `SRV=app`, `/setjs` `JS=abc`, `/lm` adds a
/// `Last-Modified` (which makes the answer cacheable).
fn origin(name: &'static str) -> Origin {
    Origin::start(move |r| {
        let cookies = r.head.all("cookie").join("||");
        let mut body = format!("{name}|{cookies}");
        if r.head.target() == "/order" {
            // Where the fields came, as names in order.
            let raw = String::from_utf8_lossy(&r.raw).into_owned();
            let names: Vec<&str> = raw
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(':').map(|x| x.0))
                .collect();
            body = format!("{body}|{}", names.join(","));
        }
        let mut hdrs = vec![];
        match r.head.target() {
            "/setck" => hdrs.push("set-cookie: SRV=app; path=/"),
            "/setjs" => hdrs.push("set-cookie: JS=abc; path=/"),
            "/setsp" => hdrs.push("set-cookie: SRV = app ; path=/"),
            "/settwo" => hdrs.extend(["set-cookie: SRV=x", "set-cookie: SRV=y; Secure"]),
            "/lm" => hdrs.push("last-modified: Tue, 01 Dec 2026 00:00:00 GMT"),
            "/expires" => hdrs.push("expires: Tue, 01 Dec 2026 00:00:00 GMT"),
            "/etag-private" => hdrs.extend(["etag: \"x\"", "cache-control: private"]),
            "/public" => hdrs.push("cache-control: no-transform, public"),
            "/maxage0" => hdrs.extend(["etag: \"x\"", "cache-control: max-age=0"]),
            "/smaxage" => hdrs.push("cache-control: max-age=0, s-maxage=10"),
            "/pragma" => hdrs.extend(["etag: \"x\"", "pragma: no-cache"]),
            "/privfield" => hdrs.extend(["etag: \"x\"", "cache-control: private=\"x\""]),
            _ => {}
        }
        hdrs.push("set-cookie: other=1");
        Reply::Send(response(200, &hdrs, body.as_bytes()))
    })
}

/// One request of a scenario.
struct Step {
    method: &'static str,
    path: &'static str,
    cookie: Option<String>,
}

fn get(path: &'static str, cookie: Option<&str>) -> Step {
    Step {
        method: "GET",
        path,
        cookie: cookie.map(str::to_string),
    }
}

/// What one request showed.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    status: u16,
    /// The server that answered and the `Cookie` fields it got.
    body: String,
    /// `Set-Cookie` fields the client got, dates replaced by `<date>`.
    set_cookie: Vec<String>,
    cache_control: Vec<String>,
    /// The response's field names in order.
    names: Vec<String>,
    /// `%s`, `%tsc`, `%CC`, `%CS`.
    log: (String, String, String, String),
    /// `%rc` (retries, redispatched).
    retries: (u64, bool),
}

/// Dates of `Set-Cookie` values: `|` and five base64 characters.
fn dates_of(v: &str) -> (String, Vec<i64>) {
    let b = v.as_bytes();
    let (mut out, mut dates, mut i) = (String::new(), Vec::new(), 0);
    while i < b.len() {
        let five = b.get(i + 1..i + 6);
        if b[i] == b'|' && five.is_some_and(|f| f.iter().all(|c| B64.contains(c))) {
            let n = five.unwrap().iter().fold(0i64, |a, c| {
                (a << 6) + B64.iter().position(|x| x == c).unwrap() as i64
            });
            dates.push(n << 2);
            out.push_str("|<date>");
            i += 6;
        } else {
            out.push(b[i] as char);
            i += 1;
        }
    }
    (out, dates)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// A cookie date `offset` seconds from now.
fn date(offset: i64) -> String {
    let v = ((now() + offset) >> 2) as u32;
    (0..5)
        .map(|i| B64[((v >> (24 - 6 * i)) & 0x3f) as usize] as char)
        .collect()
}

/// A closed local port: connections to it are refused.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Runs `steps` on one keep-alive connection through `bin` (`None`: ours)
/// with `listen app` holding `section`.
fn run(bin: Option<&Path>, section: &str, steps: &[Step], settle: Duration) -> Vec<Seen> {
    let fe = BoundPort::new();
    let cfg = format!("{}listen app\n    bind {fe}\n{section}", http_defaults());
    let mut b = Proxy::builder(&cfg).listen(&fe);
    if let Some(p) = bin {
        b = b.bin(p);
    }
    let px = b.start();
    std::thread::sleep(settle);
    let mut c = Client::connect(fe.port);
    let mut seen = Vec::new();
    for s in steps {
        let cookie = s
            .cookie
            .as_ref()
            .map(|v| format!("cookie: {v}\r\nx-after: 1\r\n"))
            .unwrap_or_default();
        let body = if s.method == "POST" {
            "content-length: 0\r\n"
        } else {
            ""
        };
        c.send(
            format!(
                "{} {} HTTP/1.1\r\nhost: t\r\n{cookie}{body}\r\n",
                s.method, s.path
            )
            .as_bytes(),
        );
        let r = c
            .try_read_response(s.method == "HEAD", T)
            .expect("a response");
        seen.push(Seen {
            status: r.head.status(),
            body: String::from_utf8_lossy(&r.body).into_owned(),
            set_cookie: r
                .head
                .all("set-cookie")
                .iter()
                .map(|v| dates_of(v).0)
                .collect(),
            cache_control: r
                .head
                .all("cache-control")
                .iter()
                .map(|v| v.to_string())
                .collect(),
            names: String::from_utf8_lossy(&r.raw)
                .split("\r\n\r\n")
                .next()
                .unwrap_or_default()
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(':').map(|x| x.0.to_string()))
                .collect(),
            log: Default::default(),
            retries: (0, false),
        });
        // Dates we set are now (rounded up to 4 s) or a date the client sent.
        for v in r.head.all("set-cookie") {
            for d in dates_of(v).1 {
                assert!(
                    (now() - 7200 - 8..=now() + 8).contains(&d),
                    "date {d} in {v}"
                );
            }
        }
    }
    let logs = logs_for(&px, c.port(), steps.len(), T);
    for (s, l) in seen.iter_mut().zip(logs) {
        s.retries = (l.retries, l.redispatched);
        s.log = (l.server, l.term, l.req_cookie, l.res_cookie);
    }
    seen
}

/// Ours, checked against HAProxy 2.6 request by request when it is
/// installed. In `section`, `{S1}` and `{S2}` are the origins' ports,
/// `{DOWN}` a closed port.
fn compare(section: &str, steps: &[Step], settle: Duration) -> Vec<Seen> {
    // The same origins for both proxies: dynamic cookies hash their ports.
    let (o1, o2) = (origin("s1"), origin("s2"));
    let section = &section
        .replace("{S1}", &o1.port.to_string())
        .replace("{S2}", &o2.port.to_string())
        .replace("{DOWN}", &closed_port().to_string());
    let ours = run(None, section, steps, settle);
    if is_haproxy() || !Path::new(HAPROXY).exists() {
        eprintln!("{HAPROXY} not installed (or already under test): not compared");
        return ours;
    }
    let theirs = run(Some(&PathBuf::from(HAPROXY)), section, steps, settle);
    for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
        assert_eq!(
            a, b,
            "request {i} ({} {}): ours vs haproxy",
            steps[i].method, steps[i].path
        );
    }
    ours
}

fn letters(s: &Seen) -> &str {
    &s.log.1[2..]
}

const TWO: &str =
    "    server s1 127.0.0.1:{S1} cookie a1\n    server s2 127.0.0.1:{S2} cookie b2\n";

#[test]
fn insert_indirect_nocache() {
    let section = format!("    cookie SRV insert indirect nocache\n{TWO}");
    let steps = [
        get("/", None),
        get("/lm", None),
        get("/", Some("x=1; SRV=b2; y=2")),
        get("/", Some("SRV=b2")),
        get("/", Some("SRV=zz")),
        get("/setck", None),
        get("/setck", Some("SRV=a1")),
        get("/", Some("SRV=a1; SRV=b2")),
        get("/", Some("a = 1 ; SRV = a1")),
        get("/", Some("SRV=")),
        get("/", Some("$Version=1; SRV=b2; $Path=/; k=v")),
        get("/order", Some("k=1; SRV=b2")),
        get("/order", Some("SRV=b2")),
    ];
    let s = compare(&section, &steps, Duration::ZERO);
    assert_eq!(s[0].set_cookie, ["other=1", "SRV=a1; path=/"]);
    assert_eq!(letters(&s[0]), "NI");
    assert!(s[0].cache_control.is_empty());
    assert_eq!(s[1].cache_control, ["private"]);
    assert_eq!(s[2].body, "s2|x=1; y=2");
    assert_eq!(letters(&s[2]), "VN");
    assert_eq!(s[3].body, "s2|");
    assert_eq!(letters(&s[4]), "II");
    assert_eq!(letters(&s[6]), "VD");
    assert_eq!(s[6].set_cookie, ["other=1"]);
    assert_eq!(s[7].body, "s1|");
    assert_eq!(letters(&s[7]), "VN");
    assert_eq!(s[8].body, "s1|a=1");
    assert_eq!(letters(&s[9]), "II");
    // The field is edited where it was, or dropped.
    assert_eq!(s[11].body, "s2|k=1|host,cookie,x-after");
    assert_eq!(s[12].body, "s2||host,x-after");
}

#[test]
fn rewrite_and_passive_modes() {
    let rw = format!("    cookie SRV rewrite\n{TWO}");
    let steps = [
        get("/setck", None),
        get("/setck", Some("SRV=b2")),
        get("/", Some("SRV=a1")),
    ];
    let s = compare(&rw, &steps, Duration::ZERO);
    assert_eq!(s[0].set_cookie, ["SRV=a1; path=/", "other=1"]);
    // Rewritten where it stands.
    assert_eq!(s[0].names, ["set-cookie", "set-cookie", "content-length"]);
    assert_eq!(letters(&s[0]), "NR");
    assert_eq!((s[1].body.as_str(), letters(&s[1])), ("s2|SRV=b2", "VR"));
    // Passive: the cookie chooses the server; no letters in the log.
    let passive = format!("    cookie SRV\n{TWO}");
    let s = compare(&passive, &steps, Duration::ZERO);
    assert_eq!(s[1].log.0, "s2");
    assert_eq!(s[2].log.0, "s1");
    assert_eq!(&s[2].log.1[2..], "--");
}

#[test]
fn prefix_mode() {
    let section = format!("    cookie JS prefix\n{TWO}");
    let steps = [
        get("/setjs", None),
        get("/", Some("JS=b2~xyz; other=2")),
        get("/", Some("JS=nope")),
        get("/setjs", Some("JS=a1~abc")),
    ];
    let s = compare(&section, &steps, Duration::ZERO);
    assert_eq!(s[0].set_cookie, ["JS=a1~abc; path=/", "other=1"]);
    assert_eq!(s[1].body, "s2|JS=xyz; other=2");
    assert_eq!(letters(&s[1]), "VN");
    assert_eq!(letters(&s[2]), "IN");
    assert_eq!(letters(&s[3]), "VR");
}

#[test]
fn dated_cookies_with_attributes() {
    let section = format!(
        "    cookie SRV insert indirect maxidle 30m maxlife 1h domain .example.com domain .example.org httponly secure attr SameSite=Lax attr Partitioned\n{TWO}"
    );
    let fresh = format!("SRV=b2|{}|{}", date(-100), date(-200));
    let idle = format!("SRV=b2|{}|{}", date(-3600), date(-1800));
    let old = format!("SRV=b2|{}|{}", date(-60), date(-7200));
    let future = format!("SRV=b2|{}", date(2 * 86_400));
    let steps = [
        get("/", None),
        get("/", Some(&fresh)),
        get("/", Some(&idle)),
        get("/", Some(&old)),
        get("/", Some(&future)),
        get("/", Some("SRV=b2")),
        get("/", Some("SRV=b2|!!!!!|")),
    ];
    let s = compare(&section, &steps, Duration::ZERO);
    assert_eq!(
        s[0].set_cookie[1],
        "SRV=a1|<date>|<date>; path=/; domain=.example.com; domain=.example.org; HttpOnly; Secure; SameSite=Lax; Partitioned"
    );
    assert_eq!(letters(&s[1]), "VU");
    assert_eq!(letters(&s[2]), "EI");
    assert_eq!(letters(&s[3]), "OI");
    assert_eq!(letters(&s[4]), "EI");
    assert_eq!(letters(&s[5]), "VU");
}

#[test]
fn preserve_and_postonly() {
    let section = format!("    cookie SRV insert preserve postonly\n{TWO}");
    let steps = [
        get("/setck", None),
        get("/", None),
        Step {
            method: "POST",
            path: "/",
            cookie: None,
        },
        Step {
            method: "POST",
            path: "/setck",
            cookie: None,
        },
    ];
    let s = compare(&section, &steps, Duration::ZERO);
    assert_eq!(letters(&s[0]), "NP");
    assert_eq!(s[0].set_cookie, ["SRV=app; path=/", "other=1"]);
    assert_eq!(letters(&s[1]), "NN");
    assert_eq!(letters(&s[2]), "NI");
    assert_eq!(letters(&s[3]), "NP");
}

#[test]
fn dynamic_cookies_match_haproxy_values() {
    let section = "    dynamic-cookie-key s3cr3t\n    cookie SRV insert dynamic\n    server s1 127.0.0.1:{S1}\n    server s2 127.0.0.1:{S2}\n    server s3 127.0.0.1:{S1} cookie fixed\n";
    let steps = [get("/", None), get("/", None), get("/", None)];
    let s = compare(section, &steps, Duration::ZERO);
    let v = &s[0].set_cookie[1];
    assert!(
        v.starts_with("SRV=") && v.len() == "SRV=".len() + 16 + "; path=/".len(),
        "{v}"
    );
    assert_eq!(s[2].set_cookie[1], "SRV=fixed; path=/");
}

#[test]
fn down_server_persist_and_redispatch() {
    let down = "    cookie SRV insert indirect\n    server s1 127.0.0.1:{S1} cookie a1\n    server s2 127.0.0.1:{DOWN} cookie b2 check inter 100 fall 1 rise 1\n";
    let steps = [get("/", Some("SRV=b2")), get("/", Some("SRV=a1"))];
    // `option persist` also reaches a server in maintenance.
    let maint = format!("    cookie SRV insert indirect\n    option persist\n{TWO}")
        .replace("cookie b2", "cookie b2 disabled");
    let s = compare(&maint, &steps, Duration::ZERO);
    assert_eq!((s[0].body.as_str(), letters(&s[0])), ("s2|", "DN"));
    let s = compare(down, &steps, Duration::from_millis(800));
    assert_eq!((s[0].body.as_str(), letters(&s[0])), ("s1|", "DI"));
    assert_eq!(s[0].set_cookie, ["other=1", "SRV=a1; path=/"]);
    assert_eq!(letters(&s[1]), "VN");
    // `option persist`: the DOWN server is tried; `option redispatch`
    // sends the request elsewhere once its retries are spent.
    let persist = format!("    option persist\n    option redispatch\n    retries 3\n{down}");
    let s = compare(&persist, &steps[..1], Duration::from_millis(800));
    assert_eq!((s[0].body.as_str(), s[0].log.0.as_str()), ("s1|", "s1"));
    assert_eq!(letters(&s[0]), "DI");
    // Left at the first failure: the server is DOWN.
    assert_eq!(s[0].retries, (1, true));
}

#[test]
fn force_and_ignore_persist() {
    let section = "    cookie SRV insert indirect\n    ignore-persist if { path /ign }\n    force-persist if { path /force }\n    option redispatch\n    retries 1\n    server s1 127.0.0.1:{S1} cookie a1\n    server s2 127.0.0.1:{DOWN} cookie b2 check inter 100 fall 1 rise 1\n";
    let steps = [
        get("/ign", Some("SRV=a1")),
        get("/force", Some("SRV=b2")),
        get("/", Some("SRV=a1")),
    ];
    let s = compare(section, &steps, Duration::from_millis(800));
    assert_eq!(letters(&s[0]), "UN");
    assert!(s[0].set_cookie.iter().all(|c| !c.starts_with("SRV")));
    // Forced to the DOWN server, never redispatched.
    assert_eq!((s[1].status, s[1].log.1.as_str()), (503, "SCDN"));
    assert_eq!(letters(&s[2]), "VN");
}

#[test]
fn capture_cookie_fills_cc_and_cs() {
    let section = format!("    capture cookie SRV len 6\n    cookie SRV insert\n{TWO}");
    let steps = [
        get("/setck", Some("a=1; SRVX=long-value; SRV=b2")),
        get("/", None),
    ];
    let s = compare(&section, &steps, Duration::ZERO);
    assert_eq!(
        (s[0].log.2.as_str(), s[0].log.3.as_str()),
        ("SRVX=l", "SRV=ap")
    );
    assert_eq!((s[1].log.2.as_str(), s[1].log.3.as_str()), ("-", "-"));
}

#[test]
fn long_and_broken_cookies_fall_back_to_balancing() {
    let section = format!("    cookie SRV insert indirect\n{TWO}");
    let long = format!("SRV={}; k=\"a;b\"", "x".repeat(6000));
    let steps = [
        get("/", Some(&long)),
        get("/", Some(";;; =; SRV")),
        get("/", Some("SRV=\"b2\"")),
        get("/", Some(",SRV=b2,")),
    ];
    let s = compare(&section, &steps, Duration::ZERO);
    assert!(s.iter().all(|x| x.status == 200));
    assert_eq!(letters(&s[0]), "II");
    assert_eq!(s[0].body, "s1|k=\"a;b\"");
}

#[test]
fn denied_requests_still_read_cookies_for_the_log() {
    let section = format!(
        "    capture cookie SRV len 10\n    cookie SRV insert indirect\n    http-request deny if {{ path /deny }}\n    http-request return status 200 if {{ path /ret }}\n{TWO}"
    );
    let section = format!(
        "    timeout tarpit 100ms\n    http-request tarpit if {{ path /tarpit }}\n{section}"
    );
    let steps = [
        get("/deny", Some("SRV=b2")),
        get("/ret", Some("SRV=b2")),
        get("/tarpit", Some("SRV=a1")),
    ];
    let s = compare(&section, &steps, Duration::ZERO);
    assert_eq!(s[0].status, 403);
    assert_eq!(
        s[0].log,
        ("s2".into(), "PRVN".into(), "SRV=b2".into(), "-".into())
    );
    assert_eq!(
        s[1].log,
        ("<NOSRV>".into(), "LRNN".into(), "-".into(), "-".into())
    ); // A tarpit reads them too.
    assert_eq!(
        s[2].log,
        ("s1".into(), "PTVN".into(), "SRV=a1".into(), "-".into())
    );
}

#[test]
fn nocache_follows_the_response_cacheability() {
    let section = format!("    cookie SRV insert nocache\n{TWO}");
    let post = |path| Step {
        method: "POST",
        path,
        cookie: None,
    };
    let steps = [
        get("/expires", None),
        get("/etag-private", None),
        get("/public", None),
        get("/maxage0", None),
        get("/smaxage", None),
        get("/pragma", None),
        post("/lm"),
        post("/public"),
        get("/privfield", None),
        Step {
            method: "HEAD",
            path: "/lm",
            cookie: None,
        },
    ];
    let s = compare(&section, &steps, Duration::ZERO);
    // How many `private` values the client got (the server's own count).
    let private: Vec<usize> = s
        .iter()
        .map(|x| x.cache_control.iter().filter(|c| *c == "private").count())
        .collect();
    // `public` alone gives no freshness nor validator: not cacheable.
    assert_eq!(private, [1, 1, 0, 0, 0, 0, 0, 0, 1, 1]);
}

#[test]
fn mode_combinations_match_haproxy() {
    let steps = [
        get("/setck", None),
        get("/setck", Some("SRV=b2")),
        get("/setsp", Some("k=1; SRV=a1")),
        get("/settwo", None),
        get("/", Some("SRV=a1")),
    ];
    // Per mode: the letters of each request, and what request 3 (two
    // cookies set by the server) showed the client.
    let cases: [(&str, [&str; 5], &[&str]); 5] = [
        (
            "cookie SRV insert indirect preserve",
            ["NP", "VP", "VP", "NP", "VN"],
            &["SRV=x", "SRV=y; Secure", "other=1"],
        ),
        (
            "cookie SRV indirect",
            ["NP", "VD", "VD", "NP", "VN"],
            &["SRV=x", "SRV=y; Secure", "other=1"],
        ),
        (
            "cookie SRV rewrite",
            ["NR", "VR", "VR", "NR", "VN"],
            &["SRV=b2", "SRV=b2; Secure", "other=1"],
        ),
        (
            "cookie SRV prefix indirect",
            ["NR", "VD", "VD", "NR", "VN"],
            &["SRV=b2~x", "SRV=b2~y; Secure", "other=1"],
        ),
        (
            "cookie SRV insert postonly indirect maxidle 1h",
            ["ND", "VD", "VD", "ND", "VN"],
            &["other=1"],
        ),
    ];
    for (cookie, want, two) in cases {
        let section = format!("    {cookie}\n{TWO}");
        let s = compare(&section, &steps, Duration::ZERO);
        let got: Vec<&str> = s.iter().map(letters).collect();
        assert_eq!(got, want, "{cookie}");
        assert_eq!(s[3].set_cookie, two, "{cookie}");
    }
}
