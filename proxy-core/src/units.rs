//! Time and size values as written in haproxy.cfg.
//!
//! Times are an integer and an optional unit (`us`, `ms`, `s`, `m`, `h`,
//! `d`; no unit means milliseconds). HAProxy keeps timers as signed 32-bit
//! millisecond counts, so longer values are refused the same way. Sizes are
//! an integer and an optional `k`, `m` or `g` suffix, each a power of 1024.
//!
//! Errors are fragments such as `unexpected character 'x'`; the keyword
//! parser adds which keyword and line they belong to.
//!
//! A module of its own rather than part of [`crate::config`]: the stick
//! tables parse their declarations ([`crate::stick::conf`]) with it, and
//! the configuration model holds those declarations, so the tables sit
//! below the configuration and this sits below both.

use std::time::Duration;

/// Largest timer HAProxy accepts, in milliseconds (2^31 - 1, ~24.8 days).
pub const MAX_TIMER_MS: u64 = i32::MAX as u64;

/// Splits `s` into its leading decimal digits and the rest.
fn split_number(s: &str) -> Result<(u64, &str), String> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    if end == 0 {
        return Err(match s.chars().next() {
            None => "missing value".to_string(),
            Some(c) => format!("unexpected character '{c}'"),
        });
    }
    let n = s[..end]
        .parse::<u64>()
        .map_err(|_| "value too large".to_string())?;
    Ok((n, &s[end..]))
}

/// Parses a time value: `30s`, `2000` (ms), `1m`, `500us`.
pub fn parse_time(s: &str) -> Result<Duration, String> {
    let (n, unit) = split_number(s)?;
    let micros_per_unit: u64 = match unit {
        "us" => 1,
        "" | "ms" => 1_000,
        "s" => 1_000_000,
        "m" => 60_000_000,
        "h" => 3_600_000_000,
        "d" => 86_400_000_000,
        other => {
            let c = other.chars().next().unwrap_or(' ');
            return Err(format!(
                "unexpected character '{c}' (expects a number followed by 'us', 'ms', 's', 'm', 'h' or 'd')"
            ));
        }
    };
    let micros = n
        .checked_mul(micros_per_unit)
        .filter(|us| us.div_ceil(1_000) <= MAX_TIMER_MS)
        .ok_or_else(|| {
            format!("timer overflow in '{s}' (maximum value is {MAX_TIMER_MS} ms or ~24.8 days)")
        })?;
    Ok(Duration::from_micros(micros))
}

/// Parses a size: `16384`, `200k`, `1m`, `2g` (powers of 1024).
pub fn parse_size(s: &str) -> Result<u64, String> {
    let (n, unit) = split_number(s)?;
    let mult: u64 = match unit {
        "" => 1,
        "k" | "K" => 1 << 10,
        "m" | "M" => 1 << 20,
        "g" | "G" => 1 << 30,
        other => {
            let c = other.chars().next().unwrap_or(' ');
            return Err(format!(
                "unexpected character '{c}' (expects a number followed by 'k', 'm' or 'g')"
            ));
        }
    };
    n.checked_mul(mult)
        .ok_or_else(|| format!("size overflow in '{s}'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times() {
        assert_eq!(parse_time("30s").unwrap(), Duration::from_secs(30));
        assert_eq!(parse_time("2000").unwrap(), Duration::from_millis(2000));
        assert_eq!(parse_time("250ms").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_time("1m").unwrap(), Duration::from_secs(60));
        assert_eq!(parse_time("2h").unwrap(), Duration::from_secs(7200));
        assert_eq!(parse_time("1d").unwrap(), Duration::from_secs(86400));
        assert_eq!(parse_time("500us").unwrap(), Duration::from_micros(500));
        assert_eq!(parse_time("0").unwrap(), Duration::ZERO);
        assert_eq!(parse_time("24d").unwrap(), Duration::from_secs(24 * 86400));
    }

    #[test]
    fn bad_times() {
        assert!(parse_time("10x")
            .unwrap_err()
            .contains("unexpected character 'x'"));
        assert!(parse_time("1sec")
            .unwrap_err()
            .contains("unexpected character 's'"));
        assert!(parse_time("").unwrap_err().contains("missing"));
        assert!(parse_time("-5")
            .unwrap_err()
            .contains("unexpected character '-'"));
        assert!(parse_time("s").is_err());
        assert!(parse_time("25d").unwrap_err().contains("overflow"));
        assert!(parse_time("99999999999999999999999").is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("16384").unwrap(), 16384);
        assert_eq!(parse_size("1k").unwrap(), 1024);
        assert_eq!(parse_size("200k").unwrap(), 204_800);
        assert_eq!(parse_size("2m").unwrap(), 2 << 20);
        assert_eq!(parse_size("1G").unwrap(), 1 << 30);
        assert!(parse_size("1t")
            .unwrap_err()
            .contains("unexpected character 't'"));
        assert!(parse_size("k").is_err());
        assert!(parse_size("").is_err());
        assert!(parse_size("99999999999g").unwrap_err().contains("overflow"));
    }
}
