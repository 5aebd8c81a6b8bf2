//! The host services against a run-time state: the snapshots and admin
//! commands directly, then through the table as an applet calls them.

use applet_sdk::{AdminCmd, Host, ProxyKind};

use super::{admin, clear_state, services, set_state, table};

const CFG: &str = "\
defaults
    mode http
    timeout connect 1s
    timeout client 1s
    timeout server 1s

frontend fe1
    bind 127.0.0.1:18080
    default_backend be1

backend be1
    server s1 127.0.0.1:8080 weight 10
    server s2 127.0.0.1:8081 weight 20 disabled
";

#[test]
fn host_snapshots_and_admin_read_the_state() {
    let config = crate::config::parse_str(CFG, "test.cfg").expect("config");
    let state = crate::state::State::build(config);
    let proxies = services::proxies_for_test(&state);
    assert_eq!(proxies.len(), 2);
    let fe = &proxies[0];
    assert_eq!((fe.name.as_str(), fe.kind), ("fe1", ProxyKind::FRONTEND));
    assert_eq!(fe.fe_metric("stot"), Some(0));
    assert!(fe.backend.is_empty());
    let be = &proxies[1];
    assert_eq!(be.kind, ProxyKind::BACKEND);
    assert_eq!(be.be_metric("qcur"), Some(0));
    let s: Vec<(&str, u32, &str)> = be
        .servers
        .iter()
        .map(|s| (s.name.as_str(), s.weight, s.state.name()))
        .collect();
    assert_eq!(s, [("s1", 10, "UP"), ("s2", 20, "MAINT")]);
    assert_eq!(be.servers[0].addr.as_str(), "127.0.0.1:8080");

    let set = |w| admin::admin_for_test(&state, &AdminCmd::set_server_weight("be1", "s1", w));
    assert_eq!(set(3), Ok(String::new()));
    assert_eq!(services::proxies_for_test(&state)[1].servers[0].weight, 3);
    assert!(set(1000).is_err());
    let e = admin::admin_for_test(&state, &AdminCmd::set_server_weight("nope", "s1", 1));
    assert!(e.unwrap_err().contains("No such backend"));
    assert_eq!(
        admin::admin_for_test(&state, &AdminCmd::clear_counters(true)),
        Ok(String::new())
    );

    // Through the table, as an applet calls it.
    set_state(state);
    let h = Host::new(table(), "test");
    assert_eq!(h.proxies().len(), 2);
    let pools: Vec<String> = h.pools().iter().map(|p| p.name.to_string()).collect();
    assert_eq!(pools, ["connection", "stream", "buffer"]);
    assert!(h.sessions().is_empty());
    let t0 = h.now_ms();
    assert!(h.now_ms() >= t0);
    h.log(applet_sdk::LogLevel::INFO, "hello from a test");
    clear_state();
    assert!(h.proxies().is_empty());
}
