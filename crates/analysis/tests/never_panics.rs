//! Property tests: no input makes the analysis panic, and every diagnostic
//! it returns points inside its file, on character boundaries.
//! `PROPTEST_CASES=100000 cargo test --release -p nixos-test-analysis --test never_panics`
//! is the longer run (see `cargo xtask fuzz`).

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use nixos_test_analysis::nix::NoFiles;
use nixos_test_analysis::source_map::FileId;
use nixos_test_analysis::{Config, analyze};
use proptest::prelude::*;

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(2000)
}

const EXAMPLES: &[&str] = &[
    include_str!("../../../examples/mistakes.nix"),
    include_str!("../../../examples/deprecated.nix"),
    include_str!("../../../examples/legacy-webserver.nix"),
    include_str!("../../../examples/fixtures-webserver.nix"),
    include_str!("../../../examples/flake-checks.nix"),
];

const FRAGMENTS: &[&str] = &[
    "''",
    "'''",
    "''$",
    "''\\",
    "${",
    "}",
    "\"",
    "\\",
    "\n",
    "\t",
    " ",
    "(",
    ")",
    ":",
    "def test_x(a, b):\n",
    "    ",
    "é",
    "𝕏",
    "\u{0}",
    "import ",
    "machine.",
    ".succeed(",
    "nodes.",
    "testScript = ",
    ";",
    "{",
    "#",
    "f\"{",
    "#noqa",
];

fn check(text: &str) {
    let a = analyze("fuzz.nix", text, &NoFiles, &Config::default());
    for d in &a.diagnostics {
        if d.range.file == FileId::Nix {
            let (s, e) = (usize::from(d.range.range.start()), usize::from(d.range.range.end()));
            assert!(s <= e && e <= text.len(), "range {s}..{e} outside {} bytes", text.len());
            assert!(text.is_char_boundary(s) && text.is_char_boundary(e), "range {s}..{e} splits a character");
        }
    }
}

/// Applies `(position, fragment or deletion)` edits to a real test file.
fn mutate(base: &str, edits: &[(usize, usize, bool)]) -> String {
    let mut text = base.to_string();
    for &(pos, frag, delete) in edits {
        let mut at = pos % (text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        if delete {
            let mut end = (at + frag % 12).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.replace_range(at..end, "");
        } else {
            text.insert_str(at, FRAGMENTS[frag % FRAGMENTS.len()]);
        }
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes(bytes in prop::collection::vec(any::<u8>(), 0..600)) {
        check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_text_inside_a_test(body in ".{0,300}") {
        check(&format!("{{ nodes.machine = {{ }}; testScript = ''\n{body}\n''; }}"));
        check(&format!("{{ nodes.machine = {{ }}; testScript = \"{body}\"; }}"));
    }

    #[test]
    fn mutated_real_tests(which in 0..EXAMPLES.len(), edits in prop::collection::vec((any::<usize>(), any::<usize>(), any::<bool>()), 1..12)) {
        check(&mutate(EXAMPLES[which], &edits));
    }
}

#[test]
fn huge_and_deep_inputs() {
    let body = "machine.succeed(\"true\")\n".repeat(20_000);
    check(&format!("{{ nodes.machine = {{ }}; testScript = ''\n{body}''; }}"));
    check(&"(".repeat(5000));
    check(&format!("{{ testScript = {}''x''{}; }}", "(".repeat(300), ")".repeat(300)));
    check(&format!("{{ testScript = ''\n{}1''; }}", "(".repeat(2000)));
}
