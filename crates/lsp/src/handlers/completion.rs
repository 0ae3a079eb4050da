//! `textDocument/completion` and `completionItem/resolve`.

use nixos_test_analysis::ide;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use crate::server::Backend;
use crate::to_proto;

pub async fn completion(b: &Backend, params: CompletionParams) -> Result<Option<CompletionResponse>> {
    let p = params.text_document_position;
    let (snippets, inline_docs) = b.0.session.read().map(|s| (s.snippets, !s.resolve_docs)).unwrap_or((false, true));
    let trigger = params
        .context
        .filter(|c| c.trigger_kind == CompletionTriggerKind::TRIGGER_CHARACTER)
        .and_then(|c| c.trigger_character)
        .and_then(|t| t.chars().next());
    b.at_position(&p.text_document.uri, p.position, |s, offset| {
        let items = ide::completions(s.a, offset, s.g, trigger)
            .into_iter()
            .map(|i| to_proto::completion(i, &s.lines, snippets, inline_docs))
            .collect();
        Some(CompletionResponse::List(CompletionList { is_incomplete: false, items }))
    })
    .await
}

pub fn resolve(item: CompletionItem) -> CompletionItem {
    to_proto::resolve(item)
}
