//! The runner against a fake `nixos-test-driver` (tests/fake-driver) that
//! behaves like the newest driver CLI, with real QEMU processes for the VMs
//! when `qemu-system-x86_64` is installed: pass, fail, build failure, crash
//! and cancel, through the real binary.

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

fn qemu() -> Option<String> {
    Command::new("sh")
        .args(["-c", "command -v qemu-system-x86_64"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
}

/// A "built driver" (tests/fake-driver/make_driver.py) whose script is `script`.
fn driver(dir: &Path, script: &str, vms: &[&str]) -> PathBuf {
    let script_path = dir.join("original-script.py");
    std::fs::write(&script_path, script).unwrap();
    let root = dir.join("driver");
    let make = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fake-driver/make_driver.py");
    let status = Command::new(python()).arg(make).arg(&root).arg(&script_path).arg(vms.join(",")).stdout(Stdio::null()).status().unwrap();
    assert!(status.success());
    root
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
        .env("FAKE_DRIVER_QEMU", qemu().unwrap_or_default())
        .output()
        .unwrap();
    let events = String::from_utf8_lossy(&o.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
    (o, events)
}

fn of(events: &[Value], kind: &str) -> Vec<Value> {
    events.iter().filter(|e| e["event"] == kind).cloned().collect()
}

fn qemus_of(out: &Path) -> usize {
    let needle = out.join("qmp").display().to_string();
    let ps = Command::new("ps").args(["-eo", "args"]).output().unwrap();
    String::from_utf8_lossy(&ps.stdout).lines().filter(|l| l.contains("qemu-system") && l.contains(&needle)).count()
}

#[test]
fn one_selected_test_passes() {
    let dir = tempfile::tempdir().unwrap();
    let file = example("fixtures-webserver.nix");
    let d = driver(dir.path(), &script_of(&file), &["client", "server"]);
    let out = dir.path().join("out");
    let (o, events) = run(&[file.to_str().unwrap(), "--test", "test_nginx_running"], &d, &out);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let passed: Vec<_> = of(&events, "test_pass").iter().map(|e| e["test"].as_str().unwrap().to_string()).collect();
    assert_eq!(passed, vec!["test_nginx_running"]);
    let end = of(&events, "end");
    assert_eq!(end[0]["exit_code"], 0);
    if qemu().is_some() {
        assert!(of(&events, "machine_up").iter().any(|e| e["machine"] == "server" && e["status"] == "running"), "{events:?}");
    }
    assert_eq!(qemus_of(&out), 0, "no QEMU outlives the run");
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
    if qemu().is_some() {
        let shot = fail["screenshots"][0].as_str().unwrap();
        assert!(std::fs::read(shot).unwrap().starts_with(b"\x89PNG"), "{shot}");
    }
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

#[test]
fn legacy_scripts_run_whole() {
    let dir = tempfile::tempdir().unwrap();
    let file = example("legacy-webserver.nix");
    let script = "start_all()\nweb_server.wait_for_unit(\"nginx.service\")\nclient.succeed(\"curl http://web-server\")\n";
    let d = driver(dir.path(), script, &["client", "web_server"]);
    let (o, events) = run(&[file.to_str().unwrap()], &d, &dir.path().join("out"));
    assert_eq!(o.status.code(), Some(0));
    assert!(of(&events, "log").iter().any(|e| e["line"].as_str().unwrap().contains("client: curl http://web-server")));
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
        .env("FAKE_DRIVER_QEMU", qemu().unwrap_or_default())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the VMs are up (or a moment, without QEMU).
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && (qemu().is_some() && qemus_of(&out) < 2) {
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
