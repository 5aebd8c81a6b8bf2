//! The proxy `option`s that tune how connections and messages are
//! handled rather than what rules do: `originalto`, `nolinger`,
//! `http-ignore-probes`, `abortonclose`, `accept-invalid-http-*`,
//! `http-pretend-keepalive`, and those accepted without effect here
//! (`http-no-delay`, `splice-*`; see README "Differences").

use crate::rules::acl::IpNet;

/// `option originalto [except <net>] [header <name>]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OriginalTo {
    /// Destinations in this network get no header.
    pub except: Option<IpNet>,
    /// Default `X-Original-To`.
    pub header: String,
}

/// The options of one proxy (inherited from `defaults` like the rest).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyOptions {
    pub originalto: Option<OriginalTo>,
    /// `option nolinger`: close this side's connections with a reset
    /// (`SO_LINGER 0`; a half-close still sends its FIN first).
    pub nolinger: bool,
    /// `option http-ignore-probes`: a connection closed or timed out
    /// before its first byte gets no answer and no log line.
    pub ignore_probes: bool,
    /// `option abortonclose`: in TCP mode, a client closing while its
    /// bytes wait for a server ends the stream (`CQ`/`CC`); see
    /// [`crate::client_watch`]. No effect in HTTP mode (as seen on 2.6).
    pub abortonclose: bool,
    /// `option accept-invalid-http-request`: the request heads 2.6 then
    /// accepts (see `http::head_lenient`).
    pub accept_invalid_req: bool,
    /// `option accept-invalid-http-response`: the same for a server's
    /// response heads.
    pub accept_invalid_res: bool,
    /// `option http-use-proxy-header` (frontend): a request whose target
    /// starts with neither `/` nor `*` is one for a proxy, so `auth`
    /// answers 407 and the `http_auth*` fetches read
    /// `Proxy-Authorization`.
    pub use_proxy_header: bool,
    /// `option http-no-delay` (accepted: we never delay sends).
    pub http_no_delay: bool,
    /// `option http-pretend-keepalive`: with `http-server-close` or
    /// `httpclose`, the request still tells the server keep-alive.
    pub pretend_keepalive: bool,
    /// `option splice-auto|splice-request|splice-response` (accepted:
    /// data is always copied).
    pub splice: bool,
}
