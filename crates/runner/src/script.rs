//! The test in the Nix file (through the analysis crate), the script the
//! runner hands the driver, and the way back from a script line to Nix.

use std::path::Path;

use anyhow::{Context, Result, bail};
use nixos_test_analysis::line_index::{Encoding, LineIndex};
use nixos_test_analysis::source_map::{FileId, TextSize};
use nixos_test_analysis::{Config, model};
use nixos_test_fs::{DiskLoader, MAX_FILE_BYTES};

use crate::events::Location;

/// The plugin that runs `test_` functions with pytest, shipped in the binary.
const PLUGIN: &str = include_str!("../python/nixos_test_pytest.py");

pub struct Target {
    pub label: String,
    pub attr: Option<String>,
    pub test_functions: Vec<String>,
    path: String,
    source: String,
    index: usize,
    analysis: nixos_test_analysis::Analysis,
}

impl Target {
    /// The test of `file`: the one bound to `attr`, or the only one.
    pub fn find(file: &Path, attr: Option<&str>) -> Result<Target> {
        let path = file.display().to_string();
        let source = nixos_test_fs::read_text(file, MAX_FILE_BYTES).with_context(|| format!("read {path}"))?;
        let dir = file.parent().unwrap_or(Path::new("."));
        let mut settings = nixos_test_fs::find_config(dir).map(|p| nixos_test_fs::load_settings(&p)).transpose()?.unwrap_or_default();
        nixos_test_fs::settle_generation(&mut settings, dir);
        let loader = DiskLoader::new(&settings.read_roots);
        let config = Config::new(settings).map_err(anyhow::Error::msg)?;
        let analysis = std::thread::scope(|s| {
            std::thread::Builder::new()
                .stack_size(nixos_test_analysis::ANALYSIS_STACK_BYTES)
                .spawn_scoped(s, || model(&path, &source, &loader, &config))
                .map(|h| h.join())
        })
        .context("start the analysis thread")?
        .map_err(|_| anyhow::anyhow!("internal error while analysing {path}"))?;
        let tests = &analysis.file.tests;
        let index = match attr {
            Some(a) => {
                tests.iter().position(|t| t.attr.as_deref() == Some(a) || a.ends_with(&format!(".{}", t.attr.as_deref().unwrap_or("\0"))))
            }
            None if tests.len() == 1 => Some(0),
            None => None,
        };
        let Some(index) = index else {
            let attrs: Vec<&str> = tests.iter().filter_map(|t| t.attr.as_deref()).collect();
            if tests.is_empty() {
                bail!("{path} defines no NixOS test (no testScript)");
            }
            bail!("{path} defines {} tests: choose one with --attr ({})", tests.len(), attrs.join(", "));
        };
        let test = &analysis.file.tests[index];
        // The tests it can run alone: a legacy script's helpers are not.
        let test_functions = analysis.scripts[index]
            .as_ref()
            .map(|s| s.scope.test_functions.iter().filter(|f| s.scope.is_runnable(f, test)).map(|f| f.name.clone()).collect())
            .unwrap_or_default();
        Ok(Target { label: test.label().to_string(), attr: test.attr.clone(), test_functions, path, source, index, analysis })
    }

    /// The Nix location of a 1-based line of the script.
    pub fn locate(&self, line: u32) -> Option<Location> {
        let script = &self.analysis.file.tests[self.index].script;
        let text = &script.text;
        let start = text.split_inclusive('\n').take(line.checked_sub(1)? as usize).map(str::len).sum::<usize>();
        let first_char = start + text[start..].len().saturating_sub(text[start..].trim_start().len());
        let (file, offset) = script.map.to_source_offset(TextSize::try_from(first_char).ok()?)?;
        let (path, file_text) = match file {
            FileId::Nix => (self.path.as_str(), self.source.as_str()),
            FileId::Read(i) => {
                let f = script.read_files.get(i as usize)?;
                (f.path.as_str(), f.text.as_str())
            }
        };
        let (l, c) = LineIndex::new(file_text).position(file_text, offset, Encoding::Utf8);
        Some(Location { file: path.to_string(), line: l + 1, column: c + 1 })
    }
}

/// The script to run: the test's own, plus the plugin call when it has
/// `test_` functions and does not make the call itself (without
/// `usePytestFixtures`). A legacy script runs as it is: "Run all" is the
/// driver running it, with nothing added (and no pytest needed). The plugin is
/// written into the private output directory and loaded from that exact
/// file; the directory is never put on `sys.path`, so nothing else found
/// there is imported. pytest must be in the driver's Python environment.
pub fn generate(original: &str, out: &Path, has_tests: bool) -> Result<String> {
    let mut text = original.to_string();
    if has_tests && !original.contains("nixos_test_pytest.main(") {
        let plugin = out.join("nixos_test_pytest.py");
        write_private(&plugin, PLUGIN.as_bytes())?;
        text.push_str(&format!(
            "\n\nimport importlib.util as _nixos_test_util, sys as _nixos_test_sys\n\
             _nixos_test_spec = _nixos_test_util.spec_from_file_location(\"nixos_test_pytest\", {:?})\n\
             nixos_test_pytest = _nixos_test_util.module_from_spec(_nixos_test_spec)\n\
             _nixos_test_sys.modules[\"nixos_test_pytest\"] = nixos_test_pytest\n\
             _nixos_test_spec.loader.exec_module(nixos_test_pytest)\n\
             nixos_test_pytest.main(globals(), source=driver.tests)\n",
            plugin.display().to_string()
        ));
    }
    Ok(text)
}

/// Writes a file the runner owns: a symlink or other planted entry in its
/// place is removed first, never followed.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => bail!("{} is a directory", path.display()),
        Ok(_) => std::fs::remove_file(path).with_context(|| format!("replace {}", path.display()))?,
        Err(_) => {}
    }
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("create {}", path.display()))?;
    f.write_all(bytes).with_context(|| format!("write {}", path.display()))
}
