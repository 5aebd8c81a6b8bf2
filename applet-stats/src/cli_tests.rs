//! CLI session tests against a mock host. Expected answers are HAProxy
//! 2.6.12's (captured with `socat` on a stats socket).

use std::cell::RefCell;

use crate::api::{Admin, AdminError, AdminState, ServerRef, Source};
use crate::cli::{CliSession, Level, Output, MAX_COMMAND_LEN};
use crate::model::{ProcessInfo, ProxyStats, ServerStateRow, SessionInfo};
use crate::testdata;

#[derive(Default)]
struct Host {
    log: RefCell<Vec<String>>,
    /// `show peers` as data; `None`: an older host, answering with text.
    peers: Option<applet_sdk::PeersView>,
    /// `show map|acl` as data (every query gets it); `None`: an older
    /// host, answering with text.
    patterns: Option<Result<Vec<applet_sdk::PatternRefView>, String>>,
}

impl Source for Host {
    fn info(&self) -> ProcessInfo {
        ProcessInfo {
            version: "2.6.12-1+deb12u4".into(),
            hard_maxconn: 9981,
            ..ProcessInfo::default()
        }
    }
    fn stats(&self) -> Vec<ProxyStats> {
        testdata::rows_from_csv(testdata::SNAP_SHOW_STAT_CSV)
    }
    fn sessions(&self) -> Vec<SessionInfo> {
        vec![SessionInfo {
            ptr: 0x1234,
            proto: "unix_stream".into(),
            frontend: "GLOBAL".into(),
            ..SessionInfo::default()
        }]
    }
    fn pools(&self) -> String {
        "Dumping pools usage. Use SIGQUIT to flush them.\n".into()
    }
    fn tables(
        &self,
        action: crate::api::TableAction,
        args: &[&str],
        _: Level,
        _: Level,
    ) -> Option<Result<String, String>> {
        matches!(
            action,
            crate::api::TableAction::ShowPeers | crate::api::TableAction::Command
        )
        .then(|| Ok(format!("host text: {}\n", args.join(" "))))
    }
    fn peers_view(&self) -> Option<applet_sdk::PeersView> {
        self.peers.clone()
    }
    fn patterns(
        &self,
        _: applet_sdk::PatternQuery,
    ) -> Option<Result<Vec<applet_sdk::PatternRefView>, String>> {
        self.patterns.clone()
    }
    fn servers_state(&self) -> Vec<ServerStateRow> {
        vec![ServerStateRow {
            be_id: 3,
            be_name: "be".into(),
            srv_id: 1,
            srv_name: "up1".into(),
            ..ServerStateRow::default()
        }]
    }
}

impl Admin for Host {
    fn find_server(&self, b: &str, s: &str) -> Result<ServerRef, AdminError> {
        match (b, s) {
            ("be", "up1") => Ok(ServerRef {
                uweight: 1,
                iweight: 1,
                proxy_disabled: false,
            }),
            ("be", _) => Err(AdminError::NoSuchServer),
            ("off", "s") => Ok(ServerRef {
                uweight: 1,
                iweight: 1,
                proxy_disabled: true,
            }),
            _ => Err(AdminError::NoSuchBackend),
        }
    }
    fn has_frontend(&self, name: &str) -> bool {
        name == "fe"
    }
    fn set_server_state(&self, b: &str, s: &str, st: AdminState) -> Result<(), AdminError> {
        self.log.borrow_mut().push(format!("state {b}/{s} {st:?}"));
        Ok(())
    }
    fn set_server_weight(&self, b: &str, s: &str, w: u32) -> Result<(), AdminError> {
        self.log.borrow_mut().push(format!("weight {b}/{s} {w}"));
        Ok(())
    }
    fn set_server_maxconn(&self, b: &str, s: &str, m: i64) -> Result<(), AdminError> {
        self.log.borrow_mut().push(format!("maxconn {b}/{s} {m}"));
        Ok(())
    }
    fn set_frontend_maxconn(&self, f: &str, m: u32) -> Result<(), AdminError> {
        self.log.borrow_mut().push(format!("fe maxconn {f} {m}"));
        Ok(())
    }
    fn set_global_maxconn(&self, m: u64) -> Result<(), AdminError> {
        self.log.borrow_mut().push(format!("global maxconn {m}"));
        Ok(())
    }
    fn clear_counters(&self, all: bool) {
        self.log.borrow_mut().push(format!("clear {all}"));
    }
    fn shutdown_session(&self, ptr: u64) -> bool {
        ptr == 0x1234
    }
    fn shutdown_server_sessions(&self, b: &str, s: &str) -> Result<(), AdminError> {
        self.log.borrow_mut().push(format!("kill {b}/{s}"));
        Ok(())
    }
    fn server_check_op(
        &self,
        b: &str,
        s: &str,
        op: applet_sdk::AdminOp,
        v: u64,
    ) -> Result<(), AdminError> {
        self.log
            .borrow_mut()
            .push(format!("check-op {b}/{s} {} {v}", op.0));
        Ok(())
    }
}

fn run(level: Level, input: &str) -> Output {
    let h = Host::default();
    CliSession::new(level).feed(input.as_bytes(), &h, &h)
}

fn answer(level: Level, cmd: &str) -> String {
    run(level, &format!("{cmd}\n")).text
}

#[test]
fn show_peers_is_rendered_from_the_view_else_asked_as_text() {
    let h = Host {
        peers: Some(applet_sdk::PeersView::default()),
        ..Host::default()
    };
    let out = CliSession::new(Level::User).feed(b"show peers\nshow peers dict nope\n", &h, &h);
    assert_eq!(out.text, "\nNo such peers\n\n");
    assert_eq!(
        answer(Level::User, "show peers dict x"),
        "host text: dict x\n\n"
    );
}

#[test]
fn show_map_is_rendered_from_the_data_else_asked_as_text() {
    let unknown = "Unknown ACL identifier. Please use #<id> or <file>.\n";
    let h = Host {
        patterns: Some(Err(unknown.into())),
        ..Host::default()
    };
    let out = CliSession::new(Level::User).feed(b"show acl #9\n", &h, &h);
    assert_eq!(out.text, format!("{unknown}\n"));
    let h = Host {
        patterns: Some(Ok(Vec::new())),
        ..Host::default()
    };
    let out = CliSession::new(Level::User).feed(b"show map\n", &h, &h);
    assert_eq!(out.text, "# id (file) description\n\n");
    assert_eq!(
        answer(Level::User, "show map @2 m"),
        "host text: show map @2 m\n\n"
    );
    assert_eq!(
        answer(Level::User, "get map m k"),
        "host text: get map m k\n\n"
    );
}

#[test]
fn prompt_mode_matches_capture() {
    // Captured bytes for "prompt\nshow version\nquit\n".
    let out = run(Level::Admin, "prompt\nshow version\nquit\n");
    assert_eq!(out.text, "\n> 2.6.12-1+deb12u4\n\n> ");
    assert!(out.close);
    // Interactive sessions stay open between reads; `prompt` toggles back.
    let h = Host::default();
    let mut cli = CliSession::new(Level::Admin);
    let o = cli.feed(b"prompt\n", &h, &h);
    assert_eq!((o.text.as_str(), o.close), ("\n> ", false));
    let o = cli.feed(b"prompt\nshow version\n", &h, &h);
    assert_eq!((o.text.as_str(), o.close), ("\n2.6.12-1+deb12u4\n\n", true));
}

#[test]
fn semicolons_and_pipelining() {
    let out = run(Level::Admin, "show version;show cli level\n");
    assert_eq!(out.text, "2.6.12-1+deb12u4\n\nadmin\n\n");
    assert!(out.close);
    assert_eq!(
        run(Level::Admin, "show version\nshow cli level\n").text,
        "2.6.12-1+deb12u4\n\nadmin\n\n"
    );
    assert_eq!(
        run(Level::Admin, "show version;quit;show version\n").text,
        "2.6.12-1+deb12u4\n\n"
    );
    assert_eq!(
        run(Level::Admin, "show version\r\n").text,
        "2.6.12-1+deb12u4\n\n"
    );
    let trailing = run(Level::Admin, "show version;\n").text;
    assert!(trailing.starts_with(
        "2.6.12-1+deb12u4\n\nUnknown command. Please enter one of the following commands only:\n"
    ));
    // Escaped semicolon stays in the word.
    assert!(answer(Level::Admin, "show version\\;show cli level")
        .starts_with("Unknown command, but maybe"));
    // Incomplete line: nothing yet, session open.
    let h = Host::default();
    let mut cli = CliSession::new(Level::Admin);
    assert_eq!(cli.feed(b"show ver", &h, &h), Output::default());
    assert_eq!(cli.feed(b"sion\n", &h, &h).text, "2.6.12-1+deb12u4\n\n");
}

#[test]
fn payload_framing() {
    assert_eq!(
        run(Level::Admin, "show version <<\nfoo\n\n").text,
        "2.6.12-1+deb12u4\n\n"
    );
    assert_eq!(
        run(Level::Admin, "prompt\nshow version <<\nfoo\n\nquit\n").text,
        "\n> + + 2.6.12-1+deb12u4\n\n> "
    );
    // A payload beyond the buffer closes the session unanswered, as 2.6.
    let line = format!("{}\n", "x".repeat(100));
    let big = format!("show version <<\n{}\n", line.repeat(200));
    let out = run(Level::Admin, &big);
    assert_eq!((out.text.as_str(), out.close), ("", true));
}

#[test]
fn huge_commands_are_refused() {
    let h = Host::default();
    let ok = format!("show version {}\n", "x".repeat(MAX_COMMAND_LEN - 14));
    assert_eq!(ok.len(), MAX_COMMAND_LEN);
    assert_eq!(
        CliSession::new(Level::Admin)
            .feed(ok.as_bytes(), &h, &h)
            .text,
        "2.6.12-1+deb12u4\n\n"
    );
    let too_long = format!("show version {}\n", "x".repeat(MAX_COMMAND_LEN - 13));
    let out = CliSession::new(Level::Admin).feed(too_long.as_bytes(), &h, &h);
    assert_eq!((out.text.as_str(), out.close), ("", true));
    // Without a newline the session is refused as soon as the limit is hit.
    let mut cli = CliSession::new(Level::Admin);
    let out = cli.feed(&vec![b'a'; MAX_COMMAND_LEN + 100], &h, &h);
    assert!(out.close && out.text.is_empty() && cli.is_closed());
}

#[test]
fn levels() {
    for cmd in [
        "show sess",
        "clear counters",
        "clear counters all",
        "set weight be/up1 1",
        "operator",
        "set maxconn global 100",
        "set maxconn frontend fe 100",
        "shutdown session 0x1",
        "disable server be/up1",
    ] {
        assert_eq!(answer(Level::User, cmd), "Permission denied\n\n", "{cmd}");
    }
    assert_eq!(
        answer(Level::User, "get weight be/up1"),
        "1 (initial 1)\n\n"
    );
    assert_eq!(answer(Level::User, "show cli level"), "user\n\n");
    assert_eq!(
        answer(Level::Operator, "clear counters all"),
        "Permission denied\n\n"
    );
    assert_eq!(answer(Level::Operator, "clear counters"), "\n");
    assert_eq!(
        answer(Level::Operator, "user;show cli level;operator"),
        "\nuser\n\nPermission denied\n\n"
    );
    assert_eq!(answer(Level::Admin, "user -;show cli level"), "user\n\n");
    // Addresses follow the socket's level, even after lowering it.
    let user = answer(Level::User, "show stat");
    assert!(!user.contains("127.0.0.1:19181"));
    assert!(answer(Level::Admin, "user;show stat").contains("127.0.0.1:19181"));
}

#[test]
fn unknown_commands() {
    let out = answer(Level::Admin, "set maxconn foo");
    assert!(out
        .starts_with("Unknown command, but maybe one of the following ones is a better match:\n"));
    assert!(out.ends_with("  quit                                    : disconnect\n\n"));
    let out = answer(Level::Admin, "");
    assert!(out.starts_with("Unknown command. Please enter one of the following commands only:\n"));
    let help = answer(Level::User, "help");
    assert!(help.starts_with(
        "The following commands are valid at this level:\n  abort ssl cert <certfile>"
    ));
}

#[test]
fn server_commands_and_messages() {
    let cases = [
        ("get weight be/up1", "1 (initial 1)\n\n"),
        ("get weight be/nope", "No such server.\n\n"),
        ("get weight nope/up1", "No such backend.\n\n"),
        ("get weight be", "Require 'backend/server'.\n\n"),
        ("get weight /up1", "No such backend.\n\n"),
        (
            "set weight be/up1 300",
            "Absolute weight can only be between 0 and 256 inclusive.\n\n",
        ),
        (
            "set weight be/up1 abc",
            "Empty weight string empty or preceded by garbage\n",
        ),
        ("set weight be/up1", "Require <weight> or <weight%>.\n\n"),
        ("set weight be/up1 50%", "\n"),
        (
            "set server be/up1 weight 5x",
            "Trailing garbage in weight string\n",
        ),
        (
            "set server be/up1 weight -5%",
            "Relative weight must be positive.\n\n",
        ),
        (
            "set server be/up1 state foo",
            "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n\n",
        ),
        ("set server be/up1 state drain", "\n"),
        ("set server be", "Require 'backend/server'.\n\n"),
        ("set server nope/x state ready", "No such backend.\n\n"),
        ("set server off/s state ready", "Proxy is disabled.\n\n"),
        ("disable server be/nope", "No such server.\n\n"),
        ("enable server be", "Require 'backend/server'.\n\n"),
        (
            "set maxconn server be/up1 abc",
            "maxconn string empty or preceded by garbage\n",
        ),
        ("set maxconn server be/up1", "Require <maxconn>.\n\n"),
        (
            "set maxconn server be/up1 12x",
            "Trailing garbage in maxconn string\n",
        ),
        ("set maxconn frontend fe", "Integer value expected.\n\n"),
        ("set maxconn frontend fe -1", "Value out of range.\n\n"),
        ("set maxconn frontend nope 10", "No such frontend.\n\n"),
        ("set maxconn frontend", "A frontend name is expected.\n\n"),
        ("set maxconn global 99999999", "Value out of range.\n\n"),
        ("set maxconn global", "Expects an integer value.\n\n"),
        ("shutdown session 0x1234", "\n"),
        (
            "shutdown session 0x99",
            "No such session (use 'show sess').\n\n",
        ),
        (
            "shutdown session abc",
            "Session pointer expected (use 'show sess').\n\n",
        ),
        (
            "shutdown sessions server be",
            "Require 'backend/server'.\n\n",
        ),
        ("show sess 0x99", "Session not found.\n\n"),
        ("show servers state nope", "Can't find backend.\n\n"),
        ("show stat nope 1 1", "No such proxy.\n\n"),
        ("show stat 0 1 1", "No such proxy.\n\n"),
    ];
    for (cmd, expect) in cases {
        assert_eq!(answer(Level::Admin, cmd), expect, "{cmd}");
    }
    let usage = answer(Level::Admin, "set server be/up1");
    assert_eq!(usage, "usage: set server <backend>/<server> addr | agent | agent-addr | agent-port | agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n\n");
}

#[test]
fn admin_actions_reach_the_host() {
    let h = Host::default();
    let mut cli = CliSession::new(Level::Admin);
    let script = "set weight be/up1 50%;set server be/up1 weight 7;disable server be/up1;enable server be/up1;\
set maxconn server be/up1 12;set maxconn frontend fe abc;set maxconn global 0;clear counters all;\
shutdown sessions server be/up1\n";
    cli.feed(script.as_bytes(), &h, &h);
    assert_eq!(
        *h.log.borrow(),
        [
            "weight be/up1 0", // 50% of an initial weight of 1
            "weight be/up1 7",
            "state be/up1 Maint",
            "state be/up1 Ready",
            "maxconn be/up1 12",
            "fe maxconn fe 0",
            "global maxconn 9981",
            "clear true",
            "kill be/up1",
        ]
    );
}

#[test]
fn show_commands() {
    let stat = answer(Level::Admin, "show stat");
    assert_eq!(stat, testdata::SNAP_SHOW_STAT_CSV);
    let typed = answer(Level::Admin, "show stat typed");
    assert_eq!(typed, testdata::SNAP_SHOW_STAT_TYPED);
    assert!(answer(Level::Admin, "show stat -1 4 -1 json").starts_with("[[{\"objType\":\"Server\""));
    assert!(answer(Level::Admin, "show stat be 2 -1").starts_with("# pxname"));
    assert_eq!(answer(Level::Admin, "show stat be 2 -1").lines().count(), 3);
    assert!(answer(Level::Admin, "show info").starts_with("Name: \nVersion: 2.6.12-1+deb12u4\n"));
    assert!(answer(Level::Admin, "show info typed").starts_with("0.Name.1:POS:str:\n"));
    assert!(answer(Level::Admin, "show info json").ends_with("}]\n\n"));
    assert_eq!(
        answer(Level::Admin, "show backend"),
        "# name\nbe\ntcpl\nemptybe\n\n"
    );
    assert!(answer(Level::Admin, "show servers state be").starts_with("1\n# be_id be_name"));
    assert!(answer(Level::Admin, "show sess")
        .starts_with("0x1234: proto=unix_stream src= fe=GLOBAL be=<NONE> srv=<none> "));
    assert!(answer(Level::Admin, "show pools").starts_with("Dumping pools usage."));
    assert_eq!(answer(Level::Admin, "show version"), "2.6.12-1+deb12u4\n\n");
}
