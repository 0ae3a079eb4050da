//! A guard in front of the JSON-RPC transport. tower-lsp-server's framed
//! reader stops for good at the first malformed message, which would let one
//! bad frame kill the server. Here stdin is re-framed: a frame whose body is
//! not JSON becomes a request for [`MALFORMED`] (answered with a JSON-RPC
//! parse error under the id we could recover) or, without an id, is dropped
//! with a log line. Well-formed frames pass through unchanged.

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader, DuplexStream};

/// The method a malformed request is rewritten to.
pub const MALFORMED: &str = "nixos-test/malformedRequest";

/// Frames larger than this are refused (and skipped) rather than buffered.
const MAX_FRAME: usize = 256 * 1024 * 1024;

/// Best-effort id of a message that is not valid JSON.
fn recover_id(body: &str) -> Option<Value> {
    let at = body.find("\"id\"")? + 4;
    let rest = body[at..].trim_start().strip_prefix(':')?.trim_start();
    if let Some(s) = rest.strip_prefix('"') {
        return Some(Value::String(s.split('"').next()?.to_string()));
    }
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit() || *c == '-').collect();
    digits.parse::<i64>().ok().map(Value::from)
}

/// The frame to hand to the server for one body read from the client.
pub fn sanitize(body: &[u8]) -> Option<Vec<u8>> {
    if serde_json::from_slice::<Value>(body).is_ok() {
        return Some(body.to_vec());
    }
    let text = String::from_utf8_lossy(body);
    tracing::warn!("malformed message from the client ({} bytes)", body.len());
    let id = recover_id(&text)?;
    let msg = serde_json::json!({ "jsonrpc": "2.0", "id": id, "method": MALFORMED, "params": { "length": body.len() } });
    Some(msg.to_string().into_bytes())
}

/// Copies frames from `input` to `output`, sanitizing each body.
pub async fn guard(input: impl AsyncRead + Unpin, mut output: DuplexStream) {
    let mut reader = BufReader::new(input);
    loop {
        let mut length: Option<usize> = None;
        loop {
            let mut line = String::new();
            match reader.read_line(&mut line).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let line = line.trim();
            if line.is_empty() {
                if length.is_some() {
                    break;
                }
                continue;
            }
            if let Some((k, v)) = line.split_once(':')
                && k.trim().eq_ignore_ascii_case("content-length")
            {
                length = v.trim().parse().ok();
            }
        }
        let Some(len) = length.filter(|l| *l <= MAX_FRAME) else { continue };
        let mut body = vec![0; len];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        if let Some(frame) = sanitize(&body) {
            let header = format!("Content-Length: {}\r\n\r\n", frame.len());
            if output.write_all(header.as_bytes()).await.is_err() || output.write_all(&frame).await.is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn malformed_bodies_become_error_requests_when_an_id_is_found() {
        assert_eq!(sanitize(b"{\"a\":1}").unwrap(), b"{\"a\":1}");
        let out = sanitize(b"{\"jsonrpc\":\"2.0\",\"id\": 7,\"method\":\"x\",\"params\":").unwrap();
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["id"], 7);
        assert_eq!(v["method"], MALFORMED);
        assert!(sanitize(b"not json").is_none());
        assert_eq!(recover_id("{\"id\":\"abc\",").unwrap(), "abc");
    }
}
