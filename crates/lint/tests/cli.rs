//! The `nixos-test-lint` binary driven as a user or CI does: real process,
//! real files, exit codes and every output format.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nixos-test-lint"));
    c.arg("--no-config").arg("--color").arg("never");
    c
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run nixos-test-lint")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> Vec<serde_json::Value> {
    serde_json::from_slice(&o.stdout).expect("json output")
}

fn lines_of(items: &[serde_json::Value]) -> Vec<u64> {
    items.iter().map(|d| d["location"]["line"].as_u64().expect("line")).collect()
}

#[test]
fn mistakes_are_found_at_their_nix_lines_with_suggestions() {
    let path = examples().join("mistakes.nix");
    let o = run(&["--format", "json", path.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    let items = json(&o);
    assert_eq!(lines_of(&items), vec![14, 16, 18, 19, 21, 24, 25]);
    let human = run(&[path.to_str().unwrap()]);
    let text = stdout(&human);
    assert!(text.contains("did you mean `bob`?"), "{text}");
    assert!(text.contains("did you mean `wait_for_unit`?"), "{text}");
    assert!(text.contains("14 |     bobb.wait_for_unit"), "code frame on the Nix source: {text}");
}

#[test]
fn deprecated_api_is_reported_per_marked_line() {
    let o = run(&["--format", "json", examples().join("deprecated.nix").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(lines_of(&json(&o)), vec![15, 17, 20, 22, 24]);
}

#[test]
fn clean_examples_exit_zero() {
    for f in ["legacy-webserver.nix", "fixtures-webserver.nix", "flake-checks.nix"] {
        let o = run(&[examples().join(f).to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{f}: {}", stdout(&o));
        assert!(stdout(&o).contains("All checks passed."));
    }
}

#[test]
fn findings_in_a_read_file_point_into_it() {
    let o = run(&["--format", "json", fixtures().join("readfile/test.nix").to_str().unwrap()]);
    let items = json(&o);
    assert_eq!(items.len(), 1, "{items:?}");
    assert!(items[0]["filename"].as_str().unwrap().ends_with("script.py"));
    assert_eq!(items[0]["location"]["line"], 3);
    assert_eq!(items[0]["code"], "NT101");
}

#[test]
fn directories_are_searched_for_tests_only() {
    let o = run(&["--format", "json", fixtures().to_str().unwrap()]);
    let items = json(&o);
    assert!(items.iter().all(|d| !d["filename"].as_str().unwrap().contains("no-tests")));
    let o = run(&[fixtures().join("no-tests").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stderr).contains("no NixOS test files found"));
}

#[test]
fn stdin_with_a_file_name() {
    let mut child = bin()
        .args(["--stdin", "--stdin-filename", "t.nix", "--format", "json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("spawn");
    child.stdin.take().unwrap().write_all(b"{ nodes.a = { }; testScript = ''\n  b.succeed(\"x\")\n''; }").unwrap();
    let o = child.wait_with_output().unwrap();
    let items = json(&o);
    assert_eq!(items[0]["filename"], "t.nix");
    assert_eq!(items[0]["code"], "NT101");
    assert_eq!(o.status.code(), Some(1));
}

#[test]
fn select_ignore_and_statistics() {
    let path = examples().join("mistakes.nix");
    let p = path.to_str().unwrap();
    let o = run(&["--format", "json", "--select", "NT2", p]);
    let codes: Vec<_> = json(&o).iter().map(|d| d["code"].as_str().unwrap().to_string()).collect();
    assert_eq!(codes, vec!["NT201", "NT205", "NT204"]);
    let o = run(&["--format", "json", "--ignore", "NT,F", p]);
    assert!(json(&o).is_empty());
    assert_eq!(o.status.code(), Some(0));
    let o = run(&["--statistics", p]);
    assert!(stdout(&o).contains("NT101"), "{}", stdout(&o));
    let o = run(&["--select", "XYZ", p]);
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn explain_prints_ours_and_ruffs_docs() {
    let o = run(&["--explain", "NT101"]);
    assert!(stdout(&o).contains("## Why is this bad?"));
    let o = run(&["--explain", "F401"]);
    assert!(stdout(&o).contains("unused-import"), "{}", stdout(&o));
    assert_eq!(run(&["--explain", "NOPE1"]).status.code(), Some(2));
}

#[test]
fn github_and_sarif_formats() {
    let p = examples().join("mistakes.nix");
    let o = run(&["--format", "github", p.to_str().unwrap()]);
    let text = stdout(&o);
    assert_eq!(text.lines().count(), 7);
    assert!(text.lines().all(|l| l.starts_with("::error title=nixos-test-lint (")), "{text}");
    assert!(text.contains("line=14,col=5,endLine=14,endColumn=9::NT101"));
    let o = run(&["--format", "sarif", p.to_str().unwrap()]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(doc["version"], "2.1.0");
    assert_eq!(doc["runs"][0]["results"].as_array().unwrap().len(), 7);
}

#[test]
fn show_script_prints_the_extracted_python() {
    let o = run(&["--show-script", examples().join("flake-checks.nix").to_str().unwrap()]);
    let text = stdout(&o);
    assert!(text.contains("machine.succeed(\"echo ${HOME} > /tmp/home\")"), "{text}");
    assert!(text.contains("# a literal two single quotes: ''"));
    assert!(text.contains("vm1.succeed(\"ping -c1 vm2\")"));
    assert_eq!(o.status.code(), Some(0));
}

#[test]
fn bad_inputs_give_clear_errors_and_the_run_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let binary = dir.path().join("binary.nix");
    std::fs::write(&binary, [0xff, 0xfe, 0x00, b't', b'e', b's', b't', b'S']).unwrap();
    let good = examples().join("mistakes.nix");
    let missing = dir.path().join("missing.nix");
    let huge = dir.path().join("huge.nix");
    std::fs::write(&huge, format!("{{ testScript = ''\n{}''; }}", "machine.succeed(\"true\")\n".repeat(700_000))).unwrap();
    let o = run(&["--format", "json", binary.to_str().unwrap(), missing.to_str().unwrap(), huge.to_str().unwrap(), good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("not UTF-8"), "{err}");
    assert!(err.contains("missing.nix"), "{err}");
    assert!(err.contains("huge.nix: file is larger than the 16 MB limit"), "{err}");
    assert_eq!(json(&o).len(), 7, "the good file is still linted");
    let broken = dir.path().join("broken.nix");
    std::fs::write(&broken, "{ nodes.a = { } testScript = ''\n  a.succeed(1)\n''; ").unwrap();
    let o = run(&["--format", "json", broken.to_str().unwrap()]);
    let codes: Vec<_> = json(&o).iter().map(|d| d["code"].as_str().unwrap().to_string()).collect();
    assert!(codes.contains(&"NT003".to_string()), "{codes:?}");
}

#[test]
fn config_file_at_the_repository_root() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::fs::write(dir.path().join("nixos-test-lint.toml"), "ignore = [\"NT2\"]\ndriver = \"2025\"\n").unwrap();
    std::fs::copy(examples().join("deprecated.nix"), dir.path().join("sub/t.nix")).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_nixos-test-lint"))
        .args(["--format", "json", "sub/t.nix"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let codes: Vec<_> = json(&o).iter().map(|d| d["code"].as_str().unwrap().to_string()).collect();
    // 2025 drivers have no timedelta or copy_from_machine: no NT40x deprecations.
    assert!(codes.iter().all(|c| !c.starts_with("NT2") && c != "NT403" && c != "NT402"), "{codes:?}");
}

/// `--diff` shows and changes nothing; `--fix` applies the safe fixes;
/// `--unsafe-fixes` migrates a legacy test too, adding the configured
/// module to its imports; a second run has nothing left to do.
#[test]
fn fix_unsafe_fixes_and_diff() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    std::fs::create_dir(dir.path().join("nix")).unwrap();
    std::fs::write(dir.path().join("nixos-test-lint.toml"), "fixtures-module = \"./nix/fixtures-module.nix\"\n").unwrap();
    std::fs::create_dir(dir.path().join("tests")).unwrap();
    let file = dir.path().join("tests/web.nix");
    let text = "{\n  nodes.server = { };\n  testScript = ''\n    start_all()\n    server.wait_for_unit(\"nginx\", timeout=30)\n    with subtest(\"it answers\"):\n        server.succed(\"curl localhost\")\n  '';\n}\n";
    std::fs::write(&file, text).unwrap();
    // Run from the repository, as a user does: its configuration applies.
    let run =
        |args: &[&str]| Command::new(env!("CARGO_BIN_EXE_nixos-test-lint")).current_dir(dir.path()).args(args).arg(&file).output().unwrap();

    let diff = run(&["--diff", "--unsafe-fixes"]);
    assert_eq!(diff.status.code(), Some(1));
    let shown = String::from_utf8_lossy(&diff.stdout);
    assert!(shown.contains("+    def test_it_answers(server):") && shown.contains("-    start_all()"), "{shown}");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), text, "--diff writes nothing");

    let fixed = run(&["--fix"]);
    let after_fix = std::fs::read_to_string(&file).unwrap();
    assert!(after_fix.contains("server.succeed(\"curl localhost\")") && after_fix.contains("timeout=timedelta(seconds=30)"), "{after_fix}");
    assert!(after_fix.contains("with subtest(\"it answers\")"), "--fix does not migrate");
    assert!(
        String::from_utf8_lossy(&fixed.stderr).contains("Fixed 2 finding(s) in 1 file(s)"),
        "{}",
        String::from_utf8_lossy(&fixed.stderr)
    );

    let migrated = run(&["--unsafe-fixes"]);
    assert_eq!(migrated.status.code(), Some(0), "clean afterwards: {}", String::from_utf8_lossy(&migrated.stdout));
    let after = std::fs::read_to_string(&file).unwrap();
    assert!(after.contains("  imports = [ ../nix/fixtures-module.nix ];\n  usePytestFixtures = true;\n"), "{after}");
    assert!(after.contains("    def test_start(server):\n        server.wait_for_unit"), "{after}");
    assert!(after.contains("    def test_it_answers(server):\n        server.succeed"), "{after}");
    assert!(!after.contains("start_all()"), "{after}");
    let parse = Command::new("nix-instantiate").arg("--parse").arg(&file).output().unwrap();
    assert!(parse.status.success(), "{}", String::from_utf8_lossy(&parse.stderr));
    let again = run(&["--diff", "--unsafe-fixes"]);
    assert_eq!(again.status.code(), Some(0));
    assert!(again.stdout.is_empty());
}

/// Moving code into a test function indents it, but not the lines of a
/// multi-line string, the line of its closing quotes included: the
/// commands the machines get stay the same.
#[test]
fn migration_leaves_multi_line_strings_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.nix");
    let text = "{\n  nodes.server = { };\n  testScript = ''\n    start_all()\n    server.succeed(\"\"\"\n      echo hi\n    \"\"\")\n    server.succeed(f\"\"\"\n      echo {1}\n    \"\"\")\n  '';\n}\n";
    std::fs::write(&file, text).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_nixos-test-lint")).args(["--no-config", "--unsafe-fixes"]).arg(&file).output().unwrap();
    assert!(String::from_utf8_lossy(&o.stderr).contains("1 test(s) migrated"), "{}", String::from_utf8_lossy(&o.stderr));
    let after = std::fs::read_to_string(&file).unwrap();
    assert!(after.contains("    def test_main(server):\n        server.succeed(\"\"\"\n      echo hi\n    \"\"\")\n"), "{after}");
    assert!(after.contains("        server.succeed(f\"\"\"\n      echo {1}\n    \"\"\")\n"), "{after}");
}

/// `--stdin --fix` is a filter: the text comes out whether or not there
/// was anything to fix.
#[test]
fn fix_from_stdin_passes_the_text_through() {
    for (input, output) in [
        ("{\n  nodes.server = { };\n  testScript = ''\n    server.succeed(\"true\")\n  '';\n}\n", None),
        ("{\n  nodes.server = { };\n  testScript = ''\n    server.succed(\"true\")\n  '';\n}\n", Some("server.succeed(\"true\")")),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_nixos-test-lint"))
            .args(["--no-config", "--stdin", "--stdin-filename", "t.nix", "--fix"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        let o = child.wait_with_output().unwrap();
        let out = String::from_utf8_lossy(&o.stdout);
        match output {
            None => assert_eq!(out, input),
            Some(fixed) => assert!(out.contains(fixed) && !out.contains("succed"), "{out}"),
        }
    }
}
