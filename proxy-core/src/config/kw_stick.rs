//! `stick-table` and `stick` (rows in [`super::keywords::KEYWORDS`]), the
//! `track-sc*` and `sc-*` actions shared by `tcp-request` and
//! `http-request`, and the final resolution of every table name.
//!
//! As in HAProxy 2.6: one `stick-table` per proxy, named after it, not in
//! `defaults`; `stick` in backends and listens (ignored with a warning in
//! a frontend); table names are checked once every section is read, with
//! HAProxy's messages (`Proxy 'x': unable to find stick-table 'foo'.`),
//! each at the line of the rule; the tables used by `stick` rules get
//! `server_id` and `server_key`.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::keywords::{Ctx, KwResult, ProxyState, SectionKind};
use super::kw_acl::{parse_cond, RuleSet};
use super::model::Location;
use super::model_http::HttpAction;
use super::model_stick::{
    GptValue, KeyExpr, PeersConfig, ScAction, StickKind, StickRule, TableDecl, TcpAction,
    TrackAction, MAX_SC,
};
use super::parser::ConfigError;
use crate::rules::expr::Expr;
use crate::rules::fetch::Usage;
use crate::sample::pattern::PatRegistry;
use crate::stick::{DataLayout, DataType, StoreSpec, TableConfig};

static SEQ: AtomicUsize = AtomicUsize::new(0);

/// The next table declaration number (keeps the order of declarations
/// across proxies and peers sections).
pub(super) fn next_seq() -> usize {
    SEQ.fetch_add(1, Ordering::Relaxed)
}

/// `stick-table type ... size ... [...]`.
pub(super) fn stick_table(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    if st.section == SectionKind::Defaults {
        return Err("'stick-table' is not supported in 'defaults' section.".into());
    }
    if let Some(other) = &st.cfg.stick_table {
        return Err(format!(
            "stick-table name '{}' conflicts with table declared in {} '{}' at {}.",
            st.cfg.name,
            cap_str(st),
            st.cfg.name,
            other.loc
        ));
    }
    let words: Vec<&str> = ctx.args.iter().map(String::as_str).collect();
    let (conf, warnings) = TableConfig::parse_proxy(&st.cfg.name, &words)?;
    for w in warnings {
        ctx.warn(w);
    }
    st.cfg.stick_table = Some(TableDecl {
        conf,
        loc: ctx.loc.clone(),
        seq: next_seq(),
    });
    Ok(())
}

/// HAProxy's `proxy_cap_str`.
fn cap_str(st: &ProxyState) -> &'static str {
    match (st.section.has_frontend(), st.section.has_backend()) {
        (true, true) => "listen",
        (true, false) => "frontend",
        _ => "backend",
    }
}

/// A sample expression naming a table key (or an action's value).
pub(super) fn parse_key_expr(word: &str, files: &mut PatRegistry) -> Result<KeyExpr, String> {
    if word.is_empty() {
        return Err("missing fetch method".into());
    }
    Expr::parse_word(word, files).map_err(|e| e.describe())
}

/// `stick on|match|store-request <key> [table <t>] [if|unless <cond>]`.
pub(super) fn stick(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let args = ctx.args;
    let arg = |i: usize| args.get(i).map_or("", String::as_str);
    let kind = match arg(1) {
        "on" => StickKind::On,
        "match" => StickKind::Match,
        "store" | "store-request" => StickKind::Store,
        "store-response" => {
            return Err("'stick store-response' is not supported by this proxy.".into())
        }
        _ => return Err("'stick' expects 'on', 'match', or 'store'.".into()),
    };
    if arg(2).is_empty() {
        return Err("'stick' expects a fetch method.".into());
    }
    let key = parse_key_expr(arg(2), ctx.files).map_err(|e| format!("'stick': {e}."))?;
    let u = key.fetch.usage();
    if !u.fits(Usage::Request) {
        return Err(format!(
            "'stick': fetch method '{}' extracts information from '{}', none of which is available during request.",
            key.kw,
            u.source()
        ));
    }
    let mut i = 3;
    let mut table_name = None;
    if arg(i) == "table" {
        table_name = Some(arg(i + 1).to_string());
        i += 2;
    }
    let rest = &args[i.min(args.len())..];
    let cond = match rest.first().map(String::as_str) {
        None => None,
        Some("if" | "unless") => parse_cond(st, ctx, rest, RuleSet::HttpRequest).map_err(|e| {
            format!("'stick': error detected while parsing sticking condition : {e}")
        })?,
        Some(w) => return Err(format!("'stick': unknown keyword '{w}'.")),
    };
    st.cfg.stick_rules.push(StickRule {
        kind,
        key,
        table_name,
        table: 0,
        cond,
        loc: ctx.loc.clone(),
    });
    Ok(())
}

/// `track-sc<n> <key> [table <t>]` at `args[i]`; returns the action and
/// the index after it. Errors are bare (the caller adds its context).
pub(super) fn parse_track(
    args: &[String],
    i: usize,
    files: &mut PatRegistry,
) -> Result<(TrackAction, usize), String> {
    let arg = |i: usize| args.get(i).map_or("", String::as_str);
    let num = arg(i).strip_prefix("track-sc").unwrap_or("");
    let slot = match num.parse::<u32>() {
        Ok(n) if n < u32::from(MAX_SC) => n as u8,
        Ok(n) => {
            return Err(format!(
                "{n} track-sc number exceeding {} (MAX_SESS_STKCTR-1) value",
                MAX_SC - 1
            ))
        }
        Err(_) => return Err(format!("Wrong track-sc number '{num}'")),
    };
    let key = parse_key_expr(arg(i + 1), files)?;
    let mut next = i + 2;
    let mut table_name = None;
    if arg(next) == "table" {
        if arg(next + 1).is_empty() {
            return Err("missing table name".into());
        }
        table_name = Some(arg(next + 1).to_string());
        next += 2;
    }
    Ok((
        TrackAction {
            slot,
            key,
            table_name,
            table: 0,
        },
        next,
    ))
}

/// `sc-inc-gpc0[(<n>)]`, `sc-inc-gpc1[(<n>)]`, `sc-set-gpt0[(<n>)] <int>`
/// at `args[i]`: `None` if it is none of them.
pub(super) fn parse_sc(
    args: &[String],
    i: usize,
    files: &mut PatRegistry,
) -> Option<Result<(ScAction, usize), String>> {
    let word = args.get(i)?.as_str();
    let (base, rest) = ["sc-inc-gpc0", "sc-inc-gpc1", "sc-set-gpt0"]
        .iter()
        .find_map(|b| word.strip_prefix(b).map(|r| (*b, r)))?;
    Some((|| {
        let slot = if rest.is_empty() {
            0
        } else {
            let n = rest
                .strip_prefix('(')
                .and_then(|r| r.strip_suffix(')'))
                .and_then(|n| n.parse::<u32>().ok())
                .ok_or_else(|| {
                    format!("invalid stick table track ID '{word}'. Expects {base}(<Track ID>)")
                })?;
            if n >= u32::from(MAX_SC) {
                return Err(format!(
                    "invalid stick table track ID '{word}'. The max allowed ID is {}",
                    MAX_SC - 1
                ));
            }
            n as u8
        };
        if base == "sc-set-gpt0" {
            let v = args.get(i + 1).map_or("", String::as_str);
            let value = match crate::sample::args::parse_int(v) {
                Some(n) => GptValue::Int(n),
                None if v.is_empty() || v == "if" || v == "unless" => {
                    return Err(format!(
                        "'{base}' expects an integer or a sample expression"
                    ))
                }
                None => GptValue::Expr(Box::new(
                    Expr::parse_word(v, files)
                        .map_err(|e| format!("'{base}' : {}", e.describe()))?,
                )),
            };
            return Ok((ScAction::SetGpt0 { slot, value }, i + 2));
        }
        let gpc = u8::from(base == "sc-inc-gpc1");
        Ok((ScAction::IncGpc { gpc, slot }, i + 1))
    })())
}

fn error(errors: &mut Vec<ConfigError>, loc: &Location, msg: String) {
    errors.push(ConfigError {
        loc: Some(loc.clone()),
        msg,
    });
}

/// The table declarations in order, with name conflicts reported.
fn collect_tables(
    states: &mut [ProxyState],
    peers: &[PeersConfig],
    errors: &mut Vec<ConfigError>,
) -> Vec<TableDecl> {
    // (declaration, the name a later declaration would clash with)
    let mut all: Vec<(TableDecl, String, String)> = Vec::new();
    for st in states.iter() {
        if let Some(d) = &st.cfg.stick_table {
            let owner = format!("{} '{}'", cap_str(st), st.cfg.name);
            all.push((d.clone(), st.cfg.name.clone(), owner));
        }
    }
    for p in peers {
        for d in &p.tables {
            let bare = d
                .conf
                .name
                .rsplit_once('/')
                .map_or(d.conf.name.clone(), |(_, n)| n.to_string());
            all.push((d.clone(), bare, format!("peers '{}'", p.name)));
        }
    }
    all.sort_by_key(|(d, _, _)| d.seq);
    let mut out: Vec<TableDecl> = Vec::new();
    for (i, (d, lookup, _)) in all.iter().enumerate() {
        if let Some((o, _, owner)) = all[..i].iter().find(|(o, _, _)| o.conf.name == *lookup) {
            let msg = format!(
                "stick-table name '{lookup}' conflicts with table declared in {owner} at {}.",
                o.loc
            );
            error(errors, &d.loc, msg);
            continue;
        }
        out.push(d.clone());
    }
    for st in states.iter_mut() {
        st.cfg.table = st
            .cfg
            .stick_table
            .as_ref()
            .and_then(|d| out.iter().position(|o| o.conf.name == d.conf.name));
    }
    out
}

/// Adds `server_id` and `server_key` to a table used by `stick` rules.
fn add_server_data(t: &mut TableConfig) {
    let mut specs = t.layout.specs().to_vec();
    for dt in [DataType::ServerId, DataType::ServerKey] {
        if !t.layout.has(dt) {
            specs.push(StoreSpec {
                data_type: dt,
                nbelem: 1,
                period_ms: 0,
            });
        }
    }
    t.layout = DataLayout::new(&specs);
}

/// Resolves every table name of every proxy into an index of the
/// returned list (the final [`super::Config::tables`]), checks peers
/// references, and reports what is missing.
pub(super) fn finalize(
    states: &mut [ProxyState],
    peers: &[PeersConfig],
    errors: &mut Vec<ConfigError>,
) -> Vec<TableDecl> {
    let mut tables = collect_tables(states, peers, errors);
    let find = |tables: &[TableDecl], n: &str| tables.iter().position(|t| t.conf.name == n);
    for st in states.iter_mut() {
        let px = st.cfg.name.clone();
        if let Some(d) = &st.cfg.stick_table {
            if let Some(p) = &d.conf.peers {
                if !peers.iter().any(|s| s.name == *p) {
                    error(
                        errors,
                        &d.loc,
                        format!("Proxy '{px}': unable to find sync peers '{p}'."),
                    );
                }
            }
        }
        for r in &mut st.cfg.stick_rules {
            let name = r.table_name.clone().unwrap_or_else(|| px.clone());
            match find(&tables, &name) {
                Some(i) => {
                    r.table = i;
                    add_server_data(&mut tables[i].conf);
                }
                None => error(
                    errors,
                    &r.loc,
                    format!("Proxy '{px}': unable to find stick-table '{name}'."),
                ),
            }
        }
        let mut tracks: Vec<(&mut TrackAction, &Location)> = Vec::new();
        for r in &mut st.cfg.http.request {
            if let HttpAction::Track(a) = &mut r.action {
                tracks.push((a, &r.loc));
            }
        }
        for r in st
            .cfg
            .tcp_conn
            .iter_mut()
            .chain(&mut st.cfg.tcp_sess)
            .chain(&mut st.cfg.http.tcp_content)
        {
            if let TcpAction::Track(a) = &mut r.action {
                tracks.push((a, &r.loc));
            }
        }
        for (a, loc) in tracks {
            let name = a.table_name.clone().unwrap_or_else(|| px.clone());
            match find(&tables, &name) {
                Some(i) => a.table = i,
                None => error(
                    errors,
                    loc,
                    format!(
                        "Proxy '{px}': unable to find table '{name}' referenced by track-sc{}.",
                        a.slot
                    ),
                ),
            }
        }
        for (name, kw, loc) in &st.stick_refs {
            let name = name.clone().unwrap_or_else(|| px.clone());
            if find(&tables, &name).is_none() {
                error(
                    errors,
                    loc,
                    format!(
                        "unable to find table '{name}' referenced in arg 1 of ACL keyword '{kw}' in proxy '{px}'."
                    ),
                );
            }
        }
    }
    // tables may have grown: refresh the proxies' copies
    for st in states.iter_mut() {
        if let (Some(i), Some(d)) = (st.cfg.table, st.cfg.stick_table.as_mut()) {
            d.conf = tables[i].conf.clone();
        }
    }
    tables
}

#[cfg(test)]
mod tests {
    use super::super::parser::testing::{error, errors, ok};
    use crate::config::model_stick::{GptValue, ScAction, StickKind, TcpAction};
    use crate::config::HttpAction;
    use crate::stick::DataType;

    #[test]
    fn tables_and_rules() {
        let c = ok("
peers mypeers
    peer a 127.0.0.1:1
    table t2 type string len 16 size 10 store gpc0
backend be
    mode http
    stick-table type ip size 1k expire 30s peers mypeers store conn_cnt
    stick on src
    stick match req.hdr(x-id) table mypeers/t2 if { src 10.0.0.0/8 }
    server s1 127.0.0.1:1
frontend fe
    mode http
    bind :1
    stick-table type ip size 100 store http_req_rate(10s),gpc0
    tcp-request connection track-sc1 src table be
    tcp-request connection reject if { sc1_conn_cur gt 3 }
    http-request track-sc0 src
    http-request sc-inc-gpc0(0) if { path /bump }
    http-request sc-set-gpt0(1) 42
    http-request deny deny_status 429 if { sc0_http_req_rate gt 5 }
    default_backend be
");
        let names: Vec<&str> = c.tables.iter().map(|t| t.conf.name.as_str()).collect();
        assert_eq!(names, ["mypeers/t2", "be", "fe"]);
        let be = c.proxy("be").unwrap();
        assert_eq!(be.table, Some(1));
        assert_eq!(be.stick_rules.len(), 2);
        assert_eq!(be.stick_rules[0].kind, StickKind::On);
        assert_eq!(be.stick_rules[1].table, 0);
        // stick rules add server_id and server_key to their tables
        let l = &c.tables[1].conf.layout;
        assert!(l.has(DataType::ServerId) && l.has(DataType::ServerKey));
        assert!(l.has(DataType::ConnCnt));
        assert!(c.tables[0].conf.layout.has(DataType::ServerKey));
        assert!(!c.tables[2].conf.layout.has(DataType::ServerId));
        let fe = c.proxy("fe").unwrap();
        assert!(
            matches!(&fe.tcp_conn[0].action, TcpAction::Track(a) if a.slot == 1 && a.table == 1)
        );
        assert!(matches!(fe.tcp_conn[1].action, TcpAction::Reject));
        assert!(matches!(&fe.http.request[0].action, HttpAction::Track(a) if a.table == 2));
        assert!(matches!(
            fe.http.request[1].action,
            HttpAction::Sc(ScAction::IncGpc { gpc: 0, slot: 0 })
        ));
        assert!(matches!(
            fe.http.request[2].action,
            HttpAction::Sc(ScAction::SetGpt0 {
                slot: 1,
                value: GptValue::Int(42)
            })
        ));
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(
            error("backend be\n stick on src table foo\n"),
            "parsing [t.cfg:2] : Proxy 'be': unable to find stick-table 'foo'."
        );
        assert_eq!(
            error("backend be\n stick on src\n"),
            "parsing [t.cfg:2] : Proxy 'be': unable to find stick-table 'be'."
        );
        assert_eq!(
            error("frontend fe\n mode http\n bind :1\n http-request track-sc0 src table nope\n"),
            "parsing [t.cfg:4] : Proxy 'fe': unable to find table 'nope' referenced by track-sc0."
        );
        assert_eq!(
            error("backend be\n stick-table type ip size 1 peers nowhere\n"),
            "parsing [t.cfg:2] : Proxy 'be': unable to find sync peers 'nowhere'."
        );
        assert_eq!(
            error("frontend fe\n mode http\n bind :1\n http-request deny if { src_conn_rate(zz) gt 1 }\n"),
            "parsing [t.cfg:4] : unable to find table 'zz' referenced in arg 1 of ACL keyword 'src_conn_rate' in proxy 'fe'."
        );
        assert_eq!(
            error("frontend fe\n bind :1\n acl x sc0_get_gpc0(t) gt 1\n"),
            "parsing [t.cfg:3] : unable to find table 't' referenced in arg 1 of ACL keyword 'sc0_get_gpc0' in proxy 'fe'."
        );
        assert_eq!(
            error("defaults\n stick-table type ip size 1\n"),
            "parsing [t.cfg:2] : 'stick-table' is not supported in 'defaults' section."
        );
        assert_eq!(
            error("backend b\n stick-table type ip size 1\n stick-table type ip size 2\n"),
            "parsing [t.cfg:3] : stick-table name 'b' conflicts with table declared in backend 'b' at t.cfg:2."
        );
        assert_eq!(
            error("backend b\n stick-table type ip\n"),
            "parsing [t.cfg:2] : stick-table: missing size."
        );
        assert_eq!(
            error("backend b\n stick foo src\n"),
            "parsing [t.cfg:2] : 'stick' expects 'on', 'match', or 'store'."
        );
        assert_eq!(
            error("backend b\n stick on nope\n"),
            "parsing [t.cfg:2] : 'stick': unknown fetch method 'nope'."
        );
        assert_eq!(
            error("backend b\n stick-table type ip size 1\n stick on src bogus\n"),
            "parsing [t.cfg:3] : 'stick': unknown keyword 'bogus'."
        );
        assert!(
            error("frontend f\n bind :1\n tcp-request connection track-sc3 src\n")
                .contains("3 track-sc number exceeding 2 (MAX_SESS_STKCTR-1) value")
        );
        assert!(
            error("frontend f\n mode http\n bind :1\n http-request sc-inc-gpc0(7)\n")
                .contains("The max allowed ID is 2")
        );
        assert_eq!(
            errors("frontend f\n bind :1\n tcp-request connection track-sc0 src table a\n tcp-request connection track-sc1 src table b\n").len(),
            2
        );
    }

    #[test]
    fn stick_in_a_frontend_is_ignored() {
        let c = ok("frontend f\n bind :1\n stick on src\n");
        assert!(c.warnings[0]
            .contains("'stick' ignored because frontend 'f' has no backend capability"));
    }
}
