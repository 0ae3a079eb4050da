//! `cargo bench -p nixos-test-lsp --bench latency`: replays a typing session
//! on a 2,000-line test file against the release server over stdio and
//! reports p50/p99 of completion and of diagnostics (after the debounce),
//! then the server's memory with 200 open documents. `BENCH_BASELINE=<another
//! nixos-test-lsp>` replays the same session against it, side by side.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use std::time::{Duration, Instant};

use nixos_test_support::lsp::{Client, pos};
use serde_json::json;

/// The server's debounce before diagnostics (see `server.rs`).
const DEBOUNCE: Duration = Duration::from_millis(60);

fn percentile(v: &mut [f64], p: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok()))
        .unwrap_or(0)
}

fn main() {
    if let Some(base) = std::env::var_os("BENCH_BASELINE") {
        println!("== baseline: {}", base.to_string_lossy());
        session(std::path::Path::new(&base));
        println!("== this build");
    }
    session(std::path::Path::new(env!("CARGO_BIN_EXE_nixos-test-lsp")));
}

fn session(server: &std::path::Path) {
    let mut c = Client::start_server(server, &[]);
    c.initialize(&["utf-16"]);
    let (text, _) = nixos_test_support::corpus::test_file(0, 400);
    let lines = text.lines().count();
    let uri = "file:///bench/big.nix";
    c.open(uri, &text);
    c.diagnostics(uri, Some(1));
    // Type `    server.wait_for_open_port(80)` on a fresh line in the script.
    let line = text.lines().position(|l| l.contains("start_all()")).expect("script") as u32 + 1;
    c.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [{ "range": { "start": pos(line, 0), "end": pos(line, 0) }, "text": "\n" }] }));
    let typed = "    server.wait_for_open_port(80)";
    let (mut completion, mut diagnostics) = (Vec::new(), Vec::new());
    let rounds = std::env::var("BENCH_ROUNDS").ok().and_then(|v| v.parse().ok()).unwrap_or(3);
    let mut version = 2;
    for _ in 0..rounds {
        for (col, ch) in typed.chars().enumerate() {
            version += 1;
            let changed = Instant::now();
            c.notify(
                "textDocument/didChange",
                json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "range": { "start": pos(line, col as u32), "end": pos(line, col as u32) }, "text": ch.to_string() }] }),
            );
            let t = Instant::now();
            let r = c.result("textDocument/completion", json!({ "textDocument": { "uri": uri }, "position": pos(line, col as u32 + 1) }));
            completion.push(t.elapsed().as_secs_f64() * 1000.0);
            assert!(r["items"].is_array());
            c.diagnostics(uri, Some(version));
            diagnostics.push((changed.elapsed().saturating_sub(DEBOUNCE)).as_secs_f64() * 1000.0);
        }
        // Delete the typed line again for the next round.
        version += 1;
        c.notify("textDocument/didChange", json!({ "textDocument": { "uri": uri, "version": version }, "contentChanges": [{ "range": { "start": pos(line, 0), "end": pos(line, typed.len() as u32) }, "text": "" }] }));
        c.diagnostics(uri, Some(version));
    }
    println!("typing session: {lines}-line file, {} keystrokes", completion.len());
    println!("completion:  p50 {:.2} ms, p99 {:.2} ms", percentile(&mut completion, 0.5), percentile(&mut completion, 0.99));
    println!(
        "diagnostics: p50 {:.2} ms, p99 {:.2} ms after the {} ms debounce",
        percentile(&mut diagnostics, 0.5),
        percentile(&mut diagnostics, 0.99),
        DEBOUNCE.as_millis()
    );
    let before = rss_kib(c.pid());
    for (i, (nix, _)) in nixos_test_support::corpus::corpus(200).into_iter().enumerate() {
        let u = format!("file:///bench/doc-{i}.nix");
        c.open(&u, &nix);
        c.diagnostics(&u, Some(1));
    }
    std::thread::sleep(Duration::from_millis(200));
    println!(
        "memory: {:.1} MB with the big file, {:.1} MB with 200 more open documents",
        before as f64 / 1024.0,
        rss_kib(c.pid()) as f64 / 1024.0
    );
    c.shutdown();
}
