//! `textDocument/codeAction`: the fixes the diagnostics carry in their
//! `data` (read back, not computed again), `# noqa` and the migration to
//! fixture mode, and `source.fixAll`.

use nixos_test_analysis::ide;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use crate::documents::Need;
use crate::server::Backend;
use crate::{from_proto, to_proto};

pub async fn code_action(b: &Backend, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
    let fixes: Vec<CodeActionOrCommand> = params.context.diagnostics.iter().filter_map(to_proto::fix_action).collect();
    let config = b.0.docs.get(&params.text_document.uri).map(|d| d.path.clone()).map(|p| b.config_for(&p));
    let module = config.as_ref().and_then(|c| c.settings.fixtures_module.clone());
    b.with_analysis(&params.text_document.uri, Need::Full, |s| {
        let range = from_proto::text_range(&s.lines, params.range);
        let assists = ide::code_actions(s.a, range, module.as_deref()).into_iter().chain(ide::fix_all(s.a));
        Some(fixes.into_iter().chain(assists.map(|act| to_proto::code_action(act, s.a, s.uri, s.enc))).collect())
    })
    .await
}
