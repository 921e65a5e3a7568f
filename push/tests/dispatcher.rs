//! The dispatcher with scripted channels and a test clock: quiet hours hold
//! normal items, never critical ones; retries follow the seeded schedule and
//! honour Retry-After; dead endpoints are pruned once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{FixedOffset, NaiveTime};
use common::{at, message};
use futures_util::future::BoxFuture;
use gridwork_push::{
    Channel, Clock, DeliveryOutcome, Dispatcher, JobState, ManualClock, Priority, PushMessage,
    PushTarget, QuietHours, RecordedOutcome, RetryPolicy, TargetKind,
};
use rand::rngs::StdRng;
use rand::SeedableRng;

/// Answers from a script (then Delivered) and records what it was asked.
#[derive(Default)]
struct Scripted {
    script: Mutex<VecDeque<DeliveryOutcome>>,
    calls: Mutex<Vec<(PushTarget, String)>>,
}

impl Scripted {
    fn new(script: impl IntoIterator<Item = DeliveryOutcome>) -> Arc<Self> {
        Arc::new(Self {
            script: Mutex::new(script.into_iter().collect()),
            calls: Mutex::default(),
        })
    }
    fn calls(&self) -> usize {
        self.calls.lock().unwrap().len()
    }
}

impl Channel for Scripted {
    fn deliver<'a>(
        &'a self,
        target: &'a PushTarget,
        message: &'a PushMessage,
    ) -> BoxFuture<'a, DeliveryOutcome> {
        self.calls
            .lock()
            .unwrap()
            .push((target.clone(), message.id.clone()));
        let outcome = self
            .script
            .lock()
            .unwrap()
            .pop_front()
            .unwrap_or(DeliveryOutcome::Delivered);
        Box::pin(async move { outcome })
    }
}

fn night() -> QuietHours {
    QuietHours::new(
        NaiveTime::from_hms_opt(22, 0, 0).unwrap(),
        NaiveTime::from_hms_opt(7, 0, 0).unwrap(),
        FixedOffset::east_opt(8 * 3600).unwrap(),
    )
}

fn apns(token: &str) -> PushTarget {
    PushTarget::Apns {
        device_token: token.into(),
    }
}

fn setup(now: &str, channel: Arc<Scripted>, policy: RetryPolicy) -> (Dispatcher, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new(at(now)));
    let mut d = Dispatcher::new(policy, clock.clone(), StdRng::seed_from_u64(42));
    d.register(TargetKind::Apns, channel);
    (d, clock)
}

#[tokio::test]
async fn quiet_hours_hold_normal_items_until_morning_but_not_critical_ones() {
    let ch = Scripted::new([]);
    let (d, clock) = setup(
        "2026-11-25T23:10:00+08:00",
        ch.clone(),
        RetryPolicy::default(),
    );
    let normal = d.enqueue(apns("t1"), message(Priority::Normal), Some(night()));
    let mut critical_msg = message(Priority::Critical);
    critical_msg.id = "critical-1".into();
    let critical = d.enqueue(apns("t1"), critical_msg, Some(night()));

    assert_eq!(d.run_due().await, 1, "only the critical item goes out");
    assert_eq!(d.job_state(critical), Some(JobState::Delivered));
    assert_eq!(d.job_state(normal), Some(JobState::Held));
    assert_eq!(d.next_due(), Some(at("2026-11-26T07:00:00+08:00")));
    assert!(d.log().iter().any(|r| r.job == normal
        && r.outcome
            == RecordedOutcome::HeldForQuietHours {
                until: at("2026-11-26T07:00:00+08:00")
            }));

    // Running again during the night sends nothing.
    clock.set(at("2026-11-26T03:00:00+08:00"));
    assert_eq!(d.run_due().await, 0);
    assert_eq!(ch.calls(), 1);

    clock.set(at("2026-11-26T07:00:00+08:00"));
    assert_eq!(d.run_due().await, 1);
    assert_eq!(d.job_state(normal), Some(JobState::Delivered));
    assert_eq!(ch.calls(), 2);
}

#[tokio::test]
async fn retries_follow_the_schedule_honour_retry_after_and_give_up() {
    let policy = RetryPolicy {
        base: Duration::from_secs(30),
        cap: Duration::from_secs(600),
        max_attempts: 4,
    };
    let busy = DeliveryOutcome::RetryLater { after: None };
    let ch = Scripted::new([
        busy.clone(),
        DeliveryOutcome::RetryLater {
            after: Some(Duration::from_secs(900)),
        },
        busy.clone(),
        busy.clone(),
    ]);
    let (d, clock) = setup("2026-11-25T10:00:00+08:00", ch.clone(), policy);
    let job = d.enqueue(apns("t1"), message(Priority::Critical), None);

    let mut waits = Vec::new();
    for _ in 0..4 {
        let before = clock.now();
        assert_eq!(d.run_due().await, 1);
        match d.next_due() {
            Some(due) => {
                waits.push((due - before).to_std().unwrap());
                // Nothing is sent before the due time.
                clock.set(due - chrono::Duration::seconds(1));
                assert_eq!(d.run_due().await, 0);
                clock.set(due);
            }
            None => break,
        }
    }
    assert_eq!(waits.len(), 3);
    assert!(waits[0] >= Duration::from_secs(15) && waits[0] <= Duration::from_secs(30));
    assert_eq!(
        waits[1],
        Duration::from_secs(900),
        "Retry-After beats the schedule"
    );
    assert!(waits[2] >= Duration::from_secs(60) && waits[2] <= Duration::from_secs(120));
    assert_eq!(d.job_state(job), Some(JobState::GaveUp));
    assert_eq!(ch.calls(), 4);

    // The same seed gives the same waits (the schedule is reproducible).
    let ch2 = Scripted::new([
        busy.clone(),
        DeliveryOutcome::RetryLater {
            after: Some(Duration::from_secs(900)),
        },
        busy.clone(),
        busy,
    ]);
    let (d2, clock2) = setup("2026-11-25T10:00:00+08:00", ch2, policy);
    d2.enqueue(apns("t1"), message(Priority::Critical), None);
    let mut waits2 = Vec::new();
    loop {
        let before = clock2.now();
        d2.run_due().await;
        let Some(due) = d2.next_due() else { break };
        waits2.push((due - before).to_std().unwrap());
        clock2.set(due);
    }
    assert_eq!(waits, waits2);
}

#[tokio::test]
async fn a_dead_endpoint_is_reported_once_and_its_other_items_dropped() {
    let ch = Scripted::new([DeliveryOutcome::DeadEndpoint]);
    let (d, _clock) = setup(
        "2026-11-25T10:00:00+08:00",
        ch.clone(),
        RetryPolicy::default(),
    );
    let first = d.enqueue(apns("dead"), message(Priority::Critical), None);
    let mut other = message(Priority::Critical);
    other.id = "second".into();
    let second = d.enqueue(apns("dead"), other, None);
    let mut third_msg = message(Priority::Critical);
    third_msg.id = "third".into();
    let third = d.enqueue(apns("alive"), third_msg, None);

    assert_eq!(
        d.run_due().await,
        2,
        "the second item for the dead token is not sent"
    );
    assert_eq!(d.job_state(first), Some(JobState::DeadEndpoint));
    assert_eq!(d.job_state(second), Some(JobState::DeadEndpoint));
    assert_eq!(d.job_state(third), Some(JobState::Delivered));
    assert_eq!(d.take_dead_endpoints(), vec![apns("dead")]);
    assert!(d.take_dead_endpoints().is_empty());
    assert!(d
        .log()
        .iter()
        .any(|r| r.job == second && r.outcome == RecordedOutcome::DroppedDeadEndpoint));
}

#[tokio::test]
async fn a_target_without_a_channel_is_rejected_and_rejections_are_final() {
    let ch = Scripted::new([DeliveryOutcome::Rejected {
        reason: "bad payload".into(),
    }]);
    let (d, _clock) = setup(
        "2026-11-25T10:00:00+08:00",
        ch.clone(),
        RetryPolicy::default(),
    );
    let rejected = d.enqueue(apns("t1"), message(Priority::Normal), None);
    let no_channel = d.enqueue(
        PushTarget::JPush {
            registration_id: "r1".into(),
        },
        message(Priority::Normal),
        None,
    );
    d.run_due().await;
    assert!(matches!(
        d.job_state(rejected),
        Some(JobState::Rejected { .. })
    ));
    assert!(matches!(
        d.job_state(no_channel),
        Some(JobState::Rejected { .. })
    ));
    assert_eq!(d.next_due(), None, "nothing left to retry");
    assert_eq!(ch.calls(), 1);
}

/// Yields once before answering, so that two `run_due` calls interleave.
struct Slow(Mutex<usize>);

impl Channel for Slow {
    fn deliver<'a>(
        &'a self,
        _target: &'a PushTarget,
        _message: &'a PushMessage,
    ) -> BoxFuture<'a, DeliveryOutcome> {
        *self.0.lock().unwrap() += 1;
        Box::pin(async move {
            tokio::task::yield_now().await;
            DeliveryOutcome::Delivered
        })
    }
}

#[tokio::test]
async fn two_passes_at_once_send_each_item_once() {
    let clock = Arc::new(ManualClock::new(at("2026-11-25T10:00:00+08:00")));
    let slow = Arc::new(Slow(Mutex::new(0)));
    let mut d = Dispatcher::new(RetryPolicy::default(), clock, StdRng::seed_from_u64(1));
    d.register(TargetKind::Apns, slow.clone());
    let job = d.enqueue(apns("t1"), message(Priority::Critical), None);
    let (a, b) = futures_util::join!(d.run_due(), d.run_due());
    assert_eq!(a + b, 1);
    assert_eq!(*slow.0.lock().unwrap(), 1);
    assert_eq!(d.job_state(job), Some(JobState::Delivered));
}
