//! CLI command handlers. Every message is HAProxy 2.6's text, including its
//! quirks (a few error messages lack their final newline, so they are not
//! followed by an empty line; `atoi`-style parsing turns garbage into 0).

use crate::api::{Admin, AdminError, AdminState, ServerRef, Source, TableAction};
use crate::cli::{CliSession, Level};
use crate::select::{backend_names, StatFilter, StatOptions};
use crate::sess::{
    parse_ptr, render_backends, render_servers_conn, render_servers_state, render_sessions,
    SessQuery,
};
use crate::{csv, help, info, json, typed};
use applet_sdk::AdminOp;

/// Result of one command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Text to send, before the terminator.
    Reply(String),
    /// `quit`: close without answering.
    Quit,
}

pub(crate) const DENIED: &str = "Permission denied\n";
const REQUIRE_BS: &str = "Require 'backend/server'.\n";

fn reply(s: impl Into<String>) -> Outcome {
    Outcome::Reply(s.into())
}

/// C `atoi`: optional spaces and sign, leading digits, 0 otherwise.
pub fn atoi(s: &str) -> i64 {
    strtol(s).map_or(0, |(v, _)| v)
}

/// C `strtol(s, &end, 10)`: the value and the unparsed rest, or `None`
/// when no digit was found.
pub fn strtol(s: &str) -> Option<(i64, &str)> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits = body.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let mut v: i64 = 0;
    for b in body[..digits].bytes() {
        v = v.saturating_mul(10).saturating_add(i64::from(b - b'0'));
    }
    Some((if neg { -v } else { v }, &body[digits..]))
}

fn admin_error(e: AdminError) -> String {
    match e {
        AdminError::NoSuchBackend => "No such backend.\n".into(),
        AdminError::NoSuchServer => "No such server.\n".into(),
        AdminError::NoSuchFrontend => "No such frontend.\n".into(),
        AdminError::ProxyDisabled => "Proxy is disabled.\n".into(),
        AdminError::StaticLbWeight => {
            "Backend is using a static LB algorithm and only accepts weights '0%' and '100%'.\n"
                .into()
        }
        AdminError::Other(s) => s,
    }
}

/// `backend/server` lookup for admin commands (HAProxy's `cli_find_server`).
fn find_server<'a>(
    admin: &dyn Admin,
    arg: &'a str,
) -> Result<(&'a str, &'a str, ServerRef), String> {
    let (b, s) = arg.split_once('/').unwrap_or((arg, ""));
    if b.is_empty() || s.is_empty() {
        return Err(REQUIRE_BS.into());
    }
    let r = admin.find_server(b, s).map_err(admin_error)?;
    if r.proxy_disabled {
        return Err(admin_error(AdminError::ProxyDisabled));
    }
    Ok((b, s, r))
}

/// Parses a weight like HAProxy and applies it.
fn set_weight(admin: &dyn Admin, b: &str, s: &str, r: ServerRef, arg: &str) -> String {
    if arg.is_empty() {
        return "Require <weight> or <weight%>.\n".into();
    }
    let Some((mut w, rest)) = strtol(arg) else {
        return "Empty weight string empty or preceded by garbage".into();
    };
    if rest == "%" {
        if w < 0 {
            return "Relative weight must be positive.\n".into();
        }
        w = (i64::from(r.iweight) * w.min(25600) / 100).min(256);
    } else if !(0..=256).contains(&w) {
        return "Absolute weight can only be between 0 and 256 inclusive.\n".into();
    } else if !rest.is_empty() {
        return "Trailing garbage in weight string".into();
    }
    match admin.set_server_weight(b, s, w as u32) {
        Ok(()) => String::new(),
        Err(e) => admin_error(e),
    }
}

/// Executes one command.
pub fn dispatch(
    cli: &mut CliSession,
    args: &[&str],
    payload: Option<&str>,
    src: &dyn Source,
    admin: &dyn Admin,
) -> Outcome {
    let arg = |i: usize| args.get(i).copied().unwrap_or("");
    let Some(kw) = help::find(args) else {
        let words: Vec<&str> = if args.is_empty() {
            vec![""]
        } else {
            args.to_vec()
        };
        return reply(help::usage_message(&words));
    };
    let lvl = cli.level;
    let need = |l: Level| lvl >= l;
    match kw.words {
        ["help"] => reply(help::usage_message(args)),
        ["prompt"] => {
            cli.interactive = !cli.interactive;
            reply("")
        }
        ["quit"] => Outcome::Quit,
        ["operator"] | ["user"] => {
            cli.no_lf = arg(1) == "-";
            let target = if kw.words == ["operator"] {
                Level::Operator
            } else {
                Level::User
            };
            if !need(target) {
                return reply(DENIED);
            }
            cli.level = target;
            reply("")
        }
        ["show", "cli", "level"] => reply(format!("{}\n", lvl.as_str())),
        ["show", "version"] => reply(format!("{}\n", src.info().version)),
        ["show", "info"] => show_info(args, src),
        ["show", "stat"] => show_stat(cli, args, src),
        ["show", "sess"] if !need(Level::Operator) => reply(DENIED),
        ["show", "sess"] => {
            let q = SessQuery::parse(args.get(2).copied());
            reply(render_sessions(&src.sessions(), q))
        }
        ["show", "pools"] => reply(src.pools()),
        ["show", "backend"] => reply(render_backends(&backend_names(&src.stats()))),
        ["show", "servers", "conn"] => {
            let stats = src.stats();
            let names = backend_names(&stats);
            let only = Some(arg(3)).filter(|a| !a.is_empty());
            let threads = src.info().nbthread.max(1);
            match render_servers_conn(&src.servers_conn(), &names, only, threads) {
                Some(s) => reply(s),
                None => reply("Can't find backend.\n"),
            }
        }
        ["show", "servers", "state"] => {
            let stats = src.stats();
            let names = backend_names(&stats);
            let only = Some(arg(3)).filter(|a| !a.is_empty());
            match render_servers_state(&src.servers_state(), &names, only) {
                Some(s) => reply(s),
                None => reply("Can't find backend.\n"),
            }
        }
        ["show", "table"] => table_command(cli, args, src, TableAction::Show),
        ["clear", "table"] => table_command(cli, args, src, TableAction::Clear),
        ["set", "table"] => table_command(cli, args, src, TableAction::Set),
        ["show", "peers"] => table_command(cli, args, src, TableAction::ShowPeers),
        ["experimental-mode"] => {
            match arg(1) {
                "on" if need(Level::Admin) => cli.experimental = true,
                "on" => return reply(DENIED),
                "off" => cli.experimental = false,
                _ => return reply("'experimental-mode' only supports 'on' and 'off'.\n"),
            }
            reply("")
        }
        ["set", "var"] if !cli.experimental => {
            reply("This command is restricted to experimental mode only.\n")
        }
        ["show", "map" | "acl"] => match src.patterns(crate::patterns_show::query(args)) {
            Some(answer) => reply(crate::patterns_show::render(answer)),
            None => core_command(cli, args, src),
        },
        [_, "map" | "acl" | "var"] => core_command(cli, args, src),
        ["clear", "counters"] => {
            let all = arg(2) == "all";
            if !need(Level::Operator) || (all && !need(Level::Admin)) {
                return reply(DENIED);
            }
            admin.clear_counters(all);
            reply("")
        }
        ["get", "weight"] => {
            let (b, s) = arg(2).split_once('/').unwrap_or((arg(2), ""));
            if s.is_empty() {
                return reply(REQUIRE_BS);
            }
            match admin.find_server(b, s) {
                Ok(r) => reply(format!("{} (initial {})\n", r.uweight, r.iweight)),
                Err(e) => reply(admin_error(e)),
            }
        }
        [_, "ssl", "cert" | "crt-list"] => reply(crate::ssl::command(cli, args, payload, src)),
        _ if !need(Level::Admin) => reply(DENIED),
        _ => reply(admin_command(kw.words, args, src, admin)),
    }
}

/// `set server <b>/<s> weight|state|health|agent|check-port ...`.
fn set_server(admin: &dyn Admin, (b, s, r): (&str, &str, ServerRef), args: &[&str]) -> String {
    let arg = |i: usize| args.get(i).copied().unwrap_or("");
    let done = |r: Result<(), AdminError>| r.err().map(admin_error).unwrap_or_default();
    match arg(3) {
        "weight" => set_weight(admin, b, s, r, arg(4)),
        "state" => {
            let st = match arg(4) {
                "ready" => AdminState::Ready,
                "drain" => AdminState::Drain,
                "maint" => AdminState::Maint,
                _ => {
                    return "'set server <srv> state' expects 'ready', 'drain' and 'maint'.\n"
                        .into()
                }
            };
            done(admin.set_server_state(b, s, st))
        }
        "health" => {
            let v = match arg(4) {
                "down" => 0,
                "up" => 1,
                "stopping" => 2,
                _ => {
                    return "'set server <srv> health' expects 'up', 'stopping', or 'down'.\n"
                        .into()
                }
            };
            done(admin.server_check_op(b, s, AdminOp::SET_SERVER_HEALTH, v))
        }
        "agent" => {
            let v = match arg(4) {
                "down" => 0,
                "up" => 1,
                _ => return "'set server <srv> agent' expects 'up' or 'down'.\n".into(),
            };
            done(admin.server_check_op(b, s, AdminOp::SET_SERVER_AGENT, v))
        }
        "check-port" => match arg(4) {
            "" => "set server <b>/<s> check-port requires a port.\n".into(),
            p => match p.parse::<u16>() {
                Ok(port) if port > 0 => {
                    done(admin.server_check_op(b, s, AdminOp::SET_CHECK_PORT, u64::from(port)))
                }
                _ => "provided port is not an integer\n".into(),
            },
        },
        _ => "usage: set server <backend>/<server> addr | agent | agent-addr | agent-port \
| agent-send | check-addr | check-port | fqdn | health | ssl | state | weight\n"
            .into(),
    }
}

/// Commands reserved to the admin level.
fn admin_command(words: &[&str], args: &[&str], src: &dyn Source, admin: &dyn Admin) -> String {
    let arg = |i: usize| args.get(i).copied().unwrap_or("");
    let done = |r: Result<(), AdminError>| r.err().map(admin_error).unwrap_or_default();
    match words {
        ["set", "maxconn", "global"] => {
            if arg(3).is_empty() {
                return "Expects an integer value.\n".into();
            }
            let hard = src.info().hard_maxconn;
            let v = atoi(arg(3));
            if v > 0 && v as u64 > hard {
                return "Value out of range.\n".into();
            }
            done(admin.set_global_maxconn(if v <= 0 { hard } else { v as u64 }))
        }
        ["set", "maxconn", "frontend"] => {
            if arg(3).is_empty() {
                return "A frontend name is expected.\n".into();
            }
            if !admin.has_frontend(arg(3)) {
                return admin_error(AdminError::NoSuchFrontend);
            }
            if arg(4).is_empty() {
                return "Integer value expected.\n".into();
            }
            let v = atoi(arg(4));
            if v < 0 {
                return "Value out of range.\n".into();
            }
            done(admin.set_frontend_maxconn(arg(3), v.min(i64::from(u32::MAX)) as u32))
        }
        ["set", "maxconn", "server"] => match find_server(admin, arg(3)) {
            Err(e) => e,
            Ok((b, s, _)) => match strtol(arg(4)) {
                _ if arg(4).is_empty() => "Require <maxconn>.\n".into(),
                None => "maxconn string empty or preceded by garbage".into(),
                Some((_, rest)) if !rest.is_empty() => "Trailing garbage in maxconn string".into(),
                Some((v, _)) => done(admin.set_server_maxconn(b, s, v)),
            },
        },
        ["disable", "server"] | ["enable", "server"] => match find_server(admin, arg(2)) {
            Err(e) => e,
            Ok((b, s, _)) => {
                let st = if words[0] == "disable" {
                    AdminState::Maint
                } else {
                    AdminState::Ready
                };
                done(admin.set_server_state(b, s, st))
            }
        },
        ["enable" | "disable", "health" | "agent"] => match find_server(admin, arg(2)) {
            Err(e) => e,
            Ok((b, s, _)) => {
                let op = if words[1] == "health" {
                    AdminOp::ENABLE_HEALTH
                } else {
                    AdminOp::ENABLE_AGENT
                };
                done(admin.server_check_op(b, s, op, u64::from(words[0] == "enable")))
            }
        },
        ["set", "weight"] => match find_server(admin, arg(2)) {
            Err(e) => e,
            Ok((b, s, r)) => set_weight(admin, b, s, r, arg(3)),
        },
        ["set", "server"] => match find_server(admin, arg(2)) {
            Err(e) => e,
            Ok((b, s, r)) => set_server(admin, (b, s, r), args),
        },
        ["shutdown", "session"] => match parse_ptr(arg(2)) {
            0 => "Session pointer expected (use 'show sess').\n".into(),
            p if admin.shutdown_session(p) => String::new(),
            _ => "No such session (use 'show sess').\n".into(),
        },
        ["shutdown", "sessions", "server"] => match find_server(admin, arg(3)) {
            Err(e) => e,
            Ok((b, s, _)) => done(admin.shutdown_server_sessions(b, s)),
        },
        _ => help::usage_message(args),
    }
}

/// `show|clear|set table ...` and `show peers ...`, answered by the host
/// (which applies HAProxy's level rules: see [`Source::tables`]); `show
/// table` and `show peers` are rendered here from the host's data
/// ([`crate::stick`], [`crate::peers_show`]) when the host gives it.
fn table_command(
    cli: &CliSession,
    args: &[&str],
    src: &dyn Source,
    action: TableAction,
) -> Outcome {
    let words = &args[2.min(args.len())..];
    if action == TableAction::Show {
        let show = crate::stick::StickShow::parse(words);
        match src.stick_tables(&show, cli.level, cli.socket_level) {
            Some(Ok(tables)) => return reply(crate::stick::render(&show, &tables)),
            Some(Err(e)) => return reply(e),
            None => {}
        }
    }
    if action == TableAction::ShowPeers {
        if let Some(view) = src.peers_view() {
            let (Ok(s) | Err(s)) = crate::peers_show::render(words, &view);
            return reply(s);
        }
    }
    match src.tables(action, words, cli.level, cli.socket_level) {
        Some(Ok(s)) | Some(Err(s)) => reply(s),
        None => reply(help::usage_message(args)),
    }
}

/// Map, ACL and variable commands, answered by the core with HAProxy's
/// text (`show map|acl` too when the host cannot give it as data: see
/// [`crate::patterns_show`]). Changing a map or an ACL needs the operator level. As HAProxy
/// 2.6 prints them, a variable `get var` finds, and the refusals of `set
/// var` other than a missing argument, come without the empty line that
/// ends other answers.
fn core_command(cli: &mut CliSession, args: &[&str], src: &dyn Source) -> Outcome {
    let changes = matches!(
        args.first().copied(),
        Some("add" | "set" | "del" | "clear" | "prepare" | "commit")
    );
    if changes && cli.level < Level::Operator {
        return reply(DENIED);
    }
    match src.tables(TableAction::Command, args, cli.level, cli.socket_level) {
        Some(Ok(s)) => {
            cli.no_lf = args.starts_with(&["get", "var"]);
            reply(s)
        }
        Some(Err(s)) => {
            cli.no_lf = args.starts_with(&["set", "var"]) && !s.starts_with("Missing");
            reply(s)
        }
        None => reply(help::usage_message(args)),
    }
}

fn show_info(args: &[&str], src: &dyn Source) -> Outcome {
    let (mut fmt, mut desc, mut float) = ("", false, false);
    for a in args.iter().skip(2) {
        match *a {
            "typed" | "json" => fmt = a,
            "desc" => desc = true,
            "float" => float = true,
            _ => {}
        }
    }
    let p = src.info();
    reply(match fmt {
        "typed" => typed::render_info(&p, float, desc),
        "json" => json::render_info(&p, float),
        _ => info::render_plain(&p, float, desc),
    })
}

fn show_stat(cli: &CliSession, args: &[&str], src: &dyn Source) -> Outcome {
    let mut i = 2;
    let arg = |i: usize| args.get(i).copied().unwrap_or("");
    if arg(i) == "domain" {
        match arg(i + 1) {
            "proxy" => i += 2,
            _ => return reply("Invalid statistics domain.\n"),
        }
    }
    let rows = src.stats();
    let mut opts = StatOptions {
        show_legends: cli.socket_level >= Level::Operator,
        ..StatOptions::default()
    };
    if !arg(i).is_empty() && !arg(i + 1).is_empty() && !arg(i + 2).is_empty() {
        let iid = rows
            .iter()
            .find(|r| r.pxname == arg(i))
            .map_or_else(|| atoi(arg(i)), |r| i64::from(r.iid));
        if iid == 0 {
            return reply("No such proxy.\n");
        }
        opts.filter = Some(StatFilter {
            iid,
            types: atoi(arg(i + 1)),
            sid: atoi(arg(i + 2)),
        });
        i += 3;
    }
    let mut fmt = "";
    for a in args.iter().skip(i) {
        match *a {
            "typed" | "json" => fmt = a,
            "desc" => opts.desc = true,
            "no-maint" => opts.hide_maint = true,
            "up" => opts.hide_down = true,
            _ => {}
        }
    }
    reply(match fmt {
        "typed" => typed::render_stats(&rows, &opts),
        "json" => json::render_stats(&rows, &opts),
        _ => csv::render(&rows, &opts),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c_parsing() {
        assert_eq!(atoi("-1"), -1);
        assert_eq!(atoi("abc"), 0);
        assert_eq!(atoi(" 12x"), 12);
        assert_eq!(strtol("50%"), Some((50, "%")));
        assert_eq!(strtol("x"), None);
    }
}
