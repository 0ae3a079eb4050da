//! Every `.nix` file in the repository parses with the real Nix
//! (`nix-instantiate --parse`): the flake, the fixture module, the examples.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use std::path::Path;
use std::process::Command;

#[test]
fn every_nix_file_parses_with_nix_instantiate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let files: Vec<_> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_entry(|e| !matches!(e.file_name().to_str(), Some("target" | ".git" | "node_modules")))
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "nix"))
        // The fixtures of the Nix-syntax-error rule are broken on purpose.
        .filter(|e| !e.file_name().to_string_lossy().starts_with("NT003"))
        .map(|e| e.into_path())
        .collect();
    assert!(files.len() >= 8, "{files:?}");
    // A Nix state of its own: tests run in parallel.
    let state = tempfile::tempdir().unwrap();
    for f in files {
        let out = Command::new("nix-instantiate")
            .arg("--parse")
            .arg(&f)
            .env("NIX_STATE_DIR", state.path())
            .output()
            .expect("nix-instantiate (apt-get install nix-bin)");
        assert!(out.status.success(), "{}: {}", f.display(), String::from_utf8_lossy(&out.stderr));
    }
}
