//! Visits (走访) to households and places, and when one is due. "Due" is a
//! help for the worker's own planning, never a ranking or a quota.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use crate::case::deadline::MAX_POLICY_DAYS;
use crate::checklist::Answer;
use crate::error::{CoreError, Result};
use crate::geofence::GeofenceVerdict;
use crate::household::{PlaceKind, Tag};
use crate::location::LocationFix;

/// A recorded visit. Append-only: a visit is never edited, a new one is made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Visit {
    pub id: String,
    pub household_code: String,
    pub grid_code: String,
    pub worker_id: String,
    pub patrol_id: Option<String>,
    /// The template version the answers were given against.
    pub template_id: String,
    pub template_version: u32,
    pub answers: Vec<Answer>,
    pub notes: String,
    pub at: DateTime<Utc>,
    pub fix: Option<LocationFix>,
    pub verdict: Option<GeofenceVerdict>,
}

/// How often places should be visited. Shorter intervals for the tags that
/// need attention; the shortest applicable interval wins.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VisitPolicy {
    #[cfg_attr(feature = "openapi", schema(maximum = 36500))]
    pub default_days: u32,
    /// Non-household places (shops, workshops, mines…).
    #[cfg_attr(feature = "openapi", schema(maximum = 36500))]
    pub place_days: u32,
    /// `[tag, days]` pairs (serde writes a tuple as a two-element array).
    #[cfg_attr(feature = "openapi", schema(schema_with = per_tag_schema))]
    pub per_tag: Vec<(Tag, u32)>,
}

/// utoipa describes a tuple with `prefixItems` alone, which would also admit
/// `[]` and `["elderly_alone"]`; serde wants exactly two elements.
#[cfg(feature = "openapi")]
fn per_tag_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{AllOfBuilder, ArrayBuilder, ArrayItems, ObjectBuilder, Type};
    use utoipa::openapi::{KnownFormat, RefOr, Schema, SchemaFormat};
    use utoipa::PartialSchema;
    // Tag's own enum schema, inline (a derived schema is never a bare $ref).
    let tag: Schema = match Tag::schema() {
        RefOr::T(schema) => schema,
        RefOr::Ref(r) => AllOfBuilder::new().item(r).into(),
    };
    let days = ObjectBuilder::new()
        .schema_type(Type::Integer)
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int32)))
        .minimum(Some(0))
        .maximum(Some(MAX_POLICY_DAYS));
    let pair = ArrayBuilder::new()
        .prefix_items([tag, days.into()])
        .items(ArrayItems::False)
        .min_items(Some(2))
        .max_items(Some(2));
    ArrayBuilder::new()
        .items(pair)
        .description(Some("`[tag, days]` pairs"))
        .build()
}

impl Default for VisitPolicy {
    fn default() -> Self {
        VisitPolicy {
            default_days: 30,
            place_days: 30,
            per_tag: vec![
                (Tag::ElderlyAlone, 7),
                (Tag::KeyPerson, 7),
                (Tag::HazardousSite, 7),
                (Tag::LeftBehindChild, 14),
                (Tag::Disabled, 14),
                (Tag::Enterprise, 30),
            ],
        }
    }
}

impl VisitPolicy {
    /// The maxima the OpenAPI document states, each field named (see
    /// `DeadlinePolicy::check_bounds`).
    pub fn check_bounds(&self) -> Result<()> {
        let too_long = |field: &str| {
            CoreError::invalid(
                field,
                format!("走访间隔不能超过{MAX_POLICY_DAYS}天 / intervals are at most {MAX_POLICY_DAYS} days"),
            )
        };
        if self.default_days > MAX_POLICY_DAYS {
            return Err(too_long("default_days"));
        }
        if self.place_days > MAX_POLICY_DAYS {
            return Err(too_long("place_days"));
        }
        if let Some(i) = self.per_tag.iter().position(|(_, d)| *d > MAX_POLICY_DAYS) {
            return Err(too_long(&format!("per_tag[{i}]")));
        }
        Ok(())
    }

    pub fn validate(&self) -> Result<()> {
        self.check_bounds()?;
        if self.default_days == 0
            || self.place_days == 0
            || self.per_tag.iter().any(|(_, d)| *d == 0)
        {
            return Err(CoreError::invalid(
                "visit_policy",
                "走访间隔须至少1天 / intervals must be at least 1 day",
            ));
        }
        Ok(())
    }

    /// Days between visits for a place of this kind with these tags.
    pub fn interval_days(&self, kind: PlaceKind, tags: &[Tag]) -> u32 {
        let base = if kind == PlaceKind::Household {
            self.default_days
        } else {
            self.place_days
        };
        self.per_tag
            .iter()
            .filter(|(t, _)| tags.contains(t))
            .map(|(_, d)| *d)
            .fold(base, u32::min)
    }

    /// When the next visit is due: now if never visited.
    pub fn due_at(
        &self,
        kind: PlaceKind,
        tags: &[Tag],
        last_visit: Option<DateTime<Utc>>,
    ) -> Option<DateTime<Utc>> {
        last_visit.map(|t| t + Duration::days(i64::from(self.interval_days(kind, tags))))
    }
}

/// The due state shown beside a household.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DueState {
    NeverVisited,
    /// Due since this many days (0 = due today).
    Due {
        overdue_days: u32,
    },
    /// Next visit in this many days.
    Upcoming {
        in_days: u32,
    },
}

impl DueState {
    pub fn at(due_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> DueState {
        match due_at {
            None => DueState::NeverVisited,
            Some(d) if d <= now => DueState::Due {
                overdue_days: (now - d).num_days().max(0) as u32,
            },
            Some(d) => DueState::Upcoming {
                in_days: (d - now).num_days().max(0) as u32,
            },
        }
    }

    pub fn is_due(self) -> bool {
        !matches!(self, DueState::Upcoming { .. })
    }

    /// How the due state reads on screen, Chinese first:
    /// `从未走访 / never visited`, `今日应访 / due today`,
    /// `超期3天 / 3 days overdue`, `5天后 / in 5 days`.
    pub fn label(self) -> String {
        match self {
            DueState::NeverVisited => "从未走访 / never visited".into(),
            DueState::Due { overdue_days: 0 } => "今日应访 / due today".into(),
            DueState::Due { overdue_days: 1 } => "超期1天 / 1 day overdue".into(),
            DueState::Due { overdue_days: d } => format!("超期{d}天 / {d} days overdue"),
            DueState::Upcoming { in_days: 0 } => "今日到期 / due later today".into(),
            DueState::Upcoming { in_days: 1 } => "1天后 / in 1 day".into(),
            DueState::Upcoming { in_days: d } => format!("{d}天后 / in {d} days"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn due_states_read_in_both_languages() {
        assert_eq!(DueState::NeverVisited.label(), "从未走访 / never visited");
        assert_eq!(
            DueState::Due { overdue_days: 0 }.label(),
            "今日应访 / due today"
        );
        assert_eq!(
            DueState::Due { overdue_days: 3 }.label(),
            "超期3天 / 3 days overdue"
        );
        assert_eq!(
            DueState::Upcoming { in_days: 5 }.label(),
            "5天后 / in 5 days"
        );
    }

    #[test]
    fn the_shortest_interval_applies() {
        let p = VisitPolicy::default();
        assert_eq!(p.interval_days(PlaceKind::Household, &[]), 30);
        assert_eq!(
            p.interval_days(
                PlaceKind::Household,
                &[Tag::LeftBehindChild, Tag::ElderlyAlone]
            ),
            7
        );
        let t = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).unwrap();
        assert_eq!(
            p.due_at(PlaceKind::Household, &[Tag::Disabled], Some(t)),
            Some(t + Duration::days(14))
        );
        assert_eq!(DueState::at(None, t), DueState::NeverVisited);
        assert_eq!(
            DueState::at(Some(t - Duration::days(3)), t),
            DueState::Due { overdue_days: 3 }
        );
        assert_eq!(
            DueState::at(Some(t + Duration::days(2)), t),
            DueState::Upcoming { in_days: 2 }
        );
    }
}
