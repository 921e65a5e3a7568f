//! Whole-screen queries: "my grids" and the case screen. Each answers one
//! screen in one call so shells stay thin.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::cases::{deadline_policy, load_events, visible_case};
use super::evidence::{evidence_for, load_evidence};
use super::households::OPEN_STATES_SQL;
use super::users::{actor, local_day};
use super::Store;
use crate::case::history::verify_chain;
use crate::case::{allowed_actions, ActionKind, Case, CaseState, ChainBreak};
use crate::clock::to_ms;
use crate::db::Sql;
use crate::error::Result;
use crate::escalation::{assess, Assessment};
use crate::evidence::EvidenceRecord;
use crate::user::{AssignmentKind, Role};

/// One grid on the "my grids" screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GridSummary {
    pub code: String,
    pub name: String,
    pub village_code: String,
    pub village_name: String,
    /// For workers: primary or backup.
    pub assignment: Option<AssignmentKind>,
    pub households: u32,
    pub due_visits: u32,
    pub open_cases: u32,
}

/// One line of a case's timeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TimelineEntry {
    pub seq: u32,
    pub at: DateTime<Utc>,
    pub actor_name: String,
    pub actor_role: Option<Role>,
    pub kind: String,
    pub summary_zh: String,
    pub state_after: CaseState,
}

/// The case screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseDetail {
    pub case: Case,
    pub household_name: Option<String>,
    pub handler_name: Option<String>,
    pub reporter_name: String,
    pub timeline: Vec<TimelineEntry>,
    /// The buttons this person may press now.
    pub allowed_actions: Vec<ActionKind>,
    pub evidence: Vec<EvidenceRecord>,
    /// `None` when the history verifies.
    pub chain_break: Option<ChainBreak>,
    pub countdown_secs: Option<i64>,
    pub countdown_label: String,
    /// The escalation picture now (same function as the server's engine).
    pub escalation: Assessment,
}

/// Photos the case shows: its own (report and after-photos) and those it
/// references from the visit that found the hazard.
fn case_evidence(c: Sql<'_>, case: &Case) -> Result<Vec<EvidenceRecord>> {
    let mut out = Vec::new();
    for id in &case.evidence_ids {
        if let Some(e) = load_evidence(c, id)? {
            if !matches!(e.owner, crate::evidence::EvidenceOwner::Case { .. }) {
                out.push(e);
            }
        }
    }
    out.extend(evidence_for(c, "case", &case.id)?);
    Ok(out)
}

impl Store {
    /// The grids this person works on or oversees, with counts.
    pub fn my_grids(&self, user_id: &str) -> Result<Vec<GridSummary>> {
        let now = self.now();
        self.read(|c| {
            let a = actor(c, user_id, now)?;
            let (filter, codes) = match a.role {
                Role::GridWorker => ("g.code IN (SELECT value FROM json_each(?1))", serde_json::to_string(&a.grids)?),
                Role::Administrator => ("1", "[]".to_string()),
                _ => (
                    "(g.village_code IN (SELECT value FROM json_each(?1))
                      OR v.parent_code IN (SELECT value FROM json_each(?1))
                      OR t.parent_code IN (SELECT value FROM json_each(?1)))",
                    serde_json::to_string(&a.jurisdiction)?,
                ),
            };
            let mut stmt = c.prepare(&format!(
                "SELECT g.code, g.name, g.village_code, COALESCE(v.name, ''),
                   (SELECT COUNT(*) FROM household h WHERE h.grid_code = g.code),
                   (SELECT COUNT(*) FROM household h WHERE h.grid_code = g.code AND h.due_at <= ?2),
                   (SELECT COUNT(*) FROM case_file cf WHERE cf.grid_code = g.code AND cf.state IN {OPEN_STATES_SQL}),
                   (SELECT kind FROM assignment asg WHERE asg.grid_code = g.code AND asg.user_id = ?3
                      AND asg.from_day <= ?4 AND (asg.to_day IS NULL OR asg.to_day >= ?4) LIMIT 1)
                 FROM grid g
                 LEFT JOIN region v ON v.code = g.village_code
                 LEFT JOIN region t ON t.code = v.parent_code
                 WHERE {filter}
                 ORDER BY g.code"
            ))?;
            let rows = stmt.query_map(
                rusqlite::params![codes, to_ms(now), a.user_id, local_day(now).to_string()],
                |r| {
                    Ok(GridSummary {
                        code: r.get(0)?,
                        name: r.get(1)?,
                        village_code: r.get(2)?,
                        village_name: r.get(3)?,
                        households: r.get(4)?,
                        due_visits: r.get(5)?,
                        open_cases: r.get(6)?,
                        assignment: r.get::<_, Option<String>>(7)?.and_then(|k| AssignmentKind::parse(&k)),
                    })
                },
            )?;
            Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
        })
    }

    /// The case screen: state, timeline, evidence, the actions allowed now,
    /// and whether the history verifies.
    pub fn case_detail(&self, user_id: &str, case_id: &str) -> Result<CaseDetail> {
        let now = self.now();
        self.read_sql(|c| {
            let a = actor(c, user_id, now)?;
            let case = visible_case(c, &a, case_id)?;
            let events = load_events(c, case_id)?;
            let name_of = |id: &str| -> Result<Option<String>> {
                c.query_row("SELECT name FROM app_user WHERE id = ?1", &[&id], |r| {
                    r.get(0)
                })
            };
            let household_name = match &case.household_code {
                Some(code) => {
                    c.query_row("SELECT name FROM household WHERE code = ?1", &[code], |r| {
                        r.get(0)
                    })?
                }
                None => None,
            };
            let policy = deadline_policy(c)?;
            Ok(CaseDetail {
                household_name,
                handler_name: match &case.handler_id {
                    Some(h) => name_of(h)?,
                    None => None,
                },
                reporter_name: name_of(&case.reporter_id)?
                    .unwrap_or_else(|| case.reporter_id.clone()),
                timeline: events
                    .iter()
                    .map(|e| TimelineEntry {
                        seq: e.seq,
                        at: e.at,
                        actor_name: e.actor_name.clone(),
                        actor_role: e.actor_role,
                        kind: e.kind.name().to_string(),
                        summary_zh: e.kind.summary_zh(),
                        state_after: e.state_after,
                    })
                    .collect(),
                allowed_actions: allowed_actions(&case, &a),
                evidence: case_evidence(c, &case)?,
                chain_break: verify_chain(&events),
                countdown_secs: case.countdown_secs(now),
                countdown_label: crate::case::countdown_label(case.countdown_secs(now)),
                escalation: assess(&case, &policy, now),
                case,
            })
        })
    }
}
