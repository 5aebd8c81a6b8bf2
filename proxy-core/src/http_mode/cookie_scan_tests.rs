//! Unit tests of the cookie byte work.

use super::*;

fn ck(insert: bool, indirect: bool, prefix: bool) -> CookieConfig {
    CookieConfig {
        name: "SRV".into(),
        insert,
        indirect,
        prefix,
        ..Default::default()
    }
}

fn run(c: &CookieConfig, headers: &[&str], up: [bool; 2]) -> (ReqFound, Vec<String>) {
    let servers = [
        SrvCookie {
            cookie: Some(b"a1"),
            up: up[0],
        },
        SrvCookie {
            cookie: Some(b"b2"),
            up: up[1],
        },
    ];
    let scan = ReqScan {
        cookie: Some(c),
        capture: None,
        servers: &servers,
        persist_down: false,
        ignore: false,
        assigned: false,
        now: 1_700_000_000,
    };
    let mut v: Vec<Vec<u8>> = headers.iter().map(|h| h.as_bytes().to_vec()).collect();
    let (f, _) = scan_request(&scan, &mut v);
    (
        f,
        v.into_iter()
            .map(|x| String::from_utf8(x).unwrap())
            .collect(),
    )
}

#[test]
fn insert_indirect_removes_our_cookie() {
    let c = ck(true, true, false);
    let (f, v) = run(&c, &["x=1; SRV=a1; y=2"], [true, true]);
    assert_eq!(f.state, CookieState::Valid);
    assert_eq!(f.server, Some(0));
    assert_eq!(v, ["x=1; y=2"]);
    let (_, v) = run(&c, &["SRV=b2"], [true, true]);
    assert_eq!(v, [""]);
    let (_, v) = run(&c, &["a=1;SRV=b2"], [true, true]);
    assert_eq!(v, ["a=1"]);
}

#[test]
fn states_invalid_down_none() {
    let c = ck(true, false, false);
    assert_eq!(
        run(&c, &["SRV=zz"], [true, true]).0.state,
        CookieState::Invalid
    );
    assert_eq!(
        run(&c, &["SRV="], [true, true]).0.state,
        CookieState::Invalid
    );
    let (f, v) = run(&c, &["SRV=a1"], [false, true]);
    assert_eq!((f.state, f.server), (CookieState::Down, None));
    assert_eq!(v, ["SRV=a1"]);
    assert_eq!(run(&c, &["x=SRV"], [true, true]).0.state, CookieState::None);
    // A valid cookie stays valid when a second one follows.
    let (f, _) = run(&c, &["SRV=a1; SRV=b2"], [true, true]);
    assert_eq!((f.state, f.server), (CookieState::Valid, Some(0)));
}

#[test]
fn prefix_mode_unprefixes() {
    let c = ck(false, false, true);
    let (f, v) = run(&c, &["JS=1; SRV=b2~abc ; k"], [true, true]);
    assert_eq!(f.server, Some(1));
    assert_eq!(v, ["JS=1; SRV=abc ; k"]);
}

#[test]
fn spaces_around_equal_are_removed() {
    let c = ck(true, true, false);
    let (_, v) = run(&c, &["a = 1 ; SRV = a1"], [true, true]);
    assert_eq!(v, ["a=1 "]);
}

#[test]
fn base64_dates_round_trip() {
    let mut out = Vec::new();
    s30_to_b64(0x1234_5678 & 0x3fff_ffff, &mut out);
    assert_eq!(b64_to_s30(&out), Some(0x1234_5678 & 0x3fff_ffff));
    assert_eq!(b64_to_s30(b"ab=cd"), None);
}

#[test]
fn response_insert_deletes_server_cookie() {
    let c = ck(true, false, false);
    let scan = ResScan {
        cookie: Some(&c),
        capture: None,
        server: Some(Some(b"a1")),
        direct: false,
        ignore: false,
    };
    let mut v = vec![Some(b"SRV=x; path=/".to_vec()), Some(b"k=v".to_vec())];
    let (f, changed) = scan_response(&scan, &mut v);
    assert!(changed);
    assert_eq!(f.state, SetCookieState::Deleted);
    assert_eq!(v, [None, Some(b"k=v".to_vec())]);
    let rw = CookieConfig {
        rewrite: true,
        ..ck(false, false, false)
    };
    let scan = ResScan {
        cookie: Some(&rw),
        ..scan
    };
    let mut v = vec![Some(b"SRV=x; path=/".to_vec())];
    let (f, _) = scan_response(&scan, &mut v);
    assert_eq!(f.state, SetCookieState::Rewritten);
    assert_eq!(v, [Some(b"SRV=a1; path=/".to_vec())]);
}
