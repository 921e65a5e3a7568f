//! A phone whose clock runs years ahead cannot freeze a record: its stamp
//! is clamped to the server's clock plus the allowed skew, a stamp stored
//! before that rule no longer wins, an administrator's write resets the
//! record's clock, and a patrol cannot end before it starts.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use chrono::Duration;
use common::*;
use gridwork_core::clock::ManualClock;
use gridwork_core::household::Tag;
use gridwork_core::sync::protocol::OpAnswer;
use gridwork_core::Store;

fn stored_hlc(w: &World, code: &str) -> String {
    w.server_db(|sql| {
        sql.query_row("SELECT hlc FROM household WHERE code = ?1", &[&code], |r| {
            r.get(0)
        })
        .unwrap()
        .unwrap()
    })
}

fn name_on_server(w: &World, code: &str) -> String {
    w.server
        .household_detail(SECRETARY, code)
        .unwrap()
        .household
        .name
}

/// H001 as populated, under a new name.
fn h001(name: &str) -> gridwork_core::household::Household {
    let mut h = household("H001", G1, 113.9015, 22.5015, vec![Tag::ElderlyAlone]);
    h.name = name.into();
    h
}

fn rename(phone: &Store, name: &str) {
    phone.upsert_household(&h001(name)).unwrap();
}

#[test]
fn a_phone_years_ahead_does_not_win_every_later_edit() {
    let w = World::new();
    let ahead = ManualClock::new(t0() + Duration::days(5 * 365));
    let skewed =
        Store::open_with_clock(w.dir.path().join("skewed.db"), Arc::new(ahead.clone())).unwrap();
    w.sync_with_clock(&skewed, WORKER, Arc::new(ahead.clone()));
    rename(&skewed, "未来");
    w.sync_with_clock(&skewed, WORKER, Arc::new(ahead));
    assert_eq!(
        name_on_server(&w, "H001"),
        "未来",
        "the edit itself is kept"
    );
    let wall: i64 = stored_hlc(&w, "H001")[..16].parse().unwrap();
    let limit =
        gridwork_core::clock::to_ms(t0()) + gridwork_core::limits::clock::MAX_FUTURE_SKEW_MS;
    assert_eq!(
        wall, limit,
        "the stamp is clamped to the server's clock plus the skew"
    );

    // Later, a phone with a right clock edits the same household: it wins.
    w.clock.advance(Duration::minutes(11));
    let phone = w.device("worker");
    w.sync(&phone, WORKER);
    rename(&phone, "现在");
    let report = w.sync(&phone, WORKER);
    assert_eq!(report.pushed.rejected, 0, "{report:?}");
    assert_eq!(name_on_server(&w, "H001"), "现在");
}

#[test]
fn a_stamp_stored_far_ahead_before_the_rule_no_longer_wins() {
    let w = World::new();
    w.server_db(|sql| {
        sql.execute(
            "UPDATE household SET hlc = '0009999999999999-00000-old-phone' WHERE code = 'H001'",
            &[],
        )
        .unwrap()
    });
    let phone = w.device("worker");
    w.sync(&phone, WORKER);
    rename(&phone, "解冻");
    w.sync(&phone, WORKER);
    assert_eq!(name_on_server(&w, "H001"), "解冻");
}

#[test]
fn an_administrators_write_resets_the_records_clock() {
    let w = World::new();
    let phone = w.device("worker");
    w.sync(&phone, WORKER);
    rename(&phone, "网格员改");
    w.sync(&phone, WORKER);
    assert!(!stored_hlc(&w, "H001").is_empty());
    // The administrator's re-import (a direct write on the server).
    w.server.upsert_household(&h001("管理员改")).unwrap();
    assert_eq!(
        stored_hlc(&w, "H001"),
        "",
        "the record's clock starts again"
    );
    assert_eq!(name_on_server(&w, "H001"), "管理员改");
}

#[test]
fn a_patrol_cannot_end_before_it_starts() {
    let w = World::new();
    let phone = w.device("worker");
    w.sync(&phone, WORKER);
    let patrol = phone.start_patrol(WORKER, G1, None).unwrap();
    w.sync(&phone, WORKER);
    let mut ops = vec![];
    let ended = serde_json::json!({
        "seq": 1000, "op_id": uuid::Uuid::now_v7().to_string(),
        "hlc": format!("{:016}-00000-{}", gridwork_core::clock::to_ms(t0()), phone.device_id()),
        "created_at": t0(),
        "operation": {"op": "patrol_ended", "patrol_id": patrol.id, "ended_at": t0() - Duration::hours(2), "distance_m": 10.0}
    });
    ops.push(serde_json::from_value(ended).unwrap());
    let answers = w
        .server
        .apply_push(WORKER, phone.device_id(), None, i64::MAX - 1, &ops)
        .unwrap();
    assert!(
        matches!(&answers[0], OpAnswer::Rejected { code, reason, .. } if code == "invalid" && reason.contains("cannot end before it starts")),
        "{answers:?}"
    );
}
