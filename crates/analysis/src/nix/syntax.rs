//! Small helpers over the `rnix` tree shared by the model and the extractor.

use rnix::ast;
use rowan::ast::AstNode;
use ruff_text_size::TextRange;

use super::strings::{PlainSink, lower_string};

pub fn range_of(node: &impl AstNode) -> TextRange {
    let r = node.syntax().text_range();
    TextRange::new(u32::from(r.start()).into(), u32::from(r.end()).into())
}

/// The static name of an attribute (`a`, `"a-b"`), with its range; `None`
/// for `${...}` names.
pub fn attr_name(source: &str, attr: &ast::Attr) -> Option<(String, TextRange)> {
    match attr {
        ast::Attr::Ident(i) => Some((i.ident_token()?.text().to_string(), range_of(i))),
        ast::Attr::Str(s) => {
            let mut sink = PlainSink::default();
            lower_string(source, s, &mut sink);
            if sink.map.holes().next().is_some() {
                return None;
            }
            Some((sink.text, range_of(s)))
        }
        ast::Attr::Dynamic(d) => match d.expr()? {
            ast::Expr::Str(s) => attr_name(source, &ast::Attr::Str(s)),
            _ => None,
        },
    }
}

/// The names of an attribute path, or `None` if one of them is dynamic.
pub fn attrpath_names(source: &str, path: &ast::Attrpath) -> Option<Vec<(String, TextRange)>> {
    path.attrs().map(|a| attr_name(source, &a)).collect()
}

/// The dotted text of a function expression (`lib.optionalString`), used to
/// recognise well-known functions.
pub fn callee_name(expr: &ast::Expr) -> Option<String> {
    match expr {
        ast::Expr::Ident(i) => Some(i.ident_token()?.text().to_string()),
        ast::Expr::Select(s) => {
            let base = callee_name(&s.expr()?)?;
            let path: Vec<String> = s
                .attrpath()?
                .attrs()
                .map(|a| match a {
                    ast::Attr::Ident(i) => i.ident_token().map(|t| t.text().to_string()),
                    _ => None,
                })
                .collect::<Option<_>>()?;
            Some(format!("{base}.{}", path.join(".")))
        }
        ast::Expr::Paren(p) => callee_name(&p.expr()?),
        _ => None,
    }
}

/// Strips wrappers that do not change a value for our purposes: parentheses,
/// `with`, `assert`, and `lib.mkForce`-style module priorities.
pub fn unwrap(expr: ast::Expr) -> ast::Expr {
    match &expr {
        ast::Expr::Paren(p) => p.expr().map(unwrap).unwrap_or(expr),
        ast::Expr::With(w) => w.body().map(unwrap).unwrap_or(expr),
        ast::Expr::Assert(a) => a.body().map(unwrap).unwrap_or(expr),
        ast::Expr::Apply(app) => {
            let name = app.lambda().as_ref().and_then(callee_name);
            match name.as_deref().map(last_segment) {
                Some("mkForce" | "mkDefault" | "mkBefore" | "mkAfter" | "mkOverride" | "mkOrder" | "mkIf") => {
                    app.argument().map(unwrap).unwrap_or(expr)
                }
                _ => {
                    // `lib.mkOrder 500 x` / `lib.mkIf cond x`: a curried call.
                    if let Some(ast::Expr::Apply(inner)) = app.lambda()
                        && let Some(n) = inner.lambda().as_ref().and_then(callee_name)
                        && matches!(last_segment(&n), "mkOverride" | "mkOrder" | "mkIf")
                    {
                        return app.argument().map(unwrap).unwrap_or(expr);
                    }
                    expr
                }
            }
        }
        _ => expr,
    }
}

pub fn last_segment(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

/// The value bound to `name` by the nearest enclosing `let ... in` (also
/// `inherit (set) name;` there, when `set` is an attrset the file writes).
pub fn resolve_let(source: &str, at: &rnix::SyntaxNode, name: &str) -> Option<ast::Expr> {
    use rnix::ast::HasEntry;
    for anc in at.ancestors() {
        if let Some(let_in) = ast::LetIn::cast(anc) {
            for entry in let_in.attrpath_values() {
                let names = entry.attrpath().and_then(|p| attrpath_names(source, &p))?;
                if names.len() == 1 && names[0].0 == name {
                    return entry.value();
                }
            }
            for inherit in let_in.inherits() {
                let inherited = inherit.attrs().any(|a| attr_name(source, &a).is_some_and(|(n, _)| n == name));
                if !inherited {
                    continue;
                }
                // `inherit (cfg) name;`: `name` of the set `cfg` stands for.
                let from = inherit.from().and_then(|f| f.expr())?;
                let set = match unwrap(from) {
                    ast::Expr::Ident(i) => resolve_let(source, i.syntax(), i.ident_token()?.text())?,
                    other => other,
                };
                if let ast::Expr::AttrSet(set) = unwrap(set) {
                    for entry in set.attrpath_values() {
                        let names = entry.attrpath().and_then(|p| attrpath_names(source, &p))?;
                        if names.len() == 1 && names[0].0 == name {
                            return entry.value();
                        }
                    }
                }
                return None;
            }
        }
    }
    None
}
