//! The file system as every shell (CLI, server, runner) sees it, written
//! once. Every input is hostile until checked, so:
//!
//! - only regular files are read: a path is opened non-blocking and checked
//!   with `fstat` on the opened handle (a FIFO, a device, a socket or
//!   `/dev/stdin` is refused without a single read, whatever symlink led
//!   there), and never more than a limit is read, whatever the metadata says;
//! - `builtins.readFile` is confined to the test's repository (the nearest
//!   directory above the file holding `.git` or `flake.nix`), widened only by
//!   the `read-roots` configuration key;
//! - configuration files are found and read the same way, and a broken one
//!   is an error the caller shows, never silently ignored.

mod config;
pub mod discover;
mod generation;
mod loader;
mod program;
mod read;
pub mod typecheck;

pub use config::{ConfigError, find_config, load_settings};
pub use generation::{detect as detect_generation, settle_generation};
pub use loader::{DiskLoader, repository_root};
pub use program::find_program;
pub use read::{MAX_CONFIG_BYTES, MAX_FILE_BYTES, ReadError, read_bytes, read_text};
