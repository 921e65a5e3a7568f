//! What a newcomer does in the first hour, with the real `gridwork` binary:
//! import into a new store, administer a data folder (and mistype it), run
//! the demo a second time.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::{Command, Output};

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../bindings/testdata");

fn gridwork(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_gridwork"))
        .args(args)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn testdata(name: &str) -> String {
    Path::new(TESTDATA).join(name).display().to_string()
}

#[test]
fn import_makes_a_new_store_and_a_failure_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("city.db");
    let db_s = db.display().to_string();

    let out = gridwork(&[
        "import",
        "--db",
        &db_s,
        "regions",
        &testdata("township.geojson"),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("created the store"), "{}", text(&out));
    assert!(text(&out).contains("imported 5"), "{}", text(&out));
    let out = gridwork(&[
        "import",
        "--db",
        &db_s,
        "households",
        &testdata("households.csv"),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("imported 4"), "{}", text(&out));

    // Someone who is not in an existing store: told what to pass; the
    // store keeps what it had.
    let out = gridwork(&[
        "import",
        "--db",
        &db_s,
        "--user",
        "nobody",
        "members",
        &testdata("members.csv"),
    ]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("no user nobody") && text(&out).contains("--user"),
        "{}",
        text(&out)
    );
    let conn = rusqlite::Connection::open(&db).unwrap();
    let n: i64 = conn
        .query_row("SELECT count(*) FROM household", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 4);

    // A failing import into a new store leaves no store behind.
    let bad = dir.path().join("broken.geojson");
    std::fs::write(&bad, b"{\"type\": \"FeatureCollection\", \"features\": [").unwrap();
    let fresh = dir.path().join("fresh.db");
    let out = gridwork(&[
        "import",
        "--db",
        &fresh.display().to_string(),
        "regions",
        &bad.display().to_string(),
    ]);
    assert!(!out.status.success(), "{}", text(&out));
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.starts_with("fresh"))
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    // A file that does not exist creates nothing either.
    let out = gridwork(&[
        "import",
        "--db",
        &fresh.display().to_string(),
        "regions",
        "no-such.geojson",
    ]);
    assert!(!out.status.success());
    assert!(text(&out).contains("no-such.geojson"), "{}", text(&out));
    assert!(!fresh.exists());
}

#[test]
fn admin_refuses_a_data_folder_that_does_not_exist() {
    let dir = tempfile::tempdir().unwrap();
    let typo = dir.path().join("gridwrok-data");
    let typo_s = typo.display().to_string();
    let out = gridwork(&["admin", "--data", &typo_s, "devices"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("no data directory") && text(&out).contains("--create"),
        "{}",
        text(&out)
    );
    assert!(!typo.exists(), "nothing created");

    let out = gridwork(&["admin", "--data", &typo_s, "--create", "devices"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("created user admin"), "{}", text(&out));
    // Now it exists, and no flag is needed.
    let out = gridwork(&["admin", "--data", &typo_s, "devices"]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn the_demo_runs_again_in_its_folder_and_never_in_someone_elses() {
    let dir = tempfile::tempdir().unwrap();
    let demo = dir.path().join("demo");
    let demo_s = demo.display().to_string();
    let mut days = Vec::new();
    for run in 0..2 {
        let out = gridwork(&["demo", "--small", "--dir", &demo_s]);
        assert!(out.status.success(), "run {run}: {}", text(&out));
        let t = text(&out);
        assert_eq!(t.contains("replacing the earlier demo"), run == 1, "{t}");
        // The curl example comes after the command that starts the server
        // again: printed when the server is stopped, it must say so.
        let restart = t.find("to start it again").unwrap();
        let curl = t.find("curl -H").unwrap();
        assert!(curl > restart, "{t}");
        let summary: serde_json::Value =
            serde_json::from_slice(&std::fs::read(demo.join("demo-summary.json")).unwrap())
                .unwrap();
        let report = &summary["report"];
        days.push((
            report["figures"].clone(),
            report["photos_verified"].clone(),
            report["devices"].clone(),
        ));
    }
    // The same seed is the same city and the same day: every count the
    // server reports (cases by state and level, escalations, pushes,
    // photos) is equal; only timings and sizes on disk may differ.
    assert_eq!(days[0], days[1], "same seed, same day");
    assert!(days[0].0["cases"].as_u64().unwrap() > 0, "{:?}", days[0]);
    // A folder with someone's files is not the demo's to delete.
    let other = dir.path().join("notes");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("mine.txt"), b"keep me").unwrap();
    let out = gridwork(&["demo", "--small", "--dir", &other.display().to_string()]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("choose another --dir"),
        "{}",
        text(&out)
    );
    assert_eq!(std::fs::read(other.join("mine.txt")).unwrap(), b"keep me");
}
