//! Turns a [`ProxyStats`] row into HAProxy's field vector: one optional
//! typed value per field of [`STAT_FIELDS`], `None` where 2.6 prints an
//! empty CSV cell (and omits the line in typed/JSON output).
//!
//! This is where the per-row-type rules live: which columns exist for
//! frontends (F), listeners (L), backends (B) and servers (S), which ones
//! depend on HTTP mode, on an enabled health/agent check, on `observe`, or
//! on "show legends" (CLI level operator/admin, `stats show-legends`).

use crate::fields::{Field, Ty, Value, STATIC_FIELD_COUNT, STAT_FIELDS, STAT_FIELD_COUNT};
use crate::health::ServerHealth;
use crate::model::{ObjType, ProxyMode, ProxyStats};

/// Rendering context of one row.
#[derive(Debug, Clone, Copy, Default)]
pub struct FillCtx {
    /// Fill `addr`, `cookie` and `algo`.
    pub show_legends: bool,
    /// Backend rows: number of servers of the backend and how many are not
    /// DOWN (`Stopped`). Used for `downtime` (only with servers), the status
    /// (`UP` without servers) and the ` (up/total)` suffix.
    pub servers: (usize, usize),
    /// Append ` (up/total)` to the backend status (`up` / `no-maint`).
    pub status_counts: bool,
}

/// Counts `(total, up)` servers of backend `iid` among `rows`.
pub fn backend_server_counts(rows: &[ProxyStats], iid: u32) -> (usize, usize) {
    let mut total = 0;
    let mut up = 0;
    for r in rows
        .iter()
        .filter(|r| r.kind == ObjType::Server && r.iid == iid)
    {
        total += 1;
        let stopped = r
            .server
            .as_ref()
            .is_some_and(|h| h.op_state == crate::health::OpState::Stopped);
        if !stopped {
            up += 1;
        }
    }
    (total, up)
}

struct Out {
    kind: ObjType,
    v: Vec<Option<Field>>,
}

impl Out {
    fn put(&mut self, pos: usize, value: Value) {
        let mut tags = STAT_FIELDS[pos].tags;
        // The only fields whose tags depend on the row type.
        tags = match (pos, self.kind) {
            (19 | 20, ObjType::Server) => "SGP",
            (19 | 20, _) => "MGP",
            (33 | 35, ObjType::Backend) => "MGP",
            _ => tags,
        };
        self.v[pos] = Some(Field::new(tags, value));
    }

    fn num(&mut self, pos: usize, n: u64) {
        let value = match STAT_FIELDS[pos].ty {
            // HAProxy stores these in 32 bits; keep its truncation.
            Ty::U32 => Value::U32(n as u32),
            Ty::S32 => Value::S32(n as i32),
            _ => Value::U64(n),
        };
        self.put(pos, value);
    }

    fn text(&mut self, pos: usize, s: &str) {
        self.put(pos, Value::Str(s.to_string()));
    }
}

/// Fills the 127 fields of `row`.
pub fn fill(row: &ProxyStats, ctx: &FillCtx) -> Vec<Option<Field>> {
    let mut o = Out {
        kind: row.kind,
        v: vec![None; STAT_FIELD_COUNT],
    };
    let http = row.mode == ProxyMode::Http;
    o.text(0, &row.pxname);
    o.text(1, row.display_svname());
    o.num(4, row.scur);
    o.num(5, row.smax);
    o.num(7, row.stot);
    o.num(8, row.bin);
    o.num(9, row.bout);
    o.num(11, row.dresp);
    o.num(26, 1);
    o.num(27, u64::from(row.iid));
    o.num(28, u64::from(row.sid));
    o.num(32, u64::from(row.kind.code()));
    o.num(83, row.wrew);
    o.num(94, row.eint);
    o.text(75, row.mode.as_str());
    match row.kind {
        ObjType::Frontend => fill_frontend(&mut o, row, http),
        ObjType::Listener => fill_listener(&mut o, row, ctx),
        ObjType::Backend => fill_backend(&mut o, row, ctx, http),
        ObjType::Server => fill_server(&mut o, row, ctx, http),
    }
    fill_modules(&mut o, row);
    o.v
}

fn fill_frontend(o: &mut Out, r: &ProxyStats, http: bool) {
    o.num(6, r.slim.unwrap_or(0));
    o.num(10, r.dreq);
    o.num(12, r.ereq);
    o.text(17, if r.stopped { "STOP" } else { "OPEN" });
    o.num(33, r.rate);
    o.num(34, r.rate_lim);
    o.num(35, r.rate_max);
    if http {
        for (i, v) in r.hrsp.iter().enumerate() {
            o.num(39 + i, *v);
        }
        o.num(80, r.intercepted);
        o.num(86, r.cache_lookups);
        o.num(87, r.cache_hits);
    }
    o.num(46, r.req_rate);
    o.num(47, r.req_rate_max);
    o.num(48, r.req_tot);
    o.num(51, r.comp_in);
    o.num(52, r.comp_out);
    o.num(53, r.comp_byp);
    o.num(54, r.comp_rsp);
    o.num(77, r.conn_rate);
    o.num(78, r.conn_rate_max);
    o.num(79, r.conn_tot);
    o.num(81, r.dcon);
    o.num(82, r.dses);
}

fn fill_listener(o: &mut Out, r: &ProxyStats, ctx: &FillCtx) {
    o.num(6, r.slim.unwrap_or(0));
    o.num(10, r.dreq);
    o.num(12, r.ereq);
    o.text(17, r.listener_status.as_str());
    o.num(81, r.dcon);
    o.num(82, r.dses);
    if ctx.show_legends {
        if let Some(a) = &r.addr {
            o.text(73, a);
        }
    }
}

/// Columns common to backends and servers.
fn fill_be_srv(o: &mut Out, r: &ProxyStats, http: bool) {
    o.num(2, r.qcur);
    o.num(3, r.qmax);
    for (pos, v) in [(13, r.econ), (14, r.eresp), (15, r.wretr), (16, r.wredis)] {
        o.num(pos, v);
    }
    o.num(18, r.weight);
    o.num(23, r.lastchg);
    o.num(30, r.lbtot);
    o.num(33, r.rate);
    o.num(35, r.rate_max);
    if http {
        for (i, v) in r.hrsp.iter().enumerate() {
            o.num(39 + i, *v);
        }
        o.num(48, r.req_tot);
    }
    o.num(49, r.cli_abrt);
    o.num(50, r.srv_abrt);
    o.put(55, Value::S32(r.lastsess as i32));
    for (pos, v) in [(58, r.qtime), (59, r.ctime), (60, r.rtime), (61, r.ttime)] {
        o.num(pos, v);
    }
    o.num(84, r.connect);
    o.num(85, r.reuse);
    for (pos, v) in [
        (90, r.qtime_max),
        (91, r.ctime_max),
        (92, r.rtime_max),
        (93, r.ttime_max),
    ] {
        o.num(pos, v);
    }
    o.num(99, r.uweight);
}

fn fill_backend(o: &mut Out, r: &ProxyStats, ctx: &FillCtx, http: bool) {
    fill_be_srv(o, r, http);
    let (total, up) = ctx.servers;
    o.num(6, r.slim.unwrap_or(0));
    o.num(10, r.dreq);
    let mut status = if r.weight > 0 || total == 0 {
        "UP"
    } else {
        "DOWN"
    }
    .to_string();
    if ctx.status_counts {
        status.push_str(&format!(" ({up}/{total})"));
    }
    o.text(17, &status);
    o.num(19, r.act);
    o.num(20, r.bck);
    o.num(22, r.chkdown);
    if total > 0 {
        o.num(24, r.downtime);
    }
    o.num(51, r.comp_in);
    o.num(52, r.comp_out);
    o.num(53, r.comp_byp);
    o.num(54, r.comp_rsp);
    if http {
        o.num(86, r.cache_lookups);
        o.num(87, r.cache_hits);
    }
    if ctx.show_legends {
        if let Some(c) = &r.cookie {
            o.text(74, c);
        }
        if let Some(a) = &r.algo {
            o.text(76, a);
        }
    }
    // Aggregated server states are only meaningful in Prometheus output.
    for pos in 100..STATIC_FIELD_COUNT {
        o.num(pos, 0);
    }
}

fn fill_server(o: &mut Out, r: &ProxyStats, ctx: &FillCtx, http: bool) {
    fill_be_srv(o, r, http);
    let default = ServerHealth::default();
    let h = r.server.as_ref().unwrap_or(&default);
    if let Some(l) = r.slim {
        o.num(6, l);
    }
    o.text(17, &h.status());
    o.num(19, u64::from(!h.backup));
    o.num(20, u64::from(h.backup));
    let own_check = h.check.as_ref().filter(|c| c.enabled);
    if own_check.is_some() {
        o.num(21, r.chkfail);
        o.num(22, r.chkdown);
        o.num(24, r.downtime);
    }
    if let Some(q) = r.qlimit {
        o.num(25, q);
    }
    if let Some(t) = r.throttle {
        o.num(29, t);
    }
    if let Some(t) = &h.track {
        o.text(31, &t.name);
    }
    if h.ref_observe() {
        o.num(45, r.hanafail);
    }
    if let Some(c) = h.check.as_ref().filter(|c| c.active()) {
        let status = if c.in_progress { "* " } else { "" };
        o.text(36, &format!("{status}{}", c.status.info()));
        if c.status.has_code() {
            o.num(37, u64::from(c.code));
        }
        if c.status.is_finished() {
            o.num(38, c.duration_ms);
        }
        o.text(65, c.status.description());
        o.text(56, &c.desc);
        // rise/fall/health come from the reference (tracked) server.
        let rc = h.ref_check().unwrap_or(c);
        o.num(67, u64::from(rc.rise));
        o.num(68, u64::from(rc.fall));
        o.num(69, u64::from(rc.health));
    }
    if let Some(a) = h.agent.as_ref().filter(|a| a.active()) {
        let status = if a.in_progress { "* " } else { "" };
        o.text(62, &format!("{status}{}", a.status.info()));
        if a.status.has_code() {
            o.num(63, u64::from(a.code));
        }
        o.num(64, a.duration_ms);
        o.text(66, a.status.description());
        o.text(57, &a.desc);
        o.num(70, u64::from(a.rise));
        o.num(71, u64::from(a.fall));
        o.num(72, u64::from(a.health));
    }
    if ctx.show_legends {
        if let Some(a) = &r.addr {
            o.text(73, a);
        }
        if let Some(c) = &r.cookie {
            o.text(74, c);
        }
    }
    o.num(88, r.srv_icur);
    if let Some(l) = r.srv_ilim {
        o.num(89, l);
    }
    for (pos, v) in [
        (95, r.idle_conn_cur),
        (96, r.safe_conn_cur),
        (97, r.used_conn_cur),
        (98, r.need_conn_est),
    ] {
        o.num(pos, v);
    }
}

fn fill_modules(o: &mut Out, r: &ProxyStats) {
    let base = STATIC_FIELD_COUNT;
    for (i, v) in r.modules.ssl.iter().enumerate() {
        o.num(base + i, *v);
    }
    if matches!(r.kind, ObjType::Frontend | ObjType::Backend) {
        for (i, v) in r.modules.h2.iter().chain(r.modules.h1.iter()).enumerate() {
            o.num(base + 3 + i, *v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frontend_tcp_has_no_http_columns() {
        let row = ProxyStats::new(ObjType::Frontend, "fe", "", 2, 0);
        let v = fill(&row, &FillCtx::default());
        assert!(v[39].is_none() && v[2].is_none() && v[6].is_some());
        assert_eq!(
            v[17].as_ref().map(|f| f.value.to_text()),
            Some("OPEN".to_string())
        );
        assert_eq!(v[48].as_ref().map(|f| f.tag_str()), Some("MCP".to_string()));
    }

    #[test]
    fn backend_tags_and_counts() {
        let row = ProxyStats::new(ObjType::Backend, "be", "", 3, 0);
        let ctx = FillCtx {
            servers: (2, 1),
            status_counts: true,
            ..FillCtx::default()
        };
        let v = fill(&row, &ctx);
        assert_eq!(
            v[17].as_ref().map(|f| f.value.to_text()),
            Some("DOWN (1/2)".into())
        );
        assert_eq!(v[33].as_ref().map(|f| f.tag_str()), Some("MGP".into()));
        assert_eq!(v[19].as_ref().map(|f| f.tag_str()), Some("MGP".into()));
    }
}
