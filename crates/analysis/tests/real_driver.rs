//! Opt-in: the API table against a real driver's source. Set
//! `NIXOS_TEST_DRIVER_SRC=<nixpkgs>/nixos/lib/test-driver/src` (and
//! `NIXOS_TEST_DRIVER_GENERATION=newest|early-2026|2025`, default newest);
//! without it the test says it is skipped. The source is read with
//! Python's `ast` (nothing is imported, so the driver's dependencies are
//! not needed): every public method of the machine classes and every name
//! of `Driver.test_symbols()` must be in the table for that generation, and
//! every machine method of the table in the driver.

#![allow(clippy::unwrap_used)] // Tests: a failed unwrap is a failed test.

use std::collections::BTreeSet;
use std::process::Command;

use nixos_test_analysis::driver_api::{Class, DriverApi, Generation, MemberKind};

const READ: &str = r#"
import ast, json, os, sys
src = sys.argv[1]
pkg = os.path.join(src, "test_driver")
machine = os.path.join(pkg, "machine", "__init__.py")
if not os.path.exists(machine):
    machine = os.path.join(pkg, "machine.py")
classes = {}
for node in ast.parse(open(machine).read()).body:
    if isinstance(node, ast.ClassDef):
        classes[node.name] = [b.id for b in node.bases if isinstance(b, ast.Name)], [
            f.name for f in node.body if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef)) and not f.name.startswith("_")
        ]
symbols = []
for node in ast.walk(ast.parse(open(os.path.join(pkg, "driver.py")).read())):
    if isinstance(node, ast.FunctionDef) and node.name == "test_symbols":
        for d in ast.walk(node):
            if isinstance(d, ast.Dict):
                symbols += [k.value for k in d.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
json.dump({"classes": classes, "symbols": symbols}, sys.stdout)
"#;

#[test]
fn the_table_matches_the_real_driver() {
    let Some(src) = std::env::var_os("NIXOS_TEST_DRIVER_SRC") else {
        eprintln!("SKIPPED: set NIXOS_TEST_DRIVER_SRC=<nixpkgs>/nixos/lib/test-driver/src to compare the table with a real driver");
        return;
    };
    let g = std::env::var("NIXOS_TEST_DRIVER_GENERATION").ok().and_then(|g| Generation::parse(&g)).unwrap_or(Generation::Newest);
    let out = Command::new("python3").arg("-c").arg(READ).arg(&src).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let facts: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let api = DriverApi::get();
    let mut problems = Vec::new();
    let methods_of = |class: &str| -> BTreeSet<String> {
        // A class's own public methods and its bases' (within the file).
        let mut out = BTreeSet::new();
        let mut todo = vec![class.to_string()];
        while let Some(c) = todo.pop() {
            if let Some(entry) = facts["classes"].get(&c) {
                out.extend(entry[1].as_array().unwrap().iter().map(|m| m.as_str().unwrap().to_string()));
                todo.extend(entry[0].as_array().unwrap().iter().map(|b| b.as_str().unwrap().to_string()));
            }
        }
        out
    };
    for class in [Class::Qemu, Class::Nspawn] {
        let real_name = class.python_name(g);
        let real = methods_of(real_name);
        if real.is_empty() {
            if class == Class::Qemu {
                problems.push(format!("no class {real_name} with methods in the driver's machine module"));
            }
            continue;
        }
        let ours: BTreeSet<String> =
            api.machine_members(class, g).iter().filter(|m| m.kind == MemberKind::Function).map(|m| m.name.clone()).collect();
        for m in real.difference(&ours) {
            problems.push(format!("{real_name}.{m} is in the driver, not in the table ({g:?})"));
        }
        for m in ours.difference(&real) {
            problems.push(format!("{real_name}.{m} is in the table, not in the driver ({g:?})"));
        }
    }
    for s in facts["symbols"].as_array().unwrap() {
        let s = s.as_str().unwrap();
        if api.global(s, g).is_none() {
            problems.push(format!("global `{s}` of test_symbols() is not in the table ({g:?})"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
