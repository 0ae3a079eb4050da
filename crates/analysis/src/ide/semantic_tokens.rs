//! Semantic tokens for the embedded Python, mapped into the Nix file, so
//! any client highlights `testScript` as Python.

use ruff_python_ast::token::TokenKind;
use ruff_text_size::{Ranged, TextRange};
use serde::Serialize;

use crate::Analysis;
use crate::source_map::{FileId, SegmentKind};

/// The token types, in the order of `Token::ty` (the server's legend).
pub const TOKEN_TYPES: &[&str] =
    &["keyword", "string", "number", "comment", "function", "method", "property", "variable", "parameter", "operator", "class"];

#[derive(Debug, Clone, Copy, Serialize)]
pub struct Token {
    /// Nix range; never crosses a hole or escape boundary.
    pub range: TextRange,
    /// Index into [`TOKEN_TYPES`].
    pub ty: u32,
}

fn ty(kind: TokenKind, next: Option<TokenKind>, prev: Option<TokenKind>) -> Option<u32> {
    Some(match kind {
        k if k.is_keyword() => 0,
        TokenKind::String | TokenKind::FStringStart | TokenKind::FStringMiddle | TokenKind::FStringEnd => 1,
        TokenKind::Int | TokenKind::Float | TokenKind::Complex => 2,
        TokenKind::Comment => 3,
        TokenKind::Name => match (prev, next) {
            (Some(TokenKind::Dot), Some(TokenKind::Lpar)) => 5,
            (Some(TokenKind::Dot), _) => 6,
            (_, Some(TokenKind::Lpar)) => 4,
            _ => 7,
        },
        k if k.is_operator() => 9,
        _ => return None,
    })
}

/// Tokens of every statically known script in the file, in Nix order.
pub fn semantic_tokens(a: &Analysis) -> Vec<Token> {
    let mut out = Vec::new();
    for (i, test) in a.file.tests.iter().enumerate() {
        let Some(Some(script)) = a.scripts.get(i) else { continue };
        let tokens = script.parsed.tokens();
        let map = &test.script.map;
        for (j, t) in tokens.iter().enumerate() {
            let kind = t.kind();
            let prev = j.checked_sub(1).map(|p| tokens[p].kind());
            let next = tokens.get(j + 1).map(|n| n.kind());
            let Some(ty) = ty(kind, next, prev) else { continue };
            // Only the verbatim parts of a token: holes and escapes stay Nix.
            for seg in map.segments().iter().filter(|s| s.kind == SegmentKind::Verbatim && s.file == FileId::Nix) {
                let Some(part) = seg.py.intersect(t.range()).filter(|r| !r.is_empty()) else { continue };
                let start = seg.src.start() + (part.start() - seg.py.start());
                out.push(Token { range: TextRange::at(start, part.len()), ty });
            }
        }
    }
    out.sort_by_key(|t| t.range.start());
    out
}
