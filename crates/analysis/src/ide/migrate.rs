//! The migration of a legacy module-level script to fixture mode, as one
//! edit of the Nix file: every `with subtest("…"):` block becomes its own
//! `def test_…(<the nodes it uses>):`, the other machine actions between
//! them become test functions in their place and order, `start_all()` goes
//! (fixtures start the machines they name), and imports, constants, helper
//! functions and classes stay at module level. Names a test assigns and
//! others read are declared `global`. The test gets `usePytestFixtures =
//! true;` and, when the configuration names it (`fixtures-module`), the
//! module that declares that option in its `imports`.
//!
//! The edits are made line by line in the Nix text: in an indented string
//! each Python line is one Nix line, so inserting, indenting and replacing
//! lines keeps escapes and `${…}` holes as they were written.

use std::collections::HashSet;

use ruff_python_ast::token::TokenKind;
use ruff_python_ast::visitor::{Visitor, walk_expr, walk_stmt};
use ruff_python_ast::{Expr, ExprContext, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};

use super::code_actions::{Action, ActionKind};
use crate::Analysis;
use crate::diagnostics::Edit;
use crate::nix::{ScriptStatus, TestDef};
use crate::source_map::{FileId, SegmentKind, SourceRange};

/// What becomes of one module-level statement.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Role {
    /// Imports, definitions, constants: module level, as it is.
    Keep,
    /// `start_all()`: dropped.
    Drop,
    /// `with subtest("name"):` with the name.
    Subtest(String),
    /// A machine action (or anything that may be one): in a test function.
    Action,
}

/// Names read and written in statements (reads inside nested functions
/// count: a helper reads the module's globals when it runs).
#[derive(Default)]
struct Names {
    loads: HashSet<String>,
    stores: HashSet<String>,
    calls: bool,
    /// Inside a nested function or class: its own stores are its locals.
    nested: usize,
}

impl<'b> Visitor<'b> for Names {
    fn visit_stmt(&mut self, stmt: &'b Stmt) {
        match stmt {
            Stmt::FunctionDef(f) if self.nested == 0 => {
                self.stores.insert(f.name.id.to_string());
                self.nested += 1;
                walk_stmt(self, stmt);
                self.nested -= 1;
            }
            Stmt::ClassDef(c) if self.nested == 0 => {
                self.stores.insert(c.name.id.to_string());
                self.nested += 1;
                walk_stmt(self, stmt);
                self.nested -= 1;
            }
            _ => walk_stmt(self, stmt),
        }
    }
    fn visit_expr(&mut self, expr: &'b Expr) {
        match expr {
            Expr::Name(n) if n.ctx == ExprContext::Store && self.nested == 0 => {
                self.stores.insert(n.id.to_string());
            }
            Expr::Name(n) if n.ctx == ExprContext::Store => {}
            Expr::Name(n) => {
                self.loads.insert(n.id.to_string());
            }
            Expr::Call(_) => self.calls = true,
            _ => {}
        }
        walk_expr(self, expr);
    }
}

fn names_of(stmts: &[Stmt]) -> Names {
    let mut n = Names::default();
    for s in stmts {
        n.visit_stmt(s);
    }
    n
}

fn role(stmt: &Stmt, test: &TestDef) -> Role {
    match stmt {
        Stmt::Import(_) | Stmt::ImportFrom(_) | Stmt::FunctionDef(_) | Stmt::ClassDef(_) => Role::Keep,
        Stmt::Expr(e) => match &*e.value {
            Expr::StringLiteral(_) => Role::Keep,
            Expr::Call(c) if c.arguments.is_empty() && matches!(&*c.func, Expr::Name(n) if n.id.as_str() == "start_all") => Role::Drop,
            _ => Role::Action,
        },
        Stmt::With(w) => match w.items.as_slice() {
            [item] if item.optional_vars.is_none() => match &item.context_expr {
                Expr::Call(c) if matches!(&*c.func, Expr::Name(n) if n.id.as_str() == "subtest") => match c.arguments.args.first() {
                    Some(Expr::StringLiteral(s)) if c.arguments.len() == 1 => Role::Subtest(s.value.to_str().to_string()),
                    _ => Role::Action,
                },
                _ => Role::Action,
            },
            _ => Role::Action,
        },
        Stmt::Assign(_) | Stmt::AnnAssign(_) => {
            // A constant: no call, no machine.
            let n = names_of(std::slice::from_ref(stmt));
            let machine = n.loads.iter().any(|l| test.machine_named(l).is_some());
            if n.calls || machine { Role::Action } else { Role::Keep }
        }
        _ => Role::Action,
    }
}

/// `test_` and the subtest's words: `"client can fetch"` → `test_client_can_fetch`.
fn test_name(words: &str, taken: &mut HashSet<String>) -> String {
    let mut slug = String::new();
    for c in words.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('_') && !slug.is_empty() {
            slug.push('_');
        }
    }
    let slug = slug.trim_end_matches('_');
    let base = if slug.is_empty() { "test_step".to_string() } else { format!("test_{slug}") };
    let mut name = base.clone();
    let mut n = 2;
    while !taken.insert(name.clone()) {
        name = format!("{base}_{n}");
        n += 1;
    }
    name
}

/// One test function to be: its statements, header and name.
struct Group<'a> {
    stmts: Vec<&'a Stmt>,
    /// For a subtest, the `with` statement (its header line is replaced).
    with: Option<&'a Stmt>,
    name: String,
}

/// The migration of the test at `index`, if it can be done exactly.
pub(crate) fn migrate(a: &Analysis, index: usize, fixtures_module: Option<&str>) -> Option<Action> {
    let test = a.file.tests.get(index)?;
    let script = a.scripts.get(index)?.as_ref()?;
    if test.script.status != ScriptStatus::Known || test.options.use_pytest_fixtures || !script.scope.test_functions.is_empty() {
        return None;
    }
    let map = &test.script.map;
    let text = &test.script.text;
    // One indented string of this file, no hole over a line end.
    if map.segments().iter().any(|s| s.file != FileId::Nix || (s.kind == SegmentKind::Hole && text[s.py].contains('\n'))) {
        return None;
    }
    let value = &a.source[test.script.value_range];
    if !value.trim_start().starts_with("''") && !value.contains(": ''") {
        return None;
    }
    let body = &script.parsed.syntax().body;
    let mut roles: Vec<Role> = body.iter().map(|s| role(s, test)).collect();
    // A constant computed from what an action assigned runs in order too.
    let mut assigned_by_actions: HashSet<String> = HashSet::new();
    for (s, r) in body.iter().zip(roles.iter_mut()) {
        let n = names_of(std::slice::from_ref(s));
        let definition = matches!(s, Stmt::FunctionDef(_) | Stmt::ClassDef(_) | Stmt::Import(_) | Stmt::ImportFrom(_));
        if *r == Role::Keep && !definition && n.loads.iter().any(|l| assigned_by_actions.contains(l)) {
            *r = Role::Action;
        }
        if matches!(r, Role::Action | Role::Subtest(_)) {
            assigned_by_actions.extend(n.stores);
        }
    }
    let has_subtests = roles.iter().any(|r| matches!(r, Role::Subtest(_)));
    // Group: a subtest alone, consecutive actions together.
    let mut taken: HashSet<String> = script.scope.module.keys().cloned().collect();
    let mut groups: Vec<Group<'_>> = Vec::new();
    let mut last_subtest: Option<String> = None;
    let mut drops: Vec<&Stmt> = Vec::new();
    for (s, r) in body.iter().zip(&roles) {
        match r {
            Role::Keep => {}
            Role::Drop => drops.push(s),
            Role::Subtest(words) => {
                let name = test_name(words, &mut taken);
                last_subtest = Some(name.clone());
                let Stmt::With(w) = s else { return None };
                groups.push(Group { stmts: w.body.iter().collect(), with: Some(s), name });
            }
            Role::Action => {
                let continues = groups.last().is_some_and(|g| g.with.is_none() && is_next(body, g.stmts.last().copied(), s, &roles));
                if continues {
                    if let Some(g) = groups.last_mut() {
                        g.stmts.push(s);
                    }
                } else {
                    let words = match (&last_subtest, has_subtests) {
                        (_, false) => "main".to_string(),
                        (None, true) => "start".to_string(),
                        (Some(prev), true) => format!("after {}", prev.trim_start_matches("test_")),
                    };
                    groups.push(Group { stmts: vec![s], with: None, name: test_name(&words, &mut taken) });
                }
            }
        }
    }
    if groups.is_empty() {
        return None;
    }
    let strings: Vec<TextRange> = script
        .parsed
        .tokens()
        .iter()
        .filter(|t| matches!(t.kind(), TokenKind::String | TokenKind::FStringMiddle | TokenKind::TStringMiddle))
        .map(|t| t.range())
        .filter(|r| text[*r].contains('\n'))
        .collect();
    let mut edits: Vec<Edit> = Vec::new();
    let nix_at = |py: TextSize| map.to_source_offset(py).filter(|(f, _)| *f == FileId::Nix).map(|(_, o)| o);
    let line_start = |py: TextSize| TextSize::try_from(text[..usize::from(py)].rfind('\n').map_or(0, |i| i + 1)).unwrap_or_default();
    let next_line = |py: TextSize| {
        TextSize::try_from(text[usize::from(py)..].find('\n').map_or(text.len(), |i| usize::from(py) + i + 1)).unwrap_or_default()
    };
    let insert = |at: TextSize, new_text: String| Edit { range: SourceRange { file: FileId::Nix, range: TextRange::empty(at) }, new_text };
    // The Nix indentation of the script's lines (what the dedent strips).
    let first = body.first()?;
    let nix_first = nix_at(first.start())?;
    let indent = &a.source[a.source[..usize::from(nix_first)].rfind('\n').map_or(0, |i| i + 1)..usize::from(nix_first)];
    if !indent.chars().all(|c| c == ' ') {
        return None;
    }
    for g in &groups {
        let own = names_of(&g.stmts.iter().map(|s| (*s).clone()).collect::<Vec<_>>());
        let params: Vec<&str> = test
            .nodes
            .iter()
            .map(|n| n.py_name.as_str())
            .chain(test.machine_alias().map(|_| "machine"))
            .filter(|n| own.loads.contains(*n))
            .collect();
        let elsewhere: HashSet<String> = body
            .iter()
            .filter(|s| !g.stmts.iter().any(|o| std::ptr::eq(*o, *s)) && !g.with.is_some_and(|w| std::ptr::eq(w, *s)))
            .flat_map(|s| names_of(std::slice::from_ref(s)).loads)
            .collect();
        let mut shared: Vec<&String> = own.stores.iter().filter(|n| elsewhere.contains(*n)).collect();
        shared.sort();
        let header = format!("def {}({}):", g.name, params.join(", "));
        match g.with {
            Some(with) => {
                // Replace `with subtest("…"):` by the header; the body stays.
                let start = nix_at(with.start())?;
                let body_start = g.stmts.first()?.start();
                let (body_line, body_nix) = (nix_at(line_start(body_start))?, nix_at(body_start)?);
                // The body's own indentation, beyond the string's.
                let extra = &a.source[usize::from(body_line)..usize::from(body_nix)];
                let mut new_text = format!("{header}\n{indent}{extra}");
                if !shared.is_empty() {
                    let list = shared.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
                    new_text.push_str(&format!("global {list}\n{indent}{extra}"));
                }
                edits.push(Edit { range: SourceRange { file: FileId::Nix, range: TextRange::new(start, body_nix) }, new_text });
            }
            None => {
                let first = g.stmts.first()?;
                let mut new_text = format!("{header}\n{indent}");
                if !shared.is_empty() {
                    new_text
                        .push_str(&format!("    global {}\n{indent}", shared.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")));
                }
                // Each line of the group one level deeper.
                let from = line_start(first.start());
                let to = g.stmts.last()?.end();
                let mut at = from;
                let mut first_line = true;
                while at < to {
                    let line = &text[usize::from(at)..usize::from(next_line(at)).min(text.len())];
                    // A line inside a multi-line string is its text: untouched,
                    // up to the line of its closing quotes (spaces before
                    // them would end up in the string).
                    let in_string = strings.iter().any(|r| r.start() < at && at <= r.end());
                    if !line.trim().is_empty() && !in_string {
                        let nix = nix_at(at)?;
                        if first_line {
                            edits.push(insert(nix, format!("{new_text}    ")));
                            first_line = false;
                        } else {
                            edits.push(insert(nix, "    ".to_string()));
                        }
                    }
                    at = next_line(at);
                }
            }
        }
    }
    for d in drops {
        // The whole Nix line goes (the statement must be alone on it), and
        // the blank lines after it when nothing but blank lines precedes it.
        let (py_start, mut py_end) = (line_start(d.start()), next_line(d.end()));
        if text[usize::from(py_start)..usize::from(py_end)].trim() != &text[d.range()] {
            continue;
        }
        if text[..usize::from(py_start)].trim().is_empty() {
            while usize::from(py_end) < text.len() && text[usize::from(py_end)..usize::from(next_line(py_end))].trim().is_empty() {
                py_end = next_line(py_end);
            }
        }
        let start = nix_at(d.start())?;
        let start = TextSize::try_from(a.source[..usize::from(start)].rfind('\n').map_or(0, |i| i + 1)).ok()?;
        let end = if usize::from(py_end) < text.len() {
            let at = nix_at(py_end)?;
            TextSize::try_from(a.source[..usize::from(at)].rfind('\n').map_or(0, |i| i + 1)).ok()?
        } else {
            nix_at(d.end())?
        };
        edits
            .push(Edit { range: SourceRange { file: FileId::Nix, range: TextRange::new(start, end.max(start)) }, new_text: String::new() });
    }
    // The Nix side: the option, and the module that declares it.
    let key_line = TextSize::try_from(a.source[..usize::from(test.script_key.start())].rfind('\n').map_or(0, |i| i + 1)).ok()?;
    let key_indent: String =
        a.source[usize::from(key_line)..usize::from(test.script_key.start())].chars().take_while(|c| *c == ' ').collect();
    let mut nix_lines = format!("{key_indent}usePytestFixtures = true;\n");
    let module = fixtures_module.map(|m| module_expr(m, &a.path));
    if let Some(m) = &module {
        match existing_imports(a, test, &key_indent) {
            Some(at) => edits.push(insert(at, format!(" {m}"))),
            None => nix_lines.insert_str(0, &format!("{key_indent}imports = [ {m} ];\n")),
        }
    }
    edits.push(insert(key_line, nix_lines));
    let mut names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
    names.truncate(4);
    let more = if groups.len() > 4 { ", …" } else { "" };
    let title = match module {
        Some(_) => format!("Migrate this test to fixture mode ({}{more})", names.join(", ")),
        None => format!(
            "Migrate this test to fixture mode ({}{more}); then import the module that declares `usePytestFixtures` (`nixos-test-tools.nixosTestModules.fixtures`, or set `fixtures-module` in nixos-test-lint.toml to have it added)",
            names.join(", ")
        ),
    };
    edits.sort_by_key(|e| (e.range.range.start(), e.range.range.end()));
    Some(Action { title, kind: ActionKind::Refactor, edits, diagnostic: None })
}

/// Whether `next` directly follows `prev` among the module's statements
/// with only kept definitions between them (which may stay inside).
fn is_next(body: &[Stmt], prev: Option<&Stmt>, next: &Stmt, roles: &[Role]) -> bool {
    let Some(prev) = prev else { return false };
    let (Some(i), Some(j)) = (body.iter().position(|s| std::ptr::eq(s, prev)), body.iter().position(|s| std::ptr::eq(s, next))) else {
        return false;
    };
    j == i + 1 && roles.get(i).is_some_and(|r| *r == Role::Action)
}

/// The position after `imports = [` of the test's own attrset, if it has one.
fn existing_imports(a: &Analysis, test: &TestDef, key_indent: &str) -> Option<TextSize> {
    let set = &a.source[test.range];
    let needle = format!("\n{key_indent}imports = [");
    let at = set.find(&needle)? + needle.len();
    TextSize::try_from(usize::from(test.range.start()) + at).ok()
}

/// The configured module as a Nix expression in the test file: an absolute
/// path becomes relative to the test's directory (Nix paths need `./`).
fn module_expr(module: &str, test_path: &str) -> String {
    let path = std::path::Path::new(module);
    if !path.is_absolute() {
        return module.to_string();
    }
    let from = std::path::Path::new(test_path).parent().unwrap_or(std::path::Path::new("/"));
    let (mut f, mut t) = (from.components().peekable(), path.components().peekable());
    while let (Some(a), Some(b)) = (f.peek(), t.peek()) {
        if a != b {
            break;
        }
        f.next();
        t.next();
    }
    let ups = f.count();
    let rest: Vec<String> = t.map(|c| c.as_os_str().to_string_lossy().to_string()).collect();
    let mut rel = if ups == 0 { ".".to_string() } else { vec![".."; ups].join("/") };
    for r in rest {
        rel.push('/');
        rel.push_str(&r);
    }
    rel
}
