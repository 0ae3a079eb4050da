//! `--type-check` through the real binary and the real `ty`: type mistakes
//! injected one at a time into real tests are reported on their Nix line;
//! the unmodified real tests get nothing from ty; without ty the run says
//! how to get it and exits 2 with the other findings unchanged.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use nixos_test_analysis::nix::FileLoader;
use nixos_test_analysis::{Config, model, typecheck};
use nixos_test_support::{shared_dir, ty};

fn lint(ty: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nixos-test-lint"))
        .args(["--no-config", "--color", "never", "--type-check", "--format", "json", "--ty"])
        .arg(ty)
        .args(args)
        .output()
        .unwrap()
}

fn findings(o: &Output) -> Vec<serde_json::Value> {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)))
}

struct Disk;

impl FileLoader for Disk {
    fn read(&self, base: &str, rel: &str) -> Result<(String, String), String> {
        nixos_test_fs::DiskLoader::default().read(base, rel)
    }
}

/// The mistakes of the issue, each as lines to add at the end of a script
/// (`NODE` is a node of the test) and the line (0-based) that must be reported.
const MISTAKES: &[(&str, &[&str], usize)] = &[
    ("argument through a variable", &["port = \"80\"", "NODE.wait_for_open_port(port)"], 1),
    ("method on a method's result", &["out = NODE.succeed(\"true\")", "out.wait_for_unit(\"y\")"], 1),
    ("str method on execute's tuple", &["NODE.execute(\"true\").strip()"], 0),
    ("keyword through a variable", &["timeout_value = \"10\"", "NODE.wait_for_unit(\"x\", timeout=timeout_value)"], 1),
    ("method typo through an alias", &["m = NODE", "m.wait_for_unitt(\"x\")"], 1),
    ("machine method on the list", &["machines.succeed(\"true\")"], 0),
];

/// Where to add lines to the script of a test: the start of the line that
/// closes its `''` string, and the script's indentation.
fn insertion_point(source: &str, value: std::ops::Range<usize>) -> Option<(usize, String)> {
    let text = &source[value.clone()];
    if !(text.starts_with("''") && text.ends_with("''")) {
        return None;
    }
    let close = value.end - 2;
    let line_start = source[..close].rfind('\n')? + 1;
    if !source[line_start..close].trim().is_empty() {
        return None;
    }
    let indent = text[2..text.len() - 2].lines().filter(|l| !l.trim().is_empty()).map(|l| l.len() - l.trim_start().len()).min()?;
    Some((line_start, " ".repeat(indent)))
}

#[test]
fn injected_type_mistakes_are_reported_on_their_nix_line() {
    let (Some(ty), Some(realworld)) = (ty(), shared_dir("realworld")) else { return };
    // A private copy: each file is changed in turn, its neighbours (read
    // with `builtins.readFile`) stay where the test expects them.
    let work = tempfile::tempdir().unwrap();
    let copy = work.path().join("realworld");
    assert!(Command::new("cp").arg("-r").arg(&realworld).arg(&copy).status().unwrap().success());
    std::fs::create_dir(work.path().join(".git")).unwrap();
    let mut found = vec![0usize; MISTAKES.len()];
    let mut tried = vec![0usize; MISTAKES.len()];
    let mut misses = Vec::new();
    let files: Vec<PathBuf> = nixos_test_support::nix_files(&copy);
    for file in &files {
        let source = std::fs::read_to_string(file).unwrap();
        let path = file.display().to_string();
        let a = model(&path, &source, &Disk, &Config::default());
        for (i, t) in a.file.tests.iter().enumerate() {
            if typecheck::skipped(&a, i).is_some() || t.nodes.is_empty() {
                continue;
            }
            let value = usize::from(t.script.value_range.start())..usize::from(t.script.value_range.end());
            let Some((at, indent)) = insertion_point(&source, value) else { continue };
            let node = &t.nodes[0].py_name;
            for (k, (kind, lines, reported)) in MISTAKES.iter().enumerate() {
                let added: String = lines.iter().map(|l| format!("{indent}{}\n", l.replace("NODE", node))).collect();
                let changed = format!("{}{added}{}", &source[..at], &source[at..]);
                std::fs::write(file, &changed).unwrap();
                let line = source[..at].lines().count() + 1 + reported;
                let o = lint(&ty, &[&path]);
                tried[k] += 1;
                let hit = findings(&o).iter().any(|f| f["location"]["line"] == line && f["severity"] == "error");
                if hit {
                    found[k] += 1;
                } else {
                    misses.push(format!("{kind}: {path}:{line}"));
                }
            }
            std::fs::write(file, &source).unwrap();
        }
    }
    for (k, (kind, ..)) in MISTAKES.iter().enumerate() {
        eprintln!("{kind}: {}/{} reported on their line", found[k], tried[k]);
    }
    assert!(tried.iter().all(|n| *n >= 20), "enough real tests to inject into: {tried:?}");
    assert!(misses.is_empty(), "missed:\n{}", misses.join("\n"));
}

#[test]
fn real_tests_get_nothing_from_ty_that_the_build_would_accept() {
    let (Some(ty), Some(realworld)) = (ty(), shared_dir("realworld")) else { return };
    let o = lint(&ty, &[realworld.to_str().unwrap()]);
    let from_ty: Vec<_> = findings(&o).into_iter().filter(|f| f["code"].as_str().unwrap().starts_with("ty:")).collect();
    assert!(from_ty.is_empty(), "{from_ty:#?}");
}

#[test]
fn without_ty_the_type_check_says_how_to_get_it() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/mistakes.nix");
    let plain =
        Command::new(env!("CARGO_BIN_EXE_nixos-test-lint")).args(["--no-config", "--format", "json"]).arg(&examples).output().unwrap();
    let o = lint(Path::new("/nonexistent/ty"), &[examples.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("pip install ty=="), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(findings(&o), findings(&plain), "the other findings are unchanged");
}

#[test]
fn findings_that_duplicate_ours_are_reported_once_ours_first() {
    let Some(ty) = ty() else { return };
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.nix");
    // NT205 (a literal of the wrong type) and ty's invalid-argument-type are one mistake.
    std::fs::write(&file, "{\n  nodes.server = { };\n  testScript = ''\n    server.wait_for_open_port(\"80\")\n  '';\n}\n").unwrap();
    let all = findings(&lint(&ty, &[file.to_str().unwrap()]));
    let on_line: Vec<&str> = all.iter().filter(|f| f["location"]["line"] == 4).map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(on_line, ["NT205"], "{all:#?}");
}
/// With `NIXOS_TEST_DRIVER_SRC` pointing into a nixpkgs checkout, the
/// checkout's own prelude (`nixos/lib/test-script-prepend.py`) and driver
/// classes are what ty checks against, as in the build. Here a checkout
/// laid out like nixpkgs whose driver differs from the table shows which
/// classes were used.
#[test]
fn a_checkouts_own_prelude_and_driver_classes_are_used() {
    let Some(ty) = ty() else { return };
    let dir = tempfile::tempdir().unwrap();
    let lib = dir.path().join("nixos/lib");
    let pkg = lib.join("test-driver/src/test_driver");
    std::fs::create_dir_all(&pkg).unwrap();
    std::fs::write(pkg.join("__init__.py"), "").unwrap();
    std::fs::write(
        pkg.join("machine.py"),
        "class BaseMachine:\n    def succeed(self, *commands: str) -> str: ...\n    def only_in_this_driver(self) -> None: ...\n\nclass QemuMachine(BaseMachine): ...\n\nclass NspawnMachine(BaseMachine): ...\n",
    )
    .unwrap();
    std::fs::write(lib.join("test-script-prepend.py"), "from test_driver.machine import BaseMachine, QemuMachine, NspawnMachine\n")
        .unwrap();
    let file = dir.path().join("t.nix");
    std::fs::write(
        &file,
        "{\n  nodes.server = { };\n  testScript = ''\n    server.only_in_this_driver()\n    server.wait_for_unit(\"x\")\n  '';\n}\n",
    )
    .unwrap();
    let ty_lines = |o: &Output| -> Vec<i64> {
        findings(o)
            .iter()
            .filter(|f| f["code"].as_str().unwrap().starts_with("ty:"))
            .map(|f| f["location"]["line"].as_i64().unwrap())
            .collect()
    };
    let with_table = lint(&ty, &[file.to_str().unwrap()]);
    assert_eq!(ty_lines(&with_table), Vec::<i64>::new(), "NT201 already reports line 4 with the table; ty agrees and is merged");
    let real = Command::new(env!("CARGO_BIN_EXE_nixos-test-lint"))
        .args(["--no-config", "--color", "never", "--type-check", "--format", "json", "--ty"])
        .arg(&ty)
        .arg(&file)
        .env("NIXOS_TEST_DRIVER_SRC", lib.join("test-driver/src"))
        .output()
        .unwrap();
    assert_eq!(ty_lines(&real), vec![5], "the checkout's driver has no wait_for_unit: {}", String::from_utf8_lossy(&real.stdout));
}
