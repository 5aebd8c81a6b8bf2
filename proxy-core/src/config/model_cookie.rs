//! Cookie persistence settings of a proxy: the `cookie` line of a
//! backend, `option persist`, `dynamic-cookie-key`, the
//! `force-persist`/`ignore-persist` rules and the frontend's
//! `capture cookie`. The runtime side is [`crate::http_mode`]'s cookie
//! module.

use super::model_http::Condition;

/// `cookie <name> [options]`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CookieConfig {
    pub name: String,
    /// `rewrite`: the server's own cookie gets the server's value.
    pub rewrite: bool,
    /// `insert`: the proxy sets the cookie itself.
    pub insert: bool,
    /// `prefix`: the server's cookie gets `<value>~` in front.
    pub prefix: bool,
    /// `indirect`: the server never sees a cookie it did not set.
    pub indirect: bool,
    /// `nocache`: `Cache-control: private` beside an inserted cookie.
    pub nocache: bool,
    /// `postonly`: insert only in answers to POST requests.
    pub postonly: bool,
    /// `preserve`: a cookie set by the server stays untouched.
    pub preserve: bool,
    pub httponly: bool,
    pub secure: bool,
    /// `dynamic`: servers without `cookie` get one from
    /// `dynamic-cookie-key`, their address and port.
    pub dynamic: bool,
    /// `domain` values, in order.
    pub domains: Vec<String>,
    /// `maxidle` in seconds (0: none).
    pub maxidle: u32,
    /// `maxlife` in seconds (0: none).
    pub maxlife: u32,
    /// `attr` values, in order.
    pub attrs: Vec<String>,
}

impl CookieConfig {
    /// Whether the log shows the cookie letters of `%tsc` (HAProxy's
    /// `PR_CK_ANY`: any of rewrite, indirect, insert, prefix).
    pub fn logs_letters(&self) -> bool {
        self.rewrite || self.indirect || self.insert || self.prefix
    }

    /// Whether inserted cookies carry dates.
    pub fn dated(&self) -> bool {
        self.maxidle != 0 || self.maxlife != 0
    }
}

/// `force-persist` or `ignore-persist`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PersistRuleKind {
    Force,
    Ignore,
}

/// One `force-persist|ignore-persist if|unless <cond>` rule.
#[derive(Clone, Debug)]
pub struct PersistRule {
    pub kind: PersistRuleKind,
    pub cond: Condition,
}

/// `capture cookie <name> len <n>` (frontend side).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CookieCapture {
    pub name: String,
    pub len: usize,
}

/// Everything cookie persistence needs from one proxy.
#[derive(Clone, Debug, Default)]
pub struct PersistConfig {
    pub cookie: Option<CookieConfig>,
    /// `option persist`: a cookie naming a DOWN server still goes there.
    pub persist: bool,
    /// `dynamic-cookie-key`.
    pub dynamic_key: Option<String>,
    /// `force-persist` / `ignore-persist`, in order.
    pub rules: Vec<PersistRule>,
    pub capture: Option<CookieCapture>,
}
