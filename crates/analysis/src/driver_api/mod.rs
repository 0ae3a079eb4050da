//! The NixOS test driver's API as data: globals, machine classes, methods,
//! parameters, defaults, types, docs, and which driver generation has each.
//! Checks, completion, hover and signature help all read this one table.
//!
//! Entries are written as Python signatures in [`table`] and parsed once.

mod signature;
mod table;

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

pub use signature::{Param, ParamKind, Ty};

/// The three driver generations found in the wild (reference section 0).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Generation {
    /// ≤ 2025: one `Machine` class, env-var configuration, int timeouts.
    #[serde(alias = "2025")]
    Classic,
    /// Early 2026: `BaseMachine`/`QemuMachine`/`NspawnMachine`, `--vm-names`.
    #[serde(alias = "early-2026")]
    Split,
    /// Mid 2026 on: JSON `--config`, ty + ruff, `timedelta` durations.
    #[default]
    #[serde(alias = "2026")]
    Newest,
}

impl Generation {
    pub const ALL: [Generation; 3] = [Generation::Classic, Generation::Split, Generation::Newest];

    /// The generation of a nixpkgs from the date of its revision (seconds
    /// since the epoch, as `flake.lock`'s `lastModified`). The boundaries are
    /// the months the changes were merged in NixOS/nixpkgs: containers and
    /// the split machine classes (#478109, early 2026), `timedelta`
    /// durations (#542374, August 2026).
    pub fn of_nixpkgs_date(seconds: i64) -> Generation {
        const SPLIT: i64 = 1_767_225_600; // 2026-01-01
        const NEWEST: i64 = 1_785_542_400; // 2026-08-01
        match seconds {
            s if s < SPLIT => Generation::Classic,
            s if s < NEWEST => Generation::Split,
            _ => Generation::Newest,
        }
    }

    /// The generation of a nixpkgs branch or channel (`nixos-25.11`,
    /// `release-26.05`, `nixos-unstable`): releases by their month, the
    /// unstable branches as the newest.
    pub fn of_nixpkgs_branch(branch: &str) -> Option<Generation> {
        if branch.contains("unstable") || branch == "master" {
            return Some(Generation::Newest);
        }
        let version = branch.rsplit(['-', '/']).next()?;
        let (year, month) = version.split_once('.')?;
        let (year, month): (u32, u32) = (year.parse().ok()?, month.parse().ok()?);
        Some(match (year, month) {
            (..=25, _) => Generation::Classic,
            (26, ..=7) => Generation::Split,
            _ => Generation::Newest,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Generation::Classic => "classic (≤2025)",
            Generation::Split => "early 2026",
            Generation::Newest => "newest (mid 2026+)",
        }
    }

    pub fn parse(s: &str) -> Option<Generation> {
        match s {
            "classic" | "2025" => Some(Generation::Classic),
            "split" | "early-2026" => Some(Generation::Split),
            "newest" | "2026" => Some(Generation::Newest),
            _ => None,
        }
    }
}

/// Where a member lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Class {
    /// On every machine (`BaseMachine`; `Machine` before 2026).
    Base,
    /// VMs only (`QemuMachine`).
    Qemu,
    /// Containers only (`NspawnMachine`).
    Nspawn,
    /// `VLan` objects (`vlan1`, `vlans[...]`).
    Vlan,
    /// The `driver` object.
    Driver,
    /// The `log` object.
    Logger,
    /// The `t` object (a `unittest.TestCase`).
    Tester,
    /// A module-level global of the script.
    Global,
}

impl Class {
    pub fn python_name(self, generation: Generation) -> &'static str {
        match self {
            Class::Base if generation == Generation::Classic => "Machine",
            Class::Qemu if generation == Generation::Classic => "Machine",
            Class::Base => "BaseMachine",
            Class::Qemu => "QemuMachine",
            Class::Nspawn => "NspawnMachine",
            Class::Vlan => "VLan",
            Class::Driver => "Driver",
            Class::Logger => "AbstractLogger",
            Class::Tester => "AssertionTester",
            Class::Global => "global",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MemberKind {
    Function,
    Attribute,
}

#[derive(Debug, Clone, Serialize)]
pub struct Deprecation {
    pub since: Generation,
    pub message: &'static str,
    /// A drop-in replacement name, when there is one.
    pub replacement: Option<&'static str>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub name: String,
    pub class: Class,
    pub kind: MemberKind,
    pub params: Vec<Param>,
    /// Return type (functions) or type (attributes), as Python text.
    pub ty: String,
    /// What the object is, for an attribute or a global that is not a function.
    pub value_class: Option<Class>,
    pub doc: &'static str,
    /// First and last generation that has it.
    pub since: Generation,
    pub until: Generation,
    pub deprecated: Option<Deprecation>,
    /// The signature as written, for hover.
    pub signature: &'static str,
}

impl Member {
    pub fn available_in(&self, g: Generation) -> bool {
        self.since <= g && g <= self.until
    }

    pub fn deprecated_in(&self, g: Generation) -> Option<&Deprecation> {
        self.deprecated.as_ref().filter(|d| d.since <= g)
    }

    pub fn param(&self, name: &str) -> Option<&Param> {
        self.params.iter().find(|p| p.name == name)
    }

    /// `name(params) -> ty` for hover and signature help.
    pub fn display_signature(&self) -> String {
        match self.kind {
            MemberKind::Function => format!("{}{}", self.name, self.signature),
            MemberKind::Attribute => format!("{}: {}", self.name, self.ty),
        }
    }
}

/// The whole table, indexed by (class, generation) for the hot lookups.
pub struct DriverApi {
    members: &'static [Member],
    /// Members of each class per generation, subclass entries first.
    by_class: HashMap<(Class, Generation), Vec<&'static Member>>,
    /// The same, by name.
    by_name: HashMap<(Class, Generation), HashMap<&'static str, &'static Member>>,
}

static API: LazyLock<DriverApi> = LazyLock::new(|| {
    // The table lives as long as the program; leaking it lets the index
    // hold plain references.
    let members: &'static [Member] = Box::leak(table::members().into_boxed_slice());
    let classes = [Class::Base, Class::Qemu, Class::Nspawn, Class::Vlan, Class::Driver, Class::Logger, Class::Tester, Class::Global];
    let mut by_class = HashMap::new();
    let mut by_name = HashMap::new();
    for g in Generation::ALL {
        for class in classes {
            let chain: Vec<Class> = match class {
                Class::Qemu => vec![Class::Qemu, Class::Base],
                Class::Nspawn => vec![Class::Nspawn, Class::Base],
                other => vec![other],
            };
            let mut list: Vec<&'static Member> = Vec::new();
            let mut names: HashMap<&'static str, &'static Member> = HashMap::new();
            for c in chain {
                for m in members.iter().filter(|m| m.class == c && m.available_in(g)) {
                    if !names.contains_key(m.name.as_str()) {
                        names.insert(m.name.as_str(), m);
                        list.push(m);
                    }
                }
            }
            by_class.insert((class, g), list);
            by_name.insert((class, g), names);
        }
    }
    DriverApi { members, by_class, by_name }
});

impl DriverApi {
    pub fn get() -> &'static DriverApi {
        &API
    }

    pub fn members(&self) -> &'static [Member] {
        self.members
    }

    /// Members an object of `class` has in generation `g` (machines include
    /// `BaseMachine`'s), the subclass entry first when both define a name.
    pub fn machine_members(&self, class: Class, g: Generation) -> &[&'static Member] {
        self.by_class.get(&(class, g)).map_or(&[], Vec::as_slice)
    }

    /// The member `name` on an object of `class` in generation `g`.
    pub fn member(&self, class: Class, name: &str, g: Generation) -> Option<&'static Member> {
        self.by_name.get(&(class, g))?.get(name).copied()
    }

    /// The same name in any class or generation: to explain why it is missing.
    pub fn member_anywhere(&self, name: &str) -> impl Iterator<Item = &'static Member> + use<'_> {
        let name = name.to_string();
        self.members.iter().filter(move |m| m.name == name && m.class != Class::Global)
    }

    pub fn globals(&self, g: Generation) -> impl Iterator<Item = &'static Member> + use<'_> {
        self.machine_members(Class::Global, g).iter().copied()
    }

    pub fn global(&self, name: &str, g: Generation) -> Option<&'static Member> {
        self.member(Class::Global, name, g)
    }
}

/// Parameters that a generation deprecates: (function, parameter, since, message).
const DEPRECATED_PARAMS: &[(&str, &str, Generation, &str)] = &[
    ("retry", "timeout_seconds", Generation::Newest, "`retry(timeout_seconds=)` is deprecated: pass `timeout=timedelta(seconds=...)`"),
    ("sleep", "secs", Generation::Newest, "`sleep(secs)` is deprecated: pass `duration=timedelta(seconds=...)`"),
    // Audit G1': a number warns in the newest driver.
    (
        "polling_condition",
        "seconds_interval",
        Generation::Newest,
        "`polling_condition(seconds_interval=)` is deprecated: pass `interval=timedelta(seconds=...)`",
    ),
];

/// Why `param` of `member` is deprecated in `g`, if it is.
pub fn deprecated_param(member: &Member, param: &str, g: Generation) -> Option<&'static str> {
    DEPRECATED_PARAMS.iter().find(|(f, p, since, _)| *f == member.name && *p == param && *since <= g).map(|(_, _, _, msg)| *msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_signature_parses_and_names_are_unique_per_class_and_generation() {
        let api = DriverApi::get();
        assert!(api.members().len() > 100);
        for g in Generation::ALL {
            for class in [Class::Base, Class::Qemu, Class::Nspawn, Class::Global, Class::Vlan, Class::Driver, Class::Logger] {
                let mut names: Vec<&str> =
                    api.members().iter().filter(|m| m.class == class && m.available_in(g)).map(|m| m.name.as_str()).collect();
                let len = names.len();
                names.sort_unstable();
                names.dedup();
                assert_eq!(len, names.len(), "duplicate member in {class:?} for {g:?}");
            }
        }
    }

    #[test]
    fn generations_differ_where_the_reference_says() {
        let api = DriverApi::get();
        let sleep = api.member(Class::Qemu, "sleep", Generation::Newest).unwrap();
        assert!(sleep.param("duration").is_some());
        let old = api.member(Class::Qemu, "sleep", Generation::Classic).unwrap();
        assert!(old.param("duration").is_none());
        assert!(api.global("machines", Generation::Split).is_none());
        assert!(api.global("machines", Generation::Newest).is_some());
        assert!(api.member(Class::Nspawn, "screenshot", Generation::Newest).is_none());
        assert!(api.member(Class::Qemu, "copy_from_vm", Generation::Newest).unwrap().deprecated_in(Generation::Newest).is_some());
    }

    /// The findings of `shared/reference/driver-audit.md` that made false
    /// diagnostics (its B1-B3, Q1-Q6, G1), each as the real driver has it.
    #[test]
    fn the_audits_false_diagnostics_are_gone() {
        use Generation::{Classic, Newest, Split};
        let api = DriverApi::get();
        let has = |class, name: &str, g| api.member(class, name, g).is_some();
        assert!(has(Class::Base, "log_serial", Classic), "B1");
        assert!(has(Class::Base, "wait_for_job", Classic) && !has(Class::Base, "wait_for_job", Newest), "B2");
        assert!(api.member(Class::Qemu, "copy_from_vm", Split).and_then(|m| m.deprecated_in(Split)).is_some(), "B3");
        for g in Generation::ALL {
            for name in ["get_console_log", "qmp_path", "qmp_client", "full_console_log", "wait_for_qmp_event"] {
                assert!(has(Class::Qemu, name, g), "Q1-Q5: {name} in {g:?}");
            }
        }
        let backdoor = api.member(Class::Qemu, "ssh_backdoor_command", Split).unwrap();
        assert!(backdoor.param("index").is_some(), "Q6");
        let poll = |g| api.global("polling_condition", g).unwrap();
        assert!(poll(Newest).param("interval").is_some() && poll(Split).param("interval").is_none(), "G1");
        assert!(poll(Classic).param("seconds_interval").is_some_and(|p| !p.required()), "G1");
        assert!(deprecated_param(poll(Newest), "seconds_interval", Newest).is_some(), "G1'");
        assert!(deprecated_param(poll(Split), "seconds_interval", Split).is_none(), "G1'");
    }
}
