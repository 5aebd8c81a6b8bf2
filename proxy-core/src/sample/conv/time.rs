//! Dates: `ltime` and `utime` (strftime formats, local time and UTC) and
//! `http_date` (the IMF-fixdate of HTTP headers).
//!
//! The input is seconds since the epoch; as HAProxy does, only its low 55
//! bits are kept (a negative date becomes a date far in the future).

use std::fmt::Write;

use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::{def, ConvDef, Env};
use crate::sample::args::{Arg, ArgKind};
use crate::sample::value::{SmpType, Value};

const FORMAT: &[ArgKind] = &[ArgKind::Str, ArgKind::Int];

pub const CONVS: &[ConvDef] = &[
    def("ltime", FORMAT, 1, SmpType::Int, SmpType::Str, ltime),
    def("utime", FORMAT, 1, SmpType::Int, SmpType::Str, utime),
    ConvDef {
        check: Some(check_http_date),
        ..def(
            "http_date",
            &[ArgKind::Int, ArgKind::Str],
            0,
            SmpType::Int,
            SmpType::Str,
            http_date,
        )
    },
];

const DATE_MASK: i64 = 0x007f_ffff_ffff_ffff;

/// The date of the input plus the optional offset argument.
fn date(args: &[Arg], v: &Value<'_>) -> Option<i64> {
    let Value::Int(n) = v else { return None };
    let off = args.get(1).and_then(Arg::int).unwrap_or(0);
    Some((n & DATE_MASK).wrapping_add(off))
}

fn ltime<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let fmt = args.first()?.str()?;
    let t = Timestamp::from_second(date(args, &v)?).ok()?;
    let zoned = t.to_zoned(TimeZone::system());
    strftime(fmt, &zoned, false)
}

fn utime<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let fmt = args.first()?.str()?;
    let t = Timestamp::from_second(date(args, &v)?).ok()?;
    let zoned = t.to_zoned(TimeZone::UTC);
    strftime(fmt, &zoned, true)
}

/// Formats as the C library's `strftime` in the C locale: its
/// conversions go to Jiff where they mean the same, the locale ones are
/// spelled out, an unknown one is printed as written. `gmt`: `%Z` is
/// `GMT`, as for a broken-down time from `gmtime`.
fn strftime<'a>(fmt: &[u8], t: &jiff::Zoned, gmt: bool) -> Option<Value<'a>> {
    let fmt = String::from_utf8_lossy(fmt);
    let mut jf = String::with_capacity(fmt.len() + 8);
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            jf.push(c);
            continue;
        }
        // Flags and width, then the E/O modifiers (no meaning in C).
        let mut spec = String::new();
        while let Some(&f) = chars
            .peek()
            .filter(|f| matches!(f, '-' | '_' | '0' | '^' | '#'))
        {
            spec.push(f);
            chars.next();
        }
        while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            spec.push(d);
            chars.next();
        }
        let mut modifier = None;
        if let Some(&m) = chars.peek().filter(|m| matches!(m, 'E' | 'O')) {
            modifier = Some(m);
            chars.next();
        }
        let Some(conv) = chars.next() else {
            jf.push_str("%%");
            jf.push_str(&spec);
            break;
        };
        let expand = match conv {
            'c' => Some("%a %b %e %H:%M:%S %Y"),
            'D' | 'x' => Some("%m/%d/%y"),
            'T' | 'X' => Some("%H:%M:%S"),
            'r' => Some("%I:%M:%S %p"),
            'R' => Some("%H:%M"),
            'h' => Some("%b"),
            'Z' if gmt => Some("GMT"),
            _ => None,
        };
        if let Some(e) = expand {
            jf.push_str(e);
        } else if "aAbBCdeFGgHIjklmMnpPsStuUVwWyYzZ%".contains(conv) {
            let _ = write!(jf, "%{spec}{conv}");
        } else {
            jf.push_str("%%");
            jf.push_str(&spec);
            if let Some(m) = modifier {
                jf.push(m);
            }
            jf.push(conv);
        }
    }
    let out = jiff::fmt::strtime::format(jf.as_str(), t).ok()?;
    Some(Value::owned_str(out))
}

/// The unit of `http_date`: 1 (seconds), 1000 (ms) or 1000000 (µs).
fn unit(args: &[Arg]) -> Option<i64> {
    match args.get(1).and_then(Arg::str) {
        None => Some(1),
        Some(b"s") => Some(1),
        Some(b"ms") => Some(1000),
        Some(b"us") => Some(1_000_000),
        Some(_) => None,
    }
}

fn check_http_date(args: &[Arg]) -> Result<(), String> {
    match unit(args) {
        Some(_) => Ok(()),
        None => {
            let u = args.get(1).and_then(Arg::str).unwrap_or_default();
            Err(format!(
                "expects 's', 'ms' or 'us', got '{}'",
                String::from_utf8_lossy(u)
            ))
        }
    }
}

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The proleptic Gregorian (year, month 1-12, day) of a day count since
/// 1970-01-01, for any year (Howard Hinnant's `civil_from_days`).
fn civil(days: i64) -> (i64, usize, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m as usize, d)
}

/// `http_date([<offset>[,<unit>]])`: `Tue, 14 Nov 2023 22:13:20 GMT`; in
/// ms or µs the fraction follows the seconds (`20.123`, not zero-padded:
/// 12 ms is `.12`). The offset is in the input's unit.
fn http_date<'a>(args: &[Arg], v: Value<'a>, _: &dyn Env) -> Option<Value<'a>> {
    let Value::Int(n) = v else { return None };
    let unit = unit(args)?;
    let n = n.wrapping_add(args.first().and_then(Arg::int).unwrap_or(0));
    let frac = n % unit;
    let secs = (n / unit) & DATE_MASK;
    let days = secs.div_euclid(86_400);
    let tod = secs.rem_euclid(86_400);
    let (y, m, d) = civil(days);
    let mut out = format!(
        "{}, {d:02} {} {y:04} {:02}:{:02}:{:02}",
        DAYS.get(days.rem_euclid(7) as usize)?,
        MONTHS.get(m.checked_sub(1)?)?,
        tod / 3600,
        tod / 60 % 60,
        tod % 60
    );
    if unit != 1 {
        let _ = write!(out, ".{frac}");
    }
    out.push_str(" GMT");
    Some(Value::owned_str(out))
}
