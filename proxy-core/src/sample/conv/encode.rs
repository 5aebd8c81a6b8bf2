//! (converters of this family: being written)

use super::ConvDef;

pub const CONVS: &[ConvDef] = &[];
