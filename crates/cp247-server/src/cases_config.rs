//! The deadline policy of `[cases]`: how long a person of the requested side has to
//! acknowledge a request, by urgency, and how many days before the end of a preservation the
//! node reminds its officers.
//!
//! ```toml
//! [cases]
//! ack_limit = { emergency = "30m", urgent = "2h", routine = "1 working day" }
//! preservation_reminders = ["14d", "7d", "1d"]
//! ```
//!
//! An acknowledgement limit is elapsed time, night and day (`90s`, `30m`, `2h`, `1d`), time
//! while the requested office is open (`4h office time`), or working days of the requested
//! office (`1 working day`, `3 working days`) — counted in that office's zone, hours and working
//! days from the directory. A missing urgency keeps its default (emergency `30m`, urgent `2h`,
//! routine `1 working day`). Reminders are whole calendar days before the end (`14d`), listed
//! from the earliest to the latest, each once, at most [`MAX_REMINDERS`]; an empty list turns
//! the expiry reminders off (the expiry itself is still recorded). An environment override may
//! write the list as one string: `CP247__CASES__PRESERVATION_REMINDERS="14d,7d,1d"`.
//!
//! Every value is parsed when the file is read: a zero, a negative, an unknown unit, a
//! duplicate, a list out of order or too long is refused with the key and what is wrong.

use std::fmt;
use std::str::FromStr;

use cp247_case::{DeadlinePolicy, Limit};
use jiff::SignedDuration;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The most preservation reminders.
pub const MAX_REMINDERS: usize = 10;
/// The longest acknowledgement limit in elapsed or office time.
const MAX_ACK_SECS: i64 = 30 * 86_400;
/// The most working days for an acknowledgement.
const MAX_ACK_WORKING_DAYS: u8 = 30;
/// The most days before the end a reminder may fire.
const MAX_REMINDER_DAYS: u16 = 366;

/// One acknowledgement limit, as written in `[cases] ack_limit`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AckLimit(Limit);

impl AckLimit {
    /// The limit.
    pub fn limit(&self) -> Limit {
        self.0
    }

    /// Refuses a zero, negative or too long time.
    fn check_time(d: SignedDuration) -> Result<(), String> {
        if d.is_negative() {
            return Err("a limit cannot be negative".into());
        }
        if d.is_zero() {
            return Err("a limit must be more than zero".into());
        }
        if d.as_secs() > MAX_ACK_SECS {
            return Err("a limit of more than 30 days is not an acknowledgement limit".into());
        }
        Ok(())
    }
}

/// Parses `"45s"`, `"30m"`, `"2h"`, `"1d"` into a positive duration, or says why not.
fn parse_span(text: &str, example: &str) -> Result<SignedDuration, String> {
    let bad = || {
        format!(
            "'{}' is not a duration: write a whole number and a unit, e.g. {example}",
            text.chars().take(40).collect::<String>()
        )
    };
    if let Some(rest) = text.strip_prefix('-')
        && rest.starts_with(|c: char| c.is_ascii_digit())
    {
        return Err(format!(
            "'{}' is negative: a time must be more than zero",
            text.chars().take(40).collect::<String>()
        ));
    }
    let split = text.find(|c: char| !c.is_ascii_digit()).ok_or_else(bad)?;
    let (number, unit) = text.split_at(split);
    if number.is_empty() || number.len() > 9 {
        return Err(bad());
    }
    let n: i64 = number.parse().map_err(|_| bad())?;
    let secs_per = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3_600,
        "d" => 86_400,
        _ => return Err(bad()),
    };
    Ok(SignedDuration::from_secs(n.saturating_mul(secs_per)))
}

impl FromStr for AckLimit {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let shown = || text.chars().take(40).collect::<String>();
        let words: Vec<&str> = text.split_whitespace().collect();
        match words.as_slice() {
            [span] => {
                let d = parse_span(span, "30m, 2h, \"4h office time\" or \"1 working day\"")?;
                Self::check_time(d)?;
                Ok(Self(Limit::Elapsed(d)))
            }
            [span, "office", "time"] => {
                let d = parse_span(span, "\"4h office time\"")?;
                Self::check_time(d)?;
                Ok(Self(Limit::OfficeTime(d)))
            }
            [n, "working", unit] if *unit == "day" || *unit == "days" => {
                if n.starts_with('-') {
                    return Err(format!(
                        "'{}' is negative: a limit must be at least 1 working day",
                        shown()
                    ));
                }
                let n: u8 = n.parse().map_err(|_| {
                    format!(
                        "'{}' is not a number of working days: write e.g. \"1 working day\" or \"3 working days\"",
                        shown()
                    )
                })?;
                if n == 0 {
                    return Err("a limit must be at least 1 working day, not 0".into());
                }
                if n > MAX_ACK_WORKING_DAYS {
                    return Err(format!(
                        "{n} working days is more than the {MAX_ACK_WORKING_DAYS} an acknowledgement may take"
                    ));
                }
                Ok(Self(Limit::WorkingDays(n)))
            }
            _ => Err(format!(
                "'{}' is not an acknowledgement limit: write elapsed time (30m, 2h), office time (\"4h office time\") or working days (\"1 working day\")",
                shown()
            )),
        }
    }
}

/// Writes a positive whole number of seconds with the largest unit that divides it.
fn span_text(d: SignedDuration) -> String {
    let secs = d.as_secs();
    for (unit, per) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if secs != 0 && secs % per == 0 {
            return format!("{}{unit}", secs / per);
        }
    }
    format!("{secs}s")
}

impl fmt::Display for AckLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Limit::Elapsed(d) => f.write_str(&span_text(d)),
            Limit::OfficeTime(d) => write!(f, "{} office time", span_text(d)),
            Limit::WorkingDays(1) => f.write_str("1 working day"),
            Limit::WorkingDays(n) => write!(f, "{n} working days"),
        }
    }
}

impl Serialize for AckLimit {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for AckLimit {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

fn default_emergency() -> AckLimit {
    AckLimit(DeadlinePolicy::default().acknowledge_emergency)
}
fn default_urgent() -> AckLimit {
    AckLimit(DeadlinePolicy::default().acknowledge_urgent)
}
fn default_routine() -> AckLimit {
    AckLimit(DeadlinePolicy::default().acknowledge_routine)
}

/// `[cases] ack_limit`: the acknowledgement limit of each urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AckLimits {
    /// An emergency request (default 30m).
    #[serde(default = "default_emergency")]
    pub emergency: AckLimit,
    /// An urgent request (default 2h).
    #[serde(default = "default_urgent")]
    pub urgent: AckLimit,
    /// A routine request (default 1 working day).
    #[serde(default = "default_routine")]
    pub routine: AckLimit,
}

impl Default for AckLimits {
    fn default() -> Self {
        Self {
            emergency: default_emergency(),
            urgent: default_urgent(),
            routine: default_routine(),
        }
    }
}

impl AckLimits {
    /// Refuses an emergency limit longer than the urgent one, when both count the same kind
    /// of time (elapsed, office time or working days).
    pub fn check(&self) -> Result<(), String> {
        let longer = match (self.emergency.0, self.urgent.0) {
            (Limit::Elapsed(e), Limit::Elapsed(u))
            | (Limit::OfficeTime(e), Limit::OfficeTime(u)) => e > u,
            (Limit::WorkingDays(e), Limit::WorkingDays(u)) => e > u,
            (Limit::Elapsed(_), _) | (Limit::OfficeTime(_), _) | (Limit::WorkingDays(_), _) => {
                false
            }
        };
        if longer {
            return Err(format!(
                "the emergency limit ({}) is longer than the urgent one ({}): an emergency must be acknowledged sooner",
                self.emergency, self.urgent
            ));
        }
        Ok(())
    }
}

/// `[cases] preservation_reminders`: the days before the end of a preservation at which the
/// node reminds its officers, earliest first, each once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReminderDays(Vec<u16>);

impl ReminderDays {
    /// The days, earliest reminder (most days before) first.
    pub fn days(&self) -> &[u16] {
        &self.0
    }

    /// Checks `days`: each 1 to 366, no duplicate, from the most days before to the fewest,
    /// at most [`MAX_REMINDERS`].
    pub fn new(days: Vec<u16>) -> Result<Self, String> {
        if days.len() > MAX_REMINDERS {
            return Err(format!(
                "{} reminders are too many: at most {MAX_REMINDERS}",
                days.len()
            ));
        }
        for d in &days {
            if *d == 0 {
                return Err(
                    "0d is not a reminder before the end (the end itself is always recorded)"
                        .into(),
                );
            }
            if *d > MAX_REMINDER_DAYS {
                return Err(format!(
                    "{d}d is more than {MAX_REMINDER_DAYS} days before the end"
                ));
            }
        }
        for (i, d) in days.iter().enumerate() {
            if days[..i].contains(d) {
                return Err(format!("{d}d appears more than once"));
            }
        }
        for pair in days.windows(2) {
            if let [a, b] = pair
                && a < b
            {
                return Err(format!(
                    "the reminders are out of order ({a}d before {b}d): list them from the earliest to the latest, e.g. [\"14d\", \"7d\", \"1d\"]"
                ));
            }
        }
        Ok(Self(days))
    }

    fn parse_one(text: &str) -> Result<u16, String> {
        let text = text.trim();
        let shown = text.chars().take(40).collect::<String>();
        if text.starts_with('-') {
            return Err(format!(
                "'{shown}' is negative: a reminder is a number of days before the end, e.g. 7d"
            ));
        }
        let number = text.strip_suffix('d').ok_or_else(|| {
            format!("'{shown}' is not a number of days: write e.g. 14d (whole calendar days)")
        })?;
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) || number.len() > 5 {
            return Err(format!(
                "'{shown}' is not a number of days: write e.g. 14d (whole calendar days)"
            ));
        }
        number
            .parse()
            .map_err(|_| format!("'{shown}' is more than {MAX_REMINDER_DAYS} days"))
    }

    fn parse_all<'a>(texts: impl Iterator<Item = &'a str>) -> Result<Self, String> {
        let days = texts
            .map(Self::parse_one)
            .collect::<Result<Vec<u16>, String>>()?;
        Self::new(days)
    }
}

impl Default for ReminderDays {
    /// 14, 7 and 1 days before the end.
    fn default() -> Self {
        Self(DeadlinePolicy::default().expiry_reminder_days)
    }
}

impl Serialize for ReminderDays {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|d| format!("{d}d")))
    }
}

impl<'de> Deserialize<'de> for ReminderDays {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Written {
            List(Vec<String>),
            Text(String),
        }
        let parsed = match Written::deserialize(deserializer)? {
            Written::List(items) => Self::parse_all(items.iter().map(String::as_str)),
            Written::Text(text) if text.trim().is_empty() => Self::new(Vec::new()),
            Written::Text(text) => Self::parse_all(text.split(',')),
        };
        parsed.map_err(serde::de::Error::custom)
    }
}

/// The policy the scheduler and the case views use: the configured limits and reminders, the
/// crate's defaults for the rest (answers to a request for information, the follow-up margin).
pub fn policy(ack: &AckLimits, reminders: &ReminderDays) -> DeadlinePolicy {
    DeadlinePolicy {
        acknowledge_emergency: ack.emergency.limit(),
        acknowledge_urgent: ack.urgent.limit(),
        acknowledge_routine: ack.routine.limit(),
        expiry_reminder_days: reminders.days().to_vec(),
        ..DeadlinePolicy::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_and_print() {
        for (text, limit) in [
            ("30m", Limit::Elapsed(SignedDuration::from_mins(30))),
            ("2h", Limit::Elapsed(SignedDuration::from_hours(2))),
            ("90s", Limit::Elapsed(SignedDuration::from_secs(90))),
            ("1d", Limit::Elapsed(SignedDuration::from_hours(24))),
            (
                "4h office time",
                Limit::OfficeTime(SignedDuration::from_hours(4)),
            ),
            ("1 working day", Limit::WorkingDays(1)),
            ("3 working days", Limit::WorkingDays(3)),
        ] {
            let parsed: AckLimit = text.parse().unwrap();
            assert_eq!(parsed.limit(), limit, "{text}");
            assert_eq!(parsed.to_string(), text);
        }
    }

    #[test]
    fn bad_limits_say_what_is_wrong() {
        for (text, words) in [
            ("0m", "more than zero"),
            ("-30m", "negative"),
            ("0 working days", "at least 1 working day"),
            ("-1 working day", "negative"),
            ("31d", "more than 30 days"),
            ("40 working days", "more than the 30"),
            ("2 weeks", "not an acknowledgement limit"),
            ("2w", "not a duration"),
            ("1.5h", "not a duration"),
            ("", "not an acknowledgement limit"),
            ("x working days", "not a number of working days"),
        ] {
            let err = text.parse::<AckLimit>().unwrap_err();
            assert!(err.contains(words), "{text}: {err}");
        }
    }

    #[test]
    fn reminder_lists_are_checked() {
        let ok = |texts: &[&str]| ReminderDays::parse_all(texts.iter().copied());
        assert_eq!(ok(&["14d", "7d", "1d"]).unwrap().days(), [14, 7, 1]);
        assert_eq!(ok(&["30d"]).unwrap().days(), [30]);
        assert!(ok(&[]).unwrap().days().is_empty());
        for (texts, words) in [
            (vec!["14d", "0d"], "0d is not a reminder"),
            (vec!["-7d"], "negative"),
            (vec!["7d", "14d"], "out of order"),
            (vec!["7d", "7d"], "more than once"),
            (vec!["7"], "not a number of days"),
            (vec!["2w"], "not a number of days"),
            (vec!["400d"], "more than 366"),
            (vec!["99999d"], "more than 366"),
        ] {
            let err = ok(texts.as_slice()).unwrap_err();
            assert!(err.contains(words), "{texts:?}: {err}");
        }
        let many: Vec<String> = (1..=11).rev().map(|d| format!("{d}d")).collect();
        let err = ReminderDays::parse_all(many.iter().map(String::as_str)).unwrap_err();
        assert!(err.contains("too many"), "{err}");
    }

    #[test]
    fn the_emergency_limit_is_not_longer_than_the_urgent_one() {
        assert!(AckLimits::default().check().is_ok());
        let limits = AckLimits {
            emergency: "3h".parse().unwrap(),
            ..AckLimits::default()
        };
        let err = limits.check().unwrap_err();
        assert!(err.contains("emergency"), "{err}");
        // Different kinds of time are not compared.
        let limits = AckLimits {
            emergency: "5h office time".parse().unwrap(),
            ..AckLimits::default()
        };
        assert!(limits.check().is_ok());
    }

    #[test]
    fn the_defaults_are_the_crate_policy() {
        assert_eq!(
            policy(&AckLimits::default(), &ReminderDays::default()),
            DeadlinePolicy::default()
        );
    }
}
