//! The photo upload queue through the bindings: the upload screen, the
//! network policy, "retry now", the core's own uploader (async, with a
//! progress listener), and the shell-driven mode — a plain tus job that
//! Android WorkManager or an iOS background URLSession carries while the app
//! is suspended, and its answer fed back into the same state machine.

use std::sync::Arc;

use gridwork_core::evidence::queue::{
    HttpHeader, NetworkKind, NetworkPolicy, UploadBlocker, UploadItem, UploadItemState, UploadJob,
    UploadOutcome, UploadQueueStatus, UploadResult, UploadStep,
};
use gridwork_core::sync::upload::{UploadProgress, UploadReport};

use crate::store::GridworkStore;
use crate::types::UtcTime;
use crate::GridworkError;

#[uniffi::remote(Enum)]
pub enum NetworkKind {
    None,
    Metered,
    Unmetered,
}

#[uniffi::remote(Enum)]
pub enum NetworkPolicy {
    AnyNetwork,
    UnmeteredOnly,
    UnmeteredAbove { max_bytes: u64 },
}

#[uniffi::remote(Enum)]
pub enum UploadStep {
    Create,
    Head,
    Patch,
}

#[uniffi::remote(Record)]
pub struct HttpHeader {
    pub name: String,
    pub value: String,
}

#[uniffi::remote(Record)]
pub struct UploadJob {
    pub job_id: String,
    pub evidence_id: String,
    pub step: UploadStep,
    pub method: String,
    pub url: String,
    pub headers: Vec<HttpHeader>,
    pub file_path: Option<String>,
    pub offset: u64,
    pub length: u64,
    pub total: u64,
    pub lease_until: UtcTime,
}

#[uniffi::remote(Enum)]
pub enum UploadOutcome {
    Progressed,
    Stored,
    WaitingForSync,
    RetryLater,
    Failed,
    Stale,
}

#[uniffi::remote(Enum)]
pub enum UploadItemState {
    Waiting,
    Uploading,
    Stored,
    Failed,
}

#[uniffi::remote(Enum)]
pub enum UploadBlocker {
    None,
    AwaitingSync,
    Network,
    Backoff,
}

#[uniffi::remote(Record)]
pub struct UploadItem {
    pub evidence_id: String,
    pub owner_kind: String,
    pub owner_id: String,
    pub priority: u8,
    pub state: UploadItemState,
    pub size: u64,
    pub offset: u64,
    pub attempts: u32,
    pub reason: Option<String>,
    pub retryable: bool,
    pub blocked_by: UploadBlocker,
    pub next_attempt_at: Option<UtcTime>,
    pub queued_at: UtcTime,
}

#[uniffi::remote(Record)]
pub struct UploadQueueStatus {
    pub waiting: u32,
    pub uploading: u32,
    pub stored: u32,
    pub failed: u32,
    pub bytes_waiting: u64,
    pub bytes_on_device: u64,
    pub oldest_waiting_at: Option<UtcTime>,
    pub oldest_waiting_age_secs: Option<u64>,
    pub network: NetworkKind,
    pub policy: NetworkPolicy,
    pub items: Vec<UploadItem>,
}

#[uniffi::remote(Record)]
pub struct UploadProgress {
    pub items_done: u64,
    pub items_total: u64,
    pub bytes_done: u64,
    pub bytes_total: u64,
}

#[uniffi::remote(Record)]
pub struct UploadReport {
    pub stored: u32,
    pub failed: u32,
    pub retry_later: u32,
    pub waiting_for_sync: u32,
    pub requests: u32,
    pub bytes_sent: u64,
}

/// Implemented by the shell to drive the upload progress bar. Called from a
/// background thread; must not block.
#[uniffi::export(with_foreign)]
pub trait UploadListener: Send + Sync {
    fn on_progress(&self, progress: UploadProgress);
}

#[uniffi::export(async_runtime = "tokio")]
impl GridworkStore {
    /// Upload the photos that may go now, most urgent first, until none
    /// can (done, waiting for sync, for Wi-Fi or for a backoff). `network`
    /// also updates the network kind the queue remembers; `None` uses it.
    pub async fn upload_evidence(
        &self,
        listener: Option<Arc<dyn UploadListener>>,
        network: Option<NetworkKind>,
    ) -> Result<UploadReport, GridworkError> {
        let (store, secrets) = (self.store_arc()?, self.secrets_arc()?);
        let report = move |p: UploadProgress| {
            if let Some(l) = &listener {
                l.on_progress(p);
            }
        };
        Ok(
            gridwork_core::sync::upload::upload_evidence(
                &store,
                secrets.as_ref(),
                network,
                &report,
            )
            .await?,
        )
    }
}

#[uniffi::export]
impl GridworkStore {
    /// The upload screen: counts, bytes waiting, the oldest photo's age,
    /// and every photo not yet stored with its state and reason.
    pub fn upload_queue_status(&self) -> Result<UploadQueueStatus, GridworkError> {
        Ok(self.store_arc()?.upload_queue_status()?)
    }

    /// "Retry now": backoffs end, retryable failures wait again. Returns
    /// how many photos were released.
    pub fn retry_uploads_now(&self) -> Result<u32, GridworkError> {
        Ok(self.store_arc()?.retry_uploads_now()?)
    }

    /// Which photos may use mobile data (the person's setting).
    pub fn set_upload_network_policy(&self, policy: NetworkPolicy) -> Result<(), GridworkError> {
        Ok(self.store_arc()?.set_upload_network_policy(policy)?)
    }

    /// The shell reports connectivity changes (ConnectivityManager,
    /// NWPathMonitor) here.
    pub fn set_network_kind(&self, kind: NetworkKind) -> Result<(), GridworkError> {
        Ok(self.store_arc()?.set_network_kind(kind)?)
    }

    /// The next tus request for a background transfer, or `None` when
    /// nothing may go now. A PATCH job carries the rest of the file.
    pub fn next_upload_job(&self) -> Result<Option<UploadJob>, GridworkError> {
        let (store, secrets) = (self.store_arc()?, self.secrets_arc()?);
        Ok(gridwork_core::sync::upload::next_upload_job(
            &store,
            secrets.as_ref(),
            None,
        )?)
    }

    /// Feed a job's answer back: the HTTP status (`None` if no answer came),
    /// the `Upload-Offset` and `Location` headers, the body (for the
    /// server's reason), or the transport error.
    pub fn report_upload_result(
        &self,
        job_id: String,
        http_status: Option<u16>,
        upload_offset_header: Option<String>,
        location_header: Option<String>,
        body: Option<String>,
        error: Option<String>,
    ) -> Result<UploadOutcome, GridworkError> {
        let result = UploadResult {
            status: http_status,
            upload_offset: upload_offset_header.and_then(|h| h.trim().parse().ok()),
            location: location_header,
            body,
            error,
        };
        Ok(self.store_arc()?.report_upload_result(&job_id, &result)?)
    }
}

/// `等允许的网络… / waits for an allowed network…`: why a photo waits ("" when nothing holds it).
#[uniffi::export]
pub fn upload_blocker_label(blocker: UploadBlocker) -> String {
    blocker.label()
}
