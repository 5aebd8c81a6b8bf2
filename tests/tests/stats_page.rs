//! The HTTP stats page (`stats uri`) and the Prometheus exporter: formats,
//! auth, the admin form, logging as `<STATS>`/`LR--`, and the seed's
//! property measured with `show pools`: the stats page never allocates a
//! server-side connection, and frees the one `option http_proxy` took.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tests::http::{have_tool, http_defaults, run_tool, Client, Origin, Reply};
use tests::pools::{parse_line, PoolLine};
use tests::{BoundPort, Proxy, TempDir};

fn cli(sock: &Path, cmd: &str) -> String {
    let mut s = UnixStream::connect(sock).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(format!("{cmd}\n").as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn connection_pool(text: &str) -> PoolLine {
    text.lines()
        .filter_map(parse_line)
        .find(|p| p.name == "connection")
        .unwrap_or_else(|| panic!("no connection pool in:\n{text}"))
}

/// An interactive CLI session, so that reading the pools does not itself
/// add a connection between two readings.
struct Prompt(UnixStream);

impl Prompt {
    fn open(sock: &Path) -> Prompt {
        let s = UnixStream::connect(sock).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let mut p = Prompt(s);
        p.run("prompt");
        p
    }

    fn run(&mut self, cmd: &str) -> String {
        self.0.write_all(format!("{cmd}\n").as_bytes()).unwrap();
        let mut out = Vec::new();
        let mut buf = [0u8; 65536];
        while !out.ends_with(b"\n> ") {
            let n = self.0.read(&mut buf).unwrap();
            assert!(n > 0, "CLI closed");
            out.extend_from_slice(&buf[..n]);
        }
        String::from_utf8(out).unwrap()
    }

    fn connections(&mut self) -> PoolLine {
        connection_pool(&self.run("show pools"))
    }
}

struct Setup {
    px: Proxy,
    sock: PathBuf,
    port: u16,
    _dir: TempDir,
    _origin: Origin,
}

fn setup(stats: &str) -> Setup {
    let origin = Origin::start(|_| Reply::ok(b"app"));
    let fe = BoundPort::new();
    let port = fe.port;
    let dir = TempDir::new();
    let sock = dir.path().join("admin.sock");
    let cfg = format!(
        "{}\
         global\n\
         \x20   stats socket {} level admin\n\
         \n\
         listen web\n\
         \x20   bind {fe}\n\
         {stats}\
         \x20   server app 127.0.0.1:{}\n",
        http_defaults(),
        sock.display(),
        origin.port
    );
    let px = Proxy::start_with(&cfg, &[&fe]);
    Setup {
        px,
        sock,
        port,
        _dir: dir,
        _origin: origin,
    }
}

const BASIC: &str = "    stats enable\n    stats uri /stats\n";

#[test]
fn csv_json_typed_and_html_variants() {
    let s = setup(BASIC);
    let mut c = Client::connect(s.port);
    let r = c.get("/stats;csv");
    assert_eq!(r.status(), 200);
    assert_eq!(r.head.get("content-type"), Some("text/plain"));
    assert_eq!(r.head.get("cache-control"), Some("no-cache"));
    let body = String::from_utf8(r.body).unwrap();
    assert!(body.starts_with("# pxname,svname,qcur,"), "{body}");
    // Legends (addresses) are off without `stats show-legends`.
    assert!(!body.contains("127.0.0.1:"), "{body}");
    let r = c.get("/stats;json");
    assert_eq!(r.head.get("content-type"), Some("application/json"));
    assert!(r.body.starts_with(b"[[{\"objType\":\"Frontend\""));
    let r = c.get("/stats;typed");
    assert!(
        r.body.starts_with(b"F."),
        "{:?}",
        String::from_utf8_lossy(&r.body)
    );
    let r = c.get("/stats");
    assert_eq!(r.head.get("content-type"), Some("text/html"));
    let html = String::from_utf8(r.body).unwrap();
    assert!(html.contains("<table class=\"tbl\""), "{html}");
    assert!(html.contains("web"));
    // Other paths still go to the server.
    assert_eq!(c.get("/app").body, b"app");
    // Logged as <STATS> with LR--.
    let line =
        s.px.wait_log(|l| l.contains("GET /stats;csv "), Duration::from_secs(5))
            .unwrap();
    assert!(line.contains(" web web/<STATS> "), "{line}");
    assert!(line.contains(" LR-- "), "{line}");
    // `intercepted` counts the stats requests.
    let st = cli(&s.sock, "show stat");
    let header: Vec<&str> = st
        .lines()
        .next()
        .unwrap()
        .trim_start_matches("# ")
        .split(',')
        .collect();
    let i = header.iter().position(|h| *h == "intercepted").unwrap();
    let fe = st.lines().find(|l| l.starts_with("web,FRONTEND,")).unwrap();
    assert_eq!(fe.split(',').nth(i), Some("4"), "{fe}");
}

#[test]
fn refresh_up_and_norefresh() {
    let s =
        setup("    stats enable\n    stats uri /s\n    stats refresh 5s\n    stats show-legends\n");
    let mut c = Client::connect(s.port);
    let r = c.get("/s");
    assert_eq!(r.head.get("refresh"), Some("5"));
    let r = c.get("/s;norefresh");
    assert_eq!(r.head.get("refresh"), None);
    let r = c.get("/s;csv;up");
    let body = String::from_utf8(r.body).unwrap();
    assert!(body.contains(",UP (1/1),"), "{body}");
    assert!(
        body.contains("127.0.0.1:"),
        "show-legends fills addr: {body}"
    );
    assert_eq!(cli(&s.sock, "disable server web/app"), "\n");
    let body = String::from_utf8(c.get("/s;csv;no-maint").body).unwrap();
    assert!(!body.contains("web,app,"), "{body}");
    let body = String::from_utf8(c.get("/s;csv").body).unwrap();
    assert!(body.contains(",MAINT,"), "{body}");
}

#[test]
fn basic_auth_and_the_admin_form() {
    let s = setup(
        "    stats enable\n    stats uri /stats\n    stats auth admin:secret\n    stats realm Ops\\ Stats\n    stats admin if TRUE\n",
    );
    let mut c = Client::connect(s.port);
    let r = c.get("/stats");
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.head.get("www-authenticate"),
        Some("Basic realm=\"Ops Stats\"")
    );
    c.send(b"GET /stats;csv HTTP/1.1\r\nhost: t\r\nauthorization: Basic YWRtaW46d3Jvbmc=\r\n\r\n");
    assert_eq!(c.read_response(false).status(), 401);
    c.send(b"GET /stats HTTP/1.1\r\nhost: t\r\nauthorization: Basic YWRtaW46c2VjcmV0\r\n\r\n");
    let r = c.read_response(false);
    assert_eq!(r.status(), 200);
    let html = String::from_utf8(r.body).unwrap();
    assert!(html.contains("<form"), "admin form shown");
    // The form's POST puts the server in maintenance.
    let iid = cli(&s.sock, "show stat")
        .lines()
        .find(|l| l.starts_with("web,BACKEND,"))
        .map(|l| l.split(',').nth(27).unwrap().to_string())
        .unwrap();
    let body = format!("s=app&action=maint&b=%23{iid}");
    c.send(
        format!(
            "POST /stats HTTP/1.1\r\nhost: t\r\nauthorization: Basic YWRtaW46c2VjcmV0\r\n\
             content-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\r\n{body}",
            body.len()
        )
        .as_bytes(),
    );
    let r = c.read_response(false);
    assert_eq!(r.status(), 303);
    assert_eq!(r.head.get("location"), Some("/stats;st=DONE"));
    let st = cli(&s.sock, "show servers state web");
    assert!(
        st.lines()
            .any(|l| l.contains(" web 1 app ") && l.contains(" 0 1 ")),
        "{st}"
    );
    assert_eq!(
        c.get("/x").status(),
        503,
        "the only server is in maintenance"
    );
}

#[test]
fn a_thousand_stats_requests_allocate_no_server_connection() {
    let s = setup(BASIC);
    let mut cli_session = Prompt::open(&s.sock);
    let mut c = Client::connect(s.port);
    assert_eq!(c.get("/stats;csv").status(), 200);
    let before = cli_session.connections();
    // One client connection and this CLI connection.
    assert_eq!(before.used, 2, "{before:?}");
    for i in 0..1000 {
        let path = if i % 2 == 0 { "/stats;csv" } else { "/stats" };
        let r = c.get(path);
        assert_eq!(r.status(), 200, "request {i}");
    }
    let after = cli_session.connections();
    assert_eq!(after.used, before.used, "{before:?} -> {after:?}");
    assert_eq!(after.allocated, before.allocated, "{before:?} -> {after:?}");
    // The same holds for CLI commands on a kept connection.
    for _ in 0..200 {
        cli_session.run("show stat");
    }
    assert_eq!(cli_session.connections(), after);
    drop(c);
}

#[test]
fn http_proxy_connection_is_freed_when_the_stats_page_answers() {
    let s = setup("    option http_proxy\n    stats enable\n    stats uri /stats\n");
    let mut cli_session = Prompt::open(&s.sock);
    let mut c = Client::connect(s.port);
    let ask = |c: &mut Client| {
        c.send(
            format!(
                "GET http://127.0.0.1:{}/stats;csv HTTP/1.1\r\nhost: 127.0.0.1:{}\r\n\r\n",
                s.port, s.port
            )
            .as_bytes(),
        );
        c.read_response(false)
    };
    assert_eq!(ask(&mut c).status(), 200);
    // One client connection and this CLI connection: the connection
    // http_proxy allocated for the request is gone.
    let baseline = cli_session.connections();
    assert_eq!(baseline.used, 2, "{baseline:?}");
    // ... it was allocated (the high-water mark counts it) and freed when
    // the applet took si[1] (rule 6).
    assert_eq!(baseline.allocated, 3, "{baseline:?}");
    for _ in 0..20 {
        c.send(
            format!(
                "GET http://127.0.0.1:{}/stats;csv HTTP/1.1\r\nhost: 127.0.0.1:{}\r\n\r\n",
                s.port, s.port
            )
            .as_bytes(),
        );
        let r = c.read_response(false);
        assert_eq!(r.status(), 200);
        assert!(r.body.starts_with(b"# pxname,"));
    }
    let after = cli_session.connections();
    assert_eq!(after, baseline, "{baseline:?} -> {after:?}");
    let line =
        s.px.wait_log(|l| l.contains("GET http://"), Duration::from_secs(5))
            .unwrap();
    assert!(
        line.contains("/<STATS> ") && line.contains(" LR-- "),
        "{line}"
    );
}

#[test]
fn the_page_renders_in_headless_chromium() {
    let chromium = ["chromium", "chromium-browser"]
        .into_iter()
        .find(|c| have_tool(c));
    let Some(chromium) = chromium else {
        eprintln!("chromium not installed: skipped");
        return;
    };
    let s = setup("    stats enable\n    stats uri /stats\n    stats show-legends\n");
    let url = format!("http://127.0.0.1:{}/stats", s.port);
    let profile = TempDir::new();
    let dir = format!("--user-data-dir={}", profile.path().display());
    let out = run_tool(
        chromium,
        &[
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            &dir,
            "--dump-dom",
            &url,
        ],
        b"",
        Duration::from_secs(60),
    );
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("<table class=\"tbl\""),
        "no stats table in the DOM (exit {:?}); stderr:\n{}\nDOM:\n{dom}",
        out.code,
        out.stderr
    );
    // The proxy's own tables: frontend, server and backend rows.
    assert!(dom.contains("class=\"frontend\""), "{dom}");
    assert!(dom.contains("class=\"backend\""), "{dom}");
    assert!(
        dom.contains("active_no_check") || dom.contains("active_up"),
        "{dom}"
    );
}

#[test]
fn prometheus_exporter_output_parses() {
    let fe = BoundPort::new();
    let port = fe.port;
    let origin = Origin::start(|_| Reply::ok(b"app"));
    let cfg = format!(
        "{}\
         frontend prom\n\
         \x20   bind {fe}\n\
         \x20   http-request use-service prometheus-exporter if {{ path /metrics }}\n\
         \x20   default_backend be\n\
         \n\
         backend be\n\
         \x20   server s1 127.0.0.1:{}\n",
        http_defaults(),
        origin.port
    );
    let px = Proxy::start_with(&cfg, &[&fe]);
    let mut c = Client::connect(port);
    assert_eq!(c.get("/app").status(), 200);
    let r = c.get("/metrics");
    assert_eq!(r.status(), 200);
    assert!(r
        .head
        .get("content-type")
        .is_some_and(|t| t.starts_with("text/plain; version=0.0.4")));
    let text = String::from_utf8(r.body).unwrap();
    // A strict check of the exposition format: HELP/TYPE before the
    // samples of each family, samples `name{labels} value`.
    let mut families = std::collections::HashSet::new();
    let mut typed = std::collections::HashSet::new();
    for l in text.lines() {
        if let Some(rest) = l.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(matches!(kind, "gauge" | "counter" | "untyped"), "{l}");
            assert!(typed.insert(name.to_string()), "TYPE twice: {l}");
            continue;
        }
        if l.starts_with("# HELP ") {
            continue;
        }
        let (name_labels, value) = l.rsplit_once(' ').unwrap();
        let name = name_labels.split('{').next().unwrap();
        assert!(
            value == "NaN" || value.parse::<f64>().is_ok(),
            "bad value in {l}"
        );
        assert!(typed.contains(name), "sample before its TYPE: {l}");
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{l}"
        );
        families.insert(name.to_string());
    }
    for want in [
        "haproxy_process_current_connections",
        "haproxy_frontend_http_requests_total",
        "haproxy_backend_status",
        "haproxy_server_status",
        "haproxy_frontend_bytes_in_total",
    ] {
        assert!(families.contains(want), "no {want}");
    }
    assert!(text.contains("haproxy_server_status{proxy=\"be\",server=\"s1\",state=\"UP\"} 1"));
    let line = px
        .wait_log(|l| l.contains("GET /metrics "), Duration::from_secs(5))
        .unwrap();
    assert!(line.contains("/<PROMEX> "), "{line}");

    // The reference parser, when installed.
    if !have_tool("python3") {
        return;
    }
    let out = run_tool(
        "python3",
        &[
            "-c",
            "import sys\ntry:\n    from prometheus_client.parser import text_string_to_metric_families\nexcept ImportError:\n    print('missing'); sys.exit(0)\nfams = list(text_string_to_metric_families(sys.stdin.read()))\nprint(len(fams))\n",
        ],
        text.as_bytes(),
        Duration::from_secs(30),
    );
    let said = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert_eq!(
        out.code,
        Some(0),
        "prometheus_client refused the output: {}",
        out.stderr
    );
    if said == "missing" {
        eprintln!("prometheus_client not installed: strict parser only");
    } else {
        assert!(said.parse::<usize>().unwrap() > 50, "{said}");
    }
}
