//! Hybrid logical clock (Kulkarni et al., 2014). Every outbox operation is
//! stamped with one so that a person's own actions keep their order even when
//! the phone's wall clock jumps backwards, and so that last-writer-wins edits
//! have a total order across devices.
//!
//! Written here rather than taken from a crate: the known crates either pull
//! a runtime or encode stamps in ways that do not sort as text, and we need a
//! stamp that sorts correctly as a string in SQLite on both sides.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One stamp: physical milliseconds, a logical counter, and the node (device)
/// id as the last tie-breaker.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Hlc {
    pub wall_ms: i64,
    pub counter: u32,
    pub node: String,
}

impl Ord for Hlc {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.wall_ms, self.counter, &self.node).cmp(&(other.wall_ms, other.counter, &other.node))
    }
}

impl PartialOrd for Hlc {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Text form `0001760000000000-00000-node`: fixed-width numbers so that text
/// order equals clock order.
impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:016}-{:05}-{}",
            self.wall_ms.max(0),
            self.counter,
            self.node
        )
    }
}

impl FromStr for Hlc {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut parts = s.splitn(3, '-');
        let wall = parts.next().ok_or("missing wall time")?;
        let counter = parts.next().ok_or("missing counter")?;
        let node = parts.next().ok_or("missing node")?;
        Ok(Hlc {
            wall_ms: wall.parse().map_err(|e| format!("bad wall time: {e}"))?,
            counter: counter.parse().map_err(|e| format!("bad counter: {e}"))?,
            node: node.to_string(),
        })
    }
}

impl Serialize for Hlc {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Hlc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// The stamps this build writes, as the OpenAPI schema states them: the
/// wall clock fits 16 digits until the year 318857; the counter is written
/// with at least 5 digits and in practice stays far below 10^9 (it only
/// grows within one millisecond). Every string the pattern admits parses;
/// `FromStr` also accepts other widths, which no device sends.
#[cfg(feature = "openapi")]
pub const HLC_PATTERN: &str = "^[0-9]{16}-[0-9]{5,9}-";

/// On the wire a stamp is its text form (see `Display`), so its OpenAPI
/// schema is a string, not the struct's fields.
#[cfg(feature = "openapi")]
impl utoipa::PartialSchema for Hlc {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some(
                "Hybrid logical clock stamp: wall-clock milliseconds (16 digits), \
                 counter (5 to 9 digits) and node id, joined by '-'. Sorts as text.",
            ))
            .pattern(Some(HLC_PATTERN))
            .examples(["0001764000000123-00007-0192d6a1-7c3e-7000-8000-000000000001"])
            .into()
    }
}

#[cfg(feature = "openapi")]
impl utoipa::ToSchema for Hlc {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Hlc")
    }
}

/// The clock state of one node. The store persists `last` so the clock never
/// runs backwards across restarts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HlcClock {
    pub node: String,
    pub last_wall_ms: i64,
    pub last_counter: u32,
}

impl HlcClock {
    pub fn new(node: impl Into<String>) -> Self {
        HlcClock {
            node: node.into(),
            last_wall_ms: 0,
            last_counter: 0,
        }
    }

    /// A new stamp for a local event at physical time `now_ms`. Strictly
    /// greater than every stamp this clock issued or observed.
    pub fn tick(&mut self, now_ms: i64) -> Hlc {
        if now_ms > self.last_wall_ms {
            self.last_wall_ms = now_ms;
            self.last_counter = 0;
        } else {
            self.last_counter = self.last_counter.saturating_add(1);
        }
        self.stamp()
    }

    /// Merge a stamp received from elsewhere (e.g. the server's answer), so
    /// later local stamps sort after it.
    pub fn observe(&mut self, remote: &Hlc, now_ms: i64) {
        let wall = now_ms.max(self.last_wall_ms).max(remote.wall_ms);
        let counter = if wall == self.last_wall_ms && wall == remote.wall_ms {
            self.last_counter.max(remote.counter).saturating_add(1)
        } else if wall == self.last_wall_ms {
            self.last_counter.saturating_add(1)
        } else if wall == remote.wall_ms {
            remote.counter.saturating_add(1)
        } else {
            0
        };
        self.last_wall_ms = wall;
        self.last_counter = counter;
    }

    fn stamp(&self) -> Hlc {
        Hlc {
            wall_ms: self.last_wall_ms,
            counter: self.last_counter,
            node: self.node.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_clock_jumping_back_keeps_order() {
        let mut c = HlcClock::new("dev1");
        let a = c.tick(1_000_000);
        let b = c.tick(500_000); // phone clock set back by the user
        let d = c.tick(1_000_000);
        assert!(a < b && b < d);
        assert!(a.to_string() < b.to_string() && b.to_string() < d.to_string());
    }

    #[test]
    fn observed_remote_stamps_are_overtaken() {
        let mut c = HlcClock::new("dev1");
        c.tick(1_000);
        let remote = Hlc {
            wall_ms: 9_000_000,
            counter: 4,
            node: "server".into(),
        };
        c.observe(&remote, 2_000);
        assert!(c.tick(2_000) > remote);
    }

    #[test]
    fn text_round_trips() {
        let h = Hlc {
            wall_ms: 1_764_000_000_123,
            counter: 7,
            node: "0192-abc".into(),
        };
        assert_eq!(h.to_string().parse::<Hlc>().unwrap(), h);
    }

    proptest! {
        #[test]
        fn stamps_are_strictly_increasing_as_text(times in proptest::collection::vec(0i64..10_000_000_000_000, 1..50)) {
            let mut c = HlcClock::new("n");
            let mut prev: Option<Hlc> = None;
            for t in times {
                let h = c.tick(t);
                if let Some(p) = &prev {
                    prop_assert!(h > *p);
                    prop_assert!(h.to_string() > p.to_string());
                }
                prev = Some(h);
            }
        }
    }
}
