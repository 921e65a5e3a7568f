//! "My day": what a worker's own day produced, for the worker to see (and
//! to show as evidence of work if they choose). Not a ranking: it is only
//! ever computed for the person asking, about themselves.

use chrono::{Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::users::actor;
use super::Store;
use crate::clock::to_ms;
use crate::error::{CoreError, Result};

/// How many visits had one location verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerdictCount {
    pub status: String,
    pub count: u32,
}

/// The day screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DaySummary {
    pub day: NaiveDate,
    pub patrols: u32,
    pub distance_m: f64,
    pub visits: u32,
    pub households_visited: u32,
    /// Visits by location verdict (`consistent`, `mock`, …; `none` without a fix).
    pub verdicts: Vec<VerdictCount>,
    pub hazards_found: u32,
    pub cases_reported: u32,
    pub resolved_on_spot: u32,
    pub photos: u32,
}

impl Store {
    /// The caller's own day (local China date).
    pub fn my_day(&self, user_id: &str, day: NaiveDate) -> Result<DaySummary> {
        let now = self.now();
        self.read(|c| {
            actor(c, user_id, now)?;
            // Local midnight (UTC+8) to local midnight.
            let start = Utc
                .from_local_datetime(&day.and_hms_opt(0, 0, 0).ok_or_else(|| CoreError::invalid("day", "bad date"))?)
                .single()
                .ok_or_else(|| CoreError::invalid("day", "bad date"))?
                - Duration::hours(8);
            let (a, b) = (to_ms(start), to_ms(start + Duration::days(1)));
            let one = |sql: &str| -> Result<i64> {
                Ok(c.query_row(sql, rusqlite::params![user_id, a, b], |r| r.get::<_, Option<i64>>(0))?
                    .unwrap_or(0))
            };
            let distance: f64 = c.prepare_cached("SELECT COALESCE(SUM(distance_m), 0) FROM patrol WHERE worker_id = ?1 AND started_at >= ?2 AND started_at < ?3")?.query_row(
                rusqlite::params![user_id, a, b],
                |r| r.get(0),
            )?;
            let mut stmt = c.prepare(
                "SELECT COALESCE(verdict_status, 'none'), COUNT(*) FROM visit
                 WHERE worker_id = ?1 AND at >= ?2 AND at < ?3 GROUP BY 1 ORDER BY 2 DESC, 1",
            )?;
            let verdicts = stmt
                .query_map(rusqlite::params![user_id, a, b], |r| {
                    Ok(VerdictCount {
                        status: r.get(0)?,
                        count: r.get(1)?,
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(DaySummary {
                day,
                patrols: one("SELECT COUNT(*) FROM patrol WHERE worker_id = ?1 AND started_at >= ?2 AND started_at < ?3")? as u32,
                distance_m: distance,
                visits: one("SELECT COUNT(*) FROM visit WHERE worker_id = ?1 AND at >= ?2 AND at < ?3")? as u32,
                households_visited: one(
                    "SELECT COUNT(DISTINCT household_code) FROM visit WHERE worker_id = ?1 AND at >= ?2 AND at < ?3",
                )? as u32,
                verdicts,
                hazards_found: one(
                    "SELECT SUM(hazard_count) FROM visit WHERE worker_id = ?1 AND at >= ?2 AND at < ?3",
                )? as u32,
                cases_reported: one(
                    "SELECT COUNT(*) FROM case_file WHERE reporter_id = ?1 AND reported_at >= ?2 AND reported_at < ?3",
                )? as u32,
                resolved_on_spot: one(
                    "SELECT COUNT(*) FROM case_event WHERE actor_id = ?1 AND at >= ?2 AND at < ?3 AND kind = 'resolved'
                       AND json_extract(body, '$.kind.on_spot') = 1",
                )? as u32,
                photos: one(
                    // EXISTS per photo of the day, not IN (every visit id of the
                    // worker's year, built as a list on each call: 50 ms at 50,000).
                    "SELECT COUNT(*) FROM evidence e WHERE e.created_at >= ?2 AND e.created_at < ?3 AND (
                       (e.owner_kind = 'visit' AND EXISTS (SELECT 1 FROM visit v WHERE v.id = e.owner_id AND v.worker_id = ?1))
                       OR (e.owner_kind = 'case' AND EXISTS (SELECT 1 FROM case_file c
                             WHERE c.id = e.owner_id AND (c.reporter_id = ?1 OR c.handler_id = ?1))))",
                )? as u32,
            })
        })
    }
}
