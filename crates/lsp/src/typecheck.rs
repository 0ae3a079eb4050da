//! The build's type check in the editor (opt-in: `type-check = true` in
//! `nixos-test-lint.toml`, or `initializationOptions.typeCheck`). Our own
//! diagnostics are published first; then `ty check` runs in a fresh process
//! (~50 ms) on the document's prepared scripts, and its findings are
//! published with ours if the document has not changed meanwhile.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use nixos_test_analysis::diagnostics::Diagnostic;
use nixos_test_analysis::{Analysis, Config, typecheck};

/// ty gets this long per check; it takes milliseconds.
const TIMEOUT: Duration = Duration::from_secs(20);

pub struct TypeChecker {
    /// Private scratch space, removed when the server ends.
    dir: tempfile::TempDir,
    next: AtomicU64,
}

impl TypeChecker {
    pub fn new() -> std::io::Result<TypeChecker> {
        Ok(TypeChecker { dir: tempfile::Builder::new().prefix("nixos-test-lsp-ty-").tempdir()?, next: AtomicU64::new(0) })
    }

    /// ty's findings on `a`'s fully known scripts, mapped to their sources.
    pub async fn check(&self, a: &Analysis, config: &Config, ty: &Path) -> Result<Vec<Diagnostic>, String> {
        let g = config.generation();
        let prepared = typecheck::prepare(a, g);
        if prepared.is_empty() {
            return Ok(Vec::new());
        }
        // A directory per check: checks of several documents run at once.
        let dir = self.dir.path().join(self.next.fetch_add(1, Ordering::Relaxed).to_string());
        let result = self.check_in(&dir, a, config, ty, &prepared).await;
        let _ = tokio::fs::remove_dir_all(&dir).await;
        result
    }

    async fn check_in(
        &self,
        dir: &Path,
        a: &Analysis,
        config: &Config,
        ty: &Path,
        prepared: &[typecheck::Prepared],
    ) -> Result<Vec<Diagnostic>, String> {
        let g = config.generation();
        let io = |e: std::io::Error| e.to_string();
        tokio::fs::create_dir_all(dir).await.map_err(io)?;
        tokio::fs::write(dir.join(format!("{}.pyi", typecheck::prelude_module(g))), typecheck::prelude(g)).await.map_err(io)?;
        for (i, p) in prepared.iter().enumerate() {
            tokio::fs::write(dir.join(format!("t{i}.py")), &p.text).await.map_err(io)?;
        }
        let run = tokio::process::Command::new(ty)
            .args(typecheck::ty_args(config))
            .arg("--project")
            .arg(dir)
            .arg(dir)
            .current_dir(dir)
            .env_remove("VIRTUAL_ENV")
            .env_remove("TY_CONFIG_FILE")
            .env_remove("TY_OUTPUT_FORMAT")
            .kill_on_drop(true)
            .output();
        let out = tokio::time::timeout(TIMEOUT, run)
            .await
            .map_err(|_| format!("{} took longer than {} s", ty.display(), TIMEOUT.as_secs()))?
            .map_err(|e| format!("cannot run {}: {e}", ty.display()))?;
        if !out.status.success() {
            return Err(format!("{} failed: {}", ty.display(), String::from_utf8_lossy(&out.stderr).trim()));
        }
        let mut found = Vec::new();
        for (file, finding) in typecheck::parse_report(&out.stdout)? {
            let Some(i) = file.strip_prefix('t').and_then(|f| f.strip_suffix(".py")).and_then(|n| n.parse::<usize>().ok()) else {
                continue;
            };
            if let Some(d) = prepared.get(i).and_then(|p| typecheck::map_back(a, p, &finding)) {
                found.push(d);
            }
        }
        Ok(found)
    }
}

/// The ty to run: the client's `initializationOptions.ty`, the
/// configuration's `ty`, `NIXOS_TEST_TY`, else `ty` on PATH.
pub fn find_ty(client: Option<&str>, configured: Option<&str>) -> Option<PathBuf> {
    let wanted = client.or(configured).map(PathBuf::from).or_else(|| std::env::var_os("NIXOS_TEST_TY").map(PathBuf::from));
    nixos_test_fs::find_program(wanted, "ty")
}
