//! Escalation as a pure function of the case, the deadline policy and the
//! clock. The server runs it on a schedule and records what it returns; the
//! phone runs it to show the same countdown offline.
//!
//! Thresholds (see docs/adr/0003-case-deadlines-and-escalation.md):
//! - level 1 (township): a critical case on report; not filed by the
//!   acceptance limit; not resolved by the deadline;
//! - level 2 (city): a critical case not filed within its acceptance limit;
//!   any level-1 threshold plus `level2_after_hours` with the case still open.
//!
//! The clock stops while a case is resolved, confirmed or closed.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::case::{Case, CaseState, DeadlinePolicy, EscalationReason};
use crate::priority::Severity;

/// The top level: the city.
pub const MAX_LEVEL: u8 = 2;

/// One escalation that is due now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DueEscalation {
    #[cfg_attr(feature = "openapi", schema(maximum = 255))]
    pub level: u8,
    pub reason: EscalationReason,
    /// When the threshold was crossed.
    pub since: DateTime<Utc>,
}

/// The assessment of one case at one instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Assessment {
    /// The level the case should be at now (never below what was recorded).
    #[cfg_attr(feature = "openapi", schema(maximum = 255))]
    pub level: u8,
    /// Escalations to record now, lowest level first. Empty when the
    /// recorded level already covers every crossed threshold.
    pub due: Vec<DueEscalation>,
    /// The next threshold still ahead, for countdowns and scheduling.
    pub next_threshold: Option<DateTime<Utc>>,
}

/// `at` plus the level-2 wait, saturating at the end of time (a test clock
/// may be anywhere).
fn later(at: DateTime<Utc>, policy: &DeadlinePolicy) -> DateTime<Utc> {
    at.checked_add_signed(policy.level2_after())
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// All thresholds of a case, (level, reason, when), earliest first per level.
fn thresholds(case: &Case, policy: &DeadlinePolicy) -> Vec<(u8, EscalationReason, DateTime<Utc>)> {
    let mut t = Vec::new();
    let critical = case.severity == Severity::Critical;
    if critical && policy.critical_escalates_on_report {
        t.push((1, EscalationReason::Critical, case.reported_at));
    }
    // Acceptance: only matters while not filed. A case filed late was still
    // overdue at the limit, but once filed the engine no longer raises it.
    if case.filed_at.is_none() && case.state == CaseState::Reported {
        t.push((1, EscalationReason::AcceptanceOverdue, case.accept_deadline));
        let level2 = if critical {
            case.accept_deadline
        } else {
            later(case.accept_deadline, policy)
        };
        t.push((2, EscalationReason::AcceptanceOverdue, level2));
    }
    t.push((1, EscalationReason::ResolutionOverdue, case.deadline));
    t.push((
        2,
        EscalationReason::ResolutionOverdue,
        later(case.deadline, policy),
    ));
    t.sort_by_key(|(level, _, at)| (*level, *at));
    t
}

/// Which escalations are due for `case` at `now`.
pub fn assess(case: &Case, policy: &DeadlinePolicy, now: DateTime<Utc>) -> Assessment {
    let recorded = case.escalation_level;
    if !case.state.is_open() {
        return Assessment {
            level: recorded,
            due: Vec::new(),
            next_threshold: None,
        };
    }
    let all = thresholds(case, policy);
    let mut due: Vec<DueEscalation> = Vec::new();
    for level in (recorded + 1)..=MAX_LEVEL {
        if let Some((_, reason, since)) = all.iter().find(|(l, _, at)| *l == level && *at <= now) {
            due.push(DueEscalation {
                level,
                reason: *reason,
                since: *since,
            });
        }
    }
    // A level-2 crossing implies level 1 was crossed too (e.g. a critical
    // case, or an engine that was down for days): record both, in order.
    if let Some(top) = due.iter().map(|d| d.level).max() {
        for level in (recorded + 1)..top {
            if !due.iter().any(|d| d.level == level) {
                let reason = due
                    .iter()
                    .find(|d| d.level == top)
                    .map_or(EscalationReason::ResolutionOverdue, |d| d.reason);
                due.push(DueEscalation {
                    level,
                    reason,
                    since: now,
                });
            }
        }
        due.sort_by_key(|d| d.level);
    }
    let level = due
        .iter()
        .map(|d| d.level)
        .max()
        .unwrap_or(recorded)
        .max(recorded);
    let next_threshold = all
        .iter()
        .filter(|(l, _, at)| *l > level && *at > now)
        .map(|(_, _, at)| *at)
        .min();
    Assessment {
        level,
        due,
        next_threshold,
    }
}

/// The earliest instant at which `assess` could return something for this
/// case: the first threshold above the recorded level, whether or not it
/// has passed. `None` when the case is closed to escalation (not open, or
/// at the top level). Stored with the case so the engine reads only cases
/// whose instant has come.
pub fn next_check(case: &Case, policy: &DeadlinePolicy) -> Option<DateTime<Utc>> {
    if !case.state.is_open() || case.escalation_level >= MAX_LEVEL {
        return None;
    }
    thresholds(case, policy)
        .into_iter()
        .filter(|(level, _, _)| *level > case.escalation_level)
        .map(|(_, _, at)| at)
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::action::{append, decide_report};
    use crate::case::{CaseDraft, Difficulty};
    use crate::priority::{Category, Priority};
    use crate::region::RegionPath;
    use crate::user::{Actor, Role};
    use chrono::{Duration, TimeZone};

    fn case(severity: Severity, reported_at: DateTime<Utc>) -> Case {
        let worker = Actor {
            user_id: "w1".into(),
            name: "张网格".into(),
            role: Role::GridWorker,
            jurisdiction: vec![],
            grids: vec!["G1".into()],
        };
        let path = RegionPath {
            city: "C".into(),
            township: "T".into(),
            village: "V".into(),
            grid: "G1".into(),
        };
        let draft = CaseDraft {
            category: Category {
                priority: Priority::WorkSafety,
                subcategory: "gas".into(),
            },
            severity,
            title: "液化气泄漏".into(),
            description: String::new(),
            household_code: None,
            grid_code: "G1".into(),
            source: None,
            evidence_ids: vec![],
        };
        let policy = DeadlinePolicy::default();
        let kind = decide_report(&draft, &path, &worker, reported_at, &policy).unwrap();
        append(
            None,
            None,
            "c1",
            "e1".into(),
            kind,
            Some(&worker),
            reported_at,
        )
        .unwrap()
        .0
    }

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 5, 1, 1, 0, 0).unwrap()
    }

    #[test]
    fn a_normal_case_escalates_once_per_threshold() {
        let policy = DeadlinePolicy::default();
        let mut c = case(Severity::Normal, t0());
        c.state = CaseState::InProgress;
        c.filed_at = Some(t0());
        assert!(assess(&c, &policy, t0() + Duration::days(2)).due.is_empty());
        let a = assess(&c, &policy, t0() + Duration::days(3) + Duration::minutes(1));
        assert_eq!(a.due.len(), 1);
        assert_eq!(a.due[0].level, 1);
        assert_eq!(a.due[0].reason, EscalationReason::ResolutionOverdue);
        assert_eq!(a.next_threshold, Some(t0() + Duration::days(4)));
        // Recorded: the same instant yields nothing more.
        c.escalation_level = 1;
        assert!(
            assess(&c, &policy, t0() + Duration::days(3) + Duration::minutes(1))
                .due
                .is_empty()
        );
        let a = assess(&c, &policy, t0() + Duration::days(4) + Duration::minutes(1));
        assert_eq!(a.due.iter().map(|d| d.level).collect::<Vec<_>>(), vec![2]);
    }

    #[test]
    fn a_critical_case_escalates_on_report_and_to_the_city_within_the_hour() {
        let policy = DeadlinePolicy::default();
        let c = case(Severity::Critical, t0());
        let a = assess(&c, &policy, t0());
        assert_eq!(a.due.len(), 1);
        assert_eq!(a.due[0].reason, EscalationReason::Critical);
        let a = assess(&c, &policy, t0() + Duration::minutes(61));
        assert_eq!(
            a.due.iter().map(|d| d.level).collect::<Vec<_>>(),
            vec![1, 2]
        );
        assert_eq!(a.level, 2);
    }

    #[test]
    fn the_clock_stops_once_resolved() {
        let policy = DeadlinePolicy::default();
        let mut c = case(Severity::Normal, t0());
        c.state = CaseState::Resolved;
        c.difficulty = Difficulty::Normal;
        assert!(assess(&c, &policy, t0() + Duration::days(30))
            .due
            .is_empty());
    }

    #[test]
    fn an_unfiled_case_escalates_for_acceptance() {
        let policy = DeadlinePolicy::default();
        let c = case(Severity::Normal, t0());
        let a = assess(&c, &policy, t0() + Duration::hours(25));
        assert_eq!(a.due[0].reason, EscalationReason::AcceptanceOverdue);
        assert_eq!(a.due[0].since, t0() + Duration::hours(24));
    }
}
