//! Pull diagnostics, as VS Code asks for them: `textDocument/diagnostic`
//! for an open test (with the `.py` it reads as a related document) and
//! `workspace/diagnostic` for every test of the workspace, opened or not.
//! A client that pulls gets nothing pushed (or it would show everything
//! twice).

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

mod common;

use common::{Client, pos};
use serde_json::{Value, json};

fn start_pulling(root: &std::path::Path) -> Client {
    let mut c = common::start();
    let root_uri = format!("file://{}", root.display());
    c.result(
        "initialize",
        json!({
            "processId": null,
            "rootUri": root_uri,
            "workspaceFolders": [{ "uri": root_uri, "name": "repo" }],
            "capabilities": { "textDocument": { "diagnostic": { "relatedDocumentSupport": true } } }
        }),
    );
    c.notify("initialized", json!({}));
    c
}

fn codes(items: &Value) -> Vec<String> {
    items.as_array().unwrap().iter().map(|d| d["code"].as_str().unwrap().to_string()).collect()
}

#[test]
fn open_and_unopened_tests_are_reported_on_request_and_nothing_is_pushed() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    let open_text = "{\n  nodes.server = { };\n  testScript = builtins.readFile ./script.py;\n}\n";
    std::fs::write(repo.path().join("open.nix"), open_text).unwrap();
    std::fs::write(repo.path().join("script.py"), "server.succed(\"true\")\n").unwrap();
    std::fs::create_dir(repo.path().join("tests")).unwrap();
    std::fs::write(
        repo.path().join("tests/closed.nix"),
        "{\n  nodes.client = { };\n  testScript = ''\n    clinet.wait_for_unit(\"x\")\n  '';\n}\n",
    )
    .unwrap();
    std::fs::write(repo.path().join("tests/not-a-test.nix"), "{ pkgs }: pkgs.hello\n").unwrap();
    let mut c = start_pulling(repo.path());
    let open_uri = format!("file://{}/open.nix", repo.path().display());
    c.open(&open_uri, open_text);
    let report = c.result("textDocument/diagnostic", json!({ "textDocument": { "uri": open_uri } }));
    assert_eq!(report["kind"], "full", "{report}");
    assert!(report["items"].as_array().unwrap().is_empty(), "the Nix file itself is clean: {report}");
    let py_uri = format!("file://{}/script.py", repo.path().display());
    let related = &report["relatedDocuments"][&py_uri];
    assert_eq!(codes(&related["items"]), vec!["NT201"], "{report}");
    assert_eq!(related["items"][0]["range"]["start"], pos(0, 7));
    // Asked again with its result id: unchanged.
    let again = c.result("textDocument/diagnostic", json!({ "textDocument": { "uri": open_uri }, "previousResultId": report["resultId"] }));
    assert_eq!(again["kind"], "unchanged", "{again}");

    let workspace = c.result("workspace/diagnostic", json!({ "previousResultIds": [] }));
    let items = workspace["items"].as_array().unwrap();
    let closed_uri = format!("file://{}/tests/closed.nix", repo.path().display());
    let closed = items.iter().find(|i| i["uri"] == closed_uri.as_str()).expect("the unopened test is reported");
    assert_eq!(codes(&closed["items"]), vec!["NT101"], "{closed}");
    assert_eq!(closed["version"], Value::Null, "read from disk");
    let open = items.iter().find(|i| i["uri"] == open_uri.as_str()).expect("the open test is reported");
    assert_eq!(open["version"], 1, "from the editor's text");
    assert!(!items.iter().any(|i| i["uri"].as_str().unwrap().ends_with("not-a-test.nix")), "{workspace}");
    // Past the debounce: still nothing pushed.
    std::thread::sleep(std::time::Duration::from_millis(300));
    c.result("textDocument/documentSymbol", json!({ "textDocument": { "uri": open_uri } }));
    let pushed: Vec<&Value> = c.notes.iter().filter(|m| m["method"] == "textDocument/publishDiagnostics").collect();
    assert!(pushed.is_empty(), "a pulling client gets nothing pushed: {pushed:?}");
    c.shutdown();
}
