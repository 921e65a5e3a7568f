//! `gridwork demo --small` runs end to end as a real process (it starts
//! its own `gridwork serve` child), and its summary agrees with a direct,
//! read-only query of the server's SQLite database it leaves behind.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

use rusqlite::{Connection, OpenFlags};

/// The number just before `marker` in the summary.
fn number_before(text: &str, marker: &str) -> u64 {
    let at = text
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker:?} in summary:\n{text}"));
    let digits: String = text[..at]
        .chars()
        .rev()
        .skip_while(|c| c.is_whitespace())
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .chars()
        .rev()
        .collect::<String>()
        .parse()
        .unwrap_or_else(|_| panic!("no number before {marker:?} in:\n{text}"))
}

#[test]
fn the_small_demo_city_summary_matches_the_server_database() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_gridwork"))
        .args(["demo", "--small", "--dir"])
        .arg(dir.path())
        .env("GRIDWORK_DEMO_NO_BARS", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "demo failed: {}\n{text}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The server was stopped: its database is ours to read (read-only).
    let db = Connection::open_with_flags(
        dir.path().join("server/gridwork.db"),
        OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .unwrap();
    let q = |sql: &str| -> u64 {
        let n: i64 = db.query_row(sql, [], |r| r.get(0)).unwrap();
        n as u64
    };
    assert_eq!(number_before(&text, "个网格 grids"), 12);
    assert_eq!(
        number_before(&text, "个网格 grids"),
        q("SELECT COUNT(*) FROM grid")
    );
    let cases = q("SELECT COUNT(*) FROM case_file");
    assert!(cases > 0, "the city reported no case:\n{text}");
    assert_eq!(number_before(&text, "cases reported"), cases);
    assert_eq!(
        number_before(&text, "visits"),
        q("SELECT COUNT(*) FROM visit")
    );
    assert_eq!(
        number_before(&text, "escalations (按级别"),
        q("SELECT COUNT(*) FROM escalation")
    );
    assert_eq!(
        number_before(&text, "evidence records"),
        q("SELECT COUNT(*) FROM evidence")
    );
    let stored = q("SELECT COUNT(*) FROM evidence WHERE upload_state = 'stored'");
    assert!(stored > 0, "no photo reached the server:\n{text}");
    assert_eq!(number_before(&text, "stored ("), stored);
    // Every stored photo was re-hashed by the report and passed.
    assert_eq!(number_before(&text, "verified"), stored);
    assert_eq!(number_before(&text, "failed the check"), 0);
    assert_eq!(
        number_before(&text, "operations received"),
        q("SELECT COUNT(*) FROM op_log")
    );
    // Places are visited too, not only households.
    assert!(
        q("SELECT COUNT(*) FROM household WHERE kind <> 'household' AND last_visit_at IS NOT NULL")
            > 0,
        "no place was visited:\n{text}"
    );
    // Something ran late and the supervisors were told by push and acted.
    assert!(q("SELECT COUNT(*) FROM escalation") > 0, "{text}");
    assert!(
        q("SELECT COUNT(*) FROM push_job WHERE state = 'delivered'") > 0,
        "{text}"
    );
    assert!(
        q("SELECT COUNT(*) FROM case_event WHERE kind IN ('urged', 'reassigned', 'extension_approved')")
            > 0,
        "no supervisor acted:\n{text}"
    );
    // Each phone pulled only its jurisdiction's people: a worker's store
    // holds a handful of users, not the whole city.
    let worker_db = std::fs::read_dir(dir.path().join("phones"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| {
            p.file_name().is_some_and(|n| {
                n.to_string_lossy().starts_with("w-") && n.to_string_lossy().ends_with(".db")
            })
        })
        .expect("a worker's phone store");
    let phone = Connection::open_with_flags(&worker_db, OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let users: i64 = phone
        .query_row("SELECT COUNT(*) FROM app_user", [], |r| r.get(0))
        .unwrap();
    let all = q("SELECT COUNT(*) FROM app_user") as i64;
    assert!(users < all, "a worker's phone holds {users} of {all} users");
    assert!(text.contains("gridwork"), "{text}");
    assert!(text.contains("serve --data"), "no restart command:\n{text}");
}
