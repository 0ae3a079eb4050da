//! Deprecated API (`NT4xx`): the implicit `machine` alias, deprecated
//! methods and parameters, bare-number durations, and their fixes.

use ruff_python_ast::{self as ast, Expr};
use ruff_text_size::{Ranged, TextRange};

use super::checker::Checker;
use super::{PyFix, Rule, declare_rules};
use crate::driver_api::{Generation, Member};
use crate::python::ty::Binding;

declare_rules! {
    /// ## What it does
    /// Reports uses of the implicit `machine` alias when no node is called `machine`.
    ///
    /// ## Why is this bad?
    /// The driver adds `machine` only when there is exactly one machine in total; newer drivers deprecate it (removal announced for NixOS 27.05), and with a container beside the VM it does not exist at run time at all.
    ///
    /// ## Example
    /// ```python
    /// machine.wait_for_unit("sshd.service")   # the node is nodes.server
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// server.wait_for_unit("sshd.service")
    /// ```
    ImplicitMachineAlias = "NT401", "implicit-machine-alias", Warning;

    /// ## What it does
    /// Reports driver methods that the selected generation deprecates: `copy_from_vm` (use `copy_from_machine`), `shell_interact` (use the SSH backdoor).
    ///
    /// ## Why is this bad?
    /// Deprecated methods warn on every run and will be removed.
    ///
    /// ## Example
    /// ```python
    /// server.copy_from_vm("/etc/ssh/sshd_config")
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// server.copy_from_machine("/etc/ssh/sshd_config")
    /// ```
    DeprecatedMethod = "NT402", "deprecated-method", Warning;

    /// ## What it does
    /// Reports a bare number of seconds passed where the newest driver expects a `datetime.timedelta` (`timeout=`, `delay=`, ...).
    ///
    /// ## Why is this bad?
    /// Since nixpkgs #542374 every duration takes a `timedelta`; bare numbers still work but warn, and are ambiguous (seconds? tries?).
    ///
    /// ## Example
    /// ```python
    /// server.wait_for_unit("sshd.service", timeout=30)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// from datetime import timedelta
    /// server.wait_for_unit("sshd.service", timeout=timedelta(seconds=30))
    /// ```
    NumericDuration = "NT403", "numeric-duration", Warning;

    /// ## What it does
    /// Reports deprecated parameters: `retry(timeout_seconds=)` (use `timeout=timedelta(...)`), `sleep(secs)` (use `duration=timedelta(...)`).
    ///
    /// ## Why is this bad?
    /// They warn on every run and will be removed.
    ///
    /// ## Example
    /// ```python
    /// retry(check, timeout_seconds=5)
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// retry(check, timeout=timedelta(seconds=5))
    /// ```
    DeprecatedParameter = "NT404", "deprecated-parameter", Warning;
}

impl Checker<'_> {
    /// `NT401`: `machine` read where the driver still creates the alias for
    /// the only node, in a generation that deprecates it.
    pub(super) fn implicit_machine_alias(&mut self, n: &ast::ExprName) {
        if let (Some(node), Binding::Machine(..)) = (self.alias, self.resolve("machine"))
            && self.g >= Generation::Newest
            && self.locals.iter().all(|l| !l.contains_key("machine"))
            && !self.scope.module.contains_key("machine")
        {
            let msg = format!("the implicit `machine` alias is deprecated; name the node: `{}`", node.py_name);
            self.push(Rule::ImplicitMachineAlias, n.range, msg, Some(PyFix::replace(n.range, &node.py_name)));
        }
    }

    /// `NT402`: a member the generation deprecates, replaced where it has a
    /// successor.
    pub(super) fn deprecated_method(&mut self, m: &Member, attr: &ast::Identifier) {
        if let Some(dep) = m.deprecated_in(self.g) {
            let fix = dep.replacement.map(|r| PyFix { title: format!("Use `{r}`"), edits: vec![(attr.range, r.to_string())] });
            self.push(Rule::DeprecatedMethod, attr.range, dep.message.to_string(), fix);
        }
    }

    /// `timeout_seconds=5` → `timeout=timedelta(seconds=5)`, `sleep(5)` →
    /// `sleep(duration=timedelta(seconds=5))`: for number literals, when the
    /// `timedelta` is imported or the import is added.
    pub(super) fn deprecated_param_fix(&self, call: &ast::ExprCall, param: &str, expr: &Expr) -> Option<PyFix> {
        if !matches!(expr, Expr::NumberLiteral(_)) {
            return None;
        }
        let timedelta = self.timedelta_fix(expr)?;
        let (value, import) = timedelta.edits.split_first()?;
        let new_name = match param {
            "timeout_seconds" => "timeout",
            "secs" => "duration",
            _ => return None,
        };
        let range = match call.arguments.keywords.iter().find(|k| k.arg.as_ref().is_some_and(|a| a.id.as_str() == param)) {
            Some(kw) => kw.range,
            None => expr.range(),
        };
        let new = format!("{new_name}={}", value.1);
        Some(PyFix { title: format!("Use `{new}`"), edits: std::iter::once((range, new)).chain(import.iter().cloned()).collect() })
    }

    /// `30` → `timedelta(seconds=30)`, adding `from datetime import
    /// timedelta` where the script imports neither it nor `datetime`.
    pub(super) fn timedelta_fix(&self, expr: &Expr) -> Option<PyFix> {
        let number = &self.text[expr.range()];
        let (ctor, import) = if self.scope.module.contains_key("timedelta") {
            ("timedelta", None)
        } else if self.scope.module.contains_key("datetime") {
            ("datetime.timedelta", None)
        } else {
            ("timedelta", Some((TextRange::empty(self.imports_at), "from datetime import timedelta\n".to_string())))
        };
        let new = format!("{ctor}(seconds={number})");
        let title = if import.is_some() { format!("Use `{new}` (and import `timedelta`)") } else { format!("Use `{new}`") };
        Some(PyFix { title, edits: std::iter::once((expr.range(), new)).chain(import).collect() })
    }
}
