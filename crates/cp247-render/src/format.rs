//! How dates, instants and offsets are written on documents.
//!
//! Dates follow the T-CY templates' paper form, `DD/MM/YYYY`, in both languages. An instant is
//! written in the offset its author recorded, never converted, followed by that offset and, when
//! known, the IANA zone: `20/02/2026 13:28 (UTC+01:00, Europe/Paris)`. Seconds appear when they are
//! not zero, fractions of a second when there are any.

use cp247_domain::{Instant, ZoneName};
use jiff::civil::Date;
use jiff::tz::Offset;

/// `20/02/2026`.
pub fn date(d: Date) -> String {
    format!("{:02}/{:02}/{:04}", d.day(), d.month(), d.year())
}

/// `UTC+01:00`, `UTC-05:30`, `UTC+00:00`.
pub fn offset(o: Offset) -> String {
    let secs = o.seconds();
    let sign = if secs < 0 { '-' } else { '+' };
    let abs = secs.unsigned_abs();
    format!("UTC{sign}{:02}:{:02}", abs / 3600, (abs % 3600) / 60)
}

/// `20/02/2026 13:28` (or `13:28:05`, `13:28:05.25`), in the instant's own offset.
fn local(i: &Instant) -> String {
    let dt = i.zoned().datetime();
    let mut s = format!("{} {:02}:{:02}", date(dt.date()), dt.hour(), dt.minute());
    let nanos = dt.subsec_nanosecond();
    if dt.second() != 0 || nanos != 0 {
        s.push_str(&format!(":{:02}", dt.second()));
    }
    if nanos != 0 {
        let frac = format!("{nanos:09}");
        s.push('.');
        s.push_str(frac.trim_end_matches('0'));
    }
    s
}

/// `20/02/2026 13:28 (UTC+01:00, Europe/Paris)`, or without the zone when none is given.
pub fn instant(i: &Instant, zone: Option<&ZoneName>) -> String {
    match zone {
        Some(z) => format!("{} ({}, {})", local(i), offset(i.offset()), z.as_str()),
        None => format!("{} ({})", local(i), offset(i.offset())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_dates_and_instants_with_offset_and_zone() {
        let d: Date = "2026-02-20".parse().unwrap();
        assert_eq!(date(d), "20/02/2026");
        let i = Instant::parse("2026-02-20T13:28:00+01:00").unwrap();
        let z = ZoneName::parse("Europe/Paris").unwrap();
        assert_eq!(
            instant(&i, Some(&z)),
            "20/02/2026 13:28 (UTC+01:00, Europe/Paris)"
        );
        assert_eq!(instant(&i, None), "20/02/2026 13:28 (UTC+01:00)");
        let i = Instant::parse("2026-07-01T08:00:05.250-05:30").unwrap();
        assert_eq!(instant(&i, None), "01/07/2026 08:00:05.25 (UTC-05:30)");
        let i = Instant::parse("2026-07-01T23:59:00Z").unwrap();
        assert_eq!(instant(&i, None), "01/07/2026 23:59 (UTC+00:00)");
    }
}
