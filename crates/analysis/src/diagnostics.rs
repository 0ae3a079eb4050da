//! Diagnostics as plain data, located in the Nix file (or a file it reads).

use ruff_text_size::TextRange;
use serde::Serialize;

use crate::source_map::SourceRange;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// How editors draw a diagnostic beyond its severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tag {
    /// Deprecated API: struck through.
    Deprecated,
    /// Unused code: dimmed.
    Unnecessary,
}

/// One text replacement in a source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Edit {
    pub range: SourceRange,
    pub new_text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fix {
    pub title: String,
    pub edits: Vec<Edit>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Diagnostic {
    /// Stable code: `NT...` for ours, ruff's own (`F401`) for its rules.
    pub code: String,
    pub severity: Severity,
    pub message: String,
    /// Where it is, in the Nix file or a file read by the script.
    pub range: SourceRange,
    /// The range in the extracted Python, when it comes from the script.
    #[serde(skip)]
    pub py_range: Option<TextRange>,
    /// Index of the test (in `TestFile::tests`) it belongs to.
    #[serde(skip)]
    pub test: Option<usize>,
    pub fix: Option<Fix>,
}
