//! Recall on real tests: mistakes injected one at a time into the real
//! tests of `../shared/realworld`, each required to be reported on its line.
//! Prints the figures per kind (the README quotes them), the share of tests
//! fully checked, and the reasons for what is not checked.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use std::collections::BTreeMap;
use std::path::PathBuf;

use nixos_test_analysis::diagnostics::Severity;
use nixos_test_analysis::nix::{NodeKind, ScriptStatus};
use nixos_test_analysis::source_map::FileId;
use nixos_test_analysis::{Analysis, Config, analyze, lint};
use nixos_test_fs::DiskLoader;
use nixos_test_support::shared_dir;

/// A typo a person makes: two inner letters swapped (or a letter doubled).
fn typo(word: &str) -> String {
    let c: Vec<char> = word.chars().collect();
    if c.len() >= 4 {
        let mut t = c.clone();
        t.swap(1, 2);
        if t != c {
            return t.into_iter().collect();
        }
    }
    format!("{word}{}", c.last().copied().unwrap_or('x'))
}

/// Lines added at the end of a script (`NODE` is a machine of the test) and
/// the index of the line that must be reported.
const APPENDED: &[(&str, &[&str], usize)] = &[
    ("keyword typo", &["NODE.wait_for_unit(\"x\", timout=10)"], 0),
    ("missing argument", &["NODE.wait_for_unit()"], 0),
    ("wrong literal", &["NODE.wait_for_open_port(\"80\")"], 0),
    ("undefined name (typo of a script name)", &["recall_value = 1", "print(recall_valeu)"], 1),
    ("method typo through an alias", &["recall_alias = NODE", "recall_alias.wait_for_untt(\"x\")"], 1),
    ("method typo through a loop", &["for recall_m in [NODE]:", "    recall_m.wait_for_untt(\"x\")"], 1),
    ("method typo through a parameter", &["def recall_fn(recall_p):", "    recall_p.wait_for_untt(\"x\")", "recall_fn(NODE)"], 1),
];

struct Case {
    kind: &'static str,
    text: String,
    line: usize,
}

fn line_of(source: &str, offset: usize) -> usize {
    source[..offset.min(source.len())].bytes().filter(|b| *b == b'\n').count() + 1
}

fn reported_lines(a: &Analysis) -> Vec<usize> {
    a.diagnostics
        .iter()
        .filter(|d| d.range.file == FileId::Nix && d.severity >= Severity::Warning)
        .map(|d| line_of(&a.source, usize::from(d.range.range.start())))
        .collect()
}

/// The mistakes to inject into one test: in place (node typo, method typo,
/// a missing `)`), and appended before the closing `''`.
fn cases(a: &Analysis, test: usize) -> Vec<Case> {
    let t = &a.file.tests[test];
    let source = &a.source;
    let value = usize::from(t.script.value_range.start())..usize::from(t.script.value_range.end());
    let text = &source[value.clone()];
    if !(text.starts_with("''") && text.ends_with("''")) {
        return Vec::new();
    }
    let node = t.nodes.iter().find(|n| n.kind == NodeKind::Vm).map(|n| n.py_name.clone()).or_else(|| {
        let scope = &a.scripts.get(test)?.as_ref()?.scope;
        scope.inferred_machines.iter().max_by_key(|(_, n)| **n).map(|(k, _)| k.clone())
    });
    let Some(node) = node else { return Vec::new() };
    let mut out = Vec::new();
    let close = value.end - 2;
    let Some(line_start) = source[..close].rfind('\n').map(|i| i + 1) else { return out };
    if source[line_start..close].trim().is_empty() {
        // The last string of the value (a script may be several joined).
        let last = text[..text.len() - 2].rfind("''\n").map_or(2, |i| i + 3);
        let body = &text[last.min(text.len() - 2)..text.len() - 2];
        let indent = body.lines().filter(|l| !l.trim().is_empty()).map(|l| l.len() - l.trim_start().len()).min().unwrap_or(0);
        let first_line = line_of(source, line_start);
        for (kind, lines, reported) in APPENDED {
            let added: String = lines.iter().map(|l| format!("{}{}\n", " ".repeat(indent), l.replace("NODE", &node))).collect();
            out.push(Case {
                kind,
                text: format!("{}{added}{}", &source[..line_start], &source[line_start..]),
                line: first_line + reported,
            });
        }
    }
    // In place, on the first line that calls a method of the node.
    let needle = format!("{node}.");
    let mut at = value.start;
    for l in text.split_inclusive('\n') {
        let trimmed = l.trim();
        let starts_call = trimmed.starts_with(&needle) && !trimmed.contains("${") && !trimmed.contains("'''");
        if starts_call && let Some(paren) = trimmed.find('(') {
            let offset = at + (l.len() - l.trim_start().len());
            let line = line_of(source, offset);
            let method = &trimmed[needle.len()..paren];
            if method.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !method.is_empty() {
                let replace = |from: usize, len: usize, with: &str| format!("{}{with}{}", &source[..from], &source[from + len..]);
                out.push(Case { kind: "node typo", text: replace(offset, node.len(), &typo(&node)), line });
                out.push(Case { kind: "method typo", text: replace(offset + needle.len(), method.len(), &typo(method)), line });
                if trimmed.ends_with(')') && trimmed.matches('(').count() == trimmed.matches(')').count() {
                    let end = offset + l.trim_start().trim_end().len() - 1;
                    out.push(Case { kind: "missing bracket", text: replace(end, 1, ""), line });
                }
            }
            break;
        }
        at += l.len();
    }
    out
}

#[test]
fn injected_mistakes_are_reported_on_their_line() {
    let Some(root) = shared_dir("realworld") else { return };
    let config = Config::default();
    let loader = DiskLoader::default();
    let mut files: Vec<PathBuf> = nixos_test_support::nix_files(&root);
    files.sort();
    let (mut tests, mut fully_checked) = (0, 0);
    let mut reasons: BTreeMap<String, usize> = BTreeMap::new();
    let mut tried: BTreeMap<&str, usize> = BTreeMap::new();
    let mut found: BTreeMap<&str, usize> = BTreeMap::new();
    let mut misses: Vec<String> = Vec::new();
    let (mut syntax_findings, mut syntax_cases) = (0usize, 0usize);
    for file in &files {
        let path = file.display().to_string();
        let source = std::fs::read_to_string(file).unwrap();
        let base = analyze(&path, &source, &loader, &config);
        let before = base.diagnostics.iter().filter(|d| d.severity >= Severity::Warning).count();
        for d in base.diagnostics.iter().filter(|d| d.code == "NT002") {
            let reason = d.message.split(':').nth(1).unwrap_or(&d.message).split(';').next().unwrap_or("").trim();
            let general: String = reason.split('`').enumerate().map(|(i, p)| if i % 2 == 1 { "…" } else { p }).collect();
            *reasons.entry(general).or_default() += 1;
        }
        for (i, t) in base.file.tests.iter().enumerate() {
            tests += 1;
            if t.script.status == ScriptStatus::Known && t.nodes_open.is_none() {
                fully_checked += 1;
            }
            for case in cases(&base, i) {
                let a = lint(&path, &case.text, &loader, &config);
                *tried.entry(case.kind).or_default() += 1;
                if reported_lines(&a).contains(&case.line) {
                    *found.entry(case.kind).or_default() += 1;
                } else {
                    misses.push(format!("{}: {path}:{}", case.kind, case.line));
                }
                if case.kind == "missing bracket" {
                    syntax_cases += 1;
                    let after = a.diagnostics.iter().filter(|d| d.severity >= Severity::Warning).count();
                    syntax_findings += after.saturating_sub(before);
                }
            }
        }
    }
    eprintln!(
        "tests: {tests}, fully checked (script and nodes known): {fully_checked} ({:.0} %)",
        100.0 * fully_checked as f64 / tests as f64
    );
    for (reason, n) in &reasons {
        eprintln!("  not statically known ({n}×): {reason}");
    }
    for (kind, n) in &tried {
        let f = found.get(kind).copied().unwrap_or(0);
        eprintln!("{kind}: {f}/{n} reported on their line ({:.1} %)", 100.0 * f as f64 / *n as f64);
    }
    let per_mistake = syntax_findings as f64 / syntax_cases.max(1) as f64;
    eprintln!("missing bracket: {per_mistake:.2} findings per mistake");
    for m in misses.iter().take(20) {
        eprintln!("  missed: {m}");
    }
    for (kind, n) in &tried {
        let share = found.get(kind).copied().unwrap_or(0) as f64 / *n as f64;
        let floor = if *kind == "missing bracket" { 0.90 } else { 0.98 };
        assert!(*n >= 20, "{kind}: only {n} real tests to inject into");
        assert!(share >= floor, "{kind}: {:.1} % reported on their line (floor {:.0} %)", share * 100.0, floor * 100.0);
    }
    assert!(per_mistake <= 1.5, "{per_mistake:.2} findings per missing bracket");
}
