//! Names (`NT1xx`): undefined names close to a known one, and node names
//! that cannot or should not be Python globals.

use ruff_text_size::TextSize;

use super::ruff::{RuffFinding, Translation};
use super::{Certainty, Code, Finding, PyFix, Rule, declare_rules};
use crate::driver_api::{Class, DriverApi, Generation};
use crate::nix::{HOLE_PREFIX, Node, NodeKind, TestDef};
use crate::python::{BUILTINS, KEYWORDS, is_vlan_name};
use crate::suggest::suggest;

declare_rules! {
    /// ## What it does
    /// Reports a name that is not defined but is close to a node, a driver global or a name the script (or the enclosing function) defines, with the likely intended name. The receiver of a Machine method is matched against machines only. Where part of the script or of the nodes is not statically known, the name could be defined there: a near miss is then reported as a warning, and a name close to nothing is not reported.
    ///
    /// ## Why is this bad?
    /// The driver creates one global per node; a misspelt node name is a `NameError` at run time, after every VM has booted.
    ///
    /// ## Example
    /// ```python
    /// bobb.wait_for_unit("multi-user.target")
    /// ```
    ///
    /// ## Use instead
    /// ```python
    /// bob.wait_for_unit("multi-user.target")
    /// ```
    UndefinedNameTypo = "NT101", "undefined-name-typo", Error;

    /// ## What it does
    /// Reports a node whose Python name is a Python keyword (`class`, `if`, ...).
    ///
    /// ## Why is this bad?
    /// The script cannot refer to the node at all, and the typed build script has a syntax error.
    ///
    /// ## Example
    /// ```nix
    /// nodes.class = { };
    /// ```
    ///
    /// ## Use instead
    /// ```nix
    /// nodes.classroom = { };
    /// ```
    NodeNameKeyword = "NT102", "node-name-keyword", Error;

    /// ## What it does
    /// Reports a node whose Python name hides a driver global (`log`, `t`, `driver`, `machines`, ...) or a Python builtin (`id`, `print`, ...).
    ///
    /// ## Why is this bad?
    /// Machines are merged into the script's globals after the driver's own, so the node silently replaces the global.
    ///
    /// ## Example
    /// ```nix
    /// nodes.log = { };
    /// ```
    ///
    /// ## Use instead
    /// ```nix
    /// nodes.logserver = { };
    /// ```
    NodeNameShadows = "NT103", "node-name-shadows", Warning;

    /// ## What it does
    /// Reports two nodes whose names become the same Python identifier (`a-b` and `a_b`).
    ///
    /// ## Why is this bad?
    /// Only one of them is reachable from the script; which one depends on sort order.
    ///
    /// ## Example
    /// ```nix
    /// nodes.web-server = { }; nodes.web_server = { };
    /// ```
    ///
    /// ## Use instead
    /// Give the nodes names that differ after `-` becomes `_`.
    NodeNameCollision = "NT104", "node-name-collision", Error;
}

/// Nodes whose names cannot or should not be Python globals (`NT102`-`NT104`).
pub fn node_name_findings(test: &TestDef, g: Generation) -> Vec<(Rule, &Node, String)> {
    let api = DriverApi::get();
    let mut out = Vec::new();
    for node in &test.nodes {
        let py = node.py_name.as_str();
        if KEYWORDS.contains(&py) {
            out.push((Rule::NodeNameKeyword, node, format!("node name `{py}` is a Python keyword: the script cannot refer to it")));
        } else if api.global(py, g).is_some() {
            out.push((Rule::NodeNameShadows, node, format!("node `{py}` hides the driver global `{py}`")));
        } else if BUILTINS.contains(&py) {
            out.push((Rule::NodeNameShadows, node, format!("node `{py}` hides the Python builtin `{py}`")));
        }
        if let Some(other) =
            test.nodes.iter().find(|o| o.py_name == node.py_name && o.name != node.name && o.name_range.start() < node.name_range.start())
        {
            let kind = if node.kind == NodeKind::Container { "container" } else { "node" };
            out.push((
                Rule::NodeNameCollision,
                node,
                format!("{kind} `{}` and `{}` are both `{py}` in Python; only one is reachable", other.name, node.name),
            ));
        }
    }
    out
}

/// ruff's `F821` (undefined name), as we know better: `machine` without the
/// alias (`NT401`, an error: the script fails there), a near miss of a node,
/// a global or a name in scope (`NT101`, with the fix), nothing for names a
/// `${…}` hole or a VLan provides, and a warning at most where part of the
/// script or of the nodes is not known.
pub(super) fn undefined_name(f: RuffFinding, t: &Translation<'_>) -> Option<Finding> {
    let open = t.test.nodes_open.is_some();
    let name = t.text.get(f.range.start().into()..f.range.end().into()).unwrap_or_default();
    if name.contains(HOLE_PREFIX) || is_vlan_name(name) {
        return None;
    }
    let uncertain = t.partial || open;
    if name == "machine" && !uncertain {
        let vms: Vec<&str> = t.test.nodes.iter().filter(|n| n.kind == NodeKind::Vm).map(|n| n.py_name.as_str()).collect();
        let all: Vec<&str> = t.test.nodes.iter().map(|n| n.py_name.as_str()).collect();
        let fix = (vms.len() == 1).then(|| PyFix::replace(f.range, vms[0]));
        let msg = format!(
            "there is no `machine` here: the implicit alias is deprecated and exists only with exactly one machine, and this test has {} ({}); name the node",
            all.len(),
            all.join(", ")
        );
        let finding = Finding::new(Rule::ImplicitMachineAlias, f.range, msg).with_fix(fix);
        return Some(finding.with_certainty(Certainty::Fails));
    }
    let api = DriverApi::get();
    let mut candidates: Vec<&str> = t.test.nodes.iter().map(|n| n.py_name.as_str()).collect();
    // Presumed nodes (nodes not all known): a presumed node is a typo
    // only of one used more often (or of the conventional `machine`).
    let uses = t.scope.inferred_machines.get(name).copied();
    candidates.extend(
        t.scope
            .inferred_machines
            .iter()
            .filter(|(k, n)| uses.is_none_or(|u| **n > u || (**n == u && k.as_str() == "machine")))
            .map(|(k, _)| k.as_str()),
    );
    if uses.is_some() || receives_machine_member(t.text, f.range.end()) {
        // `machne.succeed(...)`: the receiver of a Machine method is
        // a machine, so only machines are candidates (not `machines`).
        candidates.extend(t.scope.module.iter().filter(|(_, ty)| ty.is_some()).map(|(n, _)| n.as_str()));
        let alias = t.test.machine_alias().is_some();
        if alias || (open && uses.is_some()) {
            candidates.push("machine");
        }
    } else {
        // Driver globals, but not the classes (`Machine` is no typo fix for `machine`).
        candidates.extend(api.members().iter().filter(|m| m.class == Class::Global && !m.ty.starts_with("type[")).map(|m| m.name.as_str()));
        candidates.extend(t.scope.module.keys().map(String::as_str));
        // Names bound in the functions around the use.
        for (_, names) in t.locals.iter().filter(|(r, _)| r.contains_range(f.range)) {
            candidates.extend(names.iter().map(String::as_str));
        }
    }
    let suggestion = suggest(name, candidates).filter(|_| t.selection.enabled(Rule::UndefinedNameTypo.code()));
    if uncertain {
        // Not certainly undefined: what is not statically known may
        // define it. A near miss of a known name is still most
        // likely a typo: a warning with the suggestion.
        let s = suggestion?;
        let why = if open { "the nodes not known statically" } else { "the part of the script not known statically" };
        let msg = format!("undefined name `{name}`, unless {why} define it; did you mean `{s}`?");
        let finding = Finding::new(Rule::UndefinedNameTypo, f.range, msg).with_fix(Some(PyFix::replace(f.range, s)));
        return Some(finding.with_certainty(Certainty::Likely));
    }
    if let Some(s) = suggestion {
        let fix = Some(PyFix::replace(f.range, s));
        return Some(Finding::new(Rule::UndefinedNameTypo, f.range, format!("undefined name `{name}`; did you mean `{s}`?")).with_fix(fix));
    }
    Some(Finding { code: Code::Ruff("F821".into()), message: f.message, range: f.range, fix: None, certainty: Certainty::Certain })
}

/// Whether the name ending at `end` is the receiver of a Machine member
/// (`name.succeed`), whatever the generation.
fn receives_machine_member(text: &str, end: TextSize) -> bool {
    let Some(rest) = text.get(usize::from(end)..).and_then(|r| r.strip_prefix('.')) else { return false };
    let attr: String = rest.chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
    let api = DriverApi::get();
    Generation::ALL.iter().any(|g| [Class::Qemu, Class::Nspawn].iter().any(|c| api.machine_members(*c, *g).iter().any(|m| m.name == attr)))
}
