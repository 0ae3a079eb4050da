//! Pure analysis of NixOS test files: no I/O, no LSP types, no async.
//!
//! Text in, model and diagnostics out: [`nix`] finds the tests of a Nix file
//! and extracts each `testScript` with a byte-exact [`source_map`];
//! [`driver_api`] is the one table of the driver's API.

pub mod driver_api;
pub mod nix;
pub mod source_map;
