//! `--format sarif`: SARIF 2.1.0 for code-scanning dashboards.

use std::collections::BTreeSet;
use std::io::Write;

use nixos_test_analysis::diagnostics::Severity;
use nixos_test_analysis::rules;
use serde_json::json;

use super::located;
use crate::Outcome;

pub fn write(out: &mut impl Write, outcomes: &[Outcome]) -> std::io::Result<()> {
    let mut results = Vec::new();
    let mut codes = BTreeSet::new();
    for o in outcomes {
        let Outcome::Analysed(a) = o else { continue };
        for l in located(a) {
            let d = l.diagnostic;
            codes.insert(d.code.clone());
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "note",
            };
            results.push(json!({
                "ruleId": d.code,
                "level": level,
                "message": { "text": d.message },
                "locations": [{ "physicalLocation": {
                    "artifactLocation": { "uri": uri_reference(l.path) },
                    "region": {
                        "startLine": l.start.line, "startColumn": l.start.column,
                        "endLine": l.end.line, "endColumn": l.end.column,
                    }
                }}]
            }));
        }
    }
    let rules: Vec<_> = codes
        .iter()
        .map(|c| {
            let name = rules::Rule::from_code(c).map_or(c.as_str(), |r| r.info().name);
            json!({ "id": c, "name": name, "shortDescription": { "text": name }, "fullDescription": { "text": rules::explain(c).unwrap_or_default() } })
        })
        .collect();
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": { "name": "nixos-test-lint", "version": env!("CARGO_PKG_VERSION"), "rules": rules } },
            "results": results,
        }]
    });
    serde_json::to_writer_pretty(&mut *out, &doc)?;
    writeln!(out)
}

/// A path as a relative URI reference (RFC 3986): every byte outside the
/// unreserved set and `/` is percent-encoded, so `#`, `%`, `?` and spaces
/// stay part of the path.
fn uri_reference(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn artifact_uris_are_percent_encoded() {
        assert_eq!(super::uri_reference("tests/with space #1.nix"), "tests/with%20space%20%231.nix");
        assert_eq!(super::uri_reference("a/ü%.nix"), "a/%C3%BC%25.nix");
    }
}
