//! `cargo bench -p nixos-test-lint --bench throughput`: the release binary on
//! a generated corpus of realistic test files (1,000 by default, `BENCH_FILES`
//! to change), with files/s, MB/s and peak memory, and beside it in the same
//! run `ruff check` (if on PATH or in `~/.cache/nixos-test-tools/venv`) on
//! the same Python, as the NixOS build runs it.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

mod corpus;

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
    for (i, (nix, py)) in corpus::corpus(n).into_iter().enumerate() {
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
    let mut child =
        Command::new(bin).args(["--no-config", "--format", "json"]).arg(dir).stdout(std::process::Stdio::null()).spawn().expect("spawn");
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    loop {
        if let Ok(text) = std::fs::read_to_string(&status)
            && let Some(kb) =
                text.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse().ok())
        {
            peak = kb;
        }
        if child.try_wait().ok().flatten().is_some() {
            return peak;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}
