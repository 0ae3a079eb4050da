//! The LSP handlers. Each one finds the document, gets the analysis of its
//! current version (computed off the event loop, panics contained), asks the
//! IDE layer, and converts.

use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use dashmap::DashMap;
use nixos_test_analysis::driver_api::Generation;
use nixos_test_analysis::ide;
use nixos_test_analysis::line_index::Encoding;
use nixos_test_analysis::nix::FileLoader;
use nixos_test_analysis::source_map::{FileId, TextRange};
use nixos_test_analysis::{Analysis, CONFIG_FILE_NAMES, Config, Settings};
use nixos_test_fs::DiskLoader;
use serde_json::{Value, json};
use tower_lsp_server::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp_server::ls_types::*;
use tower_lsp_server::{Client, LanguageServer};

use crate::capabilities::{self, RUN_COMMAND};
use crate::convert::{self, Lines};
use crate::documents::{Change, Document, Need, analyze_guarded};
use crate::typecheck::TypeChecker;

/// How long diagnostics wait for typing to pause.
const DEBOUNCE: Duration = Duration::from_millis(60);

struct Session {
    encoding: Encoding,
    snippets: bool,
    /// The client takes `window/workDoneProgress/create`.
    progress: bool,
    /// `initializationOptions.typeCheck`: run the build's type check.
    type_check: bool,
    /// `initializationOptions.ty`: the ty executable.
    ty: Option<String>,
    /// The client takes change annotations in workspace edits.
    annotations: bool,
    /// The client registers file watchers dynamically.
    watch: bool,
    /// `initializationOptions.nixSyntaxErrors` (default true): `false` when
    /// a Nix language server (nil, nixd) already reports them.
    nix_syntax_errors: bool,
    /// The client resolves completion documentation lazily
    /// (`completionItem/resolve`); otherwise it is sent inline.
    resolve_docs: bool,
}

struct Inner {
    client: Client,
    docs: DashMap<Uri, Document>,
    configs: DashMap<PathBuf, Arc<Config>>,
    session: RwLock<Session>,
    /// Failures of the last run of each file, shown beside the lint findings.
    run_failures: DashMap<Uri, Vec<Diagnostic>>,
    /// Runs in progress: progress token → runner (for cancellation, and
    /// for one run per test at a time).
    runs: DashMap<String, RunningTest>,
    /// `shutdown` was received (then `exit` ends the process with 0).
    shut_down: std::sync::atomic::AtomicBool,
    /// The build's type check (opt-in), and its findings per document
    /// version; told once when ty is missing.
    typecheck: Option<TypeChecker>,
    ty_found: DashMap<Uri, (i32, Vec<nixos_test_analysis::diagnostics::Diagnostic>)>,
    /// Per document, the other files (read with `readFile`) it last
    /// published diagnostics for.
    published: DashMap<Uri, Vec<Uri>>,
    ty_missing_told: std::sync::atomic::AtomicBool,
    /// `ty --version` of the ty in use, once known (shown in hover).
    ty_version: std::sync::OnceLock<String>,
}

/// A run in progress: the runner's PID and the test it runs.
struct RunningTest {
    pid: u32,
    /// File, attribute and function, as the lens names them.
    test: String,
}

/// The runner of one run. However the run ends on the server's side (the
/// request cancelled, the server shutting down, the future dropped), the
/// runner gets SIGINT, on which it stops the driver and every VM; SIGKILL
/// would orphan them.
struct RunGuard {
    pid: u32,
    finished: bool,
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        if !self.finished {
            interrupt(self.pid);
        }
    }
}

fn interrupt(pid: u32) {
    if let Some(pid) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::INT);
    }
}

#[derive(Clone)]
pub struct Backend(Arc<Inner>);

fn internal(message: impl Into<String>) -> Error {
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
        if let Some(uri) = convert::uri_of_path(&display)
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
            }),
            run_failures: DashMap::new(),
            runs: DashMap::new(),
            shut_down: std::sync::atomic::AtomicBool::new(false),
            typecheck: TypeChecker::new().map_err(|e| tracing::warn!("no type check: {e}")).ok(),
            ty_found: DashMap::new(),
            published: DashMap::new(),
            ty_missing_told: std::sync::atomic::AtomicBool::new(false),
            ty_version: std::sync::OnceLock::new(),
        }))
    }

    /// Runs the build's type check on `a` when it is enabled, then publishes
    /// again with its findings (if `version` is still current).
    fn type_check(&self, uri: Uri, version: i32, a: Arc<Analysis>) {
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
                    Box::pin(this.publish(uri, version)).await;
                }
                Ok(_) => {}
                Err(e) => tracing::warn!("type check: {e}"),
            }
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

    /// Stops every run (SIGINT to each runner, which stops its driver and
    /// VMs) and waits up to `wait` for them to end.
    pub async fn stop_runs(&self, wait: Duration) {
        for r in self.0.runs.iter() {
            interrupt(r.pid);
        }
        let deadline = tokio::time::Instant::now() + wait;
        while !self.0.runs.is_empty() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn encoding(&self) -> Encoding {
        self.0.session.read().map_or(Encoding::Utf16, |s| s.encoding)
    }

    /// The configuration for a file: the nearest `nixos-test-lint.toml`
    /// up to the repository root, as the CLI finds it. A broken one is
    /// shown to the user once and the defaults are used meanwhile.
    fn config_for(&self, path: &str) -> Arc<Config> {
        let dir = Path::new(path).parent().map(Path::to_path_buf).unwrap_or_default();
        if let Some(c) = self.0.configs.get(&dir) {
            return c.clone();
        }
        let loaded = nixos_test_fs::find_config(&dir).map(|p| nixos_test_fs::load_settings(&p).map_err(|e| e.to_string()));
        let settings = match loaded {
            Some(Ok(s)) => s,
            Some(Err(e)) => {
                tracing::warn!("{e}");
                let client = self.0.client.clone();
                tokio::spawn(async move {
                    client.show_message(MessageType::WARNING, format!("nixos-test-lsp: configuration not used: {e}")).await;
                });
                Settings::default()
            }
            None => Settings::default(),
        };
        let config = Arc::new(Config::new(settings).unwrap_or_default());
        self.0.configs.insert(dir, config.clone());
        config
    }

    /// The analysis of the document's current text (cached per version).
    async fn analysis(&self, uri: &Uri, need: Need) -> Result<Option<(Arc<Analysis>, Generation)>> {
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
    fn is_current(&self, uri: &Uri, version: i32) -> bool {
        self.0.docs.get(uri).is_some_and(|d| d.version == version)
    }

    async fn publish(&self, uri: Uri, version: i32) {
        let result = self.analysis(&uri, Need::Full).await;
        if !self.is_current(&uri, version) {
            return;
        }
        match result {
            Ok(Some((a, _))) => {
                let found = self.0.ty_found.get(&uri).filter(|f| f.0 == version).map(|f| f.1.clone());
                let mut all = match &found {
                    Some(found) => std::borrow::Cow::Owned(nixos_test_analysis::typecheck::merged(&a.diagnostics, found.clone())),
                    None => std::borrow::Cow::Borrowed(a.diagnostics.as_slice()),
                };
                if !self.0.session.read().is_ok_and(|s| s.nix_syntax_errors) {
                    all.to_mut().retain(|d| d.code != "NT003");
                }
                let mut by_file = convert::diagnostics_of(&a, &all, &uri, self.encoding());
                // Files read by the test that had findings and have none now
                // are cleared, not left stale.
                let now: Vec<Uri> = by_file.keys().filter(|u| **u != uri).cloned().collect();
                let before = self.0.published.insert(uri.clone(), now).unwrap_or_default();
                for gone in before {
                    by_file.entry(gone).or_default();
                }
                for (u, mut diags) in by_file {
                    if let Some(failures) = self.0.run_failures.get(&u) {
                        diags.extend(failures.iter().cloned());
                    }
                    let v = (u == uri).then_some(version);
                    self.0.client.publish_diagnostics(u, diags, v).await;
                }
                if found.is_none() {
                    self.type_check(uri, version, a);
                }
            }
            Ok(None) => self.0.client.publish_diagnostics(uri, Vec::new(), Some(version)).await,
            Err(e) => tracing::error!("diagnostics failed: {}", e.message),
        }
    }

    /// Publishes diagnostics once typing pauses for [`DEBOUNCE`].
    fn schedule(&self, uri: Uri, version: i32, delay: Duration) {
        let this = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let current = this.0.docs.get(&uri).map(|d| d.version);
            if current == Some(version) {
                this.publish(uri, version).await;
            }
        });
    }

    fn offset(&self, uri: &Uri, p: Position) -> Option<nixos_test_analysis::source_map::TextSize> {
        let doc = self.0.docs.get(uri)?;
        Some(doc.offset(p.line, p.character, self.encoding()))
    }

    /// Analysis and cursor offset for a position request.
    async fn at(&self, uri: &Uri, p: Position) -> Result<Option<(Arc<Analysis>, Generation, nixos_test_analysis::source_map::TextSize)>> {
        let Some(offset) = self.offset(uri, p) else { return Ok(None) };
        Ok(self.analysis(uri, Need::Model).await?.map(|(a, g)| (a, g, offset)))
    }

    /// Runs an IDE feature, turning a panic into a JSON-RPC error.
    fn guard<T>(f: impl FnOnce() -> T) -> Result<T> {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
            .map_err(|_| internal("internal error in nixos-test-lsp (the server keeps running)"))
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

    /// The server's current text of a document (for tests and debugging:
    /// it shows that no edit was lost).
    pub async fn document_text(&self, params: TextDocumentIdentifier) -> Result<Option<String>> {
        Ok(self.0.docs.get(&params.uri).map(|d| d.text.clone()))
    }

    /// Runs `nixos-test-run` for a lens: progress while it runs (with a
    /// cancel button), failures as diagnostics at their Nix line, a summary.
    async fn run_tests(
        &self,
        runner: PathBuf,
        file: String,
        attr: Option<String>,
        function: Option<String>,
        token: Option<ProgressToken>,
        test_key: String,
    ) -> Result<Value> {
        use tokio::io::AsyncBufReadExt;
        let what = function.clone().unwrap_or_else(|| "all tests".into());
        // A private directory per run (0700, random name), never a
        // predictable shared one another account could plant files in.
        let out = run_directory().map_err(|e| internal(format!("cannot create a directory for the run: {e}")))?;
        let mut cmd = tokio::process::Command::new(&runner);
        cmd.args(["--format", "json", "--out"]).arg(&out);
        if let Some(f) = &function {
            cmd.args(["--test", f]);
        }
        if let Some(a) = &attr {
            cmd.args(["--attr", a]);
        }
        cmd.arg("--").arg(&file);
        let mut child = cmd
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .map_err(|e| internal(format!("cannot start {}: {e}", runner.display())))?;
        let mut guard = RunGuard { pid: child.id().unwrap_or(0), finished: false };
        let token = match token {
            Some(t) => t,
            None => {
                let t = ProgressToken::String(format!("nixos-test-run-{}", guard.pid));
                let supported = self.0.session.read().is_ok_and(|s| s.progress);
                if supported && self.0.client.create_work_done_progress(t.clone()).await.is_err() {
                    tracing::warn!("the client refused a progress token");
                }
                t
            }
        };
        let key = token_key(&token);
        self.0.runs.insert(key.clone(), RunningTest { pid: guard.pid, test: test_key });
        let progress = self.0.client.progress(token, format!("Running {what}")).with_cancel_button().begin().await;
        let uri = convert::uri_of_path(&file);
        if let Some(u) = &uri {
            self.0.run_failures.remove(u);
        }
        let mut failures: Vec<Diagnostic> = Vec::new();
        let mut summary = String::from("the runner stopped without a result");
        let mut code = 2;
        if let Some(stdout) = child.stdout.take() {
            let mut lines = tokio::io::BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                let Ok(e) = serde_json::from_str::<Value>(&line) else { continue };
                let text = |k: &str| e[k].as_str().unwrap_or("").to_string();
                match e["event"].as_str() {
                    Some("build") => progress.report_with_message(format!("build {}", text("status")), None).await,
                    Some("test_start") => progress.report_with_message(format!("{} …", text("test")), None).await,
                    Some("machine_up") => progress.report_with_message(format!("{} is up", text("machine")), None).await,
                    Some("test_fail") => {
                        let at = |k: &str| u32::try_from(e["location"][k].as_u64().unwrap_or(1).saturating_sub(1)).unwrap_or(0);
                        let (line, character) = (at("line"), at("column"));
                        failures.push(Diagnostic {
                            range: Range { start: Position { line, character }, end: Position { line, character: character + 200 } },
                            severity: Some(DiagnosticSeverity::ERROR),
                            source: Some("nixos-test-run".into()),
                            message: format!("{} failed: {}", text("test"), text("message")),
                            ..Default::default()
                        });
                    }
                    Some("end") => {
                        code = e["exit_code"].as_i64().unwrap_or(2);
                        // A failed build's status carries Nix's whole error:
                        // its first line here, the rest in the log.
                        let status = text("status");
                        let status = status.lines().next().unwrap_or("").chars().take(200).collect::<String>();
                        summary = format!("{what}: {status} — {} passed, {} failed", e["passed"], e["failed"]);
                    }
                    _ => {}
                }
            }
        }
        let _ = child.wait().await;
        guard.finished = true;
        self.0.runs.remove(&key);
        summary.push_str(&format!(" (logs and screenshots: {})", out.display()));
        progress.finish_with_message(summary.clone()).await;
        let kind = if code == 0 { MessageType::INFO } else { MessageType::ERROR };
        self.0.client.show_message(kind, &summary).await;
        if let Some(u) = uri {
            self.0.run_failures.insert(u.clone(), failures);
            let version = self.0.docs.get(&u).map(|d| d.version);
            if let Some(v) = version {
                self.publish(u, v).await;
            }
        }
        Ok(json!({ "ok": code == 0, "exit_code": code, "summary": summary, "out": out }))
    }

    /// `window/workDoneProgress/cancel`: the user cancelled a run.
    pub async fn cancel_run(&self, params: WorkDoneProgressCancelParams) {
        // SIGINT: the runner stops the driver and every VM cleanly.
        if let Some(pid) = self.0.runs.get(&token_key(&params.token)).map(|r| r.pid) {
            interrupt(pid);
        }
    }

    fn run_command(args: &[Value]) -> Option<(String, Option<String>, Option<String>)> {
        let a = args.first()?;
        Some((
            a.get("file")?.as_str()?.to_string(),
            a.get("attr").and_then(Value::as_str).map(String::from),
            a.get("function").and_then(Value::as_str).map(String::from),
        ))
    }
}

fn token_key(token: &ProgressToken) -> String {
    match token {
        ProgressToken::String(s) => s.clone(),
        ProgressToken::Number(n) => n.to_string(),
    }
}

/// A new private directory for one run: under `$XDG_RUNTIME_DIR` (private
/// to the user by definition) or the user's cache directory, created
/// atomically with a random name and mode 0700.
fn run_directory() -> std::io::Result<PathBuf> {
    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_dir())
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/nixos-test-tools/runs")))
        .unwrap_or_else(std::env::temp_dir);
    std::fs::create_dir_all(&base)?;
    Ok(tempfile::Builder::new().prefix("nixos-test-run-").tempdir_in(base)?.keep())
}

fn find_runner() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NIXOS_TEST_RUN") {
        return Some(PathBuf::from(p));
    }
    let sibling = std::env::current_exe().ok()?.with_file_name("nixos-test-run");
    if sibling.is_file() {
        return Some(sibling);
    }
    std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|d| d.join("nixos-test-run")).find(|p| p.is_file()))
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
        let options = params.initialization_options.unwrap_or_default();
        let type_check = options.get("typeCheck").and_then(Value::as_bool).unwrap_or(false);
        let ty = options.get("ty").and_then(Value::as_str).map(String::from);
        let nix_syntax_errors = options.get("nixSyntaxErrors").and_then(Value::as_bool).unwrap_or(true);
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
        if let Ok(mut s) = self.0.session.write() {
            *s = Session { encoding, snippets, progress, type_check, ty, resolve_docs, annotations, watch, nix_syntax_errors };
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

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let d = params.text_document;
        let path = d.uri.to_file_path().map(|p| p.display().to_string()).unwrap_or_else(|| d.uri.as_str().to_string());
        self.0.docs.insert(d.uri.clone(), Document::new(path, d.text, d.version));
        self.schedule(d.uri, d.version, Duration::ZERO);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let uri = params.text_document.uri;
        let version = params.text_document.version;
        let changes = params
            .content_changes
            .into_iter()
            .map(|c| Change { range: c.range.map(|r| ((r.start.line, r.start.character), (r.end.line, r.end.character))), text: c.text })
            .collect();
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

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        for change in params.changes {
            self.file_changed(&change.uri, Duration::ZERO);
        }
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        self.0.docs.remove(&params.text_document.uri);
        self.0.ty_found.remove(&params.text_document.uri);
        for other in self.0.published.remove(&params.text_document.uri).map(|(_, v)| v).unwrap_or_default() {
            self.0.client.publish_diagnostics(other, Vec::new(), None).await;
        }
        self.0.client.publish_diagnostics(params.text_document.uri, Vec::new(), None).await;
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let uri = params.text_document_position.text_document.uri;
        let Some((a, g, offset)) = self.at(&uri, params.text_document_position.position).await? else { return Ok(None) };
        let (snippets, inline_docs) = self.0.session.read().map(|s| (s.snippets, !s.resolve_docs)).unwrap_or((false, true));
        let enc = self.encoding();
        let trigger = params
            .context
            .filter(|c| c.trigger_kind == CompletionTriggerKind::TRIGGER_CHARACTER)
            .and_then(|c| c.trigger_character)
            .and_then(|t| t.chars().next());
        let items = Self::guard(|| {
            let lines = Lines::of(&a, enc);
            ide::completions(&a, offset, g, trigger)
                .into_iter()
                .map(|i| convert::completion(i, &lines, snippets, inline_docs))
                .collect::<Vec<_>>()
        })?;
        Ok(Some(CompletionResponse::List(CompletionList { is_incomplete: false, items })))
    }

    async fn completion_resolve(&self, item: CompletionItem) -> Result<CompletionItem> {
        Ok(convert::resolve(item))
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let p = params.text_document_position_params;
        let Some((a, g, offset)) = self.at(&p.text_document.uri, p.position).await? else { return Ok(None) };
        let enc = self.encoding();
        let ty = self.0.ty_version.get().map(|v| format!("\n\n---\nType check: {v}, as the NixOS build runs it"));
        Self::guard(|| {
            ide::hover(&a, offset, g).map(|h| Hover {
                contents: HoverContents::Markup(MarkupContent {
                    kind: MarkupKind::Markdown,
                    value: h.markdown + ty.as_deref().unwrap_or(""),
                }),
                range: Some(Lines::of(&a, enc).range(h.range)),
            })
        })
    }

    async fn signature_help(&self, params: SignatureHelpParams) -> Result<Option<SignatureHelp>> {
        let p = params.text_document_position_params;
        let Some((a, g, offset)) = self.at(&p.text_document.uri, p.position).await? else { return Ok(None) };
        Self::guard(|| {
            ide::signature_help(&a, offset, g).map(|s| SignatureHelp {
                signatures: vec![SignatureInformation {
                    label: s.label,
                    documentation: Some(Documentation::MarkupContent(MarkupContent { kind: MarkupKind::Markdown, value: s.documentation })),
                    parameters: Some(
                        s.params
                            .into_iter()
                            .map(|p| ParameterInformation { label: ParameterLabel::Simple(p), documentation: None })
                            .collect(),
                    ),
                    active_parameter: u32::try_from(s.active).ok(),
                }],
                active_signature: Some(0),
                active_parameter: u32::try_from(s.active).ok(),
            })
        })
    }

    async fn goto_definition(&self, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        let p = params.text_document_position_params;
        let uri = p.text_document.uri;
        let Some((a, _, offset)) = self.at(&uri, p.position).await? else { return Ok(None) };
        let enc = self.encoding();
        Self::guard(|| {
            let lines = Lines::of(&a, enc);
            let links: Vec<LocationLink> = ide::definition(&a, offset)
                .into_iter()
                .map(|t| LocationLink {
                    origin_selection_range: None,
                    target_uri: uri.clone(),
                    target_range: lines.range(t.range),
                    target_selection_range: lines.range(t.focus),
                })
                .collect();
            (!links.is_empty()).then_some(GotoDefinitionResponse::Link(links))
        })
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let p = params.text_document_position;
        let uri = p.text_document.uri;
        let Some((a, _, offset)) = self.at(&uri, p.position).await? else { return Ok(None) };
        let enc = self.encoding();
        Self::guard(|| {
            let test = a.file.test_at(offset).map_or(0, |t| a.file.tests.iter().position(|x| std::ptr::eq(x, t)).unwrap_or(0));
            let locs: Vec<Location> =
                ide::references(&a, offset).iter().filter_map(|r| convert::location(&a, &uri, test, r, enc)).collect();
            (!locs.is_empty()).then_some(locs)
        })
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let p = params.text_document_position;
        let uri = p.text_document.uri;
        let Some((a, g, offset)) = self.at(&uri, p.position).await? else { return Ok(None) };
        let enc = self.encoding();
        let test = a.file.test_at(offset).and_then(|t| a.file.tests.iter().position(|x| std::ptr::eq(x, t))).unwrap_or(0);
        let (edits, strings) =
            Self::guard(|| (ide::rename(&a, offset, &params.new_name, g), ide::host_name_in_strings(&a, offset, &params.new_name)))?;
        let edits = edits.map_err(|msg| Error { code: ErrorCode::InvalidParams, message: msg.into(), data: None })?;
        let mut edit = convert::workspace_edit(&a, &uri, &edits, test, enc);
        if !strings.is_empty() {
            let annotations = self.0.session.read().is_ok_and(|s| s.annotations);
            let strings = convert::workspace_edit(&a, &uri, &strings, test, enc);
            if annotations {
                // The host name in strings is offered apart, for the user to
                // confirm in the editor's preview.
                edit = convert::with_confirmed(edit, strings, "host-name", "The old host name in string literals (`curl http://…`)");
            } else {
                let n: usize = strings.changes.iter().flat_map(|c| c.values()).map(Vec::len).sum();
                let msg = format!("{n} string literal(s) still mention the old host name; rename them by hand if they mean this node");
                self.0.client.show_message(MessageType::INFO, msg).await;
            }
        }
        Ok(Some(edit))
    }

    async fn document_highlight(&self, params: DocumentHighlightParams) -> Result<Option<Vec<DocumentHighlight>>> {
        let p = params.text_document_position_params;
        let Some((a, _, offset)) = self.at(&p.text_document.uri, p.position).await? else { return Ok(None) };
        let enc = self.encoding();
        Self::guard(|| {
            let lines = Lines::of(&a, enc);
            let found: Vec<DocumentHighlight> = ide::references(&a, offset)
                .into_iter()
                .filter(|r| r.file == FileId::Nix)
                .map(|r| DocumentHighlight { range: lines.range(r.range), kind: None })
                .collect();
            (!found.is_empty()).then_some(found)
        })
    }

    async fn prepare_rename(&self, params: TextDocumentPositionParams) -> Result<Option<PrepareRenameResponse>> {
        let Some((a, _, offset)) = self.at(&params.text_document.uri, params.position).await? else { return Ok(None) };
        let enc = self.encoding();
        Self::guard(|| {
            ide::prepare_rename(&a, offset).map(|(range, placeholder)| PrepareRenameResponse::RangeWithPlaceholder {
                range: Lines::of(&a, enc).range(range),
                placeholder,
            })
        })
    }

    async fn document_symbol(&self, params: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        let Some((a, _)) = self.analysis(&params.text_document.uri, Need::Model).await? else { return Ok(None) };
        let enc = self.encoding();
        Self::guard(|| {
            let lines = Lines::of(&a, enc);
            Some(DocumentSymbolResponse::Nested(ide::symbols(&a).into_iter().map(|s| convert::symbol(s, &lines)).collect()))
        })
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        let Some((a, _)) = self.analysis(&params.text_document.uri, Need::Model).await? else { return Ok(None) };
        let enc = self.encoding();
        Self::guard(|| {
            let lines = Lines::of(&a, enc);
            Some(
                ide::folding_ranges(&a)
                    .into_iter()
                    .map(|f| lines.range(f.range))
                    .filter(|r| r.end.line > r.start.line)
                    .map(|r| FoldingRange { start_line: r.start.line, end_line: r.end.line, ..Default::default() })
                    .collect(),
            )
        })
    }

    async fn semantic_tokens_full(&self, params: SemanticTokensParams) -> Result<Option<SemanticTokensResult>> {
        let Some((a, _)) = self.analysis(&params.text_document.uri, Need::Model).await? else { return Ok(None) };
        let enc = self.encoding();
        Self::guard(|| {
            let lines = Lines::of(&a, enc);
            let data = convert::semantic_tokens(&ide::semantic_tokens(&a), &lines);
            Some(SemanticTokensResult::Tokens(SemanticTokens { result_id: None, data }))
        })
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let uri = params.text_document.uri;
        let Some((a, _)) = self.analysis(&uri, Need::Full).await? else { return Ok(None) };
        let enc = self.encoding();
        Self::guard(|| {
            let lines = Lines::of(&a, enc);
            let range =
                TextRange::new(lines.offset(params.range.start), lines.offset(params.range.end).max(lines.offset(params.range.start)));
            let nix_diags = convert::diagnostics(&a, &uri, enc).remove(&uri).unwrap_or_default();
            let actions: Vec<CodeActionOrCommand> = ide::code_actions(&a, range)
                .into_iter()
                .chain(ide::fix_all(&a))
                .map(|act| {
                    let diagnostics =
                        act.diagnostic.and_then(|i| a.diagnostics.get(i)).filter(|d| d.range.file == FileId::Nix).and_then(|d| {
                            nix_diags
                                .iter()
                                .find(|x| x.range == lines.range(d.range.range) && x.code == Some(NumberOrString::String(d.code.clone())))
                                .cloned()
                        });
                    let test = act.diagnostic.and_then(|i| a.diagnostics.get(i)).and_then(|d| d.test).unwrap_or(0);
                    CodeActionOrCommand::CodeAction(CodeAction {
                        title: act.title,
                        kind: Some(match act.kind {
                            ide::ActionKind::QuickFix => CodeActionKind::QUICKFIX,
                            ide::ActionKind::Refactor => CodeActionKind::REFACTOR_REWRITE,
                            ide::ActionKind::FixAll => CodeActionKind::SOURCE_FIX_ALL,
                        }),
                        diagnostics: diagnostics.map(|d| vec![d]),
                        edit: Some(convert::workspace_edit(&a, &uri, &act.edits, test, enc)),
                        is_preferred: Some(act.kind == ide::ActionKind::QuickFix),
                        ..Default::default()
                    })
                })
                .collect();
            Some(actions)
        })
    }

    async fn code_lens(&self, params: CodeLensParams) -> Result<Option<Vec<CodeLens>>> {
        let uri = params.text_document.uri;
        let Some((a, _)) = self.analysis(&uri, Need::Model).await? else { return Ok(None) };
        let enc = self.encoding();
        Self::guard(|| {
            let lines = Lines::of(&a, enc);
            Some(
                ide::runnables(&a)
                    .into_iter()
                    .map(|r| CodeLens {
                        range: lines.range(r.range),
                        command: Some(Command {
                            title: r.label,
                            command: RUN_COMMAND.into(),
                            arguments: Some(vec![
                                json!({ "file": a.path, "uri": uri.as_str(), "attr": r.attr, "test": r.test_name, "function": r.function }),
                            ]),
                        }),
                        data: None,
                    })
                    .collect(),
            )
        })
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<Value>> {
        if params.command != RUN_COMMAND {
            return Err(Error::method_not_found());
        }
        let Some((file, _, function)) = Self::run_command(&params.arguments) else {
            return Err(Error::invalid_params("nixos-test.run takes { file, attr?, function? }"));
        };
        let what = function.as_deref().unwrap_or("all tests");
        match find_runner() {
            None => {
                let msg = format!(
                    "Cannot run {what} of {file}: the runner `nixos-test-run` is not installed (not next to nixos-test-lsp, not on PATH, NIXOS_TEST_RUN unset)."
                );
                self.0.client.show_message(MessageType::ERROR, &msg).await;
                Ok(Some(json!({ "ok": false, "error": msg })))
            }
            Some(runner) => {
                let (_, attr, function) = Self::run_command(&params.arguments).unwrap_or_default();
                // The runner builds what is on disk: an unsaved buffer would
                // run other code than the user sees.
                if let Some(uri) = convert::uri_of_path(&file)
                    && let Some(doc) = self.0.docs.get(&uri)
                    && std::fs::read_to_string(&file).ok().as_deref() != Some(doc.text.as_str())
                {
                    let msg = format!("Save {file} first: the run builds the file on disk, which differs from the editor's text.");
                    drop(doc);
                    self.0.client.show_message(MessageType::WARNING, &msg).await;
                    return Ok(Some(json!({ "ok": false, "error": msg })));
                }
                // One run per test at a time: a second click offers to
                // cancel the running one and start again.
                let test_key = format!("{file}\0{}\0{}", attr.as_deref().unwrap_or(""), function.as_deref().unwrap_or(""));
                let running = |key: &str| self.0.runs.iter().find(|r| r.test == key).map(|r| r.pid);
                if let Some(pid) = running(&test_key) {
                    let restart = MessageActionItem { title: "Cancel and restart".into(), properties: Default::default() };
                    let keep = MessageActionItem { title: "Keep it running".into(), properties: Default::default() };
                    let answer = self
                        .0
                        .client
                        .show_message_request(MessageType::INFO, format!("{what} is already running."), Some(vec![restart.clone(), keep]))
                        .await
                        .ok()
                        .flatten();
                    if answer.as_ref().map(|a| a.title.as_str()) != Some("Cancel and restart") {
                        return Ok(Some(json!({ "ok": false, "error": "already running" })));
                    }
                    interrupt(pid);
                    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
                    while running(&test_key).is_some() && tokio::time::Instant::now() < deadline {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
                let token = params.work_done_progress_params.work_done_token;
                self.run_tests(runner, file, attr, function, token, test_key).await.map(Some)
            }
        }
    }
}
