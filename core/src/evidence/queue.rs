//! The photo upload queue's rules, apart from storage and HTTP: which network
//! may carry which photo, which photo goes first, how long to wait after a
//! failure, how big a chunk the link can take, and the plain upload job that
//! either the core (reqwest) or the shell (WorkManager, background
//! URLSession) carries. ADR 0010.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::priority::Severity;

/// The network the phone is on, as the shell last reported it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkKind {
    /// No connection: nothing is uploaded.
    None,
    /// Mobile data (paid per byte in villages).
    Metered,
    /// Wi-Fi or Ethernet.
    Unmetered,
}

impl NetworkKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NetworkKind::None => "none",
            NetworkKind::Metered => "metered",
            NetworkKind::Unmetered => "unmetered",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "none" => Some(NetworkKind::None),
            "metered" => Some(NetworkKind::Metered),
            "unmetered" => Some(NetworkKind::Unmetered),
            _ => None,
        }
    }
}

/// Which photos may go over mobile data. Set by the person in the shell's
/// settings; kept in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NetworkPolicy {
    /// Any connection.
    #[default]
    AnyNetwork,
    /// Wi-Fi only.
    UnmeteredOnly,
    /// Photos up to `max_bytes` still to send go over mobile data; larger
    /// ones wait for Wi-Fi.
    UnmeteredAbove { max_bytes: u64 },
}

impl NetworkPolicy {
    /// May `remaining` bytes go over `network` now?
    pub fn allows(self, network: NetworkKind, remaining: u64) -> bool {
        match (network, self) {
            (NetworkKind::None, _) => false,
            (NetworkKind::Unmetered, _) => true,
            (NetworkKind::Metered, NetworkPolicy::AnyNetwork) => true,
            (NetworkKind::Metered, NetworkPolicy::UnmeteredOnly) => false,
            (NetworkKind::Metered, NetworkPolicy::UnmeteredAbove { max_bytes }) => {
                remaining <= max_bytes
            }
        }
    }
}

/// Queue order, lower first: evidence of a case before routine visit photos,
/// and among cases the most severe first (a critical safety case must be
/// accepted within an hour, and the secretary decides on its photos).
pub fn priority(case_severity: Option<Severity>) -> u8 {
    match case_severity {
        Some(Severity::Critical) => 0,
        Some(Severity::Urgent) => 1,
        Some(Severity::Normal) => 2,
        None => 3,
    }
}

/// First wait after a failure.
pub const BACKOFF_BASE: Duration = Duration::from_secs(30);
/// Longest wait: a phone that was offline for a day still tries a few times
/// an hour once it is back, and the person can always press "retry now".
pub const BACKOFF_MAX: Duration = Duration::from_secs(60 * 60);
/// "The server does not know this evidence" after its record was answered:
/// retried this many times (the record may still be on its way through a
/// second server or a restore), then failed with a retry button.
pub const MAX_UNKNOWN_RETRIES: u32 = 5;
/// A chunk the server says arrived corrupted is re-sent this many times.
pub const MAX_CHECKSUM_RETRIES: u32 = 3;
/// A job handed out but not reported back within this time is considered
/// lost (the app was killed, the OS dropped the background transfer); the
/// item is offered again, starting with a HEAD.
pub const JOB_LEASE: Duration = Duration::from_secs(30 * 60);

/// Exponential backoff with jitter: `BACKOFF_BASE · 2^(attempts-1)`, capped
/// at `BACKOFF_MAX`, then a random point in its upper half so a village of
/// phones coming back online does not retry in lockstep. `unit` is a random
/// number in [0, 1). Never zero, never above the cap.
pub fn backoff(attempts: u32, unit: f64) -> Duration {
    let exp = attempts.saturating_sub(1).min(16);
    let full = BACKOFF_BASE
        .saturating_mul(1u32 << exp)
        .min(BACKOFF_MAX)
        .as_millis() as f64;
    let unit = if unit.is_finite() {
        unit.clamp(0.0, 1.0)
    } else {
        0.5
    };
    let ms = (full / 2.0 + full / 2.0 * unit).max(1000.0);
    Duration::from_millis(ms as u64)
}

/// A random number in [0, 1) for jitter: SHA-256 over a fresh UUIDv7 and
/// the clock's nanoseconds. The core already links both (a dedicated RNG
/// crate would add size to the phones' library), and a UUIDv7 alone is not
/// enough: within a millisecond its "random" bits may be a counter.
pub fn jitter_unit() -> f64 {
    use sha2::{Digest, Sha256};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut h = Sha256::new();
    h.update(uuid::Uuid::now_v7().as_bytes());
    h.update(nanos.to_le_bytes());
    let digest = h.finalize();
    let mut head = [0u8; 8];
    head.copy_from_slice(&digest[..8]);
    // 53 bits: the precision of an f64 mantissa.
    (u64::from_be_bytes(head) >> 11) as f64 / (1u64 << 53) as f64
}

/// Chunk sizes adapt to the link: start small (a 2G link moves 64 KiB in a
/// few seconds), grow towards what the measured throughput moves in about
/// `TARGET` per chunk, shrink by half on a timeout or error.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChunkSizer {
    size: u64,
}

impl ChunkSizer {
    pub const START: u64 = 64 * 1024;
    pub const MIN: u64 = 16 * 1024;
    pub const MAX: u64 = 1024 * 1024;
    /// How long one chunk should take: long enough that request overhead is
    /// small, short enough that a cut link loses little.
    pub const TARGET: Duration = Duration::from_secs(4);

    pub fn new() -> Self {
        ChunkSizer { size: Self::START }
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// A chunk of `bytes` was acknowledged after `took`.
    pub fn acknowledged(&mut self, bytes: u64, took: Duration) {
        let secs = took.as_secs_f64().max(0.001);
        let rate = bytes as f64 / secs;
        let want = (rate * Self::TARGET.as_secs_f64()) as u64;
        // At most double per step: one fast chunk on a flaky link is not a
        // promise for the next.
        self.size = want.clamp(Self::MIN, (self.size * 2).min(Self::MAX));
    }

    /// A chunk timed out or failed.
    pub fn failed(&mut self) {
        self.size = (self.size / 2).max(Self::MIN);
    }
}

impl Default for ChunkSizer {
    fn default() -> Self {
        Self::new()
    }
}

/// Which tus request a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadStep {
    /// POST: create the upload (answer 201 + Location).
    Create,
    /// HEAD: ask how much the server has (answer Upload-Offset).
    Head,
    /// PATCH: send `length` bytes of the file from `offset`.
    Patch,
}

impl UploadStep {
    pub fn method(self) -> &'static str {
        match self {
            UploadStep::Create => "POST",
            UploadStep::Head => "HEAD",
            UploadStep::Patch => "PATCH",
        }
    }
}

/// One HTTP header of a job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
}

/// One plain HTTP request, complete: whoever carries it (the core's client,
/// or the shell's background transfer while the app is suspended) sends
/// `method` to `url` with `headers` and, for a PATCH, `length` bytes of
/// `file_path` starting at `offset` as the body; then reports the answer
/// with `report_upload_result(job_id, …)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadJob {
    pub job_id: String,
    pub evidence_id: String,
    pub step: UploadStep,
    pub method: String,
    pub url: String,
    pub headers: Vec<HttpHeader>,
    /// The body's file: a PATCH's, or a creation's that carries the first
    /// bytes (only in the core's own uploader; jobs for the shell never do).
    pub file_path: Option<String>,
    pub offset: u64,
    /// Body length in bytes (0 for HEAD, and for POST in jobs for the shell).
    pub length: u64,
    /// The whole photo's size.
    pub total: u64,
    /// Report back before this instant, or the job is given out again.
    pub lease_until: DateTime<Utc>,
}

/// What came back for a job. `status` is `None` when no HTTP answer arrived
/// (timeout, connection cut); `error` then says what happened.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadResult {
    pub status: Option<u16>,
    /// The `Upload-Offset` header.
    pub upload_offset: Option<u64>,
    /// The `Location` header (create).
    pub location: Option<String>,
    /// The response body, when there is one (an ErrorBody `{code, reason}`).
    pub body: Option<String>,
    pub error: Option<String>,
}

/// What the queue made of a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadOutcome {
    /// The upload moved on (created, offset learned, chunk acknowledged):
    /// ask for the next job right away.
    Progressed,
    /// The server has the whole file and verified its hash.
    Stored,
    /// The server does not know the evidence record yet: it waits for sync.
    WaitingForSync,
    /// A failure worth retrying later; the item waits out its backoff.
    RetryLater,
    /// The item failed for good; the reason is on the item.
    Failed,
    /// The job was no longer current (its lease ran out and the item was
    /// given out again, or it was already reported): nothing changed.
    Stale,
}

/// Where one queued photo stands, for the upload screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadItemState {
    Waiting,
    Uploading,
    Stored,
    Failed,
}

/// Why a waiting photo is not moving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UploadBlocker {
    /// Nothing: it goes at the next upload.
    None,
    /// Its record has not been synced yet (the server would not know it).
    AwaitingSync,
    /// The network policy keeps it for Wi-Fi (or there is no network).
    Network,
    /// It failed recently and waits out its backoff (or a job is in flight).
    Backoff,
}

impl UploadBlocker {
    /// What a waiting photo waits for, as the upload screen says it
    /// ("" when nothing holds it back).
    pub fn label_zh(self) -> &'static str {
        match self {
            UploadBlocker::None => "",
            UploadBlocker::AwaitingSync => "等所属记录先同步",
            UploadBlocker::Network => "等允许的网络（仅 Wi-Fi 或暂无网络）",
            UploadBlocker::Backoff => "稍后自动重试",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            UploadBlocker::None => "",
            UploadBlocker::AwaitingSync => "waits for its record to sync",
            UploadBlocker::Network => "waits for an allowed network (Wi-Fi only, or none now)",
            UploadBlocker::Backoff => "will retry by itself shortly",
        }
    }

    /// `等允许的网络… / waits for an allowed network…`, or "" for none.
    pub fn label(self) -> String {
        match self {
            UploadBlocker::None => String::new(),
            _ => format!("{} / {}", self.label_zh(), self.label_en()),
        }
    }
}

/// One queued photo on the upload screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadItem {
    pub evidence_id: String,
    /// "visit" or "case".
    pub owner_kind: String,
    pub owner_id: String,
    pub priority: u8,
    pub state: UploadItemState,
    pub size: u64,
    pub offset: u64,
    pub attempts: u32,
    /// Words for the person (Chinese / English) for the last failure.
    pub reason: Option<String>,
    /// A failed item the person may retry.
    pub retryable: bool,
    pub blocked_by: UploadBlocker,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub queued_at: DateTime<Utc>,
}

/// The upload screen: counts per state, bytes still to send, how long the
/// oldest photo has waited (it holds storage on the phone), and the items
/// not yet stored, in queue order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadQueueStatus {
    pub waiting: u32,
    pub uploading: u32,
    pub stored: u32,
    pub failed: u32,
    pub bytes_waiting: u64,
    /// Bytes of photo files still held on the phone by the queue.
    pub bytes_on_device: u64,
    pub oldest_waiting_at: Option<DateTime<Utc>>,
    pub oldest_waiting_age_secs: Option<u64>,
    pub network: NetworkKind,
    pub policy: NetworkPolicy,
    pub items: Vec<UploadItem>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_is_bounded_and_never_zero() {
        let mut last = Duration::ZERO;
        for attempts in 0..100 {
            for unit in [0.0, 0.3, 0.999_999, f64::NAN, -1.0, 7.0] {
                let d = backoff(attempts, unit);
                assert!(d >= Duration::from_secs(1), "{attempts} {unit}: {d:?}");
                assert!(d <= BACKOFF_MAX, "{attempts} {unit}: {d:?}");
            }
            let lo = backoff(attempts, 0.0);
            assert!(lo >= last || lo == BACKOFF_MAX / 2, "monotone lower bound");
            last = lo;
        }
        assert_eq!(backoff(1, 0.0), BACKOFF_BASE / 2);
        assert_eq!(backoff(1, 1.0), BACKOFF_BASE);
        assert_eq!(backoff(3, 1.0), BACKOFF_BASE * 4);
        assert_eq!(backoff(u32::MAX, 1.0), BACKOFF_MAX);
    }

    #[test]
    fn jitter_is_a_unit_fraction_and_varies() {
        let xs: Vec<f64> = (0..200).map(|_| jitter_unit()).collect();
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        let distinct = xs
            .iter()
            .map(|x| (x * 1000.0) as u32)
            .collect::<std::collections::HashSet<_>>();
        assert!(distinct.len() > 50, "{}", distinct.len());
    }

    #[test]
    fn policy_decides_by_network_and_size() {
        use NetworkKind::*;
        let above = NetworkPolicy::UnmeteredAbove { max_bytes: 1000 };
        assert!(!NetworkPolicy::AnyNetwork.allows(None, 1));
        assert!(NetworkPolicy::AnyNetwork.allows(Metered, u64::MAX));
        assert!(!NetworkPolicy::UnmeteredOnly.allows(Metered, 1));
        assert!(NetworkPolicy::UnmeteredOnly.allows(Unmetered, u64::MAX));
        assert!(above.allows(Metered, 1000));
        assert!(!above.allows(Metered, 1001));
        assert!(above.allows(Unmetered, 1001));
    }

    #[test]
    fn priority_puts_critical_cases_first_and_visits_last() {
        let mut v = vec![
            priority(None),
            priority(Some(Severity::Normal)),
            priority(Some(Severity::Critical)),
            priority(Some(Severity::Urgent)),
        ];
        v.sort();
        assert_eq!(v, vec![0, 1, 2, 3]);
        assert_eq!(priority(Some(Severity::Critical)), 0);
        assert_eq!(priority(None), 3);
    }

    #[test]
    fn chunks_grow_with_throughput_and_shrink_on_failure() {
        let mut c = ChunkSizer::new();
        assert_eq!(c.size(), ChunkSizer::START);
        // A fast link: doubles per step up to the cap.
        for _ in 0..10 {
            c.acknowledged(c.size(), Duration::from_millis(10));
        }
        assert_eq!(c.size(), ChunkSizer::MAX);
        c.failed();
        assert_eq!(c.size(), ChunkSizer::MAX / 2);
        // 2G: 64 KiB in 16 s → about 16 KiB per 4 s.
        c.acknowledged(64 * 1024, Duration::from_secs(16));
        assert_eq!(c.size(), ChunkSizer::MIN);
        for _ in 0..20 {
            c.failed();
        }
        assert_eq!(c.size(), ChunkSizer::MIN);
    }
}
