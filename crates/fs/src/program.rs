//! Finding the external programs the tools run (ty).

use std::path::PathBuf;

/// `wanted` when it is a path to a file; else `wanted` (or `default`) as a
/// name looked up on PATH.
pub fn find_program(wanted: Option<PathBuf>, default: &str) -> Option<PathBuf> {
    match wanted {
        Some(p) if p.components().count() > 1 => p.is_file().then_some(p),
        other => {
            let name = other.unwrap_or_else(|| PathBuf::from(default));
            std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|d| d.join(&name)).find(|p| p.is_file()))
        }
    }
}
