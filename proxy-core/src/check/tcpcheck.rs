//! Runs a proxy's check rules against one server (placeholder: a plain
//! connect until the rules engine lands).

use std::time::Instant;

use super::{CheckOutcome, CheckStatus, CheckTarget};
use crate::config::model_check::ProxyChecks;

/// Runs one health check of `target` following `checks`.
pub async fn run_health(_checks: &ProxyChecks, target: &CheckTarget) -> CheckOutcome {
    let start = Instant::now();
    let r = tokio::time::timeout(
        target.connect_timeout,
        tokio::net::TcpStream::connect(target.addr),
    )
    .await;
    let mut out = match r {
        Ok(Ok(_)) => CheckOutcome::new(CheckStatus::L4Ok, ""),
        Ok(Err(e)) => CheckOutcome::new(CheckStatus::L4Con, e.to_string()),
        Err(_) => CheckOutcome::new(CheckStatus::L4Tout, ""),
    };
    out.duration = start.elapsed();
    out
}
