//! The photo upload queue: order, network policy, backoff, persistence of
//! the offset across a reopen, and uploads over real HTTP on loopback to a
//! tus server that follows Gridwork's contract (with injected faults), in
//! both the core-driven and the shell-driven mode. Real SQLite files.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod fake_tus;
mod upload_fixtures;

use std::sync::Arc;

use chrono::Duration;
use common::*;
use fake_tus::{FakeTus, Fault, TOKEN};
use gridwork_core::evidence::queue::{
    NetworkKind, NetworkPolicy, UploadBlocker, UploadItemState, UploadOutcome, UploadResult,
    UploadStep, BACKOFF_MAX,
};
use gridwork_core::sync::upload::{carry, job_body, upload_with};
use gridwork_core::Store;
use upload_fixtures::*;

#[test]
fn the_queue_waits_for_sync_then_goes_by_priority_and_network_policy() {
    let t = township();
    let (visit, normal, critical) = three_photos(&t, 5000);

    // Records not yet answered by the server: nothing may go.
    assert!(t
        .store
        .uploadable(NetworkKind::Unmetered)
        .unwrap()
        .is_empty());
    let status = t.store.upload_queue_status().unwrap();
    assert_eq!(status.waiting, 3);
    assert_eq!(status.bytes_waiting, 15_000);
    assert!(status
        .items
        .iter()
        .all(|i| i.blocked_by == UploadBlocker::AwaitingSync));
    assert_eq!(status.oldest_waiting_at, Some(t0()));
    t.clock.advance(Duration::minutes(5));
    let status = t.store.upload_queue_status().unwrap();
    assert_eq!(status.oldest_waiting_age_secs, Some(5 * 60 + 20));

    outbox_answered(&t);
    // Critical case first, then the normal case, visit photos last.
    let order = t.store.uploadable(NetworkKind::Metered).unwrap();
    assert_eq!(order, vec![critical.clone(), normal.clone(), visit.clone()]);
    let status = t.store.upload_queue_status().unwrap();
    let ids: Vec<_> = status.items.iter().map(|i| i.evidence_id.clone()).collect();
    assert_eq!(ids, order, "the screen shows the queue order");
    assert_eq!(status.items[0].priority, 0);
    assert_eq!(status.items[2].priority, 3);

    // Network policy.
    assert!(t.store.uploadable(NetworkKind::None).unwrap().is_empty());
    t.store
        .set_upload_network_policy(NetworkPolicy::UnmeteredOnly)
        .unwrap();
    assert!(t.store.uploadable(NetworkKind::Metered).unwrap().is_empty());
    assert_eq!(t.store.uploadable(NetworkKind::Unmetered).unwrap().len(), 3);
    t.store
        .set_upload_network_policy(NetworkPolicy::UnmeteredAbove { max_bytes: 4999 })
        .unwrap();
    assert!(t.store.uploadable(NetworkKind::Metered).unwrap().is_empty());
    t.store
        .set_upload_network_policy(NetworkPolicy::UnmeteredAbove { max_bytes: 5000 })
        .unwrap();
    assert_eq!(t.store.uploadable(NetworkKind::Metered).unwrap().len(), 3);
    assert!(t
        .store
        .set_upload_network_policy(NetworkPolicy::UnmeteredAbove { max_bytes: 0 })
        .is_err());
    t.store
        .set_upload_network_policy(NetworkPolicy::UnmeteredOnly)
        .unwrap();
    t.store.set_network_kind(NetworkKind::Metered).unwrap();
    let status = t.store.upload_queue_status().unwrap();
    assert_eq!(status.policy, NetworkPolicy::UnmeteredOnly);
    assert_eq!(status.network, NetworkKind::Metered);
    assert!(status
        .items
        .iter()
        .all(|i| i.blocked_by == UploadBlocker::Network));
    // The shell's job respects the same policy.
    assert!(t
        .store
        .next_upload_job("http://127.0.0.1:9", TOKEN, NetworkKind::Metered, None)
        .unwrap()
        .is_none());
}

#[test]
fn backoff_is_never_in_the_past_grows_and_is_bounded_and_retry_now_clears_it() {
    let t = township();
    let (_, _, critical) = three_photos(&t, 3000);
    outbox_answered(&t);
    let server = "http://127.0.0.1:9";
    let mut last_wait = 0i64;
    for attempt in 1..=30u32 {
        let job = t
            .store
            .next_upload_job(server, TOKEN, NetworkKind::Unmetered, None)
            .unwrap()
            .expect("an item is due");
        assert_eq!(job.evidence_id, critical, "the critical case stays first");
        assert_eq!(job.step, UploadStep::Create);
        let outcome = t
            .store
            .report_upload_result(
                &job.job_id,
                &UploadResult {
                    error: Some("connection refused".into()),
                    ..Default::default()
                },
            )
            .unwrap();
        assert_eq!(outcome, UploadOutcome::RetryLater);
        let item = t.store.upload_queue_status().unwrap().items[0].clone();
        assert_eq!(item.evidence_id, critical);
        assert_eq!(item.attempts, attempt);
        assert_eq!(item.blocked_by, UploadBlocker::Backoff);
        assert!(item.reason.as_deref().unwrap().contains("网络中断"));
        let now = t.store.now();
        let next = item.next_attempt_at.unwrap();
        assert!(next > now, "attempt {attempt}: backoff in the past");
        let wait = (next - now).num_milliseconds();
        assert!(
            wait <= BACKOFF_MAX.as_millis() as i64,
            "attempt {attempt}: {wait} ms"
        );
        if attempt <= 5 {
            assert!(wait >= last_wait / 2, "grows: {wait} after {last_wait}");
        }
        last_wait = wait;
        // Other items still go while this one waits.
        let others = t.store.uploadable(NetworkKind::Unmetered).unwrap();
        assert!(!others.contains(&critical));
        t.clock.set(next);
        // Keep the other two out of the way for this test.
        for id in others {
            let _ = id;
        }
    }
    assert!(
        last_wait >= BACKOFF_MAX.as_millis() as i64 / 2,
        "reached the cap"
    );

    // Retry now: due at once.
    let job = t
        .store
        .next_upload_job(server, TOKEN, NetworkKind::Unmetered, None)
        .unwrap()
        .unwrap();
    t.store
        .report_upload_result(&job.job_id, &UploadResult::default())
        .unwrap();
    assert!(!t
        .store
        .uploadable(NetworkKind::Unmetered)
        .unwrap()
        .contains(&critical));
    assert!(t.store.retry_uploads_now().unwrap() >= 1);
    assert_eq!(
        t.store.uploadable(NetworkKind::Unmetered).unwrap()[0],
        critical
    );
}

#[test]
fn the_acknowledged_offset_survives_a_reopen_and_a_new_session_asks_first() {
    let t = township();
    let (_, _, critical) = three_photos(&t, 200_000);
    outbox_answered(&t);
    let server = "http://127.0.0.1:9";
    let job = |store: &Store| {
        store
            .next_upload_job(server, TOKEN, NetworkKind::Unmetered, Some(64 * 1024))
            .unwrap()
            .unwrap()
    };
    let create = job(&t.store);
    assert_eq!(create.step, UploadStep::Create);
    let meta = create
        .headers
        .iter()
        .find(|h| h.name == "Upload-Metadata")
        .unwrap();
    assert!(meta.value.starts_with("evidence_id "), "{}", meta.value);
    let created = UploadResult {
        status: Some(201),
        location: Some("/v1/uploads/abc".into()),
        ..Default::default()
    };
    assert_eq!(
        t.store
            .report_upload_result(&create.job_id, &created)
            .unwrap(),
        UploadOutcome::Progressed
    );
    // A second report of the same job changes nothing.
    assert_eq!(
        t.store
            .report_upload_result(&create.job_id, &created)
            .unwrap(),
        UploadOutcome::Stale
    );
    let head = job(&t.store);
    assert_eq!(head.step, UploadStep::Head);
    assert_eq!(head.url, "http://127.0.0.1:9/v1/uploads/abc");
    t.store
        .report_upload_result(
            &head.job_id,
            &UploadResult {
                status: Some(200),
                upload_offset: Some(0),
                ..Default::default()
            },
        )
        .unwrap();
    let patch = job(&t.store);
    assert_eq!(
        (patch.step, patch.offset, patch.length),
        (UploadStep::Patch, 0, 65_536)
    );
    assert_eq!(job_body(&patch).unwrap().len(), 65_536);
    t.store
        .report_upload_result(
            &patch.job_id,
            &UploadResult {
                status: Some(204),
                upload_offset: Some(65_536),
                ..Default::default()
            },
        )
        .unwrap();
    // A job handed out and never answered (the app is killed here).
    let lost = job(&t.store);
    assert_eq!(lost.offset, 65_536);

    let path = t.db_path();
    let clock = t.clock.clone();
    drop(t.store);
    let store = Store::open_with_clock(&path, Arc::new(clock.clone())).unwrap();
    let item = store.upload_queue_status().unwrap().items[0].clone();
    assert_eq!(item.evidence_id, critical);
    assert_eq!(item.state, UploadItemState::Uploading);
    assert_eq!(item.offset, 65_536, "the acknowledged offset is durable");
    // The lost job holds its lease; after it runs out the item is offered
    // again, and since its answer never came, the server is asked first.
    assert_ne!(
        store
            .next_upload_job(server, TOKEN, NetworkKind::Unmetered, None)
            .unwrap()
            .map(|j| j.evidence_id),
        Some(critical.clone())
    );
    clock.advance(Duration::minutes(31));
    let again = store
        .next_upload_job(server, TOKEN, NetworkKind::Unmetered, None)
        .unwrap()
        .unwrap();
    assert_eq!(again.evidence_id, critical);
    assert_eq!(again.step, UploadStep::Head);
    // The lost job's late answer is ignored.
    assert_eq!(
        store
            .report_upload_result(
                &lost.job_id,
                &UploadResult {
                    status: Some(204),
                    upload_offset: Some(131_072),
                    ..Default::default()
                },
            )
            .unwrap(),
        UploadOutcome::Stale
    );
    // A new core session takes over any lease and asks first.
    store.begin_upload_session().unwrap();
    let first = store
        .next_upload_job(server, TOKEN, NetworkKind::Unmetered, None)
        .unwrap()
        .unwrap();
    assert_eq!(
        (first.evidence_id.as_str(), first.step),
        (critical.as_str(), UploadStep::Head)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_over_http_survive_lost_answers_conflicts_and_bad_chunks() {
    let t = township();
    let (visit, normal, critical) = three_photos(&t, 300_000);
    let originals: Vec<(String, Vec<u8>)> = [&visit, &normal, &critical]
        .iter()
        .map(|id| {
            let e = t.store.evidence(id).unwrap();
            (
                id.to_string(),
                std::fs::read(e.local_path.unwrap()).unwrap(),
            )
        })
        .collect();
    outbox_answered(&t);
    let tus = FakeTus::start().await;
    tus.state.lock().unwrap().faults.extend([
        Fault::LoseAnswer,
        Fault::Status(409),
        Fault::Status(460),
        Fault::Status(503),
    ]);
    let progress = std::sync::Mutex::new(Vec::new());
    let report = upload_with(&t.store, &tus.url(), TOKEN, NetworkKind::Unmetered, &|p| {
        progress.lock().unwrap().push(p)
    })
    .await
    .unwrap();
    // The lost answer (500) and the 503 set photos aside for their backoff;
    // retry now and finish.
    assert_eq!(report.retry_later, 2, "{report:?}");
    t.store.retry_uploads_now().unwrap();
    let report2 = upload_with(&t.store, &tus.url(), TOKEN, NetworkKind::Unmetered, &|_| {})
        .await
        .unwrap();
    assert_eq!(report.stored + report2.stored, 3, "{report:?} {report2:?}");
    let status = t.store.upload_queue_status().unwrap();
    assert_eq!((status.stored, status.waiting, status.failed), (3, 0, 0));
    assert_eq!(status.bytes_on_device, 0, "verified photos leave the phone");
    for (id, bytes) in &originals {
        assert_eq!(tus.stored(id).as_deref(), Some(&bytes[..]), "{id}");
        let e = t.store.evidence(id).unwrap();
        assert_eq!(e.upload_state, gridwork_core::evidence::UploadState::Stored);
        assert_eq!(e.local_path, None);
        // Each fault costs at most one re-sent chunk (≤ 1 MiB).
        assert!(tus.received(id) <= bytes.len() as u64 + 1024 * 1024);
    }
    let seen = progress.lock().unwrap();
    let last = seen.last().unwrap();
    assert!(last.bytes_done > 0 && last.bytes_done <= last.bytes_total);
    assert!(seen.windows(2).all(|w| w[0].bytes_done <= w[1].bytes_done));
    // The critical case went first.
    let first_patch = tus
        .state
        .lock()
        .unwrap()
        .requests
        .iter()
        .find(|(m, _)| m == "POST")
        .cloned()
        .unwrap();
    assert_eq!(first_patch.1, critical);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn photos_answered_early_are_confirmed_by_head_on_a_server_without_upload_states() {
    let t = township();
    let (visit, normal, critical) = three_photos(&t, 300_000);
    outbox_answered(&t);
    let tus = FakeTus::start().await;
    tus.state.lock().unwrap().answer_early = true;
    let report = upload_with(&t.store, &tus.url(), TOKEN, NetworkKind::Unmetered, &|_| {})
        .await
        .unwrap();
    // Each photo's last chunk was answered early; upload-states is not
    // there (404), so each was asked by HEAD, which said full length.
    assert_eq!(report.stored, 3, "{report:?}");
    let st = tus.state.lock().unwrap();
    assert_eq!(st.answered_early, 3);
    for id in [&visit, &normal, &critical] {
        let upload = st.by_evidence[id.as_str()].clone();
        let last_patch = st
            .requests
            .iter()
            .rposition(|(m, e)| m == "PATCH" && e == id)
            .unwrap();
        assert!(
            st.requests[last_patch..]
                .iter()
                .any(|(m, u)| m == "HEAD" && *u == upload),
            "{id}: asked by HEAD after its last PATCH: {:?}",
            st.requests
        );
        let size = t.store.evidence(id).unwrap().size;
        assert_eq!(st.received[id.as_str()], size, "{id}: nothing sent twice");
    }
    drop(st);
    let status = t.store.upload_queue_status().unwrap();
    assert_eq!((status.stored, status.uploading, status.waiting), (3, 0, 0));
    assert_eq!(
        status.bytes_on_device, 0,
        "confirmed photos leave the phone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_failures_stop_with_a_reason_and_unknown_evidence_waits() {
    let t = township();
    let (visit, normal, critical) = three_photos(&t, 2000);
    outbox_answered(&t);
    // The critical photo's file goes bad on the phone (same size, other
    // bytes): the server refuses the whole file on the final PATCH.
    let bad = t.store.evidence(&critical).unwrap().local_path.unwrap();
    std::fs::write(&bad, vec![7u8; 2000]).unwrap();
    // The normal case's photo file is gone from the phone.
    std::fs::remove_file(t.store.evidence(&normal).unwrap().local_path.unwrap()).unwrap();
    // The server does not know the visit photo.
    let tus = FakeTus::start().await;
    tus.state.lock().unwrap().known = Some([critical.clone(), normal.clone()].into());

    let report = upload_with(&t.store, &tus.url(), TOKEN, NetworkKind::Unmetered, &|_| {})
        .await
        .unwrap();
    assert_eq!(report.stored, 0);
    let status = t.store.upload_queue_status().unwrap();
    let item = |id: &str| {
        status
            .items
            .iter()
            .find(|i| i.evidence_id == id)
            .unwrap()
            .clone()
    };
    let c = item(&critical);
    assert_eq!(
        c.state,
        UploadItemState::Failed,
        "{c:?} {:?}",
        tus.state.lock().unwrap().requests
    );
    assert!(!c.retryable);
    assert!(c.reason.as_deref().unwrap().contains("校验失败"), "{c:?}");
    assert!(c.reason.as_deref().unwrap().contains("hash"), "{c:?}");
    let n = item(&normal);
    assert_eq!(n.state, UploadItemState::Failed);
    assert!(!n.retryable);
    assert!(n.reason.as_deref().unwrap().contains("丢失"), "{n:?}");
    let v = item(&visit);
    assert_eq!(v.state, UploadItemState::Waiting);
    assert_eq!(v.blocked_by, UploadBlocker::Backoff);
    assert!(v.reason.as_deref().unwrap().contains("不认识"), "{v:?}");

    // Unknown five times: failed, but the person may retry.
    for _ in 0..10 {
        let failed = t
            .store
            .upload_queue_status()
            .unwrap()
            .items
            .iter()
            .any(|i| i.evidence_id == visit && i.state == UploadItemState::Failed);
        if failed {
            break;
        }
        t.store.retry_uploads_now().unwrap();
        upload_with(&t.store, &tus.url(), TOKEN, NetworkKind::Unmetered, &|_| {})
            .await
            .unwrap();
    }
    let v = t
        .store
        .upload_queue_status()
        .unwrap()
        .items
        .into_iter()
        .find(|i| i.evidence_id == visit)
        .unwrap();
    assert_eq!(
        v.state,
        UploadItemState::Failed,
        "{v:?} {:?}",
        tus.state.lock().unwrap().requests
    );
    assert!(v.retryable);
    assert!(v.reason.as_deref().unwrap().contains("没有这张照片的记录"));
    // The server learns the record; retry now finishes it. The permanent
    // failures stay failed.
    tus.state.lock().unwrap().known = None;
    assert_eq!(t.store.retry_uploads_now().unwrap(), 1);
    let r = upload_with(&t.store, &tus.url(), TOKEN, NetworkKind::Unmetered, &|_| {})
        .await
        .unwrap();
    assert_eq!(r.stored, 1);
    let status = t.store.upload_queue_status().unwrap();
    assert_eq!((status.stored, status.failed), (1, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shell_carries_whole_file_jobs_through_the_same_state_machine() {
    let t = township();
    let (visit, normal, critical) = three_photos(&t, 150_000);
    outbox_answered(&t);
    let tus = FakeTus::start().await;
    let client = reqwest::Client::new();
    let mut jobs = 0;
    // What WorkManager / a background URLSession would do: take a job,
    // carry it (here with reqwest), report the status and headers.
    while let Some(job) = t
        .store
        .next_upload_job(&tus.url(), TOKEN, NetworkKind::Unmetered, None)
        .unwrap()
    {
        jobs += 1;
        assert!(jobs < 20, "runaway");
        if job.step == UploadStep::Patch {
            assert_eq!(job.offset + job.length, job.total, "one PATCH for the rest");
            assert!(job.headers.iter().any(|h| h.name == "Upload-Checksum"));
        }
        let body = job_body(&job).unwrap();
        let result = carry(&client, &job, body).await;
        t.store.report_upload_result(&job.job_id, &result).unwrap();
    }
    // Create, HEAD, PATCH per photo.
    assert_eq!(jobs, 9);
    for id in [&visit, &normal, &critical] {
        assert!(tus.stored(id).is_some());
        assert_eq!(tus.received(id), 150_000, "nothing re-sent");
    }
    assert_eq!(t.store.upload_queue_status().unwrap().stored, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_answers_without_progress_does_not_keep_the_radio_busy() {
    let t = township();
    let (_, _, critical) = three_photos(&t, 1000);
    outbox_answered(&t);
    let tus = FakeTus::start().await;
    // Every PATCH of the first photo answered 409 (offset mismatch), for ever.
    tus.state
        .lock()
        .unwrap()
        .faults
        .extend(std::iter::repeat_n(Fault::Status(409), 1000));
    let report = upload_with(&t.store, &tus.url(), TOKEN, NetworkKind::Unmetered, &|_| {})
        .await
        .unwrap();
    assert!(report.requests < 100, "{report:?}");
    let item = t
        .store
        .upload_queue_status()
        .unwrap()
        .items
        .into_iter()
        .find(|i| i.evidence_id == critical)
        .unwrap();
    assert_eq!(item.blocked_by, UploadBlocker::Backoff);
    assert!(
        item.reason
            .as_deref()
            .unwrap()
            .starts_with("服务器多次答复但上传没有进展"),
        "{item:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_link_cut_mid_upload_resumes_and_resends_at_most_the_cut_chunk() {
    use gridwork_netem::{Direction, LinkShape, Profile, Proxy, ProxyConfig};
    let t = township();
    let (_, _, critical) = three_photos(&t, 150_000);
    let original = std::fs::read(t.store.evidence(&critical).unwrap().local_path.unwrap()).unwrap();
    outbox_answered(&t);
    t.store
        .set_upload_network_policy(NetworkPolicy::UnmeteredAbove { max_bytes: 200_000 })
        .unwrap();
    let tus = FakeTus::start().await;
    // 100 KB/s up, 50 ms each way: chunks grow from 64 KiB, not to 1 MiB.
    let up = LinkShape {
        bytes_per_sec: Some(100_000),
        burst_bytes: 16 * 1024,
        latency: std::time::Duration::from_millis(50),
        jitter: std::time::Duration::ZERO,
    };
    let down = LinkShape {
        bytes_per_sec: None,
        ..up
    };
    let proxy = Proxy::start(ProxyConfig::new(tus.addr).with_profile(Profile::Custom { up, down }))
        .await
        .unwrap();
    let url = format!("http://{}", proxy.addr());
    // The link dies 100 kB into the first photo (the critical case's).
    proxy.cut_after_bytes(Direction::Up, 100_000);
    let first = upload_with(&t.store, &url, TOKEN, NetworkKind::Metered, &|_| {})
        .await
        .unwrap();
    assert!(first.retry_later >= 1, "{first:?}");
    let acknowledged = t.store.evidence(&critical).unwrap().upload_offset;
    assert!(acknowledged > 0, "chunks before the cut were kept");
    t.store.retry_uploads_now().unwrap();
    let second = upload_with(&t.store, &url, TOKEN, NetworkKind::Metered, &|_| {})
        .await
        .unwrap();
    assert_eq!(first.stored + second.stored, 3, "{first:?} {second:?}");
    assert_eq!(tus.stored(&critical).unwrap(), original);
    // Only the chunk cut in flight went twice (the proxy saw it partly).
    let resent = tus.received(&critical) - original.len() as u64;
    assert!(resent <= 256 * 1024, "re-sent {resent} bytes");
    let patches = tus
        .state
        .lock()
        .unwrap()
        .requests
        .iter()
        .filter(|(m, id)| m == "PATCH" && id == &critical)
        .count();
    assert!(patches >= 3, "small chunks on a slow link: {patches}");
}
