//! The server applying a device's operations: each is checked again with
//! the same rules the device used (role × jurisdiction, case transitions on
//! the server's current state, last-writer-wins by HLC for register edits),
//! applied once, and answered — applied, duplicate (the first answer again),
//! or rejected with the reason and the server's current state. The answer
//! is stored in the same transaction as the change, so a crash between
//! applying and answering still answers a retry correctly.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

use super::cases::{load_case, load_events, visible_case};
use super::households::{load_household, load_member, require_grid_reach};
use super::users::actor;
use super::{from_json, Store, Writer};
use crate::clock::{to_ms, trunc_ms};
use crate::error::{CoreError, Result};
use crate::evidence::EvidenceOwner;
use crate::hlc::Hlc;
use crate::limits::clock::MAX_FUTURE_SKEW_MS;
use crate::limits::{check_count, check_text, counts, text, TextKind};
use crate::outbox::{Operation, OutboxEntry};
use crate::sync::protocol::{Entity, OpAnswer};
use crate::user::{Actor, Role};

/// How far a device clock correction may move a time (beyond this the
/// device's clock is not trusted at all and the server's time is used).
const MAX_CORRECTION_DAYS: i64 = 30;

/// Why an operation was refused: a stable code, words, and the entity as
/// the server has it.
struct Rejection {
    code: String,
    reason: String,
    current: Option<Entity>,
}

impl Rejection {
    fn new(code: &str, reason: impl Into<String>) -> Self {
        Rejection {
            code: code.into(),
            reason: reason.into(),
            current: None,
        }
    }

    fn with(mut self, current: Option<Entity>) -> Self {
        self.current = current;
        self
    }
}

impl From<CoreError> for Rejection {
    fn from(e: CoreError) -> Self {
        let code = match &e {
            CoreError::Invalid { .. } => "invalid",
            CoreError::NotPermitted { .. } => "not_permitted",
            CoreError::NotFound { .. } => "not_found",
            CoreError::Conflict { .. } => "conflict",
            CoreError::TooLarge { .. } => "too_large",
            _ => "error",
        };
        Rejection::new(code, e.to_string())
    }
}

type Applied = std::result::Result<(), Rejection>;

/// Storage failures abort the batch (the device retries); rule failures
/// reject the one operation.
fn split(e: CoreError) -> std::result::Result<Rejection, CoreError> {
    match e {
        CoreError::Storage(_)
        | CoreError::Database { .. }
        | CoreError::Migration(_)
        | CoreError::Io { .. }
        | CoreError::Corrupt { .. } => Err(e),
        other => Ok(other.into()),
    }
}

impl Store {
    /// Apply a batch pushed by `device_id` for `user_id`. `device_clock_ms`
    /// is the device's clock when it sent the batch: the difference to the
    /// server's clock corrects every time in the batch.
    pub fn apply_push(
        &self,
        user_id: &str,
        device_id: &str,
        device_clock_ms: Option<i64>,
        acked_through: i64,
        ops: &[OutboxEntry],
    ) -> Result<Vec<OpAnswer>> {
        self.write(|w| {
            let a = actor(w.sql(), user_id, w.now)?;
            let seq_key = format!("device_seq:{device_id}");
            let stored_last: Option<String> = w.sql().query_row(
                "SELECT value FROM meta WHERE key = ?1",
                &[&seq_key],
                |r| r.get(0),
            )?;
            let mut last = stored_last.and_then(|s| s.parse::<i64>().ok()).unwrap_or(i64::MIN).max(acked_through);
            let server_ms = to_ms(w.now);
            // Any i64 may arrive in the clock header: an offset that does not
            // even fit is as untrusted as one beyond the limit.
            let offset = device_clock_ms
                .and_then(|d| server_ms.checked_sub(d))
                .filter(|o| o.checked_abs().is_some_and(|o| o <= MAX_CORRECTION_DAYS * 86_400_000));
            w.origin = Some(device_id.to_string());
            // Answers given in this batch, so an id sent twice in one
            // batch is a duplicate the second time. (Fetching a whole
            // batch's stored answers in one statement, by a JSON list, was
            // measured slower on PostgreSQL than one indexed look-up each.)
            let mut given: HashMap<String, (String, String)> = HashMap::new();
            let mut logged: Vec<(String, String)> = Vec::new();
            let mut answers = Vec::with_capacity(ops.len());
            for entry in ops {
                let stored = match given.get(&entry.op_id) {
                    Some(answer) => Some(answer.clone()),
                    None => w.sql().query_row(
                        "SELECT answer, device_id FROM op_log WHERE op_id = ?1",
                        &[&entry.op_id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )?,
                };
                // A stored answer is this device's own: another device
                // naming the same id learns nothing and changes nothing.
                if let Some((_, by)) = stored.as_ref().filter(|(_, by)| by != device_id) {
                    tracing::warn!(device = device_id, first_device = %by, "operation id reused by another device");
                    answers.push(OpAnswer::Rejected {
                        op_id: entry.op_id.clone(),
                        code: "invalid".into(),
                        reason: "操作编号已被使用 / this operation id is already in use".into(),
                        current: None,
                    });
                    continue;
                }
                if let Some((first, _)) = stored {
                    let first: OpAnswer = from_json("op_log.answer", &first)?;
                    answers.push(match first {
                        OpAnswer::Applied { op_id } | OpAnswer::Duplicate { op_id } => OpAnswer::Duplicate { op_id },
                        rejected => rejected,
                    });
                    continue;
                }
                // `last` may be i64::MAX (a device may claim any acked_through).
                if entry.seq > last.saturating_add(1) {
                    answers.push(OpAnswer::Retry {
                        op_id: entry.op_id.clone(),
                        reason: format!(
                            "此前的操作尚未送达 / operations before #{} have not arrived yet",
                            entry.seq
                        ),
                    });
                    continue;
                }
                last = last.max(entry.seq);
                let at = corrected(entry, offset, w.now);
                let answer = match w.apply_op(&a, entry, at) {
                    Ok(Ok(())) => OpAnswer::Applied {
                        op_id: entry.op_id.clone(),
                    },
                    Ok(Err(r)) => OpAnswer::Rejected {
                        op_id: entry.op_id.clone(),
                        code: r.code,
                        reason: r.reason,
                        current: r.current,
                    },
                    Err(e) => return Err(e),
                };
                let text = serde_json::to_string(&answer)?;
                given.insert(entry.op_id.clone(), (text.clone(), device_id.to_string()));
                logged.push((entry.op_id.clone(), text));
                answers.push(answer);
            }
            log_answers(&w.sql(), device_id, server_ms, &logged)?;
            w.sql().execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                &[&seq_key, &last.to_string()],
            )?;
            // Escalations due right now (a critical case on report, a late
            // report nobody filed in time), once the whole batch is in: a
            // case resolved on the spot in the same batch is not escalated.
            let mut touched = std::mem::take(&mut w.touched_cases);
            touched.sort();
            touched.dedup();
            for id in touched {
                if let Some(case) = load_case(w.sql(), &id)? {
                    w.escalate_due(case)?;
                }
            }
            Ok(answers)
        })
    }

    /// Forget operation answers older than `keep` (the protocol promises at
    /// least 90 days).
    pub fn prune_op_log(&self, keep: Duration) -> Result<u64> {
        let keep = keep.max(Duration::days(90));
        self.write(|w| {
            let cutoff = to_ms(w.now - keep);
            Ok(w.sql()
                .execute("DELETE FROM op_log WHERE at < ?1", &[&cutoff])? as u64)
        })
    }
}

/// Answers stored at most by one statement.
const ANSWER_CHUNK: usize = 32;

/// Store the answers of a batch with the changes they made, several to a
/// statement (the same transaction: a crash loses both or neither).
fn log_answers(
    sql: &crate::db::Sql<'_>,
    device_id: &str,
    at: i64,
    logged: &[(String, String)],
) -> Result<()> {
    for chunk in logged.chunks(ANSWER_CHUNK) {
        let n = chunk.len() * 2;
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("(?{}, ?{}, ?{}, ?{})", 2 * i + 1, n + 1, 2 * i + 2, n + 2))
            .collect();
        let mut params: Vec<&dyn crate::db::Param> = Vec::with_capacity(n + 2);
        for (op_id, answer) in chunk {
            params.push(op_id);
            params.push(answer);
        }
        params.push(&device_id);
        params.push(&at);
        sql.execute(
            &format!(
                "INSERT INTO op_log (op_id, device_id, answer, at) VALUES {}",
                rows.join(", ")
            ),
            &params,
        )?;
    }
    Ok(())
}

/// The time an operation happened, in server time: the device's stamp
/// corrected by its clock offset, never in the server's future.
fn corrected(entry: &OutboxEntry, offset: Option<i64>, now: DateTime<Utc>) -> DateTime<Utc> {
    let device_at = match &entry.operation {
        Operation::CaseReported { at, .. } | Operation::CaseActed { at, .. } => *at,
        Operation::VisitRecorded { visit } => visit.at,
        _ => entry.created_at,
    };
    // A stamp near the ends of chrono's range may not survive the
    // correction: such a device time is not trusted.
    match offset.and_then(|o| device_at.checked_add_signed(Duration::milliseconds(o))) {
        Some(t) => trunc_ms(t.min(now)),
        None => now,
    }
}

fn not_permitted(reason: &str) -> Rejection {
    Rejection::new("not_permitted", reason)
}

/// One answer for a household that does not exist and one out of reach.
fn no_household() -> Rejection {
    Rejection::new(
        "not_found",
        "户不存在或不在您的辖区 / no such household in your jurisdiction",
    )
}

/// One answer for a member (or household) that does not exist and one out
/// of reach.
fn no_member() -> Rejection {
    Rejection::new(
        "not_found",
        "成员或户不存在或不在您的辖区 / no such member or household in your jurisdiction",
    )
}

/// An id already taken by someone else's record: refused without saying
/// whose or what it holds.
fn id_taken(what: &str) -> Rejection {
    Rejection::new(
        "invalid",
        format!("编号已被占用 / this {what} id is already in use"),
    )
}

impl Writer<'_> {
    /// Apply one operation. `Ok(Err(_))` is a rejection; `Err(_)` aborts.
    fn apply_op(&mut self, a: &Actor, entry: &OutboxEntry, at: DateTime<Utc>) -> Result<Applied> {
        let result = self.apply_op_inner(a, entry, at);
        match result {
            Ok(applied) => Ok(applied),
            Err(e) => split(e).map(Err),
        }
    }

    fn apply_op_inner(
        &mut self,
        a: &Actor,
        entry: &OutboxEntry,
        at: DateTime<Utc>,
    ) -> Result<Applied> {
        let admin = a.role == Role::Administrator;
        match &entry.operation {
            Operation::RegionUpserted { region } if admin => {
                let boundary = region
                    .boundary_geojson
                    .as_deref()
                    .map(crate::grid::boundary_from_geojson)
                    .transpose()
                    .map_err(|e| CoreError::invalid("boundary", e))?;
                self.upsert_region(&crate::region::Region {
                    code: region.code.clone(),
                    name: region.name.clone(),
                    level: region.level,
                    parent_code: region.parent_code.clone(),
                    boundary,
                })?;
            }
            Operation::GridUpserted { grid } if admin => {
                let boundary = crate::grid::boundary_from_geojson(&grid.boundary_geojson)
                    .map_err(|e| CoreError::invalid("boundary", e))?;
                self.upsert_grid(&crate::grid::Grid {
                    code: grid.code.clone(),
                    name: grid.name.clone(),
                    village_code: grid.village_code.clone(),
                    boundary,
                })?;
            }
            Operation::UserUpserted { user } if admin => self.upsert_user(user)?,
            Operation::AssignmentSet { assignment } if admin => self.set_assignment(assignment)?,
            Operation::TemplateStored { template_json } if admin => {
                let t = crate::checklist::ChecklistTemplate::from_json(template_json)?;
                self.store_template(&t)?;
            }
            Operation::DeadlinePolicySet { policy } if admin => {
                policy.validate()?;
                self.set_deadline_policy(policy)?;
            }
            Operation::VisitPolicySet { policy } if admin => {
                policy.validate()?;
                self.set_visit_policy(policy)?;
            }
            Operation::RegionUpserted { .. }
            | Operation::GridUpserted { .. }
            | Operation::UserUpserted { .. }
            | Operation::AssignmentSet { .. }
            | Operation::TemplateStored { .. }
            | Operation::DeadlinePolicySet { .. }
            | Operation::VisitPolicySet { .. } => {
                return Ok(Err(not_permitted(
                    "只有管理员可以修改 / only administrators may change this",
                )));
            }
            Operation::HouseholdUpserted { household } => {
                // The household as it is now and as it would be after the
                // write must both be in reach; out of reach reads the same
                // as a grid that does not exist.
                if !admin {
                    let in_reach = self.reaches_grid(a, &household.grid_code)?
                        && match load_household(self.sql(), &household.code)? {
                            None => true,
                            Some(old) => self.reaches_grid(a, &old.grid_code)?,
                        };
                    if !in_reach {
                        return Ok(Err(no_household()));
                    }
                }
                let hlc = self.bounded_hlc(&entry.hlc);
                if let Some(r) =
                    self.older_than_stored(a, "household", "code", &household.code, &hlc)?
                {
                    let current =
                        load_household(self.sql(), &household.code)?.map(|h| Entity::Household {
                            household: h,
                            last_visit_at: None,
                        });
                    return Ok(Err(r.with(current)));
                }
                self.upsert_household(household)?;
                self.set_hlc("household", "code", &household.code, &hlc)?;
            }
            Operation::MemberUpserted { member } => {
                // Member ids are a hash of public data (household and ID
                // number): guessable. So the member's household now, as
                // well as the one it would move to, must be in reach.
                let Some(h) = load_household(self.sql(), &member.household_code)? else {
                    return Ok(Err(no_member()));
                };
                if !admin {
                    let now_in = match load_member(self.sql(), &member.id)? {
                        None => None,
                        Some(old) => load_household(self.sql(), &old.household_code)?,
                    };
                    let in_reach = self.reaches_grid(a, &h.grid_code)?
                        && match now_in {
                            None => true,
                            Some(old) => self.reaches_grid(a, &old.grid_code)?,
                        };
                    if !in_reach {
                        return Ok(Err(no_member()));
                    }
                }
                let hlc = self.bounded_hlc(&entry.hlc);
                if let Some(r) = self.older_than_stored(a, "member", "id", &member.id, &hlc)? {
                    return Ok(Err(r));
                }
                self.upsert_member(member)?;
                self.set_hlc("member", "id", &member.id, &hlc)?;
            }
            Operation::VisitRecorded { visit } => return self.apply_visit(a, visit, at),
            Operation::EvidenceRecorded { evidence } => return self.apply_evidence(a, evidence),
            Operation::CaseReported {
                case_id,
                draft,
                event,
                ..
            } => {
                match load_case(self.sql(), case_id)? {
                    Some(c) if c.reporter_id == a.user_id => return Ok(Ok(())),
                    Some(_) => return Ok(Err(id_taken("case"))),
                    None => {}
                }
                self.report(a, case_id, draft, at, event.id.clone())?;
                self.touched_cases.push(case_id.clone());
            }
            Operation::CaseActed {
                case_id,
                action,
                event,
                ..
            } => {
                let known: Option<i64> = self.sql().query_row(
                    "SELECT 1 FROM case_event WHERE id = ?1",
                    &[&event.id],
                    |r| r.get(0),
                )?;
                if known.is_some() {
                    return Ok(Ok(()));
                }
                let case = match visible_case(self.sql(), a, case_id) {
                    Ok(c) => c,
                    Err(e) => return Ok(Err(e.into())),
                };
                // Never before the case's last event: keeps the chain's
                // times in order whatever the phone's clock said.
                let last_at = load_events(self.sql(), case_id)?.last().map(|e| e.at);
                let at = last_at.map_or(at, |l| at.max(l));
                if let Err(e) = self.act(a, &case, action, at, event.id.clone()) {
                    let current = Some(Entity::Case {
                        events: load_events(self.sql(), case_id)?,
                        case: case.clone(),
                    });
                    let refusal_code = refusal_code(&e);
                    return Ok(Err(Rejection::new(
                        &refusal_code,
                        conflict_words(self.sql(), &case, &e)?,
                    )
                    .with(current)));
                }
                self.touched_cases.push(case_id.clone());
            }
            Operation::PatrolStarted { patrol } => {
                if patrol.worker_id != a.user_id {
                    return Ok(Err(not_permitted(
                        "只能上传自己的巡查 / only your own patrols",
                    )));
                }
                require_grid_reach(self.sql(), a, &patrol.grid_code)?;
                let by: Option<String> = self.sql().query_row(
                    "SELECT worker_id FROM patrol WHERE id = ?1",
                    &[&patrol.id],
                    |r| r.get(0),
                )?;
                if by.is_some_and(|w| w != a.user_id) {
                    return Ok(Err(id_taken("patrol")));
                }
                self.sql().execute(
                    "INSERT INTO patrol (id, grid_code, worker_id, started_at) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT DO NOTHING",
                    &[&patrol.id, &patrol.grid_code, &patrol.worker_id, &to_ms(patrol.started_at)],
                )?;
            }
            Operation::TrackRecorded { patrol_id, points } => {
                check_count("points", points.len(), counts::TRACK_POINTS)?;
                if !self.own_patrol(a, patrol_id)? {
                    return Ok(Err(not_permitted(
                        "只能上传自己的巡查 / only your own patrols",
                    )));
                }
                for p in points {
                    self.sql().execute(
                        "INSERT INTO patrol_fix (patrol_id, seq, body) VALUES (?1, ?2, ?3)
                         ON CONFLICT DO NOTHING",
                        &[patrol_id, &p.seq, &serde_json::to_string(p)?],
                    )?;
                }
                self.sql().execute(
                    "UPDATE patrol SET fix_count = (SELECT COUNT(*) FROM patrol_fix WHERE patrol_id = ?1) WHERE id = ?1",
                    &[patrol_id],
                )?;
            }
            Operation::PatrolEnded {
                patrol_id,
                ended_at,
                distance_m,
            } => {
                if !self.own_patrol(a, patrol_id)? {
                    return Ok(Err(not_permitted(
                        "只能上传自己的巡查 / only your own patrols",
                    )));
                }
                let started: Option<i64> = self.sql().query_row(
                    "SELECT started_at FROM patrol WHERE id = ?1",
                    &[patrol_id],
                    |r| r.get(0),
                )?;
                if started.is_some_and(|s| to_ms(*ended_at) < s) {
                    return Ok(Err(Rejection::new(
                        "invalid",
                        "巡查结束时间早于开始时间 / a patrol cannot end before it starts",
                    )));
                }
                if !distance_m.is_finite() || *distance_m < 0.0 {
                    return Ok(Err(Rejection::new(
                        "invalid",
                        "巡查距离必须是非负数 / a patrol's distance must be a non-negative number",
                    )));
                }
                self.sql().execute(
                    "UPDATE patrol SET ended_at = ?2, distance_m = ?3 WHERE id = ?1",
                    &[patrol_id, &to_ms(*ended_at), distance_m],
                )?;
            }
            Operation::TrackDiscarded { patrol_id } => {
                if !self.own_patrol(a, patrol_id)? {
                    return Ok(Err(not_permitted(
                        "只能上传自己的巡查 / only your own patrols",
                    )));
                }
                self.sql()
                    .execute("DELETE FROM patrol_fix WHERE patrol_id = ?1", &[patrol_id])?;
                self.sql().execute(
                    "UPDATE patrol SET track_discarded = 1, fix_count = 0, distance_m = 0 WHERE id = ?1",
                    &[patrol_id],
                )?;
            }
            Operation::PiiRevealed {
                member_id,
                field,
                reason,
                user_id,
                at: _,
            } => {
                if *user_id != a.user_id {
                    return Ok(Err(not_permitted(
                        "只能上传自己的查看记录 / only your own reveals",
                    )));
                }
                check_text("reason", reason, text::NOTE, TextKind::Block)?;
                let household = match load_member(self.sql(), member_id)? {
                    Some(m) => load_household(self.sql(), &m.household_code)?,
                    None => None,
                };
                let in_reach = match household {
                    Some(h) => admin || self.reaches_grid(a, &h.grid_code)?,
                    None => false,
                };
                if !in_reach {
                    return Ok(Err(no_member()));
                }
                // Dated by the server (the device's stamp, corrected for its
                // clock and never in the future), not as the phone said.
                let revealed_at = &at;
                self.sql().execute(
                    "INSERT INTO pii_reveal (id, user_id, member_id, field, reason, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT DO NOTHING",
                    &[&entry.op_id, user_id, member_id, &field.as_str(), reason, &to_ms(*revealed_at)],
                )?;
            }
            Operation::InboxRead { item_id, .. } => {
                // Read when the server heard of it at the latest (a phone
                // days behind cannot date it before the item existed).
                self.read_inbox_item(&a.user_id, item_id, at)?;
            }
            Operation::PushEndpointRegistered { endpoint } => {
                self.register_endpoint(&a.user_id, endpoint)?;
            }
            Operation::PushEndpointRemoved { kind } => self.remove_endpoint(kind)?,
            Operation::QuietHoursSet { user_id, quiet } => {
                if *user_id != a.user_id {
                    return Ok(Err(not_permitted(
                        "只能设置自己的勿扰时段 / only your own quiet hours",
                    )));
                }
                self.store_quiet_hours(user_id, *quiet)?;
            }
        }
        Ok(Ok(()))
    }

    /// Is the grid in the actor's jurisdiction? A grid that does not exist
    /// is in no one's.
    fn reaches_grid(&mut self, a: &Actor, grid_code: &str) -> Result<bool> {
        match self.path(grid_code) {
            Ok(path) => Ok(a.reaches(&path)),
            Err(CoreError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        }
    }

    fn own_patrol(&self, a: &Actor, patrol_id: &str) -> Result<bool> {
        let worker: Option<String> = self.sql().query_row(
            "SELECT worker_id FROM patrol WHERE id = ?1",
            &[&patrol_id],
            |r| r.get(0),
        )?;
        Ok(worker.as_deref() == Some(a.user_id.as_str()))
    }

    /// The stamp as stored: no further ahead of the server's clock than the
    /// allowed skew (a phone whose clock runs years ahead would otherwise
    /// freeze every record it touches).
    fn bounded_hlc(&self, hlc: &Hlc) -> Hlc {
        let limit = to_ms(self.now).saturating_add(MAX_FUTURE_SKEW_MS);
        if hlc.wall_ms <= limit {
            return hlc.clone();
        }
        tracing::warn!(node = %hlc.node, ahead_ms = hlc.wall_ms - to_ms(self.now), "clock stamp far ahead of the server: clamped");
        Hlc {
            wall_ms: limit,
            counter: hlc.counter,
            node: hlc.node.clone(),
        }
    }

    /// `Some` if a newer write (by HLC) is already stored: this one loses.
    /// An administrator's write always wins, and a stored stamp beyond the
    /// allowed skew (written before stamps were bounded) never does.
    fn older_than_stored(
        &self,
        a: &Actor,
        table: &str,
        key: &str,
        id: &str,
        hlc: &Hlc,
    ) -> Result<Option<Rejection>> {
        let stored: Option<String> = self.sql().query_row(
            &format!("SELECT hlc FROM {table} WHERE {key} = ?1"),
            &[&id],
            |r| r.get(0),
        )?;
        let Some(stored) = stored.filter(|s| !s.is_empty()) else {
            return Ok(None);
        };
        let Ok(stored) = stored.parse::<Hlc>() else {
            return Ok(None);
        };
        let beyond = stored.wall_ms > to_ms(self.now).saturating_add(MAX_FUTURE_SKEW_MS);
        if a.role == Role::Administrator || beyond {
            return Ok(None);
        }
        if stored > *hlc {
            return Ok(Some(Rejection::new(
                "superseded",
                "已有更新的修改，保留较新的版本 / a newer edit was made elsewhere; the newer one is kept",
            )));
        }
        Ok(None)
    }

    fn set_hlc(&self, table: &str, key: &str, id: &str, hlc: &Hlc) -> Result<()> {
        self.sql().execute(
            &format!("UPDATE {table} SET hlc = ?2 WHERE {key} = ?1"),
            &[&id, &hlc.to_string()],
        )?;
        Ok(())
    }

    fn apply_visit(
        &mut self,
        a: &Actor,
        visit: &crate::visit::Visit,
        at: DateTime<Utc>,
    ) -> Result<Applied> {
        if visit.worker_id != a.user_id || a.role != Role::GridWorker {
            return Ok(Err(not_permitted(
                "只能上传自己的走访 / only your own visits",
            )));
        }
        let by: Option<String> = self.sql().query_row(
            "SELECT worker_id FROM visit WHERE id = ?1",
            &[&visit.id],
            |r| r.get(0),
        )?;
        match by {
            Some(w) if w == a.user_id => return Ok(Ok(())),
            Some(_) => return Ok(Err(id_taken("visit"))),
            None => {}
        }
        let Some(h) = load_household(self.sql(), &visit.household_code)? else {
            return Ok(Err(no_household()));
        };
        if !a.reaches(&self.path(&h.grid_code)?) {
            return Ok(Err(no_household()));
        }
        let Some(template) = self.template(&visit.template_id, visit.template_version)? else {
            return Ok(Err(Rejection::new(
                "invalid",
                "模板版本不存在 / unknown template version",
            )));
        };
        // Photos travel as their own operations; the answers are checked
        // again when the visit is stored.
        let mut visit = visit.clone();
        visit.grid_code = h.grid_code.clone();
        visit.at = at;
        self.insert_visit(&visit, &template, &h)?;
        Ok(Ok(()))
    }

    fn apply_evidence(
        &mut self,
        a: &Actor,
        e: &crate::evidence::EvidenceRecord,
    ) -> Result<Applied> {
        // First: may this person add photos to that visit or case at all?
        // (Their own visit; a case they may see.) Only then is the id
        // looked at, so a refusal says nothing about what exists.
        match &e.owner {
            EvidenceOwner::Visit { visit_id } => {
                let worker: Option<String> = self.sql().query_row(
                    "SELECT worker_id FROM visit WHERE id = ?1",
                    &[visit_id],
                    |r| r.get(0),
                )?;
                if worker.as_deref() != Some(a.user_id.as_str()) {
                    return Ok(Err(Rejection::new(
                        "not_found",
                        "照片所属走访不存在 / the visit does not exist",
                    )));
                }
            }
            EvidenceOwner::Case { case_id, .. } => {
                if visible_case(self.sql(), a, case_id).is_err() {
                    return Ok(Err(Rejection::new(
                        "not_found",
                        "照片所属事件不存在 / the case does not exist",
                    )));
                }
            }
        }
        // The same record again is a duplicate; another record under that
        // id is refused without saying what it holds.
        let stored: Option<(String, String)> = self.sql().query_row(
            "SELECT owner_id, sha256 FROM evidence WHERE id = ?1",
            &[&e.id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if let Some((owner_id, sha256)) = stored {
            let owner = match &e.owner {
                EvidenceOwner::Visit { visit_id } => visit_id,
                EvidenceOwner::Case { case_id, .. } => case_id,
            };
            return Ok(if *owner == owner_id && e.sha256 == sha256 {
                Ok(())
            } else {
                Err(id_taken("photo"))
            });
        }
        let mut record = e.clone();
        record.local_path = None;
        self.insert_evidence(&record)?;
        Ok(Ok(()))
    }
}

fn refusal_code(e: &CoreError) -> String {
    match e {
        CoreError::Conflict { .. } => "conflict".into(),
        CoreError::NotPermitted { .. } => "not_permitted".into(),
        CoreError::Invalid { .. } => "invalid".into(),
        CoreError::NotFound { .. } => "not_found".into(),
        _ => "error".into(),
    }
}

/// Words for a refused case action that say who changed it and when:
/// "事件已由王书记于10:42改派 / already reassigned by 王书记 at 10:42".
fn conflict_words(
    tx: crate::db::Sql<'_>,
    case: &crate::case::Case,
    e: &CoreError,
) -> Result<String> {
    let last = load_events(tx, &case.id)?.pop();
    Ok(match last {
        Some(ev) => {
            let local = ev.at + Duration::hours(8);
            format!(
                "事件已由{}于{}{} / the case was already {} by {} at {} — {}",
                ev.actor_name,
                local.format("%m-%d %H:%M"),
                ev.kind.summary_zh(),
                ev.kind.name().replace('_', " "),
                ev.actor_name,
                local.format("%m-%d %H:%M"),
                e
            )
        }
        None => e.to_string(),
    })
}
