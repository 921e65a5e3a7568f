//! Where the dispatcher's jobs live. The server keeps them in its database
//! (claimed atomically with a lease, so that a restart loses nothing and
//! two server processes never both send one); [`MemoryQueue`] keeps them in
//! memory for tests and tools. The dispatcher's rules — quiet hours, the
//! retry schedule, dead endpoints — are the same over either.

use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;

use crate::clock::Clock;
use crate::quiet::QuietHours;
use crate::{PushMessage, PushTarget, TargetKind};

/// A job the queue handed to this dispatcher: it alone may deliver it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub id: u64,
    pub target: PushTarget,
    pub message: PushMessage,
    pub quiet: Option<QuietHours>,
    /// Delivery attempts made before this one.
    pub attempts: u32,
}

/// What became of a claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobUpdate {
    /// Not attempted: the recipient's quiet hours last until then.
    Held {
        until: DateTime<Utc>,
    },
    Delivered,
    /// Attempt number `attempt` failed; try again at `at`.
    RetryAt {
        at: DateTime<Utc>,
        detail: String,
    },
    /// The retries are used up.
    GaveUp {
        detail: String,
    },
    /// The provider (or the lack of a channel) refused it for good.
    Rejected {
        reason: String,
    },
    /// The endpoint is gone: prune it, drop its other waiting jobs.
    DeadEndpoint,
    /// Not attempted: another job in the same pass found its endpoint dead.
    Dropped,
}

/// A queue failed (its database): the pass stops; jobs it claimed are
/// taken up again when their lease runs out.
#[derive(Debug, thiserror::Error)]
#[error("推送队列出错 / the push queue failed: {0}")]
pub struct QueueError(pub String);

/// The dispatcher's jobs. Async so that a database-backed queue can run its
/// blocking calls off the async workers.
pub trait JobQueue: Send + Sync {
    /// Take the jobs due at `now` for this dispatcher.
    fn claim_due(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<Vec<ClaimedJob>, QueueError>>;
    /// Record what became of a claimed job (and its delivery-log line).
    fn finish(&self, job: u64, update: JobUpdate) -> BoxFuture<'_, Result<(), QueueError>>;
    /// The earliest time a waiting job is due.
    fn next_due(&self) -> BoxFuture<'_, Result<Option<DateTime<Utc>>, QueueError>>;
}

/// Where one job stands (the memory queue's view).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    /// Waiting for its due time (first try or a retry).
    Pending,
    /// Waiting for the recipient's quiet hours to end.
    Held,
    /// Claimed by a pass that has not finished; another pass at the same
    /// time leaves it alone (no double send).
    Sending,
    Delivered,
    /// The endpoint is gone; the server prunes it.
    DeadEndpoint,
    Rejected {
        reason: String,
    },
    /// The retries are used up.
    GaveUp,
}

impl JobState {
    pub fn is_final(&self) -> bool {
        !matches!(self, JobState::Pending | JobState::Held | JobState::Sending)
    }

    fn is_waiting(&self) -> bool {
        matches!(self, JobState::Pending | JobState::Held)
    }
}

/// One line of the delivery log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryRecord {
    pub job: u64,
    pub message_id: String,
    pub kind: TargetKind,
    /// 1 for the first delivery attempt; 0 for a hold or a drop.
    pub attempt: u32,
    pub at: DateTime<Utc>,
    pub outcome: RecordedOutcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RecordedOutcome {
    HeldForQuietHours {
        until: DateTime<Utc>,
    },
    Delivered,
    RetryScheduled {
        at: DateTime<Utc>,
    },
    DeadEndpoint,
    Rejected {
        reason: String,
    },
    GaveUp,
    /// Another job found this endpoint dead first.
    DroppedDeadEndpoint,
}

#[derive(Debug)]
struct Job {
    id: u64,
    target: PushTarget,
    message: PushMessage,
    quiet: Option<QuietHours>,
    attempts: u32,
    due: DateTime<Utc>,
    state: JobState,
}

#[derive(Debug, Default)]
struct State {
    next_id: u64,
    jobs: Vec<Job>,
    log: Vec<DeliveryRecord>,
    dead: Vec<PushTarget>,
}

/// Jobs in memory (tests, tools): nothing survives the process.
#[derive(Debug)]
pub struct MemoryQueue {
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every update is a few assignments under the lock; a panic elsewhere
    // cannot leave it half done.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl MemoryQueue {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock,
            state: Mutex::default(),
        }
    }

    /// Queue one message for one endpoint, due now. Returns its id.
    pub fn enqueue(
        &self,
        target: PushTarget,
        message: PushMessage,
        quiet: Option<QuietHours>,
    ) -> u64 {
        let now = self.clock.now();
        let mut state = lock(&self.state);
        state.next_id += 1;
        let id = state.next_id;
        state.jobs.push(Job {
            id,
            target,
            message,
            quiet,
            attempts: 0,
            due: now,
            state: JobState::Pending,
        });
        id
    }

    pub fn job_state(&self, id: u64) -> Option<JobState> {
        lock(&self.state)
            .jobs
            .iter()
            .find(|j| j.id == id)
            .map(|j| j.state.clone())
    }

    pub fn log(&self) -> Vec<DeliveryRecord> {
        lock(&self.state).log.clone()
    }

    /// Endpoints found dead since the last call.
    pub fn take_dead_endpoints(&self) -> Vec<PushTarget> {
        std::mem::take(&mut lock(&self.state).dead)
    }

    pub fn waiting_due(&self) -> Option<DateTime<Utc>> {
        lock(&self.state)
            .jobs
            .iter()
            .filter(|j| j.state.is_waiting())
            .map(|j| j.due)
            .min()
    }

    fn apply(&self, id: u64, update: JobUpdate) {
        let mut guard = lock(&self.state);
        let state = &mut *guard;
        let at = self.clock.now();
        let Some(job) = state.jobs.iter_mut().find(|j| j.id == id) else {
            return;
        };
        if job.state != JobState::Sending {
            return;
        }
        let attempted = !matches!(update, JobUpdate::Held { .. } | JobUpdate::Dropped);
        if attempted {
            job.attempts += 1;
        }
        let outcome = match update {
            JobUpdate::Held { until } => {
                job.state = JobState::Held;
                job.due = until;
                RecordedOutcome::HeldForQuietHours { until }
            }
            JobUpdate::Delivered => {
                job.state = JobState::Delivered;
                RecordedOutcome::Delivered
            }
            JobUpdate::RetryAt { at: due, .. } => {
                job.state = JobState::Pending;
                job.due = due;
                RecordedOutcome::RetryScheduled { at: due }
            }
            JobUpdate::GaveUp { .. } => {
                job.state = JobState::GaveUp;
                RecordedOutcome::GaveUp
            }
            JobUpdate::Rejected { reason } => {
                job.state = JobState::Rejected {
                    reason: reason.clone(),
                };
                RecordedOutcome::Rejected { reason }
            }
            JobUpdate::DeadEndpoint => {
                job.state = JobState::DeadEndpoint;
                RecordedOutcome::DeadEndpoint
            }
            JobUpdate::Dropped => {
                job.state = JobState::DeadEndpoint;
                RecordedOutcome::DroppedDeadEndpoint
            }
        };
        let record = DeliveryRecord {
            job: id,
            message_id: job.message.id.clone(),
            kind: job.target.kind(),
            attempt: if attempted { job.attempts } else { 0 },
            at,
            outcome,
        };
        let target = job.target.clone();
        if record.outcome == RecordedOutcome::DeadEndpoint {
            state.dead.push(target.clone());
            let mut dropped = Vec::new();
            for other in state
                .jobs
                .iter_mut()
                .filter(|j| j.id != id && j.state.is_waiting() && j.target == target)
            {
                other.state = JobState::DeadEndpoint;
                dropped.push(DeliveryRecord {
                    job: other.id,
                    message_id: other.message.id.clone(),
                    kind: target.kind(),
                    attempt: 0,
                    at,
                    outcome: RecordedOutcome::DroppedDeadEndpoint,
                });
            }
            state.log.push(record);
            state.log.extend(dropped);
        } else {
            state.log.push(record);
        }
    }
}

impl JobQueue for MemoryQueue {
    fn claim_due(&self, now: DateTime<Utc>) -> BoxFuture<'_, Result<Vec<ClaimedJob>, QueueError>> {
        let mut state = lock(&self.state);
        let claimed = state
            .jobs
            .iter_mut()
            .filter(|j| j.state.is_waiting() && j.due <= now)
            .map(|j| {
                j.state = JobState::Sending;
                ClaimedJob {
                    id: j.id,
                    target: j.target.clone(),
                    message: j.message.clone(),
                    quiet: j.quiet,
                    attempts: j.attempts,
                }
            })
            .collect();
        Box::pin(std::future::ready(Ok(claimed)))
    }

    fn finish(&self, job: u64, update: JobUpdate) -> BoxFuture<'_, Result<(), QueueError>> {
        self.apply(job, update);
        Box::pin(std::future::ready(Ok(())))
    }

    fn next_due(&self) -> BoxFuture<'_, Result<Option<DateTime<Utc>>, QueueError>> {
        Box::pin(std::future::ready(Ok(self.waiting_due())))
    }
}
