//! `cargo bench -p nixos-test-lint --bench throughput`: the release binary on
//! a generated corpus of realistic test files (1,000 by default, `BENCH_FILES`
//! to change), with files/s, MB/s and peak memory, and beside it in the same
//! run `ruff check` (if on PATH or in `~/.cache/nixos-test-tools/venv`) on
//! the same Python, as the NixOS build runs it.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const DRIVER_GLOBALS: &[&str] =
    &["start_all", "subtest", "t", "machines", "driver", "log", "retry", "server", "client0", "client1", "client2"];

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Median wall time of `runs` runs of the command `make` builds.
fn measure(mut make: impl FnMut() -> Command, runs: usize) -> Duration {
    let mut times = Vec::new();
    for _ in 0..runs {
        let mut cmd = make();
        let start = Instant::now();
        let out = cmd.output().expect("run benchmark command");
        times.push(start.elapsed());
        assert!(out.status.code().is_some_and(|c| c <= 1), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    }
    median(times)
}

fn ruff() -> Option<PathBuf> {
    let venv = PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/nixos-test-tools/venv/bin/ruff");
    if venv.is_file() {
        return Some(venv);
    }
    std::env::var_os("PATH").and_then(|p| std::env::split_paths(&p).map(|d| d.join("ruff")).find(|p| p.is_file()))
}

fn main() {
    let n: usize = std::env::var("BENCH_FILES").ok().and_then(|v| v.parse().ok()).unwrap_or(1000);
    // BENCH_DIR keeps the corpus (for profiling); else a temporary directory.
    let temp = tempfile::tempdir().expect("tempdir");
    let root = std::env::var_os("BENCH_DIR").map_or_else(|| temp.path().to_path_buf(), PathBuf::from);
    let nix_dir = root.join("nix");
    let py_dir = root.join("py");
    std::fs::create_dir_all(&nix_dir).unwrap();
    std::fs::create_dir_all(&py_dir).unwrap();
    let mut nix_bytes = 0usize;
    let mut lines = 0usize;
    for (i, (nix, py)) in nixos_test_support::corpus::corpus(n).into_iter().enumerate() {
        nix_bytes += nix.len();
        lines += py.lines().count();
        std::fs::write(nix_dir.join(format!("test-{i:04}.nix")), nix).unwrap();
        std::fs::write(py_dir.join(format!("test_{i:04}.py")), py).unwrap();
    }
    let bin = Path::new(env!("CARGO_BIN_EXE_nixos-test-lint"));
    let runs = 7;
    let ours = measure(
        || {
            let mut c = Command::new(bin);
            c.args(["--no-config", "--format", "json"]).arg(&nix_dir);
            c
        },
        runs,
    );
    let rss = peak_rss(bin, &nix_dir);
    // BENCH_BASELINE: another build of the linter (e.g. main before a
    // change), measured in the same run on the same corpus.
    if let Some(base) = std::env::var_os("BENCH_BASELINE").map(PathBuf::from) {
        let theirs = measure(
            || {
                let mut c = Command::new(&base);
                c.args(["--no-config", "--format", "json"]).arg(&nix_dir);
                c
            },
            runs,
        );
        let base_rss = peak_rss(&base, &nix_dir);
        println!(
            "baseline {}: {:.3} s median of {runs}, peak RSS {:.1} MB; this build / baseline = {:.2}",
            base.display(),
            theirs.as_secs_f64(),
            base_rss as f64 / 1024.0,
            ours.as_secs_f64() / theirs.as_secs_f64()
        );
    }
    let secs = ours.as_secs_f64();
    println!(
        "corpus: {n} files, {:.1} MB of Nix, {lines} lines of Python; {} cores",
        nix_bytes as f64 / 1e6,
        std::thread::available_parallelism().map_or(1, |p| p.get())
    );
    println!(
        "nixos-test-lint: {:.3} s median of {runs} ({:.0} files/s, {:.1} MB/s), peak RSS {:.1} MB",
        secs,
        n as f64 / secs,
        nix_bytes as f64 / 1e6 / secs,
        rss as f64 / 1024.0
    );
    // --type-check beside the plain lint: the 1,000 generated tests, and the
    // real-world tests when the shared material is here.
    if let Some(ty) = nixos_test_support::ty() {
        let mut sets = vec![("generated", nix_dir.clone())];
        let shared = std::env::var_os("NIXOS_TEST_TOOLS_SHARED")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared"))
            .join("realworld");
        if shared.is_dir() {
            sets.push(("real-world", shared));
        }
        for (what, dir) in sets {
            let args = |type_check: bool| {
                let mut a: Vec<String> = vec!["--no-config".into(), "--format".into(), "json".into()];
                if type_check {
                    a.extend(["--type-check".into(), "--ty".into(), ty.display().to_string()]);
                }
                a.push(dir.display().to_string());
                a
            };
            let plain = measure(
                || {
                    let mut c = Command::new(bin);
                    c.args(args(false));
                    c
                },
                runs,
            );
            let typed = measure(
                || {
                    let mut c = Command::new(bin);
                    c.args(args(true));
                    c
                },
                runs,
            );
            let (plain_rss, typed_rss) = (peak_rss_args(bin, &args(false)), peak_rss_args(bin, &args(true)));
            println!(
                "{what}: plain {:.3} s, {:.1} MB; --type-check {:.3} s, {:.1} MB (linter + ty)",
                plain.as_secs_f64(),
                plain_rss as f64 / 1024.0,
                typed.as_secs_f64(),
                typed_rss as f64 / 1024.0
            );
        }
    } else {
        println!("ty not found: `pip install ty` (or `cargo xtask setup`) for the --type-check figures");
    }
    match ruff() {
        Some(ruff) => {
            let config = root.join("ruff.toml");
            let builtins = DRIVER_GLOBALS.iter().map(|g| format!("\"{g}\"")).collect::<Vec<_>>().join(", ");
            std::fs::write(&config, format!("builtins = [{builtins}]\n[lint]\nselect = [\"F\", \"E9\"]\n")).unwrap();
            let theirs = measure(
                || {
                    let mut c = Command::new(&ruff);
                    c.args(["check", "--no-cache", "--output-format", "json", "--config"]).arg(&config).arg(&py_dir);
                    c
                },
                runs,
            );
            println!(
                "ruff check (same Python, F+E9): {:.3} s median of {runs}; nixos-test-lint / ruff = {:.2}",
                theirs.as_secs_f64(),
                secs / theirs.as_secs_f64()
            );
        }
        None => println!("ruff not found: `pip install ruff` (or `cargo xtask bench` installs it) for the side-by-side figure"),
    }
}

/// Peak RSS (KiB) of one run, from `/proc/<pid>/status` VmHWM sampled until exit.
fn peak_rss(bin: &Path, dir: &Path) -> u64 {
    peak_rss_args(bin, &["--no-config".into(), "--format".into(), "json".into(), dir.display().to_string()])
}

fn hwm(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|t| t.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok()))
        .unwrap_or(0)
}

/// Peak RSS (KiB) of one run with `args`: the process's VmHWM plus the
/// largest of its children's (ty, with `--type-check`), sampled until exit.
fn peak_rss_args(bin: &Path, args: &[String]) -> u64 {
    let mut child = Command::new(bin).args(args).stdout(std::process::Stdio::null()).spawn().expect("spawn");
    let pid = child.id().to_string();
    let (mut own, mut children) = (0, 0);
    loop {
        own = own.max(hwm(&pid));
        if let Ok(list) = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")) {
            for c in list.split_whitespace() {
                children = children.max(hwm(c));
            }
        }
        if child.try_wait().ok().flatten().is_some() {
            return own + children;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}
