//! Request handlers, grouped by family as rust-analyzer groups them. Each
//! fetches what it needs through one prologue ([`Backend::with_analysis`],
//! [`Backend::at_position`]): the document's analysis, the negotiated
//! encoding, and the feature run with a panic turned into an error.

pub mod code_actions;
pub mod completion;
pub mod diagnostics;
pub mod hover;
pub mod navigation;
pub mod symbols;

use nixos_test_analysis::Analysis;
use nixos_test_analysis::driver_api::Generation;
use nixos_test_analysis::line_index::Encoding;
use nixos_test_analysis::source_map::TextSize;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{Position, Uri};

use crate::documents::Need;
use crate::server::{Backend, internal};
use crate::to_proto::Lines;

/// What a handler works on.
pub struct Snap<'a> {
    pub a: &'a Analysis,
    pub uri: &'a Uri,
    pub g: Generation,
    pub enc: Encoding,
    /// Positions in the Nix file.
    pub lines: Lines<'a>,
}

impl Backend {
    /// The one prologue: the analysis that serves `need`, and `f` run on it
    /// with panics contained. `None` when the document holds no test.
    pub async fn with_analysis<T>(&self, uri: &Uri, need: Need, f: impl FnOnce(&Snap<'_>) -> Option<T>) -> Result<Option<T>> {
        let Some((a, g)) = self.analysis(uri, need).await? else { return Ok(None) };
        let enc = self.encoding();
        guard(|| f(&Snap { a: &a, uri, g, enc, lines: Lines::of(&a, enc) }))
    }

    /// [`Backend::with_analysis`] at a cursor: the model, and the position as
    /// a byte offset.
    pub async fn at_position<T>(&self, uri: &Uri, p: Position, f: impl FnOnce(&Snap<'_>, TextSize) -> Option<T>) -> Result<Option<T>> {
        let Some(offset) = self.0.docs.get(uri).map(|d| d.offset(p.line, p.character, self.encoding())) else { return Ok(None) };
        self.with_analysis(uri, Need::Model, |s| f(s, offset)).await
    }
}

/// Runs an IDE feature, turning a panic into a JSON-RPC error.
pub fn guard<T>(f: impl FnOnce() -> T) -> Result<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .map_err(|_| internal("internal error in nixos-test-lsp (the server keeps running)"))
}
