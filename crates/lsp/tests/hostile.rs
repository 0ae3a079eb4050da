//! The server under hostile input, through its real stdio: broken frames,
//! messages that are JSON but not JSON-RPC, files that are devices or lead
//! out of the repository, crafted files that must start nothing.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

mod common;

use std::time::Duration;

use common::{Client, pos};
use serde_json::json;

fn hover_answers(c: &mut Client) {
    let r = c.request("textDocument/hover", json!({ "textDocument": { "uri": "file:///nowhere.nix" }, "position": pos(0, 0) }));
    assert!(r.get("result").is_some() || r.get("error").is_some(), "{r}");
}

#[test]
fn non_jsonrpc_messages_get_errors_and_the_server_keeps_serving() {
    let mut c = common::start();
    c.initialize(&["utf-16"]);
    for body in
        ["{}", "[]", "[1,2]", "null", "42", "\"s\"", r#"{"jsonrpc":"1.0","method":"x"}"#, r#"{"id":1.5,"jsonrpc":"2.0","method":"x"}"#]
    {
        c.send_raw(body);
    }
    c.send_raw(r#"{"jsonrpc":"1.0","id":901,"method":"textDocument/hover"}"#);
    assert_eq!(c.wait_response(901)["error"]["code"], -32600);
    c.send_raw(r#"{"jsonrpc":"2.0","id":902,"method":"$/someRequest"}"#);
    assert_eq!(c.wait_response(902)["error"]["code"], -32601);
    c.send_raw(r#"{"jsonrpc":"2.0","id":903,"method":"x","params":"#);
    assert_eq!(c.wait_response(903)["error"]["code"], -32700);
    hover_answers(&mut c);
    assert!(c.alive());
    c.shutdown();
}

#[test]
fn a_wrong_content_length_does_not_deafen_the_server() {
    let mut c = common::start();
    c.initialize(&["utf-16"]);
    let body = r#"{"jsonrpc":"2.0","id":950,"method":"textDocument/hover","params":{"textDocument":{"uri":"file:///x.nix"},"position":{"line":0,"character":0}}}"#;
    // Five bytes short, then ten bytes long, then absurdly long.
    c.write_bytes(format!("Content-Length: {}\r\n\r\n{body}", body.len() - 5).as_bytes());
    hover_answers(&mut c);
    c.write_bytes(format!("Content-Length: {}\r\n\r\n{body}", body.len() + 10).as_bytes());
    hover_answers(&mut c);
    c.write_bytes(b"Content-Length: 999999999999\r\n\r\n{}");
    hover_answers(&mut c);
    c.shutdown();
}

#[test]
fn random_frames_never_stop_the_server() {
    let mut c = common::start();
    c.initialize(&["utf-16"]);
    // A fixed-seed generator: reproducible, no extra dependency.
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let pieces: [&[u8]; 10] = [
        b"Content-Length: ",
        b"\r\n\r\n",
        b"{\"jsonrpc\":\"2.0\"",
        b",\"id\":",
        b",\"method\":\"textDocument/hover\"",
        b"}",
        b"null",
        b"\xff\xfe",
        b"12",
        b"[",
    ];
    for round in 0..2000 {
        let mut frame = Vec::new();
        for _ in 0..(next() % 8) {
            frame.extend_from_slice(pieces[(next() % 10) as usize]);
        }
        c.write_bytes(&frame);
        if round % 250 == 0 {
            // A clean separator, then a request that must be answered.
            c.write_bytes(b"\r\n\r\n");
            c.write_bytes(b"Content-Length: 2\r\n\r\n{}");
            hover_answers(&mut c);
        }
    }
    c.write_bytes(b"\r\n\r\nContent-Length: 2\r\n\r\n{}");
    hover_answers(&mut c);
    assert!(c.alive());
}

#[test]
fn exit_without_shutdown_exits_1() {
    let mut c = common::start();
    c.initialize(&["utf-16"]);
    c.notify("exit", serde_json::Value::Null);
    assert_eq!(c.exit_status(Duration::from_secs(5)), Some(1));
}

/// `readFile` of the server's own stdin, of a device, or of a file outside
/// the repository: an NT002 note with the reason, nothing read, and the
/// server answers every later request.
#[test]
fn read_file_targets_are_regular_files_inside_the_repository() {
    let outer = tempfile::tempdir().unwrap();
    let repo = outer.path().join("repo");
    std::fs::create_dir_all(repo.join(".git")).unwrap();
    std::fs::write(outer.path().join("secret.py"), "sk_live_SECRET123\n").unwrap();
    let mut c = common::start();
    c.initialize(&["utf-16"]);
    for (i, target) in ["../../../../../../../../dev/stdin", "../../../../../../../../dev/zero", "../secret.py"].iter().enumerate() {
        let file = repo.join(format!("t{i}.nix"));
        let text = format!("{{\n  nodes.machine = {{ }};\n  testScript = builtins.readFile {target};\n}}\n");
        std::fs::write(&file, &text).unwrap();
        let uri = format!("file://{}", file.display());
        c.open(&uri, &text);
        let diags = c.diagnostics(&uri, Some(1));
        let all = serde_json::to_string(&diags).unwrap();
        assert!(!all.contains("SECRET"), "{all}");
        let note = diags.iter().find(|d| d["code"] == "NT002").unwrap_or_else(|| panic!("{target}: {all}"));
        let msg = note["message"].as_str().unwrap();
        let refused = ["not a regular file", "outside the test's repository", "No such file"];
        assert!(refused.iter().any(|r| msg.contains(r)), "{target}: {msg}");
        hover_answers(&mut c);
    }
    c.shutdown();
}

/// Opening crafted files and asking everything about them starts no
/// process: only an explicit run command does.
#[test]
fn nothing_runs_without_a_click() {
    let dir = tempfile::tempdir().unwrap();
    let marker = dir.path().join("ran");
    let fake = dir.path().join("fake-runner");
    std::fs::write(&fake, format!("#!/bin/sh\ntouch {}\n", marker.display())).unwrap();
    std::fs::set_permissions(&fake, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let mut c = common::start_with_env(&[("NIXOS_TEST_RUN", fake.to_str().unwrap())]);
    c.initialize(&["utf-16"]);
    let text = "{\n  nodes.\"--driver=/tmp/evil\" = { };\n  nodes.\"x; touch /tmp/pwned\" = { };\n  testScript = ''\n    def test_$(touch /tmp/pwned)(): pass\n    def test_a(): pass\n  '';\n}\n";
    let file = dir.path().join("crafted.nix");
    std::fs::write(&file, text).unwrap();
    let uri = format!("file://{}", file.display());
    c.open(&uri, text);
    c.diagnostics(&uri, Some(1));
    let td = json!({ "uri": uri });
    for line in 0..8 {
        for ch in [0, 4, 10, 20] {
            let p = json!({ "textDocument": td, "position": pos(line, ch) });
            c.request("textDocument/hover", p.clone());
            c.request("textDocument/completion", p.clone());
            c.request("textDocument/definition", p.clone());
            c.request("textDocument/signatureHelp", p);
        }
    }
    for m in ["textDocument/codeLens", "textDocument/documentSymbol", "textDocument/semanticTokens/full", "textDocument/foldingRange"] {
        c.request(m, json!({ "textDocument": td }));
    }
    c.request(
        "textDocument/codeAction",
        json!({ "textDocument": td, "range": { "start": pos(0, 0), "end": pos(8, 0) }, "context": { "diagnostics": [] } }),
    );
    std::thread::sleep(Duration::from_millis(300));
    assert!(!marker.exists(), "a process ran without a click");
    // The explicit command does run it (so the check above can fail).
    let lenses = c.result("textDocument/codeLens", json!({ "textDocument": td }));
    let args = lenses[0]["command"]["arguments"].clone();
    c.request("workspace/executeCommand", json!({ "command": "nixos-test.run", "arguments": args }));
    assert!(marker.exists(), "the run command starts the runner");
    c.shutdown();
}

/// A run's progress token is created with `window/workDoneProgress/create`
/// before any `$/progress` uses it (VS Code drops unknown tokens).
#[test]
fn run_progress_is_created_before_it_is_used() {
    let mut c = common::start_with_env(&[("NIXOS_TEST_RUN", "/bin/true")]);
    c.initialize_with(json!({ "window": { "workDoneProgress": true } }));
    let r = c.request("workspace/executeCommand", json!({ "command": "nixos-test.run", "arguments": [{ "file": "/nonexistent.nix" }] }));
    assert!(r.get("result").is_some(), "{r}");
    let create = c.notes.iter().position(|m| m["method"] == "window/workDoneProgress/create").expect("create was requested");
    let first = c.notes.iter().position(|m| m["method"] == "$/progress").expect("progress was reported");
    assert!(create < first);
    assert_eq!(c.notes[create]["params"]["token"], c.notes[first]["params"]["token"]);
    c.shutdown();
}

/// A document closed while its analysis runs gets no diagnostics after the
/// empty list that clears it.
#[test]
fn nothing_is_published_for_a_closed_document() {
    let mut c = common::start();
    c.initialize(&["utf-16"]);
    let body: String = (0..20_000).map(|i| format!("    machine.succeed(\"echo {i}\")\n    undefined_{i}.x()\n")).collect();
    let text = format!("{{\n  nodes.machine = {{ }};\n  testScript = ''\n{body}  '';\n}}\n");
    let uri = "file:///tmp/closed-while-analysed.nix";
    c.open(uri, &text);
    c.notify("textDocument/didClose", json!({ "textDocument": { "uri": uri } }));
    std::thread::sleep(Duration::from_secs(3));
    hover_answers(&mut c);
    let last = c.notes.iter().rev().find(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["uri"] == uri);
    assert_eq!(last.map(|m| m["params"]["diagnostics"].as_array().unwrap().len()), Some(0), "the closed document is left clean");
    c.shutdown();
}

/// The server ends when the client process named in `initialize` dies,
/// even though nobody closes its stdin.
#[test]
fn the_server_follows_its_client_process() {
    let mut client_process = std::process::Command::new("sleep").arg("1").spawn().unwrap();
    let mut c = common::start();
    let r = c.request("initialize", json!({ "processId": client_process.id(), "rootUri": null, "capabilities": {} }));
    assert!(r.get("result").is_some(), "{r}");
    client_process.wait().unwrap();
    assert!(c.exit_status(Duration::from_secs(10)).is_some(), "the server outlived its client");
}

/// Edits at columns past the end of CRLF lines land before the CR, and a
/// lone CR ends a line, as the protocol counts lines.
#[test]
fn line_ends_are_counted_as_the_protocol_does() {
    let mut c = common::start();
    c.initialize(&["utf-16"]);
    let uri = "file:///tmp/crlf.nix";
    c.open(uri, "{\r\n}\rx\n");
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": uri, "version": 2 }, "contentChanges": [
            { "range": { "start": pos(0, 50), "end": pos(0, 50) }, "text": "X" },
            { "range": { "start": pos(2, 0), "end": pos(2, 1) }, "text": "y" }
        ] }),
    );
    let text = c.result("nixos-test/documentText", json!({ "uri": uri }));
    assert_eq!(text, "{X\r\n}\ry\n");
    c.shutdown();
}
