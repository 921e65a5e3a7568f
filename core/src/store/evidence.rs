//! Evidence rows and files: a photo is copied into the store's evidence
//! directory, hashed on the way, and its row (linked to the visit or case)
//! written in the caller's transaction.

use crate::db::{Row, Sql};

use super::{from_json, new_id, Store, Writer};
use crate::clock::{from_ms, to_ms};
use crate::error::{CoreError, Result};
use crate::evidence::{
    self, CasePhotoPhase, EvidenceOwner, EvidenceRecord, PhotoInput, UploadState,
};
use crate::location::LocationFix;
use crate::outbox::Operation;

fn extension_for(media_type: &str) -> &'static str {
    match media_type {
        "image/png" => "png",
        "image/webp" => "webp",
        "image/heic" => "heic",
        _ => "jpg",
    }
}

impl Writer<'_> {
    /// Copy, hash and record one photo for `owner`. `field` names the input
    /// in errors (e.g. `photos[2]`).
    pub(crate) fn record_photo(
        &mut self,
        owner: EvidenceOwner,
        p: &PhotoInput,
        field: &str,
    ) -> Result<EvidenceRecord> {
        self.record_photo_with(owner, p, field, true)
    }

    /// As `record_photo`; with `emit: false` the caller emits the record's
    /// operation later (a report's photos go after the report itself, so the
    /// server meets the case before its photos).
    pub(crate) fn record_photo_with(
        &mut self,
        owner: EvidenceOwner,
        p: &PhotoInput,
        field: &str,
        emit: bool,
    ) -> Result<EvidenceRecord> {
        evidence::validate_input(p, field)?;
        let id = new_id();
        let dest = self
            .evidence_dir
            .join(format!("{id}.{}", extension_for(&p.media_type)));
        self.created_files.push(dest.clone());
        let (sha256, size) = evidence::copy_durably(std::path::Path::new(&p.path), &dest)?;
        let record = EvidenceRecord {
            id,
            owner,
            item_code: p.item_code.clone(),
            sha256,
            size,
            media_type: p.media_type.clone(),
            taken_at: p.taken_at,
            fix: p.fix.clone(),
            local_path: Some(dest.display().to_string()),
            upload_state: UploadState::Waiting,
            upload_offset: 0,
            attempts: 0,
            last_error: None,
        };
        self.insert_evidence_row(&record)?;
        if emit {
            self.emit_evidence(&record)?;
        }
        Ok(record)
    }

    pub(crate) fn emit_evidence(&mut self, record: &EvidenceRecord) -> Result<()> {
        self.emit(&Operation::EvidenceRecorded {
            evidence: record.clone(),
        })
    }

    /// Store an evidence row and its operation.
    pub(crate) fn insert_evidence(&mut self, record: &EvidenceRecord) -> Result<()> {
        self.insert_evidence_row(record)?;
        self.emit_evidence(record)
    }

    fn insert_evidence_row(&mut self, record: &EvidenceRecord) -> Result<()> {
        let phase = match &record.owner {
            EvidenceOwner::Case { phase, .. } => Some(phase.as_str()),
            EvidenceOwner::Visit { .. } => None,
        };
        self.sql().execute("INSERT INTO evidence (id, owner_kind, owner_id, phase, item_code, sha256, size, media_type,
                                   taken_at, fix, local_path, upload_state, created_at, queued_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'waiting', ?12,
                     CASE WHEN CAST(?11 AS TEXT) IS NULL THEN NULL ELSE ?12 END)",
            &[
                &record.id,
                &record.owner.kind_str(),
                &record.owner.owner_id(),
                &phase,
                &record.item_code,
                &record.sha256,
                &(record.size as i64),
                &record.media_type,
                &to_ms(record.taken_at),
                &record.fix.as_ref().map(serde_json::to_string).transpose()?,
                &record.local_path,
                &to_ms(self.now),
            ],
        )?;
        Ok(())
    }
}

const COLUMNS: &str =
    "id, owner_kind, owner_id, phase, item_code, sha256, size, media_type, taken_at, fix,
                       local_path, upload_state, upload_offset, attempts, last_error";

fn from_row(r: &Row<'_>) -> Result<EvidenceRecord> {
    let owner_kind: String = r.get(1)?;
    let owner_id: String = r.get(2)?;
    let phase: Option<String> = r.get(3)?;
    let fix: Option<String> = r.get(9)?;
    let state: String = r.get(11)?;
    let size: i64 = r.get(6)?;
    let offset: i64 = r.get(12)?;
    let owner = match owner_kind.as_str() {
        "visit" => EvidenceOwner::Visit { visit_id: owner_id },
        "case" => EvidenceOwner::Case {
            case_id: owner_id,
            phase: if phase.as_deref() == Some("after") {
                CasePhotoPhase::After
            } else {
                CasePhotoPhase::Report
            },
        },
        other => return Err(CoreError::corrupt("evidence.owner_kind", other)),
    };
    Ok(EvidenceRecord {
        id: r.get(0)?,
        owner,
        item_code: r.get(4)?,
        sha256: r.get(5)?,
        size: size.max(0) as u64,
        media_type: r.get(7)?,
        taken_at: from_ms(r.get::<i64>(8)?),
        fix: fix
            .map(|f| from_json::<LocationFix>("evidence.fix", &f))
            .transpose()?,
        local_path: r.get(10)?,
        upload_state: UploadState::parse(&state)
            .ok_or_else(|| CoreError::corrupt("evidence.upload_state", &state))?,
        upload_offset: offset.max(0) as u64,
        attempts: r.get(13)?,
        last_error: r.get(14)?,
    })
}

pub(crate) fn evidence_for<'a>(
    sql: impl Into<Sql<'a>>,
    owner_kind: &str,
    owner_id: &str,
) -> Result<Vec<EvidenceRecord>> {
    sql.into().query_map(
        &format!(
            "SELECT {COLUMNS} FROM evidence WHERE owner_kind = ?1 AND owner_id = ?2 ORDER BY created_at, id"
        ),
        &[&owner_kind, &owner_id],
        from_row,
    )
}

pub(crate) fn load_evidence<'a>(
    sql: impl Into<Sql<'a>>,
    id: &str,
) -> Result<Option<EvidenceRecord>> {
    sql.into().query_row(
        &format!("SELECT {COLUMNS} FROM evidence WHERE id = ?1"),
        &[&id],
        from_row,
    )
}

impl Store {
    /// One evidence record.
    pub fn evidence(&self, id: &str) -> Result<EvidenceRecord> {
        self.read_sql(|sql| load_evidence(sql, id))?
            .ok_or_else(|| CoreError::not_found("evidence", id))
    }
}
