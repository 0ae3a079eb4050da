//! What names in the script refer to, flow-insensitively: module-level
//! bindings with a little type inference (`m = create_machine(...)`,
//! `for m in machines:`), test functions and their fixture parameters.

use std::collections::{HashMap, HashSet};

use ruff_python_ast::visitor::{Visitor, walk_expr, walk_stmt};
use ruff_python_ast::{self as ast, Expr, ExprContext, Stmt};
use ruff_text_size::TextRange;

use crate::driver_api::{Class, DriverApi, Generation, MemberKind};
use crate::nix::{NodeKind, TestDef};

/// The static type of a machine-valued name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MachineTy {
    Qemu,
    Nspawn,
    /// Some machine: VM or container.
    Any,
}

pub fn machine_ty_of_node(kind: NodeKind) -> MachineTy {
    match kind {
        NodeKind::Vm => MachineTy::Qemu,
        NodeKind::Container => MachineTy::Nspawn,
    }
}

#[derive(Debug, Clone)]
pub struct TestFunction {
    pub name: String,
    pub name_range: TextRange,
    pub def_range: TextRange,
    /// Parameter names and ranges.
    pub params: Vec<(String, TextRange)>,
    /// Names given values by `@pytest.mark.parametrize`.
    pub parametrized: Vec<String>,
    /// Wrapped by a decorator that is not pytest's, which may change what
    /// the parameters mean.
    pub foreign_decorator: bool,
}

/// Names bound at module level, and what we know of them.
#[derive(Debug, Default)]
pub struct ScriptScope {
    /// Every name bound at module level; `Some` type if it is a machine.
    pub module: HashMap<String, Option<MachineTy>>,
    pub test_functions: Vec<TestFunction>,
    /// Module-level functions decorated as pytest fixtures.
    pub fixtures: Vec<String>,
    /// Module-level functions whose every `return` gives a machine.
    pub returns: HashMap<String, MachineTy>,
    /// Parameters (function, position) that every call in the script
    /// passes a machine: `None` where calls disagree or pass something else.
    pub params: HashMap<(String, usize), Option<MachineTy>>,
    /// Names bound to what a driver method returns (`out = m.succeed(...)`):
    /// the return type as the table writes it (`str`, `tuple[int, str]`,
    /// `None`); `None` where bindings disagree.
    pub values: HashMap<String, Option<&'static str>>,
    /// When the test's nodes are not all known: names the script neither
    /// binds nor knows, used as receivers of Machine methods (`machine` of
    /// a module that adds it). Presumed machines, of unknown kind.
    /// With the number of uses of each.
    pub inferred_machines: HashMap<String, usize>,
    /// Every name the script reads anywhere (a `test_` function the script
    /// calls itself is a helper of a legacy script).
    pub loaded: HashSet<String>,
}

impl ScriptScope {
    /// Whether `f` is a test the runner runs on its own: in fixture mode
    /// every `test_` function; in a legacy script not one the script calls
    /// itself or a foreign decorator wraps (those are its helpers, and
    /// running one alone would pretend to run part of the script).
    pub fn is_runnable(&self, f: &TestFunction, test: &TestDef) -> bool {
        test.options.use_pytest_fixtures || !(f.foreign_decorator || self.loaded.contains(&f.name))
    }

    pub fn build(module: &ast::ModModule, test: &TestDef, g: Generation) -> ScriptScope {
        let mut scope = ScriptScope::default();
        let mut loads = LoadedNames::default();
        for stmt in &module.body {
            loads.visit_stmt(stmt);
        }
        scope.loaded = loads.names;
        let any_container = test.nodes.iter().any(|n| n.kind == NodeKind::Container);
        scope.returns = function_returns(&module.body, test);
        collect(&module.body, &mut scope, test, any_container, g);
        if test.nodes_open.is_some() {
            scope.inferred_machines = inferred_machines(module, &scope, test, g);
            if !scope.inferred_machines.is_empty() {
                // Again, now that presumed nodes are known as machines.
                scope.module.clear();
                scope.values.clear();
                collect(&module.body, &mut scope, test, any_container, g);
            }
        }
        scope.params = call_site_params(module, &scope, test);
        for stmt in &module.body {
            if let Stmt::FunctionDef(f) = stmt {
                let decorated_fixture = f.decorator_list.iter().any(|d| expr_text_contains(&d.expression, "fixture"));
                if decorated_fixture {
                    scope.fixtures.push(f.name.id.to_string());
                }
                if super::is_test_function(&f.name.id) && !decorated_fixture {
                    let p = &f.parameters;
                    let params = p
                        .posonlyargs
                        .iter()
                        .chain(&p.args)
                        .chain(&p.kwonlyargs)
                        .map(|a| (a.parameter.name.id.to_string(), a.parameter.name.range))
                        .collect();
                    let parametrized = f.decorator_list.iter().flat_map(|d| parametrize_names(&d.expression)).collect();
                    let foreign_decorator = f.decorator_list.iter().any(|d| !is_pytest_expr(&d.expression));
                    scope.test_functions.push(TestFunction {
                        name: f.name.id.to_string(),
                        name_range: f.name.range,
                        def_range: f.range,
                        params,
                        parametrized,
                        foreign_decorator,
                    });
                }
            }
        }
        scope
    }
}

fn expr_text_contains(expr: &Expr, word: &str) -> bool {
    match expr {
        Expr::Name(n) => n.id.contains(word),
        Expr::Attribute(a) => a.attr.id.contains(word) || expr_text_contains(&a.value, word),
        Expr::Call(c) => expr_text_contains(&c.func, word),
        _ => false,
    }
}

/// `pytest.mark.x`, `pytest.mark.x(...)`.
fn is_pytest_expr(expr: &Expr) -> bool {
    match expr {
        Expr::Name(n) => n.id.as_str() == "pytest",
        Expr::Attribute(a) => is_pytest_expr(&a.value),
        Expr::Call(c) => is_pytest_expr(&c.func),
        _ => false,
    }
}

/// `@pytest.mark.parametrize("a, b", ...)` → `["a", "b"]`.
fn parametrize_names(expr: &Expr) -> Vec<String> {
    let Expr::Call(call) = expr else { return Vec::new() };
    if !expr_text_contains(&call.func, "parametrize") {
        return Vec::new();
    }
    match call.arguments.args.first() {
        Some(Expr::StringLiteral(s)) => s.value.to_str().split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect(),
        Some(Expr::List(ast::ExprList { elts, .. }) | Expr::Tuple(ast::ExprTuple { elts, .. })) => elts
            .iter()
            .filter_map(|e| match e {
                Expr::StringLiteral(s) => Some(s.value.to_str().to_string()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The machine type of an iterable, for `for m in <iter>:`.
fn iter_elem_ty(iter: &Expr, scope: &ScriptScope, test: &TestDef, any_container: bool) -> Option<MachineTy> {
    match iter {
        Expr::Name(n) => match n.id.as_str() {
            "machines" => Some(if any_container { MachineTy::Any } else { MachineTy::Qemu }),
            "machines_qemu" => Some(MachineTy::Qemu),
            "machines_nspawn" => Some(MachineTy::Nspawn),
            _ => None,
        },
        Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
            let tys: Vec<Option<MachineTy>> = elts
                .iter()
                .map(|e| match e {
                    Expr::Name(_) => value_ty(e, scope, test),
                    _ => None,
                })
                .collect();
            if tys.is_empty() || tys.iter().any(Option::is_none) {
                return None;
            }
            let first = tys[0];
            Some(if tys.iter().all(|t| *t == first) { first? } else { MachineTy::Any })
        }
        _ => None,
    }
}

/// The machine type of an expression: a node, a name bound to a machine,
/// `create_machine(...)`, a call of a script function returning machines.
pub(crate) fn value_ty(value: &Expr, scope: &ScriptScope, test: &TestDef) -> Option<MachineTy> {
    match value {
        Expr::Call(c) => match &*c.func {
            Expr::Name(n) if n.id.as_str() == "create_machine" => Some(MachineTy::Qemu),
            Expr::Name(n) => scope.returns.get(n.id.as_str()).copied(),
            _ => None,
        },
        Expr::Name(n) => match scope.module.get(n.id.as_str()) {
            Some(ty) => *ty,
            None => test
                .node(&n.id)
                .map(|node| machine_ty_of_node(node.kind))
                .or_else(|| scope.inferred_machines.contains_key(n.id.as_str()).then_some(MachineTy::Any)),
        },
        _ => None,
    }
}

/// What a driver method call returns, if it is one on a machine
/// (`server.succeed(...)` → `str`).
fn method_return(value: &Expr, scope: &ScriptScope, test: &TestDef, g: Generation) -> Option<&'static str> {
    let Expr::Call(c) = value else { return None };
    let Expr::Attribute(a) = &*c.func else { return None };
    let ty = value_ty(&a.value, scope, test)?;
    let api = DriverApi::get();
    let member = match ty {
        MachineTy::Qemu => api.member(Class::Qemu, &a.attr.id, g),
        MachineTy::Nspawn => api.member(Class::Nspawn, &a.attr.id, g),
        MachineTy::Any => api.member(Class::Qemu, &a.attr.id, g).or_else(|| api.member(Class::Nspawn, &a.attr.id, g)),
    }?;
    (member.kind == MemberKind::Function && member.signature.contains("->")).then_some(member.ty.as_str())
}

/// Names used as `name.<Machine method>` that nothing in the script binds
/// and that are no node, driver global or builtin.
fn inferred_machines(module: &ast::ModModule, scope: &ScriptScope, test: &TestDef, g: Generation) -> HashMap<String, usize> {
    use ruff_python_ast::visitor::{Visitor, walk_expr, walk_stmt};
    struct Receivers<'a> {
        api: &'a DriverApi,
        g: Generation,
        out: HashMap<String, usize>,
        bound: std::collections::HashSet<String>,
    }
    impl<'b> Visitor<'b> for Receivers<'_> {
        fn visit_stmt(&mut self, stmt: &'b Stmt) {
            // Anything bound anywhere (functions included) is not a node.
            if let Stmt::FunctionDef(f) = stmt {
                self.bound.insert(f.name.id.to_string());
                for p in f.parameters.iter() {
                    self.bound.insert(p.name().id.to_string());
                }
            }
            walk_stmt(self, stmt);
        }
        fn visit_expr(&mut self, expr: &'b Expr) {
            match expr {
                Expr::Name(n) if n.ctx == ast::ExprContext::Store => {
                    self.bound.insert(n.id.to_string());
                }
                Expr::Attribute(a) => {
                    if let Expr::Name(n) = &*a.value
                        && (self.api.member(Class::Qemu, &a.attr.id, self.g).is_some()
                            || self.api.member(Class::Nspawn, &a.attr.id, self.g).is_some())
                    {
                        *self.out.entry(n.id.to_string()).or_default() += 1;
                    }
                }
                _ => {}
            }
            walk_expr(self, expr);
        }
    }
    let api = DriverApi::get();
    let mut r = Receivers { api, g, out: Default::default(), bound: Default::default() };
    for stmt in &module.body {
        r.visit_stmt(stmt);
    }
    r.out
        .into_iter()
        .filter(|(n, _)| {
            !r.bound.contains(n)
                && !scope.module.contains_key(n)
                && test.node(n).is_none()
                && api.global(n, g).is_none()
                && !super::is_python_builtin(n)
        })
        .collect()
}

/// Script functions whose every `return` gives a machine of one type.
fn function_returns(body: &[Stmt], test: &TestDef) -> HashMap<String, MachineTy> {
    fn returns<'a>(body: &'a [Stmt], out: &mut Vec<Option<&'a Expr>>) {
        for stmt in body {
            match stmt {
                Stmt::Return(r) => out.push(r.value.as_deref()),
                Stmt::If(i) => {
                    returns(&i.body, out);
                    for c in &i.elif_else_clauses {
                        returns(&c.body, out);
                    }
                }
                Stmt::For(f) => returns(&f.body, out),
                Stmt::While(w) => returns(&w.body, out),
                Stmt::With(w) => returns(&w.body, out),
                Stmt::Try(t) => {
                    returns(&t.body, out);
                    returns(&t.finalbody, out);
                }
                _ => {}
            }
        }
    }
    let empty = ScriptScope::default();
    let mut out = HashMap::new();
    for stmt in body {
        let Stmt::FunctionDef(f) = stmt else { continue };
        let mut values = Vec::new();
        returns(&f.body, &mut values);
        let tys: Option<Vec<MachineTy>> = values.iter().map(|v| v.and_then(|v| value_ty(v, &empty, test))).collect();
        if let Some(tys) = tys.filter(|t| !t.is_empty()) {
            let first = tys[0];
            out.insert(f.name.id.to_string(), if tys.iter().all(|t| *t == first) { first } else { MachineTy::Any });
        }
    }
    out
}

/// For each module-level function, the machine type every call passes at
/// each position (`None` when one call passes something else). Calls are
/// looked for where helpers are called: as statements and as the value of
/// an assignment, in every block; a walk of every expression would cost a
/// millisecond per keystroke on a big test.
fn call_site_params(module: &ast::ModModule, scope: &ScriptScope, test: &TestDef) -> HashMap<(String, usize), Option<MachineTy>> {
    fn record(expr: &Expr, functions: &[&str], scope: &ScriptScope, test: &TestDef, out: &mut HashMap<(String, usize), Option<MachineTy>>) {
        let Expr::Call(c) = expr else { return };
        let Expr::Name(n) = &*c.func else { return };
        if !functions.contains(&n.id.as_str()) {
            return;
        }
        for (i, arg) in c.arguments.args.iter().enumerate() {
            let ty = value_ty(arg, scope, test);
            let slot = out.entry((n.id.to_string(), i)).or_insert(ty);
            if *slot != ty {
                *slot = match (*slot, ty) {
                    (Some(_), Some(_)) => Some(MachineTy::Any),
                    _ => None,
                };
            }
        }
    }
    fn walk(body: &[Stmt], functions: &[&str], scope: &ScriptScope, test: &TestDef, out: &mut HashMap<(String, usize), Option<MachineTy>>) {
        for stmt in body {
            match stmt {
                Stmt::Expr(e) => record(&e.value, functions, scope, test, out),
                Stmt::Assign(a) => record(&a.value, functions, scope, test, out),
                Stmt::Return(r) => {
                    if let Some(v) = &r.value {
                        record(v, functions, scope, test, out);
                    }
                }
                Stmt::FunctionDef(f) => walk(&f.body, functions, scope, test, out),
                Stmt::If(i) => {
                    walk(&i.body, functions, scope, test, out);
                    for c in &i.elif_else_clauses {
                        walk(&c.body, functions, scope, test, out);
                    }
                }
                Stmt::For(f) => walk(&f.body, functions, scope, test, out),
                Stmt::While(w) => walk(&w.body, functions, scope, test, out),
                Stmt::With(w) => walk(&w.body, functions, scope, test, out),
                Stmt::Try(t) => {
                    walk(&t.body, functions, scope, test, out);
                    for h in &t.handlers {
                        let ast::ExceptHandler::ExceptHandler(h) = h;
                        walk(&h.body, functions, scope, test, out);
                    }
                    walk(&t.orelse, functions, scope, test, out);
                    walk(&t.finalbody, functions, scope, test, out);
                }
                _ => {}
            }
        }
    }
    // Only helpers with a parameter no annotation types are of interest.
    let functions: Vec<&str> = module
        .body
        .iter()
        .filter_map(|s| match s {
            Stmt::FunctionDef(f) if f.parameters.iter().any(|p| p.annotation().is_none()) => Some(f.name.id.as_str()),
            _ => None,
        })
        .collect();
    let mut out = HashMap::new();
    if !functions.is_empty() {
        walk(&module.body, &functions, scope, test, &mut out);
    }
    out
}

fn bind_value(name: &str, ty: Option<&'static str>, scope: &mut ScriptScope) {
    let entry = scope.values.entry(name.to_string()).or_insert(ty);
    if *entry != ty {
        *entry = None;
    }
}

fn bind_target(target: &Expr, ty: Option<MachineTy>, scope: &mut ScriptScope) {
    match target {
        Expr::Name(n) => {
            let entry = scope.module.entry(n.id.to_string()).or_insert(ty);
            if *entry != ty {
                *entry = None;
            }
        }
        Expr::Tuple(ast::ExprTuple { elts, .. }) | Expr::List(ast::ExprList { elts, .. }) => {
            for e in elts {
                bind_target(e, None, scope);
            }
        }
        Expr::Starred(s) => bind_target(&s.value, None, scope),
        _ => {}
    }
}

/// Every function of the script (nested ones too) with the names it binds
/// (parameters and locals): "did you mean" candidates inside it.
pub fn function_locals(module: &ast::ModModule, test: &TestDef) -> Vec<(TextRange, Vec<String>)> {
    fn walk(body: &[Stmt], test: &TestDef, out: &mut Vec<(TextRange, Vec<String>)>) {
        let g = Generation::Newest;
        for stmt in body {
            match stmt {
                Stmt::FunctionDef(f) => {
                    let mut names: Vec<String> = f.parameters.iter().map(|p| p.name().id.to_string()).collect();
                    names.extend(local_bindings(&f.body, test, g).module.into_keys());
                    out.push((f.range, names));
                    walk(&f.body, test, out);
                }
                Stmt::ClassDef(c) => walk(&c.body, test, out),
                Stmt::If(i) => {
                    walk(&i.body, test, out);
                    for c in &i.elif_else_clauses {
                        walk(&c.body, test, out);
                    }
                }
                Stmt::For(f) => walk(&f.body, test, out),
                Stmt::While(w) => walk(&w.body, test, out),
                Stmt::With(w) => walk(&w.body, test, out),
                Stmt::Try(t) => {
                    walk(&t.body, test, out);
                    for h in &t.handlers {
                        let ast::ExceptHandler::ExceptHandler(h) = h;
                        walk(&h.body, test, out);
                    }
                    walk(&t.orelse, test, out);
                    walk(&t.finalbody, test, out);
                }
                _ => {}
            }
        }
    }
    let mut out = Vec::new();
    walk(&module.body, test, &mut out);
    out
}

/// Names a function body binds, typed as module-level ones are (loops over
/// node lists, `create_machine`): the same rules inside a function.
pub fn local_bindings(body: &[Stmt], test: &TestDef, g: Generation) -> ScriptScope {
    let mut scope = ScriptScope::default();
    let any_container = test.nodes.iter().any(|n| n.kind == NodeKind::Container);
    collect(body, &mut scope, test, any_container, g);
    scope
}

/// Module-level bindings, descending into blocks but not into functions or
/// classes (their bodies have their own scopes).
fn collect(body: &[Stmt], scope: &mut ScriptScope, test: &TestDef, any_container: bool, g: Generation) {
    for stmt in body {
        match stmt {
            Stmt::Assign(a) => {
                let returned = method_return(&a.value, scope, test, g);
                for t in &a.targets {
                    match (t, &*a.value) {
                        // `a, b = server, client`: element by element.
                        (
                            Expr::Tuple(ast::ExprTuple { elts: names, .. }) | Expr::List(ast::ExprList { elts: names, .. }),
                            Expr::Tuple(ast::ExprTuple { elts: values, .. }) | Expr::List(ast::ExprList { elts: values, .. }),
                        ) if names.len() == values.len() => {
                            for (n, v) in names.iter().zip(values) {
                                let ty = value_ty(v, scope, test);
                                bind_target(n, ty, scope);
                            }
                        }
                        _ => {
                            let ty = value_ty(&a.value, scope, test);
                            bind_target(t, ty, scope);
                        }
                    }
                    if let Expr::Name(n) = t {
                        bind_value(&n.id, returned, scope);
                    }
                }
            }
            Stmt::AnnAssign(a) => {
                let ty = a.value.as_deref().and_then(|v| value_ty(v, scope, test));
                bind_target(&a.target, ty, scope);
            }
            Stmt::AugAssign(a) => bind_target(&a.target, None, scope),
            Stmt::For(f) => {
                let ty = iter_elem_ty(&f.iter, scope, test, any_container);
                bind_target(&f.target, ty, scope);
                collect(&f.body, scope, test, any_container, g);
                collect(&f.orelse, scope, test, any_container, g);
            }
            Stmt::While(w) => {
                collect(&w.body, scope, test, any_container, g);
                collect(&w.orelse, scope, test, any_container, g);
            }
            Stmt::If(i) => {
                collect(&i.body, scope, test, any_container, g);
                for c in &i.elif_else_clauses {
                    collect(&c.body, scope, test, any_container, g);
                }
            }
            Stmt::With(w) => {
                for item in &w.items {
                    if let Some(v) = &item.optional_vars {
                        bind_target(v, None, scope);
                    }
                }
                collect(&w.body, scope, test, any_container, g);
            }
            Stmt::Try(t) => {
                collect(&t.body, scope, test, any_container, g);
                for h in &t.handlers {
                    let ast::ExceptHandler::ExceptHandler(h) = h;
                    if let Some(n) = &h.name {
                        scope.module.insert(n.id.to_string(), None);
                    }
                    collect(&h.body, scope, test, any_container, g);
                }
                collect(&t.orelse, scope, test, any_container, g);
                collect(&t.finalbody, scope, test, any_container, g);
            }
            Stmt::FunctionDef(f) => {
                scope.module.insert(f.name.id.to_string(), None);
            }
            Stmt::ClassDef(c) => {
                scope.module.insert(c.name.id.to_string(), None);
            }
            Stmt::Import(i) => {
                for alias in &i.names {
                    let name = alias
                        .asname
                        .as_ref()
                        .map_or_else(|| alias.name.id.split('.').next().unwrap_or_default().to_string(), |a| a.id.to_string());
                    scope.module.insert(name, None);
                }
            }
            Stmt::ImportFrom(i) => {
                for alias in &i.names {
                    let name = alias.asname.as_ref().unwrap_or(&alias.name);
                    scope.module.insert(name.id.to_string(), None);
                }
            }
            Stmt::Match(m) => {
                for case in &m.cases {
                    collect(&case.body, scope, test, any_container, g);
                }
            }
            _ => {}
        }
    }
}

/// Names assigned in a function body (not in nested functions).
#[derive(Default)]
struct StoreNames {
    names: Vec<String>,
}

impl<'b> Visitor<'b> for StoreNames {
    fn visit_stmt(&mut self, stmt: &'b Stmt) {
        match stmt {
            Stmt::FunctionDef(f) => self.names.push(f.name.id.to_string()),
            Stmt::ClassDef(c) => self.names.push(c.name.id.to_string()),
            Stmt::Import(i) => self
                .names
                .extend(i.names.iter().map(|a| a.asname.as_ref().unwrap_or(&a.name).id.split('.').next().unwrap_or_default().to_string())),
            Stmt::ImportFrom(i) => self.names.extend(i.names.iter().map(|a| a.asname.as_ref().unwrap_or(&a.name).id.to_string())),
            Stmt::Global(_) | Stmt::Nonlocal(_) => {}
            _ => walk_stmt(self, stmt),
        }
    }
    fn visit_expr(&mut self, expr: &'b Expr) {
        match expr {
            Expr::Name(n) if n.ctx == ExprContext::Store => self.names.push(n.id.to_string()),
            Expr::Lambda(_) => {}
            _ => walk_expr(self, expr),
        }
    }
}
/// Names a function body binds (assignments, imports, nested `def` and
/// `class`), not those of its nested functions: in Python they are the
/// function's own locals.
pub fn assigned_names(body: &[Stmt]) -> Vec<String> {
    let mut store = StoreNames::default();
    for s in body {
        store.visit_stmt(s);
    }
    store.names
}

/// Every name read anywhere in the script.
#[derive(Default)]
struct LoadedNames {
    names: HashSet<String>,
}

impl<'b> Visitor<'b> for LoadedNames {
    fn visit_expr(&mut self, expr: &'b Expr) {
        if let Expr::Name(n) = expr
            && n.ctx == ExprContext::Load
        {
            self.names.insert(n.id.to_string());
        }
        walk_expr(self, expr);
    }
}
