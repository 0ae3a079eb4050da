//! `nixos-test-lsp`: a language server for NixOS VM tests. A thin shell over
//! the analysis crate: documents and positions here, features there.

mod capabilities;
mod documents;
mod from_proto;
mod handlers;
mod lsp_ext;
mod run;
mod server;
mod to_proto;
mod transport;
mod typecheck;

use tower_lsp_server::{LspService, Server};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
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
    // Analysis runs on the runtime's blocking threads: they get the stack
    // the analysis is bounded for (see `nixos_test_analysis::limits`).
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(nixos_test_analysis::ANALYSIS_STACK_BYTES)
        .build()
        .unwrap_or_else(|e| {
            eprintln!("nixos-test-lsp: cannot start: {e}");
            std::process::exit(2)
        });
    let code = runtime.block_on(serve());
    // The guard may sit in a blocking read of stdin, which would hold the
    // runtime open: leave at once, as the protocol asks.
    std::process::exit(code);
}

/// Serves until `exit`, the end of stdin, or SIGTERM/SIGINT/SIGHUP; then
/// stops every run it started. The exit status is 0 after `shutdown`, 1
/// otherwise, as the protocol asks.
async fn serve() -> i32 {
    use tokio::signal::unix::{SignalKind, signal};
    let (service, socket) = LspService::build(server::Backend::new)
        .custom_method(transport::MALFORMED, server::Backend::malformed)
        .custom_method(transport::INVALID, server::Backend::invalid)
        .custom_method(transport::UNKNOWN, server::Backend::unknown)
        .custom_method(<lsp_ext::DocumentText as tower_lsp_server::ls_types::request::Request>::METHOD, server::Backend::document_text)
        .custom_method(<lsp_ext::ShowScript as tower_lsp_server::ls_types::request::Request>::METHOD, server::Backend::show_script)
        .custom_method(
            <lsp_ext::DriverGeneration as tower_lsp_server::ls_types::request::Request>::METHOD,
            server::Backend::driver_generation,
        )
        .custom_method("window/workDoneProgress/cancel", server::Backend::cancel_run)
        .finish();
    let backend = service.inner().clone();
    let (to_server, from_guard) = tokio::io::duplex(1 << 16);
    // The end of stdin ends the session even while a request (a run) is
    // still going, which the library alone would wait for.
    let stdin_closed = tokio::spawn(transport::guard(tokio::io::stdin(), to_server));
    let signals = async {
        let (Ok(mut term), Ok(mut int), Ok(mut hup)) =
            (signal(SignalKind::terminate()), signal(SignalKind::interrupt()), signal(SignalKind::hangup()))
        else {
            return std::future::pending().await;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
            _ = hup.recv() => {}
        }
    };
    tokio::select! {
        () = Server::new(from_guard, tokio::io::stdout(), socket).serve(service) => {}
        () = signals => tracing::warn!("stopped by a signal"),
        _ = stdin_closed => tracing::info!("the client closed the connection"),
    }
    backend.stop_runs(std::time::Duration::from_secs(10)).await;
    if backend.was_shut_down() { 0 } else { 1 }
}
