//! The runner and fixture mode against a real Linux guest: a Debian kernel
//! and a busybox/bash initramfs (tests/guest, built from Debian packages and
//! cached under ~/.cache/nixos-test-tools/guest) booted by QEMU through each
//! generation's driver stand-in, speaking the driver's guest protocol for
//! real. Under TCG a VM session takes about 7 s: each test boots one VM.
//!
//! With `NIXOS_TEST_DRIVER_SRC=<nixpkgs>/nixos/lib/test-driver/src`, the
//! real driver is run too (opt-in: its source is in no registry and is not
//! vendored): its API is compared with the table, and it runs a passing and
//! a failing test in the same guest through the runner.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

fn python() -> PathBuf {
    let venv = PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/nixos-test-tools/venv/bin/python");
    assert!(venv.exists(), "pytest's venv is missing: run `cargo xtask setup`");
    venv
}

/// The guest image, built once per test process (and cached across runs).
fn image() -> &'static Path {
    static IMAGE: OnceLock<PathBuf> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let cache = PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/nixos-test-tools/guest");
        let build = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/guest/build_guest.py");
        let o = Command::new("python3").arg(build).arg(&cache).output().unwrap();
        assert!(o.status.success(), "the guest could not be built (apt-get update first?): {}", String::from_utf8_lossy(&o.stderr));
        // What the build says about KVM and TCG is for the CI log.
        eprint!("{}", String::from_utf8_lossy(&o.stderr));
        PathBuf::from(String::from_utf8_lossy(&o.stdout).trim())
    })
}

/// A test file `t.nix` with `script` as its testScript, and a driver of
/// `generation` whose VMs boot the guest.
fn setup(dir: &Path, script: &str, generation: &str) -> (PathBuf, PathBuf) {
    setup_with(dir, script, generation, &[])
}

/// As `setup`, with more arguments for make_driver.py.
fn setup_with(dir: &Path, script: &str, generation: &str, extra: &[&str]) -> (PathBuf, PathBuf) {
    let indented: String = script.lines().map(|l| if l.is_empty() { "\n".to_string() } else { format!("    {l}\n") }).collect();
    let file = dir.join("t.nix");
    std::fs::write(&file, format!("{{\n  nodes.server = {{ }};\n  testScript = ''\n{indented}  '';\n}}\n")).unwrap();
    let script_path = dir.join("script.py");
    std::fs::write(&script_path, script).unwrap();
    let driver = dir.join("driver");
    let make = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fake-driver/make_driver.py");
    let status = Command::new(python())
        .arg(make)
        .arg(&driver)
        .arg(&script_path)
        .arg("server")
        .args(["--generation", generation, "--guest"])
        .arg(image())
        .args(extra)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success());
    (file, driver)
}

fn runner(file: &Path, driver: &Path, dir: &Path, format: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_nixos-test-run"));
    c.arg(file).arg("--driver").arg(driver).args(["--format", format, "--out"]).arg(dir.join("out")).env("XDG_RUNTIME_DIR", dir);
    c
}

fn events(o: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&o.stdout).lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

fn of(events: &[Value], kind: &str) -> Vec<Value> {
    events.iter().filter(|e| e["event"] == kind).cloned().collect()
}

fn qemus_under(dir: &Path) -> usize {
    let ps = Command::new("ps").args(["-eo", "stat=,args="]).output().unwrap();
    let needle = dir.display().to_string();
    String::from_utf8_lossy(&ps.stdout).lines().filter(|l| !l.starts_with('Z') && l.contains("qemu-system") && l.contains(&needle)).count()
}

const PASS_AND_FAIL: &str = "def test_kernel(server):\n    assert server.succeed(\"uname -s\").strip() == \"Linux\"\n    server.succeed(\"echo hi > /tmp/xchg/hello\")\n\ndef test_answer(server):\n    answer = server.succeed(\"echo 41\").strip()\n    assert answer == \"42\"\n";

/// A passing and a failing test in one VM session (newest driver): the
/// failure is at its Nix line with pytest's assertion diff, the screendump
/// is a PNG of the real console, and the JSON events and JUnit say the same.
#[test]
fn pass_and_fail_against_a_real_guest() {
    let dir = tempfile::tempdir().unwrap();
    let (file, driver) = setup(dir.path(), PASS_AND_FAIL, "newest");
    let started = Instant::now();
    let o = runner(&file, &driver, dir.path(), "json").output().unwrap();
    eprintln!("one VM session, two tests: {:.1} s", started.elapsed().as_secs_f64());
    let ev = events(&o);
    assert_eq!(o.status.code(), Some(1), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let passed: Vec<String> = of(&ev, "test_pass").iter().map(|e| e["test"].as_str().unwrap().to_string()).collect();
    assert_eq!(passed, ["test_kernel"]);
    let fail = &of(&ev, "test_fail")[0];
    assert_eq!(fail["test"], "test_answer");
    assert_eq!(fail["location"]["line"], 10, "the assert's line in t.nix: {fail}");
    let message = fail["message"].as_str().unwrap();
    assert!(message.contains("assert '41' == '42'"), "pytest's diff: {message}");
    let shot = PathBuf::from(fail["screenshots"][0].as_str().unwrap());
    let png = std::fs::read(&shot).unwrap();
    assert!(png.starts_with(b"\x89PNG") && png.len() > 1000, "{}", shot.display());
    // Kept beside the test's output for a person to look at.
    let keep = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/real-guest-failure.png");
    if std::fs::create_dir_all(keep.parent().unwrap()).is_ok() {
        let _ = std::fs::copy(&shot, &keep);
    }
    assert!(of(&ev, "machine_up").iter().any(|e| e["machine"] == "server" && e["status"] == "running"), "{ev:?}");
    let end = &of(&ev, "end")[0];
    assert_eq!((end["passed"].as_u64(), end["failed"].as_u64()), (Some(1), Some(1)));
    assert_eq!(qemus_under(dir.path()), 0, "the VM is gone after the run");

    // What CI shows: the JUnit file and the human log.
    let o = runner(&file, &driver, dir.path(), "junit").output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let junit = std::fs::read_to_string(dir.path().join("out/junit.xml")).unwrap();
    assert!(junit.contains("<testcase name=\"test_kernel\"") && junit.contains("<failure"), "{junit}");
    let o = runner(&file, &driver, dir.path(), "human").output().unwrap();
    let human = String::from_utf8_lossy(&o.stdout);
    assert!(human.contains("test_answer") && human.contains("t.nix:10:"), "{human}");
}

/// A legacy script on the 2025 driver (positional script, `startScripts`):
/// it runs whole, shutdown() powers the guest off, the run passes.
#[test]
fn a_legacy_script_on_the_2025_driver() {
    let dir = tempfile::tempdir().unwrap();
    let script = "start_all()\nserver.wait_for_unit(\"multi-user.target\")\nserver.succeed(\"test -d /tmp/shared\")\nserver.fail(\"false | true\")\nserver.shutdown()\n";
    let (file, driver) = setup(dir.path(), script, "2025");
    let o = runner(&file, &driver, dir.path(), "json").output().unwrap();
    let ev = events(&o);
    assert_eq!(o.status.code(), Some(0), "{ev:?}");
    let log: Vec<String> = of(&ev, "log").iter().map(|e| e["line"].as_str().unwrap().to_string()).collect();
    assert!(log.iter().any(|l| l.contains("classic")), "the generation is said: {log:?}");
    assert!(log.iter().any(|l| l.contains("reboot: Power down")), "the guest powered off: {log:?}");
}

/// A command that outlives its timeout (early-2026 driver, int seconds) is
/// killed in the guest by `timeout` (exit 124, as coreutils') and fails the test; Ctrl-C during a
/// long command stops the run and its VM.
#[test]
fn timeout_and_cancel_against_a_real_guest() {
    let dir = tempfile::tempdir().unwrap();
    let script = "def test_slow(server):\n    server.succeed(\"sleep 30\", timeout=2)\n";
    let (file, driver) = setup(dir.path(), script, "early-2026");
    let o = runner(&file, &driver, dir.path(), "json").output().unwrap();
    let ev = events(&o);
    assert_eq!(o.status.code(), Some(1), "{ev:?}");
    let fail = &of(&ev, "test_fail")[0];
    assert!(fail["message"].as_str().unwrap().contains("command `sleep 30` failed (exit code 124)"), "{fail}");

    let dir = tempfile::tempdir().unwrap();
    let script = "def test_forever(server):\n    server.succeed(\"sleep 600\")\n";
    let (file, driver) = setup(dir.path(), script, "early-2026");
    let mut child = runner(&file, &driver, dir.path(), "json").stdout(Stdio::piped()).spawn().unwrap();
    // Wait for the guest: the command runs once the test has started.
    let deadline = Instant::now() + Duration::from_secs(120);
    while Instant::now() < deadline && !dir.path().join("out/events.jsonl").exists() {
        std::thread::sleep(Duration::from_millis(100));
    }
    while Instant::now() < deadline
        && !std::fs::read_to_string(dir.path().join("out/driver.log")).unwrap_or_default().contains("must succeed: sleep 600")
    {
        std::thread::sleep(Duration::from_millis(100));
    }
    // driver.log is written as the run goes (a user follows it with tail -f).
    let log = std::fs::read_to_string(dir.path().join("out/driver.log")).unwrap_or_default();
    assert!(log.contains("must succeed: sleep 600"), "driver.log during the run: {log}");
    assert_eq!(qemus_under(dir.path()), 1, "the VM runs");
    Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    let started = Instant::now();
    let status = child.wait().unwrap();
    assert!(started.elapsed() < Duration::from_secs(15), "stopped in {:?}", started.elapsed());
    assert_eq!(status.code(), Some(2));
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    assert!(out.contains("\"status\":\"cancelled\""), "{out}");
    assert_eq!(qemus_under(dir.path()), 0, "no QEMU outlives a cancelled run");
}

/// The real driver of `NIXOS_TEST_DRIVER_SRC`, prepared (tests/real-driver/prepare.py):
/// its Python, PYTHONPATH and generation. `None` (and a visible note) when unset.
fn real_driver() -> Option<(String, String, String)> {
    let Some(src) = std::env::var_os("NIXOS_TEST_DRIVER_SRC") else {
        eprintln!(
            "SKIPPED: the real driver is not tested: set NIXOS_TEST_DRIVER_SRC=<nixpkgs>/nixos/lib/test-driver/src (a nixpkgs checkout) to run it"
        );
        return None;
    };
    let cache = PathBuf::from(std::env::var("HOME").unwrap()).join(".cache/nixos-test-tools");
    let prepare = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/real-driver/prepare.py");
    let o = Command::new("python3").arg(prepare).arg(&src).arg(&cache).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let field = |k: &str| v[k].as_str().unwrap().to_string();
    Some((field("python"), field("pythonpath"), field("generation")))
}

/// Every public method and attribute of the real driver's classes, with
/// each method's parameters (name, kind, default or not), and every global
/// of `test_symbols()`, against the API table of that generation; both
/// directions for methods and globals (an attribute set only in `__init__`
/// is not visible without a running driver).
#[test]
fn the_real_drivers_api_is_the_table() {
    use nixos_test_analysis::driver_api::{Class, DriverApi, Generation, MemberKind, ParamKind};
    let Some((python, pythonpath, label)) = real_driver() else { return };
    let g = Generation::parse(&label).unwrap();
    let dump = Command::new(&python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/real-driver/dump_api.py"))
        .arg(&label)
        .env("PYTHONPATH", &pythonpath)
        .output()
        .unwrap();
    assert!(dump.status.success(), "{}", String::from_utf8_lossy(&dump.stderr));
    let dump: Value = serde_json::from_slice(&dump.stdout).unwrap();
    let api = DriverApi::get();
    let classes: &[(&str, Class)] = if g == Generation::Classic {
        &[("Machine", Class::Qemu), ("Driver", Class::Driver), ("VLan", Class::Vlan), ("AbstractLogger", Class::Logger)]
    } else {
        &[
            ("BaseMachine", Class::Base),
            ("QemuMachine", Class::Qemu),
            ("NspawnMachine", Class::Nspawn),
            ("Driver", Class::Driver),
            ("VLan", Class::Vlan),
            ("AbstractLogger", Class::Logger),
        ]
    };
    let kind = |k: ParamKind| match k {
        ParamKind::Positional => "positional",
        ParamKind::KeywordOnly => "keyword_only",
        ParamKind::VarArgs => "var_args",
        ParamKind::VarKeywords => "var_keywords",
    };
    let mut problems = Vec::new();
    for (name, class) in classes {
        let real = &dump["classes"][name];
        let table = api.machine_members(*class, g);
        for (method, params) in real["methods"].as_object().unwrap() {
            match table.iter().find(|m| m.name == *method && m.kind == MemberKind::Function) {
                None => problems.push(format!("{name}.{method}() is not in the table")),
                Some(m) => {
                    let ours: Vec<Value> =
                        m.params.iter().map(|p| serde_json::json!([p.name, kind(p.kind), p.default.is_some()])).collect();
                    if ours != *params.as_array().unwrap() {
                        problems.push(format!("{name}.{method}: the driver has {params}, the table {}", Value::Array(ours)));
                    }
                }
            }
        }
        for attribute in real["attributes"].as_array().unwrap() {
            let a = attribute.as_str().unwrap();
            if !table.iter().any(|m| m.name == a) {
                problems.push(format!("{name}.{a} is not in the table"));
            }
        }
        for m in table.iter().filter(|m| m.kind == MemberKind::Function) {
            if real["methods"].get(&m.name).is_none() {
                problems.push(format!("the table has {name}.{}(), the driver does not", m.name));
            }
        }
    }
    let globals: Vec<&str> = dump["globals"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    for m in api.members().iter().filter(|m| m.class == Class::Global && m.available_in(g)) {
        if !globals.contains(&m.name.as_str()) {
            problems.push(format!("the table has the global {}, test_symbols() does not", m.name));
        }
    }
    for name in globals {
        if api.global(name, g).is_none() {
            problems.push(format!("test_symbols() has {name}, the table does not"));
        }
    }
    assert!(problems.is_empty(), "{label}: {} mismatches:\n{}", problems.len(), problems.join("\n"));
}

/// The real driver runs a passing and a failing test function in the real
/// guest through the runner, with the plugin, as the stand-ins do.
#[test]
fn the_real_driver_runs_tests_in_a_real_guest() {
    let Some((python, pythonpath, label)) = real_driver() else { return };
    let dir = tempfile::tempdir().unwrap();
    let (file, driver) = setup_with(dir.path(), PASS_AND_FAIL, &label, &["--real-driver", &python, &pythonpath]);
    let o = runner(&file, &driver, dir.path(), "json").output().unwrap();
    let ev = events(&o);
    assert_eq!(o.status.code(), Some(1), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    assert_eq!(of(&ev, "test_pass").len(), 1, "{ev:?}");
    let fail = &of(&ev, "test_fail")[0];
    assert_eq!(fail["location"]["line"], 10, "{fail}");
    assert!(fail["message"].as_str().unwrap().contains("assert '41' == '42'"), "{fail}");
    assert_eq!(qemus_under(dir.path()), 0);
}
