//! Whole-database figures for an administrator (`GET /v1/admin/report`,
//! the demo's closing summary): read straight from the tables, so that
//! what is printed is what the server holds, not what a client thinks it
//! sent.

use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use super::Store;
use crate::error::Result;

/// One labelled count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Count {
    pub key: String,
    pub count: u64,
}

/// What the server's database holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServerFigures {
    pub townships: u64,
    pub villages: u64,
    pub grids: u64,
    /// Grids no grid worker is assigned to (any day).
    pub grids_without_worker: u64,
    pub users_by_role: Vec<Count>,
    /// Households (kind `household`) and places (every other kind).
    pub households: u64,
    pub places: u64,
    pub households_visited: u64,
    pub places_visited: u64,
    pub visits: u64,
    pub cases: u64,
    pub cases_by_priority: Vec<Count>,
    pub cases_by_state: Vec<Count>,
    pub cases_by_severity: Vec<Count>,
    pub case_events: u64,
    /// Escalations recorded by the engine, by level (1 township, 2 city).
    pub escalations: u64,
    pub escalations_by_level: Vec<Count>,
    pub inbox_items: u64,
    pub push_jobs_by_state: Vec<Count>,
    pub evidence: u64,
    /// Evidence whose photo the server received whole and verified.
    pub evidence_stored: u64,
    pub evidence_stored_bytes: u64,
    /// Operations devices pushed (each answered once), and of those refused.
    pub ops_received: u64,
    pub ops_rejected: u64,
    /// Rows of the change log devices pull from.
    pub changes_logged: u64,
}

fn one(c: &Connection, sql: &str) -> Result<u64> {
    let n: i64 = c.query_row(sql, [], |r| r.get(0))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

fn counts(c: &Connection, sql: &str) -> Result<Vec<Count>> {
    let mut stmt = c.prepare(sql)?;
    let rows = stmt.query_map([], |r| {
        Ok(Count {
            key: r.get::<_, String>(0)?,
            count: u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

impl Store {
    /// The figures of the whole database (callers check the administrator).
    pub fn server_figures(&self) -> Result<ServerFigures> {
        self.read(|c| {
            Ok(ServerFigures {
                townships: one(c, "SELECT COUNT(*) FROM region WHERE level = 'township'")?,
                villages: one(c, "SELECT COUNT(*) FROM region WHERE level = 'village'")?,
                grids: one(c, "SELECT COUNT(*) FROM grid")?,
                grids_without_worker: one(
                    c,
                    "SELECT COUNT(*) FROM grid g WHERE NOT EXISTS (SELECT 1 FROM assignment a WHERE a.grid_code = g.code)",
                )?,
                users_by_role: counts(
                    c,
                    "SELECT role, COUNT(*) FROM app_user GROUP BY role ORDER BY role",
                )?,
                households: one(c, "SELECT COUNT(*) FROM household WHERE kind = 'household'")?,
                places: one(c, "SELECT COUNT(*) FROM household WHERE kind <> 'household'")?,
                households_visited: one(
                    c,
                    "SELECT COUNT(*) FROM household WHERE kind = 'household' AND last_visit_at IS NOT NULL",
                )?,
                places_visited: one(
                    c,
                    "SELECT COUNT(*) FROM household WHERE kind <> 'household' AND last_visit_at IS NOT NULL",
                )?,
                visits: one(c, "SELECT COUNT(*) FROM visit")?,
                cases: one(c, "SELECT COUNT(*) FROM case_file")?,
                cases_by_priority: counts(
                    c,
                    "SELECT priority, COUNT(*) FROM case_file GROUP BY priority ORDER BY priority",
                )?,
                cases_by_state: counts(
                    c,
                    "SELECT state, COUNT(*) FROM case_file GROUP BY state ORDER BY state",
                )?,
                cases_by_severity: counts(
                    c,
                    "SELECT severity, COUNT(*) FROM case_file GROUP BY severity ORDER BY severity",
                )?,
                case_events: one(c, "SELECT COUNT(*) FROM case_event")?,
                escalations: one(c, "SELECT COUNT(*) FROM escalation")?,
                escalations_by_level: counts(
                    c,
                    "SELECT CAST(level AS TEXT), COUNT(*) FROM escalation GROUP BY level ORDER BY level",
                )?,
                inbox_items: one(c, "SELECT COUNT(*) FROM inbox_item")?,
                push_jobs_by_state: counts(
                    c,
                    "SELECT state, COUNT(*) FROM push_job GROUP BY state ORDER BY state",
                )?,
                evidence: one(c, "SELECT COUNT(*) FROM evidence")?,
                evidence_stored: one(
                    c,
                    "SELECT COUNT(*) FROM evidence WHERE upload_state = 'stored'",
                )?,
                evidence_stored_bytes: one(
                    c,
                    "SELECT COALESCE(SUM(size), 0) FROM evidence WHERE upload_state = 'stored'",
                )?,
                ops_received: one(c, "SELECT COUNT(*) FROM op_log")?,
                ops_rejected: one(
                    c,
                    "SELECT COUNT(*) FROM op_log WHERE json_extract(answer, '$.status') = 'rejected'",
                )?,
                changes_logged: one(c, "SELECT COUNT(*) FROM change_log")?,
            })
        })
    }

    /// SHA-256 and size of every stored photo (for checking the blobs).
    pub fn stored_evidence_hashes(&self) -> Result<Vec<(String, u64)>> {
        self.read(|c| {
            let mut stmt = c.prepare(
                "SELECT sha256, size FROM evidence WHERE upload_state = 'stored' ORDER BY id",
            )?;
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                ))
            })?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        })
    }
}
