//! What the `%[...]` expressions of check rules see: the check's own
//! variables (`check.*`, plus `proc.*` when shared) and the names of the
//! backend and server. There is no request: HTTP fetches find nothing.

use std::net::SocketAddr;
use std::ops::ControlFlow;

use crate::rules::fetch::Named;
use crate::rules::{RequestView, StreamInfo};
use crate::sample::vars::VarStore;

pub(super) struct CheckView<'a> {
    pub vars: &'a VarStore,
    pub proxy: (&'a str, i64),
    pub server: (&'a str, i64),
    pub src: Option<SocketAddr>,
    pub dst: Option<SocketAddr>,
}

impl StreamInfo for CheckView<'_> {
    fn vars(&self) -> Option<&VarStore> {
        Some(self.vars)
    }

    fn named(&self, which: Named) -> Option<(&str, i64)> {
        match which {
            Named::Backend => Some(self.proxy),
            Named::Server => Some(self.server),
            _ => None,
        }
    }
}

impl RequestView for CheckView<'_> {
    fn method(&self) -> &[u8] {
        b""
    }
    fn uri(&self) -> &[u8] {
        b""
    }
    fn path(&self) -> &[u8] {
        b""
    }
    fn version(&self) -> (u8, u8) {
        (0, 0)
    }
    fn for_each_header<'a>(&'a self, _f: &mut dyn FnMut(&'a [u8], &'a [u8]) -> ControlFlow<()>) {}
    fn src(&self) -> Option<SocketAddr> {
        self.src
    }
    fn dst(&self) -> Option<SocketAddr> {
        self.dst
    }
    fn nbsrv(&self, _backend: Option<&str>) -> u32 {
        0
    }
    fn stream(&self) -> Option<&dyn StreamInfo> {
        Some(self)
    }
}
