//! The device's sync loop, independent of the transport: push the outbox
//! oldest first until every operation is answered, then pull pages until
//! the server has nothing more. The HTTP transport is in `http.rs`; tests
//! also drive this loop against a server store in the same process.

use std::future::Future;
use std::task::Poll;

use futures_util::stream::{FuturesOrdered, StreamExt};

use serde::{Deserialize, Serialize};
use tracing::info;

use super::protocol::{PullRequest, PullResponse, PushRequest, PushResponse};
use crate::error::{CoreError, Result};
use crate::store::{AnswerSummary, PullSummary};
use crate::Store;

/// Operations per push request.
pub const PUSH_BATCH: u32 = 500;
/// Push requests in flight at once (see `sync_with`).
pub const PUSH_DEPTH: usize = 2;
/// Changes per pull page.
pub const PULL_PAGE: u32 = 500;

/// Bytes on the wire for one exchange (compressed sizes when compressed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub sent: u64,
    pub received: u64,
}

/// How the loop reaches the server.
pub trait Transport: Sync {
    fn push(
        &self,
        req: &PushRequest,
    ) -> impl Future<Output = Result<(PushResponse, Transfer)>> + Send;
    fn pull(
        &self,
        req: &PullRequest,
    ) -> impl Future<Output = Result<(PullResponse, Transfer)>> + Send;
}

/// Which half of a sync is running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncPhase {
    Push,
    Pull,
}

/// Progress for a progress bar. Totals are known for the push (the outbox)
/// and become known for the pull after its first page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncProgress {
    pub phase: SyncPhase,
    pub items_done: u64,
    pub items_total: u64,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

/// What one sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    pub pushed: AnswerSummary,
    pub pulled: PullSummary,
    pub push_requests: u32,
    pub pull_pages: u32,
    pub bytes_sent: u64,
    pub bytes_received: u64,
}

/// Push everything pending, then pull everything new.
pub async fn sync_with<T: Transport>(
    store: &Store,
    transport: &T,
    progress: &(dyn Fn(SyncProgress) + Send + Sync),
) -> Result<SyncReport> {
    let mut report = SyncReport::default();
    let total_push = store.outbox_len()?;
    let mut done = 0u64;
    // Up to PUSH_DEPTH requests in flight: the next batch is read, encoded
    // and sent while the server still applies the one before (on 2G this
    // hides a round trip per batch; on a fast link the phone's and the
    // server's work overlap). Order still holds: the server applies a
    // device's operations in sequence and answers `retry` to any that
    // arrive before the ones they follow; after a `retry` the loop lets
    // what is in flight finish and starts again from the oldest waiting
    // operation.
    let mut in_flight = FuturesOrdered::new();
    let mut read_after: Option<i64> = None;
    let mut exhausted = false;
    let mut restart = false;
    let mut answered_this_round = 0u64;
    let mut ready = None;
    loop {
        while in_flight.len() < PUSH_DEPTH && !exhausted && !restart {
            let batch = store.outbox_after(read_after, PUSH_BATCH)?;
            let Some(last) = batch.last() else {
                exhausted = true;
                break;
            };
            read_after = Some(last.seq);
            let req = PushRequest {
                device_id: store.device_id().to_string(),
                acked_through: store.acked_through()?,
                ops: batch,
            };
            in_flight.push_back(async move {
                let answer = transport.push(&req).await;
                (req.ops, answer)
            });
            // Start this request before the next batch is read, so that it
            // reaches the server first (the server applies whichever arrives
            // first; out of order costs a `retry`, not correctness).
            if let Poll::Ready(Some(first)) = futures_util::poll!(in_flight.next()) {
                ready = Some(first);
                break;
            }
        }
        let next = match ready.take() {
            Some(first) => Some(first),
            None => in_flight.next().await,
        };
        let Some((batch, answer)) = next else {
            break;
        };
        let (resp, t) = answer?;
        report.push_requests += 1;
        report.bytes_sent += t.sent;
        report.bytes_received += t.received;
        let sum = store.apply_answers(&batch, &resp.answers)?;
        report.pushed.applied += sum.applied;
        report.pushed.duplicate += sum.duplicate;
        report.pushed.rejected += sum.rejected;
        report.pushed.retry += sum.retry;
        let answered = u64::from(sum.applied + sum.duplicate + sum.rejected);
        done += answered;
        answered_this_round += answered;
        restart |= sum.retry > 0;
        progress(SyncProgress {
            phase: SyncPhase::Push,
            items_done: done,
            items_total: total_push.max(done),
            bytes_sent: report.bytes_sent,
            bytes_received: report.bytes_received,
        });
        if restart && in_flight.is_empty() {
            if answered_this_round == 0 {
                // Nothing could be applied (the server waits for earlier
                // operations): stop rather than loop; the next sync retries.
                return Err(CoreError::Network {
                    reason: "服务器未接受任何操作，稍后重试 / the server accepted none of the operations; retrying later".into(),
                });
            }
            (read_after, exhausted, restart, answered_this_round) = (None, false, false, 0);
        }
    }
    let mut pulled = 0u64;
    loop {
        let req = PullRequest {
            cursor: store.sync_cursor()?,
            limit: PULL_PAGE,
        };
        let (page, t) = transport.pull(&req).await?;
        report.pull_pages += 1;
        report.bytes_sent += t.sent;
        report.bytes_received += t.received;
        let sum = store.apply_pull(&page)?;
        pulled += page.changes.len() as u64;
        report.pulled.upserted += sum.upserted;
        report.pulled.removed += sum.removed;
        report.pulled.kept_pending += sum.kept_pending;
        report.pulled.skipped += sum.skipped;
        report.pulled.evicted.extend(sum.evicted);
        progress(SyncProgress {
            phase: SyncPhase::Pull,
            items_done: pulled,
            items_total: pulled + page.remaining,
            bytes_sent: report.bytes_sent,
            bytes_received: report.bytes_received,
        });
        if !page.more {
            break;
        }
    }
    store.mark_synced()?;
    info!(
        applied = report.pushed.applied,
        rejected = report.pushed.rejected,
        pulled = report.pulled.upserted,
        "sync finished"
    );
    Ok(report)
}
