//! Unfinished visits survive the app being killed (the camera app often
//! gets it killed on a cheap phone): the answers so far are kept in the
//! store, Today lists them, and recording the visit or starting over
//! removes them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::*;
use gridwork_core::checklist::AnswerValue;
use gridwork_core::household::PlaceKind;
use gridwork_core::store::{Store, VisitInput};
use gridwork_core::CoreError;

fn half_done(t: &Township, household: &str) -> VisitInput {
    let template = t.store.checklist_for_kind(PlaceKind::Household).unwrap();
    let mut answers = safe_household_answers();
    answers.truncate(2);
    VisitInput {
        household_code: household.into(),
        patrol_id: None,
        template_id: template.id.clone(),
        template_version: template.version,
        answers,
        notes: "厨房有异味，待拍照".into(),
        fix: Some(fix_at(22.5016, 113.9016)),
        photos: vec![photo(
            t.dir.path(),
            "stove.jpg",
            Some("ws.gas_cylinder_photo"),
        )],
    }
}

#[test]
fn a_draft_survives_closing_the_store_and_today_lists_it() {
    let t = township();
    let draft = half_done(&t, "H001");
    let outbox_before = t.store.outbox_len().unwrap();
    t.store.save_visit_draft(WORKER, &draft).unwrap();
    // The app is killed: the store is closed and opened again.
    let Township { store, clock, dir } = t;
    drop(store);
    let store = Store::open_with_clock(dir.path().join("gridwork.db"), Arc::new(clock)).unwrap();
    assert_eq!(
        store.visit_draft(WORKER, "H001").unwrap(),
        Some(draft.clone())
    );
    let day = chrono::NaiveDate::from_ymd_opt(2026, 5, 11).unwrap();
    let today = store.today(WORKER, day).unwrap();
    assert_eq!(today.unfinished_visits.len(), 1);
    let u = &today.unfinished_visits[0];
    assert_eq!(
        (u.household_code.as_str(), u.grid_code.as_str()),
        ("H001", G1)
    );
    assert_eq!((u.answered, u.photos), (2, 1));
    assert!(!u.household_name.is_empty());
    // Nothing of a draft is sent to the server.
    assert_eq!(store.outbox_len().unwrap(), outbox_before);
    // Another worker has no draft here.
    assert_eq!(store.visit_draft(WORKER2, "H001").unwrap(), None);
}

#[test]
fn saving_again_replaces_the_draft_and_recording_the_visit_removes_it() {
    let t = township();
    let mut draft = half_done(&t, "H001");
    t.store.save_visit_draft(WORKER, &draft).unwrap();
    draft.answers = safe_household_answers();
    t.store.save_visit_draft(WORKER, &draft).unwrap();
    assert_eq!(
        t.store
            .visit_draft(WORKER, "H001")
            .unwrap()
            .unwrap()
            .answers
            .len(),
        4
    );
    assert_eq!(t.store.unfinished_visits(WORKER).unwrap().len(), 1);

    // A refused visit (a required answer missing) keeps the draft.
    let mut incomplete = draft.clone();
    incomplete.answers.truncate(1);
    assert!(t.store.record_visit(WORKER, &incomplete).is_err());
    assert!(t.store.visit_draft(WORKER, "H001").unwrap().is_some());

    t.store.record_visit(WORKER, &draft).unwrap();
    assert_eq!(t.store.visit_draft(WORKER, "H001").unwrap(), None);
    assert!(t.store.unfinished_visits(WORKER).unwrap().is_empty());
}

#[test]
fn a_photo_the_camera_never_wrote_is_left_out() {
    let t = township();
    let mut draft = half_done(&t, "H001");
    // Put in the draft before the camera opened; the camera was cancelled
    // (no file) or died mid-write (an empty one).
    let mut never = draft.photos[0].clone();
    never.path = t.dir.path().join("never.jpg").display().to_string();
    let mut empty = draft.photos[0].clone();
    empty.path = t.dir.path().join("empty.jpg").display().to_string();
    std::fs::write(&empty.path, b"").unwrap();
    draft.photos.push(never);
    draft.photos.push(empty);
    t.store.save_visit_draft(WORKER, &draft).unwrap();
    let back = t.store.visit_draft(WORKER, "H001").unwrap().unwrap();
    assert_eq!(back.photos, vec![draft.photos[0].clone()]);
    assert_eq!(t.store.unfinished_visits(WORKER).unwrap()[0].photos, 1);
}

#[test]
fn discarding_starts_over_and_forgetting_the_phone_wipes_drafts() {
    let t = township();
    t.store
        .save_visit_draft(WORKER, &half_done(&t, "H001"))
        .unwrap();
    t.store
        .save_visit_draft(WORKER, &half_done(&t, "H002"))
        .unwrap();
    t.store.discard_visit_draft(WORKER, "H001").unwrap();
    // A visit opened and left with nothing in it is no unfinished visit.
    let mut empty = half_done(&t, "H003");
    t.store.save_visit_draft(WORKER, &empty).unwrap();
    empty.answers.clear();
    empty.photos.clear();
    empty.notes = "  ".into();
    t.store.save_visit_draft(WORKER, &empty).unwrap();
    let left: Vec<String> = t
        .store
        .unfinished_visits(WORKER)
        .unwrap()
        .into_iter()
        .map(|u| u.household_code)
        .collect();
    assert_eq!(left, vec!["H002".to_string()]);
    t.store.wipe().unwrap();
    assert_eq!(t.store.visit_draft(WORKER, "H002").unwrap(), None);
}

#[test]
fn only_a_worker_in_reach_keeps_a_draft_and_oversize_input_changes_nothing() {
    let t = township();
    let draft = half_done(&t, "H001");
    t.store.save_visit_draft(WORKER, &draft).unwrap();

    let err = t.store.save_visit_draft(SECRETARY, &draft).unwrap_err();
    assert!(matches!(err, CoreError::NotPermitted { .. }), "{err}");
    // Another grid's household is answered as one that does not exist.
    let other = half_done(&t, "H101");
    let err = t.store.save_visit_draft(WORKER, &other).unwrap_err();
    assert!(matches!(err, CoreError::NotFound { .. }), "{err}");

    let mut huge = draft.clone();
    huge.notes = "长".repeat(5_000);
    huge.answers[0].value = AnswerValue::YesNo(true);
    let err = t.store.save_visit_draft(WORKER, &huge).unwrap_err();
    assert!(
        matches!(&err, CoreError::Invalid { field, .. } if field == "notes"),
        "{err}"
    );
    assert_eq!(t.store.visit_draft(WORKER, "H001").unwrap(), Some(draft));
}

/// A draft begun on a checklist version that has since been replaced is no
/// unfinished visit any more: its answers would be refused.
#[test]
fn a_draft_on_a_replaced_checklist_is_no_longer_offered() {
    let t = township();
    t.store
        .save_visit_draft(WORKER, &half_done(&t, "H001"))
        .unwrap();
    let mut newer = t.store.checklist_for_kind(PlaceKind::Household).unwrap();
    newer.version += 1;
    assert!(t.store.store_template(&newer).unwrap());
    assert_eq!(
        t.store.checklist_for(WORKER, "H001").unwrap().version,
        newer.version
    );
    assert_eq!(t.store.visit_draft(WORKER, "H001").unwrap(), None);
    assert!(t.store.unfinished_visits(WORKER).unwrap().is_empty());
}
