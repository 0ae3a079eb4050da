//! What this server speaks beyond the protocol, typed once: the run
//! command's arguments and result, the data a diagnostic carries (its rule
//! and its fix), and the custom request that shows a document's text. The
//! VS Code extension speaks the same shapes.

use serde::{Deserialize, Serialize};
use tower_lsp_server::ls_types::{TextDocumentIdentifier, TextDocumentPositionParams, WorkspaceEdit, request::Request};

/// `workspace/executeCommand` of a Run lens: runs a test with `nixos-test-run`.
pub const RUN_COMMAND: &str = "nixos-test.run";

/// The arguments of [`RUN_COMMAND`] (its first and only argument).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunArgs {
    /// The Nix file, as a path.
    pub file: String,
    /// The same file as a URI.
    #[serde(default)]
    pub uri: Option<String>,
    /// The attribute path of the test in the file, when there are several.
    #[serde(default)]
    pub attr: Option<String>,
    /// The test's name (for messages).
    #[serde(default)]
    pub test: Option<String>,
    /// The `test_` function to run; all of them when absent.
    #[serde(default)]
    pub function: Option<String>,
}

impl RunArgs {
    /// The key of "the same test" (one run of it at a time).
    pub fn key(&self) -> String {
        format!("{}\0{}\0{}", self.file, self.attr.as_deref().unwrap_or(""), self.function.as_deref().unwrap_or(""))
    }

    /// What is run, in words.
    pub fn what(&self) -> &str {
        self.function.as_deref().unwrap_or("all tests")
    }
}

/// What [`RUN_COMMAND`] answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunResult {
    pub ok: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// The run's folder: logs, JUnit, screenshots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub out: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl RunResult {
    pub fn refused(error: impl Into<String>) -> RunResult {
        RunResult { ok: false, error: Some(error.into()), ..RunResult::default() }
    }
}

/// `Diagnostic.data` of our diagnostics: the rule's name, and the fix, so
/// that a code action reads it back instead of computing it again.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DiagnosticData {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix: Option<FixData>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FixData {
    pub title: String,
    pub edit: WorkspaceEdit,
}

/// `nixos-test/documentText`: the server's current text of a document
/// (tests use it to show that no edit was lost).
pub enum DocumentText {}

impl Request for DocumentText {
    type Params = TextDocumentIdentifier;
    type Result = Option<String>;
    const METHOD: &'static str = "nixos-test/documentText";
}

/// `nixos-test/showScript`: the Python the driver runs for the test at a
/// position (the file's first test when the position is in none), as
/// extracted from the Nix source: what the editors show read-only.
pub enum ShowScript {}

impl Request for ShowScript {
    type Params = TextDocumentPositionParams;
    type Result = Option<ShownScript>;
    const METHOD: &'static str = "nixos-test/showScript";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShownScript {
    /// The test's name, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<String>,
    pub script: String,
}

/// `nixos-test/driverGeneration`: the driver generation a document is
/// checked against and where that comes from (the status bar shows it).
pub enum DriverGeneration {}

impl Request for DriverGeneration {
    type Params = TextDocumentIdentifier;
    type Result = Option<GenerationInfo>;
    const METHOD: &'static str = "nixos-test/driverGeneration";
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerationInfo {
    /// `newest (mid 2026+)`, `early 2026`, `classic (≤2025)`.
    pub label: String,
    /// The same with where it came from: configured, detected from what.
    pub note: String,
}
