//! Console accounts and sessions among the server's own records
//! ([`super::auth_db::AuthDb`]), and the case screens through the core's
//! store, for [`SqliteStorage`].

use chrono::Duration;
use gridwork_core::case::{Case, CaseAction, CaseEvent};
use gridwork_core::clock::{from_ms, to_ms};
use gridwork_core::inbox::InboxItem;
use gridwork_core::store::{
    AuditEntry, AuditFilter, CaseBoard, CaseDetail, CaseFilter, GridOnMap, InboxPage, Overview,
    Roster,
};
use gridwork_core::user::User;
use gridwork_core::CoreError;

use super::console::{ConsoleSession, ConsoleStorage, NewConsoleSession, SESSION_HOURS};
use super::sqlite::{hash, new_token, SqliteStorage};
use crate::error::{ApiResult, ServerError};

fn unauthorized() -> ServerError {
    ServerError::Refused {
        status: axum::http::StatusCode::UNAUTHORIZED,
        code: "signed_out",
        reason: "登录已失效，请重新登录 / your session has ended: please sign in again".into(),
        field: None,
    }
}

impl ConsoleStorage for SqliteStorage {
    fn console_set_password(
        &self,
        admin: &str,
        user_id: &str,
        password_hash: &str,
    ) -> ApiResult<()> {
        self.require_admin(admin)?;
        self.store().user(user_id)?;
        let now = to_ms(self.now());
        self.auth().transaction(|sql| {
            sql.execute(
                "INSERT INTO console_account (user_id, password_hash, set_at, set_by) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(user_id) DO UPDATE SET password_hash = excluded.password_hash,
                   set_at = excluded.set_at, set_by = excluded.set_by",
                &[&user_id, &password_hash, &now, &admin],
            )?;
            sql.execute("DELETE FROM console_session WHERE user_id = ?1", &[&user_id])
        })?;
        tracing::info!(user = user_id, by = admin, "console password set");
        Ok(())
    }

    fn console_claim_code(&self, code: &str, password_hash: &str) -> ApiResult<User> {
        let now = to_ms(self.now());
        let digests = self.code_digests(code)?;
        let user_id = self.auth().transaction(|sql| {
            let (code_hash, user_id) = self.usable_code(sql, &digests)?;
            sql.execute(
                "UPDATE activation_code SET used_at = ?2, device_id = 'console' WHERE code_hash = ?1",
                &[&code_hash, &now],
            )?;
            sql.execute(
                "INSERT INTO console_account (user_id, password_hash, set_at, set_by) VALUES (?1, ?2, ?3, ?1)
                 ON CONFLICT(user_id) DO UPDATE SET password_hash = excluded.password_hash,
                   set_at = excluded.set_at, set_by = excluded.set_by",
                &[&user_id, &password_hash, &now],
            )?;
            sql.execute("DELETE FROM console_session WHERE user_id = ?1", &[&user_id])?;
            Ok(user_id)
        })?;
        tracing::info!(user = %user_id, "console account claimed with an activation code");
        Ok(self.store().user(&user_id)?)
    }

    fn console_account(&self, user_id: &str) -> ApiResult<Option<(User, String)>> {
        let stored = self.auth().run(|sql| {
            sql.query_row(
                "SELECT password_hash FROM console_account WHERE user_id = ?1",
                &[&user_id],
                |r| r.get::<String>(0),
            )
        })?;
        let Some(stored) = stored else {
            return Ok(None);
        };
        match self.store().user(user_id) {
            Ok(user) => Ok(Some((user, stored))),
            Err(CoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn console_open_session(&self, user_id: &str) -> ApiResult<NewConsoleSession> {
        let now = self.now();
        let expires_at = now + Duration::hours(SESSION_HOURS);
        let token = new_token();
        let csrf = new_token();
        let token_hash = hash(&token);
        self.auth().run(|sql| {
            // Expired sessions go as new ones come.
            sql.execute(
                "DELETE FROM console_session WHERE expires_at <= ?1",
                &[&to_ms(now)],
            )?;
            sql.execute(
                "INSERT INTO console_session (token_hash, user_id, csrf, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
                &[&token_hash, &user_id, &csrf, &to_ms(now), &to_ms(expires_at)],
            )
        })?;
        Ok(NewConsoleSession {
            token,
            csrf,
            expires_at,
        })
    }

    fn console_session(&self, token: &str) -> ApiResult<ConsoleSession> {
        let token_hash = hash(token);
        let row = self.auth().run(|sql| {
            sql.query_row(
                "SELECT user_id, csrf, expires_at FROM console_session WHERE token_hash = ?1",
                &[&token_hash],
                |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?, r.get::<i64>(2)?)),
            )
        })?;
        let Some((user_id, csrf, expires)) = row else {
            return Err(unauthorized());
        };
        if expires <= to_ms(self.now()) {
            return Err(unauthorized());
        }
        let user = match self.store().user(&user_id) {
            Ok(u) => u,
            Err(CoreError::NotFound { .. }) => return Err(unauthorized()),
            Err(e) => return Err(e.into()),
        };
        Ok(ConsoleSession {
            user,
            csrf,
            expires_at: from_ms(expires),
        })
    }

    fn console_close_session(&self, token: &str) -> ApiResult<()> {
        let token_hash = hash(token);
        self.auth().run(|sql| {
            sql.execute(
                "DELETE FROM console_session WHERE token_hash = ?1",
                &[&token_hash],
            )
        })?;
        Ok(())
    }

    fn console_close_all_sessions(&self, user_id: &str) -> ApiResult<u64> {
        let n = self.auth().run(|sql| {
            sql.execute(
                "DELETE FROM console_session WHERE user_id = ?1",
                &[&user_id],
            )
        })?;
        Ok(n as u64)
    }

    fn console_record(&self, e: &AuditEntry) -> ApiResult<()> {
        self.auth().run(|sql| {
            sql.execute(
                "INSERT INTO audit (at, actor_id, actor_name, kind, target, summary) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                &[&to_ms(e.at), &e.actor_id, &e.actor_name, &e.kind, &e.target, &e.summary],
            )
        })?;
        Ok(())
    }

    fn console_audit(
        &self,
        admin: &str,
        filter: &AuditFilter,
        limit: u32,
    ) -> ApiResult<Vec<AuditEntry>> {
        // The core refuses anyone but an administrator.
        let mut out = self.store().audit_trail(admin, filter, limit)?;
        if !filter.reveals_only {
            let before = filter.before.map_or(i64::MAX, to_ms);
            let limit = limit.clamp(1, 500);
            let rows = self.auth().run(|sql| {
                sql.query_map(
                    "SELECT at, actor_id, actor_name, kind, target, summary FROM audit
                     WHERE at < ?1 AND (CAST(?2 AS TEXT) IS NULL OR actor_id = ?2)
                     ORDER BY at DESC, id DESC LIMIT ?3",
                    &[&before, &filter.actor_id, &limit],
                    |r| {
                        Ok(AuditEntry {
                            at: from_ms(r.get(0)?),
                            actor_id: r.get(1)?,
                            actor_name: r.get(2)?,
                            kind: r.get(3)?,
                            target: r.get(4)?,
                            summary: r.get(5)?,
                        })
                    },
                )
            })?;
            out.extend(rows);
        }
        out.sort_by_key(|e| std::cmp::Reverse(e.at));
        out.truncate(limit.clamp(1, 500) as usize);
        Ok(out)
    }

    fn console_roster(&self, user_id: &str, region: Option<&str>) -> ApiResult<Roster> {
        Ok(self.store().roster(user_id, region)?)
    }

    fn console_overview(&self, user_id: &str, region: Option<&str>) -> ApiResult<Overview> {
        Ok(self.store().overview(user_id, region)?)
    }

    fn console_map(
        &self,
        user_id: &str,
        region: Option<&str>,
        system: gridwork_core::coord::CoordSystem,
    ) -> ApiResult<Vec<GridOnMap>> {
        Ok(self.store().overview_map(user_id, region, system)?)
    }

    fn console_cases(
        &self,
        user_id: &str,
        filter: &CaseFilter,
        offset: u32,
        limit: u32,
    ) -> ApiResult<CaseBoard> {
        Ok(self.store().case_board(user_id, filter, offset, limit)?)
    }

    fn console_case(&self, user_id: &str, case_id: &str) -> ApiResult<CaseDetail> {
        Ok(self.store().case_detail(user_id, case_id)?)
    }

    fn console_inbox(&self, user_id: &str, offset: u32, limit: u32) -> ApiResult<InboxPage> {
        Ok(self.store().inbox(user_id, false, offset, limit)?)
    }

    fn console_mark_read(&self, user_id: &str, item_id: &str) -> ApiResult<InboxItem> {
        Ok(self.store().mark_inbox_read(user_id, item_id)?)
    }

    fn console_handler_choices(&self, user_id: &str, case_id: &str) -> ApiResult<Vec<User>> {
        Ok(self.store().handler_choices(user_id, case_id)?)
    }

    fn console_act(
        &self,
        user_id: &str,
        case_id: &str,
        action: &CaseAction,
    ) -> ApiResult<(Case, CaseEvent)> {
        Ok(self.store().act_on_case(user_id, case_id, action, &[])?)
    }
}
