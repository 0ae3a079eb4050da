//! The runner's parts, as a library for its binary and its tests.

pub mod build;
pub mod driver_cli;
pub mod events;
pub mod outdir;
pub mod process;
pub mod qmp;
pub mod script;
pub mod vm_sockets;
