//! `gridwork import`: an administrator's file into a device store.

use std::path::{Path, PathBuf};

use gridwork_core::import::TableFormat;
use gridwork_core::store::{ImportMode, ImportReport};
use gridwork_core::user::{Role, User};
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

/// Import into the store at `db`. A store that does not exist yet is
/// created with `user` as its administrator (a new store has nobody to act
/// as), and removed again if the import fails, so a failure leaves nothing
/// half-made behind.
pub fn import(
    db: &Path,
    user: &str,
    kind: ImportKind,
    file: &Path,
    all_or_nothing: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    // The file first: a missing or unreadable file creates no store.
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let new_store = !db.exists();
    let mut evidence_dir = None;
    let result = (|| -> Result<ImportReport, Box<dyn std::error::Error>> {
        let store = Store::open(db)?;
        evidence_dir = Some(store.evidence_dir().to_path_buf());
        if new_store {
            store.upsert_user(&User {
                id: user.to_string(),
                name: "管理员".into(),
                role: Role::Administrator,
                phone: None,
                jurisdiction: vec![],
            })?;
        } else if store.user(user).is_err() {
            return Err(format!(
                "此数据库中没有用户{user} / no user {user} in {}: pass --user with an administrator of this store",
                db.display()
            )
            .into());
        }
        let mode = if all_or_nothing {
            ImportMode::AllOrNothing
        } else {
            ImportMode::BestEffort
        };
        Ok(match kind {
            ImportKind::Regions => {
                let text = String::from_utf8(bytes)
                    .map_err(|_| format!("{}: GeoJSON must be UTF-8", file.display()))?;
                store.import_regions_geojson(user, &text, mode)?
            }
            ImportKind::Households => {
                store.import_households(user, &bytes, format_of(file, &bytes), mode)?
            }
            ImportKind::Members => {
                store.import_members(user, &bytes, format_of(file, &bytes), mode)?
            }
        })
    })();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            if new_store {
                remove_store(db, evidence_dir.as_deref());
            }
            return Err(e);
        }
    };
    if new_store {
        println!(
            "新建数据库 {}，管理员 {user} / created the store {} with administrator {user}",
            db.display(),
            db.display()
        );
    }
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

/// Remove a store this command created (its database, journal files and
/// photo folder), best effort: the command is failing already.
fn remove_store(db: &Path, evidence_dir: Option<&Path>) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = db.as_os_str().to_os_string();
        name.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(name));
    }
    if let Some(dir) = evidence_dir {
        let _ = std::fs::remove_dir_all(dir);
    }
}

pub fn format_of(file: &std::path::Path, bytes: &[u8]) -> TableFormat {
    file.file_name()
        .and_then(|n| n.to_str())
        .and_then(TableFormat::from_file_name)
        .unwrap_or_else(|| TableFormat::detect(bytes))
}
