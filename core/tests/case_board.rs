//! The case board's filters: priority, state, level, overdue and region
//! narrow a person's cases, never widen them, and the total counts all
//! matches whatever the page.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use chrono::Duration;
use common::*;
use gridwork_core::case::{CaseDraft, CaseState};
use gridwork_core::priority::{Category, Priority, Severity};
use gridwork_core::store::{CaseFilter, CaseScope};

fn draft(grid: &str, household: &str, priority: Priority, sub: &str) -> CaseDraft {
    CaseDraft {
        category: Category {
            priority,
            subcategory: sub.into(),
        },
        severity: Severity::Normal,
        title: format!("{sub} 事件"),
        description: String::new(),
        household_code: Some(household.into()),
        grid_code: grid.into(),
        source: None,
        evidence_ids: vec![],
    }
}

#[test]
fn filters_narrow_the_board_and_the_total_counts_every_match() {
    let t = township();
    t.store
        .report_case(
            WORKER,
            &draft(G1, "H001", Priority::WorkSafety, "gas"),
            &[],
            None,
        )
        .unwrap();
    t.store
        .report_case(
            WORKER,
            &draft(G1, "H002", Priority::WorkSafety, "gas"),
            &[],
            None,
        )
        .unwrap();
    t.store
        .report_case(
            WORKER2,
            &draft(G2, "H101", Priority::Ecology, "其他"),
            &[],
            None,
        )
        .unwrap();
    let board = |user: &str, f: CaseFilter| t.store.case_board(user, &f, 0, 100).unwrap();

    let all = board(SECRETARY, CaseFilter::default());
    assert_eq!((all.total, all.rows.len()), (3, 3));
    let safety = board(
        SECRETARY,
        CaseFilter {
            priority: Some(Priority::WorkSafety),
            ..CaseFilter::default()
        },
    );
    assert_eq!(safety.total, 2);
    assert!(safety
        .rows
        .iter()
        .all(|r| r.priority == Priority::WorkSafety));
    let g2 = board(
        SECRETARY,
        CaseFilter {
            region: Some(G2.into()),
            ..CaseFilter::default()
        },
    );
    assert_eq!(g2.total, 1);
    assert_eq!(g2.rows[0].grid_code, G2);
    let reported = board(
        SECRETARY,
        CaseFilter {
            state: Some(CaseState::Reported),
            level: Some(0),
            ..CaseFilter::default()
        },
    );
    assert_eq!(reported.total, 3);
    assert_eq!(
        board(
            SECRETARY,
            CaseFilter {
                overdue: true,
                ..CaseFilter::default()
            }
        )
        .total,
        0,
        "nothing is late yet"
    );
    t.clock.advance(Duration::days(30));
    let late = board(
        SECRETARY,
        CaseFilter {
            overdue: true,
            ..CaseFilter::default()
        },
    );
    assert_eq!(late.total, 3);
    assert!(late
        .rows
        .iter()
        .all(|r| r.countdown_secs.is_some_and(|s| s < 0)));

    // A page is a page; the total is all of them.
    let page = t
        .store
        .case_board(SECRETARY, &CaseFilter::default(), 1, 1)
        .unwrap();
    assert_eq!((page.total, page.rows.len()), (3, 1));
    // A region outside the worker's reach narrows to nothing, never widens.
    let outside = board(
        WORKER,
        CaseFilter {
            scope: CaseScope::Jurisdiction,
            region: Some(G2.into()),
            ..CaseFilter::default()
        },
    );
    assert_eq!(outside.total, 0);
}

/// "Open only" means unfinished for the person looking: a case resolved by
/// the worker has left the worker's hands but waits for the secretary's
/// check, so her open list keeps it and his does not.
#[test]
fn a_resolved_case_stays_open_for_the_secretary_until_she_checks_it() {
    use gridwork_core::case::{CaseAction, Difficulty};
    let t = township();
    let id = t
        .store
        .report_case(
            WORKER,
            &draft(G1, "H001", Priority::WorkSafety, "gas"),
            &[],
            None,
        )
        .unwrap()
        .case
        .id;
    let act = |user: &str, a: CaseAction| t.store.act_on_case(user, &id, &a, &[]).unwrap();
    act(
        SECRETARY,
        CaseAction::File {
            difficulty: Difficulty::Normal,
            note: String::new(),
        },
    );
    act(
        SECRETARY,
        CaseAction::Dispatch {
            handler_id: WORKER.into(),
        },
    );
    act(WORKER, CaseAction::Accept);
    t.store
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
    let open = |user: &str, scope: CaseScope| -> Vec<String> {
        t.store
            .cases(user, scope, true, 0, 50)
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect()
    };
    assert_eq!(
        open(SECRETARY, CaseScope::Jurisdiction),
        vec![id.clone()],
        "waiting for her check"
    );
    assert!(
        open(WORKER, CaseScope::Mine).is_empty(),
        "out of the worker's hands"
    );
    // Overdue still means the handling clock: a resolved case is never overdue.
    let overdue = CaseFilter {
        overdue: true,
        ..CaseFilter::default()
    };
    t.clock.advance(Duration::days(30));
    assert_eq!(
        t.store
            .case_board(SECRETARY, &overdue, 0, 50)
            .unwrap()
            .total,
        0
    );
    // Confirmed: finished for everyone.
    act(
        SECRETARY,
        CaseAction::Confirm {
            note: String::new(),
        },
    );
    assert!(open(SECRETARY, CaseScope::Jurisdiction).is_empty());
    assert_eq!(
        t.store.case(SECRETARY, &id).unwrap().state,
        CaseState::Confirmed
    );
}
