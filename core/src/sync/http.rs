//! The HTTP transport: JSON bodies gzip-compressed both ways, the protocol
//! version and the device clock in headers, the device credential as a
//! bearer token. Bytes are counted as they cross the wire (compressed).

use std::io::{Read, Write};
use std::time::Duration;

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use serde::de::DeserializeOwned;
use serde::Serialize;

use super::client::{Transfer, Transport};
use super::protocol::{
    ActivateRequest, ActivateResponse, ErrorBody, PullRequest, PullResponse, PushConfig,
    PushRequest, PushResponse, RevealRequest, RevealResponse, CLOCK_HEADER, PROTOCOL_HEADER,
    PROTOCOL_VERSION,
};
use crate::error::{CoreError, Result};

/// Talks to one server with one credential.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    base: String,
    token: Option<String>,
    client: reqwest::Client,
}

fn network(e: impl std::fmt::Display) -> CoreError {
    CoreError::Network {
        reason: format!("无法连接服务器 / cannot reach the server: {e}"),
    }
}

fn gzip(bytes: &[u8]) -> Result<Vec<u8>> {
    let mut enc = GzEncoder::new(Vec::with_capacity(bytes.len() / 4), Compression::fast());
    enc.write_all(bytes).map_err(network)?;
    enc.finish().map_err(network)
}

impl HttpTransport {
    /// `base_url` like `https://grid.example.cn`; `token` the device credential.
    pub fn new(base_url: &str, token: Option<String>) -> Result<Self> {
        let base = base_url.trim().trim_end_matches('/').to_string();
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            return Err(CoreError::invalid("server_url", "服务器地址须以http://或https://开头 / the server address must start with http:// or https://"));
        }
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(15))
            // Generous: a 2G link moves a page of changes in tens of seconds.
            .timeout(Duration::from_secs(180))
            .build()
            .map_err(network)?;
        Ok(HttpTransport {
            base,
            token,
            client,
        })
    }

    async fn post<B: Serialize, R: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        clock_ms: Option<i64>,
    ) -> Result<(R, Transfer)> {
        let json = serde_json::to_vec(body)?;
        let payload = gzip(&json)?;
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::CONTENT_ENCODING, "gzip")
            .header(reqwest::header::ACCEPT_ENCODING, "gzip")
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string());
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(c) = clock_ms {
            req = req.header(CLOCK_HEADER, c.to_string());
        }
        let sent = payload.len() as u64;
        let resp = req.body(payload).send().await.map_err(network)?;
        answer(resp, sent).await
    }

    async fn get<R: DeserializeOwned>(&self, path: &str) -> Result<R> {
        let mut req = self
            .client
            .get(format!("{}{path}", self.base))
            .header(reqwest::header::ACCEPT_ENCODING, "gzip")
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string());
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let resp = req.send().await.map_err(network)?;
        Ok(answer(resp, 0).await?.0)
    }

    /// Exchange an activation code for this device's credential.
    pub async fn activate(&self, req: &ActivateRequest) -> Result<ActivateResponse> {
        Ok(self.post("/v1/activate", req, None).await?.0)
    }

    /// Ask the server for one masked number, whole (it authorizes and
    /// records the reveal).
    pub async fn reveal(&self, member_id: &str, req: &RevealRequest) -> Result<RevealResponse> {
        // The id goes in as one escaped path segment, whatever it holds.
        let mut url = reqwest::Url::parse("http://server/").map_err(network)?;
        url.path_segments_mut()
            .map_err(|()| network("server address"))?
            .pop_if_empty()
            .extend(["v1", "members", member_id, "reveal"]);
        let path = url.path().to_string();
        Ok(self.post(&path, req, None).await?.0)
    }

    /// What this server needs for push subscriptions.
    pub async fn push_config(&self) -> Result<PushConfig> {
        self.get("/v1/push/config").await
    }
}

/// A server's answer: the body on success, the refusal as a `CoreError`.
async fn answer<R: DeserializeOwned>(resp: reqwest::Response, sent: u64) -> Result<(R, Transfer)> {
    {
        let status = resp.status();
        let gzipped = resp
            .headers()
            .get(reqwest::header::CONTENT_ENCODING)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("gzip"));
        let raw = resp.bytes().await.map_err(network)?;
        let transfer = Transfer {
            sent,
            received: raw.len() as u64,
        };
        let body = if gzipped {
            let mut out = Vec::with_capacity(raw.len() * 4);
            GzDecoder::new(&raw[..])
                .read_to_end(&mut out)
                .map_err(network)?;
            out
        } else {
            raw.to_vec()
        };
        if status.is_success() {
            let parsed = serde_json::from_slice(&body).map_err(|e| CoreError::Network {
                reason: format!("服务器应答无法解析 / the server's answer does not parse: {e}"),
            })?;
            return Ok((parsed, transfer));
        }
        let err: Option<ErrorBody> = serde_json::from_slice(&body).ok();
        let reason = err
            .as_ref()
            .map_or_else(|| format!("HTTP {status}"), |e| e.reason.clone());
        Err(match (status.as_u16(), err) {
            (401, Some(e)) if e.wipe => CoreError::Revoked { reason },
            (401, _) | (403, _) => CoreError::NotPermitted { reason },
            (426, _) => CoreError::invalid("protocol", reason),
            (404, _) => CoreError::NotFound {
                entity: "server resource",
                id: reason,
            },
            (409, _) => CoreError::Conflict { reason },
            (
                422,
                Some(ErrorBody {
                    field: Some(field), ..
                }),
            ) => CoreError::invalid(field, reason),
            (400, _) | (413, _) | (422, _) => CoreError::invalid("request", reason),
            _ => CoreError::Network { reason },
        })
    }
}

impl Transport for HttpTransport {
    async fn push(&self, req: &PushRequest) -> Result<(PushResponse, Transfer)> {
        let now = chrono::Utc::now().timestamp_millis();
        self.post("/v1/sync/push", req, Some(now)).await
    }

    async fn pull(&self, req: &PullRequest) -> Result<(PullResponse, Transfer)> {
        self.post("/v1/sync/pull", req, None).await
    }
}
