//! Diagnostics, generated in one place for both ways a client gets them:
//! pushed (`textDocument/publishDiagnostics`, debounced while typing) or
//! pulled (`textDocument/diagnostic`, and `workspace/diagnostic` for every
//! test of the workspace, opened or not). Either way: our findings, ty's
//! when the type check is on, the last run's failures, and the `.py` files
//! a test reads as related documents.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use nixos_test_analysis::Analysis;
use nixos_test_analysis::{Config, lint};
use nixos_test_fs::DiskLoader;
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use crate::documents::Need;
use crate::server::Backend;
use crate::to_proto;

/// Every diagnostic of an open document's analysis `a`, by file.
pub fn generate(b: &Backend, uri: &Uri, version: i32, a: &Analysis) -> HashMap<Uri, Vec<Diagnostic>> {
    let found = b.0.ty_found.get(uri).filter(|f| f.0 == version).map(|f| f.1.clone());
    let mut all = match found {
        Some(found) => std::borrow::Cow::Owned(nixos_test_analysis::typecheck::merged(&a.diagnostics, found)),
        None => std::borrow::Cow::Borrowed(a.diagnostics.as_slice()),
    };
    if !b.0.session.read().is_ok_and(|s| s.nix_syntax_errors) {
        all.to_mut().retain(|d| d.code != "NT003");
    }
    let mut by_file = to_proto::diagnostics(a, &all, uri, b.encoding());
    for (u, diags) in &mut by_file {
        if let Some(failures) = b.0.run_failures.get(u) {
            diags.extend(failures.iter().cloned());
        }
    }
    by_file
}

/// Pushes the diagnostics of `uri`'s current version (the client does not
/// pull them).
pub async fn publish(b: &Backend, uri: Uri, version: i32) {
    let result = b.analysis(&uri, Need::Full).await;
    if !b.is_current(&uri, version) {
        return;
    }
    match result {
        Ok(Some((a, _))) => {
            let mut by_file = generate(b, &uri, version, &a);
            // Files read by the test that had findings and have none now
            // are cleared, not left stale.
            let now: Vec<Uri> = by_file.keys().filter(|u| **u != uri).cloned().collect();
            let before = b.0.published.insert(uri.clone(), now).unwrap_or_default();
            for gone in before {
                by_file.entry(gone).or_default();
            }
            for (u, diags) in by_file {
                let v = (u == uri).then_some(version);
                b.0.client.publish_diagnostics(u, diags, v).await;
            }
            b.type_check(uri, version, a);
        }
        Ok(None) => b.0.client.publish_diagnostics(uri, Vec::new(), Some(version)).await,
        Err(e) => tracing::error!("diagnostics failed: {}", e.message),
    }
}

/// An id for a set of diagnostics: the same id means nothing changed.
fn result_id(diags: &[Diagnostic]) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_string(diags).unwrap_or_default().hash(&mut h);
    format!("{:016x}", h.finish())
}

fn report(diags: Vec<Diagnostic>, previous: Option<&str>) -> DocumentDiagnosticReportKind {
    let id = result_id(&diags);
    if previous == Some(id.as_str()) {
        return DocumentDiagnosticReportKind::Unchanged(UnchangedDocumentDiagnosticReport { result_id: id });
    }
    DocumentDiagnosticReportKind::Full(FullDocumentDiagnosticReport { result_id: Some(id), items: diags })
}

/// An open document's current version, its analysis and its diagnostics
/// by file (`None` when it is not open or holds no test).
async fn open_document(b: &Backend, uri: &Uri) -> Result<Option<(i32, Arc<Analysis>, HashMap<Uri, Vec<Diagnostic>>)>> {
    let Some(version) = b.0.docs.get(uri).map(|d| d.version) else { return Ok(None) };
    let Some((a, _)) = b.analysis(uri, Need::Full).await? else { return Ok(None) };
    let by_file = generate(b, uri, version, &a);
    Ok(Some((version, a, by_file)))
}

/// `textDocument/diagnostic`: the document's diagnostics, and those of the
/// files its tests read as related documents.
pub async fn document(b: &Backend, params: DocumentDiagnosticParams) -> Result<DocumentDiagnosticReportResult> {
    let uri = params.text_document.uri;
    let mut by_file = match open_document(b, &uri).await? {
        Some((v, a, by_file)) => {
            b.type_check(uri.clone(), v, a);
            by_file
        }
        None => HashMap::new(),
    };
    let own = by_file.remove(&uri).unwrap_or_default();
    let related: HashMap<Uri, DocumentDiagnosticReportKind> = by_file.into_iter().map(|(u, d)| (u, report(d, None))).collect();
    let report = match report(own, params.previous_result_id.as_deref()) {
        DocumentDiagnosticReportKind::Full(full_document_diagnostic_report) => {
            DocumentDiagnosticReport::Full(RelatedFullDocumentDiagnosticReport {
                related_documents: (!related.is_empty()).then_some(related),
                full_document_diagnostic_report,
            })
        }
        DocumentDiagnosticReportKind::Unchanged(unchanged_document_diagnostic_report) => {
            DocumentDiagnosticReport::Unchanged(RelatedUnchangedDocumentDiagnosticReport {
                related_documents: (!related.is_empty()).then_some(related),
                unchanged_document_diagnostic_report,
            })
        }
    };
    Ok(DocumentDiagnosticReportResult::Report(report))
}

/// `workspace/diagnostic`: every test file under the workspace folders.
/// Open documents are reported from the editor's text; the others are read
/// from disk (regular files inside the workspace only, bounded) and linted.
pub async fn workspace(b: &Backend, params: WorkspaceDiagnosticParams) -> Result<WorkspaceDiagnosticReportResult> {
    let roots: Vec<String> = b.0.session.read().map(|s| s.roots.clone()).unwrap_or_default();
    let previous: HashMap<Uri, String> = params.previous_result_ids.into_iter().map(|p| (p.uri, p.value)).collect();
    let open: Vec<Uri> = b.0.docs.iter().map(|d| d.key().clone()).collect();
    let enc = b.encoding();
    let mut items = Vec::new();
    for uri in &open {
        let Some((v, _, mut by_file)) = open_document(b, uri).await? else { continue };
        let own = by_file.remove(uri).unwrap_or_default();
        items.push(item(uri.clone(), Some(v.into()), own, previous.get(uri)));
    }
    // Files on disk: found and linted off the async threads.
    let configs = b.clone();
    let on_disk = tokio::task::spawn_blocking(move || {
        let found = nixos_test_fs::discover::inputs(&roots);
        let mut out: Vec<(String, Analysis)> = Vec::new();
        for input in found.files {
            let path = input.path.display().to_string();
            if to_proto::uri_of_path(&path).is_some_and(|u| open.contains(&u)) {
                continue;
            }
            let Ok(text) = nixos_test_fs::read_text(&input.path, nixos_test_fs::MAX_FILE_BYTES) else { continue };
            if !nixos_test_fs::discover::may_hold_test(text.as_bytes()) {
                continue;
            }
            let config: Arc<Config> = configs.config_for(&path);
            let loader = DiskLoader::new(&config.settings.read_roots);
            let a = crate::documents::guarded(&path, || lint(&path, &text, &loader, &config));
            if let Ok(a) = a {
                out.push((path, a));
            }
        }
        out
    })
    .await
    .map_err(|e| crate::server::internal(e.to_string()))?;
    for (path, a) in on_disk {
        let Some(uri) = to_proto::uri_of_path(&path) else { continue };
        let mut by_file = to_proto::diagnostics(&a, &a.diagnostics, &uri, enc);
        let own = by_file.remove(&uri).unwrap_or_default();
        let prev = previous.get(&uri);
        items.push(item(uri.clone(), None, own, prev));
    }
    Ok(WorkspaceDiagnosticReportResult::Report(WorkspaceDiagnosticReport { items }))
}

fn item(uri: Uri, version: Option<i64>, diags: Vec<Diagnostic>, previous: Option<&String>) -> WorkspaceDocumentDiagnosticReport {
    match report(diags, previous.map(String::as_str)) {
        DocumentDiagnosticReportKind::Full(full_document_diagnostic_report) => {
            WorkspaceDocumentDiagnosticReport::Full(WorkspaceFullDocumentDiagnosticReport { uri, version, full_document_diagnostic_report })
        }
        DocumentDiagnosticReportKind::Unchanged(unchanged_document_diagnostic_report) => {
            WorkspaceDocumentDiagnosticReport::Unchanged(WorkspaceUnchangedDocumentDiagnosticReport {
                uri,
                version,
                unchanged_document_diagnostic_report,
            })
        }
    }
}
