//! The runner's own QMP socket on every VM, for any test and any driver
//! generation, without a Nix module: the driver keeps its QMP connection
//! (a QEMU chardev serves one client), so the runner asks for a second one
//! through `QEMU_OPTS`, which every NixOS start script (`run-<name>-vm`)
//! appends to QEMU's command line after `cd "$TMPDIR"`, the VM's state
//! directory. A relative socket name therefore lands in
//! `<state root>/vm-state-<name>/runner.qmp`, found by the VM's name.

use std::ffi::OsString;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::PathBuf;
use std::time::{Duration, SystemTime};

/// The socket's name inside each VM's state directory.
pub const SOCKET: &str = "runner.qmp";

/// `QEMU_OPTS` for the driver: the user's own, then the runner's socket.
pub fn qemu_opts(existing: Option<OsString>) -> OsString {
    let mut opts = existing.unwrap_or_default();
    if !opts.is_empty() {
        opts.push(" ");
    }
    opts.push(format!("-qmp unix:{SOCKET},server=on,wait=off"));
    opts
}

/// Where the driver puts the VMs' state directories: `$XDG_RUNTIME_DIR`,
/// else Python's `tempfile.gettempdir()` (`$TMPDIR`, `$TEMP`, `$TMP`, `/tmp`).
pub fn state_root() -> PathBuf {
    ["XDG_RUNTIME_DIR", "TMPDIR", "TEMP", "TMP"]
        .iter()
        .filter_map(std::env::var_os)
        .map(PathBuf::from)
        .find(|p| p.is_dir())
        .unwrap_or_else(|| PathBuf::from("/tmp"))
}

/// The runner sockets of one run's VMs.
pub struct VmSockets {
    root: PathBuf,
    since: SystemTime,
    uid: u32,
}

impl VmSockets {
    /// Sockets under `root` created from now on, by this user. File times
    /// come from the kernel's coarse clock, a few milliseconds behind
    /// `SystemTime::now()`: 100 ms of slack.
    pub fn new(root: PathBuf) -> VmSockets {
        let since = SystemTime::now() - Duration::from_millis(100);
        VmSockets { root, since, uid: rustix::process::getuid().as_raw() }
    }

    /// `(VM name, socket)` for every VM of this run, sorted by name. A
    /// socket left by an earlier run or owned by someone else (the state
    /// root may be a shared `/tmp`) is not ours to talk to.
    pub fn all(&self) -> Vec<(String, PathBuf)> {
        let Ok(dir) = std::fs::read_dir(&self.root) else { return Vec::new() };
        let mut found: Vec<(String, PathBuf)> = dir
            .filter_map(Result::ok)
            .filter_map(|e| {
                let name = e.file_name().to_str()?.strip_prefix("vm-state-")?.to_string();
                let socket = e.path().join(SOCKET);
                let meta = std::fs::symlink_metadata(&socket).ok()?;
                let fresh = meta.modified().is_ok_and(|m| m >= self.since);
                (meta.file_type().is_socket() && meta.uid() == self.uid && fresh).then_some((name, socket))
            })
            .collect();
        found.sort();
        found
    }

    /// The socket of the machine a script calls `machine`: the VM's name,
    /// or the name as a Python identifier (`a-b` is the global `a_b`).
    pub fn of(&self, machine: &str) -> Option<PathBuf> {
        self.all().into_iter().find(|(name, _)| name == machine || pythonize(name) == machine).map(|(_, s)| s)
    }
}

/// A node name as the driver's global: characters outside `[A-Za-z0-9_]`
/// become `_` (and a leading digit too), as nixpkgs' `pythonizeName`.
fn pythonize(name: &str) -> String {
    name.char_indices().map(|(i, c)| if c.is_ascii_alphabetic() || c == '_' || (i > 0 && c.is_ascii_digit()) { c } else { '_' }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_users_qemu_opts_are_kept() {
        assert_eq!(qemu_opts(None), "-qmp unix:runner.qmp,server=on,wait=off");
        assert_eq!(qemu_opts(Some("-m 2048".into())), "-m 2048 -qmp unix:runner.qmp,server=on,wait=off");
    }

    #[test]
    fn only_fresh_sockets_of_vm_state_directories_count() {
        let root = tempfile::tempdir().unwrap();
        let old = root.path().join("vm-state-old");
        std::fs::create_dir(&old).unwrap();
        let _stale = std::os::unix::net::UnixListener::bind(old.join(SOCKET)).unwrap();
        std::thread::sleep(Duration::from_millis(250));
        let sockets = VmSockets::new(root.path().to_path_buf());
        for name in ["web-server", "client"] {
            let dir = root.path().join(format!("vm-state-{name}"));
            std::fs::create_dir(&dir).unwrap();
            std::mem::forget(std::os::unix::net::UnixListener::bind(dir.join(SOCKET)).unwrap());
        }
        std::fs::create_dir(root.path().join("vm-state-plain")).unwrap();
        std::fs::write(root.path().join("vm-state-plain").join(SOCKET), "not a socket").unwrap();
        let names: Vec<String> = sockets.all().into_iter().map(|(n, _)| n).collect();
        assert_eq!(names, ["client", "web-server"]);
        assert!(sockets.of("web_server").is_some() && sockets.of("web-server").is_some());
        assert!(sockets.of("old").is_none());
    }
}
