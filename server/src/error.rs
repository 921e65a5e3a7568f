//! One error type for the HTTP layer: every refusal is a status code and a
//! JSON body with a stable code and words for people.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use gridwork_core::sync::protocol::ErrorBody;
use gridwork_core::CoreError;
use thiserror::Error;

/// Why a request failed.
#[derive(Debug, Error)]
pub enum ServerError {
    #[error(transparent)]
    Core(#[from] CoreError),
    /// No credential, or one we do not know.
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    /// The device was revoked: it must wipe its data.
    #[error("device revoked")]
    Revoked,
    /// The request needs an administrator.
    #[error("administrators only")]
    AdminOnly,
    /// The client speaks a protocol older than we accept.
    #[error("protocol too old: {0}")]
    ProtocolTooOld(String),
    /// The body could not be read.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// Auth storage failed.
    #[error("storage error: {0}")]
    Storage(#[from] rusqlite::Error),
    /// A refusal with its own status (the tus routes: 409, 410, 412, 413,
    /// 415, 423, 460, 507 …).
    #[error("{code}: {reason}")]
    Refused {
        status: StatusCode,
        code: &'static str,
        reason: String,
        field: Option<String>,
    },
    /// Too many failed attempts at a secret from this address (or from
    /// everyone): try again after the wait (Retry-After).
    #[error("too many failed attempts; retry in {0:?}")]
    TooManyAttempts(std::time::Duration),
    /// Too many wrong console passwords for this account or from this
    /// address: sign-in is locked for the wait (Retry-After).
    #[error("console sign-in locked for {0:?}")]
    SignInLocked(std::time::Duration),
    /// A blocking task failed to run.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type ApiResult<T> = Result<T, ServerError>;

impl ServerError {
    fn parts(&self) -> (StatusCode, ErrorBody) {
        let body = |code: &str, reason: String| ErrorBody {
            code: code.into(),
            reason,
            field: None,
            wipe: false,
        };
        if self.is_disk_full() {
            // Nothing was half-applied: the transaction that hit the full
            // disk rolled back whole. The client keeps its data and retries.
            return (
                StatusCode::INSUFFICIENT_STORAGE,
                body(
                    "storage_full",
                    "服务器存储空间不足，数据仍在手机上，稍后会自动重试 / the server is out of storage: your data stays on the phone and is sent again later".into(),
                ),
            );
        }
        match self {
            ServerError::Core(e) => match e {
                CoreError::Invalid { field, reason } => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    ErrorBody {
                        code: "invalid".into(),
                        reason: reason.clone(),
                        field: Some(field.clone()),
                        wipe: false,
                    },
                ),
                CoreError::TooLarge { what, reason } => (
                    StatusCode::PAYLOAD_TOO_LARGE,
                    ErrorBody {
                        code: "too_large".into(),
                        reason: reason.clone(),
                        field: Some(what.clone()),
                        wipe: false,
                    },
                ),
                CoreError::NotPermitted { .. } => (StatusCode::FORBIDDEN, body("not_permitted", e.to_string())),
                CoreError::NotFound { .. } => (StatusCode::NOT_FOUND, body("not_found", e.to_string())),
                CoreError::Conflict { .. } => (StatusCode::CONFLICT, body("conflict", e.to_string())),
                CoreError::Revoked { .. } => (
                    StatusCode::UNAUTHORIZED,
                    ErrorBody {
                        code: "device_revoked".into(),
                        reason: e.to_string(),
                        field: None,
                        wipe: true,
                    },
                ),
                // Lost the race for a row more times than a write is run
                // again (PostgreSQL under a storm of writers): nothing was
                // applied; the phone sends it again shortly.
                CoreError::Database { retry: true, .. } => (
                    StatusCode::SERVICE_UNAVAILABLE,
                    body("busy", "服务器繁忙，请稍后重试 / the server is busy, retry shortly".into()),
                ),
                _ => (StatusCode::INTERNAL_SERVER_ERROR, body("storage", "服务器存储出错 / server storage failed".into())),
            },
            ServerError::Unauthorized(why) => (
                StatusCode::UNAUTHORIZED,
                body("unauthorized", format!("设备凭证无效 / invalid device credential: {why}")),
            ),
            ServerError::Revoked => (
                StatusCode::UNAUTHORIZED,
                ErrorBody {
                    code: "device_revoked".into(),
                    reason: "此设备已被停用，本机数据将被清除 / this device was revoked; its local data will be wiped".into(),
                    field: None,
                    wipe: true,
                },
            ),
            ServerError::AdminOnly => (
                StatusCode::FORBIDDEN,
                body("admin_only", "只有管理员可以这样做 / administrators only".into()),
            ),
            ServerError::ProtocolTooOld(why) => (
                StatusCode::UPGRADE_REQUIRED,
                body("protocol_too_old", format!("请更新应用 / please update the app: {why}")),
            ),
            ServerError::BadRequest(why) => (StatusCode::BAD_REQUEST, body("bad_request", why.clone())),
            ServerError::TooManyAttempts(wait) => {
                let secs = retry_after_secs(*wait);
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    body(
                        "too_many_attempts",
                        format!("尝试失败次数过多，请 {secs} 秒后再试 / too many failed attempts: try again in {secs} s"),
                    ),
                )
            }
            ServerError::SignInLocked(wait) => {
                let mins = retry_after_secs(*wait).div_ceil(60);
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    body(
                        "sign_in_locked",
                        format!("密码错误次数过多，登录已锁定，请 {mins} 分钟后再试 / too many wrong passwords: sign-in is locked, try again in {mins} min"),
                    ),
                )
            }
            ServerError::Refused { status, code, reason, field } => (
                *status,
                ErrorBody {
                    code: (*code).into(),
                    reason: reason.clone(),
                    field: field.clone(),
                    wipe: false,
                },
            ),
            ServerError::Storage(_) | ServerError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                body("internal", "服务器出错，请稍后重试 / server error, retry later".into()),
            ),
        }
    }
}

impl ServerError {
    /// Did this fail because the server's disk is full (SQLite's
    /// SQLITE_FULL, or ENOSPC from a file)?
    pub fn is_disk_full(&self) -> bool {
        let sqlite_full = |e: &rusqlite::Error| matches!(e, rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::DiskFull);
        match self {
            ServerError::Storage(e) | ServerError::Core(CoreError::Storage(e)) => sqlite_full(e),
            ServerError::Core(CoreError::Io { source, .. }) => {
                source.kind() == std::io::ErrorKind::StorageFull
            }
            ServerError::Core(CoreError::Migration(rusqlite_migration::Error::RusqliteError {
                err,
                ..
            })) => sqlite_full(err),
            _ => false,
        }
    }
}

impl IntoResponse for ServerError {
    fn into_response(self) -> Response {
        let (status, body) = self.parts();
        if status.is_server_error() {
            tracing::error!(error = %self, "request failed");
        }
        let mut response = (status, Json(body)).into_response();
        if let ServerError::TooManyAttempts(wait) | ServerError::SignInLocked(wait) = self {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(retry_after_secs(wait)),
            );
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(1u64),
            );
        }
        response
    }
}

/// Whole seconds, at least one (Retry-After: 0 invites a busy loop).
fn retry_after_secs(wait: std::time::Duration) -> u64 {
    (wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn a_write_that_kept_losing_its_race_is_busy_not_broken() {
        let lost = ServerError::Core(CoreError::Database {
            reason: "could not serialize access due to concurrent update (40001)".into(),
            retry: true,
        });
        let response = lost.into_response();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()[axum::http::header::RETRY_AFTER], "1");
        let broken = ServerError::Core(CoreError::Database {
            reason: "relation \"visit\" does not exist (42P01)".into(),
            retry: false,
        });
        assert_eq!(
            broken.into_response().status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }
}
