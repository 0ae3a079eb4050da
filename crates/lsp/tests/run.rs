//! The "Run test" lens end to end: the server runs the real
//! `nixos-test-run` (built beside it) on a fake driver, reports progress,
//! and shows the failure as a diagnostic at the failing line in Nix.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;

fn runner() -> PathBuf {
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_nixos-test-lsp"));
    let r = exe.with_file_name("nixos-test-run");
    assert!(r.exists(), "build nixos-test-run first (cargo test --workspace does)");
    r
}

/// Writes `nix` as t.nix and builds a fake driver (the runner's
/// tests/fake-driver) whose script is the one extracted from it.
fn test_with_driver(dir: &Path, nix: &str) -> (PathBuf, PathBuf) {
    let file = dir.join("t.nix");
    std::fs::write(&file, nix).unwrap();
    let a = nixos_test_analysis::model("t.nix", nix, &nixos_test_analysis::nix::NoFiles, &Default::default());
    let script = dir.join("script.py");
    std::fs::write(&script, &a.file.tests[0].script.text).unwrap();
    let python = PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/nixos-test-tools/venv/bin/python");
    let make = Path::new(env!("CARGO_MANIFEST_DIR")).join("../runner/tests/fake-driver/make_driver.py");
    let driver = dir.join("driver");
    assert!(Command::new(&python).arg(make).arg(&driver).arg(&script).arg("server").status().unwrap().success());
    (file, driver)
}

fn qemus_under(dir: &str) -> usize {
    processes_under(dir).iter().filter(|l| l.contains("qemu-system")).count()
}

/// Command lines of live processes that mention `dir`.
fn processes_under(dir: &str) -> Vec<String> {
    let ps = Command::new("ps").args(["-eo", "stat=,args="]).output().unwrap();
    String::from_utf8_lossy(&ps.stdout)
        .lines()
        .filter(|l| !l.trim_start().starts_with('Z') && l.contains(dir) && !l.contains(" ps "))
        .map(str::to_string)
        .collect()
}

/// A runtime directory for the server: its runs and the VMs' sockets go
/// there, so the processes of one test are found by that path.
fn runtime_dir(dir: &Path) -> String {
    let xdg = dir.join("xdg");
    std::fs::create_dir_all(&xdg).unwrap();
    xdg.display().to_string()
}

/// A server that runs with the built runner, the fake driver (real QEMUs
/// for the VMs) and `xdg` as its runtime directory, with `file` open and its
/// second lens's run started as request 100.
fn start_running(file: &Path, text: &str, driver: &Path, xdg: &str) -> common::Client {
    let mut c = common::start_with_env(&[
        ("NIXOS_TEST_RUN", runner().to_str().unwrap()),
        ("NIXOS_TEST_DRIVER", driver.to_str().unwrap()),
        ("XDG_RUNTIME_DIR", xdg),
    ]);
    c.initialize(&["utf-16"]);
    let uri = format!("file://{}", file.display());
    c.open(&uri, text);
    let lenses = c.result("textDocument/codeLens", json!({ "textDocument": { "uri": uri } }));
    let args = lenses[1]["command"]["arguments"].clone();
    c.send(&json!({ "jsonrpc": "2.0", "id": 100, "method": "workspace/executeCommand", "params": { "command": "nixos-test.run", "arguments": args } }));
    c
}

#[test]
fn cancelling_a_run_from_the_editor_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let text = "{\n  nodes.server = { };\n  testScript = ''\n    def test_slow(server):\n        server.succeed(\"sleep 60\")\n        import time\n        time.sleep(60)\n  '';\n}\n";
    let (file, driver) = test_with_driver(dir.path(), text);
    let out_dir = runtime_dir(dir.path());
    let mut c = start_running(&file, text, &driver, &out_dir);
    // Once the test runs (and its VM is up), press the progress' cancel button.
    let started =
        c.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["message"].as_str().is_some_and(|s| s.starts_with("test_slow")));
    let token = started["params"]["token"].clone();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while qemus_under(&out_dir) == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert_eq!(qemus_under(&out_dir), 1, "the VM runs before the cancel");
    c.notify("window/workDoneProgress/cancel", json!({ "token": token }));
    let r = c.wait_response(100);
    assert_eq!(r["result"]["ok"], false, "{r}");
    assert!(r["result"]["summary"].as_str().unwrap().contains("cancelled"), "{r}");
    assert_eq!(qemus_under(&out_dir), 0, "no QEMU outlives a cancelled run");
    c.shutdown();
}

#[test]
fn run_lens_reports_failures_at_their_nix_line() {
    let dir = tempfile::tempdir().unwrap();
    let text = "{\n  nodes.server = { };\n  testScript = ''\n    def test_ok(server):\n        server.succeed(\"true\")\n\n    def test_broken(server):\n        server.succeed(\"false\")\n  '';\n}\n";
    let (file, driver) = test_with_driver(dir.path(), text);

    let mut c = common::start_with_env(&[("NIXOS_TEST_RUN", runner().to_str().unwrap()), ("NIXOS_TEST_DRIVER", driver.to_str().unwrap())]);
    c.initialize(&["utf-16"]);
    let uri = format!("file://{}", file.display());
    c.open(&uri, text);
    assert!(c.diagnostics(&uri, Some(1)).is_empty());
    let lenses = c.result("textDocument/codeLens", json!({ "textDocument": { "uri": uri } }));
    let args = lenses.as_array().unwrap().iter().find(|l| l["command"]["arguments"][0]["function"] == "test_broken").unwrap()["command"]["arguments"].clone();
    let r = c.result("workspace/executeCommand", json!({ "command": "nixos-test.run", "arguments": args }));
    assert_eq!(r["ok"], false, "{r}");
    assert!(r["summary"].as_str().unwrap().contains("1 failed"), "{r}");
    let diags = c.diagnostics(&uri, Some(1));
    let fail = diags.iter().find(|d| d["source"] == "nixos-test-run").expect("the failure is shown");
    assert_eq!(fail["range"]["start"]["line"], 7);
    assert!(fail["message"].as_str().unwrap().contains("command `false` failed"));
    assert!(c.notes.iter().any(|n| n["method"] == "$/progress"), "progress was reported");
    c.shutdown();
}

/// However a run ends on the editor's side — the request cancelled,
/// shutdown and exit, the editor gone (stdin closed), SIGTERM or SIGKILL to
/// the server — no driver and no QEMU of it survive.
#[test]
fn every_way_of_ending_a_run_stops_driver_and_vms() {
    let dir = tempfile::tempdir().unwrap();
    let text = "{\n  nodes.server = { };\n  testScript = ''\n    def test_slow(server):\n        server.succeed(\"sleep 60\")\n        import time\n        time.sleep(60)\n  '';\n}\n";
    let (file, driver) = test_with_driver(dir.path(), text);
    for way in ["$/cancelRequest", "shutdown", "stdin closed", "SIGTERM", "SIGKILL"] {
        let xdg = runtime_dir(&dir.path().join(way.replace(['/', '$', ' '], "_")));
        let mut c = start_running(&file, text, &driver, &xdg);
        c.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["message"].as_str().is_some_and(|s| s.starts_with("test_slow")));
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while qemus_under(&xdg) == 0 && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert!(!processes_under(&xdg).is_empty(), "{way}: the run is going");
        match way {
            "$/cancelRequest" => c.notify("$/cancelRequest", json!({ "id": 100 })),
            "shutdown" => c.shutdown(),
            "stdin closed" => c.close_stdin(),
            signal => {
                let name = if signal == "SIGTERM" { "-TERM" } else { "-KILL" };
                Command::new("kill").arg(name).arg(c.pid().to_string()).status().unwrap();
            }
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while !processes_under(&xdg).is_empty() && std::time::Instant::now() < deadline {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert_eq!(processes_under(&xdg), Vec::<String>::new(), "{way}: nothing of the run survives");
    }
}

/// Runs as an editor user meets them: an unsaved buffer is not run (the
/// runner builds the file on disk); a second click on a running test asks
/// first (answered "no" here: nothing new starts); the summary says where
/// the logs and screenshots are; a run's failures go with the next edit.
#[test]
fn runs_are_one_per_test_from_saved_files_with_their_logs_named() {
    let dir = tempfile::tempdir().unwrap();
    let slow = "{\n  nodes.server = { };\n  testScript = ''\n    def test_slow(server):\n        import time\n        time.sleep(3)\n\n    def test_broken(server):\n        server.succeed(\"false\")\n  '';\n}\n";
    let (file, driver) = test_with_driver(dir.path(), slow);
    let xdg = runtime_dir(dir.path());
    let mut c = common::start_with_env(&[
        ("NIXOS_TEST_RUN", runner().to_str().unwrap()),
        ("NIXOS_TEST_DRIVER", driver.to_str().unwrap()),
        ("XDG_RUNTIME_DIR", xdg.as_str()),
    ]);
    c.initialize(&["utf-16"]);
    let uri = format!("file://{}", file.display());
    c.open(&uri, &slow.replace("sleep(3)", "sleep(4)"));
    let lenses = c.result("textDocument/codeLens", json!({ "textDocument": { "uri": uri } }));
    let slow_args = lenses.as_array().unwrap().iter().find(|l| l["command"]["arguments"][0]["function"] == "test_slow").unwrap()["command"]
        ["arguments"]
        .clone();
    let unsaved = c.result("workspace/executeCommand", json!({ "command": "nixos-test.run", "arguments": slow_args }));
    assert!(unsaved["error"].as_str().unwrap().contains("Save"), "{unsaved}");
    // The buffer as on disk again.
    c.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "text": slow }] }));
    c.send(&json!({ "jsonrpc": "2.0", "id": 500, "method": "workspace/executeCommand", "params": { "command": "nixos-test.run", "arguments": slow_args } }));
    c.wait_for(|m| m["method"] == "$/progress" && m["params"]["value"]["message"].as_str().is_some_and(|s| s.starts_with("test_slow")));
    let second = c.result("workspace/executeCommand", json!({ "command": "nixos-test.run", "arguments": slow_args }));
    assert_eq!(second["error"], "already running", "{second}");
    assert!(c.notes.iter().any(|m| m["method"] == "window/showMessageRequest"), "the user was asked");
    let first = c.wait_response(500);
    assert_eq!(first["result"]["ok"], true, "{first}");
    assert!(first["result"]["summary"].as_str().unwrap().contains("logs and screenshots: "), "{first}");
    // A failing run's diagnostics go with the next edit.
    let broken_args = lenses.as_array().unwrap().iter().find(|l| l["command"]["arguments"][0]["function"] == "test_broken").unwrap()["command"]["arguments"].clone();
    let broken = c.result("workspace/executeCommand", json!({ "command": "nixos-test.run", "arguments": broken_args }));
    assert_eq!(broken["ok"], false, "{broken}");
    // The server's notifications and its responses travel apart: the
    // diagnostics may come after the command's answer.
    let with_failure = c.wait_for(|m| {
        m["method"] == "textDocument/publishDiagnostics"
            && m["params"]["uri"] == uri.as_str()
            && m["params"]["diagnostics"].as_array().is_some_and(|d| d.iter().any(|d| d["source"] == "nixos-test-run"))
    });
    assert!(with_failure["params"]["diagnostics"][0]["message"].as_str().unwrap().contains("test_broken failed"), "{with_failure}");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 3 }, "contentChanges": [{ "text": slow.replace("false", "true") }] }),
    );
    let after_edit = c.diagnostics(&uri, Some(3));
    assert!(after_edit.iter().all(|d| d["source"] != "nixos-test-run"), "{after_edit:?}");
    c.shutdown();
}
