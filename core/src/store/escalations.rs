//! The escalation engine's pass over the store (ADR 0011). The rules are
//! `crate::escalation::assess`; this file finds the cases whose next
//! threshold has come (an index on `case_file.next_escalation_at`, kept by
//! every save), records what is due as case events, and lets the inbox
//! tell the people at the new level.
//!
//! Exactly once: each (case, level) is a row of `escalation` with that
//! primary key, written in the same transaction as the event. A second
//! engine — another server process on the same database — waits for the
//! write lock, then sees the level recorded and does nothing; if it ever
//! tried anyway, the constraint would abort its transaction.

use crate::db::Dialect;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::cases::{deadline_policy, load_case};
use super::{new_id, Store, Writer};
use crate::case::action::append;
use crate::case::{Case, CaseEvent, EscalationReason, EventKind};
use crate::clock::to_ms;
use crate::error::Result;
use crate::escalation::{assess, DueEscalation};

/// How many cases one transaction of a pass handles: the write lock is
/// released between batches so phones' pushes are not held up behind a
/// pass over a backlog.
const PASS_BATCH: u32 = 500;

/// One escalation a pass recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordedEscalation {
    pub case_id: String,
    #[cfg_attr(feature = "openapi", schema(maximum = 255))]
    pub level: u8,
    pub reason: EscalationReason,
    /// When the threshold was crossed.
    pub since: DateTime<Utc>,
}

/// What one pass of the engine did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EscalationPass {
    /// Open cases whose next threshold had come.
    pub examined: u32,
    pub escalations: Vec<RecordedEscalation>,
    /// Inbox items created (escalations to everyone at the new level).
    pub inbox_items: u32,
    /// Push jobs queued for those items.
    pub push_jobs: u32,
}

impl Writer<'_> {
    /// Record every escalation due for `case` at `self.now`, in order.
    /// Returns the case as it ends up and what was recorded.
    pub(crate) fn escalate_due(&mut self, case: Case) -> Result<(Case, Vec<RecordedEscalation>)> {
        let policy = self.deadline_policy()?;
        let mut case = case;
        let mut recorded = Vec::new();
        for due in assess(&case, &policy, self.now).due {
            if self.escalation_recorded(&case.id, due.level)? {
                continue;
            }
            let prev = super::cases::last_event(self.sql(), &case.id)?;
            let kind = EventKind::Escalated {
                level: due.level,
                reason: due.reason,
                note: String::new(),
            };
            let (next, event) = append(
                Some(&case),
                prev.as_ref(),
                &case.id,
                new_id(),
                kind,
                None,
                self.now,
            )?;
            self.save_case(&next, &event, None)?;
            recorded.push(recorded_of(&case.id, &due));
            case = next;
        }
        Ok((case, recorded))
    }

    fn escalation_recorded(&self, case_id: &str, level: u8) -> Result<bool> {
        Ok(self
            .sql()
            .query_row(
                "SELECT 1 FROM escalation WHERE case_id = ?1 AND level = ?2",
                &[&case_id, &level],
                |_| Ok(()),
            )?
            .is_some())
    }

    /// The `escalation` row of an escalated event (the engine's and manual
    /// ones alike). A second row for the same level is refused by the
    /// primary key: the transaction fails rather than escalate twice.
    pub(crate) fn record_escalation_row(&mut self, event: &CaseEvent) -> Result<()> {
        let EventKind::Escalated { level, reason, .. } = &event.kind else {
            return Ok(());
        };
        self.sql().execute(
            "INSERT INTO escalation (case_id, level, reason, since, event_id, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            &[
                &event.case_id,
                level,
                &reason.as_str(),
                &to_ms(event.at),
                &event.id,
                &to_ms(self.now),
            ],
        )?;
        Ok(())
    }

    /// The deadline policy, read once per transaction.
    pub(crate) fn deadline_policy(&mut self) -> Result<crate::case::DeadlinePolicy> {
        if let Some(p) = &self.cache.deadline_policy {
            return Ok(p.clone());
        }
        let p = deadline_policy(self.sql())?;
        self.cache.deadline_policy = Some(p.clone());
        Ok(p)
    }

    /// The policy changed: every open case's next threshold moves with it
    /// (deadlines stay; the level-2 wait is the policy's).
    pub(crate) fn recompute_next_escalations(&mut self) -> Result<()> {
        self.cache.deadline_policy = None;
        let policy = self.deadline_policy()?;
        let ids: Vec<String> = self.sql().query_map(
            "SELECT id FROM case_file WHERE next_escalation_at IS NOT NULL",
            &[],
            |r| r.get(0),
        )?;
        for id in ids {
            if let Some(case) = load_case(self.sql(), &id)? {
                let next = crate::escalation::next_check(&case, &policy).map(to_ms);
                self.sql().execute(
                    "UPDATE case_file SET next_escalation_at = ?2 WHERE id = ?1",
                    &[&id, &next],
                )?;
            }
        }
        Ok(())
    }
}

fn recorded_of(case_id: &str, due: &DueEscalation) -> RecordedEscalation {
    RecordedEscalation {
        case_id: case_id.to_string(),
        level: due.level,
        reason: due.reason,
        since: due.since,
    }
}

impl Store {
    /// One pass of the escalation engine at the store's clock: every open
    /// case whose next threshold has come is assessed and what is due is
    /// recorded, with inbox items and push jobs for the people at the new
    /// level. Idempotent: a second pass at the same instant does nothing.
    pub fn escalation_pass(&self) -> Result<EscalationPass> {
        let mut pass = EscalationPass::default();
        // Bounded: each batch either escalates its cases (moving their next
        // threshold later) or clears a stale instant, so a batch never
        // comes back the same; the bound is a guard, not a limit.
        let mut after: Option<(i64, String)> = None;
        for _ in 0..100_000u32 {
            let (batch, last) = self.write(|w| {
                let now = to_ms(w.now);
                let (at, id) = after.clone().unwrap_or((i64::MIN, String::new()));
                // On PostgreSQL, instances running their passes at once
                // claim disjoint batches: rows another instance holds are
                // skipped, not waited for (it escalates them). The
                // escalation table's key still refuses a second row.
                let claim = match w.sql().dialect() {
                    Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
                    Dialect::Sqlite => "",
                };
                let ids: Vec<(i64, String)> = w.sql().query_map(
                    &format!(
                        "SELECT next_escalation_at, id FROM case_file
                         WHERE next_escalation_at IS NOT NULL AND next_escalation_at <= ?1
                           AND (next_escalation_at, id) > (?2, ?3)
                         ORDER BY next_escalation_at, id LIMIT ?4{claim}"
                    ),
                    &[&now, &at, &id, &PASS_BATCH],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                let mut batch = EscalationPass {
                    examined: ids.len() as u32,
                    ..EscalationPass::default()
                };
                let before = (w.notified.inbox_items, w.notified.push_jobs);
                for (_, id) in &ids {
                    if let Some(case) = load_case(w.sql(), id)? {
                        let (_, recorded) = w.escalate_due(case)?;
                        batch.escalations.extend(recorded);
                    }
                }
                batch.inbox_items = w.notified.inbox_items - before.0;
                batch.push_jobs = w.notified.push_jobs - before.1;
                Ok((batch, ids.last().cloned()))
            })?;
            pass.examined += batch.examined;
            pass.escalations.extend(batch.escalations);
            pass.inbox_items += batch.inbox_items;
            pass.push_jobs += batch.push_jobs;
            match last {
                Some(last) if batch.examined == PASS_BATCH => after = Some(last),
                _ => break,
            }
        }
        if !pass.escalations.is_empty() {
            tracing::info!(
                escalations = pass.escalations.len(),
                inbox_items = pass.inbox_items,
                push_jobs = pass.push_jobs,
                "escalation pass"
            );
        }
        Ok(pass)
    }

    /// Run the escalation function over every open case and record what is
    /// due, as the system. On a device store this serves the standalone
    /// demo and tests; the server runs [`Store::escalation_pass`].
    pub fn run_escalations(&self) -> Result<Vec<(String, DueEscalation)>> {
        let pass = self.escalation_pass()?;
        Ok(pass
            .escalations
            .into_iter()
            .map(|e| {
                (
                    e.case_id,
                    DueEscalation {
                        level: e.level,
                        reason: e.reason,
                        since: e.since,
                    },
                )
            })
            .collect())
    }
}
