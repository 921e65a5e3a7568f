//! The default checklist set shipped with Gridwork (written in Chinese with
//! English alongside). Stored as JSON so administrators can start from it.
//!
//! One template per kind of place; each has the five priorities as sections,
//! in the order of [`Priority::ALL`](crate::priority::Priority::ALL). Item
//! codes carry their section's prefix (`ep.`, `ws.`, `ps.`, `ec.`, `rs.`).

use super::ChecklistTemplate;
use crate::error::{CoreError, Result};
use crate::household::PlaceKind;

/// The JSON texts of the default templates, one per file.
pub const DEFAULT_TEMPLATE_JSON: &[(&str, &str)] = &[
    ("household.json", include_str!("defaults/household.json")),
    ("shop.json", include_str!("defaults/shop.json")),
    ("workshop.json", include_str!("defaults/workshop.json")),
    ("enterprise.json", include_str!("defaults/enterprise.json")),
    ("mine.json", include_str!("defaults/mine.json")),
    ("school.json", include_str!("defaults/school.json")),
    ("compound.json", include_str!("defaults/compound.json")),
    ("other.json", include_str!("defaults/other.json")),
];

/// Parse one default file; an error names the file it came from.
fn parse_default(name: &str, text: &str) -> Result<ChecklistTemplate> {
    ChecklistTemplate::from_json(text).map_err(|e| match e {
        CoreError::Invalid { field, reason } => {
            CoreError::invalid(format!("defaults/{name}: {field}"), reason)
        }
        other => other,
    })
}

/// Parse and validate every default template.
pub fn default_templates() -> Result<Vec<ChecklistTemplate>> {
    DEFAULT_TEMPLATE_JSON
        .iter()
        .map(|(name, text)| parse_default(name, text))
        .collect()
}

/// The default template that applies to `kind` (the first one, in file
/// order; the shipped set has exactly one per kind).
pub fn default_template_for(kind: PlaceKind) -> Result<ChecklistTemplate> {
    for (name, text) in DEFAULT_TEMPLATE_JSON {
        let template = parse_default(name, text)?;
        if template.applies_to.contains(&kind) {
            return Ok(template);
        }
    }
    Err(CoreError::not_found(
        "default checklist template",
        kind.as_str(),
    ))
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeSet, HashMap, HashSet};

    use super::*;
    use crate::checklist::{
        Answer, AnswerValue, HazardFinding, HazardRule, HazardWhen, Item, ItemKind,
    };
    use crate::priority::{Priority, Severity};

    fn all() -> Vec<ChecklistTemplate> {
        default_templates().expect("every default template parses and validates")
    }

    fn household() -> ChecklistTemplate {
        default_template_for(PlaceKind::Household).expect("household template")
    }

    fn prefix(p: Priority) -> &'static str {
        match p {
            Priority::EpidemicPrevention => "ep.",
            Priority::WorkSafety => "ws.",
            Priority::PetitionStability => "ps.",
            Priority::Ecology => "ec.",
            Priority::RiskScreening => "rs.",
        }
    }

    fn is_snake_case(s: &str) -> bool {
        !s.is_empty()
            && !s.starts_with('_')
            && !s.ends_with('_')
            && !s.contains("__")
            && s.chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
    }

    /// Test-side reading of a rule's condition, used only to *search* for
    /// answers; `check_answers` stays the judge in every assertion.
    fn fires(when: &HazardWhen, value: &AnswerValue) -> bool {
        match (when, value) {
            (HazardWhen::Yes, AnswerValue::YesNo(b)) => *b,
            (HazardWhen::No, AnswerValue::YesNo(b)) => !*b,
            (HazardWhen::AnyOf { options }, AnswerValue::Choice(c)) => options.contains(c),
            (HazardWhen::AnyOf { options }, AnswerValue::Choices(cs)) => {
                cs.iter().any(|c| options.contains(c))
            }
            (HazardWhen::Above { value }, AnswerValue::Number(n)) => n > value,
            (HazardWhen::Below { value }, AnswerValue::Number(n)) => n < value,
            _ => false,
        }
    }

    fn in_range(n: f64, min: Option<f64>, max: Option<f64>) -> bool {
        min.is_none_or(|m| n >= m) && max.is_none_or(|m| n <= m)
    }

    /// An answer to `item` that none of its hazard rules match, derived from
    /// the rules themselves. `None` for photo items (answered by photos).
    fn safe_value(item: &Item) -> Option<AnswerValue> {
        let candidates: Vec<AnswerValue> = match &item.kind {
            ItemKind::Photo { .. } => return None,
            ItemKind::YesNo => vec![AnswerValue::YesNo(false), AnswerValue::YesNo(true)],
            ItemKind::SingleChoice { options } => options
                .iter()
                .map(|o| AnswerValue::Choice(o.code.clone()))
                .collect(),
            ItemKind::MultiChoice { options } => std::iter::once(AnswerValue::Choices(vec![]))
                .chain(
                    options
                        .iter()
                        .map(|o| AnswerValue::Choices(vec![o.code.clone()])),
                )
                .collect(),
            ItemKind::Number { min, max, .. } => {
                let mut ns = vec![min.unwrap_or(0.0)];
                for rule in &item.hazards {
                    match rule.when {
                        HazardWhen::Above { value } | HazardWhen::Below { value } => ns.push(value),
                        _ => {}
                    }
                }
                ns.extend(*max);
                ns.into_iter()
                    .filter(|n| in_range(*n, *min, *max))
                    .map(AnswerValue::Number)
                    .collect()
            }
            ItemKind::Text { .. } => vec![AnswerValue::Text(String::new())],
        };
        let safe = candidates
            .into_iter()
            .find(|v| !item.hazards.iter().any(|r| fires(&r.when, v)));
        Some(
            safe.unwrap_or_else(|| panic!("item {} has no answer that is not a hazard", item.code)),
        )
    }

    /// An answer to `item` that `rule` matches.
    fn triggering_value(item: &Item, rule: &HazardRule) -> AnswerValue {
        match (&rule.when, &item.kind) {
            (HazardWhen::Yes, _) => AnswerValue::YesNo(true),
            (HazardWhen::No, _) => AnswerValue::YesNo(false),
            (HazardWhen::AnyOf { options }, ItemKind::SingleChoice { .. }) => {
                AnswerValue::Choice(options[0].clone())
            }
            (HazardWhen::AnyOf { options }, ItemKind::MultiChoice { .. }) => {
                AnswerValue::Choices(vec![options[0].clone()])
            }
            (HazardWhen::Above { value }, ItemKind::Number { max, .. }) => {
                let n = match max {
                    Some(m) if value + 1.0 > *m => (value + m) / 2.0,
                    _ => value + 1.0,
                };
                AnswerValue::Number(n)
            }
            (HazardWhen::Below { value }, ItemKind::Number { min, .. }) => {
                let n = match min {
                    Some(m) if value - 1.0 < *m => (value + m) / 2.0,
                    _ => value - 1.0,
                };
                AnswerValue::Number(n)
            }
            (when, kind) => panic!("rule {when:?} does not fit {kind:?} of {}", item.code),
        }
    }

    /// Every non-photo item answered with a safe answer.
    fn safe_answers(t: &ChecklistTemplate) -> Vec<Answer> {
        t.items()
            .filter_map(|(_, item)| {
                safe_value(item).map(|value| Answer {
                    item_code: item.code.clone(),
                    value,
                })
            })
            .collect()
    }

    fn with_answer(t: &ChecklistTemplate, code: &str, value: AnswerValue) -> Vec<Answer> {
        let mut answers = safe_answers(t);
        let slot = answers
            .iter_mut()
            .find(|a| a.item_code == code)
            .unwrap_or_else(|| panic!("{} has no answerable item {code}", t.id));
        slot.value = value;
        answers
    }

    fn check(t: &ChecklistTemplate, answers: &[Answer]) -> Vec<HazardFinding> {
        t.check_answers(answers, &HashMap::new())
            .unwrap_or_else(|e| panic!("{}: answers refused: {e}", t.id))
    }

    #[test]
    fn every_default_template_parses_and_validates() {
        let templates = all();
        assert_eq!(templates.len(), DEFAULT_TEMPLATE_JSON.len());
        assert_eq!(templates.len(), 8);
        let mut ids = HashSet::new();
        for ((name, _), t) in DEFAULT_TEMPLATE_JSON.iter().zip(&templates) {
            assert_eq!(
                format!("{}.json", t.id),
                *name,
                "template id matches its file name"
            );
            assert_eq!(t.version, 1, "{} ships as version 1", t.id);
            assert!(ids.insert(t.id.clone()), "template id {} is unique", t.id);
            assert!(!t.title_zh.trim().is_empty() && !t.title_en.trim().is_empty());
        }
    }

    #[test]
    fn default_json_has_no_unknown_or_misspelt_keys() {
        // serde ignores unknown fields, so a typo such as "requried" would be
        // dropped silently; a round trip must give back exactly the file.
        for (name, text) in DEFAULT_TEMPLATE_JSON {
            let original: serde_json::Value = serde_json::from_str(text).expect("JSON");
            let parsed = parse_default(name, text).expect("template");
            let round_trip = serde_json::to_value(&parsed).expect("serialize");
            let diff = first_difference(&original, &round_trip, "$");
            assert_eq!(diff, None, "{name} does not round-trip unchanged");
        }
    }

    /// Where two JSON values first differ (numbers compared as f64, since
    /// the files write `0` where serde writes `0.0`).
    fn first_difference(a: &serde_json::Value, b: &serde_json::Value, at: &str) -> Option<String> {
        use serde_json::Value;
        match (a, b) {
            (Value::Number(x), Value::Number(y)) => {
                (x.as_f64() != y.as_f64()).then(|| format!("{at}: {x} vs {y}"))
            }
            (Value::Object(x), Value::Object(y)) => {
                let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
                keys.into_iter().find_map(|k| match (x.get(k), y.get(k)) {
                    (Some(xv), Some(yv)) => first_difference(xv, yv, &format!("{at}.{k}")),
                    (Some(_), None) => {
                        Some(format!("{at}.{k}: unknown key, dropped by the parser"))
                    }
                    (None, _) => Some(format!("{at}.{k}: missing from the file")),
                })
            }
            (Value::Array(x), Value::Array(y)) if x.len() == y.len() => x
                .iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (xv, yv))| first_difference(xv, yv, &format!("{at}[{i}]"))),
            _ => (a != b).then(|| format!("{at}: {a} vs {b}")),
        }
    }

    #[test]
    fn every_place_kind_is_covered_by_exactly_one_template() {
        let templates = all();
        for kind in PlaceKind::ALL {
            let covering: Vec<&str> = templates
                .iter()
                .filter(|t| t.applies_to.contains(&kind))
                .map(|t| t.id.as_str())
                .collect();
            assert_eq!(
                covering.len(),
                1,
                "{} is covered by {covering:?}",
                kind.as_str()
            );
            let chosen = default_template_for(kind).expect("template for kind");
            assert_eq!(chosen.id, covering[0]);
        }
        assert_eq!(
            default_template_for(PlaceKind::Household).expect("t").id,
            "household"
        );
        assert_eq!(
            default_template_for(PlaceKind::CompoundManaged)
                .expect("t")
                .id,
            "compound"
        );
        assert_eq!(
            default_template_for(PlaceKind::CompoundUnmanaged)
                .expect("t")
                .id,
            "compound"
        );
        assert_eq!(default_template_for(PlaceKind::Mine).expect("t").id, "mine");
    }

    #[test]
    fn every_template_has_the_five_sections_in_order() {
        for t in all() {
            let order: Vec<Priority> = t.sections.iter().map(|s| s.priority).collect();
            assert_eq!(order, Priority::ALL.to_vec(), "{} section order", t.id);
            for s in &t.sections {
                let n = s.items.len();
                assert!(
                    (3..=10).contains(&n),
                    "{} {} has {n} items",
                    t.id,
                    s.priority.as_str()
                );
            }
        }
    }

    #[test]
    fn codes_and_labels_follow_the_house_conventions() {
        for t in all() {
            for s in &t.sections {
                for item in &s.items {
                    let at = format!("{}/{}", t.id, item.code);
                    let rest = item.code.strip_prefix(prefix(s.priority));
                    assert!(
                        rest.is_some_and(is_snake_case),
                        "{at}: code carries its section prefix"
                    );
                    assert!(!item.label_en.trim().is_empty(), "{at}: English label");
                    for o in item.options() {
                        assert!(is_snake_case(&o.code), "{at}: option code {}", o.code);
                        assert!(
                            !o.label_zh.trim().is_empty() && !o.label_en.trim().is_empty(),
                            "{at}: option labels"
                        );
                    }
                    for rule in &item.hazards {
                        assert!(
                            is_snake_case(&rule.subcategory),
                            "{at}: subcategory {}",
                            rule.subcategory
                        );
                        assert!(!rule.summary_zh.trim().is_empty(), "{at}: summary_zh");
                        assert!(!rule.summary_en.trim().is_empty(), "{at}: summary_en");
                    }
                    if let ItemKind::Number { unit, min, max } = &item.kind {
                        assert!(
                            unit.is_some() && min.is_some() && max.is_some(),
                            "{at}: number has unit and bounds"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn every_template_has_a_photo_item_and_required_items() {
        for t in all() {
            assert!(
                t.items()
                    .any(|(_, i)| matches!(i.kind, ItemKind::Photo { .. })),
                "{} has a photo item",
                t.id
            );
            assert!(
                t.items().any(|(_, i)| i.required),
                "{} has required items",
                t.id
            );
        }
    }

    #[test]
    fn the_set_uses_every_item_kind() {
        let mut kinds = BTreeSet::new();
        for t in all() {
            for (_, item) in t.items() {
                kinds.insert(match item.kind {
                    ItemKind::YesNo => "yes_no",
                    ItemKind::SingleChoice { .. } => "single_choice",
                    ItemKind::MultiChoice { .. } => "multi_choice",
                    ItemKind::Number { .. } => "number",
                    ItemKind::Text { .. } => "text",
                    ItemKind::Photo { .. } => "photo",
                });
            }
        }
        assert_eq!(kinds.len(), 6, "kinds used: {kinds:?}");
    }

    #[test]
    fn household_is_the_richest_template() {
        let templates = all();
        let count = |t: &ChecklistTemplate| t.items().count();
        let household = household();
        for t in &templates {
            assert!(
                count(&household) >= count(t),
                "household has fewer items than {}",
                t.id
            );
        }
    }

    #[test]
    fn household_has_a_hazard_rule_in_every_section() {
        for s in &household().sections {
            let rules: usize = s.items.iter().map(|i| i.hazards.len()).sum();
            assert!(
                rules > 0,
                "household section {} has no hazard rule",
                s.priority.as_str()
            );
        }
    }

    #[test]
    fn household_gas_smell_is_a_critical_work_safety_finding() {
        let t = household();
        let findings = check(
            &t,
            &with_answer(&t, "ws.gas_smell", AnswerValue::YesNo(true)),
        );
        assert_eq!(findings.len(), 1, "{findings:?}");
        let f = &findings[0];
        assert_eq!(f.item_code, "ws.gas_smell");
        assert_eq!(f.severity, Severity::Critical);
        assert_eq!(f.priority, Priority::WorkSafety);
        assert_eq!(f.subcategory, "gas_leak");
        assert_eq!(f.answer_text, "是");
    }

    #[test]
    fn household_answered_safely_reports_nothing() {
        let t = household();
        let answers = safe_answers(&t);
        let answerable = t
            .items()
            .filter(|(_, i)| !matches!(i.kind, ItemKind::Photo { .. }))
            .count();
        assert_eq!(answers.len(), answerable, "every non-photo item answered");
        assert_eq!(check(&t, &answers), vec![]);
    }

    #[test]
    fn every_template_answered_safely_reports_nothing() {
        for t in all() {
            assert_eq!(
                check(&t, &safe_answers(&t)),
                vec![],
                "{} safe answers",
                t.id
            );
        }
    }

    #[test]
    fn every_hazard_rule_can_fire_and_yields_its_case() {
        for t in all() {
            for (priority, item) in t.items() {
                for rule in &item.hazards {
                    let value = triggering_value(item, rule);
                    let findings = check(&t, &with_answer(&t, &item.code, value));
                    assert!(
                        findings.iter().all(|f| f.item_code == item.code),
                        "{}/{}: only the changed item reports: {findings:?}",
                        t.id,
                        item.code
                    );
                    assert!(
                        findings.iter().any(|f| f.priority == priority
                            && f.subcategory == rule.subcategory
                            && f.severity == rule.severity
                            && f.summary_zh == rule.summary_zh),
                        "{}/{}: rule {} did not fire: {findings:?}",
                        t.id,
                        item.code,
                        rule.summary_en
                    );
                }
            }
        }
    }

    #[test]
    fn mine_methane_above_one_percent_is_critical() {
        let t = default_template_for(PlaceKind::Mine).expect("mine");
        let at = |n: f64| check(&t, &with_answer(&t, "ws.methane", AnswerValue::Number(n)));
        assert_eq!(at(1.0), vec![], "1.0% is the limit itself");
        let over = at(1.2);
        assert_eq!(over.len(), 1, "{over:?}");
        assert_eq!(over[0].severity, Severity::Critical);
        assert_eq!(over[0].subcategory, "methane");
        assert_eq!(over[0].answer_text, "1.2%");
    }

    #[test]
    fn a_broken_default_names_its_file() {
        let err = parse_default("broken.json", "{\"id\": \"\"}").expect_err("must fail");
        assert!(err.to_string().contains("defaults/broken.json"), "{err}");
    }
}
