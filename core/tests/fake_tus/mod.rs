//! A small tus 1.0 server on loopback that follows Gridwork's contract
//! (ADR 0009/0010): creation idempotent per evidence, 404 for evidence it
//! does not know, checksum per chunk (460), the whole file's SHA-256 checked
//! on the final PATCH. It counts every body byte it receives and can inject
//! faults, so tests can assert what crossed the wire.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::result_large_err
)]

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, post};
use axum::Router;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use sha2::{Digest, Sha256};

pub const TOKEN: &str = "device-token-for-tests";

#[derive(Debug, Clone)]
pub struct Upload {
    pub evidence_id: String,
    pub sha256: String,
    pub length: u64,
    pub data: Vec<u8>,
    pub done: bool,
}

/// A fault for the next PATCH.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Answer this status without taking the bytes.
    Status(u16),
    /// Take the bytes, then lose the answer (500): the client must HEAD.
    LoseAnswer,
}

#[derive(Debug, Default)]
pub struct TusState {
    pub uploads: HashMap<String, Upload>,
    pub by_evidence: HashMap<String, String>,
    /// `None`: every evidence id is known.
    pub known: Option<HashSet<String>>,
    /// Body bytes received per evidence id (re-sent bytes included).
    pub received: HashMap<String, u64>,
    pub faults: VecDeque<Fault>,
    pub requests: Vec<(String, String)>,
    pub next_id: u64,
    /// Pause before a PATCH's bytes are taken (a slow link): a fixed part
    /// plus the body at `patch_rate` bytes/s (0: no rate). The body is
    /// counted as received before the pause, so a client killed during it
    /// re-sends bytes the server counted once already.
    pub patch_delay: Duration,
    pub patch_rate: u64,
    /// Per upload id: the end of the furthest byte ever received (taken or
    /// not). Bytes received again below it are counted in `resent`.
    pub high_water: HashMap<String, u64>,
    pub resent: u64,
    /// Answer a completing PATCH that asks `Prefer: respond-async` with
    /// `Preference-Applied: respond-async` (as Gridwork's server does). This
    /// server has no `POST /v1/evidence/upload-states`: a client must then
    /// learn "stored" by HEAD.
    pub answer_early: bool,
    /// Completing PATCHes answered early.
    pub answered_early: u32,
}

#[derive(Clone)]
pub struct FakeTus {
    pub addr: SocketAddr,
    pub state: Arc<Mutex<TusState>>,
}

impl FakeTus {
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Start on 127.0.0.1:0 in the current tokio runtime.
    pub async fn start() -> FakeTus {
        let state = Arc::new(Mutex::new(TusState::default()));
        let app = Router::new()
            .route("/v1/uploads", post(create).options(options))
            .route("/v1/uploads/{id}", any(one))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        FakeTus { addr, state }
    }

    pub fn stored(&self, evidence_id: &str) -> Option<Vec<u8>> {
        let s = self.state.lock().unwrap();
        let id = s.by_evidence.get(evidence_id)?;
        let u = s.uploads.get(id)?;
        u.done.then(|| u.data.clone())
    }

    pub fn received(&self, evidence_id: &str) -> u64 {
        *self
            .state
            .lock()
            .unwrap()
            .received
            .get(evidence_id)
            .unwrap_or(&0)
    }
}

type S = Arc<Mutex<TusState>>;

fn tus(status: StatusCode) -> axum::http::response::Builder {
    Response::builder()
        .status(status)
        .header("Tus-Resumable", "1.0.0")
}

fn error(status: u16, code: &str, reason: &str) -> Response {
    tus(StatusCode::from_u16(status).unwrap())
        .header("Content-Type", "application/json")
        .body(axum::body::Body::from(
            serde_json::json!({"code": code, "reason": reason}).to_string(),
        ))
        .unwrap()
}

fn authorized(h: &HeaderMap) -> Result<(), Response> {
    let bearer = h
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer != Some(TOKEN) {
        return Err(error(401, "unauthorized", "凭证无效 / bad credential"));
    }
    if h.get("tus-resumable").and_then(|v| v.to_str().ok()) != Some("1.0.0") {
        return Err(error(412, "tus_version", "Tus-Resumable 1.0.0 required"));
    }
    Ok(())
}

async fn options() -> Response {
    tus(StatusCode::NO_CONTENT)
        .header("Tus-Version", "1.0.0")
        .header("Tus-Extension", "creation,checksum,termination,expiration")
        .header("Tus-Checksum-Algorithm", "sha256")
        .body(axum::body::Body::empty())
        .unwrap()
}

fn metadata(h: &HeaderMap) -> HashMap<String, String> {
    let raw = h
        .get("upload-metadata")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    raw.split(',')
        .filter_map(|pair| {
            let (k, v) = pair.trim().split_once(' ')?;
            let v = String::from_utf8(B64.decode(v).ok()?).ok()?;
            Some((k.to_string(), v))
        })
        .collect()
}

async fn create(State(s): State<S>, h: HeaderMap) -> Response {
    if let Err(r) = authorized(&h) {
        return r;
    }
    let meta = metadata(&h);
    let Some(evidence_id) = meta.get("evidence_id").cloned() else {
        return error(400, "metadata", "evidence_id missing");
    };
    let Some(length) = h
        .get("upload-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    else {
        return error(400, "length", "Upload-Length missing");
    };
    let mut st = s.lock().unwrap();
    st.requests.push(("POST".into(), evidence_id.clone()));
    if let Some(known) = &st.known {
        if !known.contains(&evidence_id) {
            return error(
                404,
                "evidence_unknown",
                "服务器尚无此证据记录 / no such evidence record yet",
            );
        }
    }
    let id = match st.by_evidence.get(&evidence_id) {
        Some(id) if st.uploads.contains_key(id) => id.clone(),
        _ => {
            st.next_id += 1;
            let id = format!("u{}", st.next_id);
            st.uploads.insert(
                id.clone(),
                Upload {
                    evidence_id: evidence_id.clone(),
                    sha256: meta.get("sha256").cloned().unwrap_or_default(),
                    length,
                    data: Vec::new(),
                    done: false,
                },
            );
            st.by_evidence.insert(evidence_id, id.clone());
            id
        }
    };
    // Relative on purpose: the client must resolve it.
    tus(StatusCode::CREATED)
        .header("Location", format!("/v1/uploads/{id}"))
        .body(axum::body::Body::empty())
        .unwrap()
}

async fn one(
    State(s): State<S>,
    Path(id): Path<String>,
    method: Method,
    h: HeaderMap,
    body: Bytes,
) -> Response {
    if let Err(r) = authorized(&h) {
        return r;
    }
    if method == Method::HEAD {
        let mut st = s.lock().unwrap();
        st.requests.push(("HEAD".into(), id.clone()));
        return match st.uploads.get(&id) {
            None => tus(StatusCode::NOT_FOUND)
                .body(axum::body::Body::empty())
                .unwrap(),
            Some(u) => tus(StatusCode::OK)
                .header("Upload-Offset", u.data.len().to_string())
                .header("Upload-Length", u.length.to_string())
                .header("Cache-Control", "no-store")
                .body(axum::body::Body::empty())
                .unwrap(),
        };
    }
    if method == Method::DELETE {
        let mut st = s.lock().unwrap();
        st.uploads.remove(&id);
        return tus(StatusCode::NO_CONTENT)
            .body(axum::body::Body::empty())
            .unwrap();
    }
    if method != Method::PATCH {
        return StatusCode::METHOD_NOT_ALLOWED.into_response();
    }
    let delay = {
        let mut st = s.lock().unwrap();
        let Some(evidence_id) = st.uploads.get(&id).map(|u| u.evidence_id.clone()) else {
            return tus(StatusCode::NOT_FOUND)
                .body(axum::body::Body::empty())
                .unwrap();
        };
        st.requests.push(("PATCH".into(), evidence_id.clone()));
        *st.received.entry(evidence_id).or_insert(0) += body.len() as u64;
        let from = h
            .get("upload-offset")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        let to = from + body.len() as u64;
        let hw = st.high_water.entry(id.clone()).or_insert(0);
        let again = (*hw).min(to).saturating_sub(from);
        *hw = (*hw).max(to);
        st.resent += again;
        let by_rate = (body.len() as u64 * 1000)
            .checked_div(st.patch_rate)
            .map_or(Duration::ZERO, Duration::from_millis);
        st.patch_delay + by_rate
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    let mut st = s.lock().unwrap();
    if !st.uploads.contains_key(&id) {
        return tus(StatusCode::NOT_FOUND)
            .body(axum::body::Body::empty())
            .unwrap();
    }
    if h.get("content-type").and_then(|v| v.to_str().ok())
        != Some("application/offset+octet-stream")
    {
        return error(
            415,
            "content_type",
            "application/offset+octet-stream required",
        );
    }
    let fault = st.faults.pop_front();
    if let Some(Fault::Status(code)) = fault {
        return error(code, "injected", "injected fault");
    }
    let offset = h
        .get("upload-offset")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let checksum = h
        .get("upload-checksum")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("sha256 "))
        .map(str::to_string);
    let early =
        st.answer_early && h.get("prefer").and_then(|v| v.to_str().ok()) == Some("respond-async");
    let u = st.uploads.get_mut(&id).unwrap();
    if offset != Some(u.data.len() as u64) {
        return error(409, "offset_mismatch", "offset mismatch");
    }
    if checksum != Some(B64.encode(Sha256::digest(&body))) {
        return error(460, "checksum_mismatch", "chunk checksum mismatch");
    }
    if u.data.len() as u64 + body.len() as u64 > u.length {
        return error(413, "too_long", "beyond Upload-Length");
    }
    u.data.extend_from_slice(&body);
    if u.data.len() as u64 == u.length {
        let whole = hex::encode(Sha256::digest(&u.data));
        if whole != u.sha256 {
            st.uploads.remove(&id);
            return error(
                460,
                "hash_mismatch",
                "照片哈希不符 / the photo's hash does not match its record",
            );
        }
        u.done = true;
    }
    let new_offset = u.data.len();
    let complete = u.done;
    if fault == Some(Fault::LoseAnswer) {
        return error(500, "lost", "answer lost");
    }
    let mut answer = tus(StatusCode::NO_CONTENT).header("Upload-Offset", new_offset.to_string());
    if early && complete {
        st.answered_early += 1;
        answer = answer.header("Preference-Applied", "respond-async");
    }
    answer.body(axum::body::Body::empty()).unwrap()
}
