//! Whole-database figures for an administrator (`GET /v1/admin/report`,
//! the demo's closing summary): read straight from the tables, so that
//! what is printed is what the server holds, not what a client thinks it
//! sent.

use serde::{Deserialize, Serialize};

use super::Store;
use crate::db::{Dialect, Sql};
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

fn one(c: Sql<'_>, sql: &str) -> Result<u64> {
    let n: i64 = c.query_row(sql, &[], |r| r.get(0))?.unwrap_or_default();
    Ok(u64::try_from(n).unwrap_or(0))
}

fn counts(c: Sql<'_>, sql: &str) -> Result<Vec<Count>> {
    c.query_map(sql, &[], |r| {
        Ok(Count {
            key: r.get::<String>(0)?,
            count: u64::try_from(r.get::<i64>(1)?).unwrap_or(0),
        })
    })
}

/// The figures of the whole database, on either engine.
pub(crate) fn server_figures(c: Sql<'_>) -> Result<ServerFigures> {
    // The one JSON look-up here: each engine's own function.
    let rejected = match c.dialect() {
        Dialect::Sqlite => {
            "SELECT COUNT(*) FROM op_log WHERE json_extract(answer, '$.status') = 'rejected'"
        }
        Dialect::Postgres => {
            "SELECT COUNT(*) FROM op_log WHERE CAST(answer AS JSON) ->> 'status' = 'rejected'"
        }
    };
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
        // SUM of BIGINT is NUMERIC on PostgreSQL: cast back.
        evidence_stored_bytes: one(
            c,
            "SELECT CAST(COALESCE(SUM(size), 0) AS BIGINT) FROM evidence WHERE upload_state = 'stored'",
        )?,
        ops_received: one(c, "SELECT COUNT(*) FROM op_log")?,
        ops_rejected: one(c, rejected)?,
        changes_logged: one(c, "SELECT COUNT(*) FROM change_log")?,
    })
}

impl Store {
    /// The figures of the whole database (callers check the administrator).
    pub fn server_figures(&self) -> Result<ServerFigures> {
        self.read_sql(server_figures)
    }

    /// SHA-256 and size of every stored photo (for checking the blobs).
    pub fn stored_evidence_hashes(&self) -> Result<Vec<(String, u64)>> {
        self.read_sql(|c| {
            c.query_map(
                "SELECT sha256, size FROM evidence WHERE upload_state = 'stored' ORDER BY id",
                &[],
                |r| Ok((r.get::<String>(0)?, r.get::<u64>(1)?)),
            )
        })
    }
}
