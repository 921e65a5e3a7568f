//! The escalation engine (ADR 0011): every minute, right after a push that
//! carried case operations, and whenever the test clock moves, one tick —
//! the core's escalation pass over the database, then a dispatch pass over
//! the push queue. Both are safe to run at once in one process and across
//! processes on one database: escalations are recorded once by a primary
//! key, push jobs are claimed under a lease.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use gridwork_core::clock::Clock;
use gridwork_core::store::EscalationPass;
use gridwork_push::Dispatcher;
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;
use utoipa::ToSchema;

use crate::error::{ApiResult, ServerError};
use crate::push::StoreQueue;
use crate::routes::blocking;
use crate::storage::ServerStorage;
use gridwork_core::sync::protocol::PushConfig;

/// The default schedule.
pub const EVERY: Duration = Duration::from_secs(60);

/// What the push dispatch did in one tick.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DispatchReport {
    /// Requests made to push providers.
    pub attempted: u32,
    pub delivered: u32,
    /// Held for the recipient's quiet hours.
    pub held: u32,
    /// Failed, to be tried again.
    pub retrying: u32,
    /// Given up, refused, or to an endpoint that is gone.
    pub failed: u32,
}

/// One tick of the engine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EngineTick {
    /// The server's time the tick ran at.
    pub now: DateTime<Utc>,
    pub escalation: EscalationPass,
    pub push: DispatchReport,
}

/// The engine: the storage, the dispatcher, and the wake-up.
pub struct Engine {
    storage: Arc<dyn ServerStorage>,
    dispatcher: Dispatcher<StoreQueue>,
    clock: Arc<dyn Clock>,
    push_info: PushConfig,
    wake: Notify,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("dispatcher", &self.dispatcher)
            .finish_non_exhaustive()
    }
}

impl Engine {
    pub fn new(
        storage: Arc<dyn ServerStorage>,
        dispatcher: Dispatcher<StoreQueue>,
        clock: Arc<dyn Clock>,
        push_info: PushConfig,
    ) -> Self {
        Engine {
            storage,
            dispatcher,
            clock,
            push_info,
            wake: Notify::new(),
        }
    }

    pub fn push_info(&self) -> &PushConfig {
        &self.push_info
    }

    /// Escalate what is due, then send what is due.
    pub async fn tick(&self) -> ApiResult<EngineTick> {
        let now = self.clock.now();
        let storage = self.storage.clone();
        let escalation = blocking(move || storage.escalation_pass()).await?;
        let report = self
            .dispatcher
            .pass()
            .await
            .map_err(|e| ServerError::Internal(e.to_string()))?;
        Ok(EngineTick {
            now,
            escalation,
            push: DispatchReport {
                attempted: report.attempted,
                delivered: report.delivered,
                held: report.held,
                retrying: report.retrying,
                failed: report.failed,
            },
        })
    }

    /// Run a tick soon (a push just recorded cases or escalations).
    pub fn kick(&self) {
        self.wake.notify_one();
    }

    /// Tick every `every`, when kicked, and when a push retry falls due.
    pub async fn run(self: Arc<Self>, every: Duration) {
        loop {
            match self.tick().await {
                Ok(t) if !t.escalation.escalations.is_empty() || t.push.attempted > 0 => {
                    tracing::info!(
                        escalations = t.escalation.escalations.len(),
                        inbox_items = t.escalation.inbox_items,
                        pushes = t.push.attempted,
                        delivered = t.push.delivered,
                        "engine tick"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "engine tick failed"),
            }
            let wait = match self.dispatcher.due_at().await {
                Ok(Some(due)) => (due - self.clock.now())
                    .to_std()
                    .unwrap_or(Duration::ZERO)
                    .clamp(Duration::from_secs(1), every),
                _ => every,
            };
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = self.wake.notified() => {}
            }
        }
    }
}
