//! Child processes the runner supervises (Nix, the driver and its VMs):
//! output read on threads, process groups stopped as a whole, and the
//! runner's own parent watched so that nothing outlives the editor.

use std::collections::VecDeque;
use std::io::BufRead;
use std::process::Child;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal};

/// The lines of `r`, read on a thread.
pub fn lines_of(r: impl BufRead + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in r.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// The last lines of a stream: what an error message shows of a log.
pub struct Tail {
    lines: VecDeque<String>,
    keep: usize,
}

impl Tail {
    pub fn new(keep: usize) -> Tail {
        Tail { lines: VecDeque::with_capacity(keep), keep }
    }
    pub fn push(&mut self, line: &str) {
        if self.lines.len() == self.keep {
            self.lines.pop_front();
        }
        self.lines.push_back(line.to_string());
    }
    pub fn lines(&self) -> Vec<String> {
        self.lines.iter().cloned().collect()
    }
}

fn signal_group(child: &Child, signal: Signal) {
    if let Some(pid) = i32::try_from(child.id()).ok().and_then(Pid::from_raw) {
        let _ = rustix::process::kill_process_group(pid, signal);
    }
}

/// Stops `child`'s process group (the child leads it): SIGTERM, then
/// SIGKILL after `grace`; the child is reaped.
pub fn stop_group(child: &mut Child, grace: Duration) {
    signal_group(child, Signal::TERM);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if child.try_wait().ok().flatten().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    signal_group(child, Signal::KILL);
    let _ = child.wait();
}

/// Sets `cancel` when the runner's parent goes away (the editor or server
/// killed): the run then stops as on Ctrl-C instead of running on alone.
pub fn watch_parent(cancel: Arc<AtomicBool>) {
    let parent = rustix::process::getppid();
    std::thread::spawn(move || {
        loop {
            std::thread::sleep(Duration::from_millis(200));
            if rustix::process::getppid() != parent {
                cancel.store(true, Ordering::SeqCst);
                return;
            }
        }
    });
}
