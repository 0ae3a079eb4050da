//! The migration to fixture mode as a whole repository would use it:
//! `nixos-test-lint --unsafe-fixes` on every legacy test of `examples/` and
//! of the real-world tests that migrates. Each result parses with the real
//! `nix-instantiate`, lints no worse than before, offers no second
//! migration, and, run through the runner against the fake driver (which
//! records every machine call), makes the machines do what the legacy
//! script made them do: the same calls, in the same order (fixtures start
//! machines when a test names them, so start-ups are not compared; where
//! the legacy script stops at an error, it did a prefix of the same).

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use nixos_test_analysis::nix::HOLE_PREFIX;
use nixos_test_analysis::{Config, model};
use nixos_test_fs::DiskLoader;

fn python() -> PathBuf {
    let venv = PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/nixos-test-tools/venv/bin/python");
    assert!(venv.exists(), "pytest's venv is missing: run `cargo xtask setup`");
    venv
}

fn lint() -> PathBuf {
    // The linter of this workspace, built beside this test's runner.
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_nixos-test-run")).with_file_name("nixos-test-lint");
    if !bin.exists() {
        let status = Command::new(env!("CARGO")).args(["build", "-q", "-p", "nixos-test-lint"]).status().unwrap();
        assert!(status.success());
    }
    bin
}

fn findings(file: &Path) -> usize {
    let o = Command::new(lint()).args(["--no-config", "--format", "json"]).arg(file).output().unwrap();
    serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap().as_array().unwrap().len()
}

/// The script of the file's only test as the driver would run it (holes
/// bound to their own names), and the machines it uses.
fn script_and_machines(file: &Path) -> Option<(String, Vec<String>)> {
    let text = std::fs::read_to_string(file).unwrap();
    let path = file.display().to_string();
    let a = model(&path, &text, &DiskLoader::new(&[]), &Config::default());
    let [test] = a.file.tests.as_slice() else { return None };
    let script = &test.script.text;
    let mut holes: Vec<String> = script
        .match_indices(HOLE_PREFIX)
        .map(|(i, _)| {
            let digits: String = script[i + HOLE_PREFIX.len()..].chars().take_while(char::is_ascii_digit).collect();
            format!("{HOLE_PREFIX}{digits}__")
        })
        .collect();
    holes.sort();
    holes.dedup();
    let prelude: String = holes.iter().map(|h| format!("{h} = {h:?}\n")).collect();
    let mut machines: Vec<String> = test.nodes.iter().map(|n| n.py_name.clone()).collect();
    if let Some(Some(s)) = a.scripts.first() {
        machines.extend(s.scope.inferred_machines.keys().filter(|m| m.as_str() != "machine").cloned());
    }
    if machines.is_empty() {
        machines.push("machine".into());
    }
    machines.sort();
    machines.dedup();
    Some((format!("{prelude}{script}"), machines))
}

/// The machine calls a run made, start-ups left out.
fn calls(file: &Path, script: &str, machines: &[String], dir: &Path) -> (bool, Vec<String>) {
    std::fs::create_dir_all(dir).unwrap();
    let script_path = dir.join("script.py");
    std::fs::write(&script_path, script).unwrap();
    let make = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fake-driver/make_driver.py");
    let driver = dir.join("driver");
    let status =
        Command::new(python()).arg(make).arg(&driver).arg(&script_path).arg(machines.join(",")).stdout(Stdio::null()).status().unwrap();
    assert!(status.success());
    let out = dir.join("out");
    let o = Command::new(env!("CARGO_BIN_EXE_nixos-test-run"))
        .arg("--driver")
        .arg(&driver)
        .args(["--format", "json", "--out"])
        .arg(&out)
        .arg(file)
        .env("FAKE_DRIVER_RECORD", "1")
        .env("XDG_RUNTIME_DIR", dir)
        .output()
        .unwrap();
    let mut passed = false;
    let mut lines = Vec::new();
    for l in String::from_utf8_lossy(&o.stdout).lines() {
        let Ok(e) = serde_json::from_str::<serde_json::Value>(l) else { continue };
        match e["event"].as_str() {
            Some("log") => {
                // pytest's progress (`test_script.py `, `.`, `F`) may lead
                // the line a machine prints.
                let line = e["line"].as_str().unwrap_or_default();
                let says = |r: &str| machines.iter().any(|m| r.starts_with(&format!("{m}: ")));
                let mut rest = line.split_once(".py ").map_or(line, |(_, r)| r);
                while !says(rest) && rest.starts_with(['.', 'F', 'E', 's']) {
                    rest = &rest[1..];
                }
                let ours = says(rest);
                if ours && !rest.ends_with(": starting") {
                    lines.push(rest.to_string());
                }
            }
            Some("end") => passed = e["exit_code"] == 0,
            _ => {}
        }
    }
    // The driver's own `sync` on every VM still up after a passing script
    // is not something the script told them.
    while lines.last().is_some_and(|l| l.ends_with(": execute('sync')")) {
        lines.pop();
    }
    (passed, lines)
}

fn candidates() -> Vec<PathBuf> {
    let mut out = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/legacy-webserver.nix")];
    if let Some(rw) = nixos_test_support::shared_dir("realworld") {
        out.extend(nixos_test_support::nix_files(&rw));
    }
    out
}

#[test]
fn legacy_tests_migrate_and_do_the_same() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("repo");
    let mut migrated = 0;
    let mut failures = Vec::new();
    for (i, original) in candidates().into_iter().enumerate() {
        // A copy in its own directory tree, beside what it reads.
        let dir = root.join(i.to_string());
        copy_dir(original.parent().unwrap(), &dir);
        std::fs::create_dir_all(dir.join(".git")).unwrap();
        let file = dir.join(original.file_name().unwrap());
        // The safe fixes first (a bare duration becomes a timedelta, ...),
        // so that what is compared is what the migration changes.
        Command::new(lint()).args(["--no-config", "--fix"]).arg(&file).output().unwrap();
        let Some((legacy_script, machines)) = script_and_machines(&file) else { continue };
        let would = Command::new(lint()).args(["--no-config", "--unsafe-fixes", "--diff"]).arg(&file).output().unwrap();
        if !String::from_utf8_lossy(&would.stderr).contains("1 test(s) migrated") {
            continue;
        }
        let before = findings(&file);
        // The legacy script's run, before the file changes.
        let (legacy_ok, legacy) = calls(&file, &legacy_script, &machines, &tmp.path().join(format!("run-{i}-legacy")));
        let fixed = Command::new(lint()).args(["--no-config", "--unsafe-fixes"]).arg(&file).output().unwrap();
        if !String::from_utf8_lossy(&fixed.stderr).contains("1 test(s) migrated") {
            continue;
        }
        migrated += 1;
        let name = original.display().to_string();
        let parse = Command::new("nix-instantiate").arg("--parse").arg(&file).output().unwrap();
        if !parse.status.success() {
            failures.push(format!("{name}: does not parse: {}", String::from_utf8_lossy(&parse.stderr)));
            continue;
        }
        let after = findings(&file);
        if after > before {
            failures.push(format!("{name}: {before} findings before, {after} after"));
        }
        let again = Command::new(lint()).args(["--no-config", "--unsafe-fixes", "--diff"]).arg(&file).output().unwrap();
        if !again.stdout.is_empty() {
            failures.push(format!("{name}: a second migration changes it again"));
        }
        let (migrated_script, _) = script_and_machines(&file).unwrap();
        let (_, fixture) = calls(&file, &migrated_script, &machines, &tmp.path().join(format!("run-{i}-fixture")));
        let same = if legacy_ok { fixture == legacy } else { fixture.starts_with(&legacy) };
        if !same {
            let at = legacy.iter().zip(&fixture).take_while(|(l, f)| l == f).count();
            let (l, f) = (legacy.get(at..).unwrap_or_default(), fixture.get(at..).unwrap_or_default());
            failures.push(format!(
                "{name}: the machines were told otherwise from call {at} on (legacy run passed: {legacy_ok})\n  legacy:  {:?}\n  fixture: {:?}",
                &l[..l.len().min(3)],
                &f[..f.len().min(3)]
            ));
        }
    }
    assert!(migrated >= 1, "nothing migrated");
    eprintln!("{migrated} legacy tests migrated and compared");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).unwrap();
        }
    }
}
