//! `nixos-test-run`: build a NixOS test's driver, run one `test_` function
//! (or the whole script), stream structured results, and talk QMP to the
//! VMs for status, screenshots on failure and clean cancellation.

use std::collections::HashSet;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::Parser;

use nixos_test_run::events::{Event, Format, Sink};
use nixos_test_run::{build, qmp, script};

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
    let mut sink = Sink { format: args.format, events: Vec::new() };
    let code = match run(&args, &mut sink) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("nixos-test-run: error: {e:#}");
            sink.emit(Event::End { passed: 0, failed: 0, status: format!("error: {e}"), exit_code: 2 });
            2
        }
    };
    if args.format == Format::Junit {
        let _ = std::fs::write(args.out.join("junit.xml"), sink.junit());
    }
    ExitCode::from(u8::try_from(code).unwrap_or(2))
}

/// The driver wrapper's own `--config` file (the last one on its command line).
fn original_config(wrapper_text: &str) -> Option<PathBuf> {
    let words: Vec<&str> = wrapper_text.split(|c: char| c.is_whitespace() || c == '\'' || c == '"').filter(|w| !w.is_empty()).collect();
    words.windows(2).rev().find(|w| w[0] == "--config" || w[0] == "-c").map(|w| PathBuf::from(w[1]))
}

fn run(args: &Args, sink: &mut Sink) -> Result<i32> {
    std::fs::create_dir_all(&args.out).with_context(|| format!("create {}", args.out.display()))?;
    let out = args.out.canonicalize()?;
    let target = script::Target::find(&args.file, args.attr.as_deref())?;
    for t in &args.tests {
        if !target.test_functions.contains(t) {
            bail!("no `def {t}(...)` in the testScript of {} (tests: {})", target.label, target.test_functions.join(", "));
        }
    }
    let driver = match &args.driver {
        Some(d) => d.clone(),
        None => build::build(&args.file, args.attr.as_deref().or(target.attr.as_deref()), args.flake.as_deref(), sink)?,
    };
    let wrapper = driver.join("bin/nixos-test-driver");
    let wrapper_text = std::fs::read_to_string(&wrapper).with_context(|| format!("read {}", wrapper.display()))?;
    let config_path = original_config(&wrapper_text).context("the driver takes no --config (this runner needs a 2026+ driver)")?;
    let mut config: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&config_path)?)?;
    let script_path = config["test_script"].as_str().context("driver config without test_script")?.to_string();
    let original = std::fs::read_to_string(&script_path)?;
    let generated = script::generate(&original, &out)?;
    let new_script = out.join("test-script.py");
    std::fs::write(&new_script, generated)?;
    config["test_script"] = serde_json::Value::String(new_script.display().to_string());
    let new_config = out.join("driver-config.json");
    std::fs::write(&new_config, serde_json::to_string_pretty(&config)?)?;

    let qmp_dir = out.join("qmp");
    std::fs::create_dir_all(&qmp_dir)?;
    let events_file = out.join("events.jsonl");
    std::fs::write(&events_file, "")?;
    let mut cmd = Command::new(&wrapper);
    cmd.arg("--config").arg(&new_config).arg("-o").arg(&out);
    if args.keep_state {
        cmd.arg("-K");
    }
    cmd.env("NIXOS_TEST_EVENTS", &events_file)
        .env("NIXOS_TEST_RUNNER_ACK", "1")
        .env("NIXOS_TEST_RUNNER_QMP_DIR", &qmp_dir)
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
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst)).context("install the Ctrl-C handler")?;
    let child = cmd.spawn().with_context(|| format!("start {}", wrapper.display()))?;
    supervise(child, &cancel, &events_file, &qmp_dir, &out, &target, sink)
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn lines_of(r: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

fn sockets(qmp_dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(qmp_dir)
        .map(|d| d.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|x| x == "runner-qmp")).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn machine_of(socket: &Path) -> String {
    socket.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Stops the run: `quit` to every VM over QMP, then SIGTERM (and SIGKILL
/// after 5 s) to the driver's process group, which holds every QEMU.
fn stop(child: &mut Child, qmp_dir: &Path) {
    for s in sockets(qmp_dir) {
        let _ = qmp::quit(&s);
    }
    let group = format!("-{}", child.id());
    let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if child.try_wait().ok().flatten().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
    let _ = child.wait();
}

fn supervise(
    mut child: Child,
    cancel: &AtomicBool,
    events_file: &Path,
    qmp_dir: &Path,
    out: &Path,
    target: &script::Target,
    sink: &mut Sink,
) -> Result<i32> {
    let stdout = lines_of(child.stdout.take().context("stdout")?);
    let stderr = lines_of(child.stderr.take().context("stderr")?);
    let mut events = std::fs::File::open(events_file)?;
    let mut pending = String::new();
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let (mut passed, mut failed) = (0, 0);
    let mut cancelled = false;
    let status = loop {
        for line in stdout.try_iter().chain(stderr.try_iter()) {
            sink.emit(Event::Log { line });
        }
        for s in sockets(qmp_dir) {
            if !seen.contains(&s)
                && let Ok(status) = qmp::status(&s)
            {
                sink.emit(Event::MachineUp { machine: machine_of(&s), status });
                seen.insert(s);
            }
        }
        let mut chunk = String::new();
        events.read_to_string(&mut chunk)?;
        pending.push_str(&chunk);
        while let Some(nl) = pending.find('\n') {
            let line: String = pending.drain(..=nl).collect();
            let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
            let test = v["test"].as_str().unwrap_or_default().to_string();
            match v["event"].as_str() {
                Some("machine_start") => {
                    let machine = v["machine"].as_str().unwrap_or_default().to_string();
                    let socket = qmp_dir.join(format!("{machine}.runner-qmp"));
                    let status = qmp::status(&socket).unwrap_or_else(|_| "started (no runner QMP socket)".into());
                    seen.insert(socket);
                    sink.emit(Event::MachineUp { machine, status });
                }
                Some("test_start") => sink.emit(Event::TestStart { test }),
                Some("test_pass") => {
                    passed += 1;
                    sink.emit(Event::TestPass { test, duration: v["duration"].as_f64().unwrap_or(0.0) });
                }
                Some("test_skip") => sink.emit(Event::TestSkip { test }),
                Some("test_fail") => {
                    failed += 1;
                    let screenshots = sockets(qmp_dir)
                        .into_iter()
                        .filter_map(|s| {
                            let file = out.join(format!("{}-{}.png", test.replace(['/', '[', ']'], "_"), machine_of(&s)));
                            qmp::screendump(&s, &file).ok().map(|()| file.display().to_string())
                        })
                        .collect();
                    let location = v["line"].as_u64().and_then(|l| target.locate(u32::try_from(l).ok()?));
                    sink.emit(Event::TestFail { test, message: v["message"].as_str().unwrap_or("").to_string(), location, screenshots });
                }
                _ => {}
            }
            // The plugin waits for this while the VMs are still up.
            if let Some(ack) = v["ack"].as_str() {
                let _ = std::fs::write(ack, "");
            }
        }
        if cancel.load(Ordering::SeqCst) {
            cancelled = true;
            stop(&mut child, qmp_dir);
            break None;
        }
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    for line in stdout.try_iter().chain(stderr.try_iter()) {
        sink.emit(Event::Log { line });
    }
    let (code, what) = match status {
        None if cancelled => (2, "cancelled".to_string()),
        _ if failed > 0 => (1, "failed".to_string()),
        Some(s) if s.success() => (0, "passed".to_string()),
        Some(s) => (2, format!("the driver exited with {s} before reporting a failed test")),
        None => (2, "stopped".to_string()),
    };
    sink.emit(Event::End { passed, failed, status: what, exit_code: code });
    Ok(code)
}
