//! Durability: a writer process killed with SIGKILL at arbitrary instants
//! leaves every change whole or absent — no visit without its answers or its
//! outbox row, no evidence row without its file (or file without its row),
//! no case whose history does not replay to its stored state.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::collections::HashSet;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use gridwork_core::case::history::{replay, verify_chain};
use gridwork_core::case::{Case, CaseEvent};
use gridwork_core::household::PlaceKind;
use gridwork_core::store::VisitInput;
use gridwork_core::Store;
use rusqlite::Connection;

const CHILD_ENV: &str = "GRIDWORK_CRASH_DB";
const RUNS: u64 = 24;

/// The victim: runs only when the parent starts this binary with the env
/// var set. Writes visits with photos and reports cases as fast as it can,
/// for a bounded number of iterations.
#[test]
fn crash_child_writer() {
    let Ok(db) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = Store::open(&db).unwrap();
    let dir = std::path::Path::new(&db).parent().unwrap().join("camera");
    std::fs::create_dir_all(&dir).unwrap();
    let template = store.checklist_for_kind(PlaceKind::Household).unwrap();
    for i in 0..100_000u64 {
        let mut answers = safe_household_answers();
        if i % 3 == 0 {
            answers[2].value = gridwork_core::checklist::AnswerValue::YesNo(true);
        }
        let out = store
            .record_visit(
                WORKER,
                &VisitInput {
                    household_code: ["H001", "H002", "H003"][(i % 3) as usize].into(),
                    patrol_id: None,
                    template_id: template.id.clone(),
                    template_version: template.version,
                    answers,
                    notes: format!("第{i}次"),
                    fix: Some(fix_at(22.5015, 113.9015)),
                    photos: vec![photo(
                        &dir,
                        &format!("p{i}.jpg"),
                        Some("ws.gas_cylinder_photo"),
                    )],
                },
            )
            .unwrap();
        if let Some(draft) = out.drafts.first() {
            store
                .report_case(
                    WORKER,
                    draft,
                    &[photo(&dir, &format!("r{i}.jpg"), None)],
                    None,
                )
                .unwrap();
        }
    }
}

#[test]
fn a_kill_at_any_instant_leaves_whole_changes_or_none() {
    let exe = std::env::current_exe().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    {
        let store = Store::open(&db).unwrap();
        populate(&store);
    }
    let mut last_visits = 0;
    for run in 0..RUNS {
        let mut child = Command::new(&exe)
            .args(["crash_child_writer", "--exact", "--test-threads=1"])
            .env(CHILD_ENV, &db)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Spread kills over the first ~0.6 s of writing, after start-up.
        let delay = 150 + (run * 7919) % 600;
        std::thread::sleep(Duration::from_millis(delay));
        child.kill().unwrap(); // SIGKILL on Unix
        child.wait().unwrap();
        let visits = check_consistent(&db);
        assert!(visits >= last_visits, "run {run}: saved visits disappeared");
        last_visits = visits;
    }
    assert!(
        last_visits > RUNS as usize,
        "the child wrote too little ({last_visits}) for the test to mean anything"
    );
}

/// Open the store as the app would after the kill and check every
/// invariant. Returns the number of visits.
fn check_consistent(db: &std::path::Path) -> usize {
    let store = Store::open(db).unwrap(); // sweeps orphan files
    let c = Connection::open(db).unwrap();
    let ok: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(ok, "ok");
    let ids = |sql: &str| -> HashSet<String> {
        let mut st = c.prepare(sql).unwrap();
        st.query_map([], |r| r.get::<_, String>(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let visits = ids("SELECT id FROM visit");
    // Every visit has all four answers, its photo, and its outbox row.
    for id in &visits {
        let v = store.visit_detail(WORKER, id).unwrap();
        assert_eq!(v.answers.len(), 4, "visit {id} lost answers");
    }
    let photos = ids("SELECT owner_id FROM evidence WHERE owner_kind = 'visit'");
    assert_eq!(photos, visits, "every visit has exactly its photo");
    let outbox_visits = ids("SELECT entity_id FROM outbox WHERE kind = 'visit_recorded'");
    assert_eq!(outbox_visits, visits);
    // Evidence rows and files match one to one, and the bytes are whole.
    let rows: Vec<(String, String, i64)> = {
        let mut st = c
            .prepare("SELECT local_path, sha256, size FROM evidence")
            .unwrap();
        st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    for (path, sha, size) in &rows {
        let (got_sha, got_size) =
            gridwork_core::evidence::hash_file(std::path::Path::new(path)).unwrap();
        assert_eq!((&got_sha, got_size as i64), (sha, *size), "{path}");
    }
    let files = std::fs::read_dir(store.evidence_dir()).unwrap().count();
    assert_eq!(files, rows.len(), "no orphan files and no missing files");
    // Every case replays from its verified chain to its stored state.
    let outbox_events =
        ids("SELECT payload FROM outbox WHERE kind IN ('case_reported', 'case_acted')").len();
    let mut events_total = 0;
    for id in ids("SELECT id FROM case_file") {
        let data: String = c
            .query_row("SELECT data FROM case_file WHERE id = ?1", [&id], |r| {
                r.get(0)
            })
            .unwrap();
        let stored: Case = serde_json::from_str(&data).unwrap();
        let events: Vec<CaseEvent> = store.case_events(&id).unwrap();
        assert_eq!(verify_chain(&events), None, "case {id}");
        assert_eq!(replay(&events).unwrap(), stored, "case {id}");
        events_total += events.len();
    }
    assert_eq!(
        outbox_events, events_total,
        "every event has its outbox row"
    );
    visits.len()
}
