//! Completion inside the testScript (nodes, fixtures, driver globals,
//! machine methods by node type, keyword arguments) and of test options in
//! the Nix attrset.

use ruff_text_size::{TextRange, TextSize};
use serde::Serialize;

use super::{member_doc, members_of, receiver_before, receiver_in_text, receiver_ty, script_pos, to_size};
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
    /// Rank in the list (lower first): keyword arguments, then nodes and
    /// fixtures, members, script names, driver globals, deprecated last.
    pub rank: u8,
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

/// Completions at `offset`; `trigger` is the character that opened the
/// list automatically (`.`, `(`, `,`), `None` when the user asked. A trigger
/// character gives a list only where it means something (a member after
/// `.`, arguments after `(`/`,`), and nothing is offered inside comments,
/// string literals or `${…}` holes (Nix's side, for the Nix servers).
pub fn completions(a: &Analysis, offset: TextSize, g: Generation, trigger: Option<char>) -> Vec<CompletionItem> {
    let in_script_value = a.file.tests.iter().find(|t| t.script.value_range.contains_inclusive(offset));
    if let Some(t) = in_script_value
        && t.script.map.holes().any(|h| h.file == crate::source_map::FileId::Nix && h.src.start() < offset && offset < h.src.end())
    {
        return Vec::new();
    }
    let items = match script_pos(a, offset) {
        Some(pos) if in_comment_or_string(a, &pos) => Vec::new(),
        Some(pos) => script_completions(a, &pos, offset, g, trigger),
        None if trigger.is_some() || in_script_value.is_some() => Vec::new(),
        None => option_completions(a, offset),
    };
    ranked(items)
}

fn ranked(mut items: Vec<CompletionItem>) -> Vec<CompletionItem> {
    for i in &mut items {
        if i.deprecated {
            i.rank = 9;
        }
    }
    items
}

/// Whether the cursor is inside a comment or a string literal of the script.
fn in_comment_or_string(a: &Analysis, pos: &super::ScriptPos<'_>) -> bool {
    use ruff_python_ast::token::TokenKind as K;
    use ruff_text_size::Ranged;
    let Some(Some(script)) = a.scripts.get(pos.index) else { return false };
    let at = pos.offset;
    // Tokens are in order: only the ones around the cursor matter.
    let tokens: &[ruff_python_ast::token::Token] = script.parsed.tokens();
    let i = tokens.partition_point(|t| t.end() < at);
    tokens[i.saturating_sub(1)..(i + 2).min(tokens.len())].iter().any(|t| {
        let r = t.range();
        match t.kind() {
            K::Comment => r.start() < at && at <= r.end(),
            K::String | K::FStringMiddle | K::TStringMiddle => r.start() < at && at < r.end(),
            // An unterminated string runs to the end of its line.
            K::Unknown => r.start() < at && at <= r.end() && pos.text[usize::from(r.start())..].starts_with(['"', '\'']),
            _ => false,
        }
    })
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

/// The offset of the innermost `{` still open at `at` (Nix comments and
/// strings aside, roughly: a `#` comment line is skipped).
fn innermost_open_brace(source: &str, at: usize) -> Option<usize> {
    let mut depth = 0i32;
    let mut end = at.min(source.len());
    loop {
        let start = source[..end].rfind('\n').map_or(0, |i| i + 1);
        let line = &source[start..end];
        let code = line.find('#').map_or(line, |h| &line[..h]);
        for (j, c) in code.char_indices().rev() {
            match c {
                '}' => depth += 1,
                '{' if depth == 0 => return Some(start + j),
                '{' => depth -= 1,
                _ => {}
            }
        }
        if start == 0 {
            return None;
        }
        end = start - 1;
    }
}

fn option_completions(a: &Analysis, offset: TextSize) -> Vec<CompletionItem> {
    let Some(test) = a.file.test_at(offset) else { return Vec::new() };
    let replace = nix_word(a, offset);
    // Only at the start of an attribute: after `{`, `;` or a line break,
    // outside comments.
    let line_start = a.source[..usize::from(replace.start())].rfind('\n').map_or(0, |i| i + 1);
    if a.source[line_start..usize::from(replace.start())].contains('#') {
        return Vec::new();
    }
    let before = a.source[..usize::from(replace.start())].trim_end_matches([' ', '\t']);
    if !(before.ends_with('{') || before.ends_with(';') || before.ends_with('\n')) {
        return Vec::new();
    }
    // Directly in the test's attrset, not in `nodes.x = { … }` or
    // `defaults = { … }` (NixOS options are the Nix servers' business).
    if innermost_open_brace(&a.source, usize::from(replace.start())) != Some(usize::from(test.range.start())) {
        return Vec::new();
    }
    let set = &a.source[usize::from(test.range.start())..usize::from(test.range.end()).min(a.source.len())];
    let already = |label: &str| {
        set.lines().any(|l| {
            let l = l.trim_start();
            l.strip_prefix(label).is_some_and(|rest| rest.trim_start().starts_with(['=', '.']))
        })
    };
    TEST_OPTIONS
        .iter()
        .filter(|(label, ..)| *label == "nodes" || *label == "containers" || !already(label))
        .map(|(label, snippet, doc)| CompletionItem {
            label: (*label).to_string(),
            kind: CompletionKind::Option,
            detail: "NixOS test option".into(),
            documentation: Some((*doc).to_string()),
            insert_text: (*snippet).to_string(),
            snippet: true,
            replace,
            deprecated: false,
            rank: 1,
        })
        .collect()
}

fn script_completions(
    a: &Analysis,
    pos: &super::ScriptPos<'_>,
    offset: TextSize,
    g: Generation,
    trigger: Option<char>,
) -> Vec<CompletionItem> {
    let text = pos.text;
    let at = usize::from(pos.offset).min(text.len());
    let start = word_before(text, at);
    let prefix = &text[start..at];
    let replace = nix_word(a, offset);
    let mut items = Vec::new();
    if let Some(recv) = receiver_before(a, pos, start) {
        if let Some(ty) = receiver_ty(a, pos.test, pos.index, recv, g) {
            for m in members_of(&ty, g).iter().filter(|m| !internal_field(m)) {
                items.push(member_item(m, g, replace));
            }
        }
        return filter(items, prefix);
    }
    if trigger == Some('.') {
        return Vec::new();
    }
    if let Some(params) = in_test_def_params(text, start) {
        for node in &pos.test.nodes {
            if !params.contains(&node.py_name.as_str()) {
                items.push(node_item(node, g, replace));
            }
        }
        for f in DRIVER_FIXTURES.iter().chain(PYTEST_FIXTURES) {
            items.push(simple(f, CompletionKind::Fixture, "fixture", replace));
        }
        return filter(items, prefix);
    }
    let call = super::enclosing_call(a, pos, start);
    if matches!(trigger, Some('(' | ',')) && call.is_none() {
        return Vec::new();
    }
    if let Some((recv, method)) = call
        && let Some(m) = recv
            .and_then(|r| receiver_ty(a, pos.test, pos.index, r, g))
            .and_then(|ty| members_of(&ty, g).iter().copied().find(|m| m.name == method))
            .or_else(|| if recv.is_none() { DriverApi::get().global(method, g) } else { None })
    {
        // Parameters given already (by position or by name) are not offered.
        let (positional, named) = given_arguments(text, start);
        let params = m.params.iter().enumerate().filter(|(i, p)| {
            matches!(p.kind, ParamKind::Positional | ParamKind::KeywordOnly)
                && !(p.kind == ParamKind::Positional && *i < positional)
                && !named.contains(&p.name.as_str())
        });
        for (_, p) in params {
            items.push(CompletionItem {
                label: format!("{}=", p.name),
                kind: CompletionKind::Variable,
                detail: p.annotation.clone(),
                documentation: p.default.as_ref().map(|d| format!("default: `{d}`")),
                insert_text: format!("{}=", p.name),
                snippet: false,
                replace,
                deprecated: crate::driver_api::deprecated_param(m, &p.name, g).is_some(),
                rank: 0,
            });
        }
    }
    for node in &pos.test.nodes {
        items.push(node_item(node, g, replace));
    }
    for m in DriverApi::get().globals(g) {
        let mut item = member_item(m, g, replace);
        item.kind = if m.kind == MemberKind::Function { CompletionKind::Function } else { CompletionKind::Variable };
        item.rank = 4;
        items.push(item);
    }
    if let Some(Some(script)) = a.scripts.get(pos.index) {
        for name in script.scope.module.keys() {
            if name != prefix && pos.test.node(name).is_none() {
                let mut item = simple(name, CompletionKind::Variable, "defined in the script", replace);
                item.rank = 3;
                items.push(item);
            }
        }
    }
    filter(items, prefix)
}

/// A machine's attribute that is the driver's own business (its process,
/// sockets, threads, paths of its sockets): hover and the checks know them,
/// completion does not offer them. Methods are all offered.
fn internal_field(m: &crate::driver_api::Member) -> bool {
    use crate::driver_api::Class;
    const PUBLIC: &[&str] =
        &["name", "out_dir", "tmp_dir", "state_dir", "shared_dir", "booted", "connected", "full_console_log", "efi_vars"];
    m.kind == MemberKind::Attribute && matches!(m.class, Class::Base | Class::Qemu | Class::Nspawn) && !PUBLIC.contains(&m.name.as_str())
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
        rank: 1,
    }
}

fn node_item(node: &crate::nix::Node, g: Generation, replace: TextRange) -> CompletionItem {
    let (class, group) = (crate::python::ty::node_class(node.kind).python_name(g), node.kind.group());
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
        rank: 2,
    }
}

/// The arguments written so far in the call whose `(` precedes `at`: how
/// many positional ones, and the keyword names.
fn given_arguments(text: &str, at: usize) -> (usize, Vec<&str>) {
    let bytes = text.as_bytes();
    let (mut depth, mut i) = (0i32, at.min(bytes.len()));
    while i > 0 {
        i -= 1;
        match bytes[i] {
            b')' | b']' | b'}' => depth += 1,
            b'(' | b'[' | b'{' if depth > 0 => depth -= 1,
            b'(' => break,
            _ => {}
        }
    }
    let inner = &text[(i + 1).min(at)..at];
    let mut parts = Vec::new();
    let (mut depth, mut start) = (0i32, 0);
    for (j, c) in inner.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&inner[start..j]);
                start = j + 1;
            }
            _ => {}
        }
    }
    // The argument being typed is not given yet.
    let (mut positional, mut named) = (0, Vec::new());
    for p in parts.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        match p.split_once('=') {
            Some((k, _)) if k.trim().chars().all(|c| c.is_ascii_alphanumeric() || c == '_') && !p.contains("==") => named.push(k.trim()),
            _ => positional += 1,
        }
    }
    (positional, named)
}

/// Inside `def test_x(a, |`: the parameters written so far.
fn in_test_def_params(text: &str, at: usize) -> Option<Vec<&str>> {
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line = &text[line_start..at];
    let rest = line.trim_start().strip_prefix("def ")?;
    let (name, params) = rest.split_once('(')?;
    if !crate::python::is_test_function(name.trim()) || params.contains(')') {
        return None;
    }
    Some(params.split(',').map(str::trim).filter(|p| !p.is_empty()).collect())
}

/// The call whose argument list holds `at`: (`recv` of `recv.method(`,
/// `method`), by scanning the text (where no parse is at hand; see
/// [`super::enclosing_call`]).
pub(crate) fn enclosing_call_in_text(text: &str, at: usize) -> Option<(Option<&str>, &str)> {
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
                return Some((receiver_in_text(text, s), &text[s..end]));
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
        assert_eq!(enclosing_call_in_text(t, t.len()), Some((Some("machine"), "wait_for_unit")));
        assert_eq!(enclosing_call_in_text("retry(f, ", 9), Some((None, "retry")));
        assert_eq!(enclosing_call_in_text("a = [1, ", 8), None);
        assert_eq!(in_test_def_params("def test_a(server, cl", 21), Some(vec!["server", "cl"]));
    }
}
