//! Which driver generation a repository's tests run against, when the
//! configuration does not say: from the nixpkgs the repository pins, so that
//! a repository on an older nixpkgs is not told to use API it does not
//! have. `flake.lock` (the date of the locked nixpkgs revision), else npins
//! (`npins/sources.json`) or niv (`nix/sources.json`) by branch or channel;
//! else the newest.

use std::path::Path;

use nixos_test_analysis::Settings;
use nixos_test_analysis::driver_api::Generation;

use crate::loader::repository_root;
use crate::read::{MAX_CONFIG_BYTES, read_text};

/// Sets `settings.driver` from the repository of `start` when the
/// configuration left it out, and says where it came from.
pub fn settle_generation(settings: &mut Settings, start: &Path) {
    if settings.driver.is_some() {
        settings.driver_origin.get_or_insert_with(|| "configured".into());
        return;
    }
    match detect(start) {
        Some((g, origin)) => {
            settings.driver = Some(g);
            settings.driver_origin = Some(origin);
        }
        None => settings.driver_origin = Some("the default: no pinned nixpkgs found".into()),
    }
}

/// The generation of the nixpkgs pinned by the repository of `start`.
pub fn detect(start: &Path) -> Option<(Generation, String)> {
    let root = repository_root(start);
    let json = |rel: &str| -> Option<serde_json::Value> {
        let text = read_text(&root.join(rel), MAX_CONFIG_BYTES * 16).ok()?;
        serde_json::from_str(&text).ok()
    };
    if let Some(lock) = json("flake.lock") {
        let nodes = &lock["nodes"];
        // The root's `nixpkgs` input, else any locked NixOS/nixpkgs.
        let name = lock["nodes"]["root"]["inputs"]["nixpkgs"].as_str().map(str::to_string);
        let node = name
            .and_then(|n| nodes.get(n))
            .or_else(|| nodes.as_object()?.values().find(|n| n["locked"]["owner"] == "NixOS" && n["locked"]["repo"] == "nixpkgs"));
        if let Some(secs) = node.and_then(|n| n["locked"]["lastModified"].as_i64()) {
            let g = Generation::of_nixpkgs_date(secs);
            return Some((g, format!("flake.lock: nixpkgs of {}", date(secs))));
        }
    }
    for (file, kind) in [("npins/sources.json", "npins"), ("nix/sources.json", "niv")] {
        let Some(sources) = json(file) else { continue };
        let pin = if kind == "npins" { &sources["pins"]["nixpkgs"] } else { &sources["nixpkgs"] };
        let branch = ["branch", "name", "channel"].iter().find_map(|k| pin[*k].as_str()).or_else(|| pin["repository"]["branch"].as_str());
        if let Some((b, g)) = branch.and_then(|b| Some((b, Generation::of_nixpkgs_branch(b)?))) {
            return Some((g, format!("{file}: nixpkgs {b}")));
        }
    }
    None
}

/// `YYYY-MM-DD` of a Unix time (UTC), by the civil-from-days algorithm.
fn date(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        std::fs::create_dir(dir.path().join(".git")).unwrap_or_default();
        for (name, text) in files {
            let p = dir.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap_or(dir.path())).unwrap_or_default();
            std::fs::write(p, text).unwrap_or_default();
        }
        dir
    }

    #[test]
    fn dates_are_civil() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_767_225_600), "2026-01-01");
        assert_eq!(date(1_785_542_399), "2026-07-31");
    }

    #[test]
    fn from_a_flake_lock_by_the_date_of_nixpkgs() {
        let lock = |secs: i64| {
            format!(
                r#"{{"nodes":{{"nixpkgs_2":{{"locked":{{"lastModified":{secs},"owner":"NixOS","repo":"nixpkgs","type":"github"}}}},"root":{{"inputs":{{"nixpkgs":"nixpkgs_2"}}}}}},"root":"root","version":7}}"#
            )
        };
        let old = repo(&[("flake.lock", &lock(1_748_736_000))]);
        assert_eq!(detect(old.path()), Some((Generation::Classic, "flake.lock: nixpkgs of 2025-06-01".into())));
        let mid = repo(&[("flake.lock", &lock(1_775_000_000))]);
        assert_eq!(detect(mid.path()).map(|d| d.0), Some(Generation::Split));
        let new = repo(&[("flake.lock", &lock(1_790_000_000))]);
        assert_eq!(detect(new.path()).map(|d| d.0), Some(Generation::Newest));
    }

    #[test]
    fn from_npins_and_niv_by_branch() {
        let npins = repo(&[("npins/sources.json", r#"{"pins":{"nixpkgs":{"type":"Channel","name":"nixos-25.11"}},"version":5}"#)]);
        assert_eq!(detect(npins.path()), Some((Generation::Classic, "npins/sources.json: nixpkgs nixos-25.11".into())));
        let niv = repo(&[("nix/sources.json", r#"{"nixpkgs":{"branch":"nixos-unstable","rev":"abc"}}"#)]);
        assert_eq!(detect(niv.path()).map(|d| d.0), Some(Generation::Newest));
        let spring = repo(&[("nix/sources.json", r#"{"nixpkgs":{"branch":"release-26.05"}}"#)]);
        assert_eq!(detect(spring.path()).map(|d| d.0), Some(Generation::Split));
    }

    #[test]
    fn configured_wins_and_nothing_found_is_said() {
        let dir = repo(&[]);
        let mut s = Settings { driver: Some(Generation::Split), ..Settings::default() };
        settle_generation(&mut s, dir.path());
        assert_eq!((s.driver, s.driver_origin.as_deref()), (Some(Generation::Split), Some("configured")));
        let mut s = Settings::default();
        settle_generation(&mut s, dir.path());
        assert_eq!(s.driver, None);
        assert!(s.driver_origin.unwrap_or_default().contains("no pinned nixpkgs"));
    }
}
