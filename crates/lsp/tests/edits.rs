//! Random edit sequences against the real server: inserts and deletes at
//! random positions (multi-byte and astral characters included), sent as
//! incremental changes in UTF-16 or UTF-8 units. After each step the
//! server's text must equal the text we expect, and it must not crash.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

mod common;

use common::pos;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;

const PIECES: &[&str] = &["a", "é", "𝕏", "\n", "  ", "''", "${", "machine.", "ü\n", "\t", "\"", "日本"];

/// Position of char index `at` in `text`, in the given unit.
fn position(text: &str, at: usize, utf16: bool) -> (u32, u32) {
    let mut line = 0;
    let mut col = 0;
    for c in text.chars().take(at) {
        if c == '\n' {
            line += 1;
            col = 0;
        } else {
            col += if utf16 { c.len_utf16() } else { c.len_utf8() } as u32;
        }
    }
    (line, col)
}

fn run(utf16: bool, cases: u32) {
    let mut runner = TestRunner::new(Config { cases, ..Config::default() });
    let edit = (any::<usize>(), any::<usize>(), 0..PIECES.len(), any::<bool>());
    let strategy = prop::collection::vec(edit, 1..25);
    runner
        .run(&strategy, |edits| {
            let mut c = common::start();
            c.initialize(if utf16 { &["utf-16"] } else { &["utf-8"] });
            let uri = "file:///tmp/edits.nix";
            let mut text = String::from("{ nodes.machine = { }; testScript = ''\n  machine.succeed(\"é𝕏\")\n''; }\n");
            c.open(uri, &text);
            for (version, (a, b, piece, delete)) in edits.into_iter().enumerate() {
                let chars: Vec<char> = text.chars().collect();
                let start = a % (chars.len() + 1);
                let end = if delete { (start + b % 6).min(chars.len()) } else { start };
                let new: String = if delete { String::new() } else { PIECES[piece].to_string() };
                let (sl, sc) = position(&text, start, utf16);
                let (el, ec) = position(&text, end, utf16);
                let mut next: String = chars[..start].iter().collect();
                next.push_str(&new);
                next.extend(&chars[end..]);
                text = next;
                c.notify(
                    "textDocument/didChange",
                    json!({ "textDocument": { "uri": uri, "version": version + 2 },
                            "contentChanges": [{ "range": { "start": pos(sl, sc), "end": pos(el, ec) }, "text": new }] }),
                );
                let server = c.result("nixos-test/documentText", json!({ "uri": uri }));
                prop_assert_eq!(server.as_str().unwrap(), text.as_str());
                let _ = c.result("textDocument/completion", json!({ "textDocument": { "uri": uri }, "position": pos(sl, sc) }));
            }
            prop_assert!(c.alive());
            c.shutdown();
            Ok(())
        })
        .expect("edit sequences");
}

fn cases() -> u32 {
    std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(40)
}

#[test]
fn random_edits_utf16() {
    run(true, cases());
}

#[test]
fn random_edits_utf8() {
    run(false, cases());
}
