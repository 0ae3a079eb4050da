//! The one type notion of the script and the one resolution of a module-
//! level name, shared by the checker (`rules::checker`) and the IDE
//! features (completion, hover): what `name` in `name.attr` is.

use super::{MachineTy, ScriptScope, machine_ty_of_node};
use crate::driver_api::{Class, DriverApi, Generation, Member};
use crate::nix::{Node, TestDef};

/// What a name refers to at module level.
#[derive(Debug, Clone, Copy)]
pub enum Binding<'a> {
    /// A machine: a node (by name or through the alias), a name the script
    /// binds to one, or a receiver presumed to be a node where the nodes are
    /// not all known (then without a node).
    Machine(MachineTy, Option<&'a Node>),
    /// A driver global (`machines`, `driver`, `start_all`, ...).
    Global(&'static Member),
    /// What a driver method returned (`out = server.succeed(...)`): the
    /// table's type of it (`str`, ...).
    Value(&'static str),
    /// A VLan global (`vlan1`).
    Vlan,
    /// Bound by the script to something not modelled.
    Other,
}

/// The driver class of a node of this kind (named per generation with
/// `Class::python_name`).
pub fn node_class(kind: crate::nix::NodeKind) -> Class {
    machine_class(machine_ty_of_node(kind))
}

/// The driver class whose members a machine of this type has.
pub fn machine_class(ty: MachineTy) -> Class {
    match ty {
        MachineTy::Qemu => Class::Qemu,
        MachineTy::Nspawn => Class::Nspawn,
        MachineTy::Any => Class::Base,
    }
}

impl ScriptScope {
    /// What `name` refers to at module level: the script's own bindings
    /// first, then nodes and the alias, VLans, driver globals, and (where
    /// the nodes are not all known) receivers presumed to be nodes.
    pub fn resolve<'a>(&self, test: &'a TestDef, name: &str, g: Generation) -> Binding<'a> {
        if let Some(ty) = self.module.get(name) {
            return match (ty, self.values.get(name)) {
                (Some(t), _) => Binding::Machine(*t, None),
                (None, Some(Some(v))) => Binding::Value(v),
                (None, _) => Binding::Other,
            };
        }
        if let Some(node) = test.machine_named(name) {
            return Binding::Machine(machine_ty_of_node(node.kind), Some(node));
        }
        if super::is_vlan_name(name) {
            return Binding::Vlan;
        }
        match DriverApi::get().global(name, g) {
            Some(m) => Binding::Global(m),
            None if self.inferred_machines.contains_key(name) => Binding::Machine(MachineTy::Any, None),
            None => Binding::Other,
        }
    }
}
