//! IDE features at the analysis layer, as nil and rust-analyzer test
//! theirs: a fixture is a Nix file with `$0` at the cursor (and, for a
//! range, `$0` twice), plus files it reads given as `//- /name` sections;
//! the expected result is written next to it.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use std::collections::HashMap;

use nixos_test_analysis::driver_api::Generation;
use nixos_test_analysis::ide;
use nixos_test_analysis::nix::FileLoader;
use nixos_test_analysis::source_map::{FileId, TextRange, TextSize};
use nixos_test_analysis::{Analysis, Config, analyze};

/// Files of a fixture besides `/test.nix`, read by `builtins.readFile`.
struct Files(HashMap<String, String>);

impl FileLoader for Files {
    fn read(&self, _base: &str, rel: &str) -> Result<(String, String), String> {
        let name = format!("/{}", rel.trim_start_matches("./"));
        self.0.get(&name).map(|t| (name.clone(), t.clone())).ok_or_else(|| format!("{name}: no such file"))
    }
}

/// Parses a fixture: `/test.nix` first (or alone), `$0` markers removed.
struct Fixture {
    analysis: Analysis,
    cursor: TextSize,
    /// The range between two `$0`s, if there are two.
    range: Option<TextRange>,
}

fn fixture(text: &str) -> Fixture {
    let mut files: HashMap<String, String> = HashMap::new();
    let mut current = "/test.nix".to_string();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("//- ") {
            current = name.trim().to_string();
            continue;
        }
        let f = files.entry(current.clone()).or_default();
        f.push_str(line);
        f.push('\n');
    }
    let mut nix = files.remove("/test.nix").unwrap();
    let marks: Vec<usize> = nix.match_indices("$0").map(|(i, _)| i).collect();
    nix = nix.replace("$0", "");
    let at = |i: usize, n: usize| TextSize::try_from(i - 2 * n).unwrap();
    let cursor = marks.first().map_or(TextSize::default(), |i| at(*i, 0));
    let range = (marks.len() == 2).then(|| TextRange::new(cursor, at(marks[1], 1)));
    let analysis = analyze("/test.nix", &nix, &Files(files), &Config::default());
    Fixture { analysis, cursor, range }
}

const NEWEST: Generation = Generation::Newest;

fn text_of(a: &Analysis, file: FileId, r: TextRange) -> String {
    a.file_text(file).unwrap()[r].to_string()
}

#[test]
fn hover_shows_a_machine_methods_signature() {
    let f = fixture("{\n  nodes.server = { };\n  testScript = ''\n    server.wait_for_u$0nit(\"sshd\")\n  '';\n}");
    let h = ide::hover(&f.analysis, f.cursor, NEWEST).unwrap();
    assert!(
        h.markdown.contains("wait_for_unit(unit: str, user: str | None = None, timeout: Duration = timedelta(minutes=15)) -> None"),
        "{}",
        h.markdown
    );
    assert_eq!(&f.analysis.source[h.range], "wait_for_unit");
}

#[test]
fn hover_on_a_node_names_its_kind_and_definition() {
    let f = fixture("{\n  containers.db = { };\n  testScript = ''\n    d$0b.succeed(\"true\")\n  '';\n}");
    let h = ide::hover(&f.analysis, f.cursor, NEWEST).unwrap();
    assert!(h.markdown.contains("container"), "{}", h.markdown);
}

#[test]
fn signature_help_tracks_the_active_parameter_past_defaults_with_brackets() {
    let f = fixture("{\n  nodes.server = { };\n  testScript = ''\n    server.wait_for_unit(\"a\", timeout=$0\n  '';\n}");
    let s = ide::signature_help(&f.analysis, f.cursor, NEWEST).unwrap();
    assert_eq!(s.params.last().unwrap(), "timeout: Duration = timedelta(minutes=15)");
    assert_eq!(s.params[s.active], "timeout: Duration = timedelta(minutes=15)");
}

#[test]
fn completion_after_a_node_offers_its_methods_and_no_internals() {
    let f = fixture("{\n  nodes.alice = { };\n  testScript = ''\n    alice.$0\n  '';\n}");
    let items = ide::completions(&f.analysis, f.cursor, NEWEST, Some('.'));
    let labels: Vec<&str> = items.iter().map(|i| i.label.as_str()).collect();
    assert!(labels.contains(&"wait_for_unit") && labels.contains(&"succeed"), "{labels:?}");
    assert!(!labels.contains(&"process") && !labels.contains(&"monitor"), "{labels:?}");
}

#[test]
fn completion_in_a_comment_offers_nothing() {
    let f = fixture("{\n  nodes.alice = { };\n  testScript = ''\n    # alice.$0\n  '';\n}");
    assert!(ide::completions(&f.analysis, f.cursor, NEWEST, Some('.')).is_empty());
}

#[test]
fn definition_of_a_node_goes_to_its_nix_name() {
    let f = fixture("{\n  nodes.web-server = { };\n  testScript = ''\n    web_se$0rver.start()\n  '';\n}");
    let targets = ide::definition(&f.analysis, f.cursor);
    assert_eq!(targets.len(), 1);
    assert_eq!(&f.analysis.source[targets[0].focus], "web-server");
}

#[test]
fn references_of_a_script_function_are_scoped() {
    let f = fixture(
        "{\n  nodes.m = { };\n  testScript = ''\n    def che$0ck(x):\n        return x\n\n    check(1)\n    def other():\n        check = 2\n        return check\n  '';\n}",
    );
    let refs = ide::references(&f.analysis, f.cursor);
    assert_eq!(refs.len(), 2, "the definition and the module-level call only: {refs:?}");
}

/// A node renamed in the second test of a file renames its uses in the
/// `.py` that test reads (file ids count across the file's tests).
#[test]
fn rename_reaches_the_script_file_of_any_test() {
    let f = fixture(
        "{\n  first = { nodes.a = { }; testScript = builtins.readFile ./one.py; };\n  second = { nodes.serv$0er = { }; testScript = builtins.readFile ./two.py; };\n}\n//- /one.py\na.succeed(\"true\")\n//- /two.py\nserver.succeed(\"true\")\nserver.shutdown()\n",
    );
    let edits = ide::rename(&f.analysis, f.cursor, "web", NEWEST).unwrap();
    let in_py: Vec<(String, String)> = edits
        .iter()
        .filter(|e| e.range.file != FileId::Nix)
        .map(|e| (f.analysis.file_path(e.range.file).unwrap().to_string(), text_of(&f.analysis, e.range.file, e.range.range)))
        .collect();
    assert_eq!(in_py, vec![("/two.py".to_string(), "server".to_string()), ("/two.py".to_string(), "server".to_string())]);
}

#[test]
fn rename_refuses_a_keyword() {
    let f = fixture("{\n  nodes.server = { };\n  testScript = ''\n    ser$0ver.start()\n  '';\n}");
    assert!(ide::rename(&f.analysis, f.cursor, "class", NEWEST).unwrap_err().contains("keyword"));
}

#[test]
fn code_actions_offer_the_fix_noqa_and_migration() {
    let f = fixture("{\n  nodes.server = { };\n  testScript = ''\n    $0server.succed(\"true\")$0\n  '';\n}");
    let titles: Vec<String> = ide::code_actions(&f.analysis, f.range.unwrap(), None).into_iter().map(|a| a.title).collect();
    assert_eq!(
        titles,
        vec![
            "Replace with `succeed` (NT201)".to_string(),
            "Ignore `NT201` on this line (`# noqa`)".to_string(),
            "Migrate this test to fixture mode (test_main); then import the module that declares `usePytestFixtures` (`nixos-test-tools.nixosTestModules.fixtures`, or set `fixtures-module` in nixos-test-lint.toml to have it added)".to_string(),
        ]
    );
}

/// The receiver is read from the parser's tokens: a space before the dot, or
/// a line continuation, is still `alice.`.
#[test]
fn receivers_are_read_as_python_reads_them() {
    let f = fixture("{\n  nodes.alice = { };\n  testScript = ''\n    alice .wait_for_u$0\n  '';\n}");
    let labels: Vec<String> = ide::completions(&f.analysis, f.cursor, NEWEST, None).into_iter().map(|i| i.label).collect();
    assert!(labels.iter().any(|l| l == "wait_for_unit"), "{labels:?}");
    let f = fixture("{\n  nodes.alice = { };\n  testScript = ''\n    alice \\\n        .wait_for_u$0nit(\"x\")\n  '';\n}");
    let h = ide::hover(&f.analysis, f.cursor, NEWEST).unwrap();
    assert!(h.markdown.contains("wait_for_unit(unit: str"), "{}", h.markdown);
}

/// The call around the cursor is read from tokens: a `)` inside a string
/// argument does not close it.
#[test]
fn signature_help_ignores_brackets_in_strings() {
    let f = fixture("{\n  nodes.server = { };\n  testScript = ''\n    server.succeed(\"echo ) (\", timeout=$0\n  '';\n}");
    let s = ide::signature_help(&f.analysis, f.cursor, NEWEST).unwrap();
    assert!(s.label.starts_with("succeed("), "{}", s.label);
    assert_eq!(s.params[s.active], "timeout: Duration | None = None");
}

/// A legacy script's `test_` helper, which the script calls itself, gets no
/// lens of its own: only "Run all" (running it alone would pretend to run
/// part of the script). In fixture mode every `test_` function is a test.
#[test]
fn legacy_helpers_are_not_run_alone() {
    let legacy = fixture(
        "{\n  nodes.server = { };\n  testScript = ''\n    def test_port(n):\n        server.wait_for_open_port(n)\n    test_port(80)\n  '';\n}",
    );
    let labels: Vec<String> = ide::runnables(&legacy.analysis).into_iter().map(|r| r.label).collect();
    assert_eq!(labels, vec!["▶ Run all (test)".to_string()]);
    let fixtures = fixture(
        "{\n  nodes.server = { };\n  usePytestFixtures = true;\n  testScript = ''\n    def test_port(server):\n        server.wait_for_open_port(80)\n  '';\n}",
    );
    let labels: Vec<String> = ide::runnables(&fixtures.analysis).into_iter().map(|r| r.label).collect();
    assert_eq!(labels, vec!["▶ Run all (test)".to_string(), "▶ Run test_port".to_string()]);
}
