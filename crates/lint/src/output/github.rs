//! `--format github`: GitHub Actions workflow commands, one per finding.

use std::io::Write;

use nixos_test_analysis::diagnostics::Severity;

use super::located;
use crate::Outcome;

/// Workflow-command data escaping (`%`, CR, LF; and `,` `:` in properties).
fn escape(s: &str, property: bool) -> String {
    let mut out = s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A");
    if property {
        out = out.replace(':', "%3A").replace(',', "%2C");
    }
    out
}

pub fn write(out: &mut impl Write, outcomes: &[Outcome]) -> std::io::Result<()> {
    for o in outcomes {
        let Outcome::Analysed(a) = o else { continue };
        for l in located(a) {
            let d = l.diagnostic;
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "notice",
            };
            writeln!(
                out,
                "::{level} title={},file={},line={},col={},endLine={},endColumn={}::{}",
                escape(&format!("nixos-test-lint ({})", d.code), true),
                escape(l.path, true),
                l.start.line,
                l.start.column,
                l.end.line,
                l.end.column,
                escape(&format!("{}: {}", d.code, d.message), false)
            )?;
        }
    }
    Ok(())
}
