//! The build's type check in the editor (opt-in: `type-check = true` in
//! `nixos-test-lint.toml`, or `initializationOptions.typeCheck`). Our own
//! diagnostics are published first; then `ty check` runs in a fresh process
//! (~50 ms) on the document's prepared scripts, and its findings are
//! published with ours if the document has not changed meanwhile.

use std::path::{Path, PathBuf};
use std::sync::Arc;
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
    pub async fn check(&self, a: &Arc<Analysis>, config: &Arc<Config>, ty: &Path) -> Result<Vec<Diagnostic>, String> {
        // A folder per check: checks of several documents run at once.
        let dir = self.dir.path().join(self.next.fetch_add(1, Ordering::Relaxed).to_string());
        let result = self.check_in(&dir, a, config, ty).await;
        let _ = tokio::fs::remove_dir_all(&dir).await;
        result
    }

    async fn check_in(&self, dir: &Path, a: &Arc<Analysis>, config: &Arc<Config>, ty: &Path) -> Result<Vec<Diagnostic>, String> {
        let (dir2, a2, config2) = (dir.to_path_buf(), a.clone(), config.clone());
        let workspace = tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir2)?;
            nixos_test_fs::typecheck::write_workspace(&dir2, &config2, [&*a2])
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
        let prepared = &workspace.prepared;
        if prepared.is_empty() {
            return Ok(Vec::new());
        }
        let run = tokio::process::Command::from(workspace.command(ty)).kill_on_drop(true).output();
        let out = tokio::time::timeout(TIMEOUT, run)
            .await
            .map_err(|_| format!("{} took longer than {} s", ty.display(), TIMEOUT.as_secs()))?
            .map_err(|e| format!("cannot run {}: {e}", ty.display()))?;
        if !out.status.success() {
            return Err(format!("{} failed: {}", ty.display(), String::from_utf8_lossy(&out.stderr).trim()));
        }
        let mut found = Vec::new();
        for (file, finding) in typecheck::parse_report(&out.stdout)? {
            let p = nixos_test_fs::typecheck::file_index(&file).and_then(|k| prepared.get(k));
            if let Some(d) = p.and_then(|(_, p)| typecheck::map_back(a, p, &finding)) {
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
