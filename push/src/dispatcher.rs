//! The dispatcher: takes the jobs due from its [`JobQueue`], holds normal
//! items through the recipient's quiet hours, picks the channel by target
//! kind, and records each outcome with the retry schedule's next time. The
//! queue decides where jobs live (the server's database, or memory); the
//! rules are here, once.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use futures_util::StreamExt as _;
use rand::rngs::StdRng;
use rand::SeedableRng;

use crate::backoff::RetryPolicy;
use crate::clock::Clock;
use crate::queue::{
    ClaimedJob, DeliveryRecord, JobQueue, JobState, JobUpdate, MemoryQueue, QueueError,
};
use crate::quiet::QuietHours;
use crate::{Channel, DeliveryOutcome, PushMessage, PushTarget, TargetKind};

/// Deliveries in flight at once in a pass: enough to hide a provider's
/// round trip behind others, few enough for a small server.
pub const IN_FLIGHT: usize = 16;

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PassReport {
    /// Delivery attempts made (requests to providers).
    pub attempted: u32,
    pub delivered: u32,
    /// Held for quiet hours (no attempt).
    pub held: u32,
    /// Failed, to be tried again.
    pub retrying: u32,
    /// Gave up, rejected, dead endpoint, or dropped with one.
    pub failed: u32,
}

impl PassReport {
    fn count(&mut self, update: &JobUpdate, attempted: bool) {
        self.attempted += u32::from(attempted);
        match update {
            JobUpdate::Held { .. } => self.held += 1,
            JobUpdate::Delivered => self.delivered += 1,
            JobUpdate::RetryAt { .. } => self.retrying += 1,
            JobUpdate::GaveUp { .. }
            | JobUpdate::Rejected { .. }
            | JobUpdate::DeadEndpoint
            | JobUpdate::Dropped => self.failed += 1,
        }
    }
}

pub struct Dispatcher<Q: JobQueue = MemoryQueue> {
    channels: HashMap<TargetKind, Arc<dyn Channel>>,
    policy: RetryPolicy,
    clock: Arc<dyn Clock>,
    rng: Mutex<StdRng>,
    queue: Arc<Q>,
}

impl<Q: JobQueue> std::fmt::Debug for Dispatcher<Q> {
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
    // The RNG has no invariant a panic could break.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Dispatcher<MemoryQueue> {
    /// Over jobs in memory. `rng` drives the retry jitter; seed it in tests
    /// for a fixed schedule.
    pub fn new(policy: RetryPolicy, clock: Arc<dyn Clock>, rng: StdRng) -> Self {
        let queue = Arc::new(MemoryQueue::new(clock.clone()));
        Self::with_queue(queue, policy, clock, rng)
    }

    /// With jitter from the operating system's randomness.
    pub fn with_entropy(policy: RetryPolicy, clock: Arc<dyn Clock>) -> Self {
        Self::new(policy, clock, StdRng::from_os_rng())
    }

    /// Queue one message for one endpoint, due now. Returns the job id.
    pub fn enqueue(
        &self,
        target: PushTarget,
        message: PushMessage,
        quiet: Option<QuietHours>,
    ) -> u64 {
        self.queue.enqueue(target, message, quiet)
    }

    /// The earliest time a waiting job is due (for a timer).
    pub fn next_due(&self) -> Option<DateTime<Utc>> {
        self.queue.waiting_due()
    }

    pub fn job_state(&self, id: u64) -> Option<JobState> {
        self.queue.job_state(id)
    }

    pub fn log(&self) -> Vec<DeliveryRecord> {
        self.queue.log()
    }

    /// Endpoints found dead since the last call, for the caller to delete.
    pub fn take_dead_endpoints(&self) -> Vec<PushTarget> {
        self.queue.take_dead_endpoints()
    }

    /// Work through every job due now. Returns how many delivery attempts
    /// were made (the memory queue cannot fail).
    pub async fn run_due(&self) -> usize {
        match self.pass().await {
            Ok(report) => report.attempted as usize,
            Err(e) => {
                tracing::error!(error = %e, "push pass failed");
                0
            }
        }
    }
}

impl<Q: JobQueue> Dispatcher<Q> {
    pub fn with_queue(
        queue: Arc<Q>,
        policy: RetryPolicy,
        clock: Arc<dyn Clock>,
        rng: StdRng,
    ) -> Self {
        Self {
            channels: HashMap::new(),
            policy,
            clock,
            rng: Mutex::new(rng),
            queue,
        }
    }

    pub fn register(&mut self, kind: TargetKind, channel: Arc<dyn Channel>) {
        self.channels.insert(kind, channel);
    }

    /// The kinds this dispatcher has channels for.
    pub fn kinds(&self) -> Vec<TargetKind> {
        let mut kinds: Vec<_> = self.channels.keys().copied().collect();
        kinds.sort();
        kinds
    }

    pub fn queue(&self) -> &Arc<Q> {
        &self.queue
    }

    /// One pass: claim what is due (batch after batch, until nothing is),
    /// hold, deliver (up to [`IN_FLIGHT`] at once), schedule retries.
    pub async fn pass(&self) -> Result<PassReport, QueueError> {
        let now = self.clock.now();
        let mut report = PassReport::default();
        // Endpoints found dead in this pass: the jobs claimed for them too
        // would fail the same way.
        let dead: Mutex<HashSet<PushTarget>> = Mutex::new(HashSet::new());
        // Bounded: every claimed job is finished before the next claim, and
        // a finished job is not due again in this pass (retries are later).
        for _ in 0..10_000u32 {
            let claimed = self.queue.claim_due(now).await?;
            if claimed.is_empty() {
                break;
            }
            let mut outcomes = futures_util::stream::iter(claimed)
                .map(|job| {
                    let dead = &dead;
                    async move {
                        let (update, attempted) = self.handle(&job, now, dead).await;
                        tracing::info!(job = job.id, message = %job.message.id, kind = ?job.target.kind(), update = ?update, "push job");
                        let finished = self.queue.finish(job.id, update.clone()).await;
                        (update, attempted, finished)
                    }
                })
                .buffer_unordered(IN_FLIGHT);
            while let Some((update, attempted, finished)) = outcomes.next().await {
                finished?;
                report.count(&update, attempted);
            }
        }
        Ok(report)
    }

    async fn handle(
        &self,
        job: &ClaimedJob,
        now: DateTime<Utc>,
        dead: &Mutex<HashSet<PushTarget>>,
    ) -> (JobUpdate, bool) {
        if lock(dead).contains(&job.target) {
            return (JobUpdate::Dropped, false);
        }
        if let Some(until) = job
            .quiet
            .and_then(|q| q.hold_until(now, job.message.priority))
        {
            return (JobUpdate::Held { until }, false);
        }
        let Some(channel) = self.channels.get(&job.target.kind()) else {
            let reason = format!("没有此类通道 / no channel for {:?}", job.target.kind());
            return (JobUpdate::Rejected { reason }, false);
        };
        let update = match channel.deliver(&job.target, &job.message).await {
            DeliveryOutcome::Delivered => JobUpdate::Delivered,
            DeliveryOutcome::Rejected { reason } => JobUpdate::Rejected { reason },
            DeliveryOutcome::DeadEndpoint => {
                lock(dead).insert(job.target.clone());
                JobUpdate::DeadEndpoint
            }
            DeliveryOutcome::RetryLater { after } => {
                let attempt = job.attempts + 1;
                let delay = self
                    .policy
                    .next_delay(attempt, after, &mut *lock(&self.rng))
                    .and_then(|d| chrono::Duration::from_std(d).ok());
                let detail = match after {
                    Some(a) => format!("稍后重试 / retry later (Retry-After {} s)", a.as_secs()),
                    None => "稍后重试 / retry later".to_string(),
                };
                match delay {
                    Some(d) => JobUpdate::RetryAt {
                        at: now + d,
                        detail,
                    },
                    None => JobUpdate::GaveUp { detail },
                }
            }
        };
        (update, true)
    }

    /// The earliest time a waiting job is due.
    pub async fn due_at(&self) -> Result<Option<DateTime<Utc>>, QueueError> {
        self.queue.next_due().await
    }
}
