//! The HTML stats page (`stats uri`), laid out like HAProxy 2.6's: an HTML
//! 4.01 Transitional document with the process information block, the
//! state colour legend, display options and external links, then for each
//! proxy a name table (`table.tbl`, `th.pxname`) followed by a `table.tbl`
//! of counters (two `tr.titre` header rows, then `tr.frontend`,
//! `tr.socket`, one `tr.active_*`/`tr.backup_*`/`tr.maintain` row per
//! server and `tr.backend`). With `stats admin`, backends with servers are
//! wrapped in a POST form with per-server checkboxes and an action menu.
//!
//! The style sheet is ours but uses 2.6's class names and colours. Auto
//! refresh (`stats refresh`) is an HTTP header in HAProxy, not a `<meta>`:
//! send [`refresh_header`] with the page.

use crate::html_rows::{esc, row, Row, RowCtx};
use crate::model::{ObjType, ProcessInfo, ProxyStats};
use crate::select::{select, StatOptions};

/// Result banner requested with `;st=<CODE>` after an admin POST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostStatus {
    /// `DONE`
    Done,
    /// `NONE`
    None,
    /// `PART`
    Partial,
    /// `ERRP`
    InvalidParams,
    /// `EXCD`
    Excess,
    /// `DENY`
    Denied,
    /// `IVAL`
    InvalidRequest,
    /// `UNKN` or anything else.
    Unknown,
}

impl PostStatus {
    /// Parses the `st=` code.
    pub fn parse(code: &str) -> PostStatus {
        match code {
            "DONE" => PostStatus::Done,
            "NONE" => PostStatus::None,
            "PART" => PostStatus::Partial,
            "ERRP" => PostStatus::InvalidParams,
            "EXCD" => PostStatus::Excess,
            "DENY" => PostStatus::Denied,
            "IVAL" => PostStatus::InvalidRequest,
            _ => PostStatus::Unknown,
        }
    }
}

/// Links printed under "External resources".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProductLinks {
    /// Product home page (also the `<h1>` link).
    pub url: String,
    /// Updates page.
    pub updates_url: String,
    /// Documentation.
    pub doc_url: String,
    /// Branch shown as `Updates (v<branch>)`.
    pub branch: String,
}

/// Page options (from the `stats` configuration and the request URI).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HtmlOptions {
    /// `stats uri` prefix, e.g. `/stats` or `/haproxy?stats`.
    pub uri_prefix: String,
    /// `stats refresh` in seconds (`None` = no refresh).
    pub refresh: Option<u32>,
    /// `;norefresh` was requested.
    pub no_refresh: bool,
    /// `stats hide-version`.
    pub hide_version: bool,
    /// `stats show-legends`.
    pub show_legends: bool,
    /// `stats admin` granted for this request.
    pub admin: bool,
    /// `;up`.
    pub hide_down: bool,
    /// `;no-maint`.
    pub hide_maint: bool,
    /// `scope=` text (at most 20 characters are used).
    pub scope: Option<String>,
    /// `stats show-node [name]`: `Some(name)` prints ` on <name>`.
    pub show_node: Option<String>,
    /// `stats show-desc [text]`: `Some(text)` prints `: <text>`.
    pub show_desc: Option<String>,
    /// Result banner (`;st=`).
    pub status: Option<PostStatus>,
    /// External links.
    pub links: ProductLinks,
}

/// Value of the `refresh` response header, if any.
pub fn refresh_header(o: &HtmlOptions) -> Option<String> {
    o.refresh
        .filter(|r| *r > 0 && !o.no_refresh)
        .map(|r| r.to_string())
}

const STYLE: &str = "<style type=\"text/css\"><!--
body {font-family: arial, helvetica, sans-serif; font-size: 12px; font-weight: normal; color: black; background: white;}
th,td {font-size: 10px;}
h1 {font-size: x-large; margin-bottom: 0.5em;}
h2 {font-family: helvetica, arial; font-size: x-large; font-weight: bold; font-style: italic; color: #6020a0; margin-top: 0em; margin-bottom: 0em;}
h3 {font-family: helvetica, arial; font-size: 16px; font-weight: bold; color: #b00040; background: #e8e8d0; margin-top: 0em; margin-bottom: 0em;}
li {margin-top: 0.25em; margin-right: 2em;}
.hr {margin-top: 0.25em; border-color: black; border-bottom-style: solid;}
.titre {background: #20D0D0; color: #000000; font-weight: bold; text-align: center;}
.total {background: #20D0D0; color: #ffff80;}
.frontend {background: #e8e8d0;}
.socket {background: #d0d0d0;}
.backend {background: #e8e8d0;}
.active_down {background: #ff9090;}
.active_going_up {background: #ffd020;}
.active_going_down {background: #ffffa0;}
.active_up {background: #c0ffc0;}
.active_nolb {background: #20a0ff;}
.active_draining {background: #20a0FF;}
.active_no_check {background: #e0e0e0;}
.backup_down {background: #ff9090;}
.backup_going_up {background: #ff80ff;}
.backup_going_down {background: #c060ff;}
.backup_up {background: #b0d0ff;}
.backup_nolb {background: #90b0e0;}
.backup_draining {background: #cc9900;}
.backup_no_check {background: #e0e0e0;}
.maintain {background: #c07820;}
.rls {letter-spacing: 0.2em; margin-right: 1px;}
a.px:link, a.px:visited {color: #ffff40; text-decoration: none;}
a.px:hover {color: #ffffff; text-decoration: none;}
a.lfsb:link, a.lfsb:visited {color: #000000; text-decoration: none;}
a.lfsb:hover {color: #505050; text-decoration: none;}
table.tbl {border-collapse: collapse; border-style: none;}
table.tbl td {text-align: right; border: 1px solid gray; padding: 2px 3px; white-space: nowrap;}
table.tbl td.ac {text-align: center;}
table.tbl th {border: 1px solid gray;}
table.tbl th.pxname {background: #b00040; color: #ffff40; font-weight: bold; border-style: solid solid none solid; padding: 2px 3px; white-space: nowrap;}
table.tbl th.empty {border-style: none; empty-cells: hide; background: white;}
table.tbl th.desc {background: white; border-style: solid solid none solid; text-align: left; padding: 2px 3px;}
table.lgd {border-collapse: collapse; border-width: 1px; border-style: none none none solid; border-color: black;}
table.lgd td {border: 1px solid gray; padding: 2px;}
table.lgd td.noborder {border-style: none; padding: 2px; white-space: nowrap;}
table.det {border-collapse: collapse; border-style: none;}
table.det th {text-align: left; border-width: 0px; padding: 0px 1px 0px 0px; font-style: normal; font-size: 11px; font-weight: bold; font-family: sans-serif;}
table.det td {text-align: right; border-width: 0px; padding: 0px 0px 0px 4px; white-space: nowrap; font-style: normal; font-size: 11px; font-weight: normal;}
u {text-decoration: none; border-bottom: 1px dotted black;}
div.tips {display: block; visibility: hidden; z-index: 2147483647; position: absolute; padding: 2px 4px 3px; background: #f0f060; color: #000000; border: 1px solid #7040c0; white-space: nowrap; font-style: normal; font-size: 11px; font-weight: normal; border-radius: 3px; box-shadow: gray 2px 2px 3px;}
u:hover div.tips {visibility: visible;}
@media (prefers-color-scheme: dark) {
 body {color: #e8e6e3; background: #131516;}
 h1 {color: #a265e0!important;}
 h2 {color: #a265e0;}
 h3 {color: #ff5190; background-color: #3e3e1f;}
 a {color: #3391ff;}
 input {background-color: #2f3437;}
 .hr {border-color: #8c8273;}
 .titre {background-color: #1aa6a6; color: #e8e6e3;}
 .frontend, .backend {background: #2f3437;}
 .socket {background: #2a2d2f;}
 .active_down, .backup_down {background: #760000;}
 .active_going_up {background: #b99200;}
 .active_going_down {background: #6c6c00;}
 .active_up {background: #165900;}
 .active_nolb, .active_draining {background: #006ab9;}
 .active_no_check, .backup_no_check {background: #2a2d2f;}
 .backup_going_up {background: #7f007f;}
 .backup_going_down {background: #580092;}
 .backup_up {background: #2e3234;}
 .backup_nolb {background: #1e3c6a;}
 .backup_draining {background: #a37a00;}
 .maintain {background: #9a601a;}
 a.px:link, a.px:visited {color: #d8d83b;}
 a.px:hover {color: #ffffff;}
 a.lfsb:link, a.lfsb:visited {color: #e8e6e3;}
 a.lfsb:hover {color: #b5afa6;}
 table.tbl th.empty {background-color: #181a1b;}
 table.tbl th.desc {background: #181a1b;}
 table.tbl th.pxname {background-color: #8d0033; color: #ffff46;}
 table.tbl th, table.tbl td {border-color: #808080;}
 u {border-bottom: 1px dotted #e8e6e3;}
 div.tips {background: #8e8e0d; color: #e8e6e3; border-color: #4e2c86; box-shadow: #60686c 2px 2px 3px;}
}
-->
</style>";

const LEGEND: &str = "<table class=\"lgd\"><tr>
<td class=\"active_up\">&nbsp;</td><td class=\"noborder\">active UP </td><td class=\"backup_up\">&nbsp;</td><td class=\"noborder\">backup UP </td></tr><tr>
<td class=\"active_going_down\"></td><td class=\"noborder\">active UP, going down </td><td class=\"backup_going_down\"></td><td class=\"noborder\">backup UP, going down </td></tr><tr>
<td class=\"active_going_up\"></td><td class=\"noborder\">active DOWN, going up </td><td class=\"backup_going_up\"></td><td class=\"noborder\">backup DOWN, going up </td></tr><tr>
<td class=\"active_down\"></td><td class=\"noborder\">active or backup DOWN &nbsp;</td><td class=\"active_no_check\"></td><td class=\"noborder\">not checked </td></tr><tr>
<td class=\"maintain\"></td><td class=\"noborder\" colspan=\"3\">active or backup DOWN for maintenance (MAINT) &nbsp;</td></tr><tr>
<td class=\"active_draining\"></td><td class=\"noborder\" colspan=\"3\">active or backup SOFT STOPPED for maintenance &nbsp;</td></tr></table>
Note: \"NOLB\"/\"DRAIN\" = UP with load-balancing disabled.";

const ACTIONS: &str = "Choose the action to perform on the checked servers : <select name=action>\
<option value=\"\"></option><option value=\"ready\">Set state to READY</option>\
<option value=\"drain\">Set state to DRAIN</option><option value=\"maint\">Set state to MAINT</option>\
<option value=\"dhlth\">Health: disable checks</option><option value=\"ehlth\">Health: enable checks</option>\
<option value=\"hrunn\">Health: force UP</option><option value=\"hnolb\">Health: force NOLB</option>\
<option value=\"hdown\">Health: force DOWN</option><option value=\"dagent\">Agent: disable checks</option>\
<option value=\"eagent\">Agent: enable checks</option><option value=\"arunn\">Agent: force UP</option>\
<option value=\"adown\">Agent: force DOWN</option><option value=\"shutdown\">Kill Sessions</option></select>";

/// Document head, up to and including `</head>`.
fn head(info: &ProcessInfo) -> String {
    format!(
        "<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\"\n\"http://www.w3.org/TR/html4/loose.dtd\">\n\
<html><head><title>Statistics Report for {}</title>\n<link rel=\"icon\" href=\"data:,\">\n\
<meta http-equiv=\"content-type\" content=\"text/html; charset=iso-8859-1\">\n{STYLE}</head>\n",
        esc(&info.name)
    )
}

/// Scope suffix for links (`;scope=<txt>`).
fn scope_suffix(o: &HtmlOptions) -> String {
    match scope_text(o) {
        s if s.is_empty() => String::new(),
        s => format!(";scope={s}"),
    }
}

fn scope_text(o: &HtmlOptions) -> String {
    esc(&o
        .scope
        .as_deref()
        .unwrap_or("")
        .chars()
        .take(20)
        .collect::<String>())
}

/// Process block, legend, options and links.
fn info_block(info: &ProcessInfo, o: &HtmlOptions) -> String {
    let up = info.uptime.as_secs();
    let bps = info.bytes_out_rate.saturating_mul(8 * 1538) / 1448;
    let (rate, unit) = if bps >= 1_000_000_000 {
        (bps as f64 / 1e9, 'G')
    } else if bps >= 1_000_000 {
        (bps as f64 / 1e6, 'M')
    } else {
        (bps as f64 / 1e3, 'k')
    };
    let version = if o.hide_version {
        String::new()
    } else {
        format!(
            " version {}, released {}",
            esc(&info.version),
            esc(&info.release_date)
        )
    };
    let node = o
        .show_node
        .as_ref()
        .map(|n| format!(" on {}", esc(n)))
        .unwrap_or_default();
    let desc = o
        .show_desc
        .as_ref()
        .map(|d| format!(": {}", esc(d)))
        .unwrap_or_default();
    let memmax = if info.memmax_mb > 0 {
        format!("{} MB", info.memmax_mb)
    } else {
        "unlimited".into()
    };
    let mut s = format!(
        "<body><h1><a href=\"{url}\" style=\"text-decoration: none;\">{name}{version}</a></h1>\n\
<h2>Statistics Report for pid {pid}{node}{desc}</h2>\n<hr width=\"100%\" class=\"hr\">\n\
<h3>&gt; General process information</h3>\n\
<table border=0><tr><td align=\"left\" nowrap width=\"1%\">\n\
<p><b>pid = </b> {pid} (process #1, nbproc = 1, nbthread = {nbthread})<br>\n\
<b>uptime = </b> {d}d {h}h{m:02}m{sec:02}s<br>\n\
<b>system limits:</b> memmax = {memmax}; ulimit-n = {ulimit}<br>\n\
<b>maxsock = </b> {maxsock}; <b>maxconn = </b> {maxconn}; <b>maxpipes = </b> {maxpipes}<br>\n\
current conns = {cur}; current pipes = {pu}/{pt}; conn rate = {cr}/sec; bit rate = {rate:.3} {unit}bps<br>\n\
Running tasks: {rq}/{tasks}; idle = {idle} %<br>\n</td><td align=\"center\" nowrap>\n{LEGEND}</td>\
<td align=\"left\" valign=\"top\" nowrap width=\"1%\"><b>Display option:</b><ul style=\"margin-top: 0.25em;\">",
        url = esc(&o.links.url),
        name = esc(&info.name),
        pid = info.pid,
        nbthread = info.nbthread,
        d = up / 86400,
        h = (up % 86400) / 3600,
        m = (up % 3600) / 60,
        sec = up % 60,
        ulimit = info.ulimit_n,
        maxsock = info.maxsock,
        maxconn = info.maxconn,
        maxpipes = info.maxpipes,
        cur = info.curr_conns,
        pu = info.pipes_used,
        pt = info.pipes_used + info.pipes_free,
        cr = info.conn_rate,
        rq = info.run_queue,
        tasks = info.tasks,
        idle = info.idle_pct,
    );
    let p = esc(&o.uri_prefix);
    let scope = scope_suffix(o);
    let up_s = if o.hide_down { ";up" } else { "" };
    let norefresh = if o.no_refresh { ";norefresh" } else { "" };
    s.push_str(&format!(
        "<li><form method=\"GET\">Scope : <input value=\"{}\" name=\"scope\" size=\"8\" maxlength=\"20\" tabindex=\"1\"/></form>\n",
        scope_text(o)
    ));
    if o.hide_down {
        s.push_str(&format!(
            "<li><a href=\"{p}{norefresh}{scope}\">Show all servers</a><br>\n"
        ));
    } else {
        s.push_str(&format!(
            "<li><a href=\"{p};up{norefresh}{scope}\">Hide 'DOWN' servers</a><br>\n"
        ));
    }
    if o.refresh.is_some_and(|r| r > 0) {
        if o.no_refresh {
            s.push_str(&format!(
                "<li><a href=\"{p}{up_s}{scope}\">Enable refresh</a><br>\n"
            ));
        } else {
            s.push_str(&format!(
                "<li><a href=\"{p}{up_s};norefresh{scope}\">Disable refresh</a><br>\n"
            ));
        }
    }
    s.push_str(&format!(
        "<li><a href=\"{p}{up_s}{norefresh}{scope}\">Refresh now</a><br>\n"
    ));
    let export_nr = if o.refresh.is_some_and(|r| r > 0) {
        ";norefresh"
    } else {
        ""
    };
    s.push_str(&format!(
        "<li><a href=\"{p};csv{export_nr}{scope}\">CSV export</a><br>\n"
    ));
    s.push_str(&format!(
        "<li><a href=\"{p};json{export_nr}{scope}\">JSON export</a> (<a href=\"{p};json-schema\">schema</a>)<br>\n"
    ));
    let l = &o.links;
    s.push_str(&format!(
        "</ul></td><td align=\"left\" valign=\"top\" nowrap width=\"1%\"><b>External resources:</b><ul style=\"margin-top: 0.25em;\">\n\
<li><a href=\"{}\">Primary site</a><br>\n<li><a href=\"{}\">Updates (v{})</a><br>\n<li><a href=\"{}\">Online manual</a><br>\n\
</ul></td></tr></table>\n",
        esc(&l.url),
        esc(&l.updates_url),
        esc(&l.branch),
        esc(&l.doc_url)
    ));
    if let Some(st) = o.status {
        s.push_str(&banner(st, &format!("{p}{up_s}{norefresh}{scope}")));
    }
    s
}

fn banner(st: PostStatus, href: &str) -> String {
    let (class, text) = match st {
        PostStatus::Done => ("active_up", "Action processed successfully."),
        PostStatus::None => ("active_going_down", "Nothing has changed."),
        PostStatus::Partial => (
            "active_going_down",
            "Action partially processed.<br>Some server names are probably unknown or ambiguous (duplicated names in the backend).",
        ),
        PostStatus::InvalidParams => (
            "active_down",
            "Action not processed because of invalid parameters.<ul><li>The action is maybe unknown.</li>\
<li>Invalid key parameter (empty or too long).</li><li>The backend name is probably unknown or ambiguous (duplicated names).</li>\
<li>Some server names are probably unknown or ambiguous (duplicated names in the backend).</li></ul>",
        ),
        PostStatus::Excess => (
            "active_down",
            "<b>Action not processed : the buffer couldn't store all the data.<br>You should retry with less servers at a time.</b>",
        ),
        PostStatus::Denied => ("active_down", "<b>Action denied.</b>"),
        PostStatus::InvalidRequest => {
            ("active_down", "<b>Invalid requests (unsupported method or chunked encoded request).</b>")
        }
        PostStatus::Unknown => ("active_no_check", "Unexpected result."),
    };
    format!(
        "<p><div class={class}><a class=lfsb href=\"{href}\" title=\"Remove this message\">[X]</a> {text}</div>\n<p>\n"
    )
}

/// Table header of one proxy (its name table and the two title rows).
fn proxy_header(
    px: &ProxyStats,
    has_servers: bool,
    o: &HtmlOptions,
    mode: &str,
    cap: &str,
) -> String {
    let name = esc(&px.pxname);
    let form = o.admin && has_servers;
    let mut s = String::new();
    if form {
        s.push_str("<form method=\"post\">");
    }
    s.push_str(&format!(
        "<table class=\"tbl\" width=\"100%\">\n<tr class=\"titre\"><th class=\"pxname\" width=\"10%\"><a name=\"{name}\"></a>"
    ));
    if o.show_legends {
        s.push_str(&format!(
            "<u><a class=px href=\"#{name}\">{name}</a><div class=tips>cap: {cap}, mode: {mode}, id: {}</div></u>",
            px.iid
        ));
    } else {
        s.push_str(&format!("<a class=px href=\"#{name}\">{name}</a>"));
    }
    s.push_str("</th><th class=\"empty\" width=\"90%\"></th></tr>\n</table>\n<table class=\"tbl\" width=\"100%\">\n<tr class=\"titre\">");
    if o.admin {
        if form {
            s.push_str(&format!(
                "<th rowspan=2 width=1><input type=\"checkbox\" onclick=\"for(c in document.getElementsByClassName('{name}-checkbox')) document.getElementsByClassName('{name}-checkbox').item(c).checked = this.checked\"></th>"
            ));
        } else {
            s.push_str("<th rowspan=2></th>");
        }
    }
    s.push_str(
        "<th rowspan=2></th><th colspan=3>Queue</th><th colspan=3>Session rate</th><th colspan=6>Sessions</th>\
<th colspan=2>Bytes</th><th colspan=2>Denied</th><th colspan=3>Errors</th><th colspan=2>Warnings</th>\
<th colspan=9>Server</th></tr>\n<tr class=\"titre\"><th>Cur</th><th>Max</th><th>Limit</th><th>Cur</th><th>Max</th>\
<th>Limit</th><th>Cur</th><th>Max</th><th>Limit</th><th>Total</th><th>LbTot</th><th>Last</th><th>In</th><th>Out</th>\
<th>Req</th><th>Resp</th><th>Req</th><th>Conn</th><th>Resp</th><th>Retr</th><th>Redis</th><th>Status</th>\
<th>LastChk</th><th>Wght</th><th>Act</th><th>Bck</th><th>Chk</th><th>Dwn</th><th>Dwntme</th><th>Thrtle</th>\n</tr>",
    );
    s
}

fn proxy_footer(iid: u32, form: bool) -> String {
    let mut s = String::from("</table>");
    if form {
        s.push_str(ACTIONS);
        s.push_str(&format!(
            "<input type=\"hidden\" name=\"b\" value=\"#{iid}\">&nbsp;<input type=\"submit\" value=\"Apply\"></form>"
        ));
    }
    s.push_str("<p>\n");
    s
}

/// Renders the complete page.
pub fn render(info: &ProcessInfo, rows: &[ProxyStats], o: &HtmlOptions) -> String {
    let opts = StatOptions {
        hide_down: o.hide_down,
        hide_maint: o.hide_maint,
        show_legends: o.show_legends,
        scope: o.scope.clone(),
        ..StatOptions::default()
    };
    let selected = select(rows, &opts);
    let mut out = head(info);
    out.push_str(&info_block(info, o));
    let ctx = RowCtx {
        admin: o.admin,
        legends: o.show_legends,
    };
    let mut i = 0;
    while i < selected.len() {
        let iid = selected[i].row.iid;
        let end = selected[i..]
            .iter()
            .position(|s| s.row.iid != iid)
            .map_or(selected.len(), |n| i + n);
        let group = &selected[i..end];
        let all: Vec<&ProxyStats> = rows.iter().filter(|r| r.iid == iid).collect();
        let has_fe = all.iter().any(|r| r.kind == ObjType::Frontend);
        let has_be = all.iter().any(|r| r.kind == ObjType::Backend);
        let has_servers = all.iter().any(|r| r.kind == ObjType::Server);
        let cap = match (has_fe, has_be) {
            (true, true) => "proxy",
            (true, false) => "frontend",
            _ => "backend",
        };
        let first = group[0].row;
        out.push_str(&proxy_header(
            first,
            has_servers,
            o,
            first.mode.as_str(),
            cap,
        ));
        for sel in group {
            out.push_str(&row(
                &Row {
                    r: sel.row,
                    f: &sel.fields,
                },
                &ctx,
            ));
        }
        out.push_str(&proxy_footer(iid, o.admin && has_servers));
        i = end;
    }
    out.push_str("</body></html>\n");
    out
}

#[cfg(test)]
mod tests;
