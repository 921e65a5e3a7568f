//! 审计: who did what and when — every recorded reveal of a masked ID or
//! phone number (with its reason) and every case event (report, filing,
//! dispatch, confirmation, urge …), newest first, for administrators. The
//! server adds its own records (sign-ins, devices, imports) beside these.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::users::actor;
use super::{from_json, Store};
use crate::case::CaseEvent;
use crate::clock::{from_ms, to_ms};
use crate::db::Sql;
use crate::error::{CoreError, Result};
use crate::user::Role;

/// One line of the audit trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor_id: String,
    pub actor_name: String,
    /// `reveal`, or `case.<event kind>` (e.g. `case.confirmed`).
    pub kind: String,
    /// The member or case it was about.
    pub target: String,
    /// What happened, in words (Chinese, with English for reveals).
    pub summary: String,
}

/// Which lines; every field narrows.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct AuditFilter {
    pub actor_id: Option<String>,
    /// Reveals only.
    pub reveals_only: bool,
    /// Only lines before this instant (the next page).
    pub before: Option<DateTime<Utc>>,
}

impl Store {
    /// The newest `limit` lines of the trail matching `filter`, for an
    /// administrator (anyone else is refused).
    pub fn audit_trail(
        &self,
        user_id: &str,
        filter: &AuditFilter,
        limit: u32,
    ) -> Result<Vec<AuditEntry>> {
        let now = self.now();
        self.read_sql(|sql| trail(sql, user_id, filter, limit, now))
    }
}

/// The trail as `user_id` may see it at `now` (on either engine).
pub(crate) fn trail(
    sql: Sql<'_>,
    user_id: &str,
    filter: &AuditFilter,
    limit: u32,
    now: DateTime<Utc>,
) -> Result<Vec<AuditEntry>> {
    let limit = limit.clamp(1, 500);
    let a = actor(sql, user_id, now)?;
    if a.role != Role::Administrator {
        return Err(CoreError::not_permitted(
            "只有管理员可以查看审计记录 / administrators only",
        ));
    }
    let before = filter.before.map_or(i64::MAX, to_ms);
    let mut out = sql.query_map(
        "SELECT r.at, r.user_id, COALESCE(u.name, r.user_id), r.member_id,
                    COALESCE(m.name, r.member_id), r.field, r.reason
             FROM pii_reveal r
             LEFT JOIN app_user u ON u.id = r.user_id
             LEFT JOIN member m ON m.id = r.member_id
             WHERE r.at < ?1 AND (CAST(?2 AS TEXT) IS NULL OR r.user_id = ?2)
             ORDER BY r.at DESC LIMIT ?3",
        &[&before, &filter.actor_id, &limit],
        |r| {
            let field: String = r.get(5)?;
            let (zh, en) = if field == "phone" {
                ("手机号", "phone number")
            } else {
                ("身份证号", "ID number")
            };
            let member: String = r.get(4)?;
            let reason: String = r.get(6)?;
            Ok(AuditEntry {
                at: from_ms(r.get(0)?),
                actor_id: r.get(1)?,
                actor_name: r.get(2)?,
                kind: "reveal".into(),
                target: r.get(3)?,
                summary: format!(
                    "查看{member}的完整{zh}，理由：{reason} / revealed {member}'s {en}: {reason}"
                ),
            })
        },
    )?;
    if !filter.reveals_only {
        let bodies = sql.query_map(
            "SELECT body FROM case_event
             WHERE at < ?1 AND (CAST(?2 AS TEXT) IS NULL OR actor_id = ?2)
             ORDER BY at DESC LIMIT ?3",
            &[&before, &filter.actor_id, &limit],
            |r| r.get::<String>(0),
        )?;
        for body in bodies {
            let e: CaseEvent = from_json("case_event.body", &body)?;
            out.push(AuditEntry {
                at: e.at,
                actor_name: e.actor_name.clone(),
                actor_id: e.actor_id.clone(),
                kind: format!("case.{}", e.kind.name()),
                summary: e.kind.summary_zh(),
                target: e.case_id,
            });
        }
    }
    out.sort_by(|x, y| y.at.cmp(&x.at).then_with(|| x.kind.cmp(&y.kind)));
    out.truncate(limit as usize);
    Ok(out)
}
