//! 指挥中心, the web console: sign-in for people (not devices), its JSON API
//! under `/console/api`, and the built page (console/) served at `/` with
//! strict security headers. The server and the core decide who may see and
//! do what; the page only renders (ADR 0016).

pub mod assets;
pub mod audit;
pub mod cases;
pub mod devices;
pub mod export;
pub mod import;
pub mod inbox;
pub mod overview;
pub mod password;
pub mod roster;
pub mod session;
pub mod sign_in;
pub mod tiles;

use std::net::IpAddr;
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;

use crate::routes::AppState;
use crate::throttle::Throttle;

/// Wrong passwords allowed per account within [`LOCK_WINDOW`].
pub const PER_ACCOUNT: usize = 5;
/// Wrong passwords allowed per address (an office's NAT holds many people).
pub const PER_ADDRESS: usize = 30;
/// Wrong passwords allowed from everyone together (a spray across accounts).
pub const GLOBAL: usize = 1_000;
pub const LOCK_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The console's shared state: sign-in throttles and cookie settings.
#[derive(Debug)]
pub struct ConsoleState {
    pub by_account: Throttle<String>,
    pub by_address: Throttle<IpAddr>,
    /// `Secure` cookies (the server is reached over https).
    pub secure_cookies: bool,
}

impl ConsoleState {
    pub fn new(public_url: &str) -> Self {
        ConsoleState {
            // The address throttle's global limit is the one that stops a
            // spray across accounts; this one only bounds memory.
            by_account: Throttle::new(PER_ACCOUNT, 100 * GLOBAL, LOCK_WINDOW),
            by_address: Throttle::new(PER_ADDRESS, GLOBAL, LOCK_WINDOW),
            secure_cookies: public_url.starts_with("https://"),
        }
    }
}

/// The console's routes: the API and the page; `tiles` widens the CSP's
/// images to the tile server.
pub fn routes(tiles: Option<&tiles::MapTiles>) -> Router<AppState> {
    let api = Router::new()
        .route("/sign-in", post(sign_in::sign_in))
        .route("/claim", post(sign_in::claim))
        .route("/session", get(sign_in::session))
        .route("/sign-out", post(sign_in::sign_out))
        .route("/sign-out-everywhere", post(sign_in::sign_out_everywhere))
        .route("/accounts", post(sign_in::set_password))
        .route("/cases", get(cases::list))
        .route("/cases/{case_id}", get(cases::detail))
        .route("/cases/{case_id}/actions", post(cases::act))
        .route("/evidence/{evidence_id}/content", get(cases::photo))
        .route("/audit", get(audit::list))
        .route("/export/cases.xlsx", get(export::cases))
        .route("/export/coverage.xlsx", get(export::coverage))
        .route("/roster", get(roster::roster))
        .route("/assignments", post(roster::assign))
        .route("/overview", get(overview::overview))
        .route("/map", get(overview::map))
        .route("/map-config", get(overview::map_config))
        .route("/coverage", get(overview::coverage))
        .route("/import/{kind}", post(import::import))
        .route("/inbox", get(inbox::list))
        .route("/inbox/{item_id}/read", post(inbox::read))
        .route("/devices", get(devices::list))
        .route("/devices/{device_id}/revoke", post(devices::revoke))
        .route("/activation-codes", post(devices::code));
    Router::new()
        .nest("/console/api", api)
        .route("/", get(assets::index))
        .route("/assets/{*path}", get(assets::asset))
        .layer(axum::middleware::map_response(assets::security_headers(
            tiles.map(|t| t.origin.as_str()),
        )))
}
