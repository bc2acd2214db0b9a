//! Time arithmetic in a contact point's own zone and office hours.
//!
//! Deadlines are counted where the person who owes the answer works: the acknowledgement of a
//! routine request in the requested contact point's working days, a reminder "7 days before"
//! at the same wall-clock time seven calendar days earlier in the reminded node's zone. Office
//! hours and working days come from the directory ([`cp247_directory::hours::OfficeHours`],
//! which resolves daylight-saving gaps and folds with jiff's "compatible" rule; so does this
//! module).
//!
//! **Working days.** `n` working days from an instant: the clock starts at the next moment the
//! office is open (the instant itself when it is open), and runs to the same wall-clock time on
//! the `n`-th following working day; if the office is closed then, the deadline is its next
//! opening. A routine request received on Friday at 19:00 in Paris (office Mon–Fri 08:00–18:00)
//! is due on Tuesday at 08:00: the whole of Monday is the one working day.

use cp247_directory::ContactPoint;
use cp247_directory::hours::OfficeHours;
use cp247_domain::ZoneName;
use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Span, Timestamp, ZonedDateTime};
use serde::{Deserialize, Serialize};

/// How many days are searched for a working day.
const HORIZON_DAYS: u16 = 800;

/// How long something may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// Elapsed time, night and day (urgent and emergency requests).
    Elapsed(SignedDuration),
    /// Time while the office is open.
    OfficeTime(SignedDuration),
    /// Working days, as described in the module documentation.
    WorkingDays(u8),
}

/// The end of `limit` from `from` for an office that never closes (every day a working day):
/// what is left when no calendar is known.
pub fn elapsed_deadline(from: Timestamp, limit: Limit) -> Option<Timestamp> {
    match limit {
        Limit::Elapsed(d) | Limit::OfficeTime(d) => from.checked_add(d).ok(),
        Limit::WorkingDays(n) => from
            .checked_add(SignedDuration::from_hours(24 * i64::from(n)))
            .ok(),
    }
}

/// A contact point's zone, office hours and working days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeCalendar {
    zone: ZoneName,
    hours: OfficeHours,
}

impl OfficeCalendar {
    /// A calendar from a zone and office hours.
    pub fn new(zone: ZoneName, hours: OfficeHours) -> Self {
        Self { zone, hours }
    }

    /// The calendar of a contact point of the directory.
    pub fn of(contact_point: &ContactPoint) -> Self {
        Self::new(
            contact_point.time_zone.clone(),
            contact_point.office_hours.clone(),
        )
    }

    /// The zone.
    pub fn zone(&self) -> &ZoneName {
        &self.zone
    }

    /// The office hours.
    pub fn hours(&self) -> &OfficeHours {
        &self.hours
    }

    fn tz(&self) -> TimeZone {
        self.zone.time_zone()
    }

    /// The instant `at` in this calendar's zone.
    pub fn zoned(&self, at: Timestamp) -> ZonedDateTime {
        at.to_zoned_datetime(self.tz())
    }

    /// The end of the limit started at `from`; `None` if it does not fit in the next 800 days
    /// of the calendar (an office closed for ever) or overflows.
    pub fn deadline(&self, from: Timestamp, limit: Limit) -> Option<Timestamp> {
        match limit {
            Limit::Elapsed(d) => from.checked_add(d).ok(),
            Limit::OfficeTime(d) => self.hours.add_office_time(&self.tz(), from, d),
            Limit::WorkingDays(n) => self.add_working_days(from, n),
        }
    }

    /// `n` working days from `from` (see the module documentation).
    pub fn add_working_days(&self, from: Timestamp, n: u8) -> Option<Timestamp> {
        let tz = self.tz();
        let start = self.hours.next_opening(&tz, from)?;
        if n == 0 {
            return Some(start);
        }
        let local = start.to_zoned_datetime(tz.clone());
        let mut date = local.date();
        let mut counted = 0u8;
        let mut steps = 0u16;
        while counted < n {
            date = date.tomorrow().ok()?;
            steps += 1;
            if steps > HORIZON_DAYS {
                return None;
            }
            if self.hours.is_working_day(date) {
                counted += 1;
            }
        }
        let target = tz
            .to_ambiguous_timestamp(date.to_datetime(local.time()))
            .compatible()
            .ok()?;
        self.hours.next_opening(&tz, target)
    }

    /// The same wall-clock time `days` calendar days before `at`, in this zone (so a reminder
    /// "7 days before" stays at the same local time across a daylight-saving change).
    pub fn days_before(&self, at: Timestamp, days: u16) -> Option<Timestamp> {
        self.zoned(at)
            .checked_sub(Span::new().days(i64::from(days)))
            .ok()
            .map(|z| z.timestamp())
    }

    /// The end of `date` in this zone: the next day's midnight (a date-only deadline is met
    /// by any time on that day).
    pub fn end_of(&self, date: Date) -> Option<Timestamp> {
        let next = date.tomorrow().ok()?;
        self.tz()
            .to_ambiguous_timestamp(next.to_datetime(jiff::civil::Time::midnight()))
            .compatible()
            .ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn paris() -> OfficeCalendar {
        OfficeCalendar::new(
            ZoneName::parse("Europe/Paris").unwrap(),
            OfficeHours::parse_weekly("Mon-Fri 08:00-18:00").unwrap(),
        )
    }

    #[test]
    fn working_days_start_at_the_next_opening() {
        let c = paris();
        // Tuesday 10:00 (winter): Wednesday 10:00.
        assert_eq!(
            c.add_working_days(ts("2026-02-03T09:00:00Z"), 1),
            Some(ts("2026-02-04T09:00:00Z"))
        );
        // Tuesday 07:00, before opening: the clock starts at 08:00.
        assert_eq!(
            c.add_working_days(ts("2026-02-03T06:00:00Z"), 1),
            Some(ts("2026-02-04T07:00:00Z"))
        );
        // Zero working days: the next opening.
        assert_eq!(
            c.add_working_days(ts("2026-02-07T12:00:00Z"), 0),
            Some(ts("2026-02-09T07:00:00Z"))
        );
    }

    #[test]
    fn a_closed_day_is_skipped() {
        let c = OfficeCalendar::new(
            ZoneName::parse("Europe/Paris").unwrap(),
            OfficeHours::parse_weekly("Mon-Fri 08:00-18:00")
                .unwrap()
                .with_closed_days(vec!["2026-05-01".parse().unwrap()])
                .unwrap(),
        );
        // Thursday 30 April 2026 15:00 CEST; Friday 1 May is closed: Monday 4 May 15:00.
        assert_eq!(
            c.add_working_days(ts("2026-04-30T13:00:00Z"), 1),
            Some(ts("2026-05-04T13:00:00Z"))
        );
    }

    #[test]
    fn deadline_kinds() {
        let c = paris();
        let t = ts("2026-02-06T16:00:00Z"); // Friday 17:00
        assert_eq!(
            c.deadline(t, Limit::Elapsed(SignedDuration::from_hours(2))),
            Some(ts("2026-02-06T18:00:00Z"))
        );
        // One office hour on Friday, one on Monday morning.
        assert_eq!(
            c.deadline(t, Limit::OfficeTime(SignedDuration::from_hours(2))),
            Some(ts("2026-02-09T08:00:00Z"))
        );
        assert_eq!(
            c.deadline(t, Limit::WorkingDays(1)),
            Some(ts("2026-02-09T16:00:00Z"))
        );
    }

    #[test]
    fn days_before_keeps_the_wall_clock_time() {
        let c = paris();
        // 10 April 2026 17:00 CEST; 14 days before is 27 March 17:00 CET.
        assert_eq!(
            c.days_before(ts("2026-04-10T15:00:00Z"), 14),
            Some(ts("2026-03-27T16:00:00Z"))
        );
        assert_eq!(
            c.end_of("2026-03-28".parse().unwrap()),
            Some(ts("2026-03-28T23:00:00Z"))
        );
        // 29 March, the day of the change, has 23 hours: it ends at 22:00 UTC.
        assert_eq!(
            c.end_of("2026-03-29".parse().unwrap()),
            Some(ts("2026-03-29T22:00:00Z"))
        );
    }
}
