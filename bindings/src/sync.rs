//! Enrolment and sync through the bindings: async functions (Kotlin
//! `suspend`, Swift `async`) on a tokio runtime, progress through a
//! listener the shell implements.

use std::sync::Arc;

use gridwork_core::store::{AnswerSummary, ConflictRecord, PullSummary};
use gridwork_core::sync::activation_link::ActivationLink;
use gridwork_core::sync::{SyncPhase, SyncProgress, SyncReport};

use crate::store::GridworkStore;
use crate::types::{User, UtcTime};
use crate::GridworkError;

/// What an activation QR code holds: the server address (when it carried
/// one) and the code.
#[uniffi::remote(Record)]
pub struct ActivationLink {
    pub server_url: Option<String>,
    pub code: String,
}

/// Reads a scanned activation QR code (`gridwork:activate?v=1&server=…&code=…`,
/// or a bare code). Anything else is `Invalid` with the field `qr` and a
/// reason to show.
#[uniffi::export]
pub fn parse_activation_qr(text: String) -> Result<ActivationLink, GridworkError> {
    Ok(ActivationLink::parse(&text)?)
}

/// The QR text for a code on a server (for a console or a desktop showing it).
#[uniffi::export]
pub fn activation_qr(server_url: String, code: String) -> String {
    ActivationLink::to_qr(&server_url, &code)
}

#[uniffi::remote(Enum)]
pub enum SyncPhase {
    Push,
    Pull,
}

#[uniffi::remote(Record)]
pub struct SyncProgress {
    pub phase: SyncPhase,
    pub items_done: u64,
    pub items_total: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

#[uniffi::remote(Record)]
pub struct AnswerSummary {
    pub applied: u32,
    pub duplicate: u32,
    pub rejected: u32,
    pub retry: u32,
}

#[uniffi::remote(Record)]
pub struct PullSummary {
    pub upserted: u32,
    pub removed: u32,
    pub kept_pending: u32,
    pub evicted: Vec<String>,
    pub skipped: u32,
}

#[uniffi::remote(Record)]
pub struct SyncReport {
    pub pushed: AnswerSummary,
    pub pulled: PullSummary,
    pub push_requests: u32,
    pub pull_pages: u32,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

#[uniffi::remote(Record)]
pub struct ConflictRecord {
    pub id: String,
    pub op_kind: String,
    pub entity_id: String,
    pub code: String,
    pub reason: String,
    pub at: UtcTime,
    pub seen: bool,
}

/// Implemented by the shell to drive a progress bar. Called from a
/// background thread; must not block.
#[uniffi::export(with_foreign)]
pub trait SyncListener: Send + Sync {
    fn on_progress(&self, progress: SyncProgress);
}

#[uniffi::export(async_runtime = "tokio")]
impl GridworkStore {
    /// Enrol this installation with a one-time activation code (typed or
    /// scanned). The credential goes to the platform's secret store.
    pub async fn activate(
        &self,
        server_url: String,
        code: String,
        device_name: String,
    ) -> Result<User, GridworkError> {
        let (store, secrets) = (self.store_arc()?, self.secrets_arc()?);
        Ok(gridwork_core::sync::device::activate(
            &store,
            secrets.as_ref(),
            &server_url,
            &code,
            &device_name,
        )
        .await?)
    }

    /// Push everything waiting, then pull everything new. A revoked device
    /// is wiped and the call fails with `NotPermitted`.
    pub async fn sync(
        &self,
        listener: Option<Arc<dyn SyncListener>>,
    ) -> Result<SyncReport, GridworkError> {
        let (store, secrets) = (self.store_arc()?, self.secrets_arc()?);
        let report = move |p: SyncProgress| {
            if let Some(l) = &listener {
                l.on_progress(p);
            }
        };
        Ok(gridwork_core::sync::device::sync(&store, secrets.as_ref(), &report).await?)
    }

    /// Show a number this device holds masked (`MemberView.reveal_online`):
    /// the server checks the member is in reach, records the reveal (who,
    /// which field, why, its own clock) and answers. Needs a connection;
    /// numbers held whole are revealed offline by `reveal_member_field`.
    pub async fn reveal_member_field_online(
        &self,
        member_id: String,
        field: gridwork_core::pii::PiiField,
        reason: String,
    ) -> Result<String, GridworkError> {
        let (store, secrets) = (self.store_arc()?, self.secrets_arc()?);
        Ok(gridwork_core::sync::device::reveal_member_field(
            &store,
            secrets.as_ref(),
            &member_id,
            field,
            &reason,
        )
        .await?)
    }
}

#[uniffi::export]
impl GridworkStore {
    /// Operations the server refused, newest first, with its reasons.
    pub fn conflicts(&self, unseen_only: bool) -> Result<Vec<ConflictRecord>, GridworkError> {
        Ok(self.store_arc()?.conflicts(unseen_only)?)
    }

    pub fn mark_conflict_seen(&self, id: String) -> Result<(), GridworkError> {
        Ok(self.store_arc()?.mark_conflict_seen(&id)?)
    }

    /// The person this phone was enrolled for: the app signs them in on
    /// start. `None` before enrolment and after the phone was wiped.
    pub fn device_owner(&self) -> Result<Option<User>, GridworkError> {
        Ok(self.store_arc()?.device_owner()?)
    }

    /// The server this device is enrolled with.
    pub fn server_url(&self) -> Result<Option<String>, GridworkError> {
        Ok(self.store_arc()?.server_url()?)
    }
}
