//! Who is signed in: the session cookie (HttpOnly, SameSite=Strict, Secure
//! over TLS) and, on every request that changes something, the session's
//! CSRF token in `X-CSRF-Token` and no cross-site `Sec-Fetch-Site`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use gridwork_core::user::{Role, User};
use sha2::{Digest, Sha256};

use crate::error::{ApiResult, ServerError};
use crate::routes::{blocking, AppState};
use crate::storage::console::ConsoleSession;

/// The session cookie's name.
pub const COOKIE: &str = "gw_session";
/// The header a page sends its session's CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// A signed-in person (not a grid worker: see ADR 0016).
#[derive(Debug)]
pub struct ConsoleUser {
    pub session: ConsoleSession,
    /// The cookie's token (to end this session).
    pub token: String,
}

impl ConsoleUser {
    pub fn user(&self) -> &User {
        &self.session.user
    }

    pub fn require(&self, roles: &[Role]) -> ApiResult<()> {
        if roles.contains(&self.session.user.role) {
            Ok(())
        } else {
            Err(refused(
                StatusCode::FORBIDDEN,
                "not_permitted",
                "您的角色不能使用此功能 / your role may not use this",
            ))
        }
    }
}

pub fn refused(status: StatusCode, code: &'static str, reason: &str) -> ServerError {
    ServerError::Refused {
        status,
        code,
        reason: reason.into(),
        field: None,
    }
}

/// The cookie that carries a new session.
pub fn session_cookie(token: String, secure: bool) -> Cookie<'static> {
    Cookie::build((COOKIE, token))
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .path("/")
        // No Max-Age: a browser session cookie (gone when an office PC's
        // browser closes); the server ends the session after
        // SESSION_HOURS anyway.
        .build()
}

/// The cookie that ends one in the browser.
pub fn removal_cookie(secure: bool) -> Cookie<'static> {
    let mut c = session_cookie(String::new(), secure);
    c.make_removal();
    c
}

/// Refuse a state change that a page of another site could have sent.
pub fn same_site_request(parts: &Parts) -> ApiResult<()> {
    let fetch_site = parts
        .headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok());
    if fetch_site.is_some_and(|s| s != "same-origin" && s != "none") {
        return Err(refused(
            StatusCode::FORBIDDEN,
            "cross_site",
            "请求来自其他网站，已拒绝 / refused: the request came from another site",
        ));
    }
    Ok(())
}

/// Equal in time whatever the inputs (compares digests).
fn same_secret(a: &str, b: &str) -> bool {
    Sha256::digest(a.as_bytes()) == Sha256::digest(b.as_bytes())
}

impl FromRequestParts<AppState> for ConsoleUser {
    type Rejection = ServerError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let token = jar
            .get(COOKIE)
            .map(|c| c.value().to_string())
            .filter(|t| !t.is_empty())
            .ok_or_else(|| {
                refused(
                    StatusCode::UNAUTHORIZED,
                    "signed_out",
                    "请先登录 / please sign in",
                )
            })?;
        let storage = state.storage.clone();
        let t = token.clone();
        let session = blocking(move || storage.console_session(&t)).await?;
        let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
        if !safe {
            same_site_request(parts)?;
            let sent = parts
                .headers
                .get(CSRF_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            if !same_secret(sent, &session.csrf) {
                return Err(refused(
                    StatusCode::FORBIDDEN,
                    "csrf",
                    "页面已过期，请刷新后重试 / the page is out of date (CSRF token missing or wrong): reload and try again",
                ));
            }
        }
        Ok(ConsoleUser { session, token })
    }
}
