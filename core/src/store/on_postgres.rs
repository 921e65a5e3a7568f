//! The store's modules already on the SQL layer (ADR 0018), run against a
//! real PostgreSQL beside SQLite: the same rows in, the same answers out.
//! Grows with each module moved onto `db::Sql`.
#![allow(clippy::unwrap_used)]

use chrono::{NaiveDate, TimeZone, Utc};
use geo::polygon;

use super::audit::{trail, AuditFilter};
use super::checklists::{current_template, load_template};
use super::regions::{load_grid, load_region, region_path};
use super::report::server_figures;
use super::roster::roster;
use super::users::{active_assignments, actor, grid_assignments, load_assignment, load_user};
use crate::checklist::defaults::default_templates;
use crate::db::postgres::testing::Cluster;
use crate::db::Sql;
use crate::grid::boundary_to_geojson;
use crate::household::PlaceKind;

/// A city, township, village and grid, a worker assigned to the grid, a
/// supervisor over the township, and the default checklists: written with
/// the same statements on either engine.
fn seed(sql: Sql<'_>) {
    let region = "INSERT INTO region (code, name, level, parent_code, boundary, updated_at)
                  VALUES (?1, ?2, ?3, ?4, NULL, 0)";
    sql.execute(region, &[&"C1", &"深圳市", &"city", &None::<String>])
        .unwrap();
    sql.execute(region, &[&"T1", &"西乡街道", &"township", &Some("C1")])
        .unwrap();
    sql.execute(region, &[&"V1", &"固戍社区", &"village", &Some("T1")])
        .unwrap();
    let boundary = boundary_to_geojson(&geo::MultiPolygon::new(vec![polygon![
        (x: 113.90, y: 22.50), (x: 113.91, y: 22.50), (x: 113.91, y: 22.51), (x: 113.90, y: 22.51)
    ]]));
    sql.execute(
        "INSERT INTO grid (code, name, village_code, boundary, min_lon, min_lat, max_lon, max_lat, updated_at)
         VALUES (?1, ?2, ?3, ?4, 113.90, 22.50, 113.91, 22.51, 0)",
        &[&"G1", &"固戍一网格", &"V1", &boundary],
    )
    .unwrap();
    let user =
        "INSERT INTO app_user (id, name, role, phone, jurisdiction) VALUES (?1, ?2, ?3, ?4, ?5)";
    sql.execute(
        user,
        &[
            &"w1",
            &"李网格",
            &"grid_worker",
            &Some("13800000001"),
            &"[]",
        ],
    )
    .unwrap();
    sql.execute(
        user,
        &[
            &"s1",
            &"周督导",
            &"township_supervisor",
            &None::<String>,
            &r#"["T1"]"#,
        ],
    )
    .unwrap();
    let assign = "INSERT INTO assignment (user_id, grid_code, kind, from_day, to_day) VALUES (?1, ?2, ?3, ?4, ?5)";
    sql.execute(
        assign,
        &[&"w1", &"G1", &"primary", &"2026-01-01", &None::<String>],
    )
    .unwrap();
    sql.execute(
        assign,
        &[&"w1", &"G1", &"backup", &"2025-01-01", &Some("2025-12-31")],
    )
    .unwrap();
    sql.execute(
        user,
        &[&"a1", &"管理员", &"administrator", &None::<String>, &"[]"],
    )
    .unwrap();
    sql.execute(
        "INSERT INTO member (id, household_code, name, relation, phone, id_number, updated_at)
         VALUES ('M001', 'H001', '刘奶奶', '户主', '13912345678', NULL, 0)",
        &[],
    )
    .unwrap();
    let reveal = "INSERT INTO pii_reveal (id, user_id, member_id, field, reason, at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
    sql.execute(
        reveal,
        &[&"R1", &"w1", &"M001", &"phone", &"回访核实", &1_000i64],
    )
    .unwrap();
    sql.execute(
        reveal,
        &[&"R2", &"s1", &"M001", &"id_number", &"核对身份", &2_000i64],
    )
    .unwrap();
    sql.execute(
        "INSERT INTO household (code, grid_code, kind, name, address, lat, lon, tags, updated_at)
         VALUES ('H001', 'G1', 'household', '刘家', '固戍村1号', 22.505, 113.905, 'elderly_alone', 0)",
        &[],
    )
    .unwrap();
    // A visit with answers in the packed form the store keeps them in.
    let answers = super::visits::pack_answers(&[crate::checklist::Answer {
        item_code: "hh.gas_safe".into(),
        value: crate::checklist::AnswerValue::YesNo(true),
    }])
    .unwrap();
    sql.execute(
        "INSERT INTO visit (id, household_code, grid_code, worker_id, patrol_id, template_id,
             template_version, notes, at, fix, verdict_status, verdict, answers)
         VALUES ('v1', 'H001', 'G1', 'w1', NULL, 'household', 1, '一切正常', 1000, NULL, NULL, NULL, ?1)",
        &[&answers],
    )
    .unwrap();
    let op = "INSERT INTO op_log (op_id, device_id, answer, at) VALUES (?1, 'd1', ?2, 0)";
    sql.execute(op, &[&"op1", &r#"{"op_id":"op1","status":"applied"}"#])
        .unwrap();
    sql.execute(op, &[&"op2", &r#"{"op_id":"op2","status":"rejected"}"#])
        .unwrap();
    let photo = "INSERT INTO evidence (id, owner_kind, owner_id, sha256, size, media_type, taken_at,
                     upload_state, created_at) VALUES (?1, 'visit', 'v1', ?2, ?3, 'image/jpeg', 0, ?4, 0)";
    sql.execute(photo, &[&"E1", &"ab".repeat(32), &300_000i64, &"stored"])
        .unwrap();
    sql.execute(
        photo,
        &[&"E2", &"cd".repeat(32), &5_000_000_000i64, &"stored"],
    )
    .unwrap();
    sql.execute(photo, &[&"E3", &"ef".repeat(32), &7i64, &"waiting"])
        .unwrap();
    for t in default_templates().unwrap() {
        sql.execute(
            "INSERT INTO checklist_template (id, version, body, stored_at) VALUES (?1, ?2, ?3, 0)",
            &[&t.id, &t.version, &serde_json::to_string(&t).unwrap()],
        )
        .unwrap();
        for kind in &t.applies_to {
            sql.execute(
                "INSERT INTO checklist_current (kind, template_id, version) VALUES (?1, ?2, ?3)
                 ON CONFLICT (kind) DO UPDATE SET template_id = excluded.template_id, version = excluded.version",
                &[&kind.as_str(), &t.id, &t.version],
            )
            .unwrap();
        }
    }
}

/// What the moved modules answer, as text to compare.
fn answers(sql: Sql<'_>) -> Vec<String> {
    let day = NaiveDate::from_ymd_opt(2026, 5, 11).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 5, 11, 2, 0, 0).unwrap();
    let template = current_template(sql, PlaceKind::Household)
        .unwrap()
        .unwrap();
    vec![
        format!("{:?}", load_user(sql, "w1").unwrap()),
        format!("{:?}", load_user(sql, "nobody").unwrap()),
        format!("{:?}", active_assignments(sql, "w1", day).unwrap()),
        format!("{:?}", grid_assignments(sql, "G1", day).unwrap()),
        format!(
            "{:?}",
            load_assignment(sql, "w1", "G1", "2025-01-01").unwrap()
        ),
        format!("{:?}", actor(sql, "w1", now).unwrap()),
        format!("{:?}", actor(sql, "s1", now).unwrap()),
        format!("{:?}", load_region(sql, "T1").unwrap()),
        format!("{:?}", load_grid(sql, "G1").unwrap()),
        format!("{:?}", region_path(sql, "G1").unwrap()),
        format!("{:?}", region_path(sql, "G9").unwrap_err()),
        format!(
            "{:?}",
            load_template(sql, &template.id, template.version).unwrap()
        ),
        format!("{template:?}"),
        format!(
            "{:?}",
            trail(sql, "a1", &AuditFilter::default(), 50, now).unwrap()
        ),
        format!(
            "{:?}",
            trail(
                sql,
                "a1",
                &AuditFilter {
                    actor_id: Some("s1".into()),
                    ..Default::default()
                },
                50,
                now
            )
            .unwrap()
        ),
        format!(
            "{:?}",
            trail(sql, "w1", &AuditFilter::default(), 50, now).unwrap_err()
        ),
        format!("{:?}", roster(sql, "s1", None, now).unwrap()),
        format!("{:?}", roster(sql, "a1", Some("V1"), now).unwrap()),
        format!("{:?}", roster(sql, "s1", Some("V9"), now).unwrap_err()),
        format!("{:?}", roster(sql, "w1", None, now).unwrap_err()),
        format!("{:?}", server_figures(sql).unwrap()),
        format!("{:?}", super::visits::load_visit(sql, "v1").unwrap()),
        format!("{:?}", super::visits::load_visit(sql, "v9").unwrap()),
        format!(
            "{:?}",
            super::households::load_household(sql, "H001").unwrap()
        ),
        format!("{:?}", super::households::load_member(sql, "M001").unwrap()),
        format!("{:?}", super::households::visit_policy(sql).unwrap()),
        format!(
            "{:?}",
            super::households::require_grid_reach(sql, &actor(sql, "w1", now).unwrap(), "G1")
        ),
        format!(
            "{:?}",
            super::households::require_grid_reach(sql, &actor(sql, "a1", now).unwrap(), "G9")
        ),
        format!("{:?}", super::inbox::load_item(sql, "nothing").unwrap()),
    ]
}

#[test]
fn moved_modules_answer_the_same_on_postgresql_as_on_sqlite() {
    let mut sqlite = rusqlite::Connection::open_in_memory().unwrap();
    super::schema::migrations().to_latest(&mut sqlite).unwrap();
    seed(Sql::Sqlite(&sqlite));
    let want = answers(Sql::Sqlite(&sqlite));
    // Not empty answers: the seeded rows are seen (the worker, her grid,
    // the reveals, the grid's roster with her on it).
    assert!(
        want[0].contains("李网格") && want[5].contains("G1"),
        "{want:?}"
    );
    assert!(want[13].contains("回访核实"), "{}", want[13]);
    assert!(want[21].contains("hh.gas_safe"), "{}", want[21]);
    assert!(
        want[23].contains("刘家") && want[24].contains("13912345678"),
        "{want:?}"
    );
    // Bytes past 32 bits summed exactly; one of two operations refused.
    assert!(
        want[20].contains("evidence_stored_bytes: 5000300000")
            && want[20].contains("ops_rejected: 1"),
        "{}",
        want[20]
    );
    assert!(
        want[16].contains("固戍一网格") && want[16].contains("李网格"),
        "{}",
        want[16]
    );

    let cluster = Cluster::start().unwrap();
    let pg = cluster.session("moved_modules").unwrap();
    pg.migrate(&super::schema::postgres_migrations()).unwrap();
    pg.transaction(|sql| {
        seed(sql);
        Ok(())
    })
    .unwrap();
    let got = pg.transaction(|sql| Ok(answers(sql))).unwrap();
    for (i, (w, g)) in want.iter().zip(&got).enumerate() {
        assert_eq!(w, g, "answer {i}");
    }
}

/// A value of any class, to copy rows between the engines.
#[derive(Debug)]
enum Owned {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl crate::db::FromColumn for Owned {
    fn from_column(c: crate::db::Column<'_>) -> std::result::Result<Self, String> {
        use crate::db::Column;
        Ok(match c {
            Column::Null => Owned::Null,
            Column::Integer(i) => Owned::Integer(i),
            Column::Real(r) => Owned::Real(r),
            Column::Text(t) => Owned::Text(t.to_string()),
            Column::Blob(b) => Owned::Blob(b.to_vec()),
        })
    }
}

impl crate::db::Param for Owned {
    fn column(&self) -> crate::db::Column<'_> {
        use crate::db::Column;
        match self {
            Owned::Null => Column::Null,
            Owned::Integer(i) => Column::Integer(*i),
            Owned::Real(r) => Column::Real(*r),
            Owned::Text(t) => Column::Text(t),
            Owned::Blob(b) => Column::Blob(b),
        }
    }
}

/// Every row of `table`, copied from a SQLite store to another engine.
fn copy_table(from: Sql<'_>, to: Sql<'_>, table: &str) {
    let columns: Vec<String> = from
        .query_map("SELECT name FROM pragma_table_info(?1)", &[&table], |r| {
            r.get(0)
        })
        .unwrap();
    let rows: Vec<Vec<Owned>> = from
        .query_map(
            &format!("SELECT {} FROM {table}", columns.join(", ")),
            &[],
            |r| (0..columns.len()).map(|i| r.get::<Owned>(i)).collect(),
        )
        .unwrap();
    let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
    let insert = format!(
        "INSERT INTO {table} ({}) VALUES ({})",
        columns.join(", "),
        marks.join(", ")
    );
    for row in &rows {
        let params: Vec<&dyn crate::db::Param> =
            row.iter().map(|v| v as &dyn crate::db::Param).collect();
        to.execute(&insert, &params).unwrap();
    }
}

/// Real cases, reported through the store on SQLite, on the board of each
/// person and filter: the same pages from PostgreSQL.
#[test]
fn the_case_board_answers_the_same_on_postgresql() {
    use crate::case::CaseState;
    use crate::clock::ManualClock;
    use crate::grid::Grid;
    use crate::region::{Region, RegionLevel};
    use crate::store::case_board::{case_board, CaseFilter};
    use crate::store::cases::CaseScope;
    use crate::user::{Assignment, AssignmentKind, Role, User};

    let dir = tempfile::tempdir().unwrap();
    let now = Utc.with_ymd_and_hms(2026, 5, 11, 2, 0, 0).unwrap();
    let store = super::Store::open_with_clock(
        dir.path().join("city.db"),
        std::sync::Arc::new(ManualClock::new(now)),
    )
    .unwrap();
    for (code, level, parent) in [
        ("C1", RegionLevel::City, None),
        ("T1", RegionLevel::Township, Some("C1")),
        ("V1", RegionLevel::Village, Some("T1")),
    ] {
        store
            .upsert_region(&Region {
                code: code.into(),
                name: code.into(),
                level,
                parent_code: parent.map(str::to_string),
                boundary: None,
            })
            .unwrap();
    }
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
    for (id, role, jurisdiction) in [
        ("w1", Role::GridWorker, vec![]),
        ("s1", Role::TownshipSupervisor, vec!["T1".to_string()]),
        ("a1", Role::Administrator, vec![]),
    ] {
        store
            .upsert_user(&User {
                id: id.into(),
                name: id.into(),
                role,
                phone: None,
                jurisdiction,
            })
            .unwrap();
    }
    store
        .set_assignment(&Assignment {
            user_id: "w1".into(),
            grid_code: "G1".into(),
            kind: AssignmentKind::Primary,
            from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            to: None,
        })
        .unwrap();
    store.install_default_templates().unwrap();
    let categories = store.case_categories().unwrap();
    for category in categories.iter().take(3) {
        store
            .report_case("w1", &category.draft("G1"), &[], None)
            .unwrap();
    }

    let sqlite = rusqlite::Connection::open(dir.path().join("city.db")).unwrap();
    let cluster = Cluster::start().unwrap();
    let pg = cluster.session("case_board").unwrap();
    pg.migrate(&super::schema::postgres_migrations()).unwrap();
    pg.transaction(|to| {
        for table in [
            "region",
            "grid",
            "app_user",
            "assignment",
            "case_file",
            "case_event",
            "meta",
        ] {
            copy_table(Sql::Sqlite(&sqlite), to, table);
        }
        Ok(())
    })
    .unwrap();

    let later = now + chrono::Duration::days(60);
    let boards = |sql: Sql<'_>| -> Vec<String> {
        let f = |scope, open_only, overdue| CaseFilter {
            scope,
            open_only,
            overdue,
            ..Default::default()
        };
        let mut out = vec![];
        for (who, filter, at, offset, limit) in [
            ("w1", f(CaseScope::Mine, false, false), now, 0, 50),
            ("w1", f(CaseScope::Jurisdiction, true, false), now, 1, 1),
            ("s1", f(CaseScope::Jurisdiction, true, false), now, 0, 50),
            ("s1", f(CaseScope::EscalatedToMe, false, false), now, 0, 50),
            ("a1", f(CaseScope::Jurisdiction, false, true), later, 0, 50),
            (
                "a1",
                CaseFilter {
                    state: Some(CaseState::Reported),
                    region: Some("V1".into()),
                    ..Default::default()
                },
                now,
                0,
                50,
            ),
        ] {
            out.push(format!(
                "{:?}",
                case_board(sql, who, &filter, offset, limit, at)
            ));
        }
        out
    };
    // Each case read back whole: the case, its history, its last event,
    // as its reporter and (refused, as not found) someone out of reach;
    // and the deadline policy.
    let cases = |sql: Sql<'_>| -> Vec<String> {
        use crate::store::cases::{
            deadline_policy, last_event, load_case, load_events, visible_case,
        };
        let ids: Vec<String> = sql
            .query_map("SELECT id FROM case_file ORDER BY id", &[], |r| r.get(0))
            .unwrap();
        let w1 = crate::store::users::actor(sql, "w1", now).unwrap();
        let stranger = crate::user::Actor {
            user_id: "x".into(),
            name: "x".into(),
            role: Role::VillageSecretary,
            jurisdiction: vec!["V9".into()],
            grids: vec![],
        };
        let mut out = vec![format!("{:?}", deadline_policy(sql).unwrap())];
        for id in &ids {
            out.push(format!("{:?}", load_case(sql, id).unwrap()));
            out.push(format!("{:?}", load_events(sql, id).unwrap()));
            out.push(format!("{:?}", last_event(sql, id).unwrap()));
            out.push(format!("{:?}", visible_case(sql, &w1, id).map(|c| c.id)));
            out.push(format!(
                "{:?}",
                visible_case(sql, &stranger, id).map(|c| c.id)
            ));
        }
        out.push(format!("{:?}", load_case(sql, "no-such-case").unwrap()));
        out
    };
    let want = boards(Sql::Sqlite(&sqlite));
    assert!(want[0].contains("total: 3"), "{}", want[0]);
    let want_cases = cases(Sql::Sqlite(&sqlite));
    assert_eq!(want_cases.len(), 17, "three cases read five ways");
    let got_cases = pg.transaction(|sql| Ok(cases(sql))).unwrap();
    for (i, (w, g)) in want_cases.iter().zip(&got_cases).enumerate() {
        assert_eq!(w, g, "case answer {i}");
    }
    let got = pg.transaction(|sql| Ok(boards(sql))).unwrap();
    for (i, (w, g)) in want.iter().zip(&got).enumerate() {
        assert_eq!(w, g, "board {i}");
    }
}

#[test]
fn a_nul_in_a_parameter_is_refused_with_a_reason_and_the_transaction_goes_on() {
    let cluster = Cluster::start().unwrap();
    let pg = cluster.session("nul_text").unwrap();
    pg.migrate(&super::schema::postgres_migrations()).unwrap();
    let kept = pg
        .transaction(|sql| {
            let err = sql
                .query_row(
                    "SELECT COUNT(*) FROM household WHERE code = ?1",
                    &[&"H0\u{0}01"],
                    |r| r.get::<i64>(0),
                )
                .unwrap_err();
            assert!(
                matches!(&err, crate::CoreError::Invalid { field, .. } if field == "text"),
                "{err:?}"
            );
            // Nothing reached PostgreSQL: the transaction still works.
            sql.execute(
                "INSERT INTO meta (key, value) VALUES ('nul_probe', 'kept')",
                &[],
            )?;
            Ok(())
        })
        .map(|()| true);
    assert!(kept.unwrap());
    let value = pg
        .snapshot(|sql| {
            sql.query_row("SELECT value FROM meta WHERE key = 'nul_probe'", &[], |r| {
                r.get::<String>(0)
            })
        })
        .unwrap();
    assert_eq!(value.as_deref(), Some("kept"));
}
