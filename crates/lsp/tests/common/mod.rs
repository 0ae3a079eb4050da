//! The LSP client of the test support, started on this crate's server.

#![allow(dead_code, unused_imports)] // Not every test file uses every helper.

pub use nixos_test_support::lsp::{Client, pos};
pub use nixos_test_support::{examples, uri};

/// The server of this crate, as built for its tests.
pub fn start() -> Client {
    start_with_env(&[])
}

pub fn start_with_env(env: &[(&str, &str)]) -> Client {
    Client::start_server(std::path::Path::new(env!("CARGO_BIN_EXE_nixos-test-lsp")), env)
}
