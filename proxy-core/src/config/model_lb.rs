//! The arguments of the `balance` algorithms that hash a part of the
//! request (`uri`, `url_param`, `hdr`, `rdp-cookie`, `hash`) and of
//! `random`: what the key is and how it is cut out.

use crate::rules::expr::Expr;

/// `balance`'s arguments beyond the algorithm's name.
#[derive(Clone, Debug, Default)]
pub struct LbParams {
    /// `uri whole`: the query string is part of the key.
    pub whole: bool,
    /// `uri path-only`: an absolute URI's scheme and authority are not.
    pub path_only: bool,
    /// `uri len <n>`: only the first `n` characters count (0: all).
    pub len: usize,
    /// `uri depth <n>`: only the first `n` directories count (0: all).
    pub depth: usize,
    /// The `url_param` parameter, the `hdr(<name>)` header or the
    /// `rdp-cookie(<name>)` cookie.
    pub name: String,
    /// `url_param ... check_post`: a POST body is searched too.
    pub check_post: bool,
    /// `hdr(...) use_domain_only`: only the domain's main label counts.
    pub use_domain_only: bool,
    /// `random(<draws>)`: how many servers are drawn (default 2).
    pub draws: u32,
    /// `hash <expr>`: the expression whose value is the key.
    pub expr: Option<Expr>,
}
