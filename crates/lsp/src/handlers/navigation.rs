//! Definition, references, document highlight and rename (with
//! `prepareRename`), across the Nix file and the script.

use nixos_test_analysis::ide;
use nixos_test_analysis::source_map::FileId;
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;

use crate::server::Backend;
use crate::to_proto;

pub async fn definition(b: &Backend, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
    let p = params.text_document_position_params;
    b.at_position(&p.text_document.uri, p.position, |s, offset| {
        let links: Vec<LocationLink> = ide::definition(s.a, offset).iter().map(|t| to_proto::location_link(t, s.uri, &s.lines)).collect();
        (!links.is_empty()).then_some(GotoDefinitionResponse::Link(links))
    })
    .await
}

pub async fn references(b: &Backend, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
    let p = params.text_document_position;
    b.at_position(&p.text_document.uri, p.position, |s, offset| {
        let locs: Vec<Location> = ide::references(s.a, offset).iter().filter_map(|r| to_proto::location(s.a, s.uri, r, s.enc)).collect();
        (!locs.is_empty()).then_some(locs)
    })
    .await
}

pub async fn document_highlight(b: &Backend, params: DocumentHighlightParams) -> Result<Option<Vec<DocumentHighlight>>> {
    let p = params.text_document_position_params;
    b.at_position(&p.text_document.uri, p.position, |s, offset| {
        let found: Vec<DocumentHighlight> = ide::references(s.a, offset)
            .into_iter()
            .filter(|r| r.file == FileId::Nix)
            .map(|r| DocumentHighlight { range: s.lines.range(r.range), kind: None })
            .collect();
        (!found.is_empty()).then_some(found)
    })
    .await
}

pub async fn prepare_rename(b: &Backend, params: TextDocumentPositionParams) -> Result<Option<PrepareRenameResponse>> {
    b.at_position(&params.text_document.uri, params.position, |s, offset| {
        ide::prepare_rename(s.a, offset)
            .map(|(range, placeholder)| PrepareRenameResponse::RangeWithPlaceholder { range: s.lines.range(range), placeholder })
    })
    .await
}

pub async fn rename(b: &Backend, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
    let p = params.text_document_position;
    let annotations = b.0.session.read().is_ok_and(|s| s.annotations);
    let found = b
        .at_position(&p.text_document.uri, p.position, |s, offset| {
            let edits = ide::rename(s.a, offset, &params.new_name, s.g).map(|e| to_proto::workspace_edit(s.a, s.uri, &e, s.enc));
            let strings = ide::host_name_in_strings(s.a, offset, &params.new_name);
            let strings = (!strings.is_empty()).then(|| to_proto::workspace_edit(s.a, s.uri, &strings, s.enc));
            Some((edits, strings))
        })
        .await?;
    let Some((edits, strings)) = found else { return Ok(None) };
    let mut edit = edits.map_err(|msg| Error { code: ErrorCode::InvalidParams, message: msg.into(), data: None })?;
    if let Some(strings) = strings {
        if annotations {
            // The host name in strings is offered apart, for the user to
            // confirm in the editor's preview.
            edit = to_proto::with_confirmed(edit, strings, "host-name", "The old host name in string literals (`curl http://…`)");
        } else {
            let n: usize = strings.changes.iter().flat_map(|c| c.values()).map(Vec::len).sum();
            let msg = format!("{n} string literal(s) still mention the old host name; rename them by hand if they mean this node");
            b.0.client.show_message(MessageType::INFO, msg).await;
        }
    }
    Ok(Some(edit))
}
