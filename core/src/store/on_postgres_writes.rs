//! A whole store on PostgreSQL (`Store::open_postgres`): the same calls as
//! on a SQLite server store leave the same rows and the same change log,
//! and writers on two pools at once (two server instances) never hand a
//! device's pull a change behind its cursor.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use geo::polygon;

use super::{Store, StoreRole};
use crate::clock::ManualClock;
use crate::db::postgres::testing::Cluster;
use crate::db::postgres::PgSession;
use crate::db::Sql;
use crate::grid::Grid;
use crate::region::{Region, RegionLevel};
use crate::user::{Assignment, AssignmentKind, Role, User};

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 12, 7, 8, 0, 0).unwrap(),
    ))
}

fn region(code: &str, name: &str, level: RegionLevel, parent: Option<&str>) -> Region {
    Region {
        code: code.into(),
        name: name.into(),
        level,
        parent_code: parent.map(str::to_string),
        boundary: None,
    }
}

/// A city down to one grid, a worker assigned to it and a supervisor over
/// the township, through the store's own calls.
fn build_city(store: &Store) {
    store
        .upsert_region(&region("C1", "深圳市", RegionLevel::City, None))
        .unwrap();
    store
        .upsert_region(&region("T1", "西乡街道", RegionLevel::Township, Some("C1")))
        .unwrap();
    store
        .upsert_region(&region("V1", "固戍社区", RegionLevel::Village, Some("T1")))
        .unwrap();
    store
        .upsert_grid(&Grid {
            code: "G1".into(),
            name: "固戍一网格".into(),
            village_code: "V1".into(),
            boundary: geo::MultiPolygon::new(vec![polygon![
                (x: 113.90, y: 22.50), (x: 113.91, y: 22.50), (x: 113.91, y: 22.51), (x: 113.90, y: 22.51)
            ]]),
        })
        .unwrap();
    store
        .upsert_user(&User {
            id: "w1".into(),
            name: "李网格".into(),
            role: Role::GridWorker,
            phone: Some("13800000001".into()),
            jurisdiction: vec![],
        })
        .unwrap();
    store
        .upsert_user(&User {
            id: "s1".into(),
            name: "周督导".into(),
            role: Role::TownshipSupervisor,
            phone: None,
            jurisdiction: vec!["T1".into()],
        })
        .unwrap();
    store
        .set_assignment(&Assignment {
            user_id: "w1".into(),
            grid_code: "G1".into(),
            kind: AssignmentKind::Primary,
            from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            to: None,
        })
        .unwrap();
}

/// The change log as devices would pull it, in rev order, without the revs
/// themselves (each engine numbers its own).
fn change_log(sql: Sql<'_>) -> Vec<String> {
    sql.query_map(
        "SELECT kind, entity_id, op, grid, village, township, city, global, user_id
         FROM change_log ORDER BY rev",
        &[],
        |r| {
            Ok(format!(
                "{} {} {} {:?} {:?} {:?} {:?} {} {:?}",
                r.get::<String>(0)?,
                r.get::<String>(1)?,
                r.get::<String>(2)?,
                r.get::<Option<String>>(3)?,
                r.get::<Option<String>>(4)?,
                r.get::<Option<String>>(5)?,
                r.get::<Option<String>>(6)?,
                r.get::<i64>(7)?,
                r.get::<Option<String>>(8)?,
            ))
        },
    )
    .unwrap()
}

/// What the store answers about the city it was given.
fn answers(store: &Store) -> Vec<String> {
    vec![
        format!("{:?}", store.region_path("G1").unwrap()),
        format!("{:?}", store.user("w1").unwrap()),
        format!("{:?}", store.actor("w1").unwrap()),
        format!("{:?}", store.actor("s1").unwrap()),
        format!("{:?}", store.grid("G1").unwrap().name),
        format!("{:?}", store.region("T1").unwrap()),
        format!("{:?}", store.overview("s1", None).unwrap()),
        format!("{:?}", store.overview("s1", Some("V1")).unwrap()),
        format!("{:?}", store.coverage_report("s1").unwrap()),
        format!("{:?}", store.inbox("s1", false, 0, 10).unwrap()),
        format!(
            "{:?}",
            store
                .overview_map("s1", None, crate::coord::CoordSystem::Gcj02)
                .unwrap()
        ),
    ]
}

#[test]
fn a_store_on_postgresql_keeps_what_a_sqlite_store_keeps() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open_server(dir.path().join("server.db"), clock()).unwrap();
    build_city(&sqlite);
    let want_log = sqlite.read(|c| Ok(change_log(Sql::from(c)))).unwrap();
    let want = answers(&sqlite);
    assert!(
        want_log.len() >= 7 && want_log[0].starts_with("region C1 upsert"),
        "{want_log:#?}"
    );
    assert!(
        want[2].contains("G1"),
        "the worker reaches her grid: {want:?}"
    );
    // The supervisor's overview and coverage see the grid and its worker.
    assert!(
        want[6].contains("固戍社区") && want[7].contains("固戍一网格"),
        "{want:?}"
    );
    assert!(want[8].contains("grids_checked: 1"), "{}", want[8]);

    let cluster = Cluster::start().unwrap();
    let url = cluster.url_for("whole_store").unwrap();
    let pg = Store::open_postgres(&url, 4, clock()).unwrap();
    assert_eq!(pg.role(), StoreRole::Server);
    build_city(&pg);
    assert_eq!(answers(&pg), want);
    let session = cluster.join("whole_store").unwrap();
    assert_eq!(change_log(Sql::Postgres(&session)), want_log);

    // A second instance opening the same database finds the schema
    // migrated and takes the same server identity.
    let again = Store::open_postgres(&url, 2, clock()).unwrap();
    assert_eq!(again.device_id(), pg.device_id());
    assert_eq!(answers(&again), want);
}

/// Revs a device would have been handed by pulls taken while the writers
/// ran: each pull reads what is past its cursor and moves the cursor to
/// the highest rev it saw.
fn pulled_while_writing(session: &PgSession, cursor: &mut i64, seen: &mut Vec<i64>) {
    let revs: Vec<i64> = Sql::Postgres(session)
        .query_map(
            "SELECT rev FROM change_log WHERE rev > ?1 ORDER BY rev",
            &[&*cursor],
            |r| r.get(0),
        )
        .unwrap();
    if let Some(last) = revs.last() {
        *cursor = *last;
    }
    seen.extend(revs);
}

#[test]
fn two_instances_writing_at_once_never_put_a_change_behind_a_pull() {
    let cluster = Cluster::start().unwrap();
    let url = cluster.url_for("two_writers").unwrap();
    let instances = [
        Arc::new(Store::open_postgres(&url, 4, clock()).unwrap()),
        Arc::new(Store::open_postgres(&url, 4, clock()).unwrap()),
    ];
    instances[0]
        .upsert_region(&region("C1", "深圳市", RegionLevel::City, None))
        .unwrap();
    const WRITERS: usize = 6;
    const WRITES: usize = 40;
    let done = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let writers: Vec<_> = (0..WRITERS)
        .map(|n| {
            let store = instances[n % 2].clone();
            let done = done.clone();
            std::thread::spawn(move || {
                for i in 0..WRITES {
                    let code = format!("T{n}-{i}");
                    store
                        .upsert_region(&region(&code, &code, RegionLevel::Township, Some("C1")))
                        .unwrap();
                }
                done.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            })
        })
        .collect();
    let reader = cluster.join("two_writers").unwrap();
    let (mut cursor, mut seen) = (0, Vec::new());
    // Bounded: the writers finish, or the test gives up after this many
    // pulls (far more than the writers need).
    for _ in 0..200_000 {
        pulled_while_writing(&reader, &mut cursor, &mut seen);
        if done.load(std::sync::atomic::Ordering::SeqCst) == WRITERS {
            break;
        }
    }
    for w in writers {
        w.join().unwrap();
    }
    pulled_while_writing(&reader, &mut cursor, &mut seen);
    let all: Vec<i64> = Sql::Postgres(&reader)
        .query_map("SELECT rev FROM change_log ORDER BY rev", &[], |r| r.get(0))
        .unwrap();
    assert_eq!(all.len(), 1 + WRITERS * WRITES);
    assert_eq!(seen, all, "a pull's cursor passed a change committed later");
}
