//! The rule documentation outside the code is generated from the rules'
//! doc comments: `docs/rules.md` and the table in the README. This test
//! fails when either is out of step; `cargo xtask codegen` rewrites them.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use std::path::{Path, PathBuf};

use nixos_test_analysis::rules::{rules_markdown, rules_table};

const START: &str = "<!-- rules-table:start -->\n";
const END: &str = "<!-- rules-table:end -->";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Compares `path` with `expected`; rewrites it when `UPDATE_GENERATED` is
/// set (what `cargo xtask codegen` does).
fn ensure(path: &Path, expected: &str) {
    let actual = std::fs::read_to_string(path).unwrap_or_default();
    if actual == expected {
        return;
    }
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        std::fs::write(path, expected).unwrap();
        return;
    }
    panic!("{} is out of date: run `cargo xtask codegen`", path.display());
}

#[test]
fn rules_md_is_generated() {
    ensure(&root().join("docs/rules.md"), &rules_markdown());
}

#[test]
fn readme_rules_table_is_generated() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let start = readme.find(START).expect("README lacks the rules-table:start marker") + START.len();
    let end = readme[start..].find(END).expect("README lacks the rules-table:end marker") + start;
    let expected = format!("{}{}{}", &readme[..start], rules_table(), &readme[end..]);
    ensure(&path, &expected);
}
