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

/// Ends what is left of `child`'s process group once the child has exited:
/// a driver leaves its VMs behind when it dies, and even a clean driver
/// does where `/bin/sh` does not `exec` a start script (dash), so its
/// `release()` signals the shell, not QEMU. SIGTERM, then SIGKILL after
/// `grace`.
pub fn end_stragglers(child: &Child, grace: Duration) {
    let Some(pid) = i32::try_from(child.id()).ok().and_then(Pid::from_raw) else { return };
    if !group_alive(pid) {
        return;
    }
    let _ = rustix::process::kill_process_group(pid, Signal::TERM);
    let deadline = Instant::now() + grace;
    while Instant::now() < deadline {
        if !group_alive(pid) {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = rustix::process::kill_process_group(pid, Signal::KILL);
}

/// Whether a process of group `pgid` still runs. Zombies do not count:
/// `kill(-pgid, 0)` counts them, and an init that is slow to reap orphans
/// (as in some containers) would keep the group "alive" for ever.
fn group_alive(pgid: Pid) -> bool {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return rustix::process::test_kill_process_group(pgid).is_ok();
    };
    procs.filter_map(Result::ok).any(|e| {
        // /proc/<pid>/stat: `pid (comm) state ppid pgrp ...`; comm may hold
        // spaces and parentheses, so fields are read after the last `)`.
        std::fs::read_to_string(e.path().join("stat")).ok().and_then(|stat| {
            let rest = &stat[stat.rfind(')')? + 1..];
            let mut fields = rest.split_whitespace();
            let state = fields.next()?;
            let pgrp: i32 = fields.nth(1)?.parse().ok()?;
            Some(state != "Z" && pgrp == pgid.as_raw_nonzero().get())
        }) == Some(true)
    })
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
