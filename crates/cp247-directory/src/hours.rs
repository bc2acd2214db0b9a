//! Office hours and working days of a contact point, in its own IANA time zone.
//!
//! A contact point's 24/7 duty phone is always answered; office hours say when its unit works on
//! non-urgent follow-up, and the case-work deadline engine counts "working time" in them. Hours
//! are civil (wall-clock) times in the contact point's zone, so they follow daylight-saving
//! changes. A wall-clock time that does not exist on a given day (in the hour skipped in spring)
//! is read with the offset in force before the change, i.e. shifted forward by the length of the
//! gap; one that occurs twice (the hour repeated in autumn) is its first occurrence. This is
//! jiff's "compatible" rule, the one RFC 5545 uses. A range that becomes empty that way (02:30-03:00
//! on a day when 02:00-03:00 is skipped) does not open that day.
//!
//! Working days are the weekdays with at least one range; `closed_days` lists dates (public
//! holidays, closures) on which the unit does not work whatever the weekday.

use std::fmt;
use std::str::FromStr;

use jiff::civil::{Date, DateTime, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// How many days ahead the schedule is searched for an opening.
const HORIZON_DAYS: i32 = 800;

/// Why office hours are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HoursError {
    /// A range is not `HH:MM-HH:MM`.
    #[error(
        "'{0}' is not a time range: write HH:MM-HH:MM with the start before the end (e.g. 08:00-18:00; 24:00 ends at midnight)"
    )]
    Range(String),
    /// Ranges of one day overlap or are out of order.
    #[error(
        "the ranges of {day} overlap or are not in order: list them from the earliest, without overlap"
    )]
    Overlap {
        /// The weekday.
        day: &'static str,
    },
    /// Too many ranges on one day.
    #[error("{day} has more than 8 ranges")]
    TooManyRanges {
        /// The weekday.
        day: &'static str,
    },
    /// No range on any day.
    #[error("the unit has no office hours on any day: give at least one range")]
    NeverOpen,
    /// Closed days out of order or repeated.
    #[error("closed days must be listed in increasing order without repeats; {0} is out of place")]
    ClosedDaysOrder(Date),
    /// Too many closed days.
    #[error("at most 400 closed days may be listed")]
    TooManyClosedDays,
    /// The text form (`Mon-Fri 08:00-18:00; Sat 09:00-12:00`) is wrong.
    #[error(
        "'{text}' is not a weekly schedule: {why} (e.g. \"Mon-Fri 08:00-12:00,13:00-17:00; Sat 09:00-12:00\")"
    )]
    Schedule {
        /// The text given.
        text: String,
        /// What is wrong.
        why: String,
    },
}

/// One opening on a day, in minutes after local midnight: `start < end <= 1440`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DayRange {
    start: u16,
    end: u16,
}

impl DayRange {
    /// Parses `HH:MM-HH:MM`; the end may be `24:00`.
    pub fn parse(text: &str) -> Result<Self, HoursError> {
        let err = || HoursError::Range(text.to_owned());
        let (a, b) = text.split_once('-').ok_or_else(err)?;
        let start = minutes(a, false).ok_or_else(err)?;
        let end = minutes(b, true).ok_or_else(err)?;
        if start >= end {
            return Err(err());
        }
        Ok(Self { start, end })
    }

    fn time(minutes: u16) -> Time {
        // minutes < 1440 here: the hour is below 24 and the minute below 60.
        Time::new((minutes / 60) as i8, (minutes % 60) as i8, 0, 0).unwrap_or(Time::midnight())
    }

    /// The local date-time at which the range opens on `date`.
    fn open_on(&self, date: Date) -> DateTime {
        Self::time(self.start).to_datetime(date)
    }

    /// The local date-time at which the range closes on `date` (24:00 is the next midnight).
    fn close_on(&self, date: Date) -> Option<DateTime> {
        if self.end == 1440 {
            date.tomorrow()
                .ok()
                .map(|d| Time::midnight().to_datetime(d))
        } else {
            Some(Self::time(self.end).to_datetime(date))
        }
    }
}

fn minutes(text: &str, allow_24: bool) -> Option<u16> {
    let (h, m) = text.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: u16 = h.parse().ok()?;
    let m: u16 = m.parse().ok()?;
    if m > 59 || h > 24 || (h == 24 && (m != 0 || !allow_24)) {
        return None;
    }
    Some(h * 60 + m)
}

impl fmt::Display for DayRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02}:{:02}-{:02}:{:02}",
            self.start / 60,
            self.start % 60,
            self.end / 60,
            self.end % 60
        )
    }
}

impl fmt::Debug for DayRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DayRange({self})")
    }
}

impl Serialize for DayRange {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for DayRange {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        if text.len() > 16 {
            return Err(serde::de::Error::custom(HoursError::Range(text)));
        }
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

const DAY_NAMES: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
const DAY_ABBREVIATIONS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

fn day_index(weekday: Weekday) -> usize {
    // Monday is 0.
    usize::try_from(weekday.to_monday_zero_offset()).unwrap_or(0)
}

/// The serialized shape: every weekday is present (an empty list means closed).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct OfficeHoursRepr {
    monday: Vec<DayRange>,
    tuesday: Vec<DayRange>,
    wednesday: Vec<DayRange>,
    thursday: Vec<DayRange>,
    friday: Vec<DayRange>,
    saturday: Vec<DayRange>,
    sunday: Vec<DayRange>,
    closed_days: Vec<Date>,
}

/// A weekly schedule of office hours plus the dates on which the office is closed.
///
/// Invariants (checked on construction): each day's ranges are in order without overlap, at
/// most 8 per day; at least one range in the week; closed days strictly increasing, at most 400.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct OfficeHours {
    week: [Vec<DayRange>; 7],
    closed_days: Vec<Date>,
}

impl OfficeHours {
    /// A schedule from each weekday's ranges (Monday first) and the closed dates.
    pub fn new(week: [Vec<DayRange>; 7], closed_days: Vec<Date>) -> Result<Self, HoursError> {
        for (day, ranges) in DAY_NAMES.iter().zip(&week) {
            if ranges.len() > 8 {
                return Err(HoursError::TooManyRanges { day });
            }
            if ranges.windows(2).any(|w| match w {
                [a, b] => a.end > b.start,
                _ => false,
            }) {
                return Err(HoursError::Overlap { day });
            }
        }
        if week.iter().all(Vec::is_empty) {
            return Err(HoursError::NeverOpen);
        }
        if closed_days.len() > 400 {
            return Err(HoursError::TooManyClosedDays);
        }
        for w in closed_days.windows(2) {
            if let [a, b] = w
                && a >= b
            {
                return Err(HoursError::ClosedDaysOrder(*b));
            }
        }
        Ok(Self { week, closed_days })
    }

    /// Parses the operator's text form: `;`-separated groups of a day or day span and
    /// comma-separated ranges, e.g. `Mon-Fri 08:00-12:00,13:00-17:00; Sat 09:00-12:00`. Days not
    /// named are closed. `24/7` means open all day every day.
    pub fn parse_weekly(text: &str) -> Result<Self, HoursError> {
        let fail = |why: &str| HoursError::Schedule {
            text: text.to_owned(),
            why: why.to_owned(),
        };
        if text.len() > 512 {
            return Err(fail("longer than 512 characters"));
        }
        let mut week: [Vec<DayRange>; 7] = Default::default();
        if text.trim() == "24/7" {
            for day in &mut week {
                day.push(DayRange {
                    start: 0,
                    end: 1440,
                });
            }
            return Self::new(week, Vec::new());
        }
        let mut seen = [false; 7];
        for group in text.split(';').map(str::trim).filter(|g| !g.is_empty()) {
            let (days, ranges) = group
                .split_once(' ')
                .ok_or_else(|| fail("each group is DAYS RANGES"))?;
            let day_of = |name: &str| {
                DAY_ABBREVIATIONS
                    .iter()
                    .position(|d| d.eq_ignore_ascii_case(name.trim()))
                    .ok_or_else(|| fail("days are Mon, Tue, Wed, Thu, Fri, Sat, Sun"))
            };
            let mut indices = Vec::new();
            for part in days.split(',') {
                match part.split_once('-') {
                    Some((a, b)) => {
                        let (a, b) = (day_of(a)?, day_of(b)?);
                        if a > b {
                            return Err(fail("a day span runs from Monday towards Sunday"));
                        }
                        indices.extend(a..=b);
                    }
                    None => indices.push(day_of(part)?),
                }
            }
            let mut parsed = Vec::new();
            for r in ranges.split(',') {
                parsed.push(DayRange::parse(r.trim())?);
            }
            for i in indices {
                let (Some(slot), Some(seen)) = (week.get_mut(i), seen.get_mut(i)) else {
                    continue;
                };
                if *seen {
                    return Err(fail("a day is named twice"));
                }
                *seen = true;
                slot.clone_from(&parsed);
            }
        }
        Self::new(week, Vec::new())
    }

    /// The same schedule with these closed days (strictly increasing, at most 400).
    pub fn with_closed_days(self, closed_days: Vec<Date>) -> Result<Self, HoursError> {
        Self::new(self.week, closed_days)
    }

    /// The ranges of `weekday`.
    pub fn ranges(&self, weekday: Weekday) -> &[DayRange] {
        self.week.get(day_index(weekday)).map_or(&[], Vec::as_slice)
    }

    /// The weekdays with office hours.
    pub fn working_days(&self) -> Vec<Weekday> {
        let mut day = Weekday::Monday;
        let mut out = Vec::new();
        for ranges in &self.week {
            if !ranges.is_empty() {
                out.push(day);
            }
            day = day.next();
        }
        out
    }

    /// The dates on which the office is closed.
    pub fn closed_days(&self) -> &[Date] {
        &self.closed_days
    }

    /// Whether `date` is a working day (a weekday with hours, not a closed day).
    pub fn is_working_day(&self, date: Date) -> bool {
        !self.ranges(date.weekday()).is_empty() && self.closed_days.binary_search(&date).is_err()
    }

    /// The openings of `date` as instants in `tz`, in order; empty intervals (a range that
    /// falls entirely in a daylight-saving gap) are left out.
    fn openings_on(&self, tz: &TimeZone, date: Date) -> Vec<(Timestamp, Timestamp)> {
        if self.closed_days.binary_search(&date).is_ok() {
            return Vec::new();
        }
        let resolve = |dt: DateTime| tz.to_ambiguous_timestamp(dt).compatible().ok();
        self.ranges(date.weekday())
            .iter()
            .filter_map(|r| {
                let open = resolve(r.open_on(date))?;
                let close = resolve(r.close_on(date)?)?;
                (open < close).then_some((open, close))
            })
            .collect()
    }

    /// The openings that end after `at`, in order, up to the search horizon.
    fn openings_from(
        &self,
        tz: &TimeZone,
        at: Timestamp,
    ) -> impl Iterator<Item = (Timestamp, Timestamp)> {
        let first = at.to_zoned_datetime(tz.clone()).date().yesterday().ok();
        let days = (0..HORIZON_DAYS)
            .filter_map(move |i| first?.checked_add(jiff::Span::new().days(i)).ok());
        days.flat_map(move |d| self.openings_on(tz, d))
            .filter(move |(_, close)| *close > at)
    }

    /// Whether the office is open at `at`, in zone `tz`.
    pub fn is_open(&self, tz: &TimeZone, at: Timestamp) -> bool {
        self.openings_from(tz, at)
            .next()
            .is_some_and(|(open, _)| open <= at)
    }

    /// The earliest instant at or after `at` at which the office is open: `at` itself when it
    /// is open then. `None` when the closed days leave no opening in the next 800 days.
    pub fn next_opening(&self, tz: &TimeZone, at: Timestamp) -> Option<Timestamp> {
        self.openings_from(tz, at)
            .next()
            .map(|(open, _)| open.max(at))
    }

    /// The instant at which `duration` of office time has passed since `at` (counting only
    /// while the office is open). A zero duration gives `at`; a negative one, or one that does
    /// not fit in the next 800 days, gives `None`.
    pub fn add_office_time(
        &self,
        tz: &TimeZone,
        at: Timestamp,
        duration: SignedDuration,
    ) -> Option<Timestamp> {
        if duration.is_negative() {
            return None;
        }
        if duration.is_zero() {
            return Some(at);
        }
        let mut remaining = duration;
        for (open, close) in self.openings_from(tz, at) {
            let start = open.max(at);
            let available = start.duration_until(close);
            if remaining <= available {
                return start.checked_add(remaining).ok();
            }
            remaining = remaining.checked_sub(available)?;
        }
        None
    }
}

impl fmt::Display for OfficeHours {
    /// The operator's text form, grouping consecutive days with the same ranges.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut groups: Vec<String> = Vec::new();
        let mut i = 0;
        while let Some(ranges) = self.week.get(i) {
            let mut j = i;
            while self.week.get(j + 1).is_some_and(|next| next == ranges) {
                j += 1;
            }
            if !ranges.is_empty() {
                let first = DAY_ABBREVIATIONS.get(i).copied().unwrap_or_default();
                let last = DAY_ABBREVIATIONS.get(j).copied().unwrap_or_default();
                let days = if i == j {
                    first.to_owned()
                } else {
                    format!("{first}-{last}")
                };
                let list: Vec<String> = ranges.iter().map(ToString::to_string).collect();
                groups.push(format!("{days} {}", list.join(",")));
            }
            i = j + 1;
        }
        f.write_str(&groups.join("; "))
    }
}

impl fmt::Debug for OfficeHours {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "OfficeHours({self}; {} closed days)",
            self.closed_days.len()
        )
    }
}

impl FromStr for OfficeHours {
    type Err = HoursError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_weekly(s)
    }
}

impl Serialize for OfficeHours {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let [
            monday,
            tuesday,
            wednesday,
            thursday,
            friday,
            saturday,
            sunday,
        ] = self.week.clone();
        OfficeHoursRepr {
            monday,
            tuesday,
            wednesday,
            thursday,
            friday,
            saturday,
            sunday,
            closed_days: self.closed_days.clone(),
        }
        .serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for OfficeHours {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let r = OfficeHoursRepr::deserialize(deserializer)?;
        Self::new(
            [
                r.monday,
                r.tuesday,
                r.wednesday,
                r.thursday,
                r.friday,
                r.saturday,
                r.sunday,
            ],
            r.closed_days,
        )
        .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn paris() -> TimeZone {
        TimeZone::get("Europe/Paris").unwrap()
    }

    fn office() -> OfficeHours {
        OfficeHours::parse_weekly("Mon-Fri 08:00-18:00").unwrap()
    }

    #[test]
    fn parses_and_prints_the_text_form() {
        let h = OfficeHours::parse_weekly(
            "Mon-Thu 08:00-12:00,13:00-17:00; Fri 08:00-15:00; Sun 10:00-24:00",
        )
        .unwrap();
        assert_eq!(
            h.to_string(),
            "Mon-Thu 08:00-12:00,13:00-17:00; Fri 08:00-15:00; Sun 10:00-24:00"
        );
        assert_eq!(h.working_days().len(), 6);
        assert_eq!(OfficeHours::parse_weekly(&h.to_string()).unwrap(), h);
        let all = OfficeHours::parse_weekly("24/7").unwrap();
        assert_eq!(all.to_string(), "Mon-Sun 00:00-24:00");
        assert_eq!(
            OfficeHours::parse_weekly("mon,wed 09:00-10:00")
                .unwrap()
                .to_string(),
            "Mon 09:00-10:00; Wed 09:00-10:00"
        );
    }

    #[test]
    fn refuses_bad_schedules_with_the_reason() {
        for (bad, why) in [
            ("", "no office hours"),
            ("Mon-Fri", "DAYS RANGES"),
            ("Fri-Mon 08:00-10:00", "towards Sunday"),
            ("Mon 08:00-10:00; Mon 11:00-12:00", "named twice"),
            ("Mon 18:00-08:00", "time range"),
            ("Mon 08:00-25:00", "time range"),
            ("Mon 8:00-10:00", "time range"),
            ("Mon 24:00-24:00", "time range"),
            ("Mon 08:00-12:00,11:00-13:00", "overlap"),
            ("Lun 08:00-12:00", "days are"),
        ] {
            let e = OfficeHours::parse_weekly(bad).unwrap_err().to_string();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn json_form_has_every_day_and_round_trips() {
        let h = office()
            .with_closed_days(vec!["2026-12-25".parse().unwrap()])
            .unwrap();
        let json = serde_json::to_string(&h).unwrap();
        assert_eq!(
            json,
            r#"{"monday":["08:00-18:00"],"tuesday":["08:00-18:00"],"wednesday":["08:00-18:00"],"thursday":["08:00-18:00"],"friday":["08:00-18:00"],"saturday":[],"sunday":[],"closed_days":["2026-12-25"]}"#
        );
        assert_eq!(serde_json::from_str::<OfficeHours>(&json).unwrap(), h);
        let missing = json.replace(r#""sunday":[],"#, "");
        assert!(serde_json::from_str::<OfficeHours>(&missing).is_err());
        let reversed = json.replace("08:00-18:00\"],\"tue", "18:00-08:00\"],\"tue");
        let e = serde_json::from_str::<OfficeHours>(&reversed)
            .unwrap_err()
            .to_string();
        assert!(e.contains("18:00-08:00"), "{e}");
        assert!(
            OfficeHours::new(Default::default(), vec![]).is_err(),
            "never open"
        );
        let unordered = office().with_closed_days(vec![
            "2026-12-25".parse().unwrap(),
            "2026-12-24".parse().unwrap(),
        ]);
        assert!(matches!(unordered, Err(HoursError::ClosedDaysOrder(_))));
    }

    #[test]
    fn open_and_closed_in_paris_winter_and_summer() {
        let h = office();
        let tz = paris();
        // Winter: CET = UTC+1. Monday 2026-01-05 08:00 local = 07:00Z.
        assert!(!h.is_open(&tz, ts("2026-01-05T06:59:59Z")));
        assert!(h.is_open(&tz, ts("2026-01-05T07:00:00Z")));
        assert!(h.is_open(&tz, ts("2026-01-05T16:59:59Z")));
        assert!(!h.is_open(&tz, ts("2026-01-05T17:00:00Z")));
        // Summer: CEST = UTC+2. Monday 2026-07-06 08:00 local = 06:00Z.
        assert!(h.is_open(&tz, ts("2026-07-06T06:00:00Z")));
        assert!(!h.is_open(&tz, ts("2026-07-06T16:00:00Z")));
        // Saturday.
        assert!(!h.is_open(&tz, ts("2026-07-04T10:00:00Z")));
    }

    #[test]
    fn next_opening_across_the_spring_change() {
        // Paris moves to summer time on Sunday 2026-03-29 at 02:00 local.
        let h = office();
        let tz = paris();
        // Friday 27 March 19:00 local (18:00Z), after hours: next opening Monday 30 March 08:00
        // CEST = 06:00Z, not 07:00Z as it would have been a week earlier.
        assert_eq!(
            h.next_opening(&tz, ts("2026-03-27T18:00:00Z")),
            Some(ts("2026-03-30T06:00:00Z"))
        );
        assert_eq!(
            h.next_opening(&tz, ts("2026-03-20T18:00:00Z")),
            Some(ts("2026-03-23T07:00:00Z"))
        );
        // Open now: the answer is now.
        assert_eq!(
            h.next_opening(&tz, ts("2026-03-30T09:00:00Z")),
            Some(ts("2026-03-30T09:00:00Z"))
        );
    }

    #[test]
    fn office_time_across_the_autumn_change_and_a_holiday() {
        // Paris returns to winter time on Sunday 2026-10-25 at 03:00 local.
        let h = office();
        let tz = paris();
        // Friday 23 October 17:00 CEST (15:00Z); two hours of office time: one hour on Friday,
        // then Monday 26 October 08:00 CET (07:00Z) + 1 h = 08:00Z.
        assert_eq!(
            h.add_office_time(
                &tz,
                ts("2026-10-23T15:00:00Z"),
                SignedDuration::from_hours(2)
            ),
            Some(ts("2026-10-26T08:00:00Z"))
        );
        // With Monday 26 October closed, it moves to Tuesday.
        let closed = h
            .clone()
            .with_closed_days(vec!["2026-10-26".parse().unwrap()])
            .unwrap();
        assert!(!closed.is_working_day("2026-10-26".parse().unwrap()));
        assert_eq!(
            closed.add_office_time(
                &tz,
                ts("2026-10-23T15:00:00Z"),
                SignedDuration::from_hours(2)
            ),
            Some(ts("2026-10-27T08:00:00Z"))
        );
        // A full working day (10 h) from Monday opening ends Monday closing.
        assert_eq!(
            h.add_office_time(
                &tz,
                ts("2026-10-26T07:00:00Z"),
                SignedDuration::from_hours(10)
            ),
            Some(ts("2026-10-26T17:00:00Z"))
        );
        assert_eq!(
            h.add_office_time(&tz, ts("2026-10-26T07:00:00Z"), SignedDuration::ZERO),
            Some(ts("2026-10-26T07:00:00Z"))
        );
        assert_eq!(
            h.add_office_time(
                &tz,
                ts("2026-10-26T07:00:00Z"),
                SignedDuration::from_hours(-1)
            ),
            None
        );
    }

    #[test]
    fn night_ranges_on_change_days_have_their_real_length() {
        let tz = paris();
        let h = OfficeHours::parse_weekly("Sun 01:00-04:00").unwrap();
        // Spring day: 01:00 CET (00:00Z) to 04:00 CEST (02:00Z) is two real hours.
        assert_eq!(
            h.add_office_time(
                &tz,
                ts("2026-03-29T00:00:00Z"),
                SignedDuration::from_mins(150)
            ),
            // 2 h on 29 March, then 30 min from 01:00 CEST (23:00Z) the next Sunday.
            Some(ts("2026-04-04T23:30:00Z"))
        );
        // Autumn day: 01:00 CEST (23:00Z the day before) to 04:00 CET (03:00Z) is four hours.
        assert_eq!(
            h.add_office_time(
                &tz,
                ts("2026-10-24T23:00:00Z"),
                SignedDuration::from_hours(4)
            ),
            Some(ts("2026-10-25T03:00:00Z"))
        );
        // A range inside the skipped hour is read with the offset before the change, i.e.
        // shifted forward by the gap: 02:15-02:45 is 03:15-03:45 CEST (01:15Z-01:45Z).
        let gap = OfficeHours::parse_weekly("Sun 02:15-02:45").unwrap();
        assert!(gap.is_open(&tz, ts("2026-03-29T01:20:00Z")));
        assert_eq!(
            gap.next_opening(&tz, ts("2026-03-29T00:00:00Z")),
            Some(ts("2026-03-29T01:15:00Z"))
        );
        // A range whose shifted start falls after its end is empty that day: 02:30-03:00.
        let empty = OfficeHours::parse_weekly("Sun 02:30-03:00").unwrap();
        assert_eq!(
            empty.next_opening(&tz, ts("2026-03-29T00:00:00Z")),
            Some(ts("2026-04-05T00:30:00Z"))
        );
    }

    #[test]
    fn new_york_changes_on_another_date() {
        // New York moves to summer time on 2026-03-08, three weeks before Paris.
        let tz = TimeZone::get("America/New_York").unwrap();
        let h = office();
        assert_eq!(
            h.next_opening(&tz, ts("2026-03-07T12:00:00Z")),
            Some(ts("2026-03-09T12:00:00Z")) // 08:00 EDT
        );
        assert_eq!(
            h.next_opening(&tz, ts("2026-02-28T12:00:00Z")),
            Some(ts("2026-03-02T13:00:00Z")) // 08:00 EST
        );
    }

    #[test]
    fn closed_for_ever_has_no_opening() {
        let tz = TimeZone::UTC;
        let start: Date = "2026-01-05".parse().unwrap();
        // Only Mondays, and the next 400 Mondays closed: beyond the 800-day horizon.
        let mondays: Vec<Date> = (0..400)
            .map(|w| start.checked_add(jiff::Span::new().weeks(w)).unwrap())
            .collect();
        let h = OfficeHours::parse_weekly("Mon 08:00-09:00")
            .unwrap()
            .with_closed_days(mondays)
            .unwrap();
        assert_eq!(h.next_opening(&tz, ts("2026-01-04T00:00:00Z")), None);
    }

    fn schedule() -> impl Strategy<Value = OfficeHours> {
        let day = proptest::collection::vec((0u16..1440, 1u16..480), 0..3).prop_map(|v| {
            let mut out: Vec<DayRange> = Vec::new();
            let mut floor = 0u16;
            for (s, len) in v {
                let start = s.max(floor);
                let end = (start + len).min(1440);
                if start < end {
                    out.push(DayRange { start, end });
                    floor = end;
                }
            }
            out
        });
        proptest::array::uniform7(day)
            .prop_filter_map("never open", |week| OfficeHours::new(week, Vec::new()).ok())
    }

    proptest! {
        #[test]
        fn next_opening_is_open_and_not_before(h in schedule(),
                                               secs in 1_700_000_000i64..1_900_000_000i64,
                                               zone in prop::sample::select(vec!["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"])) {
            let tz = TimeZone::get(zone).unwrap();
            let at = Timestamp::from_second(secs).unwrap();
            let next = h.next_opening(&tz, at).unwrap();
            prop_assert!(next >= at);
            prop_assert!(h.is_open(&tz, next));
            if h.is_open(&tz, at) {
                prop_assert_eq!(next, at);
            }
            let later = h.add_office_time(&tz, at, SignedDuration::from_mins(90)).unwrap();
            prop_assert!(later >= next.checked_add(SignedDuration::from_mins(90)).unwrap());
        }

        #[test]
        fn text_and_json_round_trip(h in schedule()) {
            prop_assert_eq!(OfficeHours::parse_weekly(&h.to_string()).unwrap(), h.clone());
            let json = serde_json::to_string(&h).unwrap();
            prop_assert_eq!(serde_json::from_str::<OfficeHours>(&json).unwrap(), h);
        }
    }
}
