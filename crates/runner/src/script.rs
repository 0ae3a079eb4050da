//! The test in the Nix file (through the analysis crate), the script the
//! runner hands the driver, and the way back from a script line to Nix.

use std::path::Path;

use anyhow::{Context, Result, bail};
use nixos_test_analysis::line_index::{Encoding, LineIndex};
use nixos_test_analysis::nix::{FileLoader, read_path};
use nixos_test_analysis::source_map::{FileId, TextSize};
use nixos_test_analysis::{Config, model};

use crate::events::Location;

/// The plugin that runs `test_` functions with pytest, shipped in the binary.
const PLUGIN: &str = include_str!("../python/nixos_test_pytest.py");

struct Fs;

impl FileLoader for Fs {
    fn read(&self, base: &str, rel: &str) -> Result<(String, String), String> {
        let p = read_path(base, rel);
        std::fs::read_to_string(&p).map(|t| (p.display().to_string(), t)).map_err(|e| e.to_string())
    }
}

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
        let source = std::fs::read_to_string(file).with_context(|| format!("read {path}"))?;
        let analysis = model(&path, &source, &Fs, &Config::default());
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
        let test_functions =
            analysis.scripts[index].as_ref().map(|s| s.scope.test_functions.iter().map(|f| f.name.clone()).collect()).unwrap_or_default();
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

/// The script to run: the test's own, plus the plugin call when the test
/// does not make it itself (without `usePytestFixtures`). The plugin is
/// written next to it so the driver can import it; pytest must be in the
/// driver's Python environment for tests to run.
pub fn generate(original: &str, out: &Path) -> Result<String> {
    let plugin_dir = out.join("python");
    std::fs::create_dir_all(&plugin_dir)?;
    std::fs::write(plugin_dir.join("nixos_test_pytest.py"), PLUGIN)?;
    let mut text = original.to_string();
    if !original.contains("nixos_test_pytest.main(") {
        text.push_str(&format!(
            "\n\nimport sys as _nixos_test_sys\n_nixos_test_sys.path.insert(0, {:?})\nimport nixos_test_pytest\nnixos_test_pytest.main(globals(), source=driver.tests)\n",
            plugin_dir.display().to_string()
        ));
    }
    Ok(text)
}
