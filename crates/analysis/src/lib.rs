//! Pure analysis of NixOS test files: no I/O, no LSP types, no async.
//!
//! Text in, model and diagnostics out: [`nix`] finds the tests of a Nix file
//! and extracts each `testScript` with a byte-exact [`source_map`];
//! [`driver_api`] is the one table of the driver's API.

mod analysis;
pub mod diagnostics;
pub mod driver_api;
pub mod ide;
pub mod limits;
pub mod line_index;
pub mod nix;
pub mod python;
pub mod rules;
pub mod source_map;
pub mod suggest;
pub mod typecheck;

pub use analysis::{Analysis, CONFIG_FILE_NAMES, Config, Script, Settings, SettingsError, analyze, lint, model, noqa, parse_script};
pub use limits::ANALYSIS_STACK_BYTES;
