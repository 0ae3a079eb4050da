//! Fixes applied to the Nix source give the script they promise: the file
//! is analysed again and the finding is gone, with no new one.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use nixos_test_analysis::diagnostics::Edit;
use nixos_test_analysis::ide::fix_all;
use nixos_test_analysis::nix::NoFiles;
use nixos_test_analysis::{Config, analyze};

fn apply(source: &str, edits: &[Edit]) -> String {
    let mut edits: Vec<&Edit> = edits.iter().collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.range.range.start()));
    let mut out = source.to_string();
    for e in edits {
        out.replace_range(usize::from(e.range.range.start())..usize::from(e.range.range.end()), &e.new_text);
    }
    out
}

fn codes(source: &str) -> Vec<String> {
    analyze("t.nix", source, &NoFiles, &Config::default()).diagnostics.iter().map(|d| d.code.clone()).collect()
}

#[test]
fn bare_durations_get_timedelta_and_its_import_once() {
    let source = r#"{
  nodes.server = { };
  testScript = ''
    """Checks the web server."""
    from __future__ import annotations
    server.wait_for_unit("nginx.service", timeout=30)
    server.wait_for_open_port(80, timeout=5)
    for i in range(3):
        server.sleep(2)
  '';
}
"#;
    let a = analyze("t.nix", source, &NoFiles, &Config::default());
    assert_eq!(a.diagnostics.iter().filter(|d| d.code == "NT403").count(), 2, "{:?}", a.diagnostics);
    let first = a.diagnostics.iter().find(|d| d.code == "NT403").unwrap();
    assert_eq!(first.fix.as_ref().unwrap().title, "Use `timedelta(seconds=30)` (and import `timedelta`)");
    let fixed = apply(source, &fix_all(&a).unwrap().edits);
    assert_eq!(fixed.matches("from datetime import timedelta").count(), 1, "{fixed}");
    assert!(
        fixed.contains("    from __future__ import annotations\n    from datetime import timedelta\n    server.wait_for_unit(\"nginx.service\", timeout=timedelta(seconds=30))"),
        "{fixed}"
    );
    let after = codes(&fixed);
    assert!(!after.iter().any(|c| c == "NT403" || c == "NT001" || c.starts_with('F')), "{after:?}\n{fixed}");
}

#[test]
fn deprecated_parameters_get_the_import_too() {
    let source =
        "{\n  nodes.machine = { };\n  testScript = ''\n    machine.sleep(5)\n    retry(lambda _: True, timeout_seconds=3)\n  '';\n}\n";
    let a = analyze("t.nix", source, &NoFiles, &Config::default());
    let fixed = apply(source, &fix_all(&a).unwrap().edits);
    assert!(fixed.contains("    from datetime import timedelta\n    machine.sleep(duration=timedelta(seconds=5))"), "{fixed}");
    assert!(fixed.contains("retry(lambda _: True, timeout=timedelta(seconds=3))"), "{fixed}");
    let after = codes(&fixed);
    assert!(!after.iter().any(|c| c == "NT404" || c == "NT001" || c.starts_with('F')), "{after:?}\n{fixed}");
}

#[test]
fn removing_an_unused_import_keeps_the_indentation() {
    let source =
        "{\n  nodes.machine = { };\n  testScript = ''\n    import os\n    import sys\n    machine.succeed(sys.argv[0])\n  '';\n}\n";
    let a = analyze("t.nix", source, &NoFiles, &Config::default());
    let fix = a.diagnostics.iter().find(|d| d.code == "F401").and_then(|d| d.fix.as_ref());
    if let Some(fix) = fix {
        let fixed = apply(source, &fix.edits);
        assert!(fixed.contains("''\n    import sys\n    machine.succeed"), "{fixed:?}");
        assert!(codes(&fixed).is_empty(), "{:?}", codes(&fixed));
    }
}

/// While `alice.` is being typed, the syntax error is the one finding: no
/// "has no attribute ``" beside it on every keystroke.
#[test]
fn an_attribute_being_typed_is_only_a_syntax_error() {
    let codes = codes("{\n  nodes.alice = { };\n  testScript = ''\n    alice.\n  '';\n}\n");
    assert_eq!(codes, ["NT001"], "{codes:?}");
}
