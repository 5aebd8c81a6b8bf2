//! Calendar arithmetic and the date layouts that appear in logs and on the CLI.
//!
//! Dates are printed in **local time**, as HAProxy does with `localtime_r`:
//! the zone is the system's, read once by `jiff` from `TZ` (an IANA name
//! such as `Asia/Kolkata`, `UTC`, or a POSIX rule such as
//! `EST5EDT,M3.2.0,M11.1.0`, as libc reads it) or else `/etc/localtime`,
//! with the tz database installed on the system; without either, UTC.
//! [`init_local_zone`] loads it at start-up, before any `chroot`.
//!
//! The hot path stays cheap: the zone's UTC offset is looked up once for a
//! span between two of its transitions and cached per thread, so a log line
//! costs an integer comparison, then the civil arithmetic below. That
//! arithmetic turns a day count into a date with the classic "days from
//! civil" algorithm on a calendar whose year starts in March, so that the
//! leap day is the last day of the year and needs no special case.

use std::cell::Cell;
use std::fmt;
use std::sync::OnceLock;
use std::time::{SystemTime, UNIX_EPOCH};

use jiff::tz::TimeZone;
use jiff::Timestamp;

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days in a 400-year Gregorian cycle (the calendar repeats exactly after it).
const DAYS_PER_ERA: i64 = 146_097;
/// Days from 0000-03-01 (start of the March-based era) to 1970-01-01.
const EPOCH_SHIFT: i64 = 719_468;

/// A broken-down instant with microsecond resolution, in UTC
/// ([`CivilDateTime::from_unix`]) or in a zone ([`CivilDateTime::local`],
/// [`CivilDateTime::in_zone`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CivilDateTime {
    pub year: i64,
    /// 1..=12
    pub month: u8,
    /// 1..=31
    pub day: u8,
    pub hour: u8,
    pub minute: u8,
    pub second: u8,
    /// 0..=999_999
    pub micros: u32,
    /// Seconds east of UTC of the zone the fields are in.
    pub offset: i32,
}

/// Seconds since the epoch and microseconds of `t`; instants before 1970
/// are handled (they only show up with a badly set clock, but must not
/// panic).
fn unix_parts(t: SystemTime) -> (i64, u32) {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_micros()),
        Err(e) => {
            // Before the epoch: floor towards minus infinity so the
            // sub-second part stays positive, as in a normal timestamp.
            let d = e.duration();
            let mut secs = -(d.as_secs() as i64);
            let mut micros = d.subsec_micros();
            if d.subsec_nanos() > 0 {
                secs -= 1;
                micros = 1_000_000 - d.subsec_nanos().div_ceil(1000);
            }
            (secs, micros)
        }
    }
}

impl CivilDateTime {
    /// Breaks down `t` in UTC.
    pub fn from_system_time(t: SystemTime) -> Self {
        let (secs, micros) = unix_parts(t);
        Self::from_unix(secs, micros)
    }

    /// Breaks down `t` in the local zone (see [`local_offset`]).
    pub fn local(t: SystemTime) -> Self {
        let (secs, micros) = unix_parts(t);
        Self::with_offset(secs, micros, local_offset(secs))
    }

    /// Breaks down `t` in the zone `tz` (no cache: for tests and one-offs).
    pub fn in_zone(t: SystemTime, tz: &TimeZone) -> Self {
        let (secs, micros) = unix_parts(t);
        Self::with_offset(secs, micros, offset_span(tz, secs).offset)
    }

    fn with_offset(secs: i64, micros: u32, offset: i32) -> Self {
        let mut d = Self::from_unix(secs.saturating_add(i64::from(offset)), micros);
        d.offset = offset;
        d
    }

    /// Breaks down a count of seconds since 1970-01-01T00:00:00Z, in UTC.
    pub fn from_unix(secs: i64, micros: u32) -> Self {
        let days = secs.div_euclid(86_400);
        let sod = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        CivilDateTime {
            year,
            month,
            day,
            hour: (sod / 3600) as u8,
            minute: (sod / 60 % 60) as u8,
            second: (sod % 60) as u8,
            micros: micros.min(999_999),
            offset: 0,
        }
    }

    /// Three-letter English month name, as all log formats use.
    pub fn month_name(&self) -> &'static str {
        MONTHS[usize::from(self.month.clamp(1, 12) - 1)]
    }
}

/// The local zone, loaded on first use (or by [`init_local_zone`]). Unit
/// tests use UTC whatever the machine's zone, so that their expected
/// strings hold everywhere; zones are tested explicitly.
pub fn local_zone() -> &'static TimeZone {
    static ZONE: OnceLock<TimeZone> = OnceLock::new();
    ZONE.get_or_init(|| {
        if cfg!(test) {
            TimeZone::UTC
        } else {
            TimeZone::try_system().unwrap_or(TimeZone::UTC)
        }
    })
}

/// Loads the local zone now, while `/etc/localtime` and the tz database
/// are still reachable (before a `chroot`, and off the traffic path).
pub fn init_local_zone() {
    let _ = local_zone();
}

/// A span of time `[start, end)` (seconds since the epoch) over which a
/// zone's UTC offset does not change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OffsetSpan {
    pub start: i64,
    pub end: i64,
    /// Seconds east of UTC.
    pub offset: i32,
}

/// The offset of `tz` at `secs`, and the span between the zone's
/// transitions around it over which it holds.
pub fn offset_span(tz: &TimeZone, secs: i64) -> OffsetSpan {
    let Ok(ts) = Timestamp::from_second(secs) else {
        // Outside jiff's range (year -9999..=9999): a broken clock.
        return OffsetSpan {
            start: secs,
            end: secs.saturating_add(1),
            offset: 0,
        };
    };
    let offset = tz.to_offset(ts).seconds();
    let start = Timestamp::from_second(secs.saturating_add(1))
        .ok()
        .and_then(|next| tz.preceding(next).next())
        .map_or(i64::MIN, |t| t.timestamp().as_second());
    let end = tz
        .following(ts)
        .next()
        .map_or(i64::MAX, |t| t.timestamp().as_second());
    if start <= secs && secs < end {
        OffsetSpan { start, end, offset }
    } else {
        // Transitions not where expected: cache this second only.
        OffsetSpan {
            start: secs,
            end: secs.saturating_add(1),
            offset,
        }
    }
}

thread_local! {
    /// The last span looked up by this thread; empty at first.
    static LOCAL_SPAN: Cell<OffsetSpan> = const {
        Cell::new(OffsetSpan { start: 0, end: 0, offset: 0 })
    };
}

/// The local zone's UTC offset at `secs`, in seconds east. Looked up in the
/// zone only when `secs` leaves the span cached by this thread (in practice
/// at start-up and at daylight-saving changes).
pub fn local_offset(secs: i64) -> i32 {
    LOCAL_SPAN.with(|c| {
        let span = c.get();
        if span.start <= secs && secs < span.end {
            return span.offset;
        }
        let span = offset_span(local_zone(), secs);
        c.set(span);
        span.offset
    })
}

/// Days since 1970-01-01 of the civil date `year-month-day` (proleptic
/// Gregorian). `month` is 1..=12.
pub fn days_from_civil(year: i64, month: u8, day: u8) -> i64 {
    let m = i64::from(month);
    // Count years from March so January and February belong to the previous
    // year: the leap day then ends the year and month lengths are regular.
    let y = if m <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400; // 0..=399
    let march_month = if m > 2 { m - 3 } else { m + 9 }; // 0 = March
                                                         // 153 days per 5 months (31+30+31+30+31) gives every month's start day.
    let day_of_year = (153 * march_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * DAYS_PER_ERA + day_of_era - EPOCH_SHIFT
}

/// Inverse of [`days_from_civil`]: `(year, month 1..=12, day 1..=31)`.
pub fn civil_from_days(days: i64) -> (i64, u8, u8) {
    let z = days + EPOCH_SHIFT;
    let era = z.div_euclid(DAYS_PER_ERA);
    let day_of_era = z - era * DAYS_PER_ERA; // 0..=146_096
                                             // Remove the leap days accumulated so far (every 4 years, except every
                                             // 100, except every 400) to find the year inside the era.
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let march_month = (5 * day_of_year + 2) / 153; // 0 = March .. 11 = February
    let day = day_of_year - (153 * march_month + 2) / 5 + 1;
    let month = if march_month < 10 {
        march_month + 3
    } else {
        march_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month as u8, day as u8)
}

/// HAProxy's log date in local time, `26/Nov/2026:11:01:07.736`
/// (milliseconds truncated), used by `%t`/`%tr` in tcplog and httplog.
pub fn write_log_date(t: SystemTime, out: &mut impl fmt::Write) {
    write_log_date_of(&CivilDateTime::local(t), out);
}

/// [`write_log_date`] of an already broken-down date.
pub fn write_log_date_of(d: &CivilDateTime, out: &mut impl fmt::Write) {
    write_dmy_hms(d, out);
    let _ = write!(out, ".{:03}", d.micros / 1000);
}

/// [`write_log_date`] into a new string.
pub fn log_date(t: SystemTime) -> String {
    let mut s = String::with_capacity(24);
    write_log_date(t, &mut s);
    s
}

/// The same layout with microseconds, `26/Nov/2026:10:54:22.840535`, as the
/// CLI's `show sess` full dump prints a stream's accept date (local time).
pub fn write_log_date_micros(t: SystemTime, out: &mut impl fmt::Write) {
    let d = CivilDateTime::local(t);
    write_dmy_hms(&d, out);
    let _ = write!(out, ".{:06}", d.micros);
}

/// RFC 3164 syslog timestamp in local time, `Nov 26 11:01:07`; the day is
/// padded with a space to two characters (`Nov  6`) because the RFC fixes
/// the field width.
pub fn write_syslog_date(t: SystemTime, out: &mut impl fmt::Write) {
    write_syslog_date_of(&CivilDateTime::local(t), out);
}

/// [`write_syslog_date`] of an already broken-down date.
pub fn write_syslog_date_of(d: &CivilDateTime, out: &mut impl fmt::Write) {
    let _ = write!(
        out,
        "{} {:>2} {:02}:{:02}:{:02}",
        d.month_name(),
        d.day,
        d.hour,
        d.minute,
        d.second
    );
}

/// `show info`'s `Uptime:` value, `0d 0h00m07s`.
pub fn write_uptime(secs: u64, out: &mut impl fmt::Write) {
    let _ = write!(
        out,
        "{}d {}h{:02}m{:02}s",
        secs / 86_400,
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    );
}

fn write_dmy_hms(d: &CivilDateTime, out: &mut impl fmt::Write) {
    let _ = write!(
        out,
        "{:02}/{}/{:04}:{:02}:{:02}:{:02}",
        d.day,
        d.month_name(),
        d.year,
        d.hour,
        d.minute,
        d.second
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(secs: u64, millis: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_millis(secs * 1000 + millis)
    }

    fn syslog(t: SystemTime) -> String {
        let mut s = String::new();
        write_syslog_date(t, &mut s);
        s
    }

    #[test]
    fn epoch_zero() {
        assert_eq!(log_date(UNIX_EPOCH), "01/Jan/1970:00:00:00.000");
        assert_eq!(syslog(UNIX_EPOCH), "Jan  1 00:00:00");
    }

    #[test]
    fn known_instants() {
        // Values cross-checked with `date -u -d @<secs>`.
        assert_eq!(log_date(at(1_795_700_467, 0)), "26/Nov/2026:13:41:07.000");
        assert_eq!(log_date(at(1_795_690_436, 5)), "26/Nov/2026:10:53:56.005");
        assert_eq!(log_date(at(4_107_542_400, 0)), "01/Mar/2100:00:00:00.000");
        assert_eq!(
            log_date(at(253_402_300_799, 999)),
            "31/Dec/9999:23:59:59.999"
        );
    }

    #[test]
    fn captured_line_date() {
        let secs = days_from_civil(2026, 11, 26) * 86_400 + 11 * 3600 + 60 + 7;
        let t = at(secs as u64, 736);
        assert_eq!(log_date(t), "26/Nov/2026:11:01:07.736");
        assert_eq!(syslog(t), "Nov 26 11:01:07");
    }

    #[test]
    fn leap_days() {
        assert_eq!(log_date(at(951_782_400, 0)), "29/Feb/2000:00:00:00.000");
        assert_eq!(log_date(at(951_868_799, 0)), "29/Feb/2000:23:59:59.000");
        assert_eq!(log_date(at(1_709_164_800, 0)), "29/Feb/2024:00:00:00.000");
        assert_eq!(days_from_civil(2000, 2, 29), 951_782_400 / 86_400);
        // 2100 is not a leap year: Feb 28 is followed by Mar 1.
        assert_eq!(
            days_from_civil(2100, 3, 1) - days_from_civil(2100, 2, 28),
            1
        );
        assert_eq!(
            days_from_civil(2000, 3, 1) - days_from_civil(2000, 2, 28),
            2
        );
    }

    #[test]
    fn round_trip_over_many_days() {
        for days in (-800_000i64..800_000).step_by(97) {
            let (y, m, d) = civil_from_days(days);
            assert!((1..=12).contains(&m) && (1..=31).contains(&d));
            assert_eq!(days_from_civil(y, m, d), days, "{y}-{m}-{d}");
        }
    }

    #[test]
    fn before_epoch() {
        let t = UNIX_EPOCH - Duration::from_secs(86_400);
        assert_eq!(log_date(t), "31/Dec/1969:00:00:00.000");
        let t = UNIX_EPOCH - Duration::from_millis(1);
        assert_eq!(log_date(t), "31/Dec/1969:23:59:59.999");
    }

    #[test]
    fn syslog_pads_day_with_space() {
        let secs = days_from_civil(2026, 11, 6) * 86_400 + 9 * 3600 + 5;
        assert_eq!(syslog(at(secs as u64, 0)), "Nov  6 09:00:05");
    }

    #[test]
    fn micros_and_uptime() {
        let t = UNIX_EPOCH + Duration::from_micros(1_795_700_467_840_535);
        let mut s = String::new();
        write_log_date_micros(t, &mut s);
        assert_eq!(s, "26/Nov/2026:13:41:07.840535");
        let mut u = String::new();
        write_uptime(7, &mut u);
        assert_eq!(u, "0d 0h00m07s");
        u.clear();
        write_uptime(2 * 86_400 + 3 * 3600 + 4 * 60 + 5, &mut u);
        assert_eq!(u, "2d 3h04m05s");
    }

    fn zone(name: &str) -> TimeZone {
        TimeZone::get(name).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn log_date_in(t: SystemTime, tz: &TimeZone) -> String {
        let mut s = String::new();
        write_log_date_of(&CivilDateTime::in_zone(t, tz), &mut s);
        s
    }

    fn syslog_in(t: SystemTime, tz: &TimeZone) -> String {
        let mut s = String::new();
        write_syslog_date_of(&CivilDateTime::in_zone(t, tz), &mut s);
        s
    }

    #[test]
    fn explicit_zones() {
        // 2026-12-07T00:58:16.123Z; values cross-checked with
        // `TZ=<zone> date -d @1796605096`.
        let secs = days_from_civil(2026, 12, 7) * 86_400 + 58 * 60 + 16;
        let t = at(secs as u64, 123);
        assert_eq!(log_date_in(t, &TimeZone::UTC), "07/Dec/2026:00:58:16.123");
        let kolkata = zone("Asia/Kolkata");
        assert_eq!(log_date_in(t, &kolkata), "07/Dec/2026:06:28:16.123");
        assert_eq!(syslog_in(t, &kolkata), "Dec  7 06:28:16");
        assert_eq!(CivilDateTime::in_zone(t, &kolkata).offset, 5 * 3600 + 1800);
        // West of UTC the date goes back a day (EST in December).
        let ny = zone("America/New_York");
        assert_eq!(log_date_in(t, &ny), "06/Dec/2026:19:58:16.123");
        assert_eq!(CivilDateTime::in_zone(t, &ny).offset, -5 * 3600);
        // A POSIX rule, as TZ may hold one.
        let posix = TimeZone::posix("EST5EDT,M3.2.0,M11.1.0").unwrap();
        assert_eq!(log_date_in(t, &posix), "06/Dec/2026:19:58:16.123");
    }

    #[test]
    fn daylight_saving_changes() {
        let ny = zone("America/New_York");
        // 2026-03-08 07:00:00Z is 03:00 EDT; one second earlier, 01:59:59 EST.
        let change = days_from_civil(2026, 3, 8) * 86_400 + 7 * 3600;
        assert_eq!(
            log_date_in(at(change as u64, 0), &ny),
            "08/Mar/2026:03:00:00.000"
        );
        assert_eq!(
            log_date_in(at(change as u64 - 1, 0), &ny),
            "08/Mar/2026:01:59:59.000"
        );
        // The span cached around an instant ends at the next transition and
        // starts at the previous one, with one offset throughout.
        let s = offset_span(&ny, change - 3600);
        assert_eq!((s.end, s.offset), (change, -5 * 3600));
        let s2 = offset_span(&ny, s.start);
        assert_eq!(s2, s);
        let s3 = offset_span(&ny, change);
        assert_eq!((s3.start, s3.offset), (change, -4 * 3600));
        // A zone without transitions caches forever.
        let u = offset_span(&TimeZone::UTC, change);
        assert_eq!((u.start, u.end, u.offset), (i64::MIN, i64::MAX, 0));
    }

    #[test]
    fn local_offset_is_cached_per_span() {
        // Unit tests run with UTC as the local zone.
        assert_eq!(local_offset(1_796_605_096), 0);
        assert_eq!(local_offset(-5), 0);
        let t = at(1_796_605_096, 5);
        assert_eq!(CivilDateTime::local(t), CivilDateTime::from_system_time(t));
    }
}
