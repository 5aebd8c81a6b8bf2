use abi_stable::prefix_type::PrefixTypeTrait;
use abi_stable::sabi_trait::TD_Opaque;
use abi_stable::std_types::{RErr, RNone, ROk, RResult, RSlice, RSome, RStr, RString, RVec};

use crate::*;

#[test]
fn the_exported_static_has_abi_stables_name() {
    assert_eq!(
        __private::ROOT_MODULE_LOADER_NAME,
        abi_stable::library::ROOT_MODULE_LOADER_NAME
    );
}

extern "C" fn t_log(_: LogLevel, _: RStr<'_>, _: RStr<'_>) {}
extern "C" fn t_now() -> u64 {
    42
}
extern "C" fn t_proxies() -> RVec<ProxySnapshot> {
    RVec::new()
}
extern "C" fn t_sessions() -> RVec<StreamSnapshot> {
    RVec::new()
}
extern "C" fn t_pools() -> RVec<PoolSnapshot> {
    RVec::new()
}
extern "C" fn t_admin(cmd: AdminCmd) -> abi_stable::std_types::RResult<RString, RString> {
    RErr(format!("op {}", cmd.op.0).into())
}

extern "C" fn t_info() -> ProcessSnapshot {
    ProcessSnapshot::default()
}

extern "C" fn t_tables(cmd: TableCmd) -> abi_stable::std_types::RResult<RString, RString> {
    abi_stable::std_types::ROk(format!("{} {}", cmd.op.0, cmd.args.len()).into())
}

extern "C" fn t_section(
    name: abi_stable::std_types::RStr<'_>,
) -> abi_stable::std_types::ROption<crate::peers::PeersSectionInfo> {
    if name.as_str() != "mypeers" {
        return abi_stable::std_types::RNone;
    }
    abi_stable::std_types::RSome(crate::peers::PeersSectionInfo {
        name: name.as_str().into(),
        local_peer: "a".into(),
        peers: RVec::new(),
        tables: RVec::new(),
        pid: 1,
        max_message: 16384,
        old_process: false,
    })
}
extern "C" fn t_marks(
    _: abi_stable::std_types::RStr<'_>,
) -> abi_stable::std_types::ROption<crate::peers::TableMarks> {
    abi_stable::std_types::RSome(crate::peers::TableMarks {
        local_update: 3,
        update: 5,
    })
}
extern "C" fn t_collect(
    _: abi_stable::std_types::RStr<'_>,
    after: u64,
    upto: u64,
    _: bool,
    max: u32,
) -> RVec<crate::peers::PeerEntry> {
    (after + 1..=upto)
        .take(max as usize)
        .map(|id| crate::peers::PeerEntry {
            id,
            key: RVec::from(vec![1, 2, 3, 4]),
            expire_ms: 10,
            local: true,
            values: RVec::from(vec![crate::peers::PeerValue::int(id)]),
        })
        .collect()
}
extern "C" fn t_apply(_: abi_stable::std_types::RStr<'_>, u: &crate::peers::PeerUpdates) -> u32 {
    u.iter()
        .filter(|(k, _, v)| k.len() == 4 && v.len() == 1)
        .count() as u32
}
extern "C" fn t_connect(
    _: abi_stable::std_types::RStr<'_>,
    _: abi_stable::std_types::RStr<'_>,
    token: u64,
) -> abi_stable::std_types::RResult<u64, RString> {
    abi_stable::std_types::ROk(token + 100)
}
extern "C" fn t_wake(_: u64) {}
extern "C" fn t_status(_: abi_stable::std_types::RStr<'_>, _: crate::peers::SectionStatus) {}

extern "C" fn t_stick_tables(q: StickQuery) -> RResult<RVec<StickTableInfo>, RString> {
    if q.table.as_str() != "t" {
        return RErr("No such table\n".into());
    }
    ROk(RVec::from(vec![StickTableInfo {
        name: "t".into(),
        key_type: "ip".into(),
        size: 10,
        used: 1,
        key_len: 4,
        columns: RVec::from(vec![StickColumn {
            name: "gpc0".into(),
            data_type: "gpc".into(),
            index: 0,
            period_ms: 0,
        }]),
        dumped: true,
        entries: RVec::from(vec![StickEntry {
            id: 0x10,
            key: "127.0.0.1".into(),
            use_count: 0,
            expire_ms: 5,
            values: RVec::from(vec![StickValue::unsigned(3)]),
        }]),
        metrics: RVec::new(),
    }]))
}

#[test]
fn stick_tables_reach_the_host() {
    let h = Host::new(table(), "test");
    let got = h.stick_tables(StickQuery::table("t", None, &[], 2, 2));
    let got = got.unwrap().unwrap();
    assert_eq!(got[0].entries[0].values[0], StickValue::unsigned(3));
    assert_eq!(
        h.stick_tables(StickQuery::all()),
        Some(Err("No such table\n".to_string()))
    );
}

extern "C" fn t_peers_view() -> PeersView {
    PeersView {
        now_ms: 1500,
        sections: RVec::from(vec![PeersSectionView {
            config: t_section(RStr::from_str("mypeers")).unwrap(),
            id: 0x10,
            disabled: false,
            last_change_s: 0,
            utc_offset_s: 0,
            peer_ids: RVec::from(vec![0x20]),
            tables: RVec::from(vec![SharedTableView::default()]),
            status: RNone,
            published_ms: 1000,
            metrics: RVec::new(),
        }]),
        metrics: RVec::new(),
    }
}

#[test]
fn peers_view_reaches_the_host() {
    let h = Host::new(table(), "test");
    let view = h.peers_view().unwrap();
    let s = &view.sections[0];
    assert_eq!((s.id, s.config.name.as_str()), (0x10, "mypeers"));
    assert_eq!(s.status_age_ms(&view), 500);
}

extern "C" fn t_patterns(q: PatternQuery) -> RResult<RVec<PatternRefView>, RString> {
    if q.kind != PatternKind::MAP || q.reference.as_ref().map(|r| r.as_str()) != RSome("m.map") {
        return RErr("Unknown map identifier. Please use #<id> or <file>.\n".into());
    }
    ROk(RVec::from(vec![PatternRefView {
        id: 0,
        file: "m.map".into(),
        dumped: true,
        entries: RVec::from(vec![PatternEntryView {
            id: 0x30,
            pattern: "k".into(),
            value: RSome("v".into()),
            version: q.version.unwrap_or(0),
            line: 1,
        }]),
        ..PatternRefView::default()
    }]))
}

#[test]
fn patterns_reach_the_host() {
    let h = Host::new(table(), "test");
    let got = h.patterns(PatternQuery::one(PatternKind::MAP, "m.map", Some(2)));
    let got = got.unwrap().unwrap();
    assert_eq!(
        got[0].entries[0].value.as_ref().map(|v| v.as_str()),
        RSome("v")
    );
    assert_eq!(got[0].entries[0].version, 2);
    assert_eq!(
        h.patterns(PatternQuery::all(PatternKind::ACL)),
        Some(Err(
            "Unknown map identifier. Please use #<id> or <file>.\n".to_string()
        ))
    );
}

#[test]
fn peers_host_functions_reach_the_host() {
    let h = Host::new(table(), "t");
    assert!(h.peers_section("nope").is_none());
    assert_eq!(h.peers_section("mypeers").map(|s| s.pid), Some(1));
    assert_eq!(h.table_marks("t").map(|m| m.update), Some(5));
    let got = h.table_collect("t", 2, 10, true, 3);
    assert_eq!(got.iter().map(|e| e.id).collect::<Vec<_>>(), [3, 4, 5]);
    let mut u = crate::peers::PeerUpdates::default();
    let v = |n| crate::peers::PeerUpdateValue {
        id: 2,
        index: 0,
        value: crate::peers::PeerValue::int(n),
    };
    u.push(&[1, 2, 3, 4], None, [v(1)]);
    u.push(&[5, 6, 7, 8], Some(9), [v(2)]);
    u.push(&[9], Some(9), []);
    let got: Vec<_> = u
        .iter()
        .map(|(k, e, vals)| (k.to_vec(), e, vals.len()))
        .collect();
    assert_eq!(
        got,
        [
            (vec![1, 2, 3, 4], None, 1),
            (vec![5, 6, 7, 8], Some(9), 1),
            (vec![9], Some(9), 0)
        ]
    );
    assert_eq!(h.table_apply("t", &u), 2);
    assert_eq!(h.peer_connect("s", "p", 7), Ok(107));
}

fn table() -> HostServices_Ref {
    HostServices {
        log: t_log,
        now_ms: t_now,
        proxies: t_proxies,
        sessions: t_sessions,
        pools: t_pools,
        admin: t_admin,
        info: t_info,
        tables: t_tables,
        peers_section: t_section,
        table_marks: t_marks,
        table_collect: t_collect,
        table_apply: t_apply,
        peer_connect: t_connect,
        wake: t_wake,
        peers_status: t_status,
        stick_tables: t_stick_tables,
        peers_view: t_peers_view,
        log_enabled: t_log_enabled,
        patterns: t_patterns,
    }
    .leak_into_prefix()
}

struct Echo;
impl AppletImpl for Echo {
    fn on_io(&mut self, io: &mut Io<'_>) -> Wait {
        let data = io.input();
        let n = io.write(data);
        io.consume(n);
        if io.input_closed() && io.input().is_empty() {
            Wait::DONE
        } else if n < data.len() {
            Wait::ROOM
        } else {
            Wait::INPUT
        }
    }
}

struct Boom;
impl AppletImpl for Boom {
    fn on_io(&mut self, _: &mut Io<'_>) -> Wait {
        panic!("boom {}", 7)
    }
}

struct Fails;
impl AppletImpl for Fails {
    fn on_io(&mut self, io: &mut Io<'_>) -> Wait {
        io.fail("nope");
        Wait::DONE
    }
}

fn call(a: &mut AppletBox, input: &[u8], closed: bool, room: usize) -> (RVec<u8>, usize, Wait) {
    let mut out = RVec::new();
    let mut response = HttpOut::default();
    let mut ctx = IoCtx {
        input: RSlice::from_slice(input),
        consumed: 0,
        input_closed: closed,
        room,
        output: &mut out,
        stream: StreamInfo::default(),
        request: RNone,
        response: &mut response,
    };
    let w = a.on_io(&mut ctx);
    let consumed = ctx.consumed;
    match w {
        ROk(w) => (out, consumed, w),
        RErr(e) => panic!("unexpected error {e}"),
    }
}

#[test]
fn io_respects_room_and_reports_consumption() {
    let mut a: AppletBox = Applet_TO::from_value(Shim::new(Echo), TD_Opaque);
    let (out, consumed, w) = call(&mut a, b"abcdef", false, 4);
    assert_eq!(&out[..], b"abcd");
    assert_eq!(consumed, 4);
    assert_eq!(w, Wait::ROOM);
    let (out, consumed, w) = call(&mut a, b"ef", true, 10);
    assert_eq!((&out[..], consumed, w), (&b"ef"[..], 2, Wait::DONE));
}

#[test]
fn a_panic_becomes_an_error_and_the_applet_is_not_called_again() {
    let mut a: AppletBox = Applet_TO::from_value(Shim::new(Boom), TD_Opaque);
    let mut out = RVec::new();
    let mut response = HttpOut::default();
    let mut ctx = IoCtx {
        input: RSlice::from_slice(b""),
        consumed: 0,
        input_closed: false,
        room: 10,
        output: &mut out,
        stream: StreamInfo::default(),
        request: RNone,
        response: &mut response,
    };
    match a.on_io(&mut ctx) {
        RErr(AppletError::Panicked(m)) => {
            assert!(m.contains("boom 7"), "{m}");
            assert!(m.contains("tests.rs"), "location missing: {m}");
        }
        other => panic!("expected a panic report, got {other:?}"),
    }
    assert!(matches!(a.on_io(&mut ctx), RErr(AppletError::Failed(_))));
    assert_eq!(a.release(), ROk(()));
}

#[test]
fn io_fail_reports_failed() {
    let mut a: AppletBox = Applet_TO::from_value(Shim::new(Fails), TD_Opaque);
    let mut out = RVec::new();
    let mut response = HttpOut::default();
    let mut ctx = IoCtx {
        input: RSlice::from_slice(b""),
        consumed: 0,
        input_closed: false,
        room: 10,
        output: &mut out,
        stream: StreamInfo::default(),
        request: RNone,
        response: &mut response,
    };
    assert_eq!(a.on_io(&mut ctx), RErr(AppletError::Failed("nope".into())));
}

#[test]
fn create_dispatches_and_contains_panics() {
    let args = [RString::from("x")];
    let dispatch = |svc: &str, args: &[String], host: Host| match svc {
        "echo" => {
            assert_eq!(args, ["x".to_string()]);
            assert_eq!(host.now_ms(), 42);
            assert_eq!(
                host.admin(AdminCmd::clear_counters(true)),
                Err("op 3".to_string())
            );
            assert_eq!(
                host.tables(TableCmd::new(TableOp::SHOW, &["t", "key", "k"], 2, 2)),
                Some(Ok("1 3".to_string()))
            );
            Some(__private::boxed(Ok::<_, String>(Echo)))
        }
        "bad" => Some(__private::boxed(Err::<Echo, _>("bad args".into()))),
        "panic" => panic!("in constructor"),
        _ => None,
    };
    let run = |svc: &'static str| {
        __private::create(
            RStr::from_str(svc),
            RSlice::from_slice(&args),
            table(),
            "test",
            dispatch,
        )
    };
    assert!(run("echo").is_ok());
    assert!(matches!(run("bad"), RErr(AppletError::Init(m)) if m == "bad args"));
    assert!(matches!(run("panic"), RErr(AppletError::Panicked(m)) if m.contains("in constructor")));
    assert!(matches!(run("nope"), RErr(AppletError::UnknownService(m)) if m == "nope"));
}

#[test]
fn kinds_print_their_names() {
    assert_eq!(ServiceKind::HTTP_SERVICE.to_string(), "http-service");
    assert_eq!(ServiceKind(99).to_string(), "kind-99");
}

/// Answers with `write_all` more than one call's room: the rest goes out
/// in later calls without the applet being called again, then its DONE.
struct Big;
impl AppletImpl for Big {
    fn on_io(&mut self, io: &mut Io<'_>) -> Wait {
        assert!(!io.head_sent(), "called again after answering");
        io.send_head(Response::new(200).length(10)).unwrap();
        assert_eq!(io.send_head(Response::new(200)), Err(WriteError::HeadSent));
        io.write_all(b"0123456789").unwrap();
        assert!(io.has_pending_output());
        io.end();
        assert_eq!(io.write_all(b"x"), Err(WriteError::Ended));
        Wait::DONE
    }
}

#[test]
fn write_all_keeps_what_does_not_fit_and_ends_after_it() {
    let mut a: AppletBox = Applet_TO::from_value(Shim::new(Big), TD_Opaque);
    let mut got = Vec::new();
    let mut ends = Vec::new();
    let mut waits = Vec::new();
    for _ in 0..4 {
        let mut out = RVec::new();
        let mut response = HttpOut::default();
        let mut ctx = IoCtx {
            input: RSlice::from_slice(b""),
            consumed: 0,
            input_closed: true,
            room: 4,
            output: &mut out,
            stream: StreamInfo::default(),
            request: RNone,
            response: &mut response,
        };
        let w = a.on_io(&mut ctx).unwrap();
        got.extend_from_slice(&out);
        ends.push(response.end);
        waits.push(w);
        if w == Wait::DONE {
            break;
        }
    }
    assert_eq!(got, b"0123456789");
    assert_eq!(ends, [false, false, true]);
    assert_eq!(waits, [Wait::ROOM, Wait::ROOM, Wait::DONE]);
}

extern "C" fn t_log_enabled(_: crate::LogLevel) -> bool {
    true
}
