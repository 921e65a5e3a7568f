//! Activation codes against guessing (`gridwork serve` as a real process):
//! failed attempts are throttled per address with 429 and Retry-After (a
//! right code too, while the address is blocked), and the codes are stored
//! only as digests keyed by the server's own key file, so a copy of the
//! credentials database cannot be searched offline.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use sha2::{Digest, Sha256};
use support::{activate_raw, Town};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guesses_are_throttled_and_codes_are_stored_keyed() {
    let town = Town::new().await;
    let code = town.admin.code_for("w1").await;

    // The credentials database holds no plain hash of the code.
    let stored: Vec<String> = support::auth_db(&town.server.data, |sql| {
        sql.query_map("SELECT code_hash FROM activation_code", &[], |r| r.get(0))
            .unwrap()
    });
    let plain = hex::encode(Sha256::digest(code.as_bytes()));
    assert!(
        !stored.contains(&plain),
        "a bare SHA-256 of the code is stored"
    );
    assert!(stored.iter().all(|h| h.starts_with("k1:")), "{stored:?}");

    // Ten wrong guesses are each told the code is not valid...
    for k in 0..10 {
        let resp = activate_raw(
            &town.server.url,
            &format!("WRONG-{k:05}"),
            &format!("guess-{k}"),
        )
        .await;
        assert_eq!(resp.status().as_u16(), 422);
    }
    // ...then the address is blocked, even for the right code.
    let resp = activate_raw(&town.server.url, &code, "real-phone").await;
    assert_eq!(resp.status().as_u16(), 429);
    let wait: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&wait), "Retry-After: {wait}");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "too_many_attempts");
    assert!(body["reason"]
        .as_str()
        .unwrap()
        .contains("too many failed attempts"));

    // The blocked attempt did not spend the code.
    let used = support::auth_db(&town.server.data, |sql| {
        sql.query_row(
            "SELECT COUNT(*) FROM activation_code WHERE used_at IS NOT NULL AND user_id = 'w1'",
            &[],
            |r| r.get::<i64>(0),
        )
        .unwrap()
    });
    assert_eq!(used, Some(0));
}
