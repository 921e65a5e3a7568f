//! Photo evidence: hashed (SHA-256) and linked to its visit or case in the
//! same transaction that records it. Upload state lives beside it; the
//! upload queue's rules are in `queue`, its storage in `store/uploads.rs`,
//! the tus client in `sync/upload.rs`.

pub mod queue;

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::Path;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{CoreError, Result};
use crate::location::LocationFix;

/// What a piece of evidence belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EvidenceOwner {
    Visit {
        visit_id: String,
    },
    Case {
        case_id: String,
        phase: CasePhotoPhase,
    },
}

impl EvidenceOwner {
    pub fn kind_str(&self) -> &'static str {
        match self {
            EvidenceOwner::Visit { .. } => "visit",
            EvidenceOwner::Case { .. } => "case",
        }
    }

    pub fn owner_id(&self) -> &str {
        match self {
            EvidenceOwner::Visit { visit_id } => visit_id,
            EvidenceOwner::Case { case_id, .. } => case_id,
        }
    }
}

/// Before (at report) or after (at resolution).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum CasePhotoPhase {
    Report,
    After,
}

impl CasePhotoPhase {
    pub fn as_str(self) -> &'static str {
        match self {
            CasePhotoPhase::Report => "report",
            CasePhotoPhase::After => "after",
        }
    }
}

/// Upload state of one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum UploadState {
    Waiting,
    Uploading,
    Stored,
    Failed,
}

impl UploadState {
    pub fn as_str(self) -> &'static str {
        match self {
            UploadState::Waiting => "waiting",
            UploadState::Uploading => "uploading",
            UploadState::Stored => "stored",
            UploadState::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "waiting" => Some(UploadState::Waiting),
            "uploading" => Some(UploadState::Uploading),
            "stored" => Some(UploadState::Stored),
            "failed" => Some(UploadState::Failed),
            _ => None,
        }
    }
}

/// A photo file as the shell hands it over.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhotoInput {
    /// The checklist item it answers, for visit photos.
    pub item_code: Option<String>,
    pub path: String,
    pub media_type: String,
    pub taken_at: DateTime<Utc>,
    pub fix: Option<LocationFix>,
}

/// The stored record of one piece of evidence.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidenceRecord {
    pub id: String,
    pub owner: EvidenceOwner,
    pub item_code: Option<String>,
    pub sha256: String,
    pub size: u64,
    pub media_type: String,
    pub taken_at: DateTime<Utc>,
    pub fix: Option<LocationFix>,
    /// Where the store keeps the file (inside its evidence directory).
    pub local_path: Option<String>,
    pub upload_state: UploadState,
    pub upload_offset: u64,
    pub attempts: u32,
    pub last_error: Option<String>,
}

/// Media types we accept as photo evidence.
pub const ACCEPTED_MEDIA: &[&str] = &["image/jpeg", "image/png", "image/webp", "image/heic"];

/// Largest file accepted (phones shoot 2–8 MB; this leaves headroom).
pub const MAX_BYTES: u64 = 30 * 1024 * 1024;

/// SHA-256 and size of a file, streamed (never the whole photo in memory).
pub fn hash_file(path: &Path) -> Result<(String, u64)> {
    let file = File::open(path).map_err(|e| CoreError::io(path, e))?;
    let mut reader = BufReader::with_capacity(64 * 1024, file);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = reader.read(&mut buf).map_err(|e| CoreError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), size))
}

/// Copy a photo into the store's evidence directory while hashing it, and
/// make it durable (fsync file and directory) before the row that names it
/// is committed. Returns (sha256, size).
pub fn copy_durably(from: &Path, to: &Path) -> Result<(String, u64)> {
    let src = File::open(from).map_err(|e| CoreError::io(from, e))?;
    let mut reader = BufReader::with_capacity(64 * 1024, src);
    let tmp = to.with_extension("part");
    let mut out = File::create(&tmp).map_err(|e| CoreError::io(&tmp, e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut size = 0u64;
    loop {
        let n = reader.read(&mut buf).map_err(|e| CoreError::io(from, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        out.write_all(&buf[..n])
            .map_err(|e| CoreError::io(&tmp, e))?;
        size += n as u64;
    }
    out.sync_all().map_err(|e| CoreError::io(&tmp, e))?;
    drop(out);
    std::fs::rename(&tmp, to).map_err(|e| CoreError::io(to, e))?;
    if let Some(dir) = to.parent() {
        // Directory fsync makes the rename itself durable; not all
        // platforms allow opening a directory, so failure is not fatal.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok((hex::encode(hasher.finalize()), size))
}

/// Check a photo input before touching the file system.
pub fn validate_input(p: &PhotoInput, field: &str) -> Result<()> {
    if !ACCEPTED_MEDIA.contains(&p.media_type.as_str()) {
        return Err(CoreError::invalid(
            format!("{field}.media_type"),
            format!(
                "不支持的图片类型{} / unsupported media type {}; use one of {}",
                p.media_type,
                p.media_type,
                ACCEPTED_MEDIA.join(", ")
            ),
        ));
    }
    let meta = std::fs::metadata(&p.path).map_err(|e| {
        CoreError::invalid(
            format!("{field}.path"),
            format!(
                "照片文件无法读取 / cannot read the photo file {}: {e}",
                p.path
            ),
        )
    })?;
    if !meta.is_file() || meta.len() == 0 {
        return Err(CoreError::invalid(
            format!("{field}.path"),
            "照片文件为空或不是文件 / the photo file is empty or not a file",
        ));
    }
    if meta.len() > MAX_BYTES {
        return Err(CoreError::invalid(
            format!("{field}.path"),
            format!(
                "照片超过{}MB / photo larger than {} MB",
                MAX_BYTES >> 20,
                MAX_BYTES >> 20
            ),
        ));
    }
    if let Some(fix) = &p.fix {
        fix.validate(&format!("{field}.fix"))?;
    }
    Ok(())
}
