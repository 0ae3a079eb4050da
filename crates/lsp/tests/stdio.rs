//! The real server binary over stdio JSON-RPC, driven as an editor does.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

mod common;

use common::{Client, examples, pos, uri};
use serde_json::{Value, json};

fn open_example(c: &mut Client, name: &str) -> (String, String) {
    let path = examples().join(name);
    let text = std::fs::read_to_string(&path).unwrap();
    let u = uri(&path);
    c.open(&u, &text);
    (u, text)
}

fn lines_of(diags: &[Value]) -> Vec<u64> {
    let mut v: Vec<u64> = diags.iter().map(|d| d["range"]["start"]["line"].as_u64().unwrap() + 1).collect();
    v.sort_unstable();
    v
}

#[test]
fn diagnostics_on_open_and_change() {
    let mut c = common::start();
    let init = c.initialize(&["utf-16"]);
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-16");
    let (u, _) = open_example(&mut c, "mistakes.nix");
    let diags = c.diagnostics(&u, Some(1));
    assert_eq!(lines_of(&diags), vec![14, 16, 18, 19, 21, 24, 25]);
    let bobb = diags.iter().find(|d| d["code"] == "NT101").unwrap();
    assert_eq!(bobb["range"], json!({ "start": pos(13, 4), "end": pos(13, 8) }));
    // Fix the typo with an incremental edit: that finding goes away.
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": u, "version": 2 }, "contentChanges": [{ "range": { "start": pos(13, 4), "end": pos(13, 8) }, "text": "bob" }] }),
    );
    let diags = c.diagnostics(&u, Some(2));
    assert_eq!(lines_of(&diags), vec![16, 18, 19, 21, 24, 25]);
    let (clean, _) = open_example(&mut c, "legacy-webserver.nix");
    assert!(c.diagnostics(&clean, Some(1)).is_empty());
    c.shutdown();
}

#[test]
fn completion_of_nodes_methods_fixtures_and_keywords() {
    let mut c = common::start();
    // A client that resolves documentation lazily (VS Code).
    c.initialize_with(json!({
        "general": { "positionEncodings": ["utf-16"] },
        "textDocument": { "completion": { "completionItem": { "snippetSupport": true, "resolveSupport": { "properties": ["documentation"] } } } }
    }));
    let (u, text) = open_example(&mut c, "mistakes.nix");
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines[13] = "    bo".into();
    lines[14] = "    alice.wait_for_u".into();
    lines[15] = "    bob.wait_for_open_port(22, ti".into();
    lines[16] = "    def test_x(al".into();
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": u, "version": 2 }, "contentChanges": [{ "text": lines.join("\n") }] }),
    );
    let labels = |c: &mut Client, line: u32, col: u32| -> Vec<String> {
        let r = c.result("textDocument/completion", json!({ "textDocument": { "uri": u }, "position": pos(line, col) }));
        r["items"].as_array().unwrap().iter().map(|i| i["label"].as_str().unwrap().to_string()).collect()
    };
    assert!(labels(&mut c, 13, 6).contains(&"bob".to_string()));
    let methods = labels(&mut c, 14, 20);
    assert!(methods.contains(&"wait_for_unit".to_string()), "{methods:?}");
    assert!(methods.iter().all(|m| m.starts_with("wait_for_u")));
    assert!(labels(&mut c, 15, 33).contains(&"timeout=".to_string()));
    assert_eq!(labels(&mut c, 16, 17), vec!["alice".to_string()]);
    // A snippet for a method with a required argument, replacing the typed word.
    let r = c.result("textDocument/completion", json!({ "textDocument": { "uri": u }, "position": pos(14, 20) }));
    let item = r["items"].as_array().unwrap().iter().find(|i| i["label"] == "wait_for_unit").unwrap().clone();
    assert_eq!(item["textEdit"]["newText"], "wait_for_unit(${1:unit})$0");
    assert_eq!(item["textEdit"]["range"]["start"], pos(14, 10));
    // Lists carry no documentation; resolving an item brings it.
    assert!(item.get("documentation").is_none());
    let resolved = c.result("completionItem/resolve", item);
    assert!(resolved["documentation"]["value"].as_str().unwrap().contains("ActiveState"), "{resolved}");
    c.shutdown();
}

#[test]
fn hover_definition_references_rename() {
    let mut c = common::start();
    c.initialize(&["utf-16"]);
    let (u, _) = open_example(&mut c, "mistakes.nix");
    let h = c.result("textDocument/hover", json!({ "textDocument": { "uri": u }, "position": pos(11, 12) }));
    let md = h["contents"]["value"].as_str().unwrap();
    assert!(md.contains("wait_for_unit(unit: str") && md.contains("newest"), "{md}");
    let h = c.result("textDocument/hover", json!({ "textDocument": { "uri": u }, "position": pos(18, 5) }));
    assert!(h["contents"]["value"].as_str().unwrap().contains("bob: QemuMachine"));
    let d = c.result("textDocument/definition", json!({ "textDocument": { "uri": u }, "position": pos(18, 5) }));
    assert_eq!(d[0]["targetSelectionRange"]["start"], pos(6, 4));
    let refs = c.result(
        "textDocument/references",
        json!({ "textDocument": { "uri": u }, "position": pos(6, 5), "context": { "includeDeclaration": true } }),
    );
    let ref_lines: Vec<u64> = refs.as_array().unwrap().iter().map(|r| r["range"]["start"]["line"].as_u64().unwrap() + 1).collect();
    assert_eq!(ref_lines, vec![7, 19, 25]);
    let edit = c.result("textDocument/rename", json!({ "textDocument": { "uri": u }, "position": pos(18, 5), "newName": "bob-2" }));
    let edits = edit["changes"][u.as_str()].as_array().unwrap();
    assert_eq!(edits.len(), 3);
    assert!(edits.iter().any(|e| e["newText"] == "bob-2"));
    assert_eq!(edits.iter().filter(|e| e["newText"] == "bob_2").count(), 2);
    let bad = c.request("textDocument/rename", json!({ "textDocument": { "uri": u }, "position": pos(18, 5), "newName": "alice" }));
    assert!(bad["error"]["message"].as_str().unwrap().contains("collide"));
    c.shutdown();
}

#[test]
fn code_actions_lenses_symbols_tokens() {
    let mut c = common::start();
    c.initialize(&["utf-16"]);
    let (u, _) = open_example(&mut c, "mistakes.nix");
    let diags = c.diagnostics(&u, Some(1));
    // The fix comes back from the diagnostic's data, as the client sends it.
    let typo: Vec<Value> = diags.iter().filter(|d| d["range"]["start"] == pos(13, 4)).cloned().collect();
    assert!(!typo.is_empty(), "{diags:?}");
    let actions = c.result(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": u }, "range": { "start": pos(13, 4), "end": pos(13, 8) }, "context": { "diagnostics": typo } }),
    );
    let fix = actions.as_array().unwrap().iter().find(|a| a["kind"] == "quickfix").unwrap();
    assert_eq!(fix["edit"]["changes"][u.as_str()][0]["newText"], "bob");
    assert_eq!(fix["diagnostics"][0], typo[0], "tied to its diagnostic");
    let (l, _) = open_example(&mut c, "legacy-webserver.nix");
    let actions = c.result(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": l }, "range": { "start": pos(20, 4), "end": pos(20, 4) }, "context": { "diagnostics": [] } }),
    );
    let migrate = actions.as_array().unwrap().iter().find(|a| a["kind"] == "refactor.rewrite").expect("migration offered");
    let edits = migrate["edit"]["changes"][l.as_str()].as_array().unwrap();
    // Each subtest its own test of the nodes it uses.
    let texts: Vec<&str> = edits.iter().map(|e| e["newText"].as_str().unwrap()).collect();
    assert!(texts.iter().any(|t| t.starts_with("def test_server_comes_up(web_server):")), "{texts:?}");
    assert!(texts.iter().any(|t| t.starts_with("def test_client_can_fetch_the_page(client):")), "{texts:?}");
    let (f, _) = open_example(&mut c, "fixtures-webserver.nix");
    let lenses = c.result("textDocument/codeLens", json!({ "textDocument": { "uri": f } }));
    let titles: Vec<&str> = lenses.as_array().unwrap().iter().map(|l| l["command"]["title"].as_str().unwrap()).collect();
    assert_eq!(
        titles,
        vec!["▶ Run all (fixtures-webserver)", "▶ Run test_nginx_running", "▶ Run test_client_fetches", "▶ Run test_no_failed_units"]
    );
    assert_eq!(lenses[1]["command"]["command"], "nixos-test.run");
    assert_eq!(lenses[1]["command"]["arguments"][0]["function"], "test_nginx_running");
    let syms = c.result("textDocument/documentSymbol", json!({ "textDocument": { "uri": f } }));
    let names: Vec<&str> = syms[0]["children"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["server", "client", "test_nginx_running", "test_client_fetches", "test_no_failed_units"]);
    let toks = c.result("textDocument/semanticTokens/full", json!({ "textDocument": { "uri": f } }));
    assert!(toks["data"].as_array().unwrap().len() > 100);
    let folds = c.result("textDocument/foldingRange", json!({ "textDocument": { "uri": f } }));
    assert!(folds.as_array().unwrap().len() >= 4);
    // Without a runner installed, the lens command says so clearly.
    let r =
        c.result("workspace/executeCommand", json!({ "command": "nixos-test.run", "arguments": [lenses[1]["command"]["arguments"][0]] }));
    assert!(r["ok"].is_boolean());
    c.shutdown();
}

#[test]
fn options_signature_help_and_subtests() {
    let mut c = common::start();
    c.initialize(&["utf-16"]);
    let (u, text) = open_example(&mut c, "legacy-webserver.nix");
    // A new attribute line in the test's attrset offers the test options.
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    lines.insert(7, "  use".into());
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": u, "version": 2 }, "contentChanges": [{ "text": lines.join("\n") }] }),
    );
    let r = c.result("textDocument/completion", json!({ "textDocument": { "uri": u }, "position": pos(7, 5) }));
    let item = r["items"].as_array().unwrap().iter().find(|i| i["label"] == "usePytestFixtures").expect("test options offered").clone();
    assert_eq!(item["textEdit"]["newText"], "usePytestFixtures = true;");
    c.notify("textDocument/didChange", json!({ "textDocument": { "uri": u, "version": 3 }, "contentChanges": [{ "text": text }] }));
    // Signature help inside `web_server.wait_for_open_port(${toString port})`, line 24.
    let line = text.lines().position(|l| l.contains("wait_for_open_port")).unwrap() as u32;
    let col = text.lines().nth(line as usize).unwrap().find('(').unwrap() as u32 + 1;
    let sig = c.result("textDocument/signatureHelp", json!({ "textDocument": { "uri": u }, "position": pos(line, col) }));
    assert!(sig["signatures"][0]["label"].as_str().unwrap().starts_with("wait_for_open_port(port: int"), "{sig}");
    assert_eq!(sig["activeParameter"], 0);
    // The outline holds the subtests.
    let syms = c.result("textDocument/documentSymbol", json!({ "textDocument": { "uri": u } }));
    let names: Vec<&str> = syms[0]["children"].as_array().unwrap().iter().map(|s| s["name"].as_str().unwrap()).collect();
    assert_eq!(names, vec!["web_server", "client", "server comes up", "client can fetch the page"]);
    c.shutdown();
}

#[test]
fn utf8_negotiation_and_multibyte_text() {
    let mut c = common::start();
    let init = c.initialize(&["utf-8", "utf-16"]);
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-8");
    let u = "file:///tmp/unicode-test.nix";
    let text = "{ nodes.machine = { }; testScript = ''\n  machine.succeed(\"échø 𝕏\"); machine.wait_for_unti(\"x\")\n''; }";
    c.open(u, text);
    let diags = c.diagnostics(u, Some(1));
    assert_eq!(diags.len(), 1);
    // In UTF-8 units: "  machine.succeed(\"échø 𝕏\"); machine." is 42 bytes.
    let col = "  machine.succeed(\"échø 𝕏\"); machine.".len() as u64;
    assert_eq!(diags[0]["range"]["start"]["character"], col);
    c.shutdown();
}

#[test]
fn bad_requests_get_errors_and_the_server_lives() {
    let mut c = common::start();
    c.initialize(&["utf-16"]);
    let r = c.request("textDocument/hover", json!({ "bogus": true }));
    assert!(r.get("error").is_some());
    c.send_raw("{\"jsonrpc\":\"2.0\",\"id\":99,\"method\":\"textDocument/completion\",\"params\":");
    c.send_raw("not json at all");
    let r = c.wait_response(99);
    assert_eq!(r["error"]["code"], -32700);
    let r = c.request("textDocument/hover", json!({ "textDocument": { "uri": "file:///nope.nix" }, "position": pos(0, 0) }));
    assert!(r.get("error").is_none() && r["result"].is_null(), "{r}");
    // Positions beyond the document are clamped, not fatal.
    let (u, _) = open_example(&mut c, "mistakes.nix");
    c.notify("textDocument/didChange", json!({ "textDocument": { "uri": u, "version": 2 }, "contentChanges": [{ "range": { "start": pos(999, 0), "end": pos(1000, 5) }, "text": "x" }] }));
    let r = c.request("textDocument/completion", json!({ "textDocument": { "uri": u }, "position": pos(5000, 5000) }));
    assert!(r.get("result").is_some(), "{r}");
    // A document that holds no test costs nothing and reports nothing.
    c.open("file:///tmp/module.nix", "{ pkgs, ... }: { environment.systemPackages = [ pkgs.hello ]; }");
    assert!(c.diagnostics("file:///tmp/module.nix", Some(1)).is_empty());
    assert!(c.alive());
    c.shutdown();
}

/// Completion as an editor drives it while typing: trigger characters give
/// a list only where they mean something, nothing in comments, strings or
/// `${…}` holes, no test options inside node configurations or already set,
/// keyword arguments first and not for parameters given already, and
/// documentation inline for clients that do not resolve (stock Neovim).
#[test]
fn completion_only_where_it_means_something() {
    let mut c = common::start();
    c.initialize(&["utf-16"]);
    let text = "{\n  name = \"t\";\n  nodes.server = {\n    \n  };\n  \n  testScript = ''\n    # a comment \n    server.succeed(\"a string \")\n    server.wait_for_unit(\"x\", \n    print(${toString 1})\n    server.\n    x = 1\n  '';\n}\n";
    let u = "file:///tmp/completion-context.nix";
    c.open(u, text);
    let complete = |c: &mut Client, line: u32, col: u32, trigger: Option<&str>| -> Vec<serde_json::Value> {
        let context = match trigger {
            Some(t) => json!({ "triggerKind": 2, "triggerCharacter": t }),
            None => json!({ "triggerKind": 1 }),
        };
        let r =
            c.result("textDocument/completion", json!({ "textDocument": { "uri": u }, "position": pos(line, col), "context": context }));
        r.get("items").and_then(|i| i.as_array()).cloned().unwrap_or_default()
    };
    let labels = |items: &[serde_json::Value]| items.iter().map(|i| i["label"].as_str().unwrap().to_string()).collect::<Vec<_>>();
    // In a comment, in a string, in a hole: nothing, even when asked.
    assert!(complete(&mut c, 7, 16, None).is_empty(), "comment");
    assert!(complete(&mut c, 8, 29, None).is_empty(), "string");
    assert!(complete(&mut c, 10, 21, None).is_empty(), "hole");
    // `.` after a machine: its members, documentation inline (no resolve support).
    let members = complete(&mut c, 11, 11, Some("."));
    assert!(labels(&members).contains(&"wait_for_unit".to_string()));
    assert!(labels(&members).contains(&"name".to_string()));
    assert!(!labels(&members).iter().any(|l| ["process", "qmp_client", "callbacks", "logger"].contains(&l.as_str())), "internal fields");
    assert!(members.iter().all(|i| i.get("documentation").is_some() || i["label"].as_str().unwrap().starts_with('_')));
    // `,` in a call: keyword arguments first, not the parameter given by position.
    let args = complete(&mut c, 9, 30, Some(","));
    let names = labels(&args);
    assert!(names.contains(&"timeout=".to_string()) && !names.contains(&"unit=".to_string()), "{names:?}");
    let first = args.iter().min_by_key(|i| i["sortText"].as_str().unwrap().to_string()).unwrap();
    assert!(first["label"].as_str().unwrap().ends_with('='), "{first}");
    // `,`/`(` outside a call, `.` without a receiver: nothing.
    assert!(complete(&mut c, 12, 9, Some(",")).is_empty());
    // Test options: at the test's level, not inside `nodes.server = { … }`, not `name` again.
    let options = labels(&complete(&mut c, 5, 2, None));
    assert!(
        options.contains(&"skipLint".to_string()) && !options.contains(&"name".to_string()) && !options.contains(&"testScript".to_string()),
        "{options:?}"
    );
    assert!(complete(&mut c, 3, 4, None).is_empty(), "inside a node's configuration");
    c.shutdown();
}

/// Rename as Neovim and VS Code drive it: `prepareRename` pre-fills the
/// name as written on that side; names that would hide a keyword, a driver
/// global or a builtin are refused; the old host name in string literals
/// is offered apart, for the user to confirm.
#[test]
fn rename_prepares_refuses_and_offers_strings_apart() {
    let mut c = common::start();
    c.initialize_with(json!({
        "general": { "positionEncodings": ["utf-16"] },
        "workspace": { "workspaceEdit": { "documentChanges": true, "changeAnnotationSupport": { "groupsOnLabel": true } } }
    }));
    let text = "{\n  nodes.web-server = { };\n  nodes.client = { };\n  testScript = ''\n    web_server.wait_for_unit(\"nginx\")\n    client.succeed(\"curl http://web-server/\")\n  '';\n}\n";
    let u = "file:///tmp/rename.nix";
    c.open(u, text);
    let td = json!({ "uri": u });
    let nix_side = c.result("textDocument/prepareRename", json!({ "textDocument": td, "position": pos(1, 10) }));
    assert_eq!(nix_side["placeholder"], "web-server", "{nix_side}");
    let py_side = c.result("textDocument/prepareRename", json!({ "textDocument": td, "position": pos(4, 6) }));
    assert_eq!(py_side["placeholder"], "web_server", "{py_side}");
    for bad in ["class", "start_all", "print"] {
        let r = c.request("textDocument/rename", json!({ "textDocument": td, "position": pos(4, 6), "newName": bad }));
        assert!(r.get("error").is_some(), "{bad}: {r}");
    }
    let edit = c.result("textDocument/rename", json!({ "textDocument": td, "position": pos(4, 6), "newName": "proxy" }));
    let edits = edit["documentChanges"][0]["edits"].as_array().unwrap();
    let plain: Vec<&serde_json::Value> = edits.iter().filter(|e| e.get("annotationId").is_none()).collect();
    let confirmed: Vec<&serde_json::Value> = edits.iter().filter(|e| e.get("annotationId").is_some()).collect();
    assert_eq!(plain.len(), 2, "{edit}");
    assert_eq!(confirmed.len(), 1, "{edit}");
    assert_eq!(confirmed[0]["range"]["start"], pos(5, 32));
    assert_eq!(edit["changeAnnotations"]["host-name"]["needsConfirmation"], true);
    c.shutdown();
}

/// A `.py` a test reads changes on disk (a checkout, another editor): the
/// client's file watcher tells the server, which checks the test again.
#[test]
fn tests_are_checked_again_when_the_files_they_read_change() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    let py = dir.path().join("script.py");
    std::fs::write(&py, "machine.succeed(\"true\")\nundefined_here()\n").unwrap();
    let nix = dir.path().join("t.nix");
    let text = "{\n  nodes.machine = { };\n  testScript = builtins.readFile ./script.py;\n}\n";
    std::fs::write(&nix, text).unwrap();
    let mut c = common::start();
    c.initialize_with(json!({ "workspace": { "didChangeWatchedFiles": { "dynamicRegistration": true } } }));
    // A request in between: the client answers the registration meanwhile.
    c.request("textDocument/hover", json!({ "textDocument": { "uri": "file:///nowhere.nix" }, "position": pos(0, 0) }));
    let u = format!("file://{}", nix.display());
    let py_uri = format!("file://{}", py.display());
    c.open(&u, text);
    let first = c.diagnostics(&py_uri, None);
    assert_eq!(first.len(), 1, "{first:?}");
    assert!(c.notes.iter().any(|m| m["method"] == "client/registerCapability"), "the watcher was registered");
    std::fs::write(&py, "machine.succeed(\"true\")\n").unwrap();
    c.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": py_uri, "type": 2 }] }));
    let after = c.diagnostics(&py_uri, None);
    assert!(after.is_empty(), "{after:?}");
    c.shutdown();
}

/// Every finding in the script can be silenced on its line (`# noqa`), and
/// applying that edit silences it; unused imports are tagged unnecessary.
#[test]
fn every_finding_offers_noqa_and_unused_code_is_tagged() {
    let mut c = common::start();
    c.initialize(&["utf-16"]);
    let text = "{\n  nodes.server = { };\n  testScript = ''\n    import json\n    server.wait_for_unitt(\"x\")\n  '';\n}\n";
    let u = "file:///tmp/noqa.nix";
    c.open(u, text);
    let diags = c.diagnostics(u, Some(1));
    let unused = diags.iter().find(|d| d["code"] == "F401").expect("unused import");
    assert_eq!(unused["tags"], json!([1]), "{unused}");
    let typo = diags.iter().find(|d| d["code"] == "NT201").expect("method typo").clone();
    let actions = c.result(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": u }, "range": typo["range"], "context": { "diagnostics": [typo] } }),
    );
    let noqa = actions.as_array().unwrap().iter().find(|a| a["title"].as_str().unwrap().contains("noqa")).expect("a noqa action").clone();
    let edit = &noqa["edit"]["changes"][u][0];
    assert_eq!(edit["newText"], "  # noqa: NT201");
    assert_eq!(edit["range"]["start"], pos(4, 30));
    c.notify(
        "textDocument/didChange",
        json!({ "textDocument": { "uri": u, "version": 2 }, "contentChanges": [{ "range": edit["range"], "text": edit["newText"] }] }),
    );
    let after = c.diagnostics(u, Some(2));
    assert!(after.iter().all(|d| d["code"] != "NT201"), "{after:?}");
    c.shutdown();
}

/// Next to a Nix language server, Nix syntax errors can be left to it.
#[test]
fn nix_syntax_errors_can_be_left_to_a_nix_server() {
    let text = "{\n  nodes.machine = { };\n  testScript = ''\n    machine.succeed(\"true\")\n  ';\n}\n";
    for (option, expected) in [(true, 1), (false, 0)] {
        let mut c = common::start();
        c.request(
            "initialize",
            json!({ "processId": null, "rootUri": null, "capabilities": {}, "initializationOptions": { "nixSyntaxErrors": option } }),
        );
        c.notify("initialized", json!({}));
        let u = "file:///tmp/unclosed.nix";
        c.open(u, text);
        let diags = c.diagnostics(u, Some(1));
        assert_eq!(diags.iter().filter(|d| d["code"] == "NT003").count(), expected, "{diags:?}");
        if expected == 1 {
            assert_eq!(diags[0]["range"]["start"], pos(2, 15), "at the opener");
        }
        c.shutdown();
    }
}

/// An editor's settings (`initializationOptions.settings`, what the VS
/// Code extension sends) apply where no `nixos-test-lint.toml` does; a
/// repository's file takes precedence; settings the server cannot use are
/// said in a message.
#[test]
fn editor_settings_apply_where_no_configuration_file_does() {
    let dir = tempfile::tempdir().unwrap();
    let text = "{\n  nodes.server = { };\n  testScript = ''\n    server.wait_for_unit(\"x\", timeout=30)\n  '';\n}\n";
    let plain = dir.path().join("plain");
    let configured = dir.path().join("configured");
    for d in [&plain, &configured] {
        std::fs::create_dir_all(d.join(".git")).unwrap();
        std::fs::write(d.join("t.nix"), text).unwrap();
    }
    std::fs::write(configured.join("nixos-test-lint.toml"), "driver = \"newest\"\n").unwrap();
    let mut c = common::start();
    let settings = json!({ "driver": "2025", "ignore": ["F401"] });
    c.request(
        "initialize",
        json!({ "processId": null, "rootUri": null, "capabilities": {}, "initializationOptions": { "settings": settings } }),
    );
    c.notify("initialized", json!({}));
    // A bare number of seconds is deprecated in the newest driver (NT403), not in 2025.
    let codes = |c: &mut common::Client, d: &std::path::Path| {
        let uri = format!("file://{}", d.join("t.nix").display());
        c.open(&uri, text);
        c.diagnostics(&uri, Some(1)).iter().map(|d| d["code"].as_str().unwrap_or_default().to_string()).collect::<Vec<_>>()
    };
    assert!(!codes(&mut c, &plain).contains(&"NT403".to_string()), "the editor says 2025");
    assert!(codes(&mut c, &configured).contains(&"NT403".to_string()), "the file says newest");
    let generation = |c: &mut common::Client, d: &std::path::Path| {
        c.result("nixos-test/driverGeneration", json!({ "uri": format!("file://{}", d.join("t.nix").display()) }))
    };
    assert_eq!(generation(&mut c, &plain)["note"], "classic (≤2025) driver (editor settings)");
    assert_eq!(generation(&mut c, &configured)["label"], "newest (mid 2026+)");
    c.shutdown();

    let mut c = common::start();
    c.request(
        "initialize",
        json!({ "processId": null, "rootUri": null, "capabilities": {}, "initializationOptions": { "settings": { "driver": "1999" } } }),
    );
    c.notify("initialized", json!({}));
    let shown = c.wait_for(|m| m["method"] == "window/showMessage");
    assert!(shown["params"]["message"].as_str().unwrap().contains("editor settings not used"), "{shown}");
    c.shutdown();
}

/// `nixos-test/showScript`: the Python of the test at the cursor, as
/// extracted (what "Show the extracted testScript" opens).
#[test]
fn show_script_gives_the_extracted_python() {
    let mut c = common::start();
    c.initialize(&["utf-16"]);
    let u = "file:///tmp/show.nix";
    c.open(
        u,
        "{\n  a = runTest {\n    name = \"a\";\n    nodes.m = { };\n    testScript = ''\n      m.succeed(\"''${x}\")\n    '';\n  };\n}\n",
    );
    let r = c.result("nixos-test/showScript", json!({ "textDocument": { "uri": u }, "position": pos(5, 8) }));
    assert_eq!(r["test"], "a");
    assert_eq!(r["script"], "m.succeed(\"${x}\")\n");
    let none = c.result("nixos-test/showScript", json!({ "textDocument": { "uri": "file:///tmp/unknown.nix" }, "position": pos(0, 0) }));
    assert!(none.is_null());
    c.shutdown();
}

/// `source.fixAll`: every safe fix of the file in one action.
#[test]
fn fix_all_applies_every_safe_fix() {
    let mut c = common::start();
    c.initialize(&["utf-16"]);
    let text = "{\n  nodes.server = { };\n  testScript = ''\n    server.wait_for_unitt(\"x\")\n    server.succed(\"y\")\n  '';\n}\n";
    let u = "file:///tmp/fix-all.nix";
    c.open(u, text);
    assert_eq!(c.diagnostics(u, Some(1)).len(), 2);
    let actions = c.result(
        "textDocument/codeAction",
        json!({ "textDocument": { "uri": u }, "range": { "start": pos(0, 0), "end": pos(0, 0) }, "context": { "diagnostics": [] } }),
    );
    let all = actions.as_array().unwrap().iter().find(|a| a["kind"] == "source.fixAll").expect("a fix-all action").clone();
    let mut edits: Vec<serde_json::Value> = all["edit"]["changes"][u].as_array().unwrap().clone();
    assert_eq!(edits.len(), 2, "{all}");
    // Applied last to first, as an editor does.
    edits.sort_by_key(|e| (e["range"]["start"]["line"].as_u64(), e["range"]["start"]["character"].as_u64()));
    for e in edits.iter().rev() {
        c.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": u, "version": 2 }, "contentChanges": [{ "range": e["range"], "text": e["newText"] }] }),
        );
    }
    assert!(c.diagnostics(u, Some(2)).is_empty());
    c.shutdown();
}

/// Definition, references, highlight and rename for what the script itself
/// defines: functions, variables, parameters (scoped).
#[test]
fn navigation_of_script_local_names() {
    let mut c = common::start();
    c.initialize(&["utf-16"]);
    let text = "{\n  nodes.server = { };\n  testScript = ''\n    def check(unit):\n        server.wait_for_unit(unit)\n    check(\"a\")\n    unit = \"b\"\n    check(unit)\n  '';\n}\n";
    let u = "file:///tmp/locals.nix";
    c.open(u, text);
    let td = json!({ "uri": u });
    // `check(` on line 5 goes to `def check` on line 3.
    let def = c.result("textDocument/definition", json!({ "textDocument": td, "position": pos(5, 5) }));
    assert_eq!(def[0]["targetSelectionRange"]["start"], pos(3, 8), "{def}");
    // The parameter `unit` and the module variable `unit` are two names.
    let param_refs = c.result(
        "textDocument/references",
        json!({ "textDocument": td, "position": pos(4, 30), "context": { "includeDeclaration": true } }),
    );
    let lines: Vec<u64> = param_refs.as_array().unwrap().iter().map(|r| r["range"]["start"]["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, vec![3, 4], "{param_refs}");
    let highlight = c.result("textDocument/documentHighlight", json!({ "textDocument": td, "position": pos(6, 5) }));
    let lines: Vec<u64> = highlight.as_array().unwrap().iter().map(|r| r["range"]["start"]["line"].as_u64().unwrap()).collect();
    assert_eq!(lines, vec![6, 7], "{highlight}");
    let edit = c.result("textDocument/rename", json!({ "textDocument": td, "position": pos(3, 15), "newName": "service" }));
    assert_eq!(edit["changes"][u].as_array().unwrap().len(), 2, "{edit}");
    let bad = c.request("textDocument/rename", json!({ "textDocument": td, "position": pos(3, 15), "newName": "not a name" }));
    assert!(bad.get("error").is_some());
    c.shutdown();
}

/// A configuration the server cannot use is said, not silently ignored
/// (the CLI fails on it): not TOML, or an unknown rule selector. Fixed on
/// disk, it is read again when the client reports the change.
#[test]
fn a_broken_configuration_is_shown_and_read_again_when_fixed() {
    let repo = tempfile::tempdir().unwrap();
    std::fs::create_dir(repo.path().join(".git")).unwrap();
    let text = "{\n  nodes.server = { };\n  testScript = ''\n    server.wait_for_unit(\"x\", timeout=5)\n  '';\n}\n";
    let file = repo.path().join("t.nix");
    std::fs::write(&file, text).unwrap();
    let config = repo.path().join("nixos-test-lint.toml");
    for (broken, says) in [("select = [", "configuration not used"), ("select = [\"NT\", \"XYZ9\"]", "unknown rule selector `XYZ9`")] {
        std::fs::write(&config, broken).unwrap();
        let mut c = common::start();
        c.initialize(&["utf-16"]);
        let u = uri(&file);
        c.open(&u, text);
        let shown = c.wait_for(|m| m["method"] == "window/showMessage");
        assert!(shown["params"]["message"].as_str().unwrap().contains(says), "{shown}");
        assert!(c.diagnostics(&u, Some(1)).iter().any(|d| d["code"] == "NT403"), "the defaults meanwhile");
        std::fs::write(&config, "ignore = [\"NT403\"]\n").unwrap();
        c.notify("workspace/didChangeWatchedFiles", json!({ "changes": [{ "uri": uri(&config), "type": 2 }] }));
        let again = c.wait_for(|m| m["method"] == "textDocument/publishDiagnostics" && m["params"]["diagnostics"] == json!([]));
        assert_eq!(again["params"]["uri"], u.as_str());
        c.shutdown();
    }
}

/// A bare duration's quick fix, from the diagnostic's data: the timedelta,
/// and its import at the top of the script, indented for the `''` string.
#[test]
fn bare_duration_fix_adds_the_import() {
    let mut c = common::start();
    c.initialize(&["utf-16"]);
    let text = "{\n  nodes.server = { };\n  testScript = ''\n    server.wait_for_unit(\"x\", timeout=30)\n  '';\n}\n";
    let u = "file:///tmp/duration.nix";
    c.open(u, text);
    let diags = c.diagnostics(u, Some(1));
    let d = diags.iter().find(|d| d["code"] == "NT403").expect("NT403").clone();
    let actions = c
        .result("textDocument/codeAction", json!({ "textDocument": { "uri": u }, "range": d["range"], "context": { "diagnostics": [d] } }));
    let fix = actions.as_array().unwrap().iter().find(|a| a["kind"] == "quickfix" && a["isPreferred"] == true).expect("the fix").clone();
    assert_eq!(fix["title"], "Use `timedelta(seconds=30)` (and import `timedelta`) (NT403)");
    let mut edits: Vec<Value> = fix["edit"]["changes"][u].as_array().unwrap().clone();
    edits.sort_by_key(|e| std::cmp::Reverse((e["range"]["start"]["line"].as_u64(), e["range"]["start"]["character"].as_u64())));
    for (v, e) in edits.iter().enumerate() {
        c.notify(
            "textDocument/didChange",
            json!({ "textDocument": { "uri": u, "version": 2 + v }, "contentChanges": [{ "range": e["range"], "text": e["newText"] }] }),
        );
    }
    let version = 1 + edits.len() as i64;
    assert!(c.diagnostics(u, Some(version)).is_empty());
    let now = c.result("nixos-test/documentText", json!({ "uri": u }));
    assert_eq!(
        now,
        "{\n  nodes.server = { };\n  testScript = ''\n    from datetime import timedelta\n    server.wait_for_unit(\"x\", timeout=timedelta(seconds=30))\n  '';\n}\n"
    );
}
