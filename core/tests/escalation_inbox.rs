//! The escalation engine and the inbox over the server's store, with phones
//! syncing through the loopback transport: who is told, exactly once, what
//! reaches which phone, read marks across a person's devices, and the push
//! jobs the server queues for the channels (the HTTP server and real push
//! endpoints are tested in cli/tests/escalation_e2e.rs).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::{Duration, NaiveTime};
use common::*;
use gridwork_core::case::{CaseAction, CaseDraft, CaseState, Difficulty, EscalationReason};
use gridwork_core::inbox::{InboxKind, PushEndpoint, QuietHours};
use gridwork_core::priority::{Category, Priority, Severity};
use gridwork_core::store::{OnSpotResolution, PushAddress, PushJobUpdate};
use gridwork_core::Store;

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
        grid_code: G1.into(),
        source: None,
        evidence_ids: vec![],
    }
}

fn web_push(n: u8) -> PushEndpoint {
    PushEndpoint::WebPush {
        endpoint: format!("https://push.example.net/sub/{n}"),
        p256dh: "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4".into(),
        auth: "BTBZMqHH6r4Tts7J_aSIgg".into(),
    }
}

/// A normal case reported, filed and dispatched to the worker (3-day limit).
fn dispatched_case(w: &World, worker: &Store, secretary: &Store) -> String {
    w.sync(worker, WORKER);
    w.sync(secretary, SECRETARY);
    let case = worker
        .report_case(
            WORKER,
            &draft(Severity::Normal, "液化气瓶露天存放"),
            &[],
            None,
        )
        .unwrap()
        .case;
    w.sync(worker, WORKER);
    w.sync(secretary, SECRETARY);
    for action in [
        CaseAction::File {
            difficulty: Difficulty::Normal,
            note: String::new(),
        },
        CaseAction::Dispatch {
            handler_id: WORKER.into(),
        },
    ] {
        secretary
            .act_on_case(SECRETARY, &case.id, &action, &[])
            .unwrap();
    }
    w.sync(secretary, SECRETARY);
    case.id
}

#[test]
fn an_overdue_case_goes_to_the_township_once_then_to_the_city() {
    let w = World::new();
    let (worker, secretary, township, city) = (
        w.device("worker"),
        w.device("secretary"),
        w.device("township"),
        w.device("city"),
    );
    let case_id = dispatched_case(&w, &worker, &secretary);
    w.sync(&township, TOWNSHIP);
    w.sync(&city, CITY);

    // Before the deadline: nothing, however often the engine runs.
    w.clock.advance(Duration::days(2));
    assert!(w.server.escalation_pass().unwrap().escalations.is_empty());

    // Past it: one level-1 escalation, for the township supervisor only.
    w.clock.advance(Duration::days(1) + Duration::minutes(1));
    let pass = w.server.escalation_pass().unwrap();
    assert_eq!(pass.escalations.len(), 1, "{pass:?}");
    assert_eq!(pass.escalations[0].level, 1);
    assert_eq!(
        pass.escalations[0].reason,
        EscalationReason::ResolutionOverdue
    );
    assert_eq!(
        pass.inbox_items, 1,
        "one township supervisor covers the village"
    );
    for _ in 0..3 {
        let again = w.server.escalation_pass().unwrap();
        assert!(
            again.escalations.is_empty() && again.inbox_items == 0,
            "{again:?}"
        );
    }

    w.sync(&township, TOWNSHIP);
    let inbox = township.inbox(TOWNSHIP, false, 0, 50).unwrap();
    assert_eq!(inbox.unread, 1);
    let item = &inbox.items[0];
    assert_eq!(
        (item.kind, item.level, item.case_id.as_str()),
        (InboxKind::Escalated, 1, case_id.as_str())
    );
    assert_eq!(item.title().0, "事件升级至乡镇(街道)：超期未办结");
    assert_eq!(item.title().1, "Case escalated to the township: overdue");
    assert_eq!(item.actor_name, "系统 / system");
    // The case reached the supervisor's phone at its new level too.
    assert_eq!(
        township.case(TOWNSHIP, &case_id).unwrap().escalation_level,
        1
    );
    w.sync(&city, CITY);
    assert_eq!(
        city.inbox(CITY, false, 0, 50).unwrap().items.len(),
        0,
        "not the city's yet"
    );
    w.sync(&secretary, SECRETARY);
    assert_eq!(
        secretary
            .inbox(SECRETARY, false, 0, 50)
            .unwrap()
            .items
            .len(),
        0
    );
    assert_eq!(
        secretary
            .case(SECRETARY, &case_id)
            .unwrap()
            .escalation_level,
        1,
        "the village secretary sees the case's state"
    );

    // 24 hours later, still open: the city.
    w.clock.advance(Duration::hours(24));
    let pass = w.server.escalation_pass().unwrap();
    assert_eq!(
        pass.escalations.iter().map(|e| e.level).collect::<Vec<_>>(),
        vec![2]
    );
    w.sync(&city, CITY);
    let city_inbox = city.inbox(CITY, false, 0, 50).unwrap();
    assert_eq!(city_inbox.items.len(), 1);
    assert_eq!(city_inbox.items[0].title().0, "事件升级至市级：超期未办结");
    w.sync(&township, TOWNSHIP);
    assert_eq!(
        township.inbox(TOWNSHIP, false, 0, 50).unwrap().items.len(),
        1,
        "nothing new below"
    );

    // At the top: the engine has nothing more to do with it, ever.
    w.clock.advance(Duration::days(30));
    assert_eq!(w.server.escalation_pass().unwrap().examined, 0);
}

#[test]
fn a_critical_case_escalates_on_report_and_to_the_city_within_the_hour() {
    let w = World::new();
    let (worker, township, city) = (w.device("worker"), w.device("township"), w.device("city"));
    w.sync(&worker, WORKER);
    let case = worker
        .report_case(WORKER, &draft(Severity::Critical, "燃气泄漏"), &[], None)
        .unwrap()
        .case;
    // No engine pass: the push that carried the report escalated it.
    w.sync(&worker, WORKER);
    w.sync(&township, TOWNSHIP);
    let inbox = township.inbox(TOWNSHIP, false, 0, 50).unwrap();
    assert_eq!(inbox.items.len(), 1, "{inbox:?}");
    let item = &inbox.items[0];
    assert!(item.critical);
    assert_eq!(item.reason, Some(EscalationReason::Critical));
    assert!(
        item.body().0.starts_with("【重大】燃气泄漏"),
        "{}",
        item.body().0
    );
    // Not accepted within its hour: the city.
    w.clock.advance(Duration::minutes(61));
    let pass = w.server.escalation_pass().unwrap();
    assert_eq!(pass.escalations.len(), 1, "{pass:?}");
    assert_eq!(
        (pass.escalations[0].level, pass.escalations[0].reason),
        (2, EscalationReason::AcceptanceOverdue)
    );
    w.sync(&city, CITY);
    assert_eq!(
        city.inbox(CITY, true, 0, 50).unwrap().items[0].case_id,
        case.id
    );
}

#[test]
fn a_late_report_resolved_on_the_spot_is_not_escalated() {
    let w = World::new();
    let (worker, township) = (w.device("worker"), w.device("township"));
    w.sync(&worker, WORKER);
    // Offline for two days: reported and fixed on the spot at once.
    worker
        .report_case(
            WORKER,
            &draft(Severity::Normal, "楼道堆放杂物"),
            &[],
            Some(&OnSpotResolution {
                note: "已清理".into(),
                photos: vec![photo(w.dir.path(), "after.jpg", None)],
            }),
        )
        .unwrap();
    w.clock.advance(Duration::days(2));
    w.sync(&worker, WORKER);
    assert!(w.server.escalation_pass().unwrap().escalations.is_empty());
    w.sync(&township, TOWNSHIP);
    assert!(township
        .inbox(TOWNSHIP, false, 0, 50)
        .unwrap()
        .items
        .is_empty());
}

#[test]
fn an_urge_reaches_the_handler_and_a_read_mark_reaches_their_other_phone() {
    let w = World::new();
    let (worker, secretary, township) = (
        w.device("worker"),
        w.device("secretary"),
        w.device("township"),
    );
    let case_id = dispatched_case(&w, &worker, &secretary);
    let tablet = w.device("worker-tablet");
    w.sync(&worker, WORKER);
    w.sync(&tablet, WORKER);
    // Dispatching told the worker already.
    let assigned = worker.inbox(WORKER, false, 0, 50).unwrap();
    assert_eq!(
        assigned.items.iter().map(|i| i.kind).collect::<Vec<_>>(),
        vec![InboxKind::Assigned]
    );

    w.sync(&township, TOWNSHIP);
    township
        .act_on_case(
            TOWNSHIP,
            &case_id,
            &CaseAction::Urge {
                message: "请今天内处理完毕".into(),
            },
            &[],
        )
        .unwrap();
    w.sync(&township, TOWNSHIP);
    w.sync(&worker, WORKER);
    w.sync(&tablet, WORKER);
    let on_phone = worker.inbox(WORKER, true, 0, 50).unwrap();
    assert_eq!(on_phone.unread, 2);
    let urge = on_phone
        .items
        .iter()
        .find(|i| i.kind == InboxKind::Urged)
        .unwrap()
        .clone();
    assert_eq!(urge.actor_name, "赵督导");
    assert!(
        urge.body().0.ends_with("— 请今天内处理完毕"),
        "{}",
        urge.body().0
    );

    // Read on the phone: after a sync the tablet shows it read too.
    let read = worker.mark_inbox_read(WORKER, &urge.id).unwrap();
    assert!(read.read_at.is_some());
    assert_eq!(worker.inbox(WORKER, false, 0, 50).unwrap().unread, 1);
    w.sync(&worker, WORKER);
    w.sync(&tablet, WORKER);
    let tablet_inbox = tablet.inbox(WORKER, false, 0, 50).unwrap();
    assert_eq!(tablet_inbox.unread, 1);
    let on_tablet = tablet_inbox.items.iter().find(|i| i.id == urge.id).unwrap();
    assert_eq!(on_tablet.read_at, read.read_at);

    // Nobody else's phone holds the worker's inbox, not even the
    // administrator's, and nobody can mark it read.
    let admin = w.device("admin");
    w.sync(&admin, ADMIN);
    assert!(admin.inbox(WORKER, false, 0, 50).unwrap().items.is_empty());
    assert!(w.server.mark_inbox_read(TOWNSHIP, &urge.id).is_err());
}

#[test]
fn push_jobs_one_per_endpoint_claimed_once_and_logged() {
    let w = World::new();
    w.server.set_push_kinds(&["web_push", "sms"]).unwrap();
    let (worker, secretary) = (w.device("worker"), w.device("secretary"));
    let (phone, browser) = (w.device("township-phone"), w.device("township-browser"));
    let case_id = dispatched_case(&w, &worker, &secretary);
    for (n, d) in [(1, &phone), (2, &browser)] {
        w.sync(d, TOWNSHIP);
        assert!(d.register_push_endpoint(&web_push(n)).unwrap());
        assert!(
            !d.register_push_endpoint(&web_push(n)).unwrap(),
            "the same token again is no new operation"
        );
        w.sync(d, TOWNSHIP);
    }
    // The supervisor turns quiet hours off on the phone.
    phone.set_quiet_hours(TOWNSHIP, None).unwrap();
    w.sync(&phone, TOWNSHIP);
    w.sync(&browser, TOWNSHIP);
    assert_eq!(
        browser.quiet_hours(TOWNSHIP).unwrap(),
        None,
        "the setting follows the person"
    );

    w.clock.advance(Duration::days(3) + Duration::minutes(1));
    let pass = w.server.escalation_pass().unwrap();
    assert_eq!(
        (pass.inbox_items, pass.push_jobs),
        (1, 2),
        "one item, a job per device; no SMS for a normal case"
    );

    let wall = 1_000_000;
    let jobs = w.server.claim_push_jobs(10, wall, 60_000).unwrap();
    assert_eq!(jobs.len(), 2);
    assert!(jobs
        .iter()
        .all(|j| j.item.case_id == case_id && j.quiet.is_none()));
    let mut endpoints: Vec<_> = jobs.iter().map(|j| j.address.clone()).collect();
    endpoints.sort_by_key(|a| format!("{a:?}"));
    assert_eq!(
        endpoints,
        vec![
            PushAddress::Endpoint(web_push(1)),
            PushAddress::Endpoint(web_push(2))
        ]
    );
    // Claimed: another process (or pass) gets nothing until the lease ends.
    assert!(w
        .server
        .claim_push_jobs(10, wall + 59_000, 60_000)
        .unwrap()
        .is_empty());
    let (first, second) = (&jobs[0], &jobs[1]);
    w.server
        .finish_push_job(first.id, &PushJobUpdate::Delivered)
        .unwrap();
    // The second one's process died: its lease runs out and it is claimed again.
    let again = w.server.claim_push_jobs(10, wall + 60_000, 60_000).unwrap();
    assert_eq!(
        again.iter().map(|j| j.id).collect::<Vec<_>>(),
        vec![second.id]
    );
    assert_eq!(again[0].attempts, 0);
    w.server
        .finish_push_job(second.id, &PushJobUpdate::DeadEndpoint)
        .unwrap();
    // A late answer from the dead process for a finished job changes nothing.
    w.server
        .finish_push_job(second.id, &PushJobUpdate::Delivered)
        .unwrap();

    let log = w.server.push_deliveries(Some(&case_id)).unwrap();
    let outcomes: Vec<_> = log
        .iter()
        .map(|d| (d.job_id, d.attempt, d.outcome.as_str()))
        .collect();
    assert_eq!(
        outcomes,
        vec![(first.id, 1, "delivered"), (second.id, 1, "dead_endpoint")]
    );

    // The dead endpoint gets nothing more; the live one does. A critical
    // case also goes to the supervisor's phone number by SMS.
    worker
        .report_case(WORKER, &draft(Severity::Critical, "燃气泄漏"), &[], None)
        .unwrap();
    w.sync(&worker, WORKER);
    let jobs = w
        .server
        .claim_push_jobs(10, wall + 120_000, 60_000)
        .unwrap();
    let kinds: Vec<_> = jobs.iter().map(|j| j.address.kind()).collect();
    assert_eq!(kinds.len(), 2, "{jobs:?}");
    assert!(
        kinds.contains(&"sms") && kinds.contains(&"web_push"),
        "{kinds:?}"
    );
    assert!(jobs.iter().any(|j| j.address
        == PushAddress::Sms {
            phone: "13800138000".into()
        }));
    assert!(jobs.iter().all(|j| j.item.critical));
}

#[test]
fn quiet_hours_default_to_the_night_and_are_the_persons_own() {
    let w = World::new();
    let phone = w.device("township");
    w.sync(&phone, TOWNSHIP);
    assert_eq!(
        phone.quiet_hours(TOWNSHIP).unwrap(),
        Some(QuietHours::default_night())
    );
    let t = |h| NaiveTime::from_hms_opt(h, 0, 0).unwrap();
    let bad = phone.set_quiet_hours(
        TOWNSHIP,
        Some(QuietHours {
            start: t(8),
            end: t(8),
        }),
    );
    assert!(
        matches!(bad, Err(gridwork_core::CoreError::Invalid { field, .. }) if field == "quiet.end")
    );
    phone
        .set_quiet_hours(
            TOWNSHIP,
            Some(QuietHours {
                start: t(23),
                end: t(6),
            }),
        )
        .unwrap();
    w.sync(&phone, TOWNSHIP);
    assert_eq!(
        w.server.quiet_hours(TOWNSHIP).unwrap(),
        Some(QuietHours {
            start: t(23),
            end: t(6)
        })
    );
    assert_eq!(
        w.server.quiet_hours(CITY).unwrap(),
        Some(QuietHours::default_night())
    );
}

#[test]
fn a_bad_push_endpoint_is_refused_before_it_is_queued() {
    let w = World::new();
    let phone = w.device("township");
    w.sync(&phone, TOWNSHIP);
    let bad = PushEndpoint::Apns {
        device_token: "not-hex".into(),
    };
    let err = phone.register_push_endpoint(&bad).unwrap_err();
    assert!(
        matches!(err, gridwork_core::CoreError::Invalid { ref field, .. } if field == "device_token"),
        "{err}"
    );
    assert_eq!(phone.outbox_len().unwrap(), 0);
}

#[test]
fn a_manual_escalation_reaches_the_level_above_like_any_other() {
    let w = World::new();
    let (worker, secretary, township) = (
        w.device("worker"),
        w.device("secretary"),
        w.device("township"),
    );
    let case_id = dispatched_case(&w, &worker, &secretary);
    secretary
        .act_on_case(
            SECRETARY,
            &case_id,
            &CaseAction::Escalate {
                reason: "涉及多个部门 / several departments".into(),
            },
            &[],
        )
        .unwrap();
    w.sync(&secretary, SECRETARY);
    w.sync(&township, TOWNSHIP);
    let inbox = township.inbox(TOWNSHIP, false, 0, 50).unwrap();
    assert_eq!(inbox.items.len(), 1);
    assert_eq!(inbox.items[0].reason, Some(EscalationReason::Manual));
    // The engine does not escalate it to level 1 a second time when the
    // deadline passes; it goes on to the city a day later.
    w.clock.advance(Duration::days(3) + Duration::minutes(1));
    assert!(w.server.escalation_pass().unwrap().escalations.is_empty());
    w.clock.advance(Duration::days(1));
    let pass = w.server.escalation_pass().unwrap();
    assert_eq!(
        pass.escalations.iter().map(|e| e.level).collect::<Vec<_>>(),
        vec![2]
    );
    assert_eq!(
        w.server.case(ADMIN, &case_id).unwrap().state,
        CaseState::Dispatched
    );
}
