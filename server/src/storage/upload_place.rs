//! Where uploads in progress are kept: in the data directory
//! (`uploads.rs`, one instance: files fsync'd in batches), or shared by
//! every instance (`shared_uploads.rs`: rows in PostgreSQL, bytes in the
//! object store). Shared exactly when both the records and the photos
//! are: with photos on one machine's disk there is nothing for another
//! instance to continue.

use std::io::Read;

use gridwork_core::Store;

use super::shared_uploads::SharedUploads;
use super::uploads::Uploads;
use super::{ChunkChecksum, DeviceAuth, EvidenceUploadState, NewUpload, UploadStatus};
use crate::blob::BlobError;
use crate::error::{ApiResult, ServerError};

#[derive(Debug)]
pub(crate) enum UploadPlace {
    Local(Uploads),
    Shared(SharedUploads),
}

impl UploadPlace {
    pub(crate) fn create(
        &self,
        store: &Store,
        auth: &DeviceAuth,
        req: &NewUpload,
    ) -> ApiResult<UploadStatus> {
        match self {
            UploadPlace::Local(u) => u.create(store, auth, req),
            UploadPlace::Shared(u) => u.create(store, auth, req),
        }
    }

    pub(crate) fn status(
        &self,
        store: &Store,
        auth: &DeviceAuth,
        id: &str,
    ) -> ApiResult<UploadStatus> {
        match self {
            UploadPlace::Local(u) => u.status(store, auth, id),
            UploadPlace::Shared(u) => u.status(store, auth, id),
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn append(
        &self,
        store: &Store,
        auth: &DeviceAuth,
        id: &str,
        offset: u64,
        checksum: Option<ChunkChecksum>,
        deferred: bool,
        body: &mut dyn Read,
    ) -> ApiResult<UploadStatus> {
        match self {
            UploadPlace::Local(u) => u.append(store, auth, id, offset, checksum, deferred, body),
            UploadPlace::Shared(u) => u.append(store, auth, id, offset, checksum, body),
        }
    }

    pub(crate) fn create_with_body(
        &self,
        store: &Store,
        auth: &DeviceAuth,
        req: &NewUpload,
        checksum: Option<ChunkChecksum>,
        deferred: bool,
        body: &[u8],
    ) -> ApiResult<(UploadStatus, Option<ServerError>)> {
        match self {
            UploadPlace::Local(u) => u.create_with_body(store, auth, req, checksum, deferred, body),
            UploadPlace::Shared(u) => u.create_with_body(store, auth, req, checksum, body),
        }
    }

    /// Shared uploads answer once stored: no batch to finish.
    pub(crate) fn finalize_soon(&self, store: &Store) -> ApiResult<()> {
        match self {
            UploadPlace::Local(u) => u.finalize_soon(store),
            UploadPlace::Shared(_) => Ok(()),
        }
    }

    pub(crate) fn schedule_batch(&self) -> Option<std::time::Duration> {
        match self {
            UploadPlace::Local(u) => u.schedule_batch(),
            UploadPlace::Shared(_) => None,
        }
    }

    pub(crate) fn photo_states(
        &self,
        store: &Store,
        auth: &DeviceAuth,
        evidence_ids: &[String],
    ) -> ApiResult<Vec<EvidenceUploadState>> {
        match self {
            UploadPlace::Local(u) => u.photo_states(store, auth, evidence_ids),
            UploadPlace::Shared(u) => u.photo_states(store, auth, evidence_ids),
        }
    }

    pub(crate) fn terminate(&self, store: &Store, auth: &DeviceAuth, id: &str) -> ApiResult<()> {
        match self {
            UploadPlace::Local(u) => u.terminate(store, auth, id),
            UploadPlace::Shared(u) => u.terminate(store, auth, id),
        }
    }

    pub(crate) fn sweep_expired(&self) -> ApiResult<u64> {
        match self {
            UploadPlace::Local(u) => u.sweep_expired(),
            UploadPlace::Shared(u) => u.sweep_expired(),
        }
    }

    pub(crate) fn content(
        &self,
        store: &Store,
        auth: &DeviceAuth,
        evidence_id: &str,
    ) -> ApiResult<(
        gridwork_core::evidence::EvidenceRecord,
        Box<dyn Read + Send>,
    )> {
        match self {
            UploadPlace::Local(u) => u.content(store, auth, evidence_id),
            UploadPlace::Shared(u) => u.content(store, auth, evidence_id),
        }
    }

    pub(crate) fn blob_sha256(&self, sha256: &str) -> Result<Option<(String, u64)>, BlobError> {
        match self {
            UploadPlace::Local(u) => u.blob_sha256(sha256),
            UploadPlace::Shared(u) => u.blob_sha256(sha256),
        }
    }
}
