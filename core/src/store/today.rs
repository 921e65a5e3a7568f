//! The phone's "today" screen in one call: my grids and what is due, my
//! open cases by countdown, unread messages, and what waits to sync. The
//! app renders it as is (no counting or sorting in the shell).

use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::OptionalExtension;
use serde::{Deserialize, Serialize};

use super::cases::{CaseRow, CaseScope};
use super::day::DaySummary;
use super::screens::GridSummary;
use super::Store;
use crate::clock::{from_ms, to_ms};
use crate::error::Result;
use crate::patrol::Patrol;
use crate::user::Role;

/// How many of my open cases the screen lists (most urgent first).
pub const TODAY_CASES: u32 = 20;

/// The "today" screen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TodayScreen {
    pub grids: Vec<GridSummary>,
    /// Households and places due a visit, over all my grids.
    pub due_visits: u32,
    /// My open cases (handler or reporter), the nearest deadline first.
    pub open_cases: Vec<CaseRow>,
    pub unread_messages: u32,
    /// Operations recorded here and not yet accepted by the server.
    pub pending_operations: u64,
    /// Photos not yet stored on the server, and their bytes.
    pub photos_waiting: u32,
    pub photo_bytes_waiting: u64,
    /// When a sync last completed; `None` before the first.
    pub last_synced_at: Option<DateTime<Utc>>,
    /// What this person did today (visits, patrols, hazards).
    pub day: DaySummary,
    /// The patrol under way, if any.
    pub open_patrol: Option<Patrol>,
    /// Visits begun and not yet recorded (kept across an app kill).
    pub unfinished_visits: Vec<super::UnfinishedVisit>,
    /// Whether this person patrols (grid workers do; the screen offers
    /// "start patrol" only to them).
    pub patrols: bool,
}

impl Store {
    /// Everything the "today" screen shows for `user_id` on `day`.
    pub fn today(&self, user_id: &str, day: NaiveDate) -> Result<TodayScreen> {
        let grids = self.my_grids(user_id)?;
        let mut open_cases = self.cases(user_id, CaseScope::Mine, true, 0, 500)?;
        // Overdue first, then the nearest deadline; cases without one last.
        open_cases.sort_by_key(|c| (c.countdown_secs.is_none(), c.countdown_secs));
        open_cases.truncate(TODAY_CASES as usize);
        let queue = self.upload_queue_status()?;
        Ok(TodayScreen {
            due_visits: grids.iter().map(|g| g.due_visits).sum(),
            grids,
            open_cases,
            unread_messages: self.inbox(user_id, true, 0, 1)?.unread,
            pending_operations: self.outbox_len()?,
            photos_waiting: queue.waiting + queue.uploading + queue.failed,
            photo_bytes_waiting: queue.bytes_waiting,
            last_synced_at: self.last_synced_at()?,
            day: self.my_day(user_id, day)?,
            open_patrol: self.open_patrol(user_id)?,
            unfinished_visits: self.unfinished_visits(user_id)?,
            patrols: self.user(user_id)?.role == Role::GridWorker,
        })
    }

    /// When a sync last completed.
    pub fn last_synced_at(&self) -> Result<Option<DateTime<Utc>>> {
        let ms: Option<String> = self.read(|c| {
            Ok(
                c.prepare_cached("SELECT value FROM meta WHERE key = 'last_synced_at'")?
                    .query_row([], |r| r.get(0))
                    .optional()?,
            )
        })?;
        Ok(ms.and_then(|v| v.parse::<i64>().ok()).map(from_ms))
    }

    /// Remember that a sync completed now (by this store's clock).
    pub(crate) fn mark_synced(&self) -> Result<()> {
        let now = to_ms(self.now());
        self.write_silent(|w| {
            w.sqlite()?
                .prepare_cached(
                    "INSERT INTO meta (key, value) VALUES ('last_synced_at', ?1)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                )?
                .execute([now.to_string()])?;
            Ok(())
        })
    }
}
