//! Device-store benchmarks, each beside a raw-rusqlite baseline in the same
//! run: a 5,000-household grid with 50,000 visits.
//!
//! Run: `cargo bench -p gridwork-core --features vendored-openssl --bench store`
//! (the encrypted store on the OpenSSL the phones ship; `--features
//! encryption` links the system's libcrypto instead)
//! (`scripts/bench-report.sh` turns the results into docs/benchmarks.md).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    missing_docs
)]

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use chrono::{TimeZone, Utc};
use criterion::{criterion_group, criterion_main, Criterion};
use geo::{polygon, MultiPolygon};
use gridwork_core::case::{CaseDraft, CaseSource};
use gridwork_core::checklist::{Answer, AnswerValue, ChecklistTemplate, HazardWhen, ItemKind};
use gridwork_core::clock::ManualClock;
use gridwork_core::grid::Grid;
use gridwork_core::household::{PlaceKind, Tag};
use gridwork_core::priority::{Category, Priority, Severity};
use gridwork_core::region::{Region, RegionLevel};
use gridwork_core::store::{HouseholdFilter, StoreKey, VisitInput};
use gridwork_core::user::{Assignment, AssignmentKind, Role, User};
use gridwork_core::Store;
use rusqlite::Connection;

const HOUSEHOLDS: usize = 5_000;
const VISITS: usize = 50_000;
const GRID: &str = "B-G1";
const WORKER: &str = "bench-worker";

/// Answers that trigger no hazard, for the first `n` answerable items.
fn safe_answers(t: &ChecklistTemplate, n: usize) -> Vec<Answer> {
    let mut out = Vec::new();
    // Required items first, so any `n` is a valid submission.
    let mut items: Vec<_> = t.items().map(|(_, i)| i).collect();
    items.sort_by_key(|i| !i.required);
    for item in items {
        let bad_options: Vec<&String> = item
            .hazards
            .iter()
            .flat_map(|h| match &h.when {
                HazardWhen::AnyOf { options } => options.iter().collect(),
                _ => vec![],
            })
            .collect();
        let value = match &item.kind {
            ItemKind::YesNo => {
                let yes_is_bad = item.hazards.iter().any(|h| h.when == HazardWhen::Yes);
                AnswerValue::YesNo(!yes_is_bad)
            }
            ItemKind::SingleChoice { options } => AnswerValue::Choice(
                options
                    .iter()
                    .find(|o| !bad_options.contains(&&o.code))
                    .unwrap()
                    .code
                    .clone(),
            ),
            ItemKind::MultiChoice { options } => AnswerValue::Choices(vec![options
                .iter()
                .find(|o| !bad_options.contains(&&o.code))
                .unwrap()
                .code
                .clone()]),
            ItemKind::Number { min, .. } => AnswerValue::Number(min.unwrap_or(0.0).max(0.0)),
            ItemKind::Text { .. } => AnswerValue::Text("无".into()),
            ItemKind::Photo { .. } => continue,
        };
        out.push(Answer {
            item_code: item.code.clone(),
            value,
        });
        if out.len() == n {
            break;
        }
    }
    assert_eq!(out.len(), n, "template has fewer than {n} answerable items");
    out
}

struct Fixture {
    _dir: tempfile::TempDir,
    db: std::path::PathBuf,
    store: Store,
    template: ChecklistTemplate,
    case_id: String,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("bench.db");
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 5, 11, 1, 0, 0).unwrap());
    let store = Store::open_with_clock(&db, Arc::new(clock)).unwrap();
    let region = |code: &str, level, parent: Option<&str>| Region {
        code: code.into(),
        name: code.into(),
        level,
        parent_code: parent.map(str::to_string),
        boundary: None,
    };
    store
        .upsert_region(&region("B-C", RegionLevel::City, None))
        .unwrap();
    store
        .upsert_region(&region("B-T", RegionLevel::Township, Some("B-C")))
        .unwrap();
    store
        .upsert_region(&region("B-V", RegionLevel::Village, Some("B-T")))
        .unwrap();
    store
        .upsert_grid(&Grid {
            code: GRID.into(),
            name: "基准网格".into(),
            village_code: "B-V".into(),
            boundary: MultiPolygon::new(vec![polygon![
                (x: 113.90, y: 22.50), (x: 113.95, y: 22.50), (x: 113.95, y: 22.55), (x: 113.90, y: 22.55)
            ]]),
        })
        .unwrap();
    store
        .upsert_user(&User {
            id: WORKER.into(),
            name: "基准".into(),
            role: Role::GridWorker,
            phone: None,
            jurisdiction: vec![],
        })
        .unwrap();
    store
        .set_assignment(&Assignment {
            user_id: WORKER.into(),
            grid_code: GRID.into(),
            kind: AssignmentKind::Primary,
            from: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            to: None,
        })
        .unwrap();
    store.install_default_templates().unwrap();
    let template = store.checklist_for_kind(PlaceKind::Household).unwrap();
    // Households through the API (in one go is not offered: one tx each is
    // the real cost of an import row, so use the raw path for setup speed).
    let c = Connection::open(&db).unwrap();
    c.execute_batch("BEGIN").unwrap();
    for i in 0..HOUSEHOLDS {
        let tags = if i % 10 == 0 {
            Tag::ElderlyAlone.as_str()
        } else {
            ""
        };
        c.execute(
            "INSERT INTO household (code, grid_code, kind, name, address, lat, lon, tags, updated_at, interval_days, due_at)
             VALUES (?1, ?2, 'household', ?3, ?4, ?5, ?6, ?7, 0, 30, 0)",
            rusqlite::params![
                format!("BH{i:05}"),
                GRID,
                format!("住户{i}"),
                format!("基准村{i}号"),
                22.50 + (i % 100) as f64 * 0.0005,
                113.90 + (i / 100) as f64 * 0.001,
                tags
            ],
        )
        .unwrap();
    }
    // 50,000 visits of history, ten per household, with 30 answers each.
    let answers = safe_answers(&template, 30);
    let answers_json = {
        use std::io::Write;
        let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&serde_json::to_vec(&answers).unwrap()).unwrap();
        e.finish().unwrap()
    };
    let t0 = Utc
        .with_ymd_and_hms(2026, 1, 1, 1, 0, 0)
        .unwrap()
        .timestamp_millis();
    for v in 0..VISITS {
        let h = v % HOUSEHOLDS;
        let at = t0 + (v as i64) * 60_000;
        let id = format!("bv{v:06}");
        c.execute(
            "INSERT INTO visit (id, household_code, grid_code, worker_id, template_id, template_version, notes, at, answers)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, '', ?7, ?8)",
            rusqlite::params![id, format!("BH{h:05}"), GRID, WORKER, template.id, template.version, at, answers_json],
        )
        .unwrap();
    }
    c.execute_batch(
        "UPDATE household SET last_visit_at = (SELECT MAX(at) FROM visit WHERE visit.household_code = household.code);
         UPDATE household SET due_at = last_visit_at + interval_days * 86400000;
         COMMIT; ANALYZE;",
    )
    .unwrap();
    drop(c);
    let case = store
        .report_case(
            WORKER,
            &CaseDraft {
                category: Category {
                    priority: Priority::WorkSafety,
                    subcategory: "gas_cylinder".into(),
                },
                severity: Severity::Normal,
                title: "液化气软管老化".into(),
                description: "基准".into(),
                household_code: Some("BH00001".into()),
                grid_code: GRID.into(),
                source: None::<CaseSource>,
                evidence_ids: vec![],
            },
            &[],
            None,
        )
        .unwrap()
        .case;
    Fixture {
        _dir: dir,
        db,
        store,
        template,
        case_id: case.id,
    }
}

fn raw_page(c: &Connection, now_ms: i64) -> usize {
    let mut st = c
        .prepare_cached(
            "SELECT h.code, h.kind, h.name, h.address, h.lat, h.lon, h.tags, h.last_visit_at, h.due_at,
               (SELECT COUNT(*) FROM case_file c WHERE c.household_code = h.code
                  AND c.state IN ('reported','filed','dispatched','in_progress'))
             FROM household h WHERE h.grid_code = ?1 ORDER BY h.due_at, h.code LIMIT 50 OFFSET 2000",
        )
        .unwrap();
    // The screen also shows the total, for paging.
    let total: i64 = c
        .prepare_cached("SELECT COUNT(*) FROM household WHERE grid_code = ?1")
        .unwrap()
        .query_row([GRID], |r| r.get(0))
        .unwrap();
    black_box(total);
    let rows = st
        .query_map(rusqlite::params![GRID], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, i64>(8)? <= now_ms))
        })
        .unwrap();
    rows.count()
}

/// The household list screen: page 41 of the grid's 5,000, due ones first.
fn page(store: &Store) -> usize {
    store
        .households(WORKER, GRID, &HouseholdFilter::default(), 2000, 50)
        .unwrap()
        .rows
        .len()
}

fn benches(c: &mut Criterion) {
    let f = fixture();
    let raw = Connection::open(&f.db).unwrap();
    raw.pragma_update(None, "journal_mode", "WAL").unwrap();
    raw.pragma_update(None, "synchronous", "FULL").unwrap();
    let now_ms = f.store.now().timestamp_millis();

    let mut g = c.benchmark_group("household_page");
    g.bench_function("store", |b| b.iter(|| black_box(page(&f.store))));
    g.bench_function("raw_sql", |b| b.iter(|| black_box(raw_page(&raw, now_ms))));
    g.finish();

    let answers = safe_answers(&f.template, 30);
    let input = VisitInput {
        household_code: "BH00042".into(),
        patrol_id: None,
        template_id: f.template.id.clone(),
        template_version: f.template.version,
        answers: answers.clone(),
        notes: String::new(),
        fix: None,
        photos: vec![],
    };
    let mut g = c.benchmark_group("record_visit_30_answers");
    g.bench_function("store", |b| {
        b.iter(|| black_box(f.store.record_visit(WORKER, &input).unwrap()))
    });
    let mut n = 0u64;
    g.bench_function("raw_sql", |b| {
        b.iter(|| {
            n += 1;
            let id = format!("raw{n}");
            raw.execute_batch("BEGIN IMMEDIATE").unwrap();
            // The same work by hand: the visit row with its answers, the
            // household's due time, and the outbox row.
            // Deflated as the store keeps them.
            let answers_json = {
                use std::io::Write;
                let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::fast());
                e.write_all(&serde_json::to_vec(&answers).unwrap()).unwrap();
                e.finish().unwrap()
            };
            raw.prepare_cached(
                "INSERT INTO visit (id, household_code, grid_code, worker_id, template_id, template_version, notes, at, answers)
                 VALUES (?1, 'BH00042', ?2, ?3, 'household', 1, '', ?4, ?5)",
            )
            .unwrap()
            .execute(rusqlite::params![id, GRID, WORKER, now_ms, answers_json])
            .unwrap();
            raw.prepare_cached(
                "UPDATE household SET last_visit_at = ?2, due_at = ?2 + interval_days * 86400000 WHERE code = ?1",
            )
            .unwrap()
            .execute(rusqlite::params!["BH00042", now_ms])
            .unwrap();
            raw.prepare_cached(
                "INSERT INTO outbox (op_id, hlc, kind, entity_id, payload, created_at) VALUES (?1, ?2, 'visit_recorded', ?1, ?3, ?4)",
            )
            .unwrap()
            .execute(rusqlite::params![id, format!("{now_ms:016}-00000-bench"), serde_json::to_string(&answers).unwrap(), now_ms])
            .unwrap();
            raw.execute_batch("COMMIT").unwrap();
        })
    });
    g.finish();

    encryption(c, &f, &input);

    let mut g = c.benchmark_group("case_detail");
    g.bench_function("store", |b| {
        b.iter(|| black_box(f.store.case_detail(WORKER, &f.case_id).unwrap()))
    });
    g.finish();

    report_size(&f);
}

/// The same store encrypted (SQLCipher, raw 256-bit key: ADR 0013) beside
/// the plain one, in the same run: a copy of the fixture's database is
/// encrypted in place, then the household page, a visit and opening the
/// store are timed on both.
fn encryption(c: &mut Criterion, f: &Fixture, input: &VisitInput) {
    let enc_db = f.db.with_file_name("bench-encrypted.db");
    {
        let plain = Connection::open(&f.db).unwrap();
        plain
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE)")
            .unwrap();
    }
    std::fs::copy(&f.db, &enc_db).unwrap();
    let key = StoreKey::generate().unwrap();
    let clock = ManualClock::new(f.store.now());
    let enc = Store::open_encrypted_with_clock(&enc_db, &key, Arc::new(clock.clone())).unwrap();

    // Plain and encrypted side by side, each group measured back to back.
    let mut g = c.benchmark_group("encryption_household_page");
    g.bench_function("plain", |b| b.iter(|| black_box(page(&f.store))));
    g.bench_function("encrypted", |b| b.iter(|| black_box(page(&enc))));
    g.finish();

    let mut g = c.benchmark_group("encryption_record_visit");
    // Each visit ends in an fsync, whose time wanders more than the
    // encryption adds: longer and more samples than the other groups.
    g.sample_size(60)
        .measurement_time(std::time::Duration::from_secs(10));
    g.bench_function("plain", |b| {
        b.iter(|| black_box(f.store.record_visit(WORKER, input).unwrap()))
    });
    g.bench_function("encrypted", |b| {
        b.iter(|| black_box(enc.record_visit(WORKER, input).unwrap()))
    });
    g.finish();
    drop(enc);

    // Opening: what the app pays at launch (migrations checked, the
    // device id read, orphan photo files swept), on the same 50,000-visit
    // database.
    let mut g = c.benchmark_group("encryption_open_store");
    g.bench_function("plain", |b| {
        b.iter(|| black_box(Store::open_with_clock(&f.db, Arc::new(clock.clone())).unwrap()))
    });
    g.bench_function("encrypted", |b| {
        b.iter(|| {
            black_box(
                Store::open_encrypted_with_clock(&enc_db, &key, Arc::new(clock.clone())).unwrap(),
            )
        })
    });
    g.finish();
}

/// Database growth per 10,000 visits recorded through the store (answers,
/// visit rows, outbox rows and indexes included).
fn report_size(f: &Fixture) {
    let size = |p: &Path| {
        let wal = p.with_file_name(format!("{}-wal", p.file_name().unwrap().to_string_lossy()));
        std::fs::metadata(p).map(|m| m.len()).unwrap_or(0)
            + std::fs::metadata(wal).map(|m| m.len()).unwrap_or(0)
    };
    let c = Connection::open(&f.db).unwrap();
    let compact = || {
        c.execute_batch(
            "PRAGMA wal_checkpoint(TRUNCATE); VACUUM; PRAGMA wal_checkpoint(TRUNCATE);",
        )
        .unwrap();
    };
    c.execute("DELETE FROM outbox", []).unwrap();
    compact();
    let before = size(&f.db);
    let answers = safe_answers(&f.template, 30);
    let started = std::time::Instant::now();
    for i in 0..10_000 {
        let input = VisitInput {
            household_code: format!("BH{:05}", i % HOUSEHOLDS),
            patrol_id: None,
            template_id: f.template.id.clone(),
            template_version: f.template.version,
            answers: answers.clone(),
            notes: String::new(),
            fix: None,
            photos: vec![],
        };
        f.store.record_visit(WORKER, &input).unwrap();
    }
    let elapsed = started.elapsed();
    compact();
    let unsynced = size(&f.db) - before;
    c.execute("DELETE FROM outbox", []).unwrap();
    compact();
    let synced = size(&f.db) - before;
    let mib = |b: u64| b as f64 / 1048576.0;
    println!(
        "figure: db_growth_per_10k_visits: {:.1} MiB while waiting to sync (outbox included), {:.1} MiB after sync \
         (30 answers each; recording 10,000 visits took {:.1} s)",
        mib(unsynced),
        mib(synced),
        elapsed.as_secs_f64()
    );
}

criterion_group! {
    name = store;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(4));
    targets = benches
}
criterion_main!(store);
