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
use std::fmt::Display;
use std::hash::Hash;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::error::ApiResult;

/// Failures kept where every instance sees them (the database several
/// instances share), so N instances still allow each address its limit
/// once, not N times.
pub trait FailureLog: Send + Sync + std::fmt::Debug {
    /// One failure of `key` under `scope` at `at_ms`; failures older than
    /// `forget_before_ms` may go.
    fn record(&self, scope: &str, key: &str, at_ms: i64, forget_before_ms: i64) -> ApiResult<()>;
    /// How many failures under `scope` (of `key` only, when given) since
    /// `from_ms`, and the oldest of them.
    fn since(
        &self,
        scope: &str,
        key: Option<&str>,
        from_ms: i64,
    ) -> ApiResult<(usize, Option<i64>)>;
    /// Forget `key`'s failures under `scope`.
    fn forget(&self, scope: &str, key: &str) -> ApiResult<()>;
}

#[derive(Debug)]
struct Shared {
    log: Arc<dyn FailureLog>,
    scope: &'static str,
}

/// Run a database call on a thread of its own: the routes ask the
/// throttle from async code, where the synchronous PostgreSQL client (it
/// blocks on a runtime of its own) must not run. Only activations and
/// sign-ins pay for the thread, and only on a shared database.
fn off_runtime<T: Send>(f: impl FnOnce() -> ApiResult<T> + Send) -> ApiResult<T> {
    std::thread::scope(|s| {
        s.spawn(f).join().unwrap_or_else(|_| {
            Err(crate::error::ServerError::Internal(
                "the failure count panicked".into(),
            ))
        })
    })
}

fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

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
    /// Set on a server sharing its database: failures are counted there
    /// too, and the larger count rules.
    shared: OnceLock<Shared>,
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

impl<K: Hash + Eq + Clone + Display> Throttle<K> {
    pub fn new(per_address: usize, global: usize, window: Duration) -> Self {
        Throttle {
            per_address,
            global,
            window,
            state: Mutex::new(State::default()),
            shared: OnceLock::new(),
        }
    }

    /// Count failures in `log` too, under `scope` (once; later calls are
    /// ignored).
    pub fn share(&self, log: Arc<dyn FailureLog>, scope: &'static str) {
        let _ = self.shared.set(Shared { log, scope });
    }

    /// `Some(wait)` when `addr` may not try now.
    pub fn blocked(&self, addr: K) -> Option<Duration> {
        let key = addr.to_string();
        let here = self.blocked_at(addr, Instant::now());
        here.max(self.shared_blocked(&key))
    }

    /// Record a failed attempt from `addr`.
    pub fn failed(&self, addr: K) {
        if let Some(shared) = self.shared.get() {
            let now = wall_ms();
            let window = self.window_ms();
            let key = addr.to_string();
            if let Err(e) =
                off_runtime(|| shared.log.record(shared.scope, &key, now, now - 2 * window))
            {
                tracing::warn!(
                    scope = shared.scope,
                    "a failure was not recorded in the database: {e}"
                );
            }
        }
        self.failed_at(addr, Instant::now());
    }

    fn window_ms(&self) -> i64 {
        i64::try_from(self.window.as_millis()).unwrap_or(i64::MAX)
    }

    /// The wait the shared count asks for; `None` without one, or when the
    /// database cannot answer (this instance's own count still holds).
    fn shared_blocked(&self, key: &str) -> Option<Duration> {
        let shared = self.shared.get()?;
        let now = wall_ms();
        let window = self.window_ms();
        let wait = |key: Option<&str>, limit: usize| -> Option<Duration> {
            match off_runtime(|| shared.log.since(shared.scope, key, now - window)) {
                Ok((n, Some(oldest))) if n >= limit => {
                    let left = (oldest + window - now).clamp(0, window);
                    Some(Duration::from_millis(u64::try_from(left).unwrap_or(0)))
                }
                Ok(_) => None,
                Err(e) => {
                    tracing::warn!(
                        scope = shared.scope,
                        "failures could not be counted in the database: {e}"
                    );
                    None
                }
            }
        };
        wait(None, self.global).max(wait(Some(key), self.per_address))
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
        let here = {
            let state = self.lock();
            state.by_address.get(addr).map_or(0, |q| {
                q.iter()
                    .filter(|t| now.duration_since(**t) < window)
                    .count()
            })
        };
        let everywhere = self.shared.get().map_or(0, |shared| {
            let key = addr.to_string();
            let from = wall_ms() - self.window_ms();
            off_runtime(|| shared.log.since(shared.scope, Some(&key), from)).map_or(0, |(n, _)| n)
        });
        self.per_address.saturating_sub(here.max(everywhere))
    }

    /// Forget `addr`'s failures (a console account that signed in).
    pub fn succeeded(&self, addr: &K) {
        if let Some(shared) = self.shared.get() {
            let key = addr.to_string();
            if let Err(e) = off_runtime(|| shared.log.forget(shared.scope, &key)) {
                tracing::warn!(
                    scope = shared.scope,
                    "failures could not be forgotten in the database: {e}"
                );
            }
        }
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
