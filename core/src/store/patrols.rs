//! Patrols and their tracks.

use rusqlite::{Connection, OptionalExtension};

use super::households::require_grid_reach;
use super::regions::load_grid;
use super::users::actor;
use super::{from_json, new_id, Store, Writer};
use crate::clock::{from_ms, to_ms};
use crate::error::{CoreError, Result};
use crate::geofence::{judge, GeofencePolicy};
use crate::location::LocationFix;
use crate::outbox::Operation;
use crate::patrol::{track_distance, Patrol, TrackPoint};
use crate::user::Role;

fn load_patrol(conn: &Connection, id: &str) -> Result<Option<Patrol>> {
    Ok(conn.prepare_cached("SELECT id, grid_code, worker_id, started_at, ended_at, distance_m, fix_count, track_discarded
             FROM patrol WHERE id = ?1")?.query_row(
            [id],
            |r| {
                Ok(Patrol {
                    id: r.get(0)?,
                    grid_code: r.get(1)?,
                    worker_id: r.get(2)?,
                    started_at: from_ms(r.get(3)?),
                    ended_at: r.get::<_, Option<i64>>(4)?.map(from_ms),
                    distance_m: r.get(5)?,
                    fix_count: r.get(6)?,
                    track_discarded: r.get::<_, i64>(7)? != 0,
                })
            },
        )
        .optional()?)
}

/// The patrol, if it is this worker's own; otherwise not found.
fn own_patrol(conn: &Connection, user_id: &str, patrol_id: &str) -> Result<Patrol> {
    load_patrol(conn, patrol_id)?
        .filter(|p| p.worker_id == user_id)
        .ok_or_else(|| CoreError::not_found("patrol", patrol_id))
}

fn last_fix(conn: &Connection, patrol_id: &str) -> Result<Option<(u32, LocationFix)>> {
    let row: Option<(u32, String)> = conn
        .prepare_cached(
            "SELECT seq, body FROM patrol_fix WHERE patrol_id = ?1 ORDER BY seq DESC LIMIT 1",
        )?
        .query_row([patrol_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    row.map(|(seq, body)| Ok((seq, from_json::<TrackPoint>("patrol_fix.body", &body)?.fix)))
        .transpose()
}

impl Writer<'_> {
    fn add_track(&mut self, patrol: &Patrol, fixes: &[LocationFix]) -> Result<Vec<TrackPoint>> {
        for (i, f) in fixes.iter().enumerate() {
            f.validate(&format!("fixes[{i}]"))?;
        }
        let grid = load_grid(self.sql(), &patrol.grid_code)?
            .ok_or_else(|| CoreError::not_found("grid", &patrol.grid_code))?;
        let policy = GeofencePolicy::default();
        let last = last_fix(self.sqlite()?, &patrol.id)?;
        let mut seq = last.as_ref().map_or(0, |(s, _)| *s);
        let added = track_distance(last.as_ref().map(|(_, f)| f), fixes, policy.max_accuracy_m);
        let mut points = Vec::with_capacity(fixes.len());
        for fix in fixes {
            seq += 1;
            let point = TrackPoint {
                seq,
                fix: fix.clone(),
                verdict: judge(fix, &grid.boundary, None, &policy),
            };
            self.sqlite()?
                .prepare_cached(
                    "INSERT INTO patrol_fix (patrol_id, seq, body) VALUES (?1, ?2, ?3)",
                )?
                .execute(rusqlite::params![
                    patrol.id,
                    seq,
                    serde_json::to_string(&point)?
                ])?;
            points.push(point);
        }
        self.sqlite()?.prepare_cached("UPDATE patrol SET distance_m = distance_m + ?2, fix_count = fix_count + ?3 WHERE id = ?1")?.execute(
            rusqlite::params![patrol.id, added, fixes.len() as i64],
        )?;
        if !points.is_empty() {
            self.emit(&Operation::TrackRecorded {
                patrol_id: patrol.id.clone(),
                points: points.clone(),
            })?;
        }
        Ok(points)
    }
}

impl Store {
    /// Start a patrol over one of the worker's grids, optionally with a
    /// first fix.
    pub fn start_patrol(
        &self,
        user_id: &str,
        grid_code: &str,
        fix: Option<&LocationFix>,
    ) -> Result<Patrol> {
        self.write(|w| {
            let a = actor(w.sql(), user_id, w.now)?;
            if a.role != Role::GridWorker {
                return Err(CoreError::not_permitted(
                    "只有网格员巡查 / only grid workers patrol",
                ));
            }
            require_grid_reach(w.sql(), &a, grid_code)?;
            let patrol = Patrol {
                id: new_id(),
                grid_code: grid_code.to_string(),
                worker_id: user_id.to_string(),
                started_at: w.now,
                ended_at: None,
                distance_m: 0.0,
                fix_count: 0,
                track_discarded: false,
            };
            w.sqlite()?.prepare_cached(
                "INSERT INTO patrol (id, grid_code, worker_id, started_at) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(rusqlite::params![
                patrol.id,
                patrol.grid_code,
                patrol.worker_id,
                to_ms(patrol.started_at)
            ])?;
            w.emit(&Operation::PatrolStarted {
                patrol: patrol.clone(),
            })?;
            if let Some(f) = fix {
                w.add_track(&patrol, std::slice::from_ref(f))?;
            }
            Ok(load_patrol(w.sqlite()?, &patrol.id)?.unwrap_or(patrol))
        })
    }

    /// Add location fixes to an open patrol; returns each fix's verdict.
    pub fn add_track_points(
        &self,
        user_id: &str,
        patrol_id: &str,
        fixes: &[LocationFix],
    ) -> Result<Vec<TrackPoint>> {
        self.write(|w| {
            let p = own_patrol(w.sqlite()?, user_id, patrol_id)?;
            if p.ended_at.is_some() {
                return Err(CoreError::conflict("巡查已结束 / the patrol has ended"));
            }
            w.add_track(&p, fixes)
        })
    }

    /// End a patrol. Ending twice is refused.
    pub fn end_patrol(&self, user_id: &str, patrol_id: &str) -> Result<Patrol> {
        self.write(|w| {
            let p = own_patrol(w.sqlite()?, user_id, patrol_id)?;
            if p.ended_at.is_some() {
                return Err(CoreError::conflict("巡查已结束 / the patrol has ended"));
            }
            w.sqlite()?
                .prepare_cached("UPDATE patrol SET ended_at = ?2 WHERE id = ?1")?
                .execute(rusqlite::params![patrol_id, to_ms(w.now)])?;
            w.emit(&Operation::PatrolEnded {
                patrol_id: patrol_id.to_string(),
                ended_at: w.now,
                distance_m: p.distance_m,
            })?;
            own_patrol(w.sqlite()?, user_id, patrol_id)
        })
    }

    /// The worker deletes their own track (the patrol record and its visits
    /// stay): the track is evidence they control, not surveillance.
    pub fn discard_track(&self, user_id: &str, patrol_id: &str) -> Result<Patrol> {
        self.write(|w| {
            own_patrol(w.sqlite()?, user_id, patrol_id)?;
            w.sqlite()?.prepare_cached("DELETE FROM patrol_fix WHERE patrol_id = ?1")?.execute( [patrol_id])?;
            w.sqlite()?.prepare_cached("UPDATE patrol SET track_discarded = 1, fix_count = 0, distance_m = 0 WHERE id = ?1")?.execute(
                [patrol_id],
            )?;
            w.emit(&Operation::TrackDiscarded { patrol_id: patrol_id.to_string() })?;
            own_patrol(w.sqlite()?, user_id, patrol_id)
        })
    }

    /// The worker's patrol still under way (the latest, if several were
    /// left open), so the app can resume it after a restart.
    pub fn open_patrol(&self, user_id: &str) -> Result<Option<Patrol>> {
        self.read(|c| {
            let id: Option<String> = c
                .prepare_cached(
                    "SELECT id FROM patrol WHERE worker_id = ?1 AND ended_at IS NULL
                     ORDER BY started_at DESC LIMIT 1",
                )?
                .query_row([user_id], |r| r.get(0))
                .optional()?;
            match id {
                Some(id) => load_patrol(c, &id),
                None => Ok(None),
            }
        })
    }

    /// A patrol's recorded track (the worker's own only).
    pub fn track(&self, user_id: &str, patrol_id: &str) -> Result<Vec<TrackPoint>> {
        self.read(|c| {
            own_patrol(c, user_id, patrol_id)?;
            let mut stmt =
                c.prepare_cached("SELECT body FROM patrol_fix WHERE patrol_id = ?1 ORDER BY seq")?;
            let rows = stmt.query_map([patrol_id], |r| r.get::<_, String>(0))?;
            rows.map(|b| from_json("patrol_fix.body", &b?)).collect()
        })
    }
}
