//! `--type-check`: ty run once over every fully known script of the run,
//! prepared as the NixOS build prepares it (see
//! `nixos_test_analysis::typecheck`), its findings mapped back to Nix.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use nixos_test_analysis::diagnostics::Severity;
use nixos_test_analysis::driver_api::Generation;
use nixos_test_analysis::typecheck::{self, TyFinding};
use serde::Deserialize;

use crate::Outcome;

/// The Python the 2026 drivers run, and so what ty checks against.
pub const PYTHON_VERSION: &str = "3.13";

/// The version of ty this release is tested with (CI installs exactly it).
pub const TESTED_TY: &str = "0.0.104";

/// The ty to run: `--ty`/`NIXOS_TEST_TY`, the configuration's `ty`, else
/// `ty` on PATH.
pub fn find_ty(flag: Option<&Path>, configured: Option<&str>) -> Result<PathBuf> {
    let how = format!("install it with `pip install ty=={TESTED_TY}` (or `uv tool install ty`), or point --ty / NIXOS_TEST_TY at it");
    let wanted = flag.map(Path::to_path_buf).or_else(|| configured.map(PathBuf::from));
    let found = match wanted {
        Some(p) if p.components().count() > 1 => p.is_file().then_some(p),
        other => {
            let name = other.unwrap_or_else(|| PathBuf::from("ty"));
            std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|d| d.join(&name)).find(|p| p.is_file()))
        }
    };
    found.with_context(|| format!("--type-check needs ty, which was not found: {how}"))
}

/// `ty --version`'s answer, for `--version`.
pub fn version(ty: &Path) -> Option<String> {
    let out = Command::new(ty).arg("--version").output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

#[derive(Deserialize)]
struct GitlabFinding {
    check_name: String,
    description: String,
    severity: String,
    location: GitlabLocation,
}

#[derive(Deserialize)]
struct GitlabLocation {
    path: String,
    positions: GitlabPositions,
}

#[derive(Deserialize)]
struct GitlabPositions {
    begin: GitlabPosition,
    end: GitlabPosition,
}

#[derive(Deserialize)]
struct GitlabPosition {
    line: u32,
    column: u32,
}

/// Type-checks every analysed outcome with one run of `ty`; returns how many
/// scripts were checked.
pub fn check(outcomes: &mut [Outcome], ty: &Path, g: Generation) -> Result<usize> {
    let dir = tempfile::Builder::new().prefix("nixos-test-typecheck-").tempdir()?;
    std::fs::write(dir.path().join(format!("{}.pyi", typecheck::prelude_module(g))), typecheck::prelude(g))?;
    let mut files = Vec::new();
    for (i, o) in outcomes.iter().enumerate() {
        let Outcome::Analysed(a) = o else { continue };
        for p in typecheck::prepare(a, g) {
            let name = format!("t{}.py", files.len());
            std::fs::write(dir.path().join(&name), &p.text)?;
            files.push((name, i, p));
        }
    }
    if files.is_empty() {
        return Ok(0);
    }
    let out = Command::new(ty)
        .args(["check", "--output-format", "gitlab", "--no-progress", "--exit-zero", "--python-version", PYTHON_VERSION, "--project"])
        .arg(dir.path())
        .arg(dir.path())
        .current_dir(dir.path())
        .env_remove("VIRTUAL_ENV")
        .env_remove("TY_CONFIG_FILE")
        .env_remove("TY_OUTPUT_FORMAT")
        .output()
        .with_context(|| format!("cannot run {}", ty.display()))?;
    if !out.status.success() {
        bail!("{} failed ({}): {}", ty.display(), out.status, String::from_utf8_lossy(&out.stderr).trim());
    }
    let found: Vec<GitlabFinding> =
        serde_json::from_slice(&out.stdout).with_context(|| format!("unexpected output from {}", ty.display()))?;
    let mut per_outcome: Vec<Vec<_>> = (0..outcomes.len()).map(|_| Vec::new()).collect();
    for f in found {
        let file = Path::new(&f.location.path).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let Some((_, i, p)) = files.iter().find(|(name, ..)| *name == file) else { continue };
        let Outcome::Analysed(a) = &outcomes[*i] else { continue };
        let finding = TyFinding {
            rule: f.check_name,
            message: f.description,
            severity: match f.severity.as_str() {
                "info" => Severity::Info,
                "minor" => Severity::Warning,
                _ => Severity::Error,
            },
            start: (f.location.positions.begin.line, f.location.positions.begin.column),
            end: (f.location.positions.end.line, f.location.positions.end.column),
        };
        if let Some(d) = typecheck::map_back(a, p, &finding) {
            per_outcome[*i].push(d);
        }
    }
    for (o, found) in outcomes.iter_mut().zip(per_outcome) {
        if let Outcome::Analysed(a) = o {
            typecheck::merge(a, found);
        }
    }
    Ok(files.len())
}
