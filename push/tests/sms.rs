//! The SMS hook: the request is signed (HMAC-SHA256 over timestamp.body),
//! carries the full number in the body, and no log line — at any level, from
//! the channel or the dispatcher — ever shows the full number.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::io;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{at, message, Answer, FakeServer};
use gridwork_push::sms::{verify, SIGNATURE_HEADER, TIMESTAMP_HEADER};
use gridwork_push::{
    Channel, DeliveryOutcome, Dispatcher, JobState, ManualClock, Priority, PushTarget, RetryPolicy,
    SmsHookChannel, SmsHookConfig, TargetKind,
};
use rand::rngs::StdRng;
use rand::SeedableRng;

const PHONE: &str = "13812341234";
const SECRET: &[u8] = b"gateway-shared-secret";

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn hook(url: String, clock: Arc<ManualClock>) -> SmsHookChannel {
    SmsHookChannel::with_clock(
        SmsHookConfig {
            url,
            secret: SECRET.to_vec(),
            timeout: Duration::from_secs(10),
        },
        clock,
    )
    .unwrap()
}

#[tokio::test]
async fn the_request_is_signed_and_logs_never_show_the_number() {
    let logs = Captured::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = FakeServer::start(|req, index| {
        if index == 0 {
            // The gateway is busy the first time.
            return Answer::status(503);
        }
        let ts: i64 = req.header(TIMESTAMP_HEADER).unwrap().parse().unwrap();
        let sig = req.header(SIGNATURE_HEADER).unwrap();
        if verify(SECRET, ts, &req.body, &sig) {
            Answer::status(200)
        } else {
            Answer::status(401)
        }
    })
    .await;
    let clock = Arc::new(ManualClock::new(at("2026-11-25T23:30:00+08:00")));
    let target = PushTarget::Sms {
        phone: PHONE.into(),
    };
    tracing::info!(target = ?target, "escalation target");

    let mut dispatcher = Dispatcher::new(
        RetryPolicy::default(),
        clock.clone(),
        StdRng::seed_from_u64(3),
    );
    dispatcher.register(TargetKind::Sms, Arc::new(hook(server.url(), clock.clone())));
    let job = dispatcher.enqueue(target.clone(), message(Priority::Critical), None);
    assert_eq!(dispatcher.run_due().await, 1);
    assert_eq!(
        dispatcher.job_state(job),
        Some(JobState::Pending),
        "503 is retried"
    );
    clock.set(dispatcher.next_due().unwrap());
    assert_eq!(dispatcher.run_due().await, 1);
    assert_eq!(dispatcher.job_state(job), Some(JobState::Delivered));

    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    let req = &reqs[1];
    let ts: i64 = req.header(TIMESTAMP_HEADER).unwrap().parse().unwrap();
    assert_eq!(ts, clock_ts(&clock));
    let sig = req.header(SIGNATURE_HEADER).unwrap();
    assert!(sig.starts_with("sha256=") && sig.len() == 7 + 64);
    assert!(verify(SECRET, ts, &req.body, &sig));
    assert!(!verify(b"another secret", ts, &req.body, &sig));
    let mut tampered = req.body.clone();
    tampered[10] ^= 1;
    assert!(!verify(SECRET, ts, &tampered, &sig));
    assert!(
        !verify(SECRET, ts - 1, &req.body, &sig),
        "the timestamp is signed too"
    );

    let body: serde_json::Value = serde_json::from_slice(&req.body).unwrap();
    assert_eq!(body["phone"], PHONE, "the gateway needs the full number");
    assert_eq!(body["case_id"], "case-4711");
    let text = body["text"].as_str().unwrap();
    assert!(text.starts_with("【网格通】案件超期升级"), "{text}");
    assert!(
        text.contains("[Gridwork] Case overdue, escalated"),
        "{text}"
    );

    let logged = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    assert!(
        logged.contains("138****1234"),
        "the masked number is logged: {logged}"
    );
    assert!(
        !logged.contains(PHONE),
        "full number in the logs:\n{logged}"
    );
    assert!(
        !logged.contains("12341234"),
        "most of the number in the logs:\n{logged}"
    );
}

fn clock_ts(clock: &ManualClock) -> i64 {
    use gridwork_push::Clock;
    clock.now().timestamp()
}

#[tokio::test]
async fn sms_is_for_critical_items_only() {
    let server = FakeServer::start(|_, _| Answer::status(200)).await;
    let clock = Arc::new(ManualClock::new(at("2026-11-25T10:00:00+08:00")));
    let ch = hook(server.url(), clock);
    let target = PushTarget::Sms {
        phone: PHONE.into(),
    };
    let out = ch.deliver(&target, &message(Priority::Normal)).await;
    assert!(matches!(out, DeliveryOutcome::Rejected { .. }), "{out:?}");
    assert!(server.requests().is_empty(), "no SMS sent, none paid for");
}
