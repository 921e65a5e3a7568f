//! Template structure and its own validation (an administrator may upload
//! templates, so a bad one must be refused with the exact place it is wrong).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::household::PlaceKind;
use crate::priority::{Priority, Severity};

/// A versioned checklist for one or more kinds of place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChecklistTemplate {
    /// Stable id, e.g. `household` or `shop`.
    pub id: String,
    pub version: u32,
    pub title_zh: String,
    pub title_en: String,
    pub applies_to: Vec<PlaceKind>,
    /// Exactly the five priorities, each once, in display order.
    pub sections: Vec<Section>,
}

/// One priority's items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Section {
    pub priority: Priority,
    pub items: Vec<Item>,
}

/// One question.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Item {
    /// Unique within the template, stable across versions when the meaning
    /// is unchanged (e.g. `ws.gas_cylinder`).
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
    pub kind: ItemKind,
    #[serde(default)]
    pub required: bool,
    /// Answers that mean a hazard, and the case they imply.
    #[serde(default)]
    pub hazards: Vec<HazardRule>,
}

/// The shape of an answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ItemKind {
    YesNo,
    SingleChoice {
        options: Vec<Choice>,
    },
    MultiChoice {
        options: Vec<Choice>,
    },
    Number {
        #[serde(default)]
        unit: Option<String>,
        #[serde(default)]
        min: Option<f64>,
        #[serde(default)]
        max: Option<f64>,
    },
    Text {
        #[serde(default)]
        max_len: Option<u32>,
    },
    /// One or more photos must be attached for this item.
    Photo {
        #[serde(default = "one")]
        min_count: u32,
    },
}

fn one() -> u32 {
    1
}

/// An option of a choice item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Choice {
    pub code: String,
    pub label_zh: String,
    pub label_en: String,
}

/// When an answer means a hazard, and what case it implies. The case's
/// priority is the section's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HazardRule {
    pub when: HazardWhen,
    pub subcategory: String,
    pub severity: Severity,
    pub summary_zh: String,
    pub summary_en: String,
}

/// The answer condition of a hazard rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "is", rename_all = "snake_case")]
pub enum HazardWhen {
    Yes,
    No,
    /// Any of these options chosen (single or multi choice).
    AnyOf {
        options: Vec<String>,
    },
    /// A number strictly above the value.
    Above {
        value: f64,
    },
    /// A number strictly below the value.
    Below {
        value: f64,
    },
}

impl ChecklistTemplate {
    /// Parse and validate a template from JSON.
    pub fn from_json(text: &str) -> Result<Self> {
        let template: ChecklistTemplate = serde_json::from_str(text).map_err(|e| {
            CoreError::invalid(
                "template",
                format!("模板JSON无法解析 / template JSON does not parse: {e}"),
            )
        })?;
        template.validate()?;
        Ok(template)
    }

    pub fn items(&self) -> impl Iterator<Item = (Priority, &Item)> {
        self.sections
            .iter()
            .flat_map(|s| s.items.iter().map(move |i| (s.priority, i)))
    }

    pub fn item(&self, code: &str) -> Option<(Priority, &Item)> {
        self.items().find(|(_, i)| i.code == code)
    }

    /// Check the template's structure; the error names the exact field.
    pub fn validate(&self) -> Result<()> {
        if self.id.trim().is_empty() {
            return Err(CoreError::invalid(
                "id",
                "模板编号不能为空 / template id is empty",
            ));
        }
        if self.version == 0 {
            return Err(CoreError::invalid(
                "version",
                "版本号从1开始 / versions start at 1",
            ));
        }
        if self.applies_to.is_empty() {
            return Err(CoreError::invalid(
                "applies_to",
                "至少适用于一类场所 / must apply to at least one kind of place",
            ));
        }
        let priorities: Vec<Priority> = self.sections.iter().map(|s| s.priority).collect();
        for p in Priority::ALL {
            let n = priorities.iter().filter(|q| **q == p).count();
            if n != 1 {
                return Err(CoreError::invalid(
                    "sections",
                    format!(
                        "“{}”部分应出现一次，实际{}次 / section {} must appear once, found {n}",
                        p.label_zh(),
                        n,
                        p.as_str()
                    ),
                ));
            }
        }
        let mut codes = HashSet::new();
        for (si, section) in self.sections.iter().enumerate() {
            for (ii, item) in section.items.iter().enumerate() {
                let at = format!("sections[{si}].items[{ii}]");
                if item.code.trim().is_empty() {
                    return Err(CoreError::invalid(
                        format!("{at}.code"),
                        "题目编号不能为空 / item code is empty",
                    ));
                }
                if !codes.insert(item.code.as_str()) {
                    return Err(CoreError::invalid(
                        format!("{at}.code"),
                        format!("题目编号重复 / duplicate item code {}", item.code),
                    ));
                }
                if item.label_zh.trim().is_empty() {
                    return Err(CoreError::invalid(
                        format!("{at}.label_zh"),
                        "缺少中文题目 / Chinese label is empty",
                    ));
                }
                item.validate_kind(&at)?;
                for (hi, rule) in item.hazards.iter().enumerate() {
                    item.validate_rule(rule, &format!("{at}.hazards[{hi}]"))?;
                }
            }
        }
        Ok(())
    }
}

impl Item {
    pub fn options(&self) -> &[Choice] {
        match &self.kind {
            ItemKind::SingleChoice { options } | ItemKind::MultiChoice { options } => options,
            _ => &[],
        }
    }

    fn validate_kind(&self, at: &str) -> Result<()> {
        match &self.kind {
            ItemKind::SingleChoice { options } | ItemKind::MultiChoice { options } => {
                if options.len() < 2 {
                    return Err(CoreError::invalid(
                        format!("{at}.kind.options"),
                        "选择题至少两个选项 / a choice needs at least two options",
                    ));
                }
                let mut seen = HashSet::new();
                for o in options {
                    if !seen.insert(o.code.as_str()) {
                        return Err(CoreError::invalid(
                            format!("{at}.kind.options"),
                            format!("选项编号重复 / duplicate option {}", o.code),
                        ));
                    }
                }
            }
            ItemKind::Number {
                min: Some(min),
                max: Some(max),
                ..
            } if min > max => {
                return Err(CoreError::invalid(
                    format!("{at}.kind"),
                    "最小值大于最大值 / min is greater than max",
                ));
            }
            ItemKind::Photo { min_count: 0 } => {
                return Err(CoreError::invalid(
                    format!("{at}.kind.min_count"),
                    "拍照题至少一张 / a photo item needs at least one photo",
                ));
            }
            _ => {}
        }
        Ok(())
    }

    fn validate_rule(&self, rule: &HazardRule, at: &str) -> Result<()> {
        let fits = match (&rule.when, &self.kind) {
            (HazardWhen::Yes | HazardWhen::No, ItemKind::YesNo) => true,
            (
                HazardWhen::AnyOf { options },
                ItemKind::SingleChoice { options: all } | ItemKind::MultiChoice { options: all },
            ) => {
                if let Some(bad) = options.iter().find(|o| !all.iter().any(|c| c.code == **o)) {
                    return Err(CoreError::invalid(
                        format!("{at}.when.options"),
                        format!("隐患规则引用了不存在的选项 / rule names unknown option {bad}"),
                    ));
                }
                !options.is_empty()
            }
            (HazardWhen::Above { .. } | HazardWhen::Below { .. }, ItemKind::Number { .. }) => true,
            _ => false,
        };
        if !fits {
            return Err(CoreError::invalid(
                format!("{at}.when"),
                "隐患条件与题型不符 / hazard condition does not fit the item kind",
            ));
        }
        if rule.subcategory.trim().is_empty() {
            return Err(CoreError::invalid(
                format!("{at}.subcategory"),
                "缺少事件子类 / subcategory is empty",
            ));
        }
        Ok(())
    }
}
