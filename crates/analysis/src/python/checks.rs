//! Our checks on the script: machine methods and attributes by node type,
//! call arity, keywords and literal argument types against the driver API
//! table, fixture parameters, duplicate tests, and deprecated API.

use ruff_python_ast::visitor::{Visitor, walk_expr, walk_stmt};
use ruff_python_ast::{self as ast, Expr, ExprContext, Number, Stmt};
use ruff_text_size::{Ranged, TextRange};
use std::collections::{HashMap, HashSet};

use super::scope::{MachineTy, ScriptScope, machine_ty_of_node};
use super::{DRIVER_FIXTURES, PYTEST_FIXTURES, is_vlan_name};
use crate::driver_api::{Class, DriverApi, Generation, Member, MemberKind, ParamKind, Ty, deprecated_param};
use crate::nix::{Node, NodeKind, TestDef};
use crate::suggest::suggest;

/// A fix in Python offsets: its title and edits.
pub type PyFix = (String, Vec<(TextRange, String)>);

/// The fix that puts `new` in place of the text at `range`.
pub fn replace_with(range: TextRange, new: &str) -> PyFix {
    (format!("Replace with `{new}`"), vec![(range, new.to_string())])
}

/// A finding in Python offsets, before mapping to Nix.
#[derive(Debug, Clone)]
pub struct PyFinding {
    pub code: &'static str,
    pub message: String,
    pub range: TextRange,
    pub fix: Option<PyFix>,
    /// About a receiver only inferred to be a machine (the test's nodes are
    /// not all known): likely, not certain, so reported as a warning.
    pub likely: bool,
}

/// What a name refers to where it is used.
#[derive(Clone, Copy)]
enum Resolved<'a> {
    Machine(MachineTy, Option<&'a Node>),
    Global(&'a Member),
    /// What a driver method returned (`out = server.succeed(...)`).
    Value(&'static str),
    Other,
}

/// Attributes of the values driver methods return, for `server.succeed(...).x`.
const STR_ATTRIBUTES: &[&str] = &[
    "capitalize",
    "casefold",
    "center",
    "count",
    "encode",
    "endswith",
    "expandtabs",
    "find",
    "format",
    "format_map",
    "index",
    "isalnum",
    "isalpha",
    "isascii",
    "isdecimal",
    "isdigit",
    "isidentifier",
    "islower",
    "isnumeric",
    "isprintable",
    "isspace",
    "istitle",
    "isupper",
    "join",
    "ljust",
    "lower",
    "lstrip",
    "maketrans",
    "partition",
    "removeprefix",
    "removesuffix",
    "replace",
    "rfind",
    "rindex",
    "rjust",
    "rpartition",
    "rsplit",
    "rstrip",
    "split",
    "splitlines",
    "startswith",
    "strip",
    "swapcase",
    "title",
    "translate",
    "upper",
    "zfill",
];

/// Whether a value of the table's type `ty` has attribute `attr`; `None`
/// for types not modelled here.
fn builtin_has(ty: &str, attr: &str) -> Option<bool> {
    if attr.starts_with("__") {
        return Some(true);
    }
    match ty {
        "str" => Some(STR_ATTRIBUTES.contains(&attr)),
        "tuple[int, str]" => Some(matches!(attr, "count" | "index")),
        "None" => Some(false),
        _ => None,
    }
}

struct Checker<'a> {
    test: &'a TestDef,
    scope: &'a ScriptScope,
    g: Generation,
    api: &'static DriverApi,
    /// The node `machine` stands for when the driver creates the alias.
    alias: Option<&'a Node>,
    /// Function scopes: local names, with a machine type when known.
    locals: Vec<HashMap<String, Option<MachineTy>>>,
    out: Vec<PyFinding>,
    text: &'a str,
    /// The receiver being checked is only inferred to be a machine.
    likely: bool,
}

/// Runs every `NT2xx`-`NT4xx` check and the fixture checks on one script.
pub fn check(module: &ast::ModModule, text: &str, test: &TestDef, scope: &ScriptScope, g: Generation) -> Vec<PyFinding> {
    let api = DriverApi::get();
    let alias = if test.node("machine").is_none() && test.nodes.len() == 1 { test.nodes.first() } else { None };
    let mut c = Checker { test, scope, g, api, alias, locals: Vec::new(), out: Vec::new(), text, likely: false };
    let mut loads = LoadedNames::default();
    for stmt in &module.body {
        loads.visit_stmt(stmt);
    }
    c.fixtures(&loads.names);
    for stmt in &module.body {
        c.visit_stmt(stmt);
    }
    c.out
}

fn literal_kind(expr: &Expr) -> Option<&'static str> {
    Some(match expr {
        Expr::StringLiteral(_) | Expr::FString(_) | Expr::TString(_) => "a string",
        Expr::BytesLiteral(_) => "bytes",
        Expr::NumberLiteral(n) => match n.value {
            Number::Int(_) => "an int",
            Number::Float(_) => "a float",
            Number::Complex { .. } => "a complex number",
        },
        Expr::BooleanLiteral(_) => "a bool",
        Expr::NoneLiteral(_) => "None",
        Expr::List(_) | Expr::ListComp(_) => "a list",
        Expr::Dict(_) | Expr::DictComp(_) => "a dict",
        Expr::Tuple(_) => "a tuple",
        Expr::Set(_) | Expr::SetComp(_) => "a set",
        Expr::UnaryOp(u) => return literal_kind(&u.operand).filter(|k| matches!(*k, "an int" | "a float")),
        _ => return None,
    })
}

/// What a literal of `kind` is for a parameter of type `ty`: fine, a type
/// error, or a deprecated bare duration.
enum ArgVerdict {
    Ok,
    Wrong,
    BareDuration,
}

fn verdict(ty: Ty, optional: bool, kind: &str) -> ArgVerdict {
    use ArgVerdict::*;
    if kind == "None" {
        return if optional || ty == Ty::Any { Ok } else { Wrong };
    }
    let numeric = matches!(kind, "an int" | "a float" | "a bool");
    match ty {
        Ty::Any | Ty::Dict | Ty::List => Ok,
        Ty::Str => {
            if kind == "a string" {
                Ok
            } else {
                Wrong
            }
        }
        Ty::Int | Ty::Float => {
            if numeric {
                Ok
            } else {
                Wrong
            }
        }
        Ty::Bool => {
            if numeric {
                Ok
            } else {
                Wrong
            }
        }
        Ty::Duration => {
            if numeric {
                BareDuration
            } else {
                Wrong
            }
        }
        Ty::Timedelta | Ty::Callable => Wrong,
    }
}

impl<'a> Checker<'a> {
    fn push(&mut self, code: &'static str, range: TextRange, message: String, fix: Option<PyFix>) {
        self.out.push(PyFinding { code, message, range, fix, likely: self.likely });
    }

    fn resolve(&self, name: &str) -> Resolved<'a> {
        for scope in self.locals.iter().rev() {
            if let Some(ty) = scope.get(name) {
                return match ty {
                    Some(t) => Resolved::Machine(*t, self.test.node(name)),
                    None => Resolved::Other,
                };
            }
        }
        if let Some(ty) = self.scope.module.get(name) {
            return match (ty, self.scope.values.get(name)) {
                (Some(t), _) => Resolved::Machine(*t, None),
                (None, Some(Some(v))) => Resolved::Value(v),
                (None, _) => Resolved::Other,
            };
        }
        if let Some(node) = self.test.node(name) {
            return Resolved::Machine(machine_ty_of_node(node.kind), Some(node));
        }
        if name == "machine"
            && let Some(node) = self.alias
        {
            return Resolved::Machine(machine_ty_of_node(node.kind), Some(node));
        }
        match self.api.global(name, self.g) {
            Some(m) => Resolved::Global(m),
            None if self.scope.inferred_machines.contains_key(name) => Resolved::Machine(MachineTy::Any, None),
            None => Resolved::Other,
        }
    }

    fn class_of(ty: MachineTy) -> Class {
        match ty {
            MachineTy::Qemu => Class::Qemu,
            MachineTy::Nspawn => Class::Nspawn,
            MachineTy::Any => Class::Base,
        }
    }

    /// The member `attr` of a machine of type `ty`; for `Any` either kind's.
    fn machine_member(&self, ty: MachineTy, attr: &str) -> Option<&'static Member> {
        match ty {
            MachineTy::Any => self.api.member(Class::Qemu, attr, self.g).or_else(|| self.api.member(Class::Nspawn, attr, self.g)),
            t => self.api.member(Self::class_of(t), attr, self.g),
        }
    }

    fn check_attribute(&mut self, receiver: &str, ty: MachineTy, node: Option<&Node>, attr: &ast::Identifier) -> Option<&'static Member> {
        let name = attr.id.as_str();
        if let Some(m) = self.machine_member(ty, name) {
            if let Some(dep) = m.deprecated_in(self.g) {
                let fix = dep.replacement.map(|r| (format!("Use `{r}`"), vec![(attr.range, r.to_string())]));
                self.push("NT402", attr.range, dep.message.to_string(), fix);
            }
            return Some(m);
        }
        if ty == MachineTy::Nspawn && self.api.member(Class::Qemu, name, self.g).is_some() {
            let what = match node {
                Some(n) => format!("`{receiver}` is a container (`containers.{}`)", n.name),
                None => format!("`{receiver}` is a container"),
            };
            self.push(
                "NT202",
                attr.range,
                format!("`{name}` needs a VM: {what}, and containers have no display, monitor or QEMU NIC"),
                None,
            );
            return None;
        }
        let class_name = Self::class_of(ty).python_name(self.g);
        if let Some(other) = self.api.member_anywhere(name).find(|m| !m.available_in(self.g)) {
            let gens: Vec<&str> = Generation::ALL.iter().filter(|g| other.available_in(**g)).map(|g| g.label()).collect();
            self.push(
                "NT201",
                attr.range,
                format!("`{name}` is not in the {} driver's `{class_name}` (it exists in: {})", self.g.label(), gens.join(", ")),
                None,
            );
            return None;
        }
        let members: Vec<&str> = match ty {
            MachineTy::Any => {
                let mut v: Vec<&str> = self.api.machine_members(Class::Qemu, self.g).iter().map(|m| m.name.as_str()).collect();
                v.extend(self.api.machine_members(Class::Nspawn, self.g).iter().map(|m| m.name.as_str()));
                v
            }
            t => self.api.machine_members(Self::class_of(t), self.g).iter().map(|m| m.name.as_str()).collect(),
        };
        let (msg, fix) = match suggest(name, members) {
            Some(s) => (format!("`{class_name}` has no attribute `{name}`; did you mean `{s}`?"), Some(replace_with(attr.range, s))),
            None => (format!("`{class_name}` has no attribute `{name}`"), None),
        };
        self.push("NT201", attr.range, msg, fix);
        None
    }

    fn check_call(&mut self, member: &Member, call: &ast::ExprCall, callee: TextRange) {
        // The newest `sleep(secs=None, duration=None)` takes both as
        // optional, but needs one of them.
        if member.name == "sleep" && member.class != Class::Global && call.arguments.is_empty() {
            let msg = "`sleep()` needs a duration: `sleep(duration=timedelta(seconds=...))`".to_string();
            self.push("NT203", callee, msg, None);
        }
        if member.kind != MemberKind::Function || member.signature.contains("*args: Any, **kwargs") {
            return;
        }
        let name = &member.name;
        let args = &call.arguments.args;
        let splat = args.iter().any(|a| matches!(a, Expr::Starred(_))) || call.arguments.keywords.iter().any(|k| k.arg.is_none());
        let positional: Vec<_> = member.params.iter().filter(|p| p.kind == ParamKind::Positional).collect();
        let varargs = member.params.iter().find(|p| p.kind == ParamKind::VarArgs);
        let var_kw = member.params.iter().any(|p| p.kind == ParamKind::VarKeywords);
        let mut bound: Vec<(&crate::driver_api::Param, &Expr)> = Vec::new();
        let mut given: HashSet<&str> = HashSet::new();
        for (i, arg) in args.iter().enumerate() {
            if matches!(arg, Expr::Starred(_)) {
                break;
            }
            if let Some(p) = positional.get(i) {
                bound.push((p, arg));
                given.insert(p.name.as_str());
            } else if let Some(v) = varargs {
                bound.push((v, arg));
            } else {
                self.push(
                    "NT203",
                    arg.range(),
                    format!(
                        "`{name}()` takes at most {} positional argument{} ({} given)",
                        positional.len(),
                        if positional.len() == 1 { "" } else { "s" },
                        args.len()
                    ),
                    None,
                );
                break;
            }
        }
        for kw in &call.arguments.keywords {
            let Some(arg) = &kw.arg else { continue };
            let kname = arg.id.as_str();
            match member.params.iter().find(|p| p.name == kname && matches!(p.kind, ParamKind::Positional | ParamKind::KeywordOnly)) {
                Some(p) => {
                    if !given.insert(p.name.as_str()) {
                        self.push("NT203", kw.range, format!("`{name}()` got multiple values for `{kname}`"), None);
                    }
                    bound.push((p, &kw.value));
                }
                None if var_kw => {}
                None => {
                    let names = member
                        .params
                        .iter()
                        .filter(|p| matches!(p.kind, ParamKind::Positional | ParamKind::KeywordOnly))
                        .map(|p| p.name.as_str());
                    let (msg, fix) = match suggest(kname, names) {
                        Some(s) => {
                            (format!("`{name}()` has no parameter `{kname}`; did you mean `{s}`?"), Some(replace_with(arg.range, s)))
                        }
                        None => (format!("`{name}()` has no parameter `{kname}`"), None),
                    };
                    self.push("NT204", arg.range, msg, fix);
                }
            }
        }
        if !splat {
            for p in member.params.iter().filter(|p| p.required()) {
                if !given.contains(p.name.as_str()) {
                    self.push(
                        "NT203",
                        callee,
                        format!("`{name}()` is missing the required argument `{}` ({})", p.name, p.annotation),
                        None,
                    );
                }
            }
        }
        for (param, expr) in bound {
            if let Some(msg) = deprecated_param(member, &param.name, self.g) {
                let fix = self.deprecated_param_fix(call, &param.name, expr);
                self.push("NT404", expr.range(), msg.to_string(), fix);
                continue;
            }
            let Some(kind) = literal_kind(expr) else { continue };
            match verdict(param.ty, param.optional, kind) {
                ArgVerdict::Ok => {}
                ArgVerdict::Wrong => self.push(
                    "NT205",
                    expr.range(),
                    format!("`{name}()` expects `{}` for `{}`, got {kind}", param.annotation, param.name),
                    None,
                ),
                ArgVerdict::BareDuration => {
                    let fix = self.timedelta_fix(expr);
                    self.push(
                        "NT403",
                        expr.range(),
                        format!(
                            "`{}` takes a `timedelta` in the {} driver; a bare number of seconds is deprecated",
                            param.name,
                            self.g.label()
                        ),
                        fix,
                    );
                }
            }
        }
    }

    /// `timeout_seconds=5` → `timeout=timedelta(seconds=5)`, `sleep(5)` →
    /// `sleep(duration=timedelta(seconds=5))`: for number literals, when the
    /// script already imports `timedelta`.
    fn deprecated_param_fix(&self, call: &ast::ExprCall, param: &str, expr: &Expr) -> Option<PyFix> {
        if !matches!(expr, Expr::NumberLiteral(_)) {
            return None;
        }
        let (_, edits) = self.timedelta_fix(expr)?;
        let value = &edits.first()?.1;
        let new_name = match param {
            "timeout_seconds" => "timeout",
            "secs" => "duration",
            _ => return None,
        };
        let range = match call.arguments.keywords.iter().find(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == param)) {
            Some(kw) => kw.range,
            None => expr.range(),
        };
        let new = format!("{new_name}={value}");
        Some((format!("Use `{new}`"), vec![(range, new)]))
    }

    /// `30` → `timedelta(seconds=30)`, when the script already imports it.
    fn timedelta_fix(&self, expr: &Expr) -> Option<PyFix> {
        let number = &self.text[expr.range()];
        let ctor = if self.scope.module.contains_key("timedelta") {
            "timedelta"
        } else if self.scope.module.contains_key("datetime") {
            "datetime.timedelta"
        } else {
            return None;
        };
        let new = format!("{ctor}(seconds={number})");
        Some((format!("Use `{new}`"), vec![(expr.range(), new)]))
    }

    /// `NT301` and `NT302`. Without `usePytestFixtures`, a `test_` function
    /// that the script calls itself, or that a foreign decorator wraps, is a
    /// plain helper of a legacy script, and its parameters are its own.
    fn fixtures(&mut self, called: &HashSet<String>) {
        let test = self.test;
        let scope = self.scope;
        let mut seen: HashMap<&str, TextRange> = HashMap::new();
        for f in &scope.test_functions {
            if seen.insert(f.name.as_str(), f.name_range).is_some() {
                self.push("NT302", f.name_range, format!("test function `{}` is defined again; the earlier one never runs", f.name), None);
            }
            let helper = f.foreign_decorator || called.contains(&f.name);
            if helper && !test.options.use_pytest_fixtures {
                continue;
            }
            for (param, range) in &f.params {
                let p = param.as_str();
                let known = test.node(p).is_some()
                    || DRIVER_FIXTURES.contains(&p)
                    || PYTEST_FIXTURES.contains(&p)
                    || is_vlan_name(p)
                    || f.parametrized.iter().any(|x| x == p)
                    || scope.fixtures.iter().any(|x| x == p)
                    || (p == "machine" && self.alias.is_some());
                if known || test.nodes_open.is_some() {
                    continue;
                }
                let nodes = test.nodes.iter().map(|n| n.py_name.as_str());
                let (msg, fix) = match suggest(p, nodes) {
                    Some(s) => (format!("fixture `{p}` of `{}` names no node; did you mean `{s}`?", f.name), Some(replace_with(*range, s))),
                    None => {
                        let all: Vec<&str> = test.nodes.iter().map(|n| n.py_name.as_str()).collect();
                        (format!("fixture `{p}` of `{}` names no node (nodes: {})", f.name, all.join(", ")), None)
                    }
                };
                self.push("NT301", *range, msg, fix);
            }
        }
    }

    /// `server.succeed("x")` as a value: what it is (for messages) and the
    /// type the table gives its result.
    fn method_result(&self, expr: &Expr) -> Option<(String, &'static str)> {
        let Expr::Call(c) = expr else { return None };
        let Expr::Attribute(a) = &*c.func else { return None };
        let Expr::Name(recv) = &*a.value else { return None };
        let Resolved::Machine(ty, _) = self.resolve(&recv.id) else { return None };
        let m = self.machine_member(ty, &a.attr.id)?;
        (m.kind == MemberKind::Function && m.signature.contains("->")).then(|| (format!("`{}.{}()`", recv.id, m.name), m.ty.as_str()))
    }

    /// An attribute of what a driver method returned: `out.wait_for_unit`
    /// where `out = server.succeed(...)` is a `str`.
    fn check_value_attribute(&mut self, ty: &'static str, what: &str, attr: &ast::Identifier) {
        if builtin_has(ty, &attr.id) == Some(false) {
            let msg = format!("{what} is a `{ty}` (what the driver method returns), which has no attribute `{}`", attr.id);
            self.push("NT201", attr.range, msg, None);
        }
    }

    /// `machines.succeed(...)`: a machine's member on a list of machines.
    fn check_list_attribute(&mut self, global: &Member, name: &str, attr: &ast::Identifier) {
        const LIST_METHODS: &[&str] =
            &["append", "clear", "copy", "count", "extend", "index", "insert", "pop", "remove", "reverse", "sort"];
        let is_machine_list = global.kind == MemberKind::Attribute && global.ty.starts_with("list[") && global.value_class.is_some();
        let member = attr.id.as_str();
        if is_machine_list && !LIST_METHODS.contains(&member) && self.machine_member(MachineTy::Any, member).is_some() {
            let msg =
                format!("`{name}` is a list of machines, which has no `{member}`: call it on each (`for m in {name}: m.{member}(...)`)");
            self.push("NT201", attr.range, msg, None);
        }
    }

    /// `rc, out = server.succeed(...)`: unpacking a single return value.
    fn check_unpacking(&mut self, assign: &ast::StmtAssign) {
        let [target @ (Expr::Tuple(_) | Expr::List(_))] = assign.targets.as_slice() else { return };
        let Expr::Call(call) = &*assign.value else { return };
        let Expr::Attribute(a) = &*call.func else { return };
        let Expr::Name(recv) = &*a.value else { return };
        let Resolved::Machine(ty, _) = self.resolve(&recv.id) else { return };
        let Some(m) = self.machine_member(ty, &a.attr.id) else { return };
        if m.kind == MemberKind::Function && matches!(m.ty.as_str(), "str" | "None" | "int" | "bool" | "float") {
            let hint = if m.name == "succeed" { ": `execute` returns `(status, output)`" } else { "" };
            let msg = format!("`{}.{}()` returns one `{}`, which cannot be unpacked{hint}", recv.id, m.name, m.ty);
            self.push("NT206", target.range(), msg, None);
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
        for (name, ty) in super::scope::local_bindings(body, self.test, self.g).module {
            let merged = match locals.get(&name) {
                Some(existing) if *existing != ty => None,
                _ => ty,
            };
            locals.insert(name, merged);
        }
        let mut store = StoreNames::default();
        for s in body {
            store.visit_stmt(s);
        }
        for n in store.names {
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
                let is_test = self.locals.is_empty() && f.name.id.starts_with("test");
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
            Expr::Name(n) if n.ctx == ExprContext::Load && n.id.as_str() == "machine" => {
                if let (Some(node), Resolved::Machine(..)) = (self.alias, self.resolve("machine"))
                    && self.g >= Generation::Newest
                    && self.locals.iter().all(|l| !l.contains_key("machine"))
                    && !self.scope.module.contains_key("machine")
                {
                    self.push(
                        "NT401",
                        n.range,
                        format!("the implicit `machine` alias is deprecated; name the node: `{}`", node.py_name),
                        Some(replace_with(n.range, &node.py_name)),
                    );
                }
            }
            Expr::Attribute(a) => {
                if let Expr::Name(recv) = &*a.value {
                    match self.resolve(&recv.id) {
                        Resolved::Machine(ty, node) => {
                            self.visit_expr(&a.value);
                            self.likely = node.is_none() && self.scope.inferred_machines.contains_key(recv.id.as_str());
                            self.check_attribute(&recv.id, ty, node, &a.attr);
                            self.likely = false;
                            return;
                        }
                        Resolved::Global(list) => self.check_list_attribute(list, &recv.id, &a.attr),
                        Resolved::Value(ty) => self.check_value_attribute(ty, &format!("`{}`", recv.id), &a.attr),
                        Resolved::Other => {}
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
                            Resolved::Machine(ty, node) => {
                                self.visit_expr(&a.value);
                                self.likely = node.is_none() && self.scope.inferred_machines.contains_key(recv.id.as_str());
                                self.check_attribute(&recv.id, ty, node, &a.attr).map(|m| (m, a.attr.range))
                            }
                            Resolved::Global(list) => {
                                self.check_list_attribute(list, &recv.id, &a.attr);
                                None
                            }
                            Resolved::Value(ty) => {
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
                            Resolved::Global(m) => Some((m, n.range)),
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

/// Nodes whose names cannot or should not be Python globals (`NT102`-`NT104`).
pub fn node_name_findings(test: &TestDef, g: Generation) -> Vec<(&'static str, &Node, String)> {
    let api = DriverApi::get();
    let mut out = Vec::new();
    for node in &test.nodes {
        let py = node.py_name.as_str();
        if super::KEYWORDS.contains(&py) {
            out.push(("NT102", node, format!("node name `{py}` is a Python keyword: the script cannot refer to it")));
        } else if api.global(py, g).is_some() {
            out.push(("NT103", node, format!("node `{py}` hides the driver global `{py}`")));
        } else if super::BUILTINS.contains(&py) {
            out.push(("NT103", node, format!("node `{py}` hides the Python builtin `{py}`")));
        }
        if let Some(other) =
            test.nodes.iter().find(|o| o.py_name == node.py_name && o.name != node.name && o.name_range.start() < node.name_range.start())
        {
            let kind = if node.kind == NodeKind::Container { "container" } else { "node" };
            out.push((
                "NT104",
                node,
                format!("{kind} `{}` and `{}` are both `{py}` in Python; only one is reachable", other.name, node.name),
            ));
        }
    }
    out
}
