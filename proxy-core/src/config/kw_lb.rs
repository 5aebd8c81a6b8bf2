//! Handlers for the load-balancing keywords that tune hashing:
//! `hash-type` and `hash-balance-factor` (`balance` itself is in
//! `kw_proxy`).

use super::keywords::{Ctx, KwResult, ProxyState};
use super::model::{HashFn, HashType};

/// `hash-type {map-based|consistent} [<function> [avalanche]]`. Without a
/// function, HAProxy uses sdbm, with avalanche for consistent hashing
/// only; a function named without `avalanche` never gets it.
pub(super) fn hash_type(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let consistent = match ctx.arg(1).unwrap_or("") {
        "consistent" => true,
        "map-based" => false,
        "avalanche" => {
            return Err("experimental feature 'hash-type avalanche' is not supported anymore, please use 'hash-type map-based sdbm avalanche' instead.".into())
        }
        _ => return Err("'hash-type' only supports 'consistent' and 'map-based'.".into()),
    };
    let Some(func) = ctx.arg(2).filter(|a| !a.is_empty()) else {
        st.cfg.hash_type = HashType {
            consistent,
            func: HashFn::Sdbm,
            avalanche: consistent,
        };
        return Ok(());
    };
    let func = match func {
        "sdbm" => HashFn::Sdbm,
        "djb2" => HashFn::Djb2,
        "wt6" => HashFn::Wt6,
        "crc32" => HashFn::Crc32,
        _ => {
            return Err(
                "'hash-type' only supports 'sdbm', 'djb2', 'crc32', or 'wt6' hash functions."
                    .into(),
            )
        }
    };
    let avalanche = match ctx.arg(3).unwrap_or("") {
        "avalanche" => true,
        "" => false,
        _ => {
            return Err(
                "'hash-type' only supports 'avalanche' as a modifier for hash functions.".into(),
            )
        }
    };
    st.cfg.hash_type = HashType {
        consistent,
        func,
        avalanche,
    };
    Ok(())
}

/// `hash-balance-factor <n>`: 0 turns the bound off; HAProxy reads the
/// number with `atol`, so trailing junk is ignored and junk alone is 0.
pub(super) fn hash_balance_factor(st: &mut ProxyState, ctx: &mut Ctx<'_>) -> KwResult {
    let raw = ctx
        .arg(1)
        .filter(|a| !a.is_empty())
        .ok_or("'hash-balance-factor' expects an integer argument.")?;
    let n = atol(raw);
    if n != 0 && n <= 100 {
        return Err("'hash-balance-factor' must be 0 or greater than 100.".into());
    }
    st.cfg.hash_balance_factor = u32::try_from(n).unwrap_or(0);
    Ok(())
}

/// C's `atol`: leading blanks, a sign, then digits up to the first other
/// character.
fn atol(s: &str) -> i64 {
    let s = s.trim_start();
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let n = digits
        .bytes()
        .take_while(u8::is_ascii_digit)
        .fold(0i64, |n, d| {
            n.saturating_mul(10).saturating_add(i64::from(d - b'0'))
        });
    if neg {
        -n
    } else {
        n
    }
}

#[cfg(test)]
mod tests {
    use super::super::parser::testing::{error, ok};
    use super::*;

    fn first(text: &str) -> crate::config::model::ProxyConfig {
        ok(text).proxies.remove(0)
    }

    #[test]
    fn hash_type_defaults_and_functions() {
        let ht = |l: &str| first(&format!("backend b\n {l}\n")).hash_type;
        assert_eq!(ht("balance source"), HashType::default());
        let c = ht("hash-type consistent");
        assert!(c.consistent && c.avalanche && c.func == HashFn::Sdbm);
        let m = ht("hash-type map-based");
        assert!(!m.consistent && !m.avalanche);
        let d = ht("hash-type consistent djb2");
        assert!(d.consistent && !d.avalanche && d.func == HashFn::Djb2);
        let w = ht("hash-type map-based wt6 avalanche");
        assert!(w.avalanche && w.func == HashFn::Wt6);
        assert_eq!(ht("hash-type map-based crc32").func, HashFn::Crc32);
        assert!(error("backend b\n hash-type\n").contains("only supports 'consistent'"));
        assert!(error("backend b\n hash-type map-based none\n").contains("'sdbm', 'djb2'"));
        assert!(error("backend b\n hash-type map-based sdbm x\n").contains("'avalanche' as"));
    }

    #[test]
    fn hash_balance_factor_bounds() {
        let f = |l: &str| first(&format!("backend b\n {l}\n")).hash_balance_factor;
        assert_eq!(f("hash-balance-factor 150"), 150);
        assert_eq!(f("hash-balance-factor 0"), 0);
        assert_eq!(f("hash-balance-factor x"), 0);
        assert!(error("backend b\n hash-balance-factor 100\n").contains("must be 0 or greater"));
        assert!(error("backend b\n hash-balance-factor\n").contains("expects an integer"));
    }
}
