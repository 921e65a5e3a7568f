//! The server's side of evidence bytes: who may upload (or download) the
//! photo of an evidence record, and marking a record stored once its bytes
//! were verified against the record's SHA-256. Kept apart from
//! `evidence.rs` (the device's recording path) because only the server role
//! ever links bytes to a record.

use super::cases::visible_case;
use super::evidence::load_evidence;
use super::regions::region_path;
use super::visits::load_visit;
use super::{Store, StoreRole, Writer};
use crate::db::Sql;
use crate::error::{CoreError, Result};
use crate::evidence::{EvidenceOwner, EvidenceRecord, UploadState};
use crate::outbox::Operation;
use crate::user::Actor;

/// Whether a person may reach one evidence record.
#[derive(Debug, Clone, PartialEq)]
pub enum EvidenceAccess {
    /// The server has no such record: the phone must push it first.
    Unknown,
    /// The record exists, outside the person's reach.
    OutOfReach,
    /// The record, which the person may upload or read the photo of.
    Allowed(EvidenceRecord),
    /// The person may see the record but not send its photo: only whoever
    /// took it may (the visit's worker; a case's reporter or handler).
    SeenNotWritable,
}

/// Who may send a photo's bytes: the worker whose visit it is, or for a
/// case the person who reported it or handles it (before and after
/// photos). A secretary or supervisor who may see it may not replace or
/// cancel it.
fn may_write<'a>(conn: impl Into<Sql<'a>>, actor: &Actor, e: &EvidenceRecord) -> Result<bool> {
    let conn = conn.into();
    match &e.owner {
        EvidenceOwner::Visit { visit_id } => {
            Ok(load_visit(conn, visit_id)?.is_some_and(|v| v.worker_id == actor.user_id))
        }
        EvidenceOwner::Case { case_id, .. } => match visible_case(conn, actor, case_id) {
            Ok(c) => Ok(c.reporter_id == actor.user_id
                || c.handler_id.as_deref() == Some(actor.user_id.as_str())),
            Err(CoreError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        },
    }
}

/// The same reach rule as pushing and pulling the record: the visit is the
/// person's own or in a grid they reach; the case is one they may see.
fn may_reach<'a>(conn: impl Into<Sql<'a>>, actor: &Actor, e: &EvidenceRecord) -> Result<bool> {
    let conn = conn.into();
    match &e.owner {
        EvidenceOwner::Visit { visit_id } => match load_visit(conn, visit_id)? {
            Some(v) if v.worker_id == actor.user_id => Ok(true),
            Some(v) => Ok(region_path(conn, &v.grid_code).is_ok_and(|p| actor.reaches(&p))),
            None => Ok(false),
        },
        EvidenceOwner::Case { case_id, .. } => match visible_case(conn, actor, case_id) {
            Ok(_) => Ok(true),
            Err(CoreError::NotFound { .. }) => Ok(false),
            Err(e) => Err(e),
        },
    }
}

impl Store {
    /// The evidence record `id` as `user_id` may reach it.
    pub fn evidence_access(&self, user_id: &str, id: &str) -> Result<EvidenceAccess> {
        self.access(user_id, id, false)
    }

    /// The evidence record `id` as `user_id` may send its photo: `Allowed`
    /// only for whoever took it, `SeenNotWritable` for others who may see it.
    pub fn evidence_write_access(&self, user_id: &str, id: &str) -> Result<EvidenceAccess> {
        self.access(user_id, id, true)
    }

    fn access(&self, user_id: &str, id: &str, write: bool) -> Result<EvidenceAccess> {
        let actor = self.actor(user_id)?;
        self.read_sql(|c| {
            let Some(mut e) = load_evidence(c, id)? else {
                return Ok(EvidenceAccess::Unknown);
            };
            if !may_reach(c, &actor, &e)? {
                return Ok(EvidenceAccess::OutOfReach);
            }
            if write && !may_write(c, &actor, &e)? {
                return Ok(EvidenceAccess::SeenNotWritable);
            }
            // Where the server keeps files is nobody's business outside it.
            e.local_path = None;
            Ok(EvidenceAccess::Allowed(e))
        })
    }

    /// The photo of evidence `id` was received whole and its SHA-256
    /// matched the record: mark it stored, and log the change so the phones
    /// that see the record (the secretary's too) pull the stored state.
    /// Idempotent: a record already stored is returned as it is.
    pub fn mark_evidence_stored(&self, id: &str) -> Result<EvidenceRecord> {
        let mut marked = self.mark_evidence_stored_many(&[id.to_string()])?;
        marked
            .pop()
            .ok_or_else(|| CoreError::not_found("evidence", id))
    }

    /// Mark many photos stored in one durable commit (the server's batched
    /// finalisation: one flush for a batch instead of one per photo). All
    /// or none: an unknown id fails the whole batch.
    pub fn mark_evidence_stored_many(&self, ids: &[String]) -> Result<Vec<EvidenceRecord>> {
        if self.role() != StoreRole::Server {
            return Err(CoreError::not_permitted(
                "只有服务器能确认照片已保存 / only the server marks evidence stored",
            ));
        }
        self.write(|w| {
            let mut marked = Vec::with_capacity(ids.len());
            for id in ids {
                marked.push(mark_stored(w, id)?);
            }
            Ok(marked)
        })
    }
}

fn mark_stored(w: &mut Writer<'_>, id: &str) -> Result<EvidenceRecord> {
    let mut e = load_evidence(w.sql(), id)?.ok_or_else(|| CoreError::not_found("evidence", id))?;
    if e.upload_state == UploadState::Stored && e.upload_offset == e.size {
        return Ok(e);
    }
    w.sql().execute(
        "UPDATE evidence SET upload_state = 'stored', upload_offset = size, last_error = NULL
         WHERE id = ?1",
        &[&id],
    )?;
    e.upload_state = UploadState::Stored;
    e.upload_offset = e.size;
    e.last_error = None;
    e.local_path = None;
    // Pulls read the row as it is now; the operation only names the
    // record and the grid it belongs to.
    w.emit(&Operation::EvidenceRecorded {
        evidence: e.clone(),
    })?;
    Ok(e)
}
