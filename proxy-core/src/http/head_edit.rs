//! A head as rules have rewritten it so far: the start line's parts that
//! changed and the header list, where each field is either one of the
//! parsed head's (by index) or one a rule made.
//!
//! HAProxy 2.6 rewrites its HTX message in place as each rule runs, so a
//! later rule, `use_backend` or a fetch sees what an earlier rule did. We
//! keep the received bytes untouched and record the changes here instead:
//! reading goes through the table (same order as what will be sent), and
//! the forwarded head is written once from it. Nothing is allocated while
//! no rule changes the head.
//!
//! Field order follows HTX: `set-header` removes every field of the name
//! and appends one, `add-header` appends, `replace-header`/`replace-value`
//! change a value where the field stands.

use std::ops::ControlFlow;

use super::head::{HeaderField, RequestHead, ResponseHead};
use super::rewrite::{put_field, put_version, Counter, ForwardPlan, HeadOut, RewriteError};
use super::tokens::{eq_ignore_case, is_field_value_byte, is_tchar};

/// One field of the rewritten list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    /// The parsed head's field at this index, unchanged.
    Orig(usize),
    /// A field a rule wrote (or whose value it replaced).
    Made(Vec<u8>, Vec<u8>),
}

/// The changes rules made to one head.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeadEdits {
    /// `set-method`.
    pub method: Option<Vec<u8>>,
    /// The request target after `set-path`, `set-uri`, ...
    pub uri: Option<Vec<u8>>,
    /// `set-status`: the code and the reason (none: the code's usual one).
    pub status: Option<(u16, Option<Vec<u8>>)>,
    /// The header list; `None` while no header changed.
    pub fields: Option<Vec<Field>>,
}

impl HeadEdits {
    /// Nothing changed.
    pub fn is_empty(&self) -> bool {
        self.method.is_none()
            && self.uri.is_none()
            && self.status.is_none()
            && self.fields.is_none()
    }

    /// Calls `f` on each field as it stands now, in order.
    pub fn for_each<'a>(
        &'a self,
        buf: &'a [u8],
        headers: &'a [HeaderField],
        f: &mut dyn FnMut(&'a [u8], &'a [u8]) -> ControlFlow<()>,
    ) {
        let Some(fields) = &self.fields else {
            for h in headers {
                if f(h.name(buf), h.value(buf)).is_break() {
                    return;
                }
            }
            return;
        };
        for fl in fields {
            let (n, v) = match fl {
                Field::Orig(i) => match headers.get(*i) {
                    Some(h) => (h.name(buf), h.value(buf)),
                    None => continue,
                },
                Field::Made(n, v) => (&n[..], &v[..]),
            };
            if f(n, v).is_break() {
                return;
            }
        }
    }

    fn table(&mut self, count: usize) -> &mut Vec<Field> {
        self.fields
            .get_or_insert_with(|| (0..count).map(Field::Orig).collect())
    }

    /// Removes every field whose name `pick` selects.
    pub fn delete(&mut self, buf: &[u8], headers: &[HeaderField], pick: &dyn Fn(&[u8]) -> bool) {
        let any = self.any_name(buf, headers, pick);
        if !any {
            return;
        }
        self.table(headers.len()).retain(|fl| match fl {
            Field::Orig(i) => !headers.get(*i).is_some_and(|h| pick(h.name(buf))),
            Field::Made(n, _) => !pick(n),
        });
    }

    fn any_name(&self, buf: &[u8], headers: &[HeaderField], pick: &dyn Fn(&[u8]) -> bool) -> bool {
        let mut found = false;
        self.for_each(buf, headers, &mut |n, _| {
            found = pick(n);
            if found {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        });
        found
    }

    /// `add-header`: appends a field.
    pub fn add(&mut self, headers: &[HeaderField], name: &[u8], value: Vec<u8>) {
        self.table(headers.len())
            .push(Field::Made(name.to_vec(), value));
    }

    /// `set-header`: removes the fields of that name, appends one.
    pub fn set(&mut self, buf: &[u8], headers: &[HeaderField], name: &[u8], value: Vec<u8>) {
        self.delete(buf, headers, &|n| eq_ignore_case(n, name));
        self.add(headers, name, value);
    }

    /// Gives each field called `name` the value `f` makes of its current
    /// one (`None`: left as is), where it stands.
    pub fn replace(
        &mut self,
        buf: &[u8],
        headers: &[HeaderField],
        name: &[u8],
        f: &mut dyn FnMut(&[u8]) -> Option<Vec<u8>>,
    ) {
        let mut news: Vec<(usize, Vec<u8>, Vec<u8>)> = Vec::new();
        let mut at = 0;
        self.for_each(buf, headers, &mut |n, v| {
            if eq_ignore_case(n, name) {
                if let Some(nv) = f(v) {
                    news.push((at, n.to_vec(), nv));
                }
            }
            at += 1;
            ControlFlow::Continue(())
        });
        if news.is_empty() {
            return;
        }
        let table = self.table(headers.len());
        for (i, n, v) in news {
            if let Some(slot) = table.get_mut(i) {
                *slot = Field::Made(n, v);
            }
        }
    }

    /// Gives the parsed head's field `i` this value (`None`: removes it)
    /// where it stands, as cookie persistence edits `Cookie` and
    /// `Set-Cookie`; nothing when a rule already removed or replaced it.
    pub fn set_orig(
        &mut self,
        buf: &[u8],
        headers: &[HeaderField],
        i: usize,
        value: Option<Vec<u8>>,
    ) {
        let Some(h) = headers.get(i) else { return };
        let table = self.table(headers.len());
        let Some(pos) = table.iter().position(|f| *f == Field::Orig(i)) else {
            return;
        };
        match value {
            Some(v) => table[pos] = Field::Made(h.name(buf).to_vec(), v),
            None => {
                table.remove(pos);
            }
        }
    }

    /// Whether a rule added, removed or rewrote a field called `name`.
    pub fn touched(&self, buf: &[u8], headers: &[HeaderField], name: &[u8]) -> bool {
        let Some(fields) = &self.fields else {
            return false;
        };
        let made = fields
            .iter()
            .any(|f| matches!(f, Field::Made(n, _) if eq_ignore_case(n, name)));
        let kept = headers
            .iter()
            .enumerate()
            .filter(|(_, h)| eq_ignore_case(h.name(buf), name))
            .all(|(i, _)| fields.contains(&Field::Orig(i)));
        made || !kept
    }

    /// Checks what rules wrote before any byte goes out.
    fn check(&self) -> Result<(), RewriteError> {
        let made = self.fields.iter().flatten().filter_map(|f| match f {
            Field::Made(n, v) => Some((n, v)),
            Field::Orig(_) => None,
        });
        for (n, v) in made {
            if n.is_empty() || !n.iter().all(|&b| is_tchar(b)) {
                return Err(RewriteError::BadName);
            }
            if !v.iter().all(|&b| is_field_value_byte(b)) {
                return Err(RewriteError::BadValue);
            }
        }
        let line = [&self.method, &self.uri];
        if line
            .iter()
            .filter_map(|p| p.as_deref())
            .any(|p| p.is_empty() || p.iter().any(|&b| b <= b' ' || b == 0x7f))
        {
            return Err(RewriteError::BadValue);
        }
        Ok(())
    }
}

/// Writes the forwarded request head with the rules' changes.
pub fn write_request_edited<O: HeadOut>(
    buf: &[u8],
    head: &RequestHead,
    plan: &ForwardPlan<'_>,
    edits: &HeadEdits,
    out: &mut O,
) -> Result<(), RewriteError> {
    edits.check()?;
    let emit = |o: &mut dyn HeadOut| {
        o.put(edits.method.as_deref().unwrap_or(head.method(buf)));
        o.put(b" ");
        o.put(edits.uri.as_deref().unwrap_or(head.target(buf)));
        o.put(b" ");
        put_version(o, buf, head.version, head.version_raw);
        o.put(b"\r\n");
        put_edited_fields(o, buf, &head.headers, plan, edits);
    };
    let mut counter = Counter(0);
    emit(&mut counter);
    out.reserve_bytes(counter.0);
    emit(out);
    Ok(())
}

/// Writes the forwarded response head with the rules' changes.
pub fn write_response_edited<O: HeadOut>(
    buf: &[u8],
    head: &ResponseHead,
    plan: &ForwardPlan<'_>,
    edits: &HeadEdits,
    out: &mut O,
) -> Result<(), RewriteError> {
    edits.check()?;
    let status = edits.status.as_ref().map(|(code, reason)| {
        let reason = match reason {
            Some(r) => r.clone(),
            None => super::status::reason(*code).as_bytes().to_vec(),
        };
        (code.to_string().into_bytes(), reason)
    });
    let emit = |o: &mut dyn HeadOut| {
        put_version(o, buf, head.version, head.version_raw);
        o.put(b" ");
        match &status {
            Some((code, reason)) => {
                o.put(code);
                o.put(b" ");
                o.put(reason);
            }
            None => {
                o.put(head.status_raw.get(buf));
                o.put(b" ");
                o.put(head.reason.get(buf));
            }
        }
        o.put(b"\r\n");
        put_edited_fields(o, buf, &head.headers, plan, edits);
    };
    let mut counter = Counter(0);
    emit(&mut counter);
    out.reserve_bytes(counter.0);
    emit(out);
    Ok(())
}

fn put_edited_fields(
    o: &mut dyn HeadOut,
    buf: &[u8],
    headers: &[HeaderField],
    plan: &ForwardPlan<'_>,
    edits: &HeadEdits,
) {
    let count = edits.fields.as_ref().map_or(headers.len(), Vec::len);
    for k in 0..count {
        let i = match edits.fields.as_ref().and_then(|f| f.get(k)) {
            None => k,
            Some(Field::Orig(i)) => *i,
            Some(Field::Made(n, v)) => {
                if !(plan.remove_content_length && eq_ignore_case(n, b"content-length")) {
                    put_field(o, n, v, plan.name_case);
                }
                continue;
            }
        };
        let Some(h) = headers.get(i) else { continue };
        let name = h.name(buf);
        if plan.skip.binary_search(&i).is_ok()
            || (plan.remove_content_length && eq_ignore_case(name, b"content-length"))
        {
            continue;
        }
        match plan.content_length {
            Some((at, n)) if at == i => {
                put_field(o, name, n.to_string().as_bytes(), plan.name_case)
            }
            _ => put_field(o, name, h.value(buf), plan.name_case),
        }
    }
    if let Some(v) = plan.connection {
        o.put(b"connection: ");
        o.put(v);
        o.put(b"\r\n");
    }
    o.put(b"\r\n");
}
