//! Behaviour of the import parsers. Test names all start with `import_` (and
//! live under `import::tests`) so `cargo test -p gridwork-core import` runs
//! exactly these.

use serde_json::{json, Value};

use super::*;
use crate::error::CoreError;
use crate::household::{Household, PlaceKind, Tag};
use crate::pii::id_check_char;
use crate::region::RegionLevel;

// ---------------------------------------------------------------------------
// GeoJSON fixtures

fn square(x: f64, y: f64, size: f64) -> Value {
    json!({
        "type": "Polygon",
        "coordinates": [[[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]]
    })
}

fn feature(props: Value, geometry: Value) -> Value {
    json!({ "type": "Feature", "properties": props, "geometry": geometry })
}

fn collection(features: Vec<Value>) -> String {
    json!({ "type": "FeatureCollection", "features": features }).to_string()
}

fn region(code: &str, level: &str, parent: Option<&str>) -> Value {
    let mut props = json!({ "code": code, "name": format!("{code} 名称"), "level": level });
    if let Some(p) = parent {
        props["parent"] = json!(p);
    }
    feature(props, Value::Null)
}

fn grid(code: &str, parent: &str, geometry: Value) -> Value {
    feature(
        json!({ "code": code, "name": format!("{code} 网格"), "level": "grid", "parent": parent }),
        geometry,
    )
}

/// A city, township and village with no geometry, then the given features.
fn with_hierarchy(mut rest: Vec<Value>) -> String {
    let mut features = vec![
        region("C1", "city", None),
        region("T1", "township", Some("C1")),
        region("V1", "village", Some("T1")),
    ];
    features.append(&mut rest);
    collection(features)
}

fn errors_at(parsed: &ParsedRegions, index: u64) -> Vec<&RowError> {
    parsed.errors.iter().filter(|e| e.line == index).collect()
}

fn grid_codes(parsed: &ParsedRegions) -> Vec<&str> {
    parsed.grids.iter().map(|(_, g)| g.code.as_str()).collect()
}

// ---------------------------------------------------------------------------
// GeoJSON

#[test]
fn import_geojson_hierarchy_concave_and_holed_multipolygon_import_fine() {
    // An L-shaped (concave) grid, and a two-part grid whose first part has a hole.
    let concave = json!({
        "type": "Polygon",
        "coordinates": [[[116.0, 39.0], [116.2, 39.0], [116.2, 39.1], [116.1, 39.1],
                         [116.1, 39.2], [116.0, 39.2], [116.0, 39.0]]]
    });
    let holed = json!({
        "type": "MultiPolygon",
        "coordinates": [
            [[[116.3, 39.0], [116.5, 39.0], [116.5, 39.2], [116.3, 39.2], [116.3, 39.0]],
             [[116.35, 39.05], [116.35, 39.15], [116.45, 39.15], [116.45, 39.05], [116.35, 39.05]]],
            [[[116.6, 39.0], [116.7, 39.0], [116.7, 39.1], [116.6, 39.1], [116.6, 39.0]]]
        ]
    });
    let text = with_hierarchy(vec![grid("G1", "V1", concave), grid("G2", "V1", holed)]);
    let parsed = parse_regions_geojson(&text).unwrap();
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let regions: Vec<(u64, &str, RegionLevel, Option<&str>)> = parsed
        .regions
        .iter()
        .map(|(i, r)| (*i, r.code.as_str(), r.level, r.parent_code.as_deref()))
        .collect();
    assert_eq!(
        regions,
        vec![
            (0, "C1", RegionLevel::City, None),
            (1, "T1", RegionLevel::Township, Some("C1")),
            (2, "V1", RegionLevel::Village, Some("T1")),
        ]
    );
    assert!(parsed.regions.iter().all(|(_, r)| r.boundary.is_none()));
    assert_eq!(grid_codes(&parsed), ["G1", "G2"]);
    let (i, g2) = &parsed.grids[1];
    assert_eq!(*i, 4);
    assert_eq!(g2.village_code, "V1");
    assert_eq!(g2.boundary.0.len(), 2);
    assert_eq!(g2.boundary.0[0].interiors().len(), 1);
    // A point inside the hole is not in the grid; a point in the ring is.
    use geo::Contains;
    assert!(!g2.boundary.contains(&geo::point!(x: 116.4, y: 39.1)));
    assert!(g2.boundary.contains(&geo::point!(x: 116.32, y: 39.1)));
}

#[test]
fn import_geojson_not_json_is_a_whole_file_error() {
    let err =
        parse_regions_geojson("{\"type\": \"FeatureCollection\", \"features\": [").unwrap_err();
    match err {
        CoreError::Invalid { field, reason } => {
            assert_eq!(field, "file");
            assert!(reason.contains("not valid JSON"), "{reason}");
            assert!(reason.contains("line 1"), "{reason}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn import_geojson_wrong_top_level_type_is_a_whole_file_error() {
    let single = feature(json!({"code": "G1"}), square(116.0, 39.0, 0.1)).to_string();
    let err = parse_regions_geojson(&single).unwrap_err();
    assert!(
        err.to_string()
            .contains("the top-level type is Feature, expected FeatureCollection"),
        "{err}"
    );

    let err = parse_regions_geojson("[1, 2]").unwrap_err();
    assert!(err.to_string().contains("FeatureCollection"), "{err}");

    let err = parse_regions_geojson(r#"{"type": "FeatureCollection"}"#).unwrap_err();
    assert!(err.to_string().contains("\"features\""), "{err}");
}

#[test]
fn import_geojson_feature_without_code_is_reported_and_the_others_come_through() {
    let nameless = feature(
        json!({ "name": "无编码网格", "level": "grid", "parent": "V1" }),
        square(116.1, 39.0, 0.1),
    );
    let text = with_hierarchy(vec![
        grid("G1", "V1", square(116.0, 39.0, 0.1)),
        nameless,
        grid("G3", "V1", square(116.2, 39.0, 0.1)),
    ]);
    let parsed = parse_regions_geojson(&text).unwrap();
    assert_eq!(grid_codes(&parsed), ["G1", "G3"]);
    assert_eq!(parsed.regions.len(), 3);
    assert_eq!(parsed.errors.len(), 1, "{:?}", parsed.errors);
    let e = &parsed.errors[0];
    assert_eq!(e.line, 4);
    assert_eq!(e.field, "features[4].properties.code");
    assert!(e.reason.contains("缺少编码") && e.reason.contains("code is missing"));
    assert_eq!(
        e.to_string(),
        "features[4].properties.code: 缺少编码 / code is missing"
    );
}

#[test]
fn import_geojson_missing_fields_unknown_level_and_missing_parent_are_each_reported() {
    let text = collection(vec![
        // 0: no name, unknown level
        feature(json!({ "code": "X0", "level": "province" }), Value::Null),
        // 1: village without parent
        region("V9", "village", None),
        // 2: grid without geometry
        grid("G9", "V9", Value::Null),
        // 3: properties null altogether
        json!({ "type": "Feature", "properties": null, "geometry": null }),
    ]);
    let parsed = parse_regions_geojson(&text).unwrap();
    assert!(parsed.regions.is_empty() && parsed.grids.is_empty());
    let fields = |i| {
        errors_at(&parsed, i)
            .iter()
            .map(|e| e.field.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        fields(0),
        [
            "features[0].properties.name",
            "features[0].properties.level"
        ]
    );
    assert!(errors_at(&parsed, 0)[1]
        .reason
        .contains("unknown level 'province'"));
    assert_eq!(fields(1), ["features[1].properties.parent"]);
    assert!(errors_at(&parsed, 1)[0]
        .reason
        .contains("parent code is missing (the township"));
    assert_eq!(fields(2), ["features[2].geometry"]);
    assert!(errors_at(&parsed, 2)[0]
        .reason
        .contains("a grid must have a boundary"));
    assert_eq!(
        fields(3),
        [
            "features[3].properties.code",
            "features[3].properties.name",
            "features[3].properties.level"
        ]
    );
}

#[test]
fn import_geojson_bad_geometries_are_refused_at_their_feature() {
    let point = json!({ "type": "Point", "coordinates": [116.0, 39.0] });
    let unclosed = json!({
        "type": "Polygon",
        "coordinates": [[[116.0, 39.0], [116.1, 39.0], [116.1, 39.1], [116.0, 39.1]]]
    });
    let too_few = json!({
        "type": "Polygon",
        "coordinates": [[[116.0, 39.0], [116.1, 39.0], [116.0, 39.0]]]
    });
    let not_numbers = json!({ "type": "Polygon", "coordinates": [[["a", "b"]]] });
    let text = with_hierarchy(vec![
        grid("G1", "V1", point),
        grid("G2", "V1", unclosed),
        grid("G3", "V1", too_few),
        grid("G4", "V1", not_numbers),
        grid("G5", "V1", square(116.5, 39.5, 0.1)),
    ]);
    let parsed = parse_regions_geojson(&text).unwrap();
    assert_eq!(grid_codes(&parsed), ["G5"]);
    assert_eq!(parsed.regions.len(), 3);
    let e = |i| errors_at(&parsed, i)[0].clone();
    assert_eq!(e(3).field, "features[3].geometry.type");
    assert!(e(3)
        .reason
        .contains("must be a Polygon or MultiPolygon, got Point"));
    assert_eq!(e(4).field, "features[4].geometry.coordinates[0]");
    assert!(e(4).reason.contains("not closed"), "{}", e(4).reason);
    assert_eq!(e(5).field, "features[5].geometry.coordinates[0]");
    assert!(
        e(5).reason.contains("at least 4 positions"),
        "{}",
        e(5).reason
    );
    assert_eq!(e(6).field, "features[6].geometry.coordinates");
    assert!(e(6).reason.contains("cannot be read"), "{}", e(6).reason);
    assert_eq!(parsed.errors.len(), 4);
}

#[test]
fn import_geojson_self_intersecting_bowtie_is_refused() {
    let bowtie = json!({
        "type": "Polygon",
        "coordinates": [[[116.0, 39.0], [116.1, 39.1], [116.1, 39.0], [116.0, 39.1], [116.0, 39.0]]]
    });
    let text = with_hierarchy(vec![
        grid("G1", "V1", square(116.3, 39.0, 0.1)),
        grid("G2", "V1", bowtie),
    ]);
    let parsed = parse_regions_geojson(&text).unwrap();
    assert_eq!(grid_codes(&parsed), ["G1"]);
    assert_eq!(parsed.errors.len(), 1);
    let e = &parsed.errors[0];
    assert_eq!((e.line, e.field.as_str()), (4, "features[4].geometry"));
    assert!(e.reason.contains("外环自相交"), "{}", e.reason);
    assert!(
        e.reason.contains("the exterior ring crosses itself"),
        "{}",
        e.reason
    );
}

#[test]
fn import_geojson_overlapping_multipolygon_parts_are_refused() {
    let overlapping = json!({
        "type": "MultiPolygon",
        "coordinates": [
            [[[116.0, 39.0], [116.2, 39.0], [116.2, 39.2], [116.0, 39.2], [116.0, 39.0]]],
            [[[116.1, 39.1], [116.3, 39.1], [116.3, 39.3], [116.1, 39.3], [116.1, 39.1]]]
        ]
    });
    let parsed =
        parse_regions_geojson(&with_hierarchy(vec![grid("G1", "V1", overlapping)])).unwrap();
    assert!(parsed.grids.is_empty());
    assert!(
        parsed.errors[0].reason.contains("polygons 0 and 1 overlap"),
        "{:?}",
        parsed.errors
    );
}

#[test]
fn import_geojson_swapped_lat_lon_and_projected_metres_get_their_own_errors() {
    // Beijing written as [lat, lon].
    let swapped = json!({
        "type": "Polygon",
        "coordinates": [[[39.9, 116.3], [39.9, 116.4], [40.0, 116.4], [40.0, 116.3], [39.9, 116.3]]]
    });
    // Gauss-Krüger metres with zone prefix.
    let metres = json!({
        "type": "Polygon",
        "coordinates": [[[39_500_000.0, 4_400_000.0], [39_501_000.0, 4_400_000.0],
                         [39_501_000.0, 4_401_000.0], [39_500_000.0, 4_400_000.0]]]
    });
    let out_of_range = json!({
        "type": "Polygon",
        "coordinates": [[[179.0, 80.0], [181.0, 80.0], [181.0, 81.0], [179.0, 80.0]]]
    });
    let text = with_hierarchy(vec![
        grid("G1", "V1", swapped),
        grid("G2", "V1", metres),
        grid("G3", "V1", out_of_range),
        grid("G4", "V1", square(116.0, 39.0, 0.1)),
    ]);
    let parsed = parse_regions_geojson(&text).unwrap();
    assert_eq!(grid_codes(&parsed), ["G4"]);
    let e = |i| errors_at(&parsed, i)[0].clone();
    assert_eq!(e(3).field, "features[3].geometry.coordinates");
    assert!(e(3).reason.contains("look swapped"), "{}", e(3).reason);
    assert!(e(3).reason.contains("经纬度顺序疑似颠倒"));
    assert!(e(4).reason.contains("projected metres"), "{}", e(4).reason);
    assert_eq!(e(5).field, "features[5].geometry.coordinates[0][1]");
    assert!(e(5).reason.contains("got (181, 80)"), "{}", e(5).reason);
}

#[test]
fn import_geojson_duplicate_codes_keep_the_first_and_name_it() {
    let text = with_hierarchy(vec![
        grid("G1", "V1", square(116.0, 39.0, 0.1)),
        grid("G2", "V1", square(116.2, 39.0, 0.1)),
        grid("G1", "V1", square(116.4, 39.0, 0.1)),
        // A region may not reuse a grid's code either.
        region("G2", "village", Some("T1")),
    ]);
    let parsed = parse_regions_geojson(&text).unwrap();
    assert_eq!(grid_codes(&parsed), ["G1", "G2"]);
    assert_eq!(parsed.grids[0].0, 3, "the first G1 is kept");
    assert_eq!(parsed.regions.len(), 3);
    assert_eq!(parsed.errors.len(), 2);
    assert_eq!(parsed.errors[0].line, 5);
    assert_eq!(parsed.errors[0].field, "features[5].properties.code");
    assert!(parsed.errors[0]
        .reason
        .contains("duplicate code G1, first used by features[3]"));
    assert_eq!(parsed.errors[1].line, 6);
    assert!(parsed.errors[1]
        .reason
        .contains("first used by features[4]"));
}

#[test]
fn import_geojson_parent_of_the_wrong_level_in_the_same_file_is_refused() {
    let text = with_hierarchy(vec![
        // A grid hung directly under a township.
        grid("G1", "T1", square(116.0, 39.0, 0.1)),
        // A parent not in the file is left to the store.
        grid("G2", "V-elsewhere", square(116.2, 39.0, 0.1)),
        region("V2", "village", Some("C1")),
    ]);
    let parsed = parse_regions_geojson(&text).unwrap();
    assert_eq!(grid_codes(&parsed), ["G2"]);
    assert_eq!(parsed.errors.len(), 2, "{:?}", parsed.errors);
    assert_eq!(parsed.errors[0].field, "features[3].properties.parent");
    assert!(
        parsed.errors[0].reason.contains(
            "parent T1 (features[1]) is a township, but a grid's parent must be a village"
        ),
        "{}",
        parsed.errors[0].reason
    );
    assert_eq!(parsed.errors[1].line, 5);
    assert!(parsed.errors[1]
        .reason
        .contains("a village's parent must be a township"));
}

#[test]
fn import_geojson_accepts_chinese_keys_levels_and_numeric_codes() {
    let text = collection(vec![
        json!({ "type": "Feature", "id": 4403,
                "properties": { "名称": "深圳市", "层级": "市" }, "geometry": null }),
        json!({ "type": "Feature",
                "properties": { "编码": 440308001, "名称": "某街道", "级别": "街道", "上级编码": 4403 },
                "geometry": square(114.2, 22.5, 0.2) }),
        json!({ "type": "Feature",
                "properties": { "编码": "４４０３０８００１００１", "名称": "某社区", "层级": "社区", "上级编码": "440308001" },
                "geometry": null }),
        json!({ "type": "Feature",
                "properties": { "编码": 12.5, "名称": "坏编码", "层级": "网格", "上级编码": "440308001001" },
                "geometry": square(114.2, 22.5, 0.01) }),
    ]);
    let parsed = parse_regions_geojson(&text).unwrap();
    let regions: Vec<(&str, RegionLevel, Option<&str>, bool)> = parsed
        .regions
        .iter()
        .map(|(_, r)| {
            (
                r.code.as_str(),
                r.level,
                r.parent_code.as_deref(),
                r.boundary.is_some(),
            )
        })
        .collect();
    assert_eq!(
        regions,
        vec![
            ("4403", RegionLevel::City, None, false),
            ("440308001", RegionLevel::Township, Some("4403"), true),
            (
                "440308001001",
                RegionLevel::Village,
                Some("440308001"),
                false
            ),
        ]
    );
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].field, "features[3].properties.编码");
    assert!(parsed.errors[0].reason.contains("got 12.5"));
}

// ---------------------------------------------------------------------------
// Households

const HOUSEHOLDS_CSV: &str = "\
户编码,网格编码,类型,户主,地址,经度,纬度,标签
H001,G01,住户,张三,幸福路1号,116.397,39.909,独居老人、残疾人
H002,G01,商铺,李四小卖部,\"幸福路2号,一楼\",116.398,39.910,

H003,G02,,王五,幸福路3号, 116.399 , 39.911 ,留守儿童；残疾人
";

fn expected_households() -> Vec<(u64, Household)> {
    vec![
        (
            2,
            Household {
                code: "H001".into(),
                grid_code: "G01".into(),
                kind: PlaceKind::Household,
                name: "张三".into(),
                address: "幸福路1号".into(),
                lat: 39.909,
                lon: 116.397,
                tags: vec![Tag::ElderlyAlone, Tag::Disabled],
            },
        ),
        (
            3,
            Household {
                code: "H002".into(),
                grid_code: "G01".into(),
                kind: PlaceKind::Shop,
                name: "李四小卖部".into(),
                address: "幸福路2号,一楼".into(),
                lat: 39.910,
                lon: 116.398,
                tags: vec![],
            },
        ),
        (
            5,
            Household {
                code: "H003".into(),
                grid_code: "G02".into(),
                kind: PlaceKind::Household,
                name: "王五".into(),
                address: "幸福路3号".into(),
                lat: 39.911,
                lon: 116.399,
                tags: vec![Tag::LeftBehindChild, Tag::Disabled],
            },
        ),
    ]
}

fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable);
    bytes.into_owned()
}

fn csv_households(text: &str) -> ParsedHouseholds {
    parse_households(text.as_bytes(), TableFormat::Csv).unwrap()
}

#[test]
fn import_households_utf8_bom_and_gbk_parse_identically() {
    let plain = csv_households(HOUSEHOLDS_CSV);
    let mut bom = b"\xEF\xBB\xBF".to_vec();
    bom.extend_from_slice(HOUSEHOLDS_CSV.as_bytes());
    let with_bom = parse_households(&bom, TableFormat::Csv).unwrap();
    let gbk_bytes = gbk(HOUSEHOLDS_CSV);
    assert!(
        std::str::from_utf8(&gbk_bytes).is_err(),
        "the fixture really is GBK"
    );
    let from_gbk = parse_households(&gbk_bytes, TableFormat::Csv).unwrap();

    assert_eq!(plain.encoding, "UTF-8");
    assert_eq!(with_bom.encoding, "UTF-8 (BOM)");
    assert_eq!(from_gbk.encoding, "GBK");
    for parsed in [&plain, &with_bom, &from_gbk] {
        assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        assert_eq!(parsed.rows, expected_households());
    }
}

#[test]
fn import_households_utf16_tab_separated_from_excel_unicode_text() {
    let tsv = HOUSEHOLDS_CSV
        .replace(",\"幸福路2号,一楼\",", "\t幸福路2号,一楼\t")
        .replace(',', "\t")
        .replace("幸福路2号\t一楼", "幸福路2号,一楼");
    let mut bytes = vec![0xFF, 0xFE];
    for unit in tsv.encode_utf16() {
        bytes.extend_from_slice(&unit.to_le_bytes());
    }
    let parsed = parse_households(&bytes, TableFormat::Csv).unwrap();
    assert_eq!(parsed.encoding, "UTF-16LE (BOM)");
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    assert_eq!(parsed.rows, expected_households());
}

#[test]
fn import_households_english_headers_in_any_order_and_header_notes() {
    let text = "\
*Lat,LON,Address,Name,Grid Code,code,经度（WGS84）x,Remarks
39.909,116.397,幸福路1号,张三,G01,H001,ignored,ignored
";
    // `经度（WGS84）x` does not end in a note, so it is just an unknown column.
    let parsed = csv_households(text);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    assert_eq!(parsed.rows.len(), 1);
    let (line, h) = &parsed.rows[0];
    assert_eq!(*line, 2);
    assert_eq!((h.lon, h.lat), (116.397, 39.909));
    assert_eq!(h.kind, PlaceKind::Household);

    let noted = "户编码（必填）,网格编码*,户主,地址,经度（WGS84）,纬度（WGS84）\nH1,G1,张三,某路,116.4,39.9\n";
    let parsed = csv_households(noted);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    assert_eq!(parsed.rows.len(), 1);
}

#[test]
fn import_households_missing_columns_name_each_column_and_import_nothing() {
    let text = "户编码,网格编码,户主,经度\nH001,G01,张三,116.397\n";
    let parsed = csv_households(text);
    assert!(parsed.rows.is_empty());
    let fields: Vec<(u64, &str)> = parsed
        .errors
        .iter()
        .map(|e| (e.line, e.field.as_str()))
        .collect();
    assert_eq!(fields, [(1, "address"), (1, "lat")]);
    assert!(parsed.errors[0].reason.contains("缺少必填列「地址」"));
    assert!(parsed.errors[1]
        .reason
        .contains("accepted headers: 纬度, lat, latitude"));

    let doubled = "户编码,code,网格编码,户主,地址,经度,纬度\nH1,H1,G1,张三,某路,116.4,39.9\n";
    let parsed = csv_households(doubled);
    assert!(parsed.rows.is_empty());
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].field, "code");
    assert!(parsed.errors[0].reason.contains("columns 1 and 2"));
}

#[test]
fn import_households_duplicate_codes_name_the_first_line() {
    let text = "\
编码,网格编码,名称,地址,经度,纬度
H001,G01,张三,一号,116.397,39.909
H002,G01,李四,二号,116.397,39.909
H001,G01,王五,三号,116.397,39.909
";
    let parsed = csv_households(text);
    let codes: Vec<&str> = parsed.rows.iter().map(|(_, h)| h.code.as_str()).collect();
    assert_eq!(codes, ["H001", "H002"]);
    assert_eq!(parsed.rows[0].1.name, "张三", "the first row wins");
    assert_eq!(parsed.errors.len(), 1);
    let e = &parsed.errors[0];
    assert_eq!((e.line, e.field.as_str()), (4, "编码"));
    assert!(e.reason.contains("first used on line 2"), "{}", e.reason);
    assert_eq!(
        e.to_string(),
        "第4行 编码 / line 4, 编码: 户编码 H001 与第2行重复 / duplicate household code H001, first used on line 2"
    );
}

#[test]
fn import_households_row_errors_name_line_and_column_and_good_rows_survive() {
    let text = "\
户编码,网格编码,类型,户主,地址,经度,纬度,标签
H001,G01,住户,张三,一号,116.397,39.909,
H002,,住户,,二号,116.397,39.909,
H003,G01,城堡,王五,三号,116.397,39.909,
H004,G01,住户,赵六,四号,东经116度,39.909,
H005,G01,住户,钱七,五号,39.909,116.397,
H006,G01,住户,孙八,六号,12697000,4380000,
H007,G01,住户,周九,七号,116.397,39.909,独居老人、富豪

H008,G01,住户,吴十,八号,0,0,
H009,G01,住户,郑一,九号,２００,39.9,
H010,G01,企业,某厂,十号,１１６．３９７,39.909,企业
";
    let parsed = csv_households(text);
    let codes: Vec<&str> = parsed.rows.iter().map(|(_, h)| h.code.as_str()).collect();
    assert_eq!(codes, ["H001", "H010"]);
    assert_eq!(parsed.rows[1].0, 12, "line numbers count the blank line");
    assert_eq!(
        parsed.rows[1].1.lon, 116.397,
        "full-width digits are folded"
    );
    let got: Vec<(u64, &str)> = parsed
        .errors
        .iter()
        .map(|e| (e.line, e.field.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (3, "网格编码"),
            (3, "户主"),
            (4, "类型"),
            (5, "经度"),
            (6, "经度/纬度"),
            (7, "经度/纬度"),
            (8, "标签"),
            (10, "经度/纬度"),
            (11, "经度/纬度"),
        ]
    );
    let reason = |i: usize| parsed.errors[i].reason.as_str();
    assert_eq!(reason(0), "缺少网格编码 / grid code is missing");
    assert_eq!(reason(1), "缺少名称 / name is missing");
    assert!(reason(2).contains("unknown kind '城堡'"));
    assert!(reason(3).contains("'东经116度' is not a decimal number"));
    assert!(reason(4).contains("look swapped"));
    assert!(reason(5).contains("projected metres"));
    assert!(reason(6).contains("unknown tag '富豪'"));
    assert!(reason(7).contains("(0, 0)"));
    assert!(reason(8).contains("got (200, 39.9)"));
}

#[test]
fn import_households_unquoted_comma_shifting_columns_is_refused() {
    let text = "\
户编码,网格编码,户主,地址,经度,纬度
H001,G01,张三,幸福路2号,一楼,116.397,39.909
H002,G01,李四,幸福路3号,116.397,39.909
";
    let parsed = csv_households(text);
    assert_eq!(parsed.rows.len(), 1);
    assert_eq!(parsed.rows[0].1.code, "H002");
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(
        (parsed.errors[0].line, parsed.errors[0].field.as_str()),
        (2, "row")
    );
    assert!(parsed.errors[0]
        .reason
        .contains("7 fields but the header has 6"));
}

#[test]
fn import_households_undecodable_bytes_are_a_whole_file_error() {
    // 0xFF is neither UTF-8 nor a GBK lead byte.
    let bytes = b"code,grid_code\n\xFF\xFF,G1\n";
    let err = parse_households(bytes, TableFormat::Csv).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("neither UTF-8 nor GBK"), "{text}");
    assert!(text.contains("line 2"), "{text}");

    // UTF-8 with a broken byte in the middle is not silently read as GBK.
    let mut bytes = "户编码,网格编码,户主,地址,经度,纬度\nH1,G1,张三,"
        .as_bytes()
        .to_vec();
    bytes.extend_from_slice(b"\xE5\xB9,116.4,39.9\n");
    let err = parse_households(&bytes, TableFormat::Csv).unwrap_err();
    assert!(
        err.to_string().contains("looks like UTF-8 but line 2"),
        "{err}"
    );

    let err = parse_households(b"", TableFormat::Csv).unwrap_err();
    assert!(err.to_string().contains("empty"), "{err}");
}

// ---------------------------------------------------------------------------
// XLSX

#[cfg(feature = "xlsx")]
enum X<'a> {
    S(&'a str),
    N(f64),
}

#[cfg(feature = "xlsx")]
fn xlsx(rows: &[Vec<X<'_>>]) -> Vec<u8> {
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            match cell {
                X::S("") => {}
                X::S(s) => {
                    sheet.write_string(r as u32, c as u16, *s).unwrap();
                }
                X::N(n) => {
                    sheet.write_number(r as u32, c as u16, *n).unwrap();
                }
            }
        }
    }
    workbook.save_to_buffer().unwrap()
}

#[cfg(feature = "xlsx")]
#[test]
fn import_households_xlsx_parses_the_same_as_csv() {
    use X::{N, S};
    let header = || {
        [
            "户编码",
            "网格编码",
            "类型",
            "户主",
            "地址",
            "经度",
            "纬度",
            "标签",
        ]
        .map(S)
        .into_iter()
        .collect::<Vec<_>>()
    };
    let bytes = xlsx(&[
        header(),
        vec![
            S("H001"),
            S("G01"),
            S("住户"),
            S("张三"),
            S("幸福路1号"),
            N(116.397),
            N(39.909),
            S("独居老人、残疾人"),
        ],
        vec![
            S("H002"),
            S("G01"),
            S("商铺"),
            S("李四小卖部"),
            S("幸福路2号,一楼"),
            N(116.398),
            N(39.910),
            S(""),
        ],
        vec![],
        // Coordinates typed as text are read too.
        vec![
            S("H003"),
            S("G02"),
            S(""),
            S("王五"),
            S("幸福路3号"),
            S(" 116.399 "),
            S("39.911"),
            S("留守儿童；残疾人"),
        ],
    ]);
    assert_eq!(TableFormat::detect(&bytes), TableFormat::Xlsx);
    let parsed = parse_households(&bytes, TableFormat::Xlsx).unwrap();
    assert_eq!(parsed.encoding, "XLSX");
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    let csv = csv_households(HOUSEHOLDS_CSV);
    assert_eq!(
        parsed.rows, csv.rows,
        "same records on the same row numbers"
    );
}

#[cfg(feature = "xlsx")]
#[test]
fn import_households_xlsx_numeric_codes_and_lost_digits() {
    use X::{N, S};
    let bytes = xlsx(&[
        ["编码", "网格编码", "名称", "地址", "经度", "纬度"]
            .map(S)
            .into_iter()
            .collect(),
        vec![
            N(1001.0),
            N(44030800100101.0),
            S("张三"),
            S("一号"),
            N(116.4),
            N(39.9),
        ],
        vec![
            N(440308001001010001.0),
            S("G1"),
            S("李四"),
            S("二号"),
            N(116.4),
            N(39.9),
        ],
        vec![N(12.5), S("G1"), S("王五"), S("三号"), N(116.4), N(39.9)],
    ]);
    let parsed = parse_households(&bytes, TableFormat::Xlsx).unwrap();
    assert_eq!(parsed.rows.len(), 1);
    assert_eq!(parsed.rows[0].1.code, "1001");
    assert_eq!(parsed.rows[0].1.grid_code, "44030800100101");
    assert_eq!(parsed.errors.len(), 2);
    assert_eq!(
        (parsed.errors[0].line, parsed.errors[0].field.as_str()),
        (3, "编码")
    );
    assert!(parsed.errors[0]
        .reason
        .contains("Excel keeps only 15 significant digits"));
    assert_eq!(parsed.errors[1].line, 4);
    assert!(parsed.errors[1].reason.contains("cannot be a fraction"));
}

#[cfg(feature = "xlsx")]
#[test]
fn import_tables_refuse_the_wrong_container() {
    let bytes = xlsx(&[vec![X::S("编码")]]);
    let err = parse_households(&bytes, TableFormat::Csv).unwrap_err();
    assert!(
        err.to_string().contains("XLSX workbook (zip), not CSV"),
        "{err}"
    );
    let err = parse_households(HOUSEHOLDS_CSV.as_bytes(), TableFormat::Xlsx).unwrap_err();
    assert!(err.to_string().contains("not an XLSX file"), "{err}");
    let mut ole = vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    ole.extend_from_slice(&[0; 64]);
    let err = parse_households(&ole, TableFormat::Xlsx).unwrap_err();
    assert!(
        err.to_string().contains(".xls files are not supported"),
        "{err}"
    );
    assert_eq!(
        TableFormat::detect(HOUSEHOLDS_CSV.as_bytes()),
        TableFormat::Csv
    );
    assert_eq!(
        TableFormat::from_file_name("户籍.XLSX"),
        Some(TableFormat::Xlsx)
    );
    assert_eq!(TableFormat::from_file_name("a.csv"), Some(TableFormat::Csv));
    assert_eq!(TableFormat::from_file_name("a.pdf"), None);
}

// ---------------------------------------------------------------------------
// Members

/// A valid resident ID number from 17 digits.
fn id(first17: &str) -> String {
    format!("{first17}{}", id_check_char(first17).unwrap())
}

/// The same ID number with a wrong check character.
fn bad_checksum(first17: &str) -> String {
    let good = id_check_char(first17).unwrap();
    let bad = if good == '1' { '2' } else { '1' };
    format!("{first17}{bad}")
}

const ID_A: &str = "44030819900101123";
const ID_B: &str = "44030820150607004";
#[cfg(feature = "xlsx")]
const ID_C: &str = "11010519491231002";

#[test]
fn import_members_parse_with_stable_ids() {
    let text = format!(
        "户编码,姓名,与户主关系,联系电话,身份证号\n\
         H001,张三,户主,13812345678,{}\n\
         H001,李梅,配偶,,\n\
         H001,张小宝,子女,0755-1234567,{}\n\
         H002,王五,,, \n",
        id(ID_A),
        id(ID_B).to_lowercase()
    );
    let parsed = parse_members(text.as_bytes(), TableFormat::Csv).unwrap();
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    assert_eq!(parsed.rows.len(), 4);
    let (line, first) = &parsed.rows[0];
    assert_eq!(*line, 2);
    assert_eq!(first.household_code, "H001");
    assert_eq!(first.relation, "户主");
    assert_eq!(first.phone.as_deref(), Some("13812345678"));
    assert_eq!(first.id_number, Some(id(ID_A)));
    assert_eq!(first.id, member_id("H001", Some(&id(ID_A)), "张三"));
    assert!(first.id.starts_with("m-") && first.id.len() == 34);
    assert!(
        !first.id.contains(&id(ID_A)[6..14]),
        "the id does not show the ID number"
    );
    assert_eq!(parsed.rows[1].1.phone, None);
    assert_eq!(parsed.rows[1].1.id, member_id("H001", None, "李梅"));
    assert_eq!(parsed.rows[3].1.relation, "");

    // Same people, other order, changed names and phones: same ids where an
    // ID number is given, so a re-import updates rather than duplicates.
    let reordered = format!(
        "姓名,身份证号,户编码,手机\n王五,,H002,\n张三丰,{},H001,13900000000\n李梅,,H001,\n",
        id(ID_A)
    );
    let again = parse_members(reordered.as_bytes(), TableFormat::Csv).unwrap();
    assert!(again.errors.is_empty(), "{:?}", again.errors);
    let ids = |p: &ParsedMembers| {
        let mut v: Vec<String> = p.rows.iter().map(|(_, m)| m.id.clone()).collect();
        v.sort();
        v
    };
    let before: Vec<String> = ids(&parsed);
    for id in ids(&again) {
        assert!(before.contains(&id));
    }
    let all: std::collections::HashSet<String> = before.into_iter().collect();
    assert_eq!(all.len(), 4, "distinct people get distinct ids");
}

#[test]
fn import_members_bad_id_checksum_is_a_row_error() {
    let text = format!(
        "户编码,姓名,身份证号\nH001,张三,{}\nH001,李四,{}\n",
        bad_checksum(ID_A),
        id(ID_B)
    );
    let parsed = parse_members(text.as_bytes(), TableFormat::Csv).unwrap();
    assert_eq!(parsed.rows.len(), 1);
    assert_eq!(parsed.rows[0].1.name, "李四");
    assert_eq!(parsed.errors.len(), 1);
    let e = &parsed.errors[0];
    assert_eq!((e.line, e.field.as_str()), (2, "身份证号"));
    assert!(
        e.reason.contains("校验位") && e.reason.contains("check digit"),
        "{}",
        e.reason
    );
}

#[test]
fn import_members_duplicates_within_a_household() {
    let text = format!(
        "户编码,姓名,身份证号\nH001,张三,{a}\nH001,张三丰,{a}\nH002,张三,{a}\nH001,李四,\nH001,李四,\n",
        a = id(ID_A)
    );
    let parsed = parse_members(text.as_bytes(), TableFormat::Csv).unwrap();
    let kept: Vec<u64> = parsed.rows.iter().map(|(l, _)| *l).collect();
    assert_eq!(kept, [2, 4, 5]);
    let got: Vec<(u64, &str)> = parsed
        .errors
        .iter()
        .map(|e| (e.line, e.field.as_str()))
        .collect();
    assert_eq!(got, [(3, "身份证号"), (6, "姓名")]);
    assert!(parsed.errors[0]
        .reason
        .contains("already has a member with this ID number (line 2)"));
    assert!(parsed.errors[1]
        .reason
        .contains("with this name and no ID number (line 5)"));
}

#[cfg(feature = "xlsx")]
#[test]
fn import_members_xlsx_id_number_stored_as_a_number_is_explained() {
    use X::{N, S};
    let whole = id(ID_C); // ends in X, so it must be text anyway
    let bytes = xlsx(&[
        ["户编码", "姓名", "联系电话", "身份证号"]
            .map(S)
            .into_iter()
            .collect(),
        vec![
            S("H001"),
            S("张三"),
            N(13812345678.0),
            N(440308199001011230.0),
        ],
        vec![S("H001"), S("李四"), S("13812345679"), S(&whole)],
    ]);
    let parsed = parse_members(&bytes, TableFormat::Xlsx).unwrap();
    assert_eq!(parsed.rows.len(), 1);
    assert_eq!(parsed.rows[0].0, 3);
    assert_eq!(parsed.rows[0].1.id_number.as_deref(), Some(whole.as_str()));
    assert_eq!(parsed.errors.len(), 1, "{:?}", parsed.errors);
    let e = &parsed.errors[0];
    assert_eq!((e.line, e.field.as_str()), (2, "身份证号"));
    assert!(
        e.reason.contains("the ID number was stored as a number"),
        "{}",
        e.reason
    );
    assert!(
        e.reason.contains("format the column as Text"),
        "{}",
        e.reason
    );
}

#[test]
fn import_members_missing_column_imports_nothing() {
    let parsed = parse_members(
        "户编码,联系电话\nH001,13812345678\n".as_bytes(),
        TableFormat::Csv,
    )
    .unwrap();
    assert!(parsed.rows.is_empty());
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(
        (parsed.errors[0].line, parsed.errors[0].field.as_str()),
        (1, "name")
    );
}

/// Collects every log event's message and fields as text.
#[cfg(feature = "xlsx")]
mod capture {
    use std::fmt::Write as _;
    use std::sync::{Arc, Mutex};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    #[derive(Clone, Default)]
    pub struct Capture(pub Arc<Mutex<String>>);

    struct Text<'a>(&'a mut String);

    impl Visit for Text<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            let _ = write!(self.0, "{}={:?} ", field.name(), value);
        }
    }

    impl Subscriber for Capture {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, span: &Attributes<'_>) -> Id {
            let mut out = self.0.lock().unwrap();
            span.record(&mut Text(&mut out));
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, values: &Record<'_>) {
            let mut out = self.0.lock().unwrap();
            values.record(&mut Text(&mut out));
        }
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut out = self.0.lock().unwrap();
            event.record(&mut Text(&mut out));
            out.push('\n');
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }
}

#[cfg(feature = "xlsx")]
#[test]
fn import_members_errors_and_logs_never_contain_a_phone_or_id_number() {
    use X::{N, S};
    let bad_id = bad_checksum(ID_A);
    let short_id = "4403081990010112"; // 16 digits
    let bad_phone = "23812345678";
    let good_id = id(ID_B);
    let csv = format!(
        "户编码,姓名,联系电话,身份证号\n\
         H001,甲,{bad_phone},{bad_id}\n\
         H001,乙,13812345678,{short_id}\n\
         H001,丙,1.38123E+10,4.40308E+17\n\
         H001,丁,13812345678,{good_id}\n\
         H001,戊,13812345678,{good_id}\n"
    );
    let xlsx_bytes = xlsx(&[
        ["户编码", "姓名", "联系电话", "身份证号"]
            .map(S)
            .into_iter()
            .collect(),
        vec![
            S("H001"),
            S("甲"),
            N(23812345678.0),
            N(440308199001011230.0),
        ],
        vec![S("H001"), S("乙"), S(bad_phone), S(&bad_id)],
    ]);

    let log = capture::Capture::default();
    let (from_csv, from_xlsx) = tracing::subscriber::with_default(log.clone(), || {
        (
            parse_members(csv.as_bytes(), TableFormat::Csv).unwrap(),
            parse_members(&xlsx_bytes, TableFormat::Xlsx).unwrap(),
        )
    });
    assert_eq!(from_csv.rows.len(), 1, "{:?}", from_csv.errors);
    assert!(from_xlsx.rows.is_empty());
    assert_eq!(from_csv.errors.len(), 6, "{:?}", from_csv.errors);
    assert_eq!(from_xlsx.errors.len(), 4, "{:?}", from_xlsx.errors);

    let mut everything = String::new();
    for e in from_csv.errors.iter().chain(&from_xlsx.errors) {
        everything.push_str(&format!("{e}\n{e:?}\n"));
    }
    let logged = log.0.lock().unwrap().clone();
    assert!(
        logged.contains("parsed member register"),
        "the capture works: {logged}"
    );
    everything.push_str(&logged);

    // No run of 7 or more of the personal digits appears anywhere: not the
    // whole number, not a masked form, not a fragment.
    for secret in [
        bad_id.as_str(),
        short_id,
        bad_phone,
        "13812345678",
        good_id.as_str(),
        "440308199001011230",
    ] {
        let digits: Vec<char> = secret.chars().collect();
        for window in digits.windows(7) {
            let fragment: String = window.iter().collect();
            assert!(
                !everything.contains(&fragment),
                "{fragment} (from a personal number) leaked into:\n{everything}"
            );
        }
    }
}

#[test]
fn import_row_error_display_says_where_and_why() {
    let e = RowError::new(7, "纬度", "缺少纬度 / latitude is missing");
    assert_eq!(
        e.to_string(),
        "第7行 纬度 / line 7, 纬度: 缺少纬度 / latitude is missing"
    );
}

#[test]
fn import_geojson_altitude_is_dropped_and_a_bad_region_boundary_refuses_the_region() {
    let with_z = json!({
        "type": "Polygon",
        "coordinates": [[[116.0, 39.0, 50.0], [116.1, 39.0, 51.0], [116.1, 39.1, 52.0], [116.0, 39.0, 50.0]]]
    });
    let swapped_village = feature(
        json!({ "code": "V2", "name": "坏边界村", "level": "village", "parent": "T1" }),
        json!({ "type": "Polygon",
                "coordinates": [[[39.0, 116.0], [39.0, 116.1], [39.1, 116.1], [39.0, 116.0]]] }),
    );
    let parsed = parse_regions_geojson(&with_hierarchy(vec![
        grid("G1", "V1", with_z),
        swapped_village,
    ]))
    .unwrap();
    assert_eq!(grid_codes(&parsed), ["G1"]);
    let ring = parsed.grids[0].1.boundary.0[0].exterior();
    assert_eq!(ring.0[1], geo::coord! { x: 116.1, y: 39.0 });
    assert_eq!(
        parsed.regions.len(),
        3,
        "V2 is refused, not imported without a boundary"
    );
    assert_eq!(parsed.errors.len(), 1);
    assert_eq!(parsed.errors[0].field, "features[4].geometry.coordinates");
}

#[cfg(feature = "xlsx")]
#[test]
fn import_households_xlsx_rows_are_spreadsheet_row_numbers() {
    // Two empty rows above the header: Excel still calls the header row 3.
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (c, h) in ["编码", "网格编码", "名称", "地址", "经度", "纬度"]
        .iter()
        .enumerate()
    {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    for (c, v) in ["H1", "G1", "", "一号"].iter().enumerate() {
        if !v.is_empty() {
            sheet.write_string(3, c as u16, *v).unwrap();
        }
    }
    sheet.write_number(3, 4, 116.4).unwrap();
    sheet.write_number(3, 5, 39.9).unwrap();
    let bytes = workbook.save_to_buffer().unwrap();
    let parsed = parse_households(&bytes, TableFormat::Xlsx).unwrap();
    assert!(parsed.rows.is_empty());
    assert_eq!(
        parsed.errors,
        [RowError::new(4, "名称", "缺少名称 / name is missing")]
    );
}

#[test]
fn import_households_title_rows_above_the_header_are_skipped() {
    let text = "\
幸福村户籍登记表,,,,,
填报日期：2024年5月,,,,,
户编码,网格编码,户主,地址,经度,纬度
H1,G1,张三,一号,116.4,39.9
";
    let parsed = csv_households(text);
    assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
    assert_eq!(parsed.rows.len(), 1);
    assert_eq!(parsed.rows[0].0, 4);

    // Without a recognisable header the first row is taken, and the missing
    // columns are reported against it.
    let parsed = csv_households("幸福村户籍登记表\nH1,G1,张三\n");
    assert!(parsed.rows.is_empty());
    assert_eq!(parsed.errors.len(), 6);
    assert!(parsed.errors.iter().all(|e| e.line == 1));
}

mod never_panic {
    use proptest::prelude::*;

    use super::super::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        /// Any bytes give records and errors, or a whole-file error; never a
        /// panic. Every row error points at a real line.
        #[test]
        fn import_tables_survive_arbitrary_bytes(
            body in proptest::collection::vec(any::<u8>(), 0..400),
            text in "[,\"\\n \\t0-9.a-z户编码网格经纬度名称地址-]{0,300}",
        ) {
            let header = "户编码,网格编码,户主,地址,经度,纬度\n";
            for bytes in [body.clone(), format!("{header}{text}").into_bytes()] {
                for format in [TableFormat::Csv, TableFormat::Xlsx] {
                    if let Ok(parsed) = parse_households(&bytes, format) {
                        prop_assert!(parsed.errors.iter().all(|e| e.line >= 1));
                    }
                    let _ = parse_members(&bytes, format);
                }
            }
            let _ = parse_regions_geojson(&text);
            let _ = parse_regions_geojson(&String::from_utf8_lossy(&body));
        }

        /// Random rings never panic the geometry checks.
        #[test]
        fn import_geojson_survives_arbitrary_rings(
            ring in proptest::collection::vec((-200.0f64..200.0, -100.0f64..100.0), 0..12),
            close in any::<bool>(),
        ) {
            let mut coords: Vec<[f64; 2]> = ring.iter().map(|&(x, y)| [x, y]).collect();
            if close {
                if let Some(first) = coords.first().copied() {
                    coords.push(first);
                }
            }
            let text = serde_json::json!({
                "type": "FeatureCollection",
                "features": [{
                    "type": "Feature",
                    "properties": { "code": "G1", "name": "g", "level": "grid", "parent": "V1" },
                    "geometry": { "type": "Polygon", "coordinates": [coords] }
                }]
            })
            .to_string();
            let parsed = parse_regions_geojson(&text).unwrap();
            prop_assert_eq!(parsed.grids.len() + usize::from(!parsed.errors.is_empty()), 1);
        }
    }
}
