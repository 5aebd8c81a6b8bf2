//! Row selection shared by every `show stat` format: the CLI filter
//! `<iid> <type> <sid>`, the `up` / `no-maint` options and the HTTP scope.

use crate::fields::Field;
use crate::fill::{backend_server_counts, fill, FillCtx};
use crate::model::{ObjType, ProxyStats};

/// `show stat <iid> <type> <sid>` filter. `-1` means "all" for each part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatFilter {
    /// Proxy id (`iid` column), -1 for all proxies.
    pub iid: i64,
    /// Bit mask of row types: 1 frontends, 2 backends, 4 servers,
    /// 8 listeners; -1 for all.
    pub types: i64,
    /// Server/listener id, -1 for all.
    pub sid: i64,
}

impl StatFilter {
    /// Matches everything.
    pub const ALL: StatFilter = StatFilter {
        iid: -1,
        types: -1,
        sid: -1,
    };
}

/// Options common to all `show stat` renderers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StatOptions {
    /// `<iid> <type> <sid>` filter, if any.
    pub filter: Option<StatFilter>,
    /// `up` / `;up`: hide servers that are DOWN (and not going up) or in
    /// maintenance; append ` (up/total)` to backend statuses.
    pub hide_down: bool,
    /// `no-maint` / `;no-maint`: hide servers in maintenance; append
    /// ` (up/total)` to backend statuses.
    pub hide_maint: bool,
    /// Fill `addr`, `cookie`, `algo` (CLI level >= operator; HTTP with
    /// `stats show-legends`).
    pub show_legends: bool,
    /// HTTP page `scope=` text: only proxies whose name contains it
    /// (case-insensitive).
    pub scope: Option<String>,
    /// `show stat desc`: append field descriptions (typed output).
    pub desc: bool,
}

/// A selected row with its filled fields.
#[derive(Debug, Clone)]
pub struct Selected<'a> {
    /// The source row.
    pub row: &'a ProxyStats,
    /// The 127 fields (`None` = empty).
    pub fields: Vec<Option<Field>>,
}

fn in_scope(name: &str, scope: &Option<String>) -> bool {
    match scope {
        None => true,
        Some(s) if s.is_empty() => true,
        Some(s) => name.to_ascii_lowercase().contains(&s.to_ascii_lowercase()),
    }
}

/// Applies the filters of `opts` to `rows` (which must list each proxy's
/// rows contiguously: frontend, listeners, servers, backend) and fills the
/// remaining ones.
pub fn select<'a>(rows: &'a [ProxyStats], opts: &StatOptions) -> Vec<Selected<'a>> {
    let mut out = Vec::new();
    for row in rows {
        if !in_scope(&row.pxname, &opts.scope) || !keep(row, opts) {
            continue;
        }
        let mut ctx = FillCtx {
            show_legends: opts.show_legends,
            ..FillCtx::default()
        };
        if row.kind == ObjType::Backend {
            ctx.servers = backend_server_counts(rows, row.iid);
            ctx.status_counts = opts.hide_down || opts.hide_maint;
        }
        out.push(Selected {
            row,
            fields: fill(row, &ctx),
        });
    }
    out
}

fn keep(row: &ProxyStats, opts: &StatOptions) -> bool {
    if let Some(f) = opts.filter {
        if f.iid != -1 && f.iid != i64::from(row.iid) {
            return false;
        }
        if f.types & row.kind.filter_bit() == 0 {
            return false;
        }
        if matches!(row.kind, ObjType::Server | ObjType::Listener)
            && f.sid != -1
            && f.sid != i64::from(row.sid)
        {
            return false;
        }
    }
    if row.kind == ObjType::Server {
        if let Some(h) = &row.server {
            if opts.hide_maint && h.in_maint() {
                return false;
            }
            if opts.hide_down && h.hidden_when_up_only() {
                return false;
            }
        }
    }
    true
}

/// Names of the proxies that have a backend row, in order (`show backend`).
pub fn backend_names(rows: &[ProxyStats]) -> Vec<&str> {
    rows.iter()
        .filter(|r| r.kind == ObjType::Backend)
        .map(|r| r.pxname.as_str())
        .collect()
}
