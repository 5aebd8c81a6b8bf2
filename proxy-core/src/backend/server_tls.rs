//! The TLS a backend's servers use for traffic, gathered once per
//! backend: each server's client configuration and which of the
//! backend's distinct `sni` expressions gives its SNI.

use crate::rules::expr::Expr;
use crate::tls_client::TrafficTls;

/// The traffic TLS of each of a backend's servers, and the distinct `sni`
/// expressions among them: a stream evaluates each once, however many
/// servers share it (usually all, through `default-server`).
pub fn traffic_tls(
    servers: &[crate::config::ServerConfig],
) -> (Vec<Option<TrafficTls>>, Vec<Expr>) {
    let mut exprs: Vec<Expr> = Vec::new();
    let per_server = servers
        .iter()
        .map(|s| {
            let tls = s.tls.as_ref().map(|h| h.0.clone()).filter(|t| t.traffic)?;
            let sni_slot = tls
                .sni
                .as_ref()
                .map(|e| match exprs.iter().position(|x| x == e) {
                    Some(i) => i,
                    None => {
                        exprs.push(e.clone());
                        exprs.len() - 1
                    }
                });
            Some(TrafficTls { tls, sni_slot })
        })
        .collect();
    (per_server, exprs)
}
