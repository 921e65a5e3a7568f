//! Where the web console's built files are embedded from: `console/dist`
//! once `scripts/build-console.sh` has built it, otherwise a one-page
//! placeholder that says how to build it (so `cargo build` never needs npm).

use std::path::Path;

fn main() {
    let manifest = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let root = Path::new(&manifest);
    let dist = root.join("../console/dist");
    // build-console.sh rewrites index.html last on every build.
    println!("cargo:rerun-if-changed=../console/dist/index.html");
    let folder = if dist.join("index.html").is_file() {
        dist
    } else {
        root.join("console-placeholder")
    };
    let folder = folder.canonicalize().unwrap_or(folder);
    println!("cargo:rustc-env=GRIDWORK_CONSOLE_DIST={}", folder.display());
}
