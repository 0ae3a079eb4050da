//! `builtins.readFile` targets, read from disk within the test's repository.

use std::path::{Path, PathBuf};

use nixos_test_analysis::nix::{FileLoader, read_path};

use crate::read::{MAX_FILE_BYTES, ReadError, read_text};

/// The repository a test belongs to: the nearest directory at or above
/// `dir` holding `.git` or `flake.nix`; else `dir` itself.
pub fn repository_root(dir: &Path) -> PathBuf {
    dir.ancestors().find(|d| d.join(".git").exists() || d.join("flake.nix").exists()).unwrap_or(dir).to_path_buf()
}

/// Reads `builtins.readFile` targets from disk: regular files only, within
/// the repository of the test (or a configured extra root), bounded.
#[derive(Debug, Clone, Default)]
pub struct DiskLoader {
    /// Directories outside the repository that tests may read (absolute).
    pub extra_roots: Vec<PathBuf>,
}

impl DiskLoader {
    pub fn new(extra_roots: &[String]) -> DiskLoader {
        DiskLoader { extra_roots: extra_roots.iter().filter_map(|r| Path::new(r).canonicalize().ok()).collect() }
    }

    /// Where `builtins.readFile ./rel` in the file `base` reads, as a
    /// canonical path, if it is allowed: inside the repository of `base` or
    /// an extra root. Symlinks are resolved before the check, so a link
    /// inside the repository cannot lead out of it.
    pub fn resolve(&self, base: &str, rel: &str) -> Result<PathBuf, String> {
        let base_path = Path::new(base);
        let dir = match base_path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ if base_path.exists() => Path::new("."),
            _ => return Err("the document is not a file on disk, so its relative paths lead nowhere".into()),
        };
        let dir = dir.canonicalize().map_err(|e| format!("cannot resolve the directory of the test: {e}"))?;
        let root = repository_root(&dir);
        let target = read_path(&dir.join("x").display().to_string(), rel).canonicalize().map_err(|e| e.to_string())?;
        if target.starts_with(&root) || self.extra_roots.iter().any(|r| target.starts_with(r)) {
            Ok(target)
        } else {
            Err(format!(
                "it is outside the test's repository ({}); add its directory to `read-roots` in nixos-test-lint.toml to allow it",
                root.display()
            ))
        }
    }

    /// Reads an allowed target (see [`DiskLoader::resolve`]).
    pub fn read_resolved(path: &Path) -> Result<String, String> {
        read_text(path, MAX_FILE_BYTES).map_err(|e: ReadError| e.to_string())
    }
}

impl FileLoader for DiskLoader {
    fn read(&self, base: &str, rel: &str) -> Result<(String, String), String> {
        let path = self.resolve(base, rel)?;
        let text = Self::read_resolved(&path)?;
        Ok((path.display().to_string(), text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stay_inside_the_repository() {
        let outer = tempfile::tempdir().unwrap();
        let repo = outer.path().join("repo");
        std::fs::create_dir_all(repo.join(".git")).unwrap();
        std::fs::create_dir_all(repo.join("tests")).unwrap();
        std::fs::write(repo.join("tests/t.py"), "print(1)\n").unwrap();
        std::fs::write(outer.path().join("secret"), "TOKEN\n").unwrap();
        std::os::unix::fs::symlink(outer.path().join("secret"), repo.join("tests/link.py")).unwrap();
        let base = repo.join("tests/t.nix").display().to_string();
        let l = DiskLoader::default();
        assert_eq!(l.read(&base, "./t.py").unwrap().1, "print(1)\n");
        for rel in ["../../secret", "./link.py", "../../../../../../proc/self/environ"] {
            let e = l.read(&base, rel).unwrap_err();
            assert!(e.contains("outside the test's repository") || e.contains("No such file"), "{rel}: {e}");
            assert!(!e.contains("TOKEN"));
        }
        let widened = DiskLoader::new(&[outer.path().display().to_string()]);
        assert_eq!(widened.read(&base, "../../secret").unwrap().1, "TOKEN\n");
        assert!(l.read("untitled:Untitled-1", "./t.py").is_err());
    }
}
