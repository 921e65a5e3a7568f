//! `uniffi-bindgen` at exactly the UniFFI version the FFI crate is built with,
//! so generated Kotlin/Swift always match the library's scaffolding.
//! Run it as `cargo uniffi-bindgen generate ...` (alias in `.cargo/config.toml`).

fn main() {
    uniffi::uniffi_bindgen_main()
}
