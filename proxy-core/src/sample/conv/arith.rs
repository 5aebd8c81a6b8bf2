//! Integer converters: arithmetic (`add`, `sub`, `mul`, `div`, `mod`,
//! `neg`, `abs`), bits (`and`, `or`, `xor`, `not`, `bool`).
//!
//! The `<value>` argument is an integer or the name of a variable holding
//! one (read at run time through [`Env`]).

use super::{def, ConvDef, Env};
use crate::sample::args::{Arg, ArgKind};
use crate::sample::value::{SmpType, Value};

pub const CONVS: &[ConvDef] = &[def(
    "add",
    &[ArgKind::IntOrVar],
    1,
    SmpType::Int,
    SmpType::Int,
    add,
)];

/// The integer an `IntOrVar` argument stands for now.
pub(super) fn operand(arg: &Arg, env: &dyn Env) -> Option<i64> {
    match arg {
        Arg::Int(n) => Some(*n),
        Arg::Var(name) => env.vars()?.get(name)?.to_int(),
        _ => None,
    }
}

fn add<'a>(args: &[Arg], v: Value<'a>, env: &dyn Env) -> Option<Value<'a>> {
    let Value::Int(n) = v else { return None };
    let k = operand(args.first()?, env)?;
    Some(Value::Int(n.saturating_add(k)))
}
