//! Where "now" comes from. The store asks a `Clock` so that tests, the demo's
//! fast day and the escalation engine's test clock can move time.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, DurationRound, TimeZone, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + std::fmt::Debug {
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock, truncated to milliseconds (what we store).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        trunc_ms(Utc::now())
    }
}

/// A clock moved by hand.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock(Arc::new(Mutex::new(trunc_ms(start))))
    }

    pub fn set(&self, t: DateTime<Utc>) {
        if let Ok(mut g) = self.0.lock() {
            *g = trunc_ms(t);
        }
    }

    /// Move to `t` unless that is in the past; `Err` carries the current
    /// time then. One step, so two callers cannot move it backwards.
    pub fn advance_to(&self, t: DateTime<Utc>) -> Result<(), DateTime<Utc>> {
        let t = trunc_ms(t);
        let mut g = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if t < *g {
            return Err(*g);
        }
        *g = t;
        Ok(())
    }

    pub fn advance(&self, d: Duration) {
        if let Ok(mut g) = self.0.lock() {
            *g += d;
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        match self.0.lock() {
            Ok(g) => *g,
            Err(poisoned) => *poisoned.into_inner(),
        }
    }
}

/// Drop sub-millisecond precision so a time survives a round trip through
/// an INTEGER column unchanged (the hash chain depends on it).
pub fn trunc_ms(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(Duration::milliseconds(1)).unwrap_or(t)
}

/// Milliseconds since the epoch, as stored.
pub fn to_ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// Back from stored milliseconds.
pub fn from_ms(ms: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(ms).single().unwrap_or_default()
}
