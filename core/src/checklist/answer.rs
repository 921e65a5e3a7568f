//! Answers to a template, their validation, and hazard detection.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::template::{ChecklistTemplate, HazardWhen, Item, ItemKind};
use crate::error::{CoreError, Result};
use crate::limits::{check_text, text, TextKind};
use crate::priority::{Priority, Severity};

/// An answer to one item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Answer {
    pub item_code: String,
    pub value: AnswerValue,
}

/// The value of an answer; its variant must fit the item's kind. Photo items
/// are answered by attaching photos with the item's code, not by a value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum AnswerValue {
    YesNo(bool),
    Choice(String),
    Choices(Vec<String>),
    Number(f64),
    Text(String),
}

/// A hazard found in the answers: the seed of a case draft.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HazardFinding {
    pub item_code: String,
    pub item_label_zh: String,
    pub priority: Priority,
    pub subcategory: String,
    pub severity: Severity,
    pub summary_zh: String,
    pub summary_en: String,
    /// The answer that triggered it, as shown to people.
    pub answer_text: String,
}

impl ChecklistTemplate {
    /// Validate answers against this template and return the hazards they
    /// reveal. `photo_counts` says how many photos were attached per item
    /// code. Errors name the answer by index (`answers[3].value`) or, for a
    /// missing required item, by its code (`answers.ws.gas_cylinder`).
    pub fn check_answers(
        &self,
        answers: &[Answer],
        photo_counts: &HashMap<String, u32>,
    ) -> Result<Vec<HazardFinding>> {
        self.check(answers, Some(photo_counts))
    }

    /// The same check without counting photos (the server receives a
    /// visit's photos as separate operations).
    pub fn check_answers_without_photos(&self, answers: &[Answer]) -> Result<Vec<HazardFinding>> {
        self.check(answers, None)
    }

    fn check(
        &self,
        answers: &[Answer],
        photo_counts: Option<&HashMap<String, u32>>,
    ) -> Result<Vec<HazardFinding>> {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        let mut findings = Vec::new();
        for (i, answer) in answers.iter().enumerate() {
            let Some((priority, item)) = self.item(&answer.item_code) else {
                return Err(CoreError::invalid(
                    format!("answers[{i}].item_code"),
                    format!(
                        "模板{} v{}中没有题目{} / no item {} in template {} v{}",
                        self.id,
                        self.version,
                        answer.item_code,
                        answer.item_code,
                        self.id,
                        self.version
                    ),
                ));
            };
            if let Some(first) = seen.insert(item.code.as_str(), i) {
                return Err(CoreError::invalid(
                    format!("answers[{i}].item_code"),
                    format!(
                        "题目{}重复作答(第{}项) / item answered twice (first at {first})",
                        item.code, first
                    ),
                ));
            }
            check_value(item, &answer.value, &format!("answers[{i}].value"))?;
            for rule in &item.hazards {
                if matches(&rule.when, &answer.value) {
                    findings.push(HazardFinding {
                        item_code: item.code.clone(),
                        item_label_zh: item.label_zh.clone(),
                        priority,
                        subcategory: rule.subcategory.clone(),
                        severity: rule.severity,
                        summary_zh: rule.summary_zh.clone(),
                        summary_en: rule.summary_en.clone(),
                        answer_text: answer_text(item, &answer.value),
                    });
                }
            }
        }
        for (_, item) in self.items() {
            if let ItemKind::Photo { min_count } = item.kind {
                let Some(photo_counts) = photo_counts else {
                    continue;
                };
                let got = photo_counts.get(&item.code).copied().unwrap_or(0);
                if item.required && got < min_count {
                    return Err(CoreError::invalid(
                        format!("photos.{}", item.code),
                        format!(
                            "“{}”需要至少{}张照片，现有{} / needs at least {min_count} photo(s), got {got}",
                            item.label_zh, min_count, got
                        ),
                    ));
                }
            } else if item.required && !seen.contains_key(item.code.as_str()) {
                return Err(CoreError::invalid(
                    format!("answers.{}", item.code),
                    format!(
                        "必答题“{}”未作答 / required item not answered",
                        item.label_zh
                    ),
                ));
            }
        }
        Ok(findings)
    }
}

fn check_value(item: &Item, value: &AnswerValue, field: &str) -> Result<()> {
    let wrong = |expected: &str| {
        CoreError::invalid(
            field,
            format!("“{}”应填写{expected} / expected {expected}", item.label_zh),
        )
    };
    match (&item.kind, value) {
        (ItemKind::YesNo, AnswerValue::YesNo(_)) => Ok(()),
        (ItemKind::SingleChoice { options }, AnswerValue::Choice(c)) => {
            if options.iter().any(|o| o.code == *c) {
                Ok(())
            } else {
                Err(CoreError::invalid(
                    field,
                    format!("选项{c}不存在 / unknown option {c}"),
                ))
            }
        }
        (ItemKind::MultiChoice { options }, AnswerValue::Choices(cs)) => {
            if let Some(bad) = cs.iter().find(|c| !options.iter().any(|o| o.code == **c)) {
                return Err(CoreError::invalid(
                    field,
                    format!("选项{bad}不存在 / unknown option {bad}"),
                ));
            }
            let mut sorted = cs.clone();
            sorted.sort();
            sorted.dedup();
            if sorted.len() != cs.len() {
                return Err(CoreError::invalid(
                    field,
                    "选项重复 / an option is chosen twice",
                ));
            }
            Ok(())
        }
        (ItemKind::Number { min, max, unit }, AnswerValue::Number(n)) => {
            if !n.is_finite() {
                return Err(CoreError::invalid(
                    field,
                    "不是有效数字 / not a finite number",
                ));
            }
            let unit = unit.as_deref().unwrap_or("");
            if let Some(min) = min {
                if n < min {
                    return Err(CoreError::invalid(
                        field,
                        format!("不能小于{min}{unit} / must be at least {min}"),
                    ));
                }
            }
            if let Some(max) = max {
                if n > max {
                    return Err(CoreError::invalid(
                        field,
                        format!("不能大于{max}{unit} / must be at most {max}"),
                    ));
                }
            }
            Ok(())
        }
        (ItemKind::Text { max_len }, AnswerValue::Text(t)) => {
            // The template's own limit, never above the table's.
            let max = max_len.map_or(text::ANSWER, |m| (m as usize).min(text::ANSWER));
            check_text(field, t, max, TextKind::Block)
        }
        (ItemKind::Photo { .. }, _) => Err(CoreError::invalid(
            field,
            "拍照题请附照片而非填写 / photo items are answered by attaching photos",
        )),
        (ItemKind::YesNo, _) => Err(wrong("是/否 yes_no")),
        (ItemKind::SingleChoice { .. }, _) => Err(wrong("单选 choice")),
        (ItemKind::MultiChoice { .. }, _) => Err(wrong("多选 choices")),
        (ItemKind::Number { .. }, _) => Err(wrong("数字 number")),
        (ItemKind::Text { .. }, _) => Err(wrong("文字 text")),
    }
}

fn matches(when: &HazardWhen, value: &AnswerValue) -> bool {
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

/// Render an answer for people, using the labels of the pinned template.
pub(crate) fn answer_text(item: &Item, value: &AnswerValue) -> String {
    let label = |code: &str| {
        item.options()
            .iter()
            .find(|o| o.code == code)
            .map(|o| o.label_zh.clone())
            .unwrap_or_else(|| code.to_string())
    };
    match value {
        AnswerValue::YesNo(true) => "是".into(),
        AnswerValue::YesNo(false) => "否".into(),
        AnswerValue::Choice(c) => label(c),
        AnswerValue::Choices(cs) => cs.iter().map(|c| label(c)).collect::<Vec<_>>().join("、"),
        AnswerValue::Number(n) => match &item.kind {
            ItemKind::Number { unit: Some(u), .. } => format!("{n}{u}"),
            _ => n.to_string(),
        },
        AnswerValue::Text(t) => t.clone(),
    }
}
