//! Running the head-changing actions of `http-request` / `http-response`
//! rules (`set-header`, `add-header`, `del-header` and the rewrites of
//! [`crate::config::model_rewrite`]) on the head's [`HeadEdits`].
//!
//! An action runs in two steps, as the borrow of the view requires: first
//! [`decide`] renders its formats and reads what it rewrites through the
//! view (which shows the edits so far), then [`Change::apply`] records the
//! result in the edits, where the next rule's view finds it.

use std::ops::ControlFlow;

use crate::config::model_http::{HeaderMatch, HttpAction};
use crate::config::model_rewrite::{LinePart, RewriteAction};
use crate::http::head::HeaderField;
use crate::http::head_edit::HeadEdits;
use crate::http::uri_edit;
use crate::rules::RequestView;

/// What an action does to the head, decided against the current view.
pub enum Change<'r> {
    SetHeader(&'r str, Vec<u8>),
    AddHeader(&'r str, Vec<u8>),
    DelHeader(&'r str, &'r HeaderMatch),
    /// The request line part gets this value (already spliced for the
    /// path and query forms: the whole new target).
    Method(Vec<u8>),
    Uri(Vec<u8>),
    /// `set-uri` / `replace-uri`: the whole target, and, as HAProxy 2.6,
    /// `Host` gets the authority of an absolute one.
    WholeUri(Vec<u8>),
    ReplaceHeader {
        name: &'r str,
        re: &'r regex::bytes::Regex,
        fmt: Vec<u8>,
        each_value: bool,
    },
    Status(u16, Option<&'r str>),
    /// `normalize-uri ... strict` met a bad encoding: the request is
    /// refused with a 400.
    Refuse,
}

/// The change `action` makes, as the request (or response) in `view`
/// stands; `None` for actions that are not head changes, or a `replace-*`
/// whose regex does not match.
pub fn decide<'r>(action: &'r HttpAction, view: &dyn RequestView) -> Option<Change<'r>> {
    Some(match action {
        HttpAction::SetHeader { name, value } => Change::SetHeader(name, value.render(view)),
        HttpAction::AddHeader { name, value } => Change::AddHeader(name, value.render(view)),
        HttpAction::DelHeader { name, how } => Change::DelHeader(name, how),
        HttpAction::Rewrite(r) => return decide_rewrite(r, view),
        _ => return None,
    })
}

fn decide_rewrite<'r>(r: &'r RewriteAction, view: &dyn RequestView) -> Option<Change<'r>> {
    match r {
        RewriteAction::Set(part, fmt) => Some(set_part(*part, fmt.render(view), view)),
        RewriteAction::Replace(part, re, fmt) => {
            let uri = view.uri();
            let current = match part {
                LinePart::Method => view.method(),
                LinePart::Path => uri_edit::path(uri),
                LinePart::Pathq => uri_edit::pathq(uri),
                LinePart::Query | LinePart::Uri => uri,
            };
            let new = uri_edit::regex_replace(re.matcher(), current, &fmt.render(view))?;
            Some(set_part(*part, new, view))
        }
        RewriteAction::ReplaceHeader {
            name,
            re,
            fmt,
            each_value,
        } => Some(Change::ReplaceHeader {
            name,
            re: re.matcher(),
            fmt: fmt.render(view),
            each_value: *each_value,
        }),
        RewriteAction::SetStatus(code, reason) => Some(Change::Status(*code, reason.as_deref())),
        RewriteAction::Normalize(n) => Some(match super::normalize_uri::apply(*n, view.uri()) {
            Ok(uri) => Change::Uri(uri),
            Err(_) => Change::Refuse,
        }),
    }
}

/// The change that gives `part` the value `new`.
fn set_part<'r>(part: LinePart, new: Vec<u8>, view: &dyn RequestView) -> Change<'r> {
    let uri = view.uri();
    match part {
        LinePart::Method => Change::Method(new),
        LinePart::Path => Change::Uri(uri_edit::with_path(uri, &new, false)),
        LinePart::Pathq => Change::Uri(uri_edit::with_path(uri, &new, true)),
        LinePart::Query => Change::Uri(uri_edit::with_query(uri, &new)),
        LinePart::Uri => Change::WholeUri(new),
    }
}

impl Change<'_> {
    /// Records the change in `edits`, over the head whose fields are
    /// `headers` in `buf`.
    pub fn apply(self, edits: &mut HeadEdits, buf: &[u8], headers: &[HeaderField]) {
        match self {
            Change::SetHeader(n, v) => edits.set(buf, headers, n.as_bytes(), v),
            Change::AddHeader(n, v) => edits.add(headers, n.as_bytes(), v),
            Change::DelHeader(n, how) => edits.delete(buf, headers, &|h| how.matches(n, h)),
            Change::Method(m) => edits.method = Some(m),
            Change::Uri(u) => edits.uri = Some(u),
            Change::WholeUri(u) => {
                if let Some(auth) = uri_edit::authority(&u) {
                    let auth = auth.to_vec();
                    edits.replace(buf, headers, b"host", &mut |_| Some(auth.clone()));
                }
                edits.uri = Some(u);
            }
            Change::Status(code, reason) => {
                edits.status = Some((code, reason.map(|r| r.as_bytes().to_vec())))
            }
            // Turned into an answer by the rule pass, before any change.
            Change::Refuse => {}
            Change::ReplaceHeader {
                name,
                re,
                fmt,
                each_value,
            } => edits.replace(buf, headers, name.as_bytes(), &mut |v| {
                if each_value {
                    replace_elements(re, v, &fmt)
                } else {
                    uri_edit::regex_replace(re, v, &fmt)
                }
            }),
        }
    }
}

/// `replace-value`: each comma-separated element of `value` (trimmed of
/// blanks) replaced on its own, the others kept as they were; `None` when
/// none matched.
fn replace_elements(re: &regex::bytes::Regex, value: &[u8], fmt: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(value.len() + fmt.len());
    let mut changed = false;
    for (k, elem) in value.split(|&b| b == b',').enumerate() {
        if k > 0 {
            out.push(b',');
        }
        let is_blank = |b: &u8| *b == b' ' || *b == b'\t';
        let lead = elem.iter().take_while(|b| is_blank(b)).count();
        let trail = elem[lead..]
            .iter()
            .rev()
            .take_while(|b| is_blank(b))
            .count();
        let core = &elem[lead..elem.len() - trail];
        match uri_edit::regex_replace(re, core, fmt) {
            // As HAProxy, a replaced element loses the blanks around it.
            Some(new) => {
                changed = true;
                out.extend_from_slice(&new);
            }
            None => out.extend_from_slice(elem),
        }
    }
    changed.then_some(out)
}

/// The fields of a response as its rules left them, for conditions that
/// read `res.hdr` after edits (`for_each_res_header` of a view).
pub fn for_each_edited<'a>(
    edits: Option<&'a HeadEdits>,
    buf: &'a [u8],
    headers: &'a [HeaderField],
    f: &mut dyn FnMut(&'a [u8], &'a [u8]) -> ControlFlow<()>,
) {
    match edits {
        Some(e) => e.for_each(buf, headers, f),
        None => {
            for h in headers {
                if f(h.name(buf), h.value(buf)).is_break() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replace_value_touches_matching_elements_only() {
        let re = regex::bytes::Regex::new("^a(.*)$").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            replace_elements(&re, b"ax, b ,  ay", b"Z\\1"),
            Some(b"Zx, b ,Zy".to_vec())
        );
        assert_eq!(replace_elements(&re, b"b, c", b"Z"), None);
    }
}
