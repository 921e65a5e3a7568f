//! Personal numbers under PIPL, against `gridwork serve` as a real process:
//! only the grid's own worker and the village secretary receive ID and
//! phone numbers whole; a township supervisor's phone (and the
//! administrator's) holds them masked, and showing one is a request the
//! server authorizes, records with its own clock, and answers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use gridwork_core::pii::PiiField;
use gridwork_core::sync::device;
use gridwork_core::CoreError;
use support::{server_db, Phone, Town};

const PHONE: &str = "13912345678";
const ID_NUMBER: &str = "11010519491231002X";

/// Every byte the phone keeps of its store (database and journal).
fn store_bytes(town: &Town, name: &str) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal"] {
        let path = town.dir.path().join(format!("{name}.db{suffix}"));
        if let Ok(b) = std::fs::read(path) {
            all.extend(b);
        }
    }
    all
}

fn holds(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn member_h001(phone: &Phone) -> gridwork_core::store::MemberView {
    let detail = phone.store.household_detail(&phone.user, "H001").unwrap();
    detail
        .members
        .into_iter()
        .find(|m| m.name == "刘奶奶")
        .unwrap()
}

fn server_reveals(town: &Town, member: &str) -> Vec<(String, String, String, i64)> {
    server_db(&town.server.data, |db| {
        db.query_map(
            "SELECT user_id, field, reason, at FROM pii_reveal WHERE member_id = ?1 ORDER BY at",
            &[&member],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whole_numbers_reach_only_the_grid_and_the_village() {
    let town = Town::new().await;
    for (user, whole) in [("w1", true), ("s1", true), ("t1", false)] {
        let phone = town.phone(user).await;
        let m = member_h001(&phone);
        assert_eq!(m.phone_masked.as_deref(), Some("139****5678"), "{user}");
        assert_eq!(m.reveal_online, !whole, "{user}");
        let bytes = store_bytes(&town, user);
        assert_eq!(
            holds(&bytes, PHONE),
            whole,
            "{user}'s store and the phone number"
        );
        assert_eq!(
            holds(&bytes, ID_NUMBER),
            whole,
            "{user}'s store and the ID number"
        );
    }
    // w2 works grid G2: H001 (grid G1) is not on that phone at all.
    let w2 = town.phone("w2").await;
    assert!(w2.store.household_detail("w2", "H001").is_err());
    assert!(!holds(&store_bytes(&town, "w2"), PHONE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisor_reveals_through_the_server_which_records_it() {
    let town = Town::new().await;
    let t1 = town.phone("t1").await;
    let m = member_h001(&t1);

    // Offline, the phone cannot show what it does not hold.
    let local = t1
        .store
        .reveal_member_field("t1", &m.id, PiiField::Phone, "回访核实");
    assert!(
        matches!(&local, Err(CoreError::NotPermitted { reason }) if reason.contains("revealed by the server")),
        "{local:?}"
    );
    // No reason: refused before anything is asked or recorded.
    let none =
        device::reveal_member_field(&t1.store, t1.secrets.as_ref(), &m.id, PiiField::Phone, " ")
            .await;
    assert!(
        matches!(&none, Err(CoreError::Invalid { field, .. }) if field == "reason"),
        "{none:?}"
    );

    let before = chrono::Utc::now().timestamp_millis();
    let phone = device::reveal_member_field(
        &t1.store,
        t1.secrets.as_ref(),
        &m.id,
        PiiField::Phone,
        "回访核实",
    )
    .await
    .unwrap();
    let id = device::reveal_member_field(
        &t1.store,
        t1.secrets.as_ref(),
        &m.id,
        PiiField::IdNumber,
        "核对低保身份",
    )
    .await
    .unwrap();
    assert_eq!((phone.as_str(), id.as_str()), (PHONE, ID_NUMBER));
    // The revealed number was shown, not kept.
    assert!(!holds(&store_bytes(&town, "t1"), PHONE));

    let log = server_reveals(&town, &m.id);
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(
        (log[0].0.as_str(), log[0].1.as_str(), log[0].2.as_str()),
        ("t1", "phone", "回访核实")
    );
    assert_eq!(
        (log[1].1.as_str(), log[1].2.as_str()),
        ("id_number", "核对低保身份")
    );
    assert!(
        log.iter().all(|r| r.3 >= before - 1_000),
        "dated by the server's clock: {log:?}"
    );

    // Out of reach reads as not there: w2 (grid G2) asks for H001's member.
    let w2 = town.phone("w2").await;
    let out = device::reveal_member_field(
        &w2.store,
        w2.secrets.as_ref(),
        &m.id,
        PiiField::Phone,
        "好奇",
    )
    .await;
    assert!(matches!(out, Err(CoreError::NotFound { .. })), "{out:?}");
    let ghost = device::reveal_member_field(
        &w2.store,
        w2.secrets.as_ref(),
        "no-such-member",
        PiiField::Phone,
        "好奇",
    )
    .await;
    assert_eq!(
        format!("{out:?}").replace(&m.id, "X"),
        format!("{ghost:?}").replace("no-such-member", "X")
    );
    assert_eq!(
        server_reveals(&town, &m.id).len(),
        2,
        "refusals are not reveals"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_supervisors_edit_of_a_masked_member_keeps_the_numbers() {
    let town = Town::new().await;
    let t1 = town.phone("t1").await;
    let m = member_h001(&t1);
    // The supervisor corrects the relation; their copy has masked numbers.
    let mut member = gridwork_core::household::Member {
        id: m.id.clone(),
        household_code: "H001".into(),
        name: m.name.clone(),
        relation: "本人".into(),
        phone: m.phone_masked.clone(),
        id_number: m.id_number_masked.clone(),
        pii_masked: true,
    };
    t1.store.upsert_member(&member).unwrap();
    let report = t1.sync().await;
    assert_eq!(report.pushed.applied, 1, "{report:?}");

    // The worker's phone gets the new relation and the numbers whole.
    let w1 = town.phone("w1").await;
    let got = w1.store.household_detail("w1", "H001").unwrap();
    let seen = got.members.iter().find(|x| x.id == m.id).unwrap();
    assert_eq!(seen.relation, "本人");
    assert!(!seen.reveal_online);
    assert_eq!(
        w1.store
            .reveal_member_field("w1", &m.id, PiiField::Phone, "回访核实")
            .unwrap(),
        PHONE
    );

    // Masked numbers cannot make a new member.
    member.id = "M-new".into();
    t1.store.upsert_member(&member).unwrap();
    let report = t1.sync().await;
    assert_eq!(report.pushed.rejected, 1, "{report:?}");
    let conflicts = t1.store.conflicts(true).unwrap();
    assert!(
        conflicts.iter().any(|c| c.reason.contains("whole numbers")),
        "{conflicts:?}"
    );
}
