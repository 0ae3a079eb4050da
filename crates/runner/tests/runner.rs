//! The runner against the driver stand-ins (tests/fake-driver), one per
//! driver generation, with process guests (a real QEMU per VM, the host's
//! bash as the guest's shell): pass, fail, build failure, crash and cancel,
//! through the real binary. The real Linux guest is in tests/real_guest.rs.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn python() -> PathBuf {
    let venv = PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/nixos-test-tools/venv/bin/python");
    assert!(venv.exists(), "pytest's venv is missing: run `cargo xtask setup`");
    venv
}

const GENERATIONS: [&str; 3] = ["2025", "early-2026", "newest"];

/// A "built driver" of `generation` (tests/fake-driver/make_driver.py)
/// whose script is `script`.
fn driver_of(dir: &Path, script: &str, vms: &[&str], generation: &str) -> PathBuf {
    let script_path = dir.join("original-script.py");
    std::fs::write(&script_path, script).unwrap();
    let root = dir.join("driver");
    let make = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fake-driver/make_driver.py");
    let status = Command::new(python())
        .arg(make)
        .arg(&root)
        .arg(&script_path)
        .arg(vms.join(","))
        .args(["--generation", generation])
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    root
}

/// A newest driver.
fn driver(dir: &Path, script: &str, vms: &[&str]) -> PathBuf {
    driver_of(dir, script, vms, "newest")
}

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples").join(name)
}

/// The script as the driver would receive it (the example has no holes).
fn script_of(file: &Path) -> String {
    let text = std::fs::read_to_string(file).unwrap();
    let a = nixos_test_analysis::model("t.nix", &text, &nixos_test_analysis::nix::NoFiles, &Default::default());
    a.file.tests[0].script.text.clone()
}

fn run(args: &[&str], driver: &Path, out: &Path) -> (Output, Vec<Value>) {
    let o = Command::new(env!("CARGO_BIN_EXE_nixos-test-run"))
        .args(args)
        .arg("--driver")
        .arg(driver)
        .args(["--format", "json", "--out"])
        .arg(out)
        .env("XDG_RUNTIME_DIR", out.parent().unwrap())
        .output()
        .unwrap();
    let events = String::from_utf8_lossy(&o.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    (o, events)
}

fn of(events: &[Value], kind: &str) -> Vec<Value> {
    events.iter().filter(|e| e["event"] == kind).cloned().collect()
}

/// QEMUs of the run writing to `out`: their state directories are under
/// `XDG_RUNTIME_DIR` (the parent of `out` in these tests).
fn qemus_of(out: &Path) -> usize {
    let needle = out.parent().unwrap().join("vm-state-").display().to_string();
    let ps = Command::new("ps").args(["-eo", "args"]).output().unwrap();
    String::from_utf8_lossy(&ps.stdout).lines().filter(|l| l.contains("qemu-system") && l.contains(&needle)).count()
}

const TWO_TESTS: &str = "{\n  nodes.server = { };\n  nodes.client = { };\n  testScript = ''\n    def test_server_up(server):\n        server.wait_for_unit(\"multi-user.target\")\n        server.succeed(\"test -d /tmp\")\n\n    def test_client(client):\n        client.succeed(\"true\")\n  '';\n}\n";

/// Each generation's driver runs one selected test: the runner hands it the
/// script the way that generation takes it, and sees its VMs over QMP.
#[test]
fn one_selected_test_passes_on_every_generation() {
    for generation in GENERATIONS {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("t.nix");
        std::fs::write(&file, TWO_TESTS).unwrap();
        let d = driver_of(dir.path(), &script_of(&file), &["client", "server"], generation);
        let out = dir.path().join("out");
        let (o, events) = run(&[file.to_str().unwrap(), "--test", "test_server_up"], &d, &out);
        assert_eq!(o.status.code(), Some(0), "{generation}: {}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        let passed: Vec<_> = of(&events, "test_pass").iter().map(|e| e["test"].as_str().unwrap().to_string()).collect();
        assert_eq!(passed, vec!["test_server_up"], "{generation}");
        assert!(of(&events, "log").iter().any(|e| e["line"].as_str().unwrap().contains("driver generation")), "{generation}");
        assert_eq!(of(&events, "end")[0]["exit_code"], 0);
        let up = of(&events, "machine_up");
        assert!(up.iter().any(|e| e["machine"] == "server" && e["status"] == "running"), "{generation}: {up:?}");
        assert!(!up.iter().any(|e| e["machine"] == "client"), "the client was not needed: {up:?}");
        assert_eq!(qemus_of(&out), 0, "no QEMU outlives the run");
    }
}

#[test]
fn a_failing_test_is_located_in_nix_with_screenshots() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.nix");
    std::fs::write(&file, "{\n  nodes.server = { };\n  testScript = ''\n    def test_ok(server):\n        server.succeed(\"true\")\n\n    def test_broken(server):\n        server.succeed(\"false\")\n  '';\n}\n").unwrap();
    let d = driver(dir.path(), &script_of(&file), &["server"]);
    let out = dir.path().join("out");
    let (o, events) = run(&[file.to_str().unwrap()], &d, &out);
    assert_eq!(o.status.code(), Some(1), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let junit = Command::new(env!("CARGO_BIN_EXE_nixos-test-run"))
        .arg(&file)
        .arg("--driver")
        .arg(&d)
        .args(["--format", "junit", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(junit.status.code(), Some(1));
    let fail = &of(&events, "test_fail")[0];
    assert_eq!(fail["test"], "test_broken");
    assert!(fail["message"].as_str().unwrap().contains("command `false` failed"));
    assert_eq!(fail["location"]["line"], 8, "{fail}");
    assert_eq!(fail["location"]["column"], 9);
    let shot = fail["screenshots"][0].as_str().unwrap();
    assert!(std::fs::read(shot).unwrap().starts_with(b"\x89PNG"), "{shot}");
    assert_eq!(of(&events, "test_pass").len(), 1);
    assert!(std::fs::read_to_string(out.join("junit.xml")).unwrap().contains("<failure"));
}

#[test]
fn keyword_selection_and_exit_first() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("t.nix");
    std::fs::write(&file, "{\n  nodes.server = { };\n  testScript = ''\n    def test_a_broken(server):\n        server.succeed(\"false\")\n\n    def test_b_ok(server):\n        server.succeed(\"true\")\n  '';\n}\n").unwrap();
    let d = driver(dir.path(), &script_of(&file), &["server"]);
    let (o, events) = run(&[file.to_str().unwrap(), "-k", "b_ok"], &d, &dir.path().join("out"));
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(of(&events, "test_pass").len(), 1);
    let (o, events) = run(&[file.to_str().unwrap(), "-x"], &d, &dir.path().join("out2"));
    assert_eq!(o.status.code(), Some(1));
    assert_eq!(of(&events, "test_start").len(), 1, "-x stops after the first failure");
}

/// A legacy script runs as it is on every generation (no pytest involved).
#[test]
fn legacy_scripts_run_whole_on_every_generation() {
    for generation in GENERATIONS {
        let dir = tempfile::tempdir().unwrap();
        let file = example("legacy-webserver.nix");
        // The VMs live a second: the runner looks for new ones 4 times a second.
        let script =
            "start_all()\nweb_server.wait_for_unit(\"nginx.service\")\nclient.succeed(\"echo fetched from web-server; sleep 1\")\n";
        let d = driver_of(dir.path(), script, &["client", "web_server"], generation);
        let (o, events) = run(&[file.to_str().unwrap()], &d, &dir.path().join("out"));
        assert_eq!(o.status.code(), Some(0), "{generation}: {events:?}");
        let lines: Vec<String> = of(&events, "log").iter().map(|e| e["line"].as_str().unwrap().to_string()).collect();
        assert!(lines.iter().any(|l| l.contains("client: must succeed: echo fetched from web-server")), "{generation}: {lines:?}");
        let up = of(&events, "machine_up");
        assert_eq!(up.len(), 2, "both VMs seen over QMP, by their state directories: {up:?}");
    }
}

#[test]
fn a_driver_crash_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = example("fixtures-webserver.nix");
    let d = driver(dir.path(), "import os\nos._exit(3)\n", &["client", "server"]);
    let (o, events) = run(&[file.to_str().unwrap()], &d, &dir.path().join("out"));
    assert_eq!(o.status.code(), Some(2));
    assert!(of(&events, "end")[0]["status"].as_str().unwrap().contains("exited"));
}

#[test]
fn a_build_failure_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_nixos-test-run"))
        .arg(example("fixtures-webserver.nix"))
        .args(["--format", "json", "--out"])
        .arg(dir.path())
        .env("NIX_PATH", "")
        .env("NIX_STATE_DIR", dir.path().join("nix-state"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("\"status\":\"failed\""), "{text}");
    assert!(text.contains("nixpkgs"), "the Nix error is shown: {text}");
}

#[test]
fn unknown_test_names_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let d = driver(dir.path(), "", &["server"]);
    let (o, _) = run(&[example("fixtures-webserver.nix").to_str().unwrap(), "--test", "test_nope"], &d, &dir.path().join("out"));
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("test_nginx_running"));
}

#[test]
fn ctrl_c_stops_the_driver_and_every_qemu() {
    let dir = tempfile::tempdir().unwrap();
    let file = example("fixtures-webserver.nix");
    let d = driver(dir.path(), "start_all()\nimport time\ntime.sleep(60)\n", &["client", "server"]);
    let out = dir.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_nixos-test-run"))
        .arg(&file)
        .arg("--driver")
        .arg(&d)
        .args(["--format", "json", "--out"])
        .arg(&out)
        .env("XDG_RUNTIME_DIR", dir.path())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the VMs are up.
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && qemus_of(&out) < 2 {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let started = Instant::now();
    let status = child.wait().unwrap();
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(status.code(), Some(2));
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    assert!(stdout.contains("\"status\":\"cancelled\""), "{stdout}");
    assert_eq!(qemus_of(&out), 0, "no QEMU outlives a cancelled run");
}

/// A fake `nix-build` first on PATH: `body` is its shell script.
fn fake_nix_build(dir: &Path, body: &str) -> String {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let f = bin.join("nix-build");
    std::fs::write(&f, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&f, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    format!("{}:{}", bin.display(), std::env::var("PATH").unwrap_or_default())
}

/// The file is handed to Nix as a value: a relative name without a slash
/// and a name with spaces and quotes work. Real Nix evaluates the runner's
/// expression (through `nix-instantiate`, with a stand-in `<nixpkgs>`).
#[test]
fn test_files_are_passed_to_nix_as_values() {
    let dir = tempfile::tempdir().unwrap();
    let nixpkgs = dir.path().join("nixpkgs");
    std::fs::create_dir_all(&nixpkgs).unwrap();
    std::fs::write(
        nixpkgs.join("default.nix"),
        "{ ... }: { testers.runNixOSTest = m: { driver = \"/nix/store/fake-driver-of-${m.name}\"; }; }",
    )
    .unwrap();
    let path = fake_nix_build(
        dir.path(),
        &format!("shift; exec nix-instantiate --eval --strict -I nixpkgs={} \"$@\" | tr -d '\"'", nixpkgs.display()),
    );
    for name in ["web.nix", "my \"odd\" test ${x}.nix"] {
        std::fs::write(
            dir.path().join(name),
            "{ name = \"web\"; nodes.server = { }; testScript = ''\n  def test_a(server):\n      pass\n''; }",
        )
        .unwrap();
        let o = Command::new(env!("CARGO_BIN_EXE_nixos-test-run"))
            .args(["--format", "json", "--out", "out", name])
            .current_dir(dir.path())
            .env("PATH", &path)
            .env("NIX_STATE_DIR", dir.path().join("nix-state"))
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("\"status\":\"done\",\"message\":\"/nix/store/fake-driver-of-web\""), "{name}: {text}");
    }
}

/// A signal during the Nix build stops the build too, with an `end` event.
#[test]
fn cancelling_during_the_build_stops_nix() {
    let dir = tempfile::tempdir().unwrap();
    let pidfile = dir.path().join("nix-build.pid");
    let path = fake_nix_build(dir.path(), &format!("echo $$ > {}\nexec sleep 60", pidfile.display()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_nixos-test-run"))
        .arg(example("fixtures-webserver.nix"))
        .args(["--format", "json", "--out"])
        .arg(dir.path().join("out"))
        .env("PATH", &path)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while !pidfile.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(100));
    let nix_pid = std::fs::read_to_string(&pidfile).unwrap().trim().to_string();
    Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(2));
    let mut stdout = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout).unwrap();
    assert!(stdout.contains("\"event\":\"end\"") && stdout.contains("cancelled"), "{stdout}");
    let alive = Command::new("kill").args(["-0", &nix_pid]).status().unwrap().success();
    assert!(!alive, "nix-build outlived the cancelled run");
}

/// An output directory another user could write to is refused.
#[test]
fn a_shared_output_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::fs::set_permissions(&out, std::os::unix::fs::PermissionsExt::from_mode(0o1777)).unwrap();
    let d = driver(dir.path(), "", &["server"]);
    let (o, _) = run(&[example("fixtures-webserver.nix").to_str().unwrap()], &d, &out);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("writable by other users"));
    assert!(!out.join("nixos_test_pytest.py").exists(), "nothing was written into it");
}

/// A driver whose Python has no pytest (the system's `python3` here): a
/// legacy script runs as it is ("Run all" adds nothing to it), and a script
/// with `test_` functions ends with what to add, not an import traceback.
#[test]
fn without_pytest_legacy_scripts_run_and_test_functions_say_what_is_missing() {
    let system = Command::new("python3").args(["-c", "import pytest"]).status().unwrap();
    if system.success() {
        eprintln!("SKIPPED: the system's python3 has pytest; this test needs a Python without it");
        return;
    }
    let make = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fake-driver/make_driver.py");
    for (name, script, ok) in [
        ("legacy", "start_all()\nserver.succeed(\"true\")\n", true),
        ("fixtures", "def test_up(server):\n    server.succeed(\"true\")\n", false),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let nix = dir.path().join("t.nix");
        let indented: String = script.lines().map(|l| format!("    {l}\n")).collect();
        std::fs::write(&nix, format!("{{\n  nodes.server = {{ }};\n  testScript = ''\n{indented}  '';\n}}\n")).unwrap();
        let script_path = dir.path().join("script.py");
        std::fs::write(&script_path, script).unwrap();
        let root = dir.path().join("driver");
        assert!(
            Command::new("python3").arg(&make).arg(&root).arg(&script_path).arg("server").stdout(Stdio::null()).status().unwrap().success()
        );
        let out = dir.path().join("out");
        let o = Command::new(env!("CARGO_BIN_EXE_nixos-test-run"))
            .arg("--driver")
            .arg(&root)
            .args(["--format", "json", "--out"])
            .arg(&out)
            .arg(&nix)
            .env("XDG_RUNTIME_DIR", dir.path())
            .output()
            .unwrap();
        let events: Vec<Value> = String::from_utf8_lossy(&o.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
        let end = of(&events, "end").pop().unwrap_or_default();
        if ok {
            assert_eq!(end["exit_code"], 0, "{name}: {end}");
        } else {
            assert_eq!(end["exit_code"], 2, "{name}: {end}");
            assert!(end["status"].as_str().unwrap().contains("extraPythonPackages = p: [ p.pytest ]"), "{name}: {end}");
        }
    }
}
