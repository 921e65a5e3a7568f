//! Deadline policy: category × severity × difficulty → time limits.
//! Defaults follow the brief: on the spot same day, normal 3 days, hard 7
//! days, at most 15 days with approved extensions, critical cases accepted
//! within 1 hour. See docs/adr/0003-case-deadlines-and-escalation.md.

use chrono::{DateTime, Duration, FixedOffset, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::Difficulty;
use crate::error::{CoreError, Result};
use crate::priority::{Category, Priority, Severity};

/// The longest any policy interval may be: a century. Anything longer is a
/// typo, and dates computed from it can leave the calendar's range (a panic
/// in date arithmetic, on the server and on every phone the policy
/// reaches). The schemas below state it as a maximum (36500 days,
/// 876000 hours, 52560000 minutes).
pub const MAX_POLICY_DAYS: u32 = 36_500;

/// Resolution limits for one severity.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ResolveDays {
    #[cfg_attr(feature = "openapi", schema(maximum = 36500))]
    pub normal: u32,
    #[cfg_attr(feature = "openapi", schema(maximum = 36500))]
    pub hard: u32,
}

/// An override for a priority (optionally one subcategory).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeadlineOverride {
    pub priority: Priority,
    #[serde(default)]
    pub subcategory: Option<String>,
    pub severity: Severity,
    pub resolve: ResolveDays,
}

/// The whole policy. Administrators may change it; cases keep the deadline
/// they were given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeadlinePolicy {
    /// Local time zone for "same day" (China: +08:00).
    pub utc_offset_minutes: i32,
    #[cfg_attr(feature = "openapi", schema(maximum = 52_560_000))]
    pub accept_minutes_normal: u32,
    #[cfg_attr(feature = "openapi", schema(maximum = 52_560_000))]
    pub accept_minutes_urgent: u32,
    #[cfg_attr(feature = "openapi", schema(maximum = 52_560_000))]
    pub accept_minutes_critical: u32,
    pub resolve_normal: ResolveDays,
    pub resolve_urgent: ResolveDays,
    pub resolve_critical: ResolveDays,
    /// Ceiling on the whole time from report to deadline, extensions included.
    #[cfg_attr(feature = "openapi", schema(maximum = 36500))]
    pub max_total_days: u32,
    /// How long after a level-1 threshold the case goes to level 2.
    #[cfg_attr(feature = "openapi", schema(maximum = 876_000))]
    pub level2_after_hours: u32,
    /// Critical cases go to the township the moment they are reported.
    pub critical_escalates_on_report: bool,
    #[serde(default)]
    pub overrides: Vec<DeadlineOverride>,
}

impl Default for DeadlinePolicy {
    fn default() -> Self {
        DeadlinePolicy {
            utc_offset_minutes: 8 * 60,
            accept_minutes_normal: 24 * 60,
            accept_minutes_urgent: 4 * 60,
            accept_minutes_critical: 60,
            resolve_normal: ResolveDays { normal: 3, hard: 7 },
            resolve_urgent: ResolveDays { normal: 1, hard: 3 },
            resolve_critical: ResolveDays { normal: 1, hard: 3 },
            max_total_days: 15,
            level2_after_hours: 24,
            critical_escalates_on_report: true,
            overrides: Vec::new(),
        }
    }
}

impl DeadlinePolicy {
    /// The maxima the OpenAPI document states, each field named. Checked
    /// before everything else in [`validate`](Self::validate), and by the
    /// server on a pushed policy before any of the batch is applied (a
    /// value the document forbids refuses the request, like a wrong type).
    pub fn check_bounds(&self) -> Result<()> {
        let too_long = |field: &str| {
            CoreError::invalid(
                field,
                format!("不能超过{MAX_POLICY_DAYS}天 / may be at most {MAX_POLICY_DAYS} days"),
            )
        };
        if self.max_total_days > MAX_POLICY_DAYS {
            return Err(too_long("max_total_days"));
        }
        if self.level2_after_hours > MAX_POLICY_DAYS * 24 {
            return Err(too_long("level2_after_hours"));
        }
        for (field, m) in [
            ("accept_minutes_normal", self.accept_minutes_normal),
            ("accept_minutes_urgent", self.accept_minutes_urgent),
            ("accept_minutes_critical", self.accept_minutes_critical),
        ] {
            if m > MAX_POLICY_DAYS * 24 * 60 {
                return Err(too_long(field));
            }
        }
        for (field, r) in self.resolve_rows() {
            if r.normal > MAX_POLICY_DAYS {
                return Err(too_long(&format!("{field}.normal")));
            }
            if r.hard > MAX_POLICY_DAYS {
                return Err(too_long(&format!("{field}.hard")));
            }
        }
        Ok(())
    }

    /// Every resolution limit with the field that holds it.
    fn resolve_rows(&self) -> Vec<(String, ResolveDays)> {
        let mut rows = vec![
            ("resolve_normal".to_string(), self.resolve_normal),
            ("resolve_urgent".to_string(), self.resolve_urgent),
            ("resolve_critical".to_string(), self.resolve_critical),
        ];
        rows.extend(
            self.overrides
                .iter()
                .enumerate()
                .map(|(i, o)| (format!("overrides[{i}].resolve"), o.resolve)),
        );
        rows
    }

    pub fn validate(&self) -> Result<()> {
        self.check_bounds()?;
        for (field, r) in self.resolve_rows() {
            if r.normal == 0 || r.hard < r.normal {
                return Err(CoreError::invalid(
                    &field,
                    "办理时限须至少1天且疑难不短于一般 / limits must be ≥ 1 day and hard ≥ normal",
                ));
            }
            if r.hard > self.max_total_days {
                return Err(CoreError::invalid(
                    field,
                    format!(
                        "时限不能超过{}天 / limit exceeds the {}-day ceiling",
                        self.max_total_days, self.max_total_days
                    ),
                ));
            }
        }
        if self.accept_minutes_critical == 0
            || self.accept_minutes_urgent == 0
            || self.accept_minutes_normal == 0
        {
            return Err(CoreError::invalid(
                "accept_minutes",
                "受理时限须大于0 / acceptance limits must be positive",
            ));
        }
        if !(-14 * 60..=14 * 60).contains(&self.utc_offset_minutes) {
            return Err(CoreError::invalid(
                "utc_offset_minutes",
                "时区偏移超出范围 / offset outside ±14 h",
            ));
        }
        Ok(())
    }

    pub fn accept_within(&self, severity: Severity) -> Duration {
        let m = match severity {
            Severity::Normal => self.accept_minutes_normal,
            Severity::Urgent => self.accept_minutes_urgent,
            Severity::Critical => self.accept_minutes_critical,
        };
        Duration::minutes(i64::from(m))
    }

    fn resolve_days(&self, category: &Category, severity: Severity) -> ResolveDays {
        let specific = self.overrides.iter().find(|o| {
            o.priority == category.priority
                && o.severity == severity
                && o.subcategory.as_deref() == Some(category.subcategory.as_str())
        });
        let general = || {
            self.overrides.iter().find(|o| {
                o.priority == category.priority && o.severity == severity && o.subcategory.is_none()
            })
        };
        if let Some(o) = specific.or_else(general) {
            return o.resolve;
        }
        match severity {
            Severity::Normal => self.resolve_normal,
            Severity::Urgent => self.resolve_urgent,
            Severity::Critical => self.resolve_critical,
        }
    }

    /// The resolution deadline for a case reported at `reported_at`.
    pub fn resolve_deadline(
        &self,
        category: &Category,
        severity: Severity,
        difficulty: Difficulty,
        reported_at: DateTime<Utc>,
    ) -> DateTime<Utc> {
        let days = self.resolve_days(category, severity);
        match difficulty {
            Difficulty::OnSpot => self.end_of_local_day(reported_at),
            Difficulty::Normal => reported_at + Duration::days(i64::from(days.normal)),
            Difficulty::Hard => reported_at + Duration::days(i64::from(days.hard)),
        }
    }

    /// 23:59:59 local time on the day of `t`.
    pub fn end_of_local_day(&self, t: DateTime<Utc>) -> DateTime<Utc> {
        let Some(offset) = FixedOffset::east_opt(self.utc_offset_minutes * 60) else {
            return t + Duration::days(1);
        };
        let local = t.with_timezone(&offset);
        let end =
            local.date_naive().and_time(NaiveTime::MIN) + Duration::days(1) - Duration::seconds(1);
        offset
            .from_local_datetime(&end)
            .single()
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or(t + Duration::days(1))
    }

    /// The latest deadline extensions may reach.
    pub fn max_deadline(&self, reported_at: DateTime<Utc>) -> DateTime<Utc> {
        reported_at + Duration::days(i64::from(self.max_total_days))
    }

    pub fn level2_after(&self) -> Duration {
        Duration::hours(i64::from(self.level2_after_hours))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(p: Priority) -> Category {
        Category {
            priority: p,
            subcategory: "x".into(),
        }
    }

    #[test]
    fn defaults_follow_the_brief() {
        let p = DeadlinePolicy::default();
        p.validate().unwrap();
        let t = Utc.with_ymd_and_hms(2026, 5, 1, 2, 0, 0).unwrap(); // 10:00 in China
        let c = cat(Priority::Ecology);
        assert_eq!(
            p.resolve_deadline(&c, Severity::Normal, Difficulty::Normal, t),
            t + Duration::days(3)
        );
        assert_eq!(
            p.resolve_deadline(&c, Severity::Normal, Difficulty::Hard, t),
            t + Duration::days(7)
        );
        // Same day in Beijing time ends at 15:59:59 UTC.
        assert_eq!(
            p.resolve_deadline(&c, Severity::Normal, Difficulty::OnSpot, t),
            Utc.with_ymd_and_hms(2026, 5, 1, 15, 59, 59).unwrap()
        );
        assert_eq!(p.accept_within(Severity::Critical), Duration::hours(1));
        assert_eq!(p.max_deadline(t), t + Duration::days(15));
    }

    #[test]
    fn overrides_win_most_specific_first() {
        let mut p = DeadlinePolicy::default();
        p.overrides.push(DeadlineOverride {
            priority: Priority::WorkSafety,
            subcategory: None,
            severity: Severity::Normal,
            resolve: ResolveDays { normal: 2, hard: 5 },
        });
        p.overrides.push(DeadlineOverride {
            priority: Priority::WorkSafety,
            subcategory: Some("x".into()),
            severity: Severity::Normal,
            resolve: ResolveDays { normal: 1, hard: 2 },
        });
        p.validate().unwrap();
        let t = Utc.with_ymd_and_hms(2026, 5, 1, 2, 0, 0).unwrap();
        assert_eq!(
            p.resolve_deadline(
                &cat(Priority::WorkSafety),
                Severity::Normal,
                Difficulty::Normal,
                t
            ),
            t + Duration::days(1)
        );
        let other = Category {
            priority: Priority::WorkSafety,
            subcategory: "y".into(),
        };
        assert_eq!(
            p.resolve_deadline(&other, Severity::Normal, Difficulty::Hard, t),
            t + Duration::days(5)
        );
    }

    #[test]
    fn bad_policies_are_refused_with_the_field() {
        let p = DeadlinePolicy {
            resolve_urgent: ResolveDays { normal: 5, hard: 2 },
            ..DeadlinePolicy::default()
        };
        let e = p.validate().unwrap_err().to_string();
        assert!(e.contains("resolve_urgent"), "{e}");
        let mut p = DeadlinePolicy::default();
        p.resolve_normal.hard = 20;
        assert!(p.validate().unwrap_err().to_string().contains("15"));
    }
}
