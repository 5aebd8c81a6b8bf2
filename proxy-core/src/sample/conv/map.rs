//! The map converters: `map_<kind>[_<out>](<file>[,<default>])`, as
//! HAProxy 2.6 lists them: `map` (= `map_str`), `map_beg`, `map_sub`,
//! `map_dir`, `map_dom`, `map_end`, `map_reg`, `map_int`, `map_ip`, each
//! giving a string, and the `_int` and `_ip` forms of all but `map`
//! (`map_str_int`, `map_beg_ip`...). There is no `map_<kind>_str`.
//!
//! The input is cast to what the match kind compares: an integer for
//! `map_int*`, an address for `map_ip*`, a string otherwise. The file is
//! resolved by [`ArgKind::Map`] and compiled for the output type by the
//! converter's check (a value that does not parse fails the configuration:
//! `unable to parse 'x' at line 2 of file 'f.map'`). Without a match the
//! default is returned, or nothing when there is none. `map_regm` is not
//! supported.

use super::{ConvDef, Env};
use crate::sample::args::{Arg, ArgKind};
use crate::sample::pattern::parse::parse_ip_value;
use crate::sample::pattern::{MatchKind, Out};
use crate::sample::value::{SmpType, Value};

const fn conv(
    name: &'static str,
    args: &'static [ArgKind],
    input: SmpType,
    output: SmpType,
) -> ConvDef {
    let (run, check): (super::ConvFn, super::ConvCheck) = match output {
        SmpType::Int => (run_int, check_int),
        SmpType::Addr => (run_ip, check_ip),
        _ => (run_str, check_str),
    };
    ConvDef {
        name,
        args,
        min_args: 1,
        input,
        output,
        run,
        check: Some(check),
    }
}

/// The table: `map`, then for each kind its `_str`-less, `_int` and
/// `_ip` forms.
macro_rules! table {
    ($(($kind:ident, $input:ident, $s:literal, $i:literal, $a:literal)),* $(,)?) => {
        &[
            conv("map", &[ArgKind::Map(MatchKind::Str), ArgKind::Str], SmpType::Str, SmpType::Str),
            $(
                conv($s, &[ArgKind::Map(MatchKind::$kind), ArgKind::Str], SmpType::$input, SmpType::Str),
                conv($i, &[ArgKind::Map(MatchKind::$kind), ArgKind::Int], SmpType::$input, SmpType::Int),
                conv($a, &[ArgKind::Map(MatchKind::$kind), ArgKind::Str], SmpType::$input, SmpType::Addr),
            )*
        ]
    };
}

pub const CONVS: &[ConvDef] = table![
    (Str, Str, "map_str", "map_str_int", "map_str_ip"),
    (Beg, Str, "map_beg", "map_beg_int", "map_beg_ip"),
    (Sub, Str, "map_sub", "map_sub_int", "map_sub_ip"),
    (Dir, Str, "map_dir", "map_dir_int", "map_dir_ip"),
    (Dom, Str, "map_dom", "map_dom_int", "map_dom_ip"),
    (End, Str, "map_end", "map_end_int", "map_end_ip"),
    (Reg, Str, "map_reg", "map_reg_int", "map_reg_ip"),
    (Int, Int, "map_int", "map_int_int", "map_int_ip"),
    (Ip, Addr, "map_ip", "map_ip_int", "map_ip_ip"),
];

fn bind(args: &[Arg], out: Out) -> Result<(), String> {
    match args.first() {
        Some(Arg::Map(e)) => e.bind(Some(out)),
        _ => Err("map: missing map file argument".into()),
    }
}

fn check_str(args: &[Arg]) -> Result<(), String> {
    bind(args, Out::Str)
}

fn check_int(args: &[Arg]) -> Result<(), String> {
    bind(args, Out::Int)
}

/// Also checks the default: `map: cannot parse default ip <x>.`
fn check_ip(args: &[Arg]) -> Result<(), String> {
    bind(args, Out::Ip)?;
    match args.get(1) {
        Some(Arg::Str(s)) => {
            let text = String::from_utf8_lossy(s);
            match parse_ip_value(&text) {
                Some(_) => Ok(()),
                None => Err(format!("map: cannot parse default ip <{text}>.")),
            }
        }
        _ => Ok(()),
    }
}

fn lookup(args: &[Arg], v: &Value<'_>) -> Option<Value<'static>> {
    match args.first() {
        Some(Arg::Map(e)) => e.map_value(v),
        _ => None,
    }
}

fn run_str<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    lookup(args, &v).or_else(|| match args.get(1) {
        Some(Arg::Str(s)) => Some(Value::owned_str(s.to_vec())),
        _ => None,
    })
}

fn run_int<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    lookup(args, &v).or_else(|| match args.get(1) {
        Some(Arg::Int(n)) => Some(Value::Int(*n)),
        _ => None,
    })
}

fn run_ip<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    lookup(args, &v).or_else(|| match args.get(1) {
        Some(Arg::Str(s)) => parse_ip_value(std::str::from_utf8(s).ok()?),
        _ => None,
    })
}
