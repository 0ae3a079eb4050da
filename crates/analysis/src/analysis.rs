//! The one entry point: `analyze(path, text) -> Analysis`, shared by the
//! CLI and the server. Per test: extract the script, parse it, run ruff and
//! our checks, and map every finding back to the Nix source.

use ruff_python_ast::{ModModule, PythonVersion};
use ruff_python_parser::{Mode, ParseOptions, Parsed, parse_unchecked};
use ruff_text_size::{TextRange, TextSize};
use std::sync::OnceLock;

use serde::Deserialize;

use crate::diagnostics::{Diagnostic, Edit, Fix};
use crate::driver_api::{DriverApi, Generation};
use crate::line_index::LineIndex;
use crate::nix::{FileLoader, ScriptStatus, TestDef, TestFile};
use crate::python::{self, ScriptScope};
use crate::rules::{self, Code, Finding, PyFix, Rule, RuleSelection, policy};
use crate::source_map::{FileId, Quoting, SegmentKind, SourceRange};

/// Settings of a run: the configuration file's `[tool]`-less keys.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub struct Settings {
    /// Driver generation to check against (`newest`, `early-2026`, `2025`);
    /// left out, the shells detect it from the nixpkgs the repository pins.
    #[serde(default)]
    pub driver: Option<Generation>,
    /// Where `driver` came from (configured, or detected from what), for
    /// the messages that depend on it.
    #[serde(skip)]
    pub driver_origin: Option<String>,
    #[serde(flatten)]
    pub rules: RuleSelection,
    /// Directories outside the test's repository that `builtins.readFile`
    /// may read (relative to the configuration file; absolute once loaded).
    #[serde(default)]
    pub read_roots: Vec<String>,
    /// Type-check scripts with ty as the NixOS build does (`--type-check`).
    #[serde(default)]
    pub type_check: bool,
    /// The ty executable (a name on PATH, or a path relative to this file).
    #[serde(default)]
    pub ty: Option<String>,
    /// The Python the driver runs (`"3.13"`): what the script is parsed and
    /// checked as. Default: from the driver generation.
    #[serde(default)]
    pub python_version: Option<String>,
    /// The module that declares `usePytestFixtures`, which a migration to
    /// fixture mode adds to the test's `imports`: a Nix expression
    /// (`inputs.nixos-test-tools.nixosTestModules.fixtures`) or a path
    /// relative to this file (`./nix/fixtures-module.nix`; absolute once
    /// loaded).
    #[serde(default)]
    pub fixtures_module: Option<String>,
}

/// Settings with the ruff rule list resolved once.
#[derive(Clone)]
pub struct Config {
    pub settings: Settings,
    ruff_rules: rules::ruff::RuffRules,
    python: PythonVersion,
}

impl Config {
    pub fn new(settings: Settings) -> Result<Config, SettingsError> {
        let python = match &settings.python_version {
            Some(v) => parse_python_version(v)?,
            None => default_python(settings.driver.unwrap_or_default()),
        };
        let ruff_rules = rules::ruff::rules_for(&settings.rules, python)?;
        Ok(Config { settings, ruff_rules, python })
    }

    pub fn generation(&self) -> Generation {
        self.settings.driver.unwrap_or_default()
    }

    /// The generation checked against, with where it came from: for hover,
    /// `--show-script` and deprecation messages.
    pub fn generation_note(&self) -> String {
        match &self.settings.driver_origin {
            Some(origin) => format!("{} driver ({origin})", self.generation().label()),
            None => format!("{} driver", self.generation().label()),
        }
    }

    /// The Python the script is parsed and checked as.
    pub fn python(&self) -> PythonVersion {
        self.python
    }
}

/// The Python of the driver generation's nixpkgs: 3.12 up to 2025 (NixOS
/// 25.05), 3.13 for the 2026 drivers.
fn default_python(g: Generation) -> PythonVersion {
    match g {
        Generation::Classic => PythonVersion::PY312,
        Generation::Split | Generation::Newest => PythonVersion::PY313,
    }
}

/// A configuration that cannot be used, with what is wrong in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    #[error("{0}")]
    Toml(String),
    #[error("python-version `{0}`: expected `3.<minor>`, e.g. \"3.13\"")]
    PythonVersion(String),
    #[error("unknown rule selector `{selector}`: {reason}")]
    Selector { selector: String, reason: String },
}

fn parse_python_version(v: &str) -> Result<PythonVersion, SettingsError> {
    let bad = || SettingsError::PythonVersion(v.to_string());
    let (major, minor) = v.trim().split_once('.').ok_or_else(bad)?;
    let (major, minor): (u8, u8) = (major.parse().map_err(|_| bad())?, minor.parse().map_err(|_| bad())?);
    if major != 3 || !(7..=15).contains(&minor) {
        return Err(bad());
    }
    Ok(PythonVersion { major, minor })
}

impl Default for Config {
    fn default() -> Config {
        // The default selection consists of known-good selectors.
        Config::new(Settings::default()).unwrap_or_else(|_| Config {
            settings: Settings::default(),
            ruff_rules: rules::ruff::RuffRules::new(Vec::new(), PythonVersion::PY313),
            python: PythonVersion::PY313,
        })
    }
}

/// The parsed script of one test (absent when it is not statically known).
pub struct Script {
    pub parsed: Parsed<ModModule>,
    pub scope: ScriptScope,
}

pub struct Analysis {
    pub path: String,
    pub source: String,
    pub file: TestFile,
    /// One per test, in the order of `file.tests`.
    pub scripts: Vec<Option<Script>>,
    pub diagnostics: Vec<Diagnostic>,
    /// Lines of `source`, built on first use and shared by every request.
    lines: OnceLock<LineIndex>,
}

impl Analysis {
    /// The line index of the Nix source.
    pub fn line_index(&self) -> &LineIndex {
        self.lines.get_or_init(|| LineIndex::new(&self.source))
    }

    /// The text of a file a diagnostic can point into.
    pub fn file_text(&self, file: FileId) -> Option<&str> {
        match file {
            FileId::Nix => Some(&self.source),
            FileId::Read(_) => self.file.read_file(file).map(|f| f.text.as_str()),
        }
    }

    /// The path of a file a diagnostic can point into.
    pub fn file_path(&self, file: FileId) -> Option<&str> {
        match file {
            FileId::Nix => Some(&self.path),
            FileId::Read(_) => self.file.read_file(file).map(|f| f.path.as_str()),
        }
    }
}

/// What a run computes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum RunMode {
    /// Diagnostics and the parsed scripts (the server's full analysis).
    Full,
    /// Diagnostics only (the CLI): trees go to ruff without a copy.
    Lint,
    /// The parsed scripts only (completion and navigation while typing).
    Model,
}

/// Full analysis for the IDE: diagnostics, and the parsed scripts kept.
pub fn analyze(path: &str, source: &str, loader: &dyn FileLoader, config: &Config) -> Analysis {
    run(path, source, loader, config, RunMode::Full)
}

/// Diagnostics only (the CLI): the parse trees go to ruff instead of being
/// copied for later use, so `Analysis::scripts` holds `None`s.
pub fn lint(path: &str, source: &str, loader: &dyn FileLoader, config: &Config) -> Analysis {
    run(path, source, loader, config, RunMode::Lint)
}

/// The model without diagnostics: what completion, hover and navigation
/// need, at a fraction of the cost (no ruff, no checks).
pub fn model(path: &str, source: &str, loader: &dyn FileLoader, config: &Config) -> Analysis {
    run(path, source, loader, config, RunMode::Model)
}

fn run(path: &str, source: &str, loader: &dyn FileLoader, config: &Config, mode: RunMode) -> Analysis {
    let file = TestFile::parse(path, source, loader);
    let mut diagnostics = Vec::new();
    let sel = &config.settings.rules;
    for (message, range) in &file.syntax_errors {
        push_nix(&mut diagnostics, sel, Rule::NixSyntaxError, format!("Nix syntax error: {message}"), *range, None);
    }
    if let Some(why) = &file.too_deep {
        let msg = format!("the file is nested too deeply to analyse ({why}); it is not checked");
        push_nix(&mut diagnostics, sel, Rule::ScriptNotStatic, msg, TextRange::default(), None);
    }
    let mut scripts = Vec::with_capacity(file.tests.len());
    for (i, test) in file.tests.iter().enumerate() {
        let before = diagnostics.len();
        for (rule, node, message) in rules::names::node_name_findings(test, config.generation()) {
            push_nix(&mut diagnostics, sel, rule, message, node.name_range, Some(i));
        }
        scripts.push(check_script(source, test, i, config, mode, &mut diagnostics));
        for d in &mut diagnostics[before..] {
            d.test = Some(i);
        }
    }
    diagnostics.sort_by_key(|d| (d.range.file != FileId::Nix, d.range.range.start(), d.range.range.end()));
    Analysis { path: path.to_string(), source: source.to_string(), file, scripts, diagnostics, lines: OnceLock::new() }
}

/// A finding on the Nix side (the file, its nodes, its script's extraction),
/// with the rule's default severity.
fn push_nix(out: &mut Vec<Diagnostic>, sel: &RuleSelection, rule: Rule, message: String, range: TextRange, test: Option<usize>) {
    if sel.enabled(rule.code()) {
        out.push(Diagnostic {
            code: rule.code().to_string(),
            severity: rule.info().severity,
            message,
            range: SourceRange { file: FileId::Nix, range },
            py_range: None,
            test,
            fix: None,
        });
    }
}

/// Parses a script, tolerating errors (a partial tree still serves the IDE).
pub fn parse_script(text: &str, python: PythonVersion) -> Option<Parsed<ModModule>> {
    parse_unchecked(text, ParseOptions::from(Mode::Module).with_target_version(python)).try_into_module()
}

fn check_script(source: &str, test: &TestDef, index: usize, config: &Config, mode: RunMode, out: &mut Vec<Diagnostic>) -> Option<Script> {
    let sel = &config.settings.rules;
    let script = &test.script;
    match &script.status {
        ScriptStatus::Unknown(reason, range) => {
            let msg = format!("testScript of `{}` is not statically known: {reason}; it is not checked", test.label());
            push_nix(out, sel, Rule::ScriptNotStatic, msg, *range, Some(index));
            return None;
        }
        ScriptStatus::Partial(parts) => {
            for (reason, range) in parts {
                let msg = format!("part of the testScript is not statically known: {reason}; names it may define are not checked");
                push_nix(out, sel, Rule::ScriptNotStatic, msg, *range, Some(index));
            }
        }
        ScriptStatus::Known => {}
    }
    if let Some(reason) = &test.nodes_open {
        let msg = format!("the nodes of `{}` are not all statically known ({reason}); undefined names are not checked", test.label());
        push_nix(out, sel, Rule::ScriptNotStatic, msg, test.script_key, Some(index));
    }
    // ruff's parser grows its own stack, so parsing is safe at any depth;
    // what comes after (visitors, freeing the tree) is not: the parser's
    // tokens bound the tree's depth first.
    let parsed = parse_script(&script.text, config.python())?;
    if let Some(why) = crate::limits::python_too_deep(script.text.len(), parsed.tokens()) {
        let msg = format!("testScript of `{}` is nested too deeply to analyse ({why}); it is not checked", test.label());
        push_nix(out, sel, Rule::ScriptNotStatic, msg, script.value_range, Some(index));
        crate::limits::drop_deep(parsed, script.text.len());
        return None;
    }
    let scope = ScriptScope::build(parsed.syntax(), test, config.generation());
    if mode == RunMode::Model {
        return Some(Script { parsed, scope });
    }
    let locals = python::function_locals(parsed.syntax(), test);
    // A bracket mistake is reported at the bracket, once: what the parser
    // found after it comes from its recovery, not from the user.
    let bracket = if parsed.has_valid_syntax() { None } else { python::brackets::first_unbalanced(parsed.tokens()) };
    let g = config.generation();
    let api = DriverApi::get();
    let alias = test.machine_alias().is_some();
    let mut builtins: Vec<String> = test.nodes.iter().map(|n| n.py_name.clone()).collect();
    builtins.extend(api.globals(g).map(|m| m.name.clone()));
    builtins.extend(script.hole_names().map(str::to_string));
    if alias {
        builtins.push("machine".into());
    }
    let partial = matches!(script.status, ScriptStatus::Partial(_));
    let ours = rules::checker::check(parsed.syntax(), &script.text, test, &scope, g);
    // The IDE keeps the tree; the CLI hands it to ruff without a copy.
    let (ruff_input, kept) = if mode == RunMode::Full { (parsed.clone(), Some(parsed)) } else { (parsed, None) };
    let ruff = rules::ruff::check(&script.text, ruff_input, &config.ruff_rules, builtins);
    let duplicate_tests: Vec<TextRange> =
        ours.iter().filter(|f| f.code == Code::Nt(Rule::DuplicateTestFunction)).map(|f| f.range).collect();
    let translation = rules::ruff::Translation {
        test,
        scope: &scope,
        locals: &locals,
        text: &script.text,
        partial,
        duplicate_tests: &duplicate_tests,
        selection: sel,
    };
    let mut findings: Vec<Finding> = ruff.into_iter().filter_map(|f| rules::ruff::translate(f, &translation)).collect();
    findings.extend(ours);
    // A definition in both branches of `if c then ''…'' else ''…''` is no
    // redefinition: the branches are checked one after the other.
    let in_else = |r: TextRange| script.else_branches.iter().any(|b| b.contains_range(r));
    findings.retain(|f| !(matches!(f.code.as_str(), "F811" | "NT302") && in_else(f.range)));
    if let Some((at, message)) = bracket {
        let line_start = TextSize::try_from(script.text[..usize::from(at.start())].rfind('\n').map_or(0, |i| i + 1)).unwrap_or_default();
        findings.retain(|f| f.range.start() < line_start);
        findings.push(Finding::new(Rule::PythonSyntaxError, at, format!("Python syntax error: {message}")));
    }
    let cx = policy::Context { options: &test.options, partial };
    for Finding { code, message, range, fix, certainty } in findings {
        let code_str = code.as_str();
        if !sel.enabled(code_str) || noqa(&script.text, range.start(), code_str) {
            continue;
        }
        let severity = policy::severity(&code, certainty, cx);
        // Deprecations depend on the generation: say which, and from where.
        let message = match (&code, &config.settings.driver_origin) {
            (Code::Nt(rule), Some(origin)) if rule.family() == "deprecations" => format!("{message} [driver: {}, {origin}]", g.label()),
            _ => message,
        };
        let Some(src) = script.map.to_source(range) else { continue };
        let fix = fix.and_then(|f| map_fix(test, source, f));
        out.push(Diagnostic { code: code_str.to_string(), severity, message, range: src, py_range: Some(range), test: Some(index), fix });
    }
    kept.map(|parsed| Script { parsed, scope })
}

/// `# noqa` or `# noqa: CODE, ...` on the line of `at` (ruff handles its
/// own codes; this serves ours).
pub fn noqa(text: &str, at: TextSize, code: &str) -> bool {
    let at = usize::from(at).min(text.len());
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line = &text[start..end];
    let Some(pos) = line.to_ascii_lowercase().find("# noqa") else { return false };
    let rest = line[pos + 6..].trim_start();
    match rest.strip_prefix(':') {
        None => true,
        Some(codes) => codes
            .split(|c: char| c == ',' || c.is_whitespace())
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .take_while(|c| c.chars().all(|ch| ch.is_ascii_alphanumeric()))
            .any(|c| c.eq_ignore_ascii_case(code)),
    }
}

/// Maps a fix's Python edits into the Nix source; `None` if an edit would
/// touch an escape or a hole, cross files, or need escaping in the kind of
/// string it lands in (quotes are fine in `''...''`, not in `"..."`). A
/// line an edit adds gets the indentation of the Nix line it lands on, so
/// that `''…''`'s dedent strips it again.
fn map_fix(test: &TestDef, source: &str, PyFix { title, edits }: PyFix) -> Option<Fix> {
    let map = &test.script.map;
    let mut out = Vec::new();
    for (range, mut new_text) in edits {
        let touched =
            map.segments().iter().filter(|s| s.py.intersect(range).is_some_and(|r| !r.is_empty()) || s.py.contains(range.start()));
        if touched.clone().any(|s| s.kind != SegmentKind::Verbatim || !s.quoting.accepts(&new_text)) {
            return None;
        }
        let indented = touched.clone().any(|s| s.quoting == Quoting::Indented);
        let (file, start) = map.to_source_offset(range.start())?;
        let (end_file, end) = map.to_source_offset(range.end())?;
        if file != end_file || end < start {
            return None;
        }
        if file == FileId::Nix && new_text.contains('\n') {
            let at = usize::from(start).min(source.len());
            let indent = &source[source[..at].rfind('\n').map_or(0, |i| i + 1)..at];
            if indent.chars().all(|c| c == ' ') {
                new_text = new_text.replace('\n', &format!("\n{indent}"));
            } else if indented {
                // A line starting mid-line would be unindented: the dedent
                // of the whole string would change.
                return None;
            }
        }
        out.push(Edit { range: SourceRange { file, range: TextRange::new(start, end) }, new_text });
    }
    Some(Fix { title, edits: out })
}

/// Names of the configuration file, looked up from a file's directory up to
/// the repository root by the shells.
pub const CONFIG_FILE_NAMES: &[&str] = &["nixos-test-lint.toml", ".nixos-test-lint.toml"];

impl Settings {
    /// Parses the configuration file's text.
    pub fn from_toml(text: &str) -> Result<Settings, SettingsError> {
        toml::from_str(text).map_err(|e| SettingsError::Toml(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::noqa;

    #[test]
    fn noqa_comments() {
        let t = "a()  # noqa: NT201, F401\nb()  # NOQA\nc()\n";
        assert!(noqa(t, 0.into(), "NT201"));
        assert!(!noqa(t, 0.into(), "NT202"));
        assert!(noqa(t, 25.into(), "NT999"));
        assert!(!noqa(t, 37.into(), "NT201"));
    }
}
