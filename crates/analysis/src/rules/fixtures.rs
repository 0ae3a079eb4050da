//! Fixture mode (`NT3xx`): `test_` parameters that name no node, and test
//! functions defined twice.

use ruff_text_size::TextRange;
use std::collections::HashMap;

use super::checker::Checker;
use super::{PyFix, Rule, declare_rules};
use crate::python::{DRIVER_FIXTURES, PYTEST_FIXTURES, is_vlan_name};
use crate::suggest::suggest;

declare_rules! {
    /// ## What it does
    /// Reports a parameter of a module-level `def test_...(...)` that names no node, no driver fixture (`driver`, `machines`, `vlan1`, ...), no pytest fixture and no `parametrize` argument.
    ///
    /// ## Why is this bad?
    /// In fixture mode every parameter is resolved to the node of that name; an unknown name is a pytest fixture error.
    ///
    /// ## Example
    /// ```python
    /// def test_ping(alice, carol):   # there is no node carol
    ///     ...
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// def test_ping(alice, bob):
    ///     ...
    /// ```
    FixtureNotANode = "NT301", "fixture-not-a-node", Error;

    /// ## What it does
    /// Reports a second module-level `def test_...` with the same name.
    ///
    /// ## Why is this bad?
    /// The second definition replaces the first, which then never runs.
    ///
    /// ## Example
    /// ```python
    /// def test_boot(machine): ...
    /// def test_boot(machine): ...
    /// ```
    ///
    /// ## Use instead
    /// Give each test its own name.
    DuplicateTestFunction = "NT302", "duplicate-test-function", Error;
}

impl Checker<'_> {
    /// `NT301` and `NT302`. Without `usePytestFixtures`, a `test_` function
    /// that the script calls itself, or that a foreign decorator wraps, is a
    /// plain helper of a legacy script, and its parameters are its own.
    pub(super) fn fixtures(&mut self) {
        let test = self.test;
        let scope = self.scope;
        let mut seen: HashMap<&str, TextRange> = HashMap::new();
        for f in &scope.test_functions {
            if seen.insert(f.name.as_str(), f.name_range).is_some() {
                self.push(
                    Rule::DuplicateTestFunction,
                    f.name_range,
                    format!("test function `{}` is defined again; the earlier one never runs", f.name),
                    None,
                );
            }
            if !scope.is_runnable(f, test) {
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
                    Some(s) => {
                        (format!("fixture `{p}` of `{}` names no node; did you mean `{s}`?", f.name), Some(PyFix::replace(*range, s)))
                    }
                    None => {
                        let all: Vec<&str> = test.nodes.iter().map(|n| n.py_name.as_str()).collect();
                        (format!("fixture `{p}` of `{}` names no node (nodes: {})", f.name, all.join(", ")), None)
                    }
                };
                self.push(Rule::FixtureNotANode, *range, msg, fix);
            }
        }
    }
}
