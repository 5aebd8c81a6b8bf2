//! A stats host with no proxies: every `show` answers from empty data and
//! every admin action reports "No such backend." / "No such frontend.",
//! so the CLI's line parsing and dispatch run without a real proxy.

use applet_stats::api::{Admin, AdminError, AdminState, ServerRef, Source};
use applet_stats::model::{ProcessInfo, ProxyStats, ServerStateRow, SessionInfo};

/// The empty host.
pub struct EmptyHost;

impl Source for EmptyHost {
    fn info(&self) -> ProcessInfo {
        ProcessInfo::default()
    }
    fn stats(&self) -> Vec<ProxyStats> {
        Vec::new()
    }
    fn sessions(&self) -> Vec<SessionInfo> {
        Vec::new()
    }
    fn pools(&self) -> String {
        String::new()
    }
    fn servers_state(&self) -> Vec<ServerStateRow> {
        Vec::new()
    }
}

impl Admin for EmptyHost {
    fn find_server(&self, _: &str, _: &str) -> Result<ServerRef, AdminError> {
        Err(AdminError::NoSuchBackend)
    }
    fn has_frontend(&self, _: &str) -> bool {
        false
    }
    fn set_server_state(&self, _: &str, _: &str, _: AdminState) -> Result<(), AdminError> {
        Err(AdminError::NoSuchBackend)
    }
    fn set_server_weight(&self, _: &str, _: &str, _: u32) -> Result<(), AdminError> {
        Err(AdminError::NoSuchBackend)
    }
    fn set_server_maxconn(&self, _: &str, _: &str, _: i64) -> Result<(), AdminError> {
        Err(AdminError::NoSuchBackend)
    }
    fn set_frontend_maxconn(&self, _: &str, _: u32) -> Result<(), AdminError> {
        Err(AdminError::NoSuchFrontend)
    }
    fn set_global_maxconn(&self, _: u64) -> Result<(), AdminError> {
        Ok(())
    }
    fn clear_counters(&self, _: bool) {}
    fn shutdown_session(&self, _: u64) -> bool {
        false
    }
    fn shutdown_server_sessions(&self, _: &str, _: &str) -> Result<(), AdminError> {
        Err(AdminError::NoSuchBackend)
    }
    fn server_check_op(
        &self,
        _: &str,
        _: &str,
        _: applet_sdk::AdminOp,
        _: u64,
    ) -> Result<(), AdminError> {
        Err(AdminError::NoSuchBackend)
    }
}
