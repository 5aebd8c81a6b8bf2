//! `http-request tarpit`: its delay is the proxy's `timeout tarpit`, or
//! its `timeout connect` when unset (HAProxy 2.6; a frontend has no
//! `timeout connect`, so its tarpit answers at once without `timeout
//! tarpit`). The rule keeps the delay of the proxy it runs in.

use super::keywords::ProxyState;
use super::model_http::HttpAction;

/// Sets the delay of every proxy's `tarpit` rules.
pub(super) fn delays(proxies: &mut [ProxyState]) {
    for st in proxies {
        let t = &st.cfg.timeouts;
        let delay = t.tarpit.or(t.connect.filter(|_| st.section.has_backend()));
        for r in &mut st.cfg.http.request {
            if let HttpAction::Tarpit(_, d) = &mut r.action {
                *d = delay;
            }
        }
    }
}
