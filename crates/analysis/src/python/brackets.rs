//! Where an unbalanced bracket is, as CPython 3.10+ reports it: an
//! unclosed bracket swallows every line after it, so the parser's own
//! errors come lines later and several per mistake; the mistake is at the
//! bracket.

use ruff_python_ast::token::{TokenKind, Tokens};
use ruff_text_size::{Ranged, TextRange};

fn closer_of(open: TokenKind) -> TokenKind {
    match open {
        TokenKind::Lpar => TokenKind::Rpar,
        TokenKind::Lsqb => TokenKind::Rsqb,
        _ => TokenKind::Rbrace,
    }
}

fn text_of(kind: TokenKind) -> &'static str {
    match kind {
        TokenKind::Lpar => "(",
        TokenKind::Rpar => ")",
        TokenKind::Lsqb => "[",
        TokenKind::Rsqb => "]",
        TokenKind::Lbrace => "{",
        _ => "}",
    }
}

/// The first bracket mistake of the script: a closer that matches nothing
/// or the wrong opener, else the first opener never closed; with CPython's
/// message.
pub fn first_unbalanced(tokens: &Tokens) -> Option<(TextRange, String)> {
    let mut open: Vec<(TokenKind, TextRange)> = Vec::new();
    for t in tokens.iter() {
        match t.kind() {
            k @ (TokenKind::Lpar | TokenKind::Lsqb | TokenKind::Lbrace) => open.push((k, t.range())),
            k @ (TokenKind::Rpar | TokenKind::Rsqb | TokenKind::Rbrace) => match open.last() {
                Some((o, _)) if closer_of(*o) == k => {
                    open.pop();
                }
                Some((o, _)) => {
                    let msg = format!("closing parenthesis '{}' does not match opening parenthesis '{}'", text_of(k), text_of(*o));
                    return Some((t.range(), msg));
                }
                None => return Some((t.range(), format!("unmatched '{}'", text_of(k)))),
            },
            _ => {}
        }
    }
    open.first().map(|(k, r)| (*r, format!("'{}' was never closed", text_of(*k))))
}
