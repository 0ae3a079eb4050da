//! `--type-check`: ty run once over every fully known script of the run,
//! prepared as the NixOS build prepares it (see
//! `nixos_test_analysis::typecheck`), its findings mapped back to Nix.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use nixos_test_analysis::{Analysis, Config, typecheck};

use crate::Outcome;

/// The version of ty this release is tested with (CI installs exactly it).
pub const TESTED_TY: &str = "0.0.104";

/// The ty to run: `--ty`/`NIXOS_TEST_TY`, the configuration's `ty`, else
/// `ty` on PATH.
pub fn find_ty(flag: Option<&Path>, configured: Option<&str>) -> Result<PathBuf> {
    nixos_test_fs::find_program(flag.map(Path::to_path_buf).or_else(|| configured.map(PathBuf::from)), "ty").with_context(|| {
        format!("--type-check needs ty, which was not found: install it with `pip install ty=={TESTED_TY}` (or `uv tool install ty`), or point --ty / NIXOS_TEST_TY at it")
    })
}

/// `ty --version`'s answer, for `--version`.
pub fn version(ty: &Path) -> Option<String> {
    let out = Command::new(ty).arg("--version").output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Type-checks every analysed outcome with one run of `ty`; returns how many
/// scripts were checked.
pub fn check(outcomes: &mut [Outcome], ty: &Path, config: &Config) -> Result<usize> {
    let dir = tempfile::Builder::new().prefix("nixos-test-typecheck-").tempdir()?;
    let analysed: Vec<(usize, &Analysis)> = outcomes
        .iter()
        .enumerate()
        .filter_map(|(i, o)| match o {
            Outcome::Analysed(a) => Some((i, &**a)),
            _ => None,
        })
        .collect();
    let workspace = nixos_test_fs::typecheck::write_workspace(dir.path(), config, analysed.iter().map(|(_, a)| *a))?;
    let prepared = &workspace.prepared;
    if prepared.is_empty() {
        return Ok(0);
    }
    let out = workspace.command(ty).output().with_context(|| format!("cannot run {}", ty.display()))?;
    if !out.status.success() {
        bail!("{} failed ({}): {}", ty.display(), out.status, String::from_utf8_lossy(&out.stderr).trim());
    }
    let mut per_outcome: Vec<Vec<_>> = (0..outcomes.len()).map(|_| Vec::new()).collect();
    for (file, finding) in typecheck::parse_report(&out.stdout).map_err(anyhow::Error::msg)? {
        let Some((k, p)) = nixos_test_fs::typecheck::file_index(&file).and_then(|k| prepared.get(k)) else { continue };
        let (i, a) = analysed[*k];
        if let Some(d) = typecheck::map_back(a, p, &finding) {
            per_outcome[i].push(d);
        }
    }
    for (o, found) in outcomes.iter_mut().zip(per_outcome) {
        if let Outcome::Analysed(a) = o {
            typecheck::merge(a, found);
        }
    }
    Ok(prepared.len())
}
