//! Unfinished visits, kept on the phone as they are filled in.
//!
//! A cheap phone often kills the app while the system camera is open; the
//! photo is already in app storage, and the answers must be too. A draft
//! is the visit screen's `VisitInput` as it stands, one per worker and
//! household, in the (encrypted) store: never synced, replaced on every
//! save, gone once the visit is recorded or the worker discards it.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use super::checklists::current_template;
use super::households::{load_household, require_grid_reach};
use super::users::actor;
use super::visits::VisitInput;
use super::{from_json, Store, Writer};
use crate::clock::{from_ms, to_ms};
use crate::error::{CoreError, Result};
use crate::limits::{check_count, check_text, counts, text, TextKind};
use crate::user::Role;

/// A visit begun and not yet recorded, as Today lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnfinishedVisit {
    pub household_code: String,
    pub household_name: String,
    pub grid_code: String,
    /// Answers and photos so far.
    pub answered: u32,
    pub photos: u32,
    pub updated_at: DateTime<Utc>,
}

impl Store {
    /// Keep the visit screen's answers so far (replacing the last draft for
    /// that household; an empty one removes it). Nothing is checked for
    /// completeness: that is what recording the visit does. Sizes are
    /// bounded as for a visit.
    pub fn save_visit_draft(&self, user_id: &str, draft: &VisitInput) -> Result<()> {
        check_text("notes", &draft.notes, text::NOTE, TextKind::Block)?;
        check_count("answers", draft.answers.len(), counts::ANSWERS)?;
        check_count("photos", draft.photos.len(), counts::PHOTOS)?;
        let body = serde_json::to_string(draft)?;
        self.write_relaxed(|w| {
            check_visitable(w, user_id, &draft.household_code)?;
            // Nothing answered, photographed or noted is not an unfinished
            // visit (a screen opened and left, or everything cleared).
            if draft.answers.is_empty() && draft.photos.is_empty() && draft.notes.trim().is_empty()
            {
                return w.delete_visit_draft(user_id, &draft.household_code);
            }
            w.sqlite()?
                .prepare_cached(
                    "INSERT INTO visit_draft (worker_id, household_code, body, updated_at)
                 VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (worker_id, household_code) DO UPDATE SET body = ?3, updated_at = ?4",
                )?
                .execute(rusqlite::params![
                    user_id,
                    draft.household_code,
                    body,
                    to_ms(w.now)
                ])?;
            Ok(())
        })
    }

    /// The draft kept for this household, if the visit was begun and not recorded.
    pub fn visit_draft(&self, user_id: &str, household_code: &str) -> Result<Option<VisitInput>> {
        self.read(|c| {
            let body: Option<String> = c
                .prepare_cached(
                    "SELECT body FROM visit_draft WHERE worker_id = ?1 AND household_code = ?2",
                )?
                .query_row([user_id, household_code], |r| r.get(0))
                .optional()?;
            let Some(draft) = body.map(|b| read_draft(&b)).transpose()? else {
                return Ok(None);
            };
            Ok(still_current(c, &draft)?.then_some(draft))
        })
    }

    /// Every visit this person began and has not recorded, the latest first.
    pub fn unfinished_visits(&self, user_id: &str) -> Result<Vec<UnfinishedVisit>> {
        self.read(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT d.household_code, h.name, h.grid_code, d.body, d.updated_at
                 FROM visit_draft d JOIN household h ON h.code = d.household_code
                 WHERE d.worker_id = ?1 ORDER BY d.updated_at DESC",
            )?;
            let rows = stmt.query_map([user_id], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            })?;
            let mut out = Vec::new();
            for row in rows {
                let (household_code, household_name, grid_code, body, updated_at) = row?;
                let draft = read_draft(&body)?;
                if !still_current(c, &draft)? {
                    continue;
                }
                out.push(UnfinishedVisit {
                    household_code,
                    household_name,
                    grid_code,
                    answered: u32::try_from(draft.answers.len()).unwrap_or(u32::MAX),
                    photos: u32::try_from(draft.photos.len()).unwrap_or(u32::MAX),
                    updated_at: from_ms(updated_at),
                });
            }
            Ok(out)
        })
    }

    /// Forget the draft for this household (the worker chose to start over).
    pub fn discard_visit_draft(&self, user_id: &str, household_code: &str) -> Result<()> {
        self.write_relaxed(|w| {
            w.delete_visit_draft(user_id, household_code)?;
            Ok(())
        })
    }
}

impl Writer<'_> {
    /// Drop a draft; recording the visit does this in its own transaction.
    pub(crate) fn delete_visit_draft(&self, user_id: &str, household_code: &str) -> Result<()> {
        self.sqlite()?
            .prepare_cached("DELETE FROM visit_draft WHERE worker_id = ?1 AND household_code = ?2")?
            .execute([user_id, household_code])?;
        Ok(())
    }
}

/// A draft as kept, without the photos whose file is missing or empty: the
/// screen puts a photo in the draft before the camera opens (so a photo
/// taken while the app was killed is found again), and a camera that was
/// cancelled, or died mid-write, leaves no usable file.
fn read_draft(body: &str) -> Result<VisitInput> {
    let mut draft: VisitInput = from_json("visit_draft", body)?;
    draft
        .photos
        .retain(|p| std::fs::metadata(&p.path).is_ok_and(|m| m.is_file() && m.len() > 0));
    Ok(draft)
}

/// Whether the draft was begun on the checklist version the household
/// would be visited with now: after a new version its answers would be
/// refused, so it is no longer an unfinished visit (the next save of the
/// visit replaces it).
fn still_current(c: &Connection, draft: &VisitInput) -> Result<bool> {
    let Some(h) = load_household(c, &draft.household_code)? else {
        return Ok(false);
    };
    Ok(current_template(c, h.kind)?
        .is_some_and(|t| t.id == draft.template_id && t.version == draft.template_version))
}

/// Only a grid worker who may visit the household keeps a draft for it;
/// a household out of reach is answered as one that does not exist.
fn check_visitable(w: &Writer<'_>, user_id: &str, household_code: &str) -> Result<()> {
    let a = actor(w.sql(), user_id, w.now)?;
    if a.role != Role::GridWorker {
        return Err(CoreError::not_permitted(
            "只有网格员记录走访 / only grid workers record visits",
        ));
    }
    let h = load_household(w.sql(), household_code)?
        .ok_or_else(|| CoreError::not_found("household", household_code))?;
    require_grid_reach(w.sql(), &a, &h.grid_code)
        .map_err(|_| CoreError::not_found("household", household_code))
}
