//! Failed attempts at a secret (an activation code, a console password)
//! counted per key (a client address, or a console account) and in total,
//! over a sliding window.
//! Once either count is reached, every attempt from that address (or from
//! anyone, for the total) is answered 429 with Retry-After until the oldest
//! failure leaves the window.
//!
//! Only failures count, so a city enrolling 1,890 phones in a minute from
//! one office network is never slowed, while guessing a 49-bit code at
//! a few dozen tries a minute is hopeless. Written here rather than with
//! `governor`: its limiters consume a cell on every check and have no way to
//! ask "is this address blocked?" without spending one, which counting only
//! failures needs.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed activations allowed per address within [`WINDOW`].
pub const PER_ADDRESS: usize = 10;
/// Failed activations allowed from everyone together within [`WINDOW`].
pub const GLOBAL: usize = 100;
pub const WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered at most (old ones are dropped first): bounds the
/// memory an attacker with many addresses can make us hold.
const MAX_ADDRESSES: usize = 65_536;

#[derive(Debug)]
pub struct Throttle<K = IpAddr> {
    per_address: usize,
    global: usize,
    window: Duration,
    state: Mutex<State<K>>,
}

#[derive(Debug)]
struct State<K> {
    by_address: HashMap<K, VecDeque<Instant>>,
    all: VecDeque<Instant>,
}

impl<K> Default for State<K> {
    fn default() -> Self {
        State {
            by_address: HashMap::new(),
            all: VecDeque::new(),
        }
    }
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle::new(PER_ADDRESS, GLOBAL, WINDOW)
    }
}

impl<K: Hash + Eq + Clone> Throttle<K> {
    pub fn new(per_address: usize, global: usize, window: Duration) -> Self {
        Throttle {
            per_address,
            global,
            window,
            state: Mutex::new(State::default()),
        }
    }

    /// `Some(wait)` when `addr` may not try now.
    pub fn blocked(&self, addr: K) -> Option<Duration> {
        self.blocked_at(addr, Instant::now())
    }

    /// Record a failed attempt from `addr`.
    pub fn failed(&self, addr: K) {
        self.failed_at(addr, Instant::now());
    }

    pub fn blocked_at(&self, addr: K, now: Instant) -> Option<Duration> {
        let mut state = self.lock();
        let window = self.window;
        let expire = |q: &mut VecDeque<Instant>| {
            while q.front().is_some_and(|t| now.duration_since(*t) >= window) {
                q.pop_front();
            }
        };
        expire(&mut state.all);
        let wait = |q: &VecDeque<Instant>, limit: usize| {
            (q.len() >= limit)
                .then(|| {
                    q.front()
                        .map(|t| window.saturating_sub(now.duration_since(*t)))
                })
                .flatten()
        };
        let global = wait(&state.all, self.global);
        let mine = state.by_address.get_mut(&addr).and_then(|q| {
            expire(q);
            wait(q, self.per_address)
        });
        global.max(mine)
    }

    /// How many more failures `addr` may have before it is blocked.
    pub fn remaining(&self, addr: &K) -> usize {
        let now = Instant::now();
        let window = self.window;
        let state = self.lock();
        let used = state.by_address.get(addr).map_or(0, |q| {
            q.iter()
                .filter(|t| now.duration_since(**t) < window)
                .count()
        });
        self.per_address.saturating_sub(used)
    }

    /// Forget `addr`'s failures (a console account that signed in).
    pub fn succeeded(&self, addr: &K) {
        self.lock().by_address.remove(addr);
    }

    pub fn failed_at(&self, addr: K, now: Instant) {
        let mut state = self.lock();
        state.all.push_back(now);
        if state.all.len() > self.global.saturating_mul(2) {
            state.all.pop_front();
        }
        if state.by_address.len() >= MAX_ADDRESSES && !state.by_address.contains_key(&addr) {
            let window = self.window;
            state
                .by_address
                .retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
            if state.by_address.len() >= MAX_ADDRESSES {
                state.by_address.clear();
            }
        }
        let q = state.by_address.entry(addr).or_default();
        q.push_back(now);
        if q.len() > self.per_address.saturating_mul(2) {
            q.pop_front();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State<K>> {
        // The state is counters only: a panic elsewhere cannot leave it
        // half-written in a way that matters.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[test]
    fn an_address_is_blocked_after_its_failures_until_the_oldest_leaves_the_window() {
        let t = Throttle::new(3, 100, Duration::from_secs(60));
        let start = Instant::now();
        for k in 0..3 {
            assert_eq!(t.blocked_at(ip(1), start), None);
            t.failed_at(ip(1), start + Duration::from_secs(k * 10));
        }
        let now = start + Duration::from_secs(25);
        assert_eq!(t.blocked_at(ip(1), now), Some(Duration::from_secs(35)));
        assert_eq!(
            t.blocked_at(ip(2), now),
            None,
            "another address is not blocked"
        );
        assert_eq!(t.blocked_at(ip(1), start + Duration::from_secs(60)), None);
    }

    #[test]
    fn failures_from_many_addresses_block_everyone() {
        let t = Throttle::new(10, 5, Duration::from_secs(60));
        let now = Instant::now();
        for k in 0..5 {
            t.failed_at(ip(k), now);
        }
        assert_eq!(t.blocked_at(ip(200), now), Some(Duration::from_secs(60)));
    }
}
