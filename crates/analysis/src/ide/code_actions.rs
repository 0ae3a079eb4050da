//! Code actions: every fix a diagnostic offers, and the migration of a
//! legacy module-level script to fixture mode.

use ruff_text_size::{TextRange, TextSize};
use serde::Serialize;

use crate::Analysis;
use crate::diagnostics::Edit;
use crate::nix::ScriptStatus;
use crate::source_map::{FileId, SegmentKind, SourceRange};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ActionKind {
    QuickFix,
    Refactor,
    /// Every safe fix of the file at once (`source.fixAll`).
    FixAll,
}

#[derive(Debug, Clone, Serialize)]
pub struct Action {
    pub title: String,
    pub kind: ActionKind,
    pub edits: Vec<Edit>,
    /// Index into `Analysis::diagnostics` of the diagnostic it fixes.
    pub diagnostic: Option<usize>,
}

/// Every fix the file's findings offer, at once: edits that would overlap
/// an earlier one are left for another round; an edit two fixes share (the
/// `timedelta` import several `NT403` fixes add) is made once.
pub fn fix_all(a: &Analysis) -> Option<Action> {
    let mut edits: Vec<Edit> = Vec::new();
    let mut fixed = 0;
    for d in &a.diagnostics {
        let Some(fix) = &d.fix else { continue };
        let new: Vec<&Edit> = fix.edits.iter().filter(|e| !edits.contains(e)).collect();
        let overlaps =
            new.iter().any(|e| edits.iter().any(|o| o.range.file == e.range.file && o.range.range.intersect(e.range.range).is_some()));
        if d.range.file != FileId::Nix || overlaps || fix.edits.iter().any(|e| e.range.file != FileId::Nix) {
            continue;
        }
        edits.extend(new.into_iter().cloned());
        fixed += 1;
    }
    (fixed > 0).then(|| Action {
        title: format!("Fix all ({fixed} finding{})", if fixed == 1 { "" } else { "s" }),
        kind: ActionKind::FixAll,
        edits,
        diagnostic: None,
    })
}

/// `  # noqa: CODE` at the end of the finding's Python line, where that end
/// is verbatim Nix text (and the line has no `noqa` yet).
fn noqa_edit(a: &Analysis, d: &crate::diagnostics::Diagnostic) -> Option<Edit> {
    let py = d.py_range?;
    let script = &a.file.tests.get(d.test?)?.script;
    let text = &script.text;
    let end = text[usize::from(py.start())..].find('\n').map_or(text.len(), |i| usize::from(py.start()) + i);
    let line_start = text[..usize::from(py.start())].rfind('\n').map_or(0, |i| i + 1);
    if text[line_start..end].contains("# noqa") || text[line_start..end].trim().is_empty() {
        return None;
    }
    // The position just after the line's last character, in Nix.
    let last = TextSize::try_from(end).ok()?;
    let before = script.map.to_source(TextRange::new(last - TextSize::from(1), last))?;
    let seg = script.map.segments().iter().find(|s| s.py.contains(last - TextSize::from(1)))?;
    if seg.kind != SegmentKind::Verbatim || before.file != FileId::Nix {
        return None;
    }
    let at = before.range.end();
    Some(Edit { range: SourceRange { file: FileId::Nix, range: TextRange::empty(at) }, new_text: format!("  # noqa: {}", d.code) })
}

pub fn code_actions(a: &Analysis, range: TextRange) -> Vec<Action> {
    let mut out = Vec::new();
    for (i, d) in a.diagnostics.iter().enumerate() {
        if d.range.file != FileId::Nix || d.range.range.intersect(range).is_none() {
            continue;
        }
        if let Some(fix) = &d.fix {
            out.push(Action {
                title: format!("{} ({})", fix.title, d.code),
                kind: ActionKind::QuickFix,
                edits: fix.edits.clone(),
                diagnostic: Some(i),
            });
        }
        if let Some(edit) = noqa_edit(a, d) {
            out.push(Action {
                title: format!("Ignore `{}` on this line (`# noqa`)", d.code),
                kind: ActionKind::QuickFix,
                edits: vec![edit],
                diagnostic: Some(i),
            });
        }
    }
    if let Some(m) = migrate_to_fixtures(a, range) {
        out.push(m);
    }
    out
}

/// Wraps a legacy script in `def test_main(<nodes it uses>):` and turns on
/// `usePytestFixtures`: offered for a fully known script in one indented
/// string that has no `test_` function yet.
fn migrate_to_fixtures(a: &Analysis, range: TextRange) -> Option<Action> {
    let (index, test) = a.file.tests.iter().enumerate().find(|(_, t)| t.range.contains_range(range) || t.range.contains(range.start()))?;
    let script = a.scripts.get(index)?.as_ref()?;
    if test.script.status != ScriptStatus::Known || test.options.use_pytest_fixtures || !script.scope.test_functions.is_empty() {
        return None;
    }
    let map = &test.script.map;
    if map.segments().iter().any(|s| s.file != FileId::Nix) {
        return None;
    }
    let text = &test.script.text;
    let value = &a.source[test.script.value_range];
    if !value.trim_start().starts_with("''") && !value.contains(": ''") {
        return None;
    }
    let used: Vec<&str> = test
        .nodes
        .iter()
        .map(|n| n.py_name.as_str())
        .filter(|n| text.split(|c: char| !c.is_ascii_alphanumeric() && c != '_').any(|w| w == *n))
        .collect();
    let mut edits = Vec::new();
    let mut first = true;
    let mut line_start = 0usize;
    for line in text.split_inclusive('\n') {
        let at = TextSize::try_from(line_start).ok()?;
        line_start += line.len();
        if line.trim().is_empty() {
            continue;
        }
        // Lines that begin inside a hole or escape cannot be re-indented safely.
        let seg = map.segments().iter().find(|s| s.py.contains(at))?;
        if seg.kind != SegmentKind::Verbatim {
            return None;
        }
        let (_, nix_at) = map.to_source_offset(at)?;
        let insert = if first {
            first = false;
            let nix_line_start = a.source[..usize::from(nix_at)].rfind('\n').map_or(0, |i| i + 1);
            let indent = &a.source[nix_line_start..usize::from(nix_at)];
            format!("def test_main({}):\n{indent}    ", used.join(", "))
        } else {
            "    ".to_string()
        };
        edits.push(Edit { range: SourceRange { file: FileId::Nix, range: TextRange::empty(nix_at) }, new_text: insert });
    }
    let key_line_start = a.source[..usize::from(test.script_key.start())].rfind('\n').map_or(0, |i| i + 1);
    let key_indent: String =
        a.source[key_line_start..usize::from(test.script_key.start())].chars().take_while(|c| c.is_whitespace()).collect();
    edits.insert(
        0,
        Edit {
            range: SourceRange { file: FileId::Nix, range: TextRange::empty(TextSize::try_from(key_line_start).ok()?) },
            new_text: format!("{key_indent}usePytestFixtures = true;\n"),
        },
    );
    Some(Action {
        title: "Migrate this test to fixture mode (def test_main(...))".into(),
        kind: ActionKind::Refactor,
        edits,
        diagnostic: None,
    })
}
