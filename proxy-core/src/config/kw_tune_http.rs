//! The HTTP `tune.*` globals: `tune.http.maxhdr` (header lines a message
//! may have), `tune.http.logurilen` (request line length kept for the
//! log), `tune.http.cookielen` (captured cookie length: accepted, as
//! `capture cookie` is not supported) and `tune.idle-pool.shared`
//! (accepted: our idle server connections are always shared between
//! threads).

use super::keywords::{Ctx, KwResult};
use super::model::Global;

/// `tune.http.maxhdr <1..32767>`.
pub(super) fn tune_http_maxhdr(g: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    ctx.max_args(1)?;
    g.http_maxhdr = ctx
        .arg(1)
        .and_then(|a| a.parse::<usize>().ok())
        .filter(|n| (1..=32767).contains(n))
        .ok_or("'tune.http.maxhdr' expects a numeric value between 1 and 32767")?;
    Ok(())
}

/// `tune.http.logurilen <len>`: the log keeps `len` bytes of the
/// request line.
pub(super) fn tune_http_logurilen(g: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    ctx.max_args(1)?;
    let n: i64 = ctx.int_arg(1)?;
    g.http_logurilen = usize::try_from(n).unwrap_or(0);
    Ok(())
}

/// `tune.http.cookielen <len>`.
pub(super) fn tune_http_cookielen(g: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    ctx.max_args(1)?;
    let n: i64 = ctx.int_arg(1)?;
    g.http_cookielen = usize::try_from(n).unwrap_or(0);
    Ok(())
}

/// `tune.idle-pool.shared on|off`.
pub(super) fn tune_idle_pool_shared(_g: &mut Global, ctx: &mut Ctx<'_>) -> KwResult {
    ctx.max_args(1)?;
    match ctx.arg(1) {
        Some("on" | "off") => Ok(()),
        other => Err(format!(
            "'tune.idle-pool.shared' expects either 'on' or 'off' but got '{}'.",
            other.unwrap_or("")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::super::parser::testing::{error, ok};

    #[test]
    fn tune_http_values_and_errors() {
        let c = ok("global\n tune.http.maxhdr 10\n tune.http.logurilen 30\n tune.http.cookielen 20\n tune.idle-pool.shared off\n");
        assert_eq!(c.global.http_maxhdr, 10);
        assert_eq!(c.global.http_logurilen, 30);
        assert_eq!(c.global.http_cookielen, 20);
        let d = ok("global\n");
        assert_eq!((d.global.http_maxhdr, d.global.http_logurilen), (101, 1024));
        for bad in ["tune.http.maxhdr 0", "tune.http.maxhdr 40000"] {
            let e = error(&format!("global\n {bad}\n"));
            assert!(
                e.contains("'tune.http.maxhdr' expects a numeric value between 1 and 32767"),
                "{e}"
            );
        }
        let e = error("global\n tune.http.cookielen\n");
        assert!(
            e.contains("'tune.http.cookielen' expects an integer argument."),
            "{e}"
        );
        let e = error("global\n tune.idle-pool.shared x\n");
        assert!(
            e.contains("'tune.idle-pool.shared' expects either 'on' or 'off' but got 'x'."),
            "{e}"
        );
    }
}
