//! Push dispatch on the server (ADR 0011): the channels this server is
//! configured with, and the push queue in its database seen through
//! `gridwork-push`'s `JobQueue`. The store decides who gets which job (in
//! the transaction that creates the inbox item); this file only carries
//! jobs to the channels and brings the outcomes back.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{FixedOffset, Offset as _};
use futures_util::future::BoxFuture;
use gridwork_core::inbox::{InboxItem, InboxKind};
use gridwork_core::store::{PushAddress, PushJob, PushJobUpdate};
use gridwork_core::sync::protocol::PushConfig;
use gridwork_push::{
    ApnsChannel, ApnsConfig, Bilingual, ClaimedJob, Dispatcher, JPushChannel, JPushConfig,
    JobQueue, JobUpdate, Priority, PushData, PushMessage, PushTarget, QueueError, QuietHours,
    RetryPolicy, SmsHookChannel, SmsHookConfig, TargetKind, VapidKey, WebPushChannel,
    WebPushConfig,
};
use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::error::{ApiResult, ServerError};
use crate::routes::blocking;
use crate::storage::ServerStorage;

/// How long a claimed job is this process's by default (wall clock):
/// longer than any channel's timeout, so a live process always finishes
/// first. After it, a job of a dead process goes out from another one.
pub const LEASE: Duration = Duration::from_secs(120);
/// Jobs claimed per pass.
const CLAIM_BATCH: u32 = 200;

/// The channels, as configured at start.
#[derive(Debug, Clone)]
pub struct PushSettings {
    /// The VAPID private key (the raw P-256 scalar, base64url). `None`: the
    /// one in `<data>/vapid.key`, made on first start.
    pub vapid_private_key: Option<String>,
    /// The contact push services see in the VAPID token (mailto: or https:).
    pub vapid_subject: String,
    /// Accept http:// Web Push endpoints (loopback tests, a UnifiedPush
    /// distributor on a private network). Off: https only.
    pub allow_http_endpoints: bool,
    /// APNs: the provider configuration and the .p8 key's PEM text.
    pub apns: Option<(ApnsConfig, String)>,
    pub jpush: Option<JPushConfig>,
    /// The SMS hook for critical items.
    pub sms: Option<SmsHookConfig>,
    /// How long a claimed job stays this process's ([`LEASE`]).
    pub lease: Duration,
}

impl Default for PushSettings {
    fn default() -> Self {
        PushSettings {
            vapid_private_key: None,
            vapid_subject: "mailto:admin@gridwork.invalid".into(),
            allow_http_endpoints: false,
            apns: None,
            jpush: None,
            sms: None,
            lease: LEASE,
        }
    }
}

/// The VAPID key: given, or kept in the data directory (made once).
fn vapid_key(settings: &PushSettings, data_dir: &Path) -> ApiResult<VapidKey> {
    let bad = |e: gridwork_push::ConfigError| ServerError::Internal(format!("VAPID key: {e}"));
    if let Some(k) = &settings.vapid_private_key {
        return VapidKey::from_base64url(k.trim()).map_err(bad);
    }
    let path = data_dir.join("vapid.key");
    if let Ok(text) = std::fs::read_to_string(&path) {
        return VapidKey::from_base64url(text.trim()).map_err(bad);
    }
    use base64::Engine as _;
    // Almost every 32-byte string is a valid scalar; the loop is a guard.
    for _ in 0..16 {
        let raw: [u8; 32] = rand::random();
        if p256::SecretKey::from_slice(&raw).is_err() {
            continue;
        }
        let text = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw);
        write_private(&path, &text)
            .map_err(|e| ServerError::Internal(format!("{}: {e}", path.display())))?;
        tracing::info!(path = %path.display(), "made a VAPID key for Web Push");
        return VapidKey::from_base64url(&text).map_err(bad);
    }
    Err(ServerError::Internal("could not make a VAPID key".into()))
}

fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    let tmp = path.with_extension("key.part");
    {
        use std::io::Write as _;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt as _;
            opts.mode(0o600);
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
    }
    std::fs::rename(tmp, path)
}

/// The push queue in the server's database.
#[derive(Debug)]
pub struct StoreQueue {
    storage: Arc<dyn ServerStorage>,
    lease: Duration,
}

fn wall_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn queue_err(e: ServerError) -> QueueError {
    QueueError(e.to_string())
}

impl JobQueue for StoreQueue {
    fn claim_due(
        &self,
        _now: chrono::DateTime<chrono::Utc>,
    ) -> BoxFuture<'_, Result<Vec<ClaimedJob>, QueueError>> {
        let storage = self.storage.clone();
        Box::pin(async move {
            let lease = i64::try_from(self.lease.as_millis()).unwrap_or(i64::MAX);
            let jobs = blocking(move || storage.claim_push_jobs(CLAIM_BATCH, wall_ms(), lease))
                .await
                .map_err(queue_err)?;
            Ok(jobs.into_iter().map(claimed).collect())
        })
    }

    fn finish(&self, job: u64, update: JobUpdate) -> BoxFuture<'_, Result<(), QueueError>> {
        let storage = self.storage.clone();
        Box::pin(async move {
            let id = i64::try_from(job).map_err(|_| QueueError(format!("job id {job}")))?;
            let update = match update {
                JobUpdate::Held { until } => PushJobUpdate::Held { until },
                JobUpdate::Delivered => PushJobUpdate::Delivered,
                JobUpdate::RetryAt { at, detail } => PushJobUpdate::RetryAt { at, detail },
                JobUpdate::GaveUp { detail } => PushJobUpdate::GaveUp { detail },
                JobUpdate::Rejected { reason } => PushJobUpdate::Rejected { detail: reason },
                JobUpdate::DeadEndpoint => PushJobUpdate::DeadEndpoint,
                JobUpdate::Dropped => PushJobUpdate::Dropped,
            };
            blocking(move || storage.finish_push_job(id, &update))
                .await
                .map_err(queue_err)
        })
    }

    fn next_due(&self) -> BoxFuture<'_, Result<Option<chrono::DateTime<chrono::Utc>>, QueueError>> {
        let storage = self.storage.clone();
        Box::pin(async move {
            blocking(move || storage.next_push_due())
                .await
                .map_err(queue_err)
        })
    }
}

/// China Standard Time: quiet hours are kept in it (no daylight saving).
fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).unwrap_or_else(|| chrono::Utc.fix())
}

fn claimed(job: PushJob) -> ClaimedJob {
    let target = match job.address {
        PushAddress::Endpoint(gridwork_core::inbox::PushEndpoint::WebPush {
            endpoint,
            p256dh,
            auth,
        }) => PushTarget::WebPush {
            endpoint,
            p256dh,
            auth,
        },
        PushAddress::Endpoint(gridwork_core::inbox::PushEndpoint::Apns { device_token }) => {
            PushTarget::Apns { device_token }
        }
        PushAddress::Endpoint(gridwork_core::inbox::PushEndpoint::JPush { registration_id }) => {
            PushTarget::JPush { registration_id }
        }
        PushAddress::Sms { phone } => PushTarget::Sms { phone },
    };
    ClaimedJob {
        id: u64::try_from(job.id).unwrap_or_default(),
        target,
        message: message(&job.item),
        quiet: job.quiet.map(|q| QuietHours::new(q.start, q.end, china())),
        attempts: job.attempts,
    }
}

/// The notification for an inbox item, the same on every channel.
pub fn message(item: &InboxItem) -> PushMessage {
    let (title_zh, title_en) = item.title();
    let (body_zh, body_en) = item.body();
    PushMessage {
        id: item.id.clone(),
        title: Bilingual::new(title_zh, title_en),
        body: Bilingual::new(body_zh, body_en),
        priority: if item.critical {
            Priority::Critical
        } else {
            Priority::Normal
        },
        // The case's latest state matters on the lock screen, not each step.
        collapse_key: format!("case-{}", item.case_id),
        ttl: Duration::from_secs(24 * 3600),
        data: PushData {
            case_id: item.case_id.clone(),
            level: if item.kind == InboxKind::Urged {
                0
            } else {
                item.level
            },
        },
    }
}

/// The server's clock (a test clock, or the system's) for the dispatcher:
/// quiet hours and retry times are in the same time as escalations.
#[derive(Debug)]
pub struct ServerClock(pub Arc<dyn gridwork_core::clock::Clock>);

impl gridwork_push::Clock for ServerClock {
    fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.0.now()
    }
}

/// The dispatcher over the database queue with the configured channels,
/// and what phones need to know of it.
pub fn dispatcher(
    settings: &PushSettings,
    data_dir: &Path,
    storage: Arc<dyn ServerStorage>,
    clock: Arc<dyn gridwork_push::Clock>,
) -> ApiResult<(Dispatcher<StoreQueue>, PushConfig)> {
    let config_err =
        |what: &str, e: gridwork_push::ConfigError| ServerError::Internal(format!("{what}: {e}"));
    let vapid = vapid_key(settings, data_dir)?;
    let public = vapid.public_key().to_string();
    let queue = Arc::new(StoreQueue {
        storage: storage.clone(),
        lease: settings.lease,
    });
    let mut d = Dispatcher::with_queue(queue, RetryPolicy::default(), clock, StdRng::from_os_rng());
    let mut web = WebPushConfig::new(settings.vapid_subject.clone());
    web.allow_http = settings.allow_http_endpoints;
    d.register(
        TargetKind::WebPush,
        Arc::new(WebPushChannel::new(vapid, web).map_err(|e| config_err("Web Push", e))?),
    );
    if let Some((config, p8)) = &settings.apns {
        d.register(
            TargetKind::Apns,
            Arc::new(ApnsChannel::new(config.clone(), p8).map_err(|e| config_err("APNs", e))?),
        );
    }
    if let Some(config) = &settings.jpush {
        d.register(
            TargetKind::JPush,
            Arc::new(JPushChannel::new(config.clone()).map_err(|e| config_err("JPush", e))?),
        );
    }
    if let Some(config) = &settings.sms {
        d.register(
            TargetKind::Sms,
            Arc::new(SmsHookChannel::new(config.clone()).map_err(|e| config_err("SMS hook", e))?),
        );
    }
    let kinds: Vec<String> = d
        .kinds()
        .into_iter()
        .map(|k| match k {
            TargetKind::WebPush => "web_push",
            TargetKind::Apns => "apns",
            TargetKind::JPush => "jpush",
            TargetKind::Sms => "sms",
        })
        .map(str::to_string)
        .collect();
    let refs: Vec<&str> = kinds.iter().map(String::as_str).collect();
    storage.set_push_kinds(&refs)?;
    Ok((
        d,
        PushConfig {
            vapid_public_key: public,
            kinds,
        },
    ))
}
