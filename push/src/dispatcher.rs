//! The dispatcher: picks the channel by target kind, holds normal items
//! through the recipient's quiet hours, and retries on the backoff schedule.
//!
//! In memory only. The server integration (later) will persist jobs and the
//! delivery log in its database so that a restart loses nothing and two
//! server processes do not both send; until then this is the logic the
//! server will drive: `enqueue`, then `run_due` on each tick.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::backoff::RetryPolicy;
use crate::clock::Clock;
use crate::quiet::QuietHours;
use crate::{Channel, DeliveryOutcome, PushMessage, PushTarget, TargetKind};

/// Where one job (one message to one endpoint) stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    /// Waiting for its due time (first try or a retry).
    Pending,
    /// Waiting for the recipient's quiet hours to end.
    Held,
    /// Handed to its channel by a `run_due` that has not finished; another
    /// `run_due` at the same time leaves it alone (no double send).
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
    /// 1 for the first delivery attempt; 0 for a hold (no attempt made).
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

pub struct Dispatcher {
    channels: HashMap<TargetKind, Arc<dyn Channel>>,
    policy: RetryPolicy,
    clock: Arc<dyn Clock>,
    rng: Mutex<StdRng>,
    state: Mutex<State>,
}

impl std::fmt::Debug for Dispatcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut kinds: Vec<_> = self.channels.keys().collect();
        kinds.sort();
        f.debug_struct("Dispatcher")
            .field("channels", &kinds)
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // The guarded data stays consistent across our own panics (every
    // update is a single assignment), so a poisoned lock is still usable.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Dispatcher {
    /// `rng` drives the retry jitter; seed it in tests for a fixed schedule.
    pub fn new(policy: RetryPolicy, clock: Arc<dyn Clock>, rng: StdRng) -> Self {
        Self {
            channels: HashMap::new(),
            policy,
            clock,
            rng: Mutex::new(rng),
            state: Mutex::new(State::default()),
        }
    }

    /// With jitter from the operating system's randomness.
    pub fn with_entropy(policy: RetryPolicy, clock: Arc<dyn Clock>) -> Self {
        Self::new(policy, clock, StdRng::from_os_rng())
    }

    pub fn register(&mut self, kind: TargetKind, channel: Arc<dyn Channel>) {
        self.channels.insert(kind, channel);
    }

    /// Queue one message for one endpoint, due now. Returns the job id.
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

    /// The earliest time a waiting job is due (for the server's timer).
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        lock(&self.state)
            .jobs
            .iter()
            .filter(|j| j.state.is_waiting())
            .map(|j| j.due)
            .min()
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

    /// Endpoints found dead since the last call, for the server to delete.
    pub fn take_dead_endpoints(&self) -> Vec<PushTarget> {
        std::mem::take(&mut lock(&self.state).dead)
    }

    /// Work through every job due now: hold, deliver, schedule retries.
    /// Returns how many delivery attempts were made.
    pub async fn run_due(&self) -> usize {
        let now = self.clock.now();
        let due: Vec<(u64, PushTarget, PushMessage)> = {
            let mut state = lock(&self.state);
            let mut ready = Vec::new();
            let mut holds = Vec::new();
            for job in state
                .jobs
                .iter_mut()
                .filter(|j| j.state.is_waiting() && j.due <= now)
            {
                let hold = job
                    .quiet
                    .and_then(|q| q.hold_until(now, job.message.priority));
                if let Some(until) = hold {
                    job.state = JobState::Held;
                    job.due = until;
                    holds.push(DeliveryRecord {
                        job: job.id,
                        message_id: job.message.id.clone(),
                        kind: job.target.kind(),
                        attempt: 0,
                        at: now,
                        outcome: RecordedOutcome::HeldForQuietHours { until },
                    });
                } else {
                    job.state = JobState::Sending;
                    ready.push((job.id, job.target.clone(), job.message.clone()));
                }
            }
            for record in holds {
                tracing::info!(job = record.job, message = %record.message_id, kind = ?record.kind, outcome = ?record.outcome, "held for quiet hours");
                state.log.push(record);
            }
            ready
        };

        let mut attempts = 0;
        for (id, target, message) in due {
            // An earlier job in this pass may have found the endpoint dead.
            if self.job_state(id) != Some(JobState::Sending) {
                continue;
            }
            let outcome = match self.channels.get(&target.kind()) {
                Some(channel) => {
                    attempts += 1;
                    channel.deliver(&target, &message).await
                }
                None => DeliveryOutcome::Rejected {
                    reason: format!("没有此类通道 / no channel for {:?}", target.kind()),
                },
            };
            self.record(id, &target, outcome);
        }
        attempts
    }

    fn record(&self, id: u64, target: &PushTarget, outcome: DeliveryOutcome) {
        let now = self.clock.now();
        let mut guard = lock(&self.state);
        let state = &mut *guard;
        let Some(job) = state.jobs.iter_mut().find(|j| j.id == id) else {
            return;
        };
        job.attempts += 1;
        let recorded = match outcome {
            DeliveryOutcome::Delivered => {
                job.state = JobState::Delivered;
                RecordedOutcome::Delivered
            }
            DeliveryOutcome::Rejected { reason } => {
                job.state = JobState::Rejected {
                    reason: reason.clone(),
                };
                RecordedOutcome::Rejected { reason }
            }
            DeliveryOutcome::DeadEndpoint => {
                job.state = JobState::DeadEndpoint;
                RecordedOutcome::DeadEndpoint
            }
            DeliveryOutcome::RetryLater { after } => {
                let delay = self
                    .policy
                    .next_delay(job.attempts, after, &mut *lock(&self.rng));
                match delay.and_then(|d| chrono::Duration::from_std(d).ok()) {
                    Some(d) => {
                        job.state = JobState::Pending;
                        job.due = now + d;
                        RecordedOutcome::RetryScheduled { at: job.due }
                    }
                    None => {
                        job.state = JobState::GaveUp;
                        RecordedOutcome::GaveUp
                    }
                }
            }
        };
        let record = DeliveryRecord {
            job: id,
            message_id: job.message.id.clone(),
            kind: target.kind(),
            attempt: job.attempts,
            at: now,
            outcome: recorded,
        };
        tracing::info!(job = id, message = %record.message_id, kind = ?record.kind, attempt = record.attempt, outcome = ?record.outcome, "push attempt");
        state.log.push(record.clone());

        if record.outcome == RecordedOutcome::DeadEndpoint {
            state.dead.push(target.clone());
            // Every other waiting item for that endpoint would fail the
            // same way; drop them now rather than spend a request each.
            let mut dropped = Vec::new();
            for other in state
                .jobs
                .iter_mut()
                .filter(|j| j.id != id && !j.state.is_final() && &j.target == target)
            {
                other.state = JobState::DeadEndpoint;
                dropped.push(DeliveryRecord {
                    job: other.id,
                    message_id: other.message.id.clone(),
                    kind: target.kind(),
                    attempt: other.attempts,
                    at: now,
                    outcome: RecordedOutcome::DroppedDeadEndpoint,
                });
            }
            state.log.extend(dropped);
        }
    }
}
