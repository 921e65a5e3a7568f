//! The server's storage: the core's store in server role and the server's
//! own records ([`AuthDb`]), both in the data directory's SQLite files
//! (`gridwork.db`, `auth.db`) by default or both in one PostgreSQL
//! database. Device credentials are stored only as SHA-256 hashes,
//! activation codes as HMAC-SHA256 under the key in `auth.key`.

use std::path::Path;
use std::sync::Arc;

use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use gridwork_core::case::DeadlinePolicy;
use gridwork_core::checklist::ChecklistTemplate;
use gridwork_core::clock::{from_ms, to_ms, Clock};
use gridwork_core::coverage::CoverageReport;
use gridwork_core::db::Sql;
use gridwork_core::import::TableFormat;
use gridwork_core::store::{
    EscalationPass, ImportMode, ImportReport, PushDelivery, PushJob, PushJobUpdate,
};
use gridwork_core::sync::protocol::{PullResponse, PushRequest, PushResponse};
use gridwork_core::user::{Assignment, Role, User};
use gridwork_core::visit::VisitPolicy;
use gridwork_core::{CoreError, Store};
use sha2::{Digest, Sha256};

use super::auth_db::AuthDb;
use super::code_key::CodeKey;
use super::database::Database;
use super::shared_uploads::SharedUploads;
use super::upload_place::UploadPlace;
use super::uploads::{UploadConfig, Uploads};
use super::{
    ActivationCode, ChunkChecksum, DeviceAuth, DeviceInfo, EvidenceUploadState, NewUpload,
    ServerStorage, UploadStatus,
};
use crate::blob::BlobStore;
use crate::error::{ApiResult, ServerError};

/// How long an activation code stays valid.
pub const CODE_TTL_DAYS: i64 = 7;
/// How long operation answers are kept (the protocol promises ≥ 90 days).
pub const OP_RETENTION_DAYS: i64 = 180;
/// Characters of activation codes: no 0/O, 1/I/L, easy to read aloud.
const CODE_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// SQLite storage.
#[derive(Debug)]
pub struct SqliteStorage {
    store: Store,
    auth: Arc<AuthDb>,
    clock: Arc<dyn Clock>,
    uploads: UploadPlace,
    code_key: CodeKey,
}

pub(super) fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.trim().as_bytes()))
}

/// A fresh device credential: 256 random bits.
pub(super) fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    format!(
        "gwd_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// A fresh activation code, `ABCDE-FGHJK` (about 49 bits; one-time, expiring).
fn new_code() -> String {
    let mut out = String::with_capacity(11);
    for i in 0..10 {
        if i == 5 {
            out.push('-');
        }
        let idx = rand::random::<u32>() as usize % CODE_ALPHABET.len();
        out.push(char::from(CODE_ALPHABET[idx]));
    }
    out
}

/// Codes are typed by people: ignore case, spaces and dashes.
fn normalize_code(code: &str) -> String {
    let clean: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if clean.len() == 10 {
        format!("{}-{}", &clean[..5], &clean[5..])
    } else {
        clean
    }
}

impl SqliteStorage {
    /// Open (creating) the data directory's databases, with the default
    /// upload settings and photo blobs in `data/blobs/`.
    pub fn open(data_dir: &Path, clock: Arc<dyn Clock>) -> ApiResult<Self> {
        Self::open_with(data_dir, clock, UploadConfig::default())
    }

    /// Open with the given upload settings.
    pub fn open_with(
        data_dir: &Path,
        clock: Arc<dyn Clock>,
        upload_config: UploadConfig,
    ) -> ApiResult<Self> {
        Self::open_on(&Database::DataDir, data_dir, clock, upload_config)
    }

    /// Open with the domain store and the server's own records in
    /// `database` (the data directory's SQLite files, or PostgreSQL).
    /// Uploads in progress are shared too when the photos are in an
    /// object store (`UploadPlace`); otherwise they stay in the data
    /// directory's `uploads.db` and `uploads/partial/`.
    pub fn open_on(
        database: &Database,
        data_dir: &Path,
        clock: Arc<dyn Clock>,
        upload_config: UploadConfig,
    ) -> ApiResult<Self> {
        std::fs::create_dir_all(data_dir).map_err(|e| CoreError::io(data_dir, e))?;
        let store = database.open_store(data_dir, clock.clone())?;
        let auth = Arc::new(AuthDb::open(database, data_dir)?);
        let uploads = match (database, upload_config.blobs.open_objects()) {
            // Records and photos both shared: so are uploads in progress.
            (Database::Postgres(url), Some(objects)) => {
                let objects = objects.map_err(|e| ServerError::Internal(e.to_string()))?;
                UploadPlace::Shared(SharedUploads::open(
                    url,
                    objects,
                    clock.clone(),
                    upload_config,
                )?)
            }
            _ => {
                let blobs: Arc<dyn BlobStore> = upload_config
                    .blobs
                    .open(data_dir)
                    .map_err(|e| ServerError::Internal(e.to_string()))?;
                UploadPlace::Local(Uploads::open(
                    data_dir,
                    blobs,
                    clock.clone(),
                    upload_config,
                    &store,
                )?)
            }
        };
        let code_key = CodeKey::load_or_create(data_dir)?;
        auth.check_code_key(&code_key)?;
        Ok(SqliteStorage {
            store,
            auth,
            clock,
            uploads,
            code_key,
        })
    }

    /// The core store, for the escalation engine and the CLI.
    pub fn store(&self) -> &Store {
        &self.store
    }

    pub(super) fn auth(&self) -> &AuthDb {
        &self.auth
    }

    pub(super) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub(super) fn require_admin(&self, user_id: &str) -> ApiResult<()> {
        match self.store.user(user_id) {
            Ok(u) if u.role == Role::Administrator => Ok(()),
            Ok(_) => Err(ServerError::AdminOnly),
            Err(CoreError::NotFound { .. }) => Err(ServerError::AdminOnly),
            Err(e) => Err(e.into()),
        }
    }

    /// The lookup keys of `code`: its keyed digest, and a bare SHA-256
    /// for a code made before the server had a key (found until it
    /// expires).
    pub(super) fn code_digests(&self, code: &str) -> ApiResult<[String; 2]> {
        let code = normalize_code(code);
        Ok([self.code_key.digest(&code)?, hash(&code)])
    }

    /// The activation code's stored digest and its person, if the code is
    /// known, unused and unexpired; otherwise the reason, for that field.
    pub(super) fn usable_code(
        &self,
        sql: Sql<'_>,
        digests: &[String; 2],
    ) -> gridwork_core::Result<(String, String)> {
        let now = self.now();
        let row = sql.query_row(
            "SELECT code_hash, user_id, expires_at, used_at FROM activation_code WHERE code_hash IN (?1, ?2)",
            &[&digests[0], &digests[1]],
            |r| Ok((r.get::<String>(0)?, r.get::<String>(1)?, r.get::<i64>(2)?, r.get::<Option<i64>>(3)?)),
        )?;
        match row {
            None => Err(CoreError::invalid(
                "code",
                "激活码不正确 / the activation code is not valid",
            )),
            Some((_, _, _, Some(_))) => Err(CoreError::invalid(
                "code",
                "激活码已使用 / the activation code was already used",
            )),
            Some((_, _, expires, None)) if expires < to_ms(now) => Err(CoreError::invalid(
                "code",
                "激活码已过期 / the activation code has expired",
            )),
            Some((code_hash, user_id, _, None)) => Ok((code_hash, user_id)),
        }
    }

    /// First start: an administrator to begin with, and a code for them.
    pub fn bootstrap_admin(&self, server_url: &str) -> ApiResult<Option<ActivationCode>> {
        match self.store.user("admin") {
            Ok(_) => Ok(None),
            Err(CoreError::NotFound { .. }) => {
                self.store.upsert_user(&User {
                    id: "admin".into(),
                    name: "系统管理员".into(),
                    role: Role::Administrator,
                    phone: None,
                    jurisdiction: vec![],
                })?;
                self.store.install_default_templates()?;
                Ok(Some(self.create_activation_code("admin", server_url)?))
            }
            Err(e) => Err(e.into()),
        }
    }
}

impl ServerStorage for SqliteStorage {
    fn failure_log(&self) -> Option<Arc<dyn crate::throttle::FailureLog>> {
        match *self.auth {
            AuthDb::Postgres(_) => Some(self.auth.clone()),
            AuthDb::Sqlite(_) => None,
        }
    }

    fn create_activation_code(&self, user_id: &str, server_url: &str) -> ApiResult<ActivationCode> {
        self.store.user(user_id)?;
        let code = new_code();
        let now = self.now();
        let expires_at = now + Duration::days(CODE_TTL_DAYS);
        let digest = self.code_key.digest(&code)?;
        self.auth().run(|sql| {
            sql.execute(
                "INSERT INTO activation_code (code_hash, user_id, created_at, expires_at) VALUES (?1, ?2, ?3, ?4)",
                &[&digest, &user_id, &to_ms(now), &to_ms(expires_at)],
            )
        })?;
        let qr = gridwork_core::sync::activation_link::ActivationLink::to_qr(server_url, &code);
        Ok(ActivationCode {
            code,
            user_id: user_id.into(),
            expires_at,
            qr,
        })
    }

    fn activate(
        &self,
        code: &str,
        device_id: &str,
        device_name: &str,
    ) -> ApiResult<(String, User)> {
        if device_id.trim().is_empty() || device_id.len() > 100 {
            return Err(CoreError::invalid(
                "device_id",
                "设备编号无效 / device id is empty or too long",
            )
            .into());
        }
        let now = self.now();
        let token = new_token();
        let digests = self.code_digests(code)?;
        let name: String = device_name.chars().take(100).collect();
        let token_hash = hash(&token);
        let user_id = self.auth().transaction(|sql| {
            let (code_hash, user_id) = self.usable_code(sql, &digests)?;
            // A device id is bound to the person whose phone it is. The
            // same person enrolling the same installation again (its first
            // answer was lost on the way, or a new code after a lost
            // credential) replaces that device's credential; anyone else
            // naming it is refused, the code stays unused and the enrolled
            // device keeps working.
            let bound_to = sql.query_row(
                "SELECT user_id FROM device WHERE device_id = ?1",
                &[&device_id],
                |r| r.get::<String>(0),
            )?;
            if bound_to.is_some_and(|owner| owner != user_id) {
                tracing::warn!(
                    device = device_id,
                    "activation named a device id enrolled for someone else"
                );
                return Err(CoreError::conflict(
                    "此设备编号已属于另一位用户的手机，请清除应用数据后重新激活 / this device id belongs to another person's phone: clear the app's data and activate again",
                ));
            }
            sql.execute(
                "UPDATE activation_code SET used_at = ?2, device_id = ?3 WHERE code_hash = ?1",
                &[&code_hash, &to_ms(now), &device_id],
            )?;
            // Re-enrolling the same person's installation replaces its credential.
            sql.execute(
                "INSERT INTO device (device_id, user_id, name, token_hash, activated_at) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT(device_id) DO UPDATE SET user_id = excluded.user_id, name = excluded.name,
                   token_hash = excluded.token_hash, activated_at = excluded.activated_at, revoked_at = NULL",
                &[&device_id, &user_id, &name, &token_hash, &to_ms(now)],
            )?;
            Ok(user_id)
        })?;
        tracing::info!(device = device_id, user = %user_id, "device activated");
        Ok((token, self.store.user(&user_id)?))
    }

    fn authenticate(&self, token: &str) -> ApiResult<DeviceAuth> {
        let token_hash = hash(token);
        let row = self.auth().run(|sql| {
            sql.query_row(
                "SELECT device_id, user_id, revoked_at, last_seen_at FROM device WHERE token_hash = ?1",
                &[&token_hash],
                |r| {
                    Ok((
                        r.get::<String>(0)?,
                        r.get::<String>(1)?,
                        r.get::<Option<i64>>(2)?,
                        r.get::<Option<i64>>(3)?,
                    ))
                },
            )
        })?;
        let Some((device_id, user_id, revoked, last_seen)) = row else {
            return Err(ServerError::Unauthorized("unknown credential".into()));
        };
        if revoked.is_some() {
            return Err(ServerError::Revoked);
        }
        let now = to_ms(self.now());
        // At most one write a minute per device.
        if last_seen.is_none_or(|t| now - t > 60_000) {
            self.auth().run(|sql| {
                sql.execute(
                    "UPDATE device SET last_seen_at = ?2 WHERE device_id = ?1",
                    &[&device_id, &now],
                )
            })?;
        }
        let admin = matches!(self.store.user(&user_id), Ok(u) if u.role == Role::Administrator);
        Ok(DeviceAuth {
            device_id,
            user_id,
            admin,
        })
    }

    fn rotate(&self, device_id: &str) -> ApiResult<String> {
        let token = new_token();
        let token_hash = hash(&token);
        let n = self.auth().run(|sql| {
            sql.execute(
                "UPDATE device SET token_hash = ?2 WHERE device_id = ?1 AND revoked_at IS NULL",
                &[&device_id, &token_hash],
            )
        })?;
        if n == 0 {
            return Err(ServerError::Revoked);
        }
        Ok(token)
    }

    fn revoke(&self, device_id: &str) -> ApiResult<()> {
        let now = to_ms(self.now());
        let n = self.auth().run(|sql| {
            sql.execute(
                "UPDATE device SET revoked_at = ?2 WHERE device_id = ?1 AND revoked_at IS NULL",
                &[&device_id, &now],
            )
        })?;
        if n == 0 {
            return Err(CoreError::not_found("device", device_id).into());
        }
        tracing::info!(device = device_id, "device revoked");
        Ok(())
    }

    fn devices(&self) -> ApiResult<Vec<DeviceInfo>> {
        self.auth().run(|sql| {
            sql.query_map(
                "SELECT device_id, user_id, name, activated_at, last_seen_at, revoked_at FROM device ORDER BY activated_at",
                &[],
                |r| {
                    Ok(DeviceInfo {
                        device_id: r.get(0)?,
                        user_id: r.get(1)?,
                        name: r.get(2)?,
                        activated_at: from_ms(r.get(3)?),
                        last_seen_at: r.get::<Option<i64>>(4)?.map(from_ms),
                        revoked_at: r.get::<Option<i64>>(5)?.map(from_ms),
                    })
                },
            )
        })
    }

    fn push(
        &self,
        auth: &DeviceAuth,
        device_clock_ms: Option<i64>,
        req: &PushRequest,
    ) -> ApiResult<PushResponse> {
        if req.device_id != auth.device_id {
            return Err(ServerError::BadRequest(
                "请求中的设备编号与凭证不符 / the device id does not match the credential".into(),
            ));
        }
        let answers = self.store.apply_push(
            &auth.user_id,
            &auth.device_id,
            device_clock_ms,
            req.acked_through,
            &req.ops,
        )?;
        Ok(PushResponse { answers })
    }

    fn pull(&self, auth: &DeviceAuth, cursor: Option<&str>, limit: u32) -> ApiResult<PullResponse> {
        Ok(self
            .store
            .pull(&auth.user_id, Some(&auth.device_id), cursor, limit)?)
    }

    fn reveal(
        &self,
        auth: &DeviceAuth,
        member_id: &str,
        field: gridwork_core::pii::PiiField,
        reason: &str,
    ) -> ApiResult<String> {
        Ok(self
            .store
            .reveal_member_field(&auth.user_id, member_id, field, reason)?)
    }

    fn import_regions(
        &self,
        admin: &str,
        geojson: &str,
        mode: ImportMode,
    ) -> ApiResult<ImportReport> {
        Ok(self.store.import_regions_geojson(admin, geojson, mode)?)
    }

    fn import_households(
        &self,
        admin: &str,
        bytes: &[u8],
        format: TableFormat,
        mode: ImportMode,
    ) -> ApiResult<ImportReport> {
        Ok(self.store.import_households(admin, bytes, format, mode)?)
    }

    fn import_members(
        &self,
        admin: &str,
        bytes: &[u8],
        format: TableFormat,
        mode: ImportMode,
    ) -> ApiResult<ImportReport> {
        Ok(self.store.import_members(admin, bytes, format, mode)?)
    }

    fn upsert_user(&self, admin: &str, user: &User) -> ApiResult<()> {
        self.require_admin(admin)?;
        Ok(self.store.upsert_user(user)?)
    }

    fn set_assignment(&self, admin: &str, assignment: &Assignment) -> ApiResult<()> {
        self.require_admin(admin)?;
        Ok(self.store.set_assignment(assignment)?)
    }

    fn store_template(&self, admin: &str, template: &ChecklistTemplate) -> ApiResult<bool> {
        self.require_admin(admin)?;
        Ok(self.store.store_template(template)?)
    }

    fn set_deadline_policy(&self, admin: &str, policy: &DeadlinePolicy) -> ApiResult<()> {
        self.require_admin(admin)?;
        Ok(self.store.set_deadline_policy(policy)?)
    }

    fn set_visit_policy(&self, admin: &str, policy: &VisitPolicy) -> ApiResult<()> {
        self.require_admin(admin)?;
        Ok(self.store.set_visit_policy(policy)?)
    }

    fn coverage(&self, user: &str) -> ApiResult<CoverageReport> {
        Ok(self.store.coverage_report(user)?)
    }

    fn escalation_pass(&self) -> ApiResult<EscalationPass> {
        Ok(self.store.escalation_pass()?)
    }

    fn set_push_kinds(&self, kinds: &[&str]) -> ApiResult<()> {
        Ok(self.store.set_push_kinds(kinds)?)
    }

    fn claim_push_jobs(
        &self,
        limit: u32,
        wall_now_ms: i64,
        lease_ms: i64,
    ) -> ApiResult<Vec<PushJob>> {
        Ok(self.store.claim_push_jobs(limit, wall_now_ms, lease_ms)?)
    }

    fn finish_push_job(&self, job_id: i64, update: &PushJobUpdate) -> ApiResult<()> {
        Ok(self.store.finish_push_job(job_id, update)?)
    }

    fn next_push_due(&self) -> ApiResult<Option<DateTime<Utc>>> {
        Ok(self.store.next_push_due()?)
    }

    fn push_deliveries(&self, case_id: Option<&str>) -> ApiResult<Vec<PushDelivery>> {
        Ok(self.store.push_deliveries(case_id)?)
    }

    fn prune(&self) -> ApiResult<u64> {
        Ok(self.store.prune_op_log(Duration::days(OP_RETENTION_DAYS))?)
    }

    fn upload_create(&self, auth: &DeviceAuth, req: &NewUpload) -> ApiResult<UploadStatus> {
        self.uploads.create(&self.store, auth, req)
    }

    fn upload_status(&self, auth: &DeviceAuth, upload_id: &str) -> ApiResult<UploadStatus> {
        self.uploads.status(&self.store, auth, upload_id)
    }

    fn upload_append(
        &self,
        auth: &DeviceAuth,
        upload_id: &str,
        offset: u64,
        checksum: Option<ChunkChecksum>,
        deferred: bool,
        body: &mut dyn std::io::Read,
    ) -> ApiResult<UploadStatus> {
        self.uploads.append(
            &self.store,
            auth,
            upload_id,
            offset,
            checksum,
            deferred,
            body,
        )
    }

    fn upload_create_with_body(
        &self,
        auth: &DeviceAuth,
        req: &NewUpload,
        checksum: Option<ChunkChecksum>,
        deferred: bool,
        body: &[u8],
    ) -> ApiResult<(UploadStatus, Option<ServerError>)> {
        self.uploads
            .create_with_body(&self.store, auth, req, checksum, deferred, body)
    }

    fn upload_finalize_soon(&self) -> ApiResult<()> {
        self.uploads.finalize_soon(&self.store)
    }

    fn upload_schedule_batch(&self) -> Option<std::time::Duration> {
        self.uploads.schedule_batch()
    }

    fn evidence_upload_states(
        &self,
        auth: &DeviceAuth,
        evidence_ids: &[String],
    ) -> ApiResult<Vec<EvidenceUploadState>> {
        self.uploads.photo_states(&self.store, auth, evidence_ids)
    }

    fn upload_terminate(&self, auth: &DeviceAuth, upload_id: &str) -> ApiResult<()> {
        self.uploads.terminate(&self.store, auth, upload_id)
    }

    fn upload_sweep_expired(&self) -> ApiResult<u64> {
        self.uploads.sweep_expired()
    }

    fn evidence_content(
        &self,
        auth: &DeviceAuth,
        evidence_id: &str,
    ) -> ApiResult<(
        gridwork_core::evidence::EvidenceRecord,
        Box<dyn std::io::Read + Send>,
    )> {
        self.uploads.content(&self.store, auth, evidence_id)
    }

    fn report(&self, admin: &str) -> ApiResult<super::AdminReport> {
        self.require_admin(admin)?;
        let figures = self.store.server_figures()?;
        let (devices, devices_revoked) = self
            .auth()
            .run(|sql| {
                sql.query_row("SELECT COUNT(*), COUNT(revoked_at) FROM device", &[], |r| {
                    Ok((r.get::<i64>(0)?, r.get::<i64>(1)?))
                })
            })?
            .unwrap_or_default();
        let (mut verified, mut failed, mut bytes) = (0u64, 0u64, 0u64);
        for (sha, size) in self.store.stored_evidence_hashes()? {
            // Hash what the blob store gives back: "stored" must mean the
            // bytes are there and are the photo the phone hashed.
            let ok = match self.uploads.blob_sha256(&sha) {
                Ok(Some((got, len))) => {
                    bytes += len;
                    got == sha && len == size
                }
                _ => false,
            };
            if ok {
                verified += 1;
            } else {
                failed += 1;
            }
        }
        Ok(super::AdminReport {
            at: self.now(),
            figures,
            devices: u64::try_from(devices).unwrap_or(0),
            devices_revoked: u64::try_from(devices_revoked).unwrap_or(0),
            photos_verified: verified,
            photos_failed_check: failed,
            blob_bytes: bytes,
        })
    }
}
