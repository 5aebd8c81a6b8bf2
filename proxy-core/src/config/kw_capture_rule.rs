//! Capture slots filled by rules: `declare capture request|response len
//! <n>`, `http-request capture <expr> len <n> | id <n>` and
//! `http-response|http-after-response capture <expr> id <n>`, with
//! `haproxy -c` 2.6's messages. Their slots mix with the `capture
//! request|response header` ones in declaration order: `%hr`/`%hs` show
//! them all, `capture.req.hdr(<n>)`/`capture.res.hdr(<n>)` read slot `n`.

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
    let slots = if dir == "response" {
        &mut st.cfg.http.capture_response
    } else {
        &mut st.cfg.http.capture_request
    };
    slots.push(Capture {
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

/// `http-response|http-after-response capture <expr> id <n>` (arguments
/// from `args[2]`): the action and the index after its arguments. The
/// slot is one of the frontend's response slots (known at run time in a
/// backend).
pub(super) fn parse_res(
    args: &[String],
    files: &mut PatRegistry,
) -> Result<(HttpAction, usize), String> {
    let arg = |i: usize| args.get(i).map(String::as_str);
    let words = (2..5).take_while(|&i| arg(i).is_some_and(|a| !a.is_empty()));
    if words
        .clone()
        .any(|i| matches!(arg(i), Some("if" | "unless")))
        || words.count() < 3
    {
        return Err("expects <expression> id <idx>.".into());
    }
    let expr = super::kw_stick::parse_key_expr(arg(2).unwrap_or(""), files)
        .map_err(|e| format!("failed to parse sample expression : {e}"))?;
    match arg(3) {
        Some("id") => {}
        other => return Err(format!("expects 'id', found '{}'.", other.unwrap_or(""))),
    }
    let raw = arg(4).unwrap_or("");
    let slot = raw
        .parse::<usize>()
        .map_err(|_| format!("cannot parse id '{raw}'."))?;
    let len = None;
    Ok((HttpAction::Capture(CaptureAction { expr, slot, len }), 5))
}

/// A frontend's `capture ... id <n>` rules must name a declared slot.
pub(super) fn check_ids(px: &ProxyConfig, errors: &mut Vec<ConfigError>) {
    if !px.kind.has_frontend() {
        return;
    }
    let req = (&px.http.request, px.http.capture_request.len(), "request");
    let res = px.http.response.iter().chain(&px.http.after);
    let res_slots = px.http.capture_response.len();
    let sets: [(Box<dyn Iterator<Item = _>>, usize, &str); 2] = [
        (Box::new(req.0.iter()), req.1, req.2),
        (Box::new(res), res_slots, "response"),
    ];
    for (rules, slots, dir) in sets {
        for r in rules {
            if let HttpAction::Capture(c) = &r.action {
                if c.len.is_none() && c.slot >= slots {
                    errors.push(ConfigError {
                        loc: None,
                        msg: format!(
                            "Proxy '{}': unable to find capture id '{}' referenced by http-{dir} capture rule.",
                            px.name, c.slot
                        ),
                    });
                }
            }
        }
    }
}
