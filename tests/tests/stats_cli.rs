//! The stats socket (`stats socket`): HAProxy 2.6's CLI protocol and
//! formats, levels, bad input, `show sess`, admin actions that change load
//! balancing, and the counters `show stat` / `show info` report.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tests::http::{have_tool, http_defaults, run_tool, Client, Origin, Reply};
use tests::{BoundPort, Proxy};

/// The HAProxy 2.6.12 captures kept with the renderers.
fn reference(name: &str) -> String {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../applet-stats/testdata/ref")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// Sends one request line on a fresh connection and reads until close.
fn cli(sock: &Path, cmd: &str) -> String {
    let mut s = UnixStream::connect(sock).unwrap_or_else(|e| panic!("{}: {e}", sock.display()));
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(cmd.as_bytes()).unwrap();
    s.write_all(b"\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

/// Reads from an interactive session until the output ends with the
/// prompt.
fn read_prompt(s: &mut UnixStream) -> String {
    let mut out = Vec::new();
    let mut buf = [0u8; 65536];
    let deadline = Instant::now() + Duration::from_secs(10);
    while !out.ends_with(b"\n> ") {
        assert!(
            Instant::now() < deadline,
            "no prompt; got {:?}",
            String::from_utf8_lossy(&out)
        );
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "closed; got {:?}", String::from_utf8_lossy(&out));
        out.extend_from_slice(&buf[..n]);
    }
    String::from_utf8(out).unwrap()
}

struct Setup {
    px: Proxy,
    admin: PathBuf,
    oper: PathBuf,
    user: PathBuf,
    fe_port: u16,
    _origins: Vec<Origin>,
    _dir: tests::TempDir,
}

/// A proxy with three stats sockets (admin, operator, user), an HTTP
/// frontend and a backend of two origins.
fn setup(extra_global: &str) -> Setup {
    let o1 = Origin::start(|_| Reply::ok(b"one"));
    let o2 = Origin::start(|_| Reply::ok(b"two"));
    let fe = BoundPort::new();
    let fe_port = fe.port;
    let dir = tests::TempDir::new();
    let admin = dir.path().join("admin.sock");
    let oper = dir.path().join("oper.sock");
    let user = dir.path().join("user.sock");
    let cfg = format!(
        "{}\
         global\n\
         \x20   stats socket {} mode 600 level admin\n\
         \x20   stats socket {} level operator\n\
         \x20   stats socket {} level user\n\
         {extra_global}\n\
         frontend fe\n\
         \x20   bind {fe}\n\
         \x20   default_backend be\n\
         \n\
         backend be\n\
         \x20   server s1 127.0.0.1:{}\n\
         \x20   server s2 127.0.0.1:{}\n",
        http_defaults(),
        admin.display(),
        oper.display(),
        user.display(),
        o1.port,
        o2.port
    );
    let px = Proxy::start_with(&cfg, &[&fe]);
    Setup {
        px,
        admin,
        oper,
        user,
        fe_port,
        _origins: vec![o1, o2],
        _dir: dir,
    }
}

fn csv_header(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

#[test]
fn show_stat_header_and_rows_match_haproxy_2_6() {
    let s = setup("");
    let out = cli(&s.admin, "show stat");
    let reference = reference("show-stat.csv");
    assert_eq!(csv_header(&out), csv_header(&reference), "header differs");
    let width = csv_header(&reference).split(',').count();
    let rows: Vec<&str> = out.lines().skip(1).filter(|l| !l.is_empty()).collect();
    let names: Vec<String> = rows
        .iter()
        .map(|r| r.split(',').take(2).collect::<Vec<_>>().join("/"))
        .collect();
    assert_eq!(
        names,
        ["fe/FRONTEND", "be/s1", "be/s2", "be/BACKEND"],
        "{out}"
    );
    for r in &rows {
        assert_eq!(r.split(',').count(), width, "field count of {r}");
    }
    assert!(out.ends_with("\n\n"), "ends with an empty line");
    // Same meaning per field: the type column, statuses, modes.
    let field = |row: &str, name: &str| {
        let i = csv_header(&reference)
            .trim_start_matches("# ")
            .split(',')
            .position(|h| h == name)
            .unwrap();
        row.split(',').nth(i).unwrap().to_string()
    };
    assert_eq!(field(rows[0], "type"), "0");
    assert_eq!(field(rows[0], "status"), "OPEN");
    assert_eq!(field(rows[1], "type"), "2");
    assert_eq!(field(rows[1], "status"), "no check");
    assert_eq!(
        field(rows[1], "addr"),
        format!("127.0.0.1:{}", s._origins[0].port)
    );
    assert_eq!(field(rows[3], "type"), "1");
    assert_eq!(field(rows[3], "status"), "UP");
    assert_eq!(field(rows[3], "algo"), "roundrobin");
    assert_eq!(field(rows[3], "mode"), "http");
    // A user-level socket does not show addresses (no legends).
    let user = cli(&s.user, "show stat");
    let r = user.lines().nth(2).unwrap();
    assert_eq!(field(r, "addr"), "");
}

#[test]
fn show_info_uses_haproxys_field_names() {
    let s = setup("");
    let out = cli(&s.admin, "show info");
    let names = |t: &str| -> Vec<String> {
        t.lines()
            .filter_map(|l| l.split_once(": ").map(|(n, _)| n.to_string()))
            .collect()
    };
    let ours = names(&out);
    let theirs = names(&reference("show-info.txt"));
    assert_eq!(ours, theirs);
    let pid = format!("Pid: {}\n", s.px.pid());
    assert!(out.contains(&pid), "{out}");
    let typed = cli(&s.admin, "show info typed");
    assert!(typed.starts_with("0.Name.1:POS:str:"), "{typed}");
    let json = cli(&s.admin, "show info json");
    assert!(
        json.starts_with("[{\"field\":{\"pos\":0,\"name\":\"Name\"}"),
        "{json}"
    );
}

#[test]
fn socat_reads_the_socket() {
    if !have_tool("socat") {
        eprintln!("socat not installed: skipped");
        return;
    }
    let s = setup("");
    let addr = format!("UNIX-CONNECT:{}", s.admin.display());
    let out = run_tool(
        "socat",
        &["stdio", &addr],
        b"show info;show stat\n",
        Duration::from_secs(10),
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("Name: HAProxy\n"), "{text}");
    let (info, stat) = text.split_once("\n\n").unwrap();
    assert!(info.contains("\nCurrConns: "));
    assert!(stat.starts_with("# pxname,svname,"), "{stat}");
}

#[test]
fn prompt_mode_keeps_the_connection_and_errors_do_not_end_it() {
    let s = setup("");
    let mut c = UnixStream::connect(&s.admin).unwrap();
    c.write_all(b"prompt\n").unwrap();
    assert_eq!(read_prompt(&mut c), "\n> ");
    c.write_all(b"show version\n").unwrap();
    let v = read_prompt(&mut c);
    assert!(v.ends_with("\n\n> ") && v.len() > 4, "{v:?}");
    c.write_all(b"set weight be/s1 abc\n").unwrap();
    assert_eq!(
        read_prompt(&mut c),
        "Empty weight string empty or preceded by garbage\n> "
    );
    c.write_all(b"set weight be/nope 10\n").unwrap();
    assert_eq!(read_prompt(&mut c), "No such server.\n\n> ");
    c.write_all(b"frobnicate\n").unwrap();
    let u = read_prompt(&mut c);
    assert!(
        u.starts_with("Unknown command, but maybe one of the following ones is a better match:\n"),
        "{u}"
    );
    c.write_all(b"get weight be/s1\n").unwrap();
    assert_eq!(read_prompt(&mut c), "1 (initial 1)\n\n> ");
    c.write_all(b"quit\n").unwrap();
    let mut rest = Vec::new();
    c.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    c.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "{rest:?}");
}

#[test]
fn levels_and_permission_denied() {
    let s = setup("");
    assert_eq!(cli(&s.user, "show cli level"), "user\n\n");
    assert_eq!(cli(&s.oper, "show cli level"), "operator\n\n");
    assert_eq!(cli(&s.admin, "show cli level"), "admin\n\n");
    assert_eq!(cli(&s.user, "show sess"), "Permission denied\n\n");
    assert_eq!(cli(&s.oper, "set weight be/s1 5"), "Permission denied\n\n");
    assert_eq!(
        cli(&s.oper, "disable server be/s1"),
        "Permission denied\n\n"
    );
    assert_eq!(cli(&s.user, "clear counters"), "Permission denied\n\n");
    assert_eq!(cli(&s.oper, "clear counters all"), "Permission denied\n\n");
    assert_eq!(cli(&s.oper, "clear counters"), "\n");
    // Lowering the level on a connection.
    assert_eq!(cli(&s.admin, "user;show cli level"), "\nuser\n\n");
    // Several commands on one line, each answer ends with an empty line.
    assert_eq!(
        cli(&s.admin, "show cli level;show cli level"),
        "admin\n\nadmin\n\n"
    );
}

#[test]
fn an_idle_client_is_closed_at_stats_timeout_and_a_huge_line_is_refused() {
    let s = setup("    stats timeout 1s\n");
    let mut c = UnixStream::connect(&s.admin).unwrap();
    let t0 = Instant::now();
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = Vec::new();
    c.read_to_end(&mut buf).unwrap();
    let waited = t0.elapsed();
    assert!(buf.is_empty());
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "closed after {waited:?}"
    );

    // More than a buffer without a newline: closed without an answer.
    let mut c = UnixStream::connect(&s.admin).unwrap();
    let big = vec![b'a'; 20000];
    let _ = c.write_all(&big);
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut buf = Vec::new();
    let _ = c.read_to_end(&mut buf);
    assert!(buf.is_empty(), "{:?}", String::from_utf8_lossy(&buf));
    // The socket still works.
    assert_eq!(cli(&s.admin, "show cli level"), "admin\n\n");
}

#[test]
fn show_sess_shows_endpoint_types_and_shutdown_session_kills_a_stream() {
    let s = setup("");
    // An idle keep-alive client: its si[1] has no endpoint.
    let mut client = Client::connect(s.fe_port);
    assert_eq!(client.get("/").status(), 200);
    // Wait until the stream is back to idle after its response (si[1]
    // without an endpoint), rather than for a fixed 100 ms.
    // (No assertion here: the ones below say what is expected.)
    let _ = tests::util::poll_until(Duration::from_secs(5), || {
        let list = cli(&s.admin, "show sess");
        let ptr = list
            .lines()
            .find(|l| l.contains(" fe=fe "))?
            .split(':')
            .next()?
            .to_string();
        cli(&s.admin, &format!("show sess {ptr}"))
            .contains("endp1=NONE:(nil)")
            .then_some(())
    });
    let list = cli(&s.admin, "show sess");
    let line = list
        .lines()
        .find(|l| l.contains(" fe=fe "))
        .unwrap_or_else(|| panic!("no stream of fe in:\n{list}"));
    assert!(line.contains("proto=tcpv4 src=127.0.0.1:"), "{line}");
    assert!(list.lines().any(|l| l.contains(" fe=GLOBAL ")), "{list}");
    let ptr = line.split(':').next().unwrap().to_string();

    let all = cli(&s.admin, "show sess all");
    assert!(
        all.contains("endp1=APPCTX:0x"),
        "the CLI's own stream has an applet on si[1]:\n{all}"
    );
    let mine = cli(&s.admin, &format!("show sess {ptr}"));
    assert!(mine.starts_with(&format!("{ptr}: [")), "{mine}");
    assert!(mine.contains("  si[0]=0x"), "{mine}");
    assert!(mine.contains("endp0=CONN:0x"), "{mine}");
    assert!(
        mine.contains("(state=INI flags=0x00 endp1=NONE:(nil)"),
        "{mine}"
    );

    assert_eq!(cli(&s.admin, &format!("shutdown session {ptr}")), "\n");
    assert_eq!(client.wait_closed(Duration::from_secs(5)), Some(true));
    assert_eq!(
        cli(&s.admin, &format!("shutdown session {ptr}")),
        "No such session (use 'show sess').\n\n"
    );
}

/// Which origin answered each of `n` requests.
fn spread(port: u16, n: usize) -> (usize, usize) {
    let mut c = Client::connect(port);
    let (mut one, mut two) = (0, 0);
    for _ in 0..n {
        let r = c.get("/");
        match r.body.as_slice() {
            b"one" => one += 1,
            b"two" => two += 1,
            other => panic!("unexpected body {other:?}"),
        }
    }
    (one, two)
}

#[test]
fn server_state_and_weight_change_load_balancing() {
    let s = setup("");
    let (a, b) = spread(s.fe_port, 10);
    assert_eq!((a, b), (5, 5));
    assert_eq!(cli(&s.admin, "disable server be/s1"), "\n");
    assert_eq!(spread(s.fe_port, 6), (0, 6), "maint: never selected");
    let st = cli(&s.admin, "show stat");
    assert!(
        st.lines()
            .any(|l| l.starts_with("be,s1,") && l.contains(",MAINT,")),
        "{st}"
    );
    assert_eq!(cli(&s.admin, "enable server be/s1"), "\n");
    assert_eq!(spread(s.fe_port, 4), (2, 2));
    assert_eq!(cli(&s.admin, "set server be/s2 state drain"), "\n");
    assert_eq!(spread(s.fe_port, 4), (4, 0), "drain: no new traffic");
    let st = cli(&s.admin, "show stat");
    assert!(
        st.lines()
            .any(|l| l.starts_with("be,s2,") && l.contains(",DRAIN,")),
        "{st}"
    );
    assert_eq!(cli(&s.admin, "set server be/s2 state ready"), "\n");
    assert_eq!(cli(&s.admin, "set weight be/s1 3"), "\n");
    assert_eq!(cli(&s.admin, "get weight be/s1"), "3 (initial 1)\n\n");
    assert_eq!(spread(s.fe_port, 8), (6, 2));
    assert_eq!(cli(&s.admin, "set server be/s1 weight 0"), "\n");
    assert_eq!(spread(s.fe_port, 3), (0, 3));
    assert_eq!(
        cli(&s.admin, "set weight be/s1 300"),
        "Absolute weight can only be between 0 and 256 inclusive.\n\n"
    );
    assert_eq!(
        cli(&s.admin, "set server be/s1 state bogus"),
        "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n"
    );
    assert_eq!(
        cli(&s.admin, "disable server nope/s1"),
        "No such backend.\n\n"
    );
    // maxconn settings show up as slim.
    assert_eq!(cli(&s.admin, "set maxconn frontend fe 7"), "\n");
    assert_eq!(cli(&s.admin, "set maxconn server be/s2 9"), "\n");
    assert_eq!(
        cli(&s.admin, "set maxconn frontend nope 7"),
        "No such frontend.\n\n"
    );
    let st = cli(&s.admin, "show stat");
    let slim = |prefix: &str| {
        let l = st.lines().find(|l| l.starts_with(prefix)).unwrap();
        l.split(',').nth(6).unwrap().to_string()
    };
    assert_eq!(slim("fe,FRONTEND,"), "7");
    assert_eq!(slim("be,s2,"), "9");
    assert_eq!(cli(&s.admin, "set maxconn global 100"), "\n");
    assert!(cli(&s.admin, "show info").contains("\nMaxconn: 100\n"));
}

#[test]
fn counters_follow_the_traffic_and_clear_counters_resets_them() {
    let s = setup("");
    let n = 12;
    spread(s.fe_port, n);
    // Counters are updated as each stream ends: wait until the last
    // response is counted on both sides, rather than for a fixed 50 ms.
    let count = |st: &str, prefix: &str, name: &str| -> Option<u64> {
        let i = csv_header(st)
            .trim_start_matches("# ")
            .split(',')
            .position(|h| h == name)?;
        st.lines()
            .find(|l| l.starts_with(prefix))?
            .split(',')
            .nth(i)?
            .parse()
            .ok()
    };
    let mut st = String::new();
    let _ = tests::util::poll_until(Duration::from_secs(5), || {
        st = cli(&s.admin, "show stat");
        (count(&st, "fe,FRONTEND,", "hrsp_2xx") == Some(n as u64)
            && count(&st, "be,BACKEND,", "hrsp_2xx") == Some(n as u64))
        .then_some(())
    });
    let header: Vec<String> = csv_header(&st)
        .trim_start_matches("# ")
        .split(',')
        .map(str::to_string)
        .collect();
    let get = |prefix: &str, name: &str| -> String {
        let l = st.lines().find(|l| l.starts_with(prefix)).unwrap();
        let i = header.iter().position(|h| h == name).unwrap();
        l.split(',').nth(i).unwrap().to_string()
    };
    let num = |prefix: &str, name: &str| get(prefix, name).parse::<u64>().unwrap_or(0);
    assert_eq!(num("fe,FRONTEND,", "req_tot"), n as u64, "{st}");
    assert_eq!(num("fe,FRONTEND,", "hrsp_2xx"), n as u64);
    assert_eq!(num("fe,FRONTEND,", "stot"), 1, "one client connection");
    assert_eq!(num("fe,FRONTEND,", "conn_tot"), 1);
    assert!(num("fe,FRONTEND,", "bout") > 0 && num("fe,FRONTEND,", "bin") > 0);
    assert!(num("fe,FRONTEND,", "req_rate_max") >= 1);
    assert_eq!(num("be,BACKEND,", "hrsp_2xx"), n as u64);
    assert_eq!(num("be,BACKEND,", "lbtot"), n as u64);
    assert_eq!(num("be,s1,", "lbtot") + num("be,s2,", "lbtot"), n as u64);
    assert_eq!(num("be,s1,", "hrsp_2xx"), (n / 2) as u64);
    assert_eq!(num("be,s1,", "stot"), (n / 2) as u64);
    assert_eq!(get("be,s1,", "lastsess"), "0");
    assert!(!get("be,s1,", "ttime").is_empty());
    let info = cli(&s.admin, "show info");
    assert!(info.contains(&format!("\nCumReq: {n}\n")), "{info}");
    assert!(info.contains("\nCumConns: 1\n"), "{info}");

    assert_eq!(cli(&s.admin, "clear counters all"), "\n");
    let st = cli(&s.admin, "show stat");
    let l = st.lines().find(|l| l.starts_with("fe,FRONTEND,")).unwrap();
    let i = header.iter().position(|h| h == "req_tot").unwrap();
    assert_eq!(l.split(',').nth(i), Some("0"), "{l}");
}

#[test]
fn show_pools_servers_state_backend_and_version() {
    let s = setup("");
    let pools = cli(&s.admin, "show pools");
    assert!(
        pools.starts_with("Dumping pools usage. Use SIGQUIT to flush them.\n"),
        "{pools}"
    );
    for name in ["connection", "stream"] {
        let l = pools
            .lines()
            .find(|l| l.starts_with(&format!("  - Pool {name} (")))
            .unwrap_or_else(|| panic!("no pool {name}:\n{pools}"));
        let p = tests::pools::parse_line(l).unwrap();
        assert!(p.allocated >= p.used && p.used >= 1, "{l}");
    }
    let state = cli(&s.admin, "show servers state");
    assert!(
        state.starts_with("1\n# be_id be_name srv_id srv_name srv_addr"),
        "{state}"
    );
    assert_eq!(
        state.lines().filter(|l| l.contains(" be ")).count(),
        2,
        "{state}"
    );
    assert_eq!(cli(&s.admin, "show backend"), "# name\nbe\n\n");
    assert!(!cli(&s.admin, "show version").trim().is_empty());
    assert_eq!(
        cli(&s.admin, "show servers state nope"),
        "Can't find backend.\n\n"
    );
}

/// Opens a session, sends `bytes` (no newline) and waits for the proxy to
/// close it: after our own close when `hang_up`, else at `stats timeout`.
fn send_partial(sock: &Path, bytes: &[u8], hang_up: bool) -> Vec<u8> {
    let mut c = UnixStream::connect(sock).unwrap();
    c.write_all(bytes).unwrap();
    if hang_up {
        c.shutdown(std::net::Shutdown::Write).unwrap();
    }
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut out = Vec::new();
    let _ = c.read_to_end(&mut out);
    out
}

#[test]
fn a_command_without_its_newline_is_never_run() {
    let dir = tests::TempDir::new();
    let sock = dir.path().join("admin.sock");
    let o1 = Origin::start(|_| Reply::ok(b"one"));
    let fe = BoundPort::new();
    let fe_port = fe.port;
    let cfg = format!(
        "{}\
         global\n\
         \x20   stats socket {} level admin\n\
         \x20   stats timeout 1s\n\
         frontend fe\n\
         \x20   bind {fe}\n\
         \x20   stick-table type ip size 10 store http_req_cnt\n\
         \x20   http-request track-sc0 src\n\
         \x20   default_backend be\n\
         backend be\n\
         \x20   server s1 127.0.0.1:{}\n",
        http_defaults(),
        sock.display(),
        o1.port
    );
    let _px = Proxy::start_with(&cfg, &[&fe]);
    assert_eq!(Client::connect(fe_port).get("/").status(), 200);
    let admin_state = |sock: &Path| {
        let state = cli(sock, "show servers state be");
        let line = state
            .lines()
            .find(|l| l.contains(" be 1 s1 "))
            .unwrap_or_else(|| panic!("{state}"))
            .to_string();
        // srv_admin_state is the 7th field.
        line.split(' ').nth(6).unwrap_or_default().to_string()
    };
    assert_eq!(admin_state(&sock), "0");

    // Closed mid-line: nothing runs, nothing is answered.
    assert!(send_partial(&sock, b"disable server be/s1", true).is_empty());
    assert!(send_partial(&sock, b"clear table fe", true).is_empty());
    // Left unfinished until `stats timeout` cuts the session.
    let t0 = Instant::now();
    assert!(send_partial(&sock, b"disable server be/s1", false).is_empty());
    assert!(t0.elapsed() >= Duration::from_millis(900));
    assert!(send_partial(&sock, b"show info;clear table fe", true).starts_with(b"Name: "));

    assert_eq!(admin_state(&sock), "0", "the server is still enabled");
    let table = cli(&sock, "show table fe");
    assert!(
        table.contains("# table: fe, type: ip, size:10, used:1"),
        "{table}"
    );
    assert!(table.contains("key=127.0.0.1"), "{table}");
    assert_eq!(Client::connect(fe_port).get("/").status(), 200);
}
