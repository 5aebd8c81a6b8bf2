//! Converters that reach into the stream through [`Env`]: variables
//! (`set-var`, `unset-var`), stick tables (`in_table`, `table_<data>`)
//! and `debug`.
//!
//! `table_<data>(<table>)` looks the input up as a key of the table and
//! gives the entry's stored value: 0 when the key is not in the table, no
//! value when the table does not store that data type (HAProxy 2.6).
//! The array forms take the element first: `table_gpc(<idx>,<table>)`.

use super::{def, ConvDef, Env};
use crate::sample::args::{Arg, ArgKind};
use crate::sample::value::{SmpType, Value};
use crate::sample::vars::SetCond;

const T: &[ArgKind] = &[ArgKind::Table];
const IT: &[ArgKind] = &[ArgKind::Int, ArgKind::Table];
/// `(<table>[,<default>])`.
const TD: &[ArgKind] = &[ArgKind::Table, ArgKind::Int];

/// `table_<field>(<table>)` (or `(<idx>,<table>)` for the array forms).
macro_rules! table_conv {
    ($field:literal) => {
        def(
            concat!("table_", $field),
            T,
            1,
            SmpType::Any,
            SmpType::Int,
            {
                fn run<'a>(a: &[Arg], v: Value<'a>, env: &dyn Env) -> Option<Value<'a>> {
                    table_read(a, None, v, env, $field)
                }
                run
            },
        )
    };
    ($field:literal, idx) => {
        def(
            concat!("table_", $field),
            IT,
            2,
            SmpType::Any,
            SmpType::Int,
            {
                fn run<'a>(a: &[Arg], v: Value<'a>, env: &dyn Env) -> Option<Value<'a>> {
                    let idx = u32::try_from(a.first()?.int()?).ok()?;
                    table_read(&a[1..], Some(idx), v, env, $field)
                }
                run
            },
        )
    };
}

pub const CONVS: &[ConvDef] = &[
    def("in_table", T, 1, SmpType::Any, SmpType::Bool, in_table),
    table_conv!("bytes_in_rate"),
    table_conv!("bytes_out_rate"),
    table_conv!("conn_cnt"),
    table_conv!("conn_cur"),
    table_conv!("conn_rate"),
    def(
        "table_expire",
        TD,
        1,
        SmpType::Any,
        SmpType::Int,
        table_expire,
    ),
    table_conv!("gpc", idx),
    table_conv!("gpc0"),
    table_conv!("gpc0_rate"),
    table_conv!("gpc1"),
    table_conv!("gpc1_rate"),
    table_conv!("gpc_rate", idx),
    table_conv!("gpt", idx),
    table_conv!("gpt0"),
    table_conv!("http_err_cnt"),
    table_conv!("http_err_rate"),
    table_conv!("http_fail_cnt"),
    table_conv!("http_fail_rate"),
    table_conv!("http_req_cnt"),
    table_conv!("http_req_rate"),
    def("table_idle", TD, 1, SmpType::Any, SmpType::Int, table_idle),
    table_conv!("kbytes_in"),
    table_conv!("kbytes_out"),
    table_conv!("server_id"),
    table_conv!("sess_cnt"),
    table_conv!("sess_rate"),
    table_conv!("trackers"),
    ConvDef {
        check: Some(check_set_var),
        ..def(
            "set-var",
            &[
                ArgKind::Var,
                ArgKind::Str,
                ArgKind::Str,
                ArgKind::Str,
                ArgKind::Str,
            ],
            1,
            SmpType::Any,
            SmpType::Any,
            set_var,
        )
    },
    def(
        "unset-var",
        &[ArgKind::Var],
        1,
        SmpType::Any,
        SmpType::Any,
        unset_var,
    ),
    def(
        "debug",
        &[ArgKind::Str, ArgKind::Str],
        0,
        SmpType::Any,
        SmpType::Any,
        debug,
    ),
];

fn table_name(a: &[Arg]) -> Option<&str> {
    match a.first()? {
        Arg::Table(t) => Some(t),
        _ => None,
    }
}

fn table_read<'a>(
    a: &[Arg],
    idx: Option<u32>,
    v: Value<'a>,
    env: &dyn Env,
    field: &str,
) -> Option<Value<'a>> {
    env.table(table_name(a)?, &v, field, idx)
}

/// `table_expire(<table>[,<default>])`: the entry's remaining lifetime in
/// ms; without an entry the default, else no value.
fn table_expire<'a>(a: &[Arg], v: Value<'a>, env: &dyn Env) -> Option<Value<'a>> {
    with_default(a, env.table(table_name(a)?, &v, "expire", None))
}

/// `table_idle(<table>[,<default>])`: ms since the entry was last touched.
fn table_idle<'a>(a: &[Arg], v: Value<'a>, env: &dyn Env) -> Option<Value<'a>> {
    with_default(a, env.table(table_name(a)?, &v, "idle", None))
}

fn with_default<'a>(a: &[Arg], found: Option<Value<'static>>) -> Option<Value<'a>> {
    found.or_else(|| a.get(1)?.int().map(Value::Int))
}

fn in_table<'a>(a: &[Arg], v: Value<'a>, env: &dyn Env) -> Option<Value<'a>> {
    Some(
        env.table(table_name(a)?, &v, "", None)
            .unwrap_or(Value::Bool(false)),
    )
}

/// The conditions after the variable name.
fn conditions(a: &[Arg]) -> Option<SetCond> {
    let mut c = SetCond::default();
    for w in a.iter().skip(1) {
        if let Arg::Str(s) = w {
            if !c.add(std::str::from_utf8(s).ok()?) {
                return None;
            }
        }
    }
    Some(c)
}

fn check_set_var(a: &[Arg]) -> Result<(), String> {
    for w in a.iter().skip(1) {
        if let Arg::Str(s) = w {
            let w = String::from_utf8_lossy(s);
            if !SetCond::default().add(&w) {
                return Err(format!("unknown condition '{w}'"));
            }
        }
    }
    Ok(())
}

fn set_var<'a>(a: &[Arg], v: Value<'a>, env: &dyn Env) -> Option<Value<'a>> {
    if let (Some(Arg::Var(name)), Some(vars), Some(cond)) = (a.first(), env.vars(), conditions(a)) {
        vars.set(name, v.reborrow(), cond);
    }
    Some(v)
}

fn unset_var<'a>(a: &[Arg], v: Value<'a>, env: &dyn Env) -> Option<Value<'a>> {
    if let (Some(Arg::Var(name)), Some(vars)) = (a.first(), env.vars()) {
        vars.unset(name);
    }
    Some(v)
}

/// `debug([<prefix>[,<buffer>]])`: logs the type and value, passes the
/// sample on unchanged.
fn debug<'a>(a: &[Arg], v: Value<'a>, env: &dyn Env) -> Option<Value<'a>> {
    let prefix = a
        .first()
        .and_then(Arg::str)
        .map_or(String::new(), |p| String::from_utf8_lossy(p).into_owned());
    let mut text = Vec::new();
    v.write_text(&mut text);
    env.debug(&format!(
        "[debug] {prefix}: type={} <{}>",
        v.smp_type().name(),
        String::from_utf8_lossy(&text)
    ));
    Some(v)
}
