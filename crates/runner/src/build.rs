//! Building a test's `.driver` with Nix, supervised like the driver: its
//! output streamed as events, and a cancel stops the whole build.

use std::io::BufReader;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::events::{Event, Sink};
use crate::process;

/// Builds the driver of a test module file with the `<nixpkgs>` on the
/// search path. The file's path is passed as a string argument, never
/// pasted into the expression: any name works, spaces and quotes too.
const MODULE_EXPR: &str = "{ file }: ((import <nixpkgs> { }).testers.runNixOSTest (import (/. + file))).driver";

/// The command that builds the driver: a flake output, an attribute of the
/// file, or the file itself as a test module (`runNixOSTest`, `<nixpkgs>`).
pub fn command(file: &Path, attr: Option<&str>, flake: Option<&str>) -> Result<Command> {
    if let Some(flake) = flake {
        let mut c = Command::new("nix");
        c.args(["build", "--no-link", "--print-out-paths"]).arg(format!("{flake}.driver"));
        return Ok(c);
    }
    let file = file.canonicalize().with_context(|| format!("read {}", file.display()))?;
    let mut c = Command::new("nix-build");
    c.arg("--no-out-link");
    match attr {
        Some(a) => {
            c.arg(&file).arg("-A").arg(format!("{a}.driver"));
        }
        None => {
            c.args(["-E", MODULE_EXPR, "--argstr", "file"]).arg(&file);
        }
    }
    Ok(c)
}

pub fn build(file: &Path, attr: Option<&str>, flake: Option<&str>, cancel: &AtomicBool, sink: &mut Sink) -> Result<PathBuf> {
    let mut cmd = command(file, attr, flake)?;
    sink.emit(Event::Build { status: "started".into(), message: format!("{cmd:?}") });
    // Its own process group, so that a cancel stops Nix and its children.
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .map_err(|e| anyhow::anyhow!("cannot run Nix ({e}); is it installed?"))?;
    let stdout = child.stdout.take().map(|o| process::lines_of(BufReader::new(o)));
    let stderr = child.stderr.take().map(|e| process::lines_of(BufReader::new(e)));
    let mut tail = process::Tail::new(20);
    let mut out_lines = Vec::new();
    let status = loop {
        if let Some(rx) = &stderr {
            for line in rx.try_iter() {
                tail.push(&line);
                sink.emit(Event::Log { line });
            }
        }
        if let Some(rx) = &stdout {
            out_lines.extend(rx.try_iter());
        }
        if cancel.load(Ordering::SeqCst) {
            process::stop_group(&mut child, Duration::from_secs(5));
            sink.emit(Event::Build { status: "cancelled".into(), message: String::new() });
            bail!("cancelled during the build");
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    // What the readers still hold.
    if let Some(rx) = &stderr {
        for line in rx.iter() {
            tail.push(&line);
            sink.emit(Event::Log { line });
        }
    }
    if let Some(rx) = &stdout {
        out_lines.extend(rx.iter());
    }
    if !status.success() {
        let message = format!("the driver did not build ({status}): {}", tail.lines().join("\n"));
        sink.emit(Event::Build { status: "failed".into(), message: message.clone() });
        bail!(message);
    }
    let path = out_lines.iter().rev().map(|l| l.trim()).find(|l| !l.is_empty()).unwrap_or_default().to_string();
    if !path.starts_with('/') {
        let message = format!("the build printed no store path (got {path:?})");
        sink.emit(Event::Build { status: "failed".into(), message: message.clone() });
        bail!(message);
    }
    sink.emit(Event::Build { status: "done".into(), message: path.clone() });
    Ok(PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_arguments_never_nix_source() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("my \"test\" ${x}.nix");
        std::fs::write(&file, "{ }").unwrap();
        let c = command(&file, None, None).unwrap();
        let args: Vec<String> = c.get_args().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(args[..4], ["--no-out-link", "-E", MODULE_EXPR, "--argstr"]);
        assert_eq!(args[5], file.canonicalize().unwrap().display().to_string());
    }
}
