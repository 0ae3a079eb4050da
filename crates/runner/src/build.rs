//! Building a test's `.driver` with Nix, build output streamed as events.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Result, bail};

use crate::events::{Event, Sink};

/// The command that builds the driver: a flake output, an attribute of the
/// file, or the file itself as a test module (`runNixOSTest`, `<nixpkgs>`).
pub fn command(file: &Path, attr: Option<&str>, flake: Option<&str>) -> Command {
    if let Some(flake) = flake {
        let mut c = Command::new("nix");
        c.args(["build", "--no-link", "--print-out-paths", &format!("{flake}.driver")]);
        return c;
    }
    let mut c = Command::new("nix-build");
    c.arg("--no-out-link");
    match attr {
        Some(a) => {
            c.arg(file).args(["-A", &format!("{a}.driver")]);
        }
        None => {
            let expr = format!("((import <nixpkgs> {{ }}).testers.runNixOSTest (import {})).driver", file.display());
            c.args(["-E", &expr]);
        }
    }
    c
}

pub fn build(file: &Path, attr: Option<&str>, flake: Option<&str>, sink: &mut Sink) -> Result<PathBuf> {
    let mut cmd = command(file, attr, flake);
    sink.emit(Event::Build { status: "started".into(), message: format!("{cmd:?}") });
    let mut child =
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().map_err(|e| anyhow::anyhow!("cannot run Nix ({e}); is it installed?"))?;
    let stderr = child.stderr.take().map(BufReader::new);
    let mut tail: Vec<String> = Vec::new();
    if let Some(r) = stderr {
        for line in r.lines().map_while(Result::ok) {
            sink.emit(Event::Log { line: line.clone() });
            tail.push(line);
            if tail.len() > 20 {
                tail.remove(0);
            }
        }
    }
    let out = child.wait_with_output()?;
    if !out.status.success() {
        let message = format!("the driver did not build ({}): {}", out.status, tail.join("\n"));
        sink.emit(Event::Build { status: "failed".into(), message: message.clone() });
        bail!(message);
    }
    let path = String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or_default().trim().to_string();
    sink.emit(Event::Build { status: "done".into(), message: path.clone() });
    Ok(PathBuf::from(path))
}
