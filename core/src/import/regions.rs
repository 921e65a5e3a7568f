//! Region and grid boundaries from a GeoJSON FeatureCollection.
//!
//! Each feature is one region or grid:
//!
//! | property | aliases | meaning |
//! |---|---|---|
//! | `code` | `编码`; else the feature's own `id` | stable code, text or a whole number |
//! | `name` | `名称` | display name |
//! | `level` | `层级`, `级别` | `city`/`市`, `township`/`street`/`乡镇`/`街道`, `village`/`community`/`村`/`社区`, `grid`/`网格` |
//! | `parent` | `parent_code`, `上级编码` | code of the region one level up; required except for a city |
//!
//! Geometry is a Polygon or MultiPolygon in WGS-84 `[lon, lat]` (a third,
//! altitude, number is dropped); a grid must have one, a city, township or
//! village may have `null`. Rings must be closed, have at least four
//! positions and be valid in the OGC sense (no self-intersection, holes
//! inside their shell, parts not overlapping). A region whose geometry is
//! present but bad is refused, never imported without its boundary.

use std::collections::HashMap;

use geo::algorithm::validation::{InvalidMultiPolygon, InvalidPolygon, RingRole};
use geo::{Coord, LineString, MultiPolygon, Polygon};
use serde_json::{Map, Value};

use super::boundary;
use super::coords::{self, Source};
use super::RowError;
use crate::error::{CoreError, Result};
use crate::grid::Grid;
use crate::limits::{import as lim, too_large, Budget};
use crate::region::{Region, RegionLevel};

const CODE_KEYS: &[&str] = &["code", "编码"];
const NAME_KEYS: &[&str] = &["name", "名称"];
const LEVEL_KEYS: &[&str] = &["level", "层级", "级别"];
const PARENT_KEYS: &[&str] = &["parent", "parent_code", "上级编码"];

/// What a GeoJSON file held. Records carry their feature index (`features[i]`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParsedRegions {
    /// Cities, townships and villages, in file order.
    pub regions: Vec<(u64, Region)>,
    /// Grids, in file order.
    pub grids: Vec<(u64, Grid)>,
    /// One entry per problem; `line` is the feature index.
    pub errors: Vec<RowError>,
}

/// Parse a FeatureCollection of regions and grids. Whole-file problems (not
/// JSON, not a FeatureCollection, no `features` array) are
/// `CoreError::Invalid`; a problem with one feature is a [`RowError`] and
/// that feature is left out while the others come through.
///
/// Parents are checked against the file only: a parent in the same file
/// must have the level one up; a parent that is not in the file is left to
/// the store to find.
pub fn parse_regions_geojson(text: &str) -> Result<ParsedRegions> {
    let budget = Budget::for_import();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.len() > lim::MAX_FILE_BYTES {
        let mib = lim::MAX_FILE_BYTES / (1024 * 1024);
        return Err(too_large(
            "file",
            format!("文件超过 {mib} MiB，请拆分 / the file is larger than {mib} MiB: split it"),
        ));
    }
    let root: Value = serde_json::from_str(text).map_err(|e| {
        CoreError::invalid(
            "file",
            format!(
                "不是有效的 JSON（第{}行第{}列）/ not valid JSON (line {}, column {}): {e}",
                e.line(),
                e.column(),
                e.line(),
                e.column()
            ),
        )
    })?;
    let Some(root) = root.as_object() else {
        return Err(CoreError::invalid(
            "file",
            "顶层应是 GeoJSON FeatureCollection 对象 / the top level must be a GeoJSON FeatureCollection object",
        ));
    };
    match root.get("type").and_then(Value::as_str) {
        Some("FeatureCollection") => {}
        Some(other) => {
            return Err(CoreError::invalid(
                "type",
                format!(
                    "顶层类型是 {other}，应为 FeatureCollection / the top-level type is {other}, expected FeatureCollection"
                ),
            ))
        }
        None => {
            return Err(CoreError::invalid(
                "type",
                "顶层缺少 \"type\": \"FeatureCollection\" / the top level has no \"type\": \"FeatureCollection\"",
            ))
        }
    }
    let Some(features) = root.get("features").and_then(Value::as_array) else {
        return Err(CoreError::invalid(
            "features",
            "缺少 features 数组 / the FeatureCollection has no \"features\" array",
        ));
    };

    if features.len() > lim::MAX_FEATURES {
        return Err(too_large(
            "features",
            format!(
                "文件有 {} 个要素，超过上限 {}，请拆分 / the file has {} features, more than the limit of {}: split it",
                features.len(),
                lim::MAX_FEATURES,
                features.len(),
                lim::MAX_FEATURES
            ),
        ));
    }
    let positions: usize = features
        .iter()
        .map(|f| f.get("geometry").map_or(0, |g| shape_of(g).0))
        .sum();
    if positions > lim::MAX_VERTICES_PER_FILE {
        return Err(too_large(
            "features",
            format!(
                "文件的边界共有 {positions} 个坐标点，超过上限 {}，请拆分文件或简化边界 / the file's boundaries have {positions} positions, more than the limit of {}: split the file or simplify the boundaries",
                lim::MAX_VERTICES_PER_FILE,
                lim::MAX_VERTICES_PER_FILE
            ),
        ));
    }

    let mut drafts: Vec<Draft> = Vec::with_capacity(features.len());
    for (i, f) in features.iter().enumerate() {
        budget.check()?;
        drafts.push(read_feature(i, f, &budget)?);
    }

    // First feature to use each code, with its level when readable.
    let mut first: HashMap<&str, (usize, Option<RegionLevel>)> = HashMap::new();
    for d in &drafts {
        if let Some(code) = d.code.as_deref() {
            first.entry(code).or_insert((d.index, d.level));
        }
    }

    let mut parsed = ParsedRegions::default();
    for d in &drafts {
        let mut errors = d.errors.clone();
        let p = |path: &str| format!("features[{}].{path}", d.index);
        if let Some(code) = d.code.as_deref() {
            if let Some(&(j, _)) = first.get(code) {
                if j != d.index {
                    errors.push(RowError::new(
                        d.index as u64,
                        p(&d.code_path),
                        format!(
                            "编码 {code} 与 features[{j}] 重复 / duplicate code {code}, first used by features[{j}]"
                        ),
                    ));
                }
            }
        }
        if let (Some(level), Some(parent)) = (d.level, d.parent.as_deref()) {
            if Some(parent) == d.code.as_deref() {
                errors.push(RowError::new(
                    d.index as u64,
                    p(&d.parent_path),
                    "上级编码不能是自己 / a region cannot be its own parent",
                ));
            } else if let Some(&(j, Some(parent_level))) = first.get(parent) {
                match level.parent_level() {
                    Some(expected) if expected != parent_level => errors.push(RowError::new(
                        d.index as u64,
                        p(&d.parent_path),
                        format!(
                            "上级 {parent}（features[{j}]）是{}，{}的上级应是{} / parent {parent} (features[{j}]) is a {}, but a {}'s parent must be a {}",
                            level_zh(parent_level),
                            level_zh(level),
                            level_zh(expected),
                            parent_level.as_str(),
                            level.as_str(),
                            expected.as_str()
                        ),
                    )),
                    None => errors.push(RowError::new(
                        d.index as u64,
                        p(&d.parent_path),
                        format!(
                            "市是最高一级，不能以 {parent}（features[{j}]）为上级 / a city is the top level and cannot have parent {parent} (features[{j}])"
                        ),
                    )),
                    Some(_) => {}
                }
            }
        }
        if !errors.is_empty() {
            parsed.errors.extend(errors);
            continue;
        }
        let (Some(code), Some(name), Some(level)) = (d.code.clone(), d.name.clone(), d.level)
        else {
            // Unreachable in practice: a missing field always records an error.
            continue;
        };
        let index = d.index as u64;
        match level {
            RegionLevel::Grid => {
                if let (Some(village_code), Some(boundary)) = (d.parent.clone(), d.boundary.clone())
                {
                    parsed.grids.push((
                        index,
                        Grid {
                            code,
                            name,
                            village_code,
                            boundary,
                        },
                    ));
                }
            }
            _ => parsed.regions.push((
                index,
                Region {
                    code,
                    name,
                    level,
                    parent_code: d.parent.clone(),
                    boundary: d.boundary.clone(),
                },
            )),
        }
    }
    tracing::debug!(
        features = features.len(),
        regions = parsed.regions.len(),
        grids = parsed.grids.len(),
        errors = parsed.errors.len(),
        "parsed region GeoJSON"
    );
    Ok(parsed)
}

fn level_zh(level: RegionLevel) -> &'static str {
    match level {
        RegionLevel::City => "市",
        RegionLevel::Township => "乡镇/街道",
        RegionLevel::Village => "村/社区",
        RegionLevel::Grid => "网格",
    }
}

/// One feature read on its own, before cross-feature checks.
#[derive(Debug)]
struct Draft {
    index: usize,
    code: Option<String>,
    /// Where the code came from, below `features[i]` (for error paths).
    code_path: String,
    name: Option<String>,
    level: Option<RegionLevel>,
    parent: Option<String>,
    /// Where the parent came from, below `features[i]`.
    parent_path: String,
    boundary: Option<MultiPolygon<f64>>,
    errors: Vec<RowError>,
}

fn read_feature(index: usize, feature: &Value, budget: &Budget) -> Result<Draft> {
    let mut d = Draft {
        index,
        code: None,
        code_path: "properties.code".to_string(),
        name: None,
        level: None,
        parent: None,
        parent_path: "properties.parent".to_string(),
        boundary: None,
        errors: Vec::new(),
    };
    let line = index as u64;
    let at = |path: &str| {
        if path.is_empty() {
            format!("features[{index}]")
        } else {
            format!("features[{index}].{path}")
        }
    };
    let Some(feature) = feature.as_object() else {
        d.errors.push(RowError::new(
            line,
            at(""),
            "要素不是 JSON 对象 / the feature is not a JSON object",
        ));
        return Ok(d);
    };
    match feature.get("type").and_then(Value::as_str) {
        Some("Feature") => {}
        other => d.errors.push(RowError::new(
            line,
            at("type"),
            format!(
                "要素类型应为 Feature，实际为 {} / the feature's type must be Feature, got {}",
                other.unwrap_or("（无）"),
                other.unwrap_or("nothing")
            ),
        )),
    }
    let empty = Map::new();
    let props = match feature.get("properties") {
        None | Some(Value::Null) => &empty,
        Some(Value::Object(m)) => m,
        Some(_) => {
            d.errors.push(RowError::new(
                line,
                at("properties"),
                "properties 应为对象 / properties must be an object",
            ));
            &empty
        }
    };

    // code (falls back to the feature's `id`)
    let mut code_source = find(props, CODE_KEYS).map(|(k, v)| (format!("properties.{k}"), v));
    if code_source.as_ref().is_none_or(|(_, v)| is_blank(v)) {
        if let Some(id) = feature.get("id").filter(|v| !is_blank(v)) {
            code_source = Some(("id".to_string(), id));
        }
    }
    match code_source {
        None => d.errors.push(RowError::new(
            line,
            at("properties.code"),
            "缺少编码 / code is missing",
        )),
        Some((path, value)) => {
            d.code_path = path.clone();
            match code_text(value) {
                Ok(Some(code)) => d.code = Some(code),
                Ok(None) => {
                    d.errors
                        .push(RowError::new(line, at(&path), "缺少编码 / code is missing"))
                }
                Err(reason) => d.errors.push(RowError::new(line, at(&path), reason)),
            }
        }
    }

    // name
    match find(props, NAME_KEYS) {
        None => d.errors.push(RowError::new(
            line,
            at("properties.name"),
            "缺少名称 / name is missing",
        )),
        Some((key, value)) => match plain_text(value) {
            Some(name) => d.name = Some(name),
            None => d.errors.push(RowError::new(
                line,
                at(&format!("properties.{key}")),
                "缺少名称 / name is missing",
            )),
        },
    }

    // level
    let level_path = find(props, LEVEL_KEYS).map_or("properties.level".to_string(), |(k, _)| {
        format!("properties.{k}")
    });
    match find(props, LEVEL_KEYS).and_then(|(_, v)| plain_text(v)) {
        None => d.errors.push(RowError::new(
            line,
            at(&level_path),
            "缺少层级 / level is missing (city, township, village or grid)",
        )),
        Some(text) => match RegionLevel::parse(&text) {
            Some(level) => d.level = Some(level),
            None => d.errors.push(RowError::new(
                line,
                at(&level_path),
                format!(
                    "未知层级「{}」（可用：市、乡镇/街道、村/社区、网格）/ unknown level '{}' (accepted: city, township, village, grid)",
                    super::table::shorten(&text),
                    super::table::shorten(&text)
                ),
            )),
        },
    }

    // parent
    let mut parent_malformed = false;
    if let Some((key, value)) = find(props, PARENT_KEYS) {
        d.parent_path = format!("properties.{key}");
        match code_text(value) {
            Ok(parent) => d.parent = parent,
            Err(reason) => {
                parent_malformed = true;
                d.errors
                    .push(RowError::new(line, at(&d.parent_path), reason));
            }
        }
    }
    if d.parent.is_none() && !parent_malformed {
        if let Some(expected) = d.level.and_then(RegionLevel::parent_level) {
            d.errors.push(RowError::new(
                line,
                at(&d.parent_path),
                format!(
                    "缺少上级编码（所属{}）/ parent code is missing (the {} this belongs to)",
                    level_zh(expected),
                    expected.as_str()
                ),
            ));
        }
    }

    // geometry
    match feature.get("geometry") {
        None | Some(Value::Null) => {
            if d.level == Some(RegionLevel::Grid) {
                d.errors.push(RowError::new(
                    line,
                    at("geometry"),
                    "网格必须有边界（Polygon 或 MultiPolygon）/ a grid must have a boundary (Polygon or MultiPolygon)",
                ));
            }
        }
        Some(geometry) => match read_boundary(geometry, budget)? {
            Ok(boundary) => d.boundary = Some(boundary),
            Err((path, reason)) => {
                let path = if path.is_empty() {
                    "geometry".to_string()
                } else {
                    format!("geometry.{path}")
                };
                d.errors.push(RowError::new(line, at(&path), reason));
            }
        },
    }
    Ok(d)
}

/// The first property present under any of `keys`.
fn find<'a>(
    props: &'a Map<String, Value>,
    keys: &[&'static str],
) -> Option<(&'static str, &'a Value)> {
    keys.iter().find_map(|k| props.get(*k).map(|v| (*k, v)))
}

fn is_blank(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        _ => false,
    }
}

/// A code: text, or a whole JSON number (administrative codes often are).
fn code_text(v: &Value) -> Result<Option<String>, String> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) => {
            let s = super::table::fold_full_width(s).trim().to_string();
            Ok((!s.is_empty()).then_some(s))
        }
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => Ok(Some(u.to_string())),
            (None, Some(i)) if i >= 0 => Ok(Some(i.to_string())),
            _ => Err(format!(
                "编码应为文本或非负整数，实际为 {n} / a code must be text or a whole non-negative number, got {n}"
            )),
        },
        _ => Err("编码应为文本 / a code must be text".to_string()),
    }
}

fn plain_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => {
            let s = s.trim();
            (!s.is_empty()).then(|| s.to_string())
        }
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// (positions, rings) of a Polygon's or MultiPolygon's `coordinates`,
/// counted on the JSON before anything is built from it (other shapes: 0).
fn shape_of(geometry: &Value) -> (usize, usize) {
    let coordinates = geometry.get("coordinates").and_then(Value::as_array);
    let polygons: Vec<&Value> = match (geometry.get("type").and_then(Value::as_str), coordinates) {
        (Some("Polygon"), Some(_)) => vec![&geometry["coordinates"]],
        (Some("MultiPolygon"), Some(polygons)) => polygons.iter().collect(),
        _ => Vec::new(),
    };
    let rings = polygons.iter().filter_map(|p| p.as_array()).flatten();
    rings.fold((0, 0), |(positions, count), ring| {
        (positions + ring.as_array().map_or(0, Vec::len), count + 1)
    })
}

/// A Polygon or MultiPolygon geometry, checked. The inner error is a path
/// below `geometry` (possibly empty) and a reason; the outer one is the
/// import's time budget running out.
#[allow(clippy::type_complexity)]
fn read_boundary(
    value: &Value,
    budget: &Budget,
) -> Result<Result<MultiPolygon<f64>, (String, String)>> {
    macro_rules! refuse {
        ($path:expr, $reason:expr) => {
            return Ok(Err(($path, $reason)))
        };
    }
    let (positions, rings) = shape_of(value);
    if positions > lim::MAX_VERTICES_PER_FEATURE {
        refuse!(
            "coordinates".to_string(),
            format!(
                "边界有 {positions} 个坐标点，超过上限 {}，请简化边界 / the boundary has {positions} positions, more than the limit of {}: simplify it",
                lim::MAX_VERTICES_PER_FEATURE,
                lim::MAX_VERTICES_PER_FEATURE
            )
        );
    }
    if rings > lim::MAX_RINGS_PER_FEATURE {
        refuse!(
            "coordinates".to_string(),
            format!(
                "边界有 {rings} 个环（多边形与洞），超过上限 {} / the boundary has {rings} rings (polygons and holes), more than the limit of {}",
                lim::MAX_RINGS_PER_FEATURE,
                lim::MAX_RINGS_PER_FEATURE
            )
        );
    }
    let (boundary, single) = match read_shape(value) {
        Ok(shape) => shape,
        Err(problem) => return Ok(Err(problem)),
    };
    if let Some(e) = boundary::first_problem(&boundary, budget)? {
        refuse!(String::new(), multipolygon_reason(&e, single));
    }
    Ok(Ok(boundary))
}

/// The geometry built and its positions checked (ranges, closed rings),
/// with whether it was a single Polygon; validity is checked after.
fn read_shape(value: &Value) -> Result<(MultiPolygon<f64>, bool), (String, String)> {
    let type_name = value.get("type").and_then(Value::as_str).unwrap_or("");
    if type_name != "Polygon" && type_name != "MultiPolygon" {
        let shown = if type_name.is_empty() {
            "（无）"
        } else {
            type_name
        };
        return Err((
            "type".to_string(),
            format!(
                "边界的几何类型必须是 Polygon 或 MultiPolygon，实际为 {shown} / the geometry must be a Polygon or MultiPolygon, got {}",
                if type_name.is_empty() { "nothing" } else { type_name }
            ),
        ));
    }
    let geometry: ::geojson::Geometry = serde_json::from_value(value.clone()).map_err(|e| {
        (
            "coordinates".to_string(),
            format!("几何坐标无法读取 / the geometry's coordinates cannot be read: {e}"),
        )
    })?;
    // (path prefix, rings) for each polygon
    let polygons: Vec<(String, &Vec<Vec<::geojson::Position>>)> = match &geometry.value {
        ::geojson::GeometryValue::Polygon { coordinates } => {
            vec![("coordinates".to_string(), coordinates)]
        }
        ::geojson::GeometryValue::MultiPolygon { coordinates } => coordinates
            .iter()
            .enumerate()
            .map(|(p, rings)| (format!("coordinates[{p}]"), rings))
            .collect(),
        _ => Vec::new(),
    };
    if polygons.is_empty() {
        return Err((
            "coordinates".to_string(),
            "边界里没有任何多边形 / the geometry has no polygon".to_string(),
        ));
    }

    let mut all_points: Vec<(f64, f64)> = Vec::new();
    let mut point_paths: Vec<String> = Vec::new();
    let mut built: Vec<Polygon<f64>> = Vec::new();
    for (prefix, rings) in &polygons {
        if rings.is_empty() {
            return Err((
                prefix.clone(),
                "多边形没有外环 / the polygon has no exterior ring".to_string(),
            ));
        }
        let mut line_strings = Vec::new();
        for (r, ring) in rings.iter().enumerate() {
            let ring_path = format!("{prefix}[{r}]");
            let mut coords_of_ring = Vec::with_capacity(ring.len());
            for (k, pos) in ring.iter().enumerate() {
                let s = pos.as_slice();
                if s.len() < 2 {
                    return Err((
                        format!("{ring_path}[{k}]"),
                        "坐标点至少要有经度、纬度两个数 / a position needs at least [lon, lat]"
                            .to_string(),
                    ));
                }
                coords_of_ring.push(Coord { x: s[0], y: s[1] });
                all_points.push((s[0], s[1]));
                point_paths.push(format!("{ring_path}[{k}]"));
            }
            if coords_of_ring.len() < 4 {
                return Err((
                    ring_path,
                    format!(
                        "环至少需要 4 个坐标点（首尾相同），实际只有 {} 个 / a ring needs at least 4 positions (the first repeated at the end), got {}",
                        coords_of_ring.len(),
                        coords_of_ring.len()
                    ),
                ));
            }
            if coords_of_ring.first() != coords_of_ring.last() {
                return Err((
                    ring_path,
                    "环没有闭合：首尾坐标不同 / the ring is not closed: its first and last positions differ".to_string(),
                ));
            }
            line_strings.push(LineString::new(coords_of_ring));
        }
        let mut iter = line_strings.into_iter();
        if let Some(exterior) = iter.next() {
            built.push(Polygon::new(exterior, iter.collect()));
        }
    }

    if let Err(problem) = coords::check(&all_points) {
        let path = match &problem {
            coords::CoordProblem::OutOfRange { index, .. } => point_paths
                .get(*index)
                .cloned()
                .unwrap_or_else(|| "coordinates".to_string()),
            _ => "coordinates".to_string(),
        };
        return Err((path, problem.reason(Source::GeoJson)));
    }

    let single = built.len() == 1 && type_name == "Polygon";
    Ok((MultiPolygon::new(built), single))
}

fn ring_names(ring: &RingRole) -> (String, String) {
    match ring {
        RingRole::Exterior => ("外环".to_string(), "the exterior ring".to_string()),
        RingRole::Interior(i) => (
            format!("第{}个内环（洞）", i + 1),
            format!("interior ring {i} (a hole)"),
        ),
    }
}

fn polygon_reason(e: &InvalidPolygon) -> (String, String) {
    match e {
        InvalidPolygon::TooFewPointsInRing(r) => {
            let (zh, en) = ring_names(r);
            (
                format!("{zh}不同的点少于 3 个"),
                format!("{en} has fewer than 3 distinct points"),
            )
        }
        InvalidPolygon::SelfIntersection(r) => {
            let (zh, en) = ring_names(r);
            (
                format!("{zh}自相交（边界线交叉，如“8”字形）"),
                format!("{en} crosses itself (e.g. a bow-tie)"),
            )
        }
        InvalidPolygon::NonFiniteCoord(r, idx) => {
            let (zh, en) = ring_names(r);
            (
                format!("{zh}第{}个坐标不是有限数", idx.0),
                format!("{en} has a non-finite coordinate at position {}", idx.0),
            )
        }
        InvalidPolygon::InteriorRingNotContainedInExteriorRing(r) => {
            let (zh, en) = ring_names(r);
            (
                format!("{zh}不在外环之内"),
                format!("{en} is not inside the exterior ring"),
            )
        }
        InvalidPolygon::IntersectingRingsOnALine(a, b) => {
            let ((za, ea), (zb, eb)) = (ring_names(a), ring_names(b));
            (
                format!("{za}与{zb}有重合的边"),
                format!("{ea} and {eb} share an edge"),
            )
        }
        InvalidPolygon::IntersectingRingsOnAnArea(a, b) => {
            let ((za, ea), (zb, eb)) = (ring_names(a), ring_names(b));
            (
                format!("{za}与{zb}相互重叠"),
                format!("{ea} and {eb} overlap"),
            )
        }
    }
}

fn multipolygon_reason(e: &InvalidMultiPolygon, single: bool) -> String {
    let (zh, en) = match e {
        InvalidMultiPolygon::InvalidPolygon(idx, inner) => {
            let (zh, en) = polygon_reason(inner);
            if single {
                (zh, en)
            } else {
                (
                    format!("第{}个多边形：{zh}", idx.0 + 1),
                    format!("polygon {}: {en}", idx.0),
                )
            }
        }
        InvalidMultiPolygon::ElementsOverlaps(a, b) => (
            format!("第{}个与第{}个多边形相互重叠", a.0 + 1, b.0 + 1),
            format!("polygons {} and {} overlap", a.0, b.0),
        ),
        InvalidMultiPolygon::ElementsTouchOnALine(a, b) => (
            format!(
                "第{}个与第{}个多边形共用一条边，应合并为一个",
                a.0 + 1,
                b.0 + 1
            ),
            format!(
                "polygons {} and {} share an edge; merge them into one",
                a.0, b.0
            ),
        ),
    };
    format!("边界无效：{zh} / invalid boundary: {en}")
}
