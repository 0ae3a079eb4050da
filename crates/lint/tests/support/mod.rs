//! What the CLI's integration tests share.

/// Material from outside the repository (`../shared` beside this clone in
/// CI, or `NIXOS_TEST_TOOLS_SHARED`); absent in a user's clone, where the
/// test says so and passes.
pub fn shared_dir(name: &str) -> Option<std::path::PathBuf> {
    let base = std::env::var_os("NIXOS_TEST_TOOLS_SHARED")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"));
    let dir = base.join(name);
    if dir.is_dir() {
        return Some(dir);
    }
    eprintln!("SKIPPED: {} is absent (set NIXOS_TEST_TOOLS_SHARED to the shared material)", dir.display());
    None
}
