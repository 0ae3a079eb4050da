//! `--format json`: one array of findings, each with 1-based positions.

use std::io::Write;

use serde::Serialize;

use super::{Position, locate_range, located};
use crate::Outcome;

#[derive(Serialize)]
struct JsonEdit<'a> {
    filename: &'a str,
    location: Position,
    end_location: Position,
    content: &'a str,
}

#[derive(Serialize)]
struct JsonFix<'a> {
    message: &'a str,
    edits: Vec<JsonEdit<'a>>,
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    code: &'a str,
    severity: &'a str,
    message: &'a str,
    filename: &'a str,
    location: Position,
    end_location: Position,
    test: Option<&'a str>,
    fix: Option<JsonFix<'a>>,
}

pub fn write(out: &mut impl Write, outcomes: &[Outcome]) -> std::io::Result<()> {
    let mut items = Vec::new();
    for o in outcomes {
        let Outcome::Analysed(a) = o else { continue };
        for l in located(a) {
            let d = l.diagnostic;
            let fix = d.fix.as_ref().map(|f| JsonFix {
                message: &f.title,
                edits: f
                    .edits
                    .iter()
                    .filter_map(|e| {
                        let (filename, _, location, end_location) = locate_range(a, &e.range)?;
                        Some(JsonEdit { filename, location, end_location, content: &e.new_text })
                    })
                    .collect(),
            });
            items.push(JsonFinding {
                code: &d.code,
                severity: d.severity.as_str(),
                message: &d.message,
                filename: l.path,
                location: l.start,
                end_location: l.end,
                test: d.test.and_then(|t| a.file.tests.get(t)).map(|t| t.label()),
                fix,
            });
        }
    }
    serde_json::to_writer_pretty(&mut *out, &items)?;
    writeln!(out)
}
