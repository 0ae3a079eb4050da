//! The outline: document symbols, folding ranges, semantic tokens, and the
//! Run lenses.

use nixos_test_analysis::ide;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use crate::documents::Need;
use crate::server::Backend;
use crate::to_proto;

pub async fn document_symbol(b: &Backend, params: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
    b.with_analysis(&params.text_document.uri, Need::Model, |s| {
        Some(DocumentSymbolResponse::Nested(ide::symbols(s.a).into_iter().map(|x| to_proto::symbol(x, &s.lines)).collect()))
    })
    .await
}

pub async fn folding_range(b: &Backend, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
    b.with_analysis(&params.text_document.uri, Need::Model, |s| {
        Some(ide::folding_ranges(s.a).iter().filter_map(|f| to_proto::folding_range(f, &s.lines)).collect())
    })
    .await
}

pub async fn semantic_tokens_full(b: &Backend, params: SemanticTokensParams) -> Result<Option<SemanticTokensResult>> {
    b.with_analysis(&params.text_document.uri, Need::Model, |s| {
        let data = to_proto::semantic_tokens(&ide::semantic_tokens(s.a), &s.lines);
        Some(SemanticTokensResult::Tokens(SemanticTokens { result_id: None, data }))
    })
    .await
}

pub async fn code_lens(b: &Backend, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
    b.with_analysis(&params.text_document.uri, Need::Model, |s| {
        Some(ide::runnables(s.a).into_iter().map(|r| to_proto::run_lens(r, s.a, s.uri, &s.lines)).collect())
    })
    .await
}
