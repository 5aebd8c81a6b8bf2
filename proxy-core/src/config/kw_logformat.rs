//! The format directives of proxies: `log-format`, `log-format-sd`,
//! `error-log-format`, `unique-id-format`, `unique-id-header`, the format
//! `option httplog [clf]` and `option tcplog` stand for, and their final
//! checks.
//!
//! As in HAProxy, a format is read where it is written, but compiled and
//! reported last, once the proxy's mode is final and only for the proxies
//! that use it: a backend drops its log formats, a defaults section's
//! format only counts where it is inherited.
//!
//! Two formats are read and checked but not used yet: `log-format-sd`
//! (the structured data of RFC 5424 lines: our `log` targets do not frame
//! RFC 5424) and `error-log-format` (the lines of connections that fail
//! before a stream exists, a TLS handshake or a PROXY header: we have
//! neither).

use super::keywords::{Ctx, KwResult, ProxyState, SectionKind};
use super::model::{FormatLine, Mode, ProxyConfig};
use super::model_http::{HttpAction, HttpRule};
use super::parser::ConfigError;
use crate::rules::expr::NoFiles;
use crate::rules::format::{Builtin, LogFormat, Mode as FmtMode, ParseCtx};

/// The one argument of a format directive.
fn one_arg<'a>(ctx: &'a Ctx<'_>) -> Result<&'a str, String> {
    let kw = ctx.kw();
    let fmt = ctx
        .arg(1)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| format!("{kw} expects an argument."))?;
    if ctx.arg(2).is_some() {
        return Err(format!(
            "{kw} expects only one argument, don't forget to escape spaces!"
        ));
    }
    Ok(fmt)
}

fn read(ctx: &mut Ctx<'_>, text: &str, mode: FmtMode, builtin: Option<Builtin>) -> FormatLine {
    let pctx = ParseCtx {
        mode,
        http_proxy: None,
    };
    FormatLine {
        loc: ctx.loc.clone(),
        text: text.to_string(),
        builtin,
        format: LogFormat::parse_in(text, pctx, ctx.files),
    }
}

/// The warning of a directive only frontends use, written in a backend.
fn backend_warning(st: &ProxyState, ctx: &mut Ctx<'_>, what: &str) {
    if st.section == SectionKind::Backend {
        ctx.warn(format!(
            "backend '{}' : '{what}' directive is ignored in backends.",
            st.cfg.name
        ));
    }
}

/// Sets the traffic log format (`log-format`, or an `option`'s built-in
/// one), with HAProxy's warning when a defaults section overrides one.
pub(super) fn set_log_format(
    st: &mut ProxyState,
    ctx: &mut Ctx<'_>,
    text: &str,
    builtin: Option<Builtin>,
) {
    let line = read(ctx, text, FmtMode::Log, builtin);
    if st.section == SectionKind::Defaults {
        if let Some(old) = &st.cfg.log_format {
            ctx.warnings.push(format!(
                "config : parsing [{}]: '{}' overrides previous '{}' in 'defaults' section.",
                ctx.loc,
                line.directive(),
                old.directive()
            ));
        }
    }
    st.cfg.log_format = Some(line);
}

/// `log-format <fmt>`.
pub(super) fn log_format(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let text = one_arg(ctx)?.to_string();
    set_log_format(st, ctx, &text, None);
    st.cfg.httplog = false;
    st.cfg.tcplog = false;
    backend_warning(st, ctx, "log-format");
    Ok(())
}

/// `log-format-sd <fmt>`: the structured data of RFC 5424 lines.
pub(super) fn log_format_sd(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let text = one_arg(ctx)?.to_string();
    st.cfg.log_format_sd = Some(read(ctx, &text, FmtMode::Log, None));
    backend_warning(st, ctx, "log-format-sd");
    Ok(())
}

/// `error-log-format <fmt>`.
pub(super) fn error_log_format(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let text = one_arg(ctx)?.to_string();
    if st.section == SectionKind::Defaults && st.cfg.error_log_format.is_some() {
        ctx.warnings.push(format!(
            "config : parsing [{}]: 'error-log-format' overrides previous 'error-log-format' in \
             'defaults' section.",
            ctx.loc
        ));
    }
    st.cfg.error_log_format = Some(read(ctx, &text, FmtMode::Log, None));
    backend_warning(st, ctx, "error-log-format");
    Ok(())
}

/// `unique-id-format <fmt>`.
pub(super) fn unique_id_format(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let text = one_arg(ctx)?.to_string();
    st.cfg.unique_id_format = Some(read(ctx, &text, FmtMode::UniqueId, None));
    Ok(())
}

/// `unique-id-header <name>`.
pub(super) fn unique_id_header(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let name = ctx
        .arg(1)
        .filter(|a| !a.is_empty())
        .ok_or_else(|| format!("{} expects an argument.", ctx.kw()))?;
    st.cfg.unique_id_header = Some(name.to_string());
    Ok(())
}

/// The final checks of one proxy's formats: the `option httplog` fallback
/// of a TCP proxy, then each format's parse error or HTTP-only variable
/// reported where it was written.
pub(super) fn check(
    cfg: &mut ProxyConfig,
    type_str: &str,
    errors: &mut Vec<ConfigError>,
    warnings: &mut Vec<String>,
) {
    let tcp = cfg.mode == Mode::Tcp;
    if !cfg.kind.has_frontend() {
        cfg.log_format = None;
        cfg.log_format_sd = None;
    }
    if let Some(l) = cfg.log_format.as_mut() {
        if tcp
            && matches!(
                l.builtin,
                Some(Builtin::Http | Builtin::Clf | Builtin::Https)
            )
        {
            let opt = if l.builtin == Some(Builtin::Https) {
                "httpslog"
            } else {
                "httplog"
            };
            warnings.push(format!(
                "config : parsing [{}] : 'option {opt}' not usable with {type_str} '{}' (needs \
                 'mode http'). Falling back to 'option tcplog'.",
                l.loc, cfg.name
            ));
            l.builtin = Some(Builtin::Tcp);
            l.text = Builtin::Tcp.text().to_string();
            l.format = Ok(Builtin::Tcp.format().clone());
            cfg.httplog = false;
            cfg.tcplog = true;
        }
    }
    // unique-id-header: the id goes to the server, added once the rules
    // are done, as HAProxy adds it after its request analysers.
    if let Some(name) = cfg.unique_id_header.clone() {
        if cfg.kind.has_frontend() && !tcp {
            if let Ok(value) = LogFormat::parse("%[unique-id]") {
                cfg.http.request.push(HttpRule {
                    action: HttpAction::AddHeader { name, value },
                    cond: None,
                    loc: cfg.loc.clone(),
                });
            }
        }
    }
    let sd_loc = cfg.log_format.as_ref().map(|l| l.loc.clone());
    let lines = [
        (&mut cfg.log_format, "log-format"),
        (&mut cfg.log_format_sd, "log-format-sd"),
        (&mut cfg.unique_id_format, "unique-id"),
        (&mut cfg.error_log_format, "error-log-format"),
    ];
    for (line, what) in lines {
        let Some(l) = line.as_mut() else { continue };
        let reserved = l.format.as_ref().ok().and_then(|f| {
            f.vars()
                .find(|v| tcp && v.http_only())
                .map(|v| format!("format variable '{}' is reserved for HTTP mode.", v.name()))
        });
        let err = match (&l.format, reserved) {
            // The first error in the text wins: an HTTP variable of a TCP
            // proxy may come before the error found without the mode.
            (Err(e), _) if tcp => {
                let pctx = ParseCtx {
                    mode: FmtMode::Log,
                    http_proxy: Some(false),
                };
                match LogFormat::parse_in(&l.text, pctx, &mut NoFiles) {
                    Err(m) if m.ends_with("is reserved for HTTP mode.") => m,
                    _ => e.clone(),
                }
            }
            (Err(e), _) => e.clone(),
            (Ok(_), Some(e)) => e,
            (Ok(_), None) => continue,
        };
        // HAProxy names the `log-format` line for `log-format-sd` errors.
        let loc = match what {
            "log-format-sd" => sd_loc.clone().unwrap_or_else(|| l.loc.clone()),
            _ => l.loc.clone(),
        };
        errors.push(ConfigError {
            loc: None,
            msg: format!("Parsing [{loc}]: failed to parse {what} : {err}"),
        });
        *line = None;
    }
}

#[cfg(test)]
mod tests {
    use super::super::parser::testing::{error, ok};
    use crate::config::model_http::HttpAction;
    use crate::rules::format::Builtin;

    const FE: &str = "frontend fe\n bind 127.0.0.1:1\n log stdout format raw local0\n";

    #[test]
    fn formats_and_overrides() {
        let c = ok(&format!(
            "defaults\n mode http\n option httplog\n log-format \"%ci %r\"\n option tcplog\n \
             option httplog clf\n{FE} unique-id-format %{{+X}}o%ci:%cp\n unique-id-header X-ID\n"
        ));
        assert_eq!(
            c.warnings[..3],
            [
                "config : parsing [t.cfg:4]: 'log-format' overrides previous 'option httplog' in 'defaults' section.",
                "config : parsing [t.cfg:5]: 'option tcplog' overrides previous 'log-format' in 'defaults' section.",
                "config : parsing [t.cfg:6]: 'option httplog clf' overrides previous 'option tcplog' in 'defaults' section.",
            ]
        );
        let fe = &c.proxies[0];
        assert_eq!(fe.log_format.as_ref().unwrap().builtin, Some(Builtin::Clf));
        assert_eq!(fe.log_format().unwrap().as_str(), Builtin::Clf.text());
        assert!(fe.unique_id_format.as_ref().unwrap().get().is_some());
        let last = fe.http.request.last().unwrap();
        assert!(matches!(&last.action, HttpAction::AddHeader { name, .. } if name == "X-ID"));
    }

    #[test]
    fn tcp_fallback_and_http_variables() {
        let c = ok(&format!("defaults\n option httplog\n{FE}"));
        assert!(c.warnings[0].ends_with(
            "'option httplog' not usable with frontend 'fe' (needs 'mode http'). Falling back to 'option tcplog'."
        ));
        assert_eq!(
            c.proxies[0].log_format().unwrap().as_str(),
            Builtin::Tcp.text()
        );
        let e = error(&format!("{FE} log-format \"%ci %r %{{+Q}}\"\n"));
        assert!(
            e.contains("Parsing [t.cfg:4]: failed to parse log-format : format variable 'r' is reserved for HTTP mode."),
            "{e}"
        );
    }

    #[test]
    fn errors_at_the_format_line() {
        let e = error(&format!("{FE} log-format \"%ci %zz\"\n"));
        assert!(
            e.contains(
                "Parsing [t.cfg:4]: failed to parse log-format : no such format variable 'zz'."
            ),
            "{e}"
        );
        let e = error(&format!("{FE} unique-id-format %{{+Q}}\n"));
        assert!(
            e.contains("Parsing [t.cfg:4]: failed to parse unique-id : parse argument modifier"),
            "{e}"
        );
        let e = error(&format!("{FE} error-log-format %[src\n"));
        assert!(
            e.contains("failed to parse error-log-format : missing ']' after 'src'."),
            "{e}"
        );
        let e = error(&format!("{FE} log-format a b\n"));
        assert!(
            e.contains("log-format expects only one argument, don't forget to escape spaces!"),
            "{e}"
        );
        let e = error(&format!("{FE} unique-id-header\n"));
        assert!(e.contains("unique-id-header expects an argument."), "{e}");
        // A backend drops its log format, errors included, with a warning.
        let c = ok("backend b\n log-format %zz\n");
        assert!(
            c.warnings[0].ends_with("backend 'b' : 'log-format' directive is ignored in backends.")
        );
        assert!(c.proxies[0].log_format.is_none());
    }
}
