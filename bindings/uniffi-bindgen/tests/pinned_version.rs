//! The generator is the UniFFI version the workspace pins for the library
//! (`uniffi = "=X"`): generated Kotlin/Swift from another version would not
//! match the library's scaffolding checksums. (Also: this test makes
//! `cargo test --workspace` build the generator binary, which
//! bindings/scripts/generate.sh then uses without building it again.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[test]
fn the_generator_is_the_pinned_uniffi_version() {
    let manifest =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../Cargo.toml")).unwrap();
    let pinned = manifest
        .lines()
        .find_map(|l| l.strip_prefix("uniffi = \"="))
        .and_then(|rest| rest.split('"').next())
        .expect("the workspace pins uniffi exactly (uniffi = \"=X\")");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_uniffi-bindgen"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("uniffi-bindgen {pinned}")
    );
}
