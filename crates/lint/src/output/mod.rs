//! Output formats. Every format reads the same located findings.

pub mod github;
pub mod human;
pub mod json;
pub mod sarif;

use std::collections::BTreeMap;
use std::io::Write;

use nixos_test_analysis::diagnostics::Diagnostic;
use nixos_test_analysis::line_index::{Encoding, LineIndex};
use nixos_test_analysis::nix::ScriptStatus;
use nixos_test_analysis::source_map::{FileId, SourceRange};
use nixos_test_analysis::{Analysis, rules};

use crate::Outcome;

/// A 1-based line and 1-based column in characters (as ruff reports them).
#[derive(Debug, Clone, Copy, serde::Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// A finding with its file, text and 1-based positions resolved.
pub struct Located<'a> {
    pub diagnostic: &'a Diagnostic,
    pub path: &'a str,
    pub text: &'a str,
    pub start: Position,
    pub end: Position,
}

fn position(text: &str, index: &LineIndex, offset: ruff_text_size_compat::TextSize) -> Position {
    let (line, _) = index.position(text, offset, Encoding::Utf8);
    let line_start = usize::from(index.offset(text, line, 0, Encoding::Utf8));
    let at = usize::from(offset).min(text.len());
    let column = text.get(line_start..at).map_or(0, |s| s.chars().count());
    Position { line: line + 1, column: u32::try_from(column).unwrap_or(u32::MAX) + 1 }
}

/// Re-exported offset type of the analysis crate.
mod ruff_text_size_compat {
    pub use nixos_test_analysis::source_map::TextSize;
}

pub fn locate_range<'a>(a: &'a Analysis, range: &SourceRange) -> Option<(&'a str, &'a str, Position, Position)> {
    let text = a.file_text(range.file)?;
    let path = a.file_path(range.file)?;
    // The Nix file's index is built once per analysis; a read file's here.
    let index = match range.file {
        FileId::Nix => std::borrow::Cow::Borrowed(a.line_index()),
        FileId::Read(_) => std::borrow::Cow::Owned(LineIndex::new(text)),
    };
    Some((path, text, position(text, &index, range.range.start()), position(text, &index, range.range.end())))
}

pub fn located(a: &Analysis) -> Vec<Located<'_>> {
    a.diagnostics
        .iter()
        .filter_map(|d| {
            let (path, text, start, end) = locate_range(a, &d.range)?;
            Some(Located { diagnostic: d, path, text, start, end })
        })
        .collect()
}

/// `--show-script`: what the driver will run, holes marked.
/// `--show-script`: each test's script as the driver gets it, under a
/// header naming the test and the driver generation it is checked against.
pub fn show_scripts(out: &mut impl Write, outcomes: &[Outcome], driver: &str) -> std::io::Result<()> {
    for o in outcomes {
        let Outcome::Analysed(a) = o else { continue };
        for test in &a.file.tests {
            writeln!(out, "# {} :: {}", a.path, test.label())?;
            writeln!(out, "# checked against the {driver}")?;
            match &test.script.status {
                ScriptStatus::Unknown(reason, _) => writeln!(out, "# not statically known: {reason}\n")?,
                status => {
                    if let ScriptStatus::Partial(parts) = status {
                        for (reason, _) in parts {
                            writeln!(out, "# part not statically known: {reason}")?;
                        }
                    }
                    let text = test.script.display_text(&a.source);
                    writeln!(out, "{text}{}", if text.ends_with('\n') { "" } else { "\n" })?;
                }
            }
        }
    }
    Ok(())
}

/// `--statistics`: findings per rule.
pub fn statistics(out: &mut impl Write, outcomes: &[Outcome]) -> std::io::Result<()> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for o in outcomes {
        if let Outcome::Analysed(a) = o {
            for d in &a.diagnostics {
                *counts.entry(d.code.as_str()).or_default() += 1;
            }
        }
    }
    let mut rows: Vec<_> = counts.into_iter().collect();
    rows.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    for (code, n) in rows {
        let name = rules::Rule::from_code(code).map_or("", |r| r.info().name);
        writeln!(out, "{n:>6}  {code:<7} {name}")?;
    }
    Ok(())
}
