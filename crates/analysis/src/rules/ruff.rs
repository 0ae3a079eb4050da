//! The pyflakes-class checks, by `ruff_linter` itself: the NixOS build runs
//! `ruff check` (pyflakes before 2026) on every testScript, so running the
//! same code gives parity by construction. Codes are ruff's own.

use std::cell::RefCell;
use std::path::Path;
use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};

use ruff_linter::RuleSelector;
use ruff_linter::linter::{ParseSource, lint_only};
use ruff_linter::registry::Rule;
use ruff_linter::rule_selector::PreviewOptions;
use ruff_linter::settings::{LinterSettings, TargetVersion, flags};
use ruff_linter::source_kind::SourceKind;
use ruff_python_ast::PythonVersion;
use ruff_python_ast::{ModModule, PySourceType};
use ruff_python_parser::Parsed;
use ruff_text_size::{Ranged, TextRange};

use super::selection::RuleSelection;
use super::{Certainty, Code, Finding};
use crate::nix::TestDef;
use crate::python::ScriptScope;

/// One ruff diagnostic, in Python offsets.
#[derive(Debug, Clone)]
pub struct RuffFinding {
    /// `F401`..., or `None` for a syntax error.
    pub code: Option<String>,
    pub message: String,
    pub range: TextRange,
    /// Title and edits of ruff's fix, if it has one.
    pub fix: Option<super::PyFix>,
}

/// Rules our own checks build on, run even when not reported.
pub const INTERNAL: &[&str] = &["F821", "F811"];

/// The ruff rules a selection asks for, plus [`INTERNAL`].
pub fn rules_for(selection: &RuleSelection, python: PythonVersion) -> Result<RuffRules, crate::SettingsError> {
    let mut rules: Vec<Rule> = Vec::new();
    for s in selection.selectors() {
        if s.starts_with("NT") {
            continue;
        }
        let selector = RuleSelector::from_str(&s).map_err(|e| bad_selector(&s, e))?;
        rules.extend(selector.rules(&PreviewOptions::default()));
    }
    for s in selection.ignore.iter().chain(&selection.extend_select) {
        if !s.starts_with("NT") && s != "ALL" {
            RuleSelector::from_str(s).map_err(|e| bad_selector(s, e))?;
        }
    }
    rules.retain(|r| selection.enabled(&r.noqa_code().to_string()));
    for code in INTERNAL {
        if let Ok(rule) = Rule::from_code(code) {
            rules.push(rule);
        }
    }
    let mut seen = std::collections::HashSet::new();
    rules.retain(|r| seen.insert(*r));
    Ok(RuffRules::new(rules, python))
}

fn bad_selector(selector: &str, e: impl std::fmt::Display) -> crate::SettingsError {
    crate::SettingsError::Selector { selector: selector.to_string(), reason: e.to_string() }
}

/// A rule list and an id that changes whenever the list does, so that each
/// thread can keep ruff's settings built once per list.
#[derive(Debug, Clone)]
pub struct RuffRules {
    id: u64,
    rules: Vec<Rule>,
    /// ruff's target version: syntax newer than it is an error.
    python: PythonVersion,
}

impl RuffRules {
    pub fn new(rules: Vec<Rule>, python: PythonVersion) -> RuffRules {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        RuffRules { id: NEXT.fetch_add(1, Ordering::Relaxed), rules, python }
    }
}

thread_local! {
    /// Building `LinterSettings` costs more than linting a small script.
    static SETTINGS: RefCell<Option<(u64, LinterSettings)>> = const { RefCell::new(None) };
}

/// Runs ruff on `parsed` (the script `text`), with `builtins` (node names,
/// driver globals, hole placeholders) known as defined.
pub fn check(text: &str, parsed: Parsed<ModModule>, rules: &RuffRules, builtins: Vec<String>) -> Vec<RuffFinding> {
    let source = SourceKind::Python { code: text.to_string(), is_stub: false };
    let result = SETTINGS.with_borrow_mut(|cached| {
        if cached.as_ref().is_none_or(|(id, _)| *id != rules.id) {
            let mut settings = LinterSettings::for_rules(rules.rules.iter().copied());
            settings.unresolved_target_version = TargetVersion(Some(rules.python));
            *cached = Some((rules.id, settings));
        }
        let settings = &mut cached.as_mut().expect("settings were just built").1;
        settings.builtins = builtins;
        lint_only(
            Path::new("testScript.py"),
            None,
            settings,
            flags::Noqa::Enabled,
            &source,
            PySourceType::Python,
            ParseSource::Precomputed(parsed),
        )
    });
    result
        .diagnostics
        .iter()
        .filter_map(|d| {
            let range = d.range()?;
            let fix = d.fix().map(|f| {
                let title = d.first_help_text().map(ToString::to_string).unwrap_or_else(|| "Apply ruff's fix".into());
                let edits = f.edits().iter().map(|e| (e.range(), e.content().unwrap_or("").to_string())).collect();
                super::PyFix { title, edits }
            });
            Some(RuffFinding {
                code: d.secondary_code().map(|c| c.as_str().to_string()),
                message: d.concise_message().to_string(),
                range,
                fix,
            })
        })
        .collect()
}

/// What the script is, for turning ruff's findings into ours.
pub struct Translation<'a> {
    pub test: &'a TestDef,
    pub scope: &'a ScriptScope,
    /// Names bound in each function (by the function's range).
    pub locals: &'a [(TextRange, Vec<String>)],
    pub text: &'a str,
    /// Part of the script is not statically known.
    pub partial: bool,
    /// Ranges of test functions defined twice (`NT302` reports them).
    pub duplicate_tests: &'a [TextRange],
    pub selection: &'a RuleSelection,
}

/// Turns a ruff finding into ours: a syntax error becomes `NT001`, an
/// undefined name becomes `NT101` or `NT401` where we know better (see
/// [`super::names::undefined_name`]); redefinitions of duplicate tests and
/// f-strings whose `${…}` may bring braces are left out.
pub fn translate(f: RuffFinding, t: &Translation<'_>) -> Option<Finding> {
    let Some(code) = f.code.clone() else {
        return Some(Finding::new(super::Rule::PythonSyntaxError, f.range, format!("Python syntax error: {}", f.message)));
    };
    match code.as_str() {
        "F821" => super::names::undefined_name(f, t),
        "F811" if t.duplicate_tests.iter().any(|d| d.intersect(f.range).is_some()) => None,
        "F541" if t.test.script.map.holes().any(|h| h.py.intersect(f.range).is_some()) => None,
        _ => Some(Finding { code: Code::Ruff(code), message: f.message, range: f.range, fix: f.fix, certainty: Certainty::Certain }),
    }
}

/// ruff's own documentation of one of its codes.
pub fn explain(code: &str) -> Option<String> {
    let rule = Rule::from_code(code).ok()?;
    let doc = rule.explanation()?;
    Some(format!("# {} ({code}, from ruff)\n\n{doc}", rule.name()))
}
