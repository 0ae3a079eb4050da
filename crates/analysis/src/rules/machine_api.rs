//! The Machine API (`NT2xx`): members by node type and generation, call
//! arity, keywords and literal argument types against the driver API table,
//! members of what methods return, and unpacking single values.

use ruff_python_ast::{self as ast, Expr, Number};
use ruff_text_size::{Ranged, TextRange};
use std::collections::HashSet;

use super::checker::Checker;
use super::{PyFix, Rule, declare_rules};
use crate::driver_api::{Class, Generation, Member, MemberKind, ParamKind, Ty, deprecated_param};
use crate::nix::Node;
use crate::python::MachineTy;
use crate::python::ty::{Binding, machine_class};
use crate::suggest::suggest;

declare_rules! {
    /// ## What it does
    /// Reports a method or attribute that a machine does not have in the selected driver generation, with the closest existing name; also through aliases (`m = server`), loops over node lists, parameters (annotated, or passed machines by every call), functions returning machines, on machine lists (`machines.succeed`), and on what driver methods return (`server.succeed(...)` is a `str`). When the test's nodes are not all known, a name used as a machine and defined nowhere is presumed a node, and findings on it are warnings.
    ///
    /// ## Why is this bad?
    /// It is an `AttributeError` at run time, after the VMs booted.
    ///
    /// ## Example
    /// ```python
    /// alice.wait_for_unti("network-online.target")
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// alice.wait_for_unit("network-online.target")
    /// ```
    UnknownMachineAttribute = "NT201", "unknown-machine-attribute", Error;

    /// ## What it does
    /// Reports a QEMU-only method (`screenshot`, `forward_port`, `send_monitor_command`, ...) called on a `containers.<name>` node.
    ///
    /// ## Why is this bad?
    /// Containers are `NspawnMachine` objects: they have no display, monitor or user-mode NIC.
    ///
    /// ## Example
    /// ```python
    /// db.screenshot("db")   # db is containers.db
    /// ```
    ///
    /// ## Use instead
    /// Use a `nodes.<name>` VM for display tests, or drop the call.
    VmOnlyOnContainer = "NT202", "vm-only-on-container", Error;

    /// ## What it does
    /// Reports a driver call with too many positional arguments, a missing required argument, or an argument given twice.
    ///
    /// ## Why is this bad?
    /// It is a `TypeError` at run time.
    ///
    /// ## Example
    /// ```python
    /// machine.wait_for_unit()
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// machine.wait_for_unit("sshd.service")
    /// ```
    WrongArity = "NT203", "wrong-arity", Error;

    /// ## What it does
    /// Reports a keyword argument that the driver method does not take, with the closest parameter name.
    ///
    /// ## Why is this bad?
    /// It is a `TypeError` at run time.
    ///
    /// ## Example
    /// ```python
    /// bob.wait_for_open_port(22, adress="127.0.0.1")
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// bob.wait_for_open_port(22, addr="127.0.0.1")
    /// ```
    UnknownKeyword = "NT204", "unknown-keyword", Error;

    /// ## What it does
    /// Reports a literal argument whose type does not match the driver's signature (a number where a command string is expected, a string where a port number is).
    ///
    /// ## Why is this bad?
    /// The build's type check (mypy or ty) rejects it, or it fails at run time.
    ///
    /// ## Example
    /// ```python
    /// alice.succeed(42)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// alice.succeed("42")
    /// ```
    ArgumentType = "NT205", "argument-type", Error;

    /// ## What it does
    /// Reports unpacking the result of a driver method that returns one value, e.g. `rc, out = server.succeed(...)`: `succeed` returns the command's output (`str`), not `(status, output)`.
    ///
    /// ## Why is this bad?
    /// At run time it raises `ValueError` (too many values to unpack) unless the output happens to have exactly as many characters as there are names; neither ty nor pyflakes reports it.
    ///
    /// ## Example
    /// ```python
    /// rc, out = server.succeed("systemctl is-active sshd")
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// rc, out = server.execute("systemctl is-active sshd")
    /// ```
    SingleValueUnpacked = "NT206", "single-value-unpacked", Error;
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

impl Checker<'_> {
    pub(super) fn check_attribute(
        &mut self,
        receiver: &str,
        ty: MachineTy,
        node: Option<&Node>,
        attr: &ast::Identifier,
    ) -> Option<&'static Member> {
        let name = attr.id.as_str();
        if let Some(m) = self.machine_member(ty, name) {
            self.deprecated_method(m, attr);
            return Some(m);
        }
        if ty == MachineTy::Nspawn && self.api.member(Class::Qemu, name, self.g).is_some() {
            let what = match node {
                Some(n) => format!("`{receiver}` is a container (`containers.{}`)", n.name),
                None => format!("`{receiver}` is a container"),
            };
            self.push(
                Rule::VmOnlyOnContainer,
                attr.range,
                format!("`{name}` needs a VM: {what}, and containers have no display, monitor or QEMU NIC"),
                None,
            );
            return None;
        }
        // `alice.` being typed: the parser's recovery gives an empty name,
        // and the syntax error already says what is wrong.
        if name.is_empty() {
            return None;
        }
        let class_name = machine_class(ty).python_name(self.g);
        if let Some(other) = self.api.member_anywhere(name).find(|m| !m.available_in(self.g)) {
            let gens: Vec<&str> = Generation::ALL.iter().filter(|g| other.available_in(**g)).map(|g| g.label()).collect();
            self.push(
                Rule::UnknownMachineAttribute,
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
            t => self.api.machine_members(machine_class(t), self.g).iter().map(|m| m.name.as_str()).collect(),
        };
        let (msg, fix) = match suggest(name, members) {
            Some(s) => (format!("`{class_name}` has no attribute `{name}`; did you mean `{s}`?"), Some(PyFix::replace(attr.range, s))),
            None => (format!("`{class_name}` has no attribute `{name}`"), None),
        };
        self.push(Rule::UnknownMachineAttribute, attr.range, msg, fix);
        None
    }

    pub(super) fn check_call(&mut self, member: &Member, call: &ast::ExprCall, callee: TextRange) {
        // The newest `sleep(secs=None, duration=None)` takes both as
        // optional, but needs one of them.
        if member.name == "sleep" && member.class != Class::Global && call.arguments.is_empty() {
            let msg = "`sleep()` needs a duration: `sleep(duration=timedelta(seconds=...))`".to_string();
            self.push(Rule::WrongArity, callee, msg, None);
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
                    Rule::WrongArity,
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
                        self.push(Rule::WrongArity, kw.range, format!("`{name}()` got multiple values for `{kname}`"), None);
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
                            (format!("`{name}()` has no parameter `{kname}`; did you mean `{s}`?"), Some(PyFix::replace(arg.range, s)))
                        }
                        None => (format!("`{name}()` has no parameter `{kname}`"), None),
                    };
                    self.push(Rule::UnknownKeyword, arg.range, msg, fix);
                }
            }
        }
        if !splat {
            for p in member.params.iter().filter(|p| p.required()) {
                if !given.contains(p.name.as_str()) {
                    self.push(
                        Rule::WrongArity,
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
                self.push(Rule::DeprecatedParameter, expr.range(), msg.to_string(), fix);
                continue;
            }
            let Some(kind) = literal_kind(expr) else { continue };
            match verdict(param.ty, param.optional, kind) {
                ArgVerdict::Ok => {}
                ArgVerdict::Wrong => self.push(
                    Rule::ArgumentType,
                    expr.range(),
                    format!("`{name}()` expects `{}` for `{}`, got {kind}", param.annotation, param.name),
                    None,
                ),
                ArgVerdict::BareDuration => {
                    let fix = self.timedelta_fix(expr);
                    self.push(
                        Rule::NumericDuration,
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

    /// `server.succeed("x")` as a value: what it is (for messages) and the
    /// type the table gives its result.
    pub(super) fn method_result(&self, expr: &Expr) -> Option<(String, &'static str)> {
        let Expr::Call(c) = expr else { return None };
        let Expr::Attribute(a) = &*c.func else { return None };
        let Expr::Name(recv) = &*a.value else { return None };
        let Binding::Machine(ty, _) = self.resolve(&recv.id) else { return None };
        let m = self.machine_member(ty, &a.attr.id)?;
        (m.kind == MemberKind::Function && m.signature.contains("->")).then(|| (format!("`{}.{}()`", recv.id, m.name), m.ty.as_str()))
    }

    /// An attribute of what a driver method returned: `out.wait_for_unit`
    /// where `out = server.succeed(...)` is a `str`.
    pub(super) fn check_value_attribute(&mut self, ty: &'static str, what: &str, attr: &ast::Identifier) {
        if builtin_has(ty, &attr.id) == Some(false) {
            let msg = format!("{what} is a `{ty}` (what the driver method returns), which has no attribute `{}`", attr.id);
            self.push(Rule::UnknownMachineAttribute, attr.range, msg, None);
        }
    }

    /// `machines.succeed(...)`: a machine's member on a list of machines.
    pub(super) fn check_list_attribute(&mut self, global: &Member, name: &str, attr: &ast::Identifier) {
        const LIST_METHODS: &[&str] =
            &["append", "clear", "copy", "count", "extend", "index", "insert", "pop", "remove", "reverse", "sort"];
        let is_machine_list = global.kind == MemberKind::Attribute && global.ty.starts_with("list[") && global.value_class.is_some();
        let member = attr.id.as_str();
        if is_machine_list && !LIST_METHODS.contains(&member) && self.machine_member(MachineTy::Any, member).is_some() {
            let msg =
                format!("`{name}` is a list of machines, which has no `{member}`: call it on each (`for m in {name}: m.{member}(...)`)");
            self.push(Rule::UnknownMachineAttribute, attr.range, msg, None);
        }
    }

    /// `rc, out = server.succeed(...)`: unpacking a single return value.
    pub(super) fn check_unpacking(&mut self, assign: &ast::StmtAssign) {
        let [target @ (Expr::Tuple(_) | Expr::List(_))] = assign.targets.as_slice() else { return };
        let Expr::Call(call) = &*assign.value else { return };
        let Expr::Attribute(a) = &*call.func else { return };
        let Expr::Name(recv) = &*a.value else { return };
        let Binding::Machine(ty, _) = self.resolve(&recv.id) else { return };
        let Some(m) = self.machine_member(ty, &a.attr.id) else { return };
        if m.kind == MemberKind::Function && matches!(m.ty.as_str(), "str" | "None" | "int" | "bool" | "float") {
            let hint = if m.name == "succeed" { ": `execute` returns `(status, output)`" } else { "" };
            let msg = format!("`{}.{}()` returns one `{}`, which cannot be unpacked{hint}", recv.id, m.name, m.ty);
            self.push(Rule::SingleValueUnpacked, target.range(), msg, None);
        }
    }
}
