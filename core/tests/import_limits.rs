//! Hostile import files are refused by the limits in `gridwork_core::limits`
//! before they are read whole: a sheet that declares (or uses) a huge
//! extent, a zip bomb, a boundary with too many positions, too many
//! features. Ordinary files of the same shapes still import.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[path = "../../tests/hostile/files.rs"]
mod hostile;

use gridwork_core::import::{parse_households, parse_regions_geojson, TableFormat};
use gridwork_core::limits::import as lim;
use gridwork_core::CoreError;

const HEADER: [(&str, &str); 7] = [
    ("A1", "户编码"),
    ("B1", "网格编码"),
    ("C1", "类型"),
    ("D1", "户主"),
    ("E1", "经度"),
    ("F1", "纬度"),
    ("G1", "地址"),
];

fn too_large(result: gridwork_core::Result<impl std::fmt::Debug>) -> String {
    match result {
        Err(CoreError::TooLarge { reason, .. }) => reason,
        other => panic!("expected TooLarge, got {other:?}"),
    }
}

#[test]
fn an_ordinary_xlsx_register_still_reads() {
    let mut cells = HEADER.to_vec();
    cells.extend([
        ("A2", "H001"),
        ("B2", "G01"),
        ("C2", "住户"),
        ("D2", "张三"),
        ("E2", "116.397"),
        ("F2", "39.909"),
        ("G2", "幸福路1号"),
    ]);
    let parsed =
        parse_households(&hostile::xlsx(Some("A1:G2"), &cells), TableFormat::Xlsx).unwrap();
    assert_eq!(parsed.rows.len(), 1, "{:?}", parsed.errors);
    assert_eq!(parsed.rows[0].0, 2, "spreadsheet row number");
    assert_eq!(parsed.rows[0].1.code, "H001");
}

#[test]
fn a_sheet_declaring_the_whole_of_excel_is_refused_before_reading() {
    let bytes = hostile::xlsx(Some("A1:XFD1048576"), &HEADER);
    assert!(bytes.len() < 4096, "a small file: {} bytes", bytes.len());
    let reason = too_large(parse_households(&bytes, TableFormat::Xlsx));
    assert!(reason.contains("1048576 rows × 16384 columns"), "{reason}");
}

#[test]
fn cells_far_apart_are_refused_by_the_cell_beyond_the_limit() {
    let mut cells = HEADER.to_vec();
    cells.push(("XFD1048576", "x"));
    let reason = too_large(parse_households(
        &hostile::xlsx(None, &cells),
        TableFormat::Xlsx,
    ));
    assert!(
        reason.contains("cell XFD1048576 is beyond the limit"),
        "{reason}"
    );
}

#[test]
fn a_zip_bomb_is_refused_by_what_it_unpacks_to() {
    let padding = lim::MAX_XLSX_UNZIPPED_BYTES + (1 << 20);
    let bytes = hostile::xlsx_with(Some("A1:G1"), &HEADER, padding);
    assert!(
        (bytes.len() as u64) < padding / 100,
        "{} bytes unpack to {padding}",
        bytes.len()
    );
    let reason = too_large(parse_households(&bytes, TableFormat::Xlsx));
    assert!(reason.contains("unpacks to more than 256 MiB"), "{reason}");
}

#[test]
fn a_boundary_at_the_vertex_limit_imports_and_one_past_it_is_its_own_row_error() {
    let at_limit = parse_regions_geojson(&hostile::geojson_grid_ring(
        lim::MAX_VERTICES_PER_FEATURE - 1,
    ))
    .unwrap();
    assert!(at_limit.errors.is_empty(), "{:?}", at_limit.errors);
    assert_eq!(at_limit.grids.len(), 1);

    let over = parse_regions_geojson(&hostile::geojson_grid_ring(30_000)).unwrap();
    assert_eq!(over.grids.len(), 0);
    assert_eq!(
        over.regions.len(),
        3,
        "the other features still come through"
    );
    assert_eq!(over.errors.len(), 1);
    assert_eq!(over.errors[0].field, "features[3].geometry.coordinates");
    assert!(
        over.errors[0]
            .reason
            .contains("30001 positions, more than the limit of 20000"),
        "{}",
        over.errors[0].reason
    );
}

#[test]
fn too_many_positions_in_one_file_is_refused_whole() {
    // Integer positions keep the text small: it is the count that matters.
    let ring: Vec<[i32; 2]> = vec![[113, 22]; 20_000];
    let feature = serde_json::json!({"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [ring]}});
    let text = serde_json::json!({"type": "FeatureCollection", "features": vec![feature; 101]})
        .to_string();
    let reason = too_large(parse_regions_geojson(&text));
    assert!(reason.contains("2020000 positions"), "{reason}");
}

#[test]
fn too_many_features_is_refused_whole() {
    let feature = serde_json::json!({"type": "Feature", "properties": {}, "geometry": null});
    let text = serde_json::json!({"type": "FeatureCollection", "features": vec![feature; lim::MAX_FEATURES + 1]}).to_string();
    let reason = too_large(parse_regions_geojson(&text));
    assert!(reason.contains("50001 features"), "{reason}");
}
