//! Code actions: every fix a diagnostic offers, and the migration of a
//! legacy module-level script to fixture mode.

use ruff_text_size::{TextRange, TextSize};
use serde::Serialize;

use crate::Analysis;
use crate::diagnostics::Edit;
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

/// The actions at `range`: each finding's fix and `# noqa`, and the
/// migration to fixture mode (with `fixtures-module` from the settings).
pub fn code_actions(a: &Analysis, range: TextRange, fixtures_module: Option<&str>) -> Vec<Action> {
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
    let test = a.file.tests.iter().position(|t| t.range.contains_range(range) || t.range.contains(range.start()));
    if let Some(m) = test.and_then(|i| super::migrate::migrate(a, i, fixtures_module)) {
        out.push(m);
    }
    out
}
