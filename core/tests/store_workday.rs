//! A grid worker's day through the device store, and the secretary's and
//! supervisors' answers to it: the behaviour each person would notice.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::Duration;
use common::*;
use gridwork_core::case::{ActionKind, CaseAction, CaseState, Difficulty, EventKind};
use gridwork_core::checklist::{Answer, AnswerValue};
use gridwork_core::geofence::GeofenceStatus;
use gridwork_core::household::{PlaceKind, Tag};
use gridwork_core::outbox::Operation;
use gridwork_core::pii::PiiField;
use gridwork_core::priority::{Priority, Severity};
use gridwork_core::store::{CaseScope, HouseholdFilter, OnSpotResolution, VisitInput};
use gridwork_core::visit::DueState;
use gridwork_core::CoreError;

fn gas_leak_visit(t: &Township) -> gridwork_core::store::VisitOutcome {
    let template = t.store.checklist_for_kind(PlaceKind::Household).unwrap();
    let mut answers = safe_household_answers();
    answers[2].value = AnswerValue::YesNo(true); // gas smell
    answers.push(Answer {
        item_code: "ws.gas_cylinder_hose".into(),
        value: AnswerValue::Choices(vec!["hose_aged".into()]),
    });
    t.store
        .record_visit(
            WORKER,
            &VisitInput {
                household_code: "H001".into(),
                patrol_id: None,
                template_id: template.id.clone(),
                template_version: template.version,
                answers,
                notes: "老人独居，厨房有异味".into(),
                fix: Some(fix_at(22.5016, 113.9016)),
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
fn my_grids_lists_counts_for_the_worker() {
    let t = township();
    let grids = t.store.my_grids(WORKER).unwrap();
    assert_eq!(grids.len(), 1);
    assert_eq!(grids[0].code, G1);
    assert_eq!(grids[0].households, 3);
    assert_eq!(grids[0].due_visits, 3, "never-visited households are due");
    assert_eq!(grids[0].village_name, "石岩村");
    let secretary = t.store.my_grids(SECRETARY).unwrap();
    assert_eq!(secretary.len(), 2);
    let city = t.store.my_grids(CITY).unwrap();
    assert_eq!(
        city.len(),
        2,
        "a city supervisor reaches grids through township and village"
    );
}

#[test]
fn a_visit_records_answers_photo_and_verdict_and_prefills_cases() {
    let t = township();
    let out = gas_leak_visit(&t);
    assert_eq!(
        out.visit.verdict.as_ref().unwrap().status,
        GeofenceStatus::Consistent
    );
    assert_eq!(out.evidence.len(), 1);
    assert_eq!(out.evidence[0].size, 4100);
    assert!(std::path::Path::new(out.evidence[0].local_path.as_ref().unwrap()).exists());
    // Two hazards → two pre-filled drafts; the cylinder photo documents the
    // work-safety section, so both carry it.
    let severities: Vec<Severity> = out.drafts.iter().map(|d| d.severity).collect();
    assert_eq!(severities, vec![Severity::Critical, Severity::Normal]);
    assert!(out
        .drafts
        .iter()
        .all(|d| d.evidence_ids == vec![out.evidence[0].id.clone()]));
    let gas = &out.drafts[0];
    assert_eq!(gas.category.priority, Priority::WorkSafety);
    assert_eq!(gas.household_code.as_deref(), Some("H001"));
    assert!(gas.description.contains("老人独居"), "{}", gas.description);
    assert_eq!(gas.source.as_ref().unwrap().visit_id, out.visit.id);
    // The household is no longer due, and the list says when it was seen.
    let page = t
        .store
        .households(WORKER, G1, &HouseholdFilter::default(), 0, 50)
        .unwrap();
    let h001 = page.rows.iter().find(|r| r.code == "H001").unwrap();
    assert_eq!(
        h001.due,
        DueState::Upcoming { in_days: 7 },
        "elderly living alone: weekly"
    );
    assert_eq!(h001.last_visit_at, Some(t.store.now()));
    // The visit reads back with the pinned template's labels.
    let detail = t.store.visit_detail(WORKER, &out.visit.id).unwrap();
    let smell = detail
        .answers
        .iter()
        .find(|a| a.item_code == "ws.gas_smell")
        .unwrap();
    assert!(smell.hazard);
    assert_eq!(smell.answer_text, "是");
    assert!(smell.label_zh.contains("燃气"));
    // The worker's day (China date) counts the visit and its photo; another worker's does not.
    let day = (t.store.now() + Duration::hours(8)).date_naive();
    let mine = t.store.my_day(WORKER, day).unwrap();
    assert_eq!((mine.visits, mine.photos), (1, 1));
    let other = t.store.my_day(WORKER2, day).unwrap();
    assert_eq!((other.visits, other.photos), (0, 0));
}

#[test]
fn bad_answers_are_refused_with_the_field_and_nothing_is_saved() {
    let t = township();
    let template = t.store.checklist_for_kind(PlaceKind::Household).unwrap();
    let mut answers = safe_household_answers();
    answers[1].value = AnswerValue::Choice("nuclear".into());
    let before = t.store.outbox_len().unwrap();
    let err = t
        .store
        .record_visit(
            WORKER,
            &VisitInput {
                household_code: "H002".into(),
                patrol_id: None,
                template_id: template.id.clone(),
                template_version: template.version,
                answers,
                notes: String::new(),
                fix: None,
                photos: vec![photo(t.dir.path(), "x.jpg", None)],
            },
        )
        .unwrap_err();
    match err {
        CoreError::Invalid { field, reason } => {
            assert_eq!(field, "answers[1].value");
            assert!(reason.contains("nuclear"), "{reason}");
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert_eq!(t.store.outbox_len().unwrap(), before, "nothing written");
    let files = std::fs::read_dir(t.store.evidence_dir()).unwrap().count();
    assert_eq!(
        files, 0,
        "the copied photo was removed with the failed save"
    );
    // Missing required item.
    let err = t
        .store
        .record_visit(
            WORKER,
            &VisitInput {
                household_code: "H002".into(),
                patrol_id: None,
                template_id: template.id.clone(),
                template_version: template.version,
                answers: safe_household_answers()[..3].to_vec(),
                notes: String::new(),
                fix: None,
                photos: vec![],
            },
        )
        .unwrap_err();
    assert!(
        matches!(err, CoreError::Invalid { ref field, .. } if field == "answers.rs.house_condition"),
        "{err:?}"
    );
}

#[test]
fn the_case_walks_from_report_to_close_with_a_send_back() {
    let t = township();
    let visit = gas_leak_visit(&t);
    let draft = visit.drafts[1].clone(); // the hose: normal severity
    let reported = t
        .store
        .report_case(
            WORKER,
            &draft,
            &[photo(t.dir.path(), "before.jpg", None)],
            None,
        )
        .unwrap();
    let id = reported.case.id.clone();
    assert_eq!(reported.case.state, CaseState::Reported);
    assert_eq!(
        reported.case.evidence_ids.len(),
        2,
        "the visit photo plus the report photo"
    );

    // The reporter may still fix it on the spot; nothing else is theirs yet.
    let worker_view = t.store.case_detail(WORKER, &id).unwrap();
    assert_eq!(worker_view.allowed_actions, vec![ActionKind::ResolveOnSpot]);
    let secretary_view = t.store.case_detail(SECRETARY, &id).unwrap();
    assert!(secretary_view.allowed_actions.contains(&ActionKind::File));
    assert!(secretary_view
        .allowed_actions
        .contains(&ActionKind::Dismiss));
    assert!(!secretary_view
        .allowed_actions
        .contains(&ActionKind::Confirm));

    let act = |user: &str, a: CaseAction| t.store.act_on_case(user, &id, &a, &[]);
    act(
        SECRETARY,
        CaseAction::File {
            difficulty: Difficulty::Normal,
            note: String::new(),
        },
    )
    .unwrap();
    act(
        SECRETARY,
        CaseAction::Dispatch {
            handler_id: WORKER.into(),
        },
    )
    .unwrap();
    act(WORKER, CaseAction::Accept).unwrap();

    // Resolving without an after-photo is refused with the field named.
    let err = act(
        WORKER,
        CaseAction::Resolve {
            note: "已更换软管".into(),
            evidence_ids: vec![],
        },
    )
    .unwrap_err();
    assert!(
        matches!(err, CoreError::Invalid { ref field, .. } if field == "evidence_ids"),
        "{err:?}"
    );

    t.clock.advance(Duration::hours(3));
    let (case, _) = t
        .store
        .act_on_case(
            WORKER,
            &id,
            &CaseAction::Resolve {
                note: "已更换软管".into(),
                evidence_ids: vec![],
            },
            &[photo(t.dir.path(), "after.jpg", None)],
        )
        .unwrap();
    assert_eq!(case.state, CaseState::Resolved);

    // Send back needs a reason; with one, the worker sees it.
    let err = act(
        SECRETARY,
        CaseAction::SendBack {
            reason: "  ".into(),
        },
    )
    .unwrap_err();
    assert!(matches!(err, CoreError::Invalid { ref field, .. } if field == "reason"));
    act(
        SECRETARY,
        CaseAction::SendBack {
            reason: "照片看不清卡箍".into(),
        },
    )
    .unwrap();
    let seen = t.store.case_detail(WORKER, &id).unwrap();
    assert_eq!(seen.case.state, CaseState::InProgress);
    assert_eq!(
        seen.case.last_send_back_reason.as_deref(),
        Some("照片看不清卡箍")
    );
    assert!(seen.allowed_actions.contains(&ActionKind::Resolve));

    t.store
        .act_on_case(
            WORKER,
            &id,
            &CaseAction::Resolve {
                note: "补拍卡箍".into(),
                evidence_ids: vec![],
            },
            &[photo(t.dir.path(), "after2.jpg", None)],
        )
        .unwrap();
    // A worker may not confirm their own work.
    let err = act(
        WORKER,
        CaseAction::Confirm {
            note: String::new(),
        },
    )
    .unwrap_err();
    assert!(matches!(err, CoreError::NotPermitted { .. }), "{err:?}");
    act(
        SECRETARY,
        CaseAction::Confirm {
            note: "核查属实".into(),
        },
    )
    .unwrap();
    act(
        SECRETARY,
        CaseAction::Close {
            note: String::new(),
        },
    )
    .unwrap();

    let detail = t.store.case_detail(SECRETARY, &id).unwrap();
    assert_eq!(detail.case.state, CaseState::Closed);
    assert!(detail.chain_break.is_none());
    assert_eq!(detail.timeline.len(), 9);
    assert_eq!(detail.timeline[5].summary_zh, "退回：照片看不清卡箍");
    assert_eq!(detail.countdown_secs, None, "the clock stopped");
    assert_eq!(
        detail.evidence.len(),
        4,
        "the visit's photo, the report photo and two after-photos"
    );
    // A closed case offers nothing.
    assert!(detail.allowed_actions.is_empty());
    let err = act(
        SECRETARY,
        CaseAction::Close {
            note: String::new(),
        },
    )
    .unwrap_err();
    assert!(matches!(err, CoreError::Conflict { .. }), "{err:?}");

    // Every step went to the outbox, in order.
    let ops = t.store.outbox(10_000).unwrap();
    let events: Vec<&str> = ops
        .iter()
        .filter_map(|o| match &o.operation {
            Operation::CaseReported { event, .. } | Operation::CaseActed { event, .. }
                if event.case_id == id =>
            {
                Some(event.kind.name())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        events,
        [
            "reported",
            "filed",
            "dispatched",
            "accepted",
            "resolved",
            "sent_back",
            "resolved",
            "confirmed",
            "closed"
        ]
    );
    assert!(
        ops.windows(2).all(|w| w[0].hlc < w[1].hlc),
        "HLC stamps increase"
    );
}

#[test]
fn on_the_spot_resolution_still_needs_the_secretary() {
    let t = township();
    let visit = gas_leak_visit(&t);
    let spot = OnSpotResolution {
        note: "已帮老人关闭阀门并开窗".into(),
        photos: vec![photo(t.dir.path(), "spot.jpg", None)],
    };
    let out = t
        .store
        .report_case(WORKER, &visit.drafts[0], &[], Some(&spot))
        .unwrap();
    assert_eq!(out.events.len(), 2);
    assert_eq!(out.case.state, CaseState::Resolved);
    assert!(out.case.on_spot);
    assert_eq!(out.case.handler_id.as_deref(), Some(WORKER));
    let sec = t.store.case_detail(SECRETARY, &out.case.id).unwrap();
    assert!(sec.allowed_actions.contains(&ActionKind::Confirm));
}

#[test]
fn nobody_sees_or_touches_what_is_not_theirs() {
    let t = township();
    let visit = gas_leak_visit(&t);
    let case = t
        .store
        .report_case(WORKER, &visit.drafts[1], &[], None)
        .unwrap()
        .case;
    // Worker 2 (other grid): not found, not "forbidden", so nothing leaks.
    assert!(matches!(
        t.store.case_detail(WORKER2, &case.id),
        Err(CoreError::NotFound { .. })
    ));
    assert!(matches!(
        t.store
            .households(WORKER2, G1, &HouseholdFilter::default(), 0, 10),
        Err(CoreError::NotFound { .. })
    ));
    assert!(matches!(
        t.store.household_detail(WORKER2, "H001"),
        Err(CoreError::NotFound { .. })
    ));
    assert!(t
        .store
        .cases(WORKER2, CaseScope::Jurisdiction, false, 0, 50)
        .unwrap()
        .is_empty());
    // Reporting into another grid is refused.
    let mut foreign = visit.drafts[1].clone();
    foreign.grid_code = G2.into();
    foreign.household_code = Some("H101".into());
    foreign.source = None;
    foreign.evidence_ids.clear();
    let err = t
        .store
        .report_case(WORKER, &foreign, &[], None)
        .unwrap_err();
    assert!(matches!(err, CoreError::NotPermitted { .. }), "{err:?}");
    // The secretary may not dispatch to a worker of another grid.
    t.store
        .act_on_case(
            SECRETARY,
            &case.id,
            &CaseAction::File {
                difficulty: Difficulty::Hard,
                note: String::new(),
            },
            &[],
        )
        .unwrap();
    let err = t
        .store
        .act_on_case(
            SECRETARY,
            &case.id,
            &CaseAction::Dispatch {
                handler_id: WORKER2.into(),
            },
            &[],
        )
        .unwrap_err();
    assert!(
        matches!(err, CoreError::Invalid { ref field, .. } if field == "handler_id"),
        "{err:?}"
    );
    // Hard cases get seven days.
    let c = t.store.case(SECRETARY, &case.id).unwrap();
    assert_eq!(c.deadline, c.reported_at + Duration::days(7));
}

#[test]
fn lists_are_scoped_and_escalations_reach_the_right_supervisor() {
    let t = township();
    let visit = gas_leak_visit(&t);
    let critical = t
        .store
        .report_case(WORKER, &visit.drafts[0], &[], None)
        .unwrap()
        .case;
    let normal = t
        .store
        .report_case(WORKER, &visit.drafts[1], &[], None)
        .unwrap()
        .case;
    let mine = t.store.cases(WORKER, CaseScope::Mine, true, 0, 50).unwrap();
    assert_eq!(mine.len(), 2);
    // Most urgent first: the critical case's deadline is sooner.
    assert_eq!(mine[0].id, critical.id);
    assert!(t
        .store
        .cases(TOWNSHIP, CaseScope::EscalatedToMe, true, 0, 50)
        .unwrap()
        .is_empty());
    // Critical escalates on report; an hour unfiled takes it to the city.
    let due = t.store.run_escalations().unwrap();
    assert_eq!(due.len(), 1);
    assert_eq!(due[0].0, critical.id);
    assert!(
        t.store.run_escalations().unwrap().is_empty(),
        "recorded exactly once"
    );
    let escalated = t
        .store
        .cases(TOWNSHIP, CaseScope::EscalatedToMe, true, 0, 50)
        .unwrap();
    assert_eq!(
        escalated.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(),
        vec![critical.id.as_str()]
    );
    assert!(t
        .store
        .cases(CITY, CaseScope::EscalatedToMe, true, 0, 50)
        .unwrap()
        .is_empty());
    t.clock.advance(Duration::minutes(61));
    t.store.run_escalations().unwrap();
    let city = t
        .store
        .cases(CITY, CaseScope::EscalatedToMe, true, 0, 50)
        .unwrap();
    assert_eq!(city.len(), 1);
    // The normal case goes up after a day without filing.
    t.clock.advance(Duration::hours(24));
    let due = t.store.run_escalations().unwrap();
    assert!(due.iter().any(|(id, d)| *id == normal.id && d.level == 1));
    // The supervisor urges; the timeline shows who and what.
    t.store
        .act_on_case(
            TOWNSHIP,
            &normal.id,
            &CaseAction::Urge {
                message: "请尽快立案".into(),
            },
            &[],
        )
        .unwrap();
    let detail = t.store.case_detail(WORKER, &normal.id).unwrap();
    let last = detail.timeline.last().unwrap();
    assert_eq!(last.actor_name, "赵督导");
    assert_eq!(last.summary_zh, "督办：请尽快立案");
    let events = t.store.case_events(&critical.id).unwrap();
    assert!(events
        .iter()
        .any(|e| matches!(e.kind, EventKind::Escalated { level: 2, .. })));
}

#[test]
fn extensions_are_capped_at_fifteen_days() {
    let t = township();
    let visit = gas_leak_visit(&t);
    let id = t
        .store
        .report_case(WORKER, &visit.drafts[1], &[], None)
        .unwrap()
        .case
        .id;
    let act = |user: &str, a: CaseAction| t.store.act_on_case(user, &id, &a, &[]);
    act(
        SECRETARY,
        CaseAction::File {
            difficulty: Difficulty::Hard,
            note: String::new(),
        },
    )
    .unwrap();
    act(
        SECRETARY,
        CaseAction::Dispatch {
            handler_id: WORKER.into(),
        },
    )
    .unwrap();
    let err = act(
        WORKER,
        CaseAction::RequestExtension {
            days: 9,
            reason: "等配件".into(),
        },
    )
    .unwrap_err();
    assert!(err.to_string().contains("8"), "7 days used, 8 left: {err}");
    act(
        WORKER,
        CaseAction::RequestExtension {
            days: 5,
            reason: "等配件".into(),
        },
    )
    .unwrap();
    // Only a supervisor approves, and not more than asked.
    assert!(matches!(
        act(SECRETARY, CaseAction::ApproveExtension { days: 5 }),
        Err(CoreError::NotPermitted { .. })
    ));
    assert!(matches!(
        act(TOWNSHIP, CaseAction::ApproveExtension { days: 6 }),
        Err(CoreError::Invalid { .. })
    ));
    let (case, _) = act(TOWNSHIP, CaseAction::ApproveExtension { days: 5 }).unwrap();
    assert_eq!(case.deadline, case.reported_at + Duration::days(12));
    assert_eq!(case.extension_days, 5);
    assert!(matches!(
        act(TOWNSHIP, CaseAction::ApproveExtension { days: 1 }),
        Err(CoreError::Conflict { .. })
    ));
}

#[test]
fn personal_numbers_are_masked_and_reveals_are_recorded() {
    let t = township();
    let detail = t.store.household_detail(WORKER, "H001").unwrap();
    let m = &detail.members[0];
    assert_eq!(m.id_number_masked.as_deref(), Some("110105********002X"));
    assert_eq!(m.phone_masked.as_deref(), Some("139****5678"));
    let err = t
        .store
        .reveal_member_field(WORKER, "M001", PiiField::IdNumber, "")
        .unwrap_err();
    assert!(matches!(err, CoreError::Invalid { ref field, .. } if field == "reason"));
    assert!(matches!(
        t.store
            .reveal_member_field(WORKER2, "M001", PiiField::IdNumber, "核对身份"),
        Err(CoreError::NotFound { .. })
    ));
    let whole = t
        .store
        .reveal_member_field(WORKER, "M001", PiiField::IdNumber, "办理低保核对身份")
        .unwrap();
    assert_eq!(whole, "11010519491231002X");
    let log = t.store.reveal_log("M001").unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].user_id, WORKER);
    assert_eq!(log[0].reason, "办理低保核对身份");
    // The outbox carries the reveal for audit, never the number.
    let ops = t.store.outbox(10_000).unwrap();
    let text = serde_json::to_string(
        &ops.iter()
            .filter(|o| o.operation.kind() == "pii_revealed")
            .collect::<Vec<_>>(),
    )
    .unwrap();
    assert!(text.contains("办理低保核对身份"));
    assert!(!text.contains("19491231"));
}

#[test]
fn household_lists_search_filter_and_page() {
    let t = township();
    let all = t
        .store
        .households(WORKER, G1, &HouseholdFilter::default(), 0, 2)
        .unwrap();
    assert_eq!(all.total, 3);
    assert_eq!(all.rows.len(), 2);
    let rest = t
        .store
        .households(WORKER, G1, &HouseholdFilter::default(), 2, 2)
        .unwrap();
    assert_eq!(rest.rows.len(), 1);
    let by_tag = t
        .store
        .households(
            WORKER,
            G1,
            &HouseholdFilter {
                query: Some("留守儿童".into()),
                ..Default::default()
            },
            0,
            10,
        )
        .unwrap();
    assert_eq!(
        by_tag
            .rows
            .iter()
            .map(|r| r.code.as_str())
            .collect::<Vec<_>>(),
        vec!["H003"]
    );
    let by_text = t
        .store
        .households(
            WORKER,
            G1,
            &HouseholdFilter {
                query: Some("H002".into()),
                ..Default::default()
            },
            0,
            10,
        )
        .unwrap();
    assert_eq!(by_text.total, 1);
    let tagged = t
        .store
        .households(
            WORKER,
            G1,
            &HouseholdFilter {
                tag: Some(Tag::ElderlyAlone),
                ..Default::default()
            },
            0,
            10,
        )
        .unwrap();
    assert_eq!(tagged.rows[0].code, "H001");
    gas_leak_visit(&t);
    let due = t
        .store
        .households(
            WORKER,
            G1,
            &HouseholdFilter {
                due_only: true,
                ..Default::default()
            },
            0,
            10,
        )
        .unwrap();
    assert_eq!(due.total, 2, "H001 was just visited");
}

#[test]
fn patrols_record_tracks_the_worker_may_discard() {
    let t = township();
    let p = t
        .store
        .start_patrol(WORKER, G1, Some(&fix_at(22.5010, 113.9010)))
        .unwrap();
    let mut far = fix_at(22.5100, 113.9500);
    far.accuracy_m = 5.0;
    let mut mock = fix_at(22.5020, 113.9020);
    mock.mock = true;
    let points = t
        .store
        .add_track_points(WORKER, &p.id, &[fix_at(22.5020, 113.9010), far, mock])
        .unwrap();
    assert_eq!(
        points.iter().map(|p| p.seq).collect::<Vec<_>>(),
        vec![2, 3, 4]
    );
    assert_eq!(points[1].verdict.status, GeofenceStatus::OutsideGrid);
    assert_eq!(points[2].verdict.status, GeofenceStatus::Mock);
    assert!(matches!(
        t.store.add_track_points(WORKER2, &p.id, &[]),
        Err(CoreError::NotFound { .. })
    ));
    let ended = t.store.end_patrol(WORKER, &p.id).unwrap();
    assert!(ended.distance_m > 100.0, "{}", ended.distance_m);
    assert_eq!(ended.fix_count, 4);
    assert!(matches!(
        t.store.end_patrol(WORKER, &p.id),
        Err(CoreError::Conflict { .. })
    ));
    let discarded = t.store.discard_track(WORKER, &p.id).unwrap();
    assert!(discarded.track_discarded);
    assert!(t.store.track(WORKER, &p.id).unwrap().is_empty());
    // Secretaries do not patrol: there is nothing to track about them.
    assert!(matches!(
        t.store.start_patrol(SECRETARY, G1, None),
        Err(CoreError::NotPermitted { .. })
    ));
}

#[test]
fn a_new_template_version_leaves_old_visits_readable() {
    let t = township();
    let out = gas_leak_visit(&t);
    let mut v2 = t.store.checklist_for_kind(PlaceKind::Household).unwrap();
    v2.version += 1;
    for s in &mut v2.sections {
        for i in &mut s.items {
            if i.code == "ws.gas_smell" {
                i.label_zh = "是否闻到燃气味（新版）".into();
            }
        }
    }
    assert!(t.store.store_template(&v2).unwrap());
    assert!(
        !t.store.store_template(&v2).unwrap(),
        "same version twice is a no-op"
    );
    let mut clash = v2.clone();
    clash.title_zh = "改了内容".into();
    assert!(matches!(
        t.store.store_template(&clash),
        Err(CoreError::Conflict { .. })
    ));
    assert_eq!(
        t.store
            .checklist_for_kind(PlaceKind::Household)
            .unwrap()
            .version,
        v2.version
    );
    let old = t.store.visit_detail(WORKER, &out.visit.id).unwrap();
    let smell = old
        .answers
        .iter()
        .find(|a| a.item_code == "ws.gas_smell")
        .unwrap();
    assert!(
        !smell.label_zh.contains("新版"),
        "the old visit keeps its own labels"
    );
}

#[test]
fn coverage_report_finds_the_broken_promises() {
    let t = township();
    let r = t.store.coverage_report(SECRETARY).unwrap();
    assert_eq!(r.grids_checked, 2);
    assert!(r.gaps.is_empty() && r.overlaps.is_empty(), "{r:?}");
    assert!(r.grids_without_worker.is_empty());
    assert!(r.households_outside_every_grid.is_empty());
    // A household placed outside the village, a grid losing its worker, and
    // a dispatched case whose handler left.
    t.store
        .upsert_household(&household("H999", G1, 113.95, 22.55, vec![]))
        .unwrap();
    let visit = gas_leak_visit(&t);
    let id = t
        .store
        .report_case(WORKER, &visit.drafts[1], &[], None)
        .unwrap()
        .case
        .id;
    t.store
        .act_on_case(
            SECRETARY,
            &id,
            &CaseAction::File {
                difficulty: Difficulty::Normal,
                note: String::new(),
            },
            &[],
        )
        .unwrap();
    t.store
        .act_on_case(
            SECRETARY,
            &id,
            &CaseAction::Dispatch {
                handler_id: WORKER.into(),
            },
            &[],
        )
        .unwrap();
    let mut ended = gridwork_core::user::Assignment {
        user_id: WORKER.into(),
        grid_code: G1.into(),
        kind: gridwork_core::user::AssignmentKind::Primary,
        from: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        to: None,
    };
    ended.to = chrono::NaiveDate::from_ymd_opt(2026, 5, 1);
    t.store.set_assignment(&ended).unwrap();
    let r = t.store.coverage_report(SECRETARY).unwrap();
    assert_eq!(r.households_outside_every_grid, vec!["H999".to_string()]);
    assert_eq!(r.grids_without_worker, vec![G1.to_string()]);
    assert_eq!(r.open_cases_without_owner, vec![id]);
}

#[test]
fn the_grid_map_draws_boundary_and_places_in_the_tiles_coordinates() {
    use gridwork_core::coord::CoordSystem;
    let t = township();
    let wgs = t.store.grid_map(WORKER, G1, CoordSystem::Wgs84).unwrap();
    assert_eq!(wgs.places.len(), 3);
    assert_eq!(wgs.places[0].row.code, "H001");
    assert_eq!(
        (wgs.places[0].point.lat, wgs.places[0].point.lon),
        (wgs.places[0].row.lat, wgs.places[0].row.lon)
    );
    assert!(
        !wgs.rings.is_empty() && wgs.rings[0].len() >= 4,
        "a closed ring"
    );
    for p in wgs
        .rings
        .iter()
        .flatten()
        .chain(wgs.places.iter().map(|p| &p.point))
    {
        assert!(p.lat >= wgs.south_west.lat && p.lat <= wgs.north_east.lat);
        assert!(p.lon >= wgs.south_west.lon && p.lon <= wgs.north_east.lon);
    }
    // Amap/Tencent tiles: every point shifted as GCJ-02 shifts Shenzhen
    // (a few hundred metres), the same households in the same order.
    let gcj = t.store.grid_map(WORKER, G1, CoordSystem::Gcj02).unwrap();
    let (a, b) = (&wgs.places[0].point, &gcj.places[0].point);
    let shift_m = ((a.lat - b.lat) * 111_000.0).hypot((a.lon - b.lon) * 102_000.0);
    assert!(
        (200.0..800.0).contains(&shift_m),
        "GCJ-02 shift {shift_m} m"
    );
    // Another worker's grid is not there for this worker.
    assert!(matches!(
        t.store.grid_map(WORKER, G2, CoordSystem::Wgs84),
        Err(CoreError::NotFound { .. })
    ));
}

#[test]
fn the_dispatch_picker_offers_only_people_whose_work_reaches_the_case() {
    let t = township();
    let visit = gas_leak_visit(&t);
    let case = t
        .store
        .report_case(WORKER, &visit.drafts[0], &[], None)
        .unwrap()
        .case;
    let ids = |who: &str| {
        t.store
            .handler_choices(who, &case.id)
            .unwrap()
            .into_iter()
            .map(|u| u.id)
            .collect::<Vec<_>>()
    };
    let offered = ids(SECRETARY);
    assert_eq!(
        offered.first().map(String::as_str),
        Some(WORKER),
        "the grid's worker first: {offered:?}"
    );
    assert!(offered.contains(&SECRETARY.to_string()));
    assert!(offered.contains(&TOWNSHIP.to_string()));
    assert!(
        !offered.contains(&WORKER2.to_string()),
        "another grid's worker: {offered:?}"
    );
    assert!(!offered.contains(&ADMIN.to_string()));
    // A person who cannot see the case gets no list of names either.
    assert!(matches!(
        t.store.handler_choices(WORKER2, &case.id),
        Err(CoreError::NotFound { .. })
    ));
}
