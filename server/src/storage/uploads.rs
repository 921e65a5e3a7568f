//! tus upload state for evidence photos: one row per upload in `uploads.db`
//! (server-only, beside `gridwork.db` and `auth.db`) and the bytes received
//! so far in `uploads/partial/{id}`.
//!
//! Durability rule: the recorded offset only moves after the bytes up to it
//! were fsync'd, so after a kill the offset is never more than what is on
//! disk; bytes on disk past the recorded offset (written, never
//! acknowledged) are cut off when the upload is next touched or at start.
//!
//! Completion verifies the whole file's SHA-256 against the evidence
//! record, moves it into the blob store with one rename, and only then
//! marks the evidence stored in the core store.
//!
//! A client that asks for it (`Prefer: respond-async`, RFC 7240) gets the
//! last chunk answered once the whole file is in and verified, before it
//! is durable: the upload is `verified`, and the durable steps (bytes,
//! renames, evidence marks) are taken for a batch of such uploads at once
//! (`finalize_soon`), one flush per step for the batch rather than three
//! per photo. Such a client learns "stored" afterwards (HEAD, or
//! `POST /v1/evidence/upload-states`, both of which wait for the batch)
//! and keeps its copy until then. A kill before the batch leaves
//! `verified` rows that are checked again (size and SHA-256 of the file)
//! and finished at start, or put back to offset 0 if the bytes did not
//! survive. ADR 0009.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, TryLockError};

use axum::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use gridwork_core::clock::{from_ms, to_ms, Clock};
use gridwork_core::evidence::UploadState;
use gridwork_core::store::EvidenceAccess;
use gridwork_core::{CoreError, Store};
use rusqlite::{Connection, OptionalExtension};
use rusqlite_migration::{Migrations, M};
use sha1::Sha1;
use sha2::{Digest, Sha256};

use super::{
    ChunkChecksum, DeviceAuth, EvidenceUploadState, NewUpload, PhotoState, UploadPhase,
    UploadStatus,
};
use crate::blob::{sync_batch, sync_dir, BlobError, BlobStore};
use crate::error::{ApiResult, ServerError};

/// The largest photo accepted (tus `Tus-Max-Size`). Phones shrink photos
/// to well under this; it bounds what one upload can take of the disk.
pub const MAX_UPLOAD_SIZE: u64 = 32 * 1024 * 1024;
/// Incomplete uploads expire this long after their last byte (default).
pub const DEFAULT_UPLOAD_EXPIRY_DAYS: i64 = 7;

const UPLOADS_V1: &str = "
CREATE TABLE upload (
    id          TEXT PRIMARY KEY,
    evidence_id TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    device_id   TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    length      INTEGER NOT NULL,
    received    INTEGER NOT NULL DEFAULT 0,
    state       TEXT NOT NULL,
    reason      TEXT,
    filename    TEXT,
    filetype    TEXT,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX upload_evidence ON upload(evidence_id, state);
CREATE INDEX upload_expiry ON upload(state, expires_at);
";

/// How uploads behave (from `ServerConfig`).
#[derive(Debug, Clone)]
pub struct UploadConfig {
    /// How long an incomplete upload lives after its last byte.
    pub expiry: Duration,
    /// Refuse to start or continue an upload when the data directory's
    /// file system has less than this many bytes free (507).
    pub min_free_bytes: u64,
    /// How long uploads answered early (`Prefer: respond-async`) gather
    /// before their batch is made durable, unless asked sooner.
    pub batch_delay: std::time::Duration,
    /// Where finished photos are kept (the data directory, or an object
    /// store several instances share).
    pub blobs: crate::blob::BlobLocation,
    /// With uploads shared by instances: how long a chunk in progress
    /// holds its upload without renewal (`shared_uploads.rs`).
    pub lease: std::time::Duration,
}

impl Default for UploadConfig {
    fn default() -> Self {
        UploadConfig {
            expiry: Duration::days(DEFAULT_UPLOAD_EXPIRY_DAYS),
            min_free_bytes: 0,
            batch_delay: BATCH_DELAY,
            blobs: crate::blob::BlobLocation::default(),
            lease: std::time::Duration::from_secs(60),
        }
    }
}

#[derive(Debug, Clone)]
pub(super) struct Row {
    pub(super) id: String,
    pub(super) evidence_id: String,
    pub(super) sha256: String,
    pub(super) length: u64,
    pub(super) received: u64,
    pub(super) state: String,
    pub(super) reason: Option<String>,
    pub(super) expires_at: i64,
}

impl Row {
    pub(super) fn status(&self) -> UploadStatus {
        UploadStatus {
            upload_id: self.id.clone(),
            evidence_id: self.evidence_id.clone(),
            offset: self.received,
            length: self.length,
            expires_at: from_ms(self.expires_at),
            phase: match self.state.as_str() {
                "active" => UploadPhase::Active,
                "complete" => UploadPhase::Complete,
                "verified" => UploadPhase::Verified,
                "rejected" => UploadPhase::Rejected,
                "terminated" => UploadPhase::Terminated,
                _ => UploadPhase::Expired,
            },
            reason: self.reason.clone(),
        }
    }
}

pub(super) const ROW: &str = "id, evidence_id, sha256, length, received, state, reason, expires_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Row> {
    Ok(Row {
        id: r.get(0)?,
        evidence_id: r.get(1)?,
        sha256: r.get(2)?,
        length: r.get::<_, i64>(3)?.max(0) as u64,
        received: r.get::<_, i64>(4)?.max(0) as u64,
        state: r.get(5)?,
        reason: r.get(6)?,
        expires_at: r.get(7)?,
    })
}

/// A refusal with a status and words.
pub(super) fn refuse(
    status: StatusCode,
    code: &'static str,
    reason: impl Into<String>,
) -> ServerError {
    ServerError::Refused {
        status,
        code,
        reason: reason.into(),
        field: None,
    }
}

pub(super) fn refuse_field(
    status: StatusCode,
    code: &'static str,
    field: &str,
    reason: impl Into<String>,
) -> ServerError {
    ServerError::Refused {
        status,
        code,
        reason: reason.into(),
        field: Some(field.into()),
    }
}

fn io_err(path: &Path, e: std::io::Error) -> ServerError {
    if e.kind() == std::io::ErrorKind::StorageFull {
        return disk_full();
    }
    ServerError::Internal(format!("upload i/o on {}: {e}", path.display()))
}

pub(super) fn not_the_taker() -> ServerError {
    refuse_field(
        StatusCode::FORBIDDEN,
        "not_permitted",
        "evidence_id",
        "只有拍摄这张照片的人的手机可以上传或取消它 / only the phone of the person who took this photo may upload or cancel it",
    )
}

fn disk_full() -> ServerError {
    refuse(
        StatusCode::INSUFFICIENT_STORAGE,
        "storage_full",
        "服务器存储空间不足，照片稍后会自动重传 / the server is out of storage; the photo will be retried later",
    )
}

pub(super) fn blob_err(e: BlobError) -> ServerError {
    match e {
        BlobError::Full => disk_full(),
        // Nothing was lost: the photo waits (verified, on this server's
        // disk, or still on the phone) until the store answers again.
        BlobError::Unavailable(_) => refuse(
            StatusCode::SERVICE_UNAVAILABLE,
            "photo_store_unavailable",
            "照片存储暂时无法访问，请稍后重试 / the photo store is unavailable: retry later",
        ),
        other => ServerError::Internal(other.to_string()),
    }
}

pub(super) fn not_found(id: &str) -> ServerError {
    refuse(
        StatusCode::NOT_FOUND,
        "upload_not_found",
        format!(
            "没有这个上传 / no such upload: {}",
            id.chars().take(64).collect::<String>()
        ),
    )
}

/// Run `f` with `synchronous=NORMAL` (WAL: committed without an fsync;
/// survives a kill, not always a power cut), then back to FULL whatever
/// happened. For rows the disk or the core store can re-derive.
fn relaxed<T>(
    conn: &Connection,
    f: impl FnOnce(&Connection) -> rusqlite::Result<T>,
) -> ApiResult<T> {
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    let out = f(conn);
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(out?)
}

/// Uploads: the state database, the partial files, the blob store.
#[derive(Debug)]
pub struct Uploads {
    conn: Mutex<Connection>,
    partial_dir: PathBuf,
    blobs: Arc<dyn BlobStore>,
    clock: Arc<dyn Clock>,
    config: UploadConfig,
    /// Uploads with a PATCH in progress: a second one at the same time is
    /// refused (423) rather than interleaving bytes.
    busy: Mutex<HashSet<String>>,
    /// `verified` uploads waiting for the next batch to make them durable.
    pending: Mutex<Vec<Row>>,
    /// Held while a batch is made durable: one batch at a time, and whoever
    /// must see a photo stored waits here for it.
    finalizing: Mutex<()>,
    /// A batch is scheduled (`BATCH_DELAY` after its first upload).
    scheduled: std::sync::atomic::AtomicBool,
}

/// How long verified uploads gather by default before their batch is made durable,
/// unless someone asks for "stored" sooner (HEAD, upload-states): the
/// phone asks at the end of its run, when it needs the answer. A batch's
/// flushes cost about the same for 1 photo or 100, and flushing beside a
/// phone still sending slows it (measured: 200 photos over loopback took
/// 0.78 s flushing each photo at once, 0.61 s with 25 ms batches, 0.56 s
/// with one batch at the end).
pub const BATCH_DELAY: std::time::Duration = std::time::Duration::from_millis(500);

/// Releases an upload's busy mark when the PATCH ends, however it ends.
struct BusyGuard<'a> {
    set: &'a Mutex<HashSet<String>>,
    id: String,
}

impl Drop for BusyGuard<'_> {
    fn drop(&mut self) {
        self.set
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&self.id);
    }
}

pub(super) fn valid_upload_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

impl Uploads {
    /// The SHA-256 (hex) and length of the blob stored under `sha256`, read
    /// back from the blob store; `None` when there is no such blob.
    pub fn blob_sha256(&self, sha256: &str) -> Result<Option<(String, u64)>, BlobError> {
        blob_sha256(self.blobs.as_ref(), sha256)
    }

    /// Open `uploads.db` and `uploads/partial/` in the data directory and
    /// bring every upload back to a state that matches the disk.
    pub fn open(
        data_dir: &Path,
        blobs: Arc<dyn BlobStore>,
        clock: Arc<dyn Clock>,
        config: UploadConfig,
        store: &Store,
    ) -> ApiResult<Self> {
        let partial_dir = data_dir.join("uploads").join("partial");
        std::fs::create_dir_all(&partial_dir).map_err(|e| CoreError::io(&partial_dir, e))?;
        gridwork_core::private_file::make_private(&data_dir.join("uploads.db"))?;
        let mut conn = Connection::open(data_dir.join("uploads.db"))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: an acknowledged offset survives power loss, not only a kill.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Migrations::new(vec![M::up(UPLOADS_V1)])
            .to_latest(&mut conn)
            .map_err(CoreError::from)?;
        let uploads = Uploads {
            conn: Mutex::new(conn),
            partial_dir,
            blobs,
            clock,
            config,
            busy: Mutex::new(HashSet::new()),
            pending: Mutex::new(Vec::new()),
            finalizing: Mutex::new(()),
            scheduled: std::sync::atomic::AtomicBool::new(false),
        };
        uploads.recover(store)?;
        let swept = uploads.sweep_expired()?;
        if swept > 0 {
            tracing::info!(swept, "expired uploads removed at start");
        }
        Ok(uploads)
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn partial_path(&self, id: &str) -> PathBuf {
        self.partial_dir.join(id)
    }

    fn load(&self, id: &str) -> ApiResult<Option<Row>> {
        if !valid_upload_id(id) {
            return Ok(None);
        }
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {ROW} FROM upload WHERE id = ?1"),
                [id],
                row,
            )
            .optional()?)
    }

    fn set_state(&self, id: &str, state: &str, reason: Option<&str>) -> ApiResult<()> {
        self.conn().execute(
            "UPDATE upload SET state = ?2, reason = ?3, updated_at = ?4 WHERE id = ?1",
            rusqlite::params![id, state, reason, to_ms(self.now())],
        )?;
        Ok(())
    }

    /// After a crash: cut partial files back to their acknowledged offset
    /// (or the offset back to what the file holds), and finish uploads
    /// whose last chunk was acknowledged but whose linking was cut short.
    fn recover(&self, store: &Store) -> ApiResult<()> {
        let (active, verified): (Vec<Row>, Vec<Row>) = {
            let conn = self.conn();
            let mut stmt = conn.prepare(&format!(
                "SELECT {ROW} FROM upload WHERE state IN ('active', 'verified')"
            ))?;
            let rows = stmt.query_map([], row)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
                .into_iter()
                .partition(|r| r.state == "active")
        };
        // Partial files with no active upload: a kill between creating the
        // file and recording its upload, or between ending one and removing
        // its file.
        let known: HashSet<&str> = active
            .iter()
            .chain(&verified)
            .map(|r| r.id.as_str())
            .collect();
        if let Ok(entries) = std::fs::read_dir(&self.partial_dir) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                if !known.contains(name.to_string_lossy().as_ref()) {
                    tracing::info!(file = %entry.path().display(), "removing orphan partial upload");
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        for r in active {
            let path = self.partial_path(&r.id);
            let on_disk = std::fs::metadata(&path).map(|m| m.len()).ok();
            match on_disk {
                // Already moved into the blob store, not yet linked. The
                // row's offset may lag (a completing chunk does not commit
                // it on its own): a blob is only ever put whole and verified
                // against this same SHA-256, so the photo is there.
                None if self.blobs.exists(&r.sha256).map_err(blob_err)? => {
                    self.link(store, &r)?;
                }
                _ => {
                    let received = self.reconcile(&r)?;
                    if received == r.length {
                        let _ = self.complete(store, &r, None);
                    }
                }
            }
        }
        // Answered (`verified`) but not made durable before the kill: the
        // bytes are checked again, since a power cut may have taken them
        // though the row survived.
        for r in verified {
            let path = self.partial_path(&r.id);
            let intact = match std::fs::metadata(&path) {
                Ok(m) => m.len() == r.length && sha256_file(&path)? == r.sha256,
                Err(_) => self.blobs.exists(&r.sha256).map_err(blob_err)?,
            };
            if intact {
                self.queue(r);
            } else {
                self.restart(&r)?;
            }
        }
        self.flush(store)
    }

    /// A `verified` upload whose bytes did not survive: back to offset 0 (the
    /// client, which kept its copy, sends it again).
    fn restart(&self, r: &Row) -> ApiResult<()> {
        tracing::warn!(upload = %r.id, evidence = %r.evidence_id, "verified upload lost its bytes before they were durable; receiving it again from 0");
        let path = self.partial_path(&r.id);
        File::create(&path).map_err(|e| io_err(&path, e))?;
        self.conn().execute(
            "UPDATE upload SET state = 'active', received = 0, updated_at = ?2 WHERE id = ?1",
            rusqlite::params![r.id, to_ms(self.now())],
        )?;
        Ok(())
    }

    fn queue(&self, r: Row) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        if !pending.iter().any(|p| p.id == r.id) {
            pending.push(r);
        }
    }

    /// Make every `verified` upload queued so far durable and stored, waiting
    /// for a batch in progress first. When it returns, every upload that was
    /// `verified` before the call is `complete` (or the error says why not).
    pub fn flush(&self, store: &Store) -> ApiResult<()> {
        let _batch = self.finalizing.lock().unwrap_or_else(|p| p.into_inner());
        self.drain(store)
    }

    /// [`flush`](Self::flush) without waiting: if a batch is in progress,
    /// its holder takes what was queued meanwhile. Called after each
    /// deferred answer, so batches form on their own while a phone sends
    /// its next photo (group commit).
    pub fn finalize_soon(&self, store: &Store) -> ApiResult<()> {
        loop {
            {
                let _batch = match self.finalizing.try_lock() {
                    Ok(g) => g,
                    Err(TryLockError::WouldBlock) => return Ok(()),
                    Err(TryLockError::Poisoned(p)) => p.into_inner(),
                };
                self.drain(store)?;
            }
            // Queued after the last batch was taken, by a caller that found
            // the lock held: take it too.
            if self
                .pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .is_empty()
            {
                return Ok(());
            }
        }
    }

    /// When the caller should run a batch for the uploads queued so far
    /// (`batch_delay` from now), or `None` when one is already scheduled.
    pub fn schedule_batch(&self) -> Option<std::time::Duration> {
        let already = self
            .scheduled
            .swap(true, std::sync::atomic::Ordering::AcqRel);
        (!already).then_some(self.config.batch_delay)
    }

    /// Batches until nothing is queued. The caller holds `finalizing`.
    fn drain(&self, store: &Store) -> ApiResult<()> {
        // Uploads queued from now on need a batch of their own.
        self.scheduled
            .store(false, std::sync::atomic::Ordering::Release);
        loop {
            let batch =
                std::mem::take(&mut *self.pending.lock().unwrap_or_else(|p| p.into_inner()));
            if batch.is_empty() {
                return Ok(());
            }
            if let Err(e) = self.finalize_batch(store, &batch) {
                tracing::error!(error = %e, uploads = batch.len(), "verified uploads not made durable yet; retried with the next batch");
                for r in batch {
                    self.queue(r);
                }
                return Err(e);
            }
        }
    }

    /// The durable steps for many verified uploads, in the order one upload
    /// takes them, each once for the batch: the bytes, the renames into
    /// the blob store, the evidence marks (one FULL commit), then the rows.
    /// Safe to run again on the same rows after a failure part-way.
    fn finalize_batch(&self, store: &Store, batch: &[Row]) -> ApiResult<()> {
        let mut files = Vec::new();
        let mut ready = Vec::new();
        for r in batch {
            let path = self.partial_path(&r.id);
            if path.exists() {
                files.push((r.sha256.clone(), path));
                ready.push(r);
            } else if self.blobs.exists(&r.sha256).map_err(blob_err)? {
                // Moved in by a batch that failed later.
                ready.push(r);
            } else {
                self.restart(r)?;
            }
        }
        if !files.is_empty() {
            let paths: Vec<PathBuf> = files.iter().map(|(_, p)| p.clone()).collect();
            sync_batch(&self.partial_dir, &paths).map_err(|e| io_err(&self.partial_dir, e))?;
            self.blobs.put_files(&files).map_err(blob_err)?;
        }
        if ready.is_empty() {
            return Ok(());
        }
        let ids: Vec<String> = ready.iter().map(|r| r.evidence_id.clone()).collect();
        store.mark_evidence_stored_many(&ids)?;
        let now = to_ms(self.now());
        let conn = self.conn();
        relaxed(&conn, |conn| {
            let tx = conn.unchecked_transaction()?;
            {
                let mut stmt = tx.prepare_cached(
                    "UPDATE upload SET state = 'complete', received = length, reason = NULL, updated_at = ?2
                     WHERE id = ?1",
                )?;
                for r in &ready {
                    stmt.execute(rusqlite::params![r.id, now])?;
                }
            }
            tx.commit()
        })?;
        drop(conn);
        tracing::info!(photos = ready.len(), "evidence stored (batch)");
        Ok(())
    }

    /// A `verified` row as it is once durable: waits for its batch (queuing
    /// it if a failed batch or a restart left it out).
    fn settled(&self, store: &Store, r: Row) -> ApiResult<Row> {
        if r.state != "verified" {
            return Ok(r);
        }
        let id = r.id.clone();
        self.queue(r);
        self.flush(store)?;
        self.load(&id)?.ok_or_else(|| not_found(&id))
    }

    /// Make the partial file and the recorded offset agree, never claiming
    /// bytes that are not on disk. Returns the offset.
    fn reconcile(&self, r: &Row) -> ApiResult<u64> {
        let path = self.partial_path(&r.id);
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| io_err(&path, e))?;
        let len = file.metadata().map_err(|e| io_err(&path, e))?.len();
        if len > r.received {
            // Written but never acknowledged: the client will send it again.
            file.set_len(r.received).map_err(|e| io_err(&path, e))?;
            file.sync_all().map_err(|e| io_err(&path, e))?;
            Ok(r.received)
        } else if len < r.received {
            tracing::warn!(upload = %r.id, recorded = r.received, on_disk = len, "upload offset ahead of its file; using the file");
            self.conn().execute(
                "UPDATE upload SET received = ?2 WHERE id = ?1",
                rusqlite::params![r.id, len as i64],
            )?;
            Ok(len)
        } else {
            Ok(len)
        }
    }

    fn check_reach(&self, store: &Store, auth: &DeviceAuth, r: &Row, write: bool) -> ApiResult<()> {
        check_reach(store, auth, r, write)
    }

    fn check_free_space(&self) -> ApiResult<()> {
        if self.config.min_free_bytes == 0 {
            return Ok(());
        }
        match free_bytes(&self.partial_dir) {
            Some(free) if free < self.config.min_free_bytes => Err(disk_full()),
            _ => Ok(()),
        }
    }

    /// tus creation. Idempotent per evidence record: an active or complete
    /// upload for it is answered again.
    pub fn create(
        &self,
        store: &Store,
        auth: &DeviceAuth,
        req: &NewUpload,
    ) -> ApiResult<UploadStatus> {
        let evidence = writable_evidence(store, auth, req)?;
        let now = self.now();
        let conn = self.conn();
        let existing: Option<Row> = conn
            .query_row(
                &format!(
                    "SELECT {ROW} FROM upload WHERE evidence_id = ?1 AND state IN ('active', 'verified', 'complete')
                     ORDER BY state = 'complete' DESC, state = 'verified' DESC, created_at DESC LIMIT 1"
                ),
                [&evidence.id],
                row,
            )
            .optional()?;
        if let Some(r) = existing {
            drop(conn);
            return Ok(self.settled(store, r)?.status());
        }
        let stored = evidence.upload_state == UploadState::Stored;
        if !stored {
            drop(conn);
            self.check_free_space()?;
            return self.insert(auth, req, &evidence.sha256, now, false);
        }
        drop(conn);
        // Stored before (by an upload since forgotten): answer with a
        // complete upload so the client sees offset == length and stops.
        self.insert(auth, req, &evidence.sha256, now, true)
    }

    fn insert(
        &self,
        auth: &DeviceAuth,
        req: &NewUpload,
        sha256: &str,
        now: DateTime<Utc>,
        complete: bool,
    ) -> ApiResult<UploadStatus> {
        let id = hex::encode(rand::random::<[u8; 16]>());
        let expires = now + self.config.expiry;
        if !complete {
            // The empty partial file exists from the start. Not fsync'd, nor
            // its directory: it holds nothing yet, and a file lost to a power
            // cut is made again empty by `reconcile` (which opens with
            // create) before any byte is taken. The first acknowledged bytes
            // of an upload that stays partial sync the directory (`append`).
            let path = self.partial_path(&id);
            File::create(&path).map_err(|e| io_err(&path, e))?;
        }
        let name = |s: &Option<String>| s.as_ref().map(|v| v.chars().take(200).collect::<String>());
        // Relaxed: a creation lost to a power cut (never to a kill) is
        // answered 404 at the client's next HEAD or PATCH, and the client
        // creates the upload again; nothing it was told is taken back,
        // since bytes are acknowledged only after a durable commit below.
        let conn = self.conn();
        relaxed(&conn, |conn| {
            conn.execute(
            "INSERT INTO upload (id, evidence_id, user_id, device_id, sha256, length, received, state,
                                 filename, filetype, created_at, updated_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12)",
            rusqlite::params![
                id,
                req.evidence_id,
                auth.user_id,
                auth.device_id,
                sha256.to_ascii_lowercase(),
                req.length as i64,
                if complete { req.length as i64 } else { 0 },
                if complete { "complete" } else { "active" },
                name(&req.filename),
                name(&req.filetype),
                to_ms(now),
                to_ms(expires)
            ],
        )
        })?;
        drop(conn);
        tracing::info!(upload = %id, evidence = %req.evidence_id, length = req.length, "upload created");
        Ok(UploadStatus {
            upload_id: id,
            evidence_id: req.evidence_id.clone(),
            offset: if complete { req.length } else { 0 },
            length: req.length,
            expires_at: expires,
            phase: if complete {
                UploadPhase::Complete
            } else {
                UploadPhase::Active
            },
            reason: None,
        })
    }

    /// An upload's state, expiring it on the way if its time is up.
    fn current(&self, store: &Store, auth: &DeviceAuth, id: &str, write: bool) -> ApiResult<Row> {
        let r = self.load(id)?.ok_or_else(|| not_found(id))?;
        self.check_reach(store, auth, &r, write)?;
        let r = self.settled(store, r)?;
        if r.state == "active" && r.expires_at < to_ms(self.now()) {
            self.expire(&r)?;
            return Ok(Row {
                state: "expired".into(),
                ..r
            });
        }
        Ok(r)
    }

    fn expire(&self, r: &Row) -> ApiResult<()> {
        let path = self.partial_path(&r.id);
        let _ = std::fs::remove_file(&path);
        self.set_state(&r.id, "expired", None)?;
        tracing::info!(upload = %r.id, "upload expired");
        Ok(())
    }

    /// Mark an upload busy for the length of one request (423 if it is).
    fn hold(&self, id: &str) -> ApiResult<BusyGuard<'_>> {
        let mut busy = self.busy.lock().unwrap_or_else(|p| p.into_inner());
        if !busy.insert(id.to_string()) {
            return Err(refuse(
                StatusCode::LOCKED,
                "upload_busy",
                "这个上传正在进行中，请稍后重试 / this upload is receiving another request; retry shortly",
            ));
        }
        Ok(BusyGuard {
            set: &self.busy,
            id: id.to_string(),
        })
    }

    /// tus HEAD.
    pub fn status(&self, store: &Store, auth: &DeviceAuth, id: &str) -> ApiResult<UploadStatus> {
        Ok(self.current(store, auth, id, false)?.status())
    }

    /// tus PATCH: append `body` at `offset`. With `deferred` (the client
    /// asked `Prefer: respond-async`) a completing chunk is answered once
    /// verified, `Verified`, and made durable in the next batch.
    #[allow(clippy::too_many_arguments)]
    pub fn append(
        &self,
        store: &Store,
        auth: &DeviceAuth,
        id: &str,
        offset: u64,
        checksum: Option<ChunkChecksum>,
        deferred: bool,
        body: &mut dyn Read,
    ) -> ApiResult<UploadStatus> {
        let _guard = self.hold(id)?;
        let r = self.current(store, auth, id, true)?;
        self.append_row(store, r, offset, checksum, deferred, body)
    }

    /// tus creation-with-upload with the whole body already in hand (the
    /// route read it): create or find the upload and take the bytes in one
    /// call, the caller's reach checked once. A fresh upload takes the
    /// bytes as its first PATCH would; one that already holds bytes takes
    /// none and says where it stands. Trouble with the bytes other than a
    /// whole-file mismatch leaves the creation standing: it comes back
    /// beside the status (the client then asks HEAD).
    pub fn create_with_body(
        &self,
        store: &Store,
        auth: &DeviceAuth,
        req: &NewUpload,
        checksum: Option<ChunkChecksum>,
        deferred: bool,
        body: &[u8],
    ) -> ApiResult<(UploadStatus, Option<ServerError>)> {
        let status = self.create(store, auth, req)?;
        if status.offset != 0 || status.length == 0 || status.phase != UploadPhase::Active {
            return Ok((status, None));
        }
        let appended = self.hold(&status.upload_id).and_then(|_guard| {
            let r = self
                .load(&status.upload_id)?
                .ok_or_else(|| not_found(&status.upload_id))?;
            self.append_row(store, r, 0, checksum, deferred, &mut &body[..])
        });
        match appended {
            Ok(after) => Ok((after, None)),
            Err(
                e @ ServerError::Refused {
                    code: "sha256_mismatch",
                    ..
                },
            ) => Err(e),
            Err(e) => Ok((status, Some(e))),
        }
    }

    /// [`append`](Self::append) once the upload is held and its reach
    /// checked.
    fn append_row(
        &self,
        store: &Store,
        r: Row,
        offset: u64,
        checksum: Option<ChunkChecksum>,
        deferred: bool,
        body: &mut dyn Read,
    ) -> ApiResult<UploadStatus> {
        let id_owned = r.id.clone();
        let id = id_owned.as_str();
        match r.state.as_str() {
            "active" => {}
            "complete" if offset == r.length => return Ok(r.status()),
            "complete" => return Err(offset_mismatch(r.length, offset)),
            _ => return Err(gone(&r)),
        }
        let received = self.reconcile(&r)?;
        if offset != received {
            return Err(offset_mismatch(received, offset));
        }
        self.check_free_space()?;
        let path = self.partial_path(id);
        let mut file = OpenOptions::new()
            .write(true)
            .open(&path)
            .map_err(|e| io_err(&path, e))?;
        file.seek(SeekFrom::Start(received))
            .map_err(|e| io_err(&path, e))?;
        let room = r.length - received;
        let Received {
            written,
            mut outcome,
            chunk_digest,
            whole,
        } = receive_chunk(body, room, received == 0, checksum.as_ref(), |bytes| {
            file.write_all(bytes).map_err(|e| io_err(&path, e))
        });
        let keep = keep_chunk(&mut outcome, checksum.as_ref(), chunk_digest);
        let new_offset = if keep { received + written } else { received };
        if !keep {
            file.set_len(received).map_err(|e| io_err(&path, e))?;
        }
        let completes = keep && outcome.is_ok() && new_offset == r.length;
        if completes && deferred {
            // Verified now, made durable with the next batch.
            drop(file);
            let done = Row {
                received: new_offset,
                ..r
            };
            return self.verify_deferred(&done, whole.map(hex::encode));
        }
        file.sync_all().map_err(|e| io_err(&path, e))?;
        drop(file);
        if completes {
            // Complete: the offset is not committed on its own. What makes
            // the photo durable is the blob's rename and the evidence mark
            // (`complete`); a kill before them leaves the row at its old
            // offset with the bytes past it on disk, cut off at the next
            // touch, and the client re-sends this one chunk.
            let digest = whole.map(hex::encode);
            let done = Row {
                received: new_offset,
                ..r
            };
            return self.complete(store, &done, digest);
        }
        if keep && written > 0 {
            if received == 0 {
                // The first bytes of an upload that stays partial: its
                // file's name must survive a power cut as the offset does.
                sync_dir(&self.partial_dir).map_err(|e| io_err(&self.partial_dir, e))?;
            }
            let now = self.now();
            self.conn().execute(
                "UPDATE upload SET received = ?2, updated_at = ?3, expires_at = ?4 WHERE id = ?1 AND state = 'active'",
                rusqlite::params![id, new_offset as i64, to_ms(now), to_ms(now + self.config.expiry)],
            )?;
        }
        outcome?;
        let r = self.load(id)?.ok_or_else(|| not_found(id))?;
        if r.received == r.length {
            return self.complete(store, &r, None);
        }
        Ok(r.status())
    }

    /// Every byte is in, not yet durable: verify, mark `verified` and queue
    /// it for the next batch.
    fn verify_deferred(&self, r: &Row, digest: Option<String>) -> ApiResult<UploadStatus> {
        self.verify(r, digest)?;
        let now = to_ms(self.now());
        {
            let conn = self.conn();
            // Relaxed: the client keeps its copy until it hears "stored",
            // and a row lost with its bytes is an upload it sends again.
            relaxed(&conn, |conn| {
                conn.execute(
                    "UPDATE upload SET state = 'verified', received = length, updated_at = ?2 WHERE id = ?1",
                    rusqlite::params![r.id, now],
                )
            })?;
        }
        let mut done = r.clone();
        done.state = "verified".into();
        done.received = r.length;
        let status = done.status();
        self.queue(done);
        Ok(status)
    }

    /// Every byte is in (and fsync'd): verify, store, link. `digest` is the
    /// whole file's SHA-256 when it was computed while the bytes arrived;
    /// otherwise the file is read back.
    fn complete(&self, store: &Store, r: &Row, digest: Option<String>) -> ApiResult<UploadStatus> {
        let path = self.partial_path(&r.id);
        self.verify(r, digest)?;
        self.blobs.put_file(&r.sha256, &path).map_err(blob_err)?;
        self.link(store, r)
    }

    /// The whole file against the record's SHA-256; a mismatch rejects the
    /// upload and drops its bytes.
    fn verify(&self, r: &Row, digest: Option<String>) -> ApiResult<()> {
        let path = self.partial_path(&r.id);
        let actual = match digest {
            Some(d) => d,
            None => sha256_file(&path)?,
        };
        if actual != r.sha256 {
            let _ = std::fs::remove_file(&path);
            let reason = "sha256_mismatch";
            self.set_state(&r.id, "rejected", Some(reason))?;
            tracing::warn!(upload = %r.id, evidence = %r.evidence_id, "upload rejected: whole-file sha256 does not match the record");
            return Err(sha256_mismatch());
        }
        Ok(())
    }

    fn link(&self, store: &Store, r: &Row) -> ApiResult<UploadStatus> {
        // The evidence mark is durable (FULL) before the answer: it and the
        // blob are the truth. The upload row follows relaxed: one lost to a
        // power cut is an active row whose blob exists, linked again by the
        // recovery pass at start.
        store.mark_evidence_stored(&r.evidence_id)?;
        {
            let conn = self.conn();
            relaxed(&conn, |conn| {
                conn.execute(
                    "UPDATE upload SET state = 'complete', received = length, reason = NULL, updated_at = ?2
                     WHERE id = ?1",
                    rusqlite::params![r.id, to_ms(self.now())],
                )
            })?;
        }
        tracing::info!(upload = %r.id, evidence = %r.evidence_id, "evidence stored");
        let mut done = r.clone();
        done.state = "complete".into();
        done.received = r.length;
        Ok(done.status())
    }

    /// tus termination. A complete upload is evidence and stays.
    pub fn terminate(&self, store: &Store, auth: &DeviceAuth, id: &str) -> ApiResult<()> {
        let r = self.current(store, auth, id, true)?;
        match r.state.as_str() {
            "active" => {}
            "complete" => {
                return Err(refuse(
                    StatusCode::CONFLICT,
                    "upload_complete",
                    "照片已保存为证据，不能删除 / the photo is stored as evidence and cannot be deleted",
                ))
            }
            _ => return Err(gone(&r)),
        }
        // Held while the bytes go, so no PATCH starts on a vanishing file.
        let _guard = self.hold(id)?;
        let _ = std::fs::remove_file(self.partial_path(id));
        self.set_state(id, "terminated", None)?;
        tracing::info!(upload = %id, "upload terminated");
        Ok(())
    }

    /// Remove expired incomplete uploads and their partial files.
    pub fn sweep_expired(&self) -> ApiResult<u64> {
        let now = to_ms(self.now());
        let expired: Vec<Row> = {
            let conn = self.conn();
            let mut stmt = conn.prepare(&format!(
                "SELECT {ROW} FROM upload WHERE state = 'active' AND expires_at < ?1"
            ))?;
            let rows = stmt.query_map([now], row)?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let busy = self.busy.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let mut n = 0;
        for r in expired.iter().filter(|r| !busy.contains(&r.id)) {
            self.expire(r)?;
            n += 1;
        }
        Ok(n)
    }

    /// Where each photo stands, once every upload verified before the call
    /// is durable (so `Stored` is final: the phone may delete its copy).
    pub fn photo_states(
        &self,
        store: &Store,
        auth: &DeviceAuth,
        evidence_ids: &[String],
    ) -> ApiResult<Vec<EvidenceUploadState>> {
        self.flush(store)?;
        photo_states(store, auth, evidence_ids)
    }

    /// The stored photo of an evidence record, for those who may reach it.
    pub fn content(
        &self,
        store: &Store,
        auth: &DeviceAuth,
        evidence_id: &str,
    ) -> ApiResult<(
        gridwork_core::evidence::EvidenceRecord,
        Box<dyn Read + Send>,
    )> {
        content(self.blobs.as_ref(), store, auth, evidence_id)
    }
}

/// The whole photo is not the one its evidence record names.
pub(super) fn sha256_mismatch() -> ServerError {
    refuse_field(
        StatusCode::UNPROCESSABLE_ENTITY,
        "sha256_mismatch",
        "sha256",
        "照片内容与记录的校验值不符，上传被拒绝；请从手机上的原文件重新上传 / the photo's SHA-256 does not match the evidence record; the upload was rejected, upload it again from the original file",
    )
}

/// What one PATCH body brought.
pub(super) struct Received {
    pub(super) written: u64,
    /// Why it stopped short, if it did (broken off, too long, the sink
    /// refused).
    pub(super) outcome: ApiResult<()>,
    /// The chunk checksum's digest over what arrived, if one was asked.
    pub(super) chunk_digest: Option<Vec<u8>>,
    /// The whole file's SHA-256, when the body began at byte 0.
    pub(super) whole: Option<Vec<u8>>,
}

/// Read a PATCH body into `sink`, at most `room` bytes, hashing it on the
/// way. An upload taken from its first byte (one request per photo, the
/// common case) has its whole-file SHA-256 computed as the bytes stream
/// in, and a sha256 chunk checksum over the same bytes is that same
/// digest: one pass over the photo instead of three (chunk, then the file
/// read back for the whole-file check).
pub(super) fn receive_chunk(
    body: &mut dyn Read,
    room: u64,
    from_start: bool,
    checksum: Option<&ChunkChecksum>,
    mut sink: impl FnMut(&[u8]) -> ApiResult<()>,
) -> Received {
    let mut whole = from_start.then(Sha256::new);
    let shared = whole.is_some() && matches!(checksum, Some(ChunkChecksum::Sha256(_)));
    let mut hasher = checksum.filter(|_| !shared).map(ChunkChecksum::hasher);
    let mut written: u64 = 0;
    let mut buf = vec![0u8; 64 * 1024];
    let mut outcome: ApiResult<()> = Ok(());
    loop {
        let n = match body.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                outcome = Err(ServerError::BadRequest(format!(
                    "上传数据中断 / the request body broke off: {e}"
                )));
                break;
            }
        };
        if written + n as u64 > room {
            outcome = Err(refuse(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                "数据超出了声明的文件大小 / the chunk goes past Upload-Length",
            ));
            break;
        }
        if let Err(e) = sink(&buf[..n]) {
            outcome = Err(e);
            break;
        }
        if let Some(h) = hasher.as_mut() {
            h.update(&buf[..n]);
        }
        if let Some(h) = whole.as_mut() {
            h.update(&buf[..n]);
        }
        written += n as u64;
    }
    let whole = whole.map(|h| h.finalize().to_vec());
    let chunk_digest = if shared {
        whole.clone()
    } else {
        hasher.map(ChunkHasher::finish)
    };
    Received {
        written,
        outcome,
        chunk_digest,
        whole,
    }
}

/// Whether the bytes a PATCH brought are kept: only if they arrived whole
/// and verified; without a checksum a broken-off body still counts up to
/// where it broke (tus lets the client resume there, which matters on
/// 2G). A checksum that does not match becomes the outcome (460).
pub(super) fn keep_chunk(
    outcome: &mut ApiResult<()>,
    checksum: Option<&ChunkChecksum>,
    digest: Option<Vec<u8>>,
) -> bool {
    match (&*outcome, checksum, digest) {
        (Ok(()), Some(want), Some(got)) if got != want.digest() => {
            *outcome = Err(refuse(
                StatusCode::from_u16(460).unwrap_or(StatusCode::BAD_REQUEST),
                "checksum_mismatch",
                "数据块校验失败，已丢弃，请重传 / the chunk's checksum does not match; it was discarded, send it again",
            ));
            false
        }
        (Ok(()), _, _) => true,
        (Err(ServerError::BadRequest(_)), None, _) => true,
        _ => false,
    }
}

pub(super) fn offset_mismatch(current: u64, sent: u64) -> ServerError {
    refuse_field(
        StatusCode::CONFLICT,
        "offset_mismatch",
        "Upload-Offset",
        format!("上传位置不符：服务器已有{current}字节，请求从{sent}开始 / Upload-Offset {sent} does not match the server's offset {current}; HEAD and resume"),
    )
}

pub(super) fn gone(r: &Row) -> ServerError {
    let (code, words) = match r.state.as_str() {
        "rejected" => ("upload_rejected", "上传已被拒绝：照片内容与记录不符，请重新创建上传 / the upload was rejected: the photo did not match its record; create a new upload"),
        "terminated" => ("upload_terminated", "上传已取消 / the upload was terminated"),
        _ => ("upload_expired", "上传已过期，请重新创建上传 / the upload expired; create a new one"),
    };
    refuse(StatusCode::GONE, code, words)
}

/// HEAD's answer for an upload that can no longer be continued.
pub fn gone_error(status: &UploadStatus) -> Option<ServerError> {
    let state = match status.phase {
        UploadPhase::Active | UploadPhase::Verified | UploadPhase::Complete => return None,
        UploadPhase::Rejected => "rejected",
        UploadPhase::Terminated => "terminated",
        UploadPhase::Expired => "expired",
    };
    Some(gone(&Row {
        id: status.upload_id.clone(),
        evidence_id: status.evidence_id.clone(),
        sha256: String::new(),
        length: status.length,
        received: status.offset,
        state: state.into(),
        reason: status.reason.clone(),
        expires_at: 0,
    }))
}

fn sha256_file(path: &Path) -> ApiResult<String> {
    let mut f = File::open(path).map_err(|e| io_err(path, e))?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf).map_err(|e| io_err(path, e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// A running chunk checksum.
pub(crate) enum ChunkHasher {
    Sha1(Sha1),
    Sha256(Sha256),
}

impl ChunkHasher {
    pub(super) fn update(&mut self, bytes: &[u8]) {
        match self {
            ChunkHasher::Sha1(h) => h.update(bytes),
            ChunkHasher::Sha256(h) => h.update(bytes),
        }
    }

    pub(super) fn finish(self) -> Vec<u8> {
        match self {
            ChunkHasher::Sha1(h) => h.finalize().to_vec(),
            ChunkHasher::Sha256(h) => h.finalize().to_vec(),
        }
    }
}

impl ChunkChecksum {
    pub(crate) fn hasher(&self) -> ChunkHasher {
        match self {
            ChunkChecksum::Sha1(_) => ChunkHasher::Sha1(Sha1::new()),
            ChunkChecksum::Sha256(_) => ChunkHasher::Sha256(Sha256::new()),
        }
    }

    pub(super) fn digest(&self) -> Vec<u8> {
        match self {
            ChunkChecksum::Sha1(d) | ChunkChecksum::Sha256(d) => d.clone(),
        }
    }
}

/// Free bytes on the file system holding `path` (for unprivileged users),
/// when it can be known; unknown free space never refuses an upload.
#[cfg(unix)]
fn free_bytes(path: &Path) -> Option<u64> {
    let st = rustix::fs::statvfs(path).ok()?;
    Some(st.f_bavail.saturating_mul(st.f_frsize))
}

#[cfg(not(unix))]
fn free_bytes(_path: &Path) -> Option<u64> {
    None
}

/// The SHA-256 (hex) and length of the blob stored under `sha256`, read
/// back from the blob store; `None` when there is no such blob.
pub(super) fn blob_sha256(
    blobs: &dyn BlobStore,
    sha256: &str,
) -> Result<Option<(String, u64)>, BlobError> {
    if !blobs.exists(sha256)? {
        return Ok(None);
    }
    let mut reader = blobs.open(sha256)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    let mut len = 0u64;
    loop {
        let n = reader.read(&mut buf).map_err(|source| BlobError::Io {
            path: PathBuf::from(sha256),
            source,
        })?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        len += n as u64;
    }
    Ok(Some((hex::encode(hasher.finalize()), len)))
}

/// Who may touch this upload. Reading its state: whoever may reach
/// its evidence. Sending or cancelling bytes (`write`): only whoever
/// took the photo; others who may see it are refused (403). Anyone else
/// is told it does not exist (upload ids are not to be probed).
pub(super) fn check_reach(store: &Store, auth: &DeviceAuth, r: &Row, write: bool) -> ApiResult<()> {
    let access = if write {
        store.evidence_write_access(&auth.user_id, &r.evidence_id)?
    } else {
        store.evidence_access(&auth.user_id, &r.evidence_id)?
    };
    match access {
        EvidenceAccess::Allowed(_) => Ok(()),
        EvidenceAccess::SeenNotWritable => Err(not_the_taker()),
        _ => Err(not_found(&r.id)),
    }
}

/// The evidence record a new upload is for, when the caller may write
/// it and the upload's length and SHA-256 are the record's.
pub(super) fn writable_evidence(
    store: &Store,
    auth: &DeviceAuth,
    req: &NewUpload,
) -> ApiResult<gridwork_core::evidence::EvidenceRecord> {
    let evidence = match store.evidence_write_access(&auth.user_id, &req.evidence_id)? {
        EvidenceAccess::Unknown => {
            return Err(refuse_field(
                StatusCode::CONFLICT,
                "evidence_not_synced",
                "evidence_id",
                "服务器还没有这条照片记录，请先同步记录再上传 / the server does not have this evidence record yet: sync the record first, then upload",
            ))
        }
        EvidenceAccess::OutOfReach => {
            return Err(refuse_field(
                StatusCode::FORBIDDEN,
                "not_permitted",
                "evidence_id",
                "无权上传这张照片 / this evidence is outside your reach",
            ))
        }
        EvidenceAccess::SeenNotWritable => return Err(not_the_taker()),
        EvidenceAccess::Allowed(e) => e,
    };
    if req.length != evidence.size {
        return Err(refuse_field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "Upload-Length",
            format!(
                "文件大小与记录不符（记录{}字节，上传{}字节） / Upload-Length {} does not match the record's size {}",
                evidence.size, req.length, req.length, evidence.size
            ),
        ));
    }
    if !req.sha256.eq_ignore_ascii_case(&evidence.sha256) {
        return Err(refuse_field(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            "Upload-Metadata.sha256",
            "文件校验值与记录不符 / the sha256 does not match the evidence record",
        ));
    }
    Ok(evidence)
}

/// Where each photo stands in the store, as it is now.
pub(super) fn photo_states(
    store: &Store,
    auth: &DeviceAuth,
    evidence_ids: &[String],
) -> ApiResult<Vec<EvidenceUploadState>> {
    evidence_ids
        .iter()
        .map(|id| {
            let state = match store.evidence_access(&auth.user_id, id)? {
                EvidenceAccess::Allowed(e) if e.upload_state == UploadState::Stored => {
                    PhotoState::Stored
                }
                EvidenceAccess::Allowed(_) => PhotoState::NotStored,
                _ => PhotoState::Unknown,
            };
            Ok(EvidenceUploadState {
                evidence_id: id.clone(),
                state,
            })
        })
        .collect()
}

/// The stored photo of an evidence record, for those who may reach it.
pub(super) fn content(
    blobs: &dyn BlobStore,
    store: &Store,
    auth: &DeviceAuth,
    evidence_id: &str,
) -> ApiResult<(
    gridwork_core::evidence::EvidenceRecord,
    Box<dyn Read + Send>,
)> {
    let e = match store.evidence_access(&auth.user_id, evidence_id)? {
        EvidenceAccess::Allowed(e) => e,
        _ => return Err(CoreError::not_found("evidence", evidence_id).into()),
    };
    if e.upload_state != UploadState::Stored {
        return Err(refuse(
            StatusCode::NOT_FOUND,
            "not_uploaded",
            "照片还没有上传到服务器 / the photo has not reached the server yet",
        ));
    }
    let reader = blobs.open(&e.sha256).map_err(|err| match err {
        BlobError::NotFound(_) => refuse(
            StatusCode::NOT_FOUND,
            "not_uploaded",
            "照片还没有上传到服务器 / the photo has not reached the server yet",
        ),
        other => blob_err(other),
    })?;
    Ok((e, reader))
}
