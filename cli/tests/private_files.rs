//! Files holding personal data or secrets are owner-only (0600) on the
//! server and on the phone: every SQLite database with its -wal and -shm
//! files, the server's key for activation codes, and (0700) the photo
//! directories beside the stores.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use support::Town;

fn private_files_in(dir: &Path) -> Vec<(String, u32)> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(Result::unwrap)
        .filter(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            name.contains(".db") || name == "auth.key"
        })
        .map(|e| {
            let mode = e.metadata().unwrap().permissions().mode() & 0o777;
            (e.file_name().to_string_lossy().to_string(), mode)
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn databases_and_keys_are_owner_only_on_server_and_phone() {
    let town = Town::new().await;
    let phone = town.phone("w1").await;
    phone.sync().await;
    let server_files = private_files_in(&town.server.data);
    let names: Vec<&str> = server_files.iter().map(|(n, _)| n.as_str()).collect();
    for expected in [
        "gridwork.db",
        "gridwork.db-wal",
        "auth.db",
        "uploads.db",
        "auth.key",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    let phone_files = private_files_in(town.dir.path());
    assert!(
        phone_files.iter().any(|(n, _)| n == "w1.db"),
        "{phone_files:?}"
    );
    for (name, mode) in server_files.iter().chain(&phone_files) {
        // The phone's photo directory (`*.db.evidence`) is a directory.
        let want = if name.ends_with(".evidence") {
            0o700
        } else {
            0o600
        };
        assert_eq!(*mode, want, "{name} is {mode:o}");
    }
}
