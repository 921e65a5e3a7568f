//! `gridwork demo` runs end to end and its summary agrees with a direct
//! query of the store it leaves behind.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use rusqlite::Connection;

fn number_before(text: &str, marker: &str) -> u32 {
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker:?} in summary:\n{text}"));
    let digits: String = text[..at]
        .chars()
        .rev()
        .skip_while(|c| c.is_whitespace())
        .take_while(char::is_ascii_digit)
        .collect();
    digits.chars().rev().collect::<String>().parse().unwrap()
}

#[test]
fn the_demo_summary_matches_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gridwork"))
        .args([
            "demo",
            "--villages",
            "2",
            "--households-per-grid",
            "30",
            "--dir",
        ])
        .arg(dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "demo failed: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    let db = Connection::open(dir.path().join("gridwork-device.db")).unwrap();
    let q = |sql: &str| -> u32 { db.query_row(sql, [], |r| r.get(0)).unwrap() };
    assert_eq!(
        number_before(&text, "grids,"),
        q("SELECT COUNT(*) FROM grid")
    );
    assert_eq!(
        number_before(&text, "households and places"),
        q("SELECT COUNT(*) FROM household")
    );
    assert_eq!(
        number_before(&text, "cases reported"),
        q("SELECT COUNT(*) FROM case_file")
    );
    assert_eq!(
        number_before(&text, "escalated to the township"),
        q("SELECT COUNT(*) FROM case_file WHERE escalation_level >= 1")
    );
    assert_eq!(
        number_before(&text, "operations waiting to sync"),
        q("SELECT COUNT(*) FROM outbox")
    );
    assert!(
        q("SELECT COUNT(*) FROM visit") > 0,
        "the worker visited nobody"
    );
    assert!(text.contains("hash chains verified"));
    // Every case's chain verifies: the summary line says n/n.
    let cases = q("SELECT COUNT(*) FROM case_file");
    assert!(
        text.contains(&format!("事件链校验通过 {cases}/{cases}")),
        "{text}"
    );
}
