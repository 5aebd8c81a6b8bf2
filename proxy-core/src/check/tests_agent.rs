//! Agent checks against scripted agents; the expectations are HAProxy
//! 2.6.12's `Agent check for server ...` log lines for the same replies.

use std::time::Duration;

use super::agent;
use super::tests_run::{is, received, server, target, Srv};
use super::CheckStatus::{self, *};

#[tokio::test]
async fn agent_outcomes() {
    let cases: Vec<(&[u8], CheckStatus, Option<i32>, &str)> = vec![
        (b"up\n", L7Ok, Some(0), "via agent : up"),
        (b"down\n", L7Sts, Some(0), "via agent : down"),
        (
            b"down #going away\n",
            L7Sts,
            Some(0),
            "via agent : down (going away)",
        ),
        (b"stopped\n", L7Sts, Some(0), "via agent : stopped"),
        (
            b"fail # broken disk\n",
            L7Sts,
            Some(0),
            "via agent : fail (broken disk)",
        ),
        (b"up foo\n", L7Ok, Some(0), "via agent : up (foo)"),
        (
            b"up 300%x\n",
            L7Ok,
            Some(0),
            "via agent : up (Absolute weight can only be between 0 and 256 inclusive.\n)",
        ),
        (
            b"up, maxconn:30 weight:20 #hi\n",
            L7Ok,
            Some(0),
            "via agent : up (weight:20)",
        ),
        (b"UP\r\n", L7Ok, Some(0), "via agent : UP"),
        (b"50%\n", Checked, None, ""),
        (b"foo bar\n", Checked, None, "agent reports an error : foo"),
        (b"up", Unknown, None, "Ignoring incomplete line from agent"),
        (b"", L7Rsp, None, "TCPCHK got an empty response at step 2"),
    ];
    for (reply, st, code, desc) in cases {
        let srv = server(Srv::Reply(reply.to_vec())).await;
        let (o, _) = agent::run_agent(&target(srv.addr, 1000), None).await;
        assert_eq!(
            (o.status, o.code, o.desc.as_str()),
            (st, code, desc),
            "{reply:?}"
        );
    }
    // A line longer than a buffer is never complete.
    let srv = server(Srv::ReplyOpen(vec![b'u'; 20000])).await;
    let (o, _) = agent::run_agent(&target(srv.addr, 1000), None).await;
    is(&o, Unknown, None, "Ignoring incomplete line from agent");
    assert!(o.duration < Duration::from_millis(900), "{o:?}");
    let srv = server(Srv::Refuse).await;
    let (o, r) = agent::run_agent(&target(srv.addr, 1000), None).await;
    is(&o, L4Con, None, "Connection refused");
    assert_eq!(r, None);
    let srv = server(Srv::Silent).await;
    let (o, _) = agent::run_agent(&target(srv.addr, 300), Some("hello\n")).await;
    is(&o, L7Tout, None, "");
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(received(&srv), b"hello\n");
    let srv = server(Srv::Reply(b"drain 50% maxconn:12\n".to_vec())).await;
    let (o, r) = agent::run_agent(&target(srv.addr, 1000), None).await;
    is(&o, Checked, None, "");
    let r = r.unwrap_or_default();
    assert_eq!(
        (r.admin, r.weight_pct, r.maxconn),
        (Some(agent::AgentAdmin::Drain), Some(50), Some(12))
    );
}
