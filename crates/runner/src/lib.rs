//! The runner's parts, as a library for its binary and its tests.

pub mod build;
pub mod events;
pub mod outdir;
pub mod process;
pub mod qmp;
pub mod script;
