//! `option originalto|nolinger|http-ignore-probes|abortonclose|
//! http-no-delay|http-pretend-keepalive|splice-*`: the setters of
//! [`super::model_options::ProxyOptions`], rows of the option table in
//! [`super::kw_option`].

use super::keywords::{Ctx, KwResult, ProxyState};
use super::model_options::OriginalTo;
use crate::rules::acl::IpNet;

/// Rejects words after the option's name, as 2.6 does.
fn no_more_args(ctx: &Ctx<'_>) -> KwResult {
    match (ctx.arg(1), ctx.arg(2)) {
        (Some(name), Some(extra)) => Err(format!(
            "'option {name}' cannot handle unexpected argument '{extra}'."
        )),
        _ => Ok(()),
    }
}

/// A plain on/off option: which flag of the proxy's options it sets.
macro_rules! flag_option {
    ($name:ident, $field:ident) => {
        pub(super) fn $name(st: &mut ProxyState, ctx: &mut Ctx<'_>, on: bool) -> KwResult {
            no_more_args(ctx)?;
            st.cfg.options.$field = on;
            Ok(())
        }
    };
}

flag_option!(opt_nolinger, nolinger);
flag_option!(opt_ignore_probes, ignore_probes);
flag_option!(opt_abortonclose, abortonclose);
flag_option!(opt_http_no_delay, http_no_delay);
flag_option!(opt_pretend_keepalive, pretend_keepalive);
flag_option!(opt_splice, splice);
flag_option!(opt_accept_invalid_req, accept_invalid_req);
flag_option!(opt_accept_invalid_res, accept_invalid_res);
flag_option!(opt_use_proxy_header, use_proxy_header);

/// `option originalto [except <network>] [header <name>]`.
pub(super) fn opt_originalto(st: &mut ProxyState, ctx: &mut Ctx<'_>, on: bool) -> KwResult {
    if !on {
        return Err("negation/default is not supported for option 'originalto'.".into());
    }
    let mut ot = OriginalTo {
        except: None,
        header: "X-Original-To".into(),
    };
    let mut i = 2;
    while let Some(w) = ctx.arg(i) {
        match w {
            "except" => {
                ot.except =
                    Some(ctx.arg(i + 1).and_then(IpNet::parse).ok_or(
                        "'option originalto except' expects <address>[/mask] as argument.",
                    )?);
            }
            "header" => {
                let h = ctx
                    .arg(i + 1)
                    .filter(|h| !h.is_empty())
                    .ok_or("'option originalto header' expects <header_name> as argument.")?;
                ot.header = h.to_string();
            }
            _ => {
                return Err(
                    "'option originalto' only supports optional values: 'except' and 'header'."
                        .into(),
                )
            }
        }
        i += 2;
    }
    st.cfg.options.originalto = Some(ot);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::parser::testing::{error, ok};

    #[test]
    fn options_parse_and_inherit() {
        let c = ok("
defaults
    mode http
    option nolinger
    option originalto except 10.0.0.0/8 header X-Orig
    option http-no-delay
    option splice-auto
    option http-pretend-keepalive
frontend f
    bind :1
    option http-ignore-probes
    no option nolinger
    default_backend b
backend b
    option abortonclose
    option originalto
    server s 127.0.0.1:2
");
        let (f, b) = (&c.proxies[0].options, &c.proxies[1].options);
        assert!(!f.nolinger && b.nolinger && f.ignore_probes && b.abortonclose);
        assert!(f.http_no_delay && f.splice && f.pretend_keepalive);
        let fot = f.originalto.as_ref().unwrap();
        assert_eq!(fot.header, "X-Orig");
        assert!(fot.except.is_some());
        assert_eq!(b.originalto.as_ref().unwrap().header, "X-Original-To");
    }

    #[test]
    fn option_errors_as_haproxy() {
        let e = error("defaults\n option originalto foo\n");
        assert!(
            e.contains("'option originalto' only supports optional values: 'except' and 'header'."),
            "{e}"
        );
        let e = error("defaults\n option originalto header\n");
        assert!(
            e.contains("'option originalto header' expects <header_name> as argument."),
            "{e}"
        );
        let e = error("defaults\n option nolinger x\n");
        assert!(
            e.contains("'option nolinger' cannot handle unexpected argument 'x'."),
            "{e}"
        );
        let e = error("defaults\n option splice-auto 1\n");
        assert!(
            e.contains("'option splice-auto' cannot handle unexpected argument '1'."),
            "{e}"
        );
    }
}
