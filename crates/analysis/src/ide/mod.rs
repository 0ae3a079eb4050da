//! IDE features as plain data over byte offsets in the Nix file: the server
//! turns them into LSP types, nothing here knows about LSP.

mod code_actions;
mod completion;
mod hover;
mod migrate;
mod navigation;
mod outline;
mod runnables;
mod semantic_tokens;

pub use code_actions::{Action, ActionKind, code_actions, fix_all};

/// The migration of test `index` to fixture mode (for `--unsafe-fixes`).
pub fn migrate_to_fixtures(a: &crate::Analysis, index: usize, fixtures_module: Option<&str>) -> Option<Action> {
    migrate::migrate(a, index, fixtures_module)
}
pub use completion::{CompletionItem, CompletionKind, completions};
pub use hover::{Hover, SignatureHelp, hover, signature_help};
pub use navigation::{NavTarget, definition, host_name_in_strings, prepare_rename, references, rename};
pub use outline::{Fold, Symbol, SymbolKind, folding_ranges, symbols};
pub use runnables::{Runnable, runnables};
pub use semantic_tokens::{TOKEN_TYPES, Token, semantic_tokens};

use ruff_python_ast::token::{Token as PyToken, TokenKind};
use ruff_text_size::{Ranged, TextRange, TextSize};

use crate::Analysis;
use crate::driver_api::{Class, DriverApi, Generation, Member};
use crate::nix::TestDef;
use crate::python::ty::{Binding, machine_class};
use crate::python::{MachineTy, machine_ty_of_node};
use crate::source_map::FileId;

/// Where a Nix offset falls inside a test's script.
pub(crate) struct ScriptPos<'a> {
    pub index: usize,
    pub test: &'a TestDef,
    pub offset: TextSize,
    pub text: &'a str,
}

pub(crate) fn script_pos(a: &Analysis, offset: TextSize) -> Option<ScriptPos<'_>> {
    a.file.tests.iter().enumerate().find_map(|(index, test)| {
        if !test.script.value_range.contains_inclusive(offset) {
            return None;
        }
        let py = test.script.map.to_python_offset(FileId::Nix, offset)?;
        Some(ScriptPos { index, test, offset: py, text: &test.script.text })
    })
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The identifier around `offset` in `text`, with its range.
pub(crate) fn ident_at(text: &str, offset: TextSize) -> Option<(&str, TextRange)> {
    let bytes = text.as_bytes();
    let at = usize::from(offset).min(bytes.len());
    let mut start = at;
    while start > 0 && is_ident(bytes[start - 1]) {
        start -= 1;
    }
    let mut end = at;
    while end < bytes.len() && is_ident(bytes[end]) {
        end += 1;
    }
    (start < end).then(|| (&text[start..end], TextRange::new(to_size(start), to_size(end))))
}

pub(crate) fn to_size(n: usize) -> TextSize {
    TextSize::try_from(n).unwrap_or(TextSize::new(u32::MAX))
}

/// The receiver of the attribute that starts at `start` (a Python offset):
/// the name before the `.` before it, read from the parser's tokens, so that
/// spaces, comments, line continuations and non-ASCII names are read as
/// Python reads them. Without a parsed script (not statically known), the
/// text directly before `start` is read.
pub(crate) fn receiver_before<'a>(a: &Analysis, pos: &ScriptPos<'a>, start: usize) -> Option<&'a str> {
    let Some(Some(script)) = a.scripts.get(pos.index) else { return receiver_in_text(pos.text, start) };
    let at = TextSize::try_from(start).ok()?;
    let tokens: &[PyToken] = script.parsed.tokens();
    let before = &tokens[..tokens.partition_point(|t| t.end() <= at)];
    let mut code = before.iter().rev().filter(|t| !matches!(t.kind(), TokenKind::Comment | TokenKind::NonLogicalNewline));
    let dot = code.next().filter(|t| t.kind() == TokenKind::Dot)?;
    let name = code.next().filter(|t| t.kind() == TokenKind::Name && t.end() <= dot.start())?;
    pos.text.get(usize::from(name.start())..usize::from(name.end()))
}

/// The call whose argument list holds `at` (a Python offset): the receiver
/// and name of `recv.method(` or `function(`, read from the parser's tokens
/// (brackets in strings and comments do not count). Without a parsed
/// script, the text is scanned instead.
pub(crate) fn enclosing_call<'a>(a: &Analysis, pos: &ScriptPos<'a>, at: usize) -> Option<(Option<&'a str>, &'a str)> {
    let Some(Some(script)) = a.scripts.get(pos.index) else { return completion::enclosing_call_in_text(pos.text, at) };
    let at = TextSize::try_from(at).ok()?;
    let tokens: &[PyToken] = script.parsed.tokens();
    let before = &tokens[..tokens.partition_point(|t| t.end() <= at)];
    let text_of = |t: &PyToken| pos.text.get(usize::from(t.start())..usize::from(t.end()));
    let mut depth = 0usize;
    let mut code = before.iter().rev().filter(|t| !matches!(t.kind(), TokenKind::Comment | TokenKind::NonLogicalNewline)).take(4000);
    while let Some(t) = code.next() {
        match t.kind() {
            TokenKind::Rpar | TokenKind::Rsqb | TokenKind::Rbrace => depth += 1,
            TokenKind::Lpar | TokenKind::Lsqb | TokenKind::Lbrace if depth > 0 => depth -= 1,
            TokenKind::Lpar => {
                let name = code.next().filter(|n| n.kind() == TokenKind::Name)?;
                let receiver = match (code.next(), code.next()) {
                    (Some(dot), Some(recv)) if dot.kind() == TokenKind::Dot && recv.kind() == TokenKind::Name => text_of(recv),
                    _ => None,
                };
                return Some((receiver, text_of(name)?));
            }
            TokenKind::Lsqb | TokenKind::Lbrace | TokenKind::Newline => return None,
            _ => {}
        }
    }
    None
}

/// The identifier directly before a `.` that ends just before `start`, in
/// text alone (for text the parser did not see).
pub(crate) fn receiver_in_text(text: &str, start: usize) -> Option<&str> {
    let bytes = text.as_bytes();
    if start == 0 || bytes.get(start - 1) != Some(&b'.') {
        return None;
    }
    let end = start - 1;
    let mut s = end;
    while s > 0 && is_ident(bytes[s - 1]) {
        s -= 1;
    }
    (s < end).then(|| &text[s..end])
}

/// What a receiver name is, for completion and hover on `name.attr`.
pub(crate) enum ReceiverTy {
    Machine(MachineTy),
    Object(Class),
}

pub(crate) fn receiver_ty(a: &Analysis, test: &TestDef, index: usize, name: &str, g: Generation) -> Option<ReceiverTy> {
    let Some(Some(script)) = a.scripts.get(index) else {
        return test.machine_named(name).map(|n| ReceiverTy::Machine(machine_ty_of_node(n.kind)));
    };
    match script.scope.resolve(test, name, g) {
        Binding::Machine(ty, _) => Some(ReceiverTy::Machine(ty)),
        Binding::Vlan => Some(ReceiverTy::Object(Class::Vlan)),
        Binding::Global(m) => m.value_class.filter(|c| *c != Class::Tester).map(ReceiverTy::Object),
        Binding::Value(_) | Binding::Other => None,
    }
}

/// The members an object of this type has.
pub(crate) fn members_of(ty: &ReceiverTy, g: Generation) -> &'static [&'static Member] {
    let api = DriverApi::get();
    match ty {
        ReceiverTy::Machine(t) => api.machine_members(machine_class(*t), g),
        ReceiverTy::Object(c) => api.machine_members(*c, g),
    }
}

/// Markdown documentation of a driver member.
pub(crate) fn member_doc(m: &Member, g: Generation) -> String {
    let gens: Vec<&str> = Generation::ALL.iter().filter(|x| m.available_in(**x)).map(|x| x.label()).collect();
    let owner = if m.class == Class::Global { "driver global".to_string() } else { format!("`{}`", m.class.python_name(g)) };
    let mut s = format!("```python\n{}\n```\n{}\n\n*{owner}; in driver generations: {}*", m.display_signature(), m.doc, gens.join(", "));
    if let Some(d) = m.deprecated_in(g) {
        s.push_str(&format!("\n\n**Deprecated:** {}", d.message));
    }
    s
}
