//! The server's state (documents, analyses cached per version,
//! configurations, runs, type-check results) and scheduling, and the
//! `LanguageServer` entry points, each handing over to its handler in
//! [`crate::handlers`] or [`crate::run`].

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use dashmap::DashMap;
use nixos_test_analysis::driver_api::Generation;
use nixos_test_analysis::line_index::Encoding;
use nixos_test_analysis::nix::FileLoader;
use nixos_test_analysis::{Analysis, CONFIG_FILE_NAMES, Config};
use nixos_test_fs::DiskLoader;
use serde_json::{Value, json};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::documents::{Document, Need, analyze_guarded};
use crate::handlers::{code_actions, completion, diagnostics, hover, navigation, symbols};
use crate::lsp_ext::{RUN_COMMAND, RunArgs};
use crate::run::RunningTest;
use crate::typecheck::TypeChecker;
use crate::{capabilities, from_proto, to_proto};

/// How long diagnostics wait for typing to pause.
const DEBOUNCE: Duration = Duration::from_millis(60);

pub struct Session {
    pub encoding: Encoding,
    pub snippets: bool,
    /// The client takes `window/workDoneProgress/create`.
    pub progress: bool,
    /// `initializationOptions.typeCheck`: run the build's type check.
    pub type_check: bool,
    /// `initializationOptions.ty`: the ty executable.
    pub ty: Option<String>,
    /// The client takes change annotations in workspace edits.
    pub annotations: bool,
    /// The client registers file watchers dynamically.
    pub watch: bool,
    /// `initializationOptions.nixSyntaxErrors` (default true): `false` when
    /// a Nix language server (nil, nixd) already reports them.
    pub nix_syntax_errors: bool,
    /// The client resolves completion documentation lazily
    /// (`completionItem/resolve`); otherwise it is sent inline.
    pub resolve_docs: bool,
    /// The client pulls diagnostics: none are pushed.
    pub pull: bool,
    /// The workspace folders (for `workspace/diagnostic`).
    pub roots: Vec<String>,
    /// `initializationOptions.settings`: what an editor's settings say
    /// (`driver`, `select`, `ignore`, ...), used where no
    /// `nixos-test-lint.toml` applies (the file takes precedence).
    pub settings: Option<nixos_test_analysis::Settings>,
}

pub struct Inner {
    pub client: Client,
    pub docs: DashMap<Uri, Document>,
    configs: DashMap<PathBuf, Arc<Config>>,
    pub session: RwLock<Session>,
    /// Failures of the last run of each file, shown beside the lint findings.
    pub run_failures: DashMap<Uri, Vec<Diagnostic>>,
    /// Runs in progress: progress token → runner (for cancellation, and
    /// for one run per test at a time).
    pub runs: DashMap<String, RunningTest>,
    /// `shutdown` was received (then `exit` ends the process with 0).
    shut_down: std::sync::atomic::AtomicBool,
    /// The build's type check (opt-in), and its findings per document
    /// version; told once when ty is missing.
    typecheck: Option<TypeChecker>,
    pub ty_found: DashMap<Uri, (i32, Vec<nixos_test_analysis::diagnostics::Diagnostic>)>,
    /// The version each document's running check is of.
    ty_pending: DashMap<Uri, i32>,
    /// Per document, the other files (read with `readFile`) it last
    /// published diagnostics for.
    pub published: DashMap<Uri, Vec<Uri>>,
    ty_missing_told: std::sync::atomic::AtomicBool,
    /// `ty --version` of the ty in use, once known (shown in hover).
    pub ty_version: std::sync::OnceLock<String>,
}

#[derive(Clone)]
pub struct Backend(pub Arc<Inner>);

pub fn internal(message: impl Into<String>) -> Error {
    Error { code: ErrorCode::InternalError, message: message.into().into(), data: None }
}

/// Reads `builtins.readFile` targets: where the disk loader allows (inside
/// the test's repository, regular files only), from the open document if
/// there is one, else from disk.
struct Loader {
    backend: Backend,
    disk: DiskLoader,
}

impl FileLoader for Loader {
    fn read(&self, base: &str, rel: &str) -> std::result::Result<(String, String), String> {
        let path = self.disk.resolve(base, rel)?;
        let display = path.display().to_string();
        if let Some(uri) = to_proto::uri_of_path(&display)
            && let Some(doc) = self.backend.0.docs.get(&uri)
        {
            return Ok((display, doc.text.clone()));
        }
        DiskLoader::read_resolved(&path).map(|t| (display, t))
    }
}

impl Backend {
    pub fn new(client: Client) -> Backend {
        Backend(Arc::new(Inner {
            client,
            docs: DashMap::new(),
            configs: DashMap::new(),
            session: RwLock::new(Session {
                encoding: Encoding::Utf16,
                snippets: false,
                progress: false,
                type_check: false,
                ty: None,
                resolve_docs: false,
                annotations: false,
                watch: false,
                nix_syntax_errors: true,
                settings: None,
                pull: false,
                roots: Vec::new(),
            }),
            run_failures: DashMap::new(),
            runs: DashMap::new(),
            shut_down: std::sync::atomic::AtomicBool::new(false),
            typecheck: TypeChecker::new().map_err(|e| tracing::warn!("no type check: {e}")).ok(),
            ty_found: DashMap::new(),
            ty_pending: DashMap::new(),
            published: DashMap::new(),
            ty_missing_told: std::sync::atomic::AtomicBool::new(false),
            ty_version: std::sync::OnceLock::new(),
        }))
    }

    /// Runs the build's type check on `a` when it is enabled, then publishes
    /// again with its findings (if `version` is still current).
    pub fn type_check(&self, uri: Uri, version: i32, a: Arc<Analysis>) {
        let (from_client, client_ty) = self.0.session.read().map(|s| (s.type_check, s.ty.clone())).unwrap_or_default();
        let config = self.config_for(&a.path);
        if !(from_client || config.settings.type_check) || self.0.typecheck.is_none() {
            return;
        }
        let Some(ty) = crate::typecheck::find_ty(client_ty.as_deref(), config.settings.ty.as_deref()) else {
            if !self.0.ty_missing_told.swap(true, std::sync::atomic::Ordering::SeqCst) {
                let client = self.0.client.clone();
                tokio::spawn(async move {
                    client
                        .show_message(
                            MessageType::WARNING,
                            "nixos-test-lsp: the type check is on but ty was not found (pip install ty, or set `ty`)",
                        )
                        .await;
                });
            }
            return;
        };
        // One check per document version, however often it is asked for
        // (a pulling client asks on every request until the answer is in).
        if self.0.ty_found.get(&uri).is_some_and(|f| f.0 == version) || self.0.ty_pending.insert(uri.clone(), version) == Some(version) {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            let Some(checker) = this.0.typecheck.as_ref() else { return };
            if this.0.ty_version.get().is_none()
                && let Ok(out) = tokio::process::Command::new(&ty).arg("--version").output().await
            {
                let _ = this.0.ty_version.set(String::from_utf8_lossy(&out.stdout).trim().to_string());
            }
            match checker.check(&a, &config, &ty).await {
                Ok(found) if this.is_current(&uri, version) => {
                    this.0.ty_found.insert(uri.clone(), (version, found));
                    Box::pin(this.diagnostics_changed(&uri)).await;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!("type check: {e}"),
            }
            this.0.ty_pending.remove_if(&uri, |_, v| *v == version);
        });
    }

    /// Ends the server when the client's process is gone (the protocol's
    /// `processId`), even if nobody closes its stdin: runs are stopped first.
    fn watch_client(&self, pid: u32) {
        let Some(pid) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) else { return };
        let this = self.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_secs(1)).await;
                if rustix::process::test_kill_process(pid).is_err_and(|e| e == rustix::io::Errno::SRCH) {
                    tracing::warn!("the client (pid {}) is gone: exiting", pid.as_raw_nonzero());
                    this.stop_runs(Duration::from_secs(10)).await;
                    std::process::exit(1);
                }
            }
        });
    }

    /// A file changed (saved, or changed on disk): a configuration file
    /// changes how every document is checked; another file changes the
    /// tests that read it (`builtins.readFile`).
    fn file_changed(&self, uri: &Uri, delay: Duration) {
        let is_config = CONFIG_FILE_NAMES.iter().any(|n| uri.as_str().ends_with(&format!("/{n}")));
        if is_config {
            self.0.configs.clear();
        }
        let path = uri.to_file_path().map(|p| p.display().to_string());
        let reads = |a: &Analysis| a.file.tests.iter().any(|t| t.script.read_files.iter().any(|f| Some(&f.path) == path.as_ref()));
        let affected: Vec<(Uri, i32)> = self
            .0
            .docs
            .iter_mut()
            .filter(|d| d.key() != uri)
            .filter_map(|mut d| {
                let hit = is_config || d.analysis.as_ref().or(d.model.as_ref()).is_some_and(|(_, a)| reads(a));
                hit.then(|| {
                    d.analysis = None;
                    d.model = None;
                    (d.key().clone(), d.version)
                })
            })
            .collect();
        for (uri, v) in affected {
            self.schedule(uri, v, delay);
        }
    }

    /// Whether `shutdown` came before the end of the session.
    pub fn was_shut_down(&self) -> bool {
        self.0.shut_down.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn encoding(&self) -> Encoding {
        self.0.session.read().map_or(Encoding::Utf16, |s| s.encoding)
    }

    /// The configuration for a file: the nearest `nixos-test-lint.toml`
    /// up to the repository root, as the CLI finds it, else the editor's
    /// settings. A broken one is shown to the user once and the defaults
    /// are used meanwhile.
    pub fn config_for(&self, path: &str) -> Arc<Config> {
        let dir = Path::new(path).parent().map(Path::to_path_buf).unwrap_or_default();
        if let Some(c) = self.0.configs.get(&dir) {
            return c.clone();
        }
        // Unreadable, not TOML, or with an unknown rule selector: all said.
        let loaded = nixos_test_fs::find_config(&dir).map(|p| {
            let mut settings = nixos_test_fs::load_settings(&p).map_err(|e| e.to_string())?;
            nixos_test_fs::settle_generation(&mut settings, &dir);
            Config::new(settings).map_err(|e| format!("{}: {e}", p.display()))
        });
        let config = match loaded {
            Some(Ok(c)) => c,
            None => {
                let mut settings = self.0.session.read().ok().and_then(|s| s.settings.clone()).unwrap_or_default();
                if settings.driver.is_some() {
                    settings.driver_origin = Some("editor settings".into());
                }
                nixos_test_fs::settle_generation(&mut settings, &dir);
                Config::new(settings).unwrap_or_default()
            }
            Some(Err(e)) => {
                tracing::warn!("{e}");
                let client = self.0.client.clone();
                tokio::spawn(async move {
                    client.show_message(MessageType::WARNING, format!("nixos-test-lsp: configuration not used: {e}")).await;
                });
                Config::default()
            }
        };
        let config = Arc::new(config);
        self.0.configs.insert(dir, config.clone());
        config
    }

    /// The analysis of the document's current text (cached per version).
    pub async fn analysis(&self, uri: &Uri, need: Need) -> Result<Option<(Arc<Analysis>, Generation)>> {
        let (path, text, version) = {
            let Some(doc) = self.0.docs.get(uri) else { return Ok(None) };
            if !doc.may_hold_tests() {
                return Ok(None);
            }
            if let Some(a) = doc.cached(need) {
                return Ok(Some((a, self.config_for(&doc.path).generation())));
            }
            (doc.path.clone(), doc.text.clone(), doc.version)
        };
        let config = self.config_for(&path);
        let generation = config.generation();
        let loader = Loader { backend: self.clone(), disk: DiskLoader::new(&config.settings.read_roots) };
        let result = tokio::task::spawn_blocking(move || analyze_guarded(&path, &text, &loader, &config, need))
            .await
            .map_err(|e| internal(e.to_string()))?;
        let analysis = Arc::new(result.map_err(internal)?);
        let mut replaced = None;
        if let Some(mut doc) = self.0.docs.get_mut(uri)
            && doc.version == version
        {
            let slot = match need {
                Need::Full => &mut doc.analysis,
                Need::Model => &mut doc.model,
            };
            replaced = slot.replace((version, analysis.clone()));
        }
        // Freeing a large tree takes a while: not on the request's path.
        if replaced.is_some() {
            tokio::task::spawn_blocking(move || drop(replaced));
        }
        Ok(Some((analysis, generation)))
    }

    /// Whether `version` is still the open document's current one: results
    /// for closed documents and old versions are dropped, never published.
    pub fn is_current(&self, uri: &Uri, version: i32) -> bool {
        self.0.docs.get(uri).is_some_and(|d| d.version == version)
    }

    /// Diagnostics of `uri` changed without an edit (a run ended, ty
    /// answered, a file it reads changed): pushed again, or the client is
    /// asked to pull again.
    pub async fn diagnostics_changed(&self, uri: &Uri) {
        if self.0.session.read().is_ok_and(|s| s.pull) {
            if let Err(e) = self.0.client.workspace_diagnostic_refresh().await {
                tracing::warn!("diagnostic refresh refused: {}", e.message);
            }
            return;
        }
        let version = self.0.docs.get(uri).map(|d| d.version);
        if let Some(v) = version {
            diagnostics::publish(self, uri.clone(), v).await;
        }
    }

    /// Publishes diagnostics once typing pauses for [`DEBOUNCE`].
    fn schedule(&self, uri: Uri, version: i32, delay: Duration) {
        if self.0.session.read().is_ok_and(|s| s.pull) {
            // The client pulls when it wants them.
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let current = this.0.docs.get(&uri).map(|d| d.version);
            if current == Some(version) {
                diagnostics::publish(&this, uri, version).await;
            }
        });
    }

    /// Answers a request whose body was not JSON (see `transport`).
    pub async fn malformed(&self, _params: Value) -> Result<Value> {
        Err(Error::parse_error())
    }

    /// Answers a request that was JSON but not JSON-RPC (see `transport`).
    pub async fn invalid(&self, _params: Value) -> Result<Value> {
        Err(Error::invalid_request())
    }

    /// Answers a `$/` request the server does not know (see `transport`).
    pub async fn unknown(&self, _params: Value) -> Result<Value> {
        Err(Error::method_not_found())
    }

    /// [`crate::lsp_ext::ShowScript`].
    pub async fn show_script(&self, params: TextDocumentPositionParams) -> Result<Option<crate::lsp_ext::ShownScript>> {
        self.at_position(&params.text_document.uri, params.position, |s, offset| {
            let test = s.a.file.test_at(offset).or_else(|| s.a.file.tests.first())?;
            Some(crate::lsp_ext::ShownScript { test: test.name.clone(), script: test.script.text.clone() })
        })
        .await
    }

    /// [`crate::lsp_ext::DriverGeneration`].
    pub async fn driver_generation(&self, params: TextDocumentIdentifier) -> Result<Option<crate::lsp_ext::GenerationInfo>> {
        let Some(path) = self.0.docs.get(&params.uri).map(|d| d.path.clone()) else { return Ok(None) };
        let config = self.config_for(&path);
        Ok(Some(crate::lsp_ext::GenerationInfo { label: config.generation().label().to_string(), note: config.generation_note() }))
    }

    /// [`crate::lsp_ext::DocumentText`].
    pub async fn document_text(&self, params: TextDocumentIdentifier) -> Result<Option<String>> {
        Ok(self.0.docs.get(&params.uri).map(|d| d.text.clone()))
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let encoding = capabilities::encoding(&params);
        let snippets = params
            .capabilities
            .text_document
            .as_ref()
            .and_then(|t| t.completion.as_ref())
            .and_then(|c| c.completion_item.as_ref())
            .and_then(|i| i.snippet_support)
            .unwrap_or(false);
        let progress = params.capabilities.window.as_ref().and_then(|w| w.work_done_progress).unwrap_or(false);
        let pull = capabilities::pulls_diagnostics(&params);
        let options = params.initialization_options.unwrap_or_default();
        let type_check = options.get("typeCheck").and_then(Value::as_bool).unwrap_or(false);
        let ty = options.get("ty").and_then(Value::as_str).map(String::from);
        let nix_syntax_errors = options.get("nixSyntaxErrors").and_then(Value::as_bool).unwrap_or(true);
        // Settings the server cannot use are said, not ignored silently.
        let settings = match options.get("settings").filter(|v| v.as_object().is_some_and(|o| !o.is_empty())) {
            None => None,
            Some(v) => match serde_json::from_value::<nixos_test_analysis::Settings>(v.clone()) {
                Ok(settings) => Some(settings),
                Err(e) => {
                    let client = self.0.client.clone();
                    tokio::spawn(async move {
                        client.show_message(MessageType::WARNING, format!("nixos-test-lsp: editor settings not used: {e}")).await;
                    });
                    None
                }
            },
        };
        let resolve_docs = params
            .capabilities
            .text_document
            .as_ref()
            .and_then(|t| t.completion.as_ref())
            .and_then(|c| c.completion_item.as_ref())
            .and_then(|i| i.resolve_support.as_ref())
            .is_some_and(|r| r.properties.iter().any(|p| p == "documentation"));
        let annotations = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.workspace_edit.as_ref())
            .and_then(|e| e.change_annotation_support.as_ref())
            .is_some();
        let watch = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false);
        if let Some(pid) = params.process_id {
            self.watch_client(pid);
        }
        #[allow(deprecated)] // rootUri: older clients send only that.
        let mut roots: Vec<String> = params
            .workspace_folders
            .unwrap_or_default()
            .iter()
            .map(|f| from_proto::path(&f.uri))
            .chain(params.root_uri.iter().map(from_proto::path))
            .collect();
        roots.dedup();
        if let Ok(mut s) = self.0.session.write() {
            *s = Session {
                encoding,
                snippets,
                progress,
                type_check,
                ty,
                resolve_docs,
                annotations,
                watch,
                nix_syntax_errors,
                pull,
                roots,
                settings,
            };
        }
        Ok(InitializeResult {
            capabilities: capabilities::server(encoding),
            server_info: Some(ServerInfo { name: "nixos-test-lsp".into(), version: Some(env!("CARGO_PKG_VERSION").into()) }),
            ..Default::default()
        })
    }

    async fn shutdown(&self) -> Result<()> {
        self.0.shut_down.store(true, std::sync::atomic::Ordering::SeqCst);
        self.stop_runs(Duration::from_secs(10)).await;
        Ok(())
    }

    async fn initialized(&self, _: InitializedParams) {
        // Configuration files and the `.py` files tests read change on disk
        // too (a checkout, another editor): watch them where the client can.
        if self.0.session.read().is_ok_and(|s| s.watch) {
            let watchers: Vec<Value> =
                ["**/nixos-test-lint.toml", "**/.nixos-test-lint.toml", "**/*.py"].iter().map(|g| json!({ "globPattern": g })).collect();
            let registration = Registration {
                id: "nixos-test-lsp-watch".into(),
                method: "workspace/didChangeWatchedFiles".into(),
                register_options: Some(json!({ "watchers": watchers })),
            };
            // Not awaited here: nothing else waits for the client's answer.
            let client = self.0.client.clone();
            tokio::spawn(async move {
                if let Err(e) = client.register_capability(vec![registration]).await {
                    tracing::warn!("cannot watch files: {}", e.message);
                }
            });
        }
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let d = params.text_document;
        self.0.docs.insert(d.uri.clone(), Document::new(from_proto::path(&d.uri), d.text, d.version));
        self.schedule(d.uri, d.version, Duration::ZERO);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let version = params.text_document.version;
        let changes = params.content_changes.into_iter().map(from_proto::change).collect();
        let enc = self.encoding();
        if let Some(mut doc) = self.0.docs.get_mut(&uri) {
            doc.apply(changes, version, enc);
        }
        // A run's failures point at lines of the text that ran: after an
        // edit they would point at the wrong lines, so they go.
        self.0.run_failures.remove(&uri);
        // A `.py` a test reads, edited here: that test is checked again too.
        self.file_changed(&uri, DEBOUNCE);
        self.schedule(uri, version, DEBOUNCE);
    }

    async fn did_save(&self, params: DidSaveTextDocumentParams) {
        self.file_changed(&params.text_document.uri, Duration::ZERO);
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        for change in params.changes {
            self.file_changed(&change.uri, Duration::ZERO);
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        self.0.docs.remove(&uri);
        self.0.ty_found.remove(&uri);
        if self.0.session.read().is_ok_and(|s| s.pull) {
            return;
        }
        for other in self.0.published.remove(&uri).map(|(_, v)| v).unwrap_or_default() {
            self.0.client.publish_diagnostics(other, Vec::new(), None).await;
        }
        self.0.client.publish_diagnostics(uri, Vec::new(), None).await;
    }

    async fn diagnostic(&self, params: DocumentDiagnosticParams) -> Result<DocumentDiagnosticReportResult> {
        diagnostics::document(self, params).await
    }

    async fn workspace_diagnostic(&self, params: WorkspaceDiagnosticParams) -> Result<WorkspaceDiagnosticReportResult> {
        diagnostics::workspace(self, params).await
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        completion::completion(self, params).await
    }

    async fn completion_resolve(&self, item: CompletionItem) -> Result<CompletionItem> {
        Ok(completion::resolve(item))
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        hover::hover(self, params).await
    }

    async fn signature_help(&self, params: SignatureHelpParams) -> Result<Option<SignatureHelp>> {
        hover::signature_help(self, params).await
    }

    async fn goto_definition(&self, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        navigation::definition(self, params).await
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        navigation::references(self, params).await
    }

    async fn document_highlight(&self, params: DocumentHighlightParams) -> Result<Option<Vec<DocumentHighlight>>> {
        navigation::document_highlight(self, params).await
    }

    async fn prepare_rename(&self, params: TextDocumentPositionParams) -> Result<Option<PrepareRenameResponse>> {
        navigation::prepare_rename(self, params).await
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        navigation::rename(self, params).await
    }

    async fn document_symbol(&self, params: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        symbols::document_symbol(self, params).await
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        symbols::folding_range(self, params).await
    }

    async fn semantic_tokens_full(&self, params: SemanticTokensParams) -> Result<Option<SemanticTokensResult>> {
        symbols::semantic_tokens_full(self, params).await
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        code_actions::code_action(self, params).await
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        symbols::code_lens(self, params).await
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<Value>> {
        if params.command != RUN_COMMAND {
            return Err(Error::method_not_found());
        }
        let args: Option<RunArgs> = params.arguments.into_iter().next().and_then(|a| serde_json::from_value(a).ok());
        let Some(args) = args else {
            return Err(Error::invalid_params("nixos-test.run takes { file, attr?, function? }"));
        };
        let result = self.run_command(args, params.work_done_progress_params.work_done_token).await?;
        Ok(Some(json!(result)))
    }
}
