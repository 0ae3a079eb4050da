//! The one visitor over a script: it keeps the scopes (what each name
//! refers to where it is used) and hands each node to the rule families
//! that check it, as ruff's `checkers/ast` does.

use ruff_python_ast::visitor::{Visitor, walk_expr, walk_stmt};
use ruff_python_ast::{self as ast, Expr, ExprContext, Stmt};
use ruff_text_size::{Ranged, TextRange, TextSize};
use std::collections::HashMap;

use super::{Certainty, Finding, PyFix, Rule};
use crate::driver_api::{Class, DriverApi, Generation, Member};
use crate::nix::{Node, TestDef};
use crate::python::ty::{Binding, machine_class};
use crate::python::{MachineTy, ScriptScope, machine_ty_of_node};

pub(crate) struct Checker<'a> {
    pub(super) test: &'a TestDef,
    pub(super) scope: &'a ScriptScope,
    pub(super) g: Generation,
    pub(super) api: &'static DriverApi,
    /// The node `machine` stands for when the driver creates the alias.
    pub(super) alias: Option<&'a Node>,
    /// Function scopes: local names, with a machine type when known.
    pub(super) locals: Vec<HashMap<String, Option<MachineTy>>>,
    pub(super) out: Vec<Finding>,
    pub(super) text: &'a str,
    /// The receiver being checked is only inferred to be a machine.
    pub(super) likely: bool,
    /// Where a fix adds an import: before the first statement that is not
    /// the module docstring or a `__future__` import.
    pub(super) imports_at: TextSize,
}

/// Runs every `NT2xx`-`NT4xx` check and the fixture checks on one script.
pub fn check(module: &ast::ModModule, text: &str, test: &TestDef, scope: &ScriptScope, g: Generation) -> Vec<Finding> {
    let api = DriverApi::get();
    let alias = test.machine_alias();
    let imports_at = import_position(module);
    let mut c = Checker { test, scope, g, api, alias, locals: Vec::new(), out: Vec::new(), text, likely: false, imports_at };
    c.fixtures();
    for stmt in &module.body {
        c.visit_stmt(stmt);
    }
    c.out
}
/// Where an added import goes: after the docstring and `__future__`
/// imports, at the start of a line.
fn import_position(module: &ast::ModModule) -> TextSize {
    let docstring = |s: &Stmt| matches!(s, Stmt::Expr(e) if e.value.is_string_literal_expr());
    let future = |s: &Stmt| matches!(s, Stmt::ImportFrom(i) if i.module.as_ref().is_some_and(|m| m.as_str() == "__future__"));
    let mut body = module.body.iter().peekable();
    let mut at = TextSize::default();
    if let Some(s) = body.next_if(|s| docstring(s)) {
        at = s.end();
    }
    while let Some(s) = body.next_if(|s| future(s)) {
        at = s.end();
    }
    match body.next() {
        Some(s) => s.start(),
        None => at,
    }
}

impl<'a> Checker<'a> {
    pub(super) fn push(&mut self, rule: Rule, range: TextRange, message: String, fix: Option<PyFix>) {
        let certainty = if self.likely { Certainty::Likely } else { Certainty::Certain };
        self.out.push(Finding::new(rule, range, message).with_fix(fix).with_certainty(certainty));
    }

    pub(super) fn resolve(&self, name: &str) -> Binding<'a> {
        for scope in self.locals.iter().rev() {
            if let Some(ty) = scope.get(name) {
                return match ty {
                    Some(t) => Binding::Machine(*t, self.test.node(name)),
                    None => Binding::Other,
                };
            }
        }
        self.scope.resolve(self.test, name, self.g)
    }

    /// The member `attr` of a machine of type `ty`; for `Any` either kind's.
    pub(super) fn machine_member(&self, ty: MachineTy, attr: &str) -> Option<&'static Member> {
        match ty {
            MachineTy::Any => self.api.member(Class::Qemu, attr, self.g).or_else(|| self.api.member(Class::Nspawn, attr, self.g)),
            t => self.api.member(machine_class(t), attr, self.g),
        }
    }

    fn function_scope(&self, function: &str, params: &ast::Parameters, body: &[Stmt], is_test: bool) -> HashMap<String, Option<MachineTy>> {
        let mut locals = HashMap::new();
        let positional = params.posonlyargs.iter().chain(&params.args).count();
        for (i, p) in params.iter().enumerate() {
            let name = p.name().id.to_string();
            let ty = if is_test {
                self.test.node(&name).map(|n| machine_ty_of_node(n.kind))
            } else if let Some(annotation) = p.annotation() {
                annotated_machine(annotation)
            } else if i < positional && self.locals.is_empty() {
                // Every call in the script passes a machine here.
                self.scope.params.get(&(function.to_string(), i)).copied().flatten()
            } else {
                None
            };
            locals.insert(name, ty);
        }
        for (name, ty) in crate::python::local_bindings(body, self.test, self.g).module {
            let merged = match locals.get(&name) {
                Some(existing) if *existing != ty => None,
                _ => ty,
            };
            locals.insert(name, merged);
        }
        for n in crate::python::assigned_names(body) {
            locals.entry(n).or_insert(None);
        }
        locals
    }
}
/// The machine type an annotation names (`QemuMachine`, `"Machine"`, ...).
fn annotated_machine(annotation: &Expr) -> Option<MachineTy> {
    let name = match annotation {
        Expr::Name(n) => n.id.to_string(),
        Expr::StringLiteral(s) => s.value.to_str().to_string(),
        Expr::Attribute(a) => a.attr.id.to_string(),
        _ => return None,
    };
    match name.as_str() {
        "QemuMachine" => Some(MachineTy::Qemu),
        "NspawnMachine" => Some(MachineTy::Nspawn),
        "Machine" | "BaseMachine" => Some(MachineTy::Any),
        _ => None,
    }
}

impl<'b> Visitor<'b> for Checker<'_> {
    fn visit_stmt(&mut self, stmt: &'b Stmt) {
        match stmt {
            Stmt::FunctionDef(f) => {
                for d in &f.decorator_list {
                    self.visit_expr(&d.expression);
                }
                for p in f.parameters.iter() {
                    if let Some(default) = p.default() {
                        self.visit_expr(default);
                    }
                }
                let is_test = self.locals.is_empty() && crate::python::is_test_function(&f.name.id);
                let scope = self.function_scope(&f.name.id, &f.parameters, &f.body, is_test);
                self.locals.push(scope);
                for s in &f.body {
                    self.visit_stmt(s);
                }
                self.locals.pop();
            }
            Stmt::Assign(assign) => {
                self.check_unpacking(assign);
                walk_stmt(self, stmt);
            }
            Stmt::ClassDef(c) => {
                self.locals.push(HashMap::new());
                walk_stmt(self, stmt);
                let _ = c;
                self.locals.pop();
            }
            _ => walk_stmt(self, stmt),
        }
    }

    fn visit_expr(&mut self, expr: &'b Expr) {
        match expr {
            Expr::Lambda(l) => {
                let mut scope = HashMap::new();
                if let Some(params) = &l.parameters {
                    for p in params.iter() {
                        scope.insert(p.name().id.to_string(), None);
                    }
                }
                self.locals.push(scope);
                self.visit_expr(&l.body);
                self.locals.pop();
            }
            Expr::Name(n) if n.ctx == ExprContext::Load && n.id.as_str() == "machine" => self.implicit_machine_alias(n),
            Expr::Attribute(a) => {
                if let Expr::Name(recv) = &*a.value {
                    match self.resolve(&recv.id) {
                        Binding::Machine(ty, node) => {
                            self.visit_expr(&a.value);
                            self.likely = node.is_none() && self.scope.inferred_machines.contains_key(recv.id.as_str());
                            self.check_attribute(&recv.id, ty, node, &a.attr);
                            self.likely = false;
                            return;
                        }
                        Binding::Global(list) => self.check_list_attribute(list, &recv.id, &a.attr),
                        Binding::Value(ty) => self.check_value_attribute(ty, &format!("`{}`", recv.id), &a.attr),
                        Binding::Vlan | Binding::Other => {}
                    }
                }
                if let Some((what, ty)) = self.method_result(&a.value) {
                    self.check_value_attribute(ty, &what, &a.attr);
                }
                walk_expr(self, expr);
            }
            Expr::Call(call) => {
                let member = match &*call.func {
                    Expr::Attribute(a) => match &*a.value {
                        Expr::Name(recv) => match self.resolve(&recv.id) {
                            Binding::Machine(ty, node) => {
                                self.visit_expr(&a.value);
                                self.likely = node.is_none() && self.scope.inferred_machines.contains_key(recv.id.as_str());
                                self.check_attribute(&recv.id, ty, node, &a.attr).map(|m| (m, a.attr.range))
                            }
                            Binding::Global(list) => {
                                self.check_list_attribute(list, &recv.id, &a.attr);
                                None
                            }
                            Binding::Value(ty) => {
                                self.check_value_attribute(ty, &format!("`{}`", recv.id), &a.attr);
                                None
                            }
                            _ => {
                                self.visit_expr(&call.func);
                                None
                            }
                        },
                        inner => {
                            if let Some((what, ty)) = self.method_result(inner) {
                                self.check_value_attribute(ty, &what, &a.attr);
                            }
                            self.visit_expr(inner);
                            None
                        }
                    },
                    Expr::Name(n) => {
                        self.visit_expr(&call.func);
                        match self.resolve(&n.id) {
                            Binding::Global(m) => Some((m, n.range)),
                            _ => None,
                        }
                    }
                    other => {
                        self.visit_expr(other);
                        None
                    }
                };
                if let Some((m, callee)) = member {
                    self.check_call(m, call, callee);
                }
                self.likely = false;
                for arg in call.arguments.args.iter() {
                    self.visit_expr(arg);
                }
                for kw in &call.arguments.keywords {
                    self.visit_expr(&kw.value);
                }
            }
            _ => walk_expr(self, expr),
        }
    }
}
