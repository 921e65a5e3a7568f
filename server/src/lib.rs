//! gridwork-server: the sync server. axum on tokio; SQLite by default behind
//! the `ServerStorage` boundary; device credentials; administration.
//!
//! Routes (all under `/v1` but the tus uploads require `X-Gridwork-Protocol`):
//! - `POST /v1/activate` — activation code → device credential
//! - `POST /v1/sync/push`, `POST /v1/sync/pull` — the sync protocol
//! - `POST /v1/device/rotate` — a new credential
//! - `/v1/admin/...` — imports, users, assignments, templates, policies,
//!   activation codes, devices and revocation (administrators)
//! - `GET /v1/coverage` — the four promises for the caller's reach
//! - `GET/POST /v1/admin/clock` — the test clock (`--test-clock` only)
//! - `GET /v1/push/config` — what phones subscribe to push with;
//!   `GET /v1/admin/push/deliveries` — the delivery log
//! - `/v1/uploads` — tus 1.0.0 uploads of evidence photos (`Tus-Resumable`
//!   instead of `X-Gridwork-Protocol`); `GET /v1/evidence/{id}/content`
//! - `GET /healthz`, `GET /openapi.json`
//! - `/` and `/console/api/...` — 指挥中心, the web console (cookie
//!   sessions for people; `console`)

pub mod blob;
pub mod console;
pub mod error;
pub mod escalation;
pub mod openapi;
pub mod push;
pub mod routes;
pub mod storage;
pub mod throttle;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{DefaultBodyLimit, Request};
use axum::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, options, post, put};
use axum::Router;
use gridwork_core::clock::{Clock, ManualClock, SystemClock};
use gridwork_core::sync::protocol::{ErrorBody, MIN_PROTOCOL_VERSION, PROTOCOL_HEADER};
use tower_http::compression::CompressionLayer;
use tower_http::decompression::RequestDecompressionLayer;
use tower_http::trace::TraceLayer;

use crate::error::{ApiResult, ServerError};
use crate::routes::AppState;
use crate::storage::sqlite::SqliteStorage;
use crate::storage::ServerStorage;

/// Largest request body accepted (a push batch or an import file), after
/// decompression; the import limit from the core's table of limits.
pub const BODY_LIMIT: usize = gridwork_core::limits::import::MAX_FILE_BYTES;

/// How the server is started.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    pub data_dir: PathBuf,
    /// The address phones use (for activation QR codes); defaults to
    /// `http://<listen>`.
    pub public_url: Option<String>,
    /// Evidence uploads: expiry of incomplete uploads, free-space floor.
    pub uploads: storage::uploads::UploadConfig,
    /// Run on a test clock starting here, moved by `POST /v1/admin/clock`
    /// (end-to-end tests, the demo's fast day); `None`: the system clock.
    pub test_clock: Option<chrono::DateTime<chrono::Utc>>,
    /// Push channels (Web Push always; APNs, JPush, the SMS hook if set).
    pub push: push::PushSettings,
    /// How often the escalation engine runs (besides after pushes).
    pub escalation_every: Duration,
    /// A base map under the web console's grids (none: boundaries alone).
    pub map_tiles: Option<console::tiles::MapTiles>,
    /// Where the domain store lives: the data directory or PostgreSQL.
    pub database: storage::database::Database,
}

/// How often expired incomplete uploads are swept while serving.
const UPLOAD_SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// Refuse clients whose protocol is older than we speak (426: the app must
/// be updated), and requests that name no protocol version at all (400:
/// every Gridwork app sends the header, so that is not an old app but a
/// malformed request).
async fn check_protocol(req: Request, next: Next) -> Response {
    let version = req
        .headers()
        .get(PROTOCOL_HEADER)
        .map(|v| v.to_str().ok().and_then(|v| v.trim().parse::<u32>().ok()));
    match version {
        Some(Some(v)) if v >= MIN_PROTOCOL_VERSION => next.run(req).await,
        Some(Some(v)) => ServerError::ProtocolTooOld(format!(
            "客户端协议v{v}，服务器至少需要v{MIN_PROTOCOL_VERSION} / client speaks v{v}, the server needs at least v{MIN_PROTOCOL_VERSION}"
        ))
        .into_response(),
        Some(None) => ServerError::BadRequest(format!(
            "{PROTOCOL_HEADER}请求头不是版本号 / the {PROTOCOL_HEADER} header is not a version number"
        ))
        .into_response(),
        None => ServerError::BadRequest(format!(
            "缺少{PROTOCOL_HEADER}请求头 / the {PROTOCOL_HEADER} header is missing"
        ))
        .into_response(),
    }
}

/// Refusals that axum and tower-http make themselves (an extractor's
/// rejection: a query string or path segment that does not decode, a body
/// over the limit or that does not decompress; an unsupported
/// Content-Encoding; an unknown path or method) come as plain text or
/// empty. Every refusal of this API is an `ErrorBody`: wrap them, keeping
/// the status, the words and the headers (e.g. `Allow`).
async fn json_refusals(resp: Response) -> Response {
    let status = resp.status();
    let is_json = resp
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !status.is_client_error() || is_json {
        return resp;
    }
    let (parts, body) = resp.into_parts();
    let text = axum::body::to_bytes(body, 64 * 1024)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let code = match status {
        StatusCode::BAD_REQUEST => "bad_request",
        StatusCode::NOT_FOUND => "not_found",
        StatusCode::METHOD_NOT_ALLOWED => "method_not_allowed",
        StatusCode::PAYLOAD_TOO_LARGE => "too_large",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "unsupported_media_type",
        _ => "refused",
    };
    let reason = if text.is_empty() {
        status.canonical_reason().unwrap_or("refused").to_string()
    } else {
        text
    };
    let mut out = (
        status,
        axum::Json(ErrorBody {
            code: code.into(),
            reason,
            field: None,
            wipe: false,
        }),
    )
        .into_response();
    for (name, value) in &parts.headers {
        if name != CONTENT_TYPE && name != CONTENT_LENGTH {
            out.headers_mut().append(name, value.clone());
        }
    }
    out
}

/// The router over a storage, on the system clock.
pub fn app(storage: Arc<dyn ServerStorage>, public_url: String) -> Router {
    router(AppState::new(storage, public_url))
}

/// The router over a whole state (a test clock, the escalation engine).
pub fn router(state: AppState) -> Router {
    let v1 = Router::new()
        .route("/activate", post(routes::sync::activate))
        .route("/sync/push", post(routes::sync::push))
        .route("/sync/pull", post(routes::sync::pull))
        .route("/device/rotate", post(routes::sync::rotate))
        .route("/members/{member_id}/reveal", post(routes::members::reveal))
        .route("/coverage", get(routes::admin::coverage))
        .route("/admin/import/regions", post(routes::admin::import_regions))
        .route(
            "/admin/import/households",
            post(routes::admin::import_households),
        )
        .route("/admin/import/members", post(routes::admin::import_members))
        .route("/admin/users", put(routes::admin::put_user))
        .route("/admin/assignments", put(routes::admin::put_assignment))
        .route(
            "/admin/console-accounts",
            put(routes::admin::put_console_account),
        )
        .route("/admin/templates", put(routes::admin::put_template))
        .route(
            "/admin/policy/deadline",
            put(routes::admin::put_deadline_policy),
        )
        .route("/admin/policy/visit", put(routes::admin::put_visit_policy))
        .route(
            "/admin/activation-codes",
            post(routes::admin::activation_code),
        )
        .route("/admin/devices", get(routes::admin::devices))
        .route("/admin/report", get(routes::admin::report))
        .route(
            "/admin/clock",
            get(routes::clock::get_clock).post(routes::clock::set_clock),
        )
        .route("/admin/push/deliveries", get(routes::notify::deliveries))
        .route("/push/config", get(routes::notify::push_config))
        .route(
            "/admin/devices/{device_id}/revoke",
            post(routes::admin::revoke),
        )
        .route("/evidence/{evidence_id}/content", get(routes::tus::content))
        .route("/evidence/upload-states", post(routes::tus::upload_states))
        .layer(middleware::from_fn(check_protocol));
    // tus routes: added after the protocol layer (which only wraps the
    // routes before it), with tus's own version check instead.
    let tus = Router::new()
        .route(
            "/uploads",
            options(routes::tus::options).post(routes::tus::create),
        )
        .route(
            "/uploads/{upload_id}",
            axum::routing::head(routes::tus::head)
                .patch(routes::tus::patch)
                .delete(routes::tus::terminate),
        )
        .layer(middleware::from_fn(routes::tus::tus_protocol));
    let v1 = v1.merge(tus);
    Router::new()
        .merge(console::routes(state.map_tiles.as_deref()))
        .route("/healthz", get(routes::health))
        .route("/openapi.json", get(routes::openapi))
        .nest("/v1", v1)
        .with_state(state)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(RequestDecompressionLayer::new())
        // Outside decompression (its 415 is wrapped too), inside compression.
        .layer(middleware::map_response(json_refusals))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
}

/// Open the storage in the data directory (creating it), and on first
/// start an administrator with a one-time activation code.
pub fn open_storage(
    config: &ServerConfig,
    clock: Arc<dyn Clock>,
) -> ApiResult<(Arc<SqliteStorage>, Option<storage::ActivationCode>)> {
    let storage = Arc::new(SqliteStorage::open_on(
        &config.database,
        &config.data_dir,
        clock,
        config.uploads.clone(),
    )?);
    let code = storage.bootstrap_admin(&public_url(config))?;
    Ok((storage, code))
}

fn public_url(config: &ServerConfig) -> String {
    config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{}", config.listen))
}

/// Serve until SIGINT/SIGTERM, finishing requests in flight. `ready` is
/// called with the bound address (useful with port 0).
pub async fn serve(
    config: ServerConfig,
    ready: impl FnOnce(SocketAddr, Option<storage::ActivationCode>),
) -> ApiResult<()> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .map_err(|e| ServerError::Internal(format!("cannot listen on {}: {e}", config.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| ServerError::Internal(e.to_string()))?;
    let config = ServerConfig {
        listen: addr,
        ..config
    };
    let test_clock = config.test_clock.map(ManualClock::new);
    let clock: Arc<dyn Clock> = match &test_clock {
        Some(c) => {
            tracing::warn!(now = %c.now(), "running on a test clock (POST /v1/admin/clock moves it)");
            Arc::new(c.clone())
        }
        None => Arc::new(SystemClock),
    };
    // Opening the store (and on PostgreSQL its pool, whose client blocks
    // on a runtime of its own) runs off the async workers, like every
    // storage call.
    let (storage, code, dispatcher, push_info) = {
        let config = config.clone();
        let clock = clock.clone();
        routes::blocking(move || {
            let (storage, code) = open_storage(&config, clock.clone())?;
            let pruned = storage.prune()?;
            tracing::info!(pruned, "old operation answers pruned");
            let (dispatcher, push_info) = push::dispatcher(
                &config.push,
                &config.data_dir,
                storage.clone(),
                Arc::new(push::ServerClock(clock)),
            )?;
            Ok((storage, code, dispatcher, push_info))
        })
        .await?
    };
    let sweeper = {
        let storage = storage.clone();
        tokio::spawn(async move {
            let mut every = tokio::time::interval(UPLOAD_SWEEP_EVERY);
            every.tick().await; // the first tick is now; start swept already
            loop {
                every.tick().await;
                let s = storage.clone();
                match routes::blocking(move || s.upload_sweep_expired()).await {
                    Ok(n) if n > 0 => tracing::info!(swept = n, "expired uploads removed"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "upload sweep failed"),
                }
            }
        })
    };
    tracing::info!(kinds = ?push_info.kinds, "push channels");
    let engine = Arc::new(escalation::Engine::new(
        storage.clone(),
        dispatcher,
        clock,
        push_info,
    ));
    let engine_task = tokio::spawn(engine.clone().run(config.escalation_every));
    // Held to the end and dropped off the async workers: closing the
    // PostgreSQL pool's sessions blocks.
    let last = storage.clone();
    let router = router(AppState {
        test_clock,
        engine: Some(engine),
        map_tiles: config.map_tiles.clone().map(Arc::new),
        ..AppState::new(storage, public_url(&config))
    });
    ready(addr, code);
    // With connection info: the activation throttle counts per address.
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown_signal())
    .await
    .map_err(|e| ServerError::Internal(e.to_string()))?;
    sweeper.abort();
    engine_task.abort();
    let _ = sweeper.await;
    let _ = engine_task.await;
    routes::blocking(move || {
        drop(last);
        Ok(())
    })
    .await?;
    tracing::info!("server stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
    // Give in-flight requests their chance; axum waits for them.
    tokio::time::sleep(Duration::from_millis(10)).await;
}
