//! Users, assignments, and building the `Actor` the rules judge.

use chrono::{DateTime, NaiveDate, Utc};

use super::{from_json, Store, Writer};
use crate::db::{Row, Sql};
use crate::error::{CoreError, Result};
use crate::limits::{check_text, text, TextKind};
use crate::outbox::Operation;
use crate::pii;
use crate::user::{Actor, Assignment, AssignmentKind, Role, User};

impl Writer<'_> {
    pub(crate) fn upsert_user(&mut self, user: &User) -> Result<()> {
        check_text("id", &user.id, text::CODE, TextKind::Line)?;
        check_text("name", &user.name, text::NAME, TextKind::Line)?;
        if user.id.trim().is_empty() {
            return Err(CoreError::invalid(
                "id",
                "用户编号不能为空 / user id is empty",
            ));
        }
        if user.name.trim().is_empty() {
            return Err(CoreError::invalid("name", "姓名不能为空 / name is empty"));
        }
        if let Some(phone) = &user.phone {
            pii::validate_phone(phone)?;
        }
        self.sql().execute(
            "INSERT INTO app_user (id, name, role, phone, jurisdiction) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(id) DO UPDATE SET name = excluded.name, role = excluded.role,
               phone = excluded.phone, jurisdiction = excluded.jurisdiction",
            &[
                &user.id,
                &user.name,
                &user.role.as_str(),
                &user.phone,
                &serde_json::to_string(&user.jurisdiction)?,
            ],
        )?;
        self.emit(&Operation::UserUpserted { user: user.clone() })
    }

    pub(crate) fn set_assignment(&mut self, a: &Assignment) -> Result<()> {
        let sql = self.sql();
        let role: Option<String> = sql.query_row(
            "SELECT role FROM app_user WHERE id = ?1",
            &[&a.user_id],
            |r| r.get(0),
        )?;
        match role.as_deref().and_then(Role::parse) {
            None => {
                return Err(CoreError::invalid(
                    "user_id",
                    format!("用户{}不存在 / no user {}", a.user_id, a.user_id),
                ))
            }
            Some(Role::GridWorker) => {}
            Some(r) => {
                return Err(CoreError::invalid(
                    "user_id",
                    format!(
                    "只有网格员可分配网格，该用户是{} / only grid workers are assigned to grids",
                    r.label_zh()
                ),
                ))
            }
        }
        let grid_exists = sql
            .query_row(
                "SELECT 1 FROM grid WHERE code = ?1",
                &[&a.grid_code],
                |_| Ok(()),
            )?
            .is_some();
        if !grid_exists {
            return Err(CoreError::invalid(
                "grid_code",
                format!("网格{}不存在 / no grid {}", a.grid_code, a.grid_code),
            ));
        }
        if a.to.is_some_and(|to| to < a.from) {
            return Err(CoreError::invalid(
                "to",
                "结束日期早于开始日期 / ends before it starts",
            ));
        }
        sql.execute(
            "INSERT INTO assignment (user_id, grid_code, kind, from_day, to_day) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(user_id, grid_code, from_day) DO UPDATE SET kind = excluded.kind, to_day = excluded.to_day",
            &[
                &a.user_id,
                &a.grid_code,
                &a.kind.as_str(),
                &a.from.to_string(),
                &a.to.map(|d| d.to_string()),
            ],
        )?;
        self.emit(&Operation::AssignmentSet {
            assignment: a.clone(),
        })
    }
}

pub(crate) fn load_user<'a>(sql: impl Into<Sql<'a>>, id: &str) -> Result<Option<User>> {
    let row = sql.into().query_row(
        "SELECT id, name, role, phone, jurisdiction FROM app_user WHERE id = ?1",
        &[&id],
        |r| {
            Ok((
                r.get::<String>(0)?,
                r.get::<String>(1)?,
                r.get::<String>(2)?,
                r.get::<Option<String>>(3)?,
                r.get::<String>(4)?,
            ))
        },
    )?;
    row.map(|(id, name, role, phone, jurisdiction)| {
        Ok(User {
            id,
            name,
            role: Role::parse(&role).ok_or_else(|| CoreError::corrupt("app_user.role", &role))?,
            phone,
            jurisdiction: from_json("app_user.jurisdiction", &jurisdiction)?,
        })
    })
    .transpose()
}

/// Assignments of one user active on `day`.
pub(crate) fn active_assignments<'a>(
    sql: impl Into<Sql<'a>>,
    user_id: &str,
    day: NaiveDate,
) -> Result<Vec<Assignment>> {
    sql.into().query_map(
        "SELECT user_id, grid_code, kind, from_day, to_day FROM assignment
         WHERE user_id = ?1 AND from_day <= ?2 AND (to_day IS NULL OR to_day >= ?2)
         ORDER BY kind DESC, grid_code",
        &[&user_id, &day.to_string()],
        assignment_from_row,
    )
}

/// One assignment by its key.
pub(crate) fn load_assignment<'a>(
    sql: impl Into<Sql<'a>>,
    user_id: &str,
    grid_code: &str,
    from: &str,
) -> Result<Option<Assignment>> {
    sql.into().query_row(
        "SELECT user_id, grid_code, kind, from_day, to_day FROM assignment
         WHERE user_id = ?1 AND grid_code = ?2 AND from_day = ?3",
        &[&user_id, &grid_code, &from],
        assignment_from_row,
    )
}

/// Active assignments on one grid.
pub(crate) fn grid_assignments<'a>(
    sql: impl Into<Sql<'a>>,
    grid_code: &str,
    day: NaiveDate,
) -> Result<Vec<Assignment>> {
    sql.into().query_map(
        "SELECT user_id, grid_code, kind, from_day, to_day FROM assignment
         WHERE grid_code = ?1 AND from_day <= ?2 AND (to_day IS NULL OR to_day >= ?2)",
        &[&grid_code, &day.to_string()],
        assignment_from_row,
    )
}

fn assignment_from_row(r: &Row<'_>) -> Result<Assignment> {
    let kind: String = r.get(2)?;
    let from: String = r.get(3)?;
    let to: Option<String> = r.get(4)?;
    Ok(Assignment {
        user_id: r.get(0)?,
        grid_code: r.get(1)?,
        kind: AssignmentKind::parse(&kind)
            .ok_or_else(|| CoreError::corrupt("assignment.kind", &kind))?,
        from: from
            .parse()
            .map_err(|e| CoreError::corrupt("assignment.from_day", e))?,
        to: to
            .map(|t| {
                t.parse()
                    .map_err(|e| CoreError::corrupt("assignment.to_day", e))
            })
            .transpose()?,
    })
}

/// The local calendar day (China time) of an instant: assignments are by day.
pub(crate) fn local_day(t: DateTime<Utc>) -> NaiveDate {
    (t + chrono::Duration::hours(8)).date_naive()
}

/// Build the actor for a user at `now`.
pub(crate) fn actor<'a>(
    sql: impl Into<Sql<'a>>,
    user_id: &str,
    now: DateTime<Utc>,
) -> Result<Actor> {
    let sql = sql.into();
    let user = load_user(sql, user_id)?.ok_or_else(|| CoreError::not_found("user", user_id))?;
    let grids = if user.role == Role::GridWorker {
        active_assignments(sql, user_id, local_day(now))?
            .into_iter()
            .map(|a| a.grid_code)
            .collect()
    } else {
        Vec::new()
    };
    Ok(Actor {
        user_id: user.id,
        name: user.name,
        role: user.role,
        jurisdiction: user.jurisdiction,
        grids,
    })
}

impl Store {
    /// Store (insert or replace) a user.
    pub fn upsert_user(&self, user: &User) -> Result<()> {
        self.write(|w| w.upsert_user(user))
    }

    /// Assign a worker to a grid (or change the assignment's end date).
    pub fn set_assignment(&self, assignment: &Assignment) -> Result<()> {
        self.write(|w| w.set_assignment(assignment))
    }

    pub fn user(&self, id: &str) -> Result<User> {
        self.read_sql(|sql| load_user(sql, id))?
            .ok_or_else(|| CoreError::not_found("user", id))
    }

    /// The actor the rules see for this user now.
    pub fn actor(&self, user_id: &str) -> Result<Actor> {
        let now = self.now();
        self.read_sql(|sql| actor(sql, user_id, now))
    }
}
