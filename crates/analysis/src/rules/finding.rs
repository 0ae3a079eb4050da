//! A finding in Python offsets, before the policy gives it a severity and
//! the source map places it in the Nix file.

use ruff_text_size::TextRange;

use super::Rule;

/// Which rule a finding is of: ours, or one of ruff's (by its code).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Code {
    Nt(Rule),
    Ruff(String),
}

impl Code {
    pub fn as_str(&self) -> &str {
        match self {
            Code::Nt(r) => r.code(),
            Code::Ruff(c) => c,
        }
    }
}

/// How sure a finding is; the policy turns it into a severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Certainty {
    /// As the rule says.
    Certain,
    /// About something only inferred (a receiver presumed to be a machine,
    /// a name the unknown part of a script may define): at most a warning.
    Likely,
    /// The script fails at run time here, whatever the rule's default
    /// (`machine` where the driver creates no alias): an error.
    Fails,
}

/// A fix in Python offsets: its title and edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PyFix {
    pub title: String,
    pub edits: Vec<(TextRange, String)>,
}

impl PyFix {
    /// The fix that puts `new` in place of the text at `range`.
    pub fn replace(range: TextRange, new: &str) -> PyFix {
        PyFix { title: format!("Replace with `{new}`"), edits: vec![(range, new.to_string())] }
    }
}

#[derive(Debug, Clone)]
pub struct Finding {
    pub code: Code,
    pub message: String,
    pub range: TextRange,
    pub fix: Option<PyFix>,
    pub certainty: Certainty,
}

impl Finding {
    pub fn new(rule: Rule, range: TextRange, message: String) -> Finding {
        Finding { code: Code::Nt(rule), message, range, fix: None, certainty: Certainty::Certain }
    }

    pub fn with_fix(mut self, fix: Option<PyFix>) -> Finding {
        self.fix = fix;
        self
    }

    pub fn with_certainty(mut self, certainty: Certainty) -> Finding {
        self.certainty = certainty;
        self
    }
}
