//! The 82 real tests in `../shared/realworld`: the NixOS build accepted them,
//! so linting them must not crash or report an error-level finding, and every
//! testScript is either extracted or reported as not statically known.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use nixos_test_support::shared_dir;

use nixos_test_analysis::diagnostics::Severity;
use nixos_test_analysis::nix::{FileLoader, ScriptStatus, read_path};
use nixos_test_analysis::{Config, analyze};

struct Fs;

impl FileLoader for Fs {
    fn read(&self, base: &str, rel: &str) -> Result<(String, String), String> {
        let p = read_path(base, rel);
        std::fs::read_to_string(&p).map(|t| (p.display().to_string(), t)).map_err(|e| e.to_string())
    }
}

#[test]
fn realworld_tests_lint_without_errors() {
    let Some(root) = shared_dir("realworld") else { return };
    let files: Vec<_> = walkdir::WalkDir::new(&root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "nix"))
        .map(|e| e.into_path())
        .collect();
    assert_eq!(files.len(), 82, "expected the 82 realworld files under {}", root.display());
    let config = Config::default();
    let (mut tests, mut known, mut unknown) = (0, 0, 0);
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let a = analyze(&f.display().to_string(), &text, &Fs, &config);
        for d in &a.diagnostics {
            assert!(d.severity < Severity::Error, "{}: {} {}", f.display(), d.code, d.message);
        }
        for t in &a.file.tests {
            tests += 1;
            match &t.script.status {
                ScriptStatus::Known | ScriptStatus::Partial(_) => known += 1,
                ScriptStatus::Unknown(reason, _) => {
                    assert!(!reason.is_empty());
                    unknown += 1;
                }
            }
        }
    }
    // Figures as of this writing; a drop means extraction regressed.
    assert!(tests >= 80, "{tests} tests found");
    assert!(known >= tests - 2, "{known} of {tests} extracted, {unknown} unknown");
}
