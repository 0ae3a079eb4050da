//! The API table against docs/driver-facts.toml, the driver's names and
//! signatures per generation as read off its source: both directions, one
//! generation at a time. A fact missing from the table, a table entry that
//! is no fact, a different signature, type or deprecation: each is listed.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use std::collections::BTreeMap;

use nixos_test_analysis::driver_api::{Class, DriverApi, Generation, MemberKind};

const GENERATIONS: [(&str, Generation); 3] =
    [("2025", Generation::Classic), ("early-2026", Generation::Split), ("newest", Generation::Newest)];

/// What one entry says: for a function its signature after the name, for an
/// attribute its type (`None`: not recorded), and its deprecation.
#[derive(Debug, PartialEq, Eq, Clone)]
struct Fact {
    shape: Option<String>,
    deprecated: bool,
}

type Facts = BTreeMap<(String, String, &'static str), Fact>;

fn squeeze(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// (class, name, "f" | "a") → fact, for generation `g` of the facts file.
fn facts(g: &str) -> Facts {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/driver-facts.toml");
    let doc: toml::Table = std::fs::read_to_string(path).unwrap().parse().unwrap();
    let mut out = Facts::new();
    for (class, entries) in doc["classes"].as_table().unwrap() {
        let entries = entries.as_array().unwrap();
        for e in entries {
            let e = e.as_table().unwrap();
            let gens: Vec<&str> = e
                .get("in")
                .map_or(vec!["2025", "early-2026", "newest"], |v| v.as_array().unwrap().iter().map(|x| x.as_str().unwrap()).collect());
            if !gens.contains(&g) {
                continue;
            }
            let order = |x: &str| GENERATIONS.iter().position(|(n, _)| *n == x).unwrap();
            let deprecated = e.get("deprecated").is_some_and(|d| order(d.as_str().unwrap()) <= order(g));
            let (kind, text) = match (e.get("f"), e.get("a")) {
                (Some(f), None) => ("f", f.as_str().unwrap()),
                (None, Some(a)) => ("a", a.as_str().unwrap()),
                _ => panic!("{class}: an entry needs `f` or `a`: {e:?}"),
            };
            let (name, shape) = match kind {
                "f" => match text.find('(') {
                    Some(i) => (&text[..i], Some(squeeze(&text[i..]))),
                    None => (text, None),
                },
                _ => match text.split_once(':') {
                    Some((n, t)) => (n, Some(squeeze(t))),
                    None => (text, None),
                },
            };
            let old = out.insert((class.clone(), name.trim().to_string(), kind), Fact { shape, deprecated });
            assert!(old.is_none(), "{class}.{name} twice in {g}");
        }
    }
    out
}

/// The table's entries for generation `g`, named as the facts name them.
fn table(g: Generation) -> Facts {
    let mut out = Facts::new();
    for m in DriverApi::get().members().iter().filter(|m| m.available_in(g)) {
        let class = match m.class {
            Class::Global => "global",
            Class::Base => "BaseMachine",
            Class::Qemu => "QemuMachine",
            Class::Nspawn => "NspawnMachine",
            Class::Vlan => "VLan",
            Class::Logger => "AbstractLogger",
            Class::Driver => "Driver",
            // `t` is unittest's TestCase: not the driver's to describe.
            Class::Tester => continue,
        };
        let (kind, shape) = match m.kind {
            MemberKind::Function => ("f", squeeze(m.signature)),
            MemberKind::Attribute => ("a", squeeze(&m.ty)),
        };
        let fact = Fact { shape: Some(shape), deprecated: m.deprecated_in(g).is_some() };
        let old = out.insert((class.to_string(), m.name.clone(), kind), fact);
        assert!(old.is_none(), "{class}.{} twice in the table for {g:?}", m.name);
    }
    out
}

#[test]
fn the_api_table_is_the_drivers_api_in_every_generation() {
    let mut problems = Vec::new();
    for (label, g) in GENERATIONS {
        let facts = facts(label);
        let table = table(g);
        assert!(facts.len() > 100, "{label}: {} facts", facts.len());
        for (key, fact) in &facts {
            match table.get(key) {
                None => problems.push(format!("{label}: {}.{} ({}) is missing from the table", key.0, key.1, key.2)),
                Some(t) => {
                    if fact.shape.is_some() && fact.shape != t.shape {
                        problems.push(format!(
                            "{label}: {}.{}: the driver has `{}`, the table `{}`",
                            key.0,
                            key.1,
                            fact.shape.as_deref().unwrap_or_default(),
                            t.shape.as_deref().unwrap_or_default()
                        ));
                    }
                    if fact.deprecated != t.deprecated {
                        problems.push(format!(
                            "{label}: {}.{} is {}deprecated in the driver, {}in the table",
                            key.0,
                            key.1,
                            if fact.deprecated { "" } else { "not " },
                            if t.deprecated { "" } else { "not " }
                        ));
                    }
                }
            }
        }
        for key in table.keys().filter(|k| !facts.contains_key(*k)) {
            problems.push(format!("{label}: the table has {}.{} ({}), the driver does not", key.0, key.1, key.2));
        }
    }
    assert!(problems.is_empty(), "{} mismatches:\n{}", problems.len(), problems.join("\n"));
}

/// Every generation cites its sources, as `NixOS/nixpkgs:<path>`.
#[test]
fn every_generation_cites_its_sources() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/driver-facts.toml");
    let doc: toml::Table = std::fs::read_to_string(path).unwrap().parse().unwrap();
    let sources = doc["sources"].as_table().unwrap();
    for (label, _) in GENERATIONS {
        let list = sources[label].as_array().unwrap();
        assert!(list.iter().all(|s| s.as_str().unwrap().starts_with("NixOS/nixpkgs:nixos/lib/test-driver/src/test_driver/")), "{label}");
        assert!(list.iter().any(|s| s.as_str().unwrap().contains("machine/__init__.py")), "{label}");
    }
}
