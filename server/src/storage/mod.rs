//! The storage boundary. The HTTP layer talks only to `ServerStorage`; the
//! embedded default is SQLite (`sqlite.rs`: the core's store in server role
//! plus a small credentials database). A PostgreSQL implementation can take
//! over by implementing this trait, without touching the routes.
//!
//! Calls are blocking; the routes run them on tokio's blocking pool.

mod auth_db;
mod code_key;
pub mod console;
pub mod database;
pub mod shared_uploads;
pub mod sqlite;
mod sqlite_console;
mod upload_place;
pub mod uploads;

use chrono::{DateTime, Utc};
use gridwork_core::case::DeadlinePolicy;
use gridwork_core::checklist::ChecklistTemplate;
use gridwork_core::coverage::CoverageReport;
use gridwork_core::import::TableFormat;
use gridwork_core::store::{
    EscalationPass, ImportMode, ImportReport, PushDelivery, PushJob, PushJobUpdate,
};
use gridwork_core::sync::protocol::{PullResponse, PushRequest, PushResponse};
use gridwork_core::user::{Assignment, User};
use gridwork_core::visit::VisitPolicy;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiResult;

/// An authenticated device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceAuth {
    pub device_id: String,
    pub user_id: String,
    pub admin: bool,
}

/// A one-time activation code, shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ActivationCode {
    pub code: String,
    pub user_id: String,
    pub expires_at: DateTime<Utc>,
    /// A string ready to put in a QR code for the phone to scan.
    pub qr: String,
}

/// A device as administrators see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DeviceInfo {
    pub device_id: String,
    pub user_id: String,
    pub name: String,
    pub activated_at: DateTime<Utc>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A tus creation request for one evidence record's photo.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUpload {
    pub evidence_id: String,
    /// Lowercase hex SHA-256 of the whole file, as the phone recorded it.
    pub sha256: String,
    pub length: u64,
    pub filename: Option<String>,
    pub filetype: Option<String>,
}

/// A tus `Upload-Checksum` for one PATCH body (the decoded digest).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkChecksum {
    Sha1(Vec<u8>),
    Sha256(Vec<u8>),
}

/// Where an upload stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UploadPhase {
    /// Receiving bytes.
    Active,
    /// Every byte received and verified, not yet durable: answered early
    /// to a client that asked (`Prefer: respond-async`); stored with the
    /// next batch.
    Verified,
    /// Every byte received, verified, and the evidence marked stored.
    Complete,
    /// The whole file did not hash to the record's SHA-256; not linked.
    Rejected,
    /// Ended by the client (tus termination).
    Terminated,
    /// Incomplete past its expiry; the partial bytes are gone.
    Expired,
}

/// `POST /v1/evidence/upload-states`: the photos a phone asks about.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UploadStatesRequest {
    /// Evidence record ids, 1 to [`MAX_UPLOAD_STATES`].
    pub evidence_ids: Vec<String>,
}

/// How many photos one upload-states request may ask about.
pub const MAX_UPLOAD_STATES: usize = 500;

/// Where one photo stands on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PhotoState {
    /// Received whole, verified, durable: the phone may delete its copy.
    Stored,
    /// The record is there, the photo is not (or not whole): keep
    /// uploading (HEAD the upload for its offset).
    NotStored,
    /// No such evidence within the caller's reach.
    Unknown,
}

/// One photo's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EvidenceUploadState {
    pub evidence_id: String,
    pub state: PhotoState,
}

/// The answer: one entry per id asked, in the order asked.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UploadStatesResponse {
    pub states: Vec<EvidenceUploadState>,
}

/// One upload as tus reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadStatus {
    pub upload_id: String,
    pub evidence_id: String,
    pub offset: u64,
    pub length: u64,
    pub expires_at: DateTime<Utc>,
    pub phase: UploadPhase,
    /// Why a rejected upload was rejected (`sha256_mismatch`).
    pub reason: Option<String>,
}

/// What the server holds, for an administrator (`GET /v1/admin/report`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AdminReport {
    /// The server's time when the report was made.
    pub at: DateTime<Utc>,
    pub figures: gridwork_core::store::ServerFigures,
    /// Enrolled devices, and of those revoked.
    pub devices: u64,
    pub devices_revoked: u64,
    /// Stored photos whose blob was read back and hashed to the record's
    /// SHA-256 just now, and those whose blob is missing or differs.
    pub photos_verified: u64,
    pub photos_failed_check: u64,
    /// Bytes in the blob store for the stored photos.
    pub blob_bytes: u64,
}

/// Everything the routes need from storage.
pub trait ServerStorage: console::ConsoleStorage + Send + Sync + std::fmt::Debug + 'static {
    // ---- devices and credentials ----
    fn create_activation_code(&self, user_id: &str, server_url: &str) -> ApiResult<ActivationCode>;
    /// Exchange a code for a credential (the token is returned once).
    fn activate(&self, code: &str, device_id: &str, device_name: &str)
        -> ApiResult<(String, User)>;
    fn authenticate(&self, token: &str) -> ApiResult<DeviceAuth>;
    /// Replace a device's credential; the old one stops working.
    fn rotate(&self, device_id: &str) -> ApiResult<String>;
    fn revoke(&self, device_id: &str) -> ApiResult<()>;
    fn devices(&self) -> ApiResult<Vec<DeviceInfo>>;

    // ---- sync ----
    fn push(
        &self,
        auth: &DeviceAuth,
        device_clock_ms: Option<i64>,
        req: &PushRequest,
    ) -> ApiResult<PushResponse>;
    fn pull(&self, auth: &DeviceAuth, cursor: Option<&str>, limit: u32) -> ApiResult<PullResponse>;
    /// One member's number whole, for a reason; recorded with the server's clock.
    fn reveal(
        &self,
        auth: &DeviceAuth,
        member_id: &str,
        field: gridwork_core::pii::PiiField,
        reason: &str,
    ) -> ApiResult<String>;

    // ---- administration (as the given administrator) ----
    fn import_regions(
        &self,
        admin: &str,
        geojson: &str,
        mode: ImportMode,
    ) -> ApiResult<ImportReport>;
    fn import_households(
        &self,
        admin: &str,
        bytes: &[u8],
        format: TableFormat,
        mode: ImportMode,
    ) -> ApiResult<ImportReport>;
    fn import_members(
        &self,
        admin: &str,
        bytes: &[u8],
        format: TableFormat,
        mode: ImportMode,
    ) -> ApiResult<ImportReport>;
    fn upsert_user(&self, admin: &str, user: &User) -> ApiResult<()>;
    fn set_assignment(&self, admin: &str, assignment: &Assignment) -> ApiResult<()>;
    fn store_template(&self, admin: &str, template: &ChecklistTemplate) -> ApiResult<bool>;
    fn set_deadline_policy(&self, admin: &str, policy: &DeadlinePolicy) -> ApiResult<()>;
    fn set_visit_policy(&self, admin: &str, policy: &VisitPolicy) -> ApiResult<()>;
    fn coverage(&self, user: &str) -> ApiResult<CoverageReport>;
    /// Forget operation answers older than the retention (at least 90 days).
    fn prune(&self) -> ApiResult<u64>;

    // ---- evidence photo uploads (tus 1.0.0; ADR 0009) ----
    /// Create (or find again) the upload for an evidence record's photo.
    fn upload_create(&self, auth: &DeviceAuth, req: &NewUpload) -> ApiResult<UploadStatus>;
    /// Where an upload stands (an expired one is reported expired).
    fn upload_status(&self, auth: &DeviceAuth, upload_id: &str) -> ApiResult<UploadStatus>;
    /// Append `body` at `offset`, durably, verifying `checksum` if given;
    /// the last chunk verifies the whole file and links the evidence (with
    /// `deferred`, it answers `Verified` and the next batch links it).
    fn upload_append(
        &self,
        auth: &DeviceAuth,
        upload_id: &str,
        offset: u64,
        checksum: Option<ChunkChecksum>,
        deferred: bool,
        body: &mut dyn std::io::Read,
    ) -> ApiResult<UploadStatus>;
    /// tus creation-with-upload with the whole body in hand: create (or
    /// find) the upload and take the bytes in one call. Trouble with the
    /// bytes (other than the whole file not matching) leaves the creation
    /// standing and comes back beside its status.
    fn upload_create_with_body(
        &self,
        auth: &DeviceAuth,
        req: &NewUpload,
        checksum: Option<ChunkChecksum>,
        deferred: bool,
        body: &[u8],
    ) -> ApiResult<(UploadStatus, Option<crate::error::ServerError>)>;
    /// Make the verified uploads queued so far durable and stored, unless a
    /// batch is already doing so (it then takes them too).
    fn upload_finalize_soon(&self) -> ApiResult<()>;
    /// When to run a batch for the uploads queued so far (from now), or
    /// `None` when one is already scheduled.
    fn upload_schedule_batch(&self) -> Option<std::time::Duration>;
    /// Whether each photo is stored on the server, after every upload
    /// verified before the call was made durable. Evidence the caller
    /// cannot reach is `Unknown`.
    fn evidence_upload_states(
        &self,
        auth: &DeviceAuth,
        evidence_ids: &[String],
    ) -> ApiResult<Vec<EvidenceUploadState>>;
    /// End an incomplete upload and drop its bytes.
    fn upload_terminate(&self, auth: &DeviceAuth, upload_id: &str) -> ApiResult<()>;
    /// Remove expired incomplete uploads; how many.
    fn upload_sweep_expired(&self) -> ApiResult<u64>;
    // ---- escalations and push (ADR 0011) ----
    /// One pass of the escalation engine at the storage's clock.
    fn escalation_pass(&self) -> ApiResult<EscalationPass>;
    /// The endpoint kinds this server has channels for.
    fn set_push_kinds(&self, kinds: &[&str]) -> ApiResult<()>;
    /// Claim due push jobs for this process (lease in wall-clock ms).
    fn claim_push_jobs(
        &self,
        limit: u32,
        wall_now_ms: i64,
        lease_ms: i64,
    ) -> ApiResult<Vec<PushJob>>;
    fn finish_push_job(&self, job_id: i64, update: &PushJobUpdate) -> ApiResult<()>;
    fn next_push_due(&self) -> ApiResult<Option<DateTime<Utc>>>;
    /// The delivery log of one case (or all), oldest first.
    fn push_deliveries(&self, case_id: Option<&str>) -> ApiResult<Vec<PushDelivery>>;

    /// Whole-database figures, photos re-verified (administrators only).
    fn report(&self, admin: &str) -> ApiResult<AdminReport>;

    /// Where failed attempts at secrets are counted across instances (a
    /// shared database); `None`: each instance counts its own.
    fn failure_log(&self) -> Option<std::sync::Arc<dyn crate::throttle::FailureLog>> {
        None
    }

    /// The stored photo of an evidence record the caller may reach.
    fn evidence_content(
        &self,
        auth: &DeviceAuth,
        evidence_id: &str,
    ) -> ApiResult<(
        gridwork_core::evidence::EvidenceRecord,
        Box<dyn std::io::Read + Send>,
    )>;
}
