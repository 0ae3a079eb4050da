//! What the tests and benchmarks of every crate share (a dev-dependency
//! only): the material outside the repository, the ty executable, a
//! deterministic corpus of test files, and an LSP client over a real
//! server's stdio.

#![allow(clippy::unwrap_used, clippy::expect_used)] // Test support: a failed unwrap is a failed test.

pub mod corpus;
pub mod lsp;

use std::path::{Path, PathBuf};

/// The repository this test runs in. From cargo's `CARGO_MANIFEST_DIR` at
/// run time (the crate under test, two levels down), not from this crate's
/// build: clones share one target directory, and a build of this crate
/// from another clone would point there.
fn repository() -> PathBuf {
    let crate_dir = std::env::var_os("CARGO_MANIFEST_DIR").map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from);
    crate_dir.join("../..")
}

/// Material from outside the repository (`../shared` beside this clone in
/// CI, or `NIXOS_TEST_TOOLS_SHARED`); absent in a user's clone, where the
/// caller says so (this prints `SKIPPED`) and passes.
pub fn shared_dir(name: &str) -> Option<PathBuf> {
    let base = std::env::var_os("NIXOS_TEST_TOOLS_SHARED").map(PathBuf::from).unwrap_or_else(|| repository().join("../shared"));
    let dir = base.join(name);
    if dir.is_dir() {
        return Some(dir);
    }
    eprintln!("SKIPPED: {} is absent (set NIXOS_TEST_TOOLS_SHARED to the shared material)", dir.display());
    None
}

/// Every `.nix` file under `dir`, sorted.
pub fn nix_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("readable directory").filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            out.extend(nix_files(&p));
        } else if p.extension().is_some_and(|x| x == "nix") {
            out.push(p);
        }
    }
    out.sort();
    out
}

/// The ty executable: `NIXOS_TEST_TY`, the one `cargo xtask setup`
/// installs, or ty on `PATH`; `None` (with a `SKIPPED` line) without.
pub fn ty() -> Option<PathBuf> {
    let venv = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/nixos-test-tools/venv/bin/ty"));
    let found = std::env::var_os("NIXOS_TEST_TY")
        .map(PathBuf::from)
        .filter(|p| p.is_file())
        .or_else(|| venv.filter(|p| p.is_file()))
        .or_else(|| std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).map(|d| d.join("ty")).find(|p| p.is_file())));
    if found.is_none() {
        eprintln!("SKIPPED: ty is not installed (cargo xtask setup installs it; or set NIXOS_TEST_TY)");
    }
    found
}

/// The repository's `examples/` directory.
pub fn examples() -> PathBuf {
    repository().join("examples").canonicalize().expect("examples")
}

/// The `file://` URI of a path.
pub fn uri(path: &Path) -> String {
    format!("file://{}", path.display())
}
