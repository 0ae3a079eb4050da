//! Analysis data to LSP types: byte offsets become positions in the
//! negotiated encoding here (and back in [`crate::from_proto`]), and only
//! here.

use std::borrow::Cow;
use std::collections::HashMap;

use nixos_test_analysis::diagnostics::{Diagnostic as ADiag, Edit, Severity, Tag};
use nixos_test_analysis::ide;
use nixos_test_analysis::line_index::{Encoding, LineIndex};
use nixos_test_analysis::source_map::{FileId, SourceRange, TextRange, TextSize};
use nixos_test_analysis::{Analysis, rules};
use serde_json::json;
use tower_lsp_server::ls_types::{self as lsp, Uri};

use crate::lsp_ext::{DiagnosticData, FixData, RUN_COMMAND, RunArgs};

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
fn file_of<'a>(a: &'a Analysis, uri: &Uri, file: FileId) -> Option<(Uri, &'a str)> {
    match file {
        FileId::Nix => Some((uri.clone(), a.source.as_str())),
        FileId::Read(_) => Some((uri_of_path(a.file_path(file)?)?, a.file_text(file)?)),
    }
}

pub fn location(a: &Analysis, uri: &Uri, r: &SourceRange, enc: Encoding) -> Option<lsp::Location> {
    let (uri, text) = file_of(a, uri, r.file)?;
    let lines = if r.file == FileId::Nix { Lines::of(a, enc) } else { Lines::new(text, enc) };
    Some(lsp::Location { uri, range: lines.range(r.range) })
}

/// One diagnostic; its fix travels in `data` (see [`DiagnosticData`]).
fn diagnostic(a: &Analysis, uri: &Uri, d: &ADiag, lines: &Lines<'_>) -> lsp::Diagnostic {
    let fix =
        d.fix.as_ref().map(|f| FixData { title: format!("{} ({})", f.title, d.code), edit: workspace_edit(a, uri, &f.edits, lines.enc) });
    let rule = rules::Rule::from_code(&d.code).map(|r| r.info().name.to_string());
    let data = (rule.is_some() || fix.is_some()).then(|| serde_json::to_value(DiagnosticData { rule, fix }).unwrap_or_default());
    lsp::Diagnostic {
        range: lines.range(d.range.range),
        severity: Some(severity(d.severity)),
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
        data,
        ..Default::default()
    }
}

pub fn severity(s: Severity) -> lsp::DiagnosticSeverity {
    match s {
        Severity::Error => lsp::DiagnosticSeverity::ERROR,
        Severity::Warning => lsp::DiagnosticSeverity::WARNING,
        Severity::Info => lsp::DiagnosticSeverity::INFORMATION,
    }
}

/// `list` (diagnostics on `a`'s files) by the URI of the file each is in;
/// the document's own entry is always there, empty or not.
pub fn diagnostics(a: &Analysis, list: &[ADiag], uri: &Uri, enc: Encoding) -> HashMap<Uri, Vec<lsp::Diagnostic>> {
    let mut out: HashMap<Uri, Vec<lsp::Diagnostic>> = HashMap::new();
    out.insert(uri.clone(), Vec::new());
    let nix = Lines::of(a, enc);
    for d in list {
        if d.range.file == FileId::Nix {
            out.entry(uri.clone()).or_default().push(diagnostic(a, uri, d, &nix));
        } else if let Some((u, text)) = file_of(a, uri, d.range.file) {
            out.entry(u).or_default().push(diagnostic(a, uri, d, &Lines::new(text, enc)));
        }
    }
    out
}

pub fn workspace_edit(a: &Analysis, uri: &Uri, edits: &[Edit], enc: Encoding) -> lsp::WorkspaceEdit {
    let mut changes: HashMap<Uri, Vec<lsp::TextEdit>> = HashMap::new();
    for e in edits {
        if let Some(loc) = location(a, uri, &e.range, enc) {
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

fn markdown(value: String) -> lsp::MarkupContent {
    lsp::MarkupContent { kind: lsp::MarkupKind::Markdown, value }
}

pub fn hover(h: ide::Hover, footer: Option<&str>, lines: &Lines<'_>) -> lsp::Hover {
    lsp::Hover { contents: lsp::HoverContents::Markup(markdown(h.markdown + footer.unwrap_or(""))), range: Some(lines.range(h.range)) }
}

pub fn signature_help(s: ide::SignatureHelp) -> lsp::SignatureHelp {
    let active = u32::try_from(s.active).ok();
    lsp::SignatureHelp {
        signatures: vec![lsp::SignatureInformation {
            label: s.label,
            documentation: Some(lsp::Documentation::MarkupContent(markdown(s.documentation))),
            parameters: Some(
                s.params
                    .into_iter()
                    .map(|p| lsp::ParameterInformation { label: lsp::ParameterLabel::Simple(p), documentation: None })
                    .collect(),
            ),
            active_parameter: active,
        }],
        active_signature: Some(0),
        active_parameter: active,
    }
}

pub fn location_link(t: &ide::NavTarget, uri: &Uri, lines: &Lines<'_>) -> lsp::LocationLink {
    lsp::LocationLink {
        origin_selection_range: None,
        target_uri: uri.clone(),
        target_range: lines.range(t.range),
        target_selection_range: lines.range(t.focus),
    }
}

/// Folds of more than one line (a one-line fold is nothing to fold).
pub fn folding_range(f: &ide::Fold, lines: &Lines<'_>) -> Option<lsp::FoldingRange> {
    let r = lines.range(f.range);
    (r.end.line > r.start.line).then(|| lsp::FoldingRange { start_line: r.start.line, end_line: r.end.line, ..Default::default() })
}

pub fn code_action(act: ide::Action, a: &Analysis, uri: &Uri, enc: Encoding) -> lsp::CodeActionOrCommand {
    lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
        title: act.title,
        kind: Some(match act.kind {
            ide::ActionKind::QuickFix => lsp::CodeActionKind::QUICKFIX,
            ide::ActionKind::Refactor => lsp::CodeActionKind::REFACTOR_REWRITE,
            ide::ActionKind::FixAll => lsp::CodeActionKind::SOURCE_FIX_ALL,
        }),
        edit: Some(workspace_edit(a, uri, &act.edits, enc)),
        is_preferred: Some(false),
        ..Default::default()
    })
}

/// The quick fix a diagnostic carries in its `data`, tied to it.
pub fn fix_action(d: &lsp::Diagnostic) -> Option<lsp::CodeActionOrCommand> {
    let data: DiagnosticData = serde_json::from_value(d.data.clone()?).ok()?;
    let fix = data.fix?;
    Some(lsp::CodeActionOrCommand::CodeAction(lsp::CodeAction {
        title: fix.title,
        kind: Some(lsp::CodeActionKind::QUICKFIX),
        diagnostics: Some(vec![d.clone()]),
        edit: Some(fix.edit),
        is_preferred: Some(true),
        ..Default::default()
    }))
}

pub fn run_lens(r: ide::Runnable, a: &Analysis, uri: &Uri, lines: &Lines<'_>) -> lsp::CodeLens {
    let args = RunArgs { file: a.path.clone(), uri: Some(uri.as_str().to_string()), attr: r.attr, test: r.test_name, function: r.function };
    lsp::CodeLens {
        range: lines.range(r.range),
        command: Some(lsp::Command { title: r.label, command: RUN_COMMAND.into(), arguments: Some(vec![json!(args)]) }),
        data: None,
    }
}
