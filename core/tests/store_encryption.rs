//! The phone's store is encrypted at rest (SQLCipher, a raw 256-bit key
//! kept by the platform's secret store): nothing of a resident is readable
//! in the files, a wrong key is a clear error, and a store from before
//! encryption is encrypted in place with everything it held, even after a
//! crash halfway through an earlier attempt.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use std::path::Path;
use std::sync::Arc;

use common::*;
use gridwork_core::clock::ManualClock;
use gridwork_core::pii::PiiField;
use gridwork_core::secrets::{MemorySecrets, SecretStore};
use gridwork_core::store::{StoreKey, STORE_KEY};
use gridwork_core::{CoreError, Store};

/// Every byte of the store's files (database, journal, shared memory).
fn file_bytes(path: &Path) -> Vec<u8> {
    let mut all = Vec::new();
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut name = path.file_name().unwrap().to_os_string();
        name.push(suffix);
        if let Ok(b) = std::fs::read(path.with_file_name(name)) {
            all.extend(b);
        }
    }
    all
}

fn holds(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

fn open_encrypted(path: &Path, key: &StoreKey) -> Store {
    Store::open_encrypted_with_clock(path, key, Arc::new(ManualClock::new(t0()))).unwrap()
}

#[test]
fn nothing_of_a_resident_is_readable_in_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.db");
    let key = StoreKey::generate().unwrap();
    {
        let store = open_encrypted(&path, &key);
        populate(&store);
        let bytes = file_bytes(&path);
        for secret in [
            "13912345678",
            "11010519491231002X",
            "刘奶奶",
            "SQLite format 3",
        ] {
            assert!(
                !holds(&bytes, secret),
                "{secret} readable in the store's files"
            );
        }
    }
    // The same key opens it again, with everything in it.
    let store = open_encrypted(&path, &key);
    assert_eq!(
        store
            .reveal_member_field(WORKER, "M001", PiiField::Phone, "回访核实")
            .unwrap(),
        "13912345678"
    );
}

#[test]
fn a_wrong_key_or_no_key_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.db");
    populate(&open_encrypted(&path, &StoreKey::generate().unwrap()));

    let wrong = Store::open_encrypted(&path, &StoreKey::generate().unwrap());
    match wrong {
        Err(CoreError::Invalid { field, reason }) => {
            assert_eq!(field, "store_key");
            assert!(reason.contains("does not open with this key"), "{reason}");
        }
        other => panic!("a wrong key must be refused clearly: {other:?}"),
    }
    assert!(Store::open(&path).is_err(), "no key, no store");
}

#[test]
fn a_plain_store_is_encrypted_in_place_with_all_it_held() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.db");
    let (outbox, households) = {
        let store = Store::open_with_clock(&path, Arc::new(ManualClock::new(t0()))).unwrap();
        populate(&store);
        let page = store
            .households(WORKER, G1, &Default::default(), 0, 50)
            .unwrap();
        (store.outbox_len().unwrap(), page.total)
    };
    assert!(
        holds(&file_bytes(&path), "13912345678"),
        "the old store was plain"
    );
    // A crash during an earlier attempt left half an encrypted copy.
    std::fs::write(dir.path().join("phone.db.encrypting"), b"half a copy").unwrap();

    let raw = [3u8; 32];
    let key = StoreKey::from_bytes(raw);
    let store = open_encrypted(&path, &key);
    assert!(
        opens_with(&path, &raw, Some("HMAC_SHA256")),
        "encrypted in the current page format"
    );
    assert_eq!(store.outbox_len().unwrap(), outbox, "pending work survives");
    let page = store
        .households(WORKER, G1, &Default::default(), 0, 50)
        .unwrap();
    assert_eq!(page.total, households);
    assert_eq!(
        store
            .reveal_member_field(WORKER, "M001", PiiField::IdNumber, "核对身份")
            .unwrap(),
        "11010519491231002X"
    );
    drop(store);
    let bytes = file_bytes(&path);
    assert!(!holds(&bytes, "13912345678") && !holds(&bytes, "SQLite format 3"));
    assert!(!dir.path().join("phone.db.encrypting").exists());
    // Opening again is an ordinary open (nothing left to migrate); the
    // reveal above is one more operation waiting.
    assert_eq!(
        open_encrypted(&path, &key).outbox_len().unwrap(),
        outbox + 1
    );
}

#[test]
fn the_key_is_made_once_and_kept_by_the_secret_store() {
    let secrets = MemorySecrets::default();
    let first = StoreKey::from_secrets(&secrets).unwrap();
    let again = StoreKey::from_secrets(&secrets).unwrap();
    assert_eq!(first, again);
    assert_eq!(
        secrets.get(STORE_KEY).unwrap().unwrap().len(),
        64,
        "256 bits, hex"
    );
    assert_eq!(format!("{first:?}"), "StoreKey(…)", "never printed");

    secrets.put(STORE_KEY, "not a key").unwrap();
    match StoreKey::from_secrets(&secrets) {
        Err(CoreError::Invalid { field, .. }) => assert_eq!(field, "store_key"),
        other => panic!("a damaged key must be refused: {other:?}"),
    }
}

/// Does the file open with this raw key in this page format (`None`:
/// SQLCipher 4's defaults, HMAC-SHA512)? Asked of SQLCipher directly, not
/// through the store, so the test sees what is really on disk.
fn opens_with(path: &Path, key: &[u8; 32], hmac: Option<&str>) -> bool {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(&format!("PRAGMA key = \"x'{}'\";", hex::encode(key)))
        .unwrap();
    if let Some(hmac) = hmac {
        conn.execute_batch(&format!("PRAGMA cipher_hmac_algorithm = {hmac};"))
            .unwrap();
    }
    conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    })
    .is_ok()
}

fn sibling_exists(path: &Path, suffix: &str) -> bool {
    let mut name = path.file_name().unwrap().to_os_string();
    name.push(suffix);
    path.with_file_name(name).exists()
}

#[test]
fn a_store_in_the_earlier_page_format_is_rewritten_with_all_it_held() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.db");
    let raw = [7u8; 32];
    let key = StoreKey::from_bytes(raw);
    let (outbox, households) = {
        let store = open_encrypted(&path, &key);
        populate(&store);
        let page = store
            .households(WORKER, G1, &Default::default(), 0, 50)
            .unwrap();
        (store.outbox_len().unwrap(), page.total)
    };
    // New stores are written with HMAC-SHA256 pages.
    assert!(opens_with(&path, &raw, Some("HMAC_SHA256")));
    assert!(!opens_with(&path, &raw, None));

    write_in_legacy_format(&path, &raw);
    assert!(opens_with(&path, &raw, None), "the old format, as shipped");
    assert!(!opens_with(&path, &raw, Some("HMAC_SHA256")));
    // A crash during an earlier rewrite left half a copy beside it.
    std::fs::write(dir.path().join("phone.db.reformatting"), b"half a copy").unwrap();

    let store = open_encrypted(&path, &key);
    assert_eq!(store.outbox_len().unwrap(), outbox, "pending work survives");
    let page = store
        .households(WORKER, G1, &Default::default(), 0, 50)
        .unwrap();
    assert_eq!(page.total, households);
    assert_eq!(
        store
            .reveal_member_field(WORKER, "M001", PiiField::IdNumber, "核对身份")
            .unwrap(),
        "11010519491231002X"
    );
    drop(store);
    assert!(opens_with(&path, &raw, Some("HMAC_SHA256")), "rewritten");
    assert!(!opens_with(&path, &raw, None));
    assert!(!sibling_exists(&path, ".reformatting"));
    let bytes = file_bytes(&path);
    assert!(!holds(&bytes, "13912345678") && !holds(&bytes, "SQLite format 3"));
    // An ordinary open from now on; the reveal is one more operation.
    assert_eq!(
        open_encrypted(&path, &key).outbox_len().unwrap(),
        outbox + 1
    );
}

#[test]
fn a_wrong_key_leaves_a_store_in_the_earlier_format_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("phone.db");
    let raw = [9u8; 32];
    populate(&open_encrypted(&path, &StoreKey::from_bytes(raw)));
    write_in_legacy_format(&path, &raw);
    let before = std::fs::read(&path).unwrap();

    match Store::open_encrypted(&path, &StoreKey::from_bytes([1u8; 32])) {
        Err(CoreError::Invalid { field, reason }) => {
            assert_eq!(field, "store_key");
            assert!(reason.contains("does not open with this key"), "{reason}");
        }
        other => panic!("a wrong key must be refused clearly: {other:?}"),
    }
    assert_eq!(std::fs::read(&path).unwrap(), before, "not a byte changed");
    assert!(!sibling_exists(&path, ".reformatting"));
    // The right key still opens it, with what it held.
    let store = open_encrypted(&path, &StoreKey::from_bytes(raw));
    assert_eq!(
        store
            .reveal_member_field(WORKER, "M001", PiiField::Phone, "回访核实")
            .unwrap(),
        "13912345678"
    );
}
