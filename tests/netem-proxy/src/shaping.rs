//! The pure parts of the link: the token bucket and the cut budgets.
//! No sockets and no clock reads here, so both are tested on their own.

use std::time::{Duration, Instant};

use crate::profile::Direction;

/// A token bucket that lets callers go into debt: a reservation always
/// succeeds and says how long to wait before the bytes may leave. By any
/// time `t` after the first reservation, at most `burst + rate · t` bytes
/// have been released, whoever reserved them; that is the bound tests
/// assert against.
#[derive(Debug, Default)]
pub(crate) struct TokenBucket {
    tokens: f64,
    last: Option<Instant>,
}

impl TokenBucket {
    /// Takes `bytes` worth of tokens at `now` and returns how long the
    /// caller must wait before sending them.
    pub(crate) fn reserve(&mut self, bytes: u64, rate: u64, burst: u64, now: Instant) -> Duration {
        let rate = rate.max(1) as f64;
        let burst = burst.max(1) as f64;
        self.tokens = match self.last {
            // The first use, or the first after an unshaped spell: full.
            None => burst,
            Some(last) => {
                let refill = now.saturating_duration_since(last).as_secs_f64() * rate;
                (self.tokens + refill).min(burst)
            }
        };
        self.last = Some(now);
        self.tokens -= bytes as f64;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::try_from_secs_f64(-self.tokens / rate).unwrap_or(Duration::MAX)
        }
    }

    /// Forgets the history: the next reservation finds the bucket full.
    pub(crate) fn reset(&mut self) {
        self.last = None;
        self.tokens = 0.0;
    }
}

/// The armed cuts of both directions.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Cuts {
    /// One-shot: bytes left before the link dies, counted over every
    /// connection from the moment it was armed; disarmed once it fires.
    once: [Option<u64>; 2],
    /// Standing: each connection dies after this many bytes of its own.
    each: [Option<u64>; 2],
    /// One-shot corruption: bytes to let through untouched before one is
    /// flipped, counted over every connection from the moment it was armed.
    flip: [Option<u64>; 2],
}

/// What the cut budgets allow of a chunk just read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Admission {
    /// How many of the chunk's bytes may still be forwarded.
    pub(crate) take: u64,
    /// Whether the connection dies right after those bytes.
    pub(crate) cut: bool,
}

impl Cuts {
    pub(crate) fn arm_once(&mut self, direction: Direction, bytes: u64) {
        self.once[direction.index()] = Some(bytes);
    }

    pub(crate) fn arm_each(&mut self, direction: Direction, bytes: Option<u64>) {
        self.each[direction.index()] = bytes;
    }

    pub(crate) fn clear(&mut self) {
        *self = Cuts::default();
    }

    pub(crate) fn arm_flip(&mut self, direction: Direction, bytes: u64) {
        self.flip[direction.index()] = Some(bytes);
    }

    /// Of a chunk of `bytes` about to be forwarded, the index of the one to
    /// corrupt, if the armed flip falls inside it (then it is disarmed).
    pub(crate) fn flip_in(&mut self, direction: Direction, bytes: u64) -> Option<u64> {
        let i = direction.index();
        let left = self.flip[i]?;
        if left < bytes {
            self.flip[i] = None;
            Some(left)
        } else {
            self.flip[i] = Some(left - bytes);
            None
        }
    }

    /// A connection has read `bytes` in `direction` after forwarding
    /// `so_far` earlier ones that way: how many may go on, and whether the
    /// link dies after them. A cut fires as soon as its budget is used up,
    /// so a budget of `n` lets exactly `n` bytes through.
    pub(crate) fn admit(&mut self, direction: Direction, bytes: u64, so_far: u64) -> Admission {
        let i = direction.index();
        let mut admission = Admission {
            take: bytes,
            cut: false,
        };
        if let Some(limit) = self.each[i] {
            let left = limit.saturating_sub(so_far);
            if left <= admission.take {
                admission = Admission {
                    take: left,
                    cut: true,
                };
            }
        }
        if let Some(left) = self.once[i] {
            if left <= admission.take {
                admission = Admission {
                    take: left,
                    cut: true,
                };
                self.once[i] = None;
            } else {
                self.once[i] = Some(left - admission.take);
            }
        }
        admission
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RATE: u64 = 1000;
    const BURST: u64 = 100;

    #[test]
    fn a_fresh_bucket_lets_the_burst_through_at_once() {
        let mut bucket = TokenBucket::default();
        let t0 = Instant::now();
        assert_eq!(bucket.reserve(BURST, RATE, BURST, t0), Duration::ZERO);
        assert_eq!(
            bucket.reserve(100, RATE, BURST, t0),
            Duration::from_millis(100)
        );
    }

    #[test]
    fn debt_adds_up_across_reservations() {
        let mut bucket = TokenBucket::default();
        let t0 = Instant::now();
        bucket.reserve(BURST, RATE, BURST, t0);
        assert_eq!(
            bucket.reserve(50, RATE, BURST, t0),
            Duration::from_millis(50)
        );
        assert_eq!(
            bucket.reserve(50, RATE, BURST, t0),
            Duration::from_millis(100)
        );
        // 100 ms later the debt is paid and 50 more cost 50 ms.
        let t1 = t0 + Duration::from_millis(100);
        assert_eq!(
            bucket.reserve(50, RATE, BURST, t1),
            Duration::from_millis(50)
        );
    }

    #[test]
    fn an_idle_bucket_refills_only_to_its_depth() {
        let mut bucket = TokenBucket::default();
        let t0 = Instant::now();
        bucket.reserve(BURST, RATE, BURST, t0);
        let later = t0 + Duration::from_secs(60);
        assert_eq!(bucket.reserve(BURST, RATE, BURST, later), Duration::ZERO);
        assert!(bucket.reserve(1, RATE, BURST, later) > Duration::ZERO);
    }

    #[test]
    fn reset_refills_the_bucket() {
        let mut bucket = TokenBucket::default();
        let t0 = Instant::now();
        bucket.reserve(10 * BURST, RATE, BURST, t0);
        bucket.reset();
        assert_eq!(bucket.reserve(BURST, RATE, BURST, t0), Duration::ZERO);
    }

    #[test]
    fn released_bytes_never_exceed_burst_plus_rate_times_time() {
        let mut bucket = TokenBucket::default();
        let t0 = Instant::now();
        let mut sent = 0u64;
        for i in 0..200u64 {
            let now = t0 + Duration::from_millis(i * 7);
            let chunk = 1 + (i * 37) % BURST;
            let wait = bucket.reserve(chunk, RATE, BURST, now);
            sent += chunk;
            let released_at = (now + wait).duration_since(t0).as_secs_f64();
            assert!(sent as f64 <= BURST as f64 + RATE as f64 * released_at + 1e-6);
        }
    }

    #[test]
    fn a_one_shot_cut_spans_connections_and_disarms() {
        let mut cuts = Cuts::default();
        cuts.arm_once(Direction::Up, 150);
        let a = cuts.admit(Direction::Up, 100, 0);
        assert_eq!(
            a,
            Admission {
                take: 100,
                cut: false
            }
        );
        // Down is not armed.
        assert_eq!(
            cuts.admit(Direction::Down, 1000, 0),
            Admission {
                take: 1000,
                cut: false
            }
        );
        // Another connection uses the rest.
        let b = cuts.admit(Direction::Up, 100, 0);
        assert_eq!(
            b,
            Admission {
                take: 50,
                cut: true
            }
        );
        // Disarmed.
        assert_eq!(
            cuts.admit(Direction::Up, 100, 0),
            Admission {
                take: 100,
                cut: false
            }
        );
    }

    #[test]
    fn a_cut_fires_when_the_budget_is_met_exactly() {
        let mut cuts = Cuts::default();
        cuts.arm_once(Direction::Down, 100);
        assert_eq!(
            cuts.admit(Direction::Down, 100, 0),
            Admission {
                take: 100,
                cut: true
            }
        );
        cuts.arm_once(Direction::Down, 0);
        assert_eq!(
            cuts.admit(Direction::Down, 100, 0),
            Admission { take: 0, cut: true }
        );
    }

    #[test]
    fn a_standing_cut_counts_per_connection() {
        let mut cuts = Cuts::default();
        cuts.arm_each(Direction::Up, Some(250));
        assert_eq!(
            cuts.admit(Direction::Up, 200, 0),
            Admission {
                take: 200,
                cut: false
            }
        );
        assert_eq!(
            cuts.admit(Direction::Up, 200, 200),
            Admission {
                take: 50,
                cut: true
            }
        );
        // A new connection starts from zero again.
        assert_eq!(
            cuts.admit(Direction::Up, 200, 0),
            Admission {
                take: 200,
                cut: false
            }
        );
        cuts.clear();
        assert_eq!(
            cuts.admit(Direction::Up, 200, 1000),
            Admission {
                take: 200,
                cut: false
            }
        );
    }

    #[test]
    fn both_cuts_armed_the_tighter_one_wins_and_the_one_shot_is_charged() {
        let mut cuts = Cuts::default();
        cuts.arm_each(Direction::Up, Some(30));
        cuts.arm_once(Direction::Up, 100);
        assert_eq!(
            cuts.admit(Direction::Up, 50, 0),
            Admission {
                take: 30,
                cut: true
            }
        );
        assert_eq!(
            cuts.admit(Direction::Up, 50, 0),
            Admission {
                take: 30,
                cut: true
            }
        );
        // The one-shot was charged 60 of its 100: 40 are left.
        cuts.arm_each(Direction::Up, None);
        assert_eq!(
            cuts.admit(Direction::Up, 50, 0),
            Admission {
                take: 40,
                cut: true
            }
        );
    }
}
