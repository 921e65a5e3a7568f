//! The audit trail: every reveal of a whole number with its reason and
//! every case event, newest first, for administrators only; filters by
//! person, reveals only, and pages by time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::Duration;
use common::*;
use gridwork_core::case::{CaseAction, CaseDraft};
use gridwork_core::pii::PiiField;
use gridwork_core::priority::{Category, Priority, Severity};
use gridwork_core::store::AuditFilter;
use gridwork_core::CoreError;

#[test]
fn reveals_and_case_events_are_in_the_trail_for_administrators_only() {
    let t = township();
    let draft = CaseDraft {
        category: Category {
            priority: Priority::WorkSafety,
            subcategory: "gas".into(),
        },
        severity: Severity::Normal,
        title: "楼道堆物".into(),
        description: String::new(),
        household_code: Some("H001".into()),
        grid_code: G1.into(),
        source: None,
        evidence_ids: vec![],
    };
    let case = t.store.report_case(WORKER, &draft, &[], None).unwrap().case;
    t.clock.advance(Duration::minutes(5));
    t.store
        .reveal_member_field(WORKER, "M001", PiiField::Phone, "回访核实")
        .unwrap();
    t.clock.advance(Duration::minutes(5));
    t.store
        .act_on_case(
            SECRETARY,
            &case.id,
            &CaseAction::Dismiss {
                reason: "重复上报".into(),
            },
            &[],
        )
        .unwrap();

    let trail = t
        .store
        .audit_trail(ADMIN, &AuditFilter::default(), 100)
        .unwrap();
    let kinds: Vec<_> = trail.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(
        kinds,
        vec!["case.dismissed", "reveal", "case.reported"],
        "newest first"
    );
    let reveal = &trail[1];
    assert_eq!(reveal.actor_id, WORKER);
    assert_eq!(reveal.target, "M001");
    assert!(
        reveal.summary.contains("手机号") && reveal.summary.contains("回访核实"),
        "{}",
        reveal.summary
    );

    let only = t
        .store
        .audit_trail(
            ADMIN,
            &AuditFilter {
                reveals_only: true,
                ..AuditFilter::default()
            },
            100,
        )
        .unwrap();
    assert_eq!(only.len(), 1);
    let hers = t
        .store
        .audit_trail(
            ADMIN,
            &AuditFilter {
                actor_id: Some(SECRETARY.into()),
                ..AuditFilter::default()
            },
            100,
        )
        .unwrap();
    assert_eq!(hers.len(), 1);
    assert_eq!(hers[0].kind, "case.dismissed");
    let older = t
        .store
        .audit_trail(
            ADMIN,
            &AuditFilter {
                before: Some(trail[0].at),
                ..AuditFilter::default()
            },
            100,
        )
        .unwrap();
    assert_eq!(older.len(), 2, "the next page starts below the first line");

    let refused = t
        .store
        .audit_trail(SECRETARY, &AuditFilter::default(), 100)
        .unwrap_err();
    assert!(
        matches!(refused, CoreError::NotPermitted { .. }),
        "{refused:?}"
    );
}
