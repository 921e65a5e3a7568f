//! The device's side of sync: taking the server's answers (an outbox row
//! goes only once answered; a refusal becomes a conflict the person sees),
//! applying pulled changes without echoing them back, evicting what left
//! the device's reach once nothing of it waits to upload, and wiping a
//! revoked device.

use chrono::{DateTime, Utc};
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};
use tracing::{info, warn};

use super::cases::load_case;
use super::{from_json, new_id, Store, StoreRole, Writer};
use crate::case::history::verify_chain;
use crate::clock::{from_ms, to_ms};
use crate::error::{CoreError, Result};
use crate::outbox::OutboxEntry;
use crate::sync::protocol::{Change, Entity, OpAnswer, PullResponse};

/// A refused operation, kept for the person to see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConflictRecord {
    pub id: String,
    pub op_kind: String,
    pub entity_id: String,
    pub code: String,
    /// The server's words, e.g. "事件已由王书记于05-11 10:42改派 / …".
    pub reason: String,
    pub at: DateTime<Utc>,
    pub seen: bool,
}

/// What the answers did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnswerSummary {
    pub applied: u32,
    pub duplicate: u32,
    pub rejected: u32,
    /// Kept for the next push (an earlier operation had not arrived).
    pub retry: u32,
}

/// What a pulled page did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PullSummary {
    pub upserted: u32,
    pub removed: u32,
    /// Entities kept as they are because local changes wait to be pushed.
    pub kept_pending: u32,
    /// Region codes whose data was removed.
    pub evicted: Vec<String>,
    /// Entities the server sent that could not be stored (logged).
    pub skipped: u32,
}

fn device_only(store: &Store) -> Result<()> {
    if store.role() == StoreRole::Device {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "store",
            "这是服务器数据库 / this is the server's store",
        ))
    }
}

impl Store {
    /// Apply the server's answers to operations that were sent.
    pub fn apply_answers(
        &self,
        sent: &[OutboxEntry],
        answers: &[OpAnswer],
    ) -> Result<AnswerSummary> {
        device_only(self)?;
        self.write_silent(|w| {
            let mut sum = AnswerSummary::default();
            let mut acked = i64::MIN;
            for answer in answers {
                let Some(entry) = sent.iter().find(|e| e.op_id == answer.op_id()) else {
                    warn!(op = answer.op_id(), "answer for an operation that was not sent");
                    continue;
                };
                match answer {
                    OpAnswer::Retry { .. } => {
                        sum.retry += 1;
                        continue;
                    }
                    OpAnswer::Applied { .. } => sum.applied += 1,
                    OpAnswer::Duplicate { .. } => sum.duplicate += 1,
                    OpAnswer::Rejected { code, reason, .. } => {
                        sum.rejected += 1;
                        w.sqlite()?.prepare_cached("INSERT INTO conflict (id, op_id, kind, entity_id, code, reason, summary, at)
                             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?7)")?.execute(
                            rusqlite::params![
                                new_id(),
                                entry.op_id,
                                entry.operation.kind(),
                                entry.operation.entity_id(),
                                code,
                                reason,
                                to_ms(w.now)
                            ],
                        )?;
                        info!(op = %entry.op_id, code = %code, "operation refused by the server");
                    }
                }
                // Deleted only now: answered, one way or the other.
                w.sqlite()?.prepare_cached("DELETE FROM outbox WHERE op_id = ?1")?.execute([&entry.op_id])?;
                acked = acked.max(entry.seq);
            }
            if acked > i64::MIN {
                w.sqlite()?.prepare_cached(
                    "INSERT INTO meta (key, value) VALUES ('acked_seq', ?1)
                     ON CONFLICT(key) DO UPDATE SET value = MAX(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
                )?
                .execute([acked.to_string()])?;
            }
            Ok(sum)
        })
    }

    /// Refused operations, newest first.
    pub fn conflicts(&self, unseen_only: bool) -> Result<Vec<ConflictRecord>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT id, kind, entity_id, code, reason, at, seen FROM conflict
                 WHERE (?1 = 0 OR seen = 0) ORDER BY at DESC, id DESC",
            )?;
            let rows = stmt.query_map([unseen_only as i64], |r| {
                Ok(ConflictRecord {
                    id: r.get(0)?,
                    op_kind: r.get(1)?,
                    entity_id: r.get(2)?,
                    code: r.get(3)?,
                    reason: r.get(4)?,
                    at: from_ms(r.get(5)?),
                    seen: r.get::<_, i64>(6)? != 0,
                })
            })?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    pub fn mark_conflict_seen(&self, id: &str) -> Result<()> {
        self.write_silent(|w| {
            w.sqlite()?
                .prepare_cached("UPDATE conflict SET seen = 1 WHERE id = ?1")?
                .execute([id])?;
            Ok(())
        })
    }

    /// The cursor of the last pulled page.
    pub fn sync_cursor(&self) -> Result<Option<String>> {
        self.read(|c| {
            Ok(
                c.prepare_cached("SELECT value FROM meta WHERE key = 'sync_cursor'")?
                    .query_row([], |r| r.get(0))
                    .optional()?,
            )
        })
    }

    /// Apply one pulled page and remember its cursor, in one transaction.
    pub fn apply_pull(&self, page: &PullResponse) -> Result<PullSummary> {
        device_only(self)?;
        self.write_silent(|w| {
            let mut sum = PullSummary::default();
            for change in &page.changes {
                match change {
                    Change::Upsert { entity } => match w.apply_entity(entity) {
                        Ok(true) => sum.upserted += 1,
                        Ok(false) => sum.kept_pending += 1,
                        Err(e @ (CoreError::Storage(_) | CoreError::Io { .. })) => return Err(e),
                        Err(e) => {
                            warn!(kind = entity.kind(), error = %e, "pulled entity not stored");
                            sum.skipped += 1;
                        }
                    },
                    Change::Remove { kind, id } => {
                        if w.remove_entity(kind, id)? {
                            sum.removed += 1;
                        } else {
                            sum.kept_pending += 1;
                        }
                    }
                }
            }
            let mut evict: Vec<String> = page.evict.clone();
            let deferred: Option<String> = w
                .sqlite()?.prepare_cached("SELECT value FROM meta WHERE key = 'pending_evict'")?.query_row( [], |r| r.get(0))
                .optional()?;
            if let Some(d) = deferred {
                evict.extend(from_json::<Vec<String>>("meta.pending_evict", &d)?);
            }
            evict.sort();
            evict.dedup();
            let waiting: i64 = w.sqlite()?.prepare_cached("SELECT (SELECT COUNT(*) FROM outbox) + (SELECT COUNT(*) FROM evidence WHERE upload_state != 'stored' AND local_path IS NOT NULL)")?.query_row(
                [],
                |r| r.get(0),
            )?;
            if !evict.is_empty() && waiting > 0 {
                // Something may belong to what is leaving: keep it until it
                // has been uploaded, evict on a later pull.
                w.sqlite()?.prepare_cached("INSERT INTO meta (key, value) VALUES ('pending_evict', ?1)
                     ON CONFLICT(key) DO UPDATE SET value = excluded.value")?.execute(
                    [serde_json::to_string(&evict)?],
                )?;
            } else {
                for code in &evict {
                    w.evict_region(code)?;
                }
                w.sqlite()?.prepare_cached("DELETE FROM meta WHERE key = 'pending_evict'")?.execute( [])?;
                sum.evicted = evict;
            }
            w.sqlite()?.prepare_cached("INSERT INTO meta (key, value) VALUES ('sync_cursor', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value")?.execute(
                [&page.cursor],
            )?;
            Ok(sum)
        })
    }

    /// Remove everything this device holds (a revoked device). The device
    /// id stays so the installation can be enrolled again.
    pub fn wipe(&self) -> Result<()> {
        device_only(self)?;
        self.write_silent(|w| {
            for table in [
                "region",
                "grid",
                "household",
                "member",
                "app_user",
                "assignment",
                "checklist_template",
                "checklist_current",
                "patrol",
                "patrol_fix",
                "visit",
                "case_file",
                "case_event",
                "evidence",
                "pii_reveal",
                "outbox",
                "conflict",
                "inbox_item",
                "notify_setting",
                "escalation",
                "visit_draft",
            ] {
                w.sqlite()?.execute(&format!("DELETE FROM {table}"), [])?;
            }
            // Push endpoints go too: a wiped phone must not be pushed to.
            w.sqlite()?
                .prepare_cached("DELETE FROM meta WHERE key NOT IN ('device_id', 'role', 'hlc')")?
                .execute([])?;
            Ok(())
        })?;
        if let Ok(entries) = std::fs::read_dir(self.evidence_dir()) {
            for e in entries.flatten() {
                let _ = std::fs::remove_file(e.path());
            }
        }
        info!("device store wiped");
        Ok(())
    }
}

fn pending(w: &Writer<'_>, entity_id: &str) -> Result<bool> {
    Ok(w.sqlite()?
        .prepare_cached("SELECT 1 FROM outbox WHERE entity_id = ?1 LIMIT 1")?
        .query_row([entity_id], |_| Ok(()))
        .optional()?
        .is_some())
}

impl Writer<'_> {
    /// Store one pulled entity. `Ok(false)`: kept local (pending changes).
    fn apply_entity(&mut self, entity: &Entity) -> Result<bool> {
        match entity {
            Entity::Region { region } => {
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
            Entity::Grid { grid } => {
                let boundary = crate::grid::boundary_from_geojson(&grid.boundary_geojson)
                    .map_err(|e| CoreError::invalid("boundary", e))?;
                self.upsert_grid(&crate::grid::Grid {
                    code: grid.code.clone(),
                    name: grid.name.clone(),
                    village_code: grid.village_code.clone(),
                    boundary,
                })?;
            }
            Entity::Household {
                household,
                last_visit_at,
            } => {
                if pending(self, &household.code)? {
                    return Ok(false);
                }
                self.upsert_household(household)?;
                if let Some(t) = last_visit_at {
                    self.sqlite()?.prepare_cached("UPDATE household SET last_visit_at = ?2, due_at = ?2 + interval_days * 86400000
                         WHERE code = ?1 AND (last_visit_at IS NULL OR last_visit_at < ?2)")?.execute(
                        rusqlite::params![household.code, to_ms(*t)],
                    )?;
                }
            }
            Entity::Member { member } => {
                if pending(self, &member.id)? {
                    return Ok(false);
                }
                self.upsert_member(member)?;
            }
            Entity::User { user } => self.upsert_user(user)?,
            Entity::Assignment { assignment } => self.set_assignment(assignment)?,
            Entity::Template { template_json } => {
                let t = crate::checklist::ChecklistTemplate::from_json(template_json)?;
                match self.store_template(&t) {
                    Ok(_) | Err(CoreError::Conflict { .. }) => {}
                    Err(e) => return Err(e),
                }
            }
            Entity::Visit { visit } => {
                let exists: Option<i64> = self
                    .sqlite()?
                    .prepare_cached("SELECT 1 FROM visit WHERE id = ?1")?
                    .query_row([&visit.id], |r| r.get(0))
                    .optional()?;
                if exists.is_none() {
                    let template = super::checklists::load_template(
                        self.sql(),
                        &visit.template_id,
                        visit.template_version,
                    )?
                    .ok_or_else(|| {
                        CoreError::invalid("template_version", "unknown template version")
                    })?;
                    let h = super::households::load_household(self.sql(), &visit.household_code)?
                        .ok_or_else(|| {
                        CoreError::not_found("household", &visit.household_code)
                    })?;
                    self.insert_visit(visit, &template, &h)?;
                }
            }
            Entity::Case { case, events } => {
                if pending(self, &case.id)? {
                    return Ok(false);
                }
                if let Some(b) = verify_chain(events) {
                    return Err(CoreError::corrupt(
                        format!("case {} from the server", case.id),
                        format!("chain breaks at {}: {}", b.seq, b.reason),
                    ));
                }
                self.sqlite()?
                    .execute("DELETE FROM case_event WHERE case_id = ?1", [&case.id])?;
                let last = events
                    .last()
                    .ok_or_else(|| CoreError::corrupt("case", "no events"))?;
                for e in &events[..events.len() - 1] {
                    self.sqlite()?.prepare_cached("INSERT INTO case_event (id, case_id, seq, at, actor_id, kind, body, hash)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)")?.execute(
                        rusqlite::params![
                            e.id,
                            e.case_id,
                            e.seq,
                            to_ms(e.at),
                            e.actor_id,
                            e.kind.name(),
                            serde_json::to_string(e)?,
                            e.hash
                        ],
                    )?;
                }
                self.save_case(case, last, None)?;
            }
            Entity::Evidence { evidence } => {
                let local: Option<i64> = self
                    .sqlite()?
                    .prepare_cached("SELECT 1 FROM evidence WHERE id = ?1")?
                    .query_row([&evidence.id], |r| r.get(0))
                    .optional()?;
                if local.is_none() {
                    let mut e = evidence.clone();
                    e.local_path = None;
                    self.insert_evidence(&e)?;
                    // Someone else's photo that the server already holds:
                    // say so (the row is inserted as waiting), so this phone
                    // offers the download instead of waiting for an upload.
                    if evidence.upload_state == crate::evidence::UploadState::Stored {
                        self.sqlite()?
                            .prepare_cached("UPDATE evidence SET upload_state = 'stored', upload_offset = size WHERE id = ?1")?
                            .execute([&evidence.id])?;
                    }
                } else {
                    // Ours: the server's word on its upload state counts.
                    self.sqlite()?.prepare_cached("UPDATE evidence SET upload_state = CASE WHEN ?2 = 'stored' THEN 'stored' ELSE upload_state END
                         WHERE id = ?1")?.execute(
                        rusqlite::params![evidence.id, evidence.upload_state.as_str()],
                    )?;
                }
            }
            Entity::DeadlinePolicy { policy } => self.set_deadline_policy(policy)?,
            Entity::VisitPolicy { policy } => self.set_visit_policy(policy)?,
            Entity::InboxItem { item } => self.store_pulled_item(item)?,
            Entity::QuietHours { user_id, quiet } => {
                if pending(self, &format!("quiet_hours:{user_id}"))? {
                    return Ok(false);
                }
                self.store_quiet_hours(user_id, *quiet)?;
            }
        }
        Ok(true)
    }

    /// Remove an entity that left the device's reach. `Ok(false)`: kept
    /// because local changes to it wait to be pushed.
    fn remove_entity(&mut self, kind: &str, id: &str) -> Result<bool> {
        if pending(self, id)? {
            return Ok(false);
        }
        match kind {
            "household" => {
                self.sqlite()?
                    .execute("DELETE FROM member WHERE household_code = ?1", [id])?;
                self.sqlite()?
                    .execute("DELETE FROM household WHERE code = ?1", [id])?;
            }
            "member" => {
                self.sqlite()?
                    .prepare_cached("DELETE FROM member WHERE id = ?1")?
                    .execute([id])?;
            }
            "case" => {
                self.sqlite()?
                    .execute("DELETE FROM case_event WHERE case_id = ?1", [id])?;
                self.sqlite()?
                    .execute("DELETE FROM case_file WHERE id = ?1", [id])?;
            }
            "visit" => {
                self.sqlite()?
                    .prepare_cached("DELETE FROM visit WHERE id = ?1")?
                    .execute([id])?;
            }
            "grid" => self.evict_region(id)?,
            _ => {}
        }
        Ok(true)
    }

    /// Delete everything under a region code (a grid, a village, …).
    fn evict_region(&mut self, code: &str) -> Result<()> {
        let grids: Vec<String> = {
            let mut stmt = self.sqlite()?.prepare(
                "SELECT g.code FROM grid g LEFT JOIN region v ON v.code = g.village_code
                 LEFT JOIN region t ON t.code = v.parent_code
                 WHERE g.code = ?1 OR g.village_code = ?1 OR v.parent_code = ?1 OR t.parent_code = ?1",
            )?;
            let rows = stmt.query_map([code], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for g in &grids {
            let files: Vec<String> = {
                let mut stmt = self.sqlite()?.prepare(
                    "SELECT local_path FROM evidence WHERE local_path IS NOT NULL AND (
                       (owner_kind = 'visit' AND owner_id IN (SELECT id FROM visit WHERE grid_code = ?1))
                       OR (owner_kind = 'case' AND owner_id IN (SELECT id FROM case_file WHERE grid_code = ?1)))",
                )?;
                let rows = stmt.query_map([g], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            for sql in [
                "DELETE FROM evidence WHERE (owner_kind = 'visit' AND owner_id IN (SELECT id FROM visit WHERE grid_code = ?1))
                   OR (owner_kind = 'case' AND owner_id IN (SELECT id FROM case_file WHERE grid_code = ?1))",
                "DELETE FROM visit WHERE grid_code = ?1",
                "DELETE FROM case_event WHERE case_id IN (SELECT id FROM case_file WHERE grid_code = ?1)",
                "DELETE FROM case_file WHERE grid_code = ?1",
                "DELETE FROM member WHERE household_code IN (SELECT code FROM household WHERE grid_code = ?1)",
                "DELETE FROM household WHERE grid_code = ?1",
                "DELETE FROM patrol_fix WHERE patrol_id IN (SELECT id FROM patrol WHERE grid_code = ?1)",
                "DELETE FROM patrol WHERE grid_code = ?1",
                "DELETE FROM assignment WHERE grid_code = ?1",
                "DELETE FROM grid WHERE code = ?1",
            ] {
                self.sqlite()?.execute(sql, [g])?;
            }
            for f in files {
                // Removed with the rows; a failure leaves an orphan that the
                // next open sweeps.
                let _ = std::fs::remove_file(f);
            }
        }
        info!(
            code,
            grids = grids.len(),
            "evicted data that left this device's reach"
        );
        Ok(())
    }
}

/// Whether a case is present locally (tests and the client use it).
pub fn case_exists(store: &Store, id: &str) -> Result<bool> {
    store.read(|c| Ok(load_case(c, id)?.is_some()))
}
