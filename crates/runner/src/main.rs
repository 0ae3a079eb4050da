//! `nixos-test-run`: build a NixOS test's driver, run one `test_` function
//! (or the whole script), stream structured results, and talk QMP to the
//! VMs for status, screenshots on failure and clean cancellation.

use std::collections::HashSet;
use std::io::{BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;

use nixos_test_protocol::{PluginEvent, PluginMessage};
use nixos_test_run::driver_cli::DriverCli;
use nixos_test_run::events::{Event, Format, Sink};
use nixos_test_run::vm_sockets::{self, VmSockets};
use nixos_test_run::{build, outdir, process, qmp, script};

/// Build a NixOS test's driver and run one test_ function, several, or the whole script.
///
/// Exit status: 0 all passed, 1 test failures, 2 errors (build, crash, cancel).
#[derive(Debug, Parser)]
#[command(name = "nixos-test-run", version)]
struct Args {
    /// The Nix file holding the test.
    file: PathBuf,
    /// A `test_` function to run (repeatable); default: every test, or the whole legacy script.
    #[arg(long = "test")]
    tests: Vec<String>,
    /// A pytest `-k` expression selecting tests.
    #[arg(short = 'k')]
    keyword: Option<String>,
    /// Stop at the first failing test (pytest's `-x`).
    #[arg(short = 'x', long = "exitfirst")]
    exit_first: bool,
    /// The attribute of the test in FILE (`nix-build FILE -A ATTR.driver`).
    #[arg(long, conflicts_with = "flake")]
    attr: Option<String>,
    /// A flake output (`.#checks.x86_64-linux.mytest`); builds `REF.driver`.
    #[arg(long)]
    flake: Option<String>,
    /// An already built driver (a store path with bin/nixos-test-driver): no build.
    #[arg(long, env = "NIXOS_TEST_DRIVER")]
    driver: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "human")]
    format: Format,
    /// Keep VM state between runs (the driver's -K).
    #[arg(long)]
    keep_state: bool,
    /// Output directory (driver output, screenshots, events, JUnit).
    #[arg(long, default_value = "nixos-test-run-out")]
    out: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    let mut sink = Sink::new(args.format);
    // Before anything starts (the Nix build included): Ctrl-C, SIGTERM,
    // SIGHUP and the loss of our parent all stop the run cleanly.
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    if let Err(e) = ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)) {
        eprintln!("nixos-test-run: error: cannot install the signal handler: {e}");
        return ExitCode::from(2);
    }
    process::watch_parent(cancel.clone());
    let code = match run(&args, &cancel, &mut sink) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("nixos-test-run: error: {e:#}");
            let status = if cancel.load(Ordering::SeqCst) { "cancelled".to_string() } else { format!("error: {e:#}") };
            sink.emit(Event::End { passed: 0, failed: 0, status, exit_code: 2 });
            2
        }
    };
    if args.format == Format::Junit && args.out.is_dir() {
        let _ = script::write_private(&args.out.join("junit.xml"), sink.junit().as_bytes());
    }
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}

fn run(args: &Args, cancel: &AtomicBool, sink: &mut Sink) -> Result<i32> {
    let out = outdir::prepare(&args.out)?;
    let log = out.join("driver.log");
    script::write_private(&log, b"")?;
    sink.log_to(std::fs::OpenOptions::new().append(true).open(&log)?);
    let target = script::Target::find(&args.file, args.attr.as_deref())?;
    for t in &args.tests {
        if !target.test_functions.contains(t) {
            bail!("no `def {t}(...)` in the testScript of {} (tests: {})", target.label, target.test_functions.join(", "));
        }
    }
    let driver = match &args.driver {
        Some(d) => d.clone(),
        None => build::build(&args.file, args.attr.as_deref().or(target.attr.as_deref()), args.flake.as_deref(), cancel, sink)?,
    };
    let wrapper = driver.join("bin/nixos-test-driver");
    let wrapper_text = std::fs::read_to_string(&wrapper).with_context(|| format!("read {}", wrapper.display()))?;
    let cli = DriverCli::detect(&wrapper_text, &driver)?;
    sink.emit(Event::Log { line: format!("nixos-test-run: driver generation: {}", cli.generation().label()) });
    let script_path = cli.original_script()?;
    let original =
        std::fs::read_to_string(&script_path).with_context(|| format!("read the driver's test script {}", script_path.display()))?;
    let generated = script::generate(&original, &out, !target.test_functions.is_empty())?;
    let new_script = out.join("test-script.py");
    script::write_private(&new_script, generated.as_bytes())?;

    let vms = VmSockets::new(vm_sockets::state_root());
    let events_file = out.join("events.jsonl");
    script::write_private(&events_file, b"")?;
    let mut cmd = Command::new(&wrapper);
    cmd.args(cli.args(&new_script, &out, args.keep_state)?);
    cmd.env("NIXOS_TEST_EVENTS", &events_file)
        .env("NIXOS_TEST_RUNNER_ACK", "1")
        .env("QEMU_OPTS", vm_sockets::qemu_opts(std::env::var_os("QEMU_OPTS")))
        .env("NIXOS_TEST_SELECT", args.tests.join(","))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0);
    let mut pytest_args = Vec::new();
    if let Some(k) = &args.keyword {
        pytest_args.push(format!("-k {}", shell_quote(k)));
    }
    if args.exit_first {
        pytest_args.push("-x".into());
    }
    cmd.env("NIXOS_TEST_PYTEST_ARGS", pytest_args.join(" "));
    if cancel.load(Ordering::SeqCst) {
        bail!("cancelled before the driver started");
    }
    let child = cmd.spawn().with_context(|| format!("start {}", wrapper.display()))?;
    let code = supervise(child, cancel, &events_file, &vms, &out, &target, sink);
    sink.emit(Event::Log { line: format!("(the driver's output is in {})", log.display()) });
    code
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// Stops the run: `quit` to every VM over QMP, then SIGTERM (and SIGKILL
/// after 5 s) to the driver's process group, which holds every QEMU.
fn stop(child: &mut Child, vms: &VmSockets) {
    for (_, s) in vms.all() {
        let _ = qmp::quit(&s);
    }
    process::stop_group(child, Duration::from_secs(5));
}

/// Whether `ack` is one of the acknowledgement files the plugin may ask
/// for (`<events file>.ack<n>`): nothing else is ever created on its word.
fn valid_ack(ack: &str, events_file: &Path) -> bool {
    let prefix = format!("{}.ack", events_file.display());
    ack.strip_prefix(&prefix).is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The end status when the driver's Python cannot import pytest.
const MISSING_PYTEST: &str = "the driver's Python has no pytest, which test_ functions need: add `extraPythonPackages = p: [ p.pytest ];` to the test (the usePytestFixtures module does)";

fn supervise(
    mut child: Child,
    cancel: &AtomicBool,
    events_file: &Path,
    vms: &VmSockets,
    out: &Path,
    target: &script::Target,
    sink: &mut Sink,
) -> Result<i32> {
    let stdout = process::lines_of(BufReader::new(child.stdout.take().context("stdout")?));
    let stderr = process::lines_of(BufReader::new(child.stderr.take().context("stderr")?));
    let mut events = std::fs::File::open(events_file)?;
    let mut pending = String::new();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let (mut passed, mut failed) = (0, 0);
    let mut cancelled = false;
    let mut missing_pytest = false;
    let mut last_scan = Instant::now() - Duration::from_secs(1);
    let status = loop {
        for line in stdout.try_iter().chain(stderr.try_iter()) {
            missing_pytest |= line.contains("pytest is not importable by the driver's Python");
            sink.emit(Event::Log { line });
        }
        // The state root may be a large shared /tmp: looked at 4 times a second.
        if last_scan.elapsed() >= Duration::from_millis(250) {
            last_scan = Instant::now();
            for (machine, s) in vms.all() {
                if !seen.contains(&s)
                    && let Ok(status) = qmp::status(&s)
                {
                    sink.emit(Event::MachineUp { machine, status });
                    seen.insert(s);
                }
            }
        }
        let mut chunk = String::new();
        events.read_to_string(&mut chunk)?;
        pending.push_str(&chunk);
        while let Some(nl) = pending.find('\n') {
            let line: String = pending.drain(..=nl).collect();
            let message = match PluginMessage::parse(&line) {
                Ok(m) => m,
                Err(e) => {
                    // A plugin out of step with this runner: said, not skipped silently.
                    sink.emit(Event::Log { line: format!("nixos-test-run: malformed plugin event ({e}): {}", line.trim_end()) });
                    continue;
                }
            };
            match message.event {
                PluginEvent::MachineStart { machine } => {
                    let socket = vms.of(&machine);
                    if socket.as_ref().is_none_or(|s| !seen.contains(s)) {
                        let status =
                            socket.as_deref().and_then(|s| qmp::status(s).ok()).unwrap_or_else(|| "started (no runner QMP socket)".into());
                        sink.emit(Event::MachineUp { machine, status });
                        seen.extend(socket);
                    }
                }
                PluginEvent::TestStart { test } => sink.emit(Event::TestStart { test }),
                PluginEvent::TestPass { test, duration } => {
                    passed += 1;
                    sink.emit(Event::TestPass { test, duration });
                }
                PluginEvent::TestSkip { test } => sink.emit(Event::TestSkip { test }),
                PluginEvent::TestFail { test, message, line, .. } => {
                    failed += 1;
                    let screenshots = vms
                        .all()
                        .into_iter()
                        .filter_map(|(machine, s)| {
                            let file = out.join(outdir::screenshot_name(&test, &machine));
                            qmp::screendump(&s, &file).ok().map(|()| file.display().to_string())
                        })
                        .collect();
                    let location = line.and_then(|l| target.locate(l));
                    sink.emit(Event::TestFail { test, message, location, screenshots });
                }
                PluginEvent::TestsDone { .. } => {}
            }
            // The plugin waits for this while the VMs are still up.
            if let Some(ack) = message.ack.as_deref().filter(|a| valid_ack(a, events_file)) {
                let _ = script::write_private(Path::new(ack), b"");
            }
        }
        if cancel.load(Ordering::SeqCst) {
            cancelled = true;
            stop(&mut child, vms);
            break None;
        }
        if let Some(status) = child.try_wait()? {
            process::end_stragglers(&child, Duration::from_secs(5));
            break Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    for line in stdout.try_iter().chain(stderr.try_iter()) {
        missing_pytest |= line.contains("pytest is not importable by the driver's Python");
        sink.emit(Event::Log { line });
    }
    let (code, what) = match status {
        None if cancelled => (2, "cancelled".to_string()),
        _ if failed > 0 => (1, "failed".to_string()),
        Some(s) if s.success() => (0, "passed".to_string()),
        Some(_) if missing_pytest => (2, MISSING_PYTEST.to_string()),
        Some(s) => (2, format!("the driver exited with {s} before reporting a failed test")),
        None => (2, "stopped".to_string()),
    };
    sink.emit(Event::End { passed, failed, status: what, exit_code: code });
    Ok(code)
}

#[cfg(test)]
mod tests {
    use super::Args;
    use clap::Parser;
    use nixos_test_protocol::{Format, RunRequest};

    /// What clients send (the protocol's command line) is what this parser takes.
    #[test]
    fn the_protocols_command_line_parses() {
        for format in [Format::Human, Format::Json, Format::Junit] {
            let request = RunRequest {
                file: "-odd name.nix".into(),
                attr: Some("tests.web".into()),
                tests: vec!["test_a".into(), "test_b".into()],
                format,
                out: "/tmp/out".into(),
            };
            let args = Args::try_parse_from(std::iter::once("nixos-test-run".into()).chain(request.args())).expect("parses");
            assert_eq!(args.file, request.file);
            assert_eq!(args.tests, request.tests);
            assert_eq!(args.attr, request.attr);
            assert_eq!(args.out, request.out);
            assert_eq!(format!("{:?}", args.format).to_lowercase(), format.as_str());
        }
    }
}
