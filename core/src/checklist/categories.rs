//! The case categories a person can pick when reporting a case that did
//! not come from a visit (a blocked drain seen on patrol, a complaint
//! brought to the grid worker): every subcategory the checklists' hazard
//! rules know, under its priority, plus one "other" per priority.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::ChecklistTemplate;
use crate::case::CaseDraft;
use crate::priority::{Category, Priority, Severity};

/// One pickable category, labelled as the checklists word it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseCategory {
    pub priority: Priority,
    pub subcategory: String,
    pub label_zh: String,
    pub label_en: String,
    /// The severity the checklists give it (a starting point; the person may change it).
    pub suggested_severity: Severity,
}

impl CaseCategory {
    /// The report form's starting point for a case seen on patrol in
    /// `grid_code` (not found in a visit): the category, its suggested
    /// severity and its words as the title; the person writes what they saw.
    pub fn draft(&self, grid_code: &str) -> CaseDraft {
        CaseDraft {
            category: Category {
                priority: self.priority,
                subcategory: self.subcategory.clone(),
            },
            severity: self.suggested_severity,
            title: self.label_zh.clone(),
            description: String::new(),
            household_code: None,
            grid_code: grid_code.to_string(),
            source: None,
            evidence_ids: Vec::new(),
        }
    }
}

/// The subcategory of each priority's "other" entry.
pub const OTHER: &str = "other";

/// The categories of `templates` in the five priorities' order, each
/// subcategory once (its first wording), then "其他 / Other" for each
/// priority.
pub fn case_categories<'a>(
    templates: impl IntoIterator<Item = &'a ChecklistTemplate>,
) -> Vec<CaseCategory> {
    let mut seen: HashSet<(Priority, String)> = HashSet::new();
    let mut found: Vec<CaseCategory> = Vec::new();
    for t in templates {
        for (priority, item) in t.items() {
            for rule in &item.hazards {
                if rule.subcategory == OTHER || !seen.insert((priority, rule.subcategory.clone())) {
                    continue;
                }
                found.push(CaseCategory {
                    priority,
                    subcategory: rule.subcategory.clone(),
                    label_zh: rule.summary_zh.clone(),
                    label_en: rule.summary_en.clone(),
                    suggested_severity: rule.severity,
                });
            }
        }
    }
    let mut out = Vec::with_capacity(found.len() + Priority::ALL.len());
    for priority in Priority::ALL {
        out.extend(found.iter().filter(|c| c.priority == priority).cloned());
        out.push(CaseCategory {
            priority,
            subcategory: OTHER.to_string(),
            label_zh: format!("其他{}问题", priority.label_zh()),
            label_en: format!("Other {} issue", priority.label_en().to_lowercase()),
            suggested_severity: Severity::Normal,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checklist::defaults::default_templates;

    #[test]
    fn a_picked_category_starts_a_report_for_the_grid() {
        let templates = default_templates().unwrap();
        let gas = case_categories(&templates)
            .into_iter()
            .find(|c| c.subcategory == "gas_leak")
            .unwrap();
        let draft = gas.draft("G1");
        assert_eq!(draft.category.subcategory, "gas_leak");
        assert_eq!(draft.category.priority, gas.priority);
        assert_eq!(draft.severity, gas.suggested_severity);
        assert_eq!(draft.title, gas.label_zh);
        assert_eq!(draft.grid_code, "G1");
        assert!(
            draft.household_code.is_none()
                && draft.source.is_none()
                && draft.evidence_ids.is_empty()
        );
    }

    #[test]
    fn every_priority_has_its_hazards_then_other_and_no_subcategory_twice() {
        let templates = default_templates().unwrap();
        let cats = case_categories(&templates);
        let mut keys = HashSet::new();
        for c in &cats {
            assert!(
                keys.insert((c.priority, c.subcategory.clone())),
                "twice: {c:?}"
            );
            assert!(!c.label_zh.is_empty() && !c.label_en.is_empty(), "{c:?}");
        }
        // In priority order, each block ending with its "other".
        let order: Vec<Priority> = cats.iter().map(|c| c.priority).collect();
        let mut sorted = order.clone();
        sorted.sort_by_key(|p| Priority::ALL.iter().position(|q| q == p));
        assert_eq!(order, sorted);
        for p in Priority::ALL {
            let last = cats.iter().rfind(|c| c.priority == p).unwrap();
            assert_eq!(last.subcategory, OTHER);
        }
        let gas = cats.iter().find(|c| c.subcategory == "gas_leak").unwrap();
        assert_eq!(gas.priority, Priority::WorkSafety);
        assert!(cats.len() > 40, "{} categories", cats.len());
    }
}
