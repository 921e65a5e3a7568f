//! The server's change log and pull: every change is logged with the region
//! codes it belongs to; a device pulls the current state of what changed in
//! its reach since its cursor. The cursor also records the reach it was
//! computed for, so a reach that grew is backfilled and a reach that shrank
//! is evicted — robustly, even when a response is lost and retried.

use std::collections::{BTreeSet, HashSet};

use base64::Engine as _;

use crate::db::{Dialect, Sql};
use serde::{Deserialize, Serialize};

use super::households::load_household;
use super::regions::{load_grid, load_region, region_path};
use super::{from_json, Store, Writer};
use crate::clock::{from_ms, to_ms};
use crate::error::{CoreError, Result};
use crate::grid::boundary_to_geojson;
use crate::outbox::{GridRecord, Operation, RegionRecord};
use crate::region::{RegionLevel, RegionPath};
use crate::sync::protocol::{Change, Entity, PullResponse};
use crate::user::{Actor, Role};

/// Which region codes a logged change belongs to. A region's own row has
/// the codes of itself and its ancestors and none below (so it is sent to
/// every device whose reach is at or under it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Scope {
    pub grid: Option<String>,
    pub village: Option<String>,
    pub township: Option<String>,
    pub city: Option<String>,
    pub global: bool,
}

/// A change waiting to be written to the log when its transaction ends
/// ([`Writer::flush_changes`]).
#[derive(Debug)]
pub(crate) struct LoggedChange {
    kind: String,
    id: String,
    remove: bool,
    scope: Scope,
    /// Pulled only by this person's devices.
    user_id: Option<String>,
    /// The device whose push caused it, as it was when logged.
    origin: Option<String>,
}

/// Change-log rows written by one statement at most.
const CHANGE_CHUNK: usize = 32;

/// The lock that orders change-log writers on PostgreSQL ("changes" on a
/// phone keypad).
const CHANGE_LOG_LOCK: i64 = 2_426_437;

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

impl Scope {
    pub fn of_path(p: &RegionPath) -> Scope {
        Scope {
            grid: non_empty(&p.grid),
            village: non_empty(&p.village),
            township: non_empty(&p.township),
            city: non_empty(&p.city),
            global: false,
        }
    }

    pub fn global() -> Scope {
        Scope {
            global: true,
            ..Scope::default()
        }
    }
}

fn region_scope(conn: Sql<'_>, code: &str) -> Result<Scope> {
    let Some(r) = load_region(conn, code)? else {
        return Ok(Scope::global());
    };
    let parent = |c: &Option<String>| -> Result<Option<String>> {
        Ok(match c {
            Some(c) => load_region(conn, c)?.and_then(|r| r.parent_code),
            None => None,
        })
    };
    Ok(match r.level {
        RegionLevel::City => Scope {
            city: Some(r.code),
            ..Scope::default()
        },
        RegionLevel::Township => Scope {
            township: Some(r.code),
            city: r.parent_code,
            ..Scope::default()
        },
        RegionLevel::Village | RegionLevel::Grid => {
            let city = parent(&r.parent_code)?;
            Scope {
                village: Some(r.code),
                township: r.parent_code,
                city,
                ..Scope::default()
            }
        }
    })
}

fn grid_scope(conn: Sql<'_>, grid: &str) -> Result<Scope> {
    Ok(Scope::of_path(&region_path(conn, grid)?))
}

impl Writer<'_> {
    /// Log a change (server role only).
    pub(crate) fn record_change(
        &mut self,
        kind: &str,
        id: &str,
        remove: bool,
        scope: Scope,
    ) -> Result<()> {
        if self.role != super::StoreRole::Server {
            return Ok(());
        }
        self.changes.push(LoggedChange {
            kind: kind.to_string(),
            id: id.to_string(),
            remove,
            scope,
            user_id: None,
            origin: self.origin.clone(),
        });
        Ok(())
    }

    /// Log a change that only one person's devices pull (their inbox items
    /// and settings), whatever their reach (server role only).
    pub(crate) fn record_user_change(&mut self, kind: &str, id: &str, user_id: &str) -> Result<()> {
        if self.role != super::StoreRole::Server {
            return Ok(());
        }
        self.changes.push(LoggedChange {
            kind: kind.to_string(),
            id: id.to_string(),
            remove: false,
            scope: Scope::default(),
            user_id: Some(user_id.to_string()),
            origin: self.origin.clone(),
        });
        Ok(())
    }

    /// Write the changes this transaction logged, last thing before it
    /// commits. On PostgreSQL writers run side by side and take their
    /// `rev` from a sequence, which is not transactional: a writer that
    /// took rev 10 could commit after one that took rev 11, and a device
    /// pulling in between would move its cursor past 10 for good. So the
    /// rows are written under a lock held until commit: revs are handed
    /// out in commit order. Only this short tail of each write is
    /// serialised. (SQLite has one writer anyway.)
    pub(crate) fn flush_changes(&mut self) -> Result<()> {
        if self.changes.is_empty() {
            return Ok(());
        }
        let sql = self.sql();
        if sql.dialect() == Dialect::Postgres {
            sql.execute_batch(&format!("SELECT pg_advisory_xact_lock({CHANGE_LOG_LOCK})"))?;
        }
        let at = to_ms(self.now);
        // Rows go in several to a statement (a push of 50 visits logs 100
        // changes): one round trip to PostgreSQL per chunk instead of per
        // row. Revs follow the order of the rows. The chunk is fixed so
        // each session prepares at most CHANGE_CHUNK statement shapes.
        let ops: Vec<&str> = self
            .changes
            .iter()
            .map(|c| if c.remove { "remove" } else { "upsert" })
            .collect();
        for (chunk, ops) in self
            .changes
            .chunks(CHANGE_CHUNK)
            .zip(ops.chunks(CHANGE_CHUNK))
        {
            let rows: Vec<String> = (0..chunk.len())
                .map(|i| {
                    let p = |k: usize| format!("?{}", i * 10 + k + 1);
                    format!(
                        "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, ?{at_param})",
                        p(0),
                        p(1),
                        p(2),
                        p(3),
                        p(4),
                        p(5),
                        p(6),
                        p(7),
                        p(8),
                        p(9),
                        at_param = chunk.len() * 10 + 1
                    )
                })
                .collect();
            let mut params: Vec<&dyn crate::db::Param> = Vec::with_capacity(chunk.len() * 10 + 1);
            for (c, op) in chunk.iter().zip(ops) {
                params.extend([
                    &c.kind as &dyn crate::db::Param,
                    &c.id,
                    op,
                    &c.scope.grid,
                    &c.scope.village,
                    &c.scope.township,
                    &c.scope.city,
                    &c.scope.global,
                    &c.origin,
                    &c.user_id,
                ]);
            }
            params.push(&at);
            sql.execute(
                &format!(
                    "INSERT INTO change_log (kind, entity_id, op, grid, village, township, city, global, origin, user_id, at)
                     VALUES {}",
                    rows.join(", ")
                ),
                &params,
            )?;
        }
        self.changes.clear();
        Ok(())
    }

    /// The change an operation makes, as devices will pull it.
    pub(crate) fn record_change_for(&mut self, op: &Operation) -> Result<()> {
        let (kind, id, scope) = match op {
            Operation::RegionUpserted { region } => (
                "region",
                region.code.clone(),
                region_scope(self.sql(), &region.code)?,
            ),
            Operation::GridUpserted { grid } => (
                "grid",
                grid.code.clone(),
                grid_scope(self.sql(), &grid.code)?,
            ),
            Operation::HouseholdUpserted { household } => {
                let path = self.path(&household.grid_code)?;
                ("household", household.code.clone(), Scope::of_path(&path))
            }
            Operation::MemberUpserted { member } => {
                let Some(h) = load_household(self.sql(), &member.household_code)? else {
                    return Ok(());
                };
                (
                    "member",
                    member.id.clone(),
                    Scope::of_path(&self.path(&h.grid_code)?),
                )
            }
            Operation::UserUpserted { user } => return self.record_user_row(user),
            Operation::AssignmentSet { assignment } => {
                let scope = Scope::of_path(&self.path(&assignment.grid_code)?);
                // The worker's own row follows the assignment into the grid's
                // scope (a worker's user row has no other region).
                self.record_change("user", &assignment.user_id, false, scope.clone())?;
                (
                    "assignment",
                    assignment_key(
                        &assignment.user_id,
                        &assignment.grid_code,
                        &assignment.from.to_string(),
                    ),
                    scope,
                )
            }
            Operation::TemplateStored { template_json } => {
                let t: crate::checklist::ChecklistTemplate = from_json("template", template_json)?;
                (
                    "template",
                    format!("{}@{}", t.id, t.version),
                    Scope::global(),
                )
            }
            Operation::VisitRecorded { visit } => (
                "visit",
                visit.id.clone(),
                Scope::of_path(&self.path(&visit.grid_code)?),
            ),
            Operation::EvidenceRecorded { evidence } => {
                let scope = match &evidence.owner {
                    crate::evidence::EvidenceOwner::Visit { visit_id } => {
                        let grid: Option<String> = self.sql().query_row(
                            "SELECT grid_code FROM visit WHERE id = ?1",
                            &[visit_id],
                            |r| r.get(0),
                        )?;
                        match grid {
                            Some(g) => Scope::of_path(&self.path(&g)?),
                            None => return Ok(()),
                        }
                    }
                    crate::evidence::EvidenceOwner::Case { case_id, .. } => {
                        match super::cases::load_case(self.sql(), case_id)? {
                            Some(c) => Scope::of_path(&c.path),
                            None => return Ok(()),
                        }
                    }
                };
                ("evidence", evidence.id.clone(), scope)
            }
            Operation::CaseReported { case_id, .. } | Operation::CaseActed { case_id, .. } => {
                let Some(c) = super::cases::load_case(self.sql(), case_id)? else {
                    return Ok(());
                };
                ("case", case_id.clone(), Scope::of_path(&c.path))
            }
            Operation::DeadlinePolicySet { .. } => (
                "deadline_policy",
                "deadline_policy".to_string(),
                Scope::global(),
            ),
            Operation::VisitPolicySet { .. } => {
                ("visit_policy", "visit_policy".to_string(), Scope::global())
            }
            // Logged by what applies them, for the one person they belong
            // to; endpoints never leave the server.
            Operation::InboxRead { .. }
            | Operation::QuietHoursSet { .. }
            | Operation::PushEndpointRegistered { .. }
            | Operation::PushEndpointRemoved { .. } => return Ok(()),
            // Tracks are the worker's own evidence; reveals are audit only.
            Operation::PatrolStarted { .. }
            | Operation::TrackRecorded { .. }
            | Operation::PatrolEnded { .. }
            | Operation::TrackDiscarded { .. }
            | Operation::PiiRevealed { .. } => return Ok(()),
        };
        self.record_change(kind, &id, false, scope)
    }
}

impl Writer<'_> {
    /// A person's row goes where they work, not to every device: each
    /// jurisdiction's region scope (sent to devices at, under and above
    /// it) and each grid they are assigned to. A city of 2,000 people sent
    /// everyone to every phone (a first pull of thousands of user rows per
    /// device); now a worker gets the grid's workers and the people above.
    /// Someone with neither (an administrator, a worker before assignment)
    /// gets an unscoped row that only administrators' devices pull.
    fn record_user_row(&mut self, user: &crate::user::User) -> Result<()> {
        let mut scopes: Vec<Scope> = Vec::new();
        for code in &user.jurisdiction {
            scopes.push(region_scope(self.sql(), code)?);
        }
        let grids: Vec<String> = self.sql().query_map(
            "SELECT DISTINCT grid_code FROM assignment WHERE user_id = ?1",
            &[&user.id],
            |r| r.get(0),
        )?;
        for g in grids {
            scopes.push(Scope::of_path(&self.path(&g)?));
        }
        if scopes.is_empty() {
            scopes.push(Scope::default());
        }
        scopes.dedup();
        for scope in scopes {
            self.record_change("user", &user.id, false, scope)?;
        }
        Ok(())
    }
}

pub(crate) fn assignment_key(user: &str, grid: &str, from: &str) -> String {
    format!("{user}|{grid}|{from}")
}

/// What a device may see, by level, with the ancestors of its reach.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reach {
    /// Everything (administrators).
    pub all: bool,
    pub grids: Vec<String>,
    pub villages: Vec<String>,
    pub townships: Vec<String>,
    pub cities: Vec<String>,
}

impl Reach {
    /// Every code, sorted (what the cursor remembers).
    fn codes(&self) -> BTreeSet<String> {
        let mut all: BTreeSet<String> = BTreeSet::new();
        if self.all {
            all.insert("*".into());
        }
        for c in self
            .grids
            .iter()
            .chain(&self.villages)
            .chain(&self.townships)
            .chain(&self.cities)
        {
            all.insert(c.clone());
        }
        all
    }

    fn contains_path(&self, p: &RegionPath) -> bool {
        self.all
            || self.grids.contains(&p.grid)
            || self.villages.contains(&p.village)
            || self.townships.contains(&p.township)
            || self.cities.contains(&p.city)
    }
}

/// The reach of an actor: workers their grids, others their jurisdiction,
/// administrators everything.
pub(crate) fn reach_of(conn: Sql<'_>, a: &Actor) -> Result<Reach> {
    let mut r = Reach::default();
    match a.role {
        Role::Administrator => r.all = true,
        Role::GridWorker => r.grids = a.grids.clone(),
        _ => {
            for code in &a.jurisdiction {
                match load_region(conn, code)?.map(|x| x.level) {
                    Some(RegionLevel::City) => r.cities.push(code.clone()),
                    Some(RegionLevel::Township) => r.townships.push(code.clone()),
                    Some(RegionLevel::Village) => r.villages.push(code.clone()),
                    _ => {}
                }
            }
        }
    }
    Ok(r)
}

/// The ancestors of a reach (their region rows are sent too, for names).
fn ancestors(conn: Sql<'_>, r: &Reach) -> Result<(Vec<String>, Vec<String>, Vec<String>)> {
    let (mut v, mut t, mut c) = (BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for g in &r.grids {
        if let Ok(p) = region_path(conn, g) {
            v.insert(p.village);
            t.insert(p.township);
            c.insert(p.city);
        }
    }
    let up = |code: &str| -> Result<Option<String>> {
        Ok(load_region(conn, code)?.and_then(|x| x.parent_code))
    };
    for vc in r.villages.iter().cloned().chain(v.clone()) {
        if let Some(tc) = up(&vc)? {
            t.insert(tc);
        }
    }
    for tc in r.townships.iter().cloned().chain(t.clone()) {
        if let Some(cc) = up(&tc)? {
            c.insert(cc);
        }
    }
    Ok((
        v.into_iter().collect(),
        t.into_iter().collect(),
        c.into_iter().collect(),
    ))
}

/// What the device holds: the last change it has seen and the reach that
/// was true then. Opaque to the device (base64url JSON).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
struct Cursor {
    rev: i64,
    reach: Reach,
}

fn encode_cursor(c: &Cursor) -> Result<String> {
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(serde_json::to_vec(c)?))
}

fn decode_cursor(s: &str) -> Result<Cursor> {
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim())
        .map_err(|_| CoreError::invalid("cursor", "同步游标无效 / the sync cursor is not valid"))?;
    serde_json::from_slice(&bytes)
        .map_err(|_| CoreError::invalid("cursor", "同步游标无效 / the sync cursor is not valid"))
}

/// The arms of a UNION selecting the `rev` of every change row in a reach
/// (one-person rows excluded), with its JSON-array parameters starting at
/// `?{first}` (8 of them: grids, villages, townships, cities, the
/// ancestors' villages, townships and cities, and "all"). Each arm is one
/// indexed lookup: as one WHERE of ORs, SQLite scanned the whole log (the
/// "all" flag and the ancestors' "IS NULL" terms defeat its OR-by-index
/// plan). `since` bounds each arm by `rev > ?1`; `global` adds the global
/// rows (users of no region, templates, policies).
fn reach_arms(dialect: Dialect, first: usize, all: bool, since: bool, global: bool) -> Vec<String> {
    let p = |i: usize| format!("({})", dialect.json_strings(&format!("?{}", first + i)));
    // SQLite needs telling which index serves the ancestors' arms;
    // PostgreSQL's planner finds the partial indexes itself.
    let by = |index: &str| match dialect {
        Dialect::Sqlite => format!(" INDEXED BY {index}"),
        Dialect::Postgres => String::new(),
    };
    let bound = if since { " AND rev > ?1" } else { "" };
    if all {
        return vec![format!(
            "SELECT rev FROM change_log WHERE user_id IS NULL{bound}"
        )];
    }
    let mut arms = vec![
        format!("SELECT rev FROM change_log WHERE grid IN {}{bound} AND user_id IS NULL", p(0)),
        format!("SELECT rev FROM change_log WHERE village IN {}{bound} AND user_id IS NULL", p(1)),
        format!("SELECT rev FROM change_log WHERE township IN {}{bound} AND user_id IS NULL", p(2)),
        format!("SELECT rev FROM change_log WHERE city IN {}{bound} AND user_id IS NULL", p(3)),
        format!("SELECT rev FROM change_log{} WHERE grid IS NULL AND village IN {}{bound} AND user_id IS NULL", by("change_village_only"), p(4)),
        format!("SELECT rev FROM change_log{} WHERE village IS NULL AND township IN {}{bound} AND user_id IS NULL", by("change_township_only"), p(5)),
        format!("SELECT rev FROM change_log{} WHERE township IS NULL AND city IN {}{bound} AND user_id IS NULL", by("change_city_only"), p(6)),
    ];
    if global {
        arms.push(format!(
            "SELECT rev FROM change_log WHERE global = 1{bound} AND user_id IS NULL"
        ));
    }
    arms
}

fn reach_params(conn: Sql<'_>, r: &Reach) -> Result<Vec<String>> {
    let (av, at, ac) = ancestors(conn, r)?;
    let j = |v: &Vec<String>| serde_json::to_string(v).unwrap_or_else(|_| "[]".into());
    Ok(vec![
        j(&r.grids),
        j(&r.villages),
        j(&r.townships),
        j(&r.cities),
        j(&av),
        j(&at),
        j(&ac),
        if r.all { "1".into() } else { "0".into() },
    ])
}

/// Reach present now but not in `before` (to backfill from the start).
fn added(now: &Reach, before: &Reach) -> Reach {
    let diff =
        |a: &Vec<String>, b: &Vec<String>| a.iter().filter(|x| !b.contains(x)).cloned().collect();
    Reach {
        all: now.all && !before.all,
        grids: diff(&now.grids, &before.grids),
        villages: diff(&now.villages, &before.villages),
        townships: diff(&now.townships, &before.townships),
        cities: diff(&now.cities, &before.cities),
    }
}

impl Store {
    /// One page of what changed in this user's reach since `cursor`.
    /// Changes that `device_id`'s own pushes made to visits, photos and
    /// registers are not sent back to it (it has them); cases always are
    /// (the server's history is the one that counts).
    pub fn pull(
        &self,
        user_id: &str,
        device_id: Option<&str>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<PullResponse> {
        let now = self.now();
        let limit = limit.clamp(1, 5_000);
        self.read_sql(|c| {
            let a = super::users::actor(c, user_id, now)?;
            let reach = reach_of(c, &a)?;
            let before = match cursor {
                Some(s) => decode_cursor(s)?,
                None => Cursor::default(),
            };
            let evict: Vec<String> = before.reach.codes().difference(&reach.codes()).filter(|c| *c != "*").cloned().collect();
            let kept = Reach {
                all: reach.all && before.reach.all,
                grids: reach.grids.iter().filter(|g| before.reach.grids.contains(g)).cloned().collect(),
                villages: reach.villages.iter().filter(|g| before.reach.villages.contains(g)).cloned().collect(),
                townships: reach.townships.iter().filter(|g| before.reach.townships.contains(g)).cloned().collect(),
                cities: reach.cities.iter().filter(|g| before.reach.cities.contains(g)).cloned().collect(),
            };
            let new = if cursor.is_none() { reach.clone() } else { added(&reach, &before.reach) };
            // Global rows (templates, policies) follow the cursor only; a
            // first pull takes everything. Rows for one person (their inbox)
            // follow the cursor only, and reach nobody else whatever their
            // reach (administrators too).
            let mut arms = reach_arms(c.dialect(), 2, kept.all, true, true);
            if new != Reach::default() {
                arms.extend(reach_arms(c.dialect(), 10, new.all, false, false));
            }
            arms.push("SELECT rev FROM change_log WHERE user_id = ?20 AND rev > ?1".into());
            let not_own = "NOT (origin IS NOT NULL AND origin = ?19 AND kind IN ('visit', 'evidence', 'household', 'member', 'inbox_item', 'quiet_hours'))";
            let wanted = format!("rev IN ({}) AND {not_own}", arms.join(" UNION "));
            // The page's rows are the first ?18 of the union, so each arm
            // needs give no more than its own first ?18 (read in `rev`
            // order from its index): a supervisor's pull of a township or
            // a city then costs a page per page, not the whole rest of the
            // log per page. The filter goes inside each arm, so that no arm
            // stops short of rows the page would have taken.
            let limited: Vec<String> = arms
                .iter()
                .map(|a| format!("SELECT rev FROM ({a} AND {not_own} ORDER BY rev LIMIT ?18) AS arm"))
                .collect();
            let sql_rows = format!(
                "SELECT rev, kind, entity_id, op FROM change_log
                 WHERE rev IN ({})
                 ORDER BY rev LIMIT ?18",
                limited.join(" UNION ")
            );
            let kp = reach_params(c, &kept)?;
            let np = if new == Reach::default() {
                // No new reach: the second condition must match nothing.
                vec!["[]".to_string(); 7].into_iter().chain(["0".to_string()]).collect()
            } else {
                reach_params(c, &new)?
            };
            let page = i64::from(limit) + 1;
            let device = device_id.unwrap_or("");
            // ?1 the cursor, ?2–?9 and ?10–?17 the two reaches, ?18 the
            // page, ?19 the device, ?20 the person.
            let mut refs: Vec<&dyn crate::db::Param> = vec![&before.rev];
            refs.extend(kp.iter().map(|p| p as &dyn crate::db::Param));
            refs.extend(np.iter().map(|p| p as &dyn crate::db::Param));
            refs.push(&page);
            refs.push(&device);
            refs.push(&user_id);
            let mut rows = c.query_map(&sql_rows, &refs, |r| {
                Ok((r.get::<i64>(0)?, r.get::<String>(1)?, r.get::<String>(2)?, r.get::<String>(3)?))
            })?;
            let more = rows.len() > limit as usize;
            rows.truncate(limit as usize);
            let last_rev = rows.last().map_or(before.rev, |r| r.0);
            // Keep only each entity's latest change in the page.
            let mut seen: HashSet<(String, String)> = HashSet::new();
            let mut latest = Vec::new();
            for (_, kind, id, op) in rows.iter().rev() {
                if seen.insert((kind.clone(), id.clone())) {
                    latest.push((kind.clone(), id.clone(), op.clone()));
                }
            }
            latest.reverse();
            let mut changes = Vec::with_capacity(latest.len());
            for (kind, id, op) in latest {
                let snapshot = if op == "remove" { None } else { snapshot(c, &kind, &id, &reach, &a)? };
                changes.push(match snapshot {
                    Some(entity) => Change::Upsert { entity },
                    None => Change::Remove { kind, id },
                });
            }
            let head: i64 = c
                .query_row("SELECT CAST(COALESCE(MAX(rev), 0) AS BIGINT) FROM change_log", &[], |r| r.get(0))?
                .unwrap_or_default();
            let next = Cursor {
                rev: if more { last_rev } else { head.max(last_rev) },
                reach: reach.clone(),
            };
            let remaining = if more {
                let count_sql = format!(
                    "SELECT COUNT(*) FROM change_log WHERE rev > ?18 AND {wanted}"
                );
                let mut p2 = refs.clone();
                p2[17] = &last_rev;
                c.query_row(&count_sql, &p2, |r| r.get::<i64>(0))?.unwrap_or_default() as u64
            } else {
                0
            };
            Ok(PullResponse {
                changes,
                evict,
                cursor: encode_cursor(&next)?,
                more,
                remaining,
            })
        })
    }
}

/// The current state of an entity, if it still exists and is in reach.
fn snapshot(c: Sql<'_>, kind: &str, id: &str, reach: &Reach, a: &Actor) -> Result<Option<Entity>> {
    let user_id = a.user_id.as_str();
    let in_reach = |grid: &str| -> Result<bool> {
        Ok(region_path(c, grid).is_ok_and(|p| reach.contains_path(&p)))
    };
    Ok(match kind {
        "region" => load_region(c, id)?.map(|r| Entity::Region {
            region: RegionRecord {
                code: r.code,
                name: r.name,
                level: r.level,
                parent_code: r.parent_code,
                boundary_geojson: r.boundary.as_ref().map(boundary_to_geojson),
            },
        }),
        "grid" => match load_grid(c, id)? {
            Some(g) if in_reach(&g.code)? => Some(Entity::Grid {
                grid: GridRecord {
                    code: g.code,
                    name: g.name,
                    village_code: g.village_code,
                    boundary_geojson: boundary_to_geojson(&g.boundary),
                },
            }),
            _ => None,
        },
        "household" => match load_household(c, id)? {
            Some(h) if in_reach(&h.grid_code)? => {
                let last: Option<i64> = c
                    .query_row(
                        "SELECT last_visit_at FROM household WHERE code = ?1",
                        &[&id],
                        |r| r.get::<Option<i64>>(0),
                    )?
                    .flatten();
                Some(Entity::Household {
                    household: h,
                    last_visit_at: last.map(from_ms),
                })
            }
            _ => None,
        },
        "member" => match super::households::load_member(c, id)? {
            Some(member) => match load_household(c, &member.household_code)? {
                Some(h) if in_reach(&h.grid_code)? => {
                    // Whole numbers only for those whose work needs them.
                    let whole =
                        region_path(c, &h.grid_code).is_ok_and(|p| a.needs_whole_numbers(&p));
                    Some(Entity::Member {
                        member: if whole { member } else { member.masked() },
                    })
                }
                _ => None,
            },
            None => None,
        },
        "user" => super::users::load_user(c, id)?.map(|user| Entity::User { user }),
        "assignment" => {
            let mut parts = id.splitn(3, '|');
            let (Some(u), Some(g), Some(f)) = (parts.next(), parts.next(), parts.next()) else {
                return Ok(None);
            };
            let row = super::users::load_assignment(c, u, g, f)?;
            match row {
                Some(a) if in_reach(&a.grid_code)? => Some(Entity::Assignment { assignment: a }),
                _ => None,
            }
        }
        "template" => {
            let Some((tid, v)) = id.rsplit_once('@') else {
                return Ok(None);
            };
            let body: Option<String> = c.query_row(
                "SELECT body FROM checklist_template WHERE id = ?1 AND version = ?2",
                &[&tid, &v.parse::<u32>().unwrap_or(0)],
                |r| r.get(0),
            )?;
            body.map(|template_json| Entity::Template { template_json })
        }
        "visit" => match super::visits::load_visit(c, id)? {
            Some(v) if in_reach(&v.grid_code)? => Some(Entity::Visit { visit: v }),
            _ => None,
        },
        "case" => match super::cases::load_case(c, id)? {
            Some(case) if reach.contains_path(&case.path) => Some(Entity::Case {
                events: super::cases::load_events(c, id)?,
                case,
            }),
            _ => None,
        },
        "evidence" => match super::evidence::load_evidence(c, id)? {
            Some(mut e) => {
                let grid = match &e.owner {
                    crate::evidence::EvidenceOwner::Visit { visit_id } => {
                        super::visits::load_visit(c, visit_id)?.map(|v| v.grid_code)
                    }
                    crate::evidence::EvidenceOwner::Case { case_id, .. } => {
                        super::cases::load_case(c, case_id)?.map(|x| x.path.grid)
                    }
                };
                match grid {
                    Some(g) if in_reach(&g)? => {
                        // Where the server keeps the file is not the device's business.
                        e.local_path = None;
                        Some(Entity::Evidence { evidence: e })
                    }
                    _ => None,
                }
            }
            None => None,
        },
        "deadline_policy" => Some(Entity::DeadlinePolicy {
            policy: super::cases::deadline_policy(c)?,
        }),
        "visit_policy" => Some(Entity::VisitPolicy {
            policy: super::households::visit_policy(c)?,
        }),
        "inbox_item" => super::inbox::load_item(c, id)?
            .filter(|i| i.user_id == user_id)
            .map(|item| Entity::InboxItem { item }),
        "quiet_hours" if id == user_id => Some(Entity::QuietHours {
            user_id: id.to_string(),
            quiet: super::push_jobs::quiet_hours_of(c, id)?,
        }),
        _ => None,
    })
}
