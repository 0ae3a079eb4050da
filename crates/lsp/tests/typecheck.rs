//! The build's type check in the editor, opt-in, with the real `ty`: our
//! diagnostics come first, ty's follow with the others, mapped to the Nix
//! lines; without ty, one message and nothing else changes.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

mod common;

use nixos_test_support::ty;
use serde_json::json;

/// Two mistakes only the type check finds: a literal through a variable,
/// and an annotation the driver's return type contradicts.
const TEST: &str = "{\n  nodes.server = { };\n  testScript = ''\n    port = \"80\"\n    server.wait_for_open_port(port)\n    count: int = 0\n    count = server.succeed(\"x\")\n  '';\n}\n";

#[test]
fn ty_findings_follow_ours_at_their_nix_lines() {
    let Some(ty) = ty() else { return };
    let mut c = common::start();
    let r = c.request(
        "initialize",
        json!({ "processId": null, "rootUri": null, "capabilities": {}, "initializationOptions": { "typeCheck": true, "ty": ty } }),
    );
    assert!(r.get("result").is_some(), "{r}");
    c.notify("initialized", json!({}));
    let uri = "file:///tmp/typecheck-in-the-editor.nix";
    c.open(uri, TEST);
    // Ours first (nothing of ours here), then ty's with them.
    let first = c.diagnostics(uri, Some(1));
    assert!(first.iter().all(|d| !d["code"].as_str().unwrap_or("").starts_with("ty:")), "{first:?}");
    let second = c.diagnostics(uri, Some(1));
    let lines: Vec<(i64, &str)> =
        second.iter().map(|d| (d["range"]["start"]["line"].as_i64().unwrap(), d["code"].as_str().unwrap())).collect();
    assert!(lines.contains(&(4, "ty:invalid-argument-type")), "{lines:?}");
    assert!(lines.iter().any(|(l, code)| *l == 6 && code.starts_with("ty:")), "{lines:?}");
    assert!(lines.iter().all(|(_, code)| code.starts_with("ty:")), "{lines:?}");
    // Hover names the ty in use.
    let h = c.result("textDocument/hover", json!({ "textDocument": { "uri": uri }, "position": { "line": 4, "character": 12 } }));
    assert!(h["contents"]["value"].as_str().unwrap().contains("Type check: ty "), "{h}");
    c.shutdown();
}

#[test]
fn without_ty_one_message_and_our_diagnostics_unchanged() {
    let mut c = common::start_with_env(&[("PATH", "/nonexistent"), ("NIXOS_TEST_TY", "/nonexistent/ty")]);
    let r = c.request(
        "initialize",
        json!({ "processId": null, "rootUri": null, "capabilities": {}, "initializationOptions": { "typeCheck": true } }),
    );
    assert!(r.get("result").is_some(), "{r}");
    c.notify("initialized", json!({}));
    for i in 0..3 {
        let uri = format!("file:///tmp/no-ty-{i}.nix");
        c.open(&uri, TEST);
        assert!(c.diagnostics(&uri, Some(1)).is_empty());
    }
    c.request(
        "textDocument/hover",
        json!({ "textDocument": { "uri": "file:///tmp/no-ty-0.nix" }, "position": { "line": 0, "character": 0 } }),
    );
    let told = c
        .notes
        .iter()
        .filter(|m| m["method"] == "window/showMessage" && m["params"]["message"].as_str().unwrap().contains("ty was not found"))
        .count();
    assert_eq!(told, 1, "{:?}", c.notes);
    c.shutdown();
}
