//! Households, places and members: storage, the grid's household list, the
//! household screen with masked personal numbers, and recorded reveals.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tracing::info;

use super::users::actor;
use super::{new_id, regions::region_path, Store, Writer};
use crate::clock::{from_ms, to_ms};
use crate::db::{Param, Row, Sql};
use crate::error::{CoreError, Result};
use crate::household::{tags_from_text, tags_to_text, Household, Member, PlaceKind, Tag};
use crate::limits::{check_count, check_text, counts, text, TextKind};
use crate::outbox::Operation;
use crate::pii::{self, PiiField};
use crate::user::Actor;
use crate::visit::{DueState, VisitPolicy};

/// Filter for the household list.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HouseholdFilter {
    /// Matches name, address or code (substring), or a tag's label.
    pub query: Option<String>,
    pub tag: Option<Tag>,
    pub kind: Option<PlaceKind>,
    pub due_only: bool,
}

/// One line of the household list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseholdRow {
    pub code: String,
    pub grid_code: String,
    pub kind: PlaceKind,
    pub name: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub tags: Vec<Tag>,
    pub last_visit_at: Option<DateTime<Utc>>,
    pub due: DueState,
    pub open_cases: u32,
}

/// A page of the household list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseholdPage {
    pub total: u32,
    pub offset: u32,
    pub rows: Vec<HouseholdRow>,
}

/// A member as shown: personal numbers masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MemberView {
    pub id: String,
    pub name: String,
    pub relation: String,
    pub phone_masked: Option<String>,
    pub id_number_masked: Option<String>,
    /// Revealing a number needs the server (this device holds it masked):
    /// the screen says so and needs a connection.
    pub reveal_online: bool,
}

/// The household screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HouseholdDetail {
    pub household: HouseholdRow,
    pub members: Vec<MemberView>,
    /// Most recent first.
    pub recent_visits: Vec<VisitRef>,
}

/// A visit as listed on the household screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VisitRef {
    pub visit_id: String,
    pub at: DateTime<Utc>,
    pub worker_name: String,
}

/// One recorded reveal of personal data.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevealRecord {
    pub user_id: String,
    pub field: String,
    pub at: DateTime<Utc>,
    pub reason: String,
}

pub(crate) fn visit_policy<'a>(sql: impl Into<Sql<'a>>) -> Result<VisitPolicy> {
    let text: Option<String> = sql.into().query_row(
        "SELECT value FROM meta WHERE key = 'visit_policy'",
        &[],
        |r| r.get(0),
    )?;
    match text {
        Some(t) => super::from_json("meta.visit_policy", &t),
        None => Ok(VisitPolicy::default()),
    }
}

pub(crate) const OPEN_STATES_SQL: &str = "('reported','filed','dispatched','in_progress')";

impl Writer<'_> {
    pub(crate) fn upsert_household(&mut self, h: &Household) -> Result<()> {
        validate_household(h)?;
        let exists: Option<i64> =
            self.sql()
                .query_row("SELECT 1 FROM grid WHERE code = ?1", &[&h.grid_code], |r| {
                    r.get(0)
                })?;
        if exists.is_none() {
            return Err(CoreError::invalid(
                "grid_code",
                format!("网格{}不存在 / no grid {}", h.grid_code, h.grid_code),
            ));
        }
        let policy = visit_policy(self.sql())?;
        let days = policy.interval_days(h.kind, &h.tags);
        let last: Option<i64> = self
            .sql()
            .query_row(
                "SELECT last_visit_at FROM household WHERE code = ?1",
                &[&h.code],
                |r| r.get::<Option<i64>>(0),
            )?
            .flatten();
        let due = last.map_or(0, |l| l + i64::from(days) * 86_400_000);
        self.sql().execute("INSERT INTO household (code, grid_code, kind, name, address, lat, lon, tags, updated_at,
                                    last_visit_at, interval_days, due_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
             ON CONFLICT(code) DO UPDATE SET grid_code = excluded.grid_code, kind = excluded.kind,
               name = excluded.name, address = excluded.address, lat = excluded.lat, lon = excluded.lon,
               tags = excluded.tags, updated_at = excluded.updated_at,
               interval_days = excluded.interval_days, due_at = excluded.due_at, hlc = ''",
            &[
                &h.code,
                &h.grid_code,
                &h.kind.as_str(),
                &h.name,
                &h.address,
                &h.lat,
                &h.lon,
                &tags_to_text(&h.tags),
                &to_ms(self.now),
                &last,
                &days,
                &due,
            ],
        )?;
        self.emit(&Operation::HouseholdUpserted {
            household: h.clone(),
        })
    }

    pub(crate) fn upsert_member(&mut self, m: &Member) -> Result<()> {
        check_text("id", &m.id, text::CODE, TextKind::Line)?;
        check_text(
            "household_code",
            &m.household_code,
            text::CODE,
            TextKind::Line,
        )?;
        check_text("name", &m.name, text::NAME, TextKind::Line)?;
        check_text("relation", &m.relation, text::RELATION, TextKind::Line)?;
        if m.name.trim().is_empty() {
            return Err(CoreError::invalid("name", "姓名不能为空 / name is empty"));
        }
        if m.pii_masked {
            // Masked numbers are a copy of what the server holds; they are
            // kept as text on a device and never replace whole numbers.
            for (field, v) in [("phone", &m.phone), ("id_number", &m.id_number)] {
                if let Some(v) = v {
                    check_text(field, v, text::CODE, TextKind::Line)?;
                }
            }
        } else {
            if let Some(p) = &m.phone {
                pii::validate_phone(p)?;
            }
            if let Some(id) = &m.id_number {
                pii::validate_id_number(id)?;
            }
        }
        let exists: Option<i64> = self.sql().query_row(
            "SELECT 1 FROM household WHERE code = ?1",
            &[&m.household_code],
            |r| r.get(0),
        )?;
        if exists.is_none() {
            return Err(CoreError::invalid(
                "household_code",
                format!(
                    "户{}不存在 / no household {}",
                    m.household_code, m.household_code
                ),
            ));
        }
        if m.pii_masked && self.role == super::StoreRole::Server {
            let changed = self.sql().execute(
                "UPDATE member SET household_code = ?2, name = ?3, relation = ?4, updated_at = ?5, hlc = ''
                 WHERE id = ?1",
                &[&m.id, &m.household_code, &m.name, &m.relation, &to_ms(self.now)],
            )?;
            if changed == 0 {
                return Err(CoreError::invalid(
                    "phone",
                    "新登记的成员须填写完整号码 / a new member needs whole numbers, not masked ones",
                ));
            }
        } else {
            self.sql().execute("INSERT INTO member (id, household_code, name, relation, phone, id_number, updated_at, pii_masked)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(id) DO UPDATE SET household_code = excluded.household_code, name = excluded.name,
               relation = excluded.relation, phone = excluded.phone, id_number = excluded.id_number,
               updated_at = excluded.updated_at, hlc = '', pii_masked = excluded.pii_masked",
                &[&m.id, &m.household_code, &m.name, &m.relation, &m.phone, &m.id_number, &to_ms(self.now), &m.pii_masked],
            )?;
        }
        self.emit(&Operation::MemberUpserted { member: m.clone() })
    }
}

impl Writer<'_> {
    pub(crate) fn set_visit_policy(&mut self, policy: &VisitPolicy) -> Result<()> {
        self.forget_cached();
        self.sql().execute(
            "INSERT INTO meta (key, value) VALUES ('visit_policy', ?1)
             ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            &[&serde_json::to_string(policy)?],
        )?;
        let rows: Vec<(String, String, String, Option<i64>)> = self.sql().query_map(
            "SELECT code, kind, tags, last_visit_at FROM household",
            &[],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )?;
        for (code, kind, tags, last) in rows {
            let kind = PlaceKind::parse(&kind).unwrap_or(PlaceKind::Other);
            let days = policy.interval_days(kind, &tags_from_text(&tags));
            let due = last.map_or(0, |l| l + i64::from(days) * 86_400_000);
            self.sql().execute(
                "UPDATE household SET interval_days = ?2, due_at = ?3 WHERE code = ?1",
                &[&code, &days, &due],
            )?;
        }
        self.emit(&Operation::VisitPolicySet {
            policy: policy.clone(),
        })
    }
}

pub(crate) fn validate_household(h: &Household) -> Result<()> {
    check_text("code", &h.code, text::CODE, TextKind::Line)?;
    check_text("grid_code", &h.grid_code, text::CODE, TextKind::Line)?;
    check_text("name", &h.name, text::NAME, TextKind::Line)?;
    check_text("address", &h.address, text::ADDRESS, TextKind::Line)?;
    check_count("tags", h.tags.len(), counts::TAGS)?;
    if h.code.trim().is_empty() {
        return Err(CoreError::invalid(
            "code",
            "户编码不能为空 / household code is empty",
        ));
    }
    if h.name.trim().is_empty() {
        return Err(CoreError::invalid("name", "名称不能为空 / name is empty"));
    }
    if !h.lat.is_finite() || !(-90.0..=90.0).contains(&h.lat) {
        return Err(CoreError::invalid(
            "lat",
            format!("纬度超出范围 / latitude {} out of range", h.lat),
        ));
    }
    if !h.lon.is_finite() || !(-180.0..=180.0).contains(&h.lon) {
        return Err(CoreError::invalid(
            "lon",
            format!("经度超出范围 / longitude {} out of range", h.lon),
        ));
    }
    Ok(())
}

pub(crate) const ROW_COLUMNS: &str = "h.code, h.grid_code, h.kind, h.name, h.address, h.lat, h.lon, h.tags, h.last_visit_at, h.due_at,
    (SELECT COUNT(*) FROM case_file c WHERE c.household_code = h.code AND c.state IN ('reported','filed','dispatched','in_progress'))";

pub(crate) fn row_from_sql(r: &Row<'_>, now: DateTime<Utc>) -> Result<HouseholdRow> {
    let kind: String = r.get(2)?;
    let last: Option<i64> = r.get(8)?;
    let due_at: i64 = r.get(9)?;
    Ok(HouseholdRow {
        code: r.get(0)?,
        grid_code: r.get(1)?,
        kind: PlaceKind::parse(&kind).unwrap_or(PlaceKind::Other),
        name: r.get(3)?,
        address: r.get(4)?,
        lat: r.get(5)?,
        lon: r.get(6)?,
        tags: tags_from_text(&r.get::<String>(7)?),
        last_visit_at: last.map(from_ms),
        due: DueState::at(last.map(|_| from_ms(due_at)), now),
        open_cases: r.get(10)?,
    })
}

pub(crate) fn load_household<'a>(sql: impl Into<Sql<'a>>, code: &str) -> Result<Option<Household>> {
    sql.into().query_row(
        "SELECT code, grid_code, kind, name, address, lat, lon, tags FROM household WHERE code = ?1",
        &[&code],
        |r| {
            let kind: String = r.get(2)?;
            Ok(Household {
                code: r.get(0)?,
                grid_code: r.get(1)?,
                kind: PlaceKind::parse(&kind).unwrap_or(PlaceKind::Other),
                name: r.get(3)?,
                address: r.get(4)?,
                lat: r.get(5)?,
                lon: r.get(6)?,
                tags: tags_from_text(&r.get::<String>(7)?),
            })
        },
    )
}

pub(crate) fn load_member<'a>(sql: impl Into<Sql<'a>>, id: &str) -> Result<Option<Member>> {
    sql.into().query_row(
        "SELECT id, household_code, name, relation, phone, id_number, pii_masked FROM member WHERE id = ?1",
        &[&id],
        |r| {
            Ok(Member {
                id: r.get(0)?,
                household_code: r.get(1)?,
                name: r.get(2)?,
                relation: r.get(3)?,
                phone: r.get(4)?,
                id_number: r.get(5)?,
                pii_masked: r.get(6)?,
            })
        },
    )
}

/// Refuse (as not found, so nothing leaks) a grid outside the actor's reach.
pub(crate) fn require_grid_reach<'a>(
    sql: impl Into<Sql<'a>>,
    actor: &Actor,
    grid_code: &str,
) -> Result<()> {
    let path = region_path(sql, grid_code)?;
    if actor.reaches(&path) {
        Ok(())
    } else {
        Err(CoreError::not_found("grid", grid_code))
    }
}

impl Store {
    /// Store (insert or replace) a household or place.
    pub fn upsert_household(&self, h: &Household) -> Result<()> {
        self.write(|w| w.upsert_household(h))
    }

    /// Store (insert or replace) a household member.
    pub fn upsert_member(&self, m: &Member) -> Result<()> {
        self.write(|w| w.upsert_member(m))
    }

    /// Change how often places should be visited; every due time is
    /// recomputed in the same transaction.
    pub fn set_visit_policy(&self, policy: &VisitPolicy) -> Result<()> {
        policy.validate()?;
        self.write(|w| w.set_visit_policy(policy))
    }

    /// One page of a grid's households, due ones first.
    pub fn households(
        &self,
        user_id: &str,
        grid_code: &str,
        filter: &HouseholdFilter,
        offset: u32,
        limit: u32,
    ) -> Result<HouseholdPage> {
        let now = self.now();
        self.read_sql(|c| {
            let a = actor(c, user_id, now)?;
            require_grid_reach(c, &a, grid_code)?;
            household_page(c, grid_code, filter, offset, limit, now)
        })
    }

    /// The household screen. Personal numbers are masked.
    pub fn household_detail(&self, user_id: &str, code: &str) -> Result<HouseholdDetail> {
        let now = self.now();
        self.read_sql(|c| {
            let a = actor(c, user_id, now)?;
            let h = load_household(c, code)?.ok_or_else(|| CoreError::not_found("household", code))?;
            require_grid_reach(c, &a, &h.grid_code).map_err(|_| CoreError::not_found("household", code))?;
            let row = c
                .query_row(
                    &format!("SELECT {ROW_COLUMNS} FROM household h WHERE h.code = ?1"),
                    &[&code],
                    |r| row_from_sql(r, now),
                )?
                .ok_or_else(|| CoreError::not_found("household", code))?;
            let members = c.query_map(
                "SELECT id, name, relation, phone, id_number, pii_masked FROM member WHERE household_code = ?1 ORDER BY id",
                &[&code],
                |r| {
                    Ok(MemberView {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        relation: r.get(2)?,
                        phone_masked: r.get::<Option<String>>(3)?.map(|p| pii::mask_phone(&p)),
                        id_number_masked: r.get::<Option<String>>(4)?.map(|p| pii::mask_id_number(&p)),
                        reveal_online: r.get(5)?,
                    })
                },
            )?;
            let recent_visits = c.query_map(
                "SELECT v.id, v.at, COALESCE(u.name, v.worker_id) FROM visit v
                 LEFT JOIN app_user u ON u.id = v.worker_id
                 WHERE v.household_code = ?1 ORDER BY v.at DESC LIMIT 10",
                &[&code],
                |r| {
                    Ok(VisitRef {
                        visit_id: r.get(0)?,
                        at: from_ms(r.get::<i64>(1)?),
                        worker_name: r.get(2)?,
                    })
                },
            )?;
            Ok(HouseholdDetail {
                household: row,
                members,
                recent_visits,
            })
        })
    }

    /// Show one personal number whole, for a stated reason. The reveal is
    /// recorded (who, what, when, why) and synced for audit.
    pub fn reveal_member_field(
        &self,
        user_id: &str,
        member_id: &str,
        field: PiiField,
        reason: &str,
    ) -> Result<String> {
        let reason = pii::reveal_reason(reason)?;
        self.write(|w| {
            let a = actor(w.sql(), user_id, w.now)?;
            let row: Option<(String, Option<String>, Option<String>, bool)> = w.sql().query_row(
                "SELECT household_code, phone, id_number, pii_masked FROM member WHERE id = ?1",
                &[&member_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )?;
            let Some((household_code, phone, id_number, masked)) = row else {
                return Err(CoreError::not_found("member", member_id));
            };
            if masked {
                return Err(CoreError::NotPermitted {
                    reason: "此号码由服务器审核后查看，请联网 / this number is revealed by the server: connect and ask it".into(),
                });
            }
            let grid: String = w
                .sql()
                .query_row("SELECT grid_code FROM household WHERE code = ?1", &[&household_code], |r| r.get(0))?
                .ok_or_else(|| CoreError::not_found("household", &household_code))?;
            require_grid_reach(w.sql(), &a, &grid).map_err(|_| CoreError::not_found("member", member_id))?;
            let value = match field {
                PiiField::IdNumber => id_number,
                PiiField::Phone => phone,
            }
            .ok_or_else(|| CoreError::not_found("member field", field.as_str()))?;
            w.sql().execute(
                "INSERT INTO pii_reveal (id, user_id, member_id, field, reason, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                &[&new_id(), &user_id, &member_id, &field.as_str(), &reason, &to_ms(w.now)],
            )?;
            w.emit(&Operation::PiiRevealed {
                member_id: member_id.to_string(),
                field,
                reason: reason.to_string(),
                user_id: user_id.to_string(),
                at: w.now,
            })?;
            info!(user = user_id, member = member_id, field = field.as_str(), "personal data revealed");
            Ok(value)
        })
    }

    /// The reveal log for a member (who looked, when, why).
    pub fn reveal_log(&self, member_id: &str) -> Result<Vec<RevealRecord>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT user_id, field, at, reason FROM pii_reveal WHERE member_id = ?1 ORDER BY at",
            )?;
            let rows = stmt
                .query_map([member_id], |r| {
                    Ok(RevealRecord {
                        user_id: r.get(0)?,
                        field: r.get(1)?,
                        at: from_ms(r.get(2)?),
                        reason: r.get(3)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }
}

pub(crate) fn household_page(
    c: Sql<'_>,
    grid_code: &str,
    filter: &HouseholdFilter,
    offset: u32,
    limit: u32,
    now: DateTime<Utc>,
) -> Result<HouseholdPage> {
    let limit = limit.clamp(1, 500);
    let query = filter
        .query
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty());
    let tag = filter.tag.or_else(|| query.and_then(Tag::parse));
    // A query that names a tag filters by the tag rather than by text.
    let text = if query.and_then(Tag::parse).is_some() {
        None
    } else {
        query
    };
    // Only the filters in use go into the SQL, so the planner walks the
    // (grid_code, due_at, code) index in order for the common case.
    let mut where_sql = String::from("h.grid_code = ?1");
    let mut params: Vec<Box<dyn Param>> = vec![Box::new(grid_code.to_string())];
    let mut push = |clause: &str, value: Box<dyn Param>| {
        params.push(value);
        where_sql.push_str(&clause.replace('?', &format!("?{}", params.len())));
    };
    if let Some(q) = text {
        let like = format!(
            "%{}%",
            q.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        push(" AND (h.name LIKE ? ESCAPE '\\' OR h.address LIKE ? ESCAPE '\\' OR h.code LIKE ? ESCAPE '\\')", Box::new(like));
    }
    if let Some(t) = tag {
        push(
            " AND (',' || h.tags || ',') LIKE ?",
            Box::new(format!("%,{},%", t.as_str())),
        );
    }
    if let Some(k) = filter.kind {
        push(" AND h.kind = ?", Box::new(k.as_str().to_string()));
    }
    if filter.due_only {
        push(" AND h.due_at <= ?", Box::new(to_ms(now)));
    }
    let refs: Vec<&dyn Param> = params.iter().map(|b| b.as_ref()).collect();
    let total: u32 = c
        .query_row(
            &format!("SELECT COUNT(*) FROM household h WHERE {where_sql}"),
            &refs,
            |r| r.get(0),
        )?
        .unwrap_or_default();
    let n = refs.len();
    let mut all = refs.clone();
    all.push(&limit);
    all.push(&offset);
    let rows = c.query_map(
        &format!(
            "SELECT {ROW_COLUMNS} FROM household h WHERE {where_sql} ORDER BY h.due_at, h.code LIMIT ?{} OFFSET ?{}",
            n + 1,
            n + 2
        ),
        &all,
        |r| row_from_sql(r, now),
    )?;
    Ok(HouseholdPage {
        total,
        offset,
        rows,
    })
}
