//! The runner client behind the Run lens: starts `nixos-test-run` with the
//! protocol's command line in a private folder per run, follows its typed
//! events (progress, failures at their Nix line, a summary), allows one run
//! per test at a time, and stops runs cleanly (SIGINT, never SIGKILL, which
//! would orphan the VMs).

use std::path::PathBuf;
use std::time::Duration;

use nixos_test_protocol::{Event, Format, RunRequest};
use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::*;

use crate::lsp_ext::{RunArgs, RunResult};
use crate::server::{Backend, internal};
use crate::to_proto;

/// A run in progress: the runner's PID and the test it runs.
pub struct RunningTest {
    pub pid: u32,
    /// [`RunArgs::key`] of the test.
    pub test: String,
}

/// The runner of one run. However the run ends on the server's side (the
/// request cancelled, the server shutting down, the future dropped), the
/// runner gets SIGINT, on which it stops the driver and every VM.
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

pub fn interrupt(pid: u32) {
    if let Some(pid) = i32::try_from(pid).ok().and_then(rustix::process::Pid::from_raw) {
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::INT);
    }
}

pub fn token_key(token: &ProgressToken) -> String {
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

/// `NIXOS_TEST_RUN`, else next to this server, else on `PATH`.
pub fn find_runner() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("NIXOS_TEST_RUN") {
        return Some(PathBuf::from(p));
    }
    let sibling = std::env::current_exe().ok()?.with_file_name("nixos-test-run");
    if sibling.is_file() {
        return Some(sibling);
    }
    std::env::var_os("PATH").and_then(|paths| std::env::split_paths(&paths).map(|d| d.join("nixos-test-run")).find(|p| p.is_file()))
}

/// A failure as a diagnostic at its Nix line (the rest of the line).
fn failure(test: &str, message: &str, location: Option<&nixos_test_protocol::Location>) -> Diagnostic {
    let at = |n: u32| n.saturating_sub(1);
    let (line, character) = location.map_or((0, 0), |l| (at(l.line), at(l.column)));
    Diagnostic {
        range: Range { start: Position { line, character }, end: Position { line, character: character + 200 } },
        severity: Some(DiagnosticSeverity::ERROR),
        source: Some("nixos-test-run".into()),
        message: format!("{test} failed: {message}"),
        ..Default::default()
    }
}

impl Backend {
    /// `nixos-test.run`: checks that the run makes sense (a runner, a saved
    /// buffer, not already running), then runs.
    pub async fn run_command(&self, args: RunArgs, token: Option<ProgressToken>) -> Result<RunResult> {
        let what = args.what().to_string();
        let Some(runner) = find_runner() else {
            let msg = format!(
                "Cannot run {what} of {}: the runner `nixos-test-run` is not installed (not next to nixos-test-lsp, not on PATH, NIXOS_TEST_RUN unset).",
                args.file
            );
            self.0.client.show_message(MessageType::ERROR, &msg).await;
            return Ok(RunResult::refused(msg));
        };
        // The runner builds what is on disk: an unsaved buffer would run
        // other code than the user sees.
        if let Some(uri) = to_proto::uri_of_path(&args.file)
            && let Some(doc) = self.0.docs.get(&uri)
            && std::fs::read_to_string(&args.file).ok().as_deref() != Some(doc.text.as_str())
        {
            let msg = format!("Save {} first: the run builds the file on disk, which differs from the editor's text.", args.file);
            drop(doc);
            self.0.client.show_message(MessageType::WARNING, &msg).await;
            return Ok(RunResult::refused(msg));
        }
        // One run per test at a time: a second click offers to cancel the
        // running one and start again.
        let key = args.key();
        let running = |key: &str| self.0.runs.iter().find(|r| r.test == key).map(|r| r.pid);
        if let Some(pid) = running(&key) {
            let restart = MessageActionItem { title: "Cancel and restart".into(), properties: Default::default() };
            let keep = MessageActionItem { title: "Keep it running".into(), properties: Default::default() };
            let answer = self
                .0
                .client
                .show_message_request(MessageType::INFO, format!("{what} is already running."), Some(vec![restart, keep]))
                .await
                .ok()
                .flatten();
            if answer.as_ref().map(|a| a.title.as_str()) != Some("Cancel and restart") {
                return Ok(RunResult::refused("already running"));
            }
            interrupt(pid);
            let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
            while running(&key).is_some() && tokio::time::Instant::now() < deadline {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        self.run_tests(runner, args, token).await
    }

    /// Runs `nixos-test-run` for a lens: progress while it runs (with a
    /// cancel button), failures as diagnostics at their Nix line, a summary.
    async fn run_tests(&self, runner: PathBuf, args: RunArgs, token: Option<ProgressToken>) -> Result<RunResult> {
        use tokio::io::AsyncBufReadExt;
        let what = args.what().to_string();
        // A private directory per run (0700, random name), never a
        // predictable shared one another account could plant files in.
        let out = run_directory().map_err(|e| internal(format!("cannot create a directory for the run: {e}")))?;
        let request = RunRequest {
            file: args.file.clone().into(),
            attr: args.attr.clone(),
            tests: args.function.iter().cloned().collect(),
            format: Format::Json,
            out: out.clone(),
        };
        let mut child = tokio::process::Command::new(&runner)
            .args(request.args())
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
        let token_id = token_key(&token);
        self.0.runs.insert(token_id.clone(), RunningTest { pid: guard.pid, test: args.key() });
        let progress = self.0.client.progress(token, format!("Running {what}")).with_cancel_button().begin().await;
        let uri = to_proto::uri_of_path(&args.file);
        if let Some(u) = &uri {
            self.0.run_failures.remove(u);
        }
        let mut failures: Vec<Diagnostic> = Vec::new();
        let mut summary = String::from("the runner stopped without a result");
        let mut code = 2;
        if let Some(stdout) = child.stdout.take() {
            let mut lines = tokio::io::BufReader::new(stdout).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                match Event::parse(&line) {
                    Some(Event::Build { status, .. }) => progress.report_with_message(format!("build {status}"), None).await,
                    Some(Event::TestStart { test }) => progress.report_with_message(format!("{test} …"), None).await,
                    Some(Event::MachineUp { machine, .. }) => progress.report_with_message(format!("{machine} is up"), None).await,
                    Some(Event::TestFail { test, message, location, .. }) => failures.push(failure(&test, &message, location.as_ref())),
                    Some(Event::End { passed, failed, status, exit_code }) => {
                        code = exit_code;
                        // A failed build's status carries Nix's whole error:
                        // its first line here, the rest in the log.
                        let status: String = status.lines().next().unwrap_or("").chars().take(200).collect();
                        summary = format!("{what}: {status} — {passed} passed, {failed} failed");
                    }
                    Some(_) | None => {}
                }
            }
        }
        let _ = child.wait().await;
        guard.finished = true;
        self.0.runs.remove(&token_id);
        summary.push_str(&format!(" (logs and screenshots: {})", out.display()));
        progress.finish_with_message(summary.clone()).await;
        let kind = if code == 0 { MessageType::INFO } else { MessageType::ERROR };
        self.0.client.show_message(kind, &summary).await;
        if let Some(u) = uri {
            self.0.run_failures.insert(u.clone(), failures);
            self.diagnostics_changed(&u).await;
        }
        Ok(RunResult {
            ok: code == 0,
            exit_code: Some(code.into()),
            summary: Some(summary),
            out: Some(out.display().to_string()),
            error: None,
        })
    }

    /// `window/workDoneProgress/cancel`: the user cancelled a run.
    pub async fn cancel_run(&self, params: WorkDoneProgressCancelParams) {
        // SIGINT: the runner stops the driver and every VM cleanly.
        if let Some(pid) = self.0.runs.get(&token_key(&params.token)).map(|r| r.pid) {
            interrupt(pid);
        }
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
}
