//! A minimal LSP client over a real server binary's stdio.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

pub struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    inbox: Receiver<Value>,
    next_id: i64,
    /// Notifications received while waiting for responses.
    pub notes: Vec<Value>,
}

impl Client {
    /// Starts `server` with `env` added to its environment.
    pub fn start_server(server: &std::path::Path, env: &[(&str, &str)]) -> Client {
        let mut child = Command::new(server)
            .envs(env.iter().copied())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nixos-test-lsp");
        let stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, inbox) = channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = 0usize;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length:") {
                        len = v.trim().parse().unwrap_or(0);
                    }
                }
                let mut body = vec![0; len];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                if let Ok(v) = serde_json::from_slice(&body) {
                    let _ = tx.send(v);
                }
            }
        });
        Client { child, stdin: Some(stdin), inbox, next_id: 0, notes: Vec::new() }
    }

    pub fn send_raw(&mut self, body: &str) {
        if let Some(stdin) = &mut self.stdin {
            write!(stdin, "Content-Length: {}\r\n\r\n{}", body.len(), body).expect("write");
            stdin.flush().expect("flush");
        }
    }

    pub fn send(&mut self, msg: &Value) {
        self.send_raw(&msg.to_string());
    }

    pub fn notify(&mut self, method: &str, params: Value) {
        self.send(&json!({ "jsonrpc": "2.0", "method": method, "params": params }));
    }

    /// Sends a request and returns the whole response (`result` or `error`).
    pub fn request(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        self.send(&json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params }));
        self.wait_response(id)
    }

    pub fn wait_response(&mut self, id: i64) -> Value {
        let end = Instant::now() + Duration::from_secs(20);
        loop {
            let left = end.saturating_duration_since(Instant::now());
            match self.inbox.recv_timeout(left) {
                Ok(m) if m.get("id") == Some(&json!(id)) && m.get("method").is_none() => return m,
                Ok(m) if m.get("method").is_some() && m.get("id").is_some() => {
                    // A request from the server (e.g. progress): accept it.
                    let rid = m["id"].clone();
                    self.send(&json!({ "jsonrpc": "2.0", "id": rid, "result": null }));
                    self.notes.push(m);
                }
                Ok(m) => self.notes.push(m),
                Err(RecvTimeoutError::Timeout) => panic!("no response to request {id}"),
                Err(RecvTimeoutError::Disconnected) => panic!("server exited before answering request {id}"),
            }
        }
    }

    pub fn result(&mut self, method: &str, params: Value) -> Value {
        let r = self.request(method, params);
        assert!(r.get("error").is_none(), "{method} failed: {r}");
        r["result"].clone()
    }

    pub fn initialize(&mut self, encodings: &[&str]) -> Value {
        self.initialize_with(json!({
            "general": { "positionEncodings": encodings },
            "textDocument": { "completion": { "completionItem": { "snippetSupport": true } } }
        }))
    }

    pub fn initialize_with(&mut self, capabilities: Value) -> Value {
        let r = self.result("initialize", json!({ "processId": null, "rootUri": null, "capabilities": capabilities }));
        self.notify("initialized", json!({}));
        r
    }

    pub fn open(&mut self, uri: &str, text: &str) {
        self.notify("textDocument/didOpen", json!({ "textDocument": { "uri": uri, "languageId": "nix", "version": 1, "text": text } }));
    }

    /// The first notification (received or still to come) that `pred`
    /// accepts; requests from the server meanwhile get a null result.
    pub fn wait_for(&mut self, pred: impl Fn(&Value) -> bool) -> Value {
        if let Some(i) = self.notes.iter().position(&pred) {
            return self.notes.remove(i);
        }
        let end = Instant::now() + Duration::from_secs(30);
        loop {
            let m = self.inbox.recv_timeout(end.saturating_duration_since(Instant::now())).expect("notification in time");
            if m.get("method").is_some() && m.get("id").is_some() {
                let rid = m["id"].clone();
                self.send(&json!({ "jsonrpc": "2.0", "id": rid, "result": null }));
            } else if pred(&m) {
                return m;
            } else {
                self.notes.push(m);
            }
        }
    }

    /// The next diagnostics published for `uri` (optionally for `version`).
    pub fn diagnostics(&mut self, uri: &str, version: Option<i64>) -> Vec<Value> {
        let matches = |m: &Value| {
            m["method"] == "textDocument/publishDiagnostics"
                && m["params"]["uri"] == uri
                && version.is_none_or(|v| m["params"]["version"] == json!(v))
        };
        if let Some(i) = self.notes.iter().position(matches) {
            let m = self.notes.remove(i);
            return m["params"]["diagnostics"].as_array().cloned().unwrap_or_default();
        }
        let end = Instant::now() + Duration::from_secs(20);
        loop {
            let m = self.inbox.recv_timeout(end.saturating_duration_since(Instant::now())).expect("diagnostics in time");
            if matches(&m) {
                return m["params"]["diagnostics"].as_array().cloned().unwrap_or_default();
            }
            self.notes.push(m);
        }
    }

    /// Closes the server's stdin, as an editor that goes away does.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// The server's exit status, once it has exited (waits up to `wait`).
    pub fn exit_status(&mut self, wait: Duration) -> Option<i32> {
        let end = Instant::now() + wait;
        while Instant::now() < end {
            if let Ok(Some(s)) = self.child.try_wait() {
                return s.code();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    }

    /// Writes raw bytes to the server's stdin (broken frames).
    pub fn write_bytes(&mut self, bytes: &[u8]) {
        if let Some(stdin) = &mut self.stdin {
            let _ = stdin.write_all(bytes);
            let _ = stdin.flush();
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn alive(&mut self) -> bool {
        self.child.try_wait().ok().flatten().is_none()
    }

    pub fn shutdown(mut self) {
        let _ = self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let end = Instant::now() + Duration::from_secs(5);
        while Instant::now() < end {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        panic!("server did not exit after shutdown/exit");
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

pub fn pos(line: u32, character: u32) -> Value {
    json!({ "line": line, "character": character })
}
