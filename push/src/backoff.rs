//! The retry schedule: exponential backoff with jitter, bounded.
//!
//! Jitter spreads retries of many items that failed together (a provider
//! outage at 08:00 when the morning's escalations go out) so that they do
//! not all come back at the same second. "Equal jitter": the delay for
//! attempt n is uniform in [e/2, e] where e = min(cap, base·2ⁿ), so it
//! still grows (unlike full jitter, which can retry at once) and never
//! exceeds the cap.

use std::time::Duration;

use rand::Rng;

/// How often and how long to retry one item on one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The first retry's ceiling.
    pub base: Duration,
    /// No single wait is longer than this (unless the provider's
    /// Retry-After asks for longer, which is honoured).
    pub cap: Duration,
    /// Attempts in all, the first delivery included. After that the item
    /// is given up on this endpoint (it is still in the inbox).
    pub max_attempts: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        // 30 s, 1, 2, 4, 8, 16 min, then 30 min: about an hour of tries,
        // by when the next escalation level will have taken over anyway.
        Self {
            base: Duration::from_secs(30),
            cap: Duration::from_secs(30 * 60),
            max_attempts: 8,
        }
    }
}

impl RetryPolicy {
    /// The exponential ceiling for the retry after failed attempt number
    /// `attempt` (1 = the first delivery failed), before jitter.
    pub fn ceiling(&self, attempt: u32) -> Duration {
        let exp = attempt.saturating_sub(1).min(32);
        let factor = 1u64 << exp;
        let base_ms = u64::try_from(self.base.as_millis()).unwrap_or(u64::MAX);
        let ms = base_ms.saturating_mul(factor);
        Duration::from_millis(ms).min(self.cap)
    }

    /// How long to wait after failed attempt number `attempt` (1-based), or
    /// `None` when the attempts are used up. `retry_after` is the provider's
    /// own wish; the wait is never shorter than it.
    pub fn next_delay<R: Rng + ?Sized>(
        &self,
        attempt: u32,
        retry_after: Option<Duration>,
        rng: &mut R,
    ) -> Option<Duration> {
        if attempt >= self.max_attempts {
            return None;
        }
        let ceiling = self.ceiling(attempt);
        let half = ceiling / 2;
        let spread_ms = u64::try_from((ceiling - half).as_millis()).unwrap_or(u64::MAX);
        let jitter = Duration::from_millis(rng.random_range(0..=spread_ms));
        let delay = half + jitter;
        Some(match retry_after {
            Some(after) => delay.max(after),
            None => delay,
        })
    }

    /// The whole schedule for one seeded RNG (for logs and tests).
    pub fn schedule<R: Rng + ?Sized>(&self, rng: &mut R) -> Vec<Duration> {
        (1..self.max_attempts)
            .filter_map(|attempt| self.next_delay(attempt, None, rng))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    #[test]
    fn default_schedule_doubles_up_to_the_cap_then_stops() {
        let policy = RetryPolicy::default();
        let ceilings: Vec<u64> = (1..policy.max_attempts)
            .map(|a| policy.ceiling(a).as_secs())
            .collect();
        assert_eq!(ceilings, vec![30, 60, 120, 240, 480, 960, 1800]);
        let mut rng = StdRng::seed_from_u64(7);
        assert_eq!(policy.next_delay(8, None, &mut rng), None);
        assert_eq!(policy.schedule(&mut rng).len(), 7);
    }

    #[test]
    fn retry_after_longer_than_the_schedule_wins() {
        let policy = RetryPolicy::default();
        let mut rng = StdRng::seed_from_u64(1);
        let d = policy.next_delay(1, Some(Duration::from_secs(600)), &mut rng);
        assert_eq!(d, Some(Duration::from_secs(600)));
    }

    proptest! {
        #[test]
        fn delay_stays_between_half_the_ceiling_and_the_ceiling(
            seed in any::<u64>(),
            base_ms in 1u64..120_000,
            cap_s in 1u64..7_200,
            attempt in 1u32..40,
        ) {
            let policy = RetryPolicy {
                base: Duration::from_millis(base_ms),
                cap: Duration::from_secs(cap_s),
                max_attempts: 50,
            };
            let mut rng = StdRng::seed_from_u64(seed);
            let ceiling = policy.ceiling(attempt);
            let d = policy.next_delay(attempt, None, &mut rng);
            prop_assert!(d.is_some());
            let d = d.unwrap_or_default();
            prop_assert!(d <= ceiling && d <= policy.cap);
            prop_assert!(d >= ceiling / 2);
        }

        #[test]
        fn ceilings_never_decrease(base_ms in 1u64..120_000, cap_s in 1u64..7_200) {
            let policy = RetryPolicy {
                base: Duration::from_millis(base_ms),
                cap: Duration::from_secs(cap_s),
                max_attempts: 60,
            };
            for a in 1..59 {
                prop_assert!(policy.ceiling(a) <= policy.ceiling(a + 1));
            }
        }

        #[test]
        fn the_same_seed_gives_the_same_schedule(seed in any::<u64>()) {
            let policy = RetryPolicy::default();
            let a = policy.schedule(&mut StdRng::seed_from_u64(seed));
            let b = policy.schedule(&mut StdRng::seed_from_u64(seed));
            prop_assert_eq!(a, b);
        }

        #[test]
        fn never_more_attempts_than_allowed(seed in any::<u64>(), max in 1u32..20, attempt in 0u32..40) {
            let policy = RetryPolicy { max_attempts: max, ..RetryPolicy::default() };
            let d = policy.next_delay(attempt, None, &mut StdRng::seed_from_u64(seed));
            prop_assert_eq!(d.is_none(), attempt >= max);
        }
    }
}
