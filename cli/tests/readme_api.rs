//! server/README.md's "Drive the API in five minutes", run as written: the
//! shell block between its `five-minutes` markers is extracted and run by
//! bash against the real `gridwork` binary, so a change that breaks the
//! documented commands fails here. Only two things are substituted: the
//! port (a free one instead of 8080) and the build line (the test's own
//! binary is used; a nested `cargo build` would wait on this build's lock).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::Path;
use std::process::Command;

fn documented_block() -> String {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../server/README.md"))
            .unwrap();
    let start = readme
        .find("<!-- five-minutes:start -->")
        .expect("start marker");
    let end = readme
        .find("<!-- five-minutes:end -->")
        .expect("end marker");
    let block = &readme[start..end];
    let body_start = block.find("```sh\n").expect("a sh block") + "```sh\n".len();
    let body_end = block.rfind("```").unwrap();
    block[body_start..body_end].to_string()
}

#[test]
fn the_five_minute_api_tour_runs_as_written() {
    let script = documented_block();
    assert!(
        script.contains("cargo build -q -p gridwork"),
        "the build line moved: update this test"
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_gridwork")).parent().unwrap();
    let script: String = script
        .lines()
        .map(|l| {
            if l.starts_with("cargo build") {
                format!("export PATH=\"{}:$PATH\"", bin_dir.display())
            } else {
                l.replace("127.0.0.1:8080", &format!("127.0.0.1:{port}"))
            }
        })
        .collect::<Vec<_>>()
        .join("\n");

    // Run where a newcomer would (the clone's root: bindings/testdata is
    // there), without writing into the clone.
    let dir = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../bindings"),
        dir.path().join("bindings"),
    )
    .unwrap();
    let out = Command::new("bash")
        .arg("-c")
        // Stop the server however the script ends.
        .arg(format!(
            "set -euo pipefail\ntrap 'kill $(jobs -p) 2>/dev/null || true' EXIT\n{script}"
        ))
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let log = std::fs::read_to_string(dir.path().join("api-tour.log")).unwrap_or_default();
    assert!(
        out.status.success(),
        "the documented commands failed\nstdout:\n{stdout}\nstderr:\n{}\nserver log:\n{log}",
        String::from_utf8_lossy(&out.stderr)
    );
    // What each step answered, as a newcomer sees it.
    assert!(stdout.contains("\"imported\":5"), "regions: {stdout}");
    assert!(stdout.contains("\"imported\":4"), "households: {stdout}");
    assert!(
        stdout.contains("\"user_id\":\"w1\"") && stdout.contains("gridwork:activate"),
        "code: {stdout}"
    );
    assert!(stdout.contains("\"grids\":2,"), "report: {stdout}");
    assert!(dir.path().join("api-tour/gridwork.db").exists());
}
