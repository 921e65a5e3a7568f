//! 网格与人员: who covers what, for an office — every grid of a region in
//! the person's reach with its workers today (primary and backup),
//! households and places; and the people of that reach with their roles,
//! jurisdictions and the grids they work today.

use serde::{Deserialize, Serialize};

use super::regions::region_path;
use super::users::{actor, grid_assignments, load_user, local_day};
use super::Store;
use crate::db::Sql;
use crate::error::{CoreError, Result};
use crate::user::{AssignmentKind, Role, User};

/// A worker of a grid, today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridWorker {
    pub user_id: String,
    pub name: String,
    pub kind: AssignmentKind,
}

/// One grid and who covers it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GridRoster {
    pub code: String,
    pub name: String,
    pub village_code: String,
    pub village_name: String,
    pub households: u32,
    pub places: u32,
    /// Primary first, then backups, by name; empty: nobody covers it.
    pub workers: Vec<GridWorker>,
}

/// A person, with the grids they work today (grid workers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PersonRow {
    pub user: User,
    pub grids: Vec<String>,
}

/// Grids and people of a reach.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Roster {
    /// The day (China Standard Time) "today" means here.
    pub day: chrono::NaiveDate,
    pub grids: Vec<GridRoster>,
    pub people: Vec<PersonRow>,
}

impl Store {
    /// The roster of `region` (a code in reach; `None`: the whole reach).
    /// Grid workers are refused: this is an office's view.
    pub fn roster(&self, user_id: &str, region: Option<&str>) -> Result<Roster> {
        let now = self.now();
        self.read_sql(|sql| roster(sql, user_id, region, now))
    }
}

/// The roster as `user_id` sees it at `now` (on either engine).
pub(crate) fn roster(
    sql: Sql<'_>,
    user_id: &str,
    region: Option<&str>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Roster> {
    let day = local_day(now);
    let a = actor(sql, user_id, now)?;
    if a.role == Role::GridWorker {
        return Err(CoreError::not_permitted(
            "网格员请使用手机查看自己的网格 / grid workers see their grids on the phone",
        ));
    }
    let mut grids = Vec::new();
    let mut paths = Vec::new();
    {
        let rows = sql.query_map(
            "SELECT g.code, g.name, g.village_code, COALESCE(v.name, g.village_code),
               (SELECT COUNT(*) FROM household h WHERE h.grid_code = g.code AND h.kind = 'household'),
               (SELECT COUNT(*) FROM household h WHERE h.grid_code = g.code AND h.kind <> 'household')
             FROM grid g LEFT JOIN region v ON v.code = g.village_code ORDER BY g.code",
            &[],
            |r| {
                Ok((
                    r.get::<String>(0)?,
                    r.get::<String>(1)?,
                    r.get::<String>(2)?,
                    r.get::<String>(3)?,
                    r.get::<u32>(4)?,
                    r.get::<u32>(5)?,
                ))
            },
        )?;
        for (code, name, village_code, village_name, households, places) in rows {
            let path = region_path(sql, &code)?;
            if !a.reaches(&path) || region.is_some_and(|r| !path.contains_code(r)) {
                continue;
            }
            let mut workers = Vec::new();
            for asg in grid_assignments(sql, &code, day)? {
                let name =
                    load_user(sql, &asg.user_id)?.map_or_else(|| asg.user_id.clone(), |u| u.name);
                workers.push(GridWorker {
                    user_id: asg.user_id,
                    name,
                    kind: asg.kind,
                });
            }
            workers.sort_by(|x, y| {
                (x.kind != AssignmentKind::Primary, &x.name)
                    .cmp(&(y.kind != AssignmentKind::Primary, &y.name))
            });
            paths.push(path);
            grids.push(GridRoster {
                code,
                name,
                village_code,
                village_name,
                households,
                places,
                workers,
            });
        }
    }
    if let Some(r) = region {
        if grids.is_empty() {
            return Err(CoreError::not_found("region", r));
        }
    }
    // People: the grids' workers, and everyone whose jurisdiction
    // lies on a path of those grids (secretaries, supervisors).
    let shown: std::collections::HashSet<&str> = grids.iter().map(|g| g.code.as_str()).collect();
    let mut people = Vec::new();
    let ids: Vec<String> = sql.query_map(
        "SELECT id FROM app_user ORDER BY role, name, id",
        &[],
        |r| r.get(0),
    )?;
    for id in ids {
        let Some(user) = load_user(sql, &id)? else {
            continue;
        };
        let who = actor(sql, &id, now)?;
        let works: Vec<String> = who
            .grids
            .iter()
            .filter(|g| shown.contains(g.as_str()))
            .cloned()
            .collect();
        let oversees = user.role != Role::GridWorker
            && user.role != Role::Administrator
            && paths
                .iter()
                .any(|p| user.jurisdiction.iter().any(|j| p.contains_code(j)));
        let is_admin = user.role == Role::Administrator && a.role == Role::Administrator;
        if !works.is_empty() || oversees || is_admin {
            people.push(PersonRow { user, grids: works });
        }
    }
    Ok(Roster { day, grids, people })
}
