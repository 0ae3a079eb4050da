//! The run protocol, typed once and used on every side of a run:
//!
//! - [`RunRequest`]: what a client (the language server, the VS Code
//!   extension through it) asks `nixos-test-run` to do, as its command line;
//! - [`Event`]: what the runner streams back (`--format json`, one JSON
//!   object per line), parsed by the server with the same type;
//! - [`PluginEvent`]: what the pytest plugin inside the driver tells the
//!   runner (one JSON object per line in the run's events file).

use std::ffi::OsString;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Where in the Nix file a script line is (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

/// What the runner streams.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    Build { status: String, message: String },
    Log { line: String },
    MachineUp { machine: String, status: String },
    TestStart { test: String },
    TestPass { test: String, duration: f64 },
    TestFail { test: String, message: String, location: Option<Location>, screenshots: Vec<String> },
    TestSkip { test: String },
    End { passed: usize, failed: usize, status: String, exit_code: i32 },
}

impl Event {
    /// One line of `--format json`.
    pub fn parse(line: &str) -> Option<Event> {
        serde_json::from_str(line).ok()
    }
}

/// What the pytest plugin reports, with the file the runner touches to let
/// it go on (`ack`) where the plugin waits while the VMs are still up.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginMessage {
    #[serde(flatten)]
    pub event: PluginEvent,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ack: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum PluginEvent {
    /// A machine fixture started its machine.
    MachineStart {
        machine: String,
    },
    TestStart {
        test: String,
    },
    TestPass {
        test: String,
        duration: f64,
    },
    /// `line`: the failing line of the generated script, when known.
    TestFail {
        test: String,
        #[serde(default)]
        phase: Option<String>,
        message: String,
        #[serde(default)]
        line: Option<u32>,
    },
    TestSkip {
        test: String,
    },
    TestsDone {
        exit_code: i32,
    },
}

impl PluginMessage {
    pub fn parse(line: &str) -> Result<PluginMessage, serde_json::Error> {
        serde_json::from_str(line)
    }
}

/// The output formats of the runner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Human,
    Json,
    Junit,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Human => "human",
            Format::Json => "json",
            Format::Junit => "junit",
        }
    }
}

/// A run as a client asks for it; [`RunRequest::args`] is the runner's
/// command line (the runner's tests parse it with the runner's own parser).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunRequest {
    pub file: PathBuf,
    pub attr: Option<String>,
    /// `test_` functions to run; all of them when empty.
    pub tests: Vec<String>,
    pub format: Format,
    /// The run's private output folder.
    pub out: PathBuf,
}

impl RunRequest {
    pub fn args(&self) -> Vec<OsString> {
        let mut args: Vec<OsString> = vec!["--format".into(), self.format.as_str().into(), "--out".into(), self.out.clone().into()];
        for t in &self.tests {
            args.push("--test".into());
            args.push(t.into());
        }
        if let Some(a) = &self.attr {
            args.push("--attr".into());
            args.push(a.into());
        }
        args.push("--".into());
        args.push(self.file.clone().into());
        args
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip_as_json_lines() {
        let e = Event::TestFail {
            test: "test_a".into(),
            message: "assert 1 == 2".into(),
            location: Some(Location { file: "t.nix".into(), line: 3, column: 5 }),
            screenshots: vec![],
        };
        let line = serde_json::to_string(&e).unwrap_or_default();
        assert!(line.starts_with("{\"event\":\"test_fail\""), "{line}");
        assert_eq!(Event::parse(&line), Some(e));
    }

    #[test]
    fn plugin_messages_carry_their_ack() {
        let m = PluginMessage::parse(r#"{"event": "machine_start", "machine": "server", "ack": "/run/x.ack"}"#).ok();
        assert_eq!(
            m,
            Some(PluginMessage { event: PluginEvent::MachineStart { machine: "server".into() }, ack: Some("/run/x.ack".into()) })
        );
        let fail = PluginMessage::parse(r#"{"event": "test_fail", "test": "t", "phase": "call", "message": "m", "line": null}"#);
        assert!(matches!(fail, Ok(PluginMessage { event: PluginEvent::TestFail { line: None, .. }, ack: None })));
        assert!(PluginMessage::parse(r#"{"event": "nonsense"}"#).is_err());
    }
}
