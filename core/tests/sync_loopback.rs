//! The sync rules, with the server's store and three devices in one
//! process (the HTTP layer is tested end to end in server/tests): what each
//! person sees after a sync, refusals turned into conflicts, exactly-once
//! application, and reach.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use chrono::Duration;
use common::*;
use gridwork_core::case::{CaseAction, CaseState, Difficulty};
use gridwork_core::clock::{Clock, ManualClock};
use gridwork_core::household::PlaceKind;
use gridwork_core::store::{CaseScope, HouseholdFilter, VisitInput};
use gridwork_core::sync::protocol::{
    OpAnswer, PullRequest, PullResponse, PushRequest, PushResponse,
};
use gridwork_core::sync::{sync_with, Transfer, Transport};
use gridwork_core::user::{Assignment, AssignmentKind};
use gridwork_core::{CoreError, Store};

fn visit_with_hazard(t: &World, device: &Store) -> gridwork_core::store::VisitOutcome {
    let template = device.checklist_for_kind(PlaceKind::Household).unwrap();
    let mut answers = safe_household_answers();
    answers.push(gridwork_core::checklist::Answer {
        item_code: "ws.gas_cylinder_hose".into(),
        value: gridwork_core::checklist::AnswerValue::Choices(vec!["hose_aged".into()]),
    });
    device
        .record_visit(
            WORKER,
            &VisitInput {
                household_code: "H001".into(),
                patrol_id: None,
                template_id: template.id,
                template_version: template.version,
                answers,
                notes: String::new(),
                fix: Some(fix_at(22.5015, 113.9015)),
                photos: vec![photo(
                    t.dir.path(),
                    "hose.jpg",
                    Some("ws.gas_cylinder_photo"),
                )],
            },
        )
        .unwrap()
}

#[test]
fn a_worker_device_holds_only_its_grid() {
    let w = World::new();
    let phone = w.device("worker");
    let report = w.sync(&phone, WORKER);
    assert!(report.pulled.upserted > 10, "{report:?}");
    let grids = phone.my_grids(WORKER).unwrap();
    assert_eq!(
        grids.iter().map(|g| g.code.as_str()).collect::<Vec<_>>(),
        vec![G1]
    );
    let page = phone
        .households(WORKER, G1, &HouseholdFilter::default(), 0, 50)
        .unwrap();
    assert_eq!(page.total, 3);
    // Nothing of grid 2 reached this phone.
    assert!(matches!(phone.grid(G2), Err(CoreError::NotFound { .. })));
    assert!(matches!(
        phone.household_detail(WORKER, "H101"),
        Err(CoreError::NotFound { .. })
    ));
    // Members (with their ID numbers) came for its own grid only.
    assert_eq!(
        phone
            .household_detail(WORKER, "H001")
            .unwrap()
            .members
            .len(),
        1
    );
    // Pulled data is not pushed back.
    assert_eq!(phone.outbox_len().unwrap(), 0);
    // A second sync moves nothing.
    let again = w.sync(&phone, WORKER);
    assert_eq!(again.pulled.upserted, 0, "{again:?}");
}

#[test]
fn a_case_travels_from_worker_to_secretary_and_back() {
    let w = World::new();
    let worker = w.device("worker");
    let secretary = w.device("secretary");
    w.sync(&worker, WORKER);
    w.sync(&secretary, SECRETARY);

    // Offline: visit, report with a photo.
    let visit = visit_with_hazard(&w, &worker);
    let case = worker
        .report_case(
            WORKER,
            &visit.drafts[0],
            &[photo(w.dir.path(), "before.jpg", None)],
            None,
        )
        .unwrap()
        .case;
    let pushed = w.sync(&worker, WORKER).pushed;
    assert_eq!(pushed.rejected, 0, "{pushed:?}");
    assert_eq!(
        worker.outbox_len().unwrap(),
        0,
        "every operation answered and removed"
    );

    // The secretary sees it, files and dispatches.
    w.sync(&secretary, SECRETARY);
    let seen = secretary.case_detail(SECRETARY, &case.id).unwrap();
    assert_eq!(seen.case.state, CaseState::Reported);
    assert_eq!(
        seen.evidence.len(),
        2,
        "the visit photo and the report photo's records"
    );
    assert!(seen.chain_break.is_none());
    secretary
        .act_on_case(
            SECRETARY,
            &case.id,
            &CaseAction::File {
                difficulty: Difficulty::Normal,
                note: String::new(),
            },
            &[],
        )
        .unwrap();
    secretary
        .act_on_case(
            SECRETARY,
            &case.id,
            &CaseAction::Dispatch {
                handler_id: WORKER.into(),
            },
            &[],
        )
        .unwrap();
    w.sync(&secretary, SECRETARY);

    // The worker gets it, resolves it; the secretary sends it back.
    w.sync(&worker, WORKER);
    assert_eq!(
        worker.case(WORKER, &case.id).unwrap().state,
        CaseState::Dispatched
    );
    worker
        .act_on_case(WORKER, &case.id, &CaseAction::Accept, &[])
        .unwrap();
    worker
        .act_on_case(
            WORKER,
            &case.id,
            &CaseAction::Resolve {
                note: "已更换".into(),
                evidence_ids: vec![],
            },
            &[photo(w.dir.path(), "after.jpg", None)],
        )
        .unwrap();
    w.sync(&worker, WORKER);
    w.sync(&secretary, SECRETARY);
    secretary
        .act_on_case(
            SECRETARY,
            &case.id,
            &CaseAction::SendBack {
                reason: "请补拍卡箍".into(),
            },
            &[],
        )
        .unwrap();
    w.sync(&secretary, SECRETARY);
    w.sync(&worker, WORKER);
    let back = worker.case_detail(WORKER, &case.id).unwrap();
    assert_eq!(back.case.state, CaseState::InProgress);
    assert_eq!(
        back.case.last_send_back_reason.as_deref(),
        Some("请补拍卡箍")
    );
    assert!(back.chain_break.is_none());
    // The three stores agree, event for event.
    let on_server = w.server.case_events(&case.id).unwrap();
    assert_eq!(worker.case_events(&case.id).unwrap(), on_server);
    assert_eq!(secretary.case_events(&case.id).unwrap(), on_server);
}

#[test]
fn concurrent_reassign_and_resolve_end_in_one_outcome_and_a_visible_conflict() {
    let w = World::new();
    // A second worker on grid 1.
    w.server
        .set_assignment(&Assignment {
            user_id: WORKER2.into(),
            grid_code: G1.into(),
            kind: AssignmentKind::Backup,
            from: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            to: None,
        })
        .unwrap();
    let worker = w.device("worker");
    let secretary = w.device("secretary");
    w.sync(&worker, WORKER);
    let visit = visit_with_hazard(&w, &worker);
    let id = worker
        .report_case(WORKER, &visit.drafts[0], &[], None)
        .unwrap()
        .case
        .id;
    w.sync(&worker, WORKER);
    w.sync(&secretary, SECRETARY);
    for a in [
        CaseAction::File {
            difficulty: Difficulty::Normal,
            note: String::new(),
        },
        CaseAction::Dispatch {
            handler_id: WORKER.into(),
        },
    ] {
        secretary.act_on_case(SECRETARY, &id, &a, &[]).unwrap();
    }
    w.sync(&secretary, SECRETARY);
    w.sync(&worker, WORKER);
    worker
        .act_on_case(WORKER, &id, &CaseAction::Accept, &[])
        .unwrap();
    w.sync(&worker, WORKER);
    w.sync(&secretary, SECRETARY);

    // Both offline: the secretary reassigns, the worker resolves.
    w.clock.advance(Duration::minutes(10));
    secretary
        .act_on_case(
            SECRETARY,
            &id,
            &CaseAction::Reassign {
                handler_id: WORKER2.into(),
                reason: "换人处理".into(),
            },
            &[],
        )
        .unwrap();
    w.clock.advance(Duration::minutes(5));
    worker
        .act_on_case(
            WORKER,
            &id,
            &CaseAction::Resolve {
                note: "已处理".into(),
                evidence_ids: vec![],
            },
            &[photo(w.dir.path(), "done.jpg", None)],
        )
        .unwrap();
    // The secretary syncs first and wins.
    w.sync(&secretary, SECRETARY);
    let report = w.sync(&worker, WORKER);
    assert_eq!(report.pushed.rejected, 1, "{report:?}");
    let conflicts = worker.conflicts(true).unwrap();
    assert_eq!(conflicts.len(), 1);
    assert!(
        conflicts[0].reason.contains("王书记"),
        "{}",
        conflicts[0].reason
    );
    assert!(
        conflicts[0].reason.contains("改派"),
        "{}",
        conflicts[0].reason
    );
    // Everyone ends with the server's outcome.
    let server_case = w.server.case(SECRETARY, &id).unwrap();
    assert_eq!(server_case.handler_id.as_deref(), Some(WORKER2));
    assert_eq!(worker.case(WORKER, &id).unwrap(), server_case);
    w.sync(&secretary, SECRETARY);
    assert_eq!(secretary.case(SECRETARY, &id).unwrap(), server_case);
}

#[test]
fn pushes_apply_exactly_once_however_they_arrive() {
    let w = World::new();
    let worker = w.device("worker");
    w.sync(&worker, WORKER);
    let visit = visit_with_hazard(&w, &worker);
    let id = worker
        .report_case(WORKER, &visit.drafts[0], &[], None)
        .unwrap()
        .case
        .id;
    let ops = worker.outbox(1000).unwrap();
    assert!(ops.len() >= 3);
    let acked = worker.acked_through().unwrap();
    let device = worker.device_id().to_string();
    let push = |batch: &[gridwork_core::outbox::OutboxEntry], acked: i64| {
        w.server
            .apply_push(WORKER, &device, None, acked, batch)
            .unwrap()
    };
    // The second half first: nothing of it may apply before the first half.
    let (first, second) = ops.split_at(ops.len() / 2);
    let early = push(second, acked);
    assert!(
        early.iter().all(|a| matches!(a, OpAnswer::Retry { .. })),
        "{early:?}"
    );
    let answers = push(first, acked);
    assert!(
        answers
            .iter()
            .all(|a| matches!(a, OpAnswer::Applied { .. })),
        "{answers:?}"
    );
    let answers = push(second, acked);
    assert!(
        answers
            .iter()
            .all(|a| matches!(a, OpAnswer::Applied { .. })),
        "{answers:?}"
    );
    // Everything again, as after a lost response: all duplicates.
    let again = push(&ops, acked);
    assert!(
        again
            .iter()
            .all(|a| matches!(a, OpAnswer::Duplicate { .. })),
        "{again:?}"
    );
    assert_eq!(w.server.case_events(&id).unwrap().len(), 1);
    assert_eq!(w.server.server_figures().unwrap().visits, 1);
}

#[test]
fn a_worker_cannot_touch_another_grid_and_nothing_leaks() {
    let w = World::new();
    let worker = w.device("worker");
    w.sync(&worker, WORKER);
    // Forge an operation about grid 2's household from worker 1's device.
    let intruder = w.device("intruder");
    intruder
        .upsert_user(&gridwork_core::user::User {
            id: "admin-local".into(),
            name: "本机".into(),
            role: gridwork_core::user::Role::Administrator,
            phone: None,
            jurisdiction: vec![],
        })
        .unwrap();
    let mut h = household("H101", G2, 113.9150, 22.5050, vec![]);
    h.name = "篡改".into();
    intruder
        .upsert_region(&gridwork_core::region::Region {
            code: "440300-T01-V01".into(),
            name: "x".into(),
            level: gridwork_core::region::RegionLevel::Village,
            parent_code: None,
            boundary: None,
        })
        .unwrap();
    intruder
        .upsert_grid(&gridwork_core::grid::Grid {
            code: G2.into(),
            name: "x".into(),
            village_code: "440300-T01-V01".into(),
            boundary: rect(113.91, 22.50, 113.92, 22.51),
        })
        .unwrap();
    intruder.upsert_household(&h).unwrap();
    let ops: Vec<_> = intruder
        .outbox(100)
        .unwrap()
        .into_iter()
        .filter(|o| o.operation.kind() == "household_upserted")
        .collect();
    let answers = w
        .server
        .apply_push(WORKER, intruder.device_id(), None, ops[0].seq - 1, &ops)
        .unwrap();
    assert!(
        matches!(&answers[0], OpAnswer::Rejected { code, .. } if code == "not_found"),
        "{answers:?}"
    );
    let again = w.server.household_detail(SECRETARY, "H101").unwrap();
    assert_ne!(again.household.name, "篡改");
    // And worker 1's pulls never carry grid 2.
    let page = w.server.pull(WORKER, None, None, 5000).unwrap();
    let text = serde_json::to_string(&page).unwrap();
    assert!(!text.contains("H101"));
}

#[test]
fn reassigning_a_grid_away_evicts_it_from_the_phone() {
    let w = World::new();
    let worker = w.device("worker");
    w.sync(&worker, WORKER);
    assert_eq!(
        worker
            .households(WORKER, G1, &HouseholdFilter::default(), 0, 50)
            .unwrap()
            .total,
        3
    );
    // Worker 1 moves to grid 2.
    let from = chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    w.server
        .set_assignment(&Assignment {
            user_id: WORKER.into(),
            grid_code: G1.into(),
            kind: AssignmentKind::Primary,
            from,
            to: chrono::NaiveDate::from_ymd_opt(2026, 5, 1),
        })
        .unwrap();
    w.server
        .set_assignment(&Assignment {
            user_id: WORKER.into(),
            grid_code: G2.into(),
            kind: AssignmentKind::Primary,
            from: chrono::NaiveDate::from_ymd_opt(2026, 5, 2).unwrap(),
            to: None,
        })
        .unwrap();
    let report = w.sync(&worker, WORKER);
    assert_eq!(report.pulled.evicted, vec![G1.to_string()], "{report:?}");
    assert!(matches!(worker.grid(G1), Err(CoreError::NotFound { .. })));
    let c = rusqlite::Connection::open(w.dir.path().join("worker.db")).unwrap();
    let left: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM household WHERE grid_code = ?1",
            [G1],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0, "grid 1's households are gone from the phone");
    // Grid 2 arrived in full although its changes are older than the cursor.
    assert_eq!(
        worker
            .households(WORKER, G2, &HouseholdFilter::default(), 0, 50)
            .unwrap()
            .total,
        1
    );
}

#[test]
fn a_phone_clock_days_ahead_does_not_make_a_case_overdue_early() {
    let w = World::new();
    let worker = w.device("worker");
    w.sync(&worker, WORKER);
    // The phone's clock runs 3 days ahead of the server's.
    let skewed = ManualClock::new(t0() + Duration::days(3));
    let phone =
        Store::open_with_clock(w.dir.path().join("skewed.db"), Arc::new(skewed.clone())).unwrap();
    w.sync_with_clock(&phone, WORKER, Arc::new(skewed.clone()));
    let visit = visit_with_hazard(&w, &phone);
    let id = phone
        .report_case(WORKER, &visit.drafts[0], &[], None)
        .unwrap()
        .case
        .id;
    w.sync_with_clock(&phone, WORKER, Arc::new(skewed.clone()));
    let on_server = w.server.case(SECRETARY, &id).unwrap();
    assert_eq!(
        on_server.reported_at,
        t0(),
        "reported at the server's time, not the phone's"
    );
    let rows = w
        .server
        .cases(SECRETARY, CaseScope::Jurisdiction, true, 0, 10)
        .unwrap();
    // A full day to accept it and three to resolve it, counted on the
    // server's clock (on the phone's it would already be two days late).
    assert_eq!(rows[0].countdown_secs, Some(86_400), "{:?}", rows[0]);
    assert_eq!(rows[0].deadline, t0() + Duration::days(3));
}

/// Delivers the first push of a sync only after the second has been
/// answered: what a phone sees when two pipelined requests overtake each
/// other on the way to the server.
struct Overtaking<'a> {
    inner: Loopback<'a>,
    calls: std::sync::atomic::AtomicUsize,
    second_answered: std::sync::atomic::AtomicBool,
}

/// Returns `Pending` once, waking itself: lets the other request run.
struct YieldNow(bool);

impl std::future::Future for YieldNow {
    type Output = ();
    fn poll(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

impl Transport for Overtaking<'_> {
    async fn push(&self, req: &PushRequest) -> gridwork_core::Result<(PushResponse, Transfer)> {
        use std::sync::atomic::Ordering::SeqCst;
        let call = self.calls.fetch_add(1, SeqCst);
        if call == 0 {
            // Bounded: if the client never has a second request in flight
            // the test fails on its assertions instead of hanging.
            for _ in 0..10_000 {
                if self.second_answered.load(SeqCst) {
                    break;
                }
                YieldNow(false).await;
            }
        }
        let answer = self.inner.push(req).await;
        if call == 1 {
            self.second_answered.store(true, SeqCst);
        }
        answer
    }

    async fn pull(&self, req: &PullRequest) -> gridwork_core::Result<(PullResponse, Transfer)> {
        self.inner.pull(req).await
    }
}

#[test]
fn pipelined_pushes_that_overtake_each_other_are_retried_and_applied_once() {
    let w = World::new();
    let worker = w.device("worker");
    w.sync(&worker, WORKER);
    let template = worker.checklist_for_kind(PlaceKind::Household).unwrap();
    let n = gridwork_core::sync::client::PUSH_BATCH as usize + 120;
    for _ in 0..n {
        worker
            .record_visit(
                WORKER,
                &VisitInput {
                    household_code: "H001".into(),
                    patrol_id: None,
                    template_id: template.id.clone(),
                    template_version: template.version,
                    answers: safe_household_answers(),
                    notes: String::new(),
                    fix: None,
                    photos: vec![],
                },
            )
            .unwrap();
    }
    let waiting = worker.outbox_len().unwrap() as u32;
    assert!(waiting as usize >= n);
    let t = Overtaking {
        inner: Loopback {
            server: &w.server,
            user: WORKER.into(),
            device_id: Some(worker.device_id().to_string()),
            device_clock: Arc::new(w.clock.clone()),
        },
        calls: Default::default(),
        second_answered: Default::default(),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let report = rt.block_on(sync_with(&worker, &t, &|_| {})).unwrap();

    // The second batch reached the server first and was told to wait.
    assert!(report.pushed.retry > 0, "{report:?}");
    // In the end every operation was applied exactly once.
    assert_eq!(report.pushed.applied, waiting, "{report:?}");
    assert_eq!(report.pushed.rejected, 0, "{report:?}");
    assert_eq!(worker.outbox_len().unwrap(), 0);
    assert_eq!(w.server.server_figures().unwrap().visits as usize, n);
}

#[test]
fn a_phone_pulls_the_people_where_it_works_not_the_whole_city() {
    let w = World::new();
    let phone = w.device("worker");
    w.sync(&phone, WORKER);
    // The people above the grid: the village secretary, the township and
    // city supervisors; and the worker's own row.
    for id in [WORKER, SECRETARY, TOWNSHIP, CITY] {
        assert!(phone.user(id).is_ok(), "{id} did not reach the worker");
    }
    // A worker of the other grid and the administrator did not.
    for id in [WORKER2, ADMIN] {
        assert!(
            matches!(phone.user(id), Err(CoreError::NotFound { .. })),
            "{id} reached the worker's phone"
        );
    }
    // The secretary's phone gets both grids' workers.
    let secretary = w.device("secretary");
    w.sync(&secretary, SECRETARY);
    for id in [WORKER, WORKER2, SECRETARY, TOWNSHIP, CITY] {
        assert!(
            secretary.user(id).is_ok(),
            "{id} did not reach the secretary"
        );
    }
}

/// Paging: small pages, one after another, give exactly what one big page
/// gives, for a worker (a grid) and a city supervisor (everything).
#[test]
fn small_pages_add_up_to_one_big_page() {
    let w = World::new();
    for user in [WORKER, CITY, SECRETARY] {
        let whole = w.server.pull(user, None, None, 5_000).unwrap();
        assert!(!whole.more);
        let mut paged = Vec::new();
        let mut cursor: Option<String> = None;
        let mut pages = 0;
        loop {
            let page = w.server.pull(user, None, cursor.as_deref(), 3).unwrap();
            pages += 1;
            assert!(page.changes.len() <= 3);
            paged.extend(page.changes.iter().map(|c| format!("{c:?}")));
            cursor = Some(page.cursor.clone());
            if !page.more {
                break;
            }
            assert!(page.remaining > 0, "{user}: more but nothing remaining");
        }
        let all: Vec<String> = whole.changes.iter().map(|c| format!("{c:?}")).collect();
        assert!(pages > 2, "{user}: {pages} pages");
        // The same entities (a later page may carry a newer change of an
        // entity an earlier page had; the set of what arrives is the same).
        let mut a = all.clone();
        a.sort();
        a.dedup();
        let mut p = paged.clone();
        p.sort();
        p.dedup();
        for change in &a {
            assert!(p.contains(change), "{user}: paging lost {change}");
        }
    }
}

#[test]
fn the_today_screen_shows_what_is_due_my_cases_and_what_waits_to_sync() {
    let w = World::new();
    let worker = w.device("worker");
    assert_eq!(worker.last_synced_at().unwrap(), None, "never synced");
    w.sync(&worker, WORKER);
    let day = (w.clock.now() + Duration::hours(8)).date_naive();
    let today = worker.today(WORKER, day).unwrap();
    assert_eq!(
        today
            .grids
            .iter()
            .map(|g| g.code.as_str())
            .collect::<Vec<_>>(),
        vec![G1]
    );
    assert_eq!(today.due_visits, 3, "three never-visited households");
    assert!(today.open_cases.is_empty());
    assert_eq!((today.pending_operations, today.photos_waiting), (0, 0));
    assert_eq!(today.last_synced_at, Some(w.clock.now()));
    assert_eq!(today.day.visits, 0);
    assert!(today.patrols, "a grid worker patrols");

    // Offline: a visit with a hazard, the case reported with a photo.
    w.clock.advance(Duration::minutes(30));
    let visit = visit_with_hazard(&w, &worker);
    let case = worker
        .report_case(
            WORKER,
            &visit.drafts[0],
            &[photo(w.dir.path(), "before.jpg", None)],
            None,
        )
        .unwrap()
        .case;
    let today = worker.today(WORKER, day).unwrap();
    assert_eq!(
        today.due_visits, 2,
        "the visited household is no longer due"
    );
    assert_eq!(today.day.visits, 1);
    assert_eq!(
        today
            .open_cases
            .iter()
            .map(|c| c.id.as_str())
            .collect::<Vec<_>>(),
        vec![case.id.as_str()]
    );
    assert!(today.open_cases[0].countdown_secs.is_some());
    assert!(
        today.pending_operations >= 2,
        "the visit and the report wait"
    );
    assert_eq!(
        today.photos_waiting, 2,
        "the visit's photo and the report's"
    );
    assert!(today.photo_bytes_waiting > 0);
    assert_eq!(
        today.last_synced_at,
        Some(w.clock.now() - Duration::minutes(30)),
        "still the last sync"
    );

    let patrol = worker.start_patrol(WORKER, G1, None).unwrap();
    assert_eq!(
        worker.today(WORKER, day).unwrap().open_patrol.map(|p| p.id),
        Some(patrol.id.clone()),
        "the patrol under way"
    );
    worker.end_patrol(WORKER, &patrol.id).unwrap();
    w.sync(&worker, WORKER);
    let today = worker.today(WORKER, day).unwrap();
    assert_eq!(today.open_patrol, None);
    assert_eq!(today.day.patrols, 1);
    assert_eq!(today.pending_operations, 0);
    assert_eq!(today.last_synced_at, Some(w.clock.now()));
}

#[test]
fn an_operation_sent_twice_in_one_batch_is_applied_once() {
    let w = World::new();
    let worker = w.device("worker");
    w.sync(&worker, WORKER);
    visit_with_hazard(&w, &worker);
    let ops = worker.outbox(1000).unwrap();
    let visit = ops
        .iter()
        .find(|o| o.operation.kind() == "visit_recorded")
        .unwrap()
        .clone();
    // Everything before the visit, then the visit twice in the same push.
    let mut batch: Vec<_> = ops
        .iter()
        .take_while(|o| o.seq < visit.seq)
        .cloned()
        .collect();
    batch.push(visit.clone());
    batch.push(visit);
    let answers = w
        .server
        .apply_push(
            WORKER,
            worker.device_id(),
            None,
            worker.acked_through().unwrap(),
            &batch,
        )
        .unwrap();
    let n = answers.len();
    assert!(
        matches!(&answers[n - 2], OpAnswer::Applied { .. })
            && matches!(&answers[n - 1], OpAnswer::Duplicate { .. }),
        "{answers:?}"
    );
    assert_eq!(w.server.server_figures().unwrap().visits, 1);
}
