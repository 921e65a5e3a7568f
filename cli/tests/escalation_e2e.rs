//! Escalations end to end: `gridwork serve` on a test clock as a real
//! process, phones syncing over HTTP with Web Push subscriptions at a push
//! service on loopback (`gridwork_push::receiver`, which checks the VAPID
//! token and decrypts with web-push-native). A case passes its deadline →
//! one level-1 escalation and a push to each township supervisor device,
//! then level 2 to the city; a critical case escalates on report; an urge
//! reaches the handler; a restart (kill -9) and a second server process on
//! the same database escalate and push nothing twice; and two instances
//! with data directories of their own on one PostgreSQL, one killed in
//! the middle of a tick's pushes, escalate every case once and bring every
//! push to every device (the few the dead instance held go again, under
//! the same topic, so a phone shows them once).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::time::Duration;

use chrono::{DateTime, SubsecRound, Utc};
use gridwork_core::case::{CaseAction, CaseDraft, Difficulty};
use gridwork_core::db::postgres::testing::Cluster;
use gridwork_core::inbox::{InboxKind, PushEndpoint};
use gridwork_core::priority::{Category, Priority, Severity};
use gridwork_push::receiver::{LocalPushService, Received};
use reqwest::Method;
use support::{off_runtime, pg_count, server_db, Admin, Phone, ServerProcess, Town};

fn draft(severity: Severity, title: &str) -> CaseDraft {
    CaseDraft {
        category: Category {
            priority: Priority::WorkSafety,
            subcategory: "gas".into(),
        },
        severity,
        title: title.into(),
        description: String::new(),
        household_code: Some("H001".into()),
        grid_code: "G1".into(),
        source: None,
        evidence_ids: vec![],
    }
}

fn endpoint(push: &LocalPushService, name: &str) -> PushEndpoint {
    let s = push.subscribe(name).unwrap();
    PushEndpoint::WebPush {
        endpoint: s.endpoint,
        p256dh: s.p256dh,
        auth: s.auth,
    }
}

/// Move the server's test clock; the answer says what the engine did.
async fn clock_to(admin: &Admin, t: DateTime<Utc>) -> serde_json::Value {
    admin
        .ok(
            Method::POST,
            "/admin/clock",
            serde_json::json!({ "now": t }).to_string().into_bytes(),
        )
        .await
}

fn escalations(tick: &serde_json::Value) -> Vec<(String, u64)> {
    tick["engine"]["escalation"]["escalations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["case_id"].as_str().unwrap().to_string(),
                e["level"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// Pushes that arrived for `subscriber`.
fn arrived<'a>(got: &'a [Received], subscriber: &str) -> Vec<&'a Received> {
    got.iter().filter(|r| r.subscriber == subscriber).collect()
}

/// Wait (bounded) until `n` pushes have arrived in all.
async fn until_received(push: &LocalPushService, n: usize) -> Vec<Received> {
    for _ in 0..100 {
        let got = push.received();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    push.received()
}

fn count(server: &ServerProcess, sql: &str) -> i64 {
    server_db(&server.data, |db| {
        db.query_row(sql, &[], |r| r.get(0)).unwrap().unwrap()
    })
}

/// Wait (bounded) until `sql` counts `want`, and give the last count. The
/// server writes a delivery's row after the push service has answered, so a
/// push can arrive a moment before its row exists.
async fn until_count(server: &ServerProcess, sql: &str, want: i64) -> i64 {
    for _ in 0..100 {
        let n = count(server, sql);
        if n >= want {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    count(server, sql)
}

struct Scene {
    town: Town,
    push: LocalPushService,
    worker: Phone,
    secretary: Phone,
    t1_phone: Phone,
    t1_tablet: Phone,
    t2: Phone,
    city: Phone,
    start: DateTime<Utc>,
}

async fn scene() -> Scene {
    scene_with(&[]).await
}

/// The scene with more arguments for the server.
async fn scene_with(extra: &[String]) -> Scene {
    // The test clock starts now: phones stamp with their own (real) clocks.
    let start = Utc::now().trunc_subsecs(0);
    let mut args = vec![
        "--test-clock".to_string(),
        start.to_rfc3339(),
        "--push-allow-http".into(),
        // Ticks come from clock moves and pushes here, not from the timer.
        "--escalation-interval-secs".into(),
        "3600".into(),
    ];
    args.extend_from_slice(extra);
    let town = Town::with(
        &args,
        &[
            ("t2", "钱督导", "township_supervisor", &["440300-T01"], None),
            ("c1", "陈督导", "city_supervisor", &["440300"], None),
        ],
    )
    .await;
    let push = LocalPushService::start().await.unwrap();
    let worker = town.phone("w1").await;
    let secretary = town.phone("s1").await;
    let t1_phone = town.device("t1", "t1-phone").await;
    let t1_tablet = town.device("t1", "t1-tablet").await;
    let t2 = town.phone("t2").await;
    let city = town.phone("c1").await;
    for (phone, name) in [
        (&worker, "w1"),
        (&t1_phone, "t1-phone"),
        (&t1_tablet, "t1-tablet"),
        (&t2, "t2"),
        (&city, "c1"),
    ] {
        phone
            .store
            .register_push_endpoint(&endpoint(&push, name))
            .unwrap();
        // Supervisors on duty at night in this test: no quiet hours.
        phone.store.set_quiet_hours(&phone.user, None).unwrap();
        phone.sync().await;
    }
    Scene {
        town,
        push,
        worker,
        secretary,
        t1_phone,
        t1_tablet,
        t2,
        city,
        start,
    }
}

/// A normal case, filed and dispatched to w1: 3 days to resolve.
async fn dispatched(s: &Scene, title: &str) -> String {
    let case = s
        .worker
        .store
        .report_case("w1", &draft(Severity::Normal, title), &[], None)
        .unwrap()
        .case;
    s.worker.sync().await;
    s.secretary.sync().await;
    for a in [
        CaseAction::File {
            difficulty: Difficulty::Normal,
            note: String::new(),
        },
        CaseAction::Dispatch {
            handler_id: "w1".into(),
        },
    ] {
        s.secretary
            .store
            .act_on_case("s1", &case.id, &a, &[])
            .unwrap();
    }
    s.secretary.sync().await;
    case.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_overdue_case_reaches_the_township_then_the_city_and_a_critical_one_at_once() {
    let mut s = scene().await;
    let case = dispatched(&s, "液化气瓶露天存放").await;
    // Dispatching told the worker (the push went with the secretary's sync).
    let got = until_received(&s.push, 1).await;
    assert_eq!(arrived(&got, "w1").len(), 1, "{got:?}");
    let before = s.push.received().len();

    // Two days on: nothing.
    let tick = clock_to(&s.town.admin, s.start + chrono::Duration::days(2)).await;
    assert!(escalations(&tick).is_empty(), "{tick}");
    assert_eq!(tick["engine"]["push"]["attempted"], 0);

    // Past the deadline: one level-1 escalation, one push per township
    // supervisor device, sent before the clock answer returns.
    let t = s.start + chrono::Duration::days(3) + chrono::Duration::minutes(1);
    let tick = clock_to(&s.town.admin, t).await;
    assert_eq!(escalations(&tick), vec![(case.clone(), 1)], "{tick}");
    assert_eq!(tick["engine"]["escalation"]["inbox_items"], 2, "t1 and t2");
    assert_eq!(tick["engine"]["push"]["delivered"], 3, "{tick}");
    let got = s.push.received();
    let new: Vec<_> = got[before..].to_vec();
    let mut who: Vec<_> = new.iter().map(|r| r.subscriber.as_str()).collect();
    who.sort();
    assert_eq!(who, vec!["t1-phone", "t1-tablet", "t2"]);
    for r in &new {
        assert_eq!(r.status, 201);
        assert!(r.vapid_ok, "the VAPID token verifies with its key: {r:?}");
        let p = r
            .payload
            .as_ref()
            .expect("decrypts with the subscription's key");
        assert_eq!(p["title"]["zh"], "事件升级至乡镇(街道)：超期未办结");
        assert_eq!(p["title"]["en"], "Case escalated to the township: overdue");
        assert_eq!(p["data"]["case_id"], case.as_str());
        assert_eq!(p["data"]["level"], 1);
        assert_eq!(r.urgency.as_deref(), Some("normal"));
    }

    // The supervisor's core client pulls the inbox item; reading it on the
    // phone marks it read on the tablet.
    s.t1_phone.sync().await;
    let inbox = s.t1_phone.store.inbox("t1", false, 0, 20).unwrap();
    let item = inbox
        .items
        .iter()
        .find(|i| i.kind == InboxKind::Escalated)
        .unwrap()
        .clone();
    assert_eq!((item.case_id.as_str(), item.level), (case.as_str(), 1));
    s.t1_phone.store.mark_inbox_read("t1", &item.id).unwrap();
    s.t1_phone.sync().await;
    s.t1_tablet.sync().await;
    let on_tablet = s.t1_tablet.store.inbox("t1", false, 0, 20).unwrap();
    assert!(on_tablet
        .items
        .iter()
        .find(|i| i.id == item.id)
        .unwrap()
        .read_at
        .is_some());

    // The supervisor urges the handler: it reaches the worker's inbox and
    // phone (level 0 in the push: an urge, not an escalation).
    s.t1_phone
        .store
        .act_on_case(
            "t1",
            &case,
            &CaseAction::Urge {
                message: "请今天处理".into(),
            },
            &[],
        )
        .unwrap();
    let before = s.push.received().len();
    s.t1_phone.sync().await;
    let got = until_received(&s.push, before + 1).await;
    let urge = arrived(&got[before..], "w1");
    assert_eq!(urge.len(), 1, "{got:?}");
    assert_eq!(urge[0].payload.as_ref().unwrap()["data"]["level"], 0);
    s.worker.sync().await;
    assert!(s
        .worker
        .store
        .inbox("w1", true, 0, 20)
        .unwrap()
        .items
        .iter()
        .any(|i| i.kind == InboxKind::Urged && i.message == "请今天处理"));

    // A minute later: nothing new.
    let tick = clock_to(&s.town.admin, t + chrono::Duration::minutes(1)).await;
    assert!(escalations(&tick).is_empty(), "{tick}");
    assert_eq!(tick["engine"]["push"]["attempted"], 0);

    // Still open a day later: the city, and only the city.
    let before = s.push.received().len();
    let t = t + chrono::Duration::days(1) + chrono::Duration::minutes(1);
    let tick = clock_to(&s.town.admin, t).await;
    assert_eq!(escalations(&tick), vec![(case.clone(), 2)], "{tick}");
    let got = s.push.received();
    assert_eq!(
        got[before..]
            .iter()
            .map(|r| r.subscriber.as_str())
            .collect::<Vec<_>>(),
        vec!["c1"]
    );
    assert_eq!(
        got[before].payload.as_ref().unwrap()["title"]["zh"],
        "事件升级至市级：超期未办结"
    );
    s.city.sync().await;
    assert_eq!(
        s.city.store.inbox("c1", true, 0, 20).unwrap().items[0].case_id,
        case
    );

    // t2 turned push off in their browser (410 from now on). A critical case
    // escalates on report, without any clock move, with high urgency; t2's
    // endpoint is found dead and pruned.
    s.push.unsubscribe("t2");
    let before = s.push.received().len();
    let critical = s
        .worker
        .store
        .report_case("w1", &draft(Severity::Critical, "燃气泄漏"), &[], None)
        .unwrap()
        .case;
    s.worker.sync().await;
    let got = until_received(&s.push, before + 3).await;
    let new = &got[before..];
    assert_eq!(new.len(), 3, "{new:?}");
    for r in new.iter().filter(|r| r.subscriber.starts_with("t1")) {
        assert_eq!(r.urgency.as_deref(), Some("high"));
        assert!(r.payload.as_ref().unwrap()["body"]["zh"]
            .as_str()
            .unwrap()
            .starts_with("【重大】燃气泄漏"));
    }
    let gone = arrived(new, "t2");
    assert_eq!(gone.iter().map(|r| r.status).collect::<Vec<_>>(), vec![410]);
    // Rows are written after the push service answers: wait (bounded).
    let mut log = serde_json::Value::Null;
    for _ in 0..100 {
        log = s
            .town
            .admin
            .ok(
                Method::GET,
                &format!("/admin/push/deliveries?case_id={}", critical.id),
                vec![],
            )
            .await;
        if log.as_array().map_or(0, Vec::len) >= 3 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let outcomes: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["outcome"].as_str().unwrap())
        .collect();
    let mut sorted = outcomes.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        vec!["dead_endpoint", "delivered", "delivered"],
        "{log}"
    );
    // The engine had done it before the phone's push was answered; nothing
    // was waiting for the clock. An hour later unaccepted: the city.
    let tick = clock_to(&s.town.admin, t + chrono::Duration::minutes(61)).await;
    assert!(
        escalations(&tick).contains(&(critical.id.clone(), 2)),
        "{tick}"
    );

    // kill -9 and start again on the same data, at the time it had: no
    // escalation and no push is repeated.
    let rows = count(&s.town.server, "SELECT COUNT(*) FROM escalation");
    let pushes = s.push.received().len();
    let now = t + chrono::Duration::minutes(61);
    s.town.server.args[1] = now.to_rfc3339();
    s.town.server.restart();
    let tick = clock_to(&s.town.admin, now + chrono::Duration::minutes(5)).await;
    assert!(escalations(&tick).is_empty(), "{tick}");
    assert_eq!(
        count(&s.town.server, "SELECT COUNT(*) FROM escalation"),
        rows
    );
    assert_eq!(
        s.push.received().len(),
        pushes,
        "nothing sent twice after the restart"
    );
    assert_eq!(
        count(
            &s.town.server,
            "SELECT COUNT(*) FROM push_job WHERE state = 'dead_endpoint'"
        ),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_server_processes_on_one_database_escalate_and_push_once() {
    let s = scene().await;
    let cases = [
        dispatched(&s, "河道垃圾").await,
        dispatched(&s, "危房漏雨").await,
        dispatched(&s, "电动车楼道充电").await,
    ];
    let _ = until_received(&s.push, 3).await; // the three dispatches, to w1
    let before = s.push.received().len();

    // A second `gridwork serve` on the same data directory and time.
    let mut args = s.town.server.args.clone();
    args[1] = s.start.to_rfc3339();
    let second = ServerProcess::start_with(&s.town.server.data, 0, &args);
    let admin2 = Admin {
        url: second.url.clone(),
        token: s.town.admin.token.clone(),
        http: reqwest::Client::new(),
    };
    // Both move past the deadline at once, then twice more.
    let t = s.start + chrono::Duration::days(3) + chrono::Duration::minutes(1);
    for step in 0..3 {
        let at = t + chrono::Duration::seconds(step);
        let (a, b) = tokio::join!(clock_to(&s.town.admin, at), clock_to(&admin2, at));
        let mut all = escalations(&a);
        all.extend(escalations(&b));
        if step == 0 {
            all.sort();
            let mut want: Vec<_> = cases.iter().map(|c| (c.clone(), 1)).collect();
            want.sort();
            assert_eq!(all, want, "each case once, by one process or the other");
        } else {
            assert!(all.is_empty(), "{all:?}");
        }
    }
    assert_eq!(
        count(&s.town.server, "SELECT COUNT(*) FROM escalation"),
        3,
        "one row per case and level"
    );
    let got = s.push.received();
    let new = &got[before..];
    // Three cases × three township supervisor devices, each exactly once.
    assert_eq!(new.len(), 9, "{new:?}");
    let mut pairs: Vec<(String, String)> = new
        .iter()
        .map(|r| {
            (
                r.subscriber.clone(),
                r.payload.as_ref().unwrap()["data"]["case_id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect();
    pairs.sort();
    pairs.dedup();
    assert_eq!(pairs.len(), 9, "no device got a case twice");
    assert_eq!(
        until_count(
            &s.town.server,
            "SELECT COUNT(*) FROM push_delivery WHERE outcome = 'delivered'",
            9 + 3
        )
        .await,
        9 + 3,
        "and the log says so (the dispatches included)"
    );
    drop(second);
    let _ = (&s.t1_phone, &s.t1_tablet, &s.t2, &s.city);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_killed_mid_tick_escalates_once_and_every_push_arrives() {
    const CASES: usize = 20;
    /// Township supervisor devices: t1's phone and tablet, t2's phone.
    const DEVICES: usize = 3;
    let cluster = off_runtime(|| Cluster::start().unwrap());
    let url = off_runtime(|| cluster.url_for("escalation_kill").unwrap());
    // A short push lease, so the test need not wait two minutes for the
    // jobs the killed instance held.
    let mut s = scene_with(&[
        "--database".into(),
        url.clone(),
        "--push-lease-secs".into(),
        "2".into(),
    ])
    .await;
    let mut cases = Vec::new();
    for i in 0..CASES {
        cases.push(dispatched(&s, &format!("楼道堆物 {i}")).await);
    }
    let _ = until_received(&s.push, CASES).await; // the dispatches, to w1
    let before = s.push.received().len();
    assert_eq!(before, CASES, "one dispatch push per case");

    // Instance B: a data directory of its own, A's key, the same database
    // and time.
    let b_data = s.town.dir.path().join("instance-b");
    std::fs::create_dir_all(&b_data).unwrap();
    std::fs::copy(s.town.server.data.join("auth.key"), b_data.join("auth.key")).unwrap();
    let mut args = s.town.server.args.clone();
    args[1] = s.start.to_rfc3339();
    let b = ServerProcess::start_with(&b_data, 0, &args);
    let admin_b = Admin {
        url: b.url.clone(),
        token: s.town.admin.token.clone(),
        http: reqwest::Client::new(),
    };

    // A moves past every deadline and is killed as the first escalation
    // push arrives: in the middle of its tick's pushes.
    let t = s.start + chrono::Duration::days(3) + chrono::Duration::minutes(1);
    // Its answer never comes (the process dies): the request is left to fail.
    let moving = s
        .town
        .admin
        .http
        .post(format!("{}/v1/admin/clock", s.town.admin.url))
        .bearer_auth(&s.town.admin.token)
        .header("x-gridwork-protocol", "1")
        .json(&serde_json::json!({ "now": t }))
        .send();
    let _moving = tokio::spawn(async move { moving.await.is_ok() });
    for _ in 0..5_000 {
        if s.push.received().len() > before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    s.town.server.kill9();
    let arrived_at_kill = s.push.received().len() - before;
    let held = pg_count(
        &url,
        "SELECT COUNT(*) FROM push_job WHERE state = 'sending'",
    );
    let escalated = pg_count(&url, "SELECT COUNT(*) FROM escalation");
    eprintln!(
        "kill -9 landed with {escalated} escalations recorded, {arrived_at_kill} of {} escalation pushes out, {held} jobs held by the killed instance",
        CASES * DEVICES
    );
    assert!(
        arrived_at_kill > 0 && arrived_at_kill < CASES * DEVICES,
        "the kill must land in the middle of the tick's pushes"
    );

    // B moves too: it sends what A never claimed; once A's lease has run
    // out, what A held. Then A comes back on its data, and both move on.
    clock_to(&admin_b, t).await;
    tokio::time::sleep(Duration::from_millis(2_500)).await;
    clock_to(&admin_b, t + chrono::Duration::seconds(1)).await;
    s.town.server.args[1] = (t + chrono::Duration::seconds(1)).to_rfc3339();
    s.town.server.restart();
    let later = t + chrono::Duration::seconds(2);
    let (a_tick, b_tick) = tokio::join!(clock_to(&s.town.admin, later), clock_to(&admin_b, later));
    assert!(escalations(&a_tick).is_empty() && escalations(&b_tick).is_empty());
    let got = until_received(&s.push, before + CASES * DEVICES).await;

    // Every case escalated once.
    assert_eq!(
        pg_count(&url, "SELECT COUNT(*) FROM escalation"),
        CASES as i64
    );
    assert_eq!(
        pg_count(&url, "SELECT COUNT(*) FROM escalation WHERE level = 1"),
        CASES as i64
    );
    // Every supervisor device heard of every case; what went twice went
    // with the same topic (the push service and the phone keep one), and
    // only jobs the dead instance held went twice.
    let mut heard: std::collections::BTreeMap<(String, String), Vec<Option<String>>> =
        Default::default();
    for r in &got[before..] {
        let case = r.payload.as_ref().unwrap()["data"]["case_id"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(cases.contains(&case), "a push about {case}");
        heard
            .entry((r.subscriber.clone(), case))
            .or_default()
            .push(r.topic.clone());
    }
    assert_eq!(heard.len(), CASES * DEVICES, "every device, every case");
    let twice: Vec<_> = heard
        .iter()
        .filter(|(_, topics)| topics.len() > 1)
        .collect();
    for (who, topics) in &twice {
        assert!(
            topics[0].is_some() && topics.iter().all(|t| t == &topics[0]),
            "{who:?} heard again under another topic: {topics:?}"
        );
    }
    assert!(
        twice.len() as i64 <= held,
        "{} pushes went twice; the killed instance held {held}",
        twice.len()
    );
    assert_eq!(
        until_count_pg(
            &url,
            "SELECT COUNT(*) FROM push_job WHERE state = 'delivered'",
            (CASES + CASES * DEVICES) as i64
        )
        .await,
        (CASES + CASES * DEVICES) as i64,
        "every job delivered (the dispatches included)"
    );
    eprintln!(
        "{} pushes went twice (same topic), of {held} held at the kill",
        twice.len()
    );
    drop(b);
    let _ = (&s.worker, &s.t1_phone, &s.t1_tablet, &s.t2, &s.city);
}

/// [`until_count`] on the shared database.
async fn until_count_pg(url: &str, sql: &str, want: i64) -> i64 {
    for _ in 0..100 {
        let n = pg_count(url, sql);
        if n >= want {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    pg_count(url, sql)
}
