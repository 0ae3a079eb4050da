//! Nix string literals to text plus source map, with Nix's exact semantics.
//!
//! Indented strings (`''...''`) mirror Nix's lexer and `stripIndentation`:
//! the content is split into literal runs, escapes (`''$`, `'''`, `''\x`) and
//! interpolations; the smallest indentation of the non-blank lines is
//! removed (only spaces count; an escape or `${` ends a line's indentation);
//! a first line holding only spaces is dropped by the opening `''`; a last
//! line holding only spaces is dropped. Double-quoted strings unescape `\x`.
//! The tests check all of this against `nix-instantiate --eval`.

use rnix::ast;
use rowan::ast::AstNode;
use ruff_text_size::{TextRange, TextSize};

use crate::source_map::{FileId, Quoting, Segment, SegmentKind, SourceMap};

/// One piece of a Nix string after lexing.
#[derive(Debug, Clone)]
enum Part {
    /// Literal source text, copied byte for byte (minus removed indentation).
    Run { src: TextRange },
    /// An escape: its value and the range of the whole escape sequence.
    Escape { value: &'static str, ch: Option<char>, src: TextRange },
    /// A `${...}` interpolation.
    Hole { src: TextRange },
}

/// Receives the pieces of a string in order.
pub trait StringSink {
    /// Called before a string's pieces: which kind of string they come from.
    fn begin(&mut self, _quoting: Quoting) {}
    /// Literal text taken from `src`, byte for byte when `verbatim`.
    fn text(&mut self, text: &str, src: TextRange, kind: SegmentKind);
    /// An interpolation `${...}` whose value is unknown here.
    fn hole(&mut self, src: TextRange);
}

/// Collects a string's text and map, with holes left as empty markers.
#[derive(Debug)]
pub struct PlainSink {
    pub text: String,
    pub map: SourceMap,
    pub file: Option<FileId>,
    quoting: Quoting,
}

impl Default for PlainSink {
    fn default() -> PlainSink {
        PlainSink { text: String::new(), map: SourceMap::default(), file: None, quoting: Quoting::Raw }
    }
}

impl StringSink for PlainSink {
    fn begin(&mut self, quoting: Quoting) {
        self.quoting = quoting;
    }
    fn text(&mut self, text: &str, src: TextRange, kind: SegmentKind) {
        let start = TextSize::of(self.text.as_str());
        self.text.push_str(text);
        self.map.push(Segment {
            py: TextRange::at(start, TextSize::of(text)),
            src,
            file: self.file.unwrap_or(FileId::Nix),
            kind,
            quoting: self.quoting,
        });
    }
    fn hole(&mut self, src: TextRange) {
        let at = TextSize::of(self.text.as_str());
        self.map.push(Segment {
            py: TextRange::empty(at),
            src,
            file: self.file.unwrap_or(FileId::Nix),
            kind: SegmentKind::Hole,
            quoting: Quoting::Raw,
        });
    }
}

/// Feeds the value of `string` (in `source`, the whole file text) to `sink`.
pub fn lower_string(source: &str, string: &ast::Str, sink: &mut dyn StringSink) {
    let multiline = string.syntax().first_token().is_some_and(|t| t.text() == "''");
    sink.begin(if multiline { Quoting::Indented } else { Quoting::Quoted });
    let parts = lex_parts(source, string, multiline);
    if multiline {
        strip_indentation(source, &parts, sink);
    } else {
        for part in &parts {
            emit_plain(source, part, sink);
        }
    }
}

fn text_range(r: rowan::TextRange) -> TextRange {
    TextRange::new(u32::from(r.start()).into(), u32::from(r.end()).into())
}

/// Splits the raw content of a string into runs, escapes and holes.
/// (rnix's own `Str::parts` asserts on the odd tokens an error-recovered
/// tree can hold; here anything unexpected becomes an unknown hole.)
fn lex_parts(source: &str, string: &ast::Str, multiline: bool) -> Vec<Part> {
    use rnix::SyntaxKind::{TOKEN_STRING_CONTENT, TOKEN_STRING_END, TOKEN_STRING_START};
    let mut parts = Vec::new();
    for child in string.syntax().children_with_tokens() {
        let range = text_range(child.text_range());
        match child.kind() {
            TOKEN_STRING_START | TOKEN_STRING_END => {}
            TOKEN_STRING_CONTENT => {
                let raw = &source[range];
                if multiline {
                    lex_indented(raw, range.start(), &mut parts);
                } else {
                    lex_quoted(raw, range.start(), &mut parts);
                }
            }
            // `${...}`, or an error the parser recovered from: unknown text.
            _ => parts.push(Part::Hole { src: range }),
        }
    }
    parts
}

fn push_run(parts: &mut Vec<Part>, start: usize, end: usize, base: TextSize) {
    if end > start {
        let src = TextRange::new(base + to_size(start), base + to_size(end));
        if let Some(Part::Run { src: prev }) = parts.last_mut()
            && prev.end() == src.start()
        {
            *prev = TextRange::new(prev.start(), src.end());
            return;
        }
        parts.push(Part::Run { src });
    }
}

fn to_size(n: usize) -> TextSize {
    TextSize::try_from(n).unwrap_or(TextSize::new(u32::MAX))
}

fn escape_value(c: char) -> (&'static str, Option<char>) {
    match c {
        'n' => ("\n", None),
        'r' => ("\r", None),
        't' => ("\t", None),
        other => ("", Some(other)),
    }
}

fn lex_indented(raw: &str, base: TextSize, parts: &mut Vec<Part>) {
    let bytes = raw.as_bytes();
    let mut run_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\'' && bytes.get(i + 1) == Some(&b'\'') {
            let (value, ch, len) = match bytes.get(i + 2) {
                Some(b'$') => ("$", None, 3),
                Some(b'\'') => ("''", None, 3),
                Some(b'\\') => match raw[i + 3..].chars().next() {
                    Some(c) => {
                        let (v, ch) = escape_value(c);
                        (v, ch, 3 + c.len_utf8())
                    }
                    None => ("", None, 3),
                },
                // A bare `''` cannot appear inside the content; keep it as text.
                _ => {
                    i += 2;
                    continue;
                }
            };
            push_run(parts, run_start, i, base);
            parts.push(Part::Escape { value, ch, src: TextRange::new(base + to_size(i), base + to_size(i + len)) });
            i += len;
            run_start = i;
        } else {
            i += 1;
        }
    }
    push_run(parts, run_start, bytes.len(), base);
}

fn lex_quoted(raw: &str, base: TextSize, parts: &mut Vec<Part>) {
    let mut run_start = 0;
    let mut iter = raw.char_indices().peekable();
    while let Some((i, c)) = iter.next() {
        if c == '\\'
            && let Some((_, next)) = iter.next()
        {
            push_run(parts, run_start, i, base);
            let (value, ch) = escape_value(next);
            let len = 1 + next.len_utf8();
            parts.push(Part::Escape { value, ch, src: TextRange::new(base + to_size(i), base + to_size(i + len)) });
            run_start = i + len;
        }
    }
    push_run(parts, run_start, raw.len(), base);
}

fn escape_text<'a>(value: &'static str, ch: Option<char>, buf: &'a mut [u8; 4]) -> &'a str {
    match ch {
        Some(c) => c.encode_utf8(buf),
        None => value,
    }
}

fn emit_plain(source: &str, part: &Part, sink: &mut dyn StringSink) {
    match *part {
        Part::Run { src } => sink.text(&source[src], src, SegmentKind::Verbatim),
        Part::Escape { value, ch, src } => {
            let mut buf = [0; 4];
            sink.text(escape_text(value, ch, &mut buf), src, SegmentKind::Escape);
        }
        Part::Hole { src } => sink.hole(src),
    }
}

/// Text of a literal part, with the source offset of each byte (escapes map
/// every byte to the escape's start, which is all `strip_indentation` needs).
fn part_text<'a>(source: &'a str, part: &Part, buf: &'a mut [u8; 4]) -> &'a str {
    match *part {
        Part::Run { src } => &source[src],
        Part::Escape { value, ch, .. } => escape_text(value, ch, buf),
        Part::Hole { .. } => "",
    }
}

/// Nix's `stripIndentation` over lexed parts, emitting text with its map.
fn strip_indentation(source: &str, parts: &[Part], sink: &mut dyn StringSink) {
    // The opening `''` swallows a first line made only of spaces.
    let mut parts: Vec<Part> = parts.to_vec();
    if let Some(Part::Run { src }) = parts.first() {
        let text = &source[*src];
        if let Some(nl) = text.find('\n')
            && text[..nl].bytes().all(|b| b == b' ')
        {
            let cut = src.start() + to_size(nl + 1);
            if cut == src.end() {
                parts.remove(0);
            } else {
                parts[0] = Part::Run { src: TextRange::new(cut, src.end()) };
            }
        }
    }

    // Pass 1: the smallest indentation of lines that hold something.
    let mut at_line_start = true;
    let mut min_indent = usize::MAX;
    let mut cur_indent = 0;
    for part in &parts {
        match part {
            Part::Run { src } => {
                for b in source[*src].bytes() {
                    if at_line_start {
                        match b {
                            b' ' => cur_indent += 1,
                            b'\n' => cur_indent = 0,
                            _ => {
                                at_line_start = false;
                                min_indent = min_indent.min(cur_indent);
                            }
                        }
                    } else if b == b'\n' {
                        at_line_start = true;
                        cur_indent = 0;
                    }
                }
            }
            Part::Escape { .. } | Part::Hole { .. } => {
                if at_line_start {
                    at_line_start = false;
                    min_indent = min_indent.min(cur_indent);
                }
            }
        }
    }

    // Pass 2: drop that indentation from every line.
    let mut at_line_start = true;
    let mut dropped = 0;
    let last = parts.len().saturating_sub(1);
    for (idx, part) in parts.iter().enumerate() {
        if let Part::Hole { src } = part {
            at_line_start = false;
            dropped = 0;
            sink.hole(*src);
            continue;
        }
        let mut buf = [0; 4];
        let text = part_text(source, part, &mut buf);
        // Kept bytes, as (offset in `text`, len) spans.
        let mut kept: Vec<(usize, usize)> = Vec::new();
        let keep = |at: usize, kept: &mut Vec<(usize, usize)>| match kept.last_mut() {
            Some((s, l)) if *s + *l == at => *l += 1,
            _ => kept.push((at, 1)),
        };
        for (j, b) in text.bytes().enumerate() {
            if at_line_start {
                match b {
                    b' ' => {
                        if dropped >= min_indent {
                            keep(j, &mut kept);
                        }
                        dropped += 1;
                    }
                    b'\n' => {
                        dropped = 0;
                        keep(j, &mut kept);
                    }
                    _ => {
                        at_line_start = false;
                        dropped = 0;
                        keep(j, &mut kept);
                    }
                }
            } else {
                keep(j, &mut kept);
                if b == b'\n' {
                    at_line_start = true;
                }
            }
        }
        // The last line goes if it holds only spaces.
        if idx == last {
            let kept_text: String = kept.iter().map(|&(s, l)| &text[s..s + l]).collect();
            if let Some(p) = kept_text.rfind('\n')
                && kept_text[p + 1..].bytes().all(|b| b == b' ')
            {
                let mut budget = p + 1;
                kept.retain_mut(|(_, l)| {
                    if budget == 0 {
                        return false;
                    }
                    *l = (*l).min(budget);
                    budget -= *l;
                    true
                });
            }
        }
        for (s, l) in kept {
            match *part {
                Part::Run { src } => {
                    let at = src.start() + to_size(s);
                    sink.text(&text[s..s + l], TextRange::at(at, to_size(l)), SegmentKind::Verbatim);
                }
                Part::Escape { src, .. } => sink.text(&text[s..s + l], src, SegmentKind::Escape),
                Part::Hole { .. } => {}
            }
        }
    }
}
