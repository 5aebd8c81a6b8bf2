//! Integer converters: arithmetic (`add`, `sub`, `mul`, `div`, `mod`,
//! `neg`), bits (`and`, `or`, `xor`, `cpl`) and tests (`bool`, `not`,
//! `odd`, `even`).
//!
//! The `<value>` argument is an integer or the name of a variable holding
//! one (read at run time through [`Env`]; a variable that is not set makes
//! the sample absent, one that does not cast to an integer too).
//!
//! HAProxy 2.6 never wraps: sums, differences, products and `neg`
//! saturate at the bounds of a signed 64-bit integer; `div` by 0 gives the
//! largest integer whatever the sign of the dividend, `mod` by 0 gives 0.

use super::{def, ConvDef, ConvFn, Env};
use crate::sample::args::{Arg, ArgKind};
use crate::sample::value::{SmpType, Value};

const VALUE: &[ArgKind] = &[ArgKind::IntOrVar];

const fn binary(name: &'static str, run: ConvFn) -> ConvDef {
    def(name, VALUE, 1, SmpType::Int, SmpType::Int, run)
}

const fn unary(name: &'static str, output: SmpType, run: ConvFn) -> ConvDef {
    def(name, &[], 0, SmpType::Int, output, run)
}

pub const CONVS: &[ConvDef] = &[
    binary("add", add),
    binary("sub", sub),
    binary("mul", mul),
    binary("div", div),
    binary("mod", modulo),
    binary("and", and),
    binary("or", or),
    binary("xor", xor),
    unary("neg", SmpType::Int, neg),
    unary("cpl", SmpType::Int, cpl),
    unary("bool", SmpType::Bool, to_bool),
    unary("not", SmpType::Bool, not),
    unary("odd", SmpType::Bool, odd),
    unary("even", SmpType::Bool, even),
];

/// The integer an `IntOrVar` argument stands for now.
pub(super) fn operand(arg: &Arg, env: &dyn Env) -> Option<i64> {
    match arg {
        Arg::Int(n) => Some(*n),
        Arg::Var(name) => env.vars()?.get(name)?.to_int(),
        _ => None,
    }
}

/// Applies `op` to the input and the operand.
fn with_operand<'a>(
    args: &[Arg],
    v: Value<'a>,
    env: &dyn Env,
    op: fn(i64, i64) -> i64,
) -> Option<Value<'a>> {
    let Value::Int(n) = v else { return None };
    let k = operand(args.first()?, env)?;
    Some(Value::Int(op(n, k)))
}

fn add<'a>(args: &[Arg], v: Value<'a>, env: &dyn Env) -> Option<Value<'a>> {
    with_operand(args, v, env, i64::saturating_add)
}

fn sub<'a>(args: &[Arg], v: Value<'a>, env: &dyn Env) -> Option<Value<'a>> {
    with_operand(args, v, env, i64::saturating_sub)
}

fn mul<'a>(args: &[Arg], v: Value<'a>, env: &dyn Env) -> Option<Value<'a>> {
    with_operand(args, v, env, i64::saturating_mul)
}

fn div<'a>(args: &[Arg], v: Value<'a>, env: &dyn Env) -> Option<Value<'a>> {
    with_operand(args, v, env, |n, k| {
        if k == 0 {
            i64::MAX
        } else {
            n.saturating_div(k)
        }
    })
}

fn modulo<'a>(args: &[Arg], v: Value<'a>, env: &dyn Env) -> Option<Value<'a>> {
    // `checked_rem` is `None` for a 0 divisor and for MIN % -1, whose
    // remainder is 0 anyway.
    with_operand(args, v, env, |n, k| n.checked_rem(k).unwrap_or(0))
}

fn and<'a>(args: &[Arg], v: Value<'a>, env: &dyn Env) -> Option<Value<'a>> {
    with_operand(args, v, env, |n, k| n & k)
}

fn or<'a>(args: &[Arg], v: Value<'a>, env: &dyn Env) -> Option<Value<'a>> {
    with_operand(args, v, env, |n, k| n | k)
}

fn xor<'a>(args: &[Arg], v: Value<'a>, env: &dyn Env) -> Option<Value<'a>> {
    with_operand(args, v, env, |n, k| n ^ k)
}

fn int(v: &Value<'_>) -> Option<i64> {
    match v {
        Value::Int(n) => Some(*n),
        _ => None,
    }
}

fn neg<'a>(_: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    Some(Value::Int(int(&v)?.saturating_neg()))
}

fn cpl<'a>(_: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    Some(Value::Int(!int(&v)?))
}

fn to_bool<'a>(_: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    Some(Value::Bool(int(&v)? != 0))
}

fn not<'a>(_: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    Some(Value::Bool(int(&v)? == 0))
}

fn odd<'a>(_: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    Some(Value::Bool(int(&v)? & 1 == 1))
}

fn even<'a>(_: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    Some(Value::Bool(int(&v)? & 1 == 0))
}
