//! One fixture per rule (family) under `tests/fixtures/rules`, and a
//! snapshot of what the analysis reports on it: code, position, message.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use std::fmt::Write;
use std::path::Path;

use nixos_test_analysis::line_index::{Encoding, LineIndex};
use nixos_test_analysis::nix::NoFiles;
use nixos_test_analysis::{Config, analyze};

fn render(path: &Path) -> String {
    let text = std::fs::read_to_string(path).expect("fixture");
    let a = analyze("fixture.nix", &text, &NoFiles, &Config::default());
    let index = LineIndex::new(&text);
    let mut out = String::new();
    for d in &a.diagnostics {
        let (l, c) = index.position(&text, d.range.range.start(), Encoding::Utf8);
        let (el, ec) = index.position(&text, d.range.range.end(), Encoding::Utf8);
        let fix = d.fix.as_ref().map(|f| format!("  [fix: {}]", f.title)).unwrap_or_default();
        let _ = writeln!(out, "{}:{}-{}:{} {} {} {}{fix}", l + 1, c + 1, el + 1, ec + 1, d.severity.as_str(), d.code, d.message);
    }
    out
}

#[test]
fn rule_fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
    let mut files: Vec<_> = std::fs::read_dir(&dir).expect("dir").filter_map(Result::ok).map(|e| e.path()).collect();
    files.sort();
    assert!(files.len() >= 10);
    for f in files {
        let name = f.file_stem().and_then(|s| s.to_str()).expect("name").to_string();
        insta::assert_snapshot!(name, render(&f));
    }
}
