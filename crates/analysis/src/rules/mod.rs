//! Rules, organised as ruff organises them: a [`Rule`] enum, one module per
//! family holding each rule's check, message, fix and `--explain` text
//! together, one visitor ([`checker`]) that dispatches to the families, and
//! the severity policy in one place ([`policy`]). ruff's own rules run
//! through the bridge in [`ruff`]; [`selection`] decides what is reported.

pub(crate) mod checker;
pub mod deprecations;
mod finding;
pub mod fixtures;
pub mod machine_api;
pub mod names;
pub mod policy;
pub mod ruff;
pub mod script;
pub mod selection;

use crate::diagnostics::Severity;
pub use finding::{Certainty, Code, Finding, PyFix};
pub use selection::RuleSelection;

/// What `--explain`, the SARIF output and the generated docs know of a rule.
#[derive(Debug)]
pub struct RuleInfo {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// The rule's doc comment, line by line as the compiler hands it over.
    doc: &'static [&'static str],
}

impl RuleInfo {
    /// The Markdown explanation (What it does / Why is this bad? / Example /
    /// Use instead), taken from the doc comment next to the rule's check.
    pub fn explanation(&self) -> String {
        let mut out = String::new();
        for line in self.doc {
            out.push_str(line.strip_prefix(' ').unwrap_or(line));
            out.push('\n');
        }
        out.trim_end().to_string()
    }
}

/// Declares a family's rules: the doc comment of each is its `--explain`
/// text; then its variant name, code, kebab-case name and default severity.
macro_rules! declare_rules {
    ($( $(#[doc = $doc:literal])* $variant:ident = $code:literal, $name:literal, $sev:ident; )*) => {
        $(
            $(#[doc = $doc])*
            #[allow(non_upper_case_globals)]
            pub static $variant: crate::rules::RuleInfo = crate::rules::RuleInfo {
                code: $code,
                name: $name,
                severity: crate::diagnostics::Severity::$sev,
                doc: &[$($doc),*],
            };
        )*
    };
}
pub(crate) use declare_rules;

/// The one list of rules, by family: the enum and its lookup are generated
/// from it, so a mistyped rule does not compile.
macro_rules! rules {
    ($($family:ident :: { $($variant:ident),* $(,)? })*) => {
        /// Every `NT` rule.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Rule { $($($variant),*),* }

        impl Rule {
            pub const ALL: &'static [Rule] = &[$($(Rule::$variant),*),*];

            pub fn info(self) -> &'static RuleInfo {
                match self { $($(Rule::$variant => &$family::$variant),*),* }
            }

            /// The family (module) the rule lives in.
            pub fn family(self) -> &'static str {
                match self { $($(Rule::$variant => stringify!($family)),*),* }
            }
        }
    };
}

rules! {
    script::{PythonSyntaxError, ScriptNotStatic, NixSyntaxError}
    names::{UndefinedNameTypo, NodeNameKeyword, NodeNameShadows, NodeNameCollision}
    machine_api::{UnknownMachineAttribute, VmOnlyOnContainer, WrongArity, UnknownKeyword, ArgumentType, SingleValueUnpacked}
    fixtures::{FixtureNotANode, DuplicateTestFunction}
    deprecations::{ImplicitMachineAlias, DeprecatedMethod, NumericDuration, DeprecatedParameter}
}

impl Rule {
    pub fn code(self) -> &'static str {
        self.info().code
    }

    pub fn from_code(code: &str) -> Option<Rule> {
        Rule::ALL.iter().copied().find(|r| r.code() == code)
    }
}

/// The documentation of `code`: ours, or ruff's for its rules.
pub fn explain(code: &str) -> Option<String> {
    if let Some(r) = Rule::from_code(code) {
        let info = r.info();
        return Some(format!("# {} ({})\n\n{}\n", info.name, info.code, info.explanation()));
    }
    ruff::explain(code)
}

/// `docs/rules.md`: every rule's explanation, generated from the doc
/// comments (a test keeps the file in step).
pub fn rules_markdown() -> String {
    let mut out = String::from("# Rules\n\n<!-- Generated from the rules' doc comments by `cargo xtask codegen`; do not edit. -->\n\n");
    out.push_str(&rules_table());
    for r in Rule::ALL {
        let info = r.info();
        let body = info.explanation().replace("\n## ", "\n### ");
        let body = body.strip_prefix("## ").map_or(body.clone(), |b| format!("### {b}"));
        out.push_str(&format!("\n## {} `{}`\n\nDefault severity: {}.\n\n{body}\n", info.code, info.name, info.severity.as_str()));
    }
    out
}

/// The README's table of rules: code, name, default severity and the first
/// sentence of "What it does".
pub fn rules_table() -> String {
    let mut out = String::from("| Code | Name | Default | What it reports |\n|---|---|---|---|\n");
    for r in Rule::ALL {
        let info = r.info();
        let what = info.explanation();
        let what = what.lines().nth(1).unwrap_or_default();
        let first = first_sentence(what);
        out.push_str(&format!("| {} | `{}` | {} | {} |\n", info.code, info.name, info.severity.as_str(), first.replace('|', "\\|")));
    }
    out
}

/// The text up to the first full stop that ends a sentence (not `e.g.`).
fn first_sentence(text: &str) -> &str {
    let mut from = 0;
    while let Some(i) = text[from..].find(". ").map(|i| i + from) {
        if !(text[..i].ends_with("e.g") || text[..i].ends_with("i.e")) {
            return &text[..=i];
        }
        from = i + 2;
    }
    text.trim_end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_follows_the_doc_template() {
        for r in Rule::ALL {
            let text = r.info().explanation();
            for heading in ["## What it does", "## Why is this bad?", "## Example", "## Use instead"] {
                assert!(text.contains(heading), "{} lacks {heading}", r.code());
            }
        }
        let mut codes: Vec<_> = Rule::ALL.iter().map(|r| r.code()).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), Rule::ALL.len());
    }

    #[test]
    fn codes_round_trip() {
        for r in Rule::ALL {
            assert_eq!(Rule::from_code(r.code()), Some(*r));
        }
        assert_eq!(Rule::from_code("NT999"), None);
    }
}
