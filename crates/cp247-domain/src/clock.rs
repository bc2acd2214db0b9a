//! The one source of time for business code.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use jiff::{SignedDuration, Timestamp};

/// Where business code reads the current instant. Production uses [`SystemClock`]; tests use
/// [`ManualClock`] to drive months of deadlines in milliseconds.
pub trait Clock: Send + Sync + fmt::Debug {
    /// The current instant, in UTC.
    fn now(&self) -> Timestamp;
}

/// The operating system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // the one sanctioned read of the system time
    fn now(&self) -> Timestamp {
        Timestamp::now()
    }
}

/// A clock that only moves when told to. Cloning shares the same time.
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<Timestamp>>,
}

impl ManualClock {
    /// A clock stopped at `start`.
    pub fn new(start: Timestamp) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
        }
    }

    /// Moves the clock to `to` (which may be in the past, to test clock skew).
    pub fn set(&self, to: Timestamp) {
        let mut guard = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *guard = to;
    }

    /// Moves the clock forward by `by`. Saturates at the end of the representable range.
    pub fn advance(&self, by: SignedDuration) {
        let mut guard = self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        *guard = guard.saturating_add(by).unwrap_or(*guard);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Timestamp {
        *self
            .now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A clock that a test network may move forward: the node's clock plus an offset that only
/// grows. Enabled by `[testing] clock_control` (loopback test nodes only).
#[derive(Debug)]
pub struct TestClock {
    inner: Arc<dyn Clock>,
    offset_us: AtomicI64,
}

impl TestClock {
    /// `inner` plus a zero offset.
    pub fn new(inner: Arc<dyn Clock>) -> Self {
        Self {
            inner,
            offset_us: AtomicI64::new(0),
        }
    }

    /// Moves the clock forward by `by` (a negative or zero duration changes nothing); returns
    /// the total offset.
    pub fn advance(&self, by: SignedDuration) -> SignedDuration {
        let add = by.as_micros().clamp(0, i128::from(i64::MAX));
        let add = i64::try_from(add).unwrap_or(i64::MAX);
        let total = self
            .offset_us
            .fetch_add(add, Ordering::SeqCst)
            .saturating_add(add);
        SignedDuration::from_micros(total)
    }

    /// The current offset.
    pub fn offset(&self) -> SignedDuration {
        SignedDuration::from_micros(self.offset_us.load(Ordering::SeqCst))
    }
}

impl Clock for TestClock {
    fn now(&self) -> Timestamp {
        let at = self.inner.now();
        at.checked_add(self.offset()).unwrap_or(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manual_clock_moves_only_when_told() {
        let start: Timestamp = "2026-03-29T00:30:00Z".parse().unwrap();
        let clock = ManualClock::new(start);
        let shared = clock.clone();
        assert_eq!(clock.now(), start);
        shared.advance(SignedDuration::from_hours(2));
        assert_eq!(
            clock.now(),
            "2026-03-29T02:30:00Z".parse::<Timestamp>().unwrap()
        );
        clock.set(start);
        assert_eq!(shared.now(), start);
    }
}
