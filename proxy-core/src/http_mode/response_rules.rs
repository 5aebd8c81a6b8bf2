//! The `http-response` and `http-after-response` rule pass over a
//! response head (a server's or an applet's): header rewrites,
//! `set-status`, variables, `set-log-level`, `capture`, `allow` and
//! `deny`. The proxy's own answers
//! go through [`super::after_response`] instead.

use super::request::{Denied, ResView};
use super::rewrite_actions::decide;
use crate::config::model_http::HttpAction;
use crate::http::head_edit::HeadEdits;
use crate::rules::eval_opt;
use crate::stkctr::rules::StickView;

/// Runs one set of `http-response` (or `http-after-response`) rules on
/// the response in `base`, adding to `edits`; `Err` on `deny`. Each
/// rule's condition sees what earlier rules rewrote; `env` gives the
/// stick counters; `knobs` gets what `set-log-level` and `capture` note.
/// `allow` ends this set only.
pub fn response_rules(
    rules: &[crate::config::model_http::HttpRule],
    base: &ResView<'_>,
    env: crate::stkctr::eval::StickEnv<'_>,
    edits: &mut HeadEdits,
    knobs: &mut super::flow_actions::Knobs,
) -> Result<(), Denied> {
    for r in rules {
        let change = {
            let cur = base.with_edits(edits);
            let view = StickView { inner: &cur, env };
            if !eval_opt(r.cond.as_ref(), &view) {
                continue;
            }
            match &r.action {
                HttpAction::Allow => break,
                HttpAction::Deny(reply) => return Err(Denied::of(reply, &view)),
                HttpAction::SetVar(a) => {
                    a.apply(&view);
                    continue;
                }
                act if knobs.set_by(act, &view) => continue,
                act => decide(act, &view),
            }
        };
        if let Some(c) = change {
            c.apply(edits, base.buf, &base.head.headers);
        }
    }
    Ok(())
}
