//! `textDocument/hover` and `textDocument/signatureHelp`.

use nixos_test_analysis::ide;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use crate::server::Backend;
use crate::to_proto;

pub async fn hover(b: &Backend, params: HoverParams) -> Result<Option<Hover>> {
    let p = params.text_document_position_params;
    let ty = b.0.ty_version.get().map(|v| format!("\n\n---\nType check: {v}, as the NixOS build runs it"));
    let driver = b.0.docs.get(&p.text_document.uri).map(|d| d.path.clone()).map(|path| b.config_for(&path).generation_note());
    let footer = format!("{}{}", driver.map(|d| format!("\n\n---\nChecked against the {d}")).unwrap_or_default(), ty.unwrap_or_default());
    b.at_position(&p.text_document.uri, p.position, |s, offset| {
        ide::hover(s.a, offset, s.g).map(|h| to_proto::hover(h, Some(&footer), &s.lines))
    })
    .await
}

pub async fn signature_help(b: &Backend, params: SignatureHelpParams) -> Result<Option<SignatureHelp>> {
    let p = params.text_document_position_params;
    b.at_position(&p.text_document.uri, p.position, |s, offset| ide::signature_help(s.a, offset, s.g).map(to_proto::signature_help)).await
}
