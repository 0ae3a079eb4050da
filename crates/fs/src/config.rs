//! `nixos-test-lint.toml`: found from a directory upwards to the repository
//! root, read as a bounded regular file, with relative `read-roots` made
//! absolute against the file's directory.

use std::path::{Path, PathBuf};

use nixos_test_analysis::{CONFIG_FILE_NAMES, Settings};

use crate::read::{MAX_CONFIG_BYTES, read_text};

/// A configuration file that exists but cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ConfigError {
    pub path: PathBuf,
    pub message: String,
}

/// The nearest configuration file at or above `start`, stopping at the
/// repository root (a directory holding `.git` or `flake.nix`). Only
/// names that exist count: what they are is checked when reading.
pub fn find_config(start: &Path) -> Option<PathBuf> {
    for d in start.ancestors() {
        for name in CONFIG_FILE_NAMES {
            let p = d.join(name);
            if p.symlink_metadata().is_ok() {
                return Some(p);
            }
        }
        if d.join(".git").exists() || d.join("flake.nix").exists() {
            return None;
        }
    }
    None
}

/// Reads and parses a configuration file.
pub fn load_settings(path: &Path) -> Result<Settings, ConfigError> {
    let err = |message: String| ConfigError { path: path.to_path_buf(), message };
    let text = read_text(path, MAX_CONFIG_BYTES).map_err(|e| err(format!("cannot read: {e}")))?;
    let mut settings = Settings::from_toml(&text).map_err(|e| err(e.to_string()))?;
    let dir = path.parent().unwrap_or(Path::new("."));
    settings.read_roots = settings.read_roots.iter().map(|r| dir.join(r).display().to_string()).collect();
    if let Some(m) = settings.fixtures_module.as_mut().filter(|m| m.starts_with("./") || m.starts_with("../")) {
        *m = dir.join(&*m).display().to_string();
    }
    if let Some(ty) = settings.ty.as_mut().filter(|t| t.contains('/')) {
        *ty = dir.join(&*ty).display().to_string();
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_config_that_is_a_device_is_an_error_not_a_hang() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        let p = dir.path().join("nixos-test-lint.toml");
        std::os::unix::fs::symlink("/dev/stdin", &p).unwrap();
        assert_eq!(find_config(dir.path()).as_deref(), Some(p.as_path()));
        let e = load_settings(&p).unwrap_err().to_string();
        assert!(e.contains("cannot read"), "{e}");
        std::fs::remove_file(&p).unwrap();
        std::fs::write(&p, "read-roots = [\"../lib\"]\n").unwrap();
        let s = load_settings(&p).unwrap();
        assert_eq!(s.read_roots, vec![dir.path().join("../lib").display().to_string()]);
    }
}
