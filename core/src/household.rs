//! Households (户) and places (场所) a grid worker visits, and the people in
//! them. Personal numbers are kept whole in the store and masked on the way
//! out (see `pii.rs`).

use serde::{Deserialize, Serialize};

/// What kind of target a visit goes to. Checklist templates are chosen by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PlaceKind {
    /// 住户
    Household,
    /// 商铺
    Shop,
    /// 作坊/小微加工
    Workshop,
    /// 企业
    Enterprise,
    /// 矿山
    Mine,
    /// 学校
    School,
    /// 有物业小区
    CompoundManaged,
    /// 无物业小区
    CompoundUnmanaged,
    /// 其他场所
    Other,
}

impl PlaceKind {
    pub const ALL: [PlaceKind; 9] = [
        PlaceKind::Household,
        PlaceKind::Shop,
        PlaceKind::Workshop,
        PlaceKind::Enterprise,
        PlaceKind::Mine,
        PlaceKind::School,
        PlaceKind::CompoundManaged,
        PlaceKind::CompoundUnmanaged,
        PlaceKind::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            PlaceKind::Household => "household",
            PlaceKind::Shop => "shop",
            PlaceKind::Workshop => "workshop",
            PlaceKind::Enterprise => "enterprise",
            PlaceKind::Mine => "mine",
            PlaceKind::School => "school",
            PlaceKind::CompoundManaged => "compound_managed",
            PlaceKind::CompoundUnmanaged => "compound_unmanaged",
            PlaceKind::Other => "other",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            PlaceKind::Household => "住户",
            PlaceKind::Shop => "商铺",
            PlaceKind::Workshop => "作坊",
            PlaceKind::Enterprise => "企业",
            PlaceKind::Mine => "矿山",
            PlaceKind::School => "学校",
            PlaceKind::CompoundManaged => "有物业小区",
            PlaceKind::CompoundUnmanaged => "无物业小区",
            PlaceKind::Other => "其他场所",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            PlaceKind::Household => "Household",
            PlaceKind::Shop => "Shop",
            PlaceKind::Workshop => "Workshop",
            PlaceKind::Enterprise => "Enterprise",
            PlaceKind::Mine => "Mine",
            PlaceKind::School => "School",
            PlaceKind::CompoundManaged => "Managed compound",
            PlaceKind::CompoundUnmanaged => "Unmanaged compound",
            PlaceKind::Other => "Other place",
        }
    }

    /// `住户 / Household`: both languages, Chinese first, as the core's
    /// other screen labels.
    pub fn label(self) -> String {
        format!("{} / {}", self.label_zh(), self.label_en())
    }

    /// Accepts the code or the Chinese label (as found in registers).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        PlaceKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s || k.label_zh() == s)
            .or(match s {
                "户" | "居民户" | "家庭" => Some(PlaceKind::Household),
                "店铺" | "门店" => Some(PlaceKind::Shop),
                "小作坊" | "加工点" => Some(PlaceKind::Workshop),
                "工厂" | "公司" => Some(PlaceKind::Enterprise),
                "小区" => Some(PlaceKind::CompoundUnmanaged),
                _ => None,
            })
    }
}

/// Tags that matter to the five priorities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Tag {
    /// 独居老人
    ElderlyAlone,
    /// 留守儿童
    LeftBehindChild,
    /// 残疾人
    Disabled,
    /// 重点人员 (信访维稳)
    KeyPerson,
    /// 危险场所/隐患点
    HazardousSite,
    /// 企业
    Enterprise,
}

impl Tag {
    pub const ALL: [Tag; 6] = [
        Tag::ElderlyAlone,
        Tag::LeftBehindChild,
        Tag::Disabled,
        Tag::KeyPerson,
        Tag::HazardousSite,
        Tag::Enterprise,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Tag::ElderlyAlone => "elderly_alone",
            Tag::LeftBehindChild => "left_behind_child",
            Tag::Disabled => "disabled",
            Tag::KeyPerson => "key_person",
            Tag::HazardousSite => "hazardous_site",
            Tag::Enterprise => "enterprise",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            Tag::ElderlyAlone => "独居老人",
            Tag::LeftBehindChild => "留守儿童",
            Tag::Disabled => "残疾人",
            Tag::KeyPerson => "重点人员",
            Tag::HazardousSite => "隐患场所",
            Tag::Enterprise => "企业",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Tag::ElderlyAlone => "Elderly living alone",
            Tag::LeftBehindChild => "Left-behind child",
            Tag::Disabled => "Disabled",
            Tag::KeyPerson => "Key person",
            Tag::HazardousSite => "Hazardous site",
            Tag::Enterprise => "Enterprise",
        }
    }

    /// `独居老人 / Elderly living alone`.
    pub fn label(self) -> String {
        format!("{} / {}", self.label_zh(), self.label_en())
    }

    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Tag::ALL
            .into_iter()
            .find(|t| t.as_str() == s || t.label_zh() == s)
            .or(match s {
                "危险场所" | "隐患点" => Some(Tag::HazardousSite),
                "残障" => Some(Tag::Disabled),
                _ => None,
            })
    }
}

/// A household or place, with its point location (WGS-84).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Household {
    pub code: String,
    pub grid_code: String,
    pub kind: PlaceKind,
    pub name: String,
    pub address: String,
    pub lat: f64,
    pub lon: f64,
    pub tags: Vec<Tag>,
}

/// A person registered in a household.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Member {
    pub id: String,
    pub household_code: String,
    pub name: String,
    /// 与户主关系 (户主, 配偶, 子女 …)
    pub relation: String,
    pub phone: Option<String>,
    pub id_number: Option<String>,
    /// `phone` and `id_number` hold masked forms (`138****5678`): the
    /// server sends whole numbers only to the grid's own workers and the
    /// village secretary (PIPL). Others reveal a number by asking the
    /// server, which authorizes and records it. A write carrying masked
    /// numbers changes the name, relation or household, never the numbers.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pii_masked: bool,
}

impl Member {
    /// This member as sent to someone who does not need whole numbers.
    pub fn masked(mut self) -> Member {
        self.phone = self.phone.as_deref().map(crate::pii::mask_phone);
        self.id_number = self.id_number.as_deref().map(crate::pii::mask_id_number);
        self.pii_masked = true;
        self
    }
}

/// Tags as stored: a comma-separated list of codes.
pub fn tags_to_text(tags: &[Tag]) -> String {
    let mut sorted: Vec<Tag> = tags.to_vec();
    sorted.sort();
    sorted.dedup();
    sorted
        .iter()
        .map(|t| t.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Parse stored tags; unknown codes (from a newer build) are skipped.
pub fn tags_from_text(text: &str) -> Vec<Tag> {
    text.split(',')
        .filter(|s| !s.is_empty())
        .filter_map(Tag::parse)
        .collect()
}
