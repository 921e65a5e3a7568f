//! Signing in and out, and turning an activation code into an account.

use std::net::IpAddr;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::StatusCode;
use axum::Json;
use axum_extra::extract::cookie::CookieJar;
use gridwork_core::user::{Role, User};
use serde::{Deserialize, Serialize};

use super::password;
use super::session::{refused, removal_cookie, same_site_request, session_cookie, ConsoleUser};
use crate::error::{ApiResult, ServerError};
use crate::routes::{blocking, parse, AppState, PeerAddr};

/// What a signed-in page learns about its session.
#[derive(Debug, Serialize)]
pub struct SessionInfo {
    pub user: User,
    /// Send back in `X-CSRF-Token` with every change.
    pub csrf: String,
    pub expires_at: chrono::DateTime<chrono::Utc>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub user_id: String,
    pub password: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    pub code: String,
    pub password: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    pub user_id: String,
    pub password: String,
}

/// The console is for secretaries, supervisors and administrators; a grid
/// worker's tool is the phone (ADR 0016).
fn console_role(user: &User) -> ApiResult<()> {
    if user.role == Role::GridWorker {
        return Err(refused(
            StatusCode::FORBIDDEN,
            "console_not_for_role",
            "网格员请使用手机应用；指挥中心供书记、督导和管理员使用 / grid workers use the phone app: the console is for secretaries, supervisors and administrators",
        ));
    }
    Ok(())
}

fn wrong_password(left: usize) -> ServerError {
    ServerError::Refused {
        status: StatusCode::UNAUTHORIZED,
        code: "wrong_password",
        reason: format!(
            "账号或密码不正确，还可尝试 {left} 次 / wrong account or password: {left} tries left before sign-in is locked"
        ),
        field: Some("password".into()),
    }
}

async fn open_session(
    state: &AppState,
    jar: CookieJar,
    user: User,
) -> ApiResult<(CookieJar, Json<SessionInfo>)> {
    let storage = state.storage.clone();
    let id = user.id.clone();
    let new = blocking(move || storage.console_open_session(&id)).await?;
    let jar = jar.add(session_cookie(new.token, state.console.secure_cookies));
    Ok((
        jar,
        Json(SessionInfo {
            user,
            csrf: new.csrf,
            expires_at: new.expires_at,
        }),
    ))
}

/// `POST /console/api/sign-in`: a person's account id and password.
pub async fn sign_in(
    State(state): State<AppState>,
    PeerAddr(addr): PeerAddr,
    jar: CookieJar,
    parts: Parts,
    body: Bytes,
) -> ApiResult<(CookieJar, Json<SessionInfo>)> {
    same_site_request(&parts)?;
    let req: SignIn = parse(&body)?;
    let account = req.user_id.trim().to_string();
    let limits = &state.console;
    if let Some(wait) = limits
        .by_account
        .blocked(account.clone())
        .max(limits.by_address.blocked(addr))
    {
        tracing::warn!(account = %account, %addr, "console sign-in while locked");
        super::audit::record(
            &state,
            &account,
            &account,
            "console.sign_in_locked",
            &account,
            format!(
                "登录被锁定时再次尝试（来自 {addr}）/ sign-in tried while locked (from {addr})"
            ),
        )
        .await;
        return Err(ServerError::SignInLocked(wait));
    }
    let storage = state.storage.clone();
    let id = account.clone();
    let found = blocking(move || {
        let account = storage.console_account(&id)?;
        Ok(match account {
            Some((user, stored)) => password::verify(&req.password, &stored).then_some(user),
            None => {
                password::verify_nothing(&req.password);
                None
            }
        })
    })
    .await?;
    let Some(user) = found else {
        failed(&state, &account, addr);
        let left = limits.by_account.remaining(&account);
        tracing::info!(account = %account, %addr, left, "console sign-in: wrong password");
        super::audit::record(&state, &account, &account, "console.sign_in_failed", &account,
            format!("密码错误（来自 {addr}，还可尝试 {left} 次）/ wrong password (from {addr}, {left} tries left)")).await;
        return Err(if left == 0 {
            match limits.by_account.blocked(account.clone()) {
                Some(wait) => ServerError::SignInLocked(wait),
                None => wrong_password(0),
            }
        } else {
            wrong_password(left)
        });
    };
    console_role(&user)?;
    limits.by_account.succeeded(&account);
    tracing::info!(user = %user.id, %addr, "console sign-in");
    super::audit::record(
        &state,
        &user.id,
        &user.name,
        "console.sign_in",
        &user.id,
        format!("登录指挥中心（来自 {addr}）/ signed in to the console (from {addr})"),
    )
    .await;
    open_session(&state, jar, user).await
}

fn failed(state: &AppState, account: &str, addr: IpAddr) {
    state.console.by_account.failed(account.to_string());
    state.console.by_address.failed(addr);
}

/// `POST /console/api/claim`: an activation code and a new password make
/// the code's person an account, signed in at once.
pub async fn claim(
    State(state): State<AppState>,
    PeerAddr(addr): PeerAddr,
    jar: CookieJar,
    parts: Parts,
    body: Bytes,
) -> ApiResult<(CookieJar, Json<SessionInfo>)> {
    same_site_request(&parts)?;
    let req: Claim = parse(&body)?;
    if let Some(wait) = state.activation_throttle.blocked(addr) {
        return Err(ServerError::TooManyAttempts(wait));
    }
    let storage = state.storage.clone();
    let throttle = state.activation_throttle.clone();
    // The code names the person; the password's rules that need no name
    // are checked before the code is spent.
    password::check("", &req.password)?;
    let user = blocking(move || {
        let hash = password::hash(&req.password)?;
        storage.console_claim_code(&req.code, &hash)
    })
    .await
    .inspect_err(|e| {
        if matches!(e, ServerError::Core(gridwork_core::CoreError::Invalid { field, .. }) if field == "code") {
            throttle.failed(addr);
        }
    })?;
    console_role(&user)?;
    super::audit::record(&state, &user.id, &user.name, "account.claimed", &user.id,
        format!("用激活码开通指挥中心账号（来自 {addr}）/ opened a console account with an activation code (from {addr})")).await;
    open_session(&state, jar, user).await
}

/// `GET /console/api/session`: who is signed in, and the CSRF token.
pub async fn session(me: ConsoleUser) -> Json<SessionInfo> {
    Json(SessionInfo {
        user: me.session.user,
        csrf: me.session.csrf,
        expires_at: me.session.expires_at,
    })
}

/// `POST /console/api/sign-out`: this browser only.
pub async fn sign_out(
    State(state): State<AppState>,
    me: ConsoleUser,
    jar: CookieJar,
) -> ApiResult<(CookieJar, StatusCode)> {
    let storage = state.storage.clone();
    blocking(move || storage.console_close_session(&me.token)).await?;
    Ok((
        jar.add(removal_cookie(state.console.secure_cookies)),
        StatusCode::NO_CONTENT,
    ))
}

/// `POST /console/api/sign-out-everywhere`: every session of this person.
pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    me: ConsoleUser,
    jar: CookieJar,
) -> ApiResult<(CookieJar, Json<serde_json::Value>)> {
    let storage = state.storage.clone();
    let id = me.session.user.id.clone();
    let ended = blocking(move || storage.console_close_all_sessions(&id)).await?;
    tracing::info!(user = %me.session.user.id, ended, "console: signed out everywhere");
    super::audit::record(&state, &me.session.user.id, &me.session.user.name, "console.sign_out_everywhere",
        &me.session.user.id, format!("在所有设备上退出（结束 {ended} 个会话）/ signed out everywhere ({ended} sessions ended)")).await;
    Ok((
        jar.add(removal_cookie(state.console.secure_cookies)),
        Json(serde_json::json!({ "ended": ended })),
    ))
}

/// `POST /console/api/accounts`: an administrator sets a person's password
/// (a new account, or a reset; the person's sessions end).
pub async fn set_password(
    State(state): State<AppState>,
    me: ConsoleUser,
    body: Bytes,
) -> ApiResult<StatusCode> {
    me.require(&[Role::Administrator])?;
    let req: SetPassword = parse(&body)?;
    password::check(&req.user_id, &req.password)?;
    let storage = state.storage.clone();
    let admin = me.session.user.id.clone();
    let target = req.user_id.clone();
    blocking(move || {
        let hash = password::hash(&req.password)?;
        storage.console_set_password(&admin, &req.user_id, &hash)
    })
    .await?;
    super::audit::record(
        &state,
        &me.session.user.id,
        &me.session.user.name,
        "account.password_set",
        &target,
        format!("设置了 {target} 的指挥中心密码 / set {target}'s console password"),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
