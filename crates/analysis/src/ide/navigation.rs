//! Go to definition (a Python node name → its `nodes.<n>` in Nix), find
//! references (every Python use of a node, from either side) and rename
//! (the Nix attribute and every Python use, pythonized).

use ruff_python_ast::visitor::{Visitor, walk_expr, walk_stmt};
use ruff_python_ast::{Expr, ExprContext, Stmt};
use ruff_text_size::{TextRange, TextSize};
use serde::Serialize;

use super::{ident_at, receiver_before, script_pos};
use crate::Analysis;
use crate::diagnostics::Edit;
use crate::driver_api::{DriverApi, Generation};
use crate::nix::{Node, pythonize};
use crate::python::KEYWORDS;
use crate::source_map::{FileId, SourceRange};

#[derive(Debug, Clone, Serialize)]
pub struct NavTarget {
    /// The whole definition (or use).
    pub range: TextRange,
    /// The name inside it.
    pub focus: TextRange,
}

/// The node under the cursor: a Nix node name, or a Python name that is one.
fn node_at(a: &Analysis, offset: TextSize) -> Option<(usize, &Node)> {
    if let Some(pos) = script_pos(a, offset) {
        let (word, range) = ident_at(pos.text, pos.offset)?;
        if receiver_before(a, &pos, range.start().into()).is_some() {
            return None;
        }
        let node = pos.test.machine_named(word)?;
        return Some((pos.index, node));
    }
    a.file.tests.iter().enumerate().find_map(|(i, t)| t.nodes.iter().find(|n| n.name_range.contains_inclusive(offset)).map(|n| (i, n)))
}

pub fn definition(a: &Analysis, offset: TextSize) -> Vec<NavTarget> {
    match node_at(a, offset) {
        Some((_, node)) => vec![NavTarget { range: node.def_range, focus: node.name_range }],
        None => local_symbol(a, offset)
            .and_then(|l| {
                let def = a.file.tests[l.test].script.map.to_source(l.definition)?;
                (def.file == FileId::Nix).then_some(vec![NavTarget { range: def.range, focus: def.range }])
            })
            .unwrap_or_default(),
    }
}

/// A name the script itself binds (function, variable, parameter) and every
/// place it occurs in its scope, in script offsets.
struct LocalSymbol {
    test: usize,
    name: String,
    definition: TextRange,
    occurrences: Vec<TextRange>,
}

/// Occurrences of `name` in a scope's statements: names, parameters and
/// function names; nested functions that bind it again are another scope.
struct Occurrences<'a> {
    name: &'a str,
    out: Vec<(TextRange, bool)>,
}

impl<'b> Visitor<'b> for Occurrences<'_> {
    fn visit_stmt(&mut self, stmt: &'b Stmt) {
        if let Stmt::FunctionDef(f) = stmt {
            if f.name.id.as_str() == self.name {
                self.out.push((f.name.range, true));
            }
            let rebinds = f.parameters.iter().any(|p| p.name().id.as_str() == self.name)
                || crate::python::assigned_names(&f.body).iter().any(|n| n == self.name);
            if rebinds {
                return;
            }
        }
        walk_stmt(self, stmt);
    }
    fn visit_expr(&mut self, expr: &'b Expr) {
        if let Expr::Name(n) = expr
            && n.id.as_str() == self.name
        {
            self.out.push((n.range, n.ctx == ExprContext::Store));
        }
        walk_expr(self, expr);
    }
}

fn local_symbol(a: &Analysis, offset: TextSize) -> Option<LocalSymbol> {
    let pos = script_pos(a, offset)?;
    let (word, range) = ident_at(pos.text, pos.offset)?;
    if receiver_before(a, &pos, range.start().into()).is_some() || pos.test.node(word).is_some() {
        return None;
    }
    let script = a.scripts.get(pos.index)?.as_ref()?;
    // The innermost function around the name that binds it, else the module.
    let mut scope: (&[Stmt], Option<&ruff_python_ast::StmtFunctionDef>) = (&script.parsed.syntax().body, None);
    loop {
        let inner = scope.0.iter().find_map(|s| match s {
            Stmt::FunctionDef(f) if f.range.contains(range.start()) => Some(f),
            _ => None,
        });
        let Some(f) = inner else { break };
        let binds = f.parameters.iter().any(|p| p.name().id.as_str() == word)
            || crate::python::local_bindings(&f.body, pos.test, Generation::Newest).module.contains_key(word);
        if binds {
            scope = (&f.body, Some(f));
        } else {
            // Not bound there: look deeper only if a nested function binds it.
            let nested = f.body.iter().any(|s| matches!(s, Stmt::FunctionDef(g) if g.range.contains(range.start())));
            if !nested {
                break;
            }
            scope = (&f.body, scope.1);
        }
    }
    let mut v = Occurrences { name: word, out: Vec::new() };
    if let Some(f) = scope.1 {
        for p in f.parameters.iter().filter(|p| p.name().id.as_str() == word) {
            v.out.push((p.name().range, true));
        }
    } else if !script.scope.module.contains_key(word) {
        return None;
    }
    for s in scope.0 {
        v.visit_stmt(s);
    }
    let definition = v.out.iter().find(|(_, store)| *store).map(|(r, _)| *r)?;
    let mut occurrences: Vec<TextRange> = v.out.into_iter().map(|(r, _)| r).collect();
    occurrences.sort_by_key(|r| r.start());
    occurrences.dedup();
    Some(LocalSymbol { test: pos.index, name: word.to_string(), definition, occurrences })
}

/// Python uses of `name` that refer to the global (not shadowed by an
/// assignment or a parameter of a non-test function).
struct Uses<'a> {
    name: &'a str,
    shadowed: usize,
    out: Vec<TextRange>,
}

impl<'b> Visitor<'b> for Uses<'_> {
    fn visit_stmt(&mut self, stmt: &'b Stmt) {
        if let Stmt::FunctionDef(f) = stmt {
            let is_test = crate::python::is_test_function(&f.name.id);
            let param = f.parameters.iter().find(|p| p.name().id.as_str() == self.name);
            if let Some(p) = param {
                if is_test {
                    self.out.push(p.name().range);
                } else {
                    self.shadowed += 1;
                    walk_stmt(self, stmt);
                    self.shadowed -= 1;
                    return;
                }
            }
        }
        walk_stmt(self, stmt);
    }
    fn visit_expr(&mut self, expr: &'b Expr) {
        if let Expr::Name(n) = expr
            && n.id.as_str() == self.name
            && self.shadowed == 0
            && n.ctx == ExprContext::Load
        {
            self.out.push(n.range);
        }
        walk_expr(self, expr);
    }
}

fn python_uses(a: &Analysis, index: usize, py_name: &str) -> Vec<SourceRange> {
    let Some(Some(script)) = a.scripts.get(index) else { return Vec::new() };
    let test = &a.file.tests[index];
    let mut v = Uses { name: py_name, shadowed: 0, out: Vec::new() };
    for s in &script.parsed.syntax().body {
        v.visit_stmt(s);
    }
    v.out.into_iter().filter_map(|r| test.script.map.to_source(r)).collect()
}

/// Every use of the node (or script-local name) under the cursor, its
/// definition included.
pub fn references(a: &Analysis, offset: TextSize) -> Vec<SourceRange> {
    let Some((index, node)) = node_at(a, offset) else {
        let Some(l) = local_symbol(a, offset) else { return Vec::new() };
        let map = &a.file.tests[l.test].script.map;
        return l.occurrences.iter().filter_map(|r| map.to_source(*r)).collect();
    };
    let mut out = vec![SourceRange { file: FileId::Nix, range: node.name_range }];
    out.extend(python_uses(a, index, &node.py_name));
    if a.file.tests[index].machine_alias().is_some() {
        out.extend(python_uses(a, index, "machine"));
    }
    out
}

fn valid_nix_ident(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '\''))
        && !matches!(s, "if" | "then" | "else" | "let" | "in" | "rec" | "with" | "inherit" | "assert" | "or")
}

/// What can be renamed at `offset`: the range of the name there and the
/// text an editor pre-fills (the node's name as written on that side).
pub fn prepare_rename(a: &Analysis, offset: TextSize) -> Option<(TextRange, String)> {
    let Some((_, node)) = node_at(a, offset) else {
        let l = local_symbol(a, offset)?;
        let pos = script_pos(a, offset)?;
        let (_, range) = ident_at(pos.text, pos.offset)?;
        let nix = pos.test.script.map.to_source(range).filter(|r| r.file == FileId::Nix)?;
        return Some((nix.range, l.name));
    };
    if node.name_range.contains_inclusive(offset) {
        return Some((node.name_range, node.name.clone()));
    }
    let pos = script_pos(a, offset)?;
    let (word, range) = ident_at(pos.text, pos.offset)?;
    let nix = pos.test.script.map.to_source(range).filter(|r| r.file == FileId::Nix)?;
    Some((nix.range, word.to_string()))
}

/// A renamed node's old host name inside the script's string literals
/// (`curl http://web-server`): not renamed with the node, offered apart.
pub fn host_name_in_strings(a: &Analysis, offset: TextSize, new_name: &str) -> Vec<Edit> {
    use ruff_python_ast::token::TokenKind as K;
    use ruff_text_size::Ranged;
    let Some((index, node)) = node_at(a, offset) else { return Vec::new() };
    let Some(Some(script)) = a.scripts.get(index) else { return Vec::new() };
    let text = &a.file.tests[index].script.text;
    let map = &a.file.tests[index].script.map;
    let old = node.name.as_str();
    let mut out = Vec::new();
    for t in script.parsed.tokens().iter().filter(|t| matches!(t.kind(), K::String | K::FStringMiddle)) {
        let r = t.range();
        let literal = &text[usize::from(r.start())..usize::from(r.end())];
        for (i, _) in literal.match_indices(old) {
            let host_char = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
            let before = literal[..i].chars().next_back().is_some_and(host_char);
            let after = literal[i + old.len()..].chars().next().is_some_and(host_char);
            if before || after {
                continue;
            }
            let at = r.start() + TextSize::try_from(i).unwrap_or_default();
            if let Some(src) = map.to_source(TextRange::at(at, TextSize::of(old))) {
                out.push(Edit { range: src, new_text: new_name.to_string() });
            }
        }
    }
    out
}

/// Renames the node under the cursor: the Nix attribute (quoted when it
/// must be) and every Python use (with the pythonized new name). A name
/// that is a keyword, a driver global or a builtin is refused: the node's
/// global would hide it, or be hidden.
pub fn rename(a: &Analysis, offset: TextSize, new_name: &str, g: Generation) -> Result<Vec<Edit>, String> {
    let Some((index, node)) = node_at(a, offset) else {
        let l = local_symbol(a, offset).ok_or("nothing here to rename")?;
        let valid = new_name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && new_name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !valid || KEYWORDS.contains(&new_name) {
            return Err(format!("`{new_name}` is not a Python name"));
        }
        let map = &a.file.tests[l.test].script.map;
        let edits: Option<Vec<Edit>> =
            l.occurrences.iter().map(|r| map.to_source(*r).map(|range| Edit { range, new_text: new_name.to_string() })).collect();
        return edits.ok_or_else(|| "a use of the name is not plain text in the Nix file".to_string());
    };
    let test = &a.file.tests[index];
    if new_name.is_empty() || new_name.contains(['.', '"', '$', '\\', '\n']) {
        return Err(format!("`{new_name}` cannot be a node name"));
    }
    let py = pythonize(new_name);
    if KEYWORDS.contains(&py.as_str()) {
        return Err(format!("`{py}` is a Python keyword"));
    }
    if DriverApi::get().global(&py, g).is_some() {
        return Err(format!("`{py}` is a global of the test driver; a node of that name would hide it"));
    }
    if crate::python::is_python_builtin(&py) {
        return Err(format!("`{py}` is a Python builtin; a node of that name would hide it"));
    }
    if let Some(other) = test.nodes.iter().find(|n| n.py_name == py && n.name != node.name) {
        return Err(format!("`{new_name}` would collide with node `{}`", other.name));
    }
    let nix_text = if valid_nix_ident(new_name) { new_name.to_string() } else { format!("\"{new_name}\"") };
    let mut edits = vec![Edit { range: SourceRange { file: FileId::Nix, range: node.name_range }, new_text: nix_text }];
    for r in python_uses(a, index, &node.py_name) {
        edits.push(Edit { range: r, new_text: py.clone() });
    }
    Ok(edits)
}
