//! The store's SQL layer gives the same answers on SQLite and on a real
//! PostgreSQL (a throwaway cluster made by scripts/pg-cluster.sh, or the
//! one GRIDWORK_PG_URL names): the same statements, the same rows, the
//! same clear errors; and PostgreSQL transactions that lose a race are run
//! again, so concurrent writers lose no update (ADR 0018).
#![cfg(feature = "postgres")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use gridwork_core::db::postgres::testing::Cluster;
use gridwork_core::db::postgres::PgSession;
use gridwork_core::db::{Dialect, Sql};
use gridwork_core::CoreError;

fn cluster() -> Cluster {
    Cluster::start().unwrap()
}

fn session(cluster: &Cluster, schema: &str) -> PgSession {
    cluster.session(schema).unwrap()
}

fn schema(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Sqlite => {
            "CREATE TABLE resident (id TEXT PRIMARY KEY, name TEXT NOT NULL, age INTEGER,
                 lat REAL, photo BLOB, confirmed INTEGER NOT NULL) STRICT"
        }
        Dialect::Postgres => {
            "CREATE TABLE resident (id TEXT PRIMARY KEY, name TEXT NOT NULL, age BIGINT,
                 lat DOUBLE PRECISION, photo BYTEA, confirmed BIGINT NOT NULL)"
        }
    }
}

type Resident = (
    String,
    String,
    Option<i64>,
    Option<f64>,
    Option<Vec<u8>>,
    bool,
);

/// The same statements, whatever the engine; what they answered.
fn exercise(sql: Sql<'_>) -> (Vec<Resident>, Option<String>, i64, String) {
    sql.execute_batch(schema(sql.dialect())).unwrap();
    let insert = "INSERT INTO resident (id, name, age, lat, photo, confirmed)
                  VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    let photo = vec![0u8, 255, 7];
    sql.execute(
        insert,
        &[
            &"M001",
            &"刘奶奶 (who? ?1)",
            &Some(87i64),
            &Some(22.5015f64),
            &Some(photo),
            &true,
        ],
    )
    .unwrap();
    sql.execute(
        insert,
        &[
            &"M002",
            &"王伯",
            &None::<i64>,
            &None::<f64>,
            &None::<Vec<u8>>,
            &false,
        ],
    )
    .unwrap();
    // An upsert in the subset both engines speak.
    let changed = sql
        .execute(
            "INSERT INTO resident (id, name, confirmed) VALUES (?1, ?2, 0)
             ON CONFLICT (id) DO UPDATE SET name = excluded.name",
            &[&"M002", &"王伯伯"],
        )
        .unwrap();
    assert_eq!(changed, 1);
    let rows = sql
        .query_map(
            "SELECT id, name, age, lat, photo, confirmed FROM resident WHERE id >= ?1 ORDER BY id",
            &[&"M"],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            },
        )
        .unwrap();
    let missing = sql
        .query_row("SELECT name FROM resident WHERE id = ?1", &[&"M999"], |r| {
            r.get::<String>(0)
        })
        .unwrap();
    let count = sql
        .query_row("SELECT count(*) FROM resident", &[], |r| r.get::<i64>(0))
        .unwrap()
        .unwrap();
    // A parameter the statement never uses is no error (as on SQLite);
    // one that may be NULL is cast where PostgreSQL meets it first
    // (ADR 0018), given and not given.
    for (name, want) in [(None::<&str>, 2i64), (Some("王伯伯"), 1)] {
        let n = sql
            .query_row(
                "SELECT count(*) FROM resident WHERE (CAST(?2 AS TEXT) IS NULL OR name = ?2) AND id <> ?3",
                &[&"unused", &name, &"M000"],
                |r| r.get::<i64>(0),
            )
            .unwrap();
        assert_eq!(n, Some(want), "name {name:?}");
    }
    // Reading a column as the wrong kind names the column and both kinds.
    let wrong = sql
        .query_row("SELECT name FROM resident WHERE id = ?1", &[&"M001"], |r| {
            r.get::<i64>(0)
        })
        .unwrap_err();
    let wrong = match wrong {
        CoreError::Database { reason, retry } => {
            assert!(!retry);
            reason
        }
        other => panic!("{other:?}"),
    };
    (rows, missing, count, wrong)
}

#[test]
fn the_same_statements_answer_the_same_on_sqlite_and_postgresql() {
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    let on_sqlite = exercise(Sql::Sqlite(&sqlite));

    let cluster = cluster();
    let pg = session(&cluster, "same_answers");
    let on_postgres = pg.transaction(|sql| Ok(exercise(sql))).unwrap();

    assert_eq!(on_sqlite, on_postgres);
    let (rows, missing, count, wrong) = on_sqlite;
    assert_eq!(count, 2);
    assert_eq!(missing, None);
    assert_eq!(
        rows[0].1, "刘奶奶 (who? ?1)",
        "a ? inside a value is a value"
    );
    assert_eq!(rows[0].4.as_deref(), Some(&[0u8, 255, 7][..]));
    assert!(rows[0].5 && !rows[1].5);
    assert_eq!(rows[1].1, "王伯伯");
    assert_eq!(wrong, "column 0: expected an integer, found text");
}

#[test]
fn a_failed_transaction_leaves_nothing_behind() {
    let cluster = cluster();
    let pg = session(&cluster, "rolled_back");
    pg.transaction(|sql| sql.execute_batch(schema(Dialect::Postgres)))
        .unwrap();
    let refused = pg.transaction(|sql| {
        sql.execute(
            "INSERT INTO resident (id, name, confirmed) VALUES (?1, ?2, 0)",
            &[&"M001", &"张三"],
        )?;
        Err::<(), _>(CoreError::invalid("name", "refused after the insert"))
    });
    assert!(matches!(refused, Err(CoreError::Invalid { .. })));
    let count = pg
        .transaction(|sql| sql.query_row("SELECT count(*) FROM resident", &[], |r| r.get::<i64>(0)))
        .unwrap();
    assert_eq!(count, Some(0));
}

#[test]
fn concurrent_writers_lose_no_update() {
    const WRITERS: i64 = 6;
    const EACH: i64 = 20;
    let cluster = cluster();
    let setup = session(&cluster, "no_lost_update");
    setup
        .transaction(|sql| {
            sql.execute_batch("CREATE TABLE counter (id TEXT PRIMARY KEY, n BIGINT NOT NULL)")?;
            sql.execute("INSERT INTO counter VALUES ('visits', 0)", &[])
                .map(|_| ())
        })
        .unwrap();
    std::thread::scope(|scope| {
        for _ in 0..WRITERS {
            scope.spawn(|| {
                let s = cluster.join("no_lost_update").unwrap();
                for _ in 0..EACH {
                    // Read, then write what was read plus one: without
                    // serializable isolation and the retry, two writers
                    // reading the same n would lose one increment.
                    s.transaction(|sql| {
                        let n = sql
                            .query_row("SELECT n FROM counter WHERE id = ?1", &[&"visits"], |r| {
                                r.get::<i64>(0)
                            })?
                            .unwrap_or_default();
                        sql.execute(
                            "UPDATE counter SET n = ?1 WHERE id = ?2",
                            &[&(n + 1), &"visits"],
                        )
                    })
                    .unwrap();
                }
            });
        }
    });
    let n = setup
        .transaction(|sql| sql.query_row("SELECT n FROM counter", &[], |r| r.get::<i64>(0)))
        .unwrap();
    assert_eq!(n, Some(WRITERS * EACH));
}

/// Every table's columns: (table, column, type, NOT NULL), sorted.
type Columns = Vec<(String, String, String, bool)>;

fn sqlite_columns(conn: &rusqlite::Connection) -> Columns {
    let sql = Sql::Sqlite(conn);
    let tables = sql
        .query_map(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            &[],
            |r| r.get::<String>(0),
        )
        .unwrap();
    let mut out = Columns::new();
    for table in tables {
        let cols = sql
            .query_map(
                "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?1)",
                &[&table],
                |r| {
                    Ok((
                        r.get::<String>(0)?,
                        r.get::<String>(1)?,
                        r.get::<bool>(2)?,
                        r.get::<i64>(3)?,
                    ))
                },
            )
            .unwrap();
        for (name, ty, not_null, pk) in cols {
            let ty = match ty.as_str() {
                "INTEGER" => "bigint",
                "REAL" => "double precision",
                "TEXT" => "text",
                "BLOB" => "bytea",
                other => panic!("{table}.{name}: type {other}"),
            };
            // Primary key columns are NOT NULL on PostgreSQL (and in
            // practice on SQLite, where every key here is given).
            out.push((table.clone(), name, ty.to_string(), not_null || pk > 0));
        }
    }
    out.sort();
    out
}

fn postgres_columns(sql: Sql<'_>) -> Columns {
    let mut out = sql
        .query_map(
            "SELECT table_name::text, column_name::text, data_type::text, is_nullable::text
             FROM information_schema.columns WHERE table_schema = current_schema()
               AND table_name <> 'gridwork_schema'",
            &[],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<String>(3)? == "NO")),
        )
        .unwrap();
    out.sort();
    out
}

#[test]
fn the_store_schema_is_the_same_on_postgresql_and_migrates_once() {
    let mut sqlite = rusqlite::Connection::open_in_memory().unwrap();
    gridwork_core::store::schema::migrations()
        .to_latest(&mut sqlite)
        .unwrap();
    let want = sqlite_columns(&sqlite);
    assert!(want.len() > 150, "the whole schema: {} columns", want.len());

    let cluster = cluster();
    let pg = session(&cluster, "store_schema");
    let steps = gridwork_core::store::schema::postgres_migrations();
    // Three instances starting at once: each migration runs once (a second
    // run of a CREATE TABLE would fail), and all see the last version.
    std::thread::scope(|scope| {
        let runs: Vec<_> = (0..3)
            .map(|_| {
                scope.spawn(|| {
                    let s = cluster.join("store_schema").unwrap();
                    s.migrate(&steps).unwrap()
                })
            })
            .collect();
        for run in runs {
            assert_eq!(run.join().unwrap(), steps.len());
        }
    });
    // Started again later: nothing left to run.
    assert_eq!(pg.migrate(&steps).unwrap(), steps.len());
    let got = pg.transaction(|sql| Ok(postgres_columns(sql))).unwrap();
    assert_eq!(got, want);
}
