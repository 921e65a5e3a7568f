//! Schema migrations, tested by upgrading a database populated at every
//! earlier version. Add a seed here with every new migration.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use gridwork_core::clock::ManualClock;
use gridwork_core::household::Tag;
use gridwork_core::store::schema::{migrations, LATEST_VERSION};
use gridwork_core::store::HouseholdFilter;
use gridwork_core::user::Role;
use gridwork_core::visit::DueState;
use gridwork_core::Store;
use rusqlite::Connection;

const DAY_MS: i64 = 86_400_000;
const T0: i64 = 1_778_461_200_000; // 2026-05-11T01:00:00Z

/// Data as a version-1 build would have written it.
fn seed_v1(c: &Connection) {
    c.execute_batch(&format!(
        r#"
        INSERT INTO region VALUES ('V1', '石岩村', 'village', 'T1', NULL, {T0});
        INSERT INTO grid VALUES ('G1', '第一网格', 'V1',
          '{{"type":"Polygon","coordinates":[[[113.9,22.5],[113.91,22.5],[113.91,22.51],[113.9,22.51],[113.9,22.5]]]}}',
          113.9, 22.5, 113.91, 22.51, {T0});
        INSERT INTO household (code, grid_code, kind, name, address, lat, lon, tags, updated_at)
          VALUES ('H1', 'G1', 'household', '刘家', '一号', 22.501, 113.901, 'elderly_alone', {T0}),
                 ('H2', 'G1', 'household', '陈家', '二号', 22.502, 113.902, '', {T0}),
                 ('H3', 'G1', 'shop', '小卖部', '三号', 22.503, 113.903, '', {T0});
        INSERT INTO app_user VALUES ('w1', '张网格', 'grid_worker', NULL, '[]');
        INSERT INTO assignment VALUES ('w1', 'G1', 'primary', '2026-01-01', NULL);
        INSERT INTO visit (id, household_code, grid_code, worker_id, template_id, template_version, notes, at)
          VALUES ('v1', 'H1', 'G1', 'w1', 'household', 1, '', {old}),
                 ('v2', 'H1', 'G1', 'w1', 'household', 1, '', {newer}),
                 ('v3', 'H2', 'G1', 'w1', 'household', 1, '', {old});
        INSERT INTO outbox (op_id, hlc, kind, entity_id, payload, created_at)
          VALUES ('op1', '0001778461200000-00000-dev', 'visit_recorded', 'v1', '{{}}', {T0});
        "#,
        old = T0 - 40 * DAY_MS,
        newer = T0 - 3 * DAY_MS,
    ))
    .unwrap();
}

/// Seeds for each version below the latest, index = version.
fn seed(version: usize, c: &Connection) {
    match version {
        0 => {}
        1 => seed_v1(c),
        2 => {
            // As a v2 build writes them: due state kept on the household.
            seed_v1(c);
            c.execute_batch(&format!(
                "UPDATE household SET last_visit_at = {newer}, interval_days = 7, due_at = {newer} + 7 * {DAY_MS} WHERE code = 'H1';
                 UPDATE household SET last_visit_at = {old}, interval_days = 30, due_at = {old} + 30 * {DAY_MS} WHERE code = 'H2';",
                newer = T0 - 3 * DAY_MS,
                old = T0 - 40 * DAY_MS,
            ))
            .unwrap();
        }
        3 => {
            // As a v3 build writes them: one photo of ours waiting to upload
            // (its file in the store's evidence directory) and one that
            // arrived by sync from another device (no local file).
            seed(2, c);
            c.execute_batch(&format!(
                "INSERT INTO evidence (id, owner_kind, owner_id, phase, item_code, sha256, size, media_type,
                                       taken_at, fix, local_path, upload_state, created_at)
                   VALUES ('e-ours', 'visit', 'v2', NULL, NULL, '{sha}', 3, 'image/jpeg', {newer}, NULL,
                           '/tmp/gridwork-v3-seed.jpg', 'waiting', {newer}),
                          ('e-theirs', 'visit', 'v1', NULL, NULL, '{sha}', 3, 'image/jpeg', {old}, NULL,
                           NULL, 'waiting', {old});",
                sha = "ab".repeat(32),
                newer = T0 - 3 * DAY_MS,
                old = T0 - 40 * DAY_MS,
            ))
            .unwrap();
        }
        4 => {
            // As a v4 build writes them: an open normal case reported 4 days
            // ago (so past its 3-day deadline) and never escalated.
            seed(3, c);
            c.execute(
                "UPDATE evidence SET queued_at = created_at WHERE local_path IS NOT NULL",
                [],
            )
            .unwrap();
            let (case, event) = v4_case();
            c.execute(
                "INSERT INTO case_event (id, case_id, seq, at, actor_id, kind, body, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                rusqlite::params![
                    event.id,
                    event.case_id,
                    event.seq,
                    event.at.timestamp_millis(),
                    event.actor_id,
                    event.kind.name(),
                    serde_json::to_string(&event).unwrap(),
                    event.hash
                ],
            )
            .unwrap();
            c.execute(
                "INSERT INTO case_file (id, priority, subcategory, severity, state, title, household_code, grid_code,
                   village_code, township_code, city_code, reporter_id, handler_id, reported_at, deadline_at,
                   escalation_level, updated_at, data)
                 VALUES (?1, 'work_safety', 'gas', 'normal', 'reported', ?2, NULL, 'G1', 'V1', 'T1', 'C1', 'w1', NULL,
                   ?3, ?4, 0, ?3, ?5)",
                rusqlite::params![case.id, case.title, case.reported_at.timestamp_millis(),
                    case.deadline.timestamp_millis(), serde_json::to_string(&case).unwrap()],
            )
            .unwrap();
        }
        5 => {
            // As a v5 build writes them: the v4 case with its next threshold
            // stored (not filed within 24 h of the report), as the v5
            // backfill or a v5 save leaves it. v6 only adds indexes.
            seed(4, c);
            c.execute(
                &format!("UPDATE case_file SET next_escalation_at = reported_at + {DAY_MS}"),
                [],
            )
            .unwrap();
        }
        6 => {
            // A v6 phone held every member's numbers whole; v7 marks which
            // a device holds masked, and what it held stays whole.
            seed(5, c);
            c.execute(
                &format!("INSERT INTO member (id, household_code, name, relation, phone, id_number, updated_at)
                  VALUES ('m1', 'H1', '刘奶奶', '户主', '13912345678', '11010519491231002X', {T0})"),
                [],
            )
            .unwrap();
        }
        7 => {
            // v8 only adds the (empty) table of unfinished visits.
            seed(6, c);
        }
        v => panic!("no seed for version {v}: add one with the migration"),
    }
}

#[test]
fn migrations_are_valid() {
    migrations().validate().unwrap();
    let mut c = Connection::open_in_memory().unwrap();
    migrations().to_latest(&mut c).unwrap();
    let v: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(v as usize, LATEST_VERSION);
}

#[test]
fn every_earlier_version_upgrades_with_its_data() {
    for version in 0..LATEST_VERSION {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.db");
        {
            let mut c = Connection::open(&path).unwrap();
            migrations().to_version(&mut c, version).unwrap();
            seed(version, &c);
        }
        let clock = ManualClock::new(Utc.timestamp_millis_opt(T0).unwrap());
        let store = Store::open_with_clock(&path, Arc::new(clock))
            .unwrap_or_else(|e| panic!("upgrade from v{version} failed: {e}"));
        let v: i64 = store_version(&path);
        assert_eq!(v as usize, LATEST_VERSION, "from v{version}");
        if version >= 1 {
            check_v1_data_survived(&store);
        }
        if version >= 3 {
            check_v3_evidence_is_queued(&store);
        }
        if version >= 4 {
            check_v4_case_escalates(&store);
        }
        if version >= 6 {
            let detail = store.household_detail("w1", "H1").unwrap();
            assert_eq!(detail.members.len(), 1);
            assert!(!detail.members[0].reveal_online, "held whole before v7");
            assert_eq!(
                store
                    .reveal_member_field(
                        "w1",
                        "m1",
                        gridwork_core::pii::PiiField::Phone,
                        "回访核实"
                    )
                    .unwrap(),
                "13912345678"
            );
        }
    }
}

fn store_version(path: &std::path::Path) -> i64 {
    Connection::open(path)
        .unwrap()
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap()
}

fn check_v1_data_survived(store: &Store) {
    let worker = store.user("w1").unwrap();
    assert_eq!(worker.role, Role::GridWorker);
    assert_eq!(
        store.outbox_len().unwrap(),
        1,
        "pending operations survive upgrades"
    );
    // v2 backfilled last visits and due times from the stored visits.
    let page = store
        .households("w1", "G1", &HouseholdFilter::default(), 0, 10)
        .unwrap();
    let by_code = |code: &str| page.rows.iter().find(|r| r.code == code).unwrap().clone();
    let h1 = by_code("H1");
    assert_eq!(h1.tags, vec![Tag::ElderlyAlone]);
    assert_eq!(
        h1.last_visit_at.unwrap().timestamp_millis(),
        T0 - 3 * DAY_MS,
        "the newer visit counts"
    );
    // Weekly for the elderly: visited 3 days ago, due again in ~4 days.
    assert!(
        matches!(h1.due, DueState::Upcoming { in_days } if in_days <= 4),
        "{:?}",
        h1.due
    );
    let h2 = by_code("H2");
    assert!(
        matches!(h2.due, DueState::Due { overdue_days } if overdue_days >= 9),
        "{:?}",
        h2.due
    );
    assert_eq!(by_code("H3").due, DueState::NeverVisited);
}

/// v4 queues this device's own photos, and only those: evidence that arrived
/// by sync has no local file and is never uploaded from this phone.
fn check_v3_evidence_is_queued(store: &Store) {
    let status = store.upload_queue_status().unwrap();
    assert_eq!(status.waiting, 1, "{status:?}");
    assert_eq!(status.items.len(), 1);
    assert_eq!(status.items[0].evidence_id, "e-ours");
    assert_eq!(status.bytes_waiting, 3);
    assert_eq!(
        status.oldest_waiting_at.unwrap().timestamp_millis(),
        T0 - 3 * DAY_MS
    );
}

/// A case as a v4 build stored it (reported 4 days before T0).
fn v4_case() -> (gridwork_core::case::Case, gridwork_core::case::CaseEvent) {
    use gridwork_core::case::action::{append, decide_report};
    use gridwork_core::case::{CaseDraft, DeadlinePolicy};
    use gridwork_core::priority::{Category, Priority, Severity};
    use gridwork_core::region::RegionPath;
    use gridwork_core::user::Actor;
    let worker = Actor {
        user_id: "w1".into(),
        name: "张网格".into(),
        role: Role::GridWorker,
        jurisdiction: vec![],
        grids: vec!["G1".into()],
    };
    let path = RegionPath {
        city: "C1".into(),
        township: "T1".into(),
        village: "V1".into(),
        grid: "G1".into(),
    };
    let draft = CaseDraft {
        category: Category {
            priority: Priority::WorkSafety,
            subcategory: "gas".into(),
        },
        severity: Severity::Normal,
        title: "液化气瓶露天存放".into(),
        description: String::new(),
        household_code: None,
        grid_code: "G1".into(),
        source: None,
        evidence_ids: vec![],
    };
    let at = Utc.timestamp_millis_opt(T0 - 4 * DAY_MS).unwrap();
    let kind = decide_report(&draft, &path, &worker, at, &DeadlinePolicy::default()).unwrap();
    append(None, None, "c-v4", "e-v4".into(), kind, Some(&worker), at).unwrap()
}

/// V5 gave stored cases their next escalation instant: the engine's first
/// pass finds the overdue v4 case and escalates it, once.
fn check_v4_case_escalates(store: &Store) {
    let first = store.run_escalations().unwrap();
    let levels: Vec<u8> = first.iter().map(|(_, d)| d.level).collect();
    assert_eq!(
        first.iter().map(|(id, _)| id.as_str()).collect::<Vec<_>>(),
        vec!["c-v4", "c-v4"],
        "{first:?}"
    );
    // Not filed 4 days after report and past the deadline: township, then
    // city (not accepted within 24 h, plus 24 h).
    assert_eq!(levels, vec![1, 2]);
    assert!(
        store.run_escalations().unwrap().is_empty(),
        "a second pass records nothing"
    );
}
