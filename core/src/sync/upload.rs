//! The core's own photo uploader (tus 1.0 over reqwest): it takes jobs from
//! the queue, carries them, and reports each answer back, exactly as a
//! shell's background transfer would. What the core adds: chunk sizes that
//! adapt to the link, a bound on requests that make no progress, and
//! progress events. The state machine is `store/uploads.rs`; the rules are
//! `evidence/queue.rs`. ADR 0010.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use tracing::{debug, info};

use crate::error::{CoreError, Result};
use crate::evidence::queue::{
    ChunkSizer, NetworkKind, UploadJob, UploadOutcome, UploadResult, UploadStep,
};
use crate::secrets::{SecretStore, DEVICE_CREDENTIAL};
use crate::store::{TUS_VERSION, UPLOADS_PATH};
use crate::sync::protocol::{ErrorBody, PROTOCOL_HEADER, PROTOCOL_VERSION};
use crate::Store;

/// Progress for the upload screen's bar.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadProgress {
    pub items_done: u64,
    pub items_total: u64,
    pub bytes_done: u64,
    pub bytes_total: u64,
}

/// What one upload run did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadReport {
    pub stored: u32,
    pub failed: u32,
    pub retry_later: u32,
    pub waiting_for_sync: u32,
    pub requests: u32,
    /// Photo bytes sent in request bodies: PATCHes, and creations that
    /// carry the first bytes (re-sent bytes included).
    pub bytes_sent: u64,
}

/// Requests for one photo in a row that move no byte before it is set
/// aside for a backoff (a server that keeps answering 409 or forgetting
/// uploads must not keep the phone's radio busy). Above what the bounded
/// checksum retries need: each costs up to four requests (HEAD, POST, HEAD,
/// PATCH).
const MAX_IDLE_REQUESTS: u32 = 4 * (crate::evidence::queue::MAX_CHECKSUM_RETRIES + 1) + 4;

/// Reads a job's body (a PATCH's bytes) from the photo file.
pub fn job_body(job: &UploadJob) -> Result<Vec<u8>> {
    let Some(path) = &job.file_path else {
        return Ok(Vec::new());
    };
    let mut file = std::fs::File::open(path).map_err(|e| CoreError::io(path, e))?;
    file.seek(SeekFrom::Start(job.offset))
        .map_err(|e| CoreError::io(path, e))?;
    let mut body = Vec::with_capacity(job.length as usize);
    file.take(job.length)
        .read_to_end(&mut body)
        .map_err(|e| CoreError::io(path, e))?;
    Ok(body)
}

/// Carry one job with reqwest. Never fails: a transport error is a result
/// without a status, for the queue to judge.
pub async fn carry(client: &reqwest::Client, job: &UploadJob, body: Vec<u8>) -> UploadResult {
    carry_answer(client, job, body).await.0
}

/// [`carry`], and whether the server answered early
/// (`Preference-Applied: respond-async`: verified, stored with its next
/// batch; the photo then waits for [`confirm`]).
async fn carry_answer(
    client: &reqwest::Client,
    job: &UploadJob,
    body: Vec<u8>,
) -> (UploadResult, bool) {
    let method = match reqwest::Method::from_bytes(job.method.as_bytes()) {
        Ok(m) => m,
        Err(e) => {
            return (
                UploadResult {
                    error: Some(e.to_string()),
                    ..Default::default()
                },
                false,
            )
        }
    };
    // A chunk gets time for its bytes at 2G's worst (about 4 KB/s) on top
    // of a fixed allowance for the round trip.
    let timeout = Duration::from_secs(20) + Duration::from_millis(job.length / 4);
    let mut req = client.request(method, &job.url).timeout(timeout);
    for h in &job.headers {
        req = req.header(h.name.as_str(), h.value.as_str());
    }
    if job.length > 0 {
        req = req.body(body);
    }
    match req.send().await {
        Err(e) => (
            UploadResult {
                error: Some(e.to_string()),
                ..Default::default()
            },
            false,
        ),
        Ok(resp) => {
            let header = |name: &str| {
                resp.headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let status = resp.status().as_u16();
            let upload_offset = header("upload-offset").and_then(|v| v.trim().parse().ok());
            let location = header("location");
            let early = header("preference-applied").is_some_and(|v| {
                v.split(',')
                    .any(|p| p.trim().eq_ignore_ascii_case("respond-async"))
            });
            let body = if job.step == UploadStep::Head {
                None
            } else {
                resp.text().await.ok().filter(|t| !t.is_empty())
            };
            (
                UploadResult {
                    status: Some(status),
                    upload_offset,
                    location,
                    body,
                    error: None,
                },
                early,
            )
        }
    }
}

#[derive(Serialize)]
struct StatesRequest<'a> {
    evidence_ids: &'a [String],
}

#[derive(Deserialize)]
struct StatesResponse {
    states: Vec<PhotoState>,
}

#[derive(Deserialize)]
struct PhotoState {
    evidence_id: String,
    state: String,
}

/// What [`confirm`] found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Confirmed {
    pub stored: u32,
    /// Taken but not stored after all (the server lost them, say to a
    /// crash before its batch): to be sent on from where it stands.
    pub sent_back: u32,
}

/// Ask the server, in one request per 500, whether the photos it answered
/// early are stored (`POST /v1/evidence/upload-states`, which waits for
/// its batch). A server that does not know the route, or answers
/// otherwise, has each asked with a HEAD instead; an unreachable one
/// leaves them for the next run (their files stay).
pub(crate) async fn confirm(
    client: &reqwest::Client,
    store: &Store,
    server: &str,
    token: &str,
) -> Result<Confirmed> {
    let ids = store.awaiting_confirmation()?;
    let mut done = Confirmed::default();
    let url = format!(
        "{}/v1/evidence/upload-states",
        server.trim().trim_end_matches('/')
    );
    for batch in ids.chunks(500) {
        let resp = client
            .post(&url)
            .bearer_auth(token)
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .timeout(Duration::from_secs(60))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(&StatesRequest {
                evidence_ids: batch,
            })?)
            .send()
            .await;
        let answers: Vec<(String, bool)> = match resp {
            Err(e) => {
                tracing::warn!(error = %e, photos = batch.len(), "could not ask whether photos are stored; asked again at the next run");
                return Ok(done);
            }
            Ok(r) if r.status().is_success() => {
                match r.bytes().await.map_err(|e| e.to_string()).and_then(|b| {
                    serde_json::from_slice::<StatesResponse>(&b).map_err(|e| e.to_string())
                }) {
                    Ok(body) => body
                        .states
                        .into_iter()
                        .map(|s| (s.evidence_id, s.state == "stored"))
                        .collect(),
                    Err(e) => {
                        tracing::warn!(error = %e, "unreadable upload-states answer; asking each photo instead");
                        batch.iter().map(|id| (id.clone(), false)).collect()
                    }
                }
            }
            Ok(r) => {
                tracing::warn!(status = %r.status(), "upload-states refused; asking each photo instead");
                batch.iter().map(|id| (id.clone(), false)).collect()
            }
        };
        let stored = store.confirm_uploads(&answers)?;
        done.stored += stored;
        done.sent_back += (answers.len() as u32).saturating_sub(stored);
    }
    Ok(done)
}

/// Whether the tus server lists `creation-with-upload` in its `OPTIONS`
/// answer. Anything else (no answer, no such header) means no.
async fn creation_with_upload(client: &reqwest::Client, server: &str) -> bool {
    let url = format!("{}{UPLOADS_PATH}", server.trim().trim_end_matches('/'));
    let Ok(resp) = client
        .request(reqwest::Method::OPTIONS, url)
        .header("Tus-Resumable", TUS_VERSION)
        .timeout(Duration::from_secs(20))
        .send()
        .await
    else {
        return false;
    };
    resp.headers()
        .get("tus-extension")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|e| e.trim() == "creation-with-upload"))
}

/// Upload what may go now on `network`, in queue order, until nothing can.
pub async fn upload_with(
    store: &Store,
    server: &str,
    token: &str,
    network: NetworkKind,
    progress: &(dyn Fn(UploadProgress) + Send + Sync),
) -> Result<UploadReport> {
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(15))
        .build()
        .map_err(|e| CoreError::Network {
            reason: format!("无法连接服务器 / cannot reach the server: {e}"),
        })?;
    store.begin_upload_session()?;
    store.release_uploaded_files()?;
    let ids = store.uploadable(network)?;
    // Ask once per session whether the server takes bytes with the
    // creation (tus creation-with-upload); one that does not would drop
    // them and they would go twice.
    let bytes_on_create = !ids.is_empty() && creation_with_upload(&client, server).await;
    let status = store.upload_queue_status()?;
    let mut p = UploadProgress {
        items_total: ids.len() as u64,
        bytes_total: status
            .items
            .iter()
            .filter(|i| ids.contains(&i.evidence_id))
            .map(|i| i.size.saturating_sub(i.offset))
            .sum(),
        ..Default::default()
    };
    progress(p);
    let mut report = UploadReport::default();
    let mut sizer = ChunkSizer::new();
    let mut idle: HashMap<String, u32> = HashMap::new();
    let fetch = |chunk: u64| {
        store.next_upload_job_with(
            server,
            token,
            network,
            Some(chunk),
            bytes_on_create,
            true,
            true,
        )
    };
    // The next photo's job, leased and read while the request before it
    // awaited its answer (`None`: nothing else could go then; ask again).
    let mut prefetched: Option<(UploadJob, Option<Vec<u8>>)> = None;
    // Photos a killed run left answered but unconfirmed.
    let left = confirm(&client, store, server, token).await?;
    report.stored += left.stored;
    // Photos go one request after another, each answered once verified
    // (`Prefer: respond-async`); the server makes them durable in batches
    // meanwhile, and one request per run asks which are stored. A photo the
    // server took but lost (a crash before its batch) goes again: bounded
    // passes.
    for _pass in 0..3 {
        loop {
            let (job, body) = match prefetched.take() {
                Some(next) => next,
                None => match fetch(sizer.size())? {
                    Some(next) => next,
                    None => break,
                },
            };
            let count = idle.entry(job.evidence_id.clone()).or_insert(0);
            *count += 1;
            if *count > MAX_IDLE_REQUESTS {
                store.set_upload_aside(
                &job.job_id,
                "服务器多次答复但上传没有进展，稍后再试 / the server keeps answering without progress; retrying later",
            )?;
                report.retry_later += 1;
                continue;
            }
            let body = match body {
                Some(b) => b,
                None => job_body(&job)?,
            };
            let started = Instant::now();
            let mut send = Box::pin(carry_answer(&client, &job, body));
            // The first poll hands the request to its connection, whose own task
            // sends it. While the server writes, checks and fsyncs, the next
            // photo's job is leased and its bytes read and hashed here, so the
            // phone's work overlaps the server's instead of following it. Only
            // the preparation overlaps: the next request is sent after this
            // answer, so at most one body is ever on the wire and a kill
            // re-sends at most the chunk in flight (core/tests/upload_kill.rs).
            // Only after a photo's last chunk: before it, the same photo comes
            // next, and leasing another would interleave their chunks (a
            // critical case's photo would share a slow link with routine ones).
            let last_chunk = job.length > 0 && job.offset + job.length == job.total;
            let (result, answered_early) = match futures_util::poll!(send.as_mut()) {
                std::task::Poll::Ready(result) => result,
                std::task::Poll::Pending if !last_chunk => send.await,
                std::task::Poll::Pending => {
                    prefetched = fetch(sizer.size())?;
                    send.await
                }
            };
            report.requests += 1;
            report.bytes_sent += job.length;
            debug!(evidence = %job.evidence_id, step = ?job.step, status = ?result.status, "upload answer");
            let acknowledged = match (job.step, result.status, result.upload_offset) {
                (UploadStep::Patch, Some(204 | 200), Some(o))
                | (UploadStep::Create, Some(201 | 200), Some(o))
                    if job.length > 0 && o > job.offset =>
                {
                    sizer.acknowledged(o - job.offset, started.elapsed());
                    o - job.offset
                }
                (UploadStep::Patch, _, _) => {
                    sizer.failed();
                    0
                }
                (UploadStep::Create, _, _) if job.length > 0 => {
                    sizer.failed();
                    0
                }
                _ => 0,
            };
            if acknowledged > 0 {
                idle.insert(job.evidence_id.clone(), 0);
            }
            let refused = match result.status {
                Some(401) => Some(
                    result
                        .body
                        .as_deref()
                        .and_then(|b| serde_json::from_str::<ErrorBody>(b).ok()),
                ),
                _ => None,
            };
            let outcome = store.report_upload_result_only(&job.job_id, &result, answered_early)?;
            p.bytes_done += acknowledged;
            match outcome {
                UploadOutcome::Stored => {
                    report.stored += 1;
                    p.items_done += 1;
                }
                UploadOutcome::Failed => {
                    report.failed += 1;
                    p.items_done += 1;
                }
                UploadOutcome::RetryLater => report.retry_later += 1,
                UploadOutcome::WaitingForSync => report.waiting_for_sync += 1,
                UploadOutcome::Progressed | UploadOutcome::Stale => {}
            }
            p.items_total = p.items_total.max(p.items_done);
            p.bytes_total = p.bytes_total.max(p.bytes_done);
            progress(p);
            if let Some(body) = refused {
                let reason = body.as_ref().map_or_else(
                || {
                    "设备凭证被拒绝，请重新激活 / the device credential was refused: activate again"
                        .to_string()
                },
                |b| b.reason.clone(),
            );
                if report.stored > 0 {
                    if let Err(e) = store.release_uploaded_files() {
                        tracing::warn!(error = %e, "uploaded photos not removed yet; removed at the next run");
                    }
                }
                return Err(match body {
                    Some(b) if b.wipe => CoreError::Revoked { reason },
                    _ => CoreError::NotPermitted { reason },
                });
            }
        }
        let confirmed = confirm(&client, store, server, token).await?;
        report.stored += confirmed.stored;
        p.items_done += u64::from(confirmed.stored);
        p.items_total = p.items_total.max(p.items_done);
        progress(p);
        if confirmed.sent_back == 0 {
            break;
        }
    }
    // Files of the photos stored in this run leave the phone now, with one
    // durable commit for the run rather than one per photo.
    if report.stored > 0 {
        store.release_uploaded_files()?;
    }
    info!(
        stored = report.stored,
        failed = report.failed,
        requests = report.requests,
        "upload run finished"
    );
    Ok(report)
}

/// The server URL and device credential, as sync uses them.
pub fn server_and_token(store: &Store, secrets: &dyn SecretStore) -> Result<(String, String)> {
    let url = store.server_url()?.ok_or_else(|| {
        CoreError::not_permitted("本机尚未激活 / this device has not been activated")
    })?;
    let token = secrets.get(DEVICE_CREDENTIAL)?.ok_or_else(|| {
        CoreError::not_permitted(
            "本机没有设备凭证，请重新激活 / no device credential: activate again",
        )
    })?;
    Ok((url, token))
}

/// Upload on the network the shell last reported (or `network`). A revoked
/// device is wiped, as in sync.
pub async fn upload_evidence(
    store: &Store,
    secrets: &dyn SecretStore,
    network: Option<NetworkKind>,
    progress: &(dyn Fn(UploadProgress) + Send + Sync),
) -> Result<UploadReport> {
    let (url, token) = server_and_token(store, secrets)?;
    let network = match network {
        Some(n) => {
            store.set_network_kind(n)?;
            n
        }
        None => store.network_kind()?,
    };
    match upload_with(store, &url, &token, network, progress).await {
        Err(CoreError::Revoked { reason }) => {
            store.wipe()?;
            secrets.delete(DEVICE_CREDENTIAL)?;
            Err(CoreError::Revoked { reason })
        }
        other => other,
    }
}

/// The shell-driven mode: the next job on the network last reported, with
/// the credential filled in; `max_chunk` `None` sends the rest of the file
/// in one PATCH (what a background transfer wants).
pub fn next_upload_job(
    store: &Store,
    secrets: &dyn SecretStore,
    max_chunk: Option<u64>,
) -> Result<Option<UploadJob>> {
    let (url, token) = server_and_token(store, secrets)?;
    let network = store.network_kind()?;
    store.next_upload_job(&url, &token, network, max_chunk)
}
