//! Completion inside the testScript (nodes, fixtures, driver globals,
//! machine methods by node type, keyword arguments) and of test options in
//! the Nix attrset.

use ruff_text_size::{TextRange, TextSize};
use serde::Serialize;

use super::{member_doc, members_of, receiver_before, receiver_ty, script_pos, to_size};
use crate::Analysis;
use crate::driver_api::{DriverApi, Generation, MemberKind, ParamKind};
use crate::nix::NodeKind;
use crate::python::{DRIVER_FIXTURES, PYTEST_FIXTURES};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CompletionKind {
    Node,
    Method,
    Attribute,
    Function,
    Variable,
    Keyword,
    Fixture,
    Option,
}

#[derive(Debug, Clone, Serialize)]
pub struct CompletionItem {
    pub label: String,
    pub kind: CompletionKind,
    pub detail: String,
    pub documentation: Option<String>,
    /// Text to insert; a snippet (`$1`, `${1:x}`) when `snippet` is set.
    pub insert_text: String,
    pub snippet: bool,
    /// The Nix range the item replaces (the word typed so far).
    pub replace: TextRange,
    pub deprecated: bool,
}

/// Test-module options offered inside a test's attrset.
const TEST_OPTIONS: &[(&str, &str, &str)] = &[
    ("name", "name = \"$1\";", "The test's name."),
    ("nodes", "nodes.${1:machine} = { ... }: {\n  $0\n};", "A VM: `nodes.<name>` (a `QemuMachine` in the script)."),
    ("containers", "containers.${1:container} = { ... }: {\n  $0\n};", "A systemd-nspawn container (`NspawnMachine`)."),
    ("testScript", "testScript = ''\n  $0\n'';", "The Python script the driver runs."),
    ("skipLint", "skipLint = true;", "Skip ruff/pyflakes at build time (with a warning)."),
    ("skipTypeCheck", "skipTypeCheck = true;", "Skip ty/mypy at build time."),
    ("usePytestFixtures", "usePytestFixtures = true;", "Run `def test_*(nodes...)` functions with pytest, nodes as fixtures."),
    ("extraPythonPackages", "extraPythonPackages = p: [ $0 ];", "Python packages for the script."),
    ("enableOCR", "enableOCR = true;", "OCR support (`get_screen_text`, `wait_for_text`)."),
    ("globalTimeout", "globalTimeout = ${1:3600};", "Whole-test budget in seconds."),
    ("defaults", "defaults = { ... }: {\n  $0\n};", "Configuration for every machine."),
    ("interactive", "interactive.", "Overrides for `.driverInteractive`."),
    ("sshBackdoor", "sshBackdoor.enable = true;", "SSH into the VMs over vsock."),
    ("extraDriverArgs", "extraDriverArgs = [ $0 ];", "Extra arguments for the driver."),
    ("meta", "meta.maintainers = [ $0 ];", "Metadata."),
];

pub fn completions(a: &Analysis, offset: TextSize, g: Generation) -> Vec<CompletionItem> {
    match script_pos(a, offset) {
        Some(pos) => script_completions(a, &pos, offset, g),
        None => option_completions(a, offset),
    }
}

fn word_before(text: &str, at: usize) -> usize {
    let bytes = text.as_bytes();
    let mut s = at.min(bytes.len());
    while s > 0 && (bytes[s - 1].is_ascii_alphanumeric() || bytes[s - 1] == b'_') {
        s -= 1;
    }
    s
}

/// The Nix range of the word before the cursor, for `replace`.
fn nix_word(a: &Analysis, offset: TextSize) -> TextRange {
    let start = word_before(&a.source, usize::from(offset));
    TextRange::new(to_size(start), offset)
}

fn option_completions(a: &Analysis, offset: TextSize) -> Vec<CompletionItem> {
    if a.file.test_at(offset).is_none() {
        return Vec::new();
    }
    let replace = nix_word(a, offset);
    // Only at the start of an attribute: after `{`, `;` or a line break.
    let before = a.source[..usize::from(replace.start())].trim_end_matches([' ', '\t']);
    if !(before.ends_with('{') || before.ends_with(';') || before.ends_with('\n')) {
        return Vec::new();
    }
    TEST_OPTIONS
        .iter()
        .map(|(label, snippet, doc)| CompletionItem {
            label: (*label).to_string(),
            kind: CompletionKind::Option,
            detail: "NixOS test option".into(),
            documentation: Some((*doc).to_string()),
            insert_text: (*snippet).to_string(),
            snippet: true,
            replace,
            deprecated: false,
        })
        .collect()
}

fn script_completions(a: &Analysis, pos: &super::ScriptPos<'_>, offset: TextSize, g: Generation) -> Vec<CompletionItem> {
    let text = pos.text;
    let at = usize::from(pos.offset).min(text.len());
    let start = word_before(text, at);
    let prefix = &text[start..at];
    let replace = nix_word(a, offset);
    let mut items = Vec::new();
    if let Some(recv) = receiver_before(text, start) {
        if let Some(ty) = receiver_ty(a, pos.test, pos.index, recv, g) {
            for m in members_of(&ty, g) {
                items.push(member_item(m, g, replace));
            }
        }
        return filter(items, prefix);
    }
    if let Some(params) = in_test_def_params(text, start) {
        for node in &pos.test.nodes {
            if !params.contains(&node.py_name.as_str()) {
                items.push(node_item(node, replace));
            }
        }
        for f in DRIVER_FIXTURES.iter().chain(PYTEST_FIXTURES) {
            items.push(simple(f, CompletionKind::Fixture, "fixture", replace));
        }
        return filter(items, prefix);
    }
    if let Some((recv, method)) = enclosing_call(text, start)
        && let Some(m) = recv
            .and_then(|r| receiver_ty(a, pos.test, pos.index, r, g))
            .and_then(|ty| members_of(&ty, g).iter().copied().find(|m| m.name == method))
            .or_else(|| if recv.is_none() { DriverApi::get().global(method, g) } else { None })
    {
        for p in m.params.iter().filter(|p| matches!(p.kind, ParamKind::Positional | ParamKind::KeywordOnly)) {
            items.push(CompletionItem {
                label: format!("{}=", p.name),
                kind: CompletionKind::Variable,
                detail: p.annotation.clone(),
                documentation: p.default.as_ref().map(|d| format!("default: `{d}`")),
                insert_text: format!("{}=", p.name),
                snippet: false,
                replace,
                deprecated: crate::driver_api::deprecated_param(m, &p.name, g).is_some(),
            });
        }
    }
    for node in &pos.test.nodes {
        items.push(node_item(node, replace));
    }
    for m in DriverApi::get().globals(g) {
        let mut item = member_item(m, g, replace);
        item.kind = if m.kind == MemberKind::Function { CompletionKind::Function } else { CompletionKind::Variable };
        items.push(item);
    }
    if let Some(Some(script)) = a.scripts.get(pos.index) {
        for name in script.scope.module.keys() {
            if name != prefix && pos.test.node(name).is_none() {
                items.push(simple(name, CompletionKind::Variable, "defined in the script", replace));
            }
        }
    }
    filter(items, prefix)
}

fn filter(mut items: Vec<CompletionItem>, prefix: &str) -> Vec<CompletionItem> {
    items.retain(|i| i.label.starts_with(prefix) || prefix.is_empty());
    items.sort_by(|x, y| x.label.cmp(&y.label));
    items.dedup_by(|x, y| x.label == y.label);
    items
}

fn simple(label: &str, kind: CompletionKind, detail: &str, replace: TextRange) -> CompletionItem {
    CompletionItem {
        label: label.to_string(),
        kind,
        detail: detail.to_string(),
        documentation: None,
        insert_text: label.to_string(),
        snippet: false,
        replace,
        deprecated: false,
    }
}

fn node_item(node: &crate::nix::Node, replace: TextRange) -> CompletionItem {
    let (class, group) = match node.kind {
        NodeKind::Vm => ("QemuMachine", "nodes"),
        NodeKind::Container => ("NspawnMachine", "containers"),
    };
    let mut item = simple(&node.py_name, CompletionKind::Node, &format!("{class} ({group}.{})", node.name), replace);
    item.documentation = Some(format!(
        "The {} `{}` defined in Nix as `{group}.{}`.",
        if node.kind == NodeKind::Vm { "VM" } else { "container" },
        node.py_name,
        node.name
    ));
    item
}

fn member_item(m: &crate::driver_api::Member, g: Generation, replace: TextRange) -> CompletionItem {
    let function = m.kind == MemberKind::Function;
    let required: Vec<String> = m
        .params
        .iter()
        .filter(|p| p.required() || p.kind == ParamKind::VarArgs && p.name == "commands")
        .enumerate()
        .map(|(i, p)| format!("${{{}:{}}}", i + 1, p.name))
        .collect();
    CompletionItem {
        label: m.name.clone(),
        kind: if function { CompletionKind::Method } else { CompletionKind::Attribute },
        detail: m.display_signature(),
        documentation: Some(member_doc(m, g)),
        insert_text: if function { format!("{}({})$0", m.name, required.join(", ")) } else { m.name.clone() },
        snippet: function,
        replace,
        deprecated: m.deprecated_in(g).is_some(),
    }
}

/// Inside `def test_x(a, |`: the parameters written so far.
fn in_test_def_params(text: &str, at: usize) -> Option<Vec<&str>> {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..at];
    let rest = line.trim_start().strip_prefix("def ")?;
    let (name, params) = rest.split_once('(')?;
    if !name.trim().starts_with("test") || params.contains(')') {
        return None;
    }
    Some(params.split(',').map(str::trim).filter(|p| !p.is_empty()).collect())
}

/// The call whose argument list holds `at`: (`recv` of `recv.method(`, `method`).
pub(crate) fn enclosing_call(text: &str, at: usize) -> Option<(Option<&str>, &str)> {
    let bytes = text.as_bytes();
    let mut depth = 0i32;
    let mut i = at.min(bytes.len());
    let floor = at.saturating_sub(4000);
    while i > floor {
        i -= 1;
        match bytes[i] {
            b')' | b']' | b'}' => depth += 1,
            b'(' | b'[' | b'{' if depth > 0 => depth -= 1,
            b'(' => {
                let end = i;
                let mut s = end;
                while s > 0 && (bytes[s - 1].is_ascii_alphanumeric() || bytes[s - 1] == b'_') {
                    s -= 1;
                }
                if s == end {
                    return None;
                }
                return Some((receiver_before(text, s), &text[s..end]));
            }
            b'[' | b'{' => return None,
            b'\n' if depth == 0 && i + 1 < at && !text[i + 1..at].starts_with([' ', '\t']) => return None,
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_context() {
        let t = "machine.wait_for_unit(\"x\", ti";
        assert_eq!(enclosing_call(t, t.len()), Some((Some("machine"), "wait_for_unit")));
        assert_eq!(enclosing_call("retry(f, ", 9), Some((None, "retry")));
        assert_eq!(enclosing_call("a = [1, ", 8), None);
        assert_eq!(in_test_def_params("def test_a(server, cl", 21), Some(vec!["server", "cl"]));
    }
}
