//! Text converters: case, length, fields and words, regsub, json...

use std::borrow::Cow;

use super::{def, ConvDef, Env};
use crate::sample::args::Arg;
use crate::sample::value::{SmpType, Value};

pub const CONVS: &[ConvDef] = &[
    def("lower", &[], 0, SmpType::Str, SmpType::Str, lower),
    def("upper", &[], 0, SmpType::Str, SmpType::Str, upper),
    def("length", &[], 0, SmpType::Str, SmpType::Int, length),
];

/// The text of a value the engine already cast to `str`.
fn text<'v, 'a>(v: &'v Value<'a>) -> &'v [u8] {
    v.bytes().unwrap_or_default()
}

fn map_bytes<'a>(v: Value<'a>, f: impl Fn(&mut [u8])) -> Option<Value<'a>> {
    match v {
        Value::Str(s) => {
            let mut owned = s.into_owned();
            f(&mut owned);
            Some(Value::Str(Cow::Owned(owned)))
        }
        _ => None,
    }
}

fn lower<'a>(_: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    map_bytes(v, |b| b.make_ascii_lowercase())
}

fn upper<'a>(_: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    map_bytes(v, |b| b.make_ascii_uppercase())
}

fn length<'a>(_: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    Some(Value::Int(text(&v).len() as i64))
}
