//! LSP types to analysis data: positions in the negotiated encoding become
//! byte offsets here (the other direction is [`crate::to_proto`]).

use nixos_test_analysis::source_map::TextRange;
use tower_lsp_server::ls_types as lsp;

use crate::documents::Change;
use crate::to_proto::Lines;

/// A client range as a byte range; a reversed one is empty at its start.
pub fn text_range(lines: &Lines<'_>, r: lsp::Range) -> TextRange {
    let start = lines.offset(r.start);
    TextRange::new(start, lines.offset(r.end).max(start))
}

/// One edit of `textDocument/didChange`.
pub fn change(c: lsp::TextDocumentContentChangeEvent) -> Change {
    Change { range: c.range.map(|r| ((r.start.line, r.start.character), (r.end.line, r.end.character))), text: c.text }
}

/// The path of a document's URI (the URI itself when it is not a file).
pub fn path(uri: &lsp::Uri) -> String {
    uri.to_file_path().map(|p| p.display().to_string()).unwrap_or_else(|| uri.as_str().to_string())
}
