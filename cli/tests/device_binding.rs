//! A device id is bound to the person whose phone it is (`gridwork serve`
//! as a real process): someone else activating with that id is refused 409
//! and the enrolled phone keeps working; the same person enrolling the same
//! installation again (a lost answer, a new code) replaces its credential.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use support::{activate_raw, Town};

async fn activate(town: &Town, code: &str, device_id: &str) -> (u16, serde_json::Value) {
    let resp = activate_raw(&town.server.url, code, device_id).await;
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(serde_json::Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_id_cannot_be_taken_over_by_another_person() {
    let town = Town::new().await;
    let victim = town.phone("w1").await;
    let victim_id = victim.store.device_id().to_string();

    // w2, with a code of their own, names w1's device id.
    let code = town.admin.code_for("w2").await;
    let (status, body) = activate(&town, &code, &victim_id).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["code"], "conflict");
    assert!(
        body["reason"]
            .as_str()
            .unwrap()
            .contains("belongs to another person's phone"),
        "{body}"
    );
    // The victim's phone is untouched: it still syncs with its credential.
    victim.sync().await;
    // The refused code was not spent: w2 enrols with a device id of their own.
    let (status, body) = activate(&town, &code, "w2-own-phone").await;
    assert_eq!(status, 200, "{body}");

    // w1 enrolling the same installation again replaces its credential.
    let again = town.admin.code_for("w1").await;
    let (status, body) = activate(&town, &again, &victim_id).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["user"]["id"], "w1");
    let stale = victim.try_sync().await;
    assert!(
        stale.is_err(),
        "the old credential of that installation stops working"
    );
}
