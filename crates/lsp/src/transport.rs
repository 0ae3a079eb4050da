//! A guard in front of the JSON-RPC transport. tower-lsp-server's framed
//! reader stops for good at the first message it cannot decode, so one bad
//! frame would end the server. Here stdin is re-framed and every message is
//! checked before it reaches the server:
//!
//! - a body that is not JSON, or JSON that is not a JSON-RPC 2.0 message
//!   (`{}`, `null`, a batch, an object id, a numeric method), becomes a
//!   request for [`MALFORMED`] or [`INVALID`] under the id we could recover,
//!   answered with -32700 / -32600, or is dropped with a log line when it
//!   has no usable id;
//! - a request for an unknown `$/` method (which the library never answers)
//!   becomes [`UNKNOWN`], answered with -32601;
//! - a wrong `Content-Length` does not desynchronise the stream: a header is
//!   recognised anywhere in a line, a body that holds one JSON value and
//!   more gives the rest back to the header scanner, and a body that holds
//!   the next header gives it back too.

use serde_json::Value;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// The method a request whose body is not JSON is rewritten to.
pub const MALFORMED: &str = "nixos-test/malformedRequest";
/// The method a request that is JSON but not JSON-RPC is rewritten to.
pub const INVALID: &str = "nixos-test/invalidRequest";
/// The method an unknown `$/` request is rewritten to.
pub const UNKNOWN: &str = "nixos-test/unknownRequest";

/// Frames larger than this are refused (and skipped) rather than buffered.
const MAX_FRAME: usize = 256 * 1024 * 1024;

/// `$/` requests the server answers itself.
const KNOWN_DOLLAR: &[&str] = &[];

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

/// An id JSON-RPC allows: a string or an integer.
fn usable_id(v: &Value) -> Option<Value> {
    match v.get("id")? {
        id @ Value::String(_) => Some(id.clone()),
        Value::Number(n) if n.is_i64() || n.is_u64() => Some(Value::Number(n.clone())),
        _ => None,
    }
}

fn rewritten(id: Value, method: &str, length: usize) -> Vec<u8> {
    serde_json::json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": { "length": length } }).to_string().into_bytes()
}

/// The frame to hand to the server for one JSON value from the client.
fn check_message(v: &Value, body: &[u8]) -> Option<Vec<u8>> {
    let shape_ok = v.get("jsonrpc").and_then(Value::as_str) == Some("2.0")
        && match v.get("id") {
            None | Some(Value::Null) => true,
            Some(_) => usable_id(v).is_some(),
        }
        && match v.get("method") {
            Some(m) => m.is_string(),
            None => usable_id(v).is_some() && (v.get("result").is_some() || v.get("error").is_some()),
        };
    if !shape_ok {
        tracing::warn!("message from the client is not JSON-RPC 2.0 ({} bytes)", body.len());
        return usable_id(v).map(|id| rewritten(id, INVALID, body.len()));
    }
    if let (Some(method), Some(id)) = (v.get("method").and_then(Value::as_str), usable_id(v))
        && method.starts_with("$/")
        && !KNOWN_DOLLAR.contains(&method)
    {
        return Some(rewritten(id, UNKNOWN, body.len()));
    }
    Some(body.to_vec())
}

/// What one body read from the client becomes: the frames to forward, and
/// bytes that belong to the stream after it (given back to the scanner).
pub fn sanitize(body: &[u8]) -> (Vec<Vec<u8>>, Option<Vec<u8>>) {
    if let Ok(v) = serde_json::from_slice::<Value>(body) {
        return (check_message(&v, body).into_iter().collect(), None);
    }
    // A Content-Length too long: one value, then the start of the next frame.
    let mut values = serde_json::Deserializer::from_slice(body).into_iter::<Value>();
    if let Some(Ok(v)) = values.next() {
        let end = values.byte_offset();
        let rest = body[end..].to_vec();
        return (check_message(&v, &body[..end]).into_iter().collect(), Some(rest));
    }
    tracing::warn!("malformed message from the client ({} bytes)", body.len());
    let text = String::from_utf8_lossy(body);
    // A Content-Length too short, or garbage: the next header may be inside.
    let rest = find_header(body).filter(|at| *at > 0).map(|at| body[at..].to_vec());
    let upto = rest.as_ref().map_or(body.len(), |r| body.len() - r.len());
    let frames = recover_id(&text[..text.len().min(upto)]).map(|id| rewritten(id, MALFORMED, body.len())).into_iter().collect();
    (frames, rest)
}

fn find_header(bytes: &[u8]) -> Option<usize> {
    const NEEDLE: &[u8] = b"content-length:";
    bytes.windows(NEEDLE.len()).position(|w| w.eq_ignore_ascii_case(NEEDLE))
}

/// Buffered input that can take bytes back.
struct Input<R> {
    reader: R,
    buf: Vec<u8>,
}

impl<R: AsyncRead + Unpin> Input<R> {
    async fn fill(&mut self) -> bool {
        let mut chunk = [0u8; 8192];
        match self.reader.read(&mut chunk).await {
            Ok(0) | Err(_) => false,
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                true
            }
        }
    }

    /// One line (without its `\n`); at most `MAX_FRAME` bytes are kept.
    async fn line(&mut self) -> Option<Vec<u8>> {
        let mut scanned = 0;
        loop {
            if let Some(nl) = self.buf[scanned..].iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=scanned + nl).collect();
                return Some(line[..line.len() - 1].to_vec());
            }
            scanned = self.buf.len();
            if scanned > MAX_FRAME {
                self.buf.clear();
                scanned = 0;
            }
            if !self.fill().await {
                return None;
            }
        }
    }

    async fn exact(&mut self, n: usize) -> Option<Vec<u8>> {
        while self.buf.len() < n {
            if !self.fill().await {
                return None;
            }
        }
        Some(self.buf.drain(..n).collect())
    }

    fn unread(&mut self, bytes: Vec<u8>) {
        let mut joined = bytes;
        joined.append(&mut self.buf);
        self.buf = joined;
    }
}

/// The length announced by a header line, wherever in the line it stands.
fn content_length(line: &[u8]) -> Option<Option<usize>> {
    let at = find_header(line)?;
    let value = String::from_utf8_lossy(&line[at + "content-length:".len()..]).trim().to_string();
    Some(value.parse().ok())
}

/// Copies frames from `input` to `output`, checking each message.
pub async fn guard(input: impl AsyncRead + Unpin, mut output: impl AsyncWrite + Unpin) {
    let mut input = Input { reader: input, buf: Vec::new() };
    loop {
        let mut length: Option<Option<usize>> = None;
        loop {
            let Some(line) = input.line().await else { return };
            if line.iter().all(u8::is_ascii_whitespace) {
                if length.is_some() {
                    break;
                }
                continue;
            }
            if let Some(l) = content_length(&line) {
                length = Some(l);
            }
        }
        let Some(len) = length.flatten().filter(|l| *l <= MAX_FRAME) else {
            tracing::warn!("frame without a usable Content-Length skipped");
            continue;
        };
        let Some(body) = input.exact(len).await else { return };
        let (frames, rest) = sanitize(&body);
        if let Some(rest) = rest {
            input.unread(rest);
        }
        for frame in frames {
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

    fn one(body: &[u8]) -> Option<Value> {
        let (frames, _) = sanitize(body);
        frames.first().map(|f| serde_json::from_slice(f).unwrap())
    }

    #[test]
    fn every_body_becomes_a_message_the_library_can_decode_or_nothing() {
        let ok = br#"{"jsonrpc":"2.0","id":1,"method":"x"}"#;
        assert_eq!(sanitize(ok).0, vec![ok.to_vec()]);
        let v = one(b"{\"jsonrpc\":\"2.0\",\"id\": 7,\"method\":\"x\",\"params\":").unwrap();
        assert_eq!((v["id"].clone(), v["method"].clone()), (Value::from(7), Value::from(MALFORMED)));
        for bad in [&b"{}"[..], b"[]", b"[1,2]", b"null", b"42", b"\"s\"", br#"{"jsonrpc":"2.0","id":{"a":1},"method":"x"}"#] {
            assert!(sanitize(bad).0.is_empty(), "{}", String::from_utf8_lossy(bad));
        }
        let v = one(br#"{"jsonrpc":"1.0","id":3,"method":"x"}"#).unwrap();
        assert_eq!(v["method"], INVALID);
        let v = one(br#"{"jsonrpc":"2.0","id":4,"method":5}"#).unwrap();
        assert_eq!(v["method"], INVALID);
        let v = one(br#"{"jsonrpc":"2.0","id":5,"method":"$/someRequest"}"#).unwrap();
        assert_eq!(v["method"], UNKNOWN);
        assert!(one(br#"{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":1}}"#).is_some());
        assert_eq!(recover_id("{\"id\":\"abc\","), Some(Value::from("abc")));
    }

    #[test]
    fn a_body_longer_than_its_message_gives_the_rest_back() {
        let (frames, rest) = sanitize(b"{\"jsonrpc\":\"2.0\",\"method\":\"n\"}Content-Le");
        assert_eq!(frames.len(), 1);
        assert_eq!(rest.unwrap(), b"Content-Le");
    }
}
