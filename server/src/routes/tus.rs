//! tus 1.0.0 resumable uploads of evidence photos (`/v1/uploads`; ADR 0009).
//! Creation, checksum (sha1, sha256), termination and expiration. The
//! version header of these routes is `Tus-Resumable`, not
//! `X-Gridwork-Protocol`: off-the-shelf tus clients do not send ours.

use std::io::Read;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, HOST, LOCATION};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use futures_util::StreamExt as _;

use super::{blocking, AppState};
use crate::error::{ApiResult, ServerError};
use crate::storage::uploads::{gone_error, MAX_UPLOAD_SIZE};
use crate::storage::{ChunkChecksum, DeviceAuth, NewUpload, UploadPhase, UploadStatus};

pub const TUS_VERSION: &str = "1.0.0";
pub const TUS_EXTENSIONS: &str = "creation,creation-with-upload,checksum,termination,expiration";
pub const TUS_CHECKSUMS: &str = "sha1,sha256";
/// Set on answers about an upload whose whole file did not match its
/// record (HEAD has no body to say so): the value is the reason.
pub const REJECTED_HEADER: &str = "gridwork-upload-rejected";
/// The largest creation-with-upload body read whole before it is written
/// (above it, or without a checksum, the body streams to the disk).
const COLLECT_LIMIT: u64 = 8 * 1024 * 1024;
/// How long a refused PATCH body is read (and dropped) before the answer.
const DRAIN_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// RFC 7240: a client that will ask for "stored" itself sends
/// `Prefer: respond-async`; the server then answers a completing chunk once
/// it is verified and makes it durable with the next batch, saying so with
/// `Preference-Applied: respond-async`.
const PREFERENCE_APPLIED: HeaderName = HeaderName::from_static("preference-applied");
const RESPOND_ASYNC: &str = "respond-async";

const TUS_RESUMABLE: HeaderName = HeaderName::from_static("tus-resumable");
const TUS_VERSION_H: HeaderName = HeaderName::from_static("tus-version");
const UPLOAD_OFFSET: HeaderName = HeaderName::from_static("upload-offset");
const UPLOAD_LENGTH: HeaderName = HeaderName::from_static("upload-length");
const UPLOAD_EXPIRES: HeaderName = HeaderName::from_static("upload-expires");

fn refuse(
    status: StatusCode,
    code: &'static str,
    field: Option<&str>,
    reason: &str,
) -> ServerError {
    ServerError::Refused {
        status,
        code,
        reason: reason.into(),
        field: field.map(Into::into),
    }
}

/// Every tus answer carries `Tus-Resumable`; a request (other than
/// OPTIONS, which is how clients discover the version) without version
/// 1.0.0 is refused with 412 and the versions we speak.
pub async fn tus_protocol(req: Request, next: Next) -> Response {
    let ok = req.method() == Method::OPTIONS
        || req
            .headers()
            .get(&TUS_RESUMABLE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim() == TUS_VERSION);
    let mut resp = if ok {
        next.run(req).await
    } else {
        let mut r = refuse(
            StatusCode::PRECONDITION_FAILED,
            "tus_version",
            Some("Tus-Resumable"),
            "需要 Tus-Resumable: 1.0.0 请求头 / the Tus-Resumable: 1.0.0 header is required",
        )
        .into_response();
        r.headers_mut()
            .insert(TUS_VERSION_H, HeaderValue::from_static(TUS_VERSION));
        r
    };
    resp.headers_mut()
        .insert(TUS_RESUMABLE, HeaderValue::from_static(TUS_VERSION));
    resp
}

/// RFC 9110 date, as tus `Upload-Expires` wants it.
fn http_date(t: DateTime<Utc>) -> HeaderValue {
    HeaderValue::from_str(&t.format("%a, %d %b %Y %H:%M:%S GMT").to_string())
        .unwrap_or_else(|_| HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT"))
}

fn num(n: u64) -> HeaderValue {
    HeaderValue::from(n)
}

/// An error about an upload, with the rejected marker when it applies.
fn upload_error(e: ServerError) -> Response {
    let rejected = matches!(&e, ServerError::Refused { code, .. } if *code == "upload_rejected" || *code == "sha256_mismatch");
    let mut r = e.into_response();
    if rejected {
        r.headers_mut().insert(
            HeaderName::from_static(REJECTED_HEADER),
            HeaderValue::from_static("sha256_mismatch"),
        );
    }
    r
}

/// `OPTIONS /v1/uploads`: what this tus server supports. No credential
/// needed: it says nothing about anyone's data, and clients (and browser
/// preflights) ask before they authenticate.
#[utoipa::path(options, path = "/v1/uploads", tag = "uploads",
    responses((status = 204, description = "tus capabilities",
        headers(("Tus-Resumable" = String, description = "1.0.0"),
                ("Tus-Version" = String, description = "1.0.0"),
                ("Tus-Extension" = String, description = "creation,creation-with-upload,checksum,termination,expiration"),
                ("Tus-Max-Size" = u64, description = "largest Upload-Length, bytes"),
                ("Tus-Checksum-Algorithm" = String, description = "sha1,sha256")))))]
pub async fn options() -> Response {
    let mut h = HeaderMap::new();
    h.insert(TUS_VERSION_H, HeaderValue::from_static(TUS_VERSION));
    h.insert(
        HeaderName::from_static("tus-extension"),
        HeaderValue::from_static(TUS_EXTENSIONS),
    );
    h.insert(
        HeaderName::from_static("tus-max-size"),
        num(MAX_UPLOAD_SIZE),
    );
    h.insert(
        HeaderName::from_static("tus-checksum-algorithm"),
        HeaderValue::from_static(TUS_CHECKSUMS),
    );
    (StatusCode::NO_CONTENT, h).into_response()
}

/// tus `Upload-Metadata`: comma-separated `key base64(value)` pairs.
fn metadata(headers: &HeaderMap) -> ApiResult<Vec<(String, String)>> {
    let Some(raw) = headers.get("upload-metadata") else {
        return Ok(Vec::new());
    };
    let raw = raw.to_str().map_err(|_| bad_metadata())?;
    let mut out = Vec::new();
    for pair in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut it = pair.split_whitespace();
        let key = it.next().ok_or_else(bad_metadata)?;
        let value = match it.next() {
            Some(v) => base64::engine::general_purpose::STANDARD
                .decode(v)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(bad_metadata)?,
            None => String::new(),
        };
        if it.next().is_some() {
            return Err(bad_metadata());
        }
        out.push((key.to_string(), value));
    }
    Ok(out)
}

fn bad_metadata() -> ServerError {
    refuse(
        StatusCode::BAD_REQUEST,
        "bad_request",
        Some("Upload-Metadata"),
        "Upload-Metadata 格式不对（应为“键 base64值”，逗号分隔） / Upload-Metadata must be comma-separated 'key base64value' pairs",
    )
}

fn header_u64(headers: &HeaderMap, name: &str) -> ApiResult<Option<u64>> {
    match headers.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok())
            .map(Some)
            .ok_or_else(|| ServerError::Refused {
                status: StatusCode::BAD_REQUEST,
                code: "bad_request",
                reason: format!("{name} 不是非负整数 / {name} is not a non-negative integer"),
                field: Some(name.into()),
            }),
    }
}

/// Where the client reaches this upload: the host it used (so an address
/// behind a proxy or on a LAN works), else the configured public URL.
fn location(state: &AppState, headers: &HeaderMap, id: &str) -> String {
    let host = headers
        .get(HOST)
        .and_then(|v| v.to_str().ok())
        .filter(|h| !h.is_empty() && h.chars().all(|c| c.is_ascii_graphic()));
    match host {
        Some(host) => {
            let scheme = headers
                .get("x-forwarded-proto")
                .and_then(|v| v.to_str().ok())
                .filter(|p| *p == "https" || *p == "http")
                .unwrap_or("http");
            format!("{scheme}://{host}/v1/uploads/{id}")
        }
        None => format!("{}/v1/uploads/{id}", state.public_url.trim_end_matches('/')),
    }
}

/// `POST /v1/uploads` (tus creation) for one evidence record's photo.
#[utoipa::path(post, path = "/v1/uploads", tag = "uploads",
    security(("device_credential" = [])),
    params(
        ("Tus-Resumable" = String, Header, description = "1.0.0"),
        ("Upload-Length" = u64, Header, description = "the file's size in bytes; must equal the evidence record's size"),
        ("Upload-Metadata" = String, Header, description = "tus metadata: `evidence_id <base64>,sha256 <base64 of the lowercase hex SHA-256>[,filename <base64>][,filetype <base64>]`"),
        ("Upload-Checksum" = Option<String>, Header, description = "with creation-with-upload: `sha1|sha256 <base64>` of the bytes sent"),
        ("Prefer" = Option<String>, Header, description = "`respond-async` (RFC 7240): when these bytes complete the file, answer once verified and store it with the next batch; ask `POST /v1/evidence/upload-states` or HEAD for \"stored\""),
    ),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream",
        description = "optional (creation-with-upload): the first bytes of the file"),
    responses(
        (status = 201, description = "created, or the same upload again for this evidence (idempotent); offset == length when the photo is already stored",
            headers(("Location" = String, description = "the upload's URL"),
                    ("Upload-Expires" = String, description = "RFC 9110 date"),
                    ("Upload-Offset" = u64, description = "bytes already received"),
                    ("Tus-Resumable" = String),
                    ("Preference-Applied" = String, description = "`respond-async` when the bytes completed the file and were answered before they were durable"))),
        (status = 400, description = "a tus header is missing or malformed", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 401, description = "no or invalid credential", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 503, description = "the photo store (an S3-compatible object store) is unavailable: retry later; nothing was lost", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 403, description = "the evidence is outside the caller's reach", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 409, description = "`evidence_not_synced`: the server does not have the evidence record yet; push it, then retry", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 412, description = "Tus-Resumable missing or not 1.0.0", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 413, description = "Upload-Length over Tus-Max-Size", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 422, description = "Upload-Length or sha256 does not match the evidence record", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 507, description = "the server is out of storage", body = gridwork_core::sync::protocol::ErrorBody),
    ))]
pub async fn create(State(state): State<AppState>, auth: DeviceAuth, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let headers = parts.headers;
    // creation-with-upload: the first bytes may come with the creation.
    let with_bytes = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/offset+octet-stream")
        });
    let sum = if with_bytes {
        match checksum(&headers) {
            Ok(s) => s,
            Err(e) => return upload_error(e),
        }
    } else {
        None
    };
    let deferred = prefers_async(&headers);
    // A checksummed body of known, bounded size (a phone's photo or first
    // chunk) is read whole first, then created and written in one trip to
    // the blocking pool: a broken-off body would be discarded anyway (its
    // checksum cannot match), so nothing is lost by not streaming it.
    let known = header_u64(&headers, "content-length").ok().flatten();
    if with_bytes && sum.is_some() && known.is_some_and(|n| n > 0 && n <= COLLECT_LIMIT) {
        let req = match new_upload(&headers) {
            Ok(r) => r,
            Err(e) => {
                drain(body).await;
                return upload_error(e);
            }
        };
        let storage = state.storage.clone();
        let created = match axum::body::to_bytes(body, COLLECT_LIMIT as usize).await {
            Ok(bytes) => {
                blocking(move || {
                    let (status, trouble) =
                        storage.upload_create_with_body(&auth, &req, sum, deferred, &bytes)?;
                    if let Some(e) = trouble {
                        tracing::debug!(error = %e, "creation-with-upload: bytes not taken");
                    }
                    Ok(status)
                })
                .await
            }
            Err(e) => {
                tracing::debug!(error = %e, "creation-with-upload: the body broke off");
                blocking(move || storage.upload_create(&auth, &req)).await
            }
        };
        return created_answer(&state, &headers, created);
    }
    let created = create_inner(&state, &headers, auth.clone()).await;
    let created = match created {
        // A fresh upload takes the bytes as its first PATCH would. One that
        // already holds bytes (created before, idempotently) answers where
        // it stands and the client continues from there.
        Ok(status) if with_bytes && status.offset == 0 && status.length > 0 => {
            let id = status.upload_id.clone();
            match append_body(&state, auth, id, 0, sum, deferred, body).await {
                Ok(after) => Ok(after),
                // The whole file did not match its record: the upload is
                // rejected, say so as the final PATCH would.
                Err(
                    e @ ServerError::Refused {
                        code: "sha256_mismatch",
                        ..
                    },
                ) => Err(e),
                // Any other trouble with the bytes (a bad chunk checksum, a
                // body cut off): the upload exists; the client asks HEAD.
                Err(e) => {
                    tracing::debug!(error = %e, "creation-with-upload: bytes not taken");
                    Ok(status)
                }
            }
        }
        Err(e) if with_bytes => {
            // Refused before any byte was taken: read the rest (bounded)
            // so that a client still sending gets this answer, not a reset.
            drain(body).await;
            Err(e)
        }
        other => other,
    };
    created_answer(&state, &headers, created)
}

/// 201 with where the upload stands, or the refusal.
fn created_answer(
    state: &AppState,
    headers: &HeaderMap,
    created: ApiResult<UploadStatus>,
) -> Response {
    match created {
        Ok(status) => {
            let mut h = HeaderMap::new();
            if let Ok(v) = HeaderValue::from_str(&location(state, headers, &status.upload_id)) {
                h.insert(LOCATION, v);
            }
            h.insert(UPLOAD_OFFSET, num(status.offset));
            h.insert(UPLOAD_EXPIRES, http_date(status.expires_at));
            if status.phase == UploadPhase::Verified {
                h.insert(PREFERENCE_APPLIED, HeaderValue::from_static(RESPOND_ASYNC));
                finalize_soon(state, &status);
            }
            (StatusCode::CREATED, h).into_response()
        }
        Err(e) => upload_error(e),
    }
}

async fn create_inner(
    state: &AppState,
    headers: &HeaderMap,
    auth: DeviceAuth,
) -> ApiResult<UploadStatus> {
    let req = new_upload(headers)?;
    let storage = state.storage.clone();
    blocking(move || storage.upload_create(&auth, &req)).await
}

/// The creation request in tus headers.
fn new_upload(headers: &HeaderMap) -> ApiResult<NewUpload> {
    if headers.contains_key("upload-defer-length") {
        return Err(refuse(
            StatusCode::BAD_REQUEST,
            "bad_request",
            Some("Upload-Defer-Length"),
            "不支持延后声明长度 / Upload-Defer-Length is not supported: send Upload-Length",
        ));
    }
    let length = header_u64(headers, "upload-length")?.ok_or_else(|| {
        refuse(
            StatusCode::BAD_REQUEST,
            "bad_request",
            Some("Upload-Length"),
            "缺少 Upload-Length / Upload-Length is required",
        )
    })?;
    if length > MAX_UPLOAD_SIZE {
        return Err(refuse(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            Some("Upload-Length"),
            "照片超过了服务器允许的大小 / Upload-Length is over Tus-Max-Size",
        ));
    }
    let meta = metadata(headers)?;
    let get = |k: &str| {
        meta.iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    let missing = |k: &'static str| {
        refuse(
            StatusCode::BAD_REQUEST,
            "bad_request",
            Some(k),
            "Upload-Metadata 需要 evidence_id 和 sha256 / Upload-Metadata needs evidence_id and sha256",
        )
    };
    let req = NewUpload {
        evidence_id: get("evidence_id")
            .filter(|v| !v.is_empty())
            .ok_or_else(|| missing("Upload-Metadata.evidence_id"))?,
        sha256: get("sha256")
            .filter(|v| !v.is_empty())
            .ok_or_else(|| missing("Upload-Metadata.sha256"))?,
        length,
        filename: get("filename"),
        filetype: get("filetype"),
    };
    Ok(req)
}

/// `HEAD /v1/uploads/{upload_id}`: how far the upload got.
#[utoipa::path(head, path = "/v1/uploads/{upload_id}", tag = "uploads",
    security(("device_credential" = [])),
    params(("upload_id" = String, Path), ("Tus-Resumable" = String, Header, description = "1.0.0")),
    responses(
        (status = 200, description = "offset and length (offset == length: stored as evidence)",
            headers(("Upload-Offset" = u64), ("Upload-Length" = u64), ("Upload-Expires" = String),
                    ("Cache-Control" = String, description = "no-store"), ("Tus-Resumable" = String))),
        (status = 401, description = "no or invalid credential"),
        (status = 503, description = "the photo store (an S3-compatible object store) is unavailable: retry later; nothing was lost"),
        (status = 404, description = "no such upload (or not the caller's to see)"),
        (status = 410, description = "terminated, expired, or rejected (then `Gridwork-Upload-Rejected: sha256_mismatch`): create a new upload",
            headers(("Gridwork-Upload-Rejected" = String, description = "present when the whole file did not match its record"))),
        (status = 412, description = "Tus-Resumable missing or not 1.0.0"),
    ))]
pub async fn head(
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: DeviceAuth,
) -> Response {
    let storage = state.storage.clone();
    match blocking(move || storage.upload_status(&auth, &id)).await {
        Ok(status) => {
            if let Some(e) = gone_error(&status) {
                return upload_error(e);
            }
            let mut h = status_headers(&status);
            h.insert(UPLOAD_LENGTH, num(status.length));
            h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
            (StatusCode::OK, h).into_response()
        }
        Err(e) => upload_error(e),
    }
}

fn status_headers(status: &UploadStatus) -> HeaderMap {
    let mut h = HeaderMap::new();
    h.insert(UPLOAD_OFFSET, num(status.offset));
    if status.phase == UploadPhase::Active {
        h.insert(UPLOAD_EXPIRES, http_date(status.expires_at));
    }
    if status.phase == UploadPhase::Verified {
        h.insert(PREFERENCE_APPLIED, HeaderValue::from_static(RESPOND_ASYNC));
    }
    h
}

/// Whether the request carries `Prefer: respond-async` (RFC 7240; any of
/// several preferences, case-insensitive).
fn prefers_async(headers: &HeaderMap) -> bool {
    headers.get_all("prefer").iter().any(|v| {
        v.to_str().is_ok_and(|v| {
            v.split(',').any(|p| {
                p.split(';')
                    .next()
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case(RESPOND_ASYNC))
            })
        })
    })
}

/// After a deferred answer: the batch it joins is made durable on the
/// blocking pool `batch_delay` later (the answer is already on its way).
/// Whoever needs "stored" sooner (HEAD, upload-states) flushes it.
fn finalize_soon(state: &AppState, status: &UploadStatus) {
    if status.phase != UploadPhase::Verified {
        return;
    }
    let Some(delay) = state.storage.upload_schedule_batch() else {
        return;
    };
    let storage = state.storage.clone();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let done = tokio::task::spawn_blocking(move || storage.upload_finalize_soon()).await;
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => tracing::error!(error = %e, "verified uploads not made durable yet"),
            Err(e) => tracing::error!(error = %e, "upload batch task failed"),
        }
    });
}

fn checksum(headers: &HeaderMap) -> ApiResult<Option<ChunkChecksum>> {
    let Some(v) = headers.get("upload-checksum") else {
        return Ok(None);
    };
    let bad = || {
        refuse(
            StatusCode::BAD_REQUEST,
            "bad_request",
            Some("Upload-Checksum"),
            "Upload-Checksum 应为“sha1或sha256 base64摘要” / Upload-Checksum must be 'sha1|sha256 <base64 digest>'",
        )
    };
    let text = v.to_str().map_err(|_| bad())?;
    let (algo, digest) = text.trim().split_once(' ').ok_or_else(bad)?;
    let digest = base64::engine::general_purpose::STANDARD
        .decode(digest.trim())
        .map_err(|_| bad())?;
    match (algo, digest.len()) {
        ("sha1", 20) => Ok(Some(ChunkChecksum::Sha1(digest))),
        ("sha256", 32) => Ok(Some(ChunkChecksum::Sha256(digest))),
        _ => Err(bad()),
    }
}

/// Feeds a request body, arriving on the async side, to the blocking
/// writer chunk by chunk (never the whole body in memory).
struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>,
    current: Bytes,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(b)) => self.current = b,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        let _ = self.current.split_to(n);
        Ok(n)
    }
}

/// `PATCH /v1/uploads/{upload_id}`: append a chunk.
#[utoipa::path(patch, path = "/v1/uploads/{upload_id}", tag = "uploads",
    security(("device_credential" = [])),
    params(("upload_id" = String, Path),
        ("Tus-Resumable" = String, Header, description = "1.0.0"),
        ("Upload-Offset" = u64, Header, description = "must equal the server's offset"),
        ("Upload-Checksum" = Option<String>, Header, description = "`sha1 <base64>` or `sha256 <base64>` of this chunk"),
        ("Prefer" = Option<String>, Header, description = "`respond-async` (RFC 7240): a completing chunk is answered once the whole file is verified, and stored with the next batch (then `Preference-Applied: respond-async`); ask `POST /v1/evidence/upload-states` or HEAD for \"stored\"")),
    request_body(content = Vec<u8>, content_type = "application/offset+octet-stream"),
    responses(
        (status = 204, description = "appended and fsync'd; when offset reaches length the whole file's SHA-256 was verified and the evidence is stored (with `Preference-Applied: respond-async`: verified, stored with the next batch)",
            headers(("Upload-Offset" = u64), ("Upload-Expires" = String), ("Tus-Resumable" = String),
                    ("Preference-Applied" = String, description = "`respond-async` when the completing chunk was answered before it was durable"))),
        (status = 400, description = "Upload-Offset or Upload-Checksum malformed", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 401, description = "no or invalid credential", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 503, description = "the photo store (an S3-compatible object store) is unavailable: retry later; nothing was lost", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 403, description = "the caller may see this photo but did not take it: only the phone of the person who took it may send or cancel its bytes", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 404, description = "no such upload", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 409, description = "Upload-Offset does not match; HEAD and resume", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 410, description = "terminated, expired or rejected", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 412, description = "Tus-Resumable missing or not 1.0.0", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 413, description = "the chunk goes past Upload-Length", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 415, description = "Content-Type is not application/offset+octet-stream", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 422, description = "`sha256_mismatch`: the whole file does not match the evidence record; rejected, not linked", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 423, description = "another PATCH of this upload is in progress", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 460, description = "the chunk's checksum does not match; discarded, offset unchanged", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 507, description = "the server is out of storage", body = gridwork_core::sync::protocol::ErrorBody),
    ))]
pub async fn patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: DeviceAuth,
    req: Request,
) -> Response {
    let (parts, body) = req.into_parts();
    let ok_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim()
                .eq_ignore_ascii_case("application/offset+octet-stream")
        });
    if !ok_type {
        return upload_error(refuse(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            Some("Content-Type"),
            "Content-Type 应为 application/offset+octet-stream / Content-Type must be application/offset+octet-stream",
        ));
    }
    let offset = match header_u64(&parts.headers, "upload-offset") {
        Ok(Some(o)) => o,
        Ok(None) => {
            return upload_error(refuse(
                StatusCode::BAD_REQUEST,
                "bad_request",
                Some("Upload-Offset"),
                "缺少 Upload-Offset / Upload-Offset is required",
            ))
        }
        Err(e) => return upload_error(e),
    };
    let sum = match checksum(&parts.headers) {
        Ok(s) => s,
        Err(e) => return upload_error(e),
    };
    let deferred = prefers_async(&parts.headers);
    let result = append_body(&state, auth, id, offset, sum, deferred, body).await;
    match result {
        Ok(status) => {
            finalize_soon(&state, &status);
            (StatusCode::NO_CONTENT, status_headers(&status)).into_response()
        }
        Err(e) => upload_error(e),
    }
}

/// Read and drop what is left of a body, within `DRAIN_TIMEOUT` and
/// `MAX_UPLOAD_SIZE`.
async fn drain(body: Body) {
    drain_stream(Body::into_data_stream(body)).await;
}

async fn drain_stream(mut stream: axum::body::BodyDataStream) {
    let _ = tokio::time::timeout(DRAIN_TIMEOUT, async {
        let mut left = MAX_UPLOAD_SIZE;
        while let Some(Ok(chunk)) = stream.next().await {
            left = left.saturating_sub(chunk.len() as u64);
            if left == 0 {
                break;
            }
        }
    })
    .await;
}

/// Stream a request body into the upload at `offset` (the blocking writer
/// fsyncs before it answers). A refusal from the writer still drains the
/// body, so the client reads the answer rather than a reset.
async fn append_body(
    state: &AppState,
    auth: DeviceAuth,
    id: String,
    offset: u64,
    sum: Option<ChunkChecksum>,
    deferred: bool,
    body: Body,
) -> ApiResult<UploadStatus> {
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    let storage = state.storage.clone();
    let task = tokio::task::spawn_blocking(move || {
        let mut reader = ChannelReader {
            rx,
            current: Bytes::new(),
        };
        storage.upload_append(&auth, &id, offset, sum, deferred, &mut reader)
    });
    let mut stream = Body::into_data_stream(body);
    let mut drain = false;
    while let Some(chunk) = stream.next().await {
        let item = chunk.map_err(|e| std::io::Error::other(e.to_string()));
        let failed = item.is_err();
        if failed {
            let _ = tx.send(item).await;
            break;
        }
        if tx.send(item).await.is_err() {
            // The writer stopped early (refused: 409, 410, 423, 460 …).
            drain = true;
            break;
        }
    }
    drop(tx);
    if drain {
        // Read the rest of the body (bounded) before answering: a client
        // still sending would otherwise meet a closed connection instead of
        // the refusal that tells it what to do.
        drain_stream(stream).await;
    }
    match task.await {
        Ok(r) => r,
        Err(e) => Err(ServerError::Internal(e.to_string())),
    }
}

/// `DELETE /v1/uploads/{upload_id}` (tus termination).
#[utoipa::path(delete, path = "/v1/uploads/{upload_id}", tag = "uploads",
    security(("device_credential" = [])),
    params(("upload_id" = String, Path), ("Tus-Resumable" = String, Header, description = "1.0.0")),
    responses(
        (status = 204, description = "terminated; its bytes are gone", headers(("Tus-Resumable" = String))),
        (status = 401, description = "no or invalid credential", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 403, description = "the caller may see this photo but did not take it: only the phone of the person who took it may send or cancel its bytes", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 404, description = "no such upload", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 409, description = "complete: the photo is evidence and stays", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 410, description = "already terminated, expired or rejected", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 412, description = "Tus-Resumable missing or not 1.0.0", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 423, description = "a PATCH of this upload is in progress", body = gridwork_core::sync::protocol::ErrorBody),
    ))]
pub async fn terminate(
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: DeviceAuth,
) -> Response {
    let storage = state.storage.clone();
    match blocking(move || storage.upload_terminate(&auth, &id)).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => upload_error(e),
    }
}

/// `POST /v1/evidence/upload-states`: whether photos are stored. A phone
/// that uploaded with `Prefer: respond-async` asks this once for its batch
/// before deleting its copies; the answer waits for every upload verified
/// before it to be durable, so `stored` is final.
#[utoipa::path(post, path = "/v1/evidence/upload-states", tag = "uploads",
    security(("device_credential" = [])),
    params(("x-gridwork-protocol" = u32, Header, description = "protocol version")),
    request_body = crate::storage::UploadStatesRequest,
    responses(
        (status = 200, description = "one state per id, in the order asked", body = crate::storage::UploadStatesResponse),
        (status = 400, description = "the body does not parse", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 401, description = "no or invalid credential", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 503, description = "the photo store (an S3-compatible object store) is unavailable: retry later; nothing was lost", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 422, description = "no ids, or more than 500", body = gridwork_core::sync::protocol::ErrorBody),
    ))]
pub async fn upload_states(
    State(state): State<AppState>,
    auth: DeviceAuth,
    body: Bytes,
) -> ApiResult<axum::Json<crate::storage::UploadStatesResponse>> {
    let req: crate::storage::UploadStatesRequest = super::parse(&body)?;
    let n = req.evidence_ids.len();
    if n == 0 || n > crate::storage::MAX_UPLOAD_STATES {
        return Err(ServerError::Refused {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "invalid",
            reason: format!(
                "需要1到{max}个照片记录编号，收到{n}个 / evidence_ids must hold 1 to {max} ids, got {n}",
                max = crate::storage::MAX_UPLOAD_STATES
            ),
            field: Some("evidence_ids".into()),
        });
    }
    let storage = state.storage.clone();
    let states = blocking(move || storage.evidence_upload_states(&auth, &req.evidence_ids)).await?;
    Ok(axum::Json(crate::storage::UploadStatesResponse { states }))
}

/// `GET /v1/evidence/{evidence_id}/content`: the stored photo, for whoever
/// may reach the record (the secretary confirming a case).
#[utoipa::path(get, path = "/v1/evidence/{evidence_id}/content", tag = "uploads",
    security(("device_credential" = [])),
    params(("evidence_id" = String, Path), ("x-gridwork-protocol" = u32, Header, description = "protocol version")),
    responses(
        (status = 200, description = "the photo's bytes, with its media type (image/jpeg, image/png, image/webp, image/heic; else application/octet-stream)",
            content((Vec<u8> = "image/*"), (Vec<u8> = "application/octet-stream"))),
        (status = 401, description = "no or invalid credential", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 503, description = "the photo store (an S3-compatible object store) is unavailable: retry later; nothing was lost", body = gridwork_core::sync::protocol::ErrorBody),
        (status = 404, description = "no such evidence in reach, or its photo has not arrived", body = gridwork_core::sync::protocol::ErrorBody),
    ))]
pub async fn content(
    State(state): State<AppState>,
    Path(id): Path<String>,
    auth: DeviceAuth,
) -> ApiResult<Response> {
    photo_response(&state, auth, id).await
}

/// A stored photo the caller may see (its case or visit in reach), as an
/// image response; phones and the console alike.
pub(crate) async fn photo_response(
    state: &AppState,
    auth: DeviceAuth,
    id: String,
) -> ApiResult<Response> {
    let storage = state.storage.clone();
    let (record, bytes) = blocking(move || {
        let (record, mut reader) = storage.evidence_content(&auth, &id)?;
        // Bounded by Tus-Max-Size: a photo is read whole.
        let mut bytes = Vec::with_capacity(record.size.min(MAX_UPLOAD_SIZE) as usize);
        reader
            .by_ref()
            .take(MAX_UPLOAD_SIZE)
            .read_to_end(&mut bytes)
            .map_err(|e| ServerError::Internal(e.to_string()))?;
        Ok((record, bytes))
    })
    .await?;
    // The media type comes from a phone's record: serve it only when it is
    // one of the photo types phones may record, never as something a
    // browser would run (and tell browsers not to guess).
    let media = if gridwork_core::evidence::ACCEPTED_MEDIA.contains(&record.media_type.as_str()) {
        HeaderValue::from_str(&record.media_type)
            .unwrap_or_else(|_| HeaderValue::from_static("application/octet-stream"))
    } else {
        HeaderValue::from_static("application/octet-stream")
    };
    let mut h = HeaderMap::new();
    h.insert(CONTENT_TYPE, media);
    h.insert(
        HeaderName::from_static("x-content-type-options"),
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=31536000, immutable"),
    );
    Ok((StatusCode::OK, h, bytes).into_response())
}
