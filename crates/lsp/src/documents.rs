//! Open documents: text kept exact under incremental edits (never lost,
//! whatever analysis does), and the analysis of a given version, cached.

use std::sync::Arc;

use nixos_test_analysis::line_index::{Encoding, LineIndex};
use nixos_test_analysis::{Analysis, Config, analyze, model, nix::FileLoader};
use ruff_text_size_compat::TextSize;

mod ruff_text_size_compat {
    pub use nixos_test_analysis::source_map::TextSize;
}

pub struct Document {
    pub path: String,
    pub text: String,
    pub version: i32,
    pub index: LineIndex,
    /// The full analysis (with diagnostics) and the version it belongs to.
    pub analysis: Option<(i32, Arc<Analysis>)>,
    /// The model only (no diagnostics), for requests while typing.
    pub model: Option<(i32, Arc<Analysis>)>,
}

/// What a request needs from the analysis.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Diagnostics (publishing, code actions).
    Full,
    /// The model: completion, hover, navigation, outline.
    Model,
}

/// An edit in client positions (`None` range: the whole text).
pub struct Change {
    pub range: Option<((u32, u32), (u32, u32))>,
    pub text: String,
}

impl Document {
    pub fn new(path: String, text: String, version: i32) -> Document {
        let index = LineIndex::new(&text);
        Document { path, text, version, index, analysis: None, model: None }
    }

    /// Applies edits in order; positions past the end are clamped, so a
    /// confused client cannot make the server panic.
    pub fn apply(&mut self, changes: Vec<Change>, version: i32, enc: Encoding) {
        for c in changes {
            match c.range {
                None => self.text = c.text,
                Some(((sl, sc), (el, ec))) => {
                    let start = usize::from(self.index.offset(&self.text, sl, sc, enc));
                    let end = usize::from(self.index.offset(&self.text, el, ec, enc)).max(start);
                    self.text.replace_range(start..end, &c.text);
                }
            }
            self.index = LineIndex::new(&self.text);
        }
        self.version = version;
    }

    pub fn offset(&self, line: u32, col: u32, enc: Encoding) -> TextSize {
        self.index.offset(&self.text, line, col, enc)
    }

    /// A cached analysis of the current version that serves `need`.
    pub fn cached(&self, need: Need) -> Option<Arc<Analysis>> {
        let current = |c: &Option<(i32, Arc<Analysis>)>| c.as_ref().filter(|(v, _)| *v == self.version).map(|(_, a)| a.clone());
        match need {
            Need::Full => current(&self.analysis),
            Need::Model => current(&self.analysis).or_else(|| current(&self.model)),
        }
    }

    /// Whether the document can hold a NixOS test; others cost nothing.
    pub fn may_hold_tests(&self) -> bool {
        self.text.contains("testScript")
    }
}

/// Runs the analysis, turning a panic into an error: a bug in one feature
/// must not take the server down.
pub fn analyze_guarded(path: &str, text: &str, loader: &dyn FileLoader, config: &Config, need: Need) -> Result<Analysis, String> {
    guarded(path, || match need {
        Need::Full => analyze(path, text, loader, config),
        Need::Model => model(path, text, loader, config),
    })
}

/// `f` (an analysis of `path`), with a panic logged and turned into an error.
pub fn guarded(path: &str, f: impl FnOnce() -> Analysis) -> Result<Analysis, String> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).map_err(|e| {
        let msg = e.downcast_ref::<String>().cloned().or_else(|| e.downcast_ref::<&str>().map(|s| (*s).to_string())).unwrap_or_default();
        tracing::error!("analysis of {path} panicked: {msg}");
        format!("internal error while analysing {path}: {msg}")
    })
}
