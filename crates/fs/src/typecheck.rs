//! The folder `ty` checks: the prelude, one file per prepared script, and
//! the arguments that make ty check exactly that (shared by the CLI and the
//! server, which run ty their own way).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use nixos_test_analysis::typecheck::{self, Prepared, Stubs};
use nixos_test_analysis::{Analysis, Config};

/// The real driver's sources (`<nixpkgs>/nixos/lib/test-driver/src`) from
/// `NIXOS_TEST_DRIVER_SRC`, when its checkout also has the build's prelude
/// (`nixos/lib/test-script-prepend.py`).
pub fn real_driver() -> Option<(PathBuf, PathBuf)> {
    let src = PathBuf::from(std::env::var_os("NIXOS_TEST_DRIVER_SRC")?);
    let prepend = src.join("../../test-script-prepend.py");
    (src.join("test_driver").is_dir() && prepend.is_file()).then_some((src, prepend))
}

/// A prepared script's file name in the folder (`t<k>.py`), and back.
pub fn file_name(k: usize) -> String {
    format!("t{k}.py")
}

pub fn file_index(name: &str) -> Option<usize> {
    name.strip_prefix('t')?.strip_suffix(".py")?.parse().ok()
}

/// What was written for ty: the prepared scripts (file `k` holds the `k`-th,
/// with the index of its analysis), and how to check the folder.
pub struct Workspace {
    pub prepared: Vec<(usize, Prepared)>,
    dir: PathBuf,
    args: Vec<OsString>,
}

impl Workspace {
    /// `ty check` of the folder, in the folder, with nothing of the caller's
    /// environment that would point ty elsewhere (a virtualenv, a config
    /// file, another output format).
    pub fn command(&self, ty: &Path) -> std::process::Command {
        let mut c = std::process::Command::new(ty);
        c.args(&self.args).current_dir(&self.dir).env_remove("VIRTUAL_ENV").env_remove("TY_CONFIG_FILE").env_remove("TY_OUTPUT_FORMAT");
        c
    }
}

/// Writes the prelude and the prepared scripts of `analyses` into `dir`.
pub fn write_workspace<'a>(dir: &Path, config: &Config, analyses: impl IntoIterator<Item = &'a Analysis>) -> std::io::Result<Workspace> {
    let g = config.generation();
    let real = real_driver();
    let stubs = if real.is_some() { Stubs::RealDriver } else { Stubs::Table };
    match &real {
        Some((_, prepend)) => std::fs::copy(prepend, dir.join(format!("{}.py", typecheck::REAL_PRELUDE_MODULE))).map(drop)?,
        None => std::fs::write(dir.join(format!("{}.pyi", typecheck::prelude_module(g))), typecheck::prelude(g))?,
    }
    let mut prepared = Vec::new();
    for (i, a) in analyses.into_iter().enumerate() {
        for p in typecheck::prepare(a, g, stubs) {
            std::fs::write(dir.join(file_name(prepared.len())), &p.text)?;
            prepared.push((i, p));
        }
    }
    let mut args: Vec<OsString> = typecheck::ty_args(config).into_iter().map(OsString::from).collect();
    if let Some((src, _)) = &real {
        args.extend([OsString::from("--extra-search-path"), src.as_os_str().to_owned()]);
    }
    args.extend([OsString::from("--project"), dir.as_os_str().to_owned(), dir.as_os_str().to_owned()]);
    Ok(Workspace { prepared, dir: dir.to_path_buf(), args })
}
