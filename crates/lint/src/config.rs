//! The configuration file: `nixos-test-lint.toml` (or `.nixos-test-lint.toml`)
//! found from the current directory upwards to the repository root, with
//! command-line flags on top.
//!
//! ```toml
//! driver = "newest"          # or "early-2026", "2025"
//! extend-select = ["E7"]
//! ignore = ["NT403"]
//! ```

use anyhow::Context;
use nixos_test_analysis::Settings;
use nixos_test_analysis::driver_api::Generation;

use crate::args::Args;

pub fn load(args: &Args) -> anyhow::Result<Settings> {
    let file = match (&args.config, args.no_config) {
        (Some(p), _) => Some(p.clone()),
        (None, true) => None,
        (None, false) => std::env::current_dir().ok().and_then(|d| nixos_test_fs::find_config(&d)),
    };
    let mut settings = match &file {
        Some(p) => nixos_test_fs::load_settings(p)?,
        None => Settings::default(),
    };
    if let Some(s) = &args.select {
        settings.rules.select = Some(s.clone());
    }
    settings.rules.extend_select.extend(args.extend_select.iter().cloned());
    settings.rules.ignore.extend(args.ignore.iter().cloned());
    if let Some(d) = &args.driver {
        settings.driver =
            Some(Generation::parse(d).with_context(|| format!("unknown driver generation `{d}` (newest, early-2026, 2025)"))?);
        settings.driver_origin = Some("--driver".into());
    }
    if let Ok(cwd) = std::env::current_dir() {
        nixos_test_fs::settle_generation(&mut settings, &cwd);
    }
    Ok(settings)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_documented_keys_and_rejects_unknown_ones() {
        let s = Settings::from_toml("driver = \"early-2026\"\nextend-select = [\"E7\"]\nignore = [\"NT403\"]\n").unwrap();
        assert_eq!(s.driver, Some(Generation::Split));
        assert_eq!(s.rules.ignore, vec!["NT403".to_string()]);
        assert!(Settings::from_toml("selec = []").is_err());
    }
}
