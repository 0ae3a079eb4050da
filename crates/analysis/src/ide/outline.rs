//! Document symbols (tests, nodes, test functions, subtests) and folding
//! ranges (test attrsets, scripts, Python blocks).

use ruff_python_ast::visitor::{Visitor, walk_stmt};
use ruff_python_ast::{Expr, Stmt};
use ruff_text_size::{Ranged, TextRange};
use serde::Serialize;

use crate::Analysis;
use crate::nix::NodeKind;
use crate::source_map::{FileId, SourceMap};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum SymbolKind {
    Test,
    Vm,
    Container,
    Function,
    Subtest,
}

#[derive(Debug, Clone, Serialize)]
pub struct Symbol {
    pub name: String,
    pub kind: SymbolKind,
    pub range: TextRange,
    pub focus: TextRange,
    pub children: Vec<Symbol>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Fold {
    pub range: TextRange,
}

fn nix(map: &SourceMap, r: TextRange) -> Option<TextRange> {
    map.to_source(r).filter(|s| s.file == FileId::Nix).map(|s| s.range)
}

/// `with subtest("...")` blocks and `def test_` functions, nested.
struct Outline<'a> {
    map: &'a SourceMap,
    stack: Vec<Vec<Symbol>>,
    folds: Vec<Fold>,
}

impl<'b> Visitor<'b> for Outline<'_> {
    fn visit_stmt(&mut self, stmt: &'b Stmt) {
        let (name, kind, focus) = match stmt {
            Stmt::FunctionDef(f) => (f.name.id.to_string(), SymbolKind::Function, f.name.range),
            Stmt::With(w) => match w.items.first().map(|i| &i.context_expr) {
                Some(Expr::Call(c)) if matches!(&*c.func, Expr::Name(n) if n.id.as_str() == "subtest") => {
                    let title = match c.arguments.args.first() {
                        Some(Expr::StringLiteral(s)) => s.value.to_str().to_string(),
                        _ => "subtest".into(),
                    };
                    (title, SymbolKind::Subtest, c.range())
                }
                _ => return walk_stmt(self, stmt),
            },
            Stmt::If(_) | Stmt::For(_) | Stmt::While(_) | Stmt::Try(_) | Stmt::ClassDef(_) => {
                if let Some(r) = nix(self.map, stmt.range()) {
                    self.folds.push(Fold { range: r });
                }
                return walk_stmt(self, stmt);
            }
            _ => return,
        };
        let (Some(range), Some(focus)) = (nix(self.map, stmt.range()), nix(self.map, focus)) else { return walk_stmt(self, stmt) };
        self.folds.push(Fold { range });
        self.stack.push(Vec::new());
        walk_stmt(self, stmt);
        let children = self.stack.pop().unwrap_or_default();
        if let Some(top) = self.stack.last_mut() {
            top.push(Symbol { name, kind, range, focus, children });
        }
    }
}

fn outline(a: &Analysis, i: usize) -> (Vec<Symbol>, Vec<Fold>) {
    let Some(Some(script)) = a.scripts.get(i) else { return (Vec::new(), Vec::new()) };
    let mut o = Outline { map: &a.file.tests[i].script.map, stack: vec![Vec::new()], folds: Vec::new() };
    for s in &script.parsed.syntax().body {
        o.visit_stmt(s);
    }
    (o.stack.pop().unwrap_or_default(), o.folds)
}

pub fn symbols(a: &Analysis) -> Vec<Symbol> {
    a.file
        .tests
        .iter()
        .enumerate()
        .map(|(i, t)| {
            let mut children: Vec<Symbol> = t
                .nodes
                .iter()
                .map(|n| Symbol {
                    name: n.py_name.clone(),
                    kind: if n.kind == NodeKind::Vm { SymbolKind::Vm } else { SymbolKind::Container },
                    range: n.def_range,
                    focus: n.name_range,
                    children: Vec::new(),
                })
                .collect();
            children.extend(outline(a, i).0);
            Symbol { name: t.label().to_string(), kind: SymbolKind::Test, range: t.range, focus: t.script_key, children }
        })
        .collect()
}

pub fn folding_ranges(a: &Analysis) -> Vec<Fold> {
    let mut out = Vec::new();
    for (i, t) in a.file.tests.iter().enumerate() {
        out.push(Fold { range: t.range });
        out.push(Fold { range: t.script.value_range });
        out.extend(outline(a, i).1);
    }
    out
}
