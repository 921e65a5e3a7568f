//! The photo upload queue in the device store: which photo goes next, the
//! plain tus job for it, what an answer does to the item, the upload
//! screen, "retry now", the network policy, and freeing the phone's storage
//! once the server holds a verified copy. Both the core's own uploader and
//! the shell's background transfers go through `next_upload_job` and
//! `report_upload_result`, so they share one state machine. ADR 0010.

use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tracing::{debug, info, warn};

use super::{new_id, Store, Writer};
use crate::clock::{from_ms, to_ms};
use crate::error::{CoreError, Result};
use crate::evidence::queue::{
    backoff, jitter_unit, priority, HttpHeader, NetworkKind, NetworkPolicy, UploadBlocker,
    UploadItem, UploadItemState, UploadJob, UploadOutcome, UploadQueueStatus, UploadResult,
    UploadStep, JOB_LEASE, MAX_CHECKSUM_RETRIES, MAX_UNKNOWN_RETRIES,
};
use crate::priority::Severity;
use crate::sync::protocol::ErrorBody;

/// The tus protocol version every request carries.
pub const TUS_VERSION: &str = "1.0.0";
/// Where uploads are created, under the server URL.
pub const UPLOADS_PATH: &str = "/v1/uploads";

/// What a job handed out was, kept on the row until its answer comes back.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct JobStep {
    step: UploadStep,
    offset: u64,
    length: u64,
    /// Where it went (a relative `Location` resolves against it).
    url: String,
}

/// The item a job belongs to: id, size, attempts, checksum retries,
/// unknown-evidence retries, the job's step, the upload state.
type JobRow = (String, u64, u32, u32, u32, Option<String>, String);

/// One queued photo as the queue reads it.
#[derive(Debug, Clone)]
struct Row {
    id: String,
    owner_kind: String,
    owner_id: String,
    severity: Option<String>,
    state: String,
    size: u64,
    offset: u64,
    sha256: String,
    media_type: String,
    local_path: Option<String>,
    upload_url: Option<String>,
    offset_known: bool,
    next_attempt_at: i64,
    retryable: bool,
    job_id: Option<String>,
    attempts: u32,
    last_error: Option<String>,
    queued_at: i64,
    awaiting_sync: bool,
}

impl Row {
    fn priority(&self) -> u8 {
        if self.owner_kind == "case" {
            priority(Some(
                self.severity
                    .as_deref()
                    .and_then(Severity::parse)
                    .unwrap_or(Severity::Normal),
            ))
        } else {
            priority(None)
        }
    }
}

/// Queue order: priority (case severity, then visits), then oldest first.
const QUEUE_SELECT: &str = "
    SELECT e.id, e.owner_kind, e.owner_id, c.severity, e.upload_state, e.size, e.upload_offset,
           e.sha256, e.media_type, e.local_path, e.upload_url, e.offset_known, e.next_attempt_at,
           e.retryable, e.job_id, e.attempts, e.last_error, e.queued_at,
           EXISTS (SELECT 1 FROM outbox o WHERE o.kind = 'evidence_recorded' AND o.entity_id = e.id)
    FROM evidence e
    LEFT JOIN case_file c ON e.owner_kind = 'case' AND c.id = e.owner_id
    WHERE e.queued_at IS NOT NULL";

const QUEUE_ORDER: &str = "
    ORDER BY CASE WHEN e.owner_kind = 'case' THEN
               CASE c.severity WHEN 'critical' THEN 0 WHEN 'urgent' THEN 1 ELSE 2 END
             ELSE 3 END,
             e.queued_at, e.id";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        id: r.get(0)?,
        owner_kind: r.get(1)?,
        owner_id: r.get(2)?,
        severity: r.get(3)?,
        state: r.get(4)?,
        size: r.get::<_, i64>(5)?.max(0) as u64,
        offset: r.get::<_, i64>(6)?.max(0) as u64,
        sha256: r.get(7)?,
        media_type: r.get(8)?,
        local_path: r.get(9)?,
        upload_url: r.get(10)?,
        offset_known: r.get::<_, i64>(11)? != 0,
        next_attempt_at: r.get(12)?,
        retryable: r.get::<_, i64>(13)? != 0,
        job_id: r.get(14)?,
        attempts: r.get(15)?,
        last_error: r.get(16)?,
        queued_at: r.get(17)?,
        awaiting_sync: r.get::<_, i64>(18)? != 0,
    })
}

fn meta_get(c: &rusqlite::Connection, key: &str) -> Result<Option<String>> {
    Ok(c.prepare_cached("SELECT value FROM meta WHERE key = ?1")?
        .query_row([key], |r| r.get(0))
        .optional()?)
}

fn meta_put(w: &Writer<'_>, key: &str, value: &str) -> Result<()> {
    w.sqlite()?
        .prepare_cached(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        )?
        .execute([key, value])?;
    Ok(())
}

fn policy_in(c: &rusqlite::Connection) -> Result<NetworkPolicy> {
    match meta_get(c, "upload_network_policy")? {
        Some(text) => super::from_json("meta.upload_network_policy", &text),
        None => Ok(NetworkPolicy::default()),
    }
}

fn network_in(c: &rusqlite::Connection) -> Result<NetworkKind> {
    // Until the shell says otherwise, assume mobile data: the policy then
    // decides, and a Wi-Fi-only setting is never overridden by a guess.
    Ok(meta_get(c, "network_kind")?
        .and_then(|s| NetworkKind::parse(&s))
        .unwrap_or(NetworkKind::Metered))
}

/// `Upload-Metadata`: comma-separated `key base64(value)` pairs (tus 1.0).
fn upload_metadata(r: &Row) -> String {
    format!(
        "evidence_id {},sha256 {},filetype {}",
        B64.encode(&r.id),
        B64.encode(&r.sha256),
        B64.encode(&r.media_type)
    )
}

/// SHA-256 of `len` bytes of a file from `offset`, base64 (the tus checksum
/// extension's `Upload-Checksum: sha256 <base64>`).
pub fn range_checksum(path: &Path, offset: u64, len: u64) -> Result<String> {
    let mut file = File::open(path).map_err(|e| CoreError::io(path, e))?;
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| CoreError::io(path, e))?;
    let mut reader = BufReader::with_capacity(64 * 1024, file.take(len));
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut seen = 0u64;
    loop {
        let n = reader.read(&mut buf).map_err(|e| CoreError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        seen += n as u64;
    }
    if seen != len {
        return Err(CoreError::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "photo file shorter than recorded",
            ),
        ));
    }
    Ok(B64.encode(hasher.finalize()))
}

/// `len` bytes of a file from `offset` and their checksum as
/// [`range_checksum`] gives it, from one read: the core's own uploader
/// sends the bytes it hashed instead of reading the file twice.
pub fn range_with_checksum(path: &Path, offset: u64, len: u64) -> Result<(Vec<u8>, String)> {
    let mut file = File::open(path).map_err(|e| CoreError::io(path, e))?;
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| CoreError::io(path, e))?;
    let mut body = Vec::with_capacity(len as usize);
    file.take(len)
        .read_to_end(&mut body)
        .map_err(|e| CoreError::io(path, e))?;
    if body.len() as u64 != len {
        return Err(CoreError::io(
            path,
            std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "photo file shorter than recorded",
            ),
        ));
    }
    let sum = B64.encode(Sha256::digest(&body));
    Ok((body, sum))
}

/// Resolve a `Location` (absolute, or relative to the create URL as HTTP
/// says) into an absolute URL.
fn resolve_location(create_url: &str, location: &str) -> Option<String> {
    let base = reqwest::Url::parse(create_url).ok()?;
    base.join(location.trim()).ok().map(|u| u.to_string())
}

/// RFC 7240: answer a completing request once verified (ADR 0009).
fn prefer_async() -> HttpHeader {
    HttpHeader {
        name: "Prefer".into(),
        value: "respond-async".into(),
    }
}

/// The person-facing reason in an ErrorBody, or the status line.
fn reason_from(result: &UploadResult) -> String {
    let body = result
        .body
        .as_deref()
        .and_then(|b| serde_json::from_str::<ErrorBody>(b).ok())
        .map(|e| format!("{} ({})", e.reason, e.code));
    match (result.status, body, &result.error) {
        (_, Some(b), _) => b,
        (Some(s), None, _) => format!("服务器答复HTTP {s} / the server answered HTTP {s}"),
        (None, None, Some(e)) => format!("网络中断 / the connection failed: {e}"),
        (None, None, None) => "网络中断 / the connection failed".into(),
    }
}

impl Writer<'_> {
    fn queue_rows(&self, extra: &str) -> Result<Vec<Row>> {
        let mut stmt = self
            .sqlite()?
            .prepare_cached(&format!("{QUEUE_SELECT} {extra} {QUEUE_ORDER}"))?;
        let rows = stmt.query_map([], row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A failure worth retrying: count it, remember why, wait out a backoff
    /// that grows with the attempts. The offset must be asked again.
    fn upload_retry_later(&mut self, id: &str, attempts: u32, reason: &str) -> Result<()> {
        let attempts = attempts.saturating_add(1);
        let wait = backoff(attempts, jitter_unit());
        let next = to_ms(self.now) + wait.as_millis() as i64;
        warn!(evidence = id, attempts, wait_s = wait.as_secs(), %reason, "upload will be retried");
        self.sqlite()?
            .prepare_cached(
                "UPDATE evidence SET attempts = ?2, last_error = ?3, next_attempt_at = ?4,
                 offset_known = 0, job_id = NULL, job_step = NULL WHERE id = ?1",
            )?
            .execute(rusqlite::params![id, attempts, reason, next])?;
        Ok(())
    }

    /// A failure that retrying would not fix (or not without the person).
    fn upload_failed(
        &mut self,
        id: &str,
        attempts: u32,
        reason: &str,
        retryable: bool,
    ) -> Result<()> {
        warn!(evidence = id, retryable, %reason, "upload failed");
        self.sqlite()?
            .prepare_cached(
                "UPDATE evidence SET upload_state = 'failed', attempts = ?2, last_error = ?3,
                 retryable = ?4, next_attempt_at = 0, offset_known = 0, job_id = NULL,
                 job_step = NULL WHERE id = ?1",
            )?
            .execute(rusqlite::params![
                id,
                attempts.saturating_add(1),
                reason,
                retryable
            ])?;
        Ok(())
    }

    fn upload_stored(&mut self, id: &str, size: u64) -> Result<()> {
        info!(
            evidence = id,
            size, "photo stored and verified by the server"
        );
        self.sqlite()?
            .prepare_cached(
                "UPDATE evidence SET upload_state = 'stored', upload_offset = ?2, last_error = NULL,
                 next_attempt_at = 0, job_id = NULL, job_step = NULL, stored_at = ?3 WHERE id = ?1",
            )?
            .execute(rusqlite::params![id, size as i64, to_ms(self.now)])?;
        Ok(())
    }

    /// The server knows `offset` bytes (acknowledged or told by HEAD):
    /// persisted now, so a kill re-sends at most the chunk in flight.
    fn upload_at(&mut self, id: &str, offset: u64) -> Result<()> {
        self.sqlite()?
            .prepare_cached(
                "UPDATE evidence SET upload_state = 'uploading', upload_offset = ?2,
                 offset_known = 1, next_attempt_at = 0, job_id = NULL, job_step = NULL
                 WHERE id = ?1",
            )?
            .execute(rusqlite::params![id, offset as i64])?;
        Ok(())
    }

    /// The server has no such upload (expired, terminated, never made):
    /// create it again.
    fn upload_forgotten(&mut self, id: &str) -> Result<()> {
        self.sqlite()?
            .prepare_cached(
                "UPDATE evidence SET upload_state = 'waiting', upload_url = NULL, upload_offset = 0,
                 offset_known = 0, next_attempt_at = 0, job_id = NULL, job_step = NULL
                 WHERE id = ?1",
            )?
            .execute([id])?;
        Ok(())
    }

    /// The server took every byte and verified the file but answered before
    /// making it durable (`Preference-Applied: respond-async`): the photo
    /// stays `uploading` at full length, its file kept, until the server
    /// confirms it stored ([`Store::confirm_uploads`]). No other state is
    /// `uploading` at full length.
    fn upload_verifying(&mut self, id: &str, size: u64) -> Result<()> {
        self.sqlite()?
            .prepare_cached(
                "UPDATE evidence SET upload_state = 'uploading', upload_offset = ?2,
                 offset_known = 1, checksum_retries = 0, next_attempt_at = 0, job_id = NULL,
                 job_step = NULL WHERE id = ?1",
            )?
            .execute(rusqlite::params![id, size as i64])?;
        Ok(())
    }

    /// Ask the server again before sending (after 409, a lost answer, …).
    fn upload_recheck(&mut self, id: &str) -> Result<()> {
        self.sqlite()?
            .prepare_cached(
                "UPDATE evidence SET offset_known = 0, next_attempt_at = 0, job_id = NULL,
                 job_step = NULL WHERE id = ?1",
            )?
            .execute([id])?;
        Ok(())
    }
}

impl Store {
    /// The network the shell last reported (Metered until it says).
    pub fn network_kind(&self) -> Result<NetworkKind> {
        self.read(network_in)
    }

    /// The shell reports connectivity changes here.
    pub fn set_network_kind(&self, kind: NetworkKind) -> Result<()> {
        self.write_silent(|w| meta_put(w, "network_kind", kind.as_str()))
    }

    pub fn upload_network_policy(&self) -> Result<NetworkPolicy> {
        self.read(policy_in)
    }

    /// The person's choice of which photos may use mobile data.
    pub fn set_upload_network_policy(&self, policy: NetworkPolicy) -> Result<()> {
        if let NetworkPolicy::UnmeteredAbove { max_bytes: 0 } = policy {
            return Err(CoreError::invalid(
                "policy.max_bytes",
                "上限须大于0；只用Wi-Fi请选\u{201c}仅Wi-Fi\u{201d} / the limit must be above 0; choose unmetered-only for Wi-Fi only",
            ));
        }
        self.write_silent(|w| {
            meta_put(w, "upload_network_policy", &serde_json::to_string(&policy)?)
        })
    }

    /// The upload screen.
    pub fn upload_queue_status(&self) -> Result<UploadQueueStatus> {
        let now = self.now();
        let now_ms = to_ms(now);
        self.read(|c| {
            let policy = policy_in(c)?;
            let network = network_in(c)?;
            let mut stmt = c.prepare_cached(&format!("{QUEUE_SELECT} {QUEUE_ORDER}"))?;
            let rows: Vec<Row> = stmt.query_map([], row)?.collect::<rusqlite::Result<_>>()?;
            let mut s = UploadQueueStatus {
                waiting: 0,
                uploading: 0,
                stored: 0,
                failed: 0,
                bytes_waiting: 0,
                bytes_on_device: 0,
                oldest_waiting_at: None,
                oldest_waiting_age_secs: None,
                network,
                policy,
                items: Vec::new(),
            };
            let mut oldest: Option<i64> = None;
            for r in rows {
                if r.local_path.is_some() {
                    s.bytes_on_device += r.size;
                }
                let state = match r.state.as_str() {
                    "waiting" => UploadItemState::Waiting,
                    "uploading" => UploadItemState::Uploading,
                    "stored" => UploadItemState::Stored,
                    "failed" => UploadItemState::Failed,
                    other => return Err(CoreError::corrupt("evidence.upload_state", other)),
                };
                match state {
                    UploadItemState::Waiting => s.waiting += 1,
                    UploadItemState::Uploading => s.uploading += 1,
                    UploadItemState::Stored => {
                        s.stored += 1;
                        continue;
                    }
                    UploadItemState::Failed => s.failed += 1,
                }
                let remaining = r.size.saturating_sub(r.offset);
                if state != UploadItemState::Failed {
                    s.bytes_waiting += remaining;
                    oldest = Some(oldest.map_or(r.queued_at, |o| o.min(r.queued_at)));
                }
                let blocked_by = if state == UploadItemState::Failed {
                    UploadBlocker::None
                } else if r.awaiting_sync {
                    UploadBlocker::AwaitingSync
                } else if !policy.allows(network, remaining) {
                    UploadBlocker::Network
                } else if r.next_attempt_at > now_ms {
                    UploadBlocker::Backoff
                } else {
                    UploadBlocker::None
                };
                s.items.push(UploadItem {
                    priority: r.priority(),
                    evidence_id: r.id,
                    owner_kind: r.owner_kind,
                    owner_id: r.owner_id,
                    state,
                    size: r.size,
                    offset: r.offset,
                    attempts: r.attempts,
                    reason: r.last_error,
                    retryable: state == UploadItemState::Failed && r.retryable,
                    blocked_by,
                    next_attempt_at: (r.next_attempt_at > now_ms)
                        .then(|| from_ms(r.next_attempt_at)),
                    queued_at: from_ms(r.queued_at),
                });
            }
            s.oldest_waiting_at = oldest.map(from_ms);
            s.oldest_waiting_age_secs = oldest.map(|o| ((now_ms - o).max(0) / 1000) as u64);
            Ok(s)
        })
    }

    /// Ids of the photos that may go now on `network`, in queue order: not
    /// stored or failed, backoff over, no job in flight, their record already
    /// answered by the server, allowed by the network policy.
    pub fn uploadable(&self, network: NetworkKind) -> Result<Vec<String>> {
        let now_ms = to_ms(self.now());
        self.read(|c| {
            let policy = policy_in(c)?;
            let mut stmt = c.prepare_cached(&format!(
                "{QUEUE_SELECT} AND e.upload_state IN ('waiting', 'uploading') {QUEUE_ORDER}"
            ))?;
            let rows: Vec<Row> = stmt.query_map([], row)?.collect::<rusqlite::Result<_>>()?;
            Ok(rows
                .into_iter()
                .filter(|r| {
                    !r.awaiting_sync
                        && r.next_attempt_at <= now_ms
                        && policy.allows(network, r.size.saturating_sub(r.offset))
                })
                .map(|r| r.id)
                .collect())
        })
    }

    /// "Retry now": every waiting photo goes at the next upload, and failed
    /// photos that may be retried join them. A job in flight keeps its
    /// lease (its answer is still coming). Returns how many were released.
    pub fn retry_uploads_now(&self) -> Result<u32> {
        self.write_silent(|w| {
            let waiting = w.sqlite()?.execute(
                "UPDATE evidence SET next_attempt_at = 0
                 WHERE queued_at IS NOT NULL AND upload_state IN ('waiting', 'uploading')
                   AND job_id IS NULL AND next_attempt_at > 0",
                [],
            )?;
            let failed = w.sqlite()?.execute(
                "UPDATE evidence SET upload_state = CASE WHEN upload_url IS NULL THEN 'waiting' ELSE 'uploading' END,
                   next_attempt_at = 0, offset_known = 0, unknown_retries = 0, checksum_retries = 0
                 WHERE queued_at IS NOT NULL AND upload_state = 'failed' AND retryable = 1",
                [],
            )?;
            Ok((waiting + failed) as u32)
        })
    }

    /// The core's uploader starts a new session: every offset is asked again
    /// (HEAD) before bytes are sent, and jobs handed out earlier are taken
    /// over.
    pub fn begin_upload_session(&self) -> Result<()> {
        self.write_silent(|w| {
            // Leases of jobs handed out before (by a killed session, or a
            // shell transfer that may still run) end now: the item is asked
            // about (HEAD) first, and tus refuses a PATCH at a stale offset,
            // so two carriers cannot corrupt an upload; the older carrier's
            // answer is then ignored as stale.
            w.sqlite()?.execute(
                "UPDATE evidence SET offset_known = 0,
                   next_attempt_at = CASE WHEN job_id IS NOT NULL THEN 0 ELSE next_attempt_at END
                 WHERE queued_at IS NOT NULL AND upload_state IN ('waiting', 'uploading')",
                [],
            )?;
            Ok(())
        })
    }

    /// The next plain tus request for the first photo that may go now, or
    /// `None` when nothing can. `server` is the server's base URL, `token`
    /// the device credential. A PATCH carries at most `max_chunk` bytes
    /// (`None`: the rest of the file, for a background transfer). The item
    /// is leased to the job until its answer comes back or `JOB_LEASE` runs
    /// out. A photo whose file has gone from the phone fails here, with the
    /// reason, and the next one is offered.
    pub fn next_upload_job(
        &self,
        server: &str,
        token: &str,
        network: NetworkKind,
        max_chunk: Option<u64>,
    ) -> Result<Option<UploadJob>> {
        Ok(self
            .next_upload_job_with(server, token, network, max_chunk, false, false, false)?
            .map(|(job, _)| job))
    }

    /// [`next_upload_job`](Self::next_upload_job), with the first bytes
    /// sent with the creation when `bytes_on_create` (tus
    /// creation-with-upload: one round trip per photo instead of two). The
    /// core's own uploader asks for it; jobs for the shell keep the plain
    /// steps its background transfer expects. With `with_body` the job's
    /// body comes along, read in the same pass as its checksum. With
    /// `deferred` a completing request asks `Prefer: respond-async` and
    /// photos already answered that way are left for
    /// [`confirm_uploads`](Self::confirm_uploads); without it such a photo
    /// is asked about with a HEAD (which the server answers once stored).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn next_upload_job_with(
        &self,
        server: &str,
        token: &str,
        network: NetworkKind,
        max_chunk: Option<u64>,
        bytes_on_create: bool,
        with_body: bool,
        deferred: bool,
    ) -> Result<Option<(UploadJob, Option<Vec<u8>>)>> {
        let server = server.trim().trim_end_matches('/');
        let create_url = format!("{server}{UPLOADS_PATH}");
        self.write_relaxed(|w| {
            let now_ms = to_ms(w.now);
            let policy = policy_in(w.sqlite()?)?;
            let rows = w.queue_rows(&format!(
                "AND e.upload_state IN ('waiting', 'uploading') AND e.next_attempt_at <= {now_ms}"
            ))?;
            for r in rows {
                let remaining = r.size.saturating_sub(r.offset);
                // Every byte taken and verified, "stored" still to come.
                let verifying = r.state == "uploading" && remaining == 0 && r.upload_url.is_some();
                if verifying && deferred {
                    continue;
                }
                if r.awaiting_sync || !policy.allows(network, remaining) {
                    continue;
                }
                let Some(path) = r.local_path.clone() else {
                    w.upload_failed(
                        &r.id,
                        r.attempts,
                        "照片文件已不在手机上 / the photo file is no longer on the phone",
                        false,
                    )?;
                    continue;
                };
                let on_disk = std::fs::metadata(&path).map(|m| m.len()).ok();
                if on_disk != Some(r.size) {
                    w.upload_failed(
                        &r.id,
                        r.attempts,
                        "照片文件在手机上丢失或已损坏，无法上传 / the photo file on the phone is missing or damaged and cannot be uploaded",
                        false,
                    )?;
                    continue;
                }
                // A job handed out earlier that never came back: the server
                // may have taken some of it, so ask before sending.
                let step = match (&r.upload_url, r.offset_known && r.job_id.is_none()) {
                    (None, _) => UploadStep::Create,
                    (Some(_), _) if verifying => UploadStep::Head,
                    (Some(_), false) => UploadStep::Head,
                    (Some(_), true) => UploadStep::Patch,
                };
                // Only a request that may complete the file asks to be
                // answered before it is durable.
                let prefer = deferred
                    && match step {
                        UploadStep::Create => bytes_on_create,
                        UploadStep::Patch => true,
                        UploadStep::Head => false,
                    };
                let mut headers = vec![
                    HttpHeader {
                        name: "Tus-Resumable".into(),
                        value: TUS_VERSION.into(),
                    },
                    HttpHeader {
                        name: "Authorization".into(),
                        value: format!("Bearer {token}"),
                    },
                ];
                let mut body = None;
                let checksum = |body: &mut Option<Vec<u8>>, path: &Path, offset, len| {
                    if with_body {
                        let (bytes, sum) = range_with_checksum(path, offset, len)?;
                        *body = Some(bytes);
                        Ok::<_, CoreError>(sum)
                    } else {
                        range_checksum(path, offset, len)
                    }
                };
                let (url, offset, length) = match step {
                    UploadStep::Create => {
                        headers.push(HttpHeader {
                            name: "Upload-Length".into(),
                            value: r.size.to_string(),
                        });
                        headers.push(HttpHeader {
                            name: "Upload-Metadata".into(),
                            value: upload_metadata(&r),
                        });
                        let length = if bytes_on_create {
                            max_chunk.map_or(r.size, |m| m.max(1).min(r.size))
                        } else {
                            0
                        };
                        if length > 0 {
                            let sum = checksum(&mut body, Path::new(&path), 0, length)?;
                            if prefer && length == r.size {
                                headers.push(prefer_async());
                            }
                            headers.push(HttpHeader {
                                name: "Content-Type".into(),
                                value: "application/offset+octet-stream".into(),
                            });
                            headers.push(HttpHeader {
                                name: "Upload-Checksum".into(),
                                value: format!("sha256 {sum}"),
                            });
                        }
                        (create_url.clone(), 0, length)
                    }
                    UploadStep::Head => (r.upload_url.clone().unwrap_or_default(), r.offset, 0),
                    UploadStep::Patch => {
                        let length = max_chunk.map_or(remaining, |m| m.max(1).min(remaining));
                        let sum = checksum(&mut body, Path::new(&path), r.offset, length)?;
                        if prefer && r.offset + length == r.size {
                            headers.push(prefer_async());
                        }
                        headers.push(HttpHeader {
                            name: "Content-Type".into(),
                            value: "application/offset+octet-stream".into(),
                        });
                        headers.push(HttpHeader {
                            name: "Upload-Offset".into(),
                            value: r.offset.to_string(),
                        });
                        headers.push(HttpHeader {
                            name: "Upload-Checksum".into(),
                            value: format!("sha256 {sum}"),
                        });
                        (r.upload_url.clone().unwrap_or_default(), r.offset, length)
                    }
                };
                let job_id = new_id();
                let lease_until = w.now
                    + chrono::Duration::from_std(JOB_LEASE).unwrap_or(chrono::Duration::minutes(30));
                let step_json = serde_json::to_string(&JobStep {
                    step,
                    offset,
                    length,
                    url: url.clone(),
                })?;
                w.sqlite()?.prepare_cached(
                    "UPDATE evidence SET job_id = ?2, job_step = ?3, next_attempt_at = ?4 WHERE id = ?1",
                )?
                .execute(rusqlite::params![r.id, job_id, step_json, to_ms(lease_until)])?;
                debug!(evidence = %r.id, ?step, offset, length, "upload job");
                return Ok(Some((
                    UploadJob {
                        job_id,
                        evidence_id: r.id,
                        step,
                        method: step.method().into(),
                        url,
                        headers,
                        file_path: (length > 0).then_some(path),
                        offset,
                        length,
                        total: r.size,
                        lease_until,
                    },
                    body,
                )));
            }
            Ok(None)
        })
    }

    /// Feed the answer to a job into the queue. Whatever carried it (the
    /// core or the shell), the same answer moves the item the same way.
    /// Afterwards, photo files the server holds verified are removed from
    /// the phone when nothing still waiting to sync needs them.
    pub fn report_upload_result(
        &self,
        job_id: &str,
        result: &UploadResult,
    ) -> Result<UploadOutcome> {
        let outcome = self.report_upload_result_only(job_id, result, false)?;
        if outcome == UploadOutcome::Stored {
            self.release_uploaded_files()?;
        }
        Ok(outcome)
    }

    /// [`report_upload_result`](Self::report_upload_result) without freeing
    /// files: the core's own uploader frees them once at the end of its run
    /// (each release is a durable commit, which would otherwise cost an
    /// fsync per photo), and a killed run's are freed at the next start.
    /// `answered_early`: the answer carried `Preference-Applied:
    /// respond-async` (verified, not yet durable; "stored" comes from
    /// [`confirm_uploads`](Self::confirm_uploads)).
    pub(crate) fn report_upload_result_only(
        &self,
        job_id: &str,
        result: &UploadResult,
        answered_early: bool,
    ) -> Result<UploadOutcome> {
        self.write_relaxed(|w| {
            let found: Option<JobRow> = w
                .sqlite()?
                .prepare_cached(
                    "SELECT id, size, attempts, checksum_retries, unknown_retries, job_step, upload_state
                     FROM evidence WHERE job_id = ?1",
                )?
                .query_row([job_id], |r| {
                    Ok((
                        r.get(0)?,
                        r.get::<_, i64>(1)?.max(0) as u64,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                    ))
                })
                .optional()?;
            let Some((id, size, attempts, checksum_retries, unknown_retries, step, state)) = found
            else {
                debug!(job = job_id, "stale upload result ignored");
                return Ok(UploadOutcome::Stale);
            };
            if state != "waiting" && state != "uploading" {
                return Ok(UploadOutcome::Stale);
            }
            let job: JobStep = super::from_json("evidence.job_step", step.as_deref().unwrap_or(""))?;
            let reason = reason_from(result);
            let Some(status) = result.status else {
                w.upload_retry_later(&id, attempts, &reason)?;
                return Ok(UploadOutcome::RetryLater);
            };
            Ok(match (job.step, status) {
                (UploadStep::Create, 200 | 201) => match result.location.as_deref() {
                    Some(loc) => {
                        match resolve_location(&job.url, loc) {
                            Some(url) => {
                                // Creation is idempotent per evidence: the
                                // server may already hold part of it, so the
                                // next step asks (HEAD) rather than assumes 0
                                // — unless the answer said where the upload
                                // stands (Gridwork's server does; the tus
                                // spec leaves it optional). At full length
                                // HEAD still confirms: only a verified
                                // upload is taken as stored.
                                w.sqlite()?.prepare_cached(
                                    "UPDATE evidence SET upload_state = 'uploading', upload_url = ?2,
                                     offset_known = 0, unknown_retries = 0, next_attempt_at = 0,
                                     job_id = NULL, job_step = NULL WHERE id = ?1",
                                )?
                                .execute([&id, &url])?;
                                match result.upload_offset {
                                    // Our bytes completed the file: the
                                    // server answers only after verifying it.
                                    Some(o) if o == size && job.length > 0 && answered_early => {
                                        w.upload_verifying(&id, size)?;
                                        UploadOutcome::Progressed
                                    }
                                    Some(o) if o == size && job.length > 0 => {
                                        w.upload_stored(&id, size)?;
                                        UploadOutcome::Stored
                                    }
                                    Some(o) if o < size => {
                                        w.upload_at(&id, o)?;
                                        UploadOutcome::Progressed
                                    }
                                    _ => UploadOutcome::Progressed,
                                }
                            }
                            None => {
                                w.upload_retry_later(&id, attempts, &format!("服务器给出的上传地址无效 / the server gave an invalid upload address: {loc}"))?;
                                UploadOutcome::RetryLater
                            }
                        }
                    }
                    None => {
                        w.upload_retry_later(&id, attempts, "服务器未给出上传地址 / the server gave no upload address")?;
                        UploadOutcome::RetryLater
                    }
                },
                (UploadStep::Create, 404 | 409) => {
                    // The server does not know the evidence record. We only
                    // create after its record was answered, so this is odd
                    // but can be passing (a restore, a second server): a few
                    // tries, then a failure the person can retry.
                    let pending: bool = w
                        .sqlite()?
                        .prepare_cached(
                            "SELECT EXISTS (SELECT 1 FROM outbox WHERE kind = 'evidence_recorded' AND entity_id = ?1)",
                        )?
                        .query_row([&id], |r| r.get(0))?;
                    if pending {
                        w.upload_recheck(&id)?;
                        UploadOutcome::WaitingForSync
                    } else if unknown_retries + 1 >= MAX_UNKNOWN_RETRIES {
                        w.upload_failed(
                            &id,
                            attempts,
                            &format!("服务器没有这张照片的记录 / the server has no record of this photo: {reason}"),
                            true,
                        )?;
                        UploadOutcome::Failed
                    } else {
                        w.sqlite()?.prepare_cached("UPDATE evidence SET unknown_retries = unknown_retries + 1 WHERE id = ?1")?
                            .execute([&id])?;
                        w.upload_retry_later(&id, attempts, &format!("服务器暂不认识这张照片，稍后再试 / the server does not know this photo yet: {reason}"))?;
                        UploadOutcome::WaitingForSync
                    }
                }
                (_, 422) | (_, 413) => {
                    w.upload_failed(
                        &id,
                        attempts,
                        &format!("服务器拒收这张照片 / the server refused this photo: {reason}"),
                        false,
                    )?;
                    UploadOutcome::Failed
                }
                (UploadStep::Head, 200 | 204) => match result.upload_offset {
                    Some(o) if o == size => {
                        // A final PATCH is answered 204 only after the whole
                        // file's hash was verified; a HEAD at full length
                        // means that answer was given (and lost on the way).
                        w.upload_stored(&id, size)?;
                        UploadOutcome::Stored
                    }
                    Some(o) if o < size => {
                        w.upload_at(&id, o)?;
                        UploadOutcome::Progressed
                    }
                    _ => {
                        w.upload_retry_later(&id, attempts, "服务器答复的上传进度无效 / the server answered an invalid upload offset")?;
                        UploadOutcome::RetryLater
                    }
                },
                (UploadStep::Head | UploadStep::Patch, 404 | 410) => {
                    w.upload_forgotten(&id)?;
                    UploadOutcome::Progressed
                }
                (UploadStep::Patch, 200 | 204) => match result.upload_offset {
                    Some(o) if o == size && answered_early => {
                        w.upload_verifying(&id, size)?;
                        UploadOutcome::Progressed
                    }
                    Some(o) if o == size => {
                        w.upload_stored(&id, size)?;
                        UploadOutcome::Stored
                    }
                    Some(o) if o > job.offset && o < size => {
                        w.upload_at(&id, o)?;
                        w.sqlite()?.prepare_cached("UPDATE evidence SET checksum_retries = 0 WHERE id = ?1")?
                            .execute([&id])?;
                        UploadOutcome::Progressed
                    }
                    _ => {
                        w.upload_recheck(&id)?;
                        UploadOutcome::Progressed
                    }
                },
                (UploadStep::Patch, 409) => {
                    // Our offset is not the server's: ask and continue there.
                    w.upload_recheck(&id)?;
                    UploadOutcome::Progressed
                }
                (UploadStep::Patch, 460) => {
                    if checksum_retries + 1 > MAX_CHECKSUM_RETRIES {
                        w.upload_failed(
                            &id,
                            attempts,
                            &format!("照片校验失败，服务器拒收 / the photo failed the server's checksum: {reason}"),
                            false,
                        )?;
                        UploadOutcome::Failed
                    } else {
                        w.sqlite()?.prepare_cached("UPDATE evidence SET checksum_retries = checksum_retries + 1 WHERE id = ?1")?
                            .execute([&id])?;
                        w.upload_recheck(&id)?;
                        UploadOutcome::Progressed
                    }
                }
                _ => {
                    w.upload_retry_later(&id, attempts, &reason)?;
                    UploadOutcome::RetryLater
                }
            })
        })
    }

    /// Photos the server answered early (verified, not yet durable) and has
    /// not yet confirmed stored, oldest first.
    pub(crate) fn awaiting_confirmation(&self) -> Result<Vec<String>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT id FROM evidence
                 WHERE queued_at IS NOT NULL AND upload_state = 'uploading' AND upload_offset = size
                   AND upload_url IS NOT NULL AND job_id IS NULL
                 ORDER BY queued_at, id",
            )?;
            let ids = stmt.query_map([], |r| r.get(0))?;
            Ok(ids.collect::<rusqlite::Result<_>>()?)
        })
    }

    /// The server's word on photos awaiting confirmation: `true` stored
    /// (its file may go), `false` not (asked again with a HEAD, which says
    /// where the upload stands, and sent on from there). Returns how many
    /// were stored. Photos in any other state are left as they are.
    pub(crate) fn confirm_uploads(&self, answers: &[(String, bool)]) -> Result<u32> {
        self.write_relaxed(|w| {
            let mut stored = 0;
            for (id, is_stored) in answers {
                let size: Option<i64> = w
                    .sqlite()?
                    .prepare_cached(
                        "SELECT size FROM evidence WHERE id = ?1 AND upload_state = 'uploading'
                         AND upload_offset = size AND job_id IS NULL",
                    )?
                    .query_row([id], |r| r.get(0))
                    .optional()?;
                let Some(size) = size else { continue };
                if *is_stored {
                    w.upload_stored(id, size.max(0) as u64)?;
                    stored += 1;
                } else {
                    warn!(evidence = %id, "the server has not stored a photo it took; asking where it stands");
                    w.sqlite()?.prepare_cached(
                        "UPDATE evidence SET upload_offset = 0, offset_known = 0, next_attempt_at = 0
                         WHERE id = ?1",
                    )?
                    .execute([id])?;
                }
            }
            Ok(stored)
        })
    }

    /// Set a job's photo aside for a backoff without an answer to judge
    /// (the core's uploader does this when a photo keeps making no
    /// progress). `reason` is shown to the person.
    pub fn set_upload_aside(&self, job_id: &str, reason: &str) -> Result<bool> {
        self.write_silent(|w| {
            let found: Option<(String, u32)> = w
                .sqlite()?
                .prepare_cached("SELECT id, attempts FROM evidence WHERE job_id = ?1")?
                .query_row([job_id], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            match found {
                Some((id, attempts)) => {
                    w.upload_retry_later(&id, attempts, reason)?;
                    Ok(true)
                }
                None => Ok(false),
            }
        })
    }

    /// Remove from the phone the files of photos the server holds verified,
    /// once no operation waiting in the outbox mentions them (the record, a
    /// case action that cites it). The file goes first, then the path is
    /// cleared: a kill in between leaves a stored item naming a missing file,
    /// never a missing file for an item still to upload. Returns the count.
    pub fn release_uploaded_files(&self) -> Result<u32> {
        let candidates: Vec<(String, String)> = self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT e.id, e.local_path FROM evidence e
                 WHERE e.upload_state = 'stored' AND e.local_path IS NOT NULL AND e.queued_at IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.entity_id = e.id OR instr(o.payload, e.id) > 0)",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })?;
        if candidates.is_empty() {
            return Ok(0);
        }
        // One durable commit first: it also makes the relaxed commits before
        // it durable (the "stored" marks), so no file is deleted while a
        // power loss could still take its "stored" back. A kill between this
        // commit and the deletions leaves files no row names: swept at open.
        self.write_silent(|w| {
            for (id, _) in &candidates {
                w.sqlite()?
                    .prepare_cached("UPDATE evidence SET local_path = NULL WHERE id = ?1")?
                    .execute([id])?;
            }
            Ok(())
        })?;
        let mut released = 0;
        for (id, path) in candidates {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    warn!(evidence = %id, error = %e, "uploaded photo could not be removed; swept later")
                }
            }
            debug!(evidence = %id, "uploaded photo removed from the phone");
            released += 1;
        }
        Ok(released)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_resolve_against_the_create_url() {
        let c = "https://grid.example.cn/base/v1/uploads";
        assert_eq!(
            resolve_location(c, "https://other.example.cn/u/1").as_deref(),
            Some("https://other.example.cn/u/1")
        );
        assert_eq!(
            resolve_location(c, "/base/v1/uploads/abc").as_deref(),
            Some("https://grid.example.cn/base/v1/uploads/abc")
        );
        assert_eq!(
            resolve_location(c, "uploads/abc").as_deref(),
            Some("https://grid.example.cn/base/v1/uploads/abc")
        );
    }

    #[test]
    fn reasons_prefer_the_servers_words() {
        let r = UploadResult {
            status: Some(422),
            body: Some(r#"{"code":"hash_mismatch","reason":"哈希不符 / hash mismatch"}"#.into()),
            ..Default::default()
        };
        assert_eq!(reason_from(&r), "哈希不符 / hash mismatch (hash_mismatch)");
        let r = UploadResult {
            status: None,
            error: Some("timed out".into()),
            ..Default::default()
        };
        assert!(reason_from(&r).contains("timed out"));
    }
}
