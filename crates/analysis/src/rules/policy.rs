//! The severity policy, in one place: a rule's default, lowered where a
//! finding is only likely or the test asks for leniency, raised where the
//! script certainly fails; and the tags editors draw (struck through,
//! dimmed).

use super::{Certainty, Code, Rule};
use crate::diagnostics::{Severity, Tag};
use crate::nix::TestOptions;

/// What the policy needs to know of the test and its script.
#[derive(Clone, Copy)]
pub struct Context<'a> {
    pub options: &'a TestOptions,
    /// Part of the script is not statically known.
    pub partial: bool,
}

/// The severity a finding is reported with.
pub fn severity(code: &Code, certainty: Certainty, cx: Context<'_>) -> Severity {
    let default = match code {
        Code::Nt(rule) => rule.info().severity,
        Code::Ruff(_) => Severity::Error,
    };
    let mut severity = match certainty {
        Certainty::Certain => default,
        Certainty::Likely => default.min(Severity::Warning),
        Certainty::Fails => Severity::Error,
    };
    match code {
        // `skipTypeCheck`: the build would not reject a wrong literal.
        Code::Nt(Rule::ArgumentType) if cx.options.skip_type_check => severity = Severity::Warning,
        // `skipLint`: the build does not run ruff.
        Code::Ruff(_) if cx.options.skip_lint => severity = severity.min(Severity::Warning),
        // Unused or redefined, unless the unknown part of the script uses it.
        Code::Ruff(c) if cx.partial && matches!(c.as_str(), "F401" | "F811" | "F841") => severity = Severity::Warning,
        _ => {}
    }
    severity
}

/// The tag of a diagnostic code: deprecated API (ours and ty's) is struck
/// through, unused code dimmed.
pub fn tag(code: &str) -> Option<Tag> {
    let deprecation = Rule::from_code(code).is_some_and(|r| r.family() == "deprecations");
    if deprecation || code == "ty:deprecated" {
        Some(Tag::Deprecated)
    } else if matches!(code, "F401" | "F841" | "F811") {
        Some(Tag::Unnecessary)
    } else {
        None
    }
}
