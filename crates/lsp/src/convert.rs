//! Analysis data to LSP types: byte offsets become positions in the
//! negotiated encoding here, and only here.

use std::borrow::Cow;
use std::collections::HashMap;

use nixos_test_analysis::diagnostics::{Diagnostic as ADiag, Edit, Severity, Tag};
use nixos_test_analysis::ide;
use nixos_test_analysis::line_index::{Encoding, LineIndex};
use nixos_test_analysis::source_map::{FileId, SourceRange, TextRange, TextSize};
use nixos_test_analysis::{Analysis, rules};
use tower_lsp_server::ls_types::{self as lsp, Uri};

/// Positions in one text.
pub struct Lines<'a> {
    pub text: &'a str,
    pub index: Cow<'a, LineIndex>,
    pub enc: Encoding,
}

impl<'a> Lines<'a> {
    pub fn new(text: &'a str, enc: Encoding) -> Lines<'a> {
        Lines { text, index: Cow::Owned(LineIndex::new(text)), enc }
    }

    /// The Nix file of an analysis, with the index it already has.
    pub fn of(a: &'a Analysis, enc: Encoding) -> Lines<'a> {
        Lines { text: &a.source, index: Cow::Borrowed(a.line_index()), enc }
    }
    pub fn position(&self, offset: TextSize) -> lsp::Position {
        let (line, character) = self.index.position(self.text, offset, self.enc);
        lsp::Position { line, character }
    }
    pub fn range(&self, r: TextRange) -> lsp::Range {
        lsp::Range { start: self.position(r.start()), end: self.position(r.end()) }
    }
    pub fn offset(&self, p: lsp::Position) -> TextSize {
        self.index.offset(self.text, p.line, p.character, self.enc)
    }
}

pub fn uri_of_path(path: &str) -> Option<Uri> {
    let p = std::path::Path::new(path);
    let abs = if p.is_absolute() { p.to_path_buf() } else { std::env::current_dir().ok()?.join(p) };
    Uri::from_file_path(abs)
}

/// The URI and text of a file a range can point into.
fn file_of<'a>(a: &'a Analysis, uri: &Uri, test: usize, file: FileId) -> Option<(Uri, &'a str)> {
    match file {
        FileId::Nix => Some((uri.clone(), a.source.as_str())),
        FileId::Read(_) => Some((uri_of_path(a.file_path(test, file)?)?, a.file_text(test, file)?)),
    }
}

pub fn location(a: &Analysis, uri: &Uri, test: usize, r: &SourceRange, enc: Encoding) -> Option<lsp::Location> {
    let (uri, text) = file_of(a, uri, test, r.file)?;
    let lines = if r.file == FileId::Nix { Lines::of(a, enc) } else { Lines::new(text, enc) };
    Some(lsp::Location { uri, range: lines.range(r.range) })
}

fn diagnostic(d: &ADiag, lines: &Lines<'_>) -> lsp::Diagnostic {
    lsp::Diagnostic {
        range: lines.range(d.range.range),
        severity: Some(match d.severity {
            Severity::Error => lsp::DiagnosticSeverity::ERROR,
            Severity::Warning => lsp::DiagnosticSeverity::WARNING,
            Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
        }),
        code: Some(lsp::NumberOrString::String(d.code.clone())),
        source: Some("nixos-test".into()),
        message: d.message.clone(),
        // Editors strike deprecated API through and dim what is unused.
        tags: rules::policy::tag(&d.code).map(|t| {
            vec![match t {
                Tag::Deprecated => lsp::DiagnosticTag::DEPRECATED,
                Tag::Unnecessary => lsp::DiagnosticTag::UNNECESSARY,
            }]
        }),
        data: rules::Rule::from_code(&d.code).map(|r| serde_json::json!({ "rule": r.info().name })),
        ..Default::default()
    }
}

/// Diagnostics per file: the Nix document and any `.py` it reads.
pub fn diagnostics(a: &Analysis, uri: &Uri, enc: Encoding) -> HashMap<Uri, Vec<lsp::Diagnostic>> {
    diagnostics_of(a, &a.diagnostics, uri, enc)
}

/// `list` (diagnostics on `a`'s files) by the URI of the file each is in.
pub fn diagnostics_of(a: &Analysis, list: &[ADiag], uri: &Uri, enc: Encoding) -> HashMap<Uri, Vec<lsp::Diagnostic>> {
    let mut out: HashMap<Uri, Vec<lsp::Diagnostic>> = HashMap::new();
    out.insert(uri.clone(), Vec::new());
    let nix = Lines::of(a, enc);
    for d in list {
        let test = d.test.unwrap_or(0);
        if d.range.file == FileId::Nix {
            out.entry(uri.clone()).or_default().push(diagnostic(d, &nix));
        } else if let Some((u, text)) = file_of(a, uri, test, d.range.file) {
            out.entry(u).or_default().push(diagnostic(d, &Lines::new(text, enc)));
        }
    }
    out
}

pub fn workspace_edit(a: &Analysis, uri: &Uri, edits: &[Edit], test: usize, enc: Encoding) -> lsp::WorkspaceEdit {
    let mut changes: HashMap<Uri, Vec<lsp::TextEdit>> = HashMap::new();
    for e in edits {
        if let Some(loc) = location(a, uri, test, &e.range, enc) {
            changes.entry(loc.uri).or_default().push(lsp::TextEdit { range: loc.range, new_text: e.new_text.clone() });
        }
    }
    lsp::WorkspaceEdit { changes: Some(changes), ..Default::default() }
}

/// `plain` with `confirmed` added as edits under a change annotation that
/// needs the user's confirmation (shown apart in the editor's preview).
pub fn with_confirmed(plain: lsp::WorkspaceEdit, confirmed: lsp::WorkspaceEdit, id: &str, label: &str) -> lsp::WorkspaceEdit {
    let mut per_file: HashMap<Uri, Vec<lsp::OneOf<lsp::TextEdit, lsp::AnnotatedTextEdit>>> = HashMap::new();
    for (uri, edits) in plain.changes.unwrap_or_default() {
        per_file.entry(uri).or_default().extend(edits.into_iter().map(lsp::OneOf::Left));
    }
    for (uri, edits) in confirmed.changes.unwrap_or_default() {
        per_file.entry(uri).or_default().extend(
            edits.into_iter().map(|text_edit| lsp::OneOf::Right(lsp::AnnotatedTextEdit { text_edit, annotation_id: id.to_string() })),
        );
    }
    let edits = per_file
        .into_iter()
        .map(|(uri, edits)| lsp::TextDocumentEdit {
            text_document: lsp::OptionalVersionedTextDocumentIdentifier { uri, version: None },
            edits,
        })
        .collect();
    let annotation = lsp::ChangeAnnotation { label: label.to_string(), needs_confirmation: Some(true), description: None };
    lsp::WorkspaceEdit {
        changes: None,
        document_changes: Some(lsp::DocumentChanges::Edits(edits)),
        change_annotations: Some(HashMap::from([(id.to_string(), annotation)])),
    }
}

pub fn completion(item: ide::CompletionItem, lines: &Lines<'_>, snippets: bool, inline_docs: bool) -> lsp::CompletionItem {
    use ide::CompletionKind as K;
    let kind = match item.kind {
        K::Node => lsp::CompletionItemKind::VARIABLE,
        K::Method => lsp::CompletionItemKind::METHOD,
        K::Attribute => lsp::CompletionItemKind::FIELD,
        K::Function => lsp::CompletionItemKind::FUNCTION,
        K::Variable => lsp::CompletionItemKind::VARIABLE,
        K::Keyword => lsp::CompletionItemKind::KEYWORD,
        K::Fixture => lsp::CompletionItemKind::VALUE,
        K::Option => lsp::CompletionItemKind::PROPERTY,
    };
    let (text, format) = if item.snippet && snippets {
        (item.insert_text.clone(), lsp::InsertTextFormat::SNIPPET)
    } else {
        (strip_snippet(&item.insert_text, &item.label), lsp::InsertTextFormat::PLAIN_TEXT)
    };
    let markdown = |d: String| lsp::Documentation::MarkupContent(lsp::MarkupContent { kind: lsp::MarkupKind::Markdown, value: d });
    let (documentation, data) = if inline_docs {
        // Clients that do not resolve items (stock Neovim) get it inline.
        (item.documentation.map(markdown), None)
    } else {
        // Documentation comes with `completionItem/resolve`: lists stay small.
        (None, item.documentation.map(|d| serde_json::json!({ "documentation": d })))
    };
    lsp::CompletionItem {
        sort_text: Some(format!("{}{}", item.rank, item.label)),
        label: item.label,
        kind: Some(kind),
        detail: Some(item.detail),
        documentation,
        data,
        insert_text_format: Some(format),
        text_edit: Some(lsp::CompletionTextEdit::Edit(lsp::TextEdit { range: lines.range(item.replace), new_text: text })),
        tags: item.deprecated.then(|| vec![lsp::CompletionItemTag::DEPRECATED]),
        ..Default::default()
    }
}

/// `completionItem/resolve`: the documentation kept aside in `data`.
pub fn resolve(mut item: lsp::CompletionItem) -> lsp::CompletionItem {
    if let Some(doc) = item.data.as_ref().and_then(|d| d["documentation"].as_str()) {
        item.documentation =
            Some(lsp::Documentation::MarkupContent(lsp::MarkupContent { kind: lsp::MarkupKind::Markdown, value: doc.to_string() }));
    }
    item
}

/// Plain text for clients without snippet support.
fn strip_snippet(snippet: &str, label: &str) -> String {
    if !snippet.contains('$') {
        return snippet.to_string();
    }
    match snippet.find('(') {
        Some(i) if snippet.ends_with(")$0") => format!("{}(", &snippet[..i]),
        _ => label.to_string(),
    }
}

pub fn symbol(s: ide::Symbol, lines: &Lines<'_>) -> lsp::DocumentSymbol {
    use ide::SymbolKind as K;
    let kind = match s.kind {
        K::Test => lsp::SymbolKind::MODULE,
        K::Vm | K::Container => lsp::SymbolKind::OBJECT,
        K::Function => lsp::SymbolKind::FUNCTION,
        K::Subtest => lsp::SymbolKind::NAMESPACE,
    };
    let detail = match s.kind {
        K::Vm => Some("VM".to_string()),
        K::Container => Some("container".to_string()),
        K::Subtest => Some("subtest".to_string()),
        _ => None,
    };
    #[allow(deprecated)]
    lsp::DocumentSymbol {
        name: s.name,
        detail,
        kind,
        tags: None,
        deprecated: None,
        range: lines.range(s.range),
        selection_range: lines.range(s.focus),
        children: Some(s.children.into_iter().map(|c| symbol(c, lines)).collect()),
    }
}

/// Semantic tokens, split at line ends and delta-encoded.
pub fn semantic_tokens(tokens: &[ide::Token], lines: &Lines<'_>) -> Vec<lsp::SemanticToken> {
    let mut out = Vec::new();
    let (mut prev_line, mut prev_col) = (0u32, 0u32);
    for t in tokens {
        let text = &lines.text[t.range];
        let mut start = usize::from(t.range.start());
        for piece in text.split_inclusive('\n') {
            let trimmed = piece.trim_end_matches(['\n', '\r']);
            if !trimmed.is_empty() {
                let from = lines.position(TextSize::try_from(start).unwrap_or_default());
                let len = match lines.enc {
                    Encoding::Utf8 => trimmed.len(),
                    Encoding::Utf16 => trimmed.encode_utf16().count(),
                };
                let delta_line = from.line - prev_line;
                let delta_start = if delta_line == 0 { from.character - prev_col } else { from.character };
                out.push(lsp::SemanticToken {
                    delta_line,
                    delta_start,
                    length: u32::try_from(len).unwrap_or(u32::MAX),
                    token_type: t.ty,
                    token_modifiers_bitset: 0,
                });
                (prev_line, prev_col) = (from.line, from.character);
            }
            start += piece.len();
        }
    }
    out
}
