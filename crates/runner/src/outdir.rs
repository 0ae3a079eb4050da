//! The run's output directory, private to the user: files written there are
//! executed (the plugin) and trusted (events, acknowledgements), so no
//! other account may place anything in it.

use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

/// Creates `out` (mode 0700) or accepts an existing directory only when it
/// is a real directory (not a symlink), owned by the current user and not
/// writable by anyone else. Returns its canonical path.
pub fn prepare(out: &Path) -> Result<PathBuf> {
    match std::fs::symlink_metadata(out) {
        Ok(meta) => {
            if !meta.is_dir() {
                bail!("--out {} exists and is not a directory", out.display());
            }
            let me = rustix::process::getuid().as_raw();
            if meta.uid() != me {
                bail!("--out {} belongs to another user (uid {}): refusing to run from it", out.display(), meta.uid());
            }
            if meta.permissions().mode() & 0o022 != 0 {
                bail!("--out {} is writable by other users: refusing to run from it", out.display());
            }
        }
        Err(_) => {
            if let Some(parent) = out.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).with_context(|| format!("create {}", parent.display()))?;
            }
            std::fs::DirBuilder::new().mode(0o700).create(out).with_context(|| format!("create {}", out.display()))?;
        }
    }
    out.canonicalize().with_context(|| format!("resolve {}", out.display()))
}

/// A file name for `test` and `machine` that is safe and short: no path
/// separators, at most ~120 bytes, distinct names kept distinct.
pub fn screenshot_name(test: &str, machine: &str) -> String {
    let clean = |s: &str| s.chars().map(|c| if c.is_ascii_alphanumeric() || "-_.".contains(c) { c } else { '_' }).collect::<String>();
    let (t, m) = (clean(test), clean(machine));
    let mut name = format!("{t}-{m}");
    if name.len() > 120 {
        let hash =
            test.bytes().chain(machine.bytes()).fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
        name = format!("{}-{}-{hash:016x}", &t[..t.len().min(60)], &m[..m.len().min(30)]);
    }
    format!("{name}.png")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_directories_of_others_or_open_to_others_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("a/b");
        let p = prepare(&out).unwrap();
        assert_eq!(std::fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o700);
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o777)).unwrap();
        assert!(prepare(&out).unwrap_err().to_string().contains("writable by other users"));
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&out, &link).unwrap();
        assert!(prepare(&link).is_err());
    }

    #[test]
    fn screenshot_names_stay_short_and_flat() {
        let long = "t".repeat(305);
        let n = screenshot_name(&long, "server");
        assert!(n.len() < 140 && n.ends_with(".png"));
        assert_ne!(n, screenshot_name(&format!("{long}x"), "server"));
        assert_eq!(screenshot_name("test_a[../x]", "m"), "test_a_.._x_-m.png");
    }
}
