//! The household and place register (one row per household or place).
//!
//! Columns are found by header, in any order; other columns are ignored.
//! Headers are matched after folding full-width letters, dropping `*` and a
//! trailing `(…)` note, and lower-casing: `经度（WGS84）` and `*Lon` both work.
//!
//! | column | accepted headers | |
//! |---|---|---|
//! | code | 编码, 户编码, 场所编码, code, household_code | required |
//! | grid code | 网格编码, 所属网格编码, 所属网格, grid_code, grid | required |
//! | kind | 类型, 场所类型, kind, type | optional, default 住户 (household) |
//! | name | 名称, 户主, 户主姓名, 场所名称, name | required |
//! | address | 地址, 住址, 详细地址, address | required |
//! | longitude | 经度, lon, lng, longitude | required, WGS-84 decimal degrees |
//! | latitude | 纬度, lat, latitude | required, WGS-84 decimal degrees |
//! | tags | 标签, tags | optional, separated by `、 , ; ， ； |` or spaces |

use std::collections::HashMap;

use super::coords::{self, Source};
use super::table::{self, Column, Fields, TextKind};
use super::{RowError, TableFormat};
use crate::error::Result;
use crate::household::{Household, PlaceKind, Tag};
use crate::limits::Budget;

const CODE: usize = 0;
const GRID: usize = 1;
const KIND: usize = 2;
const NAME: usize = 3;
const ADDRESS: usize = 4;
const LON: usize = 5;
const LAT: usize = 6;
const TAGS: usize = 7;

const COLUMNS: [Column; 8] = [
    Column {
        key: "code",
        zh: "户编码",
        en: "household code",
        aliases: &["编码", "户编码", "场所编码", "code", "household_code"],
        required: true,
    },
    Column {
        key: "grid_code",
        zh: "网格编码",
        en: "grid code",
        aliases: &["网格编码", "所属网格编码", "所属网格", "grid_code", "grid"],
        required: true,
    },
    Column {
        key: "kind",
        zh: "类型",
        en: "kind",
        aliases: &["类型", "场所类型", "kind", "type"],
        required: false,
    },
    Column {
        key: "name",
        zh: "名称",
        en: "name",
        aliases: &["名称", "户主", "户主姓名", "场所名称", "name"],
        required: true,
    },
    Column {
        key: "address",
        zh: "地址",
        en: "address",
        aliases: &["地址", "住址", "详细地址", "address"],
        required: true,
    },
    Column {
        key: "lon",
        zh: "经度",
        en: "longitude",
        aliases: &["经度", "lon", "lng", "longitude"],
        required: true,
    },
    Column {
        key: "lat",
        zh: "纬度",
        en: "latitude",
        aliases: &["纬度", "lat", "latitude"],
        required: true,
    },
    Column {
        key: "tags",
        zh: "标签",
        en: "tags",
        aliases: &["标签", "tags"],
        required: false,
    },
];

/// What a household register held.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedHouseholds {
    /// How the file was read: "UTF-8", "UTF-8 (BOM)", "UTF-16LE (BOM)",
    /// "GBK" or "XLSX".
    pub encoding: String,
    /// Good rows with their line (CSV) or row (XLSX) number, in file order.
    pub rows: Vec<(u64, Household)>,
    /// Every problem found, in line order. A row with any problem is not in
    /// `rows`.
    pub errors: Vec<RowError>,
}

/// Parse a household/place register. Whole-file problems (undecodable text,
/// unreadable workbook, no header) are `CoreError::Invalid`; a missing or
/// doubled column gives errors at the header line and no rows; anything else
/// is a [`RowError`] for that row only.
///
/// Duplicate codes: the first row with a code wins; later rows with the same
/// code are refused with a reason naming the first line.
pub fn parse_households(bytes: &[u8], format: TableFormat) -> Result<ParsedHouseholds> {
    let budget = Budget::for_import();
    let raw = table::read_table(bytes, format, &COLUMNS, &budget)?;
    let mut parsed = ParsedHouseholds {
        encoding: raw.encoding.clone(),
        rows: Vec::new(),
        errors: raw.row_errors.clone(),
    };
    let cols = match table::map_columns(&raw, &COLUMNS) {
        Ok(cols) => cols,
        Err(errors) => {
            parsed.errors = errors;
            return Ok(parsed);
        }
    };
    let mut first_line: HashMap<String, u64> = HashMap::new();
    for row in &raw.rows {
        let mut f = Fields::new(row, &cols, &COLUMNS);
        let code = f.required_text(CODE, TextKind::Code);
        if let Some(code) = &code {
            match first_line.get(code) {
                Some(&first) => {
                    let reason = format!(
                        "户编码 {code} 与第{first}行重复 / duplicate household code {code}, first used on line {first}"
                    );
                    f.error(CODE, reason);
                }
                None => {
                    first_line.insert(code.clone(), f.line);
                }
            }
        }
        let grid_code = f.required_text(GRID, TextKind::Code);
        let kind = match f.text(KIND, TextKind::Plain) {
            None => Some(PlaceKind::Household),
            Some(text) => {
                let kind = PlaceKind::parse(&text);
                if kind.is_none() {
                    f.error(KIND, unknown_kind(&text));
                }
                kind
            }
        };
        let name = f.required_text(NAME, TextKind::Plain);
        let address = f.required_text(ADDRESS, TextKind::Plain);
        let lon = f.required_number(LON);
        let lat = f.required_number(LAT);
        if let (Some(lon), Some(lat)) = (lon, lat) {
            if let Some(reason) = point_problem(lon, lat) {
                // Name both columns: either may be the wrong one.
                let field = format!("{}/{}", f.name(LON), f.name(LAT));
                f.errors.push(RowError::new(f.line, field, reason));
            }
        }
        let tags = match f.text(TAGS, TextKind::Plain) {
            None => Vec::new(),
            Some(text) => {
                let (tags, unknown) = parse_tags(&text);
                for u in unknown {
                    f.error(TAGS, unknown_tag(&u));
                }
                tags
            }
        };
        if !f.errors.is_empty() {
            parsed.errors.append(&mut f.errors);
            continue;
        }
        if let (
            Some(code),
            Some(grid_code),
            Some(kind),
            Some(name),
            Some(address),
            Some(lon),
            Some(lat),
        ) = (code, grid_code, kind, name, address, lon, lat)
        {
            parsed.rows.push((
                row.line,
                Household {
                    code,
                    grid_code,
                    kind,
                    name,
                    address,
                    lat,
                    lon,
                    tags,
                },
            ));
        }
    }
    parsed.errors.sort_by_key(|e| e.line);
    tracing::debug!(
        encoding = %parsed.encoding,
        rows = parsed.rows.len(),
        errors = parsed.errors.len(),
        "parsed household register"
    );
    Ok(parsed)
}

/// Why a household point cannot be right, if it cannot.
pub(crate) fn point_problem(lon: f64, lat: f64) -> Option<String> {
    if lon == 0.0 && lat == 0.0 {
        return Some(
            "经纬度为 (0, 0)，多半是没有填写 / the coordinates are (0, 0), most likely never filled in"
                .to_string(),
        );
    }
    coords::check(&[(lon, lat)])
        .err()
        .map(|p| p.reason(Source::Table))
}

const TAG_SEPARATORS: &[char] = &['、', ',', ';', '，', '；', '|', ' ', '\u{3000}'];

/// Split a tag cell; known tags (deduplicated, in order) and unknown words.
pub(crate) fn parse_tags(text: &str) -> (Vec<Tag>, Vec<String>) {
    let mut tags = Vec::new();
    let mut unknown = Vec::new();
    for word in text
        .split(TAG_SEPARATORS)
        .map(str::trim)
        .filter(|w| !w.is_empty())
    {
        match Tag::parse(word) {
            Some(t) if !tags.contains(&t) => tags.push(t),
            Some(_) => {}
            None => unknown.push(word.to_string()),
        }
    }
    (tags, unknown)
}

fn unknown_kind(text: &str) -> String {
    let zh: Vec<&str> = PlaceKind::ALL.iter().map(|k| k.label_zh()).collect();
    let en: Vec<&str> = PlaceKind::ALL.iter().map(|k| k.as_str()).collect();
    let v = table::shorten(text);
    format!(
        "未知类型「{v}」（可用：{}）/ unknown kind '{v}' (accepted: {})",
        zh.join("、"),
        en.join(", ")
    )
}

fn unknown_tag(text: &str) -> String {
    let zh: Vec<&str> = Tag::ALL.iter().map(|t| t.label_zh()).collect();
    let en: Vec<&str> = Tag::ALL.iter().map(|t| t.as_str()).collect();
    let v = table::shorten(text);
    format!(
        "未知标签「{v}」（可用：{}）/ unknown tag '{v}' (accepted: {})",
        zh.join("、"),
        en.join(", ")
    )
}
