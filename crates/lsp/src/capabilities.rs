//! What the server offers, negotiated with the client's capabilities.

use nixos_test_analysis::ide::TOKEN_TYPES;
use nixos_test_analysis::line_index::Encoding;
use tower_lsp_server::ls_types::*;

use crate::lsp_ext::RUN_COMMAND;

/// Whether the client pulls diagnostics (`textDocument/diagnostic`): then
/// the server publishes none itself, or the client would show them twice.
pub fn pulls_diagnostics(params: &InitializeParams) -> bool {
    params.capabilities.text_document.as_ref().is_some_and(|t| t.diagnostic.is_some())
}

/// UTF-8 offsets when the client offers them, else the UTF-16 default.
pub fn encoding(params: &InitializeParams) -> Encoding {
    let offered = params.capabilities.general.as_ref().and_then(|g| g.position_encodings.as_ref());
    if offered.is_some_and(|e| e.contains(&PositionEncodingKind::UTF8)) { Encoding::Utf8 } else { Encoding::Utf16 }
}

pub fn server(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(match encoding {
            Encoding::Utf8 => PositionEncodingKind::UTF8,
            Encoding::Utf16 => PositionEncodingKind::UTF16,
        }),
        text_document_sync: Some(TextDocumentSyncCapability::Options(TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::INCREMENTAL),
            save: Some(TextDocumentSyncSaveOptions::Supported(true)),
            ..Default::default()
        })),
        completion_provider: Some(CompletionOptions {
            // Never a space: the list would open on every word typed.
            trigger_characters: Some(vec![".".into(), "(".into(), ",".into()]),
            resolve_provider: Some(true),
            ..Default::default()
        }),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        signature_help_provider: Some(SignatureHelpOptions {
            trigger_characters: Some(vec!["(".into(), ",".into()]),
            ..Default::default()
        }),
        definition_provider: Some(OneOf::Left(true)),
        references_provider: Some(OneOf::Left(true)),
        document_highlight_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions { prepare_provider: Some(true), work_done_progress_options: Default::default() })),
        document_symbol_provider: Some(OneOf::Left(true)),
        folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![CodeActionKind::QUICKFIX, CodeActionKind::REFACTOR_REWRITE, CodeActionKind::SOURCE_FIX_ALL]),
            ..Default::default()
        })),
        code_lens_provider: Some(CodeLensOptions { resolve_provider: Some(false) }),
        // Pull diagnostics (`textDocument/diagnostic`), and every test of
        // the workspace without opening it (`workspace/diagnostic`).
        diagnostic_provider: Some(DiagnosticServerCapabilities::Options(DiagnosticOptions {
            identifier: Some("nixos-test".into()),
            inter_file_dependencies: true,
            workspace_diagnostics: true,
            work_done_progress_options: Default::default(),
        })),
        execute_command_provider: Some(ExecuteCommandOptions { commands: vec![RUN_COMMAND.into()], ..Default::default() }),
        semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(SemanticTokensOptions {
            legend: SemanticTokensLegend {
                token_types: TOKEN_TYPES.iter().map(|t| SemanticTokenType::new(t)).collect(),
                token_modifiers: vec![],
            },
            full: Some(SemanticTokensFullOptions::Bool(true)),
            range: Some(false),
            ..Default::default()
        })),
        ..Default::default()
    }
}
