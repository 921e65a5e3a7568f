//! How a link behaves: the shape of each direction and the preset profiles.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// The largest piece the proxy reads and forwards at once (and so the most
/// that leaves in one go on an unshaped link).
pub const MAX_CHUNK: usize = 16 * 1024;

/// Token bucket depth of the mobile presets: one full-size TCP segment
/// (1500-byte MTU less 40 bytes of IP and TCP headers). A 2G link drains
/// its radio buffer a segment at a time, so nothing bigger passes at once.
pub const SEGMENT_BYTES: u64 = 1460;

/// Which way bytes travel through the proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Direction {
    /// Client → target: the phone uploading to the server.
    Up,
    /// Target → client: the server answering the phone.
    Down,
}

impl Direction {
    /// Both directions, `Up` first.
    pub const BOTH: [Direction; 2] = [Direction::Up, Direction::Down];

    pub(crate) const fn index(self) -> usize {
        match self {
            Direction::Up => 0,
            Direction::Down => 1,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Up => "up",
            Direction::Down => "down",
        })
    }
}

/// How one direction of the link behaves.
///
/// Bytes pass a token bucket (`bytes_per_sec`, `burst_bytes`), then wait
/// `latency` plus a random extra delay of up to `jitter` before they are
/// written out. Order is always kept, as TCP keeps it: a chunk never
/// overtakes the one before it, even when its jitter is smaller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LinkShape {
    /// Sustained rate in bytes per second; `None` forwards as fast as the
    /// sockets allow.
    pub bytes_per_sec: Option<u64>,
    /// Token bucket depth in bytes: how much may pass at once after a quiet
    /// spell. A shaped link also forwards at most this much per chunk.
    /// Values below 1 count as 1.
    pub burst_bytes: u64,
    /// One-way delay added to every chunk.
    pub latency: Duration,
    /// Extra one-way delay per chunk, drawn uniformly from `0..=jitter`.
    pub jitter: Duration,
}

impl LinkShape {
    /// No rate limit, no delay.
    pub const UNSHAPED: LinkShape = LinkShape {
        bytes_per_sec: None,
        burst_bytes: MAX_CHUNK as u64,
        latency: Duration::ZERO,
        jitter: Duration::ZERO,
    };

    /// A link of `bytes_per_sec` with a one-segment bucket and no delay.
    pub const fn bytes_per_sec(bytes_per_sec: u64) -> LinkShape {
        LinkShape {
            bytes_per_sec: Some(bytes_per_sec),
            burst_bytes: SEGMENT_BYTES,
            latency: Duration::ZERO,
            jitter: Duration::ZERO,
        }
    }

    /// A link of `kbit_per_sec` kilobits (1000 bits) per second, as radio
    /// rates are quoted.
    pub const fn kbit_per_sec(kbit_per_sec: u64) -> LinkShape {
        LinkShape::bytes_per_sec(kbit_per_sec * 1000 / 8)
    }

    /// The same shape with another one-way latency.
    pub const fn with_latency(self, latency: Duration) -> LinkShape {
        LinkShape { latency, ..self }
    }

    /// The same shape with another jitter.
    pub const fn with_jitter(self, jitter: Duration) -> LinkShape {
        LinkShape { jitter, ..self }
    }

    /// The same shape with another bucket depth.
    pub const fn with_burst(self, burst_bytes: u64) -> LinkShape {
        LinkShape {
            burst_bytes,
            ..self
        }
    }

    /// The least time `bytes` take to cross this direction when the link
    /// starts idle and nothing else shares it: the bucket lets `burst_bytes`
    /// through at once, the rest at the rate, and the last chunk still waits
    /// out the latency. The proxy never beats this; it may be slower.
    pub fn min_transfer_time(&self, bytes: u64) -> Duration {
        let serial = match self.bytes_per_sec {
            Some(rate) => {
                let excess = bytes.saturating_sub(self.burst_bytes.max(1));
                Duration::try_from_secs_f64(excess as f64 / rate.max(1) as f64)
                    .unwrap_or(Duration::MAX)
            }
            None => Duration::ZERO,
        };
        serial.saturating_add(self.latency)
    }

    /// How many bytes the proxy reads at once for this shape.
    pub(crate) fn chunk_limit(&self) -> usize {
        match self.bytes_per_sec {
            Some(_) => usize::try_from(self.burst_bytes.max(1))
                .unwrap_or(MAX_CHUNK)
                .min(MAX_CHUNK),
            None => MAX_CHUNK,
        }
    }
}

impl Default for LinkShape {
    fn default() -> Self {
        LinkShape::UNSHAPED
    }
}

/// A whole link: one shape per direction.
///
/// Where the preset numbers come from:
/// - EDGE (EGPRS) carries 8.8–59.2 kbit/s per GSM timeslot depending on
///   the modulation and coding scheme (MCS-1..9). Handsets get about four
///   timeslots down and one or two up; at the middle coding schemes seen in
///   the field that gives roughly 100–200 kbit/s down and 30–60 kbit/s up,
///   with round trips of 300–600 ms on a loaded cell. Browser emulators
///   agree on the order of magnitude: WebPageTest's "Mobile Edge" is
///   240 kbit/s with an 840 ms RTT, Chrome DevTools' former "Regular 2G"
///   250 kbit/s down, 50 kbit/s up, 300 ms.
/// - GPRS carries 9.05–21.4 kbit/s per timeslot (CS-1..4), mostly CS-2
///   (13.4) in practice; a class 10 handset (4 down / 2 up, 5 at once)
///   sees about 40 kbit/s down and 20 up, with RTTs of 600–1000 ms.
///   Chrome DevTools' former "GPRS" preset was 50 kbit/s down, 20 up, 500 ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// No shaping at all: a good Wi-Fi or wired link on loopback.
    #[default]
    Wifi,
    /// A typical EDGE (2.75G) link in a rural cell: 160 kbit/s down,
    /// 48 kbit/s up, 200 ms each way plus up to 50 ms jitter each way
    /// (RTT 400–500 ms).
    Edge2G,
    /// Plain GPRS (2.5G), slower and laggier than EDGE: 40 kbit/s down,
    /// 20 kbit/s up, 350 ms each way plus up to 150 ms jitter each way
    /// (RTT 700–1000 ms).
    Gprs,
    /// Any shapes, e.g. a fast stand-in for EDGE that keeps a test short.
    Custom {
        /// Client → target.
        up: LinkShape,
        /// Target → client.
        down: LinkShape,
    },
}

impl Profile {
    /// The same shape both ways.
    pub const fn symmetric(shape: LinkShape) -> Profile {
        Profile::Custom {
            up: shape,
            down: shape,
        }
    }

    /// The shape of one direction.
    pub const fn shape(&self, direction: Direction) -> LinkShape {
        match (self, direction) {
            (Profile::Wifi, _) => LinkShape::UNSHAPED,
            (Profile::Edge2G, Direction::Up) => LinkShape::kbit_per_sec(48)
                .with_latency(Duration::from_millis(200))
                .with_jitter(Duration::from_millis(50)),
            (Profile::Edge2G, Direction::Down) => LinkShape::kbit_per_sec(160)
                .with_latency(Duration::from_millis(200))
                .with_jitter(Duration::from_millis(50)),
            (Profile::Gprs, Direction::Up) => LinkShape::kbit_per_sec(20)
                .with_latency(Duration::from_millis(350))
                .with_jitter(Duration::from_millis(150)),
            (Profile::Gprs, Direction::Down) => LinkShape::kbit_per_sec(40)
                .with_latency(Duration::from_millis(350))
                .with_jitter(Duration::from_millis(150)),
            (Profile::Custom { up, .. }, Direction::Up) => *up,
            (Profile::Custom { down, .. }, Direction::Down) => *down,
        }
    }
}

/// The name given to [`Profile::from_str`] is none of the presets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown profile {0:?}: use edge2g, gprs or wifi")]
pub struct UnknownProfile(pub String);

impl FromStr for Profile {
    type Err = UnknownProfile;

    /// Parses a preset name: `edge2g` (or `edge`, `2g`), `gprs`, `wifi` (or
    /// `none`), in any case.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "edge2g" | "edge" | "2g" => Ok(Profile::Edge2G),
            "gprs" => Ok(Profile::Gprs),
            "wifi" | "none" => Ok(Profile::Wifi),
            _ => Err(UnknownProfile(s.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kbit(shape: LinkShape) -> u64 {
        shape.bytes_per_sec.unwrap() * 8 / 1000
    }

    #[test]
    fn edge_presets_fall_in_the_documented_ranges() {
        let up = Profile::Edge2G.shape(Direction::Up);
        let down = Profile::Edge2G.shape(Direction::Down);
        assert!((30..=60).contains(&kbit(up)), "{up:?}");
        assert!((100..=200).contains(&kbit(down)), "{down:?}");
        let rtt_min = up.latency + down.latency;
        let rtt_max = rtt_min + up.jitter + down.jitter;
        assert!(rtt_min >= Duration::from_millis(300));
        assert!(rtt_max <= Duration::from_millis(600));
    }

    #[test]
    fn gprs_is_slower_than_edge_and_wifi_is_unshaped() {
        for dir in Direction::BOTH {
            let gprs = Profile::Gprs.shape(dir);
            let edge = Profile::Edge2G.shape(dir);
            assert!(gprs.bytes_per_sec < edge.bytes_per_sec);
            assert!(gprs.latency > edge.latency);
            assert_eq!(Profile::Wifi.shape(dir), LinkShape::UNSHAPED);
        }
    }

    #[test]
    fn kbit_is_decimal_kilobits() {
        assert_eq!(LinkShape::kbit_per_sec(160).bytes_per_sec, Some(20_000));
        assert_eq!(LinkShape::kbit_per_sec(48).bytes_per_sec, Some(6_000));
    }

    #[test]
    fn min_transfer_time_counts_burst_rate_and_latency() {
        let shape = LinkShape::bytes_per_sec(1000)
            .with_burst(500)
            .with_latency(Duration::from_millis(100));
        assert_eq!(shape.min_transfer_time(2500), Duration::from_millis(2100));
        assert_eq!(shape.min_transfer_time(100), Duration::from_millis(100));
        assert_eq!(
            LinkShape::UNSHAPED.min_transfer_time(u64::MAX),
            Duration::ZERO
        );
    }

    #[test]
    fn chunks_never_exceed_the_bucket_or_the_cap() {
        assert_eq!(LinkShape::bytes_per_sec(10).with_burst(0).chunk_limit(), 1);
        assert_eq!(LinkShape::kbit_per_sec(48).chunk_limit(), 1460);
        assert_eq!(
            LinkShape::bytes_per_sec(10)
                .with_burst(1 << 40)
                .chunk_limit(),
            MAX_CHUNK
        );
        assert_eq!(LinkShape::UNSHAPED.chunk_limit(), MAX_CHUNK);
    }

    #[test]
    fn profile_names_parse() {
        assert_eq!("EDGE2G".parse::<Profile>(), Ok(Profile::Edge2G));
        assert_eq!("gprs".parse::<Profile>(), Ok(Profile::Gprs));
        assert_eq!("wifi".parse::<Profile>(), Ok(Profile::Wifi));
        assert!("3g".parse::<Profile>().is_err());
    }
}
