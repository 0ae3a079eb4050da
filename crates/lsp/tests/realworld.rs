//! Every request on every real-world test (`../shared/realworld`): the
//! server answers each without an error and stays up, and no diagnostic it
//! publishes is an error (the NixOS build accepted these files).

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

mod common;

use std::path::Path;

use common::pos;
use nixos_test_support::shared_dir;
use serde_json::json;

#[test]
fn every_feature_on_every_realworld_file() {
    let Some(root) = shared_dir("realworld") else { return };
    let mut files: Vec<_> = walkdir(&root);
    files.sort();
    assert_eq!(files.len(), 82);
    let mut c = common::start();
    c.initialize(&["utf-16"]);
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let uri = format!("file://{}", f.display());
        c.open(&uri, &text);
        for d in c.diagnostics(&uri, Some(1)) {
            assert_ne!(d["severity"], 1, "{}: {d}", f.display());
        }
        let lines: Vec<&str> = text.lines().collect();
        // Positions spread over the file, at words and after dots.
        for (i, line) in lines.iter().enumerate().step_by((lines.len() / 12).max(1)) {
            let cols = [0, line.len() / 2, line.find('.').map_or(0, |d| d + 1), line.len()];
            for col in cols {
                let p = pos(i as u32, line[..col.min(line.len())].encode_utf16().count() as u32);
                for method in ["textDocument/completion", "textDocument/hover", "textDocument/definition", "textDocument/signatureHelp"] {
                    let r = c.request(method, json!({ "textDocument": { "uri": uri }, "position": p }));
                    assert!(r.get("error").is_none(), "{method} at {p} in {}: {r}", f.display());
                }
            }
        }
        for method in
            ["textDocument/documentSymbol", "textDocument/foldingRange", "textDocument/semanticTokens/full", "textDocument/codeLens"]
        {
            let r = c.request(method, json!({ "textDocument": { "uri": uri } }));
            assert!(r.get("error").is_none(), "{method} in {}: {r}", f.display());
        }
        let r = c.request(
            "textDocument/codeAction",
            json!({ "textDocument": { "uri": uri }, "range": { "start": pos(0, 0), "end": pos(lines.len() as u32, 0) }, "context": { "diagnostics": [] } }),
        );
        assert!(r.get("error").is_none(), "codeAction in {}: {r}", f.display());
        c.notify("textDocument/didClose", json!({ "textDocument": { "uri": uri } }));
    }
    assert!(c.alive());
    c.shutdown();
}

fn walkdir(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            out.extend(walkdir(&p));
        } else if p.extension().is_some_and(|x| x == "nix") {
            out.push(p);
        }
    }
    out
}
