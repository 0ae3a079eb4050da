//! What the CLI's integration tests share.

/// Material from outside the repository (`../shared` beside this clone in
/// CI, or `NIXOS_TEST_TOOLS_SHARED`); absent in a user's clone, where the
/// test says so and passes.
#[allow(dead_code)] // Not every test file that shares this module needs it.
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

/// Every `.nix` file under `dir`, sorted.
#[allow(dead_code)] // Not every test file that shares this module walks.
pub fn nix_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
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
