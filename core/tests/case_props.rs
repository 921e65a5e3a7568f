//! Property tests over random sequences of case actions by random people:
//! no sequence reaches an illegal state, every refusal is explained, the
//! hash chain always verifies, and tampering with any event is detected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use chrono::{DateTime, Duration, TimeZone, Utc};
use gridwork_core::case::action::{append, decide, decide_report, DecideContext};
use gridwork_core::case::history::{replay, verify_chain};
use gridwork_core::case::{
    Case, CaseAction, CaseDraft, CaseEvent, CaseState, DeadlinePolicy, Difficulty, EventKind,
};
use gridwork_core::priority::{Category, Priority, Severity};
use gridwork_core::region::RegionPath;
use gridwork_core::user::{Actor, Role};
use proptest::prelude::*;

fn actors() -> Vec<Actor> {
    let a = |id: &str, role: Role, jurisdiction: &[&str], grids: &[&str]| Actor {
        user_id: id.into(),
        name: id.into(),
        role,
        jurisdiction: jurisdiction.iter().map(|s| s.to_string()).collect(),
        grids: grids.iter().map(|s| s.to_string()).collect(),
    };
    vec![
        a("worker", Role::GridWorker, &[], &["G1"]),
        a("worker2", Role::GridWorker, &[], &["G2"]),
        a("secretary", Role::VillageSecretary, &["V1"], &[]),
        a("other_secretary", Role::VillageSecretary, &["V9"], &[]),
        a("township", Role::TownshipSupervisor, &["T1"], &[]),
        a("city", Role::CitySupervisor, &["C1"], &[]),
        a("admin", Role::Administrator, &[], &[]),
    ]
}

fn path() -> RegionPath {
    RegionPath {
        city: "C1".into(),
        township: "T1".into(),
        village: "V1".into(),
        grid: "G1".into(),
    }
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 5, 11, 1, 0, 0).unwrap()
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("  ".to_string()),
        Just("现场已处理".to_string())
    ]
}

fn evidence() -> impl Strategy<Value = Vec<String>> {
    prop_oneof![Just(vec![]), Just(vec!["photo-1".to_string()])]
}

fn handler() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("worker".to_string()),
        Just("worker2".to_string()),
        Just("secretary".to_string()),
        Just("township".to_string()),
        Just("admin".to_string()),
        Just("nobody".to_string())
    ]
}

fn action() -> impl Strategy<Value = CaseAction> {
    prop_oneof![
        (
            prop_oneof![
                Just(Difficulty::Normal),
                Just(Difficulty::Hard),
                Just(Difficulty::OnSpot)
            ],
            text()
        )
            .prop_map(|(difficulty, note)| CaseAction::File { difficulty, note }),
        text().prop_map(|reason| CaseAction::Dismiss { reason }),
        handler().prop_map(|handler_id| CaseAction::Dispatch { handler_id }),
        Just(CaseAction::Accept),
        (text(), evidence())
            .prop_map(|(note, evidence_ids)| CaseAction::Resolve { note, evidence_ids }),
        (text(), evidence())
            .prop_map(|(note, evidence_ids)| CaseAction::ResolveOnSpot { note, evidence_ids }),
        text().prop_map(|note| CaseAction::Confirm { note }),
        text().prop_map(|reason| CaseAction::SendBack { reason }),
        text().prop_map(|note| CaseAction::Close { note }),
        (handler(), text())
            .prop_map(|(handler_id, reason)| CaseAction::Reassign { handler_id, reason }),
        (0u32..20, text()).prop_map(|(days, reason)| CaseAction::RequestExtension { days, reason }),
        (0u32..20).prop_map(|days| CaseAction::ApproveExtension { days }),
        text().prop_map(|reason| CaseAction::RejectExtension { reason }),
        text().prop_map(|reason| CaseAction::Escalate { reason }),
        text().prop_map(|message| CaseAction::Urge { message }),
        text().prop_map(|reason| CaseAction::TakeOver { reason }),
    ]
}

fn severity() -> impl Strategy<Value = Severity> {
    prop_oneof![
        Just(Severity::Normal),
        Just(Severity::Urgent),
        Just(Severity::Critical)
    ]
}

/// Report a case and play the steps; returns the events and final case.
fn play(severity: Severity, steps: &[(usize, CaseAction, i64)]) -> (Case, Vec<CaseEvent>) {
    let people = actors();
    let policy = DeadlinePolicy::default();
    let draft = CaseDraft {
        category: Category {
            priority: Priority::WorkSafety,
            subcategory: "gas_cylinder".into(),
        },
        severity,
        title: "软管老化".into(),
        description: String::new(),
        household_code: None,
        grid_code: "G1".into(),
        source: None,
        evidence_ids: vec![],
    };
    let mut now = t0();
    let kind = decide_report(&draft, &path(), &people[0], now, &policy).unwrap();
    let (mut case, first) = append(
        None,
        None,
        "case-1",
        "e0".into(),
        kind,
        Some(&people[0]),
        now,
    )
    .unwrap();
    let mut events = vec![first];
    for (i, (who, action, minutes)) in steps.iter().enumerate() {
        now += Duration::minutes(*minutes);
        let actor = &people[*who % people.len()];
        let handler_id = match action {
            CaseAction::Dispatch { handler_id } | CaseAction::Reassign { handler_id, .. } => {
                Some(handler_id.clone())
            }
            _ => None,
        };
        let new_handler = handler_id.and_then(|h| people.iter().find(|p| p.user_id == h));
        let ctx = DecideContext {
            now,
            policy: &policy,
            new_handler,
        };
        let before = case.clone();
        match decide(&case, action, actor, &ctx) {
            Ok(kind) => {
                let (next, event) = append(
                    Some(&case),
                    events.last(),
                    "case-1",
                    format!("e{}", i + 1),
                    kind,
                    Some(actor),
                    now,
                )
                .unwrap();
                case = next;
                events.push(event);
            }
            Err(refusal) => {
                // Explained: a code and words in both languages.
                assert!(!refusal.code().is_empty());
                let words = refusal.to_string();
                assert!(
                    words.contains(" / "),
                    "refusal lacks an explanation: {words}"
                );
                assert_eq!(case, before, "a refusal changed nothing");
            }
        }
        check_invariants(&case, &policy);
    }
    (case, events)
}

fn check_invariants(case: &Case, policy: &DeadlinePolicy) {
    use CaseState::*;
    match case.state {
        Dispatched | InProgress => assert!(case.handler_id.is_some(), "{case:?}"),
        Resolved => assert!(
            case.resolved_at.is_some() && !case.evidence_ids.is_empty(),
            "{case:?}"
        ),
        Confirmed => assert!(case.confirmed_at.is_some() && case.resolved_at.is_some()),
        Closed => assert!(
            case.closed_at.is_some() && (case.confirmed_at.is_some() || case.dismissed.is_some())
        ),
        Reported | Filed => {}
    }
    if case.state != Reported {
        assert!(
            case.filed_at.is_some() || case.dismissed.is_some() || case.on_spot,
            "{case:?}"
        );
    }
    assert!(case.escalation_level <= 2);
    assert!(
        case.deadline <= policy.max_deadline(case.reported_at),
        "deadline beyond 15 days: {case:?}"
    );
    if let Some(h) = &case.handler_id {
        assert_ne!(h, "admin");
        assert_ne!(h, "nobody");
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_sequences_stay_legal_and_verifiable(
        severity in severity(),
        steps in proptest::collection::vec((0usize..7, action(), 0i64..3000), 0..40)
    ) {
        let (case, events) = play(severity, &steps);
        prop_assert_eq!(verify_chain(&events), None);
        prop_assert_eq!(replay(&events).unwrap(), case.clone());
        if case.state == CaseState::Closed {
            // Closed is final: nobody can do anything more.
            for who in actors() {
                prop_assert!(gridwork_core::case::allowed_actions(&case, &who).is_empty());
            }
        }
    }

    #[test]
    fn tampering_with_any_event_is_detected(
        severity in severity(),
        steps in proptest::collection::vec((0usize..7, action(), 0i64..3000), 1..30),
        pick in any::<prop::sample::Index>(),
        how in 0u8..5,
    ) {
        let (_, mut events) = play(severity, &steps);
        let i = pick.index(events.len());
        let seq = events[i].seq;
        let e = &mut events[i];
        match how {
            0 => e.actor_name.push('x'),
            1 => e.at += Duration::seconds(1),
            2 => e.kind = EventKind::Urged { message: "伪造".into() },
            3 => e.prev_hash = "f".repeat(64),
            _ => e.seq += 1,
        }
        let broken = verify_chain(&events);
        prop_assert!(broken.is_some(), "tampering with event {} went unnoticed", seq);
        prop_assert!(broken.unwrap().seq <= seq + 1);
    }

    #[test]
    fn removing_or_reordering_events_is_detected(
        steps in proptest::collection::vec((0usize..7, action(), 0i64..3000), 2..30),
        pick in any::<prop::sample::Index>(),
    ) {
        let (_, events) = play(Severity::Normal, &steps);
        prop_assume!(events.len() >= 2);
        let i = pick.index(events.len() - 1);
        let mut dropped = events.clone();
        dropped.remove(i);
        prop_assert!(verify_chain(&dropped).is_some());
        let mut swapped = events.clone();
        swapped.swap(i, i + 1);
        prop_assert!(verify_chain(&swapped).is_some());
    }
}

#[test]
fn a_full_happy_path_is_reachable() {
    // Guards the property tests against a table that refuses everything.
    let steps = vec![
        (
            2,
            CaseAction::File {
                difficulty: Difficulty::Normal,
                note: String::new(),
            },
            5,
        ),
        (
            2,
            CaseAction::Dispatch {
                handler_id: "worker".into(),
            },
            5,
        ),
        (0, CaseAction::Accept, 5),
        (
            0,
            CaseAction::Resolve {
                note: "ok".into(),
                evidence_ids: vec!["p".into()],
            },
            5,
        ),
        (
            2,
            CaseAction::Confirm {
                note: String::new(),
            },
            5,
        ),
        (
            2,
            CaseAction::Close {
                note: String::new(),
            },
            5,
        ),
    ];
    let (case, events) = play(Severity::Normal, &steps);
    assert_eq!(case.state, CaseState::Closed);
    assert_eq!(events.len(), 7);
}
