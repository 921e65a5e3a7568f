//! HTTP routes. Each handler parses, authenticates, and hands the work to
//! the storage boundary on the blocking pool.

pub mod admin;
pub mod clock;
pub mod members;
pub mod notify;
pub mod sync;
pub mod tus;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use serde::de::DeserializeOwned;

use crate::error::{ApiResult, ServerError};
use crate::storage::{DeviceAuth, ServerStorage};

/// Shared by every handler.
#[derive(Clone, Debug)]
pub struct AppState {
    pub storage: Arc<dyn ServerStorage>,
    /// How phones reach this server (for activation QR codes).
    pub public_url: String,
    /// The test clock, when the server was started with one.
    pub test_clock: Option<gridwork_core::clock::ManualClock>,
    /// The escalation engine and push dispatch (`serve` starts one).
    pub engine: Option<Arc<crate::escalation::Engine>>,
    /// Failed activations per address and in total.
    pub activation_throttle: Arc<crate::throttle::Throttle>,
    /// The web console's sign-in throttles and cookie settings.
    pub console: Arc<crate::console::ConsoleState>,
    /// A base map under the console's grids, when configured.
    pub map_tiles: Option<Arc<crate::console::tiles::MapTiles>>,
}

impl AppState {
    pub fn new(storage: Arc<dyn ServerStorage>, public_url: String) -> Self {
        let console = crate::console::ConsoleState::new(&public_url);
        let activation_throttle = crate::throttle::Throttle::default();
        // Instances sharing a database count failures there, together.
        if let Some(log) = storage.failure_log() {
            activation_throttle.share(log.clone(), "activation");
            console.by_account.share(log.clone(), "console_account");
            console.by_address.share(log, "console_address");
        }
        AppState {
            console: Arc::new(console),
            storage,
            public_url,
            test_clock: None,
            engine: None,
            activation_throttle: Arc::new(activation_throttle),
            map_tiles: None,
        }
    }
}

impl AppState {
    /// The server's time now (its test clock when started with one), for
    /// records the routes write.
    pub fn storage_now(&self) -> chrono::DateTime<chrono::Utc> {
        use gridwork_core::clock::Clock;
        match &self.test_clock {
            Some(c) => c.now(),
            None => chrono::Utc::now(),
        }
    }
}

/// Run blocking storage work off the async workers.
pub async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> ApiResult<T> + Send + 'static,
) -> ApiResult<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| ServerError::Internal(e.to_string()))?
}

/// Parse a JSON body with an error that says what is wrong.
pub fn parse<T: DeserializeOwned>(body: &Bytes) -> ApiResult<T> {
    serde_json::from_slice(body).map_err(|e| {
        ServerError::BadRequest(format!(
            "请求内容无法解析 / the JSON body does not parse: {e}"
        ))
    })
}

fn bearer(headers: &HeaderMap) -> ApiResult<String> {
    let value = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ServerError::Unauthorized("no Authorization header".into()))?;
    value
        .strip_prefix("Bearer ")
        .map(|t| t.trim().to_string())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| ServerError::Unauthorized("expected 'Bearer <credential>'".into()))
}

impl FromRequestParts<AppState> for DeviceAuth {
    type Rejection = ServerError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer(&parts.headers)?;
        let storage = state.storage.clone();
        blocking(move || storage.authenticate(&token)).await
    }
}

/// The client's address as the connection saw it (no proxy header is
/// trusted). In-process tests that serve the router without connection
/// info all share the unspecified address.
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub std::net::IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for PeerAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(PeerAddr(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |c| c.0.ip()),
        ))
    }
}

/// An authenticated administrator.
#[derive(Debug)]
pub struct Admin(pub DeviceAuth);

impl FromRequestParts<AppState> for Admin {
    type Rejection = ServerError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let auth = DeviceAuth::from_request_parts(parts, state).await?;
        if auth.admin {
            Ok(Admin(auth))
        } else {
            Err(ServerError::AdminOnly)
        }
    }
}

/// Liveness and the protocol version this server speaks.
#[utoipa::path(get, path = "/healthz", tag = "health",
    responses((status = 200, description = "`{\"status\":\"ok\",\"protocol\":1}`")))]
pub async fn health() -> axum::Json<serde_json::Value> {
    axum::Json(
        serde_json::json!({ "status": "ok", "protocol": gridwork_core::sync::protocol::PROTOCOL_VERSION }),
    )
}

/// The OpenAPI document.
pub async fn openapi() -> ApiResult<axum::Json<serde_json::Value>> {
    crate::openapi::served()
        .map(axum::Json)
        .map_err(|e| ServerError::Internal(format!("OpenAPI document: {e}")))
}
