//! CLI commands the core answers itself, for the stats applet: the map
//! and ACL commands (on the configuration's pattern lists) and `get var`
//! / `set var` on the process-wide variables, and the certificate commands
//! (`... ssl cert`, `... ssl crt-list`, see [`crate::tls::cli`]), with
//! HAProxy 2.6's text.

use crate::rules::expr::Expr;
use crate::rules::format::LogFormat;
use crate::sample::vars::{Scope, SetCond, VarName, VarStore};
use crate::sample::Value;
use crate::state::State;
use crate::stkctr::rules::ConnView;

/// The answer to `words` (the whole command): `Ok` text or `Err` message.
pub fn answer(st: &State, words: &[&str]) -> Result<String, String> {
    match words {
        ["get", "var", rest @ ..] => get_var(st, rest.first().copied()),
        ["set", "var", rest @ ..] => set_var(st, rest),
        [_, "ssl", "cert" | "crt-list", ..] => match st.config.tls.cli(words) {
            Some(s) => Ok(s),
            None => Err("Unknown command.\n".into()),
        },
        _ => match st.config.patterns.cli(words) {
            Some(r) => r,
            None => Err("Unknown command.\n".into()),
        },
    }
}

/// `get var <name>`: `proc.<name>: type=<type> value=<text>`.
fn get_var(st: &State, name: Option<&str>) -> Result<String, String> {
    let name = name
        .filter(|n| !n.is_empty())
        .ok_or("Missing process-wide variable identifier.\n")?;
    let v = VarName::parse(name)
        .ok()
        .filter(|v| v.scope == Scope::Proc)
        .and_then(|v| st.proc_vars.get(&v.name))
        .ok_or("Variable not found.\n")?;
    let mut text = Vec::new();
    match &v {
        Value::Bin(b) => text.extend_from_slice(b),
        other => other.write_text(&mut text),
    }
    Ok(format!(
        "{name}: type={} value=<{}>\n",
        v.smp_type().name(),
        String::from_utf8_lossy(&text)
    ))
}

/// `set var <name> [expr|fmt] <expression or format>`.
fn set_var(st: &State, args: &[&str]) -> Result<String, String> {
    let name = args
        .first()
        .filter(|n| !n.is_empty())
        .ok_or("Missing process-wide variable identifier.\n")?;
    let var = VarName::parse(name).map_err(|e| format!("{e}\n"))?;
    if var.scope != Scope::Proc {
        return Err(format!(
            "'set var': cannot set variable '{name}', only scope 'proc' is permitted here.\n"
        ));
    }
    let (fmt, rest) = match args.get(1).copied() {
        Some("fmt") => (true, &args[2..]),
        Some("expr") => (false, &args[2..]),
        _ => (false, &args[1.min(args.len())..]),
    };
    let text = rest.join(" ");
    if text.is_empty() {
        return Err("Missing either 'expr', 'fmt' or expression.\n".into());
    }
    let vars = VarStore::new(st.proc_vars.clone());
    // No message, no connection: only the process variables to read.
    let view = ConnView {
        src: None,
        dst: None,
        vars: Some(&vars),
        payload: None,
        tls: Default::default(),
        expect_proxy: Default::default(),
        pp: None,
    };
    let mut files = crate::rules::expr::NoFiles;
    let value = if fmt {
        let f = LogFormat::parse_with(&text, &mut files).map_err(|e| format!("{e}\n"))?;
        Some(Value::owned_str(f.render(&view)))
    } else {
        let e = Expr::parse_word(&text, &mut files).map_err(|e| format!("{}\n", e.describe()))?;
        e.eval(&view).map(Value::into_owned)
    };
    if let Some(v) = value {
        vars.set(&var, v, SetCond::default());
    }
    Ok(String::new())
}
