//! Tests of applying saved server states: validation messages, and the
//! states, weights and checks a running server ends up with.

use super::*;
use crate::monitor::state_file::Line;

/// The fields from `srv_addr` on of a line with these op/admin/uweight/
/// iweight/since/health/check-state values.
fn params(op: &str, admin: &str, uw: &str, iw: &str, since: &str, health: &str) -> Vec<String> {
    format!("127.0.0.2 {op} {admin} {uw} {iw} {since} 8 2 {health} 6 0 0 0 - 9090 - 0 0 - - 0")
        .split(' ')
        .map(str::to_string)
        .collect()
}

#[test]
fn validation_lists_every_bad_value() {
    let ok = SavedState::parse(&params("2", "0", "5", "10", "30", "4")).unwrap();
    assert_eq!(ok.op, OpState::Running);
    assert_eq!((ok.uweight, ok.iweight, ok.since), (5, 10, 30));
    assert_eq!(ok.port, Some(9090));
    assert_eq!(ok.addr.as_deref(), Some("127.0.0.2"));
    // Inherited and resolution bits are dropped, not refused.
    let ok = SavedState::parse(&params("0", "33", "1", "1", "0", "0")).unwrap();
    assert_eq!(ok.admin, FMAINT);
    let e = SavedState::parse(&params("7", "x", "300", "1", "z", "4")).unwrap_err();
    assert_eq!(
        e,
        ", invalid srv_op_state value '7', invalid srv_admin_state value 'x', invalid srv_uweight value '300', invalid srv_last_time_change value 'z'"
    );
    assert!(
        SavedState::parse(&params("2", "9", "1", "1", "0", "0")).is_err(),
        "maint+drain"
    );
    let mut p = params("2", "0", "1", "1", "0", "0");
    p[14] = "70000".into();
    assert_eq!(
        SavedState::parse(&p).unwrap_err(),
        ", invalid srv_port value '70000'"
    );
    p[14] = "80".into();
    p[13] = "bad/name".into();
    assert_eq!(
        SavedState::parse(&p).unwrap_err(),
        ", invalid srv_fqdn value 'bad/name'"
    );
}

const CFG: &str = "\
defaults
    mode tcp
    timeout connect 1s
    timeout client 1s
    timeout server 1s
backend be
    server s1 127.0.0.1:8081 check
    server s2 127.0.0.1:8082 check weight 10
    server s3 127.0.0.1:8083 check disabled
    server s4 localhost:8084 check
";

fn plan_for(lines: &[(usize, Vec<String>)]) -> Plan {
    let steps = lines
        .iter()
        .map(|(si, p)| {
            let text = format!("1 be {} s{} {}\n", si + 1, si + 1, p.join(" "));
            let Line::Entry(entry) = crate::monitor::state_file::parse_line(text.as_bytes()) else {
                panic!("bad line {text}")
            };
            Step::Apply {
                proxy: 0,
                server: *si,
                entry,
            }
        })
        .collect();
    Plan { steps }
}

fn server(st: &State, i: usize) -> &crate::backend::Server {
    &st.proxies[0].be.as_ref().unwrap().servers[i]
}

#[test]
fn states_weights_and_checks_carry_over() {
    let mut cfg = crate::config::parse_str(CFG, "t.cfg").unwrap();
    let mut s2 = params("2", "8", "5", "10", "30", "4");
    s2[9] = "2".into(); // check configured, not enabled
    let plan = plan_for(&[
        (0, params("0", "1", "1", "1", "100", "0")),
        (1, s2),
        (2, params("2", "0", "1", "1", "0", "4")),
        (3, params("3", "0", "1", "1", "0", "4")),
    ]);
    apply_addresses(&plan, &mut cfg);
    let srv = &cfg.proxies[0].servers;
    assert_eq!(
        srv[0].ip.to_string(),
        "127.0.0.1",
        "an IP literal keeps its address"
    );
    assert_eq!(srv[0].port, Some(9090), "the port always carries over");
    assert_eq!(
        srv[3].ip.to_string(),
        "127.0.0.2",
        "a host name takes the saved one"
    );
    let st = State::build(cfg);
    apply(&st, &plan);
    assert!(!st.is_starting());
    let s1 = server(&st, 0);
    assert_eq!(
        (s1.health.op(), s1.admin_state()),
        (OpState::Stopped, admin_state::MAINT)
    );
    assert_eq!(s1.health.chkdown.load(Ordering::Relaxed), 1);
    assert!(
        s1.health.downtime().as_secs() >= 100,
        "down since the saved change"
    );
    assert!(crate::counters::ms_since(s1.last_change.load(Ordering::Relaxed)) >= 100_000);
    let s2 = server(&st, 1);
    assert_eq!(s2.admin_state(), admin_state::DRAIN);
    assert_eq!(
        s2.weight.load(Ordering::Relaxed),
        5,
        "same iweight: user weight kept"
    );
    assert!(
        !s2.health.lock().check.enabled,
        "disabled check stays disabled"
    );
    assert_eq!(s2.health.lock().check.status, CheckStatus::L4Con);
    // The configuration says `disabled` and the file did not: it wins.
    let s3 = server(&st, 2);
    assert_eq!(s3.admin_state(), admin_state::MAINT);
    let s4 = server(&st, 3);
    assert_eq!(s4.health.op(), OpState::Stopping);
    let c = s4.health.lock();
    assert!(c.check.health >= c.check.rise && c.check.health < c.check.full());
}

#[test]
fn configuration_changes_win() {
    let cfg = crate::config::parse_str(CFG, "t.cfg").unwrap();
    let st = State::build(cfg);
    // iweight changed (20 saved, 10 configured): the saved weight is
    // dropped, the forced drain kept. s3 was ready in the file but had `disabled` then too (CMAINT): the
    // forced ready carries over.
    let plan = plan_for(&[
        (1, params("2", "8", "7", "20", "0", "4")),
        (2, params("2", "4", "1", "1", "0", "4")),
    ]);
    apply(&st, &plan);
    assert_eq!(server(&st, 1).weight.load(Ordering::Relaxed), 10);
    assert_eq!(server(&st, 1).admin_state(), admin_state::DRAIN);
    assert_eq!(server(&st, 2).admin_state(), admin_state::READY);
    let plan = plan_for(&[(0, params("2", "8", "1", "0", "0", "4"))]);
    apply(&st, &plan);
    assert_eq!(
        server(&st, 0).admin_state(),
        admin_state::READY,
        "a drain from a configured weight of 0 ends when the weight is set"
    );
}

#[test]
fn a_bad_line_changes_nothing() {
    let mut cfg = crate::config::parse_str(CFG, "t.cfg").unwrap();
    let plan = plan_for(&[(0, params("0", "x", "1", "1", "0", "0"))]);
    apply_addresses(&plan, &mut cfg);
    assert_eq!(cfg.proxies[0].servers[0].port, Some(8081));
    let st = State::build(cfg);
    apply(&st, &plan);
    assert_eq!(server(&st, 0).health.op(), OpState::Running);
    assert_eq!(server(&st, 0).admin_state(), admin_state::READY);
}
