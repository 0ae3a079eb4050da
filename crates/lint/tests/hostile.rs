//! `nixos-test-lint` on hostile input, as CI runs it on an untrusted pull
//! request: the real binary, each run bounded in time and memory (an
//! address-space limit turns runaway allocation into a failed test, not a
//! stuck machine).

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs the linter in `dir` with `args`; fails the test after `limit`.
fn lint_in(dir: &Path, args: &[&str], limit: Duration) -> Output {
    let mut child = Command::new("prlimit")
        .arg("--as=3000000000")
        .arg("--")
        .arg(env!("CARGO_BIN_EXE_nixos-test-lint"))
        .args(["--no-config", "--color", "never"])
        .args(args)
        .current_dir(dir)
        .env("SECRET_TOKEN", "ghp_CI_SECRET_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("nixos-test-lint {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn repo() -> tempfile::TempDir {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join(".git")).unwrap();
    d
}

fn test_reading(target: &str) -> String {
    format!("{{\n  nodes.machine = {{ }};\n  testScript = builtins.readFile {target};\n}}\n")
}

fn mkfifo(p: &Path) {
    assert!(Command::new("mkfifo").arg(p).status().unwrap().success());
}

const SECOND: Duration = Duration::from_secs(10);

#[test]
fn devices_and_fifos_are_refused_without_reading() {
    let d = repo();
    mkfifo(&d.path().join("fifo.nix"));
    mkfifo(&d.path().join("fifo.py"));
    std::os::unix::fs::symlink("/dev/zero", d.path().join("zero.py")).unwrap();
    std::os::unix::fs::symlink("/dev/urandom", d.path().join("zero.nix")).unwrap();
    // Named on the command line: refused, exit 2, at once.
    for name in ["fifo.nix", "zero.nix", "/dev/zero", "/dev/stdin"] {
        let o = lint_in(d.path(), &[name], SECOND);
        assert_eq!(o.status.code(), Some(2), "{name}: {}", text(&o));
        assert!(text(&o).contains("not a regular file"), "{name}: {}", text(&o));
        assert!(!text(&o).contains("All checks passed"), "{}", text(&o));
    }
    // Reached through readFile: a note with the reason.
    for target in ["./fifo.py", "./zero.py", "../../../../../../../../dev/stdin"] {
        std::fs::write(d.path().join("t.nix"), test_reading(target)).unwrap();
        let o = lint_in(d.path(), &["t.nix"], SECOND);
        assert_eq!(o.status.code(), Some(0), "{target}: {}", text(&o));
        let out = text(&o);
        assert!(out.contains("not a regular file") || out.contains("outside the test's repository"), "{target}: {out}");
    }
    // A walk skips them; a configuration file that is a device is an error.
    let o = lint_in(d.path(), &["."], SECOND);
    assert!(o.status.code().is_some(), "{}", text(&o));
    std::os::unix::fs::symlink("/dev/stdin", d.path().join("nixos-test-lint.toml")).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_nixos-test-lint")).arg("t.nix").current_dir(d.path()).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("nixos-test-lint.toml"), "{}", text(&o));
}

#[test]
fn secrets_outside_the_repository_are_never_read() {
    let outer = tempfile::tempdir().unwrap();
    let repo = outer.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::write(outer.path().join("id_rsa.py"), "PRIVATE_KEY_MATERIAL = 1\nundefined_secret_name\n").unwrap();
    std::os::unix::fs::symlink(outer.path().join("id_rsa.py"), repo.join("link.py")).unwrap();
    for target in ["../id_rsa.py", "./link.py", "../../../../../../../../proc/self/environ", "../../../../../../../../etc/shadow"] {
        std::fs::write(repo.join("t.nix"), test_reading(target)).unwrap();
        let o = lint_in(&repo, &["t.nix"], SECOND);
        let out = text(&o);
        assert!(!out.contains("PRIVATE_KEY") && !out.contains("undefined_secret") && !out.contains("ghp_CI_SECRET"), "{target}: {out}");
        assert!(out.contains("NT002"), "{target}: {out}");
    }
    // Widened on purpose by the configuration, it is read.
    std::fs::write(repo.join("t.nix"), test_reading("../id_rsa.py")).unwrap();
    std::fs::write(repo.join("nixos-test-lint.toml"), "read-roots = [\"..\"]\n").unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_nixos-test-lint")).arg("t.nix").current_dir(&repo).output().unwrap();
    assert!(text(&o).contains("undefined_secret_name"), "{}", text(&o));
}

#[test]
fn amplification_stops_at_the_budget() {
    let d = repo();
    // 2^24 copies of a string from a 557-byte file.
    let mut nix = String::from("let\n  a0 = ''\n    machine.succeed(\"true\")\n  '';\n");
    for k in 1..=24 {
        nix.push_str(&format!("  a{k} = a{} + a{};\n", k - 1, k - 1));
    }
    nix.push_str("in {\n  nodes.machine = { };\n  testScript = a24;\n}\n");
    std::fs::write(d.path().join("double.nix"), &nix).unwrap();
    // One 10 MB file read sixty times.
    std::fs::write(d.path().join("big.py"), "machine.succeed('true')\n".repeat(10 * 1024 * 1024 / 24)).unwrap();
    let reads = vec!["builtins.readFile ./big.py"; 60].join(" + ");
    std::fs::write(d.path().join("sixty.nix"), format!("{{\n  nodes.machine = {{ }};\n  testScript = {reads};\n}}\n")).unwrap();
    for f in ["double.nix", "sixty.nix"] {
        let o = lint_in(d.path(), &[f], SECOND);
        assert_eq!(o.status.code(), Some(0), "{f}: {}", text(&o));
        assert!(text(&o).contains("too large to evaluate statically"), "{f}: {}", text(&o));
    }
}

#[test]
fn deep_nesting_is_reported_once_never_a_crash() {
    let d = repo();
    let cases = [
        ("lists.nix", format!("{{ x = {}1{}; }}", "[ ".repeat(50_000), " ]".repeat(50_000))),
        ("plus.nix", format!("{{ x = {}1; nodes.a = {{ }}; testScript = ''\n  a.succeed(\"x\")\n''; }}", "1 + ".repeat(200_000))),
        (
            "parens.nix",
            format!("{{ x = {}1{}; nodes.a = {{ }}; testScript = ''\n  a.succeed(\"x\")\n''; }}", "(".repeat(5_000), ")".repeat(5_000)),
        ),
        ("python.nix", format!("{{ nodes.a = {{ }}; testScript = ''\n  x = {}1\n''; }}", "1 + ".repeat(20_000))),
        ("concat.nix", format!("{{ x = {}[ ]; }}", "[ ] ++ ".repeat(100_000))),
    ];
    for (name, nix) in &cases {
        std::fs::write(d.path().join(name), nix).unwrap();
        let o = lint_in(d.path(), &["--format", "json", name], SECOND);
        assert!(o.status.code().is_some_and(|c| c < 2), "{name}: {:?} {}", o.status, String::from_utf8_lossy(&o.stderr));
        let findings: Vec<serde_json::Value> = serde_json::from_slice(&o.stdout).unwrap();
        assert!(findings.iter().all(|f| f["code"] != "NT003"), "{name}: a valid file is not a syntax error");
        let deep = findings.iter().filter(|f| f["message"].as_str().unwrap().contains("nested too deeply")).count();
        assert!(deep <= 1, "{name}: reported once");
    }
    // Directory mode: the worker threads hold the same depth.
    let o = lint_in(d.path(), &["--format", "json", "."], SECOND);
    assert!(o.status.code().is_some_and(|c| c < 2), "{:?} {}", o.status, String::from_utf8_lossy(&o.stderr));
}

#[test]
fn failed_inputs_never_claim_success() {
    let d = repo();
    let o = lint_in(d.path(), &["missing.nix"], SECOND);
    assert_eq!(o.status.code(), Some(2));
    assert!(!text(&o).contains("All checks passed"), "{}", text(&o));
    assert!(text(&o).contains("No file was checked"), "{}", text(&o));
}
