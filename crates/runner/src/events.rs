//! The event stream: JSON lines (`--format json`, the protocol crate's
//! [`Event`]), a human view, and a JUnit report at the end (`--format junit`).

use std::io::Write;

pub use nixos_test_protocol::{Event, Location};

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum, Debug)]
pub enum Format {
    Human,
    Json,
    Junit,
}

/// Where events go: stdout in the chosen format, log lines also to the
/// run's log file. Only the events a report needs are kept in memory (log
/// lines are not: a driver may print millions).
pub struct Sink {
    pub format: Format,
    pub events: Vec<Event>,
    /// Line-buffered: driver.log is followed (`tail -f`) while a run goes on.
    log: Option<std::io::LineWriter<std::fs::File>>,
}

impl Sink {
    pub fn new(format: Format) -> Sink {
        Sink { format, events: Vec::new(), log: None }
    }

    /// From now on, log lines are also written to `file`.
    pub fn log_to(&mut self, file: std::fs::File) {
        self.log = Some(std::io::LineWriter::new(file));
    }

    pub fn emit(&mut self, e: Event) {
        let mut out = std::io::stdout().lock();
        let _ = match self.format {
            Format::Json => serde_json::to_writer(&mut out, &e).map_err(std::io::Error::other).and_then(|()| writeln!(out)),
            Format::Human | Format::Junit => human(&mut out, &e),
        };
        let _ = out.flush();
        match e {
            Event::Log { line } => {
                if let Some(log) = &mut self.log {
                    let _ = writeln!(log, "{line}");
                }
            }
            e => self.events.push(e),
        }
    }

    /// The JUnit XML of the run, for `--format junit` (written to the output dir).
    pub fn junit(&self) -> String {
        let mut cases = String::new();
        let (mut tests, mut failures) = (0, 0);
        for e in &self.events {
            match e {
                Event::TestPass { test, duration } => {
                    tests += 1;
                    cases.push_str(&format!("    <testcase name=\"{}\" time=\"{duration:.3}\"/>\n", xml(test)));
                }
                Event::TestFail { test, message, .. } => {
                    tests += 1;
                    failures += 1;
                    cases.push_str(&format!(
                        "    <testcase name=\"{}\">\n      <failure message=\"{}\"/>\n    </testcase>\n",
                        xml(test),
                        xml(message)
                    ));
                }
                _ => {}
            }
        }
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites>\n  <testsuite name=\"nixos-test\" tests=\"{tests}\" failures=\"{failures}\">\n{cases}  </testsuite>\n</testsuites>\n"
        )
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn human(out: &mut impl Write, e: &Event) -> std::io::Result<()> {
    match e {
        Event::Build { status, message } => writeln!(out, "build {status}: {message}"),
        Event::Log { line } => writeln!(out, "  | {line}"),
        Event::MachineUp { machine, status } => writeln!(out, "machine {machine}: {status}"),
        Event::TestStart { test } => writeln!(out, "▶ {test}"),
        Event::TestPass { test, duration } => writeln!(out, "✔ {test} ({duration:.2} s)"),
        Event::TestFail { test, message, location, screenshots } => {
            let at = location.as_ref().map(|l| format!(" at {}:{}:{}", l.file, l.line, l.column)).unwrap_or_default();
            writeln!(out, "✘ {test}{at}: {message}")?;
            for s in screenshots {
                writeln!(out, "  screenshot: {s}")?;
            }
            Ok(())
        }
        Event::TestSkip { test } => writeln!(out, "- {test} skipped"),
        Event::End { passed, failed, status, .. } => writeln!(out, "{status}: {passed} passed, {failed} failed"),
    }
}
