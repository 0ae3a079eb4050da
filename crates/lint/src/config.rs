//! The configuration file: `nixos-test-lint.toml` (or `.nixos-test-lint.toml`)
//! found from the current directory upwards to the repository root, with
//! command-line flags on top.
//!
//! ```toml
//! driver = "newest"          # or "early-2026", "2025"
//! extend-select = ["E7"]
//! ignore = ["NT403"]
//! ```

use std::path::{Path, PathBuf};

use anyhow::Context;
use nixos_test_analysis::driver_api::Generation;
use nixos_test_analysis::{CONFIG_FILE_NAMES, Settings};

use crate::args::Args;

/// The nearest configuration file at or above `start`, stopping at the
/// repository root (the directory holding `.git`).
pub fn find(start: &Path) -> Option<PathBuf> {
    let mut dir = Some(start);
    while let Some(d) = dir {
        for name in CONFIG_FILE_NAMES {
            let p = d.join(name);
            if p.is_file() {
                return Some(p);
            }
        }
        if d.join(".git").exists() {
            return None;
        }
        dir = d.parent();
    }
    None
}

pub fn load(args: &Args) -> anyhow::Result<Settings> {
    let file = match (&args.config, args.no_config) {
        (Some(p), _) => Some(p.clone()),
        (None, true) => None,
        (None, false) => std::env::current_dir().ok().and_then(|d| find(&d)),
    };
    let mut settings = match &file {
        Some(p) => {
            let text = std::fs::read_to_string(p).with_context(|| format!("cannot read {}", p.display()))?;
            Settings::from_toml(&text).map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?
        }
        None => Settings::default(),
    };
    if let Some(s) = &args.select {
        settings.rules.select = Some(s.clone());
    }
    settings.rules.extend_select.extend(args.extend_select.iter().cloned());
    settings.rules.ignore.extend(args.ignore.iter().cloned());
    if let Some(d) = &args.driver {
        settings.driver = Generation::parse(d).with_context(|| format!("unknown driver generation `{d}` (newest, early-2026, 2025)"))?;
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documented_keys_and_rejects_unknown_ones() {
        let s = Settings::from_toml("driver = \"early-2026\"\nextend-select = [\"E7\"]\nignore = [\"NT403\"]\n").unwrap();
        assert_eq!(s.driver, Generation::Split);
        assert_eq!(s.rules.ignore, vec!["NT403".to_string()]);
        assert!(Settings::from_toml("selec = []").is_err());
    }
}
