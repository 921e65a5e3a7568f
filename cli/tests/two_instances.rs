//! Two `gridwork serve` processes, each with its own data directory, on one
//! PostgreSQL (issue 21): phones enrolled on either, syncing through the
//! two in turn, and one instance killed (`kill -9`) while the phones push.
//! Every visit a phone recorded is on the server exactly once, every
//! phone's outbox is acknowledged, and every phone pulls what its
//! colleagues recorded through the other instance.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::Path;
use std::time::Duration;

use gridwork_core::db::postgres::testing::Cluster;
use gridwork_core::household::PlaceKind;
use gridwork_core::store::VisitInput;
use gridwork_core::Store;
use support::{fix, off_runtime, pg_count, safe_answers, Phone, ServerProcess, Town};

/// Rounds of visits and syncs (bounded), and the rounds in which the
/// instance the phones push to is killed (the first, then the second).
const ROUNDS: usize = 6;
const KILL_ROUNDS: [usize; 2] = [2, 3];

fn visit(store: &Store, worker: &str, household: &str) {
    let t = store.checklist_for_kind(PlaceKind::Household).unwrap();
    store
        .record_visit(
            worker,
            &VisitInput {
                household_code: household.into(),
                patrol_id: None,
                template_id: t.id,
                template_version: t.version,
                answers: safe_answers(),
                notes: String::new(),
                fix: Some(fix()),
                photos: vec![],
            },
        )
        .unwrap();
}

/// A count from a phone's own database file.
fn phone_count(db: &Path, sql: &str) -> i64 {
    rusqlite::Connection::open(db)
        .unwrap()
        .query_row(sql, [], |r| r.get(0))
        .unwrap()
}

/// Sync until it goes through (the instance it names may be down for a
/// moment); bounded.
async fn sync_on(phone: &Phone, server: &str) -> bool {
    let owner = phone.store.device_owner().unwrap().unwrap();
    phone.store.set_server(server, &owner).unwrap();
    phone.try_sync().await.is_ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phones_alternate_between_two_instances_and_a_kill9_loses_and_doubles_nothing() {
    let cluster = off_runtime(|| Cluster::start().unwrap());
    let url = off_runtime(|| cluster.url_for("two_instances").unwrap());
    let args = vec!["--database".to_string(), url.clone()];
    let mut town = Town::with(&args, &[]).await;

    // The second instance: a data directory of its own, the first one's
    // activation-code key (docs/deployment.md), the same database.
    let b_data = town.dir.path().join("second-data");
    std::fs::create_dir_all(&b_data).unwrap();
    std::fs::copy(town.server.data.join("auth.key"), b_data.join("auth.key")).unwrap();
    let mut second = ServerProcess::start_with(&b_data, 0, &args);
    assert!(
        second.admin_code.is_none(),
        "one administrator, made by the first"
    );

    // Two phones per worker: one enrolled on each instance.
    let mut phones: Vec<(Phone, &str, [&str; 2], String)> = Vec::new();
    for (worker, households) in [("w1", ["H001", "H002"]), ("w2", ["H101", "H101"])] {
        for (k, server) in [&town.server.url, &second.url].into_iter().enumerate() {
            let code = town.admin.code_for(worker).await;
            let name = format!("{worker}-{k}");
            let phone = Phone::enrol(town.dir.path(), &name, server, &code).await;
            assert!(
                phone.try_sync().await.is_ok(),
                "{name} enrolled on {server}"
            );
            phones.push((phone, worker, households, name));
        }
    }

    let mut recorded = 0i64;
    for round in 0..ROUNDS {
        let killed = KILL_ROUNDS.contains(&round);
        let visits = if killed { 40 } else { 5 };
        for (phone, worker, households, _) in &phones {
            for k in 0..visits {
                visit(&phone.store, worker, households[k % 2]);
                recorded += 1;
            }
        }
        let (here, other) = if round % 2 == 0 {
            (town.server.url.clone(), second.url.clone())
        } else {
            (second.url.clone(), town.server.url.clone())
        };
        let syncs =
            futures_util::future::join_all(phones.iter().map(|(p, _, _, _)| sync_on(p, &here)));
        let target = if round % 2 == 0 {
            &mut town.server
        } else {
            &mut second
        };
        let outcomes = if killed {
            // The instance dies while the phones push to it.
            let kill = async {
                tokio::time::sleep(Duration::from_millis(40)).await;
                target.kill9();
            };
            let (outcomes, ()) = tokio::join!(syncs, kill);
            outcomes
        } else {
            syncs.await
        };
        let failed = outcomes.iter().filter(|ok| !**ok).count();
        let stored = pg_count(&url, "SELECT COUNT(*) FROM visit");
        eprintln!("round {round}: {failed} of {} syncs failed on {here}; {stored} of {recorded} visits stored", outcomes.len());
        // A phone whose sync failed tries the other instance (bounded).
        for ((phone, _, _, _), ok) in phones.iter().zip(outcomes) {
            let mut ok = ok;
            for _ in 0..5 {
                if ok {
                    break;
                }
                ok = sync_on(phone, &other).await;
            }
            assert!(
                ok,
                "round {round}: a phone could not sync on either instance"
            );
        }
        if killed {
            target.restart();
        }
    }

    // Every phone's operations acknowledged; on the server exactly once.
    for (phone, _, _, _) in &phones {
        assert!(sync_on(phone, &town.server.url).await);
        assert!(
            phone.store.outbox(1000).unwrap().is_empty(),
            "all acknowledged"
        );
    }
    assert_eq!(pg_count(&url, "SELECT COUNT(*) FROM visit"), recorded);
    assert_eq!(
        pg_count(&url, "SELECT COUNT(DISTINCT id) FROM visit"),
        recorded
    );
    // And each phone pulled its grid's visits, whichever instance took them.
    for (_, worker, _, name) in &phones {
        let grid = if *worker == "w1" { "G1" } else { "G2" };
        let on_server = pg_count(
            &url,
            &format!("SELECT COUNT(*) FROM visit WHERE grid_code = '{grid}'"),
        );
        assert_eq!(
            phone_count(
                &town.dir.path().join(format!("{name}.db")),
                &format!("SELECT COUNT(*) FROM visit WHERE grid_code = '{grid}'")
            ),
            on_server,
            "{worker}'s phone"
        );
    }
}
