//! Server rows of the HTML stats page: row colour class (state, backup,
//! health), status/last-check cells, check failure and tracking cells.

use crate::html_rows::{
    addr_tip, esc, lim, name_cell, pct, times_tip, tip_row, tip_row_pct, Row, RowCtx,
};
use crate::sess::human_time;

/// CSS class of a server row.
pub(crate) fn server_class(w: &Row<'_>) -> String {
    let status = w.s(17);
    if status.starts_with("MAINT") {
        return "maintain".to_string();
    }
    let style = if status == "DOWN" || status == "DOWN (agent)" {
        "down"
    } else if status.starts_with("DOWN ") {
        "going_up"
    } else if status == "DRAIN" {
        "draining"
    } else if status.starts_with("NOLB ") {
        "going_down"
    } else if status == "NOLB" {
        "nolb"
    } else if status == "no check" {
        "no_check"
    } else if !w.has(21) || w.n(69) == (w.n(67) + w.n(68)).saturating_sub(1) {
        if w.n(18) != 0 {
            "up"
        } else {
            "draining"
        }
    } else {
        "going_down"
    };
    format!("{}_{style}", if w.n(20) != 0 { "backup" } else { "active" })
}

fn check_cell(
    w: &Row<'_>,
    status: usize,
    code: usize,
    dur: usize,
    desc: usize,
    last: usize,
) -> String {
    let mut s = format!("</td><td class=ac><u> {}", esc(&w.s(status)));
    if w.has(code) {
        s.push_str(&format!("/{}", w.n(code)));
    }
    if w.has(dur) {
        s.push_str(&format!(" in {}ms", w.n(dur)));
    }
    s.push_str(&format!("<div class=tips>{}", esc(&w.s(desc))));
    if !w.s(last).is_empty() {
        s.push_str(&format!(": {}", esc(&w.s(last))));
    }
    s.push_str("</div></u>");
    s
}

pub(crate) fn server(w: &Row<'_>, c: &RowCtx) -> String {
    let mut s = format!("<tr class=\"{}\">", server_class(w));
    let (px, sv) = (w.px(), w.sv());
    if c.admin {
        s.push_str(&format!(
            "<td><input class='{px}-checkbox' type=\"checkbox\" name=\"s\" value=\"{sv}\"></td>"
        ));
    }
    let tip = c.legends.then(|| {
        let mut t = addr_tip(w);
        if w.has(74) {
            t.push_str(&format!(", cookie: '{}'", esc(&w.s(74))));
        }
        t
    });
    s.push_str(&name_cell(&format!("{px}/{sv}"), &sv, tip));
    s.push_str(&format!(
        "<td>{}</td><td>{}</td><td>{}</td>",
        w.h(2),
        w.h(3),
        lim(w.n(25), "-")
    ));
    s.push_str(&format!(
        "<td>{}</td><td>{}</td><td></td>",
        w.h(33),
        w.h(35)
    ));
    let conns = [
        tip_row("Current active connections:", &w.h(4)),
        tip_row("Current used connections:", &w.h(97)),
        tip_row("Current idle connections:", &w.h(88)),
        tip_row("- unsafe:", &w.h(95)),
        tip_row("- safe:", &w.h(96)),
        tip_row("Estimated need of connections:", &w.h(98)),
        tip_row("Active connections limit:", &lim(w.n(6), "-")),
        tip_row(
            "Idle connections limit:",
            &if w.has(89) { w.h(89) } else { "-".into() },
        ),
    ]
    .concat();
    s.push_str(&format!(
        "<td><u>{}<div class=tips><table class=det>{conns}</table></div></u></td>",
        w.h(4)
    ));
    s.push_str(&format!("<td>{}</td><td>{}</td>", w.h(5), lim(w.n(6), "-")));
    let mut tot = tip_row("Cum. sessions:", &w.h(7));
    if w.http() {
        let req = w.n(48);
        tot += &tip_row("New connections:", &w.h(84));
        tot += &tip_row_pct(
            "Reused connections:",
            &w.h(85),
            pct(w.n(85), w.n(84) + w.n(85)),
        );
        tot += &tip_row("Cum. HTTP requests:", &w.h(48));
        for (i, label) in ["1xx", "2xx", "3xx", "4xx", "5xx"].iter().enumerate() {
            let label = format!("- HTTP {label} responses:");
            tot += &tip_row_pct(&label, &w.h(39 + i), pct(w.n(39 + i), req));
        }
        tot += &tip_row_pct("- other responses:", &w.h(44), pct(w.n(44), req));
        tot += &tip_row("Failed hdr rewrites:", &w.h(83));
        tot += &tip_row("Internal error:", &w.h(94));
    }
    tot += &times_tip(w);
    s.push_str(&format!(
        "<td><u>{}<div class=tips><table class=det>{tot}</table></div></u></td>",
        w.h(7)
    ));
    s.push_str(&format!(
        "<td>{}</td><td>{}</td>",
        w.h(30),
        human_time(w.r.lastsess)
    ));
    s.push_str(&format!(
        "<td>{}</td><td>{}</td><td></td><td>{}</td>",
        w.h(8),
        w.h(9),
        w.h(11)
    ));
    s.push_str(&format!("<td></td><td>{}</td>", w.h(13)));
    s.push_str(&format!(
        "<td><u>{}<div class=tips>Connection resets during transfers: {} client, {} server</div></u></td>",
        w.h(14),
        w.n(49),
        w.n(50)
    ));
    s.push_str(&format!("<td>{}</td><td>{}</td>", w.n(15), w.n(16)));
    s.push_str("<td class=ac>");
    let status = w.s(17);
    let lastchg = human_time(w.n(23) as i64);
    if status.starts_with("MAINT") {
        s.push_str(&format!("{lastchg} MAINT"));
    } else if status == "no check" {
        s.push_str("<i>no check</i>");
    } else {
        s.push_str(&format!("{lastchg} {}", esc(&status)));
        if status.starts_with("DOWN") {
            if w.n(69) != 0 {
                s.push_str(" &uarr;");
            }
        } else if w.n(69) < (w.n(67) + w.n(68)).saturating_sub(1) {
            s.push_str(" &darr;");
        }
    }
    if status.starts_with("DOWN") && w.has(62) && w.n(72) == 0 {
        s.push_str(&check_cell(w, 62, 63, 64, 66, 57));
    } else if w.has(36) {
        s.push_str(&check_cell(w, 36, 37, 38, 65, 56));
    } else {
        s.push_str("</td><td>");
    }
    let bck = w.n(20) != 0;
    s.push_str(&format!("</td><td class=ac>{}/{}</td>", w.n(18), w.n(99)));
    s.push_str(&format!(
        "<td class=ac>{}</td><td class=ac>{}</td>",
        if bck { "-" } else { "Y" },
        if bck { "Y" } else { "-" }
    ));
    if status == "MAINT (resolution)" {
        s.push_str("<td class=ac colspan=3>resolution</td>");
    } else if w.has(21) {
        s.push_str(&format!("<td><u>{}", w.n(21)));
        if w.has(45) {
            s.push_str(&format!("/{}", w.n(45)));
        }
        s.push_str(&format!(
            "<div class=tips>Failed Health Checks{}</div></u></td><td>{}</td><td>{}</td>",
            if w.has(45) { "/Health Analyses" } else { "" },
            w.n(22),
            human_time(w.n(24) as i64)
        ));
    } else if status != "MAINT" && w.has(31) {
        let t = esc(&w.s(31));
        s.push_str(&format!(
            "<td class=ac colspan=3><a class=lfsb href=\"#{t}\">via {t}</a></td>"
        ));
    } else {
        s.push_str("<td colspan=3></td>");
    }
    if w.has(29) {
        s.push_str(&format!("<td class=ac>{} %</td>\n", w.n(29)));
    } else {
        s.push_str("<td class=ac>-</td>");
    }
    s.push_str("</tr>\n");
    s
}
