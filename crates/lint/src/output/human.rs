//! `--format human`: code frames on the Nix source, exact range underlined,
//! with the fix (if any) as help, and a summary line.

use std::io::Write;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
use nixos_test_analysis::diagnostics::Severity;

use super::located;
use crate::Outcome;

/// The whole lines holding `start..end`, and the range inside them, so that
/// frames cost nothing on big files.
fn window(text: &str, start: usize, end: usize) -> (&str, usize, usize) {
    let from = text[..start].rfind('\n').map_or(0, |i| i + 1);
    let to = text[end..].find('\n').map_or(text.len(), |i| end + i);
    (&text[from..to], start - from, end - from)
}

pub fn write(out: &mut impl Write, outcomes: &[Outcome], color: bool) -> std::io::Result<()> {
    let renderer = if color { Renderer::styled() } else { Renderer::plain() };
    let (mut errors, mut warnings, mut infos, mut fixable) = (0, 0, 0, 0);
    for o in outcomes {
        let Outcome::Analysed(a) = o else { continue };
        for l in located(a) {
            let d = l.diagnostic;
            let level = match d.severity {
                Severity::Error => {
                    errors += 1;
                    Level::ERROR
                }
                Severity::Warning => {
                    warnings += 1;
                    Level::WARNING
                }
                Severity::Info => {
                    infos += 1;
                    Level::INFO
                }
            };
            let start = usize::from(d.range.range.start()).min(l.text.len());
            let end = usize::from(d.range.range.end()).clamp(start, l.text.len());
            let (slice, s, e) = window(l.text, start, end);
            let mut group = level.primary_title(d.message.as_str()).id(d.code.as_str()).element(
                Snippet::source(slice).line_start(l.start.line as usize).path(l.path).annotation(AnnotationKind::Primary.span(s..e)),
            );
            if let Some(fix) = &d.fix {
                fixable += 1;
                group = group.element(Level::HELP.message(fix.title.as_str()));
            }
            writeln!(out, "{}\n", renderer.render(&[group]))?;
        }
    }
    let total = errors + warnings + infos;
    if !outcomes.iter().any(|o| matches!(o, Outcome::Analysed(_))) {
        writeln!(out, "No file was checked.")?;
    } else if total == 0 {
        writeln!(out, "All checks passed.")?;
    } else {
        writeln!(
            out,
            "Found {total} finding{} ({errors} error{}, {warnings} warning{}, {infos} info){}.",
            if total == 1 { "" } else { "s" },
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" },
            if fixable > 0 { format!("; {fixable} with a suggested fix") } else { String::new() }
        )?;
    }
    Ok(())
}
