//! Capture slots filled by rules: `declare capture request len <n>` and
//! `http-request capture <expr> len <n> | id <n>`, with `haproxy -c`
//! 2.6's messages. Their slots follow the `capture request header` ones
//! in declaration order: `%hr` shows them all, `capture.req.hdr(<n>)`
//! reads slot `n`. (`declare capture response` and `http-response
//! capture` are not implemented: refused by name.)

use super::keywords::{Ctx, KwResult, ProxyState, SectionKind};
use super::model::ProxyConfig;
use super::model_http::{Capture, HttpAction};
use super::parser::ConfigError;
use crate::sample::pattern::PatRegistry;

/// `http-request capture`: the expression and the slot it fills.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaptureAction {
    pub expr: crate::rules::expr::Expr,
    pub slot: usize,
    /// Bytes kept (the slot's length; for `id`, known at run time).
    pub len: Option<usize>,
}

/// `declare capture request|response len <n>`.
pub(super) fn declare(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    if !matches!(st.section, SectionKind::Frontend | SectionKind::Listen) {
        return Err("'declare' only available in frontend or listen section".into());
    }
    match ctx.arg(1) {
        Some("capture") => {}
        other => {
            return Err(format!(
                "unknown declaration type '{}' (supports 'capture')",
                other.unwrap_or("")
            ))
        }
    }
    let dir = match ctx.arg(2) {
        Some(d @ ("request" | "response")) => d,
        _ => return Err("'declare capture' requires a direction ('request' or 'response')".into()),
    };
    if ctx.arg(3) != Some("len") {
        return Err("'declare capture' requires a capture length ('len')".into());
    }
    let Some(raw) = ctx.arg(4) else {
        return Err(
            "'declare capture': 'len' requires a numeric value that represents the capture length"
                .into(),
        );
    };
    let len = raw
        .parse::<usize>()
        .map_err(|_| "'declare capture': cannot parse the length 'len'.".to_string())?;
    if len == 0 {
        return Err("length must be > 0".into());
    }
    if dir == "response" {
        return Err("'declare capture response' is not supported by this proxy.".into());
    }
    st.cfg.http.capture_request.push(Capture {
        name: String::new(),
        len,
    });
    Ok(())
}

/// `http-request capture <expr> len <n> | id <n>` (arguments from
/// `args[2]`): the action and the index after its arguments.
pub(super) fn parse(
    st: &mut ProxyState,
    args: &[String],
    files: &mut PatRegistry,
) -> Result<(HttpAction, usize), String> {
    let arg = |i: usize| args.get(i).map(String::as_str);
    let usage = || "expects <expression> [ 'len' <length> | id <idx> ].".to_string();
    let (Some(expr), Some(kind), Some(n)) = (arg(2), arg(3), arg(4)) else {
        return Err(usage());
    };
    let expr = super::kw_stick::parse_key_expr(expr, files)
        .map_err(|e| format!("failed to parse sample expression : {e}"))?;
    let n: usize = match kind {
        "len" | "id" => n.parse().map_err(|_| usage())?,
        other => return Err(format!("expects 'len' or 'id', found '{other}'.")),
    };
    let (slot, len) = if kind == "len" {
        if !matches!(st.section, SectionKind::Frontend | SectionKind::Listen) {
            return Err(format!(
                "proxy '{}' has no frontend capability.",
                st.cfg.name
            ));
        }
        if n == 0 {
            return Err("length must be > 0.".into());
        }
        let caps = &mut st.cfg.http.capture_request;
        caps.push(Capture {
            name: String::new(),
            len: n,
        });
        (caps.len() - 1, Some(n))
    } else {
        (n, None)
    };
    Ok((HttpAction::Capture(CaptureAction { expr, slot, len }), 5))
}

/// A frontend's `capture ... id <n>` rules must name a declared slot.
pub(super) fn check_ids(px: &ProxyConfig, errors: &mut Vec<ConfigError>) {
    if !px.kind.has_frontend() {
        return;
    }
    let slots = px.http.capture_request.len();
    for r in &px.http.request {
        if let HttpAction::Capture(c) = &r.action {
            if c.len.is_none() && c.slot >= slots {
                errors.push(ConfigError {
                    loc: None,
                    msg: format!(
                        "Proxy '{}': unable to find capture id '{}' referenced by http-request capture rule.",
                        px.name, c.slot
                    ),
                });
            }
        }
    }
}
