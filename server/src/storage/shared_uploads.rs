//! Uploads in progress shared by every instance (issue 21, ADR 0018 item
//! 6): used when the server's records are in PostgreSQL and its photos in
//! an object store, so a phone whose connection moves to another instance
//! continues its upload there instead of starting again.
//!
//! - The upload row is in the shared database (`upload`), with the parts
//!   it has taken (`upload_part`): the database, not the object listing,
//!   says which bytes make up an upload.
//! - Each acknowledged PATCH body is one object (`partial/<upload>/<offset>-<lease>`),
//!   put (durable when answered) before the row's offset moves; a kill
//!   loses at most the chunk in flight, as on one machine.
//! - A PATCH or a termination holds a lease on the row (`lease`,
//!   `busy_until`), taken by an UPDATE that checks it, renewed while a
//!   slow body streams; the offset only moves under the lease still held,
//!   so two instances never interleave bytes, and an instance that stalled
//!   past its lease has its part discarded rather than stitched in.
//! - The completing chunk is not put as a part: the parts are read back in
//!   order with it, hashed, and the whole photo is put under its SHA-256;
//!   then the evidence is marked stored, then the row completes. A kill
//!   between these steps leaves the row at its old offset, and the client
//!   sends the last chunk again (putting a blob twice writes the same
//!   bytes).
//! - `Prefer: respond-async` is answered when the photo is stored: on an
//!   object store each photo is one PUT whatever happens, so there is no
//!   batch of flushes to share, and no answered-but-not-durable upload can
//!   be left behind by a dead instance.
//! - Objects no row refers to (a kill between the PUT and the offset, a
//!   fenced-out instance, a kill after completion) are removed by the
//!   periodic sweep once older than [`GARBAGE_AGE`].

use std::io::Read;
use std::sync::Arc;
use std::time::Instant;

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use gridwork_core::clock::{to_ms, Clock};
use gridwork_core::db::pool::PgPool;
use gridwork_core::db::{ddl_for_postgres, Sql};
use gridwork_core::evidence::UploadState;
use gridwork_core::Store;
use sha2::{Digest, Sha256};

use super::uploads::{
    blob_err, blob_sha256, check_reach, content, gone, keep_chunk, not_found, offset_mismatch,
    photo_states, receive_chunk, refuse, sha256_mismatch, valid_upload_id, writable_evidence,
    Received, Row, UploadConfig, ROW,
};
use super::{ChunkChecksum, DeviceAuth, EvidenceUploadState, NewUpload, UploadStatus};
use crate::blob::{BlobError, BlobStore, ObjectBlobStore};
use crate::error::{ApiResult, ServerError};

/// The name the tables' schema version is kept under.
const PART: &str = "uploads";

/// Sessions each instance keeps: a few short statements per PATCH.
const POOL_SIZE: u32 = 8;

// How long a lease holds without renewal is `UploadConfig::lease` (60 s
// by default): an instance killed mid-PATCH keeps the upload from others
// at most this long (they answer 423, which tus clients retry). A PATCH
// whose body is still arriving renews it every third of that.
/// Part objects no row refers to are removed once this old: younger ones
/// may belong to a PATCH between its PUT and its commit.
const GARBAGE_AGE: chrono::Duration = chrono::Duration::hours(1);

const V1: &str = "
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
    expires_at  INTEGER NOT NULL,
    lease       TEXT,
    busy_until  INTEGER
) STRICT;
CREATE INDEX upload_evidence ON upload(evidence_id, state);
CREATE INDEX upload_expiry ON upload(state, expires_at);
CREATE TABLE upload_part (
    upload_id TEXT NOT NULL,
    start     INTEGER NOT NULL,
    size      INTEGER NOT NULL,
    object    TEXT NOT NULL UNIQUE,
    PRIMARY KEY (upload_id, start)
) STRICT;
";

const STEPS: [&str; 1] = [V1];

fn row(r: &gridwork_core::db::Row<'_>) -> gridwork_core::Result<Row> {
    Ok(Row {
        id: r.get(0)?,
        evidence_id: r.get(1)?,
        sha256: r.get(2)?,
        length: r.get::<i64>(3)?.max(0) as u64,
        received: r.get::<i64>(4)?.max(0) as u64,
        state: r.get(5)?,
        reason: r.get(6)?,
        expires_at: r.get(7)?,
    })
}

fn busy() -> ServerError {
    refuse(
        StatusCode::LOCKED,
        "upload_busy",
        "这个上传正在进行中，请稍后重试 / this upload is receiving another request; retry shortly",
    )
}

/// A part of an upload as the database records it.
struct Part {
    start: u64,
    size: u64,
    object: String,
}

/// Uploads in progress in the shared database and object store.
#[derive(Debug)]
pub struct SharedUploads {
    db: PgPool,
    objects: Arc<ObjectBlobStore>,
    clock: Arc<dyn Clock>,
    config: UploadConfig,
}

/// This request's hold on an upload; released when the request ends,
/// however it ends.
struct Lease<'a> {
    uploads: &'a SharedUploads,
    id: String,
    token: String,
    renewed: Instant,
}

impl Lease<'_> {
    /// Keep the lease while a slow body streams. Lost (another instance
    /// took it after it lapsed): this request stops.
    fn renew_if_due(&mut self) -> ApiResult<()> {
        let lease = self.uploads.config.lease;
        if self.renewed.elapsed() < lease / 3 {
            return Ok(());
        }
        let until = to_ms(self.uploads.now()) + lease.as_millis() as i64;
        let kept = self.uploads.run(|sql| {
            sql.execute(
                "UPDATE upload SET busy_until = ?3 WHERE id = ?1 AND lease = ?2",
                &[&self.id, &self.token, &until],
            )
        })?;
        if kept == 0 {
            return Err(busy());
        }
        self.renewed = Instant::now();
        Ok(())
    }
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let released = self.uploads.run(|sql| {
            sql.execute(
                "UPDATE upload SET lease = NULL, busy_until = NULL WHERE id = ?1 AND lease = ?2",
                &[&self.id, &self.token],
            )
        });
        if let Err(e) = released {
            // It lapses on its own (`UploadConfig::lease`).
            tracing::warn!(upload = %self.id, error = %e, "upload lease not released");
        }
    }
}

impl SharedUploads {
    /// Open (creating and migrating) the shared upload tables on `url`.
    pub fn open(
        url: &str,
        objects: Arc<ObjectBlobStore>,
        clock: Arc<dyn Clock>,
        config: UploadConfig,
    ) -> ApiResult<Self> {
        let db = PgPool::connect(url, POOL_SIZE, None)?;
        let steps: Vec<String> = STEPS.iter().map(|v| ddl_for_postgres(v)).collect();
        db.session()?.migrate_part(PART, &steps)?;
        let uploads = SharedUploads {
            db,
            objects,
            clock,
            config,
        };
        let swept = uploads.sweep_expired()?;
        if swept > 0 {
            tracing::info!(swept, "expired uploads removed at start");
        }
        Ok(uploads)
    }

    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn run<T>(&self, work: impl FnOnce(Sql<'_>) -> gridwork_core::Result<T>) -> ApiResult<T> {
        let session = self.db.session()?;
        Ok(work(Sql::Postgres(&session))?)
    }

    fn transaction<T>(
        &self,
        work: impl FnMut(Sql<'_>) -> gridwork_core::Result<T>,
    ) -> ApiResult<T> {
        Ok(self.db.session()?.transaction(work)?)
    }

    fn load(&self, id: &str) -> ApiResult<Option<Row>> {
        if !valid_upload_id(id) {
            return Ok(None);
        }
        self.run(|sql| {
            sql.query_row(
                &format!("SELECT {ROW} FROM upload WHERE id = ?1"),
                &[&id],
                row,
            )
        })
    }

    /// The photo store, as the routes and the report read it.
    fn blobs(&self) -> &dyn BlobStore {
        self.objects.as_ref()
    }

    pub fn blob_sha256(&self, sha256: &str) -> Result<Option<(String, u64)>, BlobError> {
        blob_sha256(self.blobs(), sha256)
    }

    /// tus creation. Idempotent per evidence record: an active or complete
    /// upload for it is answered again, from whichever instance made it.
    pub fn create(
        &self,
        store: &Store,
        auth: &DeviceAuth,
        req: &NewUpload,
    ) -> ApiResult<UploadStatus> {
        let evidence = writable_evidence(store, auth, req)?;
        let existing = self.run(|sql| {
            sql.query_row(
                &format!(
                    "SELECT {ROW} FROM upload WHERE evidence_id = ?1 AND state IN ('active', 'complete')
                     ORDER BY state = 'complete' DESC, created_at DESC LIMIT 1"
                ),
                &[&evidence.id],
                row,
            )
        })?;
        if let Some(r) = existing {
            return Ok(r.status());
        }
        // Stored before (by an upload since forgotten): a complete upload
        // tells the client offset == length, and it stops.
        let complete = evidence.upload_state == UploadState::Stored;
        let id = hex::encode(rand::random::<[u8; 16]>());
        let now = self.now();
        let expires = now + self.config.expiry;
        let name = |s: &Option<String>| s.as_ref().map(|v| v.chars().take(200).collect::<String>());
        let (filename, filetype) = (name(&req.filename), name(&req.filetype));
        let received = if complete { req.length as i64 } else { 0 };
        let state = if complete { "complete" } else { "active" };
        self.run(|sql| {
            sql.execute(
                "INSERT INTO upload (id, evidence_id, user_id, device_id, sha256, length, received, state,
                                     filename, filetype, created_at, updated_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12)",
                &[
                    &id,
                    &req.evidence_id,
                    &auth.user_id,
                    &auth.device_id,
                    &evidence.sha256.to_ascii_lowercase(),
                    &(req.length as i64),
                    &received,
                    &state,
                    &filename,
                    &filetype,
                    &to_ms(now),
                    &to_ms(expires),
                ],
            )
        })?;
        tracing::info!(upload = %id, evidence = %req.evidence_id, length = req.length, "upload created (shared)");
        Ok(Row {
            id,
            evidence_id: req.evidence_id.clone(),
            sha256: evidence.sha256,
            length: req.length,
            received: received as u64,
            state: state.into(),
            reason: None,
            expires_at: to_ms(expires),
        }
        .status())
    }

    /// tus HEAD, from any instance: the offset the database holds.
    pub fn status(&self, store: &Store, auth: &DeviceAuth, id: &str) -> ApiResult<UploadStatus> {
        let r = self.load(id)?.ok_or_else(|| not_found(id))?;
        check_reach(store, auth, &r, false)?;
        Ok(self.expired_now(r)?.status())
    }

    /// An active row whose time is up becomes `expired` (unless a request
    /// holds it, which extends it).
    fn expired_now(&self, r: Row) -> ApiResult<Row> {
        let now = to_ms(self.now());
        if r.state != "active" || r.expires_at >= now {
            return Ok(r);
        }
        let expired = self.run(|sql| {
            sql.execute(
                "UPDATE upload SET state = 'expired', updated_at = ?2
                 WHERE id = ?1 AND state = 'active' AND expires_at < ?2
                   AND (busy_until IS NULL OR busy_until < ?2)",
                &[&r.id, &now],
            )
        })?;
        if expired == 0 {
            return Ok(r);
        }
        self.drop_parts(&r.id)?;
        tracing::info!(upload = %r.id, "upload expired");
        Ok(Row {
            state: "expired".into(),
            ..r
        })
    }

    /// Hold `id` for this request (423 while another request, on any
    /// instance, holds it). Returns the row as it is under the lease.
    fn take_lease(&self, id: &str) -> ApiResult<(Lease<'_>, Row)> {
        let token = hex::encode(rand::random::<[u8; 8]>());
        let now = to_ms(self.now());
        let until = now + self.config.lease.as_millis() as i64;
        let taken = self.run(|sql| {
            sql.query_row(
                &format!(
                    "UPDATE upload SET lease = ?2, busy_until = ?3
                     WHERE id = ?1 AND (busy_until IS NULL OR busy_until < ?4)
                     RETURNING {ROW}"
                ),
                &[&id, &token, &until, &now],
                row,
            )
        })?;
        match taken {
            Some(r) => Ok((
                Lease {
                    uploads: self,
                    id: id.to_string(),
                    token,
                    renewed: Instant::now(),
                },
                r,
            )),
            None if self.load(id)?.is_some() => Err(busy()),
            None => Err(not_found(id)),
        }
    }

    /// tus PATCH: append `body` at `offset`. `Prefer: respond-async` is
    /// answered when stored (see the module's words).
    pub fn append(
        &self,
        store: &Store,
        auth: &DeviceAuth,
        id: &str,
        offset: u64,
        checksum: Option<ChunkChecksum>,
        body: &mut dyn Read,
    ) -> ApiResult<UploadStatus> {
        let r = self.load(id)?.ok_or_else(|| not_found(id))?;
        check_reach(store, auth, &r, true)?;
        let r = self.expired_now(r)?;
        if let Some(answer) = settled(&r, offset) {
            return answer;
        }
        let (mut lease, r) = self.take_lease(id)?;
        if let Some(answer) = settled(&r, offset) {
            return answer;
        }
        self.append_held(store, &mut lease, r, offset, checksum, body)
    }

    /// tus creation-with-upload: create or find the upload and take the
    /// bytes in one call (as [`super::uploads::Uploads::create_with_body`]).
    pub fn create_with_body(
        &self,
        store: &Store,
        auth: &DeviceAuth,
        req: &NewUpload,
        checksum: Option<ChunkChecksum>,
        body: &[u8],
    ) -> ApiResult<(UploadStatus, Option<ServerError>)> {
        let status = self.create(store, auth, req)?;
        if status.offset != 0 || status.length == 0 || status.phase != super::UploadPhase::Active {
            return Ok((status, None));
        }
        let appended = self
            .take_lease(&status.upload_id)
            .and_then(|(mut lease, r)| {
                if let Some(answer) = settled(&r, 0) {
                    return answer;
                }
                self.append_held(store, &mut lease, r, 0, checksum, &mut &body[..])
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

    /// [`append`](Self::append) under the lease.
    fn append_held(
        &self,
        store: &Store,
        lease: &mut Lease<'_>,
        r: Row,
        offset: u64,
        checksum: Option<ChunkChecksum>,
        body: &mut dyn Read,
    ) -> ApiResult<UploadStatus> {
        if offset != r.received {
            return Err(offset_mismatch(r.received, offset));
        }
        let room = r.length - r.received;
        // The chunk in memory (at most Tus-Max-Size); the lease renewed as
        // a slow body streams.
        let mut bytes: Vec<u8> = Vec::new();
        let Received {
            written,
            mut outcome,
            chunk_digest,
            whole,
        } = receive_chunk(body, room, r.received == 0, checksum.as_ref(), |chunk| {
            bytes.extend_from_slice(chunk);
            lease.renew_if_due()
        });
        let keep = keep_chunk(&mut outcome, checksum.as_ref(), chunk_digest);
        let new_offset = r.received + written;
        if keep && outcome.is_ok() && new_offset == r.length {
            let digest = whole.map(hex::encode);
            return self.complete(store, lease, &r, bytes, digest);
        }
        if keep && written > 0 {
            self.put_part(lease, &r, bytes, new_offset)?;
        }
        outcome?;
        Ok(Row {
            received: new_offset,
            ..r
        }
        .status())
    }

    /// Put one acknowledged part, then move the offset past it, only while
    /// this request still holds the upload.
    fn put_part(
        &self,
        lease: &Lease<'_>,
        r: &Row,
        bytes: Vec<u8>,
        new_offset: u64,
    ) -> ApiResult<()> {
        let object = format!("{}/{:012}-{}", r.id, r.received, lease.token);
        let size = bytes.len() as i64;
        self.objects.put_part(&object, bytes).map_err(blob_err)?;
        let now = self.now();
        let (start, end) = (r.received as i64, new_offset as i64);
        let moved = self.transaction(|sql| {
            let moved = sql.execute(
                "UPDATE upload SET received = ?4, updated_at = ?5, expires_at = ?6
                 WHERE id = ?1 AND lease = ?2 AND received = ?3 AND state = 'active'",
                &[
                    &r.id,
                    &lease.token,
                    &start,
                    &end,
                    &to_ms(now),
                    &to_ms(now + self.config.expiry),
                ],
            )?;
            if moved == 1 {
                sql.execute(
                    "INSERT INTO upload_part (upload_id, start, size, object) VALUES (?1, ?2, ?3, ?4)",
                    &[&r.id, &start, &size, &object],
                )?;
            }
            Ok(moved)
        })?;
        if moved == 0 {
            // The lease lapsed and another request took over: this part is
            // not stitched in.
            let _ = self.objects.delete_part(&object);
            return Err(busy());
        }
        Ok(())
    }

    /// Every byte is in: read the parts back in order with the last chunk,
    /// verify the whole photo, store it, mark the evidence, complete.
    fn complete(
        &self,
        store: &Store,
        lease: &Lease<'_>,
        r: &Row,
        tail: Vec<u8>,
        digest: Option<String>,
    ) -> ApiResult<UploadStatus> {
        let parts = self.parts(&r.id)?;
        let mut photo = Vec::with_capacity(r.length as usize);
        for p in &parts {
            let bytes = self.objects.get_part(&p.object).map_err(blob_err)?;
            if p.start != photo.len() as u64 || bytes.len() as u64 != p.size {
                return self.start_again(lease, r, "a part is missing or not the size recorded");
            }
            photo.extend_from_slice(&bytes);
        }
        if photo.len() as u64 != r.received {
            return self.start_again(lease, r, "the parts do not reach the recorded offset");
        }
        photo.extend_from_slice(&tail);
        let actual = digest.unwrap_or_else(|| hex::encode(Sha256::digest(&photo)));
        if actual != r.sha256 {
            self.end(&r.id, "rejected", Some("sha256_mismatch"))?;
            tracing::warn!(upload = %r.id, evidence = %r.evidence_id, "upload rejected: whole-file sha256 does not match the record");
            return Err(sha256_mismatch());
        }
        self.objects.put_blob(&r.sha256, photo).map_err(blob_err)?;
        store.mark_evidence_stored(&r.evidence_id)?;
        self.end(&r.id, "complete", None)?;
        tracing::info!(upload = %r.id, evidence = %r.evidence_id, "evidence stored (shared)");
        Ok(Row {
            state: "complete".into(),
            received: r.length,
            reason: None,
            ..r.clone()
        }
        .status())
    }

    /// Parts recorded for an upload that are not there (never expected:
    /// a PUT is durable when answered): the upload starts again from 0
    /// rather than store a photo with a hole; the client, told the offset,
    /// sends it again.
    fn start_again(&self, lease: &Lease<'_>, r: &Row, why: &str) -> ApiResult<UploadStatus> {
        tracing::error!(upload = %r.id, why, "upload parts lost; receiving it again from 0");
        let objects = self.transaction(|sql| {
            let objects = forget_parts(sql, &r.id)?;
            sql.execute(
                "UPDATE upload SET received = 0 WHERE id = ?1 AND lease = ?2",
                &[&r.id, &lease.token],
            )?;
            Ok(objects)
        })?;
        self.delete_objects(&objects);
        Err(offset_mismatch(0, r.length))
    }

    fn parts(&self, id: &str) -> ApiResult<Vec<Part>> {
        self.run(|sql| {
            sql.query_map(
                "SELECT start, size, object FROM upload_part WHERE upload_id = ?1 ORDER BY start",
                &[&id],
                |row| {
                    Ok(Part {
                        start: row.get::<i64>(0)?.max(0) as u64,
                        size: row.get::<i64>(1)?.max(0) as u64,
                        object: row.get(2)?,
                    })
                },
            )
        })
    }

    /// An upload ends (`complete`, `rejected`, `terminated`): its state and
    /// the forgetting of its parts in one transaction, then the objects.
    fn end(&self, id: &str, state: &str, reason: Option<&str>) -> ApiResult<()> {
        let now = to_ms(self.now());
        let objects = self.transaction(|sql| {
            sql.execute(
                "UPDATE upload SET state = ?2, reason = ?3, updated_at = ?4,
                        received = CASE WHEN ?2 = 'complete' THEN length ELSE received END
                 WHERE id = ?1",
                &[&id, &state, &reason, &now],
            )?;
            forget_parts(sql, id)
        })?;
        self.delete_objects(&objects);
        Ok(())
    }

    /// Forget an ended upload's parts (after `expired`).
    fn drop_parts(&self, id: &str) -> ApiResult<()> {
        let objects = self.run(|sql| forget_parts(sql, id))?;
        self.delete_objects(&objects);
        Ok(())
    }

    /// Remove part objects no row needs any more. One that fails stays
    /// for the sweep (it is no longer referenced).
    fn delete_objects(&self, objects: &[String]) {
        for object in objects {
            if let Err(e) = self.objects.delete_part(object) {
                tracing::warn!(object, error = %e, "part not removed yet; the sweep will");
            }
        }
    }

    /// tus termination. A complete upload is evidence and stays.
    pub fn terminate(&self, store: &Store, auth: &DeviceAuth, id: &str) -> ApiResult<()> {
        let r = self.load(id)?.ok_or_else(|| not_found(id))?;
        check_reach(store, auth, &r, true)?;
        let r = self.expired_now(r)?;
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
        let (_lease, r) = self.take_lease(id)?;
        if r.state != "active" {
            return Err(gone(&r));
        }
        self.end(id, "terminated", None)?;
        tracing::info!(upload = %id, "upload terminated");
        Ok(())
    }

    /// Expire incomplete uploads whose time is up, forget the parts of
    /// ended ones, and remove part objects nothing refers to.
    pub fn sweep_expired(&self) -> ApiResult<u64> {
        let now = to_ms(self.now());
        let expired = self.run(|sql| {
            sql.query_map(
                "UPDATE upload SET state = 'expired', updated_at = ?1
                 WHERE state = 'active' AND expires_at < ?1 AND (busy_until IS NULL OR busy_until < ?1)
                 RETURNING id",
                &[&now],
                |row| row.get::<String>(0),
            )
        })?;
        // Parts of ended uploads (expired just now, or an end cut short).
        let leftover = self.run(|sql| {
            sql.query_map(
                "DELETE FROM upload_part WHERE upload_id IN (SELECT id FROM upload WHERE state <> 'active')
                 RETURNING object",
                &[],
                |row| row.get::<String>(0),
            )
        })?;
        self.delete_objects(&leftover);
        let old = self.now() - GARBAGE_AGE;
        let listed = self.objects.list_parts().map_err(blob_err)?;
        let stray: Vec<String> = listed
            .into_iter()
            .filter(|(_, at)| *at < old)
            .map(|(name, _)| name)
            .collect();
        if !stray.is_empty() {
            let referenced: std::collections::HashSet<String> = self
                .run(|sql| {
                    sql.query_map("SELECT object FROM upload_part", &[], |row| {
                        row.get::<String>(0)
                    })
                })?
                .into_iter()
                .collect();
            let stray: Vec<String> = stray
                .into_iter()
                .filter(|name| !referenced.contains(name))
                .collect();
            if !stray.is_empty() {
                tracing::info!(
                    objects = stray.len(),
                    "removing part objects no upload refers to"
                );
            }
            self.delete_objects(&stray);
        }
        for id in &expired {
            tracing::info!(upload = %id, "upload expired");
        }
        Ok(expired.len() as u64)
    }

    /// Where each photo stands (nothing waits for a batch here).
    pub fn photo_states(
        &self,
        store: &Store,
        auth: &DeviceAuth,
        evidence_ids: &[String],
    ) -> ApiResult<Vec<EvidenceUploadState>> {
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
        content(self.blobs(), store, auth, evidence_id)
    }
}

/// Forget an upload's parts: the objects to remove once committed.
fn forget_parts(sql: Sql<'_>, id: &str) -> gridwork_core::Result<Vec<String>> {
    sql.query_map(
        "DELETE FROM upload_part WHERE upload_id = ?1 RETURNING object",
        &[&id],
        |row| row.get::<String>(0),
    )
}

/// The answer for an upload that takes no bytes at `offset`: complete
/// (the same status again when the client sends its last offset), or
/// ended. `None` when it is active.
fn settled(r: &Row, offset: u64) -> Option<ApiResult<UploadStatus>> {
    match r.state.as_str() {
        "active" => None,
        "complete" if offset == r.length => Some(Ok(r.status())),
        "complete" => Some(Err(offset_mismatch(r.length, offset))),
        _ => Some(Err(gone(r))),
    }
}
