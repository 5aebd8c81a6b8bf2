//! Hashes of the binary form of the sample: 32-bit ones for load
//! balancing and statistics (`crc32`, `crc32c`, `djb2`, `sdbm`, `wt6`,
//! optionally followed by a full-avalanche mix), seeded XXHash (`xxh32`,
//! `xxh64`, `xxh3`) and digests (`sha1`, `sha2`).

use sha2::Digest;

use super::{def, ConvDef, Env};
use crate::sample::args::{Arg, ArgKind};
use crate::sample::value::{SmpType, Value};

const OPT_INT: &[ArgKind] = &[ArgKind::Int];

const fn hash(name: &'static str, run: super::ConvFn) -> ConvDef {
    def(name, OPT_INT, 0, SmpType::Bin, SmpType::Int, run)
}

pub const CONVS: &[ConvDef] = &[
    hash("crc32", crc32),
    hash("crc32c", crc32c),
    hash("djb2", djb2),
    hash("sdbm", sdbm),
    hash("wt6", wt6),
    hash("xxh32", xxh32),
    hash("xxh64", xxh64),
    hash("xxh3", xxh3),
    def("sha1", &[], 0, SmpType::Bin, SmpType::Bin, sha1),
    ConvDef {
        check: Some(check_sha2),
        ..def("sha2", OPT_INT, 0, SmpType::Bin, SmpType::Bin, sha2)
    },
];

/// Bob Jenkins' full-avalanche integer mix as HAProxy applies it (the
/// `hash-type ... avalanche` one), then a multiplication by 3221225473.
pub fn full_hash(a: u32) -> u32 {
    let mut a = a;
    a = a.wrapping_add(0x7ed5_5d16).wrapping_add(a << 12);
    a = (a ^ 0xc761_c23c) ^ (a >> 19);
    a = a.wrapping_add(0x1656_67b1).wrapping_add(a << 5);
    a = a.wrapping_add(0xd3a2_646c) ^ (a << 9);
    a = a.wrapping_add(0xfd70_46c5).wrapping_add(a << 3);
    a = (a ^ 0xb55a_4f09) ^ (a >> 16);
    a.wrapping_mul(3_221_225_473)
}

/// DJB2: `h * 33 + c` from 5381.
pub fn djb2_hash(s: &[u8]) -> u32 {
    s.iter().fold(5381u32, |h, &c| {
        h.wrapping_mul(33).wrapping_add(u32::from(c))
    })
}

/// SDBM: `c + h * 65599` from 0.
pub fn sdbm_hash(s: &[u8]) -> u32 {
    s.iter().fold(0u32, |h, &c| {
        u32::from(c)
            .wrapping_add(h << 6)
            .wrapping_add(h << 16)
            .wrapping_sub(h)
    })
}

/// Willy Tarreau's WT6: two 32-bit halves complemented, added to and
/// rotated by amounts that depend on the data.
pub fn wt6_hash(s: &[u8]) -> u32 {
    let (mut h0, mut h1): (u32, u32) = (0xa53c_965a, 0x5ca6_953a);
    let (mut r0, mut r1): (u32, u32) = (6, 18);
    for &c in s {
        let c = u32::from(c);
        h0 = !(h0 ^ c);
        h1 = !(h1.wrapping_add(c));
        let t = h1.rotate_left(r0);
        h1 = h0.rotate_left(r1);
        h0 = t;
        let mix = ((h0 >> 16) ^ h1) & 0xffff;
        r0 = mix & 0x1f;
        r1 = mix >> 11;
    }
    h0 ^ h1
}

/// The 32-bit hash `h`, mixed when the argument is non-zero.
fn hash32<'a>(args: &[Arg], h: u32) -> Option<Value<'a>> {
    let avalanche = args.first().and_then(Arg::int).is_some_and(|n| n != 0);
    let h = if avalanche { full_hash(h) } else { h };
    Some(Value::Int(i64::from(h)))
}

fn crc32<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    hash32(args, crc32fast::hash(v.bytes()?))
}

fn crc32c<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    hash32(args, crc32c::crc32c(v.bytes()?))
}

fn djb2<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    hash32(args, djb2_hash(v.bytes()?))
}

fn sdbm<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    hash32(args, sdbm_hash(v.bytes()?))
}

fn wt6<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    hash32(args, wt6_hash(v.bytes()?))
}

/// The seed argument (0 when left out), as the bits of the integer.
fn seed(args: &[Arg]) -> u64 {
    args.first().and_then(Arg::int).unwrap_or(0) as u64
}

fn xxh32<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let h = xxhash_rust::xxh32::xxh32(v.bytes()?, seed(args) as u32);
    Some(Value::Int(i64::from(h)))
}

fn xxh64<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let h = xxhash_rust::xxh64::xxh64(v.bytes()?, seed(args));
    Some(Value::Int(h as i64))
}

fn xxh3<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let h = xxhash_rust::xxh3::xxh3_64_with_seed(v.bytes()?, seed(args));
    Some(Value::Int(h as i64))
}

fn sha1<'a>(_: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    Some(Value::bin(sha1::Sha1::digest(v.bytes()?).to_vec()))
}

fn sha2_bits(args: &[Arg]) -> i64 {
    args.first().and_then(Arg::int).unwrap_or(256)
}

fn check_sha2(args: &[Arg]) -> Result<(), String> {
    match sha2_bits(args) {
        224 | 256 | 384 | 512 => Ok(()),
        n => Err(format!("Unsupported number of bits: '{n}'")),
    }
}

/// `sha2([<bits>])`: SHA-224, -256 (the default), -384 or -512.
fn sha2<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let s = v.bytes()?;
    let d = match sha2_bits(args) {
        224 => sha2::Sha224::digest(s).to_vec(),
        256 => sha2::Sha256::digest(s).to_vec(),
        384 => sha2::Sha384::digest(s).to_vec(),
        512 => sha2::Sha512::digest(s).to_vec(),
        _ => return None,
    };
    Some(Value::bin(d))
}
