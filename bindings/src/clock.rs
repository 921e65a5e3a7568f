//! The device's clock as the shell may give it. Phones use the system
//! clock (`GridworkStore.open`); a benchmark or a test that needs history
//! (a year of visits recorded on a store) opens the store with its own
//! clock and moves it. The phone's clock is the person's to set anyway:
//! the server keeps its own time for every rule, so this adds no trust.

use std::sync::Arc;

use chrono::{DateTime, Utc};

/// Implemented in Kotlin/Swift: the time the store should see.
#[uniffi::export(with_foreign)]
pub trait DeviceClock: Send + Sync {
    /// Milliseconds since the Unix epoch (UTC).
    fn now_ms(&self) -> i64;
}

/// Adapts the foreign clock to the core's.
pub(crate) struct ForeignClock(pub Arc<dyn DeviceClock>);

impl std::fmt::Debug for ForeignClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ForeignClock")
    }
}

impl gridwork_core::clock::Clock for ForeignClock {
    fn now(&self) -> DateTime<Utc> {
        let ms = self.0.now_ms();
        DateTime::from_timestamp_millis(ms).unwrap_or_else(|| {
            tracing::warn!(
                ms,
                "the shell's clock gave a time out of range; using the system clock"
            );
            Utc::now()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gridwork_core::clock::Clock;

    struct Fixed(i64);
    impl DeviceClock for Fixed {
        fn now_ms(&self) -> i64 {
            self.0
        }
    }

    #[test]
    fn the_store_sees_the_shells_time_and_an_impossible_one_falls_back() {
        let at = 1_767_225_600_000; // 2026-01-01T00:00:00Z
        assert_eq!(
            ForeignClock(Arc::new(Fixed(at))).now().timestamp_millis(),
            at
        );
        let fallback = ForeignClock(Arc::new(Fixed(i64::MAX))).now();
        assert!(
            (fallback - Utc::now()).num_seconds().abs() < 60,
            "{fallback}"
        );

        let path = std::env::temp_dir().join(format!("gw-clock-{}.db", std::process::id()));
        let store = crate::store::GridworkStore::open_with_clock(
            path.to_string_lossy().into_owned(),
            None,
            Arc::new(Fixed(at)),
        )
        .unwrap();
        assert!(!store.device_id().unwrap().is_empty());
        store.shutdown();
        let _ = std::fs::remove_file(&path);
    }
}
