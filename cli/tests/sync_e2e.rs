//! End to end: `gridwork serve` as a real process on loopback, real phones
//! (core stores syncing over HTTP with their credentials), and the
//! administrator setting up through the admin API. Fault tests kill the
//! server and a phone with SIGKILL.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use sha2::Digest as _;

use gridwork_core::case::{CaseAction, CaseState, Difficulty};
use gridwork_core::checklist::{Answer, AnswerValue};
use gridwork_core::evidence::PhotoInput;
use gridwork_core::household::PlaceKind;
use gridwork_core::secrets::{MemorySecrets, SecretStore, DEVICE_CREDENTIAL};
use gridwork_core::store::{CaseScope, HouseholdFilter, VisitInput};
use gridwork_core::sync::protocol::{PROTOCOL_HEADER, PROTOCOL_VERSION};
use gridwork_core::{CoreError, Store};
use reqwest::Method;
use support::{count_rows, fix, photo, server_db, Admin, Phone, Town};

fn answers(hose_aged: bool) -> Vec<Answer> {
    let mut a = support::safe_answers();
    if hose_aged {
        a.push(Answer {
            item_code: "ws.gas_cylinder_hose".into(),
            value: AnswerValue::Choices(vec!["hose_aged".into()]),
        });
    }
    a
}

fn visit(store: &Store, household: &str, hazard: bool) -> gridwork_core::store::VisitOutcome {
    let t = store.checklist_for_kind(PlaceKind::Household).unwrap();
    store
        .record_visit(
            "w1",
            &VisitInput {
                household_code: household.into(),
                patrol_id: None,
                template_id: t.id,
                template_version: t.version,
                answers: answers(hazard),
                notes: String::new(),
                fix: Some(fix()),
                photos: vec![],
            },
        )
        .unwrap()
}

async fn json(resp: reqwest::Response) -> serde_json::Value {
    serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap()
}

fn server_count(town: &Town, sql: &str) -> i64 {
    server_db(&town.server.data, |db| {
        db.query_row(sql, &[], |r| r.get(0)).unwrap().unwrap()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_work_reaches_the_secretary_and_her_answers_reach_the_worker() {
    let town = Town::new().await;
    let worker = town.phone("w1").await;
    let secretary = town.phone("s1").await;
    assert_eq!(worker.store.my_grids("w1").unwrap().len(), 1);
    assert_eq!(secretary.store.my_grids("s1").unwrap().len(), 2);

    // Offline: a patrol, a visit that finds a hazard, a case with a photo.
    let patrol = worker.store.start_patrol("w1", "G1", Some(&fix())).unwrap();
    let out = visit(&worker.store, "H001", true);
    worker.store.end_patrol("w1", &patrol.id).unwrap();
    let case = worker
        .store
        .report_case(
            "w1",
            &out.drafts[0],
            &[photo(town.dir.path(), "before.jpg")],
            None,
        )
        .unwrap()
        .case;
    let r = worker.sync().await;
    assert_eq!(
        (r.pushed.rejected, worker.store.outbox_len().unwrap()),
        (0, 0),
        "{r:?}"
    );
    assert!(r.bytes_sent > 0 && r.bytes_received > 0);

    secretary.sync().await;
    let seen = secretary.store.case_detail("s1", &case.id).unwrap();
    assert_eq!(seen.case.state, CaseState::Reported);
    for a in [
        CaseAction::File {
            difficulty: Difficulty::Normal,
            note: String::new(),
        },
        CaseAction::Dispatch {
            handler_id: "w1".into(),
        },
    ] {
        secretary
            .store
            .act_on_case("s1", &case.id, &a, &[])
            .unwrap();
    }
    secretary.sync().await;

    worker.sync().await;
    worker
        .store
        .act_on_case("w1", &case.id, &CaseAction::Accept, &[])
        .unwrap();
    worker
        .store
        .act_on_case(
            "w1",
            &case.id,
            &CaseAction::Resolve {
                note: "已更换".into(),
                evidence_ids: vec![],
            },
            &[photo(town.dir.path(), "after.jpg")],
        )
        .unwrap();
    worker.sync().await;

    // Sent back with a reason: the worker sees the reason.
    secretary.sync().await;
    secretary
        .store
        .act_on_case(
            "s1",
            &case.id,
            &CaseAction::SendBack {
                reason: "卡箍没拍清楚".into(),
            },
            &[],
        )
        .unwrap();
    secretary.sync().await;
    worker.sync().await;
    let back = worker.store.case_detail("w1", &case.id).unwrap();
    assert_eq!(back.case.state, CaseState::InProgress);
    assert_eq!(
        back.case.last_send_back_reason.as_deref(),
        Some("卡箍没拍清楚")
    );

    // Resolved again, confirmed: the worker sees the confirmation.
    worker
        .store
        .act_on_case(
            "w1",
            &case.id,
            &CaseAction::Resolve {
                note: "补拍".into(),
                evidence_ids: vec![],
            },
            &[photo(town.dir.path(), "after2.jpg")],
        )
        .unwrap();
    worker.sync().await;
    secretary.sync().await;
    secretary
        .store
        .act_on_case(
            "s1",
            &case.id,
            &CaseAction::Confirm {
                note: "属实".into(),
            },
            &[],
        )
        .unwrap();
    secretary.sync().await;
    worker.sync().await;
    let done = worker.store.case_detail("w1", &case.id).unwrap();
    assert_eq!(done.case.state, CaseState::Confirmed);
    assert!(done.chain_break.is_none());
    assert_eq!(done.timeline.last().unwrap().actor_name, "王书记");
    // The three copies of the history are the same bytes.
    assert_eq!(
        worker.store.case_events(&case.id).unwrap(),
        secretary.store.case_events(&case.id).unwrap()
    );
    assert_eq!(server_count(&town, "SELECT COUNT(*) FROM patrol"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_reassign_and_resolve_end_in_one_outcome_and_a_conflict_record() {
    let town = Town::new().await;
    town.admin
        .put_json("/admin/assignments", serde_json::json!({"user_id": "w2", "grid_code": "G1", "kind": "backup", "from": "2026-01-01", "to": null}))
        .await;
    let worker = town.phone("w1").await;
    let secretary = town.phone("s1").await;
    let id = worker
        .store
        .report_case(
            "w1",
            &visit(&worker.store, "H001", true).drafts[0],
            &[],
            None,
        )
        .unwrap()
        .case
        .id;
    worker.sync().await;
    secretary.sync().await;
    for a in [
        CaseAction::File {
            difficulty: Difficulty::Normal,
            note: String::new(),
        },
        CaseAction::Dispatch {
            handler_id: "w1".into(),
        },
    ] {
        secretary.store.act_on_case("s1", &id, &a, &[]).unwrap();
    }
    secretary.sync().await;
    worker.sync().await;
    worker
        .store
        .act_on_case("w1", &id, &CaseAction::Accept, &[])
        .unwrap();
    worker.sync().await;
    secretary.sync().await;
    // Both offline at once.
    secretary
        .store
        .act_on_case(
            "s1",
            &id,
            &CaseAction::Reassign {
                handler_id: "w2".into(),
                reason: "换人".into(),
            },
            &[],
        )
        .unwrap();
    worker
        .store
        .act_on_case(
            "w1",
            &id,
            &CaseAction::Resolve {
                note: "好了".into(),
                evidence_ids: vec![],
            },
            &[photo(town.dir.path(), "x.jpg")],
        )
        .unwrap();
    secretary.sync().await;
    let r = worker.sync().await;
    assert_eq!(r.pushed.rejected, 1, "{r:?}");
    let conflict = &worker.store.conflicts(true).unwrap()[0];
    assert!(
        conflict.reason.contains("王书记") && conflict.reason.contains("改派"),
        "{}",
        conflict.reason
    );
    let final_state = worker.store.case("w1", &id).unwrap();
    assert_eq!(final_state.handler_id.as_deref(), Some("w2"));
    secretary.sync().await;
    assert_eq!(secretary.store.case("s1", &id).unwrap(), final_state);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_receives_or_changes_what_is_not_theirs() {
    let town = Town::new().await;
    let w2 = town.phone("w2").await;
    // Worker 2's phone holds grid 2 only.
    assert!(matches!(
        w2.store.household_detail("w2", "H001"),
        Err(CoreError::NotFound { .. })
    ));
    assert_eq!(
        w2.store
            .households("w2", "G2", &HouseholdFilter::default(), 0, 10)
            .unwrap()
            .total,
        1
    );
    let db = std::fs::read(town.dir.path().join("w2.db")).unwrap();
    assert!(
        !db.windows("刘奶奶".len()).any(|w| w == "刘奶奶".as_bytes()),
        "grid 1's resident is not on grid 2's phone"
    );
    // Worker 1 reports on grid 2's household with a forged draft: refused.
    let w1 = town.phone("w1").await;
    let mut draft = visit(&w1.store, "H001", true).drafts[0].clone();
    draft.grid_code = "G2".into();
    draft.household_code = Some("H101".into());
    draft.source = None;
    draft.evidence_ids.clear();
    // The phone itself refuses it …
    assert!(w1.store.report_case("w1", &draft, &[], None).is_err());
    // … and a raw request with worker 1's credential is refused by the server.
    let (status, body) = Admin { url: town.server.url.clone(), token: w1.token(), http: reqwest::Client::new() }
        .call(Method::PUT, "/admin/users", serde_json::json!({"id": "x", "name": "x", "role": "administrator", "phone": null, "jurisdiction": []}).to_string().into_bytes())
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["code"], "admin_only");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_phone_is_refused_and_wiped() {
    let town = Town::new().await;
    let worker = town.phone("w1").await;
    assert_eq!(
        worker
            .store
            .households("w1", "G1", &HouseholdFilter::default(), 0, 10)
            .unwrap()
            .total,
        3
    );
    town.admin
        .ok(
            Method::POST,
            &format!("/admin/devices/{}/revoke", worker.store.device_id()),
            vec![],
        )
        .await;
    let err = worker.try_sync().await.unwrap_err();
    assert!(matches!(err, CoreError::Revoked { .. }), "{err:?}");
    assert!(
        worker.secrets.get(DEVICE_CREDENTIAL).unwrap().is_none(),
        "the credential is gone"
    );
    assert!(
        matches!(worker.store.user("w1"), Err(CoreError::NotFound { .. })),
        "local data wiped"
    );
    let c = rusqlite::Connection::open(town.dir.path().join("w1.db")).unwrap();
    let left: i64 = c
        .query_row("SELECT COUNT(*) FROM household", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_rotate_and_old_protocols_are_told_to_update() {
    let town = Town::new().await;
    let worker = town.phone("w1").await;
    let http = reqwest::Client::new();
    let old_token = worker.token();
    let resp = http
        .post(format!("{}/v1/device/rotate", town.server.url))
        .bearer_auth(&old_token)
        .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let new_token = json(resp).await["token"].as_str().unwrap().to_string();
    assert_ne!(new_token, old_token);
    let current = new_token.clone();
    assert_eq!(new_token.len(), 4 + 43, "gwd_ + 256 bits in base64url");
    let pull = |token: String, protocol: &'static str| {
        let http = http.clone();
        let url = town.server.url.clone();
        async move {
            http.post(format!("{url}/v1/sync/pull"))
                .bearer_auth(token)
                .header(PROTOCOL_HEADER, protocol)
                .body(r#"{"cursor":null,"limit":10}"#)
                .send()
                .await
                .unwrap()
        }
    };
    assert_eq!(
        pull(old_token, "1").await.status(),
        401,
        "the old credential stopped working"
    );
    assert_eq!(pull(new_token.clone(), "1").await.status(), 200);
    let old = pull(new_token, "0").await;
    assert_eq!(old.status(), 426);
    let body = json(old).await;
    assert_eq!(body["code"], "protocol_too_old");
    assert!(body["reason"].as_str().unwrap().contains("请更新应用"));
    // Only the hash is stored: no byte run of the credential in the
    // SQLite file, no column holding it on PostgreSQL.
    let token = current;
    if support::test_database_url(&town.server.data).is_none() {
        let auth = std::fs::read(town.server.data.join("auth.db")).unwrap();
        assert!(!auth.windows(20).any(|w| w == &token.as_bytes()[..20]));
    }
    let (plain, hashed) = support::auth_db(&town.server.data, |sql| {
        let count = |sql_text: &str, value: String| {
            sql.query_row(sql_text, &[&value], |r| r.get::<i64>(0))
                .unwrap()
                .unwrap()
        };
        let q = "SELECT COUNT(*) FROM device WHERE token_hash = ?1 OR name = ?1 OR device_id = ?1";
        (
            count(q, token.clone()),
            count(q, hex::encode(sha2::Sha256::digest(token.as_bytes()))),
        )
    });
    assert_eq!(
        (plain, hashed),
        (0, 1),
        "the credential is stored as its hash only"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_replayed_push_is_applied_once() {
    let town = Town::new().await;
    let worker = town.phone("w1").await;
    visit(&worker.store, "H002", false);
    let ops = worker.store.outbox(100).unwrap();
    let body = serde_json::to_vec(&gridwork_core::sync::protocol::PushRequest {
        device_id: worker.store.device_id().into(),
        acked_through: worker.store.acked_through().unwrap(),
        ops,
    })
    .unwrap();
    let send = || async {
        json(
            reqwest::Client::new()
                .post(format!("{}/v1/sync/push", town.server.url))
                .bearer_auth(worker.token())
                .header(PROTOCOL_HEADER, "1")
                .body(body.clone())
                .send()
                .await
                .unwrap(),
        )
        .await
    };
    let first = send().await;
    let second = send().await;
    assert_eq!(first["answers"][0]["status"], "applied", "{first}");
    assert_eq!(second["answers"][0]["status"], "duplicate", "{second}");
    assert_eq!(server_count(&town, "SELECT COUNT(*) FROM visit"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_push_applies_everything_exactly_once() {
    let mut town = Town::new().await;
    let worker = town.phone("w1").await;
    const VISITS: i64 = 600;
    for i in 0..VISITS {
        visit(&worker.store, ["H001", "H002"][(i % 2) as usize], false);
    }
    // Kill the server the moment it has committed part of the push —
    // typically between applying a batch and answering it.
    let data = town.server.data.clone();
    let watcher = std::thread::spawn(move || {
        for _ in 0..20_000 {
            let n = count_rows(&data, "SELECT COUNT(*) FROM visit");
            if n > 0 {
                return n;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        0
    });
    let sync = worker.try_sync();
    tokio::pin!(sync);
    let applied_at_kill = loop {
        tokio::select! {
            _ = &mut sync => break None,
            () = tokio::time::sleep(Duration::from_millis(1)) => {
                if watcher.is_finished() {
                    break Some(watcher.join().unwrap());
                }
            }
        }
    };
    town.server.kill9();
    let interrupted = sync.await;
    let applied_at_kill =
        applied_at_kill.expect("the push finished before the server could be killed");
    assert!(
        applied_at_kill > 0 && applied_at_kill < VISITS,
        "killed after {applied_at_kill} of {VISITS}"
    );
    assert!(interrupted.is_err(), "the phone saw the server die");
    assert!(
        worker.store.outbox_len().unwrap() > 0,
        "unanswered operations stay in the outbox"
    );
    town.server.restart();
    // Bounded retries until everything is answered.
    for _ in 0..5 {
        if worker.try_sync().await.is_ok() && worker.store.outbox_len().unwrap() == 0 {
            break;
        }
    }
    assert_eq!(
        worker.store.outbox_len().unwrap(),
        0,
        "first attempt: {interrupted:?}"
    );
    assert_eq!(server_count(&town, "SELECT COUNT(*) FROM visit"), VISITS);
    assert_eq!(
        server_count(&town, "SELECT COUNT(DISTINCT op_id) FROM op_log"),
        server_count(&town, "SELECT COUNT(*) FROM op_log")
    );
}

/// The phone side of the next test: sync once, in a child process that the
/// parent kills. Runs only when the parent sets the variables.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_child_syncing() {
    let (Ok(db), Ok(token)) = (
        std::env::var("GRIDWORK_CHILD_DB"),
        std::env::var("GRIDWORK_CHILD_TOKEN"),
    ) else {
        return;
    };
    let store = Store::open(&db).unwrap();
    let secrets = MemorySecrets::default();
    secrets.put(DEVICE_CREDENTIAL, &token).unwrap();
    let _ = gridwork_core::sync::device::sync(&store, &secrets, &|_| {}).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_killed_mid_sync_resumes_without_loss() {
    let town = Town::new().await;
    let worker = town.phone("w1").await;
    let db = town.dir.path().join("w1.db");
    const VISITS: i64 = 800;
    for i in 0..VISITS {
        visit(
            &worker.store,
            ["H001", "H002"][(i % 2) as usize],
            i % 50 == 0,
        );
    }
    let token = worker.token();
    drop(worker);
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["phone_child_syncing", "--exact", "--test-threads=1"])
        .env("GRIDWORK_CHILD_DB", &db)
        .env("GRIDWORK_CHILD_TOKEN", &token)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill the phone as soon as part of its push has landed (bounded wait).
    for _ in 0..20_000 {
        let n = count_rows(&town.server.data, "SELECT COUNT(*) FROM visit");
        if n > 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let partial = server_count(&town, "SELECT COUNT(*) FROM visit");
    assert!(
        partial < VISITS,
        "the phone was killed mid-sync ({partial} of {VISITS} arrived)"
    );
    // The phone comes back (the credential from the platform's store).
    let store = Store::open(&db).unwrap();
    let secrets = MemorySecrets::default();
    secrets.put(DEVICE_CREDENTIAL, &token).unwrap();
    for _ in 0..5 {
        if gridwork_core::sync::device::sync(&store, &secrets, &|_| {})
            .await
            .is_ok()
            && store.outbox_len().unwrap() == 0
        {
            break;
        }
    }
    assert_eq!(store.outbox_len().unwrap(), 0);
    assert_eq!(
        server_count(&town, "SELECT COUNT(*) FROM visit"),
        VISITS,
        "killed after {partial} of {VISITS}"
    );
    let cases_on_phone = store
        .cases("w1", CaseScope::Mine, false, 0, 500)
        .unwrap()
        .len();
    assert_eq!(
        cases_on_phone, 0,
        "no cases were reported; hazards only flagged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_over_2g_completes_and_resumes_after_the_link_dies() {
    use gridwork_netem::{Direction, Profile, Proxy, ProxyConfig};
    let town = Town::new().await;
    let server_addr: std::net::SocketAddr = town
        .server
        .url
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let proxy = Proxy::start(ProxyConfig::new(server_addr).with_profile(Profile::Edge2G))
        .await
        .unwrap();
    let link = proxy.handle();
    let via_2g = format!("http://{}", proxy.addr());
    let code = town.admin.code_for("w1").await;
    let phone = Phone::enrol(town.dir.path(), "w1-edge", &via_2g, &code).await;
    // The first sync (everything for grid 1) over EDGE.
    let first = phone.sync().await;
    assert!(first.pulled.upserted > 10, "{first:?}");
    assert_eq!(
        phone
            .store
            .households("w1", "G1", &HouseholdFilter::default(), 0, 10)
            .unwrap()
            .total,
        3
    );
    // A day's visits, then a link that dies a few kilobytes into every
    // connection: the sync fails, nothing is lost, nothing is doubled.
    for i in 0..30 {
        visit(&phone.store, ["H001", "H002"][i % 2], i % 10 == 0);
    }
    link.cut_each_connection_after(Direction::Up, Some(3_000));
    let failed = phone.try_sync().await;
    assert!(
        matches!(failed, Err(CoreError::Network { .. })),
        "{failed:?}"
    );
    assert_eq!(
        phone.store.outbox_len().unwrap(),
        30,
        "nothing answered, nothing dropped"
    );
    link.clear_cuts();
    let before = link.stats();
    let done = phone.sync().await;
    let used = link.stats().since(&before);
    assert_eq!(done.pushed.applied + done.pushed.duplicate, 30, "{done:?}");
    assert_eq!(phone.store.outbox_len().unwrap(), 0);
    assert_eq!(server_count(&town, "SELECT COUNT(*) FROM visit"), 30);
    // The phone counted what crossed the link (compressed bodies only; the
    // proxy also sees headers).
    assert!(
        used.bytes(Direction::Up) >= done.bytes_sent,
        "{used:?} vs {done:?}"
    );
}

/// A photo of `len` bytes that does not compress (a real JPEG does not).
fn big_photo(dir: &Path, name: &str, len: usize, seed: u64) -> (PhotoInput, Vec<u8>) {
    use rand::{RngCore, SeedableRng};
    let mut bytes = vec![0u8; len];
    rand::rngs::StdRng::seed_from_u64(seed).fill_bytes(&mut bytes);
    bytes[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
    let path = dir.join(name);
    std::fs::write(&path, &bytes).unwrap();
    (
        PhotoInput {
            item_code: None,
            path: path.display().to_string(),
            media_type: "image/jpeg".into(),
            taken_at: chrono::Utc::now(),
            fix: Some(fix()),
        },
        bytes,
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_photos_reach_the_secretary_whole_and_verified() {
    use gridwork_core::evidence::queue::NetworkKind;
    use gridwork_core::evidence::UploadState;
    use gridwork_core::sync::upload::upload_evidence;

    let town = Town::new().await;
    let worker = town.phone("w1").await;
    let secretary = town.phone("s1").await;

    // Offline: a case with two photos of 300 KB (several chunks each).
    let out = visit(&worker.store, "H001", true);
    let (p1, b1) = big_photo(town.dir.path(), "leak-1.jpg", 300_000, 1);
    let (p2, b2) = big_photo(town.dir.path(), "leak-2.jpg", 300_000, 2);
    let case = worker
        .store
        .report_case("w1", &out.drafts[0], &[p1, p2], None)
        .unwrap()
        .case;

    // Before the records are synced the server does not know them: nothing
    // is sent, nothing fails.
    let early = upload_evidence(
        &worker.store,
        worker.secrets.as_ref(),
        Some(NetworkKind::Unmetered),
        &|_| {},
    )
    .await
    .unwrap();
    assert_eq!(
        (early.stored, early.failed, early.bytes_sent),
        (0, 0, 0),
        "{early:?}"
    );
    assert_eq!(early.requests, 0, "{early:?}");
    assert_eq!(worker.store.upload_queue_status().unwrap().waiting, 2);

    worker.sync().await;
    let report = upload_evidence(&worker.store, worker.secrets.as_ref(), None, &|_| {})
        .await
        .unwrap();
    assert_eq!((report.stored, report.failed), (2, 0), "{report:?}");
    assert_eq!(report.bytes_sent, 600_000, "nothing sent twice: {report:?}");
    let status = worker.store.upload_queue_status().unwrap();
    assert_eq!((status.waiting, status.failed, status.stored), (0, 0, 2));
    // Confirmed by the server and nothing waiting to sync: the phone's
    // copies are gone.
    assert_eq!(status.bytes_on_device, 0, "{status:?}");

    // Again: nothing to do.
    let again = upload_evidence(&worker.store, worker.secrets.as_ref(), None, &|_| {})
        .await
        .unwrap();
    assert_eq!((again.stored, again.bytes_sent), (0, 0), "{again:?}");

    // The secretary's phone shows them stored, and the bytes she downloads
    // are the bytes the worker took.
    secretary.sync().await;
    let seen = secretary.store.case_detail("s1", &case.id).unwrap();
    assert_eq!(seen.evidence.len(), 2);
    let http = reqwest::Client::new();
    for e in &seen.evidence {
        assert_eq!(e.upload_state, UploadState::Stored, "{e:?}");
        let resp = http
            .get(format!("{}/v1/evidence/{}/content", town.server.url, e.id))
            .bearer_auth(secretary.token())
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        let body = resp.bytes().await.unwrap();
        assert!(body[..] == b1[..] || body[..] == b2[..], "bytes differ");
    }
    // Another grid's worker may not download them.
    let other = town.phone("w2").await;
    let resp = http
        .get(format!(
            "{}/v1/evidence/{}/content",
            town.server.url, seen.evidence[0].id
        ))
        .bearer_auth(other.token())
        .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
        .send()
        .await
        .unwrap();
    assert!(
        matches!(resp.status().as_u16(), 403 | 404),
        "{}",
        resp.status()
    );
}

const KILL_DB: &str = "GRIDWORK_E2E_UPLOAD_DB";
const KILL_URL: &str = "GRIDWORK_E2E_UPLOAD_URL";
const KILL_TOKEN: &str = "GRIDWORK_E2E_UPLOAD_TOKEN";

/// Not a test of its own: the phone process that
/// `a_phone_killed_again_and_again_mid_upload_stores_every_photo_once`
/// starts (this binary, with the variables set) and kills. Uploads until
/// nothing is left.
#[test]
fn upload_kill_victim() {
    let (Ok(db), Ok(url), Ok(token)) = (
        std::env::var(KILL_DB),
        std::env::var(KILL_URL),
        std::env::var(KILL_TOKEN),
    ) else {
        return;
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store = Store::open(&db).unwrap();
    rt.block_on(async {
        for _ in 0..200 {
            gridwork_core::sync::upload::upload_with(
                &store,
                &url,
                &token,
                gridwork_core::evidence::queue::NetworkKind::Unmetered,
                &|_| {},
            )
            .await
            .unwrap();
            let status = store.upload_queue_status().unwrap();
            if status.waiting + status.uploading == 0 {
                return;
            }
            // Backoffs are not what this test is about.
            store.retry_uploads_now().unwrap();
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phone_killed_again_and_again_mid_upload_stores_every_photo_once() {
    use gridwork_netem::{LinkShape, Profile, Proxy, ProxyConfig};
    use rand::{Rng, SeedableRng};

    let town = Town::new().await;
    let worker = town.phone("w1").await;
    let out = visit(&worker.store, "H001", true);
    let (mut inputs, mut originals) = (Vec::new(), Vec::new());
    for i in 0..4u64 {
        let (p, b) = big_photo(town.dir.path(), &format!("kill-{i}.jpg"), 400_000, 40 + i);
        inputs.push(p);
        originals.push(b);
    }
    let case = worker
        .store
        .report_case("w1", &out.drafts[0], &inputs, None)
        .unwrap()
        .case;
    worker.sync().await;
    let photo_bytes = 4 * 400_000u64;

    // A 2 MB/s link, so that kills land in the middle of requests.
    let target: std::net::SocketAddr = town
        .server
        .url
        .trim_start_matches("http://")
        .parse()
        .unwrap();
    let link = LinkShape::bytes_per_sec(2_000_000);
    let proxy = Proxy::start(ProxyConfig::new(target).with_profile(Profile::symmetric(link)))
        .await
        .unwrap();
    let victim = |kill_after: Option<Duration>| {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "upload_kill_victim", "--test-threads=1"])
            .env(KILL_DB, town.dir.path().join("w1.db"))
            .env(KILL_URL, format!("http://{}", proxy.addr()))
            .env(KILL_TOKEN, worker.token())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        match kill_after {
            Some(after) => {
                std::thread::sleep(after);
                // SIGKILL: no destructor, no flush, as when Android kills
                // the app.
                let finished = matches!(child.try_wait(), Ok(Some(_)));
                let _ = child.kill();
                let _ = child.wait();
                !finished
            }
            None => {
                // Bounded: the rest of 1.6 MB at 2 MB/s, with room to spare.
                for _ in 0..600 {
                    if let Ok(Some(status)) = child.try_wait() {
                        assert!(status.success(), "the last run failed: {status}");
                        return false;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
                let _ = child.kill();
                panic!("the last run did not finish in 60 s");
            }
        }
    };
    let runs: u32 = std::env::var("GRIDWORK_E2E_UPLOAD_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    let mut rng = rand::rngs::StdRng::seed_from_u64(20261125);
    let mut kills = 0u64;
    for _ in 0..runs {
        if victim(Some(Duration::from_millis(rng.random_range(60..400)))) {
            kills += 1;
        }
    }
    victim(None);

    let status = worker.store.upload_queue_status().unwrap();
    assert_eq!(
        (status.stored, status.waiting, status.failed),
        (4, 0, 0),
        "{status:?}"
    );
    // Every photo once on the server, byte-identical.
    let http = reqwest::Client::new();
    let seen = worker.store.case_detail("w1", &case.id).unwrap();
    let mut got = Vec::new();
    for e in &seen.evidence {
        let resp = http
            .get(format!("{}/v1/evidence/{}/content", town.server.url, e.id))
            .bearer_auth(worker.token())
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        got.push(resp.bytes().await.unwrap().to_vec());
    }
    got.sort();
    originals.sort();
    assert_eq!(got, originals);
    let blobs = walk_files(&town.server.data.join("blobs"));
    assert_eq!(blobs, 4, "one blob per photo");
    // At most one chunk (here at most one 400 KB photo) and a few requests'
    // headers sent again per kill.
    let wire = proxy.stats().bytes_up;
    assert!(
        wire <= photo_bytes + kills * (400_000 + 8_192),
        "{wire} bytes up for {photo_bytes} photo bytes after {kills} kills"
    );
    assert!(kills > 0, "no run was killed mid-upload");
}

fn walk_files(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let p = e.path();
                    if p.is_dir() {
                        walk_files(&p)
                    } else {
                        1
                    }
                })
                .sum()
        })
        .unwrap_or(0)
}
