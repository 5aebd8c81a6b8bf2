//! Table rows of the HTML stats page: one function per row type. Cell
//! layout, classes, tooltips and number formatting follow HAProxy 2.6
//! (29 data columns after the name column, `rls` spans as thousands
//! separators, `-` for unset limits, human-readable ages).

use crate::fields::{Field, Value};
use crate::model::{ObjType, ProxyMode, ProxyStats};
use crate::sess::human_time;

/// Row rendering flags.
pub(crate) struct RowCtx {
    pub admin: bool,
    pub legends: bool,
}

/// Field accessors over a filled row.
pub(crate) struct Row<'a> {
    pub r: &'a ProxyStats,
    pub f: &'a [Option<Field>],
}

impl Row<'_> {
    pub(crate) fn n(&self, pos: usize) -> u64 {
        self.f[pos].as_ref().map_or(0, |f| f.value.as_u64())
    }
    pub(crate) fn h(&self, pos: usize) -> String {
        u2h(self.n(pos))
    }
    pub(crate) fn s(&self, pos: usize) -> String {
        match self.f[pos].as_ref().map(|f| &f.value) {
            Some(Value::Str(s)) => s.clone(),
            Some(v) => v.to_text(),
            None => String::new(),
        }
    }
    pub(crate) fn has(&self, pos: usize) -> bool {
        self.f[pos].is_some()
    }
    pub(crate) fn http(&self) -> bool {
        self.r.mode == ProxyMode::Http
    }
    pub(crate) fn px(&self) -> String {
        esc(&self.r.pxname)
    }
    pub(crate) fn sv(&self) -> String {
        esc(&self.r.svname)
    }
}

/// HTML-escapes text.
pub(crate) fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '&' => o.push_str("&amp;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            c => o.push(c),
        }
    }
    o
}

/// Number with a letter-spaced digit at the start of each thousands group:
/// `9981` -> `<span class="rls">9</span>981`.
pub(crate) fn u2h(n: u64) -> String {
    let digits = n.to_string();
    let len = digits.len();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        let from_right = len - 1 - i;
        if from_right > 0 && from_right.is_multiple_of(3) {
            out.push_str(&format!("<span class=\"rls\">{c}</span>"));
        } else {
            out.push(c);
        }
    }
    out
}

/// A limit: the number, or `alt` when zero.
pub(crate) fn lim(n: u64, alt: &str) -> String {
    if n == 0 {
        alt.to_string()
    } else {
        n.to_string()
    }
}

pub(crate) fn pct(part: u64, total: u64) -> u64 {
    part.saturating_mul(100).checked_div(total).unwrap_or(0)
}

pub(crate) fn tip_row(label: &str, value: &str) -> String {
    format!("<tr><th>{label}</th><td>{value}</td></tr>")
}

pub(crate) fn tip_row_pct(label: &str, value: &str, p: u64) -> String {
    format!("<tr><th>{label}</th><td>{value}</td><td>({p}%)</td></tr>")
}

/// Bytes-out cell with the compression tooltip (FE and BE rows).
fn bytes_out_cell(w: &Row<'_>) -> String {
    let (cin, cout, cbyp, bout) = (w.n(51), w.n(52), w.n(53), w.n(9));
    let underline = cin != 0 || cbyp != 0;
    let saved = cin.saturating_sub(cout);
    format!(
        "<td>{}{}<div class=tips><table class=det>{}{}{}{}{}</table></div>{}</td>",
        if underline { "<u>" } else { "" },
        u2h(bout),
        tip_row("Response bytes in:", &u2h(bout)),
        tip_row("Compression in:", &u2h(cin)),
        tip_row_pct("Compression out:", &u2h(cout), pct(cout, cin)),
        tip_row("Compression bypass:", &u2h(cbyp)),
        tip_row_pct("Total bytes saved:", &u2h(saved), pct(saved, bout)),
        if underline { "</u>" } else { "" },
    )
}

/// Tooltip lines with the four max/avg times (BE and server rows).
pub(crate) fn times_tip(w: &Row<'_>) -> String {
    let mut s = String::from("<tr><th colspan=3>Max / Avg over last 1024 success. conn.</th></tr>");
    let line = |label: &str, max: usize, avg: usize| {
        format!(
            "<tr><th>- {label}:</th><td>{} / {}</td><td>ms</td></tr>",
            w.h(max),
            w.h(avg)
        )
    };
    s.push_str(&line("Queue time", 90, 58));
    s.push_str(&line("Connect time", 91, 59));
    if w.http() {
        s.push_str(&line("Responses time", 92, 60));
    }
    s.push_str(&line("Total time", 93, 61));
    s
}

/// `<td class=ac>` name cell with anchor, optional tooltip.
pub(crate) fn name_cell(anchor: &str, label: &str, tip: Option<String>) -> String {
    match tip {
        Some(t) => format!(
            "<td class=ac><a name=\"{anchor}\"></a><u><a class=lfsb href=\"#{anchor}\">{label}</a><div class=tips>{t}</div></u></td>"
        ),
        None => format!(
            "<td class=ac><a name=\"{anchor}\"></a><a class=lfsb href=\"#{anchor}\">{label}</a></td>"
        ),
    }
}

pub(crate) fn addr_tip(w: &Row<'_>) -> String {
    let addr = w.s(73);
    let kind = if addr.starts_with(|c: char| c.is_ascii_digit()) {
        format!("IPv4: {}, ", esc(&addr))
    } else if addr.starts_with('[') {
        format!("IPv6: {}, ", esc(&addr))
    } else if !addr.is_empty() {
        format!("{}, ", esc(&addr))
    } else {
        String::new()
    };
    format!("{kind}id: {}", w.r.sid)
}

pub(crate) fn frontend(w: &Row<'_>, c: &RowCtx) -> String {
    let mut s = String::from("<tr class=\"frontend\">");
    if c.admin {
        s.push_str("<td></td>");
    }
    let px = w.px();
    s.push_str(&format!(
        "<td class=ac><a name=\"{px}/Frontend\"></a><a class=lfsb href=\"#{px}/Frontend\">Frontend</a></td><td colspan=3></td>"
    ));
    let mut cur = tip_row("Current connection rate:", &format!("{}/s", w.h(77)));
    cur += &tip_row("Current session rate:", &format!("{}/s", w.h(33)));
    let mut max = tip_row("Max connection rate:", &format!("{}/s", w.h(78)));
    max += &tip_row("Max session rate:", &format!("{}/s", w.h(35)));
    if w.http() {
        cur += &tip_row("Current request rate:", &format!("{}/s", w.h(46)));
        max += &tip_row("Max request rate:", &format!("{}/s", w.h(47)));
    }
    s.push_str(&format!(
        "<td><u>{}<div class=tips><table class=det>{cur}</table></div></u></td>",
        w.h(33)
    ));
    s.push_str(&format!(
        "<td><u>{}<div class=tips><table class=det>{max}</table></div></u></td>",
        w.h(35)
    ));
    s.push_str(&format!("<td>{}</td>", lim(w.n(34), "-")));
    s.push_str(&format!(
        "<td>{}</td><td>{}</td><td>{}</td>",
        w.h(4),
        w.h(5),
        w.h(6)
    ));
    let mut tot = tip_row("Cum. connections:", &w.h(79)) + &tip_row("Cum. sessions:", &w.h(7));
    if w.http() {
        tot += &tip_row("Cum. HTTP requests:", &w.h(48));
        tot += &tip_row("- HTTP 1xx responses:", &w.h(39));
        tot += &tip_row("- HTTP 2xx responses:", &w.h(40));
        tot += &tip_row_pct(
            "&nbsp;&nbsp;Compressed 2xx:",
            &w.h(54),
            pct(w.n(54), w.n(40)),
        );
        tot += &tip_row("- HTTP 3xx responses:", &w.h(41));
        tot += &tip_row("- HTTP 4xx responses:", &w.h(42));
        tot += &tip_row("- HTTP 5xx responses:", &w.h(43));
        tot += &tip_row("- other responses:", &w.h(44));
        tot += &tip_row("Intercepted requests:", &w.h(80));
        tot += &tip_row("Cache lookups:", &w.h(86));
        tot += &tip_row_pct("Cache hits:", &w.h(87), pct(w.n(87), w.n(86)));
        tot += &tip_row("Failed hdr rewrites:", &w.h(83));
        tot += &tip_row("Internal errors:", &w.h(94));
    }
    s.push_str(&format!(
        "<td><u>{}<div class=tips><table class=det>{tot}</table></div></u></td>",
        w.h(7)
    ));
    s.push_str(&format!("<td></td><td></td><td>{}</td>", w.h(8)));
    s.push_str(&bytes_out_cell(w));
    s.push_str(&format!(
        "<td>{}</td><td>{}</td><td>{}</td>",
        w.h(10),
        w.h(11),
        w.h(12)
    ));
    s.push_str("<td></td><td></td><td></td><td></td>");
    s.push_str(&format!(
        "<td class=ac>{}</td><td class=ac colspan=8></td></tr>",
        esc(&w.s(17))
    ));
    s
}

pub(crate) fn listener(w: &Row<'_>, c: &RowCtx) -> String {
    let mut s = String::from("<tr class=socket>");
    if c.admin {
        s.push_str("<td></td>");
    }
    let anchor = format!("{}/+{}", w.px(), w.sv());
    s.push_str(&name_cell(&anchor, &w.sv(), c.legends.then(|| addr_tip(w))));
    s.push_str("<td colspan=3></td><td colspan=3>&nbsp;</td>");
    s.push_str(&format!(
        "<td>{}</td><td>{}</td><td>{}</td>",
        w.h(4),
        w.h(5),
        w.h(6)
    ));
    s.push_str(&format!(
        "<td>{}</td><td>&nbsp;</td><td>&nbsp;</td>",
        w.h(7)
    ));
    s.push_str(&format!("<td>{}</td><td>{}</td>", w.h(8), w.h(9)));
    s.push_str(&format!(
        "<td>{}</td><td>{}</td><td>{}</td>",
        w.h(10),
        w.h(11),
        w.h(12)
    ));
    s.push_str("<td></td><td></td><td></td><td></td>");
    s.push_str(&format!(
        "<td class=ac>{}</td><td class=ac colspan=8></td></tr>",
        esc(&w.s(17))
    ));
    s
}

pub(crate) fn backend(w: &Row<'_>, c: &RowCtx) -> String {
    let mut s = String::from("<tr class=\"backend\">");
    if c.admin {
        s.push_str("<td></td>");
    }
    let px = w.px();
    s.push_str("<td class=ac>");
    if c.legends {
        s.push_str("<u>");
    }
    s.push_str(&format!(
        "<a name=\"{px}/Backend\"></a><a class=lfsb href=\"#{px}/Backend\">Backend</a>"
    ));
    if c.legends {
        s.push_str(&format!("<div class=tips>balancing: {}", esc(&w.s(76))));
        if w.has(74) {
            s.push_str(&format!(", cookie: '{}'", esc(&w.s(74))));
        }
        s.push_str("</div></u>");
    }
    s.push_str(&format!(
        "</td><td>{}</td><td>{}</td><td></td>",
        w.h(2),
        w.h(3)
    ));
    s.push_str(&format!(
        "<td>{}</td><td>{}</td><td></td>",
        w.h(33),
        w.h(35)
    ));
    s.push_str(&format!(
        "<td>{}</td><td>{}</td><td>{}</td>",
        w.h(4),
        w.h(5),
        w.h(6)
    ));
    let mut tot = tip_row("Cum. sessions:", &w.h(7));
    if w.http() {
        tot += &tip_row("New connections:", &w.h(84));
        tot += &tip_row_pct(
            "Reused connections:",
            &w.h(85),
            pct(w.n(85), w.n(84) + w.n(85)),
        );
        tot += &tip_row("Cum. HTTP requests:", &w.h(48));
        tot += &tip_row("- HTTP 1xx responses:", &w.h(39));
        tot += &tip_row("- HTTP 2xx responses:", &w.h(40));
        tot += &tip_row_pct(
            "&nbsp;&nbsp;Compressed 2xx:",
            &w.h(54),
            pct(w.n(54), w.n(40)),
        );
        tot += &tip_row("- HTTP 3xx responses:", &w.h(41));
        tot += &tip_row("- HTTP 4xx responses:", &w.h(42));
        tot += &tip_row("- HTTP 5xx responses:", &w.h(43));
        tot += &tip_row("- other responses:", &w.h(44));
        tot += &tip_row("Cache lookups:", &w.h(86));
        tot += &tip_row_pct("Cache hits:", &w.h(87), pct(w.n(87), w.n(86)));
        tot += &tip_row("Failed hdr rewrites:", &w.h(83));
        tot += &tip_row("Internal errors:", &w.h(94));
    }
    tot += &times_tip(w);
    s.push_str(&format!(
        "<td><u>{}<div class=tips><table class=det>{tot}</table></div></u></td>",
        w.h(7)
    ));
    s.push_str(&format!(
        "<td>{}</td><td>{}</td><td>{}</td>",
        w.h(30),
        human_time(w.r.lastsess),
        w.h(8)
    ));
    s.push_str(&bytes_out_cell(w));
    s.push_str(&format!(
        "<td>{}</td><td>{}</td><td></td><td>{}</td>",
        w.h(10),
        w.h(11),
        w.h(13)
    ));
    s.push_str(&format!(
        "<td><u>{}<div class=tips>Connection resets during transfers: {} client, {} server</div></u></td>",
        w.h(14),
        w.n(49),
        w.n(50)
    ));
    s.push_str(&format!("<td>{}</td><td>{}</td>", w.n(15), w.n(16)));
    let status = w.s(17);
    let shown = if status == "DOWN" {
        "<font color=\"red\"><b>DOWN</b></font>".to_string()
    } else {
        esc(&status)
    };
    s.push_str(&format!(
        "<td class=ac>{} {shown}</td><td class=ac>&nbsp;</td><td class=ac>{}/{}</td>",
        human_time(w.n(23) as i64),
        w.n(18),
        w.n(99)
    ));
    s.push_str(&format!(
        "<td class=ac>{}</td><td class=ac>{}</td>",
        w.n(19),
        w.n(20)
    ));
    let downtime = if w.has(24) {
        human_time(w.n(24) as i64)
    } else {
        "&nbsp;".into()
    };
    s.push_str(&format!(
        "<td class=ac>&nbsp;</td><td>{}</td><td>{downtime}</td><td></td></tr>",
        w.n(22)
    ));
    s
}

/// Dispatches on the row type.
pub(crate) fn row(w: &Row<'_>, c: &RowCtx) -> String {
    match w.r.kind {
        ObjType::Frontend => frontend(w, c),
        ObjType::Listener => listener(w, c),
        ObjType::Server => crate::html_server::server(w, c),
        ObjType::Backend => backend(w, c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands() {
        assert_eq!(u2h(981), "981");
        assert_eq!(u2h(9981), "<span class=\"rls\">9</span>981");
        assert_eq!(
            u2h(1234567),
            "<span class=\"rls\">1</span>23<span class=\"rls\">4</span>567"
        );
        assert_eq!(lim(0, "-"), "-");
    }
}
