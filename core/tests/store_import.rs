//! Imports written to the store: good rows saved, bad rows reported by line
//! and field, all-or-nothing on request, and nothing already saved lost.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::*;
use gridwork_core::import::TableFormat;
use gridwork_core::store::{HouseholdFilter, ImportMode};
use gridwork_core::user::{Role, User};
use gridwork_core::{CoreError, Store};

const GEOJSON: &str = r#"{"type":"FeatureCollection","features":[
 {"type":"Feature","properties":{"code":"C9","name":"新城市","level":"city"},"geometry":null},
 {"type":"Feature","properties":{"code":"T9","name":"新镇","level":"township","parent":"C9"},"geometry":null},
 {"type":"Feature","properties":{"code":"V9","name":"新村","level":"village","parent":"T9"},
  "geometry":{"type":"Polygon","coordinates":[[[114.0,22.6],[114.02,22.6],[114.02,22.61],[114.0,22.61],[114.0,22.6]]]}},
 {"type":"Feature","properties":{"code":"V9-G1","name":"一网格","level":"grid","parent":"V9"},
  "geometry":{"type":"Polygon","coordinates":[[[114.0,22.6],[114.01,22.6],[114.01,22.61],[114.0,22.61],[114.0,22.6]]]}},
 {"type":"Feature","properties":{"code":"V9-G2","name":"二网格","level":"grid","parent":"NOPE"},
  "geometry":{"type":"Polygon","coordinates":[[[114.01,22.6],[114.02,22.6],[114.02,22.61],[114.01,22.61],[114.01,22.6]]]}}
]}"#;

#[test]
fn geojson_best_effort_saves_good_features_and_names_bad_ones() {
    let t = township();
    let r = t
        .store
        .import_regions_geojson(ADMIN, GEOJSON, ImportMode::BestEffort)
        .unwrap();
    assert_eq!(r.imported, 4);
    assert_eq!(r.errors.len(), 1, "{:?}", r.errors);
    assert_eq!(r.errors[0].line, 4);
    assert!(
        r.errors[0].field.contains("features[4]"),
        "{:?}",
        r.errors[0]
    );
    assert_eq!(t.store.grid("V9-G1").unwrap().village_code, "V9");
    assert_eq!(t.store.region_path("V9-G1").unwrap().city, "C9");
    assert!(matches!(
        t.store.grid("V9-G2"),
        Err(CoreError::NotFound { .. })
    ));
}

#[test]
fn geojson_all_or_nothing_saves_nothing_when_one_feature_is_bad() {
    let t = township();
    let r = t
        .store
        .import_regions_geojson(ADMIN, GEOJSON, ImportMode::AllOrNothing)
        .unwrap();
    assert_eq!(r.imported, 0);
    assert_eq!(r.errors.len(), 1);
    assert!(matches!(
        t.store.grid("V9-G1"),
        Err(CoreError::NotFound { .. })
    ));
    assert!(matches!(
        t.store.region("C9"),
        Err(CoreError::NotFound { .. })
    ));
}

#[test]
fn only_administrators_import() {
    let t = township();
    let err = t
        .store
        .import_regions_geojson(SECRETARY, GEOJSON, ImportMode::BestEffort)
        .unwrap_err();
    assert!(matches!(err, CoreError::NotPermitted { .. }), "{err:?}");
}

#[test]
fn household_csv_in_gbk_imports_and_reports_unknown_grids() {
    let t = township();
    let csv = format!(
        "户编码,网格编码,类型,户主,地址,经度,纬度,标签\n\
         H201,{G1},住户,周大爷,石岩村8号,113.903,22.503,独居老人\n\
         H202,NO-SUCH-GRID,住户,吴阿姨,石岩村9号,113.904,22.504,\n\
         H203,{G2},商铺,好又多超市,石岩村10号,113.915,22.505,\n\
         H204,{G2},住户,,石岩村11号,113.916,22.506,\n"
    );
    let (gbk, _, _) = encoding_rs::GBK.encode(&csv);
    let before = t
        .store
        .households(ADMIN, G1, &HouseholdFilter::default(), 0, 100)
        .unwrap()
        .total;
    let r = t
        .store
        .import_households(ADMIN, &gbk, TableFormat::Csv, ImportMode::BestEffort)
        .unwrap();
    assert_eq!(r.encoding, "GBK");
    assert_eq!(r.imported, 2);
    assert_eq!(r.rows_read, 4);
    let lines: Vec<(u64, &str)> = r
        .errors
        .iter()
        .map(|e| (e.line, e.field.as_str()))
        .collect();
    assert_eq!(lines, vec![(3, "grid_code"), (5, "户主")], "{:?}", r.errors);
    let after = t
        .store
        .households(ADMIN, G1, &HouseholdFilter::default(), 0, 100)
        .unwrap();
    assert_eq!(
        after.total,
        before + 1,
        "existing households untouched, one added"
    );
    let h = after.rows.iter().find(|r| r.code == "H201").unwrap();
    assert_eq!(h.name, "周大爷");
    // Re-importing the same file updates rather than duplicates.
    t.store
        .import_households(ADMIN, &gbk, TableFormat::Csv, ImportMode::BestEffort)
        .unwrap();
    assert_eq!(
        t.store
            .households(ADMIN, G1, &HouseholdFilter::default(), 0, 100)
            .unwrap()
            .total,
        after.total
    );
}

#[test]
fn a_preview_reports_every_bad_row_and_saves_nothing() {
    let t = township();
    let csv = format!(
        "户编码,网格编码,类型,户主,地址,经度,纬度,标签\n\
         H301,{G1},住户,周大爷,石岩村8号,113.903,22.503,独居老人\n\
         H302,NO-SUCH-GRID,住户,吴阿姨,石岩村9号,113.904,22.504,\n\
         H303,{G1},住户,,石岩村11号,113.916,22.506,\n"
    );
    let count = || {
        t.store
            .households(ADMIN, G1, &HouseholdFilter::default(), 0, 100)
            .unwrap()
            .total
    };
    let before = count();
    let preview = t
        .store
        .import_households(ADMIN, csv.as_bytes(), TableFormat::Csv, ImportMode::Preview)
        .unwrap();
    assert_eq!(
        (preview.rows_read, preview.imported),
        (3, 1),
        "one would be saved"
    );
    let lines: Vec<(u64, &str)> = preview
        .errors
        .iter()
        .map(|e| (e.line, e.field.as_str()))
        .collect();
    assert_eq!(lines, vec![(3, "grid_code"), (4, "户主")]);
    assert_eq!(count(), before, "nothing saved by the preview");
    // The import after it saves what the preview said.
    let r = t
        .store
        .import_households(
            ADMIN,
            csv.as_bytes(),
            TableFormat::Csv,
            ImportMode::BestEffort,
        )
        .unwrap();
    assert_eq!((r.imported, r.errors), (preview.imported, preview.errors));
    assert_eq!(count(), before + 1);
}

#[test]
fn members_import_with_masked_display() {
    let t = township();
    let csv = "户编码,姓名,与户主关系,联系电话,身份证号\n\
               H002,陈建国,户主,13700001111,11010519491231002X\n\
               H002,陈小明,子女,,110105194912310021\n\
               H404,无名,户主,,\n";
    let r = t
        .store
        .import_members(
            ADMIN,
            csv.as_bytes(),
            TableFormat::Csv,
            ImportMode::BestEffort,
        )
        .unwrap();
    assert_eq!(r.imported, 1);
    assert_eq!(r.errors.len(), 2, "{:?}", r.errors);
    assert!(
        r.errors.iter().all(|e| !e.reason.contains("19491231")),
        "no ID numbers in errors"
    );
    let d = t.store.household_detail(WORKER, "H002").unwrap();
    assert_eq!(d.members.len(), 1);
    assert_eq!(d.members[0].phone_masked.as_deref(), Some("137****1111"));
}

#[test]
fn an_admin_can_stand_up_a_village_from_files_alone() {
    // A fresh store: only the administrator exists; everything else comes
    // from files, as on a new installation.
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path().join("g.db")).unwrap();
    store
        .upsert_user(&User {
            id: "admin".into(),
            name: "管理员".into(),
            role: Role::Administrator,
            phone: None,
            jurisdiction: vec![],
        })
        .unwrap();
    let r = store
        .import_regions_geojson("admin", GEOJSON, ImportMode::BestEffort)
        .unwrap();
    assert_eq!(r.imported, 4);
    let csv = "code,grid_code,kind,name,address,lon,lat,tags\nX1,V9-G1,household,甲,新村1号,114.005,22.605,\n";
    let r = store
        .import_households(
            "admin",
            csv.as_bytes(),
            TableFormat::Csv,
            ImportMode::AllOrNothing,
        )
        .unwrap();
    assert_eq!((r.imported, r.errors.len()), (1, 0));
    let report = store.coverage_report("admin").unwrap();
    assert_eq!(report.grids_checked, 1);
    assert_eq!(
        report.gaps.len(),
        1,
        "V9-G2 was refused, so half the village is uncovered"
    );
    assert_eq!(report.grids_without_worker, vec!["V9-G1".to_string()]);
}
