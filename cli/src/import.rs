//! `gridwork import`: an administrator's file into a device store.

use std::path::PathBuf;

use gridwork_core::import::TableFormat;
use gridwork_core::store::{ImportMode, ImportReport};
use gridwork_core::Store;

use crate::ImportKind;

pub fn print_import(what: &str, r: &ImportReport) {
    println!(
        "  导入{what}: {} 条成功，{} 条错误 ({}) / imported {}, {} errors",
        r.imported,
        r.errors.len(),
        r.encoding,
        r.imported,
        r.errors.len()
    );
    for e in r.errors.iter().take(10) {
        println!("    第{}行 {}: {}", e.line, e.field, e.reason);
    }
}

pub fn import(
    db: &PathBuf,
    user: &str,
    kind: ImportKind,
    file: &PathBuf,
    all_or_nothing: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let store = Store::open(db)?;
    let mode = if all_or_nothing {
        ImportMode::AllOrNothing
    } else {
        ImportMode::BestEffort
    };
    let bytes = std::fs::read(file)?;
    let report = match kind {
        ImportKind::Regions => {
            store.import_regions_geojson(user, &String::from_utf8(bytes)?, mode)?
        }
        ImportKind::Households => {
            store.import_households(user, &bytes, format_of(file, &bytes), mode)?
        }
        ImportKind::Members => store.import_members(user, &bytes, format_of(file, &bytes), mode)?,
    };
    print_import("", &report);
    if report.errors.len() > 10 {
        println!(
            "    … 另有 {} 条 / {} more",
            report.errors.len() - 10,
            report.errors.len() - 10
        );
    }
    Ok(())
}

pub fn format_of(file: &std::path::Path, bytes: &[u8]) -> TableFormat {
    file.file_name()
        .and_then(|n| n.to_str())
        .and_then(TableFormat::from_file_name)
        .unwrap_or_else(|| TableFormat::detect(bytes))
}
