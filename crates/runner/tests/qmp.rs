//! QMP through `qapi` against a real `qemu-system-x86_64`: status of a
//! machine without devices, a PNG screendump of a VGA display (no guest
//! needed), and `quit` ending QEMU.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use nixos_test_run::qmp;

fn qemu(args: &[&str], socket: &Path) -> Child {
    let child = Command::new("qemu-system-x86_64")
        .args(args)
        .args(["-display", "none", "-qmp"])
        .arg(format!("unix:{},server=on,wait=off", socket.display()))
        .spawn()
        .expect("qemu-system-x86_64 (apt-get install qemu-system-x86)");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !socket.exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    child
}

fn wait_exit(child: &mut Child) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

#[test]
fn status_and_quit_on_a_machine_without_devices() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("none.qmp");
    let mut child = qemu(&["-machine", "none", "-nodefaults"], &sock);
    assert_eq!(qmp::status(&sock).unwrap(), "running");
    qmp::quit(&sock).unwrap();
    assert!(wait_exit(&mut child), "QEMU exits on quit");
}

#[test]
fn screendump_writes_a_png() {
    let dir = tempfile::tempdir().unwrap();
    let sock = dir.path().join("vga.qmp");
    let mut child = qemu(&["-machine", "pc", "-m", "64", "-nodefaults", "-vga", "std"], &sock);
    let png = dir.path().join("shot.png");
    qmp::screendump(&sock, &png).unwrap();
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n") && bytes.len() > 100);
    qmp::quit(&sock).unwrap();
    assert!(wait_exit(&mut child));
}

#[test]
fn a_missing_socket_is_an_error_not_a_panic() {
    let err = qmp::status(Path::new("/nonexistent/qmp.sock")).unwrap_err();
    assert!(format!("{err:#}").contains("connect to QMP"));
}
