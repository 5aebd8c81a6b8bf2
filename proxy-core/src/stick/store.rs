//! `store` lists of a stick table, parsed as HAProxy 2.6 does
//! (`stktable_alloc_data_type` and the `store` branch of
//! `parse_stick_table`): `conn_rate(10s)`, `gpc(3)`, `gpc_rate(2,1m)`,
//! `gpt(4)`; arrays hold 1 to 100 elements; a type given twice is a
//! warning; `gpt` with `gpt0`, `gpc` with `gpc0`/`gpc1` and `gpc_rate` with
//! `gpc0_rate`/`gpc1_rate` are refused. Errors are the end of HAProxy's
//! alert text (after `<keyword>: `).

use super::data::{DataType, DataType::*, StoreSpec};
use crate::units::parse_time;

/// Largest array a `gpt(n)` / `gpc(n)` / `gpc_rate(n,p)` may declare.
pub const MAX_ARRAY_SIZE: u32 = 100;

/// Parses one `store` item: `conn_cnt`, `conn_rate(10s)`, `gpc(3)`,
/// `gpc_rate(2,1m)`. Errors are the end of HAProxy's alert text.
pub fn parse_store_item(item: &str) -> Result<StoreSpec, String> {
    let (name, args) = match item.find('(') {
        Some(open) => {
            let rest = &item[open + 1..];
            let close = rest.find(')').ok_or_else(|| {
                format!(
                    "missing closing parenthesis after store option '{}'.",
                    &item[..open]
                )
            })?;
            (&item[..open], Some(&rest[..close]))
        }
        None => (item, None),
    };
    let data_type =
        DataType::from_name(name).ok_or_else(|| format!("unknown store option '{name}'."))?;
    let (mut sa, sa2) = match args {
        Some(a) => match a.split_once(',') {
            Some((x, y)) => (Some(x), Some(y)),
            None => (Some(a), None),
        },
        None => (None, None),
    };
    let mut nbelem = 1;
    if data_type.is_array() {
        let n = sa.ok_or_else(|| format!("missing argument to store option '{name}'."))?;
        nbelem = atoi(n);
        if nbelem == 0 || nbelem > MAX_ARRAY_SIZE {
            return Err(format!(
                "array size is out of allowed range (1-{MAX_ARRAY_SIZE}) for store option '{name}'."
            ));
        }
        sa = sa2;
    } else if sa2.is_some() && !data_type.takes_period() {
        return Err(format!("unexpected argument to store option '{name}'."));
    }
    let mut period_ms = 0;
    if data_type.takes_period() {
        let p = sa.ok_or_else(|| format!("missing argument to store option '{name}'."))?;
        // HAProxy accepts a zero period (and then divides by it): refused here
        period_ms = parse_time(p)
            .ok()
            .and_then(|d| u32::try_from(d.as_millis()).ok())
            .filter(|&ms| ms > 0)
            .ok_or_else(|| format!("error when processing store option '{name}'."))?;
    } else if sa.is_some() {
        return Err(format!("unexpected argument to store option '{name}'."));
    }
    Ok(StoreSpec {
        data_type,
        nbelem,
        period_ms,
    })
}

/// C's `atoi()` for the small counts used here: leading blanks, digits,
/// anything after ignored, 0 when there are no digits.
fn atoi(s: &str) -> u32 {
    let s = s.trim_start();
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if end == 0 {
        return 0;
    }
    s[..end].parse::<u32>().unwrap_or(u32::MAX)
}

/// Parses a comma-separated `store` list into specs sorted by id.
/// Returns the specs and the warnings (duplicates).
pub fn parse_store_list(list: &str) -> Result<(Vec<StoreSpec>, Vec<String>), String> {
    let mut specs: Vec<StoreSpec> = Vec::new();
    let mut warnings = Vec::new();
    for item in split_store_list(list) {
        if item.is_empty() {
            continue;
        }
        let spec = parse_store_item(item)?;
        if specs.iter().any(|s| s.data_type == spec.data_type) {
            let name = item.split('(').next().unwrap_or(item);
            warnings.push(format!("store option '{name}' already enabled, ignored."));
            continue;
        }
        specs.push(spec);
    }
    let has = |d: DataType| specs.iter().any(|s| s.data_type == d);
    if has(Gpt) && has(Gpt0) {
        return Err("simultaneous usage of 'gpt' and 'gpt0' in a same table is not permitted as 'gpt' overrides 'gpt0'.".into());
    }
    if has(Gpc) && (has(Gpc0) || has(Gpc1)) {
        return Err("simultaneous usage of 'gpc' and 'gpc[0/1]' in a same table is not permitted as 'gpc' overrides 'gpc[0/1]'.".into());
    }
    if has(GpcRate) && (has(Gpc0Rate) || has(Gpc1Rate)) {
        return Err("simultaneous usage of 'gpc_rate' and 'gpc[0/1]_rate' in a same table is not permitted as 'gpc_rate' overrides 'gpc[0/1]_rate'.".into());
    }
    specs.sort_by_key(|s| s.data_type);
    Ok((specs, warnings))
}

/// Splits at commas outside parentheses (`gpc_rate(2,1m),conn_cnt`).
fn split_store_list(list: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0usize, 0usize);
    for (i, c) in list.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => {
                out.push(&list[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&list[start..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stick::data::DataLayout;

    #[test]
    fn store_items() {
        let s = parse_store_item("conn_rate(10s)").unwrap();
        assert_eq!((s.data_type, s.nbelem, s.period_ms), (ConnRate, 1, 10_000));
        let s = parse_store_item("gpc(3)").unwrap();
        assert_eq!((s.data_type, s.nbelem, s.period_ms), (Gpc, 3, 0));
        let s = parse_store_item("gpc_rate(2,1m)").unwrap();
        assert_eq!((s.data_type, s.nbelem, s.period_ms), (GpcRate, 2, 60_000));
        let s = parse_store_item("gpt(4)").unwrap();
        assert_eq!((s.data_type, s.nbelem), (Gpt, 4));
        assert_eq!(
            parse_store_item("http_req_rate(500)").unwrap().period_ms,
            500
        );
        let e = |s| parse_store_item(s).unwrap_err();
        assert_eq!(
            e("conn_rate"),
            "missing argument to store option 'conn_rate'."
        );
        assert_eq!(
            e("conn_cnt(1)"),
            "unexpected argument to store option 'conn_cnt'."
        );
        assert_eq!(
            e("gpc(0)"),
            "array size is out of allowed range (1-100) for store option 'gpc'."
        );
        assert_eq!(
            e("gpc(101)"),
            "array size is out of allowed range (1-100) for store option 'gpc'."
        );
        assert_eq!(e("gpc"), "missing argument to store option 'gpc'.");
        assert_eq!(
            e("gpc_rate(2)"),
            "missing argument to store option 'gpc_rate'."
        );
        assert_eq!(e("foo"), "unknown store option 'foo'.");
        assert_eq!(
            e("conn_rate(10s"),
            "missing closing parenthesis after store option 'conn_rate'."
        );
        assert_eq!(
            e("conn_rate(10x)"),
            "error when processing store option 'conn_rate'."
        );
        assert_eq!(
            e("conn_rate(0)"),
            "error when processing store option 'conn_rate'."
        );
        assert_eq!(parse_store_item("gpt( 2x)").unwrap().nbelem, 2);
    }

    #[test]
    fn store_lists() {
        let (specs, w) = parse_store_list(
            "http_req_rate(10s),server_id,gpc0,conn_cnt,conn_rate(10s),http_req_cnt",
        )
        .unwrap();
        assert!(w.is_empty());
        let ids: Vec<u8> = specs.iter().map(|s| s.data_type.id()).collect();
        assert_eq!(ids, [0, 2, 4, 5, 9, 10]);
        assert_eq!(DataLayout::new(&specs).bitfield(), 1589);
        let (specs, w) = parse_store_list("gpc_rate(2,1m),gpt(4),gpc0,gpc0").unwrap();
        assert_eq!(specs.len(), 3);
        assert_eq!(w, ["store option 'gpc0' already enabled, ignored."]);
        assert!(parse_store_list("gpt(2),gpt0")
            .unwrap_err()
            .contains("'gpt' overrides 'gpt0'"));
        assert!(parse_store_list("gpc(2),gpc1").is_err());
        assert!(parse_store_list("gpc_rate(2,1s),gpc0_rate(1s)").is_err());
        assert!(parse_store_list("gpc(2),gpc0_rate(1s)").is_ok());
    }
}
