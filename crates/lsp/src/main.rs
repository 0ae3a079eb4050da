//! `nixos-test-lsp`: a language server for NixOS VM tests. A thin shell over
//! the analysis crate: documents and positions here, features there.

mod capabilities;
mod convert;
mod documents;
mod server;
mod transport;

use tower_lsp_server::{LspService, Server};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    if std::env::args().any(|a| a == "--version" || a == "-V") {
        println!("nixos-test-lsp {}", env!("CARGO_PKG_VERSION"));
        return;
    }
    // Logs go to stderr (or NIXOS_TEST_LSP_LOG); stdout carries the protocol.
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("NIXOS_TEST_LSP_LOG").unwrap_or_else(|_| "warn".into()))
        .init();
    let (service, socket) = LspService::build(server::Backend::new)
        .custom_method(transport::MALFORMED, server::Backend::malformed)
        .custom_method("nixos-test/documentText", server::Backend::document_text)
        .custom_method("window/workDoneProgress/cancel", server::Backend::cancel_run)
        .finish();
    let (to_server, from_guard) = tokio::io::duplex(1 << 16);
    tokio::spawn(transport::guard(tokio::io::stdin(), to_server));
    Server::new(from_guard, tokio::io::stdout(), socket).serve(service).await;
    // The guard may sit in a blocking read of stdin, which would hold the
    // runtime open: after `exit`, leave at once, as the protocol asks.
    std::process::exit(0);
}
