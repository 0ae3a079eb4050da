//! Rule fixtures under `tests/fixtures/rules`, each its own test with a
//! snapshot of what the analysis reports on it: code, position, message.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use std::fmt::Write;
use std::path::Path;

use nixos_test_analysis::line_index::{Encoding, LineIndex};
use nixos_test_analysis::nix::NoFiles;
use nixos_test_analysis::rules::Rule;
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

/// One test and one snapshot per fixture (a mismatch in one does not hide
/// the others).
macro_rules! fixtures {
    ($($test:ident => $name:literal,)*) => {
        $(
            #[test]
            fn $test() {
                check($name);
            }
        )*
        const LISTED: &[&str] = &[$($name),*];
    };
}

fixtures! {
    nt001 => "NT001",
    nt001_brackets => "NT001-brackets",
    nt002 => "NT002",
    nt003 => "NT003",
    nt003_unclosed_string => "NT003-unclosed-string",
    nt101 => "NT101",
    nt102_nt104 => "NT102-NT104",
    nt201_nt202 => "NT201-NT202",
    nt203_nt205 => "NT203-NT205",
    nt206_and_list_receivers => "NT206-and-list-receivers",
    nt301_nt302 => "NT301-NT302",
    nt401 => "NT401",
    nt402_nt404 => "NT402-NT404",
    false_positives_on_real_tests => "false-positives-on-real-tests",
    fixes_by_string_kind => "fixes-by-string-kind",
    holes_and_escapes => "holes-and-escapes",
    legacy_machine => "legacy-machine",
    loops_in_functions => "loops-in-functions",
    noqa_and_ruff => "noqa-and-ruff",
    open_node_set => "open-node-set",
    python_313_syntax => "python-313-syntax",
    scripts_from_more_nix => "scripts-from-more-nix",
    skip_lint => "skip-lint",
    types_through_the_script => "types-through-the-script",
}

fn check(name: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules").join(format!("{name}.nix"));
    insta::assert_snapshot!(name, render(&path));
}

#[test]
fn every_fixture_is_listed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rules");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .filter_map(Result::ok)
        .filter_map(|e| e.path().file_stem().and_then(|s| s.to_str()).map(str::to_string))
        .collect();
    files.sort();
    assert_eq!(files, LISTED, "a fixture under tests/fixtures/rules is not listed in `fixtures!`");
}

#[test]
fn every_rule_is_reported_by_a_fixture() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let all: String =
        std::fs::read_dir(&dir).expect("dir").filter_map(Result::ok).filter_map(|e| std::fs::read_to_string(e.path()).ok()).collect();
    for rule in Rule::ALL {
        assert!(all.contains(&format!(" {} ", rule.code())), "no fixture reports {}", rule.code());
    }
}
