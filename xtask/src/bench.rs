//! `cargo xtask bench [lint|lsp]`: both benchmarks by default. The lint
//! benchmark compares with `ruff check`, installed into the tools venv
//! (`ruff==0.16.4`, the version whose linter we embed) when missing.

use std::process::Command;

use anyhow::Result;

use crate::{cargo, run, tools_dir};

fn ensure_ruff() -> Result<()> {
    let venv = tools_dir().join("venv");
    if venv.join("bin/ruff").exists() {
        return Ok(());
    }
    if !venv.join("bin/pip").exists() {
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv))?;
    }
    run(Command::new(venv.join("bin/pip")).args(["install", "-q", "ruff==0.16.4"]))
}

pub fn run_benches(which: &[String]) -> Result<()> {
    let want = |name: &str| which.is_empty() || which.iter().any(|w| w == name);
    if want("lint") {
        ensure_ruff()?;
        run(cargo().args(["bench", "-p", "nixos-test-lint", "--bench", "throughput"]))?;
    }
    if want("lsp") {
        run(cargo().args(["bench", "-p", "nixos-test-lsp", "--bench", "latency"]))?;
    }
    Ok(())
}
